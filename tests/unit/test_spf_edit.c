/*
 * The SPF editor (emauth/spf_edit.h): merging terms into a record, starting
 * a record from nothing, refusals, flattening within the size and lookup
 * limits, the drift check, and round trips: the flattened (or merged)
 * records authorize exactly the addresses the original does (or the union),
 * checked with the evaluator on sampled addresses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <emauth/spf.h>
#include <emauth/spf_edit.h>

/* ---- Helpers ----------------------------------------------------------------------- */

static emauth_zone *zone_of(const char *text)
{
    emauth_zone *z = emauth_zone_new();
    emauth_error err;
    emauth_error_clear(&err);
    assert_non_null(z);
    if (emauth_zone_load_string(z, text, strlen(text), "test", NULL, &err) != EMAUTH_OK)
        fail_msg("zone: %s", err.message);
    return z;
}

typedef struct fixture {
    emauth_zone *zone;
    emauth_spf_editor *ed;
    emauth_error err;
} fixture;

static void setup_with(fixture *f, const char *zone)
{
    f->zone = zone_of(zone);
    assert_int_equal(emauth_spf_editor_new(&f->ed), EMAUTH_OK);
    emauth_error_clear(&f->err);
}

static void teardown(fixture *f)
{
    emauth_spf_editor_free(f->ed);
    emauth_zone_free(f->zone);
}

static const emauth_spf_edit_result *finish(fixture *f)
{
    assert_int_equal(emauth_spf_editor_run(f->ed, emauth_zone_resolver(f->zone)), EMAUTH_OK);
    const emauth_spf_edit_result *r = emauth_spf_editor_result(f->ed);
    assert_non_null(r);
    return r;
}

/* add: terms separated by spaces; record NULL = the domain's. */
static const emauth_spf_edit_result *add(fixture *f, const char *domain, const char *record,
                                         const char *terms, int flatten)
{
    static char copy[2048];
    const char *v[EMAUTH_EDIT_MAX_TERMS];
    size_t n = 0;
    snprintf(copy, sizeof copy, "%s", terms);
    for (char *t = strtok(copy, " "); t != NULL; t = strtok(NULL, " "))
        v[n++] = t;
    emauth_spf_add_request req = {domain, record, record ? strlen(record) : 0, v, n, flatten, NULL};
    emauth_status st = emauth_spf_add_start(f->ed, &req, &f->err);
    if (st != EMAUTH_OK)
        fail_msg("add_start: %s", f->err.message);
    return finish(f);
}

static const emauth_spf_edit_result *flatten_with(fixture *f, const char *domain,
                                                  const emauth_spf_edit_limits *lim)
{
    assert_int_equal(emauth_spf_flatten_start(f->ed, domain, NULL, 0, lim, &f->err), EMAUTH_OK);
    return finish(f);
}

static void assert_done(const emauth_spf_edit_result *r)
{
    if (r->refused != NULL)
        fail_msg("refused %s: %s", r->refused, r->reason);
}

static void assert_merged(fixture *f, const char *record, const char *terms, const char *want)
{
    const emauth_spf_edit_result *r = add(f, NULL, record, terms, 0);
    assert_done(r);
    assert_string_equal(r->merged, want);
}

static void assert_contains(const char *s, const char *part)
{
    if (s == NULL || strstr(s, part) == NULL)
        fail_msg("\"%s\" lacks \"%s\"", s ? s : "(null)", part);
}

static const char basic_zone[] =
    "$ORIGIN example.\n"
    "$TTL 300\n"
    "prov.example. TXT \"v=spf1 ip4:198.51.100.0/24 -all\"\n"
    "other.example. TXT \"v=spf1 ip6:2001:db8:5::/48 -all\"\n";

/* ---- Merging ------------------------------------------------------------------------ */

static void test_merge_positions(void **state)
{
    (void)state;
    fixture f;
    setup_with(&f, basic_zone);
    /* before the first all */
    assert_merged(&f, "v=spf1 a mx ~all", "include:prov.example",
                  "v=spf1 a mx include:prov.example ~all");
    /* without all: before redirect= or exp= */
    assert_merged(&f, "v=spf1 a redirect=prov.example", "ip4:192.0.2.1",
                  "v=spf1 a ip4:192.0.2.1 redirect=prov.example");
    assert_merged(&f, "v=spf1 a exp=why.example redirect=prov.example", "ip4:192.0.2.1",
                  "v=spf1 a ip4:192.0.2.1 exp=why.example redirect=prov.example");
    /* neither: at the end, or right after v=spf1 */
    assert_merged(&f, "v=spf1 a", "ip4:192.0.2.1 include:prov.example",
                  "v=spf1 a ip4:192.0.2.1 include:prov.example");
    assert_merged(&f, "v=spf1", "ip4:192.0.2.1", "v=spf1 ip4:192.0.2.1");
    /* a redirect after all: still before all */
    assert_merged(&f, "v=spf1 -all redirect=prov.example", "a",
                  "v=spf1 a -all redirect=prov.example");
    teardown(&f);
}

static void test_merge_keeps_text(void **state)
{
    (void)state;
    fixture f;
    setup_with(&f, basic_zone);
    /* spacing, case and qualifiers as written */
    assert_merged(&f, "v=spf1  A   ?MX    ~all  ", "-include:prov.example",
                  "v=spf1  A   ?MX    -include:prov.example ~all  ");
    assert_merged(&f, "V=SPF1 a  ", "mx", "V=SPF1 a mx  ");
    assert_merged(&f, "v=spf1 ?a -mx ~all", "~ip4:192.0.2.0/24 +a:mail.example",
                  "v=spf1 ?a -mx ~ip4:192.0.2.0/24 +a:mail.example ~all");
    teardown(&f);
}

