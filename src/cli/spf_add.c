/*
 * emauth spf add - merge terms (a provider's include:, an ip4: range) into a
 * domain's SPF record, within the lookup limit, and print what to publish.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/edit.h"

const char cli_spf_add_help[] =
    "Usage: emauth spf add DOMAIN TERM... [options]\n"
    "       emauth spf add --record RECORD [--domain DOMAIN] TERM... [options]\n"
    "\n"
    "Adds terms (a provider's include:, an ip4:/ip6: range, mx, ...) to the one\n"
    "SPF record a domain may publish (RFC 7208 section 3.2), and prints the merged\n"
    "record and the master-file line to publish.\n"
    "\n"
    "  - Each TERM is checked with the record parser; only mechanisms can be added.\n"
    "    Terms starting with '-' (\"-all\", \"-ip4:...\") are terms, not options.\n"
    "  - New terms go before the record's first all, else before its first\n"
    "    redirect= or exp=, else at the end; the rest of the record is kept as it\n"
    "    is (qualifiers, order, spacing). A term already present (the same\n"
    "    mechanism, qualifier, domain in any case and range) is not added again.\n"
    "    An all is added only to a record that has none.\n"
    "  - Without a record, the domain's is looked up. Several records, one that\n"
    "    does not parse, or a DNS failure: refused. No record at all: the new\n"
    "    record is \"v=spf1 TERM... ~all\", with mx first when the domain has MX\n"
    "    records.\n"
    "  - The merged record's DNS lookups are counted over its whole include tree;\n"
    "    over 10 it is refused, with the includes that cost most, unless\n"
    "    --flatten is given: then the merged record is flattened as `emauth spf\n"
    "    flatten` does, and the flattened records are printed instead.\n"
    "\n"
    "Options:\n"
    "  --record RECORD    add to this record instead of the published one\n"
    "  --domain DOMAIN    with --record: where it is published (for a and mx,\n"
    "                     and the master-file line; without it there is none)\n"
    "  --flatten          over the lookup limit, flatten instead of refusing\n"
    "  --ttl SECONDS      TTL of the master-file lines (default 3600)\n"
    "  --json             one JSON object instead of text\n"
    CLI_DNS_HELP
    "  --help             this text\n"
    "\n"
    "Text output:\n"
    "  The merged record on the first line; then comments: \"; added: ...\",\n"
    "  \"; already present: ...\", \"; DNS lookups: N (limit 10)\", warnings (errors\n"
    "  the analyzer found in the merged record, an answer over 512 bytes); then\n"
    "  the line to publish, DOMAIN. TTL IN TXT \"...\" in strings of at most 255\n"
    "  bytes. With --flatten over the limit, the flattened set follows instead\n"
    "  (see `emauth spf flatten --help`). A refusal is one line on stderr,\n"
    "  \"emauth: cannot add: why\", with the record and a caret for a syntax error.\n"
    "\n"
    "JSON output (--json), one object, fields in this order:\n"
    "  domain                 the domain (null for --record without --domain)\n"
    "  record                 the merged record (null when refused before merging)\n"
    "  lookups                its DNS lookups over the whole tree\n"
    "  added, skipped         the terms added, and those already present, as given\n"
    "  zone_lines             the master-file lines to publish\n"
    "  previous               the record before (null when there was none)\n"
    "  flattened              true when zone_lines are a flattened set\n"
    "  ranges                 flattened: the ranges the set authorizes\n"
    "  warnings               [\"code: message\", ...]\n"
    "  refused, reason, column   null when done; else a code (multiple-records,\n"
    "                         syntax, dns-error, conflicting-all, too-many-lookups,\n"
    "                         not-a-union, too-large), why, and for syntax the column\n"
    "\n"
    "Exit status: 0 when merged, 1 when refused, 2 on a usage error (a bad\n"
    "TERM, a bad --record), an unreadable zone file or a failure to run.\n";

static const cli_option add_options[] = {
    {"record", 1, EDIT_RECORD},
    {"domain", 1, EDIT_DOMAIN},
    {"flatten", 0, EDIT_FLATTEN},
    {"ttl", 1, EDIT_TTL},
    {"json", 0, EDIT_JSON},
    CLI_DNS_OPTIONS,
    {NULL, 0, 0},
};

/* DOMAIN and the terms from the arguments; CLI_EXIT_OK or after a usage error. */
static int request(const cli_command *cmd, const edit_opts *o, emauth_spf_add_request *req)
{
    memset(req, 0, sizeof *req);
    req->flatten = o->flatten;
    req->terms = o->pos;
    req->nterms = o->npos;
    if (o->record != NULL) {
        req->record = o->record;
        req->record_len = strlen(o->record);
        req->domain = o->domain;
    } else {
        if (o->domain != NULL)
            return cli_usage_error(cmd, "--domain goes with --record "
                                        "(give DOMAIN first otherwise)");
        if (o->npos == 0)
            return cli_usage_error(cmd, "missing DOMAIN and TERM");
        req->domain = o->pos[0];
        req->terms++;
        req->nterms--;
    }
    if (req->nterms == 0)
        return cli_usage_error(cmd, "missing TERM to add");
    if (req->flatten && req->domain == NULL)
        return cli_usage_error(cmd, "--flatten needs the domain (--domain with --record)");
    return CLI_EXIT_OK;
}

