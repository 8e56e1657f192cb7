/*
 * Merging terms into an SPF record (emauth_spf_add_start(), spf_edit.h).
 *
 * The record's text is kept byte for byte: the new terms are inserted as
 * one block before the first "all", else before the first redirect= or
 * exp=, else after the last term:
 *
 *   v=spf1  a   mx ~all        + include:m.example  ->  v=spf1  a   mx include:m.example ~all
 *   v=spf1 a redirect=x.example + ip4:192.0.2.1     ->  v=spf1 a ip4:192.0.2.1 redirect=x.example
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "spf/edit_internal.h"
#include "spf/record_internal.h"
#include "util/error.h"

/* ---- Terms to add -------------------------------------------------------- */

/* "v=spf1 " before a term, so the record parser can judge it alone. */
#define TERM_PREFIX "v=spf1 "
#define TERM_PREFIX_LEN (sizeof TERM_PREFIX - 1)

/*
 * The parser's message is "syntax error at column N, term "T": WHAT"; with
 * the term alone, only WHAT is worth repeating.
 */
static const char *parser_reason(const emauth_error *perr)
{
    const char *p = strstr(perr->message, "\": ");
    return p != NULL ? p + 3 : perr->message;
}

static emauth_status bad_term(emauth_error *err, const char *term, size_t len, unsigned column,
                              const char *why)
{
    char q[96];
    return ea_error(err, EMAUTH_ERR_SYNTAX, 0, column, "bad term \"%s\": %s",
                    ea_quote(q, sizeof q, term, len, 64), why);
}

static emauth_status parse_one(ea_arena *a, const char *term, ea_new_term *out,
                               emauth_error *err)
{
    size_t len = strlen(term);
    if (len > EMAUTH_EDIT_MAX_TERM_LEN)
        return ea_error(err, EMAUTH_ERR_LIMIT, 0, 0, "a term is longer than %d bytes",
                        EMAUTH_EDIT_MAX_TERM_LEN);
    if (len == 0)
        return bad_term(err, term, len, 0, "empty");
    if (memchr(term, ' ', len) != NULL)
        return bad_term(err, term, len, (unsigned)((const char *)memchr(term, ' ', len) - term) + 1,
                        "one term per argument");
    char *text = ea_arena_alloc(a, TERM_PREFIX_LEN + len + 1);
    if (text == NULL)
        return ea_error(err, EMAUTH_ERR_NOMEM, 0, 0, "out of memory");
    memcpy(text, TERM_PREFIX, TERM_PREFIX_LEN);
    memcpy(text + TERM_PREFIX_LEN, term, len + 1);
    emauth_spf_record rec;
    emauth_error perr;
    emauth_error_clear(&perr);
    emauth_status st = ea_spf_parse(a, text, TERM_PREFIX_LEN + len, &rec, &perr);
    if (st == EMAUTH_ERR_NOMEM)
        return ea_error(err, st, 0, 0, "out of memory");
    if (st != EMAUTH_OK) {
        unsigned col = perr.column > TERM_PREFIX_LEN ? perr.column - (unsigned)TERM_PREFIX_LEN : 1;
        return bad_term(err, term, len, col, parser_reason(&perr));
    }
    if (rec.terms[0].kind >= EMAUTH_SPF_REDIRECT)
        return bad_term(err, term, len, 1, "only mechanisms can be added, not modifiers");
    out->text = text + TERM_PREFIX_LEN;
    out->term = rec.terms[0];
    return EMAUTH_OK;
}

emauth_status ea_edit_parse_terms(ea_arena *a, const char *const *terms, size_t n,
                                  ea_new_term **out, emauth_error *err)
{
    *out = NULL;
    if (n == 0)
        return ea_error(err, EMAUTH_ERR_INVALID, 0, 0, "no term to add");
    if (n > EMAUTH_EDIT_MAX_TERMS)
        return ea_error(err, EMAUTH_ERR_LIMIT, 0, 0, "more than %d terms to add",
                        EMAUTH_EDIT_MAX_TERMS);
    ea_new_term *v = ea_arena_alloc(a, n * sizeof *v);
    if (v == NULL)
        return ea_error(err, EMAUTH_ERR_NOMEM, 0, 0, "out of memory");
    for (size_t i = 0; i < n; i++) {
        emauth_status st = parse_one(a, terms[i], &v[i], err);
        if (st != EMAUTH_OK)
            return st;
    }
    *out = v;
    return EMAUTH_OK;
}

