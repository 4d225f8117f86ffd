/*
 * tpl/eval.c - expressions to values, with Python's semantics as Jinja2
 * applies them: ints are int64_t (an overflow is a render error where
 * Python would grow a big int), / is true division, // and % floor, bools
 * count as 0 and 1, "and"/"or" return an operand, == compares across int
 * and float exactly, ordering mixed types is an error.
 *
 * Undefined: a name or attribute that is not found is undefined. Lenient
 * sets let it through (it prints as "", is false, its attributes are
 * undefined too); strict sets fail at the lookup, with the name and its
 * position, unless the expression is "soft": the operand of `is defined`
 * style tests and of |default. That is where StrictUndefined would also
 * let it pass.
 *
 * Values made here (strings from ~, lists, slices) live in the render
 * arena. Strings are built in the output buffer and cut back out
 * (tpl_capture_end), so nothing is malloc'd.
 */
#include "tpl/tpl.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static int eval(tpl_render *r, const tpl_expr *e, kiln_value *out, bool soft);

int tpl_eval(tpl_render *r, const tpl_expr *e, kiln_value *out)
{
    return eval(r, e, out, false);
}

/* ---- lookups ----------------------------------------------------------- */

/* Attributes of loop: index, index0, first, ... */
static bool loop_attr(tpl_render *r, const tpl_loop *lp, kiln_str k,
                      kiln_value *out)
{
#define IS(s) (k.n == sizeof(s) - 1 && memcmp(k.p, s, k.n) == 0)
    size_t i = lp->index0, n = lp->length;
    if (IS("index"))
        *out = kiln_value_int((int64_t)i + 1);
    else if (IS("index0"))
        *out = kiln_value_int((int64_t)i);
    else if (IS("revindex"))
        *out = kiln_value_int((int64_t)(n - i));
    else if (IS("revindex0"))
        *out = kiln_value_int((int64_t)(n - i - 1));
    else if (IS("first"))
        *out = kiln_value_bool(i == 0);
    else if (IS("last"))
        *out = kiln_value_bool(i + 1 == n);
    else if (IS("length"))
        *out = kiln_value_int((int64_t)n);
    else if (IS("depth"))
        *out = kiln_value_int(lp->depth);
    else if (IS("depth0"))
        *out = kiln_value_int(lp->depth - 1);
    else if (IS("previtem"))
        return i > 0 && tpl_seq_at(r, lp->seq, i - 1, out) == 0;
    else if (IS("nextitem"))
        return i + 1 < n && tpl_seq_at(r, lp->seq, i + 1, out) == 0;
    else
        return false;
    return true;
#undef IS
}

int tpl_getattr(tpl_render *r, const tpl_expr *e, kiln_value obj, kiln_str key,
                uint32_t hash, kiln_value *out, bool *found)
{
    *found = false;
    switch (obj.type) {
    case KILN_VALUE_MAP: {
        const kiln_value *v = tpl_map_find(obj.u.map, key.p, key.n, hash);
        if (v) {
            *out = *v;
            *found = true;
        }
        return 0;
    }
    case KILN_VALUE_OBJECT: {
        const kiln_value_class *c = obj.u.pair.a;
        int rc = c->get(obj.u.pair.b, key, r->a, out);
        if (rc < 0)
            return tpl_fail(r, rc, e->pos, "%s: lookup of '%.*s' failed: %s",
                            tpl_type_name(obj), (int)key.n, key.p,
                            kiln_strerror(rc));
        *found = rc == 1;
        return 0;
    }
    case TPL_V_LOOP:
        *found = loop_attr(r, obj.u.pair.a, key, out);
        return 0;
    default:
        return 0;
    }
}

/* Python's index normalisation: i in [-n, n) to [0, n); false outside. */
static bool norm_index(int64_t i, size_t n, size_t *out)
{
    if (i < 0)
        i += (int64_t)n;
    if (i < 0 || (uint64_t)i >= n)
        return false;
    *out = (size_t)i;
    return true;
}

int tpl_getitem(tpl_render *r, const tpl_expr *e, kiln_value obj,
                kiln_value key, kiln_value *out, bool *found)
{
    *found = false;
    bool int_key = key.type == KILN_VALUE_INT || key.type == KILN_VALUE_BOOL;
    int64_t ik = key.type == KILN_VALUE_BOOL ? key.u.b : key.u.i;
    size_t at;
    switch (obj.type) {
    case KILN_VALUE_LIST:
        if (int_key && norm_index(ik, obj.u.list->n, &at)) {
            *out = obj.u.list->items[at];
            *found = true;
        }
        return 0;
    case TPL_V_RANGE: {
        const tpl_range *g = obj.u.pair.a;
        if (int_key && norm_index(ik, g->n, &at)) {
            *out = kiln_value_int(g->start + (int64_t)at * g->step);
            *found = true;
        }
        return 0;
    }
    case KILN_VALUE_STRING:
        if (int_key &&
            norm_index(ik, tpl_utf8_count(obj.u.s.p, obj.u.s.n), &at)) {
            size_t b = tpl_utf8_offset(obj.u.s.p, obj.u.s.n, at), x = b + 1;
            while (x < obj.u.s.n &&
                   ((unsigned char)obj.u.s.p[x] & 0xC0) == 0x80)
                x++;
            *out = tpl_strv(obj.u.s.p + b, x - b, obj.flags & TPL_F_SAFE);
            *found = true;
        }
        return 0;
    case KILN_VALUE_MAP:
    case KILN_VALUE_OBJECT:
    case TPL_V_LOOP:
        if (key.type != KILN_VALUE_STRING)
            return 0;
        return tpl_getattr(r, e, obj, key.u.s, tpl_hash(key.u.s.p, key.u.s.n),
                           out, found);
    default:
        return 0;
    }
}

