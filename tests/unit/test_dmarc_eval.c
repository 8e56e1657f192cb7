/*
 * The DMARC evaluator (emauth/dmarc.h) over zones from master-file
 * strings: the RFC 9989 Appendix B.4 tree walks with their exact question
 * sequences (a name already answered in one evaluation is not asked
 * again), the label-limit shortcut, psd=y / psd=n, np for a non-existent
 * subdomain, strict and relaxed alignment, RFC 7489 mode with the Public
 * Suffix List (co.uk, blogspot.com), t=y, pct sampling, and the error
 * verdicts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <emauth/dmarc.h>

#define LOGGED 64

typedef struct spy {
    emauth_resolver base;
    emauth_resolver *inner;
    size_t asked;
    char name[LOGGED][300];
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

static struct {
    emauth_zone *zone;
    emauth_dmarc_eval *ev;
    spy spy;
} fx;

static int teardown(void **state)
{
    (void)state;
    emauth_dmarc_eval_free(fx.ev);
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
    if (emauth_zone_load_string(fx.zone, text, strlen(text), "t.zone", NULL, &err) != EMAUTH_OK)
        fail_msg("zone: %s", err.message);
    fx.spy.base.query = spy_query;
    fx.spy.inner = emauth_zone_resolver(fx.zone);
    assert_int_equal(emauth_dmarc_eval_new(&fx.ev), EMAUTH_OK);
}

/* Evaluates from with spf (NULL: none) and DKIM d= list (NULL-terminated, "!" prefix: failed). */
static const emauth_dmarc_result *eval(emauth_dmarc_mode mode, const char *from, const char *spf,
                                       int spf_pass, const char *const *dkim, uint64_t seed)
{
    emauth_dmarc_identifier ids[16];
    size_t n = 0;
    for (; dkim != NULL && dkim[n] != NULL; n++) {
        ids[n].passed = dkim[n][0] != '!';
        ids[n].domain = dkim[n] + (dkim[n][0] == '!');
    }
    emauth_dmarc_request req;
    memset(&req, 0, sizeof req);
    req.from_domain = from;
    req.from_problem = from == NULL ? "two From fields" : NULL;
    req.spf.domain = spf;
    req.spf.passed = spf_pass;
    req.ndkim = n;
    req.dkim = ids;
    req.mode = mode;
    req.pct_seed = seed;
    emauth_error err;
    emauth_error_clear(&err);
    fx.spy.asked = 0;
    assert_int_equal(emauth_dmarc_eval_start(fx.ev, &req, &err), EMAUTH_OK);
    assert_int_equal(emauth_dmarc_eval_run(fx.ev, &fx.spy.base), EMAUTH_OK);
    const emauth_dmarc_result *r = emauth_dmarc_eval_result(fx.ev);
    assert_non_null(r);
    assert_non_null(r->reason);
    if (getenv("DMARC_DUMP"))
        fprintf(stderr, "%s: %s policy=%s (%s)\n", from ? from : "-",
                emauth_dmarc_verdict_name(r->verdict), emauth_dmarc_policy_name(r->policy),
                r->reason);
    return r;
}

/* The questions asked, in order, "name/TYPE" joined by spaces. */
static void expect_questions(const char *want)
{
    char got[4096] = "";
    size_t len = 0;
    for (size_t i = 0; i < fx.spy.asked && i < LOGGED; i++)
        len += (size_t)snprintf(got + len, sizeof got - len, "%s%s%s", i ? " " : "",
                                fx.spy.name[i], fx.spy.type[i] == EMAUTH_DNS_TXT ? "" : "/A");
    if (strcmp(got, want) != 0)
        fail_msg("questions:\n  got  %s\n  want %s", got, want);
}

/* ---- RFC 9989 Appendix B.4 -------------------------------------------------- */

static const char b41_zone[] =
    "_dmarc.example.com. TXT \"v=DMARC1; p=reject\"\n"
    "_dmarc.signing.example.com. TXT \"v=DMARC1; p=none\"\n"
    "example.com. A 192.0.2.1\n";

