/*
 * Private pieces of the SPF editor (emauth/spf_edit.h), one concern per
 * file: edit_merge.c merges terms into a record, edit_flat.c packs ranges
 * into chained records and computes drift; edit.c is the state machine.
 * Everything is allocated from the editor's arena.
 */
#ifndef EMAUTH_SPF_EDIT_INTERNAL_H
#define EMAUTH_SPF_EDIT_INTERNAL_H

#include <emauth/spf.h>
#include <emauth/spf_edit.h>
#include <emauth/spf_lint.h>
#include "util/arena.h"

/* A term to add, validated: as given, and parsed. */
typedef struct ea_new_term {
    const char *text;          /* as given (arena copy) */
    emauth_spf_term term;      /* points into the arena */
} ea_new_term;

/*
 * Parses and checks the terms to add: each must be one mechanism the record
 * parser accepts. Errors name the term; err->column is the column in it.
 */
emauth_status ea_edit_parse_terms(ea_arena *a, const char *const *terms, size_t n,
                                  ea_new_term **out, emauth_error *err);

/* The outcome of a merge. */
typedef struct ea_merge {
    const char *text;          /* the merged record (NUL-terminated) */
    size_t len;
    const char **added, **skipped;
    size_t nadded, nskipped;
    const char *conflict;      /* set (a reason) when an all term conflicts; text is NULL */
} ea_merge;

/*
 * Merges terms into base (parsed, its text kept byte for byte around the
 * insertion point). default_all: append " ~all" when the result has neither
 * all nor redirect= (a record started from nothing). EMAUTH_ERR_NOMEM only.
 */
emauth_status ea_edit_merge(ea_arena *a, const emauth_spf_record *base, const ea_new_term *terms,
                            size_t n, int default_all, ea_merge *out);

/* 1 when a and b mean the same: kind, qualifier, domain-spec (any case), range. */
int ea_edit_term_equal(const emauth_spf_term *a, const emauth_spf_term *b);

/*
 * What follows the ranges in the domain's flattened record: the non-'+'
 * ip4:/ip6: terms along the redirect chain from root, in order, its final
 * all ("~all" when none), and the domain's exp= when that all is its own;
 * each term after a space. NULL when out of memory.
 */
const char *ea_edit_flat_tail(ea_arena *a, const emauth_lint_node *root);

/* What a flattening packs. */
typedef struct ea_pack_input {
    const char *domain;
    const emauth_cidr *ranges;
    size_t nranges;
    const char *tail;          /* " -ip4:... ~all exp=..." for the domain's record */
    size_t other_rdata, nother;   /* the other TXT records at the domain */
    const emauth_spf_edit_limits *limits;
} ea_pack_input;

/*
 * Packs the ranges into the domain's record and chained _spfN records.
 * EMAUTH_ERR_LIMIT with *why set (arena text) when they cannot fit.
 */
emauth_status ea_edit_pack(ea_arena *a, const ea_pack_input *in, emauth_spf_txt **out,
                           size_t *nout, const char **why);

/* Fills txt (owner, record, zone line, answer size) for one record, copies in the arena. */
emauth_status ea_edit_txt(ea_arena *a, const char *owner, const char *record, size_t len,
                          size_t other_rdata, size_t nother, uint32_t ttl, emauth_spf_txt *txt);

/*
 * *out = the addresses of a not in b (both merged: sorted, no overlaps),
 * as merged ranges in the arena.
 */
emauth_status ea_edit_diff(ea_arena *a, const emauth_cidr *x, size_t nx, const emauth_cidr *y,
                           size_t ny, emauth_cidr **out, size_t *nout);

#endif
