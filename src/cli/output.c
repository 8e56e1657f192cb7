/* CLI output buffer, JSON and terminal escaping, stderr messages; see output.h. */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/output.h"
#include "util/error.h"

void cli_out_init(cli_out *o, FILE *fp)
{
    ea_buf_init(&o->buf);
    o->fp = fp;
    o->failed = 0;
    /* https://no-color.org: any non-empty NO_COLOR turns colour off. */
    const char *no_colour = getenv("NO_COLOR");
    o->colour = isatty(fileno(fp)) && (no_colour == NULL || no_colour[0] == '\0');
}

int cli_out_flush(cli_out *o)
{
    if (o->buf.len > 0 && fwrite(o->buf.data, 1, o->buf.len, o->fp) != o->buf.len)
        o->failed = 1;
    o->buf.len = 0;
    if (fflush(o->fp) != 0)
        o->failed = 1;
    return o->failed ? -1 : 0;
}

void cli_out_free(cli_out *o)
{
    ea_buf_free(&o->buf);
}

int cli_out_grow(cli_out *o, size_t n)
{
    if (o->failed || ea_buf_reserve(&o->buf, n) != 0) {
        o->failed = 1;
        return -1;
    }
    return 0;
}

void cli_out_str(cli_out *o, const char *s)
{
    cli_out_mem(o, s, strlen(s));
}

void cli_out_uint(cli_out *o, unsigned long v)
{
    char tmp[24];
    size_t i = sizeof tmp;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    cli_out_mem(o, tmp + i, sizeof tmp - i);
}

/* ---- Escaping -------------------------------------------------------------- */

static int is_cont(unsigned char c)
{
    return (c & 0xc0) == 0x80;
}

/*
 * Length (2..4) of the well-formed UTF-8 sequence starting at s, or 0
 * (RFC 3629 table: no overlong forms, no surrogates, nothing past U+10FFFF).
 */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c >= 0xc2 && c <= 0xdf)
        return n >= 2 && is_cont(s[1]) ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
        if (n < 3 || !is_cont(s[1]) || !is_cont(s[2]))
            return 0;
        if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f))
            return 0;
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        if (n < 4 || !is_cont(s[1]) || !is_cont(s[2]) || !is_cont(s[3]))
            return 0;
        if ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] > 0x8f))
            return 0;
        return 4;
    }
    return 0;
}

static const char hex[] = "0123456789abcdef";

static char *put_hex_byte(char *d, unsigned char c)   /* \xHH */
{
    d[0] = '\\';
    d[1] = 'x';
    d[2] = hex[c >> 4];
    d[3] = hex[c & 15];
    return d + 4;
}

static char *put_json_ascii(char *d, unsigned char c)  /* \" \\ or \u00XX */
{
    if (c == '"' || c == '\\') {
        d[0] = '\\';
        d[1] = (char)c;
        return d + 2;
    }
    memcpy(d, "\\u00", 4);
    d[4] = hex[c >> 4];
    d[5] = hex[c & 15];
    return d + 6;
}

enum escape_mode { ESC_JSON, ESC_TEXT };

#define ROW(x) x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x
/*
 * 1 for the bytes each mode copies as they are: printable ASCII, less '"'
 * (0x22) and '\\' (0x5c) in JSON. A table: this test runs for every byte.
 */
static const unsigned char plain[2][256] = {
    [ESC_JSON] = {ROW(0), ROW(0),
                  1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                  ROW(1), ROW(1),
                  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
                  ROW(1),
                  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0},
    [ESC_TEXT] = {ROW(0), ROW(0), ROW(1), ROW(1), ROW(1), ROW(1), ROW(1),
                  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0},
};

/*
 * The one escaping loop for both modes. Room for the worst case (6 output
 * bytes per input byte) is reserved once, then bytes are written straight
 * into the buffer: this runs for every field of every batch line.
 */
static void put_escaped(cli_out *o, const char *text, size_t n, enum escape_mode mode)
{
    const unsigned char *s = (const unsigned char *)text;
    const unsigned char *is_plain = plain[mode];
    char *d = n <= SIZE_MAX / 8 ? cli_out_room(o, n * 6) : NULL;
    if (d == NULL) {
        o->failed = 1;
        return;
    }
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        if (is_plain[c]) {
            *d++ = (char)c;
            i++;
        } else if (c < 0x80) {
            d = mode == ESC_JSON ? put_json_ascii(d, c) : put_hex_byte(d, c);
            i++;
        } else {
            size_t k = utf8_seq(s + i, n - i);
            /* C1 controls (U+0080..U+009F) act as escapes on some terminals. */
            int c1 = k == 2 && c == 0xc2 && s[i + 1] < 0xa0;
            if (k == 0 || (mode == ESC_TEXT && c1)) {
                if (mode == ESC_JSON) {
                    memcpy(d, "\\ufffd", 6);
                    d += 6;
                } else {
                    d = put_hex_byte(d, c);
                }
                i++;
            } else {
                memcpy(d, s + i, k);
                d += k;
                i += k;
            }
        }
    }
    o->buf.len = (size_t)(d - o->buf.data);
}

void cli_out_json_str(cli_out *o, const char *s, size_t n)
{
    cli_out_char(o, '"');
    put_escaped(o, s, n, ESC_JSON);
    cli_out_char(o, '"');
}

void cli_out_json_cstr(cli_out *o, const char *s)
{
    if (s == NULL)
        cli_out_lit(o, "null");
    else
        cli_out_json_str(o, s, strlen(s));
}

void cli_out_text(cli_out *o, const char *s, size_t n)
{
    put_escaped(o, s, n, ESC_TEXT);
}

void cli_out_ctext(cli_out *o, const char *s)
{
    put_escaped(o, s, strlen(s), ESC_TEXT);
}

void cli_out_colour(cli_out *o, cli_colour c)
{
    static const char *const codes[] = {
        [CLI_PLAIN] = "\033[0m", [CLI_GREEN] = "\033[32m", [CLI_RED] = "\033[31m",
        [CLI_YELLOW] = "\033[33m", [CLI_MAGENTA] = "\033[35m", [CLI_DIM] = "\033[2m",
    };
    if (o->colour)
        cli_out_str(o, codes[c]);
}

/* ---- stderr ---------------------------------------------------------------- */

static void vmessage(const char *prefix, const char *fmt, va_list ap)
{
    fputs(prefix, stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void cli_errorf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage("emauth: ", fmt, ap);
    va_end(ap);
}

void cli_warnf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage("emauth: warning: ", fmt, ap);
    va_end(ap);
}

const char *cli_quote(char buf[CLI_QUOTE_MAX], const char *s)
{
    return ea_quote(buf, CLI_QUOTE_MAX, s, strlen(s), 60);
}

void cli_out_json_bool(cli_out *o, int v)
{
    if (v)
        cli_out_lit(o, "true");
    else
        cli_out_lit(o, "false");
}

void cli_out_json_uint_or_null(cli_out *o, int present, unsigned long v)
{
    if (present)
        cli_out_uint(o, v);
    else
        cli_out_lit(o, "null");
}
