/*
 * tpl/method.c - tests ("x is odd"), methods (map.items(), "s".upper(),
 * loop.cycle()) and the global functions range(), dict() and namespace()
 * (url() is in url.c),
 * with Jinja2's and Python's semantics.
 */
#include "tpl/text.h"
#include "tpl/tpl.h"

#include <math.h>
#include <string.h>

/* ---- tests ------------------------------------------------------------- */

#define TEST(name)                                                             \
    static int t_##name(tpl_render *r, const tpl_expr *e, kiln_value in,       \
                        const kiln_value *args, bool *out)

TEST(defined)
{
    (void)r, (void)e, (void)args;
    *out = !tpl_is_undef(in);
    return 0;
}

TEST(undefined)
{
    (void)r, (void)e, (void)args;
    *out = tpl_is_undef(in);
    return 0;
}

TEST(none)
{
    (void)r, (void)e, (void)args;
    *out = in.type == KILN_VALUE_NULL;
    return 0;
}

TEST(boolean)
{
    (void)r, (void)e, (void)args;
    *out = in.type == KILN_VALUE_BOOL;
    return 0;
}

TEST(true)
{
    (void)r, (void)e, (void)args;
    *out = in.type == KILN_VALUE_BOOL && in.u.b;
    return 0;
}

TEST(false)
{
    (void)r, (void)e, (void)args;
    *out = in.type == KILN_VALUE_BOOL && !in.u.b;
    return 0;
}

TEST(integer)
{
    (void)r, (void)e, (void)args;
    *out = in.type == KILN_VALUE_INT;
    return 0;
}

TEST(float)
{
    (void)r, (void)e, (void)args;
    *out = in.type == KILN_VALUE_FLOAT;
    return 0;
}

TEST(number)
{
    (void)r, (void)e, (void)args;
    *out = tpl_is_number(in);
    return 0;
}

TEST(string)
{
    (void)r, (void)e, (void)args;
    *out = in.type == KILN_VALUE_STRING;
    return 0;
}

TEST(mapping)
{
    (void)r, (void)e, (void)args;
    *out = in.type == KILN_VALUE_MAP || in.type == KILN_VALUE_OBJECT;
    return 0;
}

TEST(iterable)
{
    (void)r, (void)e, (void)args;
    *out = in.type == KILN_VALUE_STRING || in.type == KILN_VALUE_LIST ||
           in.type == KILN_VALUE_MAP || in.type == KILN_VALUE_OBJECT ||
           in.type == TPL_V_RANGE || in.type == TPL_V_UNDEF;
    return 0;
}

TEST(sequence)
{
    (void)r, (void)e, (void)args;
    *out = in.type == KILN_VALUE_STRING || in.type == KILN_VALUE_LIST ||
           in.type == KILN_VALUE_MAP || in.type == KILN_VALUE_OBJECT ||
           in.type == TPL_V_RANGE;
    return 0;
}

TEST(callable)
{
    (void)r, (void)e, (void)args;
    *out = in.type == TPL_V_MACRO || in.type == TPL_V_FUNC;
    return 0;
}

TEST(escaped)
{
    (void)r, (void)e, (void)args;
    *out = tpl_is_safe(in);
    return 0;
}

TEST(sameas)
{
    (void)r, (void)e;
    kiln_value b = args[0];
    if (in.type != b.type)
        *out = false;
    else if (in.type == KILN_VALUE_NULL || in.type == KILN_VALUE_BOOL)
        *out = tpl_equal(r, in, b);
    else if (in.type == KILN_VALUE_INT) /* CPython caches -5..256 */
        *out = in.u.i == b.u.i && in.u.i >= -5 && in.u.i <= 256;
    else
        *out = in.u.pair.a == b.u.pair.a && in.u.pair.b == b.u.pair.b;
    return 0;
}

