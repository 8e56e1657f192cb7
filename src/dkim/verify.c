/*
 * The DKIM verifier (RFC 6376 §6, RFC 8301, RFC 8463), sans-I/O.
 *
 *   header*   the fields are copied until the end of the header (a signature
 *             may list fields above or below it)
 *   eoh       each DKIM-Signature field (up to max_signatures) is parsed; its
 *             canonical header data is built and hashed at once, so only the
 *             digest stays; one body hash runs per distinct (canon, digest,
 *             l=); one key question per distinct SELECTOR._domainkey.DOMAIN;
 *             the copied header is dropped
 *   body*     the body hashes run
 *   eom       the body digests are final
 *   answers   each key answer is parsed at once into flags and a public key
 *             (RFC 6376 §3.6.2.2: of several TXT records, the first that is a
 *             usable key record is taken; the others are ignored)
 * Once eom was given and every key question answered, every signature gets
 * its verdict, checked in this order: signature syntax (permerror); the key
 * lookup (temperror, permerror); the key record against the signature
 * (permerror: revoked, k=, h=, s=, t=s); l= beyond the body, the body hash,
 * the signature (fail); local policy (rsa-sha1, RSA size, x=, t=: policy).
 * rsa-sha1 is the one policy that also covers a failing signature: without
 * allow_sha1 it is "policy", saying whether it would have passed.
 *
 * Memory: the header is kept until eoh (at most VERIFY_MAX_HEADER_BYTES in
 * VERIFY_MAX_FIELDS fields); after it, per signature only its digests,
 * signature bytes and result strings, plus one body hash state per distinct
 * body canonicalization. Everything is reused by the next start(); so is a
 * small cache of decoded public keys (KEY_CACHE_SIZE entries, by k= and p=
 * as written), since decoding a DER key costs more than verifying with it,
 * each with its RSA verification context (making one costs a third of an
 * RSA-2048 verification).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <emauth/dkim.h>
#include "dkim/canon.h"
#include "dkim/crypto.h"
#include "dkim/keyrec.h"
#include "dkim/signature.h"
#include "dns/drive.h"
#include "util/arena.h"
#include "util/buf.h"

/* The header kept until its end: more is EMAUTH_ERR_LIMIT. */
#define VERIFY_MAX_HEADER_BYTES ((size_t)4 << 20)
#define VERIFY_MAX_FIELDS 10000u

#define NONE SIZE_MAX

typedef struct hfield {
    size_t off, len, name_len;   /* in v->hdr */
} hfield;

/* The answer to one key question, shared by the signatures that ask it. */
typedef struct keyans {
    char *name;                  /* SELECTOR._domainkey.DOMAIN, lower case (arena) */
    int answered;
    emauth_dkim_verdict verdict; /* PASS: a key record was found */
    const char *why;             /* otherwise why not (arena) */
    ea_dkim_keyrec rec;          /* its flags (p and p_len cleared) */
    EVP_PKEY *pkey;              /* NULL when revoked */
} keyans;

/* One body hash, for every signature with the same canon, digest and l=. */
typedef struct bodyslot {
    ea_body_hash h;
    const EVP_MD *md;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned digest_len;
    uint64_t length;             /* canonical body length, all of it */
} bodyslot;

/* What a signature keeps after eoh. */
typedef struct vsig {
    int decided;                 /* verdict final at eoh (syntax, over the limit) */
    ea_dkim_alg alg;
    int i_subdomain;             /* i= names a subdomain of d= (for t=s) */
    int has_l;
    uint64_t l;
    unsigned char *sig;          /* arena */
    size_t sig_len;
    unsigned char bh[EVP_MAX_MD_SIZE];
    size_t bh_len;
    unsigned char hdigest[EVP_MAX_MD_SIZE];
    unsigned hdigest_len;
    size_t body, key;            /* indexes into bodies and keys */
} vsig;

enum phase { P_HEADER, P_BODY, P_EOM };

/*
 * Public keys decoded for earlier messages, by k= and p= as written: the
 * same key record gives the same key, and decoding one (OpenSSL 3's DER
 * decoders) costs several times an RSA verification. Kept across start().
 */
#define KEY_CACHE_SIZE 16
#define KEY_CACHE_MAX_P 4096     /* longer p= values are not cached */

