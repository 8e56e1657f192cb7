/*
 * DKIM-Signature fields (RFC 6376 §3.5): ea_dkim_sig_parse(), then the
 * helpers the verifier uses on a parsed signature: ea_dkim_sig_header(),
 * ea_dkim_identity_domain(), ea_dkim_domain_within(); ea_dkim_sig_peek()
 * for fields that do not parse. Input: the whole field, "name: value".
 *
 * Invariants: a failed parse leaves the output zeroed; spans lie inside
 * the field; b_start <= b_end <= len; an i= lies within d=; h= lists From;
 * the decoded b= and bh= fit their buffers.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dkim/signature.h"
#include "fuzz_util.h"

static void span_in(const ea_dkim_span *s, const char *f, size_t len)
{
    if (s->len > 0 && (s->p < f || s->len > len || (size_t)(s->p - f) > len - s->len))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *field = fz_dup_exact(data, size);
    const char *colon = memchr(field, ':', size);
    size_t name_len = colon ? (size_t)(colon - field) : 0;

    static ea_dkim_sig sig;        /* 2 KiB: not on the stack */
    static const ea_dkim_sig zero;
    emauth_error err;
    emauth_status st = ea_dkim_sig_parse(field, size, name_len, &sig, &err);
    if (st != EMAUTH_OK) {
        if (memcmp(&sig, &zero, sizeof sig) != 0)
            abort();
        fz_touch(err.message);
        static const char *const tags[] = {"d", "s", "a", "i", "b"};
        for (size_t i = 0; i < 5; i++) {
            ea_dkim_span s = ea_dkim_sig_peek(field, size, name_len, tags[i]);
            span_in(&s, field, size);
        }
        free(field);
        return 0;
    }
    const ea_dkim_span *spans[] = {&sig.a, &sig.d, &sig.s, &sig.i, &sig.h, &sig.b};
    for (size_t i = 0; i < sizeof spans / sizeof spans[0]; i++)
        span_in(spans[i], field, size);
    if (sig.b_start > sig.b_end || sig.b_end > size || sig.sig_len > sizeof sig.sig ||
        sig.bh_len > sizeof sig.bh || sig.d.len == 0 || sig.s.len == 0)
        abort();

    size_t pos = 0, n, names = 0;
    const char *name;
    int from = 0;
    while (ea_dkim_sig_header(&sig, &pos, &name, &n)) {
        if (name < sig.h.p || name + n > sig.h.p + sig.h.len || ++names > size)
            abort();
        from |= n == 4 && strncasecmp(name, "from", 4) == 0;
    }
    if (!from)
        abort();

    if (sig.i.len > 0) {
        const char *dom;
        size_t dom_len;
        if (!ea_dkim_identity_domain(sig.i.p, sig.i.len, &dom, &dom_len) ||
            !ea_dkim_domain_within(dom, dom_len, sig.d.p, sig.d.len))
            abort();
    }
    free(field);
    return 0;
}
