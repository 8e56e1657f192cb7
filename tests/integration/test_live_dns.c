/*
 * Live DNS against a real authoritative server: NSD on 127.0.0.1 at a free
 * port, started here and stopped by PID at the end, queried through c-ares
 * by the blocking resolver and the async engine.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <emauth/async.h>
#include "nsd.h"

static test_nsd nsd;
static char big_zone[16384];

/* A TXT record of 5000 bytes: far past EDNS's 1232, so it must come over TCP. */
static void make_zone(void)
{
    int n = snprintf(big_zone, sizeof big_zone,
        "$ORIGIN emauth.test.\n$TTL 300\n"
        "@      SOA ns hostmaster 1 3600 600 86400 300\n"
        "@      NS  ns\n"
        "ns     A   127.0.0.1\n"
        "a      A   192.0.2.1\n"
        "a      A   192.0.2.2\n"
        "a      AAAA 2001:db8::1\n"
        "mx     MX  10 a\n"
        "spf    TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n"
        "alias1 CNAME alias2\n"
        "alias2 CNAME spf\n"
        "inc    TXT \"v=spf1 include:spf.emauth.test ~all\"\n"
        "big    TXT");
    for (int i = 0; i < 20; i++)
        n += snprintf(big_zone + n, sizeof big_zone - (size_t)n, " \"%0250d\"", i);
    snprintf(big_zone + n, sizeof big_zone - (size_t)n, "\n");
}

static int setup(void **state)
{
    (void)state;
    make_zone();
    test_zone_spec zones[] = {{"emauth.test.", big_zone}, {"broken.test.", NULL}};
    return test_nsd_start(&nsd, zones, 2);
}

static int teardown(void **state)
{
    (void)state;
    test_nsd_stop(&nsd);
    return 0;
}

static emauth_dns_options options(const char **server)
{
    emauth_dns_options o;
    emauth_dns_options_default(&o);
    o.nameservers = server;
    o.nameserver_count = 1;
    o.timeout_ms = 300;
    o.tries = 2;
    return o;
}

static emauth_resolver *live(void)
{
    static const char *server;
    server = nsd.server;
    emauth_dns_options o = options(&server);
    emauth_resolver *r;
    emauth_error err;
    assert_int_equal(emauth_ares_resolver_new(&o, &r, &err), EMAUTH_OK);
    return r;
}

static emauth_dns_answer ask(emauth_resolver *r, const char *name, uint16_t type)
{
    emauth_dns_question q = {name, type};
    emauth_dns_answer a;
    assert_int_equal(r->query(r, &q, &a), EMAUTH_OK);
    return a;
}

static void test_udp_answers(void **state)
{
    (void)state;
    emauth_resolver *r = live();
    emauth_dns_answer a = ask(r, "A.Emauth.Test", EMAUTH_DNS_A);
    assert_int_equal(a.rcode, EMAUTH_DNS_OK);
    assert_int_equal(a.count, 2);
    a = ask(r, "a.emauth.test", EMAUTH_DNS_AAAA);
    assert_int_equal(a.count, 1);
    assert_int_equal(a.rrs[0].u.aaaa[15], 1);
    a = ask(r, "mx.emauth.test", EMAUTH_DNS_MX);
    assert_int_equal(a.count, 1);
    assert_string_equal(a.rrs[0].u.mx.exchange, "a.emauth.test");
    a = ask(r, "spf.emauth.test", EMAUTH_DNS_TXT);
    assert_int_equal(a.count, 1);
    assert_memory_equal(a.rrs[0].u.txt.data, "v=spf1 ip4:192.0.2.0/24 -all", 28);
    r->destroy(r);
}