typedef struct cached_key {
    emauth_dkim_key_type type;
    char *p;                     /* malloc'ed; NULL: a free entry */
    size_t p_len;
    EVP_PKEY *pkey;              /* one reference held by the cache */
    uint64_t used;               /* for least-recently-used eviction */
    EVP_PKEY_CTX *vctx;          /* RSA: verifies vctx_alg signatures, made on first use */
    ea_dkim_alg vctx_alg;
} cached_key;

struct emauth_dkim_verifier {
    emauth_dkim_options opts;
    enum phase phase;
    int done;                    /* results are final */
    ea_arena arena;              /* strings and signature bytes of this message */
    /* until eoh */
    ea_buf hdr;
    hfield *fields;
    size_t nfields, capfields;
    ea_buf canon;                /* the canonical header data of one signature */
    ea_buf field;                /* one DKIM-Signature field, b= deleted */
    ea_buf used;                 /* per field: taken by the signature being hashed */
    /* per signature */
    emauth_dkim_result *res;
    vsig *sigs;
    size_t nsigs, capres, capsigs;
    bodyslot *bodies;
    size_t nbodies, capbodies;
    keyans *keys;
    size_t nkeys, capkeys;
    size_t asking;               /* the key whose question next() gave out, or NONE */
    emauth_dns_question q;
    cached_key cache[KEY_CACHE_SIZE];
    uint64_t cache_clock;
};

/* ---- results ---------------------------------------------------------------------- */

const char *emauth_dkim_verdict_name(emauth_dkim_verdict v)
{
    static const char *const names[] = {"pass", "fail", "neutral", "policy", "temperror",
                                        "permerror"};
    return (unsigned)v < sizeof names / sizeof names[0] ? names[v] : "?";
}

void emauth_dkim_options_default(emauth_dkim_options *o)
{
    o->allow_sha1 = 0;
    o->min_rsa_bits = 1024;
    o->max_signatures = 10;
    o->clock_skew = 300;
    o->now = 0;
}

/* A printf into the arena; a constant when out of memory. */
static const char *vfmt(emauth_dkim_verifier *v, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    char *s = n >= 0 ? ea_arena_alloc(&v->arena, (size_t)n + 1) : NULL;
    if (s == NULL)
        return "(out of memory)";
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    return s;
}

static const char *fmt(emauth_dkim_verifier *v, const char *f, ...)
    __attribute__((format(printf, 2, 3)));

static const char *fmt(emauth_dkim_verifier *v, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    const char *s = vfmt(v, f, ap);
    va_end(ap);
    return s;
}

static void set_verdict(emauth_dkim_verifier *v, size_t k, emauth_dkim_verdict vd,
                        const char *f, ...) __attribute__((format(printf, 4, 5)));

static void set_verdict(emauth_dkim_verifier *v, size_t k, emauth_dkim_verdict vd,
                        const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    v->res[k].verdict = vd;
    v->res[k].reason = vfmt(v, f, ap);
    va_end(ap);
}

static const char *span_dup(emauth_dkim_verifier *v, ea_dkim_span s)
{
    return s.len ? ea_arena_strndup(&v->arena, s.p, s.len) : NULL;
}

/* ---- life cycle ----------------------------------------------------------------------- */

static void clear_message(emauth_dkim_verifier *v)
{
    for (size_t i = 0; i < v->nkeys; i++)
        EVP_PKEY_free(v->keys[i].pkey);
    for (size_t i = 0; i < v->nbodies; i++)
        ea_body_hash_free(&v->bodies[i].h);
    v->nkeys = v->nbodies = v->nsigs = v->nfields = 0;
    v->hdr.len = v->canon.len = v->field.len = v->used.len = 0;
    ea_arena_reset(&v->arena);
    v->phase = P_HEADER;
    v->done = 0;
    v->asking = NONE;
}

/* Grows an array to hold need elements of size elem. */
static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 8;
    while (n < need)
        n *= 2;
    if (n > SIZE_MAX / elem)
        return -1;
    void *q = realloc(*p, n * elem);
    if (q == NULL)
        return -1;
    *p = q;
    *cap = n;
    return 0;
}

emauth_status emauth_dkim_verifier_new(const emauth_dkim_options *opts, emauth_dkim_verifier **out)
{
    emauth_dkim_verifier *v = calloc(1, sizeof *v);
    if (v == NULL)
        return EMAUTH_ERR_NOMEM;
    ea_arena_init(&v->arena);
    ea_buf_init(&v->hdr);
    ea_buf_init(&v->canon);
    ea_buf_init(&v->field);
    ea_buf_init(&v->used);
    emauth_dkim_options_default(&v->opts);
    /* res is never NULL, so results() can tell "none" from "not yet". */
    if (grow((void **)&v->res, &v->capres, 1, sizeof *v->res) != 0) {
        free(v);
        return EMAUTH_ERR_NOMEM;
    }
    emauth_dkim_verify_start(v, opts);
    *out = v;
    return EMAUTH_OK;
}

