/*
 * DMARC records (emauth/dmarc.h): is_record, and the parser tag by tag,
 * each valid and invalid, with the tag and column of the error; both modes.
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
#include "dmarc/record_internal.h"

static emauth_dmarc_record *ok(const char *text, emauth_dmarc_mode mode)
{
    emauth_dmarc_record *r = NULL;
    emauth_error err;
    emauth_error_clear(&err);
    emauth_status st = emauth_dmarc_record_parse(text, strlen(text), mode, &r, &err);
    if (st != EMAUTH_OK)
        fail_msg("%s: %s", text, err.message);
    assert_non_null(r);
    assert_string_equal(r->text, text);
    return r;
}

/* A syntax error naming tag at column. */
static void bad(const char *text, emauth_dmarc_mode mode, const char *tag, unsigned column)
{
    emauth_dmarc_record *r = (emauth_dmarc_record *)1;
    emauth_error err;
    emauth_error_clear(&err);
    assert_int_equal(emauth_dmarc_record_parse(text, strlen(text), mode, &r, &err),
                     EMAUTH_ERR_SYNTAX);
    assert_null(r);
    assert_int_equal(err.status, EMAUTH_ERR_SYNTAX);
    if (err.column != column)
        fail_msg("%s: column %u, want %u (%s)", text, err.column, column, err.message);
    if (tag != NULL && strstr(err.message, tag) == NULL)
        fail_msg("%s: '%s' not in \"%s\"", text, tag, err.message);
}

