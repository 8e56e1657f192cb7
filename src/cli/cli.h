/*
 * Private declarations shared by the CLI modules: exit codes, the command
 * table entry, and the long-option parser every command uses.
 */
#ifndef EMAUTH_CLI_CLI_H
#define EMAUTH_CLI_CLI_H

/* Exit codes (DESIGN.md): 0 done whatever the verdict, 1 problems found, 2 usage or input error. */
enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_PROBLEMS = 1,
    CLI_EXIT_USAGE = 2
};

/*
 * One command: `emauth <area> <verb> [options]`. run() gets the arguments
 * after the verb (argv[0] is the first of them) and returns the exit code.
 * "--help" anywhere among them prints help instead, in main.c.
 */
typedef struct cli_command {
    const char *area;
    const char *verb;        /* "" for a command that is its area alone (`emauth check`) */
    int (*run)(const struct cli_command *cmd, int argc, char **argv);
    const char *summary;     /* one line for `emauth --help` */
    const char *help;        /* the full text for `emauth <area> <verb> --help` */
} cli_command;

/* ---- Options: --name, --name VALUE, --name=VALUE; "--" ends options. ---- */

typedef struct cli_option {
    const char *name;        /* without the leading "--" */
    int has_value;
    int id;                  /* > 0, returned by cli_next_option */
} cli_option;

typedef struct cli_args {
    const cli_command *cmd;  /* for messages */
    int argc;
    char **argv;
    int next;                /* index of the next argument to look at */
} cli_args;

/*
 * The next option: its id (> 0) with *value set for options that take one;
 * 0 when the arguments are used up; -1 after printing a usage error (an
 * unknown option, a missing value, a positional argument).
 */
int cli_next_option(cli_args *args, const cli_option *options, const char **value);

/*
 * Like cli_next_option(), and positional arguments too: returns
 * CLI_POSITIONAL with *value set to one: an argument that does not start
 * with "--" (so terms like -all are positional), and every argument after
 * "--". *rest must start at 0; it records that "--" was seen.
 */
enum { CLI_POSITIONAL = 999 };
int cli_next_arg(cli_args *args, const cli_option *options, const char **value, int *rest);

/* Prints "emauth: <area> <verb>: <message>" and the hint to --help; returns CLI_EXIT_USAGE. */
int cli_usage_error(const cli_command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The commands, one module each. */
int cli_spf_check(const cli_command *cmd, int argc, char **argv);
extern const char cli_spf_check_help[];
int cli_spf_lint(const cli_command *cmd, int argc, char **argv);
extern const char cli_spf_lint_help[];
int cli_spf_add(const cli_command *cmd, int argc, char **argv);
extern const char cli_spf_add_help[];
int cli_spf_flatten(const cli_command *cmd, int argc, char **argv);
extern const char cli_spf_flatten_help[];
int cli_spf_authorizes(const cli_command *cmd, int argc, char **argv);
extern const char cli_spf_authorizes_help[];
int cli_dkim_verify(const cli_command *cmd, int argc, char **argv);
extern const char cli_dkim_verify_help[];
int cli_dkim_sign(const cli_command *cmd, int argc, char **argv);
extern const char cli_dkim_sign_help[];
int cli_dkim_keygen(const cli_command *cmd, int argc, char **argv);
extern const char cli_dkim_keygen_help[];
int cli_dkim_lint(const cli_command *cmd, int argc, char **argv);
extern const char cli_dkim_lint_help[];
int cli_dmarc_lint(const cli_command *cmd, int argc, char **argv);
extern const char cli_dmarc_lint_help[];
/* `emauth check`: a command without a verb (its verb is ""). */
int cli_check(const cli_command *cmd, int argc, char **argv);
extern const char cli_check_help[];
/* `emauth audit`: a command without a verb. */
int cli_audit(const cli_command *cmd, int argc, char **argv);
extern const char cli_audit_help[];

/* --dmarc-mode VALUE: EMAUTH_DMARC_9989 or _7489 (emauth/dmarc.h); -1 after a usage error. */
int cli_dmarc_mode(const cli_command *cmd, const char *value);

#endif
