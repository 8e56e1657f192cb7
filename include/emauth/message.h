/*
 * emauth/message.h - an RFC 5322 message, pushed in pieces of any size.
 *
 * The parser splits header fields from the body and hands them out as
 * they complete: each header field whole (folding kept, line ends as
 * CRLF, without its final CRLF), then the end of the header, then the
 * body in chunks (bare LF turned into CRLF, as MTAs do before hashing).
 * It keeps only the field being read, so memory stays bounded for any
 * message size. The same callbacks fit a milter, which delivers fields
 * and body chunks itself.
 *
 * Details: an mbox "From " line as the very first line is skipped; blanks
 * before a field's colon are accepted (obsolete RFC 5322 syntax) and left
 * out of name_len; a bare CR is ordinary text; a body chunk never ends
 * between CR and LF; any callback may be NULL; after an error the parser
 * stays stopped and returns the same status.
 */
#ifndef EMAUTH_MESSAGE_H
#define EMAUTH_MESSAGE_H

#include <stddef.h>
#include <emauth/error.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct emauth_msg_callbacks {
    /* One header field: field[0..len), its name field[0..name_len). */
    emauth_status (*header)(void *arg, const char *field, size_t len, size_t name_len);
    /* After the last field (also for a message without a body). */
    emauth_status (*end_of_header)(void *arg);
    /* Body bytes, CRLF line ends; called any number of times. */
    emauth_status (*body)(void *arg, const char *chunk, size_t len);
} emauth_msg_callbacks;

typedef struct emauth_msg_limits {
    size_t field_bytes;      /* one header field, folding included (65536) */
    size_t fields;           /* header fields (1000) */
    size_t header_bytes;     /* the whole header (1 MiB) */
} emauth_msg_limits;

void emauth_msg_limits_default(emauth_msg_limits *l);

typedef struct emauth_msg emauth_msg;

/* cb and arg are kept; limits NULL = defaults. */
emauth_status emauth_msg_new(const emauth_msg_callbacks *cb, void *arg,
                             const emauth_msg_limits *limits, emauth_msg **out);
void emauth_msg_free(emauth_msg *m);

/*
 * Feeds len bytes. A callback's non-OK status stops the parser and is
 * returned. A header line that is not a field (no colon, a name with
 * bytes outside 33-126), a field or header over its limit, are
 * EMAUTH_ERR_SYNTAX / EMAUTH_ERR_LIMIT with err naming the line.
 */
emauth_status emauth_msg_push(emauth_msg *m, const char *data, size_t len, emauth_error *err);

/* The end of the message: completes a last field or line. */
emauth_status emauth_msg_finish(emauth_msg *m, emauth_error *err);

/* ---- The RFC 5322.From address (RFC 5322 §3.4, §3.6.2; DMARC RFC 9989 §4.4) ---- */

typedef struct emauth_from {
    char *address;           /* local-part@domain, as written (quotes kept), malloc'ed */
    char *domain;            /* the domain, lower-cased, no trailing dot, malloc'ed */
} emauth_from;

/*
 * The single author address of a message, from the values of all its From
 * fields (field bodies after the colon, folding allowed). Exactly one From
 * field holding exactly one mailbox is accepted: display names (quoted or
 * not, with encoded words, with "<...>" inside quotes or comments),
 * comments anywhere, quoted local parts, angle addresses, and obsolete
 * forms are understood; no From, several From fields, a group, several
 * mailboxes, an address without a domain, a domain literal or a malformed
 * address are EMAUTH_ERR_SYNTAX with err saying which. Never a partial or
 * guessed address. Free with emauth_from_free().
 */
emauth_status emauth_from_extract(const char *const *values, const size_t *lens, size_t n,
                                  emauth_from *out, emauth_error *err);
void emauth_from_free(emauth_from *f);

#ifdef __cplusplus
}
#endif
#endif
