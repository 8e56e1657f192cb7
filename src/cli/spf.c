/*
 * emauth spf check - evaluate SPF for one query (--ip ...) or a batch,
 * over a zone file (--zone) or live DNS.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/dns.h"
#include "cli/spf_check.h"
#include "util/error.h"

const char cli_spf_check_help[] =
    "Usage: emauth spf check --ip IP [--mail-from ADDR] [--helo NAME] [options]\n"
    "       emauth spf check --batch FILE [options]\n"
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
    "                     it to load several files into one zone); without it, DNS\n"
    "                     is live (c-ares), from /etc/resolv.conf or --nameserver\n"
    "  --nameserver ADDR[:PORT]\n"
    "                     ask this server (repeatable; [IPV6]:PORT for IPv6)\n"
    "  --timeout MS       live DNS: wait this long per try (default 2000)\n"
    "  --tries N          live DNS: tries per server (default 2)\n"
    "  --concurrency N    live DNS: checks in flight at once (default 200)\n"
    "  --no-cache         live DNS: do not cache answers (every question is sent)\n"
    "  --stats            live DNS: print DNS counters and latencies on stderr\n"
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

enum {
    OPT_IP = 1, OPT_MAIL_FROM, OPT_HELO, OPT_RECEIVER, OPT_ZONE, OPT_BATCH,
    OPT_JSON, OPT_HEADER, OPT_TRACE, OPT_DEFAULT_EXP, OPT_NAMESERVER, OPT_TIMEOUT, OPT_TRIES,
    OPT_CONCURRENCY, OPT_STATS, OPT_NO_CACHE
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
    {"nameserver", 1, OPT_NAMESERVER},
    {"timeout", 1, OPT_TIMEOUT},
    {"tries", 1, OPT_TRIES},
    {"concurrency", 1, OPT_CONCURRENCY},
    {"stats", 0, OPT_STATS},
    {"no-cache", 0, OPT_NO_CACHE},
    {NULL, 0, 0},
};

/* ---- Options ---------------------------------------------------------------- */

static int parse_options(const cli_command *cmd, int argc, char **argv, spf_opts *opt)
{
    cli_args args = {cmd, argc, argv, 0};
    const char *value;
    int id;
    opt->timeout_ms = 2000;
    opt->tries = 2;
    opt->concurrency = 200;
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
        case OPT_NAMESERVER: opt->nameservers[opt->nnameservers++] = value; break;
        case OPT_TIMEOUT: id = cli_number(cmd, "timeout", value, 1, 600000, &opt->timeout_ms); break;
        case OPT_TRIES: id = cli_number(cmd, "tries", value, 1, 20, &opt->tries); break;
        case OPT_CONCURRENCY:
            id = cli_number(cmd, "concurrency", value, 1, 100000, &opt->concurrency);
            break;
        case OPT_STATS: opt->stats = 1; break;
        case OPT_NO_CACHE: opt->no_cache = 1; break;
        }
        if (id < 0)
            break;
    }
    if (id < 0)
        return CLI_EXIT_USAGE;
    if (opt->batch != NULL && (opt->ip || opt->mail_from || opt->helo))
        return cli_usage_error(cmd, "--batch replaces --ip, --mail-from and --helo");
    if (opt->batch == NULL && opt->ip == NULL)
        return cli_usage_error(cmd, "--ip IP or --batch FILE is required");
    if (opt->nzones > 0 && opt->nnameservers > 0)
        return cli_usage_error(cmd, "--zone and --nameserver exclude each other");
    return spf_set_receiver(cmd, opt);
}

/* ---- Single query ---------------------------------------------------------------- */

static int run_single(const spf_opts *opt, spf_worker *w)
{
    const char *mail_from = opt->mail_from ? opt->mail_from : "";
    const char *helo = opt->helo ? opt->helo : "";
    spf_query q = {0, opt->ip, mail_from, helo,
                   strlen(opt->ip), strlen(mail_from), strlen(helo)};
    emauth_spf_request req;
    const char *why = spf_evaluate(w, &q, &req);
    if (why != NULL) {
        cli_errorf("%s", why);
        return CLI_EXIT_USAGE;
    }
    cli_out out;
    cli_out_init(&out, stdout);
    w->out = &out;
    spf_emit(w, &q, &req, emauth_spf_eval_result(w->ev), NULL);
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
    opt.nameservers = calloc((size_t)argc + 1, sizeof *opt.nameservers);
    int rc = opt.zones && opt.nameservers ? parse_options(cmd, argc, argv, &opt) : CLI_EXIT_USAGE;
    if (opt.zones == NULL || opt.nameservers == NULL)
        cli_errorf("out of memory");
    if (rc != CLI_EXIT_OK || opt.nzones == 0) {
        if (rc == CLI_EXIT_OK)
            rc = spf_run_live(&opt);
        free(opt.zones);
        free(opt.nameservers);
        return rc;
    }
    spf_worker w;
    spf_worker_init(&w, &opt);
    /* The zone is loaded up front so its errors and warnings come first. */
    w.zone = cli_load_zones(opt.zones, opt.nzones);
    w.owns_zone = 1;
    if (w.zone == NULL) {
        rc = CLI_EXIT_USAGE;
    } else if (spf_worker_setup(&w) != 0) {
        cli_errorf("%s", w.why);
        rc = CLI_EXIT_USAGE;
    } else if (opt.batch != NULL) {
        rc = spf_run_batch(&opt, &w);
    } else {
        rc = run_single(&opt, &w);
    }
    spf_worker_free(&w);
    free(opt.zones);
    free(opt.nameservers);
    return rc;
}
