/*
 * The async engine: sans-I/O machines driven over one c-ares channel.
 *
 * A job is one run of a machine: an SPF evaluation, an SPF analysis, a
 * DMARC check or a single question, behind a small table of functions. drive() runs it until it needs an answer that
 * is not at hand: from the cache, or joined to the identical question
 * already in flight, or sent as a new query. When a query's answer comes
 * back it is cached and handed to every job waiting on it, each of which
 * is driven on. The protocol cores never see any of this.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <poll.h>

#include <emauth/async.h>
#include "dns/ares.h"
#include "dns/cache.h"
#include "dns/stats.h"
#include "util/error.h"

#define INFLIGHT_BUCKETS 4096   /* power of two; chains stay short at any concurrency */

typedef struct job job;

/* What the engine needs of a machine. */
typedef struct job_ops {
    emauth_status (*next)(job *j, const emauth_dns_question **q);
    emauth_status (*answer)(job *j, const emauth_dns_answer *a);
    void (*complete)(job *j);   /* hands the result to the caller's callback */
    void (*destroy)(job *j);    /* frees the machine */
} job_ops;

typedef enum job_kind { JOB_SPF, JOB_LINT, JOB_DMARC, JOB_QUERY, JOB_KINDS } job_kind;

/* The machine of a single question: asks it once, keeps the answer for the callback. */
typedef struct query_job {
    emauth_dns_question q;
    char *name;                 /* q.name, owned */
    int asked;
} query_job;

struct job {
    emauth_async *as;
    job_kind kind;
    union {
        emauth_spf_eval *ev;
        emauth_spf_lint *lint;
        emauth_dmarc_check *dmarc;
        query_job *query;
    } m;
    union {
        emauth_async_spf_fn spf;
        emauth_async_lint_fn lint;
        emauth_async_dmarc_fn dmarc;
        emauth_async_query_fn query;
    } cb;
    void *arg;
    job *next;                  /* free list, or the waiters of one question */
};

static emauth_status spf_next(job *j, const emauth_dns_question **q)
{
    return emauth_spf_eval_next(j->m.ev, q);
}

static emauth_status spf_answer(job *j, const emauth_dns_answer *a)
{
    return emauth_spf_eval_answer(j->m.ev, a);
}

static void spf_complete(job *j)
{
    j->cb.spf(j->arg, emauth_spf_eval_result(j->m.ev));
}

static void spf_destroy(job *j)
{
    emauth_spf_eval_free(j->m.ev);
}

static emauth_status lint_next(job *j, const emauth_dns_question **q)
{
    return emauth_spf_lint_next(j->m.lint, q);
}

static emauth_status lint_answer(job *j, const emauth_dns_answer *a)
{
    return emauth_spf_lint_answer(j->m.lint, a);
}

static void lint_complete(job *j)
{
    j->cb.lint(j->arg, emauth_spf_lint_report(j->m.lint));
}

static void lint_destroy(job *j)
{
    emauth_spf_lint_free(j->m.lint);
}

static emauth_status dmarc_next(job *j, const emauth_dns_question **q)
{
    return emauth_dmarc_check_next(j->m.dmarc, q);
}

static emauth_status dmarc_answer(job *j, const emauth_dns_answer *a)
{
    return emauth_dmarc_check_answer(j->m.dmarc, a);
}

static void dmarc_complete(job *j)
{
    j->cb.dmarc(j->arg, emauth_dmarc_check_report(j->m.dmarc));
}

static void dmarc_destroy(job *j)
{
    emauth_dmarc_check_free(j->m.dmarc);
}

static emauth_status query_next(job *j, const emauth_dns_question **q)
{
    if (j->m.query->asked)
        return EMAUTH_OK;
    j->m.query->asked = 1;
    *q = &j->m.query->q;
    return EMAUTH_NEED_DNS;
}

