/*
 * opendkim_tool - libopendkim (OpenDKIM's library, Debian libopendkim-dev)
 * as a peer for the DKIM interop tests and the benchmark. No DNS: keys come
 * from a text file of lines "SELECTOR._domainkey.DOMAIN KEY-RECORD".
 *
 *   opendkim_tool verify KEYFILE < message
 *       One line per DKIM-Signature, in header order:
 *         "d=DOMAIN s=SELECTOR a=ALG c=HDR/BODY result=pass|fail error=TEXT"
 *       Exit 0 when the message has signatures and every one passes, 1 when
 *       one does not (or there is none), 2 on usage or internal errors.
 *
 *   opendkim_tool sign KEYPEM DOMAIN SELECTOR [-a rsa-sha256|ed25519-sha256]
 *                 [-c HDR/BODY] [-l] [-o HEADER,...] < message > signed
 *       Prints the message with libopendkim's DKIM-Signature prepended.
 *       -l adds l= (DKIM_LIBFLAGS_SIGNLEN); -o oversigns the named fields.
 *
 *   opendkim_tool bench KEYFILE MESSAGE SECONDS
 *       Verifies MESSAGE (read into memory) again and again for SECONDS,
 *       keys served from memory; prints "verifications/s MB/s".
 *
 * The message may have CRLF or LF line ends: LF is turned into CRLF first,
 * as an MTA does. It is read whole into memory (test messages are small).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <opendkim/dkim.h>

typedef struct buf {
    unsigned char *p;
    size_t len, cap;
} buf;

static int buf_put(buf *b, const void *data, size_t len)
{
    if (len > (size_t)-1 / 2 - b->len)
        return -1;
    if (b->len + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + len + 1)
            cap *= 2;
        unsigned char *p = realloc(b->p, cap);
        if (p == NULL)
            return -1;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, len);
    b->len += len;
    b->p[b->len] = '\0';
    return 0;
}

/* Reads f whole, turning every bare LF into CRLF. */
static int read_crlf(FILE *f, buf *out)
{
    unsigned char chunk[65536];
    int prev_cr = 0;
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        size_t start = 0;
        for (size_t i = 0; i < n; i++) {
            int is_cr = chunk[i] == '\r';
            if (chunk[i] == '\n' && !(i == 0 ? prev_cr : chunk[i - 1] == '\r')) {
                if (buf_put(out, chunk + start, i - start) != 0 || buf_put(out, "\r\n", 2) != 0)
                    return -1;
                start = i + 1;
            }
            if (i == n - 1)
                prev_cr = is_cr;
        }
        if (buf_put(out, chunk + start, n - start) != 0)
            return -1;
    }
    if (ferror(f))
        return -1;
    if (out->p == NULL && buf_put(out, "", 0) != 0)
        return -1;
    return 0;
}

static int read_file(const char *path, buf *out)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "opendkim_tool: %s: %s\n", path, strerror(errno));
        return -1;
    }
    int rc = read_crlf(f, out);
    fclose(f);
    if (rc != 0)
        fprintf(stderr, "opendkim_tool: %s: read error\n", path);
    return rc;
}

/*
 * Feeds a CRLF message to h: each header field without its final CRLF
 * (folding kept), the end of the header, the body. Returns the first
 * status that is not DKIM_STAT_OK from header/eoh/body, else DKIM_STAT_OK.
 * DKIM_STAT_NOSIG from eoh is passed back as is (the caller decides).
 */
static DKIM_STAT feed(DKIM *h, const unsigned char *m, size_t len)
{
    size_t i = 0;
    DKIM_STAT st;
    while (i < len) {
        if (len - i >= 2 && m[i] == '\r' && m[i + 1] == '\n') {   /* the empty line */
            i += 2;
            break;
        }
        size_t start = i;
        for (;;) {
            const unsigned char *eol = memmem(m + i, len - i, "\r\n", 2);
            if (eol == NULL) {
                i = len;
                break;
            }
            i = (size_t)(eol - m) + 2;
            if (i >= len || (m[i] != ' ' && m[i] != '\t'))
                break;
        }
        size_t flen = i - start;
        if (flen >= 2 && m[start + flen - 2] == '\r' && m[start + flen - 1] == '\n')
            flen -= 2;
        st = dkim_header(h, (unsigned char *)m + start, flen);
        if (st != DKIM_STAT_OK)
            return st;
    }
    st = dkim_eoh(h);
    if (st != DKIM_STAT_OK)
        return st;
    if (i < len) {
        st = dkim_body(h, (unsigned char *)m + i, len - i);
        if (st != DKIM_STAT_OK)
            return st;
    }
    return DKIM_STAT_OK;
}

