/*
 * DKIM canonicalization (RFC 6376 §3.4) and the streaming body hash; see
 * canon.h.
 *
 * Body, both algorithms. Canonical bytes reach the digest through
 * hash_out(), which gathers small pieces in h->buf so that
 * EVP_DigestUpdate sees large ones, and digest(), which counts them all
 * (length) and hashes at most l= of them (hashed). Line ends are held back: every CRLF is
 * counted in h->empty_lines and written only when content follows, so
 * trailing empty lines vanish without lookahead. At the end a body that
 * had content gets one CRLF (the end of its last line, or the CRLF both
 * algorithms add to a body not ending in one); a body without content is
 * CRLF in simple (§3.4.3) and empty in relaxed (§3.4.4, erratum 1384).
 * A CR is a line end only with the LF after it; a chunk ending in CR keeps
 * it in h->cr until the next byte decides.
 *
 * simple: the canonical body is the input less its trailing empty lines,
 * so each chunk goes to the digest as it is, except for the CRLFs (and a
 * CR) at its end, which are held.
 *
 * relaxed: bytes pass through in runs; only a byte at or below SP stops a
 * run: a blank run is dropped and h->wsp set (one SP is written when
 * content follows on the same line), and a CRLF ends the line (held). A
 * single SP between two bytes above SP, and a CRLF between two lines of
 * content, are already canonical and stay inside the run. The search for
 * those bytes reads eight at a time.
 */
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "dkim/canon.h"

static int ieq(const char *s, size_t len, const char *lit, size_t lit_len)
{
    if (len != lit_len)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != lit[i])
            return 0;
    }
    return 1;
}

int ea_canon_parse(const char *s, size_t len)
{
    if (ieq(s, len, "simple", 6))
        return EA_CANON_SIMPLE;
    if (ieq(s, len, "relaxed", 7))
        return EA_CANON_RELAXED;
    return -1;
}

/* ---- canonical bytes to the digest ----------------------------------- */

/* Canonical bytes to the digest: all counted (length), at most l= hashed. */
static void digest(ea_body_hash *h, const void *s, size_t n)
{
    h->length += n;
    if (h->hashed >= h->limit)
        return;
    if (n > h->limit - h->hashed)
        n = (size_t)(h->limit - h->hashed);
    h->hashed += n;
    /* SHA updates cannot fail once the context is initialised. */
    EVP_DigestUpdate(h->md, s, n);
}

static void flush(ea_body_hash *h)
{
    if (h->nbuf > 0) {
        digest(h, h->buf, h->nbuf);
        h->nbuf = 0;
    }
}

/*
 * Canonical bytes out. Most are short runs between blanks: they are
 * gathered in h->buf with no more than a copy, the counting and the l= cut
 * left to flush().
 */
static inline void hash_out(ea_body_hash *h, const char *s, size_t n)
{
    if (n > sizeof h->buf - h->nbuf) {
        flush(h);
        if (n >= sizeof h->buf / 2) {
            digest(h, s, n);
            return;
        }
    }
    memcpy(h->buf + h->nbuf, s, n);
    h->nbuf += n;
}

static const char crlfs[] = "\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n";

/* The held CRLFs, now that content follows them. */
static void put_held_lines(ea_body_hash *h)
{
    uint64_t k = h->empty_lines;
    h->empty_lines = 0;
    while (k > 0) {
        size_t m = k < (sizeof crlfs - 1) / 2 ? (size_t)k : (sizeof crlfs - 1) / 2;
        hash_out(h, crlfs, 2 * m);
        k -= m;
    }
}

/* Content of a line: held line ends and blanks go first. */
static inline void content(ea_body_hash *h, const char *s, size_t n)
{
    if (n == 0)
        return;
    if (h->empty_lines > 0)
        put_held_lines(h);
    if (h->wsp) {
        h->wsp = 0;
        if (h->nbuf < sizeof h->buf)
            h->buf[h->nbuf++] = ' ';
        else
            hash_out(h, " ", 1);
    }
    hash_out(h, s, n);
}

static void line_end(ea_body_hash *h)
{
    h->wsp = 0;          /* blanks at the end of a line are dropped */
    h->empty_lines++;
}

/* ---- simple ---------------------------------------------------------- */

static void simple_update(ea_body_hash *h, const char *p, size_t n)
{
    if (h->cr) {
        h->cr = 0;
        if (p[0] == '\n') {
            h->empty_lines++;
            p++;
            n--;
        } else {
            content(h, "\r", 1);
        }
    }
    int cr = n > 0 && p[n - 1] == '\r';
    size_t end = n - (size_t)cr;
    uint64_t k = 0;
    while (end >= 2 && p[end - 2] == '\r' && p[end - 1] == '\n') {
        end -= 2;
        k++;
    }
    content(h, p, end);
    h->empty_lines += k;
    h->cr = cr;
}

/* ---- relaxed --------------------------------------------------------- */

#define ONES 0x0101010101010101ULL
#define HIGH 0x8080808080808080ULL
#define LOW7 0x7f7f7f7f7f7f7f7fULL

