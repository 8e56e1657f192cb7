/* SPF macro-strings (RFC 7208 §7); grammar in macro.h. */
#include <stdio.h>
#include <string.h>

#include "spf/macro.h"

#define MAX_PARTS 128   /* labels in one expanded value: 253-byte names have < 128 */

static int is_delim(char c)
{
    return c == '.' || c == '-' || c == '+' || c == ',' || c == '/' || c == '_' || c == '=';
}

static int letter_ok(char c, ea_macro_use use)
{
    switch (c | 0x20) {
    case 's': case 'l': case 'o': case 'd': case 'i': case 'p': case 'h': case 'v':
        return 1;
    case 'c': case 'r': case 't':
        return use == EA_MACRO_EXP;
    default:
        return 0;
    }
}

/* A parsed "%{" letter digits ["r"] delimiters "}". */
typedef struct macro_ref {
    char letter;         /* as written (upper case = URL-escape) */
    unsigned keep;       /* rightmost parts to keep; 0 = all */
    int reverse;
    const char *delims;  /* delimiter characters, or NULL for "." */
    size_t ndelims;
    size_t end;          /* offset just past the "}" */
} macro_ref;

/* Parses the macro-expand at s[i] == '%' and s[i+1] == '{'. */
static emauth_status parse_ref(const char *s, size_t len, size_t i, ea_macro_use use,
                               macro_ref *m, size_t *bad_off, const char **what)
{
    size_t p = i + 2;
    if (p >= len) {
        *bad_off = i;
        *what = "unterminated macro \"%{\"";
        return EMAUTH_ERR_SYNTAX;
    }
    m->letter = s[p];
    if (!letter_ok(s[p], use)) {
        *bad_off = p;
        *what = letter_ok(s[p], EA_MACRO_EXP) ? "macro letter allowed only in exp text"
                                              : "unknown macro letter";
        return EMAUTH_ERR_SYNTAX;
    }
    p++;
    m->keep = 0;
    size_t digits = 0;
    while (p < len && s[p] >= '0' && s[p] <= '9') {
        if (m->keep < MAX_PARTS)
            m->keep = m->keep * 10 + (unsigned)(s[p] - '0');
        p++;
        digits++;
    }
    if (digits && m->keep == 0) {
        *bad_off = p - 1;
        *what = "macro digit transformer must be nonzero";
        return EMAUTH_ERR_SYNTAX;
    }
    m->reverse = p < len && (s[p] == 'r' || s[p] == 'R');
    if (m->reverse)
        p++;
    m->delims = s + p;
    while (p < len && is_delim(s[p]))
        p++;
    m->ndelims = (size_t)(s + p - m->delims);
    if (m->ndelims == 0)
        m->delims = NULL;
    if (p >= len || s[p] != '}') {
        *bad_off = p < len ? p : i;
        *what = p < len ? "unexpected character in macro" : "unterminated macro \"%{\"";
        return EMAUTH_ERR_SYNTAX;
    }
    m->end = p + 1;
    return EMAUTH_OK;
}

static int literal_ok(unsigned char c, ea_macro_use use)
{
    return (c >= 0x21 && c <= 0x7e) || (c == ' ' && use == EA_MACRO_EXP);
}

emauth_status ea_macro_check(const char *s, size_t len, ea_macro_use use,
                             size_t *bad_off, const char **what)
{
    for (size_t i = 0; i < len;) {
        if (s[i] != '%') {
            if (!literal_ok((unsigned char)s[i], use)) {
                *bad_off = i;
                *what = "character not allowed";
                return EMAUTH_ERR_SYNTAX;
            }
            i++;
            continue;
        }
        if (i + 1 >= len) {
            *bad_off = i;
            *what = "'%' at the end";
            return EMAUTH_ERR_SYNTAX;
        }
        char n = s[i + 1];
        if (n == '%' || n == '_' || n == '-') {
            i += 2;
            continue;
        }
        if (n != '{') {
            *bad_off = i;
            *what = "'%' not followed by '{', '%', '_' or '-'";
            return EMAUTH_ERR_SYNTAX;
        }
        macro_ref m;
        emauth_status st = parse_ref(s, len, i, use, &m, bad_off, what);
        if (st != EMAUTH_OK)
            return st;
        i = m.end;
    }
    return EMAUTH_OK;
}

