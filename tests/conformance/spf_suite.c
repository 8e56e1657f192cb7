/*
 * spf_suite - runs the OpenSPF conformance suites against emauth.
 *
 *   spf_suite [-v] [--backend api|file|cli|nsd] [FILTER]
 *
 * Reads spf/rfc7208-tests.yml and spf/rfc4408-tests.yml from the directory in
 * $EMAUTH_TESTSUITES (else $EMAUTH_TESTSUITES_DEFAULT). The format is
 * described in testsuites/README.md: one YAML document per scenario, each
 * with its own zonedata. Each scenario's zone is built and also written as
 * an RFC 1035 master file ($TIMEOUT for TIMEOUT entries). The backend says
 * what answers the tests:
 *   api   emauth_spf_check() over the zone built with emauth_zone_add();
 *   file  the same over the master file, loaded by the zone-file parser;
 *   cli   $EMAUTH_BIN spf check --zone MASTER --batch QUERIES --json, the
 *         command's contract as seen from outside;
 *   nsd   the same command over live DNS: NSD on loopback serves the master
 *         file as the root zone (a TIMEOUT name becomes a zone NSD cannot
 *         load, so it answers SERVFAIL: a temperror, as a timeout is).
 *
 * Every RFC 7208 test must pass. The RFC 4408 suite must pass too, except the
 * tests RFC 7208 changed, listed in rfc4408_changed[] below; such a test must
 * still fail (else the table is stale). A missing suite file is skipped.
 *
 * Output: one line per failure, a summary line per suite and the total
 * "N passed, N failed" on the last line. -v prints every test. FILTER keeps
 * only tests whose name contains it. Exit status 0 when nothing failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

#include <emauth/dns.h>
#include <emauth/error.h>
#include <emauth/ip.h>
#include <emauth/spf.h>
#include "util/buf.h"
#include "json.h"
#include "nsd.h"

#define RECEIVER "receiver.example"
#define DEFAULT_EXPLANATION "DEFAULT"
#define FIXED_NOW 1400000000   /* %{t}: 2014-05-13, the suite's era */
#define ZONE_TTL 300

/* ---- The RFC 4408 tests whose expectation RFC 7208 changed --------------- */

typedef struct changed_test {
    const char *name;
    const char *section;   /* the RFC 7208 section that changed it */
    const char *reason;
} changed_test;

/*
 * RFC 4408 tests whose expectation contradicts RFC 7208, one line each:
 *   { "test-name", "§ of RFC 7208 that changed it", "one-line reason" },
 * A listed test must fail and is then counted as passed; one that passes, or
 * a name missing from the suite, is a failure.
 *
 * Empty, found by running: every RFC 4408 test that RFC 7208 changed already
 * accepts the RFC 7208 result among its listed results (txtonly, spfonly,
 * spftimeout, txttimeout, nospftxttimeout, spfoverride, multitxt1, multispf2:
 * §4.4/§4.5 TXT only; exists-dnserr: §5 DNS error is temperror; cidr6-ip4,
 * cidr6-0-ip4: §5.6 ip6-cidr-length does not apply to IPv4; mx-limit: §4.6.4
 * permerror). ptr-limit expects the same in both files, and the RFC 4408
 * file has no void-lookup tests. The sentinel entry keeps the array
 * non-empty in C11; it is never matched.
 */
static const changed_test rfc4408_changed[] = {
    { "", "", "" }
};

#define N_CHANGED (sizeof rfc4408_changed / sizeof rfc4408_changed[0] - 1)

typedef struct suite {
    const char *file;            /* relative to the suites directory */
    unsigned tests;              /* how many tests the file holds */
    const changed_test *changed; /* tests allowed (and required) to fail */
    size_t nchanged;
} suite;

static const suite suites[] = {
    { "spf/rfc7208-tests.yml", 203, NULL, 0 },
    { "spf/rfc4408-tests.yml", 191, rfc4408_changed, N_CHANGED },
};

/* ---- Run state ------------------------------------------------------------ */

typedef enum backend { BACKEND_API, BACKEND_FILE, BACKEND_CLI, BACKEND_NSD } backend;

typedef struct options {
    int verbose;
    const char *filter;
    backend backend;
    const char *bin;              /* the emauth binary, for BACKEND_CLI and BACKEND_NSD */
} options;

/* A CLI result line, decoded. */
typedef struct cli_result {
    char *result, *explanation, *problem;
} cli_result;

typedef struct tally {
    unsigned passed, failed, changed, seen;
} tally;

typedef struct run {
    const options *opt;
    const suite *suite;
    const char *file_name;        /* basename for messages */
    yaml_document_t *doc;
    emauth_zone *zone;            /* built with emauth_zone_add() */
    emauth_zone *queried;         /* what the api and file backends ask */
    ea_buf master;                /* the same zone as a master file, */
    ea_buf timeouts;              /* and its TIMEOUT names, one a line */
    cli_result *cli;              /* the cli backend's results, one per test */
    size_t ncli, next_cli;
    unsigned char *changed_seen;  /* one flag per suite->changed entry */
    tally t;
} run;

