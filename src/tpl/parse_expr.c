/*
 * tpl/parse_expr.c - the token helpers of the parser and the expression
 * grammar (see parse.c for the language). Precedence, lowest first:
 * conditional, or, and, not, comparisons, + -, ~, * / // %, **, unary,
 * postfix (.attr [item] (call)) with |filters and "is" tests.
 */
#include "tpl/parse.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- helpers ----------------------------------------------------------- */

int tpl_ps_fail(tpl_parser *ps, uint32_t pos, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return tpl_error_at(ps->err, KILN_EPARSE, ps->t->name, ps->t->src, pos,
                        "%s", msg);
}

int tpl_ps_nomem(tpl_parser *ps)
{
    return tpl_error_at(ps->err, KILN_ENOMEM, ps->t->name, ps->t->src, SIZE_MAX,
                        "out of memory");
}

/* Converts a lexer result to a parse error. */
int tpl_ps_lexrc(tpl_parser *ps, int rc)
{
    if (rc == KILN_ENOMEM)
        return tpl_ps_nomem(ps);
    return tpl_ps_fail(ps, (uint32_t)ps->lx.err_pos, "%s", ps->lx.err);
}

/* Moves to the next token. */
int tpl_ps_advance(tpl_parser *ps)
{
    if (ps->has_next) {
        ps->cur = ps->next;
        ps->has_next = false;
        return 0;
    }
    int rc = tpl_lex_next(&ps->lx, &ps->cur);
    return rc ? tpl_ps_lexrc(ps, rc) : 0;
}

/* Makes ps->next the token after cur. */
int tpl_ps_peek(tpl_parser *ps)
{
    if (ps->has_next)
        return 0;
    int rc = tpl_lex_next(&ps->lx, &ps->next);
    if (rc)
        return tpl_ps_lexrc(ps, rc);
    ps->has_next = true;
    return 0;
}

/* A short description of the current token for messages. */
static const char *p_describe(const tpl_parser *ps, char *buf, size_t cap)
{
    const tpl_tok *t = &ps->cur;
    static const char *const two[] = {"//", "**", "==", "!=", ">=", "<="};
    static const char codes[] = {TPL_TOK_FLOORDIV, TPL_TOK_POW, TPL_TOK_EQ,
                                 TPL_TOK_NE,       TPL_TOK_GE,  TPL_TOK_LE};
    switch (t->kind) {
    case TPL_T_EOF:
        return "end of template";
    case TPL_T_VAR_END:
        return "'}}'";
    case TPL_T_BLOCK_END:
        return "'%}'";
    case TPL_T_NAME:
        snprintf(buf, cap, "'%.*s'", (int)(t->s.n > 40 ? 40 : t->s.n), t->s.p);
        return buf;
    case TPL_T_STRING:
        return "a string";
    case TPL_T_INT:
    case TPL_T_FLOAT:
        return "a number";
    case TPL_T_OP:
        for (size_t i = 0; i < sizeof(codes); i++)
            if (t->op == codes[i]) {
                snprintf(buf, cap, "'%s'", two[i]);
                return buf;
            }
        snprintf(buf, cap, "'%c'", t->op);
        return buf;
    default:
        return "text";
    }
}

int tpl_ps_unexpected(tpl_parser *ps, const char *expected)
{
    char buf[64];
    return tpl_ps_fail(ps, ps->cur.pos, "expected %s, got %s", expected,
                       p_describe(ps, buf, sizeof(buf)));
}

int tpl_ps_expect_op(tpl_parser *ps, char op, const char *what)
{
    if (!tpl_ps_op(ps, op))
        return tpl_ps_unexpected(ps, what);
    return tpl_ps_advance(ps);
}

int tpl_ps_expect_end(tpl_parser *ps)
{
    if (ps->cur.kind != TPL_T_BLOCK_END)
        return tpl_ps_unexpected(ps, "'%}'");
    return 0; /* the caller's next tpl_ps_advance reads text */
}

int tpl_ps_enter(tpl_parser *ps)
{
    if (++ps->depth > TPL_MAX_NEST)
        return tpl_ps_fail(ps, ps->cur.pos, "nesting too deep");
    return 0;
}

static tpl_expr *p_expr_new(tpl_parser *ps, int kind, uint32_t pos)
{
    tpl_expr *e = kiln_arena_calloc(&ps->set->arena, sizeof(*e));
    if (e) {
        e->kind = (uint8_t)kind;
        e->pos = pos;
    }
    return e;
}

/* Interns the current NAME token. */
int tpl_ps_intern(tpl_parser *ps, kiln_str s, kiln_str *out)
{
    *out = tpl_intern(ps->set, s.p, s.n);
    return out->p ? 0 : tpl_ps_nomem(ps);
}

