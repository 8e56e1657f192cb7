/*
 * The DKIM signer (emauth/dkim.h, "Signing"; RFC 6376 §5, RFC 8463).
 *
 *   new --> header* --> eoh --> body* --> eom (the DKIM-Signature fields)
 *
 * Header fields that a signature may sign are kept until the end of the
 * header (at most KEPT_FIELDS fields, KEPT_BYTES bytes); there each
 * signature's h= is settled and the fields it names are hashed (§5.4.2:
 * the instances of a name from the bottom up), and the kept fields are
 * dropped. The body goes through one streaming body hash per
 * canonicalization in use, so memory stays constant for any body. At the
 * end each DKIM-Signature field is written folded, with b= empty; that
 * exact text is canonicalized and hashed last (§3.7), the digest signed
 * (Ed25519: PureEdDSA over the SHA-256 digest, RFC 8463 §3), and the
 * folded signature appended after "b=".
 *
 * Default h= (opts.headers NULL): the names of DEFAULT_HEADERS present in
 * the message, each as many times as it occurs (every instance signed),
 * and From once more than it occurs, so that a From added later breaks
 * the signature (§8.15). From is in h= even when absent (§5.4).
 *
 * Folding: lines of at most 78 columns before the CRLF; folds are CRLF
 * and one space, between tags, after a ':' in h=, or inside b= and bh=
 * (FWS is allowed anywhere in base64, §3.5). A single d=, s= or i= value
 * longer than a line is left whole. b= is last, starts on the line of
 * "b=" and ends the field, so no whitespace surrounds its value.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/evp.h>

#include "dkim/canon.h"
#include "dkim/crypto.h"
#include "dkim/keys.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/error.h"

#define SIGN_MAX 10               /* signatures per signer */
#define HEADERS_MAX 64            /* names in a given h= */
#define KEPT_FIELDS 1000          /* header fields kept until the end of the header */
#define KEPT_BYTES (1024 * 1024)
#define EXPIRE_MAX (100ULL * 366 * 86400)
#define FOLD_WIDTH 78
#define B64_MIN 16                /* base64 characters that must fit beside "b=" / "bh=" */

/*
 * RFC 6376 §5.4.1's list, then fields OpenDKIM and dkimpy sign too (RFC 8058
 * requires List-Unsubscribe-Post signed).
 */
static const char *const default_headers[] = {
    "from", "reply-to", "subject", "date", "to", "cc", "resent-date", "resent-from",
    "resent-sender", "resent-to", "resent-cc", "in-reply-to", "references", "list-id",
    "list-help", "list-unsubscribe", "list-subscribe", "list-post", "list-owner", "list-archive",
    "sender", "message-id", "mime-version", "content-type", "content-transfer-encoding",
    "list-unsubscribe-post",
};
#define NDEFAULT (sizeof default_headers / sizeof default_headers[0])

typedef struct sig {
    EVP_PKEY *pkey;               /* a reference of its own */
    ea_dkim_alg alg;
    ea_canon hcanon, bcanon;
    const char *domain, *selector, *identity;
    const char **headers;         /* as given, or NULL: the default */
    size_t nheaders;
    const char *hlist;            /* h= as written, settled at eoh */
    int64_t timestamp, expiration;   /* -1: none */
    int body_length;
    EVP_MD_CTX *hctx;             /* the header hash */
} sig;

typedef struct kept_field {
    size_t off, len, name_len;    /* in the signer's kept buffer */
} kept_field;

enum stage { ST_HEADER, ST_BODY, ST_DONE };

struct emauth_dkim_signer {
    ea_arena arena;
    sig sigs[SIGN_MAX];
    size_t n;
    enum stage stage;
    ea_buf kept;                  /* header fields kept until eoh */
    kept_field *fields;
    size_t nfields;
    ea_buf scratch;               /* one canonical header field */
    ea_body_hash body[2];         /* per canonicalization (ea_canon) in use */
    int body_used[2];
    unsigned char bh[2][EVP_MAX_MD_SIZE];   /* their digests, at eom */
    unsigned bhlen[2];
};

