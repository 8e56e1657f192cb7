/*
 * The SPF analyzer (emauth/spf_lint.h) over zones built from master-file
 * strings: every problem code with a record that raises it and a close
 * variant that must not, the tree and its counts, the ranges, records given
 * as text, loops, cut trees, and the authorized union with each refusal.
 *
 * Every report is also checked for the invariants of the contract (order of
 * severities, valid, the counts adding up, columns pointing at their terms).
 * LINT_DUMP=1 prints each report.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <emauth/spf_lint.h>

/* ---- a resolver that counts and logs the questions -------------------------- */

#define LOGGED 64

typedef struct spy {
    emauth_resolver base;
    emauth_resolver *inner;
    size_t asked;
    char name[LOGGED][256];
    uint16_t type[LOGGED];
} spy;

static emauth_status spy_query(emauth_resolver *r, const emauth_dns_question *q,
                               emauth_dns_answer *out)
{
    spy *s = (spy *)r;
    if (s->asked < LOGGED) {
        snprintf(s->name[s->asked], sizeof s->name[0], "%s", q->name);
        s->type[s->asked] = q->type;
    }
    s->asked++;
    return s->inner->query(s->inner, q, out);
}

/* ---- the fixture: one zone, one analyzer, freed by the teardown --------------- */

static struct {
    emauth_zone *zone;
    emauth_spf_lint *lint;
    spy spy;
} fx;

static int teardown(void **state)
{
    (void)state;
    emauth_spf_lint_free(fx.lint);
    emauth_zone_free(fx.zone);
    memset(&fx, 0, sizeof fx);
    return 0;
}

static void load_zone(const char *text)
{
    teardown(NULL);
    fx.zone = emauth_zone_new();
    assert_non_null(fx.zone);
    emauth_error err;
    emauth_error_clear(&err);
    if (text != NULL &&
        emauth_zone_load_string(fx.zone, text, strlen(text), "t.zone", NULL, &err) != EMAUTH_OK)
        fail_msg("zone: %s", err.message);
    memset(&fx.spy, 0, sizeof fx.spy);
    fx.spy.base.query = spy_query;
    fx.spy.inner = emauth_zone_resolver(fx.zone);
    assert_int_equal(emauth_spf_lint_new(&fx.lint), EMAUTH_OK);
}

static void dump_node(const emauth_lint_node *n, int depth)
{
    char buf[64];
    printf("%*s%s%s%s [%c] %s: lookups %u total %u subtree %u%s%s\n", depth * 2, "",
           n->via ? n->via : "", n->via ? " -> " : "", n->domain ? n->domain : "(none)",
           n->via_qualifier, n->record ? n->record : "(no record)", n->lookups, n->total,
           n->subtree, n->dynamic ? " dynamic" : "", n->loop ? " loop" : "");
    for (size_t i = 0; i < n->nranges; i++) {
        emauth_cidr_format(&n->ranges[i], buf, sizeof buf);
        printf("%*s  range %s\n", depth * 2, "", buf);
    }
    for (size_t i = 0; i < n->nvoids; i++)
        printf("%*s  void %s (%s, column %u)\n", depth * 2, "", n->voids[i].name,
               n->voids[i].term, n->voids[i].column);
    for (size_t i = 0; i < n->nchildren; i++)
        dump_node(n->children[i], depth + 1);
}

static void dump(const emauth_lint_report *r)
{
    printf("== %s: valid %d, %u lookups, %u voids\n", r->domain ? r->domain : "(none)",
           r->valid, r->dns_lookups, r->void_lookups);
    dump_node(r->tree, 1);
    for (size_t i = 0; i < r->nproblems; i++) {
        const emauth_lint_problem *p = &r->problems[i];
        printf("  %s %s [%s] '%s' col %u: %s\n", emauth_lint_severity_name(p->severity), p->code,
               p->domain ? p->domain : "-", p->term ? p->term : "-", p->column, p->message);
    }
}

/* The contract's invariants, for every node; returns the voids in the subtree. */
static unsigned check_node(const emauth_lint_node *n, unsigned *nodes)
{
    unsigned sum = n->lookups, voids = (unsigned)n->nvoids;
    ++*nodes;
    if (n->loop) {
        assert_null(n->record);
        assert_int_equal(n->nchildren, 0);
    }
    for (size_t i = 0; i < n->nvoids; i++)
        assert_true(n->record != NULL &&
                    strncmp(n->record + n->voids[i].column - 1, n->voids[i].term,
                            strlen(n->voids[i].term)) == 0);
    for (size_t i = 0; i < n->nchildren; i++) {
        const emauth_lint_node *c = n->children[i];
        assert_non_null(c->via);
        assert_non_null(n->record);
        assert_int_equal(strncmp(n->record + c->via_column - 1, c->via, strlen(c->via)), 0);
        assert_true(c->total <= n->total);
        voids += check_node(c, nodes);
        sum += c->subtree;
    }
    assert_int_equal(n->subtree, sum);
    return voids;
}

static void check_report(const emauth_lint_report *r)
{
    int errors = 0;
    for (size_t i = 0; i < r->nproblems; i++) {
        const emauth_lint_problem *p = &r->problems[i];
        if (i > 0)
            assert_true(r->problems[i - 1].severity <= p->severity);
        errors += p->severity == EMAUTH_LINT_ERROR;
        assert_non_null(p->code);
        assert_true(p->message != NULL && p->message[0] != '\0');
        assert_null(strchr(p->message, '\n'));
        if (p->term == NULL) {
            assert_int_equal(p->column, 0);
        } else {
            assert_true(p->column >= 1);
            if (p->record != NULL)
                assert_int_equal(strncmp(p->record + p->column - 1, p->term, strlen(p->term)),
                                 0);
        }
    }
    assert_int_equal(r->valid, errors == 0);
    assert_non_null(r->tree);
    assert_null(r->tree->via);
    unsigned nodes = 0;
    assert_int_equal(check_node(r->tree, &nodes), r->void_lookups);
    assert_true(nodes <= EMAUTH_LINT_MAX_NODES);
    assert_int_equal(r->tree->total, r->dns_lookups);
    assert_int_equal(r->tree->subtree, r->dns_lookups);
    if (r->domain != NULL && r->tree->domain != NULL)
        assert_string_equal(r->domain, r->tree->domain);
}

/* Loads zone, analyzes domain (record: as given text), returns the checked report. */
static const emauth_lint_report *analyze(const char *zone, const char *domain, const char *record)
{
    load_zone(zone);
    emauth_error err;
    emauth_error_clear(&err);
    emauth_status st = emauth_spf_lint_start(fx.lint, domain, record, record ? strlen(record) : 0,
                                             &err);
    if (st != EMAUTH_OK)
        fail_msg("start: %s", err.message);
    assert_int_equal(emauth_spf_lint_run(fx.lint, &fx.spy.base), EMAUTH_OK);
    const emauth_lint_report *r = emauth_spf_lint_report(fx.lint);
    assert_non_null(r);
    if (getenv("LINT_DUMP"))
        dump(r);
    check_report(r);
    return r;
}

static const emauth_lint_problem *find(const emauth_lint_report *r, const char *code)
{
    for (size_t i = 0; i < r->nproblems; i++)
        if (strcmp(r->problems[i].code, code) == 0)
            return &r->problems[i];
    return NULL;
}

static size_t count(const emauth_lint_report *r, const char *code)
{
    size_t n = 0;
    for (size_t i = 0; i < r->nproblems; i++)
        n += strcmp(r->problems[i].code, code) == 0;
    return n;
}

static const emauth_lint_node *node_of(const emauth_lint_node *n, const char *domain)
{
    if (n->domain != NULL && strcmp(n->domain, domain) == 0)
        return n;
    for (size_t i = 0; i < n->nchildren; i++) {
        const emauth_lint_node *c = node_of(n->children[i], domain);
        if (c != NULL)
            return c;
    }
    return NULL;
}

static void expect_ranges(const emauth_cidr *v, size_t n, const char *const *want)
{
    size_t k = 0;
    for (; want[k] != NULL; k++) {
        if (k >= n)
            fail_msg("range %zu missing: want %s", k, want[k]);
        char buf[64];
        emauth_cidr_format(&v[k], buf, sizeof buf);
        if (strcmp(buf, want[k]) != 0)
            fail_msg("range %zu: got %s, want %s", k, buf, want[k]);
    }
    if (k != n)
        fail_msg("%zu ranges, want %zu", n, k);
}

