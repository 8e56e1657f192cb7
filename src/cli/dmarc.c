/*
 * emauth dmarc lint - the DMARC checker (emauth/dmarc.h) for domain
 * owners: the record that applies to each domain and its problems.
 */
#include <stdlib.h>
#include <string.h>

#include <emauth/emauth.h>
#include "cli/cli.h"
#include "cli/dns.h"
#include "cli/lint_output.h"
#include "cli/output.h"

const char cli_dmarc_lint_help[] =
    "Usage: emauth dmarc lint DOMAIN... [options]\n"
    "\n"
    "Finds the DMARC policy record that applies to each DOMAIN (its own at\n"
    "_dmarc.DOMAIN, or its organizational domain's) and checks it: the syntax,\n"
    "v=DMARC1 first, p=, the rua=/ruf= destinations (an address in another\n"
    "domain must be authorized by DOMAIN._report._dmarc.DESTINATION), tags that\n"
    "RFC 9989 removed, and the policy's strength.\n"
    "\n"
    "Options:\n"
    "  --dmarc-mode 9989|7489\n"
    "                     RFC 9989 (DNS tree walk, the default) or RFC 7489\n"
    "                     (Public Suffix List; pct, rf, ri are valid)\n"
    "  --json             one JSON object per domain per line\n"
    CLI_DNS_HELP
    "  --help             this text\n"
    "\n"
    "Text output, per domain: the policy and organizational domains, the\n"
    "record, each problem as \"SEVERITY code: message\" with the record and a\n"
    "caret under the tag, then a summary line (\"valid\", or the counts).\n"
    "\n"
    "Problem codes (docs/check.md): no-record, multiple-records, syntax,\n"
    "missing-p, policy-none, removed-tag, invalid-uri, rua-external-unauthorized,\n"
    "testing, pct-partial, inherited, dns-error.\n"
    "\n"
    "JSON output (--json), one object per domain, fields in this order:\n"
    "  domain, policy_domain, org_domain, record   (null when there is none)\n"
    "  valid        no problem of severity error\n"
    "  problems     [{\"code\",\"severity\",\"message\",\"domain\",\"term\",\"column\"}]\n"
    "\n"
    "Exit status: 0 when no domain has an error, 1 when one has, 2 on a usage\n"
    "error or an unreadable zone file.\n";

int cli_dmarc_mode(const cli_command *cmd, const char *value)
{
    if (strcmp(value, "9989") == 0)
        return EMAUTH_DMARC_9989;
    if (strcmp(value, "7489") == 0)
        return EMAUTH_DMARC_7489;
    cli_usage_error(cmd, "--dmarc-mode is 9989 or 7489, not \"%.40s\"", value);
    return -1;
}

enum { OPT_JSON = 1, OPT_MODE };

static const cli_option lint_options[] = {
    {"json", 0, OPT_JSON},
    {"dmarc-mode", 1, OPT_MODE},
    CLI_DNS_OPTIONS,
    {NULL, 0, 0},
};

typedef struct lint_opts {
    const char **domains;
    size_t ndomains;
    int json;
    emauth_dmarc_mode mode;
    cli_dns dns;
} lint_opts;

static int take_arg(const cli_command *cmd, lint_opts *opt, int id, const char *value)
{
    int mode;
    char q[CLI_QUOTE_MAX];
    switch (id) {
    case CLI_POSITIONAL:
        if (cli_bad_domain(value) != NULL)
            return cli_usage_error(cmd, "\"%s\" is not a domain name", cli_quote(q, value)), -1;
        opt->domains[opt->ndomains++] = value;
        return 0;
    case OPT_JSON: opt->json = 1; return 0;
    case OPT_MODE:
        if ((mode = cli_dmarc_mode(cmd, value)) < 0)
            return -1;
        opt->mode = mode == EMAUTH_DMARC_7489 ? EMAUTH_DMARC_7489 : EMAUTH_DMARC_9989;
        return 0;
    default: return cli_dns_option(&opt->dns, cmd, id, value) < 0 ? -1 : 0;
    }
}

static int parse_options(const cli_command *cmd, int argc, char **argv, lint_opts *opt)
{
    cli_args args = {cmd, argc, argv, 0};
    const char *value;
    int id, rest = 0;
    while ((id = cli_next_arg(&args, lint_options, &value, &rest)) > 0)
        if (take_arg(cmd, opt, id, value) != 0)
            return CLI_EXIT_USAGE;
    if (id < 0)
        return CLI_EXIT_USAGE;
    if (opt->ndomains == 0)
        return cli_usage_error(cmd, "a DOMAIN is required");
    return cli_dns_check(&opt->dns, cmd);
}

/* ---- Problems, written as the SPF analyzer's are -------------------------------------- */

static void text_problems(cli_out *o, const emauth_dmarc_report *r)
{
    for (size_t i = 0; i < r->nproblems; i++)
        lint_emit_problem_text(o, &r->problems[i]);
}

static void json_problems(cli_out *o, const emauth_dmarc_report *r)
{
    lint_emit_problems_json(o, r->problems, r->nproblems);
}

/* ---- Output ------------------------------------------------------------------------------ */

