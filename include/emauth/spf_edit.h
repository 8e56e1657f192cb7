/*
 * emauth/spf_edit.h - editing a domain's SPF record: adding terms (a
 * provider's include:, an ip4: range) to the one record it may publish, and
 * flattening its include tree into ip4:/ip6: ranges that stay within the
 * limits (RFC 7208 §4.6.4: 10 DNS lookups; RFC 1035 §2.3.4: 255-byte
 * character-strings, 512-byte UDP answers), with a drift check of a set
 * flattened earlier.
 *
 * The editor is sans-I/O like the evaluator and the analyzer: start an
 * operation, then emauth_spf_editor_next() says which DNS question it needs
 * and emauth_spf_editor_answer() gives the answer, until next() returns
 * EMAUTH_OK and the result can be read. emauth_spf_editor_run() is the
 * blocking loop over an emauth_resolver. Lookup costs and authorized ranges
 * come from the analyzer (emauth/spf_lint.h), run inside the editor.
 *
 * Three separate things, as everywhere in emauth: the status says whether
 * the call worked (a bad term given by the caller is EMAUTH_ERR_SYNTAX with
 * the term and column in the error); the result says whether the edit was
 * done or refused (several records published, over the lookup limit, a
 * policy that is not a plain union, ...); the reason says why.
 */
#ifndef EMAUTH_SPF_EDIT_H
#define EMAUTH_SPF_EDIT_H

#include <stddef.h>
#include <stdint.h>
#include <emauth/dns.h>
#include <emauth/error.h>
#include <emauth/ip.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Terms one add may take, and the longest term (bytes). */
#define EMAUTH_EDIT_MAX_TERMS 64
#define EMAUTH_EDIT_MAX_TERM_LEN 512
/* Ranges a flattening may hold (more is refused as "too-large"). */
#define EMAUTH_EDIT_MAX_RANGES 4096

/* Limits of the records produced; a caller may tighten them. */
typedef struct emauth_spf_edit_limits {
    unsigned dns_lookups;     /* DNS-querying terms allowed (10, RFC 7208 §4.6.4) */
    size_t udp_size;          /* largest TXT answer, bytes (512, RFC 1035 §2.3.4) */
    uint32_t ttl;             /* TTL of the master-file lines (3600) */
} emauth_spf_edit_limits;

/* Fills in the defaults shown above. */
void emauth_spf_edit_limits_default(emauth_spf_edit_limits *limits);

/* One TXT record to publish. */
typedef struct emauth_spf_txt {
    const char *owner;        /* "example.com", "_spf1.example.com" (no trailing dot) */
    const char *record;       /* the SPF record text */
    size_t record_len;
    const char *zone_line;    /* "OWNER. TTL IN TXT \"...\"" (emauth_dns_rr_format) */
    size_t answer_size;       /* estimated UDP answer to "OWNER TXT", bytes, counting
                                 the other TXT records already published there */
    unsigned lookups;         /* DNS-querying terms in this record */
    size_t nranges;           /* ip4:/ip6: terms in this record */
} emauth_spf_txt;

/*
 * The result of an add, a flatten or a check. Everything is owned by the
 * editor and valid until the next start or free. Fields an operation does
 * not produce are NULL / 0.
 *
 * refused is NULL when the edit was done, else one of these stable codes:
 *   no-record          flatten/check: the domain publishes no SPF record
 *   multiple-records   the domain publishes several: they must be fixed first
 *   syntax             the published record does not parse (column is set)
 *   dns-error          the record could not be looked up (servfail, timeout)
 *   conflicting-all    add: an all term other than the record's own
 *   added-term-error   add: an added term would make the record fail for
 *                      every receiver (an include with no record, ...)
 *   too-many-lookups   add: the merged record needs more than the limit
 *   not-a-union        flatten: the policy is not a plain union of ranges
 *                      (the analyzer's reason)
 *   too-large          flatten: the ranges do not fit in the chained records
 *   published-set      check: the flattened set cannot be analyzed
 *   source-unknown     check: the domain publishes the flattened set itself
 *                      and no source record was given
 */
