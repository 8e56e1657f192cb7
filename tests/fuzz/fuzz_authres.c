/*
 * Authentication-Results fields (RFC 8601): emauth_authres_parse() on the
 * input (a field value), emauth_authres_is_ours(), and a round trip
 * through the writer: what was parsed (authserv-id, dkim entries with
 * header.d/s/b and reason, a dmarc entry with header.from and reason) is
 * written again with emauth_authres_format() and parsed back.
 *
 * Invariants: a field is ours under its own authserv-id in any case; the
 * written field is 7-bit printable ASCII folded only with CRLF TAB, lines
 * under 998 bytes, and it parses; values that the writer keeps exactly
 * (printable ASCII, short enough not to be cut) come back unchanged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <emauth/authres.h>
#include "fuzz_util.h"

#define DKIM_MAX 8
#define VALUE_MAX 96   /* written bytes of a value before the writer cuts it (format.c) */

/* Will the writer reproduce s exactly? */
static int exact(const char *s)
{
    size_t out = 0;
    if (s == NULL || *s == '\0')
        return 0;
    for (; *s; s++) {
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e || *s == '\t')
            return 0;
        out += 1 + (*s == '"' || *s == '\\');
    }
    return out <= VALUE_MAX;
}

static const char *prop(const emauth_authres_method *m, const char *ptype, const char *property)
{
    for (size_t i = 0; i < m->nprops; i++)
        if (strcmp(m->props[i].ptype, ptype) == 0 && strcmp(m->props[i].property, property) == 0)
            return m->props[i].value;
    return NULL;
}

static void same(const char *wrote, const char *got)
{
    if (exact(wrote) && (got == NULL || strcmp(wrote, got) != 0)) {
        fprintf(stderr, "authres round trip: wrote \"%s\", read \"%s\"\n", wrote,
                got ? got : "(none)");
        abort();
    }
}

static void check_field(const char *f)
{
    size_t col = 0;
    for (const char *p = f; *p; p++) {
        if (p[0] == '\r') {
            if (p[1] != '\n' || p[2] != '\t')
                abort();
            col = 0;
            p++;
            continue;
        }
        if ((unsigned char)*p < 0x20 ? *p != '\t' : (unsigned char)*p > 0x7e)
            abort();
        if (++col > 998)
            abort();
    }
}

static emauth_dkim_verdict dkim_verdict(const char *r)
{
    for (int v = EMAUTH_DKIM_PASS; v <= EMAUTH_DKIM_PERMERROR; v++)
        if (strcmp(r, emauth_dkim_verdict_name((emauth_dkim_verdict)v)) == 0)
            return (emauth_dkim_verdict)v;
    return EMAUTH_DKIM_PERMERROR;
}

static emauth_dmarc_verdict dmarc_verdict(const char *r)
{
    for (int v = EMAUTH_DMARC_NONE; v <= EMAUTH_DMARC_PERMERROR; v++)
        if (strcmp(r, emauth_dmarc_verdict_name((emauth_dmarc_verdict)v)) == 0)
            return (emauth_dmarc_verdict)v;
    return EMAUTH_DMARC_PERMERROR;
}

static void round_trip(const emauth_authres *a)
{
    emauth_dkim_result dk[DKIM_MAX];
    emauth_dmarc_result dm;
    size_t nd = 0;
    int have_dmarc = 0;
    memset(dk, 0, sizeof dk);
    memset(&dm, 0, sizeof dm);
    for (size_t i = 0; i < a->nmethods; i++) {
        const emauth_authres_method *m = &a->methods[i];
        if (strcmp(m->method, "dkim") == 0 && nd < DKIM_MAX) {
            emauth_dkim_result *r = &dk[nd++];
            r->verdict = dkim_verdict(m->result);
            r->reason = m->reason;
            r->domain = prop(m, "header", "d");
            r->selector = prop(m, "header", "s");
            r->b_prefix = prop(m, "header", "b");
        } else if (strcmp(m->method, "dmarc") == 0 && !have_dmarc) {
            have_dmarc = 1;
            dm.verdict = dmarc_verdict(m->result);
            dm.reason = m->reason;
            dm.from_domain = prop(m, "header", "from");
        }
    }
    char *out = NULL;
    emauth_error err;
    if (emauth_authres_format(a->authserv_id, NULL, dk, nd, have_dmarc ? &dm : NULL, &out,
                              &err) != EMAUTH_OK)
        abort();
    check_field(out);
    static const char name[] = "Authentication-Results:";
    if (strncmp(out, name, sizeof name - 1) != 0)
        abort();
    const char *value = out + sizeof name - 1;
    emauth_authres *b = NULL;
    if (emauth_authres_parse(value, strlen(value), &b, &err) != EMAUTH_OK) {
        fprintf(stderr, "authres: the written field does not parse: %s\n%s\n", err.message, out);
        abort();
    }
    same(a->authserv_id, b->authserv_id);
    size_t k = 0;
    for (size_t i = 0; i < b->nmethods; i++) {
        const emauth_authres_method *m = &b->methods[i];
        if (strcmp(m->method, "dkim") == 0 && k < nd) {
            const emauth_dkim_result *r = &dk[k++];
            if (strcmp(m->result, emauth_dkim_verdict_name(r->verdict)) != 0)
                abort();
            same(r->domain, prop(m, "header", "d"));
            same(r->selector, prop(m, "header", "s"));
            if (r->b_prefix && strlen(r->b_prefix) <= 8)
                same(r->b_prefix, prop(m, "header", "b"));
            if (r->verdict != EMAUTH_DKIM_PASS)
                same(r->reason, m->reason);
        } else if (strcmp(m->method, "dmarc") == 0) {
            if (strcmp(m->result, emauth_dmarc_verdict_name(dm.verdict)) != 0)
                abort();
            same(dm.from_domain, prop(m, "header", "from"));
            if (dm.verdict == EMAUTH_DMARC_TEMPERROR || dm.verdict == EMAUTH_DMARC_PERMERROR)
                same(dm.reason, m->reason);
        }
    }
    if (k != nd)
        abort();
    emauth_authres_free(b);
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *value = fz_dup_exact(data, size);
    emauth_authres *a = NULL;
    emauth_error err;
    emauth_status st = emauth_authres_parse(value, size, &a, &err);
    if (st != EMAUTH_OK) {
        if (a != NULL)
            abort();
        fz_touch(err.message);
        free(value);
        return 0;
    }
    if (a->authserv_id == NULL || (a->none && a->nmethods != 0))
        abort();
    for (size_t i = 0; i < a->nmethods; i++) {
        const emauth_authres_method *m = &a->methods[i];
        if (m->method == NULL || m->result == NULL)
            abort();
        fz_touch(m->reason);
        for (size_t j = 0; j < m->nprops; j++) {
            fz_touch(m->props[j].ptype);
            fz_touch(m->props[j].property);
            fz_touch(m->props[j].value);
        }
    }

    /* Ours under its own name, in upper case too. */
    char *id = fz_dup(a->authserv_id, strlen(a->authserv_id));
    for (char *p = id; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 32);
    if (!emauth_authres_is_ours(a, a->authserv_id) ||
        (strlen(id) == strlen(a->authserv_id) && !emauth_authres_is_ours(a, id)))
        abort();
    (void)emauth_authres_is_ours(a, "mx.example.org");
    free(id);

    if (a->authserv_id[0] != '\0')
        round_trip(a);
    emauth_authres_free(a);
    free(value);
    return 0;
}
