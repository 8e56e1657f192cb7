/*
 * The analyzer's walk: the domain's record and every include/redirect
 * target, depth-first in evaluation order, one DNS question at a time.
 *
 * Like the evaluator (eval.c), step() advances the current node until it
 * needs an answer, sets l->q through ask() and returns NEED_DNS; answer
 * handlers only record what the answer says. Unlike check_host(), the walk
 * never stops at a match or at the limits: it goes on past the 10-lookup
 * limit, bounded by EMAUTH_LINT_MAX_NODES records and
 * EA_LINT_MAX_QUESTIONS questions. Terms after the first "all" are never
 * evaluated, so they are not walked (nor counted); neither is a redirect=
 * beside an all.
 *
 * Per node: TXT of the domain (the root also type SPF 99). Per term:
 *   a[:d]     A and AAAA of the target; void when it has neither
 *   mx[:d]    MX, then A and AAAA of each exchange (at most 10)
 *   exists:d  A of the target (void or not); a sender-dependent target: none
 *   ptr       none (it depends on the client)
 *   include:d a child node
 *   redirect= a child node (when the record has no all)
 *   exp=d     TXT of the target (records that end the evaluation only)
 */
#include <stdio.h>
#include <string.h>

#include "spf/lint_internal.h"
#include "spf/macro.h"
#include "spf/names.h"
#include "spf/record_internal.h"
#include "util/error.h"

/* ---- nodes ------------------------------------------------------------------ */

ea_lint_node *ea_lint_node_new(emauth_spf_lint *l, const char *domain, size_t len,
                               ea_lint_node *parent)
{
    ea_lint_node *n = ea_arena_alloc(&l->arena, sizeof *n);
    if (n == NULL) {
        l->oom = 1;
        return NULL;
    }
    memset(n, 0, sizeof *n);
    if (domain != NULL && (n->pub.domain = ea_lint_dup(l, domain, len)) == NULL)
        return NULL;
    n->parent = parent;
    n->index = l->nnodes++;
    n->state = EA_N_FETCH;
    n->pub.via_qualifier = '+';
    return n;
}

static ea_lint_node *child_at(const ea_lint_node *n, size_t i)
{
    return (ea_lint_node *)n->pub.children[i];
}

/* The node is finished: its counts; the walk goes back to its parent. */
static void node_done(emauth_spf_lint *l, ea_lint_node *n)
{
    n->state = EA_N_DONE;
    n->pub.subtree = n->pub.lookups;
    for (size_t i = 0; i < n->pub.nchildren; i++)
        n->pub.subtree += child_at(n, i)->pub.subtree;
    n->pub.total = l->lookups;
    l->cur = n->parent;
}

/* ---- questions ---------------------------------------------------------------- */

static emauth_status ask(emauth_spf_lint *l, ea_lint_want w, const char *name, uint16_t type)
{
    l->questions++;
    l->want = w;
    l->q.name = name;
    l->q.type = type;
    return EMAUTH_NEED_DNS;
}

static void next_term(ea_lint_node *n)
{
    n->ti++;
    n->phase = 0;
}

static const char *dname(const ea_lint_node *n)
{
    return n->pub.domain ? n->pub.domain : "the record";
}

/* One DNS-querying term, counted as check_host() counts it (§4.6.4). */
static void count_lookup(emauth_spf_lint *l, ea_lint_node *n)
{
    n->pub.lookups++;
    if (++l->lookups == l->limits.dns_terms + 1)
        l->over_term = l->root_term;
}

/* A void lookup of name by term t. */
static void add_void(emauth_spf_lint *l, ea_lint_node *n, const emauth_spf_term *t,
                     const char *name, size_t len)
{
    emauth_lint_void v;
    v.term = ea_lint_dup(l, t->text, t->text_len);
    v.column = t->column;
    v.name = ea_lint_dup(l, name, len);
    if (v.term == NULL || v.name == NULL ||
        ea_lint_push(l, (void **)&n->voids, n->pub.nvoids, &n->voids_cap, sizeof v, &v) != 0)
        return;
    n->pub.voids = n->voids;
    n->pub.nvoids++;
    ea_lint_voidref ref = {n, t, v.name};
    if (l->voids < EA_LINT_NAMED_VOIDS)
        l->named_voids[l->voids] = ref;
    if (++l->voids == l->limits.void_lookups + 1)
        l->over_void = ref;
}

