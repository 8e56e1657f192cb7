/*
 * Unit tests for the SPF record parser (emauth/spf.h): RFC 7208 §4.5
 * (record selection), §4.6 / §5 / §6 / §12 (the record ABNF), and the
 * §4.6.4 default limits.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cmocka.h>

#include <emauth/spf.h>

/* Parses from a heap copy of exactly len bytes, so any overread is caught. */
static emauth_status parse_bounded(const char *text, size_t len, emauth_spf_record **rec,
                                   emauth_error *err)
{
    char *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, text, len);
    emauth_error_clear(err);
    emauth_status st = emauth_spf_record_parse(copy, len, rec, err);
    free(copy);
    return st;
}

/* ---- Records that parse ----------------------------------------------------- */

#define MAX_TERMS 10
#define NO_INDEX (-1)

typedef struct term_want {
    emauth_spf_term_kind kind;
    char qualifier;
    const char *text;      /* the term as written */
    const char *spec;      /* NULL: absent */
    uint8_t cidr4, cidr6;  /* a, mx, ip4, ip6 (others: the 32/128 defaults are not checked) */
    const char *ip;        /* ip4, ip6: the address */
    const char *name;      /* unknown modifier */
    int has_macro;
} term_want;

typedef struct record_case {
    const char *record;
    size_t nterms;
    term_want terms[MAX_TERMS];
    int redirect, exp;     /* index of the redirect= / exp= term, or NO_INDEX */
    unsigned dns_terms;
} record_case;

#define ALL(q, text) { EMAUTH_SPF_ALL, q, text, NULL, 0, 0, NULL, NULL, 0 }
#define DOM(kind, q, text, spec) { kind, q, text, spec, 0, 0, NULL, NULL, 0 }
#define MACRO(kind, q, text, spec) { kind, q, text, spec, 0, 0, NULL, NULL, 1 }
#define CIDR(kind, text, spec, c4, c6) { kind, '+', text, spec, c4, c6, NULL, NULL, 0 }
#define IP(kind, q, text, ip, c4, c6) { kind, q, text, NULL, c4, c6, ip, NULL, 0 }
#define MOD(text, name, spec, m) { EMAUTH_SPF_UNKNOWN_MOD, '+', text, spec, 0, 0, NULL, name, m }

