/*
 * `emauth spf check` over live DNS (NSD on loopback) gives the same results
 * as over the same data from a zone file, at any concurrency, with or
 * without the cache; --stats shows that shared questions go out once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "nsd.h"

static test_nsd nsd;
static char zone_path[512], queries_path[512];
static const char *bin;

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, len = 0;
    char *s = malloc(cap);
    size_t n;
    while (s != NULL && (n = fread(s + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len < 2) {
            char *t = realloc(s, cap *= 2);
            if (t == NULL) {
                free(s);
                s = NULL;
            }
            s = t;
        }
    }
    fclose(f);
    if (s != NULL)
        s[len] = '\0';
    return s;
}

static int setup(void **state)
{
    (void)state;
    const char *data = getenv("EMAUTH_DATA");
    bin = getenv("EMAUTH_BIN");
    if (data == NULL || bin == NULL) {
        fprintf(stderr, "EMAUTH_DATA and EMAUTH_BIN must be set\n");
        return -1;
    }
    snprintf(zone_path, sizeof zone_path, "%s/live/world.zone", data);
    snprintf(queries_path, sizeof queries_path, "%s/live/queries.tsv", data);
    char *text = slurp(zone_path);
    if (text == NULL)
        return -1;
    test_zone_spec zones[] = {{".", text}};
    int rc = test_nsd_start(&nsd, zones, 1);
    free(text);
    return rc;
}

static int teardown(void **state)
{
    (void)state;
    test_nsd_stop(&nsd);
    return 0;
}

typedef struct ran {
    char *out, *err;
    int status;
} ran;

/* Runs emauth with args (a shell fragment); captures stdout, stderr and the exit code. */
static ran run(const char *fmt, ...)
{
    char args[1024], cmd[2048], errpath[] = "/tmp/emauth-cli-live-XXXXXX";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    int fd = mkstemp(errpath);
    assert_true(fd >= 0);
    close(fd);
    snprintf(cmd, sizeof cmd, "'%s' %s 2>%s", bin, args, errpath);
    ran r = {NULL, NULL, -1};
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t cap = 1 << 16, len = 0, n;
    r.out = malloc(cap);
    while ((n = fread(r.out + len, 1, cap - len - 1, p)) > 0) {
        len += n;
        if (cap - len < 2)
            r.out = realloc(r.out, cap *= 2);
    }
    r.out[len] = '\0';
    int st = pclose(p);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    r.err = slurp(errpath);
    unlink(errpath);
    return r;
}

static void ran_free(ran *r)
{
    free(r->out);
    free(r->err);
}

static void test_same_as_zone(void **state)
{
    (void)state;
    ran z = run("spf check --zone %s --batch %s --json --receiver mx.test", zone_path, queries_path);
    assert_int_equal(z.status, 2);   /* the bad-ip line */
    assert_non_null(strstr(z.out, "\"result\":\"pass\""));
    static const char *const variants[] = {"--concurrency 1", "--concurrency 200",
                                           "--concurrency 3 --no-cache"};
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
        ran l = run("spf check --nameserver %s --batch %s --json --receiver mx.test %s",
                    nsd.server, queries_path, variants[i]);
        if (strcmp(z.out, l.out) != 0)
            fail_msg("%s: live output differs from --zone:\n--- zone\n%s--- live\n%s", variants[i],
                     z.out, l.out);
        assert_int_equal(l.status, z.status);
        assert_non_null(strstr(l.err, "1 batch line could not be checked"));
        ran_free(&l);
    }
    ran_free(&z);
}

