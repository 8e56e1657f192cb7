/*
 * The DKIM verifier, end to end: messages go through emauth_msg into the
 * verifier, keys come from an in-memory zone.
 *
 * Signed messages are made here by a small independent signer (the RFC
 * 6376 §5 steps, written out plainly over canon.h and crypto.h's
 * ea_dkim_sign) with the keys under tests/data/dkim/verify/, so each case
 * can choose its algorithm, canonicalization, h=, t=, x=, i= and l=, then
 * tamper with the result. The RFC 8463 Appendix A message checks both
 * against an outside signer; the RFC 6376 Appendix A.2 message must fail.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <emauth/dkim.h>
#include <emauth/dns.h>
#include <emauth/message.h>
#include "dkim/canon.h"
#include "dkim/crypto.h"

#define NOW 1700000000
#define PATH_SIZE 1024

/* ---- keys and zone ------------------------------------------------------------------------ */

enum { K_NONE, K_RSA, K_RSA512, K_ED, NKEYS };

/* A resolver over the zone that counts the questions. */
typedef struct counting {
    emauth_resolver base;
    emauth_resolver *inner;
    unsigned asked;
} counting;

static struct fixture {
    EVP_PKEY *keys[NKEYS];
    emauth_zone *zone;
    counting res;
    emauth_dkim_verifier *v;
} fx;

static emauth_status counting_query(emauth_resolver *r, const emauth_dns_question *q,
                                    emauth_dns_answer *out)
{
    counting *c = (counting *)r;
    c->asked++;
    return c->inner->query(c->inner, q, out);
}

static const char *data_path(const char *file)
{
    static char buf[PATH_SIZE];
    const char *data = getenv("EMAUTH_DATA");
    int n = snprintf(buf, sizeof buf, "%s/dkim/verify/%s", data ? data : "data", file);
    assert_true(n > 0 && n < PATH_SIZE);
    return buf;
}

/* A file's bytes (malloc'ed, NUL-terminated), or NULL when it cannot be read. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *buf = NULL;
    size_t n = 0, cap = 0, got;
    do {
        if (n + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 8192;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
    } while (got > 0);
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

static EVP_PKEY *load_key(const char *file)
{
    FILE *f = fopen(data_path(file), "r");
    if (f == NULL)
        fail_msg("cannot read %s", data_path(file));
    EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(k);
    return k;
}

/* p= of a key: base64 of the SubjectPublicKeyInfo, or of the raw Ed25519 key. */
static void public_b64(EVP_PKEY *k, ea_buf *out)
{
    unsigned char raw[64], *der = NULL;
    size_t n = sizeof raw;
    if (EVP_PKEY_is_a(k, "ED25519")) {
        assert_int_equal(EVP_PKEY_get_raw_public_key(k, raw, &n), 1);
        assert_int_equal(ea_base64_encode(raw, n, out), 0);
        return;
    }
    int len = i2d_PUBKEY(k, &der);
    assert_true(len > 0);
    assert_int_equal(ea_base64_encode(der, (size_t)len, out), 0);
    OPENSSL_free(der);
}

static void add_txt(emauth_zone *z, const char *owner, const char *text)
{
    emauth_dns_rr rr;
    memset(&rr, 0, sizeof rr);
    rr.type = EMAUTH_DNS_TXT;
    rr.ttl = 300;
    rr.u.txt.data = text;
    rr.u.txt.len = strlen(text);
    rr.u.txt.nstrings = 1;
    emauth_error err;
    if (emauth_zone_add(z, owner, &rr, &err) != EMAUTH_OK)
        fail_msg("%s: %s", owner, err.message);
}

/* The key records: selector, record ("%s" = the key's p=), key. */
static const struct zone_key {
    const char *selector, *record;
    int key;
} zone_keys[] = {
    {"rsa", "v=DKIM1; k=rsa; p=%s", K_RSA},
    {"ed", "v=DKIM1; k=ed25519; p=%s", K_ED},
    {"revoked", "v=DKIM1; k=rsa; p=", K_NONE},
    {"wrongtype", "v=DKIM1; k=ed25519; p=%s", K_ED},
    {"sha1only", "v=DKIM1; h=sha1; p=%s", K_RSA},
    {"strict", "v=DKIM1; t=s; p=%s", K_RSA},
    {"short", "v=DKIM1; p=%s", K_RSA512},
    {"testing", "v=DKIM1; t=y; p=%s", K_RSA},
    {"service", "v=DKIM1; s=tlsrpt; p=%s", K_RSA},
    {"multi", "v=spf1 -all", K_NONE},
    {"multi", "v=DKIM1; p=%s", K_RSA},
    {"badkey", "v=DKIM1; p=AAAA", K_NONE},
    {"syntax", "v=DKIM1; k=dsa; p=AAAA", K_NONE},
};

static void build_zone(void)
{
    fx.zone = emauth_zone_new();
    assert_non_null(fx.zone);
    for (size_t i = 0; i < sizeof zone_keys / sizeof zone_keys[0]; i++) {
        const struct zone_key *zk = &zone_keys[i];
        char owner[128], text[1024];
        ea_buf p;
        ea_buf_init(&p);
        if (zk->key != K_NONE)
            public_b64(fx.keys[zk->key], &p);
        snprintf(owner, sizeof owner, "%s._domainkey.example.com", zk->selector);
        snprintf(text, sizeof text, zk->record, ea_buf_cstr(&p));
        add_txt(fx.zone, owner, text);
        ea_buf_free(&p);
    }
    emauth_error err;
    assert_int_equal(emauth_zone_add_timeout(fx.zone, "slow._domainkey.example.com", &err),
                     EMAUTH_OK);
}

static int setup(void **state)
{
    (void)state;
    fx.keys[K_RSA] = load_key("rsa1024.pem");
    fx.keys[K_RSA512] = load_key("rsa512.pem");
    fx.keys[K_ED] = load_key("ed25519.pem");
    build_zone();
    fx.res.base.query = counting_query;
    fx.res.inner = emauth_zone_resolver(fx.zone);
    emauth_dkim_options o;
    emauth_dkim_options_default(&o);
    o.now = NOW;
    return emauth_dkim_verifier_new(&o, &fx.v) == EMAUTH_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    emauth_dkim_verifier_free(fx.v);
    emauth_zone_free(fx.zone);
    for (int k = 0; k < NKEYS; k++)
        EVP_PKEY_free(fx.keys[k]);
    return 0;
}

