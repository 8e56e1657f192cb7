/*
 * The DKIM signer (emauth/dkim.h, "Signing"): every signature it makes is
 * checked by the verifier, over a zone holding the published keys: RSA and
 * Ed25519, every canonicalization, with and without l=, several at once;
 * the default h= (present fields, From oversigned), folding at 78 columns,
 * t=, x=, i=, option errors and call order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <emauth/dkim.h>
#include <emauth/dns.h>
#include <emauth/message.h>

#define MSG                                                                                        \
    "From: Alice <alice@example.com>\r\n"                                                          \
    "To: bob@example.org\r\n"                                                                      \
    "Subject: lunch\r\n"                                                                           \
    "Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n"                                                    \
    "Message-ID: <1@example.com>\r\n"                                                              \
    "X-Mailer: test\r\n"                                                                           \
    "\r\n"                                                                                         \
    "Hello Bob,  \r\n"                                                                             \
    "\r\n"                                                                                         \
    "noon?\t\r\n"                                                                                  \
    "\r\n"                                                                                         \
    "\r\n"

typedef struct fixture {
    emauth_dkim_key *rsa, *ed;
    emauth_zone *zone;
} fixture;

static fixture fx;

/* ---- Helpers ------------------------------------------------------------------------- */

static void publish(const char *name, const emauth_dkim_key *k)
{
    char *rec = NULL;
    assert_int_equal(emauth_dkim_key_record(k, &rec, NULL), EMAUTH_OK);
    emauth_dns_rr rr = {.type = EMAUTH_DNS_TXT, .ttl = 300};
    rr.u.txt.data = rec;
    rr.u.txt.len = strlen(rec);
    rr.u.txt.nstrings = 1;
    assert_int_equal(emauth_zone_add(fx.zone, name, &rr, NULL), EMAUTH_OK);
    free(rec);
}

static int setup(void **state)
{
    (void)state;
    if (emauth_dkim_keygen(EMAUTH_DKIM_RSA, 1024, &fx.rsa, NULL) != EMAUTH_OK ||
        emauth_dkim_keygen(EMAUTH_DKIM_ED25519, 0, &fx.ed, NULL) != EMAUTH_OK ||
        (fx.zone = emauth_zone_new()) == NULL)
        return -1;
    publish("rsa._domainkey.example.com", fx.rsa);
    publish("ed._domainkey.example.com", fx.ed);
    publish("a-rather-long-selector-name-for-folding-tests-0123456789._domainkey."
            "a-long-subdomain-label-to-fold.example.com", fx.rsa);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    emauth_dkim_key_free(fx.rsa);
    emauth_dkim_key_free(fx.ed);
    emauth_zone_free(fx.zone);
    return 0;
}

static emauth_dkim_sign_options opts_for(const emauth_dkim_key *k, const char *selector)
{
    emauth_dkim_sign_options o = {.key = k, .domain = "example.com", .selector = selector};
    return o;
}

static emauth_status on_sign_header(void *arg, const char *f, size_t len, size_t name_len)
{
    return emauth_dkim_sign_header(arg, f, len, name_len);
}
static emauth_status on_sign_eoh(void *arg)
{
    return emauth_dkim_sign_eoh(arg);
}
static emauth_status on_sign_body(void *arg, const char *c, size_t len)
{
    return emauth_dkim_sign_body(arg, c, len);
}

/* Feeds msg to the message parser in pieces of `chunk` bytes. */
static void feed(const emauth_msg_callbacks *cb, void *arg, const char *msg, size_t chunk)
{
    emauth_msg *m = NULL;
    assert_int_equal(emauth_msg_new(cb, arg, NULL, &m), EMAUTH_OK);
    size_t len = strlen(msg);
    for (size_t off = 0; off < len; off += chunk)
        assert_int_equal(emauth_msg_push(m, msg + off, len - off < chunk ? len - off : chunk, NULL),
                         EMAUTH_OK);
    assert_int_equal(emauth_msg_finish(m, NULL), EMAUTH_OK);
    emauth_msg_free(m);
}

