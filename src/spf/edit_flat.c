/*
 * Flattening (emauth_spf_flatten_start(), spf_edit.h): ranges packed into
 * the domain's record and a chain of included records, each answer within
 * the UDP size; and the difference of two range sets for the drift check.
 *
 *   DOMAIN         "v=spf1 ip4:R1 ... include:_spf1.DOMAIN <tail>"
 *   _spf1.DOMAIN   "v=spf1 ip4:Rk ... include:_spf2.DOMAIN"
 *   _spfN.DOMAIN   "v=spf1 ip4:Rm ..."     (no all: a neutral include does not match)
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <strings.h>

#include "spf/edit_internal.h"
#include "spf/record_internal.h"
#include "util/buf.h"

/* RDATA of one TXT record of len bytes: 255-byte strings, each with its length byte. */
static size_t rdata_len(size_t len)
{
    return len == 0 ? 1 : len + (len + 254) / 255;
}

size_t emauth_spf_txt_answer_size(const char *owner, size_t record_len, size_t other_rdata,
                                  size_t nother)
{
    /* header, question (name + root label + length byte, type, class), then per record a
       compressed owner (2), type, class, TTL, rdlength (10) and the RDATA */
    return 12 + (strlen(owner) + 2) + 4 + 12 + rdata_len(record_len) + 12 * nother + other_rdata;
}

emauth_status ea_edit_txt(ea_arena *a, const char *owner, const char *record, size_t len,
                          size_t other_rdata, size_t nother, uint32_t ttl, emauth_spf_txt *txt)
{
    emauth_dns_rr rr;
    memset(&rr, 0, sizeof rr);
    rr.type = EMAUTH_DNS_TXT;
    rr.ttl = ttl;
    rr.u.txt.data = record;
    rr.u.txt.len = len;
    rr.u.txt.nstrings = len == 0 ? 1 : (len + 254) / 255;
    size_t n = emauth_dns_rr_format(owner, &rr, NULL, 0);
    char *line = ea_arena_alloc(a, n + 1);
    if (line == NULL)
        return EMAUTH_ERR_NOMEM;
    emauth_dns_rr_format(owner, &rr, line, n + 1);
    memset(txt, 0, sizeof *txt);
    txt->owner = owner;
    txt->record = record;
    txt->record_len = len;
    txt->zone_line = line;
    txt->answer_size = emauth_spf_txt_answer_size(owner, len, other_rdata, nother);
    return EMAUTH_OK;
}

/* ---- The tail of the domain's record ----------------------------------------- */

static const emauth_lint_node *redirect_child(const emauth_lint_node *node)
{
    for (size_t i = 0; i < node->nchildren; i++)
        if (node->children[i]->via != NULL &&
            strncasecmp(node->children[i]->via, "redirect=", 9) == 0)
            return node->children[i];
    return NULL;
}

/*
 * The non-'+' ip4:/ip6: terms of one record, appended to b; *all its all
 * term, *exp its exp=, *next the node it redirects to (when no all).
 * Returns 1 when out of memory.
 */
static int tail_of(ea_arena *a, const emauth_lint_node *node, ea_buf *b,
                   const emauth_spf_term **all, const emauth_spf_term **exp,
                   const emauth_lint_node **next)
{
    emauth_spf_record rec;
    const char *text = node->record;
    *next = NULL;
    emauth_status st = text ? ea_spf_parse(a, text, strlen(text), &rec, NULL) : EMAUTH_ERR_SYNTAX;
    if (st != EMAUTH_OK)   /* a record the analyzer accepted parses: only memory can fail */
        return st == EMAUTH_ERR_NOMEM;
    int failed = 0;
    for (size_t i = 0; i < rec.nterms && *all == NULL; i++) {
        const emauth_spf_term *t = &rec.terms[i];
        if (t->kind == EMAUTH_SPF_ALL)
            *all = t;
        else if ((t->kind == EMAUTH_SPF_IP4 || t->kind == EMAUTH_SPF_IP6) && t->qualifier != '+')
            failed |= ea_buf_putc(b, ' ') | ea_buf_append(b, t->text, t->text_len);
    }
    *exp = rec.exp;
    if (*all == NULL && rec.redirect != NULL)
        *next = redirect_child(node);
    return failed;
}

