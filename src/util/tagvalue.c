/*
 * Tag=value lists (RFC 6376 §3.2); the grammar is in tagvalue.h.
 *
 *   FWS = [*WSP CRLF] 1*WSP       ; RFC 6376 §2.8: a line break only before a blank
 *
 * Runs of blanks and folds are taken together as one FWS, which is what
 * the grammar allows between tvals and what signers emit around tags.
 * Errors give the 1-based column of the byte at fault (also in err->column)
 * and, once a name was read, the tag.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "util/error.h"
#include "util/tagvalue.h"

typedef struct tv_cursor {
    const char *s;
    size_t len;
    size_t i;
    emauth_error *err;
} tv_cursor;

static int is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_alnumpunc(unsigned char c)
{
    return is_alpha(c) || (c >= '0' && c <= '9') || c == '_';
}

static int is_valchar(unsigned char c)
{
    return c >= 0x21 && c <= 0x7e && c != ';';
}

static int is_wsp(unsigned char c)
{
    return c == ' ' || c == '\t';
}

static unsigned column(size_t i)
{
    return i < UINT_MAX ? (unsigned)i + 1 : UINT_MAX;
}

/* Skips FWS: blanks, and CRLFs that a blank follows. */
static void skip_fws(tv_cursor *c)
{
    const unsigned char *s = (const unsigned char *)c->s;
    for (;;) {
        if (c->i < c->len && is_wsp(s[c->i]))
            c->i++;
        else if (c->len - c->i >= 3 && s[c->i] == '\r' && s[c->i + 1] == '\n' &&
                 is_wsp(s[c->i + 2]))
            c->i += 3;
        else
            return;
    }
}

/* "found 0x2d", "found the end", or the folding mistake a CR means. */
static const char *found(const tv_cursor *c, char *buf, size_t size)
{
    if (c->i >= c->len)
        return "the end";
    unsigned char b = (unsigned char)c->s[c->i];
    if (b == '\r' || b == '\n')
        return "a line break not followed by a blank";
    snprintf(buf, size, "0x%02x", b);
    return buf;
}

static emauth_status tag_error(const tv_cursor *c, const ea_tag *t, const char *what,
                               const char *detail)
{
    char q[48];
    return ea_error(c->err, EMAUTH_ERR_SYNTAX, 0, column(c->i), "tag \"%s\" at column %u: %s (%s)",
                    ea_quote(q, sizeof q, t->name, t->name_len, 32), column(c->i), what, detail);
}

/* tag-name, at the cursor after FWS. */
static emauth_status parse_name(tv_cursor *c, ea_tag *t)
{
    const unsigned char *s = (const unsigned char *)c->s;
    char f[8];
    if (c->i < c->len && s[c->i] == ';')
        return ea_error(c->err, EMAUTH_ERR_SYNTAX, 0, column(c->i),
                        "column %u: empty tag (\";\" with no tag before it)", column(c->i));
    if (c->i >= c->len || !is_alpha(s[c->i]))
        return ea_error(c->err, EMAUTH_ERR_SYNTAX, 0, column(c->i),
                        "column %u: a tag name must start with a letter (found %s)", column(c->i),
                        found(c, f, sizeof f));
    t->name = c->s + c->i;
    t->column = column(c->i);
    while (c->i < c->len && is_alnumpunc(s[c->i]))
        c->i++;
    t->name_len = (size_t)(c->s + c->i - t->name);
    return EMAUTH_OK;
}

/* [FWS] "=" [FWS] tag-value [FWS], the cursor after the name. */
static emauth_status parse_value(tv_cursor *c, ea_tag *t)
{
    const unsigned char *s = (const unsigned char *)c->s;
    char f[8];
    skip_fws(c);
    if (c->i >= c->len || s[c->i] != '=') {
        char detail[48];
        snprintf(detail, sizeof detail, "found %s", found(c, f, sizeof f));
        return tag_error(c, t, "expected \"=\" after the tag name", detail);
    }
    c->i++;
    skip_fws(c);
    t->value = c->s + c->i;
    for (;;) {
        while (c->i < c->len && is_valchar(s[c->i]))
            c->i++;
        t->value_len = (size_t)(c->s + c->i - t->value);
        skip_fws(c);
        if (c->i >= c->len || s[c->i] == ';')
            return EMAUTH_OK;
        if (!is_valchar(s[c->i]))
            return tag_error(c, t, "value has a character not allowed", found(c, f, sizeof f));
        /* a tval after FWS: the value goes on, its inner FWS kept */
    }
}

static emauth_status check_new(const tv_cursor *c, const ea_tag *t, const ea_tag *out, size_t n,
                               size_t max)
{
    char q[48];
    for (size_t k = 0; k < n; k++)
        if (out[k].name_len == t->name_len && memcmp(out[k].name, t->name, t->name_len) == 0)
            return ea_error(c->err, EMAUTH_ERR_SYNTAX, 0, t->column,
                            "tag \"%s\" appears twice (columns %u and %u)",
                            ea_quote(q, sizeof q, t->name, t->name_len, 32), out[k].column,
                            t->column);
    if (n >= max)
        return ea_error(c->err, EMAUTH_ERR_SYNTAX, 0, t->column,
                        "tag \"%s\" at column %u: more than %zu tags",
                        ea_quote(q, sizeof q, t->name, t->name_len, 32), t->column, max);
    return EMAUTH_OK;
}

emauth_status ea_tags_parse(const char *s, size_t len, ea_tag *out, size_t max, size_t *n,
                            emauth_error *err)
{
    tv_cursor c = { s, len, 0, err };
    size_t count = 0;
    *n = 0;
    skip_fws(&c);
    while (c.i < c.len) {
        ea_tag t;
        emauth_status st = parse_name(&c, &t);
        if (st == EMAUTH_OK)
            st = parse_value(&c, &t);
        if (st == EMAUTH_OK)
            st = check_new(&c, &t, out, count, max);
        if (st != EMAUTH_OK)
            return st;
        out[count++] = t;
        if (c.i < c.len) {      /* parse_value stopped at ";" */
            c.i++;
            skip_fws(&c);       /* a trailing ";" ends the list */
        }
    }
    *n = count;
    return EMAUTH_OK;
}

const ea_tag *ea_tags_find(const ea_tag *tags, size_t n, const char *name)
{
    size_t len = strlen(name);   /* name is the caller's constant, not input */
    for (size_t k = 0; k < n; k++)
        if (tags[k].name_len == len && memcmp(tags[k].name, name, len) == 0)
            return &tags[k];
    return NULL;
}