/* The DKIM-Signature fields for msg (malloc'ed). */
static char *sign_chunked(const emauth_dkim_sign_options *o, size_t n, const char *msg, size_t chunk)
{
    static const emauth_msg_callbacks cb = {on_sign_header, on_sign_eoh, on_sign_body};
    emauth_dkim_signer *s = NULL;
    emauth_error err;
    emauth_status st = emauth_dkim_signer_new(o, n, &s, &err);
    if (st != EMAUTH_OK)
        fail_msg("signer_new: %s", err.message);
    feed(&cb, s, msg, chunk);
    char *fields = NULL;
    size_t len = 0;
    assert_int_equal(emauth_dkim_sign_eom(s, &fields, &len, &err), EMAUTH_OK);
    assert_int_equal(strlen(fields), len);
    emauth_dkim_signer_free(s);
    return fields;
}

static char *sign(const emauth_dkim_sign_options *o, size_t n, const char *msg)
{
    return sign_chunked(o, n, msg, 4096);
}

static char *concat(const char *a, const char *b)
{
    char *s = malloc(strlen(a) + strlen(b) + 1);
    assert_non_null(s);
    strcpy(s, a);
    strcat(s, b);
    return s;
}

static emauth_status on_v_header(void *arg, const char *f, size_t len, size_t name_len)
{
    return emauth_dkim_verify_header(arg, f, len, name_len);
}
static emauth_status on_v_eoh(void *arg)
{
    return emauth_dkim_verify_eoh(arg);
}
static emauth_status on_v_body(void *arg, const char *c, size_t len)
{
    return emauth_dkim_verify_body(arg, c, len);
}

/* A verifier that has verified a message, and its results. */
typedef struct verified {
    emauth_dkim_verifier *v;
    const emauth_dkim_result *r;
    size_t n;
} verified;

static verified verify(const char *msg)
{
    static const emauth_msg_callbacks cb = {on_v_header, on_v_eoh, on_v_body};
    emauth_dkim_options o;
    emauth_dkim_options_default(&o);
    verified out = {NULL, NULL, 0};
    assert_int_equal(emauth_dkim_verifier_new(&o, &out.v), EMAUTH_OK);
    feed(&cb, out.v, msg, 4096);
    assert_int_equal(emauth_dkim_verify_eom(out.v), EMAUTH_OK);
    assert_int_equal(emauth_dkim_verify_run(out.v, emauth_zone_resolver(fx.zone)), EMAUTH_OK);
    out.r = emauth_dkim_verify_results(out.v, &out.n);
    assert_non_null(out.r);
    return out;
}

/* Signs msg with o, prepends, verifies: the verdict of every signature must be want. */
static void sign_verify(const emauth_dkim_sign_options *o, size_t n, const char *msg,
                        emauth_dkim_verdict want)
{
    char *fields = sign(o, n, msg);
    char *signed_msg = concat(fields, msg);
    verified v = verify(signed_msg);
    assert_int_equal(v.n, n);
    for (size_t i = 0; i < n; i++) {
        if (v.r[i].verdict != want)
            fail_msg("signature %zu: %s (%s), expected %s\n%s", i, emauth_dkim_verdict_name(v.r[i].verdict),
                     v.r[i].reason, emauth_dkim_verdict_name(want), fields);
    }
    emauth_dkim_verifier_free(v.v);
    free(signed_msg);
    free(fields);
}

