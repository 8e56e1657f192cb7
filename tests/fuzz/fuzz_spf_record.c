/*
 * SPF records (RFC 7208 §4.6, §12): emauth_spf_record_parse(), and
 * ea_spf_parse() on a buffer of exactly the record's size (no NUL after
 * it, so a read past the end is caught). Every spec of a parsed record
 * goes through the macro checker, as the evaluator would.
 *
 * Invariants: both entry points agree; terms lie inside the record and
 * their columns point at them; redirect/exp point into the term array.
 */
#include <stdlib.h>

#include <emauth/spf.h>
#include "fuzz_util.h"
#include "spf/macro.h"
#include "spf/record_internal.h"
#include "util/arena.h"

static void check_terms(const emauth_spf_record *r)
{
    unsigned dns = 0;
    for (size_t i = 0; i < r->nterms; i++) {
        const emauth_spf_term *t = &r->terms[i];
        if (t->text < r->text || t->text_len > r->text_len ||
            (size_t)(t->text - r->text) > r->text_len - t->text_len ||
            t->column != (size_t)(t->text - r->text) + 1)
            abort();
        if (t->spec != NULL && (t->spec < t->text || t->spec + t->spec_len > t->text + t->text_len))
            abort();
        if (t->spec != NULL) {
            size_t bad;
            const char *what;
            (void)ea_macro_check(t->spec, t->spec_len,
                                 EA_MACRO_DOMAIN,
                                 &bad, &what);
        }
        dns += t->kind == EMAUTH_SPF_INCLUDE || t->kind == EMAUTH_SPF_A ||
               t->kind == EMAUTH_SPF_MX || t->kind == EMAUTH_SPF_PTR ||
               t->kind == EMAUTH_SPF_EXISTS || t->kind == EMAUTH_SPF_REDIRECT;
        fz_touch(emauth_spf_term_kind_name(t->kind));
    }
    if (dns != r->dns_terms)
        abort();
    if ((r->redirect && (r->redirect < r->terms || r->redirect >= r->terms + r->nterms)) ||
        (r->exp && (r->exp < r->terms || r->exp >= r->terms + r->nterms)))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fz_dup_exact(data, size);
    (void)emauth_spf_is_record(text, size);

    emauth_spf_record *rec = NULL;
    emauth_error err;
    emauth_status st = emauth_spf_record_parse(text, size, &rec, &err);
    if (st == EMAUTH_OK) {
        check_terms(rec);
        emauth_spf_record_free(rec);
    } else {
        if (rec != NULL || err.status != st)
            abort();
        fz_touch(err.message);
    }

    ea_arena arena;
    ea_arena_init(&arena);
    emauth_spf_record r2;
    emauth_status st2 = ea_spf_parse(&arena, text, size, &r2, &err);
    if (st2 != st)
        abort();
    if (st2 == EMAUTH_OK)
        check_terms(&r2);
    ea_arena_free(&arena);
    free(text);
    return 0;
}
