/*
 * emauth/dkim.h - DKIM (RFC 6376, RFC 8301, RFC 8463): verify, sign, keys.
 *
 * Both sides take the message the way emauth_msg (emauth/message.h) or a
 * milter hands it out: header fields one by one (CRLF line ends, folding
 * kept, no final CRLF), the end of the header, body chunks (CRLF line
 * ends), the end of the message. Nothing is kept of the body but the
 * running hashes, so memory stays bounded for any message size.
 *
 * The verifier is sans-I/O: after the end of the header it asks for the
 * key records (TXT of SELECTOR._domainkey.DOMAIN) with next()/answer(),
 * which may be answered while the body is still coming.
 */
#ifndef EMAUTH_DKIM_H
#define EMAUTH_DKIM_H

#include <stddef.h>
#include <stdint.h>
#include <emauth/dns.h>
#include <emauth/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Results ---------------------------------------------------------------- */

typedef enum emauth_dkim_verdict {
    EMAUTH_DKIM_PASS = 0,
    EMAUTH_DKIM_FAIL,        /* the signature or body hash does not match */
    EMAUTH_DKIM_NEUTRAL,     /* not verified: unsupported, over the signature limit */
    EMAUTH_DKIM_POLICY,      /* valid, but refused by local policy (rsa-sha1, short key, x= expired...) */
    EMAUTH_DKIM_TEMPERROR,   /* the key could not be fetched now */
    EMAUTH_DKIM_PERMERROR    /* a malformed signature or key record, no key, a revoked key */
} emauth_dkim_verdict;

/* "pass", "fail", "neutral", "policy", "temperror", "permerror". */
const char *emauth_dkim_verdict_name(emauth_dkim_verdict v);

/* One DKIM-Signature field and what became of it. Strings NULL when absent. */
typedef struct emauth_dkim_result {
    emauth_dkim_verdict verdict;
    const char *reason;          /* why, one line ("body hash mismatch", "key revoked (empty p=)"...) */
    const char *domain;          /* d= */
    const char *selector;        /* s= */
    const char *algorithm;       /* a= as written ("rsa-sha256", "ed25519-sha256") */
    const char *identity;        /* i=, or "@" + d= when absent */
    const char *header_canon;    /* "simple" or "relaxed" */
    const char *body_canon;
    const char *b_prefix;        /* the first 12 characters of b= (for header.b=) */
    int body_length_limited;     /* l= present */
    uint64_t body_length;        /* l= value */
    int content_after_limit;     /* l= and the body has more canonical bytes than l= */
    int testing;                 /* the key record has t=y */
    unsigned key_bits;           /* RSA modulus bits, 256 for Ed25519; 0 when no key */
    int64_t timestamp;           /* t=, or -1 */
    int64_t expiration;          /* x=, or -1 */
    size_t field_index;          /* which DKIM-Signature field (0 = first in the header) */
} emauth_dkim_result;

/* ---- Verifying ---------------------------------------------------------------- */

typedef struct emauth_dkim_options {
    int allow_sha1;              /* rsa-sha1 may pass (RFC 8301: default 0: policy) */
    unsigned min_rsa_bits;       /* smaller RSA keys are policy failures (1024) */
    unsigned max_signatures;     /* verified at most; the rest neutral (10) */
    unsigned clock_skew;         /* seconds of allowance for t= and x= (300) */
    int64_t now;                 /* the time for t= and x=; 0 = the current time */
} emauth_dkim_options;

void emauth_dkim_options_default(emauth_dkim_options *o);

typedef struct emauth_dkim_verifier emauth_dkim_verifier;

emauth_status emauth_dkim_verifier_new(const emauth_dkim_options *opts, emauth_dkim_verifier **out);
void emauth_dkim_verifier_free(emauth_dkim_verifier *v);

/* Starts a new message (the verifier is reusable); opts NULL keeps the current ones. */
emauth_status emauth_dkim_verify_start(emauth_dkim_verifier *v, const emauth_dkim_options *opts);

/* One header field; the fields must come in message order. */
emauth_status emauth_dkim_verify_header(emauth_dkim_verifier *v, const char *field, size_t len,
                                        size_t name_len);
/* The end of the header: the signatures are parsed and their key questions queued. */
emauth_status emauth_dkim_verify_eoh(emauth_dkim_verifier *v);
emauth_status emauth_dkim_verify_body(emauth_dkim_verifier *v, const char *chunk, size_t len);
/* The end of the message. */
emauth_status emauth_dkim_verify_eom(emauth_dkim_verifier *v);

/*
 * After eoh: EMAUTH_NEED_DNS with a key question, or EMAUTH_OK when none is
 * pending. Answers may be given before or after eom.
 */
