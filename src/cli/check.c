/*
 * emauth check - SPF, DKIM and DMARC on one message: the message on
 * standard input is streamed once through emauth_msg into the DKIM
 * verifier while its From field values are kept; SPF is checked for the
 * SMTP client; DMARC aligns both with the From domain. The output is the
 * Authentication-Results field and the disposition.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli/dkim.h"
#include "cli/dns.h"
#include "cli/output.h"
#include "cli/spf_check.h"

const char cli_check_help[] =
    "Usage: emauth check --ip IP --helo NAME [--mail-from ADDR] [options] < MESSAGE\n"
    "\n"
    "Checks SPF (RFC 7208), DKIM (RFC 6376) and DMARC (RFC 9989 or RFC 7489) for\n"
    "the message on standard input as a receiving server would: SPF for the\n"
    "SMTP client (the MAIL FROM identity; the HELO identity for a null sender),\n"
    "every DKIM signature, then DMARC: the From domain's policy and whether an\n"
    "SPF or DKIM pass is aligned with it. The message is streamed: memory stays\n"
    "the same for any size.\n"
    "\n"
    "Options:\n"
    "  --ip IP            the SMTP client's address (IPv4 or IPv6)\n"
    "  --helo NAME        the HELO/EHLO name\n"
    "  --mail-from ADDR   the MAIL FROM address; absent or \"\" = the null sender\n"
    "  --receiver NAME    the authserv-id of the Authentication-Results field and\n"
    "                     %{r} in SPF (default: the host name)\n"
    "  --dmarc-mode 9989|7489\n"
    "                     RFC 9989 (DNS tree walk, the default) or RFC 7489\n"
    "                     (Public Suffix List, pct=)\n"
    "  --now UNIXTIME     the time against which DKIM t= and x= are checked\n"
    "                     (default: the current time)\n"
    "  --json             one JSON object with every sub-result\n"
    CLI_DNS_HELP
    "  --help             this text\n"
    "\n"
    "Text output: the Authentication-Results field (RFC 8601), folded as it\n"
    "would be added to the message, then one line\n"
    "  disposition: none|quarantine|reject (dmarc=RESULT, policy from DOMAIN)\n"
    "with \"no policy\" and the reason instead when no policy record applies.\n"
    "\n"
    "JSON output (--json), one object, fields in this order:\n"
    "  authentication_results   the whole field, as in the text output\n"
    "  disposition              none, quarantine or reject\n"
    "  spf                      the fields of `emauth spf check --json`\n"
    "  dkim                     an array: the objects of `emauth dkim verify --json`\n"
    "  dmarc                    {result, policy, reason, from_domain,\n"
    "                           policy_domain, org_domain, spf_aligned,\n"
    "                           dkim_aligned, dkim_aligned_domain, testing}\n"
    "\n"
    "Exit status: 0 when the message was evaluated, whatever the results; 2 on a\n"
    "usage error (a bad IP address), an unreadable zone file or an unreadable or\n"
    "malformed message.\n";

enum { OPT_IP = 1, OPT_HELO, OPT_MAIL_FROM, OPT_RECEIVER, OPT_MODE, OPT_NOW, OPT_JSON };

static const cli_option check_options[] = {
    {"ip", 1, OPT_IP},
    {"helo", 1, OPT_HELO},
    {"mail-from", 1, OPT_MAIL_FROM},
    {"receiver", 1, OPT_RECEIVER},
    {"dmarc-mode", 1, OPT_MODE},
    {"now", 1, OPT_NOW},
    {"json", 0, OPT_JSON},
    CLI_DNS_OPTIONS,
    {NULL, 0, 0},
};

typedef struct check_opts {
    spf_opts spf;             /* ip, mail_from, helo, receiver, json for spf_emit() */
    emauth_dmarc_mode mode;
    unsigned now;
    cli_dns dns;
} check_opts;