/* ---- undefined --------------------------------------------------------- */

/* A short rendering of e for messages: a name, a.b.c, or "value". */
static void expr_label(const tpl_expr *e, char *buf, size_t cap)
{
    const kiln_str *parts[8];
    int n = 0;
    while (e->kind == TPL_E_ATTR && n < 7) {
        parts[n++] = &e->u.attr.name;
        e = e->u.attr.obj;
    }
    if (e->kind != TPL_E_NAME) {
        snprintf(buf, cap, "value");
        return;
    }
    parts[n++] = &e->u.name.name;
    size_t w = 0;
    for (int i = n - 1; i >= 0; i--) {
        size_t len = parts[i]->n;
        if (w + len + 2 > cap)
            break; /* cut short: fine for a message */
        if (i != n - 1)
            buf[w++] = '.';
        memcpy(buf + w, parts[i]->p, len);
        w += len;
    }
    buf[w] = '\0';
}

/* The result of a failed lookup: undefined, or a strict-mode error. */
__attribute__((noinline)) static int undefined(tpl_render *r, const tpl_expr *e,
                                               kiln_value obj, bool soft,
                                               kiln_value *out)
{
    if (!r->strict || soft) {
        *out = tpl_undef();
        return 0;
    }
    char label[128];
    switch (e->kind) {
    case TPL_E_NAME:
        return tpl_fail(r, KILN_EINVAL, e->pos, "'%.*s' is undefined",
                        (int)e->u.name.name.n, e->u.name.name.p);
    case TPL_E_ATTR:
        expr_label(e->u.attr.obj, label, sizeof(label));
        return tpl_fail(
            r, KILN_EINVAL, e->pos, "'%s' (%s) has no attribute '%.*s'", label,
            tpl_type_name(obj), (int)e->u.attr.name.n, e->u.attr.name.p);
    default:
        expr_label(e->u.x.a, label, sizeof(label));
        return tpl_fail(r, KILN_EINVAL, e->pos, "'%s' (%s) has no such item",
                        label, tpl_type_name(obj));
    }
}

/* ---- arithmetic -------------------------------------------------------- */

static const char *const op_names[] = {"+",  "-",  "*",  "/",  "//",
                                       "%",  "**", "==", "!=", "<",
                                       "<=", ">",  ">=", "in", "not in"};

static int type_error(tpl_render *r, const tpl_expr *e, kiln_value a,
                      kiln_value b)
{
    return tpl_fail(r, KILN_EINVAL, e->pos,
                    "unsupported operand types for %s: '%s' and '%s'",
                    op_names[e->op], tpl_type_name(a), tpl_type_name(b));
}

static int overflow(tpl_render *r, const tpl_expr *e)
{
    return tpl_fail(r, KILN_EINVAL, e->pos, "integer overflow in %s",
                    op_names[e->op]);
}

/* Python's divmod for floats (Objects/floatobject.c float_divmod). */
static void py_fdivmod(double vx, double wx, double *floordiv, double *mod)
{
    double m = fmod(vx, wx);
    double div = (vx - m) / wx;
    if (m != 0) {
        if ((wx < 0) != (m < 0)) {
            m += wx;
            div -= 1.0;
        }
    } else {
        m = copysign(0.0, wx);
    }
    double fd;
    if (div != 0) {
        fd = floor(div);
        if (div - fd > 0.5)
            fd += 1.0;
    } else {
        fd = copysign(0.0, vx / wx);
    }
    *floordiv = fd;
    *mod = m;
}

/* Repeats string or list v count times (str * int). */
static int repeat(tpl_render *r, const tpl_expr *e, kiln_value v, int64_t count,
                  kiln_value *out)
{
    if (count < 0)
        count = 0;
    size_t unit = v.type == KILN_VALUE_STRING ? v.u.s.n : v.u.list->n;
    size_t max =
        r->set->opt.max_output ? r->set->opt.max_output : ((size_t)1 << 30);
    if (unit && (uint64_t)count > max / unit)
        return tpl_fail(r, KILN_ELIMIT, e->pos, "repetition too large");
    size_t total = unit * (size_t)count;
    if (v.type == KILN_VALUE_STRING) {
        char *p = kiln_arena_alloc(r->a, total + 1);
        if (!p)
            return tpl_nomem(r);
        for (int64_t i = 0; i < count && unit; i++)
            memcpy(p + (size_t)i * unit, v.u.s.p, unit);
        p[total] = '\0';
        *out = tpl_strv(p, total, v.flags & TPL_F_SAFE);
        return 0;
    }
    kiln_value *items =
        kiln_arena_alloc(r->a, (total ? total : 1) * sizeof(kiln_value));
    if (!items)
        return tpl_nomem(r);
    for (int64_t i = 0; i < count && unit; i++)
        memcpy(items + (size_t)i * unit, v.u.list->items,
               unit * sizeof(kiln_value));
    int rc = tpl_list_from(r, items, total, out);
    if (!rc)
        out->flags = v.flags & TPL_F_TUPLE;
    return rc;
}

