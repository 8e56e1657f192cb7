/*
 * Authentication-Results (RFC 8601): the field written for each
 * combination of results, hostile values kept to one field, folding at
 * 78 columns; the parser on the RFC's Appendix B examples, comments,
 * quoted values, versions, "none" and errors with their columns; and
 * format -> parse round trips.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <emauth/authres.h>

/* ---- Building results by hand ------------------------------------------------------ */

static emauth_spf_result spf_result(emauth_spf_verdict v, emauth_spf_identity id,
                                    const char *sender, const char *domain, const char *problem)
{
    emauth_spf_result r;
    memset(&r, 0, sizeof r);
    r.verdict = v;
    r.identity = id;
    r.sender = sender;
    r.domain = domain;
    r.problem = problem;
    return r;
}

static emauth_dkim_result dkim_result(emauth_dkim_verdict v, const char *reason, const char *d,
                                      const char *s, const char *b)
{
    emauth_dkim_result r;
    memset(&r, 0, sizeof r);
    r.verdict = v;
    r.reason = reason;
    r.domain = d;
    r.selector = s;
    r.b_prefix = b;
    return r;
}

static emauth_dmarc_result dmarc_result(emauth_dmarc_verdict v, emauth_dmarc_policy p,
                                        const char *from, const char *reason)
{
    emauth_dmarc_result r;
    memset(&r, 0, sizeof r);
    r.verdict = v;
    r.policy = p;
    r.from_domain = from;
    r.reason = reason;
    return r;
}

/*
 * One field: printable ASCII, tabs and CRLF only as folding (CRLF then
 * TAB), no line over 78 columns unless a single piece is longer, never
 * over 998.
 */
static void assert_one_field(const char *s)
{
    size_t line = 0;
    for (const char *p = s; *p != '\0'; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '\r') {
            if (p[1] != '\n' || p[2] != '\t')
                fail_msg("CR not folding at offset %zu in \"%s\"", (size_t)(p - s), s);
            p++;
            line = 0;
            continue;
        }
        if (c == '\t' && p > s && p[-1] == '\n') {
            line = 1;
            continue;
        }
        if (c < 0x20 || c > 0x7e)
            fail_msg("byte 0x%02x at offset %zu in \"%s\"", c, (size_t)(p - s), s);
        if (++line > 998)
            fail_msg("line over 998 bytes in \"%s\"", s);
    }
}

/* The longest line, in bytes. */
static size_t longest_line(const char *s)
{
    size_t best = 0, cur = 0;
    for (const char *p = s; *p != '\0'; p++) {
        if (*p == '\r' && p[1] == '\n') {
            p++;
            cur = 0;
            continue;
        }
        if (++cur > best)
            best = cur;
    }
    return best;
}

/* The field with its folding removed (CRLF dropped, the TAB kept as a space). */
static void unfold(const char *s, char *out, size_t size)
{
    size_t n = 0;
    for (const char *p = s; *p != '\0' && n + 1 < size; p++) {
        if (*p == '\r' && p[1] == '\n' && p[2] == '\t') {
            out[n++] = ' ';
            p += 2;
            continue;
        }
        out[n++] = *p;
    }
    out[n] = '\0';
}

/* ---- Formatting -------------------------------------------------------------------- */

typedef struct format_case {
    const char *name;
    int spf;                 /* index into spfs, -1 none */
    int dkim_first, ndkim;   /* a slice of dkims */
    int dmarc;               /* index into dmarcs, -1 none */
    const char *want;        /* unfolded */
} format_case;

static emauth_spf_result spfs[4];
static emauth_dkim_result dkims[4];
static emauth_dmarc_result dmarcs[6];

