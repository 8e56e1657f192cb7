/*
 * Received-SPF (RFC 7208 §9.1) and Authentication-Results "spf=" (RFC 8601
 * §2.7.2): exact fields for each result, quoting, sanitising of hostile
 * input, the line-length bound and the snprintf-like contract.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <emauth/spf.h>

/* RFC 5322 §2.1.1: a line is at most 998 characters. */
#define LINE_MAX_5322 998

static emauth_spf_request request(const char *ip, const char *mail_from, const char *helo,
                                  const char *receiver)
{
    emauth_spf_request req;
    memset(&req, 0, sizeof req);
    assert_int_equal(emauth_ip_parse(ip, strlen(ip), &req.ip, NULL), EMAUTH_OK);
    req.mail_from = mail_from;
    req.helo = helo;
    req.receiver = receiver;
    return req;
}

static emauth_spf_result result(emauth_spf_verdict v, emauth_spf_identity id, const char *sender,
                                const char *domain, const char *mechanism, const char *problem)
{
    emauth_spf_result res;
    memset(&res, 0, sizeof res);
    res.verdict = v;
    res.identity = id;
    res.sender = sender;
    res.domain = domain;
    res.mechanism = mechanism;
    res.mechanism_domain = mechanism ? domain : NULL;
    res.problem = problem;
    return res;
}

/* One header line: printable ASCII only, so no CR, LF or other control byte. */
static void assert_one_line(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
        if (*p < 0x20 || *p > 0x7e)
            fail_msg("byte 0x%02x at offset %zu in \"%s\"", *p, (size_t)(p - (const unsigned char *)s), s);
}

static void check_received(const emauth_spf_result *res, const emauth_spf_request *req,
                           const char *want)
{
    char buf[2048];
    size_t n = emauth_spf_received_spf(res, req, buf, sizeof buf);
    assert_string_equal(buf, want);
    assert_int_equal(n, strlen(want));
    assert_one_line(buf);
}

static void check_authres(const emauth_spf_result *res, const char *want)
{
    char buf[2048];
    size_t n = emauth_spf_authres(res, buf, sizeof buf);
    assert_string_equal(buf, want);
    assert_int_equal(n, strlen(want));
    assert_one_line(buf);
}

static void test_pass_mailfrom(void **state)
{
    (void)state;
    emauth_spf_request req = request("192.0.2.1", "user@example.com", "mail.example.org",
                                     "mx.example.net");
    emauth_spf_result res = result(EMAUTH_SPF_PASS, EMAUTH_SPF_ID_MAILFROM, "user@example.com",
                                   "example.com", "mx", NULL);
    check_received(&res, &req,
                   "Received-SPF: pass (mx.example.net: domain of user@example.com designates "
                   "192.0.2.1 as permitted sender) client-ip=192.0.2.1; "
                   "envelope-from=\"user@example.com\"; helo=mail.example.org; "
                   "receiver=mx.example.net; identity=mailfrom; mechanism=mx");
    check_authres(&res, "spf=pass smtp.mailfrom=user@example.com");
}

static void test_fail_ipv6(void **state)
{
    (void)state;
    emauth_spf_request req = request("2001:DB8::1", "user@example.com", "mail.example.org",
                                     "mx.example.net");
    emauth_spf_result res = result(EMAUTH_SPF_FAIL, EMAUTH_SPF_ID_MAILFROM, "user@example.com",
                                   "example.com", "-all", NULL);
    /* ':' is not atext: an IPv6 client-ip is a quoted-string; "-all" is a dot-atom. */
    check_received(&res, &req,
                   "Received-SPF: fail (mx.example.net: domain of user@example.com does not "
                   "designate 2001:db8::1 as permitted sender) client-ip=\"2001:db8::1\"; "
                   "envelope-from=\"user@example.com\"; helo=mail.example.org; "
                   "receiver=mx.example.net; identity=mailfrom; mechanism=-all");
    check_authres(&res, "spf=fail smtp.mailfrom=user@example.com");
}

static void test_softfail_quoted_mechanism(void **state)
{
    (void)state;
    emauth_spf_request req = request("192.0.2.1", "user@example.com", NULL, NULL);
    emauth_spf_result res = result(EMAUTH_SPF_SOFTFAIL, EMAUTH_SPF_ID_MAILFROM,
                                   "user@example.com", "example.com", "~ip4:192.0.2.0/24", NULL);
    /* No receiver: no "name: " in the comment and no receiver= pair; no helo= either. */
    check_received(&res, &req,
                   "Received-SPF: softfail (domain of transitioning user@example.com does not "
                   "designate 192.0.2.1 as permitted sender) client-ip=192.0.2.1; "
                   "envelope-from=\"user@example.com\"; identity=mailfrom; "
                   "mechanism=\"~ip4:192.0.2.0/24\"");
    check_authres(&res, "spf=softfail smtp.mailfrom=user@example.com");
}