/* a + b for strings: Markup semantics when either side is safe. */
static int add_strings(tpl_render *r, kiln_value a, kiln_value b,
                       kiln_value *out)
{
    bool safe = r->autoescape && (tpl_is_safe(a) || tpl_is_safe(b));
    size_t mark = r->out->n;
    int rc = 0;
    for (int k = 0; k < 2 && !rc; k++) {
        kiln_value v = k ? b : a;
        rc = safe && !tpl_is_safe(v) ? tpl_put_escaped(r, v.u.s.p, v.u.s.n)
                                     : tpl_put(r, v.u.s.p, v.u.s.n);
    }
    kiln_str s;
    int rc2 = tpl_capture_end(r, mark, &s);
    if (rc || rc2)
        return rc ? rc : rc2;
    *out = tpl_strv(s.p, s.n, safe);
    return 0;
}

__attribute__((noinline)) static int arith(tpl_render *r, const tpl_expr *e,
                                           kiln_value a, kiln_value b,
                                           kiln_value *out)
{
    int op = e->op;
    if (!tpl_is_number(a) || !tpl_is_number(b)) {
        bool sa = a.type == KILN_VALUE_STRING, sb = b.type == KILN_VALUE_STRING;
        bool la = a.type == KILN_VALUE_LIST, lb = b.type == KILN_VALUE_LIST;
        if (op == TPL_OP_ADD && sa && sb)
            return add_strings(r, a, b, out);
        if (op == TPL_OP_ADD && la && lb &&
            (a.flags & TPL_F_TUPLE) == (b.flags & TPL_F_TUPLE)) {
            size_t n = a.u.list->n + b.u.list->n;
            kiln_value *items =
                kiln_arena_alloc(r->a, (n ? n : 1) * sizeof(kiln_value));
            if (!items)
                return tpl_nomem(r);
            if (a.u.list->n)
                memcpy(items, a.u.list->items, a.u.list->n * sizeof(*items));
            if (b.u.list->n)
                memcpy(items + a.u.list->n, b.u.list->items,
                       b.u.list->n * sizeof(*items));
            int rc = tpl_list_from(r, items, n, out);
            if (!rc)
                out->flags = a.flags & TPL_F_TUPLE;
            return rc;
        }
        bool ia = a.type == KILN_VALUE_INT || a.type == KILN_VALUE_BOOL;
        bool ib = b.type == KILN_VALUE_INT || b.type == KILN_VALUE_BOOL;
        if (op == TPL_OP_MUL && (sa || la) && ib)
            return repeat(r, e, a, b.type == KILN_VALUE_BOOL ? b.u.b : b.u.i,
                          out);
        if (op == TPL_OP_MUL && (sb || lb) && ia)
            return repeat(r, e, b, a.type == KILN_VALUE_BOOL ? a.u.b : a.u.i,
                          out);
        return type_error(r, e, a, b);
    }
    if (a.type != KILN_VALUE_FLOAT && b.type != KILN_VALUE_FLOAT) {
        int64_t x = a.type == KILN_VALUE_BOOL ? a.u.b : a.u.i;
        int64_t y = b.type == KILN_VALUE_BOOL ? b.u.b : b.u.i;
        int64_t z = 0;
        switch (op) {
        case TPL_OP_ADD:
            if (__builtin_add_overflow(x, y, &z))
                return overflow(r, e);
            break;
        case TPL_OP_SUB:
            if (__builtin_sub_overflow(x, y, &z))
                return overflow(r, e);
            break;
        case TPL_OP_MUL:
            if (__builtin_mul_overflow(x, y, &z))
                return overflow(r, e);
            break;
        case TPL_OP_DIV:
            if (y == 0)
                return tpl_fail(r, KILN_EINVAL, e->pos, "division by zero");
            *out = kiln_value_float((double)x / (double)y);
            return 0;
        case TPL_OP_FLOORDIV:
        case TPL_OP_MOD:
            if (y == 0)
                return tpl_fail(r, KILN_EINVAL, e->pos, "division by zero");
            if (y == -1) {
                if (op == TPL_OP_MOD) {
                    z = 0;
                    break;
                }
                if (x == INT64_MIN)
                    return overflow(r, e);
                z = -x;
                break;
            }
            if (op == TPL_OP_FLOORDIV) {
                z = x / y;
                if (x % y != 0 && ((x < 0) != (y < 0)))
                    z--;
            } else {
                z = x % y;
                if (z != 0 && ((z < 0) != (y < 0)))
                    z += y;
            }
            break;
        case TPL_OP_POW:
            if (y < 0) {
                if (x == 0)
                    return tpl_fail(r, KILN_EINVAL, e->pos,
                                    "0 cannot be raised to a negative power");
                *out = kiln_value_float(pow((double)x, (double)y));
                return 0;
            }
            z = 1;
            for (int64_t base = x; y; y >>= 1) {
                if ((y & 1) && __builtin_mul_overflow(z, base, &z))
                    return overflow(r, e);
                if (y > 1 && __builtin_mul_overflow(base, base, &base))
                    return overflow(r, e);
            }
            break;
        default:
            assert(!"not arithmetic");
        }
        *out = kiln_value_int(z);
        return 0;
    }
    double x = tpl_num(a), y = tpl_num(b), z = 0, fd, md;
    switch (op) {
    case TPL_OP_ADD:
        z = x + y;
        break;
    case TPL_OP_SUB:
        z = x - y;
        break;
    case TPL_OP_MUL:
        z = x * y;
        break;
    case TPL_OP_DIV:
        if (y == 0)
            return tpl_fail(r, KILN_EINVAL, e->pos, "division by zero");
        z = x / y;
        break;
    case TPL_OP_FLOORDIV:
    case TPL_OP_MOD:
        if (y == 0)
            return tpl_fail(r, KILN_EINVAL, e->pos, "division by zero");
        py_fdivmod(x, y, &fd, &md);
        z = op == TPL_OP_FLOORDIV ? fd : md;
        break;
    case TPL_OP_POW:
        if (x == 0 && y < 0)
            return tpl_fail(r, KILN_EINVAL, e->pos,
                            "0.0 cannot be raised to a negative power");
        if (x < 0 && y != floor(y))
            return tpl_fail(r, KILN_EINVAL, e->pos,
                            "negative number to a fractional power");
        z = pow(x, y);
        break;
    default:
        assert(!"not arithmetic");
    }
    *out = kiln_value_float(z);
    return 0;
}

