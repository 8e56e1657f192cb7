/*
 * Private: the DKIM crypto, on OpenSSL 3 (EVP): base64, public keys from
 * key records, signing and verifying the header hash for rsa-sha256,
 * rsa-sha1 and ed25519-sha256 (RFC 8463: Ed25519 signs the SHA-256 digest
 * of the canonical headers, PureEdDSA over those 32 bytes).
 */
#ifndef EMAUTH_DKIM_CRYPTO_H
#define EMAUTH_DKIM_CRYPTO_H

#include <stddef.h>

#include <openssl/evp.h>

#include <emauth/dkim.h>
#include "util/buf.h"

typedef enum ea_dkim_alg {
    EA_DKIM_RSA_SHA256 = 0,
    EA_DKIM_RSA_SHA1,
    EA_DKIM_ED25519_SHA256
} ea_dkim_alg;

/* "rsa-sha256" etc. (any case, len bytes) to ea_dkim_alg; -1 when unknown. */
int ea_dkim_alg_parse(const char *s, size_t len);
const char *ea_dkim_alg_name(ea_dkim_alg alg);
/* The digest of the algorithm (SHA-256 or SHA-1). */
const EVP_MD *ea_dkim_alg_md(ea_dkim_alg alg);
/* The key type the algorithm needs. */
emauth_dkim_key_type ea_dkim_alg_key(ea_dkim_alg alg);

/*
 * Base64 (RFC 2045 alphabet) decoding of s[0..len), ignoring FWS (space,
 * tab, CR, LF) anywhere as DKIM allows; padding checked. Appends to out;
 * -1 when malformed or out of memory.
 */
int ea_base64_decode(const char *s, size_t len, ea_buf *out);
/* Appends the base64 of data, one line, no newlines; -1 when out of memory. */
int ea_base64_encode(const unsigned char *data, size_t len, ea_buf *out);

/*
 * The public key of a key record's p= (base64 already decoded: DER
 * SubjectPublicKeyInfo for RSA, or also a bare RSAPublicKey; the 32 raw
 * bytes for Ed25519). NULL with a reason in *why when it is not one.
 */
EVP_PKEY *ea_dkim_pubkey(emauth_dkim_key_type type, const unsigned char *der, size_t len,
                         const char **why);

/* RSA modulus bits, 256 for Ed25519. */
unsigned ea_dkim_pkey_bits(const EVP_PKEY *k);

/*
 * Verifies sig over the already computed digest of the canonical headers
 * (digest_len bytes of the algorithm's digest). 1 valid, 0 not, -1 error.
 */
int ea_dkim_verify(ea_dkim_alg alg, EVP_PKEY *pub, const unsigned char *digest,
                   size_t digest_len, const unsigned char *sig, size_t sig_len);

/*
 * A context that verifies RSA signatures of alg with pub, made once and
 * passed to ea_dkim_verify_ctx for any number of signatures: making one
 * (provider fetches, padding and digest set up) costs about a third of an
 * RSA-2048 verification. NULL for Ed25519 (nothing to gain there: its
 * verification is a one-shot EVP_DigestVerify) or on error. The context
 * holds a reference to pub; free it with EVP_PKEY_CTX_free.
 */
EVP_PKEY_CTX *ea_dkim_verify_ctx_new(ea_dkim_alg alg, EVP_PKEY *pub);

/* ea_dkim_verify with a context from ea_dkim_verify_ctx_new for alg. */
int ea_dkim_verify_ctx(EVP_PKEY_CTX *ctx, ea_dkim_alg alg, const unsigned char *digest,
                       size_t digest_len, const unsigned char *sig, size_t sig_len);

/* Signs the digest: appends the signature bytes to out; -1 on error. */
int ea_dkim_sign(ea_dkim_alg alg, EVP_PKEY *priv, const unsigned char *digest, size_t digest_len,
                 ea_buf *out);

#endif