static void test_b41_simple(void **state)
{
    (void)state;
    load_zone(b41_zone);
    const char *dkim[] = {"signing.example.com", NULL};
    const emauth_dmarc_result *r = eval(EMAUTH_DMARC_9989, "example.com", "example.com", 1, dkim, 0);
    assert_int_equal(r->verdict, EMAUTH_DMARC_PASS);
    assert_int_equal(r->policy, EMAUTH_DMARC_P_NONE);
    assert_true(r->spf_aligned);
    assert_true(r->dkim_aligned);
    assert_string_equal(r->dkim_aligned_domain, "signing.example.com");
    assert_string_equal(r->org_domain, "example.com");
    assert_string_equal(r->policy_domain, "example.com");
    expect_questions("_dmarc.example.com _dmarc.com _dmarc.signing.example.com");

    /* DKIM alone aligns relaxed: pass via DKIM only */
    r = eval(EMAUTH_DMARC_9989, "example.com", "example.com", 0, dkim, 0);
    assert_int_equal(r->verdict, EMAUTH_DMARC_PASS);
    assert_false(r->spf_aligned);
    assert_true(r->dkim_aligned);
    /* SPF alone: pass via SPF only (the DKIM signature failed) */
    const char *dkim_failed[] = {"!signing.example.com", NULL};
    r = eval(EMAUTH_DMARC_9989, "example.com", "example.com", 1, dkim_failed, 0);
    assert_int_equal(r->verdict, EMAUTH_DMARC_PASS);
    assert_true(r->spf_aligned);
    assert_false(r->dkim_aligned);
    assert_null(r->dkim_aligned_domain);
    expect_questions("_dmarc.example.com _dmarc.com");
    /* both fail under p=reject */
    r = eval(EMAUTH_DMARC_9989, "example.com", "example.com", 0, dkim_failed, 0);
    assert_int_equal(r->verdict, EMAUTH_DMARC_FAIL);
    assert_int_equal(r->policy, EMAUTH_DMARC_P_REJECT);
    assert_false(r->testing);
    /* passing identifiers of another organization do not align */
    const char *other[] = {"example.net", NULL};
    r = eval(EMAUTH_DMARC_9989, "example.com", "mail.example.org", 1, other, 0);
    assert_int_equal(r->verdict, EMAUTH_DMARC_FAIL);
    assert_int_equal(r->policy, EMAUTH_DMARC_P_REJECT);
    assert_false(r->spf_aligned);
    assert_false(r->dkim_aligned);
}

static void test_b42_deep(void **state)
{
    (void)state;
    load_zone(b41_zone);
    const char *dkim[] = {"signing.example.com", NULL};
    const emauth_dmarc_result *r =
        eval(EMAUTH_DMARC_9989, "a.b.c.d.e.f.g.h.i.j.k.example.com", "example.com", 1, dkim, 0);
    assert_int_equal(r->verdict, EMAUTH_DMARC_PASS);
    assert_true(r->spf_aligned);
    assert_true(r->dkim_aligned);
    assert_string_equal(r->org_domain, "example.com");
    assert_string_equal(r->policy_domain, "example.com");
    expect_questions("_dmarc.a.b.c.d.e.f.g.h.i.j.k.example.com _dmarc.g.h.i.j.k.example.com "
                     "_dmarc.h.i.j.k.example.com _dmarc.i.j.k.example.com "
                     "_dmarc.j.k.example.com _dmarc.k.example.com _dmarc.example.com "
                     "_dmarc.com _dmarc.signing.example.com");
    /* failing: the subdomain policy of example.com (p, no sp) */
    r = eval(EMAUTH_DMARC_9989, "a.b.c.d.e.f.g.h.i.j.k.example.com", NULL, 0, NULL, 0);
    assert_int_equal(r->verdict, EMAUTH_DMARC_FAIL);
    assert_int_equal(r->policy, EMAUTH_DMARC_P_REJECT);
}