static void test_merge_duplicates(void **state)
{
    (void)state;
    fixture f;
    setup_with(&f, basic_zone);
    const char *rec = "v=spf1 Include:PROV.example ip4:192.0.2.0/24 a/24 -all";
    /* present in another case, with an explicit '+', with host bits, with the same prefix */
    const emauth_spf_edit_result *r =
        add(&f, NULL, rec, "include:prov.example +include:Prov.Example ip4:192.0.2.77/24 a/24", 0);
    assert_done(r);
    assert_string_equal(r->merged, rec);
    assert_int_equal(r->nadded, 0);
    assert_int_equal(r->nskipped, 4);
    assert_string_equal(r->skipped[1], "+include:Prov.Example");
    /* not duplicates: another qualifier, another prefix; a repeat among the new terms */
    r = add(&f, NULL, rec, "-include:prov.example ip4:192.0.2.0/25 a a/24 a", 0);
    assert_done(r);
    assert_string_equal(r->merged, "v=spf1 Include:PROV.example ip4:192.0.2.0/24 a/24 "
                                   "-include:prov.example ip4:192.0.2.0/25 a -all");
    assert_int_equal(r->nadded, 3);
    assert_int_equal(r->nskipped, 2);
    assert_string_equal(r->skipped[0], "a/24");
    assert_string_equal(r->skipped[1], "a");
    teardown(&f);
}

static void test_merge_all_terms(void **state)
{
    (void)state;
    fixture f;
    setup_with(&f, basic_zone);
    /* an all goes last among the new terms, only into a record without one */
    assert_merged(&f, "v=spf1 a", "-all mx", "v=spf1 a mx -all");
    assert_merged(&f, "v=spf1 a ~all", "~ALL", "v=spf1 a ~all");
    const emauth_spf_edit_result *r = add(&f, NULL, "v=spf1 a ~all", "mx -all", 0);
    assert_string_equal(r->refused, "conflicting-all");
    assert_contains(r->reason, "\"~all\"");
    assert_contains(r->reason, "\"-all\"");
    assert_null(r->merged);
    teardown(&f);
}

static void assert_bad_term(fixture *f, const char *term, const char *msg, unsigned column)
{
    const char *v[1] = {term};
    emauth_spf_add_request req = {NULL, "v=spf1 -all", 11, v, 1, 0, NULL};
    emauth_status st = emauth_spf_add_start(f->ed, &req, &f->err);
    assert_int_not_equal(st, EMAUTH_OK);
    assert_contains(f->err.message, msg);
    assert_int_equal(f->err.column, column);
    assert_null(emauth_spf_editor_result(f->ed));
}

static void test_bad_terms(void **state)
{
    (void)state;
    fixture f;
    setup_with(&f, basic_zone);
    assert_bad_term(&f, "include:", "bad term \"include:\": empty domain-spec", 1);
    assert_bad_term(&f, "ip4:192.0.2.300", "bad term \"ip4:192.0.2.300\"", 1);
    assert_bad_term(&f, "frob:x", "bad term \"frob:x\": unknown mechanism", 1);
    assert_bad_term(&f, "a mx", "bad term \"a mx\": one term per argument", 2);
    assert_bad_term(&f, "redirect=x.example", "only mechanisms", 1);
    assert_bad_term(&f, "", "bad term \"\": empty", 0);
    /* a given record that does not parse is the caller's error too */
    const char *v[1] = {"a"};
    emauth_spf_add_request req = {NULL, "v=spf1 a foo -all", 17, v, 1, 0, NULL};
    assert_int_equal(emauth_spf_add_start(f.ed, &req, &f.err), EMAUTH_ERR_SYNTAX);
    assert_int_equal(f.err.column, 10);
    /* no domain and no record; no terms; a bad domain */
    req.record = NULL;
    assert_int_equal(emauth_spf_add_start(f.ed, &req, &f.err), EMAUTH_ERR_INVALID);
    req.domain = "bad..example";
    assert_int_equal(emauth_spf_add_start(f.ed, &req, &f.err), EMAUTH_ERR_INVALID);
    req.domain = "example.com";
    req.nterms = 0;
    assert_int_equal(emauth_spf_add_start(f.ed, &req, &f.err), EMAUTH_ERR_INVALID);
    teardown(&f);
}

/* ---- The published record ----------------------------------------------------------- */

static const char add_zone[] =
    "$ORIGIN example.\n"
    "prov.example.      TXT \"v=spf1 ip4:198.51.100.0/24 -all\"\n"
    "withmx.example.    MX  10 mail.withmx.example.\n"
    "mail.withmx.example. A 192.0.2.10\n"
    "nullmx.example.    MX  0 .\n"
    "bare.example.      A   192.0.2.20\n"
    "pub.example.       TXT \"google-site-verification=abc\"\n"
    "pub.example.       TXT \"v=spf1 \" \"a -all\"\n"
    "pub.example.       A   192.0.2.30\n"
    "two.example.       TXT \"v=spf1 -all\"\n"
    "two.example.       TXT \"v=spf1 a -all\"\n"
    "broken.example.    TXT \"v=spf1 a ip4:192.0.2.300 -all\"\n"
    "$TIMEOUT flaky.example.\n";