static void test_neutral_default_mechanism(void **state)
{
    (void)state;
    emauth_spf_request req = request("192.0.2.1", "user@example.com", "h.example.org", "mx");
    emauth_spf_result res = result(EMAUTH_SPF_NEUTRAL, EMAUTH_SPF_ID_MAILFROM,
                                   "user@example.com", "example.com", NULL, NULL);
    /* §9.1: "if no mechanisms matched, substitute the word 'default'". */
    check_received(&res, &req,
                   "Received-SPF: neutral (mx: 192.0.2.1 is neither permitted nor denied by "
                   "domain of user@example.com) client-ip=192.0.2.1; "
                   "envelope-from=\"user@example.com\"; helo=h.example.org; receiver=mx; "
                   "identity=mailfrom; mechanism=default");
    check_authres(&res, "spf=neutral smtp.mailfrom=user@example.com");
}

static void test_none_has_no_mechanism(void **state)
{
    (void)state;
    emauth_spf_request req = request("192.0.2.1", "user@example.com", "h.example.org", "mx");
    emauth_spf_result res = result(EMAUTH_SPF_NONE, EMAUTH_SPF_ID_MAILFROM, "user@example.com",
                                   "example.com", NULL, "no SPF record at example.com");
    check_received(&res, &req,
                   "Received-SPF: none (mx: domain of user@example.com does not designate "
                   "permitted sender hosts) client-ip=192.0.2.1; "
                   "envelope-from=\"user@example.com\"; helo=h.example.org; receiver=mx; "
                   "identity=mailfrom");
    check_authres(&res, "spf=none smtp.mailfrom=user@example.com");
}

static void test_permerror_problem_escaped(void **state)
{
    (void)state;
    emauth_spf_request req = request("192.0.2.1", "user@example.com", "h.example.org", "mx");
    emauth_spf_result res = result(EMAUTH_SPF_PERMERROR, EMAUTH_SPF_ID_MAILFROM,
                                   "user@example.com", "example.com", NULL,
                                   "bad \"term\" (x\\y)\r\nInjected: yes");
    check_received(&res, &req,
                   "Received-SPF: permerror (mx: permanent error in processing domain of "
                   "user@example.com) client-ip=192.0.2.1; envelope-from=\"user@example.com\"; "
                   "helo=h.example.org; receiver=mx; identity=mailfrom; "
                   "problem=\"bad \\\"term\\\" (x\\\\y)??Injected: yes\"");
    check_authres(&res, "spf=permerror (bad \"term\" \\(x\\\\y\\)??Injected: yes) "
                        "smtp.mailfrom=user@example.com");
}

static void test_temperror(void **state)
{
    (void)state;
    emauth_spf_request req = request("192.0.2.1", "user@example.com", "h.example.org", "mx");
    emauth_spf_result res = result(EMAUTH_SPF_TEMPERROR, EMAUTH_SPF_ID_MAILFROM,
                                   "user@example.com", "example.com", NULL,
                                   "DNS timeout looking up TXT example.com");
    check_received(&res, &req,
                   "Received-SPF: temperror (mx: error in processing during lookup of "
                   "user@example.com) client-ip=192.0.2.1; envelope-from=\"user@example.com\"; "
                   "helo=h.example.org; receiver=mx; identity=mailfrom; "
                   "problem=\"DNS timeout looking up TXT example.com\"");
    check_authres(&res, "spf=temperror (DNS timeout looking up TXT example.com) "
                        "smtp.mailfrom=user@example.com");
}

static void test_helo_identity_null_sender(void **state)
{
    (void)state;
    emauth_spf_request req = request("192.0.2.1", NULL, "mta.example.org", "mx");
    emauth_spf_result res = result(EMAUTH_SPF_PASS, EMAUTH_SPF_ID_HELO,
                                   "postmaster@mta.example.org", "mta.example.org", "a", NULL);
    check_received(&res, &req,
                   "Received-SPF: pass (mx: domain of postmaster@mta.example.org designates "
                   "192.0.2.1 as permitted sender) client-ip=192.0.2.1; envelope-from=\"\"; "
                   "helo=mta.example.org; receiver=mx; identity=helo; mechanism=a");
    check_authres(&res, "spf=pass smtp.helo=mta.example.org");
}

