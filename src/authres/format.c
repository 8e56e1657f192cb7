/*
 * Writing an Authentication-Results field (RFC 8601 §2.2, §2.7; header.b
 * of RFC 6008):
 *
 *   Authentication-Results: authserv-id; spf=RESULT smtp.mailfrom=...;
 *           dkim=RESULT [reason="..."] header.d=D header.s=S header.b=B8;
 *           dmarc=RESULT [reason="..."] header.from=D policy.dmarc=P
 *   Authentication-Results: authserv-id; none
 *
 * The spf entry is emauth_spf_authres()'s (src/spf/header.c), which
 * sanitises its own values. Every other value goes through put_value():
 * a MIME token as it is, anything else a quoted-string where '"' and '\'
 * are escaped, white space becomes a space and any other byte outside
 * printable ASCII a '?', cut at VALUE_MAX bytes. So no CR, LF or control
 * byte from a message or a DNS record reaches the field, and each line
 * stays far under the 998-byte limit.
 *
 * Folding (RFC 5322 §2.2.3): the field is built from unbreakable pieces
 * (the authserv-id, each "method=result", each reason and property);
 * when a piece would end past column 78 the space before it becomes
 * CRLF TAB. A piece is never broken, so a long quoted value may pass
 * column 78 but never 998.
 */
#include <stdlib.h>
#include <string.h>

#include <emauth/authres.h>

#include "util/buf.h"
#include "util/error.h"

#define FOLD_COLUMN 78
#define VALUE_MAX 96        /* written bytes of one value before "..." */
#define HEADER_B_LEN 8      /* RFC 6008 §4: at least 8 characters */

typedef struct writer {
    ea_buf buf;
    size_t col;             /* bytes on the current line */
    int oom;
    ea_buf piece;           /* the piece being built */
} writer;

