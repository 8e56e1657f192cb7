/*
 * Reading an Authentication-Results field value (RFC 8601 §2.2, §2.3):
 *
 *   authres-payload = [CFWS] authserv-id
 *                     [ CFWS authres-version ]
 *                     ( no-result / 1*resinfo ) [CFWS] CRLF
 *   authserv-id     = value
 *   authres-version = 1*DIGIT [CFWS]
 *   no-result       = [CFWS] ";" [CFWS] "none"
 *   resinfo         = [CFWS] ";" methodspec [ CFWS reasonspec ] [ CFWS 1*propspec ]
 *   methodspec      = [CFWS] method [CFWS] "=" [CFWS] result
 *   method          = Keyword [ [CFWS] "/" [CFWS] method-version ]
 *   method-version  = 1*DIGIT [CFWS]
 *   result          = Keyword
 *   reasonspec      = "reason" [CFWS] "=" [CFWS] value
 *   propspec        = ptype [CFWS] "." [CFWS] property [CFWS] "=" pvalue
 *   pvalue          = [CFWS] ( value / [ [ local-part ] "@" ] domain-name ) [CFWS]
 *   value           = token / quoted-string             (RFC 2045)
 *
 * Leniencies, because real fields have them: a value (authserv-id,
 * reason, pvalue) without quotes may hold any printable byte but white
 * space and ";()\"\\" ("header.b=ab/c+d=" as OpenDKIM writes it); a
 * trailing ";" is accepted; reason= may come after properties. A quoted
 * local part before "@domain" is kept with its quotes. Keywords are
 * letters, digits, '-' and '_' and are lower-cased (method, result,
 * ptype, property). Columns in errors are 1-based bytes of the value.
 *
 * Bounded: the value (FIELD_MAX), methods (METHODS_MAX), properties per
 * method (PROPS_MAX), comment nesting; everything lives in one arena.
 */
#include <stdlib.h>
#include <string.h>

#include <emauth/authres.h>

#include "util/arena.h"
#include "util/error.h"

#define FIELD_MAX 65536
#define METHODS_MAX 100
#define PROPS_MAX 100
#define COMMENT_DEPTH_MAX 32
#define VERSION_MAX 999999

typedef struct authres_doc {
    emauth_authres pub;      /* first: the handle the caller holds */
    ea_arena arena;
} authres_doc;

typedef struct cursor {
    const char *s;
    size_t len, off;
    emauth_error *err;
    ea_arena *arena;
} cursor;

#define TRY(expr) do { emauth_status st_ = (expr); if (st_ != EMAUTH_OK) return st_; } while (0)

static unsigned col(size_t off)
{
    return off + 1 > 0xffffffffu ? 0xffffffffu : (unsigned)(off + 1);
}

static emauth_status fail_at(cursor *c, size_t off, const char *what)
{
    return ea_error(c->err, EMAUTH_ERR_SYNTAX, 0, col(off),
                    "Authentication-Results: %s at column %u", what, col(off));
}

static emauth_status nomem(cursor *c)
{
    return ea_error(c->err, EMAUTH_ERR_NOMEM, 0, 0, "Authentication-Results: out of memory");
}

static int at_end(const cursor *c)
{
    return c->off >= c->len;
}

static unsigned char cur(const cursor *c)
{
    return (unsigned char)c->s[c->off];
}

static int is_wsp(unsigned char ch)
{
    return ch == ' ' || ch == '\t';
}

/* CRLF or LF followed by WSP (folding): bytes to skip, else 0. */
static size_t folding_len(const cursor *c)
{
    size_t n;
    if (cur(c) == '\r' && c->len - c->off >= 2 && c->s[c->off + 1] == '\n')
        n = 2;
    else if (cur(c) == '\n')
        n = 1;
    else
        return 0;
    return c->len - c->off > n && is_wsp((unsigned char)c->s[c->off + n]) ? n : 0;
}

static emauth_status bad_byte(cursor *c)
{
    if (cur(c) == '\r' || cur(c) == '\n')
        return fail_at(c, c->off, "a line break that is not folding");
    return ea_error(c->err, EMAUTH_ERR_SYNTAX, 0, col(c->off),
                    "Authentication-Results: a control byte 0x%02x at column %u", cur(c),
                    col(c->off));
}

static int is_ctl(unsigned char ch)
{
    return (ch < 0x20 && ch != '\t') || ch == 0x7f;
}