static void fill_results(void)
{
    spfs[0] = spf_result(EMAUTH_SPF_PASS, EMAUTH_SPF_ID_MAILFROM, "user@example.com", "example.com",
                         NULL);
    spfs[1] = spf_result(EMAUTH_SPF_FAIL, EMAUTH_SPF_ID_MAILFROM, "bounce@bad.example",
                         "bad.example", NULL);
    spfs[2] = spf_result(EMAUTH_SPF_NONE, EMAUTH_SPF_ID_HELO, NULL, "mx.example.net", NULL);
    spfs[3] = spf_result(EMAUTH_SPF_PERMERROR, EMAUTH_SPF_ID_MAILFROM, "a@example.org",
                         "example.org", "too many DNS lookups");
    dkims[0] = dkim_result(EMAUTH_DKIM_PASS, NULL, "example.com", "sel1", "AbCdEfGhIjKl");
    dkims[1] = dkim_result(EMAUTH_DKIM_FAIL, "body hash mismatch", "example.net", "s2024",
                           "ZyXw/+9=QrSt");
    dkims[2] = dkim_result(EMAUTH_DKIM_PERMERROR, "no key", "example.org", "gone", "abc");
    dkims[3] = dkim_result(EMAUTH_DKIM_PASS, "ignored for pass", "example.com", "s", "12345678");
    dmarcs[0] = dmarc_result(EMAUTH_DMARC_PASS, EMAUTH_DMARC_P_NONE, "example.com", NULL);
    dmarcs[1] = dmarc_result(EMAUTH_DMARC_FAIL, EMAUTH_DMARC_P_QUARANTINE, "example.com", NULL);
    dmarcs[2] = dmarc_result(EMAUTH_DMARC_FAIL, EMAUTH_DMARC_P_REJECT, "example.com", NULL);
    dmarcs[3] = dmarc_result(EMAUTH_DMARC_FAIL, EMAUTH_DMARC_P_NONE, "example.com", NULL);
    dmarcs[4] = dmarc_result(EMAUTH_DMARC_NONE, EMAUTH_DMARC_P_NONE, "example.com", NULL);
    dmarcs[5] = dmarc_result(EMAUTH_DMARC_PERMERROR, EMAUTH_DMARC_P_NONE, NULL,
                             "2 From fields");
}

static const format_case format_cases[] = {
    {"nothing", -1, 0, 0, -1, "Authentication-Results: mx.example.org; none"},
    {"spf only", 0, 0, 0, -1,
     "Authentication-Results: mx.example.org; spf=pass smtp.mailfrom=user@example.com; dkim=none"},
    {"spf helo", 2, 0, 0, -1,
     "Authentication-Results: mx.example.org; spf=none smtp.helo=mx.example.net; dkim=none"},
    {"spf permerror", 3, 0, 0, -1,
     "Authentication-Results: mx.example.org; spf=permerror (too many DNS lookups) "
     "smtp.mailfrom=a@example.org; dkim=none"},
    {"dkim pass", -1, 0, 1, -1,
     "Authentication-Results: mx.example.org; dkim=pass header.d=example.com header.s=sel1 "
     "header.b=AbCdEfGh"},
    {"dkim x2 with a fail reason", 0, 0, 2, -1,
     "Authentication-Results: mx.example.org; spf=pass smtp.mailfrom=user@example.com; "
     "dkim=pass header.d=example.com header.s=sel1 header.b=AbCdEfGh; dkim=fail "
     "reason=\"body hash mismatch\" header.d=example.net header.s=s2024 header.b=\"ZyXw/+9=\""},
    {"dkim permerror, pass ignores its reason", -1, 2, 2, -1,
     "Authentication-Results: mx.example.org; dkim=permerror reason=\"no key\" "
     "header.d=example.org header.s=gone header.b=abc; dkim=pass header.d=example.com "
     "header.s=s header.b=12345678"},
    {"dmarc pass", 0, 0, 1, 0,
     "Authentication-Results: mx.example.org; spf=pass smtp.mailfrom=user@example.com; "
     "dkim=pass header.d=example.com header.s=sel1 header.b=AbCdEfGh; dmarc=pass "
     "header.from=example.com policy.dmarc=none"},
    {"dmarc quarantine", 1, 1, 1, 1,
     "Authentication-Results: mx.example.org; spf=fail smtp.mailfrom=bounce@bad.example; "
     "dkim=fail reason=\"body hash mismatch\" header.d=example.net header.s=s2024 "
     "header.b=\"ZyXw/+9=\"; dmarc=fail header.from=example.com policy.dmarc=quarantine"},
    {"dmarc reject", 1, 0, 0, 2,
     "Authentication-Results: mx.example.org; spf=fail smtp.mailfrom=bounce@bad.example; "
     "dkim=none; dmarc=fail header.from=example.com policy.dmarc=reject"},
    {"dmarc fail p=none", -1, 0, 0, 3,
     "Authentication-Results: mx.example.org; dkim=none; dmarc=fail header.from=example.com "
     "policy.dmarc=none"},
    {"dmarc none", -1, 0, 0, 4,
     "Authentication-Results: mx.example.org; dkim=none; dmarc=none header.from=example.com"},
    {"dmarc permerror", -1, 0, 0, 5,
     "Authentication-Results: mx.example.org; dkim=none; dmarc=permerror "
     "reason=\"2 From fields\""},
};