/*
 * The callback runs here, while a is valid (answers live only during the
 * answer call: a cache hit is a copy on drive()'s stack, a network answer
 * is freed after its waiters). The job is still counted in flight during it.
 */
static emauth_status query_answer(job *j, const emauth_dns_answer *a)
{
    j->cb.query(j->arg, a);
    return EMAUTH_OK;
}

static void query_complete(job *j)
{
    (void)j;   /* the callback already ran, in query_answer() */
}

static void query_destroy(job *j)
{
    free(j->m.query->name);
    free(j->m.query);
}

static const job_ops ops[JOB_KINDS] = {
    [JOB_SPF] = {spf_next, spf_answer, spf_complete, spf_destroy},
    [JOB_LINT] = {lint_next, lint_answer, lint_complete, lint_destroy},
    [JOB_DMARC] = {dmarc_next, dmarc_answer, dmarc_complete, dmarc_destroy},
    [JOB_QUERY] = {query_next, query_answer, query_complete, query_destroy},
};

/* The blocking resolver view (emauth_async_resolver): the last answer, copied. */
typedef struct view {
    emauth_resolver base;
    emauth_async *as;
    int done;
    emauth_status status;
    emauth_dns_answer *answer;  /* ea_answer_clone(), freed at the next query */
} view;

/* A question sent to the network, with the jobs waiting for its answer. */
typedef struct inflight inflight;
struct inflight {
    inflight *hnext;
    emauth_async *as;
    uint64_t hash;
    uint16_t type;
    int joinable;               /* in the table: later askers join it */
    job *waiters, **tail;
    char name[];
};

struct emauth_async {
    ea_ares *ares;              /* live DNS, or */
    emauth_zone *zone;          /* answers at once */
    ea_cache *cache;            /* NULL: no cache, no joining */
    inflight *table[INFLIGHT_BUCKETS];
    job *free_jobs[JOB_KINDS];      /* finished jobs, their machines kept for reuse */
    size_t in_flight;
    int closing;
    ea_stats stats;
    view view;
};

static uint64_t hash_question(const emauth_dns_question *q)
{
    uint64_t h = 1469598103934665603ull ^ q->type;
    for (const char *p = q->name; *p; p++) {
        char c = *p >= 'A' && *p <= 'Z' ? (char)(*p + 32) : *p;
        h = (h ^ (unsigned char)c) * 1099511628211ull;
    }
    return h;
}

static inflight **find_inflight(emauth_async *as, const emauth_dns_question *q, uint64_t h)
{
    inflight **pp = &as->table[h & (INFLIGHT_BUCKETS - 1)];
    for (; *pp != NULL; pp = &(*pp)->hnext)
        if ((*pp)->hash == h && (*pp)->type == q->type && strcasecmp((*pp)->name, q->name) == 0)
            break;
    return pp;
}

static void release(job *j)
{
    j->next = j->as->free_jobs[j->kind];
    j->as->free_jobs[j->kind] = j;
}

static void complete(job *j)
{
    j->as->in_flight--;
    ops[j->kind].complete(j);
    release(j);
}

static void on_answer(void *arg, const emauth_dns_answer *a, uint32_t ttl, uint64_t elapsed_us);

/* Sends q, or joins the same question in flight; j then waits. */
static emauth_status wait_for(emauth_async *as, job *j, const emauth_dns_question *q)
{
    uint64_t h = hash_question(q);
    inflight **slot = as->cache ? find_inflight(as, q, h) : NULL;
    if (slot != NULL && *slot != NULL) {
        as->stats.c.joined++;
        j->next = NULL;
        *(*slot)->tail = j;
        (*slot)->tail = &j->next;
        return EMAUTH_OK;
    }
    size_t n = strlen(q->name);
    inflight *f = malloc(sizeof *f + n + 1);
    if (f == NULL)
        return EMAUTH_ERR_NOMEM;
    memcpy(f->name, q->name, n + 1);
    f->as = as;
    f->hash = h;
    f->type = q->type;
    j->next = NULL;
    f->waiters = j;
    f->tail = &j->next;
    f->joinable = slot != NULL;
    f->hnext = NULL;
    if (slot != NULL)
        *slot = f;
    emauth_dns_question sent = {f->name, f->type};
    emauth_status st = ea_ares_query(as->ares, &sent, on_answer, f);
    if (st != EMAUTH_OK && slot != NULL)
        *find_inflight(as, q, h) = f->hnext;
    if (st != EMAUTH_OK)
        free(f);
    return st;
}

