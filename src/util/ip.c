/* IP address parsing, formatting and prefix matching (emauth/ip.h). */
#include <arpa/inet.h>
#include <string.h>

#include <emauth/ip.h>
#include "util/error.h"

static const uint8_t v4mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* inet_pton wants a C string: copy the bounded text to the stack first. */
static int pton(int af, const char *text, size_t len, uint8_t *out)
{
    char tmp[EMAUTH_IP_TEXT_MAX + 1];
    if (len == 0 || len > EMAUTH_IP_TEXT_MAX || memchr(text, '\0', len) != NULL)
        return 0;
    memcpy(tmp, text, len);
    tmp[len] = '\0';
    return inet_pton(af, tmp, out) == 1;
}

emauth_status emauth_ip_parse_family(const char *text, size_t len, int family, emauth_ip *out)
{
    memset(out, 0, sizeof *out);
    if (family == 4 && pton(AF_INET, text, len, out->addr)) {
        out->family = 4;
        return EMAUTH_OK;
    }
    if (family == 6 && pton(AF_INET6, text, len, out->addr)) {
        out->family = 6;
        return EMAUTH_OK;
    }
    memset(out, 0, sizeof *out);
    return EMAUTH_ERR_SYNTAX;
}

emauth_status emauth_ip_parse(const char *text, size_t len, emauth_ip *out, emauth_error *err)
{
    if (emauth_ip_parse_family(text, len, 4, out) == EMAUTH_OK)
        return EMAUTH_OK;
    if (emauth_ip_parse_family(text, len, 6, out) == EMAUTH_OK) {
        if (memcmp(out->addr, v4mapped_prefix, sizeof v4mapped_prefix) == 0) {
            memmove(out->addr, out->addr + 12, 4);
            memset(out->addr + 4, 0, 12);
            out->family = 4;
        }
        return EMAUTH_OK;
    }
    char q[64];
    return ea_error(err, EMAUTH_ERR_SYNTAX, 0, 0, "bad IP address \"%s\"",
                    ea_quote(q, sizeof q, text, len, 48));
}

size_t emauth_ip_format(const emauth_ip *ip, char *buf, size_t size)
{
    char tmp[INET6_ADDRSTRLEN];
    const char *s = inet_ntop(ip->family == 4 ? AF_INET : AF_INET6, ip->addr, tmp, sizeof tmp);
    if (s == NULL)
        tmp[0] = '\0';
    size_t n = strlen(tmp);
    if (size > 0) {
        size_t c = n < size - 1 ? n : size - 1;
        memcpy(buf, tmp, c);
        buf[c] = '\0';
    }
    return n;
}

int emauth_ip_match(const emauth_ip *a, const emauth_ip *b, unsigned prefix)
{
    if (a->family != b->family)
        return 0;
    unsigned max = a->family == 4 ? 32 : 128;
    if (prefix > max)
        prefix = max;
    unsigned whole = prefix / 8, rest = prefix % 8;
    if (memcmp(a->addr, b->addr, whole) != 0)
        return 0;
    if (rest == 0)
        return 1;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (a->addr[whole] & mask) == (b->addr[whole] & mask);
}
