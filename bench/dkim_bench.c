/*
 * dkim_bench - in-process DKIM verification benchmark.
 *
 * Generates an RSA-2048 and an Ed25519 key, publishes their records in an
 * in-memory zone, signs a 10 KB and a 1 MB message with each (emauth's
 * signer, c=relaxed/relaxed, the default), then verifies each signed
 * message again and again with ONE reused verifier over the zone resolver:
 * no I/O, no threads, one core.
 *
 * Two ways in for every case:
 *   raw    the message bytes through the RFC 5322 splitter (emauth_msg) in
 *          64 KiB pushes, as `emauth dkim verify` reads stdin;
 *   split  header fields and 64 KiB body chunks handed to the verifier
 *          directly, as a milter delivers them.
 * Every verification's verdict is checked (pass), not only the first.
 *
 * Each figure is the median of R runs of S seconds (the machine may be
 * shared: the spread between runs is noise, not the code).
 *
 * Output: a table, then one line per case for bench/dkim.sh:
 *   result CASE ALG BYTES RAW_PER_S SPLIT_PER_S
 * (BYTES: the whole signed message).
 *
 * Usage:
 *   dkim_bench [--seconds S] [--runs R] [--case 10k|1m] [--key rsa|ed25519] [--write DIR]
 *   dkim_bench --generate DIR
 *       only writes the keys and the four signed messages (below) and exits
 *   dkim_bench --keys FILE --message FILE [--fresh] [--seconds S] [--runs R]
 *       verifies one message file (as bytes, the "raw" way) again and again,
 *       its keys served from an in-memory zone loaded from FILE ("NAME
 *       RECORD" lines, as --write writes them); --fresh makes a new verifier
 *       for every message, so that its cache of decoded public keys does not
 *       help (the like-for-like figure beside peers that decode the key for
 *       every message). Prints each run, then, for bench/run.sh:
 *         RESULT rate=VERIFICATIONS_PER_S runs=R1,R2,... n=N
 *     --seconds  time per run (default 0.5)
 *     --runs     runs per case and way, the median reported (default 5)
 *     --case, --key  only that size, only that key
 *     --write    also writes DIR/dkim-{10k,1m}-{rsa,ed25519}.eml, the
 *                signed messages, and DIR/dkim-keys.txt, the key records as
 *                "SELECTOR._domainkey.DOMAIN RECORD" lines (for peers)
 *
 * Exit: 0 done, 1 a verification did not pass, 2 usage or setup error.
 */
#include <emauth/dkim.h>
#include <emauth/dns.h>
#include <emauth/error.h>
#include <emauth/message.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DOMAIN "bench.example"
#define CHUNK 65536
#define MAX_RUNS 99

typedef struct sbuf {
    char *p;
    size_t len, cap;
} sbuf;

static void die(const char *what, const emauth_error *err)
{
    fprintf(stderr, "dkim_bench: %s%s%s\n", what, err && err->message[0] ? ": " : "",
            err ? err->message : "");
    exit(2);
}

static void put(sbuf *b, const void *data, size_t len)
{
    if (b->len + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + len + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (p == NULL)
            die("out of memory", NULL);
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, len);
    b->len += len;
    b->p[b->len] = '\0';
}

static void puts_crlf(sbuf *b, const char *s)
{
    put(b, s, strlen(s));
    put(b, "\r\n", 2);
}

static const char *const header_fields[] = {
    "From: Bench Sender <sender@" DOMAIN ">",
    "To: Receiver One <one@example.net>, Receiver Two <two@example.net>",
    "Subject: Quarterly   report\t(benchmark message)",
    "Date: Fri, 11 Jul 2003 21:00:37 -0700",
    "Message-ID: <bench-0001@" DOMAIN ">",
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=us-ascii",
};
#define NFIELDS (sizeof header_fields / sizeof header_fields[0])

