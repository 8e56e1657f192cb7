/*
 * emauth spf lint - the SPF analyzer (emauth/spf_lint.h) on a domain, on a
 * record given on the command line, or on every domain of a zone that
 * publishes an SPF-looking record; text for people or JSON Lines.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/dns.h"
#include "cli/lint_output.h"

const char cli_spf_lint_help[] =
    "Usage: emauth spf lint DOMAIN... [options]\n"
    "       emauth spf lint --record 'v=spf1 ...' [--domain DOMAIN] [options]\n"
    "       emauth spf lint --zone FILE [options]\n"
    "\n"
    "Analyzes SPF records (RFC 7208): the whole include/redirect tree, past the\n"
    "10-lookup limit too, with each record's own DNS-lookup cost and the running\n"
    "total, the void lookups and the terms that caused them, the address ranges\n"
    "each record authorizes, terms that depend on the sender; and the problems,\n"
    "each with a stable code, a severity (error: the record yields permerror, or\n"
    "will for some senders; warning: legal but risky; info) and where it is.\n"
    "\n"
    "With --zone and no DOMAIN, every name of the zone that has an SPF-looking\n"
    "record (a TXT record starting with \"v=spf\" or \"spf\", or an SPF-type\n"
    "record) is analyzed, one report after the other, in zone order.\n"
    "\n"
    "Options:\n"
    "  --record RECORD    analyze this record instead of a published one;\n"
    "                     includes and the like are still looked up\n"
    "  --domain DOMAIN    with --record: analyze it as if published at DOMAIN\n"
    "                     (without it, a and mx with no domain are skipped)\n"
    "  --json             one JSON object per report per line\n"
    CLI_DNS_HELP
    "  --help             this text\n"
    "\n"
    "Text output:\n"
    "  A title line; the tree (\"|-- \" and \"`-- \"), each record under the\n"
    "  domain or the include:/redirect= term that reaches it, with \"N lookups,\n"
    "  total T\" (its own cost, and the running total after it), its record, its\n"
    "  void lookups, its first ranges; then the problems, \"SEVERITY code: message\"\n"
    "  with the domain and record and a caret under the offending term; then\n"
    "  \"N DNS lookups (limit 10), N void lookups (limit 2): valid\" (or \"N errors,\n"
    "  N warnings\"). Colours only on a terminal, and not with NO_COLOR set.\n"
    "\n"
    "JSON output (--json), one object per report, fields in this order:\n"
    "  domain, record         the domain (null for --record without --domain)\n"
    "                         and its record (null when there is none)\n"
    "  valid                  true when there is no problem of severity error\n"
    "  dns_lookups, void_lookups   over the whole tree\n"
    "  tree                   {\"domain\", \"record\", \"via\" (the include:/redirect=\n"
    "                         term, null at the root), \"lookups\", \"total\",\n"
    "                         \"subtree\", \"voids\": [{\"term\", \"column\", \"name\"}],\n"
    "                         \"ranges\": [\"192.0.2.0/24\", ...], \"dynamic\", \"loop\",\n"
    "                         \"children\": [...]}\n"
    "  problems               [{\"code\", \"severity\", \"message\", \"domain\", \"term\",\n"
    "                         \"column\"}], errors first; absent values are null\n"
    "\n"
    "Problem codes: no-record, multiple-records, syntax, too-many-lookups,\n"
    "void-lookups, include-loop, include-no-record, include-permerror,\n"
    "mx-too-many, ptr-deprecated, permissive-all, no-all, all-not-last,\n"
    "redirect-ignored, duplicate-term, redundant-ip, ip-host-bits,\n"
    "string-too-long, answer-too-large, spf-rr-type, unknown-modifier,\n"
    "exp-problem, bad-version, dns-error, dynamic-term, tree-cut.\n"
    "\n"
    "Exit status: 0 when no report has an error, 1 when one has, 2 on a usage\n"
    "error, an unreadable or invalid zone file, or a domain that could not be\n"
    "analyzed.\n";

enum { OPT_RECORD = 1, OPT_DOMAIN, OPT_JSON };

static const cli_option lint_options[] = {
    {"record", 1, OPT_RECORD},
    {"domain", 1, OPT_DOMAIN},
    {"json", 0, OPT_JSON},
    CLI_DNS_OPTIONS,
    {NULL, 0, 0},
};

typedef struct lint_opts {
    const char *record, *domain;
    const char **names;          /* the DOMAIN arguments */
    size_t nnames;
    int json;
    cli_dns dns;
} lint_opts;

