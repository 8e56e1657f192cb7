/* The DNS answer cache (src/dns/cache.c): TTLs, negative answers, bounds, copies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dns/cache.h"

static emauth_dns_answer txt_answer(emauth_dns_rr *rr, const char *text)
{
    memset(rr, 0, sizeof *rr);
    rr->type = EMAUTH_DNS_TXT;
    rr->ttl = 300;
    rr->u.txt.data = text;
    rr->u.txt.len = strlen(text);
    rr->u.txt.nstrings = 1;
    emauth_dns_answer a = {EMAUTH_DNS_OK, NULL, 1, rr, 0, NULL};
    return a;
}

static void test_hit_miss_expiry(void **state)
{
    (void)state;
    ea_cache *c = ea_cache_new(10, 86400);
    assert_non_null(c);
    char text[] = "v=spf1 -all";
    emauth_dns_rr rr;
    emauth_dns_answer a = txt_answer(&rr, text);
    emauth_dns_question q = {"Example.COM.", EMAUTH_DNS_TXT};
    emauth_dns_answer out;
    assert_int_equal(ea_cache_get(c, &q, 1000, &out), 0);
    assert_int_equal(ea_cache_put(c, &q, &a, 60, 1000), EMAUTH_OK);
    text[0] = 'X';   /* the cache holds a copy */
    emauth_dns_question q2 = {"example.com", EMAUTH_DNS_TXT};
    assert_int_equal(ea_cache_get(c, &q2, 1000 + 59999, &out), 1);
    assert_int_equal(out.count, 1);
    assert_memory_equal(out.rrs[0].u.txt.data, "v=spf1 -all", 11);
    /* another type is another key */
    emauth_dns_question q3 = {"example.com", EMAUTH_DNS_A};
    assert_int_equal(ea_cache_get(c, &q3, 1000, &out), 0);
    /* expired after the TTL */
    assert_int_equal(ea_cache_get(c, &q2, 1000 + 60000, &out), 0);
    assert_int_equal(ea_cache_count(c), 0);
    ea_cache_free(c);
}

static void test_negative_and_errors(void **state)
{
    (void)state;
    ea_cache *c = ea_cache_new(10, 86400);
    emauth_dns_question q = {"nx.example.com", EMAUTH_DNS_TXT};
    emauth_dns_answer nx = {EMAUTH_DNS_NXDOMAIN, NULL, 0, NULL, 0, NULL};
    emauth_dns_answer out;
    assert_int_equal(ea_cache_put(c, &q, &nx, 300, 0), EMAUTH_OK);
    assert_int_equal(ea_cache_get(c, &q, 1, &out), 1);
    assert_int_equal(out.rcode, EMAUTH_DNS_NXDOMAIN);
    /* failures and TTL 0 are never kept */
    emauth_dns_question q2 = {"sf.example.com", EMAUTH_DNS_TXT};
    emauth_dns_answer sf = {EMAUTH_DNS_SERVFAIL, "SERVFAIL", 0, NULL, 0, NULL};
    emauth_dns_answer to = {EMAUTH_DNS_TIMEOUT, "no answer", 0, NULL, 0, NULL};
    ea_cache_put(c, &q2, &sf, 300, 0);
    ea_cache_put(c, &q2, &to, 300, 0);
    emauth_dns_question q3 = {"zero.example.com", EMAUTH_DNS_TXT};
    ea_cache_put(c, &q3, &nx, 0, 0);
    assert_int_equal(ea_cache_get(c, &q2, 1, &out), 0);
    assert_int_equal(ea_cache_get(c, &q3, 1, &out), 0);
    assert_int_equal(ea_cache_count(c), 1);
    ea_cache_free(c);
}

static void test_bounded_lru(void **state)
{
    (void)state;
    ea_cache *c = ea_cache_new(3, 86400);
    emauth_dns_answer nx = {EMAUTH_DNS_NXDOMAIN, NULL, 0, NULL, 0, NULL};
    emauth_dns_answer out;
    char name[32];
    for (int i = 0; i < 3; i++) {
        snprintf(name, sizeof name, "n%d.example", i);
        emauth_dns_question q = {name, EMAUTH_DNS_A};
        ea_cache_put(c, &q, &nx, 300, 0);
    }
    emauth_dns_question q0 = {"n0.example", EMAUTH_DNS_A};
    assert_int_equal(ea_cache_get(c, &q0, 1, &out), 1);   /* n0 is now the most recent */
    emauth_dns_question q3 = {"n3.example", EMAUTH_DNS_A};
    ea_cache_put(c, &q3, &nx, 300, 0);                     /* evicts n1, the least recent */
    assert_int_equal(ea_cache_count(c), 3);
    emauth_dns_question q1 = {"n1.example", EMAUTH_DNS_A};
    assert_int_equal(ea_cache_get(c, &q1, 1, &out), 0);
    assert_int_equal(ea_cache_get(c, &q0, 1, &out), 1);
    ea_cache_free(c);
}

static void test_ttl_cap_and_replace(void **state)
{
    (void)state;
    ea_cache *c = ea_cache_new(10, 100);
    emauth_dns_rr rr;
    emauth_dns_answer a = txt_answer(&rr, "first");
    emauth_dns_question q = {"x.example", EMAUTH_DNS_TXT};
    emauth_dns_answer out;
    ea_cache_put(c, &q, &a, 1000000, 0);
    assert_int_equal(ea_cache_get(c, &q, 100000, &out), 0);   /* capped at 100 s */
    ea_cache_put(c, &q, &a, 50, 0);
    a = txt_answer(&rr, "second");
    ea_cache_put(c, &q, &a, 50, 0);
    assert_int_equal(ea_cache_count(c), 1);
    assert_int_equal(ea_cache_get(c, &q, 1, &out), 1);
    assert_memory_equal(out.rrs[0].u.txt.data, "second", 6);
    ea_cache_free(c);
    assert_null(ea_cache_new(0, 10));
}

static void test_clone(void **state)
{
    (void)state;
    emauth_dns_rr rrs[3];
    memset(rrs, 0, sizeof rrs);
    rrs[0].type = EMAUTH_DNS_MX;
    rrs[0].u.mx.preference = 5;
    rrs[0].u.mx.exchange = "mx.example.com";
    rrs[1].type = EMAUTH_DNS_PTR;
    rrs[1].u.target = "host.example.com";
    rrs[2].type = EMAUTH_DNS_SOA;
    rrs[2].u.soa.mname = "ns.example.com";
    rrs[2].u.soa.rname = "admin.example.com";
    rrs[2].u.soa.minimum = 77;
    const char *cn[] = {"alias.example.com"};
    emauth_dns_answer a = {EMAUTH_DNS_OK, "static", 3, rrs, 1, cn};
    emauth_dns_answer *c = ea_answer_clone(&a);
    assert_non_null(c);
    assert_int_equal(c->count, 3);
    assert_ptr_not_equal(c->rrs[0].u.mx.exchange, rrs[0].u.mx.exchange);
    assert_string_equal(c->rrs[0].u.mx.exchange, "mx.example.com");
    assert_string_equal(c->rrs[1].u.target, "host.example.com");
    assert_string_equal(c->rrs[2].u.soa.rname, "admin.example.com");
    assert_int_equal(c->rrs[2].u.soa.minimum, 77);
    assert_string_equal(c->cnames[0], "alias.example.com");
    assert_string_equal(c->why, "static");
    free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hit_miss_expiry), cmocka_unit_test(test_negative_and_errors),
        cmocka_unit_test(test_bounded_lru),     cmocka_unit_test(test_ttl_cap_and_replace),
        cmocka_unit_test(test_clone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
