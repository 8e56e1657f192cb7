/*
 * emauth spf flatten - a domain's include tree as ip4:/ip6: ranges in
 * records that stay within the limits, and the drift check of a set
 * flattened earlier (--check FILE).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/edit.h"

const char cli_spf_flatten_help[] =
    "Usage: emauth spf flatten DOMAIN [options]\n"
    "       emauth spf flatten --check FILE DOMAIN [options]\n"
    "\n"
    "Resolves the domain's SPF include tree into the ip4:/ip6: ranges it\n"
    "authorizes, merges adjacent and contained ranges, and prints records that\n"
    "authorize exactly the same addresses as master-file lines to publish:\n"
    "\n"
    "  - the ranges (a single address as ip4:a.b.c.d), then the record's own\n"
    "    '-', '~' and '?' ip4:/ip6: terms, then its final all (its qualifier\n"
    "    kept; ~all when it has none) and its exp=;\n"
    "  - when one record cannot hold them in a 512-byte UDP answer (counting the\n"
    "    other TXT records at the domain), the domain's record includes\n"
    "    _spf1.DOMAIN, which holds more and includes _spf2.DOMAIN, ...: at most\n"
    "    10 DNS lookups in all. Included records end without an all (a neutral\n"
    "    include does not match, and the domain's all decides). Strings are cut\n"
    "    at 255 bytes.\n"
    "\n"
    "Refused when the policy is not a plain union of ranges (a '-', '~' or '?'\n"
    "term before an overlapping '+' one, a term that depends on the sender, an\n"
    "error in the tree): flattening it would change what it means.\n"
    "\n"
    "Flattened records go stale when a provider changes its addresses. Keep the\n"
    "printed lines in a FILE and run --check FILE regularly: it loads the set\n"
    "from FILE, analyzes what it authorizes, and compares that with what the\n"
    "source record authorizes now, over live DNS or --zone. The source is\n"
    "--record, else the \"; source:\" comment flatten wrote in FILE, else the\n"
    "domain's record now (refused when that is the flattened record itself).\n"
    "\n"
    "Options:\n"
    "  --check FILE       compare the flattened set in FILE with the source now\n"
    "  --record RECORD    flatten this record as if published at DOMAIN; with\n"
    "                     --check, the record FILE was flattened from\n"
    "  --ttl SECONDS      TTL of the master-file lines (default 3600)\n"
    "  --json             one JSON object instead of text\n"
    CLI_DNS_HELP
    "  --help             this text\n"
    "\n"
    "Text output:\n"
    "  \"; source: RECORD\", \"; N ranges in N records, N DNS lookups (limit 10),\n"
    "  largest answer N bytes (limit 512)\", the warning that flattened records go\n"
    "  stale, then one master-file line per record, the domain's first. --check:\n"
    "  \"DOMAIN: no drift ...\" or \"DOMAIN: drift: N added, N removed ...\" and one\n"
    "  line per range, \"+ RANGE\" (authorized now, missing from the set) or\n"
    "  \"- RANGE\" (in the set, no longer authorized). A refusal is one line on\n"
    "  stderr, \"emauth: cannot flatten: why\" (or \"cannot check\").\n"
    "\n"
    "JSON output (--json), one object, fields in this order:\n"
    "  domain, record         the domain and the source record\n"
    "  lookups                the source record's DNS lookups over its tree\n"
    "  ranges                 the ranges it authorizes\n"
    "  records                [{\"owner\", \"record\", \"lookups\", \"ranges\",\n"
    "                         \"answer_size\"}], the domain's first\n"
    "  zone_lines             the master-file lines\n"
    "  publish_lookups        the DNS lookups of the flattened set\n"
    "  warning                that flattened records go stale\n"
    "  --check: domain, record, drift (true/false), added, removed (the\n"
    "  differences), ranges (the source's now), published (the set's)\n"
    "  refused, reason, column   null when done; else a code (no-record,\n"
    "                         multiple-records, syntax, dns-error, not-a-union,\n"
    "                         too-large, published-set, source-unknown), why, and\n"
    "                         for syntax the column\n"
    "\n"
    "Exit status: 0 when flattened (or no drift), 1 when refused (or drift),\n"
    "2 on a usage error, an unreadable zone file or FILE, or a failure to run.\n";

static const cli_option flatten_options[] = {
    {"check", 1, EDIT_CHECK},
    {"record", 1, EDIT_RECORD},
    {"ttl", 1, EDIT_TTL},
    {"json", 0, EDIT_JSON},
    CLI_DNS_OPTIONS,
    {NULL, 0, 0},
};

/* ---- Flatten ------------------------------------------------------------------------ */