/* ---- Small helpers --------------------------------------------------------- */

/* Prints untrusted text with bytes outside printable ASCII as \xHH. */
static void put_escaped(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)(s ? s : "(null)"); *p; p++) {
        if (*p >= 0x20 && *p < 0x7f)
            fputc(*p, f);
        else
            fprintf(f, "\\x%02x", *p);
    }
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* ---- YAML access ----------------------------------------------------------- */

static yaml_node_t *node_at(yaml_document_t *doc, int index)
{
    return yaml_document_get_node(doc, index);
}

static int is_scalar(const yaml_node_t *n)
{
    return n != NULL && n->type == YAML_SCALAR_NODE;
}

static int is_seq(const yaml_node_t *n)
{
    return n != NULL && n->type == YAML_SEQUENCE_NODE;
}

static int is_map(const yaml_node_t *n)
{
    return n != NULL && n->type == YAML_MAPPING_NODE;
}

static const char *scalar(const yaml_node_t *n)
{
    return is_scalar(n) ? (const char *)n->data.scalar.value : NULL;
}

static size_t seq_len(const yaml_node_t *n)
{
    return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}

static yaml_node_t *seq_item(yaml_document_t *doc, const yaml_node_t *n, size_t i)
{
    return node_at(doc, n->data.sequence.items.start[i]);
}

/* The value for key in a mapping node, or NULL. */
static yaml_node_t *map_get(yaml_document_t *doc, const yaml_node_t *map, const char *key)
{
    if (!is_map(map))
        return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        const char *k = scalar(node_at(doc, p->key));
        if (k != NULL && strcmp(k, key) == 0)
            return node_at(doc, p->value);
    }
    return NULL;
}

static const char *map_str(yaml_document_t *doc, const yaml_node_t *map, const char *key)
{
    return scalar(map_get(doc, map, key));
}

/* A scalar or a sequence of scalars, joined with sep into buf. */
static const char *join_scalars(yaml_document_t *doc, const yaml_node_t *n, const char *sep,
                                char *buf, size_t size)
{
    buf[0] = '\0';
    if (is_scalar(n)) {
        snprintf(buf, size, "%s", scalar(n));
    } else if (is_seq(n)) {
        size_t off = 0;
        for (size_t i = 0; i < seq_len(n) && off < size; i++) {
            const char *s = scalar(seq_item(doc, n, i));
            int w = snprintf(buf + off, size - off, "%s%s", i ? sep : "", s ? s : "?");
            off += w > 0 ? (size_t)w : 0;
        }
    }
    return buf;
}

/* ---- Zone building ---------------------------------------------------------- */

/*
 * One zonedata entry, reduced to what the zone needs. Entries are collected
 * per name first so that the SPF->TXT copies and the TIMEOUT cut can be
 * applied in the order the README gives.
 */
typedef struct entry {
    const char *type;            /* "TXT", "SPF", "A", ..., or "TIMEOUT" */
    const yaml_node_t *value;    /* NULL for TIMEOUT */
} entry;

typedef struct name_entries {
    entry *e;
    size_t n;
} name_entries;

/* Appends rr's master-file line; returns the length of its owner field. */
static size_t master_line(run *r, const char *owner, const emauth_dns_rr *rr)
{
    char line[2048];
    size_t n = emauth_dns_rr_format(owner, rr, line, sizeof line);
    if (n >= sizeof line || ea_buf_append(&r->master, line, n) || ea_buf_putc(&r->master, '\n'))
        return 0;
    return (size_t)(strchr(line, ' ') - line);
}

static int add_rr(run *r, const char *owner, const emauth_dns_rr *rr)
{
    emauth_error err;
    emauth_error_clear(&err);
    master_line(r, owner, rr);
    if (emauth_zone_add(r->zone, owner, rr, &err) == EMAUTH_OK)
        return 0;
    fprintf(stderr, "note: %s: zone refused %s %s: ", r->file_name, owner,
            emauth_dns_type_name(rr->type) ? emauth_dns_type_name(rr->type) : "?");
    put_escaped(stderr, err.message);
    fputc('\n', stderr);
    return -1;
}

