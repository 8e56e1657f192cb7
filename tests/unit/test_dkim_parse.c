/*
 * The DKIM parsers and crypto helpers, table-driven: DKIM-Signature fields
 * (signature.h), key records (keyrec.h), base64 and public keys (crypto.h).
 * Every error case checks that the message names the tag at fault.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "dkim/crypto.h"
#include "dkim/keyrec.h"
#include "dkim/signature.h"

#define BH "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8="
#define B "dGhpcyBpcyBub3QgcmVhbGx5IGEgc2lnbmF0dXJl"
#define REQ "v=1; a=rsa-sha256; d=example.com; s=sel; h=from:to; bh=" BH "; b=" B

/* ---- DKIM-Signature ------------------------------------------------------------------- */

typedef struct sig_case {
    const char *value;       /* after "DKIM-Signature:" */
    const char *error;       /* NULL: parses; else a substring of the message */
} sig_case;

static const sig_case sig_cases[] = {
    {" " REQ, NULL},
    {" " REQ "; c=relaxed", NULL},
    {" " REQ "; c=Relaxed/SIMPLE", NULL},
    {" " REQ "; z=From:joe|To:x; foo=bar; q=dns/txt", NULL},
    {" " REQ "; i=joe@example.com; l=0; t=1; x=1", NULL},
    {" " REQ "; i=@mail.Example.COM", NULL},
    {" " REQ "; q=other/thing:DNS/TXT", NULL},
    {" v=1; a=ed25519-sha256; d=example.com; s=a.b; h=To : FROM; bh=" BH ";\r\n\tb=" B, NULL},
    {" a=rsa-sha256; d=example.com; s=sel; h=from; bh=" BH "; b=" B, "v= missing"},
    {" v=2; a=rsa-sha256; d=example.com; s=sel; h=from; bh=" BH "; b=" B, "v= is \"2\""},
    {" v=1; a=rsa-md5; d=example.com; s=sel; h=from; bh=" BH "; b=" B, "a= unknown algorithm"},
    {" v=1; d=example.com; s=sel; h=from; bh=" BH "; b=" B, "a= missing"},
    {" v=1; a=rsa-sha256; s=sel; h=from; bh=" BH "; b=" B, "d= missing"},
    {" v=1; a=rsa-sha256; d=exa mple.com; s=sel; h=from; bh=" BH "; b=" B, "d= \"exa mple.com\""},
    {" v=1; a=rsa-sha256; d=example..com; s=sel; h=from; bh=" BH "; b=" B, "d= "},
    {" v=1; a=rsa-sha256; d=example.com.; s=sel; h=from; bh=" BH "; b=" B, "d= "},
    {" v=1; a=rsa-sha256; d=example.com; h=from; bh=" BH "; b=" B, "s= missing"},
    {" v=1; a=rsa-sha256; d=example.com; s=s/l; h=from; bh=" BH "; b=" B, "s= "},
    {" v=1; a=rsa-sha256; d=example.com; s=sel; bh=" BH "; b=" B, "h= missing"},
    {" v=1; a=rsa-sha256; d=example.com; s=sel; h=to:subject; bh=" BH "; b=" B,
     "h= does not list From"},
    {" v=1; a=rsa-sha256; d=example.com; s=sel; h=from::to; bh=" BH "; b=" B, "h= has a bad"},
    {" v=1; a=rsa-sha256; d=example.com; s=sel; h=from; b=" B, "bh= missing"},
    {" v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=" BH, "b= missing"},
    {" v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=" BH "; b=", "b= is empty"},
    {" v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=" BH "; b=abc!", "b= is not base64"},
    {" v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=" BH "; b=abc", "b= is not base64"},
    {" v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=%%%; b=" B, "bh= is not base64"},
    {" " REQ "; c=fancy", "c= unknown canonicalization"},
    {" " REQ "; c=relaxed/", "c= unknown canonicalization"},
    {" " REQ "; i=joe@example.org", "i= is not within d="},
    {" " REQ "; i=joe@badexample.com", "i= is not within d="},
    {" " REQ "; i=joe", "i= \"joe\" is not an identity"},
    {" " REQ "; l=12x", "l= "},
    {" " REQ "; l=-1", "l= "},
    {" " REQ "; q=dns", "q= \"dns\" does not offer dns/txt"},
    {" " REQ "; t=soon", "t= "},
    {" " REQ "; t=1234567890123", "t= "},
    {" " REQ "; t=200; x=100", "x= is before t="},
    {" " REQ "; d=example.org", "\"d\" appears twice"},
    {" " REQ "; =x", "column"},
};

