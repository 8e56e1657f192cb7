/*
 * dmarc_interop - DMARC verdicts of emauth (RFC 7489 mode) compared with
 * those of libopendmarc (OpenDMARC's library, Debian libopendmarc-dev) on
 * one table of cases.
 *
 * Each case gives the RFC 5322.From domain, the SPF identifier and result,
 * the DKIM d= identifiers and results, and the published _dmarc records:
 * for emauth as a master-file zone (emauth does its own RFC 7489 policy
 * discovery through the Public Suffix List), for OpenDMARC as the text of
 * the record that applies and the domain it was found at (no DNS: the
 * record is handed over with opendmarc_policy_store_dmarc(), with the
 * organizational domain when it is an ancestor's record, as
 * opendmarc_policy_query_dmarc() would do).
 *
 * Both sides are reduced to one outcome word:
 *   absent      no policy applies (emauth: none; OpenDMARC: POLICY_ABSENT)
 *   pass        an aligned identifier passed
 *   none, quarantine, reject
 *               DMARC failed; the policy to apply
 *   permerror   emauth only (a record that cannot be used)
 * and the outcome, the SPF alignment and the DKIM alignment are compared.
 * A difference must be listed in the table of intended differences with
 * both outcomes as printed and the reason (the RFC section that decides);
 * an unlisted difference, or a listed one that no longer occurs, fails.
 *
 * Usage: dmarc_interop [PSL-FILE]   (default: Debian's public_suffix_list.dat,
 * the same list libpsl's psl_latest() reads). Exit 0 when every case
 * agrees or differs as listed, 1 otherwise, 2 on setup errors.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <opendmarc/dmarc.h>

#include <emauth/dmarc.h>
#include <emauth/dns.h>
#include <emauth/error.h>

#define DEFAULT_PSL "/usr/share/publicsuffix/public_suffix_list.dat"
#define MAX_DKIM 4

typedef struct dkim_id {
    const char *d;
    int pass;
} dkim_id;

typedef struct dcase {
    const char *name;
    const char *from;
    const char *spf;            /* MAIL FROM domain, NULL: no SPF result */
    int spf_pass;
    dkim_id dkim[MAX_DKIM];     /* up to the first NULL d */
    const char *zone;           /* emauth: the _dmarc records, master-file lines */
    const char *od_record;      /* OpenDMARC: the record that applies, NULL: none */
    const char *od_domain;      /* where it was found (the From domain or the org domain) */
    uint64_t seed;              /* emauth's pct sampler */
} dcase;

/* Records used by several cases. */
#define EX_REJECT "_dmarc.example.com. TXT \"v=DMARC1; p=reject\"\n"
#define EX_REJECT_R "v=DMARC1; p=reject"

