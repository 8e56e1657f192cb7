/*
 * emauth dkim lint - the key record published at SELECTOR._domainkey.DOMAIN
 * checked by emauth_dkim_key_check(), and with --key that it is the public
 * half of a private key.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/dkim.h"
#include "cli/dns.h"
#include "cli/output.h"

const char cli_dkim_lint_help[] =
    "Usage: emauth dkim lint DOMAIN --selector SELECTOR [options]\n"
    "\n"
    "Checks the DKIM key record published at SELECTOR._domainkey.DOMAIN (TXT,\n"
    "RFC 6376 section 3.6.1, RFC 8301, RFC 8463): its syntax, v= and k=, that\n"
    "p= holds a key of that type and its size, a revoked key (empty p=), the\n"
    "testing flag (t=y), h= and s=; with --key, that the record's key is the\n"
    "public half of that private key.\n"
    "\n"
    "Options:\n"
    "  --selector NAME    the selector (s=)\n"
    "  --key FILE         a private key (PEM) the record must match\n"
    "  --json             one JSON object per record found\n"
    CLI_DNS_HELP
    "  --help             this text\n"
    "\n"
    "Problems, \"SEVERITY code: message\" (error: verifiers refuse the key or\n"
    "its signatures fail; warning: legal but risky; info):\n"
    "  error    no-record, multiple-records, syntax, version, key-type, no-key,\n"
    "           revoked, bad-key, short-key (RSA under 1024 bits), hash,\n"
    "           service, key-mismatch\n"
    "  warning  weak-key (RSA under 2048 bits), long-key (over 4096), testing\n"
    "  info     key (its type and size), no-version, strict (t=s)\n"
    "\n"
    "Text output: \"NAME: RECORD\" (or \"NAME: no key record\"), the problems\n"
    "indented, then \"valid\" or \"N errors, N warnings\".\n"
    "JSON output (--json), one object per record, fields in this order:\n"
    "  domain, selector, name, record (null when none), valid, errors,\n"
    "  warnings, problems: [{\"severity\", \"code\", \"message\"}]\n"
    "\n"
    "Exit status: 0 when no record has an error, 1 when one has, 2 on a usage\n"
    "error, an unreadable key or zone file, or a DNS failure (SERVFAIL, timeout).\n";

enum { OPT_SELECTOR = 1, OPT_KEY, OPT_JSON };

static const cli_option lint_options[] = {
    {"selector", 1, OPT_SELECTOR},
    {"key", 1, OPT_KEY},
    {"json", 0, OPT_JSON},
    CLI_DNS_OPTIONS,
    {NULL, 0, 0},
};

typedef struct lint_opts {
    const char *domain, *selector, *key;
    int json;
    cli_dns dns;
} lint_opts;

typedef struct lint_run {
    const lint_opts *opt;
    const char *name;             /* SELECTOR._domainkey.DOMAIN */
    emauth_dkim_key *key;
    cli_out out;
    unsigned with_errors;
} lint_run;

/* ---- Options --------------------------------------------------------------------------- */

static int check_options(const cli_command *cmd, lint_opts *opt)
{
    char q[CLI_QUOTE_MAX];
    if (opt->domain == NULL)
        return cli_usage_error(cmd, "missing DOMAIN");
    if (opt->selector == NULL)
        return cli_usage_error(cmd, "missing --selector");
    if (cli_bad_domain(opt->domain) != NULL)
        return cli_usage_error(cmd, "not a domain name: \"%s\"", cli_quote(q, opt->domain));
    if (cli_bad_domain(opt->selector) != NULL)
        return cli_usage_error(cmd, "--selector: not a selector: \"%s\"",
                               cli_quote(q, opt->selector));
    return cli_dns_check(&opt->dns, cmd);
}

static int parse_options(const cli_command *cmd, int argc, char **argv, lint_opts *opt)
{
    cli_args args = {cmd, argc, argv, 0};
    const char *value;
    int id, rest = 0;
    char q[CLI_QUOTE_MAX];
    while ((id = cli_next_arg(&args, lint_options, &value, &rest)) > 0) {
        switch (id) {
        case CLI_POSITIONAL:
            if (opt->domain != NULL)
                return cli_usage_error(cmd, "one DOMAIN only (\"%s\" too)", cli_quote(q, value));
            opt->domain = value;
            break;
        case OPT_SELECTOR: opt->selector = value; break;
        case OPT_KEY: opt->key = value; break;
        case OPT_JSON: opt->json = 1; break;
        default: id = cli_dns_option(&opt->dns, cmd, id, value) < 0 ? -1 : id; break;
        }
        if (id < 0)
            return CLI_EXIT_USAGE;
    }
    return id < 0 ? CLI_EXIT_USAGE : check_options(cmd, opt);
}