/* An address range of term t (index ti of n); '+' ones are the node's ranges too. */
static void add_range(emauth_spf_lint *l, ea_lint_node *n, size_t ti, const emauth_cidr *c)
{
    const emauth_spf_term *t = &n->rec.terms[ti];
    if (ea_lint_push(l, (void **)&n->all, n->nall, &n->all_cap, sizeof *c, c) != 0)
        return;
    n->nall++;
    n->info[ti].rcount++;
    if (t->qualifier != '+')
        return;
    if (ea_lint_push(l, (void **)&n->ranges, n->pub.nranges, &n->ranges_cap, sizeof *c, c) != 0)
        return;
    n->pub.ranges = n->ranges;
    n->pub.nranges++;
}

static void mark_dynamic(ea_lint_node *n, const emauth_spf_term *t)
{
    n->pub.dynamic = 1;
    n->info[t - n->rec.terms].dynamic = 1;
    if (n->dyn_term == NULL)
        n->dyn_term = t;
}

/* ---- targets -------------------------------------------------------------------- */

/* 1 when s holds a "%{" macro-expand (not counting "%%{"). */
static int has_expand(const char *s, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++) {
        if (s[i] != '%')
            continue;
        if (s[i + 1] == '{')
            return 1;
        i++;
    }
    return 0;
}

typedef enum target_kind { T_OK, T_DYNAMIC, T_UNRESOLVED, T_INVALID } target_kind;

/*
 * The target name of t in n: its domain-spec with %{d} expanded, or n's
 * domain. Sender-dependent macros are not expanded. Sets n->target.
 */
static target_kind term_target(emauth_spf_lint *l, ea_lint_node *n, const emauth_spf_term *t)
{
    const char *dom = n->pub.domain;
    n->target = NULL;
    n->target_len = 0;
    if (t->spec == NULL) {
        if (dom == NULL)
            return T_UNRESOLVED;
        n->target = dom;
        n->target_len = strlen(dom);
        return T_OK;
    }
    if (t->spec_has_macro) {
        if (ea_lint_sender_dependent(t->spec, t->spec_len))
            return T_DYNAMIC;
        if (dom == NULL && has_expand(t->spec, t->spec_len))
            return T_UNRESOLVED;
        ea_macro_ctx c;
        memset(&c, 0, sizeof c);
        c.domain = dom ? dom : "";
        c.domain_len = strlen(c.domain);
        l->scratch.len = 0;
        emauth_status st = ea_macro_expand(t->spec, t->spec_len, EA_MACRO_DOMAIN, &c, &l->scratch);
        if (st == EMAUTH_ERR_NOMEM)
            l->oom = 1;
        if (st != EMAUTH_OK)
            return T_INVALID;
        n->target = ea_lint_dup(l, l->scratch.data, l->scratch.len);
        n->target_len = l->scratch.len;
    } else {
        n->target = ea_lint_dup(l, t->spec, t->spec_len);
        n->target_len = t->spec_len;
    }
    if (n->target == NULL)
        return T_INVALID;
    if (n->target_len > 1 && n->target[n->target_len - 1] == '.')
        ((char *)n->target)[--n->target_len] = '\0';
    return ea_name_ok(n->target, n->target_len, 0) ? T_OK : T_INVALID;
}

