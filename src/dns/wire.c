/*
 * DNS response messages (RFC 1035 §4.1) to emauth_dns_answer.
 *
 *   header    = ID FLAGS QDCOUNT ANCOUNT NSCOUNT ARCOUNT   (6 x 16 bits)
 *   question  = QNAME QTYPE QCLASS
 *   RR        = NAME TYPE CLASS TTL(32) RDLENGTH RDATA
 *
 * Every read goes through a cursor that knows the message length; names
 * (with compression pointers) are expanded by c-ares. A malformed message
 * becomes a SERVFAIL answer that says why, never a partial answer.
 */
#include <string.h>

#include <sys/select.h>   /* ares.h needs fd_set */
#include <ares.h>

#include "dns/wire.h"

#define MIN_RR_BYTES 11         /* root name (1) + TYPE CLASS TTL RDLENGTH (10) */

typedef struct cursor {
    const unsigned char *msg;   /* whole message: names may point anywhere in it */
    size_t len, off;
    const char *bad;            /* sticky: why the message is malformed */
} cursor;

static unsigned get16(cursor *c)
{
    if (c->bad || c->len - c->off < 2) {
        c->bad = c->bad ? c->bad : "message truncated";
        return 0;
    }
    unsigned v = (unsigned)c->msg[c->off] << 8 | c->msg[c->off + 1];
    c->off += 2;
    return v;
}

static uint32_t get32(cursor *c)
{
    uint32_t hi = get16(c);
    return hi << 16 | get16(c);
}

