/*
 * tpl/render.c - statements to output: scopes, loops, inheritance, blocks,
 * macros, include and import; and the public render functions.
 *
 * Inheritance as Jinja2 does it: a template runs from the top; at
 * {% extends %} it records its parent and from then on its top-level
 * output is dropped (its {% set %}, {% import %} and {% macro %} still
 * run). When it ends, the parent runs in the same top-level scope, and so
 * on: the chain (tpl_chain) lists the templates from the most derived. A
 * {% block %} statement renders the most derived definition of that name
 * along the chain; super() renders the next one up.
 *
 * Scopes (tpl.h): a for body, a macro call, a block and a with each get a
 * scope on the C stack; {% set %} writes to the innermost scope, so a set
 * inside a loop lives for one iteration (as in Jinja2) and a set at the top
 * level lives in the template's root scope, which blocks and the parent
 * templates see. Blocks see the root scope, not the loop around them
 * (unless "scoped"). Macros see their arguments and the root scope of the
 * template they are defined in. An included template sees everything
 * visible where it is included; an imported one sees nothing of the render
 * context unless imported "with context".
 *
 * Budgets: tpl_check_stack compares frame addresses against max_stack, so
 * a template nesting macros, includes or expressions deeply fails cleanly
 * on a small coroutine stack; tpl_step counts loop iterations and calls
 * against max_steps.
 */
#include "tpl/tpl.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Statement helpers with large frames stay out of exec_one, whose frame
 * every nesting level pays for (see tpl_check_stack). */
#define TPL_NOINLINE __attribute__((noinline))

/* ---- errors and budgets ------------------------------------------------ */

int tpl_fail(tpl_render *r, int code, uint32_t pos, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    const tpl_template *t = r->tpl;
    return tpl_error_at(r->err, code, t ? t->name : KILN_STR_NULL,
                        t ? t->src : KILN_STR_NULL,
                        pos == UINT32_MAX ? SIZE_MAX : pos, "%s", msg);
}

int tpl_nomem(tpl_render *r)
{
    return tpl_fail(r, KILN_ENOMEM, UINT32_MAX, "out of memory");
}

int tpl_stack_fail(tpl_render *r, uint32_t pos)
{
    return tpl_fail(r, KILN_ELIMIT, pos,
                    "templates nest too deeply (over %zu bytes of stack)",
                    r->max_stack);
}

int tpl_step(tpl_render *r, uint32_t pos)
{
    uint64_t max = r->set->opt.max_steps;
    if (max && ++r->steps > max)
        return tpl_fail(r, KILN_ELIMIT, pos,
                        "more than max_steps (%llu) loop iterations and calls",
                        (unsigned long long)max);
    return 0;
}

/* ---- scopes ------------------------------------------------------------ */

static void scope_init(tpl_scope *s, tpl_scope *up)
{
    s->up = up;
    s->vars = s->inl;
    s->n = 0;
    s->cap = sizeof(s->inl) / sizeof(s->inl[0]);
    s->no_ctx = false;
    s->is_root = false;
}

/* A root scope in the arena (see tpl.h for why roots live there). */
static tpl_scope *scope_new_root(tpl_render *r, tpl_scope *up)
{
    assert(!up || up->is_root);
    tpl_scope *s = kiln_arena_alloc(r->a, sizeof(*s));
    if (s) {
        scope_init(s, up);
        s->is_root = true;
    }
    return s;
}

/* Sets name (interned) in s, replacing an existing variable. */
static int scope_set(tpl_render *r, tpl_scope *s, kiln_str name, kiln_value v)
{
    for (uint32_t i = 0; i < s->n; i++) {
        if (s->vars[i].name.p == name.p) {
            s->vars[i].v = v;
            return 0;
        }
    }
    if (s->n == s->cap) {
        uint32_t cap = s->cap * 2;
        tpl_var *vars = kiln_arena_alloc(r->a, cap * sizeof(*vars));
        if (!vars || cap < s->cap)
            return tpl_nomem(r);
        memcpy(vars, s->vars, s->n * sizeof(*vars));
        s->vars = vars;
        s->cap = cap;
    }
    s->vars[s->n].name = name;
    s->vars[s->n].v = v;
    s->n++;
    return 0;
}