/* ---- a plain signer, RFC 6376 §5 ------------------------------------------------------------ */

typedef struct signspec {
    int key;
    ea_dkim_alg alg;
    const char *selector;
    const char *canon;       /* c= */
    const char *h;
    const char *extra;       /* more tags, each ending in "; " */
    int l;                   /* 0 none, 1 l= the body length, 2 l= beyond the body */
} signspec;

typedef struct mfield {
    const char *p;
    size_t len, name_len;
} mfield;

/* Splits a CRLF message into fields (folding kept) and the body. */
static size_t split(const char *msg, mfield *f, size_t max, const char **body)
{
    size_t n = 0;
    const char *p = msg;
    while (*p && strncmp(p, "\r\n", 2) != 0) {
        const char *e = p;
        do
            e = strstr(e, "\r\n") + 2;
        while (*e == ' ' || *e == '\t');
        assert_true(n < max);
        f[n].p = p;
        f[n].len = (size_t)(e - 2 - p);
        f[n].name_len = (size_t)(strchr(p, ':') - p);
        n++;
        p = e;
    }
    *body = *p ? p + 2 : p;
    return n;
}

static void body_hash(const char *body, ea_canon c, const EVP_MD *md, ea_buf *b64, uint64_t *len)
{
    ea_body_hash h;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned dlen;
    assert_int_equal(ea_body_hash_init(&h, c, md, EA_BODY_NOLIMIT), EMAUTH_OK);
    ea_body_hash_update(&h, body, strlen(body));
    assert_int_equal(ea_body_hash_final(&h, digest, &dlen), EMAUTH_OK);
    *len = h.length;
    ea_body_hash_free(&h);
    assert_int_equal(ea_base64_encode(digest, dlen, b64), 0);
}

/* The signature field up to "b=", from the spec and the body. */
static void sig_template(const signspec *sp, const char *body, ea_canon bc, ea_buf *out)
{
    ea_buf bh;
    ea_buf_init(&bh);
    uint64_t len;
    body_hash(body, bc, ea_dkim_alg_md(sp->alg), &bh, &len);
    char l[40] = "";
    if (sp->l)
        snprintf(l, sizeof l, "l=%llu; ", (unsigned long long)(len + (sp->l == 2 ? 10 : 0)));
    assert_int_equal(ea_buf_printf(out,
                                   "DKIM-Signature: v=1; a=%s; c=%s; d=example.com; s=%s; h=%s;"
                                   " %s%sbh=%s; b=",
                                   ea_dkim_alg_name(sp->alg), sp->canon, sp->selector, sp->h,
                                   sp->extra ? sp->extra : "", l, ea_buf_cstr(&bh)),
                     0);
    ea_buf_free(&bh);
}

/* The canonical header data: h= bottom-up (§5.4.2), then the template. */
static void header_data(const char *msg, const char *h, ea_canon hc, const ea_buf *tmpl,
                        ea_buf *out)
{
    mfield f[32];
    const char *body;
    size_t n = split(msg, f, 32, &body);
    int used[32] = {0};
    char names[256];
    snprintf(names, sizeof names, "%s", h);
    for (char *save, *name = strtok_r(names, ":", &save); name; name = strtok_r(NULL, ":", &save))
        for (size_t j = n; j-- > 0;)
            if (!used[j] && f[j].name_len == strlen(name) &&
                strncasecmp(f[j].p, name, f[j].name_len) == 0) {
                used[j] = 1;
                assert_int_equal(ea_canon_header(hc, f[j].p, f[j].len, f[j].name_len, 1, out), 0);
                break;
            }
    assert_int_equal(ea_canon_header(hc, tmpl->data, tmpl->len, 14, 0, out), 0);
}

/* out = the DKIM-Signature field of sp for msg, made with key, then msg. */
static void sign_with(const char *msg, const signspec *sp, EVP_PKEY *key, ea_buf *out)
{
    const char *slash = strchr(sp->canon, '/');
    ea_canon hc = ea_canon_parse(sp->canon, slash ? (size_t)(slash - sp->canon) : strlen(sp->canon));
    ea_canon bc = slash ? ea_canon_parse(slash + 1, strlen(slash + 1)) : EA_CANON_SIMPLE;
    mfield f[32];
    const char *body;
    split(msg, f, 32, &body);
    ea_buf tmpl, data, sig;
    ea_buf_init(&tmpl);
    ea_buf_init(&data);
    ea_buf_init(&sig);
    sig_template(sp, body, bc, &tmpl);
    header_data(msg, sp->h, hc, &tmpl, &data);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned dlen;
    assert_int_equal(EVP_Digest(data.data, data.len, digest, &dlen, ea_dkim_alg_md(sp->alg), NULL),
                     1);
    assert_int_equal(ea_dkim_sign(sp->alg, key, digest, dlen, &sig), 0);
    assert_int_equal(ea_buf_append(out, tmpl.data, tmpl.len), 0);
    assert_int_equal(ea_base64_encode((unsigned char *)sig.data, sig.len, out), 0);
    assert_int_equal(ea_buf_printf(out, "\r\n%s", msg), 0);
    ea_buf_free(&tmpl);
    ea_buf_free(&data);
    ea_buf_free(&sig);
}

static void sign(const char *msg, const signspec *sp, ea_buf *out)
{
    sign_with(msg, sp, fx.keys[sp->key], out);
}

/* ---- driving the verifier --------------------------------------------------------------------- */

typedef struct driver {
    emauth_dkim_verifier *v;
    int dns_at_eoh;          /* answer the key questions before the body comes */
} driver;

static emauth_status cb_header(void *arg, const char *f, size_t len, size_t name_len)
{
    return emauth_dkim_verify_header(((driver *)arg)->v, f, len, name_len);
}

