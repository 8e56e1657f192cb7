/*
 * The SPF editor (emauth/spf_edit.h): add, flatten and drift check as one
 * sans-I/O state machine.
 *
 *   start -- record given -----------------------> (merge) --> ANALYZE --> finish --> DONE
 *     '--> TXT DOMAIN -- one record -------------------^   (the analyzer's questions)
 *            |-- none (add) --> MX DOMAIN -------------^
 *            '-- several, syntax, DNS failure, none (flatten, check): refused --> DONE
 *
 * The analyzer (emauth/spf_lint.h) gives the lookup count and the ranges;
 * edit_merge.c merges, edit_flat.c packs and compares ranges.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <emauth/spf_lint.h>
#include "spf/edit_internal.h"
#include "spf/record_internal.h"
#include "util/buf.h"
#include "dns/drive.h"
#include "util/error.h"

/* The longest record a caller may give (the evaluator's default max_record_len). */
#define GIVEN_RECORD_MAX 4096

enum op { OP_NONE, OP_ADD, OP_FLATTEN, OP_CHECK };
enum stage { ST_IDLE, ST_TXT, ST_MX, ST_ANALYZE, ST_DONE };

struct emauth_spf_editor {
    ea_arena arena;                /* everything of the current operation */
    emauth_spf_lint *lint;
    emauth_spf_edit_limits limits;
    enum op op;
    enum stage stage;
    emauth_dns_question q;
    emauth_spf_edit_result res;
    emauth_spf_record rec;         /* the record edited, parsed (when res.record) */
    const ea_new_term *terms;      /* add */
    size_t nterms;
    int flatten;                   /* add: flatten over the limit */
    int from_dns;                  /* the record was looked up, not given */
    size_t other_rdata, nother;    /* the other TXT records at the domain */
    const char *published_top;     /* check: the flattened set's record at the domain */
};

void emauth_spf_edit_limits_default(emauth_spf_edit_limits *limits)
{
    limits->dns_lookups = 10;
    limits->udp_size = 512;
    limits->ttl = 3600;
}

emauth_status emauth_spf_editor_new(emauth_spf_editor **out)
{
    *out = calloc(1, sizeof **out);
    if (*out == NULL)
        return EMAUTH_ERR_NOMEM;
    ea_arena_init(&(*out)->arena);
    if (emauth_spf_lint_new(&(*out)->lint) != EMAUTH_OK) {
        free(*out);
        *out = NULL;
        return EMAUTH_ERR_NOMEM;
    }
    return EMAUTH_OK;
}

void emauth_spf_editor_free(emauth_spf_editor *e)
{
    if (e == NULL)
        return;
    emauth_spf_lint_free(e->lint);
    ea_arena_free(&e->arena);
    free(e);
}

const emauth_spf_edit_result *emauth_spf_editor_result(const emauth_spf_editor *e)
{
    return e->stage == ST_DONE ? &e->res : NULL;
}

/* ---- Small helpers ------------------------------------------------------------ */

static emauth_status nomem(emauth_error *err)
{
    return ea_error(err, EMAUTH_ERR_NOMEM, 0, 0, "out of memory");
}

