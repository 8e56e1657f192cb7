/*
 * Unit tests for the SPF macro-string module (src/spf/macro.h), against
 * RFC 7208 §7: the §7.4 examples verbatim, the special escapes, URL escaping
 * of upper-case letters, the exp-only letters, §7.3 truncation and the
 * syntax errors of §7.1 / §7.3.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <cmocka.h>

#include "spf/macro.h"

/* ---- Contexts ------------------------------------------------------------- */

#define STR(s) s, sizeof(s) - 1

static emauth_ip parse_ip(const char *text)
{
    emauth_ip ip;
    if (emauth_ip_parse(text, strlen(text), &ip, NULL) != EMAUTH_OK)
        fail_msg("cannot parse %s", text);
    return ip;
}

/* The §7.4 setting: sender strong-bad@email.example.com, <domain> its domain. */
static ea_macro_ctx rfc_ctx(const emauth_ip *ip)
{
    ea_macro_ctx c = {
        STR("strong-bad@email.example.com"),
        STR("strong-bad"),
        STR("email.example.com"),
        STR("email.example.com"),
        STR("mx.example.org"),          /* h */
        STR("receiver.example"),        /* r */
        STR("mx.example.org"),          /* p: the PTR name of §7.4 */
        ip,
        1400000000,
    };
    return c;
}

/* Expands s; fails the test when expansion fails. The caller frees out. */
static void expand_ok(const char *s, ea_macro_use use, const ea_macro_ctx *ctx, ea_buf *out)
{
    ea_buf_init(out);
    emauth_status st = ea_macro_expand(s, strlen(s), use, ctx, out);
    if (st != EMAUTH_OK) {
        ea_buf_free(out);
        fail_msg("expanding \"%s\": status %d", s, st);
    }
}

typedef struct expand_case {
    const char *macro;
    const char *expansion;
    ea_macro_use use;
} expand_case;

static void run_expand_table_cmp(const expand_case *cases, size_t n, const ea_macro_ctx *ctx,
                                 int (*cmp)(const char *, const char *))
{
    for (size_t i = 0; i < n; i++) {
        ea_buf out;
        expand_ok(cases[i].macro, cases[i].use, ctx, &out);
        const char *got = ea_buf_cstr(&out);
        if (cmp(got, cases[i].expansion) != 0) {
            char msg[600];
            snprintf(msg, sizeof msg, "\"%s\" -> \"%s\", expected \"%s\"", cases[i].macro, got,
                     cases[i].expansion);
            ea_buf_free(&out);
            fail_msg("%s", msg);
        }
        ea_buf_free(&out);
    }
}

#define RUN_TABLE(t, ctx) run_expand_table_cmp(t, sizeof t / sizeof t[0], ctx, strcmp)
/* Names compare without case: DNS ignores it. */
#define RUN_TABLE_NOCASE(t, ctx) run_expand_table_cmp(t, sizeof t / sizeof t[0], ctx, strcasecmp)

/* ---- §7.4 ------------------------------------------------------------------------ */

static const expand_case rfc_ipv4[] = {
    { "%{s}", "strong-bad@email.example.com", EA_MACRO_DOMAIN },
    { "%{o}", "email.example.com", EA_MACRO_DOMAIN },
    { "%{d}", "email.example.com", EA_MACRO_DOMAIN },
    { "%{d4}", "email.example.com", EA_MACRO_DOMAIN },
    { "%{d3}", "email.example.com", EA_MACRO_DOMAIN },
    { "%{d2}", "example.com", EA_MACRO_DOMAIN },
    { "%{d1}", "com", EA_MACRO_DOMAIN },
    { "%{dr}", "com.example.email", EA_MACRO_DOMAIN },
    { "%{d2r}", "example.email", EA_MACRO_DOMAIN },
    { "%{l}", "strong-bad", EA_MACRO_DOMAIN },
    { "%{l-}", "strong.bad", EA_MACRO_DOMAIN },
    { "%{lr}", "strong-bad", EA_MACRO_DOMAIN },
    { "%{lr-}", "bad.strong", EA_MACRO_DOMAIN },
    { "%{l1r-}", "strong", EA_MACRO_DOMAIN },
    { "%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com", EA_MACRO_DOMAIN },
    { "%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com", EA_MACRO_DOMAIN },
    { "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com",
      EA_MACRO_DOMAIN },
    { "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com",
      EA_MACRO_DOMAIN },
    { "%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net",
      EA_MACRO_DOMAIN },
};

