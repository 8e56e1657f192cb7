/*
 * emauth spf authorizes - which domains authorize a sending platform: per
 * domain, check_host() for the platform's IP (--ip), or whether the
 * platform's include is reachable from the domain's record (--include,
 * the analyzer's tree). Many domains in flight on the async engine, up to
 * --concurrency; each result is formatted when it completes, into the slot
 * of its input position, and written strictly in input order.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/async_run.h"
#include "cli/dns.h"
#include "cli/lint_output.h"

const char cli_spf_authorizes_help[] =
    "Usage: emauth spf authorizes --ip IP DOMAIN... [options]\n"
    "       emauth spf authorizes --include NAME DOMAIN... [options]\n"
    "       emauth spf authorizes (--ip IP | --include NAME) --domains FILE [options]\n"
    "\n"
    "Says, for each domain, whether its SPF policy authorizes a sending\n"
    "platform, and the problem that blocks it if any:\n"
    "  --ip IP            check_host() (RFC 7208) for IP with MAIL FROM\n"
    "                     postmaster@DOMAIN: authorized when the verdict is pass\n"
    "  --include NAME     authorized when NAME is reachable from the domain's\n"
    "                     record through '+' includes and redirects only; also\n"
    "                     which path reaches it, at which lookup count, and the\n"
    "                     first error of the record (too-many-lookups: receivers\n"
    "                     give permerror before reaching it, ...). Names are\n"
    "                     compared in any case, a trailing dot ignored.\n"
    "\n"
    "Options:\n"
    "  --domains FILE     the domains, one per line ('-' = standard input); empty\n"
    "                     lines and '#' comments are skipped (after the DOMAIN\n"
    "                     arguments, when there are both)\n"
    "  --json             one JSON object per domain per line\n"
    "  --concurrency N    domains in flight at once (default 200)\n"
    "  --stats            print DNS counters and latencies on stderr\n"
    CLI_DNS_HELP
    "  --help             this text\n"
    "\n"
    "Text output:\n"
    "  One line per domain, in input order, \"DOMAIN: authorized ...\" or\n"
    "  \"DOMAIN: not authorized ...\" with the details; then a summary: how many\n"
    "  are authorized, not authorized and in error (permerror, temperror, a\n"
    "  blocking problem, a bad input line), and the domains not cleanly\n"
    "  authorized with why. A progress line on stderr when it is a terminal.\n"
    "\n"
    "JSON output (--json), one object per domain, fields in this order:\n"
    "  domain                 the domain as given (without a trailing dot)\n"
    "  authorized             true or false\n"
    "  result                 --ip: the check_host() verdict (pass, fail, ...);\n"
    "                         --include, or a bad input line: null\n"
    "  mechanism              --ip: the matching term; --include: the term that\n"
    "                         includes NAME; null when none\n"
    "  lookups                --ip: the check's DNS lookups; --include: the running\n"
    "                         lookup count when NAME's include is evaluated; null\n"
    "                         when not reached\n"
    "  path                   --include: the include:/redirect= terms from the\n"
    "                         domain's record down to NAME; null when not reached\n"
    "                         and for --ip\n"
    "  problem                the blocking problem (--ip: why permerror,\n"
    "                         temperror or none; --include: \"code: message\" of\n"
    "                         the record's first error; a bad input line: why),\n"
    "                         or null\n"
    "\n"
    "Exit status: 0 when every domain was checked, whatever the answers; 2 on a\n"
    "usage error, an unreadable file, or a line that is not a domain name.\n";

#define SLOTS_PER_CHECK 4   /* room for finished results behind a slow one */
#define POSTMASTER "postmaster@"

enum { OPT_IP = 1, OPT_INCLUDE, OPT_DOMAINS, OPT_JSON, OPT_CONCURRENCY, OPT_STATS };

static const cli_option authorizes_options[] = {
    {"ip", 1, OPT_IP},
    {"include", 1, OPT_INCLUDE},
    {"domains", 1, OPT_DOMAINS},
    {"json", 0, OPT_JSON},
    {"concurrency", 1, OPT_CONCURRENCY},
    {"stats", 0, OPT_STATS},
    CLI_DNS_OPTIONS,
    {NULL, 0, 0},
};

