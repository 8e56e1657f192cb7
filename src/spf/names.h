/*
 * Domain names and DNS answer classes as SPF sees them (RFC 7208 §4.3,
 * §4.6.4). Shared by the evaluator and the analyzer.
 */
#ifndef EMAUTH_SPF_NAMES_H
#define EMAUTH_SPF_NAMES_H

#include <stddef.h>
#include <emauth/dns.h>

/* 1 when a[0..alen) equals b[0..blen), ASCII case-insensitively. */
int ea_ieq_n(const char *a, size_t alen, const char *b, size_t blen);

/* 1 when name equals dom or is a subdomain of it (case-insensitive; trailing dots ignored). */
int ea_name_within(const char *name, size_t nlen, const char *dom, size_t dlen);

/*
 * 1 when a DNS query can be made for s (§4.3): labels of 1..63 bytes, 253
 * bytes in all, a trailing dot allowed. multi: at least two labels.
 */
int ea_name_ok(const char *s, size_t len, int multi);

/* NXDOMAIN, NODATA, or OK with no records: a "void lookup" (§4.6.4). */
int ea_answer_void(const emauth_dns_answer *a);

/* SERVFAIL or TIMEOUT: a temporary failure (temperror). */
int ea_answer_error(const emauth_dns_answer *a);

#endif