typedef struct lint_run {
    const lint_opts *opt;
    emauth_spf_lint *lint;
    emauth_resolver *resolver;
    cli_out out;
    unsigned long reports;       /* written */
    unsigned long with_errors;   /* reports with a problem of severity error */
    unsigned long failed;        /* domains that could not be analyzed */
} lint_run;

/* ---- Options --------------------------------------------------------------------- */

static int parse_options(const cli_command *cmd, int argc, char **argv, lint_opts *opt)
{
    cli_args args = {cmd, argc, argv, 0};
    const char *value;
    int id, rest = 0;
    while ((id = cli_next_arg(&args, lint_options, &value, &rest)) > 0) {
        switch (id) {
        case CLI_POSITIONAL: opt->names[opt->nnames++] = value; break;
        case OPT_RECORD: opt->record = value; break;
        case OPT_DOMAIN: opt->domain = value; break;
        case OPT_JSON: opt->json = 1; break;
        default: id = cli_dns_option(&opt->dns, cmd, id, value) < 0 ? -1 : id; break;
        }
        if (id < 0)
            return CLI_EXIT_USAGE;
    }
    if (id < 0)
        return CLI_EXIT_USAGE;
    if (opt->record != NULL && opt->nnames > 0)
        return cli_usage_error(cmd, "give DOMAIN or --record, not both");
    if (opt->domain != NULL && opt->record == NULL)
        return cli_usage_error(cmd, "--domain goes with --record (give DOMAIN alone otherwise)");
    if (opt->record == NULL && opt->nnames == 0 && opt->dns.nzones == 0)
        return cli_usage_error(cmd, "missing DOMAIN (or --record, or --zone to lint a whole zone)");
    char q[CLI_QUOTE_MAX];
    for (size_t i = 0; i < opt->nnames; i++)
        if (cli_bad_domain(opt->names[i]) != NULL)
            return cli_usage_error(cmd, "not a domain name: \"%s\"", cli_quote(q, opt->names[i]));
    if (opt->domain != NULL && cli_bad_domain(opt->domain) != NULL)
        return cli_usage_error(cmd, "--domain: not a domain name: \"%s\"", cli_quote(q, opt->domain));
    return cli_dns_check(&opt->dns, cmd);
}

/* ---- Reports ------------------------------------------------------------------------ */

/* Analyzes one domain, or the --record, and writes its report. */
static void lint_one(lint_run *r, const char *domain, const char *record)
{
    emauth_error err;
    emauth_error_clear(&err);
    emauth_status st = emauth_spf_lint_start(r->lint, domain, record,
                                             record != NULL ? strlen(record) : 0, &err);
    if (st == EMAUTH_OK)
        st = emauth_spf_lint_run(r->lint, r->resolver);
    const emauth_lint_report *rep = st == EMAUTH_OK ? emauth_spf_lint_report(r->lint) : NULL;
    if (rep == NULL) {
        cli_errorf("%s: %s", domain != NULL ? domain : "--record",
                   err.message[0] != '\0' ? err.message : emauth_status_str(st));
        r->failed++;
        return;
    }
    if (!r->opt->json && r->reports > 0)
        cli_out_char(&r->out, '\n');
    if (r->opt->json)
        lint_emit_json(&r->out, rep);
    else
        lint_emit_text(&r->out, rep);
    r->reports++;
    r->with_errors += !rep->valid;
    cli_out_flush(&r->out);
}

