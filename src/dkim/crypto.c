/*
 * DKIM crypto on OpenSSL 3 EVP; see crypto.h.
 *
 *   rsa-sha256, rsa-sha1  RSASSA-PKCS1-v1_5 (RFC 8017 §8.2) over the digest
 *                         of the canonical headers (RFC 6376 §3.3.1)
 *   ed25519-sha256        PureEdDSA over the 32-byte SHA-256 digest of the
 *                         canonical headers (RFC 8463 §3)
 *
 * Every OpenSSL failure clears the thread's error queue before returning,
 * so no error leaks from one call into the next.
 */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "dkim/crypto.h"

/* ---- algorithms ------------------------------------------------------------- */

static const char *const alg_names[] = {
    [EA_DKIM_RSA_SHA256] = "rsa-sha256",
    [EA_DKIM_RSA_SHA1] = "rsa-sha1",
    [EA_DKIM_ED25519_SHA256] = "ed25519-sha256",
};
#define NALGS (sizeof alg_names / sizeof alg_names[0])

int ea_dkim_alg_parse(const char *s, size_t len)
{
    for (size_t a = 0; a < NALGS; a++)
        if (strlen(alg_names[a]) == len && strncasecmp(s, alg_names[a], len) == 0)
            return (int)a;
    return -1;
}

const char *ea_dkim_alg_name(ea_dkim_alg alg)
{
    return (unsigned)alg < NALGS ? alg_names[alg] : "?";
}

const EVP_MD *ea_dkim_alg_md(ea_dkim_alg alg)
{
    return alg == EA_DKIM_RSA_SHA1 ? EVP_sha1() : EVP_sha256();
}

emauth_dkim_key_type ea_dkim_alg_key(ea_dkim_alg alg)
{
    return alg == EA_DKIM_ED25519_SHA256 ? EMAUTH_DKIM_ED25519 : EMAUTH_DKIM_RSA;
}

/* ---- base64 ----------------------------------------------------------------- */

static int is_fws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int is_b64(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '+' || c == '/';
}

/*
 * Copies s without FWS into out (room for len bytes), checking the
 * grammar: 4n characters of the alphabet, of which only the last one or two
 * may be '='. Returns the length kept, or -1 when malformed.
 */
static long b64_squeeze(const char *s, size_t len, unsigned char *out, unsigned *pad)
{
    size_t n = 0;
    *pad = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (is_fws(c))
            continue;
        if (c == '=')
            (*pad)++;
        else if (!is_b64(c) || *pad > 0)
            return -1;          /* garbage, or data after padding */
        out[n++] = (unsigned char)c;
    }
    if (n % 4 != 0 || *pad > 2)
        return -1;
    return (long)n;
}

int ea_base64_decode(const char *s, size_t len, ea_buf *out)
{
    if (len == 0)
        return 0;
    /* The decoded bytes (at most len) go to the free space of out, the
     * squeezed text right after them, so nothing overlaps. */
    if (len > (size_t)INT32_MAX || ea_buf_reserve(out, 2 * len + 1) != 0)
        return -1;
    unsigned char *dst = (unsigned char *)out->data + out->len;
    unsigned pad;
    long n = b64_squeeze(s, len, dst + len, &pad);
    if (n <= 0)
        return (int)n;
    int got = EVP_DecodeBlock(dst, dst + len, (int)n);
    if (got < 0 || (size_t)got < pad)
        return -1;
    out->len += (size_t)got - pad;
    out->data[out->len] = '\0';
    return 0;
}

int ea_base64_encode(const unsigned char *data, size_t len, ea_buf *out)
{
    if (len > (size_t)INT32_MAX / 2)
        return -1;
    size_t need = 4 * ((len + 2) / 3);
    if (ea_buf_reserve(out, need + 1) != 0)
        return -1;
    int n = EVP_EncodeBlock((unsigned char *)out->data + out->len, data, (int)len);
    if (n < 0)
        return -1;
    out->len += (size_t)n;
    out->data[out->len] = '\0';
    return 0;
}

