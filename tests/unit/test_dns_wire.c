/*
 * DNS response parsing (src/dns/wire.c) on hand-built messages: answer
 * classes, CNAME chains, negative TTLs from the SOA, and malformed input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "dns/wire.h"

typedef struct msg {
    unsigned char b[4096];
    size_t len;
} msg;

static void put8(msg *m, unsigned v) { m->b[m->len++] = (unsigned char)v; }
static void put16(msg *m, unsigned v) { put8(m, v >> 8); put8(m, v & 0xff); }
static void put32(msg *m, uint32_t v) { put16(m, v >> 16); put16(m, v & 0xffff); }

static void put_name(msg *m, const char *name)
{
    while (*name) {
        const char *dot = strchr(name, '.');
        size_t n = dot ? (size_t)(dot - name) : strlen(name);
        put8(m, (unsigned)n);
        memcpy(m->b + m->len, name, n);
        m->len += n;
        name += n + (dot != NULL);
    }
    put8(m, 0);
}

static void header(msg *m, unsigned rcode, unsigned an, unsigned ns)
{
    m->len = 0;
    put16(m, 0x1234);
    put16(m, 0x8180 | rcode);
    put16(m, 1);
    put16(m, an);
    put16(m, ns);
    put16(m, 0);
}

static void question(msg *m, const char *name, unsigned type)
{
    put_name(m, name);
    put16(m, type);
    put16(m, 1);
}

/* Starts an RR; returns where RDLENGTH goes, to be patched by rr_end(). */
static size_t rr_begin(msg *m, const char *owner, unsigned type, uint32_t ttl)
{
    put_name(m, owner);
    put16(m, type);
    put16(m, 1);
    put32(m, ttl);
    put16(m, 0);
    return m->len;
}

static void rr_end(msg *m, size_t start)
{
    size_t n = m->len - start;
    m->b[start - 2] = (unsigned char)(n >> 8);
    m->b[start - 1] = (unsigned char)n;
}

static void rr_a(msg *m, const char *owner, uint32_t ttl, const unsigned char ip[4])
{
    size_t s = rr_begin(m, owner, 1, ttl);
    memcpy(m->b + m->len, ip, 4);
    m->len += 4;
    rr_end(m, s);
}

static void rr_name(msg *m, const char *owner, unsigned type, uint32_t ttl, const char *target)
{
    size_t s = rr_begin(m, owner, type, ttl);
    put_name(m, target);
    rr_end(m, s);
}

static void rr_soa(msg *m, const char *owner, uint32_t ttl, uint32_t minimum)
{
    size_t s = rr_begin(m, owner, 6, ttl);
    put_name(m, "ns.example.com");
    put_name(m, "hostmaster.example.com");
    put32(m, 1);
    put32(m, 3600);
    put32(m, 600);
    put32(m, 86400);
    put32(m, minimum);
    rr_end(m, s);
}

typedef struct parsed {
    ea_arena arena;
    emauth_dns_answer a;
    uint32_t ttl;
} parsed;

static void parse(const msg *m, const char *qname, uint16_t qtype, parsed *p)
{
    emauth_dns_question q = {qname, qtype};
    ea_arena_init(&p->arena);
    assert_int_equal(ea_wire_parse(m->b, m->len, &q, &p->arena, &p->a, &p->ttl), EMAUTH_OK);
}

static void test_a_answer(void **state)
{
    (void)state;
    static const unsigned char ip1[4] = {192, 0, 2, 1}, ip2[4] = {192, 0, 2, 2};
    msg m;
    header(&m, 0, 2, 0);
    question(&m, "www.example.com", 1);
    rr_a(&m, "www.example.com", 300, ip1);
    rr_a(&m, "WWW.Example.COM", 120, ip2);
    parsed p;
    parse(&m, "www.EXAMPLE.com.", 1, &p);
    assert_int_equal(p.a.rcode, EMAUTH_DNS_OK);
    assert_int_equal(p.a.count, 2);
    assert_memory_equal(p.a.rrs[1].u.a, ip2, 4);
    assert_int_equal(p.ttl, 120);          /* the smallest TTL */
    assert_int_equal(p.a.cname_count, 0);
    ea_arena_free(&p.arena);
}