/* ---- Checking the options ---------------------------------------------------------- */

static int name_char(unsigned char c, int dots)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || (dots && c == '.');
}

/* A domain or selector we can publish: labels of letters, digits, '-', '_'. */
static int good_name(const char *s)
{
    size_t len = strlen(s), label = 0;
    if (len == 0 || len > 253)
        return 0;
    for (size_t i = 0; i < len; i++) {
        if (!name_char((unsigned char)s[i], 1))
            return 0;
        label = s[i] == '.' ? 0 : label + 1;
        if (label > 63 || (s[i] == '.' && (i == 0 || s[i - 1] == '.')))
            return 0;
    }
    return s[len - 1] != '.';
}

/* d equals dom or is a subdomain of it (ASCII case-insensitive). */
static int within(const char *d, size_t dlen, const char *dom)
{
    size_t n = strlen(dom);
    if (dlen < n || strncasecmp(d + dlen - n, dom, n) != 0)
        return 0;
    return dlen == n || d[dlen - n - 1] == '.';
}

/* i=: "[local-part]@domain", printable ASCII without ';', its domain within d= (§3.5). */
static const char *bad_identity(const char *i, const char *domain)
{
    const char *at = strrchr(i, '@');
    for (const char *p = i; *p != '\0'; p++)
        if (*p <= ' ' || *p >= 0x7f || *p == ';')
            return "bytes a DKIM tag cannot carry";
    if (at == NULL || !good_name(at + 1))
        return "not [local-part]@domain";
    if (!within(at + 1, strlen(at + 1), domain))
        return "its domain is not d= or a subdomain of it";
    return NULL;
}

/* A field name: printable ASCII without ':' (RFC 5322 §3.6.8). */
static int good_field_name(const char *s)
{
    if (*s == '\0')
        return 0;
    for (; *s != '\0'; s++)
        if (*s <= ' ' || *s >= 0x7f || *s == ':')
            return 0;
    return 1;
}

/* s for a message, "" when NULL. */
static const char *quoted(char q[64], const char *s)
{
    return s != NULL ? ea_quote(q, 64, s, strlen(s), 40) : "";
}

static emauth_status check_headers(const emauth_dkim_sign_options *o, size_t i, emauth_error *err)
{
    int from = 0;
    char q[64];
    if (o->nheaders == 0 || o->nheaders > HEADERS_MAX)
        return ea_error(err, EMAUTH_ERR_INVALID, 0, 0, "signature %zu: h= needs 1 to %d names",
                        i + 1, HEADERS_MAX);
    for (size_t k = 0; k < o->nheaders; k++) {
        const char *h = o->headers[k];
        if (h == NULL || !good_field_name(h))
            return ea_error(err, EMAUTH_ERR_INVALID, 0, 0,
                            "signature %zu: h=: not a header field name: \"%s\"", i + 1,
                            quoted(q, h));
        from |= strcasecmp(h, "from") == 0;
    }
    if (!from)
        return ea_error(err, EMAUTH_ERR_INVALID, 0, 0,
                        "signature %zu: h= must include From (RFC 6376 section 5.4)", i + 1);
    return EMAUTH_OK;
}

static emauth_status check_names(const emauth_dkim_sign_options *o, size_t i, emauth_error *err)
{
    char q[64];
    const char *why;
    if (o->domain == NULL || !good_name(o->domain))
        return ea_error(err, EMAUTH_ERR_INVALID, 0, 0,
                        "signature %zu: d=: not a domain name: \"%s\"", i + 1, quoted(q, o->domain));
    if (o->selector == NULL || !good_name(o->selector))
        return ea_error(err, EMAUTH_ERR_INVALID, 0, 0, "signature %zu: s=: not a selector: \"%s\"",
                        i + 1, quoted(q, o->selector));
    if (o->identity != NULL && (why = bad_identity(o->identity, o->domain)) != NULL)
        return ea_error(err, EMAUTH_ERR_INVALID, 0, 0, "signature %zu: i=\"%s\": %s", i + 1,
                        quoted(q, o->identity), why);
    return EMAUTH_OK;
}