emauth_status emauth_dkim_verify_next(emauth_dkim_verifier *v, const emauth_dns_question **q);
emauth_status emauth_dkim_verify_answer(emauth_dkim_verifier *v, const emauth_dns_answer *a);

/* Answers every pending question from a blocking resolver. */
emauth_status emauth_dkim_verify_run(emauth_dkim_verifier *v, emauth_resolver *resolver);

/*
 * The results, one per DKIM-Signature field in header order (0 when the
 * message has none), once eom was given and no question is pending; NULL
 * before. Owned by v until the next start or free.
 */
const emauth_dkim_result *emauth_dkim_verify_results(const emauth_dkim_verifier *v, size_t *n);

/* ---- Keys ------------------------------------------------------------------------ */

typedef enum emauth_dkim_key_type { EMAUTH_DKIM_RSA = 0, EMAUTH_DKIM_ED25519 } emauth_dkim_key_type;

typedef struct emauth_dkim_key emauth_dkim_key;   /* a private key */

/* Reads a PEM private key (PKCS#8 or traditional RSA) from memory or a file. */
emauth_status emauth_dkim_key_load_pem(const char *pem, size_t len, emauth_dkim_key **out,
                                       emauth_error *err);
emauth_status emauth_dkim_key_load_file(const char *path, emauth_dkim_key **out,
                                        emauth_error *err);
/* A new key: RSA of bits bits (1024-8192), or Ed25519 (bits ignored). */
emauth_status emauth_dkim_keygen(emauth_dkim_key_type type, unsigned bits,
                                 emauth_dkim_key **out, emauth_error *err);
void emauth_dkim_key_free(emauth_dkim_key *k);

emauth_dkim_key_type emauth_dkim_key_kind(const emauth_dkim_key *k);
unsigned emauth_dkim_key_bits(const emauth_dkim_key *k);

/* The private key as PKCS#8 PEM, malloc'ed into *pem (NUL-terminated). */
emauth_status emauth_dkim_key_pem(const emauth_dkim_key *k, char **pem, size_t *len,
                                  emauth_error *err);

/* The key record to publish: "v=DKIM1; k=rsa; p=BASE64", malloc'ed. */
emauth_status emauth_dkim_key_record(const emauth_dkim_key *k, char **record, emauth_error *err);

/*
 * Checks a published key record (RFC 6376 §3.6.1): syntax, v=DKIM1 first
 * if present, k= known, p= present and a key of that type (RSA size),
 * revoked (empty p=), t=y (testing), t=s, h=. With priv, also that the
 * record's key is priv's public half. Problems are written one per line
 * into *report (malloc'ed, "severity code: message"); *errors counts those
 * of severity error. Returns EMAUTH_OK whatever it finds.
 */
emauth_status emauth_dkim_key_check(const char *record, size_t len, const emauth_dkim_key *priv,
                                    char **report, unsigned *errors, emauth_error *err);

/* ---- Signing ---------------------------------------------------------------------- */

typedef struct emauth_dkim_sign_options {
    const emauth_dkim_key *key;
    const char *domain;              /* d= */
    const char *selector;            /* s= */
    const char *header_canon;        /* "relaxed" (default) or "simple" */
    const char *body_canon;          /* "relaxed" (default) or "simple" */
    const char *const *headers;      /* h=, or NULL: RFC 6376 §5.4.1's list, From twice */
    size_t nheaders;
    const char *identity;            /* i=, or NULL */
    int64_t timestamp;               /* t=: 0 = the current time, -1 = none */
    uint64_t expire_after;           /* x= = t= + this; 0 = none */
    int body_length;                 /* add l= (default 0) */
} emauth_dkim_sign_options;

typedef struct emauth_dkim_signer emauth_dkim_signer;

/*
 * One signature per element of opts (several keys at once: RSA + Ed25519),
 * for one message. The signer takes its own reference to each key: the
 * caller may free its keys once the signer exists.
 */
emauth_status emauth_dkim_signer_new(const emauth_dkim_sign_options *opts, size_t n,
                                     emauth_dkim_signer **out, emauth_error *err);
void emauth_dkim_signer_free(emauth_dkim_signer *s);

emauth_status emauth_dkim_sign_header(emauth_dkim_signer *s, const char *field, size_t len,
                                      size_t name_len);
emauth_status emauth_dkim_sign_eoh(emauth_dkim_signer *s);
emauth_status emauth_dkim_sign_body(emauth_dkim_signer *s, const char *chunk, size_t len);

/*
 * The end of the message: *fields gets the DKIM-Signature fields to
 * prepend, each folded at 78 columns and ending in CRLF (malloc'ed,
 * NUL-terminated; the first option's signature first).
 */
emauth_status emauth_dkim_sign_eom(emauth_dkim_signer *s, char **fields, size_t *len,
                                   emauth_error *err);

#ifdef __cplusplus
}
#endif
#endif