static void test_signature_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof sig_cases / sizeof sig_cases[0]; i++) {
        const sig_case *c = &sig_cases[i];
        char field[1024];
        snprintf(field, sizeof field, "DKIM-Signature:%s", c->value);
        ea_dkim_sig s;
        emauth_error err;
        emauth_error_clear(&err);
        emauth_status st = ea_dkim_sig_parse(field, strlen(field), 14, &s, &err);
        if (c->error == NULL) {
            if (st != EMAUTH_OK)
                fail_msg("case %zu: %s: %s", i, c->value, err.message);
        } else {
            if (st != EMAUTH_ERR_SYNTAX || strstr(err.message, c->error) == NULL)
                fail_msg("case %zu: %s: status %d, message \"%s\", wanted \"%s\"", i, c->value,
                         st, err.message, c->error);
            assert_int_equal(s.sig_len, 0);     /* no partial results */
            assert_null(s.d.p);
        }
    }
}

static void parse_ok(const char *value, ea_dkim_sig *s, char *field, size_t size)
{
    snprintf(field, size, "DKIM-Signature:%s", value);
    emauth_error err;
    if (ea_dkim_sig_parse(field, strlen(field), 14, s, &err) != EMAUTH_OK)
        fail_msg("%s: %s", value, err.message);
}

static void test_signature_values(void **state)
{
    (void)state;
    char field[512];
    ea_dkim_sig s;
    parse_ok(" " REQ, &s, field, sizeof field);
    assert_int_equal(s.alg, EA_DKIM_RSA_SHA256);
    assert_int_equal(s.header_canon, EA_CANON_SIMPLE);
    assert_int_equal(s.body_canon, EA_CANON_SIMPLE);
    assert_int_equal(s.d.len, 11);
    assert_memory_equal(s.d.p, "example.com", 11);
    assert_int_equal(s.s.len, 3);
    assert_int_equal(s.i.len, 0);
    assert_int_equal(s.has_l, 0);
    assert_int_equal(s.t, -1);
    assert_int_equal(s.x, -1);
    assert_int_equal(s.bh_len, 32);
    assert_int_equal(s.sig_len, 30);
    assert_memory_equal(s.sig, "this is not really a signature", 30);

    parse_ok(" " REQ "; c=relaxed; l=123; t=1528637909; x=1528637910", &s, field, sizeof field);
    assert_int_equal(s.header_canon, EA_CANON_RELAXED);
    assert_int_equal(s.body_canon, EA_CANON_SIMPLE);
    assert_true(s.has_l);
    assert_int_equal(s.l, 123);
    assert_int_equal(s.t, 1528637909);
    assert_int_equal(s.x, 1528637910);

    /* 76 digits are allowed; the value saturates. */
    parse_ok(" " REQ "; c=simple/relaxed; l=9999999999999999999999999999999999999999999999999999999"
             "999999999999999999999", &s, field, sizeof field);
    assert_int_equal(s.body_canon, EA_CANON_RELAXED);
    assert_true(s.l == UINT64_MAX - 1);
}

