/*
 * The in-memory zone: an open-addressing hash table of owner names, each
 * node holding its records grouped by type, so a query is one hash of the
 * lower-cased name, a probe or two, and a scan of a handful of types; the
 * answer points at a contiguous array in the node. No allocation per query.
 *
 * Existence follows RFC 8020: when a name gets its first record, all its
 * ancestors are entered as empty non-terminals, so they answer NODATA, not
 * NXDOMAIN. Names that only time out ($TIMEOUT) do not create ancestors.
 *
 * Wildcards (RFC 4592): when a name is absent and the zone has an owner
 * whose first label is "*", the closest existing ancestor is looked for and
 * "*.<ancestor>" answers in its place.
 *
 * A query writes the followed CNAMEs into the zone (the answer points at
 * them), so one zone answers one thread at a time; loading and adding must
 * not overlap queries either.
 *
 * The master-file parser is in zone_parse.c; it hands over whole files via
 * ea_zone_commit().
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <emauth/dns.h>

#include "dns/zone_internal.h"
#include "util/arena.h"
#include "util/error.h"

#define ZONE_FIRST_SLOTS 64u

/* The records of one type at one name, in the order they were added. */
typedef struct zone_rrset {
    uint16_t type;
    uint32_t count, cap;
    emauth_dns_rr *rrs;
} zone_rrset;

typedef struct zone_node {
    const char *name;       /* canonical text, in an arena */
    uint32_t len;
    uint32_t hash;
    zone_rrset *sets;
    uint16_t nsets, cap_sets;
    uint8_t timeout;        /* $TIMEOUT */
    uint8_t owner;          /* named in the zone (not only an empty non-terminal) */
    uint8_t ancestors;      /* ancestors have been entered */
} zone_node;

/* idx is the node index + 1, so a zeroed table is empty. */
typedef struct zone_slot {
    uint32_t hash;
    uint32_t idx;
} zone_slot;

struct emauth_zone {
    emauth_resolver resolver;   /* first: the resolver pointer is the zone pointer */
    zone_slot *slots;
    size_t mask;                /* slot count - 1 (a power of two), or 0 when none */
    zone_node *nodes;
    size_t nnodes, cap_nodes;
    size_t owners;              /* nodes with owner set */
    size_t wildcards;           /* nodes whose first label is "*" */
    ea_arena arena;             /* strings from emauth_zone_add() */
    ea_arena *loaded;           /* arenas taken over from file loads */
    size_t nloaded, cap_loaded;
    emauth_zone_warn_fn warn;
    void *warn_arg;
};

/*
 * The CNAME chain of the last query, per thread: a loaded zone is only
 * read by queries, so threads may share it.
 */
static _Thread_local const char *query_cnames[EA_ZONE_CNAME_MAX + 1];

/* ---- Names --------------------------------------------------------------- */