typedef struct auth_opts {
    const char *ip_text, *include, *domains;
    emauth_ip ip;
    const char **names;          /* the DOMAIN arguments */
    size_t nnames;
    unsigned concurrency;
    int json, stats;
    cli_dns dns;
} auth_opts;

typedef enum { SLOT_FREE, SLOT_WAITING, SLOT_DONE } slot_state;

/* One domain from reading to writing. */
typedef struct auth_slot {
    slot_state state;
    ea_buf sender;               /* "postmaster@DOMAIN"; the domain is after the '@' */
    unsigned long line;          /* its --domains line; 0 for an argument */
    int authorized, error;       /* for the summary */
    cli_out out;                 /* its formatted result */
    ea_buf why;                  /* for the summary when not cleanly authorized */
    struct auth_run *run;
} auth_slot;

typedef struct auth_run {
    const auth_opts *opt;
    emauth_async *as;
    auth_slot *slots;
    size_t nslots;
    unsigned long next_seq, next_write;
    size_t next_name;            /* the next DOMAIN argument */
    FILE *in;                    /* --domains, or NULL */
    char *line;
    size_t line_cap;
    unsigned long lineno;
    int input_done, read_error, write_error;
    unsigned long counts[3];     /* authorized, not authorized, errors */
    unsigned long bad;           /* input lines that are not domain names */
    cli_out summary;             /* the domains not cleanly authorized */
    ea_buf scratch;              /* a problem text being built */
    cli_progress progress;
} auth_run;

enum { COUNT_AUTHORIZED, COUNT_NOT, COUNT_ERRORS };

/* What one domain's check says, whichever way it was made. */
typedef struct auth_answer {
    int checked;                 /* 0: the domain could not be checked (problem says why) */
    int authorized, error;
    const char *result;          /* --ip: the verdict */
    const char *mechanism;
    int reached;                 /* lookups is meaningful */
    unsigned lookups;
    unsigned total;              /* --include: the record's lookups in all */
    const char *weak;            /* --include, not authorized: a non-'+' include on the
                                    way to NAME ("~include:..."), or NULL */
    const emauth_lint_node *path[LINT_PATH_MAX];   /* --include: the way to NAME */
    size_t npath;                                  /* 0: not reached */
    const char *problem;
} auth_answer;

static const char *slot_domain(const auth_slot *s)
{
    return s->sender.data + sizeof POSTMASTER - 1;
}

/* ---- Output --------------------------------------------------------------------- */

static void json_answer(cli_out *o, const char *domain, const auth_answer *a)
{
    cli_out_lit(o, "{\"domain\":");
    cli_out_json_cstr(o, domain);
    cli_out_json_key(o, "authorized");
    if (a->authorized)
        cli_out_lit(o, "true");
    else
        cli_out_lit(o, "false");
    cli_out_json_key(o, "result");
    cli_out_json_cstr(o, a->result);
    cli_out_json_key(o, "mechanism");
    cli_out_json_cstr(o, a->mechanism);
    cli_out_json_key(o, "lookups");
    if (a->reached)
        cli_out_uint(o, a->lookups);
    else
        cli_out_lit(o, "null");
    cli_out_json_key(o, "path");
    if (a->npath > 0) {
        cli_out_char(o, '[');
        for (size_t i = 0; i < a->npath; i++) {
            if (i > 0)
                cli_out_char(o, ',');
            cli_out_json_cstr(o, a->path[i]->via);
        }
        cli_out_char(o, ']');
    } else {
        cli_out_lit(o, "null");
    }
    cli_out_json_key(o, "problem");
    cli_out_json_cstr(o, a->problem);
    cli_out_lit(o, "}\n");
}

static void text_lookups(cli_out *o, const char *before, unsigned long n)
{
    cli_out_str(o, before);
    cli_out_uint(o, n);
    cli_out_str(o, n == 1 ? " lookup" : " lookups");
}