/* value % n == 0 for even/odd/divisibleby. */
static int mod_test(tpl_render *r, const tpl_expr *e, kiln_value in,
                    kiln_value n, int want, bool *out)
{
    if (!tpl_is_number(in) || !tpl_is_number(n))
        return tpl_fail(r, KILN_EINVAL, e->pos,
                        "'%s' cannot be tested for divisibility",
                        tpl_type_name(in));
    if (in.type != KILN_VALUE_FLOAT && n.type != KILN_VALUE_FLOAT) {
        int64_t a = in.type == KILN_VALUE_BOOL ? in.u.b : in.u.i;
        int64_t b = n.type == KILN_VALUE_BOOL ? n.u.b : n.u.i;
        if (b == 0)
            return tpl_fail(r, KILN_EINVAL, e->pos, "division by zero");
        int64_t m = b == -1 ? 0 : a % b;
        if (m != 0 && ((m < 0) != (b < 0)))
            m += b;
        *out = (m == 0) == (want == 0);
        return 0;
    }
    double b = tpl_num(n);
    if (b == 0)
        return tpl_fail(r, KILN_EINVAL, e->pos, "division by zero");
    *out = (fmod(tpl_num(in), b) == 0) == (want == 0);
    return 0;
}

TEST(even)
{
    (void)args;
    return mod_test(r, e, in, kiln_value_int(2), 0, out);
}

TEST(odd)
{
    (void)args;
    return mod_test(r, e, in, kiln_value_int(2), 1, out);
}

TEST(divisibleby)
{
    return mod_test(r, e, in, args[0], 0, out);
}

/* Comparison tests build a CMP node and reuse the evaluator's rules. */
static int cmp_test(tpl_render *r, const tpl_expr *e, kiln_value a,
                    kiln_value b, int op, bool *out)
{
    tpl_expr ca = {0}, cb = {0}, c = *e;
    ca.kind = cb.kind = TPL_E_CONST;
    ca.u.k = a;
    cb.u.k = b;
    c.kind = TPL_E_CMP;
    c.op = (uint8_t)op;
    c.u.x.a = &ca;
    c.u.x.b = &cb;
    kiln_value v;
    int rc = tpl_eval(r, &c, &v);
    if (!rc)
        *out = v.u.b;
    return rc;
}

TEST(eq)
{
    return cmp_test(r, e, in, args[0], TPL_OP_EQ, out);
}

TEST(ne)
{
    return cmp_test(r, e, in, args[0], TPL_OP_NE, out);
}

TEST(lt)
{
    return cmp_test(r, e, in, args[0], TPL_OP_LT, out);
}

TEST(le)
{
    return cmp_test(r, e, in, args[0], TPL_OP_LE, out);
}

TEST(gt)
{
    return cmp_test(r, e, in, args[0], TPL_OP_GT, out);
}

TEST(ge)
{
    return cmp_test(r, e, in, args[0], TPL_OP_GE, out);
}

TEST(in)
{
    return cmp_test(r, e, in, args[0], TPL_OP_IN, out);
}

/* Python's str.islower()/isupper(): some cased character, none of the
 * other case. */
static int case_test(tpl_render *r, kiln_value in, bool lower, bool *out)
{
    kiln_str s;
    int rc = tpl_to_str(r, in, &s);
    if (rc)
        return rc;
    bool cased = false, ok = true;
    for (size_t i = 0; i < s.n && ok;) {
        uint32_t cp = tpl_cp_next(s.p, s.n, &i);
        if (!tpl_cp_cased(cp))
            continue;
        cased = true;
        ok = lower ? tpl_cp_upper(cp) != cp || cp == 0xDF
                   : tpl_cp_lower(cp) != cp || cp == 0x130;
    }
    *out = cased && ok;
    return 0;
}

TEST(lower)
{
    (void)e, (void)args;
    return case_test(r, in, true, out);
}

TEST(upper)
{
    (void)e, (void)args;
    return case_test(r, in, false, out);
}

