/* Text and JSON output of SPF lint reports, and walks over their tree; see lint_output.h. */
#include <string.h>
#include <strings.h>

#include "cli/lint_output.h"
#include "util/error.h"

#define RANGES_SHOWN 4   /* text output lists this many ranges of a node, then "and N more" */

/* RFC 7208 limits, as the analyzer applies them (§4.6.4). */
#define LOOKUP_LIMIT 10
#define VOID_LIMIT 2

/* ---- Walks -------------------------------------------------------------------- */

void lint_count(const emauth_lint_problem *p, size_t n, unsigned counts[3])
{
    counts[0] = counts[1] = counts[2] = 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned)p[i].severity < 3)
            counts[p[i].severity]++;
}

const emauth_lint_problem *lint_first_error(const emauth_lint_report *r)
{
    for (size_t i = 0; i < r->nproblems; i++)
        if (r->problems[i].severity == EMAUTH_LINT_ERROR)
            return &r->problems[i];
    return NULL;
}

static size_t name_len(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && s[n - 1] == '.' ? n - 1 : n;
}

int lint_same_name(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return 0;
    size_t n = name_len(a);
    return n == name_len(b) && strncasecmp(a, b, n) == 0;
}

/* Depth-first in child order (evaluation order); depth nodes of path are filled. */
static size_t find_from(const emauth_lint_node *n, const char *name, int any,
                        const emauth_lint_node *path[LINT_PATH_MAX], size_t depth)
{
    for (size_t i = 0; i < n->nchildren && depth < LINT_PATH_MAX; i++) {
        const emauth_lint_node *c = n->children[i];
        if (c->via_qualifier != '+' && !any)
            continue;
        path[depth] = c;
        if (lint_same_name(c->domain, name))
            return depth + 1;
        size_t found = find_from(c, name, any, path, depth + 1);
        if (found > 0)
            return found;
    }
    return 0;
}

size_t lint_find_path(const emauth_lint_node *root, const char *name, int any_qualifier,
                      const emauth_lint_node *path[LINT_PATH_MAX])
{
    return root != NULL ? find_from(root, name, any_qualifier, path, 0) : 0;
}

unsigned lint_reached_at(const emauth_lint_node *n)
{
    /* total is counted after the subtree, which holds the node's own lookups
     * and those below it; the include term itself was counted before them. */
    return n->total >= n->subtree ? n->total - n->subtree : 0;
}

/* ---- JSON ------------------------------------------------------------------------ */

static void json_column(cli_out *o, unsigned column)
{
    if (column > 0)
        cli_out_uint(o, column);
    else
        cli_out_lit(o, "null");
}

static void json_voids(cli_out *o, const emauth_lint_node *n)
{
    cli_out_json_key(o, "voids");
    cli_out_char(o, '[');
    for (size_t i = 0; i < n->nvoids; i++) {
        const emauth_lint_void *v = &n->voids[i];
        if (i > 0)
            cli_out_char(o, ',');
        cli_out_lit(o, "{\"term\":");
        cli_out_json_cstr(o, v->term);
        cli_out_json_key(o, "column");
        json_column(o, v->column);
        cli_out_json_key(o, "name");
        cli_out_json_cstr(o, v->name);
        cli_out_char(o, '}');
    }
    cli_out_char(o, ']');
}

static void json_ranges(cli_out *o, const emauth_lint_node *n)
{
    char text[EMAUTH_IP_TEXT_MAX + 8];
    cli_out_json_key(o, "ranges");
    cli_out_char(o, '[');
    for (size_t i = 0; i < n->nranges; i++) {
        if (i > 0)
            cli_out_char(o, ',');
        emauth_cidr_format(&n->ranges[i], text, sizeof text);
        cli_out_json_cstr(o, text);
    }
    cli_out_char(o, ']');
}

