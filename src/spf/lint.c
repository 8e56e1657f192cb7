/*
 * The SPF analyzer (emauth/spf_lint.h): the public driver, the problem
 * list and the report, and the authorized ranges of a finished tree.
 *
 * The walk itself is in lint_walk.c and the checks of one record's text in
 * lint_checks.c; the problem codes are documented in docs/spf-lint.md.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spf/lint_internal.h"
#include "spf/names.h"
#include "dns/drive.h"
#include "util/error.h"

/* ---- codes ---------------------------------------------------------------- */

static const struct {
    const char *name;
    emauth_lint_severity severity;
} codes[EA_P_NCODES] = {
    [EA_P_NO_RECORD] = {"no-record", EMAUTH_LINT_ERROR},
    [EA_P_MULTIPLE_RECORDS] = {"multiple-records", EMAUTH_LINT_ERROR},
    [EA_P_SYNTAX] = {"syntax", EMAUTH_LINT_ERROR},
    [EA_P_TOO_MANY_LOOKUPS] = {"too-many-lookups", EMAUTH_LINT_ERROR},
    [EA_P_VOID_LOOKUPS] = {"void-lookups", EMAUTH_LINT_ERROR},
    [EA_P_INCLUDE_LOOP] = {"include-loop", EMAUTH_LINT_ERROR},
    [EA_P_INCLUDE_NO_RECORD] = {"include-no-record", EMAUTH_LINT_ERROR},
    [EA_P_INCLUDE_PERMERROR] = {"include-permerror", EMAUTH_LINT_ERROR},
    [EA_P_MX_TOO_MANY] = {"mx-too-many", EMAUTH_LINT_ERROR},
    [EA_P_PTR_DEPRECATED] = {"ptr-deprecated", EMAUTH_LINT_WARNING},
    [EA_P_PERMISSIVE_ALL] = {"permissive-all", EMAUTH_LINT_WARNING},
    [EA_P_NO_ALL] = {"no-all", EMAUTH_LINT_WARNING},
    [EA_P_ALL_NOT_LAST] = {"all-not-last", EMAUTH_LINT_WARNING},
    [EA_P_REDIRECT_IGNORED] = {"redirect-ignored", EMAUTH_LINT_WARNING},
    [EA_P_DUPLICATE_TERM] = {"duplicate-term", EMAUTH_LINT_WARNING},
    [EA_P_REDUNDANT_IP] = {"redundant-ip", EMAUTH_LINT_WARNING},
    [EA_P_IP_HOST_BITS] = {"ip-host-bits", EMAUTH_LINT_WARNING},
    [EA_P_STRING_TOO_LONG] = {"string-too-long", EMAUTH_LINT_WARNING},
    [EA_P_ANSWER_TOO_LARGE] = {"answer-too-large", EMAUTH_LINT_WARNING},
    [EA_P_SPF_RR_TYPE] = {"spf-rr-type", EMAUTH_LINT_WARNING},
    [EA_P_UNKNOWN_MODIFIER] = {"unknown-modifier", EMAUTH_LINT_WARNING},
    [EA_P_EXP_PROBLEM] = {"exp-problem", EMAUTH_LINT_WARNING},
    [EA_P_BAD_VERSION] = {"bad-version", EMAUTH_LINT_WARNING},
    [EA_P_DNS_ERROR] = {"dns-error", EMAUTH_LINT_ERROR},
    [EA_P_DYNAMIC_TERM] = {"dynamic-term", EMAUTH_LINT_INFO},
    [EA_P_TREE_CUT] = {"tree-cut", EMAUTH_LINT_WARNING},
};

const char *emauth_lint_severity_name(emauth_lint_severity s)
{
    switch (s) {
    case EMAUTH_LINT_ERROR: return "error";
    case EMAUTH_LINT_WARNING: return "warning";
    case EMAUTH_LINT_INFO: return "info";
    }
    return "?";
}

/* ---- small helpers ---------------------------------------------------------- */

char *ea_lint_dup(emauth_spf_lint *l, const char *s, size_t len)
{
    char *p = ea_arena_strndup(&l->arena, s, len);
    if (p == NULL)
        l->oom = 1;
    return p;
}

