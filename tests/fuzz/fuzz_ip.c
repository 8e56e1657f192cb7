/*
 * IP addresses and ranges (emauth/ip.h): emauth_ip_parse(),
 * emauth_ip_parse_family(), emauth_ip_format(), emauth_cidr_*().
 *
 * Input: the address text up to the first NUL; after it, a list of
 * ranges, each a family byte (odd: IPv6), 4 or 16 address bytes and a
 * prefix byte.
 *
 * Invariants: a parsed address formats to text that parses back to it
 * (RFC 5952 text for IPv6); parse_family agrees with parse. Merging
 * ranges keeps the set of addresses covered: every original range lies
 * within a merged one, both ends of every merged range lie within an
 * original one, every merged range is normalised and none lies within
 * another.
 */
#include <stdlib.h>
#include <string.h>

#include <emauth/ip.h>
#include "fuzz_util.h"

#define RANGES_MAX 64

static int ip_eq(const emauth_ip *a, const emauth_ip *b)
{
    return a->family == b->family && memcmp(a->addr, b->addr, a->family == 4 ? 4 : 16) == 0;
}

static void addresses(const char *text, size_t len)
{
    emauth_ip ip, back, fam;
    emauth_error err;
    memset(&ip, 0, sizeof ip);
    if (emauth_ip_parse(text, len, &ip, &err) != EMAUTH_OK) {
        fz_touch(err.message);
    } else {
        if (ip.family != 4 && ip.family != 6)
            abort();
        char buf[EMAUTH_IP_TEXT_MAX + 1];
        size_t n = emauth_ip_format(&ip, buf, sizeof buf);
        memset(&back, 0, sizeof back);
        if (n != strlen(buf) || n > EMAUTH_IP_TEXT_MAX ||
            emauth_ip_parse(buf, n, &back, &err) != EMAUTH_OK || !ip_eq(&ip, &back))
            abort();
        if (!emauth_ip_match(&ip, &back, ip.family == 4 ? 32 : 128))
            abort();
    }
    for (int f = 4; f <= 6; f += 2) {
        memset(&fam, 0, sizeof fam);
        if (emauth_ip_parse_family(text, len, f, &fam) == EMAUTH_OK) {
            if (fam.family != f)
                abort();
            /* A mapped address is IPv4 to parse(), IPv6 to parse_family(6). */
            if (f == 4 && !ip_eq(&fam, &ip))
                abort();
        }
    }
}

static void ranges(fz_in *in)
{
    emauth_cidr v[RANGES_MAX], orig[RANGES_MAX];
    size_t n = 0;
    while (in->len > 0 && n < RANGES_MAX) {
        emauth_ip ip;
        memset(&ip, 0, sizeof ip);
        ip.family = fz_u8(in) & 1 ? 6 : 4;
        for (size_t i = 0; i < (ip.family == 4 ? 4u : 16u); i++)
            ip.addr[i] = fz_u8(in);
        v[n] = emauth_cidr_make(&ip, fz_u8(in));
        if (v[n].prefix > (ip.family == 4 ? 32u : 128u))
            abort();
        orig[n] = v[n];
        n++;
    }
    size_t m = emauth_cidr_merge(v, n);
    if (m > n)
        abort();
    for (size_t i = 0; i < m; i++) {
        emauth_cidr norm = emauth_cidr_make(&v[i].ip, v[i].prefix);
        if (!ip_eq(&norm.ip, &v[i].ip) || norm.prefix != v[i].prefix)
            abort();
        for (size_t j = 0; j < m; j++)
            if (i != j && emauth_cidr_contains(&v[i], &v[j]))
                abort();
        char buf[64];
        if (emauth_cidr_format(&v[i], buf, sizeof buf) >= sizeof buf)
            abort();
    }
    for (size_t i = 0; i < n; i++) {
        size_t j = 0;
        while (j < m && !emauth_cidr_contains(&v[j], &orig[i]))
            j++;
        if (j == m)
            abort();
    }
    /* Nothing added: both ends of every merged range lie in an original one. */
    for (size_t j = 0; j < m; j++) {
        emauth_cidr first = {v[j].ip, v[j].ip.family == 4 ? 32u : 128u}, last = first;
        for (unsigned b = v[j].prefix; b < first.prefix; b++)
            last.ip.addr[b / 8] |= (uint8_t)(0x80u >> (b % 8));
        int f = 0, l = 0;
        for (size_t i = 0; i < n; i++) {
            f |= emauth_cidr_contains(&orig[i], &first);
            l |= emauth_cidr_contains(&orig[i], &last);
        }
        if (!f || !l)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in in = {data, size};
    const uint8_t *p;
    size_t len = fz_piece(&in, '\0', &p);
    char *text = fz_dup_exact(p, len);
    addresses(text, len);
    ranges(&in);
    free(text);
    return 0;
}
