/*
 * The analyzer's checks of one record's text, without DNS: what all,
 * redirect and the ip ranges say, duplicates, unknown modifiers; and the
 * small classifiers the walk uses (bad versions, answer sizes, macros that
 * depend on the sender).
 *
 * Duplicates and redundant ranges are looked for among the evaluated terms
 * only (up to the first all): later ones are dead, and all-not-last says so.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "spf/lint_internal.h"
#include "spf/names.h"
#include "util/error.h"

/* ---- classifiers ------------------------------------------------------------ */

int ea_lint_sender_dependent(const char *s, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++) {
        if (s[i] != '%')
            continue;
        if (s[i + 1] == '{' && i + 2 < len && (s[i + 2] | 0x20) != 'd')
            return 1;
        i++;   /* "%%", "%_", "%-", or "%{d" */
    }
    return 0;
}

static int iprefix(const char *s, size_t len, const char *lit)
{
    size_t n = strlen(lit);
    return len >= n && ea_ieq_n(s, n, lit, n);
}

int ea_lint_bad_version(const char *s, size_t len, unsigned *column, const char **why)
{
    *column = 1;
    if (emauth_spf_is_record(s, len))
        return 0;
    if (iprefix(s, len, "spf1")) {
        *why = "it starts with \"spf1\"; the version is \"v=spf1\"";
        return 1;
    }
    if (iprefix(s, len, "v=spf2")) {
        *why = "there is no \"v=spf2\"; the version is \"v=spf1\"";
        return 1;
    }
    if (iprefix(s, len, "v=spf1")) {
        *column = 7;
        *why = "\"v=spf1\" must be followed by a space";
        return 1;
    }
    for (size_t i = 1; i + 6 <= len; i++) {
        if (iprefix(s + i, len - i, "v=spf1")) {
            *column = (unsigned)(i + 1 > UINT32_MAX ? UINT32_MAX : i + 1);
            *why = "there is text before \"v=spf1\"; the record must start with it";
            return 1;
        }
    }
    return 0;
}

/* Bytes of name in wire form (labels with length bytes, the root label). */
static size_t wire_name(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    return n ? n + 2 : 1;
}

size_t ea_lint_answer_size(const char *name, const emauth_dns_answer *a)
{
    size_t size = 12 + wire_name(name) + 4;   /* header, question */
    for (size_t i = 0; i < a->cname_count; i++)
        size += 2 + 10 + wire_name(a->cnames[i]);
    for (size_t i = 0; a->rcode == EMAUTH_DNS_OK && i < a->count; i++) {
        const emauth_dns_rr *rr = &a->rrs[i];
        size_t rdlength = rr->type == EMAUTH_DNS_TXT || rr->type == EMAUTH_DNS_SPF
                              ? rr->u.txt.len + rr->u.txt.nstrings
                              : 0;
        size += 2 + 10 + rdlength;   /* owner pointer, type class ttl rdlength, rdata */
    }
    return size;
}

size_t ea_lint_record_answer_size(const char *name, size_t len)
{
    size_t nstrings = len ? (len + 254) / 255 : 1;
    return 12 + wire_name(name) + 4 + 2 + 10 + len + nstrings;
}

/* ---- one record --------------------------------------------------------------- */

static int is_mechanism(const emauth_spf_term *t)
{
    return t->kind < EMAUTH_SPF_REDIRECT;
}

static int is_ip(const emauth_spf_term *t)
{
    return t->kind == EMAUTH_SPF_IP4 || t->kind == EMAUTH_SPF_IP6;
}

static emauth_cidr term_cidr(const emauth_spf_term *t)
{
    return emauth_cidr_make(&t->ip, t->kind == EMAUTH_SPF_IP4 ? t->cidr4 : t->cidr6);
}

/* The term's text without its qualifier. */
static void bare(const emauth_spf_term *t, const char **s, size_t *len)
{
    size_t q = t->text_len > 0 && strchr("+-~?", t->text[0]) != NULL;
    *s = t->text + q;
    *len = t->text_len - q;
}

static uint64_t bare_hash(const emauth_spf_term *t)
{
    const char *s;
    size_t len;
    bare(t, &s, &len);
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        h = (h ^ (c >= 'A' && c <= 'Z' ? c + 32 : c)) * 1099511628211ULL;
    }
    return h;
}

