/*
 * Shared by the fuzz targets: a cursor that carves parameters and pieces
 * out of one fuzz input. Reads past the end yield zeros and empty pieces,
 * so every input is valid and a target stays deterministic.
 *
 * Pieces handed to the code under test are copied into buffers of exactly
 * their size (fz_dup), so a read one byte past a piece is caught by ASan
 * or valgrind instead of landing in the rest of the input.
 */
#ifndef EMAUTH_FUZZ_UTIL_H
#define EMAUTH_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct fz_in {
    const uint8_t *p;
    size_t len;
} fz_in;

static inline uint8_t fz_u8(fz_in *in)
{
    if (in->len == 0)
        return 0;
    in->len--;
    return *in->p++;
}

static inline uint16_t fz_u16(fz_in *in)
{
    uint16_t hi = fz_u8(in);
    return (uint16_t)(hi << 8 | fz_u8(in));
}

/* The next piece: up to the separator byte sep (dropped), or the rest. */
static inline size_t fz_piece(fz_in *in, uint8_t sep, const uint8_t **out)
{
    const uint8_t *end = memchr(in->p, sep, in->len);
    size_t n = end ? (size_t)(end - in->p) : in->len;
    *out = in->p;
    in->p += n;
    in->len -= n;
    if (end) {
        in->p++;
        in->len--;
    }
    return n;
}

/*
 * A malloc'ed copy of p[0..n) with a NUL after it (for APIs that want C
 * strings); the NUL is outside n, so length-taking APIs still see an exact
 * buffer. Never NULL (aborts: the fuzzer must not run out of memory here).
 */
static inline char *fz_dup(const void *p, size_t n)
{
    char *s = malloc(n + 1);
    if (s == NULL)
        abort();
    if (n)
        memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

/* A copy without the terminating NUL: a read at s[n] is out of bounds. */
static inline char *fz_dup_exact(const void *p, size_t n)
{
    char *s = malloc(n ? n : 1);
    if (s == NULL)
        abort();
    if (n)
        memcpy(s, p, n);
    return s;
}

/* The next piece up to sep as a C string; embedded NULs cut it short. */
static inline char *fz_str(fz_in *in, uint8_t sep)
{
    const uint8_t *p;
    size_t n = fz_piece(in, sep, &p);
    return fz_dup(p, n);
}

/* Touches every byte of a C string so sanitizers see a bad pointer. */
static inline size_t fz_touch(const char *s)
{
    return s ? strlen(s) : 0;
}

/* Reads n bytes at p (memcpy is checked in full by ASan and valgrind). */
static inline void fz_touch_mem(const void *p, size_t n)
{
    if (n == 0)
        return;
    void *copy = malloc(n);
    if (copy == NULL)
        abort();
    memcpy(copy, p, n);
    free(copy);
}

#endif
