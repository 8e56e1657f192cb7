/*
 * emauth audit - one report for a domain owner: the MX records, the SPF
 * lint, the DMARC checks, each DKIM selector's key record, and with --ip /
 * --include whether a sending provider is authorized. A summary comes
 * first (what is broken, and the master-file lines to publish to fix it),
 * the details after.
 *
 * The fixes come from the library: the SPF editor flattens a record over
 * the lookup limit, merges several records into one and adds a missing
 * include: or ip4:/ip6: term; a missing SPF or DMARC record gets a starting
 * record.
 *
 * Many domains on the async engine, up to --concurrency at once: each
 * domain's questions are first asked in parallel (the SPF analysis, the
 * DMARC check, MX, each selector's key record, the --ip check); when they
 * are all answered and the domain is next in input order, the main loop
 * audits it over the engine's blocking view (emauth_async_resolver), whose
 * answers now come from the engine's cache, writes it and frees it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <emauth/emauth.h>
#include "cli/async_run.h"
#include "cli/cli.h"
#include "cli/dns.h"
#include "cli/lint_output.h"
#include "cli/output.h"

const char cli_audit_help[] =
    "Usage: emauth audit DOMAIN... [options]\n"
    "       emauth audit --domains FILE [options]\n"
    "\n"
    "One report per domain for its owner: the MX records, the SPF lint (emauth\n"
    "spf lint), the DMARC checks (emauth dmarc lint), each DKIM selector's key\n"
    "record (emauth dkim lint), and with --ip or --include whether a sending\n"
    "provider is authorized. A summary comes first: the problems, and under\n"
    "\"publish:\" the master-file lines that fix them; the details follow.\n"
    "\n"
    "Options:\n"
    "  --selector S       check the DKIM key record S._domainkey.DOMAIN (repeatable)\n"
    "  --ip IP            does SPF authorize mail from IP (check_host for\n"
    "                     postmaster@DOMAIN)? If not, the record that adds it\n"
    "  --include NAME     is include:NAME reached through '+' includes, and at\n"
    "                     what lookup cost? If not, the record that adds it\n"
    "  --domains FILE     audit the domains listed in FILE (one a line, '#'\n"
    "                     comments), in order, after any DOMAIN given\n"
    "  --concurrency N    domains whose questions are in flight at once (default 200)\n"
    "  --stats            print DNS counters and latencies on stderr\n"
    "  --json             one JSON object per domain per line\n"
    "  --dmarc-mode 9989|7489\n"
    "                     DMARC discovery: RFC 9989's DNS tree walk (default) or\n"
    "                     RFC 7489's Public Suffix List\n"
    CLI_DNS_HELP
    "  --help             this text\n"
    "\n"
    "Fixes (\"publish:\", master-file lines, TTL 3600):\n"
    "  SPF too-many-lookups   the flattened records (emauth spf flatten)\n"
    "  SPF multiple-records   one record merging them (emauth spf add), or which\n"
    "                         to remove when they cannot be merged\n"
    "  SPF no-record          a starting record, v=spf1 [mx] ~all\n"
    "  SPF syntax             none automatic: the term and its column\n"
    "  DMARC no-record        v=DMARC1; p=none; rua=mailto:dmarc-reports@DOMAIN\n"
    "                         (p=none collects reports before enforcing)\n"
    "  ip-not-authorized, include-not-reached\n"
    "                         the record with the term added (emauth spf add);\n"
    "                         when both fail, one record adds both\n"
    "\n"
    "JSON output (--json), one object per domain, fields in this order:\n"
    "  domain, mx: [{\"preference\",\"exchange\"}] (a null MX has exchange \".\"),\n"
    "  spf: {\"valid\",\"dns_lookups\",\"problems\"},\n"
    "  dmarc: {\"valid\",\"policy_domain\",\"record\",\"problems\"},\n"
    "  dkim: [{\"selector\",\"valid\",\"problems\"}],\n"
    "  authorized: {\"ip\",\"ip_result\",\"ip_authorized\",\"include\",\n"
    "               \"include_reached\",\"include_reached_at\",\"include_cost\"} or null,\n"
    "  fixes: [{\"area\",\"code\",\"zone_lines\",\"note\"}] (note: null, or what to\n"
    "         remove, or why no record is proposed), problems (errors and warnings).\n"
    "Problems are {\"code\",\"severity\",\"message\",\"domain\",\"term\",\"column\"}.\n"
    "\n"
    "Exit status: 0 when no domain has an error, 1 when one has (an unauthorized\n"
    "--ip or an unreached --include counts as one), 2 on a usage error, an\n"
    "unreadable file or a failure to run the checks.\n";

/* Named limits. */
#define AUDIT_MAX_MX 32           /* MX records shown (more are counted) */
#define AUDIT_MAX_FIXES 8         /* SPF, DMARC, --ip, --include: at most one each */
#define AUDIT_MAX_LINES 16        /* zone lines of one fix (a flattened chain is at most 11) */
#define AUDIT_MAX_LINE_LEN 1024   /* one line of --domains FILE */
#define AUDIT_TTL 3600

enum {
    OPT_SELECTOR = 1, OPT_IP, OPT_INCLUDE, OPT_DOMAINS, OPT_JSON, OPT_MODE, OPT_CONCURRENCY,
    OPT_STATS
};

static const cli_option audit_options[] = {
    {"selector", 1, OPT_SELECTOR},
    {"ip", 1, OPT_IP},
    {"include", 1, OPT_INCLUDE},
    {"domains", 1, OPT_DOMAINS},
    {"json", 0, OPT_JSON},
    {"dmarc-mode", 1, OPT_MODE},
    {"concurrency", 1, OPT_CONCURRENCY},
    {"stats", 0, OPT_STATS},
    CLI_DNS_OPTIONS,
    {NULL, 0, 0},
};

typedef struct audit_opts {
    const char **domains;         /* positional DOMAINs */
    size_t ndomains;
    const char **selectors;
    size_t nselectors;
    const char *ip_text, *include, *domains_file;
    emauth_ip ip;
    int json, stats;
    unsigned concurrency;         /* --concurrency: domains prefetched at once */
    emauth_dmarc_mode mode;       /* --dmarc-mode: 9989 (default) or 7489 */
    cli_dns dns;
} audit_opts;

/* One fix: zone lines to publish (maybe none) and a note for people. */
typedef struct audit_fix {
    const char *area, *code;
    char *note;
    size_t nlines;
    char *lines[AUDIT_MAX_LINES];
} audit_fix;

/* One problem outside the SPF and DMARC reports (MX, DKIM, authorization). */
typedef struct audit_dkim {
    const char *selector;
    char *name;                   /* S._domainkey.DOMAIN */
    char *record;                 /* the first record, or NULL */
    ea_buf report;                /* "severity code: message" lines */
    unsigned counts[3];
} audit_dkim;