int tpl_ps_vec_push(tpl_parser *ps, tpl_ps_vec *v, void *item)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 4;
        void **items = kiln_arena_alloc(&ps->set->arena, cap * sizeof(void *));
        if (!items)
            return tpl_ps_nomem(ps);
        if (v->n)
            memcpy(items, v->items, v->n * sizeof(void *));
        v->items = items;
        v->cap = cap;
    }
    v->items[v->n++] = item;
    return 0;
}

/* Copies n names into an arena array. */
kiln_str *tpl_ps_names(tpl_parser *ps, const kiln_str *names, size_t n)
{
    kiln_str *a = kiln_arena_calloc(&ps->set->arena, (n ? n : 1) * sizeof(*a));
    if (a && n && names)
        memcpy(a, names, n * sizeof(*a));
    return a;
}

/* ---- expressions ------------------------------------------------------- */

static int parse_or(tpl_parser *ps, tpl_expr **out);
static int parse_unary(tpl_parser *ps, bool with_filter, tpl_expr **out);
static int parse_primary(tpl_parser *ps, tpl_expr **out);
static int parse_postfix(tpl_parser *ps, tpl_expr **node);

/* Tokens that end a tuple (so a trailing comma is allowed before them). */
static bool p_tuple_end(const tpl_parser *ps)
{
    return ps->cur.kind == TPL_T_VAR_END || ps->cur.kind == TPL_T_BLOCK_END ||
           ps->cur.kind == TPL_T_EOF || tpl_ps_op(ps, ')') ||
           tpl_ps_name(ps, "if") || tpl_ps_name(ps, "recursive");
}

/* expr [, expr ...] as a tuple when there is a comma. */
int tpl_parse_tuple(tpl_parser *ps, bool with_cond, tpl_expr **out)
{
    uint32_t pos = ps->cur.pos;
    tpl_expr *first;
    int rc = tpl_parse_expr(ps, with_cond, &first);
    if (rc || !tpl_ps_op(ps, ','))
        return rc ? rc : (*out = first, 0);
    tpl_ps_vec v = {0};
    if ((rc = tpl_ps_vec_push(ps, &v, first)))
        return rc;
    while (tpl_ps_op(ps, ',')) {
        if ((rc = tpl_ps_advance(ps)))
            return rc;
        if (p_tuple_end(ps))
            break;
        tpl_expr *e;
        if ((rc = tpl_parse_expr(ps, with_cond, &e)) ||
            (rc = tpl_ps_vec_push(ps, &v, e)))
            return rc;
    }
    tpl_expr *t = p_expr_new(ps, TPL_E_LIST, pos);
    if (!t || v.n > UINT16_MAX)
        return t ? tpl_ps_fail(ps, pos, "too many items") : tpl_ps_nomem(ps);
    t->op = 1;
    t->n = (uint16_t)v.n;
    t->u.list.items = (tpl_expr **)v.items;
    *out = t;
    return 0;
}

/*
 * Parses "(args)" with cur at '('; positional args first, then name=value.
 * Fills args (positional then keyword values), kw (names) and counts.
 */
static int parse_call_args(tpl_parser *ps, tpl_ps_vec *args, tpl_ps_vec *kw)
{
    int rc = tpl_ps_advance(ps);
    while (!rc && !tpl_ps_op(ps, ')')) {
        if (tpl_ps_op(ps, '*'))
            return tpl_ps_fail(ps, ps->cur.pos,
                               "*args and **kwargs are not "
                               "supported");
        if ((rc = tpl_ps_peek(ps)))
            return rc;
        if (ps->cur.kind == TPL_T_NAME && ps->next.kind == TPL_T_OP &&
            ps->next.op == '=') {
            kiln_str *name = kiln_arena_alloc(&ps->set->arena, sizeof(*name));
            if (!name)
                return tpl_ps_nomem(ps);
            if ((rc = tpl_ps_intern(ps, ps->cur.s, name)))
                return rc;
            for (size_t i = 0; i < kw->n; i++)
                if (((kiln_str *)kw->items[i])->p == name->p)
                    return tpl_ps_fail(ps, ps->cur.pos,
                                       "keyword argument '%.*s' repeated",
                                       (int)name->n, name->p);
            if ((rc = tpl_ps_advance(ps)) || (rc = tpl_ps_advance(ps)) ||
                (rc = tpl_ps_vec_push(ps, kw, name)))
                return rc;
        } else if (kw->n) {
            return tpl_ps_fail(ps, ps->cur.pos,
                               "positional argument after keyword argument");
        }
        tpl_expr *e;
        if ((rc = tpl_parse_expr(ps, true, &e)) ||
            (rc = tpl_ps_vec_push(ps, args, e)))
            return rc;
        if (tpl_ps_op(ps, ','))
            rc = tpl_ps_advance(ps);
        else if (!tpl_ps_op(ps, ')'))
            return tpl_ps_unexpected(ps, "',' or ')'");
    }
    if (rc)
        return rc;
    if (args->n > TPL_MAX_ARGS)
        return tpl_ps_fail(ps, ps->cur.pos, "more than %d arguments",
                           TPL_MAX_ARGS);
    return tpl_ps_advance(ps);
}

