/*
 * Hostile DNS: answers built to hurt a verifier (huge RRsets, long and
 * looping CNAME chains, include/redirect loops, names at and over the
 * length limits, NUL and non-ASCII bytes in records), asked through the
 * zone resolver and through NSD on 127.0.0.1 with the c-ares resolver.
 *
 * Every case asserts its verdict, the DNS questions the core asked (exact
 * or bounded), that each question was a legal name, a wall-clock bound
 * that only catches hangs, and a memory bound (VmHWM growth; skipped
 * under valgrind and ASan, whose allocators distort RSS).
 *
 * The zones are generated here at run time; nothing big is committed.
 * Regression tests for bugs found here: 3001 A records (wire.c dropped
 * records past 1024), MX hosts with a NUL byte (c-ares 1.18 cannot encode
 * \DDD) and with ; ( @ $ (escaped differently in answers), and the cache
 * of huge answers (bounded by entries only).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

#include <emauth/async.h>
#include <emauth/dkim.h>
#include <emauth/dmarc.h>
#include <emauth/dns.h>
#include <emauth/message.h>
#include <emauth/spf.h>
#include "nsd.h"
#include "spf/macro.h"   /* EA_MACRO_EXP_MAX */

/* A hang shows as minutes; the slowest cases (a silent server: 200 + 400 ms;
 * 100 TCP answers of 48 KB) take about 2 s under valgrind. */
#define TIME_BOUND_S 5.0
/* The largest legitimate use is a 64 KiB DNS message parsed into records
 * (a few hundred KiB), or the async engine's cache of every answer here
 * (under 3 MiB measured); 16 MiB of growth means something is unbounded. */
#define MEM_BOUND_KB (16L * 1024)

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

/* ---- long names, built once ------------------------------------------------------------------ */

/* 3 x 63 + N + 4 dots + "test": 253 with N = 56, 254, 255. */
static char name253[300], name254[300], name255[300], label64[80], mac252[300];
static char from253[320], from254[320], from255[320], from64[100];
static char local60[64], local64[70], from_mac[120], from_mac64[120];
static char dmarc253[300], dmarc255[310];

static void fill_run(char *p, char c, size_t n)
{
    memset(p, c, n);
    p[n] = '\0';
}

static void make_name(char *out, size_t last)
{
    char a[64], b[64], c[64], d[64];
    fill_run(a, 'a', 63);
    fill_run(b, 'b', 63);
    fill_run(c, 'c', 63);
    fill_run(d, 'd', last);
    sprintf(out, "%s.%s.%s.%s.test", a, b, c, d);
}

static void make_names(void)
{
    make_name(name253, 56);
    make_name(name254, 57);
    make_name(name255, 58);
    fill_run(label64, 'e', 64);
    strcat(label64, ".test");
    sprintf(from253, "u@%s", name253);
    sprintf(from254, "u@%s", name254);
    sprintf(from255, "u@%s", name255);
    sprintf(from64, "u@%s", label64);
    fill_run(local60, 'f', 60);
    fill_run(local64, 'g', 64);
    /* exists:%{l}.%{l}.%{l}.%{l}.%{l}.mac.test is 5 x 61 + 8 = 313 bytes:
     * §7.3 drops the leftmost label, leaving 4 x 61 + 8 = 252. */
    sprintf(mac252, "%s.%s.%s.%s.mac.test", local60, local60, local60, local60);
    sprintf(from_mac, "%s@mac.test", local60);
    sprintf(from_mac64, "%s@mac1.test", local64);
    /* 122 x "x." + "org.test" = 244 + 8 = 252 bytes, 124 labels. */
    size_t n = 0;
    for (int i = 0; i < 122; i++)
        n += (size_t)sprintf(dmarc253 + n, "x.");
    strcpy(dmarc253 + n, "org.test");
    sprintf(dmarc255, "yy.%s", dmarc253);
}

/* ---- zone text ------------------------------------------------------------------------------- */

/* owner TXT with data[0..len) cut into character-strings of chunk bytes. */
static void txt(FILE *f, const char *owner, const char *data, size_t len, size_t chunk)
{
    fprintf(f, "%s TXT", owner);
    for (size_t off = 0; off < len || off == 0; off += chunk) {
        fputs(" \"", f);
        for (size_t i = off; i < len && i < off + chunk; i++) {
            unsigned char c = (unsigned char)data[i];
            if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
                fprintf(f, "\\%03u", c);
            else
                fputc(c, f);
        }
        fputc('"', f);
        if (len == 0)
            break;
    }
    fputc('\n', f);
}

static void txts(FILE *f, const char *owner, const char *s)
{
    txt(f, owner, s, strlen(s), 255);
}

static struct {
    char *dkim_p;            /* p= of the test key */
    emauth_dkim_key *key;
    char *zone_text, *rev_text;
    emauth_zone *zone;
    test_nsd nsd;
    int nsd_up;
    emauth_resolver *live;   /* c-ares to NSD, no cache: each question is a query */
} fx;

