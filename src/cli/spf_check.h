/*
 * Private to `emauth spf check`: the options, a query, a worker (one
 * evaluator and its output), and the pieces the command's modules share:
 * spf.c (options, single checks), spf_batch.c (batches over a zone, on
 * threads), spf_live.c (live DNS, many checks in flight), spf_emit.c
 * (text and JSON output).
 */
#ifndef EMAUTH_CLI_SPF_CHECK_H
#define EMAUTH_CLI_SPF_CHECK_H

#include <emauth/emauth.h>
#include "cli/cli.h"
#include "cli/output.h"
#include "util/buf.h"

typedef struct spf_opts {
    const char *ip, *mail_from, *helo, *receiver, *batch, *default_exp;
    const char **zones;       /* every --zone, in order */
    size_t nzones;
    const char **nameservers; /* every --nameserver: live DNS when there is no --zone */
    size_t nnameservers;
    unsigned timeout_ms, tries, concurrency;
    int json, header, trace, stats, no_cache;
    char hostname[256];       /* the default receiver */
} spf_opts;

/* One query: a batch line split in place, or the --ip/--mail-from/--helo values. */
typedef struct spf_query {
    unsigned long line;       /* 1-based batch line; 0 for a single query */
    const char *ip, *mail_from, *helo;
    size_t ip_len, mail_from_len, helo_len;
} spf_query;

/*
 * What one thread needs to check queries: its own evaluator. The zone is
 * loaded once and only read, so every worker shares it.
 */
typedef struct spf_worker {
    const spf_opts *opt;
    emauth_zone *zone;        /* shared; owned by the first worker */
    int owns_zone;
    emauth_spf_eval *ev;
    cli_out *out;             /* where results go (a batch block's output) */
    ea_buf scratch;           /* header fields are formatted here */
    unsigned long bad;        /* lines that could not be checked */
    int ready;                /* worker_setup() succeeded */
    int broken;               /* worker_setup() failed: why says why */
    char why[EMAUTH_ERROR_MAX + 96];
} spf_worker;

void spf_worker_init(spf_worker *w, const spf_opts *opt);
/* Makes w's evaluator; on failure w->why says why. */
int spf_worker_setup(spf_worker *w);
void spf_worker_free(spf_worker *w);

/* Sets w->why to the message for q, prefixed "line N: " in a batch; returns it. */
const char *spf_say(spf_worker *w, const spf_query *q, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Fills req from q (the IP parsed); NULL, or why q cannot be checked. */
const char *spf_build_request(spf_worker *w, const spf_query *q, emauth_spf_request *req);

/* Checks q over w's zone: NULL when a verdict was computed (in w->ev), else why not. */
const char *spf_evaluate(spf_worker *w, const spf_query *q, emauth_spf_request *req);

/* Writes one result (or, with res NULL, the error) to w->out. */
void spf_emit(spf_worker *w, const spf_query *q, const emauth_spf_request *req,
              const emauth_spf_result *res, const char *error);

/* Splits a batch line (without its newline) in place at tabs; NULL or why not a query. */
const char *spf_split_line(char *line, size_t len, spf_query *q);

/*
 * --receiver checked (a host name), or this host's name when absent
 * ("unknown" when it has none); CLI_EXIT_OK or after a usage error.
 */
int spf_set_receiver(const cli_command *cmd, spf_opts *opt);

/* A batch over the zone of w0 (set up); returns the exit code. */
int spf_run_batch(const spf_opts *opt, spf_worker *w0);

/* Checks over live DNS: the batch, or the one --ip query; returns the exit code. */
int spf_run_live(const spf_opts *opt);

#endif
