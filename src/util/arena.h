/*
 * A bump allocator for per-evaluation data: many small allocations, freed
 * at once. Reset keeps the largest block so a reused evaluator stops
 * calling malloc once warm.
 */
#ifndef EMAUTH_UTIL_ARENA_H
#define EMAUTH_UTIL_ARENA_H

#include <stddef.h>

typedef struct ea_block ea_block;

typedef struct ea_arena {
    ea_block *head;      /* current block; older blocks chained behind it */
    size_t used;         /* bytes used in head */
    size_t cap;          /* usable bytes in head */
} ea_arena;

void ea_arena_init(ea_arena *a);
/* n bytes aligned for any scalar, or NULL when out of memory. */
void *ea_arena_alloc(ea_arena *a, size_t n);
/* A NUL-terminated copy of len bytes, or NULL. */
char *ea_arena_strndup(ea_arena *a, const char *s, size_t len);
/* Forgets every allocation, keeping the newest (largest) block. */
void ea_arena_reset(ea_arena *a);
void ea_arena_free(ea_arena *a);

#endif