int ea_lint_push(emauth_spf_lint *l, void **v, size_t n, size_t *cap, size_t elem,
                 const void *item)
{
    if (n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 4;
        if (ncap > SIZE_MAX / elem) {
            l->oom = 1;
            return -1;
        }
        void *p = ea_arena_alloc(&l->arena, ncap * elem);
        if (p == NULL) {
            l->oom = 1;
            return -1;
        }
        if (n)
            memcpy(p, *v, n * elem);
        *v = p;
        *cap = ncap;
    }
    memcpy((char *)*v + n * elem, item, elem);
    return 0;
}

const char *ea_lint_qterm(char *buf, size_t size, const emauth_spf_term *t)
{
    return ea_quote(buf, size, t->text, t->text_len, 80);
}

/* ---- problems --------------------------------------------------------------- */

static void problem_v(emauth_spf_lint *l, ea_lint_node *n, ea_lint_code code,
                      emauth_lint_severity sev, const char *record, const char *term,
                      size_t term_len, unsigned column, const char *fmt, va_list ap)
{
    if (n == NULL)
        n = l->root;
    if (++n->code_count[code] > EA_LINT_SAME_CODE_MAX)
        return;   /* counted; a note is added when the node is done */
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    ea_lint_problem p;
    memset(&p, 0, sizeof p);
    p.pub.code = codes[code].name;
    p.pub.severity = sev;
    p.pub.message = ea_lint_dup(l, msg, strlen(msg));
    p.pub.domain = n->pub.domain;
    p.pub.record = record;
    p.pub.term = term ? ea_lint_dup(l, term, term_len) : NULL;
    p.pub.column = term ? column : 0;
    p.node = n->index;
    p.column = p.pub.column;
    p.seq = l->nproblems;
    if (p.pub.message == NULL)
        return;
    ea_lint_push(l, (void **)&l->problems, l->nproblems, &l->problems_cap, sizeof p, &p);
    if (!l->oom)
        l->nproblems++;
}

void ea_lint_problem_add(emauth_spf_lint *l, ea_lint_node *n, ea_lint_code code,
                         const emauth_spf_term *t, int with_record, const char *fmt, ...)
{
    if (n == NULL)
        n = l->root;
    va_list ap;
    va_start(ap, fmt);
    problem_v(l, n, code, codes[code].severity, with_record || t ? n->pub.record : NULL,
              t ? t->text : NULL, t ? t->text_len : 0, t ? t->column : 0, fmt, ap);
    va_end(ap);
}

void ea_lint_problem_sev(emauth_spf_lint *l, ea_lint_node *n, ea_lint_code code,
                         emauth_lint_severity sev, const emauth_spf_term *t, const char *fmt,
                         ...)
{
    if (n == NULL)
        n = l->root;
    va_list ap;
    va_start(ap, fmt);
    problem_v(l, n, code, sev, n->pub.record, t ? t->text : NULL, t ? t->text_len : 0,
              t ? t->column : 0, fmt, ap);
    va_end(ap);
}

void ea_lint_problem_at(emauth_spf_lint *l, ea_lint_node *n, ea_lint_code code,
                        const char *record, const char *term, size_t term_len, unsigned column,
                        const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    problem_v(l, n, code, codes[code].severity, record, term, term_len, column, fmt, ap);
    va_end(ap);
}

/* ---- the end of the walk ------------------------------------------------------ */

/* Notes for the problems left out because one record raised too many of a code. */
static void notes_of(emauth_spf_lint *l, ea_lint_node *n)
{
    for (size_t c = 0; c < EA_P_NCODES; c++) {
        unsigned k = n->code_count[c];
        if (k <= EA_LINT_SAME_CODE_MAX)
            continue;
        char msg[160];
        snprintf(msg, sizeof msg, "%u more %s problems in this record are not listed",
                 k - EA_LINT_SAME_CODE_MAX, codes[c].name);
        n->code_count[c] = 0;   /* let the note itself through */
        size_t at = l->nproblems;
        ea_lint_problem_add(l, n, (ea_lint_code)c, NULL, 1, "%s", msg);
        if (l->nproblems > at)
            l->problems[at].column = UINT_MAX;   /* after the ones listed */
        n->code_count[c] = k;
    }
    for (size_t i = 0; i < n->pub.nchildren; i++)
        notes_of(l, (ea_lint_node *)n->pub.children[i]);
}