static void text_lookups(cli_out *o, const emauth_spf_edit_result *r)
{
    cli_out_lit(o, "; DNS lookups: ");
    cli_out_uint(o, r->lookups);
    if (r->flattened)
        cli_out_lit(o, ", over the limit of 10: flattened (--flatten)\n");
    else
        cli_out_lit(o, " (limit 10)\n");
}

static void text_add(cli_out *o, const emauth_spf_edit_result *r)
{
    cli_out_ctext(o, r->merged);
    cli_out_char(o, '\n');
    edit_text_list(o, "added", r->added, r->nadded);
    edit_text_list(o, "already present", r->skipped, r->nskipped);
    text_lookups(o, r);
    for (size_t i = 0; i < r->nwarnings; i++) {
        cli_out_colour(o, CLI_YELLOW);
        cli_out_lit(o, "; warning: ");
        cli_out_ctext(o, r->warnings[i]);
        cli_out_colour(o, CLI_PLAIN);
        cli_out_char(o, '\n');
    }
    if (r->flattened)
        edit_text_flattened(o, r, r->merged);
    else if (r->domain == NULL)
        cli_out_lit(o, "; no master-file line without a domain (--domain)\n");
    else
        edit_text_zone_lines(o, r);
}

static void json_add(cli_out *o, const emauth_spf_edit_result *r)
{
    cli_out_lit(o, "{\"domain\":");
    cli_out_json_cstr(o, r->domain);
    cli_out_json_key(o, "record");
    cli_out_json_cstr(o, r->merged);
    cli_out_json_key(o, "lookups");
    cli_out_uint(o, r->lookups);
    edit_json_strings(o, "added", r->added, r->nadded);
    edit_json_strings(o, "skipped", r->skipped, r->nskipped);
    edit_json_zone_lines(o, r);
    cli_out_json_key(o, "previous");
    cli_out_json_cstr(o, r->record);
    cli_out_json_key(o, "flattened");
    cli_out_str(o, r->flattened ? "true" : "false");
    edit_json_ranges(o, "ranges", r->ranges, r->nranges);
    edit_json_strings(o, "warnings", r->warnings, r->nwarnings);
    edit_json_end(o, r);
}

static int add(const cli_command *cmd, edit_opts *o, emauth_spf_editor *e)
{
    emauth_spf_add_request req;
    emauth_spf_edit_limits limits;
    int rc = request(cmd, o, &req);
    if (rc != CLI_EXIT_OK)
        return rc;
    edit_limits(o, &limits);
    req.limits = &limits;
    emauth_error err;
    emauth_error_clear(&err);
    if (emauth_spf_add_start(e, &req, &err) != EMAUTH_OK) {
        int in_record = req.record != NULL && strncmp(err.message, "bad term", 8) != 0 &&
                        err.status == EMAUTH_ERR_SYNTAX;
        return cli_usage_error(cmd, "%s%s", in_record ? "--record: " : "", err.message);
    }
    const emauth_spf_edit_result *r = edit_run(e, o);
    if (r == NULL)
        return CLI_EXIT_USAGE;
    cli_out out;
    cli_out_init(&out, stdout);
    if (o->json)
        json_add(&out, r);
    else if (r->refused == NULL)
        text_add(&out, r);
    else
        edit_refusal("add", r);
    return edit_flush(&out, r->refused ? CLI_EXIT_PROBLEMS : CLI_EXIT_OK);
}

int cli_spf_add(const cli_command *cmd, int argc, char **argv)
{
    edit_opts o;
    emauth_spf_editor *e = NULL;
    int rc = edit_parse(cmd, argc, argv, add_options, &o);
    if (rc == CLI_EXIT_OK && emauth_spf_editor_new(&e) != EMAUTH_OK) {
        cli_errorf("out of memory");
        rc = CLI_EXIT_USAGE;
    }
    if (rc == CLI_EXIT_OK)
        rc = add(cmd, &o, e);
    emauth_spf_editor_free(e);
    edit_free(&o);
    return rc;
}