static void json_node(cli_out *o, const emauth_lint_node *n)
{
    cli_out_lit(o, "{\"domain\":");
    cli_out_json_cstr(o, n->domain);
    cli_out_json_key(o, "record");
    cli_out_json_cstr(o, n->record);
    cli_out_json_key(o, "via");
    cli_out_json_cstr(o, n->via);
    cli_out_json_key(o, "lookups");
    cli_out_uint(o, n->lookups);
    cli_out_json_key(o, "total");
    cli_out_uint(o, n->total);
    cli_out_json_key(o, "subtree");
    cli_out_uint(o, n->subtree);
    json_voids(o, n);
    json_ranges(o, n);
    cli_out_json_key(o, "dynamic");
    cli_out_json_bool(o, n->dynamic);
    cli_out_json_key(o, "loop");
    cli_out_json_bool(o, n->loop);
    cli_out_json_key(o, "children");
    cli_out_char(o, '[');
    for (size_t i = 0; i < n->nchildren; i++) {
        if (i > 0)
            cli_out_char(o, ',');
        json_node(o, n->children[i]);
    }
    cli_out_lit(o, "]}");
}

static void json_problem(cli_out *o, const emauth_lint_problem *p)
{
    cli_out_lit(o, "{\"code\":");
    cli_out_json_cstr(o, p->code);
    cli_out_json_key(o, "severity");
    cli_out_json_cstr(o, emauth_lint_severity_name(p->severity));
    cli_out_json_key(o, "message");
    cli_out_json_cstr(o, p->message);
    cli_out_json_key(o, "domain");
    cli_out_json_cstr(o, p->domain);
    cli_out_json_key(o, "term");
    cli_out_json_cstr(o, p->term);
    cli_out_json_key(o, "column");
    json_column(o, p->column);
    cli_out_char(o, '}');
}

void lint_emit_json(cli_out *o, const emauth_lint_report *r)
{
    cli_out_lit(o, "{\"domain\":");
    cli_out_json_cstr(o, r->domain);
    cli_out_json_key(o, "record");
    cli_out_json_cstr(o, r->record);
    cli_out_json_key(o, "valid");
    cli_out_json_bool(o, r->valid);
    cli_out_json_key(o, "dns_lookups");
    cli_out_uint(o, r->dns_lookups);
    cli_out_json_key(o, "void_lookups");
    cli_out_uint(o, r->void_lookups);
    cli_out_json_key(o, "tree");
    if (r->tree != NULL)
        json_node(o, r->tree);
    else
        cli_out_lit(o, "null");
    cli_out_json_key(o, "problems");
    lint_emit_problems_json(o, r->problems, r->nproblems);
    cli_out_lit(o, "}\n");
}

void lint_emit_problems_json(cli_out *o, const emauth_lint_problem *p, size_t n)
{
    cli_out_char(o, '[');
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            cli_out_char(o, ',');
        json_problem(o, &p[i]);
    }
    cli_out_char(o, ']');
}

/* ---- Text: the tree ---------------------------------------------------------------- */

/* "1 lookup" / "3 lookups" and the like. */
static void text_count(cli_out *o, unsigned long n, const char *what)
{
    cli_out_uint(o, n);
    cli_out_char(o, ' ');
    cli_out_str(o, what);
    if (n != 1)
        cli_out_char(o, 's');
}

/* The name an include:/redirect= term names, as written (after ':' or '='). */
static const char *via_target(const char *via)
{
    const char *p = strpbrk(via, ":=");
    return p != NULL ? p + 1 : via;
}

/* The tree's lines are indented by prefix, a string of "|   " and "    ". */
typedef struct tree_pen {
    cli_out *o;
    char prefix[4 * (LINT_PATH_MAX + 2) + 1];
    size_t len;
} tree_pen;

static void node_title(cli_out *o, const emauth_lint_node *n)
{
    if (n->via == NULL) {
        cli_out_ctext(o, n->domain != NULL ? n->domain : "(the given record)");
    } else {
        cli_out_ctext(o, n->via);
        if (n->domain != NULL && !lint_same_name(via_target(n->via), n->domain)) {
            cli_out_str(o, " -> ");
            cli_out_ctext(o, n->domain);
        }
    }
    cli_out_str(o, "  ");
    if (n->loop) {
        cli_out_colour(o, CLI_YELLOW);
        cli_out_str(o, "loop: not expanded again");
        cli_out_colour(o, CLI_PLAIN);
        return;
    }
    text_count(o, n->lookups, "lookup");
    cli_out_str(o, ", total ");
    cli_out_uint(o, n->total);
}