/* MIME token characters (RFC 2045 §5.1): no tspecials, space or CTL. */
static int is_token_char(unsigned char c)
{
    if (c <= 0x20 || c >= 0x7f)
        return 0;
    return strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

static void piece_put(writer *w, const char *s, size_t n)
{
    if (ea_buf_append(&w->piece, s, n) != 0)
        w->oom = 1;
}

static void piece_str(writer *w, const char *s)
{
    piece_put(w, s, strlen(s));
}

/* s[0..n) as a sanitised quoted-string, cut at VALUE_MAX written bytes. */
static void piece_quoted(writer *w, const char *s, size_t n)
{
    size_t out = 0;
    piece_put(w, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        int esc = c == '"' || c == '\\';
        if (out + 1 + (size_t)esc > VALUE_MAX) {
            piece_put(w, "...", 3);
            break;
        }
        if (esc)
            piece_put(w, "\\", 1);
        if (c == '\t' || c == '\r' || c == '\n')
            c = ' ';
        else if (c < 0x20 || c > 0x7e)
            c = '?';
        char ch = (char)c;
        piece_put(w, &ch, 1);
        out += 1 + (size_t)esc;
    }
    piece_put(w, "\"", 1);
}

/* s[0..n) as a token when it is one, else quoted. */
static void piece_value(writer *w, const char *s, size_t n)
{
    int token = n > 0 && n <= VALUE_MAX;
    for (size_t i = 0; token && i < n; i++)
        token = is_token_char((unsigned char)s[i]);
    if (token)
        piece_put(w, s, n);
    else
        piece_quoted(w, s, n);
}

/*
 * A pvalue with "@" (RFC 8601 §2.3): "[local-part]@domain" as it is when
 * both halves are plain, else a quoted-string of the whole.
 */
static void piece_pvalue(writer *w, const char *s)
{
    size_t n = strlen(s);
    const char *at = memchr(s, '@', n);
    if (at != NULL && n <= VALUE_MAX) {
        int plain = 1;
        for (const char *p = s; plain && p < s + n; p++)
            plain = p == at || is_token_char((unsigned char)*p);
        if (plain) {
            piece_put(w, s, n);
            return;
        }
    }
    piece_value(w, s, n);
}

/* Ends the current piece: a space (or CRLF TAB) before it unless first. */
static void flush(writer *w, int first)
{
    size_t n = w->piece.len;
    if (n == 0)
        return;
    if (!first) {
        if (w->col + 1 + n > FOLD_COLUMN) {
            if (ea_buf_append(&w->buf, "\r\n\t", 3) != 0)
                w->oom = 1;
            w->col = 1;
        } else {
            if (ea_buf_putc(&w->buf, ' ') != 0)
                w->oom = 1;
            w->col++;
        }
    }
    if (ea_buf_append(&w->buf, w->piece.data, n) != 0)
        w->oom = 1;
    w->col += n;
    w->piece.len = 0;
}

/* "ptype.property=value" as one piece; value NULL or "" writes nothing. */
static void prop(writer *w, const char *name, const char *value, int address)
{
    if (value == NULL || value[0] == '\0')
        return;
    piece_str(w, name);
    piece_put(w, "=", 1);
    if (address)
        piece_pvalue(w, value);
    else
        piece_value(w, value, strlen(value));
    flush(w, 0);
}

/* The spf entry, split into pieces at spaces outside quoted strings (FWS in comments is fine). */
static emauth_status spf_entry(writer *w, const emauth_spf_result *spf)
{
    size_t n = emauth_spf_authres(spf, NULL, 0);
    char *text = malloc(n + 1);
    if (text == NULL)
        return EMAUTH_ERR_NOMEM;
    emauth_spf_authres(spf, text, n + 1);
    int quoted = 0, comment = 0;
    for (size_t i = 0; i < n; i++) {
        char c = text[i];
        if (c == '\\' && i + 1 < n) {
            piece_put(w, text + i, 2);
            i++;
        } else if (c == '"' && comment == 0) {
            quoted = !quoted;
            piece_put(w, &c, 1);
        } else if ((c == '(' || c == ')') && !quoted) {
            comment += c == '(' ? 1 : -1;
            piece_put(w, &c, 1);
        } else if (c == ' ' && !quoted) {
            flush(w, 0);
        } else {
            piece_put(w, &c, 1);
        }
    }
    free(text);
    return EMAUTH_OK;
}

static int dkim_has_reason(emauth_dkim_verdict v)
{
    return v != EMAUTH_DKIM_PASS;
}

static void dkim_entry(writer *w, const emauth_dkim_result *r)
{
    piece_str(w, "dkim=");
    piece_str(w, emauth_dkim_verdict_name(r->verdict));
    flush(w, 0);
    if (dkim_has_reason(r->verdict) && r->reason != NULL && r->reason[0] != '\0') {
        /* Always quoted: a reason is prose. */
        piece_str(w, "reason=");
        piece_quoted(w, r->reason, strlen(r->reason));
        flush(w, 0);
    }
    prop(w, "header.d", r->domain, 0);
    prop(w, "header.s", r->selector, 0);
    if (r->b_prefix != NULL && r->b_prefix[0] != '\0') {
        char b[HEADER_B_LEN + 1];
        size_t n = strlen(r->b_prefix);
        n = n < HEADER_B_LEN ? n : HEADER_B_LEN;
        memcpy(b, r->b_prefix, n);
        b[n] = '\0';
        prop(w, "header.b", b, 0);
    }
}

static void dmarc_entry(writer *w, const emauth_dmarc_result *r)
{
    piece_str(w, "dmarc=");
    piece_str(w, emauth_dmarc_verdict_name(r->verdict));
    flush(w, 0);
    if ((r->verdict == EMAUTH_DMARC_TEMPERROR || r->verdict == EMAUTH_DMARC_PERMERROR) &&
        r->reason != NULL && r->reason[0] != '\0') {
        piece_str(w, "reason=");
        piece_quoted(w, r->reason, strlen(r->reason));
        flush(w, 0);
    }
    prop(w, "header.from", r->from_domain, 0);
    if (r->verdict == EMAUTH_DMARC_PASS || r->verdict == EMAUTH_DMARC_FAIL)
        prop(w, "policy.dmarc", emauth_dmarc_policy_name(r->policy), 0);
}

/* The ";" that ends the previous entry. */
static void end_entry(writer *w)
{
    if (ea_buf_putc(&w->buf, ';') != 0)
        w->oom = 1;
    w->col++;
}

emauth_status emauth_authres_format(const char *authserv_id, const emauth_spf_result *spf,
                                    const emauth_dkim_result *dkim, size_t ndkim,
                                    const emauth_dmarc_result *dmarc, char **out,
                                    emauth_error *err)
{
    if (out == NULL || authserv_id == NULL || authserv_id[0] == '\0' ||
        (ndkim > 0 && dkim == NULL))
        return ea_error(err, EMAUTH_ERR_INVALID, 0, 0,
                        "Authentication-Results: an authserv-id and an output are needed");
    *out = NULL;

    writer w;
    memset(&w, 0, sizeof w);
    ea_buf_init(&w.buf);
    ea_buf_init(&w.piece);
    emauth_status st = EMAUTH_OK;

    piece_str(&w, "Authentication-Results:");
    flush(&w, 1);
    piece_value(&w, authserv_id, strlen(authserv_id));
    flush(&w, 0);
    end_entry(&w);
    if (spf == NULL && ndkim == 0 && dmarc == NULL) {
        piece_str(&w, "none");
        flush(&w, 0);
    } else {
        int entries = 0;
        if (spf != NULL) {
            st = spf_entry(&w, spf);
            flush(&w, 0);
            entries++;
        }
        if (ndkim == 0) {
            if (entries++ > 0)
                end_entry(&w);
            piece_str(&w, "dkim=none");
            flush(&w, 0);
        }
        for (size_t i = 0; i < ndkim; i++) {
            if (entries++ > 0)
                end_entry(&w);
            dkim_entry(&w, &dkim[i]);
        }
        if (dmarc != NULL) {
            end_entry(&w);
            dmarc_entry(&w, dmarc);
        }
    }
    ea_buf_free(&w.piece);
    if (st == EMAUTH_OK && w.oom)
        st = EMAUTH_ERR_NOMEM;
    if (st != EMAUTH_OK) {
        ea_buf_free(&w.buf);
        return ea_error(err, st, 0, 0, "Authentication-Results: out of memory");
    }
    ea_buf_cstr(&w.buf);
    *out = w.buf.data;
    return EMAUTH_OK;
}