/* The value of tag name= in the (first) field, unfolded, in buf. */
static const char *tag(const char *fields, const char *name, char *buf, size_t size)
{
    char pat[8];
    snprintf(pat, sizeof pat, " %s=", name);
    const char *p = strstr(fields, pat);
    if (p == NULL) {
        snprintf(pat, sizeof pat, "\n %s=", name);
        p = strstr(fields, pat);
    }
    if (p == NULL)
        return NULL;
    p += strlen(pat);
    size_t o = 0;
    for (; *p != '\0' && *p != ';' && !(p[0] == '\r' && p[1] == '\n' && p[2] != ' '); p++)
        if (*p != '\r' && *p != '\n' && *p != ' ' && o + 1 < size)
            buf[o++] = *p;
    buf[o] = '\0';
    return buf;
}

/* ---- Round trips ------------------------------------------------------------------------ */

static void test_rsa_and_ed25519_every_canon(void **state)
{
    (void)state;
    static const char *const canon[] = {"simple", "relaxed"};
    const emauth_dkim_key *keys[] = {fx.rsa, fx.ed};
    const char *sel[] = {"rsa", "ed"};
    for (int k = 0; k < 2; k++)
        for (int h = 0; h < 2; h++)
            for (int b = 0; b < 2; b++)
                for (int l = 0; l < 2; l++) {
                    emauth_dkim_sign_options o = opts_for(keys[k], sel[k]);
                    o.header_canon = canon[h];
                    o.body_canon = canon[b];
                    o.body_length = l;
                    sign_verify(&o, 1, MSG, EMAUTH_DKIM_PASS);
                }
}

static void test_defaults(void **state)
{
    (void)state;
    emauth_dkim_sign_options o = opts_for(fx.rsa, "rsa");
    char *f = sign(&o, 1, MSG);
    char v[512];
    assert_string_equal(tag(f, "v", v, sizeof v), "1");
    assert_string_equal(tag(f, "a", v, sizeof v), "rsa-sha256");
    assert_string_equal(tag(f, "c", v, sizeof v), "relaxed/relaxed");
    assert_string_equal(tag(f, "d", v, sizeof v), "example.com");
    assert_string_equal(tag(f, "s", v, sizeof v), "rsa");
    assert_non_null(tag(f, "t", v, sizeof v));
    assert_null(tag(f, "x", v, sizeof v));
    assert_null(tag(f, "i", v, sizeof v));
    assert_null(tag(f, "l", v, sizeof v));
    assert_string_equal(tag(f, "h", v, sizeof v), "from:from:subject:date:to:message-id");
    assert_int_equal(strncmp(f, "DKIM-Signature: v=1; ", 21), 0);
    /* b= last */
    assert_null(strstr(strstr(f, " b=") != NULL ? strstr(f, " b=") : strstr(f, "\n b="), ";"));
    free(f);

    o = opts_for(fx.ed, "ed");
    f = sign(&o, 1, MSG);
    assert_string_equal(tag(f, "a", v, sizeof v), "ed25519-sha256");
    free(f);
}

static void test_body_length(void **state)
{
    (void)state;
    emauth_dkim_sign_options o = opts_for(fx.rsa, "rsa");
    o.body_length = 1;
    char *f = sign(&o, 1, MSG);
    char v[64];
    /* relaxed: "Hello Bob,\r\n\r\nnoon?\r\n" (trailing blanks and empty lines gone) */
    assert_string_equal(tag(f, "l", v, sizeof v), "21");
    /* content appended after signing: still a pass, reported */
    char *m1 = concat(f, MSG "P.S. added later\r\n");
    verified r = verify(m1);
    assert_int_equal(r.r[0].verdict, EMAUTH_DKIM_PASS);
    assert_true(r.r[0].body_length_limited);
    assert_true(r.r[0].content_after_limit);
    emauth_dkim_verifier_free(r.v);
    free(m1);
    free(f);

    o.body_canon = "simple";
    f = sign(&o, 1, "From: a@example.com\r\n\r\n");
    assert_string_equal(tag(f, "l", v, sizeof v), "2");   /* an empty body is CRLF in simple */
    free(f);
}