/* TXT/SPF: one string, a list of strings (joined, no separator), or []. */
static int add_txt(run *r, const char *owner, uint16_t type, const yaml_node_t *v)
{
    emauth_dns_rr rr = { .type = type, .ttl = ZONE_TTL };
    if (is_scalar(v)) {
        rr.u.txt.data = (const char *)v->data.scalar.value;
        rr.u.txt.len = v->data.scalar.length;
        rr.u.txt.nstrings = 1;
        return add_rr(r, owner, &rr);
    }
    if (!is_seq(v))
        return -1;
    size_t total = 0, n = seq_len(v);
    for (size_t i = 0; i < n; i++) {
        const yaml_node_t *s = seq_item(r->doc, v, i);
        if (!is_scalar(s))
            return -1;
        total += s->data.scalar.length;
    }
    char *data = malloc(total + 1);
    if (data == NULL)
        return -1;
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        const yaml_node_t *s = seq_item(r->doc, v, i);
        memcpy(data + off, s->data.scalar.value, s->data.scalar.length);
        off += s->data.scalar.length;
    }
    data[off] = '\0';
    rr.u.txt.data = data;
    rr.u.txt.len = total;
    rr.u.txt.nstrings = n;
    int rc = add_rr(r, owner, &rr);
    free(data);
    return rc;
}

static int add_address(run *r, const char *owner, int family, const char *text)
{
    emauth_ip ip;
    if (text == NULL || emauth_ip_parse_family(text, strlen(text), family, &ip) != EMAUTH_OK) {
        fprintf(stderr, "note: %s: %s: bad address in zonedata\n", r->file_name, owner);
        return -1;
    }
    emauth_dns_rr rr = { .type = family == 4 ? EMAUTH_DNS_A : EMAUTH_DNS_AAAA, .ttl = ZONE_TTL };
    if (family == 4)
        memcpy(rr.u.a, ip.addr, 4);
    else
        memcpy(rr.u.aaaa, ip.addr, 16);
    return add_rr(r, owner, &rr);
}

/* MX: [preference, exchange]; an empty exchange is a null MX. */
static int add_mx(run *r, const char *owner, const yaml_node_t *v)
{
    if (!is_seq(v) || seq_len(v) != 2)
        return -1;
    const char *pref = scalar(seq_item(r->doc, v, 0));
    const char *exchange = scalar(seq_item(r->doc, v, 1));
    if (pref == NULL || exchange == NULL)
        return -1;
    emauth_dns_rr rr = { .type = EMAUTH_DNS_MX, .ttl = ZONE_TTL };
    rr.u.mx.preference = (uint16_t)strtoul(pref, NULL, 10);
    rr.u.mx.exchange = exchange;
    return add_rr(r, owner, &rr);
}

static int add_target(run *r, const char *owner, uint16_t type, const char *target)
{
    if (target == NULL)
        return -1;
    emauth_dns_rr rr = { .type = type, .ttl = ZONE_TTL };
    rr.u.target = target;
    return add_rr(r, owner, &rr);
}

static int add_entry(run *r, const char *owner, const entry *e)
{
    const char *t = e->type;
    if (strcmp(t, "TXT") == 0 || strcmp(t, "SPF") == 0) {
        if (strcmp(scalar(e->value) ? scalar(e->value) : "", "NONE") == 0)
            return 0;   /* TXT: NONE only blocks the SPF->TXT copies */
        return add_txt(r, owner, t[0] == 'T' ? EMAUTH_DNS_TXT : EMAUTH_DNS_SPF, e->value);
    }
    if (strcmp(t, "A") == 0)
        return add_address(r, owner, 4, scalar(e->value));
    if (strcmp(t, "AAAA") == 0)
        return add_address(r, owner, 6, scalar(e->value));
    if (strcmp(t, "MX") == 0)
        return add_mx(r, owner, e->value);
    if (strcmp(t, "PTR") == 0)
        return add_target(r, owner, EMAUTH_DNS_PTR, scalar(e->value));
    if (strcmp(t, "CNAME") == 0)
        return add_target(r, owner, EMAUTH_DNS_CNAME, scalar(e->value));
    fprintf(stderr, "note: %s: %s: unknown zonedata entry %s\n", r->file_name, owner, t);
    return -1;
}

/*
 * Collects the entries of one name in the order the reference driver serves
 * them: the entries as listed, then (when the name has no TXT entry at all,
 * TXT: NONE included) a TXT copy of each SPF entry.
 */
static int collect_entries(run *r, const yaml_node_t *list, name_entries *out)
{
    size_t n = seq_len(list), nspf = 0;
    int has_txt = 0;
    out->e = calloc(2 * n + 1, sizeof *out->e);
    out->n = 0;
    if (out->e == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const yaml_node_t *item = seq_item(r->doc, list, i);
        entry *e = &out->e[out->n++];
        if (is_scalar(item)) {
            e->type = scalar(item);            /* TIMEOUT */
        } else if (is_map(item) && item->data.mapping.pairs.top > item->data.mapping.pairs.start) {
            yaml_node_pair_t *p = item->data.mapping.pairs.start;
            e->type = scalar(node_at(r->doc, p->key));
            e->value = node_at(r->doc, p->value);
        }
        if (e->type == NULL)
            return -1;
        has_txt |= strcmp(e->type, "TXT") == 0;
        nspf += strcmp(e->type, "SPF") == 0;
    }
    for (size_t i = 0; i < n && !has_txt && nspf > 0; i++) {
        if (strcmp(out->e[i].type, "SPF") == 0)
            out->e[out->n++] = (entry){ "TXT", out->e[i].value };
    }
    return 0;
}

