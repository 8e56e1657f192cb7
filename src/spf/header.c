/*
 * SPF results as header fields: Received-SPF (RFC 7208 §9.1) and the "spf="
 * entry of Authentication-Results (RFC 8601 §2.7.2).
 *
 *   header-field   = "Received-SPF:" [CFWS] result FWS [comment FWS]
 *                    [ key-value-list ] CRLF
 *   key-value-list = key-value-pair *( ";" [CFWS] key-value-pair ) [";"]
 *   key-value-pair = key [CFWS] "=" ( dot-atom / quoted-string )
 *
 *   resinfo  = [CFWS] ";" methodspec [ CFWS reasonspec ] [ CFWS 1*propspec ]
 *   propspec = ptype [CFWS] "." [CFWS] property [CFWS] "=" pvalue
 *   pvalue   = [CFWS] ( value / [ [ local-part ] "@" ] domain-name ) [CFWS]
 *
 * Most of what goes in (MAIL FROM, HELO, the matching term, the problem
 * text quoting a record) is chosen by the sender, so every value is
 * sanitised here: the field is 7-bit ASCII on one line (no CR, LF or other
 * control byte survives; bytes outside printable ASCII become '?'), each
 * value is cut at VALUE_MAX bytes (PROBLEM_MAX for the problem text) with
 * "..." so that the whole field stays under the 998-byte line limit of
 * RFC 5322 §2.1.1 whatever the input, and a value that is not a dot-atom is
 * written as a quoted-string.
 */
#include <string.h>

#include <emauth/spf.h>

/* Bytes of one value as written (escapes included) before it is cut. */
#define VALUE_MAX 96
#define PROBLEM_MAX 200

/* An snprintf-like writer: counts everything, stores what fits. */
typedef struct hdr_writer {
    char *buf;
    size_t size;
    size_t len;    /* bytes the full output needs so far */
} hdr_writer;

static void put_mem(hdr_writer *w, const char *s, size_t n)
{
    if (w->len < w->size) {
        size_t room = w->size - w->len;
        memcpy(w->buf + w->len, s, n < room ? n : room);
    }
    w->len += n;
}

static void put_str(hdr_writer *w, const char *s)
{
    put_mem(w, s, strlen(s));
}

static void put_char(hdr_writer *w, char c)
{
    put_mem(w, &c, 1);
}

/* NUL-terminates (truncating if needed) and returns the full length. */
static size_t finish(hdr_writer *w)
{
    if (w->size > 0)
        w->buf[w->len < w->size ? w->len : w->size - 1] = '\0';
    return w->len;
}

/* atext of RFC 5322 §3.2.3. */
static int is_atext(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return 1;
    return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* 1 when s[0..n) is a dot-atom short enough to be written bare. */
static int is_dot_atom(const char *s, size_t n)
{
    if (n == 0 || n > VALUE_MAX || s[0] == '.' || s[n - 1] == '.')
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '.' ? s[i + 1] == '.' : !is_atext(c))
            return 0;
    }
    return 1;
}

/*
 * Writes untrusted text for inside a quoted-string or a comment: the bytes
 * in `specials` get a backslash (quoted-pair), white space becomes a space,
 * any other byte outside printable ASCII becomes '?'. Cut at max written
 * bytes, marked by "...".
 */
static void put_sanitized(hdr_writer *w, const char *s, const char *specials, size_t max)
{
    size_t out = 0;
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        int special = strchr(specials, c) != NULL;
        if (out + 1 + special > max) {
            put_str(w, "...");
            return;
        }
        if (special)
            put_char(w, '\\');
        if (c == ' ' || c == '\t')
            c = ' ';
        else if (c < 0x20 || c > 0x7e)
            c = '?';
        put_char(w, (char)c);
        out += 1 + special;
    }
}

static void put_quoted(hdr_writer *w, const char *s, size_t max)
{
    put_char(w, '"');
    put_sanitized(w, s, "\"\\", max);
    put_char(w, '"');
}

/* A dot-atom as it is, anything else as a quoted-string. */
static void put_word(hdr_writer *w, const char *s)
{
    if (is_dot_atom(s, strlen(s)))
        put_str(w, s);
    else
        put_quoted(w, s, VALUE_MAX);
}

/* ---- Received-SPF --------------------------------------------------------- */

/*
 * The comment after the result (§9.1 "SHOULD include a comment ... such as
 * <ip>, <sender>, and <domain>"), worded as the RFC examples and the common
 * implementations do. %S is the sender, %I the client IP.
 */
static const char *comment_template(emauth_spf_verdict v)
{
    switch (v) {
    case EMAUTH_SPF_PASS: return "domain of %S designates %I as permitted sender";
    case EMAUTH_SPF_FAIL: return "domain of %S does not designate %I as permitted sender";
    case EMAUTH_SPF_SOFTFAIL:
        return "domain of transitioning %S does not designate %I as permitted sender";
    case EMAUTH_SPF_NEUTRAL: return "%I is neither permitted nor denied by domain of %S";
    case EMAUTH_SPF_NONE: return "domain of %S does not designate permitted sender hosts";
    case EMAUTH_SPF_TEMPERROR: return "error in processing during lookup of %S";
    case EMAUTH_SPF_PERMERROR: return "permanent error in processing domain of %S";
    }
    return "unknown result for %S";
}

/* Who the comment speaks of: the sender checked, else the domain. */
static const char *comment_sender(const emauth_spf_result *res, const emauth_spf_request *req)
{
    if (res->sender != NULL && res->sender[0] != '\0')
        return res->sender;
    if (res->domain != NULL && res->domain[0] != '\0')
        return res->domain;
    return req->mail_from != NULL && req->mail_from[0] != '\0' ? req->mail_from : "unknown";
}