static emauth_status skip_comment(cursor *c)
{
    size_t open = c->off;
    unsigned depth = 0;
    while (!at_end(c)) {
        unsigned char ch = cur(c);
        size_t fold;
        if (ch == '(') {
            if (++depth > COMMENT_DEPTH_MAX)
                return fail_at(c, c->off, "comments nested too deep");
            c->off++;
        } else if (ch == ')') {
            c->off++;
            if (--depth == 0)
                return EMAUTH_OK;
        } else if (ch == '\\' && c->len - c->off >= 2 && !is_ctl((unsigned char)c->s[c->off + 1])) {
            c->off += 2;
        } else if ((fold = folding_len(c)) > 0) {
            c->off += fold;
        } else if (is_ctl(ch)) {
            return bad_byte(c);
        } else {
            c->off++;
        }
    }
    return fail_at(c, open, "an unterminated comment");
}

/* Skips CFWS; *any set when something was skipped. */
static emauth_status skip_cfws(cursor *c, int *any)
{
    size_t start = c->off;
    while (!at_end(c)) {
        size_t fold;
        if (is_wsp(cur(c)))
            c->off++;
        else if ((fold = folding_len(c)) > 0)
            c->off += fold;
        else if (cur(c) == '(')
            TRY(skip_comment(c));
        else
            break;
    }
    if (any != NULL)
        *any = c->off > start;
    return EMAUTH_OK;
}

static int is_keyword_char(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '-' || ch == '_';
}

/* A byte of an unquoted value (lenient token, see above). */
static int is_value_char(unsigned char ch)
{
    return ch > 0x20 && ch < 0x7f && strchr(";()\"\\", ch) == NULL;
}