/* Notes a TIMEOUT name, escaped as a record line writes its owner. */
static void add_timeout_line(run *r, const char *owner)
{
    emauth_dns_rr probe = {.type = EMAUTH_DNS_A};
    size_t mark = r->master.len;
    size_t owner_len = master_line(r, owner, &probe);
    if (owner_len != 0) {
        ea_buf_append(&r->timeouts, r->master.data + mark, owner_len);
        ea_buf_putc(&r->timeouts, '\n');
    }
    r->master.len = mark;
    if (r->master.data != NULL)
        r->master.data[mark] = '\0';
}

/* The scenario's zone as one master file for emauth, with $TIMEOUT lines. */
static void emauth_zone_text(run *r, ea_buf *out)
{
    ea_buf_puts(out, "$TTL 300\n");
    ea_buf_append(out, r->master.data, r->master.len);
    for (const char *p = ea_buf_cstr(&r->timeouts); *p;) {
        const char *nl = strchr(p, '\n');
        ea_buf_printf(out, "$TIMEOUT %.*s\n", (int)(nl - p), p);
        p = nl + 1;
    }
}

/*
 * Adds one name. The README's TIMEOUT rule ("times out unless an entry of
 * the queried type comes earlier in the list"; the reference driver never
 * serves what follows TIMEOUT) is the zone's $TIMEOUT ("except for types
 * the name has records of") once everything after TIMEOUT is dropped.
 */
static int add_name(run *r, const char *owner, const yaml_node_t *list)
{
    name_entries ne;
    int rc = is_seq(list) ? collect_entries(r, list, &ne) : -1;
    if (rc != 0) {
        if (is_seq(list))
            free(ne.e);
        fprintf(stderr, "note: %s: %s: malformed zonedata\n", r->file_name, owner);
        return -1;
    }
    for (size_t i = 0; i < ne.n && rc == 0; i++) {
        if (strcmp(ne.e[i].type, "TIMEOUT") == 0) {
            if (r->opt->verbose && i + 1 < ne.n)
                printf("note: %s: %s: %zu entries after TIMEOUT not served\n",
                       r->file_name, owner, ne.n - i - 1);
            rc = emauth_zone_add_timeout(r->zone, owner, NULL) == EMAUTH_OK ? 0 : -1;
            add_timeout_line(r, owner);
            break;
        }
        rc = add_entry(r, owner, &ne.e[i]);
    }
    free(ne.e);
    return rc;
}

/* 1 when a label of name is longer than 63 bytes (RFC 1035 §2.3.4). */
static int has_long_label(const char *name)
{
    for (const char *p = name; *p != '\0';) {
        size_t n = strcspn(p, ".");
        if (n > 63)
            return 1;
        p += n + (p[n] == '.');
    }
    return 0;
}

/*
 * Builds r->zone from a scenario's zonedata; returns how many names failed.
 * The zone may refuse a name with a label over 63 bytes: it is then left
 * out, since check_host() must reject such a domain before any query.
 */
static unsigned build_zone(run *r, const yaml_node_t *zonedata)
{
    unsigned bad = 0;
    if (zonedata == NULL)
        return 0;
    if (!is_map(zonedata))
        return 1;
    for (yaml_node_pair_t *p = zonedata->data.mapping.pairs.start;
         p < zonedata->data.mapping.pairs.top; p++) {
        const char *owner = scalar(node_at(r->doc, p->key));
        if (owner == NULL)
            bad++;
        else if (add_name(r, owner, node_at(r->doc, p->value)) != 0 && !has_long_label(owner))
            bad++;
    }
    return bad;
}

/* ---- One test ----------------------------------------------------------------- */

typedef struct outcome {
    const char *verdict;        /* the verdict's name, or NULL when the call failed */
    const char *problem;
    const char *explanation;
    char why[EMAUTH_ERROR_MAX + 64];   /* call failure */
} outcome;

/* Old result names used by earlier copies of the suites. */
static const char *canonical_result(const char *s)
{
    if (strcmp(s, "unknown") == 0)
        return "permerror";
    if (strcmp(s, "error") == 0)
        return "temperror";
    return s;
}