typedef struct audit_domain {
    const char *domain;
    int failed;                   /* a check could not run: exit 2 */

    size_t nmx, mx_total;
    unsigned mx_pref[AUDIT_MAX_MX];
    char *mx_name[AUDIT_MAX_MX];  /* "" for a null MX */
    char *mx_error;               /* a DNS failure, or NULL */

    const emauth_lint_report *spf;
    const emauth_dmarc_report *dmarc;
    audit_dkim *dkim;             /* one per selector */

    int ip_checked;
    emauth_spf_verdict ip_verdict;
    char *ip_mechanism;
    int inc_checked, inc_reached;
    unsigned inc_at, inc_cost;
    size_t nmissing;              /* terms --ip and --include need added, owned */
    char *missing_term[2];
    const char *missing_code[2];

    size_t nfixes;
    audit_fix fixes[AUDIT_MAX_FIXES];
    unsigned errors, warnings;
} audit_domain;

/* A domain of the input, its questions asked ahead on the engine. */
typedef struct audit_slot {
    char *domain;                 /* NULL: the slot is free */
    unsigned pending;             /* prefetch jobs not yet completed */
} audit_slot;

typedef struct audit_run {
    const audit_opts *opt;
    emauth_async *as;
    emauth_resolver *resolver;    /* emauth_async_resolver(as) */
    audit_slot *slots;            /* a ring of opt->concurrency */
    unsigned long next_seq, next_audit;
    size_t next_name;             /* positional DOMAINs taken */
    FILE *in;                     /* --domains FILE, once opened */
    unsigned lineno;
    int input_done;
    char input_error[4096];   /* reported after the domains before it */
    ea_buf scratch;
    cli_progress progress;
    emauth_spf_lint *lint;
    emauth_dmarc_check *dmarc;
    emauth_spf_editor *editor;
    cli_out out;
} audit_run;

/* ---- Small helpers ---------------------------------------------------------------------- */

static char *dup_mem(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d != NULL) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static char *dup_str(const char *s)
{
    return s != NULL ? dup_mem(s, strlen(s)) : NULL;
}

static char *dup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *dup_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *d = malloc((size_t)n + 1);
    if (d != NULL) {
        va_start(ap, fmt);
        vsnprintf(d, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    return d;
}

/* "OWNER. 3600 IN TXT \"TEXT\"", malloc'ed. */
static char *txt_line(const char *owner, const char *text)
{
    emauth_dns_rr rr;
    memset(&rr, 0, sizeof rr);
    rr.type = EMAUTH_DNS_TXT;
    rr.ttl = AUDIT_TTL;
    rr.u.txt.data = text;
    rr.u.txt.len = strlen(text);
    rr.u.txt.nstrings = 1;
    size_t n = emauth_dns_rr_format(owner, &rr, NULL, 0);
    char *line = malloc(n + 1);
    if (line != NULL)
        emauth_dns_rr_format(owner, &rr, line, n + 1);
    return line;
}

/* A new fix of d, or NULL when out of room or memory (d->failed set). */
static audit_fix *new_fix(audit_domain *d, const char *area, const char *code, char *note)
{
    if (d->nfixes == AUDIT_MAX_FIXES) {
        free(note);
        return NULL;
    }
    audit_fix *f = &d->fixes[d->nfixes++];
    memset(f, 0, sizeof *f);
    f->area = area;
    f->code = code;
    f->note = note;
    return f;
}

static void fix_line(audit_domain *d, audit_fix *f, char *line)
{
    if (line == NULL) {
        d->failed = 1;
        return;
    }
    if (f == NULL || f->nlines == AUDIT_MAX_LINES) {
        free(line);
        return;
    }
    f->lines[f->nlines++] = line;
}

static void count_problems(audit_domain *d, const emauth_lint_problem *p, size_t n)
{
    unsigned c[3];
    lint_count(p, n, c);
    d->errors += c[EMAUTH_LINT_ERROR];
    d->warnings += c[EMAUTH_LINT_WARNING];
}

static int has_code(const emauth_lint_problem *p, size_t n, const char *code)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(p[i].code, code) == 0)
            return 1;
    return 0;
}

static const emauth_lint_problem *find_code(const emauth_lint_problem *p, size_t n,
                                            const char *code)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(p[i].code, code) == 0)
            return &p[i];
    return NULL;
}

static void dns_failed(audit_domain *d, const char *what, emauth_status st)
{
    cli_errorf("%s: %s: %s", d->domain, what, emauth_status_str(st));
    d->failed = 1;
}

/* ---- MX ------------------------------------------------------------------------------------ */

static void audit_mx(audit_run *r, audit_domain *d)
{
    emauth_dns_question q = {d->domain, EMAUTH_DNS_MX};
    emauth_dns_answer a;
    emauth_status st = r->resolver->query(r->resolver, &q, &a);
    if (st != EMAUTH_OK) {
        dns_failed(d, "MX", st);
        return;
    }
    if (a.rcode == EMAUTH_DNS_SERVFAIL || a.rcode == EMAUTH_DNS_TIMEOUT) {
        d->mx_error = dup_printf("MX lookup: DNS %s", emauth_dns_rcode_name(a.rcode));
        d->errors++;
        return;
    }
    if (a.rcode != EMAUTH_DNS_OK)
        return;
    d->mx_total = a.count;
    for (size_t i = 0; i < a.count && d->nmx < AUDIT_MAX_MX; i++) {
        d->mx_pref[d->nmx] = a.rrs[i].u.mx.preference;
        if ((d->mx_name[d->nmx] = dup_str(a.rrs[i].u.mx.exchange)) == NULL) {
            d->failed = 1;
            return;
        }
        d->nmx++;
    }
}

/* 1 when the domain has an MX record that is not a null MX. */
static int receives_mail(const audit_domain *d)
{
    for (size_t i = 0; i < d->nmx; i++)
        if (d->mx_name[i][0] != '\0')
            return 1;
    return 0;
}

/* ---- SPF ------------------------------------------------------------------------------------- */

/* Runs the editor's started operation; the result, or NULL after marking d failed. */
static const emauth_spf_edit_result *editor_finish(audit_run *r, audit_domain *d,
                                                   emauth_status st, const emauth_error *err)
{
    if (st == EMAUTH_OK)
        st = emauth_spf_editor_run(r->editor, r->resolver);
    const emauth_spf_edit_result *res = st == EMAUTH_OK ? emauth_spf_editor_result(r->editor)
                                                        : NULL;
    if (res == NULL) {
        cli_errorf("%s: SPF editor: %s", d->domain,
                   err->message[0] != '\0' ? err->message : emauth_status_str(st));
        d->failed = 1;
    }
    return res;
}

static void publish_lines(audit_domain *d, audit_fix *f, const emauth_spf_edit_result *res)
{
    for (size_t i = 0; i < res->npublish; i++)
        fix_line(d, f, dup_str(res->publish[i].zone_line));
}