/* A body of text lines until the whole message is about total bytes. */
static void make_body(sbuf *body, size_t total, size_t header_len)
{
    static const char *const words[] = {"the", "quarterly", "figures", "show", "a",
                                        "steady", "rise", "in", "revenue,", "and",
                                        "costs", "fell", "by", "12%", "since", "March."};
    unsigned s = 12345;
    size_t target = total > header_len + 2 ? total - header_len - 2 : 0;
    char line[128];
    while (body->len < target) {
        size_t n = 0;
        unsigned nwords = 6 + (s >> 16) % 8;
        for (unsigned i = 0; i < nwords; i++) {
            s = s * 1103515245u + 12345u;
            const char *w = words[(s >> 16) % 16];
            size_t wl = strlen(w);
            if (n + wl + 3 >= sizeof line - 4)
                break;
            memcpy(line + n, w, wl);
            n += wl;
            /* Mostly one space; now and then two, or a tab. */
            unsigned r = (s >> 8) % 16;
            line[n++] = r == 0 ? '\t' : ' ';
            if (r == 1)
                line[n++] = ' ';
        }
        s = s * 1103515245u + 12345u;
        if ((s >> 16) % 4 != 0)   /* most lines lose their trailing space */
            n--;
        size_t room = target - body->len;
        if (n + 2 > room)
            n = room > 2 ? room - 2 : 0;
        line[n++] = '\r';
        line[n++] = '\n';
        put(body, line, n);
        if ((s >> 16) % 9 == 0 && body->len + 2 <= target)
            put(body, "\r\n", 2);   /* paragraphs */
    }
}

/* ---- the message, split as a milter gives it ---- */

typedef struct field {
    const char *p;
    size_t len, name_len;
} field;

typedef struct split {
    field *f;
    size_t n, cap;
    sbuf store;      /* field bytes, offsets until parsing ends */
    size_t *off;
    const char *body;
    size_t body_len;
} split;

static emauth_status collect_header(void *arg, const char *f, size_t len, size_t name_len)
{
    split *s = arg;
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->f = realloc(s->f, s->cap * sizeof *s->f);
        s->off = realloc(s->off, s->cap * sizeof *s->off);
        if (s->f == NULL || s->off == NULL)
            return EMAUTH_ERR_NOMEM;
    }
    s->off[s->n] = s->store.len;
    s->f[s->n].len = len;
    s->f[s->n].name_len = name_len;
    s->n++;
    put(&s->store, f, len);
    return EMAUTH_OK;
}

static emauth_status collect_eoh(void *arg)
{
    (void)arg;
    return EMAUTH_OK;
}

static emauth_status collect_body(void *arg, const char *chunk, size_t len)
{
    (void)arg;
    (void)chunk;
    (void)len;
    return EMAUTH_OK;
}

/* Splits msg into fields (copied) and the body (pointing into msg). */
static void split_message(const sbuf *msg, split *s)
{
    memset(s, 0, sizeof *s);
    emauth_msg_callbacks cb = {collect_header, collect_eoh, collect_body};
    emauth_msg *m;
    emauth_error err;
    emauth_error_clear(&err);
    if (emauth_msg_new(&cb, s, NULL, &m) != EMAUTH_OK)
        die("emauth_msg_new", NULL);
    if (emauth_msg_push(m, msg->p, msg->len, &err) != EMAUTH_OK ||
        emauth_msg_finish(m, &err) != EMAUTH_OK)
        die("splitting the signed message", &err);
    emauth_msg_free(m);
    for (size_t i = 0; i < s->n; i++)
        s->f[i].p = s->store.p + s->off[i];
    const char *eoh = strstr(msg->p, "\r\n\r\n");
    if (eoh == NULL)
        die("the signed message has no body", NULL);
    s->body = eoh + 4;
    s->body_len = msg->len - (size_t)(s->body - msg->p);
}

/* ---- verifying ---- */

static emauth_status v_header(void *arg, const char *f, size_t len, size_t name_len)
{
    return emauth_dkim_verify_header(arg, f, len, name_len);
}

static emauth_status v_eoh(void *arg)
{
    return emauth_dkim_verify_eoh(arg);
}

static emauth_status v_body(void *arg, const char *chunk, size_t len)
{
    return emauth_dkim_verify_body(arg, chunk, len);
}

static int check_pass(emauth_dkim_verifier *v, const char *what)
{
    size_t n = 0;
    const emauth_dkim_result *r = emauth_dkim_verify_results(v, &n);
    if (r == NULL || n != 1 || r[0].verdict != EMAUTH_DKIM_PASS) {
        fprintf(stderr, "dkim_bench: %s: expected one pass, got %zu result(s)%s%s%s%s\n", what, n,
                r && n ? ": " : "", r && n ? emauth_dkim_verdict_name(r[0].verdict) : "",
                r && n && r[0].reason ? ", " : "", r && n && r[0].reason ? r[0].reason : "");
        return -1;
    }
    return 0;
}

static int fresh; /* --fresh: a new verifier for every message */

