/*
 * Shared by `emauth spf add` (spf_add.c) and `emauth spf flatten`
 * (spf_flatten.c): their options, the editor run over the DNS options'
 * resolver, and the pieces of their output (spf_edit.c).
 */
#ifndef EMAUTH_CLI_EDIT_H
#define EMAUTH_CLI_EDIT_H

#include <emauth/spf_edit.h>
#include "cli/dns.h"
#include "cli/output.h"

/* Option ids shared by both commands (each table lists those it takes). */
enum {
    EDIT_RECORD = 1, EDIT_DOMAIN, EDIT_FLATTEN, EDIT_CHECK, EDIT_JSON, EDIT_TTL
};

typedef struct edit_opts {
    const char *record;          /* --record */
    const char *domain;          /* --domain */
    const char *check;           /* --check FILE */
    int flatten, json;
    unsigned ttl;
    const char **pos;            /* positional arguments, in order */
    size_t npos;
    cli_dns dns;
} edit_opts;

/*
 * Parses argv: options ("--name", "--name=value") and positional arguments
 * in any order; everything after "--" is positional, and so is anything
 * starting with a single '-' ("-all" is a term). CLI_EXIT_OK, or
 * CLI_EXIT_USAGE after the message. edit_free() in both cases.
 */
int edit_parse(const cli_command *cmd, int argc, char **argv, const cli_option *options,
               edit_opts *o);
void edit_free(edit_opts *o);

/*
 * Runs the started editor over the DNS options' resolver. NULL after
 * printing why (exit 2).
 */
const emauth_spf_edit_result *edit_run(emauth_spf_editor *e, edit_opts *o);

/* The limits the options ask for. */
void edit_limits(const edit_opts *o, emauth_spf_edit_limits *l);

/* A refusal on stderr: "emauth: cannot VERB: reason", and the record with a caret at column. */
void edit_refusal(const char *verb, const emauth_spf_edit_result *r);

/* ---- Text ---- */

/* The flattened set: "; source:" and stale-warning comments, then the zone lines. */
void edit_text_flattened(cli_out *o, const emauth_spf_edit_result *r, const char *source);
/* "; WHAT: a b c" (nothing when n is 0). */
void edit_text_list(cli_out *o, const char *what, const char *const *v, size_t n);
/* The zone lines of r->publish, one per line. */
void edit_text_zone_lines(cli_out *o, const emauth_spf_edit_result *r);

/* ---- JSON (each writes ,"key":value) ---- */

void edit_json_strings(cli_out *o, const char *key, const char *const *v, size_t n);
void edit_json_ranges(cli_out *o, const char *key, const emauth_cidr *v, size_t n);
void edit_json_zone_lines(cli_out *o, const emauth_spf_edit_result *r);
void edit_json_records(cli_out *o, const emauth_spf_edit_result *r);
/* ,"refused":…,"reason":…,"column":… then "}\n". */
void edit_json_end(cli_out *o, const emauth_spf_edit_result *r);

/* The warning that flattened records go stale, for domain, one line (text and JSON). */
#define EDIT_WARNING_MAX 512
void edit_stale_warning(char *buf, size_t size, const char *domain);

/* Writes o to stdout; CLI_EXIT_USAGE after a message when that failed, else rc. */
int edit_flush(cli_out *o, int rc);

#endif