/* ---- every problem code: a trigger and a close variant ---------------------------- */

typedef struct setup {
    const char *zone;
    const char *domain;
    const char *record;   /* given as text, or NULL: looked up */
} setup;

typedef struct pcase {
    const char *code;
    emauth_lint_severity severity;
    setup pos;
    const char *domain;   /* where the problem must be */
    const char *term;     /* NULL: about the whole domain or record */
    unsigned column;
    const char *message;  /* a part of the message, or NULL */
    setup neg;            /* must not raise code */
} pcase;

#define S14 " ip4:192.0.2.1"
#define S14x5 S14 S14 S14 S14 S14
#define S14x15 S14x5 S14x5 S14x5
#define INC " include:inc.example"
#define INCx5 INC INC INC INC INC
#define INCx10 INCx5 INCx5
#define SPLIT "\" \""
#define INC_ZONE "inc.example. TXT \"v=spf1 -all\"\n"

static const pcase cases[] = {
    {"no-record", EMAUTH_LINT_ERROR,
     {"nr.example. TXT \"hello world\"\n", "nr.example", NULL},
     "nr.example", NULL, 0, "no SPF record",
     {"nr.example. TXT \"v=spf1 -all\"\n", "nr.example", NULL}},
    {"no-record", EMAUTH_LINT_ERROR,
     {"other.example. TXT \"v=spf1 -all\"\n", "nx.example", NULL},
     "nx.example", NULL, 0, "no such domain",
     {"nx.example. TXT \"v=spf1 -all\"\n", "nx.example", NULL}},
    {"multiple-records", EMAUTH_LINT_ERROR,
     {"mr.example. TXT \"v=spf1 -all\"\nmr.example. TXT \"v=spf1 ~all\"\n", "mr.example", NULL},
     "mr.example", NULL, 0, "2 SPF records",
     {"mr.example. TXT \"v=spf1 -all\"\nmr.example. TXT \"site-verification=1\"\n", "mr.example",
      NULL}},
    {"syntax", EMAUTH_LINT_ERROR,
     {NULL, "sx.example", "v=spf1 ip4:192.0.2 -all"},
     "sx.example", "ip4:192.0.2", 8, "expected an IPv4 address",
     {NULL, "sx.example", "v=spf1 ip4:192.0.2.0 -all"}},
    {"syntax", EMAUTH_LINT_ERROR,
     {"sy.example. TXT \"v=spf1 include:bad.example -all\"\n"
      "bad.example. TXT \"v=spf1 ~all foo\"\n", "sy.example", NULL},
     "bad.example", "foo", 13, "unknown mechanism",
     {"sy.example. TXT \"v=spf1 include:bad.example -all\"\n"
      "bad.example. TXT \"v=spf1 ~all\"\n", "sy.example", NULL}},
    {"too-many-lookups", EMAUTH_LINT_ERROR,
     {INC_ZONE, "tm.example", "v=spf1" INCx5 INCx5 INC " -all"},
     "tm.example", "include:inc.example", 208, "11 DNS lookups (limit 10)",
     {INC_ZONE, "tm.example", "v=spf1" INCx5 INCx5 " -all"}},
    {"void-lookups", EMAUTH_LINT_ERROR,
     {NULL, "vl.example", "v=spf1 a:n1.vl.example a:n2.vl.example a:n3.vl.example -all"},
     "vl.example", "a:n3.vl.example", 40, "3 void DNS lookups (limit 2): a:n1.vl.example in",
     {"n1.vl.example. A 192.0.2.1\nn2.vl.example. A 192.0.2.2\nn3.vl.example. AAAA 2001:db8::3\n",
      "vl.example", "v=spf1 a:n1.vl.example a:n2.vl.example a:n3.vl.example -all"}},
    {"void-lookups", EMAUTH_LINT_WARNING,
     {NULL, "vl.example", "v=spf1 a:n1.vl.example -all"},
     "vl.example", "a:n1.vl.example", 8, "1 void DNS lookup (limit 2)",
     {"n1.vl.example. A 192.0.2.1\n", "vl.example", "v=spf1 a:n1.vl.example -all"}},
    {"include-loop", EMAUTH_LINT_ERROR,
     {"la.example. TXT \"v=spf1 include:lb.example -all\"\n"
      "lb.example. TXT \"v=spf1 ip4:192.0.2.1 include:LA.example -all\"\n", "la.example", NULL},
     "lb.example", "include:LA.example", 22, "la.example -> lb.example -> la.example",
     {"la.example. TXT \"v=spf1 include:lb.example -all\"\n"
      "lb.example. TXT \"v=spf1 ip4:192.0.2.1 include:lc.example -all\"\n"
      "lc.example. TXT \"v=spf1 -all\"\n", "la.example", NULL}},
    {"include-no-record", EMAUTH_LINT_ERROR,
     {"in.example. TXT \"v=spf1 include:gone.example -all\"\n", "in.example", NULL},
     "in.example", "include:gone.example", 8, "no such domain at gone.example",
     {"in.example. TXT \"v=spf1 include:gone.example -all\"\n"
      "gone.example. TXT \"v=spf1 -all\"\n", "in.example", NULL}},
    {"include-no-record", EMAUTH_LINT_ERROR,
     {"rn.example. TXT \"v=spf1 redirect=gone.example\"\n"
      "gone.example. TXT \"hello\"\n", "rn.example", NULL},
     "rn.example", "redirect=gone.example", 8, "no SPF record at gone.example",
     {"rn.example. TXT \"v=spf1 redirect=gone.example\"\n"
      "gone.example. TXT \"v=spf1 -all\"\n", "rn.example", NULL}},
    {"include-permerror", EMAUTH_LINT_ERROR,
     {"ip.example. TXT \"v=spf1 include:bad.example -all\"\n"
      "bad.example. TXT \"v=spf1 foo -all\"\n", "ip.example", NULL},
     "ip.example", "include:bad.example", 8, "syntax error at column 8",
     {"ip.example. TXT \"v=spf1 include:bad.example -all\"\n"
      "bad.example. TXT \"v=spf1 -all\"\n", "ip.example", NULL}},
    {"include-permerror", EMAUTH_LINT_ERROR,
     {"ip.example. TXT \"v=spf1 ~include:two.example -all\"\n"
      "two.example. TXT \"v=spf1 -all\"\ntwo.example. TXT \"v=spf1 ~all\"\n", "ip.example", NULL},
     "ip.example", "~include:two.example", 8, "two.example publishes 2 SPF records",
     {"ip.example. TXT \"v=spf1 ~include:two.example -all\"\n"
      "two.example. TXT \"v=spf1 -all\"\ntwo.example. TXT \"v=spf2.0/pra -all\"\n", "ip.example",
      NULL}},
    {"mx-too-many", EMAUTH_LINT_ERROR,
     {"mt.example. TXT \"v=spf1 mx -all\"\n"
      "mt.example. MX 1 m1.mt.example.\nmt.example. MX 2 m2.mt.example.\n"
      "mt.example. MX 3 m3.mt.example.\nmt.example. MX 4 m4.mt.example.\n"
      "mt.example. MX 5 m5.mt.example.\nmt.example. MX 6 m6.mt.example.\n"
      "mt.example. MX 7 m7.mt.example.\nmt.example. MX 8 m8.mt.example.\n"
      "mt.example. MX 9 m9.mt.example.\nmt.example. MX 10 m10.mt.example.\n"
      "mt.example. MX 11 m11.mt.example.\n", "mt.example", NULL},
     "mt.example", "mx", 8, "11 MX records (limit 10)",
     {"mt.example. TXT \"v=spf1 mx -all\"\n"
      "mt.example. MX 1 m1.mt.example.\nmt.example. MX 2 m2.mt.example.\n"
      "mt.example. MX 3 m3.mt.example.\nmt.example. MX 4 m4.mt.example.\n"
      "mt.example. MX 5 m5.mt.example.\nmt.example. MX 6 m6.mt.example.\n"
      "mt.example. MX 7 m7.mt.example.\nmt.example. MX 8 m8.mt.example.\n"
      "mt.example. MX 9 m9.mt.example.\nmt.example. MX 10 m10.mt.example.\n", "mt.example",
      NULL}},
    {"ptr-deprecated", EMAUTH_LINT_WARNING,
     {NULL, "pd.example", "v=spf1 ptr:pd.example -all"},
     "pd.example", "ptr:pd.example", 8, "section 5.5",
     {NULL, "pd.example", "v=spf1 a:pd.example -all"}},
    {"permissive-all", EMAUTH_LINT_WARNING,
     {NULL, "pa.example", "v=spf1 +all"},
     "pa.example", "+all", 8, "every host",
     {NULL, "pa.example", "v=spf1 ~all"}},
    {"permissive-all", EMAUTH_LINT_WARNING,
     {NULL, "pa.example", "v=spf1 ip4:192.0.2.1 ?all"},
     "pa.example", "?all", 22, "neutral",
     {NULL, "pa.example", "v=spf1 ip4:192.0.2.1 -all"}},
    {"no-all", EMAUTH_LINT_WARNING,
     {NULL, "na.example", "v=spf1 ip4:192.0.2.1"},
     "na.example", NULL, 0, "~all or -all",
     {NULL, "na.example", "v=spf1 ip4:192.0.2.1 -all"}},
    {"no-all", EMAUTH_LINT_WARNING,   /* the last redirect target ends the evaluation */
     {"na.example. TXT \"v=spf1 redirect=nb.example\"\n"
      "nb.example. TXT \"v=spf1 ip4:192.0.2.1\"\n", "na.example", NULL},
     "nb.example", NULL, 0, "record of nb.example",
     {"na.example. TXT \"v=spf1 redirect=nb.example\"\n"
      "nb.example. TXT \"v=spf1 ip4:192.0.2.1 ~all\"\n", "na.example", NULL}},
    {"no-all", EMAUTH_LINT_WARNING,   /* an included record does not end it */
     {"na.example. TXT \"v=spf1 include:nb.example\"\n"
      "nb.example. TXT \"v=spf1 ip4:192.0.2.1\"\n", "na.example", NULL},
     "na.example", NULL, 0, "record of na.example",
     {"na.example. TXT \"v=spf1 include:nb.example -all\"\n"
      "nb.example. TXT \"v=spf1 ip4:192.0.2.1\"\n", "na.example", NULL}},
    {"all-not-last", EMAUTH_LINT_WARNING,
     {NULL, "al.example", "v=spf1 -all ip4:192.0.2.1 exp=x.al.example"},
     "al.example", "ip4:192.0.2.1", 13, "never evaluated",
     {NULL, "al.example", "v=spf1 ip4:192.0.2.1 -all exp=x.al.example"}},
    {"redirect-ignored", EMAUTH_LINT_WARNING,
     {"ri.example. TXT \"v=spf1 -all redirect=rt.example\"\n"
      "rt.example. TXT \"v=spf1 -all\"\n", "ri.example", NULL},
     "ri.example", "redirect=rt.example", 13, "ignored",
     {"ri.example. TXT \"v=spf1 redirect=rt.example\"\n"
      "rt.example. TXT \"v=spf1 -all\"\n", "ri.example", NULL}},
    {"duplicate-term", EMAUTH_LINT_WARNING,
     {NULL, "du.example", "v=spf1 ip4:192.0.2.1 -IP4:192.0.2.1 -all"},
     "du.example", "-IP4:192.0.2.1", 22, "repeats 'ip4:192.0.2.1' at column 8",
     {NULL, "du.example", "v=spf1 ip4:192.0.2.1 -ip4:192.0.2.2 -all"}},
    {"redundant-ip", EMAUTH_LINT_WARNING,
     {NULL, "rp.example", "v=spf1 ip4:192.0.2.0/24 ~ip4:192.0.2.7 -all"},
     "rp.example", "~ip4:192.0.2.7", 25, "covered by 'ip4:192.0.2.0/24' at column 8",
     {NULL, "rp.example", "v=spf1 ~ip4:192.0.2.7 ip4:192.0.2.0/24 -all"}},
    {"redundant-ip", EMAUTH_LINT_WARNING,
     {NULL, "rp.example", "v=spf1 ip6:2001:db8::7 ip4:198.51.100.0/24 ip6:2001:db8::/32 -all"},
     "rp.example", "ip6:2001:db8::7", 8, "covered by 'ip6:2001:db8::/32'",
     {NULL, "rp.example", "v=spf1 ip6:2001:db8::7 a ip6:2001:db8::/32 -all"}},
    {"ip-host-bits", EMAUTH_LINT_WARNING,
     {NULL, "hb.example", "v=spf1 ip4:192.168.0.1/16 -all"},
     "hb.example", "ip4:192.168.0.1/16", 8, "it means 192.168.0.0/16",
     {NULL, "hb.example", "v=spf1 ip4:192.168.0.0/16 -all"}},
    {"ip-host-bits", EMAUTH_LINT_WARNING,
     {NULL, "hb.example", "v=spf1 ip6:2001:db8::1/32 -all"},
     "hb.example", "ip6:2001:db8::1/32", 8, "it means 2001:db8::/32",
     {NULL, "hb.example", "v=spf1 ip6:2001:db8::1 -all"}},
    {"string-too-long", EMAUTH_LINT_WARNING,
     {NULL, "sl.example", "v=spf1" S14x15 S14x5 " -all"},
     "sl.example", NULL, 0, "publish it as 2 strings",
     {NULL, "sl.example", "v=spf1" S14x15 S14 S14 " -all"}},
    {"answer-too-large", EMAUTH_LINT_WARNING,
     {"at.example. TXT \"v=spf1" S14x15 "\" \"" S14x15 "\" \"" S14x15 " -all\"\n", "at.example",
      NULL},
     "at.example", NULL, 0, "over the 512",
     {"at.example. TXT \"v=spf1" S14x15 "\" \"" S14x15 " -all\"\n", "at.example", NULL}},
    {"answer-too-large", EMAUTH_LINT_WARNING,
     {NULL, "at.example", "v=spf1" S14x15 S14x15 S14x5 " -all"},
     "at.example", NULL, 0, "published alone",
     {NULL, "at.example", "v=spf1" S14x15 S14x15 " -all"}},
    {"spf-rr-type", EMAUTH_LINT_WARNING,
     {"sr.example. TXT \"v=spf1 -all\"\nsr.example. SPF \"v=spf1 -all\"\n", "sr.example", NULL},
     "sr.example", NULL, 0, "type SPF (99)",
     {"sr.example. TXT \"v=spf1 -all\"\nsr.example. A 192.0.2.1\n", "sr.example", NULL}},
    {"unknown-modifier", EMAUTH_LINT_WARNING,
     {INC_ZONE, "um.example", "v=spf1 ~all redirct=inc.example"},
     "um.example", "redirct=inc.example", 13, "a typo of redirect=",
     {INC_ZONE, "um.example", "v=spf1 redirect=inc.example"}},
    {"exp-problem", EMAUTH_LINT_WARNING,
     {"ep.example. TXT \"v=spf1 -all exp=why.ep.example\"\n"
      "why.ep.example. TXT \"one\"\nwhy.ep.example. TXT \"two\"\n", "ep.example", NULL},
     "ep.example", "exp=why.ep.example", 13, "2 TXT records",
     {"ep.example. TXT \"v=spf1 -all exp=why.ep.example\"\n"
      "why.ep.example. TXT \"%{c} is not one of our servers\"\n", "ep.example", NULL}},
    {"exp-problem", EMAUTH_LINT_WARNING,
     {"ep.example. TXT \"v=spf1 -all exp=why.ep.example\"\n"
      "why.ep.example. TXT \"100%\"\n", "ep.example", NULL},
     "ep.example", "exp=why.ep.example", 13, "not a valid explain-string",
     {"ep.example. TXT \"v=spf1 -all exp=why.ep.example\"\n"
      "why.ep.example. TXT \"100%%\"\n", "ep.example", NULL}},
    {"bad-version", EMAUTH_LINT_WARNING,
     {"bv.example. TXT \"spf1 ip4:192.0.2.1 -all\"\n", "bv.example", NULL},
     "bv.example", "spf1", 1, "starts with \"spf1\"",
     {"bv.example. TXT \"v=spf1 ip4:192.0.2.1 -all\"\n", "bv.example", NULL}},
    {"bad-version", EMAUTH_LINT_WARNING,
     {"bv.example. TXT \"v=spf2 -all\"\n", "bv.example", NULL},
     "bv.example", "v=spf2", 1, "no \"v=spf2\"",
     {"bv.example. TXT \"spf2.0/pra -all\"\nbv.example. TXT \"v=spf1 -all\"\n", "bv.example",
      NULL}},
    {"bad-version", EMAUTH_LINT_WARNING,
     {"bv.example. TXT \"v=spf1\\009-all\"\n", "bv.example", NULL},
     "bv.example", "\t-all", 7, "followed by a space",
     {"bv.example. TXT \"v=spf1 -all\"\n", "bv.example", NULL}},
    {"bad-version", EMAUTH_LINT_WARNING,
     {"bv.example. TXT \"\\\"v=spf1 -all\\\"\"\n", "bv.example", NULL},
     "bv.example", "v=spf1", 2, "text before",
     {"bv.example. TXT \"v=spf1 -all\"\n", "bv.example", NULL}},
    {"dns-error", EMAUTH_LINT_ERROR,
     {"de.example. TXT \"v=spf1 a:slow.example -all\"\n$TIMEOUT slow.example.\n", "de.example",
      NULL},
     "de.example", "a:slow.example", 8, "timeout looking up A slow.example",
     {"de.example. TXT \"v=spf1 a:slow.example -all\"\nslow.example. A 192.0.2.1\n",
      "de.example", NULL}},
    {"dns-error", EMAUTH_LINT_ERROR,
     {"de.example. TXT \"v=spf1 include:slow.example -all\"\n$TIMEOUT slow.example.\n",
      "de.example", NULL},
     "slow.example", NULL, 0, "temperror",
     {"de.example. TXT \"v=spf1 include:slow.example -all\"\n"
      "slow.example. TXT \"v=spf1 -all\"\n", "de.example", NULL}},
    {"dynamic-term", EMAUTH_LINT_INFO,
     {NULL, "dt.example", "v=spf1 exists:%{i}.dt.example -all"},
     "dt.example", "exists:%{i}.dt.example", 8, "depends on the sender",
     {"dt.example.dt.example. A 127.0.0.2\n", "dt.example",
      "v=spf1 exists:%{d}.dt.example -all"}},
    {"tree-cut", EMAUTH_LINT_WARNING,
     /* 64 records; the 65th is not walked (strings of at most 255 bytes) */
     {"t.example. TXT \"v=spf1" INCx10 SPLIT INCx10 SPLIT INCx10 SPLIT INCx10 SPLIT INCx10
      SPLIT INCx10 SPLIT INC INC INC INC " -all\"\n" INC_ZONE, "t.example", NULL},
     "t.example", "include:inc.example", 1268, "1 include/redirect target not followed",
     {"t.example. TXT \"v=spf1" INCx10 SPLIT INCx10 SPLIT INCx10 SPLIT INCx10 SPLIT INCx10
      SPLIT INCx10 SPLIT INC INC INC " -all\"\n" INC_ZONE, "t.example", NULL}},
};

