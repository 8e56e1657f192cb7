/*
 * DKIM keys (emauth/dkim.h, "Keys"): generation of each type and size,
 * PEM in (PKCS#8, traditional RSA, files) and out, clear errors for what
 * is not a usable private key, the key record (RFC 8463 Appendix A as a
 * known answer), and emauth_dkim_key_check(): each problem it reports,
 * with a record that has it and one that does not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <emauth/dkim.h>

/* RFC 8463 Appendix A.1-A.2: the Ed25519 private key (seed) and its key record's p=. */
#define RFC8463_SEED "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A="
#define RFC8463_P "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="

/* The public half of a 4160-bit RSA key, for long-key. */
#define RSA4160_P                                                                                  \
    "MIICKjANBgkqhkiG9w0BAQEFAAOCAhcAMIICEgKCAgkAq7Hoq4BDzEDfynuKd6GB324L/a"                       \
    "w52/qd/z9xPr3PuGCtXlM5b0+rPPQkpXqRkCWyzTCVG6cFPJXW/155Txbtd5xjKBvfuG9C"                       \
    "NRdvAmJ1eZAJQ8eqyp4vxYfkX76HmF4Guy9zrnY/L6UO1RwNg0yBuz5eANv/3mGzD9Ljsw"                       \
    "BJLNkgAKYGZ0xlbaH0WCSOzIGzw0cUKYmHpG36vCy4U6ThxgCMLH6Vovdcn/I4En6yPM9i"                       \
    "pf+IKA5Y6iM8gFrhLSwDlq9A+HqxwNW58jz+DsT75kiHZQUedvc4CnyZSKk3Q3z3Ha3hrL"                       \
    "Sl51hV5pru2UWaO97hI1DR2cjHfJZGtG896lKzkj4w8eM3iUdPKIh5YclOkhPw24HrEy3X"                       \
    "cVkxPCWRbMGn6TWXVdIgMUJt8IPuAIPSbDquiyKYv7shL4pFHqVVR3mGvyHORZ2lJfKlJM"                       \
    "c2IQOrO9vCNsAdre1U1GQJ1IgVgBumam/IDbTZYJXDpnufB1ywP2M+mXmCIru+yu2gp8YJ"                       \
    "RIw07Nz3N6FNxLIiORS78eI2N6eDAFxeah6P9LOM3gnOFbrVcfo//VSmTyNoiyhh+VAvcd"                       \
    "PBcZtiNZjjoqdETldTprHBbkaVfp4qzJChAXohp9K/HqXmS/twIpYwG7mmetArn4qg1RXH"                       \
    "rvuO3WH7+7ENrtqjmHpVrSlgfvM62zxOeBjWcQIDAQAB"

static emauth_dkim_key *rsa1024, *rsa2048, *ed;
static char *rsa1024_rec, *rsa2048_rec, *ed_rec;

/* ---- Helpers ------------------------------------------------------------------------------ */

static char *record_of(const emauth_dkim_key *k)
{
    char *rec = NULL;
    assert_int_equal(emauth_dkim_key_record(k, &rec, NULL), EMAUTH_OK);
    return rec;
}

static int setup(void **state)
{
    (void)state;
    if (emauth_dkim_keygen(EMAUTH_DKIM_RSA, 1024, &rsa1024, NULL) != EMAUTH_OK ||
        emauth_dkim_keygen(EMAUTH_DKIM_RSA, 2048, &rsa2048, NULL) != EMAUTH_OK ||
        emauth_dkim_keygen(EMAUTH_DKIM_ED25519, 0, &ed, NULL) != EMAUTH_OK)
        return -1;
    rsa1024_rec = record_of(rsa1024);
    rsa2048_rec = record_of(rsa2048);
    ed_rec = record_of(ed);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    emauth_dkim_key_free(rsa1024);
    emauth_dkim_key_free(rsa2048);
    emauth_dkim_key_free(ed);
    free(rsa1024_rec);
    free(rsa2048_rec);
    free(ed_rec);
    return 0;
}

