/*
 * RFC 1035 §5 master files, as NSD and BIND load them.
 *
 * Grammar (RFC 1035 §5.1, with $TTL from RFC 2308 §4 and our test
 * extension $TIMEOUT):
 *
 *   file      = *entry
 *   entry     = [directive / record] [";" comment] EOL
 *   directive = "$ORIGIN" SP name
 *             / "$TTL" SP ttl
 *             / "$INCLUDE" SP file-name [SP name]   ; origin for that file only
 *             / "$TIMEOUT" SP name                  ; queries for name time out
 *   record    = (name / "@" / blank) SP [ttl SP] [class SP] type SP rdata
 *             / (name / "@" / blank) SP [class SP] [ttl SP] type SP rdata
 *   class     = "IN"                                ; nothing else is served
 *   ttl       = 1*(1*DIGIT unit) [1*DIGIT] / 1*DIGIT ; unit: s m h d w, any case
 *
 *   A line that starts with a blank repeats the previous owner. A name
 *   without a final "." is relative to the origin. "(" and ")" let one
 *   entry continue over several lines. ";" starts a comment outside quotes.
 *   A character-string is a word or a "quoted" string (0..255 bytes once
 *   decoded); in names and strings "\X" is the byte X and "\DDD" the byte
 *   with that decimal value.
 *
 *   A record without a TTL takes $TTL, else the last explicit TTL, else
 *   3600 (NSD's default).
 *
 *   rdata: A: dotted quad; AAAA: RFC 4291 text; MX: preference name;
 *   TXT/SPF: 1*character-string; PTR/CNAME/NS: name;
 *   SOA: mname rname serial refresh retry expire minimum.
 *   Other types are skipped (with a warning); unknown mnemonics are errors.
 *
 * Everything a load produces is staged (strings in a private arena, records
 * in a list) and handed to the store only when the whole file, includes and
 * all, has parsed: a failed load changes nothing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <emauth/dns.h>

#include "dns/zone_internal.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/error.h"

#define ZONE_FILE_MAX ((size_t)256 << 20) /* bytes of one master file */
#define ZONE_INCLUDE_DEPTH 10             /* $INCLUDE nesting; deeper is a loop */
#define ZONE_STRING_MAX 255               /* one character-string, decoded */
#define ZONE_RDATA_MAX 65535              /* RDLENGTH: all TXT strings + length bytes */
#define ZONE_PATH_MAX 4096                /* an $INCLUDE file name */
#define ZONE_DEFAULT_TTL 3600             /* without $TTL or any explicit TTL (as NSD) */
#define ZONE_TTL_MAX 2147483647u          /* RFC 2181 §8 */

typedef enum tok_kind { TOK_WORD, TOK_QUOTED, TOK_EOL, TOK_EOF } tok_kind;

/* A token is a span of the input; escapes are decoded by whoever reads it. */
typedef struct token {
    tok_kind kind;
    const char *p;      /* for TOK_QUOTED, the bytes between the quotes */
    size_t len;
    unsigned line, col;
} token;

typedef struct lexer {
    const char *buf;
    size_t len, off;
    unsigned line;
    size_t line_start;          /* offset of the current line's first byte */
    int paren;                  /* inside ( ) */
    unsigned paren_line, paren_col;
    int have_back;              /* one token pushed back */
    token back;
} lexer;

/* State shared by a file and everything it includes. */
typedef struct load_ctx {
    emauth_zone *zone;
    emauth_error *err;
    ea_arena arena;     /* staged strings; handed to the zone on success */
    ea_buf recs;        /* ea_zone_staged[] */
    ea_buf scratch;     /* decoded TXT data of the current record */
} load_ctx;

/* State of one file. */
typedef struct file_ctx {
    load_ctx *lc;
    const char *name;           /* for messages */
    const char *path;           /* for relative $INCLUDE; NULL: the current directory */
    unsigned depth;
    lexer lx;
    ea_zone_wire origin;
    int have_origin;
    const char *owner;          /* previous owner, canonical text in the arena */
    size_t owner_len;
    uint32_t ttl_default;       /* $TTL */
    int have_ttl_default;
    uint32_t ttl_last;          /* last explicit TTL (RFC 1035 default) */
    int have_ttl_last;
} file_ctx;

/* ---- Messages ------------------------------------------------------------ */

