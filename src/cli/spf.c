/*
 * emauth spf check - evaluate SPF for one query (--ip ...) or a batch.
 *
 * The batch path is built for throughput: input is read in blocks of whole
 * lines with fread, each line is split in place (no allocation per line),
 * one emauth_spf_eval per worker is reused for every line, and output is
 * escaped by hand into a large buffer written in big chunks. Blocks are
 * spread over a few threads, each with its own evaluator and zone, and
 * their outputs are written in input order.
 */
#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <emauth/emauth.h>
#include "cli/cli.h"
#include "cli/output.h"
#include "util/buf.h"
#include "util/error.h"

const char cli_spf_check_help[] =
    "Usage: emauth spf check --ip IP [--mail-from ADDR] [--helo NAME] --zone FILE [options]\n"
    "       emauth spf check --batch FILE --zone FILE [options]\n"
    "\n"
    "Evaluates SPF (RFC 7208 check_host()) for an SMTP client and prints the\n"
    "verdict and why. The MAIL FROM identity is checked; with a null sender\n"
    "(no --mail-from, or an empty one) the HELO identity is checked instead.\n"
    "\n"
    "Options:\n"
    "  --ip IP            the SMTP client's address (IPv4 or IPv6)\n"
    "  --mail-from ADDR   the MAIL FROM address; absent or \"\" = the null sender\n"
    "  --helo NAME        the HELO/EHLO name\n"
    "  --receiver NAME    this host's name: %{r} in explanations, receiver= and the\n"
    "                     authserv-id of the header fields (default: the host name)\n"
    "  --zone FILE        answer DNS questions from an RFC 1035 master file (repeat\n"
    "                     it to load several files into one zone). Required for now:\n"
    "                     live DNS is not available yet\n"
    "  --batch FILE       check many queries, one per line ('-' = standard input);\n"
    "                     replaces --ip, --mail-from and --helo\n"
    "  --json             one JSON object per result per line\n"
    "  --header           also give the Received-SPF (RFC 7208 section 9.1) and\n"
    "                     Authentication-Results (RFC 8601) header fields\n"
    "  --trace            also list every DNS question asked and its answer\n"
    "  --default-explanation TEXT\n"
    "                     the explanation of a fail without exp= (a macro-string,\n"
    "                     RFC 7208 section 6.2; default: \"%{d} does not designate\n"
    "                     %{c} as a permitted sender for %{s}\")\n"
    "  --help             this text\n"
    "\n"
    "Batch input:\n"
    "  One query per line: IP<TAB>MAIL-FROM<TAB>HELO. Any field may be empty; a\n"
    "  line with fewer tabs leaves the missing trailing fields empty; more than\n"
    "  three fields is an error. A CR before the newline is ignored. Empty lines\n"
    "  and lines starting with '#' are skipped and give no output. There is one\n"
    "  result per query, in input order. A line that cannot be checked (a bad IP\n"
    "  address, a null sender without HELO name, ...) gives an error result\n"
    "  naming its line number, the rest is still checked, and the exit status\n"
    "  is then 2.\n"
    "\n"
    "Text output:\n"
    "  One line per result, \"RESULT: why\" (\"error: line N: why\" for a batch\n"
    "  line that could not be checked); with --header the two header fields\n"
    "  follow, each on one line; with --trace the DNS questions follow, indented.\n"
    "\n"
    "JSON output (--json), one object per line, fields in this order:\n"
    "  ip, mail_from, helo      the query as given (\"\" when empty)\n"
    "  identity                 \"mailfrom\" or \"helo\"\n"
    "  domain                   the domain checked\n"
    "  result                   pass, fail, softfail, neutral, none, permerror,\n"
    "                           temperror; null when the line could not be checked\n"
    "  mechanism                the matching term as written, or null\n"
    "  explanation              for fail: the exp= text or the default, else null\n"
    "  problem                  why permerror/temperror (or none), else null\n"
    "  dns_lookups, void_lookups  the RFC 7208 section 4.6.4 counters\n"
    "  mechanism_domain         whose record held the matching term, or null\n"
    "  mechanism_column         its 1-based column in that record, or null\n"
    "  error                    null, or \"line N: why\" when it could not be checked\n"
    "  received_spf, authentication_results   with --header: the whole fields\n"
    "  trace                    with --trace: [{\"name\",\"type\",\"rcode\",\"count\"}]\n"
    "  Strings are JSON-escaped; bytes that are not valid UTF-8 become U+FFFD.\n"
    "\n"
    "Exit status: 0 when every verdict was computed, whatever it is; 2 on a\n"
    "usage error, an unreadable or invalid zone or batch file, or a batch line\n"
    "that could not be checked.\n";