/* 1 when got is the expected result or one of the listed ones. */
static int result_matches(yaml_document_t *doc, const yaml_node_t *expected, const char *got)
{
    if (is_scalar(expected))
        return strcmp(canonical_result(scalar(expected)), got) == 0;
    for (size_t i = 0; is_seq(expected) && i < seq_len(expected); i++) {
        const char *s = scalar(seq_item(doc, expected, i));
        if (s != NULL && strcmp(canonical_result(s), got) == 0)
            return 1;
    }
    return 0;
}

static void fail_call(outcome *o, const char *what, const emauth_error *err)
{
    snprintf(o->why, sizeof o->why, "%s: %s", what, err->message);
}

/* Runs check_host() for one test; the strings in o live as long as *ev. */
static int evaluate(run *r, const yaml_node_t *test, outcome *o, emauth_spf_eval **ev)
{
    const char *host = map_str(r->doc, test, "host");
    emauth_spf_request req = {
        .mail_from = map_str(r->doc, test, "mailfrom"),
        .helo = map_str(r->doc, test, "helo"),
        .identity = EMAUTH_SPF_ID_AUTO,
        .receiver = RECEIVER,
        .default_explanation = DEFAULT_EXPLANATION,
        .now = FIXED_NOW,
    };
    emauth_error err;
    emauth_error_clear(&err);
    if (host == NULL || emauth_ip_parse(host, strlen(host), &req.ip, &err) != EMAUTH_OK) {
        fail_call(o, "bad host", &err);
        return -1;
    }
    if (emauth_spf_check(emauth_zone_resolver(r->queried), &req, ev, &err) != EMAUTH_OK) {
        fail_call(o, "emauth_spf_check failed", &err);
        return -1;
    }
    const emauth_spf_result *res = emauth_spf_eval_result(*ev);
    if (res == NULL) {
        snprintf(o->why, sizeof o->why, "no result after emauth_spf_check");
        return -1;
    }
    o->verdict = emauth_spf_verdict_name(res->verdict);
    o->problem = res->problem;
    o->explanation = res->explanation;
    return 0;
}

/* The cli backend: the next result line of the scenario's batch. */
static int cli_outcome(run *r, outcome *o)
{
    if (r->next_cli >= r->ncli) {
        snprintf(o->why, sizeof o->why, "no result line from %s", r->opt->bin);
        return -1;
    }
    const cli_result *c = &r->cli[r->next_cli++];
    if (c->result == NULL) {
        snprintf(o->why, sizeof o->why, "result line without a result: %s",
                 c->problem ? c->problem : "?");
        return -1;
    }
    o->verdict = c->result;
    o->explanation = c->explanation;
    o->problem = c->problem;
    return 0;
}

/* 1 when the outcome meets the test's expectations. */
static int test_passes(run *r, const yaml_node_t *test, const outcome *o)
{
    if (o->verdict == NULL || !result_matches(r->doc, map_get(r->doc, test, "result"), o->verdict))
        return 0;
    const char *exp = map_str(r->doc, test, "explanation");
    if (exp == NULL || strcmp(o->verdict, "fail") != 0)
        return 1;
    return o->explanation != NULL && strcmp(o->explanation, exp) == 0;
}

static const changed_test *find_changed(run *r, const char *name, size_t *index)
{
    for (size_t i = 0; i < r->suite->nchanged; i++) {
        if (strcmp(r->suite->changed[i].name, name) == 0) {
            *index = i;
            return &r->suite->changed[i];
        }
    }
    return NULL;
}

static void report(run *r, const char *tag, const char *name, const yaml_node_t *test,
                   const outcome *o, const char *note)
{
    char spec[128], expected[128];
    join_scalars(r->doc, map_get(r->doc, test, "spec"), ",", spec, sizeof spec);
    join_scalars(r->doc, map_get(r->doc, test, "result"), "|", expected, sizeof expected);
    const char *exp = map_str(r->doc, test, "explanation");
    printf("%s %s: %s (spec %s): expected %s", tag, r->file_name, name, spec, expected);
    if (exp != NULL) {
        printf(" explanation \"");
        put_escaped(stdout, exp);
        printf("\"");
    }
    printf(", got %s", o->verdict ? o->verdict : "nothing");
    if (o->verdict == NULL) {
        printf(" (");
        put_escaped(stdout, o->why);
        printf(")");
    }
    if (o->problem != NULL) {
        printf(" problem \"");
        put_escaped(stdout, o->problem);
        printf("\"");
    }
    if (o->explanation != NULL) {
        printf(" explanation \"");
        put_escaped(stdout, o->explanation);
        printf("\"");
    }
    if (note != NULL)
        printf(" [%s]", note);
    printf("\n");
}

