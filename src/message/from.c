/*
 * The RFC 5322.From author address (RFC 5322 §3.4, §3.6.2, §4.4; the
 * Author Domain of DMARC, RFC 9989 §3.2.2 and §4.4).
 *
 *   from         = "From:" mailbox-list CRLF          (obs: empty list elements)
 *   mailbox      = name-addr / addr-spec
 *   name-addr    = [display-name] angle-addr
 *   angle-addr   = [CFWS] "<" [obs-route] addr-spec ">" [CFWS]
 *   obs-route    = obs-domain-list ":"
 *   display-name = phrase = 1*word / obs-phrase       (word *(word / "." / CFWS))
 *   word         = atom / quoted-string
 *   addr-spec    = local-part "@" domain
 *   local-part   = dot-atom / quoted-string / obs-local-part (word *("." word))
 *   domain       = dot-atom / domain-literal / obs-domain (atom *("." atom))
 *   group        = display-name ":" [group-list] ";" [CFWS]
 *
 * CFWS (white space, folding, nested comments) may stand between any two
 * tokens. The field is read once, through a cursor that knows its length,
 * as a stream of tokens: atoms, quoted strings and single specials. Encoded
 * words (RFC 2047) are atoms to this parser and are never decoded, so text
 * inside them, inside quoted strings or inside comments can never become
 * the address (the OpenDMARC#243 class). Exactly one mailbox is accepted;
 * anything else is an error naming why, never a guess.
 *
 * The address is rebuilt from its tokens without CFWS ("a . b @ c" gives
 * "a.b@c"); quoted local parts keep their quotes and escapes, unfolded.
 * The domain must be a host name (letters, digits, '-', '_', labels of at
 * most 63 bytes, 253 in all); it is lower-cased, a trailing dot dropped.
 * Non-ASCII domains (RFC 6532 U-labels) are refused: they would need IDNA
 * conversion before any DNS lookup. 8-bit bytes are accepted elsewhere.
 */
#include <stdlib.h>
#include <string.h>

#include <emauth/message.h>

#include "util/error.h"

#define FROM_FIELD_MAX 65536   /* one From field body, folding included */
#define COMMENT_DEPTH_MAX 32
#define DOMAIN_MAX 253
#define LABEL_MAX 63

enum tok_kind { T_END, T_ATOM, T_QSTRING, T_SPECIAL };

typedef struct tok {
    enum tok_kind kind;
    size_t start;            /* offset in the field */
    size_t len;              /* bytes, quotes included for T_QSTRING */
    char ch;                 /* T_SPECIAL */
} tok;

typedef struct parser {
    const char *s;
    size_t len;
    size_t off;
    tok peek;                /* the next token, already read */
    emauth_error *err;
    char *out;               /* the address being built */
    size_t out_len, out_cap;
    size_t domain_start;     /* where the domain begins in out */
} parser;

static unsigned column(size_t off)
{
    return off + 1 > 0xffffffffu ? 0xffffffffu : (unsigned)(off + 1);
}

static emauth_status fail(parser *p, size_t off, const char *what)
{
    return ea_error(p->err, EMAUTH_ERR_SYNTAX, 0, column(off), "From: %s (column %u)", what,
                    column(off));
}

/* atext (RFC 5322 §3.2.3), with 8-bit bytes as RFC 6532 allows. */
static int is_atext(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80)
        return 1;
    switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-':
    case '/': case '=': case '?': case '^': case '_': case '`': case '{': case '|': case '}':
    case '~':
        return 1;
    }
    return 0;
}

static int is_wsp(unsigned char c)
{
    return c == ' ' || c == '\t';
}

/*
 * At a line break: CRLF or a bare LF followed by WSP is folding; returns the
 * bytes to skip, 0 when the line break is not folding.
 */
static size_t folding_len(const parser *p, size_t off)
{
    size_t n = 0;
    if (p->s[off] == '\r' && p->len - off >= 2 && p->s[off + 1] == '\n')
        n = 2;
    else if (p->s[off] == '\n')
        n = 1;
    else
        return 0;
    return p->len - off > n && is_wsp((unsigned char)p->s[off + n]) ? n : 0;
}

/* A control byte other than folding and tab, anywhere in the field. */
static emauth_status bad_byte(parser *p, size_t off)
{
    unsigned char c = (unsigned char)p->s[off];
    if (c == '\r' || c == '\n')
        return fail(p, off, "a line break that is not folding");
    return ea_error(p->err, EMAUTH_ERR_SYNTAX, 0, column(off),
                    "From: a control byte 0x%02x (column %u)", c, column(off));
}