static void test_format(void **state)
{
    (void)state;
    size_t failures = 0;
    fill_results();
    for (size_t i = 0; i < sizeof format_cases / sizeof format_cases[0]; i++) {
        const format_case *fc = &format_cases[i];
        char *out = NULL, flat[4096];
        emauth_error err;
        emauth_status st = emauth_authres_format(
            "mx.example.org", fc->spf >= 0 ? &spfs[fc->spf] : NULL,
            fc->ndkim > 0 ? &dkims[fc->dkim_first] : NULL, (size_t)fc->ndkim,
            fc->dmarc >= 0 ? &dmarcs[fc->dmarc] : NULL, &out, &err);
        assert_int_equal(st, EMAUTH_OK);
        assert_one_field(out);
        unfold(out, flat, sizeof flat);
        if (strcmp(flat, fc->want) != 0 || longest_line(out) > 78) {
            print_message("%s:\n got  [%s]\n want [%s]\n raw  [%s]\n", fc->name, flat, fc->want,
                          out);
            failures++;
        }
        free(out);
    }
    assert_int_equal(failures, 0);
}

/* The exact folding of one long field. */
static void test_format_folding(void **state)
{
    (void)state;
    fill_results();
    char *out = NULL;
    assert_int_equal(emauth_authres_format("mx.example.org", &spfs[0], dkims, 2, &dmarcs[2],
                                           &out, NULL),
                     EMAUTH_OK);
    assert_string_equal(out,
                        "Authentication-Results: mx.example.org; spf=pass\r\n"
                        "\tsmtp.mailfrom=user@example.com; dkim=pass header.d=example.com "
                        "header.s=sel1\r\n"
                        "\theader.b=AbCdEfGh; dkim=fail reason=\"body hash mismatch\" "
                        "header.d=example.net\r\n"
                        "\theader.s=s2024 header.b=\"ZyXw/+9=\"; dmarc=fail "
                        "header.from=example.com\r\n"
                        "\tpolicy.dmarc=reject");
    assert_true(longest_line(out) <= 78);
    free(out);
}

