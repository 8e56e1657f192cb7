/*
 * SPF results written as header fields from sender-chosen values (RFC 7208
 * §9.1, RFC 8601): emauth_spf_received_spf(), emauth_spf_authres(), and
 * the spf entry inside emauth_authres_format().
 *
 * Input: a flags byte (verdict, identity, IP family), then '\n'-separated
 * values: sender, domain, MAIL FROM, HELO, receiver, mechanism, problem.
 *
 * Invariants: the snprintf contract (the length returned is what a large
 * enough buffer gets; a short buffer gets a NUL-terminated prefix); the
 * fields are one line of printable ASCII under 998 bytes whatever the
 * values; the Authentication-Results field parses back with its spf
 * result.
 */
#include <stdlib.h>
#include <string.h>

#include <emauth/authres.h>
#include <emauth/spf.h>
#include "fuzz_util.h"

static void one_line(const char *s, size_t n)
{
    if (n >= 998 || strlen(s) != n)
        abort();
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
            abort();
}

typedef size_t (*writer_fn)(const emauth_spf_result *, const emauth_spf_request *, char *,
                            size_t);

static size_t authres_fn(const emauth_spf_result *res, const emauth_spf_request *req, char *buf,
                         size_t size)
{
    (void)req;
    return emauth_spf_authres(res, buf, size);
}

/* Writes with an exact buffer and a short one; checks the snprintf contract. */
static void write_checked(writer_fn fn, const emauth_spf_result *res,
                          const emauth_spf_request *req, size_t short_size)
{
    size_t n = fn(res, req, NULL, 0);
    char *full = malloc(n + 1);
    if (full == NULL || fn(res, req, full, n + 1) != n)
        abort();
    one_line(full, n);
    if (short_size <= n) {
        char *part = malloc(short_size + 1);
        if (part == NULL || fn(res, req, part, short_size) != n)
            abort();
        if (short_size > 0 &&
            (part[short_size - 1] != '\0' || memcmp(part, full, short_size - 1) != 0))
            abort();
        free(part);
    }
    free(full);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in in = {data, size};
    uint8_t flags = fz_u8(&in);
    uint8_t cut = fz_u8(&in);
    char *v[7];
    for (size_t i = 0; i < 7; i++)
        v[i] = fz_str(&in, '\n');

    emauth_spf_request req;
    emauth_spf_result res;
    memset(&req, 0, sizeof req);
    memset(&res, 0, sizeof res);
    res.verdict = (emauth_spf_verdict)(flags % 7);
    res.identity = flags & 8 ? EMAUTH_SPF_ID_HELO : EMAUTH_SPF_ID_MAILFROM;
    if (flags & 16) {
        req.ip.family = flags & 32 ? 6 : 4;
        req.ip.addr[0] = flags;
    }
    res.sender = v[0];
    res.domain = v[1];
    req.mail_from = v[2];
    req.helo = v[3];
    req.receiver = v[4];
    res.mechanism = flags & 64 ? NULL : v[5];
    res.problem = flags & 128 ? NULL : v[6];

    write_checked(emauth_spf_received_spf, &res, &req, cut);
    write_checked(authres_fn, &res, &req, cut);

    char *field = NULL;
    emauth_error err;
    if (emauth_authres_format("mx.example.org", &res, NULL, 0, NULL, &field, &err) != EMAUTH_OK)
        abort();
    static const char name[] = "Authentication-Results:";
    emauth_authres *a = NULL;
    const char *value = field + sizeof name - 1;
    if (strncmp(field, name, sizeof name - 1) != 0 ||
        emauth_authres_parse(value, strlen(value), &a, &err) != EMAUTH_OK || a->nmethods < 1 ||
        strcmp(a->methods[0].method, "spf") != 0 ||
        strcmp(a->methods[0].result, emauth_spf_verdict_name(res.verdict)) != 0)
        abort();
    emauth_authres_free(a);
    free(field);
    for (size_t i = 0; i < 7; i++)
        free(v[i]);
    return 0;
}
