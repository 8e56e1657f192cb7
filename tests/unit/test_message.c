/*
 * Unit tests for the RFC 5322 push parser: every message is pushed whole,
 * byte by byte, split at every position and at every pair of positions;
 * the fields, the end of the header and the body must come out the same.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <emauth/message.h>
#include "util/buf.h"

/* What the callbacks saw: "H<name_len>[field]\n" per field, "E\n", and the body. */
typedef struct recorder {
    ea_buf log;
    ea_buf body;
    int ends;            /* end_of_header calls */
    int last_cr;         /* the last body chunk ended in CR */
    int split_crlf;      /* a body chunk began with the LF of a CR ending the one before */
    emauth_status stop_header_at;   /* non-OK: the header callback returns it at field 2 */
    int fields;
} recorder;

static emauth_status on_header(void *arg, const char *field, size_t len, size_t name_len)
{
    recorder *r = arg;
    assert_true(name_len > 0 && name_len <= len);
    assert_int_equal(r->ends, 0);
    assert_int_equal(ea_buf_printf(&r->log, "H%zu[", name_len), 0);
    assert_int_equal(ea_buf_append(&r->log, field, len), 0);
    assert_int_equal(ea_buf_puts(&r->log, "]\n"), 0);
    if (++r->fields == 2 && r->stop_header_at != EMAUTH_OK)
        return r->stop_header_at;
    return EMAUTH_OK;
}

static emauth_status on_eoh(void *arg)
{
    recorder *r = arg;
    r->ends++;
    assert_int_equal(r->body.len, 0);
    return ea_buf_puts(&r->log, "E\n") == 0 ? EMAUTH_OK : EMAUTH_ERR_NOMEM;
}

static emauth_status on_body(void *arg, const char *chunk, size_t len)
{
    recorder *r = arg;
    assert_true(len > 0);
    assert_int_equal(r->ends, 1);
    if (r->last_cr && chunk[0] == '\n')
        r->split_crlf = 1;
    r->last_cr = chunk[len - 1] == '\r';
    return ea_buf_append(&r->body, chunk, len) == 0 ? EMAUTH_OK : EMAUTH_ERR_NOMEM;
}

static const emauth_msg_callbacks callbacks = { on_header, on_eoh, on_body };

static void rec_init(recorder *r)
{
    memset(r, 0, sizeof *r);
    ea_buf_init(&r->log);
    ea_buf_init(&r->body);
}

static void rec_free(recorder *r)
{
    ea_buf_free(&r->log);
    ea_buf_free(&r->body);
}

/*
 * Pushes in[0..len) in pieces cut at cuts[0..ncuts) (ascending), then
 * finishes; returns the first non-OK status with its error in *err.
 */
static emauth_status run(recorder *r, const emauth_msg_limits *lim, const char *in, size_t len,
                         const size_t *cuts, size_t ncuts, emauth_error *err)
{
    emauth_msg *m = NULL;
    assert_int_equal(emauth_msg_new(&callbacks, r, lim, &m), EMAUTH_OK);
    emauth_status st = EMAUTH_OK;
    size_t at = 0;
    for (size_t k = 0; k <= ncuts && st == EMAUTH_OK; k++) {
        size_t to = k < ncuts ? cuts[k] : len;
        st = emauth_msg_push(m, in + at, to - at, err);
        at = to;
    }
    if (st == EMAUTH_OK)
        st = emauth_msg_finish(m, err);
    emauth_msg_free(m);
    return st;
}

