/*
 * emauth/spf_lint.h - the SPF analyzer: a domain's whole include/redirect
 * tree, what it costs in DNS lookups, what it authorizes, and what is
 * wrong with it.
 *
 * Unlike check_host(), which stops at the first match and at the limits,
 * the analyzer walks every branch, past the 10-lookup limit too (bounded by
 * EMAUTH_LINT_MAX_NODES), so a domain owner sees the whole cost. It is
 * sans-I/O like the evaluator: next() says which DNS question it needs,
 * answer() gives the answer, until next() returns EMAUTH_OK.
 */
#ifndef EMAUTH_SPF_LINT_H
#define EMAUTH_SPF_LINT_H

#include <stddef.h>
#include <stdint.h>
#include <emauth/dns.h>
#include <emauth/error.h>
#include <emauth/ip.h>
#include <emauth/spf.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Walks at most this many records (nodes); the rest is reported as cut. */
#define EMAUTH_LINT_MAX_NODES 64

typedef enum emauth_lint_severity {
    EMAUTH_LINT_ERROR = 0,   /* the record yields permerror, or will for some senders */
    EMAUTH_LINT_WARNING,     /* legal but risky */
    EMAUTH_LINT_INFO
} emauth_lint_severity;

/* "error", "warning", "info". */
const char *emauth_lint_severity_name(emauth_lint_severity s);

/*
 * One problem. code is stable (documented in docs/spf-lint.md): no-record,
 * multiple-records, syntax, too-many-lookups, void-lookups, include-loop,
 * include-no-record, include-permerror, mx-too-many, ptr-deprecated,
 * permissive-all, no-all, all-not-last, redirect-ignored, duplicate-term,
 * redundant-ip, ip-host-bits, string-too-long, answer-too-large,
 * spf-rr-type, unknown-modifier, exp-problem, bad-version, dns-error,
 * dynamic-term, tree-cut.
 */
typedef struct emauth_lint_problem {
    const char *code;
    emauth_lint_severity severity;
    const char *message;     /* one line */
    const char *domain;      /* whose record, or NULL */
    const char *record;      /* that record's text (for a caret under column), or NULL */
    const char *term;        /* the term as written, or NULL */
    unsigned column;         /* 1-based column of term in record; 0 when none */
} emauth_lint_problem;

/* A void lookup (NXDOMAIN or NODATA) and the term that caused it. */
typedef struct emauth_lint_void {
    const char *term;
    unsigned column;
    const char *name;        /* the name asked for */
} emauth_lint_void;

typedef struct emauth_lint_node emauth_lint_node;
struct emauth_lint_node {
    const char *domain;
    const char *record;             /* the SPF record, or NULL (none, several, DNS error) */
    const char *via;                /* the include:/redirect= term in the parent; NULL at the root */
    unsigned via_column;
    char via_qualifier;             /* '+', '-', '~', '?' of an include; '+' for redirect */
    unsigned lookups;               /* DNS-querying terms in this record (its own cost) */
    unsigned total;                 /* running total in evaluation order, after this subtree */
    unsigned subtree;               /* lookups of this node and everything below it */
    size_t nvoids;
    const emauth_lint_void *voids;
    size_t nranges;
    const emauth_cidr *ranges;      /* what this record's own '+' terms authorize
                                       (ip4, ip6, and the addresses of a and mx) */
    int dynamic;                    /* has terms whose target depends on the sender */
    int loop;                       /* this include closes a loop: not expanded */
    size_t nchildren;
    const emauth_lint_node *const *children;   /* includes and redirect, in order */
};

typedef struct emauth_lint_report {
    const char *domain;
    const char *record;             /* the domain's record, or NULL */
    int valid;                      /* no problem of severity error */
    unsigned dns_lookups;           /* total DNS-querying terms over the whole tree */
    unsigned void_lookups;
    const emauth_lint_node *tree;   /* the root; never NULL once done */
    size_t nproblems;
    const emauth_lint_problem *problems;   /* errors first, then warnings, then info */
} emauth_lint_report;

typedef struct emauth_spf_lint emauth_spf_lint;

emauth_status emauth_spf_lint_new(emauth_spf_lint **out);
void emauth_spf_lint_free(emauth_spf_lint *l);

/*
 * Starts an analysis of domain. record NULL: the domain's record is looked
 * up (with the TXT and type-99 checks); else record (len bytes) is analyzed
 * as if published at domain (domain may then be NULL: includes and the
 * like are still followed, and a, mx without a domain are skipped).
 */
emauth_status emauth_spf_lint_start(emauth_spf_lint *l, const char *domain, const char *record,
                                    size_t record_len, emauth_error *err);

/* As emauth_spf_eval_next() / _answer(). */
emauth_status emauth_spf_lint_next(emauth_spf_lint *l, const emauth_dns_question **q);
emauth_status emauth_spf_lint_answer(emauth_spf_lint *l, const emauth_dns_answer *a);

/* The report once next() returned EMAUTH_OK; valid until the next start() or free(). */
const emauth_lint_report *emauth_spf_lint_report(const emauth_spf_lint *l);

/* Runs next()/answer() over a blocking resolver until done. */
emauth_status emauth_spf_lint_run(emauth_spf_lint *l, emauth_resolver *resolver);

/*
 * The authorized ranges of the whole tree, as a receiver would apply them
 * for '+' results: the union of the ranges of nodes reached through '+'
 * includes and redirects, merged (adjacent and contained ranges joined),
 * IPv4 first. Fails with EMAUTH_ERR_INVALID, and a reason in err, when the
 * policy is not a plain union (a '-', '~' or '?' term before a '+' one that
 * overlaps it, dynamic terms, an error in the tree other than
 * too-many-lookups and void-lookups, a cut tree): flattening it would
 * change its meaning. The lookup limits do not refuse: fixing them is what
 * flattening is for. r must come from emauth_spf_lint_report() (it reads
 * the analyzer's private state behind the nodes). *out is malloc'ed; free() it.
 */
emauth_status emauth_lint_authorized(const emauth_lint_report *r, emauth_cidr **out, size_t *n,
                                     emauth_error *err);

#ifdef __cplusplus
}
#endif
#endif
