/*
 * emauth/dmarc.h - DMARC (RFC 9989, the 2026 DMARCbis, and RFC 7489).
 *
 * Three parts: the policy record (parse and check), discovery of the
 * policy and of organizational domains (RFC 9989's DNS tree walk, or RFC
 * 7489's Public Suffix List through libpsl), and the evaluation of a
 * message's From domain against its SPF and DKIM results. Discovery and
 * evaluation are sans-I/O: next()/answer() like the SPF engine.
 */
#ifndef EMAUTH_DMARC_H
#define EMAUTH_DMARC_H

#include <stddef.h>
#include <stdint.h>
#include <emauth/dkim.h>
#include <emauth/dns.h>
#include <emauth/error.h>
#include <emauth/spf.h>
#include <emauth/spf_lint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum emauth_dmarc_mode {
    EMAUTH_DMARC_9989 = 0,   /* DNS tree walk; np, psd, t; pct, rf, ri removed */
    EMAUTH_DMARC_7489        /* Public Suffix List; pct, rf, ri */
} emauth_dmarc_mode;

typedef enum emauth_dmarc_policy {
    EMAUTH_DMARC_P_NONE = 0,
    EMAUTH_DMARC_P_QUARANTINE,
    EMAUTH_DMARC_P_REJECT
} emauth_dmarc_policy;

/* "none", "quarantine", "reject". */
const char *emauth_dmarc_policy_name(emauth_dmarc_policy p);

/* A rua=/ruf= destination: "mailto:addr@example.com!10m" -> uri, size limit. */
typedef struct emauth_dmarc_uri {
    const char *uri;             /* as written, without the size suffix */
    const char *domain;          /* the mailto: address's domain, lower-cased; NULL for others */
    uint64_t max_size;           /* bytes from the "!" suffix (k m g t), 0 = none */
} emauth_dmarc_uri;

/* A parsed policy record. Absent tags take the RFC defaults noted. */
typedef struct emauth_dmarc_record {
    const char *text;            /* the record as published */
    emauth_dmarc_policy p;
    int has_p;                   /* p= present (absent: see §4.7 / missing-p) */
    emauth_dmarc_policy sp;      /* default: p */
    int has_sp;
    emauth_dmarc_policy np;      /* default: sp (9989 only) */
    int has_np;
    char adkim, aspf;            /* 'r' (default) or 's' */
    int psd;                     /* psd=: 'y', 'n', or 'u' (absent) */
    int testing;                 /* t=y (9989) */
    unsigned pct;                /* pct= (7489; 100 when absent) */
    const char *fo;              /* fo= as written, or NULL */
    size_t nrua, nruf;
    const emauth_dmarc_uri *rua, *ruf;
} emauth_dmarc_record;

/* 1 when text starts with "v=DMARC1" as §4.7 requires (the tag first, then ';' or end). */
int emauth_dmarc_is_record(const char *text, size_t len);

/*
 * Parses a record. A syntax error (the tag=value grammar, v=DMARC1 not
 * first, a bad p/sp/np/adkim/aspf/psd/t/pct value) is EMAUTH_ERR_SYNTAX with
 * err naming the tag and column. A missing p= is not an error here
 * (has_p = 0): RFC 9989 §4.7 says to treat it as p=none when rua= is
 * valid. Unknown tags are ignored; in 9989 mode pct, rf, ri are ignored
 * too (the checker flags them). Free with emauth_dmarc_record_free().
 */
emauth_status emauth_dmarc_record_parse(const char *text, size_t len, emauth_dmarc_mode mode,
                                        emauth_dmarc_record **out, emauth_error *err);
void emauth_dmarc_record_free(emauth_dmarc_record *r);

/* ---- Checking a domain's record (for domain owners) ------------------------------ */

/*
 * The DMARC checker: finds the record that applies to domain (its own,
 * or the organizational domain's by discovery) and reports problems with
 * stable codes (emauth_lint_problem: code, severity, message, domain,
 * record, term = the tag, column): no-record, multiple-records, syntax,
 * missing-p, policy-none (info), removed-tag (9989: pct, rf, ri),
 * invalid-uri, rua-external-unauthorized (a rua/ruf destination in
 * another domain that does not publish DOMAIN._report._dmarc.DEST with
 * v=DMARC1), testing (t=y, info), pct-partial (7489: pct<100, warning),
 * inherited (the record is the organizational domain's, info), dns-error.
 */