static void test_rfc_examples_ipv4(void **state)
{
    (void)state;
    emauth_ip ip = parse_ip("192.0.2.3");
    ea_macro_ctx ctx = rfc_ctx(&ip);
    RUN_TABLE(rfc_ipv4, &ctx);
}

static const expand_case rfc_ipv6[] = {
    { "%{ir}.%{v}._spf.%{d2}",
      "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com",
      EA_MACRO_DOMAIN },
    { "%{i}", "2.0.0.1.0.d.b.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.c.b.0.1", EA_MACRO_DOMAIN },
    { "%{v}", "ip6", EA_MACRO_DOMAIN },
    { "%{c}", "2001:db8::cb01", EA_MACRO_EXP },
};

static void test_rfc_examples_ipv6(void **state)
{
    (void)state;
    emauth_ip ip = parse_ip("2001:db8::cb01");
    ea_macro_ctx ctx = rfc_ctx(&ip);
    /*
     * The RFC's example is lower case; the OpenSPF suite (v-macro-ip6)
     * expects upper-case nibbles in explanation text. The case is not
     * specified and DNS ignores it, so emauth writes upper case: the
     * example must match without case, and %{i} must be upper case.
     */
    RUN_TABLE_NOCASE(rfc_ipv6, &ctx);
    ea_buf out;
    expand_ok("%{i}", EA_MACRO_EXP, &ctx, &out);
    assert_string_equal(ea_buf_cstr(&out),
                        "2.0.0.1.0.D.B.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.C.B.0.1");
    ea_buf_free(&out);
}

/* ---- The other letters, escapes, transformers -------------------------------------- */

static const expand_case letters[] = {
    { "%{i}", "192.0.2.3", EA_MACRO_DOMAIN },
    { "%{v}", "in-addr", EA_MACRO_DOMAIN },
    { "%{h}", "mx.example.org", EA_MACRO_DOMAIN },
    { "%{p}", "mx.example.org", EA_MACRO_DOMAIN },
    { "%{c}", "192.0.2.3", EA_MACRO_EXP },
    { "%{r}", "receiver.example", EA_MACRO_EXP },
    { "%{t}", "1400000000", EA_MACRO_EXP },
    { "%%", "%", EA_MACRO_DOMAIN },
    { "%-", "%20", EA_MACRO_DOMAIN },
    { "a%%b%_c%-d", "a%b c%20d", EA_MACRO_EXP },
    { "%{d127}", "email.example.com", EA_MACRO_DOMAIN },   /* §7.3: at least 127 */
    { "%{o2}", "example.com", EA_MACRO_DOMAIN },
    { "%{d01}", "com", EA_MACRO_DOMAIN },                  /* 01 is 1: nonzero */
    { "%{s-.}", "strong.bad@email.example.com", EA_MACRO_DOMAIN },
};

static void test_letters_and_escapes(void **state)
{
    (void)state;
    emauth_ip ip = parse_ip("192.0.2.3");
    ea_macro_ctx ctx = rfc_ctx(&ip);
    RUN_TABLE(letters, &ctx);
}