/*
 * Binds the arguments of a filter or test call to parameter positions.
 * args/kw as parse_call_args left them; params the parameter names.
 * Returns an array of nparams (NULL = absent).
 */
static int p_bind(tpl_parser *ps, uint32_t pos, const char *kind, kiln_str name,
                  const char *const *params, int nreq, int nparams,
                  const tpl_ps_vec *args, const tpl_ps_vec *kw, tpl_expr ***out)
{
    size_t npos = args->n - kw->n;
    tpl_expr **bound = kiln_arena_calloc(
        &ps->set->arena, (nparams ? nparams : 1) * sizeof(*bound));
    if (!bound)
        return tpl_ps_nomem(ps);
    if (npos > (size_t)nparams)
        return tpl_ps_fail(ps, pos, "%s '%.*s' takes at most %d argument%s",
                           kind, (int)name.n, name.p, nparams,
                           nparams == 1 ? "" : "s");
    for (size_t i = 0; i < npos; i++)
        bound[i] = args->items[i];
    for (size_t k = 0; k < kw->n; k++) {
        const kiln_str *kn = kw->items[k];
        int idx = -1;
        for (int j = 0; j < nparams; j++)
            if (strlen(params[j]) == kn->n &&
                memcmp(params[j], kn->p, kn->n) == 0)
                idx = j;
        if (idx < 0)
            return tpl_ps_fail(ps, pos, "%s '%.*s' has no argument '%.*s'",
                               kind, (int)name.n, name.p, (int)kn->n, kn->p);
        if (bound[idx])
            return tpl_ps_fail(ps, pos, "argument '%.*s' given twice",
                               (int)kn->n, kn->p);
        bound[idx] = args->items[npos + k];
    }
    for (int j = 0; j < nreq; j++)
        if (!bound[j])
            return tpl_ps_fail(ps, pos, "%s '%.*s' needs argument '%s'", kind,
                               (int)name.n, name.p, params[j]);
    *out = bound;
    return 0;
}

/* Parses "|name(args)" with cur at the name; node is the filtered value
 * (NULL in {% filter %}). */
int tpl_parse_filter(tpl_parser *ps, tpl_expr **node)
{
    if (ps->cur.kind != TPL_T_NAME)
        return tpl_ps_unexpected(ps, "a filter name");
    uint32_t pos = ps->cur.pos;
    kiln_str name = ps->cur.s;
    const tpl_filter_def *def = tpl_filter_find(name);
    if (!def)
        return tpl_ps_fail(ps, pos, "unknown filter '%.*s'", (int)name.n,
                           name.p);
    int rc = tpl_ps_advance(ps);
    tpl_ps_vec args = {0}, kw = {0};
    if (!rc && tpl_ps_op(ps, '('))
        rc = parse_call_args(ps, &args, &kw);
    tpl_expr *e = rc ? NULL : p_expr_new(ps, TPL_E_FILTER, pos);
    if (rc || !e)
        return rc ? rc : tpl_ps_nomem(ps);
    if ((rc = p_bind(ps, pos, "filter", name, def->params, def->nreq,
                     def->nparams, &args, &kw, &e->u.call.args)))
        return rc;
    e->n = def->nparams;
    e->u.call.obj = *node;
    e->u.call.def = def;
    *node = e;
    return 0;
}

