/*
 * emauth dkim verify - every DKIM-Signature of a message read from
 * standard input (streamed: constant memory), one result per signature.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/dkim.h"
#include "cli/dns.h"
#include "cli/output.h"

const char cli_dkim_verify_help[] =
    "Usage: emauth dkim verify [options] < MESSAGE\n"
    "\n"
    "Verifies every DKIM-Signature field of the message on standard input\n"
    "(RFC 6376, RFC 8301, RFC 8463: rsa-sha256 and ed25519-sha256; rsa-sha1 is\n"
    "refused by policy), fetching each key record (TXT at\n"
    "SELECTOR._domainkey.DOMAIN). Lines may end in CRLF or LF. The message is\n"
    "streamed: memory stays the same for any size. Up to 10 signatures are\n"
    "verified; the others are neutral.\n"
    "\n"
    "Options:\n"
    "  --json             one JSON object per signature per line\n"
    "  --now UNIXTIME     the time against which t= and x= are checked\n"
    "                     (default: the current time)\n"
    CLI_DNS_HELP
    "  --help             this text\n"
    "\n"
    "Text output, one line per signature, in header order:\n"
    "  RESULT d=DOMAIN s=SELECTOR a=ALGORITHM: REASON\n"
    "with \"-\" for a tag the signature lacks; a message without a signature\n"
    "gives the one line \"none: no DKIM signature\".\n"
    "\n"
    "Results: pass (verified), fail (the signature or the body hash does not\n"
    "match), neutral (not verified: unsupported, over the limit), policy (valid\n"
    "but refused: rsa-sha1, an RSA key under 1024 bits, expired x=, t= in the\n"
    "future), temperror (the key record could not be fetched now), permerror (a\n"
    "malformed signature or key record, no key record, a revoked key).\n"
    "\n"
    "JSON output (--json), one object per signature, fields in this order:\n"
    "  domain, selector, algorithm   d=, s=, a= as written (null when absent)\n"
    "  result, reason                as above\n"
    "  header_canon, body_canon      \"simple\" or \"relaxed\"\n"
    "  body_length_limited           true when the signature has l=\n"
    "  identity                      i=, or \"@\" and d= when absent\n"
    "  key_bits                      RSA modulus bits, 256 for Ed25519, null\n"
    "                                when no key was found\n"
    "  testing                       the key record has t=y\n"
    "  content_after_limit           l= and the body goes on past it\n"
    "Without a signature: one object with result \"none\", reason \"no DKIM\n"
    "signature\", null strings and false flags.\n"
    "\n"
    "Exit status: 0 when the message was verified, whatever the results; 2 on\n"
    "a usage error, an unreadable zone file or a malformed message.\n";

enum { OPT_JSON = 1, OPT_NOW };

static const cli_option verify_options[] = {
    {"json", 0, OPT_JSON},
    {"now", 1, OPT_NOW},
    CLI_DNS_OPTIONS,
    {NULL, 0, 0},
};

typedef struct verify_opts {
    int json;
    unsigned now;
    cli_dns dns;
} verify_opts;

static int parse_options(const cli_command *cmd, int argc, char **argv, verify_opts *opt)
{
    cli_args args = {cmd, argc, argv, 0};
    const char *value;
    int id;
    while ((id = cli_next_option(&args, verify_options, &value)) > 0) {
        switch (id) {
        case OPT_JSON: opt->json = 1; break;
        case OPT_NOW: id = cli_number(cmd, "now", value, 1, 4294967295UL, &opt->now); break;
        default: id = cli_dns_option(&opt->dns, cmd, id, value) < 0 ? -1 : id; break;
        }
        if (id < 0)
            return CLI_EXIT_USAGE;
    }
    return id < 0 ? CLI_EXIT_USAGE : cli_dns_check(&opt->dns, cmd);
}

/* ---- The message ------------------------------------------------------------------ */

static emauth_status on_header(void *arg, const char *field, size_t len, size_t name_len)
{
    return emauth_dkim_verify_header(arg, field, len, name_len);
}

static emauth_status on_eoh(void *arg)
{
    return emauth_dkim_verify_eoh(arg);
}