/* 0x80 in each byte lane of x holding 0x00-0x20 (no carry between lanes). */
static uint64_t lanes_upto_sp(uint64_t x)
{
    return ~(((x & LOW7) + (0x7f - 0x20) * ONES) | x) & HIGH;
}

/* 0x80 in each byte lane of x holding SP. */
static uint64_t lanes_sp(uint64_t x)
{
    uint64_t y = x ^ (0x20 * ONES);
    return ~(((y & LOW7) + LOW7) | y) & HIGH;
}

#if defined(__SSE2__)
static __m128i load16(const unsigned char *p)
{
    return _mm_loadu_si128((const __m128i *)(const void *)p);
}

/* 0xff in each lane of x holding 0x00-0x20. */
static __m128i upto_sp16(__m128i x)
{
    return _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(0x20)), x);
}

/*
 * The stops among the sixteen bytes at p + i (p[i - 2 .. i + 18) readable):
 * the bytes at or below SP, less a single SP before a byte above SP, and
 * less a CRLF between two bytes above SP (the end of a line of text
 * followed by more text, already canonical: the caller's CRLF test, with
 * the byte before the CR in the run). An LF lane is only skipped with the
 * CR before it, so i must not point inside a CRLF.
 */
static unsigned stops16(const unsigned char *p, size_t i)
{
    __m128i xm2 = load16(p + i - 2), xm1 = load16(p + i - 1), x0 = load16(p + i);
    __m128i x1 = load16(p + i + 1), x2 = load16(p + i + 2);
    __m128i upto0 = upto_sp16(x0), upto1 = upto_sp16(x1);
    __m128i text_m1 = _mm_andnot_si128(upto_sp16(xm1), _mm_set1_epi8(-1));
    __m128i single = _mm_andnot_si128(upto1, _mm_cmpeq_epi8(x0, _mm_set1_epi8(' ')));
    __m128i cr = _mm_and_si128(_mm_cmpeq_epi8(x0, _mm_set1_epi8('\r')),
                               _mm_cmpeq_epi8(x1, _mm_set1_epi8('\n')));
    cr = _mm_andnot_si128(upto_sp16(x2), _mm_and_si128(cr, text_m1));
    __m128i lf = _mm_and_si128(_mm_cmpeq_epi8(x0, _mm_set1_epi8('\n')),
                               _mm_cmpeq_epi8(xm1, _mm_set1_epi8('\r')));
    lf = _mm_andnot_si128(upto_sp16(xm2), _mm_andnot_si128(upto1, lf));
    __m128i skip = _mm_or_si128(single, _mm_or_si128(cr, lf));
    return (unsigned)_mm_movemask_epi8(_mm_andnot_si128(skip, upto0));
}

/* scan() sixteen bytes at a time; from i >= 2, so that p[i - 2] is there. */
static size_t scan_wide(const unsigned char *p, size_t i, size_t n)
{
    if (i < 2 && n > 2) {
        /* The first two bytes, as the byte loop of scan() would. */
        while (i < 2 && (p[i] > 0x20 || (p[i] == ' ' && p[i + 1] > 0x20)))
            i += p[i] > 0x20 ? 1 : 2;
        if (i < 2)
            return i;
    }
    while (n - i > 18) {
        unsigned mask = stops16(p, i);
        if (mask != 0)
            return i + (size_t)__builtin_ctz(mask);
        i += 16;
    }
    return i;
}
#endif

/*
 * The index of the next byte that relaxed canonicalization must look at:
 * one at or below SP, other than a single SP before a byte above SP.
 * Lane k of x1 is the byte after lane k of x0, whatever the byte order.
 */
static size_t scan(const unsigned char *p, size_t i, size_t n)
{
#if defined(__SSE2__)
    i = scan_wide(p, i, n);
    if (n - i > 18)
        return i;   /* found */
#endif
    while (n - i > 8) {
        uint64_t x0, x1;
        memcpy(&x0, p + i, 8);
        memcpy(&x1, p + i + 1, 8);
        if ((lanes_upto_sp(x0) & ~(lanes_sp(x0) & ~lanes_upto_sp(x1))) != 0)
            break;
        i += 8;
    }
    while (i < n) {
        if (p[i] > 0x20)
            i++;
        else if (p[i] == ' ' && n - i > 1 && p[i + 1] > 0x20)
            i += 2;
        else
            return i;
    }
    return n;
}

