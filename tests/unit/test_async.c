/* The async engine over a zone (no network): the same API as over c-ares,
 * answers at hand, so checks complete inside emauth_async_spf(). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <emauth/async.h>

static const char world[] =
    "$ORIGIN example.com.\n"
    "@      300 TXT \"v=spf1 ip4:192.0.2.0/24 include:_spf.example.net -all\"\n"
    "_spf.example.net. 300 TXT \"v=spf1 ip4:198.51.100.0/24 -all\"\n";

typedef struct seen {
    int calls;
    emauth_spf_verdict last;
} seen;

static void done(void *arg, const emauth_spf_result *res)
{
    seen *s = arg;
    s->calls++;
    s->last = res->verdict;
}

static emauth_spf_request request(const char *ip)
{
    emauth_spf_request req;
    memset(&req, 0, sizeof req);
    assert_int_equal(emauth_ip_parse(ip, strlen(ip), &req.ip, NULL), EMAUTH_OK);
    req.mail_from = "user@example.com";
    return req;
}

static void test_zone_engine(void **state)
{
    (void)state;
    emauth_zone *z = emauth_zone_new();
    assert_int_equal(emauth_zone_load_string(z, world, sizeof world - 1, "world", NULL, NULL),
                     EMAUTH_OK);
    emauth_async *as;
    assert_int_equal(emauth_async_new_zone(z, &as, NULL), EMAUTH_OK);
    seen s = {0, EMAUTH_SPF_NONE};
    static const char *const ips[] = {"192.0.2.1", "198.51.100.1", "203.0.113.1"};
    static const emauth_spf_verdict want[] = {EMAUTH_SPF_PASS, EMAUTH_SPF_PASS, EMAUTH_SPF_FAIL};
    for (int i = 0; i < 3; i++) {
        emauth_spf_request req = request(ips[i]);
        assert_int_equal(emauth_async_spf(as, &req, done, &s, NULL), EMAUTH_OK);
        assert_int_equal(s.calls, i + 1);   /* completed inside the call */
        assert_int_equal(s.last, want[i]);
        assert_int_equal(emauth_async_in_flight(as), 0);
    }
    /* nothing to wait for: no sockets, no timeout, run returns at once */
    struct pollfd fds[4];
    assert_int_equal(emauth_async_pollfds(as, fds, 4), 0);
    assert_int_equal(emauth_async_timeout(as), -1);
    assert_int_equal(emauth_async_process(as, fds, 0), EMAUTH_OK);
    assert_int_equal(emauth_async_run(as), EMAUTH_OK);
    emauth_dns_stats st;
    emauth_async_stats(as, &st);
    assert_int_equal(st.questions, 1 + 2 + 2);   /* TXT; TXT, TXT; TXT, TXT */
    assert_int_equal(st.queries, 0);
    emauth_async_free(as);
    emauth_zone_free(z);
}

static void test_bad_request_no_callback(void **state)
{
    (void)state;
    emauth_zone *z = emauth_zone_new();
    emauth_async *as;
    assert_int_equal(emauth_async_new_zone(z, &as, NULL), EMAUTH_OK);
    seen s = {0, EMAUTH_SPF_NONE};
    emauth_spf_request req;
    memset(&req, 0, sizeof req);   /* no IP address */
    emauth_error err;
    assert_int_equal(emauth_async_spf(as, &req, done, &s, &err), EMAUTH_ERR_INVALID);
    assert_int_equal(s.calls, 0);
    assert_int_equal(emauth_async_in_flight(as), 0);
    emauth_async_free(as);
    emauth_zone_free(z);
    assert_int_equal(emauth_async_new_zone(NULL, &as, &err), EMAUTH_ERR_INVALID);
    emauth_async_free(NULL);
}

static void got_report(void *arg, const emauth_lint_report *r)
{
    unsigned *lookups = arg;
    assert_string_equal(r->domain, "example.com");
    assert_non_null(r->tree);
    assert_int_equal(r->tree->nchildren, 1);
    *lookups = r->dns_lookups;
}

/* The analyzer on the engine: the same walk, driven by the engine. */
static void test_lint_on_engine(void **state)
{
    (void)state;
    emauth_zone *z = emauth_zone_new();
    assert_int_equal(emauth_zone_load_string(z, world, sizeof world - 1, "world", NULL, NULL),
                     EMAUTH_OK);
    emauth_async *as;
    assert_int_equal(emauth_async_new_zone(z, &as, NULL), EMAUTH_OK);
    unsigned lookups = 99;
    assert_int_equal(emauth_async_spf_lint(as, "example.com", got_report, &lookups, NULL),
                     EMAUTH_OK);
    assert_int_equal(lookups, 1);   /* the include */
    assert_int_equal(emauth_async_in_flight(as), 0);
    /* finished jobs are reused: a second run gives the same */
    lookups = 99;
    assert_int_equal(emauth_async_spf_lint(as, "example.com", got_report, &lookups, NULL),
                     EMAUTH_OK);
    assert_int_equal(lookups, 1);
    emauth_async_free(as);
    emauth_zone_free(z);
}

static const char dmarc_world[] =
    "$ORIGIN example.org.\n"
    "_dmarc 300 TXT \"v=DMARC1; p=reject\"\n"
    "@      300 MX 10 mx.example.org.\n";