/* Parses "is [not] name [arg | (args)]" with cur after "is". */
static int parse_test(tpl_parser *ps, tpl_expr **node)
{
    bool negate = false;
    int rc = 0;
    if (tpl_ps_name(ps, "not")) {
        negate = true;
        if ((rc = tpl_ps_advance(ps)))
            return rc;
    }
    if (ps->cur.kind != TPL_T_NAME)
        return tpl_ps_unexpected(ps, "a test name");
    uint32_t pos = ps->cur.pos;
    kiln_str name = ps->cur.s;
    const tpl_test_def *def = tpl_test_find(name);
    if (!def)
        return tpl_ps_fail(ps, pos, "unknown test '%.*s'", (int)name.n, name.p);
    if ((rc = tpl_ps_advance(ps)))
        return rc;
    tpl_ps_vec args = {0}, kw = {0};
    const tpl_tok *c = &ps->cur;
    if (tpl_ps_op(ps, '(')) {
        rc = parse_call_args(ps, &args, &kw);
    } else if ((c->kind == TPL_T_NAME || c->kind == TPL_T_STRING ||
                c->kind == TPL_T_INT || c->kind == TPL_T_FLOAT ||
                tpl_ps_op(ps, '[') || tpl_ps_op(ps, '{')) &&
               !tpl_ps_name(ps, "else") && !tpl_ps_name(ps, "or") &&
               !tpl_ps_name(ps, "and") && !tpl_ps_name(ps, "if") &&
               !tpl_ps_name(ps, "is") && !tpl_ps_name(ps, "in") &&
               !tpl_ps_name(ps, "not")) {
        tpl_expr *arg;
        if ((rc = parse_primary(ps, &arg)) || (rc = parse_postfix(ps, &arg)) ||
            (rc = tpl_ps_vec_push(ps, &args, arg)))
            return rc;
    }
    if (rc)
        return rc;
    static const char *const params[] = {"a", "b", "c"};
    tpl_expr *e = p_expr_new(ps, TPL_E_TEST, pos);
    if (!e)
        return tpl_ps_nomem(ps);
    if (kw.n)
        return tpl_ps_fail(ps, pos, "tests take no keyword arguments");
    if ((rc = p_bind(ps, pos, "test", name, params, def->nreq, def->nparams,
                     &args, &kw, &e->u.call.args)))
        return rc;
    e->n = def->nparams;
    e->op = negate;
    e->u.call.obj = *node;
    e->u.call.def = def;
    *node = e;
    return 0;
}

/* Filters, tests and calls after a unary expression. */
static int parse_filter_expr(tpl_parser *ps, tpl_expr **node)
{
    int rc = 0;
    while (!rc) {
        if (tpl_ps_op(ps, '|')) {
            if (!(rc = tpl_ps_advance(ps)))
                rc = tpl_parse_filter(ps, node);
        } else if (tpl_ps_name(ps, "is")) {
            if (!(rc = tpl_ps_advance(ps)))
                rc = parse_test(ps, node);
        } else if (tpl_ps_op(ps, '(')) {
            rc = parse_postfix(ps, node);
        } else {
            break;
        }
    }
    return rc;
}

/* Builds a CALL node on callee with the parsed arguments. */
static int p_make_call(tpl_parser *ps, uint32_t pos, tpl_expr *callee,
                       tpl_ps_vec *args, tpl_ps_vec *kw, tpl_expr **out)
{
    tpl_expr *e = p_expr_new(ps, TPL_E_CALL, pos);
    if (!e)
        return tpl_ps_nomem(ps);
    e->n = (uint16_t)args->n;
    e->u.call.obj = callee;
    e->u.call.args = (tpl_expr **)args->items;
    e->u.call.nkw = (uint16_t)kw->n;
    if (kw->n) {
        e->u.call.kw =
            kiln_arena_alloc(&ps->set->arena, kw->n * sizeof(kiln_str));
        if (!e->u.call.kw)
            return tpl_ps_nomem(ps);
        for (size_t i = 0; i < kw->n; i++)
            e->u.call.kw[i] = *(kiln_str *)kw->items[i];
    }
    /* url('literal', ...) and vite_assets('literal'): recorded for
       kiln_tpl_check_urls and kiln_tpl_check_assets */
    if (callee->kind == TPL_E_NAME &&
        (callee->u.name.func == TPL_FUNC_URL ||
         callee->u.name.func == TPL_FUNC_VITE_ASSETS) &&
        args->n > 0 && ((tpl_expr *)args->items[0])->kind == TPL_E_CONST &&
        ((tpl_expr *)args->items[0])->u.k.type == KILN_VALUE_STRING) {
        tpl_url_ref *ref = kiln_arena_alloc(&ps->set->arena, sizeof *ref);
        if (!ref)
            return tpl_ps_nomem(ps);
        ref->call = e;
        ref->next = NULL;
        if (!ps->urls_tail)
            ps->urls_tail = &ps->t->urls;
        *ps->urls_tail = ref;
        ps->urls_tail = &ref->next;
    }
    *out = e;
    return 0;
}