/* Handles the outcomes of term_target() other than T_OK; returns 1 when it did. */
static int target_problem(emauth_spf_lint *l, ea_lint_node *n, const emauth_spf_term *t,
                          target_kind k)
{
    char q[100];
    switch (k) {
    case T_OK:
        return 0;
    case T_DYNAMIC:
        if (t->kind == EMAUTH_SPF_EXP) {
            ea_lint_problem_add(l, n, EA_P_DYNAMIC_TERM, t, 1,
                                "'%s': the explanation depends on the sender and is not checked",
                                ea_lint_qterm(q, sizeof q, t));
            return 1;
        }
        mark_dynamic(n, t);
        ea_lint_problem_add(l, n, EA_P_DYNAMIC_TERM, t, 1,
                            "'%s' depends on the sender: its target cannot be resolved in "
                            "advance",
                            ea_lint_qterm(q, sizeof q, t));
        return 1;
    case T_UNRESOLVED:
        if (t->kind != EMAUTH_SPF_EXP) {
            n->info[t - n->rec.terms].unresolved = 1;
            if (n->unresolved_term == NULL)
                n->unresolved_term = t;
        }
        return 1;
    case T_INVALID:
        if (l->oom)
            return 1;
        switch (t->kind) {
        case EMAUTH_SPF_INCLUDE:
        case EMAUTH_SPF_REDIRECT:
            ea_lint_problem_add(l, n, EA_P_INCLUDE_NO_RECORD, t, 1,
                                "'%s': the target is not a valid domain name: receivers "
                                "return permerror",
                                ea_lint_qterm(q, sizeof q, t));
            break;
        case EMAUTH_SPF_EXP:
            ea_lint_problem_add(l, n, EA_P_EXP_PROBLEM, t, 1,
                                "'%s': the target is not a valid domain name: receivers use "
                                "their default explanation",
                                ea_lint_qterm(q, sizeof q, t));
            break;
        default:   /* no query can be made: a void lookup, as check_host() counts it */
            add_void(l, n, t, n->target ? n->target : "", n->target ? n->target_len : 0);
            break;
        }
        return 1;
    }
    return 1;
}

/* ---- includes and redirects --------------------------------------------------------- */

/* The ancestor (or n itself) whose domain is name, or NULL. */
static ea_lint_node *ancestor_named(ea_lint_node *n, const char *name, size_t len)
{
    for (; n != NULL; n = n->parent)
        if (n->pub.domain != NULL && ea_ieq_n(n->pub.domain, strlen(n->pub.domain), name, len))
            return n;
    return NULL;
}

static void loop_problem(emauth_spf_lint *l, ea_lint_node *n, const emauth_spf_term *t,
                         ea_lint_node *anc)
{
    /* anc -> ... -> n -> anc, built from n upwards */
    const char *chain[EMAUTH_LINT_MAX_NODES + 1];
    size_t k = 0;
    for (ea_lint_node *p = n; p != NULL && k < EMAUTH_LINT_MAX_NODES; p = p->parent) {
        chain[k++] = p->pub.domain;
        if (p == anc)
            break;
    }
    ea_buf *b = &l->scratch;
    b->len = 0;
    int rc = 0;
    while (k-- > 0)
        rc |= ea_buf_printf(b, "%s -> ", chain[k]);
    rc |= ea_buf_puts(b, anc->pub.domain);
    if (rc != 0) {
        l->oom = 1;
        return;
    }
    char q[100], path[240];
    ea_lint_problem_add(l, n, EA_P_INCLUDE_LOOP, t, 1,
                        "'%s' closes a loop: %s; receivers return permerror",
                        ea_lint_qterm(q, sizeof q, t),
                        ea_quote(path, sizeof path, b->data, b->len, 200));
}

/*
 * Follows include/redirect t of n to n->target: a child node that becomes
 * the current one, a loop node (not expanded), or nothing when the tree is
 * full. Returns 1 when the walk descended into the child.
 */
