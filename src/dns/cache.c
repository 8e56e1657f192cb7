/* DNS answer cache; see cache.h. */
#include <stdlib.h>
#include <string.h>

#include "dns/cache.h"

/* Bytes an entry may take on average: answers are a few hundred bytes, but
 * one name can answer with a 64 KiB message of records (~300 KiB copied),
 * so the entry count alone does not bound memory. */
#define BYTES_PER_ENTRY 2048

typedef struct entry entry;
struct entry {
    entry *hnext;                  /* hash chain */
    entry *prev, *next;            /* LRU list, most recent first */
    uint64_t hash;
    uint64_t expires_ms;
    uint16_t type;
    size_t name_len;
    size_t size;                   /* of this block */
    const char *name;              /* lower-cased key, in this block */
    emauth_dns_answer answer;      /* deep copy, in this block */
};

struct ea_cache {
    entry **buckets;
    size_t nbuckets;               /* power of two */
    size_t count, max;
    size_t bytes, max_bytes;       /* of all blocks; max_bytes = max x BYTES_PER_ENTRY */
    uint32_t max_ttl;
    entry *head, *tail;
};

ea_cache *ea_cache_new(size_t max_entries, uint32_t max_ttl)
{
    if (max_entries == 0)
        return NULL;
    ea_cache *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    c->nbuckets = 64;
    while (c->nbuckets < max_entries && c->nbuckets < ((size_t)1 << 24))
        c->nbuckets *= 2;
    c->buckets = calloc(c->nbuckets, sizeof *c->buckets);
    if (c->buckets == NULL) {
        free(c);
        return NULL;
    }
    c->max = max_entries;
    c->max_bytes = max_entries > SIZE_MAX / BYTES_PER_ENTRY ? SIZE_MAX
                                                            : max_entries * BYTES_PER_ENTRY;
    c->max_ttl = max_ttl;
    return c;
}

void ea_cache_free(ea_cache *c)
{
    if (c == NULL)
        return;
    for (entry *e = c->head, *n; e != NULL; e = n) {
        n = e->next;
        free(e);
    }
    free(c->buckets);
    free(c);
}

size_t ea_cache_count(const ea_cache *c)
{
    return c->count;
}

/* Lower-cases name without its trailing dot into buf; 0 when too long. */
static size_t key_of(const char *name, char *buf, size_t size, uint64_t *hash)
{
    size_t n = strlen(name);
    if (n && name[n - 1] == '.')
        n--;
    if (n >= size)
        return 0;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        char ch = name[i] >= 'A' && name[i] <= 'Z' ? (char)(name[i] + 32) : name[i];
        buf[i] = ch;
        h = (h ^ (unsigned char)ch) * 1099511628211ull;
    }
    buf[n] = '\0';
    *hash = h;
    return n ? n : (size_t)-1;
}

static entry **find_slot(ea_cache *c, const char *key, size_t len, uint16_t type, uint64_t h)
{
    entry **pp = &c->buckets[(h ^ type) & (c->nbuckets - 1)];
    for (; *pp != NULL; pp = &(*pp)->hnext) {
        entry *e = *pp;
        if (e->hash == h && e->type == type && e->name_len == len && memcmp(e->name, key, len) == 0)
            break;
    }
    return pp;
}

static void lru_unlink(ea_cache *c, entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        c->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        c->tail = e->prev;
}

static void lru_push(ea_cache *c, entry *e)
{
    e->prev = NULL;
    e->next = c->head;
    if (c->head)
        c->head->prev = e;
    c->head = e;
    if (c->tail == NULL)
        c->tail = e;
}

static void remove_entry(ea_cache *c, entry **slot)
{
    entry *e = *slot;
    *slot = e->hnext;
    lru_unlink(c, e);
    c->count--;
    c->bytes -= e->size;
    free(e);
}

int ea_cache_get(ea_cache *c, const emauth_dns_question *q, uint64_t now_ms,
                 emauth_dns_answer *out)
{
    char key[1024];
    uint64_t h;
    size_t len = key_of(q->name, key, sizeof key, &h);
    if (len == 0)
        return 0;
    if (len == (size_t)-1)
        len = 0;
    entry **slot = find_slot(c, key, len, q->type, h);
    entry *e = *slot;
    if (e == NULL)
        return 0;
    if (e->expires_ms <= now_ms) {
        remove_entry(c, slot);
        return 0;
    }
    lru_unlink(c, e);
    lru_push(c, e);
    *out = e->answer;
    return 1;
}

/* Bytes needed to copy a record's strings. */
static size_t rr_extra(const emauth_dns_rr *rr)
{
    switch (rr->type) {
    case EMAUTH_DNS_MX: return strlen(rr->u.mx.exchange) + 1;
    case EMAUTH_DNS_PTR:
    case EMAUTH_DNS_CNAME:
    case EMAUTH_DNS_NS: return strlen(rr->u.target) + 1;
    case EMAUTH_DNS_TXT:
    case EMAUTH_DNS_SPF: return rr->u.txt.len + 1;
    case EMAUTH_DNS_SOA: return strlen(rr->u.soa.mname) + strlen(rr->u.soa.rname) + 2;
    default: return 0;
    }
}