/* [a], [a:b], [a:b:c] with cur at '['. */
static int parse_subscript(tpl_parser *ps, tpl_expr **node)
{
    uint32_t pos = ps->cur.pos;
    tpl_expr *parts[3] = {NULL, NULL, NULL};
    int np = 0, rc = tpl_ps_advance(ps);
    bool slice = false;
    while (!rc) {
        if (tpl_ps_op(ps, ':')) {
            slice = true;
            if (++np > 2)
                return tpl_ps_unexpected(ps, "']'");
            rc = tpl_ps_advance(ps);
            continue;
        }
        if (tpl_ps_op(ps, ']'))
            break;
        if (parts[np])
            return tpl_ps_unexpected(ps, "']'");
        rc = tpl_parse_expr(ps, true, &parts[np]);
    }
    if (rc || (rc = tpl_ps_advance(ps)))
        return rc;
    if (!slice && !parts[0])
        return tpl_ps_fail(ps, pos, "empty subscript");
    tpl_expr *e;
    if (!slice && parts[0]->kind == TPL_E_CONST &&
        parts[0]->u.k.type == KILN_VALUE_STRING) {
        /* a["key"] is a.key: interned, hashed, the same lookup */
        e = p_expr_new(ps, TPL_E_ATTR, pos);
        if (!e || (rc = tpl_ps_intern(ps, parts[0]->u.k.u.s, &e->u.attr.name)))
            return e ? rc : tpl_ps_nomem(ps);
        e->u.attr.hash = tpl_hash(e->u.attr.name.p, e->u.attr.name.n);
        e->u.attr.obj = *node;
        *node = e;
        return 0;
    }
    e = p_expr_new(ps, slice ? TPL_E_SLICE : TPL_E_ITEM, pos);
    if (!e)
        return tpl_ps_nomem(ps);
    e->u.x.a = *node;
    e->u.x.b = parts[0];
    e->u.x.c = parts[1];
    e->u.x.d = parts[2];
    *node = e;
    return 0;
}

/* .name, .0, [..] and (call) after a primary. */
static int parse_postfix(tpl_parser *ps, tpl_expr **node)
{
    int rc = 0;
    for (;;) {
        if (tpl_ps_op(ps, '.')) {
            if ((rc = tpl_ps_advance(ps)))
                return rc;
            uint32_t pos = ps->cur.pos;
            tpl_expr *e;
            if (ps->cur.kind == TPL_T_NAME) {
                e = p_expr_new(ps, TPL_E_ATTR, pos);
                if (!e || (rc = tpl_ps_intern(ps, ps->cur.s, &e->u.attr.name)))
                    return e ? rc : tpl_ps_nomem(ps);
                e->u.attr.hash = tpl_hash(e->u.attr.name.p, e->u.attr.name.n);
                e->u.attr.obj = *node;
            } else if (ps->cur.kind == TPL_T_INT) {
                tpl_expr *k = p_expr_new(ps, TPL_E_CONST, pos);
                e = p_expr_new(ps, TPL_E_ITEM, pos);
                if (!k || !e)
                    return tpl_ps_nomem(ps);
                k->u.k = kiln_value_int(ps->cur.i);
                e->u.x.a = *node;
                e->u.x.b = k;
            } else {
                return tpl_ps_unexpected(ps, "an attribute name");
            }
            *node = e;
            if ((rc = tpl_ps_advance(ps)))
                return rc;
        } else if (tpl_ps_op(ps, '[')) {
            if ((rc = parse_subscript(ps, node)))
                return rc;
        } else if (tpl_ps_op(ps, '(')) {
            uint32_t pos = ps->cur.pos;
            tpl_ps_vec args = {0}, kw = {0};
            if ((rc = parse_call_args(ps, &args, &kw)) ||
                (rc = p_make_call(ps, pos, *node, &args, &kw, node)))
                return rc;
        } else {
            return 0;
        }
    }
}

/* Items up to the closing bracket close: [a, b] or {k: v}. */
static int parse_items(tpl_parser *ps, char close, tpl_ps_vec *keys,
                       tpl_ps_vec *vals)
{
    int rc = tpl_ps_advance(ps);
    while (!rc && !tpl_ps_op(ps, close)) {
        tpl_expr *e;
        if ((rc = tpl_parse_expr(ps, true, &e)) ||
            (rc = tpl_ps_vec_push(ps, keys, e)))
            return rc;
        if (vals) {
            if ((rc = tpl_ps_expect_op(ps, ':', "':'")) ||
                (rc = tpl_parse_expr(ps, true, &e)) ||
                (rc = tpl_ps_vec_push(ps, vals, e)))
                return rc;
        }
        if (tpl_ps_op(ps, ','))
            rc = tpl_ps_advance(ps);
        else if (!tpl_ps_op(ps, close))
            return tpl_ps_unexpected(ps, close == ']'   ? "',' or ']'"
                                         : close == '}' ? "',' or '}'"
                                                        : "',' or ')'");
    }
    if (rc)
        return rc;
    if (keys->n > UINT16_MAX)
        return tpl_ps_fail(ps, ps->cur.pos, "too many items");
    return tpl_ps_advance(ps);
}