static int descend(emauth_spf_lint *l, ea_lint_node *n, const emauth_spf_term *t)
{
    ea_lint_node *anc = ancestor_named(n, n->target, n->target_len);
    if (anc != NULL)
        loop_problem(l, n, t, anc);
    if (l->nnodes >= EMAUTH_LINT_MAX_NODES) {
        if (l->cuts++ == 0) {
            l->cut_node = n;
            l->cut_term = t;
        }
        return 0;
    }
    ea_lint_node *c = ea_lint_node_new(l, n->target, n->target_len, n);
    if (c == NULL)
        return 0;
    c->via_term = t;
    c->pub.via = ea_lint_dup(l, t->text, t->text_len);
    c->pub.via_column = t->column;
    c->pub.via_qualifier = t->kind == EMAUTH_SPF_INCLUDE ? t->qualifier : '+';
    c->ends_eval = t->kind == EMAUTH_SPF_REDIRECT && n->ends_eval;
    const emauth_lint_node *pc = &c->pub;
    if (c->pub.via == NULL ||
        ea_lint_push(l, (void **)&n->children, n->pub.nchildren, &n->children_cap, sizeof pc,
                     &pc) != 0)
        return 0;
    n->pub.children = n->children;
    n->pub.nchildren++;
    n->info[t - n->rec.terms].child = c;
    if (anc != NULL) {
        c->pub.loop = 1;
        c->state = EA_N_DONE;
        c->pub.total = l->lookups;
        return 0;
    }
    l->cur = c;
    return 1;
}

/* ---- records ---------------------------------------------------------------------- */

static void include_permerror(emauth_spf_lint *l, ea_lint_node *c, const char *why)
{
    ea_lint_node *p = c->parent;
    const emauth_spf_term *t = c->via_term;
    if (p == NULL || t == NULL)
        return;
    char q[100];
    ea_lint_problem_add(l, p, EA_P_INCLUDE_PERMERROR, t, 1,
                        "'%s': %s: receivers return permerror", ea_lint_qterm(q, sizeof q, t),
                        why);
}

/* The term of the record at a 1-based column, for a syntax problem. */
static void term_at(const char *text, size_t len, unsigned column, size_t *off, size_t *tlen)
{
    *off = column > 0 && column <= len ? column - 1 : 0;
    const char *sp = memchr(text + *off, ' ', len - *off);
    *tlen = sp ? (size_t)(sp - text) - *off : len - *off;
}

void ea_lint_take_record(emauth_spf_lint *l, ea_lint_node *n, const char *text, size_t len)
{
    const char *copy = ea_lint_dup(l, text, len);
    if (copy == NULL)
        return;
    n->pub.record = copy;
    char why[120];
    if (len > EA_LINT_MAX_RECORD) {
        ea_lint_problem_add(l, n, EA_P_SYNTAX, NULL, 1,
                            "the record is %zu bytes long; receivers refuse records over %u "
                            "bytes",
                            len, (unsigned)EA_LINT_MAX_RECORD);
        snprintf(why, sizeof why, "the record of %s is too long", dname(n));
        include_permerror(l, n, why);
        return;
    }
    emauth_error err;
    emauth_error_clear(&err);
    emauth_status st = ea_spf_parse(&l->arena, copy, len, &n->rec, &err);
    if (st == EMAUTH_ERR_NOMEM) {
        l->oom = 1;
        return;
    }
    if (st != EMAUTH_OK) {
        size_t off, tlen;
        term_at(copy, len, err.column, &off, &tlen);
        ea_lint_problem_at(l, n, EA_P_SYNTAX, copy, copy + off, tlen,
                           err.column ? err.column : 1, "%s", err.message);
        snprintf(why, sizeof why, "the record of %s has a syntax error at column %u", dname(n),
                 err.column);
        include_permerror(l, n, why);
        memset(&n->rec, 0, sizeof n->rec);
        return;
    }
    n->parsed = 1;
    if (n->rec.nterms) {
        n->info = ea_arena_alloc(&l->arena, n->rec.nterms * sizeof *n->info);
        if (n->info == NULL) {
            l->oom = 1;
            return;
        }
        memset(n->info, 0, n->rec.nterms * sizeof *n->info);
    }
    n->walk_end = n->rec.nterms;
    for (size_t i = 0; i < n->rec.nterms; i++)
        if (n->rec.terms[i].kind == EMAUTH_SPF_ALL) {
            n->first_all = &n->rec.terms[i];
            n->walk_end = i + 1;
            break;
        }
    ea_lint_check_record(l, n);
}

