/*
 * Live DNS over c-ares: EDNS0 (1232-byte payload, so big TXT answers come
 * over UDP where they fit) with c-ares's own TCP retry on truncation.
 * Answers are classified exactly: records, NODATA, NXDOMAIN; SERVFAIL,
 * REFUSED and timeouts become temporary failures that keep their reason.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>   /* ares.h needs fd_set */
#include <time.h>

#include <ares.h>

#include "dns/ares.h"
#include "dns/wire.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/error.h"

#define EDNS_PAYLOAD 1232   /* the DNS flag day 2020 size: no IP fragmentation */
#define MAX_SOCKETS 64
#define RECV_BUFFER (4 << 20)

struct ea_ares {
    ares_channel channel;
    struct pollfd socks[MAX_SOCKETS];
    size_t nsocks;
    size_t pending;
};

typedef struct query {
    ea_ares *owner;
    ea_ares_cb cb;
    void *arg;
    uint64_t start_us;
    uint16_t type;
    char name[];
} query;

uint64_t ea_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void emauth_dns_options_default(emauth_dns_options *o)
{
    memset(o, 0, sizeof *o);
    o->timeout_ms = 2000;
    o->tries = 2;
    o->cache_entries = 100000;
    o->max_ttl = 86400;
}

/* c-ares tells which sockets to watch, and for what. */
static void sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
    ea_ares *a = data;
    size_t i;
    for (i = 0; i < a->nsocks; i++)
        if (a->socks[i].fd == fd)
            break;
    if (!readable && !writable) {
        if (i < a->nsocks)
            a->socks[i] = a->socks[--a->nsocks];
        return;
    }
    if (i == a->nsocks) {
        if (a->nsocks == MAX_SOCKETS)
            return;   /* c-ares still times the query out */
        a->nsocks++;
    }
    a->socks[i].fd = fd;
    a->socks[i].events = (short)((readable ? POLLIN : 0) | (writable ? POLLOUT : 0));
    a->socks[i].revents = 0;
}

/*
 * "ADDR", "ADDR:PORT", "[V6]" or "[V6]:PORT" into c-ares's CSV form, with
 * the address checked so a typo is reported by name.
 */
static emauth_status server_csv(const char *spec, ea_buf *csv, emauth_error *err)
{
    char host[64];
    const char *port = NULL;
    size_t hl;
    const char *colon = strchr(spec, ':');
    if (spec[0] == '[') {
        const char *close = strchr(spec, ']');
        if (close == NULL)
            goto bad;
        hl = (size_t)(close - spec - 1);
        if (close[1] == ':')
            port = close + 2;
        else if (close[1] != '\0')
            goto bad;
        spec++;
    } else if (colon != NULL && strchr(colon + 1, ':') == NULL) {
        hl = (size_t)(colon - spec);
        port = colon + 1;
    } else {
        hl = strlen(spec);
    }
    if (hl == 0 || hl >= sizeof host)
        goto bad;
    memcpy(host, spec, hl);
    host[hl] = '\0';
    unsigned char tmp[16];
    int v6 = inet_pton(AF_INET6, host, tmp) == 1;
    if (!v6 && inet_pton(AF_INET, host, tmp) != 1)
        goto bad;
    if (port != NULL) {
        char *end;
        unsigned long p = strtoul(port, &end, 10);
        if (*port == '\0' || *end != '\0' || p == 0 || p > 65535)
            goto bad;
    }
    if ((csv->len && ea_buf_putc(csv, ',')) ||
        ea_buf_printf(csv, v6 ? "[%s]:%s" : "%s:%s", host, port ? port : "53"))
        return ea_error(err, EMAUTH_ERR_NOMEM, 0, 0, "out of memory");
    return EMAUTH_OK;
bad:
    return ea_error(err, EMAUTH_ERR_INVALID, 0, 0,
                    "bad name server \"%.80s\": expected ADDR, ADDR:PORT or [IPV6]:PORT", spec);
}

static emauth_status set_servers(ea_ares *a, const emauth_dns_options *o, emauth_error *err)
{
    ea_buf csv;
    ea_buf_init(&csv);
    emauth_status st = EMAUTH_OK;
    for (size_t i = 0; i < o->nameserver_count && st == EMAUTH_OK; i++)
        st = server_csv(o->nameservers[i], &csv, err);
    if (st == EMAUTH_OK && ares_set_servers_ports_csv(a->channel, ea_buf_cstr(&csv)) != ARES_SUCCESS)
        st = ea_error(err, EMAUTH_ERR_INVALID, 0, 0, "c-ares refused the name servers \"%s\"",
                      ea_buf_cstr(&csv));
    ea_buf_free(&csv);
    return st;
}

