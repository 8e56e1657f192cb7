/*
 * SPF macro-strings (RFC 7208 §7): ea_macro_check(), ea_macro_expand(),
 * ea_macro_uses_p().
 *
 * Input: one flags byte, then the macro-string, then optional
 * '\n'-separated values for the sender, HELO, current domain, receiver
 * and validated name (empty or absent: a default). Flags: bit 0 the use
 * (domain-spec or exp= text), bit 1 IPv6, bit 2 the address from the
 * input, bit 3 empty sender and HELO values.
 *
 * Invariants: a string the checker accepts expands; one the expander
 * refuses the checker refuses too; a failed expansion leaves the buffer
 * as it was; a domain expansion over 253 bytes has no label left to drop.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "spf/macro.h"
#include "util/buf.h"

static const char *value_or(const char *v, const char *def)
{
    return v[0] != '\0' ? v : def;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in in = {data, size};
    uint8_t flags = fz_u8(&in);
    ea_macro_use use = flags & 1 ? EA_MACRO_EXP : EA_MACRO_DOMAIN;

    emauth_ip ip;
    memset(&ip, 0, sizeof ip);
    ip.family = flags & 2 ? 6 : 4;
    if (flags & 4) {
        for (size_t i = 0; i < (ip.family == 4 ? 4u : 16u); i++)
            ip.addr[i] = fz_u8(&in);
    } else if (ip.family == 4) {
        memcpy(ip.addr, "\xc0\x00\x02\x03", 4);
    } else {
        memcpy(ip.addr, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\xcb\x01", 16);
    }

    const uint8_t *ms;
    size_t mlen = fz_piece(&in, '\n', &ms);
    char *macro = fz_dup_exact(ms, mlen);
    char *v[5];
    for (size_t i = 0; i < 5; i++)
        v[i] = fz_str(&in, '\n');

    const char *sender = flags & 8 ? "" : value_or(v[0], "strong-bad@email.example.com");
    const char *at = strrchr(sender, '@');
    const char *helo = flags & 8 ? "" : value_or(v[1], "mx.example.org");
    ea_macro_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.sender = sender;
    ctx.sender_len = strlen(sender);
    ctx.local = at ? sender : "postmaster";
    ctx.local_len = at ? (size_t)(at - sender) : 10;
    ctx.sender_domain = at ? at + 1 : sender;
    ctx.sender_domain_len = strlen(ctx.sender_domain);
    ctx.domain = value_or(v[2], "email.example.com");
    ctx.domain_len = strlen(ctx.domain);
    ctx.helo = helo;
    ctx.helo_len = strlen(helo);
    ctx.receiver = value_or(v[3], "receiver.example.net");
    ctx.receiver_len = strlen(ctx.receiver);
    ctx.validated = value_or(v[4], "unknown");
    ctx.validated_len = strlen(ctx.validated);
    ctx.ip = &ip;
    ctx.now = 1700000000;

    size_t bad = 0;
    const char *what = NULL;
    emauth_status chk = ea_macro_check(macro, mlen, use, &bad, &what);
    if (chk != EMAUTH_OK && (bad >= mlen + 1 || what == NULL))
        abort();
    (void)ea_macro_uses_p(macro, mlen);

    ea_buf out;
    ea_buf_init(&out);
    if (ea_buf_puts(&out, "prefix.") != 0)
        abort();
    emauth_status st = ea_macro_expand(macro, mlen, use, &ctx, &out);
    if (chk == EMAUTH_OK && st != EMAUTH_OK)
        abort();
    if (st == EMAUTH_ERR_SYNTAX && chk == EMAUTH_OK)
        abort();
    if (st != EMAUTH_OK && out.len != 7)
        abort();
    if (memcmp(out.data, "prefix.", 7) != 0 || out.data[out.len] != '\0')
        abort();
    if (st == EMAUTH_OK && use == EA_MACRO_DOMAIN && out.len - 7 > 253 &&
        memchr(out.data + 7, '.', out.len - 7) != NULL)
        abort();

    ea_buf_free(&out);
    for (size_t i = 0; i < 5; i++)
        free(v[i]);
    free(macro);
    return 0;
}