static emauth_status cb_eoh(void *arg)
{
    driver *d = arg;
    emauth_status st = emauth_dkim_verify_eoh(d->v);
    if (st == EMAUTH_OK && d->dns_at_eoh)
        st = emauth_dkim_verify_run(d->v, &fx.res.base);
    return st;
}

static emauth_status cb_body(void *arg, const char *chunk, size_t len)
{
    return emauth_dkim_verify_body(((driver *)arg)->v, chunk, len);
}

static void push_message(driver *d, const char *msg, size_t len, size_t chunk)
{
    static const emauth_msg_callbacks cbs = {cb_header, cb_eoh, cb_body};
    emauth_msg *m;
    emauth_error err;
    assert_int_equal(emauth_msg_new(&cbs, d, NULL, &m), EMAUTH_OK);
    for (size_t off = 0; off < len; off += chunk) {
        size_t n = len - off < chunk ? len - off : chunk;
        if (emauth_msg_push(m, msg + off, n, &err) != EMAUTH_OK)
            fail_msg("push: %s", err.message);
    }
    if (emauth_msg_finish(m, &err) != EMAUTH_OK)
        fail_msg("finish: %s", err.message);
    emauth_msg_free(m);
}

static emauth_dkim_options options(void)
{
    emauth_dkim_options o;
    emauth_dkim_options_default(&o);
    o.now = NOW;
    return o;
}

/* Verifies msg with fx.v, pushed in chunks of chunk bytes; the results. */
static const emauth_dkim_result *verify_with(const char *msg, size_t len, size_t chunk,
                                             const emauth_dkim_options *o, int dns_at_eoh,
                                             size_t *n)
{
    driver d = {fx.v, dns_at_eoh};
    fx.res.asked = 0;
    assert_int_equal(emauth_dkim_verify_start(fx.v, o), EMAUTH_OK);
    push_message(&d, msg, len, chunk);
    assert_null(emauth_dkim_verify_results(fx.v, n));   /* not before eom */
    assert_int_equal(emauth_dkim_verify_eom(fx.v), EMAUTH_OK);
    assert_int_equal(emauth_dkim_verify_run(fx.v, &fx.res.base), EMAUTH_OK);
    const emauth_dkim_result *r = emauth_dkim_verify_results(fx.v, n);
    assert_non_null(r);
    return r;
}

static const emauth_dkim_result *verify(const char *msg, const emauth_dkim_options *o, size_t *n)
{
    return verify_with(msg, strlen(msg), strlen(msg) + 1, o, 0, n);
}

static void expect(const emauth_dkim_result *r, emauth_dkim_verdict want, const char *reason,
                   const char *what)
{
    if (r->verdict != want || r->reason == NULL || strstr(r->reason, reason) == NULL)
        fail_msg("%s: %s \"%s\", wanted %s \"%s\"", what, emauth_dkim_verdict_name(r->verdict),
                 r->reason ? r->reason : "(null)", emauth_dkim_verdict_name(want), reason);
}

/* ---- the message and its tamperings ------------------------------------------------------------ */

static const char MSG[] = "From: Joe SixPack <joe@example.com>\r\n"
                          "To: Suzie Q <suzie@example.net>\r\n"
                          "Subject: Is dinner\r\n ready?\r\n"
                          "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
                          "Message-ID: <20030712040037.46341.5F8J@example.com>\r\n"
                          "\r\n"
                          "Hi.\r\n"
                          "\r\n"
                          "We lost the game.  Are you hungry yet?\r\n"
                          "\r\n"
                          "Joe.\r\n";

typedef enum mutation {
    M_NONE,
    M_BODY,          /* a body byte */
    M_HEADER,        /* a signed header's value */
    M_ADD_FROM,      /* a From added above */
    M_ADD_CC,        /* a Cc added (Cc signed but absent when signed) */
    M_DROP_TO,       /* a signed header removed */
    M_APPEND,        /* a line added at the end of the body */
    M_HEADER_WSP,    /* blanks and case in a signed header (relaxed survives) */
    M_BODY_WSP,      /* blanks inside a body line (relaxed survives) */
    M_TRAILING       /* empty lines added at the end (both survive) */
} mutation;

static void replace(ea_buf *b, const char *from, const char *to)
{
    char *at = strstr(ea_buf_cstr(b), from);
    assert_non_null(at);
    ea_buf out;
    ea_buf_init(&out);
    assert_int_equal(ea_buf_printf(&out, "%.*s%s%s", (int)(at - b->data), b->data, to,
                                   at + strlen(from)), 0);
    ea_buf_free(b);
    *b = out;
}

static void mutate(ea_buf *b, mutation m)
{
    switch (m) {
    case M_NONE: break;
    case M_BODY: replace(b, "the game", "the gamE"); break;
    case M_HEADER: replace(b, "Is dinner", "Is lunch"); break;
    case M_ADD_FROM: replace(b, "From: Joe", "From: Mallory <m@example.org>\r\nFrom: Joe"); break;
    case M_ADD_CC: replace(b, "Date:", "Cc: eve@example.org\r\nDate:"); break;
    case M_DROP_TO: replace(b, "To: Suzie Q <suzie@example.net>\r\n", ""); break;
    case M_APPEND: assert_int_equal(ea_buf_puts(b, "P.S. Buy milk.\r\n"), 0); break;
    case M_HEADER_WSP: replace(b, "Subject: Is dinner", "SUBJECT:   Is \t dinner"); break;
    case M_BODY_WSP: replace(b, "the game.  Are", "the game. \t Are"); break;
    case M_TRAILING: assert_int_equal(ea_buf_puts(b, "\r\n\r\n"), 0); break;
    }
}

/* ---- signed cases --------------------------------------------------------------------------------- */

enum { O_DEFAULT, O_SHA1 };

typedef struct vcase {
    signspec sign;
    mutation mut;
    int opt;
    emauth_dkim_verdict want;
    const char *reason;
} vcase;