static const tpl_test_def tpl_tests[] = {
    {"boolean", t_boolean, 0, 0, 0},
    {"callable", t_callable, 0, 0, 0},
    {"defined", t_defined, 0, 0, 1},
    {"divisibleby", t_divisibleby, 1, 1, 0},
    {"eq", t_eq, 1, 1, 0},
    {"equalto", t_eq, 1, 1, 0},
    {"escaped", t_escaped, 0, 0, 0},
    {"even", t_even, 0, 0, 0},
    {"false", t_false, 0, 0, 0},
    {"float", t_float, 0, 0, 0},
    {"ge", t_ge, 1, 1, 0},
    {"greaterthan", t_gt, 1, 1, 0},
    {"gt", t_gt, 1, 1, 0},
    {"in", t_in, 1, 1, 0},
    {"integer", t_integer, 0, 0, 0},
    {"iterable", t_iterable, 0, 0, 0},
    {"le", t_le, 1, 1, 0},
    {"lessthan", t_lt, 1, 1, 0},
    {"lower", t_lower, 0, 0, 0},
    {"lt", t_lt, 1, 1, 0},
    {"mapping", t_mapping, 0, 0, 0},
    {"ne", t_ne, 1, 1, 0},
    {"none", t_none, 0, 0, 0},
    {"number", t_number, 0, 0, 0},
    {"odd", t_odd, 0, 0, 0},
    {"sameas", t_sameas, 1, 1, 0},
    {"sequence", t_sequence, 0, 0, 0},
    {"string", t_string, 0, 0, 0},
    {"true", t_true, 0, 0, 0},
    {"undefined", t_undefined, 0, 0, 1},
    {"upper", t_upper, 0, 0, 0},
};

const tpl_test_def *tpl_test_find(kiln_str name)
{
    for (size_t i = 0; i < sizeof(tpl_tests) / sizeof(tpl_tests[0]); i++) {
        const char *n = tpl_tests[i].name;
        if (strlen(n) == name.n && memcmp(n, name.p, name.n) == 0)
            return &tpl_tests[i];
    }
    return NULL;
}

/* ---- methods ----------------------------------------------------------- */

static bool is(kiln_str a, const char *b)
{
    size_t n = strlen(b);
    return a.n == n && memcmp(a.p, b, n) == 0;
}

static int nargs(tpl_render *r, const tpl_expr *e, kiln_str name, size_t n,
                 size_t lo, size_t hi)
{
    if (n >= lo && n <= hi)
        return 0;
    return tpl_fail(r, KILN_EINVAL, e->pos,
                    "%.*s() takes %zu to %zu "
                    "arguments (%zu given)",
                    (int)name.n, name.p, lo, hi, n);
}

/* items(), keys(), values(), get() of a map or object. */
static int map_method(tpl_render *r, const tpl_expr *e, kiln_value m,
                      kiln_str name, const kiln_value *args, size_t n,
                      kiln_value *out)
{
    int rc;
    if (is(name, "get")) {
        if ((rc = nargs(r, e, name, n, 1, 2)))
            return rc;
        if (args[0].type != KILN_VALUE_STRING ||
            !kiln_value_get(m, args[0].u.s, r->a, out))
            *out = n > 1 ? args[1] : kiln_value_null();
        return 0;
    }
    int what = is(name, "items")    ? 0
               : is(name, "keys")   ? 1
               : is(name, "values") ? 2
                                    : -1;
    if (what < 0)
        return KILN_ENOTFOUND;
    if ((rc = nargs(r, e, name, n, 0, 0)))
        return rc;
    tpl_seq s;
    if ((rc = tpl_seq_init(r, e->pos, m, &s)))
        return rc;
    kiln_value *items =
        kiln_arena_alloc(r->a, (s.n ? s.n : 1) * sizeof(*items));
    if (!items)
        return tpl_nomem(r);
    for (size_t i = 0; i < s.n; i++) {
        kiln_value k, v = {0};
        if ((rc = tpl_seq_at(r, &s, i, &k)))
            return rc;
        if (what != 1)
            kiln_value_get(m, k.u.s, r->a, &v);
        if (what == 0) {
            kiln_value two[2] = {k, v};
            if ((rc = tpl_list_from(r, two, 2, &items[i])))
                return rc;
            items[i].flags = TPL_F_TUPLE;
        } else {
            items[i] = what == 1 ? k : v;
        }
    }
    return tpl_list_from(r, items, s.n, out);
}

