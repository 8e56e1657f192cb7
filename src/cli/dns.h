/*
 * The DNS options every command shares (--zone, --nameserver, --timeout,
 * --tries, --no-cache) and the resolver or async engine they make.
 */
#ifndef EMAUTH_CLI_DNS_H
#define EMAUTH_CLI_DNS_H

#include <emauth/emauth.h>
#include "cli/cli.h"

typedef struct cli_dns {
    const char **zones;        /* every --zone */
    size_t nzones;
    const char **nameservers;  /* every --nameserver */
    size_t nnameservers;
    unsigned timeout_ms, tries;
    int no_cache;
    emauth_zone *zone;         /* loaded by cli_dns_resolver()/cli_dns_async() */
    emauth_resolver *live;     /* the blocking live resolver, when made */
} cli_dns;

/* Option ids for a command's table: add CLI_DNS_OPTIONS to it (ids 1000+). */
enum { CLI_DNS_ZONE = 1000, CLI_DNS_NAMESERVER, CLI_DNS_TIMEOUT, CLI_DNS_TRIES, CLI_DNS_NO_CACHE };
#define CLI_DNS_OPTIONS                                                                          \
    {"zone", 1, CLI_DNS_ZONE}, {"nameserver", 1, CLI_DNS_NAMESERVER},                        \
        {"timeout", 1, CLI_DNS_TIMEOUT}, {"tries", 1, CLI_DNS_TRIES}, {"no-cache", 0, CLI_DNS_NO_CACHE}

/* The lines of --help that describe them. */
#define CLI_DNS_HELP                                                                             \
    "  --zone FILE        answer DNS questions from an RFC 1035 master file (repeatable);\n"      \
    "                     without it, DNS is live (c-ares), from /etc/resolv.conf\n"              \
    "  --nameserver ADDR[:PORT]\n"                                                              \
    "                     live DNS: ask this server (repeatable; [IPV6]:PORT for IPv6)\n"        \
    "  --timeout MS       live DNS: wait this long per try (default 2000)\n"                     \
    "  --tries N          live DNS: tries per server (default 2)\n"                              \
    "  --no-cache         live DNS: do not cache answers\n"

/* Sets the defaults; argc bounds how many --zone/--nameserver there can be. -1 when out of memory. */
int cli_dns_init(cli_dns *d, int argc);

/*
 * Takes option id with value if it is one of CLI_DNS_*: returns 1 when
 * taken, 0 when not a DNS option, -1 after a usage error.
 */
int cli_dns_option(cli_dns *d, const cli_command *cmd, int id, const char *value);

/* Checks the combination (--zone excludes --nameserver); CLI_EXIT_OK or after a usage error. */
int cli_dns_check(cli_dns *d, const cli_command *cmd);

/*
 * A blocking resolver: over the loaded zone (warnings and errors on
 * stderr), or live. NULL after printing why.
 */
emauth_resolver *cli_dns_resolver(cli_dns *d);

/* Loads master files into a new zone, warnings and errors on stderr; NULL after an error. */
emauth_zone *cli_load_zones(const char *const *files, size_t n);

/* An async engine over the zone, or live. NULL after printing why. */
emauth_async *cli_dns_async(cli_dns *d);

void cli_dns_free(cli_dns *d);

/*
 * "not a domain name" when d cannot be one we ask DNS about (empty, over
 * 253 bytes, blanks, control bytes, non-ASCII, '@'); NULL when it can.
 */
const char *cli_bad_domain(const char *d);

/* A whole number in [min, max] for --name; -1 after the usage error. */
int cli_number(const cli_command *cmd, const char *name, const char *value, unsigned long min,
               unsigned long max, unsigned *out);

#endif
