/*
 * emauth/error.h - status codes and the caller-owned error object.
 *
 * Every library call returns an emauth_status. A call that fails fills the
 * emauth_error the caller passed (when not NULL) with the status and a
 * one-line message naming what was wrong and where (term, file:line:column).
 * The library never prints and never exits.
 */
#ifndef EMAUTH_ERROR_H
#define EMAUTH_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum emauth_status {
    EMAUTH_OK = 0,          /* done */
    EMAUTH_NEED_DNS = 1,    /* a sans-I/O core waits for a DNS answer */
    EMAUTH_ERR_NOMEM = -1,  /* out of memory */
    EMAUTH_ERR_SYNTAX = -2, /* malformed input (record, zone file, address) */
    EMAUTH_ERR_INVALID = -3,/* invalid argument or call out of order */
    EMAUTH_ERR_IO = -4,     /* a file could not be read */
    EMAUTH_ERR_LIMIT = -5,  /* a size or count limit was exceeded */
    EMAUTH_ERR_NOTFOUND = -6/* the thing asked for does not exist */
} emauth_status;

/* Room for one message; longer messages are truncated, never overflowed. */
#define EMAUTH_ERROR_MAX 320

typedef struct emauth_error {
    emauth_status status;
    unsigned line;            /* 1-based line in the input, 0 when not applicable */
    unsigned column;          /* 1-based column (byte) in the line or record, 0 when n/a */
    char message[EMAUTH_ERROR_MAX];
} emauth_error;

/* A short constant name for a status ("ok", "syntax error", ...). */
const char *emauth_status_str(emauth_status status);

/* Resets an error object to EMAUTH_OK with an empty message. */
void emauth_error_clear(emauth_error *err);

#ifdef __cplusplus
}
#endif
#endif