static int same_bare(const emauth_spf_term *a, const emauth_spf_term *b)
{
    const char *x, *y;
    size_t xl, yl;
    bare(a, &x, &xl);
    bare(b, &y, &yl);
    return ea_ieq_n(x, xl, y, yl);
}

/*
 * duplicate-term: a mechanism written twice (case-insensitive, qualifier
 * aside), found through a hash table of the evaluated mechanisms. dup[i]
 * is set for the later copies.
 */
static void duplicates(emauth_spf_lint *l, ea_lint_node *n, uint8_t *dup)
{
    size_t cap = 16;
    while (cap < 2 * n->walk_end)
        cap *= 2;
    size_t *slot = ea_arena_alloc(&l->arena, cap * sizeof *slot);
    if (slot == NULL) {
        l->oom = 1;
        return;
    }
    for (size_t i = 0; i < cap; i++)
        slot[i] = SIZE_MAX;
    for (size_t i = 0; i < n->walk_end; i++) {
        const emauth_spf_term *t = &n->rec.terms[i];
        if (!is_mechanism(t))
            continue;
        size_t k = (size_t)bare_hash(t) & (cap - 1);
        for (; slot[k] != SIZE_MAX; k = (k + 1) & (cap - 1)) {
            const emauth_spf_term *o = &n->rec.terms[slot[k]];
            if (!same_bare(o, t))
                continue;
            char q1[100], q2[100];
            dup[i] = 1;
            ea_lint_problem_add(l, n, EA_P_DUPLICATE_TERM, t, 1,
                                "'%s' repeats '%s' at column %u: remove one",
                                ea_lint_qterm(q1, sizeof q1, t), ea_lint_qterm(q2, sizeof q2, o),
                                o->column);
            break;
        }
        if (slot[k] == SIZE_MAX)
            slot[k] = i;
    }
}

/*
 * redundant-ip: an ip4/ip6 range that never decides anything because
 * another range of the record covers it: an earlier one (it matches first),
 * or a later one with the same qualifier that nothing in between can come
 * before (only ip terms, of the same qualifier or not overlapping).
 */
static void redundant(emauth_spf_lint *l, ea_lint_node *n, const uint8_t *dup)
{
    const emauth_spf_term *terms = n->rec.terms;
    for (size_t i = 0; i < n->walk_end; i++) {
        const emauth_spf_term *x = &terms[i];
        if (!is_ip(x) || dup[i])
            continue;
        emauth_cidr cx = term_cidr(x);
        const emauth_spf_term *by = NULL;
        for (size_t j = 0; j < i && by == NULL; j++) {
            if (!is_ip(&terms[j]))
                continue;
            emauth_cidr cy = term_cidr(&terms[j]);
            if (emauth_cidr_contains(&cy, &cx))
                by = &terms[j];
        }
        for (size_t j = i + 1; j < n->walk_end && by == NULL; j++) {
            const emauth_spf_term *y = &terms[j];
            if (!is_mechanism(y))
                continue;
            if (!is_ip(y))
                break;
            emauth_cidr cy = term_cidr(y);
            if (y->qualifier == x->qualifier) {
                if (cy.prefix < cx.prefix && emauth_cidr_contains(&cy, &cx))
                    by = y;
            } else if (emauth_cidr_contains(&cy, &cx) || emauth_cidr_contains(&cx, &cy)) {
                break;
            }
        }
        if (by == NULL)
            continue;
        char q1[100], q2[100];
        ea_lint_problem_add(l, n, EA_P_REDUNDANT_IP, x, 1,
                            "'%s' is covered by '%s' at column %u: remove it",
                            ea_lint_qterm(q1, sizeof q1, x), ea_lint_qterm(q2, sizeof q2, by),
                            by->column);
    }
}