static void run_case(const pcase *c)
{
    const emauth_lint_report *r = analyze(c->pos.zone, c->pos.domain, c->pos.record);
    const emauth_lint_problem *p = NULL;
    for (size_t i = 0; i < r->nproblems && p == NULL; i++)
        if (strcmp(r->problems[i].code, c->code) == 0 && r->problems[i].severity == c->severity)
            p = &r->problems[i];
    if (p == NULL) {
        dump(r);
        fail_msg("%s (%s): not raised", c->code, emauth_lint_severity_name(c->severity));
    }
    if (c->domain == NULL)
        assert_null(p->domain);
    else
        assert_string_equal(p->domain, c->domain);
    if (c->term == NULL) {
        assert_null(p->term);
    } else {
        assert_non_null(p->term);
        assert_string_equal(p->term, c->term);
        assert_non_null(p->record);
    }
    if (p->column != c->column)
        fail_msg("%s: column %u, want %u (term %s)", c->code, p->column, c->column,
                 p->term ? p->term : "-");
    if (c->message != NULL && strstr(p->message, c->message) == NULL)
        fail_msg("%s: message \"%s\" lacks \"%s\"", c->code, p->message, c->message);
    if (p->severity == EMAUTH_LINT_ERROR)
        assert_false(r->valid);

    r = analyze(c->neg.zone, c->neg.domain, c->neg.record);
    if (find(r, c->code) != NULL) {
        dump(r);
        fail_msg("%s: raised by the variant", c->code);
    }
}