static const char *plural(unsigned n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

/* "most from include:a.example (6), include:b.example (4)": the costliest root terms. */
static void costliest(const ea_lint_node *root, char *buf, size_t size)
{
    buf[0] = '\0';
    size_t used = 0;
    const ea_lint_node *best[3] = {NULL, NULL, NULL};
    for (size_t i = 0; i < root->pub.nchildren; i++) {
        const ea_lint_node *c = (const ea_lint_node *)root->pub.children[i];
        if (c->pub.subtree == 0)
            continue;   /* costs only its own term: not worth naming */
        for (size_t k = 0; k < 3; k++) {
            if (best[k] == NULL || c->pub.subtree > best[k]->pub.subtree) {
                for (size_t j = 2; j > k; j--)
                    best[j] = best[j - 1];
                best[k] = c;
                break;
            }
        }
    }
    for (size_t k = 0; k < 3 && best[k] != NULL; k++) {
        char q[100];
        int w = snprintf(buf + used, size - used, "%s%s (%u)", k ? ", " : "; most from ",
                         ea_quote(q, sizeof q, best[k]->pub.via, strlen(best[k]->pub.via), 60),
                         best[k]->pub.subtree + 1);
        if (w < 0 || (size_t)w >= size - used) {
            buf[used] = '\0';   /* whole entries only */
            break;
        }
        used += (size_t)w;
    }
}

static void lookup_problems(emauth_spf_lint *l)
{
    ea_lint_node *root = l->root;
    unsigned lim = l->limits.dns_terms;
    if (l->lookups > lim) {
        char most[400];
        costliest(root, most, sizeof most);
        ea_lint_problem_add(l, root, EA_P_TOO_MANY_LOOKUPS, l->over_term,
                            1, "%u DNS lookups (limit %u)%s", l->lookups, lim, most);
    }
    if (l->voids > 0) {
        char names[400];
        size_t used = 0;
        names[0] = '\0';
        for (size_t i = 0; i < EA_LINT_NAMED_VOIDS && i < l->voids; i++) {
            const ea_lint_voidref *v = &l->named_voids[i];
            char q[100], d[100];
            const char *dom = v->node->pub.domain ? v->node->pub.domain : "the record";
            int w = snprintf(names + used, sizeof names - used, "%s%s in %s", i ? ", " : ": ",
                             ea_quote(q, sizeof q, v->term->text, v->term->text_len, 60),
                             ea_quote(d, sizeof d, dom, strlen(dom), 60));
            if (w < 0 || (size_t)w >= sizeof names - used) {
                names[used] = '\0';   /* whole entries only */
                break;
            }
            used += (size_t)w;
        }
        int over = l->voids > l->limits.void_lookups;
        const ea_lint_voidref *at = over ? &l->over_void : &l->named_voids[0];
        ea_lint_problem_sev(l, at->node, EA_P_VOID_LOOKUPS,
                            over ? EMAUTH_LINT_ERROR : EMAUTH_LINT_WARNING, at->term,
                            "%u void DNS %s (limit %u)%s%s", l->voids,
                            plural(l->voids, "lookup", "lookups"), l->limits.void_lookups,
                            names, l->voids > EA_LINT_NAMED_VOIDS ? ", ..." : "");
    }
    if (l->cuts > 0 || l->qcut) {
        char q[100];
        if (l->qcut)
            ea_lint_problem_add(l, root, EA_P_TREE_CUT, NULL, 0,
                                "the analysis stopped after %u DNS questions; the counts are "
                                "lower bounds",
                                (unsigned)EA_LINT_MAX_QUESTIONS);
        if (l->cuts > 0)
            ea_lint_problem_add(l, l->cut_node, EA_P_TREE_CUT, l->cut_term,
                                1,
                                "the tree has more than %u records: %u include/redirect %s not "
                                "followed, the first '%s'; the counts are lower bounds",
                                (unsigned)EMAUTH_LINT_MAX_NODES, l->cuts,
                                plural(l->cuts, "target", "targets"),
                                ea_lint_qterm(q, sizeof q, l->cut_term));
    }
}

static int problem_cmp(const void *a, const void *b)
{
    const ea_lint_problem *x = a, *y = b;
    if (x->pub.severity != y->pub.severity)
        return x->pub.severity < y->pub.severity ? -1 : 1;
    if (x->node != y->node)
        return x->node < y->node ? -1 : 1;
    if (x->column != y->column)
        return x->column < y->column ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void ea_lint_finish(emauth_spf_lint *l)
{
    notes_of(l, l->root);
    lookup_problems(l);
    if (l->oom)
        return;
    emauth_lint_problem *pub = NULL;
    if (l->nproblems) {
        qsort(l->problems, l->nproblems, sizeof *l->problems, problem_cmp);
        pub = ea_arena_alloc(&l->arena, l->nproblems * sizeof *pub);
        if (pub == NULL) {
            l->oom = 1;
            return;
        }
    }
    int valid = 1;
    for (size_t i = 0; i < l->nproblems; i++) {
        pub[i] = l->problems[i].pub;
        valid &= pub[i].severity != EMAUTH_LINT_ERROR;
    }
    emauth_lint_report *r = &l->rep;
    r->domain = l->root->pub.domain;
    r->record = l->root->pub.record;
    r->valid = valid;
    r->dns_lookups = l->lookups;
    r->void_lookups = l->voids;
    r->tree = &l->root->pub;
    r->nproblems = l->nproblems;
    r->problems = pub;
}

/* ---- the public driver ----------------------------------------------------------- */

emauth_status emauth_spf_lint_new(emauth_spf_lint **out)
{
    *out = calloc(1, sizeof **out);
    if (*out == NULL)
        return EMAUTH_ERR_NOMEM;
    ea_arena_init(&(*out)->arena);
    ea_buf_init(&(*out)->scratch);
    emauth_spf_limits_default(&(*out)->limits);
    return EMAUTH_OK;
}

void emauth_spf_lint_free(emauth_spf_lint *l)
{
    if (l == NULL)
        return;
    ea_arena_free(&l->arena);
    ea_buf_free(&l->scratch);
    free(l);
}

static void reset(emauth_spf_lint *l)
{
    ea_arena_reset(&l->arena);
    l->scratch.len = 0;
    ea_arena arena = l->arena;
    ea_buf scratch = l->scratch;
    memset(l, 0, sizeof *l);
    l->arena = arena;
    l->scratch = scratch;
    emauth_spf_limits_default(&l->limits);
}

/* What only a record given as text can show: how it must be published. */
static void given_checks(emauth_spf_lint *l, ea_lint_node *root, size_t len)
{
    if (len > 255)
        ea_lint_problem_add(l, root, EA_P_STRING_TOO_LONG, NULL, 1,
                            "the record is %zu bytes: a TXT string holds at most 255, so "
                            "publish it as %zu strings (\"...\" \"...\")",
                            len, (len + 254) / 255);
    size_t size = ea_lint_record_answer_size(root->pub.domain, len);
    if (size > 512)
        ea_lint_problem_add(l, root, EA_P_ANSWER_TOO_LARGE, NULL, 1,
                            "published alone, the record makes a TXT answer of about %zu "
                            "bytes, over the 512 of plain UDP: receivers without EDNS0 must "
                            "retry over TCP, some fail",
                            size);
}

emauth_status emauth_spf_lint_start(emauth_spf_lint *l, const char *domain, const char *record,
                                    size_t record_len, emauth_error *err)
{
    if (l == NULL)
        return ea_error(err, EMAUTH_ERR_INVALID, 0, 0, "no analyzer");
    reset(l);
    if (domain == NULL && record == NULL)
        return ea_error(err, EMAUTH_ERR_INVALID, 0, 0, "neither a domain nor a record to analyze");
    size_t dlen = 0;
    if (domain != NULL) {
        dlen = strlen(domain);
        if (dlen > 1 && domain[dlen - 1] == '.')
            dlen--;
        if (!ea_name_ok(domain, dlen, 0)) {
            char q[100];
            return ea_error(err, EMAUTH_ERR_INVALID, 0, 0, "'%s' is not a valid domain name",
                            ea_quote(q, sizeof q, domain, strlen(domain), 80));
        }
    }
    ea_lint_node *root = ea_lint_node_new(l, domain, dlen, NULL);
    if (root == NULL)
        return ea_error(err, EMAUTH_ERR_NOMEM, 0, 0, "out of memory");
    l->root = l->cur = root;
    root->ends_eval = 1;
    if (record != NULL) {
        root->state = EA_N_TERMS;   /* no questions for the root's record */
        ea_lint_take_record(l, root, record, record_len);
        given_checks(l, root, record_len);
        if (!root->parsed)
            root->state = EA_N_DONE;
        if (l->oom)
            return ea_error(err, EMAUTH_ERR_NOMEM, 0, 0, "out of memory");
    }
    l->phase = EA_L_RUNNING;
    return EMAUTH_OK;
}

static emauth_status fail(emauth_spf_lint *l, emauth_status st)
{
    l->phase = EA_L_FAILED;
    l->failure = st;
    l->want = EA_W_NONE;
    return st;
}

emauth_status emauth_spf_lint_next(emauth_spf_lint *l, const emauth_dns_question **q)
{
    if (q != NULL)
        *q = NULL;
    if (l == NULL || q == NULL || l->phase == EA_L_IDLE)
        return EMAUTH_ERR_INVALID;
    if (l->phase == EA_L_FAILED)
        return l->failure;
    if (l->want != EA_W_NONE) {
        *q = &l->q;
        return EMAUTH_NEED_DNS;
    }
    while (l->phase == EA_L_RUNNING) {
        if (l->cur == NULL) {
            ea_lint_finish(l);
            if (l->oom)
                return fail(l, EMAUTH_ERR_NOMEM);
            l->phase = EA_L_DONE;
            break;
        }
        emauth_status st = ea_lint_step(l);
        if (l->oom)
            return fail(l, EMAUTH_ERR_NOMEM);
        if (st == EMAUTH_NEED_DNS) {
            *q = &l->q;
            return st;
        }
        if (st != EMAUTH_OK)
            return fail(l, st);
    }
    return EMAUTH_OK;
}

emauth_status emauth_spf_lint_answer(emauth_spf_lint *l, const emauth_dns_answer *a)
{
    if (l == NULL || a == NULL || l->phase != EA_L_RUNNING || l->want == EA_W_NONE)
        return EMAUTH_ERR_INVALID;
    emauth_status st = ea_lint_on_answer(l, a);
    l->want = EA_W_NONE;
    if (l->oom)
        return fail(l, EMAUTH_ERR_NOMEM);
    return st;
}

const emauth_lint_report *emauth_spf_lint_report(const emauth_spf_lint *l)
{
    if (l == NULL || l->phase != EA_L_DONE)
        return NULL;
    return &l->rep;
}

static emauth_status drive_next(void *m, const emauth_dns_question **q)
{
    return emauth_spf_lint_next(m, q);
}

static emauth_status drive_answer(void *m, const emauth_dns_answer *a)
{
    return emauth_spf_lint_answer(m, a);
}

emauth_status emauth_spf_lint_run(emauth_spf_lint *l, emauth_resolver *resolver)
{
    return ea_drive(l, drive_next, drive_answer, resolver);
}

/* ---- authorized ranges -------------------------------------------------------------- */

/*
 * The union is computed in evaluation order. A term that is not '+' and
 * matches some addresses is a "blocker": a later '+' term of the same
 * evaluation that overlaps it would authorize addresses the blocker decides
 * first, so the policy is not a plain union. Blockers inside an include
 * only affect that include's own evaluation (a non-match there just makes
 * the include not match and the including record go on), so they are
 * dropped when the include returns; a redirect continues the evaluation,
 * so they stay.
 */
typedef struct blocker {
    const ea_lint_node *node;
    const emauth_spf_term *term;
    const emauth_cidr *ranges;
    size_t n;
    int owned;                 /* ranges malloc'ed (the pass set of an include) */
} blocker;

typedef struct uctx {
    emauth_cidr *out;          /* malloc'ed */
    size_t n, cap;
    blocker *b;                /* malloc'ed */
    size_t nb, bcap;
    emauth_error *err;
} uctx;

static const emauth_cidr everything[2] = {
    {{4, {0}}, 0},
    {{6, {0}}, 0},
};

static int overlaps(const emauth_cidr *a, const emauth_cidr *b)
{
    return emauth_cidr_contains(a, b) || emauth_cidr_contains(b, a);
}

static int grow(void **v, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t ncap = *cap ? *cap : 16;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2 / elem)
            return -1;
        ncap *= 2;
    }
    void *p = realloc(*v, ncap * elem);
    if (p == NULL)
        return -1;
    *v = p;
    *cap = ncap;
    return 0;
}