static const struct msg_case {
    const char *name;
    const char *in;
    const char *log;
    const char *body;
} msg_cases[] = {
    { "crlf", "From: a@example.com\r\nTo: b\r\n\r\nHello\r\nworld\r\n",
      "H4[From: a@example.com]\nH2[To: b]\nE\n", "Hello\r\nworld\r\n" },
    { "lf", "From: a@example.com\nTo: b\n\nHello\nworld\n",
      "H4[From: a@example.com]\nH2[To: b]\nE\n", "Hello\r\nworld\r\n" },
    { "folding", "Subject: a\r\n b\r\n\tc \r\nX-Y:z\r\n\r\nB",
      "H7[Subject: a\r\n b\r\n\tc ]\nH3[X-Y:z]\nE\n", "B" },
    { "folding lf", "Subject: a\n b\n\tc \nX-Y:z\n\nB",
      "H7[Subject: a\r\n b\r\n\tc ]\nH3[X-Y:z]\nE\n", "B" },
    { "empty body", "A: 1\r\n\r\n", "H1[A: 1]\nE\n", "" },
    { "no body", "A: 1\r\nB: 2\r\n", "H1[A: 1]\nH1[B: 2]\nE\n", "" },
    { "no final line end", "A: 1\r\nB:\r\n 2", "H1[A: 1]\nH1[B:\r\n 2]\nE\n", "" },
    { "final lone cr", "A: 1\r", "H1[A: 1]\nE\n", "" },
    { "empty message", "", "E\n", "" },
    { "header empty", "\r\n\r\nbody", "E\n", "\r\nbody" },
    { "mixed body", "A: 1\n\nx\ny\r\nz\n\n", "H1[A: 1]\nE\n", "x\r\ny\r\nz\r\n\r\n" },
    { "bare cr in body", "A: 1\r\n\r\na\rb\r\r\nc\r", "H1[A: 1]\nE\n", "a\rb\r\r\nc\r" },
    { "bare cr in header", "A: x\ry\r\n\r\n", "H1[A: x\ry]\nE\n", "" },
    { "blank line only blanks", "A: 1\r\n \r\n\r\nb", "H1[A: 1\r\n ]\nE\n", "b" },
    { "mbox from", "From joe@example.com Thu Jan  1 00:00:00 2026\nA: 1\n\nb\n", "H1[A: 1]\nE\n",
      "b\r\n" },
    { "obsolete blanks before colon", "B : Y\t\r\n\tZ  \r\nC\t:x\r\n\r\n",
      "H1[B : Y\t\r\n\tZ  ]\nH1[C\t:x]\nE\n", "" },
    { "colon in value", "Date: Fri, 11 Jul 2003 21:00:37\r\n\r\n",
      "H4[Date: Fri, 11 Jul 2003 21:00:37]\nE\n", "" },
    { "empty value", "X:\r\n\r\n.", "H1[X:]\nE\n", "." },
};

static void check_case(const struct msg_case *c, const size_t *cuts, size_t ncuts)
{
    recorder r;
    rec_init(&r);
    emauth_error err;
    emauth_error_clear(&err);
    size_t len = strlen(c->in);
    emauth_status st = run(&r, NULL, c->in, len, cuts, ncuts, &err);
    if (st != EMAUTH_OK)
        fail_msg("%s: %s", c->name, err.message);
    if (strcmp(ea_buf_cstr(&r.log), c->log) != 0 || strcmp(ea_buf_cstr(&r.body), c->body) != 0)
        fail_msg("%s (cuts %zu: %zu %zu): log \"%s\" body \"%s\"", c->name, ncuts,
                 ncuts > 0 ? cuts[0] : 0, ncuts > 1 ? cuts[1] : 0, ea_buf_cstr(&r.log),
                 ea_buf_cstr(&r.body));
    assert_int_equal(r.ends, 1);
    assert_int_equal(r.split_crlf, 0);
    rec_free(&r);
}

static void test_whole(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof msg_cases / sizeof msg_cases[0]; i++)
        check_case(&msg_cases[i], NULL, 0);
}

static void test_every_split(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof msg_cases / sizeof msg_cases[0]; i++) {
        size_t len = strlen(msg_cases[i].in);
        for (size_t a = 0; a <= len; a++) {
            check_case(&msg_cases[i], &a, 1);
            for (size_t b = a; b <= len; b++) {
                size_t cuts[2] = { a, b };
                check_case(&msg_cases[i], cuts, 2);
            }
        }
    }
}

static void test_byte_by_byte(void **state)
{
    (void)state;
    size_t cuts[128];
    for (size_t i = 0; i < sizeof msg_cases / sizeof msg_cases[0]; i++) {
        size_t len = strlen(msg_cases[i].in);
        assert_true(len <= 128);
        for (size_t k = 0; k < len; k++)
            cuts[k] = k;
        check_case(&msg_cases[i], cuts, len);
    }
}

