/*
 * RFC 5322 message push parser; see emauth/message.h.
 *
 *   message   = [mbox-from] *field [empty-line body]
 *   mbox-from = "From " *(any byte but LF) line-end   ; line 1 only, skipped
 *   field     = name *WSP ":" text line-end *(WSP text line-end)
 *   name      = 1*(%d33-57 / %d59-126)
 *   line-end  = CRLF / LF                  ; a bare LF is taken as CRLF
 *
 * The header is read line by line into one buffer holding the field being
 * read (its folding kept, line ends written as CRLF). A field is handed
 * out when the first byte of the next line shows it is not continued. A
 * message without an empty line is all header.
 *
 * A leading "From " line is the separator of an mbox file, not a field:
 * it is skipped so that messages saved by MUAs and procmail can be fed as
 * they are. Blanks between the name and the colon (RFC 5322 §4.5.3,
 * obsolete syntax a receiver must accept) are allowed and are not part of
 * the name.
 *
 * The body is passed through without copying when it has no bare LF;
 * lines ending in a bare LF are copied into a small staging buffer with
 * CRLF. A CR at the end of a pushed chunk is held until the next byte, so
 * that a body callback never sees a chunk ending between CR and LF.
 */
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <emauth/message.h>
#include "util/buf.h"
#include "util/error.h"

typedef enum msg_phase { PH_HEADER, PH_BODY, PH_DONE, PH_FAILED } msg_phase;

#define STAGE_SIZE 8192

struct emauth_msg {
    emauth_msg_callbacks cb;
    void *arg;
    emauth_msg_limits lim;
    msg_phase phase;
    emauth_status failed;      /* the status returned again after a failure */
    ea_buf field;              /* the field being read, line ends as CRLF */
    size_t name_len;
    int field_open;            /* field holds a field (maybe its first line only) */
    int first_line_done;       /* the open field's first line was complete and checked */
    int at_line_start;
    int cr;                    /* a CR held back: the next byte says if it ends a line */
    unsigned line;             /* 1-based number of the header line being read */
    size_t nfields;
    size_t header_bytes;       /* header so far, line ends counted as CRLF */
    size_t nstage;
    char stage[STAGE_SIZE];    /* body lines whose bare LF became CRLF */
};

void emauth_msg_limits_default(emauth_msg_limits *l)
{
    l->field_bytes = 65536;
    l->fields = 1000;
    l->header_bytes = 1024 * 1024;
}

emauth_status emauth_msg_new(const emauth_msg_callbacks *cb, void *arg,
                             const emauth_msg_limits *limits, emauth_msg **out)
{
    *out = NULL;
    if (cb == NULL)
        return EMAUTH_ERR_INVALID;
    emauth_msg *m = calloc(1, sizeof *m);
    if (m == NULL)
        return EMAUTH_ERR_NOMEM;
    m->cb = *cb;
    m->arg = arg;
    if (limits != NULL)
        m->lim = *limits;
    else
        emauth_msg_limits_default(&m->lim);
    m->phase = PH_HEADER;
    ea_buf_init(&m->field);
    m->at_line_start = 1;
    m->line = 1;
    *out = m;
    return EMAUTH_OK;
}

void emauth_msg_free(emauth_msg *m)
{
    if (m == NULL)
        return;
    ea_buf_free(&m->field);
    free(m);
}

/* Records a failure: later calls return the same status. */
static emauth_status fail(emauth_msg *m, emauth_status st)
{
    m->phase = PH_FAILED;
    m->failed = st;
    return st;
}

static emauth_status callback_failed(emauth_msg *m, emauth_status st, const char *which,
                                     emauth_error *err)
{
    ea_error(err, st, m->phase == PH_HEADER ? m->line : 0, 0,
             "the %s callback stopped the parser: %s", which, emauth_status_str(st));
    return fail(m, st);
}

/* ---- header ---------------------------------------------------------- */