emauth_status ea_ares_new(const emauth_dns_options *o, ea_ares **out, emauth_error *err)
{
    *out = NULL;
    int rc = ares_library_init(ARES_LIB_INIT_ALL);
    if (rc != ARES_SUCCESS)
        return ea_error(err, EMAUTH_ERR_NOMEM, 0, 0, "c-ares: %s", ares_strerror(rc));
    ea_ares *a = calloc(1, sizeof *a);
    if (a == NULL) {
        ares_library_cleanup();
        return ea_error(err, EMAUTH_ERR_NOMEM, 0, 0, "out of memory");
    }
    struct ares_options opt;
    memset(&opt, 0, sizeof opt);
    /* NOCHECKRESP: SERVFAIL and REFUSED reach us as answers, so the reason
     * is kept (c-ares would retry the next server and then report only
     * "could not contact DNS servers"). */
    opt.flags = ARES_FLAG_EDNS | ARES_FLAG_NOSEARCH | ARES_FLAG_NOCHECKRESP;
    opt.timeout = (int)(o->timeout_ms ? o->timeout_ms : 2000);
    opt.tries = (int)(o->tries ? o->tries : 2);
    opt.ednspsz = EDNS_PAYLOAD;
    opt.sock_state_cb = sock_state;
    opt.sock_state_cb_data = a;
    /* Hundreds of answers can arrive at once: room for them in the socket
     * (the kernel caps it at net.core.rmem_max). */
    opt.socket_receive_buffer_size = RECV_BUFFER;
    int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_EDNSPSZ |
               ARES_OPT_SOCK_STATE_CB | ARES_OPT_SOCK_RCVBUF;
    rc = ares_init_options(&a->channel, &opt, mask);
    if (rc != ARES_SUCCESS) {
        free(a);
        ares_library_cleanup();
        return ea_error(err, EMAUTH_ERR_INVALID, 0, 0, "c-ares: %s", ares_strerror(rc));
    }
    if (o->nameserver_count > 0) {
        emauth_status st = set_servers(a, o, err);
        if (st != EMAUTH_OK) {
            ea_ares_free(a);
            return st;
        }
    }
    *out = a;
    return EMAUTH_OK;
}

void ea_ares_free(ea_ares *a)
{
    if (a == NULL)
        return;
    ares_destroy(a->channel);   /* runs pending callbacks with ARES_EDESTRUCTION */
    free(a);
    ares_library_cleanup();
}

static emauth_dns_rcode status_rcode(int status, const char **why)
{
    switch (status) {
    case ARES_ENOTFOUND: return EMAUTH_DNS_NXDOMAIN;
    case ARES_ENODATA: return EMAUTH_DNS_NODATA;
    case ARES_ETIMEOUT: *why = "no answer in time"; return EMAUTH_DNS_TIMEOUT;
    case ARES_ESERVFAIL: *why = "SERVFAIL"; return EMAUTH_DNS_SERVFAIL;
    case ARES_EREFUSED: *why = "REFUSED"; return EMAUTH_DNS_SERVFAIL;
    case ARES_EDESTRUCTION:
    case ARES_ECANCELLED: *why = "cancelled"; return EMAUTH_DNS_SERVFAIL;
    default: *why = ares_strerror(status); return EMAUTH_DNS_SERVFAIL;
    }
}

static void on_response(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
    query *qr = arg;
    ea_ares *a = qr->owner;
    emauth_dns_question q = {qr->name, qr->type};
    emauth_dns_answer ans;
    uint32_t ttl = 0;
    ea_arena arena;
    ea_arena_init(&arena);
    (void)timeouts;
    if (abuf != NULL && alen > 0) {
        if (ea_wire_parse(abuf, (size_t)alen, &q, &arena, &ans, &ttl) != EMAUTH_OK) {
            memset(&ans, 0, sizeof ans);
            ans.rcode = EMAUTH_DNS_SERVFAIL;
            ans.why = "out of memory";
        }
    } else {
        memset(&ans, 0, sizeof ans);
        ans.rcode = status_rcode(status, &ans.why);
    }
    a->pending--;
    qr->cb(qr->arg, &ans, ttl, ea_now_us() - qr->start_us);
    ea_arena_free(&arena);
    free(qr);
}

