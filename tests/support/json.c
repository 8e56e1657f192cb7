/* Test support: reading fields of the CLI's JSON lines. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "util/buf.h"

/* Decodes the JSON string at *p (just past its opening quote) into a new C string. */
static char *json_string(const char **p)
{
    ea_buf b;
    ea_buf_init(&b);
    const char *s = *p;
    while (*s && *s != '"') {
        if (*s != '\\') {
            ea_buf_putc(&b, *s++);
            continue;
        }
        s++;
        char c = *s ? *s++ : 0;
        const char *map = strchr("\"\\/bfnrt", c);
        if (map != NULL && c != 0) {
            ea_buf_putc(&b, "\"\\/\b\f\n\r\t"[map - "\"\\/bfnrt"]);
        } else if (c == 'u') {
            unsigned v = (unsigned)strtoul((char[5]){s[0], s[1], s[2], s[3], 0}, NULL, 16);
            s += strlen(s) < 4 ? strlen(s) : 4;
            if (v < 0x80) {
                ea_buf_putc(&b, (char)v);
            } else if (v < 0x800) {
                ea_buf_putc(&b, (char)(0xc0 | v >> 6));
                ea_buf_putc(&b, (char)(0x80 | (v & 0x3f)));
            } else {
                ea_buf_putc(&b, (char)(0xe0 | v >> 12));
                ea_buf_putc(&b, (char)(0x80 | (v >> 6 & 0x3f)));
                ea_buf_putc(&b, (char)(0x80 | (v & 0x3f)));
            }
        }
    }
    *p = *s ? s + 1 : s;
    char *out = strdup(ea_buf_cstr(&b));
    ea_buf_free(&b);
    return out;
}

char *test_json_field(const char *line, const char *key)
{
    size_t klen = strlen(key);
    const char *p = line;
    int depth = 0;
    while (*p) {
        if (*p == '"') {
            const char *start = ++p;
            char *str = json_string(&p);
            int is_key = depth == 1 && *p == ':' && (size_t)(p - start - 1) == klen &&
                         strncmp(start, key, klen) == 0;
            free(str);
            if (is_key) {
                p++;
                if (*p != '"')
                    return NULL;
                p++;
                return json_string(&p);
            }
            continue;
        }
        depth += (*p == '{' || *p == '[') - (*p == '}' || *p == ']');
        p++;
    }
    return NULL;
}

