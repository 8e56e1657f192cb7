/* The parsed-record cache: armed at the second check, pinned entries kept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "spf/reccache.h"
#include "spf/record_internal.h"
#include "util/arena.h"

static emauth_spf_record parse(ea_arena *a, const char *text)
{
    emauth_spf_record rec;
    emauth_error err;
    assert_int_equal(ea_spf_parse(a, text, strlen(text), &rec, &err), EMAUTH_OK);
    return rec;
}

/* An evaluator made for one check never allocates the slots. */
static void test_first_check_uncached(void **state)
{
    (void)state;
    ea_arena a;
    ea_arena_init(&a);
    ea_reccache c;
    ea_reccache_init(&c);
    ea_reccache_next_gen(&c);
    const char *text = "v=spf1 ip4:192.0.2.0/24 -all";
    uint64_t h;
    assert_null(ea_reccache_get(&c, text, strlen(text), &h));
    emauth_spf_record rec = parse(&a, text);
    assert_null(ea_reccache_put(&c, h, &rec));
    assert_null(c.slot);
    ea_reccache_free(&c);
    ea_arena_free(&a);
}

/* From the second check on, a stored record comes back as a copy that
 * outlives the text it was parsed from, and a pinned slot is not replaced. */
static void test_second_check_cached(void **state)
{
    (void)state;
    ea_arena a;
    ea_arena_init(&a);
    ea_reccache c;
    ea_reccache_init(&c);
    ea_reccache_next_gen(&c);
    ea_reccache_next_gen(&c);
    char text[] = "v=spf1 a mx include:_spf.example.net -all";
    uint64_t h;
    assert_null(ea_reccache_get(&c, text, strlen(text), &h));
    emauth_spf_record rec = parse(&a, text);
    const emauth_spf_record *kept = ea_reccache_put(&c, h, &rec);
    assert_non_null(kept);
    memset(text, 'x', sizeof text - 1);   /* the cache owns its copy */
    assert_int_equal(kept->nterms, 4);
    assert_memory_equal(kept->terms[2].spec, "_spf.example.net", 16);

    ea_reccache_next_gen(&c);
    const char *again = "v=spf1 a mx include:_spf.example.net -all";
    uint64_t h2;
    assert_ptr_equal(ea_reccache_get(&c, again, strlen(again), &h2), kept);
    assert_int_equal(h2, h);
    /* Pinned in this generation: a put with the same hash stores nothing. */
    assert_null(ea_reccache_put(&c, h2, &rec));
    ea_reccache_free(&c);
    assert_null(c.slot);
    ea_arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_check_uncached),
        cmocka_unit_test(test_second_check_cached),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