static void fix_too_many_lookups(audit_run *r, audit_domain *d)
{
    emauth_error err;
    emauth_error_clear(&err);
    emauth_status st = emauth_spf_flatten_start(r->editor, d->domain, NULL, 0, NULL, &err);
    const emauth_spf_edit_result *res = editor_finish(r, d, st, &err);
    if (res == NULL)
        return;
    if (res->refused != NULL) {
        new_fix(d, "spf", "too-many-lookups",
                dup_printf("no automatic fix: flattening refused (%s: %s); remove includes",
                           res->refused, res->reason != NULL ? res->reason : ""));
        return;
    }
    audit_fix *f = new_fix(d, "spf", "too-many-lookups",
                           dup_printf("the record flattened into %zu record%s, %u DNS lookup%s "
                                      "(emauth spf flatten; rerun it when the providers change)",
                                      res->npublish, res->npublish == 1 ? "" : "s",
                                      res->publish_lookups, res->publish_lookups == 1 ? "" : "s"));
    publish_lines(d, f, res);
}

/* The SPF records published at the domain, each malloc'ed; how many (at most max). */
static size_t spf_records(audit_run *r, audit_domain *d, char **out, size_t max)
{
    emauth_dns_question q = {d->domain, EMAUTH_DNS_TXT};
    emauth_dns_answer a;
    emauth_status st = r->resolver->query(r->resolver, &q, &a);
    size_t n = 0;
    if (st != EMAUTH_OK || a.rcode != EMAUTH_DNS_OK)
        return 0;
    for (size_t i = 0; i < a.count && n < max; i++) {
        const char *t = a.rrs[i].u.txt.data;
        size_t len = a.rrs[i].u.txt.len;
        if (len >= 6 && strncasecmp(t, "v=spf1", 6) == 0 && (len == 6 || t[6] == ' ') &&
            memchr(t, '\0', len) == NULL)
            if ((out[n] = dup_mem(t, len)) != NULL)
                n++;
    }
    return n;
}

/* 1 when term (as written) is a modifier or the version, or an all: not merged. */
static int skip_term(const char *t)
{
    const char *eq = strchr(t, '='), *colon = strpbrk(t, ":/");
    if (eq != NULL && (colon == NULL || eq < colon))
        return 1;
    if (*t == '+' || *t == '-' || *t == '~' || *t == '?')
        t++;
    return strcasecmp(t, "all") == 0;
}

static void fix_multiple_records(audit_run *r, audit_domain *d)
{
    enum { MAXREC = 8 };
    char *recs[MAXREC];
    const char *terms[EMAUTH_EDIT_MAX_TERMS];
    size_t nrec = spf_records(r, d, recs, MAXREC), nterms = 0;
    ea_buf list;
    ea_buf_init(&list);
    for (size_t i = 0; i < nrec; i++)
        ea_buf_printf(&list, "%s\"%s\"", i > 0 ? ", " : "", recs[i]);
    /* The terms of the other records, added to the first. */
    for (size_t i = 1; i < nrec; i++)
        for (char *t = strtok(recs[i], " "); t != NULL; t = strtok(NULL, " "))
            if (!skip_term(t) && nterms < EMAUTH_EDIT_MAX_TERMS)
                terms[nterms++] = t;
    const emauth_spf_edit_result *res = NULL;
    emauth_error err;
    emauth_error_clear(&err);
    if (nrec >= 2 && nterms > 0) {
        emauth_spf_add_request req = {.domain = d->domain, .record = recs[0],
                                      .record_len = strlen(recs[0]), .terms = terms,
                                      .nterms = nterms};
        emauth_status st = emauth_spf_add_start(r->editor, &req, &err);
        if (st == EMAUTH_OK)
            res = editor_finish(r, d, st, &err);
    }
    if (res != NULL && res->refused == NULL && res->npublish > 0) {
        audit_fix *f = new_fix(d, "spf", "multiple-records",
                               dup_printf("one record merging the %zu published (%s); it "
                                          "replaces them all", nrec, ea_buf_cstr(&list)));
        publish_lines(d, f, res);
    } else {
        new_fix(d, "spf", "multiple-records",
                dup_printf("no merged record%s%s%s: keep one of %s and remove the others",
                           res != NULL && res->refused != NULL ? " (" : "",
                           res != NULL && res->refused != NULL ? res->refused : "",
                           res != NULL && res->refused != NULL ? ")" : "", ea_buf_cstr(&list)));
    }
    for (size_t i = 0; i < nrec; i++)
        free(recs[i]);
    ea_buf_free(&list);
}

static void audit_spf(audit_run *r, audit_domain *d)
{
    emauth_error err;
    emauth_error_clear(&err);
    emauth_status st = emauth_spf_lint_start(r->lint, d->domain, NULL, 0, &err);
    if (st == EMAUTH_OK)
        st = emauth_spf_lint_run(r->lint, r->resolver);
    if (st != EMAUTH_OK || (d->spf = emauth_spf_lint_report(r->lint)) == NULL) {
        cli_errorf("%s: SPF: %s", d->domain,
                   err.message[0] != '\0' ? err.message : emauth_status_str(st));
        d->failed = 1;
        return;
    }
    const emauth_lint_problem *p = d->spf->problems;
    size_t n = d->spf->nproblems;
    const emauth_lint_problem *syn;
    count_problems(d, p, n);
    if (has_code(p, n, "no-record")) {
        const char *rec = receives_mail(d) ? "v=spf1 mx ~all" : "v=spf1 ~all";
        audit_fix *f = new_fix(d, "spf", "no-record",
                               dup_printf("a starting record%s: add the other servers and "
                                          "providers that send for %s",
                                          receives_mail(d) ? " (the MX hosts may send)" : "",
                                          d->domain));
        fix_line(d, f, txt_line(d->domain, rec));
    } else if (has_code(p, n, "multiple-records")) {
        fix_multiple_records(r, d);
    } else if ((syn = find_code(p, n, "syntax")) != NULL) {
        new_fix(d, "spf", "syntax",
                dup_printf("no automatic fix: correct \"%s\" at column %u of the record at %s",
                           syn->term != NULL ? syn->term : "?", syn->column,
                           syn->domain != NULL ? syn->domain : d->domain));
    } else if (has_code(p, n, "too-many-lookups")) {
        fix_too_many_lookups(r, d);
    }
}

/* ---- DMARC ---------------------------------------------------------------------------------- */

static void audit_dmarc(audit_run *r, audit_domain *d)
{
    emauth_error err;
    emauth_error_clear(&err);
    emauth_status st = emauth_dmarc_check_start(r->dmarc, d->domain, r->opt->mode, &err);
    if (st == EMAUTH_OK)
        st = emauth_dmarc_check_run(r->dmarc, r->resolver);
    if (st != EMAUTH_OK || (d->dmarc = emauth_dmarc_check_report(r->dmarc)) == NULL) {
        cli_errorf("%s: DMARC: %s", d->domain,
                   err.message[0] != '\0' ? err.message : emauth_status_str(st));
        d->failed = 1;
        return;
    }
    count_problems(d, d->dmarc->problems, d->dmarc->nproblems);
    if (has_code(d->dmarc->problems, d->dmarc->nproblems, "no-record")) {
        char *owner = dup_printf("_dmarc.%s", d->domain);
        char *rec = dup_printf("v=DMARC1; p=none; rua=mailto:dmarc-reports@%s", d->domain);
        audit_fix *f = new_fix(d, "dmarc", "no-record",
                               dup_str("starts at p=none to collect reports; raise p= to "
                                       "quarantine, then reject, once they show only your own "
                                       "mail failing"));
        fix_line(d, f, owner != NULL && rec != NULL ? txt_line(owner, rec) : NULL);
        free(owner);
        free(rec);
    }
}

