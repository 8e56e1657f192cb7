/*
 * DKIM keys (emauth/dkim.h, "Keys"): a private key as an EVP_PKEY (RSA or
 * Ed25519), read from PEM, generated, written as PKCS#8 PEM; the key
 * record that publishes its public half; and the check of a published
 * key record (RFC 6376 §3.6.1, RFC 8301, RFC 8463).
 *
 * The record's p= is what opendkim-genkey and RFC 8463 publish:
 *   RSA      base64 of the DER SubjectPublicKeyInfo (RFC 6376 §3.6.1)
 *   Ed25519  base64 of the 32 raw public-key bytes (RFC 8463 §4.2)
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "dkim/crypto.h"
#include "dkim/keyrec.h"
#include "dkim/keys.h"
#include "util/buf.h"
#include "util/error.h"

/* A PEM private key is a few KB (8192-bit RSA: about 6.4 KB); refuse files far larger. */
#define PEM_MAX (64 * 1024)

struct emauth_dkim_key {
    EVP_PKEY *pkey;
    emauth_dkim_key_type type;
};

EVP_PKEY *ea_dkim_key_pkey(const emauth_dkim_key *k)
{
    return k->pkey;
}

emauth_dkim_key_type emauth_dkim_key_kind(const emauth_dkim_key *k)
{
    return k->type;
}

unsigned emauth_dkim_key_bits(const emauth_dkim_key *k)
{
    return ea_dkim_pkey_bits(k->pkey);
}

void emauth_dkim_key_free(emauth_dkim_key *k)
{
    if (k == NULL)
        return;
    EVP_PKEY_free(k->pkey);
    free(k);
}

/* The reason of OpenSSL's last error, for a message; clears the error queue. */
static const char *openssl_reason(void)
{
    const char *r = ERR_reason_error_string(ERR_peek_last_error());
    ERR_clear_error();
    return r != NULL ? r : "unknown error";
}

/* Takes pkey (freed on failure) into a new key when it is RSA or Ed25519. */
static emauth_status wrap_key(EVP_PKEY *pkey, emauth_dkim_key **out, emauth_error *err)
{
    emauth_dkim_key_type type;
    switch (EVP_PKEY_get_base_id(pkey)) {
    case EVP_PKEY_RSA: type = EMAUTH_DKIM_RSA; break;
    case EVP_PKEY_ED25519: type = EMAUTH_DKIM_ED25519; break;
    default: {
        const char *name = EVP_PKEY_get0_type_name(pkey);
        EVP_PKEY_free(pkey);
        return ea_error(err, EMAUTH_ERR_INVALID, 0, 0,
                        "a %s key: DKIM signs with RSA or Ed25519 keys",
                        name != NULL ? name : "unknown");
    }
    }
    *out = malloc(sizeof **out);
    if (*out == NULL) {
        EVP_PKEY_free(pkey);
        return ea_error(err, EMAUTH_ERR_NOMEM, 0, 0, "out of memory");
    }
    (*out)->pkey = pkey;
    (*out)->type = type;
    return EMAUTH_OK;
}

/* ---- Reading PEM ------------------------------------------------------------------ */

/* Encrypted keys are refused: the password callback gives none. */
static int no_password(char *buf, int size, int rwflag, void *arg)
{
    (void)buf, (void)size, (void)rwflag, (void)arg;
    return -1;
}

static int contains(const char *s, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; n <= len && i <= len - n; i++)
        if (memcmp(s + i, needle, n) == 0)
            return 1;
    return 0;
}

/* Why pem[0..len) could not be read as a private key. */
static emauth_status pem_error(const char *pem, size_t len, emauth_error *err)
{
    const char *reason = openssl_reason();
    if (!contains(pem, len, "-----BEGIN "))
        return ea_error(err, EMAUTH_ERR_SYNTAX, 0, 0, "not a PEM key (no \"-----BEGIN\" line)");
    if (contains(pem, len, "ENCRYPTED"))
        return ea_error(err, EMAUTH_ERR_INVALID, 0, 0,
                        "an encrypted private key: give it unencrypted "
                        "(openssl pkey -in KEY -out PLAIN)");
    if (contains(pem, len, "PUBLIC KEY-----") && !contains(pem, len, "PRIVATE KEY-----"))
        return ea_error(err, EMAUTH_ERR_INVALID, 0, 0, "a public key, not a private key");
    return ea_error(err, EMAUTH_ERR_SYNTAX, 0, 0, "not a valid PEM private key (%s)", reason);
}