/* Skips a comment at p->off (an opening parenthesis); nested to a bound. */
static emauth_status skip_comment(parser *p)
{
    size_t open = p->off;
    unsigned depth = 0;
    while (p->off < p->len) {
        unsigned char c = (unsigned char)p->s[p->off];
        size_t fold;
        if (c == '(') {
            if (++depth > COMMENT_DEPTH_MAX)
                return fail(p, p->off, "comments nested too deep");
            p->off++;
        } else if (c == ')') {
            p->off++;
            if (--depth == 0)
                return EMAUTH_OK;
        } else if (c == '\\') {
            if (p->len - p->off < 2 || p->s[p->off + 1] == '\r' || p->s[p->off + 1] == '\n')
                return fail(p, p->off, "a backslash at the end of a comment");
            p->off += 2;
        } else if ((fold = folding_len(p, p->off)) > 0) {
            p->off += fold;
        } else if ((c < 0x20 && c != '\t') || c == 0x7f) {
            return bad_byte(p, p->off);
        } else {
            p->off++;
        }
    }
    return fail(p, open, "an unterminated comment");
}

static emauth_status skip_cfws(parser *p)
{
    while (p->off < p->len) {
        unsigned char c = (unsigned char)p->s[p->off];
        size_t fold;
        if (is_wsp(c)) {
            p->off++;
        } else if ((fold = folding_len(p, p->off)) > 0) {
            p->off += fold;
        } else if (c == '(') {
            emauth_status st = skip_comment(p);
            if (st != EMAUTH_OK)
                return st;
        } else {
            break;
        }
    }
    return EMAUTH_OK;
}

/* Reads the next token into p->peek. */
static emauth_status advance(parser *p)
{
    emauth_status st = skip_cfws(p);
    if (st != EMAUTH_OK)
        return st;
    tok *t = &p->peek;
    t->start = p->off;
    t->len = 0;
    t->ch = 0;
    if (p->off >= p->len) {
        t->kind = T_END;
        return EMAUTH_OK;
    }
    unsigned char c = (unsigned char)p->s[p->off];
    if (is_atext(c)) {
        while (p->off < p->len && is_atext((unsigned char)p->s[p->off]))
            p->off++;
        t->kind = T_ATOM;
        t->len = p->off - t->start;
        return EMAUTH_OK;
    }
    if (c == '"') {
        p->off++;
        while (p->off < p->len) {
            unsigned char q = (unsigned char)p->s[p->off];
            size_t fold;
            if (q == '"') {
                p->off++;
                t->kind = T_QSTRING;
                t->len = p->off - t->start;
                return EMAUTH_OK;
            }
            if (q == '\\') {
                if (p->len - p->off < 2 || p->s[p->off + 1] == '\r' || p->s[p->off + 1] == '\n')
                    break;
                p->off += 2;
            } else if ((fold = folding_len(p, p->off)) > 0) {
                p->off += fold;
            } else if ((q < 0x20 && q != '\t') || q == 0x7f) {
                return bad_byte(p, p->off);
            } else {
                p->off++;
            }
        }
        return fail(p, t->start, "an unterminated quoted string");
    }
    switch (c) {
    case '<': case '>': case '[': case ']': case ':': case ';': case '@': case ',': case '.':
        p->off++;
        t->kind = T_SPECIAL;
        t->ch = (char)c;
        t->len = 1;
        return EMAUTH_OK;
    case ')':
        return fail(p, p->off, "a ')' without '('");
    case '\\':
        return fail(p, p->off, "a backslash outside quotes and comments");
    }
    return bad_byte(p, p->off);
}

static int is_special(const tok *t, char c)
{
    return t->kind == T_SPECIAL && t->ch == c;
}

static int is_word(const tok *t)
{
    return t->kind == T_ATOM || t->kind == T_QSTRING;
}

/* Appends to the address; the address never outgrows the field. */
static emauth_status put(parser *p, const char *s, size_t n)
{
    if (p->out_cap - p->out_len < n)
        return ea_error(p->err, EMAUTH_ERR_LIMIT, 0, 0, "From: address too long");
    memcpy(p->out + p->out_len, s, n);
    p->out_len += n;
    return EMAUTH_OK;
}

/* A word as written; folding inside a quoted string is unfolded. */
static emauth_status put_word(parser *p, const tok *t)
{
    if (t->kind == T_ATOM)
        return put(p, p->s + t->start, t->len);
    for (size_t i = t->start; i < t->start + t->len; i++) {
        char c = p->s[i];
        if (c == '\\') {
            emauth_status st = put(p, p->s + i, 2);
            if (st != EMAUTH_OK)
                return st;
            i++;
        } else if (c != '\r' && c != '\n') {
            emauth_status st = put(p, &c, 1);
            if (st != EMAUTH_OK)
                return st;
        }
    }
    return EMAUTH_OK;
}