static void test_dual_signatures(void **state)
{
    (void)state;
    emauth_dkim_sign_options o[2] = {opts_for(fx.rsa, "rsa"), opts_for(fx.ed, "ed")};
    o[1].header_canon = "simple";
    o[1].body_canon = "simple";
    sign_verify(o, 2, MSG, EMAUTH_DKIM_PASS);
    char *f = sign(o, 2, MSG);
    const char *second = strstr(f + 1, "DKIM-Signature:");
    assert_non_null(second);
    char v[64];
    assert_string_equal(tag(f, "a", v, sizeof v), "rsa-sha256");
    assert_string_equal(tag(second, "a", v, sizeof v), "ed25519-sha256");
    assert_string_equal(tag(second, "c", v, sizeof v), "simple/simple");
    /* the second does not sign the first */
    assert_null(strstr(f, "dkim-signature:"));
    free(f);
}

static void test_chunking_and_bare_lf(void **state)
{
    (void)state;
    emauth_dkim_sign_options o = opts_for(fx.ed, "ed");
    static const size_t chunks[] = {1, 2, 3, 7, 13};
    o.timestamp = 1700000000;
    char *ref = sign(&o, 1, MSG);
    for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
        char *f = sign_chunked(&o, 1, MSG, chunks[i]);
        assert_string_equal(f, ref);   /* deterministic, whatever the pieces */
        free(f);
    }
    /* the same message with bare LF line ends hashes the same */
    char lf[sizeof MSG];
    size_t n = 0;
    for (const char *p = MSG; *p != '\0'; p++)
        if (*p != '\r')
            lf[n++] = *p;
    lf[n] = '\0';
    char *f = sign(&o, 1, lf);
    assert_string_equal(f, ref);
    free(f);
    free(ref);
}

static void test_empty_bodies(void **state)
{
    (void)state;
    static const char *const msgs[] = {
        "From: a@example.com\r\n\r\n",
        "From: a@example.com\r\n",
        "From: a@example.com\r\n\r\n\r\n\r\n",
        "From: a@example.com\r\nSubject: no newline at the end\r\n\r\nlast line",
    };
    static const char *const canon[] = {"simple", "relaxed"};
    for (size_t i = 0; i < sizeof msgs / sizeof msgs[0]; i++)
        for (int c = 0; c < 2; c++) {
            emauth_dkim_sign_options o = opts_for(c ? fx.rsa : fx.ed, c ? "rsa" : "ed");
            o.body_canon = canon[c];
            o.header_canon = canon[1 - c];
            sign_verify(&o, 1, msgs[i], EMAUTH_DKIM_PASS);
        }
}

/* ---- What breaks a signature ----------------------------------------------------------------- */

static void tamper(const char *fields, const char *msg, emauth_dkim_verdict want)
{
    char *m = concat(fields, msg);
    verified r = verify(m);
    assert_int_equal(r.n, 1);
    if (r.r[0].verdict != want)
        fail_msg("%s (%s), expected %s", emauth_dkim_verdict_name(r.r[0].verdict), r.r[0].reason,
                 emauth_dkim_verdict_name(want));
    emauth_dkim_verifier_free(r.v);
    free(m);
}