static int parse_primary(tpl_parser *ps, tpl_expr **out)
{
    int rc = tpl_ps_enter(ps);
    if (rc)
        return rc;
    tpl_tok t = ps->cur;
    tpl_expr *e = NULL;
    switch (t.kind) {
    case TPL_T_NAME: {
        if ((rc = tpl_ps_advance(ps)))
            return rc;
        e = p_expr_new(ps, TPL_E_CONST, t.pos);
        if (!e)
            return tpl_ps_nomem(ps);
        if (tpl_tok_is(&t, "true") || tpl_tok_is(&t, "True")) {
            e->u.k = kiln_value_bool(true);
        } else if (tpl_tok_is(&t, "false") || tpl_tok_is(&t, "False")) {
            e->u.k = kiln_value_bool(false);
        } else if (tpl_tok_is(&t, "none") || tpl_tok_is(&t, "None")) {
            e->u.k = kiln_value_null();
        } else if (tpl_tok_is(&t, "super") && tpl_ps_op(ps, '(')) {
            if (!ps->in_block)
                return tpl_ps_fail(ps, t.pos, "super() outside of a block");
            if ((rc = tpl_ps_advance(ps)) ||
                (rc = tpl_ps_expect_op(ps, ')',
                                       "')' (super takes no arguments)")))
                return rc;
            e->kind = TPL_E_SUPER;
        } else {
            e->kind = TPL_E_NAME;
            if ((rc = tpl_ps_intern(ps, t.s, &e->u.name.name)))
                return rc;
            e->u.name.hash = tpl_hash(t.s.p, t.s.n);
            e->u.name.func = (uint8_t)tpl_func_find(t.s);
        }
        break;
    }
    case TPL_T_STRING: {
        kiln_str s = t.s;
        if ((rc = tpl_ps_advance(ps)))
            return rc;
        while (ps->cur.kind == TPL_T_STRING) { /* "a" "b" is "ab" */
            char *buf =
                kiln_arena_alloc(&ps->set->arena, s.n + ps->cur.s.n + 1);
            if (!buf)
                return tpl_ps_nomem(ps);
            memcpy(buf, s.p, s.n);
            memcpy(buf + s.n, ps->cur.s.p, ps->cur.s.n);
            s.n += ps->cur.s.n;
            buf[s.n] = '\0';
            s.p = buf;
            if ((rc = tpl_ps_advance(ps)))
                return rc;
        }
        e = p_expr_new(ps, TPL_E_CONST, t.pos);
        if (!e)
            return tpl_ps_nomem(ps);
        e->u.k = kiln_value_str(s);
        break;
    }
    case TPL_T_INT:
    case TPL_T_FLOAT:
        e = p_expr_new(ps, TPL_E_CONST, t.pos);
        if (!e)
            return tpl_ps_nomem(ps);
        e->u.k =
            t.kind == TPL_T_INT ? kiln_value_int(t.i) : kiln_value_float(t.f);
        if ((rc = tpl_ps_advance(ps)))
            return rc;
        break;
    case TPL_T_OP:
        if (t.op == '(') {
            if ((rc = tpl_ps_advance(ps)))
                return rc;
            if (tpl_ps_op(ps, ')')) { /* () is the empty tuple */
                e = p_expr_new(ps, TPL_E_LIST, t.pos);
                if (!e)
                    return tpl_ps_nomem(ps);
                e->op = 1;
            } else if ((rc = tpl_parse_tuple(ps, true, &e))) {
                return rc;
            }
            if ((rc = tpl_ps_expect_op(ps, ')', "')'")))
                return rc;
            break;
        }
        if (t.op == '[' || t.op == '{') {
            tpl_ps_vec keys = {0}, vals = {0};
            bool dict = t.op == '{';
            if ((rc = parse_items(ps, dict ? '}' : ']', &keys,
                                  dict ? &vals : NULL)))
                return rc;
            e = p_expr_new(ps, dict ? TPL_E_DICT : TPL_E_LIST, t.pos);
            if (!e)
                return tpl_ps_nomem(ps);
            e->n = (uint16_t)keys.n;
            e->u.list.items = (tpl_expr **)keys.items;
            e->u.list.values = (tpl_expr **)vals.items;
            break;
        }
        /* fall through */
    default:
        return tpl_ps_unexpected(ps, "an expression");
    }
    ps->depth--;
    *out = e;
    return 0;
}