static emauth_status emit_field(emauth_msg *m, emauth_error *err)
{
    m->field_open = 0;
    if (m->cb.header == NULL)
        return EMAUTH_OK;
    emauth_status st = m->cb.header(m->arg, m->field.data, m->field.len, m->name_len);
    return st == EMAUTH_OK ? st : callback_failed(m, st, "header", err);
}

static emauth_status end_header(emauth_msg *m, msg_phase next, emauth_error *err)
{
    if (m->field_open) {
        emauth_status st = emit_field(m, err);
        if (st != EMAUTH_OK)
            return st;
    }
    m->phase = next;
    if (m->cb.end_of_header == NULL)
        return EMAUTH_OK;
    emauth_status st = m->cb.end_of_header(m->arg);
    return st == EMAUTH_OK ? st : callback_failed(m, st, "end-of-header", err);
}

/* Counts n more header bytes against the header limit. */
static emauth_status count_header(emauth_msg *m, size_t n, emauth_error *err)
{
    if (n > m->lim.header_bytes - m->header_bytes)    /* header_bytes <= limit: no wrap */
        return fail(m, ea_error(err, EMAUTH_ERR_LIMIT, m->line, 0,
                                "line %u: header longer than %zu bytes", m->line,
                                m->lim.header_bytes));
    m->header_bytes += n;
    return EMAUTH_OK;
}

static emauth_status field_append(emauth_msg *m, const char *s, size_t n, emauth_error *err)
{
    emauth_status st = count_header(m, n, err);
    if (st != EMAUTH_OK)
        return st;
    if (n > m->lim.field_bytes - m->field.len)        /* field.len <= limit: no wrap */
        return fail(m, ea_error(err, EMAUTH_ERR_LIMIT, m->line, 0,
                                "line %u: header field longer than %zu bytes", m->line,
                                m->lim.field_bytes));
    if (ea_buf_append(&m->field, s, n) != 0)
        return fail(m, ea_error(err, EMAUTH_ERR_NOMEM, m->line, 0, "out of memory"));
    return EMAUTH_OK;
}

static emauth_status syntax(emauth_msg *m, emauth_error *err, const char *what)
{
    char q[80];
    return fail(m, ea_error(err, EMAUTH_ERR_SYNTAX, m->line, 0, "line %u: %s: \"%s\"", m->line,
                            what, ea_quote(q, sizeof q, m->field.data, m->field.len, 48)));
}

/* The first byte of a line decides: a continuation, or a new field. */
static emauth_status begin_line(emauth_msg *m, char first, emauth_error *err)
{
    m->at_line_start = 0;
    if (first == ' ' || first == '\t') {
        if (!m->field_open)
            return fail(m, ea_error(err, EMAUTH_ERR_SYNTAX, m->line, 0,
                                    "line %u: continuation line with no header field before it",
                                    m->line));
        return field_append(m, "\r\n", 2, err);
    }
    if (m->field_open) {
        emauth_status st = emit_field(m, err);
        if (st != EMAUTH_OK)
            return st;
    }
    m->field.len = 0;
    m->field_open = 1;
    m->first_line_done = 0;
    return EMAUTH_OK;
}

/* Bytes of a header line (no line end among them; n > 0). */
static emauth_status line_text(emauth_msg *m, const char *s, size_t n, emauth_error *err)
{
    if (m->at_line_start) {
        emauth_status st = begin_line(m, s[0], err);
        if (st != EMAUTH_OK)
            return st;
    }
    return field_append(m, s, n, err);
}