void emauth_dkim_verifier_free(emauth_dkim_verifier *v)
{
    if (v == NULL)
        return;
    clear_message(v);
    for (size_t i = 0; i < KEY_CACHE_SIZE; i++) {
        free(v->cache[i].p);
        EVP_PKEY_free(v->cache[i].pkey);
        EVP_PKEY_CTX_free(v->cache[i].vctx);
    }
    ea_arena_free(&v->arena);
    ea_buf_free(&v->hdr);
    ea_buf_free(&v->canon);
    ea_buf_free(&v->field);
    ea_buf_free(&v->used);
    free(v->fields);
    free(v->res);
    free(v->sigs);
    free(v->bodies);
    free(v->keys);
    free(v);
}

emauth_status emauth_dkim_verify_start(emauth_dkim_verifier *v, const emauth_dkim_options *opts)
{
    if (v == NULL)
        return EMAUTH_ERR_INVALID;
    if (opts != NULL)
        v->opts = *opts;
    clear_message(v);
    return EMAUTH_OK;
}

/* ---- header ------------------------------------------------------------------------------ */

emauth_status emauth_dkim_verify_header(emauth_dkim_verifier *v, const char *field, size_t len,
                                        size_t name_len)
{
    if (v == NULL || v->phase != P_HEADER || name_len > len)
        return EMAUTH_ERR_INVALID;
    if (v->nfields >= VERIFY_MAX_FIELDS || len > VERIFY_MAX_HEADER_BYTES - v->hdr.len)
        return EMAUTH_ERR_LIMIT;
    if (grow((void **)&v->fields, &v->capfields, v->nfields + 1, sizeof *v->fields) != 0)
        return EMAUTH_ERR_NOMEM;
    size_t off = v->hdr.len;
    if (ea_buf_append(&v->hdr, field, len) != 0)
        return EMAUTH_ERR_NOMEM;
    v->fields[v->nfields++] = (hfield){off, len, name_len};
    return EMAUTH_OK;
}

static const char *field_at(const emauth_dkim_verifier *v, size_t j)
{
    return v->hdr.data + v->fields[j].off;
}

static int field_is(const emauth_dkim_verifier *v, size_t j, const char *name, size_t n)
{
    return v->fields[j].name_len == n && strncasecmp(field_at(v, j), name, n) == 0;
}

static int is_signature(const emauth_dkim_verifier *v, size_t j)
{
    return field_is(v, j, "DKIM-Signature", 14);
}

/* ---- eoh: the canonical header data ------------------------------------------------------- */

/*
 * RFC 6376 §5.4.2: each name of h= takes the last instance of that name not
 * yet taken; a name with no instance left adds nothing. The signature's own
 * field is never taken by h=.
 */
static emauth_status append_selected(emauth_dkim_verifier *v, const ea_dkim_sig *s, size_t self)
{
    v->used.len = 0;
    if (ea_buf_reserve(&v->used, v->nfields) != 0)
        return EMAUTH_ERR_NOMEM;
    memset(v->used.data, 0, v->nfields);
    v->used.data[self] = 1;
    const char *name;
    size_t pos = 0, n;
    while (ea_dkim_sig_header(s, &pos, &name, &n)) {
        size_t j = v->nfields;
        while (j-- > 0 && (v->used.data[j] || !field_is(v, j, name, n)))
            ;
        if (j == SIZE_MAX)
            continue;
        v->used.data[j] = 1;
        const hfield *f = &v->fields[j];
        if (ea_canon_header(s->header_canon, field_at(v, j), f->len, f->name_len, 1, &v->canon))
            return EMAUTH_ERR_NOMEM;
    }
    return EMAUTH_OK;
}

/* The signature field itself, b= deleted, without its CRLF (§3.7). */
static emauth_status append_self(emauth_dkim_verifier *v, const ea_dkim_sig *s, size_t self)
{
    const char *f = field_at(v, self);
    const hfield *hf = &v->fields[self];
    v->field.len = 0;
    if (ea_buf_append(&v->field, f, s->b_start) != 0 ||
        ea_buf_append(&v->field, f + s->b_end, hf->len - s->b_end) != 0 ||
        ea_canon_header(s->header_canon, v->field.data, v->field.len, hf->name_len, 0,
                        &v->canon) != 0)
        return EMAUTH_ERR_NOMEM;
    return EMAUTH_OK;
}

