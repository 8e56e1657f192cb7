/*
 * The DKIM verifier end to end (RFC 6376 §6, RFC 8463): a message through
 * emauth_msg into emauth_dkim_verify_header/eoh/body/eom, key records from
 * an in-memory zone with the RFC 8463 Appendix A keys (and the RFC 6376
 * Appendix C key at brisbane._domainkey.example.com), the clock fixed.
 * Input: the message (LF or CRLF line ends).
 *
 * Invariants: every call succeeds (a bad signature is a verdict, not a
 * failure); the results are there after eom, one per DKIM-Signature
 * field; a pass has its key.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <emauth/dkim.h>
#include <emauth/dns.h>
#include <emauth/message.h>
#include "fuzz_util.h"

static const char zone_text[] =
    "$ORIGIN football.example.com.\n"
    "brisbane._domainkey IN TXT \"v=DKIM1; k=ed25519; "
    "p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\"\n"
    "test._domainkey IN TXT \"v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWR\" "
    "\"iGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutAC\" "
    "\"DfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3\" "
    "\"Ip3G+2kryOTIKT+l/K4w3QIDAQAB\"\n"
    "revoked._domainkey IN TXT \"v=DKIM1; p=\"\n"
    "$TIMEOUT slow._domainkey.football.example.com.\n"
    "brisbane._domainkey.example.com. IN TXT \"v=DKIM1; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDwIRP/UC3SBsEmGqZ9ZJW3/DkM"
    "oGeLnQg1fWn7/zYtIxN2SnFCjxOCKG9v3b4jYfcTNh5ijSsq631uBItLa7od+v/R"
    "tdC2UzJ1lWT947qR+Rcac2gbto/NMqJ0fzfVjH4OuKhitdY9tf6mcwGjaNBcWToI"
    "MmPSPDdQPNUYckcQ2QIDAQAB\"\n";

typedef struct run {
    emauth_dkim_verifier *v;
    size_t sigs;         /* DKIM-Signature fields seen */
} run;

static emauth_status on_header(void *arg, const char *f, size_t len, size_t name_len)
{
    run *r = arg;
    r->sigs += name_len == 14 && strncasecmp(f, "DKIM-Signature", 14) == 0;
    return emauth_dkim_verify_header(r->v, f, len, name_len);
}

static emauth_status on_eoh(void *arg)
{
    return emauth_dkim_verify_eoh(((run *)arg)->v);
}

static emauth_status on_body(void *arg, const char *chunk, size_t len)
{
    return emauth_dkim_verify_body(((run *)arg)->v, chunk, len);
}

static emauth_zone *keys(void)
{
    static emauth_zone *z;   /* built once, kept for the process */
    if (z == NULL) {
        emauth_error err;
        z = emauth_zone_new();
        if (z == NULL ||
            emauth_zone_load_string(z, zone_text, sizeof zone_text - 1, "keys", NULL, &err) !=
                EMAUTH_OK)
            abort();
    }
    return z;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const emauth_msg_callbacks cbs = {on_header, on_eoh, on_body};
    char *msg = fz_dup_exact(data, size);
    emauth_dkim_options o;
    emauth_dkim_options_default(&o);
    o.now = 1528637909 + 3600;
    o.max_signatures = 4;
    run r = {NULL, 0};
    if (emauth_dkim_verifier_new(&o, &r.v) != EMAUTH_OK || emauth_dkim_verify_start(r.v, NULL))
        abort();
    emauth_msg *m;
    emauth_error err;
    if (emauth_msg_new(&cbs, &r, NULL, &m) != EMAUTH_OK)
        abort();
    emauth_status st = emauth_msg_push(m, msg, size, &err);
    if (st == EMAUTH_OK)
        st = emauth_msg_finish(m, &err);
    emauth_msg_free(m);
    if (st == EMAUTH_OK) {
        if (emauth_dkim_verify_eom(r.v) != EMAUTH_OK ||
            emauth_dkim_verify_run(r.v, emauth_zone_resolver(keys())) != EMAUTH_OK)
            abort();
        size_t n = 0;
        const emauth_dkim_result *res = emauth_dkim_verify_results(r.v, &n);
        if (res == NULL || n != r.sigs)
            abort();
        for (size_t i = 0; i < n; i++) {
            if (res[i].verdict > EMAUTH_DKIM_PERMERROR ||
                (res[i].verdict == EMAUTH_DKIM_PASS && res[i].key_bits == 0))
                abort();
            fz_touch(res[i].reason);
            fz_touch(res[i].domain);
            fz_touch(res[i].selector);
            fz_touch(res[i].algorithm);
            fz_touch(res[i].identity);
            fz_touch(res[i].b_prefix);
        }
    } else {
        fz_touch(err.message);
    }
    emauth_dkim_verifier_free(r.v);
    free(msg);
    return 0;
}