/* The first line of a field is complete: find its name, or skip mbox "From ". */
static emauth_status check_first_line(emauth_msg *m, emauth_error *err)
{
    const char *f = m->field.data;
    size_t len = m->field.len;
    if (m->line == 1 && len >= 5 && memcmp(f, "From ", 5) == 0) {
        m->field_open = 0;
        m->field.len = 0;
        return EMAUTH_OK;
    }
    const char *colon = len ? memchr(f, ':', len) : NULL;
    if (colon == NULL)
        return syntax(m, err, "header line without a colon");
    size_t name_len = (size_t)(colon - f);
    while (name_len > 0 && (f[name_len - 1] == ' ' || f[name_len - 1] == '\t'))
        name_len--;
    if (name_len == 0)
        return syntax(m, err, "header field with an empty name");
    for (size_t i = 0; i < name_len; i++) {
        unsigned char c = (unsigned char)f[i];
        if (c < 33 || c > 126)
            return syntax(m, err, "header field name with a byte outside 33-126");
    }
    if (++m->nfields > m->lim.fields)
        return fail(m, ea_error(err, EMAUTH_ERR_LIMIT, m->line, 0,
                                "line %u: more than %zu header fields", m->line, m->lim.fields));
    m->name_len = name_len;
    m->first_line_done = 1;
    return EMAUTH_OK;
}

static emauth_status line_end(emauth_msg *m, emauth_error *err)
{
    if (m->at_line_start)
        return end_header(m, PH_BODY, err);
    emauth_status st = count_header(m, 2, err);
    if (st == EMAUTH_OK && m->field_open && !m->first_line_done)
        st = check_first_line(m, err);
    if (st != EMAUTH_OK)
        return st;
    m->line++;
    m->at_line_start = 1;
    return EMAUTH_OK;
}

/* Header bytes of p[0..n); *used says where the body starts, if it does. */
static emauth_status header_push(emauth_msg *m, const char *p, size_t n, size_t *used,
                                 emauth_error *err)
{
    size_t i = 0;
    emauth_status st = EMAUTH_OK;
    while (i < n && m->phase == PH_HEADER && st == EMAUTH_OK) {
        if (m->cr) {
            m->cr = 0;
            if (p[i] == '\n') {
                i++;
                st = line_end(m, err);
            } else {
                st = line_text(m, "\r", 1, err);   /* a CR not ending a line is text */
            }
            continue;
        }
        if (p[i] == '\n') {
            i++;
            st = line_end(m, err);
        } else if (p[i] == '\r') {
            i++;
            m->cr = 1;
        } else {
            size_t j = i + 1;
            while (j < n && p[j] != '\r' && p[j] != '\n')
                j++;
            st = line_text(m, p + i, j - i, err);
            i = j;
        }
    }
    *used = i;
    return st;
}

/* ---- body ------------------------------------------------------------ */

static emauth_status body_flush(emauth_msg *m, emauth_error *err)
{
    size_t n = m->nstage;
    m->nstage = 0;
    if (n == 0 || m->cb.body == NULL)
        return EMAUTH_OK;
    emauth_status st = m->cb.body(m->arg, m->stage, n);
    return st == EMAUTH_OK ? st : callback_failed(m, st, "body", err);
}

/* Body bytes out, in order: small pieces staged, large ones passed as they are. */
static emauth_status body_out(emauth_msg *m, const char *s, size_t n, emauth_error *err)
{
    if (n == 0)
        return EMAUTH_OK;
    if (n > STAGE_SIZE - m->nstage) {
        emauth_status st = body_flush(m, err);
        if (st != EMAUTH_OK)
            return st;
        if (n >= STAGE_SIZE / 2) {
            if (m->cb.body == NULL)
                return EMAUTH_OK;
            st = m->cb.body(m->arg, s, n);
            return st == EMAUTH_OK ? st : callback_failed(m, st, "body", err);
        }
    }
    memcpy(m->stage + m->nstage, s, n);
    m->nstage += n;
    return EMAUTH_OK;
}

/*
 * The index of the next LF in p[i..n) with no CR before it in p, or n.
 * CRLF text has none, so the usual answer is n after one pass, sixteen
 * bytes at a time where SSE2 is there.
 */