static emauth_status header_digest(emauth_dkim_verifier *v, const ea_dkim_sig *s, size_t self,
                                   vsig *vs)
{
    v->canon.len = 0;
    emauth_status st = append_selected(v, s, self);
    if (st == EMAUTH_OK)
        st = append_self(v, s, self);
    if (st == EMAUTH_OK && EVP_Digest(v->canon.data, v->canon.len, vs->hdigest, &vs->hdigest_len,
                                      ea_dkim_alg_md(s->alg), NULL) != 1)
        st = EMAUTH_ERR_NOMEM;
    return st;
}

/* ---- eoh: body hashes and key questions ---------------------------------------------------- */

static emauth_status body_slot(emauth_dkim_verifier *v, const ea_dkim_sig *s, size_t *out)
{
    const EVP_MD *md = ea_dkim_alg_md(s->alg);
    uint64_t limit = s->has_l ? s->l : EA_BODY_NOLIMIT;
    for (size_t i = 0; i < v->nbodies; i++) {
        const ea_body_hash *h = &v->bodies[i].h;
        if (h->canon == s->body_canon && v->bodies[i].md == md && h->limit == limit) {
            *out = i;
            return EMAUTH_OK;
        }
    }
    /* capbodies was sized at eoh, so slots never move once initialized. */
    bodyslot *b = &v->bodies[v->nbodies];
    memset(b, 0, sizeof *b);
    b->md = md;
    emauth_status st = ea_body_hash_init(&b->h, s->body_canon, md, limit);
    if (st == EMAUTH_OK)
        *out = v->nbodies++;
    return st;
}