/* The header list, in order, FWS trimmed. */
static void test_signature_headers(void **state)
{
    (void)state;
    char field[512];
    ea_dkim_sig s;
    parse_ok(" v=1; a=rsa-sha256; d=example.com; s=sel; h=From : to:\r\n Subject:from; bh=" BH
             "; b=" B, &s, field, sizeof field);
    static const char *const want[] = {"From", "to", "Subject", "from"};
    const char *name;
    size_t pos = 0, n, k = 0;
    while (ea_dkim_sig_header(&s, &pos, &name, &n)) {
        assert_true(k < 4);
        assert_int_equal(n, strlen(want[k]));
        assert_memory_equal(name, want[k], n);
        k++;
    }
    assert_int_equal(k, 4);
}

/* What hashing deletes: the b= value and the FWS around it, nothing else. */
static void test_signature_b_span(void **state)
{
    (void)state;
    static const struct {
        const char *value, *hashed;
    } cases[] = {
        {" v=1; b=" B "; a=rsa-sha256; d=example.com; s=s; h=from; bh=" BH,
         " v=1; b=; a=rsa-sha256; d=example.com; s=s; h=from; bh=" BH},
        {" v=1; a=rsa-sha256; d=example.com; s=s; h=from; bh=" BH "; b = dGhp\r\n cyBp ",
         " v=1; a=rsa-sha256; d=example.com; s=s; h=from; bh=" BH "; b ="},
        {" v=1; a=rsa-sha256; d=example.com; s=s; h=from; bh=" BH ";\r\n b=\r\n\tdGhp;",
         " v=1; a=rsa-sha256; d=example.com; s=s; h=from; bh=" BH ";\r\n b=;"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char field[512], out[512];
        ea_dkim_sig s;
        parse_ok(cases[i].value, &s, field, sizeof field);
        snprintf(out, sizeof out, "%.*s%s", (int)s.b_start, field, field + s.b_end);
        assert_string_equal(out + 15, cases[i].hashed);
    }
}

static void test_signature_peek(void **state)
{
    (void)state;
    const char *f = "DKIM-Signature: v=1; a=foo; d=example.com; s=sel";
    ea_dkim_span d = ea_dkim_sig_peek(f, strlen(f), 14, "d");
    assert_int_equal(d.len, 11);
    assert_memory_equal(d.p, "example.com", 11);
    assert_int_equal(ea_dkim_sig_peek(f, strlen(f), 14, "b").len, 0);
    f = "DKIM-Signature: v=1; d=a; d=b";
    assert_int_equal(ea_dkim_sig_peek(f, strlen(f), 14, "d").len, 0);
}

static void test_domain_within(void **state)
{
    (void)state;
    assert_true(ea_dkim_domain_within("example.com", 11, "example.com", 11));
    assert_true(ea_dkim_domain_within("Mail.EXAMPLE.com", 16, "example.COM", 11));
    assert_false(ea_dkim_domain_within("badexample.com", 14, "example.com", 11));
    assert_false(ea_dkim_domain_within("example.com", 11, "mail.example.com", 16));
    const char *dom;
    size_t n;
    assert_true(ea_dkim_identity_domain("\"a@b\"@example.com", 17, &dom, &n));
    assert_int_equal(n, 11);
    assert_false(ea_dkim_identity_domain("nobody", 6, &dom, &n));
}

/* ---- key records ------------------------------------------------------------------------ */

/* The RSA key of RFC 8463 A.2 (1024 bits). */
#define RSA_P                                                                                    \
    "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16" \
    "JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2E" \
    "eC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB"
#define ED_P "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="

typedef struct key_case {
    const char *record;
    const char *error;                  /* parse error substring, or NULL */
    emauth_dkim_key_type type;
    unsigned hashes;
    int revoked, testing, strict, email;
} key_case;

#define BOTH (EA_DKIM_HASH_SHA1 | EA_DKIM_HASH_SHA256)
#define KEYBAD(rec, error) {rec, error, EMAUTH_DKIM_RSA, 0, 0, 0, 0, 0}

static const key_case key_cases[] = {
    {"v=DKIM1; k=rsa; p=" RSA_P, NULL, EMAUTH_DKIM_RSA, BOTH, 0, 0, 0, 1},
    {"p=" RSA_P, NULL, EMAUTH_DKIM_RSA, BOTH, 0, 0, 0, 1},
    {"v=DKIM1; k=ed25519; p=" ED_P, NULL, EMAUTH_DKIM_ED25519, BOTH, 0, 0, 0, 1},
    {"v=DKIM1; K=x; k=ED25519; p=" ED_P "; n=notes; foo=bar", NULL, EMAUTH_DKIM_ED25519, BOTH,
     0, 0, 0, 1},
    {"v=DKIM1; p=", NULL, EMAUTH_DKIM_RSA, BOTH, 1, 0, 0, 1},
    {"v=DKIM1; h=sha1; p=" RSA_P, NULL, EMAUTH_DKIM_RSA, EA_DKIM_HASH_SHA1, 0, 0, 0, 1},
    {"v=DKIM1; h=sha512 : sha256; p=" RSA_P, NULL, EMAUTH_DKIM_RSA, EA_DKIM_HASH_SHA256, 0, 0, 0,
     1},
    {"v=DKIM1; h=md5; p=" RSA_P, NULL, EMAUTH_DKIM_RSA, 0, 0, 0, 0, 1},
    {"v=DKIM1; s=email; p=", NULL, EMAUTH_DKIM_RSA, BOTH, 1, 0, 0, 1},
    {"v=DKIM1; s=*; p=", NULL, EMAUTH_DKIM_RSA, BOTH, 1, 0, 0, 1},
    {"v=DKIM1; s=tlsrpt; p=", NULL, EMAUTH_DKIM_RSA, BOTH, 1, 0, 0, 0},
    {"v=DKIM1; s=tlsrpt:email; p=", NULL, EMAUTH_DKIM_RSA, BOTH, 1, 0, 0, 1},
    {"v=DKIM1; t=y; p=", NULL, EMAUTH_DKIM_RSA, BOTH, 1, 1, 0, 1},
    {"v=DKIM1; t=s:y; p=", NULL, EMAUTH_DKIM_RSA, BOTH, 1, 1, 1, 1},
    {"v=DKIM1; t=x; p=", NULL, EMAUTH_DKIM_RSA, BOTH, 1, 0, 0, 1},
    KEYBAD("k=rsa; v=DKIM1; p=" RSA_P, "v= is not the first tag"),
    KEYBAD("v=DKIM2; p=" RSA_P, "v= is not DKIM1"),
    KEYBAD("v=dkim1; p=" RSA_P, "v= is not DKIM1"),
    KEYBAD("v=DKIM1; k=dsa; p=" RSA_P, "k= unknown key type \"dsa\""),
    KEYBAD("v=DKIM1; k=rsa", "p= missing"),
    KEYBAD("v=DKIM1; p=a; p=b", "\"p\" appears twice"),
    KEYBAD("v=DKIM1; p=a b\x01", "p\""),
};

static void test_keyrec_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof key_cases / sizeof key_cases[0]; i++) {
        const key_case *c = &key_cases[i];
        ea_dkim_keyrec r;
        emauth_error err;
        emauth_error_clear(&err);
        emauth_status st = ea_dkim_keyrec_parse(c->record, strlen(c->record), &r, &err);
        if (c->error != NULL) {
            if (st != EMAUTH_ERR_SYNTAX || strstr(err.message, c->error) == NULL)
                fail_msg("case %zu: %s: status %d, \"%s\", wanted \"%s\"", i, c->record, st,
                         err.message, c->error);
            assert_null(r.p);
            continue;
        }
        if (st != EMAUTH_OK)
            fail_msg("case %zu: %s: %s", i, c->record, err.message);
        if (r.type != c->type || r.hashes != c->hashes || r.revoked != c->revoked ||
            r.testing != c->testing || r.strict != c->strict || r.email != c->email)
            fail_msg("case %zu: %s: type %d hashes %u revoked %d testing %d strict %d email %d", i,
                     c->record, r.type, r.hashes, r.revoked, r.testing, r.strict, r.email);
    }
}

