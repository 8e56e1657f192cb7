/* Private: DNS response messages to emauth_dns_answer (wire.c). */
#ifndef EMAUTH_DNS_WIRE_H
#define EMAUTH_DNS_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include <emauth/dns.h>
#include "util/arena.h"

#define EA_WIRE_CNAME_MAX 16     /* CNAME hops followed inside one answer */
#define EA_WIRE_NAME_MAX 1023    /* presentation-form names (escapes included) */

/*
 * Parses the response msg[0..len) to question q into out; records and
 * names are allocated from arena (names lower-cased, without the trailing
 * dot). *ttl is how long the answer may be cached: the smallest TTL of the
 * records kept, or for NODATA/NXDOMAIN the SOA TTL capped by its MINIMUM
 * (RFC 2308), 0 when not cacheable. A malformed message becomes a
 * SERVFAIL answer whose why says so. Returns EMAUTH_ERR_NOMEM or EMAUTH_OK.
 */
emauth_status ea_wire_parse(const unsigned char *msg, size_t len, const emauth_dns_question *q,
                            ea_arena *arena, emauth_dns_answer *out, uint32_t *ttl);

#endif
