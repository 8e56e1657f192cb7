/*
 * The DMARC checker (emauth/dmarc.h): every problem code with a zone that
 * raises it and a close variant that must not, the order of severities,
 * valid, columns pointing at their tags, and the report's domains.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <emauth/dmarc.h>

static struct {
    emauth_zone *zone;
    emauth_dmarc_check *c;
} fx;

static int teardown(void **state)
{
    (void)state;
    emauth_dmarc_check_free(fx.c);
    emauth_zone_free(fx.zone);
    memset(&fx, 0, sizeof fx);
    return 0;
}

static const emauth_dmarc_report *check(const char *zone, const char *domain,
                                        emauth_dmarc_mode mode)
{
    teardown(NULL);
    fx.zone = emauth_zone_new();
    assert_non_null(fx.zone);
    emauth_error err;
    emauth_error_clear(&err);
    if (emauth_zone_load_string(fx.zone, zone, strlen(zone), "t.zone", NULL, &err) != EMAUTH_OK)
        fail_msg("zone: %s", err.message);
    assert_int_equal(emauth_dmarc_check_new(&fx.c), EMAUTH_OK);
    assert_int_equal(emauth_dmarc_check_start(fx.c, domain, mode, &err), EMAUTH_OK);
    assert_null(emauth_dmarc_check_report(fx.c));
    assert_int_equal(emauth_dmarc_check_run(fx.c, emauth_zone_resolver(fx.zone)), EMAUTH_OK);
    const emauth_dmarc_report *r = emauth_dmarc_check_report(fx.c);
    assert_non_null(r);
    /* invariants: errors first, valid = no error, columns inside the record */
    int errors = 0;
    for (size_t i = 0; i < r->nproblems; i++) {
        const emauth_lint_problem *p = &r->problems[i];
        if (i > 0)
            assert_true(p->severity >= r->problems[i - 1].severity);
        errors += p->severity == EMAUTH_LINT_ERROR;
        assert_non_null(p->message);
        if (p->column > 0) {
            assert_non_null(p->record);
            assert_true(p->column <= strlen(p->record));
        }
        if (getenv("DMARC_DUMP"))
            fprintf(stderr, "  %s %s [%s col %u] %s\n", emauth_lint_severity_name(p->severity),
                    p->code, p->term ? p->term : "-", p->column, p->message);
    }
    assert_int_equal(r->valid, errors == 0);
    return r;
}

static const emauth_lint_problem *find(const emauth_dmarc_report *r, const char *code)
{
    for (size_t i = 0; i < r->nproblems; i++)
        if (strcmp(r->problems[i].code, code) == 0)
            return &r->problems[i];
    return NULL;
}

static void has(const emauth_dmarc_report *r, const char *code, emauth_lint_severity sev,
                const char *term, unsigned column)
{
    const emauth_lint_problem *p = find(r, code);
    if (p == NULL)
        fail_msg("no %s for %s", code, r->domain);
    assert_int_equal(p->severity, sev);
    if (term != NULL) {
        assert_non_null(p->term);
        assert_string_equal(p->term, term);
    }
    if (column != 0)
        assert_int_equal(p->column, column);
}

static void hasnt(const emauth_dmarc_report *r, const char *code)
{
    if (find(r, code) != NULL)
        fail_msg("unexpected %s for %s: %s", code, r->domain, find(r, code)->message);
}

static void test_clean(void **state)
{
    (void)state;
    const emauth_dmarc_report *r =
        check("_dmarc.example.com. TXT \"v=DMARC1; p=reject; rua=mailto:d@example.com\"\n",
              "example.com", EMAUTH_DMARC_9989);
    assert_true(r->valid);
    assert_int_equal(r->nproblems, 0);
    assert_string_equal(r->policy_domain, "example.com");
    assert_string_equal(r->org_domain, "example.com");
    assert_non_null(r->parsed);
    assert_int_equal(r->parsed->p, EMAUTH_DMARC_P_REJECT);
}

static void test_no_record_multiple(void **state)
{
    (void)state;
    const emauth_dmarc_report *r = check("example.com. A 192.0.2.1\n", "example.com",
                                         EMAUTH_DMARC_9989);
    has(r, "no-record", EMAUTH_LINT_ERROR, NULL, 0);
    assert_false(r->valid);
    assert_null(r->record);
    r = check("_dmarc.example.com. TXT \"v=DMARC1; p=none\"\n"
              "_dmarc.example.com. TXT \"v=DMARC1; p=reject\"\n", "example.com",
              EMAUTH_DMARC_9989);
    has(r, "multiple-records", EMAUTH_LINT_ERROR, NULL, 0);
    has(r, "no-record", EMAUTH_LINT_ERROR, NULL, 0);
    r = check("_dmarc.example.com. TXT \"v=DMARC1; p=none\"\n"
              "_dmarc.example.com. TXT \"v=spf1 -all\"\n", "example.com", EMAUTH_DMARC_9989);
    hasnt(r, "multiple-records");
    hasnt(r, "no-record");
    /* 7489: several records end discovery; no no-record on top */
    r = check("_dmarc.example.com. TXT \"v=DMARC1; p=none\"\n"
              "_dmarc.example.com. TXT \"v=DMARC1; p=reject\"\n", "example.com",
              EMAUTH_DMARC_7489);
    has(r, "multiple-records", EMAUTH_LINT_ERROR, NULL, 0);
    hasnt(r, "no-record");
}