static void test_tcp_fallback(void **state)
{
    (void)state;
    emauth_resolver *r = live();
    emauth_dns_answer a = ask(r, "big.emauth.test", EMAUTH_DNS_TXT);
    assert_int_equal(a.rcode, EMAUTH_DNS_OK);
    assert_int_equal(a.count, 1);
    assert_int_equal(a.rrs[0].u.txt.nstrings, 20);
    assert_int_equal(a.rrs[0].u.txt.len, 20 * 250);
    assert_memory_equal(a.rrs[0].u.txt.data + 19 * 250, "00000000", 8);
    r->destroy(r);
}

static void test_void_answers(void **state)
{
    (void)state;
    emauth_resolver *r = live();
    emauth_dns_answer a = ask(r, "nx.emauth.test", EMAUTH_DNS_TXT);
    assert_int_equal(a.rcode, EMAUTH_DNS_NXDOMAIN);
    a = ask(r, "a.emauth.test", EMAUTH_DNS_TXT);
    assert_int_equal(a.rcode, EMAUTH_DNS_NODATA);
    r->destroy(r);
}

static void test_cname_chain(void **state)
{
    (void)state;
    emauth_resolver *r = live();
    emauth_dns_answer a = ask(r, "alias1.emauth.test", EMAUTH_DNS_TXT);
    assert_int_equal(a.rcode, EMAUTH_DNS_OK);
    assert_int_equal(a.count, 1);
    assert_int_equal(a.cname_count, 2);
    assert_string_equal(a.cnames[0], "alias2.emauth.test");
    assert_string_equal(a.cnames[1], "spf.emauth.test");
    r->destroy(r);
}