static const record_case records[] = {
    { "v=spf1", 0, { { 0 } }, NO_INDEX, NO_INDEX, 0 },
    { "v=spf1 -all", 1, { ALL('-', "-all") }, NO_INDEX, NO_INDEX, 0 },
    { "v=spf1 +all ~all ?all all", 4,
      { ALL('+', "+all"), ALL('~', "~all"), ALL('?', "?all"), ALL('+', "all") },
      NO_INDEX, NO_INDEX, 0 },
    { "v=spf1 include:_spf.example.com -all", 2,
      { DOM(EMAUTH_SPF_INCLUDE, '+', "include:_spf.example.com", "_spf.example.com"),
        ALL('-', "-all") }, NO_INDEX, NO_INDEX, 1 },
    { "v=spf1 a a:example.com a/24 a:example.com/24//64", 4,
      { CIDR(EMAUTH_SPF_A, "a", NULL, 32, 128),
        CIDR(EMAUTH_SPF_A, "a:example.com", "example.com", 32, 128),
        CIDR(EMAUTH_SPF_A, "a/24", NULL, 24, 128),
        CIDR(EMAUTH_SPF_A, "a:example.com/24//64", "example.com", 24, 64) },
      NO_INDEX, NO_INDEX, 4 },
    { "v=spf1 a/24//64 a//64 a/0 a//0", 4,
      { CIDR(EMAUTH_SPF_A, "a/24//64", NULL, 24, 64), CIDR(EMAUTH_SPF_A, "a//64", NULL, 32, 64),
        CIDR(EMAUTH_SPF_A, "a/0", NULL, 0, 128), CIDR(EMAUTH_SPF_A, "a//0", NULL, 32, 0) },
      NO_INDEX, NO_INDEX, 4 },
    { "v=spf1 mx mx:example.com mx//64 mx/16 mx:example.com/32//128", 5,
      { CIDR(EMAUTH_SPF_MX, "mx", NULL, 32, 128),
        CIDR(EMAUTH_SPF_MX, "mx:example.com", "example.com", 32, 128),
        CIDR(EMAUTH_SPF_MX, "mx//64", NULL, 32, 64), CIDR(EMAUTH_SPF_MX, "mx/16", NULL, 16, 128),
        CIDR(EMAUTH_SPF_MX, "mx:example.com/32//128", "example.com", 32, 128) },
      NO_INDEX, NO_INDEX, 5 },
    { "v=spf1 ptr ptr:example.com ?exists:%{i}.bl.example.com", 3,
      { DOM(EMAUTH_SPF_PTR, '+', "ptr", NULL),
        DOM(EMAUTH_SPF_PTR, '+', "ptr:example.com", "example.com"),
        MACRO(EMAUTH_SPF_EXISTS, '?', "?exists:%{i}.bl.example.com", "%{i}.bl.example.com") },
      NO_INDEX, NO_INDEX, 3 },
    { "v=spf1 ip4:1.2.3.4/32 ip4:192.0.2.0/24 ip4:192.0.2.1 -ip4:0.0.0.0/0", 4,
      { IP(EMAUTH_SPF_IP4, '+', "ip4:1.2.3.4/32", "1.2.3.4", 32, 128),
        IP(EMAUTH_SPF_IP4, '+', "ip4:192.0.2.0/24", "192.0.2.0", 24, 128),
        IP(EMAUTH_SPF_IP4, '+', "ip4:192.0.2.1", "192.0.2.1", 32, 128),
        IP(EMAUTH_SPF_IP4, '-', "-ip4:0.0.0.0/0", "0.0.0.0", 0, 128) },
      NO_INDEX, NO_INDEX, 0 },
    { "v=spf1 ip6:2001:db8::/32 ip6:2001:DB8::1 ~ip6:::1/128 ip6:::/0", 4,
      { IP(EMAUTH_SPF_IP6, '+', "ip6:2001:db8::/32", "2001:db8::", 32, 32),
        IP(EMAUTH_SPF_IP6, '+', "ip6:2001:DB8::1", "2001:db8::1", 32, 128),
        IP(EMAUTH_SPF_IP6, '~', "~ip6:::1/128", "::1", 32, 128),
        IP(EMAUTH_SPF_IP6, '+', "ip6:::/0", "::", 32, 0) },
      NO_INDEX, NO_INDEX, 0 },
    { "v=spf1 redirect=_spf.example.com", 1,
      { DOM(EMAUTH_SPF_REDIRECT, '+', "redirect=_spf.example.com", "_spf.example.com") },
      0, NO_INDEX, 1 },
    { "v=spf1 -all exp=explain.%{d}", 2,
      { ALL('-', "-all"), MACRO(EMAUTH_SPF_EXP, '+', "exp=explain.%{d}", "explain.%{d}") },
      NO_INDEX, 1, 0 },
    { "v=spf1 foo=bar x-y_z.1=%{d} -all", 3,
      { MOD("foo=bar", "foo", "bar", 0), MOD("x-y_z.1=%{d}", "x-y_z.1", "%{d}", 1),
        ALL('-', "-all") }, NO_INDEX, NO_INDEX, 0 },
    { "V=SPF1 A MX", 2,
      { CIDR(EMAUTH_SPF_A, "A", NULL, 32, 128), CIDR(EMAUTH_SPF_MX, "MX", NULL, 32, 128) },
      NO_INDEX, NO_INDEX, 2 },
    { "v=spf1 INCLUDE:Example.COM Ip4:1.2.3.4 -ALL REDIRECT=Example.NET", 4,
      { DOM(EMAUTH_SPF_INCLUDE, '+', "INCLUDE:Example.COM", "Example.COM"),
        IP(EMAUTH_SPF_IP4, '+', "Ip4:1.2.3.4", "1.2.3.4", 32, 128), ALL('-', "-ALL"),
        DOM(EMAUTH_SPF_REDIRECT, '+', "REDIRECT=Example.NET", "Example.NET") },
      3, NO_INDEX, 2 },
    { "v=spf1  a   mx  -all", 3,
      { CIDR(EMAUTH_SPF_A, "a", NULL, 32, 128), CIDR(EMAUTH_SPF_MX, "mx", NULL, 32, 128),
        ALL('-', "-all") }, NO_INDEX, NO_INDEX, 2 },
    { "v=spf1 a -all ", 2, { CIDR(EMAUTH_SPF_A, "a", NULL, 32, 128), ALL('-', "-all") },
      NO_INDEX, NO_INDEX, 1 },
    { "v=spf1 a:example.com. mx:%{d} exists:%{ir}.%{v}._spf.%{d2}", 3,
      { CIDR(EMAUTH_SPF_A, "a:example.com.", "example.com.", 32, 128),
        { EMAUTH_SPF_MX, '+', "mx:%{d}", "%{d}", 32, 128, NULL, NULL, 1 },
        MACRO(EMAUTH_SPF_EXISTS, '+', "exists:%{ir}.%{v}._spf.%{d2}", "%{ir}.%{v}._spf.%{d2}") },
      NO_INDEX, NO_INDEX, 3 },
    { "v=spf1 include:a.com a mx ptr exists:x.com redirect=b.com ip4:1.2.3.4 all exp=c.com", 9,
      { DOM(EMAUTH_SPF_INCLUDE, '+', "include:a.com", "a.com"),
        CIDR(EMAUTH_SPF_A, "a", NULL, 32, 128), CIDR(EMAUTH_SPF_MX, "mx", NULL, 32, 128),
        DOM(EMAUTH_SPF_PTR, '+', "ptr", NULL), DOM(EMAUTH_SPF_EXISTS, '+', "exists:x.com", "x.com"),
        DOM(EMAUTH_SPF_REDIRECT, '+', "redirect=b.com", "b.com"),
        IP(EMAUTH_SPF_IP4, '+', "ip4:1.2.3.4", "1.2.3.4", 32, 128), ALL('+', "all"),
        DOM(EMAUTH_SPF_EXP, '+', "exp=c.com", "c.com") },
      5, 8, 6 },
};