static void json_report(cli_out *o, const emauth_dmarc_report *r)
{
    cli_out_lit(o, "{\"domain\":");
    cli_out_json_cstr(o, r->domain);
    cli_out_json_key(o, "policy_domain");
    cli_out_json_cstr(o, r->policy_domain);
    cli_out_json_key(o, "org_domain");
    cli_out_json_cstr(o, r->org_domain);
    cli_out_json_key(o, "record");
    cli_out_json_cstr(o, r->record);
    cli_out_json_key(o, "valid");
    if (r->valid)
        cli_out_lit(o, "true");
    else
        cli_out_lit(o, "false");
    cli_out_json_key(o, "problems");
    json_problems(o, r);
    cli_out_lit(o, "}\n");
}

/* "1 error" / "2 warnings". */
static void text_count(cli_out *o, unsigned n, const char *what)
{
    cli_out_uint(o, n);
    cli_out_char(o, ' ');
    cli_out_str(o, what);
    if (n != 1)
        cli_out_char(o, 's');
}

/* "valid", "valid, 1 warning", "2 errors, 0 warnings"; info notes are not counted. */
static void text_summary(cli_out *o, const emauth_dmarc_report *r)
{
    unsigned counts[3];
    lint_count(r->problems, r->nproblems, counts);
    if (counts[EMAUTH_LINT_ERROR] == 0) {
        cli_out_colour(o, CLI_GREEN);
        cli_out_lit(o, "valid");
        cli_out_colour(o, CLI_PLAIN);
    } else {
        cli_out_colour(o, CLI_RED);
        text_count(o, counts[EMAUTH_LINT_ERROR], "error");
        cli_out_colour(o, CLI_PLAIN);
    }
    if (counts[EMAUTH_LINT_ERROR] > 0 || counts[EMAUTH_LINT_WARNING] > 0) {
        cli_out_lit(o, ", ");
        text_count(o, counts[EMAUTH_LINT_WARNING], "warning");
    }
    cli_out_char(o, '\n');
}

static void text_line(cli_out *o, const char *label, const char *value, const char *absent)
{
    cli_out_str(o, label);
    cli_out_ctext(o, value != NULL ? value : absent);
    cli_out_char(o, '\n');
}

static void text_report(cli_out *o, const emauth_dmarc_report *r)
{
    text_line(o, "DMARC lint of ", r->domain, "?");
    text_line(o, "policy domain: ", r->policy_domain, "(none)");
    text_line(o, "organizational domain: ", r->org_domain, "(unknown)");
    text_line(o, "record: ", r->record, "(none)");
    cli_out_char(o, '\n');
    text_problems(o, r);
    if (r->nproblems > 0)
        cli_out_char(o, '\n');
    text_summary(o, r);
}

/* ---- The command ------------------------------------------------------------------------ */

/* Checks one domain and writes its report; an exit code (1 when it has errors). */
static int lint_one(emauth_dmarc_check *c, const lint_opts *opt, const char *domain,
                    emauth_resolver *resolver, cli_out *o)
{
    emauth_error err;
    emauth_error_clear(&err);
    emauth_status st = emauth_dmarc_check_start(c, domain, opt->mode, &err);
    if (st == EMAUTH_OK)
        st = emauth_dmarc_check_run(c, resolver);
    const emauth_dmarc_report *r = st == EMAUTH_OK ? emauth_dmarc_check_report(c) : NULL;
    if (r == NULL) {
        cli_errorf("%s: %s", domain, err.message[0] != '\0' ? err.message : emauth_status_str(st));
        return CLI_EXIT_USAGE;
    }
    if (opt->json)
        json_report(o, r);
    else
        text_report(o, r);
    return r->valid ? CLI_EXIT_OK : CLI_EXIT_PROBLEMS;
}

static int lint_all(const lint_opts *opt, emauth_resolver *resolver)
{
    emauth_dmarc_check *c = NULL;
    if (emauth_dmarc_check_new(&c) != EMAUTH_OK) {
        cli_errorf("out of memory");
        return CLI_EXIT_USAGE;
    }
    cli_out o;
    cli_out_init(&o, stdout);
    int rc = CLI_EXIT_OK;
    for (size_t i = 0; i < opt->ndomains && rc != CLI_EXIT_USAGE; i++) {
        if (i > 0 && !opt->json)
            cli_out_char(&o, '\n');
        int one = lint_one(c, opt, opt->domains[i], resolver, &o);
        rc = one > rc ? one : rc;
    }
    if (cli_out_flush(&o) != 0) {
        cli_errorf("error writing the reports");
        rc = CLI_EXIT_USAGE;
    }
    cli_out_free(&o);
    emauth_dmarc_check_free(c);
    return rc;
}

int cli_dmarc_lint(const cli_command *cmd, int argc, char **argv)
{
    lint_opts opt;
    memset(&opt, 0, sizeof opt);
    opt.domains = calloc((size_t)argc + 1, sizeof *opt.domains);
    int rc = opt.domains != NULL && cli_dns_init(&opt.dns, argc) == 0
                 ? parse_options(cmd, argc, argv, &opt)
                 : CLI_EXIT_USAGE;
    emauth_resolver *resolver = NULL;
    if (rc == CLI_EXIT_OK && (resolver = cli_dns_resolver(&opt.dns)) == NULL)
        rc = CLI_EXIT_USAGE;
    if (rc == CLI_EXIT_OK)
        rc = lint_all(&opt, resolver);
    cli_dns_free(&opt.dns);
    free(opt.domains);
    return rc;
}
