/*
 * RFC 1035 master files: emauth_zone_load_string(), then every loaded
 * name queried for each supported type (emauth_zone_query()), each record
 * written back as a master-file line (emauth_dns_rr_format()).
 *
 * Input: one flags byte (bit 0: load with origin "example.com"), then the
 * zone text. "$INCLUDE" is defused first (it would read files).
 *
 * Invariants: an OK answer holds only records of the type asked; the
 * formatted lines load into a fresh zone and answer the same records
 * (emauth_dns_rr_format() promises that they load back as the same data).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <emauth/dns.h>
#include "fuzz_util.h"
#include "util/buf.h"

#define NAMES_MAX 32

static const uint16_t types[] = {EMAUTH_DNS_A,   EMAUTH_DNS_AAAA, EMAUTH_DNS_MX,
                                 EMAUTH_DNS_TXT, EMAUTH_DNS_SPF,  EMAUTH_DNS_PTR,
                                 EMAUTH_DNS_CNAME, EMAUTH_DNS_NS, EMAUTH_DNS_SOA};
#define NTYPES (sizeof types / sizeof types[0])

typedef struct names {
    char *v[NAMES_MAX];
    size_t n;
} names;

static void collect(void *arg, const char *name)
{
    names *ns = arg;
    if (ns->n < NAMES_MAX)
        ns->v[ns->n++] = fz_dup(name, strlen(name));
}

static int str_eq(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

static int rr_eq(const emauth_dns_rr *a, const emauth_dns_rr *b)
{
    if (a->type != b->type || a->ttl != b->ttl)
        return 0;
    switch (a->type) {
    case EMAUTH_DNS_A: return memcmp(a->u.a, b->u.a, 4) == 0;
    case EMAUTH_DNS_AAAA: return memcmp(a->u.aaaa, b->u.aaaa, 16) == 0;
    case EMAUTH_DNS_MX:
        return a->u.mx.preference == b->u.mx.preference &&
               str_eq(a->u.mx.exchange, b->u.mx.exchange);
    case EMAUTH_DNS_TXT:
    case EMAUTH_DNS_SPF:
        return a->u.txt.len == b->u.txt.len &&
               (a->u.txt.len == 0 || memcmp(a->u.txt.data, b->u.txt.data, a->u.txt.len) == 0);
    case EMAUTH_DNS_SOA:
        return str_eq(a->u.soa.mname, b->u.soa.mname) && str_eq(a->u.soa.rname, b->u.soa.rname) &&
               a->u.soa.serial == b->u.soa.serial && a->u.soa.refresh == b->u.soa.refresh &&
               a->u.soa.retry == b->u.soa.retry && a->u.soa.expire == b->u.soa.expire &&
               a->u.soa.minimum == b->u.soa.minimum;
    default: return str_eq(a->u.target, b->u.target);
    }
}

/* Is this an answer to compare: records of the name itself, no CNAME in between. */
static int plain_ok(const emauth_dns_answer *a, uint16_t type)
{
    if (a->rcode != EMAUTH_DNS_OK)
        return 0;
    if (a->count == 0)
        abort();
    for (size_t i = 0; i < a->count; i++)
        if (a->rrs[i].type != type)
            abort();
    return a->cname_count == 0;
}

/* Defuses "$INCLUDE" (any case) so that a load never opens a file. */
static void defuse_include(char *t, size_t n)
{
    static const char word[] = "$include";
    for (size_t i = 0; i + 8 <= n; i++) {
        size_t k = 0;
        while (k < 8 && (t[i + k] | 0x20) == (word[k] | (k ? 0x20 : 0)))
            k++;
        if (k == 8)
            t[i + 1] = 'X';
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in in = {data, size};
    uint8_t flags = fz_u8(&in);
    char *text = fz_dup_exact(in.p, in.len);
    defuse_include(text, in.len);

    emauth_zone *z = emauth_zone_new();
    if (z == NULL)
        abort();
    emauth_error err;
    const char *origin = flags & 1 ? "example.com" : NULL;
    emauth_status st = emauth_zone_load_string(z, text, in.len, "fuzz", origin, &err);
    if (st != EMAUTH_OK) {
        fz_touch(err.message);
        if (emauth_zone_name_count(z) != 0)
            abort();   /* a failed load keeps nothing */
    }

    names ns = {{0}, 0};
    emauth_zone_foreach_name(z, collect, &ns);

    /* Every record of every (name, type) with a plain answer, as master-file lines. */
    ea_buf lines;
    ea_buf_init(&lines);
    char line[512];
    for (size_t i = 0; i < ns.n; i++) {
        for (size_t t = 0; t < NTYPES; t++) {
            emauth_dns_question q = {ns.v[i], types[t]};
            emauth_dns_answer a;
            if (emauth_zone_query(z, &q, &a) != EMAUTH_OK)
                abort();
            fz_touch(a.why);
            for (size_t c = 0; c < a.cname_count; c++)
                fz_touch(a.cnames[c]);
            if (!plain_ok(&a, types[t]))
                continue;
            for (size_t r = 0; r < a.count; r++) {
                size_t n = emauth_dns_rr_format(ns.v[i], &a.rrs[r], line, sizeof line);
                if (n >= sizeof line) {
                    char *big = malloc(n + 1);
                    if (big == NULL || emauth_dns_rr_format(ns.v[i], &a.rrs[r], big, n + 1) != n)
                        abort();
                    if (ea_buf_append(&lines, big, n) != 0)
                        abort();
                    free(big);
                } else if (ea_buf_append(&lines, line, n) != 0) {
                    abort();
                }
                if (ea_buf_putc(&lines, '\n') != 0)
                    abort();
            }
        }
    }

    /* The lines load back as the same records. */
    emauth_zone *z2 = emauth_zone_new();
    if (z2 == NULL)
        abort();
    if (emauth_zone_load_string(z2, lines.data, lines.len, "formatted", NULL, &err) != EMAUTH_OK) {
        fprintf(stderr, "formatted zone does not load: %s\n%s\n", err.message,
                ea_buf_cstr(&lines));
        abort();
    }
    for (size_t i = 0; i < ns.n; i++) {
        for (size_t t = 0; t < NTYPES; t++) {
            emauth_dns_question q = {ns.v[i], types[t]};
            emauth_dns_answer a, b;
            if (emauth_zone_query(z, &q, &a) != EMAUTH_OK || !plain_ok(&a, types[t]))
                continue;
            if (emauth_zone_query(z2, &q, &b) != EMAUTH_OK || b.rcode != EMAUTH_DNS_OK ||
                b.count != a.count)
                abort();
            for (size_t r = 0; r < a.count; r++)
                if (!rr_eq(&a.rrs[r], &b.rrs[r])) {
                    fprintf(stderr, "record %zu of %s/%u differs after a round trip\n", r,
                            ns.v[i], types[t]);
                    abort();
                }
        }
    }

    emauth_zone_free(z2);
    ea_buf_free(&lines);
    for (size_t i = 0; i < ns.n; i++)
        free(ns.v[i]);
    emauth_zone_free(z);
    free(text);
    return 0;
}