static void assert_span(const char *what, const char *got, size_t got_len, const char *want)
{
    if (want == NULL) {
        if (got != NULL)
            fail_msg("%s: \"%.*s\", expected none", what, (int)got_len, got);
        return;
    }
    if (got == NULL || got_len != strlen(want) || memcmp(got, want, got_len) != 0)
        fail_msg("%s: \"%.*s\", expected \"%s\"", what, got ? (int)got_len : 6,
                 got ? got : "(null)", want);
}

static int uses_cidr(emauth_spf_term_kind k)
{
    return k == EMAUTH_SPF_A || k == EMAUTH_SPF_MX || k == EMAUTH_SPF_IP4 || k == EMAUTH_SPF_IP6;
}

static void assert_ip_text(const emauth_ip *got, const char *want)
{
    emauth_ip ip;
    assert_int_equal(emauth_ip_parse_family(want, strlen(want), strchr(want, ':') ? 6 : 4, &ip),
                     EMAUTH_OK);
    assert_int_equal(got->family, ip.family);
    assert_memory_equal(got->addr, ip.addr, ip.family == 4 ? 4 : 16);
}

/* Checks one term; *from is where to look for its text (updated past it). */
static void assert_term(const emauth_spf_record *rec, size_t i, const term_want *w,
                        const char **from)
{
    const emauth_spf_term *t = &rec->terms[i];
    const char *at = strstr(*from, w->text);
    assert_non_null(at);
    *from = at + strlen(w->text);
    if (t->kind != w->kind || t->qualifier != w->qualifier)
        fail_msg("%s: term %zu: kind %d qualifier '%c', expected %d '%c'", rec->text, i, t->kind,
                 t->qualifier, w->kind, w->qualifier);
    assert_span("term text", t->text, t->text_len, w->text);
    assert_ptr_equal(t->text, at);                        /* points into rec->text */
    assert_int_equal(t->column, (unsigned)(at - rec->text) + 1);
    assert_span("spec", t->spec, t->spec_len, w->spec);
    if (w->kind == EMAUTH_SPF_UNKNOWN_MOD)
        assert_span("modifier name", t->name, t->name_len, w->name);
    if (uses_cidr(w->kind) && (t->cidr4 != w->cidr4 || t->cidr6 != w->cidr6))
        fail_msg("%s: term %zu: /%u//%u, expected /%u//%u", rec->text, i, t->cidr4, t->cidr6,
                 w->cidr4, w->cidr6);
    if (w->ip != NULL)
        assert_ip_text(&t->ip, w->ip);
    if ((t->spec_has_macro != 0) != w->has_macro)
        fail_msg("%s: term %zu: spec_has_macro %u, expected %d", rec->text, i, t->spec_has_macro,
                 w->has_macro);
}