static const char *dom_of(const ea_lint_node *n)
{
    return n->pub.domain ? n->pub.domain : "the record";
}

static void pop_blockers(uctx *u, size_t mark)
{
    for (size_t k = mark; k < u->nb; k++)
        if (u->b[k].owned)
            free((void *)u->b[k].ranges);
    u->nb = mark;
}

static emauth_status add_blocker(uctx *u, const ea_lint_node *n, const emauth_spf_term *t,
                                 const emauth_cidr *r, size_t nr, int owned)
{
    if (grow((void **)&u->b, &u->bcap, u->nb + 1, sizeof *u->b) != 0) {
        if (owned)
            free((void *)r);
        return ea_error(u->err, EMAUTH_ERR_NOMEM, 0, 0, "out of memory");
    }
    u->b[u->nb++] = (blocker){n, t, r, nr, owned};
    return EMAUTH_OK;
}

static emauth_status add_plus(uctx *u, const ea_lint_node *n, const emauth_spf_term *t,
                              const emauth_cidr *r, size_t nr)
{
    for (size_t k = 0; k < u->nb; k++) {
        const blocker *b = &u->b[k];
        for (size_t i = 0; i < nr; i++) {
            for (size_t j = 0; j < b->n; j++) {
                if (!overlaps(&r[i], &b->ranges[j]))
                    continue;
                char q1[100], q2[100];
                return ea_error(u->err, EMAUTH_ERR_INVALID, 0, b->term->column,
                                "not a plain union: '%s' in %s comes before '%s' in %s and "
                                "overlaps it, so their order matters",
                                ea_lint_qterm(q1, sizeof q1, b->term), dom_of(b->node),
                                ea_lint_qterm(q2, sizeof q2, t), dom_of(n));
            }
        }
    }
    if (nr == 0)
        return EMAUTH_OK;
    if (grow((void **)&u->out, &u->cap, u->n + nr, sizeof *u->out) != 0)
        return ea_error(u->err, EMAUTH_ERR_NOMEM, 0, 0, "out of memory");
    memcpy(u->out + u->n, r, nr * sizeof *r);
    u->n += nr;
    return EMAUTH_OK;
}