/* ---- public keys -------------------------------------------------------------- */

static EVP_PKEY *fail_key(EVP_PKEY *k, const char **why, const char *reason)
{
    EVP_PKEY_free(k);
    ERR_clear_error();
    *why = reason;
    return NULL;
}

/* SubjectPublicKeyInfo, or else a bare PKCS#1 RSAPublicKey; all bytes used. */
static EVP_PKEY *rsa_pubkey(const unsigned char *der, size_t len, const char **why)
{
    if (len > (size_t)INT32_MAX)
        return fail_key(NULL, why, "key too large");
    const unsigned char *p = der;
    EVP_PKEY *k = d2i_PUBKEY(NULL, &p, (long)len);
    if (k == NULL) {
        ERR_clear_error();
        p = der;
        k = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)len);
    }
    if (k == NULL)
        return fail_key(NULL, why, "not a DER public key");
    if (p != der + len)
        return fail_key(k, why, "trailing bytes after the key");
    if (!EVP_PKEY_is_a(k, "RSA"))
        return fail_key(k, why, "not an RSA key");
    return k;
}

EVP_PKEY *ea_dkim_pubkey(emauth_dkim_key_type type, const unsigned char *der, size_t len,
                         const char **why)
{
    if (type == EMAUTH_DKIM_RSA)
        return rsa_pubkey(der, len, why);
    if (len != 32)
        return fail_key(NULL, why, "an Ed25519 key is 32 bytes");
    EVP_PKEY *k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, der, len);
    return k ? k : fail_key(NULL, why, "not an Ed25519 key");
}

unsigned ea_dkim_pkey_bits(const EVP_PKEY *k)
{
    if (EVP_PKEY_is_a(k, "ED25519"))
        return 256;
    int bits = EVP_PKEY_get_bits(k);
    return bits > 0 ? (unsigned)bits : 0;
}

/* ---- sign and verify ----------------------------------------------------------- */

/* The key fits the algorithm and the digest has the algorithm's size. */
static int args_ok(ea_dkim_alg alg, EVP_PKEY *key, size_t digest_len)
{
    const char *type = ea_dkim_alg_key(alg) == EMAUTH_DKIM_RSA ? "RSA" : "ED25519";
    return key != NULL && EVP_PKEY_is_a(key, type) &&
           digest_len == (size_t)EVP_MD_get_size(ea_dkim_alg_md(alg));
}

/* An RSA context for sign or verify: PKCS#1 v1.5 with the algorithm's digest. */
static EVP_PKEY_CTX *rsa_ctx(ea_dkim_alg alg, EVP_PKEY *key, int (*init)(EVP_PKEY_CTX *))
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
    if (ctx == NULL)
        return NULL;
    if (init(ctx) <= 0 || EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) <= 0 ||
        EVP_PKEY_CTX_set_signature_md(ctx, ea_dkim_alg_md(alg)) <= 0) {
        EVP_PKEY_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

/* 0 or negative from EVP_PKEY_verify: a wrong signature (bad length or padding included). */
static int rsa_verify_with(EVP_PKEY_CTX *ctx, const unsigned char *digest, size_t digest_len,
                           const unsigned char *sig, size_t sig_len)
{
    return EVP_PKEY_verify(ctx, sig, sig_len, digest, digest_len) == 1;
}

static int rsa_verify(ea_dkim_alg alg, EVP_PKEY *pub, const unsigned char *digest,
                      size_t digest_len, const unsigned char *sig, size_t sig_len)
{
    EVP_PKEY_CTX *ctx = rsa_ctx(alg, pub, EVP_PKEY_verify_init);
    if (ctx == NULL)
        return -1;
    int ok = rsa_verify_with(ctx, digest, digest_len, sig, sig_len);
    EVP_PKEY_CTX_free(ctx);
    return ok;
}

static int ed25519_verify(EVP_PKEY *pub, const unsigned char *digest, size_t digest_len,
                          const unsigned char *sig, size_t sig_len)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (md == NULL)
        return -1;
    int ok = -1;
    if (EVP_DigestVerifyInit(md, NULL, NULL, NULL, pub) == 1)
        ok = EVP_DigestVerify(md, sig, sig_len, digest, digest_len) == 1;
    EVP_MD_CTX_free(md);
    return ok;
}

