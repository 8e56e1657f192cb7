/* The DNS options commands share, and the resolver they make; see dns.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/dns.h"
#include "cli/output.h"

int cli_number(const cli_command *cmd, const char *name, const char *value, unsigned long min,
               unsigned long max, unsigned *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(value, &end, 10);
    if (errno != 0 || end == value || *end != '\0' || value[0] == '-' || v < min || v > max) {
        cli_usage_error(cmd, "--%s takes a whole number from %lu to %lu, not \"%.40s\"", name, min,
                        max, value);
        return -1;
    }
    *out = (unsigned)v;
    return 0;
}

int cli_dns_init(cli_dns *d, int argc)
{
    memset(d, 0, sizeof *d);
    d->timeout_ms = 2000;
    d->tries = 2;
    d->zones = calloc((size_t)argc + 1, sizeof *d->zones);
    d->nameservers = calloc((size_t)argc + 1, sizeof *d->nameservers);
    if (d->zones == NULL || d->nameservers == NULL) {
        cli_errorf("out of memory");
        return -1;
    }
    return 0;
}

int cli_dns_option(cli_dns *d, const cli_command *cmd, int id, const char *value)
{
    switch (id) {
    case CLI_DNS_ZONE: d->zones[d->nzones++] = value; return 1;
    case CLI_DNS_NAMESERVER: d->nameservers[d->nnameservers++] = value; return 1;
    case CLI_DNS_TIMEOUT: return cli_number(cmd, "timeout", value, 1, 600000, &d->timeout_ms) ? -1 : 1;
    case CLI_DNS_TRIES: return cli_number(cmd, "tries", value, 1, 20, &d->tries) ? -1 : 1;
    case CLI_DNS_NO_CACHE: d->no_cache = 1; return 1;
    default: return 0;
    }
}

int cli_dns_check(cli_dns *d, const cli_command *cmd)
{
    if (d->nzones > 0 && d->nnameservers > 0)
        return cli_usage_error(cmd, "--zone and --nameserver exclude each other");
    return CLI_EXIT_OK;
}

static void print_warning(void *arg, const char *msg)
{
    (void)arg;
    cli_warnf("%s", msg);
}

emauth_zone *cli_load_zones(const char *const *files, size_t n)
{
    emauth_error err;
    emauth_error_clear(&err);
    emauth_zone *zone = emauth_zone_new();
    if (zone == NULL) {
        cli_errorf("out of memory");
        return NULL;
    }
    emauth_zone_set_warn(zone, print_warning, NULL);
    for (size_t i = 0; i < n; i++) {
        emauth_status st = emauth_zone_load_file(zone, files[i], NULL, &err);
        if (st != EMAUTH_OK) {
            if (err.message[0] != '\0')
                cli_errorf("%s", err.message);
            else
                cli_errorf("%s: %s", files[i], emauth_status_str(st));
            emauth_zone_free(zone);
            return NULL;
        }
    }
    return zone;
}

static int load_zone(cli_dns *d)
{
    d->zone = cli_load_zones(d->zones, d->nzones);
    return d->zone != NULL ? 0 : -1;
}

static void live_options(const cli_dns *d, emauth_dns_options *o)
{
    emauth_dns_options_default(o);
    o->nameservers = d->nameservers;
    o->nameserver_count = d->nnameservers;
    o->timeout_ms = d->timeout_ms;
    o->tries = d->tries;
    if (d->no_cache)
        o->cache_entries = 0;
}

emauth_resolver *cli_dns_resolver(cli_dns *d)
{
    if (d->nzones > 0)
        return load_zone(d) == 0 ? emauth_zone_resolver(d->zone) : NULL;
    emauth_dns_options o;
    live_options(d, &o);
    emauth_error err;
    emauth_error_clear(&err);
    if (emauth_ares_resolver_new(&o, &d->live, &err) != EMAUTH_OK) {
        cli_errorf("%s", err.message);
        return NULL;
    }
    return d->live;
}

emauth_async *cli_dns_async(cli_dns *d)
{
    emauth_async *as = NULL;
    emauth_error err;
    emauth_error_clear(&err);
    if (d->nzones > 0) {
        if (load_zone(d) != 0)
            return NULL;
        if (emauth_async_new_zone(d->zone, &as, &err) == EMAUTH_OK)
            return as;
    } else {
        emauth_dns_options o;
        live_options(d, &o);
        if (emauth_async_new(&o, &as, &err) == EMAUTH_OK)
            return as;
    }
    cli_errorf("%s", err.message);
    return NULL;
}

void cli_dns_free(cli_dns *d)
{
    if (d->live != NULL)
        d->live->destroy(d->live);
    emauth_zone_free(d->zone);
    free(d->zones);
    free(d->nameservers);
    memset(d, 0, sizeof *d);
}

const char *cli_bad_domain(const char *d)
{
    size_t n = strlen(d);
    if (n > 0 && d[n - 1] == '.')
        n--;
    if (n == 0 || n > 253)
        return "not a domain name";
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)d[i] <= ' ' || (unsigned char)d[i] >= 0x7f || d[i] == '@')
            return "not a domain name";
    return NULL;
}