static emauth_status check_key(const emauth_dkim_sign_options *o, size_t i, emauth_error *err)
{
    if (o->key == NULL)
        return ea_error(err, EMAUTH_ERR_INVALID, 0, 0, "signature %zu: no key", i + 1);
    unsigned bits = emauth_dkim_key_bits(o->key);
    if (emauth_dkim_key_kind(o->key) == EMAUTH_DKIM_RSA && bits < 1024)
        return ea_error(err, EMAUTH_ERR_INVALID, 0, 0,
                        "signature %zu: a %u-bit RSA key: signers use 1024 bits or more "
                        "(RFC 8301 section 3.2)", i + 1, bits);
    return EMAUTH_OK;
}

/* A canonicalization name, NULL meaning relaxed. */
static int canon_of(const char *name)
{
    return name == NULL ? (int)EA_CANON_RELAXED : ea_canon_parse(name, strlen(name));
}

static emauth_status check_options(const emauth_dkim_sign_options *o, size_t i, emauth_error *err)
{
    emauth_status st = check_key(o, i, err);
    if (st == EMAUTH_OK)
        st = check_names(o, i, err);
    if (st == EMAUTH_OK && o->headers != NULL)
        st = check_headers(o, i, err);
    if (st != EMAUTH_OK)
        return st;
    if (canon_of(o->header_canon) < 0 || canon_of(o->body_canon) < 0)
        return ea_error(err, EMAUTH_ERR_INVALID, 0, 0,
                        "signature %zu: canonicalization is simple or relaxed", i + 1);
    if (o->timestamp < -1 || o->expire_after > EXPIRE_MAX)
        return ea_error(err, EMAUTH_ERR_INVALID, 0, 0, "signature %zu: t= or x= out of range",
                        i + 1);
    return EMAUTH_OK;
}

/* ---- Creating ------------------------------------------------------------------------- */

static const char *dup(ea_arena *a, const char *s)
{
    return s != NULL ? ea_arena_strndup(a, s, strlen(s)) : NULL;
}

/* Copies the given h= names into the arena; 0, or -1 when out of memory. */
static int copy_headers(ea_arena *a, sig *g, const emauth_dkim_sign_options *o)
{
    if (o->headers == NULL)
        return 0;
    g->headers = ea_arena_alloc(a, o->nheaders * sizeof *g->headers);
    if (g->headers == NULL)
        return -1;
    for (size_t k = 0; k < o->nheaders; k++)
        if ((g->headers[k] = dup(a, o->headers[k])) == NULL)
            return -1;
    g->nheaders = o->nheaders;
    return 0;
}

static emauth_status setup_body(emauth_dkim_signer *s, ea_canon c)
{
    if (s->body_used[c])
        return EMAUTH_OK;
    emauth_status st = ea_body_hash_init(&s->body[c], c, EVP_sha256(), EA_BODY_NOLIMIT);
    s->body_used[c] = st == EMAUTH_OK;
    return st;
}

static emauth_status setup_sig(emauth_dkim_signer *s, sig *g, const emauth_dkim_sign_options *o)
{
    ea_arena *a = &s->arena;
    int64_t now = (int64_t)time(NULL);
    g->alg = emauth_dkim_key_kind(o->key) == EMAUTH_DKIM_RSA ? EA_DKIM_RSA_SHA256
                                                             : EA_DKIM_ED25519_SHA256;
    g->hcanon = (ea_canon)canon_of(o->header_canon);
    g->bcanon = (ea_canon)canon_of(o->body_canon);
    g->timestamp = o->timestamp == 0 ? now : o->timestamp;
    g->expiration = o->expire_after == 0 ? -1
                    : (g->timestamp >= 0 ? g->timestamp : now) + (int64_t)o->expire_after;
    g->body_length = o->body_length;
    g->domain = dup(a, o->domain);
    g->selector = dup(a, o->selector);
    g->identity = dup(a, o->identity);
    if (g->domain == NULL || g->selector == NULL || (o->identity && g->identity == NULL) ||
        copy_headers(a, g, o) != 0 || (g->hctx = EVP_MD_CTX_new()) == NULL ||
        EVP_DigestInit_ex(g->hctx, EVP_sha256(), NULL) != 1)
        return EMAUTH_ERR_NOMEM;
    g->pkey = ea_dkim_key_pkey(o->key);
    EVP_PKEY_up_ref(g->pkey);
    return setup_body(s, g->bcanon);
}