static void test_inherited(void **state)
{
    (void)state;
    const emauth_dmarc_report *r =
        check("_dmarc.example.com. TXT \"v=DMARC1; p=quarantine\"\n", "mail.example.com",
              EMAUTH_DMARC_9989);
    has(r, "inherited", EMAUTH_LINT_INFO, NULL, 0);
    assert_true(r->valid);
    assert_string_equal(r->domain, "mail.example.com");
    assert_string_equal(r->policy_domain, "example.com");
    assert_string_equal(r->org_domain, "example.com");
    r = check("_dmarc.example.co.uk. TXT \"v=DMARC1; p=quarantine\"\n", "mail.example.co.uk",
              EMAUTH_DMARC_7489);
    has(r, "inherited", EMAUTH_LINT_INFO, NULL, 0);
    assert_string_equal(r->org_domain, "example.co.uk");
    r = check("_dmarc.example.com. TXT \"v=DMARC1; p=quarantine\"\n", "example.com",
              EMAUTH_DMARC_9989);
    hasnt(r, "inherited");
}

static void test_syntax(void **state)
{
    (void)state;
    /*                                   123456789012345678901 */
    const emauth_dmarc_report *r = check("_dmarc.example.com. TXT \"v=DMARC1; p=none; adkim=x\"\n",
                                         "example.com", EMAUTH_DMARC_9989);
    has(r, "syntax", EMAUTH_LINT_ERROR, "adkim", 19);
    assert_false(r->valid);
    r = check("_dmarc.example.com. TXT \"v=DMARC1; p=none; fo=x\"\n", "example.com",
              EMAUTH_DMARC_9989);
    has(r, "syntax", EMAUTH_LINT_WARNING, "fo", 19);
    assert_true(r->valid);
    r = check("_dmarc.example.com. TXT \"v=DMARC1; p=none; =\"\n", "example.com",
              EMAUTH_DMARC_9989);
    has(r, "syntax", EMAUTH_LINT_ERROR, NULL, 19);   /* left out; p=none still applies */
    assert_non_null(r->parsed);
    assert_int_equal(r->parsed->p, EMAUTH_DMARC_P_NONE);
    assert_non_null(r->record);

    r = check("_dmarc.example.com. TXT \"v=DMARC1; p=none; pct=200\"\n", "example.com",
              EMAUTH_DMARC_7489);
    has(r, "syntax", EMAUTH_LINT_ERROR, "pct", 19);
    r = check("_dmarc.example.com. TXT \"v=DMARC1; p=none\"\n", "example.com", EMAUTH_DMARC_9989);
    hasnt(r, "syntax");
}

static void test_missing_p(void **state)
{
    (void)state;
    const emauth_dmarc_report *r =
        check("_dmarc.example.com. TXT \"v=DMARC1; rua=mailto:d@example.com\"\n", "example.com",
              EMAUTH_DMARC_9989);
    has(r, "missing-p", EMAUTH_LINT_WARNING, NULL, 0);
    r = check("_dmarc.example.com. TXT \"v=DMARC1; sp=none\"\n", "example.com", EMAUTH_DMARC_9989);
    has(r, "missing-p", EMAUTH_LINT_ERROR, NULL, 0);
    assert_false(r->valid);
    r = check("_dmarc.example.com. TXT \"v=DMARC1; p=reject\"\n", "example.com", EMAUTH_DMARC_9989);
    hasnt(r, "missing-p");
}

static void test_info_codes(void **state)
{
    (void)state;
    /*                                  1234567890123456789 */
    const emauth_dmarc_report *r = check("_dmarc.example.com. TXT \"v=DMARC1; p=none; t=y\"\n",
                                         "example.com", EMAUTH_DMARC_9989);
    has(r, "policy-none", EMAUTH_LINT_INFO, "p", 11);
    has(r, "testing", EMAUTH_LINT_INFO, "t", 19);
    assert_true(r->valid);
    r = check("_dmarc.example.com. TXT \"v=DMARC1; p=reject; t=n\"\n", "example.com",
              EMAUTH_DMARC_9989);
    hasnt(r, "policy-none");
    hasnt(r, "testing");
}