/* Fills the error as "FILE:LINE:COLUMN: message". */
static emauth_status __attribute__((format(printf, 5, 6)))
ferr(file_ctx *f, emauth_status st, unsigned line, unsigned col, const char *fmt, ...)
{
    char msg[EMAUTH_ERROR_MAX], name[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ea_quote(name, sizeof name, f->name, strlen(f->name), 160);
    return ea_error(f->lc->err, st, line, col, "%s:%u:%u: %s", name, line, col, msg);
}

static emauth_status terr(file_ctx *f, const token *t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* An error at token t. */
static emauth_status terr(file_ctx *f, const token *t, const char *fmt, ...)
{
    char msg[EMAUTH_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return ferr(f, EMAUTH_ERR_SYNTAX, t->line, t->col, "%s", msg);
}

/* The token's text, quoted for a message (untrusted, cut at 60 bytes). */
static const char *tq(char *buf, size_t size, const token *t)
{
    if (t->kind == TOK_EOL || t->kind == TOK_EOF)
        return ea_quote(buf, size, "end of line", 11, 20);
    return ea_quote(buf, size, t->p, t->len, 60);
}

static void fwarn(file_ctx *f, const token *t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fwarn(file_ctx *f, const token *t, const char *fmt, ...)
{
    char msg[EMAUTH_ERROR_MAX], full[EMAUTH_ERROR_MAX + 300], name[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ea_quote(name, sizeof name, f->name, strlen(f->name), 160);
    snprintf(full, sizeof full, "%s:%u:%u: %s", name, t->line, t->col, msg);
    ea_zone_warn(f->lc->zone, full);
}

/* ---- Lexer --------------------------------------------------------------- */

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

static int is_delim(char c)
{
    return is_blank(c) || c == '\n' || c == ';' || c == '(' || c == ')' || c == '"';
}

static void lex_newline(lexer *lx, size_t next)
{
    lx->line++;
    lx->line_start = next;
}

static void tok_at(const lexer *lx, token *t, tok_kind kind, size_t off)
{
    t->kind = kind;
    t->p = lx->buf + off;
    t->len = 0;
    t->line = lx->line;
    t->col = (unsigned)(off - lx->line_start + 1);
}

/* Steps over "\X" at lx->off (X may be a newline); -1 when X is missing. */
static int lex_escape(lexer *lx)
{
    if (lx->len - lx->off < 2)
        return -1;
    if (lx->buf[lx->off + 1] == '\n')
        lex_newline(lx, lx->off + 2);
    lx->off += 2;
    return 0;
}

static emauth_status lex_quoted(file_ctx *f, token *t)
{
    lexer *lx = &f->lx;
    tok_at(lx, t, TOK_QUOTED, lx->off);
    size_t start = ++lx->off;
    while (lx->off < lx->len) {
        char c = lx->buf[lx->off];
        if (c == '"') {
            t->p = lx->buf + start;
            t->len = lx->off - start;
            lx->off++;
            return EMAUTH_OK;
        }
        if (c == '\n')
            break;
        if (c == '\\') {
            if (lex_escape(lx) != 0)
                break;
        } else {
            lx->off++;
        }
    }
    return ferr(f, EMAUTH_ERR_SYNTAX, t->line, t->col, "unterminated quoted string");
}

static emauth_status lex_word(file_ctx *f, token *t)
{
    lexer *lx = &f->lx;
    tok_at(lx, t, TOK_WORD, lx->off);
    while (lx->off < lx->len && !is_delim(lx->buf[lx->off])) {
        if (lx->buf[lx->off] != '\\') {
            lx->off++;
        } else if (lex_escape(lx) != 0) {
            return ferr(f, EMAUTH_ERR_SYNTAX, t->line, t->col, "backslash at the end of the input");
        }
    }
    t->len = (size_t)(lx->buf + lx->off - t->p);
    return EMAUTH_OK;
}

/* Handles "(" and ")"; entries continue over newlines while inside. */
static emauth_status lex_paren(file_ctx *f, char c)
{
    lexer *lx = &f->lx;
    unsigned col = (unsigned)(lx->off - lx->line_start + 1);
    if (c == '(') {
        if (lx->paren)
            return ferr(f, EMAUTH_ERR_SYNTAX, lx->line, col, "nested parenthesis");
        lx->paren = 1;
        lx->paren_line = lx->line;
        lx->paren_col = col;
    } else {
        if (!lx->paren)
            return ferr(f, EMAUTH_ERR_SYNTAX, lx->line, col,
                        "unbalanced parenthesis: \")\" without \"(\"");
        lx->paren = 0;
    }
    lx->off++;
    return EMAUTH_OK;
}

/* The next token: a word, a quoted string, the end of an entry, or EOF. */
static emauth_status lex(file_ctx *f, token *t)
{
    lexer *lx = &f->lx;
    if (lx->have_back) {
        *t = lx->back;
        lx->have_back = 0;
        return EMAUTH_OK;
    }
    for (;;) {
        if (lx->off >= lx->len) {
            if (lx->paren)
                return ferr(f, EMAUTH_ERR_SYNTAX, lx->paren_line, lx->paren_col,
                            "unbalanced parenthesis: \"(\" is never closed");
            tok_at(lx, t, TOK_EOF, lx->off);
            return EMAUTH_OK;
        }
        char c = lx->buf[lx->off];
        if (is_blank(c)) {
            lx->off++;
        } else if (c == ';') {
            while (lx->off < lx->len && lx->buf[lx->off] != '\n')
                lx->off++;
        } else if (c == '\n') {
            tok_at(lx, t, TOK_EOL, lx->off);
            lex_newline(lx, ++lx->off);
            if (!lx->paren)
                return EMAUTH_OK;
        } else if (c == '(' || c == ')') {
            emauth_status st = lex_paren(f, c);
            if (st != EMAUTH_OK)
                return st;
        } else if (c == '"') {
            return lex_quoted(f, t);
        } else {
            return lex_word(f, t);
        }
    }
}

static void unlex(file_ctx *f, const token *t)
{
    f->lx.back = *t;
    f->lx.have_back = 1;
}

static int tok_is_end(const token *t)
{
    return t->kind == TOK_EOL || t->kind == TOK_EOF;
}

/* The next token, which must be there: "missing WHAT" otherwise. */
static emauth_status need(file_ctx *f, token *t, const char *what)
{
    emauth_status st = lex(f, t);
    if (st == EMAUTH_OK && tok_is_end(t))
        return terr(f, t, "missing %s", what);
    return st;
}

static emauth_status expect_end(file_ctx *f, const char *after)
{
    token t;
    char q[96];
    emauth_status st = lex(f, &t);
    if (st == EMAUTH_OK && !tok_is_end(&t))
        return terr(f, &t, "unexpected \"%s\" after %s", tq(q, sizeof q, &t), after);
    return st;
}

/* Consumes the rest of an entry (quotes and parentheses still checked). */
static emauth_status skip_entry(file_ctx *f)
{
    token t;
    emauth_status st;
    while ((st = lex(f, &t)) == EMAUTH_OK && !tok_is_end(&t))
        ;
    return st;
}

/* Do the n bytes at p spell word (upper case) in any case? */
static int ascii_ieq(const char *p, const char *word, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (c != word[i])
            return 0;
    }
    return 1;
}

/* Is t the unquoted word (any case)? */
static int word_is(const token *t, const char *word)
{
    size_t n = strlen(word);
    return t->kind == TOK_WORD && t->len == n && ascii_ieq(t->p, word, n);
}

/* Is t an unquoted word made of prefix (any case) and at least one more byte? */
static int word_has_prefix(const token *t, const char *prefix)
{
    size_t n = strlen(prefix);
    return t->kind == TOK_WORD && t->len > n && ascii_ieq(t->p, prefix, n);
}

/* ---- Numbers and addresses ----------------------------------------------- */

static int digit(char c)
{
    return c >= '0' && c <= '9';
}

/* A decimal number up to max: digits only. */
static int parse_uint(const char *p, size_t len, uint32_t max, uint32_t *out)
{
    uint64_t v = 0;
    if (len == 0)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (!digit(p[i]))
            return -1;
        v = v * 10 + (uint64_t)(p[i] - '0');
        if (v > max)
            return -1;
    }
    *out = (uint32_t)v;
    return 0;
}

static uint32_t ttl_unit(char c)
{
    switch (c) {
    case 's': case 'S': return 1;
    case 'm': case 'M': return 60;
    case 'h': case 'H': return 3600;
    case 'd': case 'D': return 86400;
    case 'w': case 'W': return 604800;
    }
    return 0;
}

/* "3600", or BIND's units: "1h30m", "2d", "1w"; at most 2^31 - 1 seconds. */
static int parse_ttl(const char *p, size_t len, uint32_t *out)
{
    uint64_t total = 0, cur = 0;
    size_t digits = 0;
    if (len == 0)
        return -1;
    for (size_t i = 0; i < len; i++) {
        uint32_t unit = ttl_unit(p[i]);
        if (digit(p[i])) {
            cur = cur * 10 + (uint64_t)(p[i] - '0');
            digits++;
        } else if (unit != 0 && digits > 0) {
            total += cur * unit;
            cur = 0;
            digits = 0;
        } else {
            return -1;
        }
        if (cur > ZONE_TTL_MAX || total > ZONE_TTL_MAX)
            return -1;
    }
    total += cur;
    if (total > ZONE_TTL_MAX)
        return -1;
    *out = (uint32_t)total;
    return 0;
}

/* A dotted quad, each part 0..255 without leading zeros (as inet_pton). */
static int parse_ipv4(const char *p, size_t len, uint8_t out[4])
{
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part > 0) {
            if (i >= len || p[i] != '.')
                return -1;
            i++;
        }
        size_t start = i;
        unsigned v = 0;
        while (i < len && digit(p[i]) && i - start < 3)
            v = v * 10 + (unsigned)(p[i++] - '0');
        if (i == start || v > 255 || (p[start] == '0' && i - start > 1))
            return -1;
        out[part] = (uint8_t)v;
    }
    return i == len ? 0 : -1;
}

static int parse_ipv6(const char *p, size_t len, uint8_t out[16])
{
    char buf[64];
    if (len >= sizeof buf || memchr(p, '\0', len) != NULL)
        return -1;
    memcpy(buf, p, len);
    buf[len] = '\0';
    return inet_pton(AF_INET6, buf, out) == 1 ? 0 : -1;
}

/* ---- Names and strings --------------------------------------------------- */

/* A name token, "@" or relative names completed with the origin. */
static emauth_status name_wire(file_ctx *f, const token *t, const char *what, ea_zone_wire *out)
{
    char q[96];
    if (t->kind != TOK_WORD)
        return terr(f, t, "bad %s: a quoted string is not a name", what);
    if (t->len == 1 && t->p[0] == '@') {
        if (!f->have_origin)
            return terr(f, t, "\"@\" used without $ORIGIN");
        *out = f->origin;
        return EMAUTH_OK;
    }
    int absolute;
    const char *why = ea_zone_name_parse(t->p, t->len, out, &absolute);
    if (why == NULL && !absolute) {
        if (!f->have_origin)
            return terr(f, t, "relative name \"%s\" without $ORIGIN", tq(q, sizeof q, t));
        why = ea_zone_name_append(out, &f->origin);
    }
    if (why != NULL)
        return terr(f, t, "bad %s \"%s\": %s", what, tq(q, sizeof q, t), why);
    return EMAUTH_OK;
}

static emauth_status nomem(file_ctx *f)
{
    return ea_error(f->lc->err, EMAUTH_ERR_NOMEM, 0, 0, "out of memory");
}

/* The name in token t as canonical text in the load arena. */
static emauth_status name_text(file_ctx *f, const token *t, const char *what, const char **out,
                               size_t *len)
{
    ea_zone_wire w;
    char buf[EA_ZONE_TEXT_MAX];
    emauth_status st = name_wire(f, t, what, &w);
    if (st != EMAUTH_OK)
        return st;
    *len = ea_zone_name_text(&w, buf);
    *out = ea_arena_strndup(&f->lc->arena, buf, *len);
    return *out != NULL ? EMAUTH_OK : nomem(f);
}

/* The next token, read as a name. */
static emauth_status next_name(file_ctx *f, const char *what, const char **out)
{
    token t;
    size_t len;
    emauth_status st = need(f, &t, what);
    return st != EMAUTH_OK ? st : name_text(f, &t, what, out, &len);
}

/* Decodes a character-string token onto the end of buf; 1..255 bytes. */
static emauth_status string_append(file_ctx *f, const token *t, ea_buf *buf)
{
    size_t start = buf->len;
    for (size_t i = 0; i < t->len;) {
        unsigned char c;
        const char *why = ea_zone_unescape(t->p, t->len, &i, &c);
        if (why != NULL)
            return terr(f, t, "%s in character-string", why);
        if (buf->len - start == ZONE_STRING_MAX)
            return terr(f, t, "character-string longer than 255 bytes");
        if (ea_buf_putc(buf, (char)c) != 0)
            return nomem(f);
    }
    return EMAUTH_OK;
}

/* ---- RDATA --------------------------------------------------------------- */

static emauth_status rdata_a(file_ctx *f, emauth_dns_rr *rr)
{
    token t;
    char q[96];
    emauth_status st = need(f, &t, "IPv4 address");
    if (st == EMAUTH_OK && (t.kind != TOK_WORD || parse_ipv4(t.p, t.len, rr->u.a) != 0))
        st = terr(f, &t, "bad IPv4 address \"%s\"", tq(q, sizeof q, &t));
    return st;
}

static emauth_status rdata_aaaa(file_ctx *f, emauth_dns_rr *rr)
{
    token t;
    char q[96];
    emauth_status st = need(f, &t, "IPv6 address");
    if (st == EMAUTH_OK && (t.kind != TOK_WORD || parse_ipv6(t.p, t.len, rr->u.aaaa) != 0))
        st = terr(f, &t, "bad IPv6 address \"%s\"", tq(q, sizeof q, &t));
    return st;
}

static emauth_status rdata_number(file_ctx *f, const char *what, int ttl_units, uint32_t max,
                                  uint32_t *out)
{
    token t;
    char q[96];
    emauth_status st = need(f, &t, what);
    if (st != EMAUTH_OK)
        return st;
    int bad = t.kind != TOK_WORD ||
              (ttl_units ? parse_ttl(t.p, t.len, out) : parse_uint(t.p, t.len, max, out)) != 0;
    return bad ? terr(f, &t, "bad %s \"%s\"", what, tq(q, sizeof q, &t)) : EMAUTH_OK;
}

static emauth_status rdata_mx(file_ctx *f, emauth_dns_rr *rr)
{
    uint32_t pref;
    emauth_status st = rdata_number(f, "MX preference", 0, UINT16_MAX, &pref);
    if (st != EMAUTH_OK)
        return st;
    rr->u.mx.preference = (uint16_t)pref;
    return next_name(f, "MX exchange", &rr->u.mx.exchange);   /* "." gives "" (null MX) */
}

static emauth_status rdata_soa(file_ctx *f, emauth_dns_rr *rr)
{
    emauth_status st = next_name(f, "SOA mname", &rr->u.soa.mname);
    if (st == EMAUTH_OK)
        st = next_name(f, "SOA rname", &rr->u.soa.rname);
    if (st == EMAUTH_OK)
        st = rdata_number(f, "SOA serial", 0, UINT32_MAX, &rr->u.soa.serial);
    if (st == EMAUTH_OK)
        st = rdata_number(f, "SOA refresh", 1, 0, &rr->u.soa.refresh);
    if (st == EMAUTH_OK)
        st = rdata_number(f, "SOA retry", 1, 0, &rr->u.soa.retry);
    if (st == EMAUTH_OK)
        st = rdata_number(f, "SOA expire", 1, 0, &rr->u.soa.expire);
    if (st == EMAUTH_OK)
        st = rdata_number(f, "SOA minimum", 1, 0, &rr->u.soa.minimum);
    return st;
}

/* One or more character-strings up to the end of the entry, joined. */
static emauth_status rdata_txt(file_ctx *f, emauth_dns_rr *rr)
{
    ea_buf *buf = &f->lc->scratch;
    token t;
    emauth_status st;
    size_t n = 0;
    buf->len = 0;
    while ((st = lex(f, &t)) == EMAUTH_OK && !tok_is_end(&t)) {
        if ((st = string_append(f, &t, buf)) != EMAUTH_OK)
            return st;
        if (++n + buf->len > ZONE_RDATA_MAX)
            return terr(f, &t, "TXT data longer than 65535 bytes");
    }
    if (st != EMAUTH_OK)
        return st;
    if (n == 0)
        return terr(f, &t, "missing TXT character-string");
    unlex(f, &t);
    rr->u.txt.data = ea_arena_strndup(&f->lc->arena, buf->len ? buf->data : "", buf->len);
    rr->u.txt.len = buf->len;
    rr->u.txt.nstrings = n;
    return rr->u.txt.data != NULL ? EMAUTH_OK : nomem(f);
}

static emauth_status rdata_parse(file_ctx *f, emauth_dns_rr *rr)
{
    switch (rr->type) {
    case EMAUTH_DNS_A: return rdata_a(f, rr);
    case EMAUTH_DNS_AAAA: return rdata_aaaa(f, rr);
    case EMAUTH_DNS_MX: return rdata_mx(f, rr);
    case EMAUTH_DNS_TXT:
    case EMAUTH_DNS_SPF: return rdata_txt(f, rr);
    case EMAUTH_DNS_SOA: return rdata_soa(f, rr);
    case EMAUTH_DNS_NS: return next_name(f, "NS name", &rr->u.target);
    case EMAUTH_DNS_CNAME: return next_name(f, "CNAME target", &rr->u.target);
    case EMAUTH_DNS_PTR: return next_name(f, "PTR name", &rr->u.target);
    }
    return EMAUTH_ERR_INVALID;  /* not reached: types are checked before */
}

/* ---- Records ------------------------------------------------------------- */

/* Queues an entry for the current owner, or for name when not NULL. */
static emauth_status stage(file_ctx *f, ea_zone_stage_kind kind, const emauth_dns_rr *rr,
                           const char *name, size_t len)
{
    ea_zone_staged s;
    memset(&s, 0, sizeof s);
    s.kind = kind;
    s.owner = name ? name : f->owner;
    s.owner_len = name ? len : f->owner_len;
    if (rr != NULL)
        s.rr = *rr;
    return ea_buf_append(&f->lc->recs, &s, sizeof s) == 0 ? EMAUTH_OK : nomem(f);
}

static int is_stored_type(uint16_t type)
{
    switch (type) {
    case EMAUTH_DNS_A: case EMAUTH_DNS_NS: case EMAUTH_DNS_CNAME: case EMAUTH_DNS_SOA:
    case EMAUTH_DNS_PTR: case EMAUTH_DNS_MX: case EMAUTH_DNS_TXT: case EMAUTH_DNS_AAAA:
    case EMAUTH_DNS_SPF:
        return 1;
    }
    return 0;
}

/* CLASS1 is IN spelled generically (RFC 3597). */
static int is_class_in(const token *t)
{
    return word_is(t, "IN") || word_is(t, "CLASS1");
}

static int is_other_class(const token *t)
{
    static const char *const classes[] = {"CH", "CHAOS", "HS", "HESIOD", "CS", "NONE", "ANY"};
    for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++)
        if (word_is(t, classes[i]))
            return 1;
    return word_has_prefix(t, "CLASS") && digit(t->p[5]);
}