/* Edit distance of two short strings (case-insensitive), capped at 9. */
static unsigned distance(const char *a, size_t al, const char *b)
{
    size_t bl = strlen(b);
    if (al > 16 || bl > 16)
        return 9;
    unsigned d[17][17];
    for (size_t i = 0; i <= al; i++)
        d[i][0] = (unsigned)i;
    for (size_t j = 0; j <= bl; j++)
        d[0][j] = (unsigned)j;
    for (size_t i = 1; i <= al; i++)
        for (size_t j = 1; j <= bl; j++) {
            unsigned sub = d[i - 1][j - 1] + !ea_ieq_n(a + i - 1, 1, b + j - 1, 1);
            unsigned del = d[i - 1][j] + 1, ins = d[i][j - 1] + 1;
            d[i][j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
    return d[al][bl];
}

static void unknown_modifier(emauth_spf_lint *l, ea_lint_node *n, const emauth_spf_term *t)
{
    const char *hint = "";
    if (distance(t->name, t->name_len, "redirect") <= 2)
        hint = " (a typo of redirect=?)";
    else if (distance(t->name, t->name_len, "exp") <= 1)
        hint = " (a typo of exp=?)";
    char q[100];
    ea_lint_problem_add(l, n, EA_P_UNKNOWN_MODIFIER, t, 1,
                        "'%s': unknown modifier, receivers ignore it%s",
                        ea_lint_qterm(q, sizeof q, t), hint);
}

static void all_checks(emauth_spf_lint *l, ea_lint_node *n)
{
    const emauth_spf_term *all = n->first_all;
    char q[100], q2[100];
    if (all != NULL && (all->qualifier == '+' || all->qualifier == '?'))
        ea_lint_problem_add(l, n, EA_P_PERMISSIVE_ALL, all, 1,
                            all->qualifier == '+'
                                ? "'%s' authorizes every host on the Internet: use ~all or -all"
                                : "'%s' gives every other host neutral, which protects nothing: "
                                  "use ~all or -all",
                            ea_lint_qterm(q, sizeof q, all));
    if (all != NULL) {
        size_t dead = 0;
        const emauth_spf_term *first = NULL;
        for (size_t i = n->walk_end; i < n->rec.nterms; i++)
            if (is_mechanism(&n->rec.terms[i])) {
                dead++;
                if (first == NULL)
                    first = &n->rec.terms[i];
            }
        if (first != NULL)
            ea_lint_problem_add(l, n, EA_P_ALL_NOT_LAST, first, 1,
                                "'%s'%s after '%s' at column %u %s never evaluated: move 'all' "
                                "to the end",
                                ea_lint_qterm(q, sizeof q, first),
                                dead > 1 ? " and the mechanisms" : "",
                                ea_lint_qterm(q2, sizeof q2, all), all->column,
                                dead > 1 ? "are" : "is");
        if (n->rec.redirect != NULL)
            ea_lint_problem_add(l, n, EA_P_REDIRECT_IGNORED,
                                n->rec.redirect, 1,
                                "'%s' is ignored because the record has '%s' at column %u",
                                ea_lint_qterm(q, sizeof q, n->rec.redirect),
                                ea_lint_qterm(q2, sizeof q2, all), all->column);
    }
    if (all == NULL && n->rec.redirect == NULL && n->ends_eval)
        ea_lint_problem_add(l, n, EA_P_NO_ALL, NULL, 1,
                            "the record of %s has no 'all': other hosts get neutral; end it "
                            "with ~all or -all",
                            n->pub.domain ? n->pub.domain : "the domain");
}

void ea_lint_check_record(emauth_spf_lint *l, ea_lint_node *n)
{
    char q[100];
    for (size_t i = 0; i < n->rec.nterms; i++) {
        const emauth_spf_term *t = &n->rec.terms[i];
        if (t->kind == EMAUTH_SPF_PTR)
            ea_lint_problem_add(l, n, EA_P_PTR_DEPRECATED, t, 1,
                                "'%s' is slow and unreliable and RFC 7208 section 5.5 says not "
                                "to use it: list the addresses with ip4/ip6 or a",
                                ea_lint_qterm(q, sizeof q, t));
        else if (t->kind == EMAUTH_SPF_UNKNOWN_MOD)
            unknown_modifier(l, n, t);
        else if (is_ip(t)) {
            emauth_cidr c = term_cidr(t);
            if (memcmp(c.ip.addr, t->ip.addr, t->kind == EMAUTH_SPF_IP4 ? 4 : 16) != 0) {
                char net[64];
                emauth_cidr_format(&c, net, sizeof net);
                ea_lint_problem_add(l, n, EA_P_IP_HOST_BITS, t, 1,
                                    "'%s' has host bits set: it means %s",
                                    ea_lint_qterm(q, sizeof q, t), net);
            }
        }
    }
    all_checks(l, n);
    if (n->walk_end == 0)
        return;
    uint8_t *dup = ea_arena_alloc(&l->arena, n->walk_end);
    if (dup == NULL) {
        l->oom = 1;
        return;
    }
    memset(dup, 0, n->walk_end);
    duplicates(l, n, dup);
    redundant(l, n, dup);
}
