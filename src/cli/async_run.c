/* Waiting on the async engine, progress and statistics; see async_run.h. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "cli/async_run.h"
#include "cli/output.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

void cli_progress_init(cli_progress *p, int wanted)
{
    p->on = wanted && isatty(STDERR_FILENO);
    p->start = now_ms();
    p->last = 0;
}

void cli_progress_show(cli_progress *p, unsigned long done, double fraction, int last)
{
    double t = now_ms();
    if (!p->on || (!last && t - p->last < CLI_PROGRESS_EVERY_MS))
        return;
    p->last = t;
    double secs = (t - p->start) / 1000.0;
    double rate = secs > 0 ? (double)done / secs : 0;
    fprintf(stderr, "\r%lu checked, %.0f/s", done, rate);
    if (!last && fraction > 0 && fraction < 1)
        fprintf(stderr, ", ETA %.0f s", secs * (1 - fraction) / fraction);
    fputs(last ? "\n" : "\033[K", stderr);
}

void cli_async_wait(emauth_async *as, const cli_progress *p)
{
    struct pollfd fds[64];
    size_t n = emauth_async_pollfds(as, fds, 64);
    if (n > 64)
        n = 64;
    int timeout = emauth_async_timeout(as);
    if (p->on && (timeout < 0 || timeout > CLI_PROGRESS_EVERY_MS))
        timeout = CLI_PROGRESS_EVERY_MS;
    if (poll(fds, n, timeout) < 0 && errno != EINTR)
        return;
    emauth_async_process(as, fds, n);
}

void cli_async_print_stats(const emauth_async *as)
{
    emauth_dns_stats s;
    emauth_async_stats(as, &s);
    cli_errorf("dns: %llu questions, %llu from the cache, %llu joined a query in flight, "
               "%llu queries sent, %llu timeouts, %llu failures",
               (unsigned long long)s.questions, (unsigned long long)s.cache_hits,
               (unsigned long long)s.joined, (unsigned long long)s.queries,
               (unsigned long long)s.timeouts, (unsigned long long)s.failures);
    cli_errorf("dns: latency p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms",
               s.latency_ms_p50, s.latency_ms_p90, s.latency_ms_p99, s.latency_ms_max);
}