/* 1 when text (n bytes) starts with "v=spf" or "spf", any case, after blanks. */
static int spf_looking(const char *text, size_t n)
{
    while (n > 0 && (*text == ' ' || *text == '\t')) {
        text++;
        n--;
    }
    return (n >= 5 && strncasecmp(text, "v=spf", 5) == 0) ||
           (n >= 3 && strncasecmp(text, "spf", 3) == 0);
}

/* 1 when name itself (not a CNAME it points to) has an SPF-looking record. */
static int has_spf(emauth_zone *zone, const char *name)
{
    static const uint16_t types[] = {EMAUTH_DNS_TXT, EMAUTH_DNS_SPF};
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        emauth_dns_question q = {name, types[t]};
        emauth_dns_answer a;
        if (emauth_zone_query(zone, &q, &a) != EMAUTH_OK || a.rcode != EMAUTH_DNS_OK ||
            a.cname_count > 0)
            continue;
        for (size_t i = 0; i < a.count; i++)
            if (types[t] == EMAUTH_DNS_SPF || spf_looking(a.rrs[i].u.txt.data, a.rrs[i].u.txt.len))
                return 1;
    }
    return 0;
}

static void lint_zone_name(void *arg, const char *name)
{
    lint_run *r = arg;
    if (has_spf(r->opt->dns.zone, name))
        lint_one(r, name, NULL);
}

static void lint_zone(lint_run *r)
{
    emauth_zone_foreach_name(r->opt->dns.zone, lint_zone_name, r);
    if (r->opt->json)
        return;
    if (r->reports > 0)
        cli_out_char(&r->out, '\n');
    cli_out_str(&r->out, "zone: ");
    cli_out_uint(&r->out, r->reports);
    cli_out_str(&r->out, r->reports == 1 ? " domain" : " domains");
    cli_out_str(&r->out, " with SPF records, ");
    cli_out_uint(&r->out, r->with_errors);
    cli_out_str(&r->out, " with errors\n");
}

static int lint_all(lint_run *r)
{
    const lint_opts *opt = r->opt;
    if (opt->record != NULL)
        lint_one(r, opt->domain, opt->record);
    else if (opt->nnames == 0)
        lint_zone(r);
    for (size_t i = 0; i < opt->nnames; i++)
        lint_one(r, opt->names[i], NULL);
    if (cli_out_flush(&r->out) != 0) {
        cli_errorf("error writing the report");
        return CLI_EXIT_USAGE;
    }
    if (r->failed > 0)
        return CLI_EXIT_USAGE;
    return r->with_errors > 0 ? CLI_EXIT_PROBLEMS : CLI_EXIT_OK;
}

int cli_spf_lint(const cli_command *cmd, int argc, char **argv)
{
    lint_opts opt;
    memset(&opt, 0, sizeof opt);
    opt.names = calloc((size_t)argc + 1, sizeof *opt.names);
    if (opt.names == NULL || cli_dns_init(&opt.dns, argc) != 0) {
        if (opt.names == NULL)
            cli_errorf("out of memory");
        cli_dns_free(&opt.dns);
        free(opt.names);
        return CLI_EXIT_USAGE;
    }
    lint_run r = {.opt = &opt};
    cli_out_init(&r.out, stdout);
    int rc = parse_options(cmd, argc, argv, &opt);
    if (rc == CLI_EXIT_OK && (r.resolver = cli_dns_resolver(&opt.dns)) == NULL)
        rc = CLI_EXIT_USAGE;
    if (rc == CLI_EXIT_OK && emauth_spf_lint_new(&r.lint) != EMAUTH_OK) {
        cli_errorf("out of memory");
        rc = CLI_EXIT_USAGE;
    }
    if (rc == CLI_EXIT_OK)
        rc = lint_all(&r);
    emauth_spf_lint_free(r.lint);
    cli_out_free(&r.out);
    cli_dns_free(&opt.dns);
    free(opt.names);
    return rc;
}
