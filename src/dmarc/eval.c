/*
 * The DMARC evaluation of a message (RFC 9989 §4.4, §4.10, §5.3; RFC 7489
 * §3.1, §6.6) as a sans-I/O machine.
 *
 *   1. The From domain's walk (dmarc/discover.h) finds the record that
 *      applies and the organizational domain; no record: none; a DNS
 *      error: temperror; a record that cannot be used: permerror.
 *   2. Each passed identifier (SPF, then each DKIM d=) is aligned: strict
 *      is equality; relaxed is the same organizational domain (9989: the
 *      identifier's own walk; 7489: the PSL, no DNS).
 *   3. pass when one aligned identifier passed, else fail (temperror when
 *      an identifier's walk failed and none aligned).
 *   4. On fail, the policy: p for the policy domain itself; for a
 *      subdomain sp, or np when the From domain does not exist (9989: an
 *      A query answering NXDOMAIN, asked only when np= is published);
 *      then t=y (9989) or pct sampling (7489) lower it one step.
 *
 * step() asks every question from one place; answer() only records.
 * Answers to _dmarc names are kept for the evaluation, so walks that
 * cross the same names (the From domain and a DKIM d= under it) ask once.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <emauth/dmarc.h>
#include "dmarc/discover.h"
#include "dmarc/record_internal.h"
#include "dns/drive.h"
#include "spf/names.h"
#include "util/arena.h"
#include "util/error.h"

#define MAX_DKIM 10                                   /* DKIM identifiers aligned */
#define MAX_IDS (1 + MAX_DKIM)
#define CACHE_MAX (EA_DMARC_WALK_MAX * (1 + MAX_IDS))

typedef enum phase { PH_IDLE, PH_FROM, PH_IDS, PH_EXIST, PH_DONE } phase;
typedef enum want { W_NONE, W_WALK, W_EXIST } want;

typedef struct ident {
    const char *domain;     /* normalized */
    int is_dkim;
    int pending;            /* relaxed 9989: needs a walk */
    int aligned;
    int error;              /* its walk failed */
} ident;

typedef struct cached {
    const char *qname;
    ea_dmarc_step st;
} cached;

struct emauth_dmarc_eval {
    ea_arena arena;
    psl_ctx_t *psl_owned;
    const psl_ctx_t *psl;
    emauth_dmarc_request req;
    phase ph;
    want want;
    emauth_dns_question q;
    const char *from;
    const char *org;
    ea_dmarc_walk fw;               /* the From domain's walk */
    ea_dmarc_walk iw;               /* the current identifier's walk */
    int iw_started;
    size_t nids, cur;
    ident ids[MAX_IDS];
    size_t ncache;
    cached cache[CACHE_MAX];
    ea_dmarc_parsed *rec;
    int fallback_none;              /* no valid p=, a valid rua=: as if p=none (§4.10.1) */
    int subdomain;                  /* the record is an ancestor's */
    emauth_dmarc_result res;
};

const char *emauth_dmarc_verdict_name(emauth_dmarc_verdict v)
{
    switch (v) {
    case EMAUTH_DMARC_NONE: return "none";
    case EMAUTH_DMARC_PASS: return "pass";
    case EMAUTH_DMARC_FAIL: return "fail";
    case EMAUTH_DMARC_TEMPERROR: return "temperror";
    case EMAUTH_DMARC_PERMERROR: return "permerror";
    }
    return "unknown";
}

emauth_status emauth_dmarc_eval_new(emauth_dmarc_eval **out)
{
    if (out == NULL)
        return EMAUTH_ERR_INVALID;
    *out = calloc(1, sizeof **out);
    if (*out == NULL)
        return EMAUTH_ERR_NOMEM;
    ea_arena_init(&(*out)->arena);
    return EMAUTH_OK;
}

void emauth_dmarc_eval_free(emauth_dmarc_eval *e)
{
    if (e == NULL)
        return;
    ea_dmarc_parsed_free(e->rec);
    if (e->psl_owned != NULL)
        psl_free(e->psl_owned);
    ea_arena_free(&e->arena);
    free(e);
}