static void json_flatten(cli_out *o, const emauth_spf_edit_result *r)
{
    cli_out_lit(o, "{\"domain\":");
    cli_out_json_cstr(o, r->domain);
    cli_out_json_key(o, "record");
    cli_out_json_cstr(o, r->record);
    cli_out_json_key(o, "lookups");
    cli_out_uint(o, r->lookups);
    edit_json_ranges(o, "ranges", r->ranges, r->nranges);
    edit_json_records(o, r);
    edit_json_zone_lines(o, r);
    cli_out_json_key(o, "publish_lookups");
    cli_out_uint(o, r->publish_lookups);
    char warning[EDIT_WARNING_MAX];
    edit_stale_warning(warning, sizeof warning, r->domain);
    cli_out_json_key(o, "warning");
    cli_out_json_cstr(o, r->refused ? NULL : warning);
    edit_json_end(o, r);
}

static int flatten(const cli_command *cmd, edit_opts *o, emauth_spf_editor *e,
                   const emauth_spf_edit_limits *limits)
{
    emauth_error err;
    emauth_error_clear(&err);
    const char *rec = o->record;
    if (emauth_spf_flatten_start(e, o->pos[0], rec, rec ? strlen(rec) : 0, limits, &err) !=
        EMAUTH_OK)
        return cli_usage_error(cmd, "%s%s", rec ? "--record: " : "", err.message);
    const emauth_spf_edit_result *r = edit_run(e, o);
    if (r == NULL)
        return CLI_EXIT_USAGE;
    cli_out out;
    cli_out_init(&out, stdout);
    if (o->json)
        json_flatten(&out, r);
    else if (r->refused == NULL)
        edit_text_flattened(&out, r, r->record);
    else
        edit_refusal("flatten", r);
    return edit_flush(&out, r->refused ? CLI_EXIT_PROBLEMS : CLI_EXIT_OK);
}

/* ---- Check ------------------------------------------------------------------------- */

#define SOURCE_PREFIX "; source: "
#define LINE_MAX_LEN 8192

/* The "; source: RECORD" comment flatten wrote in path, malloc'ed; NULL when none. */
static char *source_comment(const char *path)
{
    FILE *fp = fopen(path, "r");
    if (fp == NULL)
        return NULL;
    char line[LINE_MAX_LEN];
    char *found = NULL;
    while (found == NULL && fgets(line, sizeof line, fp) != NULL) {
        size_t n = strlen(line);
        int whole = n + 1 < sizeof line || line[n - 1] == '\n';
        if (!whole) {   /* too long for a record flatten wrote: skip the rest */
            int c;
            while ((c = fgetc(fp)) != EOF && c != '\n')
                ;
            continue;
        }
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (strncmp(line, SOURCE_PREFIX, sizeof SOURCE_PREFIX - 1) == 0)
            found = strdup(line + sizeof SOURCE_PREFIX - 1);
    }
    fclose(fp);
    return found;
}

static void warn_zone(void *arg, const char *msg)
{
    (void)arg;
    cli_warnf("%s", msg);
}

static emauth_zone *load_set(const char *path)
{
    emauth_zone *zone = emauth_zone_new();
    emauth_error err;
    emauth_error_clear(&err);
    if (zone == NULL) {
        cli_errorf("out of memory");
        return NULL;
    }
    emauth_zone_set_warn(zone, warn_zone, NULL);
    if (emauth_zone_load_file(zone, path, NULL, &err) != EMAUTH_OK) {
        cli_errorf("%s", err.message);
        emauth_zone_free(zone);
        return NULL;
    }
    return zone;
}

static void text_range_lines(cli_out *o, char sign, cli_colour colour, const emauth_cidr *v,
                             size_t n, const char *what)
{
    for (size_t i = 0; i < n; i++) {
        char buf[64];
        emauth_cidr_format(&v[i], buf, sizeof buf);
        cli_out_colour(o, colour);
        cli_out_char(o, sign);
        cli_out_colour(o, CLI_PLAIN);
        cli_out_char(o, ' ');
        cli_out_str(o, buf);
        for (size_t k = strlen(buf); k < 20; k++)
            cli_out_char(o, ' ');
        cli_out_lit(o, "  ");
        cli_out_str(o, what);
        cli_out_char(o, '\n');
    }
}