/* The node's TXT answer: one SPF record, several, none, or a DNS error. */
static void on_txt(emauth_spf_lint *l, ea_lint_node *n, const emauth_dns_answer *a)
{
    int root = n->parent == NULL;
    n->state = root ? EA_N_FETCH99 : EA_N_DONE;
    if (ea_answer_error(a)) {
        ea_lint_problem_add(l, n, EA_P_DNS_ERROR, NULL, 0,
                            "DNS %s looking up TXT %s%s%s: receivers return temperror",
                            emauth_dns_rcode_name(a->rcode), n->pub.domain, a->why ? ": " : "",
                            a->why ? a->why : "");
        return;
    }
    const emauth_dns_rr *found = NULL;
    size_t nspf = 0;
    for (size_t i = 0; a->rcode == EMAUTH_DNS_OK && i < a->count; i++) {
        const emauth_dns_rr *rr = &a->rrs[i];
        if (rr->type != EMAUTH_DNS_TXT)
            continue;
        if (emauth_spf_is_record(rr->u.txt.data, rr->u.txt.len)) {
            found = nspf++ ? found : rr;
            continue;
        }
        unsigned col;
        const char *why;
        if (ea_lint_bad_version(rr->u.txt.data, rr->u.txt.len, &col, &why)) {
            const char *text = ea_lint_dup(l, rr->u.txt.data, rr->u.txt.len);
            size_t off, tlen;
            if (text == NULL)
                continue;
            term_at(text, rr->u.txt.len, col, &off, &tlen);
            ea_lint_problem_at(l, n, EA_P_BAD_VERSION, text, text + off,
                               tlen, col,
                                   "a TXT record of %s looks like a broken SPF record: %s",
                                   n->pub.domain, why);
        }
    }
    if (a->rcode == EMAUTH_DNS_OK) {
        size_t size = ea_lint_answer_size(n->pub.domain, a);
        if (size > 512)
            ea_lint_problem_add(l, n, EA_P_ANSWER_TOO_LARGE, NULL, 0,
                                "the TXT answer for %s is about %zu bytes, over the 512 of "
                                "plain UDP: receivers without EDNS0 must retry over TCP, some "
                                "fail",
                                n->pub.domain, size);
    }
    char why[160];
    if (nspf > 1) {
        ea_lint_problem_add(l, n, EA_P_MULTIPLE_RECORDS, NULL, 0,
                            "%s publishes %zu SPF records; only one is allowed: receivers "
                            "return permerror",
                            n->pub.domain, nspf);
        snprintf(why, sizeof why, "%s publishes %zu SPF records", n->pub.domain, nspf);
        include_permerror(l, n, why);
        return;
    }
    if (nspf == 0) {
        const char *what = a->rcode == EMAUTH_DNS_NXDOMAIN ? "no such domain" : "no SPF record";
        if (root) {
            ea_lint_problem_add(l, n, EA_P_NO_RECORD, NULL, 0,
                                "%s: %s; receivers get none and cannot tell forged mail",
                                n->pub.domain, what);
        } else {
            const emauth_spf_term *t = n->via_term;
            char q[100];
            ea_lint_problem_add(l, n->parent, EA_P_INCLUDE_NO_RECORD, t, 1,
                                "'%s': %s at %s: receivers return permerror",
                                ea_lint_qterm(q, sizeof q, t), what, n->pub.domain);
        }
        return;
    }
    ea_lint_take_record(l, n, found->u.txt.data, found->u.txt.len);
    if (!root && n->parsed)
        n->state = EA_N_TERMS;
}

static void on_spf99(emauth_spf_lint *l, ea_lint_node *n, const emauth_dns_answer *a)
{
    n->state = n->parsed ? EA_N_TERMS : EA_N_DONE;
    if (a->rcode == EMAUTH_DNS_OK && a->count > 0)
        ea_lint_problem_add(l, n, EA_P_SPF_RR_TYPE, NULL, 0,
                            "%s publishes a record of type SPF (99); RFC 7208 section 3.1 "
                            "allows only TXT: remove it",
                            n->pub.domain);
}

