/* Private: DNS counters and a latency histogram for percentiles. */
#ifndef EMAUTH_DNS_STATS_H
#define EMAUTH_DNS_STATS_H

#include <stdint.h>
#include <emauth/dns.h>

#define EA_LAT_BUCKETS 240   /* 10 us * 1.08^240 > 100 s */

typedef struct ea_stats {
    emauth_dns_stats c;                  /* counters; latency fields filled on read */
    uint64_t lat[EA_LAT_BUCKETS];
    uint64_t lat_max_us;
} ea_stats;

/* Records one network query: its answer class and how long it took. */
void ea_stats_query(ea_stats *s, emauth_dns_rcode rcode, uint64_t elapsed_us);

/* Copies the counters with latency percentiles computed. */
void ea_stats_read(const ea_stats *s, emauth_dns_stats *out);

#endif