emauth_status emauth_dkim_key_load_pem(const char *pem, size_t len, emauth_dkim_key **out,
                                       emauth_error *err)
{
    *out = NULL;
    if (len > PEM_MAX)
        return ea_error(err, EMAUTH_ERR_LIMIT, 0, 0, "%zu bytes: too large for a PEM key", len);
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    if (bio == NULL)
        return ea_error(err, EMAUTH_ERR_NOMEM, 0, 0, "out of memory");
    /* PKCS#8 ("PRIVATE KEY") and traditional ("RSA PRIVATE KEY") alike. */
    EVP_PKEY *pkey = PEM_read_bio_PrivateKey(bio, NULL, no_password, NULL);
    BIO_free(bio);
    if (pkey == NULL)
        return pem_error(pem, len, err);
    ERR_clear_error();
    return wrap_key(pkey, out, err);
}

/* Reads at most PEM_MAX bytes of path into buf (PEM_MAX + 1 bytes); -1 with err set. */
static emauth_status read_small_file(const char *path, char *buf, size_t *len, emauth_error *err)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        return ea_error(err, EMAUTH_ERR_IO, 0, 0, "%s: %s", path, strerror(errno));
    *len = fread(buf, 1, PEM_MAX + 1, fp);
    int failed = ferror(fp);
    fclose(fp);
    if (failed)
        return ea_error(err, EMAUTH_ERR_IO, 0, 0, "%s: read error", path);
    if (*len > PEM_MAX)
        return ea_error(err, EMAUTH_ERR_LIMIT, 0, 0, "%s: over %d bytes: too large for a PEM key",
                        path, PEM_MAX);
    return EMAUTH_OK;
}

emauth_status emauth_dkim_key_load_file(const char *path, emauth_dkim_key **out,
                                        emauth_error *err)
{
    *out = NULL;
    char *buf = malloc(PEM_MAX + 1);
    if (buf == NULL)
        return ea_error(err, EMAUTH_ERR_NOMEM, 0, 0, "out of memory");
    size_t len = 0;
    emauth_status st = read_small_file(path, buf, &len, err);
    if (st == EMAUTH_OK) {
        st = emauth_dkim_key_load_pem(buf, len, out, err);
        if (st != EMAUTH_OK && err != NULL) {
            char why[EMAUTH_ERROR_MAX];
            memcpy(why, err->message, sizeof why);
            ea_error(err, st, 0, 0, "%s: %s", path, why);
        }
    }
    OPENSSL_cleanse(buf, PEM_MAX + 1);   /* the private key does not outlive its use */
    free(buf);
    return st;
}

/* ---- Generating and writing ---------------------------------------------------------- */

emauth_status emauth_dkim_keygen(emauth_dkim_key_type type, unsigned bits, emauth_dkim_key **out,
                                 emauth_error *err)
{
    *out = NULL;
    EVP_PKEY *pkey;
    if (type == EMAUTH_DKIM_RSA) {
        if (bits < 1024 || bits > 8192)
            return ea_error(err, EMAUTH_ERR_INVALID, 0, 0,
                            "RSA keys have 1024 to 8192 bits, not %u", bits);
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
    } else if (type == EMAUTH_DKIM_ED25519) {
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    } else {
        return ea_error(err, EMAUTH_ERR_INVALID, 0, 0, "unknown key type %d", (int)type);
    }
    if (pkey == NULL)
        return ea_error(err, EMAUTH_ERR_NOMEM, 0, 0, "key generation failed (%s)",
                        openssl_reason());
    return wrap_key(pkey, out, err);
}

/* Copies what bio holds into a new NUL-terminated string. */
static emauth_status bio_string(BIO *bio, char **s, size_t *len, emauth_error *err)
{
    char *data;
    long n = BIO_get_mem_data(bio, &data);
    if (n <= 0 || (*s = malloc((size_t)n + 1)) == NULL)
        return ea_error(err, EMAUTH_ERR_NOMEM, 0, 0, "out of memory");
    memcpy(*s, data, (size_t)n);
    (*s)[n] = '\0';
    if (len != NULL)
        *len = (size_t)n;
    return EMAUTH_OK;
}

