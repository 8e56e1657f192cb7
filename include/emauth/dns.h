/*
 * emauth/dns.h - the one DNS answer type, the resolver interface, and the
 * in-memory zone built from RFC 1035 master files.
 *
 * Protocol cores never touch the network: they hand out emauth_dns_question
 * and take emauth_dns_answer. Any resolver (zone, c-ares, cache) produces
 * the same answer type.
 */
#ifndef EMAUTH_DNS_H
#define EMAUTH_DNS_H

#include <stddef.h>
#include <stdint.h>
#include <emauth/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/* RR types understood by emauth (values are the IANA type codes). */
typedef enum emauth_dns_type {
    EMAUTH_DNS_A = 1,
    EMAUTH_DNS_NS = 2,
    EMAUTH_DNS_CNAME = 5,
    EMAUTH_DNS_SOA = 6,
    EMAUTH_DNS_PTR = 12,
    EMAUTH_DNS_MX = 15,
    EMAUTH_DNS_TXT = 16,
    EMAUTH_DNS_AAAA = 28,
    EMAUTH_DNS_SPF = 99
} emauth_dns_type;

/* Mnemonic of a type ("TXT"), or NULL when unknown. */
const char *emauth_dns_type_name(uint16_t type);

/*
 * The class of an answer. NODATA and NXDOMAIN are "void lookups" for SPF.
 * SERVFAIL and TIMEOUT are temporary failures (SPF temperror).
 */
typedef enum emauth_dns_rcode {
    EMAUTH_DNS_OK = 0,       /* records of the asked type follow */
    EMAUTH_DNS_NODATA,       /* the name exists, no records of that type */
    EMAUTH_DNS_NXDOMAIN,     /* the name does not exist */
    EMAUTH_DNS_SERVFAIL,     /* server failure, REFUSED, CNAME loop, malformed answer */
    EMAUTH_DNS_TIMEOUT       /* no answer in time */
} emauth_dns_rcode;

/* "ok", "nodata", "nxdomain", "servfail", "timeout". */
const char *emauth_dns_rcode_name(emauth_dns_rcode rcode);

/*
 * One resource record. Names are in presentation form without the
 * trailing dot, lower-cased as stored ("mail.example.com"); bytes that are
 * not printable or are '.' within a label appear as \DDD escapes.
 */
typedef struct emauth_dns_rr {
    uint16_t type;
    uint32_t ttl;
    union {
        uint8_t a[4];                 /* A, network order */
        uint8_t aaaa[16];             /* AAAA, network order */
        const char *target;           /* PTR, CNAME, NS */
        struct {
            uint16_t preference;
            const char *exchange;     /* "" for a null MX ("0 .") */
        } mx;
        struct {
            const char *data;         /* the character-strings joined, no separator */
            size_t len;               /* may contain NUL bytes: always use len */
            size_t nstrings;          /* how many character-strings (0 is possible) */
        } txt;                        /* TXT and SPF */
        struct {
            const char *mname, *rname;
            uint32_t serial, refresh, retry, expire, minimum;
        } soa;
    } u;
} emauth_dns_rr;

typedef struct emauth_dns_question {
    const char *name;   /* presentation form, no trailing dot */
    uint16_t type;      /* emauth_dns_type */
} emauth_dns_question;

/*
 * An answer. The pointers belong to the resolver and stay valid until the
 * next query on the same resolver or until the resolver is freed (for the
 * zone resolver: as long as the zone lives). Consumers copy what they keep.
 */
typedef struct emauth_dns_answer {
    emauth_dns_rcode rcode;
    const char *why;               /* reason for SERVFAIL/TIMEOUT, or NULL */
    size_t count;                  /* records of the asked type (rcode OK) */
    const emauth_dns_rr *rrs;
    size_t cname_count;            /* CNAMEs followed to reach the answer */
    const char *const *cnames;     /* the targets, in order */
} emauth_dns_answer;

/*
 * The resolver interface: one table of functions. Implementations embed this
 * struct as their first member. query() fills *out and returns EMAUTH_OK for
 * every DNS outcome (NXDOMAIN, timeout, ... are answers, not call failures);
 * a non-OK status means the call itself failed (out of memory, bad name).
 */
typedef struct emauth_resolver emauth_resolver;
struct emauth_resolver {
    emauth_status (*query)(emauth_resolver *self, const emauth_dns_question *q,
                           emauth_dns_answer *out);
    void (*destroy)(emauth_resolver *self);   /* may be NULL for borrowed resolvers */
};

/*
 * Writes rr as one RFC 1035 master-file line, "OWNER. TTL IN TYPE RDATA",
 * without a newline, into buf (NUL-terminated, cut to size); returns the
 * length the whole line needs, like snprintf. Names (presentation form) are
 * written absolute, with bytes that would break the line (space, quotes,
 * parentheses, ';', controls) as \DDD. TXT and SPF data is written as
 * quoted character-strings of at most 255 bytes each, so the line loads
 * back (in NSD, BIND or emauth) as the same data.
 */
size_t emauth_dns_rr_format(const char *owner, const emauth_dns_rr *rr, char *buf, size_t size);

/* ---- In-memory zone (RFC 1035 master files) ---------------------------- */

typedef struct emauth_zone emauth_zone;