typedef struct pkey_case {
    const char *record;
    unsigned bits;          /* 0: no key */
    const char *why;
} pkey_case;

static const pkey_case pkey_cases[] = {
    {"v=DKIM1; p=" RSA_P, 1024, NULL},
    {"v=DKIM1; k=ed25519; p=" ED_P, 256, NULL},
    {"v=DKIM1; p=", 0, "revoked"},
    {"v=DKIM1; p=MIGf!", 0, "not base64"},
    {"v=DKIM1; p=AAAA", 0, "not a DER public key"},
    {"v=DKIM1; k=ed25519; p=" RSA_P, 0, "32 bytes"},
    {"v=DKIM1; k=ed25519; p=AAAA", 0, "32 bytes"},
    {"v=DKIM1; p=" ED_P, 0, "not a DER public key"},
};

static void test_keyrec_key(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof pkey_cases / sizeof pkey_cases[0]; i++) {
        const pkey_case *c = &pkey_cases[i];
        ea_dkim_keyrec r;
        assert_int_equal(ea_dkim_keyrec_parse(c->record, strlen(c->record), &r, NULL), EMAUTH_OK);
        const char *why = NULL;
        EVP_PKEY *k = ea_dkim_keyrec_key(&r, &why);
        if (c->bits) {
            if (k == NULL)
                fail_msg("case %zu: %s: %s", i, c->record, why);
            assert_int_equal(ea_dkim_pkey_bits(k), c->bits);
        } else {
            assert_null(k);
            if (why == NULL || strstr(why, c->why) == NULL)
                fail_msg("case %zu: %s: \"%s\", wanted \"%s\"", i, c->record, why, c->why);
        }
        EVP_PKEY_free(k);
    }
    ea_dkim_keyrec r;
    assert_int_equal(ea_dkim_keyrec_parse("h=sha1; p=", 10, &r, NULL), EMAUTH_OK);
    assert_true(ea_dkim_keyrec_allows(&r, EA_DKIM_RSA_SHA1));
    assert_false(ea_dkim_keyrec_allows(&r, EA_DKIM_RSA_SHA256));
    assert_false(ea_dkim_keyrec_allows(&r, EA_DKIM_ED25519_SHA256));
}

