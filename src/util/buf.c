/* Growable byte buffer; see buf.h. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

void ea_buf_init(ea_buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void ea_buf_free(ea_buf *b)
{
    free(b->data);
    ea_buf_init(b);
}

int ea_buf_reserve(ea_buf *b, size_t extra)
{
    if (extra > SIZE_MAX - b->len - 1)
        return -1;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) {
        if (cap > SIZE_MAX / 2)
            return -1;
        cap *= 2;
    }
    char *p = realloc(b->data, cap);
    if (p == NULL)
        return -1;
    b->data = p;
    b->cap = cap;
    return 0;
}

int ea_buf_append(ea_buf *b, const void *data, size_t len)
{
    if (ea_buf_reserve(b, len) != 0)
        return -1;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int ea_buf_putc(ea_buf *b, char c)
{
    return ea_buf_append(b, &c, 1);
}

int ea_buf_puts(ea_buf *b, const char *s)
{
    return ea_buf_append(b, s, strlen(s));
}

int ea_buf_printf(ea_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || ea_buf_reserve(b, (size_t)n) != 0)
        return -1;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

const char *ea_buf_cstr(ea_buf *b)
{
    return b->data ? b->data : "";
}
