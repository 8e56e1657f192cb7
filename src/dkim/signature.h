/*
 * Private: the DKIM-Signature header field (RFC 6376 §3.5), parsed and
 * checked as a verifier needs it.
 *
 *   sig-v-tag  = "v=1"                        required
 *   sig-a-tag  = rsa-sha256 / rsa-sha1 / ed25519-sha256 (RFC 8463)   required
 *   sig-b-tag  = base64string                 required, the signature
 *   sig-bh-tag = base64string                 required, the body hash
 *   sig-c-tag  = hcanon [ "/" bcanon ]        "simple" / "relaxed"; default simple/simple
 *   sig-d-tag  = domain-name                  required
 *   sig-h-tag  = hdr-name *( [FWS] ":" [FWS] hdr-name )   required, must list From (§5.4)
 *   sig-i-tag  = [ Local-part ] "@" domain-name   within d= (d= or a subdomain)
 *   sig-l-tag  = 1*76DIGIT                    body length
 *   sig-q-tag  = method *( ":" method )       must offer "dns/txt"
 *   sig-s-tag  = selector (sub-domain)        required
 *   sig-t-tag  = 1*12DIGIT                    timestamp
 *   sig-x-tag  = 1*12DIGIT                    expiration, not before t=
 *   sig-z-tag  = copied header fields         ignored
 * Unknown tags are ignored (§3.2); a tag twice is an error.
 */
#ifndef EMAUTH_DKIM_SIGNATURE_H
#define EMAUTH_DKIM_SIGNATURE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include <emauth/error.h>
#include "dkim/canon.h"
#include "dkim/crypto.h"

/* The largest signature kept: RSA keys up to 16384 bits. */
#define EA_DKIM_MAX_SIG_BYTES 2048
/* Tags in one DKIM-Signature field, unknown ones included. */
#define EA_DKIM_MAX_TAGS 64

/* Bytes of the field; len 0 when the tag is absent. */
typedef struct ea_dkim_span {
    const char *p;
    size_t len;
} ea_dkim_span;

typedef struct ea_dkim_sig {
    ea_dkim_alg alg;
    ea_dkim_span a;                  /* a= as written */
    ea_canon header_canon;
    ea_canon body_canon;
    ea_dkim_span d;                  /* signing domain */
    ea_dkim_span s;                  /* selector */
    ea_dkim_span i;                  /* identity (AUID), len 0 when absent */
    ea_dkim_span h;                  /* the header list as written */
    ea_dkim_span b;                  /* b= as written (FWS inside) */
    size_t b_start, b_end;           /* field[b_start..b_end): what hashing deletes (§3.7) */
    int has_l;
    uint64_t l;                      /* l=, UINT64_MAX - 1 when larger than that */
    int64_t t, x;                    /* t= and x=, -1 when absent */
    unsigned char sig[EA_DKIM_MAX_SIG_BYTES];
    size_t sig_len;
    unsigned char bh[EVP_MAX_MD_SIZE];
    size_t bh_len;
} ea_dkim_sig;

/*
 * Parses a whole DKIM-Signature field (field[0..len), name field[0..name_len),
 * the colon after it). Spans point into field. On error *out is zeroed and
 * err->message names the tag ("d= missing", "b= is not base64", ...), with
 * the column of the tag in the field; the status is EMAUTH_ERR_SYNTAX (or
 * EMAUTH_ERR_NOMEM).
 *
 * b_start..b_end covers the b= value and the FWS around it up to the next
 * ";" or the end, which is what a verifier deletes before hashing the field
 * (RFC 6376 §3.7: "the value of the b= tag (including all surrounding
 * whitespace) is deleted").
 */
emauth_status ea_dkim_sig_parse(const char *field, size_t len, size_t name_len, ea_dkim_sig *out,
                                emauth_error *err);

/*
 * For a field that did not parse: the value of tag (d, s, a...) as written,
 * when the tag list itself parses; len 0 otherwise.
 */
ea_dkim_span ea_dkim_sig_peek(const char *field, size_t len, size_t name_len, const char *tag);

/*
 * The header names of h=, one per call: start with *pos = 0; returns 1 with
 * the name (FWS trimmed), 0 after the last one.
 */
int ea_dkim_sig_header(const ea_dkim_sig *sig, size_t *pos, const char **name, size_t *len);

/* Whether the domain name dom (any case) is d or a subdomain of it. */
int ea_dkim_domain_within(const char *dom, size_t dom_len, const char *d, size_t d_len);

/* The domain part of an i= value (after its last "@"); 0 when there is none. */
int ea_dkim_identity_domain(const char *i, size_t len, const char **dom, size_t *dom_len);

#endif
