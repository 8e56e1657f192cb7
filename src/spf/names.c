/* Domain names and DNS answer classes as SPF sees them; see names.h. */
#include "spf/names.h"

int ea_ieq_n(const char *a, size_t alen, const char *b, size_t blen)
{
    if (alen != blen)
        return 0;
    for (size_t i = 0; i < alen; i++) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z')
            x = (char)(x + 32);
        if (y >= 'A' && y <= 'Z')
            y = (char)(y + 32);
        if (x != y)
            return 0;
    }
    return 1;
}

int ea_name_within(const char *name, size_t nlen, const char *dom, size_t dlen)
{
    if (nlen && name[nlen - 1] == '.')
        nlen--;
    if (dlen && dom[dlen - 1] == '.')
        dlen--;
    if (nlen == dlen)
        return ea_ieq_n(name, nlen, dom, dlen);
    return nlen > dlen && name[nlen - dlen - 1] == '.' &&
           ea_ieq_n(name + nlen - dlen, dlen, dom, dlen);
}

int ea_name_ok(const char *s, size_t len, int multi)
{
    if (len && s[len - 1] == '.')
        len--;
    if (len == 0 || len > 253)
        return 0;
    size_t label = 0, labels = 1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '.') {
            if (label == 0)
                return 0;
            label = 0;
            labels++;
        } else if (++label > 63) {
            return 0;
        }
    }
    return label > 0 && (!multi || labels > 1);
}

int ea_answer_void(const emauth_dns_answer *a)
{
    return a->rcode == EMAUTH_DNS_NXDOMAIN || a->rcode == EMAUTH_DNS_NODATA ||
           (a->rcode == EMAUTH_DNS_OK && a->count == 0);
}

int ea_answer_error(const emauth_dns_answer *a)
{
    return a->rcode == EMAUTH_DNS_SERVFAIL || a->rcode == EMAUTH_DNS_TIMEOUT;
}