static int parse_unary(tpl_parser *ps, bool with_filter, tpl_expr **out)
{
    int rc = tpl_ps_enter(ps);
    if (rc)
        return rc;
    tpl_expr *e;
    if (tpl_ps_op(ps, '-') || tpl_ps_op(ps, '+')) {
        uint32_t pos = ps->cur.pos;
        bool neg = tpl_ps_op(ps, '-');
        tpl_expr *a;
        if ((rc = tpl_ps_advance(ps)) || (rc = parse_unary(ps, false, &a)))
            return rc;
        if (neg && a->kind == TPL_E_CONST && a->u.k.type == KILN_VALUE_INT &&
            a->u.k.u.i != INT64_MIN) {
            a->u.k.u.i = -a->u.k.u.i; /* fold -1 */
            e = a;
        } else if (neg && a->kind == TPL_E_CONST &&
                   a->u.k.type == KILN_VALUE_FLOAT) {
            a->u.k.u.f = -a->u.k.u.f;
            e = a;
        } else {
            e = p_expr_new(ps, neg ? TPL_E_NEG : TPL_E_POS, pos);
            if (!e)
                return tpl_ps_nomem(ps);
            e->u.x.a = a;
        }
    } else if ((rc = parse_primary(ps, &e))) {
        return rc;
    }
    if ((rc = parse_postfix(ps, &e)))
        return rc;
    if (with_filter && (rc = parse_filter_expr(ps, &e)))
        return rc;
    ps->depth--;
    *out = e;
    return 0;
}

/* Builds a binary node. */
static int p_bin(tpl_parser *ps, int kind, int op, uint32_t pos, tpl_expr *a,
                 tpl_expr *b, tpl_expr **out)
{
    tpl_expr *e = p_expr_new(ps, kind, pos);
    if (!e)
        return tpl_ps_nomem(ps);
    e->op = (uint8_t)op;
    e->u.x.a = a;
    e->u.x.b = b;
    *out = e;
    return 0;
}

/* The binary operator at cur for a precedence level, or -1. */
static int p_binop(const tpl_parser *ps, int level)
{
    if (ps->cur.kind != TPL_T_OP)
        return -1;
    char c = ps->cur.op;
    switch (level) {
    case 0:
        return c == '+' ? TPL_OP_ADD : c == '-' ? TPL_OP_SUB : -1;
    case 1:
        return c == '*'                ? TPL_OP_MUL
               : c == '/'              ? TPL_OP_DIV
               : c == TPL_TOK_FLOORDIV ? TPL_OP_FLOORDIV
               : c == '%'              ? TPL_OP_MOD
                                       : -1;
    default:
        return c == TPL_TOK_POW ? TPL_OP_POW : -1;
    }
}

static int parse_pow(tpl_parser *ps, tpl_expr **out)
{
    int rc = parse_unary(ps, true, out);
    while (!rc && p_binop(ps, 2) >= 0) {
        uint32_t pos = ps->cur.pos;
        tpl_expr *b;
        if (!(rc = tpl_ps_advance(ps)) && !(rc = parse_unary(ps, true, &b)))
            rc = p_bin(ps, TPL_E_BIN, TPL_OP_POW, pos, *out, b, out);
    }
    return rc;
}

static int parse_math2(tpl_parser *ps, tpl_expr **out)
{
    int rc = parse_pow(ps, out), op;
    while (!rc && (op = p_binop(ps, 1)) >= 0) {
        uint32_t pos = ps->cur.pos;
        tpl_expr *b;
        if (!(rc = tpl_ps_advance(ps)) && !(rc = parse_pow(ps, &b)))
            rc = p_bin(ps, TPL_E_BIN, op, pos, *out, b, out);
    }
    return rc;
}

static int parse_concat(tpl_parser *ps, tpl_expr **out)
{
    uint32_t pos = ps->cur.pos;
    tpl_expr *first;
    int rc = parse_math2(ps, &first);
    if (rc || !tpl_ps_op(ps, '~'))
        return rc ? rc : (*out = first, 0);
    tpl_ps_vec v = {0};
    rc = tpl_ps_vec_push(ps, &v, first);
    while (!rc && tpl_ps_op(ps, '~')) {
        tpl_expr *e;
        if (!(rc = tpl_ps_advance(ps)) && !(rc = parse_math2(ps, &e)))
            rc = tpl_ps_vec_push(ps, &v, e);
    }
    tpl_expr *e = rc ? NULL : p_expr_new(ps, TPL_E_CONCAT, pos);
    if (rc || !e)
        return rc ? rc : tpl_ps_nomem(ps);
    if (v.n > UINT16_MAX)
        return tpl_ps_fail(ps, pos, "too many items");
    e->n = (uint16_t)v.n;
    e->u.list.items = (tpl_expr **)v.items;
    *out = e;
    return 0;
}

static int parse_math1(tpl_parser *ps, tpl_expr **out)
{
    int rc = parse_concat(ps, out), op;
    while (!rc && (op = p_binop(ps, 0)) >= 0) {
        uint32_t pos = ps->cur.pos;
        tpl_expr *b;
        if (!(rc = tpl_ps_advance(ps)) && !(rc = parse_concat(ps, &b)))
            rc = p_bin(ps, TPL_E_BIN, op, pos, *out, b, out);
    }
    return rc;
}