static emauth_status on_body(void *arg, const char *chunk, size_t len)
{
    return emauth_dkim_verify_body(arg, chunk, len);
}

static int verify_stdin(emauth_dkim_verifier *v, emauth_resolver *resolver)
{
    static const emauth_msg_callbacks cb = {on_header, on_eoh, on_body};
    int rc = cli_dkim_read(stdin, &cb, v, NULL, NULL);
    if (rc != CLI_EXIT_OK)
        return rc;
    emauth_status st = emauth_dkim_verify_eom(v);
    if (st == EMAUTH_OK)
        st = emauth_dkim_verify_run(v, resolver);
    if (st != EMAUTH_OK) {
        cli_errorf("verification failed: %s", emauth_status_str(st));
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

/* ---- Output -------------------------------------------------------------------------- */

static cli_colour verdict_colour(emauth_dkim_verdict v)
{
    switch (v) {
    case EMAUTH_DKIM_PASS: return CLI_GREEN;
    case EMAUTH_DKIM_FAIL: return CLI_RED;
    case EMAUTH_DKIM_PERMERROR: return CLI_MAGENTA;
    default: return CLI_YELLOW;
    }
}

static void text_tag(cli_out *o, const char *name, const char *value)
{
    cli_out_str(o, name);
    cli_out_ctext(o, value != NULL ? value : "-");
}

static void emit_text(cli_out *o, const emauth_dkim_result *r)
{
    cli_out_colour(o, verdict_colour(r->verdict));
    cli_out_str(o, emauth_dkim_verdict_name(r->verdict));
    cli_out_colour(o, CLI_PLAIN);
    text_tag(o, " d=", r->domain);
    text_tag(o, " s=", r->selector);
    text_tag(o, " a=", r->algorithm);
    cli_out_lit(o, ": ");
    cli_out_ctext(o, r->reason != NULL ? r->reason : "");
    cli_out_char(o, '\n');
}

/* The results: one line or JSON object per signature, or the "none" one. */
static int emit(const emauth_dkim_verifier *v, int json)
{
    size_t n = 0;
    const emauth_dkim_result *res = emauth_dkim_verify_results(v, &n);
    cli_out o;
    cli_out_init(&o, stdout);
    if (n == 0 && json) {
        cli_dkim_json(&o, NULL);
        cli_out_char(&o, '\n');
    } else if (n == 0) {
        cli_out_lit(&o, "none: no DKIM signature\n");
    }
    for (size_t i = 0; i < n; i++) {
        if (json) {
            cli_dkim_json(&o, &res[i]);
            cli_out_char(&o, '\n');
        } else {
            emit_text(&o, &res[i]);
        }
    }
    int rc = cli_out_flush(&o);
    cli_out_free(&o);
    if (rc != 0) {
        cli_errorf("error writing the results");
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

/* ---- The command ------------------------------------------------------------------------ */

static int run_verify(const verify_opts *opt, emauth_resolver *resolver)
{
    emauth_dkim_options o;
    emauth_dkim_options_default(&o);
    o.now = opt->now;
    emauth_dkim_verifier *v = NULL;
    if (emauth_dkim_verifier_new(&o, &v) != EMAUTH_OK) {
        cli_errorf("out of memory");
        return CLI_EXIT_USAGE;
    }
    int rc = verify_stdin(v, resolver);
    if (rc == CLI_EXIT_OK)
        rc = emit(v, opt->json);
    emauth_dkim_verifier_free(v);
    return rc;
}

int cli_dkim_verify(const cli_command *cmd, int argc, char **argv)
{
    verify_opts opt;
    memset(&opt, 0, sizeof opt);
    if (cli_dns_init(&opt.dns, argc) != 0) {
        cli_dns_free(&opt.dns);
        return CLI_EXIT_USAGE;
    }
    int rc = parse_options(cmd, argc, argv, &opt);
    emauth_resolver *resolver = NULL;
    if (rc == CLI_EXIT_OK && (resolver = cli_dns_resolver(&opt.dns)) == NULL)
        rc = CLI_EXIT_USAGE;
    if (rc == CLI_EXIT_OK)
        rc = run_verify(&opt, resolver);
    cli_dns_free(&opt.dns);
    return rc;
}