static int verify_raw_with(emauth_dkim_verifier *v, emauth_resolver *res, const sbuf *msg);

/* One verification from the raw bytes. */
static int verify_raw(emauth_dkim_verifier *v, emauth_resolver *res, const sbuf *msg)
{
    if (!fresh)
        return verify_raw_with(v, res, msg);
    emauth_dkim_options opts;
    emauth_dkim_options_default(&opts);
    emauth_dkim_verifier *nv;
    if (emauth_dkim_verifier_new(&opts, &nv) != EMAUTH_OK)
        return -1;
    int rc = verify_raw_with(nv, res, msg);
    emauth_dkim_verifier_free(nv);
    return rc;
}

static int verify_raw_with(emauth_dkim_verifier *v, emauth_resolver *res, const sbuf *msg)
{
    static const emauth_msg_callbacks cb = {v_header, v_eoh, v_body};
    emauth_msg *m;
    emauth_error err;
    if (emauth_dkim_verify_start(v, NULL) != EMAUTH_OK || emauth_msg_new(&cb, v, NULL, &m) != EMAUTH_OK)
        return -1;
    int rc = 0;
    for (size_t off = 0; off < msg->len && rc == 0; off += CHUNK) {
        size_t n = msg->len - off < CHUNK ? msg->len - off : CHUNK;
        if (emauth_msg_push(m, msg->p + off, n, &err) != EMAUTH_OK)
            rc = -1;
    }
    if (rc == 0 && emauth_msg_finish(m, &err) != EMAUTH_OK)
        rc = -1;
    emauth_msg_free(m);
    if (rc == 0 && (emauth_dkim_verify_eom(v) != EMAUTH_OK || emauth_dkim_verify_run(v, res) != EMAUTH_OK))
        rc = -1;
    return rc == 0 ? check_pass(v, "raw") : -1;
}

/* One verification from fields and body chunks. */
static int verify_split(emauth_dkim_verifier *v, emauth_resolver *res, const split *s)
{
    if (emauth_dkim_verify_start(v, NULL) != EMAUTH_OK)
        return -1;
    for (size_t i = 0; i < s->n; i++)
        if (emauth_dkim_verify_header(v, s->f[i].p, s->f[i].len, s->f[i].name_len) != EMAUTH_OK)
            return -1;
    if (emauth_dkim_verify_eoh(v) != EMAUTH_OK || emauth_dkim_verify_run(v, res) != EMAUTH_OK)
        return -1;
    for (size_t off = 0; off < s->body_len; off += CHUNK) {
        size_t n = s->body_len - off < CHUNK ? s->body_len - off : CHUNK;
        if (emauth_dkim_verify_body(v, s->body + off, n) != EMAUTH_OK)
            return -1;
    }
    if (emauth_dkim_verify_eom(v) != EMAUTH_OK || emauth_dkim_verify_run(v, res) != EMAUTH_OK)
        return -1;
    return check_pass(v, "split");
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Verifications per second over about seconds s; -1 on a failure. */
static double time_it(emauth_dkim_verifier *v, emauth_resolver *res, const sbuf *msg,
                      const split *sp, double seconds)
{
    /* Warm up (and check) once. */
    if ((sp ? verify_split(v, res, sp) : verify_raw(v, res, msg)) != 0)
        return -1;
    unsigned long n = 0;
    double t0 = now_s(), t = t0;
    while (t - t0 < seconds) {
        for (int k = 0; k < 4; k++) {
            if ((sp ? verify_split(v, res, sp) : verify_raw(v, res, msg)) != 0)
                return -1;
            n++;
        }
        t = now_s();
    }
    return (double)n / (t - t0);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of runs timings (each kept in each[] when not NULL); -1 on a failure. */
static double median_rate(emauth_dkim_verifier *v, emauth_resolver *res, const sbuf *msg,
                          const split *sp, double seconds, int runs, double *each)
{
    double r[MAX_RUNS];
    for (int i = 0; i < runs; i++) {
        if ((r[i] = time_it(v, res, msg, sp, seconds)) < 0)
            return -1;
        if (each != NULL)
            each[i] = r[i];
    }
    qsort(r, (size_t)runs, sizeof r[0], cmp_double);
    return r[runs / 2];
}

/* ---- setup ---- */

typedef struct kcase {
    const char *name;       /* "rsa", "ed25519" */
    const char *label;      /* "rsa-2048", "ed25519" */
    const char *selector;
    emauth_dkim_key_type type;
    emauth_dkim_key *key;
    char *record;
} kcase;

static void sign_message(const kcase *k, const sbuf *header, const sbuf *body, sbuf *out)
{
    emauth_dkim_sign_options o;
    memset(&o, 0, sizeof o);
    o.key = k->key;
    o.domain = DOMAIN;
    o.selector = k->selector;
    o.header_canon = "relaxed";
    o.body_canon = "relaxed";
    o.timestamp = 0;
    emauth_dkim_signer *s;
    emauth_error err;
    emauth_error_clear(&err);
    if (emauth_dkim_signer_new(&o, 1, &s, &err) != EMAUTH_OK)
        die("emauth_dkim_signer_new", &err);
    for (size_t i = 0; i < NFIELDS; i++) {
        const char *f = header_fields[i];
        if (emauth_dkim_sign_header(s, f, strlen(f), (size_t)(strchr(f, ':') - f)) != EMAUTH_OK)
            die("emauth_dkim_sign_header", NULL);
    }
    if (emauth_dkim_sign_eoh(s) != EMAUTH_OK)
        die("emauth_dkim_sign_eoh", NULL);
    for (size_t off = 0; off < body->len; off += CHUNK) {
        size_t n = body->len - off < CHUNK ? body->len - off : CHUNK;
        if (emauth_dkim_sign_body(s, body->p + off, n) != EMAUTH_OK)
            die("emauth_dkim_sign_body", NULL);
    }
    char *fields;
    size_t flen;
    if (emauth_dkim_sign_eom(s, &fields, &flen, &err) != EMAUTH_OK)
        die("emauth_dkim_sign_eom", &err);
    emauth_dkim_signer_free(s);
    out->len = 0;
    put(out, fields, flen);
    free(fields);
    put(out, header->p, header->len);
    put(out, "\r\n", 2);
    put(out, body->p, body->len);
}

static void write_file(const char *dir, const char *name, const char *data, size_t len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "dkim_bench: %s: %s\n", path, strerror(errno));
        exit(2);
    }
}