static emauth_status key_slot(emauth_dkim_verifier *v, const ea_dkim_sig *s, size_t *out)
{
    size_t len = s->s.len + sizeof "._domainkey." - 1 + s->d.len;
    char *name = ea_arena_alloc(&v->arena, len + 1);
    if (name == NULL)
        return EMAUTH_ERR_NOMEM;
    snprintf(name, len + 1, "%.*s._domainkey.%.*s", (int)s->s.len, s->s.p, (int)s->d.len, s->d.p);
    for (char *c = name; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    for (size_t i = 0; i < v->nkeys; i++)
        if (strcmp(v->keys[i].name, name) == 0) {
            *out = i;
            return EMAUTH_OK;
        }
    keyans *k = &v->keys[v->nkeys];
    memset(k, 0, sizeof *k);
    k->name = name;
    *out = v->nkeys++;
    return EMAUTH_OK;
}

/* The first 12 characters of b=, FWS left out (RFC 6008 header.b). */
static const char *b_prefix(emauth_dkim_verifier *v, ea_dkim_span b)
{
    char out[13];
    size_t n = 0;
    for (size_t i = 0; i < b.len && n < 12; i++)
        if (b.p[i] != ' ' && b.p[i] != '\t' && b.p[i] != '\r' && b.p[i] != '\n')
            out[n++] = b.p[i];
    return ea_arena_strndup(&v->arena, out, n);
}

static void describe(emauth_dkim_verifier *v, emauth_dkim_result *r, const ea_dkim_sig *s)
{
    static const char *const canon[] = {"simple", "relaxed"};
    r->domain = span_dup(v, s->d);
    r->selector = span_dup(v, s->s);
    r->algorithm = span_dup(v, s->a);
    r->identity = s->i.len ? span_dup(v, s->i) : fmt(v, "@%.*s", (int)s->d.len, s->d.p);
    r->header_canon = canon[s->header_canon];
    r->body_canon = canon[s->body_canon];
    r->b_prefix = b_prefix(v, s->b);
    r->body_length_limited = s->has_l;
    r->body_length = s->has_l ? s->l : 0;
    r->timestamp = s->t;
    r->expiration = s->x;
}

/* What results can show of a field that did not parse: d=, s=, a= as written. */
static void salvage(emauth_dkim_verifier *v, emauth_dkim_result *r, size_t j)
{
    const hfield *hf = &v->fields[j];
    const char *f = field_at(v, j);
    r->domain = span_dup(v, ea_dkim_sig_peek(f, hf->len, hf->name_len, "d"));
    r->selector = span_dup(v, ea_dkim_sig_peek(f, hf->len, hf->name_len, "s"));
    r->algorithm = span_dup(v, ea_dkim_sig_peek(f, hf->len, hf->name_len, "a"));
}

static emauth_status keep_signature(emauth_dkim_verifier *v, const ea_dkim_sig *s, vsig *vs)
{
    vs->alg = s->alg;
    vs->has_l = s->has_l;
    vs->l = s->l;
    const char *dom;
    size_t dn;
    vs->i_subdomain = s->i.len && ea_dkim_identity_domain(s->i.p, s->i.len, &dom, &dn) &&
                      !(dn == s->d.len && strncasecmp(dom, s->d.p, dn) == 0);
    memcpy(vs->bh, s->bh, vs->bh_len = s->bh_len);
    vs->sig = ea_arena_alloc(&v->arena, s->sig_len);
    if (vs->sig == NULL)
        return EMAUTH_ERR_NOMEM;
    memcpy(vs->sig, s->sig, vs->sig_len = s->sig_len);
    emauth_status st = body_slot(v, s, &vs->body);
    if (st == EMAUTH_OK)
        st = key_slot(v, s, &vs->key);
    return st;
}

/* Parses the k-th signature (header field j) and prepares its verification. */
static emauth_status setup_signature(emauth_dkim_verifier *v, size_t k, size_t j)
{
    emauth_dkim_result *r = &v->res[k];
    vsig *vs = &v->sigs[k];
    const hfield *hf = &v->fields[j];
    ea_dkim_sig s;
    emauth_error err;
    emauth_status st = ea_dkim_sig_parse(field_at(v, j), hf->len, hf->name_len, &s, &err);
    if (st == EMAUTH_ERR_NOMEM)
        return st;
    if (st != EMAUTH_OK) {
        vs->decided = 1;
        salvage(v, r, j);
        set_verdict(v, k, EMAUTH_DKIM_PERMERROR, "%s", err.message);
        return EMAUTH_OK;
    }
    describe(v, r, &s);
    st = header_digest(v, &s, j, vs);
    if (st == EMAUTH_OK)
        st = keep_signature(v, &s, vs);
    return st;
}

static size_t count_signatures(const emauth_dkim_verifier *v)
{
    size_t n = 0;
    for (size_t j = 0; j < v->nfields; j++)
        n += is_signature(v, j);
    return n;
}

/* Room for n results and signatures, and for their body and key slots. */
static emauth_status size_arrays(emauth_dkim_verifier *v, size_t n)
{
    size_t checked = n < v->opts.max_signatures ? n : v->opts.max_signatures;
    if (grow((void **)&v->res, &v->capres, n, sizeof *v->res) != 0 ||
        grow((void **)&v->sigs, &v->capsigs, n, sizeof *v->sigs) != 0 ||
        grow((void **)&v->bodies, &v->capbodies, checked, sizeof *v->bodies) != 0 ||
        grow((void **)&v->keys, &v->capkeys, checked, sizeof *v->keys) != 0)
        return EMAUTH_ERR_NOMEM;
    return EMAUTH_OK;
}

static emauth_status setup_all(emauth_dkim_verifier *v)
{
    emauth_status st = size_arrays(v, count_signatures(v));
    for (size_t j = 0; st == EMAUTH_OK && j < v->nfields; j++) {
        if (!is_signature(v, j))
            continue;
        size_t k = v->nsigs++;
        memset(&v->res[k], 0, sizeof v->res[k]);
        memset(&v->sigs[k], 0, sizeof v->sigs[k]);
        v->res[k].field_index = k;
        v->res[k].timestamp = v->res[k].expiration = -1;
        if (k < v->opts.max_signatures) {
            st = setup_signature(v, k, j);
        } else {
            v->sigs[k].decided = 1;
            set_verdict(v, k, EMAUTH_DKIM_NEUTRAL, "not verified: over the limit of %u",
                        v->opts.max_signatures);
        }
    }
    return st;
}

emauth_status emauth_dkim_verify_eoh(emauth_dkim_verifier *v)
{
    if (v == NULL || v->phase != P_HEADER)
        return EMAUTH_ERR_INVALID;
    emauth_status st = setup_all(v);
    /* The copied header is no longer needed. */
    v->nfields = 0;
    v->hdr.len = v->canon.len = v->field.len = 0;
    if (st != EMAUTH_OK) {
        clear_message(v);
        return st;
    }
    v->phase = P_BODY;
    return EMAUTH_OK;
}

/* ---- body -------------------------------------------------------------------------------- */

emauth_status emauth_dkim_verify_body(emauth_dkim_verifier *v, const char *chunk, size_t len)
{
    if (v == NULL || v->phase != P_BODY)
        return EMAUTH_ERR_INVALID;
    for (size_t i = 0; i < v->nbodies; i++)
        ea_body_hash_update(&v->bodies[i].h, chunk, len);
    return EMAUTH_OK;
}

/* ---- verdicts ---------------------------------------------------------------------------- */

/* The key record against the signature (RFC 6376 §6.1.2); NULL when it fits. */
static const char *key_mismatch(emauth_dkim_verifier *v, const vsig *s, const keyans *k)
{
    static const char *const types[] = {"rsa", "ed25519"};
    if (k->rec.revoked)
        return "key revoked (empty p=)";
    if (k->rec.type != ea_dkim_alg_key(s->alg))
        return fmt(v, "key type k=%s does not fit a=%s", types[k->rec.type],
                   ea_dkim_alg_name(s->alg));
    if (!ea_dkim_keyrec_allows(&k->rec, s->alg))
        return fmt(v, "key h= does not allow %s", s->alg == EA_DKIM_RSA_SHA1 ? "sha1" : "sha256");
    if (!k->rec.email)
        return "key s= does not allow email";
    if (k->rec.strict && s->i_subdomain)
        return "key t=s forbids an i= in a subdomain of d=";
    return NULL;
}

/*
 * The reusable RSA context of a cached key for alg, made on first use; NULL
 * when the key is not cached or is not RSA. The cache holds a reference to
 * the key and so does the caller: a pointer match cannot be a new key at
 * the address of an old one.
 */
static EVP_PKEY_CTX *cached_ctx(emauth_dkim_verifier *v, ea_dkim_alg alg, const EVP_PKEY *pkey)
{
    if (pkey == NULL || ea_dkim_alg_key(alg) != EMAUTH_DKIM_RSA)
        return NULL;
    for (size_t i = 0; i < KEY_CACHE_SIZE; i++) {
        cached_key *c = &v->cache[i];
        if (c->pkey != pkey)
            continue;
        if (c->vctx != NULL && c->vctx_alg != alg)
            return NULL;     /* made for the other RSA digest: rare, not worth a second */
        if (c->vctx == NULL) {
            c->vctx = ea_dkim_verify_ctx_new(alg, c->pkey);
            c->vctx_alg = alg;
        }
        return c->vctx;
    }
    return NULL;
}

static int check_signature(emauth_dkim_verifier *v, const vsig *s, const keyans *k)
{
    EVP_PKEY_CTX *ctx = cached_ctx(v, s->alg, k->pkey);
    if (ctx != NULL)
        return ea_dkim_verify_ctx(ctx, s->alg, s->hdigest, s->hdigest_len, s->sig, s->sig_len);
    return ea_dkim_verify(s->alg, k->pkey, s->hdigest, s->hdigest_len, s->sig, s->sig_len);
}

/* l=, the body hash and the signature: NULL when they match, else why not. */
static const char *crypto_check(emauth_dkim_verifier *v, const vsig *s, const keyans *k,
                                int *error)
{
    const bodyslot *b = &v->bodies[s->body];
    *error = 0;
    if (s->has_l && s->l > b->length)
        return fmt(v, "l=%llu exceeds the body length %llu", (unsigned long long)s->l,
                   (unsigned long long)b->length);
    if (s->bh_len != b->digest_len || memcmp(s->bh, b->digest, b->digest_len) != 0)
        return "body hash mismatch";
    int ok = check_signature(v, s, k);
    *error = ok < 0;
    return ok == 1 ? NULL : ok == 0 ? "signature did not verify" : "signature check failed";
}

static void format_time(int64_t t, char *buf, size_t size)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (gmtime_r(&tt, &tm) == NULL || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, size, "%lld", (long long)t);
}

