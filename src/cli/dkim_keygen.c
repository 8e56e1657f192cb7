/*
 * emauth dkim keygen - a new signing key: the private key into a file of
 * mode 0600 (never over an existing file), and what to publish.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cli/dkim.h"
#include "cli/dns.h"
#include "cli/output.h"

#define RECORD_TTL 3600

const char cli_dkim_keygen_help[] =
    "Usage: emauth dkim keygen --domain DOMAIN --selector SELECTOR [options]\n"
    "\n"
    "Generates a DKIM signing key. The private key is written as PKCS#8 PEM to\n"
    "a new file of mode 0600 (SELECTOR.DOMAIN.private in the current directory\n"
    "by default; an existing file is never overwritten). Standard output gets\n"
    "what to publish at SELECTOR._domainkey.DOMAIN: the TXT record's value,\n"
    "  v=DKIM1; k=rsa; p=BASE64\n"
    "then the same as a master-file line (RFC 1035), split into strings of at\n"
    "most 255 bytes, ready for a zone file:\n"
    "  SELECTOR._domainkey.DOMAIN. 3600 IN TXT \"v=DKIM1; k=rsa; p=...\" \"...\"\n"
    "p= is the DER SubjectPublicKeyInfo for RSA (as opendkim-genkey publishes\n"
    "it), the 32-byte public key for Ed25519 (RFC 8463). Where the private key\n"
    "went is said on standard error.\n"
    "\n"
    "Options:\n"
    "  --domain DOMAIN    the signing domain (d=)\n"
    "  --selector NAME    the selector (s=)\n"
    "  --type TYPE        rsa (default) or ed25519\n"
    "  --bits N           RSA key size, 1024 to 8192 (default 2048)\n"
    "  --out FILE         the private key file (default SELECTOR.DOMAIN.private)\n"
    "  --json             one JSON object instead: domain, selector, type, bits,\n"
    "                     private_key (the file), name, record, zone_line\n"
    "  --help             this text\n"
    "\n"
    "Exit status: 0 when the key was written, 2 on a usage error or when the\n"
    "file exists or cannot be written.\n";

enum { OPT_DOMAIN = 1, OPT_SELECTOR, OPT_TYPE, OPT_BITS, OPT_OUT, OPT_JSON };

static const cli_option keygen_options[] = {
    {"domain", 1, OPT_DOMAIN},
    {"selector", 1, OPT_SELECTOR},
    {"type", 1, OPT_TYPE},
    {"bits", 1, OPT_BITS},
    {"out", 1, OPT_OUT},
    {"json", 0, OPT_JSON},
    {NULL, 0, 0},
};

typedef struct keygen_opts {
    const char *domain, *selector, *out;
    emauth_dkim_key_type type;
    unsigned bits;                /* 0: not given */
    int json;
} keygen_opts;

typedef struct keygen_run {
    const keygen_opts *opt;
    char *path;                   /* the private key file */
    char *name;                   /* SELECTOR._domainkey.DOMAIN */
    char *record;
    char *zone_line;
    emauth_dkim_key *key;
} keygen_run;

/* ---- Options ------------------------------------------------------------------------- */

static int take_type(const cli_command *cmd, keygen_opts *opt, const char *value)
{
    char q[CLI_QUOTE_MAX];
    if (strcmp(value, "rsa") == 0)
        opt->type = EMAUTH_DKIM_RSA;
    else if (strcmp(value, "ed25519") == 0)
        opt->type = EMAUTH_DKIM_ED25519;
    else
        return cli_usage_error(cmd, "--type is rsa or ed25519, not \"%s\"", cli_quote(q, value));
    return CLI_EXIT_OK;
}

/* "not a domain name" etc. for a name we are to publish under, or NULL. */
static const char *bad_label_name(const char *s)
{
    const char *why = cli_bad_domain(s);
    if (why == NULL && (s[0] == '.' || s[strlen(s) - 1] == '.' || strstr(s, "..") != NULL))
        why = "not a domain name";
    return why;
}