/* Python's str.split(sep=None, maxsplit=-1). */
static int str_split(tpl_render *r, const tpl_expr *e, kiln_str s,
                     const kiln_value *args, size_t n, kiln_value *out)
{
    int64_t max = -1;
    kiln_str sep = {0};
    bool have_sep = n > 0 && args[0].type != KILN_VALUE_NULL;
    if (have_sep) {
        if (args[0].type != KILN_VALUE_STRING || args[0].u.s.n == 0)
            return tpl_fail(r, KILN_EINVAL, e->pos,
                            "split() needs a non-empty string separator");
        sep = args[0].u.s;
    }
    if (n > 1) {
        if (args[1].type != KILN_VALUE_INT)
            return tpl_fail(r, KILN_EINVAL, e->pos,
                            "split(): maxsplit must be an integer");
        max = args[1].u.i;
    }
    kiln_value l = kiln_value_list(r->a);
    if (l.type != KILN_VALUE_LIST)
        return tpl_nomem(r);
    size_t i = 0;
    int64_t splits = 0;
    if (have_sep) {
        for (;;) {
            const char *hit = max >= 0 && splits >= max
                                  ? NULL
                                  : memmem(s.p + i, s.n - i, sep.p, sep.n);
            size_t end = hit ? (size_t)(hit - s.p) : s.n;
            if (kiln_value_push(l, tpl_strv(s.p + i, end - i, false)))
                return tpl_nomem(r);
            if (!hit)
                break;
            splits++;
            i = end + sep.n;
        }
    } else {
        for (;;) {
            while (i < s.n) { /* skip whitespace */
                size_t k = i;
                if (!tpl_cp_space(tpl_cp_next(s.p, s.n, &k)))
                    break;
                i = k;
            }
            if (i >= s.n)
                break;
            size_t start = i;
            if (max >= 0 && splits >= max) {
                kiln_str rest = tpl_str_strip((kiln_str){s.p + i, s.n - i},
                                              NULL, false, true);
                if (kiln_value_push(l, tpl_strv(rest.p, rest.n, false)))
                    return tpl_nomem(r);
                break;
            }
            while (i < s.n) {
                size_t k = i;
                if (tpl_cp_space(tpl_cp_next(s.p, s.n, &k)))
                    break;
                i = k;
            }
            if (kiln_value_push(l, tpl_strv(s.p + start, i - start, false)))
                return tpl_nomem(r);
            splits++;
        }
    }
    *out = l;
    return 0;
}

/* startswith/endswith with a string or a tuple of strings. */
static int str_affix(tpl_render *r, const tpl_expr *e, kiln_str s,
                     kiln_value arg, bool end, kiln_value *out)
{
    const kiln_value *cands = &arg;
    size_t nc = 1;
    if (arg.type == KILN_VALUE_LIST) {
        cands = arg.u.list->items;
        nc = arg.u.list->n;
    }
    bool hit = false;
    for (size_t i = 0; i < nc && !hit; i++) {
        if (cands[i].type != KILN_VALUE_STRING)
            return tpl_fail(r, KILN_EINVAL, e->pos,
                            "startswith/endswith need strings");
        kiln_str a = cands[i].u.s;
        hit = a.n <= s.n && memcmp(end ? s.p + s.n - a.n : s.p, a.p, a.n) == 0;
    }
    *out = kiln_value_bool(hit);
    return 0;
}