emauth_status emauth_dkim_key_pem(const emauth_dkim_key *k, char **pem, size_t *len,
                                  emauth_error *err)
{
    *pem = NULL;
    if (len != NULL)
        *len = 0;
    /* Secure memory BIO: the copy OpenSSL makes is wiped when freed. */
    BIO *bio = BIO_new(BIO_s_secmem());
    if (bio == NULL)
        return ea_error(err, EMAUTH_ERR_NOMEM, 0, 0, "out of memory");
    emauth_status st;
    if (PEM_write_bio_PKCS8PrivateKey(bio, k->pkey, NULL, NULL, 0, NULL, NULL) != 1)
        st = ea_error(err, EMAUTH_ERR_NOMEM, 0, 0, "cannot write the key (%s)", openssl_reason());
    else
        st = bio_string(bio, pem, len, err);
    BIO_free(bio);
    return st;
}

/* The bytes p= publishes (see the top of this file), appended base64 to out. */
static int append_public_key(const emauth_dkim_key *k, ea_buf *out)
{
    if (k->type == EMAUTH_DKIM_ED25519) {
        unsigned char raw[32];
        size_t n = sizeof raw;
        if (EVP_PKEY_get_raw_public_key(k->pkey, raw, &n) != 1)
            return -1;
        return ea_base64_encode(raw, n, out);
    }
    unsigned char *der = NULL;
    int n = i2d_PUBKEY(k->pkey, &der);
    if (n <= 0)
        return -1;
    int rc = ea_base64_encode(der, (size_t)n, out);
    OPENSSL_free(der);
    return rc;
}

emauth_status emauth_dkim_key_record(const emauth_dkim_key *k, char **record, emauth_error *err)
{
    *record = NULL;
    ea_buf b;
    ea_buf_init(&b);
    const char *type = k->type == EMAUTH_DKIM_RSA ? "rsa" : "ed25519";
    if (ea_buf_printf(&b, "v=DKIM1; k=%s; p=", type) != 0 || append_public_key(k, &b) != 0) {
        ea_buf_free(&b);
        ERR_clear_error();
        return ea_error(err, EMAUTH_ERR_NOMEM, 0, 0, "out of memory");
    }
    *record = b.data;   /* the buffer's storage becomes the caller's */
    return EMAUTH_OK;
}

/* ---- Checking a published key record -------------------------------------------------- */

/*
 * Problem codes (error: verifiers refuse the key or every signature with
 * it fails; warning: works, but risky; info):
 *   syntax        error    not a tag=value list, or a tag twice
 *   version       error    v= not first, or not DKIM1
 *   key-type      error    k= other than rsa and ed25519
 *   no-key        error    no p=
 *   revoked       error    p= empty: the key was withdrawn
 *   bad-key       error    p= not base64, or not a key of type k=
 *   short-key     error    RSA under 1024 bits (RFC 8301 §3.2: refused)
 *   weak-key      warning  RSA under 2048 bits (RFC 8301 recommends 2048)
 *   long-key      warning  RSA over 4096 bits (verifiers need only handle 4096)
 *   hash          error    h= allows no hash but sha1 (RFC 8301) or none known
 *   service       error    s= includes neither email nor *
 *   testing       warning  t=y
 *   key-mismatch  error    not the public half of the private key given
 *   no-version    info     no v=DKIM1 (optional; recommended)
 *   strict        info     t=s
 *   key           info     the key's type and size
 * The report lists errors, then warnings, then infos.
 */
enum { SEV_ERROR, SEV_WARNING, SEV_INFO };

typedef struct check {
    ea_buf lines[3];      /* per severity */
    unsigned errors;
    int failed;           /* out of memory */
} check;