/* Counts one result, applying the table of tests RFC 7208 changed. */
static void judge(run *r, const char *name, const yaml_node_t *test, const outcome *o, int ok)
{
    size_t ci = 0;
    const changed_test *ch = find_changed(r, name, &ci);
    char note[256];
    if (ch != NULL) {
        r->changed_seen[ci] = 1;
        snprintf(note, sizeof note, "RFC 7208 %s: %s", ch->section, ch->reason);
    }
    if (ch != NULL && ok) {
        r->t.failed++;
        report(r, "FAIL", name, test, o, "listed as changed by RFC 7208 but passes");
    } else if (ch != NULL) {
        r->t.passed++;
        r->t.changed++;
        if (r->opt->verbose)
            report(r, "CHANGED", name, test, o, note);
    } else if (ok) {
        r->t.passed++;
        if (r->opt->verbose)
            report(r, "PASS", name, test, o, NULL);
    } else {
        r->t.failed++;
        report(r, "FAIL", name, test, o, NULL);
    }
}

static void run_test(run *r, const char *name, const yaml_node_t *test, unsigned zone_bad)
{
    outcome o = { 0 };
    emauth_spf_eval *ev = NULL;
    r->t.seen++;
    if (r->opt->filter != NULL && strstr(name, r->opt->filter) == NULL)
        return;
    int ok = 0;
    if (zone_bad)
        snprintf(o.why, sizeof o.why, "%u zonedata names could not be loaded", zone_bad);
    else if (!is_map(test))
        snprintf(o.why, sizeof o.why, "malformed test");
    else if ((r->opt->backend >= BACKEND_CLI ? cli_outcome(r, &o) : evaluate(r, test, &o, &ev)) == 0)
        ok = test_passes(r, test, &o);
    judge(r, name, test, &o, ok);
    if (ev != NULL)
        emauth_spf_eval_free(ev);
}

/* ---- Scenarios and files ------------------------------------------------------ */

/* ---- The file and cli backends --------------------------------------------------- */

static void free_cli(run *r)
{
    for (size_t i = 0; i < r->ncli; i++) {
        free(r->cli[i].result);
        free(r->cli[i].explanation);
        free(r->cli[i].problem);
    }
    free(r->cli);
    r->cli = NULL;
    r->ncli = r->next_cli = 0;
}

static int write_text(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return -1;
    int ok = fwrite(text, 1, len, f) == len;
    return fclose(f) == 0 && ok ? 0 : -1;
}

/* One batch line per test, in the order the tests run. */
static int write_batch(run *r, const yaml_node_t *tests, const char *path)
{
    ea_buf b;
    ea_buf_init(&b);
    for (yaml_node_pair_t *p = tests->data.mapping.pairs.start; p < tests->data.mapping.pairs.top; p++) {
        const yaml_node_t *t = node_at(r->doc, p->value);
        const char *f[3] = {map_str(r->doc, t, "host"), map_str(r->doc, t, "mailfrom"),
                            map_str(r->doc, t, "helo")};
        for (int i = 0; i < 3; i++)
            ea_buf_printf(&b, "%s%s", i ? "\t" : "", f[i] ? f[i] : "");
        ea_buf_putc(&b, '\n');
    }
    int rc = write_text(path, ea_buf_cstr(&b), b.len);
    ea_buf_free(&b);
    return rc;
}

/*
 * Runs the CLI over the scenario's batch, answering from the master file,
 * or from server when not NULL; fills r->cli.
 */
static int run_cli(run *r, const yaml_node_t *tests, const char *server)
{
    char dir[] = "/tmp/emauth-suite-XXXXXX", zone[64], batch[64], cmd[512];
    if (mkdtemp(dir) == NULL)
        return -1;
    snprintf(zone, sizeof zone, "%s/zone", dir);
    snprintf(batch, sizeof batch, "%s/batch", dir);
    ea_buf text, dns;
    ea_buf_init(&text);
    ea_buf_init(&dns);
    emauth_zone_text(r, &text);
    if (server != NULL)
        ea_buf_printf(&dns, "--nameserver %s --timeout 2000 --tries 1", server);
    else
        ea_buf_printf(&dns, "--zone %s", zone);
    int rc = -1;
    if (write_text(zone, ea_buf_cstr(&text), text.len) == 0 && write_batch(r, tests, batch) == 0) {
        snprintf(cmd, sizeof cmd,
                 "'%s' spf check %s --batch %s --json --receiver " RECEIVER
                 " --default-explanation " DEFAULT_EXPLANATION,
                 r->opt->bin, ea_buf_cstr(&dns), batch);
        FILE *out = popen(cmd, "r");
        if (out != NULL) {
            r->cli = calloc(tests->data.mapping.pairs.top - tests->data.mapping.pairs.start + 1,
                            sizeof *r->cli);
            char *line = NULL;
            size_t cap = 0;
            while (r->cli != NULL && getline(&line, &cap, out) > 0) {
                cli_result *c = &r->cli[r->ncli++];
                c->result = test_json_field(line, "result");
                c->explanation = test_json_field(line, "explanation");
                c->problem = test_json_field(line, "error");
                if (c->problem == NULL)
                    c->problem = test_json_field(line, "problem");
            }
            free(line);
            rc = pclose(out) == -1 ? -1 : 0;
        }
    }
    ea_buf_free(&text);
    ea_buf_free(&dns);
    unlink(zone);
    unlink(batch);
    rmdir(dir);
    return rc;
}