emauth_status emauth_dkim_signer_new(const emauth_dkim_sign_options *opts, size_t n,
                                     emauth_dkim_signer **out, emauth_error *err)
{
    *out = NULL;
    if (n == 0 || n > SIGN_MAX)
        return ea_error(err, EMAUTH_ERR_INVALID, 0, 0, "1 to %d signatures, not %zu", SIGN_MAX, n);
    for (size_t i = 0; i < n; i++) {
        emauth_status st = check_options(&opts[i], i, err);
        if (st != EMAUTH_OK)
            return st;
    }
    emauth_dkim_signer *s = calloc(1, sizeof *s);
    if (s == NULL)
        return ea_error(err, EMAUTH_ERR_NOMEM, 0, 0, "out of memory");
    ea_arena_init(&s->arena);
    ea_buf_init(&s->kept);
    ea_buf_init(&s->scratch);
    for (; s->n < n; s->n++)
        if (setup_sig(s, &s->sigs[s->n], &opts[s->n]) != EMAUTH_OK) {
            s->n++;
            emauth_dkim_signer_free(s);
            return ea_error(err, EMAUTH_ERR_NOMEM, 0, 0, "out of memory");
        }
    *out = s;
    return EMAUTH_OK;
}

static void drop_kept(emauth_dkim_signer *s)
{
    ea_buf_free(&s->kept);
    free(s->fields);
    s->fields = NULL;
    s->nfields = 0;
}

void emauth_dkim_signer_free(emauth_dkim_signer *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->n; i++) {
        EVP_PKEY_free(s->sigs[i].pkey);
        EVP_MD_CTX_free(s->sigs[i].hctx);
    }
    for (int c = 0; c < 2; c++)
        if (s->body_used[c])
            ea_body_hash_free(&s->body[c]);
    drop_kept(s);
    ea_buf_free(&s->scratch);
    ea_arena_free(&s->arena);
    free(s);
}

/* ---- The header ------------------------------------------------------------------------ */

static int name_is(const char *field, size_t name_len, const char *name)
{
    return strlen(name) == name_len && strncasecmp(field, name, name_len) == 0;
}

/* 1 when some signature may sign a field of this name. */
static int wanted(const emauth_dkim_signer *s, const char *field, size_t name_len)
{
    for (size_t i = 0; i < s->n; i++) {
        const sig *g = &s->sigs[i];
        const char *const *names = g->headers != NULL ? g->headers : default_headers;
        size_t n = g->headers != NULL ? g->nheaders : NDEFAULT;
        for (size_t k = 0; k < n; k++)
            if (name_is(field, name_len, names[k]))
                return 1;
    }
    return 0;
}

static emauth_status keep_field(emauth_dkim_signer *s, const char *field, size_t len,
                                size_t name_len)
{
    if (s->nfields >= KEPT_FIELDS || len > KEPT_BYTES - s->kept.len)
        return EMAUTH_ERR_LIMIT;
    if ((s->nfields & (s->nfields - 1)) == 0) {   /* 0, 1, 2, 4...: grow */
        kept_field *f = realloc(s->fields, (s->nfields ? 2 * s->nfields : 1) * sizeof *f);
        if (f == NULL)
            return EMAUTH_ERR_NOMEM;
        s->fields = f;
    }
    s->fields[s->nfields] = (kept_field){s->kept.len, len, name_len};
    if (ea_buf_append(&s->kept, field, len) != 0)
        return EMAUTH_ERR_NOMEM;
    s->nfields++;
    return EMAUTH_OK;
}