/* The PEM OpenSSL writes for pkey with writer (PKCS#8, traditional, public...), in buf. */
typedef int (*pem_writer)(BIO *bio, EVP_PKEY *pkey);

static char *pem_with(EVP_PKEY *pkey, pem_writer w)
{
    BIO *b = BIO_new(BIO_s_mem());
    assert_int_equal(w(b, pkey), 1);
    char *data;
    long n = BIO_get_mem_data(b, &data);
    char *s = strndup(data, (size_t)n);
    BIO_free(b);
    return s;
}

static int write_traditional(BIO *b, EVP_PKEY *p)
{
    return PEM_write_bio_PrivateKey_traditional(b, p, NULL, NULL, 0, NULL, NULL);
}

static int write_pkcs8(BIO *b, EVP_PKEY *p)
{
    return PEM_write_bio_PrivateKey(b, p, NULL, NULL, 0, NULL, NULL);
}

static int write_public(BIO *b, EVP_PKEY *p)
{
    return PEM_write_bio_PUBKEY(b, p);
}

static int write_encrypted(BIO *b, EVP_PKEY *p)
{
    return PEM_write_bio_PKCS8PrivateKey(b, p, EVP_aes_128_cbc(), NULL, 0, NULL, (void *)"secret");
}

static void expect_load_error(const char *pem, emauth_status st, const char *part)
{
    emauth_dkim_key *k = (emauth_dkim_key *)1;
    emauth_error err;
    emauth_error_clear(&err);
    assert_int_equal(emauth_dkim_key_load_pem(pem, strlen(pem), &k, &err), st);
    assert_null(k);
    if (strstr(err.message, part) == NULL)
        fail_msg("\"%s\" lacks \"%s\"", err.message, part);
}

/* p= of a record, base64-decoded. */
static unsigned char *p_bytes(const char *rec, size_t *len)
{
    const char *p = strstr(rec, "p=");
    assert_non_null(p);
    p += 2;
    size_t n = strlen(p);
    unsigned char *out = malloc(n);
    int m = EVP_DecodeBlock(out, (const unsigned char *)p, (int)n);
    assert_true(m > 0);
    while (n > 0 && p[n - 1] == '=') {   /* EVP_DecodeBlock counts the padding */
        n--;
        m--;
    }
    *len = (size_t)m;
    return out;
}

/* ---- Generation ----------------------------------------------------------------------------- */

static void test_keygen(void **state)
{
    (void)state;
    assert_int_equal(emauth_dkim_key_kind(rsa1024), EMAUTH_DKIM_RSA);
    assert_int_equal(emauth_dkim_key_bits(rsa1024), 1024);
    assert_int_equal(emauth_dkim_key_bits(rsa2048), 2048);
    assert_int_equal(emauth_dkim_key_kind(ed), EMAUTH_DKIM_ED25519);
    assert_int_equal(emauth_dkim_key_bits(ed), 256);
    /* an odd size is fine; the limits are checked */
    emauth_dkim_key *k = NULL;
    assert_int_equal(emauth_dkim_keygen(EMAUTH_DKIM_RSA, 1032, &k, NULL), EMAUTH_OK);
    assert_int_equal(emauth_dkim_key_bits(k), 1032);
    emauth_dkim_key_free(k);
    emauth_error err;
    static const unsigned bad[] = {0, 512, 1023, 8193, 16384};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        k = (emauth_dkim_key *)1;
        assert_int_equal(emauth_dkim_keygen(EMAUTH_DKIM_RSA, bad[i], &k, &err), EMAUTH_ERR_INVALID);
        assert_null(k);
        assert_non_null(strstr(err.message, "1024 to 8192 bits"));
    }
    assert_int_equal(emauth_dkim_keygen((emauth_dkim_key_type)7, 2048, &k, &err),
                     EMAUTH_ERR_INVALID);
    /* two keys differ */
    emauth_dkim_key *ed2 = NULL;
    assert_int_equal(emauth_dkim_keygen(EMAUTH_DKIM_ED25519, 0, &ed2, NULL), EMAUTH_OK);
    char *rec2 = record_of(ed2);
    assert_string_not_equal(rec2, ed_rec);
    free(rec2);
    emauth_dkim_key_free(ed2);
    emauth_dkim_key_free(NULL);
}