static void spf_zone(FILE *f)
{
    char buf[8192];
    size_t n;

    /* ~2 KB record in 7-byte strings (~280 of them): over EDNS's 1232, so TCP. */
    n = (size_t)sprintf(buf, "v=spf1");
    for (int i = 0; i < 150; i++)
        n += (size_t)sprintf(buf + n, " ip4:10.0.%d.1", i);
    n += (size_t)sprintf(buf + n, " ip4:192.0.2.1 -all");
    txt(f, "strings300", buf, n, 7);
    /* Over 4096 bytes: refused by max_record_len whatever it holds. */
    n = (size_t)sprintf(buf, "v=spf1");
    while (n < 5000)
        n += (size_t)sprintf(buf + n, " ip4:10.1.%zu.1", n % 250);
    n += (size_t)sprintf(buf + n, " ip4:192.0.2.1 -all");
    txt(f, "big4k", buf, n, 250);
    /* 600 bytes: over classic UDP's 512, within EDNS. */
    n = (size_t)sprintf(buf, "v=spf1");
    while (n < 580)
        n += (size_t)sprintf(buf + n, " ip4:10.2.%zu.1", n % 250);
    n += (size_t)sprintf(buf + n, " ip4:192.0.2.1 -all");
    txt(f, "mid600", buf, n, 100);

    /* Hundreds of TXT records at one name, one of them SPF (or two). */
    for (int i = 0; i < 300; i++) {
        sprintf(buf, "junk record %d for the hostile test", i);
        txts(f, "manyrec", buf);
        txts(f, "tworec", buf);
    }
    txts(f, "manyrec", "v=spf1 ip4:192.0.2.1 -all");
    txts(f, "tworec", "v=spf1 ip4:192.0.2.1 -all");
    txts(f, "tworec", "v=spf1 -all");

    /* Thousands of addresses at one name; the client's is the last one.
     * 3001 A x 16 bytes and 2001 AAAA x 28 bytes both fit a 64 KiB TCP message. */
    for (int i = 0; i < 3000; i++)
        fprintf(f, "many A 10.%d.%d.%d\n", i / 250 / 250, i / 250 % 250, i % 250 + 1);
    fputs("many A 192.0.2.1\n", f);
    for (int i = 0; i < 2000; i++)
        fprintf(f, "many AAAA 2001:db8:1::%x\n", i + 1);
    fputs("many AAAA 2001:db8::1\n", f);
    txts(f, "biga", "v=spf1 a:many.test -all");
    /* A wildcard with 3000 addresses: every name under it is a 48 KB answer. */
    for (int i = 0; i < 3000; i++)
        fprintf(f, "*.wild A 10.%d.%d.%d\n", 100 + i / 250 / 250, i / 250 % 250, i % 250 + 1);
    txts(f, "wm", "v=spf1 exists:%{l}.wild.test -all");
    fputs("mxbig MX 10 many\n", f);
    txts(f, "mxbig", "v=spf1 mx -all");

    /* MX sets: 10 (the limit), 11 and 200 (permerror, §4.6.4). */
    for (int i = 0; i < 200; i++) {
        if (i < 10)
            fprintf(f, "mx10 MX %d m%d.hosts\n", i, i);
        if (i < 11)
            fprintf(f, "mx11 MX %d m%d.hosts\n", i, i);
        fprintf(f, "mx200 MX %d m%d.hosts\n", i, i);
        fprintf(f, "m%d.hosts A 10.9.%d.%d\n", i, i / 250, i % 250 + 1);
    }
    txts(f, "mx10", "v=spf1 mx -all");
    txts(f, "mx11", "v=spf1 mx -all");
    txts(f, "mx200", "v=spf1 mx -all");
    /* Ten mx terms of ten hosts each: the most address lookups RFC 7208 allows. */
    n = (size_t)sprintf(buf, "v=spf1");
    for (int i = 0; i < 10; i++)
        n += (size_t)sprintf(buf + n, " mx:mx10.test");
    sprintf(buf + n, " -all");
    txts(f, "amp", buf);

    /* MX exchanges with a NUL byte and a dot inside a label: the name read
     * from the answer (presentation form, \DDD escapes) must be asked back
     * as the same name. */
    fputs("oddmx1 MX 10 x\\000y.hosts\nx\\000y.hosts A 192.0.2.1\n", f);
    fputs("oddmx2 MX 10 dot\\.ted.hosts\ndot\\.ted.hosts A 192.0.2.1\n", f);
    fputs("oddmx3 MX 10 sp\\032ace.hosts\nsp\\032ace.hosts A 192.0.2.1\n", f);
    /* Bytes c-ares escapes when it reads a name (; ( @ $) asked from a record. */
    fputs("we\\;ird\\(na\\@me\\$.hosts A 192.0.2.1\n", f);
    txts(f, "oddname", "v=spf1 a:we;ird(na@me$.hosts.test -all");
    txts(f, "oddmx1", "v=spf1 mx -all");
    txts(f, "oddmx2", "v=spf1 mx -all");
    txts(f, "oddmx3", "v=spf1 mx -all");

    /* ptr: 50 names for 192.0.2.1 (reverse zone below), none with an address. */
    txts(f, "ptr", "v=spf1 ptr -all");
    txts(f, "pmac", "v=spf1 exists:%{p}.pm.test -all");

    /* CNAME chains: 15 hops (followed), 20 hops (over 16), loops. */
    for (int i = 0; i < 20; i++)
        fprintf(f, "c%d CNAME c%d\n", i, i + 1);
    txts(f, "c20", "v=spf1 ip4:192.0.2.1 -all");
    for (int i = 0; i < 15; i++)
        fprintf(f, "d%d CNAME d%d\n", i, i + 1);
    txts(f, "d15", "v=spf1 ip4:192.0.2.1 -all");
    fputs("l1 CNAME l2\nl2 CNAME l1\nself CNAME self\n", f);
    txts(f, "cnamea", "v=spf1 a:l1.test -all");
    txts(f, "cnameinc", "v=spf1 include:self.test -all");

    /* include and redirect loops, a long include chain, a growing name. */
    txts(f, "iloop-a", "v=spf1 include:iloop-b.test -all");
    txts(f, "iloop-b", "v=spf1 include:iloop-a.test -all");
    txts(f, "iself", "v=spf1 include:iself.test -all");
    txts(f, "rloop-a", "v=spf1 redirect=rloop-b.test");
    txts(f, "rloop-b", "v=spf1 redirect=rloop-a.test");
    txts(f, "rself", "v=spf1 redirect=rself.test");
    txts(f, "mixloop", "v=spf1 include:mixloop2.test redirect=mixloop.test");
    txts(f, "mixloop2", "v=spf1 redirect=mixloop.test");
    for (int i = 0; i < 12; i++) {
        char owner[16];
        sprintf(owner, "ic%d", i);
        sprintf(buf, "v=spf1 include:ic%d.test -all", i + 1);
        txts(f, owner, buf);
    }
    txts(f, "ic12", "v=spf1 ip4:192.0.2.1 -all");
    txts(f, "*.grow", "v=spf1 include:x.%{d} -all");
    txts(f, "grow", "v=spf1 include:x.%{d} -all");

    /* The lookup and void limits. */
    n = (size_t)sprintf(buf, "v=spf1");
    for (int i = 1; i <= 11; i++) {
        fprintf(f, "h%d A 10.3.3.%d\n", i, i);
        n += (size_t)sprintf(buf + n, " a:h%d.test", i);
    }
    sprintf(buf + n, " -all");
    txts(f, "lim11", buf);
    n = (size_t)sprintf(buf, "v=spf1");
    for (int i = 1; i <= 10; i++)
        n += (size_t)sprintf(buf + n, " a:h%d.test", i);
    sprintf(buf + n, " ip4:192.0.2.1 -all");
    txts(f, "lim10", buf);
    txts(f, "void3", "v=spf1 a:nx1.test a:nx2.test mx:txtonly.test ip4:192.0.2.1 -all");
    txts(f, "void2", "v=spf1 a:nx1.test mx:txtonly.test ip4:192.0.2.1 -all");
    txts(f, "txtonly", "not spf");

    /* Names at and over 253 bytes, labels of 63 and 64. */
    fprintf(f, "%s. A 192.0.2.1\n", name253);
    fprintf(f, "%s. TXT \"v=spf1 ip4:192.0.2.1 -all\"\n", name253);
    sprintf(buf, "v=spf1 a:%s -all", name253);
    txts(f, "rec253", buf);
    sprintf(buf, "v=spf1 a:%s -all", name254);
    txts(f, "rec254", buf);
    sprintf(buf, "v=spf1 include:%s -all", name255);
    txts(f, "inc255", buf);
    sprintf(buf, "v=spf1 redirect=%s", name254);
    txts(f, "red254", buf);
    sprintf(buf, "v=spf1 exists:%s -all", label64);
    txts(f, "lbl64", buf);
    txts(f, "mac", "v=spf1 exists:%{l}.%{l}.%{l}.%{l}.%{l}.mac.test -all");
    fprintf(f, "%s. A 127.0.0.2\n", mac252);
    txts(f, "mac1", "v=spf1 exists:%{l}.mac.test -all");

    /* NUL and non-ASCII bytes inside TXT character-strings. */
    txt(f, "nul1", "v=spf1 ip4:192.0.2.1\0 -all", 26, 255);
    txt(f, "nul2", "v=spf1\0 ip4:192.0.2.1 -all", 26, 255);
    txt(f, "nul3", "v=spf1 ip4:192.0.2.1 -all\0", 26, 255);
    txts(f, "utf8", "v=spf1 a:\xc3\xa9.test ip4:192.0.2.1 -all");
    txts(f, "exputf", "v=spf1 exp=e.exputf.test -all");
    txts(f, "e.exputf", "caf\xc3\xa9 %{d}");
    txts(f, "expnul", "v=spf1 exp=e.expnul.test -all");
    txt(f, "e.expnul", "bad\0 %{d}", 9, 255);
    /* A 5 KB explanation that expands %{s} hundreds of times. */
    n = 0;
    while (n < 5000)
        n += (size_t)sprintf(buf + n, "%%{s}");
    txt(f, "e.exphuge", buf, n, 250);
    txts(f, "exphuge", "v=spf1 exp=e.exphuge.test -all");
}