/* Reads a whole file; exits on errors. */
static void read_whole(const char *path, sbuf *out)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "dkim_bench: %s: %s\n", path, strerror(errno));
        exit(2);
    }
    char chunk[CHUNK];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        put(out, chunk, n);
    if (ferror(f) || out->p == NULL) {
        fprintf(stderr, "dkim_bench: %s: read error or empty\n", path);
        exit(2);
    }
    fclose(f);
}

/* --keys FILE --message FILE: one message file verified again and again. */
static int bench_message(const char *keys_path, const char *msg_path, double seconds, int runs)
{
    sbuf keys = {0}, msg = {0};
    read_whole(keys_path, &keys);
    read_whole(msg_path, &msg);
    emauth_zone *zone = emauth_zone_new();
    if (zone == NULL)
        die("out of memory", NULL);
    emauth_error err;
    emauth_error_clear(&err);
    int nkeys = 0;
    for (char *line = keys.p, *next; line != NULL && *line != '\0'; line = next) {
        next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        line[strcspn(line, "\r")] = '\0';
        char *sp = strchr(line, ' ');
        if (sp == NULL)
            continue;
        *sp = '\0';
        const char *record = sp + 1;
        emauth_dns_rr rr;
        memset(&rr, 0, sizeof rr);
        rr.type = EMAUTH_DNS_TXT;
        rr.ttl = 300;
        rr.u.txt.data = record;
        rr.u.txt.len = strlen(record);
        rr.u.txt.nstrings = (rr.u.txt.len + 254) / 255;
        if (emauth_zone_add(zone, line, &rr, &err) != EMAUTH_OK)
            die("emauth_zone_add", &err);
        nkeys++;
    }
    emauth_resolver *res = emauth_zone_resolver(zone);
    emauth_dkim_options opts;
    emauth_dkim_options_default(&opts);
    emauth_dkim_verifier *v;
    if (emauth_dkim_verifier_new(&opts, &v) != EMAUTH_OK)
        die("emauth_dkim_verifier_new", NULL);

    /* Once, with the verdict shown (verify_raw_with checks it is one pass). */
    size_t nres = 0;
    const emauth_dkim_result *r;
    if (verify_raw_with(v, res, &msg) != 0 ||
        (r = emauth_dkim_verify_results(v, &nres)) == NULL || nres != 1) {
        fprintf(stderr, "dkim_bench: %s does not verify\n", msg_path);
        return 1;
    }
    printf("emauth: %s, %zu bytes, %d key record(s) in the zone: %s (d=%s s=%s a=%s c=%s/%s, "
           "%u-bit key); %s\n",
           msg_path, msg.len, nkeys, emauth_dkim_verdict_name(r[0].verdict),
           r[0].domain ? r[0].domain : "?", r[0].selector ? r[0].selector : "?",
           r[0].algorithm ? r[0].algorithm : "?", r[0].header_canon ? r[0].header_canon : "?",
           r[0].body_canon ? r[0].body_canon : "?", r[0].key_bits,
           fresh ? "a new verifier for every message" : "one verifier reused");
    fflush(stdout);
    double each[MAX_RUNS];
    double med = median_rate(v, res, &msg, NULL, seconds, runs, each);
    if (med < 0) {
        fprintf(stderr, "dkim_bench: a timed verification did not pass\n");
        return 1;
    }
    double sum = 0;
    for (int i = 0; i < runs; i++) {
        printf("  run %d: %.1f verifications/s (%.1f MB/s)\n", i + 1, each[i],
               each[i] * (double)msg.len / 1e6);
        sum += each[i] * seconds;
    }
    printf("RESULT rate=%.1f runs=", med);
    for (int i = 0; i < runs; i++)
        printf("%s%.1f", i ? "," : "", each[i]);
    printf(" n=%.0f\n", sum / runs);
    emauth_dkim_verifier_free(v);
    emauth_zone_free(zone);
    free(keys.p);
    free(msg.p);
    return 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: dkim_bench [--seconds S] [--runs R] [--case 10k|1m]"
                    " [--key rsa|ed25519] [--write DIR]\n"
                    "       dkim_bench --generate DIR\n"
                    "       dkim_bench --keys FILE --message FILE [--fresh] [--seconds S]"
                    " [--runs R]\n");
    return 2;
}