/* --ip: "pass, mechanism ip4:192.0.2.0/24, 3 lookups". */
static void text_ip_details(cli_out *o, const auth_answer *a)
{
    cli_out_str(o, a->result);
    if (a->mechanism != NULL) {
        cli_out_str(o, ", mechanism ");
        cli_out_ctext(o, a->mechanism);
    }
    text_lookups(o, ", ", a->lookups);
}

/* --include: "via include:a > include:b, reached at lookup 3 of 5". */
static void text_include_details(cli_out *o, const auth_answer *a, const char *include)
{
    if (a->npath == 0) {
        cli_out_ctext(o, include);
        cli_out_str(o, a->weak != NULL ? " is only reached through " : " is not included");
        if (a->weak != NULL)
            cli_out_ctext(o, a->weak);
    } else {
        cli_out_str(o, "via ");
        for (size_t i = 0; i < a->npath; i++) {
            if (i > 0)
                cli_out_str(o, " > ");
            cli_out_ctext(o, a->path[i]->via);
        }
        cli_out_str(o, ", reached at lookup ");
        cli_out_uint(o, a->lookups);
        cli_out_str(o, " of ");
        cli_out_uint(o, a->total);
    }
}

static void text_answer(cli_out *o, const auth_opts *opt, const char *domain, const auth_answer *a)
{
    cli_out_ctext(o, domain);
    cli_out_str(o, ": ");
    cli_out_colour(o, a->error ? CLI_MAGENTA : a->authorized ? CLI_GREEN : CLI_RED);
    cli_out_str(o, !a->checked ? "error" : a->authorized ? "authorized" : "not authorized");
    cli_out_colour(o, CLI_PLAIN);
    if (a->checked) {
        cli_out_str(o, " (");
        if (a->result != NULL)
            text_ip_details(o, a);
        else
            text_include_details(o, a, opt->include);
        cli_out_char(o, ')');
    }
    if (a->problem != NULL) {
        cli_out_str(o, ": ");
        cli_out_ctext(o, a->problem);
    }
    cli_out_char(o, '\n');
}

/* Why a domain is not cleanly authorized, for the summary (nothing when it is). */
static void summary_why(ea_buf *why, const auth_opts *opt, const auth_answer *a)
{
    if (a->authorized && !a->error)
        return;
    const char *sep = "";
    if (!a->checked) {
        /* the problem says it all */
    } else if (a->result != NULL) {
        ea_buf_puts(why, a->result);
        if (a->mechanism != NULL)
            ea_buf_printf(why, " (%s)", a->mechanism);
        sep = ": ";
    } else if (a->authorized) {
        ea_buf_printf(why, "included at lookup %u, but ", a->lookups);
    } else if (a->weak != NULL) {
        ea_buf_printf(why, "%s is only reached through %s", opt->include, a->weak);
        sep = "; ";
    } else {
        ea_buf_printf(why, "%s is not included", opt->include);
        sep = "; ";
    }
    if (a->problem != NULL)
        ea_buf_printf(why, "%s%s", sep, a->problem);
}

/* Formats a's result into the slot; the slot is then done. */
static void slot_finish(auth_slot *s, const auth_answer *a)
{
    const auth_opts *opt = s->run->opt;
    if (opt->json)
        json_answer(&s->out, slot_domain(s), a);
    else
        text_answer(&s->out, opt, slot_domain(s), a);
    s->authorized = a->authorized;
    s->error = a->error;
    s->why.len = 0;
    if (!opt->json)
        summary_why(&s->why, opt, a);
    s->state = SLOT_DONE;
}

/* ---- Answers ----------------------------------------------------------------------- */

static void on_spf(void *arg, const emauth_spf_result *res)
{
    auth_slot *s = arg;
    auth_answer a = {
        .checked = 1,
        .authorized = res->verdict == EMAUTH_SPF_PASS,
        .error = res->verdict == EMAUTH_SPF_PERMERROR || res->verdict == EMAUTH_SPF_TEMPERROR,
        .result = emauth_spf_verdict_name(res->verdict),
        .mechanism = res->mechanism,
        .reached = 1,
        .lookups = res->dns_lookups,
        .problem = res->problem,
    };
    slot_finish(s, &a);
}