static void dkim_zone(FILE *f)
{
    char rec[512], buf[8192];
    int n = snprintf(rec, sizeof rec, "v=DKIM1; k=ed25519; p=%s", fx.dkim_p);
    size_t plen = strlen(fx.dkim_p);
    txts(f, "good._domainkey.dk", rec);
    for (int i = 0; i < 50; i++) {
        char owner[64];
        sprintf(owner, "m%d._domainkey.dk", i);
        txts(f, owner, rec);
    }
    txt(f, "split._domainkey.dk", rec, (size_t)n, 1);   /* one byte per string */
    for (int i = 0; i < 300; i++) {
        sprintf(buf, "v=DKIM1; k=ed25519; p=junk%d", i);
        txts(f, "manyrec._domainkey.dk", buf);
    }
    txts(f, "manyrec._domainkey.dk", rec);
    /* p= of 6000 base64 bytes: 4500 bytes, not an Ed25519 key. */
    int m = sprintf(buf, "v=DKIM1; k=ed25519; p=");
    memset(buf + m, 'A', 6000);
    txt(f, "huge._domainkey.dk", buf, (size_t)m + 6000, 255);
    /* NUL after the key, and in its middle: a truncating reader would pass. */
    memcpy(buf, rec, (size_t)n);
    buf[n] = '\0';
    txt(f, "nulend._domainkey.dk", buf, (size_t)n + 1, 255);
    m = sprintf(buf, "v=DKIM1; k=ed25519; p=%.*s", (int)(plen / 2), fx.dkim_p);
    buf[m] = '\0';
    m += sprintf(buf + m + 1, "%s", fx.dkim_p + plen / 2) + 1;
    txt(f, "nulmid._domainkey.dk", buf, (size_t)m, 255);
    sprintf(buf, "v=DKIM1; k=ed25519; n=caf\xc3\xa9; p=%s", fx.dkim_p);
    txts(f, "utf8._domainkey.dk", buf);
    txts(f, "bogus._domainkey.dk", "v=DKIM1; k=ed25519; p=!!!not-base64!!!");
    sprintf(buf, "v=DKIM1; k=rsa; p=%s", fx.dkim_p);
    txts(f, "rsa._domainkey.dk", buf);
    fputs("loop._domainkey.dk CNAME loop._domainkey.dk\n", f);
}

static void dmarc_zone(FILE *f)
{
    char buf[8192];
    txts(f, "_dmarc.org", "v=DMARC1; p=reject");
    txt(f, "_dmarc.nul", "v=DMARC1; p=reject\0", 19, 255);
    txt(f, "_dmarc.nulmid", "v=DMARC1; p=none\0; p=reject", 28, 255);
    int n = sprintf(buf, "v=DMARC1; p=reject; rua=");
    for (int i = 0; i < 200; i++)
        n += sprintf(buf + n, "%smailto:r%d@huge.test", i ? "," : "", i);
    txt(f, "_dmarc.huge", buf, (size_t)n, 200);
    for (int i = 0; i < 300; i++) {
        sprintf(buf, "junk record %d", i);
        txts(f, "_dmarc.many", buf);
        txts(f, "_dmarc.two", buf);
    }
    txts(f, "_dmarc.many", "v=DMARC1; p=quarantine");
    txts(f, "_dmarc.two", "v=DMARC1; p=quarantine");
    txts(f, "_dmarc.two", "v=DMARC1; p=reject");
    txts(f, "_dmarc.utf8", "v=DMARC1; p=reject; rua=mailto:r\xc3\xa9@utf8.test");
    fputs("_dmarc.loop CNAME _dmarc.loop\n", f);
}

static char *build_zone(void)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    fputs("$ORIGIN test.\n$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 300\n@ NS ns\n"
          "ns A 127.0.0.1\n", f);
    spf_zone(f);
    dkim_zone(f);
    dmarc_zone(f);
    fclose(f);
    return text;
}

static char *build_reverse(void)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    fputs("$ORIGIN 2.0.192.in-addr.arpa.\n$TTL 300\n"
          "@ SOA ns.test. hostmaster.test. 1 3600 600 86400 300\n@ NS ns.test.\n", f);
    for (int i = 0; i < 50; i++)
        fprintf(f, "1 PTR p%d.ptr.test.\n", i);
    fclose(f);
    return text;
}

/* ---- fixture --------------------------------------------------------------------------------- */

static char *key_p(const emauth_dkim_key *k)
{
    char *rec;
    assert_int_equal(emauth_dkim_key_record(k, &rec, NULL), EMAUTH_OK);
    char *p = strstr(rec, "p=");
    assert_non_null(p);
    char *out = strdup(p + 2);
    free(rec);
    return out;
}

/* Options asking only servers[0], each try waiting timeout_ms. */
static void one_server(emauth_dns_options *o, const char **servers, unsigned timeout_ms)
{
    emauth_dns_options_default(o);
    o->nameservers = servers;
    o->nameserver_count = 1;
    o->timeout_ms = timeout_ms;
}

static int setup(void **state)
{
    (void)state;
    make_names();
    emauth_error err;
    if (emauth_dkim_keygen(EMAUTH_DKIM_ED25519, 0, &fx.key, &err) != EMAUTH_OK) {
        fprintf(stderr, "keygen: %s\n", err.message);
        return -1;
    }
    fx.dkim_p = key_p(fx.key);
    fx.zone_text = build_zone();
    fx.rev_text = build_reverse();
    fx.zone = emauth_zone_new();
    if (emauth_zone_load_string(fx.zone, fx.zone_text, strlen(fx.zone_text), "hostile", NULL,
                                &err) != EMAUTH_OK ||
        emauth_zone_load_string(fx.zone, fx.rev_text, strlen(fx.rev_text), "reverse", NULL,
                                &err) != EMAUTH_OK) {
        fprintf(stderr, "zone: %s (line %u)\n", err.message, err.line);
        return -1;
    }
    if (!test_nsd_available()) {
        fprintf(stderr, "nsd not found: the live half of each case is skipped\n");
        return 0;
    }
    test_zone_spec zones[] = {{"test.", fx.zone_text}, {"2.0.192.in-addr.arpa.", fx.rev_text}};
    if (test_nsd_start(&fx.nsd, zones, 2) != 0)
        return -1;
    fx.nsd_up = 1;
    const char *servers[] = {fx.nsd.server};
    emauth_dns_options o;
    one_server(&o, servers, 4000);   /* NSD answers in ms; valgrind on a busy machine is slow */
    o.tries = 2;
    o.cache_entries = 0;
    if (emauth_ares_resolver_new(&o, &fx.live, &err) != EMAUTH_OK) {
        fprintf(stderr, "c-ares: %s\n", err.message);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (fx.live)
        fx.live->destroy(fx.live);
    if (fx.nsd_up)
        test_nsd_stop(&fx.nsd);
    emauth_zone_free(fx.zone);
    emauth_dkim_key_free(fx.key);
    free(fx.zone_text);
    free(fx.rev_text);
    free(fx.dkim_p);
    return 0;
}

/* ---- backends, counting, bounds -------------------------------------------------------------- */

typedef enum { B_ZONE, B_NSD, NBACKENDS } backend_id;
static const char *const backend_names[] = {"zone", "nsd"};

static emauth_resolver *backend(backend_id b)
{
    return b == B_ZONE ? emauth_zone_resolver(fx.zone) : fx.live;
}

/* Counts the questions a core asks and checks that each is a name a query
 * may legally carry (RFC 1035 §2.3.4: labels <= 63, name <= 253 as text). */
typedef struct counter {
    emauth_resolver base;
    emauth_resolver *inner;
    unsigned asked;
    unsigned bad_names;
    size_t longest;
} counter;

static int legal_name(const char *s)
{
    size_t len = strlen(s), label = 0;
    if (len && s[len - 1] == '.')
        len--;
    if (len == 0 || len > 253)
        return 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '.')
            label++;
        else if (label == 0)
            return 0;
        else
            label = 0;
        if (label > 63)
            return 0;
    }
    return label > 0;
}

static emauth_status counter_query(emauth_resolver *r, const emauth_dns_question *q,
                                   emauth_dns_answer *out)
{
    counter *c = (counter *)r;
    c->asked++;
    size_t len = strlen(q->name);
    if (len > c->longest)
        c->longest = len;
    if (!legal_name(q->name))
        c->bad_names++;
    return c->inner->query(c->inner, q, out);
}

static void counter_init(counter *c, emauth_resolver *inner)
{
    memset(c, 0, sizeof *c);
    c->base.query = counter_query;
    c->inner = inner;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Peak resident set (VmHWM) in KiB, or -1. */
static long vm_hwm_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL)
        return -1;
    char line[256];
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

typedef struct bounds {
    double t0;
    long hwm0;
} bounds;

static void bounds_begin(bounds *b)
{
    b->hwm0 = vm_hwm_kb();
    b->t0 = now_s();
}