/* One line under a node: its prefix, then the caller writes the rest. */
static void detail_start(tree_pen *p, const emauth_lint_node *n)
{
    cli_out_mem(p->o, p->prefix, p->len);
    cli_out_str(p->o, n->nchildren > 0 ? "|   " : "    ");
}

static void node_ranges(tree_pen *p, const emauth_lint_node *n)
{
    char text[EMAUTH_IP_TEXT_MAX + 8];
    if (n->nranges == 0)
        return;
    detail_start(p, n);
    cli_out_str(p->o, "ranges: ");
    for (size_t i = 0; i < n->nranges && i < RANGES_SHOWN; i++) {
        if (i > 0)
            cli_out_str(p->o, ", ");
        emauth_cidr_format(&n->ranges[i], text, sizeof text);
        cli_out_str(p->o, text);
    }
    if (n->nranges > RANGES_SHOWN) {
        cli_out_str(p->o, " and ");
        cli_out_uint(p->o, n->nranges - RANGES_SHOWN);
        cli_out_str(p->o, " more");
    }
    cli_out_char(p->o, '\n');
}

static void node_details(tree_pen *p, const emauth_lint_node *n)
{
    if (n->loop)
        return;
    detail_start(p, n);
    if (n->record == NULL)
        cli_out_str(p->o, "(no SPF record)");
    else if (n->record[0] == '\0')
        cli_out_str(p->o, "(an empty record)");
    else
        cli_out_ctext(p->o, n->record);
    cli_out_char(p->o, '\n');
    for (size_t i = 0; i < n->nvoids; i++) {
        detail_start(p, n);
        cli_out_str(p->o, "void lookup: ");
        cli_out_ctext(p->o, n->voids[i].term != NULL ? n->voids[i].term : "?");
        cli_out_str(p->o, " (");
        cli_out_ctext(p->o, n->voids[i].name != NULL ? n->voids[i].name : "?");
        cli_out_str(p->o, ")\n");
    }
    node_ranges(p, n);
    if (n->dynamic) {
        detail_start(p, n);
        cli_out_str(p->o, "dynamic: terms depend on the sender (not statically resolvable)\n");
    }
}

static void tree_node(tree_pen *p, const emauth_lint_node *n, int is_child, int last)
{
    cli_out_mem(p->o, p->prefix, p->len);
    if (is_child)
        cli_out_str(p->o, last ? "`-- " : "|-- ");
    node_title(p->o, n);
    cli_out_char(p->o, '\n');
    size_t saved = p->len;
    if (is_child && p->len + 4 < sizeof p->prefix) {
        memcpy(p->prefix + p->len, last ? "    " : "|   ", 4);
        p->len += 4;
    }
    node_details(p, n);
    for (size_t i = 0; i < n->nchildren; i++)
        tree_node(p, n->children[i], 1, i + 1 == n->nchildren);
    p->len = saved;
}

/* ---- Text: problems ------------------------------------------------------------------ */

static cli_colour severity_colour(emauth_lint_severity s)
{
    return s == EMAUTH_LINT_ERROR ? CLI_RED : s == EMAUTH_LINT_WARNING ? CLI_YELLOW : CLI_MAGENTA;
}

/* Terminal columns of what was written to o since byte from (escaped text: one per character). */
static size_t width_since(const cli_out *o, size_t from)
{
    size_t w = 0;
    for (size_t i = from; i < o->buf.len; i++)
        w += ((unsigned char)o->buf.data[i] & 0xc0) != 0x80;
    return w;
}

static void spaces(cli_out *o, size_t n, char c)
{
    char *d = cli_out_room(o, n);
    if (d != NULL) {
        memset(d, c, n);
        o->buf.len += n;
    }
}

/*
 * "  domain: record" and, when the problem has a column in it, a caret
 * under the term ("^~~~" over its width), like a compiler.
 */