/* x in container. */
static int contains(tpl_render *r, const tpl_expr *e, kiln_value x,
                    kiln_value c, bool *out)
{
    *out = false;
    switch (c.type) {
    case KILN_VALUE_STRING:
        if (x.type != KILN_VALUE_STRING)
            return tpl_fail(r, KILN_EINVAL, e->pos,
                            "'in <string>' requires a string as left operand, "
                            "not '%s'",
                            tpl_type_name(x));
        *out = x.u.s.n == 0 ||
               (c.u.s.n && memmem(c.u.s.p, c.u.s.n, x.u.s.p, x.u.s.n));
        return 0;
    case KILN_VALUE_LIST:
        for (size_t i = 0; i < c.u.list->n && !*out; i++)
            *out = tpl_equal(r, x, c.u.list->items[i]);
        return 0;
    case KILN_VALUE_MAP:
    case KILN_VALUE_OBJECT:
        if (x.type == KILN_VALUE_STRING) {
            kiln_value dummy;
            *out = kiln_value_get(c, x.u.s, r->a, &dummy);
        }
        return 0;
    case TPL_V_RANGE: {
        const tpl_range *g = c.u.pair.a;
        if (!tpl_is_number(x))
            return 0;
        double d = tpl_num(x);
        if (d != floor(d) || !g->n)
            return 0;
        double off = (d - (double)g->start) / (double)g->step;
        *out = off >= 0 && off < (double)g->n && off == floor(off);
        return 0;
    }
    case TPL_V_UNDEF:
        return 0;
    default:
        return tpl_fail(r, KILN_EINVAL, e->pos,
                        "argument of type '%s' is not iterable",
                        tpl_type_name(c));
    }
}

__attribute__((noinline)) static int compare(tpl_render *r, const tpl_expr *e,
                                             kiln_value a, kiln_value b,
                                             kiln_value *out)
{
    int op = e->op, c;
    bool res;
    switch (op) {
    case TPL_OP_EQ:
    case TPL_OP_NE:
        res = tpl_equal(r, a, b) == (op == TPL_OP_EQ);
        break;
    case TPL_OP_IN:
    case TPL_OP_NOTIN: {
        int rc = contains(r, e, a, b, &res);
        if (rc)
            return rc;
        if (op == TPL_OP_NOTIN)
            res = !res;
        break;
    }
    default:
        if (tpl_compare(r, a, b, &c) != 0)
            return tpl_fail(r, KILN_EINVAL, e->pos,
                            "'%s' not supported between '%s' and '%s'",
                            op_names[op], tpl_type_name(a), tpl_type_name(b));
        res = c == 2            ? false
              : op == TPL_OP_LT ? c < 0
              : op == TPL_OP_LE ? c <= 0
              : op == TPL_OP_GT ? c > 0
                                : c >= 0;
    }
    *out = kiln_value_bool(res);
    return 0;
}