static void test_every_code(void **state)
{
    (void)state;
    static const char *const all_codes[] = {
        "no-record", "multiple-records", "syntax", "too-many-lookups", "void-lookups",
        "include-loop", "include-no-record", "include-permerror", "mx-too-many",
        "ptr-deprecated", "permissive-all", "no-all", "all-not-last", "redirect-ignored",
        "duplicate-term", "redundant-ip", "ip-host-bits", "string-too-long",
        "answer-too-large", "spf-rr-type", "unknown-modifier", "exp-problem", "bad-version",
        "dns-error", "dynamic-term", "tree-cut",
    };
    for (size_t k = 0; k < sizeof all_codes / sizeof all_codes[0]; k++) {
        size_t n = 0;
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
            n += strcmp(cases[i].code, all_codes[k]) == 0;
        if (n == 0)
            fail_msg("no case for %s", all_codes[k]);
    }
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_case(&cases[i]);
}

/* ---- the tree ------------------------------------------------------------------- */

/*
 * root: include:a mx ~include:b          3 lookups
 *   a: include:c a mx                   3
 *     c: a a:x.c.example mx:c.example   3
 *   b: a exists:e.b.example include:d   3
 *     d: a                              1   = 13
 */
static const char tree_zone[] =
    "root.example. TXT \"v=spf1 include:a.example mx ~include:b.example -all\"\n"
    "root.example. MX 10 mail.root.example.\n"
    "mail.root.example. A 192.0.2.25\n"
    "a.example. TXT \"v=spf1 include:c.example a mx ~all\"\n"
    "a.example. A 192.0.2.10\n"
    "a.example. MX 10 mail.root.example.\n"
    "c.example. TXT \"v=spf1 a a:x.c.example mx:c.example ~all\"\n"
    "c.example. A 192.0.2.30\n"
    "x.c.example. AAAA 2001:db8::30\n"
    "c.example. MX 10 mail.root.example.\n"
    "b.example. TXT \"v=spf1 a exists:e.b.example include:d.example -all\"\n"
    "b.example. A 198.51.100.1\n"
    "e.b.example. A 127.0.0.2\n"
    "d.example. TXT \"v=spf1 a -all\"\n"
    "d.example. A 198.51.100.4\n";

static void expect_node(const emauth_lint_node *n, const char *domain, const char *via,
                        char qual, unsigned lookups, unsigned total, unsigned subtree,
                        size_t nchildren)
{
    assert_non_null(n);
    assert_string_equal(n->domain, domain);
    if (via == NULL)
        assert_null(n->via);
    else
        assert_string_equal(n->via, via);
    assert_int_equal(n->via_qualifier, qual);
    assert_int_equal(n->lookups, lookups);
    assert_int_equal(n->total, total);
    assert_int_equal(n->subtree, subtree);
    assert_int_equal(n->nchildren, nchildren);
    assert_non_null(n->record);
    assert_false(n->loop);
}