/* A long body: passed through in large pieces, bare LFs turned into CRLF. */
static void test_long_body(void **state)
{
    (void)state;
    ea_buf in, want;
    ea_buf_init(&in);
    ea_buf_init(&want);
    assert_int_equal(ea_buf_puts(&in, "A: 1\n\n"), 0);
    for (int k = 0; k < 5000; k++) {
        const char *end = k % 3 == 0 ? "\n" : "\r\n";
        assert_int_equal(ea_buf_printf(&in, "line %d of the body%s", k, end), 0);
        assert_int_equal(ea_buf_printf(&want, "line %d of the body\r\n", k), 0);
    }
    const size_t sizes[] = { 3, 7, 4096, 8191, 65536, in.len };
    static size_t cuts[1 << 16];
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        size_t n = 0;
        for (size_t at = sizes[s]; at < in.len; at += sizes[s]) {
            assert_true(n < sizeof cuts / sizeof cuts[0]);
            cuts[n++] = at;
        }
        recorder r;
        rec_init(&r);
        assert_int_equal(run(&r, NULL, in.data, in.len, cuts, n, NULL), EMAUTH_OK);
        assert_int_equal(r.body.len, want.len);
        assert_memory_equal(r.body.data, want.data, want.len);
        assert_int_equal(r.split_crlf, 0);
        rec_free(&r);
    }
    ea_buf_free(&in);
    ea_buf_free(&want);
}

static const struct error_case {
    const char *in;
    size_t field_bytes, fields, header_bytes;   /* 0: the default */
    emauth_status status;
    unsigned line;
    const char *message;
    const char *log;     /* the fields handed out before the error */
} error_cases[] = {
    { " A: 1\r\n\r\n", 0, 0, 0, EMAUTH_ERR_SYNTAX, 1,
      "line 1: continuation line with no header field before it", "" },
    { "From x\r\n\tcontinued\r\n\r\n", 0, 0, 0, EMAUTH_ERR_SYNTAX, 2,
      "line 2: continuation line with no header field before it", "" },
    { "A: 1\r\nfoo\r\n\r\n", 0, 0, 0, EMAUTH_ERR_SYNTAX, 2,
      "line 2: header line without a colon: \"foo\"", "H1[A: 1]\n" },
    { "A: 1\nfoo", 0, 0, 0, EMAUTH_ERR_SYNTAX, 2, "line 2: header line without a colon: \"foo\"",
      "H1[A: 1]\n" },
    { "A: 1\r\nFrom x\r\n", 0, 0, 0, EMAUTH_ERR_SYNTAX, 2,
      "line 2: header line without a colon: \"From x\"", "H1[A: 1]\n" },
    { "A: 1\r\nB C: x\r\n", 0, 0, 0, EMAUTH_ERR_SYNTAX, 2,
      "line 2: header field name with a byte outside 33-126: \"B C: x\"", "H1[A: 1]\n" },
    { "A\x80: x\r\n", 0, 0, 0, EMAUTH_ERR_SYNTAX, 1,
      "line 1: header field name with a byte outside 33-126: \"A\\x80: x\"", "" },
    { "A: 1\r\n\rB: 2\r\n\r\n", 0, 0, 0, EMAUTH_ERR_SYNTAX, 2,
      "line 2: header field name with a byte outside 33-126: \"\\x0dB: 2\"", "H1[A: 1]\n" },
    { "A: 1\r\n: x\r\n", 0, 0, 0, EMAUTH_ERR_SYNTAX, 2,
      "line 2: header field with an empty name: \": x\"", "H1[A: 1]\n" },
    { "A: 1\r\n \t: x\r\n", 0, 0, 0, EMAUTH_OK, 0, "", "" },   /* a continuation: fine */
    { "A: 1234567\r\nB: 12345678\r\n", 10, 0, 0, EMAUTH_ERR_LIMIT, 2,
      "line 2: header field longer than 10 bytes", "H1[A: 1234567]\n" },
    { "A: 12\r\n 345", 10, 0, 0, EMAUTH_ERR_LIMIT, 2, "line 2: header field longer than 10 bytes",
      "" },
    { "A: 1\r\nB: 2\r\nC: 3\r\n", 0, 2, 0, EMAUTH_ERR_LIMIT, 3, "line 3: more than 2 header fields",
      "H1[A: 1]\nH1[B: 2]\n" },
    { "A: 1234\r\nB: 1234\r\nC: 1234\r\n\r\n", 0, 0, 20, EMAUTH_ERR_LIMIT, 3,
      "line 3: header longer than 20 bytes", "H1[A: 1234]\nH1[B: 1234]\n" },
    { "A: 1234\r\nB: 1234\r\n\r\n", 0, 0, 18, EMAUTH_OK, 0, "", "" },   /* exactly at the limit */
};