/* Input is handed to workers in blocks of about this many bytes of whole lines. */
#define BLOCK_BYTES (256u * 1024)
/* At most this many threads check a batch, each with its own evaluator. */
#define MAX_WORKERS 4

enum {
    OPT_IP = 1, OPT_MAIL_FROM, OPT_HELO, OPT_RECEIVER, OPT_ZONE, OPT_BATCH,
    OPT_JSON, OPT_HEADER, OPT_TRACE, OPT_DEFAULT_EXP
};

static const cli_option spf_check_options[] = {
    {"ip", 1, OPT_IP},
    {"mail-from", 1, OPT_MAIL_FROM},
    {"helo", 1, OPT_HELO},
    {"receiver", 1, OPT_RECEIVER},
    {"zone", 1, OPT_ZONE},
    {"batch", 1, OPT_BATCH},
    {"json", 0, OPT_JSON},
    {"header", 0, OPT_HEADER},
    {"trace", 0, OPT_TRACE},
    {"default-explanation", 1, OPT_DEFAULT_EXP},
    {NULL, 0, 0},
};

typedef struct spf_opts {
    const char *ip, *mail_from, *helo, *receiver, *batch, *default_exp;
    const char **zones;       /* every --zone, in order */
    size_t nzones;
    int json, header, trace;
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

/* ---- Options ---------------------------------------------------------------- */

static int valid_receiver(const char *s)
{
    if (s[0] == '\0')
        return 0;
    for (; *s != '\0'; s++)
        if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f)
            return 0;
    return 1;
}

static int parse_options(const cli_command *cmd, int argc, char **argv, spf_opts *opt)
{
    cli_args args = {cmd, argc, argv, 0};
    const char *value;
    int id;
    while ((id = cli_next_option(&args, spf_check_options, &value)) > 0) {
        switch (id) {
        case OPT_IP: opt->ip = value; break;
        case OPT_MAIL_FROM: opt->mail_from = value; break;
        case OPT_HELO: opt->helo = value; break;
        case OPT_RECEIVER: opt->receiver = value; break;
        case OPT_ZONE: opt->zones[opt->nzones++] = value; break;
        case OPT_BATCH: opt->batch = value; break;
        case OPT_JSON: opt->json = 1; break;
        case OPT_HEADER: opt->header = 1; break;
        case OPT_TRACE: opt->trace = 1; break;
        case OPT_DEFAULT_EXP: opt->default_exp = value; break;
        }
    }
    if (id < 0)
        return CLI_EXIT_USAGE;
    if (opt->batch != NULL && (opt->ip || opt->mail_from || opt->helo))
        return cli_usage_error(cmd, "--batch replaces --ip, --mail-from and --helo");
    if (opt->batch == NULL && opt->ip == NULL)
        return cli_usage_error(cmd, "--ip IP or --batch FILE is required");
    if (opt->receiver != NULL && !valid_receiver(opt->receiver))
        return cli_usage_error(cmd, "--receiver must be a host name");
    if (opt->nzones == 0) {
        cli_errorf("live DNS is not available yet; use --zone FILE");
        return CLI_EXIT_USAGE;
    }
    if (opt->receiver == NULL) {
        if (gethostname(opt->hostname, sizeof opt->hostname - 1) != 0 ||
            !valid_receiver(opt->hostname))
            strcpy(opt->hostname, "unknown");   /* what %{r} falls back to (RFC 7208 §7.2) */
        opt->receiver = opt->hostname;
    }
    return CLI_EXIT_OK;
}

/* ---- Workers ------------------------------------------------------------------ */

static void print_zone_warning(void *arg, const char *msg)
{
    (void)arg;
    cli_warnf("%s", msg);
}