typedef struct emauth_dmarc_report {
    const char *domain;              /* asked for */
    const char *policy_domain;       /* where the applying record is, or NULL */
    const char *org_domain;          /* the organizational domain */
    const char *record;              /* the applying record's text, or NULL */
    const emauth_dmarc_record *parsed;   /* NULL when none or invalid */
    int valid;                       /* no problem of severity error */
    size_t nproblems;
    const emauth_lint_problem *problems;   /* errors first */
} emauth_dmarc_report;

typedef struct emauth_dmarc_check emauth_dmarc_check;

emauth_status emauth_dmarc_check_new(emauth_dmarc_check **out);
void emauth_dmarc_check_free(emauth_dmarc_check *c);
emauth_status emauth_dmarc_check_start(emauth_dmarc_check *c, const char *domain,
                                       emauth_dmarc_mode mode, emauth_error *err);
emauth_status emauth_dmarc_check_next(emauth_dmarc_check *c, const emauth_dns_question **q);
emauth_status emauth_dmarc_check_answer(emauth_dmarc_check *c, const emauth_dns_answer *a);
emauth_status emauth_dmarc_check_run(emauth_dmarc_check *c, emauth_resolver *resolver);
const emauth_dmarc_report *emauth_dmarc_check_report(const emauth_dmarc_check *c);

/* ---- Evaluating a message ---------------------------------------------------------- */

typedef enum emauth_dmarc_verdict {
    EMAUTH_DMARC_NONE = 0,       /* no policy record applies */
    EMAUTH_DMARC_PASS,
    EMAUTH_DMARC_FAIL,
    EMAUTH_DMARC_TEMPERROR,
    EMAUTH_DMARC_PERMERROR       /* e.g. no usable From domain, a broken record */
} emauth_dmarc_verdict;

/* "none", "pass", "fail", "temperror", "permerror". */
const char *emauth_dmarc_verdict_name(emauth_dmarc_verdict v);

/* One authenticated identifier to align: SPF's MAIL FROM/HELO domain, or a DKIM d=. */
typedef struct emauth_dmarc_identifier {
    const char *domain;
    int passed;                  /* SPF pass, or DKIM pass */
} emauth_dmarc_identifier;

typedef struct emauth_dmarc_request {
    const char *from_domain;     /* the RFC 5322.From domain (emauth_from_extract), or NULL */
    const char *from_problem;    /* why there is none (permerror), when from_domain is NULL */
    emauth_dmarc_identifier spf; /* domain NULL when SPF gave no result */
    size_t ndkim;
    const emauth_dmarc_identifier *dkim;
    emauth_dmarc_mode mode;
    uint64_t pct_seed;           /* 7489 pct sampling: the same seed, the same draw */
} emauth_dmarc_request;

typedef struct emauth_dmarc_result {
    emauth_dmarc_verdict verdict;
    emauth_dmarc_policy policy;      /* to apply: none when pass/none; p, sp or np (and t, pct) */
    const char *reason;              /* one line */
    const char *from_domain;
    const char *policy_domain;       /* whose record applied */
    const char *org_domain;          /* of the From domain */
    int spf_aligned;
    int dkim_aligned;
    const char *dkim_aligned_domain; /* the d= that aligned, or NULL */
    int testing;                     /* t=y: the policy is not enforced (9989) */
    int sampled_out;                 /* 7489: pct excluded this message (policy lowered) */
    const emauth_dmarc_record *record;
} emauth_dmarc_result;

typedef struct emauth_dmarc_eval emauth_dmarc_eval;

emauth_status emauth_dmarc_eval_new(emauth_dmarc_eval **out);
void emauth_dmarc_eval_free(emauth_dmarc_eval *e);
/* req is copied. */
emauth_status emauth_dmarc_eval_start(emauth_dmarc_eval *e, const emauth_dmarc_request *req,
                                      emauth_error *err);
emauth_status emauth_dmarc_eval_next(emauth_dmarc_eval *e, const emauth_dns_question **q);
emauth_status emauth_dmarc_eval_answer(emauth_dmarc_eval *e, const emauth_dns_answer *a);
emauth_status emauth_dmarc_eval_run(emauth_dmarc_eval *e, emauth_resolver *resolver);
/* Valid until the next start or free. */
const emauth_dmarc_result *emauth_dmarc_eval_result(const emauth_dmarc_eval *e);

#ifdef __cplusplus
}
#endif
#endif
