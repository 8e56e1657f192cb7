/*
 * check_host() (RFC 7208 §4-§6) as a sans-I/O state machine.
 *
 * The evaluation is a stack of frames, one per check_host() invocation
 * (the top-level domain and each include; redirect replaces its frame).
 * step() advances the top frame until it needs a DNS answer: it then sets
 * ev->q and returns NEED_DNS. Answer handlers only record what the answer
 * says and move the state on; they never ask. So every question is asked
 * from one place, and an answer can arrive from any resolver.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <emauth/spf.h>
#include "spf/macro.h"
#include "spf/names.h"
#include "spf/record_internal.h"
#include "spf/reccache.h"
#include "util/arena.h"
#include "util/buf.h"
#include "dns/drive.h"
#include "util/error.h"

#define MAX_DEPTH 32            /* frames; the lookup limit bounds it far lower */
#define DEFAULT_EXPLANATION "%{d} does not designate %{c} as a permitted sender for %{s}"

/* What the pending question is for. */
typedef enum want {
    W_NONE,
    W_RECORD,      /* TXT of a frame's domain */
    W_A,           /* a mechanism */
    W_MX,          /* mx mechanism: the MX set */
    W_MX_ADDR,     /* mx mechanism: one exchange's addresses */
    W_PTR,         /* ptr mechanism: names of <ip> */
    W_PTR_ADDR,    /* ptr mechanism: one name's addresses */
    W_EXISTS,
    W_EXP,         /* explanation TXT */
    W_P_PTR,       /* %{p}: names of <ip> */
    W_P_ADDR       /* %{p}: one name's addresses */
} want;

typedef enum frame_state { F_FETCH, F_TERMS, F_AFTER } frame_state;

typedef struct frame {
    const char *domain;            /* NUL-terminated, in the arena */
    size_t domain_len;
    emauth_spf_record rec;
    frame_state state;
    int via_redirect;
    size_t ti;                     /* current term */
    int phase;                     /* progress within the current term */
    const char *target;            /* expanded target of the current term */
    size_t target_len;
    const char **names;            /* MX exchanges or PTR names being checked */
    size_t nnames, ni;
} frame;

/* The validated-name procedure for %{p} (§7.3), run at most once per domain. */
typedef struct pmacro {
    int state;                     /* 0 idle, 1 running, 2 done */
    const char *domain;            /* the <domain> it was computed for */
    const char **names;
    size_t nnames, ni;
    int fetched;                   /* PTR answer received */
    const char *best;              /* best validated name so far */
    int best_rank;                 /* 3 = domain itself, 2 = subdomain, 1 = other */
} pmacro;

typedef enum final_state { FIN_RUNNING, FIN_EXP, FIN_DONE } final_state;

struct emauth_spf_eval {
    ea_arena arena;
    ea_buf scratch;
    ea_reccache records;           /* parsed records, kept across checks */
    emauth_spf_limits limits;
    emauth_ip ip;
    const char *helo, *receiver, *default_exp;
    int64_t now;
    const char *sender, *local, *sender_domain;
    size_t sender_len, local_len, sender_domain_len;
    const char *reverse_name;      /* in-addr.arpa / ip6.arpa name of ip, lazily */

    frame stack[MAX_DEPTH];
    int depth;                     /* frames in use */
    final_state fin;
    int exp_phase;
    const emauth_spf_record *exp_rec;   /* whose exp= applies */
    const char *exp_domain;
    const char *exp_text;
    size_t exp_text_len;
    pmacro p;

    want want;
    emauth_dns_question q;

    emauth_spf_trace *trace;
    size_t trace_cap;
    emauth_spf_result res;
};

/* ---- names -------------------------------------------------------------- */

const char *emauth_spf_verdict_name(emauth_spf_verdict v)
{
    static const char *const names[] = {"none", "neutral", "pass", "fail",
                                        "softfail", "temperror", "permerror"};
    return (unsigned)v < sizeof names / sizeof names[0] ? names[v] : "?";
}

const char *emauth_spf_identity_name(emauth_spf_identity id)
{
    return id == EMAUTH_SPF_ID_HELO ? "helo" : "mailfrom";
}

void emauth_spf_limits_default(emauth_spf_limits *limits)
{
    limits->dns_terms = 10;
    limits->void_lookups = 2;
    limits->mx_names = 10;
    limits->ptr_names = 10;
    limits->max_record_len = 4096;
}

/* ---- small helpers ------------------------------------------------------ */

/* The identity domain must also look like a host name: no literals. */
static int identity_domain_ok(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c >= 0x7f || c == '[' || c == ']' || c == '@')
            return 0;
    }
    return ea_name_ok(s, len, 1);
}

static char *adup(emauth_spf_eval *ev, const char *s, size_t len)
{
    return ea_arena_strndup(&ev->arena, s, len);
}

/* ---- finishing ---------------------------------------------------------- */