static void test_removed_and_pct(void **state)
{
    (void)state;
    static const char z[] = "_dmarc.example.com. TXT \"v=DMARC1; p=reject; pct=50; rf=afrf; ri=3600\"\n";
    const emauth_dmarc_report *r = check(z, "example.com", EMAUTH_DMARC_9989);
    has(r, "removed-tag", EMAUTH_LINT_WARNING, "pct", 21);
    hasnt(r, "pct-partial");
    size_t removed = 0;
    for (size_t i = 0; i < r->nproblems; i++)
        removed += strcmp(r->problems[i].code, "removed-tag") == 0;
    assert_int_equal(removed, 3);
    r = check(z, "example.com", EMAUTH_DMARC_7489);
    hasnt(r, "removed-tag");
    has(r, "pct-partial", EMAUTH_LINT_WARNING, "pct", 21);
    r = check("_dmarc.example.com. TXT \"v=DMARC1; p=reject; pct=100\"\n", "example.com",
              EMAUTH_DMARC_7489);
    hasnt(r, "pct-partial");
}

static void test_uris(void **state)
{
    (void)state;
    /*                                              1234567890123456789012345678 */
    const emauth_dmarc_report *r = check("_dmarc.example.com. TXT \"v=DMARC1; p=none; rua=mailto:bad, "
                                         "mailto:d@example.com\"\n",
                                         "example.com", EMAUTH_DMARC_9989);
    has(r, "invalid-uri", EMAUTH_LINT_WARNING, "rua", 23);
    assert_int_equal(r->parsed->nrua, 1);
    /* external destinations: authorized, not authorized, inside the organization */
    static const char z[] =
        "_dmarc.example.com. TXT \"v=DMARC1; p=none; rua=mailto:d@reports.example.net,"
        "mailto:e@sub.example.com; ruf=mailto:f@nowhere.example.org\"\n"
        "example.com._report._dmarc.reports.example.net. TXT \"v=DMARC1\"\n";
    r = check(z, "example.com", EMAUTH_DMARC_9989);
    const emauth_lint_problem *p = find(r, "rua-external-unauthorized");
    assert_non_null(p);
    assert_non_null(strstr(p->message, "nowhere.example.org"));
    assert_string_equal(p->term, "ruf");
    size_t n = 0;
    for (size_t i = 0; i < r->nproblems; i++)
        n += strcmp(r->problems[i].code, "rua-external-unauthorized") == 0;
    assert_int_equal(n, 1);
    hasnt(r, "invalid-uri");
    /* the authorization record must be v=DMARC1 */
    r = check("_dmarc.example.com. TXT \"v=DMARC1; p=none; rua=mailto:d@reports.example.net\"\n"
              "example.com._report._dmarc.reports.example.net. TXT \"hello\"\n",
              "example.com", EMAUTH_DMARC_9989);
    has(r, "rua-external-unauthorized", EMAUTH_LINT_WARNING, "rua", 19);
    /* a subdomain inheriting: the policy domain's name is the one asked */
    r = check("_dmarc.example.com. TXT \"v=DMARC1; p=none; rua=mailto:d@reports.example.net\"\n"
              "example.com._report._dmarc.reports.example.net. TXT \"v=DMARC1\"\n",
              "www.example.com", EMAUTH_DMARC_9989);
    hasnt(r, "rua-external-unauthorized");
}

static void test_dns_error(void **state)
{
    (void)state;
    const emauth_dmarc_report *r = check("$TIMEOUT _dmarc.example.com.\n", "example.com",
                                         EMAUTH_DMARC_9989);
    has(r, "dns-error", EMAUTH_LINT_ERROR, NULL, 0);
    hasnt(r, "no-record");
    r = check("_dmarc.example.com. TXT \"v=DMARC1; p=none; rua=mailto:d@reports.example.net\"\n"
              "$TIMEOUT example.com._report._dmarc.reports.example.net.\n",
              "example.com", EMAUTH_DMARC_9989);
    has(r, "dns-error", EMAUTH_LINT_WARNING, NULL, 0);
    hasnt(r, "rua-external-unauthorized");
}

static void test_bad_input(void **state)
{
    (void)state;
    assert_int_equal(emauth_dmarc_check_new(&fx.c), EMAUTH_OK);
    emauth_error err;
    assert_int_equal(emauth_dmarc_check_start(fx.c, "a..b", EMAUTH_DMARC_9989, &err),
                     EMAUTH_ERR_SYNTAX);
    assert_int_equal(emauth_dmarc_check_start(fx.c, NULL, EMAUTH_DMARC_9989, &err),
                     EMAUTH_ERR_INVALID);
    const emauth_dns_question *q;
    assert_int_equal(emauth_dmarc_check_next(fx.c, &q), EMAUTH_ERR_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_clean, teardown),
        cmocka_unit_test_teardown(test_no_record_multiple, teardown),
        cmocka_unit_test_teardown(test_inherited, teardown),
        cmocka_unit_test_teardown(test_syntax, teardown),
        cmocka_unit_test_teardown(test_missing_p, teardown),
        cmocka_unit_test_teardown(test_info_codes, teardown),
        cmocka_unit_test_teardown(test_removed_and_pct, teardown),
        cmocka_unit_test_teardown(test_uris, teardown),
        cmocka_unit_test_teardown(test_dns_error, teardown),
        cmocka_unit_test_teardown(test_bad_input, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