/* ---- DKIM ----------------------------------------------------------------------------------- */

/* Counts the "severity code: message" lines of k->report. */
static void dkim_count(audit_dkim *k)
{
    const char *s = ea_buf_cstr(&k->report);
    while (*s != '\0') {
        k->counts[EMAUTH_LINT_ERROR] += strncmp(s, "error ", 6) == 0;
        k->counts[EMAUTH_LINT_WARNING] += strncmp(s, "warning ", 8) == 0;
        k->counts[EMAUTH_LINT_INFO] += strncmp(s, "info ", 5) == 0;
        s += strcspn(s, "\n");
        s += *s == '\n';
    }
}

static void audit_dkim_one(audit_run *r, audit_domain *d, audit_dkim *k)
{
    if ((k->name = dup_printf("%s._domainkey.%s", k->selector, d->domain)) == NULL) {
        d->failed = 1;
        return;
    }
    emauth_dns_question q = {k->name, EMAUTH_DNS_TXT};
    emauth_dns_answer a;
    emauth_status st = r->resolver->query(r->resolver, &q, &a);
    if (st != EMAUTH_OK) {
        dns_failed(d, k->name, st);
        return;
    }
    if (a.rcode == EMAUTH_DNS_SERVFAIL || a.rcode == EMAUTH_DNS_TIMEOUT) {
        ea_buf_printf(&k->report, "error dns-error: DNS %s\n", emauth_dns_rcode_name(a.rcode));
    } else if (a.rcode != EMAUTH_DNS_OK || a.count == 0) {
        ea_buf_printf(&k->report,
                      "error no-record: no TXT record at %.253s (%s): publish the key "
                      "(emauth dkim keygen makes one)\n",
                      k->name, emauth_dns_rcode_name(a.rcode));
    } else {
        if (a.count > 1)
            ea_buf_printf(&k->report, "error multiple-records: %zu TXT records at the name: "
                          "verifiers may take any of them (RFC 6376 section 3.6.2.2)\n", a.count);
        char *checked = NULL;
        unsigned errors = 0;
        emauth_error err;
        emauth_error_clear(&err);
        k->record = dup_mem(a.rrs[0].u.txt.data, a.rrs[0].u.txt.len);
        if (k->record == NULL ||
            emauth_dkim_key_check(a.rrs[0].u.txt.data, a.rrs[0].u.txt.len, NULL, &checked,
                                  &errors, &err) != EMAUTH_OK) {
            cli_errorf("%s: %s", k->name, err.message[0] != '\0' ? err.message : "out of memory");
            d->failed = 1;
        } else if (checked != NULL) {
            ea_buf_puts(&k->report, checked);
        }
        free(checked);
    }
    dkim_count(k);
    d->errors += k->counts[EMAUTH_LINT_ERROR];
    d->warnings += k->counts[EMAUTH_LINT_WARNING];
}

/* ---- Authorization: --ip and --include -------------------------------------------------- */

/*
 * The record with the terms added, as one fix named for the first code
 * (the others point to it), or NULL when the editor refuses: then, with
 * one term, a fix whose note says why.
 */
static audit_fix *fix_add_terms(audit_run *r, audit_domain *d, const char *const *terms,
                                const char *const *codes, size_t n)
{
    emauth_spf_add_request req = {.domain = d->domain, .terms = terms, .nterms = n};
    emauth_error err;
    emauth_error_clear(&err);
    emauth_status st = emauth_spf_add_start(r->editor, &req, &err);
    const emauth_spf_edit_result *res = editor_finish(r, d, st, &err);
    if (res == NULL)
        return NULL;
    if (res->refused != NULL) {
        if (n == 1)
            new_fix(d, "spf", codes[0],
                    dup_printf("no record adds %s: %s (%s); fix the SPF record first", terms[0],
                               res->refused, res->reason != NULL ? res->reason : ""));
        return NULL;
    }
    audit_fix *f = new_fix(d, "spf", codes[0],
                           dup_printf("the record with %s%s%s added, %u DNS lookup%s (emauth spf "
                                      "add)", terms[0], n > 1 ? " and " : "", n > 1 ? terms[1] : "",
                                      res->lookups, res->lookups == 1 ? "" : "s"));
    if (f != NULL)
        publish_lines(d, f, res);
    for (size_t i = 1; i < n; i++)
        new_fix(d, "spf", codes[i], dup_printf("%s is in the %s fix above", terms[i], codes[0]));
    return f;
}

/* One record adding what --ip and --include need; each alone when both are refused together. */
static void fix_missing_terms(audit_run *r, audit_domain *d)
{
    const char *const *terms = (const char *const *)d->missing_term;
    if (d->nmissing == 0 || d->failed ||
        fix_add_terms(r, d, terms, d->missing_code, d->nmissing) != NULL || d->failed ||
        d->nmissing == 1)
        return;
    for (size_t i = 0; i < d->nmissing && !d->failed; i++)
        fix_add_terms(r, d, terms + i, d->missing_code + i, 1);
}

/* Notes a term the record needs, for fix_missing_terms(). */
static void need_term(audit_domain *d, const char *code, char *term)
{
    if (term == NULL) {
        d->failed = 1;
        return;
    }
    d->missing_term[d->nmissing] = term;
    d->missing_code[d->nmissing++] = code;
}

static void audit_ip(audit_run *r, audit_domain *d)
{
    char *sender = dup_printf("postmaster@%s", d->domain);
    emauth_spf_request req = {.ip = r->opt->ip, .mail_from = sender, .helo = d->domain,
                              .identity = EMAUTH_SPF_ID_MAILFROM};
    emauth_spf_eval *ev = NULL;
    emauth_error err;
    emauth_error_clear(&err);
    emauth_status st = sender != NULL ? emauth_spf_check(r->resolver, &req, &ev, &err)
                                      : EMAUTH_ERR_NOMEM;
    const emauth_spf_result *res = st == EMAUTH_OK ? emauth_spf_eval_result(ev) : NULL;
    free(sender);
    if (res == NULL) {
        cli_errorf("%s: SPF check: %s", d->domain,
                   err.message[0] != '\0' ? err.message : emauth_status_str(st));
        d->failed = 1;
        emauth_spf_eval_free(ev);
        return;
    }
    d->ip_checked = 1;
    d->ip_verdict = res->verdict;
    d->ip_mechanism = dup_str(res->mechanism);
    emauth_spf_eval_free(ev);
    if (d->ip_verdict != EMAUTH_SPF_PASS) {
        d->errors++;
        need_term(d, "ip-not-authorized",
                  dup_printf("%s:%s", r->opt->ip.family == 6 ? "ip6" : "ip4", r->opt->ip_text));
    }
}