/* ---- PEM -------------------------------------------------------------------------------------- */

static void round_trip(const emauth_dkim_key *k, const char *rec)
{
    char *pem = NULL;
    size_t len = 0;
    assert_int_equal(emauth_dkim_key_pem(k, &pem, &len, NULL), EMAUTH_OK);
    assert_int_equal(strlen(pem), len);
    assert_int_equal(strncmp(pem, "-----BEGIN PRIVATE KEY-----\n", 28), 0);
    assert_non_null(strstr(pem, "-----END PRIVATE KEY-----\n"));
    emauth_dkim_key *back = NULL;
    assert_int_equal(emauth_dkim_key_load_pem(pem, len, &back, NULL), EMAUTH_OK);
    assert_int_equal(emauth_dkim_key_kind(back), emauth_dkim_key_kind(k));
    assert_int_equal(emauth_dkim_key_bits(back), emauth_dkim_key_bits(k));
    char *rec2 = record_of(back);
    assert_string_equal(rec2, rec);
    free(rec2);
    emauth_dkim_key_free(back);
    free(pem);
}

static void test_pem_round_trip(void **state)
{
    (void)state;
    round_trip(rsa1024, rsa1024_rec);
    round_trip(rsa2048, rsa2048_rec);
    round_trip(ed, ed_rec);
}

static void test_pem_traditional_and_file(void **state)
{
    (void)state;
    EVP_PKEY *p = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    char *pem = pem_with(p, write_traditional);
    assert_non_null(strstr(pem, "-----BEGIN RSA PRIVATE KEY-----"));
    /* with text around it, as some tools write */
    size_t len = strlen(pem) + 64;
    char *file_text = malloc(len);
    snprintf(file_text, len, "Bag Attributes: none\n%s\n", pem);
    char path[] = "/tmp/emauth-test-key.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, file_text, strlen(file_text)), (ssize_t)strlen(file_text));
    close(fd);
    emauth_dkim_key *k = NULL;
    assert_int_equal(emauth_dkim_key_load_file(path, &k, NULL), EMAUTH_OK);
    assert_int_equal(emauth_dkim_key_kind(k), EMAUTH_DKIM_RSA);
    assert_int_equal(emauth_dkim_key_bits(k), 1024);
    emauth_dkim_key_free(k);
    unlink(path);
    /* a missing file names itself */
    emauth_error err;
    k = (emauth_dkim_key *)1;
    assert_int_equal(emauth_dkim_key_load_file(path, &k, &err), EMAUTH_ERR_IO);
    assert_null(k);
    assert_non_null(strstr(err.message, path));
    assert_non_null(strstr(err.message, "No such file"));
    free(file_text);
    free(pem);
    EVP_PKEY_free(p);
}

static void test_pem_errors(void **state)
{
    (void)state;
    expect_load_error("", EMAUTH_ERR_SYNTAX, "not a PEM key");
    expect_load_error("hello world\n", EMAUTH_ERR_SYNTAX, "not a PEM key");
    expect_load_error("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
                      EMAUTH_ERR_SYNTAX, "not a valid PEM private key");

    EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    char *pub = pem_with(rsa, write_public);
    expect_load_error(pub, EMAUTH_ERR_INVALID, "a public key, not a private key");
    char *enc = pem_with(rsa, write_encrypted);
    expect_load_error(enc, EMAUTH_ERR_INVALID, "an encrypted private key");
    char *ecp = pem_with(ec, write_traditional);
    expect_load_error(ecp, EMAUTH_ERR_INVALID, "DKIM signs with RSA or Ed25519 keys");
    free(pub);
    free(enc);
    free(ecp);
    EVP_PKEY_free(rsa);
    EVP_PKEY_free(ec);

    /* too large */
    size_t big = 70000;
    char *huge = malloc(big + 1);
    memset(huge, 'A', big);
    huge[big] = '\0';
    expect_load_error(huge, EMAUTH_ERR_LIMIT, "too large");
    free(huge);
}