static void bounds_check(const bounds *b, const char *what, backend_id be, long mem_kb)
{
    double took = now_s() - b->t0;
    if (took >= TIME_BOUND_S)
        fail_msg("%s [%s]: took %.2f s (bound %.0f s)", what, backend_names[be], took,
                 TIME_BOUND_S);
    if (RUNNING_ON_VALGRIND || UNDER_ASAN || b->hwm0 < 0)
        return;
    long grew = vm_hwm_kb() - b->hwm0;
    if (grew > mem_kb)
        fail_msg("%s [%s]: peak RSS grew by %ld KiB (bound %ld)", what, backend_names[be], grew,
                 mem_kb);
}

static void bounds_end(const bounds *b, const char *what, backend_id be)
{
    bounds_check(b, what, be, MEM_BOUND_KB);
}

static int backend_up(backend_id b)
{
    return b == B_ZONE || fx.live != NULL;
}

static void check_questions(const char *what, backend_id be, const counter *c, unsigned qmin,
                            unsigned qmax)
{
    if (c->asked < qmin || c->asked > qmax)
        fail_msg("%s [%s]: %u DNS questions, expected %u..%u", what, backend_names[be], c->asked,
                 qmin, qmax);
    if (c->bad_names)
        fail_msg("%s [%s]: %u questions for illegal names (longest %zu bytes)", what,
                 backend_names[be], c->bad_names, c->longest);
}

static void check_text(const char *what, backend_id be, const char *field, const char *got,
                       const char *want)
{
    if (want != NULL && (got == NULL || strstr(got, want) == NULL))
        fail_msg("%s [%s]: %s is \"%s\", expected it to contain \"%s\"", what,
                 backend_names[be], field, got ? got : "(null)", want);
}

/* ---- the resolvers themselves ---------------------------------------------------------------- */

static emauth_dns_answer ask(backend_id be, const char *name, uint16_t type)
{
    emauth_dns_question q = {name, type};
    emauth_dns_answer a;
    bounds b;
    bounds_begin(&b);
    assert_int_equal(backend(be)->query(backend(be), &q, &a), EMAUTH_OK);
    bounds_end(&b, name, be);
    return a;
}

/* What the resolvers hand to the cores: every byte, every record. */
static void test_resolver_answers(void **state)
{
    (void)state;
    for (backend_id be = 0; be < NBACKENDS; be++) {
        if (!backend_up(be))
            continue;
        emauth_dns_answer a = ask(be, "strings300.test", EMAUTH_DNS_TXT);
        assert_int_equal(a.rcode, EMAUTH_DNS_OK);
        assert_int_equal(a.count, 1);
        assert_true(a.rrs[0].u.txt.nstrings > 250);
        assert_true(a.rrs[0].u.txt.len > 1900);
        assert_memory_equal(a.rrs[0].u.txt.data + a.rrs[0].u.txt.len - 19,
                            " ip4:192.0.2.1 -all", 19);

        /* The NUL is data: 26 bytes, not 20. */
        a = ask(be, "nul1.test", EMAUTH_DNS_TXT);
        assert_int_equal(a.count, 1);
        assert_int_equal(a.rrs[0].u.txt.len, 26);
        assert_memory_equal(a.rrs[0].u.txt.data, "v=spf1 ip4:192.0.2.1\0 -all", 26);

        a = ask(be, "manyrec.test", EMAUTH_DNS_TXT);
        assert_int_equal(a.count, 301);

        /* Every one of thousands of addresses arrives. */
        a = ask(be, "many.test", EMAUTH_DNS_A);
        if (a.rcode != EMAUTH_DNS_OK || a.count != 3001)
            fail_msg("many.test A [%s]: %s, %zu records, expected 3001", backend_names[be],
                     emauth_dns_rcode_name(a.rcode), a.count);
        a = ask(be, "many.test", EMAUTH_DNS_AAAA);
        if (a.rcode != EMAUTH_DNS_OK || a.count != 2001)
            fail_msg("many.test AAAA [%s]: %s, %zu records, expected 2001", backend_names[be],
                     emauth_dns_rcode_name(a.rcode), a.count);

        a = ask(be, "mx200.test", EMAUTH_DNS_MX);
        assert_int_equal(a.count, 200);
        a = ask(be, "1.2.0.192.in-addr.arpa", EMAUTH_DNS_PTR);
        assert_int_equal(a.count, 50);

        /* 253 bytes is a name; 254, 255 and a 64-byte label are not. */
        a = ask(be, name253, EMAUTH_DNS_TXT);
        assert_int_equal(a.rcode, EMAUTH_DNS_OK);
        const char *bad[] = {name254, name255, label64, "a..test", ".test"};
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            a = ask(be, bad[i], EMAUTH_DNS_TXT);
            if (a.rcode != EMAUTH_DNS_SERVFAIL || a.why == NULL)
                fail_msg("%.20s... [%s]: %s, expected servfail with a reason", bad[i],
                         backend_names[be], emauth_dns_rcode_name(a.rcode));
        }

        /* CNAMEs: 15 hops are followed, 20 and loops are a failure. */
        a = ask(be, "d0.test", EMAUTH_DNS_TXT);
        assert_int_equal(a.rcode, EMAUTH_DNS_OK);
        assert_int_equal(a.cname_count, 15);
        const char *loops[] = {"c0.test", "l1.test", "self.test"};
        for (size_t i = 0; i < 3; i++) {
            a = ask(be, loops[i], EMAUTH_DNS_TXT);
            if (a.rcode != EMAUTH_DNS_SERVFAIL)
                fail_msg("%s [%s]: %s, expected servfail", loops[i], backend_names[be],
                         emauth_dns_rcode_name(a.rcode));
        }
    }
}

/* ---- SPF ------------------------------------------------------------------------------------- */

typedef struct spf_case {
    const char *what;
    const char *ip;
    const char *from;
    emauth_spf_verdict verdict;
    unsigned qmin, qmax;       /* DNS questions asked */
    const char *problem;       /* in result->problem, or NULL */
    const char *explanation;   /* in result->explanation, or NULL */
} spf_case;

static void run_spf(const spf_case *cases, size_t n)
{
    for (backend_id be = 0; be < NBACKENDS; be++) {
        if (!backend_up(be))
            continue;
        for (size_t i = 0; i < n; i++) {
            const spf_case *k = &cases[i];
            counter c;
            counter_init(&c, backend(be));
            emauth_spf_request req;
            memset(&req, 0, sizeof req);
            assert_int_equal(emauth_ip_parse(k->ip, strlen(k->ip), &req.ip, NULL), EMAUTH_OK);
            req.mail_from = k->from;
            req.helo = "mta.test";
            emauth_spf_eval *ev;
            emauth_error err;
            bounds b;
            bounds_begin(&b);
            if (emauth_spf_check(&c.base, &req, &ev, &err) != EMAUTH_OK)
                fail_msg("%s [%s]: %s", k->what, backend_names[be], err.message);
            bounds_end(&b, k->what, be);
            const emauth_spf_result *r = emauth_spf_eval_result(ev);
            assert_non_null(r);
            if (r->verdict != k->verdict)
                fail_msg("%s [%s]: %s (%s), expected %s", k->what, backend_names[be],
                         emauth_spf_verdict_name(r->verdict), r->problem ? r->problem : "",
                         emauth_spf_verdict_name(k->verdict));
            check_questions(k->what, be, &c, k->qmin, k->qmax);
            assert_int_equal(r->trace_count, c.asked);   /* the trace is complete */
            assert_true(r->dns_lookups <= 10 && r->void_lookups <= 3);
            check_text(k->what, be, "problem", r->problem, k->problem);
            check_text(k->what, be, "explanation", r->explanation, k->explanation);
            assert_true(r->explanation == NULL || strlen(r->explanation) <= EA_MACRO_EXP_MAX);
            emauth_spf_eval_free(ev);
        }
    }
}

#define IP "192.0.2.1"
#define NCASES(a) (sizeof(a) / sizeof((a)[0]))

