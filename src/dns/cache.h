/*
 * A bounded DNS answer cache: TTLs honoured, negative answers cached for
 * their SOA-derived TTL (RFC 2308), least recently used entries evicted
 * past the size bound. SERVFAIL and timeouts are never cached.
 */
#ifndef EMAUTH_DNS_CACHE_H
#define EMAUTH_DNS_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include <emauth/dns.h>

typedef struct ea_cache ea_cache;

/* max_entries > 0; TTLs above max_ttl seconds are capped. The copies take
 * at most max_entries x 2 KiB in all (least recently used dropped first).
 * NULL when out of memory. */
ea_cache *ea_cache_new(size_t max_entries, uint32_t max_ttl);
void ea_cache_free(ea_cache *c);

/*
 * Looks q up at time now_ms (any monotonic clock in milliseconds). On a hit
 * fills *out, which points into the cache and stays valid until the next
 * ea_cache_put(), and returns 1; else 0. Expired entries are dropped.
 */
int ea_cache_get(ea_cache *c, const emauth_dns_question *q, uint64_t now_ms,
                 emauth_dns_answer *out);

/*
 * Stores a deep copy of a for ttl seconds. OK, NODATA and NXDOMAIN answers
 * only, and only with ttl > 0; anything else is silently not cached.
 */
emauth_status ea_cache_put(ea_cache *c, const emauth_dns_question *q, const emauth_dns_answer *a,
                           uint32_t ttl, uint64_t now_ms);

size_t ea_cache_count(const ea_cache *c);

/* A deep copy of a in one malloc() block: free() releases it all. NULL when
 * out of memory. The reason (why) is kept: reasons are static strings. */
emauth_dns_answer *ea_answer_clone(const emauth_dns_answer *a);

#endif
