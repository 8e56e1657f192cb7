/*
 * The SPF analyzer's private state, shared by lint.c (API, problems,
 * report, authorized ranges), lint_walk.c (the sans-I/O walk) and
 * lint_checks.c (checks of one record's text).
 */
#ifndef EMAUTH_SPF_LINT_INTERNAL_H
#define EMAUTH_SPF_LINT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <emauth/spf.h>
#include <emauth/spf_lint.h>
#include "util/arena.h"
#include "util/buf.h"

#define EA_LINT_MAX_QUESTIONS 4096   /* DNS questions per analysis; then the walk stops */
#define EA_LINT_MAX_RECORD 4096      /* longest record analyzed (the evaluator's default) */
#define EA_LINT_SAME_CODE_MAX 10     /* problems of one code listed per record */
#define EA_LINT_NAMED_VOIDS 4        /* voids named in the void-lookups message */

/* Problem codes; names and default severities in lint.c. */
typedef enum ea_lint_code {
    EA_P_NO_RECORD,
    EA_P_MULTIPLE_RECORDS,
    EA_P_SYNTAX,
    EA_P_TOO_MANY_LOOKUPS,
    EA_P_VOID_LOOKUPS,
    EA_P_INCLUDE_LOOP,
    EA_P_INCLUDE_NO_RECORD,
    EA_P_INCLUDE_PERMERROR,
    EA_P_MX_TOO_MANY,
    EA_P_PTR_DEPRECATED,
    EA_P_PERMISSIVE_ALL,
    EA_P_NO_ALL,
    EA_P_ALL_NOT_LAST,
    EA_P_REDIRECT_IGNORED,
    EA_P_DUPLICATE_TERM,
    EA_P_REDUNDANT_IP,
    EA_P_IP_HOST_BITS,
    EA_P_STRING_TOO_LONG,
    EA_P_ANSWER_TOO_LARGE,
    EA_P_SPF_RR_TYPE,
    EA_P_UNKNOWN_MODIFIER,
    EA_P_EXP_PROBLEM,
    EA_P_BAD_VERSION,
    EA_P_DNS_ERROR,
    EA_P_DYNAMIC_TERM,
    EA_P_TREE_CUT,
    EA_P_NCODES
} ea_lint_code;

/* What the walk learnt about one term of a record. */
typedef struct ea_lint_term {
    size_t rstart, rcount;           /* its address ranges in node->all, any qualifier */
    struct ea_lint_node *child;      /* include / redirect: the node, when one was made */
    uint8_t walked;                  /* evaluated (before the first all) */
    uint8_t dynamic;                 /* target depends on the sender, or ptr */
    uint8_t unresolved;              /* a, mx, %{d} without a domain: not looked up */
    uint8_t matches_all;             /* exists: the name exists, so it matches every client */
} ea_lint_term;

typedef enum ea_lint_state {
    EA_N_FETCH,      /* TXT of the domain */
    EA_N_FETCH99,    /* root: type SPF (99) of the domain */
    EA_N_TERMS,      /* mechanisms up to the first all */
    EA_N_EXP,        /* exp= target of a record that ends the evaluation */
    EA_N_REDIRECT,   /* redirect= (when there is no all) */
    EA_N_DONE
} ea_lint_state;

typedef struct ea_lint_node {
    emauth_lint_node pub;            /* first: public pointers are to this */
    struct ea_lint_node *parent;
    const emauth_spf_term *via_term; /* the include/redirect in parent that led here */
    size_t index;                    /* preorder position (creation order) */
    int ends_eval;                   /* root, or reached from it by redirects only */
    emauth_spf_record rec;
    int parsed;
    ea_lint_term *info;              /* one per term of rec */
    size_t walk_end;                 /* terms evaluated: up to and including the first all */
    const emauth_spf_term *first_all;
    const emauth_spf_term *dyn_term;        /* the first sender-dependent term walked */
    const emauth_spf_term *unresolved_term; /* the first term not looked up for lack of a domain */

    /* walk state */
    ea_lint_state state;
    size_t ti;
    int phase;
    const char *target;              /* expanded target of the current term */
    size_t target_len;
    unsigned t_voids;                /* void answers to the current term's own lookups */
    int t_error;                     /* the current term met a DNS error ... */
    const char *t_error_msg;         /* ... described here */
    const char **names;              /* mx: the exchanges */
    size_t nnames, ni;
    int sub;                         /* mx: 0 = A next, 1 = AAAA next */

    /* growing arrays, in the arena */
    emauth_lint_void *voids;
    size_t voids_cap;
    emauth_cidr *ranges;             /* '+' terms' ranges: pub.ranges */
    size_t ranges_cap;
    emauth_cidr *all;                /* every term's ranges, any qualifier */
    size_t nall, all_cap;
    const emauth_lint_node **children;
    size_t children_cap;

    unsigned code_count[EA_P_NCODES];   /* problems of each code raised in this record */
} ea_lint_node;

typedef struct ea_lint_problem {
    emauth_lint_problem pub;
    size_t node;                     /* sort keys: severity, node, column, seq */
    unsigned column;                 /* pub.column; notes about a record sort last in it */
    size_t seq;
} ea_lint_problem;