static void reason(emauth_dmarc_eval *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void reason(emauth_dmarc_eval *e, const char *fmt, ...)
{
    char buf[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    const char *r = ea_arena_strndup(&e->arena, buf, strlen(buf));
    e->res.reason = r != NULL ? r : "out of memory";
}

static void finish(emauth_dmarc_eval *e, emauth_dmarc_verdict v)
{
    e->res.verdict = v;
    if (v != EMAUTH_DMARC_FAIL)
        e->res.policy = EMAUTH_DMARC_P_NONE;
    e->ph = PH_DONE;
    e->want = W_NONE;
}

emauth_status emauth_dmarc_eval_start(emauth_dmarc_eval *e, const emauth_dmarc_request *req,
                                      emauth_error *err)
{
    if (e == NULL || req == NULL)
        return ea_error(err, EMAUTH_ERR_INVALID, 0, 0, "no evaluator or request");
    if (req->ndkim > 0 && req->dkim == NULL)
        return ea_error(err, EMAUTH_ERR_INVALID, 0, 0, "ndkim without dkim");
    ea_dmarc_parsed_free(e->rec);
    e->rec = NULL;
    ea_arena_reset(&e->arena);
    e->req = *req;
    e->ph = PH_FROM;
    e->want = W_NONE;
    e->from = e->org = NULL;
    e->iw_started = 0;
    e->nids = e->cur = e->ncache = 0;
    memset(e->ids, 0, sizeof e->ids);
    e->fallback_none = e->subdomain = 0;
    memset(&e->res, 0, sizeof e->res);
    if (req->mode != EMAUTH_DMARC_9989 && req->mode != EMAUTH_DMARC_7489)
        return ea_error(err, EMAUTH_ERR_INVALID, 0, 0, "unknown DMARC mode");
    if (req->mode == EMAUTH_DMARC_7489 && e->psl == NULL)
        e->psl = ea_dmarc_psl(&e->psl_owned);

    if (req->from_domain == NULL) {
        reason(e, "no usable From domain: %s",
               req->from_problem != NULL ? req->from_problem : "none given");
        finish(e, EMAUTH_DMARC_PERMERROR);
        return EMAUTH_OK;
    }
    emauth_status st = ea_dmarc_norm(&e->arena, req->from_domain, strlen(req->from_domain),
                                     &e->from);
    if (st == EMAUTH_ERR_NOMEM)
        return ea_error(err, st, 0, 0, "out of memory");
    if (st != EMAUTH_OK) {
        char q[80];
        reason(e, "the From domain %s is not a valid domain name",
               ea_quote(q, sizeof q, req->from_domain, strlen(req->from_domain), 60));
        finish(e, EMAUTH_DMARC_PERMERROR);
        return EMAUTH_OK;
    }
    e->res.from_domain = e->from;

    /* The identifiers, copied: the request's strings need not outlive start(). */
    if (req->spf.domain != NULL && req->spf.passed &&
        ea_dmarc_norm(&e->arena, req->spf.domain, strlen(req->spf.domain),
                      &e->ids[e->nids].domain) == EMAUTH_OK)
        e->nids++;
    for (size_t i = 0; i < req->ndkim && e->nids < MAX_IDS; i++) {
        const emauth_dmarc_identifier *d = &req->dkim[i];
        if (d->domain == NULL || !d->passed)
            continue;
        ident *id = &e->ids[e->nids];
        if (ea_dmarc_norm(&e->arena, d->domain, strlen(d->domain), &id->domain) == EMAUTH_OK) {
            id->is_dkim = 1;
            e->nids++;
        }
    }
    e->req.spf.domain = NULL;
    e->req.dkim = NULL;
    e->req.from_domain = e->from;
    e->req.from_problem = NULL;
    ea_dmarc_walk_init(&e->fw, req->mode, e->psl, e->from);
    return EMAUTH_OK;
}

/* ---- questions ------------------------------------------------------------ */

static const cached *cache_find(const emauth_dmarc_eval *e, const char *qname)
{
    for (size_t i = 0; i < e->ncache; i++)
        if (strcmp(e->cache[i].qname, qname) == 0)
            return &e->cache[i];
    return NULL;
}

/*
 * Advances walk w: 1 when a question was set (NEED_DNS), 0 when the walk
 * is over. Names already answered are fed from the cache.
 */
static int walk_step(emauth_dmarc_eval *e, ea_dmarc_walk *w)
{
    const char *qn;
    while ((qn = ea_dmarc_walk_question(w)) != NULL) {
        const cached *c = cache_find(e, qn);
        if (c == NULL) {
            e->want = W_WALK;
            e->q.name = qn;
            e->q.type = EMAUTH_DNS_TXT;
            return 1;
        }
        ea_dmarc_walk_record(w, &c->st);
    }
    return 0;
}

static emauth_dmarc_policy lower_one(emauth_dmarc_policy p)
{
    return p == EMAUTH_DMARC_P_REJECT ? EMAUTH_DMARC_P_QUARANTINE : EMAUTH_DMARC_P_NONE;
}

/* splitmix64: the same seed, the same draw. */
static uint64_t splitmix64(uint64_t x)
{
    uint64_t z = x + 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* The policy chosen (p, sp or np): t=y and pct, then done. */
static void apply_policy(emauth_dmarc_eval *e, emauth_dmarc_policy p, const char *which)
{
    const emauth_dmarc_record *r = &e->rec->pub;
    e->res.policy = p;
    if (e->req.mode == EMAUTH_DMARC_9989 && r->testing && p != EMAUTH_DMARC_P_NONE) {
        e->res.policy = lower_one(p);
        reason(e, "no aligned SPF or DKIM pass; %s=%s of %s, in testing (t=y): %s applied", which,
               emauth_dmarc_policy_name(p), e->res.policy_domain,
               emauth_dmarc_policy_name(e->res.policy));
    } else if (e->req.mode == EMAUTH_DMARC_7489 && r->pct < 100 && p != EMAUTH_DMARC_P_NONE &&
               splitmix64(e->req.pct_seed) % 100 >= r->pct) {
        e->res.sampled_out = 1;
        e->res.policy = lower_one(p);
        reason(e, "no aligned SPF or DKIM pass; %s=%s of %s, sampled out by pct=%u: %s applied",
               which, emauth_dmarc_policy_name(p), e->res.policy_domain, r->pct,
               emauth_dmarc_policy_name(e->res.policy));
    } else {
        reason(e, "no aligned SPF or DKIM pass; %s=%s of %s", which, emauth_dmarc_policy_name(p),
               e->res.policy_domain);
    }
    finish(e, EMAUTH_DMARC_FAIL);
}

/* The From walk is over: the record, then alignment. 1 when finished. */
static int after_from(emauth_dmarc_eval *e)
{
    ea_dmarc_walk *w = &e->fw;
    if (w->error) {
        const ea_dmarc_step *s = &w->steps[w->nsteps - 1];
        reason(e, "DNS %s for _dmarc.%s", emauth_dns_rcode_name(s->rcode), s->name);
        finish(e, EMAUTH_DMARC_TEMPERROR);
        return 1;
    }
    e->org = ea_dmarc_walk_org(w);
    e->res.org_domain = e->org;
    const ea_dmarc_step *ps = ea_dmarc_walk_policy(w);
    if (ps == NULL) {
        const ea_dmarc_step *several = NULL;   /* where records were discarded as several */
        for (size_t i = 0; i < w->nsteps && several == NULL; i++)
            if (w->steps[i].nrecords > 1)
                several = &w->steps[i];
        if (several != NULL)
            reason(e, "no DMARC policy record for %s (%zu DMARC records at _dmarc.%s are "
                   "discarded)", e->from, several->nrecords, several->name);
        else
            reason(e, "no DMARC policy record for %s", e->from);
        finish(e, EMAUTH_DMARC_NONE);
        return 1;
    }
    e->res.policy_domain = ps->name;
    e->subdomain = strcmp(ps->name, e->from) != 0;
    if (ea_dmarc_parse(ps->text, ps->text_len, e->req.mode, &e->rec) != EMAUTH_OK)
        return -1;
    const emauth_dmarc_record *r = &e->rec->pub;
    if (e->rec->fatal) {
        reason(e, "the DMARC record of %s is unusable: %s", ps->name, e->rec->issues[0].message);
        finish(e, EMAUTH_DMARC_PERMERROR);
        return 1;
    }
    if (!r->has_p || e->rec->bad_policy) {
        if (r->nrua == 0) {
            reason(e, "the DMARC record of %s has no valid p=%s and no valid rua=", ps->name,
                   e->rec->bad_policy ? " (or sp=/np=)" : "");
            finish(e, EMAUTH_DMARC_PERMERROR);
            return 1;
        }
        e->fallback_none = 1;     /* RFC 9989 §4.10.1, RFC 7489 §6.6.3 step 6 */
    }
    e->res.record = r;
    e->res.testing = e->req.mode == EMAUTH_DMARC_9989 && r->testing;

    for (size_t i = 0; i < e->nids; i++) {
        ident *id = &e->ids[i];
        char mode = id->is_dkim ? r->adkim : r->aspf;
        if (strcmp(id->domain, e->from) == 0)
            id->aligned = 1;
        else if (mode == 's')
            id->aligned = 0;
        else if (e->req.mode == EMAUTH_DMARC_7489)
            id->aligned = strcmp(ea_dmarc_psl_org(e->psl, id->domain), e->org) == 0;
        else
            id->pending = 1;
    }
    e->ph = PH_IDS;
    e->cur = 0;
    e->iw_started = 0;
    return 0;
}

/* Every identifier is aligned or not: the verdict; 1 when finished. */
static int after_ids(emauth_dmarc_eval *e)
{
    int error = 0;
    for (size_t i = 0; i < e->nids; i++) {
        ident *id = &e->ids[i];
        if (id->aligned) {
            if (id->is_dkim && !e->res.dkim_aligned) {
                e->res.dkim_aligned = 1;
                e->res.dkim_aligned_domain = id->domain;
            } else if (!id->is_dkim) {
                e->res.spf_aligned = 1;
            }
        }
        error |= id->error;
    }
    if (e->res.spf_aligned || e->res.dkim_aligned) {
        reason(e, "%s aligned with %s (policy of %s)",
               e->res.spf_aligned && e->res.dkim_aligned ? "SPF and DKIM"
               : e->res.spf_aligned ? "SPF" : "DKIM",
               e->from, e->res.policy_domain);
        finish(e, EMAUTH_DMARC_PASS);
        return 1;
    }
    if (error) {
        reason(e, "DNS error finding an identifier's organizational domain");
        finish(e, EMAUTH_DMARC_TEMPERROR);
        return 1;
    }
    const emauth_dmarc_record *r = &e->rec->pub;
    if (e->fallback_none) {
        e->res.policy = EMAUTH_DMARC_P_NONE;
        reason(e, "no aligned SPF or DKIM pass; the record of %s has no valid p=, as p=none",
               e->res.policy_domain);
        finish(e, EMAUTH_DMARC_FAIL);
        return 1;
    }
    if (!e->subdomain) {
        apply_policy(e, r->p, "p");
        return 1;
    }
    if (e->req.mode == EMAUTH_DMARC_9989 && r->has_np) {
        e->ph = PH_EXIST;
        return 0;
    }
    apply_policy(e, r->sp, r->has_sp ? "sp" : "p");
    return 1;
}

static emauth_status step(emauth_dmarc_eval *e)
{
    for (;;) {
        int f;
        switch (e->ph) {
        case PH_FROM:
            if (walk_step(e, &e->fw))
                return EMAUTH_NEED_DNS;
            f = after_from(e);
            if (f < 0)
                return EMAUTH_ERR_NOMEM;
            break;
        case PH_IDS:
            while (e->cur < e->nids && !e->ids[e->cur].pending)
                e->cur++;
            if (e->cur == e->nids) {
                after_ids(e);
                break;
            }
            if (!e->iw_started) {
                ea_dmarc_walk_init(&e->iw, EMAUTH_DMARC_9989, NULL, e->ids[e->cur].domain);
                e->iw_started = 1;
            }
            if (walk_step(e, &e->iw))
                return EMAUTH_NEED_DNS;
            {
                ident *id = &e->ids[e->cur];
                if (e->iw.error)
                    id->error = 1;
                else
                    id->aligned = strcmp(ea_dmarc_walk_org(&e->iw), e->org) == 0;
                id->pending = 0;
                e->iw_started = 0;
            }
            break;
        case PH_EXIST:
            e->want = W_EXIST;
            e->q.name = e->from;
            e->q.type = EMAUTH_DNS_A;
            return EMAUTH_NEED_DNS;
        case PH_IDLE:
            return EMAUTH_ERR_INVALID;
        case PH_DONE:
            return EMAUTH_OK;
        }
    }
}

emauth_status emauth_dmarc_eval_next(emauth_dmarc_eval *e, const emauth_dns_question **q)
{
    if (q == NULL || e == NULL)
        return EMAUTH_ERR_INVALID;
    *q = NULL;
    if (e->want != W_NONE) {
        *q = &e->q;
        return EMAUTH_NEED_DNS;
    }
    emauth_status st = step(e);
    if (st == EMAUTH_NEED_DNS) {
        *q = &e->q;
    } else if (st != EMAUTH_OK && e->ph != PH_IDLE) {
        reason(e, "internal: %s", emauth_status_str(st));
        finish(e, EMAUTH_DMARC_TEMPERROR);
    }
    return st;
}

emauth_status emauth_dmarc_eval_answer(emauth_dmarc_eval *e, const emauth_dns_answer *a)
{
    if (e == NULL || a == NULL || e->want == W_NONE)
        return EMAUTH_ERR_INVALID;
    want w = e->want;
    e->want = W_NONE;
    if (w == W_EXIST) {
        const emauth_dmarc_record *r = &e->rec->pub;
        if (ea_answer_error(a)) {
            reason(e, "DNS %s asking whether %s exists", emauth_dns_rcode_name(a->rcode), e->from);
            finish(e, EMAUTH_DMARC_TEMPERROR);
        } else if (a->rcode == EMAUTH_DNS_NXDOMAIN) {
            apply_policy(e, r->np, "np");
        } else {
            apply_policy(e, r->sp, r->has_sp ? "sp" : "p");
        }
        return EMAUTH_OK;
    }
    ea_dmarc_walk *walk = e->ph == PH_FROM ? &e->fw : &e->iw;
    ea_dmarc_step st;
    if (ea_dmarc_classify(a, &e->arena, &st) != EMAUTH_OK)
        return EMAUTH_ERR_NOMEM;
    if (e->ncache < CACHE_MAX) {
        const char *qn = ea_arena_strndup(&e->arena, e->q.name, strlen(e->q.name));
        if (qn == NULL)
            return EMAUTH_ERR_NOMEM;
        e->cache[e->ncache].qname = qn;
        e->cache[e->ncache].st = st;
        e->ncache++;
    }
    ea_dmarc_walk_record(walk, &st);
    return EMAUTH_OK;
}

static emauth_status drive_next(void *m, const emauth_dns_question **q)
{
    return emauth_dmarc_eval_next(m, q);
}

static emauth_status drive_answer(void *m, const emauth_dns_answer *a)
{
    return emauth_dmarc_eval_answer(m, a);
}

emauth_status emauth_dmarc_eval_run(emauth_dmarc_eval *e, emauth_resolver *resolver)
{
    if (e == NULL || resolver == NULL)
        return EMAUTH_ERR_INVALID;
    return ea_drive(e, drive_next, drive_answer, resolver);
}

const emauth_dmarc_result *emauth_dmarc_eval_result(const emauth_dmarc_eval *e)
{
    if (e == NULL || e->ph != PH_DONE)
        return NULL;
    return &e->res;
}
