/*
 * What `emauth spf add` and `emauth spf flatten` share: arguments, the
 * editor run, refusals and the pieces of their text and JSON output
 * (see edit.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/edit.h"

void edit_stale_warning(char *buf, size_t size, const char *domain)
{
    snprintf(buf, size, "flattened records go stale when the providers change their addresses: "
             "re-run `emauth spf flatten --check FILE %s` regularly (FILE holding these lines)",
             domain);
}

/* ---- Arguments ------------------------------------------------------------------ */

static int take_option(const cli_command *cmd, edit_opts *o, int id, const char *value)
{
    switch (id) {
    case EDIT_RECORD: o->record = value; return 0;
    case EDIT_DOMAIN: o->domain = value; return 0;
    case EDIT_CHECK: o->check = value; return 0;
    case EDIT_FLATTEN: o->flatten = 1; return 0;
    case EDIT_JSON: o->json = 1; return 0;
    case EDIT_TTL: return cli_number(cmd, "ttl", value, 0, 2147483647, &o->ttl);
    default: return cli_dns_option(&o->dns, cmd, id, value) < 0 ? -1 : 0;
    }
}

int edit_parse(const cli_command *cmd, int argc, char **argv, const cli_option *options,
               edit_opts *o)
{
    memset(o, 0, sizeof *o);
    o->ttl = 3600;
    o->pos = calloc((size_t)argc + 1, sizeof *o->pos);
    if (o->pos == NULL || cli_dns_init(&o->dns, argc) != 0) {
        cli_errorf("out of memory");
        return CLI_EXIT_USAGE;
    }
    cli_args args = {cmd, argc, argv, 0};
    const char *value;
    int id, rest = 0;
    while ((id = cli_next_arg(&args, options, &value, &rest)) > 0) {
        if (id == CLI_POSITIONAL)
            o->pos[o->npos++] = value;
        else if (take_option(cmd, o, id, value) < 0)
            return CLI_EXIT_USAGE;
    }
    if (id < 0)
        return CLI_EXIT_USAGE;
    return cli_dns_check(&o->dns, cmd);
}

void edit_free(edit_opts *o)
{
    free(o->pos);
    cli_dns_free(&o->dns);
}

void edit_limits(const edit_opts *o, emauth_spf_edit_limits *l)
{
    emauth_spf_edit_limits_default(l);
    l->ttl = o->ttl;
}

const emauth_spf_edit_result *edit_run(emauth_spf_editor *e, edit_opts *o)
{
    emauth_resolver *resolver = cli_dns_resolver(&o->dns);
    if (resolver == NULL)
        return NULL;
    emauth_status st = emauth_spf_editor_run(e, resolver);
    if (st != EMAUTH_OK) {
        cli_errorf("%s", emauth_status_str(st));
        return NULL;
    }
    return emauth_spf_editor_result(e);
}

void edit_refusal(const char *verb, const emauth_spf_edit_result *r)
{
    cli_out o;
    cli_out_init(&o, stderr);
    cli_out_lit(&o, "emauth: cannot ");
    cli_out_str(&o, verb);
    cli_out_lit(&o, ": ");
    cli_out_ctext(&o, r->reason);
    cli_out_char(&o, '\n');
    if (r->column > 0 && r->record != NULL) {
        cli_out_lit(&o, "    ");
        cli_out_ctext(&o, r->record);
        cli_out_lit(&o, "\n    ");
        for (unsigned i = 1; i < r->column; i++)
            cli_out_char(&o, ' ');
        cli_out_colour(&o, CLI_RED);
        cli_out_char(&o, '^');
        cli_out_colour(&o, CLI_PLAIN);
        cli_out_char(&o, '\n');
    }
    cli_out_flush(&o);
    cli_out_free(&o);
}

int edit_flush(cli_out *o, int rc)
{
    int failed = cli_out_flush(o) != 0;
    cli_out_free(o);
    if (failed) {
        cli_errorf("error writing the output");
        return CLI_EXIT_USAGE;
    }
    return rc;
}

/* ---- Text ------------------------------------------------------------------------ */

void edit_text_list(cli_out *o, const char *what, const char *const *v, size_t n)
{
    if (n == 0)
        return;
    cli_out_lit(o, "; ");
    cli_out_str(o, what);
    cli_out_char(o, ':');
    for (size_t i = 0; i < n; i++) {
        cli_out_char(o, ' ');
        cli_out_ctext(o, v[i]);
    }
    cli_out_char(o, '\n');
}

