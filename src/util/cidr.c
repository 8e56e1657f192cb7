/* Address ranges: normalising, containment, merging (emauth/ip.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <emauth/ip.h>

static unsigned width(const emauth_ip *ip)
{
    return ip->family == 4 ? 32 : 128;
}

emauth_cidr emauth_cidr_make(const emauth_ip *ip, unsigned prefix)
{
    emauth_cidr c;
    memset(&c, 0, sizeof c);
    c.ip.family = ip->family;
    c.prefix = prefix > width(ip) ? width(ip) : prefix;
    unsigned whole = c.prefix / 8, rest = c.prefix % 8;
    memcpy(c.ip.addr, ip->addr, whole);
    if (rest)
        c.ip.addr[whole] = (uint8_t)(ip->addr[whole] & (0xff << (8 - rest)));
    return c;
}

int emauth_cidr_contains(const emauth_cidr *outer, const emauth_cidr *inner)
{
    return outer->ip.family == inner->ip.family && outer->prefix <= inner->prefix &&
           emauth_ip_match(&outer->ip, &inner->ip, outer->prefix);
}

static int cmp(const void *a, const void *b)
{
    const emauth_cidr *x = a, *y = b;
    if (x->ip.family != y->ip.family)
        return x->ip.family - y->ip.family;
    int c = memcmp(x->ip.addr, y->ip.addr, 16);
    if (c != 0)
        return c;
    return (int)x->prefix - (int)y->prefix;
}

/* 1 when a and b are the two halves of one range one bit shorter. */
static int siblings(const emauth_cidr *a, const emauth_cidr *b)
{
    if (a->ip.family != b->ip.family || a->prefix != b->prefix || a->prefix == 0)
        return 0;
    emauth_cidr pa = emauth_cidr_make(&a->ip, a->prefix - 1);
    emauth_cidr pb = emauth_cidr_make(&b->ip, b->prefix - 1);
    return memcmp(pa.ip.addr, pb.ip.addr, 16) == 0 && memcmp(a->ip.addr, b->ip.addr, 16) != 0;
}

size_t emauth_cidr_merge(emauth_cidr *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        v[i] = emauth_cidr_make(&v[i].ip, v[i].prefix);
    int changed = 1;
    while (changed && n > 1) {
        changed = 0;
        qsort(v, n, sizeof *v, cmp);
        size_t out = 0;
        for (size_t i = 0; i < n; i++) {
            if (out > 0 && emauth_cidr_contains(&v[out - 1], &v[i])) {
                changed = 1;
                continue;
            }
            if (out > 0 && siblings(&v[out - 1], &v[i])) {
                v[out - 1] = emauth_cidr_make(&v[out - 1].ip, v[out - 1].prefix - 1);
                changed = 1;
                continue;
            }
            v[out++] = v[i];
        }
        n = out;
    }
    return n;
}

size_t emauth_cidr_format(const emauth_cidr *c, char *buf, size_t size)
{
    char ip[EMAUTH_IP_TEXT_MAX];
    emauth_ip_format(&c->ip, ip, sizeof ip);
    int n = snprintf(buf, size, "%s/%u", ip, c->prefix);
    return n < 0 ? 0 : (size_t)n;
}