static void check_error(const struct error_case *c, size_t cut)
{
    emauth_msg_limits lim;
    emauth_msg_limits_default(&lim);
    if (c->field_bytes)
        lim.field_bytes = c->field_bytes;
    if (c->fields)
        lim.fields = c->fields;
    if (c->header_bytes)
        lim.header_bytes = c->header_bytes;
    recorder r;
    rec_init(&r);
    emauth_error err;
    emauth_error_clear(&err);
    size_t len = strlen(c->in);
    emauth_status st = run(&r, &lim, c->in, len, &cut, cut < len ? 1 : 0, &err);
    if (st != c->status)
        fail_msg("\"%s\" cut at %zu: status %d (%s), expected %d", c->in, cut, st, err.message,
                 c->status);
    if (c->status != EMAUTH_OK) {
        assert_int_equal(err.status, c->status);
        assert_int_equal(err.line, c->line);
        assert_string_equal(err.message, c->message);
        assert_string_equal(ea_buf_cstr(&r.log), c->log);
        assert_int_equal(r.ends, 0);
    }
    rec_free(&r);
}

static void test_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof error_cases / sizeof error_cases[0]; i++) {
        size_t len = strlen(error_cases[i].in);
        for (size_t cut = 0; cut <= len; cut++)
            check_error(&error_cases[i], cut);
    }
}

/* After an error the parser stays stopped; a finished one takes nothing more. */
static void test_sticky(void **state)
{
    (void)state;
    recorder r;
    rec_init(&r);
    emauth_msg *m = NULL;
    emauth_error err;
    assert_int_equal(emauth_msg_new(&callbacks, &r, NULL, &m), EMAUTH_OK);
    assert_int_equal(emauth_msg_push(m, "bad\r\n", 5, &err), EMAUTH_ERR_SYNTAX);
    assert_int_equal(emauth_msg_push(m, "A: 1\r\n", 6, &err), EMAUTH_ERR_SYNTAX);
    assert_string_equal(err.message, "the parser stopped at an earlier error: syntax error");
    assert_int_equal(emauth_msg_finish(m, &err), EMAUTH_ERR_SYNTAX);
    emauth_msg_free(m);

    assert_int_equal(emauth_msg_new(&callbacks, &r, NULL, &m), EMAUTH_OK);
    assert_int_equal(emauth_msg_push(m, "A: 1\r\n\r\nx", 9, NULL), EMAUTH_OK);
    assert_int_equal(emauth_msg_finish(m, NULL), EMAUTH_OK);
    assert_int_equal(emauth_msg_push(m, "y", 1, &err), EMAUTH_ERR_INVALID);
    assert_string_equal(err.message, "the message was already finished");
    assert_int_equal(emauth_msg_finish(m, &err), EMAUTH_ERR_INVALID);
    emauth_msg_free(m);
    rec_free(&r);
    emauth_msg_free(NULL);
}

/* A callback's status stops the parser and comes back from push. */
static void test_callback_stops(void **state)
{
    (void)state;
    recorder r;
    rec_init(&r);
    r.stop_header_at = EMAUTH_ERR_LIMIT;
    emauth_msg *m = NULL;
    emauth_error err;
    assert_int_equal(emauth_msg_new(&callbacks, &r, NULL, &m), EMAUTH_OK);
    assert_int_equal(emauth_msg_push(m, "A: 1\r\nB: 2\r\nC: 3\r\n", 18, &err), EMAUTH_ERR_LIMIT);
    assert_int_equal(err.line, 3);
    assert_string_equal(err.message, "the header callback stopped the parser: limit exceeded");
    assert_string_equal(ea_buf_cstr(&r.log), "H1[A: 1]\nH1[B: 2]\n");
    assert_int_equal(emauth_msg_finish(m, NULL), EMAUTH_ERR_LIMIT);
    emauth_msg_free(m);
    rec_free(&r);
}

/* Callbacks may be NULL: a caller that wants only the header. */
static void test_null_callbacks(void **state)
{
    (void)state;
    emauth_msg_callbacks none = { NULL, NULL, NULL };
    emauth_msg *m = NULL;
    assert_int_equal(emauth_msg_new(&none, NULL, NULL, &m), EMAUTH_OK);
    assert_int_equal(emauth_msg_push(m, "A: 1\r\n\r\nbody\nmore\r", 19, NULL), EMAUTH_OK);
    assert_int_equal(emauth_msg_finish(m, NULL), EMAUTH_OK);
    emauth_msg_free(m);
    assert_int_equal(emauth_msg_new(NULL, NULL, NULL, &m), EMAUTH_ERR_INVALID);
    assert_null(m);
}

