/*
 * A growable byte buffer that keeps its handle on failure: every append
 * returns 0 or -1 (out of memory or size overflow), and the buffer stays
 * valid either way.
 */
#ifndef EMAUTH_UTIL_BUF_H
#define EMAUTH_UTIL_BUF_H

#include <stddef.h>

typedef struct ea_buf {
    char *data;     /* NUL-terminated when len > 0 or after ea_buf_cstr() */
    size_t len;
    size_t cap;
} ea_buf;

void ea_buf_init(ea_buf *b);
void ea_buf_free(ea_buf *b);
int ea_buf_reserve(ea_buf *b, size_t extra);
int ea_buf_append(ea_buf *b, const void *data, size_t len);
int ea_buf_putc(ea_buf *b, char c);
int ea_buf_puts(ea_buf *b, const char *s);
int ea_buf_printf(ea_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The contents as a C string ("" when empty). */
const char *ea_buf_cstr(ea_buf *b);

#endif