/* What one message yields. */
typedef struct check_run {
    const check_opts *opt;
    emauth_dkim_verifier *dkim;
    spf_worker spf;
    emauth_spf_request spf_req;
    spf_query query;
    const char **from;        /* the From field values (after the colon), owned */
    size_t *from_len;
    size_t nfrom, cap_from;   /* bounded by the parser's limit on header fields */
    emauth_from author;
    const char *from_problem;
    emauth_error from_err;
    emauth_dmarc_eval *dmarc;
    char *authres;
} check_run;

/* ---- Options ------------------------------------------------------------------------ */

static int take_option(const cli_command *cmd, check_opts *opt, int id, const char *value)
{
    switch (id) {
    case OPT_IP: opt->spf.ip = value; return 0;
    case OPT_HELO: opt->spf.helo = value; return 0;
    case OPT_MAIL_FROM: opt->spf.mail_from = value; return 0;
    case OPT_RECEIVER: opt->spf.receiver = value; return 0;
    case OPT_MODE: {
        int mode = cli_dmarc_mode(cmd, value);
        opt->mode = mode == EMAUTH_DMARC_7489 ? EMAUTH_DMARC_7489 : EMAUTH_DMARC_9989;
        return mode < 0 ? -1 : 0;
    }
    case OPT_NOW: return cli_number(cmd, "now", value, 1, 4294967295UL, &opt->now);
    case OPT_JSON: opt->spf.json = 1; return 0;
    default: return cli_dns_option(&opt->dns, cmd, id, value) < 0 ? -1 : 0;
    }
}

static int parse_options(const cli_command *cmd, int argc, char **argv, check_opts *opt)
{
    cli_args args = {cmd, argc, argv, 0};
    const char *value;
    int id;
    while ((id = cli_next_option(&args, check_options, &value)) > 0)
        if (take_option(cmd, opt, id, value) != 0)
            return CLI_EXIT_USAGE;
    if (id < 0)
        return CLI_EXIT_USAGE;
    if (opt->spf.ip == NULL)
        return cli_usage_error(cmd, "--ip IP is required");
    if (opt->spf.helo == NULL || opt->spf.helo[0] == '\0')
        return cli_usage_error(cmd, "--helo NAME is required");
    if (opt->spf.mail_from == NULL)
        opt->spf.mail_from = "";
    int rc = spf_set_receiver(cmd, &opt->spf);
    return rc != CLI_EXIT_OK ? rc : cli_dns_check(&opt->dns, cmd);
}

/* ---- The message: DKIM and the From values ------------------------------------------ */

static int is_from(const char *field, size_t name_len)
{
    return name_len == 4 && strncasecmp(field, "From", 4) == 0;
}

static emauth_status keep_from(check_run *r, const char *field, size_t len)
{
    const char *colon = memchr(field, ':', len);
    if (colon == NULL)
        return EMAUTH_OK;   /* the parser found one; nothing to keep otherwise */
    if (r->nfrom == r->cap_from) {
        size_t cap = r->cap_from ? 2 * r->cap_from : 2;
        const char **v = realloc(r->from, cap * sizeof *v);
        if (v != NULL)
            r->from = v;
        size_t *l = v ? realloc(r->from_len, cap * sizeof *l) : NULL;
        if (l == NULL)
            return EMAUTH_ERR_NOMEM;
        r->from_len = l;
        r->cap_from = cap;
    }
    size_t n = len - (size_t)(colon + 1 - field);
    char *v = malloc(n + 1);
    if (v == NULL)
        return EMAUTH_ERR_NOMEM;
    memcpy(v, colon + 1, n);
    v[n] = '\0';
    r->from[r->nfrom] = v;
    r->from_len[r->nfrom++] = n;
    return EMAUTH_OK;
}

static emauth_status on_header(void *arg, const char *field, size_t len, size_t name_len)
{
    check_run *r = arg;
    if (is_from(field, name_len)) {
        emauth_status st = keep_from(r, field, len);
        if (st != EMAUTH_OK)
            return st;
    }
    return emauth_dkim_verify_header(r->dkim, field, len, name_len);
}

static emauth_status on_eoh(void *arg)
{
    return emauth_dkim_verify_eoh(((check_run *)arg)->dkim);
}

static emauth_status on_body(void *arg, const char *chunk, size_t len)
{
    return emauth_dkim_verify_body(((check_run *)arg)->dkim, chunk, len);
}