int ea_dkim_verify(ea_dkim_alg alg, EVP_PKEY *pub, const unsigned char *digest,
                   size_t digest_len, const unsigned char *sig, size_t sig_len)
{
    if (!args_ok(alg, pub, digest_len))
        return -1;
    int ok = alg == EA_DKIM_ED25519_SHA256
                 ? ed25519_verify(pub, digest, digest_len, sig, sig_len)
                 : rsa_verify(alg, pub, digest, digest_len, sig, sig_len);
    ERR_clear_error();
    return ok;
}

EVP_PKEY_CTX *ea_dkim_verify_ctx_new(ea_dkim_alg alg, EVP_PKEY *pub)
{
    if (alg == EA_DKIM_ED25519_SHA256 || pub == NULL || !EVP_PKEY_is_a(pub, "RSA"))
        return NULL;
    EVP_PKEY_CTX *ctx = rsa_ctx(alg, pub, EVP_PKEY_verify_init);
    ERR_clear_error();
    return ctx;
}

/*
 * EVP_PKEY_verify leaves an initialised context as it found it (openssl
 * speed relies on that too), so one context serves every signature.
 */
int ea_dkim_verify_ctx(EVP_PKEY_CTX *ctx, ea_dkim_alg alg, const unsigned char *digest,
                       size_t digest_len, const unsigned char *sig, size_t sig_len)
{
    if (ctx == NULL || alg == EA_DKIM_ED25519_SHA256 ||
        digest_len != (size_t)EVP_MD_get_size(ea_dkim_alg_md(alg)))
        return -1;
    int ok = rsa_verify_with(ctx, digest, digest_len, sig, sig_len);
    ERR_clear_error();
    return ok;
}

static int rsa_sign(ea_dkim_alg alg, EVP_PKEY *priv, const unsigned char *digest,
                    size_t digest_len, ea_buf *out)
{
    EVP_PKEY_CTX *ctx = rsa_ctx(alg, priv, EVP_PKEY_sign_init);
    size_t n = 0;
    int rc = -1;
    if (ctx != NULL && EVP_PKEY_sign(ctx, NULL, &n, digest, digest_len) == 1 &&
        ea_buf_reserve(out, n) == 0 &&
        EVP_PKEY_sign(ctx, (unsigned char *)out->data + out->len, &n, digest, digest_len) == 1) {
        out->len += n;
        rc = 0;
    }
    EVP_PKEY_CTX_free(ctx);
    return rc;
}

static int ed25519_sign(EVP_PKEY *priv, const unsigned char *digest, size_t digest_len,
                        ea_buf *out)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    size_t n = 0;
    int rc = -1;
    if (md != NULL && EVP_DigestSignInit(md, NULL, NULL, NULL, priv) == 1 &&
        EVP_DigestSign(md, NULL, &n, digest, digest_len) == 1 && ea_buf_reserve(out, n) == 0 &&
        EVP_DigestSign(md, (unsigned char *)out->data + out->len, &n, digest, digest_len) == 1) {
        out->len += n;
        rc = 0;
    }
    EVP_MD_CTX_free(md);
    return rc;
}

int ea_dkim_sign(ea_dkim_alg alg, EVP_PKEY *priv, const unsigned char *digest, size_t digest_len,
                 ea_buf *out)
{
    if (!args_ok(alg, priv, digest_len))
        return -1;
    int rc = alg == EA_DKIM_ED25519_SHA256 ? ed25519_sign(priv, digest, digest_len, out)
                                           : rsa_sign(alg, priv, digest, digest_len, out);
    ERR_clear_error();
    return rc;
}
