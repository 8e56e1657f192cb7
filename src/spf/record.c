/*
 * SPF record parser (RFC 7208 §4.6 and §12).
 *
 *   record    = version terms *SP            version = "v=spf1"
 *   terms     = *( 1*SP ( directive / modifier ) )
 *   directive = [ qualifier ] mechanism      qualifier = "+" / "-" / "?" / "~"
 *   mechanism = all / include / a / mx / ptr / ip4 / ip6 / exists
 *   a, mx     = name [ ":" domain-spec ] [ dual-cidr-length ]
 *   ptr       = "ptr" [ ":" domain-spec ]    include, exists = name ":" domain-spec
 *   ip4       = "ip4:" ip4-network [ "/" 0-32 ]   ip6 = "ip6:" ip6-network [ "/" 0-128 ]
 *   modifier  = redirect / explanation / unknown-modifier    (name "=" ...)
 *   name      = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." )
 *   domain-spec = macro-string domain-end
 *   domain-end  = ( "." toplabel [ "." ] ) / macro-expand
 *   toplabel    = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
 *
 * Names are case-insensitive. Only SP separates terms. The whole record is
 * checked before any evaluation: one bad term makes the record a permerror.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "spf/macro.h"
#include "spf/record_internal.h"
#include "util/error.h"

static const char *const kind_names[] = {
    [EMAUTH_SPF_ALL] = "all",         [EMAUTH_SPF_INCLUDE] = "include",
    [EMAUTH_SPF_A] = "a",             [EMAUTH_SPF_MX] = "mx",
    [EMAUTH_SPF_PTR] = "ptr",         [EMAUTH_SPF_IP4] = "ip4",
    [EMAUTH_SPF_IP6] = "ip6",         [EMAUTH_SPF_EXISTS] = "exists",
    [EMAUTH_SPF_REDIRECT] = "redirect", [EMAUTH_SPF_EXP] = "exp",
    [EMAUTH_SPF_UNKNOWN_MOD] = "unknown-modifier",
};

const char *emauth_spf_term_kind_name(emauth_spf_term_kind kind)
{
    if ((unsigned)kind >= sizeof kind_names / sizeof kind_names[0])
        return "?";
    return kind_names[kind];
}

static int ieq(const char *a, size_t alen, const char *lit)
{
    size_t n = strlen(lit);
    if (alen != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((a[i] | 0x20) != lit[i])
            return 0;
    return 1;
}

int emauth_spf_is_record(const char *text, size_t len)
{
    return len >= 6 && ieq(text, 6, "v=spf1") && (len == 6 || text[6] == ' ');
}

/* The term being parsed, for error messages. */
typedef struct cursor {
    const char *t;       /* term text */
    size_t len;
    unsigned column;
    emauth_error *err;
} cursor;

static emauth_status term_error(const cursor *c, const char *what)
{
    char q[96];
    return ea_error(c->err, EMAUTH_ERR_SYNTAX, 0, c->column,
                    "syntax error at column %u, term \"%s\": %s", c->column,
                    ea_quote(q, sizeof q, c->t, c->len, 64), what);
}