static DKIM_LIB *lib_new(void)
{
    DKIM_LIB *lib = dkim_init(NULL, NULL);
    if (lib == NULL) {
        fprintf(stderr, "opendkim_tool: dkim_init failed\n");
        return NULL;
    }
    return lib;
}

static const char *alg_name(DKIM_SIGINFO *sig)
{
    dkim_alg_t alg;
    if (dkim_sig_getsignalg(sig, &alg) != DKIM_STAT_OK)
        return "?";
    switch (alg) {
    case DKIM_SIGN_RSASHA1: return "rsa-sha1";
    case DKIM_SIGN_RSASHA256: return "rsa-sha256";
    case DKIM_SIGN_ED25519SHA256: return "ed25519-sha256";
    default: return "?";
    }
}

static const char *canon_name(dkim_canon_t c)
{
    return c == DKIM_CANON_RELAXED ? "relaxed" : c == DKIM_CANON_SIMPLE ? "simple" : "?";
}

static int cmd_verify(const char *keyfile)
{
    buf msg = {0};
    if (read_crlf(stdin, &msg) != 0) {
        fprintf(stderr, "opendkim_tool: cannot read the message\n");
        return 2;
    }
    DKIM_LIB *lib = lib_new();
    if (lib == NULL)
        return 2;
    int method = DKIM_QUERY_FILE;
    dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_QUERYMETHOD, &method, sizeof method);
    dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_QUERYINFO, (void *)keyfile, strlen(keyfile));

    DKIM_STAT st;
    DKIM *h = dkim_verify(lib, (const unsigned char *)"interop", NULL, &st);
    if (h == NULL) {
        fprintf(stderr, "opendkim_tool: dkim_verify: %s\n", dkim_getresultstr(st));
        dkim_close(lib);
        return 2;
    }
    st = feed(h, msg.p, msg.len);
    if (st == DKIM_STAT_OK)
        st = dkim_eom(h, NULL);

    int rc = 1;
    DKIM_SIGINFO **sigs = NULL;
    int nsigs = 0;
    if (dkim_getsiglist(h, &sigs, &nsigs) == DKIM_STAT_OK && nsigs > 0) {
        rc = 0;
        for (int k = 0; k < nsigs; k++) {
            DKIM_SIGINFO *s = sigs[k];
            dkim_canon_t hc = DKIM_CANON_UNKNOWN, bc = DKIM_CANON_UNKNOWN;
            (void)dkim_sig_getcanons(s, &hc, &bc);
            int pass = DKIM_SIG_CHECK(s);
            int err = dkim_sig_geterror(s);
            const char *why = pass ? "none"
                              : err != DKIM_SIGERROR_OK ? dkim_sig_geterrorstr(err)
                              : dkim_sig_getbh(s) == DKIM_SIGBH_MISMATCH ? "body hash mismatch"
                                                                        : dkim_getresultstr(st);
            const unsigned char *d = dkim_sig_getdomain(s), *sel = dkim_sig_getselector(s);
            printf("d=%s s=%s a=%s c=%s/%s result=%s error=%s\n", d ? (const char *)d : "?",
                   sel ? (const char *)sel : "?", alg_name(s), canon_name(hc), canon_name(bc),
                   pass ? "pass" : "fail", why ? why : "?");
            if (!pass)
                rc = 1;
        }
    } else {
        printf("result=none error=%s\n", dkim_getresultstr(st));
    }
    dkim_free(h);
    dkim_close(lib);
    free(msg.p);
    return rc;
}

