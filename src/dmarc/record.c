/*
 * DMARC policy records (RFC 9989 §4.7-§4.8; RFC 7489 §6.3).
 *
 *   dmarc-record  = dmarc-version *(dmarc-sep dmarc-tag) [dmarc-sep]
 *   dmarc-version = "v" equals %s"DMARC1"          ; the value case-sensitive
 *   dmarc-request = "none" / "quarantine" / "reject"   ; p sp np
 *   dmarc-yorn    = "y" / "n"                      ; t
 *   dmarc-psd     = "y" / "n" / "u"                ; psd
 *   dmarc-rors    = "r" / "s"                      ; adkim aspf
 *   dmarc-urilist = uri ["!" 1*DIGIT ["k"/"m"/"g"/"t"]] *(*WSP "," *WSP ...)
 *   dmarc-fo      = "0" / "1" / "d" / "s", colon-separated, 0 and 1 exclusive
 *   7489 only:      pct = 1*3DIGIT (0-100), rf = afrf list, ri = 1*DIGIT (uint32)
 *
 * The tag=value grammar is the shared one (util/tagvalue.h). ABNF quoted
 * strings are case-insensitive (RFC 5234 §2.3), so tag names and the
 * keyword values are compared ignoring case; only "DMARC1" is exact.
 *
 * One lenient parser: every problem is an issue and bad values keep their
 * defaults (RFC 9989 §4.8: "syntax errors in the remainder of the record
 * MUST be discarded in favor of default values"). The public parser turns
 * the issues that the contract calls syntax errors into EMAUTH_ERR_SYNTAX.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <emauth/dmarc.h>
#include "dmarc/record_internal.h"
#include "spf/names.h"
#include "util/error.h"
#include "util/tagvalue.h"

const char *emauth_dmarc_policy_name(emauth_dmarc_policy p)
{
    switch (p) {
    case EMAUTH_DMARC_P_NONE: return "none";
    case EMAUTH_DMARC_P_QUARANTINE: return "quarantine";
    case EMAUTH_DMARC_P_REJECT: return "reject";
    }
    return "unknown";
}

static int is_wsp(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

int emauth_dmarc_is_record(const char *text, size_t len)
{
    size_t i = 0;
    if (text == NULL || len == 0 || (text[0] != 'v' && text[0] != 'V'))
        return 0;
    i = 1;
    while (i < len && (text[i] == ' ' || text[i] == '\t'))
        i++;
    if (i >= len || text[i] != '=')
        return 0;
    i++;
    while (i < len && (text[i] == ' ' || text[i] == '\t'))
        i++;
    if (len - i < 6 || memcmp(text + i, "DMARC1", 6) != 0)
        return 0;
    i += 6;
    while (i < len && (text[i] == ' ' || text[i] == '\t'))
        i++;
    return i == len || text[i] == ';';
}

/* ---- issues --------------------------------------------------------------- */