static void test_label_limit(void **state)
{
    (void)state;
    load_zone(b41_zone);
    /* §4.10's own example: 13 labels, 8 questions */
    const emauth_dmarc_result *r =
        eval(EMAUTH_DMARC_9989, "a.b.c.d.e.f.g.h.i.j.mail.example.com", NULL, 0, NULL, 0);
    expect_questions("_dmarc.a.b.c.d.e.f.g.h.i.j.mail.example.com _dmarc.g.h.i.j.mail.example.com "
                     "_dmarc.h.i.j.mail.example.com _dmarc.i.j.mail.example.com "
                     "_dmarc.j.mail.example.com _dmarc.mail.example.com _dmarc.example.com "
                     "_dmarc.com");
    assert_string_equal(r->policy_domain, "example.com");
    /* 6 labels: 6 questions; 8 labels: the parent (7 labels) next, as §4.10.1 says;
       9 labels: the 7-label suffix next, skipping one */
    r = eval(EMAUTH_DMARC_9989, "d.e.f.g.example.com", NULL, 0, NULL, 0);
    assert_int_equal(fx.spy.asked, 6);
    r = eval(EMAUTH_DMARC_9989, "b.c.d.e.f.g.example.com", NULL, 0, NULL, 0);
    assert_int_equal(fx.spy.asked, 8);
    assert_string_equal(fx.spy.name[1], "_dmarc.c.d.e.f.g.example.com");
    r = eval(EMAUTH_DMARC_9989, "a.b.c.d.e.f.g.example.com", NULL, 0, NULL, 0);
    assert_int_equal(fx.spy.asked, 8);
    assert_string_equal(fx.spy.name[1], "_dmarc.c.d.e.f.g.example.com");
    /* 120 labels of hostile name: still 8 questions, and too-long _dmarc names not asked */
    char big[260];
    size_t n = 0;
    for (int i = 0; i < 120; i++)
        n += (size_t)snprintf(big + n, sizeof big - n, "x.");
    snprintf(big + n, sizeof big - n, "example.com");
    r = eval(EMAUTH_DMARC_9989, big, "example.com", 1, NULL, 0);
    assert_true(fx.spy.asked <= 8);
    assert_int_equal(r->verdict, EMAUTH_DMARC_PASS);
    assert_string_equal(fx.spy.name[0], "_dmarc.x.x.x.x.x.example.com");
}

static const char b43_zone[] =
    "_dmarc.bank.example. TXT \"v=DMARC1; p=reject; psd=y\"\n"
    "_dmarc.giant.bank.example. TXT \"v=DMARC1; p=quarantine\"\n"
    "giant.bank.example. A 192.0.2.2\n";

static void test_b43_psd(void **state)
{
    (void)state;
    load_zone(b43_zone);
    const char *dkim[] = {"mail.mega.bank.example", NULL};
    const emauth_dmarc_result *r =
        eval(EMAUTH_DMARC_9989, "giant.bank.example", "mail.giant.bank.example", 1, dkim, 0);
    assert_int_equal(r->verdict, EMAUTH_DMARC_PASS);
    assert_true(r->spf_aligned);
    assert_false(r->dkim_aligned);
    assert_string_equal(r->org_domain, "giant.bank.example");
    assert_string_equal(r->policy_domain, "giant.bank.example");
    expect_questions("_dmarc.giant.bank.example _dmarc.bank.example "
                     "_dmarc.mail.giant.bank.example _dmarc.mail.mega.bank.example "
                     "_dmarc.mega.bank.example");
    /* only the DKIM signature of mega.bank.example passes: fail with giant's p */
    r = eval(EMAUTH_DMARC_9989, "giant.bank.example", "mail.giant.bank.example", 0, dkim, 0);
    assert_int_equal(r->verdict, EMAUTH_DMARC_FAIL);
    assert_int_equal(r->policy, EMAUTH_DMARC_P_QUARANTINE);
    /* a domain under the PSD without a record of its own: the PSD's policy, org one below */
    r = eval(EMAUTH_DMARC_9989, "www.small.bank.example", NULL, 0, NULL, 0);
    assert_int_equal(r->verdict, EMAUTH_DMARC_FAIL);
    assert_string_equal(r->policy_domain, "bank.example");
    assert_string_equal(r->org_domain, "small.bank.example");
    assert_int_equal(r->policy, EMAUTH_DMARC_P_REJECT);
    /* and relaxed alignment between two names of that organization */
    r = eval(EMAUTH_DMARC_9989, "www.small.bank.example", "bounce.small.bank.example", 1, NULL, 0);
    assert_int_equal(r->verdict, EMAUTH_DMARC_PASS);
    r = eval(EMAUTH_DMARC_9989, "www.small.bank.example", "bounce.other.bank.example", 1, NULL, 0);
    assert_int_equal(r->verdict, EMAUTH_DMARC_FAIL);
}