static void test_servfail_and_refused(void **state)
{
    (void)state;
    emauth_resolver *r = live();
    emauth_dns_answer a = ask(r, "x.broken.test", EMAUTH_DNS_TXT);
    assert_int_equal(a.rcode, EMAUTH_DNS_SERVFAIL);
    assert_non_null(a.why);
    a = ask(r, "example.org", EMAUTH_DNS_TXT);   /* not NSD's zone */
    assert_int_equal(a.rcode, EMAUTH_DNS_SERVFAIL);
    assert_string_equal(a.why, "REFUSED");
    r->destroy(r);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A server that never answers: temperror within timeout x tries, not a hang. */
static void test_black_hole_times_out(void **state)
{
    (void)state;
    int port;
    int fd = test_black_hole(&port);
    assert_true(fd >= 0);
    char server[64];
    snprintf(server, sizeof server, "127.0.0.1:%d", port);
    const char *servers[] = {server};
    emauth_dns_options o = options(servers);
    emauth_resolver *r;
    assert_int_equal(emauth_ares_resolver_new(&o, &r, NULL), EMAUTH_OK);
    double t0 = now_s();
    emauth_dns_answer a = ask(r, "spf.emauth.test", EMAUTH_DNS_TXT);
    double took = now_s() - t0;
    assert_int_equal(a.rcode, EMAUTH_DNS_TIMEOUT);
    assert_true(took < 3.0);

    emauth_spf_request req;
    memset(&req, 0, sizeof req);
    emauth_ip_parse("192.0.2.1", 9, &req.ip, NULL);
    req.mail_from = "u@spf.emauth.test";
    emauth_spf_eval *ev;
    assert_int_equal(emauth_spf_check(r, &req, &ev, NULL), EMAUTH_OK);
    assert_int_equal(emauth_spf_eval_result(ev)->verdict, EMAUTH_SPF_TEMPERROR);
    assert_non_null(strstr(emauth_spf_eval_result(ev)->problem, "timeout"));
    emauth_spf_eval_free(ev);
    r->destroy(r);
    close(fd);
}

static void test_bad_nameserver_is_named(void **state)
{
    (void)state;
    const char *servers[] = {"127.0.0.1:99999"};
    emauth_dns_options o = options(servers);
    emauth_resolver *r = NULL;
    emauth_error err;
    assert_int_equal(emauth_ares_resolver_new(&o, &r, &err), EMAUTH_ERR_INVALID);
    assert_null(r);
    assert_non_null(strstr(err.message, "127.0.0.1:99999"));
}

typedef struct tally {
    int pass, fail, other;
} tally;

static void count(void *arg, const emauth_spf_result *res)
{
    tally *t = arg;
    if (res->verdict == EMAUTH_SPF_PASS)
        t->pass++;
    else if (res->verdict == EMAUTH_SPF_FAIL)
        t->fail++;
    else
        t->other++;
}

/* 200 checks in flight share answers: each question goes out once. */
static void test_async_shares_questions(void **state)
{
    (void)state;
    static const char *server;
    server = nsd.server;
    emauth_dns_options o = options(&server);
    emauth_async *as;
    assert_int_equal(emauth_async_new(&o, &as, NULL), EMAUTH_OK);
    tally t = {0, 0, 0};
    for (int i = 0; i < 200; i++) {
        emauth_spf_request req;
        memset(&req, 0, sizeof req);
        char ip[32];
        snprintf(ip, sizeof ip, "%s.%d", i % 2 ? "192.0.2" : "198.51.100", i % 250 + 1);
        emauth_ip_parse(ip, strlen(ip), &req.ip, NULL);
        req.mail_from = "user@inc.emauth.test";
        assert_int_equal(emauth_async_spf(as, &req, count, &t, NULL), EMAUTH_OK);
    }
    assert_int_equal(emauth_async_run(as), EMAUTH_OK);
    assert_int_equal(t.pass, 100);
    assert_int_equal(t.other, 100);   /* softfail from ~all */
    emauth_dns_stats s;
    emauth_async_stats(as, &s);
    assert_int_equal(s.questions, 400);
    assert_int_equal(s.queries, 2);           /* inc and spf, once each */
    assert_int_equal(s.joined + s.cache_hits, 398);
    assert_true(s.latency_ms_p50 > 0);
    emauth_async_free(as);
}

/* The engine in a caller's own poll loop: pollfds, timeout, process. */
static void test_async_own_loop(void **state)
{
    (void)state;
    static const char *server;
    server = nsd.server;
    emauth_dns_options o = options(&server);
    emauth_async *as;
    assert_int_equal(emauth_async_new(&o, &as, NULL), EMAUTH_OK);
    tally t = {0, 0, 0};
    emauth_spf_request req;
    memset(&req, 0, sizeof req);
    emauth_ip_parse("192.0.2.9", 9, &req.ip, NULL);
    req.mail_from = "user@alias1.emauth.test";
    assert_int_equal(emauth_async_spf(as, &req, count, &t, NULL), EMAUTH_OK);
    assert_int_equal(emauth_async_in_flight(as), 1);
    int rounds = 0;
    while (emauth_async_in_flight(as) > 0 && rounds++ < 100) {
        struct pollfd fds[8];
        size_t n = emauth_async_pollfds(as, fds, 8);
        assert_true(n >= 1 && n <= 8);
        int timeout = emauth_async_timeout(as);
        assert_true(timeout >= 0 && timeout <= 300);
        poll(fds, n, timeout);
        assert_int_equal(emauth_async_process(as, fds, n), EMAUTH_OK);
    }
    assert_int_equal(t.pass, 1);   /* alias1 -> alias2 -> spf: ip4:192.0.2.0/24 */
    assert_int_equal(emauth_async_timeout(as), -1);
    emauth_async_free(as);
}

static void got_mx(void *arg, const emauth_dns_answer *a)
{
    int *calls = arg;
    (*calls)++;
    assert_int_equal(a->rcode, EMAUTH_DNS_OK);
    assert_int_equal(a->count, 1);
    assert_string_equal(a->rrs[0].u.mx.exchange, "a.emauth.test");
}

/* One question on the engine: over the network, then from the cache at once. */
static void test_async_query(void **state)
{
    (void)state;
    static const char *server;
    server = nsd.server;
    emauth_dns_options o = options(&server);
    emauth_async *as;
    assert_int_equal(emauth_async_new(&o, &as, NULL), EMAUTH_OK);
    emauth_dns_question q = {"mx.emauth.test", EMAUTH_DNS_MX};
    int calls = 0;
    assert_int_equal(emauth_async_query(as, &q, got_mx, &calls, NULL), EMAUTH_OK);
    assert_int_equal(calls, 0);   /* on the network */
    assert_int_equal(emauth_async_run(as), EMAUTH_OK);
    assert_int_equal(calls, 1);
    assert_int_equal(emauth_async_query(as, &q, got_mx, &calls, NULL), EMAUTH_OK);
    assert_int_equal(calls, 2);   /* a cache hit: inside the call */
    emauth_dns_stats s;
    emauth_async_stats(as, &s);
    assert_int_equal(s.questions, 2);
    assert_int_equal(s.queries, 1);
    assert_int_equal(s.cache_hits, 1);
    emauth_async_free(as);
}

/* The blocking view: waits for its answer, shares the engine's cache. */
static void test_async_resolver(void **state)
{
    (void)state;
    static const char *server;
    server = nsd.server;
    emauth_dns_options o = options(&server);
    emauth_async *as;
    assert_int_equal(emauth_async_new(&o, &as, NULL), EMAUTH_OK);
    emauth_resolver *r = emauth_async_resolver(as);
    emauth_dns_answer a = ask(r, "spf.emauth.test", EMAUTH_DNS_TXT);
    assert_int_equal(a.rcode, EMAUTH_DNS_OK);
    assert_int_equal(a.count, 1);
    assert_memory_equal(a.rrs[0].u.txt.data, "v=spf1 ip4:192.0.2.0/24 -all", 28);
    a = ask(r, "nowhere.emauth.test", EMAUTH_DNS_TXT);
    assert_int_equal(a.rcode, EMAUTH_DNS_NXDOMAIN);
    a = ask(r, "big.emauth.test", EMAUTH_DNS_TXT);   /* over TCP */
    assert_int_equal(a.count, 1);
    assert_int_equal(a.rrs[0].u.txt.len, 5000);
    a = ask(r, "spf.emauth.test", EMAUTH_DNS_TXT);   /* the same again: the cache */
    assert_int_equal(a.count, 1);
    emauth_dns_stats s;
    emauth_async_stats(as, &s);
    assert_int_equal(s.questions, 4);
    assert_int_equal(s.queries, 3);
    assert_int_equal(s.cache_hits, 1);
    /* a blocking SPF check over it: the answers it needs are cached */
    emauth_spf_request req;
    memset(&req, 0, sizeof req);
    emauth_ip_parse("192.0.2.9", 9, &req.ip, NULL);
    req.mail_from = "user@spf.emauth.test";
    emauth_spf_eval *ev = NULL;
    assert_int_equal(emauth_spf_check(r, &req, &ev, NULL), EMAUTH_OK);
    assert_int_equal(emauth_spf_eval_result(ev)->verdict, EMAUTH_SPF_PASS);
    emauth_spf_eval_free(ev);
    emauth_async_stats(as, &s);
    assert_int_equal(s.queries, 3);
    emauth_async_free(as);
}

int main(void)
{
    if (!test_nsd_available()) {
        printf("SKIP: nsd is not installed (apt-get install nsd)\n");
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_udp_answers),          cmocka_unit_test(test_tcp_fallback),
        cmocka_unit_test(test_void_answers),         cmocka_unit_test(test_cname_chain),
        cmocka_unit_test(test_servfail_and_refused), cmocka_unit_test(test_black_hole_times_out),
        cmocka_unit_test(test_bad_nameserver_is_named),
        cmocka_unit_test(test_async_shares_questions),
        cmocka_unit_test(test_async_own_loop),
        cmocka_unit_test(test_async_query),
        cmocka_unit_test(test_async_resolver),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