static void test_published_record(void **state)
{
    (void)state;
    fixture f;
    setup_with(&f, add_zone);
    const emauth_spf_edit_result *r = add(&f, "PUB.example.", NULL, "include:prov.example", 0);
    assert_done(r);
    assert_string_equal(r->domain, "pub.example");
    assert_string_equal(r->record, "v=spf1 a -all");
    assert_string_equal(r->merged, "v=spf1 a include:prov.example -all");
    assert_int_equal(r->lookups, 2);
    assert_int_equal(r->npublish, 1);
    assert_string_equal(r->publish[0].zone_line,
                        "pub.example. 3600 IN TXT \"v=spf1 a include:prov.example -all\"");
    /* the other TXT record counts in the answer: 12 + 13 + 4 + (12 + 35) + (12 + 29) */
    assert_int_equal(r->publish[0].answer_size, 117);
    teardown(&f);
}

static void test_no_record(void **state)
{
    (void)state;
    fixture f;
    setup_with(&f, add_zone);
    const emauth_spf_edit_result *r = add(&f, "withmx.example", NULL, "include:prov.example", 0);
    assert_done(r);
    assert_null(r->record);
    assert_string_equal(r->merged, "v=spf1 mx include:prov.example ~all");
    r = add(&f, "bare.example", NULL, "include:prov.example ip4:192.0.2.0/24", 0);
    assert_string_equal(r->merged, "v=spf1 include:prov.example ip4:192.0.2.0/24 ~all");
    r = add(&f, "nullmx.example", NULL, "a", 0);   /* a null MX receives no mail */
    assert_string_equal(r->merged, "v=spf1 a ~all");
    r = add(&f, "nowhere.example", NULL, "a -all", 0);   /* NXDOMAIN; the all given is kept */
    assert_string_equal(r->merged, "v=spf1 a -all");
    r = add(&f, "withmx.example", NULL, "mx", 0);
    assert_string_equal(r->merged, "v=spf1 mx ~all");
    assert_int_equal(r->nskipped, 1);
    teardown(&f);
}

/* The questions asked, step by step: TXT, then MX (no record), then the analyzer's. */
static void test_steps(void **state)
{
    (void)state;
    fixture f;
    setup_with(&f, add_zone);
    const char *v[1] = {"ip4:192.0.2.1"};
    emauth_spf_add_request req = {"bare.example", NULL, 0, v, 1, 0, NULL};
    assert_int_equal(emauth_spf_add_start(f.ed, &req, &f.err), EMAUTH_OK);
    const emauth_dns_question *q;
    emauth_dns_answer a;
    const uint16_t want[] = {EMAUTH_DNS_TXT, EMAUTH_DNS_MX};
    for (size_t i = 0; i < 2; i++) {
        assert_null(emauth_spf_editor_result(f.ed));
        assert_int_equal(emauth_spf_editor_next(f.ed, &q), EMAUTH_NEED_DNS);
        assert_string_equal(q->name, "bare.example");
        assert_int_equal(q->type, want[i]);
        assert_int_equal(emauth_zone_query(f.zone, q, &a), EMAUTH_OK);
        assert_int_equal(emauth_spf_editor_answer(f.ed, &a), EMAUTH_OK);
    }
    assert_int_equal(emauth_spf_editor_run(f.ed, emauth_zone_resolver(f.zone)), EMAUTH_OK);
    assert_string_equal(emauth_spf_editor_result(f.ed)->merged, "v=spf1 ip4:192.0.2.1 ~all");
    assert_int_equal(emauth_spf_editor_next(f.ed, &q), EMAUTH_OK);   /* stays done */
    teardown(&f);
}

static void test_refusals(void **state)
{
    (void)state;
    fixture f;
    setup_with(&f, add_zone);
    const emauth_spf_edit_result *r = add(&f, "two.example", NULL, "a", 0);
    assert_string_equal(r->refused, "multiple-records");
    assert_contains(r->reason, "two.example publishes 2 SPF records");
    assert_null(r->merged);
    r = add(&f, "broken.example", NULL, "a", 0);
    assert_string_equal(r->refused, "syntax");
    assert_int_equal(r->column, 10);
    assert_string_equal(r->record, "v=spf1 a ip4:192.0.2.300 -all");
    assert_contains(r->reason, "broken.example: syntax error at column 10");
    r = add(&f, "flaky.example", NULL, "a", 0);
    assert_string_equal(r->refused, "dns-error");
    assert_contains(r->reason, "flaky.example: the TXT lookup failed: timeout");
    /* the same for flatten; and a domain without a record cannot be flattened */
    r = flatten_with(&f, "two.example", NULL);
    assert_string_equal(r->refused, "multiple-records");
    r = flatten_with(&f, "bare.example", NULL);
    assert_string_equal(r->refused, "no-record");
    teardown(&f);
}

/* An added term that would break the record is refused; the same term on a
 * name that does publish SPF is added. */