int ea_macro_uses_p(const char *s, size_t len)
{
    for (size_t i = 0; i + 2 < len; i++) {
        if (s[i] == '%' && s[i + 1] == '%') {
            i++;
            continue;
        }
        if (s[i] == '%' && s[i + 1] == '{' && (s[i + 2] | 0x20) == 'p')
            return 1;
    }
    return 0;
}

/* Writes the raw value of a macro letter into out. */
static int letter_value(char letter, const ea_macro_ctx *c, ea_buf *out)
{
    /* Upper-case nibbles for IPv6 %{i}: the RFC leaves the case open (DNS
     * ignores it); the OpenSPF suite expects it in explanations. */
    static const char hex[] = "0123456789ABCDEF";
    switch (letter | 0x20) {
    case 's': return ea_buf_append(out, c->sender, c->sender_len);
    case 'l': return ea_buf_append(out, c->local, c->local_len);
    case 'o': return ea_buf_append(out, c->sender_domain, c->sender_domain_len);
    case 'd': return ea_buf_append(out, c->domain, c->domain_len);
    case 'h': return ea_buf_append(out, c->helo, c->helo_len);
    case 'r': return ea_buf_append(out, c->receiver, c->receiver_len);
    case 'p': return ea_buf_append(out, c->validated, c->validated_len);
    case 'v': return ea_buf_puts(out, c->ip->family == 4 ? "in-addr" : "ip6");
    case 't': return ea_buf_printf(out, "%lld", (long long)c->now);
    case 'c': {
        char tmp[EMAUTH_IP_TEXT_MAX];
        size_t n = emauth_ip_format(c->ip, tmp, sizeof tmp);
        return ea_buf_append(out, tmp, n);
    }
    case 'i': {
        if (c->ip->family == 4) {
            const uint8_t *a = c->ip->addr;
            return ea_buf_printf(out, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
        }
        char tmp[64];   /* 32 nibbles, dot-separated (§7.3) */
        for (int k = 0; k < 16; k++) {
            tmp[4 * k] = hex[c->ip->addr[k] >> 4];
            tmp[4 * k + 1] = '.';
            tmp[4 * k + 2] = hex[c->ip->addr[k] & 15];
            tmp[4 * k + 3] = '.';
        }
        return ea_buf_append(out, tmp, 63);
    }
    }
    return -1;
}

/* Splits, reverses, keeps the rightmost parts and joins with '.' (§7.3). */
static int transform(const macro_ref *m, const char *v, size_t vlen, ea_buf *out)
{
    size_t start[MAX_PARTS], plen[MAX_PARTS], n = 0, from = 0;
    const char *delims = m->delims ? m->delims : ".";
    size_t nd = m->delims ? m->ndelims : 1;
    for (size_t i = 0; i <= vlen; i++) {
        if (i < vlen && memchr(delims, v[i], nd) == NULL)
            continue;
        if (n == MAX_PARTS) {       /* fold the excess into the last part */
            plen[n - 1] = vlen - start[n - 1];
            break;
        }
        start[n] = from;
        plen[n] = i - from;
        n++;
        from = i + 1;
    }
    size_t keep = (m->keep && m->keep < n) ? m->keep : n;
    for (size_t k = 0; k < keep; k++) {
        /* part j of the (possibly reversed) list, among its rightmost `keep` */
        size_t j = n - keep + k;
        size_t idx = m->reverse ? n - 1 - j : j;
        if (k && ea_buf_putc(out, '.') != 0)
            return -1;
        if (ea_buf_append(out, v + start[idx], plen[idx]) != 0)
            return -1;
    }
    return 0;
}

static int url_escape(const char *v, size_t len, ea_buf *out)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)v[i];
        int unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
        if (unreserved ? ea_buf_putc(out, (char)c) != 0
                       : ea_buf_printf(out, "%%%c%c", hex[c >> 4], hex[c & 15]) != 0)
            return -1;
    }
    return 0;
}