/* Identities chosen by the sender: CR, LF, quotes, semicolons, 8-bit, very long. */
static void test_format_hostile(void **state)
{
    (void)state;
    char longd[2000];
    memset(longd, 'a', sizeof longd - 1);
    longd[sizeof longd - 1] = '\0';
    emauth_spf_result spf = spf_result(EMAUTH_SPF_PERMERROR, EMAUTH_SPF_ID_MAILFROM,
                                       "x\r\nBcc: victim@example.com\"@evil.example",
                                       "evil.example", "bad )record\r\nX-Injected: 1");
    emauth_dkim_result dk[2] = {
        dkim_result(EMAUTH_DKIM_FAIL, "why\"\r\nX-Evil: 1\\", "ev;il.example\r\n dkim=pass",
                    "s\"el", "ab\r\ncdefgh"),
        dkim_result(EMAUTH_DKIM_NEUTRAL, longd, longd, "\xff\xfe", "\x01\x02"),
    };
    emauth_dmarc_result dm = dmarc_result(EMAUTH_DMARC_PERMERROR, EMAUTH_DMARC_P_NONE,
                                          "evil.example\r\nAuthentication-Results: x; dmarc=pass",
                                          "reason\r\nwith; dmarc=pass");
    char *out = NULL;
    assert_int_equal(emauth_authres_format("mx.example.org\r\nX-Id: 1", &spf, dk, 2, &dm, &out,
                                           NULL),
                     EMAUTH_OK);
    assert_one_field(out);
    assert_null(strstr(out, "\r\nX-"));
    assert_null(strstr(out, "\r\nBcc"));
    assert_null(strstr(out, "\r\nAuth"));

    /* Parsed back: still exactly the four methods, with the values quoted. */
    emauth_authres *a = NULL;
    emauth_error err;
    const char *value = out + strlen("Authentication-Results:");
    assert_int_equal(emauth_authres_parse(value, strlen(value), &a, &err), EMAUTH_OK);
    assert_int_equal(a->nmethods, 4);
    assert_string_equal(a->methods[0].method, "spf");
    assert_string_equal(a->methods[0].result, "permerror");
    assert_string_equal(a->methods[1].result, "fail");
    assert_string_equal(a->methods[1].reason, "why\"  X-Evil: 1\\");
    assert_string_equal(a->methods[1].props[0].value, "ev;il.example   dkim=pass");
    assert_string_equal(a->methods[2].result, "neutral");
    assert_string_equal(a->methods[3].method, "dmarc");
    assert_string_equal(a->methods[3].result, "permerror");
    assert_string_equal(a->authserv_id, "mx.example.org  X-Id: 1");
    emauth_authres_free(a);
    free(out);
}

static void test_format_invalid(void **state)
{
    (void)state;
    char *out = (char *)1;
    emauth_error err;
    assert_int_equal(emauth_authres_format(NULL, NULL, NULL, 0, NULL, &out, &err),
                     EMAUTH_ERR_INVALID);
    assert_int_equal(emauth_authres_format("", NULL, NULL, 0, NULL, &out, &err),
                     EMAUTH_ERR_INVALID);
    assert_int_equal(emauth_authres_format("id", NULL, NULL, 1, NULL, &out, &err),
                     EMAUTH_ERR_INVALID);
    /* An authserv-id that is not a token is quoted. */
    assert_int_equal(emauth_authres_format("my host", NULL, NULL, 0, NULL, &out, &err), EMAUTH_OK);
    assert_string_equal(out, "Authentication-Results: \"my host\"; none");
    free(out);
}

/* ---- Parsing ----------------------------------------------------------------------- */

typedef struct want_method {
    const char *method;
    int version;
    const char *result;
    const char *reason;
    const char *props;       /* "ptype.property=value|..." */
} want_method;

typedef struct parse_case {
    const char *name;
    const char *value;
    const char *authserv_id;
    int version;
    int none;
    size_t nmethods;
    want_method m[4];
} parse_case;