static void test_psd_n(void **state)
{
    (void)state;
    load_zone("_dmarc.mail.example.com. TXT \"v=DMARC1; p=quarantine; psd=n\"\n"
              "_dmarc.example.com. TXT \"v=DMARC1; p=reject\"\n"
              "a.mail.example.com. A 192.0.2.3\n");
    const char *dkim[] = {"example.com", NULL};
    const emauth_dmarc_result *r = eval(EMAUTH_DMARC_9989, "a.mail.example.com", NULL, 0, dkim, 0);
    assert_string_equal(r->org_domain, "mail.example.com");
    assert_string_equal(r->policy_domain, "mail.example.com");
    assert_int_equal(r->verdict, EMAUTH_DMARC_FAIL);
    assert_false(r->dkim_aligned);
    assert_int_equal(r->policy, EMAUTH_DMARC_P_QUARANTINE);
    expect_questions("_dmarc.a.mail.example.com _dmarc.mail.example.com _dmarc.example.com "
                     "_dmarc.com");
    /* the same without psd=n: example.com is the organization, DKIM aligns */
    load_zone("_dmarc.mail.example.com. TXT \"v=DMARC1; p=quarantine\"\n"
              "_dmarc.example.com. TXT \"v=DMARC1; p=reject\"\n");
    r = eval(EMAUTH_DMARC_9989, "a.mail.example.com", NULL, 0, dkim, 0);
    assert_string_equal(r->org_domain, "example.com");
    assert_string_equal(r->policy_domain, "example.com");
    assert_int_equal(r->verdict, EMAUTH_DMARC_PASS);
}

static const char np_zone[] =
    "_dmarc.example.com. TXT \"v=DMARC1; p=none; sp=quarantine; np=reject\"\n"
    "example.com. A 192.0.2.1\n"
    "exists.example.com. MX 10 example.com.\n"
    "_dmarc.example.org. TXT \"v=DMARC1; p=none; sp=quarantine\"\n";

static void test_np(void **state)
{
    (void)state;
    load_zone(np_zone);
    const emauth_dmarc_result *r = eval(EMAUTH_DMARC_9989, "nx.example.com", NULL, 0, NULL, 0);
    assert_int_equal(r->verdict, EMAUTH_DMARC_FAIL);
    assert_int_equal(r->policy, EMAUTH_DMARC_P_REJECT);
    expect_questions("_dmarc.nx.example.com _dmarc.example.com _dmarc.com nx.example.com/A");
    r = eval(EMAUTH_DMARC_9989, "exists.example.com", NULL, 0, NULL, 0);
    assert_int_equal(r->policy, EMAUTH_DMARC_P_QUARANTINE);
    r = eval(EMAUTH_DMARC_9989, "example.com", NULL, 0, NULL, 0);
    assert_int_equal(r->policy, EMAUTH_DMARC_P_NONE);
    assert_int_equal(r->verdict, EMAUTH_DMARC_FAIL);
    expect_questions("_dmarc.example.com _dmarc.com");
    /* no np=: sp, and no existence question */
    r = eval(EMAUTH_DMARC_9989, "nx.example.org", NULL, 0, NULL, 0);
    assert_int_equal(r->policy, EMAUTH_DMARC_P_QUARANTINE);
    expect_questions("_dmarc.nx.example.org _dmarc.example.org _dmarc.org");
    /* 7489 has no np: sp */
    r = eval(EMAUTH_DMARC_7489, "nx.example.com", NULL, 0, NULL, 0);
    assert_int_equal(r->policy, EMAUTH_DMARC_P_QUARANTINE);
}

static void test_strict(void **state)
{
    (void)state;
    load_zone("_dmarc.example.com. TXT \"v=DMARC1; p=reject; adkim=s; aspf=s\"\n"
              "_dmarc.relaxed.example. TXT \"v=DMARC1; p=reject\"\n");
    const char *sub[] = {"mail.example.com", NULL};
    const emauth_dmarc_result *r = eval(EMAUTH_DMARC_9989, "example.com", "mail.example.com", 1,
                                        sub, 0);
    assert_int_equal(r->verdict, EMAUTH_DMARC_FAIL);
    expect_questions("_dmarc.example.com _dmarc.com");
    const char *same[] = {"EXAMPLE.com.", NULL};
    r = eval(EMAUTH_DMARC_9989, "Example.COM", "mail.example.com", 1, same, 0);
    assert_int_equal(r->verdict, EMAUTH_DMARC_PASS);
    assert_true(r->dkim_aligned);
    assert_false(r->spf_aligned);
    r = eval(EMAUTH_DMARC_9989, "example.com", "example.com", 1, NULL, 0);
    assert_true(r->spf_aligned);
    /* relaxed: a subdomain of the From domain, and a parent of it */
    r = eval(EMAUTH_DMARC_9989, "news.relaxed.example", "relaxed.example", 1, NULL, 0);
    assert_int_equal(r->verdict, EMAUTH_DMARC_PASS);
    r = eval(EMAUTH_DMARC_9989, "relaxed.example", "a.b.relaxed.example", 1, NULL, 0);
    assert_int_equal(r->verdict, EMAUTH_DMARC_PASS);
}