static int expand_ref(const macro_ref *m, const ea_macro_ctx *ctx, ea_buf *tmp, ea_buf *out)
{
    tmp->len = 0;
    if (letter_value(m->letter, ctx, tmp) != 0)
        return -1;
    if (!m->reverse && m->keep == 0 && m->delims == NULL) {
        if (m->letter >= 'a')
            return ea_buf_append(out, tmp->data ? tmp->data : "", tmp->len);
        return url_escape(tmp->data ? tmp->data : "", tmp->len, out);
    }
    if (m->letter >= 'a')
        return transform(m, tmp->data ? tmp->data : "", tmp->len, out);
    size_t mark = out->len;
    if (transform(m, tmp->data ? tmp->data : "", tmp->len, out) != 0)
        return -1;
    /* escape the transformed part in place: copy it out first */
    ea_buf t2;
    ea_buf_init(&t2);
    int rc = ea_buf_append(&t2, out->data + mark, out->len - mark);
    out->len = mark;
    if (rc == 0)
        rc = url_escape(t2.data ? t2.data : "", t2.len, out);
    ea_buf_free(&t2);
    return rc;
}

/* §7.3: drop whole labels from the left until at most 253 bytes remain. */
static void truncate_domain(ea_buf *out, size_t mark)
{
    char *d = out->data + mark;
    size_t len = out->len - mark;
    size_t cut = 0;
    while (len - cut > 253) {
        const char *dot = memchr(d + cut, '.', len - cut);
        if (dot == NULL)
            break;
        cut = (size_t)(dot - d) + 1;
    }
    if (cut) {
        memmove(d, d + cut, len - cut);
        out->len -= cut;
        out->data[out->len] = '\0';
    }
}

emauth_status ea_macro_expand(const char *s, size_t len, ea_macro_use use,
                              const ea_macro_ctx *ctx, ea_buf *out)
{
    size_t mark = out->len;
    ea_buf tmp;
    ea_buf_init(&tmp);
    emauth_status st = EMAUTH_OK;
    /* An explanation stops growing at its cap: each step adds one value at most. */
    for (size_t i = 0; i < len && st == EMAUTH_OK &&
                       !(use == EA_MACRO_EXP && out->len - mark >= EA_MACRO_EXP_MAX);) {
        const char *pct = memchr(s + i, '%', len - i);
        size_t lit = pct ? (size_t)(pct - s) - i : len - i;
        if (lit && ea_buf_append(out, s + i, lit) != 0) {
            st = EMAUTH_ERR_NOMEM;
            break;
        }
        i += lit;
        if (i >= len)
            break;
        if (i + 1 >= len) {
            st = EMAUTH_ERR_SYNTAX;
            break;
        }
        char n = s[i + 1];
        if (n == '%' || n == '_' || n == '-') {
            const char *rep = n == '%' ? "%" : n == '_' ? " " : "%20";
            if (ea_buf_puts(out, rep) != 0)
                st = EMAUTH_ERR_NOMEM;
            i += 2;
            continue;
        }
        macro_ref m;
        size_t bad;
        const char *what;
        if (n != '{' || parse_ref(s, len, i, use, &m, &bad, &what) != EMAUTH_OK) {
            st = EMAUTH_ERR_SYNTAX;
            break;
        }
        if (expand_ref(&m, ctx, &tmp, out) != 0)
            st = EMAUTH_ERR_NOMEM;
        i = m.end;
    }
    ea_buf_free(&tmp);
    if (st != EMAUTH_OK) {
        out->len = mark;
        if (out->data)
            out->data[mark] = '\0';
        return st;
    }
    if (out->data == NULL && ea_buf_reserve(out, 0) != 0)
        return EMAUTH_ERR_NOMEM;
    out->data[out->len] = '\0';
    if (use == EA_MACRO_DOMAIN)
        truncate_domain(out, mark);
    else if (out->len - mark > EA_MACRO_EXP_MAX) {
        out->len = mark + EA_MACRO_EXP_MAX;
        out->data[out->len] = '\0';
    }
    return EMAUTH_OK;
}
