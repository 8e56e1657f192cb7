/*
 * Output of the SPF analyzer (emauth/spf_lint.h) for `emauth spf lint`
 * and `emauth spf authorizes --include`: a report as one JSON object or
 * as text for people (the tree, then the problems with a caret under the
 * offending column, then a summary line), and walks over the tree.
 */
#ifndef EMAUTH_CLI_LINT_OUTPUT_H
#define EMAUTH_CLI_LINT_OUTPUT_H

#include <emauth/emauth.h>
#include "cli/cli.h"
#include "cli/output.h"

/*
 * The report as one JSON object and a newline:
 *   {"domain","record","valid","dns_lookups","void_lookups","tree","problems"}
 * tree nodes {"domain","record","via","lookups","total","subtree","voids",
 * "ranges","dynamic","loop","children"}, problems {"code","severity",
 * "message","domain","term","column"}; absent strings and column 0 are null.
 */
void lint_emit_json(cli_out *o, const emauth_lint_report *r);

/*
 * The report as text: a title line, the tree (ASCII, "|-- " and "`-- "),
 * the problems, and the summary line "N DNS lookups (limit 10), N void
 * lookups (limit 2): valid" (or ": N errors, N warnings"). Everything that
 * came from DNS is written terminal-safe; colours only when o->colour.
 */
void lint_emit_text(cli_out *o, const emauth_lint_report *r);

/* One problem as text: "SEVERITY code: message", then where, with a caret under the column. */
void lint_emit_problem_text(cli_out *o, const emauth_lint_problem *p);

/* Problems as a JSON array of {"code","severity","message","domain","term","column"}. */
void lint_emit_problems_json(cli_out *o, const emauth_lint_problem *p, size_t n);

/* Problems of each severity: counts[EMAUTH_LINT_ERROR] ... [EMAUTH_LINT_INFO]. */
void lint_count(const emauth_lint_problem *p, size_t n, unsigned counts[3]);

/* The first problem of severity error (they come first), or NULL. */
const emauth_lint_problem *lint_first_error(const emauth_lint_report *r);

/* 1 when two domain names are equal: any case, a trailing dot ignored. */
int lint_same_name(const char *a, const char *b);

/*
 * Where a name is reached from the root through '+' includes and
 * redirects only (any_qualifier: through any include), the first time in
 * evaluation order: the chain of nodes below the root (path[0] is a child
 * of the root, path[n-1] the node of name). Returns n, or 0 when name is
 * not reached that way.
 */
#define LINT_PATH_MAX EMAUTH_LINT_MAX_NODES
size_t lint_find_path(const emauth_lint_node *root, const char *name, int any_qualifier,
                      const emauth_lint_node *path[LINT_PATH_MAX]);

/* The running lookup count when the include/redirect term of n is evaluated. */
unsigned lint_reached_at(const emauth_lint_node *n);

#endif