static const dcase cases[] = {
    /* --- basic outcomes, exact identifiers --------------------------------- */
    {"spf-exact-pass", "example.com", "example.com", 1, {{NULL, 0}},
     EX_REJECT, EX_REJECT_R, "example.com", 0},
    {"dkim-exact-pass", "example.com", NULL, 0, {{"example.com", 1}},
     EX_REJECT, EX_REJECT_R, "example.com", 0},
    {"both-fail-reject", "example.com", "example.com", 0, {{"example.com", 0}},
     EX_REJECT, EX_REJECT_R, "example.com", 0},
    {"unaligned-pass-reject", "example.com", "evil.example", 1, {{"evil.example", 1}},
     EX_REJECT, EX_REJECT_R, "example.com", 0},
    {"fail-quarantine", "example.com", NULL, 0, {{"other.example", 1}},
     "_dmarc.example.com. TXT \"v=DMARC1; p=quarantine\"\n",
     "v=DMARC1; p=quarantine", "example.com", 0},
    {"fail-p-none", "example.com", "other.example", 1, {{NULL, 0}},
     "_dmarc.example.com. TXT \"v=DMARC1; p=none; rua=mailto:d@example.com\"\n",
     "v=DMARC1; p=none; rua=mailto:d@example.com", "example.com", 0},
    {"no-identifiers", "example.com", NULL, 0, {{NULL, 0}},
     EX_REJECT, EX_REJECT_R, "example.com", 0},
    {"case-insensitive", "Example.COM", "EXAMPLE.com", 1, {{NULL, 0}},
     "_dmarc.example.com. TXT \"v=DMARC1; p=reject; aspf=s\"\n",
     "v=DMARC1; p=reject; aspf=s", "example.com", 0},

    /* --- relaxed and strict alignment -------------------------------------- */
    {"spf-relaxed-child", "example.com", "bounce.example.com", 1, {{NULL, 0}},
     EX_REJECT, EX_REJECT_R, "example.com", 0},
    {"spf-strict-child", "example.com", "bounce.example.com", 1, {{NULL, 0}},
     "_dmarc.example.com. TXT \"v=DMARC1; p=reject; aspf=s\"\n",
     "v=DMARC1; p=reject; aspf=s", "example.com", 0},
    {"dkim-relaxed-parent", "news.example.com", NULL, 0, {{"example.com", 1}},
     EX_REJECT, EX_REJECT_R, "example.com", 0},
    {"dkim-relaxed-sibling", "a.example.com", NULL, 0, {{"b.example.com", 1}},
     EX_REJECT, EX_REJECT_R, "example.com", 0},
    {"dkim-strict-child", "example.com", NULL, 0, {{"mail.example.com", 1}},
     "_dmarc.example.com. TXT \"v=DMARC1; p=reject; adkim=s\"\n",
     "v=DMARC1; p=reject; adkim=s", "example.com", 0},
    {"dkim-strict-spf-relaxed", "example.com", "bounce.example.com", 1,
     {{"mail.example.com", 1}},
     "_dmarc.example.com. TXT \"v=DMARC1; p=reject; adkim=s\"\n",
     "v=DMARC1; p=reject; adkim=s", "example.com", 0},
    {"both-strict-exact-dkim", "example.com", "bounce.example.com", 1, {{"example.com", 1}},
     "_dmarc.example.com. TXT \"v=DMARC1; p=reject; adkim=s; aspf=s\"\n",
     "v=DMARC1; p=reject; adkim=s; aspf=s", "example.com", 0},
    {"both-strict-none-exact", "example.com", "bounce.example.com", 1,
     {{"mail.example.com", 1}},
     "_dmarc.example.com. TXT \"v=DMARC1; p=quarantine; adkim=s; aspf=s\"\n",
     "v=DMARC1; p=quarantine; adkim=s; aspf=s", "example.com", 0},
    {"spf-aligned-but-failed", "example.com", "example.com", 0, {{"other.example", 1}},
     EX_REJECT, EX_REJECT_R, "example.com", 0},
    {"dkim-aligned-but-failed", "example.com", NULL, 0,
     {{"example.com", 0}, {"other.example", 1}},
     EX_REJECT, EX_REJECT_R, "example.com", 0},
    {"dkim-second-aligned", "example.com", NULL, 0,
     {{"other.example", 1}, {"example.com", 1}},
     EX_REJECT, EX_REJECT_R, "example.com", 0},
    {"dkim-third-aligned-relaxed", "example.com", "other.example", 1,
     {{"x.other.example", 1}, {"example.com", 0}, {"s.example.com", 1}},
     EX_REJECT, EX_REJECT_R, "example.com", 0},
    {"dkim-suffix-lookalike", "example.com", NULL, 0, {{"badexample.com", 1}},
     EX_REJECT, EX_REJECT_R, "example.com", 0},

    /* --- subdomains and sp= ------------------------------------------------ */
    {"sub-inherits-p", "a.example.com", NULL, 0, {{"other.example", 1}},
     EX_REJECT, EX_REJECT_R, "example.com", 0},
    {"sub-sp-none", "a.example.com", NULL, 0, {{NULL, 0}},
     "_dmarc.example.com. TXT \"v=DMARC1; p=reject; sp=none\"\n",
     "v=DMARC1; p=reject; sp=none", "example.com", 0},
    {"sub-sp-quarantine", "deep.a.example.com", NULL, 0, {{NULL, 0}},
     "_dmarc.example.com. TXT \"v=DMARC1; p=none; sp=quarantine\"\n",
     "v=DMARC1; p=none; sp=quarantine", "example.com", 0},
    {"org-ignores-sp", "example.com", NULL, 0, {{NULL, 0}},
     "_dmarc.example.com. TXT \"v=DMARC1; p=none; sp=reject\"\n",
     "v=DMARC1; p=none; sp=reject", "example.com", 0},
    {"sub-own-record", "a.example.com", NULL, 0, {{NULL, 0}},
     "_dmarc.a.example.com. TXT \"v=DMARC1; p=quarantine\"\n"
     "_dmarc.example.com. TXT \"v=DMARC1; p=reject; sp=none\"\n",
     "v=DMARC1; p=quarantine", "a.example.com", 0},
    {"sub-own-record-sp", "a.example.com", NULL, 0, {{NULL, 0}},
     "_dmarc.a.example.com. TXT \"v=DMARC1; p=none; sp=reject\"\n",
     "v=DMARC1; p=none; sp=reject", "a.example.com", 0},
    {"sub-pass-relaxed", "a.example.com", "example.com", 1, {{NULL, 0}},
     "_dmarc.example.com. TXT \"v=DMARC1; p=reject; sp=reject\"\n",
     "v=DMARC1; p=reject; sp=reject", "example.com", 0},

    /* --- multi-label and private public suffixes --------------------------- */
    {"couk-sub-spf", "news.example.co.uk", "bounce.example.co.uk", 1, {{"other.co.uk", 1}},
     "_dmarc.example.co.uk. TXT \"v=DMARC1; p=reject\"\n",
     "v=DMARC1; p=reject", "example.co.uk", 0},
    {"couk-suffix-dkim", "example.co.uk", NULL, 0, {{"co.uk", 1}},
     "_dmarc.example.co.uk. TXT \"v=DMARC1; p=reject\"\n",
     "v=DMARC1; p=reject", "example.co.uk", 0},
    {"couk-sibling-org", "example.co.uk", "other.co.uk", 1, {{NULL, 0}},
     "_dmarc.example.co.uk. TXT \"v=DMARC1; p=quarantine\"\n",
     "v=DMARC1; p=quarantine", "example.co.uk", 0},
    {"couk-sub-sp", "x.example.co.uk", NULL, 0, {{NULL, 0}},
     "_dmarc.example.co.uk. TXT \"v=DMARC1; p=reject; sp=quarantine\"\n",
     "v=DMARC1; p=reject; sp=quarantine", "example.co.uk", 0},
    {"tld-dkim", "example.com", NULL, 0, {{"com", 1}},
     EX_REJECT, EX_REJECT_R, "example.com", 0},
    {"jp-three-label", "www.example.kyoto.jp", NULL, 0, {{"mail.example.kyoto.jp", 1}},
     "_dmarc.example.kyoto.jp. TXT \"v=DMARC1; p=reject; adkim=r\"\n",
     "v=DMARC1; p=reject; adkim=r", "example.kyoto.jp", 0},
    {"private-suffix-other", "alice.blogspot.com", NULL, 0, {{"bob.blogspot.com", 1}},
     "_dmarc.alice.blogspot.com. TXT \"v=DMARC1; p=quarantine\"\n",
     "v=DMARC1; p=quarantine", "alice.blogspot.com", 0},
    {"private-suffix-same", "www.alice.blogspot.com", NULL, 0,
     {{"x.alice.blogspot.com", 1}},
     "_dmarc.alice.blogspot.com. TXT \"v=DMARC1; p=reject\"\n",
     "v=DMARC1; p=reject", "alice.blogspot.com", 0},

    /* --- no record, several records ---------------------------------------- */
    {"no-record", "norecord.example", "norecord.example", 0, {{NULL, 0}},
     "norecord.example. TXT \"v=spf1 -all\"\n", NULL, NULL, 0},
    {"no-record-pass", "norecord.example", "norecord.example", 1, {{NULL, 0}},
     "_dmarc.norecord.example. TXT \"v=spf1 -all\"\n", NULL, NULL, 0},
    {"no-record-sub-and-org", "a.norecord.example", NULL, 0, {{NULL, 0}},
     "_dmarc.other.example. TXT \"v=DMARC1; p=reject\"\n", NULL, NULL, 0},
    {"several-records", "multi.example", NULL, 0, {{NULL, 0}},
     "_dmarc.multi.example. TXT \"v=DMARC1; p=reject\"\n"
     "_dmarc.multi.example. TXT \"v=DMARC1; p=none\"\n",
     "v=DMARC1; p=reject", "multi.example", 0},
    {"several-records-org", "a.multi.example", NULL, 0, {{NULL, 0}},
     "_dmarc.multi.example. TXT \"v=DMARC1; p=reject\"\n"
     "_dmarc.multi.example. TXT \"v=DMARC1; p=none\"\n",
     "v=DMARC1; p=reject", "multi.example", 0},
    {"non-dmarc-txt-ignored", "example.com", NULL, 0, {{NULL, 0}},
     "_dmarc.example.com. TXT \"google-site-verification=abc\"\n"
     "_dmarc.example.com. TXT \"v=DMARC1; p=quarantine\"\n",
     "v=DMARC1; p=quarantine", "example.com", 0},

    /* --- pct (7489 §6.3) ----------------------------------------------------- */
    {"pct-100", "example.com", NULL, 0, {{NULL, 0}},
     "_dmarc.example.com. TXT \"v=DMARC1; p=reject; pct=100\"\n",
     "v=DMARC1; p=reject; pct=100", "example.com", 0},
    {"pct-0", "example.com", NULL, 0, {{NULL, 0}},
     "_dmarc.example.com. TXT \"v=DMARC1; p=quarantine; pct=0\"\n",
     "v=DMARC1; p=quarantine; pct=0", "example.com", 0},
    {"pct-50-sampled-in", "example.com", NULL, 0, {{NULL, 0}},
     "_dmarc.example.com. TXT \"v=DMARC1; p=reject; pct=50\"\n",
     "v=DMARC1; p=reject; pct=50", "example.com", 0},   /* seed 0: draw 35 < 50 */
    {"pct-50-sampled-out", "example.com", NULL, 0, {{NULL, 0}},
     "_dmarc.example.com. TXT \"v=DMARC1; p=reject; pct=50\"\n",
     "v=DMARC1; p=reject; pct=50", "example.com", 1},   /* seed 1: draw 65 >= 50 */
    {"pct-50-pass", "example.com", "example.com", 1, {{NULL, 0}},
     "_dmarc.example.com. TXT \"v=DMARC1; p=reject; pct=50\"\n",
     "v=DMARC1; p=reject; pct=50", "example.com", 0},

    /* --- records that are not usable as written ------------------------------ */
    {"no-p-with-rua", "example.com", NULL, 0, {{NULL, 0}},
     "_dmarc.example.com. TXT \"v=DMARC1; rua=mailto:d@example.com\"\n",
     "v=DMARC1; rua=mailto:d@example.com", "example.com", 0},
    {"bad-p-no-rua", "example.com", NULL, 0, {{NULL, 0}},
     "_dmarc.example.com. TXT \"v=DMARC1; p=bogus\"\n",
     "v=DMARC1; p=bogus", "example.com", 0},
    {"v-not-first", "example.com", NULL, 0, {{NULL, 0}},
     "_dmarc.example.com. TXT \"p=reject; v=DMARC1\"\n",
     "p=reject; v=DMARC1", "example.com", 0},
    {"p-abbreviated", "example.com", NULL, 0, {{NULL, 0}},
     "_dmarc.example.com. TXT \"v=DMARC1; p=rej\"\n",
     "v=DMARC1; p=rej", "example.com", 0},
};

