/*
 * emauth/spf.h - SPF (RFC 7208): record parser and the check_host() engine.
 *
 * The engine is sans-I/O: emauth_spf_eval_next() says which DNS question it
 * needs, the caller answers it with emauth_spf_eval_answer(), until next()
 * returns EMAUTH_OK and the result can be read. emauth_spf_eval_run() is the
 * blocking loop over an emauth_resolver.
 */
#ifndef EMAUTH_SPF_H
#define EMAUTH_SPF_H

#include <stddef.h>
#include <stdint.h>
#include <emauth/error.h>
#include <emauth/dns.h>
#include <emauth/ip.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Verdicts ---------------------------------------------------------- */

typedef enum emauth_spf_verdict {
    EMAUTH_SPF_NONE = 0,
    EMAUTH_SPF_NEUTRAL,
    EMAUTH_SPF_PASS,
    EMAUTH_SPF_FAIL,
    EMAUTH_SPF_SOFTFAIL,
    EMAUTH_SPF_TEMPERROR,
    EMAUTH_SPF_PERMERROR
} emauth_spf_verdict;

/* "none", "neutral", "pass", "fail", "softfail", "temperror", "permerror". */
const char *emauth_spf_verdict_name(emauth_spf_verdict v);

typedef enum emauth_spf_identity {
    EMAUTH_SPF_ID_AUTO = 0,   /* MAIL FROM, or HELO when MAIL FROM is empty */
    EMAUTH_SPF_ID_MAILFROM,
    EMAUTH_SPF_ID_HELO
} emauth_spf_identity;

/* "mailfrom" or "helo" (AUTO is never reported). */
const char *emauth_spf_identity_name(emauth_spf_identity id);

/* ---- Records (RFC 7208 §4.6, §12) --------------------------------------- */

typedef enum emauth_spf_term_kind {
    EMAUTH_SPF_ALL,
    EMAUTH_SPF_INCLUDE,
    EMAUTH_SPF_A,
    EMAUTH_SPF_MX,
    EMAUTH_SPF_PTR,
    EMAUTH_SPF_IP4,
    EMAUTH_SPF_IP6,
    EMAUTH_SPF_EXISTS,
    EMAUTH_SPF_REDIRECT,      /* modifiers from here on */
    EMAUTH_SPF_EXP,
    EMAUTH_SPF_UNKNOWN_MOD
} emauth_spf_term_kind;

/* Lower-case name of a term kind ("include", "redirect", ...). */
const char *emauth_spf_term_kind_name(emauth_spf_term_kind kind);

typedef struct emauth_spf_term {
    emauth_spf_term_kind kind;
    char qualifier;           /* '+', '-', '~', '?' (mechanisms; '+' when absent) */
    unsigned column;          /* 1-based byte column of the term in the record */
    const char *text;         /* the term as written (points into the record) */
    size_t text_len;
    const char *spec;         /* domain-spec / macro-string, NULL when absent */
    size_t spec_len;
    const char *name;         /* unknown modifier: its name */
    size_t name_len;
    uint8_t cidr4, cidr6;     /* a, mx, ip4, ip6: prefix lengths (32 / 128 default) */
    emauth_ip ip;             /* ip4, ip6 */
    uint8_t spec_has_macro;   /* spec contains a '%' macro */
} emauth_spf_term;

typedef struct emauth_spf_record {
    const char *text;         /* a copy of the record text, NUL-terminated */
    size_t text_len;
    size_t nterms;
    const emauth_spf_term *terms;
    const emauth_spf_term *redirect;   /* NULL when absent */
    const emauth_spf_term *exp;        /* NULL when absent */
    unsigned dns_terms;                /* include a mx ptr exists redirect */
} emauth_spf_record;

/*
 * 1 when text is an SPF record by §4.5: "v=spf1" (any case) followed by a
 * space or the end. Nothing else is judged.
 */
int emauth_spf_is_record(const char *text, size_t len);

/*
 * Parses a whole record (§4.6, §12 ABNF). Fails with EMAUTH_ERR_SYNTAX on any
 * syntax error, err naming the term, its 1-based column and what was
 * expected; also for a second redirect= or exp=. The record is freed with
 * emauth_spf_record_free().
 */
emauth_status emauth_spf_record_parse(const char *text, size_t len,
                                      emauth_spf_record **out, emauth_error *err);
void emauth_spf_record_free(emauth_spf_record *rec);

/* ---- Evaluation --------------------------------------------------------- */