static void got_dmarc(void *arg, const emauth_dmarc_report *r)
{
    int *valid = arg;
    assert_string_equal(r->domain, "sub.example.org");
    assert_string_equal(r->policy_domain, "example.org");
    *valid = r->valid;
}

/* The DMARC checker on the engine: discovery finds the parent's record. */
static void test_dmarc_on_engine(void **state)
{
    (void)state;
    emauth_zone *z = emauth_zone_new();
    assert_int_equal(emauth_zone_load_string(z, dmarc_world, sizeof dmarc_world - 1, "w", NULL,
                                             NULL),
                     EMAUTH_OK);
    emauth_async *as;
    assert_int_equal(emauth_async_new_zone(z, &as, NULL), EMAUTH_OK);
    int valid = -1;
    assert_int_equal(emauth_async_dmarc_check(as, "sub.example.org", EMAUTH_DMARC_9989,
                                              got_dmarc, &valid, NULL),
                     EMAUTH_OK);
    assert_int_equal(valid, 1);   /* completed inside the call */
    assert_int_equal(emauth_async_in_flight(as), 0);
    emauth_async_free(as);
    emauth_zone_free(z);
}

static void got_answer(void *arg, const emauth_dns_answer *a)
{
    emauth_dns_answer *copy = arg;
    *copy = *a;
    copy->rrs = NULL;   /* valid during the call only */
    if (a->count > 0)
        assert_int_equal(a->rrs[0].u.mx.preference, 10);
}

/* One question, and the blocking view over the engine. */
static void test_query_and_resolver(void **state)
{
    (void)state;
    emauth_zone *z = emauth_zone_new();
    assert_int_equal(emauth_zone_load_string(z, dmarc_world, sizeof dmarc_world - 1, "w", NULL,
                                             NULL),
                     EMAUTH_OK);
    emauth_async *as;
    assert_int_equal(emauth_async_new_zone(z, &as, NULL), EMAUTH_OK);
    emauth_dns_answer a;
    memset(&a, 0xff, sizeof a);
    emauth_dns_question q = {"example.org", EMAUTH_DNS_MX};
    assert_int_equal(emauth_async_query(as, &q, got_answer, &a, NULL), EMAUTH_OK);
    assert_int_equal(a.rcode, EMAUTH_DNS_OK);
    assert_int_equal(a.count, 1);
    emauth_dns_question nx = {"nowhere.example.org", EMAUTH_DNS_TXT};
    assert_int_equal(emauth_async_query(as, &nx, got_answer, &a, NULL), EMAUTH_OK);
    assert_int_equal(a.rcode, EMAUTH_DNS_NXDOMAIN);
    emauth_error err;
    assert_int_equal(emauth_async_query(as, NULL, got_answer, &a, &err), EMAUTH_ERR_INVALID);
    assert_int_equal(emauth_async_in_flight(as), 0);

    emauth_resolver *r = emauth_async_resolver(as);
    assert_non_null(r);
    assert_null(r->destroy);
    emauth_dns_answer b;
    assert_int_equal(r->query(r, &q, &b), EMAUTH_OK);
    assert_int_equal(b.rcode, EMAUTH_DNS_OK);
    assert_int_equal(b.count, 1);
    assert_string_equal(b.rrs[0].u.mx.exchange, "mx.example.org");
    emauth_dns_question txt = {"_dmarc.example.org", EMAUTH_DNS_TXT};
    assert_int_equal(r->query(r, &txt, &b), EMAUTH_OK);   /* frees the previous copy */
    assert_int_equal(b.count, 1);
    assert_memory_equal(b.rrs[0].u.txt.data, "v=DMARC1", 8);
    /* code written for a blocking resolver runs over it */
    emauth_dmarc_check *c;
    assert_int_equal(emauth_dmarc_check_new(&c), EMAUTH_OK);
    assert_int_equal(emauth_dmarc_check_start(c, "example.org", EMAUTH_DMARC_9989, NULL),
                     EMAUTH_OK);
    assert_int_equal(emauth_dmarc_check_run(c, r), EMAUTH_OK);
    assert_int_equal(emauth_dmarc_check_report(c)->valid, 1);
    emauth_dmarc_check_free(c);
    emauth_dns_stats st;
    emauth_async_stats(as, &st);
    assert_true(st.questions >= 4);
    assert_int_equal(st.queries, 0);
    emauth_async_free(as);   /* frees the last copy */
    emauth_zone_free(z);
}

static void test_options_default(void **state)
{
    (void)state;
    emauth_dns_options o;
    memset(&o, 0xff, sizeof o);
    emauth_dns_options_default(&o);
    assert_null(o.nameservers);
    assert_int_equal(o.nameserver_count, 0);
    assert_int_equal(o.timeout_ms, 2000);
    assert_int_equal(o.tries, 2);
    assert_int_equal(o.cache_entries, 100000);
    assert_int_equal(o.max_ttl, 86400);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zone_engine),
        cmocka_unit_test(test_bad_request_no_callback),
        cmocka_unit_test(test_options_default),
        cmocka_unit_test(test_lint_on_engine),
        cmocka_unit_test(test_dmarc_on_engine),
        cmocka_unit_test(test_query_and_resolver),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
