/*
 * `emauth spf check` over live DNS: every check goes through the async
 * engine, up to --concurrency in flight on one c-ares channel with a
 * shared answer cache. Results are formatted as they complete, into the
 * slot of their input line, and written strictly in input order.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/async_run.h"
#include "cli/spf_check.h"
#include "util/error.h"

#define SLOTS_PER_CHECK 4   /* room for finished results behind a slow one */

typedef enum { SLOT_FREE, SLOT_WAITING, SLOT_DONE } slot_state;

/* One input line from reading to writing. */
typedef struct live_slot {
    slot_state state;
    char *line;                 /* owned copy, split in place into q */
    size_t cap;
    spf_query q;
    emauth_spf_request req;     /* its strings point into line */
    cli_out out;                /* the formatted result */
    struct live_run *run;
} live_slot;

typedef struct live_run {
    const spf_opts *opt;
    spf_worker w;               /* output helpers: out, scratch, why, bad */
    emauth_async *as;
    live_slot *slots;
    size_t nslots;
    unsigned long next_seq;     /* the next query read */
    unsigned long next_write;   /* the next result to write */
    FILE *in;                   /* the batch, or NULL for the single --ip query */
    int input_done, read_error, write_error;
    unsigned long lineno;
    off_t in_size;              /* for the ETA, when the batch is a file */
    cli_progress progress;
} live_run;

static void on_result(void *arg, const emauth_spf_result *res)
{
    live_slot *s = arg;
    s->run->w.out = &s->out;
    spf_emit(&s->run->w, &s->q, &s->req, res, NULL);
    s->state = SLOT_DONE;
}

/* A query that could not be checked: an error result in a batch, a message for --ip. */
static void slot_error(live_run *r, live_slot *s, const char *why)
{
    r->w.bad++;
    s->state = SLOT_DONE;
    if (r->in == NULL) {
        cli_errorf("%s", why);
        return;
    }
    r->w.out = &s->out;
    spf_emit(&r->w, &s->q, NULL, NULL, why);
}

/* Reads the next query into s; 0 when there is none (or only skipped lines). */
static int read_query(live_run *r, live_slot *s, const char **why)
{
    static const char empty[] = "";
    *why = NULL;
    if (r->in == NULL) {   /* the single query from the options */
        const char *mf = r->opt->mail_from ? r->opt->mail_from : "";
        const char *helo = r->opt->helo ? r->opt->helo : "";
        s->q = (spf_query){0, r->opt->ip, mf, helo, strlen(r->opt->ip), strlen(mf), strlen(helo)};
        r->input_done = 1;
        return 1;
    }
    for (;;) {
        ssize_t n = getline(&s->line, &s->cap, r->in);
        if (n < 0) {
            r->read_error = ferror(r->in) != 0;
            r->input_done = 1;
            return 0;
        }
        r->lineno++;
        size_t len = (size_t)n;
        if (len > 0 && s->line[len - 1] == '\n')
            len--;
        if (len > 0 && s->line[len - 1] == '\r')
            len--;
        if (len == 0 || s->line[0] == '#')
            continue;
        s->q = (spf_query){r->lineno, empty, empty, empty, 0, 0, 0};
        *why = spf_split_line(s->line, len, &s->q);
        return 1;
    }
}

/* Reads and submits queries while there is room; results may come at once. */
static void submit_more(live_run *r)
{
    while (!r->input_done && emauth_async_in_flight(r->as) < r->opt->concurrency) {
        live_slot *s = &r->slots[r->next_seq % r->nslots];
        if (s->state != SLOT_FREE)
            return;   /* the oldest result is not written yet */
        const char *why;
        if (!read_query(r, s, &why))
            return;
        r->next_seq++;
        s->run = r;
        s->state = SLOT_WAITING;
        if (why != NULL) {
            slot_error(r, s, spf_say(&r->w, &s->q, "%s", why));
            continue;
        }
        why = spf_build_request(&r->w, &s->q, &s->req);
        emauth_error err;
        emauth_error_clear(&err);
        if (why == NULL && emauth_async_spf(r->as, &s->req, on_result, s, &err) != EMAUTH_OK)
            why = spf_say(&r->w, &s->q, "%s", err.message);
        if (why != NULL)
            slot_error(r, s, why);
    }
}

