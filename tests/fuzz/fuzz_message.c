/*
 * The push message splitter (emauth/message.h): emauth_msg_push() with the
 * input cut into pieces whose sizes the input chooses, then
 * emauth_msg_finish().
 *
 * Input: a flags byte (bits 0-1 piece sizes: 1..4, 1..64, 1..4096 bytes
 * or all at once; bit 2 tight limits; bit 3 a header callback that stops
 * the parser after some fields), a seed byte for the piece sizes, the
 * message.
 *
 * Invariants, differential: the events of the piece-wise run (fields with
 * their name lengths, the end of header, the body bytes joined, the final
 * status) equal those of a run pushing the whole message at once. And
 * each event keeps the documented shape: name_len <= len; CRLF only
 * (no bare LF) in fields and body; no body chunk ends between CR and LF;
 * no field after the end of the header.
 */
#include <stdlib.h>
#include <string.h>

#include <emauth/message.h>
#include "fuzz_util.h"
#include "util/buf.h"

typedef struct rec {
    ea_buf log;           /* fields and the end of header, serialised */
    ea_buf body;
    size_t fields;
    size_t stop_after;    /* the header callback fails after this many fields; 0 never */
    int eoh;
} rec;

static void no_bare_lf(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
            abort();
}

static emauth_status on_header(void *arg, const char *field, size_t len, size_t name_len)
{
    rec *r = arg;
    if (r->eoh || name_len > len)
        abort();
    no_bare_lf(field, len);
    r->fields++;
    if (ea_buf_printf(&r->log, "H%zu/%zu:", len, name_len) != 0 ||
        ea_buf_append(&r->log, field, len) != 0)
        abort();
    if (r->stop_after && r->fields >= r->stop_after)
        return EMAUTH_ERR_INVALID;
    return EMAUTH_OK;
}

static emauth_status on_eoh(void *arg)
{
    rec *r = arg;
    if (r->eoh)
        abort();
    r->eoh = 1;
    if (ea_buf_puts(&r->log, "E") != 0)
        abort();
    return EMAUTH_OK;
}

static emauth_status on_body(void *arg, const char *chunk, size_t len)
{
    rec *r = arg;
    if (!r->eoh)
        abort();
    if (len > 0) {
        no_bare_lf(chunk, len);   /* a chunk starting with LF: split CRLF or bare LF */
        if (ea_buf_append(&r->body, chunk, len) != 0)
            abort();
    }
    return EMAUTH_OK;
}

static const emauth_msg_callbacks cbs = {on_header, on_eoh, on_body};

/* Runs the parser over msg in pieces of up to max bytes (0: all at once). */
static emauth_status run(rec *r, const emauth_msg_limits *lim, const char *msg, size_t len,
                         size_t max, uint32_t seed)
{
    emauth_msg *m;
    emauth_error err;
    if (emauth_msg_new(&cbs, r, lim, &m) != EMAUTH_OK)
        abort();
    emauth_status st = EMAUTH_OK;
    for (size_t off = 0; off < len && st == EMAUTH_OK;) {
        size_t n = len - off;
        if (max) {
            seed = seed * 1103515245u + 12345u;
            size_t want = 1 + (seed >> 16) % max;
            n = want < n ? want : n;
        }
        st = emauth_msg_push(m, msg + off, n, &err);
        off += n;
    }
    /* After an error, finish() returns the same status. */
    emauth_status fin = emauth_msg_finish(m, &err);
    if (st != EMAUTH_OK && fin != st)
        abort();
    if (fin != EMAUTH_OK)
        fz_touch(err.message);
    emauth_msg_free(m);
    return fin;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t maxes[] = {4, 64, 4096, 0};
    fz_in in = {data, size};
    uint8_t flags = fz_u8(&in);
    uint8_t seed = fz_u8(&in);
    char *msg = fz_dup_exact(in.p, in.len);

    emauth_msg_limits lim;
    emauth_msg_limits_default(&lim);
    if (flags & 4) {
        lim.field_bytes = 64 + (seed & 63);
        lim.fields = 1 + (seed & 7);
        lim.header_bytes = 256 + seed;
    }
    rec a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    ea_buf_init(&a.log);
    ea_buf_init(&a.body);
    ea_buf_init(&b.log);
    ea_buf_init(&b.body);
    a.stop_after = b.stop_after = flags & 8 ? 1 + (seed >> 4) : 0;

    emauth_status sa = run(&a, &lim, msg, in.len, maxes[flags & 3], seed);
    emauth_status sb = run(&b, &lim, msg, in.len, 0, 0);
    if (sa != sb || a.eoh != b.eoh || a.log.len != b.log.len || a.body.len != b.body.len ||
        (a.log.len && memcmp(a.log.data, b.log.data, a.log.len) != 0) ||
        (a.body.len && memcmp(a.body.data, b.body.data, a.body.len) != 0))
        abort();

    ea_buf_free(&a.log);
    ea_buf_free(&a.body);
    ea_buf_free(&b.log);
    ea_buf_free(&b.body);
    free(msg);
    return 0;
}