/* ---- Equality ------------------------------------------------------------ */

static int spec_equal(const emauth_spf_term *a, const emauth_spf_term *b)
{
    if (a->spec == NULL || b->spec == NULL)
        return a->spec == b->spec;
    return a->spec_len == b->spec_len && strncasecmp(a->spec, b->spec, a->spec_len) == 0;
}

static int range_equal(const emauth_spf_term *a, const emauth_spf_term *b)
{
    unsigned pa = a->kind == EMAUTH_SPF_IP4 ? a->cidr4 : a->cidr6;
    unsigned pb = b->kind == EMAUTH_SPF_IP4 ? b->cidr4 : b->cidr6;
    emauth_cidr x = emauth_cidr_make(&a->ip, pa), y = emauth_cidr_make(&b->ip, pb);
    return x.ip.family == y.ip.family && x.prefix == y.prefix &&
           memcmp(x.ip.addr, y.ip.addr, sizeof x.ip.addr) == 0;
}

int ea_edit_term_equal(const emauth_spf_term *a, const emauth_spf_term *b)
{
    if (a->kind != b->kind || a->qualifier != b->qualifier)
        return 0;
    switch (a->kind) {
    case EMAUTH_SPF_ALL: return 1;
    case EMAUTH_SPF_IP4:
    case EMAUTH_SPF_IP6: return range_equal(a, b);
    case EMAUTH_SPF_A:
    case EMAUTH_SPF_MX: return spec_equal(a, b) && a->cidr4 == b->cidr4 && a->cidr6 == b->cidr6;
    case EMAUTH_SPF_UNKNOWN_MOD:
        return a->name_len == b->name_len && strncasecmp(a->name, b->name, a->name_len) == 0 &&
               spec_equal(a, b);
    default: return spec_equal(a, b);   /* include, exists, ptr, redirect, exp */
    }
}

/* ---- Merging ------------------------------------------------------------- */

static const emauth_spf_term *find_kind(const emauth_spf_record *rec, emauth_spf_term_kind kind)
{
    for (size_t i = 0; i < rec->nterms; i++)
        if (rec->terms[i].kind == kind)
            return &rec->terms[i];
    return NULL;
}

/* Where the new block goes, and whether it is followed (1) or preceded (0) by a space. */
static size_t insertion_point(const emauth_spf_record *rec, int *before)
{
    *before = 1;
    for (size_t i = 0; i < rec->nterms; i++) {
        emauth_spf_term_kind k = rec->terms[i].kind;
        if (k == EMAUTH_SPF_ALL)
            return rec->terms[i].column - 1;
    }
    for (size_t i = 0; i < rec->nterms; i++) {
        emauth_spf_term_kind k = rec->terms[i].kind;
        if (k == EMAUTH_SPF_REDIRECT || k == EMAUTH_SPF_EXP)
            return rec->terms[i].column - 1;
    }
    *before = 0;
    if (rec->nterms == 0)
        return 6;   /* after "v=spf1" */
    const emauth_spf_term *last = &rec->terms[rec->nterms - 1];
    return last->column - 1 + last->text_len;
}

/* 1 when t equals a term of rec or an earlier kept term. */
static int present(const emauth_spf_record *rec, const ea_new_term *kept, size_t nkept,
                   const emauth_spf_term *t)
{
    for (size_t i = 0; i < rec->nterms; i++)
        if (ea_edit_term_equal(&rec->terms[i], t))
            return 1;
    for (size_t i = 0; i < nkept; i++)
        if (ea_edit_term_equal(&kept[i].term, t))
            return 1;
    return 0;
}

