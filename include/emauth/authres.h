/*
 * emauth/authres.h - Authentication-Results header fields (RFC 8601).
 *
 * Writing: one field for what this host checked (spf, one dkim entry per
 * signature, dmarc). Reading: an existing field parsed into its methods
 * and properties, for a milter to remove forged ones that claim to be
 * ours.
 */
#ifndef EMAUTH_AUTHRES_H
#define EMAUTH_AUTHRES_H

#include <stddef.h>
#include <emauth/dkim.h>
#include <emauth/dmarc.h>
#include <emauth/error.h>
#include <emauth/spf.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Writes "Authentication-Results: AUTHSERV-ID; spf=...; dkim=...; dmarc=..."
 * (no final CRLF) into *out (malloc'ed, NUL-terminated), folded at 78
 * columns: spf with smtp.mailfrom or smtp.helo (emauth_spf_authres());
 * one dkim entry per signature with header.d, header.s and header.b (the
 * first 8 characters of b=, RFC 6008), reason="..." for any result
 * but pass; dmarc with header.from and, for pass and fail, policy.dmarc
 * (the policy applied), reason="..." for temperror and permerror.
 * Any part may be absent (spf NULL, ndkim 0: "dkim=none", dmarc NULL);
 * with nothing at all: "AUTHSERV-ID; none". Values that need it are
 * quoted; nothing from the message can add a line or a field.
 */
emauth_status emauth_authres_format(const char *authserv_id, const emauth_spf_result *spf,
                                    const emauth_dkim_result *dkim, size_t ndkim,
                                    const emauth_dmarc_result *dmarc, char **out,
                                    emauth_error *err);

typedef struct emauth_authres_prop {
    const char *ptype;       /* "smtp", "header", "body", "policy" */
    const char *property;    /* "mailfrom", "d", ... */
    const char *value;       /* unquoted */
} emauth_authres_prop;

typedef struct emauth_authres_method {
    const char *method;      /* lower-cased: "spf", "dkim", "dmarc", ... */
    int version;             /* method/1: 1; absent: 1 */
    const char *result;      /* lower-cased: "pass", ... */
    const char *reason;      /* reason=, unquoted, or NULL */
    size_t nprops;
    const emauth_authres_prop *props;
} emauth_authres_method;

typedef struct emauth_authres {
    const char *authserv_id;
    int version;             /* the field's version after the authserv-id; absent: 1 */
    int none;                /* "none": no method was evaluated */
    size_t nmethods;
    const emauth_authres_method *methods;
} emauth_authres;

/*
 * Parses a field's value (after "Authentication-Results:"), RFC 8601 §2.2:
 * CFWS (comments, nested, and folding) anywhere, quoted strings, the
 * version, "none", method/version, reason=, properties ptype.property=
 * value (value a token, a quoted string, or an address). A malformed field
 * is EMAUTH_ERR_SYNTAX with err naming the column. Free with
 * emauth_authres_free().
 */
emauth_status emauth_authres_parse(const char *value, size_t len, emauth_authres **out,
                                   emauth_error *err);
void emauth_authres_free(emauth_authres *a);

/* 1 when the field claims to be from authserv_id (compared without case). */
int emauth_authres_is_ours(const emauth_authres *a, const char *authserv_id);

#ifdef __cplusplus
}
#endif
#endif