static void test_single_query(void **state)
{
    (void)state;
    const char *q = "--ip 203.0.113.200 --mail-from noreply@shop.example.net --helo relay.mailer.example"
                    " --header --receiver mx.test";
    ran z = run("spf check --zone %s %s", zone_path, q);
    ran l = run("spf check --nameserver %s %s", nsd.server, q);
    assert_int_equal(z.status, 0);
    assert_int_equal(l.status, 0);
    assert_string_equal(z.out, l.out);
    assert_non_null(strstr(l.out, "pass: 203.0.113.200 is authorized"));
    assert_non_null(strstr(l.out, "Received-SPF: pass"));
    ran_free(&z);
    ran_free(&l);
}

/* Many checks of customers of one provider: its records are asked for once. */
static void test_stats_and_sharing(void **state)
{
    (void)state;
    char path[] = "/tmp/emauth-cli-batch-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    for (int i = 0; i < 1000; i++)
        fprintf(f, "198.51.100.%d\tuser%d@%s\thelo.example\n", i % 250 + 1, i,
                i % 2 ? "shop.example.net" : "example.com");
    fclose(f);
    ran l = run("spf check --nameserver %s --batch %s --json --stats", nsd.server, path);
    assert_int_equal(l.status, 0);
    unsigned long questions = 0, hits = 0, joined = 0, sent = 0;
    const char *s = strstr(l.err, "dns: ");
    assert_non_null(s);
    assert_int_equal(sscanf(s, "dns: %lu questions, %lu from the cache, %lu joined a query "
                               "in flight, %lu queries sent", &questions, &hits, &joined, &sent), 4);
    assert_true(questions >= 4000);
    assert_true(sent <= 10);   /* every distinct question once */
    assert_int_equal(hits + joined + sent, questions);
    assert_non_null(strstr(l.err, "latency p50"));
    ran_free(&l);

    l = run("spf check --nameserver %s --batch %s --json --stats --no-cache --concurrency 50",
            nsd.server, path);
    assert_int_equal(l.status, 0);
    s = strstr(l.err, "dns: ");
    assert_int_equal(sscanf(s, "dns: %lu questions, %lu from the cache, %lu joined a query "
                               "in flight, %lu queries sent", &questions, &hits, &joined, &sent), 4);
    assert_int_equal(sent, questions);
    ran_free(&l);
    unlink(path);
}

static void test_unanswered_server(void **state)
{
    (void)state;
    int port;
    int fd = test_black_hole(&port);
    assert_true(fd >= 0);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    ran l = run("spf check --nameserver 127.0.0.1:%d --timeout 300 --tries 1 --ip 192.0.2.1 "
                "--mail-from x@example.com --json", port);
    clock_gettime(CLOCK_MONOTONIC, &b);
    assert_int_equal(l.status, 0);
    assert_non_null(strstr(l.out, "\"result\":\"temperror\""));
    assert_non_null(strstr(l.out, "timeout"));
    assert_true(b.tv_sec - a.tv_sec < 3);
    ran_free(&l);
    close(fd);
}

static void test_live_usage_errors(void **state)
{
    (void)state;
    ran l = run("spf check --nameserver 300.1.1.1 --ip 192.0.2.1");
    assert_int_equal(l.status, 2);
    assert_non_null(strstr(l.err, "bad name server \"300.1.1.1\""));
    ran_free(&l);
    l = run("spf check --zone %s --nameserver %s --ip 192.0.2.1", zone_path, nsd.server);
    assert_int_equal(l.status, 2);
    assert_non_null(strstr(l.err, "exclude each other"));
    ran_free(&l);
    l = run("spf check --nameserver %s --concurrency 0 --ip 192.0.2.1", nsd.server);
    assert_int_equal(l.status, 2);
    assert_non_null(strstr(l.err, "--concurrency takes a whole number"));
    ran_free(&l);
}

int main(void)
{
    if (!test_nsd_available()) {
        printf("SKIP: nsd is not installed (apt-get install nsd)\n");
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_as_zone),      cmocka_unit_test(test_single_query),
        cmocka_unit_test(test_stats_and_sharing), cmocka_unit_test(test_unanswered_server),
        cmocka_unit_test(test_live_usage_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
