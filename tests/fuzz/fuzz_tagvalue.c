/*
 * Tag=value lists (RFC 6376 §3.2), under DKIM-Signature fields, DKIM key
 * records and DMARC records: ea_tags_parse(), ea_tags_find().
 * Input: a byte choosing the tag limit (0..63), then the list.
 *
 * Invariants: at most max tags; names and values lie inside the input,
 * columns point at the names; a name is ALPHA *(ALNUM / "_"); a value has
 * no FWS at either end and only VALCHAR and FWS inside; no name twice;
 * ea_tags_find() finds each tag by its name.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "util/tagvalue.h"

#define TAGS_MAX 64

static int alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in in = {data, size};
    size_t max = fz_u8(&in) % TAGS_MAX;
    char *s = fz_dup_exact(in.p, in.len);
    size_t len = in.len;
    ea_tag tags[TAGS_MAX];
    size_t n = 99;
    emauth_error err;
    if (ea_tags_parse(s, len, tags, max, &n, &err) != EMAUTH_OK) {
        fz_touch(err.message);
        free(s);
        return 0;
    }
    if (n > max)
        abort();
    for (size_t k = 0; k < n; k++) {
        const ea_tag *t = &tags[k];
        if (t->name_len == 0 || t->name < s || (size_t)(t->name - s) + t->name_len > len ||
            t->column != (size_t)(t->name - s) + 1 || !alpha(t->name[0]))
            abort();
        for (size_t i = 1; i < t->name_len; i++)
            if (!alpha(t->name[i]) && !(t->name[i] >= '0' && t->name[i] <= '9') &&
                t->name[i] != '_')
                abort();
        if (t->value_len > 0) {
            if (t->value < s || (size_t)(t->value - s) + t->value_len > len ||
                blank(t->value[0]) || blank(t->value[t->value_len - 1]))
                abort();
            for (size_t i = 0; i < t->value_len; i++) {
                unsigned char c = (unsigned char)t->value[i];
                if (c == ';' || ((c < 0x21 || c > 0x7e) && !blank((char)c)))
                    abort();
            }
        }
        for (size_t j = 0; j < k; j++)
            if (tags[j].name_len == t->name_len && memcmp(tags[j].name, t->name, t->name_len) == 0)
                abort();
        char *name = fz_dup(t->name, t->name_len);
        if (ea_tags_find(tags, n, name) != t)
            abort();
        free(name);
    }
    free(s);
    return 0;
}