static void issue(ea_dmarc_parsed *p, ea_dmarc_issue_kind kind, const ea_tag *t, unsigned column,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void issue(ea_dmarc_parsed *p, ea_dmarc_issue_kind kind, const ea_tag *t, unsigned column,
                  const char *fmt, ...)
{
    if (kind == EA_DI_FATAL)
        p->fatal = 1;
    if (p->nissues == EA_DMARC_MAX_ISSUES)
        return;
    ea_dmarc_issue *is = &p->issues[p->nissues++];
    is->kind = kind;
    is->tag = t != NULL ? ea_arena_strndup(&p->arena, t->name, t->name_len) : NULL;
    is->column = column;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(is->message, sizeof is->message, fmt, ap);
    va_end(ap);
}

/* The value quoted for a message (attacker bytes, bounded). */
static const char *qv(char *buf, size_t size, const ea_tag *t)
{
    return ea_quote(buf, size, t->value, t->value_len, 40);
}

static unsigned value_column(const ea_tag *t, size_t off)
{
    return t->column + (unsigned)(t->value - t->name) + (unsigned)off;
}

static int name_is(const ea_tag *t, const char *name)
{
    return ea_ieq_n(t->name, t->name_len, name, strlen(name));
}

static int value_is(const ea_tag *t, const char *v)
{
    return ea_ieq_n(t->value, t->value_len, v, strlen(v));
}

/* ---- values --------------------------------------------------------------- */

static int parse_request(const ea_tag *t, emauth_dmarc_policy *out)
{
    if (value_is(t, "none"))
        *out = EMAUTH_DMARC_P_NONE;
    else if (value_is(t, "quarantine"))
        *out = EMAUTH_DMARC_P_QUARANTINE;
    else if (value_is(t, "reject"))
        *out = EMAUTH_DMARC_P_REJECT;
    else
        return 0;
    return 1;
}

static void do_policy(ea_dmarc_parsed *p, const ea_tag *t, emauth_dmarc_policy *out, int *has)
{
    char q[64];
    if (parse_request(t, out)) {
        *has = 1;
        return;
    }
    p->bad_policy = 1;
    issue(p, EA_DI_VALUE, t, t->column,
          "%.*s=%s: not none, quarantine or reject", (int)t->name_len, t->name, qv(q, sizeof q, t));
}

static void do_flag(ea_dmarc_parsed *p, const ea_tag *t, const char *allowed, int *out)
{
    char q[64];
    if (t->value_len == 1 && t->value[0] != '\0' && strchr(allowed, lower(t->value[0])) != NULL) {
        *out = lower(t->value[0]);
        return;
    }
    issue(p, EA_DI_VALUE, t, t->column, "%.*s=%s: not one of %s", (int)t->name_len, t->name,
          qv(q, sizeof q, t), allowed);
}

static void do_pct(ea_dmarc_parsed *p, const ea_tag *t)
{
    char q[64];
    unsigned v = 0;
    int ok = t->value_len >= 1 && t->value_len <= 3;
    for (size_t i = 0; ok && i < t->value_len; i++) {
        if (!is_digit(t->value[i]))
            ok = 0;
        else
            v = v * 10 + (unsigned)(t->value[i] - '0');
    }
    if (ok && v <= 100) {
        p->pub.pct = v;
        return;
    }
    issue(p, EA_DI_VALUE, t, t->column, "pct=%s: not an integer from 0 to 100",
          qv(q, sizeof q, t));
}

/* fo: 0 1 d s, colon-separated, each at most once, 0 and 1 exclusive. */
static void do_fo(ea_dmarc_parsed *p, const ea_tag *t)
{
    char q[64];
    int seen[4] = {0, 0, 0, 0};
    size_t i = 0;
    int ok = t->value_len > 0;
    while (ok && i < t->value_len) {
        size_t j = i;
        while (j < t->value_len && t->value[j] != ':')
            j++;
        static const char fok[] = "01ds";
        const char *k = t->value[i] ? strchr(fok, lower(t->value[i])) : NULL;
        if (j - i != 1 || k == NULL || seen[k - fok]++)
            ok = 0;
        if (j < t->value_len && j + 1 == t->value_len)
            ok = 0;          /* a trailing ':' */
        i = j + 1;
    }
    if (ok && seen[0] && seen[1])
        ok = 0;
    if (ok) {
        p->pub.fo = ea_arena_strndup(&p->arena, t->value, t->value_len);
        return;
    }
    issue(p, EA_DI_SOFT, t, t->column, "fo=%s: not a colon-separated list of 0, 1, d, s",
          qv(q, sizeof q, t));
}

static void do_ri(ea_dmarc_parsed *p, const ea_tag *t)
{
    char q[64];
    uint64_t v = 0;
    int ok = t->value_len >= 1 && t->value_len <= 10;
    for (size_t i = 0; ok && i < t->value_len; i++) {
        if (!is_digit(t->value[i]))
            ok = 0;
        else
            v = v * 10 + (uint64_t)(t->value[i] - '0');
    }
    if (!ok || v > 0xffffffffu)
        issue(p, EA_DI_SOFT, t, t->column, "ri=%s: not a 32-bit interval in seconds",
              qv(q, sizeof q, t));
}

static void do_rf(ea_dmarc_parsed *p, const ea_tag *t)
{
    char q[64];
    size_t i = 0;
    int ok = t->value_len > 0;
    while (ok && i < t->value_len) {
        size_t j = i;
        while (j < t->value_len && t->value[j] != ':') {
            if (!is_alpha(t->value[j]) && !is_digit(t->value[j]) && t->value[j] != '-')
                ok = 0;
            j++;
        }
        if (j == i || (j < t->value_len && j + 1 == t->value_len))
            ok = 0;
        i = j + 1;
    }
    if (!ok)
        issue(p, EA_DI_SOFT, t, t->column, "rf=%s: not a colon-separated list of formats",
              qv(q, sizeof q, t));
}

/* ---- URIs ----------------------------------------------------------------- */

static int uri_char(char c)
{
    return is_alpha(c) || is_digit(c) || (c != '\0' && strchr("-._~:/?#[]@$&'()*+;=%", c));
}

static int hexd(char c)
{
    return is_digit(c) || (lower(c) >= 'a' && lower(c) <= 'f');
}

/* RFC 3986 absolute URI, loosely: scheme ":" 1*(uri chars, %HH). */
static int uri_ok(const char *s, size_t n)
{
    size_t i = 0;
    if (n == 0 || !is_alpha(s[0]))
        return 0;
    while (i < n && (is_alpha(s[i]) || is_digit(s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.'))
        i++;
    if (i == n || s[i] != ':' || i + 1 == n)
        return 0;
    for (i++; i < n; i++) {
        if (!uri_char(s[i]))
            return 0;
        if (s[i] == '%' && (n - i < 3 || !hexd(s[i + 1]) || !hexd(s[i + 2])))
            return 0;
    }
    return 1;
}

/* The domain of mailto:local@domain[?...], checked; NULL when malformed. */
static const char *mailto_domain(ea_dmarc_parsed *p, const char *s, size_t n, int *bad)
{
    *bad = 0;
    if (n < 7 || !ea_ieq_n(s, 7, "mailto:", 7))
        return NULL;
    size_t end = 7;
    while (end < n && s[end] != '?')
        end++;
    size_t at = end;
    while (at > 7 && s[at - 1] != '@')
        at--;
    if (at == 7 || at - 1 == 7) {
        *bad = 1;       /* no '@', or nothing before it */
        return NULL;
    }
    const char *d = s + at;
    size_t dl = end - at;
    if (dl && d[dl - 1] == '.')
        dl--;
    for (size_t i = 0; i < dl; i++)
        if (!is_alpha(d[i]) && !is_digit(d[i]) && d[i] != '-' && d[i] != '.' && d[i] != '_') {
            *bad = 1;
            return NULL;
        }
    if (!ea_name_ok(d, dl, 1)) {
        *bad = 1;
        return NULL;
    }
    char *out = ea_arena_strndup(&p->arena, d, dl);
    if (out != NULL)
        for (size_t i = 0; i < dl; i++)
            out[i] = lower(out[i]);
    return out;
}

/* One "uri[!size]" item; 1 and *u filled when valid. */
static int parse_uri(ea_dmarc_parsed *p, const ea_tag *t, const char *s, size_t n,
                     emauth_dmarc_uri *u, unsigned col)
{
    char q[96];
    size_t bang = 0;
    while (bang < n && s[bang] != '!')
        bang++;
    uint64_t size = 0;
    if (bang < n) {
        size_t i = bang + 1;
        int ok = i < n && is_digit(s[i]);
        while (ok && i < n && is_digit(s[i])) {
            if (size > (UINT64_MAX - 9) / 10)
                ok = 0;
            else
                size = size * 10 + (uint64_t)(s[i] - '0');
            i++;
        }
        if (ok && i < n) {
            static const char units[] = "kmgt";
            const char *k = strchr(units, lower(s[i]));
            if (k == NULL || s[i] == '\0' || i + 1 != n) {
                ok = 0;
            } else {
                unsigned shift = 10u * (unsigned)(k - units + 1);
                if (size > (UINT64_MAX >> shift))
                    ok = 0;
                else
                    size <<= shift;
            }
        }
        if (!ok) {
            issue(p, EA_DI_URI, t, col, "%.*s: bad size limit in %s", (int)t->name_len, t->name,
                  ea_quote(q, sizeof q, s, n, 60));
            return 0;
        }
    }
    int bad = 0;
    const char *dom = NULL;
    if (uri_ok(s, bang))
        dom = mailto_domain(p, s, bang, &bad);
    else
        bad = 1;
    if (bad) {
        issue(p, EA_DI_URI, t, col, "%.*s: %s is not a valid URI", (int)t->name_len, t->name,
              ea_quote(q, sizeof q, s, bang, 60));
        return 0;
    }
    u->uri = ea_arena_strndup(&p->arena, s, bang);
    u->domain = dom;
    u->max_size = size;
    return 1;
}

static void do_uris(ea_dmarc_parsed *p, const ea_tag *t, const emauth_dmarc_uri **list, size_t *count)
{
    emauth_dmarc_uri tmp[EA_DMARC_MAX_URIS];
    size_t n = 0, i = 0;
    const char *v = t->value;
    size_t len = t->value_len;
    while (i <= len) {
        size_t j = i;
        while (j < len && v[j] != ',')
            j++;
        size_t a = i, b = j;
        while (a < b && is_wsp(v[a]))
            a++;
        while (b > a && is_wsp(v[b - 1]))
            b--;
        unsigned col = value_column(t, a);
        if (a == b) {
            issue(p, EA_DI_URI, t, col, "%.*s: empty URI in the list", (int)t->name_len, t->name);
        } else if (n == EA_DMARC_MAX_URIS) {
            issue(p, EA_DI_SOFT, t, col, "%.*s: more than %d URIs; the rest are ignored",
                  (int)t->name_len, t->name, EA_DMARC_MAX_URIS);
            break;
        } else if (parse_uri(p, t, v + a, b - a, &tmp[n], col)) {
            n++;
        }
        i = j + 1;
    }
    if (n == 0)
        return;
    emauth_dmarc_uri *out = ea_arena_alloc(&p->arena, n * sizeof *out);
    if (out == NULL)
        return;
    memcpy(out, tmp, n * sizeof *out);
    *list = out;
    *count = n;
}

/* ---- the record ----------------------------------------------------------- */

void ea_dmarc_parsed_free(ea_dmarc_parsed *p)
{
    if (p == NULL)
        return;
    ea_arena_free(&p->arena);
    free(p);
}

/*
 * RFC 9989 §4.8: syntax errors after v= are discarded, not fatal. work is
 * a copy of the record: each tag that breaks the tag=value grammar (a byte
 * outside tag-value, a tag with no '=') is named in an issue, then blanked
 * out with the ';' before it, and the list parsed again, so p= still
 * applies and columns stay those of the record. Returns -1 (a fatal issue)
 * when the first tag is at fault, or blanking does not help.
 */
static int parse_tags(ea_dmarc_parsed *p, char *work, size_t len, ea_tag *tags, size_t *n)
{
    for (;;) {
        emauth_error err;
        emauth_error_clear(&err);
        if (ea_tags_parse(work, len, tags, EA_DMARC_MAX_TAGS, n, &err) == EMAUTH_OK)
            return 0;
        size_t at = err.column > 0 && err.column <= len ? err.column - 1 : len;
        size_t start = at;   /* the ';' before the tag at fault */
        while (start > 0 && work[start - 1] != ';')
            start--;
        size_t end = at;     /* the ';' after it, or the end */
        while (end < len && work[end] != ';')
            end++;
        int blank = 1;
        for (size_t k = start; k < end && blank; k++)
            blank = work[k] == ' ' || work[k] == '\t';
        if (start == 0 || blank) {
            issue(p, EA_DI_FATAL, NULL, err.column, "%s", err.message);
            return -1;
        }
        issue(p, EA_DI_VALUE, NULL, err.column, "%s; the tag is ignored", err.message);
        memset(work + start - 1, ' ', end - start + 1);
    }
}

emauth_status ea_dmarc_parse(const char *text, size_t len, emauth_dmarc_mode mode,
                             ea_dmarc_parsed **out)
{
    *out = NULL;
    ea_dmarc_parsed *p = calloc(1, sizeof *p);
    if (p == NULL)
        return EMAUTH_ERR_NOMEM;
    ea_arena_init(&p->arena);
    char *copy = ea_arena_strndup(&p->arena, text != NULL ? text : "", text != NULL ? len : 0);
    if (copy == NULL) {
        ea_dmarc_parsed_free(p);
        return EMAUTH_ERR_NOMEM;
    }
    emauth_dmarc_record *r = &p->pub;
    r->text = copy;
    r->p = r->sp = r->np = EMAUTH_DMARC_P_NONE;
    r->adkim = r->aspf = 'r';
    r->psd = 'u';
    r->pct = 100;

    ea_tag tags[EA_DMARC_MAX_TAGS];
    size_t n = 0;
    char *work;
    if (memchr(copy, '\0', len) != NULL) {
        issue(p, EA_DI_FATAL, NULL, (unsigned)strlen(copy) + 1, "a NUL byte in the record");
    } else if ((work = ea_arena_strndup(&p->arena, copy, len)) == NULL) {
        ea_dmarc_parsed_free(p);
        return EMAUTH_ERR_NOMEM;
    } else if (parse_tags(p, work, len, tags, &n) != 0) {
        /* the first tag is broken: the issue says where */
    } else if (n == 0 || !name_is(&tags[0], "v") || tags[0].value_len != 6 ||
               memcmp(tags[0].value, "DMARC1", 6) != 0) {
        issue(p, EA_DI_FATAL, n ? &tags[0] : NULL, n ? tags[0].column : 1,
              "the record must start with v=DMARC1");
    }
    for (size_t i = 1; !p->fatal && i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (ea_ieq_n(tags[i].name, tags[i].name_len, tags[j].name, tags[j].name_len)) {
                issue(p, EA_DI_FATAL, &tags[i], tags[i].column, "tag \"%.*s\" appears twice",
                      (int)tags[i].name_len, tags[i].name);
                break;
            }
    if (p->fatal) {
        *out = p;
        return EMAUTH_OK;
    }

    int psd = 'u', testing = 'n';
    char adkim = 'r', aspf = 'r';
    for (size_t i = 1; i < n; i++) {
        const ea_tag *t = &tags[i];
        int f;
        if (name_is(t, "p")) {
            do_policy(p, t, &r->p, &r->has_p);
        } else if (name_is(t, "sp")) {
            do_policy(p, t, &r->sp, &r->has_sp);
        } else if (name_is(t, "adkim") || name_is(t, "aspf")) {
            f = 'r';
            do_flag(p, t, "rs", &f);
            if (name_is(t, "adkim"))
                adkim = (char)f;
            else
                aspf = (char)f;
        } else if (name_is(t, "rua")) {
            do_uris(p, t, &r->rua, &r->nrua);
        } else if (name_is(t, "ruf")) {
            do_uris(p, t, &r->ruf, &r->nruf);
        } else if (name_is(t, "fo")) {
            do_fo(p, t);
        } else if (mode == EMAUTH_DMARC_9989) {
            if (name_is(t, "np")) {
                do_policy(p, t, &r->np, &r->has_np);
            } else if (name_is(t, "psd")) {
                do_flag(p, t, "ynu", &psd);
            } else if (name_is(t, "t")) {
                do_flag(p, t, "yn", &testing);
            } else if (name_is(t, "pct") || name_is(t, "rf") || name_is(t, "ri")) {
                issue(p, EA_DI_REMOVED, t, t->column,
                      "%.*s= was removed by RFC 9989 and is ignored", (int)t->name_len, t->name);
            }
        } else {
            if (name_is(t, "pct"))
                do_pct(p, t);
            else if (name_is(t, "rf"))
                do_rf(p, t);
            else if (name_is(t, "ri"))
                do_ri(p, t);
        }
    }
    r->adkim = adkim;
    r->aspf = aspf;
    r->psd = psd;
    r->testing = testing == 'y';
    if (!r->has_sp)
        r->sp = r->p;
    if (!r->has_np)
        r->np = r->sp;
    *out = p;
    return EMAUTH_OK;
}

const ea_dmarc_issue *ea_dmarc_first_syntax(const ea_dmarc_parsed *p)
{
    for (size_t i = 0; i < p->nissues; i++)
        if (p->issues[i].kind == EA_DI_FATAL || p->issues[i].kind == EA_DI_VALUE)
            return &p->issues[i];
    return NULL;
}

emauth_status emauth_dmarc_record_parse(const char *text, size_t len, emauth_dmarc_mode mode,
                                        emauth_dmarc_record **out, emauth_error *err)
{
    if (out == NULL)
        return ea_error(err, EMAUTH_ERR_INVALID, 0, 0, "no output");
    *out = NULL;
    if (text == NULL)
        return ea_error(err, EMAUTH_ERR_INVALID, 0, 0, "no record");
    ea_dmarc_parsed *p;
    if (ea_dmarc_parse(text, len, mode, &p) != EMAUTH_OK)
        return ea_error(err, EMAUTH_ERR_NOMEM, 0, 0, "out of memory");
    const ea_dmarc_issue *is = ea_dmarc_first_syntax(p);
    if (is != NULL || p->fatal) {
        emauth_status st;
        if (is != NULL)
            st = ea_error(err, EMAUTH_ERR_SYNTAX, 0, is->column, "%s%s%s", is->tag ? "tag " : "",
                          is->tag ? is->tag : "", is->tag ? ": " : "");
        else
            st = ea_error(err, EMAUTH_ERR_SYNTAX, 0, 0, "syntax error");
        if (err != NULL && is != NULL) {
            size_t used = strlen(err->message);
            snprintf(err->message + used, sizeof err->message - used, "%s (column %u)",
                     is->message, is->column);
        }
        ea_dmarc_parsed_free(p);
        return st;
    }
    *out = &p->pub;
    return EMAUTH_OK;
}

void emauth_dmarc_record_free(emauth_dmarc_record *r)
{
    /* pub is the first member of ea_dmarc_parsed */
    ea_dmarc_parsed_free((ea_dmarc_parsed *)(void *)r);
}