/*
 * Intended differences: the case, each side's outcome as printed
 * ("OUTCOME spf=A dkim=A"), and the reason.
 */
typedef struct difference {
    const char *name;
    const char *emauth;
    const char *opendmarc;
    const char *reason;
} difference;

#define STRICT_BUG                                                                        \
    "RFC 7489 3.1.1/3.1.2: strict alignment needs the identical domain. libopendmarc 1.4.2 " \
    "falls back to the organizational domains in strict mode too (OpenDMARC PR #268, fixed " \
    "upstream by PR #354). emauth is right."
#define SUFFIX_BUG                                                                        \
    "RFC 7489 3.1.1 and 3.2: relaxed alignment needs the same Organizational Domain; a "   \
    "public suffix (com, co.uk) has none and is not example's. libopendmarc aligns any "   \
    "parent of the From domain by a prefix match of the reversed names. emauth is right."

static const difference differences[] = {
    {"spf-strict-child", "reject spf=no dkim=no", "pass spf=aligned dkim=no", STRICT_BUG},
    {"dkim-strict-child", "reject spf=no dkim=no", "pass spf=no dkim=aligned", STRICT_BUG},
    {"dkim-strict-spf-relaxed", "pass spf=aligned dkim=no", "pass spf=aligned dkim=aligned",
     STRICT_BUG " (The verdict agrees; only the DKIM alignment differs.)"},
    {"both-strict-exact-dkim", "pass spf=no dkim=aligned", "pass spf=aligned dkim=aligned",
     STRICT_BUG " (The verdict agrees; only the SPF alignment differs.)"},
    {"both-strict-none-exact", "quarantine spf=no dkim=no", "pass spf=aligned dkim=aligned",
     STRICT_BUG},
    {"couk-suffix-dkim", "reject spf=no dkim=no", "pass spf=no dkim=aligned", SUFFIX_BUG},
    {"tld-dkim", "reject spf=no dkim=no", "pass spf=no dkim=aligned", SUFFIX_BUG},
    {"several-records", "absent spf=no dkim=no", "reject spf=no dkim=no",
     "RFC 7489 6.6.3 step 5: several DMARC records at one name end policy discovery, no "
     "DMARC processing. opendmarc_policy_store_dmarc() takes one record, so this test hands "
     "it the first (what a caller picking the first TXT answer would do; OpenDMARC's own DNS "
     "layer is not exercised here). emauth is right."},
    {"several-records-org", "absent spf=no dkim=no", "reject spf=no dkim=no",
     "As several-records, at the organizational domain (RFC 7489 6.6.3 step 5)."},
    {"pct-0", "none spf=no dkim=no", "quarantine spf=no dkim=no",
     "RFC 7489 6.3 pct and 6.6.4: a message not sampled gets the next less strict policy. "
     "libopendmarc leaves pct to its caller (fetch_pct; the opendmarc filter samples); "
     "emauth samples in the library with a seeded draw. Both are right for what they return."},
    {"pct-50-sampled-out", "quarantine spf=no dkim=no", "reject spf=no dkim=no",
     "As pct-0: emauth's draw for seed 1 is 65 >= 50, so reject is lowered to quarantine "
     "(RFC 7489 6.6.4); libopendmarc leaves pct to its caller."},
    {"no-p-with-rua", "none spf=no dkim=no", "absent spf=no dkim=no",
     "RFC 7489 6.6.3 step 6: a record without a valid p= but with a valid rua= is treated "
     "as p=none (DMARC still evaluated, reports still due); libopendmarc rejects the record "
     "(NO_REQUIRED_P). emauth is right."},
    {"bad-p-no-rua", "permerror spf=no dkim=no", "absent spf=no dkim=no",
     "RFC 7489 6.6.3 step 6: no valid p= and no rua=: no DMARC processing; both apply no "
     "policy. emauth reports it as permerror, the result RFC 7489 11.2 / RFC 8601 2.7.1 "
     "give a syntactically incorrect record; libopendmarc as no record."},
    {"v-not-first", "absent spf=no dkim=no", "reject spf=no dkim=no",
     "RFC 7489 6.3: v=DMARC1 MUST be the first tag, and 6.6.3 step 3 discards records that "
     "do not start with it; libopendmarc's parser accepts v= anywhere (on the store_dmarc "
     "path used here). emauth is right."},
    {"p-abbreviated", "permerror spf=no dkim=no", "reject spf=no dkim=no",
     "RFC 7489 6.4: dmarc-request is exactly none, quarantine or reject; libopendmarc "
     "accepts any prefix (p=rej as reject). emauth treats the p= as invalid and, with no "
     "rua=, applies no policy (6.6.3 step 6; permerror as bad-p-no-rua). emauth is right."},
};