/* Huge answers: many strings, big records, many records, many addresses. */
static void test_spf_huge_answers(void **state)
{
    (void)state;
    static const spf_case cases[] = {
        {"280 strings in one record", IP, "u@strings300.test", EMAUTH_SPF_PASS, 1, 1, NULL, NULL},
        {"600-byte record", IP, "u@mid600.test", EMAUTH_SPF_PASS, 1, 1, NULL, NULL},
        {"5 KB record", IP, "u@big4k.test", EMAUTH_SPF_PERMERROR, 1, 1, "longer than 4096", NULL},
        {"301 TXT records, one SPF", IP, "u@manyrec.test", EMAUTH_SPF_PASS, 1, 1, NULL, NULL},
        {"302 TXT records, two SPF", IP, "u@tworec.test", EMAUTH_SPF_PERMERROR, 1, 1,
         "more than one SPF record", NULL},
        /* The client is the last of 3001 A / 2001 AAAA records. */
        {"a: with 3001 A records", IP, "u@biga.test", EMAUTH_SPF_PASS, 2, 2, NULL, NULL},
        {"a: with 2001 AAAA records", "2001:db8::1", "u@biga.test", EMAUTH_SPF_PASS, 2, 2, NULL,
         NULL},
        {"mx: host with 3001 A records", IP, "u@mxbig.test", EMAUTH_SPF_PASS, 3, 3, NULL, NULL},
        /* §4.6.4: 10 MX names are looked up, more is permerror before any. */
        {"10 MX hosts", IP, "u@mx10.test", EMAUTH_SPF_FAIL, 12, 12, NULL, NULL},
        {"11 MX hosts", IP, "u@mx11.test", EMAUTH_SPF_PERMERROR, 2, 2, "more than 10 MX", NULL},
        {"200 MX hosts", IP, "u@mx200.test", EMAUTH_SPF_PERMERROR, 2, 2, "more than 10 MX",
         NULL},
        {"a: with ; ( @ $ in a label", IP, "u@oddname.test", EMAUTH_SPF_PASS, 2, 2, NULL, NULL},
        {"MX host with a NUL byte", IP, "u@oddmx1.test", EMAUTH_SPF_PASS, 3, 3, NULL, NULL},
        {"MX host with a dot in a label", IP, "u@oddmx2.test", EMAUTH_SPF_PASS, 3, 3, NULL, NULL},
        {"MX host with a space", IP, "u@oddmx3.test", EMAUTH_SPF_PASS, 3, 3, NULL, NULL},
        /* The worst RFC 7208 allows: 1 + 10 x (1 MX + 10 A). */
        {"10 mx terms x 10 hosts", IP, "u@amp.test", EMAUTH_SPF_FAIL, 111, 111, NULL, NULL},
        /* §4.6.4: of 50 PTR names only the first 10 are looked up. */
        {"ptr with 50 names", IP, "u@ptr.test", EMAUTH_SPF_FAIL, 12, 12, NULL, NULL},
        {"%{p} with 50 names", IP, "u@pmac.test", EMAUTH_SPF_FAIL, 13, 13, NULL, NULL},
    };
    run_spf(cases, NCASES(cases));
}

/* CNAME chains over the limit and loops: a temporary DNS error, one question. */
static void test_spf_cnames(void **state)
{
    (void)state;
    static const spf_case cases[] = {
        {"15 CNAMEs", IP, "u@d0.test", EMAUTH_SPF_PASS, 1, 1, NULL, NULL},
        {"20 CNAMEs", IP, "u@c0.test", EMAUTH_SPF_TEMPERROR, 1, 1, "servfail", NULL},
        {"CNAME loop a->b->a", IP, "u@l1.test", EMAUTH_SPF_TEMPERROR, 1, 1, "servfail", NULL},
        {"CNAME self-loop", IP, "u@self.test", EMAUTH_SPF_TEMPERROR, 1, 1, "servfail", NULL},
        {"a: at a CNAME loop", IP, "u@cnamea.test", EMAUTH_SPF_TEMPERROR, 2, 2, "servfail", NULL},
        {"include: of a CNAME loop", IP, "u@cnameinc.test", EMAUTH_SPF_TEMPERROR, 2, 2,
         "servfail", NULL},
    };
    run_spf(cases, NCASES(cases));
}

/* Loops end at the 10-term limit: 1 + 10 record lookups, then permerror. */
static void test_spf_loops_and_limits(void **state)
{
    (void)state;
    static const spf_case cases[] = {
        {"include loop", IP, "u@iloop-a.test", EMAUTH_SPF_PERMERROR, 11, 11,
         "too many DNS lookups", NULL},
        {"self-include", IP, "u@iself.test", EMAUTH_SPF_PERMERROR, 11, 11,
         "too many DNS lookups", NULL},
        {"redirect loop", IP, "u@rloop-a.test", EMAUTH_SPF_PERMERROR, 11, 11,
         "too many DNS lookups", NULL},
        {"self-redirect", IP, "u@rself.test", EMAUTH_SPF_PERMERROR, 11, 11,
         "too many DNS lookups", NULL},
        {"include+redirect loop", IP, "u@mixloop.test", EMAUTH_SPF_PERMERROR, 11, 11,
         "too many DNS lookups", NULL},
        {"wildcard include of a growing name", IP, "u@grow.test", EMAUTH_SPF_PERMERROR, 11, 11,
         "too many DNS lookups", NULL},
        {"12 nested includes", IP, "u@ic0.test", EMAUTH_SPF_PERMERROR, 11, 11,
         "too many DNS lookups", NULL},
        {"10 nested includes", IP, "u@ic2.test", EMAUTH_SPF_PASS, 11, 11, NULL, NULL},
        {"11 a: terms", IP, "u@lim11.test", EMAUTH_SPF_PERMERROR, 11, 11, "too many DNS lookups",
         NULL},
        {"10 a: terms", IP, "u@lim10.test", EMAUTH_SPF_PASS, 11, 11, NULL, NULL},
        /* NXDOMAIN and NODATA both count; the third is permerror (§4.6.4). */
        {"3 void lookups", IP, "u@void3.test", EMAUTH_SPF_PERMERROR, 4, 4, "void", NULL},
        {"2 void lookups", IP, "u@void2.test", EMAUTH_SPF_PASS, 3, 3, NULL, NULL},
    };
    run_spf(cases, NCASES(cases));
}

/* Names at the limits; no question is ever asked for an illegal name. */
static void test_spf_names(void **state)
{
    (void)state;
    const spf_case cases[] = {
        {"253-byte domain", IP, from253, EMAUTH_SPF_PASS, 1, 1, NULL, NULL},
        {"254-byte domain", IP, from254, EMAUTH_SPF_NONE, 0, 0, "not a valid", NULL},
        {"255-byte domain", IP, from255, EMAUTH_SPF_NONE, 0, 0, "not a valid", NULL},
        {"64-byte label", IP, from64, EMAUTH_SPF_NONE, 0, 0, "not a valid", NULL},
        {"empty label", IP, "u@a..test", EMAUTH_SPF_NONE, 0, 0, "not a valid", NULL},
        {"a: of 253 bytes", IP, "u@rec253.test", EMAUTH_SPF_PASS, 2, 2, NULL, NULL},
        /* An unusable target is a void lookup, not a question (§4.6.4 / §4.8). */
        {"a: of 254 bytes", IP, "u@rec254.test", EMAUTH_SPF_FAIL, 1, 1, NULL, NULL},
        {"exists: with a 64-byte label", IP, "u@lbl64.test", EMAUTH_SPF_FAIL, 1, 1, NULL, NULL},
        {"include: of 255 bytes", IP, "u@inc255.test", EMAUTH_SPF_PERMERROR, 1, 1,
         "not a valid domain name", NULL},
        {"redirect= of 254 bytes", IP, "u@red254.test", EMAUTH_SPF_PERMERROR, 1, 1,
         "not a valid domain name", NULL},
        /* §7.3: 313 expanded bytes lose their leftmost label: 252 remain. */
        {"macro over 253 bytes", IP, from_mac, EMAUTH_SPF_PASS, 2, 2, NULL, NULL},
        {"macro making a 64-byte label", IP, from_mac64, EMAUTH_SPF_FAIL, 1, 1, NULL, NULL},
        {"macro making an empty label", IP, "a..b@mac1.test", EMAUTH_SPF_FAIL, 1, 1, NULL, NULL},
    };
    run_spf(cases, NCASES(cases));
    /* The macro case asked for exactly the truncated name. */
    counter c;
    counter_init(&c, backend(B_ZONE));
    emauth_spf_request req;
    memset(&req, 0, sizeof req);
    emauth_ip_parse(IP, strlen(IP), &req.ip, NULL);
    req.mail_from = from_mac;
    emauth_spf_eval *ev;
    assert_int_equal(emauth_spf_check(&c.base, &req, &ev, NULL), EMAUTH_OK);
    const emauth_spf_result *r = emauth_spf_eval_result(ev);
    assert_int_equal(r->trace_count, 2);
    assert_string_equal(r->trace[1].name, mac252);
    assert_int_equal(strlen(r->trace[1].name), 252);
    emauth_spf_eval_free(ev);
}