/*
 * Copies the variables visible in the non-root scopes into a new root
 * scope whose parent is the nearest root scope: a snapshot that may outlive
 * the stack scopes it was taken from. An include does not see `loop` (as
 * in Jinja2), a call block's body does (with_loop).
 */
static int scope_flatten(tpl_render *r, uint32_t pos, bool with_loop,
                         tpl_scope **out)
{
    tpl_scope *chain[256];
    size_t k = 0;
    tpl_scope *s = r->scope;
    while (s && !s->is_root) {
        if (k == sizeof(chain) / sizeof(chain[0]))
            return tpl_fail(r, KILN_ELIMIT, pos, "scopes nest too deeply");
        chain[k++] = s;
        s = s->up;
    }
    tpl_scope *root = scope_new_root(r, s);
    if (!root)
        return tpl_nomem(r);
    for (size_t i = k; i-- > 0;)
        for (uint32_t j = 0; j < chain[i]->n; j++) {
            const tpl_var *v = &chain[i]->vars[j];
            if (!with_loop && v->name.p == r->set->name_loop.p)
                continue;
            int rc = scope_set(r, root, v->name, v->v);
            if (rc)
                return rc;
        }
    *out = root;
    return 0;
}

/* Binds names[0..n) to v: one name takes v, several unpack a sequence. */
static int bind_names(tpl_render *r, tpl_scope *s, uint32_t pos,
                      const kiln_str *names, size_t n, kiln_value v)
{
    if (n == 1)
        return scope_set(r, s, names[0], v);
    tpl_seq seq;
    int rc;
    if (v.type != KILN_VALUE_LIST && v.type != KILN_VALUE_STRING &&
        v.type != TPL_V_RANGE)
        return tpl_fail(r, KILN_EINVAL, pos,
                        "cannot unpack '%s' into %zu "
                        "names",
                        tpl_type_name(v), n);
    if ((rc = tpl_seq_init(r, pos, v, &seq)))
        return rc;
    if (seq.n != n)
        return tpl_fail(r, KILN_EINVAL, pos,
                        "expected %zu values to unpack, got %zu", n, seq.n);
    for (size_t i = 0; i < n; i++) {
        kiln_value it;
        if ((rc = tpl_seq_at(r, &seq, i, &it)) ||
            (rc = scope_set(r, s, names[i], it)))
            return rc;
    }
    return 0;
}

/* ---- templates and blocks ---------------------------------------------- */

static int exec(tpl_render *r, const tpl_stmt *s);

/* The block called name (interned) in t, or NULL. */
static const tpl_stmt *find_block(const tpl_template *t, kiln_str name)
{
    for (size_t i = 0; i < t->nblocks; i++)
        if (t->blocks[i]->u.block.name.p == name.p)
            return t->blocks[i];
    return NULL;
}

/* Renders definition b of a block, found at chain level `level`. */
static int render_block_def(tpl_render *r, const tpl_stmt *b, int level)
{
    int rc = tpl_check_stack(r, b->pos);
    if (rc)
        return rc;
    tpl_block_frame f = {b->u.block.name, level};
    tpl_scope bs;
    scope_init(&bs, b->u.block.scoped ? r->scope : r->root);
    const tpl_block_frame *blk = r->blk;
    const tpl_template *tpl = r->tpl;
    tpl_scope *scope = r->scope;
    bool discard = r->discard;
    r->blk = &f;
    r->tpl = b->u.block.tpl;
    r->scope = &bs;
    r->discard = false;
    rc = exec(r, b->u.block.body);
    r->blk = blk;
    r->tpl = tpl;
    r->scope = scope;
    r->discard = discard;
    return rc;
}

int tpl_render_super(tpl_render *r, uint32_t pos)
{
    const tpl_block_frame *f = r->blk;
    if (!f)
        return tpl_fail(r, KILN_EINVAL, pos, "super() outside of a block");
    for (int level = f->level + 1; level < r->chain->n; level++) {
        const tpl_stmt *b = find_block(r->chain->tpls[level], f->name);
        if (b)
            return render_block_def(r, b, level);
    }
    return tpl_fail(r, KILN_EINVAL, pos, "no parent block '%.*s' for super()",
                    (int)f->name.n, f->name.p);
}

/* {% block %} met while running: the most derived definition renders. */
TPL_NOINLINE static int exec_block(tpl_render *r, const tpl_stmt *s)
{
    if (r->discard || r->chain->parent)
        return 0;
    for (int level = 0; level < r->chain->n; level++) {
        const tpl_stmt *b = find_block(r->chain->tpls[level], s->u.block.name);
        if (b)
            return render_block_def(r, b, level);
    }
    return render_block_def(r, s, r->chain->n); /* not from this chain */
}

/*
 * Runs t in a new template context with top-level scope root: t, then the
 * parent it extends, and so on.
 */
static int run_template(tpl_render *r, const tpl_template *t, tpl_scope *root)
{
    int rc = tpl_check_stack(r, UINT32_MAX);
    if (rc)
        return rc;
    tpl_chain chain;
    chain.n = 0;
    chain.parent = NULL;
    tpl_chain *saved_chain = r->chain;
    tpl_scope *saved_root = r->root, *saved_scope = r->scope;
    const tpl_template *saved_tpl = r->tpl;
    const tpl_block_frame *saved_blk = r->blk;
    bool saved_discard = r->discard;
    r->chain = &chain;
    r->root = r->scope = root;
    r->blk = NULL;
    for (;;) {
        if (chain.n == TPL_MAX_CHAIN) {
            rc = tpl_fail(r, KILN_ELIMIT, UINT32_MAX,
                          "more than %d templates extend each other (a "
                          "cycle?)",
                          TPL_MAX_CHAIN);
            break;
        }
        chain.tpls[chain.n++] = t;
        r->tpl = t;
        r->discard = false;
        if ((rc = exec(r, t->body)) || !chain.parent)
            break;
        t = chain.parent;
        chain.parent = NULL;
    }
    r->chain = saved_chain;
    r->root = saved_root;
    r->scope = saved_scope;
    r->tpl = saved_tpl;
    r->blk = saved_blk;
    r->discard = saved_discard;
    return rc;
}

/* Evaluates a template name expression and finds the template. *t is
 * NULL (nothing recorded) when missing and may_miss. */
static int find_template(tpl_render *r, const tpl_expr *e, bool may_miss,
                         const tpl_template **t)
{
    kiln_value v;
    int rc = tpl_eval(r, e, &v);
    if (rc)
        return rc;
    *t = NULL;
    if (v.type == KILN_VALUE_LIST) { /* the first that exists */
        for (size_t i = 0; i < v.u.list->n && !*t; i++) {
            kiln_value it = v.u.list->items[i];
            if (it.type == KILN_VALUE_STRING)
                *t = tpl_set_find(r->set, it.u.s.p, it.u.s.n);
        }
        if (*t || may_miss)
            return 0;
        return tpl_fail(r, KILN_ENOTFOUND, e->pos,
                        "none of the templates given exist");
    }
    if (v.type != KILN_VALUE_STRING)
        return tpl_fail(r, KILN_EINVAL, e->pos,
                        "template name must be a string, not '%s'",
                        tpl_type_name(v));
    *t = tpl_set_find(r->set, v.u.s.p, v.u.s.n);
    if (*t || may_miss)
        return 0;
    return tpl_fail(r, KILN_ENOTFOUND, e->pos, "template '%.*s' not found",
                    (int)(v.u.s.n > 100 ? 100 : v.u.s.n), v.u.s.p);
}

TPL_NOINLINE static int exec_extends(tpl_render *r, const tpl_stmt *s)
{
    if (r->chain->parent)
        return tpl_fail(r, KILN_EINVAL, s->pos, "extends used twice");
    const tpl_template *t;
    int rc = find_template(r, s->u.expr, false, &t);
    if (rc)
        return rc;
    r->chain->parent = t;
    r->discard = true;
    return 0;
}

TPL_NOINLINE static int exec_include(tpl_render *r, const tpl_stmt *s)
{
    if (r->discard)
        return 0;
    const tpl_template *t;
    tpl_scope *root;
    int rc =
        find_template(r, s->u.inc.name, s->flags & TPL_INC_IGNORE_MISSING, &t);
    if (rc || !t)
        return rc;
    if (s->flags & TPL_INC_WITHOUT_CONTEXT) {
        if (!(root = scope_new_root(r, NULL)))
            return tpl_nomem(r);
        root->no_ctx = true;
    } else if ((rc = scope_flatten(r, s->pos, false, &root))) {
        return rc;
    }
    if ((rc = tpl_step(r, s->pos)))
        return rc;
    return run_template(r, t, root);
}

/* Runs the template an import names; its top-level scope is the module. */
static int run_module(tpl_render *r, const tpl_stmt *s, tpl_scope **out)
{
    const tpl_template *t;
    int rc = find_template(r, s->u.inc.name, false, &t);
    if (rc)
        return rc;
    bool with = s->flags & TPL_INC_WITH_CONTEXT;
    tpl_scope *root = scope_new_root(r, with ? r->root : NULL);
    if (!root)
        return tpl_nomem(r);
    root->no_ctx = !with;
    size_t mark = r->out->n;
    if ((rc = tpl_step(r, s->pos)) || (rc = run_template(r, t, root)))
        return rc;
    tpl_out_truncate(r, mark); /* a module's own output is dropped */
    *out = root;
    return 0;
}

TPL_NOINLINE static int exec_import(tpl_render *r, const tpl_stmt *s)
{
    tpl_scope *mod = NULL;
    int rc = run_module(r, s, &mod);
    if (rc)
        return rc;
    if (s->kind == TPL_S_IMPORT) {
        kiln_value m = kiln_value_map(r->a);
        if (m.type != KILN_VALUE_MAP)
            return tpl_nomem(r);
        for (uint32_t i = 0; i < mod->n; i++)
            if (kiln_value_set_str(m, mod->vars[i].name, mod->vars[i].v))
                return tpl_nomem(r);
        return scope_set(r, r->scope, s->u.inc.names[0], m);
    }
    for (size_t i = 0; i < s->n; i++) {
        const tpl_var *found = NULL;
        for (uint32_t j = 0; j < mod->n && !found; j++)
            if (mod->vars[j].name.p == s->u.inc.names[i].p)
                found = &mod->vars[j];
        if (!found)
            return tpl_fail(r, KILN_EINVAL, s->pos,
                            "the imported template does not define '%.*s'",
                            (int)s->u.inc.names[i].n, s->u.inc.names[i].p);
        if ((rc = scope_set(r, r->scope, s->u.inc.aliases[i], found->v)))
            return rc;
    }
    return 0;
}

/* ---- macros ------------------------------------------------------------ */

int tpl_call_macro(tpl_render *r, const tpl_expr *e, kiln_value mv,
                   const kiln_value *args, size_t n, const kiln_str *kw,
                   size_t nkw, const kiln_value *caller)
{
    const tpl_macro *m = mv.u.pair.a;
    int rc;
    if ((rc = tpl_check_stack(r, e->pos)) || (rc = tpl_step(r, e->pos)))
        return rc;
    size_t npos = n - nkw;
    int slot[TPL_MAX_ARGS]; /* argument index of each parameter, or -1 */
    if (npos > m->nparams)
        return tpl_fail(r, KILN_EINVAL, e->pos,
                        "macro '%.*s' takes at most %u argument%s (%zu given)",
                        (int)m->name.n, m->name.p, (unsigned)m->nparams,
                        m->nparams == 1 ? "" : "s", npos);
    for (size_t i = 0; i < m->nparams; i++)
        slot[i] = i < npos ? (int)i : -1;
    for (size_t k = 0; k < nkw; k++) {
        size_t i = 0;
        while (i < m->nparams && m->params[i].p != kw[k].p)
            i++;
        if (i == m->nparams)
            return tpl_fail(r, KILN_EINVAL, e->pos,
                            "macro '%.*s' has no argument '%.*s'",
                            (int)m->name.n, m->name.p, (int)kw[k].n, kw[k].p);
        if (slot[i] >= 0)
            return tpl_fail(r, KILN_EINVAL, e->pos,
                            "macro '%.*s' got argument '%.*s' twice",
                            (int)m->name.n, m->name.p, (int)kw[k].n, kw[k].p);
        slot[i] = (int)(npos + k);
    }
    tpl_scope ms;
    scope_init(&ms, (tpl_scope *)mv.u.pair.b);
    tpl_scope *scope = r->scope;
    const tpl_template *tpl = r->tpl;
    const tpl_block_frame *blk = r->blk;
    bool discard = r->discard;
    r->scope = &ms;
    r->tpl = m->tpl;
    r->blk = NULL;
    r->discard = false;
    for (size_t i = 0; i < m->nparams && !rc; i++) {
        kiln_value v = tpl_undef();
        if (slot[i] >= 0)
            v = args[slot[i]];
        else if (m->defaults[i])
            rc = tpl_eval(r, m->defaults[i], &v);
        if (!rc)
            rc = scope_set(r, &ms, m->params[i], v);
    }
    if (!rc && caller)
        rc = scope_set(r, &ms, r->set->name_caller, *caller);
    if (!rc)
        rc = exec(r, m->body);
    r->scope = scope;
    r->tpl = tpl;
    r->blk = blk;
    r->discard = discard;
    return rc;
}

TPL_NOINLINE static int exec_call_block(tpl_render *r, const tpl_stmt *s)
{
    if (r->discard)
        return 0;
    tpl_scope *snap;
    int rc = scope_flatten(r, s->pos, true, &snap);
    if (rc)
        return rc;
    kiln_value caller = tpl_undef();
    caller.type = TPL_V_MACRO;
    caller.u.pair.a = s->u.callblk.caller;
    caller.u.pair.b = snap;
    return tpl_call_block(r, s->u.callblk.call, &caller);
}

/* ---- statements -------------------------------------------------------- */

TPL_NOINLINE static int exec_for(tpl_render *r, const tpl_stmt *s)
{
    kiln_value it;
    int rc = tpl_eval(r, s->u.for_.iter, &it);
    if (rc)
        return rc;
    struct {
        tpl_loop lp;
        tpl_seq seq;
    } *st = kiln_arena_calloc(r->a, sizeof(*st));
    if (!st)
        return tpl_nomem(r);
    tpl_seq *seq = &st->seq;
    if ((rc = tpl_seq_init(r, s->u.for_.iter->pos, it, seq)))
        return rc;
    tpl_scope sc;
    scope_init(&sc, r->scope);
    tpl_scope *saved = r->scope;
    if (s->u.for_.filter && seq->n) {
        /* {% for x in xs if cond %}: loop.* counts the kept items */
        kiln_value *kept = kiln_arena_alloc(r->a, seq->n * sizeof(*kept));
        size_t nk = 0;
        if (!kept)
            return tpl_nomem(r);
        r->scope = &sc;
        for (size_t i = 0; i < seq->n && !rc; i++) {
            kiln_value item, keep;
            sc.n = 0;
            if ((rc = tpl_seq_at(r, seq, i, &item)) ||
                (rc = bind_names(r, &sc, s->pos, s->u.for_.targets, s->n,
                                 item)) ||
                (rc = tpl_eval(r, s->u.for_.filter, &keep)))
                break;
            if (tpl_truthy(r, keep))
                kept[nk++] = item;
        }
        r->scope = saved;
        if (rc)
            return rc;
        seq->items = kept;
        seq->n = nk;
    }
    if (seq->n == 0)
        return s->u.for_.els ? exec(r, s->u.for_.els) : 0;
    tpl_loop *lp = &st->lp;
    lp->length = seq->n;
    lp->seq = seq;
    lp->depth = 1;
    kiln_value loop = tpl_undef();
    loop.type = TPL_V_LOOP;
    loop.u.pair.a = lp;
    r->scope = &sc;
    for (size_t i = 0; i < seq->n && !rc; i++) {
        kiln_value item;
        sc.n = 0; /* a {% set %} in the body lasts one iteration */
        lp->index0 = i;
        if ((rc = tpl_step(r, s->pos)))
            break;
        if (seq->items)
            item = seq->items[i];
        else if ((rc = tpl_seq_at(r, seq, i, &item)))
            break;
        if (s->n == 1) { /* for x in xs: bind x and loop directly */
            assert(sc.cap >= 2);
            sc.vars[0].name = s->u.for_.targets[0];
            sc.vars[0].v = item;
            sc.vars[1].name = r->set->name_loop;
            sc.vars[1].v = loop;
            sc.n = 2;
        } else if ((rc = bind_names(r, &sc, s->pos, s->u.for_.targets, s->n,
                                    item)) ||
                   (rc = scope_set(r, &sc, r->set->name_loop, loop))) {
            break;
        }
        rc = exec(r, s->u.for_.body);
    }
    r->scope = saved;
    return rc;
}

/* Runs body with the output captured into *out (safe when autoescaping). */
TPL_NOINLINE static int capture(tpl_render *r, const tpl_stmt *body,
                                kiln_value *out)
{
    size_t mark = r->out->n;
    bool discard = r->discard;
    r->discard = false;
    int rc = exec(r, body);
    r->discard = discard;
    kiln_str s;
    int rc2 = tpl_capture_end(r, mark, &s);
    if (rc || rc2)
        return rc ? rc : rc2;
    *out = tpl_strv(s.p, s.n, r->autoescape);
    return 0;
}

TPL_NOINLINE static int exec_set(tpl_render *r, const tpl_stmt *s)
{
    kiln_value v;
    int rc;
    if (s->kind == TPL_S_SET_BLOCK) {
        if ((rc = capture(r, s->u.set.body, &v)))
            return rc;
        return scope_set(r, r->scope, s->u.set.names[0], v);
    }
    if ((rc = tpl_eval(r, s->u.set.value, &v)))
        return rc;
    if (s->kind == TPL_S_SET)
        return bind_names(r, r->scope, s->pos, s->u.set.names, s->n, v);
    /* {% set ns.attr = v %}: only a namespace() may change */
    kiln_value ns;
    kiln_str obj = s->u.set.names[0], attr = s->u.set.names[1];
    if (!tpl_lookup(r, obj, tpl_hash(obj.p, obj.n), &ns) ||
        ns.type != KILN_VALUE_MAP || !(ns.flags & TPL_F_NS))
        return tpl_fail(r, KILN_EINVAL, s->pos,
                        "cannot set '%.*s.%.*s': '%.*s' is not a namespace()",
                        (int)obj.n, obj.p, (int)attr.n, attr.p, (int)obj.n,
                        obj.p);
    return kiln_value_set_str(ns, attr, v) ? tpl_nomem(r) : 0;
}

TPL_NOINLINE static int exec_with(tpl_render *r, const tpl_stmt *s)
{
    tpl_scope ws;
    scope_init(&ws, r->scope);
    int rc = 0;
    for (size_t i = 0; i < s->n && !rc; i++) {
        kiln_value v;
        /* values see the outer scope, not each other */
        if (!(rc = tpl_eval(r, s->u.with.values[i], &v)))
            rc = scope_set(r, &ws, s->u.with.names[i], v);
    }
    if (rc)
        return rc;
    tpl_scope *saved = r->scope;
    r->scope = &ws;
    rc = exec(r, s->u.with.body);
    r->scope = saved;
    return rc;
}

static int exec_one(tpl_render *r, const tpl_stmt *s)
{
    kiln_value v;
    int rc;
    switch ((tpl_stmt_kind)s->kind) {
    case TPL_S_TEXT:
        return r->discard ? 0 : tpl_put(r, s->u.text.p, s->u.text.n);
    case TPL_S_OUT:
        return r->discard ? 0 : tpl_eval_emit(r, s->u.expr);
    case TPL_S_IF:
        if ((rc = tpl_eval(r, s->u.if_.cond, &v)))
            return rc;
        return exec(r, tpl_truthy(r, v) ? s->u.if_.then : s->u.if_.els);
    case TPL_S_FOR:
        return exec_for(r, s);
    case TPL_S_SET:
    case TPL_S_SET_ATTR:
    case TPL_S_SET_BLOCK:
        return exec_set(r, s);
    case TPL_S_BLOCK:
        return exec_block(r, s);
    case TPL_S_EXTENDS:
        return exec_extends(r, s);
    case TPL_S_INCLUDE:
        return exec_include(r, s);
    case TPL_S_IMPORT:
    case TPL_S_FROM:
        return exec_import(r, s);
    case TPL_S_MACRO:
        v = tpl_undef();
        v.type = TPL_V_MACRO;
        v.u.pair.a = s->u.macro;
        v.u.pair.b = r->root;
        return scope_set(r, r->scope, s->u.macro->name, v);
    case TPL_S_CALL:
        return exec_call_block(r, s);
    case TPL_S_WITH:
        return exec_with(r, s);
    case TPL_S_FILTER: {
        kiln_value body, res;
        if (r->discard)
            return 0;
        if ((rc = capture(r, s->u.filter.body, &body)) ||
            (rc = tpl_apply_filters(r, s->u.filter.chain, body, &res)))
            return rc;
        return tpl_emit(r, res);
    }
    case TPL_S_AUTOESC: {
        bool saved = r->autoescape;
        r->autoescape = s->u.autoesc.on;
        rc = exec(r, s->u.autoesc.body);
        r->autoescape = saved;
        return rc;
    }
    }
    assert(!"unknown statement");
    return KILN_EINVAL;
}

/*
 * {{ expr }}. The shape of most of them, {{ name.attr }} on a map, is
 * looked up and printed here without going through the evaluator.
 */
static inline int emit_out(tpl_render *r, const tpl_expr *e)
{
    if (e->kind == TPL_E_ATTR && e->u.attr.obj->kind == TPL_E_NAME) {
        const tpl_expr *o = e->u.attr.obj;
        kiln_value obj;
        if (tpl_lookup(r, o->u.name.name, o->u.name.hash, &obj) &&
            obj.type == KILN_VALUE_MAP) {
            const kiln_value *v = tpl_map_find(
                obj.u.map, e->u.attr.name.p, e->u.attr.name.n, e->u.attr.hash);
            if (v)
                return tpl_emit(r, *v);
        }
    }
    return tpl_eval_emit(r, e);
}

static int exec(tpl_render *r, const tpl_stmt *s)
{
    int rc = s ? tpl_check_stack(r, s->pos) : 0;
    for (; s && !rc; s = s->next) {
        /* text and {{ }} are most statements: no call, no switch */
        if (s->kind == TPL_S_TEXT)
            rc = r->discard ? 0 : tpl_put(r, s->u.text.p, s->u.text.n);
        else if (s->kind == TPL_S_OUT)
            rc = r->discard ? 0 : emit_out(r, s->u.expr);
        else
            rc = exec_one(r, s);
    }
    return rc;
}

/* ---- the public API ---------------------------------------------------- */

/* Prepares r; returns 0 or KILN_EINVAL (recorded). */
static int render_begin(tpl_render *r, const kiln_tpl_set *set, kiln_value ctx,
                        kiln_arena *a, kiln_buf *out, kiln_tpl_error *err,
                        uintptr_t base)
{
    memset(r, 0, sizeof(*r));
    r->set = set;
    r->a = a;
    r->out = out;
    r->out_start = out->n;
    r->ctx = ctx;
    r->err = err;
    r->stack_base = base;
    r->max_stack = set->opt.max_stack ? set->opt.max_stack : TPL_DEFAULT_STACK;
    r->autoescape = !set->opt.no_autoescape;
    r->strict = set->opt.undefined == KILN_TPL_STRICT;
    /* tpl_put's fast path needs out->p allocated and room known */
    size_t first = 1024, max = set->opt.max_output;
    if (kiln_buf_reserve(out, first) != 0)
        return tpl_nomem(r);
    r->room = max && max < first ? max : first;
    if (ctx.type != KILN_VALUE_NULL && ctx.type != KILN_VALUE_MAP &&
        ctx.type != KILN_VALUE_OBJECT)
        return tpl_fail(r, KILN_EINVAL, UINT32_MAX,
                        "the context must be a map, an object or null");
    return 0;
}

/* Looks up name for a public function; records "not found". */
static const tpl_template *render_find(tpl_render *r, const char *name)
{
    const tpl_template *t = tpl_set_find(r->set, name, strlen(name));
    if (!t)
        tpl_error_at(r->err, KILN_ENOTFOUND, kiln_str_c(name), KILN_STR_NULL,
                     SIZE_MAX, "template not found");
    return t;
}

int kiln_tpl_render(const kiln_tpl_set *set, const char *name, kiln_value ctx,
                    kiln_arena *a, kiln_buf *out, kiln_tpl_error *err)
{
    if (!set || !name || !out)
        return tpl_error_at(err, KILN_EINVAL, KILN_STR_NULL, KILN_STR_NULL,
                            SIZE_MAX, "invalid argument");
    kiln_arena own;
    if (!a) {
        kiln_arena_init(&own, 0);
        a = &own;
    }
    tpl_render r;
    int rc = render_begin(&r, set, ctx, a, out, err,
                          (uintptr_t)__builtin_frame_address(0));
    const tpl_template *t = rc ? NULL : render_find(&r, name);
    if (!rc && !t)
        rc = KILN_ENOTFOUND;
    if (!rc) {
        tpl_scope *root = scope_new_root(&r, NULL);
        rc = root ? run_template(&r, t, root) : tpl_nomem(&r);
    }
    if (a == &own)
        kiln_arena_deinit(&own);
    return rc;
}

/* The first top-level {% extends %} of t, or NULL. */
static const tpl_stmt *top_extends(const tpl_template *t)
{
    for (const tpl_stmt *s = t->body; s; s = s->next)
        if (s->kind == TPL_S_EXTENDS)
            return s;
    return NULL;
}

/* Renders block of t in r (see kiln_tpl_render_block). */
static int render_block(tpl_render *r, const tpl_template *t, const char *block)
{
    tpl_chain chain;
    chain.n = 0;
    chain.parent = NULL;
    tpl_scope *root = scope_new_root(r, NULL);
    if (!root)
        return tpl_nomem(r);
    r->chain = &chain;
    r->root = r->scope = root;
    int rc = 0;
    for (const tpl_template *cur = t; cur && !rc;) {
        if (chain.n == TPL_MAX_CHAIN)
            return tpl_fail(r, KILN_ELIMIT, UINT32_MAX,
                            "more than %d templates extend each other",
                            TPL_MAX_CHAIN);
        chain.tpls[chain.n++] = cur;
        r->tpl = cur;
        const tpl_stmt *ext = top_extends(cur);
        cur = NULL;
        if (ext)
            rc = find_template(r, ext->u.expr, false, &cur);
    }
    /* top-level definitions run as in a full render, child first */
    for (int k = 0; k < chain.n && !rc; k++) {
        r->tpl = chain.tpls[k];
        for (const tpl_stmt *s = chain.tpls[k]->body; s && !rc; s = s->next)
            if (s->kind == TPL_S_SET || s->kind == TPL_S_SET_BLOCK ||
                s->kind == TPL_S_SET_ATTR || s->kind == TPL_S_IMPORT ||
                s->kind == TPL_S_FROM || s->kind == TPL_S_MACRO)
                rc = exec_one(r, s);
    }
    if (rc)
        return rc;
    size_t bn = strlen(block);
    for (int level = 0; level < chain.n; level++) {
        const tpl_template *c = chain.tpls[level];
        for (size_t i = 0; i < c->nblocks; i++) {
            kiln_str nm = c->blocks[i]->u.block.name;
            if (nm.n == bn && memcmp(nm.p, block, bn) == 0)
                return render_block_def(r, c->blocks[i], level);
        }
    }
    return tpl_error_at(r->err, KILN_ENOTFOUND, t->name, KILN_STR_NULL,
                        SIZE_MAX, "no block '%s'", block);
}

int kiln_tpl_render_block(const kiln_tpl_set *set, const char *name,
                          const char *block, kiln_value ctx, kiln_arena *a,
                          kiln_buf *out, kiln_tpl_error *err)
{
    if (!set || !name || !block || !out)
        return tpl_error_at(err, KILN_EINVAL, KILN_STR_NULL, KILN_STR_NULL,
                            SIZE_MAX, "invalid argument");
    kiln_arena own;
    if (!a) {
        kiln_arena_init(&own, 0);
        a = &own;
    }
    tpl_render r;
    int rc = render_begin(&r, set, ctx, a, out, err,
                          (uintptr_t)__builtin_frame_address(0));
    const tpl_template *t = rc ? NULL : render_find(&r, name);
    if (!rc && !t)
        rc = KILN_ENOTFOUND;
    if (!rc)
        rc = render_block(&r, t, block);
    if (a == &own)
        kiln_arena_deinit(&own);
    return rc;
}
