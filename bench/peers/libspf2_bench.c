/*
 * libspf2_bench - libspf2 (Debian libspf2-dev) on the benchmark's SPF cases,
 * in-process, its DNS answered by libspf2's own in-memory zone layer
 * (SPF_dns_zone_new + SPF_dns_zone_add_str) loaded from the records that
 * bench/peers/zone2tsv.awk derives from bench/bench.zone.
 *
 *   libspf2_bench RECORDS IP MAIL-FROM HELO [SECONDS [RUNS]]
 *
 * A thin counting layer sits above the zone layer (the public
 * SPF_dns_server_t interface) so that the DNS questions asked can be shown.
 * One SPF_server_t is reused; each check is what an MTA does per message:
 * SPF_request_new, set IP, HELO and MAIL FROM, SPF_request_query_mailfrom,
 * SPF_response_free, SPF_request_free. The first check must give "pass"
 * (else exit 1); every timed check is checked too.
 *
 * Each run does N checks, N sized so that a run takes about SECONDS
 * (default 1); RUNS runs (default 5); the median is reported:
 *   RESULT rate=CHECKS_PER_S runs=R1,R2,... n=N questions=Q
 * Not linked with emauth: built by bench/run.sh with cc ... -lspf2.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/nameser.h>
#include <netinet/in.h>
#include <spf2/spf.h>
#include <spf2/spf_dns_zone.h>

static unsigned long questions;
static int show_questions;

static SPF_dns_rr_t *count_lookup(SPF_dns_server_t *self, const char *domain, ns_type type,
                                  int should_cache)
{
    questions++;
    if (show_questions)
        printf("  q%-2lu %-4s %s\n", questions,
               type == ns_t_txt ? "TXT" : type == ns_t_a ? "A" : type == ns_t_aaaa ? "AAAA"
               : type == ns_t_mx ? "MX" : type == ns_t_ptr ? "PTR" : type == 99 ? "SPF" : "?",
               domain);
    return SPF_dns_lookup(self->layer_below, domain, type, should_cache);
}

static int load(SPF_dns_server_t *zone, const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "libspf2_bench: %s: %s\n", path, strerror(errno));
        return -1;
    }
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        char *owner = line, *type = strchr(owner, '\t'), *data;
        if (type == NULL || (data = strchr(type + 1, '\t')) == NULL)
            continue;
        *type++ = '\0';
        *data++ = '\0';
        ns_type t;
        if (strcmp(type, "A") == 0)
            t = ns_t_a;
        else if (strcmp(type, "AAAA") == 0)
            t = ns_t_aaaa;
        else if (strcmp(type, "TXT") == 0)
            t = ns_t_txt;
        else if (strcmp(type, "MX") == 0) {
            t = ns_t_mx;
            char *sp = strchr(data, ' ');   /* the zone layer takes the exchange only */
            if (sp != NULL)
                data = sp + 1;
        } else
            continue;
        if (SPF_dns_zone_add_str(zone, owner, t, NETDB_SUCCESS, data) != SPF_E_SUCCESS) {
            fprintf(stderr, "libspf2_bench: cannot add %s %s %s\n", owner, type, data);
            fclose(f);
            return -1;
        }
        n++;
    }
    fclose(f);
    return n;
}

static const char *ip, *mail_from, *helo;

/* One check; the SPF result, or -1 on an API error. */
static int check(SPF_server_t *server)
{
    SPF_request_t *req = SPF_request_new(server);
    SPF_response_t *resp = NULL;
    int rc = -1;
    if (req == NULL)
        return -1;
    if ((strchr(ip, ':') ? SPF_request_set_ipv6_str(req, ip) : SPF_request_set_ipv4_str(req, ip)) ==
            SPF_E_SUCCESS &&
        SPF_request_set_helo_dom(req, helo) == SPF_E_SUCCESS &&
        SPF_request_set_env_from(req, mail_from) == 0) {
        SPF_request_query_mailfrom(req, &resp);
        if (resp != NULL)
            rc = (int)SPF_response_result(resp);
    }
    if (resp != NULL)
        SPF_response_free(resp);
    SPF_request_free(req);
    return rc;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Seconds for n checks, or -1 when one does not pass. */
static double timed(SPF_server_t *server, unsigned long n)
{
    double t0 = now_s();
    for (unsigned long i = 0; i < n; i++)
        if (check(server) != SPF_RESULT_PASS)
            return -1;
    return now_s() - t0;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: libspf2_bench RECORDS IP MAIL-FROM HELO [SECONDS [RUNS]]\n");
        return 2;
    }
    ip = argv[2];
    mail_from = argv[3];
    helo = argv[4];
    double seconds = argc > 5 ? atof(argv[5]) : 1.0;
    int runs = argc > 6 ? atoi(argv[6]) : 5;
    if (seconds <= 0 || runs < 1 || runs > 99) {
        fprintf(stderr, "libspf2_bench: bad SECONDS or RUNS\n");
        return 2;
    }

    SPF_dns_server_t *zone = SPF_dns_zone_new(NULL, "bench", 0);
    if (zone == NULL)
        return 2;
    int nrec = load(zone, argv[1]);
    if (nrec < 0)
        return 2;
    SPF_dns_server_t counter;
    memset(&counter, 0, sizeof counter);
    counter.lookup = count_lookup;
    counter.layer_below = zone;
    counter.name = "count";
    SPF_server_t *server = SPF_server_new_dns(&counter, 0);
    if (server == NULL)
        return 2;

    printf("libspf2 %d.%d.%d: %d records in its zone layer; questions of the first check:\n",
           SPF_LIB_VERSION_MAJOR, SPF_LIB_VERSION_MINOR, SPF_LIB_VERSION_PATCH, nrec);
    show_questions = 1;
    int r = check(server);
    show_questions = 0;
    unsigned long q = questions;
    printf("ip=%s mail_from=%s -> %s, %lu DNS questions\n", ip, mail_from,
           r < 0 ? "error" : SPF_strresult((SPF_result_t)r), q);
    if (r != SPF_RESULT_PASS) {
        fprintf(stderr, "libspf2_bench: expected pass\n");
        return 1;
    }

    /* Size N: double until a run takes a quarter of the target. */
    unsigned long n = 16;
    for (;;) {
        double el = timed(server, n);
        if (el < 0)
            return 1;
        if (el >= seconds / 4 || n >= (1ul << 30)) {
            n = (unsigned long)((double)n * seconds / (el > 1e-9 ? el : 1e-9));
            if (n < 1)
                n = 1;
            break;
        }
        n *= 2;
    }
    double rate[99], sorted[99];
    for (int i = 0; i < runs; i++) {
        double el = timed(server, n);
        if (el < 0) {
            fprintf(stderr, "libspf2_bench: a timed check did not pass\n");
            return 1;
        }
        rate[i] = (double)n / el;
        printf("  run %d: %lu checks in %.3f s = %.0f checks/s\n", i + 1, n, el, rate[i]);
    }
    memcpy(sorted, rate, sizeof(double) * (size_t)runs);
    qsort(sorted, (size_t)runs, sizeof sorted[0], cmp);
    printf("RESULT rate=%.1f runs=", sorted[runs / 2]);
    for (int i = 0; i < runs; i++)
        printf("%s%.0f", i ? "," : "", rate[i]);
    printf(" n=%lu questions=%lu\n", n, q);
    SPF_server_free(server);
    SPF_dns_free(zone);
    return 0;
}
