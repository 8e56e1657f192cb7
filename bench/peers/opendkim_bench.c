/*
 * opendkim_bench - libopendkim (OpenDKIM's library, Debian libopendkim-dev)
 * verifying one signed message again and again, in-process, for the DKIM
 * comparison in bench/run.sh.
 *
 *   opendkim_bench KEYS MESSAGE [SECONDS [RUNS]]
 *
 * KEYS: lines "SELECTOR._domainkey.DOMAIN RECORD" (dkim_bench --generate
 * writes them), served by a key lookup callback from memory
 * (dkim_set_key_lookup): no DNS. MESSAGE: the signed message, CRLF line
 * ends, read into memory once.
 *
 * One DKIM_LIB is reused; each verification is what a milter does per
 * message: dkim_verify, dkim_header for every field (without its final
 * CRLF), dkim_eoh, dkim_body (64 KiB pieces), dkim_eom, the first
 * signature's DKIM_SIG_CHECK, dkim_free. The first verification must pass
 * (else exit 1); so must every timed one. Exit 3 when this libopendkim
 * cannot verify the message's algorithm (Ed25519 support is a build option).
 *
 * Each run lasts about SECONDS (default 1); RUNS runs (default 5); the
 * median is reported:
 *   RESULT rate=VERIFICATIONS_PER_S runs=R1,R2,... n=N
 * Not linked with emauth: built by bench/run.sh with cc ... $(pkg-config
 * --cflags --libs opendkim).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <opendkim/dkim.h>

#define CHUNK 65536

static char *keys;
static size_t keys_len;

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "opendkim_bench: %s: %s\n", path, strerror(errno));
        exit(2);
    }
    size_t cap = 1 << 16, n = 0, got;
    char *p = malloc(cap + 1);
    while (p != NULL && (got = fread(p + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            cap *= 2;
            char *q = realloc(p, cap + 1);
            if (q == NULL)
                free(p);
            p = q;
        }
    }
    if (p == NULL || ferror(f)) {
        fprintf(stderr, "opendkim_bench: %s: read error\n", path);
        exit(2);
    }
    fclose(f);
    p[n] = '\0';
    *len = n;
    return p;
}

/* The key lookup callback: the record for SELECTOR._domainkey.DOMAIN. */
static DKIM_CBSTAT key_lookup(DKIM *dkim, DKIM_SIGINFO *sig, u_char *out, size_t outlen)
{
    (void)dkim;
    const char *d = (const char *)dkim_sig_getdomain(sig);
    const char *s = (const char *)dkim_sig_getselector(sig);
    char name[512];
    int n = snprintf(name, sizeof name, "%s._domainkey.%s", s ? s : "", d ? d : "");
    if (n < 0 || (size_t)n >= sizeof name)
        return DKIM_CBSTAT_NOTFOUND;
    for (const char *p = keys, *end = keys + keys_len; p < end;) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *le = eol ? eol : end;
        if ((size_t)(le - p) > (size_t)n + 1 && strncasecmp(p, name, (size_t)n) == 0 &&
            p[n] == ' ') {
            const char *v = p + n + 1;
            size_t vl = (size_t)(le - v);
            while (vl > 0 && v[vl - 1] == '\r')
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

/* One verification of msg: 1 pass, 0 not, -1 an API error; *why says why. */
static int verify(DKIM_LIB *lib, const unsigned char *m, size_t len, const char **why,
                  DKIM_SIGINFO **first_sig, DKIM **keep)
{
    DKIM_STAT st;
    DKIM *h = dkim_verify(lib, (const unsigned char *)"bench", NULL, &st);
    if (h == NULL) {
        *why = dkim_getresultstr(st);
        return -1;
    }
    size_t i = 0;
    st = DKIM_STAT_OK;
    while (i < len && st == DKIM_STAT_OK) {
        if (len - i >= 2 && m[i] == '\r' && m[i + 1] == '\n') { /* the empty line */
            i += 2;
            break;
        }
        size_t start = i;
        for (;;) { /* to the end of the field, folded lines included */
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
        if (flen >= 2 && m[start + flen - 2] == '\r')
            flen -= 2;
        st = dkim_header(h, (unsigned char *)m + start, flen);
    }
    if (st == DKIM_STAT_OK)
        st = dkim_eoh(h);
    for (size_t off = i; st == DKIM_STAT_OK && off < len; off += CHUNK)
        st = dkim_body(h, (unsigned char *)m + off, len - off < CHUNK ? len - off : CHUNK);
    if (st == DKIM_STAT_OK)
        st = dkim_eom(h, NULL);
    DKIM_SIGINFO **sigs = NULL;
    int nsigs = 0, pass = 0;
    if (dkim_getsiglist(h, &sigs, &nsigs) == DKIM_STAT_OK && nsigs > 0) {
        pass = DKIM_SIG_CHECK(sigs[0]) ? 1 : 0;
        if (!pass) {
            int e = dkim_sig_geterror(sigs[0]);
            *why = e != DKIM_SIGERROR_OK ? dkim_sig_geterrorstr(e) : dkim_getresultstr(st);
        }
        if (first_sig != NULL)
            *first_sig = sigs[0];
    } else {
        *why = dkim_getresultstr(st);
    }
    if (keep != NULL)
        *keep = h;
    else
        dkim_free(h);
    return pass;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: opendkim_bench KEYS MESSAGE [SECONDS [RUNS]]\n");
        return 2;
    }
    double seconds = argc > 3 ? atof(argv[3]) : 1.0;
    int runs = argc > 4 ? atoi(argv[4]) : 5;
    if (seconds <= 0 || runs < 1 || runs > 99) {
        fprintf(stderr, "opendkim_bench: bad SECONDS or RUNS\n");
        return 2;
    }
    size_t len;
    keys = slurp(argv[1], &keys_len);
    unsigned char *msg = (unsigned char *)slurp(argv[2], &len);

    DKIM_LIB *lib = dkim_init(NULL, NULL);
    if (lib == NULL) {
        fprintf(stderr, "opendkim_bench: dkim_init failed\n");
        return 2;
    }
    dkim_set_key_lookup(lib, key_lookup);
    unsigned long v = dkim_libversion();
    int ed = dkim_libfeature(lib, DKIM_FEATURE_ED25519);

    const char *why = "?";
    DKIM_SIGINFO *sig = NULL;
    DKIM *h = NULL;
    int r = verify(lib, msg, len, &why, &sig, &h);
    dkim_alg_t alg = DKIM_SIGN_UNKNOWN;
    if (sig != NULL)
        (void)dkim_sig_getsignalg(sig, &alg);
    printf("libopendkim %lu.%lu.%lu (Ed25519 %s): %s, %zu bytes: %s%s%s (a=%s)\n", v >> 24,
           (v >> 16) & 0xff, (v >> 8) & 0xff, ed ? "supported" : "not supported", argv[2], len,
           r == 1 ? "pass" : "did not pass", r == 1 ? "" : ": ", r == 1 ? "" : why,
           alg == DKIM_SIGN_RSASHA256 ? "rsa-sha256"
           : alg == DKIM_SIGN_ED25519SHA256 ? "ed25519-sha256" : "?");
    if (h != NULL)
        dkim_free(h);
    if (r != 1) {
        if (strstr(argv[2], "ed25519") != NULL && !ed)
            return 3;
        return 1;
    }
    fflush(stdout);

    double rate[99], sorted[99];
    unsigned long total = 0;
    for (int k = 0; k < runs; k++) {
        unsigned long n = 0;
        double t0 = now_s(), t = t0;
        while (t - t0 < seconds) {
            for (int j = 0; j < 4; j++, n++)
                if (verify(lib, msg, len, &why, NULL, NULL) != 1) {
                    fprintf(stderr, "opendkim_bench: a timed verification did not pass: %s\n",
                            why);
                    return 1;
                }
            t = now_s();
        }
        rate[k] = (double)n / (t - t0);
        total += n;
        printf("  run %d: %.1f verifications/s (%.1f MB/s)\n", k + 1, rate[k],
               rate[k] * (double)len / 1e6);
    }
    memcpy(sorted, rate, sizeof(double) * (size_t)runs);
    qsort(sorted, (size_t)runs, sizeof sorted[0], cmp);
    printf("RESULT rate=%.1f runs=", sorted[runs / 2]);
    for (int k = 0; k < runs; k++)
        printf("%s%.1f", k ? "," : "", rate[k]);
    printf(" n=%lu\n", total / (unsigned long)runs);
    dkim_close(lib);
    free(msg);
    free(keys);
    return 0;
}