#define H "from:to:subject:date:message-id"
#define HO H ":from:subject"    /* oversigned: From and Subject once more than present */
#define RSA(sel, c, h, extra, l) {K_RSA, EA_DKIM_RSA_SHA256, sel, c, h, extra, l}
#define ED(c, h) {K_ED, EA_DKIM_ED25519_SHA256, "ed", c, h, NULL, 0}
#define RR "relaxed/relaxed"
#define SS "simple/simple"
#define PASS EMAUTH_DKIM_PASS, "signature verified"
#define BODYFAIL EMAUTH_DKIM_FAIL, "body hash mismatch"
#define SIGFAIL EMAUTH_DKIM_FAIL, "signature did not verify"

static const vcase cases[] = {
    /* both algorithms, all canonicalizations */
    {RSA("rsa", RR, HO, NULL, 0), M_NONE, O_DEFAULT, PASS},
    {RSA("rsa", SS, H, NULL, 0), M_NONE, O_DEFAULT, PASS},
    {RSA("rsa", "relaxed", H, NULL, 0), M_NONE, O_DEFAULT, PASS},
    {RSA("rsa", "simple/relaxed", H, NULL, 0), M_NONE, O_DEFAULT, PASS},
    {ED(RR, HO), M_NONE, O_DEFAULT, PASS},
    {ED(SS, H), M_NONE, O_DEFAULT, PASS},
    /* tampering */
    {RSA("rsa", RR, HO, NULL, 0), M_BODY, O_DEFAULT, BODYFAIL},
    {ED(SS, H), M_BODY, O_DEFAULT, BODYFAIL},
    {RSA("rsa", RR, HO, NULL, 0), M_HEADER, O_DEFAULT, SIGFAIL},
    {ED(SS, H), M_HEADER, O_DEFAULT, SIGFAIL},
    {RSA("rsa", RR, HO, NULL, 0), M_ADD_FROM, O_DEFAULT, SIGFAIL},
    {ED(RR, HO), M_ADD_FROM, O_DEFAULT, SIGFAIL},
    {RSA("rsa", RR, H, NULL, 0), M_ADD_FROM, O_DEFAULT, PASS},  /* why oversigning matters */
    {RSA("rsa", RR, H ":cc", NULL, 0), M_NONE, O_DEFAULT, PASS},
    {RSA("rsa", RR, H ":cc", NULL, 0), M_ADD_CC, O_DEFAULT, SIGFAIL},
    {RSA("rsa", RR, H, NULL, 0), M_DROP_TO, O_DEFAULT, SIGFAIL},
    {RSA("rsa", RR, H, NULL, 0), M_APPEND, O_DEFAULT, BODYFAIL},
    /* what each canonicalization survives */
    {RSA("rsa", RR, H, NULL, 0), M_HEADER_WSP, O_DEFAULT, PASS},
    {RSA("rsa", SS, H, NULL, 0), M_HEADER_WSP, O_DEFAULT, SIGFAIL},
    {RSA("rsa", RR, H, NULL, 0), M_BODY_WSP, O_DEFAULT, PASS},
    {RSA("rsa", SS, H, NULL, 0), M_BODY_WSP, O_DEFAULT, BODYFAIL},
    {RSA("rsa", SS, H, NULL, 0), M_TRAILING, O_DEFAULT, PASS},
    {ED(RR, H), M_TRAILING, O_DEFAULT, PASS},
    /* l= */
    {RSA("rsa", RR, H, NULL, 1), M_NONE, O_DEFAULT, PASS},
    {RSA("rsa", RR, H, NULL, 1), M_APPEND, O_DEFAULT, PASS},
    {RSA("rsa", SS, H, NULL, 1), M_APPEND, O_DEFAULT, PASS},
    {RSA("rsa", RR, H, NULL, 1), M_BODY, O_DEFAULT, BODYFAIL},
    {RSA("rsa", RR, H, NULL, 2), M_NONE, O_DEFAULT, EMAUTH_DKIM_FAIL, "exceeds the body length"},
    /* key records */
    {RSA("revoked", RR, H, NULL, 0), M_NONE, O_DEFAULT, EMAUTH_DKIM_PERMERROR,
     "key revoked (empty p=)"},
    {RSA("none", RR, H, NULL, 0), M_NONE, O_DEFAULT, EMAUTH_DKIM_PERMERROR,
     "no key record at none._domainkey.example.com"},
    {RSA("slow", RR, H, NULL, 0), M_NONE, O_DEFAULT, EMAUTH_DKIM_TEMPERROR,
     "key lookup at slow._domainkey.example.com: timeout"},
    {RSA("wrongtype", RR, H, NULL, 0), M_NONE, O_DEFAULT, EMAUTH_DKIM_PERMERROR,
     "key type k=ed25519 does not fit a=rsa-sha256"},
    {RSA("sha1only", RR, H, NULL, 0), M_NONE, O_DEFAULT, EMAUTH_DKIM_PERMERROR,
     "key h= does not allow sha256"},
    {RSA("strict", RR, H, "i=@mail.example.com; ", 0), M_NONE, O_DEFAULT, EMAUTH_DKIM_PERMERROR,
     "key t=s forbids an i= in a subdomain"},
    {RSA("strict", RR, H, "i=joe@Example.com; ", 0), M_NONE, O_DEFAULT, PASS},
    {RSA("rsa", RR, H, "i=joe@mail.example.com; ", 0), M_NONE, O_DEFAULT, PASS},
    {RSA("service", RR, H, NULL, 0), M_NONE, O_DEFAULT, EMAUTH_DKIM_PERMERROR,
     "key s= does not allow email"},
    {RSA("testing", RR, H, NULL, 0), M_NONE, O_DEFAULT, EMAUTH_DKIM_PASS, "testing mode, t=y"},
    {RSA("multi", RR, H, NULL, 0), M_NONE, O_DEFAULT, PASS},
    {RSA("badkey", RR, H, NULL, 0), M_NONE, O_DEFAULT, EMAUTH_DKIM_PERMERROR,
     "bad key record at badkey._domainkey.example.com: p= not a DER public key"},
    {RSA("syntax", RR, H, NULL, 0), M_NONE, O_DEFAULT, EMAUTH_DKIM_PERMERROR,
     "k= unknown key type"},
    /* local policy */
    {{K_RSA512, EA_DKIM_RSA_SHA256, "short", RR, H, NULL, 0}, M_NONE, O_DEFAULT,
     EMAUTH_DKIM_POLICY, "RSA key of 512 bits, under 1024"},
    {{K_RSA512, EA_DKIM_RSA_SHA256, "short", RR, H, NULL, 0}, M_HEADER, O_DEFAULT, SIGFAIL},
    {{K_RSA, EA_DKIM_RSA_SHA1, "rsa", RR, H, NULL, 0}, M_NONE, O_DEFAULT, EMAUTH_DKIM_POLICY,
     "rsa-sha1 is not acceptable (RFC 8301); the signature would pass"},
    {{K_RSA, EA_DKIM_RSA_SHA1, "rsa", RR, H, NULL, 0}, M_BODY, O_DEFAULT, EMAUTH_DKIM_POLICY,
     "rsa-sha1 is not acceptable (RFC 8301); the signature would fail (body hash mismatch)"},
    {{K_RSA, EA_DKIM_RSA_SHA1, "rsa", SS, H, NULL, 0}, M_NONE, O_SHA1, PASS},
    {{K_RSA, EA_DKIM_RSA_SHA1, "rsa", SS, H, NULL, 0}, M_HEADER, O_SHA1, SIGFAIL},
    {RSA("rsa", RR, H, "t=1699990000; x=1699999000; ", 0), M_NONE, O_DEFAULT, EMAUTH_DKIM_POLICY,
     "expired at 2023-11-14T21:56:40Z (x=1699999000)"},
    {RSA("rsa", RR, H, "t=1699990000; x=1699999800; ", 0), M_NONE, O_DEFAULT, PASS},
    {RSA("rsa", RR, H, "t=1700001000; ", 0), M_NONE, O_DEFAULT, EMAUTH_DKIM_POLICY,
     "timestamp in the future"},
    {RSA("rsa", RR, H, "t=1700000200; ", 0), M_NONE, O_DEFAULT, PASS},
    {RSA("rsa", RR, H, "t=1700001000; ", 0), M_BODY, O_DEFAULT, BODYFAIL},
};