/* Runs j until it waits for the network or is done. */
static void drive(job *j)
{
    emauth_async *as = j->as;
    for (;;) {
        const emauth_dns_question *q;
        emauth_status st = ops[j->kind].next(j, &q);
        if (st != EMAUTH_NEED_DNS) {
            complete(j);   /* on an internal error the result is a temperror saying so */
            return;
        }
        as->stats.c.questions++;
        emauth_dns_answer a;
        if (as->zone != NULL) {
            emauth_zone_query(as->zone, q, &a);
        } else if (as->cache != NULL && ea_cache_get(as->cache, q, ea_now_us() / 1000, &a)) {
            as->stats.c.cache_hits++;
        } else {
            if (wait_for(as, j, q) == EMAUTH_OK)
                return;
            memset(&a, 0, sizeof a);
            a.rcode = EMAUTH_DNS_SERVFAIL;
            a.why = "out of memory";
        }
        ops[j->kind].answer(j, &a);
    }
}

static void free_job(job *j)
{
    ops[j->kind].destroy(j);
    free(j);
}

static void on_answer(void *arg, const emauth_dns_answer *a, uint32_t ttl, uint64_t elapsed_us)
{
    inflight *f = arg;
    emauth_async *as = f->as;
    if (f->joinable) {
        emauth_dns_question q = {f->name, f->type};
        *find_inflight(as, &q, f->hash) = f->hnext;
    }
    job *w = f->waiters;
    if (as->closing) {
        for (job *next; w != NULL; w = next) {
            next = w->next;
            free_job(w);
        }
        free(f);
        return;
    }
    ea_stats_query(&as->stats, a->rcode, elapsed_us);
    if (as->cache != NULL) {
        emauth_dns_question q = {f->name, f->type};
        ea_cache_put(as->cache, &q, a, ttl, ea_now_us() / 1000);
    }
    /* Every waiter copies what it needs from a before the next is driven. */
    for (job *next; w != NULL; w = next) {
        next = w->next;
        ops[w->kind].answer(w, a);
        drive(w);
    }
    free(f);
}

static emauth_status engine_new(emauth_async **out, emauth_error *err)
{
    *out = calloc(1, sizeof **out);
    if (*out == NULL)
        return ea_error(err, EMAUTH_ERR_NOMEM, 0, 0, "out of memory");
    return EMAUTH_OK;
}

emauth_status emauth_async_new(const emauth_dns_options *opts, emauth_async **out,
                               emauth_error *err)
{
    emauth_dns_options defaults;
    if (opts == NULL) {
        emauth_dns_options_default(&defaults);
        opts = &defaults;
    }
    emauth_status st = engine_new(out, err);
    if (st != EMAUTH_OK)
        return st;
    emauth_async *as = *out;
    if (opts->cache_entries > 0 &&
        (as->cache = ea_cache_new(opts->cache_entries, opts->max_ttl)) == NULL) {
        emauth_async_free(as);
        *out = NULL;
        return ea_error(err, EMAUTH_ERR_NOMEM, 0, 0, "out of memory");
    }
    st = ea_ares_new(opts, &as->ares, err);
    if (st != EMAUTH_OK) {
        emauth_async_free(as);
        *out = NULL;
    }
    return st;
}