/* ---- Records ------------------------------------------------------------------------------------ */

static void test_record_rsa(void **state)
{
    (void)state;
    assert_int_equal(strncmp(rsa2048_rec, "v=DKIM1; k=rsa; p=MII", 21), 0);
    assert_null(strchr(rsa2048_rec, '\n'));
    /* p= is the DER SubjectPublicKeyInfo */
    size_t len;
    unsigned char *der = p_bytes(rsa2048_rec, &len);
    const unsigned char *q = der;
    EVP_PKEY *pub = d2i_PUBKEY(NULL, &q, (long)len);
    assert_non_null(pub);
    assert_int_equal(q - der, (long)len);
    assert_int_equal(EVP_PKEY_get_bits(pub), 2048);
    EVP_PKEY_free(pub);
    free(der);
}

static void test_record_ed25519_rfc8463(void **state)
{
    (void)state;
    assert_int_equal(strncmp(ed_rec, "v=DKIM1; k=ed25519; p=", 22), 0);
    size_t len;
    unsigned char *raw = p_bytes(ed_rec, &len);
    assert_int_equal(len, 32);
    free(raw);

    /* The RFC's private key gives the RFC's record. */
    unsigned char seed[48];
    int n = EVP_DecodeBlock(seed, (const unsigned char *)RFC8463_SEED, (int)strlen(RFC8463_SEED));
    assert_int_equal(n, 33);   /* 32 and one byte of padding */
    EVP_PKEY *p = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
    assert_non_null(p);
    char *pem = pem_with(p, write_pkcs8);
    emauth_dkim_key *k = NULL;
    assert_int_equal(emauth_dkim_key_load_pem(pem, strlen(pem), &k, NULL), EMAUTH_OK);
    char *rec = record_of(k);
    assert_string_equal(rec, "v=DKIM1; k=ed25519; p=" RFC8463_P);
    /* and the checker agrees it is the pair */
    char *report = NULL;
    unsigned errors = 9;
    assert_int_equal(emauth_dkim_key_check(rec, strlen(rec), k, &report, &errors, NULL), EMAUTH_OK);
    assert_int_equal(errors, 0);
    free(report);
    free(rec);
    emauth_dkim_key_free(k);
    free(pem);
    EVP_PKEY_free(p);
}

/* ---- The key check --------------------------------------------------------------------------------- */

typedef struct check_case {
    const char *record;          /* "%s" replaced by the named key's p= */
    const char *key;             /* "rsa1024", "rsa2048", "ed", or NULL */
    const char *has;             /* "severity code" the report must have, or NULL */
    const char *lacks;           /* "severity code" it must not have, or NULL */
    unsigned errors;
} check_case;

static const char *p_of(const char *which)
{
    const char *rec = strcmp(which, "ed") == 0        ? ed_rec
                      : strcmp(which, "rsa1024") == 0 ? rsa1024_rec
                                                      : rsa2048_rec;
    return strstr(rec, "p=") + 2;
}

/* 1 when report has a line starting "severity code:". */
static int has_line(const char *report, const char *sev_code)
{
    size_t n = strlen(sev_code);
    for (const char *l = report; *l != '\0'; l += strcspn(l, "\n") + (l[strcspn(l, "\n")] != 0))
        if (strncmp(l, sev_code, n) == 0 && l[n] == ':')
            return 1;
    return 0;
}