/* Keyword, lower-cased into the arena; NULL *out with no error when absent. */
static emauth_status keyword(cursor *c, const char **out)
{
    size_t start = c->off;
    while (!at_end(c) && is_keyword_char(cur(c)))
        c->off++;
    *out = NULL;
    if (c->off == start)
        return EMAUTH_OK;
    char *k = ea_arena_strndup(c->arena, c->s + start, c->off - start);
    if (k == NULL)
        return nomem(c);
    for (char *p = k; *p != '\0'; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    *out = k;
    return EMAUTH_OK;
}

/* 1*DIGIT, bounded; -1 in *out when absent. */
static emauth_status number(cursor *c, int *out)
{
    size_t start = c->off;
    long v = 0;
    *out = -1;
    while (!at_end(c) && cur(c) >= '0' && cur(c) <= '9') {
        v = v * 10 + (cur(c) - '0');
        if (v > VERSION_MAX)
            return fail_at(c, start, "a version number too large");
        c->off++;
    }
    if (c->off > start)
        *out = (int)v;
    return EMAUTH_OK;
}

/*
 * A quoted-string at c->off; *out its content unescaped (keep_quotes: as
 * written, quotes and escapes kept, unfolded).
 */
static emauth_status quoted(cursor *c, int keep_quotes, const char **out)
{
    size_t open = c->off;
    char *v = ea_arena_alloc(c->arena, c->len - c->off + 1);
    size_t n = 0;
    if (v == NULL)
        return nomem(c);
    if (keep_quotes)
        v[n++] = '"';
    c->off++;
    while (!at_end(c)) {
        unsigned char ch = cur(c);
        size_t fold;
        if (ch == '"') {
            c->off++;
            if (keep_quotes)
                v[n++] = '"';
            v[n] = '\0';
            *out = v;
            return EMAUTH_OK;
        }
        if (ch == '\\') {
            if (c->len - c->off < 2 || is_ctl((unsigned char)c->s[c->off + 1]))
                break;
            if (keep_quotes)
                v[n++] = '\\';
            v[n++] = c->s[c->off + 1];
            c->off += 2;
        } else if ((fold = folding_len(c)) > 0) {
            c->off += fold;     /* unfolding: the WSP after it stays */
        } else if (is_ctl(ch)) {
            return bad_byte(c);
        } else {
            v[n++] = (char)ch;
            c->off++;
        }
    }
    return fail_at(c, open, "an unterminated quoted string");
}

/*
 * value / [[local-part] "@"] domain-name: a quoted-string (followed by
 * "@domain" when it was a local part) or a run of value bytes.
 */
static emauth_status value(cursor *c, const char *what, const char **out)
{
    if (at_end(c))
        return fail_at(c, c->off, what);
    if (cur(c) == '"') {
        size_t start = c->off;
        TRY(quoted(c, 0, out));
        if (!at_end(c) && cur(c) == '@') {
            c->off = start;
            const char *local;
            TRY(quoted(c, 1, &local));
            size_t dstart = c->off;
            c->off++;
            while (!at_end(c) && is_value_char(cur(c)))
                c->off++;
            size_t ll = strlen(local), dl = c->off - dstart;
            char *v = ea_arena_alloc(c->arena, ll + dl + 1);
            if (v == NULL)
                return nomem(c);
            memcpy(v, local, ll);
            memcpy(v + ll, c->s + dstart, dl);
            v[ll + dl] = '\0';
            *out = v;
        }
        return EMAUTH_OK;
    }
    size_t start = c->off;
    while (!at_end(c) && is_value_char(cur(c)))
        c->off++;
    if (c->off == start)
        return fail_at(c, start, what);
    *out = ea_arena_strndup(c->arena, c->s + start, c->off - start);
    return *out == NULL ? nomem(c) : EMAUTH_OK;
}

static emauth_status expect(cursor *c, char ch, const char *what)
{
    TRY(skip_cfws(c, NULL));
    if (at_end(c) || cur(c) != (unsigned char)ch)
        return fail_at(c, c->off, what);
    c->off++;
    return skip_cfws(c, NULL);
}

/* One resinfo after its ";": methodspec, reason, properties. */
static emauth_status resinfo(cursor *c, emauth_authres_method *m, emauth_authres_prop *props)
{
    size_t start = c->off;
    memset(m, 0, sizeof *m);
    m->version = 1;
    TRY(keyword(c, &m->method));
    if (m->method == NULL)
        return fail_at(c, start, "a method name expected");
    TRY(skip_cfws(c, NULL));
    if (!at_end(c) && cur(c) == '/') {
        c->off++;
        TRY(skip_cfws(c, NULL));
        size_t vstart = c->off;
        TRY(number(c, &m->version));
        if (m->version < 0)
            return fail_at(c, vstart, "a method version expected");
    }
    TRY(expect(c, '=', "'=' expected after the method"));
    size_t rstart = c->off;
    TRY(keyword(c, &m->result));
    if (m->result == NULL)
        return fail_at(c, rstart, "a result expected");

    size_t n = 0;
    for (;;) {
        int gap;
        TRY(skip_cfws(c, &gap));
        if (at_end(c) || cur(c) == ';')
            break;
        size_t kstart = c->off;
        if (!gap)
            return is_ctl(cur(c)) ? bad_byte(c) : fail_at(c, kstart, "white space expected");
        const char *ptype;
        TRY(keyword(c, &ptype));
        if (ptype == NULL)
            return fail_at(c, kstart, "a property expected");
        TRY(skip_cfws(c, NULL));
        if (strcmp(ptype, "reason") == 0 && !at_end(c) && cur(c) == '=') {
            if (m->reason != NULL)
                return fail_at(c, kstart, "a second reason");
            TRY(expect(c, '=', "'=' expected"));
            TRY(value(c, "a reason value expected", &m->reason));
            continue;
        }
        if (at_end(c) || cur(c) != '.')
            return fail_at(c, c->off, "'.' expected after the property type");
        c->off++;
        TRY(skip_cfws(c, NULL));
        size_t pstart = c->off;
        const char *property;
        TRY(keyword(c, &property));
        if (property == NULL)
            return fail_at(c, pstart, "a property name expected");
        TRY(expect(c, '=', "'=' expected after the property"));
        if (n == PROPS_MAX)
            return ea_error(c->err, EMAUTH_ERR_LIMIT, 0, col(kstart),
                            "Authentication-Results: more than %d properties at column %u",
                            PROPS_MAX, col(kstart));
        props[n].ptype = ptype;
        props[n].property = property;
        TRY(value(c, "a property value expected", &props[n].value));
        n++;
    }
    if (n > 0) {
        emauth_authres_prop *p = ea_arena_alloc(c->arena, n * sizeof *p);
        if (p == NULL)
            return nomem(c);
        memcpy(p, props, n * sizeof *p);
        m->props = p;
        m->nprops = n;
    }
    return EMAUTH_OK;
}

static int lower(int ch)
{
    return ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch;
}

/* 0 when s[0..n) equals the lower-case word w[0..n) without case. */
static int strncasecmp_ascii(const char *s, const char *w, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)s[i]) != (unsigned char)w[i])
            return 1;
    return 0;
}