static int read_message(check_run *r, emauth_resolver *resolver)
{
    static const emauth_msg_callbacks cb = {on_header, on_eoh, on_body};
    int rc = cli_dkim_read(stdin, &cb, r, NULL, NULL);
    if (rc != CLI_EXIT_OK)
        return rc;
    emauth_status st = emauth_dkim_verify_eom(r->dkim);
    if (st == EMAUTH_OK)
        st = emauth_dkim_verify_run(r->dkim, resolver);
    if (st != EMAUTH_OK) {
        cli_errorf("DKIM verification failed: %s", emauth_status_str(st));
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

/* The author's domain, or from_problem saying why there is none. */
static void extract_from(check_run *r)
{
    emauth_error_clear(&r->from_err);
    emauth_status st = emauth_from_extract(r->from, r->from_len, r->nfrom, &r->author,
                                           &r->from_err);
    if (st != EMAUTH_OK)
        r->from_problem = r->from_err.message[0] != '\0' ? r->from_err.message
                                                        : emauth_status_str(st);
}

/* ---- SPF and DMARC --------------------------------------------------------------------- */

/* The SPF request from the options; CLI_EXIT_USAGE after a bad IP address. */
static int spf_prepare(check_run *r, const cli_command *cmd)
{
    const spf_opts *s = &r->opt->spf;
    spf_query q = {0, s->ip, s->mail_from, s->helo, strlen(s->ip), strlen(s->mail_from),
                   strlen(s->helo)};
    r->query = q;
    if (spf_worker_setup(&r->spf) != 0) {
        cli_errorf("%s", r->spf.why);
        return CLI_EXIT_USAGE;
    }
    const char *why = spf_build_request(&r->spf, &r->query, &r->spf_req);
    if (why != NULL)
        return cli_usage_error(cmd, "%s", why);
    return CLI_EXIT_OK;
}

static const emauth_spf_result *spf_run(check_run *r, emauth_resolver *resolver)
{
    emauth_error err;
    emauth_error_clear(&err);
    emauth_status st = emauth_spf_eval_start(r->spf.ev, &r->spf_req, &err);
    if (st == EMAUTH_OK)
        st = emauth_spf_eval_run(r->spf.ev, resolver);
    if (st != EMAUTH_OK) {
        cli_errorf("SPF: %s", err.message[0] != '\0' ? err.message : emauth_status_str(st));
        return NULL;
    }
    return emauth_spf_eval_result(r->spf.ev);
}

/* The DMARC request: the From domain, the SPF domain and each signature's d=. */
static int dmarc_run(check_run *r, const emauth_spf_result *spf, emauth_resolver *resolver)
{
    size_t n = 0;
    const emauth_dkim_result *dk = emauth_dkim_verify_results(r->dkim, &n);
    emauth_dmarc_identifier *ids = calloc(n + 1, sizeof *ids);
    if (ids == NULL) {
        cli_errorf("out of memory");
        return CLI_EXIT_USAGE;
    }
    emauth_dmarc_request req = {.from_domain = r->author.domain, .from_problem = r->from_problem,
                                .spf = {spf->domain, spf->verdict == EMAUTH_SPF_PASS},
                                .dkim = ids, .mode = r->opt->mode};
    for (size_t i = 0; i < n; i++)
        if (dk[i].domain != NULL)
            ids[req.ndkim++] = (emauth_dmarc_identifier){dk[i].domain,
                                                         dk[i].verdict == EMAUTH_DKIM_PASS};
    emauth_error err;
    emauth_error_clear(&err);
    emauth_status st = emauth_dmarc_eval_new(&r->dmarc);
    if (st == EMAUTH_OK)
        st = emauth_dmarc_eval_start(r->dmarc, &req, &err);
    if (st == EMAUTH_OK)
        st = emauth_dmarc_eval_run(r->dmarc, resolver);
    free(ids);
    if (st != EMAUTH_OK || emauth_dmarc_eval_result(r->dmarc) == NULL) {
        cli_errorf("DMARC: %s", err.message[0] != '\0' ? err.message : emauth_status_str(st));
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

static int format_authres(check_run *r, const emauth_spf_result *spf)
{
    size_t n = 0;
    const emauth_dkim_result *dk = emauth_dkim_verify_results(r->dkim, &n);
    emauth_error err;
    emauth_error_clear(&err);
    emauth_status st = emauth_authres_format(r->opt->spf.receiver, spf, dk, n,
                                             emauth_dmarc_eval_result(r->dmarc), &r->authres, &err);
    if (st != EMAUTH_OK) {
        cli_errorf("Authentication-Results: %s",
                   err.message[0] != '\0' ? err.message : emauth_status_str(st));
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

/* ---- Output ------------------------------------------------------------------------------ */

static void json_dkim_array(cli_out *o, const emauth_dkim_verifier *v)
{
    size_t n = 0;
    const emauth_dkim_result *res = emauth_dkim_verify_results(v, &n);
    cli_out_char(o, '[');
    if (n == 0)
        cli_dkim_json(o, NULL);
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            cli_out_char(o, ',');
        cli_dkim_json(o, &res[i]);
    }
    cli_out_char(o, ']');
}

/* The object of `emauth spf check --json` (spf_emit()), without its newline. */
static void json_spf(check_run *r, cli_out *o, const emauth_spf_result *spf)
{
    r->spf.out = o;
    spf_emit(&r->spf, &r->query, &r->spf_req, spf, NULL);
    if (o->buf.len > 0 && o->buf.data[o->buf.len - 1] == '\n')
        o->buf.len--;
}

static void json_dmarc(cli_out *o, const emauth_dmarc_result *d)
{
    cli_out_lit(o, "{\"result\":");
    cli_out_json_cstr(o, emauth_dmarc_verdict_name(d->verdict));
    cli_out_json_key(o, "policy");
    cli_out_json_cstr(o, emauth_dmarc_policy_name(d->policy));
    cli_out_json_key(o, "reason");
    cli_out_json_cstr(o, d->reason);
    cli_out_json_key(o, "from_domain");
    cli_out_json_cstr(o, d->from_domain);
    cli_out_json_key(o, "policy_domain");
    cli_out_json_cstr(o, d->policy_domain);
    cli_out_json_key(o, "org_domain");
    cli_out_json_cstr(o, d->org_domain);
    cli_out_json_key(o, "spf_aligned");
    cli_out_json_bool(o, d->spf_aligned);
    cli_out_json_key(o, "dkim_aligned");
    cli_out_json_bool(o, d->dkim_aligned);
    cli_out_json_key(o, "dkim_aligned_domain");
    cli_out_json_cstr(o, d->dkim_aligned_domain);
    cli_out_json_key(o, "testing");
    cli_out_json_bool(o, d->testing);
    cli_out_char(o, '}');
}

static void emit_json(check_run *r, cli_out *o, const emauth_spf_result *spf)
{
    const emauth_dmarc_result *d = emauth_dmarc_eval_result(r->dmarc);
    cli_out_lit(o, "{\"authentication_results\":");
    cli_out_json_cstr(o, r->authres);
    cli_out_json_key(o, "disposition");
    cli_out_json_cstr(o, emauth_dmarc_policy_name(d->policy));
    cli_out_json_key(o, "spf");
    json_spf(r, o, spf);
    cli_out_json_key(o, "dkim");
    json_dkim_array(o, r->dkim);
    cli_out_json_key(o, "dmarc");
    json_dmarc(o, d);
    cli_out_lit(o, "}\n");
}

/* One line of the field: its folding blank as is, the rest terminal-safe. */
static void text_line(cli_out *o, const char *s, size_t n)
{
    size_t blank = n > 0 && (s[0] == '\t' || s[0] == ' ');
    cli_out_mem(o, s, blank);
    cli_out_text(o, s + blank, n - blank);
    cli_out_char(o, '\n');
}

/* The field, each folded line (CRLF inside) as an output line. */
static void text_field(cli_out *o, const char *field)
{
    const char *p = field;
    for (const char *eol; (eol = strstr(p, "\r\n")) != NULL; p = eol + 2)
        text_line(o, p, (size_t)(eol - p));
    text_line(o, p, strlen(p));
}

static cli_colour policy_colour(emauth_dmarc_policy p)
{
    return p == EMAUTH_DMARC_P_REJECT ? CLI_RED : p == EMAUTH_DMARC_P_QUARANTINE ? CLI_YELLOW
                                                                                : CLI_GREEN;
}

/* "disposition: reject (dmarc=fail, policy from example.com)". */
static void text_disposition(cli_out *o, const emauth_dmarc_result *d)
{
    cli_out_lit(o, "disposition: ");
    cli_out_colour(o, policy_colour(d->policy));
    cli_out_str(o, emauth_dmarc_policy_name(d->policy));
    cli_out_colour(o, CLI_PLAIN);
    cli_out_lit(o, " (dmarc=");
    cli_out_str(o, emauth_dmarc_verdict_name(d->verdict));
    if (d->policy_domain != NULL) {
        cli_out_lit(o, ", policy from ");
        cli_out_ctext(o, d->policy_domain);
    } else {
        cli_out_lit(o, ", no policy: ");
        cli_out_ctext(o, d->reason != NULL ? d->reason : "no DMARC record");
    }
    if (d->testing)
        cli_out_lit(o, ", t=y: not enforced");
    cli_out_lit(o, ")\n");
}

static int emit(check_run *r, const emauth_spf_result *spf)
{
    cli_out o;
    cli_out_init(&o, stdout);
    if (r->opt->spf.json) {
        emit_json(r, &o, spf);
    } else {
        text_field(&o, r->authres);
        text_disposition(&o, emauth_dmarc_eval_result(r->dmarc));
    }
    int failed = cli_out_flush(&o) != 0;
    cli_out_free(&o);
    if (failed) {
        cli_errorf("error writing the results");
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

/* ---- The command ------------------------------------------------------------------------ */

static void run_free(check_run *r)
{
    for (size_t i = 0; i < r->nfrom; i++)
        free((char *)r->from[i]);
    free(r->from);
    free(r->from_len);
    emauth_from_free(&r->author);
    emauth_dkim_verifier_free(r->dkim);
    emauth_dmarc_eval_free(r->dmarc);
    spf_worker_free(&r->spf);
    free(r->authres);
}

static int run_check(check_run *r, emauth_resolver *resolver)
{
    emauth_dkim_options o;
    emauth_dkim_options_default(&o);
    o.now = r->opt->now;
    if (emauth_dkim_verifier_new(&o, &r->dkim) != EMAUTH_OK) {
        cli_errorf("out of memory");
        return CLI_EXIT_USAGE;
    }
    int rc = read_message(r, resolver);
    if (rc != CLI_EXIT_OK)
        return rc;
    extract_from(r);
    const emauth_spf_result *spf = spf_run(r, resolver);
    if (spf == NULL)
        return CLI_EXIT_USAGE;
    rc = dmarc_run(r, spf, resolver);
    if (rc == CLI_EXIT_OK)
        rc = format_authres(r, spf);
    return rc == CLI_EXIT_OK ? emit(r, spf) : rc;
}

int cli_check(const cli_command *cmd, int argc, char **argv)
{
    check_opts opt;
    memset(&opt, 0, sizeof opt);
    check_run r;
    memset(&r, 0, sizeof r);
    r.opt = &opt;
    spf_worker_init(&r.spf, &opt.spf);
    int rc = cli_dns_init(&opt.dns, argc) == 0 ? parse_options(cmd, argc, argv, &opt)
                                                : CLI_EXIT_USAGE;
    if (rc == CLI_EXIT_OK)
        rc = spf_prepare(&r, cmd);
    emauth_resolver *resolver = NULL;
    if (rc == CLI_EXIT_OK && (resolver = cli_dns_resolver(&opt.dns)) == NULL)
        rc = CLI_EXIT_USAGE;
    if (rc == CLI_EXIT_OK)
        rc = run_check(&r, resolver);
    run_free(&r);
    cli_dns_free(&opt.dns);
    return rc;
}
