/*
 * Private pieces shared by the zone store (zone.c), the master-file parser
 * (zone_parse.c) and the type table (dns.c).
 *
 * Names travel in two forms. ea_zone_wire holds length-prefixed labels
 * (the wire form without the root byte), lower-cased: it is what limits are
 * checked on and what $ORIGIN is appended to. The canonical text form is
 * what the store keys on and hands out: labels joined by '.', no trailing
 * dot, every byte that is not printable ASCII, or is '.' or '\' inside a
 * label, written as \DDD. So a '.' in canonical text always separates
 * labels, and two spellings of one name give the same text.
 */
#ifndef EMAUTH_DNS_ZONE_INTERNAL_H
#define EMAUTH_DNS_ZONE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <emauth/dns.h>

#include "util/arena.h"

#define EA_ZONE_LABEL_MAX 63                    /* bytes in one label */
#define EA_ZONE_NAME_MAX 253                    /* bytes of a name, dots included */
#define EA_ZONE_WIRE_MAX (EA_ZONE_NAME_MAX + 1) /* length bytes + label bytes */
#define EA_ZONE_TEXT_MAX (EA_ZONE_NAME_MAX * 4 + 1) /* all bytes as \DDD, + NUL */
#define EA_ZONE_CNAME_MAX 16                    /* CNAME hops followed by a query */

typedef struct ea_zone_wire {
    size_t len;                    /* bytes used in b; 0 is the root */
    uint8_t b[EA_ZONE_WIRE_MAX];
} ea_zone_wire;

/*
 * Decodes one byte of presentation text at text[*i] (a plain byte, \X or
 * \DDD) and advances *i. Returns NULL, or why the escape is malformed.
 */
const char *ea_zone_unescape(const char *text, size_t len, size_t *i, unsigned char *out);

/*
 * Parses a presentation-form name of len bytes into out, lower-cased.
 * *absolute tells whether it ended in '.' ("." alone is the root). Returns
 * NULL, or a constant reason ("label longer than 63 bytes", ...).
 */
const char *ea_zone_name_parse(const char *text, size_t len, ea_zone_wire *out, int *absolute);

/* Appends origin to a relative name; NULL or why (too long). */
const char *ea_zone_name_append(ea_zone_wire *name, const ea_zone_wire *origin);

/* Writes the canonical text of w into out (EA_ZONE_TEXT_MAX bytes); returns its length. */
size_t ea_zone_name_text(const ea_zone_wire *w, char *out);

/* What a staged entry asks the store to do. */
typedef enum ea_zone_stage_kind {
    EA_ZONE_STAGE_RR,       /* add rr at owner */
    EA_ZONE_STAGE_TIMEOUT,  /* $TIMEOUT owner */
    EA_ZONE_STAGE_EXISTS    /* owner holds records of a type we skip: it exists */
} ea_zone_stage_kind;

/*
 * One result of parsing a master file, kept aside until the whole load has
 * succeeded. Every string points into the load's arena.
 */
typedef struct ea_zone_staged {
    ea_zone_stage_kind kind;
    const char *owner;      /* canonical text */
    size_t owner_len;
    emauth_dns_rr rr;       /* for EA_ZONE_STAGE_RR */
} ea_zone_staged;

/*
 * Adds staged entries to the zone. The zone takes over *arena (the strings
 * live there); *arena is left empty whatever the outcome. Fails only when
 * out of memory, and then may have added a prefix of recs.
 */
emauth_status ea_zone_commit(emauth_zone *zone, ea_arena *arena, const ea_zone_staged *recs,
                             size_t n, emauth_error *err);

/* Passes a warning to the zone's callback, if any. */
void ea_zone_warn(emauth_zone *zone, const char *msg);

/* Type code for a mnemonic (case-insensitive, "TXT"); 0 or -1 when unknown. In dns.c. */
int ea_dns_type_from_name(const char *p, size_t len, uint16_t *type);

#endif