/* Loads every --zone file into the zone w owns, warnings to stderr. */
static int load_zones(spf_worker *w)
{
    emauth_error err;
    emauth_error_clear(&err);
    w->zone = emauth_zone_new();
    if (w->zone == NULL) {
        snprintf(w->why, sizeof w->why, "out of memory");
        return -1;
    }
    w->owns_zone = 1;
    emauth_zone_set_warn(w->zone, print_zone_warning, NULL);
    for (size_t i = 0; i < w->opt->nzones; i++) {
        emauth_status st = emauth_zone_load_file(w->zone, w->opt->zones[i], NULL, &err);
        if (st != EMAUTH_OK) {
            if (err.message[0] != '\0')
                snprintf(w->why, sizeof w->why, "%s", err.message);
            else
                snprintf(w->why, sizeof w->why, "%s: %s", w->opt->zones[i],
                         emauth_status_str(st));
            return -1;
        }
    }
    return 0;
}

/*
 * Makes w ready: the zone (loaded unless w shares one already) and an
 * evaluator. On failure w->why says why.
 */
static int worker_setup(spf_worker *w)
{
    if (w->ready || w->broken)
        return w->ready ? 0 : -1;
    if ((w->zone == NULL && load_zones(w) != 0) || emauth_spf_eval_new(&w->ev) != EMAUTH_OK ||
        ea_buf_reserve(&w->scratch, 1024) != 0) {
        if (w->why[0] == '\0')
            snprintf(w->why, sizeof w->why, "out of memory");
        w->broken = 1;
        return -1;
    }
    w->ready = 1;
    return 0;
}

static void worker_init(spf_worker *w, const spf_opts *opt)
{
    memset(w, 0, sizeof *w);
    w->opt = opt;
    ea_buf_init(&w->scratch);
}

static void worker_free(spf_worker *w)
{
    emauth_spf_eval_free(w->ev);
    if (w->owns_zone)
        emauth_zone_free(w->zone);
    ea_buf_free(&w->scratch);
}

/* ---- Evaluation ---------------------------------------------------------------- */