static void text_check(cli_out *o, const emauth_spf_edit_result *r)
{
    cli_out_str(o, r->domain);
    if (!r->drift) {
        cli_out_lit(o, ": no drift: the flattened set authorizes what the source does now (");
        cli_out_uint(o, r->nranges);
        cli_out_str(o, r->nranges == 1 ? " range)\n" : " ranges)\n");
    } else {
        cli_out_lit(o, ": drift since the set was flattened: ");
        cli_out_uint(o, r->ngained);
        cli_out_str(o, r->ngained == 1 ? " range added, " : " ranges added, ");
        cli_out_uint(o, r->nlost);
        cli_out_lit(o, " removed\n");
        text_range_lines(o, '+', CLI_GREEN, r->gained, r->ngained,
                         "authorized now, missing from the flattened set");
        text_range_lines(o, '-', CLI_RED, r->lost, r->nlost,
                         "in the flattened set, no longer authorized");
    }
    cli_out_lit(o, "; source: ");
    cli_out_ctext(o, r->record);
    cli_out_char(o, '\n');
}

static void json_check(cli_out *o, const emauth_spf_edit_result *r)
{
    cli_out_lit(o, "{\"domain\":");
    cli_out_json_cstr(o, r->domain);
    cli_out_json_key(o, "record");
    cli_out_json_cstr(o, r->record);
    cli_out_json_key(o, "drift");
    cli_out_str(o, r->drift ? "true" : "false");
    edit_json_ranges(o, "added", r->gained, r->ngained);
    edit_json_ranges(o, "removed", r->lost, r->nlost);
    edit_json_ranges(o, "ranges", r->ranges, r->nranges);
    edit_json_ranges(o, "published", r->previous, r->nprevious);
    edit_json_end(o, r);
}

static int check_report(const edit_opts *o, const emauth_spf_edit_result *r)
{
    cli_out out;
    cli_out_init(&out, stdout);
    if (o->json)
        json_check(&out, r);
    else if (r->refused == NULL)
        text_check(&out, r);
    else
        edit_refusal("check", r);
    return edit_flush(&out, r->refused || r->drift ? CLI_EXIT_PROBLEMS : CLI_EXIT_OK);
}

static int check(const cli_command *cmd, edit_opts *o, emauth_spf_editor *e,
                 const emauth_spf_edit_limits *limits)
{
    emauth_zone *set = load_set(o->check);
    if (set == NULL)
        return CLI_EXIT_USAGE;
    char *source = o->record ? strdup(o->record) : source_comment(o->check);
    if (o->record != NULL && source == NULL) {
        emauth_zone_free(set);
        cli_errorf("out of memory");
        return CLI_EXIT_USAGE;
    }
    emauth_error err;
    emauth_error_clear(&err);
    int rc;
    if (emauth_spf_flatten_check_start(e, o->pos[0], set, source, source ? strlen(source) : 0,
                                       limits, &err) != EMAUTH_OK) {
        rc = cli_usage_error(cmd, "%s%s", source ? "source record: " : "", err.message);
    } else {
        const emauth_spf_edit_result *r = edit_run(e, o);
        rc = r != NULL ? check_report(o, r) : CLI_EXIT_USAGE;
    }
    free(source);
    emauth_zone_free(set);
    return rc;
}

/* ---- The command ---------------------------------------------------------------------- */

int cli_spf_flatten(const cli_command *cmd, int argc, char **argv)
{
    edit_opts o;
    emauth_spf_editor *e = NULL;
    int rc = edit_parse(cmd, argc, argv, flatten_options, &o);
    if (rc == CLI_EXIT_OK && o.npos != 1)
        rc = cli_usage_error(cmd, "%s", o.npos == 0 ? "missing DOMAIN" : "one DOMAIN at a time");
    if (rc == CLI_EXIT_OK && emauth_spf_editor_new(&e) != EMAUTH_OK) {
        cli_errorf("out of memory");
        rc = CLI_EXIT_USAGE;
    }
    if (rc == CLI_EXIT_OK) {
        emauth_spf_edit_limits limits;
        edit_limits(&o, &limits);
        rc = o.check ? check(cmd, &o, e, &limits) : flatten(cmd, &o, e, &limits);
    }
    emauth_spf_editor_free(e);
    edit_free(&o);
    return rc;
}
