/*
 * DMARC policy records (RFC 9989 §4.7, RFC 7489 §6.3):
 * emauth_dmarc_record_parse() and the lenient ea_dmarc_parse() behind it
 * (checker and evaluator), in both modes, with the rua/ruf URI lists;
 * emauth_dmarc_is_record(). Input: the record.
 *
 * Invariants: the strict parser accepts exactly what the lenient one
 * parses without a syntax issue; parsed values are in their ranges
 * (policies, r/s, y/n/u, pct <= 100); issues stay within their bound;
 * report domains are lower case.
 */
#include <stdlib.h>

#include <emauth/dmarc.h>
#include "dmarc/record_internal.h"
#include "fuzz_util.h"

static void check_uris(const emauth_dmarc_uri *u, size_t n)
{
    if (n > EA_DMARC_MAX_URIS || (n && u == NULL))
        abort();
    for (size_t i = 0; i < n; i++) {
        if (u[i].uri == NULL)
            abort();
        fz_touch(u[i].uri);
        for (const char *d = u[i].domain; d && *d; d++)
            if (*d >= 'A' && *d <= 'Z')
                abort();
    }
}

static void check_record(const emauth_dmarc_record *r)
{
    if (r->p > EMAUTH_DMARC_P_REJECT || r->sp > EMAUTH_DMARC_P_REJECT ||
        r->np > EMAUTH_DMARC_P_REJECT || (r->adkim != 'r' && r->adkim != 's') ||
        (r->aspf != 'r' && r->aspf != 's') || (r->psd != 'y' && r->psd != 'n' && r->psd != 'u') ||
        r->pct > 100)
        abort();
    fz_touch(r->text);
    fz_touch(r->fo);
    fz_touch(emauth_dmarc_policy_name(r->p));
    check_uris(r->rua, r->nrua);
    check_uris(r->ruf, r->nruf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fz_dup_exact(data, size);
    (void)emauth_dmarc_is_record(text, size);
    for (int mode = EMAUTH_DMARC_9989; mode <= EMAUTH_DMARC_7489; mode++) {
        ea_dmarc_parsed *p = NULL;
        if (ea_dmarc_parse(text, size, (emauth_dmarc_mode)mode, &p) != EMAUTH_OK || p == NULL)
            abort();
        if (p->nissues > EA_DMARC_MAX_ISSUES)
            abort();
        for (size_t i = 0; i < p->nissues; i++) {
            fz_touch(p->issues[i].tag);
            fz_touch(p->issues[i].message);
        }
        check_record(&p->pub);
        int usable = ea_dmarc_first_syntax(p) == NULL && !p->fatal;

        emauth_dmarc_record *r = NULL;
        emauth_error err;
        emauth_status st = emauth_dmarc_record_parse(text, size, (emauth_dmarc_mode)mode, &r, &err);
        if ((st == EMAUTH_OK) != usable || (st == EMAUTH_OK) != (r != NULL))
            abort();
        if (r != NULL)
            check_record(r);
        else
            fz_touch(err.message);
        emauth_dmarc_record_free(r);
        ea_dmarc_parsed_free(p);
    }
    free(text);
    return 0;
}
