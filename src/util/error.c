/* Status names and the error object. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/error.h"

const char *emauth_status_str(emauth_status status)
{
    switch (status) {
    case EMAUTH_OK: return "ok";
    case EMAUTH_NEED_DNS: return "needs DNS";
    case EMAUTH_ERR_NOMEM: return "out of memory";
    case EMAUTH_ERR_SYNTAX: return "syntax error";
    case EMAUTH_ERR_INVALID: return "invalid argument";
    case EMAUTH_ERR_IO: return "I/O error";
    case EMAUTH_ERR_LIMIT: return "limit exceeded";
    case EMAUTH_ERR_NOTFOUND: return "not found";
    }
    return "unknown status";
}

void emauth_error_clear(emauth_error *err)
{
    if (err == NULL)
        return;
    err->status = EMAUTH_OK;
    err->line = 0;
    err->column = 0;
    err->message[0] = '\0';
}

emauth_status ea_error(emauth_error *err, emauth_status status, unsigned line,
                       unsigned column, const char *fmt, ...)
{
    if (err == NULL)
        return status;
    err->status = status;
    err->line = line;
    err->column = column;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return status;
}

const char *ea_quote(char *buf, size_t size, const char *text, size_t len, size_t max)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    if (size == 0)
        return buf;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        int cut = i >= max;
        size_t need = cut ? 3 : (c >= 0x20 && c < 0x7f) ? 1 : 4;
        if (cut || o + need >= size) {
            if (o + 3 < size) {
                memcpy(buf + o, "...", 3);
                o += 3;
            }
            break;
        }
        if (need == 1) {
            buf[o++] = (char)c;
        } else {
            buf[o++] = '\\';
            buf[o++] = 'x';
            buf[o++] = hex[c >> 4];
            buf[o++] = hex[c & 15];
        }
    }
    buf[o] = '\0';
    return buf;
}