static int check_options(const cli_command *cmd, keygen_opts *opt)
{
    char q[CLI_QUOTE_MAX];
    if (opt->domain == NULL || opt->selector == NULL)
        return cli_usage_error(cmd, "missing --%s", opt->domain == NULL ? "domain" : "selector");
    if (bad_label_name(opt->domain) != NULL)
        return cli_usage_error(cmd, "--domain: %s: \"%s\"", bad_label_name(opt->domain),
                               cli_quote(q, opt->domain));
    if (bad_label_name(opt->selector) != NULL)
        return cli_usage_error(cmd, "--selector: not a selector: \"%s\"",
                               cli_quote(q, opt->selector));
    if (opt->type == EMAUTH_DKIM_ED25519 && opt->bits != 0)
        return cli_usage_error(cmd, "--bits is for RSA keys (Ed25519 keys have one size)");
    if (opt->bits == 0)
        opt->bits = 2048;
    return CLI_EXIT_OK;
}

static int parse_options(const cli_command *cmd, int argc, char **argv, keygen_opts *opt)
{
    cli_args args = {cmd, argc, argv, 0};
    const char *value;
    int id, rc = CLI_EXIT_OK;
    while (rc == CLI_EXIT_OK && (id = cli_next_option(&args, keygen_options, &value)) != 0) {
        switch (id) {
        case OPT_DOMAIN: opt->domain = value; break;
        case OPT_SELECTOR: opt->selector = value; break;
        case OPT_TYPE: rc = take_type(cmd, opt, value); break;
        case OPT_BITS:
            rc = cli_number(cmd, "bits", value, 1024, 8192, &opt->bits) ? CLI_EXIT_USAGE : rc;
            break;
        case OPT_OUT: opt->out = value; break;
        case OPT_JSON: opt->json = 1; break;
        default: rc = CLI_EXIT_USAGE; break;
        }
    }
    return rc != CLI_EXIT_OK ? rc : check_options(cmd, opt);
}

/* ---- The key file ------------------------------------------------------------------------ */