static void audit_include(audit_run *r, audit_domain *d)
{
    const emauth_lint_node *path[LINT_PATH_MAX];
    d->inc_checked = 1;
    size_t n = d->spf != NULL ? lint_find_path(d->spf->tree, r->opt->include, 0, path) : 0;
    if (n > 0) {
        d->inc_reached = 1;
        d->inc_at = lint_reached_at(path[n - 1]);
        d->inc_cost = path[n - 1]->subtree;
        return;
    }
    d->errors++;
    need_term(d, "include-not-reached", dup_printf("include:%s", r->opt->include));
}

/* ---- Text output ------------------------------------------------------------------------- */

static const char *severity_of_line(const char *line)
{
    return strncmp(line, "error ", 6) == 0 ? "error"
           : strncmp(line, "warning ", 8) == 0 ? "warning"
                                               : "info";
}

/* "AREA: code (severity)" for the summary line; *first cleared after the first. */
static void summary_item(cli_out *o, int *first, const char *area, const char *code,
                         size_t code_len, const char *severity)
{
    cli_out_str(o, *first ? " \xe2\x80\x94 " : ", ");
    *first = 0;
    cli_out_str(o, area);
    cli_out_lit(o, ": ");
    cli_out_text(o, code, code_len);
    cli_out_lit(o, " (");
    cli_out_str(o, severity);
    cli_out_char(o, ')');
}

static void summary_problems(cli_out *o, int *first, const char *area,
                             const emauth_lint_problem *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i].severity != EMAUTH_LINT_INFO)
            summary_item(o, first, area, p[i].code, strlen(p[i].code),
                         emauth_lint_severity_name(p[i].severity));
}

static void text_summary(audit_run *r, const audit_domain *d)
{
    cli_out *o = &r->out;
    int first = 1;
    unsigned n = d->errors + d->warnings;
    cli_out_ctext(o, d->domain);
    cli_out_lit(o, ": ");
    if (n == 0) {
        cli_out_colour(o, CLI_GREEN);
        cli_out_lit(o, "no problems");
        cli_out_colour(o, CLI_PLAIN);
    } else {
        cli_out_colour(o, d->errors > 0 ? CLI_RED : CLI_YELLOW);
        cli_out_uint(o, n);
        cli_out_str(o, n == 1 ? " problem" : " problems");
        cli_out_colour(o, CLI_PLAIN);
    }
    if (d->mx_error != NULL)
        summary_item(o, &first, "MX", "dns-error", 9, "error");
    if (d->spf != NULL)
        summary_problems(o, &first, "SPF", d->spf->problems, d->spf->nproblems);
    if (d->dmarc != NULL)
        summary_problems(o, &first, "DMARC", d->dmarc->problems, d->dmarc->nproblems);
    for (size_t i = 0; i < r->opt->nselectors; i++) {
        const char *s = ea_buf_cstr((ea_buf *)&d->dkim[i].report);
        char area[80];
        snprintf(area, sizeof area, "DKIM %.60s", d->dkim[i].selector);
        for (; *s != '\0'; s += strcspn(s, "\n"), s += *s == '\n') {
            const char *sev = severity_of_line(s);
            if (strcmp(sev, "info") == 0)
                continue;
            const char *code = s + strlen(sev) + 1;
            summary_item(o, &first, area, code, strcspn(code, ":\n"), sev);
        }
    }
    if (d->ip_checked && d->ip_verdict != EMAUTH_SPF_PASS)
        summary_item(o, &first, "SPF", "ip-not-authorized", 17, "error");
    if (d->inc_checked && !d->inc_reached)
        summary_item(o, &first, "SPF", "include-not-reached", 19, "error");
    cli_out_char(o, '\n');
    if (d->nfixes == 0)
        return;
    cli_out_lit(o, "publish:\n");
    for (size_t i = 0; i < d->nfixes; i++) {
        const audit_fix *f = &d->fixes[i];
        cli_out_lit(o, "  ; ");
        cli_out_str(o, strcmp(f->area, "spf") == 0 ? "SPF " : "DMARC ");
        cli_out_str(o, f->code);
        if (f->note != NULL) {
            cli_out_lit(o, ": ");
            cli_out_ctext(o, f->note);
        }
        cli_out_char(o, '\n');
        for (size_t j = 0; j < f->nlines; j++) {
            cli_out_lit(o, "  ");
            cli_out_ctext(o, f->lines[j]);
            cli_out_char(o, '\n');
        }
    }
}

static void text_problems(cli_out *o, const emauth_lint_problem *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        lint_emit_problem_text(o, &p[i]);
}

static void text_details(audit_run *r, const audit_domain *d)
{
    cli_out *o = &r->out;
    cli_out_lit(o, "\nMX:\n");
    if (d->mx_error != NULL) {
        cli_out_lit(o, "  error dns-error: ");
        cli_out_str(o, d->mx_error);
        cli_out_char(o, '\n');
    } else if (d->nmx == 0) {
        cli_out_lit(o, "  no MX: the domain does not receive mail\n");
    }
    for (size_t i = 0; i < d->nmx; i++) {
        cli_out_lit(o, "  ");
        cli_out_uint(o, d->mx_pref[i]);
        cli_out_char(o, ' ');
        if (d->mx_name[i][0] == '\0')
            cli_out_lit(o, ". (null MX, RFC 7505: the domain does not receive mail)");
        else
            cli_out_ctext(o, d->mx_name[i]);
        cli_out_char(o, '\n');
    }
    if (d->mx_total > d->nmx) {
        cli_out_lit(o, "  ... ");
        cli_out_uint(o, d->mx_total - d->nmx);
        cli_out_lit(o, " more\n");
    }
    if (d->spf != NULL) {
        cli_out_lit(o, "\nSPF:\n");
        lint_emit_text(o, d->spf);
    }
    if (d->ip_checked || d->inc_checked) {
        cli_out_lit(o, "\nAuthorization:\n");
        if (d->ip_checked) {
            cli_out_str(o, r->opt->ip_text);
            cli_out_lit(o, ": ");
            cli_out_str(o, emauth_spf_verdict_name(d->ip_verdict));
            if (d->ip_mechanism != NULL) {
                cli_out_lit(o, " (matched ");
                cli_out_ctext(o, d->ip_mechanism);
                cli_out_char(o, ')');
            }
            cli_out_str(o, d->ip_verdict == EMAUTH_SPF_PASS ? ": authorized\n"
                                                            : ": not authorized\n");
        }
        if (d->inc_checked) {
            cli_out_lit(o, "include:");
            cli_out_ctext(o, r->opt->include);
            if (d->inc_reached) {
                cli_out_lit(o, ": reached at lookup ");
                cli_out_uint(o, d->inc_at);
                cli_out_lit(o, ", costs ");
                cli_out_uint(o, d->inc_cost);
                cli_out_str(o, d->inc_cost == 1 ? " lookup\n" : " lookups\n");
            } else {
                cli_out_lit(o, ": not reached through '+' includes\n");
            }
        }
    }
    if (d->dmarc != NULL) {
        cli_out_lit(o, "\nDMARC:\n");
        cli_out_lit(o, "policy domain: ");
        cli_out_ctext(o, d->dmarc->policy_domain != NULL ? d->dmarc->policy_domain : "(none)");
        cli_out_lit(o, "\nrecord: ");
        cli_out_ctext(o, d->dmarc->record != NULL ? d->dmarc->record : "(none)");
        cli_out_char(o, '\n');
        text_problems(o, d->dmarc->problems, d->dmarc->nproblems);
        cli_out_str(o, d->dmarc->valid ? "valid\n" : "not valid\n");
    }
    for (size_t i = 0; i < r->opt->nselectors; i++) {
        const audit_dkim *k = &d->dkim[i];
        cli_out_lit(o, "\nDKIM ");
        cli_out_ctext(o, k->name != NULL ? k->name : k->selector);
        cli_out_lit(o, ":\n");
        if (k->record != NULL) {
            cli_out_lit(o, "record: ");
            cli_out_ctext(o, k->record);
            cli_out_char(o, '\n');
        }
        const char *s = ea_buf_cstr((ea_buf *)&k->report);
        for (size_t len; *s != '\0'; s += len + (s[len] == '\n')) {
            len = strcspn(s, "\n");
            cli_out_text(o, s, len);
            cli_out_char(o, '\n');
        }
        cli_out_str(o, k->counts[EMAUTH_LINT_ERROR] == 0 ? "valid\n" : "not valid\n");
    }
}

