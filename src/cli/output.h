/*
 * CLI output: a large in-memory buffer in front of a FILE, JSON string
 * escaping and terminal-safe text written straight into it, colour only
 * when the stream is a terminal, and the "emauth: " messages on stderr.
 *
 * Appends never fail visibly: out of memory sets a sticky flag that
 * cli_out_flush() reports, so hot loops need no error checks per field.
 * The buffer is not NUL-terminated.
 */
#ifndef EMAUTH_CLI_OUTPUT_H
#define EMAUTH_CLI_OUTPUT_H

#include <stdio.h>
#include <string.h>

#include "util/buf.h"

typedef struct cli_out {
    ea_buf buf;
    FILE *fp;
    int colour;      /* 1: fp is a terminal and NO_COLOR is unset */
    int failed;      /* sticky: out of memory or a write failed */
} cli_out;

typedef enum cli_colour {
    CLI_PLAIN = 0,
    CLI_GREEN,
    CLI_RED,
    CLI_YELLOW,
    CLI_MAGENTA,
    CLI_DIM
} cli_colour;

void cli_out_init(cli_out *o, FILE *fp);
/* Writes everything buffered; returns 0, or -1 when anything failed so far. */
int cli_out_flush(cli_out *o);
void cli_out_free(cli_out *o);

/* The slow path of cli_out_room(): grows the buffer, or sets failed and returns -1. */
int cli_out_grow(cli_out *o, size_t n);

/*
 * Room for n more bytes at the end of the buffer (the caller then adds to
 * o->buf.len what it wrote), or NULL after an allocation failure. Inline:
 * every field of every batch line goes through here.
 */
static inline char *cli_out_room(cli_out *o, size_t n)
{
    if (n >= o->buf.cap - o->buf.len && cli_out_grow(o, n) != 0)
        return NULL;
    return o->buf.data + o->buf.len;
}

static inline void cli_out_mem(cli_out *o, const char *s, size_t n)
{
    char *d = cli_out_room(o, n);
    if (d != NULL) {
        memcpy(d, s, n);
        o->buf.len += n;
    }
}

/* A string literal, its length known at compile time. */
#define cli_out_lit(o, lit) cli_out_mem((o), "" lit, sizeof(lit) - 1)

static inline void cli_out_char(cli_out *o, char c)
{
    cli_out_mem(o, &c, 1);
}

void cli_out_str(cli_out *o, const char *s);
void cli_out_uint(cli_out *o, unsigned long v);

/*
 * A JSON string with its quotes. Control characters and DEL become \u00XX,
 * '"' and '\' are escaped, valid UTF-8 is copied, and each byte that is not
 * part of a valid UTF-8 sequence becomes \ufffd (U+FFFD): the output is
 * always valid JSON whatever the input bytes.
 */
void cli_out_json_str(cli_out *o, const char *s, size_t n);
/* A JSON string from a C string, or null when s is NULL. */
void cli_out_json_cstr(cli_out *o, const char *s);
/* true / false. */
void cli_out_json_bool(cli_out *o, int v);
/* A number, or null when absent (present 0). */
void cli_out_json_uint_or_null(cli_out *o, int present, unsigned long v);
/* ,"key": — key is a string literal. */
#define cli_out_json_key(o, key) cli_out_lit((o), ",\"" key "\":")

/*
 * Untrusted text for a person's terminal: control characters, DEL, C1
 * controls and invalid UTF-8 bytes are shown as \xHH so no escape
 * sequence reaches the terminal; valid UTF-8 is copied.
 */
void cli_out_text(cli_out *o, const char *s, size_t n);
void cli_out_ctext(cli_out *o, const char *s);

/* Starts / ends a colour (nothing when colour is off). */
void cli_out_colour(cli_out *o, cli_colour c);

/* s for a message: at most 60 bytes, bytes outside printable ASCII as \xHH; in buf. */
#define CLI_QUOTE_MAX (60 * 4 + 4)
const char *cli_quote(char buf[CLI_QUOTE_MAX], const char *s);

/* "emauth: " + message + newline on stderr. */
void cli_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "emauth: warning: " + message + newline on stderr. */
void cli_warnf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
