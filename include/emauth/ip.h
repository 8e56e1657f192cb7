/*
 * emauth/ip.h - IP addresses as SPF sees them.
 */
#ifndef EMAUTH_IP_H
#define EMAUTH_IP_H

#include <stddef.h>
#include <stdint.h>
#include <emauth/error.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct emauth_ip {
    int family;          /* 4 or 6 */
    uint8_t addr[16];    /* network order; IPv4 uses the first 4 bytes */
} emauth_ip;

/*
 * Parses an IPv4 dotted quad or IPv6 text (any case, "::" compression,
 * embedded IPv4 tail). An IPv4-mapped IPv6 address (::ffff:a.b.c.d) becomes
 * the IPv4 address, as RFC 7208 §5 requires. len bytes are read; no NUL is
 * needed. Leading zeros in IPv4 octets are refused (ambiguous).
 */
emauth_status emauth_ip_parse(const char *text, size_t len, emauth_ip *out, emauth_error *err);

/* Parses only IPv4 (family 4) or only IPv6 text (family 6, mapped form kept). */
emauth_status emauth_ip_parse_family(const char *text, size_t len, int family, emauth_ip *out);

/* Writes the address as text (RFC 5952 for IPv6) into buf; returns the length. */
size_t emauth_ip_format(const emauth_ip *ip, char *buf, size_t size);

/* 1 when the first prefix bits of a and b are equal (same family), else 0. */
int emauth_ip_match(const emauth_ip *a, const emauth_ip *b, unsigned prefix);

#define EMAUTH_IP_TEXT_MAX 46

/* An address range: a network address and a prefix length. */
typedef struct emauth_cidr {
    emauth_ip ip;        /* host bits cleared by emauth_cidr_make() and the merge */
    unsigned prefix;     /* 0-32 or 0-128 */
} emauth_cidr;

/* ip/prefix with the host bits cleared; prefix is capped at the family's width. */
emauth_cidr emauth_cidr_make(const emauth_ip *ip, unsigned prefix);

/* 1 when inner lies within outer (same family), else 0. */
int emauth_cidr_contains(const emauth_cidr *outer, const emauth_cidr *inner);

/*
 * Sorts v (IPv4 first, then by address and prefix) and merges it in place:
 * ranges contained in others are dropped and two halves of one range are
 * joined into it, repeatedly. Returns the new count. The set of addresses
 * covered is unchanged.
 */
size_t emauth_cidr_merge(emauth_cidr *v, size_t n);

/* "192.0.2.0/24" or "2001:db8::/32" into buf; returns the length, like snprintf. */
size_t emauth_cidr_format(const emauth_cidr *c, char *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif
