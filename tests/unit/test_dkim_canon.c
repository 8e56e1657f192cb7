/*
 * Unit tests for DKIM canonicalization and the streaming body hash: the
 * RFC 6376 §3.4.5 examples, the RFC 8463 body hashes, empty bodies, l=,
 * and a slow reference implementation that any split of any body into
 * chunks must agree with.
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

#include <emauth/message.h>
#include "dkim/canon.h"
#include "util/buf.h"

/* ---- helpers ------------------------------------------------------------ */

typedef struct digest {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len;
    uint64_t hashed, length;
} digest;

static void sha256(const void *data, size_t len, digest *d)
{
    d->len = 0;
    assert_int_equal(EVP_Digest(data, len, d->md, &d->len, EVP_sha256(), NULL), 1);
}

/* Hashes in[0..len) cut at cuts[0..ncuts) (ascending). */
static void stream(ea_canon c, uint64_t limit, const char *in, size_t len, const size_t *cuts,
                   size_t ncuts, digest *d)
{
    ea_body_hash h;
    assert_int_equal(ea_body_hash_init(&h, c, EVP_sha256(), limit), EMAUTH_OK);
    size_t at = 0;
    for (size_t k = 0; k <= ncuts; k++) {
        size_t to = k < ncuts ? cuts[k] : len;
        ea_body_hash_update(&h, in + at, to - at);
        at = to;
    }
    assert_int_equal(ea_body_hash_final(&h, d->md, &d->len), EMAUTH_OK);
    d->hashed = h.hashed;
    d->length = h.length;
    ea_body_hash_free(&h);
}

static const char *b64(const digest *d)
{
    static char out[4 * EVP_MAX_MD_SIZE / 3 + 4];
    EVP_EncodeBlock((unsigned char *)out, d->md, (int)d->len);
    return out;
}

/*
 * The canonical body, the slow and obvious way: split at CRLF, treat a
 * last piece without CRLF as a line, canonicalize each line, drop the
 * empty lines at the end, and give simple's empty body its CRLF.
 */
static void reference_body(ea_canon c, const char *in, size_t len, ea_buf *out)
{
    size_t keep = 0;     /* out up to the end of the last non-empty line */
    size_t pos = 0;
    out->len = 0;
    while (pos < len) {
        size_t e = pos;
        while (e < len && !(in[e] == '\r' && e + 1 < len && in[e + 1] == '\n'))
            e++;
        size_t start = out->len;
        for (size_t i = pos; i < e; i++) {
            int blank = in[i] == ' ' || in[i] == '\t';
            if (c == EA_CANON_RELAXED && blank) {
                if (i == pos || !(in[i - 1] == ' ' || in[i - 1] == '\t'))
                    assert_int_equal(ea_buf_putc(out, ' '), 0);
            } else {
                assert_int_equal(ea_buf_putc(out, in[i]), 0);
            }
        }
        if (c == EA_CANON_RELAXED && out->len > start && out->data[out->len - 1] == ' ')
            out->len--;
        int empty = out->len == start;
        assert_int_equal(ea_buf_append(out, "\r\n", 2), 0);
        if (!empty)
            keep = out->len;
        pos = e < len ? e + 2 : len;
    }
    out->len = keep;
    if (c == EA_CANON_SIMPLE && keep == 0)
        assert_int_equal(ea_buf_append(out, "\r\n", 2), 0);
}

/* The streaming hash of in, cut at cuts, must be the reference's. */
static void check_against_reference(ea_canon c, uint64_t limit, const char *in, size_t len,
                                    const size_t *cuts, size_t ncuts)
{
    ea_buf ref;
    ea_buf_init(&ref);
    reference_body(c, in, len, &ref);
    size_t n = limit < ref.len ? (size_t)limit : ref.len;
    digest want, got;
    sha256(ref.data ? ref.data : "", n, &want);
    stream(c, limit, in, len, cuts, ncuts, &got);
    if (got.length != ref.len || got.hashed != n || got.len != want.len ||
        memcmp(got.md, want.md, want.len) != 0) {
        char q[512];
        size_t o = 0;
        for (size_t i = 0; i < len && o + 5 < sizeof q; i++)
            o += (size_t)snprintf(q + o, sizeof q - o,
                                  in[i] >= 0x20 && in[i] < 0x7f ? "%c" : "\\x%02x",
                                  (unsigned char)in[i]);
        fail_msg("%s body \"%s\" limit %llu, %zu cuts (first %zu): length %llu/%zu hashed %llu/%zu",
                 c == EA_CANON_SIMPLE ? "simple" : "relaxed", q, (unsigned long long)limit, ncuts,
                 ncuts ? cuts[0] : 0, (unsigned long long)got.length, ref.len,
                 (unsigned long long)got.hashed, n);
    }
    ea_buf_free(&ref);
}

/* ---- ea_canon_parse ------------------------------------------------------ */

static void test_parse(void **state)
{
    (void)state;
    assert_int_equal(ea_canon_parse("simple", 6), EA_CANON_SIMPLE);
    assert_int_equal(ea_canon_parse("Relaxed", 7), EA_CANON_RELAXED);
    assert_int_equal(ea_canon_parse("RELAXED", 7), EA_CANON_RELAXED);
    assert_int_equal(ea_canon_parse("simplex", 6), EA_CANON_SIMPLE);   /* only len bytes */
    assert_int_equal(ea_canon_parse("simpl", 5), -1);
    assert_int_equal(ea_canon_parse("relaxedx", 8), -1);
    assert_int_equal(ea_canon_parse("", 0), -1);
    assert_int_equal(ea_canon_parse("nofws", 5), -1);
}

/* ---- headers ------------------------------------------------------------- */

static const struct header_case {
    ea_canon canon;
    const char *field;
    size_t name_len;
    int crlf;
    const char *want;
} header_cases[] = {
    /* RFC 6376 §3.4.5 */
    { EA_CANON_RELAXED, "A: X", 1, 1, "a:X\r\n" },
    { EA_CANON_RELAXED, "B : Y\t\r\n\tZ  ", 1, 1, "b:Y Z\r\n" },
    { EA_CANON_SIMPLE, "A: X", 1, 1, "A: X\r\n" },
    { EA_CANON_SIMPLE, "B : Y\t\r\n\tZ  ", 1, 1, "B : Y\t\r\n\tZ  \r\n" },
    /* more */
    { EA_CANON_RELAXED, "SUBJect:  hello \t world \r\n  again \t", 7, 1,
      "subject:hello world again\r\n" },
    { EA_CANON_RELAXED, "X:", 1, 1, "x:\r\n" },
    { EA_CANON_RELAXED, "X:  \r\n ", 1, 0, "x:" },
    { EA_CANON_RELAXED, "X-Ab:a\r\n\r\n b", 4, 0, "x-ab:a b" },
    { EA_CANON_RELAXED, "X:a\rb", 1, 0, "x:a\rb" },       /* a lone CR is not folding */
    { EA_CANON_RELAXED, "DKIM-Signature: v=1; a=rsa-sha256;\r\n b=", 14, 0,
      "dkim-signature:v=1; a=rsa-sha256; b=" },
    { EA_CANON_RELAXED, "\xc3\x89T\xc3\xa9: \xc3\xa9T\xc3\x89", 5, 0,   /* ASCII only lowered */
      "\xc3\x89t\xc3\xa9:\xc3\xa9T\xc3\x89" },
    { EA_CANON_RELAXED, "Ab", 5, 0, "ab:" },             /* name_len past the end: clamped */
    { EA_CANON_SIMPLE, "X:  \r\n ", 1, 0, "X:  \r\n " },
    { EA_CANON_SIMPLE, "", 0, 1, "\r\n" },
};

static void test_header(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof header_cases / sizeof header_cases[0]; i++) {
        const struct header_case *c = &header_cases[i];
        ea_buf out;
        ea_buf_init(&out);
        assert_int_equal(ea_buf_puts(&out, "prefix|"), 0);   /* appends, keeps what is there */
        assert_int_equal(ea_canon_header(c->canon, c->field, strlen(c->field), c->name_len, c->crlf,
                                         &out), 0);
        size_t want_len = strlen(c->want);
        if (out.len != 7 + want_len || memcmp(out.data, "prefix|", 7) != 0 ||
            memcmp(out.data + 7, c->want, want_len) != 0)
            fail_msg("case %zu: got \"%s\"", i, ea_buf_cstr(&out));
        assert_int_equal(out.data[out.len], '\0');
        ea_buf_free(&out);
    }
}

/* ---- bodies -------------------------------------------------------------- */

static const struct body_case {
    const char *name;
    const char *in;
    const char *simple;
    const char *relaxed;
} body_cases[] = {
    /* RFC 6376 §3.4.5 */
    { "rfc6376 3.4.5", " C \r\nD \t E\r\n\r\n\r\n", " C \r\nD \t E\r\n", " C\r\nD E\r\n" },
    { "empty", "", "\r\n", "" },
    { "one crlf", "\r\n", "\r\n", "" },
    { "empty lines", "\r\n\r\n\r\n", "\r\n", "" },
    { "blank line", "  \r\n", "  \r\n", "" },
    { "blanks only", " \t ", " \t \r\n", "" },
    { "no final crlf", "abc", "abc\r\n", "abc\r\n" },
    { "trailing blanks no crlf", "abc \t", "abc \t\r\n", "abc\r\n" },
    { "leading empty lines", "\r\n\r\nabc\r\n", "\r\n\r\nabc\r\n", "\r\n\r\nabc\r\n" },
    { "inner empty lines", "a\r\n\r\n \r\nb\r\n\r\n", "a\r\n\r\n \r\nb\r\n", "a\r\n\r\n\r\nb\r\n" },
    { "bare cr", "a\rb\r", "a\rb\r\r\n", "a\rb\r\r\n" },
    { "cr cr lf", "a\r\r\n\r\n", "a\r\r\n", "a\r\r\n" },
    { "bare lf", "a\nb\n\n", "a\nb\n\n\r\n", "a\nb\n\n\r\n" },
    { "blank before cr", "a \rb  \r\n", "a \rb  \r\n", "a \rb\r\n" },
    { "leading blanks", "\t\tx  y\t\r\n", "\t\tx  y\t\r\n", " x y\r\n" },
};

static void test_bodies(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof body_cases / sizeof body_cases[0]; i++) {
        const struct body_case *c = &body_cases[i];
        size_t len = strlen(c->in);
        for (int canon = 0; canon < 2; canon++) {
            const char *want = canon == EA_CANON_SIMPLE ? c->simple : c->relaxed;
            digest w, got;
            sha256(want, strlen(want), &w);
            stream((ea_canon)canon, EA_BODY_NOLIMIT, c->in, len, NULL, 0, &got);
            if (memcmp(w.md, got.md, w.len) != 0 || got.length != strlen(want))
                fail_msg("%s, %s: length %llu", c->name, canon ? "relaxed" : "simple",
                         (unsigned long long)got.length);
            /* and the reference agrees with the table */
            ea_buf ref;
            ea_buf_init(&ref);
            reference_body((ea_canon)canon, c->in, len, &ref);
            assert_int_equal(ref.len, strlen(want));
            assert_memory_equal(ref.len ? ref.data : "", want, ref.len);
            ea_buf_free(&ref);
        }
    }
}

/* Each body of the table, cut at every position and every pair of positions. */
static void test_bodies_every_split(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof body_cases / sizeof body_cases[0]; i++) {
        const char *in = body_cases[i].in;
        size_t len = strlen(in);
        for (int canon = 0; canon < 2; canon++)
            for (size_t a = 0; a <= len; a++)
                for (size_t b = a; b <= len; b++) {
                    size_t cuts[2] = { a, b };
                    check_against_reference((ea_canon)canon, EA_BODY_NOLIMIT, in, len, cuts, 2);
                }
    }
}

/* RFC 8463 Appendix A: the body hashes of the example message. */
static const char rfc8463_body[] =
    "Hi.\r\n\r\nWe lost the game.  Are you hungry yet?\r\n\r\nJoe.\r\n";
static const char rfc8463_relaxed[] = "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=";
static const char rfc8463_simple[] = "4bLNXImK9drULnmePzZNEBleUanJCX5PIsDIFoH4KTQ=";

static void test_rfc8463_body_hash(void **state)
{
    (void)state;
    size_t len = sizeof rfc8463_body - 1;
    digest d;
    stream(EA_CANON_RELAXED, EA_BODY_NOLIMIT, rfc8463_body, len, NULL, 0, &d);
    assert_string_equal(b64(&d), rfc8463_relaxed);
    stream(EA_CANON_SIMPLE, EA_BODY_NOLIMIT, rfc8463_body, len, NULL, 0, &d);
    assert_string_equal(b64(&d), rfc8463_simple);
    /* one byte at a time */
    size_t cuts[sizeof rfc8463_body];
    for (size_t k = 0; k < len; k++)
        cuts[k] = k;
    stream(EA_CANON_RELAXED, EA_BODY_NOLIMIT, rfc8463_body, len, cuts, len, &d);
    assert_string_equal(b64(&d), rfc8463_relaxed);
    stream(EA_CANON_SIMPLE, EA_BODY_NOLIMIT, rfc8463_body, len, cuts, len, &d);
    assert_string_equal(b64(&d), rfc8463_simple);
}

/* ---- whole messages through emauth_msg ------------------------------------ */

typedef struct canon_all {
    ea_buf headers[2];       /* canonical header fields, simple and relaxed */
    ea_body_hash body[2];
} canon_all;

static emauth_status all_header(void *arg, const char *field, size_t len, size_t name_len)
{
    canon_all *a = arg;
    for (int c = 0; c < 2; c++)
        if (ea_canon_header((ea_canon)c, field, len, name_len, 1, &a->headers[c]) != 0)
            return EMAUTH_ERR_NOMEM;
    return EMAUTH_OK;
}

static emauth_status all_body(void *arg, const char *chunk, size_t len)
{
    canon_all *a = arg;
    for (int c = 0; c < 2; c++)
        ea_body_hash_update(&a->body[c], chunk, len);
    return EMAUTH_OK;
}

/* Runs msg through emauth_msg in pieces of step bytes; digests of both bodies into d. */
static void canon_message(const char *msg, size_t len, size_t step, canon_all *a, digest d[2])
{
    for (int c = 0; c < 2; c++) {
        ea_buf_init(&a->headers[c]);
        assert_int_equal(ea_body_hash_init(&a->body[c], (ea_canon)c, EVP_sha256(), EA_BODY_NOLIMIT),
                         EMAUTH_OK);
    }
    emauth_msg_callbacks cb = { all_header, NULL, all_body };
    emauth_msg *m = NULL;
    assert_int_equal(emauth_msg_new(&cb, a, NULL, &m), EMAUTH_OK);
    for (size_t at = 0; at < len; at += step)
        assert_int_equal(emauth_msg_push(m, msg + at, len - at < step ? len - at : step, NULL),
                         EMAUTH_OK);
    assert_int_equal(emauth_msg_finish(m, NULL), EMAUTH_OK);
    emauth_msg_free(m);
    for (int c = 0; c < 2; c++) {
        assert_int_equal(ea_body_hash_final(&a->body[c], d[c].md, &d[c].len), EMAUTH_OK);
        d[c].length = a->body[c].length;
        ea_body_hash_free(&a->body[c]);
    }
}

static void free_all(canon_all *a)
{
    ea_buf_free(&a->headers[0]);
    ea_buf_free(&a->headers[1]);
}

/* RFC 6376 §3.4.5, Examples 1 and 2, from the message to the canonical forms. */
static void test_rfc6376_example(void **state)
{
    (void)state;
    static const char msg[] = "A: X\r\nB : Y\t\r\n\tZ  \r\n\r\n C \r\nD \t E\r\n\r\n\r\n";
    static const char relaxed_header[] = "a:X\r\nb:Y Z\r\n";
    static const char relaxed_body[] = " C\r\nD E\r\n";
    static const char simple_header[] = "A: X\r\nB : Y\t\r\n\tZ  \r\n";
    static const char simple_body[] = " C \r\nD \t E\r\n";
    for (size_t step = 1; step <= sizeof msg; step++) {
        canon_all a;
        digest d[2], w;
        canon_message(msg, sizeof msg - 1, step, &a, d);
        assert_string_equal(ea_buf_cstr(&a.headers[EA_CANON_RELAXED]), relaxed_header);
        assert_string_equal(ea_buf_cstr(&a.headers[EA_CANON_SIMPLE]), simple_header);
        sha256(relaxed_body, sizeof relaxed_body - 1, &w);
        assert_memory_equal(d[EA_CANON_RELAXED].md, w.md, w.len);
        assert_int_equal(d[EA_CANON_RELAXED].length, sizeof relaxed_body - 1);
        sha256(simple_body, sizeof simple_body - 1, &w);
        assert_memory_equal(d[EA_CANON_SIMPLE].md, w.md, w.len);
        assert_int_equal(d[EA_CANON_SIMPLE].length, sizeof simple_body - 1);
        free_all(&a);
    }
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    ea_buf b;
    ea_buf_init(&b);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        assert_int_equal(ea_buf_append(&b, chunk, n), 0);
    fclose(f);
    *len = b.len;
    return b.data;
}

/* The RFC 8463 example message as stored (LF line ends) gives the RFC's body hashes. */
static void test_rfc8463_message(void **state)
{
    (void)state;
    const char *dir = getenv("EMAUTH_TESTSUITES");
    if (dir == NULL)
        dir = getenv("EMAUTH_TESTSUITES_DEFAULT");
    char path[1024];
    snprintf(path, sizeof path, "%s/dkim/rfc8463/appendix-a3-signed.eml",
             dir ? dir : "../../shared/testsuites");
    size_t len = 0;
    char *msg = slurp(path, &len);
    if (msg == NULL) {
        print_message("%s not found (set EMAUTH_TESTSUITES)\n", path);
        skip();
    }
    const size_t steps[] = { 1, 2, 3, 64, len ? len : 1 };
    for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
        canon_all a;
        digest d[2];
        canon_message(msg, len, steps[s], &a, d);
        assert_string_equal(b64(&d[EA_CANON_RELAXED]), rfc8463_relaxed);
        assert_string_equal(b64(&d[EA_CANON_SIMPLE]), rfc8463_simple);
        free_all(&a);
    }
    free(msg);
}

/* ---- l= -------------------------------------------------------------------- */

static void test_length_limit(void **state)
{
    (void)state;
    static const char body[] = "Hello  world\r\nSecond line \r\n\r\n\r\n";
    static const char relaxed[] = "Hello world\r\nSecond line\r\n";
    size_t len = sizeof body - 1, rlen = sizeof relaxed - 1;
    const uint64_t limits[] = { 0, 1, 5, 7, 12, 13, rlen - 1, rlen, rlen + 1, 1000,
                                EA_BODY_NOLIMIT };
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
        digest got, want;
        stream(EA_CANON_RELAXED, limits[i], body, len, NULL, 0, &got);
        size_t n = limits[i] < rlen ? (size_t)limits[i] : rlen;
        sha256(relaxed, n, &want);
        assert_memory_equal(got.md, want.md, want.len);
        assert_int_equal(got.hashed, n);
        assert_int_equal(got.length, rlen);
        /* what the verifier reports as content after l= */
        assert_int_equal(got.length > got.hashed, limits[i] < rlen);
        for (size_t a = 0; a <= len; a++)
            check_against_reference(EA_CANON_RELAXED, limits[i], body, len, &a, 1);
        for (size_t a = 0; a <= len; a++)
            check_against_reference(EA_CANON_SIMPLE, limits[i], body, len, &a, 1);
    }
    /* the empty simple body is one CRLF, and l=0 hashes nothing of it */
    digest got, want;
    stream(EA_CANON_SIMPLE, 0, "", 0, NULL, 0, &got);
    sha256("", 0, &want);
    assert_memory_equal(got.md, want.md, want.len);
    assert_int_equal(got.length, 2);
    assert_int_equal(got.hashed, 0);
}

/* ---- random bodies, random splits ------------------------------------------ */

static uint32_t rnd_state = 0x2545F491u;

static uint32_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 17;
    rnd_state ^= rnd_state << 5;
    return rnd_state;
}

static size_t random_body(char *out, size_t max)
{
    static const char *const pieces[] = { "a", "bc", " ", "\t", "  ", " \t ", "\r", "\n", "\r\n",
                                          "\r\n\r\n", "x y", "\r\r\n", " \r\n" };
    size_t n = 0, count = rnd() % 40;
    for (size_t k = 0; k < count; k++) {
        const char *p = pieces[rnd() % (sizeof pieces / sizeof pieces[0])];
        size_t l = strlen(p);
        if (n + l > max)
            break;
        memcpy(out + n, p, l);
        n += l;
    }
    return n;
}

static void test_random_splits(void **state)
{
    (void)state;
    char body[256];
    size_t cuts[16];
    for (int iter = 0; iter < 3000; iter++) {
        size_t len = random_body(body, sizeof body);
        size_t ncuts = len ? rnd() % 16 : 0;
        for (size_t k = 0; k < ncuts; k++)
            cuts[k] = rnd() % (len + 1);
        for (size_t k = 1; k < ncuts; k++)           /* sort: insertion */
            for (size_t j = k; j > 0 && cuts[j - 1] > cuts[j]; j--) {
                size_t t = cuts[j];
                cuts[j] = cuts[j - 1];
                cuts[j - 1] = t;
            }
        uint64_t limit = rnd() % 3 == 0 ? rnd() % (len + 3) : EA_BODY_NOLIMIT;
        for (int c = 0; c < 2; c++)
            check_against_reference((ea_canon)c, limit, body, len, cuts, ncuts);
    }
}

/* A large body: words, blank runs, empty lines; 64 KiB chunks, odd chunks, one piece. */
static void test_large_body(void **state)
{
    (void)state;
    ea_buf in;
    ea_buf_init(&in);
    for (int line = 0; in.len < 600000; line++) {
        for (int w = 0; w < 1 + line % 13; w++) {
            assert_int_equal(ea_buf_puts(&in, w % 5 == 4 ? "word\t " : "word "), 0);
            if (line % 7 == 3)
                assert_int_equal(ea_buf_puts(&in, "  "), 0);
        }
        if (line % 3 != 0)
            in.len--;        /* no blank at the end of most lines */
        assert_int_equal(ea_buf_puts(&in, line % 11 == 0 ? "\r\n\r\n" : "\r\n"), 0);
        if (line % 97 == 0)
            for (int k = 0; k < 40; k++)     /* more empty lines than held in one piece */
                assert_int_equal(ea_buf_puts(&in, "\r\n"), 0);
    }
    assert_int_equal(ea_buf_puts(&in, "last \t \r\n\r\n\r\n"), 0);
    const size_t steps[] = { 65536, 4093, 777, in.len };
    static size_t cuts[1024];
    for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
        size_t n = 0;
        for (size_t at = steps[s]; at < in.len; at += steps[s])
            cuts[n++] = at;
        for (int c = 0; c < 2; c++) {
            check_against_reference((ea_canon)c, EA_BODY_NOLIMIT, in.data, in.len, cuts, n);
            check_against_reference((ea_canon)c, 300001, in.data, in.len, cuts, n);
        }
    }
    ea_buf_free(&in);
}

/* Blank runs and line ends cut at the chunk boundary, spelled out. */
static void test_blank_runs_at_chunk_ends(void **state)
{
    (void)state;
    static const struct {
        const char *a, *b, *c;
        const char *relaxed;
    } cases[] = {
        { "a  ", "  b", "\r\n", "a b\r\n" },
        { "a \t", " b\r\n", "", "a b\r\n" },        /* a single SP after a held run */
        { "a \t", "\t\r", "\nb\r\n", "a\r\nb\r\n" },
        { "a ", " ", " \r\n", "a\r\n" },
        { "a\r", "\n", "\r\n", "a\r\n" },
        { "a\r", "\r\n", "\r", "a\r\r\n\r\r\n" },
        { "a\r\n", "\r", "\n \r\nb", "a\r\n\r\n\r\nb\r\n" },
        { " ", "", "x", " x\r\n" },
        { "x ", "\r", "y", "x \ry\r\n" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ea_body_hash h;
        assert_int_equal(ea_body_hash_init(&h, EA_CANON_RELAXED, EVP_sha256(), EA_BODY_NOLIMIT),
                         EMAUTH_OK);
        ea_body_hash_update(&h, cases[i].a, strlen(cases[i].a));
        ea_body_hash_update(&h, cases[i].b, strlen(cases[i].b));
        ea_body_hash_update(&h, cases[i].c, strlen(cases[i].c));
        digest got, want;
        assert_int_equal(ea_body_hash_final(&h, got.md, &got.len), EMAUTH_OK);
        sha256(cases[i].relaxed, strlen(cases[i].relaxed), &want);
        if (memcmp(got.md, want.md, want.len) != 0 || h.length != strlen(cases[i].relaxed))
            fail_msg("case %zu: length %llu", i, (unsigned long long)h.length);
        ea_body_hash_free(&h);
    }
}

/* SHA-1 (rsa-sha1), and the arguments init refuses. */
static void test_init(void **state)
{
    (void)state;
    ea_body_hash h;
    assert_int_equal(ea_body_hash_init(&h, EA_CANON_SIMPLE, EVP_sha1(), EA_BODY_NOLIMIT),
                     EMAUTH_OK);
    ea_body_hash_update(&h, "abc\r\n\r\n", 7);
    digest got, want;
    assert_int_equal(ea_body_hash_final(&h, got.md, &got.len), EMAUTH_OK);
    assert_int_equal(got.len, 20);
    assert_int_equal(EVP_Digest("abc\r\n", 5, want.md, &want.len, EVP_sha1(), NULL), 1);
    assert_memory_equal(got.md, want.md, 20);
    ea_body_hash_free(&h);
    ea_body_hash_free(&h);       /* twice is harmless */

    assert_int_equal(ea_body_hash_init(&h, (ea_canon)2, EVP_sha256(), 0), EMAUTH_ERR_INVALID);
    ea_body_hash_free(&h);
    assert_int_equal(ea_body_hash_init(&h, EA_CANON_RELAXED, NULL, 0), EMAUTH_ERR_INVALID);
    assert_int_equal(ea_body_hash_final(&h, got.md, &got.len), EMAUTH_ERR_INVALID);
    ea_body_hash_free(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_header),
        cmocka_unit_test(test_bodies),
        cmocka_unit_test(test_bodies_every_split),
        cmocka_unit_test(test_rfc8463_body_hash),
        cmocka_unit_test(test_rfc6376_example),
        cmocka_unit_test(test_rfc8463_message),
        cmocka_unit_test(test_length_limit),
        cmocka_unit_test(test_random_splits),
        cmocka_unit_test(test_large_body),
        cmocka_unit_test(test_blank_runs_at_chunk_ends),
        cmocka_unit_test(test_init),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
