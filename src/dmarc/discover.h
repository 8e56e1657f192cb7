/*
 * Private: DMARC policy discovery and organizational domains, shared by
 * the checker and the evaluator.
 *
 * A walk is a small sans-I/O piece: question() names the next _dmarc TXT
 * name to ask (or NULL when over), the owner asks it (or answers from its
 * own cache), classify() turns the answer into a step, record() stores it
 * and moves on. Names in the steps point into the start domain (every
 * name asked is a suffix of it), so a walk allocates only record texts.
 *
 * RFC 9989 (§4.10): the start, then its parent, or the 7-label suffix when
 * the start has 8 labels or more, then one label less each time; stops at
 * a single record with psd=y or psd=n, or when no label is left. At most
 * 8 questions whatever the start.
 * RFC 7489 (§6.6.3): the start; when it has no v=DMARC1 record, the
 * organizational domain from the Public Suffix List (libpsl) when it is
 * different. At most 2 questions.
 */
#ifndef EMAUTH_DMARC_DISCOVER_H
#define EMAUTH_DMARC_DISCOVER_H

#include <stddef.h>
#include <libpsl.h>
#include <emauth/dmarc.h>
#include "util/arena.h"

#define EA_DMARC_WALK_MAX 8

typedef struct ea_dmarc_step {
    const char *name;          /* the domain (not the _dmarc name) */
    emauth_dns_rcode rcode;    /* of the TXT answer */
    size_t nrecords;           /* TXT records that start with v=DMARC1 */
    const char *text;          /* the record when exactly one, else NULL */
    size_t text_len;
    int psd;                   /* 'y', 'n', 'u' of that record */
} ea_dmarc_step;

typedef struct ea_dmarc_walk {
    emauth_dmarc_mode mode;
    const char *start;         /* normalized (ea_dmarc_norm), outlives the walk */
    size_t start_len;
    const char *org7489;       /* PSL organizational domain of start (7489) */
    const char *next;          /* the next domain to ask for; NULL when over */
    int error;                 /* SERVFAIL/TIMEOUT stopped the walk */
    size_t nsteps;
    ea_dmarc_step steps[EA_DMARC_WALK_MAX];
    char qname[8 + 256];
} ea_dmarc_walk;

/* The PSL to use: psl_latest(NULL) (the distribution's list, kept in *owned), else built-in. */
const psl_ctx_t *ea_dmarc_psl(psl_ctx_t **owned);

/*
 * A lower-cased copy of d[0..len) without one trailing dot, in arena;
 * EMAUTH_ERR_SYNTAX when it is not a domain name a query can be made for.
 */
emauth_status ea_dmarc_norm(ea_arena *arena, const char *d, size_t len, const char **out);

/* The number of labels of a normalized name. */
size_t ea_dmarc_labels(const char *name);

/* start is normalized and outlives w; psl is needed in 7489 mode only. */
void ea_dmarc_walk_init(ea_dmarc_walk *w, emauth_dmarc_mode mode, const psl_ctx_t *psl,
                        const char *start);

/* The _dmarc name to ask for TXT next (into w), or NULL when the walk is over. */
const char *ea_dmarc_walk_question(ea_dmarc_walk *w);

/* A TXT answer as a step (name unset); the record text is copied into arena. */
emauth_status ea_dmarc_classify(const emauth_dns_answer *a, ea_arena *arena, ea_dmarc_step *st);

/* Stores st as the answer to the pending question and moves on. */
void ea_dmarc_walk_record(ea_dmarc_walk *w, const ea_dmarc_step *st);

/*
 * The organizational domain of start: RFC 9989 §4.10.2 over the walk's
 * records (psd=n; one below psd=y; the fewest labels; else start), or the
 * PSL's registrable domain in 7489 mode. Meaningful when the walk is over
 * without error. Points into start (or to org7489).
 */
const char *ea_dmarc_walk_org(const ea_dmarc_walk *w);

/*
 * The step whose record applies to start (RFC 9989 §4.10.1: start's own,
 * else the organizational domain's, else the PSD's; RFC 7489 §6.6.3:
 * start's own, else the organizational domain's), or NULL.
 */
const ea_dmarc_step *ea_dmarc_walk_policy(const ea_dmarc_walk *w);

/* The organizational domain of a normalized name by the PSL (7489): into name. */
const char *ea_dmarc_psl_org(const psl_ctx_t *psl, const char *name);

#endif