static void assert_record(const emauth_spf_record *rec, const record_case *c)
{
    assert_string_equal(rec->text, c->record);
    assert_int_equal(rec->text_len, strlen(c->record));
    if (rec->nterms != c->nterms)
        fail_msg("\"%s\": %zu terms, expected %zu", c->record, rec->nterms, c->nterms);
    const char *from = rec->text + 6;
    for (size_t i = 0; i < c->nterms; i++)
        assert_term(rec, i, &c->terms[i], &from);
    assert_ptr_equal(rec->redirect, c->redirect == NO_INDEX ? NULL : &rec->terms[c->redirect]);
    assert_ptr_equal(rec->exp, c->exp == NO_INDEX ? NULL : &rec->terms[c->exp]);
    assert_int_equal(rec->dns_terms, c->dns_terms);
}

/*
 * Tests that parse records keep the record in a slot the teardown frees, so
 * that a failed assertion leaks nothing under valgrind.
 */
static int setup_slot(void **state)
{
    *state = calloc(1, sizeof(emauth_spf_record *));
    return *state != NULL ? 0 : -1;
}

static int teardown_slot(void **state)
{
    emauth_spf_record **slot = *state;
    emauth_spf_record_free(*slot);
    free(slot);
    return 0;
}

/* Parses text (must succeed) into the slot, freeing what it held. */
static emauth_spf_record *parse_into(void **state, const char *text, size_t len)
{
    emauth_spf_record **slot = *state;
    emauth_error err;
    emauth_spf_record_free(*slot);
    *slot = NULL;
    if (parse_bounded(text, len, slot, &err) != EMAUTH_OK)
        fail_msg("\"%.*s\" refused: %s", (int)len, text, err.message);
    assert_non_null(*slot);
    return *slot;
}

static void test_parse_records(void **state)
{
    for (size_t i = 0; i < sizeof records / sizeof records[0]; i++) {
        const char *r = records[i].record;
        assert_record(parse_into(state, r, strlen(r)), &records[i]);
    }
}

/* Multiple spaces: the columns are those of the terms, 1-based. */
static void test_columns(void **state)
{
    static const unsigned want[] = { 9, 13, 17 };
    const emauth_spf_record *rec = parse_into(state, "v=spf1  a   mx  -all", 20);
    assert_int_equal(rec->nterms, 3);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(rec->terms[i].column, want[i]);
}

/* Only len bytes are parsed. */
static void test_parse_length_bounded(void **state)
{
    const emauth_spf_record *rec = parse_into(state, "v=spf1 -all garbage%", 11);
    assert_int_equal(rec->nterms, 1);
    assert_string_equal(rec->text, "v=spf1 -all");
}

/* ---- Syntax errors ----------------------------------------------------------------- */

typedef struct error_case {
    const char *record;
    unsigned column;       /* of the offending term */
    const char *term;      /* must appear in the message */
    const char *word;      /* what was expected, also in the message (any case) */
} error_case;