static const parse_case parse_cases[] = {
    /* RFC 8601 Appendix B, the field values as printed. */
    {"B.2", " example.org 1; none", "example.org", 1, 1, 0, {{0}}},
    {"B.3", " example.com;\r\n                  spf=pass smtp.mailfrom=example.net", "example.com",
     1, 0, 1, {{"spf", 1, "pass", NULL, "smtp.mailfrom=example.net"}}},
    {"B.4 first", " example.com;\r\n                  auth=pass (cram-md5) "
     "smtp.auth=sender@example.net;\r\n                  spf=pass smtp.mailfrom=example.net",
     "example.com", 1, 0, 2,
     {{"auth", 1, "pass", NULL, "smtp.auth=sender@example.net"},
      {"spf", 1, "pass", NULL, "smtp.mailfrom=example.net"}}},
    {"B.4 second", " example.com; iprev=pass\r\n                  policy.iprev=192.0.2.200",
     "example.com", 1, 0, 1, {{"iprev", 1, "pass", NULL, "policy.iprev=192.0.2.200"}}},
    {"B.5 first", " example.com;\r\n                  dkim=pass (good signature) "
     "header.d=example.com", "example.com", 1, 0, 1,
     {{"dkim", 1, "pass", NULL, "header.d=example.com"}}},
    {"B.5 second", " example.com;\r\n                  auth=pass (cram-md5) "
     "smtp.auth=sender@example.com;\r\n                  spf=fail smtp.mailfrom=example.com",
     "example.com", 1, 0, 2,
     {{"auth", 1, "pass", NULL, "smtp.auth=sender@example.com"},
      {"spf", 1, "fail", NULL, "smtp.mailfrom=example.com"}}},
    {"B.6 first", " example.com;\r\n              dkim=pass reason=\"good signature\"\r\n"
     "                header.i=@mail-router.example.net;\r\n              dkim=fail "
     "reason=\"bad signature\"\r\n                header.i=@newyork.example.com",
     "example.com", 1, 0, 2,
     {{"dkim", 1, "pass", "good signature", "header.i=@mail-router.example.net"},
      {"dkim", 1, "fail", "bad signature", "header.i=@newyork.example.com"}}},
    {"B.6 second", " example.net;\r\n              dkim=pass (good signature) "
     "header.i=@newyork.example.com", "example.net", 1, 0, 1,
     {{"dkim", 1, "pass", NULL, "header.i=@newyork.example.com"}}},
    {"B.7", " foo.example.net (foobar) 1 (baz);\r\n           dkim (Because I like it) / 1 "
     "(One yay) = (wait for it) fail\r\n             policy (A dot can go here) . (like that) "
     "expired\r\n             (this surprised me) = (as I wasn't expecting it) 1362471462",
     "foo.example.net", 1, 0, 1, {{"dkim", 1, "fail", NULL, "policy.expired=1362471462"}}},
    /* Ours and others'. */
    {"case folding", "MX.Example.ORG; SPF=Pass SMTP.MailFrom=User@Example.COM",
     "MX.Example.ORG", 1, 0, 1, {{"spf", 1, "pass", NULL, "smtp.mailfrom=User@Example.COM"}}},
    {"version 2 and method version", "id 2; dkim/2=pass header.d=a.example", "id", 2, 0, 1,
     {{"dkim", 2, "pass", NULL, "header.d=a.example"}}},
    {"quoted authserv-id and values", "\"my id\"; x=pass p.q=\"a \\\"b\\\" (c);\" "
     "header.b=ab/c+d=", "my id", 1, 0, 1,
     {{"x", 1, "pass", NULL, "p.q=a \"b\" (c);|header.b=ab/c+d="}}},
    {"quoted local part", "id; dkim=pass header.i=\"a b\"@example.com", "id", 1, 0, 1,
     {{"dkim", 1, "pass", NULL, "header.i=\"a b\"@example.com"}}},
    {"nested comments everywhere", "(a (b) c) id (x(y(z))) ; (p) spf (q) = (r) pass (s) "
     "smtp (t) . (u) mailfrom (v) = (w) a@b.example (x)", "id", 1, 0, 1,
     {{"spf", 1, "pass", NULL, "smtp.mailfrom=a@b.example"}}},
    {"reason after props, trailing ;", "id; dkim=fail header.d=x.example reason=bad;", "id",
     1, 0, 1, {{"dkim", 1, "fail", "bad", "header.d=x.example"}}},
    {"none with case and comment", "id; NONE (nothing)", "id", 1, 1, 0, {{0}}},
    {"none then ;", "id;none;", "id", 1, 1, 0, {{0}}},
    {"a method named none-ish", "id; nonex=pass", "id", 1, 0, 1,
     {{"nonex", 1, "pass", NULL, ""}}},
};

static int check_method(const char *name, size_t i, const emauth_authres_method *got,
                        const want_method *want)
{
    char props[1024];
    size_t n = 0;
    props[0] = '\0';
    for (size_t k = 0; k < got->nprops; k++)
        n += (size_t)snprintf(props + n, sizeof props - n, "%s%s.%s=%s", k ? "|" : "",
                              got->props[k].ptype, got->props[k].property, got->props[k].value);
    int ok = strcmp(got->method, want->method) == 0 && got->version == want->version &&
             strcmp(got->result, want->result) == 0 &&
             ((got->reason == NULL && want->reason == NULL) ||
              (got->reason != NULL && want->reason != NULL &&
               strcmp(got->reason, want->reason) == 0)) &&
             strcmp(props, want->props) == 0;
    if (!ok)
        print_message("%s method %zu: got %s/%d=%s reason [%s] props [%s]\n", name, i,
                      got->method, got->version, got->result, got->reason ? got->reason : "-",
                      props);
    return ok;
}