/* Expands the name at the cursor into the arena, lower-cased. */
static const char *get_name(cursor *c, ea_arena *arena)
{
    if (c->bad)
        return NULL;
    char *name = NULL;
    long enclen = 0;
    if (c->off >= c->len ||
        ares_expand_name(c->msg + c->off, c->msg, (int)c->len, &name, &enclen) != ARES_SUCCESS) {
        c->bad = "bad domain name";
        return NULL;
    }
    size_t n = strlen(name);
    char *copy = ea_arena_strndup(arena, name, n);
    ares_free_string(name);
    if (copy == NULL) {
        c->bad = "out of memory";
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        if (copy[i] >= 'A' && copy[i] <= 'Z')
            copy[i] = (char)(copy[i] + 32);
    c->off += (size_t)enclen;
    return copy;
}

/* TXT RDATA: one or more <character-string>s, joined without separator. */
static int get_txt(cursor *c, size_t rdlen, ea_arena *arena, emauth_dns_rr *rr)
{
    char *data = ea_arena_alloc(arena, rdlen + 1);
    if (data == NULL)
        return -1;
    size_t used = 0, end = c->off + rdlen;
    rr->u.txt.nstrings = 0;
    while (c->off < end) {
        size_t n = c->msg[c->off++];
        if (end - c->off < n)
            return -1;
        memcpy(data + used, c->msg + c->off, n);
        used += n;
        c->off += n;
        rr->u.txt.nstrings++;
    }
    data[used] = '\0';
    rr->u.txt.data = data;
    rr->u.txt.len = used;
    return 0;
}

/* Reads RDATA of the types emauth uses; others are kept with no data. */
static int get_rdata(cursor *c, size_t rdlen, ea_arena *arena, emauth_dns_rr *rr)
{
    size_t end = c->off + rdlen;
    switch (rr->type) {
    case EMAUTH_DNS_A:
    case EMAUTH_DNS_AAAA: {
        size_t n = rr->type == EMAUTH_DNS_A ? 4 : 16;
        if (rdlen != n)
            return -1;
        memcpy(rr->type == EMAUTH_DNS_A ? rr->u.a : rr->u.aaaa, c->msg + c->off, n);
        c->off += n;
        break;
    }
    case EMAUTH_DNS_MX:
        rr->u.mx.preference = (uint16_t)get16(c);
        rr->u.mx.exchange = get_name(c, arena);
        /* "." (a null MX) expands to "" */
        break;
    case EMAUTH_DNS_CNAME:
    case EMAUTH_DNS_PTR:
    case EMAUTH_DNS_NS:
        rr->u.target = get_name(c, arena);
        break;
    case EMAUTH_DNS_TXT:
    case EMAUTH_DNS_SPF:
        if (get_txt(c, rdlen, arena, rr) != 0)
            return -1;
        break;
    case EMAUTH_DNS_SOA:
        rr->u.soa.mname = get_name(c, arena);
        rr->u.soa.rname = get_name(c, arena);
        rr->u.soa.serial = get32(c);
        rr->u.soa.refresh = get32(c);
        rr->u.soa.retry = get32(c);
        rr->u.soa.expire = get32(c);
        rr->u.soa.minimum = get32(c);
        break;
    default:
        c->off = end;
        break;
    }
    return c->bad || c->off != end ? -1 : 0;
}

typedef struct parsed_rr {
    const char *owner;
    emauth_dns_rr rr;
} parsed_rr;

/* Reads one RR; 1 when read, 0 at a malformed one (c->bad set). */
static int get_rr(cursor *c, ea_arena *arena, parsed_rr *out)
{
    memset(out, 0, sizeof *out);
    out->owner = get_name(c, arena);
    out->rr.type = (uint16_t)get16(c);
    unsigned klass = get16(c);
    out->rr.ttl = get32(c);
    size_t rdlen = get16(c);
    if (c->bad)
        return 0;
    if (c->len - c->off < rdlen) {
        c->bad = "record data past the end of the message";
        return 0;
    }
    if (klass != 1) {   /* not IN: skip, keep nothing */
        c->off += rdlen;
        out->owner = NULL;
        return 1;
    }
    if (get_rdata(c, rdlen, arena, &out->rr) != 0) {
        c->bad = c->bad ? c->bad : "malformed record data";
        return 0;
    }
    return 1;
}

static void answer_fail(emauth_dns_answer *out, const char *why)
{
    memset(out, 0, sizeof *out);
    out->rcode = EMAUTH_DNS_SERVFAIL;
    out->why = why;
}

/*
 * The next byte of a presentation-form name at s[*i]: \X and \DDD decoded,
 * A-Z lower-cased, a separating dot as 256 (so "\." is not one), -1 at the
 * end. Names from answers are escaped the way ares_expand_name() does
 * (\; \( \@ ...), names asked may be escaped otherwise or not at all.
 */
static int name_next(const char *s, size_t *i)
{
    unsigned c = (unsigned char)s[*i];
    if (c == '\0')
        return -1;
    (*i)++;
    if (c == '.')
        return 256;
    if (c == '\\' && s[*i] != '\0') {
        c = (unsigned char)s[(*i)++];
        if (c >= '0' && c <= '9' && s[*i] >= '0' && s[*i] <= '9' && s[*i + 1] >= '0' &&
            s[*i + 1] <= '9') {
            c = ((c - '0') * 100 + (unsigned)(s[*i] - '0') * 10 + (unsigned)(s[*i + 1] - '0')) &
                255;
            *i += 2;
        }
    }
    return (int)(c >= 'A' && c <= 'Z' ? c + 32 : c);
}

/* The same name, however each side escapes its bytes. */
static int name_eq(const char *a, const char *b)
{
    if (a == NULL)
        return 0;
    size_t i = 0, j = 0;
    for (;;) {
        int x = name_next(a, &i), y = name_next(b, &j);
        if (x != y)
            return 0;
        if (x < 0)
            return 1;
    }
}

/* Follows the CNAME chain from qname within the answer section. */
static const char *follow_chain(const parsed_rr *rrs, size_t n, const char *qname, uint16_t qtype,
                                ea_arena *arena, emauth_dns_answer *out)
{
    const char *cur = qname;
    const char **chain = NULL;
    size_t hops = 0;
    while (qtype != EMAUTH_DNS_CNAME) {
        size_t i;
        for (i = 0; i < n; i++)
            if (rrs[i].rr.type == EMAUTH_DNS_CNAME && name_eq(rrs[i].owner, cur))
                break;
        if (i == n)
            break;
        if (hops == EA_WIRE_CNAME_MAX)
            return NULL;
        if (chain == NULL && (chain = ea_arena_alloc(arena, EA_WIRE_CNAME_MAX * sizeof *chain)) == NULL)
            return NULL;
        cur = chain[hops++] = rrs[i].rr.u.target;
    }
    out->cnames = chain;
    out->cname_count = hops;
    return cur;
}

/* TTL for a negative answer (RFC 2308 §5): the SOA's TTL capped by its MINIMUM. */
static uint32_t negative_ttl(const parsed_rr *rrs, size_t from, size_t n)
{
    for (size_t i = from; i < n; i++)
        if (rrs[i].owner && rrs[i].rr.type == EMAUTH_DNS_SOA) {
            uint32_t t = rrs[i].rr.ttl, m = rrs[i].rr.u.soa.minimum;
            return t < m ? t : m;
        }
    return 0;   /* no SOA: not cacheable */
}

static emauth_dns_rcode map_rcode(unsigned rcode, const char **why)
{
    switch (rcode) {
    case 0: return EMAUTH_DNS_OK;
    case 3: return EMAUTH_DNS_NXDOMAIN;
    case 2: *why = "SERVFAIL"; return EMAUTH_DNS_SERVFAIL;
    case 5: *why = "REFUSED"; return EMAUTH_DNS_SERVFAIL;
    default: *why = "unexpected response code"; return EMAUTH_DNS_SERVFAIL;
    }
}

emauth_status ea_wire_parse(const unsigned char *msg, size_t len, const emauth_dns_question *q,
                            ea_arena *arena, emauth_dns_answer *out, uint32_t *ttl)
{
    cursor c = {msg, len, 0, NULL};
    *ttl = 0;
    memset(out, 0, sizeof *out);
    get16(&c);   /* ID: c-ares matched it */
    unsigned flags = get16(&c), qd = get16(&c), an = get16(&c), ns = get16(&c);
    get16(&c);
    if (c.bad) {
        answer_fail(out, "malformed response: short header");
        return EMAUTH_OK;
    }
    const char *why = NULL;
    emauth_dns_rcode rcode = map_rcode(flags & 15, &why);
    if (rcode == EMAUTH_DNS_SERVFAIL) {
        answer_fail(out, why);
        return EMAUTH_OK;
    }
    for (unsigned i = 0; i < qd && !c.bad; i++) {
        get_name(&c, arena);
        get16(&c);
        get16(&c);
    }
    /* The counts are the sender's word; the message length bounds them (a
     * 64 KiB message holds < 6000 records), so nothing present is dropped:
     * cutting at a fixed count lost the client's address in a big A set. */
    size_t total = (size_t)an + ns;
    size_t room = c.bad ? 0 : (c.len - c.off) / MIN_RR_BYTES + 1;   /* +1: a lying count fails */
    if (total > room)
        total = room;
    parsed_rr *rrs = ea_arena_alloc(arena, (total ? total : 1) * sizeof *rrs);
    if (rrs == NULL)
        return EMAUTH_ERR_NOMEM;
    size_t n = 0;
    for (size_t i = 0; i < total && !c.bad; i++)
        n += get_rr(&c, arena, &rrs[n]);
    if (c.bad) {
        answer_fail(out, c.bad[0] == 'o' ? "out of memory" : "malformed response");
        return EMAUTH_OK;
    }
    size_t nan = n < an ? n : an;   /* answer-section records come first */
    char qname[EA_WIRE_NAME_MAX + 1];
    size_t ql = strlen(q->name);
    if (ql > EA_WIRE_NAME_MAX) {
        answer_fail(out, "question name too long");
        return EMAUTH_OK;
    }
    for (size_t i = 0; i <= ql; i++)
        qname[i] = (char)(q->name[i] >= 'A' && q->name[i] <= 'Z' ? q->name[i] + 32 : q->name[i]);
    if (ql && qname[ql - 1] == '.')
        qname[ql - 1] = '\0';
    const char *target = follow_chain(rrs, nan, qname, q->type, arena, out);
    if (target == NULL) {
        answer_fail(out, "CNAME chain too long or looping");
        return EMAUTH_OK;
    }
    emauth_dns_rr *keep = ea_arena_alloc(arena, (nan ? nan : 1) * sizeof *keep);
    if (keep == NULL)
        return EMAUTH_ERR_NOMEM;
    uint32_t min_ttl = UINT32_MAX;
    size_t count = 0;
    /* NXDOMAIN says there is nothing: records beside it (a hostile or broken
     * server) are dropped, so that count > 0 always means rcode OK. */
    for (size_t i = 0; i < nan && rcode == EMAUTH_DNS_OK; i++) {
        if (rrs[i].rr.type != q->type || !name_eq(rrs[i].owner, target))
            continue;
        keep[count++] = rrs[i].rr;
        if (rrs[i].rr.ttl < min_ttl)
            min_ttl = rrs[i].rr.ttl;
    }
    out->rrs = keep;
    out->count = count;
    if (rcode == EMAUTH_DNS_OK && count == 0)
        rcode = EMAUTH_DNS_NODATA;
    out->rcode = rcode;
    *ttl = count ? min_ttl : negative_ttl(rrs, nan, n);
    return EMAUTH_OK;
}