static void test_tree_and_counts(void **state)
{
    (void)state;
    const emauth_lint_report *r = analyze(tree_zone, "root.example", NULL);
    assert_int_equal(r->dns_lookups, 13);
    assert_int_equal(r->void_lookups, 0);
    assert_string_equal(r->record, "v=spf1 include:a.example mx ~include:b.example -all");
    const emauth_lint_node *root = r->tree;
    expect_node(root, "root.example", NULL, '+', 3, 13, 13, 2);
    const emauth_lint_node *a = root->children[0], *b = root->children[1];
    expect_node(a, "a.example", "include:a.example", '+', 3, 7, 6, 1);
    assert_int_equal(a->via_column, 8);
    expect_node(a->children[0], "c.example", "include:c.example", '+', 3, 5, 3, 0);
    expect_node(b, "b.example", "~include:b.example", '~', 3, 13, 4, 1);
    assert_int_equal(b->via_column, 29);
    expect_node(b->children[0], "d.example", "include:d.example", '+', 1, 13, 1, 0);

    const emauth_lint_problem *p = find(r, "too-many-lookups");
    assert_non_null(p);
    assert_string_equal(p->message, "13 DNS lookups (limit 10); most from include:a.example (7), "
                                    "~include:b.example (5)");
    /* the 11th lookup (exists in b) happens while the root evaluates ~include:b */
    assert_string_equal(p->term, "~include:b.example");
    assert_int_equal(p->column, 29);
    assert_false(r->valid);
    assert_int_equal(r->nproblems, 1);
    assert_int_equal(count(r, "too-many-lookups"), 1);

    /* the counting is check_host()'s: the questions for addresses are not lookups */
    assert_true(fx.spy.asked > 13);
    assert_string_equal(fx.spy.name[0], "root.example");
    assert_int_equal(fx.spy.type[0], EMAUTH_DNS_TXT);
    assert_int_equal(fx.spy.type[1], EMAUTH_DNS_SPF);
    assert_string_equal(fx.spy.name[2], "a.example");
    assert_int_equal(fx.spy.type[2], EMAUTH_DNS_TXT);
    assert_string_equal(fx.spy.name[3], "c.example");
}

static void test_questions_in_order(void **state)
{
    (void)state;
    analyze("q.example. TXT \"v=spf1 a mx:m.example include:i.example -all exp=e.q.example\"\n"
            "q.example. A 192.0.2.1\n"
            "m.example. MX 10 mx1.m.example.\nm.example. MX 20 .\n"
            "i.example. TXT \"v=spf1 exists:x.i.example redirect=r.example\"\n"
            "r.example. TXT \"v=spf1 ptr -all exp=never.example\"\n"
            "e.q.example. TXT \"sorry\"\n",
            "q.example", NULL);
    static const struct {
        const char *name;
        uint16_t type;
    } want[] = {
        {"q.example", EMAUTH_DNS_TXT},  {"q.example", EMAUTH_DNS_SPF},
        {"q.example", EMAUTH_DNS_A},    {"q.example", EMAUTH_DNS_AAAA},
        {"m.example", EMAUTH_DNS_MX},   {"mx1.m.example", EMAUTH_DNS_A},
        {"mx1.m.example", EMAUTH_DNS_AAAA},   /* the null MX names no host */
        {"i.example", EMAUTH_DNS_TXT},  {"x.i.example", EMAUTH_DNS_A},
        {"r.example", EMAUTH_DNS_TXT},  /* ptr asks nothing; exp= of an include is unused */
        {"e.q.example", EMAUTH_DNS_TXT},
    };
    size_t n = sizeof want / sizeof want[0];
    assert_int_equal(fx.spy.asked, n);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(fx.spy.name[i], want[i].name);
        assert_int_equal(fx.spy.type[i], want[i].type);
    }
    const emauth_lint_report *r = emauth_spf_lint_report(fx.lint);
    /* a mx include exists redirect ptr */
    assert_int_equal(r->dns_lookups, 6);
    const emauth_lint_node *red = node_of(r->tree, "r.example");
    assert_non_null(red);
    assert_string_equal(red->via, "redirect=r.example");
    assert_int_equal(red->via_qualifier, '+');
    assert_true(red->dynamic);   /* ptr */
    assert_false(r->tree->dynamic);
}

static void test_ranges_and_voids(void **state)
{
    (void)state;
    const emauth_lint_report *r = analyze(
        "rg.example. TXT \"v=spf1 ip4:192.168.0.1/16 a:web.example/24 mx -ip4:10.0.0.1 "
        "a:gone.example mx:nomx.example ~mx:rg.example ip6:2001:DB8::1/48 -all\"\n"
        "web.example. A 192.0.2.10\nweb.example. AAAA 2001:db8::10\n"
        "rg.example. MX 10 mail.rg.example.\nrg.example. MX 20 mail2.rg.example.\n"
        "mail.rg.example. A 198.51.100.5\nmail.rg.example. AAAA 2001:db8::25\n"
        "mail2.rg.example. A 198.51.100.6\n"
        "nomx.example. A 192.0.2.99\n",
        "rg.example", NULL);
    static const char *const want[] = {
        "192.168.0.0/16", "192.0.2.0/24", "2001:db8::10/128", "198.51.100.5/32",
        "2001:db8::25/128", "198.51.100.6/32", "2001:db8::/48", NULL,
    };
    expect_ranges(r->tree->ranges, r->tree->nranges, want);
    assert_int_equal(r->void_lookups, 2);
    assert_int_equal(r->tree->nvoids, 2);
    assert_string_equal(r->tree->voids[0].term, "a:gone.example");
    assert_int_equal(r->tree->voids[0].column, 61);
    assert_string_equal(r->tree->voids[0].name, "gone.example");
    assert_string_equal(r->tree->voids[1].term, "mx:nomx.example");
    assert_string_equal(r->tree->voids[1].name, "nomx.example");
    const emauth_lint_problem *p = find(r, "void-lookups");
    assert_non_null(p);
    assert_int_equal(p->severity, EMAUTH_LINT_WARNING);
    assert_string_equal(p->message, "2 void DNS lookups (limit 2): a:gone.example in rg.example, "
                                    "mx:nomx.example in rg.example");
}

static void test_voids_listed_per_node(void **state)
{
    (void)state;
    const emauth_lint_report *r = analyze(
        "v.example. TXT \"v=spf1 a:n1.example include:w.example -all\"\n"
        "w.example. TXT \"v=spf1 exists:n2.example a:n3.example mx:n4.example ~all\"\n",
        "v.example", NULL);
    assert_int_equal(r->void_lookups, 4);
    assert_int_equal(r->tree->nvoids, 1);
    const emauth_lint_node *w = node_of(r->tree, "w.example");
    assert_int_equal(w->nvoids, 3);
    assert_string_equal(w->voids[2].name, "n4.example");
    assert_int_equal(w->voids[2].column, 39);
    const emauth_lint_problem *p = find(r, "void-lookups");
    assert_int_equal(p->severity, EMAUTH_LINT_ERROR);
    /* the third void crosses the limit: it is where the problem points */
    assert_string_equal(p->domain, "w.example");
    assert_string_equal(p->term, "a:n3.example");
}

/* Which terms of one record are redundant ranges: the columns flagged, in order. */
static void test_redundant_ranges(void **state)
{
    (void)state;
    static const struct {
        const char *record;
        unsigned columns[3];   /* 0-terminated */
    } rows[] = {
        /* the same range written twice: only the later copy */
        {"v=spf1 ip4:192.0.2.7 ip4:192.0.2.7/32 -all", {22}},
        /* a later wider range covers it, nothing in between decides first */
        {"v=spf1 ip4:192.0.2.7 ip6:2001:db8::/32 ip4:192.0.2.0/24 -all", {8}},
        /* an overlapping range of another qualifier in between would decide first */
        {"v=spf1 ip4:192.0.2.7 -ip4:192.0.2.0/25 ip4:192.0.2.0/24 -all", {0}},
        /* another qualifier later does not cover it: it is an exception */
        {"v=spf1 ip4:192.0.2.7 ~ip4:192.0.2.0/24 -all", {0}},
        /* an earlier range of any qualifier matches first */
        {"v=spf1 ?ip4:192.0.2.0/24 ip4:192.0.2.7 ip4:198.51.100.0/24 -all", {26}},
        /* ranges after all are dead already (all-not-last) */
        {"v=spf1 ip4:192.0.2.0/24 -all ip4:192.0.2.7", {0}},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const emauth_lint_report *r = analyze(NULL, "rr.example", rows[i].record);
        size_t k = 0;
        for (size_t j = 0; j < r->nproblems; j++) {
            if (strcmp(r->problems[j].code, "redundant-ip") != 0)
                continue;
            if (rows[i].columns[k] != r->problems[j].column)
                fail_msg("%s: redundant-ip at column %u, want %u", rows[i].record,
                         r->problems[j].column, rows[i].columns[k]);
            k++;
        }
        if (rows[i].columns[k] != 0)
            fail_msg("%s: redundant-ip at column %u not raised", rows[i].record,
                     rows[i].columns[k]);
    }
    /* a costly tree names its costliest includes; includes that cost only themselves are not
       named */
    const emauth_lint_report *r = analyze(INC_ZONE, "tm.example", "v=spf1" INCx10 INC " -all");
    assert_string_equal(find(r, "too-many-lookups")->message, "11 DNS lookups (limit 10)");
}

