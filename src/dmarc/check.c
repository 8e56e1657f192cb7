/*
 * The DMARC checker for domain owners (emauth/dmarc.h): discovery as the
 * evaluator does it (dmarc/discover.h), then the record that applies
 * read with the lenient parser so every problem is reported, then the
 * external report destinations (RFC 7489 §7.1, RFC 9990): for a rua/ruf
 * mailto: domain outside the policy domain's organizational domain, a TXT
 * query for <policy-domain>._report._dmarc.<destination> that must hold a
 * v=DMARC1 record.
 *
 * Codes and severities:
 *   error    no-record, multiple-records, dns-error (discovery), syntax (the
 *            grammar, v=DMARC1 not first, a bad p sp np adkim aspf psd t pct),
 *            missing-p (no p= and no valid rua=: no DMARC processing)
 *   warning  missing-p (with a valid rua=: treated as p=none), syntax (fo rf
 *            ri, ignored), removed-tag, invalid-uri, rua-external-unauthorized,
 *            pct-partial, dns-error (a destination's authorization)
 *   info     policy-none, testing, inherited
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

#define MAX_PROBLEMS 64
#define MAX_DESTS 16

typedef enum phase { PH_IDLE, PH_WALK, PH_DESTS, PH_DONE } phase;

typedef struct dest {
    const char *domain;
    const char *tag;       /* "rua" or "ruf" where first seen */
    unsigned column;
} dest;

struct emauth_dmarc_check {
    ea_arena arena;
    psl_ctx_t *psl_owned;
    const psl_ctx_t *psl;
    emauth_dmarc_mode mode;
    phase ph;
    int asking;
    emauth_dns_question q;
    const char *domain;
    ea_dmarc_walk walk;
    ea_dmarc_parsed *rec;
    size_t ndests, cur;
    dest dests[MAX_DESTS];
    size_t nproblems;
    emauth_lint_problem problems[MAX_PROBLEMS];
    emauth_lint_problem sorted[MAX_PROBLEMS];
    emauth_dmarc_report rep;
};

emauth_status emauth_dmarc_check_new(emauth_dmarc_check **out)
{
    if (out == NULL)
        return EMAUTH_ERR_INVALID;
    *out = calloc(1, sizeof **out);
    if (*out == NULL)
        return EMAUTH_ERR_NOMEM;
    ea_arena_init(&(*out)->arena);
    return EMAUTH_OK;
}

void emauth_dmarc_check_free(emauth_dmarc_check *c)
{
    if (c == NULL)
        return;
    ea_dmarc_parsed_free(c->rec);
    if (c->psl_owned != NULL)
        psl_free(c->psl_owned);
    ea_arena_free(&c->arena);
    free(c);
}

