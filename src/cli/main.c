/*
 * emauth - the command-line front end.
 *
 *   emauth <area> <verb> [options]     run a command
 *   emauth <area> <verb> --help        its options
 *   emauth help [<area> [<verb>]]      the same help texts
 *   emauth --help | --version
 *
 * This file only finds the command and parses long options; each command
 * lives in its own module and does its own output (output.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <emauth/emauth.h>
#include "cli/cli.h"
#include "cli/output.h"

static const cli_command commands[] = {
    {"spf", "check", cli_spf_check,
     "evaluate SPF (RFC 7208) for a client IP, MAIL FROM and HELO", cli_spf_check_help},
    {"spf", "lint", cli_spf_lint,
     "analyze a domain's SPF record: the lookup tree, its cost and its problems",
     cli_spf_lint_help},
    {"spf", "add", cli_spf_add,
     "add terms (a provider's include:, an ip4: range) to a domain's SPF record",
     cli_spf_add_help},
    {"spf", "flatten", cli_spf_flatten,
     "resolve a domain's includes into ip4/ip6 ranges that stay within the limits",
     cli_spf_flatten_help},
    {"spf", "authorizes", cli_spf_authorizes,
     "check which domains authorize a sending IP or include (bulk, live DNS)",
     cli_spf_authorizes_help},
    {"dkim", "verify", cli_dkim_verify,
     "verify a message's DKIM signatures (RFC 6376, RFC 8463)", cli_dkim_verify_help},
    {"dkim", "sign", cli_dkim_sign,
     "sign a message: DKIM-Signature fields (RSA, Ed25519, several at once)", cli_dkim_sign_help},
    {"dkim", "keygen", cli_dkim_keygen,
     "generate a DKIM key: the private key file and the record to publish",
     cli_dkim_keygen_help},
    {"dkim", "lint", cli_dkim_lint,
     "check a published DKIM key record (and that it matches a private key)",
     cli_dkim_lint_help},
    {"dmarc", "lint", cli_dmarc_lint,
     "check a domain's DMARC policy record (RFC 9989 or RFC 7489) and its reports' destinations",
     cli_dmarc_lint_help},
    {"check", "", cli_check,
     "SPF, DKIM and DMARC on a whole message: Authentication-Results and the disposition",
     cli_check_help},
    {"audit", "", cli_audit,
     "one report for a domain owner: MX, SPF, DMARC, DKIM keys and the fixes to publish",
     cli_audit_help},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void print_usage(FILE *fp)
{
    fputs("emauth " EMAUTH_VERSION " - SPF, DKIM and DMARC checks for mail systems\n"
          "\n"
          "Usage: emauth <area> <verb> [options]\n"
          "       emauth <area> <verb> --help\n"
          "       emauth --version\n"
          "\n"
          "Commands:\n", fp);
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(fp, "  %s %-10s %s\n", commands[i].area, commands[i].verb, commands[i].summary);
    fputs("\n"
          "Every command takes --json for one JSON object per result per line.\n"
          "Exit status: 0 done (whatever the verdict), 1 problems found,\n"
          "2 usage or input error.\n", fp);
}

static int area_exists(const char *area)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].area, area) == 0)
            return 1;
    return 0;
}

static const cli_command *find_command(const char *area, const char *verb)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].area, area) == 0 && strcmp(commands[i].verb, verb) == 0)
            return &commands[i];
    return NULL;
}

static void print_area_verbs(FILE *fp, const char *area)
{
    fprintf(fp, "Usage: emauth %s <verb> [options]\n\nVerbs:\n", area);
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].area, area) == 0)
            fprintf(fp, "  %-10s %s\n", commands[i].verb, commands[i].summary);
}

static int is_help(const char *arg)
{
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

/* "--help" anywhere before "--" asks for help, whatever else is there. */
static int wants_help(int argc, char **argv)
{
    for (int i = 0; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (is_help(argv[i]))
            return 1;
    return 0;
}

/* `emauth help [area [verb]]`. */
static int run_help(int argc, char **argv)
{
    if (argc == 0) {
        print_usage(stdout);
        return CLI_EXIT_OK;
    }
    if (!area_exists(argv[0])) {
        cli_errorf("unknown command '%s' (see 'emauth --help')", argv[0]);
        return CLI_EXIT_USAGE;
    }
    const cli_command *alone = find_command(argv[0], "");
    if (argc == 1 || alone != NULL) {
        if (alone != NULL)
            fputs(alone->help, stdout);
        else
            print_area_verbs(stdout, argv[0]);
        return CLI_EXIT_OK;
    }
    const cli_command *cmd = find_command(argv[0], argv[1]);
    if (cmd == NULL) {
        cli_errorf("unknown command '%s %s' (see 'emauth %s --help')", argv[0], argv[1], argv[0]);
        return CLI_EXIT_USAGE;
    }
    fputs(cmd->help, stdout);
    return CLI_EXIT_OK;
}

static int dispatch(int argc, char **argv)
{
    if (argc < 2) {
        cli_errorf("missing command");
        print_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *area = argv[1];
    if (is_help(area) || strcmp(area, "help") == 0)
        return run_help(argc - 2, argv + 2);
    if (strcmp(area, "--version") == 0) {
        puts("emauth " EMAUTH_VERSION);
        return CLI_EXIT_OK;
    }
    if (area[0] == '-') {
        cli_errorf("unknown option '%s' (see 'emauth --help')", area);
        return CLI_EXIT_USAGE;
    }
    if (!area_exists(area)) {
        cli_errorf("unknown command '%s' (see 'emauth --help')", area);
        return CLI_EXIT_USAGE;
    }
    const cli_command *alone = find_command(area, "");
    if (alone != NULL && wants_help(argc - 2, argv + 2)) {
        fputs(alone->help, stdout);
        return CLI_EXIT_OK;
    }
    if (alone != NULL)
        return alone->run(alone, argc - 2, argv + 2);
    if (argc < 3) {
        cli_errorf("missing verb after '%s' (see 'emauth %s --help')", area, area);
        return CLI_EXIT_USAGE;
    }
    if (is_help(argv[2])) {
        print_area_verbs(stdout, area);
        return CLI_EXIT_OK;
    }
    const cli_command *cmd = find_command(area, argv[2]);
    if (cmd == NULL) {
        cli_errorf("unknown command '%s %s' (see 'emauth %s --help')", area, argv[2], area);
        return CLI_EXIT_USAGE;
    }
    if (wants_help(argc - 3, argv + 3)) {
        fputs(cmd->help, stdout);
        return CLI_EXIT_OK;
    }
    return cmd->run(cmd, argc - 3, argv + 3);
}

int main(int argc, char **argv)
{
    int rc = dispatch(argc, argv);
    /* Help and messages go through stdio: a failed write is an error too. */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_errorf("error writing to standard output");
        return CLI_EXIT_USAGE;
    }
    return rc;
}

/* ---- Options ---------------------------------------------------------------- */

int cli_usage_error(const cli_command *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *sep = cmd->verb[0] != '\0' ? " " : "";
    fprintf(stderr, "emauth: %s%s%s: ", cmd->area, sep, cmd->verb);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (see 'emauth %s%s%s --help')\n", cmd->area, sep, cmd->verb);
    va_end(ap);
    return CLI_EXIT_USAGE;
}

static const cli_option *find_option(const cli_option *options, const char *name, size_t len)
{
    for (const cli_option *o = options; o->name != NULL; o++)
        if (strlen(o->name) == len && memcmp(o->name, name, len) == 0)
            return o;
    return NULL;
}

int cli_next_option(cli_args *args, const cli_option *options, const char **value)
{
    *value = NULL;
    if (args->next >= args->argc)
        return 0;
    const char *arg = args->argv[args->next++];
    if (strcmp(arg, "--") == 0) {
        if (args->next >= args->argc)
            return 0;
        cli_usage_error(args->cmd, "unexpected argument '%s'", args->argv[args->next]);
        return -1;
    }
    if (arg[0] != '-') {
        cli_usage_error(args->cmd, "unexpected argument '%s'", arg);
        return -1;
    }
    const char *name = arg[1] == '-' ? arg + 2 : arg + 1;
    const char *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    const cli_option *opt = arg[1] == '-' ? find_option(options, name, len) : NULL;
    if (opt == NULL) {
        cli_usage_error(args->cmd, "unknown option '%.*s'", (int)(name + len - arg), arg);
        return -1;
    }
    if (!opt->has_value) {
        if (eq != NULL) {
            cli_usage_error(args->cmd, "option --%s takes no value", opt->name);
            return -1;
        }
        return opt->id;
    }
    if (eq != NULL) {
        *value = eq + 1;
    } else if (args->next < args->argc) {
        *value = args->argv[args->next++];
    } else {
        cli_usage_error(args->cmd, "option --%s needs a value", opt->name);
        return -1;
    }
    return opt->id;
}

int cli_next_arg(cli_args *args, const cli_option *options, const char **value, int *rest)
{
    *value = NULL;
    if (args->next >= args->argc)
        return 0;
    const char *arg = args->argv[args->next];
    if (!*rest && strcmp(arg, "--") == 0) {
        *rest = 1;
        args->next++;
        return cli_next_arg(args, options, value, rest);
    }
    if (*rest || strncmp(arg, "--", 2) != 0) {
        *value = arg;
        args->next++;
        return CLI_POSITIONAL;
    }
    return cli_next_option(args, options, value);
}