static emauth_status collect(uctx *u, const ea_lint_node *n, int included);

/* What a '-', '~' or '?' include matches: the pass set of its target, on its own. */
static emauth_status pass_set(uctx *u, const ea_lint_node *child, emauth_cidr **set,
                              size_t *n)
{
    uctx sub;
    memset(&sub, 0, sizeof sub);
    sub.err = u->err;
    emauth_status st = collect(&sub, child, 1);
    pop_blockers(&sub, 0);
    free(sub.b);
    if (st != EMAUTH_OK) {
        free(sub.out);
        return st;
    }
    *set = sub.out;
    *n = sub.n;
    return EMAUTH_OK;
}

static emauth_status collect_term(uctx *u, const ea_lint_node *n, size_t i, int included)
{
    const emauth_spf_term *t = &n->rec.terms[i];
    const ea_lint_term *info = &n->info[i];
    const emauth_cidr *r = n->all + info->rstart;
    size_t nr = info->rcount;
    emauth_status st;
    switch (t->kind) {
    case EMAUTH_SPF_ALL:
        /* the final default of the evaluation is not part of the union; in an
           included record, +all makes the include match every address */
        return included && t->qualifier == '+' ? add_plus(u, n, t, everything, 2) : EMAUTH_OK;
    case EMAUTH_SPF_INCLUDE: {
        if (info->child == NULL)
            return EMAUTH_OK;   /* loops and cuts are refused before the walk */
        if (t->qualifier == '+') {
            size_t mark = u->nb;
            st = collect(u, info->child, 1);
            pop_blockers(u, mark);
            return st;
        }
        emauth_cidr *set = NULL;
        size_t ns = 0;
        st = pass_set(u, info->child, &set, &ns);
        if (st != EMAUTH_OK)
            return st;
        if (ns == 0) {
            free(set);
            return EMAUTH_OK;
        }
        return add_blocker(u, n, t, set, ns, 1);
    }
    case EMAUTH_SPF_IP4:
    case EMAUTH_SPF_IP6:
    case EMAUTH_SPF_A:
    case EMAUTH_SPF_MX:
    case EMAUTH_SPF_EXISTS:
        if (info->matches_all) {
            r = everything;
            nr = 2;
        }
        if (t->qualifier == '+')
            return add_plus(u, n, t, r, nr);
        return nr > 0 ? add_blocker(u, n, t, r, nr, 0) : EMAUTH_OK;
    default:
        return EMAUTH_OK;
    }
}