/* The first include that is not '+' on a way to include, or NULL. */
static const char *weak_include(const emauth_lint_node *root, const char *include)
{
    const emauth_lint_node *path[LINT_PATH_MAX];
    size_t n = lint_find_path(root, include, 1, path);
    for (size_t i = 0; i < n; i++)
        if (path[i]->via_qualifier != '+')
            return path[i]->via;
    return NULL;
}

static void on_lint(void *arg, const emauth_lint_report *rep)
{
    auth_slot *s = arg;
    auth_run *r = s->run;
    auth_answer a = {.checked = 1, .total = rep->dns_lookups};
    a.npath = lint_find_path(rep->tree, r->opt->include, 0, a.path);
    if (a.npath > 0) {
        const emauth_lint_node *hit = a.path[a.npath - 1];
        a.authorized = a.reached = 1;
        a.lookups = lint_reached_at(hit);
        a.mechanism = hit->via;
    } else {
        a.weak = weak_include(rep->tree, r->opt->include);
    }
    const emauth_lint_problem *p = lint_first_error(rep);
    if (p != NULL) {
        r->scratch.len = 0;
        ea_buf_printf(&r->scratch, "%s: %s", p->code, p->message != NULL ? p->message : "");
        a.problem = ea_buf_cstr(&r->scratch);
        a.error = 1;
    }
    slot_finish(s, &a);
}

/* A domain that could not be checked: why says so. */
static void slot_error(auth_run *r, auth_slot *s, const char *why)
{
    auth_answer a = {.error = 1, .problem = why};
    r->bad++;
    slot_finish(s, &a);
}

/* ---- Input ------------------------------------------------------------------------- */

/* The next line of --domains, trimmed and without its comment; NULL at the end. */
static const char *next_line(auth_run *r)
{
    for (;;) {
        ssize_t n = getline(&r->line, &r->line_cap, r->in);
        if (n < 0) {
            r->read_error = ferror(r->in) != 0;
            return NULL;
        }
        r->lineno++;
        char *p = r->line, *hash = strchr(p, '#');
        size_t len = hash != NULL ? (size_t)(hash - p) : (size_t)n;
        while (len > 0 && strchr(" \t\r\n", p[len - 1]) != NULL)
            len--;
        while (len > 0 && (*p == ' ' || *p == '\t')) {
            p++;
            len--;
        }
        if (len > 0) {
            p[len] = '\0';
            return p;
        }
    }
}

/* The next domain (arguments first, then --domains) into s->sender; 0 when there is none. */
static int next_domain(auth_run *r, auth_slot *s)
{
    const char *d = NULL;
    s->line = 0;
    if (r->next_name < r->opt->nnames) {
        d = r->opt->names[r->next_name++];
    } else if (r->in != NULL && (d = next_line(r)) != NULL) {
        s->line = r->lineno;
    }
    if (d == NULL) {
        r->input_done = 1;
        return 0;
    }
    size_t n = strlen(d);
    if (n > 1 && d[n - 1] == '.')
        n--;   /* "example.com." is example.com */
    s->sender.len = 0;
    if (ea_buf_puts(&s->sender, POSTMASTER) != 0 || ea_buf_append(&s->sender, d, n) != 0)
        return -1;
    return 1;
}

/* Starts the check of s; a check that cannot start gives an error result. */
static void submit(auth_run *r, auth_slot *s)
{
    const char *domain = slot_domain(s);
    const char *why = cli_bad_domain(domain);
    emauth_error err;
    emauth_error_clear(&err);
    emauth_status st = EMAUTH_OK;
    if (why == NULL && r->opt->include != NULL) {
        st = emauth_async_spf_lint(r->as, domain, on_lint, s, &err);
    } else if (why == NULL) {
        emauth_spf_request req = {.ip = r->opt->ip, .mail_from = s->sender.data,
                                  .identity = EMAUTH_SPF_ID_MAILFROM};
        st = emauth_async_spf(r->as, &req, on_spf, s, &err);
    }
    if (st != EMAUTH_OK)
        why = err.message[0] != '\0' ? err.message : emauth_status_str(st);
    if (why == NULL)
        return;
    r->scratch.len = 0;
    if (s->line > 0)
        ea_buf_printf(&r->scratch, "line %lu: ", s->line);
    ea_buf_puts(&r->scratch, why);
    slot_error(r, s, ea_buf_cstr(&r->scratch));
}

