/* Resource records as master-file lines (RFC 1035 §5.1); see emauth/dns.h. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <emauth/dns.h>

/* A bounded writer with snprintf's contract: counts what it could not store. */
typedef struct out {
    char *buf;
    size_t size, len;
} out;

static void put(out *o, const char *s, size_t n)
{
    if (o->len < o->size) {
        size_t room = o->size - o->len - 1;
        memcpy(o->buf + o->len, s, n < room ? n : room);
    }
    o->len += n;
}

static void puts_(out *o, const char *s)
{
    put(o, s, strlen(s));
}

static void put_ddd(out *o, unsigned char c)
{
    char e[5] = {'\\', (char)('0' + c / 100), (char)('0' + c / 10 % 10), (char)('0' + c % 10), 0};
    put(o, e, 4);
}

/*
 * A name, absolute, with tokenizing bytes escaped ('\' escapes kept as
 * written); a leading '$' too, or an owner name would read as a directive.
 */
static void put_name(out *o, const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || strcmp(name, ".") == 0) {
        put(o, ".", 1);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c <= 0x20 || c >= 0x7f || strchr("()\";", c) != NULL || (i == 0 && c == '$'))
            put_ddd(o, c);
        else
            put(o, name + i, 1);
    }
    if (name[n - 1] != '.' || (n >= 2 && name[n - 2] == '\\'))
        put(o, ".", 1);
}

/* Character-strings of at most 255 bytes, quoted, with '"' '\' and non-printables escaped. */
static void put_strings(out *o, const char *data, size_t len)
{
    size_t i = 0;
    do {
        size_t end = i + (len - i > 255 ? 255 : len - i);
        put(o, i ? " \"" : "\"", i ? 2 : 1);
        for (; i < end; i++) {
            unsigned char c = (unsigned char)data[i];
            if (c == '"' || c == '\\') {
                put(o, "\\", 1);
                put(o, data + i, 1);
            } else if (c < 0x20 || c >= 0x7f) {
                put_ddd(o, c);
            } else {
                put(o, data + i, 1);
            }
        }
        put(o, "\"", 1);
    } while (i < len);
}

static void put_u(out *o, unsigned long v)
{
    char n[24];
    snprintf(n, sizeof n, "%lu", v);
    puts_(o, n);
}

static void put_rdata(out *o, const emauth_dns_rr *rr)
{
    char ip[INET6_ADDRSTRLEN];
    switch (rr->type) {
    case EMAUTH_DNS_A:
        puts_(o, inet_ntop(AF_INET, rr->u.a, ip, sizeof ip));
        break;
    case EMAUTH_DNS_AAAA:
        puts_(o, inet_ntop(AF_INET6, rr->u.aaaa, ip, sizeof ip));
        break;
    case EMAUTH_DNS_MX:
        put_u(o, rr->u.mx.preference);
        put(o, " ", 1);
        put_name(o, rr->u.mx.exchange);
        break;
    case EMAUTH_DNS_PTR:
    case EMAUTH_DNS_CNAME:
    case EMAUTH_DNS_NS:
        put_name(o, rr->u.target);
        break;
    case EMAUTH_DNS_TXT:
    case EMAUTH_DNS_SPF:
        put_strings(o, rr->u.txt.data, rr->u.txt.len);
        break;
    case EMAUTH_DNS_SOA:
        put_name(o, rr->u.soa.mname);
        put(o, " ", 1);
        put_name(o, rr->u.soa.rname);
        for (int i = 0; i < 5; i++) {
            const uint32_t v[5] = {rr->u.soa.serial, rr->u.soa.refresh, rr->u.soa.retry,
                                   rr->u.soa.expire, rr->u.soa.minimum};
            put(o, " ", 1);
            put_u(o, v[i]);
        }
        break;
    }
}

size_t emauth_dns_rr_format(const char *owner, const emauth_dns_rr *rr, char *buf, size_t size)
{
    out o = {buf, size, 0};
    const char *type = emauth_dns_type_name(rr->type);
    put_name(&o, owner);
    put(&o, " ", 1);
    put_u(&o, rr->ttl);
    puts_(&o, " IN ");
    if (type != NULL) {
        puts_(&o, type);
        put(&o, " ", 1);
        put_rdata(&o, rr);
    } else {
        puts_(&o, "TYPE");
        put_u(&o, rr->type);
        puts_(&o, " \\# 0");
    }
    if (size > 0)
        buf[o.len < size ? o.len : size - 1] = '\0';
    return o.len;
}