static const error_case errors[] = {
    { "v=spf1 ip4:1.2.3 -all", 8, "ip4:1.2.3", "IPv4" },
    { "v=spf1 ip4:01.2.3.4", 8, "ip4:01.2.3.4", "IPv4" },
    { "v=spf1 ip6:1.2.3.4", 8, "ip6:1.2.3.4", "IPv6" },
    { "v=spf1 ip4", 8, "ip4", "address" },
    { "v=spf1 ip4:1.2.3.4/33", 8, "ip4:1.2.3.4/33", "prefix" },
    { "v=spf1 ip6:2001:db8::/129", 8, "ip6:2001:db8::/129", "prefix" },
    { "v=spf1 a//129", 8, "a//129", "prefix" },
    { "v=spf1 a/33", 8, "a/33", "prefix" },
    { "v=spf1 a/024", 8, "a/024", "prefix" },                 /* no leading zero (§12) */
    { "v=spf1 a:example.com/24/64", 8, "a:example.com/24/64", "prefix" },
    { "v=spf1 mx a:foo.example.com/", 11, "a:foo.example.com/", "prefix" },
    { "v=spf1 exists:", 8, "exists:", "domain" },
    { "v=spf1 exists", 8, "exists", "domain" },
    { "v=spf1 include", 8, "include", "domain" },
    { "v=spf1 mx:", 8, "mx:", "domain" },
    { "v=spf1 ptr/24", 8, "ptr/24", "domain" },
    { "v=spf1 redirect=", 8, "redirect=", "domain" },
    { "v=spf1 a:example.123", 8, "a:example.123", "label" },  /* toplabel needs a letter */
    { "v=spf1 a:%{x}.example.com", 8, "a:%{x}.example.com", "macro" },
    { "v=spf1 exists:%{d0}.example.com", 8, "exists:%{d0}.example.com", "zero" },
    { "v=spf1 a:foo.%", 8, "a:foo.%", "end" },
    { "v=spf1 -exists:%(ir).sbl.example.org", 8, "-exists:%(ir).sbl.example.org", "'%'" },
    { "v=spf1 a:%{c}.example.com", 8, "a:%{c}.example.com", "exp" },
    { "v=spf1 foo=%{x}", 8, "foo=%{x}", "macro" },
    { "v=spf1 a:ex\xc3\xa9mple.com", 8, "a:ex", "ASCII" },
    { "v=spf1 a\t-all", 8, "a\\x09-all", "ASCII" },
    { "v=spf1 a:foo\x7f.com", 8, "a:foo\\x7f.com", "ASCII" },
    { "v=spf1 redirect=a.com redirect=b.com", 23, "redirect=b.com", "twice" },
    { "v=spf1 exp=a.com -all exp=b.com", 23, "exp=b.com", "twice" },
    { "v=spf1 -all foo", 13, "foo", "unknown" },
    { "v=spf1 all:example.com", 8, "all:example.com", "argument" },
    { "v=spf1 -redirect=a.com", 8, "-redirect=a.com", "modifier" },
    { "v=spf1 1foo=bar", 8, "1foo=bar", "modifier" },
    { "v=spf1 =foo", 8, "=foo", "modifier" },
    { "v=spf1 fo!o=bar", 8, "fo!o=bar", "modifier" },
    { "v=spf1\t-all", 1, "v=spf1", "v=spf1" },
    { "v=spf10 -all", 1, "v=spf1", "v=spf1" },
    { "", 1, "v=spf1", "v=spf1" },
};