/* ---- records given as text ---------------------------------------------------------- */

static void test_given_record(void **state)
{
    (void)state;
    static const char zone[] = "inc.example. TXT \"v=spf1 ip4:203.0.113.0/24 -all\"\n"
                               "gv.example. TXT \"v=spf1 -all\"\n"
                               "gv.example. A 192.0.2.1\n"
                               "gv.example. MX 0 .\n";
    static const char rec[] = "v=spf1 a mx include:inc.example ip4:192.0.2.128/25 ~all";
    /* with a domain: a and mx are resolved, the domain's own record is not asked for */
    const emauth_lint_report *r = analyze(zone, "gv.example", rec);
    assert_string_equal(r->domain, "gv.example");
    assert_string_equal(r->record, rec);
    assert_int_equal(r->dns_lookups, 3);
    assert_true(r->valid);
    for (size_t i = 0; i < fx.spy.asked && i < LOGGED; i++)
        assert_false(strcmp(fx.spy.name[i], "gv.example") == 0 &&
                     (fx.spy.type[i] == EMAUTH_DNS_TXT || fx.spy.type[i] == EMAUTH_DNS_SPF));
    static const char *const want[] = {"192.0.2.1/32", "192.0.2.128/25", NULL};
    expect_ranges(r->tree->ranges, r->tree->nranges, want);
    assert_int_equal(r->tree->nchildren, 1);

    /* without a domain: a and mx are skipped (counted, not asked), includes followed */
    r = analyze(zone, NULL, rec);
    assert_null(r->domain);
    assert_null(r->tree->domain);
    assert_int_equal(r->dns_lookups, 3);
    assert_int_equal(fx.spy.asked, 1);
    assert_string_equal(fx.spy.name[0], "inc.example");
    static const char *const want2[] = {"192.0.2.128/25", NULL};
    expect_ranges(r->tree->ranges, r->tree->nranges, want2);
    assert_true(r->valid);

    /* a broken given record: syntax, nothing asked */
    r = analyze(zone, NULL, "v=spf1 include:inc.example ip4:300.0.0.1");
    assert_int_equal(fx.spy.asked, 0);
    assert_non_null(find(r, "syntax"));
    assert_null(find(r, "no-record"));
    assert_int_equal(r->tree->nchildren, 0);

    /* not an SPF record at all */
    r = analyze(zone, NULL, "spf1 -all");
    assert_int_equal(find(r, "syntax")->column, 1);
}

static void test_api_misuse(void **state)
{
    (void)state;
    load_zone(NULL);
    const emauth_dns_question *q;
    emauth_error err;
    assert_int_equal(emauth_spf_lint_next(fx.lint, &q), EMAUTH_ERR_INVALID);
    assert_null(emauth_spf_lint_report(fx.lint));
    assert_int_equal(emauth_spf_lint_start(fx.lint, NULL, NULL, 0, &err), EMAUTH_ERR_INVALID);
    assert_int_equal(emauth_spf_lint_start(fx.lint, "bad..example", NULL, 0, &err),
                     EMAUTH_ERR_INVALID);
    assert_non_null(strstr(err.message, "bad..example"));
    assert_int_equal(emauth_spf_lint_start(fx.lint, "ok.example.", NULL, 0, &err), EMAUTH_OK);
    emauth_dns_answer a;
    memset(&a, 0, sizeof a);
    assert_int_equal(emauth_spf_lint_answer(fx.lint, &a), EMAUTH_ERR_INVALID);
    assert_int_equal(emauth_spf_lint_next(fx.lint, &q), EMAUTH_NEED_DNS);
    assert_string_equal(q->name, "ok.example");
    assert_int_equal(q->type, EMAUTH_DNS_TXT);
    /* asking again gives the same pending question */
    const emauth_dns_question *q2;
    assert_int_equal(emauth_spf_lint_next(fx.lint, &q2), EMAUTH_NEED_DNS);
    assert_ptr_equal(q, q2);
    assert_null(emauth_spf_lint_report(fx.lint));
    a.rcode = EMAUTH_DNS_NXDOMAIN;
    assert_int_equal(emauth_spf_lint_answer(fx.lint, &a), EMAUTH_OK);
    assert_int_equal(emauth_spf_lint_next(fx.lint, &q), EMAUTH_NEED_DNS);
    assert_int_equal(q->type, EMAUTH_DNS_SPF);
    assert_int_equal(emauth_spf_lint_answer(fx.lint, &a), EMAUTH_OK);
    assert_int_equal(emauth_spf_lint_next(fx.lint, &q), EMAUTH_OK);
    assert_null(q);
    const emauth_lint_report *r = emauth_spf_lint_report(fx.lint);
    assert_non_null(r);
    assert_string_equal(r->problems[0].code, "no-record");
    assert_int_equal(emauth_spf_lint_answer(fx.lint, &a), EMAUTH_ERR_INVALID);
    /* a new start invalidates the report */
    assert_int_equal(emauth_spf_lint_start(fx.lint, "again.example", "v=spf1 -all", 11, &err),
                     EMAUTH_OK);
    assert_null(emauth_spf_lint_report(fx.lint));
    assert_int_equal(emauth_spf_lint_run(fx.lint, &fx.spy.base), EMAUTH_OK);
    r = emauth_spf_lint_report(fx.lint);
    assert_true(r->valid);
    assert_int_equal(r->nproblems, 0);
    assert_string_equal(emauth_lint_severity_name(EMAUTH_LINT_ERROR), "error");
    assert_string_equal(emauth_lint_severity_name(EMAUTH_LINT_WARNING), "warning");
    assert_string_equal(emauth_lint_severity_name(EMAUTH_LINT_INFO), "info");
}

/* ---- loops, cuts, hostile trees ----------------------------------------------------- */

static void test_loops(void **state)
{
    (void)state;
    const emauth_lint_report *r = analyze(
        "self.example. TXT \"v=spf1 include:self.example ip4:192.0.2.1 -all\"\n", "self.example",
        NULL);
    const emauth_lint_problem *p = find(r, "include-loop");
    assert_non_null(p);
    assert_string_equal(p->message, "'include:self.example' closes a loop: self.example -> "
                                    "self.example; receivers return permerror");
    assert_int_equal(r->tree->nchildren, 1);
    assert_true(r->tree->children[0]->loop);
    assert_int_equal(r->dns_lookups, 1);

    /* a redirect loop two levels down; the walk ends */
    r = analyze("r1.example. TXT \"v=spf1 include:r2.example -all\"\n"
                "r2.example. TXT \"v=spf1 redirect=r3.example\"\n"
                "r3.example. TXT \"v=spf1 redirect=r2.example\"\n",
                "r1.example", NULL);
    p = find(r, "include-loop");
    assert_non_null(p);
    assert_string_equal(p->domain, "r3.example");
    assert_string_equal(p->term, "redirect=r2.example");
    const emauth_lint_node *r3 = node_of(r->tree, "r3.example");
    assert_int_equal(r3->nchildren, 1);
    assert_true(r3->children[0]->loop);
    assert_int_equal(r->dns_lookups, 3);

    /* the same include twice, side by side, is no loop */
    r = analyze("s.example. TXT \"v=spf1 include:t.example ~include:t.example -all\"\n"
                "t.example. TXT \"v=spf1 -all\"\n",
                "s.example", NULL);
    assert_null(find(r, "include-loop"));
    assert_int_equal(r->tree->nchildren, 2);
}