int main(int argc, char **argv)
{
    double seconds = 0.5;
    int runs = 5;
    const char *only = NULL, *only_key = NULL, *outdir = NULL;
    const char *keys_path = NULL, *msg_path = NULL;
    int generate_only = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
            seconds = atof(argv[++i]);
        else if (strcmp(argv[i], "--case") == 0 && i + 1 < argc)
            only = argv[++i];
        else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (strcmp(argv[i], "--key") == 0 && i + 1 < argc)
            only_key = argv[++i];
        else if (strcmp(argv[i], "--write") == 0 && i + 1 < argc)
            outdir = argv[++i];
        else if (strcmp(argv[i], "--generate") == 0 && i + 1 < argc) {
            outdir = argv[++i];
            generate_only = 1;
        } else if (strcmp(argv[i], "--keys") == 0 && i + 1 < argc)
            keys_path = argv[++i];
        else if (strcmp(argv[i], "--message") == 0 && i + 1 < argc)
            msg_path = argv[++i];
        else if (strcmp(argv[i], "--fresh") == 0)
            fresh = 1;
        else
            return usage();
    }
    if (seconds <= 0 || runs < 1 || runs > MAX_RUNS)
        return usage();
    if ((keys_path == NULL) != (msg_path == NULL))
        return usage();
    if (msg_path != NULL)
        return bench_message(keys_path, msg_path, seconds, runs);

    emauth_error err;
    emauth_error_clear(&err);
    kcase keys[] = {
        {"rsa", "rsa-2048", "rsa2048", EMAUTH_DKIM_RSA, NULL, NULL},
        {"ed25519", "ed25519", "ed", EMAUTH_DKIM_ED25519, NULL, NULL},
    };
    emauth_zone *zone = emauth_zone_new();
    if (zone == NULL)
        die("out of memory", NULL);
    sbuf keyfile = {0};
    for (size_t i = 0; i < 2; i++) {
        kcase *k = &keys[i];
        if (emauth_dkim_keygen(k->type, 2048, &k->key, &err) != EMAUTH_OK)
            die("emauth_dkim_keygen", &err);
        if (emauth_dkim_key_record(k->key, &k->record, &err) != EMAUTH_OK)
            die("emauth_dkim_key_record", &err);
        char owner[256];
        snprintf(owner, sizeof owner, "%s._domainkey.%s", k->selector, DOMAIN);
        emauth_dns_rr rr;
        memset(&rr, 0, sizeof rr);
        rr.type = EMAUTH_DNS_TXT;
        rr.ttl = 300;
        rr.u.txt.data = k->record;
        rr.u.txt.len = strlen(k->record);
        rr.u.txt.nstrings = (rr.u.txt.len + 254) / 255;
        if (emauth_zone_add(zone, owner, &rr, &err) != EMAUTH_OK)
            die("emauth_zone_add", &err);
        put(&keyfile, owner, strlen(owner));
        put(&keyfile, " ", 1);
        put(&keyfile, k->record, strlen(k->record));
        put(&keyfile, "\n", 1);
    }
    emauth_resolver *res = emauth_zone_resolver(zone);

    emauth_dkim_options opts;
    emauth_dkim_options_default(&opts);
    emauth_dkim_verifier *v;
    if (emauth_dkim_verifier_new(&opts, &v) != EMAUTH_OK)
        die("emauth_dkim_verifier_new", NULL);

    sbuf header = {0};
    for (size_t i = 0; i < NFIELDS; i++)
        puts_crlf(&header, header_fields[i]);

    static const struct {
        const char *name, *label;
        size_t bytes;
    } sizes[] = {{"10k", "10 KB", 10 * 1024}, {"1m", "1 MB", 1024 * 1024}};

    if (outdir)
        write_file(outdir, "dkim-keys.txt", keyfile.p, keyfile.len);
    if (!generate_only)
        printf("%-18s %10s %16s %10s %16s %10s\n", "case", "bytes", "raw verif/s", "raw MB/s",
               "split verif/s", "split MB/s");
    int failed = 0;
    char lines[8][160];
    size_t nlines = 0;
    for (size_t si = 0; si < 2; si++) {
        if (only && strcmp(only, sizes[si].name) != 0)
            continue;
        for (size_t ki = 0; ki < 2; ki++) {
            const kcase *k = &keys[ki];
            if (only_key && strcmp(only_key, k->name) != 0)
                continue;
            sbuf body = {0}, msg = {0};
            /* The signature field is about 300 (Ed25519) to 500 (RSA) bytes. */
            size_t sig_guess = k->type == EMAUTH_DKIM_RSA ? 520 : 300;
            make_body(&body, sizes[si].bytes, header.len + sig_guess);
            sign_message(k, &header, &body, &msg);
            split sp;
            split_message(&msg, &sp);
            if (outdir) {
                char name[64];
                snprintf(name, sizeof name, "dkim-%s-%s.eml", sizes[si].name, k->name);
                write_file(outdir, name, msg.p, msg.len);
            }
            if (generate_only) {
                /* Checked once, not timed. */
                if (verify_raw(v, res, &msg) != 0 || verify_split(v, res, &sp) != 0) {
                    fprintf(stderr, "dkim_bench: dkim-%s-%s.eml does not verify\n",
                            sizes[si].name, k->name);
                    failed = 1;
                } else {
                    printf("wrote %s/dkim-%s-%s.eml: %zu bytes, signed by emauth (%s, "
                           "relaxed/relaxed), verifies\n",
                           outdir, sizes[si].name, k->name, msg.len, k->label);
                }
                free(body.p);
                free(msg.p);
                free(sp.f);
                free(sp.off);
                free(sp.store.p);
                continue;
            }
            double raw = median_rate(v, res, &msg, NULL, seconds, runs, NULL);
            double spl = median_rate(v, res, &msg, &sp, seconds, runs, NULL);
            char cname[40];
            snprintf(cname, sizeof cname, "%s %s", sizes[si].label, k->label);
            if (raw < 0 || spl < 0) {
                printf("%-18s %10zu   FAILED: a verification did not pass\n", cname, msg.len);
                failed = 1;
            } else {
                printf("%-18s %10zu %16.1f %10.1f %16.1f %10.1f\n", cname, msg.len, raw,
                       raw * (double)msg.len / 1e6, spl, spl * (double)msg.len / 1e6);
                snprintf(lines[nlines++], sizeof lines[0], "result %s %s %zu %.1f %.1f",
                         sizes[si].name, k->label, msg.len, raw, spl);
            }
            fflush(stdout);
            free(body.p);
            free(msg.p);
            free(sp.f);
            free(sp.off);
            free(sp.store.p);
        }
    }
    for (size_t i = 0; i < nlines; i++)
        printf("%s\n", lines[i]);

    emauth_dkim_verifier_free(v);
    for (size_t i = 0; i < 2; i++) {
        emauth_dkim_key_free(keys[i].key);
        free(keys[i].record);
    }
    emauth_zone_free(zone);
    free(header.p);
    free(keyfile.p);
    return failed;
}
