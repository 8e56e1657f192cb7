/*
 * The blocking live resolver: one c-ares query at a time, waited for with
 * poll(), in front of the shared answer cache. For the CLI's single checks
 * and for callers without an event loop; bulk work uses the async engine.
 */
#include <stdlib.h>
#include <string.h>

#include "dns/ares.h"
#include "dns/cache.h"
#include "util/error.h"

typedef struct live {
    emauth_resolver base;          /* first: the public handle */
    ea_ares *ares;
    ea_cache *cache;               /* NULL when disabled */
    emauth_dns_answer *last;       /* the answer handed out last (a clone) */
    uint32_t ttl;
    int done;
} live;

static void on_answer(void *arg, const emauth_dns_answer *a, uint32_t ttl, uint64_t elapsed_us)
{
    live *l = arg;
    (void)elapsed_us;
    free(l->last);
    l->last = ea_answer_clone(a);
    l->ttl = ttl;
    l->done = 1;
}

static emauth_status live_query(emauth_resolver *self, const emauth_dns_question *q,
                                emauth_dns_answer *out)
{
    live *l = (live *)self;
    if (l->cache != NULL && ea_cache_get(l->cache, q, ea_now_us() / 1000, out))
        return EMAUTH_OK;
    l->done = 0;
    emauth_status st = ea_ares_query(l->ares, q, on_answer, l);
    if (st != EMAUTH_OK)
        return st;
    while (!l->done) {
        struct pollfd fds[16];
        size_t n = ea_ares_pollfds(l->ares, fds, 16);
        if (n > 16)
            n = 16;
        if (poll(fds, n, ea_ares_timeout_ms(l->ares)) >= 0)
            ea_ares_process(l->ares, fds, n);
    }
    if (l->last == NULL)
        return EMAUTH_ERR_NOMEM;
    if (l->cache != NULL && ea_cache_put(l->cache, q, l->last, l->ttl, ea_now_us() / 1000) != EMAUTH_OK)
        return EMAUTH_ERR_NOMEM;
    *out = *l->last;
    return EMAUTH_OK;
}

static void live_destroy(emauth_resolver *self)
{
    live *l = (live *)self;
    ea_ares_free(l->ares);
    ea_cache_free(l->cache);
    free(l->last);
    free(l);
}

emauth_status emauth_ares_resolver_new(const emauth_dns_options *opts, emauth_resolver **out,
                                       emauth_error *err)
{
    emauth_dns_options defaults;
    if (opts == NULL) {
        emauth_dns_options_default(&defaults);
        opts = &defaults;
    }
    *out = NULL;
    live *l = calloc(1, sizeof *l);
    if (l == NULL)
        return ea_error(err, EMAUTH_ERR_NOMEM, 0, 0, "out of memory");
    l->base.query = live_query;
    l->base.destroy = live_destroy;
    if (opts->cache_entries > 0 &&
        (l->cache = ea_cache_new(opts->cache_entries, opts->max_ttl)) == NULL) {
        free(l);
        return ea_error(err, EMAUTH_ERR_NOMEM, 0, 0, "out of memory");
    }
    emauth_status st = ea_ares_new(opts, &l->ares, err);
    if (st != EMAUTH_OK) {
        ea_cache_free(l->cache);
        free(l);
        return st;
    }
    *out = &l->base;
    return EMAUTH_OK;
}