/* The all of the record or a kept term, if any. */
static const emauth_spf_term *current_all(const emauth_spf_record *rec, const ea_new_term *kept,
                                          size_t nkept)
{
    const emauth_spf_term *all = find_kind(rec, EMAUTH_SPF_ALL);
    for (size_t i = 0; all == NULL && i < nkept; i++)
        if (kept[i].term.kind == EMAUTH_SPF_ALL)
            all = &kept[i].term;
    return all;
}

/* Sorts the terms into kept and skipped; a conflicting all sets out->conflict. */
static emauth_status classify(ea_arena *a, const emauth_spf_record *base, const ea_new_term *terms,
                              size_t n, ea_new_term *kept, size_t *nkept, ea_merge *out)
{
    out->added = ea_arena_alloc(a, n * sizeof *out->added);
    out->skipped = ea_arena_alloc(a, n * sizeof *out->skipped);
    if (out->added == NULL || out->skipped == NULL)
        return EMAUTH_ERR_NOMEM;
    *nkept = 0;
    for (size_t i = 0; i < n; i++) {
        const emauth_spf_term *t = &terms[i].term;
        if (present(base, kept, *nkept, t)) {
            out->skipped[out->nskipped++] = terms[i].text;
            continue;
        }
        const emauth_spf_term *all = t->kind == EMAUTH_SPF_ALL ? current_all(base, kept, *nkept)
                                                               : NULL;
        if (all != NULL) {
            char q1[32], q2[32];
            char *why = ea_arena_alloc(a, 160);
            if (why == NULL)
                return EMAUTH_ERR_NOMEM;
            snprintf(why, 160, "the record already has \"%s\"; \"%s\" cannot be added too",
                     ea_quote(q1, sizeof q1, all->text, all->text_len, 16),
                     ea_quote(q2, sizeof q2, t->text, t->text_len, 16));
            out->conflict = why;
            return EMAUTH_OK;
        }
        kept[(*nkept)++] = terms[i];
        out->added[out->nadded++] = terms[i].text;
    }
    return EMAUTH_OK;
}

/* Appends the kept terms, the all (if any) last, each with one space on the given side. */
static char *put_block(char *d, const ea_new_term *kept, size_t n, int space_after)
{
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < n; i++) {
            if ((kept[i].term.kind == EMAUTH_SPF_ALL) != pass)
                continue;
            size_t len = strlen(kept[i].text);
            if (!space_after)
                *d++ = ' ';
            memcpy(d, kept[i].text, len);
            d += len;
            if (space_after)
                *d++ = ' ';
        }
    return d;
}

static int needs_default_all(const emauth_spf_record *base, const ea_new_term *kept, size_t n)
{
    return current_all(base, kept, n) == NULL && base->redirect == NULL;
}

emauth_status ea_edit_merge(ea_arena *a, const emauth_spf_record *base, const ea_new_term *terms,
                            size_t n, int default_all, ea_merge *out)
{
    memset(out, 0, sizeof *out);
    ea_new_term *kept = ea_arena_alloc(a, (n ? n : 1) * sizeof *kept);
    if (kept == NULL)
        return EMAUTH_ERR_NOMEM;
    size_t nkept;
    emauth_status st = classify(a, base, terms, n, kept, &nkept, out);
    if (st != EMAUTH_OK || out->conflict != NULL)
        return st;
    static const char tilde_all[] = " ~all";
    int add_all = default_all && needs_default_all(base, kept, nkept);
    size_t size = base->text_len + 1 + (add_all ? sizeof tilde_all : 0);
    for (size_t i = 0; i < nkept; i++)
        size += strlen(kept[i].text) + 1;
    char *text = ea_arena_alloc(a, size);
    if (text == NULL)
        return EMAUTH_ERR_NOMEM;
    int before;
    size_t at = insertion_point(base, &before);
    memcpy(text, base->text, at);
    char *d = put_block(text + at, kept, nkept, before);
    memcpy(d, base->text + at, base->text_len - at);
    d += base->text_len - at;
    if (add_all) {
        memcpy(d, tilde_all, sizeof tilde_all - 1);
        d += sizeof tilde_all - 1;
    }
    *d = '\0';
    out->text = text;
    out->len = (size_t)(d - text);
    return EMAUTH_OK;
}