const char *ea_edit_flat_tail(ea_arena *a, const emauth_lint_node *root)
{
    ea_buf b;
    ea_buf_init(&b);
    const emauth_spf_term *all = NULL, *exp = NULL;
    const emauth_lint_node *node = root, *last = root;
    int failed = 0;
    for (int depth = 0; node != NULL && depth < EMAUTH_LINT_MAX_NODES; depth++) {
        last = node;
        failed |= tail_of(a, node, &b, &all, &exp, &node);
    }
    failed |= ea_buf_putc(&b, ' ');
    failed |= all ? ea_buf_append(&b, all->text, all->text_len) : ea_buf_puts(&b, "~all");
    if (last == root && exp != NULL)
        failed |= ea_buf_putc(&b, ' ') | ea_buf_append(&b, exp->text, exp->text_len);
    char *tail = failed ? NULL : ea_arena_strndup(a, b.data, b.len);
    ea_buf_free(&b);
    return tail;
}

/* ---- Packing ------------------------------------------------------------- */

/* "ip4:192.0.2.0/24", or "ip4:192.0.2.1" for a single address. */
static size_t range_term(const emauth_cidr *c, char *buf, size_t size)
{
    unsigned width = c->ip.family == 4 ? 32 : 128;
    char ip[EMAUTH_IP_TEXT_MAX];
    emauth_ip_format(&c->ip, ip, sizeof ip);
    if (c->prefix == width)
        return (size_t)snprintf(buf, size, "ip%d:%s", c->ip.family, ip);
    return (size_t)snprintf(buf, size, "ip%d:%s/%u", c->ip.family, ip, c->prefix);
}

#define TERM_MAX 64

/* One record being packed: its owner, the fixed part, and the room it leaves. */
typedef struct slot {
    const char *owner;
    size_t fixed;              /* "v=spf1" + the suffix */
    size_t other_rdata, nother;
} slot;

/* How many ranges from the first fit in the slot's answer. */
static size_t fit(const ea_pack_input *in, const slot *s, size_t first)
{
    size_t len = s->fixed, k = 0;
    char term[TERM_MAX];
    for (size_t i = first; i < in->nranges; i++, k++) {
        len += 1 + range_term(&in->ranges[i], term, sizeof term);
        if (emauth_spf_txt_answer_size(s->owner, len, s->other_rdata, s->nother) >
            in->limits->udp_size)
            break;
    }
    return k;
}

static char *chain_name(ea_arena *a, size_t i, const char *domain)
{
    size_t n = (size_t)snprintf(NULL, 0, "_spf%zu.%s", i, domain);
    char *s = ea_arena_alloc(a, n + 1);
    if (s != NULL)
        snprintf(s, n + 1, "_spf%zu.%s", i, domain);
    return s;
}

/* "v=spf1" + ranges [first, first + k) + " include:NEXT" when next + suffix. */
static char *record_text(ea_arena *a, const ea_pack_input *in, size_t first, size_t k,
                         const char *next, const char *suffix, size_t *len)
{
    size_t size = 7 + k * TERM_MAX + (next ? strlen(next) + 9 : 0) + strlen(suffix);
    char *text = ea_arena_alloc(a, size), *d = text;
    if (text == NULL)
        return NULL;
    d += snprintf(d, size, "v=spf1");
    for (size_t i = first; i < first + k; i++) {
        *d++ = ' ';
        d += range_term(&in->ranges[i], d, TERM_MAX);
    }
    if (next != NULL)
        d += snprintf(d, size - (size_t)(d - text), " include:%s", next);
    d += snprintf(d, size - (size_t)(d - text), "%s", suffix);
    *len = (size_t)(d - text);
    return text;
}

static emauth_status refuse(ea_arena *a, const char **why, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* EMAUTH_ERR_LIMIT with the reason in *why. */
static emauth_status refuse(ea_arena *a, const char **why, const char *fmt, ...)
{
    char *s = ea_arena_alloc(a, 256);
    if (s == NULL)
        return EMAUTH_ERR_NOMEM;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s, 256, fmt, ap);
    va_end(ap);
    *why = s;
    return EMAUTH_ERR_LIMIT;
}

/* Packs record number i (its owner in s) from range first; *used = ranges it took. */
static emauth_status pack_one(ea_arena *a, const ea_pack_input *in, size_t i, slot *s,
                              size_t first, emauth_spf_txt *txt, size_t *used, const char **why)
{
    const char *suffix = i == 0 ? in->tail : "";
    s->fixed = 6 + strlen(suffix);
    const char *next = NULL;
    size_t k = fit(in, s, first);
    if (first + k < in->nranges) {
        if ((next = chain_name(a, i + 1, in->domain)) == NULL)
            return EMAUTH_ERR_NOMEM;
        if (strlen(next) > 253)
            return refuse(a, why, "%s: the chained record names would be over 253 bytes",
                          in->domain);
        s->fixed += 9 + strlen(next);
        k = fit(in, s, first);
    }
    size_t len;
    char *text = record_text(a, in, first, k, next, suffix, &len);
    if (text == NULL || ea_edit_txt(a, s->owner, text, len, s->other_rdata, s->nother,
                                    in->limits->ttl, txt) != EMAUTH_OK)
        return EMAUTH_ERR_NOMEM;
    if (txt->answer_size > in->limits->udp_size || (k == 0 && next != NULL))
        return refuse(a, why, "%s: no room for a range within a %zu-byte answer (%zu bytes"
                      " without one)", s->owner, in->limits->udp_size, txt->answer_size);
    txt->lookups = next != NULL;
    txt->nranges = k;
    *used = k;
    return EMAUTH_OK;
}