static void check_case(size_t i, const vcase *c, const emauth_dkim_result *r)
{
    char what[64];
    snprintf(what, sizeof what, "case %zu (%s)", i, c->sign.selector);
    expect(r, c->want, c->reason, what);
    assert_string_equal(r->domain, "example.com");
    assert_string_equal(r->selector, c->sign.selector);
    assert_string_equal(r->algorithm, ea_dkim_alg_name(c->sign.alg));
    assert_int_equal(r->body_length_limited, c->sign.l != 0);
    assert_int_equal(r->content_after_limit, c->sign.l == 1 && c->mut == M_APPEND);
    assert_int_equal(r->testing, strcmp(c->sign.selector, "testing") == 0);
    assert_int_equal(r->field_index, 0);
}

static void test_signed_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const vcase *c = &cases[i];
        ea_buf m;
        ea_buf_init(&m);
        sign(MSG, &c->sign, &m);
        mutate(&m, c->mut);
        emauth_dkim_options o = options();
        o.allow_sha1 = c->opt == O_SHA1;
        size_t n;
        const emauth_dkim_result *r = verify(ea_buf_cstr(&m), &o, &n);
        assert_int_equal(n, 1);
        check_case(i, c, r);
        ea_buf_free(&m);
    }
}

/* The fields a passing result reports. */
static void test_result_fields(void **state)
{
    (void)state;
    signspec sp = RSA("rsa", "relaxed/simple", H, "i=joe@example.com; t=1699999000; x=1800000000; ", 1);
    ea_buf m;
    ea_buf_init(&m);
    sign(MSG, &sp, &m);
    emauth_dkim_options o = options();
    size_t n;
    const emauth_dkim_result *r = verify(ea_buf_cstr(&m), &o, &n);
    assert_int_equal(n, 1);
    expect(r, EMAUTH_DKIM_PASS, "signature verified", "fields");
    assert_string_equal(r->identity, "joe@example.com");
    assert_string_equal(r->header_canon, "relaxed");
    assert_string_equal(r->body_canon, "simple");
    assert_int_equal(strlen(r->b_prefix), 12);
    assert_non_null(strstr(ea_buf_cstr(&m), r->b_prefix));
    assert_int_equal(r->key_bits, 1024);
    assert_int_equal(r->timestamp, 1699999000);
    assert_int_equal(r->expiration, 1800000000);
    assert_true(r->body_length_limited);
    assert_int_equal(r->body_length, 55);   /* the simple body of MSG */
    assert_false(r->content_after_limit);
    ea_buf_free(&m);
}

/* ---- several signatures ------------------------------------------------------------------------ */

/* MSG signed three times: rsa relaxed, ed25519, rsa simple (top). */
static void sign_three(ea_buf *out)
{
    static const signspec specs[] = {
        RSA("rsa", RR, HO, NULL, 0),
        ED(RR, HO),
        RSA("rsa", SS, H, NULL, 0),
    };
    ea_buf a, b;
    ea_buf_init(&a);
    ea_buf_init(&b);
    sign(MSG, &specs[0], &a);
    sign(ea_buf_cstr(&a), &specs[1], &b);
    sign(ea_buf_cstr(&b), &specs[2], out);
    ea_buf_free(&a);
    ea_buf_free(&b);
}

/* One question per distinct key; every signature verified, in header order. */
static void test_several_signatures(void **state)
{
    (void)state;
    ea_buf m;
    ea_buf_init(&m);
    sign_three(&m);
    static const size_t chunks[] = {1, 2, 7, 64, 100000};
    for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
        emauth_dkim_options o = options();
        size_t n;
        const emauth_dkim_result *r = verify_with(m.data, m.len, chunks[c], &o, c % 2, &n);
        assert_int_equal(n, 3);
        assert_int_equal(fx.res.asked, 2);
        for (size_t k = 0; k < 3; k++) {
            expect(&r[k], EMAUTH_DKIM_PASS, "signature verified", "three");
            assert_int_equal(r[k].field_index, k);
        }
        assert_string_equal(r[0].body_canon, "simple");
        assert_string_equal(r[1].algorithm, "ed25519-sha256");
        assert_int_equal(r[1].key_bits, 256);
    }
    ea_buf_free(&m);
}

