/*
 * Unit tests for emauth/ip.h: parsing (RFC 4291 §2.2 text forms, RFC 7208
 * §5 IPv4-mapped addresses), RFC 5952 formatting and prefix matching.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <emauth/ip.h>

/* Parses text that must be valid (either family). */
static emauth_ip must_parse(const char *text)
{
    emauth_ip ip;
    emauth_error err;
    emauth_error_clear(&err);
    if (emauth_ip_parse(text, strlen(text), &ip, &err) != EMAUTH_OK)
        fail_msg("cannot parse \"%s\": %s", text, err.message);
    return ip;
}

/* Parses from a heap buffer of exactly len bytes, so any overread is caught. */
static emauth_status parse_bounded(const char *text, size_t len, emauth_ip *ip, emauth_error *err)
{
    char *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, text, len);
    emauth_status st = emauth_ip_parse(copy, len, ip, err);
    free(copy);
    return st;
}

/* ---- Valid addresses ------------------------------------------------------ */

typedef struct parse_case {
    const char *text;
    int family;
    uint8_t addr[16];
} parse_case;

#define V6(...) { __VA_ARGS__ }

static const parse_case valid[] = {
    { "192.0.2.1", 4, { 192, 0, 2, 1 } },
    { "0.0.0.0", 4, { 0 } },
    { "255.255.255.255", 4, { 255, 255, 255, 255 } },
    { "10.0.0.9", 4, { 10, 0, 0, 9 } },
    { "2001:db8::1", 6, V6(0x20, 0x01, 0x0d, 0xb8, [15] = 1) },
    { "2001:DB8::CB01", 6, V6(0x20, 0x01, 0x0d, 0xb8, [14] = 0xcb, [15] = 0x01) },
    { "CAFE:babe::1", 6, V6(0xca, 0xfe, 0xba, 0xbe, [15] = 1) },
    { "::", 6, { 0 } },
    { "::1", 6, V6([15] = 1) },
    { "1::", 6, V6(0, 1) },
    { "1:2:3:4:5:6:7:8", 6, V6(0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8) },
    { "1:2:3:4:5:6:7::", 6, V6(0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 0) },
    { "::2:3:4:5:6:7:8", 6, V6(0, 0, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8) },
    { "0001:0DB8:0000::000f", 6, V6(0, 1, 0x0d, 0xb8, [15] = 0x0f) },
    { "2001:db8:0:0:1:0:0:1", 6, V6(0x20, 0x01, 0x0d, 0xb8, [9] = 1, [15] = 1) },
    /* embedded IPv4 tail */
    { "CAFE:BABE::192.168.218.40", 6, V6(0xca, 0xfe, 0xba, 0xbe, [12] = 192, 168, 218, 40) },
    { "1:2:3:4:5:6:1.2.3.4", 6, V6(0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 1, 2, 3, 4) },
    { "::192.0.2.1", 6, V6([12] = 192, 0, 2, 1) },   /* IPv4-compatible: stays IPv6 */
    /* IPv4-mapped: RFC 7208 §5 treats it as the IPv4 address */
    { "::ffff:1.2.3.4", 4, { 1, 2, 3, 4 } },
    { "::FFFF:1.2.3.4", 4, { 1, 2, 3, 4 } },
    { "0:0:0:0:0:ffff:192.0.2.1", 4, { 192, 0, 2, 1 } },
    { "::ffff:c000:201", 4, { 192, 0, 2, 1 } },
};

static void assert_ip(const emauth_ip *ip, int family, const uint8_t *addr, const char *text)
{
    if (ip->family != family)
        fail_msg("\"%s\": family %d, expected %d", text, ip->family, family);
    assert_memory_equal(ip->addr, addr, family == 4 ? 4 : 16);
}