static void run_check(const check_case *c, const emauth_dkim_key *priv)
{
    char rec[2048];
    snprintf(rec, sizeof rec, c->record, c->key != NULL ? p_of(c->key) : "");
    char *report = NULL;
    unsigned errors = 99;
    assert_int_equal(emauth_dkim_key_check(rec, strlen(rec), priv, &report, &errors, NULL),
                     EMAUTH_OK);
    assert_non_null(report);
    if ((c->has && !has_line(report, c->has)) || (c->lacks && has_line(report, c->lacks)) ||
        errors != c->errors)
        fail_msg("record \"%.60s\": errors %u (want %u), has \"%s\", lacks \"%s\":\n%s", rec,
                 errors, c->errors, c->has ? c->has : "", c->lacks ? c->lacks : "", report);
    /* every line is "severity code: message" */
    for (const char *l = report; *l != '\0'; l += strcspn(l, "\n") + 1) {
        assert_true(strncmp(l, "error ", 6) == 0 || strncmp(l, "warning ", 8) == 0 ||
                    strncmp(l, "info ", 5) == 0);
        assert_true(memchr(l, ':', strcspn(l, "\n")) != NULL);
    }
    free(report);
}

static void test_key_check(void **state)
{
    (void)state;
    static const check_case cases[] = {
        /* a good record: the key described, nothing else */
        {"v=DKIM1; k=rsa; p=%s", "rsa2048", "info key", "warning weak-key", 0},
        {"v=DKIM1; k=ed25519; p=%s", "ed", "info key", "info no-version", 0},
        {"v=DKIM1; p=%s", "rsa2048", NULL, "error key-type", 0},   /* k= defaults to rsa */
        /* syntax */
        {"v=DKIM1; k=rsa; p", NULL, "error syntax", NULL, 1},
        {"v=DKIM1; k=rsa; k=rsa; p=%s", "rsa2048", "error syntax", NULL, 1},
        {"v=DKIM1; k=rsa; p=%s;", "rsa2048", NULL, "error syntax", 0},
        /* version */
        {"k=rsa; v=DKIM1; p=%s", "rsa2048", "error version", NULL, 1},
        {"v=DKIM2; k=rsa; p=%s", "rsa2048", "error version", NULL, 1},
        {"k=rsa; p=%s", "rsa2048", "info no-version", "error version", 0},
        /* key type */
        {"v=DKIM1; k=dsa; p=%s", "rsa2048", "error key-type", NULL, 1},
        {"v=DKIM1; k=ED25519; p=%s", "ed", NULL, "error key-type", 0},
        /* p= */
        {"v=DKIM1; k=rsa", NULL, "error no-key", NULL, 1},
        {"v=DKIM1; k=rsa; p=", NULL, "error revoked", "info key", 1},
        {"v=DKIM1; k=rsa; p=%s", "rsa2048", NULL, "error revoked", 0},
        {"v=DKIM1; k=rsa; p=!!notbase64", NULL, "error bad-key", NULL, 1},
        {"v=DKIM1; k=rsa; p=%s", "ed", "error bad-key", NULL, 1},
        {"v=DKIM1; k=ed25519; p=%s", "rsa2048", "error bad-key", NULL, 1},
        {"v=DKIM1; k=rsa; p=%s", "rsa2048", NULL, "error bad-key", 0},
        /* sizes */
        {"v=DKIM1; k=rsa; p=MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBANHYzIjtzNT8A03U/TvKRWaDzpsbyOZ4Um"
         "lcxX4lI6fI7+0LqFX9dln42a77GH7HK099xvo8p/vwA/z49XiO1qUCAwEAAQ==",
         NULL, "error short-key", NULL, 1},
        {"v=DKIM1; k=rsa; p=%s", "rsa1024", "warning weak-key", "error short-key", 0},
        {"v=DKIM1; k=rsa; p=%s", "rsa2048", NULL, "warning long-key", 0},
        {"v=DKIM1; k=rsa; p=" RSA4160_P, NULL, "warning long-key", "warning weak-key", 0},
        /* flags */
        {"v=DKIM1; k=rsa; t=y; p=%s", "rsa2048", "warning testing", NULL, 0},
        {"v=DKIM1; k=rsa; t=s; p=%s", "rsa2048", "info strict", "warning testing", 0},
        {"v=DKIM1; k=rsa; t=s:y; p=%s", "rsa2048", "warning testing", NULL, 0},
        {"v=DKIM1; k=rsa; t=z; p=%s", "rsa2048", NULL, "warning testing", 0},
        /* h= */
        {"v=DKIM1; k=rsa; h=sha1; p=%s", "rsa2048", "error hash", NULL, 1},
        {"v=DKIM1; k=rsa; h=md5; p=%s", "rsa2048", "error hash", NULL, 1},
        {"v=DKIM1; k=rsa; h=sha1:sha256; p=%s", "rsa2048", NULL, "error hash", 0},
        {"v=DKIM1; k=rsa; h=sha256; p=%s", "rsa2048", NULL, "error hash", 0},
        /* s= */
        {"v=DKIM1; k=rsa; s=other; p=%s", "rsa2048", "error service", NULL, 1},
        {"v=DKIM1; k=rsa; s=email; p=%s", "rsa2048", NULL, "error service", 0},
        {"v=DKIM1; k=rsa; s=other:*; p=%s", "rsa2048", NULL, "error service", 0},
        /* several at once: errors first */
        {"v=DKIM1; k=rsa; t=y; h=sha1; s=x; p=%s", "rsa1024", "warning testing", NULL, 2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_check(&cases[i], NULL);

    char *report = NULL;
    unsigned errors = 0;
    const char *rec = "v=DKIM1; k=rsa; t=y; h=sha1; s=x; p=";
    assert_int_equal(emauth_dkim_key_check(rec, strlen(rec), NULL, &report, &errors, NULL), EMAUTH_OK);
    assert_int_equal(strncmp(report, "error ", 6), 0);
    assert_non_null(strstr(report, "error revoked: "));
    assert_true(strstr(report, "error") < strstr(report, "warning"));
    free(report);
}

static void test_key_check_match(void **state)
{
    (void)state;
    static const check_case same_rsa = {"v=DKIM1; k=rsa; p=%s", "rsa2048", NULL, "error key-mismatch", 0};
    static const check_case other_rsa = {"v=DKIM1; k=rsa; p=%s", "rsa1024", "error key-mismatch", NULL, 1};
    static const check_case same_ed = {"v=DKIM1; k=ed25519; p=%s", "ed", NULL, "error key-mismatch", 0};
    static const check_case revoked = {"v=DKIM1; k=rsa; p=", NULL, "error revoked", "error key-mismatch", 1};
    run_check(&same_rsa, rsa2048);
    run_check(&other_rsa, rsa2048);
    run_check(&same_ed, ed);
    run_check(&revoked, rsa2048);
    char *report = NULL;
    unsigned errors = 0;
    char rec[600];
    snprintf(rec, sizeof rec, "v=DKIM1; k=ed25519; p=%s", p_of("ed"));
    assert_int_equal(emauth_dkim_key_check(rec, strlen(rec), rsa2048, &report, &errors, NULL),
                     EMAUTH_OK);
    assert_int_equal(errors, 1);
    assert_non_null(strstr(report, "error key-mismatch: the record has an Ed25519 key, the private key is RSA"));
    free(report);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keygen),
        cmocka_unit_test(test_pem_round_trip),
        cmocka_unit_test(test_pem_traditional_and_file),
        cmocka_unit_test(test_pem_errors),
        cmocka_unit_test(test_record_rsa),
        cmocka_unit_test(test_record_ed25519_rfc8463),
        cmocka_unit_test(test_key_check),
        cmocka_unit_test(test_key_check_match),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