static void set_problem(emauth_spf_eval *ev, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void set_problem(emauth_spf_eval *ev, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ev->res.problem = adup(ev, msg, strlen(msg));
    if (ev->res.problem == NULL)
        ev->res.problem = "out of memory";
}

/* Ends the whole evaluation with an error verdict (or none). */
static void finish(emauth_spf_eval *ev, emauth_spf_verdict v)
{
    ev->res.verdict = v;
    ev->fin = FIN_DONE;
}

/* Quotes a term for a problem message, bounded. */
static const char *qterm(char *buf, size_t size, const emauth_spf_term *t)
{
    return ea_quote(buf, size, t->text, t->text_len, 80);
}

static void perm_term(emauth_spf_eval *ev, const frame *f, const emauth_spf_term *t,
                      const char *why)
{
    char q[128];
    set_problem(ev, "%s: '%s' at column %u of the record of %s", why, qterm(q, sizeof q, t),
                t->column, f->domain);
    finish(ev, EMAUTH_SPF_PERMERROR);
}

static void dns_error(emauth_spf_eval *ev, const emauth_dns_answer *a)
{
    set_problem(ev, "DNS %s looking up %s %s%s%s", emauth_dns_rcode_name(a->rcode),
                emauth_dns_type_name(ev->q.type), ev->q.name, a->why ? ": " : "",
                a->why ? a->why : "");
    finish(ev, EMAUTH_SPF_TEMPERROR);
}

static emauth_spf_verdict qualifier_verdict(char q)
{
    switch (q) {
    case '-': return EMAUTH_SPF_FAIL;
    case '~': return EMAUTH_SPF_SOFTFAIL;
    case '?': return EMAUTH_SPF_NEUTRAL;
    default: return EMAUTH_SPF_PASS;
    }
}

static void next_term(frame *f)
{
    f->ti++;
    f->phase = 0;
}

static void frame_done(emauth_spf_eval *ev, emauth_spf_verdict v, const emauth_spf_term *t);

/* An include's recursive check_host() ended with v (§5.2 table). */
static void include_result(emauth_spf_eval *ev, emauth_spf_verdict v, const char *child_problem)
{
    frame *f = &ev->stack[ev->depth - 1];
    const emauth_spf_term *t = &f->rec.terms[f->ti];
    switch (v) {
    case EMAUTH_SPF_PASS:
        frame_done(ev, qualifier_verdict(t->qualifier), t);
        break;
    case EMAUTH_SPF_FAIL:
    case EMAUTH_SPF_SOFTFAIL:
    case EMAUTH_SPF_NEUTRAL:
        next_term(f);
        break;
    default: {
        char q[128];
        set_problem(ev, "'%s' at column %u of the record of %s: %s", qterm(q, sizeof q, t),
                    t->column, f->domain, child_problem ? child_problem : "no SPF record");
        finish(ev, v == EMAUTH_SPF_TEMPERROR ? EMAUTH_SPF_TEMPERROR : EMAUTH_SPF_PERMERROR);
    }
    }
}

/* The frame's check_host() returned v, matched by t (NULL: default result). */
static void frame_done(emauth_spf_eval *ev, emauth_spf_verdict v, const emauth_spf_term *t)
{
    frame *f = &ev->stack[ev->depth - 1];
    if (ev->depth > 1) {
        ev->depth--;
        include_result(ev, v, NULL);
        return;
    }
    ev->res.verdict = v;
    if (t != NULL) {
        ev->res.mechanism = adup(ev, t->text, t->text_len);
        ev->res.mechanism_domain = f->domain;
        ev->res.mechanism_column = t->column;
    }
    if (v == EMAUTH_SPF_FAIL) {
        ev->fin = FIN_EXP;
        ev->exp_phase = 0;
        ev->exp_rec = &f->rec;
        ev->exp_domain = f->domain;
    } else {
        ev->fin = FIN_DONE;
    }
}

/* ---- questions ------------------------------------------------------------ */

static emauth_status ask(emauth_spf_eval *ev, want w, const char *name, uint16_t type)
{
    if (ev->res.trace_count == ev->trace_cap) {
        size_t cap = ev->trace_cap ? ev->trace_cap * 2 : 32;
        emauth_spf_trace *t = ea_arena_alloc(&ev->arena, cap * sizeof *t);
        if (t == NULL)
            return EMAUTH_ERR_NOMEM;
        if (ev->res.trace_count)
            memcpy(t, ev->trace, ev->res.trace_count * sizeof *t);
        ev->trace = t;
        ev->trace_cap = cap;
        ev->res.trace = t;
    }
    emauth_spf_trace *e = &ev->trace[ev->res.trace_count++];
    e->name = name;
    e->type = type;
    e->rcode = EMAUTH_DNS_TIMEOUT;
    e->count = 0;
    ev->want = w;
    ev->q.name = name;
    ev->q.type = type;
    return EMAUTH_NEED_DNS;
}

static uint16_t addr_type(const emauth_spf_eval *ev)
{
    return ev->ip.family == 4 ? EMAUTH_DNS_A : EMAUTH_DNS_AAAA;
}

static const char *reverse_name(emauth_spf_eval *ev)
{
    if (ev->reverse_name != NULL)
        return ev->reverse_name;
    static const char hex[] = "0123456789abcdef";
    char buf[80];
    const uint8_t *a = ev->ip.addr;
    if (ev->ip.family == 4) {
        snprintf(buf, sizeof buf, "%u.%u.%u.%u.in-addr.arpa", a[3], a[2], a[1], a[0]);
    } else {
        char *p = buf;
        for (int i = 15; i >= 0; i--) {
            *p++ = hex[a[i] & 15];
            *p++ = '.';
            *p++ = hex[a[i] >> 4];
            *p++ = '.';
        }
        memcpy(p, "ip6.arpa", 9);
    }
    ev->reverse_name = adup(ev, buf, strlen(buf));
    return ev->reverse_name;
}

/* ---- %{p} and macro expansion --------------------------------------------- */

/* 1 once the validated name for domain is known; else asks and returns 0. */
static int p_drive(emauth_spf_eval *ev, const char *domain, emauth_status *st)
{
    pmacro *p = &ev->p;
    if (p->state == 2 && strcmp(p->domain, domain) == 0)
        return 1;
    if (p->state != 1 || strcmp(p->domain, domain) != 0) {
        memset(p, 0, sizeof *p);
        p->state = 1;
        p->domain = domain;
    }
    if (!p->fetched) {
        *st = ask(ev, W_P_PTR, reverse_name(ev), EMAUTH_DNS_PTR);
        return 0;
    }
    if (p->best_rank < 3 && p->ni < p->nnames) {
        *st = ask(ev, W_P_ADDR, p->names[p->ni], addr_type(ev));
        return 0;
    }
    if (p->best == NULL)
        p->best = "unknown";
    p->state = 2;
    return 1;
}

static void macro_ctx(const emauth_spf_eval *ev, const char *domain, ea_macro_ctx *c)
{
    c->sender = ev->sender;
    c->sender_len = ev->sender_len;
    c->local = ev->local;
    c->local_len = ev->local_len;
    c->sender_domain = ev->sender_domain;
    c->sender_domain_len = ev->sender_domain_len;
    c->domain = domain;
    c->domain_len = strlen(domain);
    c->helo = ev->helo;
    c->helo_len = strlen(ev->helo);
    c->receiver = ev->receiver;
    c->receiver_len = strlen(ev->receiver);
    c->validated = ev->p.state == 2 ? ev->p.best : "unknown";
    c->validated_len = strlen(c->validated);
    c->ip = &ev->ip;
    c->now = ev->now;
}

/*
 * Expands a macro-string for domain into the arena. Returns NEED_DNS while
 * %{p} is being resolved, OK with *out set, or an error status.
 */
static emauth_status expand(emauth_spf_eval *ev, const char *domain, const char *s, size_t len,
                            ea_macro_use use, const char **out, size_t *out_len)
{
    if (memchr(s, '%', len) == NULL) {
        *out = adup(ev, s, len);
        *out_len = len;
        return *out ? EMAUTH_OK : EMAUTH_ERR_NOMEM;
    }
    emauth_status st = EMAUTH_OK;
    if (ea_macro_uses_p(s, len) && !p_drive(ev, domain, &st))
        return st;
    ea_macro_ctx c;
    macro_ctx(ev, domain, &c);
    ev->scratch.len = 0;
    st = ea_macro_expand(s, len, use, &c, &ev->scratch);
    if (st != EMAUTH_OK)
        return st;
    *out = adup(ev, ev->scratch.data, ev->scratch.len);
    *out_len = ev->scratch.len;
    return *out ? EMAUTH_OK : EMAUTH_ERR_NOMEM;
}

/* ---- terms ---------------------------------------------------------------- */

static int count_dns_term(emauth_spf_eval *ev, frame *f, const emauth_spf_term *t)
{
    if (ev->res.dns_lookups >= ev->limits.dns_terms) {
        char why[96];
        snprintf(why, sizeof why, "too many DNS lookups (more than %u)", ev->limits.dns_terms);
        perm_term(ev, f, t, why);
        return -1;
    }
    ev->res.dns_lookups++;
    return 0;
}

/* A void answer for the term's lookup: counts against the limit (§4.6.4). */
static int count_void(emauth_spf_eval *ev, frame *f, const emauth_spf_term *t)
{
    if (++ev->res.void_lookups > ev->limits.void_lookups) {
        char why[96];
        snprintf(why, sizeof why, "too many void DNS lookups (more than %u)",
                 ev->limits.void_lookups);
        perm_term(ev, f, t, why);
        return -1;
    }
    return 0;
}

static emauth_status push_frame(emauth_spf_eval *ev, const char *domain, size_t len)
{
    if (ev->depth == MAX_DEPTH) {
        set_problem(ev, "include nesting deeper than %d at %s", MAX_DEPTH, domain);
        finish(ev, EMAUTH_SPF_PERMERROR);
        return EMAUTH_OK;
    }
    frame *f = &ev->stack[ev->depth++];
    memset(f, 0, sizeof *f);
    f->domain = domain;
    f->domain_len = len;
    f->state = F_FETCH;
    return EMAUTH_OK;
}

/* Phase 1 of a DNS term: its target name, expanded; NULL spec = current domain. */
static emauth_status term_target(emauth_spf_eval *ev, frame *f, const emauth_spf_term *t)
{
    if (t->spec == NULL) {
        f->target = f->domain;
        f->target_len = f->domain_len;
        return EMAUTH_OK;
    }
    emauth_status st = expand(ev, f->domain, t->spec, t->spec_len, EA_MACRO_DOMAIN,
                              &f->target, &f->target_len);
    if (st != EMAUTH_OK)
        return st;
    /* A trailing dot is ignored (§7.1). */
    if (f->target_len > 1 && f->target[f->target_len - 1] == '.')
        ((char *)f->target)[--f->target_len] = '\0';
    return EMAUTH_OK;
}

/* Phase 2: the term's first question, or its outcome when none can be asked. */
static emauth_status term_query(emauth_spf_eval *ev, frame *f, const emauth_spf_term *t)
{
    int valid = ea_name_ok(f->target, f->target_len, 0);
    f->phase = 3;
    switch (t->kind) {
    case EMAUTH_SPF_INCLUDE:
        if (!valid) {
            include_result(ev, EMAUTH_SPF_NONE, "the target is not a valid domain name");
            return EMAUTH_OK;
        }
        return push_frame(ev, f->target, f->target_len);
    case EMAUTH_SPF_PTR:
        return ask(ev, W_PTR, reverse_name(ev), EMAUTH_DNS_PTR);
    default:
        break;
    }
    if (!valid) {
        /* Not a name a query can be made for: treated as non-existent. */
        if (count_void(ev, f, t) == 0)
            next_term(f);
        return EMAUTH_OK;
    }
    switch (t->kind) {
    case EMAUTH_SPF_A: return ask(ev, W_A, f->target, addr_type(ev));
    case EMAUTH_SPF_MX: return ask(ev, W_MX, f->target, EMAUTH_DNS_MX);
    default: return ask(ev, W_EXISTS, f->target, EMAUTH_DNS_A);
    }
}

/* Phase 3 of mx and ptr: one address lookup per collected name. */
static emauth_status term_names(emauth_spf_eval *ev, frame *f, const emauth_spf_term *t)
{
    if (f->ni < f->nnames)
        return ask(ev, t->kind == EMAUTH_SPF_MX ? W_MX_ADDR : W_PTR_ADDR, f->names[f->ni],
                   addr_type(ev));
    next_term(f);
    return EMAUTH_OK;
}

/* Phases 0 and 1 of every DNS-querying term: count it, then expand its target. */
static emauth_status term_prepare(emauth_spf_eval *ev, frame *f, const emauth_spf_term *t)
{
    if (f->phase == 0) {
        if (count_dns_term(ev, f, t) == 0)
            f->phase = 1;
        return EMAUTH_OK;
    }
    emauth_status st = term_target(ev, f, t);
    if (st == EMAUTH_OK)
        f->phase = 2;
    return st;
}

static emauth_status dns_term_step(emauth_spf_eval *ev, frame *f, const emauth_spf_term *t)
{
    if (f->phase < 2)
        return term_prepare(ev, f, t);
    return f->phase == 2 ? term_query(ev, f, t) : term_names(ev, f, t);
}

static emauth_status term_step(emauth_spf_eval *ev, frame *f)
{
    const emauth_spf_term *t = &f->rec.terms[f->ti];
    switch (t->kind) {
    case EMAUTH_SPF_ALL:
        frame_done(ev, qualifier_verdict(t->qualifier), t);
        return EMAUTH_OK;
    case EMAUTH_SPF_IP4:
    case EMAUTH_SPF_IP6:
        if (emauth_ip_match(&ev->ip, &t->ip, ev->ip.family == 4 ? t->cidr4 : t->cidr6))
            frame_done(ev, qualifier_verdict(t->qualifier), t);
        else
            next_term(f);
        return EMAUTH_OK;
    case EMAUTH_SPF_REDIRECT:
    case EMAUTH_SPF_EXP:
    case EMAUTH_SPF_UNKNOWN_MOD:
        next_term(f);
        return EMAUTH_OK;
    default:
        return dns_term_step(ev, f, t);
    }
}

/* After the last term: redirect= (§6.1) or the default result, neutral (§4.7). */
static emauth_status after_terms(emauth_spf_eval *ev, frame *f)
{
    const emauth_spf_term *t = f->rec.redirect;
    if (t == NULL) {
        frame_done(ev, EMAUTH_SPF_NEUTRAL, NULL);
        return EMAUTH_OK;
    }
    if (f->phase < 2)
        return term_prepare(ev, f, t);
    if (!ea_name_ok(f->target, f->target_len, 0)) {
        perm_term(ev, f, t, "redirect target is not a valid domain name");
        return EMAUTH_OK;
    }
    /* The new check_host() replaces this one: same slot, fresh state. */
    const char *dom = f->target;
    size_t len = f->target_len;
    memset(f, 0, sizeof *f);
    f->domain = dom;
    f->domain_len = len;
    f->state = F_FETCH;
    f->via_redirect = 1;
    return EMAUTH_OK;
}

/* ---- explanation (§6.2) ------------------------------------------------------ */

static void default_explanation(emauth_spf_eval *ev)
{
    const char *s = ev->default_exp;
    size_t len = strlen(s);
    size_t bad;
    const char *what;
    const char *out = NULL;
    size_t out_len;
    /* The default may hold macros; %{p} is never resolved for it. */
    if (ea_macro_check(s, len, EA_MACRO_EXP, &bad, &what) == EMAUTH_OK &&
        !ea_macro_uses_p(s, len) &&
        expand(ev, ev->exp_domain, s, len, EA_MACRO_EXP, &out, &out_len) == EMAUTH_OK)
        ev->res.explanation = out;
    else
        ev->res.explanation = adup(ev, s, len);
    ev->fin = FIN_DONE;
}

static emauth_status exp_step(emauth_spf_eval *ev)
{
    const emauth_spf_term *t = ev->exp_rec->exp;
    const char *out;
    size_t len;
    emauth_status st;
    if (t == NULL) {
        default_explanation(ev);
        return EMAUTH_OK;
    }
    switch (ev->exp_phase) {
    case 0:
        st = expand(ev, ev->exp_domain, t->spec, t->spec_len, EA_MACRO_DOMAIN, &out, &len);
        if (st != EMAUTH_OK)
            return st;
        if (!ea_name_ok(out, len, 0)) {
            default_explanation(ev);
            return EMAUTH_OK;
        }
        ev->exp_phase = 1;
        return ask(ev, W_EXP, out, EMAUTH_DNS_TXT);
    case 2: {
        size_t bad;
        const char *what;
        if (ea_macro_check(ev->exp_text, ev->exp_text_len, EA_MACRO_EXP, &bad, &what) !=
            EMAUTH_OK) {
            default_explanation(ev);
            return EMAUTH_OK;
        }
        st = expand(ev, ev->exp_domain, ev->exp_text, ev->exp_text_len, EA_MACRO_EXP, &out,
                    &len);
        if (st != EMAUTH_OK)
            return st;
        ev->res.explanation = out;
        ev->fin = FIN_DONE;
        return EMAUTH_OK;
    }
    }
    return EMAUTH_ERR_INVALID;
}

/* ---- the step loop -------------------------------------------------------------- */

static emauth_status step(emauth_spf_eval *ev)
{
    if (ev->fin == FIN_EXP)
        return exp_step(ev);
    frame *f = &ev->stack[ev->depth - 1];
    switch (f->state) {
    case F_FETCH:
        return ask(ev, W_RECORD, f->domain, EMAUTH_DNS_TXT);
    case F_TERMS:
        if (f->ti < f->rec.nterms)
            return term_step(ev, f);
        f->state = F_AFTER;
        f->phase = 0;
        return EMAUTH_OK;
    case F_AFTER:
        return after_terms(ev, f);
    }
    return EMAUTH_ERR_INVALID;
}

/* ---- answers ---------------------------------------------------------------- */

/* A frame without a record: none at the top, permerror under include/redirect. */
static void no_record(emauth_spf_eval *ev, frame *f, const char *why)
{
    set_problem(ev, "%s at %s", why, f->domain);
    if (f->via_redirect) {
        char msg[400];
        snprintf(msg, sizeof msg, "redirect: %s", ev->res.problem);
        set_problem(ev, "%s", msg);
        finish(ev, EMAUTH_SPF_PERMERROR);
    } else if (ev->depth > 1) {
        const char *child = ev->res.problem;
        ev->depth--;
        include_result(ev, EMAUTH_SPF_NONE, child);
    } else {
        finish(ev, EMAUTH_SPF_NONE);
    }
}

/* Parses into f->rec, through the record cache. A syntax error ends the check. */
static emauth_status parse_record(emauth_spf_eval *ev, frame *f, const char *data, size_t len)
{
    uint64_t hash;
    const emauth_spf_record *cached = ea_reccache_get(&ev->records, data, len, &hash);
    if (cached != NULL) {
        f->rec = *cached;
        return EMAUTH_OK;
    }
    const char *text = adup(ev, data, len);
    if (text == NULL)
        return EMAUTH_ERR_NOMEM;
    emauth_error err;
    emauth_status st = ea_spf_parse(&ev->arena, text, len, &f->rec, &err);
    if (st == EMAUTH_ERR_SYNTAX) {
        set_problem(ev, "invalid SPF record at %s: %s", f->domain, err.message);
        finish(ev, EMAUTH_SPF_PERMERROR);
        return st;
    }
    if (st == EMAUTH_OK)
        ea_reccache_put(&ev->records, hash, &f->rec);
    return st;
}

static emauth_status on_record(emauth_spf_eval *ev, const emauth_dns_answer *a)
{
    frame *f = &ev->stack[ev->depth - 1];
    if (ea_answer_error(a)) {
        dns_error(ev, a);
        return EMAUTH_OK;
    }
    const emauth_dns_rr *found = NULL;
    for (size_t i = 0; a->rcode == EMAUTH_DNS_OK && i < a->count; i++) {
        const emauth_dns_rr *rr = &a->rrs[i];
        if (rr->type != EMAUTH_DNS_TXT || !emauth_spf_is_record(rr->u.txt.data, rr->u.txt.len))
            continue;
        if (found != NULL) {
            set_problem(ev, "more than one SPF record at %s", f->domain);
            finish(ev, EMAUTH_SPF_PERMERROR);
            return EMAUTH_OK;
        }
        found = rr;
    }
    if (found == NULL) {
        no_record(ev, f, a->rcode == EMAUTH_DNS_NXDOMAIN ? "no such domain" : "no SPF record");
        return EMAUTH_OK;
    }
    if (found->u.txt.len > ev->limits.max_record_len) {
        set_problem(ev, "the SPF record of %s is longer than %u bytes", f->domain,
                    ev->limits.max_record_len);
        finish(ev, EMAUTH_SPF_PERMERROR);
        return EMAUTH_OK;
    }
    emauth_status st = parse_record(ev, f, found->u.txt.data, found->u.txt.len);
    if (st != EMAUTH_OK)
        return st == EMAUTH_ERR_SYNTAX ? EMAUTH_OK : st;
    f->state = F_TERMS;
    f->ti = 0;
    f->phase = 0;
    return EMAUTH_OK;
}

/* Does any address record in a match <ip> under the term's prefix lengths? */
static int addr_match(const emauth_spf_eval *ev, const emauth_dns_answer *a, unsigned c4,
                      unsigned c6)
{
    for (size_t i = 0; a->rcode == EMAUTH_DNS_OK && i < a->count; i++) {
        const emauth_dns_rr *rr = &a->rrs[i];
        emauth_ip ip = {0};
        if (rr->type == EMAUTH_DNS_A && ev->ip.family == 4) {
            ip.family = 4;
            memcpy(ip.addr, rr->u.a, 4);
        } else if (rr->type == EMAUTH_DNS_AAAA && ev->ip.family == 6) {
            ip.family = 6;
            memcpy(ip.addr, rr->u.aaaa, 16);
        } else {
            continue;
        }
        if (emauth_ip_match(&ev->ip, &ip, ev->ip.family == 4 ? c4 : c6))
            return 1;
    }
    return 0;
}

/* Copies up to max names out of a PTR or MX answer into the arena. */
static int collect_names(emauth_spf_eval *ev, const emauth_dns_answer *a, size_t max,
                         const char ***names, size_t *n)
{
    *n = 0;
    *names = ea_arena_alloc(&ev->arena, (max ? max : 1) * sizeof **names);
    if (*names == NULL)
        return -1;
    for (size_t i = 0; a->rcode == EMAUTH_DNS_OK && i < a->count && *n < max; i++) {
        const emauth_dns_rr *rr = &a->rrs[i];
        const char *name = rr->type == EMAUTH_DNS_MX    ? rr->u.mx.exchange
                           : rr->type == EMAUTH_DNS_PTR ? rr->u.target
                                                        : NULL;
        if (name == NULL || name[0] == '\0')   /* other types; null MX */
            continue;
        if (((*names)[(*n)++] = adup(ev, name, strlen(name))) == NULL)
            return -1;
    }
    return 0;
}

static emauth_status on_term_answer(emauth_spf_eval *ev, const emauth_dns_answer *a)
{
    frame *f = &ev->stack[ev->depth - 1];
    const emauth_spf_term *t = &f->rec.terms[f->ti];
    int ptr = ev->want == W_PTR || ev->want == W_PTR_ADDR;
    if (ea_answer_error(a) && !ptr) {
        dns_error(ev, a);
        return EMAUTH_OK;
    }
    switch (ev->want) {
    case W_A:
    case W_EXISTS:
        if (ea_answer_void(a)) {
            if (count_void(ev, f, t) == 0)
                next_term(f);
        } else if (ev->want == W_EXISTS || addr_match(ev, a, t->cidr4, t->cidr6)) {
            frame_done(ev, qualifier_verdict(t->qualifier), t);
        } else {
            next_term(f);
        }
        return EMAUTH_OK;
    case W_MX:
    case W_PTR:
        if (ea_answer_void(a) && count_void(ev, f, t) != 0)
            return EMAUTH_OK;
        if (ev->want == W_MX && a->rcode == EMAUTH_DNS_OK && a->count > ev->limits.mx_names) {
            char why[96];
            snprintf(why, sizeof why, "more than %u MX records at %s", ev->limits.mx_names,
                     f->target);
            perm_term(ev, f, t, why);
            return EMAUTH_OK;
        }
        if (collect_names(ev, a, ev->want == W_MX ? ev->limits.mx_names : ev->limits.ptr_names,
                          &f->names, &f->nnames) != 0)
            return EMAUTH_ERR_NOMEM;
        f->ni = 0;
        if (ev->want == W_PTR) {
            /* only names inside the target can match: skip the others' lookups */
            size_t k = 0;
            for (size_t i = 0; i < f->nnames; i++)
                if (ea_name_within(f->names[i], strlen(f->names[i]), f->target, f->target_len))
                    f->names[k++] = f->names[i];
            f->nnames = k;
        }
        return EMAUTH_OK;
    default:   /* W_MX_ADDR, W_PTR_ADDR; a DNS error skips a PTR name (§5.5) */
        if (!ea_answer_error(a) && addr_match(ev, a, t->cidr4, t->cidr6)) {
            frame_done(ev, qualifier_verdict(t->qualifier), t);
            return EMAUTH_OK;
        }
        f->ni++;
        return EMAUTH_OK;
    }
}

static emauth_status on_p_answer(emauth_spf_eval *ev, const emauth_dns_answer *a)
{
    pmacro *p = &ev->p;
    if (ev->want == W_P_PTR) {
        p->fetched = 1;
        if (!ea_answer_error(a) &&
            collect_names(ev, a, ev->limits.ptr_names, &p->names, &p->nnames) != 0)
            return EMAUTH_ERR_NOMEM;
        return EMAUTH_OK;
    }
    const char *name = p->names[p->ni++];
    if (ea_answer_error(a) || !addr_match(ev, a, 32, 128))
        return EMAUTH_OK;
    size_t nlen = strlen(name), dlen = strlen(p->domain);
    int rank = ea_ieq_n(name, nlen, p->domain, dlen) ? 3 : ea_name_within(name, nlen, p->domain, dlen) ? 2 : 1;
    if (rank > p->best_rank) {
        p->best_rank = rank;
        p->best = name;
    }
    return EMAUTH_OK;
}

static emauth_status on_exp_answer(emauth_spf_eval *ev, const emauth_dns_answer *a)
{
    /* Exactly one TXT record, else the default explanation (§6.2). */
    if (a->rcode != EMAUTH_DNS_OK || a->count != 1 || a->rrs[0].type != EMAUTH_DNS_TXT) {
        default_explanation(ev);
        return EMAUTH_OK;
    }
    ev->exp_text = adup(ev, a->rrs[0].u.txt.data, a->rrs[0].u.txt.len);
    if (ev->exp_text == NULL)
        return EMAUTH_ERR_NOMEM;
    ev->exp_text_len = a->rrs[0].u.txt.len;
    ev->exp_phase = 2;
    return EMAUTH_OK;
}

emauth_status emauth_spf_eval_answer(emauth_spf_eval *ev, const emauth_dns_answer *a)
{
    if (ev == NULL || a == NULL || ev->want == W_NONE)
        return EMAUTH_ERR_INVALID;
    emauth_spf_trace *tr = &ev->trace[ev->res.trace_count - 1];
    tr->rcode = a->rcode == EMAUTH_DNS_OK && a->count == 0 ? EMAUTH_DNS_NODATA : a->rcode;
    tr->count = a->rcode == EMAUTH_DNS_OK ? (unsigned)a->count : 0;
    want w = ev->want;   /* handlers read ev->want; it is cleared after them */
    emauth_status st;
    switch (w) {
    case W_RECORD: st = on_record(ev, a); break;
    case W_EXP: st = on_exp_answer(ev, a); break;
    case W_P_PTR:
    case W_P_ADDR: st = on_p_answer(ev, a); break;
    default: st = on_term_answer(ev, a); break;
    }
    ev->want = W_NONE;
    return st;
}

/* ---- public driver ---------------------------------------------------------- */

emauth_status emauth_spf_eval_new(emauth_spf_eval **out)
{
    /* Zeroed but for the frame stack (push_frame clears each frame): an
     * evaluator made for a single check (the async engine) costs less. */
    emauth_spf_eval *ev = malloc(sizeof *ev);
    *out = ev;
    if (ev == NULL)
        return EMAUTH_ERR_NOMEM;
    size_t stack_at = offsetof(emauth_spf_eval, stack), rest = stack_at + sizeof ev->stack;
    memset(ev, 0, stack_at);
    memset((char *)ev + rest, 0, sizeof *ev - rest);
    ea_arena_init(&(*out)->arena);
    ea_buf_init(&(*out)->scratch);
    ea_reccache_init(&(*out)->records);
    (*out)->fin = FIN_DONE;
    return EMAUTH_OK;
}

void emauth_spf_eval_free(emauth_spf_eval *ev)
{
    if (ev == NULL)
        return;
    ea_arena_free(&ev->arena);
    ea_buf_free(&ev->scratch);
    ea_reccache_free(&ev->records);
    free(ev);
}

/* Splits the identity into sender, local part and domain (§4.3, §2.4). */
static emauth_status set_identity(emauth_spf_eval *ev, const emauth_spf_request *req,
                                  emauth_error *err)
{
    const char *mf = req->mail_from ? req->mail_from : "";
    emauth_spf_identity id = req->identity;
    if (id == EMAUTH_SPF_ID_AUTO)
        id = mf[0] ? EMAUTH_SPF_ID_MAILFROM : EMAUTH_SPF_ID_HELO;
    ev->res.identity = id;
    const char *local = "postmaster", *dom = ev->helo;
    size_t local_len = 10;
    if (id == EMAUTH_SPF_ID_MAILFROM) {
        const char *at = strrchr(mf, '@');
        if (at != NULL) {
            dom = at + 1;
            if (at > mf) {
                local = mf;
                local_len = (size_t)(at - mf);
            }
        } else {
            dom = mf;   /* a bare domain: treat as postmaster@domain */
        }
    } else if (ev->helo[0] == '\0') {
        return ea_error(err, EMAUTH_ERR_INVALID, 0, 0, "the HELO identity needs a HELO name");
    }
    size_t dlen = strlen(dom);
    if (dlen && dom[dlen - 1] == '.')
        dlen--;
    ea_buf *b = &ev->scratch;
    b->len = 0;
    if (ea_buf_append(b, local, local_len) || ea_buf_putc(b, '@') || ea_buf_append(b, dom, dlen))
        return ea_error(err, EMAUTH_ERR_NOMEM, 0, 0, "out of memory");
    ev->sender = adup(ev, b->data, b->len);
    ev->sender_len = b->len;
    ev->local = ev->sender;
    ev->local_len = local_len;
    ev->sender_domain = ev->sender + local_len + 1;
    ev->sender_domain_len = dlen;
    if (ev->sender == NULL)
        return ea_error(err, EMAUTH_ERR_NOMEM, 0, 0, "out of memory");
    ev->res.sender = ev->sender;
    ev->res.domain = ev->sender_domain;
    return EMAUTH_OK;
}

emauth_status emauth_spf_eval_start(emauth_spf_eval *ev, const emauth_spf_request *req,
                                    emauth_error *err)
{
    if (ev == NULL || req == NULL)
        return ea_error(err, EMAUTH_ERR_INVALID, 0, 0, "no evaluator or request");
    ea_arena_reset(&ev->arena);
    ea_reccache_next_gen(&ev->records);
    ev->fin = FIN_DONE;
    ev->depth = 0;
    ev->want = W_NONE;
    ev->trace = NULL;
    ev->trace_cap = 0;
    ev->reverse_name = NULL;
    memset(&ev->p, 0, sizeof ev->p);
    memset(&ev->res, 0, sizeof ev->res);
    if (req->ip.family != 4 && req->ip.family != 6)
        return ea_error(err, EMAUTH_ERR_INVALID, 0, 0, "the request has no client IP address");
    if (req->limits)
        ev->limits = *req->limits;
    else
        emauth_spf_limits_default(&ev->limits);
    ev->ip = req->ip;
    ev->now = req->now ? req->now : (int64_t)time(NULL);
    ev->helo = adup(ev, req->helo ? req->helo : "", req->helo ? strlen(req->helo) : 0);
    ev->receiver = req->receiver ? adup(ev, req->receiver, strlen(req->receiver)) : "unknown";
    ev->default_exp = req->default_explanation
                          ? adup(ev, req->default_explanation, strlen(req->default_explanation))
                          : DEFAULT_EXPLANATION;
    if (ev->helo == NULL || ev->receiver == NULL || ev->default_exp == NULL)
        return ea_error(err, EMAUTH_ERR_NOMEM, 0, 0, "out of memory");
    emauth_status st = set_identity(ev, req, err);
    if (st != EMAUTH_OK)
        return st;
    ev->fin = FIN_RUNNING;
    /* §4.3: a malformed or single-label domain gives none before any query */
    if (!identity_domain_ok(ev->sender_domain, ev->sender_domain_len)) {
        set_problem(ev, "'%s' is not a valid multi-label domain name", ev->sender_domain);
        finish(ev, EMAUTH_SPF_NONE);
        return EMAUTH_OK;
    }
    return push_frame(ev, ev->sender_domain, ev->sender_domain_len);
}

emauth_status emauth_spf_eval_next(emauth_spf_eval *ev, const emauth_dns_question **q)
{
    *q = NULL;
    if (ev->want != W_NONE) {
        *q = &ev->q;
        return EMAUTH_NEED_DNS;
    }
    while (ev->fin != FIN_DONE) {
        emauth_status st = step(ev);
        if (st == EMAUTH_NEED_DNS) {
            *q = &ev->q;
            return st;
        }
        if (st != EMAUTH_OK) {
            set_problem(ev, "internal: %s", emauth_status_str(st));
            finish(ev, EMAUTH_SPF_TEMPERROR);
            return st;
        }
    }
    return EMAUTH_OK;
}

const emauth_spf_result *emauth_spf_eval_result(const emauth_spf_eval *ev)
{
    if (ev == NULL || ev->fin != FIN_DONE || ev->res.sender == NULL)
        return NULL;
    return &ev->res;
}

static emauth_status drive_next(void *m, const emauth_dns_question **q)
{
    return emauth_spf_eval_next(m, q);
}

static emauth_status drive_answer(void *m, const emauth_dns_answer *a)
{
    return emauth_spf_eval_answer(m, a);
}

emauth_status emauth_spf_eval_run(emauth_spf_eval *ev, emauth_resolver *resolver)
{
    return ea_drive(ev, drive_next, drive_answer, resolver);
}

emauth_status emauth_spf_check(emauth_resolver *resolver, const emauth_spf_request *req,
                               emauth_spf_eval **out, emauth_error *err)
{
    emauth_status st = emauth_spf_eval_new(out);
    if (st != EMAUTH_OK)
        return ea_error(err, st, 0, 0, "out of memory");
    st = emauth_spf_eval_start(*out, req, err);
    if (st == EMAUTH_OK)
        st = emauth_spf_eval_run(*out, resolver);
    if (st != EMAUTH_OK) {
        emauth_spf_eval_free(*out);
        *out = NULL;
        return ea_error(err, st, 0, 0, "SPF evaluation failed: %s", emauth_status_str(st));
    }
    return EMAUTH_OK;
}