static void test_parse_valid(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
        emauth_ip ip;
        emauth_error err;
        emauth_error_clear(&err);
        const parse_case *c = &valid[i];
        if (parse_bounded(c->text, strlen(c->text), &ip, &err) != EMAUTH_OK)
            fail_msg("\"%s\" refused: %s", c->text, err.message);
        assert_ip(&ip, c->family, c->addr, c->text);
    }
}

/* ---- Rejects ------------------------------------------------------------------ */

static const char *const invalid[] = {
    "", " ", "garbage", "localhost", "1.2.3.4 ", " 1.2.3.4", "1.2.3.4/24",
    "01.2.3.4", "1.2.3.04", "1.2.3.00", "0x1.2.3.4",        /* leading zeros, hex */
    "256.1.1.1", "1.2.3.256", "1.2.3.999",                  /* octet range */
    "1.2.3", "1.2.3.4.5", "1..2.3", "1.2.3.", ".1.2.3", "-1.2.3.4", "1.2.3.-4",
    "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8",   /* too many groups */
    "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:1.2.3.4",
    "1::2::3", "::1::", ":::", "1:::2",                     /* two "::" */
    "12345::", "g::1", "1:2:3:4:5:6:7:8 ", ":1::", "1:", ":", "1::2:",
    "::ffff:1.2.3.04", "::1.2.3", "::1.2.3.4.5", "::256.0.0.1", "1.2.3.4::",
};

static void test_parse_invalid(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        emauth_ip ip;
        emauth_error err;
        emauth_error_clear(&err);
        emauth_status st = parse_bounded(invalid[i], strlen(invalid[i]), &ip, &err);
        if (st != EMAUTH_ERR_SYNTAX)
            fail_msg("\"%s\" accepted (status %d, family %d)", invalid[i], st, ip.family);
        assert_int_equal(err.status, EMAUTH_ERR_SYNTAX);
        assert_true(err.message[0] != '\0');
    }
}

/* A NULL error object is allowed. */
static void test_parse_invalid_null_err(void **state)
{
    (void)state;
    emauth_ip ip;
    assert_int_equal(emauth_ip_parse("1.2.3", 5, &ip, NULL), EMAUTH_ERR_SYNTAX);
}

/* Only len bytes are read: no NUL needed, and what follows is ignored. */
typedef struct bounded_case {
    const char *text;
    size_t len;
    emauth_status status;
    int family;
    uint8_t addr[16];
} bounded_case;

static const bounded_case bounded[] = {
    { "192.0.2.1xyz", 9, EMAUTH_OK, 4, { 192, 0, 2, 1 } },
    { "192.0.2.15", 9, EMAUTH_OK, 4, { 192, 0, 2, 1 } },
    { "2001:db8::1:2", 11, EMAUTH_OK, 6, V6(0x20, 0x01, 0x0d, 0xb8, [15] = 1) },
    { "2001:db8::1", 8, EMAUTH_ERR_SYNTAX, 0, { 0 } },
    { "192.0.2.1", 0, EMAUTH_ERR_SYNTAX, 0, { 0 } },
    { "192.0.2.1", 7, EMAUTH_ERR_SYNTAX, 0, { 0 } },      /* "192.0.2" */
    { "1.2.3.4\0" "5", 9, EMAUTH_ERR_SYNTAX, 0, { 0 } },  /* embedded NUL */
};

static void test_parse_bounded(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bounded / sizeof bounded[0]; i++) {
        const bounded_case *c = &bounded[i];
        emauth_ip ip;
        emauth_status st = parse_bounded(c->text, c->len, &ip, NULL);
        if (st != c->status)
            fail_msg("\"%.*s\" (len %zu): status %d, expected %d", (int)c->len, c->text,
                     c->len, st, c->status);
        if (st == EMAUTH_OK)
            assert_ip(&ip, c->family, c->addr, c->text);
    }
}

/* ---- parse_family ---------------------------------------------------------------- */

typedef struct family_case {
    const char *text;
    int family;          /* asked for */
    emauth_status status;
    uint8_t addr[16];
} family_case;