static void test_cname_chain_and_txt(void **state)
{
    (void)state;
    msg m;
    header(&m, 0, 3, 0);
    question(&m, "a.example.com", 16);
    rr_name(&m, "a.example.com", 5, 600, "b.example.net");
    rr_name(&m, "b.example.net", 5, 600, "c.example.org");
    size_t s = rr_begin(&m, "c.example.org", 16, 60);
    put8(&m, 6);
    memcpy(m.b + m.len, "v=spf1", 6);
    m.len += 6;
    put8(&m, 5);
    memcpy(m.b + m.len, " -all", 5);
    m.len += 5;
    put8(&m, 0);   /* an empty third string */
    rr_end(&m, s);
    parsed p;
    parse(&m, "a.example.com", 16, &p);
    assert_int_equal(p.a.rcode, EMAUTH_DNS_OK);
    assert_int_equal(p.a.cname_count, 2);
    assert_string_equal(p.a.cnames[1], "c.example.org");
    assert_int_equal(p.a.count, 1);
    assert_int_equal(p.a.rrs[0].u.txt.len, 11);
    assert_memory_equal(p.a.rrs[0].u.txt.data, "v=spf1 -all", 11);
    assert_int_equal(p.a.rrs[0].u.txt.nstrings, 3);
    assert_int_equal(p.ttl, 60);
    ea_arena_free(&p.arena);
}

static void test_negative_answers(void **state)
{
    (void)state;
    msg m;
    header(&m, 3, 0, 1);
    question(&m, "nope.example.com", 16);
    rr_soa(&m, "example.com", 900, 300);
    parsed p;
    parse(&m, "nope.example.com", 16, &p);
    assert_int_equal(p.a.rcode, EMAUTH_DNS_NXDOMAIN);
    assert_int_equal(p.ttl, 300);   /* min(SOA TTL, MINIMUM) */
    ea_arena_free(&p.arena);

    header(&m, 0, 0, 1);
    question(&m, "example.com", 15);
    rr_soa(&m, "example.com", 60, 300);
    parse(&m, "example.com", 15, &p);
    assert_int_equal(p.a.rcode, EMAUTH_DNS_NODATA);
    assert_int_equal(p.ttl, 60);
    ea_arena_free(&p.arena);

    /* NODATA without an SOA is not cacheable */
    header(&m, 0, 0, 0);
    question(&m, "example.com", 15);
    parse(&m, "example.com", 15, &p);
    assert_int_equal(p.a.rcode, EMAUTH_DNS_NODATA);
    assert_int_equal(p.ttl, 0);
    ea_arena_free(&p.arena);
}

/* Found by fuzz_dns_wire: NXDOMAIN with records of the asked type in the
 * answer section came back as NXDOMAIN with count 2. */
static void test_nxdomain_with_records(void **state)
{
    (void)state;
    static const unsigned char ip[4] = {192, 0, 2, 1};
    msg m;
    header(&m, 3, 2, 0);
    question(&m, "example.com", 1);
    rr_a(&m, "example.com", 300, ip);
    rr_a(&m, "example.com", 60, ip);
    parsed p;
    parse(&m, "example.com", 1, &p);
    assert_int_equal(p.a.rcode, EMAUTH_DNS_NXDOMAIN);
    assert_int_equal(p.a.count, 0);
    assert_int_equal(p.ttl, 0);            /* no SOA: not cacheable */
    ea_arena_free(&p.arena);
}