/* ---- RFC 7489 with the Public Suffix List ---------------------------------- */

static void test_psl(void **state)
{
    (void)state;
    load_zone("_dmarc.example.co.uk. TXT \"v=DMARC1; p=reject\"\n"
              "_dmarc.blogspot.com. TXT \"v=DMARC1; p=reject\"\n"
              "_dmarc.alice.blogspot.com. TXT \"v=DMARC1; p=quarantine\"\n"
              "_dmarc.multi.example. TXT \"v=DMARC1; p=reject\"\n"
              "_dmarc.multi.example. TXT \"v=DMARC1; p=none\"\n"
              "_dmarc.example. TXT \"v=DMARC1; p=reject\"\n");
    const char *dkim[] = {"other.co.uk", NULL};
    const emauth_dmarc_result *r =
        eval(EMAUTH_DMARC_7489, "news.example.co.uk", "bounce.example.co.uk", 1, dkim, 0);
    assert_int_equal(r->verdict, EMAUTH_DMARC_PASS);
    assert_true(r->spf_aligned);
    assert_false(r->dkim_aligned);
    assert_string_equal(r->org_domain, "example.co.uk");
    assert_string_equal(r->policy_domain, "example.co.uk");
    expect_questions("_dmarc.news.example.co.uk _dmarc.example.co.uk");
    /* co.uk itself is a public suffix: no alignment through it */
    const char *suffix[] = {"co.uk", NULL};
    r = eval(EMAUTH_DMARC_7489, "example.co.uk", NULL, 0, suffix, 0);
    assert_int_equal(r->verdict, EMAUTH_DMARC_FAIL);
    /* a private suffix: alice and bob under blogspot.com are different organizations */
    const char *bob[] = {"bob.blogspot.com", NULL};
    r = eval(EMAUTH_DMARC_7489, "alice.blogspot.com", NULL, 0, bob, 0);
    assert_int_equal(r->verdict, EMAUTH_DMARC_FAIL);
    assert_string_equal(r->org_domain, "alice.blogspot.com");
    assert_int_equal(r->policy, EMAUTH_DMARC_P_QUARANTINE);
    const char *alice[] = {"x.alice.blogspot.com", NULL};
    r = eval(EMAUTH_DMARC_7489, "www.alice.blogspot.com", NULL, 0, alice, 0);
    assert_int_equal(r->verdict, EMAUTH_DMARC_PASS);
    /* no record of its own nor at its organizational domain: blogspot.com's is not used */
    r = eval(EMAUTH_DMARC_7489, "carol.blogspot.com", NULL, 0, NULL, 0);
    assert_int_equal(r->verdict, EMAUTH_DMARC_NONE);
    expect_questions("_dmarc.carol.blogspot.com");
    /* 7489: several records at the From domain end discovery (none) */
    r = eval(EMAUTH_DMARC_7489, "multi.example", NULL, 0, NULL, 0);
    assert_int_equal(r->verdict, EMAUTH_DMARC_NONE);
    expect_questions("_dmarc.multi.example");
    /* 9989: they are discarded and the walk goes on */
    r = eval(EMAUTH_DMARC_9989, "multi.example", NULL, 0, NULL, 0);
    assert_int_equal(r->verdict, EMAUTH_DMARC_FAIL);
    assert_string_equal(r->policy_domain, "example");
}

