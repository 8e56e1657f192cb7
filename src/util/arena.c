/* Bump allocator; see arena.h. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/arena.h"

#define ARENA_ALIGN 16u
#define ARENA_FIRST 4096u

struct ea_block {
    ea_block *next;
    size_t cap;
    _Alignas(16) unsigned char data[];
};

void ea_arena_init(ea_arena *a)
{
    a->head = NULL;
    a->used = 0;
    a->cap = 0;
}

static int arena_grow(ea_arena *a, size_t n)
{
    size_t cap = a->cap ? a->cap * 2 : ARENA_FIRST;
    while (cap < n) {
        if (cap > SIZE_MAX / 2)
            return -1;
        cap *= 2;
    }
    if (cap > SIZE_MAX - sizeof(ea_block))
        return -1;
    ea_block *b = malloc(sizeof(ea_block) + cap);
    if (b == NULL)
        return -1;
    b->next = a->head;
    b->cap = cap;
    a->head = b;
    a->cap = cap;
    a->used = 0;
    return 0;
}

void *ea_arena_alloc(ea_arena *a, size_t n)
{
    if (n > SIZE_MAX - ARENA_ALIGN)
        return NULL;
    n = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (a->head == NULL || a->cap - a->used < n) {
        if (arena_grow(a, n) != 0)
            return NULL;
    }
    void *p = a->head->data + a->used;
    a->used += n;
    return p;
}

char *ea_arena_strndup(ea_arena *a, const char *s, size_t len)
{
    if (len == SIZE_MAX)
        return NULL;
    char *p = ea_arena_alloc(a, len + 1);
    if (p == NULL)
        return NULL;
    if (len)
        memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

void ea_arena_reset(ea_arena *a)
{
    if (a->head == NULL)
        return;
    ea_block *b = a->head->next;
    while (b != NULL) {
        ea_block *next = b->next;
        free(b);
        b = next;
    }
    a->head->next = NULL;
    a->used = 0;
}

void ea_arena_free(ea_arena *a)
{
    ea_arena_reset(a);
    free(a->head);
    ea_arena_init(a);
}