/* Local policy on a signature that verified (RFC 8301, §3.5 x= and t=). */
static int apply_policy(emauth_dkim_verifier *v, size_t k, const keyans *key)
{
    const emauth_dkim_result *r = &v->res[k];
    int64_t now = v->opts.now ? v->opts.now : (int64_t)time(NULL);
    int64_t skew = v->opts.clock_skew;
    char when[64];
    if (EVP_PKEY_is_a(key->pkey, "RSA") && r->key_bits < v->opts.min_rsa_bits) {
        set_verdict(v, k, EMAUTH_DKIM_POLICY, "RSA key of %u bits, under %u", r->key_bits,
                    v->opts.min_rsa_bits);
    } else if (r->expiration >= 0 && r->expiration + skew < now) {
        format_time(r->expiration, when, sizeof when);
        set_verdict(v, k, EMAUTH_DKIM_POLICY, "expired at %s (x=%lld)", when,
                    (long long)r->expiration);
    } else if (r->timestamp >= 0 && r->timestamp - skew > now) {
        format_time(r->timestamp, when, sizeof when);
        set_verdict(v, k, EMAUTH_DKIM_POLICY, "timestamp in the future: %s (t=%lld)", when,
                    (long long)r->timestamp);
    } else {
        return 0;
    }
    return 1;
}