emauth_status emauth_async_new_zone(emauth_zone *zone, emauth_async **out, emauth_error *err)
{
    if (zone == NULL)
        return ea_error(err, EMAUTH_ERR_INVALID, 0, 0, "no zone");
    emauth_status st = engine_new(out, err);
    if (st == EMAUTH_OK)
        (*out)->zone = zone;
    return st;
}

void emauth_async_free(emauth_async *as)
{
    if (as == NULL)
        return;
    as->closing = 1;
    ea_ares_free(as->ares);   /* cancels queries: on_answer frees their jobs */
    ea_cache_free(as->cache);
    free(as->view.answer);
    for (int k = 0; k < JOB_KINDS; k++) {
        for (job *j = as->free_jobs[k], *next; j != NULL; j = next) {
            next = j->next;
            free_job(j);
        }
    }
    free(as);
}

/* A job of this kind: a finished one reused, or a new one with its machine. */
static job *take_job(emauth_async *as, job_kind kind)
{
    job *j = as->free_jobs[kind];
    if (j != NULL) {
        as->free_jobs[kind] = j->next;
        return j;
    }
    j = calloc(1, sizeof *j);
    if (j == NULL)
        return NULL;
    j->as = as;
    j->kind = kind;
    emauth_status st = EMAUTH_ERR_NOMEM;
    switch (kind) {
    case JOB_SPF: st = emauth_spf_eval_new(&j->m.ev); break;
    case JOB_LINT: st = emauth_spf_lint_new(&j->m.lint); break;
    case JOB_DMARC: st = emauth_dmarc_check_new(&j->m.dmarc); break;
    case JOB_QUERY:
        if ((j->m.query = calloc(1, sizeof *j->m.query)) != NULL)
            st = EMAUTH_OK;
        break;
    case JOB_KINDS: break;
    }
    if (st != EMAUTH_OK) {
        free(j);
        return NULL;
    }
    return j;
}

/* Starts j (its machine already started) and runs it as far as it goes. */
static void launch(job *j, void *arg)
{
    j->arg = arg;
    j->as->in_flight++;
    drive(j);
}

emauth_status emauth_async_spf(emauth_async *as, const emauth_spf_request *req,
                               emauth_async_spf_fn cb, void *arg, emauth_error *err)
{
    job *j = take_job(as, JOB_SPF);
    if (j == NULL)
        return ea_error(err, EMAUTH_ERR_NOMEM, 0, 0, "out of memory");
    emauth_status st = emauth_spf_eval_start(j->m.ev, req, err);
    if (st != EMAUTH_OK) {
        release(j);
        return st;
    }
    j->cb.spf = cb;
    launch(j, arg);
    return EMAUTH_OK;
}

emauth_status emauth_async_spf_lint(emauth_async *as, const char *domain,
                                    emauth_async_lint_fn cb, void *arg, emauth_error *err)
{
    job *j = take_job(as, JOB_LINT);
    if (j == NULL)
        return ea_error(err, EMAUTH_ERR_NOMEM, 0, 0, "out of memory");
    emauth_status st = emauth_spf_lint_start(j->m.lint, domain, NULL, 0, err);
    if (st != EMAUTH_OK) {
        release(j);
        return st;
    }
    j->cb.lint = cb;
    launch(j, arg);
    return EMAUTH_OK;
}

emauth_status emauth_async_dmarc_check(emauth_async *as, const char *domain,
                                       emauth_dmarc_mode mode, emauth_async_dmarc_fn cb,
                                       void *arg, emauth_error *err)
{
    job *j = take_job(as, JOB_DMARC);
    if (j == NULL)
        return ea_error(err, EMAUTH_ERR_NOMEM, 0, 0, "out of memory");
    emauth_status st = emauth_dmarc_check_start(j->m.dmarc, domain, mode, err);
    if (st != EMAUTH_OK) {
        release(j);
        return st;
    }
    j->cb.dmarc = cb;
    launch(j, arg);
    return EMAUTH_OK;
}