/* Several delimiters, and empty parts kept as they are (§7.3). */
static void test_delimiters_and_empty_parts(void **state)
{
    (void)state;
    static const expand_case cases[] = {
        { "%{l+-}", "a.b.c.d=e", EA_MACRO_DOMAIN },
        { "%{lr+-=}", "e.d.c.b.a", EA_MACRO_DOMAIN },
        { "%{l2+-=}", "d.e", EA_MACRO_DOMAIN },
        { "%{d}", "a..b.", EA_MACRO_DOMAIN },
        { "%{dr}", ".b..a", EA_MACRO_DOMAIN },
        { "%{d2}", "b.", EA_MACRO_DOMAIN },
    };
    emauth_ip ip = parse_ip("192.0.2.3");
    ea_macro_ctx ctx = rfc_ctx(&ip);
    ctx.local = "a+b-c-d=e";
    ctx.local_len = strlen(ctx.local);
    ctx.domain = "a..b.";
    ctx.domain_len = strlen(ctx.domain);
    RUN_TABLE(cases, &ctx);
}

/* Upper-case letters expand like lower case, then are URL-escaped (§7.3, RFC 3986). */
static void test_uppercase_url_escape(void **state)
{
    (void)state;
    static const expand_case cases[] = {
        { "%{L}", "a%2Fb%40c%20d~e_f.g-h", EA_MACRO_EXP },
        { "%{l}", "a/b@c d~e_f.g-h", EA_MACRO_EXP },
        { "%{S}", "a%2Fb%40c%20d~e_f.g-h%40email.example.com", EA_MACRO_EXP },
        { "%{L1r/}", "a", EA_MACRO_EXP },
        { "%{D}", "email.example.com", EA_MACRO_DOMAIN },
        { "%{IR}.%{V}", "3.2.0.192.in-addr", EA_MACRO_DOMAIN },
    };
    emauth_ip ip = parse_ip("192.0.2.3");
    ea_macro_ctx ctx = rfc_ctx(&ip);
    ctx.local = "a/b@c d~e_f.g-h";
    ctx.local_len = strlen(ctx.local);
    ctx.sender = "a/b@c d~e_f.g-h@email.example.com";
    ctx.sender_len = strlen(ctx.sender);
    RUN_TABLE(cases, &ctx);
}

/* ---- §7.3 truncation --------------------------------------------------------------- */

/* n labels "lbl-00001" ... joined by dots into buf. */
static size_t make_labels(char *buf, size_t size, unsigned first, unsigned last)
{
    size_t off = 0;
    for (unsigned k = first; k <= last; k++)
        off += (size_t)snprintf(buf + off, size - off, "%slbl-%05u", k > first ? "." : "", k);
    return off;
}

typedef struct trunc_case {
    unsigned labels;       /* expansion: lbl-00001 ... lbl-<labels> (9 bytes + dot each) */
    unsigned first_kept;   /* the first label left after truncation */
} trunc_case;

static void test_domain_truncation(void **state)
{
    (void)state;
    static const trunc_case cases[] = {
        { 25, 1 },    /* 249 bytes: untouched */
        { 30, 6 },    /* 299 bytes: drop 5 labels -> 249 */
        { 26, 2 },    /* 259 bytes: drop 1 label -> 249 */
    };
    emauth_ip ip = parse_ip("192.0.2.3");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char domain[512], expected[512];
        ea_macro_ctx ctx = rfc_ctx(&ip);
        ctx.domain = domain;
        ctx.domain_len = make_labels(domain, sizeof domain, 1, cases[i].labels);
        make_labels(expected, sizeof expected, cases[i].first_kept, cases[i].labels);
        expand_case c[] = { { "%{d}", expected, EA_MACRO_DOMAIN } };
        RUN_TABLE(c, &ctx);
        /* explanation text is never truncated */
        expand_case e[] = { { "%{d}", domain, EA_MACRO_EXP } };
        RUN_TABLE(e, &ctx);
    }
}