static void test_parse(void **state)
{
    (void)state;
    size_t failures = 0;
    for (size_t i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
        const parse_case *pc = &parse_cases[i];
        emauth_authres *a = NULL;
        emauth_error err;
        emauth_status st = emauth_authres_parse(pc->value, strlen(pc->value), &a, &err);
        if (st != EMAUTH_OK) {
            print_message("%s: %s\n", pc->name, err.message);
            failures++;
            continue;
        }
        int ok = strcmp(a->authserv_id, pc->authserv_id) == 0 && a->version == pc->version &&
                 a->none == pc->none && a->nmethods == pc->nmethods;
        if (!ok)
            print_message("%s: id [%s] version %d none %d methods %zu\n", pc->name,
                          a->authserv_id, a->version, a->none, a->nmethods);
        for (size_t k = 0; ok && k < a->nmethods; k++)
            ok = check_method(pc->name, k, &a->methods[k], &pc->m[k]);
        if (!ok)
            failures++;
        emauth_authres_free(a);
    }
    assert_int_equal(failures, 0);
}

typedef struct parse_error_case {
    const char *value;
    emauth_status status;
    const char *message;
    unsigned column;
} parse_error_case;

static const parse_error_case parse_errors[] = {
    {"", EMAUTH_ERR_SYNTAX, "an authserv-id expected", 1},
    {"   ", EMAUTH_ERR_SYNTAX, "an authserv-id expected", 4},
    {"example.org", EMAUTH_ERR_SYNTAX, "';' expected after the authserv-id", 12},
    {"example.org;", EMAUTH_ERR_SYNTAX, "a method or \"none\" expected", 13},
    {"example.org; none; spf=pass", EMAUTH_ERR_SYNTAX, "nothing may follow \"none\"", 20},
    {"example.org; spf", EMAUTH_ERR_SYNTAX, "'=' expected after the method", 17},
    {"example.org; spf=", EMAUTH_ERR_SYNTAX, "a result expected", 18},
    {"example.org; =pass", EMAUTH_ERR_SYNTAX, "a method name expected", 14},
    {"example.org; spf/=pass", EMAUTH_ERR_SYNTAX, "a method version expected", 18},
    {"example.org; spf=pass smtp", EMAUTH_ERR_SYNTAX, "'.' expected", 27},
    {"example.org; spf=pass smtp.=x", EMAUTH_ERR_SYNTAX, "a property name expected", 28},
    {"example.org; spf=pass smtp.mailfrom", EMAUTH_ERR_SYNTAX, "'=' expected after the property",
     36},
    {"example.org; spf=pass smtp.mailfrom=", EMAUTH_ERR_SYNTAX, "a property value expected", 37},
    {"example.org; spf=pass smtp.mailfrom=\"a", EMAUTH_ERR_SYNTAX,
     "an unterminated quoted string", 37},
    {"example.org; spf=pass (comment", EMAUTH_ERR_SYNTAX, "an unterminated comment", 23},
    {"example.org; spf=pass reason=a reason=b", EMAUTH_ERR_SYNTAX, "a second reason", 32},
    {"example.org spf=pass", EMAUTH_ERR_SYNTAX, "';' expected", 13},
    {"example.org; spf=pass\r\nX-Injected: 1", EMAUTH_ERR_SYNTAX,
     "a line break that is not folding", 22},
    {"example.org; spf=pa\x01ss", EMAUTH_ERR_SYNTAX, "a control byte 0x01", 20},
    {"example.org; spf=pass smtp.mailfrom=a@b(x)y", EMAUTH_ERR_SYNTAX, "'.' expected", 44},
    {"example.org; spf=pass/x", EMAUTH_ERR_SYNTAX, "white space expected", 22},
    {"example.org; spf=pass smtp.mailfrom=a@b\"x\"", EMAUTH_ERR_SYNTAX, "white space expected",
     40},
    {"example.org 99999999; none", EMAUTH_ERR_SYNTAX, "a version number too large", 13},
};