static void test_added_term_error(void **state)
{
    (void)state;
    fixture f;
    setup_with(&f, "$ORIGIN example.\n"
                   "cust.example.     TXT \"v=spf1 mx -all\"\n"
                   "cust.example.     MX 10 mx.cust.example.\n"
                   "mx.cust.example.  A 192.0.2.25\n"
                   "mailer.example.   TXT \"v=spf1 ip4:198.51.100.0/24 -all\"\n"
                   "typo.example.     A 192.0.2.1\n");
    const emauth_spf_edit_result *r = add(&f, "cust.example", NULL, "include:typo.example", 0);
    assert_string_equal(r->refused, "added-term-error");
    assert_contains(r->reason, "include:typo.example");
    assert_contains(r->reason, "permerror");
    assert_null(r->publish);
    r = add(&f, "cust.example", NULL, "include:mailer.example", 0);
    assert_done(r);
    assert_string_equal(r->merged, "v=spf1 mx include:mailer.example -all");
    teardown(&f);
}

/* ---- The lookup limit ------------------------------------------------------------------ */

static const char greedy_zone[] =
    "$ORIGIN example.\n"
    "big.example.   TXT \"v=spf1 a:h1.big.example a:h2.big.example a:h3.big.example "
    "a:h4.big.example a:h5.big.example -all\"\n"
    "mid.example.   TXT \"v=spf1 include:small.example a:h6.big.example -all\"\n"
    "small.example. TXT \"v=spf1 ip4:203.0.113.0/24 -all\"\n"
    "h1.big.example. A 198.51.100.1\n"
    "h2.big.example. A 198.51.100.2\n"
    "h3.big.example. A 198.51.100.3\n"
    "h4.big.example. A 198.51.100.4\n"
    "h5.big.example. A 198.51.100.5\n"
    "h6.big.example. A 198.51.100.6\n"
    "cust.example.  TXT \"v=spf1 mx include:big.example include:mid.example ~all\"\n"
    "cust.example.  MX 10 mx.cust.example.\n"
    "mx.cust.example. A 192.0.2.25\n";

static void test_over_limit(void **state)
{
    (void)state;
    fixture f;
    setup_with(&f, greedy_zone);
    /* 1 (mx) + 6 (include:big, 5 a:) + 3 (include:mid, its include: and a:) = 10, then 2 more */
    const emauth_spf_edit_result *r = add(&f, "cust.example", NULL, "a include:small.example", 0);
    assert_string_equal(r->refused, "too-many-lookups");
    assert_int_equal(r->lookups, 12);
    assert_contains(r->reason, "cust.example: the merged record needs 12 DNS lookups, over the "
                               "limit of 10");
    assert_contains(r->reason, "costliest: include:big.example (6), include:mid.example (3), "
                               "include:small.example (1)");
    assert_string_equal(r->merged, "v=spf1 mx include:big.example include:mid.example a "
                                   "include:small.example ~all");
    assert_int_equal(r->npublish, 0);
    /* within the limit: done */
    r = add(&f, "cust.example", NULL, "ip4:192.0.2.0/24", 0);
    assert_done(r);
    assert_int_equal(r->lookups, 10);
    /* --flatten: the merged record flattened instead */
    r = add(&f, "cust.example", NULL, "a include:small.example", 1);
    assert_done(r);
    assert_int_equal(r->flattened, 1);
    assert_int_equal(r->npublish, 1);
    assert_string_equal(r->publish[0].record,
                        "v=spf1 ip4:192.0.2.25 ip4:198.51.100.1 ip4:198.51.100.2/31 "
                        "ip4:198.51.100.4/31 ip4:198.51.100.6 ip4:203.0.113.0/24 ~all");
    teardown(&f);
}

/* ---- Flattening ------------------------------------------------------------------------ */

/* Independent checks of one published record: strings, answer size, lookups. */
static void assert_within_limits(const emauth_spf_txt *t, size_t other)
{
    const char *p = strstr(t->zone_line, " IN TXT ");
    assert_non_null(p);
    size_t rdata = 0, joined = 0;
    for (p += 8; *p == '"';) {
        const char *end = strchr(p + 1, '"');
        assert_non_null(end);
        size_t len = (size_t)(end - p - 1);
        assert_true(len <= 255);
        rdata += 1 + len;
        joined += len;
        p = end + 1;
        if (*p == ' ')
            p++;
    }
    assert_int_equal(*p, '\0');
    assert_int_equal(joined, t->record_len);
    size_t answer = 12 + strlen(t->owner) + 2 + 4 + 12 + rdata + other;
    assert_int_equal(t->answer_size, answer);
    assert_true(answer <= 512);
}

/* A provider with n ranges (spread over several records of 20 ranges). */
static char *provider_zone(unsigned n, const char *extra)
{
    size_t size = 4096 + n * 64 + strlen(extra);
    char *z = malloc(size), *d = z;
    d += sprintf(d, "$ORIGIN example.\n%s", extra);
    d += sprintf(d, "many.example. TXT \"v=spf1");
    for (unsigned r = 0; r < (n + 19) / 20; r++)
        d += sprintf(d, " include:r%u.many.example", r);
    d += sprintf(d, " -all\"\n");
    for (unsigned i = 0; i < n; i++) {
        if (i % 20 == 0)
            d += sprintf(d, "%sr%u.many.example. TXT ( \"v=spf1\"", i ? " \" -all\" )\n" : "",
                         i / 20);
        if (i % 3 == 2)   /* some hosts, some IPv6 */
            d += sprintf(d, " \" ip6:2001:db8:%x::1\"", i);
        else
            d += sprintf(d, " \" ip4:10.%u.%u.0/24\"", i / 100, (i % 100) * 2);
    }
    sprintf(d, " \" -all\" )\n");
    return z;
}

