/*
 * The DKIM-Signature parser; the grammar is in signature.h.
 *
 * The field value goes through the shared tag=value parser (util/tagvalue.h),
 * then each known tag through its own check, then the checks across tags
 * (required tags present, i= within d=, x= not before t=). The first problem
 * found is the error, named by its tag.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dkim/signature.h"
#include "util/error.h"
#include "util/tagvalue.h"

typedef struct parse {
    const char *field;
    size_t len;              /* of the field */
    size_t base;             /* offset of the value in the field (for columns) */
    ea_dkim_sig *sig;
    emauth_error *err;
} parse;

/* "X= what": the error of tag t, at its column in the field. */
static emauth_status bad(const parse *ps, const ea_tag *t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static emauth_status bad(const parse *ps, const ea_tag *t, const char *fmt, ...)
{
    char what[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return ea_error(ps->err, EMAUTH_ERR_SYNTAX, 0, (unsigned)ps->base + t->column, "%.*s= %s",
                    (int)t->name_len, t->name, what);
}

/* The value of t, quoted and cut for a message. */
static const char *quoted(char *buf, size_t size, const ea_tag *t)
{
    return ea_quote(buf, size, t->value, t->value_len, 40);
}

static int is_fws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int ieq(const char *a, size_t alen, const char *lit)
{
    return alen == strlen(lit) && strncasecmp(a, lit, alen) == 0;
}

/* ---- small grammars ------------------------------------------------------------ */

/* Labels of letters, digits, "-" and "_", 1-63 bytes each, 253 in all. */
static int domain_ok(const char *p, size_t len)
{
    if (len == 0 || len > 253)
        return 0;
    size_t label = 0;
    for (size_t i = 0; i < len; i++) {
        char c = p[i];
        if (c == '.') {
            if (label == 0)
                return 0;
            label = 0;
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '-' || c == '_') {
            if (++label > 63)
                return 0;
        } else {
            return 0;
        }
    }
    return label > 0;
}

/* 1..max digits, saturating at UINT64_MAX - 1. 0 when not digits. */
static int digits(const char *p, size_t len, size_t max, uint64_t *out)
{
    if (len == 0 || len > max)
        return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (p[i] < '0' || p[i] > '9')
            return 0;
        unsigned d = (unsigned)(p[i] - '0');
        v = v > (UINT64_MAX - 1 - d) / 10 ? UINT64_MAX - 1 : v * 10 + d;
    }
    *out = v;
    return 1;
}

/* The next item of a list separated by sep, FWS trimmed; 0 after the last. */
static int next_item(const char *p, size_t len, size_t *pos, char sep, const char **item,
                     size_t *ilen)
{
    if (*pos > len || len == 0)
        return 0;
    size_t a = *pos, e = a;
    while (e < len && p[e] != sep)
        e++;
    *pos = e + 1;
    size_t z = e;
    while (a < z && is_fws(p[a]))
        a++;
    while (z > a && is_fws(p[z - 1]))
        z--;
    *item = p + a;
    *ilen = z - a;
    return 1;
}

/* ---- one check per tag ------------------------------------------------------------ */

static emauth_status tag_v(parse *ps, const ea_tag *t)
{
    char q[64];
    if (t->value_len != 1 || t->value[0] != '1')
        return bad(ps, t, "is \"%s\", not 1", quoted(q, sizeof q, t));
    return EMAUTH_OK;
}

static emauth_status tag_a(parse *ps, const ea_tag *t)
{
    char q[64];
    int alg = ea_dkim_alg_parse(t->value, t->value_len);
    if (alg < 0)
        return bad(ps, t, "unknown algorithm \"%s\"", quoted(q, sizeof q, t));
    ps->sig->alg = (ea_dkim_alg)alg;
    ps->sig->a = (ea_dkim_span){t->value, t->value_len};
    return EMAUTH_OK;
}

/* Base64 of 1..max bytes into out. */
static emauth_status base64(parse *ps, const ea_tag *t, unsigned char *out, size_t max,
                            size_t *n)
{
    ea_buf b;
    ea_buf_init(&b);
    emauth_status st = EMAUTH_OK;
    if (ea_base64_decode(t->value, t->value_len, &b) != 0)
        st = bad(ps, t, "is not base64");
    else if (b.len == 0)
        st = bad(ps, t, "is empty");
    else if (b.len > max)
        st = bad(ps, t, "is too long (%zu bytes)", b.len);
    else
        memcpy(out, b.data, *n = b.len);
    ea_buf_free(&b);
    return st;
}

/* What hashing deletes: the value and the FWS around it, up to ";" or the end. */
static void b_span(parse *ps, const ea_tag *t)
{
    size_t field_len = ps->len;
    const char *f = ps->field;
    size_t start = (size_t)(t->value - f), end = start + t->value_len;
    while (start > 0 && is_fws(f[start - 1]))
        start--;
    while (end < field_len && is_fws(f[end]))
        end++;
    ps->sig->b_start = start;
    ps->sig->b_end = end;
}

static emauth_status tag_b(parse *ps, const ea_tag *t)
{
    ea_dkim_sig *s = ps->sig;
    s->b = (ea_dkim_span){t->value, t->value_len};
    b_span(ps, t);
    return base64(ps, t, s->sig, sizeof s->sig, &s->sig_len);
}

static emauth_status tag_bh(parse *ps, const ea_tag *t)
{
    return base64(ps, t, ps->sig->bh, sizeof ps->sig->bh, &ps->sig->bh_len);
}

static emauth_status tag_c(parse *ps, const ea_tag *t)
{
    char q[64];
    const char *slash = memchr(t->value, '/', t->value_len);
    size_t hlen = slash ? (size_t)(slash - t->value) : t->value_len;
    int h = ea_canon_parse(t->value, hlen);
    int b = slash ? ea_canon_parse(slash + 1, t->value_len - hlen - 1) : EA_CANON_SIMPLE;
    if (h < 0 || b < 0)
        return bad(ps, t, "unknown canonicalization \"%s\"", quoted(q, sizeof q, t));
    ps->sig->header_canon = (ea_canon)h;
    ps->sig->body_canon = (ea_canon)b;
    return EMAUTH_OK;
}

static emauth_status tag_d(parse *ps, const ea_tag *t)
{
    char q[64];
    if (!domain_ok(t->value, t->value_len))
        return bad(ps, t, "\"%s\" is not a domain name", quoted(q, sizeof q, t));
    ps->sig->d = (ea_dkim_span){t->value, t->value_len};
    return EMAUTH_OK;
}

static emauth_status tag_s(parse *ps, const ea_tag *t)
{
    char q[64];
    if (!domain_ok(t->value, t->value_len))
        return bad(ps, t, "\"%s\" is not a selector", quoted(q, sizeof q, t));
    ps->sig->s = (ea_dkim_span){t->value, t->value_len};
    return EMAUTH_OK;
}

static int field_name_ok(const char *p, size_t len)
{
    if (len == 0)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (p[i] < 33 || p[i] > 126 || p[i] == ':')
            return 0;
    return 1;
}

static emauth_status tag_h(parse *ps, const ea_tag *t)
{
    char q[64];
    ps->sig->h = (ea_dkim_span){t->value, t->value_len};
    const char *name;
    size_t pos = 0, n;
    int from = 0;
    while (ea_dkim_sig_header(ps->sig, &pos, &name, &n)) {
        if (!field_name_ok(name, n))
            return bad(ps, t, "has a bad header name in \"%s\"", quoted(q, sizeof q, t));
        from |= ieq(name, n, "from");
    }
    if (!from)
        return bad(ps, t, "does not list From");
    return EMAUTH_OK;
}

static emauth_status tag_i(parse *ps, const ea_tag *t)
{
    char q[64];
    const char *dom;
    size_t n;
    if (!ea_dkim_identity_domain(t->value, t->value_len, &dom, &n) || !domain_ok(dom, n))
        return bad(ps, t, "\"%s\" is not an identity (local@domain)", quoted(q, sizeof q, t));
    ps->sig->i = (ea_dkim_span){t->value, t->value_len};
    return EMAUTH_OK;
}

static emauth_status tag_l(parse *ps, const ea_tag *t)
{
    char q[64];
    if (!digits(t->value, t->value_len, 76, &ps->sig->l))
        return bad(ps, t, "\"%s\" is not a length", quoted(q, sizeof q, t));
    ps->sig->has_l = 1;
    return EMAUTH_OK;
}

static emauth_status tag_q(parse *ps, const ea_tag *t)
{
    char q[64];
    const char *m;
    size_t pos = 0, n;
    while (next_item(t->value, t->value_len, &pos, ':', &m, &n))
        if (ieq(m, n, "dns/txt"))
            return EMAUTH_OK;
    return bad(ps, t, "\"%s\" does not offer dns/txt", quoted(q, sizeof q, t));
}

static emauth_status time_tag(parse *ps, const ea_tag *t, int64_t *out)
{
    char q[64];
    uint64_t v;
    if (!digits(t->value, t->value_len, 12, &v))
        return bad(ps, t, "\"%s\" is not a time", quoted(q, sizeof q, t));
    *out = (int64_t)v;
    return EMAUTH_OK;
}

static emauth_status tag_t(parse *ps, const ea_tag *t)
{
    return time_tag(ps, t, &ps->sig->t);
}

static emauth_status tag_x(parse *ps, const ea_tag *t)
{
    return time_tag(ps, t, &ps->sig->x);
}

typedef struct rule {
    const char *name;
    int required;
    emauth_status (*check)(parse *ps, const ea_tag *t);
} rule;

/* In the order problems are reported. */
static const rule rules[] = {
    {"v", 1, tag_v},  {"a", 1, tag_a},  {"d", 1, tag_d},  {"s", 1, tag_s},
    {"h", 1, tag_h},  {"bh", 1, tag_bh}, {"b", 1, tag_b}, {"c", 0, tag_c},
    {"i", 0, tag_i},  {"l", 0, tag_l},  {"q", 0, tag_q},  {"t", 0, tag_t},
    {"x", 0, tag_x},
};

/* ---- across tags ------------------------------------------------------------------- */

static emauth_status cross_checks(parse *ps, const ea_tag *tags, size_t n)
{
    ea_dkim_sig *s = ps->sig;
    const char *dom;
    size_t dn;
    if (s->i.len && ea_dkim_identity_domain(s->i.p, s->i.len, &dom, &dn) &&
        !ea_dkim_domain_within(dom, dn, s->d.p, s->d.len))
        return bad(ps, ea_tags_find(tags, n, "i"), "is not within d=");
    if (s->x >= 0 && s->t >= 0 && s->x < s->t)
        return bad(ps, ea_tags_find(tags, n, "x"), "is before t=");
    if (s->s.len + sizeof "._domainkey." - 1 + s->d.len > 253)
        return bad(ps, ea_tags_find(tags, n, "s"), "and d= make a key name over 253 bytes");
    return EMAUTH_OK;
}

static emauth_status check_tags(parse *ps, const ea_tag *tags, size_t n)
{
    for (size_t r = 0; r < sizeof rules / sizeof rules[0]; r++) {
        const ea_tag *t = ea_tags_find(tags, n, rules[r].name);
        if (t == NULL) {
            if (rules[r].required)
                return ea_error(ps->err, EMAUTH_ERR_SYNTAX, 0, 0, "%s= missing", rules[r].name);
            continue;
        }
        emauth_status st = rules[r].check(ps, t);
        if (st != EMAUTH_OK)
            return st;
    }
    return cross_checks(ps, tags, n);
}

static const char *value_of(const char *field, size_t len, size_t name_len)
{
    const char *colon = name_len <= len ? memchr(field + name_len, ':', len - name_len) : NULL;
    return colon ? colon + 1 : NULL;
}

emauth_status ea_dkim_sig_parse(const char *field, size_t len, size_t name_len, ea_dkim_sig *out,
                                emauth_error *err)
{
    memset(out, 0, sizeof *out);
    const char *value = value_of(field, len, name_len);
    if (value == NULL)
        return ea_error(err, EMAUTH_ERR_SYNTAX, 0, 0, "not a header field (no colon)");
    parse ps = {field, len, (size_t)(value - field), out, err};
    ea_tag tags[EA_DKIM_MAX_TAGS];
    size_t n;
    emauth_status st = ea_tags_parse(value, len - ps.base, tags, EA_DKIM_MAX_TAGS, &n, err);
    if (st == EMAUTH_OK) {
        out->t = out->x = -1;
        out->header_canon = out->body_canon = EA_CANON_SIMPLE;
        st = check_tags(&ps, tags, n);
    } else if (err != NULL) {
        err->column += err->column ? (unsigned)ps.base : 0;
    }
    if (st != EMAUTH_OK)
        memset(out, 0, sizeof *out);
    return st;
}

ea_dkim_span ea_dkim_sig_peek(const char *field, size_t len, size_t name_len, const char *tag)
{
    const char *value = value_of(field, len, name_len);
    ea_tag tags[EA_DKIM_MAX_TAGS];
    size_t n;
    if (value == NULL ||
        ea_tags_parse(value, len - (size_t)(value - field), tags, EA_DKIM_MAX_TAGS, &n, NULL))
        return (ea_dkim_span){NULL, 0};
    const ea_tag *t = ea_tags_find(tags, n, tag);
    return t ? (ea_dkim_span){t->value, t->value_len} : (ea_dkim_span){NULL, 0};
}

/* ---- helpers shared with the verifier ------------------------------------------------- */

int ea_dkim_sig_header(const ea_dkim_sig *sig, size_t *pos, const char **name, size_t *len)
{
    return next_item(sig->h.p, sig->h.len, pos, ':', name, len);
}

int ea_dkim_domain_within(const char *dom, size_t dom_len, const char *d, size_t d_len)
{
    if (dom_len == d_len)
        return strncasecmp(dom, d, d_len) == 0;
    return dom_len > d_len && dom[dom_len - d_len - 1] == '.' &&
           strncasecmp(dom + dom_len - d_len, d, d_len) == 0;
}

int ea_dkim_identity_domain(const char *i, size_t len, const char **dom, size_t *dom_len)
{
    size_t at = len;
    while (at > 0 && i[at - 1] != '@')
        at--;
    if (at == 0)
        return 0;
    *dom = i + at;
    *dom_len = len - at;
    return 1;
}
