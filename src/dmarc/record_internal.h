/*
 * Private: the DMARC record parser behind emauth_dmarc_record_parse(),
 * lenient, for the checker (which reports every issue) and the evaluator
 * (which applies RFC 9989 §4.8: a bad value falls back to the default).
 */
#ifndef EMAUTH_DMARC_RECORD_INTERNAL_H
#define EMAUTH_DMARC_RECORD_INTERNAL_H

#include <stddef.h>
#include <emauth/dmarc.h>
#include "util/arena.h"

#define EA_DMARC_MAX_ISSUES 24
#define EA_DMARC_MAX_TAGS 64
#define EA_DMARC_MAX_URIS 32

typedef enum ea_dmarc_issue_kind {
    EA_DI_FATAL = 0,     /* v=DMARC1 not first or broken, a NUL, tag twice: the record is unusable */
    EA_DI_VALUE,         /* p sp np adkim aspf psd t pct, or a tag breaking the grammar (left
                          * out): the default applies (syntax for the API) */
    EA_DI_SOFT,          /* fo rf ri, too many URIs: ignored */
    EA_DI_URI,           /* a malformed rua/ruf URI, left out of the list */
    EA_DI_REMOVED        /* 9989: pct rf ri are no longer DMARC tags */
} ea_dmarc_issue_kind;

typedef struct ea_dmarc_issue {
    ea_dmarc_issue_kind kind;
    const char *tag;          /* arena copy of the tag name, or NULL */
    unsigned column;          /* 1-based, in the record */
    char message[160];
} ea_dmarc_issue;

typedef struct ea_dmarc_parsed {
    emauth_dmarc_record pub;  /* first: the public record is a view of this */
    ea_arena arena;
    int fatal;                /* unusable (an EA_DI_FATAL issue) */
    int bad_policy;           /* p, sp or np had an invalid value (RFC 9989 §4.10.1) */
    size_t nissues;
    ea_dmarc_issue issues[EA_DMARC_MAX_ISSUES];
} ea_dmarc_parsed;

/*
 * Parses text leniently: every problem becomes an issue, bad values keep
 * the default. NOMEM is the only failure; *out is then NULL.
 */
emauth_status ea_dmarc_parse(const char *text, size_t len, emauth_dmarc_mode mode,
                             ea_dmarc_parsed **out);
void ea_dmarc_parsed_free(ea_dmarc_parsed *p);

/* The first issue that makes emauth_dmarc_record_parse() fail, or NULL. */
const ea_dmarc_issue *ea_dmarc_first_syntax(const ea_dmarc_parsed *p);

#endif