static void test_hostile_identities(void **state)
{
    (void)state;
    /* Control bytes, 8-bit bytes and quotes in every sender-chosen value. */
    emauth_spf_request req = request("192.0.2.1", "a\"b\r\n\xff@example.com",
                                     "evil\r\nX-Spam: no", "mx");
    emauth_spf_result res = result(EMAUTH_SPF_FAIL, EMAUTH_SPF_ID_MAILFROM,
                                   "a\"b\r\n\xff@example.com", "example.com", "-all", NULL);
    check_received(&res, &req,
                   "Received-SPF: fail (mx: domain of a\"b???@example.com does not designate "
                   "192.0.2.1 as permitted sender) client-ip=192.0.2.1; "
                   "envelope-from=\"a\\\"b???@example.com\"; helo=\"evil??X-Spam: no\"; "
                   "receiver=mx; identity=mailfrom; mechanism=-all");
    check_authres(&res, "spf=fail smtp.mailfrom=\"a\\\"b???\"@example.com");
}

static void test_authres_pvalue_forms(void **state)
{
    (void)state;
    emauth_spf_result res = result(EMAUTH_SPF_PASS, EMAUTH_SPF_ID_MAILFROM,
                                   "john doe@example.com", "example.com", "mx", NULL);
    check_authres(&res, "spf=pass smtp.mailfrom=\"john doe\"@example.com");
    /* A domain that is no dot-atom: the whole value as a quoted-string. */
    res.sender = "user@exa mple.com";
    check_authres(&res, "spf=pass smtp.mailfrom=\"user@exa mple.com\"");
    /* No sender: the domain. */
    res.sender = NULL;
    check_authres(&res, "spf=pass smtp.mailfrom=example.com");
}

/* Every value at its worst (long, all quotes) still fits one RFC 5322 line. */
static void test_bounded_length(void **state)
{
    (void)state;
    char quotes[3000], dots[3000], buf[4096];
    memset(quotes, '"', sizeof quotes - 1);
    quotes[sizeof quotes - 1] = '\0';
    memset(dots, 'a', sizeof dots - 1);
    dots[sizeof dots - 1] = '\0';
    emauth_spf_request req = request("2001:db8:1111:2222:3333:4444:5555:6666", quotes, quotes,
                                     dots);
    for (int v = EMAUTH_SPF_NONE; v <= EMAUTH_SPF_PERMERROR; v++) {
        emauth_spf_result res = result((emauth_spf_verdict)v, EMAUTH_SPF_ID_MAILFROM, quotes,
                                       quotes, quotes, quotes);
        size_t n = emauth_spf_received_spf(&res, &req, buf, sizeof buf);
        assert_true(n < sizeof buf);
        assert_true(n <= LINE_MAX_5322);
        assert_one_line(buf);
        assert_non_null(strstr(buf, "...\""));
        n = emauth_spf_authres(&res, buf, sizeof buf);
        assert_true(n <= LINE_MAX_5322);
        assert_one_line(buf);
    }
}

/* Like snprintf: the full length is returned, the output is cut and terminated. */
static void test_snprintf_contract(void **state)
{
    (void)state;
    emauth_spf_request req = request("192.0.2.1", "user@example.com", NULL, "mx");
    emauth_spf_result res = result(EMAUTH_SPF_PASS, EMAUTH_SPF_ID_MAILFROM, "user@example.com",
                                   "example.com", "mx", NULL);
    char full[512], small[11];
    size_t n = emauth_spf_received_spf(&res, &req, full, sizeof full);
    assert_int_equal(emauth_spf_received_spf(&res, &req, NULL, 0), n);
    memset(small, 'x', sizeof small);
    assert_int_equal(emauth_spf_received_spf(&res, &req, small, sizeof small), n);
    assert_string_equal(small, "Received-S");

    n = emauth_spf_authres(&res, full, sizeof full);
    assert_int_equal(emauth_spf_authres(&res, NULL, 0), n);
    assert_int_equal(emauth_spf_authres(&res, small, 5), n);
    assert_string_equal(small, "spf=");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pass_mailfrom),
        cmocka_unit_test(test_fail_ipv6),
        cmocka_unit_test(test_softfail_quoted_mechanism),
        cmocka_unit_test(test_neutral_default_mechanism),
        cmocka_unit_test(test_none_has_no_mechanism),
        cmocka_unit_test(test_permerror_problem_escaped),
        cmocka_unit_test(test_temperror),
        cmocka_unit_test(test_helo_identity_null_sender),
        cmocka_unit_test(test_hostile_identities),
        cmocka_unit_test(test_authres_pvalue_forms),
        cmocka_unit_test(test_bounded_length),
        cmocka_unit_test(test_snprintf_contract),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