static void problem(check *c, int sev, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void problem(check *c, int sev, const char *code, const char *fmt, ...)
{
    static const char *const names[] = {"error", "warning", "info"};
    char msg[EMAUTH_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    c->failed |= ea_buf_printf(&c->lines[sev], "%s %s: %s\n", names[sev], code, msg) != 0;
    c->errors += sev == SEV_ERROR;
}

/* The code of a key-record parse error: its message starts with the tag (keyrec.h). */
static const char *parse_code(const char *msg)
{
    if (strncmp(msg, "v=", 2) == 0)
        return "version";
    if (strncmp(msg, "k=", 2) == 0)
        return "key-type";
    if (strncmp(msg, "p=", 2) == 0)
        return "no-key";
    return "syntax";
}

static void check_flags(check *c, const ea_dkim_keyrec *r)
{
    if (!r->has_v)
        problem(c, SEV_INFO, "no-version", "no v=DKIM1 (optional; when present it comes first)");
    if (r->hashes == EA_DKIM_HASH_SHA1)
        problem(c, SEV_ERROR, "hash",
                "h= allows only sha1, which RFC 8301 forbids: sha256 signatures are refused");
    else if ((r->hashes & EA_DKIM_HASH_SHA256) == 0)
        problem(c, SEV_ERROR, "hash", "h= names no known hash: sha256 signatures are refused");
    if (!r->email)
        problem(c, SEV_ERROR, "service", "s= includes neither email nor *: not a key for mail");
    if (r->testing)
        problem(c, SEV_WARNING, "testing",
                "t=y: the domain is testing DKIM; verifiers may treat its signatures as absent");
    if (r->strict)
        problem(c, SEV_INFO, "strict", "t=s: i= must be in d= itself, not a subdomain");
}

static void check_size(check *c, const ea_dkim_keyrec *r, unsigned bits)
{
    if (r->type == EMAUTH_DKIM_ED25519) {
        problem(c, SEV_INFO, "key", "an Ed25519 key (RFC 8463)");
        return;
    }
    problem(c, SEV_INFO, "key", "an RSA key of %u bits", bits);
    if (bits < 1024)
        problem(c, SEV_ERROR, "short-key",
                "RSA keys under 1024 bits are refused by verifiers (RFC 8301 section 3.2)");
    else if (bits < 2048)
        problem(c, SEV_WARNING, "weak-key", "%u-bit RSA: RFC 8301 recommends 2048 bits", bits);
    else if (bits > 4096)
        problem(c, SEV_WARNING, "long-key",
                "%u-bit RSA: verifiers need only handle up to 4096 bits (RFC 8301)", bits);
}

static void check_match(check *c, const ea_dkim_keyrec *r, EVP_PKEY *pub,
                        const emauth_dkim_key *priv)
{
    static const char *const types[] = {"RSA", "Ed25519"};
    if (priv->type != r->type)
        problem(c, SEV_ERROR, "key-mismatch", "the record has an %s key, the private key is %s",
                types[r->type], types[priv->type]);
    else if (EVP_PKEY_eq(pub, priv->pkey) != 1)
        problem(c, SEV_ERROR, "key-mismatch",
                "the record's key is not the public half of the private key");
    ERR_clear_error();
}

static void check_record(check *c, const char *record, size_t len, const emauth_dkim_key *priv)
{
    ea_dkim_keyrec r;
    emauth_error perr;
    emauth_error_clear(&perr);
    if (ea_dkim_keyrec_parse(record, len, &r, &perr) != EMAUTH_OK) {
        problem(c, SEV_ERROR, parse_code(perr.message), "%s", perr.message);
        return;
    }
    check_flags(c, &r);
    if (r.revoked) {
        problem(c, SEV_ERROR, "revoked", "p= is empty: the key is revoked; its signatures fail");
        return;
    }
    const char *why = NULL;
    EVP_PKEY *pub = ea_dkim_keyrec_key(&r, &why);
    if (pub == NULL) {
        int revoked = why != NULL && strstr(why, "revoked") != NULL;
        problem(c, SEV_ERROR, revoked ? "revoked" : "bad-key", "p=: %s",
                why != NULL ? why : "not a key");
        ERR_clear_error();
        return;
    }
    check_size(c, &r, ea_dkim_pkey_bits(pub));
    if (priv != NULL)
        check_match(c, &r, pub, priv);
    EVP_PKEY_free(pub);
}

emauth_status emauth_dkim_key_check(const char *record, size_t len, const emauth_dkim_key *priv,
                                    char **report, unsigned *errors, emauth_error *err)
{
    check c = {.errors = 0};
    *report = NULL;
    *errors = 0;
    for (int s = 0; s < 3; s++)
        ea_buf_init(&c.lines[s]);
    check_record(&c, record, len, priv);
    for (int s = 1; s < 3; s++)
        c.failed |= ea_buf_append(&c.lines[0], c.lines[s].data, c.lines[s].len) != 0;
    c.failed |= ea_buf_reserve(&c.lines[0], 1) != 0;
    for (int s = 1; s < 3; s++)
        ea_buf_free(&c.lines[s]);
    if (c.failed) {
        ea_buf_free(&c.lines[0]);
        return ea_error(err, EMAUTH_ERR_NOMEM, 0, 0, "out of memory");
    }
    c.lines[0].data[c.lines[0].len] = '\0';
    *report = c.lines[0].data;
    *errors = c.errors;
    return EMAUTH_OK;
}