static void put_comment(hdr_writer *w, const emauth_spf_result *res,
                        const emauth_spf_request *req, const char *ip)
{
    static const char comment_specials[] = "()\\";
    put_char(w, '(');
    if (req->receiver != NULL && req->receiver[0] != '\0') {
        put_sanitized(w, req->receiver, comment_specials, VALUE_MAX);
        put_str(w, ": ");
    }
    for (const char *t = comment_template(res->verdict); *t != '\0'; t++) {
        if (t[0] == '%' && t[1] == 'S') {
            put_sanitized(w, comment_sender(res, req), comment_specials, VALUE_MAX);
            t++;
        } else if (t[0] == '%' && t[1] == 'I') {
            put_str(w, ip);
            t++;
        } else {
            put_char(w, *t);
        }
    }
    put_char(w, ')');
}

/*
 * "; key=value" after the first pair, " key=value" for the first. quote_max
 * > 0 forces a quoted-string cut at that length; 0 writes a word.
 */
static void put_pair(hdr_writer *w, int *first, const char *key, const char *value,
                     size_t quote_max)
{
    put_str(w, *first ? " " : "; ");
    *first = 0;
    put_str(w, key);
    put_char(w, '=');
    if (quote_max > 0)
        put_quoted(w, value, quote_max);
    else
        put_word(w, value);
}

static int is_error(emauth_spf_verdict v)
{
    return v == EMAUTH_SPF_TEMPERROR || v == EMAUTH_SPF_PERMERROR;
}

/* The verdicts that come from evaluating a record's terms. */
static int is_evaluated(emauth_spf_verdict v)
{
    return v == EMAUTH_SPF_PASS || v == EMAUTH_SPF_FAIL || v == EMAUTH_SPF_SOFTFAIL ||
           v == EMAUTH_SPF_NEUTRAL;
}

static const char *identity_of(const emauth_spf_result *res)
{
    return res->identity == EMAUTH_SPF_ID_HELO ? "helo" : "mailfrom";
}

size_t emauth_spf_received_spf(const emauth_spf_result *res, const emauth_spf_request *req,
                               char *buf, size_t size)
{
    hdr_writer w = {buf, size, 0};
    char ip[EMAUTH_IP_TEXT_MAX + 1];
    int first = 1;

    if (req->ip.family == 4 || req->ip.family == 6)
        emauth_ip_format(&req->ip, ip, sizeof ip);
    else
        strcpy(ip, "unknown");

    put_str(&w, "Received-SPF: ");
    put_str(&w, emauth_spf_verdict_name(res->verdict));
    put_char(&w, ' ');
    put_comment(&w, res, req, ip);
    put_pair(&w, &first, "client-ip", ip, 0);
    put_pair(&w, &first, "envelope-from", req->mail_from ? req->mail_from : "", VALUE_MAX);
    if (req->helo != NULL && req->helo[0] != '\0')
        put_pair(&w, &first, "helo", req->helo, 0);
    if (req->receiver != NULL && req->receiver[0] != '\0')
        put_pair(&w, &first, "receiver", req->receiver, 0);
    put_pair(&w, &first, "identity", identity_of(res), 0);
    /* §9.1: "if no mechanisms matched, substitute the word 'default'". */
    if (is_evaluated(res->verdict))
        put_pair(&w, &first, "mechanism", res->mechanism ? res->mechanism : "default", 0);
    if (is_error(res->verdict) && res->problem != NULL)
        put_pair(&w, &first, "problem", res->problem, PROBLEM_MAX);
    return finish(&w);
}

/* ---- Authentication-Results ---------------------------------------------- */

/*
 * The pvalue of smtp.mailfrom / smtp.helo: "[local-part@]domain-name" when
 * it can be written bare (a dot-atom local part, or a quoted one before a
 * dot-atom domain), else the whole thing as a quoted-string (a MIME value).
 */
static void put_pvalue(hdr_writer *w, const char *s)
{
    size_t n = strlen(s);
    const char *at = strrchr(s, '@');
    if (at == NULL || at == s) {
        put_word(w, at == s ? s + 1 : s);
        return;
    }
    size_t local_len = (size_t)(at - s);
    const char *domain = at + 1;
    if (!is_dot_atom(domain, n - local_len - 1)) {
        put_quoted(w, s, VALUE_MAX);
    } else if (is_dot_atom(s, local_len)) {
        put_str(w, s);
    } else {
        char local[VALUE_MAX + 1];
        size_t keep = local_len < VALUE_MAX ? local_len : VALUE_MAX;
        memcpy(local, s, keep);
        local[keep] = '\0';
        put_quoted(w, local, VALUE_MAX);
        put_char(w, '@');
        put_str(w, domain);
    }
}

size_t emauth_spf_authres(const emauth_spf_result *res, char *buf, size_t size)
{
    hdr_writer w = {buf, size, 0};
    const char *who = res->identity == EMAUTH_SPF_ID_HELO ? res->domain : res->sender;
    if (who == NULL || who[0] == '\0')
        who = res->domain;

    put_str(&w, "spf=");
    put_str(&w, emauth_spf_verdict_name(res->verdict));
    if (is_error(res->verdict) && res->problem != NULL) {
        put_str(&w, " (");
        put_sanitized(&w, res->problem, "()\\", PROBLEM_MAX);
        put_char(&w, ')');
    }
    if (who != NULL && who[0] != '\0') {
        put_str(&w, res->identity == EMAUTH_SPF_ID_HELO ? " smtp.helo=" : " smtp.mailfrom=");
        put_pvalue(&w, who);
    }
    return finish(&w);
}