typedef struct emauth_spf_edit_result {
    const char *domain;            /* lower-cased; NULL for a record given alone */
    const char *record;            /* the record edited (published or given); NULL when
                                      the domain had none */
    const char *refused;           /* NULL: done; else a code above */
    const char *reason;            /* why refused, one line; NULL when done */
    unsigned column;               /* "syntax": 1-based column in record; else 0 */

    /* add */
    const char *merged;            /* the merged record */
    size_t nadded;
    const char *const *added;      /* terms added, as given */
    size_t nskipped;
    const char *const *skipped;    /* terms already present (case-insensitive), as given */
    size_t nwarnings;
    const char *const *warnings;   /* errors the analyzer found in the merged record
                                      (besides the lookup count), an answer over
                                      udp_size: published anyway, but worth a look */

    /* add and flatten */
    unsigned lookups;              /* add: DNS lookups of the merged record;
                                      flatten, check: of the source record */
    int flattened;                 /* publish is a flattened set */
    size_t nranges;
    const emauth_cidr *ranges;     /* flattened / check: what the source authorizes now,
                                      merged, IPv4 first */
    size_t npublish;
    const emauth_spf_txt *publish; /* the records to publish, the domain's first: the
                                      merged record, or the flattened chain */
    unsigned publish_lookups;      /* DNS lookups of the published set */

    /* check */
    size_t nprevious;
    const emauth_cidr *previous;   /* what the flattened set authorizes */
    int drift;                     /* 1 when ranges and previous differ */
    size_t ngained;
    const emauth_cidr *gained;     /* authorized by the source now, missing from the set */
    size_t nlost;
    const emauth_cidr *lost;       /* in the set, no longer authorized by the source */
} emauth_spf_edit_result;

typedef struct emauth_spf_editor emauth_spf_editor;

/* A new editor; reuse it for many operations. */
emauth_status emauth_spf_editor_new(emauth_spf_editor **out);
void emauth_spf_editor_free(emauth_spf_editor *e);

/*
 * Adding terms. Each term is validated with the record parser (a bad one
 * fails the call with EMAUTH_ERR_SYNTAX, err naming the term and the
 * column in it); only mechanisms may be added (no modifiers). New terms
 * go before the record's first all, else before its first redirect= or
 * exp=, else at the end; the record's text is otherwise kept byte for
 * byte (qualifiers, order, spacing). A term equal to one present (same
 * qualifier, kind, case-insensitive domain-spec, same range) is skipped.
 * An all term is added only to a record without one (placed after the
 * other new terms); a different all is refused ("conflicting-all").
 *
 * record NULL: the domain's record is looked up. When it has none, the
 * record starts as "v=spf1 TERM... ~all", with "mx" first when the domain
 * has MX records (a null MX does not count). Several records, a syntax
 * error or a DNS failure are refused.
 *
 * The merged record is then analyzed (at domain, or with domain NULL a
 * and mx are not resolved): an error at an added term (an include of a
 * name without SPF record, a loop, ...) is refused ("added-term-error"),
 * since receivers would then return permerror for every message; over
 * limits->dns_lookups it is refused with
 * the count and the costliest includes, unless flatten is set: then it is
 * flattened as emauth_spf_flatten_start() does and publish holds the
 * flattened set.
 */
typedef struct emauth_spf_add_request {
    const char *domain;            /* needed unless record is given */
    const char *record;            /* NULL: look it up */
    size_t record_len;
    const char *const *terms;      /* at most EMAUTH_EDIT_MAX_TERMS */
    size_t nterms;
    int flatten;                   /* over the limit: flatten instead of refusing */
    const emauth_spf_edit_limits *limits;   /* NULL = defaults */
} emauth_spf_add_request;