/*
 * 1 when the master file has names below name (escaped, absolute), or
 * records at it that SPF asks for: type SPF (99) records are never asked
 * for by an RFC 7208 checker, so losing them changes nothing.
 */
static int has_records(const run *r, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = ea_buf_cstr((ea_buf *)&r->master); (p = strstr(p, name)) != NULL; p += n) {
        if (p[n] != ' ' || (p != r->master.data && p[-1] != '.' && p[-1] != '\n'))
            continue;
        if (p != r->master.data && p[-1] == '.')
            return 1;   /* a name below it */
        const char *in = strstr(p, " IN ");
        if (in == NULL || strncmp(in + 4, "SPF ", 4) != 0)
            return 1;
    }
    return 0;
}

/*
 * The nsd backend: the master file as NSD's root zone, each TIMEOUT name a
 * zone of its own with no file (SERVFAIL), then the CLI over live DNS. A
 * TIMEOUT name with records SPF asks for, or names below it, cannot be such
 * a zone (they would be lost): it is served as it is, without the timeout.
 */
static int run_nsd(run *r, const yaml_node_t *tests)
{
    ea_buf root;
    ea_buf_init(&root);
    ea_buf_puts(&root, "$ORIGIN .\n$TTL 300\n"
                       ". SOA ns.emauth-test. hostmaster.emauth-test. 1 3600 600 86400 300\n"
                       ". NS ns.emauth-test.\n");
    ea_buf_append(&root, r->master.data, r->master.len);
    size_t nzones = 1;
    for (const char *p = ea_buf_cstr(&r->timeouts); *p; p++)
        nzones += *p == '\n';
    test_zone_spec *zones = calloc(nzones, sizeof *zones);
    char *names = strdup(ea_buf_cstr(&r->timeouts));
    int rc = -1;
    if (zones != NULL && names != NULL) {
        zones[0] = (test_zone_spec){".", ea_buf_cstr(&root)};
        size_t i = 1;
        for (char *p = names, *nl; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
            *nl = '\0';
            if (!has_records(r, p))
                zones[i++] = (test_zone_spec){p, NULL};
            else if (r->opt->verbose)
                printf("note: %s: %s has records: served without its TIMEOUT\n",
                       r->file_name, p);
        }
        nzones = i;
        test_nsd nsd;
        if (test_nsd_start(&nsd, zones, nzones) == 0) {
            rc = run_cli(r, tests, nsd.server);
            test_nsd_stop(&nsd);
        }
    }
    free(zones);
    free(names);
    ea_buf_free(&root);
    return rc;
}

/* Prepares what the backend queries; returns how many problems (counted as zone failures). */
static unsigned prepare_backend(run *r, const yaml_node_t *tests)
{
    emauth_error err;
    emauth_error_clear(&err);
    switch (r->opt->backend) {
    case BACKEND_API:
        r->queried = r->zone;
        return 0;
    case BACKEND_FILE: {
        ea_buf text;
        ea_buf_init(&text);
        emauth_zone_text(r, &text);
        r->queried = emauth_zone_new();
        emauth_status st = r->queried == NULL ? EMAUTH_ERR_NOMEM
                           : emauth_zone_load_string(r->queried, ea_buf_cstr(&text), text.len,
                                                     "scenario.zone", NULL, &err);
        ea_buf_free(&text);
        if (st == EMAUTH_OK)
            return 0;
        printf("FAIL %s: the master file did not load: %s\n", r->file_name, err.message);
        return 1;
    }
    case BACKEND_CLI:
        return run_cli(r, tests, NULL) == 0 ? 0 : 1;
    case BACKEND_NSD:
        return run_nsd(r, tests) == 0 ? 0 : 1;
    }
    return 1;
}

static void run_scenario(run *r, const yaml_node_t *root)
{
    const yaml_node_t *tests = map_get(r->doc, root, "tests");
    if (!is_map(tests))
        return;
    r->zone = emauth_zone_new();
    r->master.len = 0;
    r->timeouts.len = 0;
    unsigned bad = r->zone ? build_zone(r, map_get(r->doc, root, "zonedata")) : 1;
    bad += prepare_backend(r, tests);
    for (yaml_node_pair_t *p = tests->data.mapping.pairs.start; p < tests->data.mapping.pairs.top; p++) {
        const char *name = scalar(node_at(r->doc, p->key));
        run_test(r, name ? name : "?", node_at(r->doc, p->value), bad);
    }
    if (r->queried != r->zone)
        emauth_zone_free(r->queried);
    emauth_zone_free(r->zone);
    r->zone = r->queried = NULL;
    free_cli(r);
}

