/*
 * Private: the DKIM key record (RFC 6376 §3.6.1, RFC 8463 §4.2), the TXT
 * record at SELECTOR._domainkey.DOMAIN. Shared by the verifier and the key
 * checker.
 *
 *   key-v-tag = "v=DKIM1"                     optional; the first tag when present
 *   key-h-tag = hash *( ":" hash )            acceptable hashes (default: all); unknown ignored
 *   key-k-tag = "rsa" / "ed25519"             default rsa
 *   key-n-tag = notes                         ignored
 *   key-p-tag = base64string                  required; empty = revoked
 *   key-s-tag = type *( ":" type )            "*" or "email" (default "*"); unknown ignored
 *   key-t-tag = flag *( ":" flag )            y = testing, s = strict i=; unknown ignored
 * Unknown tags are ignored; a tag twice is an error (§3.2).
 */
#ifndef EMAUTH_DKIM_KEYREC_H
#define EMAUTH_DKIM_KEYREC_H

#include <stddef.h>

#include <openssl/evp.h>

#include <emauth/dkim.h>
#include <emauth/error.h>
#include "dkim/crypto.h"

/* Bits of ea_dkim_keyrec.hashes. */
#define EA_DKIM_HASH_SHA1 0x1u
#define EA_DKIM_HASH_SHA256 0x2u

typedef struct ea_dkim_keyrec {
    int has_v;                   /* v=DKIM1 was given */
    emauth_dkim_key_type type;   /* k= */
    unsigned hashes;             /* h=: EA_DKIM_HASH_* (both when absent; 0 when none known) */
    const char *p;               /* p= as written (FWS inside), into the record */
    size_t p_len;
    unsigned p_column;           /* 1-based column of the p tag */
    int revoked;                 /* p= empty */
    int testing;                 /* t=y */
    int strict;                  /* t=s: i= must be in d= itself, not a subdomain */
    int email;                   /* s= absent, "*" or lists "email" */
} ea_dkim_keyrec;

/*
 * Parses a key record rec[0..len) (the TXT strings joined). p= is checked
 * for presence only: ea_dkim_keyrec_key() decodes it. On error *out is
 * zeroed, the status is EMAUTH_ERR_SYNTAX and err->message names the tag
 * ("v= is not the first tag", "k= unknown key type \"dsa\"", "p= missing").
 */
emauth_status ea_dkim_keyrec_parse(const char *rec, size_t len, ea_dkim_keyrec *out,
                                   emauth_error *err);

/*
 * The public key of a parsed record (the caller frees it), or NULL with a
 * constant reason about p= in *why ("revoked (empty)", "not base64", "not
 * a DER public key", "an Ed25519 key is 32 bytes", "out of memory", ...).
 */
EVP_PKEY *ea_dkim_keyrec_key(const ea_dkim_keyrec *r, const char **why);

/* Whether the record's h= allows the hash of alg. */
int ea_dkim_keyrec_allows(const ea_dkim_keyrec *r, ea_dkim_alg alg);

#endif
