/*
 * DKIM canonicalization (RFC 6376 §3.4): the streaming body hash
 * (ea_body_hash_*, simple and relaxed, with and without l=) and the header
 * field canonicalizer ea_canon_header().
 *
 * Input: a flags byte (bit 0 relaxed, bit 1 SHA-1, bit 2 an l= limit from
 * the next two bytes, bits 3-4 piece sizes), a seed byte for the piece
 * sizes, then the body (which is also canonicalized as a header field,
 * name up to the first colon).
 *
 * Invariants, differential: the digest, the hashed count and the
 * canonical length are the same whether the body comes in one call or in
 * pieces split anywhere; hashed = min(l=, length); the hash with l= equal
 * to the canonical length is the hash without l=. Headers: simple is the
 * identity; relaxed is idempotent for a field whose line ends are all
 * CRLF (what emauth_msg hands out).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "dkim/canon.h"
#include "fuzz_util.h"
#include "util/buf.h"

typedef struct digest {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len;
    uint64_t hashed, length;
} digest;

static void body_hash(ea_canon c, const EVP_MD *md, uint64_t limit, const char *b, size_t len,
                      size_t max, uint32_t seed, digest *out)
{
    ea_body_hash h;
    if (ea_body_hash_init(&h, c, md, limit) != EMAUTH_OK)
        abort();
    for (size_t off = 0; off < len;) {
        size_t n = len - off;
        if (max) {
            seed = seed * 1103515245u + 12345u;
            size_t want = (seed >> 16) % (max + 1);   /* empty pieces too */
            n = want < n ? want : n;
        }
        ea_body_hash_update(&h, b + off, n);
        off += n;
    }
    if (ea_body_hash_final(&h, out->md, &out->len) != EMAUTH_OK)
        abort();
    out->hashed = h.hashed;
    out->length = h.length;
    ea_body_hash_free(&h);
}

static int same(const digest *a, const digest *b)
{
    return a->len == b->len && memcmp(a->md, b->md, a->len) == 0 && a->hashed == b->hashed &&
           a->length == b->length;
}

/* Every CR is followed by LF and every LF preceded by CR. */
static int crlf_only(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((s[i] == '\r' && (i + 1 == n || s[i + 1] != '\n')) ||
            (s[i] == '\n' && (i == 0 || s[i - 1] != '\r')))
            return 0;
    return 1;
}

static void headers(const char *f, size_t len)
{
    const char *colon = memchr(f, ':', len);
    size_t name_len = colon ? (size_t)(colon - f) : len;
    while (name_len > 0 && (f[name_len - 1] == ' ' || f[name_len - 1] == '\t'))
        name_len--;
    ea_buf s, r1, r2;
    ea_buf_init(&s);
    ea_buf_init(&r1);
    ea_buf_init(&r2);
    if (ea_canon_header(EA_CANON_SIMPLE, f, len, name_len, 1, &s) != 0 || s.len != len + 2 ||
        (len && memcmp(s.data, f, len) != 0) || memcmp(s.data + len, "\r\n", 2) != 0)
        abort();
    if (ea_canon_header(EA_CANON_RELAXED, f, len, name_len, 0, &r1) != 0 || r1.len > len + 1)
        abort();
    if (colon && crlf_only(f, len)) {
        if (ea_canon_header(EA_CANON_RELAXED, r1.data, r1.len, name_len, 0, &r2) != 0 ||
            r2.len != r1.len || memcmp(r1.data, r2.data, r1.len) != 0)
            abort();
    }
    ea_buf_free(&s);
    ea_buf_free(&r1);
    ea_buf_free(&r2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t maxes[] = {3, 17, 700, 5000};
    fz_in in = {data, size};
    uint8_t flags = fz_u8(&in);
    uint8_t seed = fz_u8(&in);
    uint64_t limit = EA_BODY_NOLIMIT;
    if (flags & 4)
        limit = fz_u16(&in);
    char *body = fz_dup_exact(in.p, in.len);
    ea_canon c = flags & 1 ? EA_CANON_RELAXED : EA_CANON_SIMPLE;
    const EVP_MD *md = flags & 2 ? EVP_sha1() : EVP_sha256();

    digest whole, pieces;
    body_hash(c, md, limit, body, in.len, 0, 0, &whole);
    body_hash(c, md, limit, body, in.len, maxes[(flags >> 3) & 3], seed, &pieces);
    if (!same(&whole, &pieces))
        abort();
    if (whole.hashed != (limit < whole.length ? limit : whole.length))
        abort();
    if (limit == EA_BODY_NOLIMIT) {
        digest exact;
        body_hash(c, md, whole.length, body, in.len, 0, 0, &exact);
        if (!same(&whole, &exact))
            abort();
    }
    headers(body, in.len);
    free(body);
    return 0;
}