static int parse_canon(const char *s, dkim_canon_t *hc, dkim_canon_t *bc)
{
    char h[16], b[16];
    const char *slash = strchr(s, '/');
    size_t hl = slash ? (size_t)(slash - s) : strlen(s);
    if (hl == 0 || hl >= sizeof h)
        return -1;
    memcpy(h, s, hl);
    h[hl] = '\0';
    snprintf(b, sizeof b, "%s", slash ? slash + 1 : "simple");
    *hc = strcmp(h, "relaxed") == 0 ? DKIM_CANON_RELAXED : strcmp(h, "simple") == 0 ? DKIM_CANON_SIMPLE : -2;
    *bc = strcmp(b, "relaxed") == 0 ? DKIM_CANON_RELAXED : strcmp(b, "simple") == 0 ? DKIM_CANON_SIMPLE : -2;
    return *hc == -2 || *bc == -2 ? -1 : 0;
}

static int cmd_sign(int argc, char **argv)
{
    if (argc < 3)
        return -1;
    const char *keypem = argv[0], *domain = argv[1], *selector = argv[2];
    dkim_alg_t alg = DKIM_SIGN_RSASHA256;
    dkim_canon_t hc = DKIM_CANON_RELAXED, bc = DKIM_CANON_RELAXED;
    int length = 0;
    const char *oversign = NULL;
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "-a") == 0 && i + 1 < argc) {
            const char *a = argv[++i];
            if (strcmp(a, "rsa-sha256") == 0)
                alg = DKIM_SIGN_RSASHA256;
            else if (strcmp(a, "ed25519-sha256") == 0)
                alg = DKIM_SIGN_ED25519SHA256;
            else
                return -1;
        } else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
            if (parse_canon(argv[++i], &hc, &bc) != 0)
                return -1;
        } else if (strcmp(argv[i], "-l") == 0) {
            length = 1;
        } else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
            oversign = argv[++i];
        } else {
            return -1;
        }
    }

    buf key = {0}, msg = {0};
    if (read_file(keypem, &key) != 0)
        return 2;
    /* PEM with LF line ends is what OpenSSL expects; undo read_crlf's CRs. */
    size_t w = 0;
    for (size_t r = 0; r < key.len; r++)
        if (key.p[r] != '\r')
            key.p[w++] = key.p[r];
    key.len = w;
    key.p[w] = '\0';
    if (read_crlf(stdin, &msg) != 0) {
        fprintf(stderr, "opendkim_tool: cannot read the message\n");
        return 2;
    }

    DKIM_LIB *lib = lib_new();
    if (lib == NULL)
        return 2;
    if (alg == DKIM_SIGN_ED25519SHA256 && !dkim_libfeature(lib, DKIM_FEATURE_ED25519)) {
        fprintf(stderr, "opendkim_tool: this libopendkim has no ed25519\n");
        dkim_close(lib);
        return 3;
    }
    if (length) {
        unsigned flags = 0;
        dkim_options(lib, DKIM_OP_GETOPT, DKIM_OPTS_FLAGS, &flags, sizeof flags);
        flags |= DKIM_LIBFLAGS_SIGNLEN;
        dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags, sizeof flags);
    }
    char *names[32];
    char *list = NULL;
    if (oversign != NULL) {
        list = strdup(oversign);
        size_t n = 0;
        for (char *save = NULL, *t = strtok_r(list, ",", &save); t != NULL && n < 31;
             t = strtok_r(NULL, ",", &save))
            names[n++] = t;
        names[n] = NULL;
        dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_OVERSIGNHDRS, names, sizeof(char **));
    }

    int rc = 2;
    DKIM_STAT st;
    DKIM *h = dkim_sign(lib, (const unsigned char *)"interop", NULL, key.p,
                        (const unsigned char *)selector, (const unsigned char *)domain, hc, bc,
                        alg, -1, &st);
    if (h == NULL) {
        fprintf(stderr, "opendkim_tool: dkim_sign: %s\n", dkim_getresultstr(st));
        goto out;
    }
    st = feed(h, msg.p, msg.len);
    if (st == DKIM_STAT_OK)
        st = dkim_eom(h, NULL);
    unsigned char *sig = NULL;
    size_t siglen = 0;
    const char *prefix = "DKIM-Signature: ";
    if (st == DKIM_STAT_OK)
        st = dkim_getsighdr_d(h, strlen(prefix), &sig, &siglen);
    if (st != DKIM_STAT_OK) {
        const char *e = dkim_geterror(h);
        fprintf(stderr, "opendkim_tool: signing failed: %s%s%s\n", dkim_getresultstr(st),
                e ? ": " : "", e ? e : "");
        dkim_free(h);
        goto out;
    }
    /* The value is folded with bare LF; the message is CRLF. */
    fputs(prefix, stdout);
    for (size_t i = 0; i < siglen; i++) {
        if (sig[i] == '\n' && (i == 0 || sig[i - 1] != '\r'))
            putchar('\r');
        putchar(sig[i]);
    }
    fputs("\r\n", stdout);
    fwrite(msg.p, 1, msg.len, stdout);
    rc = fflush(stdout) == 0 ? 0 : 2;
    dkim_free(h);