static void evaluate(emauth_dkim_verifier *v, size_t k)
{
    const vsig *s = &v->sigs[k];
    const keyans *key = &v->keys[s->key];
    emauth_dkim_result *r = &v->res[k];
    r->content_after_limit = s->has_l && v->bodies[s->body].length > s->l;
    if (key->verdict != EMAUTH_DKIM_PASS) {
        set_verdict(v, k, key->verdict, "%s", key->why);
        return;
    }
    r->testing = key->rec.testing;
    r->key_bits = key->pkey ? ea_dkim_pkey_bits(key->pkey) : 0;
    const char *why = key_mismatch(v, s, key);
    if (why != NULL) {
        set_verdict(v, k, EMAUTH_DKIM_PERMERROR, "%s", why);
        return;
    }
    int error;
    why = crypto_check(v, s, key, &error);
    if (s->alg == EA_DKIM_RSA_SHA1 && !v->opts.allow_sha1)
        set_verdict(v, k, EMAUTH_DKIM_POLICY,
                    "rsa-sha1 is not acceptable (RFC 8301); the signature would %s%s%s%s",
                    why ? "fail" : "pass", why ? " (" : "", why ? why : "", why ? ")" : "");
    else if (why != NULL)
        set_verdict(v, k, error ? EMAUTH_DKIM_TEMPERROR : EMAUTH_DKIM_FAIL, "%s", why);
    else if (!apply_policy(v, k, key))
        set_verdict(v, k, EMAUTH_DKIM_PASS, "signature verified%s",
                    key->rec.testing ? " (key in testing mode, t=y)" : "");
}

static int keys_pending(const emauth_dkim_verifier *v)
{
    for (size_t i = 0; i < v->nkeys; i++)
        if (!v->keys[i].answered)
            return 1;
    return 0;
}

static void maybe_finish(emauth_dkim_verifier *v)
{
    if (v->done || v->phase != P_EOM || keys_pending(v))
        return;
    for (size_t k = 0; k < v->nsigs; k++)
        if (!v->sigs[k].decided)
            evaluate(v, k);
    v->done = 1;
}

emauth_status emauth_dkim_verify_eom(emauth_dkim_verifier *v)
{
    if (v == NULL || v->phase != P_BODY)
        return EMAUTH_ERR_INVALID;
    for (size_t i = 0; i < v->nbodies; i++) {
        bodyslot *b = &v->bodies[i];
        emauth_status st = ea_body_hash_final(&b->h, b->digest, &b->digest_len);
        if (st != EMAUTH_OK)
            return st;
        b->length = b->h.length;
    }
    v->phase = P_EOM;
    maybe_finish(v);
    return EMAUTH_OK;
}

/* ---- key questions ---------------------------------------------------------------------- */

emauth_status emauth_dkim_verify_next(emauth_dkim_verifier *v, const emauth_dns_question **q)
{
    *q = NULL;
    if (v == NULL || v->phase == P_HEADER)
        return EMAUTH_ERR_INVALID;
    if (v->asking == NONE)
        for (size_t i = 0; i < v->nkeys && v->asking == NONE; i++)
            if (!v->keys[i].answered)
                v->asking = i;
    if (v->asking == NONE)
        return EMAUTH_OK;
    v->q.name = v->keys[v->asking].name;
    v->q.type = EMAUTH_DNS_TXT;
    *q = &v->q;
    return EMAUTH_NEED_DNS;
}

