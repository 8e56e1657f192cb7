/*
 * spf_bench - in-process SPF check_host() benchmark.
 *
 * Loads bench/bench.zone into an in-memory zone and evaluates queries in a
 * loop with ONE reused evaluator (emauth_spf_eval_start + emauth_spf_eval_run
 * over emauth_zone_resolver): no I/O, no threads, one core.
 *
 * Cases:
 *   reference  example.com "v=spf1 a mx include:_spf.provider.example
 *              ip4:192.0.2.0/24 ~all", the client matching at the end of an
 *              include chain three deep: 8 DNS-querying terms, 12 DNS
 *              questions (asserted from the result before timing).
 *   trivial    example.net "v=spf1 ip4:192.0.2.0/24 -all": 1 question.
 *   mixed      a rotation of 13 queries: pass, softfail, fail with exp=,
 *              none (no record and NXDOMAIN), exists with macros, redirect,
 *              IPv6, HELO, permerror, neutral and temperror; every verdict
 *              is asserted before timing.
 *
 * For each case: N iterations per run (sized to about S seconds, default 1,
 * unless -n is given), R runs (default 5), the median reported as ns/check
 * and checks/s, then a line for bench/run.sh:
 *   RESULT case=NAME rate=CHECKS_PER_S runs=R1,R2,... n=N questions=Q
 * (Q: the DNS questions of the case's first query).
 *
 * Usage:
 *   spf_bench [--zone FILE] [-n N] [--runs R] [--seconds S] [--fresh] [--case NAME]
 *       --fresh: a new evaluator for every timed check (emauth_spf_eval_new
 *       ... emauth_spf_eval_free), so nothing it keeps between checks (its
 *       memory, its small cache of parsed records) helps: the like-for-like
 *       figure beside peers that parse every record again.
 *   spf_bench [--zone FILE] --batch-file OUT N
 *       writes N lines of the reference query in the `emauth spf check
 *       --batch` format (IP<TAB>MAIL-FROM<TAB>HELO) and exits.
 *
 * Exit: 0 done, 1 a check gave an unexpected result, 2 usage or I/O error.
 */
#include <emauth/emauth.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_ZONE "bench/bench.zone"
#define DEFAULT_RUNS 5
#define MAX_RUNS 99

typedef struct bench_query {
    const char *what;
    const char *ip;
    const char *mail_from;
    const char *helo;
    emauth_spf_verdict expect;
} bench_query;

/* The reference query: also what --batch-file writes. */
#define REF_IP "198.51.100.77"
#define REF_FROM "user@example.com"
#define REF_HELO "out.provider.example"
#define REF_DNS_TERMS 8u
#define REF_QUESTIONS 12u

static const bench_query reference_set[] = {
    {"reference: pass at the end of a 3-deep include chain", REF_IP, REF_FROM, REF_HELO,
     EMAUTH_SPF_PASS},
};

static const bench_query trivial_set[] = {
    {"trivial: ip4 pass", "192.0.2.10", "user@example.net", "mail.example.net", EMAUTH_SPF_PASS},
};

static const bench_query mixed_set[] = {
    {"reference pass", REF_IP, REF_FROM, REF_HELO, EMAUTH_SPF_PASS},
    {"trivial ip4 pass", "192.0.2.10", "user@example.net", "mail.example.net", EMAUTH_SPF_PASS},
    {"softfail after the whole chain", "203.0.113.5", "user@example.com", "unknown.example",
     EMAUTH_SPF_SOFTFAIL},
    {"fail with exp= and macros", "203.0.113.9", "alice@billing.example.com", "unknown.example",
     EMAUTH_SPF_FAIL},
    {"none: no SPF record", "192.0.2.10", "bob@legacy.example.com", "legacy.example.com",
     EMAUTH_SPF_NONE},
    {"none: NXDOMAIN", "192.0.2.10", "x@nowhere.example", "nowhere.example", EMAUTH_SPF_NONE},
    {"exists with %{i} %{l1r+-}", "192.0.2.30", "news@lists.example.com", "lists.example.com",
     EMAUTH_SPF_PASS},
    {"redirect= to the provider", REF_IP, "info@newsletter.example.com", REF_HELO,
     EMAUTH_SPF_PASS},
    {"IPv6 ip6 pass", "2001:db8:25::9", "carol@billing.example.com", "mail.example.com",
     EMAUTH_SPF_PASS},
    {"HELO identity (null sender)", "192.0.2.25", "", "mail.example.com", EMAUTH_SPF_PASS},
    {"permerror: two records", "192.0.2.10", "x@twice.example.net", "mail.example.net",
     EMAUTH_SPF_PERMERROR},
    {"neutral: ?all", "203.0.113.7", "y@open.example.net", "mail.example.net",
     EMAUTH_SPF_NEUTRAL},
    {"temperror: DNS timeout", "192.0.2.60", "z@slow.example.net", "slow.example.net",
     EMAUTH_SPF_TEMPERROR},
};