static void test_parse_errors(void **state)
{
    (void)state;
    size_t failures = 0;
    for (size_t i = 0; i < sizeof parse_errors / sizeof parse_errors[0]; i++) {
        const parse_error_case *pe = &parse_errors[i];
        emauth_authres *a = (emauth_authres *)1;
        emauth_error err;
        emauth_error_clear(&err);
        emauth_status st = emauth_authres_parse(pe->value, strlen(pe->value), &a, &err);
        if (st != pe->status || a != NULL || strstr(err.message, pe->message) == NULL ||
            err.column != pe->column) {
            print_message("[%s]: status %d [%s] column %u, want [%s] %u\n", pe->value, st,
                          err.message, err.column, pe->message, pe->column);
            failures++;
        }
        if (st == EMAUTH_OK)
            emauth_authres_free(a);
    }
    assert_int_equal(failures, 0);
}

/* Methods, properties and the field size are bounded. */
static void test_parse_limits(void **state)
{
    (void)state;
    char *buf = malloc(70000);
    assert_non_null(buf);
    emauth_authres *a = NULL;
    emauth_error err;
    size_t n;

    n = (size_t)sprintf(buf, "id");
    for (int i = 0; i < 100; i++)
        n += (size_t)sprintf(buf + n, "; m%d=pass", i);
    assert_int_equal(emauth_authres_parse(buf, n, &a, &err), EMAUTH_OK);
    assert_int_equal(a->nmethods, 100);
    assert_string_equal(a->methods[99].method, "m99");
    emauth_authres_free(a);
    n += (size_t)sprintf(buf + n, "; one=more");
    assert_int_equal(emauth_authres_parse(buf, n, &a, &err), EMAUTH_ERR_LIMIT);
    assert_non_null(strstr(err.message, "more than 100 methods"));

    n = (size_t)sprintf(buf, "id; x=pass");
    for (int i = 0; i < 100; i++)
        n += (size_t)sprintf(buf + n, " p.q%d=v", i);
    assert_int_equal(emauth_authres_parse(buf, n, &a, &err), EMAUTH_OK);
    assert_int_equal(a->methods[0].nprops, 100);
    emauth_authres_free(a);
    n += (size_t)sprintf(buf + n, " p.r=v");
    assert_int_equal(emauth_authres_parse(buf, n, &a, &err), EMAUTH_ERR_LIMIT);
    assert_non_null(strstr(err.message, "more than 100 properties"));

    memset(buf, ' ', 65537);
    assert_int_equal(emauth_authres_parse(buf, 65537, &a, &err), EMAUTH_ERR_LIMIT);
    assert_null(a);

    /* Explicit length: bytes after len are not read. */
    assert_int_equal(emauth_authres_parse("id; none; garbage", 8, &a, &err), EMAUTH_OK);
    assert_true(a->none);
    emauth_authres_free(a);
    free(buf);
}

static void test_is_ours(void **state)
{
    (void)state;
    emauth_authres *a = NULL;
    const char *v = "MX.Example.Org; spf=pass smtp.mailfrom=a@b.example";
    assert_int_equal(emauth_authres_parse(v, strlen(v), &a, NULL), EMAUTH_OK);
    assert_true(emauth_authres_is_ours(a, "mx.example.org"));
    assert_false(emauth_authres_is_ours(a, "mx.example.org."));
    assert_false(emauth_authres_is_ours(a, "mx.example"));
    assert_false(emauth_authres_is_ours(a, NULL));
    assert_false(emauth_authres_is_ours(NULL, "mx.example.org"));
    emauth_authres_free(a);
}

/* ---- Round trips --------------------------------------------------------------------- */