#define TRY(expr) do { emauth_status st_ = (expr); if (st_ != EMAUTH_OK) return st_; } while (0)

/* Checks and copies a host name: labels of letters, digits, '-' and '_'. */
static emauth_status check_domain(parser *p, size_t start, size_t end, size_t at_off)
{
    const char *d = p->out + start;
    size_t n = end - start;
    size_t label = 0;
    if (n == 0)
        return fail(p, at_off, "no domain after '@'");
    if (n > DOMAIN_MAX)
        return fail(p, at_off, "a domain longer than 253 bytes");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)d[i];
        if (c == '.') {
            label = 0;
            continue;
        }
        if (c >= 0x80)
            return fail(p, at_off, "a non-ASCII domain (not converted to A-labels)");
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return fail(p, at_off, "a domain that is not a host name");
        if (++label > LABEL_MAX)
            return fail(p, at_off, "a domain label longer than 63 bytes");
    }
    return EMAUTH_OK;
}

/*
 * domain after '@' (the current token follows the '@'): dot-atom or
 * obs-domain, with one trailing dot allowed and dropped.
 */
static emauth_status parse_domain(parser *p, size_t at_off)
{
    tok t = p->peek;
    if (is_special(&t, '['))
        return fail(p, t.start, "a domain literal, not a domain name");
    if (t.kind == T_QSTRING)
        return fail(p, t.start, "a quoted domain");
    if (t.kind != T_ATOM)
        return fail(p, at_off, "no domain after '@'");
    p->domain_start = p->out_len;
    for (;;) {
        TRY(put(p, p->s + p->peek.start, p->peek.len));
        TRY(advance(p));
        if (!is_special(&p->peek, '.'))
            break;
        TRY(advance(p));
        if (p->peek.kind != T_ATOM) {
            if (is_special(&p->peek, '.'))
                return fail(p, p->peek.start, "an empty domain label");
            break;  /* a trailing dot: dropped */
        }
        TRY(put(p, ".", 1));
    }
    return check_domain(p, p->domain_start, p->out_len, at_off);
}

/* addr-spec from its first token: local-part "@" domain. */
static emauth_status parse_addr_spec(parser *p)
{
    if (!is_word(&p->peek))
        return fail(p, p->peek.start, "a local part expected");
    for (;;) {
        TRY(put_word(p, &p->peek));
        TRY(advance(p));
        if (!is_special(&p->peek, '.'))
            break;
        TRY(put(p, ".", 1));
        TRY(advance(p));
        if (!is_word(&p->peek))
            return fail(p, p->peek.start, "a malformed local part");
    }
    if (!is_special(&p->peek, '@')) {
        if (is_word(&p->peek))
            return fail(p, p->peek.start, "a malformed local part");
        return fail(p, p->peek.start, "no domain: the address has no '@'");
    }
    size_t at = p->peek.start;
    TRY(put(p, "@", 1));
    TRY(advance(p));
    return parse_domain(p, at);
}

/* After '<': [obs-route] addr-spec ">". */
static emauth_status parse_angle_addr(parser *p, size_t open)
{
    TRY(advance(p));
    if (is_special(&p->peek, '>'))
        return fail(p, open, "an empty address <>");
    if (is_special(&p->peek, '@') || is_special(&p->peek, ',')) {
        /* obs-route: *("," / "@" domain) ":" - read and forgotten. */
        while (is_special(&p->peek, '@') || is_special(&p->peek, ',')) {
            if (is_special(&p->peek, '@')) {
                TRY(advance(p));
                if (p->peek.kind != T_ATOM)
                    return fail(p, p->peek.start, "a malformed route");
                while (p->peek.kind == T_ATOM || is_special(&p->peek, '.'))
                    TRY(advance(p));
            } else {
                TRY(advance(p));
            }
        }
        if (!is_special(&p->peek, ':'))
            return fail(p, p->peek.start, "a malformed route");
        TRY(advance(p));
    }
    TRY(parse_addr_spec(p));
    if (!is_special(&p->peek, '>'))
        return fail(p, p->peek.kind == T_END ? open : p->peek.start,
                    p->peek.kind == T_END ? "a '<' without '>'" : "unexpected text in <...>");
    return advance(p);
}

/*
 * One mailbox. Words and dots are read first: before '<' they were the
 * display name (forgotten); before '@' they were the local part; before ':'
 * a group's name.
 */