static unsigned char lower(unsigned char c)
{
    return (unsigned char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

const char *ea_zone_unescape(const char *text, size_t len, size_t *i, unsigned char *out)
{
    size_t at = *i;
    if (text[at] != '\\') {
        *out = (unsigned char)text[at];
        *i = at + 1;
        return NULL;
    }
    if (len - at < 2)
        return "backslash at the end";
    if (!is_digit(text[at + 1])) {
        *out = (unsigned char)text[at + 1];
        *i = at + 2;
        return NULL;
    }
    if (len - at < 4 || !is_digit(text[at + 2]) || !is_digit(text[at + 3]))
        return "bad \\DDD escape (three decimal digits)";
    unsigned v = (unsigned)(text[at + 1] - '0') * 100 + (unsigned)(text[at + 2] - '0') * 10 +
                 (unsigned)(text[at + 3] - '0');
    if (v > 255)
        return "bad \\DDD escape (over 255)";
    *out = (unsigned char)v;
    *i = at + 4;
    return NULL;
}

/* One label from text[*i] up to an unescaped '.' or the end. */
static const char *name_parse_label(const char *text, size_t len, size_t *i, ea_zone_wire *out)
{
    if (out->len >= EA_ZONE_WIRE_MAX)
        return "name longer than 253 bytes";
    size_t lenpos = out->len++;
    size_t label = 0;
    while (*i < len && text[*i] != '.') {
        unsigned char c;
        const char *why = ea_zone_unescape(text, len, i, &c);
        if (why != NULL)
            return why;
        if (label == EA_ZONE_LABEL_MAX)
            return "label longer than 63 bytes";
        if (out->len >= EA_ZONE_WIRE_MAX)
            return "name longer than 253 bytes";
        out->b[out->len++] = lower(c);
        label++;
    }
    if (label == 0)
        return "empty label";
    out->b[lenpos] = (uint8_t)label;
    return NULL;
}

const char *ea_zone_name_parse(const char *text, size_t len, ea_zone_wire *out, int *absolute)
{
    out->len = 0;
    *absolute = 0;
    if (len == 0)
        return "empty name";
    if (len == 1 && text[0] == '.') {
        *absolute = 1;
        return NULL;
    }
    size_t i = 0;
    while (i < len) {
        const char *why = name_parse_label(text, len, &i, out);
        if (why != NULL)
            return why;
        if (i < len && ++i == len)      /* skip the '.'; was it the last byte? */
            *absolute = 1;
    }
    return NULL;
}

const char *ea_zone_name_append(ea_zone_wire *name, const ea_zone_wire *origin)
{
    if (origin->len > EA_ZONE_WIRE_MAX - name->len)
        return "name longer than 253 bytes";
    memcpy(name->b + name->len, origin->b, origin->len);
    name->len += origin->len;
    return NULL;
}

size_t ea_zone_name_text(const ea_zone_wire *w, char *out)
{
    size_t o = 0, i = 0;
    while (i < w->len) {
        size_t label = w->b[i++];
        if (o > 0)
            out[o++] = '.';
        for (size_t j = 0; j < label && i < w->len; j++) {
            unsigned char c = w->b[i++];
            if (c > 0x20 && c < 0x7f && c != '.' && c != '\\') {
                out[o++] = (char)c;
            } else {
                out[o++] = '\\';
                out[o++] = (char)('0' + c / 100);
                out[o++] = (char)('0' + c / 10 % 10);
                out[o++] = (char)('0' + c % 10);
            }
        }
    }
    out[o] = '\0';
    return o;
}

/* An absolute name (trailing dot optional) to canonical text; NULL or why. */
static const char *name_canon(const char *text, size_t len, char *out, size_t *outlen)
{
    ea_zone_wire w;
    int absolute;
    const char *why = ea_zone_name_parse(text, len, &w, &absolute);
    if (why != NULL)
        return why;
    *outlen = ea_zone_name_text(&w, out);
    return NULL;
}

/* ---- Hashing ------------------------------------------------------------- */

static inline uint64_t mix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdu;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53u;
    h ^= h >> 33;
    return h;
}

/*
 * Eight bytes at a time with one multiply each: names are short, so this
 * costs a few nanoseconds. Only consistency within a process matters, so
 * the host byte order is fine.
 */
static uint32_t hash_text(const char *p, size_t len)
{
    uint64_t h = 0x9e3779b97f4a7c15u ^ len;
    size_t i = 0;
    for (; len - i >= 8; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdu;
        h ^= h >> 29;
    }
    uint64_t w = 0;
    for (; i < len; i++)
        w = w << 8 | (unsigned char)p[i];
    return (uint32_t)mix64(h ^ w);
}

/* ---- The table ----------------------------------------------------------- */

static emauth_status zone_resolver_query(emauth_resolver *self, const emauth_dns_question *q,
                                         emauth_dns_answer *out);

emauth_zone *emauth_zone_new(void)
{
    emauth_zone *z = calloc(1, sizeof *z);
    if (z == NULL)
        return NULL;
    z->resolver.query = zone_resolver_query;
    z->resolver.destroy = NULL;     /* the resolver belongs to the zone */
    ea_arena_init(&z->arena);
    return z;
}

void emauth_zone_free(emauth_zone *zone)
{
    if (zone == NULL)
        return;
    for (size_t i = 0; i < zone->nnodes; i++) {
        zone_node *n = &zone->nodes[i];
        for (size_t j = 0; j < n->nsets; j++)
            free(n->sets[j].rrs);
        free(n->sets);
    }
    free(zone->nodes);
    free(zone->slots);
    for (size_t i = 0; i < zone->nloaded; i++)
        ea_arena_free(&zone->loaded[i]);
    free(zone->loaded);
    ea_arena_free(&zone->arena);
    free(zone);
}

void emauth_zone_set_warn(emauth_zone *zone, emauth_zone_warn_fn fn, void *arg)
{
    if (zone == NULL)
        return;
    zone->warn = fn;
    zone->warn_arg = arg;
}

void ea_zone_warn(emauth_zone *zone, const char *msg)
{
    if (zone->warn != NULL)
        zone->warn(zone->warn_arg, msg);
}

size_t emauth_zone_name_count(const emauth_zone *zone)
{
    return zone ? zone->owners : 0;
}

void emauth_zone_foreach_name(const emauth_zone *zone, emauth_zone_name_fn fn, void *arg)
{
    for (size_t i = 0; zone != NULL && i < zone->nnodes; i++)
        if (zone->nodes[i].owner)
            fn(arg, zone->nodes[i].name);
}

static zone_node *zone_find(const emauth_zone *z, const char *name, size_t len, uint32_t h)
{
    if (z->slots == NULL)
        return NULL;
    for (size_t i = h & z->mask;; i = (i + 1) & z->mask) {
        const zone_slot *s = &z->slots[i];
        if (s->idx == 0)
            return NULL;
        if (s->hash == h) {
            zone_node *n = &z->nodes[s->idx - 1];
            if (n->len == len && memcmp(n->name, name, len) == 0)
                return n;
        }
    }
}

static void slot_insert(zone_slot *slots, size_t mask, uint32_t h, uint32_t idx)
{
    size_t i = h & mask;
    while (slots[i].idx != 0)
        i = (i + 1) & mask;
    slots[i].hash = h;
    slots[i].idx = idx;
}

/* Keeps the table at most half full, so probes stay short. */
static int table_reserve(emauth_zone *z)
{
    size_t cap = z->slots ? z->mask + 1 : 0;
    if (z->nnodes + 1 <= cap / 2)
        return 0;
    size_t ncap = cap ? cap * 2 : ZONE_FIRST_SLOTS;
    if (ncap > UINT32_MAX || ncap > SIZE_MAX / sizeof(zone_slot))
        return -1;
    zone_slot *ns = calloc(ncap, sizeof *ns);
    if (ns == NULL)
        return -1;
    for (size_t i = 0; i < z->nnodes; i++)
        slot_insert(ns, ncap - 1, z->nodes[i].hash, (uint32_t)(i + 1));
    free(z->slots);
    z->slots = ns;
    z->mask = ncap - 1;
    return 0;
}

static int nodes_reserve(emauth_zone *z)
{
    if (z->nnodes < z->cap_nodes)
        return 0;
    size_t ncap = z->cap_nodes ? z->cap_nodes * 2 : ZONE_FIRST_SLOTS / 2;
    if (ncap >= UINT32_MAX || ncap > SIZE_MAX / sizeof(zone_node))
        return -1;
    zone_node *nn = realloc(z->nodes, ncap * sizeof *nn);
    if (nn == NULL)
        return -1;
    z->nodes = nn;
    z->cap_nodes = ncap;
    return 0;
}

/*
 * The node for name (hash h), created empty when absent; name must outlive
 * the zone (it points into one of the zone's arenas). NULL when out of
 * memory. The pointer is valid until the next node is created.
 */
static zone_node *node_get(emauth_zone *z, const char *name, size_t len, uint32_t h)
{
    zone_node *n = zone_find(z, name, len, h);
    if (n != NULL)
        return n;
    if (len > UINT32_MAX || table_reserve(z) != 0 || nodes_reserve(z) != 0)
        return NULL;
    n = &z->nodes[z->nnodes++];
    memset(n, 0, sizeof *n);
    n->name = name;
    n->len = (uint32_t)len;
    n->hash = h;
    slot_insert(z->slots, z->mask, h, (uint32_t)z->nnodes);
    if (name[0] == '*' && (len == 1 || name[1] == '.'))
        z->wildcards++;
    return n;
}

static zone_rrset *node_set(const zone_node *n, uint16_t type)
{
    for (size_t i = 0; i < n->nsets; i++)
        if (n->sets[i].type == type)
            return &n->sets[i];
    return NULL;
}

static int node_add_rr(zone_node *n, const emauth_dns_rr *rr)
{
    zone_rrset *s = node_set(n, rr->type);
    if (s == NULL) {
        if (n->nsets == n->cap_sets) {
            size_t ncap = n->cap_sets ? (size_t)n->cap_sets * 2 : 2;
            if (ncap > UINT16_MAX)
                return -1;
            zone_rrset *ns = realloc(n->sets, ncap * sizeof *ns);
            if (ns == NULL)
                return -1;
            n->sets = ns;
            n->cap_sets = (uint16_t)ncap;
        }
        s = &n->sets[n->nsets++];
        s->type = rr->type;
        s->count = s->cap = 0;
        s->rrs = NULL;
    }
    if (s->count == s->cap) {
        size_t ncap = s->cap ? (size_t)s->cap * 2 : 1;
        if (ncap > UINT32_MAX || ncap > SIZE_MAX / sizeof(emauth_dns_rr))
            return -1;
        emauth_dns_rr *nr = realloc(s->rrs, ncap * sizeof *nr);
        if (nr == NULL)
            return -1;
        s->rrs = nr;
        s->cap = (uint32_t)ncap;
    }
    s->rrs[s->count++] = *rr;
    return 0;
}

/*
 * Enters every proper ancestor of name (not the root) as an empty
 * non-terminal, the shortest first, so that a node marked as having its
 * ancestors really has them even when memory runs out half-way.
 */
static int node_add_ancestors(emauth_zone *z, const char *name, size_t len)
{
    for (size_t i = len; i-- > 0;) {
        if (name[i] != '.')
            continue;
        const char *up = name + i + 1;
        zone_node *a = node_get(z, up, len - i - 1, hash_text(up, len - i - 1));
        if (a == NULL)
            return -1;
        a->ancestors = 1;
    }
    return 0;
}

/* Stores one staged entry; name is canonical text owned by a zone arena. */
static emauth_status zone_put(emauth_zone *z, ea_zone_stage_kind kind, const char *name, size_t len,
                              const emauth_dns_rr *rr)
{
    uint32_t h = hash_text(name, len);
    zone_node *n = node_get(z, name, len, h);
    if (n == NULL)
        return EMAUTH_ERR_NOMEM;
    if (kind == EA_ZONE_STAGE_RR && node_add_rr(n, rr) != 0)
        return EMAUTH_ERR_NOMEM;
    if (kind == EA_ZONE_STAGE_TIMEOUT)
        n->timeout = 1;
    if (!n->owner) {
        n->owner = 1;
        z->owners++;
    }
    if (kind == EA_ZONE_STAGE_TIMEOUT || n->ancestors)
        return EMAUTH_OK;
    if (node_add_ancestors(z, name, len) != 0)
        return EMAUTH_ERR_NOMEM;
    zone_find(z, name, len, h)->ancestors = 1;  /* n may have moved */
    return EMAUTH_OK;
}

emauth_status ea_zone_commit(emauth_zone *zone, ea_arena *arena, const ea_zone_staged *recs,
                             size_t n, emauth_error *err)
{
    if (zone->nloaded == zone->cap_loaded) {
        size_t ncap = zone->cap_loaded ? zone->cap_loaded * 2 : 4;
        ea_arena *nl = realloc(zone->loaded, ncap * sizeof *nl);
        if (nl == NULL) {
            ea_arena_free(arena);
            return ea_error(err, EMAUTH_ERR_NOMEM, 0, 0, "out of memory");
        }
        zone->loaded = nl;
        zone->cap_loaded = ncap;
    }
    if (arena->head != NULL)
        zone->loaded[zone->nloaded++] = *arena;
    ea_arena_init(arena);
    for (size_t i = 0; i < n; i++) {
        if (zone_put(zone, recs[i].kind, recs[i].owner, recs[i].owner_len, &recs[i].rr) != 0)
            return ea_error(err, EMAUTH_ERR_NOMEM, 0, 0, "out of memory");
    }
    return EMAUTH_OK;
}

/* ---- Adding records directly --------------------------------------------- */

/* A copy of an absolute name's canonical text in the zone arena; NULL or why. */
static const char *zone_name_copy(emauth_zone *z, const char *text, const char **out, size_t *len,
                                  emauth_status *st)
{
    char buf[EA_ZONE_TEXT_MAX];
    *st = EMAUTH_ERR_SYNTAX;
    if (text == NULL)
        return "missing name";
    size_t tlen = strnlen(text, EA_ZONE_TEXT_MAX + 1);
    if (tlen > EA_ZONE_TEXT_MAX)
        return "name longer than 253 bytes";
    const char *why = name_canon(text, tlen, buf, len);
    if (why != NULL)
        return why;
    *out = ea_arena_strndup(&z->arena, buf, *len);
    if (*out == NULL) {
        *st = EMAUTH_ERR_NOMEM;
        return "out of memory";
    }
    return NULL;
}

/* Replaces a name field of rr by its canonical copy. */
static emauth_status add_name_field(emauth_zone *z, const char **field, const char *what,
                                    emauth_error *err)
{
    size_t len;
    emauth_status st;
    const char *orig = *field;
    const char *why = zone_name_copy(z, orig, field, &len, &st);
    if (why == NULL)
        return EMAUTH_OK;
    char q[96];
    return ea_error(err, st, 0, 0, "bad %s \"%s\": %s", what,
                    orig ? ea_quote(q, sizeof q, orig, strnlen(orig, 80), 60) : "", why);
}

/* Copies the strings of rr into the zone arena, canonicalizing names. */
static emauth_status add_copy_rdata(emauth_zone *z, emauth_dns_rr *rr, emauth_error *err)
{
    emauth_status st = EMAUTH_OK;
    switch (rr->type) {
    case EMAUTH_DNS_A:
    case EMAUTH_DNS_AAAA:
        return EMAUTH_OK;
    case EMAUTH_DNS_NS:
    case EMAUTH_DNS_CNAME:
    case EMAUTH_DNS_PTR:
        return add_name_field(z, &rr->u.target, "target", err);
    case EMAUTH_DNS_MX:
        if (rr->u.mx.exchange != NULL && rr->u.mx.exchange[0] == '\0') {
            rr->u.mx.exchange = "";         /* null MX, RFC 7505 */
            return EMAUTH_OK;
        }
        return add_name_field(z, &rr->u.mx.exchange, "MX exchange", err);
    case EMAUTH_DNS_SOA:
        st = add_name_field(z, &rr->u.soa.mname, "SOA mname", err);
        return st != EMAUTH_OK ? st : add_name_field(z, &rr->u.soa.rname, "SOA rname", err);
    case EMAUTH_DNS_TXT:
    case EMAUTH_DNS_SPF:
        if (rr->u.txt.data == NULL && rr->u.txt.len > 0)
            return ea_error(err, EMAUTH_ERR_INVALID, 0, 0, "TXT data is NULL");
        rr->u.txt.data = ea_arena_strndup(&z->arena, rr->u.txt.data ? rr->u.txt.data : "",
                                          rr->u.txt.len);
        if (rr->u.txt.data == NULL)
            return ea_error(err, EMAUTH_ERR_NOMEM, 0, 0, "out of memory");
        return EMAUTH_OK;
    }
    return ea_error(err, EMAUTH_ERR_INVALID, 0, 0, "unsupported record type %u", rr->type);
}

emauth_status emauth_zone_add(emauth_zone *zone, const char *owner, const emauth_dns_rr *rr,
                              emauth_error *err)
{
    if (zone == NULL || rr == NULL)
        return ea_error(err, EMAUTH_ERR_INVALID, 0, 0, "no zone or record");
    emauth_dns_rr copy = *rr;
    emauth_status st = add_copy_rdata(zone, &copy, err);
    if (st != EMAUTH_OK)
        return st;
    const char *name = owner;
    st = add_name_field(zone, &name, "owner name", err);
    if (st != EMAUTH_OK)
        return st;
    st = zone_put(zone, EA_ZONE_STAGE_RR, name, strlen(name), &copy);
    return st == EMAUTH_OK ? st : ea_error(err, st, 0, 0, "out of memory");
}

emauth_status emauth_zone_add_timeout(emauth_zone *zone, const char *owner, emauth_error *err)
{
    if (zone == NULL)
        return ea_error(err, EMAUTH_ERR_INVALID, 0, 0, "no zone");
    const char *name = owner;
    emauth_status st = add_name_field(zone, &name, "owner name", err);
    if (st != EMAUTH_OK)
        return st;
    st = zone_put(zone, EA_ZONE_STAGE_TIMEOUT, name, strlen(name), NULL);
    return st == EMAUTH_OK ? st : ea_error(err, st, 0, 0, "out of memory");
}

/* ---- Queries ------------------------------------------------------------- */

/* Names with escapes or unusual bytes: the full parser, then the canonical text. */
static const char *query_name_slow(const char *name, char *buf, size_t *len, uint32_t *h)
{
    size_t n = strnlen(name, EA_ZONE_TEXT_MAX + 1);
    if (n > EA_ZONE_TEXT_MAX)
        return "name longer than 253 bytes";
    if (n == 0) {
        *len = 0;
        buf[0] = '\0';
        *h = hash_text(buf, 0);
        return NULL;
    }
    const char *why = name_canon(name, n, buf, len);
    if (why != NULL)
        return why;
    *h = hash_text(buf, *len);
    return NULL;
}

/*
 * The canonical text and hash of a query name, or why it is malformed.
 * The common case (printable bytes, no escapes) maps byte for byte, so one
 * index serves input and output; the loop stops a byte past the longest
 * legal name, so a huge string costs no more than a legal one. Labels are
 * measured at each '.', a trailing dot is dropped at the end.
 */
static const char *query_name(const char *name, char *buf, size_t *len, uint32_t *h)
{
    size_t i = 0, start = 0;
    for (;; i++) {
        unsigned char c = (unsigned char)name[i];
        if ((unsigned)(c - 0x21) < 0x5e && c != '.' && c != '\\') {
            if (i > EA_ZONE_NAME_MAX)
                return i - start > EA_ZONE_LABEL_MAX ? "label longer than 63 bytes"
                                                     : "name longer than 253 bytes";
            buf[i] = (char)((unsigned)(c - 'A') < 26 ? c | 0x20 : c);
            continue;
        }
        if (c == '\0')
            break;
        if (c != '.')
            return query_name_slow(name, buf, len, h);
        if (i == start && !(i == 0 && name[1] == '\0'))
            return "empty label in name";
        if (i - start > EA_ZONE_LABEL_MAX)
            return "label longer than 63 bytes";
        buf[i] = '.';
        start = i + 1;
    }
    if (i - start > EA_ZONE_LABEL_MAX)
        return "label longer than 63 bytes";
    size_t n = i > 0 && buf[i - 1] == '.' ? i - 1 : i;
    if (n > EA_ZONE_NAME_MAX)
        return "name longer than 253 bytes";
    buf[n] = '\0';
    *len = n;
    *h = hash_text(buf, n);
    return NULL;
}

/*
 * RFC 4592: for an absent name, the closest existing ancestor (the closest
 * encloser) decides; "*.<encloser>" answers if it exists, else NXDOMAIN.
 */
static const zone_node *wildcard_find(const emauth_zone *z, const char *name, size_t len)
{
    char buf[EA_ZONE_TEXT_MAX + 2];
    for (size_t i = 0; i <= len; i++) {
        if (i < len && name[i] != '.')
            continue;
        const char *up = i < len ? name + i + 1 : "";
        size_t uplen = i < len ? len - i - 1 : 0;
        if (uplen > 0 && zone_find(z, up, uplen, hash_text(up, uplen)) == NULL)
            continue;
        buf[0] = '*';
        size_t blen = 1;
        if (uplen > 0) {
            buf[1] = '.';
            memcpy(buf + 2, up, uplen);
            blen = uplen + 2;
        }
        return zone_find(z, buf, blen, hash_text(buf, blen));
    }
    return NULL;
}

static const zone_node *node_lookup(const emauth_zone *z, const char *name, size_t len, uint32_t h)
{
    const zone_node *n = zone_find(z, name, len, h);
    if (n == NULL && z->wildcards > 0 && len > 0)
        n = wildcard_find(z, name, len);
    return n;
}

static void answer_set(emauth_dns_answer *out, emauth_dns_rcode rcode, const char *why)
{
    out->rcode = rcode;
    out->why = why;
    out->count = 0;
    out->rrs = NULL;
}

/* Follows CNAMEs from n; the answer's class is that of the last name reached. */
static void answer_from(emauth_zone *z, const zone_node *n, uint16_t type, emauth_dns_answer *out)
{
    const zone_node *seen[EA_ZONE_CNAME_MAX + 1];
    size_t hops = 0;
    for (;;) {
        if (n == NULL) {
            answer_set(out, EMAUTH_DNS_NXDOMAIN, NULL);
            break;
        }
        const zone_rrset *s = node_set(n, type);
        if (s != NULL) {
            answer_set(out, EMAUTH_DNS_OK, NULL);
            out->count = s->count;
            out->rrs = s->rrs;
            break;
        }
        if (type != EMAUTH_DNS_CNAME && (s = node_set(n, EMAUTH_DNS_CNAME)) != NULL) {
            seen[hops] = n;
            const char *target = s->rrs[0].u.target;
            size_t tlen = strlen(target);
            n = node_lookup(z, target, tlen, hash_text(target, tlen));
            query_cnames[hops++] = target;
            size_t j = 0;
            while (j < hops && seen[j] != n)
                j++;
            if (n != NULL && j < hops) {
                answer_set(out, EMAUTH_DNS_SERVFAIL, "CNAME loop");
                break;
            }
            if (hops > EA_ZONE_CNAME_MAX) {
                answer_set(out, EMAUTH_DNS_SERVFAIL, "CNAME chain longer than 16");
                break;
            }
            continue;
        }
        if (n->timeout)
            answer_set(out, EMAUTH_DNS_TIMEOUT, "timed out ($TIMEOUT in the zone)");
        else
            answer_set(out, EMAUTH_DNS_NODATA, NULL);
        break;
    }
    out->cname_count = hops;
    out->cnames = hops > 0 ? query_cnames : NULL;
}

emauth_status emauth_zone_query(emauth_zone *zone, const emauth_dns_question *q,
                                emauth_dns_answer *out)
{
    if (zone == NULL || q == NULL || q->name == NULL || out == NULL)
        return EMAUTH_ERR_INVALID;
    out->cname_count = 0;
    out->cnames = NULL;
    char buf[EA_ZONE_TEXT_MAX];
    size_t len;
    uint32_t h;
    const char *why = query_name(q->name, buf, &len, &h);
    if (why != NULL) {
        answer_set(out, EMAUTH_DNS_SERVFAIL, why);
        return EMAUTH_OK;
    }
    answer_from(zone, node_lookup(zone, buf, len, h), q->type, out);
    return EMAUTH_OK;
}

static emauth_status zone_resolver_query(emauth_resolver *self, const emauth_dns_question *q,
                                         emauth_dns_answer *out)
{
    return emauth_zone_query((emauth_zone *)self, q, out);
}

emauth_resolver *emauth_zone_resolver(emauth_zone *zone)
{
    return zone ? &zone->resolver : NULL;
}