static int is_alnum(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

/* toplabel: alphanumerics and inner hyphens, at least one letter. */
static int toplabel_ok(const char *s, size_t len)
{
    int alpha = 0;
    if (len == 0 || s[0] == '-' || s[len - 1] == '-')
        return 0;
    for (size_t i = 0; i < len; i++) {
        if (!is_alnum(s[i]) && s[i] != '-')
            return 0;
        alpha |= isalpha((unsigned char)s[i]) != 0;
    }
    return alpha;
}

/* 1 when s ends in a macro-expand ("%{...}", "%%", "%_", "%-"), checked string. */
static int ends_with_macro(const char *s, size_t len)
{
    if (len >= 2 && s[len - 1] == '}') {
        for (size_t i = len - 1; i-- > 0;)
            if (s[i] == '{')
                return i > 0 && s[i - 1] == '%';
        return 0;
    }
    if (len < 2 || (s[len - 1] != '%' && s[len - 1] != '_' && s[len - 1] != '-'))
        return 0;
    /* the final pair is an escape only if an odd run of '%' precedes it */
    size_t run = 0;
    for (size_t i = len - 1; i-- > 0 && s[i] == '%';)
        run++;
    return run % 2 == 1;
}

static emauth_status check_domain_spec(const cursor *c, const char *s, size_t len)
{
    size_t bad;
    const char *what;
    if (len == 0)
        return term_error(c, "empty domain-spec");
    if (ea_macro_check(s, len, EA_MACRO_DOMAIN, &bad, &what) != EMAUTH_OK)
        return term_error(c, what);
    if (ends_with_macro(s, len))
        return EMAUTH_OK;
    if (s[len - 1] == '.')
        len--;
    const char *dot = NULL;
    for (size_t i = len; i-- > 0;)
        if (s[i] == '.') {
            dot = s + i;
            break;
        }
    if (dot == NULL || !toplabel_ok(dot + 1, (size_t)(s + len - dot - 1)))
        return term_error(c, "domain-spec must end in a macro or a valid top label");
    return EMAUTH_OK;
}

/* Parses "/N" with no leading zero and N <= max at s[*i]. */
static int parse_cidr(const char *s, size_t len, size_t *i, unsigned max, uint8_t *out)
{
    size_t p = *i + 1, start = p;
    unsigned v = 0;
    while (p < len && s[p] >= '0' && s[p] <= '9' && p - start < 4)
        v = v * 10 + (unsigned)(s[p++] - '0');
    if (p == start || (p != len && s[p] != '/') || (s[start] == '0' && p - start > 1) || v > max)
        return -1;
    *out = (uint8_t)v;
    *i = p;
    return 0;
}

/* Splits a trailing dual-cidr-length ("/24", "//64", "/24//64") off s. */
static emauth_status split_dual_cidr(const cursor *c, emauth_spf_term *t, size_t *speclen,
                                     const char *s, size_t len)
{
    size_t slash = len;
    /* the cidr part is the shortest suffix of "/" digits groups */
    for (size_t i = len; i-- > 0;) {
        if (s[i] == '/')
            slash = i;
        else if (!(s[i] >= '0' && s[i] <= '9'))
            break;
    }
    *speclen = slash;
    size_t i = slash;
    if (i < len && !(i + 1 < len && s[i + 1] == '/')) {
        if (parse_cidr(s, len, &i, 32, &t->cidr4) != 0)
            return term_error(c, "bad IPv4 prefix length (0-32)");
    }
    if (i < len) {
        if (!(i + 1 < len && s[i + 1] == '/'))
            return term_error(c, "bad prefix length");
        i++;
        if (parse_cidr(s, len, &i, 128, &t->cidr6) != 0 || i != len)
            return term_error(c, "bad IPv6 prefix length (0-128)");
    }
    return EMAUTH_OK;
}

static emauth_status parse_ip_mech(const cursor *c, emauth_spf_term *t, const char *arg,
                                   size_t len)
{
    int v4 = t->kind == EMAUTH_SPF_IP4;
    const char *slash = memchr(arg, '/', len);
    size_t alen = slash ? (size_t)(slash - arg) : len;
    if (emauth_ip_parse_family(arg, alen, v4 ? 4 : 6, &t->ip) != EMAUTH_OK)
        return term_error(c, v4 ? "expected an IPv4 address" : "expected an IPv6 address");
    if (slash) {
        size_t i = alen;
        if (parse_cidr(arg, len, &i, v4 ? 32 : 128, v4 ? &t->cidr4 : &t->cidr6) != 0 || i != len)
            return term_error(c, v4 ? "bad IPv4 prefix length (0-32)"
                                    : "bad IPv6 prefix length (0-128)");
    }
    return EMAUTH_OK;
}

static emauth_status parse_modifier(const cursor *c, emauth_spf_term *t, size_t eq)
{
    const char *name = c->t, *val = c->t + eq + 1;
    size_t vlen = c->len - eq - 1;
    if (!isalpha((unsigned char)name[0]))
        return term_error(c, "modifier name must start with a letter");
    for (size_t i = 1; i < eq; i++)
        if (!is_alnum(name[i]) && name[i] != '-' && name[i] != '_' && name[i] != '.')
            return term_error(c, "bad character in modifier name");
    t->spec = val;
    t->spec_len = vlen;
    if (ieq(name, eq, "redirect") || ieq(name, eq, "exp")) {
        t->kind = ieq(name, eq, "exp") ? EMAUTH_SPF_EXP : EMAUTH_SPF_REDIRECT;
        return check_domain_spec(c, val, vlen);
    }
    t->kind = EMAUTH_SPF_UNKNOWN_MOD;
    t->name = name;
    t->name_len = eq;
    size_t bad;
    const char *what;
    if (ea_macro_check(val, vlen, EA_MACRO_EXP, &bad, &what) != EMAUTH_OK)
        return term_error(c, what);
    return EMAUTH_OK;
}

static const struct { const char *name; emauth_spf_term_kind kind; } mechs[] = {
    {"all", EMAUTH_SPF_ALL}, {"include", EMAUTH_SPF_INCLUDE}, {"a", EMAUTH_SPF_A},
    {"mx", EMAUTH_SPF_MX},   {"ptr", EMAUTH_SPF_PTR},         {"ip4", EMAUTH_SPF_IP4},
    {"ip6", EMAUTH_SPF_IP6}, {"exists", EMAUTH_SPF_EXISTS},
};

static emauth_status parse_mechanism(const cursor *c, emauth_spf_term *t, size_t off)
{
    const char *s = c->t + off;
    size_t len = c->len - off, n = 0;
    while (n < len && s[n] != ':' && s[n] != '/')
        n++;
    size_t k;
    for (k = 0; k < sizeof mechs / sizeof mechs[0]; k++)
        if (ieq(s, n, mechs[k].name))
            break;
    if (k == sizeof mechs / sizeof mechs[0])
        return term_error(c, "unknown mechanism");
    t->kind = mechs[k].kind;
    int colon = n < len && s[n] == ':';
    const char *arg = s + n + colon;
    size_t alen = len - n - colon;
    switch (t->kind) {
    case EMAUTH_SPF_ALL:
        return n == len ? EMAUTH_OK : term_error(c, "\"all\" takes no argument");
    case EMAUTH_SPF_IP4:
    case EMAUTH_SPF_IP6:
        if (!colon)
            return term_error(c, "expected ':' and an address");
        return parse_ip_mech(c, t, arg, alen);
    case EMAUTH_SPF_INCLUDE:
    case EMAUTH_SPF_EXISTS:
    case EMAUTH_SPF_PTR:
        if (t->kind == EMAUTH_SPF_PTR && n == len)
            return EMAUTH_OK;
        if (!colon)
            return term_error(c, "expected ':' and a domain-spec");
        t->spec = arg;
        t->spec_len = alen;
        return check_domain_spec(c, arg, alen);
    default: {   /* a, mx */
        size_t speclen;
        emauth_status st = split_dual_cidr(c, t, &speclen, arg, alen);
        if (st != EMAUTH_OK)
            return st;
        if (!colon) {
            if (speclen != 0)
                return term_error(c, "expected ':' or '/' after the mechanism name");
            return EMAUTH_OK;
        }
        t->spec = arg;
        t->spec_len = speclen;
        return check_domain_spec(c, arg, speclen);
    }
    }
}

static emauth_status parse_term(const cursor *c, emauth_spf_term *t)
{
    memset(t, 0, sizeof *t);
    t->text = c->t;
    t->text_len = c->len;
    t->column = c->column;
    t->qualifier = '+';
    t->cidr4 = 32;
    t->cidr6 = 128;
    for (size_t i = 0; i < c->len; i++)
        if ((unsigned char)c->t[i] < 0x21 || (unsigned char)c->t[i] > 0x7e)
            return term_error(c, "character outside printable US-ASCII");
    size_t name_end = 0;
    while (name_end < c->len && c->t[name_end] != '=' && c->t[name_end] != ':' &&
           c->t[name_end] != '/')
        name_end++;
    if (name_end < c->len && c->t[name_end] == '=')
        return parse_modifier(c, t, name_end);
    size_t off = 0;
    if (strchr("+-~?", c->t[0]) != NULL) {
        t->qualifier = c->t[0];
        off = 1;
    }
    return parse_mechanism(c, t, off);
}

static int is_dns_term(emauth_spf_term_kind k)
{
    return k == EMAUTH_SPF_INCLUDE || k == EMAUTH_SPF_A || k == EMAUTH_SPF_MX ||
           k == EMAUTH_SPF_PTR || k == EMAUTH_SPF_EXISTS || k == EMAUTH_SPF_REDIRECT;
}

/* Records the term in rec; a second redirect= or exp= is an error (§6). */
static emauth_status add_term(const cursor *c, emauth_spf_record *rec, emauth_spf_term *t)
{
    if (t->kind == EMAUTH_SPF_REDIRECT || t->kind == EMAUTH_SPF_EXP) {
        const emauth_spf_term **slot = t->kind == EMAUTH_SPF_REDIRECT ? &rec->redirect : &rec->exp;
        if (*slot != NULL)
            return term_error(c, t->kind == EMAUTH_SPF_REDIRECT ? "redirect= appears twice"
                                                                : "exp= appears twice");
        *slot = t;
    }
    rec->dns_terms += is_dns_term(t->kind);
    rec->nterms++;
    return EMAUTH_OK;
}

emauth_status ea_spf_parse(ea_arena *arena, const char *text, size_t len,
                           emauth_spf_record *rec, emauth_error *err)
{
    memset(rec, 0, sizeof *rec);
    rec->text = text;
    rec->text_len = len;
    if (!emauth_spf_is_record(text, len))
        return ea_error(err, EMAUTH_ERR_SYNTAX, 0, 1,
                        "syntax error at column 1: the record must start with \"v=spf1\"");
    size_t max = 0;
    for (size_t i = 6; i < len; i++)
        max += text[i] == ' ';
    emauth_spf_term *terms = max ? ea_arena_alloc(arena, max * sizeof *terms) : NULL;
    if (max && terms == NULL)
        return ea_error(err, EMAUTH_ERR_NOMEM, 0, 0, "out of memory");
    rec->terms = terms;
    for (size_t i = 6; i < len;) {
        if (text[i] == ' ') {
            i++;
            continue;
        }
        const char *sp = memchr(text + i, ' ', len - i);
        size_t tlen = sp ? (size_t)(sp - text) - i : len - i;
        cursor c = {text + i, tlen, (unsigned)i + 1, err};
        emauth_spf_term *t = &terms[rec->nterms];
        emauth_status st = parse_term(&c, t);
        if (st == EMAUTH_OK)
            st = add_term(&c, rec, t);
        t->spec_has_macro = t->spec != NULL && memchr(t->spec, '%', t->spec_len) != NULL;
        if (st != EMAUTH_OK) {
            memset(rec, 0, sizeof *rec);
            return st;
        }
        i += tlen;
    }
    return EMAUTH_OK;
}

/* A parsed record with the arena that holds its terms and text. */
typedef struct owned_record {
    emauth_spf_record rec;   /* first: the public pointer is this struct's */
    ea_arena arena;
} owned_record;

emauth_status emauth_spf_record_parse(const char *text, size_t len, emauth_spf_record **out,
                                      emauth_error *err)
{
    *out = NULL;
    owned_record *o = malloc(sizeof *o);
    if (o == NULL)
        return ea_error(err, EMAUTH_ERR_NOMEM, 0, 0, "out of memory");
    ea_arena_init(&o->arena);
    char *copy = ea_arena_strndup(&o->arena, text, len);
    emauth_status st = copy ? ea_spf_parse(&o->arena, copy, len, &o->rec, err)
                            : ea_error(err, EMAUTH_ERR_NOMEM, 0, 0, "out of memory");
    if (st != EMAUTH_OK) {
        emauth_spf_record_free(&o->rec);
        return st;
    }
    *out = &o->rec;
    return EMAUTH_OK;
}

void emauth_spf_record_free(emauth_spf_record *rec)
{
    if (rec == NULL)
        return;
    owned_record *o = (owned_record *)rec;
    ea_arena_free(&o->arena);
    free(o);
}
