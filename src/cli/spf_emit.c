/* Output of `emauth spf check`: one result as text or as a JSON line. */
#include <emauth/emauth.h>
#include "cli/spf_check.h"

enum header_kind { HDR_RECEIVED_SPF, HDR_AUTHRES };

static size_t format_header(enum header_kind kind, const emauth_spf_result *res,
                            const emauth_spf_request *req, char *buf, size_t size)
{
    if (kind == HDR_RECEIVED_SPF)
        return emauth_spf_received_spf(res, req, buf, size);
    return emauth_spf_authres(res, buf, size);
}

/* A whole header field, in w->scratch until the next call. */
static const char *header_field(spf_worker *w, enum header_kind kind,
                                const emauth_spf_result *res, const emauth_spf_request *req)
{
    ea_buf *s = &w->scratch;
    s->len = 0;
    if (kind == HDR_AUTHRES) {
        ea_buf_puts(s, "Authentication-Results: ");
        ea_buf_puts(s, w->opt->receiver);
        ea_buf_puts(s, "; ");
    }
    size_t start = s->len;
    size_t n = format_header(kind, res, req, s->data + start, s->cap - start);
    if (n >= s->cap - start) {
        if (ea_buf_reserve(s, n) != 0) {
            w->out->failed = 1;
            return "";
        }
        format_header(kind, res, req, s->data + start, s->cap - start);
    }
    s->len = start + n;
    return s->data;
}

static void json_trace(cli_out *o, const emauth_spf_result *res)
{
    cli_out_json_key(o, "trace");
    cli_out_char(o, '[');
    for (size_t i = 0; res != NULL && i < res->trace_count; i++) {
        const emauth_spf_trace *t = &res->trace[i];
        const char *type = emauth_dns_type_name(t->type);
        if (i > 0)
            cli_out_char(o, ',');
        cli_out_lit(o, "{\"name\":");
        cli_out_json_cstr(o, t->name);
        cli_out_json_key(o, "type");
        if (type != NULL)
            cli_out_json_cstr(o, type);
        else
            cli_out_uint(o, t->type);
        cli_out_json_key(o, "rcode");
        cli_out_json_cstr(o, emauth_dns_rcode_name(t->rcode));
        cli_out_json_key(o, "count");
        cli_out_uint(o, t->count);
        cli_out_char(o, '}');
    }
    cli_out_char(o, ']');
}

/* One JSON line. res is NULL when the query could not be checked (error says why). */
static void emit_json(spf_worker *w, const spf_query *q, const emauth_spf_request *req,
                      const emauth_spf_result *res, const char *error)
{
    cli_out *o = w->out;
    int ok = res != NULL;
    cli_out_lit(o, "{\"ip\":");
    cli_out_json_str(o, q->ip, q->ip_len);
    cli_out_json_key(o, "mail_from");
    cli_out_json_str(o, q->mail_from, q->mail_from_len);
    cli_out_json_key(o, "helo");
    cli_out_json_str(o, q->helo, q->helo_len);
    cli_out_json_key(o, "identity");
    cli_out_json_cstr(o, ok ? emauth_spf_identity_name(res->identity) : NULL);
    cli_out_json_key(o, "domain");
    cli_out_json_cstr(o, ok ? res->domain : NULL);
    cli_out_json_key(o, "result");
    cli_out_json_cstr(o, ok ? emauth_spf_verdict_name(res->verdict) : NULL);
    cli_out_json_key(o, "mechanism");
    cli_out_json_cstr(o, ok ? res->mechanism : NULL);
    cli_out_json_key(o, "explanation");
    cli_out_json_cstr(o, ok ? res->explanation : NULL);
    cli_out_json_key(o, "problem");
    cli_out_json_cstr(o, ok ? res->problem : NULL);
    cli_out_json_key(o, "dns_lookups");
    cli_out_json_uint_or_null(o, ok, ok ? res->dns_lookups : 0);
    cli_out_json_key(o, "void_lookups");
    cli_out_json_uint_or_null(o, ok, ok ? res->void_lookups : 0);
    cli_out_json_key(o, "mechanism_domain");
    cli_out_json_cstr(o, ok ? res->mechanism_domain : NULL);
    cli_out_json_key(o, "mechanism_column");
    cli_out_json_uint_or_null(o, ok && res->mechanism_column > 0, ok ? res->mechanism_column : 0);
    cli_out_json_key(o, "error");
    cli_out_json_cstr(o, error);
    if (w->opt->header) {
        cli_out_json_key(o, "received_spf");
        cli_out_json_cstr(o, ok ? header_field(w, HDR_RECEIVED_SPF, res, req) : NULL);
        cli_out_json_key(o, "authentication_results");
        cli_out_json_cstr(o, ok ? header_field(w, HDR_AUTHRES, res, req) : NULL);
    }
    if (w->opt->trace)
        json_trace(o, res);
    cli_out_lit(o, "}\n");
}