/* ---- emauth ---------------------------------------------------------------- */

typedef struct outcome {
    char word[16];          /* absent pass none quarantine reject permerror temperror */
    int spf_aligned, dkim_aligned;
    char detail[400];
} outcome;

static int run_emauth(const dcase *c, emauth_dmarc_eval *ev, outcome *o)
{
    emauth_error err;
    emauth_error_clear(&err);
    emauth_zone *zone = emauth_zone_new();
    if (zone == NULL)
        return -1;
    if (emauth_zone_load_string(zone, c->zone, strlen(c->zone), c->name, NULL, &err) !=
        EMAUTH_OK) {
        fprintf(stderr, "%s: zone: %s\n", c->name, err.message);
        emauth_zone_free(zone);
        return -1;
    }
    emauth_dmarc_identifier ids[MAX_DKIM];
    size_t n = 0;
    for (; n < MAX_DKIM && c->dkim[n].d != NULL; n++) {
        ids[n].domain = c->dkim[n].d;
        ids[n].passed = c->dkim[n].pass;
    }
    emauth_dmarc_request req;
    memset(&req, 0, sizeof req);
    req.from_domain = c->from;
    req.spf.domain = c->spf;
    req.spf.passed = c->spf_pass;
    req.ndkim = n;
    req.dkim = n ? ids : NULL;
    req.mode = EMAUTH_DMARC_7489;
    req.pct_seed = c->seed;
    int rc = -1;
    if (emauth_dmarc_eval_start(ev, &req, &err) != EMAUTH_OK) {
        fprintf(stderr, "%s: emauth start: %s\n", c->name, err.message);
    } else if (emauth_dmarc_eval_run(ev, emauth_zone_resolver(zone)) != EMAUTH_OK) {
        fprintf(stderr, "%s: emauth run failed\n", c->name);
    } else {
        const emauth_dmarc_result *r = emauth_dmarc_eval_result(ev);
        if (r != NULL) {
            const char *w;
            switch (r->verdict) {
            case EMAUTH_DMARC_NONE: w = "absent"; break;
            case EMAUTH_DMARC_PASS: w = "pass"; break;
            case EMAUTH_DMARC_FAIL: w = emauth_dmarc_policy_name(r->policy); break;
            default: w = emauth_dmarc_verdict_name(r->verdict); break;
            }
            snprintf(o->word, sizeof o->word, "%s", w);
            o->spf_aligned = r->spf_aligned;
            o->dkim_aligned = r->dkim_aligned;
            snprintf(o->detail, sizeof o->detail, "%s; policy of %s, org %s",
                     r->reason ? r->reason : "",
                     r->policy_domain ? r->policy_domain : "-",
                     r->org_domain ? r->org_domain : "-");
            rc = 0;
        }
    }
    emauth_zone_free(zone);
    return rc;
}

