/*
 * emauth dkim sign - DKIM-Signature fields for the message on standard
 * input, written before the message itself.
 *
 * The input is spooled to a temporary file (tmpfile()) while it is parsed
 * and hashed; the fields are computed at its end, then written, then the
 * spooled message byte for byte: constant memory for any message size.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/dkim.h"
#include "cli/dns.h"
#include "cli/output.h"

#define SIGS_MAX 10
#define COPY_CHUNK (64 * 1024)

const char cli_dkim_sign_help[] =
    "Usage: emauth dkim sign --key FILE --domain DOMAIN --selector SELECTOR [options]\n"
    "                        < MESSAGE > SIGNED\n"
    "\n"
    "Signs the message on standard input (RFC 6376, RFC 8463) and writes it to\n"
    "standard output with the DKIM-Signature fields first, then the message as\n"
    "read, byte for byte. The fields are folded at 78 columns and end in the\n"
    "line ends of the input's first line (CRLF, or LF when it ends in a bare\n"
    "LF); a bare LF in the input is hashed as CRLF, as MTAs send it.\n"
    "\n"
    "--key, --domain and --selector may repeat: the i-th of each make the i-th\n"
    "signature (up to 10; given once, --domain or --selector serves every\n"
    "key), for instance an RSA and an Ed25519 signature at once.\n"
    "\n"
    "Options:\n"
    "  --key FILE         the private key, PEM (PKCS#8 or traditional RSA)\n"
    "  --domain DOMAIN    d=, the signing domain\n"
    "  --selector NAME    s=: the key record is at NAME._domainkey.DOMAIN\n"
    "  --algorithm ALG    rsa-sha256 or ed25519-sha256 (default: from the key;\n"
    "                     once for every signature, or once per --key)\n"
    "  --canon H/B        header/body canonicalization, simple or relaxed\n"
    "                     (default relaxed/relaxed; H alone means H/simple)\n"
    "  --identity I       i=, [local-part]@domain within d= (once, or per --key)\n"
    "  --expire SECONDS   x= that many seconds after t=\n"
    "  --body-length      add l=, the length of the signed body\n"
    "  --headers H1:H2:...  h=, the fields to sign, as given (From required);\n"
    "                     default: those of RFC 6376 section 5.4.1's list (and\n"
    "                     Sender, Message-ID, MIME-Version, Content-Type,\n"
    "                     Content-Transfer-Encoding, List-Unsubscribe-Post)\n"
    "                     that the message has, each once per instance, From\n"
    "                     once more so that a From added later breaks it\n"
    "  --timestamp T      t= (UNIX time), or \"none\" for no t= (default: now)\n"
    "  --help             this text\n"
    "\n"
    "Exit status: 0 when signed, 2 on a usage error, an unreadable key or a\n"
    "malformed message.\n";

enum {
    OPT_KEY = 1, OPT_DOMAIN, OPT_SELECTOR, OPT_ALGORITHM, OPT_CANON, OPT_IDENTITY, OPT_EXPIRE,
    OPT_BODY_LENGTH, OPT_HEADERS, OPT_TIMESTAMP
};

static const cli_option sign_options[] = {
    {"key", 1, OPT_KEY},
    {"domain", 1, OPT_DOMAIN},
    {"selector", 1, OPT_SELECTOR},
    {"algorithm", 1, OPT_ALGORITHM},
    {"canon", 1, OPT_CANON},
    {"identity", 1, OPT_IDENTITY},
    {"expire", 1, OPT_EXPIRE},
    {"body-length", 0, OPT_BODY_LENGTH},
    {"headers", 1, OPT_HEADERS},
    {"timestamp", 1, OPT_TIMESTAMP},
    {NULL, 0, 0},
};

/* The values of an option that may repeat, one per signature or one for all. */
typedef struct multi {
    const char *v[SIGS_MAX];
    size_t n;
} multi;

typedef struct sign_opts {
    multi keys, domains, selectors, algorithms, identities;
    const char *header_canon, *body_canon;   /* NULL: relaxed */
    char **headers;               /* --headers split, in one allocation */
    size_t nheaders;
    unsigned expire;
    int body_length;
    int64_t timestamp;            /* 0 now, -1 none */
} sign_opts;