static void test_tampering(void **state)
{
    (void)state;
    emauth_dkim_sign_options o = opts_for(fx.rsa, "rsa");
    char *f = sign(&o, 1, MSG);
    tamper(f, MSG, EMAUTH_DKIM_PASS);
    /* a body byte */
    char body[] = MSG;
    *strstr(body, "noon") = 'N';
    tamper(f, body, EMAUTH_DKIM_FAIL);
    /* a signed header */
    char subj[] = MSG;
    *strstr(subj, "lunch") = 'p';
    tamper(f, subj, EMAUTH_DKIM_FAIL);
    /* a second From, added above or below: oversigning catches both */
    tamper(f, "From: Mallory <m@example.net>\r\n" MSG, EMAUTH_DKIM_FAIL);
    char *below = malloc(sizeof MSG + 64);
    const char *eoh = strstr(MSG, "\r\n\r\n");
    snprintf(below, sizeof MSG + 64, "%.*s\r\nFrom: m@example.net%s", (int)(eoh - MSG), MSG, eoh);
    tamper(f, below, EMAUTH_DKIM_FAIL);
    free(below);
    /* a Subject added above: the bottom one, the original, is still the one signed */
    tamper(f, "Subject: win\r\n" MSG, EMAUTH_DKIM_PASS);
    /* fields outside h= may change */
    tamper(f, "Received: from x by y; Mon, 23 Nov 2026 10:00:01 +0000\r\n" MSG, EMAUTH_DKIM_PASS);
    char xm[] = MSG;
    *strstr(xm, "test") = 'T';
    tamper(f, xm, EMAUTH_DKIM_PASS);
    /* relaxed: refolding and blank changes in a signed header are fine */
    char *refold = malloc(sizeof MSG + 8);
    snprintf(refold, sizeof MSG + 8, "%s", MSG);
    char *s = strstr(refold, "Subject: lunch");
    memmove(s + 11, s + 8, strlen(s + 8) + 1);
    memcpy(s + 8, "\r\n\t", 3);
    tamper(f, refold, EMAUTH_DKIM_PASS);
    free(refold);
    free(f);
}

static void test_every_instance_signed(void **state)
{
    (void)state;
    const char *msg = "Received: x\r\n"
                      "To: one@example.org\r\n"
                      "From: a@example.com\r\n"
                      "To: two@example.org\r\n"
                      "List-Unsubscribe: <mailto:u@example.com>\r\n"
                      "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
                      "Cc: c@example.org\r\n"
                      "X-Other: y\r\n"
                      "\r\n"
                      "body\r\n";
    emauth_dkim_sign_options o = opts_for(fx.ed, "ed");
    char *f = sign(&o, 1, msg);
    char v[256];
    assert_string_equal(tag(f, "h", v, sizeof v),
                        "from:from:to:to:cc:list-unsubscribe:list-unsubscribe-post");
    tamper(f, msg, EMAUTH_DKIM_PASS);
    /* dropping the first To breaks it */
    const char *no_to1 = "Received: x\r\n"
                         "From: a@example.com\r\n"
                         "To: two@example.org\r\n"
                         "List-Unsubscribe: <mailto:u@example.com>\r\n"
                         "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
                         "Cc: c@example.org\r\n"
                         "\r\n"
                         "body\r\n";
    tamper(f, no_to1, EMAUTH_DKIM_FAIL);
    free(f);

    /* no From at all: h= still names it, so one added later breaks the signature */
    const char *nofrom = "Subject: s\r\n\r\nb\r\n";
    f = sign(&o, 1, nofrom);
    assert_string_equal(tag(f, "h", v, sizeof v), "from:subject");
    tamper(f, nofrom, EMAUTH_DKIM_PASS);
    tamper(f, "From: x@example.com\r\nSubject: s\r\n\r\nb\r\n", EMAUTH_DKIM_FAIL);
    free(f);
}

static void test_given_headers(void **state)
{
    (void)state;
    static const char *const h[] = {"From", "X-Mailer", "x-absent", "Subject"};
    emauth_dkim_sign_options o = opts_for(fx.rsa, "rsa");
    o.headers = h;
    o.nheaders = 4;
    char *f = sign(&o, 1, MSG);
    char v[256];
    assert_string_equal(tag(f, "h", v, sizeof v), "From:X-Mailer:x-absent:Subject");
    tamper(f, MSG, EMAUTH_DKIM_PASS);
    char xm[] = MSG;
    *strstr(xm, "test") = 'T';
    tamper(f, xm, EMAUTH_DKIM_FAIL);
    tamper(f, "X-Absent: now present\r\n" MSG, EMAUTH_DKIM_FAIL);
    /* From is not oversigned when h= is given */
    tamper(f, "From: m@example.net\r\n" MSG, EMAUTH_DKIM_PASS);
    free(f);
}