/* Sets w->why to the message for q, prefixed "line N: " in a batch; returns it. */
static const char *say(spf_worker *w, const spf_query *q, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static const char *say(spf_worker *w, const spf_query *q, const char *fmt, ...)
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

/*
 * Runs q through the worker's evaluator. NULL when a verdict was computed
 * (read it from w->ev), else why not. req is filled for the header fields.
 */
static const char *evaluate(spf_worker *w, const spf_query *q, emauth_spf_request *req)
{
    emauth_error err;
    emauth_error_clear(&err);
    memset(req, 0, sizeof *req);
    if (emauth_ip_parse(q->ip, q->ip_len, &req->ip, &err) != EMAUTH_OK) {
        char shown[80];
        return say(w, q, "bad IP address \"%s\"",
                   ea_quote(shown, sizeof shown, q->ip, q->ip_len, 60));
    }
    req->mail_from = q->mail_from;
    req->helo = q->helo_len > 0 ? q->helo : NULL;
    req->identity = EMAUTH_SPF_ID_AUTO;
    req->receiver = w->opt->receiver;
    req->default_explanation = w->opt->default_exp;
    emauth_status st = emauth_spf_eval_start(w->ev, req, &err);
    if (st != EMAUTH_OK)
        return say(w, q, "%s", err.message[0] ? err.message : emauth_status_str(st));
    st = emauth_spf_eval_run(w->ev, emauth_zone_resolver(w->zone));
    if (st != EMAUTH_OK || emauth_spf_eval_result(w->ev) == NULL)
        return say(w, q, "evaluation failed: %s", emauth_status_str(st));
    return NULL;
}

/* ---- Output ---------------------------------------------------------------------- */

enum header_kind { HDR_RECEIVED_SPF, HDR_AUTHRES };

static size_t format_header(enum header_kind kind, const emauth_spf_result *res,
                            const emauth_spf_request *req, char *buf, size_t size)
{
    if (kind == HDR_RECEIVED_SPF)
        return emauth_spf_received_spf(res, req, buf, size);
    return emauth_spf_authres(res, buf, size);
}

/* A whole header field, in w->scratch until the next call. */
static const char *header_field(spf_worker *w, enum header_kind kind,
                                const emauth_spf_result *res, const emauth_spf_request *req)
{
    ea_buf *s = &w->scratch;
    s->len = 0;
    if (kind == HDR_AUTHRES) {
        ea_buf_puts(s, "Authentication-Results: ");
        ea_buf_puts(s, w->opt->receiver);
        ea_buf_puts(s, "; ");
    }
    size_t start = s->len;
    size_t n = format_header(kind, res, req, s->data + start, s->cap - start);
    if (n >= s->cap - start) {
        if (ea_buf_reserve(s, n) != 0) {
            w->out->failed = 1;
            return "";
        }
        format_header(kind, res, req, s->data + start, s->cap - start);
    }
    s->len = start + n;
    return s->data;
}

static void json_uint_or_null(cli_out *o, int present, unsigned long v)
{
    if (present)
        cli_out_uint(o, v);
    else
        cli_out_lit(o, "null");
}

static void json_trace(cli_out *o, const emauth_spf_result *res)
{
    cli_out_json_key(o, "trace");
    cli_out_char(o, '[');
    for (size_t i = 0; res != NULL && i < res->trace_count; i++) {
        const emauth_spf_trace *t = &res->trace[i];
        const char *type = emauth_dns_type_name(t->type);
        if (i > 0)
            cli_out_char(o, ',');
        cli_out_lit(o, "{\"name\":");
        cli_out_json_cstr(o, t->name);
        cli_out_json_key(o, "type");
        if (type != NULL)
            cli_out_json_cstr(o, type);
        else
            cli_out_uint(o, t->type);
        cli_out_json_key(o, "rcode");
        cli_out_json_cstr(o, emauth_dns_rcode_name(t->rcode));
        cli_out_json_key(o, "count");
        cli_out_uint(o, t->count);
        cli_out_char(o, '}');
    }
    cli_out_char(o, ']');
}

/* One JSON line. res is NULL when the query could not be checked (error says why). */
static void emit_json(spf_worker *w, const spf_query *q, const emauth_spf_request *req,
                      const emauth_spf_result *res, const char *error)
{
    cli_out *o = w->out;
    int ok = res != NULL;
    cli_out_lit(o, "{\"ip\":");
    cli_out_json_str(o, q->ip, q->ip_len);
    cli_out_json_key(o, "mail_from");
    cli_out_json_str(o, q->mail_from, q->mail_from_len);
    cli_out_json_key(o, "helo");
    cli_out_json_str(o, q->helo, q->helo_len);
    cli_out_json_key(o, "identity");
    cli_out_json_cstr(o, ok ? emauth_spf_identity_name(res->identity) : NULL);
    cli_out_json_key(o, "domain");
    cli_out_json_cstr(o, ok ? res->domain : NULL);
    cli_out_json_key(o, "result");
    cli_out_json_cstr(o, ok ? emauth_spf_verdict_name(res->verdict) : NULL);
    cli_out_json_key(o, "mechanism");
    cli_out_json_cstr(o, ok ? res->mechanism : NULL);
    cli_out_json_key(o, "explanation");
    cli_out_json_cstr(o, ok ? res->explanation : NULL);
    cli_out_json_key(o, "problem");
    cli_out_json_cstr(o, ok ? res->problem : NULL);
    cli_out_json_key(o, "dns_lookups");
    json_uint_or_null(o, ok, ok ? res->dns_lookups : 0);
    cli_out_json_key(o, "void_lookups");
    json_uint_or_null(o, ok, ok ? res->void_lookups : 0);
    cli_out_json_key(o, "mechanism_domain");
    cli_out_json_cstr(o, ok ? res->mechanism_domain : NULL);
    cli_out_json_key(o, "mechanism_column");
    json_uint_or_null(o, ok && res->mechanism_column > 0, ok ? res->mechanism_column : 0);
    cli_out_json_key(o, "error");
    cli_out_json_cstr(o, error);
    if (w->opt->header) {
        cli_out_json_key(o, "received_spf");
        cli_out_json_cstr(o, ok ? header_field(w, HDR_RECEIVED_SPF, res, req) : NULL);
        cli_out_json_key(o, "authentication_results");
        cli_out_json_cstr(o, ok ? header_field(w, HDR_AUTHRES, res, req) : NULL);
    }
    if (w->opt->trace)
        json_trace(o, res);
    cli_out_lit(o, "}\n");
}

static cli_colour verdict_colour(emauth_spf_verdict v)
{
    switch (v) {
    case EMAUTH_SPF_PASS: return CLI_GREEN;
    case EMAUTH_SPF_FAIL: return CLI_RED;
    case EMAUTH_SPF_SOFTFAIL: return CLI_YELLOW;
    case EMAUTH_SPF_TEMPERROR:
    case EMAUTH_SPF_PERMERROR: return CLI_MAGENTA;
    default: return CLI_PLAIN;
    }
}

/* " (mx in the record of example.com, column 8)" or " (no term matched)". */
static void text_matched(cli_out *o, const emauth_spf_result *res)
{
    if (res->mechanism == NULL) {
        cli_out_str(o, " (no term matched)");
        return;
    }
    cli_out_str(o, " (");
    cli_out_ctext(o, res->mechanism);
    if (res->mechanism_domain != NULL) {
        cli_out_str(o, " in the record of ");
        cli_out_ctext(o, res->mechanism_domain);
    }
    if (res->mechanism_column > 0) {
        cli_out_str(o, ", column ");
        cli_out_uint(o, res->mechanism_column);
    }
    cli_out_char(o, ')');
}

/* "for example.com" / "for HELO mail.example.com". */
static void text_for(cli_out *o, const emauth_spf_result *res, const char *domain)
{
    cli_out_str(o, res->identity == EMAUTH_SPF_ID_HELO ? " for HELO " : " for ");
    cli_out_ctext(o, domain);
}

/* The "why" after "RESULT: ", on one line. */
static void text_why(cli_out *o, const emauth_spf_request *req, const emauth_spf_result *res)
{
    char ip[EMAUTH_IP_TEXT_MAX + 1];
    const char *domain = res->domain != NULL ? res->domain : "(no domain)";
    emauth_ip_format(&req->ip, ip, sizeof ip);
    switch (res->verdict) {
    case EMAUTH_SPF_PASS:
    case EMAUTH_SPF_FAIL:
    case EMAUTH_SPF_SOFTFAIL:
        cli_out_str(o, ip);
        cli_out_str(o, res->verdict == EMAUTH_SPF_PASS ? " is authorized to send"
                       : res->verdict == EMAUTH_SPF_FAIL ? " is not authorized to send"
                       : " is probably not authorized to send");
        text_for(o, res, domain);
        text_matched(o, res);
        if (res->explanation != NULL) {
            cli_out_str(o, "; explanation: ");
            cli_out_ctext(o, res->explanation);
        }
        break;
    case EMAUTH_SPF_NEUTRAL:
        cli_out_ctext(o, domain);
        cli_out_str(o, " neither permits nor denies ");
        cli_out_str(o, ip);
        text_matched(o, res);
        break;
    default:   /* none, temperror, permerror: the domain and the problem */
        cli_out_ctext(o, domain);
        cli_out_str(o, ": ");
        cli_out_ctext(o, res->problem != NULL ? res->problem : "no SPF record");
        break;
    }
}

static void text_trace(cli_out *o, const emauth_spf_result *res)
{
    for (size_t i = 0; i < res->trace_count; i++) {
        const emauth_spf_trace *t = &res->trace[i];
        const char *type = emauth_dns_type_name(t->type);
        cli_out_str(o, "  dns: ");
        cli_out_ctext(o, t->name);
        cli_out_char(o, ' ');
        if (type != NULL)
            cli_out_str(o, type);
        else
            cli_out_uint(o, t->type);
        cli_out_str(o, ": ");
        cli_out_str(o, emauth_dns_rcode_name(t->rcode));
        if (t->rcode == EMAUTH_DNS_OK) {
            cli_out_str(o, ", ");
            cli_out_uint(o, t->count);
            cli_out_str(o, t->count == 1 ? " record" : " records");
        }
        cli_out_char(o, '\n');
    }
}

static void emit_text(spf_worker *w, const emauth_spf_request *req,
                      const emauth_spf_result *res, const char *error)
{
    cli_out *o = w->out;
    if (res == NULL) {
        cli_out_colour(o, CLI_RED);
        cli_out_str(o, "error");
        cli_out_colour(o, CLI_PLAIN);
        cli_out_str(o, ": ");
        cli_out_ctext(o, error);
        cli_out_char(o, '\n');
        return;
    }
    cli_out_colour(o, verdict_colour(res->verdict));
    cli_out_str(o, emauth_spf_verdict_name(res->verdict));
    cli_out_colour(o, CLI_PLAIN);
    cli_out_str(o, ": ");
    text_why(o, req, res);
    cli_out_char(o, '\n');
    if (w->opt->header) {
        cli_out_str(o, header_field(w, HDR_RECEIVED_SPF, res, req));
        cli_out_char(o, '\n');
        cli_out_str(o, header_field(w, HDR_AUTHRES, res, req));
        cli_out_char(o, '\n');
    }
    if (w->opt->trace)
        text_trace(o, res);
}

static void emit(spf_worker *w, const spf_query *q, const emauth_spf_request *req,
                 const emauth_spf_result *res, const char *error)
{
    if (w->opt->json)
        emit_json(w, q, req, res, error);
    else
        emit_text(w, req, res, error);
}

/* ---- Batch ------------------------------------------------------------------------ */

/*
 * Splits a line (without its newline) in place at tabs into q. Returns
 * NULL, or why the line cannot be a query.
 */
static const char *split_line(char *line, size_t len, spf_query *q)
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
    const char *why = split_line(line, len, &q);
    if (why != NULL)
        why = say(w, &q, "%s", why);
    else
        why = evaluate(w, &q, &req);
    if (why != NULL) {
        w->bad++;
        emit(w, &q, NULL, NULL, why);
    } else {
        emit(w, &q, &req, emauth_spf_eval_result(w->ev), NULL);
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
    if (worker_setup(&h->w) != 0)
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
static int run_batch(const spf_opts *opt, spf_worker *w0)
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
        worker_init(&helpers[i].w, opt);
        helpers[i].w.zone = w0->zone;
    }

    batch_loop(&b, w0, helpers, nhelpers);

    unsigned long bad = w0->bad;
    int write_failed = 0;
    for (int i = 0; i < nhelpers; i++) {
        bad += helpers[i].w.bad;
        worker_free(&helpers[i].w);
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

/* ---- Single query ---------------------------------------------------------------- */

static int run_single(const spf_opts *opt, spf_worker *w)
{
    const char *mail_from = opt->mail_from ? opt->mail_from : "";
    const char *helo = opt->helo ? opt->helo : "";
    spf_query q = {0, opt->ip, mail_from, helo,
                   strlen(opt->ip), strlen(mail_from), strlen(helo)};
    emauth_spf_request req;
    const char *why = evaluate(w, &q, &req);
    if (why != NULL) {
        cli_errorf("%s", why);
        return CLI_EXIT_USAGE;
    }
    cli_out out;
    cli_out_init(&out, stdout);
    w->out = &out;
    emit(w, &q, &req, emauth_spf_eval_result(w->ev), NULL);
    int failed = cli_out_flush(&out) != 0;
    cli_out_free(&out);
    if (failed) {
        cli_errorf("error writing the result");
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

int cli_spf_check(const cli_command *cmd, int argc, char **argv)
{
    spf_opts opt;
    memset(&opt, 0, sizeof opt);
    opt.zones = calloc((size_t)argc + 1, sizeof *opt.zones);
    if (opt.zones == NULL) {
        cli_errorf("out of memory");
        return CLI_EXIT_USAGE;
    }
    int rc = parse_options(cmd, argc, argv, &opt);
    if (rc != CLI_EXIT_OK) {
        free(opt.zones);
        return rc;
    }
    spf_worker w;
    worker_init(&w, &opt);
    /* The zone is loaded up front so its errors and warnings come first. */
    if (worker_setup(&w) != 0) {
        cli_errorf("%s", w.why);
        rc = CLI_EXIT_USAGE;
    } else if (opt.batch != NULL) {
        rc = run_batch(&opt, &w);
    } else {
        rc = run_single(&opt, &w);
    }
    worker_free(&w);
    free(opt.zones);
    return rc;
}