static emauth_status collect(uctx *u, const ea_lint_node *n, int included)
{
    for (size_t i = 0; i < n->walk_end; i++) {
        emauth_status st = collect_term(u, n, i, included);
        if (st != EMAUTH_OK)
            return st;
    }
    if (n->rec.redirect != NULL && n->first_all == NULL) {
        const ea_lint_node *c = n->info[n->rec.redirect - n->rec.terms].child;
        if (c != NULL)
            return collect(u, c, included);   /* the same evaluation goes on */
    }
    return EMAUTH_OK;
}

/* The first node (preorder) with a dynamic or unresolved term, or NULL. */
static const ea_lint_node *first_unknown(const ea_lint_node *n)
{
    if (n->dyn_term != NULL || n->unresolved_term != NULL)
        return n;
    for (size_t i = 0; i < n->pub.nchildren; i++) {
        const ea_lint_node *c = first_unknown((const ea_lint_node *)n->pub.children[i]);
        if (c != NULL)
            return c;
    }
    return NULL;
}

/* Problems that make the union meaningless; the lookup counts do not (flattening fixes them). */
static int blocks_union(const emauth_lint_problem *p)
{
    if (strcmp(p->code, "tree-cut") == 0)
        return 1;
    return p->severity == EMAUTH_LINT_ERROR && strcmp(p->code, "too-many-lookups") != 0 &&
           strcmp(p->code, "void-lookups") != 0;
}