static void test_chain_of_70_is_cut(void **state)
{
    (void)state;
    char zone[8192];
    size_t off = 0;
    for (int i = 0; i < 70; i++)
        off += (size_t)snprintf(zone + off, sizeof zone - off,
                                "n%d.example. TXT \"v=spf1 include:n%d.example -all\"\n", i,
                                i + 1);
    snprintf(zone + off, sizeof zone - off, "n70.example. TXT \"v=spf1 -all\"\n");
    const emauth_lint_report *r = analyze(zone, "n0.example", NULL);
    unsigned depth = 0;
    const emauth_lint_node *n = r->tree;
    while (n->nchildren == 1) {
        n = n->children[0];
        depth++;
    }
    assert_int_equal(depth, EMAUTH_LINT_MAX_NODES - 1);
    assert_string_equal(n->domain, "n63.example");
    assert_int_equal(r->dns_lookups, EMAUTH_LINT_MAX_NODES);
    const emauth_lint_problem *p = find(r, "tree-cut");
    assert_non_null(p);
    assert_int_equal(p->severity, EMAUTH_LINT_WARNING);
    assert_string_equal(p->domain, "n63.example");
    assert_string_equal(p->term, "include:n64.example");
    assert_non_null(find(r, "too-many-lookups"));
    assert_int_equal(fx.spy.asked, EMAUTH_LINT_MAX_NODES + 1);   /* TXT each, SPF of the root */
}

/* Records added with emauth_zone_add(): longer than a master-file line likes. */
static void add_txt(const char *owner, const char *text)
{
    emauth_dns_rr rr;
    memset(&rr, 0, sizeof rr);
    rr.type = EMAUTH_DNS_TXT;
    rr.ttl = 300;
    rr.u.txt.data = text;
    rr.u.txt.len = strlen(text);
    rr.u.txt.nstrings = (rr.u.txt.len + 254) / 255;
    assert_int_equal(emauth_zone_add(fx.zone, owner, &rr, NULL), EMAUTH_OK);
}

static void test_question_cap_and_listing_cap(void **state)
{
    (void)state;
    static char big[2100];
    strcpy(big, "v=spf1");
    for (int i = 0; i < 1000; i++)
        strcat(big, " a");
    strcat(big, " -all");
    load_zone("h.example. TXT \"v=spf1 include:h1.example include:h2.example "
              "include:h3.example -all\"\n");
    add_txt("h1.example", big);
    add_txt("h2.example", big);
    add_txt("h3.example", big);
    emauth_error err;
    assert_int_equal(emauth_spf_lint_start(fx.lint, "h.example", NULL, 0, &err), EMAUTH_OK);
    assert_int_equal(emauth_spf_lint_run(fx.lint, &fx.spy.base), EMAUTH_OK);
    const emauth_lint_report *r = emauth_spf_lint_report(fx.lint);
    assert_non_null(r);
    check_report(r);
    assert_true(fx.spy.asked <= 4096);
    assert_true(fx.spy.asked >= 4000);
    const emauth_lint_problem *p = NULL;
    for (size_t i = 0; i < r->nproblems; i++)
        if (strcmp(r->problems[i].code, "tree-cut") == 0 && strstr(r->problems[i].message, "4096"))
            p = &r->problems[i];
    assert_non_null(p);
    /* 999 duplicates of 'a' in h1: ten listed, then one note */
    const emauth_lint_node *h1 = node_of(r->tree, "h1.example");
    size_t dups = 0, notes = 0;
    for (size_t i = 0; i < r->nproblems; i++) {
        const emauth_lint_problem *q = &r->problems[i];
        if (strcmp(q->code, "duplicate-term") != 0 || strcmp(q->domain, "h1.example") != 0)
            continue;
        dups++;
        notes += q->term == NULL && strstr(q->message, "989 more duplicate-term") != NULL;
    }
    assert_int_equal(dups, 11);
    assert_int_equal(notes, 1);
    assert_int_equal(h1->lookups, 1000);
    assert_int_equal(h1->nvoids, 1000);   /* h1.example has neither A nor AAAA */
}

static void test_hostile_answers(void **state)
{
    (void)state;
    /* CNAMEs are followed by the resolver; null MX skipped; a label too long is a void */
    const emauth_lint_report *r = analyze(
        "c.example. TXT \"v=spf1 include:alias.example mx:nullmx.example "
        "a:%{d}.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example "
        "-all\"\n"
        "alias.example. CNAME real.example.\n"
        "real.example. TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n"
        "nullmx.example. MX 0 .\n",
        "c.example", NULL);
    const emauth_lint_node *alias = node_of(r->tree, "alias.example");
    assert_non_null(alias);
    assert_string_equal(alias->record, "v=spf1 ip4:192.0.2.0/24 -all");
    assert_int_equal(r->void_lookups, 1);
    assert_string_equal(r->tree->voids[0].name, "c.example.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                                                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example");
    assert_true(r->valid);

    /* a domain with a bad-version record and no valid one: both problems */
    r = analyze("bv.example. TXT \"v=spf1,-all\"\n", "bv.example", NULL);
    assert_non_null(find(r, "bad-version"));
    const emauth_lint_problem *p = find(r, "no-record");
    assert_non_null(p);
    assert_int_equal(p->severity, EMAUTH_LINT_ERROR);
    assert_ptr_equal(p, &r->problems[0]);   /* errors before warnings */

    /* a record longer than the evaluator takes */
    load_zone(NULL);
    static char huge[5000];
    memset(huge, 0, sizeof huge);
    strcpy(huge, "v=spf1");
    while (strlen(huge) < 4500)
        strcat(huge, " ip4:192.0.2.1");
    emauth_error err;
    assert_int_equal(emauth_spf_lint_start(fx.lint, "x.example", huge, strlen(huge), &err),
                     EMAUTH_OK);
    assert_int_equal(emauth_spf_lint_run(fx.lint, &fx.spy.base), EMAUTH_OK);
    r = emauth_spf_lint_report(fx.lint);
    check_report(r);
    p = find(r, "syntax");
    assert_non_null(p);
    assert_non_null(strstr(p->message, "over 4096 bytes"));
}

static void test_problem_order(void **state)
{
    (void)state;
    const emauth_lint_report *r = analyze(
        "o.example. TXT \"v=spf1 ptr include:x.example exists:%{l}.o.example ?all\"\n"
        "x.example. TXT \"v=spf1 include:gone.example ip4:192.0.2.1/24 -all\"\n",
        "o.example", NULL);
    static const char *const want[] = {
        "include-no-record",   /* error, in x.example */
        "ptr-deprecated",      /* warnings: o.example by column, then x.example */
        "permissive-all",
        "ip-host-bits",
        "dynamic-term",        /* info */
    };
    assert_int_equal(r->nproblems, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < r->nproblems; i++)
        assert_string_equal(r->problems[i].code, want[i]);
    assert_string_equal(r->problems[0].domain, "x.example");
    assert_true(r->tree->dynamic);
}

/* ---- authorized ranges ---------------------------------------------------------------- */

static void expect_authorized(const emauth_lint_report *r, const char *const *want)
{
    emauth_cidr *v = (emauth_cidr *)1;
    size_t n = 99;
    emauth_error err;
    emauth_error_clear(&err);
    if (emauth_lint_authorized(r, &v, &n, &err) != EMAUTH_OK)
        fail_msg("authorized: %s", err.message);
    expect_ranges(v, n, want);
    free(v);
}

