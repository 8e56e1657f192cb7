/*
 * Batches over a zone, built for throughput: input is read in blocks of
 * whole lines with fread, each line is split in place (no allocation per
 * line), one emauth_spf_eval per worker is reused for every line, and
 * output is escaped by hand into a large buffer written in big chunks.
 * Blocks are spread over a few threads, each with its own evaluator (the
 * zone is shared: queries only read it), and written in input order.
 */
#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/spf_check.h"
#include "util/error.h"

/* Input is handed to workers in blocks of about this many bytes of whole lines. */
#define BLOCK_BYTES (256u * 1024)
/* At most this many threads check a batch, each with its own evaluator. */
#define MAX_WORKERS 4

/* ---- Workers ------------------------------------------------------------------ */

int spf_worker_setup(spf_worker *w)
{
    if (w->ready || w->broken)
        return w->ready ? 0 : -1;
    if (emauth_spf_eval_new(&w->ev) != EMAUTH_OK || ea_buf_reserve(&w->scratch, 1024) != 0) {
        snprintf(w->why, sizeof w->why, "out of memory");
        w->broken = 1;
        return -1;
    }
    w->ready = 1;
    return 0;
}

void spf_worker_init(spf_worker *w, const spf_opts *opt)
{
    memset(w, 0, sizeof *w);
    w->opt = opt;
    ea_buf_init(&w->scratch);
}

void spf_worker_free(spf_worker *w)
{
    emauth_spf_eval_free(w->ev);
    if (w->owns_zone)
        emauth_zone_free(w->zone);
    ea_buf_free(&w->scratch);
}

/* ---- Evaluation ---------------------------------------------------------------- */

const char *spf_say(spf_worker *w, const spf_query *q, const char *fmt, ...)
{
    size_t n = 0;
    if (q->line != 0)
        n = (size_t)snprintf(w->why, sizeof w->why, "line %lu: ", q->line);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->why + n, sizeof w->why - n, fmt, ap);
    va_end(ap);
    return w->why;
}

const char *spf_build_request(spf_worker *w, const spf_query *q, emauth_spf_request *req)
{
    emauth_error err;
    emauth_error_clear(&err);
    memset(req, 0, sizeof *req);
    if (emauth_ip_parse(q->ip, q->ip_len, &req->ip, &err) != EMAUTH_OK) {
        char shown[80];
        return spf_say(w, q, "bad IP address \"%s\"",
                       ea_quote(shown, sizeof shown, q->ip, q->ip_len, 60));
    }
    req->mail_from = q->mail_from;
    req->helo = q->helo_len > 0 ? q->helo : NULL;
    req->identity = EMAUTH_SPF_ID_AUTO;
    req->receiver = w->opt->receiver;
    req->default_explanation = w->opt->default_exp;
    return NULL;
}

const char *spf_evaluate(spf_worker *w, const spf_query *q, emauth_spf_request *req)
{
    const char *why = spf_build_request(w, q, req);
    if (why != NULL)
        return why;
    emauth_error err;
    emauth_error_clear(&err);
    emauth_status st = emauth_spf_eval_start(w->ev, req, &err);
    if (st != EMAUTH_OK)
        return spf_say(w, q, "%s", err.message[0] ? err.message : emauth_status_str(st));
    st = emauth_spf_eval_run(w->ev, emauth_zone_resolver(w->zone));
    if (st != EMAUTH_OK || emauth_spf_eval_result(w->ev) == NULL)
        return spf_say(w, q, "evaluation failed: %s", emauth_status_str(st));
    return NULL;
}

/* ---- Batch ------------------------------------------------------------------------ */

/*
 * Splits a line (without its newline) in place at tabs into q. Returns
 * NULL, or why the line cannot be a query.
 */
const char *spf_split_line(char *line, size_t len, spf_query *q)
{
    const char **field[3] = {&q->ip, &q->mail_from, &q->helo};
    size_t *field_len[3] = {&q->ip_len, &q->mail_from_len, &q->helo_len};
    int has_nul = memchr(line, '\0', len) != NULL;   /* before we write any */
    char *p = line, *end = line + len, *tab = NULL;
    /* A field cut short is terminated at *end: the newline, CR or buffer NUL. */
    for (int i = 0; i < 3; i++) {
        tab = memchr(p, '\t', (size_t)(end - p));
        char *stop = tab != NULL ? tab : end;
        *field[i] = p;
        *field_len[i] = (size_t)(stop - p);
        *stop = '\0';
        p = tab != NULL ? tab + 1 : end;
    }
    if (tab != NULL)
        return "more than three tab-separated fields";
    return has_nul ? "NUL byte in the line" : NULL;
}

/* Checks one batch line and writes its result. */
static void process_line(spf_worker *w, char *line, size_t len, unsigned long lineno)
{
    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (len == 0 || line[0] == '#')
        return;
    static const char empty[] = "";
    spf_query q = {lineno, empty, empty, empty, 0, 0, 0};
    emauth_spf_request req;
    const char *why = spf_split_line(line, len, &q);
    if (why != NULL)
        why = spf_say(w, &q, "%s", why);
    else
        why = spf_evaluate(w, &q, &req);
    if (why != NULL) {
        w->bad++;
        spf_emit(w, &q, NULL, NULL, why);
    } else {
        spf_emit(w, &q, &req, emauth_spf_eval_result(w->ev), NULL);
    }
}

