/*
 * tpl/parse.h - the parser's shared state, between parse_expr.c
 * (expressions and the token helpers) and parse.c (tags). Internal.
 */
#ifndef KILN_TPL_PARSE_H
#define KILN_TPL_PARSE_H

#include "tpl/lex.h"
#include "tpl/tpl.h"

#include <string.h>

/* The state of one tpl_parse call. cur is the current token; next is the
 * one after it when has_next (one token of lookahead). */
typedef struct tpl_parser {
    tpl_set *set;
    tpl_template *t;
    tpl_lexer lx;
    tpl_tok cur, next;
    bool has_next;
    kiln_tpl_error *err;
    int depth;    /* current nesting (tags and expressions) */
    int in_block; /* inside {% block %} (super() allowed) */
    int in_scope; /* inside block/macro/for/call (extends refused) */
    tpl_stmt **blocks;
    size_t nblocks, blocks_cap;
    tpl_url_ref **urls_tail; /* where the next url() call is linked */
} tpl_parser;

/* A growable array of pointers in the set arena. */
typedef struct tpl_ps_vec {
    void **items;
    size_t n, cap;
} tpl_ps_vec;

/* Records a parse error at pos of the template; returns KILN_EPARSE. */
int tpl_ps_fail(tpl_parser *ps, uint32_t pos, const char *fmt, ...)
    KILN_PRINTF(3, 4);
/* Records "out of memory"; returns KILN_ENOMEM. */
int tpl_ps_nomem(tpl_parser *ps);
/* Turns a lexer failure rc into a parse error. */
int tpl_ps_lexrc(tpl_parser *ps, int rc);
/* Moves to the next token. */
int tpl_ps_advance(tpl_parser *ps);
/* Reads the token after cur into ps->next. */
int tpl_ps_peek(tpl_parser *ps);
/* "expected WHAT, got <cur>". */
int tpl_ps_unexpected(tpl_parser *ps, const char *expected);
/* Consumes operator op or fails with "expected WHAT". */
int tpl_ps_expect_op(tpl_parser *ps, char op, const char *what);
/* Checks that cur is "%}" (not consumed). */
int tpl_ps_expect_end(tpl_parser *ps);
/* Counts one level of nesting (callers decrement ps->depth on success). */
int tpl_ps_enter(tpl_parser *ps);
/* Interns s into *out. */
int tpl_ps_intern(tpl_parser *ps, kiln_str s, kiln_str *out);
/* Appends item to v (arena-backed). */
int tpl_ps_vec_push(tpl_parser *ps, tpl_ps_vec *v, void *item);
/* Copies n names into the arena (at least one slot); NULL when exhausted. */
kiln_str *tpl_ps_names(tpl_parser *ps, const kiln_str *names, size_t n);

/* An expression; with_cond allows "a if c else b". */
int tpl_parse_expr(tpl_parser *ps, bool with_cond, tpl_expr **out);
/* expr[, expr...]: a tuple when there is a comma. */
int tpl_parse_tuple(tpl_parser *ps, bool with_cond, tpl_expr **out);
/* "name(args)" after a '|'; *node is the filtered value (NULL: none). */
int tpl_parse_filter(tpl_parser *ps, tpl_expr **node);

static inline bool tpl_tok_is(const tpl_tok *t, const char *name)
{
    size_t n = strlen(name);
    return t->kind == TPL_T_NAME && t->s.n == n && memcmp(t->s.p, name, n) == 0;
}

static inline bool tpl_ps_name(const tpl_parser *ps, const char *name)
{
    return tpl_tok_is(&ps->cur, name);
}

static inline bool tpl_ps_op(const tpl_parser *ps, char op)
{
    return ps->cur.kind == TPL_T_OP && ps->cur.op == op;
}

#endif