static void test_flatten_packing(void **state)
{
    (void)state;
    fixture f;
    char *z = provider_zone(180, "dom.example. TXT \"v=spf1 include:many.example ?all\"\n"
                                 "dom.example. TXT \"some-verification=0123456789\"\n");
    setup_with(&f, z);
    free(z);
    const emauth_spf_edit_result *r = flatten_with(&f, "dom.example", NULL);
    assert_done(r);
    assert_int_equal(r->nranges, 180);
    assert_true(r->npublish > 1);
    assert_int_equal(r->publish_lookups, r->npublish - 1);
    size_t total = 0;
    for (size_t i = 0; i < r->npublish; i++) {
        const emauth_spf_txt *t = &r->publish[i];
        char owner[64], inc[64];
        snprintf(owner, sizeof owner, i ? "_spf%zu.dom.example" : "dom.example", i);
        snprintf(inc, sizeof inc, " include:_spf%zu.dom.example", i + 1);
        assert_string_equal(t->owner, owner);
        assert_within_limits(t, i == 0 ? 12 + 29 : 0);   /* the verification record */
        int last = i + 1 == r->npublish;
        assert_int_equal(strstr(t->record, inc) != NULL, !last);
        assert_int_equal(t->lookups, !last);
        /* the domain's record keeps its all; the included ones have none */
        assert_int_equal(strstr(t->record, "all") != NULL, i == 0);
        total += t->nranges;
    }
    assert_int_equal(total, 180);
    assert_contains(r->publish[0].record, " ?all");
    /* hosts without /32 or /128 */
    assert_contains(r->publish[0].record, "v=spf1 ip4:10.0.0.0/24 ");
    assert_non_null(strstr(r->publish[r->npublish - 1].zone_line, "ip6:2001:db8:b3::1\""));
    assert_null(strstr(r->publish[r->npublish - 1].zone_line, "/128"));
    teardown(&f);
}

static void test_flatten_limits(void **state)
{
    (void)state;
    fixture f;
    char *z = provider_zone(180, "dom.example. TXT \"v=spf1 include:many.example -all\"\n");
    setup_with(&f, z);
    free(z);
    emauth_spf_edit_limits lim;
    emauth_spf_edit_limits_default(&lim);
    lim.dns_lookups = 2;
    const emauth_spf_edit_result *r = flatten_with(&f, "dom.example", &lim);
    assert_string_equal(r->refused, "too-large");
    assert_contains(r->reason, "180 ranges do not fit in 3 chained records");
    lim.dns_lookups = 10;
    lim.udp_size = 1400;   /* fewer, larger records */
    lim.ttl = 60;
    r = flatten_with(&f, "dom.example", &lim);
    assert_done(r);
    assert_true(r->npublish <= 3);
    assert_true(r->publish[0].answer_size <= 1400);
    assert_contains(r->publish[0].zone_line, "dom.example. 60 IN TXT ");
    teardown(&f);
}

static const char tail_zone[] =
    "$ORIGIN example.\n"
    "p.example.   TXT \"v=spf1 ip4:192.0.2.0/25 ip4:192.0.2.128/25 ip6:2001:DB8::1 -all\"\n"
    "t1.example.  TXT \"v=spf1 -ip4:198.51.100.1 include:p.example ~ip6:2001:db8:9::/48 ?all "
    "exp=why.%{d}\"\n"
    "t2.example.  TXT \"v=spf1 ip4:203.0.113.7 redirect=r.example exp=why.example\"\n"
    "r.example.   TXT \"v=spf1 ip4:203.0.113.8 ?ip4:203.0.113.9 -all\"\n"
    "t3.example.  TXT \"v=spf1 ip4:203.0.113.7\"\n"
    "u1.example.  TXT \"v=spf1 -ip4:192.0.2.1 include:p.example -all\"\n"
    "u2.example.  TXT \"v=spf1 exists:%{i}.list.example -all\"\n"
    "u3.example.  TXT \"v=spf1 include:nothere.example -all\"\n";

static void assert_flat(fixture *f, const char *domain, const char *want)
{
    const emauth_spf_edit_result *r = flatten_with(f, domain, NULL);
    assert_done(r);
    assert_int_equal(r->npublish, 1);
    assert_string_equal(r->publish[0].record, want);
}

static void test_flatten_tail(void **state)
{
    (void)state;
    fixture f;
    setup_with(&f, tail_zone);
    /* adjacent ranges joined; non-'+' ip terms kept in order before the all; exp= kept */
    assert_flat(&f, "t1.example", "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::1 -ip4:198.51.100.1 "
                                  "~ip6:2001:db8:9::/48 ?all exp=why.%{d}");
    /* the all of the redirect target; its terms too, not the domain's exp= */
    assert_flat(&f, "t2.example", "v=spf1 ip4:203.0.113.7 ip4:203.0.113.8 ?ip4:203.0.113.9 -all");
    /* no all and no redirect: ~all */
    assert_flat(&f, "t3.example", "v=spf1 ip4:203.0.113.7 ~all");
    /* a record given, as if published at the domain */
    const char *given = "v=spf1 include:p.example ip4:192.0.2.77 -all";
    assert_int_equal(emauth_spf_flatten_start(f.ed, "t3.example", given, strlen(given), NULL,
                                              &f.err), EMAUTH_OK);
    const emauth_spf_edit_result *g = finish(&f);
    assert_string_equal(g->record, given);
    assert_string_equal(g->publish[0].record, "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::1 -all");
    assert_int_equal(emauth_spf_flatten_start(f.ed, "t3.example", "v=spf1 ip4:1.2.3", 16, NULL,
                                              &f.err), EMAUTH_ERR_SYNTAX);
    assert_int_equal(emauth_spf_flatten_start(f.ed, NULL, NULL, 0, NULL, &f.err),
                     EMAUTH_ERR_INVALID);
    /* not a plain union, sender-dependent, broken: refused with the analyzer's reason */
    const emauth_spf_edit_result *r = flatten_with(&f, "u1.example", NULL);
    assert_string_equal(r->refused, "not-a-union");
    assert_contains(r->reason, "u1.example: not a plain union");
    r = flatten_with(&f, "u2.example", NULL);
    assert_string_equal(r->refused, "not-a-union");
    assert_contains(r->reason, "depends on the sender");
    r = flatten_with(&f, "u3.example", NULL);
    assert_string_equal(r->refused, "not-a-union");
    teardown(&f);
}