static emauth_status payload(cursor *c, emauth_authres *a)
{
    emauth_authres_method methods[METHODS_MAX];
    emauth_authres_prop props[PROPS_MAX];
    size_t n = 0;

    a->version = 1;
    TRY(skip_cfws(c, NULL));
    TRY(value(c, "an authserv-id expected", &a->authserv_id));
    int gap;
    TRY(skip_cfws(c, &gap));
    if (gap && !at_end(c) && cur(c) >= '0' && cur(c) <= '9') {
        TRY(number(c, &a->version));
        TRY(skip_cfws(c, NULL));
    }
    if (at_end(c))
        return fail_at(c, c->off, "';' expected after the authserv-id");
    while (!at_end(c)) {
        if (cur(c) != ';')
            return fail_at(c, c->off, "';' expected");
        c->off++;
        TRY(skip_cfws(c, NULL));
        if (at_end(c)) {
            if (n == 0)
                return fail_at(c, c->off, "a method or \"none\" expected");
            break;       /* a trailing ";" */
        }
        size_t mstart = c->off;
        if (n == 0 && c->len - c->off >= 4 && strncasecmp_ascii(c->s + c->off, "none", 4) == 0 &&
            (c->len - c->off == 4 || !is_keyword_char((unsigned char)c->s[c->off + 4]))) {
            c->off += 4;
            TRY(skip_cfws(c, NULL));
            if (!at_end(c) && cur(c) == ';') {
                c->off++;
                TRY(skip_cfws(c, NULL));
            }
            if (!at_end(c))
                return fail_at(c, c->off, "nothing may follow \"none\"");
            a->none = 1;
            return EMAUTH_OK;
        }
        if (n == METHODS_MAX)
            return ea_error(c->err, EMAUTH_ERR_LIMIT, 0, col(mstart),
                            "Authentication-Results: more than %d methods at column %u",
                            METHODS_MAX, col(mstart));
        TRY(resinfo(c, &methods[n], props));
        n++;
    }
    emauth_authres_method *m = ea_arena_alloc(c->arena, n * sizeof *m);
    if (m == NULL)
        return nomem(c);
    memcpy(m, methods, n * sizeof *m);
    a->methods = m;
    a->nmethods = n;
    return EMAUTH_OK;
}

emauth_status emauth_authres_parse(const char *value_text, size_t len, emauth_authres **out,
                                   emauth_error *err)
{
    if (out == NULL || (value_text == NULL && len > 0))
        return ea_error(err, EMAUTH_ERR_INVALID, 0, 0, "Authentication-Results: no input");
    *out = NULL;
    if (len > FIELD_MAX)
        return ea_error(err, EMAUTH_ERR_LIMIT, 0, 0,
                        "Authentication-Results: a field over %d bytes", FIELD_MAX);
    authres_doc *doc = calloc(1, sizeof *doc);
    if (doc == NULL)
        return ea_error(err, EMAUTH_ERR_NOMEM, 0, 0, "Authentication-Results: out of memory");
    ea_arena_init(&doc->arena);
    cursor c = {value_text != NULL ? value_text : "", len, 0, err, &doc->arena};
    emauth_status st = payload(&c, &doc->pub);
    if (st != EMAUTH_OK) {
        ea_arena_free(&doc->arena);
        free(doc);
        return st;
    }
    *out = &doc->pub;
    return EMAUTH_OK;
}

void emauth_authres_free(emauth_authres *a)
{
    if (a == NULL)
        return;
    authres_doc *doc = (authres_doc *)a;
    ea_arena_free(&doc->arena);
    free(doc);
}

int emauth_authres_is_ours(const emauth_authres *a, const char *authserv_id)
{
    if (a == NULL || a->authserv_id == NULL || authserv_id == NULL)
        return 0;
    const char *x = a->authserv_id, *y = authserv_id;
    for (; *x != '\0' && *y != '\0'; x++, y++)
        if (lower((unsigned char)*x) != lower((unsigned char)*y))
            return 0;
    return *x == '\0' && *y == '\0';
}