emauth_status emauth_dkim_sign_header(emauth_dkim_signer *s, const char *field, size_t len,
                                      size_t name_len)
{
    if (s->stage != ST_HEADER || name_len == 0 || name_len > len)
        return EMAUTH_ERR_INVALID;
    return wanted(s, field, name_len) ? keep_field(s, field, len, name_len) : EMAUTH_OK;
}

static const char *kept_text(const emauth_dkim_signer *s, const kept_field *f)
{
    return s->kept.data + f->off;
}

/* How many kept fields are named name. */
static size_t occurrences(const emauth_dkim_signer *s, const char *name)
{
    size_t n = 0;
    for (size_t i = 0; i < s->nfields; i++)
        n += name_is(kept_text(s, &s->fields[i]), s->fields[i].name_len, name);
    return n;
}

/* The default h=: the names present, each once per instance, From once more (at least once). */
static int default_hlist(const emauth_dkim_signer *s, ea_buf *h)
{
    for (size_t k = 0; k < NDEFAULT; k++) {
        size_t n = occurrences(s, default_headers[k]) + (k == 0);
        for (size_t j = 0; j < n; j++)
            if ((h->len > 0 && ea_buf_putc(h, ':') != 0) || ea_buf_puts(h, default_headers[k]) != 0)
                return -1;
    }
    return 0;
}

static int given_hlist(const sig *g, ea_buf *h)
{
    for (size_t k = 0; k < g->nheaders; k++)
        if ((k > 0 && ea_buf_putc(h, ':') != 0) || ea_buf_puts(h, g->headers[k]) != 0)
            return -1;
    return 0;
}

/* The kept field a name selects after `used` earlier selections of it: bottom up (§5.4.2). */
static const kept_field *select_field(const emauth_dkim_signer *s, const char *name, size_t len,
                                      size_t used)
{
    for (size_t i = s->nfields; i-- > 0;) {
        const kept_field *f = &s->fields[i];
        if (f->name_len == len && strncasecmp(kept_text(s, f), name, len) == 0 && used-- == 0)
            return f;
    }
    return NULL;
}

/* Canonicalizes a field into the header hash of g. */
static int hash_field(emauth_dkim_signer *s, sig *g, const char *field, size_t len,
                      size_t name_len, int crlf)
{
    s->scratch.len = 0;
    return ea_canon_header(g->hcanon, field, len, name_len, crlf, &s->scratch) != 0 ||
                   EVP_DigestUpdate(g->hctx, s->scratch.data, s->scratch.len) != 1
               ? -1
               : 0;
}

/* Hashes the fields h= names, in its order; a name past its instances adds nothing. */
static int hash_headers(emauth_dkim_signer *s, sig *g)
{
    const char *h = g->hlist;
    while (*h != '\0') {
        size_t len = strcspn(h, ":"), used = 0;
        for (const char *p = g->hlist; p < h; p += strcspn(p, ":") + 1)
            used += strcspn(p, ":") == len && strncasecmp(p, h, len) == 0;
        const kept_field *f = select_field(s, h, len, used);
        if (f != NULL && hash_field(s, g, kept_text(s, f), f->len, f->name_len, 1) != 0)
            return -1;
        h += len + (h[len] == ':');
    }
    return 0;
}

static emauth_status settle_sig(emauth_dkim_signer *s, sig *g)
{
    ea_buf h;
    ea_buf_init(&h);
    int rc = g->headers != NULL ? given_hlist(g, &h) : default_hlist(s, &h);
    if (rc == 0)
        rc = (g->hlist = ea_arena_strndup(&s->arena, h.data, h.len)) == NULL ? -1 : 0;
    ea_buf_free(&h);
    return rc == 0 && hash_headers(s, g) == 0 ? EMAUTH_OK : EMAUTH_ERR_NOMEM;
}