/*
 * The batch is cut into blocks of whole lines that go round a ring of
 * SLOTS: the main thread reads blocks ahead into free slots, any worker
 * (the main thread included) checks the oldest unchecked block, and the
 * main thread writes finished blocks in input order. A helper that is slow
 * to load its zone never holds the others up: the main thread checks
 * blocks itself until the helper takes one.
 */
#define SLOTS (2 * MAX_WORKERS)

typedef enum { SLOT_FREE, SLOT_READY, SLOT_BUSY, SLOT_DONE } slot_state;

typedef struct batch_slot {
    ea_buf in;                /* whole lines */
    unsigned long first_line; /* the number of its first line */
    cli_out out;              /* their results */
    slot_state state;
} batch_slot;

typedef struct batch_reader {
    FILE *fp;
    ea_buf carry;             /* the start of a line cut by the last block */
    int eof;
    unsigned long next_line;
} batch_reader;

typedef struct batch {
    pthread_mutex_t lock;
    pthread_cond_t changed;   /* a block became ready or done, or the input ended */
    batch_slot slot[SLOTS];   /* block number n lives in slot[n % SLOTS] */
    unsigned long head;       /* the oldest block not written yet */
    unsigned long take;       /* the next block to check */
    unsigned long tail;       /* the next block to read */
    int input_done;
    int read_error;
    batch_reader reader;
} batch;

typedef struct batch_helper {
    batch *b;
    spf_worker w;
    pthread_t tid;
    int started;
} batch_helper;

/* Checks every line of a block, in order, into the block's output. */
static void process_block(spf_worker *w, batch_slot *s)
{
    char *p = s->in.data, *end = s->in.data + s->in.len;
    unsigned long lineno = s->first_line;
    w->out = &s->out;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *stop = nl != NULL ? nl : end;
        process_line(w, p, (size_t)(stop - p), lineno++);
        p = stop + 1;
    }
}

/* Takes the next unchecked block and checks it; called and returns with the lock held. */
static void check_next_block(batch *b, spf_worker *w)
{
    batch_slot *s = &b->slot[b->take++ % SLOTS];
    s->state = SLOT_BUSY;
    pthread_mutex_unlock(&b->lock);
    process_block(w, s);
    pthread_mutex_lock(&b->lock);
    s->state = SLOT_DONE;
    pthread_cond_broadcast(&b->changed);
}

static void *helper_main(void *arg)
{
    batch_helper *h = arg;
    batch *b = h->b;
    if (spf_worker_setup(&h->w) != 0)
        return NULL;   /* the main thread copes without this helper */
    pthread_mutex_lock(&b->lock);
    for (;;) {
        while (b->take == b->tail && !b->input_done)
            pthread_cond_wait(&b->changed, &b->lock);
        if (b->take == b->tail)
            break;
        check_next_block(b, &h->w);
    }
    pthread_mutex_unlock(&b->lock);
    return NULL;
}

static unsigned long count_lines(const char *s, size_t len)
{
    unsigned long n = 0;
    const char *end = s + len, *nl;
    while (s < end && (nl = memchr(s, '\n', (size_t)(end - s))) != NULL) {
        n++;
        s = nl + 1;
    }
    return n + (s < end);
}

/*
 * Fills b with whole lines: about BLOCK_BYTES, more when one line is
 * longer. Returns 1 with data, 0 at the end of input, -1 on a read error
 * or out of memory.
 */
static int read_block(batch_reader *r, ea_buf *b)
{
    b->len = 0;
    if (ea_buf_append(b, r->carry.data, r->carry.len) != 0)
        return -1;
    r->carry.len = 0;
    while (!r->eof) {
        if (ea_buf_reserve(b, BLOCK_BYTES) != 0)
            return -1;
        size_t got = fread(b->data + b->len, 1, BLOCK_BYTES, r->fp);
        b->len += got;
        if (got < BLOCK_BYTES) {
            if (ferror(r->fp))
                return -1;
            r->eof = 1;
        } else if (memchr(b->data + b->len - got, '\n', got) != NULL) {
            break;
        }
    }
    if (!r->eof) {   /* keep the cut line for the next block */
        size_t keep = b->len;
        while (b->data[keep - 1] != '\n')
            keep--;
        if (ea_buf_append(&r->carry, b->data + keep, b->len - keep) != 0)
            return -1;
        b->len = keep;
    }
    return b->len > 0;
}

/* Reads blocks into the free slots; called and returns with the lock held. */
static void read_ahead(batch *b)
{
    while (!b->input_done && b->tail - b->head < SLOTS) {
        batch_slot *s = &b->slot[b->tail % SLOTS];   /* free: no other thread looks at it */
        pthread_mutex_unlock(&b->lock);
        int rc = read_block(&b->reader, &s->in);
        if (rc > 0) {
            s->first_line = b->reader.next_line;
            b->reader.next_line += count_lines(s->in.data, s->in.len);
        }
        pthread_mutex_lock(&b->lock);
        if (rc > 0) {
            s->state = SLOT_READY;
            b->tail++;
        } else {
            b->input_done = 1;
            b->read_error = rc < 0;
        }
        pthread_cond_broadcast(&b->changed);
    }
}

