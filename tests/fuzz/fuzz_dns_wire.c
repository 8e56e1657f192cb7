/*
 * DNS response messages (RFC 1035 §4.1): ea_wire_parse(), what the c-ares
 * glue hands every answer to.
 *
 * Input: one byte choosing the question type, the question name up to a
 * NUL byte, then the response message.
 *
 * Invariants: the call succeeds (a malformed message is a SERVFAIL answer,
 * not a failure); an OK answer holds at least one record, all of the type
 * asked; other answers hold none; a cacheable OK answer's TTL is its
 * smallest record TTL.
 */
#include <stdlib.h>

#include <emauth/dns.h>
#include "dns/wire.h"
#include "fuzz_util.h"
#include "util/arena.h"

static const uint16_t types[] = {EMAUTH_DNS_A,   EMAUTH_DNS_AAAA, EMAUTH_DNS_MX,
                                 EMAUTH_DNS_TXT, EMAUTH_DNS_SPF,  EMAUTH_DNS_PTR,
                                 EMAUTH_DNS_CNAME, EMAUTH_DNS_NS, EMAUTH_DNS_SOA};

static void touch_rr(const emauth_dns_rr *rr)
{
    switch (rr->type) {
    case EMAUTH_DNS_MX: fz_touch(rr->u.mx.exchange); break;
    case EMAUTH_DNS_TXT:
    case EMAUTH_DNS_SPF: fz_touch_mem(rr->u.txt.data, rr->u.txt.len); break;
    case EMAUTH_DNS_SOA:
        fz_touch(rr->u.soa.mname);
        fz_touch(rr->u.soa.rname);
        break;
    case EMAUTH_DNS_PTR:
    case EMAUTH_DNS_CNAME:
    case EMAUTH_DNS_NS: fz_touch(rr->u.target); break;
    default: break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in in = {data, size};
    uint8_t t = fz_u8(&in);
    char *qname = fz_str(&in, '\0');
    unsigned char *msg = (unsigned char *)fz_dup_exact(in.p, in.len);
    emauth_dns_question q = {qname, types[t % (sizeof types / sizeof types[0])]};

    ea_arena arena;
    ea_arena_init(&arena);
    emauth_dns_answer ans;
    uint32_t ttl = 0;
    if (ea_wire_parse(msg, in.len, &q, &arena, &ans, &ttl) != EMAUTH_OK)
        abort();
    fz_touch(ans.why);
    for (size_t i = 0; i < ans.cname_count; i++)
        fz_touch(ans.cnames[i]);
    if (ans.rcode == EMAUTH_DNS_OK) {
        uint32_t min = UINT32_MAX;
        if (ans.count == 0)
            abort();
        for (size_t i = 0; i < ans.count; i++) {
            if (ans.rrs[i].type != q.type)
                abort();
            touch_rr(&ans.rrs[i]);
            if (ans.rrs[i].ttl < min)
                min = ans.rrs[i].ttl;
        }
        if (ttl != min)
            abort();
    } else if (ans.count != 0) {
        abort();
    }
    ea_arena_free(&arena);
    free(msg);
    free(qname);
    return 0;
}
