/*
 * The in-memory zone: master-file loading (the .zone files in
 * tests/data/zone and strings), the store's answers, and emauth_zone_add().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <emauth/dns.h>

/* ---- Helpers ------------------------------------------------------------- */

#define PATH_SIZE 512

/*
 * A path under $EMAUTH_DATA/zone (tests run from tests/, so "data" is the
 * fallback). Four buffers in turn, so a few paths can be used together.
 */
static const char *zone_path(const char *file)
{
    static char bufs[4][PATH_SIZE];
    static unsigned next;
    char *buf = bufs[next++ % 4];
    const char *data = getenv("EMAUTH_DATA");
    int n = snprintf(buf, PATH_SIZE, "%s/zone/%s", data ? data : "data", file);
    assert_true(n > 0 && n < PATH_SIZE);
    return buf;
}

static emauth_dns_answer ask(emauth_zone *z, const char *name, uint16_t type)
{
    emauth_dns_question q = {name, type};
    emauth_dns_answer a;
    memset(&a, 0x5a, sizeof a);     /* every field must be written */
    assert_int_equal(emauth_zone_query(z, &q, &a), EMAUTH_OK);
    if (a.rcode != EMAUTH_DNS_OK) {
        assert_int_equal(a.count, 0);
        assert_null(a.rrs);
    }
    if (a.cname_count == 0)
        assert_null(a.cnames);
    return a;
}

static void expect_rcode(emauth_zone *z, const char *name, uint16_t type, emauth_dns_rcode rcode)
{
    emauth_dns_answer a = ask(z, name, type);
    if (a.rcode != rcode)
        fail_msg("%s/%u: got %s, want %s", name, type, emauth_dns_rcode_name(a.rcode),
                 emauth_dns_rcode_name(rcode));
}

/* The single A record of name, as a host-order number. */
static uint32_t ask_a(emauth_zone *z, const char *name)
{
    emauth_dns_answer a = ask(z, name, EMAUTH_DNS_A);
    if (a.rcode != EMAUTH_DNS_OK)
        fail_msg("%s: got %s, want ok", name, emauth_dns_rcode_name(a.rcode));
    assert_int_equal(a.count, 1);
    const uint8_t *b = a.rrs[0].u.a;
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static uint32_t ip4(unsigned a, unsigned b, unsigned c, unsigned d)
{
    return (uint32_t)(a << 24 | b << 16 | c << 8 | d);
}

static emauth_zone *zone_from(const char *text)
{
    emauth_zone *z = emauth_zone_new();
    emauth_error err;
    emauth_error_clear(&err);
    assert_non_null(z);
    emauth_status st = emauth_zone_load_string(z, text, strlen(text), "t.zone", NULL, &err);
    if (st != EMAUTH_OK)
        fail_msg("load failed: %s", err.message);
    return z;
}

static emauth_zone *zone_from_file(const char *file)
{
    emauth_zone *z = emauth_zone_new();
    emauth_error err;
    emauth_error_clear(&err);
    assert_non_null(z);
    emauth_status st = emauth_zone_load_file(z, zone_path(file), NULL, &err);
    if (st != EMAUTH_OK)
        fail_msg("load failed: %s", err.message);
    return z;
}

static void expect_txt(emauth_zone *z, const char *name, const char *data, size_t len,
                       size_t nstrings)
{
    emauth_dns_answer a = ask(z, name, EMAUTH_DNS_TXT);
    assert_int_equal(a.rcode, EMAUTH_DNS_OK);
    assert_int_equal(a.count, 1);
    assert_int_equal(a.rrs[0].u.txt.len, len);
    assert_memory_equal(a.rrs[0].u.txt.data, data, len);
    assert_int_equal(a.rrs[0].u.txt.nstrings, nstrings);
}

/* Collected warnings. */
typedef struct warnings {
    int count;
    char first[EMAUTH_ERROR_MAX];
} warnings;

static void collect_warning(void *arg, const char *msg)
{
    warnings *w = arg;
    if (w->count++ == 0)
        snprintf(w->first, sizeof w->first, "%s", msg);
}

/* ---- Names --------------------------------------------------------------- */

static void test_type_and_rcode_names(void **state)
{
    (void)state;
    assert_string_equal(emauth_dns_type_name(EMAUTH_DNS_A), "A");
    assert_string_equal(emauth_dns_type_name(EMAUTH_DNS_TXT), "TXT");
    assert_string_equal(emauth_dns_type_name(EMAUTH_DNS_SPF), "SPF");
    assert_string_equal(emauth_dns_type_name(EMAUTH_DNS_AAAA), "AAAA");
    assert_string_equal(emauth_dns_type_name(257), "CAA");
    assert_null(emauth_dns_type_name(0));
    assert_null(emauth_dns_type_name(65280));
    assert_string_equal(emauth_dns_rcode_name(EMAUTH_DNS_OK), "ok");
    assert_string_equal(emauth_dns_rcode_name(EMAUTH_DNS_NODATA), "nodata");
    assert_string_equal(emauth_dns_rcode_name(EMAUTH_DNS_NXDOMAIN), "nxdomain");
    assert_string_equal(emauth_dns_rcode_name(EMAUTH_DNS_SERVFAIL), "servfail");
    assert_string_equal(emauth_dns_rcode_name(EMAUTH_DNS_TIMEOUT), "timeout");
}

/* ---- The main test file: every type and directive ------------------------ */

static void test_file_types(void **state)
{
    (void)state;
    warnings w = {0, ""};
    emauth_zone *z = emauth_zone_new();
    emauth_error err;
    emauth_zone_set_warn(z, collect_warning, &w);
    if (emauth_zone_load_file(z, zone_path("main.zone"), NULL, &err) != EMAUTH_OK)
        fail_msg("%s", err.message);

    emauth_dns_answer a = ask(z, "example.com", EMAUTH_DNS_SOA);
    assert_int_equal(a.rcode, EMAUTH_DNS_OK);
    assert_int_equal(a.count, 1);
    assert_int_equal(a.rrs[0].ttl, 5400);                   /* $TTL 1h30m */
    assert_string_equal(a.rrs[0].u.soa.mname, "ns1.example.com");
    assert_string_equal(a.rrs[0].u.soa.rname, "hostmaster.example.com");
    assert_int_equal(a.rrs[0].u.soa.serial, 2024010101u);
    assert_int_equal(a.rrs[0].u.soa.refresh, 10800);
    assert_int_equal(a.rrs[0].u.soa.retry, 900);
    assert_int_equal(a.rrs[0].u.soa.expire, 604800);
    assert_int_equal(a.rrs[0].u.soa.minimum, 300);

    a = ask(z, "example.com", EMAUTH_DNS_NS);               /* owner omitted: previous */
    assert_int_equal(a.count, 2);
    assert_string_equal(a.rrs[0].u.target, "ns1.example.com");
    assert_string_equal(a.rrs[1].u.target, "ns2.example.net");

    a = ask(z, "example.com", EMAUTH_DNS_MX);               /* file order kept */
    assert_int_equal(a.count, 2);
    assert_int_equal(a.rrs[0].u.mx.preference, 10);
    assert_string_equal(a.rrs[0].u.mx.exchange, "mail.example.com");
    assert_int_equal(a.rrs[1].u.mx.preference, 20);
    assert_string_equal(a.rrs[1].u.mx.exchange, "mail2.example.com");

    expect_txt(z, "example.com", "v=spf1 ip4:192.0.2.0/24 -all", 28, 2);

    a = ask(z, "ns1.example.com", EMAUTH_DNS_A);
    assert_int_equal(a.rrs[0].ttl, 3600);
    a = ask(z, "mail.example.com", EMAUTH_DNS_A);
    assert_int_equal(a.rrs[0].ttl, 600);
    assert_int_equal(ask_a(z, "mail.example.com"), ip4(192, 0, 2, 25));

    a = ask(z, "mail.example.com", EMAUTH_DNS_AAAA);
    assert_int_equal(a.count, 1);
    assert_int_equal(a.rrs[0].ttl, 5400);
    static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x25};
    assert_memory_equal(a.rrs[0].u.aaaa, v6, 16);

    expect_txt(z, "txt.example.com", "semi;colonquote\"dunquoted word\0nul", 34, 4);
    a = ask(z, "spf.example.com", EMAUTH_DNS_SPF);
    assert_int_equal(a.count, 1);
    assert_int_equal(a.rrs[0].type, EMAUTH_DNS_SPF);
    assert_string_equal(a.rrs[0].u.txt.data, "v=spf1 -all");
    expect_rcode(z, "spf.example.com", EMAUTH_DNS_TXT, EMAUTH_DNS_NODATA);

    a = ask(z, "4.3.2.1.in-addr.arpa", EMAUTH_DNS_PTR);
    assert_int_equal(a.count, 1);
    assert_string_equal(a.rrs[0].u.target, "mail.example.com");

    a = ask(z, "null.example.com", EMAUTH_DNS_MX);          /* RFC 7505 null MX */
    assert_int_equal(a.count, 1);
    assert_int_equal(a.rrs[0].u.mx.preference, 0);
    assert_string_equal(a.rrs[0].u.mx.exchange, "");

    expect_txt(z, "long.example.com", "first second", 12, 2);
    emauth_zone_free(z);
    assert_int_equal(w.count, 1);                           /* the CAA record */
}