/* ---- terms ------------------------------------------------------------------------ */

static void note_error(emauth_spf_lint *l, ea_lint_node *n, const emauth_dns_answer *a)
{
    if (n->t_error)
        return;
    n->t_error = 1;
    char msg[400];
    snprintf(msg, sizeof msg, "DNS %s looking up %s %s%s%s", emauth_dns_rcode_name(a->rcode),
             emauth_dns_type_name(l->q.type), l->q.name, a->why ? ": " : "",
             a->why ? a->why : "");
    n->t_error_msg = ea_lint_dup(l, msg, strlen(msg));
}

/* An address answer: of an a term, an exists term, or an MX exchange. */
static void on_addr(emauth_spf_lint *l, ea_lint_node *n, const emauth_dns_answer *a)
{
    const emauth_spf_term *t = &n->rec.terms[n->ti];
    if (ea_answer_error(a)) {
        note_error(l, n, a);
        return;
    }
    if (ea_answer_void(a)) {
        n->t_voids++;
        return;
    }
    if (t->kind == EMAUTH_SPF_EXISTS)
        return;
    for (size_t i = 0; i < a->count; i++) {
        const emauth_dns_rr *rr = &a->rrs[i];
        emauth_ip ip;
        memset(&ip, 0, sizeof ip);
        unsigned prefix;
        if (rr->type == EMAUTH_DNS_A) {
            ip.family = 4;
            memcpy(ip.addr, rr->u.a, 4);
            prefix = t->cidr4;
        } else if (rr->type == EMAUTH_DNS_AAAA) {
            ip.family = 6;
            memcpy(ip.addr, rr->u.aaaa, 16);
            prefix = t->cidr6;
        } else {
            continue;
        }
        emauth_cidr c = emauth_cidr_make(&ip, prefix);
        add_range(l, n, n->ti, &c);
    }
}

static void on_mx(emauth_spf_lint *l, ea_lint_node *n, const emauth_dns_answer *a)
{
    const emauth_spf_term *t = &n->rec.terms[n->ti];
    n->nnames = n->ni = 0;
    n->sub = 0;
    if (ea_answer_error(a)) {
        note_error(l, n, a);
        return;
    }
    if (ea_answer_void(a)) {
        add_void(l, n, t, n->target, n->target_len);
        return;
    }
    size_t max = l->limits.mx_names;
    if (a->count > max) {
        char q[100];
        ea_lint_problem_add(l, n, EA_P_MX_TOO_MANY, t, 1,
                            "'%s': %s has %zu MX records (limit %zu): receivers return "
                            "permerror",
                            ea_lint_qterm(q, sizeof q, t), n->target, a->count, max);
    }
    n->names = ea_arena_alloc(&l->arena, (max ? max : 1) * sizeof *n->names);
    if (n->names == NULL) {
        l->oom = 1;
        return;
    }
    for (size_t i = 0; i < a->count && n->nnames < max; i++) {
        const emauth_dns_rr *rr = &a->rrs[i];
        if (rr->type != EMAUTH_DNS_MX || rr->u.mx.exchange == NULL || rr->u.mx.exchange[0] == '\0')
            continue;   /* a null MX names no host */
        const char *name = ea_lint_dup(l, rr->u.mx.exchange, strlen(rr->u.mx.exchange));
        if (name == NULL)
            return;
        n->names[n->nnames++] = name;
    }
}