/*
 * Two signatures by one key, one with l=: each gets its own body hash, and
 * content appended after both breaks only the one without l=.
 */
static void test_body_slots(void **state)
{
    (void)state;
    static const signspec limited = RSA("rsa", RR, H, NULL, 1), whole = RSA("rsa", RR, H, NULL, 0);
    ea_buf a, m;
    ea_buf_init(&a);
    ea_buf_init(&m);
    sign(MSG, &limited, &a);
    sign(ea_buf_cstr(&a), &whole, &m);
    mutate(&m, M_APPEND);
    emauth_dkim_options o = options();
    size_t n;
    const emauth_dkim_result *r = verify(m.data, &o, &n);
    assert_int_equal(n, 2);
    assert_int_equal(fx.res.asked, 1);
    expect(&r[0], EMAUTH_DKIM_FAIL, "body hash mismatch", "whole");
    expect(&r[1], EMAUTH_DKIM_PASS, "signature verified", "limited");
    assert_true(r[1].content_after_limit);
    ea_buf_free(&a);
    ea_buf_free(&m);
}

/*
 * h= may sign earlier DKIM-Signature fields, oversigned too; the field
 * being verified is never one of the instances h= takes.
 */
static void test_signing_signatures(void **state)
{
    (void)state;
    static const signspec inner = ED(RR, H),
                          outer = RSA("rsa", SS, H ":dkim-signature:dkim-signature", NULL, 0);
    ea_buf a, m;
    ea_buf_init(&a);
    ea_buf_init(&m);
    sign(MSG, &inner, &a);
    sign(ea_buf_cstr(&a), &outer, &m);
    emauth_dkim_options o = options();
    size_t n;
    const emauth_dkim_result *r = verify(m.data, &o, &n);
    assert_int_equal(n, 2);
    expect(&r[0], EMAUTH_DKIM_PASS, "signature verified", "outer");
    expect(&r[1], EMAUTH_DKIM_PASS, "signature verified", "inner");
    replace(&m, "; s=ed;", ";  s=ed;");   /* the inner field is signed by the outer one */
    r = verify(m.data, &o, &n);
    expect(&r[0], EMAUTH_DKIM_FAIL, "signature did not verify", "outer, inner changed");
    expect(&r[1], EMAUTH_DKIM_PASS, "signature verified", "inner, relaxed");
    ea_buf_free(&a);
    ea_buf_free(&m);
}

/*
 * More distinct keys than the verifier's key cache holds, twice over: each
 * message still gets its own key (a stale cache entry would fail them).
 */
static void test_key_cache(void **state)
{
    (void)state;
    enum { NK = 20 };
    EVP_PKEY *keys[NK];
    char sels[NK][8];
    for (int i = 0; i < NK; i++) {
        keys[i] = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
        assert_non_null(keys[i]);
        snprintf(sels[i], sizeof sels[i], "k%02d", i);
        char owner[256];
        ea_buf rec;
        ea_buf_init(&rec);
        assert_int_equal(ea_buf_puts(&rec, "v=DKIM1; k=ed25519; p="), 0);
        public_b64(keys[i], &rec);
        snprintf(owner, sizeof owner, "%s._domainkey.example.com", sels[i]);
        add_txt(fx.zone, owner, ea_buf_cstr(&rec));
        ea_buf_free(&rec);
    }
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < NK; i++) {
            int k = round < 2 ? i : NK - 1;   /* the last round: one key again and again */
            signspec sp = {K_ED, EA_DKIM_ED25519_SHA256, sels[k], RR, H, NULL, 0};
            ea_buf m;
            ea_buf_init(&m);
            sign_with(MSG, &sp, keys[k], &m);
            emauth_dkim_options o = options();
            size_t n;
            const emauth_dkim_result *r = verify(m.data, &o, &n);
            expect(r, EMAUTH_DKIM_PASS, "signature verified", sels[k]);
            ea_buf_free(&m);
        }
    /* a key published under another selector does not verify this one's signatures */
    signspec sp = {K_ED, EA_DKIM_ED25519_SHA256, sels[0], RR, H, NULL, 0};
    ea_buf m;
    ea_buf_init(&m);
    sign_with(MSG, &sp, keys[1], &m);
    emauth_dkim_options o = options();
    size_t n;
    expect(verify(m.data, &o, &n), EMAUTH_DKIM_FAIL, "signature did not verify", "wrong key");
    ea_buf_free(&m);
    for (int i = 0; i < NK; i++)
        EVP_PKEY_free(keys[i]);
}

static void test_over_the_limit(void **state)
{
    (void)state;
    ea_buf m;
    ea_buf_init(&m);
    sign_three(&m);
    emauth_dkim_options o = options();
    o.max_signatures = 2;
    size_t n;
    const emauth_dkim_result *r = verify(m.data, &o, &n);
    assert_int_equal(n, 3);
    expect(&r[0], EMAUTH_DKIM_PASS, "signature verified", "first");
    expect(&r[1], EMAUTH_DKIM_PASS, "signature verified", "second");
    expect(&r[2], EMAUTH_DKIM_NEUTRAL, "not verified: over the limit of 2", "third");
    assert_null(r[2].domain);
    assert_int_equal(r[2].field_index, 2);
    o.max_signatures = 0;
    r = verify(m.data, &o, &n);
    assert_int_equal(n, 3);
    assert_int_equal(fx.res.asked, 0);
    expect(&r[0], EMAUTH_DKIM_NEUTRAL, "over the limit of 0", "none");
    ea_buf_free(&m);
}

/* ---- malformed signatures ---------------------------------------------------------------------- */

#define BH "bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=; "
#define SIG "b=dGhpcyBpcyBub3QgcmVhbGx5IGEgc2lnbmF0dXJl"