emauth_status emauth_dkim_sign_eoh(emauth_dkim_signer *s)
{
    if (s->stage != ST_HEADER)
        return EMAUTH_ERR_INVALID;
    for (size_t i = 0; i < s->n; i++) {
        emauth_status st = settle_sig(s, &s->sigs[i]);
        if (st != EMAUTH_OK)
            return st;
    }
    drop_kept(s);
    s->stage = ST_BODY;
    return EMAUTH_OK;
}

emauth_status emauth_dkim_sign_body(emauth_dkim_signer *s, const char *chunk, size_t len)
{
    if (s->stage != ST_BODY)
        return EMAUTH_ERR_INVALID;
    for (int c = 0; c < 2; c++)
        if (s->body_used[c])
            ea_body_hash_update(&s->body[c], chunk, len);
    return EMAUTH_OK;
}

/* ---- Writing the field, folded ------------------------------------------------------------- */

typedef struct folder {
    ea_buf *out;
    size_t col;       /* characters on the current line */
    int tags;         /* tags written so far */
    int failed;
} folder;

static void put(folder *f, const char *s, size_t n)
{
    f->failed |= ea_buf_append(f->out, s, n) != 0;
    f->col += n;
}

static void fold(folder *f)
{
    put(f, "\r\n ", 3);
    f->col = 1;
}

/*
 * Starts "name=" after "; " or a fold, so that `first` more characters
 * (and a ';') fit on the line beside it.
 */
static void tag_start(folder *f, const char *name, size_t first)
{
    size_t len = strlen(name);
    if (f->tags++ > 0)
        put(f, ";", 1);
    if (f->col + 1 + len + 1 + first + 1 > FOLD_WIDTH)
        fold(f);
    else
        put(f, " ", 1);
    put(f, name, len);
    put(f, "=", 1);
}

/* A value that cannot be folded (v a c d s t x i l). */
static void tag_atom(folder *f, const char *name, const char *value)
{
    size_t len = strlen(value);
    tag_start(f, name, len);
    put(f, value, len);
}

static void tag_number(folder *f, const char *name, int64_t v)
{
    char n[24];
    snprintf(n, sizeof n, "%" PRId64, v);
    tag_atom(f, name, n);
}

/* A colon list (h=), folded after a ':'. */
static void tag_list(folder *f, const char *name, const char *list)
{
    size_t first = strcspn(list, ":");
    tag_start(f, name, first + (list[first] == ':'));
    for (const char *p = list; *p != '\0';) {
        size_t len = strcspn(p, ":");
        len += p[len] == ':';
        if (p != list && f->col + len + 1 > FOLD_WIDTH)
            fold(f);
        put(f, p, len);
        p += len;
    }
}

/* Base64 folded anywhere, as much on each line as fits (beside a ';'). */
static void put_base64(folder *f, const char *v, size_t len)
{
    while (len > 0) {
        if (f->col + 1 >= FOLD_WIDTH)
            fold(f);
        size_t room = FOLD_WIDTH - 1 - f->col;
        size_t n = len < room ? len : room;
        put(f, v, n);
        v += n;
        len -= n;
    }
}

/* b= and bh=: the first B64_MIN characters beside the name. */
static void tag_base64(folder *f, const char *name, const char *v, size_t len)
{
    tag_start(f, name, len < B64_MIN ? len : B64_MIN);
    put_base64(f, v, len);
}

/* "DKIM-Signature:" and every tag up to "bh=...;", "b=" (empty). */
static void write_field(folder *f, const sig *g, const char *bh, size_t bhlen, uint64_t length)
{
    static const char *const canon[] = {"simple", "relaxed"};
    char c[20];
    snprintf(c, sizeof c, "%s/%s", canon[g->hcanon], canon[g->bcanon]);
    put(f, "DKIM-Signature:", 15);
    tag_atom(f, "v", "1");
    tag_atom(f, "a", ea_dkim_alg_name(g->alg));
    tag_atom(f, "c", c);
    tag_atom(f, "d", g->domain);
    tag_atom(f, "s", g->selector);
    if (g->identity != NULL)
        tag_atom(f, "i", g->identity);
    if (g->timestamp >= 0)
        tag_number(f, "t", g->timestamp);
    if (g->expiration >= 0)
        tag_number(f, "x", g->expiration);
    if (g->body_length)
        tag_number(f, "l", (int64_t)length);
    tag_list(f, "h", g->hlist);
    tag_base64(f, "bh", bh, bhlen);
    tag_start(f, "b", B64_MIN);
}