/* ---- slices, lists, concatenation -------------------------------------- */

/* Python's PySlice_AdjustIndices: the items a[start:stop:step] picks. */
static int slice_indices(tpl_render *r, const tpl_expr *e, size_t len,
                         const kiln_value *part, int64_t *start, int64_t *step,
                         size_t *count)
{
    int64_t n = (int64_t)len, v[3];
    bool given[3];
    for (int k = 0; k < 3; k++) {
        given[k] =
            part[k].type != TPL_V_UNDEF && part[k].type != KILN_VALUE_NULL;
        if (!given[k])
            continue;
        if (part[k].type != KILN_VALUE_INT && part[k].type != KILN_VALUE_BOOL)
            return tpl_fail(r, KILN_EINVAL, e->pos,
                            "slice indices must be integers");
        v[k] = part[k].type == KILN_VALUE_BOOL ? part[k].u.b : part[k].u.i;
    }
    int64_t st = given[2] ? v[2] : 1;
    if (st == 0)
        return tpl_fail(r, KILN_EINVAL, e->pos, "slice step cannot be zero");
    if (st == INT64_MIN)
        st = -INT64_MAX;
    int64_t lo, hi;
    if (st > 0) {
        lo = given[0] ? v[0] : 0;
        hi = given[1] ? v[1] : n;
        if (lo < 0 && (lo += n) < 0)
            lo = 0;
        if (lo > n)
            lo = n;
        if (hi < 0 && (hi += n) < 0)
            hi = 0;
        if (hi > n)
            hi = n;
        *count = hi > lo ? (size_t)((hi - lo - 1) / st + 1) : 0;
    } else {
        lo = given[0] ? v[0] : n - 1;
        hi = given[1] ? v[1] : -1 - n; /* "to the start" */
        if (lo < 0 && (lo += n) < 0)
            lo = -1;
        if (lo >= n)
            lo = n - 1;
        if (given[1] && hi < 0 && (hi += n) < 0)
            hi = -1;
        if (!given[1])
            hi = -1;
        if (hi >= n)
            hi = n - 1;
        *count = lo > hi ? (size_t)((lo - hi - 1) / (-st) + 1) : 0;
    }
    *start = lo;
    *step = st;
    return 0;
}

__attribute__((noinline)) static int
eval_slice(tpl_render *r, const tpl_expr *e, kiln_value *out)
{
    kiln_value obj, part[3];
    const tpl_expr *pe[3] = {e->u.x.b, e->u.x.c, e->u.x.d};
    int rc = eval(r, e->u.x.a, &obj, false);
    for (int k = 0; k < 3 && !rc; k++) {
        part[k] = tpl_undef();
        if (pe[k])
            rc = eval(r, pe[k], &part[k], false);
    }
    if (rc)
        return rc;
    if (obj.type != KILN_VALUE_LIST && obj.type != KILN_VALUE_STRING &&
        obj.type != TPL_V_RANGE) {
        if (obj.type == TPL_V_UNDEF)
            return undefined(r, e, obj, false, out);
        return tpl_fail(r, KILN_EINVAL, e->pos, "'%s' cannot be sliced",
                        tpl_type_name(obj));
    }
    tpl_seq s;
    int64_t start = 0, step = 1;
    size_t count = 0;
    if ((rc = tpl_seq_init(r, e->pos, obj, &s)) ||
        (rc = slice_indices(r, e, s.n, part, &start, &step, &count)))
        return rc;
    if (obj.type == KILN_VALUE_STRING) {
        size_t mark = r->out->n;
        for (size_t i = 0; i < count && !rc; i++) {
            kiln_value ch = s.items[start + (int64_t)i * step];
            rc = tpl_put(r, ch.u.s.p, ch.u.s.n);
        }
        kiln_str str;
        int rc2 = tpl_capture_end(r, mark, &str);
        if (rc || rc2)
            return rc ? rc : rc2;
        *out = tpl_strv(str.p, str.n, obj.flags & TPL_F_SAFE);
        return 0;
    }
    kiln_value *items =
        kiln_arena_alloc(r->a, (count ? count : 1) * sizeof(kiln_value));
    if (!items)
        return tpl_nomem(r);
    for (size_t i = 0; i < count && !rc; i++)
        rc = tpl_seq_at(r, &s, (size_t)(start + (int64_t)i * step), &items[i]);
    if (rc || (rc = tpl_list_from(r, items, count, out)))
        return rc;
    out->flags = obj.flags & TPL_F_TUPLE;
    return 0;
}

/* Evaluates n expressions into vals (an arena array when n is large). */
static int eval_all(tpl_render *r, tpl_expr *const *es, size_t n,
                    kiln_value *small, size_t small_n, kiln_value **vals)
{
    kiln_value *v = small;
    if (n > small_n && !(v = kiln_arena_alloc(r->a, n * sizeof(*v))))
        return tpl_nomem(r);
    for (size_t i = 0; i < n; i++) {
        int rc = eval(r, es[i], &v[i], false);
        if (rc)
            return rc;
    }
    *vals = v;
    return 0;
}