/*
 * [ttl] [class] or [class] [ttl], leaving the type token in *t. Sets *ttl
 * to the explicit TTL or the default.
 */
static emauth_status parse_ttl_class(file_ctx *f, token *t, uint32_t *ttl)
{
    int have_ttl = 0, have_class = 0;
    char q[96];
    for (;;) {
        emauth_status st = need(f, t, "RR type");
        if (st != EMAUTH_OK)
            return st;
        if (t->kind == TOK_WORD && digit(t->p[0]) && !have_ttl) {
            if (parse_ttl(t->p, t->len, ttl) != 0)
                return terr(f, t, "bad TTL \"%s\"", tq(q, sizeof q, t));
            have_ttl = 1;
        } else if (is_class_in(t) && !have_class) {
            have_class = 1;
        } else if (is_other_class(t)) {
            return terr(f, t, "unsupported class \"%s\" (only IN)", tq(q, sizeof q, t));
        } else {
            break;
        }
    }
    if (have_ttl) {
        f->ttl_last = *ttl;
        f->have_ttl_last = 1;
    } else {
        *ttl = f->have_ttl_default ? f->ttl_default
             : f->have_ttl_last    ? f->ttl_last
                                   : ZONE_DEFAULT_TTL;
    }
    return EMAUTH_OK;
}

