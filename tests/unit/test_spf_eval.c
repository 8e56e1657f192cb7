/*
 * The sans-I/O SPF evaluator driven by hand: each test scripts the DNS
 * answers and checks the questions asked, the verdict and the reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <emauth/spf.h>

/* One scripted DNS entry: TXT strings, or A addresses, or a PTR/MX name. */
typedef struct entry {
    const char *name;
    uint16_t type;
    emauth_dns_rcode rcode;
    const char *data[4];    /* TXT texts, dotted IPv4, or names */
} entry;

typedef struct script {
    emauth_resolver base;
    const entry *entries;
    emauth_dns_rr rrs[8];
    int asked;
} script;

static void fill(script *s, const entry *e, emauth_dns_answer *out)
{
    size_t n = 0;
    for (; n < 4 && e->data[n]; n++) {
        emauth_dns_rr *rr = &s->rrs[n];
        memset(rr, 0, sizeof *rr);
        rr->type = e->type;
        if (e->type == EMAUTH_DNS_TXT) {
            rr->u.txt.data = e->data[n];
            rr->u.txt.len = strlen(e->data[n]);
            rr->u.txt.nstrings = 1;
        } else if (e->type == EMAUTH_DNS_A) {
            emauth_ip ip;
            assert_int_equal(emauth_ip_parse(e->data[n], strlen(e->data[n]), &ip, NULL), 0);
            memcpy(rr->u.a, ip.addr, 4);
        } else if (e->type == EMAUTH_DNS_MX) {
            rr->u.mx.exchange = e->data[n];
        } else {
            rr->u.target = e->data[n];
        }
    }
    out->rcode = e->rcode;
    out->count = e->rcode == EMAUTH_DNS_OK ? n : 0;
    out->rrs = s->rrs;
}

/* Unscripted questions get NXDOMAIN. */
static void lookup(script *s, const emauth_dns_question *q, emauth_dns_answer *out)
{
    memset(out, 0, sizeof *out);
    out->rcode = EMAUTH_DNS_NXDOMAIN;
    s->asked++;
    for (const entry *e = s->entries; e->name; e++)
        if (strcmp(e->name, q->name) == 0 && e->type == q->type) {
            fill(s, e, out);
            return;
        }
}

static emauth_status script_query(emauth_resolver *r, const emauth_dns_question *q,
                                  emauth_dns_answer *out)
{
    lookup((script *)r, q, out);
    return EMAUTH_OK;
}

static void script_init(script *s, const entry *entries)
{
    memset(s, 0, sizeof *s);
    s->base.query = script_query;
    s->entries = entries;
}

static emauth_spf_request request(const char *ip, const char *mail_from)
{
    emauth_spf_request req;
    memset(&req, 0, sizeof req);
    assert_int_equal(emauth_ip_parse(ip, strlen(ip), &req.ip, NULL), EMAUTH_OK);
    req.mail_from = mail_from;
    req.helo = "mx.example.org";
    req.now = 1700000000;
    return req;
}

/* Runs a check over a script; the caller frees *ev. */
static const emauth_spf_result *run(const entry *entries, const emauth_spf_request *req,
                                    emauth_spf_eval **ev)
{
    script s;
    script_init(&s, entries);
    emauth_error err;
    assert_int_equal(emauth_spf_check(&s.base, req, ev, &err), EMAUTH_OK);
    const emauth_spf_result *r = emauth_spf_eval_result(*ev);
    assert_non_null(r);
    return r;
}