static void problem_where(cli_out *o, const emauth_lint_problem *p)
{
    const char *rec = p->record;
    size_t rlen = rec != NULL ? strlen(rec) : 0;
    size_t start = o->buf.len;
    cli_out_str(o, "  ");
    cli_out_ctext(o, p->domain != NULL ? p->domain : "(the given record)");
    if (rlen == 0) {
        if (p->term != NULL && p->term[0] != '\0') {
            cli_out_str(o, ": ");
            cli_out_ctext(o, p->term);
        }
        cli_out_char(o, '\n');
        return;
    }
    cli_out_str(o, ": ");
    size_t col = p->column > 0 && p->column <= rlen ? p->column - 1 : rlen;
    size_t tlen = p->term != NULL ? strlen(p->term) : 0;
    if (tlen == 0 || tlen > rlen - col || memcmp(rec + col, p->term, tlen) != 0)
        tlen = col < rlen ? 1 : 0;
    cli_out_text(o, rec, col);
    size_t lead = width_since(o, start);
    size_t term_at = o->buf.len;
    cli_out_text(o, rec + col, tlen);
    size_t twidth = width_since(o, term_at);
    cli_out_text(o, rec + col + tlen, rlen - col - tlen);
    cli_out_char(o, '\n');
    if (p->column == 0 || col >= rlen)
        return;
    spaces(o, lead, ' ');
    cli_out_colour(o, severity_colour(p->severity));
    cli_out_char(o, '^');
    spaces(o, twidth > 0 ? twidth - 1 : 0, '~');
    cli_out_colour(o, CLI_PLAIN);
    cli_out_char(o, '\n');
}

void lint_emit_problem_text(cli_out *o, const emauth_lint_problem *p)
{
    cli_out_colour(o, severity_colour(p->severity));
    cli_out_str(o, emauth_lint_severity_name(p->severity));
    cli_out_colour(o, CLI_PLAIN);
    cli_out_char(o, ' ');
    cli_out_ctext(o, p->code);
    cli_out_str(o, ": ");
    cli_out_ctext(o, p->message != NULL ? p->message : "");
    cli_out_char(o, '\n');
    if (p->domain != NULL || p->record != NULL)
        problem_where(o, p);
}

/* ---- Text: the whole report ------------------------------------------------------------ */

static void text_summary(cli_out *o, const emauth_lint_report *r)
{
    unsigned counts[3];
    lint_count(r->problems, r->nproblems, counts);
    text_count(o, r->dns_lookups, "DNS lookup");
    cli_out_str(o, " (limit ");
    cli_out_uint(o, LOOKUP_LIMIT);
    cli_out_str(o, "), ");
    text_count(o, r->void_lookups, "void lookup");
    cli_out_str(o, " (limit ");
    cli_out_uint(o, VOID_LIMIT);
    cli_out_str(o, "): ");
    if (counts[EMAUTH_LINT_ERROR] == 0) {
        cli_out_colour(o, CLI_GREEN);
        cli_out_str(o, "valid");
        cli_out_colour(o, CLI_PLAIN);
        cli_out_str(o, counts[EMAUTH_LINT_WARNING] > 0 ? ", " : "");
    } else {
        cli_out_colour(o, CLI_RED);
        text_count(o, counts[EMAUTH_LINT_ERROR], "error");
        cli_out_colour(o, CLI_PLAIN);
        cli_out_str(o, ", ");
    }
    if (counts[EMAUTH_LINT_ERROR] > 0 || counts[EMAUTH_LINT_WARNING] > 0)
        text_count(o, counts[EMAUTH_LINT_WARNING], "warning");
    cli_out_char(o, '\n');
}

void lint_emit_text(cli_out *o, const emauth_lint_report *r)
{
    cli_out_str(o, "SPF lint of ");
    if (r->domain == NULL)
        cli_out_str(o, "the given record");
    else
        cli_out_ctext(o, r->domain);
    cli_out_str(o, "\n\n");
    if (r->tree != NULL) {
        tree_pen pen = {.o = o, .len = 0};
        tree_node(&pen, r->tree, 0, 1);
        cli_out_char(o, '\n');
    }
    for (size_t i = 0; i < r->nproblems; i++)
        lint_emit_problem_text(o, &r->problems[i]);
    if (r->nproblems > 0)
        cli_out_char(o, '\n');
    text_summary(o, r);
}
