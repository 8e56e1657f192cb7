/*
 * bodyhash_tool - emauth's body hash (bh=) of many bodies, each pushed to the
 * signer in pieces of random sizes, for a differential test against dkimpy
 * (tests/interop/dkimpy_tool.py bodyhash-diff).
 *
 *   bodyhash_tool relaxed|simple SEED < records
 *
 * Input: records "LEN\n" followed by LEN body bytes (CRLF line ends, as
 * emauth_msg hands a body out). Output: one line per record, the bh= value
 * of an Ed25519 signature made with c=relaxed/CANON (header "From: a@b").
 * Only the public API is used.
 *
 * Exit: 0 done, 2 usage, input or library error.
 */
#include <emauth/dkim.h>
#include <emauth/error.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BODY (1u << 20)

static unsigned rng = 1;

static unsigned next_rand(void)
{
    rng = rng * 1103515245u + 12345u;
    return (rng >> 16) & 0x7fff;
}

/* The value of bh= in a DKIM-Signature field, folding whitespace removed. */
static int print_bh(const char *fields)
{
    const char *p = fields;
    while ((p = strstr(p, "bh=")) != NULL) {
        if (p == fields || p[-1] == ';' || p[-1] == ' ' || p[-1] == '\t' || p[-1] == '\n')
            break;
        p++;
    }
    if (p == NULL)
        return -1;
    for (p += 3; *p != '\0' && *p != ';'; p++)
        if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
            putchar(*p);
    putchar('\n');
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[1], "relaxed") != 0 && strcmp(argv[1], "simple") != 0)) {
        fprintf(stderr, "usage: bodyhash_tool relaxed|simple SEED < records\n");
        return 2;
    }
    rng = (unsigned)strtoul(argv[2], NULL, 10);
    emauth_error err;
    emauth_error_clear(&err);
    emauth_dkim_key *key;
    if (emauth_dkim_keygen(EMAUTH_DKIM_ED25519, 0, &key, &err) != EMAUTH_OK) {
        fprintf(stderr, "bodyhash_tool: keygen: %s\n", err.message);
        return 2;
    }
    emauth_dkim_sign_options o;
    memset(&o, 0, sizeof o);
    o.key = key;
    o.domain = "example.com";
    o.selector = "s";
    o.header_canon = "relaxed";
    o.body_canon = argv[1];
    o.timestamp = -1;

    char *body = malloc(MAX_BODY);
    if (body == NULL)
        return 2;
    int rc = 0;
    size_t len;
    static const char from[] = "From: a@b";
    while (rc == 0 && scanf("%zu", &len) == 1) {
        if (getchar() != '\n' || len > MAX_BODY || fread(body, 1, len, stdin) != len) {
            fprintf(stderr, "bodyhash_tool: bad record\n");
            rc = 2;
            break;
        }
        emauth_dkim_signer *s;
        if (emauth_dkim_signer_new(&o, 1, &s, &err) != EMAUTH_OK ||
            emauth_dkim_sign_header(s, from, sizeof from - 1, 4) != EMAUTH_OK ||
            emauth_dkim_sign_eoh(s) != EMAUTH_OK) {
            fprintf(stderr, "bodyhash_tool: signer: %s\n", err.message);
            rc = 2;
            break;
        }
        /* Mostly tiny pieces, so that every kind of boundary occurs. */
        for (size_t off = 0; off < len && rc == 0;) {
            size_t n = next_rand() % 4 == 0 ? 1 + next_rand() % 64 : 1 + next_rand() % 7;
            if (n > len - off)
                n = len - off;
            if (emauth_dkim_sign_body(s, body + off, n) != EMAUTH_OK)
                rc = 2;
            off += n;
        }
        char *fields = NULL;
        size_t flen;
        if (rc == 0 && (emauth_dkim_sign_eom(s, &fields, &flen, &err) != EMAUTH_OK ||
                        print_bh(fields) != 0)) {
            fprintf(stderr, "bodyhash_tool: no bh= %s\n", err.message);
            rc = 2;
        }
        free(fields);
        emauth_dkim_signer_free(s);
    }
    free(body);
    emauth_dkim_key_free(key);
    return rc;
}