static cli_colour verdict_colour(emauth_spf_verdict v)
{
    switch (v) {
    case EMAUTH_SPF_PASS: return CLI_GREEN;
    case EMAUTH_SPF_FAIL: return CLI_RED;
    case EMAUTH_SPF_SOFTFAIL: return CLI_YELLOW;
    case EMAUTH_SPF_TEMPERROR:
    case EMAUTH_SPF_PERMERROR: return CLI_MAGENTA;
    default: return CLI_PLAIN;
    }
}

/* " (mx in the record of example.com, column 8)" or " (no term matched)". */
static void text_matched(cli_out *o, const emauth_spf_result *res)
{
    if (res->mechanism == NULL) {
        cli_out_str(o, " (no term matched)");
        return;
    }
    cli_out_str(o, " (");
    cli_out_ctext(o, res->mechanism);
    if (res->mechanism_domain != NULL) {
        cli_out_str(o, " in the record of ");
        cli_out_ctext(o, res->mechanism_domain);
    }
    if (res->mechanism_column > 0) {
        cli_out_str(o, ", column ");
        cli_out_uint(o, res->mechanism_column);
    }
    cli_out_char(o, ')');
}

/* "for example.com" / "for HELO mail.example.com". */
static void text_for(cli_out *o, const emauth_spf_result *res, const char *domain)
{
    cli_out_str(o, res->identity == EMAUTH_SPF_ID_HELO ? " for HELO " : " for ");
    cli_out_ctext(o, domain);
}

/* The "why" after "RESULT: ", on one line. */
static void text_why(cli_out *o, const emauth_spf_request *req, const emauth_spf_result *res)
{
    char ip[EMAUTH_IP_TEXT_MAX + 1];
    const char *domain = res->domain != NULL ? res->domain : "(no domain)";
    emauth_ip_format(&req->ip, ip, sizeof ip);
    switch (res->verdict) {
    case EMAUTH_SPF_PASS:
    case EMAUTH_SPF_FAIL:
    case EMAUTH_SPF_SOFTFAIL:
        cli_out_str(o, ip);
        cli_out_str(o, res->verdict == EMAUTH_SPF_PASS ? " is authorized to send"
                       : res->verdict == EMAUTH_SPF_FAIL ? " is not authorized to send"
                       : " is probably not authorized to send");
        text_for(o, res, domain);
        text_matched(o, res);
        if (res->explanation != NULL) {
            cli_out_str(o, "; explanation: ");
            cli_out_ctext(o, res->explanation);
        }
        break;
    case EMAUTH_SPF_NEUTRAL:
        cli_out_ctext(o, domain);
        cli_out_str(o, " neither permits nor denies ");
        cli_out_str(o, ip);
        text_matched(o, res);
        break;
    default:   /* none, temperror, permerror: the domain and the problem */
        cli_out_ctext(o, domain);
        cli_out_str(o, ": ");
        cli_out_ctext(o, res->problem != NULL ? res->problem : "no SPF record");
        break;
    }
}

static void text_trace(cli_out *o, const emauth_spf_result *res)
{
    for (size_t i = 0; i < res->trace_count; i++) {
        const emauth_spf_trace *t = &res->trace[i];
        const char *type = emauth_dns_type_name(t->type);
        cli_out_str(o, "  dns: ");
        cli_out_ctext(o, t->name);
        cli_out_char(o, ' ');
        if (type != NULL)
            cli_out_str(o, type);
        else
            cli_out_uint(o, t->type);
        cli_out_str(o, ": ");
        cli_out_str(o, emauth_dns_rcode_name(t->rcode));
        if (t->rcode == EMAUTH_DNS_OK) {
            cli_out_str(o, ", ");
            cli_out_uint(o, t->count);
            cli_out_str(o, t->count == 1 ? " record" : " records");
        }
        cli_out_char(o, '\n');
    }
}

static void emit_text(spf_worker *w, const emauth_spf_request *req,
                      const emauth_spf_result *res, const char *error)
{
    cli_out *o = w->out;
    if (res == NULL) {
        cli_out_colour(o, CLI_RED);
        cli_out_str(o, "error");
        cli_out_colour(o, CLI_PLAIN);
        cli_out_str(o, ": ");
        cli_out_ctext(o, error);
        cli_out_char(o, '\n');
        return;
    }
    cli_out_colour(o, verdict_colour(res->verdict));
    cli_out_str(o, emauth_spf_verdict_name(res->verdict));
    cli_out_colour(o, CLI_PLAIN);
    cli_out_str(o, ": ");
    text_why(o, req, res);
    cli_out_char(o, '\n');
    if (w->opt->header) {
        cli_out_str(o, header_field(w, HDR_RECEIVED_SPF, res, req));
        cli_out_char(o, '\n');
        cli_out_str(o, header_field(w, HDR_AUTHRES, res, req));
        cli_out_char(o, '\n');
    }
    if (w->opt->trace)
        text_trace(o, res);
}

void spf_emit(spf_worker *w, const spf_query *q, const emauth_spf_request *req,
                 const emauth_spf_result *res, const char *error)
{
    if (w->opt->json)
        emit_json(w, q, req, res, error);
    else
        emit_text(w, req, res, error);
}