typedef struct bench_case {
    const char *name;
    const bench_query *queries;
    size_t nqueries;
} bench_case;

static const bench_case cases[] = {
    {"reference", reference_set, sizeof reference_set / sizeof reference_set[0]},
    {"trivial", trivial_set, sizeof trivial_set / sizeof trivial_set[0]},
    {"mixed", mixed_set, sizeof mixed_set / sizeof mixed_set[0]},
};
#define NCASES (sizeof cases / sizeof cases[0])

/* A prepared case: the requests built once, reused in the loop. */
typedef struct prepared {
    const bench_case *c;
    emauth_spf_request *reqs;
} prepared;

static volatile unsigned sink; /* keeps the loop from being optimised away */
static double target_ns = 1e9;  /* --seconds: the time of one run */
static int fresh;               /* --fresh: a new evaluator for every check */

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: spf_bench [--zone FILE] [-n N] [--runs R] [--seconds S] [--fresh]\n"
               "                 [--case reference|trivial|mixed]\n"
               "       spf_bench [--zone FILE] --batch-file OUT N\n");
}

static int parse_count(const char *s, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v == 0 || s[0] == '-')
        return -1;
    *out = v;
    return 0;
}

static int write_batch(const char *path, unsigned long n)
{
    FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "spf_bench: %s: %s\n", path, strerror(errno));
        return 2;
    }
    /* The same reference query every line; the local part varies so that
     * nothing downstream can answer a line by remembering the previous one. */
    for (unsigned long i = 0; i < n; i++)
        fprintf(f, "%s\tuser%lu@example.com\t%s\n", REF_IP, i, REF_HELO);
    if (ferror(f) || (f != stdout && fclose(f) != 0)) {
        fprintf(stderr, "spf_bench: %s: write error\n", path);
        return 2;
    }
    if (f == stdout)
        fflush(stdout);
    return 0;
}

static int prepare(const bench_case *c, prepared *p)
{
    p->c = c;
    p->reqs = calloc(c->nqueries, sizeof *p->reqs);
    if (p->reqs == NULL)
        return -1;
    for (size_t i = 0; i < c->nqueries; i++) {
        const bench_query *q = &c->queries[i];
        emauth_spf_request *r = &p->reqs[i];
        emauth_error err;
        if (emauth_ip_parse(q->ip, strlen(q->ip), &r->ip, &err) != EMAUTH_OK) {
            fprintf(stderr, "spf_bench: %s: bad IP %s: %s\n", c->name, q->ip, err.message);
            return -1;
        }
        r->mail_from = q->mail_from;
        r->helo = q->helo;
        r->identity = EMAUTH_SPF_ID_AUTO;
        r->receiver = "mx.bench.example";
        r->now = 1700000000; /* fixed %{t}: no time() call in the loop */
    }
    return 0;
}

static const emauth_spf_result *check_one(emauth_spf_eval *ev, emauth_resolver *res,
                                          const emauth_spf_request *req)
{
    emauth_error err;
    if (emauth_spf_eval_start(ev, req, &err) != EMAUTH_OK) {
        fprintf(stderr, "spf_bench: eval_start: %s\n", err.message);
        return NULL;
    }
    if (emauth_spf_eval_run(ev, res) != EMAUTH_OK) {
        fprintf(stderr, "spf_bench: eval_run failed\n");
        return NULL;
    }
    return emauth_spf_eval_result(ev);
}

/* Runs every query once and checks its verdict (and, for the reference
 * query, the lookup and question counts). Prints the reference trace. */