/* ---- JSON output ------------------------------------------------------------------------- */

static void json_dkim_problems(cli_out *o, const audit_dkim *k)
{
    const char *s = ea_buf_cstr((ea_buf *)&k->report);
    int first = 1;
    cli_out_char(o, '[');
    for (; *s != '\0'; s += strcspn(s, "\n"), s += *s == '\n') {
        const char *sev = severity_of_line(s);
        const char *code = s + strlen(sev) + 1;
        size_t clen = strcspn(code, ":\n");
        const char *msg = code + clen + (code[clen] == ':') + (code[clen + 1] == ' ');
        if (code[clen] != ':')
            msg = code + clen;
        cli_out_str(o, first ? "{\"code\":" : ",{\"code\":");
        first = 0;
        cli_out_json_str(o, code, clen);
        cli_out_json_key(o, "severity");
        cli_out_json_cstr(o, sev);
        cli_out_json_key(o, "message");
        cli_out_json_str(o, msg, strcspn(msg, "\n"));
        cli_out_json_key(o, "domain");
        cli_out_json_cstr(o, k->name);
        cli_out_lit(o, ",\"term\":null,\"column\":null}");
    }
    cli_out_char(o, ']');
}

static void json_domain(audit_run *r, const audit_domain *d)
{
    cli_out *o = &r->out;
    cli_out_lit(o, "{\"domain\":");
    cli_out_json_cstr(o, d->domain);
    cli_out_json_key(o, "mx");
    cli_out_char(o, '[');
    for (size_t i = 0; i < d->nmx; i++) {
        cli_out_str(o, i > 0 ? ",{\"preference\":" : "{\"preference\":");
        cli_out_uint(o, d->mx_pref[i]);
        cli_out_json_key(o, "exchange");
        cli_out_json_cstr(o, d->mx_name[i][0] != '\0' ? d->mx_name[i] : ".");
        cli_out_char(o, '}');
    }
    cli_out_char(o, ']');
    cli_out_json_key(o, "spf");
    if (d->spf != NULL) {
        cli_out_lit(o, "{\"valid\":");
        cli_out_json_bool(o, d->spf->valid);
        cli_out_json_key(o, "dns_lookups");
        cli_out_uint(o, d->spf->dns_lookups);
        cli_out_json_key(o, "problems");
        lint_emit_problems_json(o, d->spf->problems, d->spf->nproblems);
        cli_out_char(o, '}');
    } else {
        cli_out_lit(o, "null");
    }
    cli_out_json_key(o, "dmarc");
    if (d->dmarc != NULL) {
        cli_out_lit(o, "{\"valid\":");
        cli_out_json_bool(o, d->dmarc->valid);
        cli_out_json_key(o, "policy_domain");
        cli_out_json_cstr(o, d->dmarc->policy_domain);
        cli_out_json_key(o, "record");
        cli_out_json_cstr(o, d->dmarc->record);
        cli_out_json_key(o, "problems");
        lint_emit_problems_json(o, d->dmarc->problems, d->dmarc->nproblems);
        cli_out_char(o, '}');
    } else {
        cli_out_lit(o, "null");
    }
    cli_out_json_key(o, "dkim");
    cli_out_char(o, '[');
    for (size_t i = 0; i < r->opt->nselectors; i++) {
        const audit_dkim *k = &d->dkim[i];
        cli_out_str(o, i > 0 ? ",{\"selector\":" : "{\"selector\":");
        cli_out_json_cstr(o, k->selector);
        cli_out_json_key(o, "valid");
        cli_out_json_bool(o, k->counts[EMAUTH_LINT_ERROR] == 0);
        cli_out_json_key(o, "problems");
        json_dkim_problems(o, k);
        cli_out_char(o, '}');
    }
    cli_out_char(o, ']');
    cli_out_json_key(o, "authorized");
    if (d->ip_checked || d->inc_checked) {
        cli_out_lit(o, "{\"ip\":");
        cli_out_json_cstr(o, d->ip_checked ? r->opt->ip_text : NULL);
        cli_out_json_key(o, "ip_result");
        cli_out_json_cstr(o, d->ip_checked ? emauth_spf_verdict_name(d->ip_verdict) : NULL);
        cli_out_json_key(o, "ip_authorized");
        if (d->ip_checked)
            cli_out_json_bool(o, d->ip_verdict == EMAUTH_SPF_PASS);
        else
            cli_out_lit(o, "null");
        cli_out_json_key(o, "include");
        cli_out_json_cstr(o, d->inc_checked ? r->opt->include : NULL);
        cli_out_json_key(o, "include_reached");
        if (d->inc_checked)
            cli_out_json_bool(o, d->inc_reached);
        else
            cli_out_lit(o, "null");
        cli_out_json_key(o, "include_reached_at");
        cli_out_json_uint_or_null(o, d->inc_reached, d->inc_at);
        cli_out_json_key(o, "include_cost");
        cli_out_json_uint_or_null(o, d->inc_reached, d->inc_cost);
        cli_out_char(o, '}');
    } else {
        cli_out_lit(o, "null");
    }
    cli_out_json_key(o, "fixes");
    cli_out_char(o, '[');
    for (size_t i = 0; i < d->nfixes; i++) {
        const audit_fix *f = &d->fixes[i];
        cli_out_str(o, i > 0 ? ",{\"area\":" : "{\"area\":");
        cli_out_json_cstr(o, f->area);
        cli_out_json_key(o, "code");
        cli_out_json_cstr(o, f->code);
        cli_out_json_key(o, "zone_lines");
        cli_out_char(o, '[');
        for (size_t j = 0; j < f->nlines; j++) {
            if (j > 0)
                cli_out_char(o, ',');
            cli_out_json_cstr(o, f->lines[j]);
        }
        cli_out_char(o, ']');
        cli_out_json_key(o, "note");
        cli_out_json_cstr(o, f->note);
        cli_out_char(o, '}');
    }
    cli_out_char(o, ']');
    cli_out_json_key(o, "problems");
    cli_out_uint(o, d->errors + d->warnings);
    cli_out_lit(o, "}\n");
}