static const family_case by_family[] = {
    { "192.0.2.1", 4, EMAUTH_OK, { 192, 0, 2, 1 } },
    { "192.0.2.1", 6, EMAUTH_ERR_SYNTAX, { 0 } },
    { "2001:db8::1", 4, EMAUTH_ERR_SYNTAX, { 0 } },
    { "2001:db8::1", 6, EMAUTH_OK, V6(0x20, 0x01, 0x0d, 0xb8, [15] = 1) },
    { "::ffff:1.2.3.4", 6, EMAUTH_OK, V6([10] = 0xff, 0xff, 1, 2, 3, 4) },  /* kept */
    { "::ffff:1.2.3.4", 4, EMAUTH_ERR_SYNTAX, { 0 } },
    { "01.2.3.4", 4, EMAUTH_ERR_SYNTAX, { 0 } },
};

static void test_parse_family(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof by_family / sizeof by_family[0]; i++) {
        const family_case *c = &by_family[i];
        emauth_ip ip;
        emauth_status st = emauth_ip_parse_family(c->text, strlen(c->text), c->family, &ip);
        if (st != c->status)
            fail_msg("\"%s\" as IPv%d: status %d, expected %d", c->text, c->family, st, c->status);
        if (st == EMAUTH_OK)
            assert_ip(&ip, c->family, c->addr, c->text);
    }
}

/* ---- Formatting (RFC 5952) ------------------------------------------------------- */

typedef struct format_case {
    const char *in;
    int family;          /* parse with emauth_ip_parse_family */
    const char *out;
} format_case;

static const format_case formats[] = {
    { "192.0.2.1", 4, "192.0.2.1" },
    { "0.0.0.0", 4, "0.0.0.0" },
    { "255.255.255.255", 4, "255.255.255.255" },
    { "2001:0DB8:0000:0000:0000:0000:0000:0001", 6, "2001:db8::1" },   /* §4.1, §4.2.1, §4.3 */
    { "2001:db8:0:0:1:0:0:1", 6, "2001:db8::1:0:0:1" },               /* §4.2.3: first run */
    { "2001:0:0:1:0:0:0:1", 6, "2001:0:0:1::1" },                     /* §4.2.3: longest run */
    { "2001:db8:0:1:1:1:1:1", 6, "2001:db8:0:1:1:1:1:1" },            /* §4.2.2: one 0 stays */
    { "CAFE:BABE::1", 6, "cafe:babe::1" },                            /* §4.3: lower case */
    { "::", 6, "::" },
    { "::1", 6, "::1" },
    { "1::", 6, "1::" },
    { "2001:db8::", 6, "2001:db8::" },
    { "fe80:0:0:0:0:0:0:0", 6, "fe80::" },
    { "1:2:3:4:5:6:7:8", 6, "1:2:3:4:5:6:7:8" },
    { "1:0:0:2:0:0:0:3", 6, "1:0:0:2::3" },
    { "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" },
    { "::ffff:c000:201", 6, "::ffff:192.0.2.1" },                     /* §5: mapped, mixed */
};

static void test_format(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        const format_case *c = &formats[i];
        emauth_ip ip, back;
        char buf[EMAUTH_IP_TEXT_MAX];
        assert_int_equal(emauth_ip_parse_family(c->in, strlen(c->in), c->family, &ip), EMAUTH_OK);
        size_t n = emauth_ip_format(&ip, buf, sizeof buf);
        if (strcmp(buf, c->out) != 0)
            fail_msg("format(%s) = \"%s\", expected \"%s\"", c->in, buf, c->out);
        assert_int_equal(n, strlen(c->out));
        /* and the text reads back as the same address */
        assert_int_equal(emauth_ip_parse_family(buf, n, c->family, &back), EMAUTH_OK);
        assert_memory_equal(back.addr, ip.addr, 16);
    }
}