static const struct bad_case {
    const char *field;
    const char *reason;
    const char *domain;
} bad_cases[] = {
    {"DKIM-Signature: v=1; a=rsa-sha256; s=rsa; h=from; " BH SIG, "d= missing", NULL},
    {"DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=rsa; h=from; " BH "b=abc$",
     "b= is not base64", "example.com"},
    {"DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=rsa; h=to:subject; " BH SIG,
     "h= does not list From", "example.com"},
    {"DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=rsa; h=from; i=joe@example.org; " BH SIG,
     "i= is not within d=", "example.com"},
    {"DKIM-Signature: v=1; a=unknown; d=example.com; s=rsa; h=from; " BH SIG,
     "a= unknown algorithm \"unknown\"", "example.com"},
    {"DKIM-Signature: v=1; a=rsa-sha256; d=example.com; d=example.org; s=rsa; h=from; " BH SIG,
     "\"d\" appears twice", NULL},
    {"DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=rsa; h=from; x=1; t=2; " BH SIG,
     "x= is before t=", "example.com"},
};

static void test_malformed(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        ea_buf m;
        ea_buf_init(&m);
        assert_int_equal(ea_buf_printf(&m, "%s\r\n%s", bad_cases[i].field, MSG), 0);
        emauth_dkim_options o = options();
        size_t n;
        const emauth_dkim_result *r = verify(m.data, &o, &n);
        assert_int_equal(n, 1);
        char what[32];
        snprintf(what, sizeof what, "bad case %zu", i);
        expect(r, EMAUTH_DKIM_PERMERROR, bad_cases[i].reason, what);
        assert_int_equal(fx.res.asked, 0);
        if (bad_cases[i].domain)
            assert_string_equal(r->domain, bad_cases[i].domain);
        else
            assert_null(r->domain);
        ea_buf_free(&m);
    }
}

/* ---- the state machine ---------------------------------------------------------------------------- */

static void test_no_signature(void **state)
{
    (void)state;
    emauth_dkim_options o = options();
    size_t n = 99;
    const emauth_dkim_result *r = verify(MSG, &o, &n);
    assert_non_null(r);
    assert_int_equal(n, 0);
    assert_int_equal(fx.res.asked, 0);
}

static void test_step_by_step(void **state)
{
    (void)state;
    emauth_dkim_verifier *v;
    assert_int_equal(emauth_dkim_verifier_new(NULL, &v), EMAUTH_OK);
    const emauth_dns_question *q;
    emauth_dns_answer a = {.rcode = EMAUTH_DNS_TIMEOUT, .why = "test"};
    assert_int_equal(emauth_dkim_verify_next(v, &q), EMAUTH_ERR_INVALID);
    assert_int_equal(emauth_dkim_verify_answer(v, &a), EMAUTH_ERR_INVALID);
    assert_int_equal(emauth_dkim_verify_body(v, "x", 1), EMAUTH_ERR_INVALID);
    assert_int_equal(emauth_dkim_verify_eom(v), EMAUTH_ERR_INVALID);
    const char *f = "DKIM-Signature: v=1; a=ed25519-sha256; d=Example.COM; s=Sel; h=from; " BH SIG;
    assert_int_equal(emauth_dkim_verify_header(v, f, strlen(f), 14), EMAUTH_OK);
    assert_int_equal(emauth_dkim_verify_header(v, "From: a@example.com", 19, 4), EMAUTH_OK);
    assert_int_equal(emauth_dkim_verify_eoh(v), EMAUTH_OK);
    assert_int_equal(emauth_dkim_verify_header(v, "To: b", 5, 2), EMAUTH_ERR_INVALID);
    assert_int_equal(emauth_dkim_verify_next(v, &q), EMAUTH_NEED_DNS);
    assert_string_equal(q->name, "sel._domainkey.example.com");
    assert_int_equal(q->type, EMAUTH_DNS_TXT);
    const emauth_dns_question *again;
    assert_int_equal(emauth_dkim_verify_next(v, &again), EMAUTH_NEED_DNS);
    assert_ptr_equal(q, again);
    assert_int_equal(emauth_dkim_verify_answer(v, &a), EMAUTH_OK);   /* before the body */
    assert_int_equal(emauth_dkim_verify_next(v, &q), EMAUTH_OK);
    assert_null(q);
    size_t n;
    assert_null(emauth_dkim_verify_results(v, &n));
    assert_int_equal(emauth_dkim_verify_body(v, "Hi.\r\n", 5), EMAUTH_OK);
    assert_int_equal(emauth_dkim_verify_eom(v), EMAUTH_OK);
    const emauth_dkim_result *r = emauth_dkim_verify_results(v, &n);
    assert_int_equal(n, 1);
    expect(r, EMAUTH_DKIM_TEMPERROR, "key lookup at sel._domainkey.example.com: timeout: test",
           "step");
    assert_string_equal(r->identity, "@Example.COM");
    /* start forgets it all */
    assert_int_equal(emauth_dkim_verify_start(v, NULL), EMAUTH_OK);
    assert_null(emauth_dkim_verify_results(v, &n));
    emauth_dkim_verifier_free(v);
}

static void test_names(void **state)
{
    (void)state;
    static const char *const names[] = {"pass", "fail", "neutral", "policy", "temperror",
                                        "permerror"};
    for (int i = 0; i < 6; i++)
        assert_string_equal(emauth_dkim_verdict_name((emauth_dkim_verdict)i), names[i]);
    emauth_dkim_options o;
    emauth_dkim_options_default(&o);
    assert_int_equal(o.allow_sha1, 0);
    assert_int_equal(o.min_rsa_bits, 1024);
    assert_int_equal(o.max_signatures, 10);
    assert_int_equal(o.clock_skew, 300);
    assert_int_equal(o.now, 0);
}

/* ---- the RFC examples -------------------------------------------------------------------------------- */

static const char *suite_path(const char *file)
{
    static char buf[PATH_SIZE];
    const char *dir = getenv("EMAUTH_TESTSUITES");
    if (dir == NULL)
        dir = getenv("EMAUTH_TESTSUITES_DEFAULT");
    int n = snprintf(buf, sizeof buf, "%s/dkim/%s", dir ? dir : "../../shared/testsuites", file);
    assert_true(n > 0 && n < PATH_SIZE);
    return buf;
}