/* Reads and submits domains while there is room; results may come at once. */
static void submit_more(auth_run *r)
{
    while (!r->input_done && emauth_async_in_flight(r->as) < r->opt->concurrency) {
        auth_slot *s = &r->slots[r->next_seq % r->nslots];
        if (s->state != SLOT_FREE)
            return;   /* the oldest result is not written yet */
        int got = next_domain(r, s);
        if (got == 0)
            return;
        r->next_seq++;
        s->run = r;
        s->state = SLOT_WAITING;
        if (got < 0)
            slot_error(r, s, "out of memory");
        else
            submit(r, s);
    }
}

/* Writes the finished results that are next in input order, and counts them. */
static void write_ready(auth_run *r)
{
    while (r->next_write < r->next_seq) {
        auth_slot *s = &r->slots[r->next_write % r->nslots];
        if (s->state != SLOT_DONE)
            return;
        r->write_error |= cli_out_flush(&s->out) != 0;
        r->counts[s->error ? COUNT_ERRORS : s->authorized ? COUNT_AUTHORIZED : COUNT_NOT]++;
        if (s->why.len > 0) {
            cli_out_str(&r->summary, "  ");
            cli_out_ctext(&r->summary, slot_domain(s));
            cli_out_str(&r->summary, ": ");
            cli_out_ctext(&r->summary, s->why.data);
            cli_out_char(&r->summary, '\n');
        }
        s->state = SLOT_FREE;
        r->next_write++;
    }
}

/* ---- The loop ---------------------------------------------------------------------- */

static void print_summary(auth_run *r)
{
    static const char *const labels[] = {"authorized", "not authorized", "errors"};
    cli_out o;
    cli_out_init(&o, stdout);
    cli_out_str(&o, "\nSummary: ");
    cli_out_uint(&o, r->next_write);
    cli_out_str(&o, r->next_write == 1 ? " domain\n" : " domains\n");
    for (size_t i = 0; i < 3; i++) {
        char line[48];
        snprintf(line, sizeof line, "  %-16s%lu\n", labels[i], r->counts[i]);
        cli_out_str(&o, line);
    }
    if (r->summary.buf.len > 0)
        cli_out_str(&o, "Not authorized, or in error:\n");
    r->write_error |= cli_out_flush(&o) != 0 || cli_out_flush(&r->summary) != 0;
    cli_out_free(&o);
}

/* ---- Setup --------------------------------------------------------------------------- */

static int parse_options(const cli_command *cmd, int argc, char **argv, auth_opts *opt)
{
    cli_args args = {cmd, argc, argv, 0};
    const char *value;
    int id, rest = 0;
    opt->concurrency = 200;
    while ((id = cli_next_arg(&args, authorizes_options, &value, &rest)) > 0) {
        switch (id) {
        case CLI_POSITIONAL: opt->names[opt->nnames++] = value; break;
        case OPT_IP: opt->ip_text = value; break;
        case OPT_INCLUDE: opt->include = value; break;
        case OPT_DOMAINS: opt->domains = value; break;
        case OPT_JSON: opt->json = 1; break;
        case OPT_CONCURRENCY:
            id = cli_number(cmd, "concurrency", value, 1, 100000, &opt->concurrency);
            break;
        case OPT_STATS: opt->stats = 1; break;
        default: id = cli_dns_option(&opt->dns, cmd, id, value) < 0 ? -1 : id; break;
        }
        if (id < 0)
            return CLI_EXIT_USAGE;
    }
    if (id < 0)
        return CLI_EXIT_USAGE;
    char q[CLI_QUOTE_MAX];
    if ((opt->ip_text != NULL) == (opt->include != NULL))
        return cli_usage_error(cmd, "give one of --ip IP and --include NAME");
    if (opt->ip_text != NULL &&
        emauth_ip_parse(opt->ip_text, strlen(opt->ip_text), &opt->ip, NULL) != EMAUTH_OK)
        return cli_usage_error(cmd, "--ip: bad IP address \"%s\"", cli_quote(q, opt->ip_text));
    if (opt->include != NULL && cli_bad_domain(opt->include) != NULL)
        return cli_usage_error(cmd, "--include: bad domain name \"%s\"", cli_quote(q, opt->include));
    if (opt->nnames == 0 && opt->domains == NULL)
        return cli_usage_error(cmd, "missing DOMAIN (or --domains FILE)");
    return cli_dns_check(&opt->dns, cmd);
}