void edit_text_zone_lines(cli_out *o, const emauth_spf_edit_result *r)
{
    for (size_t i = 0; i < r->npublish; i++) {
        cli_out_ctext(o, r->publish[i].zone_line);
        cli_out_char(o, '\n');
    }
}

static size_t largest_answer(const emauth_spf_edit_result *r)
{
    size_t max = 0;
    for (size_t i = 0; i < r->npublish; i++)
        if (r->publish[i].answer_size > max)
            max = r->publish[i].answer_size;
    return max;
}

void edit_text_flattened(cli_out *o, const emauth_spf_edit_result *r, const char *source)
{
    cli_out_lit(o, "; source: ");
    cli_out_ctext(o, source);
    cli_out_lit(o, "\n; ");
    cli_out_uint(o, r->nranges);
    cli_out_str(o, r->nranges == 1 ? " range in " : " ranges in ");
    cli_out_uint(o, r->npublish);
    cli_out_str(o, r->npublish == 1 ? " record, " : " records, ");
    cli_out_uint(o, r->publish_lookups);
    cli_out_str(o, r->publish_lookups == 1 ? " DNS lookup" : " DNS lookups");
    cli_out_lit(o, " (limit 10), largest answer ");
    cli_out_uint(o, largest_answer(r));
    cli_out_lit(o, " bytes (limit 512)\n");
    char warning[EDIT_WARNING_MAX];
    edit_stale_warning(warning, sizeof warning, r->domain);
    char *colon = strchr(warning, ':');   /* two lines: the warning, what to do */
    cli_out_colour(o, CLI_YELLOW);
    cli_out_lit(o, "; warning: ");
    cli_out_mem(o, warning, (size_t)(colon - warning) + 1);
    cli_out_lit(o, "\n;");
    cli_out_ctext(o, colon + 1);
    cli_out_colour(o, CLI_PLAIN);
    cli_out_char(o, '\n');
    edit_text_zone_lines(o, r);
}

/* ---- JSON ------------------------------------------------------------------------ */

static void json_key(cli_out *o, const char *key)
{
    cli_out_char(o, ',');
    cli_out_json_cstr(o, key);
    cli_out_char(o, ':');
}

void edit_json_strings(cli_out *o, const char *key, const char *const *v, size_t n)
{
    json_key(o, key);
    cli_out_char(o, '[');
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            cli_out_char(o, ',');
        cli_out_json_cstr(o, v[i]);
    }
    cli_out_char(o, ']');
}

void edit_json_ranges(cli_out *o, const char *key, const emauth_cidr *v, size_t n)
{
    json_key(o, key);
    cli_out_char(o, '[');
    for (size_t i = 0; i < n; i++) {
        char buf[64];
        emauth_cidr_format(&v[i], buf, sizeof buf);
        if (i > 0)
            cli_out_char(o, ',');
        cli_out_json_cstr(o, buf);
    }
    cli_out_char(o, ']');
}

void edit_json_zone_lines(cli_out *o, const emauth_spf_edit_result *r)
{
    json_key(o, "zone_lines");
    cli_out_char(o, '[');
    for (size_t i = 0; i < r->npublish; i++) {
        if (i > 0)
            cli_out_char(o, ',');
        cli_out_json_cstr(o, r->publish[i].zone_line);
    }
    cli_out_char(o, ']');
}

void edit_json_records(cli_out *o, const emauth_spf_edit_result *r)
{
    json_key(o, "records");
    cli_out_char(o, '[');
    for (size_t i = 0; i < r->npublish; i++) {
        const emauth_spf_txt *t = &r->publish[i];
        cli_out_str(o, i > 0 ? ",{\"owner\":" : "{\"owner\":");
        cli_out_json_cstr(o, t->owner);
        cli_out_json_key(o, "record");
        cli_out_json_str(o, t->record, t->record_len);
        cli_out_json_key(o, "lookups");
        cli_out_uint(o, t->lookups);
        cli_out_json_key(o, "ranges");
        cli_out_uint(o, t->nranges);
        cli_out_json_key(o, "answer_size");
        cli_out_uint(o, t->answer_size);
        cli_out_char(o, '}');
    }
    cli_out_char(o, ']');
}

void edit_json_end(cli_out *o, const emauth_spf_edit_result *r)
{
    cli_out_json_key(o, "refused");
    cli_out_json_cstr(o, r->refused);
    cli_out_json_key(o, "reason");
    cli_out_json_cstr(o, r->reason);
    cli_out_json_key(o, "column");
    if (r->column > 0)
        cli_out_uint(o, r->column);
    else
        cli_out_lit(o, "null");
    cli_out_lit(o, "}\n");
}