__attribute__((noinline)) static int eval_dict(tpl_render *r, const tpl_expr *e,
                                               kiln_value *out)
{
    kiln_value m = kiln_value_map(r->a);
    if (m.type != KILN_VALUE_MAP)
        return tpl_nomem(r);
    for (size_t i = 0; i < e->n; i++) {
        kiln_value k, v;
        int rc = eval(r, e->u.list.items[i], &k, false);
        if (rc || (rc = eval(r, e->u.list.values[i], &v, false)))
            return rc;
        if (k.type != KILN_VALUE_STRING)
            return tpl_fail(r, KILN_EINVAL, e->u.list.items[i]->pos,
                            "dict keys must be strings, not '%s'",
                            tpl_type_name(k));
        if (kiln_value_set_str(m, k.u.s, v) != 0)
            return tpl_nomem(r);
    }
    *out = m;
    return 0;
}

/*
 * a ~ b ~ c: Jinja's markup_join. When any part is safe the result is safe
 * and the other parts are escaped; otherwise it is a plain string.
 */
__attribute__((noinline)) static int
eval_concat(tpl_render *r, const tpl_expr *e, kiln_value *out)
{
    kiln_value small[8], *v = NULL;
    int rc = eval_all(r, e->u.list.items, e->n, small, 8, &v);
    if (rc)
        return rc;
    bool safe = false;
    for (size_t i = 0; i < e->n && r->autoescape; i++)
        safe |= tpl_is_safe(v[i]);
    size_t mark = r->out->n;
    for (size_t i = 0; i < e->n && !rc; i++)
        rc = tpl_write_str(r, v[i], safe && !tpl_is_safe(v[i]));
    kiln_str s;
    int rc2 = tpl_capture_end(r, mark, &s);
    if (rc || rc2)
        return rc ? rc : rc2;
    *out = tpl_strv(s.p, s.n, safe);
    return 0;
}

/* ---- calls ------------------------------------------------------------- */

/* Applies FILTER e (its args evaluated now) to in. */
__attribute__((noinline)) static int
apply_filter(tpl_render *r, const tpl_expr *e, kiln_value in, kiln_value *out)
{
    const tpl_filter_def *def = e->u.call.def;
    kiln_value args[TPL_MAX_ARGS];
    for (size_t i = 0; i < e->n; i++) {
        args[i] = tpl_undef();
        args[i].aux = 1; /* absent */
        if (e->u.call.args[i]) {
            int rc = eval(r, e->u.call.args[i], &args[i], false);
            if (rc)
                return rc;
        }
    }
    return def->fn(r, e, in, args, out);
}

/* Applies a {% filter %} chain (innermost first) to in. */
int tpl_apply_filters(tpl_render *r, const tpl_expr *chain, kiln_value in,
                      kiln_value *out)
{
    if (chain->u.call.obj) {
        int rc = tpl_apply_filters(r, chain->u.call.obj, in, &in);
        if (rc)
            return rc;
    }
    return apply_filter(r, chain, in, out);
}

/*
 * Calls fn with the arguments of CALL e. A macro writes to the output: when
 * emit it stays there, otherwise it is captured into a safe string.
 */
static int call_value(tpl_render *r, const tpl_expr *e, kiln_value fn,
                      const kiln_value *args, bool emit, kiln_value *out)
{
    size_t n = e->n, nkw = e->u.call.nkw;
    const tpl_expr *callee = e->u.call.obj;
    switch (fn.type) {
    case TPL_V_MACRO: {
        if (emit) {
            *out = tpl_undef();
            return tpl_call_macro(r, e, fn, args, n, e->u.call.kw, nkw, NULL);
        }
        size_t mark = r->out->n;
        int rc = tpl_call_macro(r, e, fn, args, n, e->u.call.kw, nkw, NULL);
        kiln_str s;
        int rc2 = tpl_capture_end(r, mark, &s);
        if (rc || rc2)
            return rc ? rc : rc2;
        *out = tpl_strv(s.p, s.n, r->autoescape);
        return 0;
    }
    case TPL_V_FUNC:
        return tpl_call_func(r, e, (int)fn.aux, args, n, e->u.call.kw, nkw,
                             out);
    case TPL_V_UNDEF: {
        char label[128];
        expr_label(callee, label, sizeof(label));
        return tpl_fail(r, KILN_EINVAL, callee->pos, "'%s' is undefined",
                        label);
    }
    default:
        return tpl_fail(r, KILN_EINVAL, e->pos, "'%s' object is not callable",
                        tpl_type_name(fn));
    }
}

/*
 * Evaluates the callee of CALL e: *fn is the value to call, or *is_method
 * is set and *obj holds the object of obj.name(...) when it has no entry
 * of that name (a method call).
 */