static void test_error_rcodes(void **state)
{
    (void)state;
    static const struct { unsigned rcode; const char *why; } cases[] = {
        {2, "SERVFAIL"}, {5, "REFUSED"}, {4, "unexpected response code"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        msg m;
        header(&m, cases[i].rcode, 0, 0);
        question(&m, "example.com", 16);
        parsed p;
        parse(&m, "example.com", 16, &p);
        assert_int_equal(p.a.rcode, EMAUTH_DNS_SERVFAIL);
        assert_string_equal(p.a.why, cases[i].why);
        ea_arena_free(&p.arena);
    }
}

static void test_mx_and_ptr(void **state)
{
    (void)state;
    msg m;
    header(&m, 0, 2, 0);
    question(&m, "example.com", 15);
    size_t s = rr_begin(&m, "example.com", 15, 300);
    put16(&m, 10);
    put_name(&m, "Mail.Example.com");
    rr_end(&m, s);
    s = rr_begin(&m, "example.com", 15, 300);
    put16(&m, 0);
    put_name(&m, "");   /* null MX: "." */
    rr_end(&m, s);
    parsed p;
    parse(&m, "example.com", 15, &p);
    assert_int_equal(p.a.count, 2);
    assert_int_equal(p.a.rrs[0].u.mx.preference, 10);
    assert_string_equal(p.a.rrs[0].u.mx.exchange, "mail.example.com");
    assert_string_equal(p.a.rrs[1].u.mx.exchange, "");
    ea_arena_free(&p.arena);
}

/* Each malformed message is a SERVFAIL answer, never a crash or a partial answer. */
static void test_malformed(void **state)
{
    (void)state;
    static const unsigned char ip[4] = {192, 0, 2, 1};
    msg good;
    header(&good, 0, 1, 0);
    question(&good, "x.example.com", 1);
    rr_a(&good, "x.example.com", 300, ip);
    /* every truncation of a good message */
    for (size_t cut = 0; cut < good.len; cut++) {
        msg m = good;
        m.len = cut;
        parsed p;
        parse(&m, "x.example.com", 1, &p);
        assert_true(p.a.rcode == EMAUTH_DNS_SERVFAIL || p.a.rcode == EMAUTH_DNS_NODATA);
        assert_int_equal(p.a.count, 0);
        ea_arena_free(&p.arena);
    }
    /* a compression pointer that points at itself */
    msg loop;
    header(&loop, 0, 1, 0);
    question(&loop, "x.example.com", 1);
    size_t at = loop.len;
    put16(&loop, 0xc000 | (unsigned)at);
    put16(&loop, 1);
    put16(&loop, 1);
    put32(&loop, 300);
    put16(&loop, 4);
    memcpy(loop.b + loop.len, ip, 4);
    loop.len += 4;
    parsed p;
    parse(&loop, "x.example.com", 1, &p);
    assert_int_equal(p.a.rcode, EMAUTH_DNS_SERVFAIL);
    ea_arena_free(&p.arena);
    /* an A record with 3 bytes of data */
    msg shortrr;
    header(&shortrr, 0, 1, 0);
    question(&shortrr, "x.example.com", 1);
    size_t s = rr_begin(&shortrr, "x.example.com", 1, 300);
    put8(&shortrr, 1);
    put8(&shortrr, 2);
    put8(&shortrr, 3);
    rr_end(&shortrr, s);
    parse(&shortrr, "x.example.com", 1, &p);
    assert_int_equal(p.a.rcode, EMAUTH_DNS_SERVFAIL);
    ea_arena_free(&p.arena);
    /* a TXT string longer than its record */
    msg txt;
    header(&txt, 0, 1, 0);
    question(&txt, "x.example.com", 16);
    s = rr_begin(&txt, "x.example.com", 16, 300);
    put8(&txt, 200);
    put8(&txt, 'a');
    rr_end(&txt, s);
    parse(&txt, "x.example.com", 16, &p);
    assert_int_equal(p.a.rcode, EMAUTH_DNS_SERVFAIL);
    ea_arena_free(&p.arena);
}

static void test_cname_loop(void **state)
{
    (void)state;
    msg m;
    header(&m, 0, 2, 0);
    question(&m, "a.example.com", 1);
    rr_name(&m, "a.example.com", 5, 60, "b.example.com");
    rr_name(&m, "b.example.com", 5, 60, "a.example.com");
    parsed p;
    parse(&m, "a.example.com", 1, &p);
    assert_int_equal(p.a.rcode, EMAUTH_DNS_SERVFAIL);
    assert_non_null(strstr(p.a.why, "CNAME"));
    ea_arena_free(&p.arena);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_answer),        cmocka_unit_test(test_cname_chain_and_txt),
        cmocka_unit_test(test_negative_answers), cmocka_unit_test(test_error_rcodes),
        cmocka_unit_test(test_mx_and_ptr),      cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_cname_loop),      cmocka_unit_test(test_nxdomain_with_records),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