static void test_file_directives(void **state)
{
    (void)state;
    emauth_zone *z = zone_from_file("main.zone");
    /* $INCLUDE with an origin, and $ORIGIN inside the included file */
    assert_int_equal(ask_a(z, "sub.example.com"), ip4(192, 0, 2, 80));
    assert_int_equal(ask_a(z, "www.sub.example.com"), ip4(192, 0, 2, 81));
    assert_int_equal(ask_a(z, "x.inner.sub.example.com"), ip4(192, 0, 2, 82));
    /* the includer's origin is back after the include */
    assert_int_equal(ask_a(z, "after.example.com"), ip4(192, 0, 2, 99));
    expect_rcode(z, "after.sub.example.com", EMAUTH_DNS_A, EMAUTH_DNS_NXDOMAIN);
    /* a second $ORIGIN */
    assert_int_equal(ask_a(z, "host.other.example"), ip4(198, 51, 100, 1));
    /* $TIMEOUT at a name with records */
    expect_txt(z, "slow.example.com", "answered", 8, 1);
    expect_rcode(z, "slow.example.com", EMAUTH_DNS_A, EMAUTH_DNS_TIMEOUT);
    /* the skipped CAA record still makes its owner exist */
    expect_rcode(z, "caa.example.com", EMAUTH_DNS_A, EMAUTH_DNS_NODATA);
    assert_int_equal(emauth_zone_name_count(z), 19);
    emauth_zone_free(z);
}

static void test_crlf_file(void **state)
{
    (void)state;
    emauth_zone *z = zone_from_file("crlf.zone");
    assert_int_equal(ask_a(z, "crlf.example.com"), ip4(192, 0, 2, 7));
    expect_txt(z, "crlf.example.com", "dos", 3, 1);
    emauth_zone_free(z);
}

/* ---- Syntax details ------------------------------------------------------ */

static void test_escapes(void **state)
{
    (void)state;
    emauth_zone *z = zone_from("$ORIGIN example.com.\n"
                               "a\\.b    TXT \"dot\"\n"
                               "\\065Bc  A 192.0.2.1\n"
                               "sp\\ ace A 192.0.2.2\n"
                               "q       TXT \"a\\\"b\" \"c\\\\d\" \"\\065\\066\" e\\;f \"\"\n"
                               "nul     TXT \"x\\000y\" \\255\n");
    expect_txt(z, "a\\.b.example.com", "dot", 3, 1);
    expect_txt(z, "A\\046B.EXAMPLE.COM.", "dot", 3, 1);
    expect_rcode(z, "b.example.com", EMAUTH_DNS_TXT, EMAUTH_DNS_NXDOMAIN);
    assert_int_equal(ask_a(z, "abc.example.com"), ip4(192, 0, 2, 1));
    assert_int_equal(ask_a(z, "sp ace.example.com"), ip4(192, 0, 2, 2));
    assert_int_equal(ask_a(z, "SP\\032ACE.example.com"), ip4(192, 0, 2, 2));
    expect_txt(z, "q.example.com", "a\"bc\\dABe;f", 11, 5);
    expect_txt(z, "nul.example.com", "x\0y\xff", 4, 2);
    emauth_zone_free(z);
}

static void test_parentheses_and_comments(void **state)
{
    (void)state;
    emauth_zone *z = zone_from("$ORIGIN example.com. ; comment after a directive\n"
                               "; a whole-line comment \"with a quote\n"
                               "p  TXT ( \"one\" ; (a comment inside)\n"
                               "\n"
                               "         \"two;three\"\n"
                               "       )\n"
                               "p2 ( IN\n A 192.0.2.9 )\n"
                               "  \t  ; indented comment-only line\n"
                               "p3 A 192.0.2.10;no space before the comment\n");
    expect_txt(z, "p.example.com", "onetwo;three", 12, 2);
    assert_int_equal(ask_a(z, "p2.example.com"), ip4(192, 0, 2, 9));
    assert_int_equal(ask_a(z, "p3.example.com"), ip4(192, 0, 2, 10));
    assert_int_equal(emauth_zone_name_count(z), 3);
    emauth_zone_free(z);
}

static void collect_name(void *arg, const char *name)
{
    char *all = arg;
    strcat(all, name);
    strcat(all, ";");
}

