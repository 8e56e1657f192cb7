/*
 * Pieces the `emauth dkim` commands share: a message read from a stream
 * through emauth_msg (constant memory), and private keys from files.
 */
#ifndef EMAUTH_CLI_DKIM_H
#define EMAUTH_CLI_DKIM_H

#include <stdio.h>

#include <emauth/emauth.h>
#include <emauth/dkim.h>
#include <emauth/message.h>
#include "cli/cli.h"
#include "cli/output.h"

/* Raw input bytes, seen before the parser gets them; non-zero stops the reading. */
typedef int (*cli_dkim_tap)(void *arg, const char *data, size_t len);

/*
 * Reads fp to its end through a new emauth_msg calling cb with arg; each
 * chunk goes to tap first (when not NULL). Errors are printed ("standard
 * input: ..."). Returns CLI_EXIT_OK or CLI_EXIT_USAGE.
 */
int cli_dkim_read(FILE *fp, const emauth_msg_callbacks *cb, void *arg, cli_dkim_tap tap,
                  void *tap_arg);

/* A private key from a PEM file, or NULL after printing why. */
emauth_dkim_key *cli_dkim_load_key(const char *path);

/* "rsa" or "ed25519". */
const char *cli_dkim_key_type(emauth_dkim_key_type t);

/*
 * One signature as `emauth dkim verify --json` writes it, without the
 * newline: domain, selector, algorithm, result, reason, header_canon,
 * body_canon, body_length_limited, identity, key_bits, testing,
 * content_after_limit. r NULL: the "none" object of a message without one.
 */
void cli_dkim_json(cli_out *o, const emauth_dkim_result *r);

#endif