emauth_status emauth_lint_authorized(const emauth_lint_report *r, emauth_cidr **out, size_t *n,
                                     emauth_error *err)
{
    if (out != NULL)
        *out = NULL;
    if (n != NULL)
        *n = 0;
    if (r == NULL || r->tree == NULL || out == NULL || n == NULL)
        return ea_error(err, EMAUTH_ERR_INVALID, 0, 0, "no finished report");
    for (size_t i = 0; i < r->nproblems; i++) {
        const emauth_lint_problem *p = &r->problems[i];
        if (!blocks_union(p))
            continue;
        char q[100];
        return ea_error(err, EMAUTH_ERR_INVALID, 0, p->column, "%s%s%s%s: %s", p->code,
                        p->term ? " at '" : "",
                        p->term ? ea_quote(q, sizeof q, p->term, strlen(p->term), 80) : "",
                        p->term ? "'" : "", p->message);
    }
    const ea_lint_node *root = (const ea_lint_node *)r->tree;
    const ea_lint_node *u = first_unknown(root);
    if (u != NULL) {
        const emauth_spf_term *t = u->dyn_term ? u->dyn_term : u->unresolved_term;
        char q[100];
        return ea_error(err, EMAUTH_ERR_INVALID, 0, t->column,
                        u->dyn_term ? "'%s' in %s depends on the sender: its addresses are not "
                                      "known in advance"
                                    : "'%s' in %s cannot be resolved without a domain",
                        ea_lint_qterm(q, sizeof q, t), dom_of(u));
    }
    uctx c;
    memset(&c, 0, sizeof c);
    c.err = err;
    emauth_status st = collect(&c, root, 0);
    pop_blockers(&c, 0);
    free(c.b);
    if (st != EMAUTH_OK) {
        free(c.out);
        return st;
    }
    c.n = emauth_cidr_merge(c.out, c.n);
    if (c.out == NULL && (c.out = malloc(sizeof *c.out)) == NULL)
        return ea_error(err, EMAUTH_ERR_NOMEM, 0, 0, "out of memory");
    *out = c.out;
    *n = c.n;
    return EMAUTH_OK;
}