static size_t find_bare_lf(const char *p, size_t i, size_t n)
{
    if (i >= n)
        return n;
    if (i == 0) {
        if (p[0] == '\n')
            return 0;
        i = 1;
    }
#if defined(__SSE2__)
    const __m128i lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r');
    while (n - i >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        __m128i before = _mm_loadu_si128((const __m128i *)(const void *)(p + i - 1));
        __m128i bare = _mm_andnot_si128(_mm_cmpeq_epi8(before, cr), _mm_cmpeq_epi8(x, lf));
        unsigned mask = (unsigned)_mm_movemask_epi8(bare);
        if (mask != 0)
            return i + (size_t)__builtin_ctz(mask);
        i += 16;
    }
#endif
    while (i < n) {
        const char *q = memchr(p + i, '\n', n - i);
        if (q == NULL)
            return n;
        size_t k = (size_t)(q - p);   /* k >= 1 */
        if (p[k - 1] != '\r')
            return k;
        i = k + 1;
    }
    return n;
}

static emauth_status body_push(emauth_msg *m, const char *p, size_t n, emauth_error *err)
{
    size_t i = 0;
    emauth_status st = EMAUTH_OK;
    if (m->cr) {
        m->cr = 0;
        if (p[0] == '\n') {
            st = body_out(m, "\r\n", 2, err);
            i = 1;
        } else {
            st = body_out(m, "\r", 1, err);
        }
    }
    size_t k;
    while (st == EMAUTH_OK && (k = find_bare_lf(p, i, n)) < n) {
        st = body_out(m, p + i, k - i, err);
        if (st == EMAUTH_OK)
            st = body_out(m, "\r\n", 2, err);
        i = k + 1;
    }
    if (st != EMAUTH_OK)
        return st;
    size_t end = n;
    if (end > i && p[end - 1] == '\r') {
        end--;
        m->cr = 1;
    }
    st = body_out(m, p + i, end - i, err);
    return st == EMAUTH_OK ? body_flush(m, err) : st;
}

/* ---- API ------------------------------------------------------------- */

static emauth_status stopped(emauth_msg *m, emauth_error *err)
{
    if (m->phase == PH_FAILED)
        return ea_error(err, m->failed, 0, 0, "the parser stopped at an earlier error: %s",
                        emauth_status_str(m->failed));
    return ea_error(err, EMAUTH_ERR_INVALID, 0, 0, "the message was already finished");
}

emauth_status emauth_msg_push(emauth_msg *m, const char *data, size_t len, emauth_error *err)
{
    if (m->phase == PH_FAILED || m->phase == PH_DONE)
        return stopped(m, err);
    if (len == 0)
        return EMAUTH_OK;
    size_t used = 0;
    if (m->phase == PH_HEADER) {
        emauth_status st = header_push(m, data, len, &used, err);
        if (st != EMAUTH_OK || used == len)
            return st;
    }
    return body_push(m, data + used, len - used, err);
}

emauth_status emauth_msg_finish(emauth_msg *m, emauth_error *err)
{
    if (m->phase == PH_FAILED || m->phase == PH_DONE)
        return stopped(m, err);
    emauth_status st = EMAUTH_OK;
    if (m->phase == PH_HEADER) {
        /* A last line without its line end (a lone CR included) is complete. */
        if (m->cr || !m->at_line_start) {
            m->cr = 0;
            st = line_end(m, err);
        }
        if (st == EMAUTH_OK && m->phase == PH_HEADER)
            st = end_header(m, PH_DONE, err);
        if (st != EMAUTH_OK)
            return st;
    } else {
        if (m->cr) {
            m->cr = 0;
            st = body_out(m, "\r", 1, err);   /* a CR at the very end ends no line */
        }
        if (st == EMAUTH_OK)
            st = body_flush(m, err);
        if (st != EMAUTH_OK)
            return st;
    }
    m->phase = PH_DONE;
    return EMAUTH_OK;
}