/* A new empty zone, or NULL when out of memory. */
emauth_zone *emauth_zone_new(void);
void emauth_zone_free(emauth_zone *zone);

/*
 * Called once per warning while loading (an unsupported RR type skipped,
 * ...). msg names file:line:column. Without a callback warnings are dropped.
 */
typedef void (*emauth_zone_warn_fn)(void *arg, const char *msg);
void emauth_zone_set_warn(emauth_zone *zone, emauth_zone_warn_fn fn, void *arg);

/*
 * Loads a master file: $ORIGIN, $TTL, $INCLUDE (relative to the including
 * file), @, relative and absolute names, \X and \DDD escapes, ( ) across
 * lines, comments, optional TTL and class (IN only); types A AAAA MX TXT
 * SPF PTR CNAME NS SOA; others are skipped with a warning. Test extension:
 * "$TIMEOUT NAME" makes queries for NAME time out, except for the types
 * NAME has records of. On error nothing of this file is kept and err names
 * file:line:column. origin may be NULL (then relative names need $ORIGIN).
 */
emauth_status emauth_zone_load_file(emauth_zone *zone, const char *path,
                                    const char *origin, emauth_error *err);

/* The same for text in memory; name is used in messages ("<string>" if NULL). */
emauth_status emauth_zone_load_string(emauth_zone *zone, const char *text, size_t len,
                                      const char *name, const char *origin,
                                      emauth_error *err);

/*
 * Adds one record. owner is an absolute name in presentation form, with or
 * without the trailing dot, any case. Name fields of rr (target, exchange,
 * SOA names) are taken the same way; TXT data is copied. Used by test
 * drivers that build zones from other formats.
 */
emauth_status emauth_zone_add(emauth_zone *zone, const char *owner, const emauth_dns_rr *rr,
                              emauth_error *err);

/* Marks owner as timing out ($TIMEOUT owner). */
emauth_status emauth_zone_add_timeout(emauth_zone *zone, const char *owner, emauth_error *err);

/*
 * Answers a question from the zone: records of the type, following CNAMEs
 * (at most 16; a loop or a longer chain is SERVFAIL), NODATA vs NXDOMAIN,
 * TIMEOUT for $TIMEOUT names. A name with a label over 63 bytes or over 253
 * bytes in all is SERVFAIL. Lookups are case-insensitive; a trailing dot is
 * ignored. The records point into the zone and stay valid until the zone
 * is changed or freed; the CNAME list is valid until the next query in the
 * same thread. Queries only read the zone: once loaded, it may be queried
 * from several threads at once (not while it is being added to).
 */
emauth_status emauth_zone_query(emauth_zone *zone, const emauth_dns_question *q,
                                emauth_dns_answer *out);

/*
 * A resolver that answers from the zone. It is owned by the zone (do not
 * destroy it; its destroy member is NULL) and lives as long as the zone.
 */
emauth_resolver *emauth_zone_resolver(emauth_zone *zone);

/* Number of owner names in the zone (for diagnostics and tests). */
size_t emauth_zone_name_count(const emauth_zone *zone);

/*
 * Calls fn once per owner name in the zone (canonical text, as queries
 * match it), in the order the names were first added. The zone must not be
 * changed from fn.
 */
typedef void (*emauth_zone_name_fn)(void *arg, const char *name);
void emauth_zone_foreach_name(const emauth_zone *zone, emauth_zone_name_fn fn, void *arg);

/* ---- Live DNS (c-ares) ---------------------------------------------------- */

typedef struct emauth_dns_options {
    const char *const *nameservers;  /* "ADDR", "ADDR:PORT", "[IPV6]:PORT"; none = /etc/resolv.conf */
    size_t nameserver_count;
    unsigned timeout_ms;             /* per try (2000) */
    unsigned tries;                  /* per server (2) */
    size_t cache_entries;            /* answers kept; 0 = no cache (100000) */
    uint32_t max_ttl;                /* cap on cached TTLs, seconds (86400) */
} emauth_dns_options;

/* Fills in the defaults shown above. */
void emauth_dns_options_default(emauth_dns_options *opts);

/*
 * A blocking resolver over c-ares, with a TTL-bounded cache of its own when
 * opts->cache_entries > 0. EDNS0, TCP on truncation. SERVFAIL and REFUSED
 * answer EMAUTH_DNS_SERVFAIL, no answer in time EMAUTH_DNS_TIMEOUT, each
 * with its reason in why. Free with resolver->destroy(resolver).
 */
emauth_status emauth_ares_resolver_new(const emauth_dns_options *opts, emauth_resolver **out,
                                       emauth_error *err);

/* Counters of a live resolver or async engine. Latencies are of network queries. */
typedef struct emauth_dns_stats {
    uint64_t questions;      /* asked by the protocol cores */
    uint64_t cache_hits;     /* answered from the cache */
    uint64_t joined;         /* answered by a query already in flight */
    uint64_t queries;        /* sent to the network */
    uint64_t timeouts;
    uint64_t failures;       /* SERVFAIL, REFUSED, other errors */
    double latency_ms_p50, latency_ms_p90, latency_ms_p99, latency_ms_max;
} emauth_dns_stats;

#ifdef __cplusplus
}
#endif
#endif