/* ---- Options --------------------------------------------------------------------- */

static int add_multi(const cli_command *cmd, multi *m, const char *name, const char *value)
{
    if (m->n == SIGS_MAX) {
        cli_usage_error(cmd, "--%s: at most %d signatures", name, SIGS_MAX);
        return -1;
    }
    m->v[m->n++] = value;
    return 0;
}

/* The value of m for signature i, or NULL. */
static const char *nth(const multi *m, size_t i)
{
    return m->n == 0 ? NULL : m->v[m->n == 1 ? 0 : i];
}

static const char *canon_name(const char *s, size_t len)
{
    if (len == 6 && memcmp(s, "simple", 6) == 0)
        return "simple";
    if (len == 7 && memcmp(s, "relaxed", 7) == 0)
        return "relaxed";
    return NULL;
}

/* "H/B" or "H" (B simple, as c= reads it); each simple or relaxed. */
static int parse_canon(const cli_command *cmd, sign_opts *opt, const char *value)
{
    const char *slash = strchr(value, '/');
    opt->header_canon = canon_name(value, slash ? (size_t)(slash - value) : strlen(value));
    opt->body_canon = slash ? canon_name(slash + 1, strlen(slash + 1)) : "simple";
    if (opt->header_canon == NULL || opt->body_canon == NULL) {
        char q[CLI_QUOTE_MAX];
        cli_usage_error(cmd, "--canon takes simple or relaxed, or H/B of them, not \"%s\"",
                        cli_quote(q, value));
        return -1;
    }
    return 0;
}

/* Splits "h1:h2:..." into opt->headers; an empty name is a usage error. */
static int parse_headers(const cli_command *cmd, sign_opts *opt, const char *value)
{
    size_t n = 1, len = strlen(value);
    for (const char *p = value; *p != '\0'; p++)
        n += *p == ':';
    free(opt->headers);
    opt->headers = malloc(n * sizeof *opt->headers + len + 1);
    if (opt->headers == NULL) {
        cli_errorf("out of memory");
        return -1;
    }
    char *copy = memcpy((char *)(opt->headers + n), value, len + 1);
    opt->nheaders = 0;
    for (char *p = copy, *colon; p != NULL; p = colon != NULL ? colon + 1 : NULL) {
        if ((colon = strchr(p, ':')) != NULL)
            *colon = '\0';
        if (*p == '\0') {
            cli_usage_error(cmd, "--headers: an empty field name");
            return -1;
        }
        opt->headers[opt->nheaders++] = p;
    }
    return 0;
}

static int parse_timestamp(const cli_command *cmd, sign_opts *opt, const char *value)
{
    unsigned t;
    if (strcmp(value, "none") == 0) {
        opt->timestamp = -1;
        return 0;
    }
    if (cli_number(cmd, "timestamp", value, 1, 4294967295UL, &t) != 0)
        return -1;
    opt->timestamp = t;
    return 0;
}

static int take_option(const cli_command *cmd, sign_opts *opt, int id, const char *value)
{
    switch (id) {
    case OPT_KEY: return add_multi(cmd, &opt->keys, "key", value);
    case OPT_DOMAIN: return add_multi(cmd, &opt->domains, "domain", value);
    case OPT_SELECTOR: return add_multi(cmd, &opt->selectors, "selector", value);
    case OPT_ALGORITHM: return add_multi(cmd, &opt->algorithms, "algorithm", value);
    case OPT_IDENTITY: return add_multi(cmd, &opt->identities, "identity", value);
    case OPT_CANON: return parse_canon(cmd, opt, value);
    case OPT_EXPIRE: return cli_number(cmd, "expire", value, 1, 3153600000UL, &opt->expire);
    case OPT_BODY_LENGTH: opt->body_length = 1; return 0;
    case OPT_HEADERS: return parse_headers(cmd, opt, value);
    case OPT_TIMESTAMP: return parse_timestamp(cmd, opt, value);
    }
    return -1;
}