/* ---- Folding ---------------------------------------------------------------------------------- */

/* Every line at most 78 columns, CRLF-terminated; continuation lines start with a space. */
static void check_folding(const char *f)
{
    size_t fields = 0;
    for (const char *line = f; *line != '\0';) {
        const char *crlf = strstr(line, "\r\n");
        assert_non_null(crlf);
        if ((size_t)(crlf - line) > 78)
            fail_msg("a line of %zu columns: %.*s", (size_t)(crlf - line), (int)(crlf - line), line);
        assert_null(memchr(line, '\n', (size_t)(crlf - line)));
        if (strncmp(line, "DKIM-Signature:", 15) == 0)
            fields++;
        else
            assert_int_equal(line[0], ' ');
        line = crlf + 2;
    }
    assert_true(fields > 0);
}

static void test_folding(void **state)
{
    (void)state;
    static const char *const h[] = {
        "from", "to", "cc", "subject", "date", "message-id", "mime-version", "content-type",
        "content-transfer-encoding", "reply-to", "in-reply-to", "references", "list-id",
        "list-unsubscribe", "list-unsubscribe-post", "x-a-rather-long-header-field-name",
    };
    emauth_dkim_sign_options o[2] = {
        opts_for(fx.rsa, "a-rather-long-selector-name-for-folding-tests-0123456789"),
        opts_for(fx.ed, "ed"),
    };
    o[0].domain = "a-long-subdomain-label-to-fold.example.com";
    o[0].identity = "someone.with.a.long.local.part@a-long-subdomain-label-to-fold.example.com";
    o[0].headers = h;
    o[0].nheaders = sizeof h / sizeof h[0];
    o[0].expire_after = 86400;
    o[0].body_length = 1;
    for (int hc = 0; hc < 2; hc++) {
        o[0].header_canon = o[1].header_canon = hc ? "relaxed" : "simple";
        char *f = sign(o, 2, MSG);
        check_folding(f);
        sign_verify(o, 2, MSG, EMAUTH_DKIM_PASS);
        free(f);
    }
}

/* ---- Tags --------------------------------------------------------------------------------------- */

static void test_time_tags(void **state)
{
    (void)state;
    emauth_dkim_sign_options o = opts_for(fx.ed, "ed");
    o.timestamp = 1700000000;
    o.expire_after = 3600;
    char *f = sign(&o, 1, MSG);
    char v[64];
    assert_string_equal(tag(f, "t", v, sizeof v), "1700000000");
    assert_string_equal(tag(f, "x", v, sizeof v), "1700003600");
    /* long expired now: a policy result */
    tamper(f, MSG, EMAUTH_DKIM_POLICY);
    free(f);

    o.timestamp = -1;
    o.expire_after = 0;
    f = sign(&o, 1, MSG);
    assert_null(tag(f, "t", v, sizeof v));
    assert_null(tag(f, "x", v, sizeof v));
    tamper(f, MSG, EMAUTH_DKIM_PASS);
    free(f);

    o.expire_after = 600;   /* x= without t=: from now */
    f = sign(&o, 1, MSG);
    assert_null(tag(f, "t", v, sizeof v));
    assert_non_null(tag(f, "x", v, sizeof v));
    tamper(f, MSG, EMAUTH_DKIM_PASS);
    free(f);
}

static void test_identity(void **state)
{
    (void)state;
    static const char *const good[] = {"@example.com", "alice@example.com", "bob@mail.EXAMPLE.com"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        emauth_dkim_sign_options o = opts_for(fx.rsa, "rsa");
        o.identity = good[i];
        char *f = sign(&o, 1, MSG);
        char *m = concat(f, MSG);
        verified r = verify(m);
        assert_int_equal(r.r[0].verdict, EMAUTH_DKIM_PASS);
        assert_string_equal(r.r[0].identity, good[i]);
        emauth_dkim_verifier_free(r.v);
        free(m);
        free(f);
    }
}