static int eval_callee(tpl_render *r, const tpl_expr *e, kiln_value *fn,
                       kiln_value *obj, bool *is_method)
{
    const tpl_expr *callee = e->u.call.obj;
    int rc;
    *is_method = false;
    *fn = *obj = tpl_undef();
    if (callee->kind != TPL_E_ATTR)
        return eval(r, callee, fn, true);
    /* obj.name(...): a map entry holding a macro (an imported module),
     * else a method of obj */
    bool found;
    if ((rc = eval(r, callee->u.attr.obj, obj, false)) ||
        (rc = tpl_getattr(r, callee, *obj, callee->u.attr.name,
                          callee->u.attr.hash, fn, &found)))
        return rc;
    *is_method = !found;
    return 0;
}

__attribute__((noinline)) static int eval_call(tpl_render *r, const tpl_expr *e,
                                               bool emit, kiln_value *out)
{
    const tpl_expr *callee = e->u.call.obj;
    kiln_value fn, obj, small[4], *args = NULL;
    bool is_method;
    int rc = eval_callee(r, e, &fn, &obj, &is_method);
    if (rc || (rc = eval_all(r, e->u.call.args, e->n, small, 4, &args)))
        return rc;
    if (!is_method)
        return call_value(r, e, fn, args, emit, out);
    if (e->u.call.nkw)
        return tpl_fail(r, KILN_EINVAL, e->pos,
                        "methods take no keyword arguments");
    rc = tpl_call_method(r, e, obj, callee->u.attr.name, args, e->n, out);
    if (rc == KILN_ENOTFOUND) {
        if (obj.type == TPL_V_UNDEF) {
            char label[128];
            expr_label(callee->u.attr.obj, label, sizeof(label));
            return tpl_fail(r, KILN_EINVAL, callee->u.attr.obj->pos,
                            "'%s' is undefined", label);
        }
        return tpl_fail(r, KILN_EINVAL, callee->pos,
                        "'%s' object has no method '%.*s'", tpl_type_name(obj),
                        (int)callee->u.attr.name.n, callee->u.attr.name.p);
    }
    return rc;
}

int tpl_call_block(tpl_render *r, const tpl_expr *e, const kiln_value *caller)
{
    kiln_value fn, obj, small[4], *args = NULL;
    bool is_method;
    int rc = eval_callee(r, e, &fn, &obj, &is_method);
    if (rc || (rc = eval_all(r, e->u.call.args, e->n, small, 4, &args)))
        return rc;
    if (is_method || fn.type != TPL_V_MACRO)
        return tpl_fail(r, KILN_EINVAL, e->pos,
                        "{%% call %%} needs a macro, not '%s'",
                        tpl_type_name(fn));
    return tpl_call_macro(r, e, fn, args, e->n, e->u.call.kw, e->u.call.nkw,
                          caller);
}

/* ---- the evaluator ----------------------------------------------------- */

__attribute__((noinline)) static int eval_list(tpl_render *r, const tpl_expr *e,
                                               kiln_value *out)
{
    kiln_value small[8], *v = NULL;
    int rc = eval_all(r, e->u.list.items, e->n, small, 8, &v);
    if (rc || (rc = tpl_list_from(r, v, e->n, out)))
        return rc;
    out->flags = e->op ? TPL_F_TUPLE : 0;
    return 0;
}

/*
 * The larger cases live in functions of their own (noinline) so that the
 * recursive eval frame stays small: every level of nesting pays for it.
 */
__attribute__((noinline)) static int eval_test(tpl_render *r, const tpl_expr *e,
                                               bool soft, kiln_value *out)
{
    const tpl_test_def *def = e->u.call.def;
    kiln_value a, args[TPL_MAX_ARGS];
    bool res = false;
    int rc = eval(r, e->u.call.obj, &a, soft || def->soft);
    if (rc)
        return rc;
    for (size_t i = 0; i < e->n; i++) {
        args[i] = tpl_undef();
        args[i].aux = 1;
        if (e->u.call.args[i] &&
            (rc = eval(r, e->u.call.args[i], &args[i], false)))
            return rc;
    }
    if ((rc = def->fn(r, e, a, args, &res)))
        return rc;
    *out = kiln_value_bool(res != (e->op != 0));
    return 0;
}