/*
 * The query message (RFC 1035 §4.1; RD set, an EDNS0 OPT record last, as
 * ares_query() builds it) for a presentation-form name with \X and \DDD
 * escapes, as ares_expand_name() writes names read from answers. c-ares
 * 1.18's own encoder knows only \X: an MX or PTR target holding a byte
 * outside 0x20-0x7e (a NUL, UTF-8) was asked for as another name. Returns
 * the length, or 0 for a name that cannot be asked (label over 63 bytes,
 * name over 255 in wire form, empty label, bad escape).
 */
#define QUERY_MAX (12 + 255 + 4 + 11)

static size_t encode_query(const char *name, uint16_t type, unsigned char *out)
{
    static const unsigned char header[12] = {0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1};
    memcpy(out, header, sizeof header);
    size_t o = 12;
    const char *p = strcmp(name, ".") == 0 ? "" : name;
    while (*p) {
        size_t lenpos = o++, label = 0;
        for (; *p && *p != '.'; label++) {
            unsigned c = (unsigned char)*p++;
            if (c == '\\' && *p >= '0' && *p <= '9') {
                if (p[1] < '0' || p[1] > '9' || p[2] < '0' || p[2] > '9')
                    return 0;
                c = (unsigned)(p[0] - '0') * 100 + (unsigned)(p[1] - '0') * 10 +
                    (unsigned)(p[2] - '0');
                p += 3;
                if (c > 255)
                    return 0;
            } else if (c == '\\') {
                if (*p == '\0')
                    return 0;
                c = (unsigned char)*p++;
            }
            if (label == 63 || o - 12 >= 254)   /* room for the root label */
                return 0;
            out[o++] = (unsigned char)c;
        }
        if (label == 0)
            return 0;
        out[lenpos] = (unsigned char)label;
        if (*p == '.')
            p++;
    }
    static const unsigned char tail[2 + 11] = {
        0, 1,                                                      /* QCLASS IN */
        0, 0, 41, EDNS_PAYLOAD >> 8, EDNS_PAYLOAD & 255, 0, 0, 0, 0, 0, 0};   /* OPT */
    out[o++] = 0;
    out[o++] = (unsigned char)(type >> 8);
    out[o++] = (unsigned char)type;
    memcpy(out + o, tail, sizeof tail);
    return o + sizeof tail;
}

emauth_status ea_ares_query(ea_ares *a, const emauth_dns_question *q, ea_ares_cb cb, void *arg)
{
    size_t n = strlen(q->name);
    query *qr = malloc(sizeof *qr + n + 1);
    if (qr == NULL)
        return EMAUTH_ERR_NOMEM;
    qr->owner = a;
    qr->cb = cb;
    qr->arg = arg;
    qr->type = q->type;
    qr->start_us = ea_now_us();
    memcpy(qr->name, q->name, n + 1);
    a->pending++;
    unsigned char msg[QUERY_MAX];
    size_t len = encode_query(qr->name, q->type, msg);
    if (len == 0)
        on_response(qr, ARES_EBADNAME, 0, NULL, 0);   /* as ares_query() would, at once */
    else
        ares_send(a->channel, msg, (int)len, on_response, qr);
    return EMAUTH_OK;
}

size_t ea_ares_pending(const ea_ares *a)
{
    return a->pending;
}

size_t ea_ares_pollfds(const ea_ares *a, struct pollfd *fds, size_t max)
{
    for (size_t i = 0; i < a->nsocks && i < max; i++) {
        fds[i] = a->socks[i];
        fds[i].revents = 0;
    }
    return a->nsocks;
}

int ea_ares_timeout_ms(ea_ares *a)
{
    struct timeval tv;
    if (a->pending == 0 || ares_timeout(a->channel, NULL, &tv) == NULL)
        return -1;
    return (int)(tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000);
}

void ea_ares_process(ea_ares *a, const struct pollfd *fds, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (fds[i].revents == 0)
            continue;
        int r = fds[i].revents & (POLLIN | POLLERR | POLLHUP);
        int w = fds[i].revents & POLLOUT;
        ares_process_fd(a->channel, r ? fds[i].fd : ARES_SOCKET_BAD, w ? fds[i].fd : ARES_SOCKET_BAD);
    }
    /* and whatever has timed out */
    ares_process_fd(a->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
}