/* ---- One domain ------------------------------------------------------------------------- */

static void domain_free(audit_domain *d, size_t nselectors)
{
    for (size_t i = 0; i < d->nmx; i++)
        free(d->mx_name[i]);
    free(d->mx_error);
    free(d->ip_mechanism);
    for (size_t i = 0; i < d->nmissing; i++)
        free(d->missing_term[i]);
    for (size_t i = 0; i < d->nfixes; i++) {
        free(d->fixes[i].note);
        for (size_t j = 0; j < d->fixes[i].nlines; j++)
            free(d->fixes[i].lines[j]);
    }
    if (d->dkim != NULL)
        for (size_t i = 0; i < nselectors; i++) {
            free(d->dkim[i].name);
            free(d->dkim[i].record);
            ea_buf_free(&d->dkim[i].report);
        }
    free(d->dkim);
}

/* Audits one domain and writes its report; an exit code. */
static int audit_one(audit_run *r, const char *domain)
{
    const audit_opts *opt = r->opt;
    audit_domain d;
    memset(&d, 0, sizeof d);
    d.domain = domain;
    d.dkim = calloc(opt->nselectors + 1, sizeof *d.dkim);
    if (d.dkim == NULL) {
        cli_errorf("out of memory");
        return CLI_EXIT_USAGE;
    }
    for (size_t i = 0; i < opt->nselectors; i++) {
        d.dkim[i].selector = opt->selectors[i];
        ea_buf_init(&d.dkim[i].report);
    }
    audit_mx(r, &d);
    if (!d.failed)
        audit_spf(r, &d);
    if (!d.failed)
        audit_dmarc(r, &d);
    for (size_t i = 0; i < opt->nselectors && !d.failed; i++)
        audit_dkim_one(r, &d, &d.dkim[i]);
    if (!d.failed && opt->ip_text != NULL)
        audit_ip(r, &d);
    if (!d.failed && opt->include != NULL)
        audit_include(r, &d);
    fix_missing_terms(r, &d);
    int rc = d.failed ? CLI_EXIT_USAGE : d.errors > 0 ? CLI_EXIT_PROBLEMS : CLI_EXIT_OK;
    if (!d.failed) {
        if (opt->json) {
            json_domain(r, &d);
        } else {
            text_summary(r, &d);
            text_details(r, &d);
        }
    }
    domain_free(&d, opt->nselectors);
    return rc;
}

/* ---- Options ----------------------------------------------------------------------------- */

static int take_arg(const cli_command *cmd, audit_opts *opt, int id, const char *value)
{
    char q[CLI_QUOTE_MAX];
    emauth_error err;
    switch (id) {
    case CLI_POSITIONAL:
        if (cli_bad_domain(value) != NULL)
            return cli_usage_error(cmd, "not a domain name: \"%s\"", cli_quote(q, value)), -1;
        opt->domains[opt->ndomains++] = value;
        return 0;
    case OPT_SELECTOR:
        if (cli_bad_domain(value) != NULL)
            return cli_usage_error(cmd, "--selector: not a selector: \"%s\"",
                                   cli_quote(q, value)), -1;
        opt->selectors[opt->nselectors++] = value;
        return 0;
    case OPT_IP:
        emauth_error_clear(&err);
        if (emauth_ip_parse(value, strlen(value), &opt->ip, &err) != EMAUTH_OK)
            return cli_usage_error(cmd, "--ip: not an IP address: \"%s\"", cli_quote(q, value)),
                   -1;
        opt->ip_text = value;
        return 0;
    case OPT_INCLUDE:
        if (cli_bad_domain(value) != NULL)
            return cli_usage_error(cmd, "--include: not a domain name: \"%s\"",
                                   cli_quote(q, value)), -1;
        opt->include = value;
        return 0;
    case OPT_DOMAINS: opt->domains_file = value; return 0;
    case OPT_JSON: opt->json = 1; return 0;
    case OPT_CONCURRENCY:
        return cli_number(cmd, "concurrency", value, 1, 100000, &opt->concurrency) < 0 ? -1 : 0;
    case OPT_STATS: opt->stats = 1; return 0;
    case OPT_MODE: {
        int mode = cli_dmarc_mode(cmd, value);
        if (mode < 0)
            return -1;
        opt->mode = mode == EMAUTH_DMARC_7489 ? EMAUTH_DMARC_7489 : EMAUTH_DMARC_9989;
        return 0;
    }
    default: return cli_dns_option(&opt->dns, cmd, id, value) < 0 ? -1 : 0;
    }
}

static int parse_options(const cli_command *cmd, int argc, char **argv, audit_opts *opt)
{
    cli_args args = {cmd, argc, argv, 0};
    const char *value;
    int id, rest = 0;
    while ((id = cli_next_arg(&args, audit_options, &value, &rest)) > 0)
        if (take_arg(cmd, opt, id, value) != 0)
            return CLI_EXIT_USAGE;
    if (id < 0)
        return CLI_EXIT_USAGE;
    if (opt->ndomains == 0 && opt->domains_file == NULL)
        return cli_usage_error(cmd, "a DOMAIN or --domains FILE is required");
    return cli_dns_check(&opt->dns, cmd);
}

/* ---- The command ------------------------------------------------------------------------- */

static void slot_done(audit_slot *s)
{
    s->pending--;
}

static void prefetched_lint(void *arg, const emauth_lint_report *report)
{
    (void)report;
    slot_done(arg);
}

static void prefetched_dmarc(void *arg, const emauth_dmarc_report *report)
{
    (void)report;
    slot_done(arg);
}

static void prefetched_answer(void *arg, const emauth_dns_answer *a)
{
    (void)a;
    slot_done(arg);
}

static void prefetched_spf(void *arg, const emauth_spf_result *res)
{
    (void)res;
    slot_done(arg);
}

/* Counts a prefetch job once it is submitted (it may have completed already). */
static void submitted(audit_slot *s, emauth_status st)
{
    if (st == EMAUTH_OK)
        s->pending++;
}

/*
 * Asks the domain's questions on the engine: what audit_one() will ask
 * first. One that cannot be submitted is simply asked again by the audit.
 * Answers at hand (a zone) complete inside the calls.
 */
static void prefetch(audit_run *r, audit_slot *s)
{
    const audit_opts *opt = r->opt;
    const char *domain = s->domain;
    s->pending = 1;   /* held until every job is submitted */
    submitted(s, emauth_async_spf_lint(r->as, domain, prefetched_lint, s, NULL));
    submitted(s, emauth_async_dmarc_check(r->as, domain, opt->mode, prefetched_dmarc, s,
                                          NULL));
    emauth_dns_question q = {domain, EMAUTH_DNS_MX};
    submitted(s, emauth_async_query(r->as, &q, prefetched_answer, s, NULL));
    for (size_t i = 0; i < opt->nselectors; i++) {
        r->scratch.len = 0;
        if (ea_buf_printf(&r->scratch, "%s._domainkey.%s", opt->selectors[i], domain) != 0)
            continue;
        emauth_dns_question k = {ea_buf_cstr(&r->scratch), EMAUTH_DNS_TXT};
        submitted(s, emauth_async_query(r->as, &k, prefetched_answer, s, NULL));
    }
    if (opt->ip_text != NULL) {
        r->scratch.len = 0;
        if (ea_buf_printf(&r->scratch, "postmaster@%s", domain) == 0) {
            emauth_spf_request req = {.ip = opt->ip, .mail_from = ea_buf_cstr(&r->scratch),
                                      .helo = domain, .identity = EMAUTH_SPF_ID_MAILFROM};
            submitted(s, emauth_async_spf(r->as, &req, prefetched_spf, s, NULL));
        }
    }
    s->pending--;
}