/* The comparison operator at cur (consumed), or -1. */
static int p_cmpop(tpl_parser *ps, int *op)
{
    *op = -1;
    if (ps->cur.kind == TPL_T_OP) {
        switch (ps->cur.op) {
        case TPL_TOK_EQ:
            *op = TPL_OP_EQ;
            break;
        case TPL_TOK_NE:
            *op = TPL_OP_NE;
            break;
        case '<':
            *op = TPL_OP_LT;
            break;
        case TPL_TOK_LE:
            *op = TPL_OP_LE;
            break;
        case '>':
            *op = TPL_OP_GT;
            break;
        case TPL_TOK_GE:
            *op = TPL_OP_GE;
            break;
        default:
            return 0;
        }
        return tpl_ps_advance(ps);
    }
    if (tpl_ps_name(ps, "in")) {
        *op = TPL_OP_IN;
        return tpl_ps_advance(ps);
    }
    if (tpl_ps_name(ps, "not")) {
        int rc = tpl_ps_peek(ps);
        if (rc || !tpl_tok_is(&ps->next, "in"))
            return rc;
        *op = TPL_OP_NOTIN;
        if ((rc = tpl_ps_advance(ps)))
            return rc;
        return tpl_ps_advance(ps);
    }
    return 0;
}

static int parse_compare(tpl_parser *ps, tpl_expr **out)
{
    tpl_expr *left = NULL, *result = NULL;
    int rc = parse_math1(ps, &left), op;
    for (;;) {
        uint32_t pos = ps->cur.pos;
        if (rc || (rc = p_cmpop(ps, &op)) || op < 0)
            break;
        tpl_expr *right = NULL, *cmp = NULL;
        if ((rc = parse_math1(ps, &right)) ||
            (rc = p_bin(ps, TPL_E_CMP, op, pos, left, right, &cmp)))
            break;
        /* a < b < c is (a < b) and (b < c) */
        if (result)
            rc = p_bin(ps, TPL_E_AND, 0, pos, result, cmp, &result);
        else
            result = cmp;
        left = right;
    }
    if (!rc)
        *out = result ? result : left;
    return rc;
}

static int parse_not(tpl_parser *ps, tpl_expr **out)
{
    if (!tpl_ps_name(ps, "not"))
        return parse_compare(ps, out);
    uint32_t pos = ps->cur.pos;
    int rc = tpl_ps_enter(ps);
    tpl_expr *a;
    if (rc || (rc = tpl_ps_advance(ps)) || (rc = parse_not(ps, &a)))
        return rc;
    ps->depth--;
    return p_bin(ps, TPL_E_NOT, 0, pos, a, NULL, out);
}

static int parse_and(tpl_parser *ps, tpl_expr **out)
{
    int rc = parse_not(ps, out);
    while (!rc && tpl_ps_name(ps, "and")) {
        uint32_t pos = ps->cur.pos;
        tpl_expr *b;
        if (!(rc = tpl_ps_advance(ps)) && !(rc = parse_not(ps, &b)))
            rc = p_bin(ps, TPL_E_AND, 0, pos, *out, b, out);
    }
    return rc;
}

static int parse_or(tpl_parser *ps, tpl_expr **out)
{
    int rc = parse_and(ps, out);
    while (!rc && tpl_ps_name(ps, "or")) {
        uint32_t pos = ps->cur.pos;
        tpl_expr *b;
        if (!(rc = tpl_ps_advance(ps)) && !(rc = parse_and(ps, &b)))
            rc = p_bin(ps, TPL_E_OR, 0, pos, *out, b, out);
    }
    return rc;
}

int tpl_parse_expr(tpl_parser *ps, bool with_cond, tpl_expr **out)
{
    int rc = tpl_ps_enter(ps);
    if (rc || (rc = parse_or(ps, out)))
        return rc;
    while (with_cond && tpl_ps_name(ps, "if")) {
        uint32_t pos = ps->cur.pos;
        tpl_expr *cond, *els = NULL;
        if ((rc = tpl_ps_advance(ps)) || (rc = parse_or(ps, &cond)))
            return rc;
        if (tpl_ps_name(ps, "else") && ((rc = tpl_ps_advance(ps)) ||
                                        (rc = tpl_parse_expr(ps, true, &els))))
            return rc;
        tpl_expr *e = p_expr_new(ps, TPL_E_COND, pos);
        if (!e)
            return tpl_ps_nomem(ps);
        e->u.x.a = cond;
        e->u.x.b = *out;
        e->u.x.c = els;
        *out = e;
    }
    ps->depth--;
    return 0;
}