/* ---- Errors -------------------------------------------------------------------------------------- */

static void expect_invalid(const emauth_dkim_sign_options *o, size_t n, const char *msg_part)
{
    emauth_dkim_signer *s = (emauth_dkim_signer *)1;
    emauth_error err;
    emauth_error_clear(&err);
    assert_int_not_equal(emauth_dkim_signer_new(o, n, &s, &err), EMAUTH_OK);
    assert_null(s);
    if (strstr(err.message, msg_part) == NULL)
        fail_msg("\"%s\" lacks \"%s\"", err.message, msg_part);
}

static emauth_dkim_key *short_rsa_key(void)
{
    EVP_PKEY *p = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)512);
    assert_non_null(p);
    BIO *b = BIO_new(BIO_s_mem());
    assert_int_equal(PEM_write_bio_PrivateKey(b, p, NULL, NULL, 0, NULL, NULL), 1);
    char *data;
    long n = BIO_get_mem_data(b, &data);
    emauth_dkim_key *k = NULL;
    assert_int_equal(emauth_dkim_key_load_pem(data, (size_t)n, &k, NULL), EMAUTH_OK);
    BIO_free(b);
    EVP_PKEY_free(p);
    return k;
}

static void test_option_errors(void **state)
{
    (void)state;
    emauth_dkim_sign_options o = opts_for(fx.rsa, "rsa");
    expect_invalid(&o, 0, "1 to 10 signatures");
    emauth_dkim_sign_options many[11];
    for (int i = 0; i < 11; i++)
        many[i] = o;
    expect_invalid(many, 11, "1 to 10 signatures");
    static const struct { const char *domain, *selector, *identity, *hc, *bc, *why; } bad[] = {
        {"", "rsa", NULL, NULL, NULL, "d=: not a domain name"},
        {"exa mple.com", "rsa", NULL, NULL, NULL, "d=: not a domain name"},
        {"example..com", "rsa", NULL, NULL, NULL, "d=: not a domain name"},
        {"example.com.", "rsa", NULL, NULL, NULL, "d=: not a domain name"},
        {"ex;ample.com", "rsa", NULL, NULL, NULL, "d=: not a domain name"},
        {"example.com", "", NULL, NULL, NULL, "s=: not a selector"},
        {"example.com", "r;sa", NULL, NULL, NULL, "s=: not a selector"},
        {"example.com", "rsa", "a@example.org", NULL, NULL, "not d= or a subdomain"},
        {"example.com", "rsa", "a@badexample.com", NULL, NULL, "not d= or a subdomain"},
        {"example.com", "rsa", "no-at-sign", NULL, NULL, "not [local-part]@domain"},
        {"example.com", "rsa", "a;b@example.com", NULL, NULL, "cannot carry"},
        {"example.com", "rsa", NULL, "loose", NULL, "simple or relaxed"},
        {"example.com", "rsa", NULL, NULL, "nowsp", "simple or relaxed"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        emauth_dkim_sign_options b = o;
        b.domain = bad[i].domain;
        b.selector = bad[i].selector;
        b.identity = bad[i].identity;
        b.header_canon = bad[i].hc;
        b.body_canon = bad[i].bc;
        expect_invalid(&b, 1, bad[i].why);
    }
    emauth_dkim_sign_options two[2] = {o, o};
    two[1].domain = NULL;
    expect_invalid(two, 2, "signature 2: d=");

    static const char *const nofrom[] = {"to", "subject"};
    static const char *const badname[] = {"from", "sub ject"};
    emauth_dkim_sign_options h = o;
    h.headers = nofrom;
    h.nheaders = 2;
    expect_invalid(&h, 1, "must include From");
    h.headers = badname;
    expect_invalid(&h, 1, "not a header field name");
    h.nheaders = 0;
    expect_invalid(&h, 1, "h= needs 1 to");

    emauth_dkim_sign_options k = o;
    k.key = NULL;
    expect_invalid(&k, 1, "no key");
    emauth_dkim_key *short_key = short_rsa_key();
    k.key = short_key;
    expect_invalid(&k, 1, "512-bit RSA key");
    emauth_dkim_key_free(short_key);
}

static void test_call_order(void **state)
{
    (void)state;
    emauth_dkim_sign_options o = opts_for(fx.ed, "ed");
    emauth_dkim_signer *s = NULL;
    assert_int_equal(emauth_dkim_signer_new(&o, 1, &s, NULL), EMAUTH_OK);
    char *f = (char *)1;
    size_t len = 1;
    assert_int_equal(emauth_dkim_sign_body(s, "x", 1), EMAUTH_ERR_INVALID);
    assert_int_equal(emauth_dkim_sign_eom(s, &f, &len, NULL), EMAUTH_ERR_INVALID);
    assert_null(f);
    assert_int_equal(len, 0);
    assert_int_equal(emauth_dkim_sign_header(s, "From: a", 7, 4), EMAUTH_OK);
    assert_int_equal(emauth_dkim_sign_header(s, "From: a", 7, 0), EMAUTH_ERR_INVALID);
    assert_int_equal(emauth_dkim_sign_eoh(s), EMAUTH_OK);
    assert_int_equal(emauth_dkim_sign_eoh(s), EMAUTH_ERR_INVALID);
    assert_int_equal(emauth_dkim_sign_header(s, "To: b", 5, 2), EMAUTH_ERR_INVALID);
    assert_int_equal(emauth_dkim_sign_body(s, "x\r\n", 3), EMAUTH_OK);
    assert_int_equal(emauth_dkim_sign_eom(s, &f, &len, NULL), EMAUTH_OK);
    free(f);
    assert_int_equal(emauth_dkim_sign_eom(s, &f, &len, NULL), EMAUTH_ERR_INVALID);
    emauth_dkim_signer_free(s);
    emauth_dkim_signer_free(NULL);
}

static void test_kept_header_limit(void **state)
{
    (void)state;
    emauth_dkim_sign_options o = opts_for(fx.ed, "ed");
    emauth_dkim_signer *s = NULL;
    assert_int_equal(emauth_dkim_signer_new(&o, 1, &s, NULL), EMAUTH_OK);
    emauth_status st = EMAUTH_OK;
    for (int i = 0; i < 2000 && st == EMAUTH_OK; i++)
        st = emauth_dkim_sign_header(s, "To: x@example.org", 17, 2);
    assert_int_equal(st, EMAUTH_ERR_LIMIT);
    /* fields no signature wants are not kept, so not counted */
    emauth_dkim_signer_free(s);
    assert_int_equal(emauth_dkim_signer_new(&o, 1, &s, NULL), EMAUTH_OK);
    for (int i = 0; i < 5000; i++)
        assert_int_equal(emauth_dkim_sign_header(s, "Received: x", 11, 8), EMAUTH_OK);
    emauth_dkim_signer_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rsa_and_ed25519_every_canon),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_body_length),
        cmocka_unit_test(test_dual_signatures),
        cmocka_unit_test(test_chunking_and_bare_lf),
        cmocka_unit_test(test_empty_bodies),
        cmocka_unit_test(test_tampering),
        cmocka_unit_test(test_every_instance_signed),
        cmocka_unit_test(test_given_headers),
        cmocka_unit_test(test_folding),
        cmocka_unit_test(test_time_tags),
        cmocka_unit_test(test_identity),
        cmocka_unit_test(test_option_errors),
        cmocka_unit_test(test_call_order),
        cmocka_unit_test(test_kept_header_limit),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