static void test_authorized_union(void **state)
{
    (void)state;
    const emauth_lint_report *r = analyze(
        "u.example. TXT \"v=spf1 ip4:192.0.2.0/25 include:p.example a:h.example "
        "-include:neg.example mx ~all\"\n"
        "p.example. TXT \"v=spf1 ip4:192.0.2.128/25 ip6:2001:db8::/33 -ip4:203.0.113.9 "
        "ip6:2001:db8:8000::/33 -all\"\n"
        "h.example. A 198.51.100.7\n"
        "neg.example. TXT \"v=spf1 ip4:203.0.113.0/24 -all\"\n"
        "u.example. MX 10 mx.u.example.\n"
        "mx.u.example. A 198.51.100.6\n",
        "u.example", NULL);
    static const char *const want[] = {"192.0.2.0/24", "198.51.100.6/31", "2001:db8::/32", NULL};
    expect_authorized(r, want);

    /* a '-' in an include only ends that include: the later '+' still counts */
    r = analyze("w.example. TXT \"v=spf1 include:q.example ip4:192.0.2.0/24 -all\"\n"
                "q.example. TXT \"v=spf1 -ip4:192.0.2.1 -all\"\n",
                "w.example", NULL);
    static const char *const want2[] = {"192.0.2.0/24", NULL};
    expect_authorized(r, want2);

    /* +all in an included record makes the include match everything */
    r = analyze("y.example. TXT \"v=spf1 include:open.example -all\"\n"
                "open.example. TXT \"v=spf1 +all\"\n",
                "y.example", NULL);
    static const char *const want3[] = {"0.0.0.0/0", "::/0", NULL};
    expect_authorized(r, want3);

    /* too many lookups is what flattening repairs: not a refusal */
    r = analyze(tree_zone, "root.example", NULL);
    assert_false(r->valid);
    /* ~include:b is not '+' (its exists matches everything) but nothing '+' follows it */
    static const char *const want5[] = {"192.0.2.10/32", "192.0.2.25/32", "192.0.2.30/32",
                                        "2001:db8::30/128", NULL};
    expect_authorized(r, want5);

    /* nothing authorized: an empty set, not a failure */
    r = analyze(NULL, NULL, "v=spf1 -all");
    static const char *const none[] = {NULL};
    expect_authorized(r, none);
}

typedef struct refusal {
    setup s;
    const char *reason;
} refusal;

static const refusal refusals[] = {
    {{NULL, "rf.example", "v=spf1 ip4:192.0.2.1 exists:%{i}.rf.example -all"},
     "'exists:%{i}.rf.example' in rf.example depends on the sender"},
    {{NULL, "rf.example", "v=spf1 ptr -all"}, "'ptr' in rf.example depends on the sender"},
    {{"rf.example. TXT \"v=spf1 include:d.example -all\"\n"
      "d.example. TXT \"v=spf1 include:%{o}.d.example -all\"\n", "rf.example", NULL},
     "'include:%{o}.d.example' in d.example depends on the sender"},
    {{NULL, NULL, "v=spf1 a -all"}, "'a' in the record cannot be resolved without a domain"},
    {{NULL, "rf.example", "v=spf1 include:missing.example -all"},
     "include-no-record at 'include:missing.example'"},
    {{"rf.example. TXT \"v=spf1 mx -all\"\n$TIMEOUT rf.example.\n", "rf.example", NULL},
     "dns-error"},
    {{NULL, "rf.example", "v=spf1 -ip4:192.0.2.1 ip4:192.0.2.0/24 -all"},
     "not a plain union: '-ip4:192.0.2.1' in rf.example comes before 'ip4:192.0.2.0/24' in "
     "rf.example"},
    {{"p.example. TXT \"v=spf1 ip4:192.0.2.9 -all\"\n", "rf.example",
      "v=spf1 ?include:p.example ip4:192.0.2.0/24 -all"},
     "'?include:p.example' in rf.example comes before 'ip4:192.0.2.0/24'"},
    {{"p.example. TXT \"v=spf1 ip4:198.51.100.0/24 -all\"\n"
      "h.example. A 198.51.100.77\n", "rf.example",
      "v=spf1 ~a:h.example include:p.example -all"},
     "'~a:h.example' in rf.example comes before 'ip4:198.51.100.0/24' in p.example"},
    {{"e.example. A 127.0.0.2\n", "rf.example",
      "v=spf1 -exists:e.example ip6:2001:db8::/32 -all"},
     "'-exists:e.example' in rf.example comes before"},
};

static void test_authorized_refusals(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++) {
        const refusal *c = &refusals[i];
        const emauth_lint_report *r = analyze(c->s.zone, c->s.domain, c->s.record);
        emauth_cidr *v = (emauth_cidr *)1;
        size_t n = 99;
        emauth_error err;
        emauth_error_clear(&err);
        assert_int_equal(emauth_lint_authorized(r, &v, &n, &err), EMAUTH_ERR_INVALID);
        assert_null(v);
        assert_int_equal(n, 0);
        if (strstr(err.message, c->reason) == NULL)
            fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err.message, c->reason);
    }
    /* the close variants: the same shapes, in an order that is a plain union */
    const emauth_lint_report *r = analyze(NULL, "rf.example",
                                          "v=spf1 ip4:192.0.2.0/24 -ip4:192.0.2.1 -all");
    static const char *const want[] = {"192.0.2.0/24", NULL};
    expect_authorized(r, want);
    r = analyze("e.example. A 127.0.0.2\n", "rf.example",
                "v=spf1 -exists:nope.example ip6:2001:db8::/32 -all");
    static const char *const want2[] = {"2001:db8::/32", NULL};
    expect_authorized(r, want2);

    /* a cut tree is refused */
    char zone[8192];
    size_t off = 0;
    for (int i = 0; i < 70; i++)
        off += (size_t)snprintf(zone + off, sizeof zone - off,
                                "n%d.example. TXT \"v=spf1 include:n%d.example -all\"\n", i,
                                i + 1);
    r = analyze(zone, "n0.example", NULL);
    emauth_cidr *v;
    size_t n;
    emauth_error err;
    assert_int_equal(emauth_lint_authorized(r, &v, &n, &err), EMAUTH_ERR_INVALID);
    assert_non_null(strstr(err.message, "tree-cut"));
    assert_int_equal(emauth_lint_authorized(NULL, &v, &n, &err), EMAUTH_ERR_INVALID);
}

/* ---- performance: 64 records of many terms -------------------------------------------- */

static void test_wide_tree(void **state)
{
    (void)state;
    load_zone(NULL);
    static char root[4096], rec[4096], name[64];
    strcpy(root, "v=spf1");
    for (int i = 0; i < 63; i++) {
        snprintf(name, sizeof name, "w%d.example", i);
        strcat(root, " include:");
        strcat(root, name);
        strcpy(rec, "v=spf1");
        for (int k = 0; k < 200; k++) {
            char term[48];
            snprintf(term, sizeof term, " ip4:10.%d.%d.0/24", i, k);
            strcat(rec, term);
        }
        strcat(rec, " -all");
        add_txt(name, rec);
    }
    strcat(root, " -all");
    emauth_error err;
    assert_int_equal(emauth_spf_lint_start(fx.lint, "wide.example", root, strlen(root), &err),
                     EMAUTH_OK);
    assert_int_equal(emauth_spf_lint_run(fx.lint, &fx.spy.base), EMAUTH_OK);
    const emauth_lint_report *r = emauth_spf_lint_report(fx.lint);
    check_report(r);
    assert_int_equal(r->tree->nchildren, 63);
    assert_null(find(r, "tree-cut"));
    emauth_cidr *v;
    size_t n;
    assert_int_equal(emauth_lint_authorized(r, &v, &n, &err), EMAUTH_OK);
    assert_int_equal(n, 63 * 3);   /* 200 /24s per record: a /17, a /18 and a /21 */
    free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_every_code, teardown),
        cmocka_unit_test_teardown(test_tree_and_counts, teardown),
        cmocka_unit_test_teardown(test_questions_in_order, teardown),
        cmocka_unit_test_teardown(test_ranges_and_voids, teardown),
        cmocka_unit_test_teardown(test_voids_listed_per_node, teardown),
        cmocka_unit_test_teardown(test_redundant_ranges, teardown),
        cmocka_unit_test_teardown(test_given_record, teardown),
        cmocka_unit_test_teardown(test_api_misuse, teardown),
        cmocka_unit_test_teardown(test_loops, teardown),
        cmocka_unit_test_teardown(test_chain_of_70_is_cut, teardown),
        cmocka_unit_test_teardown(test_question_cap_and_listing_cap, teardown),
        cmocka_unit_test_teardown(test_hostile_answers, teardown),
        cmocka_unit_test_teardown(test_problem_order, teardown),
        cmocka_unit_test_teardown(test_authorized_union, teardown),
        cmocka_unit_test_teardown(test_authorized_refusals, teardown),
        cmocka_unit_test_teardown(test_wide_tree, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