/* "TYPE123" (RFC 3597); 0 when t is not one. */
static int generic_type(const token *t, uint32_t *type)
{
    if (!word_has_prefix(t, "TYPE"))
        return 0;
    return parse_uint(t->p + 4, t->len - 4, UINT16_MAX, type) == 0;
}

/* The type token t: parses the record, or skips it with a warning. */
static emauth_status parse_typed(file_ctx *f, const token *t, uint32_t ttl)
{
    char q[96];
    uint32_t generic;
    uint16_t type;
    if (generic_type(t, &generic)) {
        fwarn(f, t, "skipped a TYPE%u record (generic RDATA is not supported)", generic);
        emauth_status st = skip_entry(f);
        return st != EMAUTH_OK ? st : stage(f, EA_ZONE_STAGE_EXISTS, NULL, NULL, 0);
    }
    if (t->kind != TOK_WORD || ea_dns_type_from_name(t->p, t->len, &type) != 0)
        return terr(f, t, "unknown RR type \"%s\"", tq(q, sizeof q, t));
    if (!is_stored_type(type)) {
        fwarn(f, t, "skipped a %s record (type not supported)", emauth_dns_type_name(type));
        emauth_status st = skip_entry(f);
        return st != EMAUTH_OK ? st : stage(f, EA_ZONE_STAGE_EXISTS, NULL, NULL, 0);
    }
    emauth_dns_rr rr;
    memset(&rr, 0, sizeof rr);
    rr.type = type;
    rr.ttl = ttl;
    emauth_status st = rdata_parse(f, &rr);
    if (st == EMAUTH_OK)
        st = expect_end(f, "the record data");
    return st != EMAUTH_OK ? st : stage(f, EA_ZONE_STAGE_RR, &rr, NULL, 0);
}