emauth_status ea_edit_pack(ea_arena *a, const ea_pack_input *in, emauth_spf_txt **out,
                           size_t *nout, const char **why)
{
    size_t max = (size_t)in->limits->dns_lookups + 1, n = 0, first = 0;
    emauth_spf_txt *v = ea_arena_alloc(a, max * sizeof *v);
    if (v == NULL)
        return EMAUTH_ERR_NOMEM;
    *out = NULL;
    *nout = 0;
    do {
        if (n == max)
            return refuse(a, why, "%s: %zu ranges do not fit in %zu chained records", in->domain,
                          in->nranges, max);
        slot s = {in->domain, 0, in->other_rdata, in->nother};
        if (n > 0) {
            s = (slot){chain_name(a, n, in->domain), 0, 0, 0};
            if (s.owner == NULL)
                return EMAUTH_ERR_NOMEM;
        }
        size_t used = 0;
        emauth_status st = pack_one(a, in, n, &s, first, &v[n], &used, why);
        if (st != EMAUTH_OK)
            return st;
        first += used;
        n++;
    } while (first < in->nranges);
    *out = v;
    *nout = n;
    return EMAUTH_OK;
}

/* ---- Differences ----------------------------------------------------------- */

typedef struct vec {
    emauth_cidr *v;
    size_t n, cap;
} vec;

static int push(vec *o, const emauth_cidr *c)
{
    if (o->n == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 16;
        emauth_cidr *v = realloc(o->v, cap * sizeof *v);
        if (v == NULL)
            return -1;
        o->v = v;
        o->cap = cap;
    }
    o->v[o->n++] = *c;
    return 0;
}

static int overlap(const emauth_cidr *a, const emauth_cidr *b)
{
    return emauth_cidr_contains(a, b) || emauth_cidr_contains(b, a);
}

/*
 * x minus the ranges y[0..ny), which all overlap x: y is sorted without
 * overlaps, so those within either half of x are a prefix and a suffix of it.
 */
static int diff_one(const emauth_cidr *x, const emauth_cidr *y, size_t ny, vec *o)
{
    if (ny == 0)
        return push(o, x);
    for (size_t i = 0; i < ny; i++)
        if (emauth_cidr_contains(&y[i], x))
            return 0;
    emauth_cidr half[2];
    half[0] = emauth_cidr_make(&x->ip, x->prefix + 1);
    half[1] = half[0];
    half[1].ip.addr[x->prefix / 8] |= (uint8_t)(0x80 >> (x->prefix % 8));
    size_t k = 0;
    while (k < ny && emauth_cidr_contains(&half[0], &y[k]))
        k++;
    if (diff_one(&half[0], y, k, o) != 0)
        return -1;
    return diff_one(&half[1], y + k, ny - k, o);
}

emauth_status ea_edit_diff(ea_arena *a, const emauth_cidr *x, size_t nx, const emauth_cidr *y,
                           size_t ny, emauth_cidr **out, size_t *nout)
{
    vec o = {NULL, 0, 0};
    int failed = 0;
    for (size_t i = 0; i < nx && !failed; i++) {
        size_t lo = 0;
        while (lo < ny && !overlap(&x[i], &y[lo]))
            lo++;
        size_t hi = lo;
        while (hi < ny && overlap(&x[i], &y[hi]))
            hi++;
        failed = diff_one(&x[i], y + lo, hi - lo, &o) != 0;
    }
    *out = NULL;
    *nout = 0;
    if (!failed && o.n > 0) {
        o.n = emauth_cidr_merge(o.v, o.n);
        *out = ea_arena_alloc(a, o.n * sizeof **out);
        failed = *out == NULL;
        if (!failed) {
            memcpy(*out, o.v, o.n * sizeof **out);
            *nout = o.n;
        }
    }
    free(o.v);
    return failed ? EMAUTH_ERR_NOMEM : EMAUTH_OK;
}