static void test_step_by_step(void **state)
{
    (void)state;
    static const entry zone[] = {
        {"example.com", EMAUTH_DNS_TXT, EMAUTH_DNS_OK, {"v=spf1 ip4:192.0.2.0/24 -all"}},
        {NULL, 0, 0, {NULL}},
    };
    emauth_spf_eval *ev;
    assert_int_equal(emauth_spf_eval_new(&ev), EMAUTH_OK);
    emauth_spf_request req = request("192.0.2.9", "user@example.com");
    assert_int_equal(emauth_spf_eval_start(ev, &req, NULL), EMAUTH_OK);
    assert_null(emauth_spf_eval_result(ev));
    const emauth_dns_question *q;
    assert_int_equal(emauth_spf_eval_next(ev, &q), EMAUTH_NEED_DNS);
    assert_string_equal(q->name, "example.com");
    assert_int_equal(q->type, EMAUTH_DNS_TXT);
    /* asking again without answering returns the same question */
    const emauth_dns_question *again;
    assert_int_equal(emauth_spf_eval_next(ev, &again), EMAUTH_NEED_DNS);
    assert_ptr_equal(q, again);
    script s;
    script_init(&s, zone);
    emauth_dns_answer a;
    lookup(&s, q, &a);
    assert_int_equal(emauth_spf_eval_answer(ev, &a), EMAUTH_OK);
    assert_int_equal(emauth_spf_eval_next(ev, &q), EMAUTH_OK);
    assert_null(q);
    const emauth_spf_result *r = emauth_spf_eval_result(ev);
    assert_non_null(r);
    assert_int_equal(r->verdict, EMAUTH_SPF_PASS);
    assert_string_equal(r->mechanism, "ip4:192.0.2.0/24");
    assert_string_equal(r->mechanism_domain, "example.com");
    assert_int_equal(r->mechanism_column, 8);
    assert_string_equal(r->domain, "example.com");
    assert_string_equal(r->sender, "user@example.com");
    assert_int_equal(r->identity, EMAUTH_SPF_ID_MAILFROM);
    assert_null(r->explanation);
    assert_null(r->problem);
    assert_int_equal(r->dns_lookups, 0);
    assert_int_equal(r->trace_count, 1);
    assert_int_equal(r->trace[0].rcode, EMAUTH_DNS_OK);
    assert_int_equal(r->trace[0].count, 1);
    /* an answer nobody asked for is refused */
    assert_int_equal(emauth_spf_eval_answer(ev, &a), EMAUTH_ERR_INVALID);

    /* the same evaluator serves the next check */
    req = request("198.51.100.1", "");
    req.helo = "example.com";
    assert_int_equal(emauth_spf_eval_start(ev, &req, NULL), EMAUTH_OK);
    assert_int_equal(emauth_spf_eval_run(ev, &s.base), EMAUTH_OK);
    r = emauth_spf_eval_result(ev);
    assert_int_equal(r->verdict, EMAUTH_SPF_FAIL);
    assert_int_equal(r->identity, EMAUTH_SPF_ID_HELO);
    assert_string_equal(r->sender, "postmaster@example.com");
    assert_string_equal(r->mechanism, "-all");
    assert_non_null(r->explanation);
    emauth_spf_eval_free(ev);
}

static void test_bad_requests(void **state)
{
    (void)state;
    emauth_spf_eval *ev;
    assert_int_equal(emauth_spf_eval_new(&ev), EMAUTH_OK);
    emauth_spf_request req;
    memset(&req, 0, sizeof req);
    emauth_error err;
    assert_int_equal(emauth_spf_eval_start(ev, &req, &err), EMAUTH_ERR_INVALID);
    assert_non_null(strstr(err.message, "IP"));
    req = request("192.0.2.1", NULL);
    req.helo = NULL;
    assert_int_equal(emauth_spf_eval_start(ev, &req, &err), EMAUTH_ERR_INVALID);
    assert_non_null(strstr(err.message, "HELO"));
    assert_null(emauth_spf_eval_result(ev));
    emauth_spf_eval_free(ev);
    emauth_spf_eval_free(NULL);
}

static void test_timeout_is_temperror(void **state)
{
    (void)state;
    static const entry zone[] = {
        {"example.com", EMAUTH_DNS_TXT, EMAUTH_DNS_TIMEOUT, {NULL}},
        {NULL, 0, 0, {NULL}},
    };
    emauth_spf_request req = request("192.0.2.9", "user@example.com");
    emauth_spf_eval *ev;
    const emauth_spf_result *r = run(zone, &req, &ev);
    assert_int_equal(r->verdict, EMAUTH_SPF_TEMPERROR);
    assert_non_null(strstr(r->problem, "timeout"));
    assert_non_null(strstr(r->problem, "example.com"));
    assert_int_equal(r->trace[0].rcode, EMAUTH_DNS_TIMEOUT);
    emauth_spf_eval_free(ev);
}

