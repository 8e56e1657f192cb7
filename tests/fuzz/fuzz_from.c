/*
 * The RFC 5322.From author address (RFC 5322 §3.4, §3.6.2; RFC 9989
 * §4.4): emauth_from_extract(). Input: the From field values, separated
 * by NUL bytes (one value, or several From fields).
 *
 * Invariants: success gives an address holding "@" and a domain that is
 * non-empty, lower case, without a trailing dot; failure leaves both
 * NULL and sets the error.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <emauth/message.h>
#include "fuzz_util.h"

#define VALUES_MAX 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in in = {data, size};
    char *vals[VALUES_MAX];
    size_t lens[VALUES_MAX], n = 0;
    do {
        const uint8_t *p;
        lens[n] = fz_piece(&in, '\0', &p);
        vals[n] = fz_dup_exact(p, lens[n]);
        n++;
    } while (in.len > 0 && n < VALUES_MAX);

    emauth_from f;
    emauth_error err;
    memset(&f, 0x55, sizeof f);   /* garbage in: the call must set both */
    emauth_status st = emauth_from_extract((const char *const *)vals, lens, n, &f, &err);
    if (st == EMAUTH_OK) {
        if (f.address == NULL || f.domain == NULL || strchr(f.address, '@') == NULL)
            abort();
        size_t dl = strlen(f.domain);
        if (dl == 0 || f.domain[dl - 1] == '.')
            abort();
        for (size_t i = 0; i < dl; i++)
            if (f.domain[i] >= 'A' && f.domain[i] <= 'Z')
                abort();
    } else {
        if (f.address != NULL || f.domain != NULL || err.status != st)
            abort();
        fz_touch(err.message);
    }
    emauth_from_free(&f);
    for (size_t i = 0; i < n; i++)
        free(vals[i]);
    return 0;
}