/* ---- Output ------------------------------------------------------------------------------- */

/* One report line, "severity code: message", split; 0 when it is not one. */
typedef struct problem_line {
    const char *severity, *code, *message;
    size_t severity_len, code_len, message_len;
} problem_line;

static int split_line(const char *line, size_t len, problem_line *p)
{
    const char *sp = memchr(line, ' ', len);
    const char *colon = memchr(line, ':', len);
    if (sp == NULL || colon == NULL || colon < sp || colon + 2 > line + len)
        return 0;
    *p = (problem_line){line, sp + 1, colon + 2, (size_t)(sp - line), (size_t)(colon - sp - 1),
                        (size_t)(line + len - colon - 2)};
    return 1;
}

/*
 * Calls fn (when not NULL) for each line of report; counts (when not NULL)
 * the errors into counts[0], the warnings into counts[1].
 */
static void each_problem(const char *report, void (*fn)(cli_out *, const problem_line *, int),
                         cli_out *o, unsigned counts[2])
{
    int first = 1;
    for (const char *p = report; *p != '\0';) {
        size_t len = strcspn(p, "\n");
        problem_line pl;
        if (split_line(p, len, &pl)) {
            if (counts != NULL) {
                counts[0] += pl.severity_len == 5 && memcmp(pl.severity, "error", 5) == 0;
                counts[1] += pl.severity_len == 7 && memcmp(pl.severity, "warning", 7) == 0;
            }
            if (fn != NULL)
                fn(o, &pl, first);
            first = 0;
        }
        p += len + (p[len] == '\n');
    }
}

static void problem_text(cli_out *o, const problem_line *p, int first)
{
    (void)first;
    int error = p->severity_len == 5;
    cli_out_lit(o, "  ");
    cli_out_colour(o, error ? CLI_RED : p->severity_len == 7 ? CLI_YELLOW : CLI_DIM);
    cli_out_mem(o, p->severity, p->severity_len);
    cli_out_colour(o, CLI_PLAIN);
    cli_out_char(o, ' ');
    cli_out_mem(o, p->code, p->code_len);
    cli_out_lit(o, ": ");
    cli_out_text(o, p->message, p->message_len);
    cli_out_char(o, '\n');
}

static void problem_json(cli_out *o, const problem_line *p, int first)
{
    if (!first)
        cli_out_char(o, ',');
    cli_out_lit(o, "{\"severity\":");
    cli_out_json_str(o, p->severity, p->severity_len);
    cli_out_json_key(o, "code");
    cli_out_json_str(o, p->code, p->code_len);
    cli_out_json_key(o, "message");
    cli_out_json_str(o, p->message, p->message_len);
    cli_out_char(o, '}');
}

static void emit_text(lint_run *r, const char *record, size_t len, const char *report,
                      const unsigned counts[2])
{
    cli_out *o = &r->out;
    cli_out_str(o, r->name);
    if (record != NULL) {
        cli_out_lit(o, ": ");
        cli_out_text(o, record, len);
    } else {
        cli_out_lit(o, ": no key record");
    }
    cli_out_char(o, '\n');
    each_problem(report, problem_text, o, NULL);
    if (counts[0] == 0) {
        cli_out_lit(o, "valid\n");
        return;
    }
    cli_out_uint(o, counts[0]);
    cli_out_str(o, counts[0] == 1 ? " error, " : " errors, ");
    cli_out_uint(o, counts[1]);
    cli_out_str(o, counts[1] == 1 ? " warning\n" : " warnings\n");
}

static void emit_json(lint_run *r, const char *record, size_t len, const char *report,
                      const unsigned counts[2])
{
    cli_out *o = &r->out;
    cli_out_lit(o, "{\"domain\":");
    cli_out_json_cstr(o, r->opt->domain);
    cli_out_json_key(o, "selector");
    cli_out_json_cstr(o, r->opt->selector);
    cli_out_json_key(o, "name");
    cli_out_json_cstr(o, r->name);
    cli_out_json_key(o, "record");
    if (record != NULL)
        cli_out_json_str(o, record, len);
    else
        cli_out_lit(o, "null");
    cli_out_json_key(o, "valid");
    cli_out_str(o, counts[0] == 0 ? "true" : "false");
    cli_out_json_key(o, "errors");
    cli_out_uint(o, counts[0]);
    cli_out_json_key(o, "warnings");
    cli_out_uint(o, counts[1]);
    cli_out_json_key(o, "problems");
    cli_out_char(o, '[');
    each_problem(report, problem_json, o, NULL);
    cli_out_lit(o, "]}\n");
}