/* Whole labels go, not bytes: 254 bytes whose first label is "a" -> 252 bytes. */
static void test_truncation_whole_labels(void **state)
{
    (void)state;
    char expected[300], domain[sizeof expected + 8];
    emauth_ip ip = parse_ip("192.0.2.3");
    ea_macro_ctx ctx = rfc_ctx(&ip);
    size_t n = make_labels(expected, sizeof expected, 1, 25);       /* 249 bytes */
    snprintf(expected + n, sizeof expected - n, ".abc");            /* 253 bytes */
    snprintf(domain, sizeof domain, "a.%s", expected);              /* 255 bytes */
    ctx.domain = domain;
    ctx.domain_len = strlen(domain);
    assert_int_equal(strlen(expected), 253);
    expand_case c[] = {
        { "%{d}", expected, EA_MACRO_DOMAIN },                      /* exactly 253 kept */
    };
    RUN_TABLE(c, &ctx);
    /* one byte more in the middle: "a." and the first 9-byte label go */
    snprintf(domain, sizeof domain, "a.x%s", expected);
    ctx.domain_len = strlen(domain);
    expand_case d[] = { { "%{d}", expected + 10, EA_MACRO_DOMAIN } };
    RUN_TABLE(d, &ctx);
}

/* ---- Syntax check ---------------------------------------------------------------------- */

typedef struct check_case {
    const char *s;
    ea_macro_use use;
    size_t bad_off;        /* (size_t)-1: valid */
    const char *word;      /* expected in the description */
} check_case;

#define VALID ((size_t)-1)

static const check_case checks[] = {
    { "%{d}.example.com", EA_MACRO_DOMAIN, VALID, NULL },
    { "%{ir}.%{v}._spf.%{d2}", EA_MACRO_DOMAIN, VALID, NULL },
    { "%{l1r-}%{d10}%{s.-+,/_=}", EA_MACRO_DOMAIN, VALID, NULL },
    { "%%%_%-", EA_MACRO_DOMAIN, VALID, NULL },
    { "%{c} %{r} %{t}", EA_MACRO_EXP, VALID, NULL },
    { "%{C}%{R}%{T}", EA_MACRO_EXP, VALID, NULL },
    { "", EA_MACRO_DOMAIN, VALID, NULL },
    { "foo.%{", EA_MACRO_DOMAIN, 4, "unterminated" },
    { "foo.%{d", EA_MACRO_DOMAIN, 4, "unterminated" },
    { "foo.%{x}", EA_MACRO_DOMAIN, 6, "letter" },
    { "foo.%{d0}", EA_MACRO_DOMAIN, 7, "zero" },           /* §7.3: digit MUST be nonzero */
    { "foo.%x", EA_MACRO_DOMAIN, 4, "'%'" },
    { "foo.%(ir)", EA_MACRO_DOMAIN, 4, "'%'" },             /* the §7.3 example */
    { "foo.%", EA_MACRO_DOMAIN, 4, "end" },
    { "foo.%{d!}", EA_MACRO_DOMAIN, 7, "character" },
    { "foo.%{dr2}", EA_MACRO_DOMAIN, 8, "character" },      /* digits come before r */
    { "%{c}", EA_MACRO_DOMAIN, 2, "exp" },
    { "a.%{r}", EA_MACRO_DOMAIN, 4, "exp" },
    { "a.%{T}", EA_MACRO_DOMAIN, 4, "exp" },
    { "a b", EA_MACRO_DOMAIN, 1, "character" },             /* SP only in explain-string */
    { "a b", EA_MACRO_EXP, VALID, NULL },
    { "caf\xc3\xa9", EA_MACRO_EXP, 3, "character" },
    { "a\tb", EA_MACRO_EXP, 1, "character" },
};

static void assert_check(const check_case *c)
{
    size_t off = 12345;
    const char *what = NULL;
    emauth_status st = ea_macro_check(c->s, strlen(c->s), c->use, &off, &what);
    if (c->bad_off == VALID) {
        if (st != EMAUTH_OK)
            fail_msg("\"%s\" refused at %zu: %s", c->s, off, what ? what : "?");
        return;
    }
    if (st != EMAUTH_ERR_SYNTAX)
        fail_msg("\"%s\" accepted (status %d)", c->s, st);
    if (off != c->bad_off)
        fail_msg("\"%s\": error at offset %zu, expected %zu (%s)", c->s, off, c->bad_off,
                 what ? what : "?");
    if (what == NULL || strstr(what, c->word) == NULL)
        fail_msg("\"%s\": description \"%s\" lacks \"%s\"", c->s, what ? what : "(null)", c->word);
}