/* NUL bytes are data (no truncation); non-ASCII is a syntax error. */
static void test_spf_nul_and_utf8(void **state)
{
    (void)state;
    static const spf_case cases[] = {
        /* Read up to the NUL, this would pass. */
        {"NUL inside the record", IP, "u@nul1.test", EMAUTH_SPF_PERMERROR, 1, 1,
         "invalid SPF record", NULL},
        /* "v=spf1" must be followed by a space or the end (§4.5). */
        {"NUL after v=spf1", IP, "u@nul2.test", EMAUTH_SPF_NONE, 1, 1, "no SPF record", NULL},
        {"NUL at the end", IP, "u@nul3.test", EMAUTH_SPF_PERMERROR, 1, 1, "invalid SPF record",
         NULL},
        {"UTF-8 in a domain-spec", IP, "u@utf8.test", EMAUTH_SPF_PERMERROR, 1, 1,
         "invalid SPF record", NULL},
        /* §6.2: a bad explain-string is as if exp= were absent. */
        {"UTF-8 in the explanation", "198.51.100.1", "u@exputf.test", EMAUTH_SPF_FAIL, 2, 2, NULL,
         "does not designate"},
        {"NUL in the explanation", "198.51.100.1", "u@expnul.test", EMAUTH_SPF_FAIL, 2, 2, NULL,
         "does not designate"},
        /* 1250 x the sender would be 17 KB: cut at EA_MACRO_EXP_MAX (checked below). */
        {"5 KB explanation of %{s}", "198.51.100.1", "u@exphuge.test", EMAUTH_SPF_FAIL, 2, 2, NULL,
         "u@exphuge.testu@exphuge.test"},
    };
    run_spf(cases, NCASES(cases));
}

/* ---- async engine: the same loops, counted by the engine's own stats ------------------------- */

typedef struct tally {
    unsigned done, verdicts[EMAUTH_SPF_PERMERROR + 1];
} tally;

static void on_spf(void *arg, const emauth_spf_result *r)
{
    tally *t = arg;
    t->done++;
    t->verdicts[r->verdict]++;
}

/* Queues a check of IP for MAIL FROM from, its verdict tallied in t. */
static void queue_spf(emauth_async *as, const char *from, tally *t)
{
    emauth_spf_request req;
    memset(&req, 0, sizeof req);
    emauth_ip_parse(IP, strlen(IP), &req.ip, NULL);
    req.mail_from = from;
    assert_int_equal(emauth_async_spf(as, &req, on_spf, t, NULL), EMAUTH_OK);
}

static void test_async_engine(void **state)
{
    (void)state;
    static const char *const froms[] = {"u@iloop-a.test", "u@rloop-a.test", "u@grow.test",
                                        "u@ic0.test",     "u@mx200.test",   "u@biga.test",
                                        "u@amp.test"};
    for (backend_id be = 0; be < NBACKENDS; be++) {
        if (!backend_up(be))
            continue;
        emauth_async *as;
        if (be == B_ZONE) {
            assert_int_equal(emauth_async_new_zone(fx.zone, &as, NULL), EMAUTH_OK);
        } else {
            const char *servers[] = {fx.nsd.server};
            emauth_dns_options o;
            one_server(&o, servers, 4000);
            assert_int_equal(emauth_async_new(&o, &as, NULL), EMAUTH_OK);
        }
        bounds b;
        bounds_begin(&b);
        tally t;
        memset(&t, 0, sizeof t);
        for (int round = 0; round < 20; round++)
            for (size_t i = 0; i < NCASES(froms); i++)
                queue_spf(as, froms[i], &t);
        assert_int_equal(emauth_async_run(as), EMAUTH_OK);
        bounds_end(&b, "async loops", be);
        assert_int_equal(t.done, 140);
        assert_int_equal(t.verdicts[EMAUTH_SPF_PERMERROR], 100);
        assert_int_equal(t.verdicts[EMAUTH_SPF_PASS], 20);
        assert_int_equal(t.verdicts[EMAUTH_SPF_FAIL], 20);
        emauth_dns_stats s;
        emauth_async_stats(as, &s);
        /* Per round 11 + 11 + 11 + 11 + 2 + 2 + 111 questions; the network
         * sees each distinct name once: 2 + 2 + 11 + 11 + 2 + 2 + 12. */
        assert_int_equal(s.questions, 20 * 159);
        if (be == B_NSD)
            assert_int_equal(s.queries, 42);
        emauth_async_free(as);
    }
}

/* A sender whose every name is a huge answer (a wildcard with 3000 A
 * records) must not fill the engine's cache past its byte budget
 * (cache_entries x 2 KiB, src/dns/cache.c): 100 checks with distinct local
 * parts kept 100 x ~140 KB (14 MB) when only the entry count was bounded;
 * now 1 MiB of cache + one answer being parsed, so 6 MiB of growth fails. */
static void test_async_cache_bytes(void **state)
{
    (void)state;
    if (!backend_up(B_NSD))
        skip();
    const char *servers[] = {fx.nsd.server};
    emauth_dns_options o;
    one_server(&o, servers, 4000);
    o.cache_entries = 500;   /* a 1 MiB budget */
    emauth_async *as;
    assert_int_equal(emauth_async_new(&o, &as, NULL), EMAUTH_OK);
    bounds b;
    bounds_begin(&b);
    tally t;
    memset(&t, 0, sizeof t);
    for (int i = 0; i < 100; i++) {
        char from[64];
        snprintf(from, sizeof from, "u%d@wm.test", i);
        queue_spf(as, from, &t);
        if (i % 25 == 24)   /* a few in flight at a time: the cache, not the queue, holds them */
            assert_int_equal(emauth_async_run(as), EMAUTH_OK);
    }
    assert_int_equal(emauth_async_run(as), EMAUTH_OK);
    bounds_check(&b, "cache of huge answers", B_NSD, 6L * 1024);
    assert_int_equal(t.verdicts[EMAUTH_SPF_PASS], 100);
    emauth_dns_stats s;
    emauth_async_stats(as, &s);
    assert_int_equal(s.questions, 200);
    /* Each A name once; wm.test's TXT once per batch at most, as the huge
     * answers push it out of the budget (least recently used first). */
    assert_in_range(s.queries, 101, 104);
    emauth_async_free(as);
}

/* A server that never answers: 100 checks in flight all end in temperror
 * within timeout x tries (200 ms, then 400 ms), one query per name. */
static void test_spf_black_hole(void **state)
{
    (void)state;
    int port;
    int fd = test_black_hole(&port);
    assert_true(fd >= 0);
    char server[64];
    snprintf(server, sizeof server, "127.0.0.1:%d", port);
    const char *servers[] = {server};
    emauth_dns_options o;
    one_server(&o, servers, 200);
    o.tries = 2;
    emauth_async *as;
    assert_int_equal(emauth_async_new(&o, &as, NULL), EMAUTH_OK);
    bounds b;
    bounds_begin(&b);
    tally t;
    memset(&t, 0, sizeof t);
    for (int i = 0; i < 100; i++) {
        char from[64];
        snprintf(from, sizeof from, "u@d%d.slow.test", i);
        queue_spf(as, from, &t);
    }
    assert_int_equal(emauth_async_run(as), EMAUTH_OK);
    bounds_end(&b, "black hole", B_NSD);
    assert_int_equal(t.verdicts[EMAUTH_SPF_TEMPERROR], 100);
    emauth_dns_stats s;
    emauth_async_stats(as, &s);
    assert_int_equal(s.questions, 100);
    assert_int_equal(s.queries, 100);
    assert_int_equal(s.timeouts, 100);
    emauth_async_free(as);
    close(fd);
}