/* Owner names in the order first added; implied parents are not owners. */
static void test_foreach_name(void **state)
{
    (void)state;
    emauth_zone *z = zone_from("$ORIGIN example.com.\n"
                               "b.c A 192.0.2.1\n"
                               "@ TXT \"x\"\n"
                               "B.C TXT \"y\"\n"
                               "$TIMEOUT slow\n");
    char all[256] = "";
    emauth_zone_foreach_name(z, collect_name, all);
    assert_string_equal(all, "b.c.example.com;example.com;slow.example.com;");
    emauth_zone_free(z);
    all[0] = '\0';
    emauth_zone_foreach_name(NULL, collect_name, all);
    assert_string_equal(all, "");
}

static void test_ttl_and_class_order(void **state)
{
    (void)state;
    emauth_zone *z = zone_from("$ORIGIN example.com.\n"
                               "first A 192.0.2.1\n"        /* nothing yet: 3600 */
                               "a 300 IN A 192.0.2.1\n"
                               "b IN 301 A 192.0.2.2\n"
                               "c IN A 192.0.2.3\n"         /* no $TTL: last explicit */
                               "d A 192.0.2.4\n"
                               "$TTL 1h30m\n"
                               "e A 192.0.2.5\n"
                               "f 1W A 192.0.2.6\n"
                               "g in 1d2h3m4s a 192.0.2.7\n"
                               "h 2147483647 A 192.0.2.8\n"
                               "i CLASS1 A 192.0.2.9\n");
    static const struct {
        const char *name;
        uint32_t ttl;
    } want[] = {{"first", 3600}, {"a", 300},     {"b", 301},   {"c", 301},
                {"d", 301},      {"e", 5400},    {"f", 604800}, {"g", 93784},
                {"h", 2147483647u}, {"i", 5400}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s.example.com", want[i].name);
        emauth_dns_answer a = ask(z, name, EMAUTH_DNS_A);
        assert_int_equal(a.rcode, EMAUTH_DNS_OK);
        if (a.rrs[0].ttl != want[i].ttl)
            fail_msg("%s: ttl %u, want %u", name, a.rrs[0].ttl, want[i].ttl);
    }
    emauth_zone_free(z);
}

static void test_origins(void **state)
{
    (void)state;
    emauth_zone *z = emauth_zone_new();
    emauth_error err;
    const char *text = "www A 192.0.2.1\n@ A 192.0.2.2\n$ORIGIN sub\nx A 192.0.2.3\n"
                       "abs.example.org. A 192.0.2.4\n";
    assert_int_equal(emauth_zone_load_string(z, text, strlen(text), NULL, "Example.COM", &err),
                     EMAUTH_OK);
    assert_int_equal(ask_a(z, "www.example.com"), ip4(192, 0, 2, 1));
    assert_int_equal(ask_a(z, "example.com"), ip4(192, 0, 2, 2));
    assert_int_equal(ask_a(z, "x.sub.example.com"), ip4(192, 0, 2, 3));   /* relative $ORIGIN */
    assert_int_equal(ask_a(z, "abs.example.org"), ip4(192, 0, 2, 4));
    assert_int_equal(emauth_zone_load_string(z, "", 0, NULL, "a..b", &err), EMAUTH_ERR_INVALID);
    assert_string_equal(err.message, "bad origin \"a..b\": empty label");
    emauth_zone_free(z);
}

static void test_string_limit_exact(void **state)
{
    (void)state;
    char text[700], s255[256];
    memset(s255, 'x', 255);
    s255[255] = '\0';
    snprintf(text, sizeof text, "t.example. TXT \"%s\" %s\n", s255, s255);
    emauth_zone *z = zone_from(text);
    emauth_dns_answer a = ask(z, "t.example", EMAUTH_DNS_TXT);
    assert_int_equal(a.rrs[0].u.txt.len, 510);
    assert_int_equal(a.rrs[0].u.txt.nstrings, 2);
    emauth_zone_free(z);
}

/* ---- Errors -------------------------------------------------------------- */

typedef struct bad_case {
    const char *text;
    emauth_status status;
    unsigned line, col;
    const char *message;
} bad_case;

static void check_bad(const bad_case *c)
{
    emauth_zone *z = emauth_zone_new();
    emauth_error err;
    emauth_error_clear(&err);
    emauth_status st = emauth_zone_load_string(z, c->text, strlen(c->text), "t.zone", NULL, &err);
    if (st != c->status || err.line != c->line || err.column != c->col ||
        strcmp(err.message, c->message) != 0)
        fail_msg("zone text:\n%s\ngot    %d %u:%u \"%s\"\nwanted %d %u:%u \"%s\"", c->text, st,
                 err.line, err.column, err.message, c->status, c->line, c->col, c->message);
    assert_int_equal(err.status, c->status);
    assert_int_equal(emauth_zone_name_count(z), 0);
    expect_rcode(z, "ok.example.com", EMAUTH_DNS_A, EMAUTH_DNS_NXDOMAIN);
    emauth_zone_free(z);
}

#define O "$ORIGIN example.com.\nok A 192.0.2.1\n"   /* a good record before the bad one */