static void on_exp(emauth_spf_lint *l, ea_lint_node *n, const emauth_dns_answer *a)
{
    const emauth_spf_term *t = n->rec.exp;
    char q[100];
    ea_lint_qterm(q, sizeof q, t);
    if (ea_answer_error(a)) {
        ea_lint_problem_add(l, n, EA_P_EXP_PROBLEM, t, 1,
                            "'%s': DNS %s looking up TXT %s: receivers use their default "
                            "explanation",
                            q, emauth_dns_rcode_name(a->rcode), n->target);
        return;
    }
    size_t count = a->rcode == EMAUTH_DNS_OK ? a->count : 0;
    if (a->rcode == EMAUTH_DNS_NXDOMAIN) {
        ea_lint_problem_add(l, n, EA_P_EXP_PROBLEM, t, 1,
                            "'%s': %s does not exist: receivers use their default explanation",
                            q, n->target);
        return;
    }
    if (count != 1) {
        ea_lint_problem_add(l, n, EA_P_EXP_PROBLEM, t, 1,
                            "'%s': %s has %zu TXT records, exactly one is needed: receivers "
                            "use their default explanation",
                            q, n->target, count);
        return;
    }
    size_t bad;
    const char *what;
    const emauth_dns_rr *rr = &a->rrs[0];
    if (ea_macro_check(rr->u.txt.data, rr->u.txt.len, EA_MACRO_EXP, &bad, &what) != EMAUTH_OK)
        ea_lint_problem_add(l, n, EA_P_EXP_PROBLEM, t, 1,
                            "'%s': the text at %s is not a valid explain-string (%s at offset "
                            "%zu): receivers use their default explanation",
                            q, n->target, what, bad);
}

emauth_status ea_lint_on_answer(emauth_spf_lint *l, const emauth_dns_answer *a)
{
    ea_lint_node *n = l->cur;
    switch (l->want) {
    case EA_W_TXT: on_txt(l, n, a); break;
    case EA_W_SPF99: on_spf99(l, n, a); break;
    case EA_W_ADDR: on_addr(l, n, a); break;
    case EA_W_MX: on_mx(l, n, a); break;
    case EA_W_EXP: on_exp(l, n, a); break;
    case EA_W_NONE: return EMAUTH_ERR_INVALID;
    }
    return EMAUTH_OK;
}

/* The end of a DNS term's lookups: a DNS error, a void, or what exists matches. */
static void conclude(emauth_spf_lint *l, ea_lint_node *n, const emauth_spf_term *t)
{
    if (n->t_error) {
        char q[100];
        ea_lint_problem_add(l, n, EA_P_DNS_ERROR, t, 1,
                            "'%s': %s: receivers return temperror",
                            ea_lint_qterm(q, sizeof q, t),
                            n->t_error_msg ? n->t_error_msg : "DNS error");
        return;
    }
    if (t->kind == EMAUTH_SPF_A && n->t_voids == 2)
        add_void(l, n, t, n->target, n->target_len);
    if (t->kind == EMAUTH_SPF_EXISTS) {
        if (n->t_voids)
            add_void(l, n, t, n->target, n->target_len);
        else
            n->info[n->ti].matches_all = 1;
    }
}

static emauth_status dns_term_step(emauth_spf_lint *l, ea_lint_node *n, const emauth_spf_term *t)
{
    switch (n->phase) {
    case 0: {
        count_lookup(l, n);
        n->t_voids = 0;
        n->t_error = 0;
        n->t_error_msg = NULL;
        if (t->kind == EMAUTH_SPF_PTR) {   /* ptr-deprecated comes from the record checks */
            mark_dynamic(n, t);
            next_term(n);
            return EMAUTH_OK;
        }
        if (target_problem(l, n, t, term_target(l, n, t))) {
            next_term(n);
            return EMAUTH_OK;
        }
        n->phase = 1;
        return EMAUTH_OK;
    }
    case 1:
        switch (t->kind) {
        case EMAUTH_SPF_A:
            n->phase = 2;
            return ask(l, EA_W_ADDR, n->target, EMAUTH_DNS_A);
        case EMAUTH_SPF_MX:
            n->phase = 2;
            return ask(l, EA_W_MX, n->target, EMAUTH_DNS_MX);
        case EMAUTH_SPF_EXISTS:
            n->phase = 3;
            return ask(l, EA_W_ADDR, n->target, EMAUTH_DNS_A);
        default:   /* include */
            n->phase = 4;
            descend(l, n, t);
            return EMAUTH_OK;
        }
    case 2:
        if (t->kind == EMAUTH_SPF_A) {
            n->phase = 3;
            return ask(l, EA_W_ADDR, n->target, EMAUTH_DNS_AAAA);
        }
        if (n->ni < n->nnames) {   /* mx: A then AAAA of each exchange */
            const char *name = n->names[n->ni];
            if (n->sub == 0) {
                n->sub = 1;
                return ask(l, EA_W_ADDR, name, EMAUTH_DNS_A);
            }
            n->sub = 0;
            n->ni++;
            return ask(l, EA_W_ADDR, name, EMAUTH_DNS_AAAA);
        }
        n->phase = 3;
        return EMAUTH_OK;
    case 3:
        conclude(l, n, t);
        next_term(n);
        return EMAUTH_OK;
    default:   /* 4: back from an include */
        next_term(n);
        return EMAUTH_OK;
    }
}