/* A bare PKCS#1 RSAPublicKey in p= is taken too (some old publishers). */
static void test_pubkey_pkcs1(void **state)
{
    (void)state;
    ea_buf der;
    ea_buf_init(&der);
    assert_int_equal(ea_base64_decode(RSA_P, strlen(RSA_P), &der), 0);
    const char *why = NULL;
    EVP_PKEY *k = ea_dkim_pubkey(EMAUTH_DKIM_RSA, (unsigned char *)der.data, der.len, &why);
    assert_non_null(k);
    unsigned char *pkcs1 = NULL;
    int n = i2d_PublicKey(k, &pkcs1);
    assert_true(n > 0);
    EVP_PKEY *k2 = ea_dkim_pubkey(EMAUTH_DKIM_RSA, pkcs1, (size_t)n, &why);
    assert_non_null(k2);
    assert_int_equal(EVP_PKEY_eq(k, k2), 1);
    /* One byte more is not a key. */
    assert_int_equal(ea_buf_putc(&der, 0), 0);
    assert_null(ea_dkim_pubkey(EMAUTH_DKIM_RSA, (unsigned char *)der.data, der.len, &why));
    assert_string_equal(why, "trailing bytes after the key");
    OPENSSL_free(pkcs1);
    EVP_PKEY_free(k);
    EVP_PKEY_free(k2);
    ea_buf_free(&der);
}

/* ---- base64 and algorithms ----------------------------------------------------------------- */

typedef struct b64_case {
    const char *in;
    const char *out;        /* NULL: malformed */
} b64_case;

