/*
 * DKIM canonicalization (RFC 6376 §3.4) and the body hash, streaming.
 *
 * Input is what emauth_msg hands out: header fields with CRLF line ends
 * and folding kept; body chunks with CRLF line ends, split anywhere (a
 * chunk may end between CR and LF, or inside a run of blanks).
 */
#ifndef EMAUTH_DKIM_CANON_H
#define EMAUTH_DKIM_CANON_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include <emauth/error.h>
#include "util/buf.h"

typedef enum ea_canon { EA_CANON_SIMPLE = 0, EA_CANON_RELAXED = 1 } ea_canon;

/* "simple"/"relaxed" (any case, len bytes) to ea_canon; -1 when neither. */
int ea_canon_parse(const char *s, size_t len);

#define EA_BODY_NOLIMIT UINT64_MAX

/*
 * The body hash of one canonicalization and digest, with the l= limit:
 * trailing empty lines are held back (and dropped at the end), relaxed
 * blanks are held back until the next byte shows whether they end a line.
 * One pass over the bytes, no allocation per line.
 */
typedef struct ea_body_hash {
    ea_canon canon;
    EVP_MD_CTX *md;
    uint64_t limit;          /* canonical bytes to hash at most (l=), or EA_BODY_NOLIMIT */
    uint64_t hashed;         /* canonical bytes hashed */
    uint64_t length;         /* canonical body length (all of it, past the limit too): final once
                                ea_body_hash_final() returned; bytes in buf not yet counted */
    uint64_t empty_lines;    /* line ends held back: they are dropped if only empty lines follow */
    int wsp;                 /* relaxed: a blank run held back */
    int cr;                  /* the last chunk ended in CR */
    unsigned char buf[4096]; /* canonical bytes waiting for one EVP_DigestUpdate */
    size_t nbuf;
} ea_body_hash;

/* md: EVP_sha256() or EVP_sha1(). limit: l= or EA_BODY_NOLIMIT. */
emauth_status ea_body_hash_init(ea_body_hash *h, ea_canon c, const EVP_MD *md, uint64_t limit);
void ea_body_hash_update(ea_body_hash *h, const char *chunk, size_t len);
/* The digest into out (at least EVP_MAX_MD_SIZE bytes), its length into *len. */
emauth_status ea_body_hash_final(ea_body_hash *h, unsigned char *out, unsigned *len);
void ea_body_hash_free(ea_body_hash *h);

/*
 * Appends the canonical form of a header field (field[0..len), name
 * field[0..name_len)) to out, followed by CRLF when crlf (a signature's
 * own DKIM-Signature field is hashed without it, b= emptied by the caller).
 * Relaxed: lower-case name, unfolded, blank runs as one SP, no blanks
 * around the colon or at the end. Returns 0, or -1 when out of memory.
 */
int ea_canon_header(ea_canon c, const char *field, size_t len, size_t name_len, int crlf,
                    ea_buf *out);

#endif