static int str_method(tpl_render *r, const tpl_expr *e, kiln_value v,
                      kiln_str name, const kiln_value *args, size_t n,
                      kiln_value *out)
{
    kiln_str s = v.u.s;
    bool safe = tpl_is_safe(v);
    int rc;
    static const struct {
        const char *name;
        int mode;
    } cases[] = {{"upper", TPL_CASE_UPPER},
                 {"lower", TPL_CASE_LOWER},
                 {"capitalize", TPL_CASE_CAPITALIZE},
                 {"title", TPL_CASE_PYTITLE}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (is(name, cases[i].name))
            return (rc = nargs(r, e, name, n, 0, 0))
                       ? rc
                       : tpl_str_case(r, s, cases[i].mode, safe, out);
    bool l = is(name, "lstrip"), rt = is(name, "rstrip");
    if (is(name, "strip") || l || rt) {
        if ((rc = nargs(r, e, name, n, 0, 1)))
            return rc;
        kiln_str chars;
        bool have = n && args[0].type != KILN_VALUE_NULL;
        if (have && (rc = tpl_to_str(r, args[0], &chars)))
            return rc;
        s = tpl_str_strip(s, have ? &chars : NULL, !rt, !l);
        *out = tpl_strv(s.p, s.n, safe);
        return 0;
    }
    if (is(name, "startswith") || is(name, "endswith"))
        return (rc = nargs(r, e, name, n, 1, 1))
                   ? rc
                   : str_affix(r, e, s, args[0], name.p[0] == 'e', out);
    if (is(name, "split"))
        return (rc = nargs(r, e, name, n, 0, 2))
                   ? rc
                   : str_split(r, e, s, args, n, out);
    if (is(name, "replace")) {
        kiln_str old, new_;
        if ((rc = nargs(r, e, name, n, 2, 3)) ||
            (rc = tpl_to_str(r, args[0], &old)) ||
            (rc = tpl_to_str(r, args[1], &new_)))
            return rc;
        int64_t count =
            n > 2 && args[2].type == KILN_VALUE_INT ? args[2].u.i : -1;
        return tpl_str_replace(r, s, old, new_, safe && !tpl_is_safe(args[1]),
                               count, safe, out);
    }
    if (is(name, "count") || is(name, "find")) {
        if ((rc = nargs(r, e, name, n, 1, 1)))
            return rc;
        if (args[0].type != KILN_VALUE_STRING)
            return tpl_fail(r, KILN_EINVAL, e->pos, "%.*s() needs a string",
                            (int)name.n, name.p);
        kiln_str sub = args[0].u.s;
        if (name.p[0] == 'f') {
            const char *hit = sub.n ? memmem(s.p, s.n, sub.p, sub.n) : s.p;
            *out = kiln_value_int(
                hit ? (int64_t)tpl_utf8_count(s.p, (size_t)(hit - s.p)) : -1);
            return 0;
        }
        int64_t c = 0;
        if (!sub.n) {
            c = (int64_t)tpl_utf8_count(s.p, s.n) + 1;
        } else {
            for (size_t i = 0; i + sub.n <= s.n;) {
                const char *hit = memmem(s.p + i, s.n - i, sub.p, sub.n);
                if (!hit)
                    break;
                c++;
                i = (size_t)(hit - s.p) + sub.n;
            }
        }
        *out = kiln_value_int(c);
        return 0;
    }
    if (is(name, "join")) {
        if ((rc = nargs(r, e, name, n, 1, 1)))
            return rc;
        tpl_seq seq;
        if ((rc = tpl_seq_init(r, e->pos, args[0], &seq)))
            return rc;
        size_t mark = r->out->n;
        for (size_t i = 0; i < seq.n && !rc; i++) {
            kiln_value it;
            if ((i && (rc = tpl_put(r, s.p, s.n))) ||
                (rc = tpl_seq_at(r, &seq, i, &it)))
                break;
            if (it.type != KILN_VALUE_STRING)
                rc = tpl_fail(r, KILN_EINVAL, e->pos,
                              "join(): item %zu is '%s', not a string", i,
                              tpl_type_name(it));
            else
                rc = tpl_put(r, it.u.s.p, it.u.s.n);
        }
        return tpl_sb_done(r, mark, rc, false, out);
    }
    return KILN_ENOTFOUND;
}

int tpl_call_method(tpl_render *r, const tpl_expr *e, kiln_value obj,
                    kiln_str name, const kiln_value *args, size_t n,
                    kiln_value *out)
{
    switch (obj.type) {
    case KILN_VALUE_MAP:
    case KILN_VALUE_OBJECT:
        return map_method(r, e, obj, name, args, n, out);
    case KILN_VALUE_STRING:
        return str_method(r, e, obj, name, args, n, out);
    case TPL_V_LOOP: {
        tpl_loop *lp = (tpl_loop *)obj.u.pair.a;
        if (is(name, "cycle")) {
            if (!n)
                return tpl_fail(r, KILN_EINVAL, e->pos,
                                "loop.cycle() needs at least one value");
            *out = args[lp->index0 % n];
            return 0;
        }
        if (is(name, "changed")) {
            /* true when the arguments differ from the previous call's */
            kiln_value now;
            int rc = tpl_list_from(r, args, n, &now);
            if (rc)
                return rc;
            bool changed = !lp->has_changed || !tpl_equal(r, now, lp->changed);
            lp->changed = now;
            lp->has_changed = true;
            *out = kiln_value_bool(changed);
            return 0;
        }
        return KILN_ENOTFOUND;
    }
    default:
        return KILN_ENOTFOUND;
    }
}

/* ---- global functions -------------------------------------------------- */

int tpl_func_find(kiln_str name)
{
    if (is(name, "range"))
        return TPL_FUNC_RANGE;
    if (is(name, "dict"))
        return TPL_FUNC_DICT;
    if (is(name, "namespace"))
        return TPL_FUNC_NAMESPACE;
    if (is(name, "url"))
        return TPL_FUNC_URL;
    if (is(name, "csrf_token"))
        return TPL_FUNC_CSRF_TOKEN;
    if (is(name, "csrf_input"))
        return TPL_FUNC_CSRF_INPUT;
    if (is(name, "can"))
        return TPL_FUNC_CAN;
    if (is(name, "vite_assets"))
        return TPL_FUNC_VITE_ASSETS;
    if (is(name, "island"))
        return TPL_FUNC_ISLAND;
    return TPL_FUNC_NONE;
}

static int func_range(tpl_render *r, const tpl_expr *e, const kiln_value *args,
                      size_t n, kiln_value *out)
{
    int64_t v[3] = {0, 0, 1};
    if (n < 1 || n > 3)
        return tpl_fail(r, KILN_EINVAL, e->pos,
                        "range() takes 1 to 3 "
                        "arguments");
    for (size_t i = 0; i < n; i++) {
        if (args[i].type != KILN_VALUE_INT && args[i].type != KILN_VALUE_BOOL)
            return tpl_fail(r, KILN_EINVAL, e->pos,
                            "range() needs integers, "
                            "not '%s'",
                            tpl_type_name(args[i]));
        int64_t x = args[i].type == KILN_VALUE_BOOL ? args[i].u.b : args[i].u.i;
        if (n == 1)
            v[1] = x;
        else
            v[i] = x;
    }
    if (v[2] == 0)
        return tpl_fail(r, KILN_EINVAL, e->pos,
                        "range() step must not be zero");
    /* count in floating point: the bounds are far below 2^53 in practice,
     * and a huge range fails the limit check either way */
    double cnt = v[2] > 0 ? ceil(((double)v[1] - (double)v[0]) / (double)v[2])
                          : ceil(((double)v[0] - (double)v[1]) / (double)-v[2]);
    if (cnt < 0)
        cnt = 0;
    if (cnt > TPL_MAX_RANGE)
        return tpl_fail(r, KILN_ELIMIT, e->pos,
                        "range() too big (more than %d items)", TPL_MAX_RANGE);
    tpl_range *g = kiln_arena_alloc(r->a, sizeof(*g));
    if (!g)
        return tpl_nomem(r);
    g->start = v[0];
    g->step = v[2];
    g->n = (size_t)cnt;
    *out = tpl_undef();
    out->type = TPL_V_RANGE;
    out->u.pair.a = g;
    return 0;
}

/* csrf_token() and csrf_input(): the request's CSRF token (opt.csrf_token),
   alone or as the hidden field of a form (markup: never escaped again). */
static int func_csrf(tpl_render *r, const tpl_expr *e, int id, size_t n,
                     kiln_value *out)
{
    const char *name = id == TPL_FUNC_CSRF_TOKEN ? "csrf_token" : "csrf_input";
    if (n)
        return tpl_fail(r, KILN_EINVAL, e->pos, "%s() takes no arguments",
                        name);
    const kiln_tpl_options *o = &r->set->opt;
    kiln_str t = o->csrf_token ? o->csrf_token(r->a) : KILN_STR_NULL;
    if (!t.p)
        return tpl_fail(r, KILN_EINVAL, e->pos,
                        "%s(): no CSRF token here (it works in a page of a "
                        "project, while a request is served)",
                        name);
    if (id == TPL_FUNC_CSRF_TOKEN) {
        *out = kiln_value_str(t);
        return 0;
    }
    /* the token is base64url: nothing in it needs escaping */
    char *html = kiln_arena_printf(
        r->a, "<input type=\"hidden\" name=\"csrf_token\" value=\"%.*s\">",
        (int)t.n, t.p);
    if (!html)
        return tpl_nomem(r);
    *out = kiln_value_safe(kiln_str_c(html));
    return 0;
}

int tpl_call_func(tpl_render *r, const tpl_expr *e, int id,
                  const kiln_value *args, size_t n, const kiln_str *kw,
                  size_t nkw, kiln_value *out)
{
    if (id == TPL_FUNC_RANGE) {
        if (nkw)
            return tpl_fail(r, KILN_EINVAL, e->pos,
                            "range() takes no keyword arguments");
        return func_range(r, e, args, n, out);
    }
    if (id == TPL_FUNC_URL)
        return tpl_func_url(r, e, args, n, kw, nkw, out);
    if (id == TPL_FUNC_CSRF_TOKEN || id == TPL_FUNC_CSRF_INPUT)
        return func_csrf(r, e, id, n, out);
    if (id == TPL_FUNC_CAN)
        return tpl_func_can(r, e, args, n, nkw, out);
    if (id == TPL_FUNC_VITE_ASSETS)
        return tpl_func_vite_assets(r, e, args, n, nkw, out);
    if (id == TPL_FUNC_ISLAND)
        return tpl_func_island(r, e, args, n, kw, nkw, out);
    /* dict(a=1) and namespace(a=1): keyword arguments become entries;
     * namespace also takes one mapping to copy */
    kiln_value m = kiln_value_map(r->a);
    if (m.type != KILN_VALUE_MAP)
        return tpl_nomem(r);
    size_t npos = n - nkw;
    if (npos > 1 || (npos == 1 && args[0].type != KILN_VALUE_MAP))
        return tpl_fail(r, KILN_EINVAL, e->pos,
                        "%s() takes keyword arguments (or one mapping)",
                        id == TPL_FUNC_DICT ? "dict" : "namespace");
    if (npos == 1) {
        const tpl_map *src = args[0].u.map;
        for (size_t i = 0; i < src->n; i++)
            if (kiln_value_set_str(m, src->items[i].key, src->items[i].v))
                return tpl_nomem(r);
    }
    for (size_t i = 0; i < nkw; i++)
        if (kiln_value_set_str(m, kw[i], args[npos + i]))
            return tpl_nomem(r);
    if (id == TPL_FUNC_NAMESPACE)
        m.flags |= TPL_F_NS;
    *out = m;
    return 0;
}