static void test_answer_size(void **state)
{
    (void)state;
    /* 12 + (11 + 2) + 4 + 12 + (1 + 10) */
    assert_int_equal(emauth_spf_txt_answer_size("example.com", 10, 0, 0), 52);
    /* 256 bytes are two strings */
    assert_int_equal(emauth_spf_txt_answer_size("example.com", 256, 0, 0), 52 - 11 + 258);
    assert_int_equal(emauth_spf_txt_answer_size("example.com", 0, 20, 2),
                     12 + 13 + 4 + 12 + 1 + 44);
}

/* ---- Drift ------------------------------------------------------------------------------- */

static const char drift_now[] =
    "$ORIGIN example.\n"
    "d.example.  TXT \"v=spf1 include:p1.example include:p2.example -all\"\n"
    "p1.example. TXT \"v=spf1 ip4:192.0.2.0/24 ip4:198.51.100.0/24 -all\"\n"
    "p2.example. TXT \"v=spf1 ip6:2001:db8::/32 ip4:203.0.113.5 -all\"\n";

static const char drift_set[] =
    "d.example. 3600 IN TXT \"v=spf1 ip4:192.0.2.0/25 ip4:198.51.100.0/23 ip4:203.0.113.5 "
    "include:_spf1.d.example -all\"\n"
    "_spf1.d.example. 3600 IN TXT \"v=spf1 ip6:2001:db8::/32\"\n";

static const emauth_spf_edit_result *check(fixture *f, emauth_zone *set, const char *source)
{
    emauth_status st = emauth_spf_flatten_check_start(f->ed, "d.example", set, source,
                                                      source ? strlen(source) : 0, NULL, &f->err);
    if (st != EMAUTH_OK)
        fail_msg("check_start: %s", f->err.message);
    return finish(f);
}

static void assert_ranges(const emauth_cidr *v, size_t n, const char *want)
{
    char got[512] = "";
    for (size_t i = 0; i < n; i++) {
        char b[64];
        emauth_cidr_format(&v[i], b, sizeof b);
        strcat(got, i ? " " : "");
        strcat(got, b);
    }
    assert_string_equal(got, want);
}

static void test_drift(void **state)
{
    (void)state;
    fixture f;
    setup_with(&f, drift_now);
    emauth_zone *set = zone_of(drift_set);
    const emauth_spf_edit_result *r = check(&f, set, NULL);
    assert_done(r);
    assert_int_equal(r->drift, 1);
    assert_ranges(r->gained, r->ngained, "192.0.2.128/25");
    assert_ranges(r->lost, r->nlost, "198.51.101.0/24");
    assert_ranges(r->previous, r->nprevious,
                  "192.0.2.0/25 198.51.100.0/23 203.0.113.5/32 2001:db8::/32");
    assert_string_equal(r->record, "v=spf1 include:p1.example include:p2.example -all");
    /* a flattening of now has no drift */
    r = flatten_with(&f, "d.example", NULL);
    char lines[2048] = "";
    for (size_t i = 0; i < r->npublish; i++) {
        strcat(lines, r->publish[i].zone_line);
        strcat(lines, "\n");
    }
    emauth_zone *fresh = zone_of(lines);
    r = check(&f, fresh, NULL);
    assert_done(r);
    assert_int_equal(r->drift, 0);
    assert_int_equal(r->ngained + r->nlost, 0);
    /* the source given; the domain publishing the flattened set itself */
    r = check(&f, set, "v=spf1 ip4:192.0.2.0/25 ip4:198.51.100.0/23 include:p2.example -all");
    assert_int_equal(r->drift, 0);
    emauth_zone_free(f.zone);
    f.zone = zone_of(lines);
    r = check(&f, fresh, NULL);
    assert_string_equal(r->refused, "source-unknown");
    /* a set without a record for the domain */
    emauth_zone *empty = zone_of("other.example. TXT \"v=spf1 -all\"\n");
    r = check(&f, empty, NULL);
    assert_string_equal(r->refused, "published-set");
    emauth_zone_free(empty);
    emauth_zone_free(fresh);
    emauth_zone_free(set);
    teardown(&f);
}

/* ---- Round trips --------------------------------------------------------------------------- */

