/* Latency histogram with geometric buckets: 8% resolution, fixed memory. */
#include <math.h>
#include <string.h>

#include "dns/stats.h"

#define LAT_BASE_US 10.0
#define LAT_GROWTH 1.08

static unsigned bucket_of(uint64_t us)
{
    if (us <= LAT_BASE_US)
        return 0;
    double b = log((double)us / LAT_BASE_US) / log(LAT_GROWTH);
    return b >= EA_LAT_BUCKETS - 1 ? EA_LAT_BUCKETS - 1 : (unsigned)b + 1;
}

void ea_stats_query(ea_stats *s, emauth_dns_rcode rcode, uint64_t elapsed_us)
{
    s->c.queries++;
    if (rcode == EMAUTH_DNS_TIMEOUT)
        s->c.timeouts++;
    else if (rcode == EMAUTH_DNS_SERVFAIL)
        s->c.failures++;
    s->lat[bucket_of(elapsed_us)]++;
    if (elapsed_us > s->lat_max_us)
        s->lat_max_us = elapsed_us;
}

/* Upper edge of bucket b, in milliseconds. */
static double bucket_ms(unsigned b)
{
    return LAT_BASE_US * pow(LAT_GROWTH, b) / 1000.0;
}

static double percentile(const ea_stats *s, uint64_t total, double p)
{
    if (total == 0)
        return 0;
    uint64_t want = (uint64_t)ceil(p * (double)total), seen = 0;
    for (unsigned b = 0; b < EA_LAT_BUCKETS; b++) {
        seen += s->lat[b];
        if (seen >= want) {
            double ms = bucket_ms(b), max = (double)s->lat_max_us / 1000.0;
            return ms < max ? ms : max;
        }
    }
    return (double)s->lat_max_us / 1000.0;
}

void ea_stats_read(const ea_stats *s, emauth_dns_stats *out)
{
    *out = s->c;
    uint64_t total = 0;
    for (unsigned b = 0; b < EA_LAT_BUCKETS; b++)
        total += s->lat[b];
    out->latency_ms_p50 = percentile(s, total, 0.50);
    out->latency_ms_p90 = percentile(s, total, 0.90);
    out->latency_ms_p99 = percentile(s, total, 0.99);
    out->latency_ms_max = (double)s->lat_max_us / 1000.0;
}