static char *arena_printf(ea_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static char *arena_printf(ea_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = n >= 0 ? ea_arena_alloc(a, (size_t)n + 1) : NULL;
    if (s != NULL) {
        va_start(ap, fmt);
        vsnprintf(s, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    return s;
}

/* Ends the operation as refused: code, one-line reason (already formatted), column. */
static emauth_status refuse(emauth_spf_editor *e, const char *code, unsigned column,
                            const char *reason)
{
    if (reason == NULL)   /* out of memory formatting it: no result at all */
        return EMAUTH_ERR_NOMEM;
    e->res.refused = code;
    e->res.reason = reason;
    e->res.column = column;
    e->stage = ST_DONE;
    return EMAUTH_OK;
}

/* A DNS name as given: printable, labels of 1-63 bytes, 253 in all; kept lower-cased. */
static emauth_status set_domain(emauth_spf_editor *e, const char *d, emauth_error *err)
{
    size_t len = strlen(d);
    if (len > 1 && d[len - 1] == '.')
        len--;   /* absolute form */
    size_t label = 0;
    int ok = len > 0 && len <= 253;
    for (size_t i = 0; ok && i < len; i++) {
        unsigned char c = (unsigned char)d[i];
        label = c == '.' ? 0 : label + 1;
        ok = c > 0x20 && c < 0x7f && strchr("\"();\\", c) == NULL && label <= 63 &&
             (c != '.' || (i > 0 && d[i - 1] != '.'));
    }
    if (!ok || d[0] == '.' || d[len - 1] == '.') {
        char q[96];
        return ea_error(err, EMAUTH_ERR_INVALID, 0, 0, "\"%s\" is not a domain name",
                        ea_quote(q, sizeof q, d, strlen(d), 64));
    }
    char *copy = ea_arena_strndup(&e->arena, d, len);
    if (copy == NULL)
        return nomem(err);
    for (char *p = copy; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p + 32);
    e->res.domain = copy;
    return EMAUTH_OK;
}

/* Forgets the previous operation and starts op. */
static emauth_status reset(emauth_spf_editor *e, enum op op, const char *domain,
                           const emauth_spf_edit_limits *limits, emauth_error *err)
{
    emauth_spf_lint *lint = e->lint;
    ea_arena arena = e->arena;
    memset(e, 0, sizeof *e);
    e->lint = lint;
    e->arena = arena;
    ea_arena_reset(&e->arena);
    e->op = op;
    if (limits != NULL)
        e->limits = *limits;
    else
        emauth_spf_edit_limits_default(&e->limits);
    if (e->limits.dns_lookups > 100 || e->limits.udp_size < 64)
        return ea_error(err, EMAUTH_ERR_INVALID, 0, 0, "limits out of range");
    return domain != NULL ? set_domain(e, domain, err) : EMAUTH_OK;
}

/* ---- The record -------------------------------------------------------------- */

/*
 * Keeps the record edited and parses it. A syntax error in a published
 * record refuses the edit; in a given one it fails the call.
 */
static emauth_status take_record(emauth_spf_editor *e, const char *text, size_t len,
                                 emauth_error *err)
{
    char *copy = ea_arena_strndup(&e->arena, text, len);
    if (copy == NULL)
        return nomem(err);
    e->res.record = copy;
    emauth_error perr;
    emauth_error_clear(&perr);
    emauth_status st = ea_spf_parse(&e->arena, copy, len, &e->rec, &perr);
    if (st == EMAUTH_OK)
        return st;
    if (st == EMAUTH_ERR_NOMEM)
        return nomem(err);
    if (!e->from_dns) {
        if (err != NULL)
            *err = perr;
        return st;
    }
    return refuse(e, "syntax", perr.column,
                  arena_printf(&e->arena, "%s: %s", e->res.domain, perr.message));
}

/* The record to merge into when the domain has none: "v=spf1", with "mx" when it has MX. */
static emauth_status synthesize(emauth_spf_editor *e, int has_mx)
{
    const char *text = has_mx ? "v=spf1 mx" : "v=spf1";
    return ea_spf_parse(&e->arena, text, strlen(text), &e->rec, NULL);
}

static emauth_status merge(emauth_spf_editor *e)
{
    ea_merge m;
    emauth_status st = ea_edit_merge(&e->arena, &e->rec, e->terms, e->nterms,
                                     e->res.record == NULL, &m);
    if (st != EMAUTH_OK)
        return st;
    if (m.conflict != NULL)
        return refuse(e, "conflicting-all", 0,
                      arena_printf(&e->arena, "%s%s%s", e->res.domain ? e->res.domain : "",
                                   e->res.domain ? ": " : "", m.conflict));
    e->res.merged = m.text;
    e->res.added = m.added;
    e->res.nadded = m.nadded;
    e->res.skipped = m.skipped;
    e->res.nskipped = m.nskipped;
    return EMAUTH_OK;
}

/* The record is known (or known to be absent): merge, then analyze. */
static emauth_status proceed(emauth_spf_editor *e)
{
    if (e->op == OP_ADD) {
        emauth_status st = merge(e);
        if (st != EMAUTH_OK || e->stage == ST_DONE)
            return st;
    }
    if (e->op == OP_CHECK && e->from_dns && strcmp(e->res.record, e->published_top) == 0)
        return refuse(e, "source-unknown", 0,
                      arena_printf(&e->arena, "%s publishes the flattened record itself: give "
                                   "the record it was flattened from", e->res.domain));
    const char *text = e->op == OP_ADD ? e->res.merged : e->res.record;
    emauth_status st = emauth_spf_lint_start(e->lint, e->res.domain, text, strlen(text), NULL);
    if (st != EMAUTH_OK)
        return st;
    e->stage = ST_ANALYZE;
    return EMAUTH_OK;
}

/* A given record, or the domain's to be looked up. */
static emauth_status begin(emauth_spf_editor *e, const char *record, size_t len,
                           emauth_error *err)
{
    if (record == NULL) {
        e->from_dns = 1;
        e->stage = ST_TXT;
        return EMAUTH_OK;
    }
    if (len > GIVEN_RECORD_MAX)
        return ea_error(err, EMAUTH_ERR_LIMIT, 0, 0, "the record is over %d bytes",
                        GIVEN_RECORD_MAX);
    emauth_status st = take_record(e, record, len, err);
    if (st == EMAUTH_OK)
        st = proceed(e);
    return st == EMAUTH_ERR_NOMEM ? nomem(err) : st;
}

/* ---- DNS answers ---------------------------------------------------------------- */

static emauth_status dns_failed(emauth_spf_editor *e, const emauth_dns_answer *a)
{
    return refuse(e, "dns-error", 0,
                  arena_printf(&e->arena, "%s: the %s lookup failed: %s%s%s", e->res.domain,
                               emauth_dns_type_name(e->q.type), emauth_dns_rcode_name(a->rcode),
                               a->why ? ": " : "", a->why ? a->why : ""));
}

static emauth_status take_txt(emauth_spf_editor *e, const emauth_dns_answer *a)
{
    if (a->rcode == EMAUTH_DNS_SERVFAIL || a->rcode == EMAUTH_DNS_TIMEOUT)
        return dns_failed(e, a);
    const emauth_dns_rr *spf = NULL;
    size_t nspf = 0;
    for (size_t i = 0; a->rcode == EMAUTH_DNS_OK && i < a->count; i++) {
        const emauth_dns_rr *rr = &a->rrs[i];
        if (rr->type != EMAUTH_DNS_TXT)
            continue;
        if (emauth_spf_is_record(rr->u.txt.data, rr->u.txt.len)) {
            spf = rr;
            nspf++;
        } else {
            e->other_rdata += rr->u.txt.len + rr->u.txt.nstrings;
            e->nother++;
        }
    }
    if (nspf > 1)
        return refuse(e, "multiple-records", 0,
                      arena_printf(&e->arena, "%s publishes %zu SPF records, and only one is "
                                   "allowed (RFC 7208 section 3.2): merge them first",
                                   e->res.domain, nspf));
    if (nspf == 1) {
        emauth_status st = take_record(e, spf->u.txt.data, spf->u.txt.len, NULL);
        return st != EMAUTH_OK || e->stage == ST_DONE ? st : proceed(e);
    }
    if (e->op != OP_ADD)
        return refuse(e, "no-record", 0,
                      arena_printf(&e->arena, "%s publishes no SPF record", e->res.domain));
    e->stage = ST_MX;
    return EMAUTH_OK;
}

static emauth_status take_mx(emauth_spf_editor *e, const emauth_dns_answer *a)
{
    if (a->rcode == EMAUTH_DNS_SERVFAIL || a->rcode == EMAUTH_DNS_TIMEOUT)
        return dns_failed(e, a);
    int has_mx = 0;
    for (size_t i = 0; a->rcode == EMAUTH_DNS_OK && i < a->count; i++)
        has_mx |= a->rrs[i].type == EMAUTH_DNS_MX && a->rrs[i].u.mx.exchange[0] != '\0';
    emauth_status st = synthesize(e, has_mx);
    return st != EMAUTH_OK ? st : proceed(e);
}

/* ---- Finishing ---------------------------------------------------------------------- */

/* The analyzer's authorized ranges, copied; refused with code when it gives none. */
static emauth_status authorized(emauth_spf_editor *e, const emauth_lint_report *r,
                                const char *code, emauth_cidr **out, size_t *n)
{
    emauth_cidr *v = NULL;
    emauth_error aerr;
    emauth_error_clear(&aerr);
    *out = NULL;
    *n = 0;
    emauth_status st = emauth_lint_authorized(r, &v, n, &aerr);
    if (st == EMAUTH_ERR_NOMEM)
        return st;
    if (st != EMAUTH_OK) {
        free(v);
        *n = 0;
        return refuse(e, code, 0, arena_printf(&e->arena, "%s: %s", e->res.domain, aerr.message));
    }
    *out = *n ? ea_arena_alloc(&e->arena, *n * sizeof **out) : NULL;
    if (*n && *out == NULL) {
        free(v);
        return EMAUTH_ERR_NOMEM;
    }
    if (*n)
        memcpy(*out, v, *n * sizeof **out);
    free(v);
    if (*n > EMAUTH_EDIT_MAX_RANGES)
        return refuse(e, "too-large", 0,
                      arena_printf(&e->arena, "%s authorizes %zu ranges, over %d",
                                   e->res.domain, *n, EMAUTH_EDIT_MAX_RANGES));
    return EMAUTH_OK;
}

static emauth_status flatten_report(emauth_spf_editor *e, const emauth_lint_report *r)
{
    emauth_cidr *ranges;
    size_t n;
    emauth_status st = authorized(e, r, "not-a-union", &ranges, &n);
    if (st != EMAUTH_OK || e->stage == ST_DONE)
        return st;
    const char *tail = ea_edit_flat_tail(&e->arena, r->tree);
    if (tail == NULL)
        return EMAUTH_ERR_NOMEM;
    ea_pack_input in = {e->res.domain, ranges, n, tail, e->other_rdata, e->nother, &e->limits};
    emauth_spf_txt *txt;
    size_t ntxt;
    const char *why = NULL;
    st = ea_edit_pack(&e->arena, &in, &txt, &ntxt, &why);
    if (st == EMAUTH_ERR_LIMIT)
        return refuse(e, "too-large", 0, why);
    if (st != EMAUTH_OK)
        return st;
    e->res.flattened = 1;
    e->res.ranges = ranges;
    e->res.nranges = n;
    e->res.publish = txt;
    e->res.npublish = ntxt;
    e->res.publish_lookups = (unsigned)ntxt - 1;
    return EMAUTH_OK;
}

/* "include:a.example (5), include:b.example (3)": the three costliest terms of the root. */
static const char *costliest(emauth_spf_editor *e, const emauth_lint_node *root)
{
    const emauth_lint_node *top[3] = {NULL, NULL, NULL};
    for (size_t i = 0; i < root->nchildren; i++) {
        const emauth_lint_node *c = root->children[i];
        for (size_t k = 0; k < 3 && c->via != NULL; k++) {
            if (top[k] == NULL || c->subtree > top[k]->subtree) {
                memmove(top + k + 1, top + k, (2 - k) * sizeof *top);
                top[k] = c;
                break;
            }
        }
    }
    ea_buf b;
    ea_buf_init(&b);
    int failed = 0;
    for (size_t k = 0; k < 3 && top[k] != NULL; k++)   /* an include costs itself too */
        failed |= ea_buf_printf(&b, "%s%s (%u)", k ? ", " : "", top[k]->via, top[k]->subtree + 1);
    const char *s = failed ? NULL : ea_arena_strndup(&e->arena, ea_buf_cstr(&b), b.len);
    ea_buf_free(&b);
    return s;
}

static emauth_status over_limit(emauth_spf_editor *e, const emauth_lint_report *r)
{
    const char *top = costliest(e, r->tree);
    if (top == NULL)
        return EMAUTH_ERR_NOMEM;
    const char *d = e->res.domain ? e->res.domain : "the record";
    return refuse(e, "too-many-lookups", 0,
                  arena_printf(&e->arena, "%s: the merged record needs %u DNS lookups, over the "
                               "limit of %u%s%s; --flatten would flatten it", d, r->dns_lookups,
                               e->limits.dns_lookups, *top ? "; costliest: " : "", top));
}

/* Errors the analyzer found in the merged record, besides the count; a too large answer. */
static emauth_status add_warnings(emauth_spf_editor *e, const emauth_lint_report *r)
{
    const char **w = ea_arena_alloc(&e->arena, (r->nproblems + 1) * sizeof *w);
    if (w == NULL)
        return EMAUTH_ERR_NOMEM;
    size_t n = 0;
    for (size_t i = 0; i < r->nproblems; i++) {
        const emauth_lint_problem *p = &r->problems[i];
        if (p->severity != EMAUTH_LINT_ERROR || strcmp(p->code, "too-many-lookups") == 0)
            continue;
        if ((w[n++] = arena_printf(&e->arena, "%s: %s", p->code, p->message)) == NULL)
            return EMAUTH_ERR_NOMEM;
    }
    if (e->res.npublish == 1 && e->res.publish[0].answer_size > e->limits.udp_size &&
        (w[n++] = arena_printf(&e->arena, "the TXT answer at %s would be %zu bytes, over %zu "
                               "(UDP): --flatten can split it", e->res.domain,
                               e->res.publish[0].answer_size, e->limits.udp_size)) == NULL)
        return EMAUTH_ERR_NOMEM;
    e->res.warnings = w;
    e->res.nwarnings = n;
    return EMAUTH_OK;
}

/* An error the analyzer found at one of the added terms, or NULL. */
static const emauth_lint_problem *added_term_error(const emauth_spf_editor *e,
                                                   const emauth_lint_report *r)
{
    for (size_t i = 0; i < r->nproblems; i++) {
        const emauth_lint_problem *p = &r->problems[i];
        /* the lookup count has its own refusal, and --flatten fixes it */
        if (p->severity != EMAUTH_LINT_ERROR || p->term == NULL || p->record != r->record ||
            strcmp(p->code, "too-many-lookups") == 0)
            continue;
        for (size_t k = 0; k < e->res.nadded; k++)
            if (strcasecmp(p->term, e->res.added[k]) == 0)
                return p;
    }
    return NULL;
}

static emauth_status finish_add(emauth_spf_editor *e, const emauth_lint_report *r)
{
    e->res.lookups = r->dns_lookups;
    const emauth_lint_problem *bad = added_term_error(e, r);
    if (bad != NULL)
        return refuse(e, "added-term-error", 0,
                      arena_printf(&e->arena, "%s: %s: every receiver would then return "
                                   "permerror", bad->term, bad->message));
    if (r->dns_lookups > e->limits.dns_lookups) {
        emauth_status st = e->flatten ? flatten_report(e, r) : over_limit(e, r);
        return st != EMAUTH_OK || e->stage == ST_DONE ? st : add_warnings(e, r);
    }
    if (e->res.domain != NULL) {
        emauth_spf_txt *txt = ea_arena_alloc(&e->arena, sizeof *txt);
        if (txt == NULL || ea_edit_txt(&e->arena, e->res.domain, e->res.merged,
                                       strlen(e->res.merged), e->other_rdata, e->nother,
                                       e->limits.ttl, txt) != EMAUTH_OK)
            return EMAUTH_ERR_NOMEM;
        txt->lookups = r->tree->lookups;
        e->res.publish = txt;
        e->res.npublish = 1;
    }
    e->res.publish_lookups = r->dns_lookups;
    return add_warnings(e, r);
}

static emauth_status finish_check(emauth_spf_editor *e, const emauth_lint_report *r)
{
    emauth_cidr *now, *gained = NULL, *lost = NULL;
    size_t n;
    emauth_status st = authorized(e, r, "not-a-union", &now, &n);
    if (st != EMAUTH_OK || e->stage == ST_DONE)
        return st;
    e->res.ranges = now;
    e->res.nranges = n;
    st = ea_edit_diff(&e->arena, now, n, e->res.previous, e->res.nprevious, &gained,
                      &e->res.ngained);
    if (st == EMAUTH_OK)
        st = ea_edit_diff(&e->arena, e->res.previous, e->res.nprevious, now, n, &lost,
                          &e->res.nlost);
    e->res.gained = gained;
    e->res.lost = lost;
    e->res.drift = e->res.ngained > 0 || e->res.nlost > 0;
    return st;
}

static emauth_status finish(emauth_spf_editor *e)
{
    const emauth_lint_report *r = emauth_spf_lint_report(e->lint);
    if (r == NULL)
        return EMAUTH_ERR_INVALID;
    emauth_status st;
    if (e->op == OP_ADD) {
        st = finish_add(e, r);
    } else {
        e->res.lookups = r->dns_lookups;
        st = e->op == OP_FLATTEN ? flatten_report(e, r) : finish_check(e, r);
    }
    e->stage = st == EMAUTH_OK ? ST_DONE : ST_IDLE;   /* no partial result */
    return st;
}

/* ---- Driving ---------------------------------------------------------------------- */

static emauth_status ask(emauth_spf_editor *e, uint16_t type, const emauth_dns_question **q)
{
    e->q.name = e->res.domain;
    e->q.type = type;
    *q = &e->q;
    return EMAUTH_NEED_DNS;
}

emauth_status emauth_spf_editor_next(emauth_spf_editor *e, const emauth_dns_question **q)
{
    *q = NULL;
    switch (e->stage) {
    case ST_TXT: return ask(e, EMAUTH_DNS_TXT, q);
    case ST_MX: return ask(e, EMAUTH_DNS_MX, q);
    case ST_ANALYZE: {
        emauth_status st = emauth_spf_lint_next(e->lint, q);
        return st == EMAUTH_OK ? finish(e) : st;
    }
    case ST_DONE: return EMAUTH_OK;
    default: return EMAUTH_ERR_INVALID;
    }
}

emauth_status emauth_spf_editor_answer(emauth_spf_editor *e, const emauth_dns_answer *a)
{
    switch (e->stage) {
    case ST_TXT: return take_txt(e, a);
    case ST_MX: return take_mx(e, a);
    case ST_ANALYZE: return emauth_spf_lint_answer(e->lint, a);
    default: return EMAUTH_ERR_INVALID;
    }
}

static emauth_status drive_next(void *m, const emauth_dns_question **q)
{
    return emauth_spf_editor_next(m, q);
}

static emauth_status drive_answer(void *m, const emauth_dns_answer *a)
{
    return emauth_spf_editor_answer(m, a);
}

emauth_status emauth_spf_editor_run(emauth_spf_editor *e, emauth_resolver *resolver)
{
    return ea_drive(e, drive_next, drive_answer, resolver);
}

/* ---- Starting ---------------------------------------------------------------------- */

emauth_status emauth_spf_add_start(emauth_spf_editor *e, const emauth_spf_add_request *req,
                                   emauth_error *err)
{
    emauth_status st = reset(e, OP_ADD, req->domain, req->limits, err);
    if (st != EMAUTH_OK)
        return st;
    if (req->domain == NULL && (req->record == NULL || req->flatten))
        return ea_error(err, EMAUTH_ERR_INVALID, 0, 0, "%s",
                        req->flatten ? "flattening needs the domain"
                                     : "a domain or a record is needed");
    ea_new_term *terms;
    st = ea_edit_parse_terms(&e->arena, req->terms, req->nterms, &terms, err);
    if (st != EMAUTH_OK)
        return st;
    e->terms = terms;
    e->nterms = req->nterms;
    e->flatten = req->flatten;
    return begin(e, req->record, req->record_len, err);
}

emauth_status emauth_spf_flatten_start(emauth_spf_editor *e, const char *domain,
                                       const char *record, size_t record_len,
                                       const emauth_spf_edit_limits *limits, emauth_error *err)
{
    if (domain == NULL)
        return ea_error(err, EMAUTH_ERR_INVALID, 0, 0, "flattening needs the domain");
    emauth_status st = reset(e, OP_FLATTEN, domain, limits, err);
    return st != EMAUTH_OK ? st : begin(e, record, record_len, err);
}

/* What the flattened set in zone authorizes for the domain, analyzed now. */
static emauth_status analyze_published(emauth_spf_editor *e, emauth_zone *zone)
{
    emauth_status st = emauth_spf_lint_start(e->lint, e->res.domain, NULL, 0, NULL);
    if (st == EMAUTH_OK)
        st = emauth_spf_lint_run(e->lint, emauth_zone_resolver(zone));
    const emauth_lint_report *r = emauth_spf_lint_report(e->lint);
    if (st != EMAUTH_OK || r == NULL)
        return st != EMAUTH_OK ? st : EMAUTH_ERR_INVALID;
    if (r->record == NULL)
        return refuse(e, "published-set", 0,
                      arena_printf(&e->arena, "%s: the flattened set holds no single SPF record "
                                   "for it", e->res.domain));
    if ((e->published_top = ea_arena_strndup(&e->arena, r->record, strlen(r->record))) == NULL)
        return EMAUTH_ERR_NOMEM;
    emauth_cidr *v = NULL;
    size_t n = 0;
    st = authorized(e, r, "published-set", &v, &n);
    e->res.previous = v;
    e->res.nprevious = n;
    return st;
}

emauth_status emauth_spf_flatten_check_start(emauth_spf_editor *e, const char *domain,
                                             emauth_zone *published, const char *record,
                                             size_t record_len,
                                             const emauth_spf_edit_limits *limits,
                                             emauth_error *err)
{
    if (domain == NULL || published == NULL)
        return ea_error(err, EMAUTH_ERR_INVALID, 0, 0, "the check needs the domain and the set");
    emauth_status st = reset(e, OP_CHECK, domain, limits, err);
    if (st == EMAUTH_OK && (st = analyze_published(e, published)) != EMAUTH_OK)
        return st == EMAUTH_ERR_NOMEM ? nomem(err) : st;
    if (st != EMAUTH_OK || e->stage == ST_DONE)
        return st;
    return begin(e, record, record_len, err);
}