emauth_status emauth_async_query(emauth_async *as, const emauth_dns_question *q,
                                 emauth_async_query_fn cb, void *arg, emauth_error *err)
{
    if (q == NULL || q->name == NULL || cb == NULL)
        return ea_error(err, EMAUTH_ERR_INVALID, 0, 0, "no question");
    job *j = take_job(as, JOB_QUERY);
    char *name = j != NULL ? strdup(q->name) : NULL;
    if (name == NULL) {
        if (j != NULL)
            release(j);
        return ea_error(err, EMAUTH_ERR_NOMEM, 0, 0, "out of memory");
    }
    query_job *m = j->m.query;
    free(m->name);
    m->name = name;
    m->q.name = name;
    m->q.type = q->type;
    m->asked = 0;
    j->cb.query = cb;
    launch(j, arg);
    return EMAUTH_OK;
}

static void view_got(void *arg, const emauth_dns_answer *a)
{
    view *v = arg;
    v->done = 1;
    v->answer = ea_answer_clone(a);   /* keeps why: reasons are static strings */
    if (v->answer == NULL)
        v->status = EMAUTH_ERR_NOMEM;
}

static emauth_status view_query(emauth_resolver *self, const emauth_dns_question *q,
                                emauth_dns_answer *out)
{
    view *v = (view *)self;
    emauth_async *as = v->as;
    free(v->answer);
    v->answer = NULL;
    v->done = 0;
    v->status = EMAUTH_OK;
    emauth_status st = emauth_async_query(as, q, view_got, v, NULL);
    struct pollfd fds[64];
    while (st == EMAUTH_OK && !v->done) {
        if (as->ares == NULL || ea_ares_pending(as->ares) == 0)
            return EMAUTH_ERR_INVALID;   /* waiting, yet nothing is asked: a bug */
        size_t n = emauth_async_pollfds(as, fds, 64);
        if (n > 64)
            n = 64;
        if (poll(fds, n, emauth_async_timeout(as)) < 0)
            continue;   /* EINTR: go round; timeouts are still processed */
        emauth_async_process(as, fds, n);
    }
    if (st == EMAUTH_OK)
        st = v->status;
    if (st == EMAUTH_OK)
        *out = *v->answer;
    return st;
}

emauth_resolver *emauth_async_resolver(emauth_async *as)
{
    as->view.base.query = view_query;
    as->view.base.destroy = NULL;
    as->view.as = as;
    return &as->view.base;
}

size_t emauth_async_in_flight(const emauth_async *as)
{
    return as->in_flight;
}

size_t emauth_async_pollfds(emauth_async *as, struct pollfd *fds, size_t max)
{
    return as->ares ? ea_ares_pollfds(as->ares, fds, max) : 0;
}

int emauth_async_timeout(emauth_async *as)
{
    return as->ares ? ea_ares_timeout_ms(as->ares) : -1;
}

emauth_status emauth_async_process(emauth_async *as, const struct pollfd *fds, size_t n)
{
    if (as->ares)
        ea_ares_process(as->ares, fds, n);
    return EMAUTH_OK;
}

emauth_status emauth_async_run(emauth_async *as)
{
    struct pollfd fds[64];
    while (as->in_flight > 0) {
        if (as->ares == NULL || ea_ares_pending(as->ares) == 0)
            return EMAUTH_ERR_INVALID;   /* checks wait, yet nothing is asked: a bug */
        size_t n = emauth_async_pollfds(as, fds, 64);
        if (n > 64)
            n = 64;
        if (poll(fds, n, emauth_async_timeout(as)) < 0)
            continue;   /* EINTR: go round; timeouts are still processed */
        emauth_async_process(as, fds, n);
    }
    return EMAUTH_OK;
}

void emauth_async_stats(const emauth_async *as, emauth_dns_stats *out)
{
    ea_stats_read(&as->stats, out);
}