typedef struct emauth_spf_limits {
    unsigned dns_terms;       /* DNS-querying terms per check (10, §4.6.4) */
    unsigned void_lookups;    /* NXDOMAIN/NODATA answers allowed (2) */
    unsigned mx_names;        /* MX names per mx mechanism (10): more is permerror */
    unsigned ptr_names;       /* PTR names examined (10): the rest ignored */
    unsigned max_record_len;  /* longest SPF record accepted (4096 bytes) */
} emauth_spf_limits;

/* Fills in the RFC 7208 defaults. */
void emauth_spf_limits_default(emauth_spf_limits *limits);

typedef struct emauth_spf_request {
    emauth_ip ip;                      /* the SMTP client */
    const char *mail_from;             /* MAIL FROM address; NULL or "" = null sender */
    const char *helo;                  /* HELO/EHLO name; may be NULL */
    emauth_spf_identity identity;      /* which identity to check (AUTO) */
    const char *receiver;              /* %{r}: our host name; NULL = "unknown" */
    const char *default_explanation;   /* for fail without exp=; NULL = built-in */
    int64_t now;                       /* %{t}; 0 = the current time */
    const emauth_spf_limits *limits;   /* NULL = RFC defaults */
} emauth_spf_request;

/* One DNS question the evaluation asked, with the class of its answer. */
typedef struct emauth_spf_trace {
    const char *name;
    uint16_t type;
    emauth_dns_rcode rcode;
    unsigned count;                    /* records in the answer */
} emauth_spf_trace;

typedef struct emauth_spf_result {
    emauth_spf_verdict verdict;
    emauth_spf_identity identity;      /* MAILFROM or HELO */
    const char *domain;                /* the domain checked */
    const char *sender;                /* the sender used (postmaster@... filled in) */
    const char *mechanism;             /* matching term as written, or NULL */
    const char *mechanism_domain;      /* whose record held it, or NULL */
    unsigned mechanism_column;         /* its 1-based column, 0 when none */
    const char *explanation;           /* fail only: from exp= or the default */
    const char *problem;               /* permerror/temperror (and none): why */
    unsigned dns_lookups;              /* DNS-querying terms counted (§4.6.4) */
    unsigned void_lookups;
    size_t trace_count;
    const emauth_spf_trace *trace;     /* every DNS question, in order */
} emauth_spf_result;

typedef struct emauth_spf_eval emauth_spf_eval;

/* A new evaluator; reuse it for many checks with emauth_spf_eval_start(). */
emauth_status emauth_spf_eval_new(emauth_spf_eval **out);
void emauth_spf_eval_free(emauth_spf_eval *ev);

/*
 * Starts a check of req (copied; its strings need not outlive the call).
 * Invalidates the previous result. Fails with EMAUTH_ERR_INVALID when the
 * request lacks what the identity needs (no IP family, HELO identity without
 * a HELO name).
 */
emauth_status emauth_spf_eval_start(emauth_spf_eval *ev, const emauth_spf_request *req,
                                    emauth_error *err);

/*
 * Advances the evaluation. EMAUTH_NEED_DNS: *q is the question to answer
 * (valid until the answer is given). EMAUTH_OK: finished, read the result.
 */
emauth_status emauth_spf_eval_next(emauth_spf_eval *ev, const emauth_dns_question **q);

/* Gives the answer to the pending question; the answer is copied as needed. */
emauth_status emauth_spf_eval_answer(emauth_spf_eval *ev, const emauth_dns_answer *ans);

/* The result once next() returned EMAUTH_OK, else NULL. Owned by ev; valid
 * until the next start() or free(). */
const emauth_spf_result *emauth_spf_eval_result(const emauth_spf_eval *ev);

/* Runs next()/answer() against a blocking resolver until done. */
emauth_status emauth_spf_eval_run(emauth_spf_eval *ev, emauth_resolver *resolver);

/* Convenience: new + start + run. The caller frees *out. */
emauth_status emauth_spf_check(emauth_resolver *resolver, const emauth_spf_request *req,
                               emauth_spf_eval **out, emauth_error *err);

/* ---- Header fields (§9.1, RFC 8601) -------------------------------------- */

/*
 * Writes "Received-SPF: <result> (<comment>) client-ip=...; envelope-from=...;
 * helo=...; receiver=...; identity=...; mechanism=...; problem=..." without
 * the trailing CRLF into buf (NUL-terminated, truncated to size). Returns the
 * length the full field needs, like snprintf.
 */
size_t emauth_spf_received_spf(const emauth_spf_result *res, const emauth_spf_request *req,
                               char *buf, size_t size);

/*
 * Writes the RFC 8601 "spf=" method entry, e.g.
 * "spf=pass smtp.mailfrom=user@example.com" (or smtp.helo=), with a comment
 * for errors. Returns the length needed, like snprintf.
 */
size_t emauth_spf_authres(const emauth_spf_result *res, char *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif
