/*
 * tpl/parse.c - the template parser: tokens (lex.c) to the tree of tpl_stmt
 * and tpl_expr (tpl.h) that render.c and eval.c walk.
 *
 * The language, a subset of Jinja2 3.x with its precedence and semantics:
 *
 *   {{ expr }}  {# comment #}  {% raw %}...{% endraw %}
 *   {% if e %}...{% elif e %}...{% else %}...{% endif %}
 *   {% for x in e [if cond] %}...{% else %}...{% endfor %}   (also k, v)
 *       loop.index loop.index0 loop.revindex loop.revindex0 loop.first
 *       loop.last loop.length loop.depth loop.previtem loop.nextitem
 *       loop.cycle(a, b, ...)
 *   {% set x = e %}  {% set a, b = e %}  {% set ns.attr = e %}
 *   {% set x %}...{% endset %}
 *   {% block name [scoped] [required] %}...{% endblock [name] %}
 *   {% extends e %}  {{ super() }}
 *   {% include e [ignore missing] [with context|without context] %}
 *   {% import e as m [with context] %}  {% from e import a [as b], c %}
 *   {% macro name(a, b=default) %}...{% endmacro %}  and calls name(1, b=2)
 *   {% call [(params)] m(args) %}...{% endcall %}  (caller() in the macro)
 *   {% with a = e, ... %}...{% endwith %}
 *   {% filter name(args)|name %}...{% endfilter %}
 *   {% autoescape true|false %}...{% endautoescape %}
 *
 * Expressions, lowest precedence first:
 *   a if c else b;  or;  and;  not;  == != < > <= >= in, not in (chained);
 *   + -;  ~;  * / // %;  **;  unary - +;  then postfix .name .0 [e] [a:b:c]
 *   (call) |filter(args) and "is [not] test(args)"; literals: strings with
 *   Python escapes (adjacent ones concatenate), ints, floats, true/false/
 *   none (any case Jinja accepts), [lists], (tuples), {dicts}.
 * Global functions: range, dict, namespace, url (a route's path).
 *
 * Names are interned; filters and tests are looked up and their keyword
 * arguments bound to positions here, so an unknown filter, test or argument
 * is a compile error with a position. A template named by a string literal
 * in extends/include/import/from is loaded from the search path on the spot
 * (tpl_set_need).
 *
 * Recursion is bounded by TPL_MAX_NEST (tags inside tags plus expression
 * nesting), so a hostile template cannot exhaust the C stack.
 */
#include "tpl/parse.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

static tpl_stmt *p_stmt_new(tpl_parser *ps, int kind, uint32_t pos)
{
    tpl_stmt *s = kiln_arena_calloc(&ps->set->arena, sizeof(*s));
    if (s) {
        s->kind = (uint8_t)kind;
        s->pos = pos;
    }
    return s;
}

/* ---- statements -------------------------------------------------------- */

static int parse_body(tpl_parser *ps, const char *const *ends,
                      const char *opener, uint32_t open_pos, tpl_stmt **out,
                      int *which);

/* Every tag name that only closes or continues another one. */
static bool p_is_end_tag(kiln_str s)
{
    static const char *const ends[] = {
        "elif",     "else",      "endif",    "endfor",
        "endblock", "endset",    "endmacro", "endcall",
        "endwith",  "endfilter", "endraw",   "endautoescape"};
    for (size_t i = 0; i < sizeof(ends) / sizeof(ends[0]); i++)
        if (strlen(ends[i]) == s.n && memcmp(ends[i], s.p, s.n) == 0)
            return true;
    return false;
}

/* Reads a NAME token into *name (interned) and advances. */
static int p_expect_name(tpl_parser *ps, const char *what, kiln_str *name)
{
    if (ps->cur.kind != TPL_T_NAME)
        return tpl_ps_unexpected(ps, what);
    int rc = tpl_ps_intern(ps, ps->cur.s, name);
    return rc ? rc : tpl_ps_advance(ps);
}

/* Parses the end tag's optional repeated name: {% endblock name %}. */
static int p_end_name(tpl_parser *ps, kiln_str name, const char *tag)
{
    int rc = tpl_ps_advance(ps);
    if (!rc && ps->cur.kind == TPL_T_NAME) {
        if (ps->cur.s.n != name.n || memcmp(ps->cur.s.p, name.p, name.n) != 0)
            return tpl_ps_fail(
                ps, ps->cur.pos, "'%s' names '%.*s', expected '%.*s'", tag,
                (int)ps->cur.s.n, ps->cur.s.p, (int)name.n, name.p);
        rc = tpl_ps_advance(ps);
    }
    return rc ? rc : tpl_ps_expect_end(ps);
}

/* Parses a body up to the single end tag `end` and its "%}". */
static int p_body_to(tpl_parser *ps, const char *end, const char *opener,
                     uint32_t pos, tpl_stmt **body)
{
    const char *ends[] = {end, NULL};
    int which, rc = parse_body(ps, ends, opener, pos, body, &which);
    if (rc || (rc = tpl_ps_advance(ps)))
        return rc;
    return tpl_ps_expect_end(ps);
}

/* if/elif: cur after the keyword. */
static int parse_if(tpl_parser *ps, tpl_stmt *s)
{
    static const char *const ends[] = {"elif", "else", "endif", NULL};
    int which, rc = tpl_parse_expr(ps, true, &s->u.if_.cond);
    if (rc || (rc = tpl_ps_expect_end(ps)) ||
        (rc = parse_body(ps, ends, "if", s->pos, &s->u.if_.then, &which)))
        return rc;
    uint32_t pos = ps->cur.pos;
    if ((rc = tpl_ps_advance(ps)))
        return rc;
    if (which == 0) {
        tpl_stmt *e = p_stmt_new(ps, TPL_S_IF, pos);
        if (!e)
            return tpl_ps_nomem(ps);
        s->u.if_.els = e;
        if ((rc = tpl_ps_enter(ps)) || (rc = parse_if(ps, e)))
            return rc;
        ps->depth--;
        return 0;
    }
    if ((rc = tpl_ps_expect_end(ps)))
        return rc;
    if (which == 1)
        return p_body_to(ps, "endif", "if", s->pos, &s->u.if_.els);
    return 0;
}

/* Names separated by commas (for targets, set targets). */
static int p_target_names(tpl_parser *ps, kiln_str **names, uint16_t *n)
{
    kiln_str buf[8] = {{0}};
    size_t k = 0;
    int rc = 0;
    bool paren = tpl_ps_op(ps, '(');
    if (paren && (rc = tpl_ps_advance(ps)))
        return rc;
    for (;;) {
        if (k == 8)
            return tpl_ps_fail(ps, ps->cur.pos, "too many targets");
        if ((rc = p_expect_name(ps, "a variable name", &buf[k++])))
            return rc;
        if (!tpl_ps_op(ps, ','))
            break;
        if ((rc = tpl_ps_advance(ps)))
            return rc;
    }
    if (paren && (rc = tpl_ps_expect_op(ps, ')', "')'")))
        return rc;
    *names = tpl_ps_names(ps, buf, k);
    *n = (uint16_t)k;
    return *names ? 0 : tpl_ps_nomem(ps);
}

static int parse_for(tpl_parser *ps, tpl_stmt *s)
{
    static const char *const ends[] = {"else", "endfor", NULL};
    int which, rc = p_target_names(ps, &s->u.for_.targets, &s->n);
    if (rc)
        return rc;
    if (!tpl_ps_name(ps, "in"))
        return tpl_ps_unexpected(ps, "'in'");
    if ((rc = tpl_ps_advance(ps)) ||
        (rc = tpl_parse_tuple(ps, false, &s->u.for_.iter)))
        return rc;
    if (tpl_ps_name(ps, "if") &&
        ((rc = tpl_ps_advance(ps)) ||
         (rc = tpl_parse_expr(ps, true, &s->u.for_.filter))))
        return rc;
    if (tpl_ps_name(ps, "recursive"))
        return tpl_ps_fail(ps, ps->cur.pos,
                           "recursive loops are not supported");
    if ((rc = tpl_ps_expect_end(ps)))
        return rc;
    ps->in_scope++;
    rc = parse_body(ps, ends, "for", s->pos, &s->u.for_.body, &which);
    ps->in_scope--;
    if (rc || (rc = tpl_ps_advance(ps)) || (rc = tpl_ps_expect_end(ps)))
        return rc;
    if (which == 0)
        return p_body_to(ps, "endfor", "for", s->pos, &s->u.for_.els);
    return 0;
}

static int parse_set(tpl_parser *ps, tpl_stmt *s)
{
    int rc;
    if (ps->cur.kind == TPL_T_NAME) {
        if ((rc = tpl_ps_peek(ps)))
            return rc;
        if (ps->next.kind == TPL_T_OP && ps->next.op == '.') {
            kiln_str two[2];
            s->kind = TPL_S_SET_ATTR;
            if ((rc = p_expect_name(ps, "a name", &two[0])) ||
                (rc = tpl_ps_advance(ps)) ||
                (rc = p_expect_name(ps, "an attribute name", &two[1])))
                return rc;
            s->n = 2;
            if (!(s->u.set.names = tpl_ps_names(ps, two, 2)))
                return tpl_ps_nomem(ps);
            if ((rc = tpl_ps_expect_op(ps, '=', "'='")))
                return rc;
            if ((rc = tpl_parse_tuple(ps, true, &s->u.set.value)))
                return rc;
            return tpl_ps_expect_end(ps);
        }
    }
    if ((rc = p_target_names(ps, &s->u.set.names, &s->n)))
        return rc;
    if (ps->cur.kind == TPL_T_BLOCK_END && s->n == 1) {
        s->kind = TPL_S_SET_BLOCK;
        ps->in_scope++;
        rc = p_body_to(ps, "endset", "set", s->pos, &s->u.set.body);
        ps->in_scope--;
        return rc;
    }
    if ((rc = tpl_ps_expect_op(ps, '=', "'='")) ||
        (rc = tpl_parse_tuple(ps, true, &s->u.set.value)))
        return rc;
    return tpl_ps_expect_end(ps);
}

static int parse_block(tpl_parser *ps, tpl_stmt *s)
{
    uint32_t name_pos = ps->cur.pos;
    int rc = p_expect_name(ps, "a block name", &s->u.block.name);
    if (rc)
        return rc;
    for (size_t i = 0; i < ps->nblocks; i++)
        if (ps->blocks[i]->u.block.name.p == s->u.block.name.p)
            return tpl_ps_fail(ps, name_pos, "block '%.*s' defined twice",
                               (int)s->u.block.name.n, s->u.block.name.p);
    while (tpl_ps_name(ps, "scoped") || tpl_ps_name(ps, "required")) {
        if (tpl_ps_name(ps, "scoped"))
            s->u.block.scoped = true;
        if ((rc = tpl_ps_advance(ps)))
            return rc;
    }
    if ((rc = tpl_ps_expect_end(ps)))
        return rc;
    if (ps->nblocks == ps->blocks_cap) {
        size_t cap = ps->blocks_cap ? ps->blocks_cap * 2 : 8;
        tpl_stmt **b = kiln_arena_alloc(&ps->set->arena, cap * sizeof(*b));
        if (!b)
            return tpl_ps_nomem(ps);
        if (ps->nblocks)
            memcpy(b, ps->blocks, ps->nblocks * sizeof(*b));
        ps->blocks = b;
        ps->blocks_cap = cap;
    }
    ps->blocks[ps->nblocks++] = s;
    s->u.block.tpl = ps->t;
    const char *ends[] = {"endblock", NULL};
    int which;
    ps->in_block++;
    ps->in_scope++;
    rc = parse_body(ps, ends, "block", s->pos, &s->u.block.body, &which);
    ps->in_block--;
    ps->in_scope--;
    return rc ? rc : p_end_name(ps, s->u.block.name, "endblock");
}

/* The name expression of extends/include/import/from; a literal name is
 * loaded now. */
static int p_template_name(tpl_parser *ps, tpl_expr **out)
{
    int rc = tpl_parse_expr(ps, true, out);
    if (rc)
        return rc;
    const tpl_expr *e = *out;
    if (e->kind == TPL_E_CONST && e->u.k.type == KILN_VALUE_STRING)
        return tpl_set_need(ps->set, ps->t, e->pos, e->u.k.u.s, ps->err);
    return 0;
}

/* with context / without context; *with set accordingly. */
static int p_context(tpl_parser *ps, bool *with, bool *without)
{
    *with = *without = false;
    if (!tpl_ps_name(ps, "with") && !tpl_ps_name(ps, "without"))
        return 0;
    int rc = tpl_ps_peek(ps);
    if (rc || !tpl_tok_is(&ps->next, "context"))
        return rc;
    *with = tpl_ps_name(ps, "with");
    *without = !*with;
    if ((rc = tpl_ps_advance(ps)))
        return rc;
    return tpl_ps_advance(ps);
}

static int parse_include(tpl_parser *ps, tpl_stmt *s)
{
    bool with, without;
    int rc;
    uint32_t at = ps->cur.pos;
    /* parse the name without loading, to honour "ignore missing" */
    if ((rc = tpl_parse_expr(ps, true, &s->u.inc.name)))
        return rc;
    if (tpl_ps_name(ps, "ignore")) {
        if ((rc = tpl_ps_advance(ps)))
            return rc;
        if (!tpl_ps_name(ps, "missing"))
            return tpl_ps_unexpected(ps, "'missing'");
        s->flags |= TPL_INC_IGNORE_MISSING;
        if ((rc = tpl_ps_advance(ps)))
            return rc;
    }
    if ((rc = p_context(ps, &with, &without)))
        return rc;
    if (without)
        s->flags |= TPL_INC_WITHOUT_CONTEXT;
    const tpl_expr *e = s->u.inc.name;
    if (!(s->flags & TPL_INC_IGNORE_MISSING) && e->kind == TPL_E_CONST &&
        e->u.k.type == KILN_VALUE_STRING &&
        (rc = tpl_set_need(ps->set, ps->t, at, e->u.k.u.s, ps->err)))
        return rc;
    return tpl_ps_expect_end(ps);
}

static int parse_import(tpl_parser *ps, tpl_stmt *s)
{
    bool with, without;
    int rc = p_template_name(ps, &s->u.inc.name);
    if (rc)
        return rc;
    if (!tpl_ps_name(ps, "as"))
        return tpl_ps_unexpected(ps, "'as'");
    s->n = 1;
    if (!(s->u.inc.names = tpl_ps_names(ps, NULL, 1)))
        return tpl_ps_nomem(ps);
    if ((rc = tpl_ps_advance(ps)) ||
        (rc = p_expect_name(ps, "a name", &s->u.inc.names[0])) ||
        (rc = p_context(ps, &with, &without)))
        return rc;
    if (with)
        s->flags |= TPL_INC_WITH_CONTEXT;
    return tpl_ps_expect_end(ps);
}

static int parse_from(tpl_parser *ps, tpl_stmt *s)
{
    int rc = p_template_name(ps, &s->u.inc.name);
    if (rc)
        return rc;
    if (!tpl_ps_name(ps, "import"))
        return tpl_ps_unexpected(ps, "'import'");
    kiln_str names[32] = {{0}}, aliases[32] = {{0}};
    size_t k = 0;
    if ((rc = tpl_ps_advance(ps)))
        return rc;
    for (;;) {
        bool with, without;
        if ((rc = p_context(ps, &with, &without)))
            return rc;
        if (with || without) {
            if (with)
                s->flags |= TPL_INC_WITH_CONTEXT;
            break;
        }
        if (ps->cur.kind == TPL_T_BLOCK_END && k)
            break;
        if (k == 32)
            return tpl_ps_fail(ps, ps->cur.pos, "too many names to import");
        if ((rc = p_expect_name(ps, "a name to import", &names[k])))
            return rc;
        aliases[k] = names[k];
        if (tpl_ps_name(ps, "as") &&
            ((rc = tpl_ps_advance(ps)) ||
             (rc = p_expect_name(ps, "a name", &aliases[k]))))
            return rc;
        k++;
        if (!tpl_ps_op(ps, ','))
            continue;
        if ((rc = tpl_ps_advance(ps)))
            return rc;
    }
    s->n = (uint16_t)k;
    s->u.inc.names = tpl_ps_names(ps, names, k);
    s->u.inc.aliases = tpl_ps_names(ps, aliases, k);
    if (!s->u.inc.names || !s->u.inc.aliases)
        return tpl_ps_nomem(ps);
    return tpl_ps_expect_end(ps);
}

/* Parameters "(a, b=1)" of a macro or a call block, cur at '('. */
static int parse_params(tpl_parser *ps, tpl_macro *m)
{
    kiln_str names[TPL_MAX_ARGS] = {{0}};
    tpl_expr *defs[TPL_MAX_ARGS] = {0};
    size_t k = 0;
    int rc = tpl_ps_advance(ps);
    while (!rc && !tpl_ps_op(ps, ')')) {
        if (k == TPL_MAX_ARGS)
            return tpl_ps_fail(ps, ps->cur.pos, "more than %d parameters",
                               TPL_MAX_ARGS);
        uint32_t pos = ps->cur.pos;
        if ((rc = p_expect_name(ps, "a parameter name", &names[k])))
            return rc;
        for (size_t i = 0; i < k; i++)
            if (names[i].p == names[k].p)
                return tpl_ps_fail(ps, pos, "parameter '%.*s' repeated",
                                   (int)names[k].n, names[k].p);
        defs[k] = NULL;
        if (tpl_ps_op(ps, '=')) {
            if ((rc = tpl_ps_advance(ps)) ||
                (rc = tpl_parse_expr(ps, true, &defs[k])))
                return rc;
        } else if (k && defs[k - 1]) {
            return tpl_ps_fail(ps, pos,
                               "parameter without a default after one "
                               "with a default");
        }
        k++;
        if (tpl_ps_op(ps, ','))
            rc = tpl_ps_advance(ps);
        else if (!tpl_ps_op(ps, ')'))
            return tpl_ps_unexpected(ps, "',' or ')'");
    }
    if (rc || (rc = tpl_ps_advance(ps)))
        return rc;
    m->nparams = (uint16_t)k;
    m->params = tpl_ps_names(ps, names, k);
    m->defaults =
        kiln_arena_alloc(&ps->set->arena, (k ? k : 1) * sizeof(*defs));
    if (!m->params || !m->defaults)
        return tpl_ps_nomem(ps);
    if (k)
        memcpy(m->defaults, defs, k * sizeof(*defs));
    return 0;
}

static int parse_macro(tpl_parser *ps, tpl_stmt *s)
{
    tpl_macro *m = kiln_arena_calloc(&ps->set->arena, sizeof(*m));
    if (!m)
        return tpl_ps_nomem(ps);
    s->u.macro = m;
    m->tpl = ps->t;
    int rc = p_expect_name(ps, "a macro name", &m->name);
    if (rc)
        return rc;
    if (!tpl_ps_op(ps, '('))
        return tpl_ps_unexpected(ps, "'('");
    if ((rc = parse_params(ps, m)) || (rc = tpl_ps_expect_end(ps)))
        return rc;
    const char *ends[] = {"endmacro", NULL};
    int which;
    ps->in_scope++;
    rc = parse_body(ps, ends, "macro", s->pos, &m->body, &which);
    ps->in_scope--;
    return rc ? rc : p_end_name(ps, m->name, "endmacro");
}

static int parse_call_block(tpl_parser *ps, tpl_stmt *s)
{
    tpl_macro *m = kiln_arena_calloc(&ps->set->arena, sizeof(*m));
    if (!m)
        return tpl_ps_nomem(ps);
    m->tpl = ps->t;
    int rc = tpl_ps_intern(ps, KILN_STR("caller"), &m->name);
    if (rc)
        return rc;
    if (tpl_ps_op(ps, '(') && (rc = parse_params(ps, m)))
        return rc;
    if (!m->params && (!(m->params = tpl_ps_names(ps, NULL, 0)) ||
                       !(m->defaults = kiln_arena_calloc(&ps->set->arena,
                                                         sizeof(tpl_expr *)))))
        return tpl_ps_nomem(ps);
    uint32_t pos = ps->cur.pos;
    if ((rc = tpl_parse_expr(ps, true, &s->u.callblk.call)))
        return rc;
    if (s->u.callblk.call->kind != TPL_E_CALL)
        return tpl_ps_fail(ps, pos, "{%% call %%} needs a macro call");
    if ((rc = tpl_ps_expect_end(ps)))
        return rc;
    s->u.callblk.caller = m;
    ps->in_scope++;
    rc = p_body_to(ps, "endcall", "call", s->pos, &m->body);
    ps->in_scope--;
    return rc;
}

static int parse_with(tpl_parser *ps, tpl_stmt *s)
{
    kiln_str names[TPL_MAX_ARGS] = {{0}};
    tpl_expr *vals[TPL_MAX_ARGS] = {0};
    size_t k = 0;
    int rc = 0;
    while (ps->cur.kind != TPL_T_BLOCK_END) {
        if (k == TPL_MAX_ARGS)
            return tpl_ps_fail(ps, ps->cur.pos, "too many names");
        if ((rc = p_expect_name(ps, "a name", &names[k])) ||
            (rc = tpl_ps_expect_op(ps, '=', "'='")) ||
            (rc = tpl_parse_expr(ps, true, &vals[k])))
            return rc;
        k++;
        if (tpl_ps_op(ps, ',') && (rc = tpl_ps_advance(ps)))
            return rc;
    }
    s->n = (uint16_t)k;
    s->u.with.names = tpl_ps_names(ps, names, k);
    s->u.with.values =
        kiln_arena_alloc(&ps->set->arena, (k ? k : 1) * sizeof(*vals));
    if (!s->u.with.names || !s->u.with.values)
        return tpl_ps_nomem(ps);
    if (k)
        memcpy(s->u.with.values, vals, k * sizeof(*vals));
    ps->in_scope++;
    rc = p_body_to(ps, "endwith", "with", s->pos, &s->u.with.body);
    ps->in_scope--;
    return rc;
}

static int parse_filter_block(tpl_parser *ps, tpl_stmt *s)
{
    tpl_expr *chain = NULL;
    int rc = tpl_parse_filter(ps, &chain);
    while (!rc && tpl_ps_op(ps, '|'))
        if (!(rc = tpl_ps_advance(ps)))
            rc = tpl_parse_filter(ps, &chain);
    if (rc || (rc = tpl_ps_expect_end(ps)))
        return rc;
    s->u.filter.chain = chain;
    return p_body_to(ps, "endfilter", "filter", s->pos, &s->u.filter.body);
}

static int parse_autoescape(tpl_parser *ps, tpl_stmt *s)
{
    tpl_expr *e;
    uint32_t pos = ps->cur.pos;
    int rc = tpl_parse_expr(ps, true, &e);
    if (rc)
        return rc;
    if (e->kind != TPL_E_CONST || e->u.k.type != KILN_VALUE_BOOL)
        return tpl_ps_fail(ps, pos, "autoescape takes true or false");
    s->u.autoesc.on = e->u.k.u.b;
    if ((rc = tpl_ps_expect_end(ps)))
        return rc;
    return p_body_to(ps, "endautoescape", "autoescape", s->pos,
                     &s->u.autoesc.body);
}

/* Parses one tag, cur at its name; ends at its "%}" (not consumed). */
static int parse_tag(tpl_parser *ps, tpl_stmt **out)
{
    tpl_tok name = ps->cur;
    int rc = tpl_ps_advance(ps);
    if (rc)
        return rc;
    static const struct {
        const char *name;
        int kind;
        int (*fn)(tpl_parser *, tpl_stmt *);
    } tags[] = {
        {"if", TPL_S_IF, parse_if},
        {"for", TPL_S_FOR, parse_for},
        {"set", TPL_S_SET, parse_set},
        {"block", TPL_S_BLOCK, parse_block},
        {"include", TPL_S_INCLUDE, parse_include},
        {"import", TPL_S_IMPORT, parse_import},
        {"from", TPL_S_FROM, parse_from},
        {"macro", TPL_S_MACRO, parse_macro},
        {"call", TPL_S_CALL, parse_call_block},
        {"with", TPL_S_WITH, parse_with},
        {"filter", TPL_S_FILTER, parse_filter_block},
        {"autoescape", TPL_S_AUTOESC, parse_autoescape},
    };
    if (tpl_tok_is(&name, "extends")) {
        if (ps->in_scope)
            return tpl_ps_fail(ps, name.pos,
                               "'extends' inside a block, macro or "
                               "loop");
        tpl_stmt *s = p_stmt_new(ps, TPL_S_EXTENDS, name.pos);
        if (!s)
            return tpl_ps_nomem(ps);
        if ((rc = p_template_name(ps, &s->u.expr)))
            return rc;
        ps->t->has_extends = true;
        *out = s;
        return tpl_ps_expect_end(ps);
    }
    if (tpl_tok_is(&name, "raw")) {
        if ((rc = tpl_ps_expect_end(ps)))
            return rc;
        tpl_tok t;
        if ((rc = tpl_lex_raw(&ps->lx, &t)))
            return tpl_ps_lexrc(ps, rc);
        tpl_stmt *s = p_stmt_new(ps, TPL_S_TEXT, t.pos);
        if (!s)
            return tpl_ps_nomem(ps);
        s->u.text = t.s;
        *out = s;
        /* the lexer is between tags again: fake the "%}" the caller wants */
        ps->cur.kind = TPL_T_BLOCK_END;
        return 0;
    }
    for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
        if (!tpl_tok_is(&name, tags[i].name))
            continue;
        tpl_stmt *s = p_stmt_new(ps, tags[i].kind, name.pos);
        if (!s)
            return tpl_ps_nomem(ps);
        if ((rc = tpl_ps_enter(ps)) || (rc = tags[i].fn(ps, s)))
            return rc;
        ps->depth--;
        *out = s;
        return 0;
    }
    if (p_is_end_tag(name.s))
        return tpl_ps_fail(ps, name.pos, "unexpected '%.*s'", (int)name.s.n,
                           name.s.p);
    return tpl_ps_fail(ps, name.pos, "unknown tag '%.*s'",
                       (int)(name.s.n > 40 ? 40 : name.s.n), name.s.p);
}

/*
 * Parses statements until end of template (ends NULL) or until a tag named
 * in ends (NULL-terminated): then *which is its index and cur is its name.
 * opener/open_pos describe the tag being closed, for the error message.
 */
static int parse_body(tpl_parser *ps, const char *const *ends,
                      const char *opener, uint32_t open_pos, tpl_stmt **out,
                      int *which)
{
    tpl_stmt *head = NULL, **tail = &head;
    int rc;
    for (;;) {
        if ((rc = tpl_ps_advance(ps)))
            return rc;
        tpl_stmt *s = NULL;
        switch (ps->cur.kind) {
        case TPL_T_EOF:
            if (ends) {
                const char *want = ends[0];
                for (int i = 0; ends[i]; i++)
                    if (strncmp(ends[i], "end", 3) == 0)
                        want = ends[i];
                return tpl_ps_fail(ps, open_pos,
                                   "'%s' is never closed (expected '%s' "
                                   "before the end of the template)",
                                   opener, want);
            }
            *out = head;
            return 0;
        case TPL_T_TEXT:
            s = p_stmt_new(ps, TPL_S_TEXT, ps->cur.pos);
            if (!s)
                return tpl_ps_nomem(ps);
            s->u.text = ps->cur.s;
            break;
        case TPL_T_VAR_BEGIN:
            s = p_stmt_new(ps, TPL_S_OUT, ps->cur.pos);
            if (!s)
                return tpl_ps_nomem(ps);
            if ((rc = tpl_ps_advance(ps)) ||
                (rc = tpl_parse_tuple(ps, true, &s->u.expr)))
                return rc;
            if (ps->cur.kind != TPL_T_VAR_END)
                return tpl_ps_unexpected(ps, "'}}'");
            break;
        case TPL_T_BLOCK_BEGIN:
            if ((rc = tpl_ps_advance(ps)))
                return rc;
            if (ps->cur.kind != TPL_T_NAME)
                return tpl_ps_unexpected(ps, "a tag name");
            for (int i = 0; ends && ends[i]; i++) {
                if (tpl_ps_name(ps, ends[i])) {
                    *which = i;
                    *out = head;
                    return 0;
                }
            }
            if ((rc = parse_tag(ps, &s)))
                return rc;
            if (ps->cur.kind != TPL_T_BLOCK_END)
                return tpl_ps_unexpected(ps, "'%}'");
            break;
        default:
            return tpl_ps_unexpected(ps, "text or a tag");
        }
        *tail = s;
        tail = &s->next;
    }
}

int tpl_parse(tpl_set *set, tpl_template *t, kiln_tpl_error *err)
{
    tpl_parser ps;
    memset(&ps, 0, sizeof(ps));
    ps.set = set;
    ps.t = t;
    ps.err = err;
    tpl_lex_init(&ps.lx, t->src.p, t->src.n, &set->arena, set->opt.trim_blocks,
                 set->opt.lstrip_blocks);
    int rc = parse_body(&ps, NULL, NULL, 0, &t->body, NULL);
    if (rc)
        return rc;
    t->blocks = ps.blocks;
    t->nblocks = ps.nblocks;
    return 0;
}