static void test_bad_inputs(void **state)
{
    (void)state;
    static const bad_case cases[] = {
        {O "www IN A 1.2.3\n", EMAUTH_ERR_SYNTAX, 3, 10,
         "t.zone:3:10: bad IPv4 address \"1.2.3\""},
        {O "www A 1.2.3.256\n", EMAUTH_ERR_SYNTAX, 3, 7,
         "t.zone:3:7: bad IPv4 address \"1.2.3.256\""},
        {O "www A 01.2.3.4\n", EMAUTH_ERR_SYNTAX, 3, 7, "t.zone:3:7: bad IPv4 address \"01.2.3.4\""},
        {O "www AAAA 2001:db8::1::2\n", EMAUTH_ERR_SYNTAX, 3, 10,
         "t.zone:3:10: bad IPv6 address \"2001:db8::1::2\""},
        {O "www CH A 192.0.2.1\n", EMAUTH_ERR_SYNTAX, 3, 5,
         "t.zone:3:5: unsupported class \"CH\" (only IN)"},
        {O "www 300 CLASS3 A 192.0.2.1\n", EMAUTH_ERR_SYNTAX, 3, 9,
         "t.zone:3:9: unsupported class \"CLASS3\" (only IN)"},
        {O "www TXT \"abc\n\"\n", EMAUTH_ERR_SYNTAX, 3, 9, "t.zone:3:9: unterminated quoted string"},
        {O "www TXT \"abc\\", EMAUTH_ERR_SYNTAX, 3, 9, "t.zone:3:9: unterminated quoted string"},
        {O "@ SOA ns hm ( 1 2 3\n 4 5\n", EMAUTH_ERR_SYNTAX, 3, 13,
         "t.zone:3:13: unbalanced parenthesis: \"(\" is never closed"},
        {O "www A 192.0.2.1 )\n", EMAUTH_ERR_SYNTAX, 3, 17,
         "t.zone:3:17: unbalanced parenthesis: \")\" without \"(\""},
        {O "www TXT ( ( \"a\" ) )\n", EMAUTH_ERR_SYNTAX, 3, 11, "t.zone:3:11: nested parenthesis"},
        {O "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa A 192.0.2.1\n",
         EMAUTH_ERR_SYNTAX, 3, 1,
         "t.zone:3:1: bad owner name \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\": "
         "label longer than 63 bytes"},
        {O "x CNAME aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com.\n",
         EMAUTH_ERR_SYNTAX, 3, 9,
         "t.zone:3:9: bad CNAME target \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\": "
         "label longer than 63 bytes"},
        {O "www.a..b. A 192.0.2.1\n", EMAUTH_ERR_SYNTAX, 3, 1,
         "t.zone:3:1: bad owner name \"www.a..b.\": empty label"},
        {"www A 192.0.2.1\n", EMAUTH_ERR_SYNTAX, 1, 1,
         "t.zone:1:1: relative name \"www\" without $ORIGIN"},
        {"ok.example.com. MX 10 mail\n", EMAUTH_ERR_SYNTAX, 1, 23,
         "t.zone:1:23: relative name \"mail\" without $ORIGIN"},
        {"@ A 192.0.2.1\n", EMAUTH_ERR_SYNTAX, 1, 1, "t.zone:1:1: \"@\" used without $ORIGIN"},
        {O "\"q\" A 192.0.2.1\n", EMAUTH_ERR_SYNTAX, 3, 1,
         "t.zone:3:1: bad owner name: a quoted string is not a name"},
        {O "w\\999 A 192.0.2.1\n", EMAUTH_ERR_SYNTAX, 3, 1,
         "t.zone:3:1: bad owner name \"w\\999\": bad \\DDD escape (over 255)"},
        {O "w TXT \"\\12\"\n", EMAUTH_ERR_SYNTAX, 3, 7,
         "t.zone:3:7: bad \\DDD escape (three decimal digits) in character-string"},
        {O "www FOO 1\n", EMAUTH_ERR_SYNTAX, 3, 5, "t.zone:3:5: unknown RR type \"FOO\""},
        {O "www\n", EMAUTH_ERR_SYNTAX, 3, 4, "t.zone:3:4: missing RR type"},
        {O "www A\n", EMAUTH_ERR_SYNTAX, 3, 6, "t.zone:3:6: missing IPv4 address"},
        {O "www A", EMAUTH_ERR_SYNTAX, 3, 6, "t.zone:3:6: missing IPv4 address"},
        {O "www TXT ; nothing\n", EMAUTH_ERR_SYNTAX, 3, 18,
         "t.zone:3:18: missing TXT character-string"},
        {O "www A 192.0.2.1 192.0.2.2\n", EMAUTH_ERR_SYNTAX, 3, 17,
         "t.zone:3:17: unexpected \"192.0.2.2\" after the record data"},
        {O "www 1x A 192.0.2.1\n", EMAUTH_ERR_SYNTAX, 3, 5, "t.zone:3:5: bad TTL \"1x\""},
        {"$TTL 2147483648\n", EMAUTH_ERR_SYNTAX, 1, 6, "t.zone:1:6: bad TTL \"2147483648\""},
        {"$TTL\n", EMAUTH_ERR_SYNTAX, 1, 5, "t.zone:1:5: missing TTL after $TTL"},
        {O "@ MX 65536 mail\n", EMAUTH_ERR_SYNTAX, 3, 6, "t.zone:3:6: bad MX preference \"65536\""},
        {O "@ SOA ns hm 1 2 3 4\n", EMAUTH_ERR_SYNTAX, 3, 20, "t.zone:3:20: missing SOA minimum"},
        {O "@ SOA ns hm x 2 3 4 5\n", EMAUTH_ERR_SYNTAX, 3, 13, "t.zone:3:13: bad SOA serial \"x\""},
        {O "  A 192.0.2.1\n$GENERATE 1-2 a$ A 192.0.2.1\n", EMAUTH_ERR_SYNTAX, 4, 1,
         "t.zone:4:1: unknown directive \"$GENERATE\""},
        {"  A 192.0.2.1\n", EMAUTH_ERR_SYNTAX, 1, 3,
         "t.zone:1:3: no owner name and no previous owner to repeat"},
        {O "$TIMEOUT\n", EMAUTH_ERR_SYNTAX, 3, 9, "t.zone:3:9: missing name after $TIMEOUT"},
        {O "$ORIGIN a. b.\n", EMAUTH_ERR_SYNTAX, 3, 12,
         "t.zone:3:12: unexpected \"b.\" after $ORIGIN"},
        {O "$INCLUDE\n", EMAUTH_ERR_SYNTAX, 3, 9, "t.zone:3:9: missing file name after $INCLUDE"},
        {O "$INCLUDE \"\"\n", EMAUTH_ERR_SYNTAX, 3, 10, "t.zone:3:10: empty $INCLUDE file name"},
        {O "x A 192.0.2.1 \\", EMAUTH_ERR_SYNTAX, 3, 15, "t.zone:3:15: backslash at the end of the input"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_bad(&cases[i]);
}

static void test_string_too_long(void **state)
{
    (void)state;
    char text[400], s256[257];
    memset(s256, 'x', 256);
    s256[256] = '\0';
    snprintf(text, sizeof text, O "t TXT \"ok\" \"%s\"\n", s256);
    bad_case c = {text, EMAUTH_ERR_SYNTAX, 3, 12,
                  "t.zone:3:12: character-string longer than 255 bytes"};
    check_bad(&c);
    /* 255 bytes written with escapes is still 255 bytes; one more is not */
    char esc[1100] = O "t TXT ";
    for (int i = 0; i < 256; i++)
        strcat(esc, "\\120");
    strcat(esc, "\n");
    c.text = esc;
    c.col = 7;
    c.message = "t.zone:3:7: character-string longer than 255 bytes";
    check_bad(&c);
}

static void test_name_too_long(void **state)
{
    (void)state;
    /* 63+1+63+1+63+1+61 = 253 bytes: fine; one more label byte is not */
    char l63[64], l61[62], ok[300], text[400];
    memset(l63, 'a', 63);
    l63[63] = '\0';
    memset(l61, 'b', 61);
    l61[61] = '\0';
    snprintf(ok, sizeof ok, "%s.%s.%s.%s", l63, l63, l63, l61);
    snprintf(text, sizeof text, "%s. A 192.0.2.1\n", ok);
    emauth_zone *z = zone_from(text);
    assert_int_equal(ask_a(z, ok), ip4(192, 0, 2, 1));
    emauth_zone_free(z);

    snprintf(text, sizeof text, "$ORIGIN %s.\nc A 192.0.2.1\n", ok);
    emauth_error err;
    z = emauth_zone_new();
    assert_int_equal(emauth_zone_load_string(z, text, strlen(text), "t.zone", NULL, &err),
                     EMAUTH_ERR_SYNTAX);
    assert_int_equal(err.line, 2);
    assert_int_equal(err.column, 1);
    assert_non_null(strstr(err.message, "t.zone:2:1: bad owner name \"c\": name longer than 253 bytes"));
    emauth_zone_free(z);
}

static void test_file_errors(void **state)
{
    (void)state;
    emauth_zone *z = emauth_zone_new();
    emauth_error err;
    char want[2 * PATH_SIZE + 200];

    const char *path = zone_path("bad_ipv4.zone");
    assert_int_equal(emauth_zone_load_file(z, path, NULL, &err), EMAUTH_ERR_SYNTAX);
    snprintf(want, sizeof want, "%s:3:17: bad IPv4 address \"1.2.3\"", path);
    assert_string_equal(err.message, want);

    path = zone_path("no-such.zone");
    assert_int_equal(emauth_zone_load_file(z, path, NULL, &err), EMAUTH_ERR_IO);
    snprintf(want, sizeof want, "cannot read %s: No such file or directory", path);
    assert_string_equal(err.message, want);

    path = zone_path("missing_include.zone");
    assert_int_equal(emauth_zone_load_file(z, path, NULL, &err), EMAUTH_ERR_IO);
    snprintf(want, sizeof want,
             "%s:3:10: cannot read $INCLUDE file \"%s\": No such file or directory", path,
             zone_path("no-such-file.inc"));
    assert_string_equal(err.message, want);

    /* an error inside an included file names that file and its line */
    assert_int_equal(emauth_zone_load_file(z, zone_path("bad_include.zone"), NULL, &err),
                     EMAUTH_ERR_SYNTAX);
    snprintf(want, sizeof want, "%s:2:11: bad IPv4 address \"192.0.2.300\"",
             zone_path("bad_include.inc"));
    assert_string_equal(err.message, want);
    assert_int_equal(err.line, 2);
    assert_int_equal(err.column, 11);

    /* a file that includes itself stops at the depth limit */
    path = zone_path("loop.zone");
    assert_int_equal(emauth_zone_load_file(z, path, NULL, &err), EMAUTH_ERR_LIMIT);
    assert_non_null(strstr(err.message, "$INCLUDE nested more than 10 deep"));
    assert_non_null(strstr(err.message, "loop.zone:4:1: "));

    /* nothing of any of these files was kept */
    assert_int_equal(emauth_zone_name_count(z), 0);
    expect_rcode(z, "kept.example.com", EMAUTH_DNS_A, EMAUTH_DNS_NXDOMAIN);
    expect_rcode(z, "outer.example.com", EMAUTH_DNS_A, EMAUTH_DNS_NXDOMAIN);
    expect_rcode(z, "x.example.com", EMAUTH_DNS_A, EMAUTH_DNS_NXDOMAIN);
    expect_rcode(z, "example.com", EMAUTH_DNS_A, EMAUTH_DNS_NXDOMAIN);
    emauth_zone_free(z);
}

static void test_failed_load_leaves_zone_unchanged(void **state)
{
    (void)state;
    emauth_zone *z = zone_from_file("main.zone");
    size_t before = emauth_zone_name_count(z);
    emauth_error err;
    const char *bad = "$ORIGIN example.com.\n"
                      "mail A 192.0.2.200\n"    /* would add a second A to an existing name */
                      "newname A 192.0.2.201\n"
                      "$TIMEOUT www\n"
                      "broken A 192.0.2\n";
    assert_int_equal(emauth_zone_load_string(z, bad, strlen(bad), NULL, NULL, &err),
                     EMAUTH_ERR_SYNTAX);
    assert_string_equal(err.message, "<string>:5:10: bad IPv4 address \"192.0.2\"");
    assert_int_equal(emauth_zone_name_count(z), before);
    assert_int_equal(ask_a(z, "mail.example.com"), ip4(192, 0, 2, 25));  /* still one A */
    expect_rcode(z, "newname.example.com", EMAUTH_DNS_A, EMAUTH_DNS_NXDOMAIN);
    assert_int_equal(ask(z, "www.example.com", EMAUTH_DNS_A).rcode, EMAUTH_DNS_OK);

    assert_int_equal(emauth_zone_load_file(z, zone_path("bad_include.zone"), NULL, &err),
                     EMAUTH_ERR_SYNTAX);
    assert_int_equal(emauth_zone_name_count(z), before);
    expect_rcode(z, "outer.example.com", EMAUTH_DNS_A, EMAUTH_DNS_NXDOMAIN);
    expect_rcode(z, "inner.example.com", EMAUTH_DNS_A, EMAUTH_DNS_NXDOMAIN);

    /* a later good load adds to the zone */
    const char *good = "extra.example.com. A 192.0.2.202\n";
    assert_int_equal(emauth_zone_load_string(z, good, strlen(good), NULL, NULL, &err), EMAUTH_OK);
    assert_int_equal(emauth_zone_name_count(z), before + 1);
    assert_int_equal(ask_a(z, "extra.example.com"), ip4(192, 0, 2, 202));
    emauth_zone_free(z);
}

static void test_unknown_types_warn(void **state)
{
    (void)state;
    warnings w = {0, ""};
    emauth_zone *z = emauth_zone_new();
    emauth_error err;
    emauth_zone_set_warn(z, collect_warning, &w);
    const char *text = "$ORIGIN example.com.\n"
                       "caa  CAA 0 issue \"ca.example.net\"\n"
                       "srv  SRV 0 5 5060 ( sip\n  )\n"
                       "gen  TYPE65280 \\# 2 abcd\n"
                       "both A 192.0.2.1\n"
                       "     HINFO \"cpu\" \"os\"\n";
    assert_int_equal(emauth_zone_load_string(z, text, strlen(text), "t.zone", NULL, &err),
                     EMAUTH_OK);
    assert_int_equal(w.count, 4);
    assert_string_equal(w.first, "t.zone:2:6: skipped a CAA record (type not supported)");
    expect_rcode(z, "caa.example.com", EMAUTH_DNS_A, EMAUTH_DNS_NODATA);
    expect_rcode(z, "srv.example.com", EMAUTH_DNS_A, EMAUTH_DNS_NODATA);
    expect_rcode(z, "gen.example.com", 65280, EMAUTH_DNS_NODATA);
    assert_int_equal(ask_a(z, "both.example.com"), ip4(192, 0, 2, 1));
    assert_int_equal(emauth_zone_name_count(z), 4);

    /* without a callback, warnings are dropped */
    emauth_zone_set_warn(z, NULL, NULL);
    const char *more = "x.example.com. CAA 0 issue \"ca\"\n";
    assert_int_equal(emauth_zone_load_string(z, more, strlen(more), NULL, NULL, &err), EMAUTH_OK);
    assert_int_equal(w.count, 4);
    emauth_zone_free(z);
}

/* ---- Answers ------------------------------------------------------------- */

static void test_nxdomain_nodata_ent(void **state)
{
    (void)state;
    emauth_zone *z = zone_from_file("main.zone");
    expect_rcode(z, "mail.example.com", EMAUTH_DNS_TXT, EMAUTH_DNS_NODATA);
    expect_rcode(z, "nothere.example.com", EMAUTH_DNS_A, EMAUTH_DNS_NXDOMAIN);
    expect_rcode(z, "x.mail.example.com", EMAUTH_DNS_A, EMAUTH_DNS_NXDOMAIN);
    /* a.b.deep.example.com has records, so b.deep and deep exist (RFC 8020) */
    assert_int_equal(ask_a(z, "a.b.deep.example.com"), ip4(192, 0, 2, 1));
    expect_rcode(z, "b.deep.example.com", EMAUTH_DNS_A, EMAUTH_DNS_NODATA);
    expect_rcode(z, "deep.example.com", EMAUTH_DNS_TXT, EMAUTH_DNS_NODATA);
    expect_rcode(z, "c.b.deep.example.com", EMAUTH_DNS_A, EMAUTH_DNS_NXDOMAIN);
    expect_rcode(z, "1.in-addr.arpa", EMAUTH_DNS_PTR, EMAUTH_DNS_NODATA);
    /* asked for an unusual type */
    expect_rcode(z, "mail.example.com", 255, EMAUTH_DNS_NODATA);
    emauth_zone_free(z);
}

static void test_cname(void **state)
{
    (void)state;
    emauth_zone *z = zone_from_file("main.zone");
    emauth_dns_answer a = ask(z, "alias.example.com", EMAUTH_DNS_A);
    assert_int_equal(a.rcode, EMAUTH_DNS_OK);
    assert_int_equal(a.count, 1);
    assert_int_equal(a.cname_count, 2);
    assert_string_equal(a.cnames[0], "www.example.com");
    assert_string_equal(a.cnames[1], "mail.example.com");
    a = ask(z, "alias.example.com", EMAUTH_DNS_TXT);        /* class of the target */
    assert_int_equal(a.rcode, EMAUTH_DNS_NODATA);
    assert_int_equal(a.cname_count, 2);
    a = ask(z, "alias.example.com", EMAUTH_DNS_CNAME);      /* CNAME itself: not followed */
    assert_int_equal(a.rcode, EMAUTH_DNS_OK);
    assert_int_equal(a.cname_count, 0);
    assert_string_equal(a.rrs[0].u.target, "www.example.com");
    emauth_zone_free(z);

    z = zone_from("$ORIGIN example.com.\n"
                  "dangling CNAME nowhere.example.org.\n"
                  "self CNAME self\n"
                  "l1 CNAME l2\nl2 CNAME l3\nl3 CNAME l1\n");
    a = ask(z, "dangling.example.com", EMAUTH_DNS_A);
    assert_int_equal(a.rcode, EMAUTH_DNS_NXDOMAIN);
    assert_int_equal(a.cname_count, 1);
    assert_string_equal(a.cnames[0], "nowhere.example.org");
    a = ask(z, "self.example.com", EMAUTH_DNS_A);
    assert_int_equal(a.rcode, EMAUTH_DNS_SERVFAIL);
    assert_string_equal(a.why, "CNAME loop");
    a = ask(z, "L1.example.com.", EMAUTH_DNS_TXT);
    assert_int_equal(a.rcode, EMAUTH_DNS_SERVFAIL);
    assert_string_equal(a.why, "CNAME loop");
    assert_int_equal(a.cname_count, 3);
    emauth_zone_free(z);
}

static void test_cname_chain_limit(void **state)
{
    (void)state;
    /* c0 -> c1 -> ... -> c17, and c17 has the A record */
    char text[2048] = "$ORIGIN example.com.\n";
    for (int i = 0; i < 17; i++) {
        char line[64];
        snprintf(line, sizeof line, "c%d CNAME c%d\n", i, i + 1);
        strcat(text, line);
    }
    strcat(text, "c17 A 192.0.2.17\n");
    emauth_zone *z = zone_from(text);
    emauth_dns_answer a = ask(z, "c1.example.com", EMAUTH_DNS_A);  /* 16 hops: fine */
    assert_int_equal(a.rcode, EMAUTH_DNS_OK);
    assert_int_equal(a.cname_count, 16);
    assert_string_equal(a.cnames[15], "c17.example.com");
    a = ask(z, "c0.example.com", EMAUTH_DNS_A);                    /* 17: too many */
    assert_int_equal(a.rcode, EMAUTH_DNS_SERVFAIL);
    assert_non_null(a.why);
    assert_non_null(strstr(a.why, "CNAME"));
    emauth_zone_free(z);
}

static void test_timeout(void **state)
{
    (void)state;
    emauth_zone *z = zone_from("$ORIGIN example.com.\n"
                               "$TIMEOUT slow\n"
                               "slow TXT \"answered\"\n"
                               "$TIMEOUT slowalias\n"
                               "slowalias CNAME mail\n"
                               "mail A 192.0.2.25\n"
                               "$TIMEOUT gone.example.com.\n"
                               "toslow CNAME slow\n"
                               "togone CNAME gone\n");
    expect_txt(z, "slow.example.com", "answered", 8, 1);
    emauth_dns_answer a = ask(z, "slow.example.com", EMAUTH_DNS_A);
    assert_int_equal(a.rcode, EMAUTH_DNS_TIMEOUT);
    assert_non_null(a.why);
    expect_rcode(z, "slow.example.com", EMAUTH_DNS_CNAME, EMAUTH_DNS_TIMEOUT);
    /* a CNAME answers every type, by the chain */
    assert_int_equal(ask_a(z, "slowalias.example.com"), ip4(192, 0, 2, 25));
    expect_rcode(z, "slowalias.example.com", EMAUTH_DNS_TXT, EMAUTH_DNS_NODATA);
    expect_rcode(z, "slowalias.example.com", EMAUTH_DNS_CNAME, EMAUTH_DNS_OK);
    /* a name with no records times out for everything */
    expect_rcode(z, "GONE.example.com", EMAUTH_DNS_A, EMAUTH_DNS_TIMEOUT);
    expect_rcode(z, "gone.example.com", EMAUTH_DNS_TXT, EMAUTH_DNS_TIMEOUT);
    expect_rcode(z, "sub.gone.example.com", EMAUTH_DNS_TXT, EMAUTH_DNS_NXDOMAIN);
    /* reached through a CNAME */
    a = ask(z, "toslow.example.com", EMAUTH_DNS_A);
    assert_int_equal(a.rcode, EMAUTH_DNS_TIMEOUT);
    assert_int_equal(a.cname_count, 1);
    assert_string_equal(a.cnames[0], "slow.example.com");
    expect_txt(z, "toslow.example.com", "answered", 8, 1);
    expect_rcode(z, "togone.example.com", EMAUTH_DNS_MX, EMAUTH_DNS_TIMEOUT);
    assert_int_equal(emauth_zone_name_count(z), 6);
    emauth_zone_free(z);

    /* $TIMEOUT does not become the owner of the lines that follow */
    z = zone_from("$ORIGIN example.com.\n"
                  "own A 192.0.2.1\n"
                  "$TIMEOUT t\n"
                  "    TXT \"own\"\n");
    expect_txt(z, "own.example.com", "own", 3, 1);
    expect_rcode(z, "t.example.com", EMAUTH_DNS_TXT, EMAUTH_DNS_TIMEOUT);
    emauth_zone_free(z);
}

static void test_include_variants(void **state)
{
    (void)state;
    /* a quoted absolute file name, no origin argument: the current origin goes on */
    char text[1024];
    snprintf(text, sizeof text,
             "$ORIGIN example.com.\n"
             "$INCLUDE \"%s\" ; comment\n"
             "after A 192.0.2.99\n",
             zone_path("sub.inc"));
    emauth_zone *z = zone_from(text);
    assert_int_equal(ask_a(z, "example.com"), ip4(192, 0, 2, 80));
    assert_int_equal(ask_a(z, "www.example.com"), ip4(192, 0, 2, 81));
    assert_int_equal(ask_a(z, "x.inner.sub.example.com"), ip4(192, 0, 2, 82));
    assert_int_equal(ask_a(z, "after.example.com"), ip4(192, 0, 2, 99));  /* origin restored */
    emauth_zone_free(z);

    /* included without any origin, relative names in it are errors there */
    snprintf(text, sizeof text, "$INCLUDE %s\n", zone_path("sub.inc"));
    z = emauth_zone_new();
    emauth_error err;
    assert_int_equal(emauth_zone_load_string(z, text, strlen(text), NULL, NULL, &err),
                     EMAUTH_ERR_SYNTAX);
    char want[PATH_SIZE + 100];
    snprintf(want, sizeof want, "%s:2:1: \"@\" used without $ORIGIN", zone_path("sub.inc"));
    assert_string_equal(err.message, want);
    emauth_zone_free(z);
}

static void test_query_names(void **state)
{
    (void)state;
    emauth_zone *z = zone_from_file("main.zone");
    assert_int_equal(ask_a(z, "MAIL.Example.COM"), ip4(192, 0, 2, 25));
    assert_int_equal(ask_a(z, "mail.example.com."), ip4(192, 0, 2, 25));
    assert_int_equal(ask_a(z, "Mail.EXAMPLE.com."), ip4(192, 0, 2, 25));
    assert_int_equal(ask_a(z, "m\\097il.example.com"), ip4(192, 0, 2, 25));

    static const char *const bad[] = {"a..b", "mail..example.com", ".example.com",
                                      "example.com..", "..", "x\\", "x\\25"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        emauth_dns_answer a = ask(z, bad[i], EMAUTH_DNS_A);
        if (a.rcode != EMAUTH_DNS_SERVFAIL || a.why == NULL)
            fail_msg("\"%s\" answered %s", bad[i], emauth_dns_rcode_name(a.rcode));
    }

    char name[600];
    memset(name, 'a', 64);
    strcpy(name + 64, ".example.com");
    emauth_dns_answer a = ask(z, name, EMAUTH_DNS_A);
    assert_int_equal(a.rcode, EMAUTH_DNS_SERVFAIL);
    assert_string_equal(a.why, "label longer than 63 bytes");
    memmove(name + 3, name, strlen(name) + 1);          /* the same through the slow path */
    memcpy(name, "\\097", 4);                          /* 64 bytes: \097 and 63 a */
    a = ask(z, name, EMAUTH_DNS_A);
    assert_string_equal(a.why, "label longer than 63 bytes");

    /* 253 bytes is a name; 254 is not; a huge string is refused early */
    for (int i = 0; i < 4; i++)
        memcpy(name + i * 64, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.", 64);
    name[253] = '\0';
    expect_rcode(z, name, EMAUTH_DNS_A, EMAUTH_DNS_NXDOMAIN);
    name[253] = '.';                                    /* trailing dot: still 253 */
    name[254] = '\0';
    expect_rcode(z, name, EMAUTH_DNS_A, EMAUTH_DNS_NXDOMAIN);
    name[253] = 'a';
    a = ask(z, name, EMAUTH_DNS_A);
    assert_int_equal(a.rcode, EMAUTH_DNS_SERVFAIL);
    assert_string_equal(a.why, "name longer than 253 bytes");
    char *huge = malloc(1 << 20);
    assert_non_null(huge);
    memset(huge, 'a', (1 << 20) - 1);
    huge[(1 << 20) - 1] = '\0';
    huge[5] = '\\';
    expect_rcode(z, huge, EMAUTH_DNS_A, EMAUTH_DNS_SERVFAIL);
    huge[5] = 'a';
    for (int i = 60; i < (1 << 20) - 1; i += 60)
        huge[i] = '.';
    expect_rcode(z, huge, EMAUTH_DNS_A, EMAUTH_DNS_SERVFAIL);
    free(huge);

    /* the root is a name like others; it has no records here */
    expect_rcode(z, ".", EMAUTH_DNS_A, EMAUTH_DNS_NXDOMAIN);
    expect_rcode(z, "", EMAUTH_DNS_A, EMAUTH_DNS_NXDOMAIN);

    emauth_dns_question q = {NULL, EMAUTH_DNS_A};
    assert_int_equal(emauth_zone_query(z, &q, &a), EMAUTH_ERR_INVALID);
    emauth_zone_free(z);
}

static void test_wildcards(void **state)
{
    (void)state;
    emauth_zone *z = zone_from("$ORIGIN example.com.\n"
                               "*.wild   TXT \"w\"\n"
                               "exist.wild A 192.0.2.1\n"
                               "*.cn     CNAME target\n"
                               "target   A 192.0.2.2\n");
    expect_txt(z, "x.wild.example.com", "w", 1, 1);
    expect_txt(z, "a.b.WILD.example.com.", "w", 1, 1);
    expect_rcode(z, "x.wild.example.com", EMAUTH_DNS_A, EMAUTH_DNS_NODATA);
    expect_rcode(z, "wild.example.com", EMAUTH_DNS_TXT, EMAUTH_DNS_NODATA);
    expect_rcode(z, "exist.wild.example.com", EMAUTH_DNS_TXT, EMAUTH_DNS_NODATA);
    expect_rcode(z, "sub.exist.wild.example.com", EMAUTH_DNS_TXT, EMAUTH_DNS_NXDOMAIN);
    expect_rcode(z, "other.example.com", EMAUTH_DNS_TXT, EMAUTH_DNS_NXDOMAIN);
    emauth_dns_answer a = ask(z, "anything.cn.example.com", EMAUTH_DNS_A);
    assert_int_equal(a.rcode, EMAUTH_DNS_OK);
    assert_int_equal(a.cname_count, 1);
    assert_string_equal(a.cnames[0], "target.example.com");
    emauth_zone_free(z);
}

/* ---- Building zones in code ---------------------------------------------- */

static void test_add(void **state)
{
    (void)state;
    emauth_zone *z = emauth_zone_new();
    emauth_error err;
    emauth_dns_rr rr;

    static const char data[] = "v=spf1 \r\n\0 \xc3\xa9";
    char buf[sizeof data];
    memcpy(buf, data, sizeof data);
    memset(&rr, 0, sizeof rr);
    rr.type = EMAUTH_DNS_TXT;
    rr.ttl = 60;
    rr.u.txt.data = buf;
    rr.u.txt.len = sizeof data - 1;
    rr.u.txt.nstrings = 2;
    assert_int_equal(emauth_zone_add(z, "Mixed.Example.COM.", &rr, &err), EMAUTH_OK);
    memset(buf, 0, sizeof buf);                         /* the zone has its own copy */
    emauth_dns_answer a = ask(z, "mixed.example.com", EMAUTH_DNS_TXT);
    assert_int_equal(a.count, 1);
    assert_int_equal(a.rrs[0].ttl, 60);
    assert_int_equal(a.rrs[0].u.txt.len, sizeof data - 1);
    assert_memory_equal(a.rrs[0].u.txt.data, data, sizeof data - 1);
    assert_int_equal(a.rrs[0].u.txt.nstrings, 2);

    rr.u.txt.data = NULL;                               /* an empty TXT: no strings */
    rr.u.txt.len = 0;
    rr.u.txt.nstrings = 0;
    assert_int_equal(emauth_zone_add(z, "mixed.example.com", &rr, &err), EMAUTH_OK);
    a = ask(z, "MIXED.example.com.", EMAUTH_DNS_TXT);
    assert_int_equal(a.count, 2);
    assert_int_equal(a.rrs[1].u.txt.len, 0);
    assert_string_equal(a.rrs[1].u.txt.data, "");

    memset(&rr, 0, sizeof rr);
    rr.type = EMAUTH_DNS_CNAME;
    rr.u.target = "Mixed.EXAMPLE.com.";
    assert_int_equal(emauth_zone_add(z, "alias.example.com", &rr, &err), EMAUTH_OK);
    a = ask(z, "alias.example.com", EMAUTH_DNS_TXT);
    assert_int_equal(a.rcode, EMAUTH_DNS_OK);
    assert_string_equal(a.cnames[0], "mixed.example.com");

    memset(&rr, 0, sizeof rr);
    rr.type = EMAUTH_DNS_MX;
    rr.u.mx.exchange = ".";
    assert_int_equal(emauth_zone_add(z, "mixed.example.com", &rr, &err), EMAUTH_OK);
    rr.u.mx.preference = 5;
    rr.u.mx.exchange = "";
    assert_int_equal(emauth_zone_add(z, "mixed.example.com", &rr, &err), EMAUTH_OK);
    a = ask(z, "mixed.example.com", EMAUTH_DNS_MX);
    assert_int_equal(a.count, 2);
    assert_string_equal(a.rrs[0].u.mx.exchange, "");
    assert_string_equal(a.rrs[1].u.mx.exchange, "");

    memset(&rr, 0, sizeof rr);
    rr.type = EMAUTH_DNS_A;
    rr.u.a[0] = 192, rr.u.a[3] = 1;
    assert_int_equal(emauth_zone_add(z, "a..b", &rr, &err), EMAUTH_ERR_SYNTAX);
    assert_string_equal(err.message, "bad owner name \"a..b\": empty label");
    assert_int_equal(emauth_zone_add(z, NULL, &rr, &err), EMAUTH_ERR_SYNTAX);
    rr.type = 257;
    assert_int_equal(emauth_zone_add(z, "x.example.com", &rr, &err), EMAUTH_ERR_INVALID);
    rr.type = EMAUTH_DNS_PTR;
    rr.u.target = "bad..target";
    assert_int_equal(emauth_zone_add(z, "x.example.com", &rr, &err), EMAUTH_ERR_SYNTAX);
    assert_string_equal(err.message, "bad target \"bad..target\": empty label");
    expect_rcode(z, "x.example.com", EMAUTH_DNS_A, EMAUTH_DNS_NXDOMAIN);

    assert_int_equal(emauth_zone_add_timeout(z, "Slow.Example.COM.", &err), EMAUTH_OK);
    expect_rcode(z, "slow.example.com", EMAUTH_DNS_TXT, EMAUTH_DNS_TIMEOUT);
    expect_rcode(z, "example.com", EMAUTH_DNS_TXT, EMAUTH_DNS_NODATA);
    assert_int_equal(emauth_zone_name_count(z), 3);
    emauth_zone_free(z);
}

static void test_resolver(void **state)
{
    (void)state;
    emauth_zone *z = zone_from_file("main.zone");
    emauth_resolver *r = emauth_zone_resolver(z);
    assert_non_null(r);
    assert_null(r->destroy);
    assert_ptr_equal(emauth_zone_resolver(z), r);
    emauth_dns_question q = {"Mail.Example.Com.", EMAUTH_DNS_A};
    emauth_dns_answer a;
    assert_int_equal(r->query(r, &q, &a), EMAUTH_OK);
    assert_int_equal(a.rcode, EMAUTH_DNS_OK);
    assert_int_equal(a.count, 1);
    assert_int_equal(a.rrs[0].u.a[3], 25);
    emauth_zone_free(z);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_foreach_name),
        cmocka_unit_test(test_type_and_rcode_names),
        cmocka_unit_test(test_file_types),
        cmocka_unit_test(test_file_directives),
        cmocka_unit_test(test_crlf_file),
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_parentheses_and_comments),
        cmocka_unit_test(test_ttl_and_class_order),
        cmocka_unit_test(test_origins),
        cmocka_unit_test(test_string_limit_exact),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_string_too_long),
        cmocka_unit_test(test_name_too_long),
        cmocka_unit_test(test_file_errors),
        cmocka_unit_test(test_failed_load_leaves_zone_unchanged),
        cmocka_unit_test(test_unknown_types_warn),
        cmocka_unit_test(test_nxdomain_nodata_ent),
        cmocka_unit_test(test_cname),
        cmocka_unit_test(test_cname_chain_limit),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_include_variants),
        cmocka_unit_test(test_query_names),
        cmocka_unit_test(test_wildcards),
        cmocka_unit_test(test_add),
        cmocka_unit_test(test_resolver),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