/* A record; first is its first token (the owner unless indented). */
static emauth_status parse_record(file_ctx *f, const token *first, int indented)
{
    emauth_status st;
    if (indented) {
        if (f->owner == NULL)
            return terr(f, first, "no owner name and no previous owner to repeat");
        unlex(f, first);
    } else if ((st = name_text(f, first, "owner name", &f->owner, &f->owner_len)) != EMAUTH_OK) {
        return st;
    }
    token t;
    uint32_t ttl;
    if ((st = parse_ttl_class(f, &t, &ttl)) != EMAUTH_OK)
        return st;
    return parse_typed(f, &t, ttl);
}

/* ---- Directives ---------------------------------------------------------- */

static emauth_status dir_origin(file_ctx *f)
{
    token t;
    ea_zone_wire origin;    /* a relative $ORIGIN is read against the current one */
    emauth_status st = need(f, &t, "name after $ORIGIN");
    if (st == EMAUTH_OK)
        st = name_wire(f, &t, "$ORIGIN", &origin);
    if (st != EMAUTH_OK)
        return st;
    f->origin = origin;
    f->have_origin = 1;
    return expect_end(f, "$ORIGIN");
}

static emauth_status dir_ttl(file_ctx *f)
{
    token t;
    char q[96];
    emauth_status st = need(f, &t, "TTL after $TTL");
    if (st != EMAUTH_OK)
        return st;
    if (t.kind != TOK_WORD || parse_ttl(t.p, t.len, &f->ttl_default) != 0)
        return terr(f, &t, "bad TTL \"%s\"", tq(q, sizeof q, &t));
    f->have_ttl_default = 1;
    return expect_end(f, "$TTL");
}