static void relaxed_update(ea_body_hash *h, const char *chunk, size_t n)
{
    const unsigned char *p = (const unsigned char *)chunk;
    size_t i = 0;
    if (h->cr) {
        h->cr = 0;
        if (p[0] == '\n') {
            line_end(h);
            i = 1;
        } else {
            content(h, "\r", 1);
        }
    }
    if (h->wsp)          /* a blank run goes on from the last chunk: scan() cannot see it */
        while (i < n && (p[i] == ' ' || p[i] == '\t'))
            i++;
    size_t run = i;      /* start of the bytes not yet written */
    while ((i = scan(p, i, n)) < n) {
        unsigned char c = p[i];
        if (c == '\r') {
            if (n - i == 1) {
                content(h, chunk + run, i - run);
                h->cr = 1;
                return;
            }
            if (p[i + 1] != '\n') {
                i++;     /* a bare CR is content */
                continue;
            }
            if (i > run && n - i > 2 && p[i + 2] > 0x20) {
                i += 3;  /* CRLF between two lines of content: canonical already */
                continue;
            }
            content(h, chunk + run, i - run);
            line_end(h);
            i += 2;
        } else if (c == ' ' || c == '\t') {
            content(h, chunk + run, i - run);
            while (i < n && (p[i] == ' ' || p[i] == '\t'))
                i++;
            h->wsp = 1;
        } else {
            i++;         /* another control byte: content */
            continue;
        }
        run = i;
    }
    content(h, chunk + run, n - run);
}

/* ---- body hash API --------------------------------------------------- */

emauth_status ea_body_hash_init(ea_body_hash *h, ea_canon c, const EVP_MD *md, uint64_t limit)
{
    h->md = NULL;
    if ((c != EA_CANON_SIMPLE && c != EA_CANON_RELAXED) || md == NULL)
        return EMAUTH_ERR_INVALID;
    h->canon = c;
    h->limit = limit;
    h->hashed = 0;
    h->length = 0;
    h->empty_lines = 0;
    h->wsp = 0;
    h->cr = 0;
    h->nbuf = 0;
    h->md = EVP_MD_CTX_new();
    if (h->md == NULL)
        return EMAUTH_ERR_NOMEM;
    if (EVP_DigestInit_ex(h->md, md, NULL) != 1) {
        ea_body_hash_free(h);
        return EMAUTH_ERR_INVALID;   /* a digest this OpenSSL will not do */
    }
    return EMAUTH_OK;
}

void ea_body_hash_update(ea_body_hash *h, const char *chunk, size_t len)
{
    if (len == 0)
        return;
    if (h->canon == EA_CANON_SIMPLE)
        simple_update(h, chunk, len);
    else
        relaxed_update(h, chunk, len);
}

emauth_status ea_body_hash_final(ea_body_hash *h, unsigned char *out, unsigned *len)
{
    *len = 0;
    if (h->md == NULL)
        return EMAUTH_ERR_INVALID;
    if (h->cr) {
        h->cr = 0;
        content(h, "\r", 1);   /* a CR at the very end ends no line */
    }
    h->wsp = 0;
    h->empty_lines = 0;
    flush(h);            /* so that length counts every byte */
    if (h->length > 0 || h->canon == EA_CANON_SIMPLE)
        hash_out(h, "\r\n", 2);
    flush(h);
    if (EVP_DigestFinal_ex(h->md, out, len) != 1)
        return EMAUTH_ERR_INVALID;
    return EMAUTH_OK;
}

void ea_body_hash_free(ea_body_hash *h)
{
    EVP_MD_CTX_free(h->md);
    h->md = NULL;
}

/* ---- header fields --------------------------------------------------- */

static int is_wsp(char c)
{
    return c == ' ' || c == '\t';
}

/*
 * §3.4.2: name in lower case, blanks before and after the colon dropped,
 * CRLFs of folding dropped, blank runs as one SP, none at the end. The
 * result is never longer than the field plus ":" and CRLF.
 */
static size_t relaxed_header(const char *f, size_t len, size_t name_len, char *w)
{
    size_t o = 0;
    for (size_t i = 0; i < name_len; i++) {
        char c = f[i];
        w[o++] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
    }
    size_t i = name_len;
    while (i < len && (is_wsp(f[i]) || f[i] == '\r' || f[i] == '\n'))
        i++;
    if (i < len && f[i] == ':')
        i++;
    w[o++] = ':';
    int blank = 0, started = 0;
    for (; i < len; i++) {
        char c = f[i];
        if (c == '\r' && len - i > 1 && f[i + 1] == '\n') {
            i++;         /* unfolding: the CRLF goes, the blanks after it stay */
            continue;
        }
        if (is_wsp(c)) {
            blank = 1;
            continue;
        }
        if (blank && started)
            w[o++] = ' ';
        blank = 0;
        started = 1;
        w[o++] = c;
    }
    return o;
}

int ea_canon_header(ea_canon c, const char *field, size_t len, size_t name_len, int crlf,
                    ea_buf *out)
{
    if (name_len > len)
        name_len = len;
    if (len > SIZE_MAX - 3 || ea_buf_reserve(out, len + 3) != 0)
        return -1;
    char *w = out->data + out->len;
    size_t o;
    if (c == EA_CANON_RELAXED) {
        o = relaxed_header(field, len, name_len, w);
    } else {
        if (len > 0)
            memcpy(w, field, len);
        o = len;
    }
    if (crlf) {
        w[o++] = '\r';
        w[o++] = '\n';
    }
    out->len += o;
    out->data[out->len] = '\0';
    return 0;
}