static emauth_status term_step(emauth_spf_lint *l, ea_lint_node *n)
{
    const emauth_spf_term *t = &n->rec.terms[n->ti];
    if (n->parent == NULL)
        l->root_term = t;
    if (n->phase == 0) {
        n->info[n->ti].walked = 1;
        n->info[n->ti].rstart = n->nall;
    }
    switch (t->kind) {
    case EMAUTH_SPF_IP4:
    case EMAUTH_SPF_IP6: {
        emauth_cidr c = emauth_cidr_make(&t->ip, t->kind == EMAUTH_SPF_IP4 ? t->cidr4 : t->cidr6);
        add_range(l, n, n->ti, &c);
        next_term(n);
        return EMAUTH_OK;
    }
    case EMAUTH_SPF_ALL:
    case EMAUTH_SPF_REDIRECT:
    case EMAUTH_SPF_EXP:
    case EMAUTH_SPF_UNKNOWN_MOD:
        next_term(n);
        return EMAUTH_OK;
    default:
        return dns_term_step(l, n, t);
    }
}

/* exp= of a record whose explanation receivers may use (§6.2: not of included ones). */
static emauth_status exp_step(emauth_spf_lint *l, ea_lint_node *n)
{
    const emauth_spf_term *t = n->rec.exp;
    if (n->phase == 0 && t != NULL && n->ends_eval) {
        n->phase = 1;
        if (!target_problem(l, n, t, term_target(l, n, t)))
            return ask(l, EA_W_EXP, n->target, EMAUTH_DNS_TXT);
    }
    n->state = EA_N_REDIRECT;
    n->phase = 0;
    return EMAUTH_OK;
}

static emauth_status redirect_step(emauth_spf_lint *l, ea_lint_node *n)
{
    const emauth_spf_term *t = n->rec.redirect;
    if (n->phase == 0 && t != NULL && n->first_all == NULL) {
        n->phase = 1;
        if (n->parent == NULL)
            l->root_term = t;
        n->info[t - n->rec.terms].walked = 1;
        n->info[t - n->rec.terms].rstart = n->nall;
        count_lookup(l, n);
        if (!target_problem(l, n, t, term_target(l, n, t)) && descend(l, n, t))
            return EMAUTH_OK;
    }
    node_done(l, n);
    return EMAUTH_OK;
}

emauth_status ea_lint_step(emauth_spf_lint *l)
{
    ea_lint_node *n = l->cur;
    if (l->questions >= EA_LINT_MAX_QUESTIONS) {
        l->qcut = 1;
        node_done(l, n);
        return EMAUTH_OK;
    }
    switch (n->state) {
    case EA_N_FETCH:
        return ask(l, EA_W_TXT, n->pub.domain, EMAUTH_DNS_TXT);
    case EA_N_FETCH99:
        return ask(l, EA_W_SPF99, n->pub.domain, EMAUTH_DNS_SPF);
    case EA_N_TERMS:
        if (n->ti < n->walk_end)
            return term_step(l, n);
        n->state = EA_N_EXP;
        n->phase = 0;
        return EMAUTH_OK;
    case EA_N_EXP:
        return exp_step(l, n);
    case EA_N_REDIRECT:
        return redirect_step(l, n);
    case EA_N_DONE:
        node_done(l, n);
        return EMAUTH_OK;
    }
    return EMAUTH_ERR_INVALID;
}