/* Writes the finished results that are next in input order. */
static void write_ready(live_run *r)
{
    while (r->next_write < r->next_seq) {
        live_slot *s = &r->slots[r->next_write % r->nslots];
        if (s->state != SLOT_DONE)
            return;
        r->write_error |= cli_out_flush(&s->out) != 0;
        s->state = SLOT_FREE;
        r->next_write++;
    }
}

/* How much of the batch file has been read, or -1 when unknown (no ETA). */
static double input_read(live_run *r)
{
    if (r->in == NULL || r->in_size <= 0 || r->input_done)
        return -1;
    off_t at = ftello(r->in);
    return at > 0 ? (double)at / (double)r->in_size : -1;
}

static int open_input(live_run *r)
{
    const char *path = r->opt->batch;
    if (path == NULL)
        return 0;
    r->in = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (r->in == NULL) {
        cli_errorf("cannot open batch file %s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fileno(r->in), &st) == 0 && S_ISREG(st.st_mode))
        r->in_size = st.st_size;
    return 0;
}

static int make_engine(live_run *r)
{
    emauth_dns_options o;
    emauth_dns_options_default(&o);
    o.nameservers = r->opt->nameservers;
    o.nameserver_count = r->opt->nnameservers;
    o.timeout_ms = r->opt->timeout_ms;
    o.tries = r->opt->tries;
    if (r->opt->no_cache)
        o.cache_entries = 0;
    emauth_error err;
    emauth_error_clear(&err);
    if (emauth_async_new(&o, &r->as, &err) != EMAUTH_OK) {
        cli_errorf("%s", err.message);
        return -1;
    }
    r->nslots = (size_t)r->opt->concurrency * SLOTS_PER_CHECK;
    r->slots = calloc(r->nslots, sizeof *r->slots);
    if (r->slots == NULL) {
        cli_errorf("out of memory");
        return -1;
    }
    for (size_t i = 0; i < r->nslots; i++)
        cli_out_init(&r->slots[i].out, stdout);
    return 0;
}

static void free_run(live_run *r)
{
    emauth_async_free(r->as);
    for (size_t i = 0; r->slots != NULL && i < r->nslots; i++) {
        cli_out_free(&r->slots[i].out);
        free(r->slots[i].line);
    }
    free(r->slots);
    if (r->in != NULL && r->in != stdin)
        fclose(r->in);
    spf_worker_free(&r->w);
}

static int exit_code(const live_run *r)
{
    if (r->read_error) {
        cli_errorf("error reading batch file %s", r->opt->batch);
        return CLI_EXIT_USAGE;
    }
    if (r->write_error) {
        cli_errorf("error writing the results");
        return CLI_EXIT_USAGE;
    }
    if (r->w.bad > 0 && r->in != NULL)
        cli_errorf("%lu batch line%s could not be checked", r->w.bad, r->w.bad == 1 ? "" : "s");
    return r->w.bad > 0 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
}

int spf_run_live(const spf_opts *opt)
{
    live_run r;
    memset(&r, 0, sizeof r);
    r.opt = opt;
    spf_worker_init(&r.w, opt);
    cli_progress_init(&r.progress, opt->batch != NULL);
    if (ea_buf_reserve(&r.w.scratch, 1024) != 0 || open_input(&r) != 0 || make_engine(&r) != 0) {
        free_run(&r);
        return CLI_EXIT_USAGE;
    }
    while (!r.input_done || r.next_write < r.next_seq) {
        submit_more(&r);
        write_ready(&r);
        cli_progress_show(&r.progress, r.next_write, input_read(&r), 0);
        if (emauth_async_in_flight(r.as) > 0)
            cli_async_wait(r.as, &r.progress);
    }
    cli_progress_show(&r.progress, r.next_write, 1, 1);
    if (opt->stats)
        cli_async_print_stats(r.as);
    int rc = exit_code(&r);
    free_run(&r);
    return rc;
}
