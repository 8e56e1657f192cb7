/*
 * The DKIM key record parser; the grammar is in keyrec.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dkim/keyrec.h"
#include "util/error.h"
#include "util/tagvalue.h"

#define KEYREC_MAX_TAGS 32

static int is_fws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int ieq(const char *a, size_t alen, const char *lit)
{
    return alen == strlen(lit) && strncasecmp(a, lit, alen) == 0;
}

/* "X= what", at the column of tag t. */
static emauth_status bad(emauth_error *err, const ea_tag *t, const char *what)
{
    char q[64];
    ea_quote(q, sizeof q, t->value, t->value_len, 40);
    return ea_error(err, EMAUTH_ERR_SYNTAX, 0, t->column, "%.*s= %s \"%s\"", (int)t->name_len,
                    t->name, what, q);
}

/*
 * Calls fn for each item of the colon-separated list of t, FWS trimmed;
 * returns the OR of what fn returned.
 */
static unsigned each_item(const ea_tag *t, unsigned (*fn)(const char *item, size_t len))
{
    unsigned acc = 0;
    size_t a = 0;
    while (a <= t->value_len) {
        size_t e = a;
        while (e < t->value_len && t->value[e] != ':')
            e++;
        size_t z = e;
        while (a < z && is_fws(t->value[a]))
            a++;
        while (z > a && is_fws(t->value[z - 1]))
            z--;
        acc |= fn(t->value + a, z - a);
        a = e + 1;
    }
    return acc;
}

static unsigned hash_bit(const char *s, size_t n)
{
    return ieq(s, n, "sha256") ? EA_DKIM_HASH_SHA256 : ieq(s, n, "sha1") ? EA_DKIM_HASH_SHA1 : 0;
}

static unsigned service_email(const char *s, size_t n)
{
    return ieq(s, n, "*") || ieq(s, n, "email");
}

#define FLAG_Y 1u
#define FLAG_S 2u

static unsigned flag_bit(const char *s, size_t n)
{
    return ieq(s, n, "y") ? FLAG_Y : ieq(s, n, "s") ? FLAG_S : 0;
}

static emauth_status check_v(const ea_tag *tags, size_t n, ea_dkim_keyrec *out, emauth_error *err)
{
    const ea_tag *v = ea_tags_find(tags, n, "v");
    if (v == NULL)
        return EMAUTH_OK;
    if (v != &tags[0])
        return ea_error(err, EMAUTH_ERR_SYNTAX, 0, v->column, "v= is not the first tag");
    if (!(v->value_len == 5 && memcmp(v->value, "DKIM1", 5) == 0))
        return bad(err, v, "is not DKIM1:");
    out->has_v = 1;
    return EMAUTH_OK;
}

static emauth_status check_tags(const ea_tag *tags, size_t n, ea_dkim_keyrec *out,
                                emauth_error *err)
{
    emauth_status st = check_v(tags, n, out, err);
    if (st != EMAUTH_OK)
        return st;
    const ea_tag *t = ea_tags_find(tags, n, "k");
    if (t && ieq(t->value, t->value_len, "ed25519"))
        out->type = EMAUTH_DKIM_ED25519;
    else if (t && !ieq(t->value, t->value_len, "rsa"))
        return bad(err, t, "unknown key type");
    t = ea_tags_find(tags, n, "p");
    if (t == NULL)
        return ea_error(err, EMAUTH_ERR_SYNTAX, 0, 0, "p= missing");
    out->p = t->value;
    out->p_len = t->value_len;
    out->p_column = t->column;
    out->revoked = t->value_len == 0;
    t = ea_tags_find(tags, n, "h");
    out->hashes = t ? each_item(t, hash_bit) : EA_DKIM_HASH_SHA1 | EA_DKIM_HASH_SHA256;
    t = ea_tags_find(tags, n, "s");
    out->email = t ? (int)each_item(t, service_email) : 1;
    t = ea_tags_find(tags, n, "t");
    unsigned flags = t ? each_item(t, flag_bit) : 0;
    out->testing = (flags & FLAG_Y) != 0;
    out->strict = (flags & FLAG_S) != 0;
    return EMAUTH_OK;
}

emauth_status ea_dkim_keyrec_parse(const char *rec, size_t len, ea_dkim_keyrec *out,
                                   emauth_error *err)
{
    memset(out, 0, sizeof *out);
    ea_tag tags[KEYREC_MAX_TAGS];
    size_t n;
    emauth_status st = ea_tags_parse(rec, len, tags, KEYREC_MAX_TAGS, &n, err);
    if (st == EMAUTH_OK)
        st = check_tags(tags, n, out, err);
    if (st != EMAUTH_OK)
        memset(out, 0, sizeof *out);
    return st;
}

EVP_PKEY *ea_dkim_keyrec_key(const ea_dkim_keyrec *r, const char **why)
{
    if (r->revoked) {
        *why = "revoked (empty)";
        return NULL;
    }
    ea_buf der;
    ea_buf_init(&der);
    EVP_PKEY *k = NULL;
    if (ea_base64_decode(r->p, r->p_len, &der) != 0)
        *why = "not base64";
    else if (der.len == 0)
        *why = "revoked (empty)";
    else
        k = ea_dkim_pubkey(r->type, (const unsigned char *)der.data, der.len, why);
    ea_buf_free(&der);
    return k;
}

int ea_dkim_keyrec_allows(const ea_dkim_keyrec *r, ea_dkim_alg alg)
{
    unsigned bit = alg == EA_DKIM_RSA_SHA1 ? EA_DKIM_HASH_SHA1 : EA_DKIM_HASH_SHA256;
    return (r->hashes & bit) != 0;
}
