/*
 * DMARC policy discovery and organizational domains (RFC 9989 §4.10,
 * §4.10.1, §4.10.2; RFC 7489 §3.2, §6.6.3). See dmarc/discover.h.
 */
#include <string.h>

#include "dmarc/discover.h"
#include "dmarc/record_internal.h"
#include "spf/names.h"

const psl_ctx_t *ea_dmarc_psl(psl_ctx_t **owned)
{
    if (*owned == NULL)
        *owned = psl_latest(NULL);
    if (*owned != NULL)
        return *owned;
    return psl_builtin();
}

emauth_status ea_dmarc_norm(ea_arena *arena, const char *d, size_t len, const char **out)
{
    *out = NULL;
    if (d == NULL)
        return EMAUTH_ERR_SYNTAX;
    if (len && d[len - 1] == '.')
        len--;
    if (!ea_name_ok(d, len, 0) || memchr(d, '\0', len) != NULL)
        return EMAUTH_ERR_SYNTAX;
    char *s = ea_arena_strndup(arena, d, len);
    if (s == NULL)
        return EMAUTH_ERR_NOMEM;
    for (size_t i = 0; i < len; i++)
        if (s[i] >= 'A' && s[i] <= 'Z')
            s[i] = (char)(s[i] - 'A' + 'a');
    *out = s;
    return EMAUTH_OK;
}

size_t ea_dmarc_labels(const char *name)
{
    size_t n = *name ? 1 : 0;
    for (; *name; name++)
        if (*name == '.')
            n++;
    return n;
}

/* The suffix of name with k labels (k <= labels(name)); "" for 0. */
static const char *suffix(const char *name, size_t k)
{
    size_t n = ea_dmarc_labels(name);
    while (n > k) {
        const char *dot = strchr(name, '.');
        name = dot != NULL ? dot + 1 : name + strlen(name);
        n--;
    }
    return name;
}

const char *ea_dmarc_psl_org(const psl_ctx_t *psl, const char *name)
{
    const char *r = psl != NULL ? psl_registrable_domain(psl, name) : NULL;
    return r != NULL ? r : name;
}

void ea_dmarc_walk_init(ea_dmarc_walk *w, emauth_dmarc_mode mode, const psl_ctx_t *psl,
                        const char *start)
{
    memset(w, 0, sizeof *w);
    w->mode = mode;
    w->start = start;
    w->start_len = strlen(start);
    w->next = start;
    if (mode == EMAUTH_DMARC_7489)
        w->org7489 = ea_dmarc_psl_org(psl, start);
}

/* After a step at w->next: where to go, or NULL. */
static const char *advance(ea_dmarc_walk *w, const ea_dmarc_step *st)
{
    if (w->nsteps >= EA_DMARC_WALK_MAX)
        return NULL;
    if (w->mode == EMAUTH_DMARC_7489) {
        if (w->nsteps > 1 || st->nrecords > 0)
            return NULL;
        return strcmp(w->org7489, w->start) != 0 ? w->org7489 : NULL;
    }
    if (st->nrecords == 1 && (st->psd == 'y' || st->psd == 'n'))
        return NULL;
    size_t x = ea_dmarc_labels(w->next);
    if (x <= 1)
        return NULL;
    return suffix(w->next, x - 1 < 7 ? x - 1 : 7);
}

void ea_dmarc_walk_record(ea_dmarc_walk *w, const ea_dmarc_step *st)
{
    if (w->next == NULL || w->nsteps >= EA_DMARC_WALK_MAX)
        return;
    ea_dmarc_step *s = &w->steps[w->nsteps++];
    *s = *st;
    s->name = w->next;
    if (st->rcode == EMAUTH_DNS_SERVFAIL || st->rcode == EMAUTH_DNS_TIMEOUT) {
        w->error = 1;
        w->next = NULL;
        return;
    }
    w->next = advance(w, s);
}

const char *ea_dmarc_walk_question(ea_dmarc_walk *w)
{
    while (w->next != NULL) {
        size_t n = strlen(w->next);
        if (n + 7 <= 253) {
            memcpy(w->qname, "_dmarc.", 7);
            memcpy(w->qname + 7, w->next, n + 1);
            return w->qname;
        }
        /* No query can be made for the name: as if it had no record. */
        ea_dmarc_step none = {NULL, EMAUTH_DNS_NXDOMAIN, 0, NULL, 0, 'u'};
        ea_dmarc_walk_record(w, &none);
    }
    return NULL;
}

emauth_status ea_dmarc_classify(const emauth_dns_answer *a, ea_arena *arena, ea_dmarc_step *st)
{
    memset(st, 0, sizeof *st);
    st->rcode = a->rcode;
    st->psd = 'u';
    if (a->rcode != EMAUTH_DNS_OK)
        return EMAUTH_OK;
    const emauth_dns_rr *one = NULL;
    for (size_t i = 0; i < a->count; i++) {
        const emauth_dns_rr *rr = &a->rrs[i];
        if (rr->type != EMAUTH_DNS_TXT || !emauth_dmarc_is_record(rr->u.txt.data, rr->u.txt.len))
            continue;
        st->nrecords++;
        one = rr;
    }
    if (st->nrecords != 1)
        return EMAUTH_OK;
    char *t = ea_arena_strndup(arena, one->u.txt.data, one->u.txt.len);
    if (t == NULL)
        return EMAUTH_ERR_NOMEM;
    st->text = t;
    st->text_len = one->u.txt.len;
    ea_dmarc_parsed *p;
    if (ea_dmarc_parse(t, st->text_len, EMAUTH_DMARC_9989, &p) != EMAUTH_OK)
        return EMAUTH_ERR_NOMEM;
    if (!p->fatal)
        st->psd = p->pub.psd;
    ea_dmarc_parsed_free(p);
    return EMAUTH_OK;
}

const char *ea_dmarc_walk_org(const ea_dmarc_walk *w)
{
    if (w->mode == EMAUTH_DMARC_7489)
        return w->org7489;
    const char *fewest = NULL;
    for (size_t i = 0; i < w->nsteps; i++) {
        const ea_dmarc_step *s = &w->steps[i];
        if (s->nrecords != 1)
            continue;
        if (s->psd == 'n')
            return s->name;
        if (s->psd == 'y' && i > 0)
            return suffix(w->start, ea_dmarc_labels(s->name) + 1);
        fewest = s->name;
    }
    return fewest != NULL ? fewest : w->start;
}

const ea_dmarc_step *ea_dmarc_walk_policy(const ea_dmarc_walk *w)
{
    if (w->nsteps == 0 || w->error)
        return NULL;
    if (w->steps[0].nrecords == 1)
        return &w->steps[0];
    if (w->mode == EMAUTH_DMARC_7489) {
        if (w->steps[0].nrecords > 1 || w->nsteps < 2 || w->steps[1].nrecords != 1)
            return NULL;
        return &w->steps[1];
    }
    const char *org = ea_dmarc_walk_org(w);
    const ea_dmarc_step *psd = NULL;
    for (size_t i = 1; i < w->nsteps; i++) {
        const ea_dmarc_step *s = &w->steps[i];
        if (s->nrecords != 1)
            continue;
        if (strcmp(s->name, org) == 0)
            return s;
        if (s->psd == 'y')
            psd = s;
    }
    return psd;
}