static void test_limits_are_settable(void **state)
{
    (void)state;
    static const entry zone[] = {
        {"example.com", EMAUTH_DNS_TXT, EMAUTH_DNS_OK, {"v=spf1 a a -all"}},
        {"example.com", EMAUTH_DNS_A, EMAUTH_DNS_OK, {"203.0.113.1"}},
        {NULL, 0, 0, {NULL}},
    };
    emauth_spf_limits lim;
    emauth_spf_limits_default(&lim);
    assert_int_equal(lim.dns_terms, 10);
    assert_int_equal(lim.void_lookups, 2);
    lim.dns_terms = 1;
    emauth_spf_request req = request("192.0.2.9", "user@example.com");
    req.limits = &lim;
    emauth_spf_eval *ev;
    const emauth_spf_result *r = run(zone, &req, &ev);
    assert_int_equal(r->verdict, EMAUTH_SPF_PERMERROR);
    assert_non_null(strstr(r->problem, "too many DNS lookups"));
    assert_non_null(strstr(r->problem, "column 10"));
    assert_int_equal(r->dns_lookups, 1);
    emauth_spf_eval_free(ev);
}

static void test_void_lookups(void **state)
{
    (void)state;
    static const entry zone[] = {
        {"example.com", EMAUTH_DNS_TXT, EMAUTH_DNS_OK,
         {"v=spf1 a:a.example.net a:b.example.net a:c.example.net -all"}},
        {NULL, 0, 0, {NULL}},
    };
    emauth_spf_request req = request("192.0.2.9", "user@example.com");
    emauth_spf_eval *ev;
    const emauth_spf_result *r = run(zone, &req, &ev);
    assert_int_equal(r->verdict, EMAUTH_SPF_PERMERROR);
    assert_int_equal(r->void_lookups, 3);
    assert_non_null(strstr(r->problem, "a:c.example.net"));
    assert_non_null(strstr(r->problem, "void"));
    assert_int_equal(r->trace[1].rcode, EMAUTH_DNS_NXDOMAIN);
    emauth_spf_eval_free(ev);
}

static void test_include_and_exp(void **state)
{
    (void)state;
    static const entry zone[] = {
        {"example.com", EMAUTH_DNS_TXT, EMAUTH_DNS_OK,
         {"v=spf1 include:_spf.example.net exp=why.example.com -all"}},
        {"_spf.example.net", EMAUTH_DNS_TXT, EMAUTH_DNS_OK, {"v=spf1 ip4:198.51.100.0/24 -all"}},
        {"why.example.com", EMAUTH_DNS_TXT, EMAUTH_DNS_OK, {"%{i} may not send for %{o}"}},
        {NULL, 0, 0, {NULL}},
    };
    emauth_spf_request req = request("198.51.100.7", "user@example.com");
    emauth_spf_eval *ev;
    const emauth_spf_result *r = run(zone, &req, &ev);
    assert_int_equal(r->verdict, EMAUTH_SPF_PASS);
    assert_string_equal(r->mechanism, "include:_spf.example.net");
    assert_int_equal(r->dns_lookups, 1);
    emauth_spf_eval_free(ev);

    req = request("192.0.2.200", "user@example.com");
    r = run(zone, &req, &ev);
    assert_int_equal(r->verdict, EMAUTH_SPF_FAIL);
    assert_string_equal(r->mechanism, "-all");
    assert_string_equal(r->explanation, "192.0.2.200 may not send for example.com");
    emauth_spf_eval_free(ev);
}

static void test_p_macro(void **state)
{
    (void)state;
    static const entry zone[] = {
        {"example.com", EMAUTH_DNS_TXT, EMAUTH_DNS_OK, {"v=spf1 exists:%{p}.ok.example.com -all"}},
        {"9.2.0.192.in-addr.arpa", EMAUTH_DNS_PTR, EMAUTH_DNS_OK,
         {"other.example.net", "mail.example.com"}},
        {"other.example.net", EMAUTH_DNS_A, EMAUTH_DNS_OK, {"192.0.2.9"}},
        {"mail.example.com", EMAUTH_DNS_A, EMAUTH_DNS_OK, {"192.0.2.9"}},
        {"mail.example.com.ok.example.com", EMAUTH_DNS_A, EMAUTH_DNS_OK, {"127.0.0.2"}},
        {NULL, 0, 0, {NULL}},
    };
    emauth_spf_request req = request("192.0.2.9", "user@example.com");
    emauth_spf_eval *ev;
    const emauth_spf_result *r = run(zone, &req, &ev);
    /* the subdomain of <domain> is preferred over the other validated name */
    assert_int_equal(r->verdict, EMAUTH_SPF_PASS);
    assert_int_equal(r->trace_count, 5);
    assert_string_equal(r->trace[4].name, "mail.example.com.ok.example.com");
    emauth_spf_eval_free(ev);
}