/* A provider chain: includes two deep, ip4 and ip6, a and mx, hosts, adjacent and nested ranges. */
static const char rt_zone[] =
    "$ORIGIN example.\n"
    "rt.example.  TXT \"v=spf1 a mx include:_spf.prov1.example include:prov2.example "
    "ip4:192.0.2.128/25 ip6:2001:db8:1::/48 ~all\"\n"
    "rt.example.  A   198.51.100.10\n"
    "rt.example.  MX  10 mx1.rt.example.\n"
    "rt.example.  MX  20 mx2.rt.example.\n"
    "mx1.rt.example. A 198.51.100.20\n"
    "mx1.rt.example. AAAA 2001:db8:2::25\n"
    "mx2.rt.example. A 198.51.100.21\n"
    "_spf.prov1.example. TXT \"v=spf1 include:_nb1.prov1.example "
    "include:_nb2.prov1.example ~all\"\n"
    "_nb1.prov1.example. TXT \"v=spf1 ip4:203.0.113.0/26 ip4:203.0.113.64/26 ip4:10.0.0.0/8 "
    "ip6:2001:db8:100::/40 -all\"\n"
    "_nb2.prov1.example. TXT \"v=spf1 ip4:10.20.0.0/16 ip4:172.16.0.0/12 ip6:2001:db8:100:1::/64 "
    "ip4:192.0.2.127 -all\"\n"
    "prov2.example. TXT \"v=spf1 a:smtp.prov2.example/30 ip4:100.64.0.0/10 ip4:100.64.5.5 "
    "mx:prov2.example -all\"\n"
    "smtp.prov2.example. A 172.31.1.1\n"
    "prov2.example. MX 5 in.prov2.example.\n"
    "in.prov2.example. A 100.127.255.255\n"
    "in.prov2.example. AAAA 2001:db8:ffff::1\n"
    "prov3.example. TXT \"v=spf1 ip4:198.51.100.0/28 ip6:2001:db8:3::/64 -all\"\n";

/* The ranges written in rt_zone and prov3, for sampling. */
static const char *const rt_ranges[] = {
    "198.51.100.10/32", "198.51.100.20/32", "198.51.100.21/32", "2001:db8:2::25/128",
    "203.0.113.0/26", "203.0.113.64/26", "10.0.0.0/8", "2001:db8:100::/40", "10.20.0.0/16",
    "172.16.0.0/12", "2001:db8:100:1::/64", "192.0.2.127/32", "172.31.1.0/30", "100.64.0.0/10",
    "100.64.5.5/32", "100.127.255.255/32", "2001:db8:ffff::1/128", "192.0.2.128/25",
    "2001:db8:1::/48", "198.51.100.0/28", "2001:db8:3::/64", "192.0.2.0/28",
};

static emauth_cidr parse_cidr(const char *text)
{
    const char *slash = strchr(text, '/');
    emauth_ip ip;
    assert_int_equal(emauth_ip_parse(text, (size_t)(slash - text), &ip, NULL), EMAUTH_OK);
    return emauth_cidr_make(&ip, (unsigned)atoi(slash + 1));
}

/* ip + delta (-1, 0, +1) with carry; wraps around. */
static emauth_ip step(emauth_ip ip, int delta)
{
    int n = ip.family == 4 ? 4 : 16;
    for (int i = n - 1; i >= 0 && delta != 0; i--) {
        int v = ip.addr[i] + delta;
        ip.addr[i] = (uint8_t)v;
        if (v >= 0 && v <= 255)
            break;
    }
    return ip;
}

static emauth_ip last_of(const emauth_cidr *c)
{
    emauth_ip ip = c->ip;
    unsigned width = ip.family == 4 ? 32 : 128;
    for (unsigned b = c->prefix; b < width; b++)
        ip.addr[b / 8] |= (uint8_t)(0x80 >> (b % 8));
    return ip;
}

static uint32_t rng = 2463534242u;

static uint32_t next_random(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

/* Addresses in and around every range (edges and one past them), and random ones. */
static size_t samples(emauth_ip *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < sizeof rt_ranges / sizeof rt_ranges[0]; i++) {
        emauth_cidr c = parse_cidr(rt_ranges[i]);
        emauth_ip last = last_of(&c), mid = c.ip;
        for (int k = 0; k < 16; k++)
            mid.addr[k] = (uint8_t)(c.ip.addr[k] | (last.addr[k] & next_random()));
        emauth_ip v[] = {c.ip, step(c.ip, -1), step(c.ip, 1), last, step(last, -1),
                         step(last, 1), mid};
        for (size_t k = 0; k < sizeof v / sizeof v[0] && n < max; k++)
            out[n++] = v[k];
    }
    while (n < max) {
        emauth_ip ip;
        memset(&ip, 0, sizeof ip);
        ip.family = n % 3 ? 4 : 6;
        for (int k = 0; k < 16; k++)
            ip.addr[k] = (uint8_t)next_random();
        if (n % 2) {   /* near the ranges: keep the first 16 bits of one */
            emauth_cidr c = parse_cidr(rt_ranges[next_random() % 20]);
            ip.family = c.ip.family;
            memcpy(ip.addr, c.ip.addr, 2);
        }
        if (ip.family == 6 && ip.addr[0] == 0)
            ip.addr[0] = 0x20;   /* not a mapped IPv4 address */
        if (ip.family == 4)
            memset(ip.addr + 4, 0, 12);
        out[n++] = ip;
    }
    return n;
}

