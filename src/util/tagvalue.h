/*
 * Tag=value lists (RFC 6376 §3.2), shared by DKIM-Signature fields, DKIM
 * key records and DMARC records.
 *
 *   tag-list  = tag-spec *( ";" tag-spec ) [ ";" ]
 *   tag-spec  = [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
 *   tag-name  = ALPHA *ALNUMPUNC          ; ALNUMPUNC = ALPHA / DIGIT / "_"
 *   tag-value = [ tval *( 1*(WSP / FWS) tval ) ]
 *   tval      = 1*VALCHAR                 ; VALCHAR = %x21-3A / %x3C-7E
 */
#ifndef EMAUTH_UTIL_TAGVALUE_H
#define EMAUTH_UTIL_TAGVALUE_H

#include <stddef.h>
#include <emauth/error.h>

typedef struct ea_tag {
    const char *name;      /* points into the input */
    size_t name_len;
    const char *value;     /* without surrounding FWS; inner FWS kept as written */
    size_t value_len;
    unsigned column;       /* 1-based byte offset of the name in the input */
} ea_tag;

/*
 * Parses s[0..len) into at most max tags. A malformed list, a tag twice
 * (names compared case-sensitively, as §3.2 says), or more than max tags
 * is EMAUTH_ERR_SYNTAX with err naming the tag and column. An empty list
 * (only FWS) is 0 tags.
 */
emauth_status ea_tags_parse(const char *s, size_t len, ea_tag *out, size_t max, size_t *n,
                            emauth_error *err);

/* The tag named name, or NULL. */
const ea_tag *ea_tags_find(const ea_tag *tags, size_t n, const char *name);

#endif