/* A suite file, or the test is skipped when the suites are not there. */
static char *suite_file(const char *file, size_t *len)
{
    char *text = slurp(suite_path(file), len);
    if (text == NULL) {
        print_message("%s not found (set EMAUTH_TESTSUITES)\n", suite_path(file));
        skip();
    }
    return text;
}

/* Verifies msg with v over z at the time now (0: the current time). */
static const emauth_dkim_result *verify_in(emauth_dkim_verifier *v, emauth_zone *z,
                                           const char *msg, size_t len, int64_t now, size_t *n)
{
    emauth_dkim_options o;
    emauth_dkim_options_default(&o);
    o.now = now;
    assert_int_equal(emauth_dkim_verify_start(v, &o), EMAUTH_OK);
    driver d = {v, 0};
    push_message(&d, msg, len, 13);
    assert_int_equal(emauth_dkim_verify_eom(v), EMAUTH_OK);
    assert_int_equal(emauth_dkim_verify_run(v, emauth_zone_resolver(z)), EMAUTH_OK);
    const emauth_dkim_result *r = emauth_dkim_verify_results(v, n);
    assert_non_null(r);
    return r;
}

static void test_rfc8463(void **state)
{
    (void)state;
    size_t len, n;
    char *msg = suite_file("rfc8463/appendix-a3-signed.eml", &len);
    emauth_zone *z = emauth_zone_new();
    emauth_error err;
    if (emauth_zone_load_file(z, suite_path("rfc8463/dns.zone"), NULL, &err) != EMAUTH_OK)
        fail_msg("dns.zone: %s", err.message);
    emauth_dkim_verifier *v;
    assert_int_equal(emauth_dkim_verifier_new(NULL, &v), EMAUTH_OK);
    const emauth_dkim_result *r = verify_in(v, z, msg, len, 1528637909 + 60, &n);
    assert_int_equal(n, 2);
    expect(&r[0], EMAUTH_DKIM_PASS, "signature verified", "rfc8463 ed25519");
    expect(&r[1], EMAUTH_DKIM_PASS, "signature verified", "rfc8463 rsa");
    assert_string_equal(r[0].algorithm, "ed25519-sha256");
    assert_string_equal(r[0].selector, "brisbane");
    assert_string_equal(r[0].domain, "football.example.com");
    assert_string_equal(r[0].identity, "@football.example.com");
    assert_string_equal(r[0].b_prefix, "/gCrinpcQOoI");
    assert_int_equal(r[0].key_bits, 256);
    assert_int_equal(r[0].timestamp, 1528637909);
    assert_int_equal(r[0].expiration, -1);
    assert_string_equal(r[1].selector, "test");
    assert_int_equal(r[1].key_bits, 1024);
    assert_string_equal(r[1].b_prefix, "F45dVWDfMbQD");
    /* the current time: t= is in the past, there is no x= */
    r = verify_in(v, z, msg, len, 0, &n);
    expect(&r[0], EMAUTH_DKIM_PASS, "signature verified", "rfc8463 now");
    /* a changed body byte */
    char *game = strstr(msg, "game");
    assert_non_null(game);
    game[0] = 'G';
    r = verify_in(v, z, msg, len, 1528637909, &n);
    expect(&r[0], EMAUTH_DKIM_FAIL, "body hash mismatch", "rfc8463 tampered ed25519");
    expect(&r[1], EMAUTH_DKIM_FAIL, "body hash mismatch", "rfc8463 tampered rsa");
    emauth_dkim_verifier_free(v);
    emauth_zone_free(z);
    free(msg);
}

/* The Appendix C public key as a key record: the PEM's base64 lines joined. */
static void appendix_c_record(const char *pem, ea_buf *out)
{
    assert_int_equal(ea_buf_puts(out, "v=DKIM1; p="), 0);
    for (const char *p = pem; *p;) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n > 0 && p[0] != '-')
            assert_int_equal(ea_buf_append(out, p, n), 0);
        p += n + (e != NULL);
    }
}

/* RFC 6376 A.2 does not verify (errata: bh= is the relaxed hash, the key is elsewhere). */
static void test_rfc6376(void **state)
{
    (void)state;
    size_t len, plen, n;
    char *pem = suite_file("rfc6376/appendix-c-rsa.public.pem", &plen);
    char *msg = slurp(suite_path("rfc6376/appendix-a2-signed.eml"), &len);
    assert_non_null(msg);
    emauth_zone *z = emauth_zone_new();
    emauth_dkim_verifier *v;
    assert_int_equal(emauth_dkim_verifier_new(NULL, &v), EMAUTH_OK);
    const emauth_dkim_result *r = verify_in(v, z, msg, len, 0, &n);
    assert_int_equal(n, 1);
    expect(r, EMAUTH_DKIM_PERMERROR, "no key record at brisbane._domainkey.example.com", "a2");
    assert_string_equal(r->identity, "joe@football.example.com");
    /* with the Appendix C key published where d= and s= point */
    ea_buf rec;
    ea_buf_init(&rec);
    appendix_c_record(pem, &rec);
    add_txt(z, "brisbane._domainkey.example.com", ea_buf_cstr(&rec));
    r = verify_in(v, z, msg, len, 0, &n);
    expect(r, EMAUTH_DKIM_FAIL, "body hash mismatch", "a2 with key");
    assert_int_equal(r->key_bits, 1024);
    ea_buf_free(&rec);
    emauth_dkim_verifier_free(v);
    emauth_zone_free(z);
    free(msg);
    free(pem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_signed_cases),
        cmocka_unit_test(test_result_fields),
        cmocka_unit_test(test_several_signatures),
        cmocka_unit_test(test_body_slots),
        cmocka_unit_test(test_signing_signatures),
        cmocka_unit_test(test_key_cache),
        cmocka_unit_test(test_over_the_limit),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_no_signature),
        cmocka_unit_test(test_step_by_step),
        cmocka_unit_test(test_rfc8463),
        cmocka_unit_test(test_rfc6376),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