/*
 * Starts an add (the request is copied). Fails with EMAUTH_ERR_SYNTAX for a
 * bad term or a given record that does not parse, EMAUTH_ERR_INVALID for a
 * missing or malformed domain, no terms, or a modifier term,
 * EMAUTH_ERR_LIMIT for too many or too long terms.
 */
emauth_status emauth_spf_add_start(emauth_spf_editor *e, const emauth_spf_add_request *req,
                                   emauth_error *err);

/*
 * Flattening. The domain's record (record NULL: looked up; else record,
 * len bytes, analyzed as if published at domain) is analyzed; the merged
 * ranges its tree authorizes (emauth_lint_authorized(); refused as
 * "not-a-union" with the analyzer's reason when the policy is not a plain
 * union) become ip4:/ip6: terms (a single address as ip4:a.b.c.d, without
 * /32), followed by the '-', '~', '?' ip4:/ip6: terms of the record and of
 * the records it redirects to, in order (they keep their verdicts), and by
 * the final all of that chain (its qualifier kept; "~all" when it has none),
 * and the record's exp= when the all is its own.
 *
 * When one record cannot hold all the terms within limits->udp_size (the
 * answer estimated as 12 + question + per record 10 + 2 + rdlength, the
 * other TXT records at the domain included), the records are chained: the
 * domain's holds the first ranges and "include:_spf1.DOMAIN", which holds
 * more and "include:_spf2.DOMAIN", ..., each within the size limit, at
 * most limits->dns_lookups includes in all. Included records end without
 * an all: an include that does not pass (neutral) simply does not match,
 * while the domain's record keeps its final all. Character-strings are cut
 * at 255 bytes in the zone lines.
 */
emauth_status emauth_spf_flatten_start(emauth_spf_editor *e, const char *domain,
                                       const char *record, size_t record_len,
                                       const emauth_spf_edit_limits *limits, emauth_error *err);

/*
 * Drift check of a flattened set. published holds the set (as flatten
 * printed it, loaded with emauth_zone_load_file()); what it authorizes for
 * domain is analyzed right away from that zone (no DNS). The source record
 * (record NULL: the domain's record now, which must not be the flattened
 * one itself) is then analyzed over the resolver the caller drives, and
 * the result gives both sets and their differences (gained, lost). The zone
 * is only read, during this call.
 */
emauth_status emauth_spf_flatten_check_start(emauth_spf_editor *e, const char *domain,
                                             emauth_zone *published, const char *record,
                                             size_t record_len,
                                             const emauth_spf_edit_limits *limits,
                                             emauth_error *err);

/*
 * Advances the operation. EMAUTH_NEED_DNS: *q is the question to answer
 * (valid until the answer is given). EMAUTH_OK: finished, read the result.
 * EMAUTH_ERR_INVALID when no operation was started, EMAUTH_ERR_NOMEM.
 */
emauth_status emauth_spf_editor_next(emauth_spf_editor *e, const emauth_dns_question **q);

/* Gives the answer to the pending question; what is kept is copied. */
emauth_status emauth_spf_editor_answer(emauth_spf_editor *e, const emauth_dns_answer *a);

/* Runs next()/answer() against a blocking resolver until done. */
emauth_status emauth_spf_editor_run(emauth_spf_editor *e, emauth_resolver *resolver);

/* The result once next() returned EMAUTH_OK, else NULL; valid until the next start or free. */
const emauth_spf_edit_result *emauth_spf_editor_result(const emauth_spf_editor *e);

/*
 * Estimated size of the UDP answer to "owner TXT" holding one record of
 * record_len bytes (cut into 255-byte strings) beside other TXT records
 * whose RDATA totals other_rdata bytes in nother records: 12 (header) +
 * the question (name + 2 + 4) + for each record 12 (compressed owner,
 * type, class, TTL, rdlength) + its RDATA. Conservative: escaped bytes in
 * owner count as written.
 */
size_t emauth_spf_txt_answer_size(const char *owner, size_t record_len, size_t other_rdata,
                                  size_t nother);

#ifdef __cplusplus
}
#endif
#endif