/* Reads every document of the file; returns -1 on a YAML error. */
static int run_documents(run *r, FILE *f)
{
    yaml_parser_t parser;
    int rc = 0;
    if (!yaml_parser_initialize(&parser))
        return -1;
    yaml_parser_set_input_file(&parser, f);
    for (;;) {
        yaml_document_t doc;
        if (!yaml_parser_load(&parser, &doc)) {
            printf("FAIL %s: YAML error at line %lu: %s\n", r->file_name,
                   (unsigned long)parser.problem_mark.line + 1,
                   parser.problem ? parser.problem : "?");
            rc = -1;
            break;
        }
        yaml_node_t *root = yaml_document_get_root_node(&doc);
        if (root != NULL) {
            r->doc = &doc;
            run_scenario(r, root);
            r->doc = NULL;
        }
        yaml_document_delete(&doc);
        if (root == NULL)
            break;
    }
    yaml_parser_delete(&parser);
    return rc;
}

/* Failures the file as a whole can show: stale table entries, a wrong count. */
static void check_totals(run *r)
{
    for (size_t i = 0; r->opt->filter == NULL && i < r->suite->nchanged; i++) {
        if (!r->changed_seen[i]) {
            printf("FAIL %s: %s: listed as changed by RFC 7208 but not in the suite\n",
                   r->file_name, r->suite->changed[i].name);
            r->t.failed++;
        }
    }
    if (r->t.seen != r->suite->tests) {
        printf("FAIL %s: %u tests read, %u expected\n", r->file_name, r->t.seen, r->suite->tests);
        r->t.failed++;
    }
}

static tally run_suite(const options *opt, const suite *s, const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, s->file);
    run r = { .opt = opt, .suite = s, .file_name = base_name(path) };
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        printf("SKIP: %s not found (set EMAUTH_TESTSUITES)\n", path);
        return r.t;
    }
    r.changed_seen = calloc(s->nchanged + 1, 1);
    ea_buf_init(&r.master);
    ea_buf_init(&r.timeouts);
    if (r.changed_seen == NULL || run_documents(&r, f) != 0)
        r.t.failed++;
    else
        check_totals(&r);
    fclose(f);
    free(r.changed_seen);
    ea_buf_free(&r.master);
    ea_buf_free(&r.timeouts);
    if (r.t.changed)
        printf("%s: %u tests fail as RFC 7208 changed them (counted as passed)\n",
               r.file_name, r.t.changed);
    printf("%s: %u passed, %u failed\n", r.file_name, r.t.passed, r.t.failed);
    return r.t;
}

static const char *suites_dir(void)
{
    const char *dir = getenv("EMAUTH_TESTSUITES");
    if (dir == NULL || *dir == '\0')
        dir = getenv("EMAUTH_TESTSUITES_DEFAULT");
    return dir != NULL && *dir != '\0' ? dir : "testsuites";
}

static int usage(const char *argv0)
{
    fprintf(stderr, "usage: %s [-v] [--backend api|file|cli|nsd] [TEST-NAME-SUBSTRING]\n", argv0);
    return 2;
}

int main(int argc, char **argv)
{
    options opt = { 0 };
    static const char *const names[] = {"api", "file", "cli", "nsd"};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-v") == 0) {
            opt.verbose = 1;
        } else if (strcmp(argv[i], "--backend") == 0 && i + 1 < argc) {
            i++;
            for (opt.backend = BACKEND_API; opt.backend <= BACKEND_NSD; opt.backend++)
                if (strcmp(argv[i], names[opt.backend]) == 0)
                    break;
            if (opt.backend > BACKEND_NSD)
                return usage(argv[0]);
        } else if (argv[i][0] == '-' || opt.filter != NULL) {
            return usage(argv[0]);
        } else {
            opt.filter = argv[i];
        }
    }
    opt.bin = getenv("EMAUTH_BIN");
    if (opt.backend >= BACKEND_CLI && (opt.bin == NULL || *opt.bin == '\0')) {
        fprintf(stderr, "the %s backend needs EMAUTH_BIN, the emauth binary\n", names[opt.backend]);
        return 2;
    }
    if (opt.backend == BACKEND_NSD && !test_nsd_available()) {
        printf("SKIP: nsd is not installed (apt-get install nsd)\n0 passed, 0 failed\n");
        return 0;
    }
    printf("backend: %s\n", names[opt.backend]);
    const char *dir = suites_dir();
    tally total = { 0 };
    for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++) {
        tally t = run_suite(&opt, &suites[i], dir);
        total.passed += t.passed;
        total.failed += t.failed;
    }
    printf("%u passed, %u failed\n", total.passed, total.failed);
    return total.failed == 0 ? 0 : 1;
}