static emauth_status dir_timeout(file_ctx *f)
{
    token t;
    const char *name = NULL;
    size_t len = 0;
    emauth_status st = need(f, &t, "name after $TIMEOUT");
    if (st == EMAUTH_OK)
        st = name_text(f, &t, "$TIMEOUT name", &name, &len);
    if (st == EMAUTH_OK)
        st = expect_end(f, "$TIMEOUT");
    return st != EMAUTH_OK ? st : stage(f, EA_ZONE_STAGE_TIMEOUT, NULL, name, len);
}

static emauth_status parse_text(file_ctx *f);

/* Reads a whole file; on failure *errnum is the errno, or 0 for "too big". */
static int read_file(const char *path, ea_buf *out, int *errnum)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        *errnum = errno;
        return -1;
    }
    char chunk[65536];
    size_t n;
    int rc = 0;
    while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0) {
        if (out->len + n > ZONE_FILE_MAX) {
            *errnum = 0;
            rc = -1;
            break;
        }
        if (ea_buf_append(out, chunk, n) != 0) {
            *errnum = ENOMEM;
            rc = -1;
            break;
        }
    }
    if (rc == 0 && ferror(fp)) {
        *errnum = errno ? errno : EIO;
        rc = -1;
    }
    fclose(fp);
    return rc;
}