static emauth_spf_verdict verdict(emauth_zone *z, const char *domain, const emauth_ip *ip)
{
    char sender[128];
    snprintf(sender, sizeof sender, "user@%s", domain);
    emauth_spf_request req;
    memset(&req, 0, sizeof req);
    req.ip = *ip;
    req.mail_from = sender;
    req.helo = "client.example";
    emauth_spf_eval *ev;
    assert_int_equal(emauth_spf_check(emauth_zone_resolver(z), &req, &ev, NULL), EMAUTH_OK);
    emauth_spf_verdict v = emauth_spf_eval_result(ev)->verdict;
    emauth_spf_eval_free(ev);
    return v;
}

static emauth_zone *zone_of_lines(const emauth_spf_edit_result *r, const char *extra)
{
    char text[8192];
    size_t n = (size_t)snprintf(text, sizeof text, "%s", extra);
    for (size_t i = 0; i < r->npublish; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "%s\n", r->publish[i].zone_line);
    assert_true(n < sizeof text);
    return zone_of(text);
}

#define NSAMPLES 600

static void test_round_trip_flatten(void **state)
{
    (void)state;
    fixture f;
    setup_with(&f, rt_zone);
    emauth_spf_edit_limits lim;
    emauth_spf_edit_limits_default(&lim);
    lim.udp_size = 150;   /* force a chain */
    const emauth_spf_edit_result *r = flatten_with(&f, "rt.example", &lim);
    assert_done(r);
    assert_true(r->npublish >= 3);
    emauth_zone *flat = zone_of_lines(r, "");
    static emauth_ip ips[NSAMPLES];
    size_t n = samples(ips, NSAMPLES), pass = 0;
    for (size_t i = 0; i < n; i++) {
        emauth_spf_verdict a = verdict(f.zone, "rt.example", &ips[i]);
        emauth_spf_verdict b = verdict(flat, "rt.example", &ips[i]);
        if (a != b) {
            char t[64];
            emauth_ip_format(&ips[i], t, sizeof t);
            fail_msg("%s: %s originally, %s flattened", t, emauth_spf_verdict_name(a),
                     emauth_spf_verdict_name(b));
        }
        pass += a == EMAUTH_SPF_PASS;
    }
    assert_true(pass >= 50 && n - pass >= 50);   /* both outcomes well sampled */
    emauth_zone_free(flat);
    teardown(&f);
}

static void test_round_trip_add(void **state)
{
    (void)state;
    fixture f;
    setup_with(&f, rt_zone);
    const char *terms = "include:prov3.example ip4:192.0.2.0/28 mx";
    const emauth_spf_edit_result *r = add(&f, "rt.example", NULL, terms, 0);
    assert_done(r);
    assert_int_equal(r->nadded, 2);
    /* the merged record, published in place of the original */
    char *merged = malloc(sizeof rt_zone + 256);
    const char *at = strstr(rt_zone, "rt.example.  TXT");
    const char *eol = strchr(at, '\n');
    sprintf(merged, "%.*s%s%s", (int)(at - rt_zone), rt_zone, r->publish[0].zone_line, eol);
    emauth_zone *mz = zone_of(merged);
    /* what the new terms alone authorize */
    char *alone = malloc(sizeof rt_zone + 256);
    sprintf(alone, "%.*srt.example. TXT \"v=spf1 include:prov3.example ip4:192.0.2.0/28 -all\"%s",
            (int)(at - rt_zone), rt_zone, eol);
    emauth_zone *az = zone_of(alone);
    static emauth_ip ips[NSAMPLES];
    size_t n = samples(ips, NSAMPLES);
    for (size_t i = 0; i < n; i++) {
        int before = verdict(f.zone, "rt.example", &ips[i]) == EMAUTH_SPF_PASS;
        int added = verdict(az, "rt.example", &ips[i]) == EMAUTH_SPF_PASS;
        int after = verdict(mz, "rt.example", &ips[i]) == EMAUTH_SPF_PASS;
        if (after != (before || added)) {
            char t[64];
            emauth_ip_format(&ips[i], t, sizeof t);
            fail_msg("%s: pass %d before, %d by the new terms, %d merged", t, before, added,
                     after);
        }
    }
    /* and the merged record flattened: the same again */
    emauth_zone_free(f.zone);
    f.zone = mz;
    r = flatten_with(&f, "rt.example", NULL);
    assert_done(r);
    emauth_zone *flat = zone_of_lines(r, "");
    for (size_t i = 0; i < n; i++)
        assert_int_equal(verdict(flat, "rt.example", &ips[i]), verdict(mz, "rt.example", &ips[i]));
    emauth_zone_free(flat);
    emauth_zone_free(az);
    free(alone);
    free(merged);
    teardown(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merge_positions),    cmocka_unit_test(test_merge_keeps_text),
        cmocka_unit_test(test_merge_duplicates),   cmocka_unit_test(test_merge_all_terms),
        cmocka_unit_test(test_bad_terms),          cmocka_unit_test(test_published_record),
        cmocka_unit_test(test_no_record),          cmocka_unit_test(test_steps),
        cmocka_unit_test(test_refusals),           cmocka_unit_test(test_over_limit),
        cmocka_unit_test(test_added_term_error),
        cmocka_unit_test(test_flatten_packing),    cmocka_unit_test(test_flatten_limits),
        cmocka_unit_test(test_flatten_tail),       cmocka_unit_test(test_answer_size),
        cmocka_unit_test(test_drift),              cmocka_unit_test(test_round_trip_flatten),
        cmocka_unit_test(test_round_trip_add),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
