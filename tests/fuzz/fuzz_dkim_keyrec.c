/*
 * DKIM key records (RFC 6376 §3.6.1, RFC 8463 §4.2): ea_dkim_keyrec_parse(),
 * the key in p= (ea_dkim_keyrec_key(): base64, then DER or raw Ed25519
 * through OpenSSL), ea_dkim_keyrec_allows(), and the published-record
 * checker emauth_dkim_key_check(). Input: the record (TXT strings joined).
 *
 * Invariants: a failed parse leaves the output zeroed; p= lies inside the
 * record; a key comes back exactly when no reason does; the checker
 * always answers with a report.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include <emauth/dkim.h>
#include "dkim/keyrec.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *rec = fz_dup_exact(data, size);
    ea_dkim_keyrec kr;
    static const ea_dkim_keyrec zero;
    emauth_error err;
    if (ea_dkim_keyrec_parse(rec, size, &kr, &err) == EMAUTH_OK) {
        if (kr.p_len > 0 && (kr.p < rec || (size_t)(kr.p - rec) > size - kr.p_len))
            abort();
        const char *why = NULL;
        EVP_PKEY *k = ea_dkim_keyrec_key(&kr, &why);
        if ((k == NULL) == (why == NULL))
            abort();
        fz_touch(why);
        EVP_PKEY_free(k);
        (void)ea_dkim_keyrec_allows(&kr, EA_DKIM_RSA_SHA1);
        (void)ea_dkim_keyrec_allows(&kr, EA_DKIM_ED25519_SHA256);
    } else {
        if (memcmp(&kr, &zero, sizeof kr) != 0)
            abort();
        fz_touch(err.message);
    }

    char *report = NULL;
    unsigned errors = 0;
    if (emauth_dkim_key_check(rec, size, NULL, &report, &errors, &err) != EMAUTH_OK ||
        report == NULL)
        abort();
    fz_touch(report);
    free(report);
    free(rec);
    return 0;
}