/* ---- DKIM ------------------------------------------------------------------------------------ */

static const char base_msg[] =
    "From: a@dk.test\r\nTo: b@dk.test\r\nSubject: hostile\r\n\r\nhello\r\n";

/* The DKIM-Signature field for one selector over the base message (malloc'ed). */
static char *sign_field(const char *selector)
{
    emauth_dkim_sign_options o;
    memset(&o, 0, sizeof o);
    o.key = fx.key;
    o.domain = "dk.test";
    o.selector = selector;
    emauth_dkim_signer *s;
    emauth_error err;
    assert_int_equal(emauth_dkim_signer_new(&o, 1, &s, &err), EMAUTH_OK);
    const char *fields[] = {"From: a@dk.test", "To: b@dk.test", "Subject: hostile"};
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(emauth_dkim_sign_header(s, fields[i], strlen(fields[i]),
                                                 (size_t)(strchr(fields[i], ':') - fields[i])),
                         EMAUTH_OK);
    assert_int_equal(emauth_dkim_sign_eoh(s), EMAUTH_OK);
    assert_int_equal(emauth_dkim_sign_body(s, "hello\r\n", 7), EMAUTH_OK);
    char *sig;
    size_t len;
    assert_int_equal(emauth_dkim_sign_eom(s, &sig, &len, &err), EMAUTH_OK);
    emauth_dkim_signer_free(s);
    return sig;
}

/* The base message with copies x (one signature per selector), in order. */
static char *sign_msg(const char *const *selectors, size_t n, size_t copies)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    for (size_t i = 0; i < n; i++) {
        char *sig = sign_field(selectors[i]);
        for (size_t j = 0; j < copies; j++)
            fputs(sig, f);
        free(sig);
    }
    fputs(base_msg, f);
    fclose(f);
    return text;
}

static emauth_status v_header(void *arg, const char *f, size_t len, size_t name_len)
{
    return emauth_dkim_verify_header(arg, f, len, name_len);
}

static emauth_status v_eoh(void *arg)
{
    return emauth_dkim_verify_eoh(arg);
}

static emauth_status v_body(void *arg, const char *chunk, size_t len)
{
    return emauth_dkim_verify_body(arg, chunk, len);
}

/* Verifies msg over resolver r; the results stay in v. */
static const emauth_dkim_result *verify(emauth_dkim_verifier *v, emauth_resolver *r,
                                        const char *msg, size_t *n)
{
    static const emauth_msg_callbacks cbs = {v_header, v_eoh, v_body};
    emauth_msg_limits lim;
    emauth_msg_limits_default(&lim);
    lim.fields = 10000;   /* let the verifier's own limits act */
    lim.header_bytes = (size_t)4 << 20;
    emauth_msg *m;
    emauth_error err;
    assert_int_equal(emauth_dkim_verify_start(v, NULL), EMAUTH_OK);
    assert_int_equal(emauth_msg_new(&cbs, v, &lim, &m), EMAUTH_OK);
    if (emauth_msg_push(m, msg, strlen(msg), &err) != EMAUTH_OK ||
        emauth_msg_finish(m, &err) != EMAUTH_OK)
        fail_msg("message: %s", err.message);
    emauth_msg_free(m);
    assert_int_equal(emauth_dkim_verify_eom(v), EMAUTH_OK);
    assert_int_equal(emauth_dkim_verify_run(v, r), EMAUTH_OK);
    const emauth_dkim_result *res = emauth_dkim_verify_results(v, n);
    assert_non_null(res);
    return res;
}

typedef struct dkim_case {
    const char *selector;
    emauth_dkim_verdict verdict;
    const char *reason;        /* in result->reason, or NULL */
} dkim_case;

/* Hostile key records: one question each, a defined verdict. */
static void test_dkim_keys(void **state)
{
    (void)state;
    static const dkim_case cases[] = {
        {"good", EMAUTH_DKIM_PASS, NULL},
        {"split", EMAUTH_DKIM_PASS, NULL},        /* ~70 one-byte strings, joined */
        {"manyrec", EMAUTH_DKIM_PASS, NULL},      /* the one usable of 301 records */
        {"huge", EMAUTH_DKIM_PERMERROR, "bad key record"},
        {"nulend", EMAUTH_DKIM_PERMERROR, "bad key record"},   /* truncated, it would pass */
        {"nulmid", EMAUTH_DKIM_PERMERROR, "bad key record"},
        {"utf8", EMAUTH_DKIM_PERMERROR, "bad key record"},
        {"bogus", EMAUTH_DKIM_PERMERROR, "bad key record"},
        {"rsa", EMAUTH_DKIM_PERMERROR, NULL},
        {"loop", EMAUTH_DKIM_TEMPERROR, "servfail"},
        {"absent", EMAUTH_DKIM_PERMERROR, "no key record"},
    };
    emauth_dkim_verifier *v;
    assert_int_equal(emauth_dkim_verifier_new(NULL, &v), EMAUTH_OK);
    for (backend_id be = 0; be < NBACKENDS; be++) {
        if (!backend_up(be))
            continue;
        for (size_t i = 0; i < NCASES(cases); i++) {
            const dkim_case *k = &cases[i];
            char *msg = sign_msg(&k->selector, 1, 1);
            counter c;
            counter_init(&c, backend(be));
            bounds b;
            bounds_begin(&b);
            size_t n;
            const emauth_dkim_result *r = verify(v, &c.base, msg, &n);
            bounds_end(&b, k->selector, be);
            assert_int_equal(n, 1);
            if (r[0].verdict != k->verdict)
                fail_msg("key %s [%s]: %s (%s), expected %s", k->selector, backend_names[be],
                         emauth_dkim_verdict_name(r[0].verdict), r[0].reason ? r[0].reason : "",
                         emauth_dkim_verdict_name(k->verdict));
            check_questions(k->selector, be, &c, 1, 1);
            check_text(k->selector, be, "reason", r[0].reason, k->reason);
            free(msg);
        }
    }
    emauth_dkim_verifier_free(v);
}

/* More signatures than max_signatures (10): 10 verified, at most 10 key
 * questions, the rest neutral without a lookup. */
static void test_dkim_many_signatures(void **state)
{
    (void)state;
    const char *sels[50];
    char names[50][8];
    for (int i = 0; i < 50; i++) {
        sprintf(names[i], "m%d", i);
        sels[i] = names[i];
    }
    char *distinct = sign_msg(sels, 50, 1);
    /* 900 copies of one signature: one key name, asked once. */
    const char *good = "good";
    char *copies = sign_msg(&good, 1, 900);

    emauth_dkim_verifier *v;
    assert_int_equal(emauth_dkim_verifier_new(NULL, &v), EMAUTH_OK);
    for (backend_id be = 0; be < NBACKENDS; be++) {
        if (!backend_up(be))
            continue;
        struct {
            const char *what, *msg;
            size_t nsigs;
            unsigned questions;
        } runs[] = {{"50 selectors", distinct, 50, 10}, {"900 copies", copies, 900, 1}};
        for (size_t j = 0; j < 2; j++) {
            counter c;
            counter_init(&c, backend(be));
            bounds b;
            bounds_begin(&b);
            size_t n;
            const emauth_dkim_result *r = verify(v, &c.base, runs[j].msg, &n);
            bounds_end(&b, runs[j].what, be);
            assert_int_equal(n, runs[j].nsigs);
            check_questions(runs[j].what, be, &c, runs[j].questions, runs[j].questions);
            for (size_t i = 0; i < n; i++) {
                emauth_dkim_verdict want = i < 10 ? EMAUTH_DKIM_PASS : EMAUTH_DKIM_NEUTRAL;
                if (r[i].verdict != want)
                    fail_msg("%s [%s]: signature %zu is %s (%s)", runs[j].what,
                             backend_names[be], i, emauth_dkim_verdict_name(r[i].verdict),
                             r[i].reason ? r[i].reason : "");
            }
            check_text(runs[j].what, be, "reason", r[n - 1].reason, "over the limit of 10");
        }
    }
    emauth_dkim_verifier_free(v);
    free(distinct);
    free(copies);
}