static int write_all(int fd, const char *s, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, s, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        s += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Writes the PEM into the new file; -1 after printing why. */
static int write_pem(int fd, const keygen_run *r)
{
    emauth_error err;
    emauth_error_clear(&err);
    char *pem = NULL;
    size_t len = 0;
    if (emauth_dkim_key_pem(r->key, &pem, &len, &err) != EMAUTH_OK) {
        cli_errorf("%s", err.message);
        return -1;
    }
    int rc = write_all(fd, pem, len);
    OPENSSL_cleanse(pem, len);
    free(pem);
    if (rc != 0)
        cli_errorf("%s: %s", r->path, strerror(errno));
    return rc;
}

/*
 * Creates the file (O_EXCL: never an existing one, mode 0600 whatever the
 * umask), generates the key into it; the file is removed on failure.
 */
static int make_key_file(keygen_run *r)
{
    int fd = open(r->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
    if (fd < 0) {
        cli_errorf(errno == EEXIST ? "%s exists: not overwritten (give another --out)" : "%s: %s",
                   r->path, strerror(errno));
        return -1;
    }
    emauth_error err;
    emauth_error_clear(&err);
    int rc = fchmod(fd, 0600);
    if (rc != 0)
        cli_errorf("%s: %s", r->path, strerror(errno));
    if (rc == 0 && emauth_dkim_keygen(r->opt->type, r->opt->bits, &r->key, &err) != EMAUTH_OK) {
        cli_errorf("%s", err.message);
        rc = -1;
    }
    if (rc == 0)
        rc = write_pem(fd, r);
    if (close(fd) != 0 && rc == 0) {
        cli_errorf("%s: %s", r->path, strerror(errno));
        rc = -1;
    }
    if (rc != 0)
        unlink(r->path);
    return rc;
}

/* ---- What to publish ------------------------------------------------------------------------ */

/* A new string, printf-style; NULL when out of memory. */
static char *format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *format(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (s != NULL) {
        va_start(ap, fmt);
        vsnprintf(s, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    return s;
}

static int make_zone_line(keygen_run *r)
{
    emauth_dns_rr rr = {.type = EMAUTH_DNS_TXT, .ttl = RECORD_TTL};
    rr.u.txt.data = r->record;
    rr.u.txt.len = strlen(r->record);
    rr.u.txt.nstrings = (rr.u.txt.len + 254) / 255;
    size_t need = emauth_dns_rr_format(r->name, &rr, NULL, 0) + 1;
    if ((r->zone_line = malloc(need)) == NULL)
        return -1;
    emauth_dns_rr_format(r->name, &rr, r->zone_line, need);
    return 0;
}

static int make_record(keygen_run *r)
{
    emauth_error err;
    emauth_error_clear(&err);
    if (emauth_dkim_key_record(r->key, &r->record, &err) != EMAUTH_OK) {
        cli_errorf("%s", err.message);
        return -1;
    }
    if ((r->name = format("%s._domainkey.%s", r->opt->selector, r->opt->domain)) == NULL ||
        make_zone_line(r) != 0) {
        cli_errorf("out of memory");
        return -1;
    }
    return 0;
}

static void emit_json(cli_out *o, const keygen_run *r)
{
    cli_out_lit(o, "{\"domain\":");
    cli_out_json_cstr(o, r->opt->domain);
    cli_out_json_key(o, "selector");
    cli_out_json_cstr(o, r->opt->selector);
    cli_out_json_key(o, "type");
    cli_out_json_cstr(o, cli_dkim_key_type(r->opt->type));
    cli_out_json_key(o, "bits");
    cli_out_uint(o, emauth_dkim_key_bits(r->key));
    cli_out_json_key(o, "private_key");
    cli_out_json_cstr(o, r->path);
    cli_out_json_key(o, "name");
    cli_out_json_cstr(o, r->name);
    cli_out_json_key(o, "record");
    cli_out_json_cstr(o, r->record);
    cli_out_json_key(o, "zone_line");
    cli_out_json_cstr(o, r->zone_line);
    cli_out_lit(o, "}\n");
}

static int emit(const keygen_run *r)
{
    cli_out o;
    cli_out_init(&o, stdout);
    if (r->opt->json) {
        emit_json(&o, r);
    } else {
        cli_out_str(&o, r->record);
        cli_out_char(&o, '\n');
        cli_out_str(&o, r->zone_line);
        cli_out_char(&o, '\n');
    }
    int rc = cli_out_flush(&o);
    cli_out_free(&o);
    if (rc != 0) {
        cli_errorf("error writing to standard output");
        return CLI_EXIT_USAGE;
    }
    if (!r->opt->json) {
        char q[CLI_QUOTE_MAX];
        fprintf(stderr, "emauth: private key (%s, %u bits) written to %s\n",
                cli_dkim_key_type(r->opt->type), emauth_dkim_key_bits(r->key),
                cli_quote(q, r->path));
    }
    return CLI_EXIT_OK;
}

/* ---- The command ---------------------------------------------------------------------------- */

int cli_dkim_keygen(const cli_command *cmd, int argc, char **argv)
{
    keygen_opts opt;
    memset(&opt, 0, sizeof opt);
    keygen_run r = {.opt = &opt};
    int rc = parse_options(cmd, argc, argv, &opt);
    if (rc == CLI_EXIT_OK) {
        r.path = opt.out != NULL ? format("%s", opt.out)
                                 : format("%s.%s.private", opt.selector, opt.domain);
        if (r.path == NULL) {
            cli_errorf("out of memory");
            rc = CLI_EXIT_USAGE;
        }
    }
    if (rc == CLI_EXIT_OK && (make_key_file(&r) != 0 || make_record(&r) != 0))
        rc = CLI_EXIT_USAGE;
    if (rc == CLI_EXIT_OK)
        rc = emit(&r);
    emauth_dkim_key_free(r.key);
    free(r.path);
    free(r.name);
    free(r.record);
    free(r.zone_line);
    return rc;
}