/* Opens --domains FILE when the DOMAINs given are taken; -1 after noting the error. */
static int open_file(audit_run *r)
{
    if (r->in != NULL)
        return 0;
    if ((r->in = fopen(r->opt->domains_file, "r")) != NULL)
        return 0;
    snprintf(r->input_error, sizeof r->input_error, "%s: cannot open", r->opt->domains_file);
    return -1;
}

/*
 * The next domain of the input (DOMAINs given, then the file's lines),
 * malloc'ed; NULL at the end or after an error, noted in input_error and
 * reported when the domains before it are written.
 */
static char *next_domain(audit_run *r)
{
    const audit_opts *opt = r->opt;
    if (r->next_name < opt->ndomains)
        return dup_str(opt->domains[r->next_name++]);
    if (opt->domains_file == NULL || open_file(r) != 0)
        return NULL;
    char line[AUDIT_MAX_LINE_LEN + 2];
    while (fgets(line, sizeof line, r->in) != NULL) {
        r->lineno++;
        size_t len = strlen(line);
        if (len > AUDIT_MAX_LINE_LEN) {
            snprintf(r->input_error, sizeof r->input_error, "%s:%u: line too long",
                     opt->domains_file, r->lineno);
            return NULL;
        }
        line[strcspn(line, "#")] = '\0';
        char *s = line + strspn(line, " \t\r\n");
        s[strcspn(s, " \t\r\n")] = '\0';
        if (*s == '\0')
            continue;
        if (cli_bad_domain(s) != NULL) {
            char q[CLI_QUOTE_MAX];
            snprintf(r->input_error, sizeof r->input_error, "%s:%u: not a domain name: \"%s\"",
                     opt->domains_file, r->lineno, cli_quote(q, s));
            return NULL;
        }
        char *d = dup_str(s);
        if (d == NULL)
            snprintf(r->input_error, sizeof r->input_error, "out of memory");
        return d;
    }
    if (ferror(r->in))
        snprintf(r->input_error, sizeof r->input_error, "%s: read error", opt->domains_file);
    return NULL;
}

/* Reads domains and asks their questions while there is room. */
static void submit_more(audit_run *r)
{
    while (!r->input_done && r->next_seq - r->next_audit < r->opt->concurrency) {
        audit_slot *s = &r->slots[r->next_seq % r->opt->concurrency];
        if ((s->domain = next_domain(r)) == NULL) {
            r->input_done = 1;
            return;
        }
        r->next_seq++;
        prefetch(r, s);
    }
}

/* Audits and writes the domains whose questions are answered, in input order. */
static int audit_ready(audit_run *r, int *first, int rc)
{
    while (rc != CLI_EXIT_USAGE && r->next_audit < r->next_seq) {
        audit_slot *s = &r->slots[r->next_audit % r->opt->concurrency];
        if (s->pending > 0)
            break;
        if (!*first && !r->opt->json)
            cli_out_char(&r->out, '\n');
        *first = 0;
        int one = audit_one(r, s->domain);
        rc = one > rc ? one : rc;
        free(s->domain);
        s->domain = NULL;
        r->next_audit++;
        cli_progress_show(&r->progress, r->next_audit, -1, 0);
    }
    return rc;
}

static int audit_all(audit_run *r)
{
    int rc = CLI_EXIT_OK, first = 1;
    while (rc != CLI_EXIT_USAGE && (!r->input_done || r->next_audit < r->next_seq)) {
        submit_more(r);
        unsigned long before = r->next_audit;
        rc = audit_ready(r, &first, rc);
        if (rc != CLI_EXIT_USAGE && r->next_audit == before && emauth_async_in_flight(r->as) > 0)
            cli_async_wait(r->as, &r->progress);
    }
    cli_progress_show(&r->progress, r->next_audit, 1, 1);
    if (rc != CLI_EXIT_USAGE && r->input_error[0] != '\0') {
        cli_errorf("%s", r->input_error);
        rc = CLI_EXIT_USAGE;
    }
    if (cli_out_flush(&r->out) != 0) {
        cli_errorf("error writing the report");
        rc = CLI_EXIT_USAGE;
    }
    if (r->opt->stats)
        cli_async_print_stats(r->as);
    return rc;
}

int cli_audit(const cli_command *cmd, int argc, char **argv)
{
    audit_opts opt;
    memset(&opt, 0, sizeof opt);
    opt.concurrency = 200;
    opt.domains = calloc((size_t)argc + 1, sizeof *opt.domains);
    opt.selectors = calloc((size_t)argc + 1, sizeof *opt.selectors);
    int rc = opt.domains != NULL && opt.selectors != NULL && cli_dns_init(&opt.dns, argc) == 0
                 ? parse_options(cmd, argc, argv, &opt)
                 : CLI_EXIT_USAGE;
    audit_run r;
    memset(&r, 0, sizeof r);
    r.opt = &opt;
    cli_out_init(&r.out, stdout);
    ea_buf_init(&r.scratch);
    cli_progress_init(&r.progress, opt.domains_file != NULL || opt.ndomains > 1);
    if (rc == CLI_EXIT_OK && (r.as = cli_dns_async(&opt.dns)) == NULL)
        rc = CLI_EXIT_USAGE;
    if (rc == CLI_EXIT_OK &&
        ((r.slots = calloc(opt.concurrency, sizeof *r.slots)) == NULL ||
         emauth_spf_lint_new(&r.lint) != EMAUTH_OK || emauth_dmarc_check_new(&r.dmarc) != EMAUTH_OK ||
         emauth_spf_editor_new(&r.editor) != EMAUTH_OK)) {
        cli_errorf("out of memory");
        rc = CLI_EXIT_USAGE;
    }
    if (rc == CLI_EXIT_OK) {
        r.resolver = emauth_async_resolver(r.as);
        rc = audit_all(&r);
    }
    emauth_async_free(r.as);   /* first: drops the jobs that point at the slots */
    for (size_t i = 0; r.slots != NULL && i < opt.concurrency; i++)
        free(r.slots[i].domain);
    free(r.slots);
    if (r.in != NULL)
        fclose(r.in);
    ea_buf_free(&r.scratch);
    emauth_spf_editor_free(r.editor);
    emauth_dmarc_check_free(r.dmarc);
    emauth_spf_lint_free(r.lint);
    cli_out_free(&r.out);
    cli_dns_free(&opt.dns);
    free(opt.selectors);
    free(opt.domains);
    return rc;
}
