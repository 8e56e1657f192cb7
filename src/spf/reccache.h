/*
 * A small cache of parsed SPF records, keyed by the record text, kept by
 * an evaluator across checks. Bulk checks meet the same provider records
 * again and again; parsing them once saves a third of a check's time.
 *
 * Entries used by the running evaluation are pinned (their generation is
 * the current one) and never replaced during it, so frames may keep
 * pointers into them until the next start().
 *
 * The slots are allocated at an evaluator's second check: one made for a
 * single check (as the async engine does) never pays for the cache.
 */
#ifndef EMAUTH_SPF_RECCACHE_H
#define EMAUTH_SPF_RECCACHE_H

#include <stddef.h>
#include <stdint.h>
#include <emauth/spf.h>

#define EA_RECCACHE_SLOTS 64          /* power of two */
#define EA_RECCACHE_MAX_TEXT 1024     /* longer records are not cached */

typedef struct ea_reccache_entry {
    uint64_t hash;
    uint64_t gen;                     /* generation of the last use */
    size_t len;
    char *text;                       /* owned copy; terms point into it */
    emauth_spf_term *terms;           /* owned */
    emauth_spf_record rec;
} ea_reccache_entry;

typedef struct ea_reccache {
    uint64_t gen;
    ea_reccache_entry *slot;          /* EA_RECCACHE_SLOTS, or NULL: not armed yet */
} ea_reccache;

void ea_reccache_init(ea_reccache *c);
void ea_reccache_free(ea_reccache *c);
/* Starts a new evaluation: unpins every entry; from the second on, arms the cache. */
void ea_reccache_next_gen(ea_reccache *c);

/* The parsed record for text, or NULL when not cached (or not armed). Pins the entry. */
const emauth_spf_record *ea_reccache_get(ea_reccache *c, const char *text, size_t len,
                                         uint64_t *hash);

/*
 * Stores a copy of a successfully parsed record (rec's text and terms are
 * copied). Does nothing when the slot is pinned, the text is too long, or
 * memory is short, or the cache is not armed: it is only an optimisation. Returns the cached
 * record (pinned) or NULL.
 */
const emauth_spf_record *ea_reccache_put(ea_reccache *c, uint64_t hash,
                                         const emauth_spf_record *rec);

#endif
