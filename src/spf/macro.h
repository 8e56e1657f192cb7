/*
 * SPF macro-strings (RFC 7208 §7): syntax check and expansion.
 *
 *   macro-string = *( macro-expand / macro-literal )
 *   macro-expand = ( "%{" macro-letter transformers *delimiter "}" )
 *                  / "%%" / "%_" / "%-"
 *   transformers = *DIGIT [ "r" ]
 *   delimiter    = "." / "-" / "+" / "," / "/" / "_" / "="
 *   macro-literal = %x21-24 / %x26-7E
 *   macro-letter = "s" / "l" / "o" / "d" / "i" / "p" / "h" / "c" / "r" / "t" / "v"
 *                  (c, r, t only in exp= explanation text)
 */
#ifndef EMAUTH_SPF_MACRO_H
#define EMAUTH_SPF_MACRO_H

#include <stddef.h>
#include <stdint.h>

#include <emauth/error.h>
#include <emauth/ip.h>
#include "util/buf.h"

/* Where a macro-string appears: the letters and characters allowed differ. */
typedef enum ea_macro_use {
    EA_MACRO_DOMAIN,   /* domain-spec of a mechanism or redirect/exp: expands to a name */
    EA_MACRO_EXP       /* explanation text fetched by exp= (c r t allowed, spaces kept) */
} ea_macro_use;

/* The values macro letters expand to. Strings need not be NUL-terminated. */
typedef struct ea_macro_ctx {
    const char *sender; size_t sender_len;   /* s: local-part@domain */
    const char *local; size_t local_len;     /* l */
    const char *sender_domain; size_t sender_domain_len; /* o */
    const char *domain; size_t domain_len;   /* d: the current domain */
    const char *helo; size_t helo_len;       /* h */
    const char *receiver; size_t receiver_len; /* r */
    const char *validated; size_t validated_len; /* p: from the validated-name procedure */
    const emauth_ip *ip;                     /* i, c, v */
    int64_t now;                             /* t */
} ea_macro_ctx;

/*
 * Checks the syntax of a macro-string. On error returns EMAUTH_ERR_SYNTAX,
 * sets *bad_off to the offset of the offending byte and *what to a short
 * description ("unknown macro letter 'x'", ...).
 */
emauth_status ea_macro_check(const char *s, size_t len, ea_macro_use use,
                             size_t *bad_off, const char **what);

/* 1 when the macro-string uses %{p} (the validated-name procedure must run first). */
int ea_macro_uses_p(const char *s, size_t len);

/*
 * An expanded explanation keeps at most this many bytes (§6.2 lets it be
 * limited): a 64 KiB TXT record of %{s} would otherwise grow to megabytes.
 */
#define EA_MACRO_EXP_MAX 1024

/*
 * Expands s into out (appended). For EA_MACRO_DOMAIN the result is truncated
 * from the left by whole labels to at most 253 bytes (§7.3); for
 * EA_MACRO_EXP it is cut after EA_MACRO_EXP_MAX bytes. Returns
 * EMAUTH_ERR_SYNTAX for a malformed string (check first), EMAUTH_ERR_NOMEM.
 */
emauth_status ea_macro_expand(const char *s, size_t len, ea_macro_use use,
                              const ea_macro_ctx *ctx, ea_buf *out);

#endif