static int contains_nocase(const char *hay, const char *needle)
{
    for (size_t n = strlen(needle); *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return 1;
    return 0;
}

static void assert_error(const error_case *c)
{
    emauth_spf_record *rec = (emauth_spf_record *)&rec;   /* must be reset */
    emauth_error err;
    emauth_status st = parse_bounded(c->record, strlen(c->record), &rec, &err);
    if (st != EMAUTH_ERR_SYNTAX) {
        if (st == EMAUTH_OK)
            emauth_spf_record_free(rec);
        fail_msg("\"%s\": status %d, expected a syntax error", c->record, st);
    }
    assert_null(rec);
    assert_int_equal(err.status, EMAUTH_ERR_SYNTAX);
    if (err.column != c->column)
        fail_msg("\"%s\": column %u, expected %u (%s)", c->record, err.column, c->column,
                 err.message);
    if (strstr(err.message, c->term) == NULL || !contains_nocase(err.message, c->word))
        fail_msg("\"%s\": message \"%s\" should name \"%s\" and say \"%s\"", c->record,
                 err.message, c->term, c->word);
}

static void test_syntax_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++)
        assert_error(&errors[i]);
}

/* ---- is_record (§4.5) ------------------------------------------------------------------ */

typedef struct is_record_case {
    const char *text;
    size_t len;            /* bytes given */
    int is;
} is_record_case;

#define WHOLE(s) s, sizeof(s) - 1

static const is_record_case is_records[] = {
    { WHOLE("v=spf1"), 1 },
    { WHOLE("v=spf1 -all"), 1 },
    { WHOLE("V=SPF1 a"), 1 },
    { WHOLE("v=Spf1 "), 1 },
    { WHOLE("v=spf10"), 0 },
    { WHOLE("v=spf1\t-all"), 0 },
    { WHOLE(" v=spf1"), 0 },
    { WHOLE(""), 0 },
    { WHOLE("v=spf"), 0 },
    { WHOLE("v=spf2.0/pra"), 0 },
    { WHOLE("spf1 -all"), 0 },
    { WHOLE("v=spf1-all"), 0 },
    { "v=spf1 -all", 6, 1 },          /* length-bounded */
    { "v=spf10", 6, 1 },
    { "v=spf1", 5, 0 },
};

static void test_is_record(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof is_records / sizeof is_records[0]; i++) {
        const is_record_case *c = &is_records[i];
        char *copy = malloc(c->len ? c->len : 1);
        assert_non_null(copy);
        memcpy(copy, c->text, c->len);
        int got = emauth_spf_is_record(copy, c->len);
        free(copy);
        if ((got != 0) != c->is)
            fail_msg("is_record(\"%.*s\") = %d, expected %d", (int)c->len, c->text, got, c->is);
    }
}

/* ---- Limits and names ---------------------------------------------------------------- */

static void test_limits_default(void **state)
{
    (void)state;
    emauth_spf_limits l;
    memset(&l, 0xff, sizeof l);
    emauth_spf_limits_default(&l);
    assert_int_equal(l.dns_terms, 10);       /* §4.6.4 */
    assert_int_equal(l.void_lookups, 2);     /* §4.6.4 */
    assert_int_equal(l.mx_names, 10);        /* §4.6.4 */
    assert_int_equal(l.ptr_names, 10);       /* §4.6.4 */
    assert_int_equal(l.max_record_len, 4096);   /* documented in emauth/spf.h */
}

static void test_kind_names(void **state)
{
    (void)state;
    static const struct { emauth_spf_term_kind kind; const char *name; } names[] = {
        { EMAUTH_SPF_ALL, "all" },       { EMAUTH_SPF_INCLUDE, "include" },
        { EMAUTH_SPF_A, "a" },           { EMAUTH_SPF_MX, "mx" },
        { EMAUTH_SPF_PTR, "ptr" },       { EMAUTH_SPF_IP4, "ip4" },
        { EMAUTH_SPF_IP6, "ip6" },       { EMAUTH_SPF_EXISTS, "exists" },
        { EMAUTH_SPF_REDIRECT, "redirect" }, { EMAUTH_SPF_EXP, "exp" },
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        assert_string_equal(emauth_spf_term_kind_name(names[i].kind), names[i].name);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_parse_records, setup_slot, teardown_slot),
        cmocka_unit_test_setup_teardown(test_columns, setup_slot, teardown_slot),
        cmocka_unit_test_setup_teardown(test_parse_length_bounded, setup_slot, teardown_slot),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_is_record),
        cmocka_unit_test(test_limits_default),
        cmocka_unit_test(test_kind_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