/* ---- OpenDMARC ----------------------------------------------------------- */

static const char *od_status(int s)
{
    const char *t = opendmarc_policy_status_to_str(s);
    return t != NULL ? t : "?";
}

static int run_opendmarc(const dcase *c, outcome *o)
{
    DMARC_POLICY_T *p = opendmarc_policy_connect_init((u_char *)"192.0.2.1", 0);
    if (p == NULL)
        return -1;
    char note[300] = "";
    size_t nl = 0;
    int s = opendmarc_policy_store_from_domain(p, (u_char *)c->from);
    if (s != DMARC_PARSE_OKAY)
        nl += (size_t)snprintf(note + nl, sizeof note - nl, " from: %s;", od_status(s));
    if (c->od_record != NULL) {
        /* the organizational domain: given when the record is an ancestor's */
        u_char *org = strcasecmp(c->od_domain, c->from) != 0 ? (u_char *)c->od_domain : NULL;
        s = opendmarc_policy_store_dmarc(p, (u_char *)c->od_record, (u_char *)c->from, org);
        if (s != DMARC_PARSE_OKAY && nl < sizeof note)
            nl += (size_t)snprintf(note + nl, sizeof note - nl, " record: %s;", od_status(s));
    }
    if (c->spf != NULL) {
        s = opendmarc_policy_store_spf(p, (u_char *)c->spf,
                                       c->spf_pass ? DMARC_POLICY_SPF_OUTCOME_PASS
                                                   : DMARC_POLICY_SPF_OUTCOME_FAIL,
                                       DMARC_POLICY_SPF_ORIGIN_MAILFROM, NULL);
        if (s != DMARC_PARSE_OKAY && nl < sizeof note)
            nl += (size_t)snprintf(note + nl, sizeof note - nl, " spf: %s;", od_status(s));
    }
    for (size_t i = 0; i < MAX_DKIM && c->dkim[i].d != NULL; i++) {
        s = opendmarc_policy_store_dkim(p, (u_char *)c->dkim[i].d, (u_char *)"sel",
                                        c->dkim[i].pass ? DMARC_POLICY_DKIM_OUTCOME_PASS
                                                        : DMARC_POLICY_DKIM_OUTCOME_FAIL,
                                        NULL);
        if (s != DMARC_PARSE_OKAY && nl < sizeof note)
            nl += (size_t)snprintf(note + nl, sizeof note - nl, " dkim %s: %s;", c->dkim[i].d,
                                   od_status(s));
    }
    int pol = opendmarc_get_policy_to_enforce(p);
    const char *w;
    switch (pol) {
    case DMARC_POLICY_ABSENT: w = "absent"; break;
    case DMARC_POLICY_PASS: w = "pass"; break;
    case DMARC_POLICY_NONE: w = "none"; break;
    case DMARC_POLICY_QUARANTINE: w = "quarantine"; break;
    case DMARC_POLICY_REJECT: w = "reject"; break;
    default: w = "error"; break;
    }
    snprintf(o->word, sizeof o->word, "%s", w);
    int da = 0, sa = 0;
    opendmarc_policy_fetch_alignment(p, &da, &sa);
    o->spf_aligned = sa == DMARC_POLICY_SPF_ALIGNMENT_PASS;
    o->dkim_aligned = da == DMARC_POLICY_DKIM_ALIGNMENT_PASS;
    snprintf(o->detail, sizeof o->detail, "%s%s", od_status(pol), note);
    opendmarc_policy_connect_shutdown(p);
    return 0;
}

