/* Private helpers for filling an emauth_error. */
#ifndef EMAUTH_UTIL_ERROR_H
#define EMAUTH_UTIL_ERROR_H

#include <emauth/error.h>

/*
 * Sets err (when not NULL) to status, line, column and a printf-style
 * message; returns status so callers can write `return ea_error(...)`.
 */
emauth_status ea_error(emauth_error *err, emauth_status status, unsigned line,
                       unsigned column, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/*
 * Writes at most max bytes of untrusted text into buf for a message, with
 * bytes outside printable ASCII as \xHH, and "..." when cut. buf has size bytes.
 */
const char *ea_quote(char *buf, size_t size, const char *text, size_t len, size_t max);

#endif