static void test_check(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++)
        assert_check(&checks[i]);
}

/* Expansion refuses what the check refuses and leaves out as it was. */
static void test_expand_refuses_bad_syntax(void **state)
{
    (void)state;
    static const char *const bad[] = { "x.%{", "x.%{x}", "x.%{d0}", "x.%x", "x.%", "x.%{c}" };
    emauth_ip ip = parse_ip("192.0.2.3");
    ea_macro_ctx ctx = rfc_ctx(&ip);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ea_buf out;
        ea_buf_init(&out);
        assert_int_equal(ea_buf_puts(&out, "kept"), 0);
        emauth_status st = ea_macro_expand(bad[i], strlen(bad[i]), EA_MACRO_DOMAIN, &ctx, &out);
        int same = strcmp(ea_buf_cstr(&out), "kept") == 0;
        ea_buf_free(&out);
        if (st != EMAUTH_ERR_SYNTAX || !same)
            fail_msg("\"%s\": status %d, output %s", bad[i], st, same ? "kept" : "changed");
    }
}

/* ---- uses_p -------------------------------------------------------------------------------- */

typedef struct uses_p_case {
    const char *s;
    int uses;
} uses_p_case;

static void test_uses_p(void **state)
{
    (void)state;
    static const uses_p_case cases[] = {
        { "%{p}", 1 }, { "%{P}", 1 }, { "%{pr}.x", 1 }, { "a.%{p2}.b", 1 },
        { "%%%{p}", 1 }, { "%{d}.%{p}", 1 },
        { "%{d}", 0 }, { "p.%{d}", 0 }, { "%%{p}", 0 }, { "", 0 }, { "%{", 0 }, { "{p}", 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int got = ea_macro_uses_p(cases[i].s, strlen(cases[i].s));
        if (got != cases[i].uses)
            fail_msg("uses_p(\"%s\") = %d", cases[i].s, got);
    }
}

/* §6.2 allows a limit: a long explain-string is cut at EA_MACRO_EXP_MAX bytes. */
static void test_explanation_cap(void **state)
{
    (void)state;
    emauth_ip ip = parse_ip("192.0.2.3");
    ea_macro_ctx ctx = rfc_ctx(&ip);
    char s[5001];
    size_t n = 0;
    while (n + 4 < sizeof s)
        n += (size_t)snprintf(s + n, sizeof s - n, "%%{s}");
    ea_buf out;
    ea_buf_init(&out);
    assert_int_equal(ea_buf_append(&out, "kept:", 5), 0);
    assert_int_equal(ea_macro_expand(s, n, EA_MACRO_EXP, &ctx, &out), EMAUTH_OK);
    assert_int_equal(out.len, 5 + EA_MACRO_EXP_MAX);
    assert_int_equal(strlen(ea_buf_cstr(&out)), out.len);
    assert_memory_equal(out.data, "kept:strong-bad@email.example.com", 33);
    ea_buf_free(&out);
    /* Under the cap nothing changes. */
    expand_ok("%{s}", EA_MACRO_EXP, &ctx, &out);
    assert_string_equal(ea_buf_cstr(&out), "strong-bad@email.example.com");
    ea_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc_examples_ipv4),
        cmocka_unit_test(test_rfc_examples_ipv6),
        cmocka_unit_test(test_letters_and_escapes),
        cmocka_unit_test(test_delimiters_and_empty_parts),
        cmocka_unit_test(test_uppercase_url_escape),
        cmocka_unit_test(test_domain_truncation),
        cmocka_unit_test(test_truncation_whole_labels),
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_expand_refuses_bad_syntax),
        cmocka_unit_test(test_uses_p),
        cmocka_unit_test(test_explanation_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