/* An IPv4-mapped address parsed by emauth_ip_parse formats as IPv4. */
static void test_format_mapped_as_v4(void **state)
{
    (void)state;
    emauth_ip ip = must_parse("::FFFF:1.2.3.4");
    char buf[EMAUTH_IP_TEXT_MAX];
    emauth_ip_format(&ip, buf, sizeof buf);
    assert_string_equal(buf, "1.2.3.4");
}

/* ---- Prefix matching ------------------------------------------------------------- */

typedef struct match_case {
    const char *a, *b;
    unsigned prefix;
    int match;
} match_case;

static const match_case matches[] = {
    { "1.2.3.4", "200.100.50.25", 0, 1 },
    { "1.2.3.4", "127.255.255.255", 1, 1 },     /* top bit 0 both */
    { "1.2.3.4", "128.0.0.0", 1, 0 },
    { "2.0.0.0", "3.255.0.0", 7, 1 },           /* 0000001x */
    { "2.0.0.0", "4.0.0.0", 7, 0 },
    { "10.1.1.1", "10.200.0.0", 8, 1 },
    { "10.1.1.1", "11.1.1.1", 8, 0 },
    { "192.0.2.1", "192.0.2.254", 24, 1 },
    { "192.0.2.1", "192.0.3.1", 24, 0 },
    { "192.0.2.2", "192.0.2.3", 31, 1 },
    { "192.0.2.1", "192.0.2.2", 31, 0 },
    { "192.0.2.1", "192.0.2.1", 32, 1 },
    { "192.0.2.1", "192.0.2.0", 32, 0 },
    { "::", "ffff::1", 0, 1 },
    { "::1", "7fff::", 1, 1 },
    { "::1", "8000::", 1, 0 },
    { "2001:db8::", "2101:db8::", 7, 1 },       /* 0x20 vs 0x21: only bit 8 differs */
    { "2001:db8::", "2201:db8::", 7, 0 },       /* 0x20 vs 0x22: bit 7 differs */
    { "2001:db8::", "20ff:0:1::", 8, 1 },
    { "2001:db8::", "2101:db8::", 8, 0 },
    { "2001:db8::1", "2001:db8::ffff:1", 64, 1 },
    { "2001:db8:0:1::1", "2001:db8::1", 64, 0 },
    { "2001:db8::2", "2001:db8::3", 127, 1 },
    { "2001:db8::1", "2001:db8::2", 127, 0 },
    { "2001:db8::cb01", "2001:db8::cb01", 128, 1 },
    { "2001:db8::cb01", "2001:db8::cb00", 128, 0 },
    /* across families: never a match, whatever the prefix */
    { "0.0.0.0", "::", 0, 0 },
    { "1.2.3.4", "::102:304", 0, 0 },
    { "1.2.3.4", "::102:304", 32, 0 },
    { "192.0.2.1", "::192.0.2.1", 128, 0 },
    /* IPv4-mapped text is IPv4 */
    { "::ffff:192.0.2.1", "192.0.2.0", 24, 1 },
    { "::ffff:192.0.2.1", "192.0.3.0", 24, 0 },
};

static void test_match(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof matches / sizeof matches[0]; i++) {
        const match_case *c = &matches[i];
        emauth_ip a = must_parse(c->a), b = must_parse(c->b);
        int ab = emauth_ip_match(&a, &b, c->prefix), ba = emauth_ip_match(&b, &a, c->prefix);
        if (ab != c->match || ba != c->match)
            fail_msg("match(%s, %s, /%u) = %d/%d, expected %d", c->a, c->b, c->prefix, ab, ba,
                     c->match);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_valid),
        cmocka_unit_test(test_parse_invalid),
        cmocka_unit_test(test_parse_invalid_null_err),
        cmocka_unit_test(test_parse_bounded),
        cmocka_unit_test(test_parse_family),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_format_mapped_as_v4),
        cmocka_unit_test(test_match),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