static void test_pct(void **state)
{
    (void)state;
    load_zone("_dmarc.half.example. TXT \"v=DMARC1; p=reject; pct=50\"\n"
              "_dmarc.zero.example. TXT \"v=DMARC1; p=quarantine; pct=0\"\n"
              "_dmarc.full.example. TXT \"v=DMARC1; p=reject; pct=100\"\n");
    int out = 0, first = -1;
    for (uint64_t seed = 0; seed < 400; seed++) {
        const emauth_dmarc_result *r = eval(EMAUTH_DMARC_7489, "half.example", NULL, 0, NULL, seed);
        assert_int_equal(r->verdict, EMAUTH_DMARC_FAIL);
        assert_int_equal(r->policy, r->sampled_out ? EMAUTH_DMARC_P_QUARANTINE
                                                   : EMAUTH_DMARC_P_REJECT);
        int again = r->sampled_out;
        r = eval(EMAUTH_DMARC_7489, "half.example", NULL, 0, NULL, seed);
        assert_int_equal(r->sampled_out, again);
        if (seed == 7)
            first = again;
        out += again;
    }
    assert_true(out > 150 && out < 250);
    assert_true(first == 0 || first == 1);
    for (uint64_t seed = 0; seed < 50; seed++) {
        const emauth_dmarc_result *r = eval(EMAUTH_DMARC_7489, "zero.example", NULL, 0, NULL, seed);
        assert_true(r->sampled_out);
        assert_int_equal(r->policy, EMAUTH_DMARC_P_NONE);
        r = eval(EMAUTH_DMARC_7489, "full.example", NULL, 0, NULL, seed);
        assert_false(r->sampled_out);
        assert_int_equal(r->policy, EMAUTH_DMARC_P_REJECT);
        /* in 9989 mode pct is gone */
        r = eval(EMAUTH_DMARC_9989, "zero.example", NULL, 0, NULL, seed);
        assert_false(r->sampled_out);
        assert_int_equal(r->policy, EMAUTH_DMARC_P_QUARANTINE);
    }
    /* a pass is never sampled */
    const emauth_dmarc_result *r = eval(EMAUTH_DMARC_7489, "zero.example", "zero.example", 1, NULL, 1);
    assert_int_equal(r->verdict, EMAUTH_DMARC_PASS);
    assert_false(r->sampled_out);
}

static void test_testing(void **state)
{
    (void)state;
    load_zone("_dmarc.r.example. TXT \"v=DMARC1; p=reject; t=y\"\n"
              "_dmarc.q.example. TXT \"v=DMARC1; p=quarantine; t=y\"\n"
              "_dmarc.n.example. TXT \"v=DMARC1; p=reject; t=n\"\n");
    const emauth_dmarc_result *r = eval(EMAUTH_DMARC_9989, "r.example", NULL, 0, NULL, 0);
    assert_int_equal(r->verdict, EMAUTH_DMARC_FAIL);
    assert_true(r->testing);
    assert_int_equal(r->policy, EMAUTH_DMARC_P_QUARANTINE);
    r = eval(EMAUTH_DMARC_9989, "q.example", NULL, 0, NULL, 0);
    assert_int_equal(r->policy, EMAUTH_DMARC_P_NONE);
    assert_true(r->testing);
    r = eval(EMAUTH_DMARC_9989, "n.example", NULL, 0, NULL, 0);
    assert_false(r->testing);
    assert_int_equal(r->policy, EMAUTH_DMARC_P_REJECT);
}