/* The file-name token of $INCLUDE, decoded and made relative to the includer. */
static emauth_status include_path(file_ctx *f, const token *t, ea_buf *path)
{
    ea_buf name;
    ea_buf_init(&name);
    emauth_status st = EMAUTH_OK;
    for (size_t i = 0; i < t->len && st == EMAUTH_OK;) {
        unsigned char c;
        const char *why = ea_zone_unescape(t->p, t->len, &i, &c);
        if (why != NULL)
            st = terr(f, t, "%s in $INCLUDE file name", why);
        else if (c == '\0' || name.len >= ZONE_PATH_MAX)
            st = terr(f, t, "bad $INCLUDE file name");
        else if (ea_buf_putc(&name, (char)c) != 0)
            st = nomem(f);
    }
    if (st == EMAUTH_OK && name.len == 0)
        st = terr(f, t, "empty $INCLUDE file name");
    const char *slash = f->path ? strrchr(f->path, '/') : NULL;
    if (st == EMAUTH_OK && name.data[0] != '/' && slash != NULL &&
        ea_buf_append(path, f->path, (size_t)(slash - f->path + 1)) != 0)
        st = nomem(f);
    if (st == EMAUTH_OK && ea_buf_append(path, name.data, name.len) != 0)
        st = nomem(f);
    ea_buf_free(&name);
    return st;
}

/*
 * Parses an included file. It starts with the includer's TTL defaults, the
 * given origin and no previous owner; what it changes ($ORIGIN, $TTL, the
 * owner) does not leak back into the includer (RFC 1035 §5.1).
 */
static emauth_status include_file(file_ctx *f, const token *at, const char *path,
                                  const ea_zone_wire *origin)
{
    ea_buf text;
    int errnum;
    char q[220];
    ea_buf_init(&text);
    if (read_file(path, &text, &errnum) != 0) {
        ea_buf_free(&text);
        ea_quote(q, sizeof q, path, strlen(path), 160);
        if (errnum == 0)
            return ferr(f, EMAUTH_ERR_LIMIT, at->line, at->col,
                        "$INCLUDE file \"%s\" is larger than %zu bytes", q, ZONE_FILE_MAX);
        return ferr(f, errnum == ENOMEM ? EMAUTH_ERR_NOMEM : EMAUTH_ERR_IO, at->line, at->col,
                    "cannot read $INCLUDE file \"%s\": %s", q, strerror(errnum));
    }
    file_ctx child = *f;
    memset(&child.lx, 0, sizeof child.lx);
    child.lx.buf = text.data;
    child.lx.len = text.len;
    child.lx.line = 1;
    child.name = path;
    child.path = path;
    child.depth = f->depth + 1;
    child.origin = *origin;
    child.have_origin = origin != &f->origin || f->have_origin;
    child.owner = NULL;
    child.owner_len = 0;
    emauth_status st = parse_text(&child);
    ea_buf_free(&text);
    return st;
}

static emauth_status dir_include(file_ctx *f, const token *dir)
{
    token t, o;
    ea_zone_wire origin;
    const ea_zone_wire *use = &f->origin;
    emauth_status st = need(f, &t, "file name after $INCLUDE");
    if (st == EMAUTH_OK && (st = lex(f, &o)) == EMAUTH_OK && !tok_is_end(&o)) {
        if ((st = name_wire(f, &o, "$INCLUDE origin", &origin)) == EMAUTH_OK)
            use = &origin;
        if (st == EMAUTH_OK)
            st = expect_end(f, "$INCLUDE");
    }
    if (st != EMAUTH_OK)
        return st;
    if (f->depth >= ZONE_INCLUDE_DEPTH)
        return ferr(f, EMAUTH_ERR_LIMIT, dir->line, dir->col,
                    "$INCLUDE nested more than %d deep (does a file include itself?)",
                    ZONE_INCLUDE_DEPTH);
    ea_buf path;
    ea_buf_init(&path);
    st = include_path(f, &t, &path);
    if (st == EMAUTH_OK)
        st = include_file(f, &t, ea_buf_cstr(&path), use);
    ea_buf_free(&path);
    return st;
}