static int open_input(auth_run *r)
{
    const char *path = r->opt->domains;
    if (path == NULL)
        return 0;
    r->in = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (r->in == NULL) {
        cli_errorf("cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

static int make_slots(auth_run *r)
{
    r->nslots = (size_t)r->opt->concurrency * SLOTS_PER_CHECK;
    r->slots = calloc(r->nslots, sizeof *r->slots);
    if (r->slots == NULL) {
        cli_errorf("out of memory");
        return -1;
    }
    for (size_t i = 0; i < r->nslots; i++) {
        cli_out_init(&r->slots[i].out, stdout);
        ea_buf_init(&r->slots[i].sender);
        ea_buf_init(&r->slots[i].why);
    }
    return 0;
}

static void free_run(auth_run *r)
{
    emauth_async_free(r->as);
    for (size_t i = 0; r->slots != NULL && i < r->nslots; i++) {
        cli_out_free(&r->slots[i].out);
        ea_buf_free(&r->slots[i].sender);
        ea_buf_free(&r->slots[i].why);
    }
    free(r->slots);
    free(r->line);
    if (r->in != NULL && r->in != stdin)
        fclose(r->in);
    cli_out_free(&r->summary);
    ea_buf_free(&r->scratch);
}

static int exit_code(const auth_run *r)
{
    if (r->read_error) {
        cli_errorf("error reading %s", r->opt->domains);
        return CLI_EXIT_USAGE;
    }
    if (r->write_error) {
        cli_errorf("error writing the results");
        return CLI_EXIT_USAGE;
    }
    if (r->bad > 0)
        cli_errorf("%lu domain%s could not be checked", r->bad, r->bad == 1 ? "" : "s");
    return r->bad > 0 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
}

static int run_all(auth_opts *opt)
{
    auth_run r;
    memset(&r, 0, sizeof r);
    r.opt = opt;
    cli_out_init(&r.summary, stdout);
    ea_buf_init(&r.scratch);
    cli_progress_init(&r.progress, opt->domains != NULL || opt->nnames > 1);
    if (open_input(&r) != 0 || make_slots(&r) != 0 || (r.as = cli_dns_async(&opt->dns)) == NULL) {
        free_run(&r);
        return CLI_EXIT_USAGE;
    }
    while (!r.input_done || r.next_write < r.next_seq) {
        submit_more(&r);
        write_ready(&r);
        cli_progress_show(&r.progress, r.next_write, -1, 0);
        if (emauth_async_in_flight(r.as) > 0)
            cli_async_wait(r.as, &r.progress);
    }
    cli_progress_show(&r.progress, r.next_write, 1, 1);
    if (!opt->json)
        print_summary(&r);
    if (opt->stats)
        cli_async_print_stats(r.as);
    int rc = exit_code(&r);
    free_run(&r);
    return rc;
}

int cli_spf_authorizes(const cli_command *cmd, int argc, char **argv)
{
    auth_opts opt;
    memset(&opt, 0, sizeof opt);
    opt.names = calloc((size_t)argc + 1, sizeof *opt.names);
    if (opt.names == NULL || cli_dns_init(&opt.dns, argc) != 0) {
        if (opt.names == NULL)
            cli_errorf("out of memory");
        cli_dns_free(&opt.dns);
        free(opt.names);
        return CLI_EXIT_USAGE;
    }
    int rc = parse_options(cmd, argc, argv, &opt);
    if (rc == CLI_EXIT_OK)
        rc = run_all(&opt);
    cli_dns_free(&opt.dns);
    free(opt.names);
    return rc;
}