static void problem(emauth_dmarc_check *c, const char *code, emauth_lint_severity sev,
                    const char *domain, const char *term, unsigned column, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

static void problem(emauth_dmarc_check *c, const char *code, emauth_lint_severity sev,
                    const char *domain, const char *term, unsigned column, const char *fmt, ...)
{
    if (c->nproblems == MAX_PROBLEMS)
        return;
    char buf[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    emauth_lint_problem *p = &c->problems[c->nproblems++];
    p->code = code;
    p->severity = sev;
    p->message = ea_arena_strndup(&c->arena, buf, strlen(buf));
    if (p->message == NULL)
        p->message = "out of memory";
    p->domain = domain;
    p->record = domain != NULL && c->rec != NULL && c->rep.policy_domain == domain
                    ? c->rec->pub.text : NULL;
    p->term = term;
    p->column = column;
}

emauth_status emauth_dmarc_check_start(emauth_dmarc_check *c, const char *domain,
                                       emauth_dmarc_mode mode, emauth_error *err)
{
    if (c == NULL || domain == NULL)
        return ea_error(err, EMAUTH_ERR_INVALID, 0, 0, "no checker or domain");
    if (mode != EMAUTH_DMARC_9989 && mode != EMAUTH_DMARC_7489)
        return ea_error(err, EMAUTH_ERR_INVALID, 0, 0, "unknown DMARC mode");
    ea_dmarc_parsed_free(c->rec);
    c->rec = NULL;
    ea_arena_reset(&c->arena);
    c->ph = PH_IDLE;
    c->asking = 0;
    c->ndests = c->cur = c->nproblems = 0;
    memset(&c->rep, 0, sizeof c->rep);
    c->mode = mode;
    if (mode == EMAUTH_DMARC_7489 && c->psl == NULL)
        c->psl = ea_dmarc_psl(&c->psl_owned);
    emauth_status st = ea_dmarc_norm(&c->arena, domain, strlen(domain), &c->domain);
    if (st == EMAUTH_ERR_NOMEM)
        return ea_error(err, st, 0, 0, "out of memory");
    if (st != EMAUTH_OK) {
        char q[80];
        return ea_error(err, EMAUTH_ERR_SYNTAX, 0, 0, "%s is not a valid domain name",
                        ea_quote(q, sizeof q, domain, strlen(domain), 60));
    }
    c->rep.domain = c->domain;
    ea_dmarc_walk_init(&c->walk, mode, c->psl, c->domain);
    c->ph = PH_WALK;
    return EMAUTH_OK;
}

static void add_dest(emauth_dmarc_check *c, const emauth_dmarc_uri *u, const char *tag)
{
    if (u->domain == NULL || ea_name_within(u->domain, strlen(u->domain), c->rep.org_domain,
                                            strlen(c->rep.org_domain)))
        return;
    for (size_t i = 0; i < c->ndests; i++)
        if (strcmp(c->dests[i].domain, u->domain) == 0)
            return;
    if (c->ndests == MAX_DESTS)
        return;
    c->dests[c->ndests].domain = u->domain;
    c->dests[c->ndests].tag = tag;
    c->ndests++;
}

/* The walk is over: every problem of the record. */
static emauth_status after_walk(emauth_dmarc_check *c)
{
    const ea_dmarc_walk *w = &c->walk;
    for (size_t i = 0; i < w->nsteps; i++)
        if (w->steps[i].nrecords > 1)
            problem(c, "multiple-records", EMAUTH_LINT_ERROR, w->steps[i].name, NULL, 0,
                    "%zu v=DMARC1 records at _dmarc.%s: all are discarded",
                    w->steps[i].nrecords, w->steps[i].name);
    if (w->error) {
        const ea_dmarc_step *s = &w->steps[w->nsteps - 1];
        problem(c, "dns-error", EMAUTH_LINT_ERROR, s->name, NULL, 0, "DNS %s for _dmarc.%s",
                emauth_dns_rcode_name(s->rcode), s->name);
        return EMAUTH_OK;
    }
    c->rep.org_domain = ea_dmarc_walk_org(w);
    const ea_dmarc_step *ps = ea_dmarc_walk_policy(w);
    if (ps == NULL) {
        if (!(c->mode == EMAUTH_DMARC_7489 && w->steps[0].nrecords > 1))
            problem(c, "no-record", EMAUTH_LINT_ERROR, c->domain, NULL, 0,
                    "no DMARC record applies to %s (publish one at _dmarc.%s)", c->domain,
                    c->rep.org_domain);
        return EMAUTH_OK;
    }
    c->rep.policy_domain = ps->name;
    if (ea_dmarc_parse(ps->text, ps->text_len, c->mode, &c->rec) != EMAUTH_OK)
        return EMAUTH_ERR_NOMEM;
    c->rep.record = c->rec->pub.text;
    const char *pd = ps->name;
    if (strcmp(pd, c->domain) != 0)
        problem(c, "inherited", EMAUTH_LINT_INFO, pd, NULL, 0,
                "%s has no record of its own; the record of %s applies", c->domain, pd);
    for (size_t i = 0; i < c->rec->nissues; i++) {
        const ea_dmarc_issue *is = &c->rec->issues[i];
        switch (is->kind) {
        case EA_DI_FATAL:
        case EA_DI_VALUE:
            problem(c, "syntax", EMAUTH_LINT_ERROR, pd, is->tag, is->column, "%s", is->message);
            break;
        case EA_DI_SOFT:
            problem(c, "syntax", EMAUTH_LINT_WARNING, pd, is->tag, is->column, "%s", is->message);
            break;
        case EA_DI_URI:
            problem(c, "invalid-uri", EMAUTH_LINT_WARNING, pd, is->tag, is->column, "%s",
                    is->message);
            break;
        case EA_DI_REMOVED:
            problem(c, "removed-tag", EMAUTH_LINT_WARNING, pd, is->tag, is->column, "%s",
                    is->message);
            break;
        }
    }
    if (c->rec->fatal)
        return EMAUTH_OK;
    const emauth_dmarc_record *r = &c->rec->pub;
    c->rep.parsed = r;
    if (!r->has_p && !c->rec->bad_policy) {
        if (r->nrua > 0)
            problem(c, "missing-p", EMAUTH_LINT_WARNING, pd, NULL, 0,
                    "no p= tag: treated as p=none because rua= is valid");
        else
            problem(c, "missing-p", EMAUTH_LINT_ERROR, pd, NULL, 0,
                    "no p= tag and no valid rua=: receivers apply no DMARC processing");
    }
    if (r->has_p && r->p == EMAUTH_DMARC_P_NONE)
        problem(c, "policy-none", EMAUTH_LINT_INFO, pd, "p", 0,
                "p=none: failing mail is only reported, not quarantined or rejected");
    if (c->mode == EMAUTH_DMARC_9989 && r->testing)
        problem(c, "testing", EMAUTH_LINT_INFO, pd, "t", 0,
                "t=y: receivers apply one step less than the policy");
    if (c->mode == EMAUTH_DMARC_7489 && r->pct < 100)
        problem(c, "pct-partial", EMAUTH_LINT_WARNING, pd, "pct", 0,
                "pct=%u: the policy applies to %u%% of failing mail", r->pct, r->pct);
    for (size_t i = 0; i < r->nrua; i++)
        add_dest(c, &r->rua[i], "rua");
    for (size_t i = 0; i < r->nruf; i++)
        add_dest(c, &r->ruf[i], "ruf");
    c->ph = PH_DESTS;
    c->cur = 0;
    return EMAUTH_OK;
}

/* Sets the column of problems naming term in the record (the tag's position). */
static unsigned tag_column(const char *text, const char *tag)
{
    size_t tl = strlen(tag);
    for (const char *p = text; *p; p++) {
        if ((p == text || p[-1] == ';' || p[-1] == ' ' || p[-1] == '\t') &&
            strncmp(p, tag, tl) == 0) {
            const char *q = p + tl;
            while (*q == ' ' || *q == '\t')
                q++;
            if (*q == '=')
                return (unsigned)(p - text) + 1;
        }
    }
    return 0;
}

static void finish(emauth_dmarc_check *c)
{
    size_t k = 0;
    for (int sev = EMAUTH_LINT_ERROR; sev <= EMAUTH_LINT_INFO; sev++)
        for (size_t i = 0; i < c->nproblems; i++)
            if ((int)c->problems[i].severity == sev) {
                c->sorted[k] = c->problems[i];
                if (c->sorted[k].column == 0 && c->sorted[k].term != NULL &&
                    c->sorted[k].record != NULL)
                    c->sorted[k].column = tag_column(c->sorted[k].record, c->sorted[k].term);
                k++;
            }
    c->rep.nproblems = k;
    c->rep.problems = c->sorted;
    c->rep.valid = 1;
    for (size_t i = 0; i < k; i++)
        if (c->sorted[i].severity == EMAUTH_LINT_ERROR)
            c->rep.valid = 0;
    c->ph = PH_DONE;
}

emauth_status emauth_dmarc_check_next(emauth_dmarc_check *c, const emauth_dns_question **q)
{
    if (c == NULL || q == NULL)
        return EMAUTH_ERR_INVALID;
    *q = NULL;
    if (c->asking) {
        *q = &c->q;
        return EMAUTH_NEED_DNS;
    }
    for (;;) {
        switch (c->ph) {
        case PH_IDLE:
            return EMAUTH_ERR_INVALID;
        case PH_DONE:
            return EMAUTH_OK;
        case PH_WALK: {
            const char *qn = ea_dmarc_walk_question(&c->walk);
            if (qn != NULL) {
                c->q.name = qn;
                c->q.type = EMAUTH_DNS_TXT;
                c->asking = 1;
                *q = &c->q;
                return EMAUTH_NEED_DNS;
            }
            emauth_status st = after_walk(c);
            if (st != EMAUTH_OK)
                return st;
            if (c->ph == PH_WALK)
                finish(c);
            break;
        }
        case PH_DESTS:
            while (c->cur < c->ndests) {
                const dest *d = &c->dests[c->cur];
                char name[600];
                int n = snprintf(name, sizeof name, "%s._report._dmarc.%s", c->rep.policy_domain,
                                 d->domain);
                if (n > 0 && (size_t)n < sizeof name && ea_name_ok(name, (size_t)n, 1)) {
                    c->q.name = ea_arena_strndup(&c->arena, name, (size_t)n);
                    if (c->q.name == NULL)
                        return EMAUTH_ERR_NOMEM;
                    c->q.type = EMAUTH_DNS_TXT;
                    c->asking = 1;
                    *q = &c->q;
                    return EMAUTH_NEED_DNS;
                }
                problem(c, "rua-external-unauthorized", EMAUTH_LINT_WARNING, c->rep.policy_domain,
                        d->tag, 0,
                        "reports to %s cannot be authorized: %s._report._dmarc.%s is too long "
                        "for DNS", d->domain, c->rep.policy_domain, d->domain);
                c->cur++;
            }
            finish(c);
            break;
        }
    }
}

emauth_status emauth_dmarc_check_answer(emauth_dmarc_check *c, const emauth_dns_answer *a)
{
    if (c == NULL || a == NULL || !c->asking)
        return EMAUTH_ERR_INVALID;
    c->asking = 0;
    if (c->ph == PH_WALK) {
        ea_dmarc_step st;
        if (ea_dmarc_classify(a, &c->arena, &st) != EMAUTH_OK)
            return EMAUTH_ERR_NOMEM;
        ea_dmarc_walk_record(&c->walk, &st);
        return EMAUTH_OK;
    }
    const dest *d = &c->dests[c->cur++];
    if (ea_answer_error(a)) {
        problem(c, "dns-error", EMAUTH_LINT_WARNING, c->rep.policy_domain, d->tag, 0,
                "DNS %s for %s: the authorization of reports to %s is unknown",
                emauth_dns_rcode_name(a->rcode), c->q.name, d->domain);
        return EMAUTH_OK;
    }
    int ok = 0;
    for (size_t i = 0; a->rcode == EMAUTH_DNS_OK && i < a->count; i++)
        if (a->rrs[i].type == EMAUTH_DNS_TXT &&
            emauth_dmarc_is_record(a->rrs[i].u.txt.data, a->rrs[i].u.txt.len))
            ok = 1;
    if (!ok)
        problem(c, "rua-external-unauthorized", EMAUTH_LINT_WARNING, c->rep.policy_domain, d->tag,
                0, "%s does not accept reports for %s: publish \"%s TXT \\\"v=DMARC1\\\"\" in its "
                "zone", d->domain, c->rep.policy_domain, c->q.name);
    return EMAUTH_OK;
}

static emauth_status drive_next(void *m, const emauth_dns_question **q)
{
    return emauth_dmarc_check_next(m, q);
}

static emauth_status drive_answer(void *m, const emauth_dns_answer *a)
{
    return emauth_dmarc_check_answer(m, a);
}

emauth_status emauth_dmarc_check_run(emauth_dmarc_check *c, emauth_resolver *resolver)
{
    if (c == NULL || resolver == NULL)
        return EMAUTH_ERR_INVALID;
    return ea_drive(c, drive_next, drive_answer, resolver);
}

const emauth_dmarc_report *emauth_dmarc_check_report(const emauth_dmarc_check *c)
{
    if (c == NULL || c->ph != PH_DONE)
        return NULL;
    return &c->rep;
}