/* ---- DMARC ----------------------------------------------------------------------------------- */

typedef struct dmarc_case {
    const char *what;
    const char *from;
    const char *spf_domain;    /* passed SPF, or NULL */
    emauth_dmarc_verdict verdict;
    emauth_dmarc_policy policy;
    unsigned qmin, qmax;
    const char *reason;        /* in result->reason, or NULL */
} dmarc_case;

static void test_dmarc(void **state)
{
    (void)state;
    /* RFC 9989 §4.10: the walk asks at most 8 names whatever the depth. */
    const dmarc_case cases[] = {
        {"12 labels, aligned", "a.b.c.d.e.f.g.h.i.j.org.test", "org.test", EMAUTH_DMARC_PASS,
         EMAUTH_DMARC_P_NONE, 8, 8, NULL},
        {"12 labels, not aligned", "a.b.c.d.e.f.g.h.i.j.org.test", NULL, EMAUTH_DMARC_FAIL,
         EMAUTH_DMARC_P_REJECT, 8, 8, NULL},
        /* _dmarc. + 252 bytes is over 253: that name cannot be asked, 7 can. */
        {"124 labels (252 bytes)", dmarc253, NULL, EMAUTH_DMARC_FAIL, EMAUTH_DMARC_P_REJECT, 7, 7,
         NULL},
        {"no record in a deep tree", "a.b.c.d.e.f.g.h.i.j.k.l.none.test", NULL,
         EMAUTH_DMARC_NONE, EMAUTH_DMARC_P_NONE, 8, 8, NULL},
        {"255-byte From domain", dmarc255, NULL, EMAUTH_DMARC_PERMERROR, EMAUTH_DMARC_P_NONE, 0, 0,
         NULL},
        {"64-byte label", label64, NULL, EMAUTH_DMARC_PERMERROR, EMAUTH_DMARC_P_NONE, 0, 0, NULL},
        /* The NUL is part of the record: p= is not a valid policy, the record
         * is unusable (permerror); read up to the NUL it would be p=reject.
         * The walk still asks the parent (no psd=n stops it). */
        {"NUL after p=reject", "nul.test", NULL, EMAUTH_DMARC_PERMERROR, EMAUTH_DMARC_P_NONE, 2, 2,
         "unusable"},
        {"NUL then p=reject", "nulmid.test", NULL, EMAUTH_DMARC_PERMERROR, EMAUTH_DMARC_P_NONE, 2,
         2, "unusable"},
        {"5 KB record with 200 rua", "huge.test", NULL, EMAUTH_DMARC_FAIL, EMAUTH_DMARC_P_REJECT, 2,
         2, NULL},
        {"301 TXT records, one DMARC", "many.test", NULL, EMAUTH_DMARC_FAIL,
         EMAUTH_DMARC_P_QUARANTINE, 2, 2, NULL},
        {"two DMARC records", "two.test", NULL, EMAUTH_DMARC_NONE, EMAUTH_DMARC_P_NONE, 2, 2,
         NULL},
        /* A rua= outside the tag grammar is left out (RFC 9989 §4.8): p=reject holds. */
        {"UTF-8 in rua", "utf8.test", NULL, EMAUTH_DMARC_FAIL, EMAUTH_DMARC_P_REJECT, 2, 2, NULL},
        {"CNAME loop at _dmarc", "loop.test", NULL, EMAUTH_DMARC_TEMPERROR, EMAUTH_DMARC_P_NONE, 1,
         1, NULL},
    };
    emauth_dmarc_eval *e;
    assert_int_equal(emauth_dmarc_eval_new(&e), EMAUTH_OK);
    for (backend_id be = 0; be < NBACKENDS; be++) {
        if (!backend_up(be))
            continue;
        for (size_t i = 0; i < NCASES(cases); i++) {
            const dmarc_case *k = &cases[i];
            emauth_dmarc_request req;
            memset(&req, 0, sizeof req);
            req.from_domain = k->from;
            req.spf.domain = k->spf_domain;
            req.spf.passed = k->spf_domain != NULL;
            req.mode = EMAUTH_DMARC_9989;
            counter c;
            counter_init(&c, backend(be));
            emauth_error err;
            bounds b;
            bounds_begin(&b);
            emauth_status st = emauth_dmarc_eval_start(e, &req, &err);
            if (st == EMAUTH_OK)
                st = emauth_dmarc_eval_run(e, &c.base);
            bounds_end(&b, k->what, be);
            if (st != EMAUTH_OK)
                fail_msg("%s [%s]: %s", k->what, backend_names[be], emauth_status_str(st));
            const emauth_dmarc_result *r = emauth_dmarc_eval_result(e);
            assert_non_null(r);
            if (r->verdict != k->verdict || r->policy != k->policy)
                fail_msg("%s [%s]: %s/%s (%s), expected %s/%s", k->what, backend_names[be],
                         emauth_dmarc_verdict_name(r->verdict),
                         emauth_dmarc_policy_name(r->policy), r->reason ? r->reason : "",
                         emauth_dmarc_verdict_name(k->verdict),
                         emauth_dmarc_policy_name(k->policy));
            check_questions(k->what, be, &c, k->qmin, k->qmax);
            check_text(k->what, be, "reason", r->reason, k->reason);
        }
    }
    emauth_dmarc_eval_free(e);
}

/* 50 passed DKIM identifiers, each deep and each in its own tree: only the
 * first 11 are aligned (MAX_IDS in src/dmarc/eval.c: SPF + 10 DKIM, the
 * SPF slot going to DKIM when SPF did not pass), each by a walk of at most
 * 8 questions sharing answers: 8 for the From domain + 11 x 7 (every walk
 * ends at _dmarc.test, asked once). The hard bound is 8 x (1 + 11) = 96. */
static void test_dmarc_many_identifiers(void **state)
{
    (void)state;
    emauth_dmarc_identifier ids[50];
    char names[50][64];
    for (int i = 0; i < 50; i++) {
        sprintf(names[i], "k.a.b.c.d.e.f.g.h.i.o%d.test", i);
        ids[i].domain = names[i];
        ids[i].passed = 1;
    }
    emauth_dmarc_eval *e;
    assert_int_equal(emauth_dmarc_eval_new(&e), EMAUTH_OK);
    for (backend_id be = 0; be < NBACKENDS; be++) {
        if (!backend_up(be))
            continue;
        emauth_dmarc_request req;
        memset(&req, 0, sizeof req);
        req.from_domain = "a.b.c.d.e.f.g.h.i.j.org.test";
        req.ndkim = 50;
        req.dkim = ids;
        req.mode = EMAUTH_DMARC_9989;
        counter c;
        counter_init(&c, backend(be));
        bounds b;
        bounds_begin(&b);
        assert_int_equal(emauth_dmarc_eval_start(e, &req, NULL), EMAUTH_OK);
        assert_int_equal(emauth_dmarc_eval_run(e, &c.base), EMAUTH_OK);
        bounds_end(&b, "50 DKIM identifiers", be);
        const emauth_dmarc_result *r = emauth_dmarc_eval_result(e);
        assert_int_equal(r->verdict, EMAUTH_DMARC_FAIL);
        assert_int_equal(r->policy, EMAUTH_DMARC_P_REJECT);
        check_questions("50 DKIM identifiers", be, &c, 85, 85);
    }
    emauth_dmarc_eval_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resolver_answers),
        cmocka_unit_test(test_spf_huge_answers),
        cmocka_unit_test(test_spf_cnames),
        cmocka_unit_test(test_spf_loops_and_limits),
        cmocka_unit_test(test_spf_names),
        cmocka_unit_test(test_spf_nul_and_utf8),
        cmocka_unit_test(test_async_engine),
        cmocka_unit_test(test_spf_black_hole),
        cmocka_unit_test(test_async_cache_bytes),
        cmocka_unit_test(test_dkim_keys),
        cmocka_unit_test(test_dkim_many_signatures),
        cmocka_unit_test(test_dmarc),
        cmocka_unit_test(test_dmarc_many_identifiers),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