static int eval(tpl_render *r, const tpl_expr *e, kiln_value *out, bool soft)
{
    int rc = tpl_check_stack(r, e->pos);
    if (rc)
        return rc;
    kiln_value a, b;
    bool found;
    switch ((tpl_expr_kind)e->kind) {
    case TPL_E_CONST:
        *out = e->u.k;
        return 0;
    case TPL_E_NAME:
        if (tpl_lookup(r, e->u.name.name, e->u.name.hash, out))
            return 0;
        if (e->u.name.func) {
            *out = tpl_undef();
            out->type = TPL_V_FUNC;
            out->aux = e->u.name.func;
            return 0;
        }
        return undefined(r, e, tpl_undef(), soft, out);
    case TPL_E_ATTR: {
        /* name.attr (the common case) without recursing for the name */
        const tpl_expr *o = e->u.attr.obj;
        if ((o->kind != TPL_E_NAME ||
             !tpl_lookup(r, o->u.name.name, o->u.name.hash, &a)) &&
            (rc = eval(r, o, &a, soft)))
            return rc;
        if (a.type == KILN_VALUE_MAP) {
            const kiln_value *v = tpl_map_find(
                a.u.map, e->u.attr.name.p, e->u.attr.name.n, e->u.attr.hash);
            if (v) {
                *out = *v;
                return 0;
            }
            return undefined(r, e, a, soft, out);
        }
        if ((rc = tpl_getattr(r, e, a, e->u.attr.name, e->u.attr.hash, out,
                              &found)))
            return rc;
        return found ? 0 : undefined(r, e, a, soft, out);
    }
    case TPL_E_ITEM:
        if ((rc = eval(r, e->u.x.a, &a, soft)) ||
            (rc = eval(r, e->u.x.b, &b, false)) ||
            (rc = tpl_getitem(r, e, a, b, out, &found)))
            return rc;
        return found ? 0 : undefined(r, e, a, soft, out);
    case TPL_E_SLICE:
        return eval_slice(r, e, out);
    case TPL_E_CALL:
        return eval_call(r, e, false, out);
    case TPL_E_FILTER: {
        const tpl_filter_def *def = e->u.call.def;
        if ((rc = eval(r, e->u.call.obj, &a, soft || def->soft)))
            return rc;
        return apply_filter(r, e, a, out);
    }
    case TPL_E_TEST:
        return eval_test(r, e, soft, out);
    case TPL_E_NOT:
        if ((rc = eval(r, e->u.x.a, &a, false)))
            return rc;
        *out = kiln_value_bool(!tpl_truthy(r, a));
        return 0;
    case TPL_E_NEG:
    case TPL_E_POS:
        if ((rc = eval(r, e->u.x.a, &a, false)))
            return rc;
        if (!tpl_is_number(a))
            return tpl_fail(r, KILN_EINVAL, e->pos,
                            "bad operand type for unary %c: '%s'",
                            e->kind == TPL_E_NEG ? '-' : '+', tpl_type_name(a));
        if (a.type == KILN_VALUE_BOOL)
            a = kiln_value_int(a.u.b);
        if (e->kind == TPL_E_POS) {
            *out = a;
        } else if (a.type == KILN_VALUE_FLOAT) {
            *out = kiln_value_float(-a.u.f);
        } else {
            if (a.u.i == INT64_MIN)
                return tpl_fail(r, KILN_EINVAL, e->pos, "integer overflow");
            *out = kiln_value_int(-a.u.i);
        }
        return 0;
    case TPL_E_BIN:
        if ((rc = eval(r, e->u.x.a, &a, false)) ||
            (rc = eval(r, e->u.x.b, &b, false)))
            return rc;
        return arith(r, e, a, b, out);
    case TPL_E_CMP:
        if ((rc = eval(r, e->u.x.a, &a, false)) ||
            (rc = eval(r, e->u.x.b, &b, false)))
            return rc;
        return compare(r, e, a, b, out);
    case TPL_E_AND:
    case TPL_E_OR:
        if ((rc = eval(r, e->u.x.a, &a, false)))
            return rc;
        if (tpl_truthy(r, a) == (e->kind == TPL_E_OR)) {
            *out = a;
            return 0;
        }
        return eval(r, e->u.x.b, out, false);
    case TPL_E_COND:
        if ((rc = eval(r, e->u.x.a, &a, false)))
            return rc;
        if (tpl_truthy(r, a))
            return eval(r, e->u.x.b, out, soft);
        if (!e->u.x.c) {
            *out = tpl_undef();
            return 0;
        }
        return eval(r, e->u.x.c, out, soft);
    case TPL_E_LIST:
        return eval_list(r, e, out);
    case TPL_E_DICT:
        return eval_dict(r, e, out);
    case TPL_E_CONCAT:
        return eval_concat(r, e, out);
    case TPL_E_SUPER: {
        size_t mark = r->out->n;
        kiln_str s;
        rc = tpl_render_super(r, e->pos);
        int rc2 = tpl_capture_end(r, mark, &s);
        if (rc || rc2)
            return rc ? rc : rc2;
        *out = tpl_strv(s.p, s.n, r->autoescape);
        return 0;
    }
    }
    assert(!"unknown expression");
    return KILN_EINVAL;
}

int tpl_eval_emit(tpl_render *r, const tpl_expr *e)
{
    kiln_value v;
    int rc;
    switch (e->kind) {
    case TPL_E_CONCAT:
        /* printing the parts one by one escapes exactly as printing the
         * joined string would (see eval_concat), without building it */
        for (size_t i = 0; i < e->n; i++)
            if ((rc = tpl_eval(r, e->u.list.items[i], &v)) ||
                (rc = tpl_emit(r, v)))
                return rc;
        return 0;
    case TPL_E_CALL:
        if ((rc = eval_call(r, e, true, &v)))
            return rc;
        return tpl_emit(r, v);
    case TPL_E_SUPER:
        return tpl_render_super(r, e->pos);
    default:
        if ((rc = tpl_eval(r, e, &v)))
            return rc;
        return tpl_emit(r, v);
    }
}