static void test_initial_domain_checks(void **state)
{
    (void)state;
    static const entry zone[] = {{NULL, 0, 0, {NULL}}};
    static const char *const bad[] = {"user@localhost", "user@[192.0.2.1]", "user@a..example.com",
                                      "user@"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        emauth_spf_request req = request("192.0.2.9", bad[i]);
        emauth_spf_eval *ev;
        const emauth_spf_result *r = run(zone, &req, &ev);
        assert_int_equal(r->verdict, EMAUTH_SPF_NONE);
        assert_int_equal(r->trace_count, 0);   /* no query was made */
        assert_non_null(r->problem);
        emauth_spf_eval_free(ev);
    }
}

/* A resolver answering "v=spf1 ip4:10.0.<n>.0/24 -all" for d<n>.example. */
static emauth_status numbered_query(emauth_resolver *r, const emauth_dns_question *q,
                                    emauth_dns_answer *out)
{
    static char text[64];
    static emauth_dns_rr rr;
    unsigned n;
    (void)r;
    memset(out, 0, sizeof *out);
    out->rcode = EMAUTH_DNS_NXDOMAIN;
    if (q->type != EMAUTH_DNS_TXT || sscanf(q->name, "d%u.example", &n) != 1)
        return EMAUTH_OK;
    snprintf(text, sizeof text, "v=spf1 ip4:10.0.%u.0/24 -all", n % 256);
    rr.type = EMAUTH_DNS_TXT;
    rr.u.txt.data = text;
    rr.u.txt.len = strlen(text);
    out->rcode = EMAUTH_DNS_OK;
    out->count = 1;
    out->rrs = &rr;
    return EMAUTH_OK;
}

/* One evaluator over many distinct records: the parsed-record cache evicts
 * and reuses slots without mixing records up. */
static void test_reuse_many_records(void **state)
{
    (void)state;
    emauth_resolver r = {numbered_query, NULL};
    emauth_spf_eval *ev;
    assert_int_equal(emauth_spf_eval_new(&ev), EMAUTH_OK);
    for (unsigned round = 0; round < 2; round++) {
        for (unsigned n = 0; n < 300; n++) {
            char from[64], ip[32];
            snprintf(from, sizeof from, "u@d%u.example", n);
            snprintf(ip, sizeof ip, "10.0.%u.%u", (n + round) % 256, 1 + round);
            emauth_spf_request req = request(ip, from);
            assert_int_equal(emauth_spf_eval_start(ev, &req, NULL), EMAUTH_OK);
            assert_int_equal(emauth_spf_eval_run(ev, &r), EMAUTH_OK);
            const emauth_spf_result *res = emauth_spf_eval_result(ev);
            assert_int_equal(res->verdict, round == 0 ? EMAUTH_SPF_PASS : EMAUTH_SPF_FAIL);
        }
    }
    emauth_spf_eval_free(ev);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(emauth_spf_verdict_name(EMAUTH_SPF_SOFTFAIL), "softfail");
    assert_string_equal(emauth_spf_verdict_name(EMAUTH_SPF_PERMERROR), "permerror");
    assert_string_equal(emauth_spf_verdict_name((emauth_spf_verdict)42), "?");
    assert_string_equal(emauth_spf_identity_name(EMAUTH_SPF_ID_HELO), "helo");
    assert_string_equal(emauth_spf_identity_name(EMAUTH_SPF_ID_MAILFROM), "mailfrom");
    assert_string_equal(emauth_spf_term_kind_name(EMAUTH_SPF_REDIRECT), "redirect");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_step_by_step),       cmocka_unit_test(test_bad_requests),
        cmocka_unit_test(test_timeout_is_temperror), cmocka_unit_test(test_limits_are_settable),
        cmocka_unit_test(test_void_lookups),       cmocka_unit_test(test_include_and_exp),
        cmocka_unit_test(test_p_macro),            cmocka_unit_test(test_initial_domain_checks),
        cmocka_unit_test(test_names),             cmocka_unit_test(test_reuse_many_records),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