/* ---- the comparison ------------------------------------------------------- */

static void summary(const outcome *o, char *buf, size_t len)
{
    snprintf(buf, len, "%s spf=%s dkim=%s", o->word, o->spf_aligned ? "aligned" : "no",
             o->dkim_aligned ? "aligned" : "no");
}

static const difference *find_difference(const char *name)
{
    for (size_t i = 0; i < sizeof differences / sizeof differences[0]; i++)
        if (differences[i].name != NULL && strcmp(differences[i].name, name) == 0)
            return &differences[i];
    return NULL;
}

static void print_identifiers(const dcase *c)
{
    printf("  from=%s spf=%s", c->from, c->spf ? c->spf : "-");
    if (c->spf)
        printf("(%s)", c->spf_pass ? "pass" : "fail");
    for (size_t i = 0; i < MAX_DKIM && c->dkim[i].d != NULL; i++)
        printf(" dkim=%s(%s)", c->dkim[i].d, c->dkim[i].pass ? "pass" : "fail");
    printf("\n  record: %s%s%s\n", c->od_record ? c->od_record : "(none)",
           c->od_domain ? " at " : "", c->od_domain ? c->od_domain : "");
}

int main(int argc, char **argv)
{
    const char *psl = argc > 1 ? argv[1] : DEFAULT_PSL;
    OPENDMARC_LIB_T lib;
    memset(&lib, 0, sizeof lib);
    lib.tld_type = OPENDMARC_TLD_TYPE_MOZILLA;
    snprintf((char *)lib.tld_source_file, sizeof lib.tld_source_file, "%s", psl);
    int s = opendmarc_policy_library_init(&lib);
    if (s != DMARC_PARSE_OKAY) {
        fprintf(stderr, "opendmarc_policy_library_init(%s): %s\n", psl, od_status(s));
        return 2;
    }
    emauth_dmarc_eval *ev = NULL;
    if (emauth_dmarc_eval_new(&ev) != EMAUTH_OK) {
        fprintf(stderr, "out of memory\n");
        return 2;
    }

    size_t ncases = sizeof cases / sizeof cases[0];
    unsigned passed = 0, failed = 0, intended = 0;
    for (size_t i = 0; i < ncases; i++) {
        const dcase *c = &cases[i];
        outcome e, d;
        memset(&e, 0, sizeof e);
        memset(&d, 0, sizeof d);
        if (run_emauth(c, ev, &e) != 0 || run_opendmarc(c, &d) != 0) {
            printf("FAIL %s: could not evaluate\n", c->name);
            failed++;
            continue;
        }
        char es[64], ds[64];
        summary(&e, es, sizeof es);
        summary(&d, ds, sizeof ds);
        const difference *df = find_difference(c->name);
        int same = strcmp(es, ds) == 0;
        const char *status;
        if (same && df == NULL) {
            status = "ok";
            passed++;
        } else if (!same && df != NULL && strcmp(df->emauth, es) == 0 &&
                   strcmp(df->opendmarc, ds) == 0) {
            status = "ok (intended difference)";
            passed++;
            intended++;
        } else {
            status = same ? "FAIL (listed difference no longer occurs)"
                          : df != NULL ? "FAIL (differs otherwise than listed)"
                                       : "FAIL (unlisted difference)";
            failed++;
        }
        printf("%s %s\n", status, c->name);
        print_identifiers(c);
        printf("  emauth:    %-40s %s\n", es, e.detail);
        printf("  opendmarc: %-40s %s\n", ds, d.detail);
    }

    printf("\nIntended differences (emauth RFC 7489 mode vs libopendmarc):\n");
    for (size_t i = 0; i < sizeof differences / sizeof differences[0]; i++) {
        const difference *df = &differences[i];
        if (df->name == NULL)
            continue;
        printf("- %s: emauth %s; opendmarc %s\n    %s\n", df->name, df->emauth, df->opendmarc,
               df->reason);
    }
    printf("\n%u passed, %u failed (%zu cases, %u intended differences)\n", passed, failed,
           ncases, intended);

    emauth_dmarc_eval_free(ev);
    opendmarc_policy_library_shutdown(&lib);
    return failed ? 1 : 0;
}