static int verify(emauth_spf_eval *ev, emauth_resolver *res, const prepared *p, int show_trace)
{
    int bad = 0;
    for (size_t i = 0; i < p->c->nqueries; i++) {
        const bench_query *q = &p->c->queries[i];
        const emauth_spf_result *r = check_one(ev, res, &p->reqs[i]);
        if (r == NULL)
            return -1;
        if (r->verdict != q->expect) {
            fprintf(stderr, "spf_bench: %s: %s: got %s, expected %s (problem: %s)\n",
                    p->c->name, q->what, emauth_spf_verdict_name(r->verdict),
                    emauth_spf_verdict_name(q->expect), r->problem ? r->problem : "-");
            bad = 1;
        }
        int is_ref = strcmp(q->ip, REF_IP) == 0 && strcmp(q->mail_from, REF_FROM) == 0;
        if (is_ref) {
            if (r->dns_lookups != REF_DNS_TERMS || r->trace_count != REF_QUESTIONS) {
                fprintf(stderr,
                        "spf_bench: reference: %u DNS-querying terms and %zu DNS questions, "
                        "expected %u and %u\n",
                        r->dns_lookups, r->trace_count, REF_DNS_TERMS, REF_QUESTIONS);
                bad = 1;
            }
            if (show_trace) {
                printf("reference query: ip=%s mail_from=%s -> %s, mechanism %s, "
                       "%u DNS-querying terms, %zu DNS questions:\n",
                       q->ip, q->mail_from, emauth_spf_verdict_name(r->verdict),
                       r->mechanism ? r->mechanism : "-", r->dns_lookups, r->trace_count);
                for (size_t t = 0; t < r->trace_count; t++) {
                    const emauth_spf_trace *tr = &r->trace[t];
                    const char *tn = emauth_dns_type_name(tr->type);
                    printf("  q%-2zu %-4s %-28s %s (%u)\n", t + 1, tn ? tn : "?", tr->name,
                           emauth_dns_rcode_name(tr->rcode), tr->count);
                }
            }
        }
    }
    return bad ? -1 : 0;
}