static void test_is_record(void **state)
{
    (void)state;
    static const struct { const char *t; int want; } cases[] = {
        {"v=DMARC1", 1}, {"v=DMARC1;", 1}, {"v=DMARC1; p=none", 1}, {"v = DMARC1 ;p=none", 1},
        {"V=DMARC1; p=none", 1}, {"v=dmarc1; p=none", 0}, {"v=DMARC10; p=none", 0},
        {"p=none; v=DMARC1", 0}, {" v=DMARC1", 0}, {"v=DMARC", 0}, {"", 0},
        {"v=spf1 -all", 0}, {"v=DMARC1 p=none", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (emauth_dmarc_is_record(cases[i].t, strlen(cases[i].t)) != cases[i].want)
            fail_msg("is_record(\"%s\") != %d", cases[i].t, cases[i].want);
    /* length is honoured: the bytes after len are not read */
    assert_int_equal(emauth_dmarc_is_record("v=DMARC1x", 8), 1);
    assert_int_equal(emauth_dmarc_is_record("v=DMARC1", 7), 0);
}

static void test_defaults(void **state)
{
    (void)state;
    emauth_dmarc_record *r = ok("v=DMARC1", EMAUTH_DMARC_9989);
    assert_int_equal(r->has_p, 0);
    assert_int_equal(r->has_sp, 0);
    assert_int_equal(r->has_np, 0);
    assert_int_equal(r->adkim, 'r');
    assert_int_equal(r->aspf, 'r');
    assert_int_equal(r->psd, 'u');
    assert_int_equal(r->testing, 0);
    assert_int_equal(r->pct, 100);
    assert_null(r->fo);
    assert_int_equal(r->nrua, 0);
    assert_int_equal(r->nruf, 0);
    emauth_dmarc_record_free(r);
}

static void test_all_tags(void **state)
{
    (void)state;
    emauth_dmarc_record *r = ok("v=DMARC1; p=reject; sp=quarantine; np=none; adkim=s; aspf=s; "
                                "psd=n; t=y; fo=1:d:s; rua=mailto:a@Example.COM!10m, "
                                "mailto:b@rep.example.net; ruf=https://r.example/x;x=unknown",
                                EMAUTH_DMARC_9989);
    assert_int_equal(r->p, EMAUTH_DMARC_P_REJECT);
    assert_true(r->has_p);
    assert_int_equal(r->sp, EMAUTH_DMARC_P_QUARANTINE);
    assert_true(r->has_sp);
    assert_int_equal(r->np, EMAUTH_DMARC_P_NONE);
    assert_true(r->has_np);
    assert_int_equal(r->adkim, 's');
    assert_int_equal(r->aspf, 's');
    assert_int_equal(r->psd, 'n');
    assert_int_equal(r->testing, 1);
    assert_string_equal(r->fo, "1:d:s");
    assert_int_equal(r->nrua, 2);
    assert_string_equal(r->rua[0].uri, "mailto:a@Example.COM");
    assert_string_equal(r->rua[0].domain, "example.com");
    assert_true(r->rua[0].max_size == 10u * 1024 * 1024);
    assert_string_equal(r->rua[1].uri, "mailto:b@rep.example.net");
    assert_string_equal(r->rua[1].domain, "rep.example.net");
    assert_true(r->rua[1].max_size == 0);
    assert_int_equal(r->nruf, 1);
    assert_string_equal(r->ruf[0].uri, "https://r.example/x");
    assert_null(r->ruf[0].domain);
    emauth_dmarc_record_free(r);

    /* keywords ignore case (RFC 5234 §2.3); sp and np default down the chain */
    r = ok("v=DMARC1; P=Quarantine", EMAUTH_DMARC_9989);
    assert_int_equal(r->p, EMAUTH_DMARC_P_QUARANTINE);
    assert_int_equal(r->sp, EMAUTH_DMARC_P_QUARANTINE);
    assert_int_equal(r->np, EMAUTH_DMARC_P_QUARANTINE);
    emauth_dmarc_record_free(r);
    r = ok("v=DMARC1; p=reject; sp=none", EMAUTH_DMARC_9989);
    assert_int_equal(r->np, EMAUTH_DMARC_P_NONE);
    emauth_dmarc_record_free(r);
}

static void test_sizes(void **state)
{
    (void)state;
    static const struct { const char *s; uint64_t v; } cases[] = {
        {"!1", 1}, {"!2k", 2048}, {"!3M", 3u << 20}, {"!1g", 1u << 30},
        {"!1t", (uint64_t)1 << 40},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[128];
        snprintf(text, sizeof text, "v=DMARC1; p=none; rua=mailto:x@example.com%s", cases[i].s);
        emauth_dmarc_record *r = ok(text, EMAUTH_DMARC_9989);
        assert_int_equal(r->nrua, 1);
        assert_true(r->rua[0].max_size == cases[i].v);
        emauth_dmarc_record_free(r);
    }
    /* malformed URIs and sizes are left out of the list, not a syntax error */
    static const char *const bads[] = {
        "mailto:x@example.com!", "mailto:x@example.com!k", "mailto:x@example.com!10q",
        "mailto:x@example.com!99999999999999999999", "mailto:x@example.com!17179869184t",
        "mailto:@example.com", "mailto:x@", "mailto:x@-bad_domain!", "mailto:x@exa mple.com",
        "example.com", "1http://x", "mailto:x@nodot", "mailto:x@example.com!1k!2",
        "http:", "mailto:x@%41.example",
    };
    for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++) {
        char text[128];
        snprintf(text, sizeof text, "v=DMARC1; p=none; rua=%s,mailto:ok@example.org", bads[i]);
        emauth_dmarc_record *r = ok(text, EMAUTH_DMARC_9989);
        if (r->nrua != 1 || strcmp(r->rua[0].uri, "mailto:ok@example.org") != 0)
            fail_msg("%s: %zu URIs", bads[i], r->nrua);
        emauth_dmarc_record_free(r);
    }
}

static void test_bad_values(void **state)
{
    (void)state;
    /*          1234567890123456789 */
    bad("v=DMARC1; p=rejct", EMAUTH_DMARC_9989, "p", 11);
    bad("v=DMARC1; p=none; sp=all", EMAUTH_DMARC_9989, "sp", 19);
    bad("v=DMARC1; p=none; np=x", EMAUTH_DMARC_9989, "np", 19);
    bad("v=DMARC1; p=none; adkim=x", EMAUTH_DMARC_9989, "adkim", 19);
    bad("v=DMARC1; p=none; aspf=rs", EMAUTH_DMARC_9989, "aspf", 19);
    bad("v=DMARC1; p=none; psd=yes", EMAUTH_DMARC_9989, "psd", 19);
    bad("v=DMARC1; p=none; t=1", EMAUTH_DMARC_9989, "t", 19);
    bad("v=DMARC1; p=none; pct=101", EMAUTH_DMARC_7489, "pct", 19);
    bad("v=DMARC1; p=none; pct=-1", EMAUTH_DMARC_7489, "pct", 19);
    bad("v=DMARC1; p=none; pct=1000", EMAUTH_DMARC_7489, "pct", 19);
    /* v=DMARC1 not first, wrong case, absent */
    bad("p=none; v=DMARC1", EMAUTH_DMARC_9989, NULL, 1);
    bad("v=dmarc1; p=none", EMAUTH_DMARC_9989, NULL, 1);
    bad("v=DMARC2; p=none", EMAUTH_DMARC_9989, NULL, 1);
    /* the tag=value grammar, and a tag twice */
    bad("v=DMARC1; p=none; =x", EMAUTH_DMARC_9989, NULL, 19);
    bad("v=DMARC1; p=none; P=reject", EMAUTH_DMARC_9989, "P", 19);
    bad("v=DMARC1; p=none; p=reject", EMAUTH_DMARC_9989, NULL, 19);

    /* 9989-only tags are unknown in 7489 mode, 7489-only tags ignored in 9989 */
    emauth_dmarc_record *r = ok("v=DMARC1; p=none; pct=abc; rf=%%; ri=x", EMAUTH_DMARC_9989);
    assert_int_equal(r->pct, 100);
    emauth_dmarc_record_free(r);
    r = ok("v=DMARC1; p=none; np=x; psd=q; t=2; pct=25; rf=afrf; ri=86400", EMAUTH_DMARC_7489);
    assert_int_equal(r->pct, 25);
    assert_int_equal(r->has_np, 0);
    assert_int_equal(r->psd, 'u');
    assert_int_equal(r->testing, 0);
    emauth_dmarc_record_free(r);
    r = ok("v=DMARC1; p=none; pct=0", EMAUTH_DMARC_7489);
    assert_int_equal(r->pct, 0);
    emauth_dmarc_record_free(r);
    /* fo: a bad value is ignored (the default) */
    r = ok("v=DMARC1; p=none; fo=0:1", EMAUTH_DMARC_9989);
    assert_null(r->fo);
    emauth_dmarc_record_free(r);
    r = ok("v=DMARC1; p=none; fo=d:d", EMAUTH_DMARC_9989);
    assert_null(r->fo);
    emauth_dmarc_record_free(r);
    r = ok("v=DMARC1; p=none; fo=s:0", EMAUTH_DMARC_9989);
    assert_string_equal(r->fo, "s:0");
    emauth_dmarc_record_free(r);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(emauth_dmarc_policy_name(EMAUTH_DMARC_P_NONE), "none");
    assert_string_equal(emauth_dmarc_policy_name(EMAUTH_DMARC_P_QUARANTINE), "quarantine");
    assert_string_equal(emauth_dmarc_policy_name(EMAUTH_DMARC_P_REJECT), "reject");
    assert_string_equal(emauth_dmarc_verdict_name(EMAUTH_DMARC_NONE), "none");
    assert_string_equal(emauth_dmarc_verdict_name(EMAUTH_DMARC_PASS), "pass");
    assert_string_equal(emauth_dmarc_verdict_name(EMAUTH_DMARC_FAIL), "fail");
    assert_string_equal(emauth_dmarc_verdict_name(EMAUTH_DMARC_TEMPERROR), "temperror");
    assert_string_equal(emauth_dmarc_verdict_name(EMAUTH_DMARC_PERMERROR), "permerror");
}

static void test_hostile(void **state)
{
    (void)state;
    /* many tags, many URIs, a NUL byte: bounded, no crash */
    char big[8192];
    size_t n = (size_t)snprintf(big, sizeof big, "v=DMARC1; p=none; rua=");
    for (int i = 0; i < 200; i++)
        n += (size_t)snprintf(big + n, sizeof big - n, "%smailto:r%d@example.com", i ? "," : "", i);
    emauth_dmarc_record *r = ok(big, EMAUTH_DMARC_9989);
    assert_int_equal(r->nrua, 32);
    emauth_dmarc_record_free(r);
    n = (size_t)snprintf(big, sizeof big, "v=DMARC1");
    for (int i = 0; i < 100; i++)
        n += (size_t)snprintf(big + n, sizeof big - n, "; x%d=1", i);
    emauth_error err;
    assert_int_equal(emauth_dmarc_record_parse(big, n, EMAUTH_DMARC_9989, &r, &err),
                     EMAUTH_ERR_SYNTAX);
    assert_int_equal(emauth_dmarc_record_parse("v=DMARC1; p=none\0; p=x", 23, EMAUTH_DMARC_9989,
                                               &r, &err), EMAUTH_ERR_SYNTAX);
}

/* RFC 9989 §4.8: a tag breaking the grammar is left out, the rest applies. */
static void test_broken_tag_ignored(void **state)
{
    (void)state;
    static const char rec[] = "v=DMARC1; p=reject; rua=mailto:r\xc3\xa9@example.com; adkim=s";
    ea_dmarc_parsed *p;
    assert_int_equal(ea_dmarc_parse(rec, sizeof rec - 1, EMAUTH_DMARC_9989, &p), EMAUTH_OK);
    assert_false(p->fatal);
    assert_int_equal(p->pub.p, EMAUTH_DMARC_P_REJECT);
    assert_int_equal(p->pub.adkim, 's');
    assert_int_equal(p->pub.nrua, 0);
    const ea_dmarc_issue *is = ea_dmarc_first_syntax(p);
    assert_non_null(is);
    assert_int_equal(is->kind, EA_DI_VALUE);
    assert_int_equal(is->column, 33);   /* the first UTF-8 byte */
    ea_dmarc_parsed_free(p);
    /* The strict API still calls it a syntax error. */
    emauth_dmarc_record *r;
    emauth_error err;
    assert_int_equal(emauth_dmarc_record_parse(rec, sizeof rec - 1, EMAUTH_DMARC_9989, &r, &err),
                     EMAUTH_ERR_SYNTAX);
    /* A broken first tag leaves nothing to go on. */
    static const char first[] = "v=DMARC1\xc3; p=reject";
    assert_int_equal(ea_dmarc_parse(first, sizeof first - 1, EMAUTH_DMARC_9989, &p), EMAUTH_OK);
    assert_true(p->fatal);
    ea_dmarc_parsed_free(p);
    /* A tag with no '=' is left out too. */
    static const char noeq[] = "v=DMARC1; p=quarantine; oops; sp=none";
    assert_int_equal(ea_dmarc_parse(noeq, sizeof noeq - 1, EMAUTH_DMARC_9989, &p), EMAUTH_OK);
    assert_false(p->fatal);
    assert_int_equal(p->pub.p, EMAUTH_DMARC_P_QUARANTINE);
    assert_int_equal(p->pub.sp, EMAUTH_DMARC_P_NONE);
    ea_dmarc_parsed_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_is_record), cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_all_tags), cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_bad_values), cmocka_unit_test(test_names),
        cmocka_unit_test(test_hostile), cmocka_unit_test(test_broken_tag_ignored),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