out:
    free(list);
    dkim_close(lib);
    free(key.p);
    free(msg.p);
    return rc;
}

/* ---- bench: keys from memory, the message verified again and again ---- */

static buf bench_keys;

static DKIM_CBSTAT key_from_memory(DKIM *dkim, DKIM_SIGINFO *sig, u_char *out, size_t outlen)
{
    char name[512];
    const unsigned char *d = dkim_sig_getdomain(sig), *s = dkim_sig_getselector(sig);
    int n = snprintf(name, sizeof name, "%s._domainkey.%s", s ? (const char *)s : "",
                     d ? (const char *)d : "");
    if (n < 0 || (size_t)n >= sizeof name)
        return DKIM_CBSTAT_NOTFOUND;
    const char *p = (const char *)bench_keys.p, *end = p + bench_keys.len;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *le = eol ? eol : end;
        if ((size_t)(le - p) > (size_t)n && strncasecmp(p, name, (size_t)n) == 0 &&
            (p[n] == ' ' || p[n] == '\t')) {
            const char *v = p + n + 1;
            size_t vl = (size_t)(le - v);
            while (vl > 0 && (v[vl - 1] == '\r'))
                vl--;
            if (vl + 1 > outlen)
                return DKIM_CBSTAT_ERROR;
            memcpy(out, v, vl);
            out[vl] = '\0';
            return DKIM_CBSTAT_CONTINUE;
        }
        p = eol ? eol + 1 : end;
    }
    return DKIM_CBSTAT_NOTFOUND;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmd_bench(const char *keyfile, const char *msgfile, double seconds)
{
    buf msg = {0};
    if (read_file(keyfile, &bench_keys) != 0 || read_file(msgfile, &msg) != 0)
        return 2;
    DKIM_LIB *lib = lib_new();
    if (lib == NULL)
        return 2;
    dkim_set_key_lookup(lib, key_from_memory);
    unsigned long n = 0;
    double t0 = now_s(), t = t0;
    while (t - t0 < seconds) {
        for (int k = 0; k < 8; k++) {
            DKIM_STAT st;
            DKIM *h = dkim_verify(lib, (const unsigned char *)"bench", NULL, &st);
            if (h == NULL)
                return 2;
            st = feed(h, msg.p, msg.len);
            if (st == DKIM_STAT_OK)
                st = dkim_eom(h, NULL);
            DKIM_SIGINFO **sigs;
            int nsigs = 0;
            if (st != DKIM_STAT_OK || dkim_getsiglist(h, &sigs, &nsigs) != DKIM_STAT_OK ||
                nsigs < 1 || !DKIM_SIG_CHECK(sigs[0])) {
                fprintf(stderr, "opendkim_tool: bench: the message does not verify (%s)\n",
                        dkim_getresultstr(st));
                dkim_free(h);
                return 1;
            }
            dkim_free(h);
            n++;
        }
        t = now_s();
    }
    double rate = (double)n / (t - t0);
    printf("%.1f verifications/s %.1f MB/s\n", rate, rate * (double)msg.len / 1e6);
    dkim_close(lib);
    free(msg.p);
    free(bench_keys.p);
    return 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: opendkim_tool verify KEYFILE < message\n"
                    "       opendkim_tool sign KEYPEM DOMAIN SELECTOR [-a ALG] [-c H/B] [-l]"
                    " [-o FIELD,...] < message\n"
                    "       opendkim_tool bench KEYFILE MESSAGE SECONDS\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "verify") == 0 && argc == 3)
        return cmd_verify(argv[2]);
    if (argc >= 5 && strcmp(argv[1], "sign") == 0) {
        int rc = cmd_sign(argc - 2, argv + 2);
        return rc < 0 ? usage() : rc;
    }
    if (argc == 5 && strcmp(argv[1], "bench") == 0)
        return cmd_bench(argv[2], argv[3], atof(argv[4]));
    return usage();
}