/* Remembers pkey for the record's k= and p= (taking a reference), evicting the oldest. */
static void cache_put(emauth_dkim_verifier *v, const ea_dkim_keyrec *rec, EVP_PKEY *pkey)
{
    cached_key *c = &v->cache[0];
    for (size_t i = 1; i < KEY_CACHE_SIZE && c->p != NULL; i++)
        if (v->cache[i].p == NULL || v->cache[i].used < c->used)
            c = &v->cache[i];
    char *p = malloc(rec->p_len);
    if (p == NULL || EVP_PKEY_up_ref(pkey) != 1) {
        free(p);
        return;
    }
    free(c->p);
    EVP_PKEY_free(c->pkey);
    EVP_PKEY_CTX_free(c->vctx);
    memcpy(p, rec->p, rec->p_len);
    *c = (cached_key){rec->type, p, rec->p_len, pkey, ++v->cache_clock, NULL, 0};
}

/* The public key of a parsed record, from the cache or decoded (and cached). */
static EVP_PKEY *record_key(emauth_dkim_verifier *v, const ea_dkim_keyrec *rec, const char **why)
{
    for (size_t i = 0; i < KEY_CACHE_SIZE; i++) {
        cached_key *c = &v->cache[i];
        if (c->p != NULL && c->type == rec->type && c->p_len == rec->p_len &&
            memcmp(c->p, rec->p, rec->p_len) == 0 && EVP_PKEY_up_ref(c->pkey) == 1) {
            c->used = ++v->cache_clock;
            return c->pkey;
        }
    }
    EVP_PKEY *pkey = ea_dkim_keyrec_key(rec, why);
    if (pkey != NULL && rec->p_len <= KEY_CACHE_MAX_P)
        cache_put(v, rec, pkey);
    return pkey;
}

/* The first TXT record that is a usable key record (§3.6.2.2). */
static void take_records(emauth_dkim_verifier *v, keyans *k, const emauth_dns_answer *a)
{
    const char *first = NULL;
    for (size_t i = 0; i < a->count; i++) {
        const emauth_dns_rr *rr = &a->rrs[i];
        if (rr->type != EMAUTH_DNS_TXT)
            continue;
        ea_dkim_keyrec rec;
        emauth_error err;
        const char *why = NULL;
        EVP_PKEY *pkey = NULL;
        if (ea_dkim_keyrec_parse(rr->u.txt.data, rr->u.txt.len, &rec, &err) != EMAUTH_OK)
            why = fmt(v, "%s", err.message);
        else if (!rec.revoked && (pkey = record_key(v, &rec, &why)) == NULL)
            why = fmt(v, "p= %s", why);
        if (why == NULL) {
            rec.p = NULL;
            rec.p_len = 0;
            k->rec = rec;
            k->pkey = pkey;
            k->verdict = EMAUTH_DKIM_PASS;
            return;
        }
        if (first == NULL)
            first = why;
    }
    k->verdict = EMAUTH_DKIM_PERMERROR;
    k->why = first ? fmt(v, "bad key record at %s: %s", k->name, first)
                   : fmt(v, "no key record at %s", k->name);
}

emauth_status emauth_dkim_verify_answer(emauth_dkim_verifier *v, const emauth_dns_answer *a)
{
    if (v == NULL || a == NULL || v->asking == NONE)
        return EMAUTH_ERR_INVALID;
    keyans *k = &v->keys[v->asking];
    v->asking = NONE;
    k->answered = 1;
    switch (a->rcode) {
    case EMAUTH_DNS_OK:
        take_records(v, k, a);
        break;
    case EMAUTH_DNS_NODATA:
    case EMAUTH_DNS_NXDOMAIN:
        k->verdict = EMAUTH_DKIM_PERMERROR;
        k->why = fmt(v, "no key record at %s (%s)", k->name, emauth_dns_rcode_name(a->rcode));
        break;
    default:
        k->verdict = EMAUTH_DKIM_TEMPERROR;
        k->why = fmt(v, "key lookup at %s: %s%s%s", k->name, emauth_dns_rcode_name(a->rcode),
                     a->why ? ": " : "", a->why ? a->why : "");
        break;
    }
    maybe_finish(v);
    return EMAUTH_OK;
}

static emauth_status drive_next(void *m, const emauth_dns_question **q)
{
    return emauth_dkim_verify_next(m, q);
}

static emauth_status drive_answer(void *m, const emauth_dns_answer *a)
{
    return emauth_dkim_verify_answer(m, a);
}

emauth_status emauth_dkim_verify_run(emauth_dkim_verifier *v, emauth_resolver *resolver)
{
    return ea_drive(v, drive_next, drive_answer, resolver);
}

const emauth_dkim_result *emauth_dkim_verify_results(const emauth_dkim_verifier *v, size_t *n)
{
    *n = 0;
    if (v == NULL || !v->done)
        return NULL;
    *n = v->nsigs;
    return v->res;
}