static void test_round_trip(void **state)
{
    (void)state;
    fill_results();
    size_t failures = 0;
    for (size_t i = 0; i < sizeof format_cases / sizeof format_cases[0]; i++) {
        const format_case *fc = &format_cases[i];
        const emauth_spf_result *spf = fc->spf >= 0 ? &spfs[fc->spf] : NULL;
        const emauth_dkim_result *dk = fc->ndkim > 0 ? &dkims[fc->dkim_first] : NULL;
        const emauth_dmarc_result *dm = fc->dmarc >= 0 ? &dmarcs[fc->dmarc] : NULL;
        char *out = NULL;
        emauth_authres *a = NULL;
        emauth_error err;
        assert_int_equal(emauth_authres_format("mx.example.org", spf, dk, (size_t)fc->ndkim, dm,
                                               &out, &err),
                         EMAUTH_OK);
        const char *value = out + strlen("Authentication-Results:");
        if (emauth_authres_parse(value, strlen(value), &a, &err) != EMAUTH_OK) {
            print_message("%s: %s\n", fc->name, err.message);
            failures++;
            free(out);
            continue;
        }
        int ok = strcmp(a->authserv_id, "mx.example.org") == 0 &&
                 a->none == (spf == NULL && fc->ndkim == 0 && dm == NULL);
        size_t k = 0;
        if (spf != NULL) {
            const emauth_authres_method *m = &a->methods[k++];
            const char *who = spf->identity == EMAUTH_SPF_ID_HELO ? spf->domain : spf->sender;
            ok = ok && strcmp(m->method, "spf") == 0 &&
                 strcmp(m->result, emauth_spf_verdict_name(spf->verdict)) == 0 &&
                 m->nprops == 1 && strcmp(m->props[0].ptype, "smtp") == 0 &&
                 strcmp(m->props[0].property,
                        spf->identity == EMAUTH_SPF_ID_HELO ? "helo" : "mailfrom") == 0 &&
                 strcmp(m->props[0].value, who) == 0;
        }
        if (!a->none && fc->ndkim == 0) {
            const emauth_authres_method *m = &a->methods[k++];
            ok = ok && strcmp(m->method, "dkim") == 0 && strcmp(m->result, "none") == 0;
        }
        for (int d = 0; d < fc->ndkim; d++) {
            const emauth_dkim_result *r = &dk[d];
            const emauth_authres_method *m = &a->methods[k++];
            ok = ok && strcmp(m->method, "dkim") == 0 &&
                 strcmp(m->result, emauth_dkim_verdict_name(r->verdict)) == 0 &&
                 (r->verdict == EMAUTH_DKIM_PASS ? m->reason == NULL
                                                 : strcmp(m->reason, r->reason) == 0) &&
                 m->nprops == 3 && strcmp(m->props[0].value, r->domain) == 0 &&
                 strcmp(m->props[1].value, r->selector) == 0 &&
                 strncmp(m->props[2].value, r->b_prefix, 8) == 0 &&
                 strlen(m->props[2].value) == (strlen(r->b_prefix) < 8 ? strlen(r->b_prefix) : 8);
        }
        if (dm != NULL) {
            const emauth_authres_method *m = &a->methods[k++];
            ok = ok && strcmp(m->method, "dmarc") == 0 &&
                 strcmp(m->result, emauth_dmarc_verdict_name(dm->verdict)) == 0;
            size_t p = 0;
            if (dm->from_domain != NULL)
                ok = ok && strcmp(m->props[p].ptype, "header") == 0 &&
                     strcmp(m->props[p].property, "from") == 0 &&
                     strcmp(m->props[p++].value, dm->from_domain) == 0;
            if (dm->verdict == EMAUTH_DMARC_PASS || dm->verdict == EMAUTH_DMARC_FAIL)
                ok = ok && strcmp(m->props[p].ptype, "policy") == 0 &&
                     strcmp(m->props[p++].value, emauth_dmarc_policy_name(dm->policy)) == 0;
            ok = ok && m->nprops == p;
        }
        ok = ok && a->nmethods == k;
        if (!ok) {
            print_message("%s: round trip differs for [%s]\n", fc->name, out);
            failures++;
        }
        emauth_authres_free(a);
        free(out);
    }
    assert_int_equal(failures, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_format_folding),
        cmocka_unit_test(test_format_hostile),
        cmocka_unit_test(test_format_invalid),
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_parse_limits),
        cmocka_unit_test(test_is_ours),
        cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