/* ---- The end of the message ------------------------------------------------------------ */

/* Hashes the field written so far (b= empty) last, without its CRLF, and signs (§3.7). */
static int sign_field(emauth_dkim_signer *s, sig *g, const char *field, size_t len, ea_buf *b64)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned dlen = 0;
    ea_buf raw;
    ea_buf_init(&raw);
    int rc = hash_field(s, g, field, len, sizeof "DKIM-Signature" - 1, 0) != 0 ||
             EVP_DigestFinal_ex(g->hctx, digest, &dlen) != 1 ||
             ea_dkim_sign(g->alg, g->pkey, digest, dlen, &raw) != 0 ||
             ea_base64_encode((const unsigned char *)raw.data, raw.len, b64) != 0;
    ea_buf_free(&raw);
    return rc ? -1 : 0;
}

/* Appends one whole signature field, CRLF-terminated, to out. */
static emauth_status finish_sig(emauth_dkim_signer *s, sig *g, ea_buf *out)
{
    ea_buf bh64, b64;
    ea_buf_init(&bh64);
    ea_buf_init(&b64);
    size_t start = out->len;
    folder f = {out, 0, 0, 0};
    emauth_status st = EMAUTH_ERR_NOMEM;
    if (ea_base64_encode(s->bh[g->bcanon], s->bhlen[g->bcanon], &bh64) != 0)
        goto done;
    write_field(&f, g, bh64.data, bh64.len, s->body[g->bcanon].length);
    st = EMAUTH_ERR_INVALID;
    if (f.failed || sign_field(s, g, out->data + start, out->len - start, &b64) != 0)
        goto done;
    put_base64(&f, b64.data, b64.len);
    put(&f, "\r\n", 2);
    st = f.failed ? EMAUTH_ERR_NOMEM : EMAUTH_OK;
done:
    ea_buf_free(&bh64);
    ea_buf_free(&b64);
    return st;
}

/* The body hashes, once each. */
static emauth_status finish_bodies(emauth_dkim_signer *s)
{
    for (int c = 0; c < 2; c++)
        if (s->body_used[c] && ea_body_hash_final(&s->body[c], s->bh[c], &s->bhlen[c]) != EMAUTH_OK)
            return EMAUTH_ERR_NOMEM;
    return EMAUTH_OK;
}

emauth_status emauth_dkim_sign_eom(emauth_dkim_signer *s, char **fields, size_t *len,
                                   emauth_error *err)
{
    *fields = NULL;
    *len = 0;
    if (s->stage != ST_BODY)
        return ea_error(err, EMAUTH_ERR_INVALID, 0, 0, "the end of the message before the header");
    s->stage = ST_DONE;
    if (finish_bodies(s) != EMAUTH_OK)
        return ea_error(err, EMAUTH_ERR_NOMEM, 0, 0, "out of memory");
    ea_buf out;
    ea_buf_init(&out);
    for (size_t i = 0; i < s->n; i++) {
        emauth_status st = finish_sig(s, &s->sigs[i], &out);
        if (st != EMAUTH_OK) {
            ea_buf_free(&out);
            return ea_error(err, st, 0, 0, "signature %zu (d=%s s=%s): %s", i + 1,
                            s->sigs[i].domain, s->sigs[i].selector,
                            st == EMAUTH_ERR_NOMEM ? "out of memory" : "signing failed");
        }
    }
    *fields = out.data;
    *len = out.len;
    return EMAUTH_OK;
}