static char *put_str(char **p, const char *s, size_t len)
{
    char *d = *p;
    memcpy(d, s, len);
    d[len] = '\0';
    *p += len + 1;
    return d;
}

static void rr_copy(emauth_dns_rr *d, const emauth_dns_rr *s, char **p)
{
    *d = *s;
    switch (s->type) {
    case EMAUTH_DNS_MX:
        d->u.mx.exchange = put_str(p, s->u.mx.exchange, strlen(s->u.mx.exchange));
        break;
    case EMAUTH_DNS_PTR:
    case EMAUTH_DNS_CNAME:
    case EMAUTH_DNS_NS:
        d->u.target = put_str(p, s->u.target, strlen(s->u.target));
        break;
    case EMAUTH_DNS_TXT:
    case EMAUTH_DNS_SPF:
        d->u.txt.data = put_str(p, s->u.txt.data, s->u.txt.len);
        break;
    case EMAUTH_DNS_SOA:
        d->u.soa.mname = put_str(p, s->u.soa.mname, strlen(s->u.soa.mname));
        d->u.soa.rname = put_str(p, s->u.soa.rname, strlen(s->u.soa.rname));
        break;
    default:
        break;
    }
}

/* Bytes of the copy made by clone_into(), after the answer struct itself. */
static size_t clone_size(const emauth_dns_answer *a)
{
    size_t strings = 0;
    for (size_t i = 0; i < a->count; i++)
        strings += rr_extra(&a->rrs[i]);
    for (size_t i = 0; i < a->cname_count; i++)
        strings += strlen(a->cnames[i]) + 1;
    return a->count * sizeof(emauth_dns_rr) + a->cname_count * sizeof(char *) + strings;
}

/* Deep-copies a into *dst, its records, names and strings laid out at mem. */
static void clone_into(emauth_dns_answer *dst, const emauth_dns_answer *a, void *mem)
{
    emauth_dns_rr *rrs = mem;
    const char **cn = (const char **)(rrs + a->count);
    char *p = (char *)(cn + a->cname_count);
    for (size_t i = 0; i < a->count; i++)
        rr_copy(&rrs[i], &a->rrs[i], &p);
    for (size_t i = 0; i < a->cname_count; i++)
        cn[i] = put_str(&p, a->cnames[i], strlen(a->cnames[i]));
    memset(dst, 0, sizeof *dst);
    dst->rcode = a->rcode;
    dst->why = a->why;   /* reasons are static strings */
    dst->count = a->count;
    dst->rrs = a->count ? rrs : NULL;
    dst->cname_count = a->cname_count;
    dst->cnames = a->cname_count ? cn : NULL;
}

emauth_dns_answer *ea_answer_clone(const emauth_dns_answer *a)
{
    emauth_dns_answer *c = malloc(sizeof *c + clone_size(a));
    if (c != NULL)
        clone_into(c, a, c + 1);
    return c;
}

/* One block: the entry, then the answer's copy, then the key. */
static entry *entry_new(const char *key, size_t len, const emauth_dns_answer *a)
{
    size_t body = clone_size(a);
    entry *e = malloc(sizeof *e + body + len + 1);
    if (e == NULL)
        return NULL;
    memset(e, 0, sizeof *e);
    e->size = sizeof *e + body + len + 1;
    clone_into(&e->answer, a, e + 1);
    char *p = (char *)(e + 1) + body;
    e->name = put_str(&p, key, len);
    e->name_len = len;
    return e;
}

emauth_status ea_cache_put(ea_cache *c, const emauth_dns_question *q, const emauth_dns_answer *a,
                           uint32_t ttl, uint64_t now_ms)
{
    if (ttl == 0 || (a->rcode != EMAUTH_DNS_OK && a->rcode != EMAUTH_DNS_NODATA &&
                     a->rcode != EMAUTH_DNS_NXDOMAIN))
        return EMAUTH_OK;
    char key[1024];
    uint64_t h;
    size_t len = key_of(q->name, key, sizeof key, &h);
    if (len == 0)
        return EMAUTH_OK;
    if (len == (size_t)-1)
        len = 0;
    entry **slot = find_slot(c, key, len, q->type, h);
    if (*slot != NULL)
        remove_entry(c, slot);
    entry *e = entry_new(key, len, a);
    if (e == NULL)
        return EMAUTH_ERR_NOMEM;
    if (ttl > c->max_ttl)
        ttl = c->max_ttl;
    e->hash = h;
    e->type = q->type;
    e->expires_ms = now_ms + (uint64_t)ttl * 1000;
    e->hnext = NULL;
    *find_slot(c, key, len, q->type, h) = e;
    lru_push(c, e);
    c->count++;
    c->bytes += e->size;
    while (c->count > c->max || c->bytes > c->max_bytes) {   /* may drop e itself */
        entry *old = c->tail;
        remove_entry(c, find_slot(c, old->name, old->name_len, old->type, old->hash));
    }
    return EMAUTH_OK;
}