/* Memory stays bounded: a header line that never ends is cut at the field limit. */
static void test_endless_line(void **state)
{
    (void)state;
    recorder r;
    rec_init(&r);
    emauth_msg *m = NULL;
    emauth_error err;
    assert_int_equal(emauth_msg_new(&callbacks, &r, NULL, &m), EMAUTH_OK);
    char chunk[4096];
    memset(chunk, 'x', sizeof chunk);
    chunk[0] = 'X';
    chunk[1] = ':';
    emauth_status st = EMAUTH_OK;
    size_t pushed = 0;
    while (st == EMAUTH_OK && pushed < (1u << 20)) {
        st = emauth_msg_push(m, chunk, sizeof chunk, &err);
        pushed += sizeof chunk;
    }
    assert_int_equal(st, EMAUTH_ERR_LIMIT);
    assert_true(pushed <= 65536 + sizeof chunk);
    assert_string_equal(err.message, "line 1: header field longer than 65536 bytes");
    emauth_msg_free(m);
    rec_free(&r);
}

static uint32_t rnd_state = 0x9E3779B9u;

static uint32_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 17;
    rnd_state ^= rnd_state << 5;
    return rnd_state;
}

/* Random messages, well formed or not: any split gives what one push gives. */
static void test_random_splits(void **state)
{
    (void)state;
    static const char *const pieces[] = { "A: 1", "Bb:", "\r\n", "\n", "\r", " ", "\t", "From ",
                                          ":", "x", "\r\n\r\n", "\n\n", "\x80", "C :y" };
    emauth_msg_limits lim;
    emauth_msg_limits_default(&lim);
    lim.field_bytes = 24;
    lim.fields = 6;
    lim.header_bytes = 90;
    char in[160];
    for (int iter = 0; iter < 4000; iter++) {
        size_t len = 0, count = rnd() % 30;
        for (size_t k = 0; k < count; k++) {
            const char *p = pieces[rnd() % (sizeof pieces / sizeof pieces[0])];
            size_t l = strlen(p);
            if (len + l > sizeof in)
                break;
            memcpy(in + len, p, l);
            len += l;
        }
        recorder whole, split;
        emauth_error e1, e2;
        emauth_error_clear(&e1);
        emauth_error_clear(&e2);
        rec_init(&whole);
        rec_init(&split);
        emauth_status s1 = run(&whole, &lim, in, len, NULL, 0, &e1);
        size_t cuts[8], ncuts = len ? rnd() % 8 : 0;
        for (size_t k = 0; k < ncuts; k++)
            cuts[k] = rnd() % (len + 1);
        for (size_t k = 1; k < ncuts; k++)
            for (size_t j = k; j > 0 && cuts[j - 1] > cuts[j]; j--) {
                size_t t = cuts[j];
                cuts[j] = cuts[j - 1];
                cuts[j - 1] = t;
            }
        emauth_status s2 = run(&split, &lim, in, len, cuts, ncuts, &e2);
        assert_int_equal(s1, s2);
        assert_string_equal(e1.message, e2.message);
        assert_int_equal(e1.line, e2.line);
        assert_string_equal(ea_buf_cstr(&whole.log), ea_buf_cstr(&split.log));
        assert_int_equal(whole.body.len, split.body.len);
        assert_memory_equal(ea_buf_cstr(&whole.body), ea_buf_cstr(&split.body), whole.body.len);
        assert_int_equal(split.split_crlf, 0);
        for (size_t k = 0; k < whole.body.len; k++)     /* no bare LF comes out */
            if (whole.body.data[k] == '\n')
                assert_true(k > 0 && whole.body.data[k - 1] == '\r');
        rec_free(&whole);
        rec_free(&split);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole),
        cmocka_unit_test(test_every_split),
        cmocka_unit_test(test_byte_by_byte),
        cmocka_unit_test(test_long_body),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_sticky),
        cmocka_unit_test(test_callback_stops),
        cmocka_unit_test(test_null_callbacks),
        cmocka_unit_test(test_endless_line),
        cmocka_unit_test(test_random_splits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