/* Writes the report of one record (NULL: none) with problems `pre` before the check's. */
static int report_record(lint_run *r, const char *record, size_t len, const char *pre)
{
    char *checked = NULL, *report = NULL;
    unsigned errors = 0, counts[2] = {0, 0};
    emauth_error err;
    emauth_error_clear(&err);
    if (record != NULL &&
        emauth_dkim_key_check(record, len, r->key, &checked, &errors, &err) != EMAUTH_OK) {
        cli_errorf("%s", err.message);
        return -1;
    }
    size_t plen = strlen(pre), clen = checked != NULL ? strlen(checked) : 0;
    if ((report = malloc(plen + clen + 1)) == NULL) {
        free(checked);
        cli_errorf("out of memory");
        return -1;
    }
    memcpy(report, pre, plen);
    memcpy(report + plen, checked != NULL ? checked : "", clen + 1);
    each_problem(report, NULL, NULL, counts);
    if (r->opt->json)
        emit_json(r, record, len, report, counts);
    else
        emit_text(r, record, len, report, counts);
    r->with_errors += counts[0] > 0;
    free(checked);
    free(report);
    return 0;
}

/* ---- The lookup ------------------------------------------------------------------------------ */

static int lint_answer(lint_run *r, const emauth_dns_answer *a)
{
    char pre[300];
    if (a->rcode == EMAUTH_DNS_SERVFAIL || a->rcode == EMAUTH_DNS_TIMEOUT) {
        cli_errorf("%s: DNS %s%s%s", r->name, emauth_dns_rcode_name(a->rcode),
                   a->why != NULL ? ": " : "", a->why != NULL ? a->why : "");
        return -1;
    }
    if (a->rcode != EMAUTH_DNS_OK || a->count == 0) {
        snprintf(pre, sizeof pre, "error no-record: no TXT record at %.253s (%s)\n", r->name,
                 emauth_dns_rcode_name(a->rcode));
        return report_record(r, NULL, 0, pre);
    }
    pre[0] = '\0';
    if (a->count > 1)
        snprintf(pre, sizeof pre, "error multiple-records: %zu TXT records at the name: "
                 "verifiers may take any of them (RFC 6376 section 3.6.2.2)\n", a->count);
    for (size_t i = 0; i < a->count; i++)
        if (report_record(r, a->rrs[i].u.txt.data, a->rrs[i].u.txt.len, pre) != 0)
            return -1;
    return 0;
}

static int lint(lint_run *r, emauth_resolver *resolver)
{
    emauth_dns_question q = {r->name, EMAUTH_DNS_TXT};
    emauth_dns_answer a;
    emauth_status st = resolver->query(resolver, &q, &a);
    if (st != EMAUTH_OK) {
        cli_errorf("%s: %s", r->name, emauth_status_str(st));
        return CLI_EXIT_USAGE;
    }
    int rc = lint_answer(r, &a);
    if (cli_out_flush(&r->out) != 0) {
        cli_errorf("error writing the report");
        return CLI_EXIT_USAGE;
    }
    if (rc != 0)
        return CLI_EXIT_USAGE;
    return r->with_errors > 0 ? CLI_EXIT_PROBLEMS : CLI_EXIT_OK;
}

/* ---- The command ------------------------------------------------------------------------- */

static int run_lint(lint_run *r, lint_opts *opt)
{
    size_t len = strlen(opt->selector) + strlen(opt->domain) + sizeof "._domainkey.";
    char *name = malloc(len);
    if (name == NULL) {
        cli_errorf("out of memory");
        return CLI_EXIT_USAGE;
    }
    snprintf(name, len, "%s._domainkey.%s", opt->selector, opt->domain);
    r->name = name;
    emauth_resolver *resolver = NULL;
    int rc = CLI_EXIT_OK;
    if (opt->key != NULL && (r->key = cli_dkim_load_key(opt->key)) == NULL)
        rc = CLI_EXIT_USAGE;
    if (rc == CLI_EXIT_OK && (resolver = cli_dns_resolver(&opt->dns)) == NULL)
        rc = CLI_EXIT_USAGE;
    if (rc == CLI_EXIT_OK)
        rc = lint(r, resolver);
    emauth_dkim_key_free(r->key);
    free(name);
    return rc;
}

int cli_dkim_lint(const cli_command *cmd, int argc, char **argv)
{
    lint_opts opt;
    memset(&opt, 0, sizeof opt);
    if (cli_dns_init(&opt.dns, argc) != 0) {
        cli_dns_free(&opt.dns);
        return CLI_EXIT_USAGE;
    }
    lint_run r = {.opt = &opt};
    cli_out_init(&r.out, stdout);
    int rc = parse_options(cmd, argc, argv, &opt);
    if (rc == CLI_EXIT_OK)
        rc = run_lint(&r, &opt);
    cli_out_free(&r.out);
    cli_dns_free(&opt.dns);
    return rc;
}