static int helper_count(void)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    return cpus <= 1 ? 0 : cpus >= MAX_WORKERS ? MAX_WORKERS - 1 : (int)cpus - 1;
}

/* Starts the helpers; called with the lock held, once there is more than one block. */
static void start_helpers(batch_helper *helpers, int n)
{
    for (int i = 0; i < n; i++)
        helpers[i].started = pthread_create(&helpers[i].tid, NULL, helper_main, &helpers[i]) == 0;
}

/* The main thread's loop: read ahead, write what is done, check the rest. */
static void batch_loop(batch *b, spf_worker *w0, batch_helper *helpers, int nhelpers)
{
    int helpers_started = 0;
    pthread_mutex_lock(&b->lock);
    for (;;) {
        read_ahead(b);
        if (!helpers_started && b->tail - b->head > 1) {
            start_helpers(helpers, nhelpers);
            helpers_started = 1;
        }
        batch_slot *oldest = &b->slot[b->head % SLOTS];
        if (b->head < b->tail && oldest->state == SLOT_DONE) {
            pthread_mutex_unlock(&b->lock);
            cli_out_flush(&oldest->out);
            pthread_mutex_lock(&b->lock);
            oldest->state = SLOT_FREE;
            b->head++;
        } else if (b->head == b->tail && b->input_done) {
            break;
        } else if (b->take < b->tail) {
            check_next_block(b, w0);
        } else {
            pthread_cond_wait(&b->changed, &b->lock);   /* a helper has the oldest block */
        }
    }
    pthread_mutex_unlock(&b->lock);
    for (int i = 0; i < nhelpers; i++)
        if (helpers[i].started)
            pthread_join(helpers[i].tid, NULL);
}

/* Checks the whole batch with w0 (set up) and helpers; returns the exit code. */
int spf_run_batch(const spf_opts *opt, spf_worker *w0)
{
    batch b;
    batch_helper helpers[MAX_WORKERS - 1];
    int nhelpers = helper_count();
    int is_stdin = strcmp(opt->batch, "-") == 0;

    memset(&b, 0, sizeof b);
    b.reader.next_line = 1;
    b.reader.fp = is_stdin ? stdin : fopen(opt->batch, "rb");
    if (b.reader.fp == NULL) {
        cli_errorf("cannot open batch file %s: %s", opt->batch, strerror(errno));
        return CLI_EXIT_USAGE;
    }
    pthread_mutex_init(&b.lock, NULL);
    pthread_cond_init(&b.changed, NULL);
    for (int i = 0; i < SLOTS; i++)
        cli_out_init(&b.slot[i].out, stdout);
    for (int i = 0; i < nhelpers; i++) {
        helpers[i].b = &b;
        helpers[i].started = 0;
        spf_worker_init(&helpers[i].w, opt);
        helpers[i].w.zone = w0->zone;
    }

    batch_loop(&b, w0, helpers, nhelpers);

    unsigned long bad = w0->bad;
    int write_failed = 0;
    for (int i = 0; i < nhelpers; i++) {
        bad += helpers[i].w.bad;
        spf_worker_free(&helpers[i].w);
    }
    for (int i = 0; i < SLOTS; i++) {
        write_failed |= b.slot[i].out.failed;
        cli_out_free(&b.slot[i].out);
        ea_buf_free(&b.slot[i].in);
    }
    ea_buf_free(&b.reader.carry);
    if (!is_stdin)
        fclose(b.reader.fp);
    pthread_cond_destroy(&b.changed);
    pthread_mutex_destroy(&b.lock);

    if (b.read_error) {
        cli_errorf("error reading batch file %s", is_stdin ? "(standard input)" : opt->batch);
        return CLI_EXIT_USAGE;
    }
    if (write_failed) {
        cli_errorf("error writing the results");
        return CLI_EXIT_USAGE;
    }
    if (bad > 0) {
        cli_errorf("%lu batch line%s could not be checked", bad, bad == 1 ? "" : "s");
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

static int valid_host_name(const char *s)
{
    if (s[0] == '\0')
        return 0;
    for (; *s != '\0'; s++)
        if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f)
            return 0;
    return 1;
}

int spf_set_receiver(const cli_command *cmd, spf_opts *opt)
{
    if (opt->receiver != NULL)
        return valid_host_name(opt->receiver)
                   ? CLI_EXIT_OK
                   : cli_usage_error(cmd, "--receiver must be a host name");
    if (gethostname(opt->hostname, sizeof opt->hostname - 1) != 0 ||
        !valid_host_name(opt->hostname))
        strcpy(opt->hostname, "unknown");   /* what %{r} falls back to (RFC 7208 §7.2) */
    opt->receiver = opt->hostname;
    return CLI_EXIT_OK;
}