static void test_errors(void **state)
{
    (void)state;
    load_zone("_dmarc.broken.example. TXT \"v=DMARC1; p=reject; =\"\n"
              "_dmarc.nop.example. TXT \"v=DMARC1; rua=mailto:r@nop.example\"\n"
              "_dmarc.badp.example. TXT \"v=DMARC1; p=bogus; rua=mailto:r@badp.example\"\n"
              "_dmarc.nothing.example. TXT \"v=DMARC1; sp=reject\"\n"
              "_dmarc.lenient.example. TXT \"v=DMARC1; p=reject; adkim=x; fo=9\"\n"
              "$TIMEOUT _dmarc.slow.example.\n");
    const emauth_dmarc_result *r = eval(EMAUTH_DMARC_9989, NULL, "example.com", 1, NULL, 0);
    assert_int_equal(r->verdict, EMAUTH_DMARC_PERMERROR);
    assert_non_null(strstr(r->reason, "two From fields"));
    assert_int_equal(fx.spy.asked, 0);
    r = eval(EMAUTH_DMARC_9989, "bad..example", NULL, 0, NULL, 0);
    assert_int_equal(r->verdict, EMAUTH_DMARC_PERMERROR);
    /* A tag breaking the grammar is left out (RFC 9989 §4.8): p=reject holds. */
    r = eval(EMAUTH_DMARC_9989, "broken.example", NULL, 0, NULL, 0);
    assert_int_equal(r->verdict, EMAUTH_DMARC_FAIL);
    assert_int_equal(r->policy, EMAUTH_DMARC_P_REJECT);
    /* no p= but a valid rua=: as p=none (§4.10.1) */
    r = eval(EMAUTH_DMARC_9989, "nop.example", NULL, 0, NULL, 0);
    assert_int_equal(r->verdict, EMAUTH_DMARC_FAIL);
    assert_int_equal(r->policy, EMAUTH_DMARC_P_NONE);
    r = eval(EMAUTH_DMARC_9989, "badp.example", NULL, 0, NULL, 0);
    assert_int_equal(r->verdict, EMAUTH_DMARC_FAIL);
    assert_int_equal(r->policy, EMAUTH_DMARC_P_NONE);
    /* neither: no DMARC processing, reported as permerror */
    r = eval(EMAUTH_DMARC_9989, "nothing.example", NULL, 0, NULL, 0);
    assert_int_equal(r->verdict, EMAUTH_DMARC_PERMERROR);
    /* a bad adkim= falls back to the default (§4.8): relaxed */
    const char *sub[] = {"mail.lenient.example", NULL};
    r = eval(EMAUTH_DMARC_9989, "lenient.example", NULL, 0, sub, 0);
    assert_int_equal(r->verdict, EMAUTH_DMARC_PASS);
    r = eval(EMAUTH_DMARC_9989, "slow.example", NULL, 0, NULL, 0);
    assert_int_equal(r->verdict, EMAUTH_DMARC_TEMPERROR);
    assert_int_equal(r->policy, EMAUTH_DMARC_P_NONE);
    r = eval(EMAUTH_DMARC_9989, "a.slow.example", NULL, 0, NULL, 0);
    assert_int_equal(r->verdict, EMAUTH_DMARC_TEMPERROR);
    r = eval(EMAUTH_DMARC_9989, "unknown.example", NULL, 0, NULL, 0);
    assert_int_equal(r->verdict, EMAUTH_DMARC_NONE);
    assert_null(r->policy_domain);
}

static void test_sans_io(void **state)
{
    (void)state;
    load_zone(b41_zone);
    /* result before the end; answers given by hand */
    assert_null(emauth_dmarc_eval_result(fx.ev));
    emauth_dmarc_request req;
    memset(&req, 0, sizeof req);
    req.from_domain = "example.com";
    assert_int_equal(emauth_dmarc_eval_start(fx.ev, &req, NULL), EMAUTH_OK);
    const emauth_dns_question *q;
    assert_int_equal(emauth_dmarc_eval_next(fx.ev, &q), EMAUTH_NEED_DNS);
    assert_string_equal(q->name, "_dmarc.example.com");
    assert_int_equal(q->type, EMAUTH_DNS_TXT);
    assert_null(emauth_dmarc_eval_result(fx.ev));
    emauth_dns_answer a;
    memset(&a, 0, sizeof a);
    a.rcode = EMAUTH_DNS_SERVFAIL;
    assert_int_equal(emauth_dmarc_eval_answer(fx.ev, &a), EMAUTH_OK);
    assert_int_equal(emauth_dmarc_eval_next(fx.ev, &q), EMAUTH_OK);
    const emauth_dmarc_result *r = emauth_dmarc_eval_result(fx.ev);
    assert_non_null(r);
    assert_int_equal(r->verdict, EMAUTH_DMARC_TEMPERROR);
    /* an answer nobody asked for */
    assert_int_equal(emauth_dmarc_eval_answer(fx.ev, &a), EMAUTH_ERR_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_b41_simple, teardown),
        cmocka_unit_test_teardown(test_b42_deep, teardown),
        cmocka_unit_test_teardown(test_label_limit, teardown),
        cmocka_unit_test_teardown(test_b43_psd, teardown),
        cmocka_unit_test_teardown(test_psd_n, teardown),
        cmocka_unit_test_teardown(test_np, teardown),
        cmocka_unit_test_teardown(test_strict, teardown),
        cmocka_unit_test_teardown(test_psl, teardown),
        cmocka_unit_test_teardown(test_pct, teardown),
        cmocka_unit_test_teardown(test_testing, teardown),
        cmocka_unit_test_teardown(test_errors, teardown),
        cmocka_unit_test_teardown(test_sans_io, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
