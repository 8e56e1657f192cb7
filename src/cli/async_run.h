/*
 * What the commands that run many checks on the async engine share: one
 * round of waiting on its sockets, the progress line, the --stats lines.
 */
#ifndef EMAUTH_CLI_ASYNC_RUN_H
#define EMAUTH_CLI_ASYNC_RUN_H

#include <emauth/emauth.h>

#define CLI_PROGRESS_EVERY_MS 250

typedef struct cli_progress {
    int on;              /* wanted, and stderr is a terminal */
    double start, last;  /* milliseconds, monotonic */
} cli_progress;

/* Starts the clock; the line is shown only when wanted and stderr is a terminal. */
void cli_progress_init(cli_progress *p, int wanted);

/*
 * "\rN checked, R/s[, ETA S s]" on stderr, at most every CLI_PROGRESS_EVERY_MS
 * (always when last, which ends the line). fraction is how much of the input
 * has been read (0..1), or negative when unknown: then no ETA.
 */
void cli_progress_show(cli_progress *p, unsigned long done, double fraction, int last);

/* One round: poll the engine's sockets (no longer than the progress interval
 * when the line is on) and handle what came. */
void cli_async_wait(emauth_async *as, const cli_progress *p);

/* The --stats lines on stderr: counters, then latency percentiles. */
void cli_async_print_stats(const emauth_async *as);

#endif