/* One timed run of n checks; returns elapsed ns, or a negative value. */
static double timed_run(emauth_spf_eval *ev, emauth_resolver *res, const prepared *p,
                        unsigned long n)
{
    const size_t nq = p->c->nqueries;
    unsigned acc = 0;
    size_t k = 0;
    double t0 = now_ns();
    for (unsigned long i = 0; i < n; i++) {
        emauth_spf_eval *e = ev;
        if (fresh && emauth_spf_eval_new(&e) != EMAUTH_OK)
            return -1.0;
        if (emauth_spf_eval_start(e, &p->reqs[k], NULL) != EMAUTH_OK ||
            emauth_spf_eval_run(e, res) != EMAUTH_OK) {
            if (fresh)
                emauth_spf_eval_free(e);
            return -1.0;
        }
        acc += (unsigned)emauth_spf_eval_result(e)->verdict;
        if (fresh)
            emauth_spf_eval_free(e);
        if (++k == nq)
            k = 0;
    }
    double t1 = now_ns();
    sink += acc;
    return t1 - t0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void print_thousands(char *buf, size_t size, double v)
{
    unsigned long long n = (unsigned long long)(v + 0.5);
    char tmp[32];
    int len = snprintf(tmp, sizeof tmp, "%llu", n);
    size_t o = 0;
    for (int i = 0; i < len && o + 2 < size; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = tmp[i];
    }
    buf[o] = '\0';
}

static int bench_case_run(emauth_spf_eval *ev, emauth_resolver *res, const prepared *p,
                          unsigned long n_arg, int runs)
{
    unsigned long n = n_arg;
    if (n == 0) {
        /* Size N so that one run takes about target_ns. */
        unsigned long probe = 1000;
        for (;;) {
            double el = timed_run(ev, res, p, probe);
            if (el < 0)
                return -1;
            if (el >= target_ns / 5 || probe >= (1ul << 30)) {
                double per = el / (double)probe;
                n = (unsigned long)(target_ns / per);
                if (n < 1)
                    n = 1;
                break;
            }
            probe *= 4;
        }
    } else if (timed_run(ev, res, p, n / 4 > 1000 ? n / 4 : 1000) < 0) { /* warm-up */
        return -1;
    }

    double ns[MAX_RUNS];
    for (int r = 0; r < runs; r++) {
        double el = timed_run(ev, res, p, n);
        if (el < 0)
            return -1;
        ns[r] = el / (double)n;
    }
    double sorted[MAX_RUNS];
    memcpy(sorted, ns, sizeof(double) * (size_t)runs);
    qsort(sorted, (size_t)runs, sizeof(double), cmp_double);
    double med = sorted[runs / 2];

    char rate[32];
    print_thousands(rate, sizeof rate, 1e9 / med);
    printf("%-10s %12s %10.1f %10lu  ", p->c->name, rate, med, n);
    for (int r = 0; r < runs; r++)
        printf("%s%.1f", r ? " " : "", ns[r]);
    printf("\n");
    const emauth_spf_result *first = check_one(ev, res, &p->reqs[0]);
    printf("RESULT case=%s rate=%.1f runs=", p->c->name, 1e9 / med);
    for (int r = 0; r < runs; r++)
        printf("%s%.0f", r ? "," : "", 1e9 / ns[r]);
    printf(" n=%lu questions=%zu\n", n, first ? first->trace_count : (size_t)0);
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    const char *zone_path = DEFAULT_ZONE;
    const char *only = NULL;
    const char *batch_out = NULL;
    unsigned long n = 0, batch_n = 0, runs_ul = DEFAULT_RUNS;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--zone") == 0 && i + 1 < argc) {
            zone_path = argv[++i];
        } else if (strcmp(a, "-n") == 0 && i + 1 < argc) {
            if (parse_count(argv[++i], &n) != 0) {
                fprintf(stderr, "spf_bench: -n wants a positive count\n");
                return 2;
            }
        } else if (strcmp(a, "--runs") == 0 && i + 1 < argc) {
            if (parse_count(argv[++i], &runs_ul) != 0 || runs_ul > MAX_RUNS) {
                fprintf(stderr, "spf_bench: --runs wants 1..%d\n", MAX_RUNS);
                return 2;
            }
        } else if (strcmp(a, "--seconds") == 0 && i + 1 < argc) {
            char *end;
            double sec = strtod(argv[++i], &end);
            if (*end != '\0' || !(sec > 0 && sec <= 600)) {
                fprintf(stderr, "spf_bench: --seconds wants a time in seconds, 0 < S <= 600\n");
                return 2;
            }
            target_ns = sec * 1e9;
        } else if (strcmp(a, "--fresh") == 0) {
            fresh = 1;
        } else if (strcmp(a, "--case") == 0 && i + 1 < argc) {
            only = argv[++i];
        } else if (strcmp(a, "--batch-file") == 0 && i + 2 < argc) {
            batch_out = argv[++i];
            if (parse_count(argv[++i], &batch_n) != 0) {
                fprintf(stderr, "spf_bench: --batch-file OUT N: N must be a positive count\n");
                return 2;
            }
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (batch_out != NULL)
        return write_batch(batch_out, batch_n);

    emauth_zone *zone = emauth_zone_new();
    emauth_spf_eval *ev = NULL;
    prepared preps[NCASES];
    memset(preps, 0, sizeof preps);
    int rc = 2;
    emauth_error err;
    emauth_error_clear(&err);

    if (zone == NULL || emauth_spf_eval_new(&ev) != EMAUTH_OK) {
        fprintf(stderr, "spf_bench: out of memory\n");
        goto out;
    }
    if (emauth_zone_load_file(zone, zone_path, NULL, &err) != EMAUTH_OK) {
        fprintf(stderr, "spf_bench: %s\n", err.message);
        goto out;
    }
    emauth_resolver *res = emauth_zone_resolver(zone);

    for (size_t c = 0; c < NCASES; c++) {
        if (prepare(&cases[c], &preps[c]) != 0)
            goto out;
    }

    printf("spf_bench: zone %s (%zu names); %s; zone resolver, no I/O; 1 thread\n", zone_path,
           emauth_zone_name_count(zone),
           fresh ? "a new evaluator for every check" : "one evaluator reused");
    rc = 1;
    for (size_t c = 0; c < NCASES; c++) {
        if (verify(ev, res, &preps[c], c == 0) != 0)
            goto out;
    }
    printf("all %zu expected verdicts checked; reference: %u terms, %u questions (asserted)\n\n",
           sizeof mixed_set / sizeof mixed_set[0] + 2, REF_DNS_TERMS, REF_QUESTIONS);

    printf("%-10s %12s %10s %10s  %s\n", "case", "checks/s", "ns/check", "N/run",
           "ns/check of each run (median reported)");
    int found = 0;
    for (size_t c = 0; c < NCASES; c++) {
        if (only != NULL && strcmp(only, cases[c].name) != 0)
            continue;
        found = 1;
        if (bench_case_run(ev, res, &preps[c], n, (int)runs_ul) != 0) {
            fprintf(stderr, "spf_bench: %s: a check failed during timing\n", cases[c].name);
            goto out;
        }
    }
    if (!found) {
        fprintf(stderr, "spf_bench: no case named %s\n", only);
        rc = 2;
        goto out;
    }
    rc = 0;
out:
    for (size_t c = 0; c < NCASES; c++)
        free(preps[c].reqs);
    emauth_spf_eval_free(ev);
    emauth_zone_free(zone);
    return rc;
}