static emauth_status parse_directive(file_ctx *f, const token *t)
{
    char q[96];
    if (word_is(t, "$ORIGIN"))
        return dir_origin(f);
    if (word_is(t, "$TTL"))
        return dir_ttl(f);
    if (word_is(t, "$INCLUDE"))
        return dir_include(f, t);
    if (word_is(t, "$TIMEOUT"))
        return dir_timeout(f);
    return terr(f, t, "unknown directive \"%s\"", tq(q, sizeof q, t));
}

/* ---- Files --------------------------------------------------------------- */

/* Every entry of one file (the text is in f->lx). */
static emauth_status parse_text(file_ctx *f)
{
    for (;;) {
        const lexer *lx = &f->lx;
        int indented = lx->off < lx->len && lx->off == lx->line_start &&
                       (lx->buf[lx->off] == ' ' || lx->buf[lx->off] == '\t');
        token t;
        emauth_status st = lex(f, &t);
        if (st != EMAUTH_OK || t.kind == TOK_EOF)
            return st;
        if (t.kind == TOK_EOL)
            continue;
        if (!indented && t.kind == TOK_WORD && t.p[0] == '$')
            st = parse_directive(f, &t);
        else
            st = parse_record(f, &t, indented);
        if (st != EMAUTH_OK)
            return st;
    }
}

/* The origin argument of the load functions: absolute, trailing dot optional. */
static emauth_status origin_arg(const char *origin, ea_zone_wire *out, emauth_error *err)
{
    char q[96];
    int absolute;
    size_t len = strnlen(origin, EA_ZONE_TEXT_MAX + 1);
    const char *why = len > EA_ZONE_TEXT_MAX ? "name longer than 253 bytes"
                                             : ea_zone_name_parse(origin, len, out, &absolute);
    if (why != NULL)
        return ea_error(err, EMAUTH_ERR_INVALID, 0, 0, "bad origin \"%s\": %s",
                        ea_quote(q, sizeof q, origin, len, 60), why);
    return EMAUTH_OK;
}

/* Parses text and, when all of it is good, commits it to the zone. */
static emauth_status load_text(emauth_zone *zone, const char *text, size_t len, const char *name,
                               const char *path, const char *origin, emauth_error *err)
{
    load_ctx lc;
    file_ctx f;
    memset(&lc, 0, sizeof lc);
    memset(&f, 0, sizeof f);
    lc.zone = zone;
    lc.err = err;
    ea_arena_init(&lc.arena);
    ea_buf_init(&lc.recs);
    ea_buf_init(&lc.scratch);
    f.lc = &lc;
    f.name = name;
    f.path = path;
    f.lx.buf = text;
    f.lx.len = len;
    f.lx.line = 1;
    emauth_status st = EMAUTH_OK;
    if (origin != NULL && (st = origin_arg(origin, &f.origin, err)) == EMAUTH_OK)
        f.have_origin = 1;
    if (st == EMAUTH_OK)
        st = parse_text(&f);
    if (st == EMAUTH_OK)
        st = ea_zone_commit(zone, &lc.arena, (const ea_zone_staged *)(void *)lc.recs.data,
                            lc.recs.len / sizeof(ea_zone_staged), err);
    ea_arena_free(&lc.arena);
    ea_buf_free(&lc.recs);
    ea_buf_free(&lc.scratch);
    return st;
}

emauth_status emauth_zone_load_string(emauth_zone *zone, const char *text, size_t len,
                                      const char *name, const char *origin, emauth_error *err)
{
    if (zone == NULL || (text == NULL && len > 0))
        return ea_error(err, EMAUTH_ERR_INVALID, 0, 0, "no zone or text");
    return load_text(zone, text ? text : "", len, name ? name : "<string>", NULL, origin, err);
}

emauth_status emauth_zone_load_file(emauth_zone *zone, const char *path, const char *origin,
                                    emauth_error *err)
{
    if (zone == NULL || path == NULL)
        return ea_error(err, EMAUTH_ERR_INVALID, 0, 0, "no zone or path");
    ea_buf text;
    int errnum;
    char q[220];
    ea_buf_init(&text);
    if (read_file(path, &text, &errnum) != 0) {
        ea_buf_free(&text);
        ea_quote(q, sizeof q, path, strlen(path), 160);
        if (errnum == 0)
            return ea_error(err, EMAUTH_ERR_LIMIT, 0, 0, "%s: larger than %zu bytes", q,
                            ZONE_FILE_MAX);
        return ea_error(err, errnum == ENOMEM ? EMAUTH_ERR_NOMEM : EMAUTH_ERR_IO, 0, 0,
                        "cannot read %s: %s", q, strerror(errnum));
    }
    emauth_status st = load_text(zone, text.len ? text.data : "", text.len, path, path, origin, err);
    ea_buf_free(&text);
    return st;
}