/* Each repeatable option: absent (when optional), once, or once per --key. */
static int check_counts(const cli_command *cmd, const sign_opts *opt)
{
    static const struct { size_t off; const char *name; int required; } m[] = {
        {offsetof(sign_opts, domains), "domain", 1},
        {offsetof(sign_opts, selectors), "selector", 1},
        {offsetof(sign_opts, algorithms), "algorithm", 0},
        {offsetof(sign_opts, identities), "identity", 0},
    };
    size_t n = opt->keys.n;
    if (n == 0)
        return cli_usage_error(cmd, "missing --key");
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
        const multi *x = (const multi *)((const char *)opt + m[i].off);
        if (x->n == 0 && m[i].required)
            return cli_usage_error(cmd, "missing --%s", m[i].name);
        if (x->n > 1 && x->n != n)
            return cli_usage_error(cmd, "--%s given %zu times for %zu keys (give it once, or once "
                                   "per --key)", m[i].name, x->n, n);
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (strcasecmp(nth(&opt->domains, i), nth(&opt->domains, j)) == 0 &&
                strcasecmp(nth(&opt->selectors, i), nth(&opt->selectors, j)) == 0)
                return cli_usage_error(cmd, "signatures %zu and %zu have the same domain and "
                                       "selector (one key record)", j + 1, i + 1);
    return CLI_EXIT_OK;
}

static int parse_options(const cli_command *cmd, int argc, char **argv, sign_opts *opt)
{
    cli_args args = {cmd, argc, argv, 0};
    const char *value;
    int id;
    while ((id = cli_next_option(&args, sign_options, &value)) > 0)
        if (take_option(cmd, opt, id, value) != 0)
            return CLI_EXIT_USAGE;
    return id < 0 ? CLI_EXIT_USAGE : check_counts(cmd, opt);
}

static void sign_opts_free(sign_opts *opt)
{
    free(opt->headers);
}

/* ---- Keys ------------------------------------------------------------------------------ */

static int check_algorithm(const cli_command *cmd, const char *alg, const char *path,
                           const emauth_dkim_key *k)
{
    emauth_dkim_key_type t = emauth_dkim_key_kind(k);
    const char *want = t == EMAUTH_DKIM_RSA ? "rsa-sha256" : "ed25519-sha256";
    char q[CLI_QUOTE_MAX];
    if (alg == NULL || strcmp(alg, want) == 0)
        return 0;
    if (strcmp(alg, "rsa-sha256") != 0 && strcmp(alg, "ed25519-sha256") != 0)
        cli_usage_error(cmd, "--algorithm is rsa-sha256 or ed25519-sha256, not \"%s\"",
                        cli_quote(q, alg));
    else
        cli_usage_error(cmd, "--algorithm %s does not fit %s, an %s key", alg, cli_quote(q, path),
                        t == EMAUTH_DKIM_RSA ? "RSA" : "Ed25519");
    return -1;
}

/* Loads the keys and fills one option set per signature; -1 after an error. */
static int make_options(const cli_command *cmd, const sign_opts *opt, emauth_dkim_key **keys,
                        emauth_dkim_sign_options *so)
{
    for (size_t i = 0; i < opt->keys.n; i++) {
        if ((keys[i] = cli_dkim_load_key(opt->keys.v[i])) == NULL ||
            check_algorithm(cmd, nth(&opt->algorithms, i), opt->keys.v[i], keys[i]) != 0)
            return -1;
        so[i] = (emauth_dkim_sign_options){
            .key = keys[i],
            .domain = nth(&opt->domains, i),
            .selector = nth(&opt->selectors, i),
            .header_canon = opt->header_canon,
            .body_canon = opt->body_canon,
            .headers = (const char *const *)opt->headers,
            .nheaders = opt->nheaders,
            .identity = nth(&opt->identities, i),
            .timestamp = opt->timestamp,
            .expire_after = opt->expire,
            .body_length = opt->body_length,
        };
    }
    return 0;
}

/* ---- The message ---------------------------------------------------------------------- */

typedef struct spool {
    FILE *fp;
    int line_end;        /* 0 unknown yet, 1 CRLF, 2 LF */
    char last;           /* the last byte seen before the first LF */
} spool;