/* What the pending question is for. */
typedef enum ea_lint_want {
    EA_W_NONE,
    EA_W_TXT,      /* the node's record */
    EA_W_SPF99,    /* the root's type-99 record */
    EA_W_ADDR,     /* A or AAAA of an a or exists target, or of an MX exchange */
    EA_W_MX,       /* the MX set of an mx target */
    EA_W_EXP       /* the explanation TXT of exp= */
} ea_lint_want;

typedef struct ea_lint_voidref {
    ea_lint_node *node;
    const emauth_spf_term *term;
    const char *name;
} ea_lint_voidref;

typedef enum ea_lint_phase { EA_L_IDLE, EA_L_RUNNING, EA_L_DONE, EA_L_FAILED } ea_lint_phase;

struct emauth_spf_lint {
    ea_arena arena;
    ea_buf scratch;
    emauth_spf_limits limits;
    ea_lint_phase phase;
    emauth_status failure;           /* EA_L_FAILED: why */
    int oom;                         /* sticky: an allocation failed */

    ea_lint_node *root, *cur;
    size_t nnodes;
    unsigned lookups, voids, questions;
    const emauth_spf_term *root_term;   /* the root's term being walked */
    const emauth_spf_term *over_term;   /* root term during which lookups passed the limit */
    ea_lint_voidref named_voids[EA_LINT_NAMED_VOIDS];
    ea_lint_voidref over_void;          /* the void that passed the limit */
    unsigned cuts;                      /* include/redirect targets not followed (node cap) */
    ea_lint_node *cut_node;
    const emauth_spf_term *cut_term;
    int qcut;                           /* the question cap stopped the walk */

    ea_lint_want want;
    emauth_dns_question q;

    ea_lint_problem *problems;
    size_t nproblems, problems_cap;
    emauth_lint_report rep;
};

/* ---- lint.c ---- */

/* A NUL-terminated arena copy; sets l->oom and returns NULL on failure. */
char *ea_lint_dup(emauth_spf_lint *l, const char *s, size_t len);

/*
 * Appends one element of size elem to the arena array *v (n used, *cap
 * allocated), doubling it as needed. Returns 0, or -1 with l->oom set.
 */
int ea_lint_push(emauth_spf_lint *l, void **v, size_t n, size_t *cap, size_t elem,
                 const void *item);

/*
 * Records a problem of code (with its default severity) located in node n
 * (NULL: the root): term t (NULL: the whole record or domain); with_record:
 * set problem->record to n's record even without a term. At most
 * EA_LINT_SAME_CODE_MAX of one code per node are listed.
 */
void ea_lint_problem_add(emauth_spf_lint *l, ea_lint_node *n, ea_lint_code code,
                         const emauth_spf_term *t, int with_record, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* The same with another severity than the code's default (void-lookups). */
void ea_lint_problem_sev(emauth_spf_lint *l, ea_lint_node *n, ea_lint_code code,
                         emauth_lint_severity sev, const emauth_spf_term *t, const char *fmt,
                         ...) __attribute__((format(printf, 6, 7)));

/* The same with an explicit record, term text and column. */
void ea_lint_problem_at(emauth_spf_lint *l, ea_lint_node *n, ea_lint_code code,
                        const char *record, const char *term, size_t term_len, unsigned column,
                        const char *fmt, ...) __attribute__((format(printf, 8, 9)));

/* The walk ended: summary problems, sorting, the report. */
void ea_lint_finish(emauth_spf_lint *l);

/* Quotes a term for a message, bounded. */
const char *ea_lint_qterm(char *buf, size_t size, const emauth_spf_term *t);

/* ---- lint_walk.c ---- */

/* A new node for domain (arena copy; may be NULL for the root). */
ea_lint_node *ea_lint_node_new(emauth_spf_lint *l, const char *domain, size_t len,
                               ea_lint_node *parent);

/* Advances the walk by one step; NEED_DNS when l->q is to be answered. */
emauth_status ea_lint_step(emauth_spf_lint *l);

/* Records the answer to l->q. */
emauth_status ea_lint_on_answer(emauth_spf_lint *l, const emauth_dns_answer *a);

/*
 * Takes record text (copied into the arena) as node n's record: parses it
 * and runs the checks of lint_checks.c; syntax errors become problems.
 */
void ea_lint_take_record(emauth_spf_lint *l, ea_lint_node *n, const char *text, size_t len);

/* ---- lint_checks.c ---- */

/* The checks of a parsed record's text (no DNS): duplicates, ranges, all, ... */
void ea_lint_check_record(emauth_spf_lint *l, ea_lint_node *n);

/*
 * 1 when a TXT record that is not an SPF record looks like a failed attempt
 * at one; *column (1-based) and *why say where and what.
 */
int ea_lint_bad_version(const char *s, size_t len, unsigned *column, const char **why);

/*
 * The size of a DNS response carrying these TXT records for name (an
 * estimate without EDNS0 or name compression beyond the owner pointer).
 */
size_t ea_lint_answer_size(const char *name, const emauth_dns_answer *a);

/* The same for one record of len bytes split into 255-byte strings. */
size_t ea_lint_record_answer_size(const char *name, size_t len);

/* 1 when a macro-string uses a macro that depends on the sender or client (not %{d}). */
int ea_lint_sender_dependent(const char *s, size_t len);

#endif
