/* What the `emauth dkim` commands share; see dkim.h. */
#include <stdlib.h>
#include <string.h>

#include "cli/dkim.h"
#include "cli/output.h"

#define READ_CHUNK (64 * 1024)

static int input_error(const emauth_error *err, emauth_status st)
{
    if (err->line > 0)
        cli_errorf("standard input: line %u: %s", err->line,
                   err->message[0] != '\0' ? err->message : emauth_status_str(st));
    else
        cli_errorf("standard input: %s", err->message[0] != '\0' ? err->message
                                                                 : emauth_status_str(st));
    return CLI_EXIT_USAGE;
}

/* Pushes fp into m chunk by chunk; an exit code. */
static int pump(FILE *fp, emauth_msg *m, char *buf, cli_dkim_tap tap, void *tap_arg)
{
    emauth_error err;
    emauth_error_clear(&err);
    emauth_status st;
    size_t n;
    while ((n = fread(buf, 1, READ_CHUNK, fp)) > 0) {
        if (tap != NULL && tap(tap_arg, buf, n) != 0)
            return CLI_EXIT_USAGE;   /* the tap said why */
        if ((st = emauth_msg_push(m, buf, n, &err)) != EMAUTH_OK)
            return input_error(&err, st);
    }
    if (ferror(fp)) {
        cli_errorf("standard input: read error");
        return CLI_EXIT_USAGE;
    }
    if ((st = emauth_msg_finish(m, &err)) != EMAUTH_OK)
        return input_error(&err, st);
    return CLI_EXIT_OK;
}

int cli_dkim_read(FILE *fp, const emauth_msg_callbacks *cb, void *arg, cli_dkim_tap tap,
                  void *tap_arg)
{
    emauth_msg *m = NULL;
    char *buf = malloc(READ_CHUNK);
    if (buf == NULL || emauth_msg_new(cb, arg, NULL, &m) != EMAUTH_OK) {
        free(buf);
        cli_errorf("out of memory");
        return CLI_EXIT_USAGE;
    }
    int rc = pump(fp, m, buf, tap, tap_arg);
    emauth_msg_free(m);
    free(buf);
    return rc;
}

emauth_dkim_key *cli_dkim_load_key(const char *path)
{
    emauth_error err;
    emauth_error_clear(&err);
    emauth_dkim_key *k = NULL;
    if (emauth_dkim_key_load_file(path, &k, &err) != EMAUTH_OK) {
        cli_errorf("%s", err.message);
        return NULL;
    }
    return k;
}

const char *cli_dkim_key_type(emauth_dkim_key_type t)
{
    return t == EMAUTH_DKIM_ED25519 ? "ed25519" : "rsa";
}

void cli_dkim_json(cli_out *o, const emauth_dkim_result *r)
{
    static const emauth_dkim_result none = {.reason = "no DKIM signature"};
    const emauth_dkim_result *x = r != NULL ? r : &none;
    cli_out_lit(o, "{\"domain\":");
    cli_out_json_cstr(o, x->domain);
    cli_out_json_key(o, "selector");
    cli_out_json_cstr(o, x->selector);
    cli_out_json_key(o, "algorithm");
    cli_out_json_cstr(o, x->algorithm);
    cli_out_json_key(o, "result");
    cli_out_json_cstr(o, r != NULL ? emauth_dkim_verdict_name(r->verdict) : "none");
    cli_out_json_key(o, "reason");
    cli_out_json_cstr(o, x->reason);
    cli_out_json_key(o, "header_canon");
    cli_out_json_cstr(o, x->header_canon);
    cli_out_json_key(o, "body_canon");
    cli_out_json_cstr(o, x->body_canon);
    cli_out_json_key(o, "body_length_limited");
    cli_out_json_bool(o, x->body_length_limited);
    cli_out_json_key(o, "identity");
    cli_out_json_cstr(o, x->identity);
    cli_out_json_key(o, "key_bits");
    cli_out_json_uint_or_null(o, x->key_bits > 0, x->key_bits);
    cli_out_json_key(o, "testing");
    cli_out_json_bool(o, x->testing);
    cli_out_json_key(o, "content_after_limit");
    cli_out_json_bool(o, x->content_after_limit);
    cli_out_char(o, '}');
}