static int spool_tap(void *arg, const char *data, size_t len)
{
    spool *s = arg;
    for (size_t i = 0; s->line_end == 0 && i < len; i++) {
        if (data[i] == '\n')
            s->line_end = s->last == '\r' ? 1 : 2;
        s->last = data[i];
    }
    if (fwrite(data, 1, len, s->fp) != len) {
        cli_errorf("cannot write the temporary copy of the message");
        return -1;
    }
    return 0;
}

static emauth_status on_header(void *arg, const char *field, size_t len, size_t name_len)
{
    return emauth_dkim_sign_header(arg, field, len, name_len);
}

static emauth_status on_eoh(void *arg)
{
    return emauth_dkim_sign_eoh(arg);
}

static emauth_status on_body(void *arg, const char *chunk, size_t len)
{
    return emauth_dkim_sign_body(arg, chunk, len);
}

/* The fields, with LF line ends when the input has them (each CR of a CRLF left out). */
static int write_fields(const char *fields, size_t len, int lf)
{
    for (size_t i = 0; i < len; i++) {
        if (lf && fields[i] == '\r' && i + 1 < len && fields[i + 1] == '\n')
            continue;
        if (putchar((unsigned char)fields[i]) == EOF)
            return -1;
    }
    return 0;
}

static int copy_spool(FILE *fp)
{
    char *buf = malloc(COPY_CHUNK);
    size_t n;
    int rc = buf == NULL || fseek(fp, 0, SEEK_SET) != 0 ? -1 : 0;
    while (rc == 0 && (n = fread(buf, 1, COPY_CHUNK, fp)) > 0)
        rc = fwrite(buf, 1, n, stdout) == n ? 0 : -1;
    if (ferror(fp))
        rc = -1;
    free(buf);
    return rc;
}

static int sign_stdin(emauth_dkim_signer *signer)
{
    static const emauth_msg_callbacks cb = {on_header, on_eoh, on_body};
    spool sp = {tmpfile(), 0, 0};
    if (sp.fp == NULL) {
        cli_errorf("cannot create a temporary file for the message");
        return CLI_EXIT_USAGE;
    }
    int rc = cli_dkim_read(stdin, &cb, signer, spool_tap, &sp);
    char *fields = NULL;
    size_t len = 0;
    emauth_error err;
    emauth_error_clear(&err);
    if (rc == CLI_EXIT_OK && emauth_dkim_sign_eom(signer, &fields, &len, &err) != EMAUTH_OK) {
        cli_errorf("%s", err.message);
        rc = CLI_EXIT_USAGE;
    }
    if (rc == CLI_EXIT_OK && (write_fields(fields, len, sp.line_end == 2) != 0 ||
                              copy_spool(sp.fp) != 0 || fflush(stdout) != 0)) {
        cli_errorf("error writing the signed message");
        rc = CLI_EXIT_USAGE;
    }
    free(fields);
    fclose(sp.fp);
    return rc;
}

/* ---- The command --------------------------------------------------------------------------- */

static int run_sign(const cli_command *cmd, const sign_opts *opt)
{
    emauth_dkim_key *keys[SIGS_MAX] = {NULL};
    emauth_dkim_sign_options so[SIGS_MAX];
    emauth_dkim_signer *signer = NULL;
    emauth_error err;
    emauth_error_clear(&err);
    int rc = make_options(cmd, opt, keys, so) != 0 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    if (rc == CLI_EXIT_OK && emauth_dkim_signer_new(so, opt->keys.n, &signer, &err) != EMAUTH_OK) {
        cli_errorf("%s", err.message);
        rc = CLI_EXIT_USAGE;
    }
    if (rc == CLI_EXIT_OK)
        rc = sign_stdin(signer);
    emauth_dkim_signer_free(signer);
    for (size_t i = 0; i < opt->keys.n; i++)
        emauth_dkim_key_free(keys[i]);
    return rc;
}

int cli_dkim_sign(const cli_command *cmd, int argc, char **argv)
{
    sign_opts opt;
    memset(&opt, 0, sizeof opt);
    int rc = parse_options(cmd, argc, argv, &opt);
    if (rc == CLI_EXIT_OK)
        rc = run_sign(cmd, &opt);
    sign_opts_free(&opt);
    return rc;
}