static emauth_status parse_mailbox(parser *p)
{
    tok first = p->peek;
    size_t words = 0;
    int local_ok = 1;       /* word *("." word) so far */
    int prev_word = 0;
    int lead_dot = 0;

    while (is_word(&p->peek) || is_special(&p->peek, '.')) {
        if (is_word(&p->peek)) {
            if (prev_word)
                local_ok = 0;
            prev_word = 1;
            words++;
        } else {
            if (!prev_word) {
                local_ok = 0;
                if (words == 0)
                    lead_dot = 1;
            }
            prev_word = 0;
        }
        TRY(advance(p));
    }
    if (is_special(&p->peek, '<')) {
        if (lead_dot)
            return fail(p, first.start, "a malformed display name");
        return parse_angle_addr(p, p->peek.start);
    }
    if (is_special(&p->peek, ':'))
        return fail(p, first.start, "a group, not one mailbox");
    if (is_special(&p->peek, '@')) {
        if (words == 0)
            return fail(p, p->peek.start, "no local part before '@'");
        if (!local_ok || !prev_word)
            return fail(p, first.start, "a malformed local part");
        /* Read it again, this time keeping it. */
        p->off = first.start;
        TRY(advance(p));
        return parse_addr_spec(p);
    }
    if (words == 0 && !lead_dot) {
        if (p->peek.kind == T_END)
            return fail(p, p->peek.start, "an empty From field");
        return fail(p, p->peek.start, "unexpected text");
    }
    if (p->peek.kind == T_END || is_special(&p->peek, ','))
        return fail(p, first.start, "no domain: the address has no '@'");
    return fail(p, p->peek.start, "unexpected text");
}

/* mailbox-list with exactly one mailbox; obs-mbox-list's empty elements allowed. */
static emauth_status parse_field(parser *p)
{
    TRY(advance(p));
    while (is_special(&p->peek, ','))
        TRY(advance(p));
    if (p->peek.kind == T_END)
        return fail(p, p->peek.start, "an empty From field");
    TRY(parse_mailbox(p));
    int comma = 0;
    while (is_special(&p->peek, ',')) {
        comma = 1;
        TRY(advance(p));
    }
    if (p->peek.kind == T_END)
        return EMAUTH_OK;
    if (comma && (is_word(&p->peek) || is_special(&p->peek, '<')))
        return fail(p, p->peek.start, "several mailboxes");
    if (is_special(&p->peek, ';'))
        return fail(p, p->peek.start, "a group, not one mailbox");
    return fail(p, p->peek.start, "unexpected text after the address");
}

emauth_status emauth_from_extract(const char *const *values, const size_t *lens, size_t n,
                                  emauth_from *out, emauth_error *err)
{
    if (out == NULL)
        return ea_error(err, EMAUTH_ERR_INVALID, 0, 0, "From: no output");
    out->address = NULL;
    out->domain = NULL;
    if (n == 0)
        return ea_error(err, EMAUTH_ERR_SYNTAX, 0, 0, "From: no From field");
    if (n > 1)
        return ea_error(err, EMAUTH_ERR_SYNTAX, 0, 0, "From: %zu From fields", n);
    if (values == NULL || lens == NULL || (values[0] == NULL && lens[0] > 0))
        return ea_error(err, EMAUTH_ERR_INVALID, 0, 0, "From: no field value");
    if (lens[0] > FROM_FIELD_MAX)
        return ea_error(err, EMAUTH_ERR_LIMIT, 0, 0, "From: a field over %d bytes",
                        FROM_FIELD_MAX);

    parser p;
    memset(&p, 0, sizeof p);
    p.s = values[0] != NULL ? values[0] : "";
    p.len = lens[0];
    p.err = err;
    p.out_cap = p.len;
    p.out = malloc(p.len + 1);
    if (p.out == NULL)
        return ea_error(err, EMAUTH_ERR_NOMEM, 0, 0, "From: out of memory");
    emauth_status st = parse_field(&p);
    if (st != EMAUTH_OK) {
        free(p.out);
        return st;
    }
    size_t dlen = p.out_len - p.domain_start;
    char *domain = malloc(dlen + 1);
    if (domain == NULL) {
        free(p.out);
        return ea_error(err, EMAUTH_ERR_NOMEM, 0, 0, "From: out of memory");
    }
    for (size_t i = 0; i < dlen; i++) {
        char c = p.out[p.domain_start + i];
        domain[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    domain[dlen] = '\0';
    p.out[p.out_len] = '\0';
    out->address = p.out;
    out->domain = domain;
    return EMAUTH_OK;
}

void emauth_from_free(emauth_from *f)
{
    if (f == NULL)
        return;
    free(f->address);
    free(f->domain);
    f->address = NULL;
    f->domain = NULL;
}