static const b64_case b64_cases[] = {
    {"", ""},
    {" \r\n\t", ""},
    {"aGVsbG8=", "hello"},
    {"aGVs\r\n bG8=", "hello"},
    {"a G V s b G 8 =", "hello"},
    {"aGVsbA==", "hell"},
    {"aGVsbG8h", "hello!"},
    {"aGVsbA= =", "hell"},
    {"aGVsbG8", NULL},
    {"aGVsbG8==", NULL},
    {"aGV$bG8=", NULL},
    {"aGVs-G8=", NULL},
    {"aGVsbA==aGVs", NULL},
    {"aG=sbA==", NULL},
    {"====", NULL},
    {"aGVsbG8=;", NULL},
};

static void test_base64(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof b64_cases / sizeof b64_cases[0]; i++) {
        const b64_case *c = &b64_cases[i];
        ea_buf b;
        ea_buf_init(&b);
        assert_int_equal(ea_buf_puts(&b, "x"), 0);   /* decoding appends */
        int rc = ea_base64_decode(c->in, strlen(c->in), &b);
        if (c->out == NULL) {
            if (rc != -1 || b.len != 1)
                fail_msg("case %zu: \"%s\" accepted", i, c->in);
        } else {
            if (rc != 0)
                fail_msg("case %zu: \"%s\" refused", i, c->in);
            assert_int_equal(b.len, 1 + strlen(c->out));
            assert_memory_equal(b.data + 1, c->out, strlen(c->out));
        }
        ea_buf_free(&b);
    }
}

static void test_base64_roundtrip(void **state)
{
    (void)state;
    unsigned char data[256];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (unsigned char)(i * 7 + 3);
    for (size_t n = 0; n <= sizeof data; n += 37) {
        ea_buf enc, dec;
        ea_buf_init(&enc);
        ea_buf_init(&dec);
        assert_int_equal(ea_base64_encode(data, n, &enc), 0);
        assert_int_equal(enc.len, 4 * ((n + 2) / 3));
        assert_int_equal(ea_base64_decode(enc.data, enc.len, &dec), 0);
        assert_int_equal(dec.len, n);
        if (n)
            assert_memory_equal(dec.data, data, n);
        ea_buf_free(&enc);
        ea_buf_free(&dec);
    }
}

static void test_algorithms(void **state)
{
    (void)state;
    assert_int_equal(ea_dkim_alg_parse("rsa-sha256", 10), EA_DKIM_RSA_SHA256);
    assert_int_equal(ea_dkim_alg_parse("RSA-SHA1", 8), EA_DKIM_RSA_SHA1);
    assert_int_equal(ea_dkim_alg_parse("ed25519-sha256", 14), EA_DKIM_ED25519_SHA256);
    assert_int_equal(ea_dkim_alg_parse("rsa-sha2567", 11), -1);
    assert_int_equal(ea_dkim_alg_parse("rsa-sha", 7), -1);
    assert_string_equal(ea_dkim_alg_name(EA_DKIM_ED25519_SHA256), "ed25519-sha256");
    assert_ptr_equal(ea_dkim_alg_md(EA_DKIM_RSA_SHA1), EVP_sha1());
    assert_ptr_equal(ea_dkim_alg_md(EA_DKIM_ED25519_SHA256), EVP_sha256());
    assert_int_equal(ea_dkim_alg_key(EA_DKIM_ED25519_SHA256), EMAUTH_DKIM_ED25519);
    assert_int_equal(ea_dkim_alg_key(EA_DKIM_RSA_SHA1), EMAUTH_DKIM_RSA);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signature_table),
        cmocka_unit_test(test_signature_values),
        cmocka_unit_test(test_signature_headers),
        cmocka_unit_test(test_signature_b_span),
        cmocka_unit_test(test_signature_peek),
        cmocka_unit_test(test_domain_within),
        cmocka_unit_test(test_keyrec_table),
        cmocka_unit_test(test_keyrec_key),
        cmocka_unit_test(test_pubkey_pkcs1),
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_base64_roundtrip),
        cmocka_unit_test(test_algorithms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
