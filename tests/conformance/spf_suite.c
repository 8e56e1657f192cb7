/*
 * spf_suite - runs the OpenSPF conformance suites against emauth_spf_check().
 *
 *   spf_suite [-v] [FILTER]
 *
 * Reads spf/rfc7208-tests.yml and spf/rfc4408-tests.yml from the directory in
 * $EMAUTH_TESTSUITES (else $EMAUTH_TESTSUITES_DEFAULT). The format is
 * described in testsuites/README.md: one YAML document per scenario, each
 * with its own zonedata, turned here into an emauth_zone.
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

#include <yaml.h>

#include <emauth/dns.h>
#include <emauth/error.h>
#include <emauth/ip.h>
#include <emauth/spf.h>

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

typedef struct options {
    int verbose;
    const char *filter;
} options;

typedef struct tally {
    unsigned passed, failed, changed, seen;
} tally;

typedef struct run {
    const options *opt;
    const suite *suite;
    const char *file_name;        /* basename for messages */
    yaml_document_t *doc;
    emauth_zone *zone;
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

static int add_rr(run *r, const char *owner, const emauth_dns_rr *rr)
{
    emauth_error err;
    emauth_error_clear(&err);
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
    if (emauth_spf_check(emauth_zone_resolver(r->zone), &req, ev, &err) != EMAUTH_OK) {
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
    else if (evaluate(r, test, &o, &ev) == 0)
        ok = test_passes(r, test, &o);
    judge(r, name, test, &o, ok);
    if (ev != NULL)
        emauth_spf_eval_free(ev);
}

/* ---- Scenarios and files ------------------------------------------------------ */

static void run_scenario(run *r, const yaml_node_t *root)
{
    const yaml_node_t *tests = map_get(r->doc, root, "tests");
    if (!is_map(tests))
        return;
    r->zone = emauth_zone_new();
    unsigned bad = r->zone ? build_zone(r, map_get(r->doc, root, "zonedata")) : 1;
    for (yaml_node_pair_t *p = tests->data.mapping.pairs.start; p < tests->data.mapping.pairs.top; p++) {
        const char *name = scalar(node_at(r->doc, p->key));
        run_test(r, name ? name : "?", node_at(r->doc, p->value), bad);
    }
    emauth_zone_free(r->zone);
    r->zone = NULL;
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
    if (r.changed_seen == NULL || run_documents(&r, f) != 0)
        r.t.failed++;
    else
        check_totals(&r);
    fclose(f);
    free(r.changed_seen);
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

int main(int argc, char **argv)
{
    options opt = { 0 };
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-v") == 0) {
            opt.verbose = 1;
        } else if (argv[i][0] == '-' || opt.filter != NULL) {
            fprintf(stderr, "usage: %s [-v] [TEST-NAME-SUBSTRING]\n", argv[0]);
            return 2;
        } else {
            opt.filter = argv[i];
        }
    }
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
