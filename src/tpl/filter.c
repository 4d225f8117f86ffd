/*
 * tpl/filter.c - the filters, with Jinja2 3.1's semantics (and MarkupSafe
 * 3's: a filter that keeps a string's type keeps it safe).
 *
 * Each filter gets its input and its arguments by position (the parser
 * bound keywords to positions with the params list of the table at the
 * end); an argument that was not given is undefined with aux == 1.
 * Strings are built in the output buffer and cut out (text.h), lists in the
 * render arena.
 *
 * Kiln's own filter date(format) lives in date.c. Not supported: format,
 * pprint, wordwrap, xmlattr, groupby, random, slice, attr.
 */
#include "tpl/text.h"
#include "tpl/tpl.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- arguments --------------------------------------------------------- */

static bool absent(kiln_value v)
{
    return v.type == TPL_V_UNDEF && v.aux == 1;
}

static int arg_int(tpl_render *r, const tpl_expr *e, kiln_value v, int64_t def,
                   const char *what, int64_t *out)
{
    if (absent(v) || v.type == KILN_VALUE_NULL) {
        *out = def;
        return 0;
    }
    if (v.type == KILN_VALUE_INT || v.type == KILN_VALUE_BOOL) {
        *out = v.type == KILN_VALUE_BOOL ? v.u.b : v.u.i;
        return 0;
    }
    return tpl_fail(r, KILN_EINVAL, e->pos, "%s must be an integer, not '%s'",
                    what, tpl_type_name(v));
}

static bool arg_bool(tpl_render *r, kiln_value v, bool def)
{
    return absent(v) ? def : tpl_truthy(r, v);
}

static int arg_str(tpl_render *r, kiln_value v, const char *def, kiln_str *out)
{
    if (absent(v)) {
        *out = kiln_str_c(def);
        return 0;
    }
    return tpl_to_str(r, v, out);
}

/* str(v) keeping a safe string safe (Jinja's soft_str). */
static int soft_str(tpl_render *r, kiln_value v, kiln_str *s, bool *safe)
{
    *safe = r->autoescape && tpl_is_safe(v);
    return tpl_to_str(r, v, s);
}

static int list_out(tpl_render *r, const kiln_value *items, size_t n,
                    bool tuple, kiln_value *out)
{
    int rc = tpl_list_from(r, items, n, out);
    if (!rc && tuple)
        out->flags = TPL_F_TUPLE;
    return rc;
}

/* A (k, v) tuple. */
static int pair(tpl_render *r, kiln_value k, kiln_value v, kiln_value *out)
{
    kiln_value two[2] = {k, v};
    return list_out(r, two, 2, true, out);
}

/* Materialises the sequence of v (an error for non-iterables). */
static int seq_items(tpl_render *r, const tpl_expr *e, kiln_value v,
                     kiln_value **items, size_t *n)
{
    tpl_seq s;
    int rc = tpl_seq_init(r, e->pos, v, &s);
    if (rc)
        return rc;
    *n = s.n;
    if (s.items) {
        *items = (kiln_value *)s.items;
        return 0;
    }
    kiln_value *it = kiln_arena_alloc(r->a, (s.n ? s.n : 1) * sizeof(*it));
    if (!it)
        return tpl_nomem(r);
    for (size_t i = 0; i < s.n; i++)
        if ((rc = tpl_seq_at(r, &s, i, &it[i])))
            return rc;
    *items = it;
    return 0;
}

/*
 * Jinja's make_attrgetter: follows a dotted path ("a.b", "rows.0") in v;
 * an integer part indexes. Missing gives undefined.
 */
static int attr_path(tpl_render *r, const tpl_expr *e, kiln_value v,
                     kiln_str path, kiln_value *out)
{
    size_t i = 0;
    while (i <= path.n) {
        size_t j = i;
        while (j < path.n && path.p[j] != '.')
            j++;
        kiln_str part = {path.p + i, j - i};
        kiln_value key = tpl_strv(part.p, part.n, false), next;
        int64_t idx;
        if (part.n && kiln_str_to_i64(part, &idx) == 0)
            key = kiln_value_int(idx);
        bool found;
        int rc = tpl_getitem(r, e, v, key, &next, &found);
        if (rc)
            return rc;
        if (!found) {
            *out = tpl_undef();
            return 0;
        }
        v = next;
        i = j + 1;
    }
    *out = v;
    return 0;
}

/* ---- sorting ----------------------------------------------------------- */

typedef struct sort_ctx {
    tpl_render *r;
    const tpl_expr *e;
    const kiln_value *keys;
    bool fold, reverse;
    int rc;
} sort_ctx;

/* Python's a < b on sort keys (strings compared folded when fold). */
static int key_cmp(sort_ctx *c, kiln_value a, kiln_value b)
{
    if (c->fold && a.type == KILN_VALUE_STRING && b.type == KILN_VALUE_STRING)
        return tpl_str_fold_cmp(a.u.s, b.u.s);
    int cmp;
    if (tpl_compare(c->r, a, b, &cmp) != 0) {
        if (!c->rc)
            c->rc = tpl_fail(c->r, KILN_EINVAL, c->e->pos,
                             "cannot order '%s' and '%s'", tpl_type_name(a),
                             tpl_type_name(b));
        return 0;
    }
    return cmp == 2 ? 0 : cmp;
}

/* True when item j must come before item i (a strict "less"). */
static bool sort_before(sort_ctx *c, size_t j, size_t i)
{
    int cmp = key_cmp(c, c->keys[j], c->keys[i]);
    return c->reverse ? cmp > 0 : cmp < 0;
}

/* Stable merge sort of the index array idx[0..n) (tmp: n scratch). */
static void merge_sort(sort_ctx *c, size_t *idx, size_t *tmp, size_t n)
{
    if (n < 2 || c->rc)
        return;
    size_t h = n / 2;
    merge_sort(c, idx, tmp, h);
    merge_sort(c, idx + h, tmp, n - h);
    size_t a = 0, b = h, k = 0;
    while (a < h && b < n)
        tmp[k++] = sort_before(c, idx[b], idx[a]) ? idx[b++] : idx[a++];
    while (a < h)
        tmp[k++] = idx[a++];
    while (b < n)
        tmp[k++] = idx[b++];
    memcpy(idx, tmp, n * sizeof(*idx));
}

/* Sorts items by keys; writes the sorted items to *out (arena). */
static int sort_items(tpl_render *r, const tpl_expr *e, const kiln_value *items,
                      const kiln_value *keys, size_t n, bool fold, bool reverse,
                      kiln_value **out)
{
    size_t *idx = kiln_arena_alloc(r->a, (n ? n : 1) * 2 * sizeof(size_t));
    kiln_value *res = kiln_arena_alloc(r->a, (n ? n : 1) * sizeof(*res));
    if (!idx || !res)
        return tpl_nomem(r);
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    sort_ctx c = {r, e, keys, fold, reverse, 0};
    merge_sort(&c, idx, idx + n, n);
    if (c.rc)
        return c.rc;
    for (size_t i = 0; i < n; i++)
        res[i] = items[idx[i]];
    *out = res;
    return 0;
}

/* Keys for sort/min/max/unique: the attribute path of each item or the
 * item itself. */
static int item_keys(tpl_render *r, const tpl_expr *e, const kiln_value *items,
                     size_t n, kiln_value attr, kiln_value **keys)
{
    if (absent(attr) || attr.type == KILN_VALUE_NULL) {
        *keys = (kiln_value *)items;
        return 0;
    }
    kiln_str path;
    int rc = tpl_to_str(r, attr, &path);
    kiln_value *k = kiln_arena_alloc(r->a, (n ? n : 1) * sizeof(*k));
    if (rc || !k)
        return rc ? rc : tpl_nomem(r);
    for (size_t i = 0; i < n; i++)
        if ((rc = attr_path(r, e, items[i], path, &k[i])))
            return rc;
    *keys = k;
    return 0;
}

/* ---- the filters ------------------------------------------------------- */

#define FILTER(name)                                                           \
    static int f_##name(tpl_render *r, const tpl_expr *e, kiln_value in,       \
                        const kiln_value *args, kiln_value *out)

FILTER(abs)
{
    (void)args;
    if (in.type == KILN_VALUE_FLOAT) {
        *out = kiln_value_float(fabs(in.u.f));
        return 0;
    }
    if (in.type == KILN_VALUE_INT || in.type == KILN_VALUE_BOOL) {
        int64_t v = in.type == KILN_VALUE_BOOL ? in.u.b : in.u.i;
        if (v == INT64_MIN)
            return tpl_fail(r, KILN_EINVAL, e->pos, "integer overflow");
        *out = kiln_value_int(v < 0 ? -v : v);
        return 0;
    }
    return tpl_fail(r, KILN_EINVAL, e->pos, "bad operand type for abs(): '%s'",
                    tpl_type_name(in));
}

FILTER(batch)
{
    int64_t size = 0;
    kiln_value *items = NULL;
    size_t n;
    int rc = arg_int(r, e, args[0], 1, "batch size", &size);
    if (rc || (rc = seq_items(r, e, in, &items, &n)))
        return rc;
    if (size < 1)
        return tpl_fail(r, KILN_EINVAL, e->pos, "batch size must be >= 1");
    bool fill = !absent(args[1]) && args[1].type != KILN_VALUE_NULL;
    size_t nb = n ? (n - 1) / (size_t)size + 1 : 0;
    kiln_value *batches =
        kiln_arena_alloc(r->a, (nb ? nb : 1) * sizeof(*batches));
    if (!batches)
        return tpl_nomem(r);
    for (size_t b = 0; b < nb; b++) {
        size_t from = b * (size_t)size, cnt = n - from;
        if (cnt > (size_t)size)
            cnt = (size_t)size;
        kiln_value l = kiln_value_list(r->a);
        if (l.type != KILN_VALUE_LIST)
            return tpl_nomem(r);
        for (size_t i = 0; i < (fill ? (size_t)size : cnt); i++)
            if (kiln_value_push(l, i < cnt ? items[from + i] : args[1]))
                return tpl_nomem(r);
        batches[b] = l;
    }
    return list_out(r, batches, nb, false, out);
}

/* upper, lower, capitalize, title: safe stays safe except for title */
static int case_filter(tpl_render *r, kiln_value in, int mode, kiln_value *out)
{
    kiln_str s;
    bool safe;
    int rc = soft_str(r, in, &s, &safe);
    return rc ? rc
              : tpl_str_case(r, s, mode, safe && mode != TPL_CASE_TITLE, out);
}

FILTER(upper)
{
    (void)e, (void)args;
    return case_filter(r, in, TPL_CASE_UPPER, out);
}

FILTER(lower)
{
    (void)e, (void)args;
    return case_filter(r, in, TPL_CASE_LOWER, out);
}

FILTER(capitalize)
{
    (void)e, (void)args;
    return case_filter(r, in, TPL_CASE_CAPITALIZE, out);
}

FILTER(title)
{
    (void)e, (void)args;
    return case_filter(r, in, TPL_CASE_TITLE, out);
}

FILTER(center)
{
    int64_t width = 0;
    kiln_str s;
    bool safe;
    int rc = arg_int(r, e, args[0], 80, "width", &width);
    if (rc || (rc = soft_str(r, in, &s, &safe)))
        return rc;
    int64_t len = (int64_t)tpl_utf8_count(s.p, s.n);
    if (width > (int64_t)(1 << 20))
        return tpl_fail(r, KILN_ELIMIT, e->pos, "width too large");
    if (len >= width) {
        *out = tpl_strv(s.p, s.n, safe);
        return 0;
    }
    int64_t marg = width - len, left = marg / 2 + (marg & width & 1);
    size_t mark = r->out->n;
    for (int64_t i = 0; i < left && !rc; i++)
        rc = tpl_put(r, " ", 1);
    if (!rc)
        rc = tpl_put(r, s.p, s.n);
    for (int64_t i = 0; i < marg - left && !rc; i++)
        rc = tpl_put(r, " ", 1);
    return tpl_sb_done(r, mark, rc, safe, out);
}

FILTER(default)
{
    (void)e;
    bool boolean = arg_bool(r, args[1], false);
    if (tpl_is_undef(in) || (boolean && !tpl_truthy(r, in))) {
        *out = absent(args[0]) ? tpl_strv("", 0, false) : args[0];
        return 0;
    }
    *out = in;
    return 0;
}

FILTER(dictsort)
{
    if (in.type != KILN_VALUE_MAP && in.type != KILN_VALUE_OBJECT)
        return tpl_fail(r, KILN_EINVAL, e->pos,
                        "dictsort needs a mapping, not '%s'",
                        tpl_type_name(in));
    bool fold = !arg_bool(r, args[0], false),
         reverse = arg_bool(r, args[2], false);
    kiln_str by;
    int rc = arg_str(r, args[1], "key", &by);
    if (rc)
        return rc;
    bool by_value = kiln_str_eq(by, KILN_STR("value"));
    if (!by_value && !kiln_str_eq(by, KILN_STR("key")))
        return tpl_fail(r, KILN_EINVAL, e->pos,
                        "dictsort: by must be 'key' or 'value'");
    kiln_value *keys = NULL;
    size_t n;
    if ((rc = seq_items(r, e, in, &keys, &n)))
        return rc;
    kiln_value *pairs = kiln_arena_alloc(r->a, (n ? n : 1) * sizeof(*pairs));
    kiln_value *sk = kiln_arena_alloc(r->a, (n ? n : 1) * sizeof(*sk));
    if (!pairs || !sk)
        return tpl_nomem(r);
    for (size_t i = 0; i < n; i++) {
        kiln_value v = {0};
        kiln_value_get(in, keys[i].u.s, r->a, &v);
        sk[i] = by_value ? v : keys[i];
        if ((rc = pair(r, keys[i], v, &pairs[i])))
            return rc;
    }
    kiln_value *sorted = NULL;
    if ((rc = sort_items(r, e, pairs, sk, n, fold, reverse, &sorted)))
        return rc;
    return list_out(r, sorted, n, false, out);
}

FILTER(escape)
{
    (void)e, (void)args;
    if (tpl_is_safe(in)) {
        *out = in;
        return 0;
    }
    size_t mark = r->out->n;
    return tpl_sb_done(r, mark, tpl_write_str(r, in, true), true, out);
}

FILTER(forceescape)
{
    (void)e, (void)args;
    size_t mark = r->out->n;
    return tpl_sb_done(r, mark, tpl_write_str(r, in, true), true, out);
}

FILTER(first)
{
    (void)args;
    tpl_seq s;
    int rc = tpl_seq_init(r, e->pos, in, &s);
    if (rc)
        return rc;
    if (!s.n) {
        *out = tpl_undef();
        return 0;
    }
    return tpl_seq_at(r, &s, 0, out);
}

FILTER(last)
{
    (void)args;
    tpl_seq s;
    int rc = tpl_seq_init(r, e->pos, in, &s);
    if (rc)
        return rc;
    if (!s.n) {
        *out = tpl_undef();
        return 0;
    }
    return tpl_seq_at(r, &s, s.n - 1, out);
}

/* Parses s as Python's float() would (whitespace, _, inf, nan). */
static bool parse_float(kiln_str s, double *out)
{
    s = tpl_str_strip(s, NULL, true, true);
    char buf[128];
    size_t w = 0;
    if (s.n == 0 || s.n >= sizeof(buf))
        return false;
    for (size_t i = 0; i < s.n; i++) {
        char c = s.p[i];
        if (c == '_') {
            /* only between digits */
            if (!i || i + 1 >= s.n ||
                !(s.p[i - 1] >= '0' && s.p[i - 1] <= '9') ||
                !(s.p[i + 1] >= '0' && s.p[i + 1] <= '9'))
                return false;
            continue;
        }
        if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' ||
              c == '+' || c == '-' || (c | 32) == 'i' || (c | 32) == 'n' ||
              (c | 32) == 'f' || (c | 32) == 't' || (c | 32) == 'y' ||
              (c | 32) == 'a'))
            return false;
        buf[w++] = c;
    }
    buf[w] = '\0';
    /* strtod also takes hex floats and "infinity"/"nan(...)"; Python takes
     * "inf", "infinity", "nan" in any case but no hex */
    if (strchr(buf, 'x') || strchr(buf, 'X') || strchr(buf, '('))
        return false;
    char *end;
    *out = strtod(buf, &end);
    return end == buf + w;
}

/* Parses s as Python's int(s, base) (base 0 or 2..36). */
static bool parse_int(kiln_str s, int base, int64_t *out)
{
    s = tpl_str_strip(s, NULL, true, true);
    size_t i = 0;
    bool neg = false;
    if (i < s.n && (s.p[i] == '+' || s.p[i] == '-'))
        neg = s.p[i++] == '-';
    if (i + 1 < s.n && s.p[i] == '0') {
        char p = (char)(s.p[i + 1] | 32);
        int pb = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 0;
        if (pb && (base == 0 || base == pb)) {
            base = pb;
            i += 2;
            if (i < s.n && s.p[i] == '_')
                i++;
        }
    }
    if (base == 0)
        base = 10;
    if (i >= s.n)
        return false;
    uint64_t v = 0;
    bool digit_before = false;
    for (; i < s.n; i++) {
        char c = s.p[i];
        if (c == '_' && digit_before && i + 1 < s.n && s.p[i + 1] != '_') {
            digit_before = false;
            continue;
        }
        int d = c >= '0' && c <= '9'                 ? c - '0'
                : (c | 32) >= 'a' && (c | 32) <= 'z' ? (c | 32) - 'a' + 10
                                                     : 99;
        if (d >= base)
            return false;
        if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
            return false;
        v = v * (uint64_t)base + (uint64_t)d;
        digit_before = true;
    }
    if (!digit_before || v > (uint64_t)INT64_MAX + neg)
        return false;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

FILTER(int)
{
    int64_t base = 10, v = 0;
    int rc = arg_int(r, e, args[1], 10, "base", &base);
    if (rc)
        return rc;
    kiln_value def = absent(args[0]) ? kiln_value_int(0) : args[0];
    double d;
    switch (in.type) {
    case KILN_VALUE_INT:
        *out = in;
        return 0;
    case KILN_VALUE_BOOL:
        *out = kiln_value_int(in.u.b);
        return 0;
    case KILN_VALUE_FLOAT:
        d = in.u.f;
        break;
    case KILN_VALUE_STRING:
        if ((base == 0 || (base >= 2 && base <= 36)) &&
            parse_int(in.u.s, (int)base, &v)) {
            *out = kiln_value_int(v);
            return 0;
        }
        if (!parse_float(in.u.s, &d)) {
            *out = def;
            return 0;
        }
        break;
    default:
        *out = def;
        return 0;
    }
    if (!isfinite(d) || d >= 9223372036854775808.0 ||
        d < -9223372036854775808.0) {
        *out = def;
        return 0;
    }
    *out = kiln_value_int((int64_t)d);
    return 0;
}

FILTER(float)
{
    (void)r, (void)e;
    kiln_value def = absent(args[0]) ? kiln_value_float(0.0) : args[0];
    double d;
    if (tpl_is_number(in)) {
        *out = kiln_value_float(tpl_num(in));
    } else if (in.type == KILN_VALUE_STRING && parse_float(in.u.s, &d)) {
        *out = kiln_value_float(d);
    } else {
        *out = def;
    }
    return 0;
}

FILTER(filesizeformat)
{
    bool binary = arg_bool(r, args[0], false);
    if (!tpl_is_number(in))
        return tpl_fail(r, KILN_EINVAL, e->pos,
                        "filesizeformat needs a number");
    double bytes = tpl_num(in), base = binary ? 1024 : 1000;
    static const char *const dec[] = {"kB", "MB", "GB", "TB",
                                      "PB", "EB", "ZB", "YB"};
    static const char *const bin[] = {"KiB", "MiB", "GiB", "TiB",
                                      "PiB", "EiB", "ZiB", "YiB"};
    char buf[64];
    if (bytes == 1)
        snprintf(buf, sizeof(buf), "1 Byte");
    else if (bytes < base)
        snprintf(buf, sizeof(buf), "%lld Bytes", (long long)bytes);
    else {
        int i = 0;
        double unit = base * base;
        while (i < 7 && bytes >= unit) {
            unit *= base;
            i++;
        }
        snprintf(buf, sizeof(buf), "%.1f %s", base * bytes / unit,
                 binary ? bin[i] : dec[i]);
    }
    *out = kiln_value_str_copy(r->a, kiln_str_c(buf));
    return out->type == KILN_VALUE_STRING ? 0 : tpl_nomem(r);
}

FILTER(indent)
{
    /* Jinja: lines = s.split("\n"); lines after the first are indented
     * unless blank (or always, with blank=true); first=true indents the
     * first too */
    kiln_str s, ind = {"", 0};
    bool safe;
    int64_t width = 4;
    int rc = 0;
    char spaces[256];
    if (args[0].type == KILN_VALUE_STRING)
        ind = args[0].u.s;
    else if (!(rc = arg_int(r, e, args[0], 4, "width", &width)) &&
             (width < 0 || width > (int64_t)sizeof(spaces)))
        return tpl_fail(r, KILN_EINVAL, e->pos, "indent width out of range");
    if (rc || (rc = soft_str(r, in, &s, &safe)))
        return rc;
    if (args[0].type != KILN_VALUE_STRING) {
        memset(spaces, ' ', (size_t)width);
        ind = (kiln_str){spaces, (size_t)width};
    }
    bool first = arg_bool(r, args[1], false),
         blank = arg_bool(r, args[2], false);
    size_t mark = r->out->n, i = 0;
    for (bool line1 = true; !rc; line1 = false) {
        const char *nl = memchr(s.p + i, '\n', s.n - i);
        size_t end = nl ? (size_t)(nl - s.p) : s.n;
        if (!line1)
            rc = tpl_put(r, "\n", 1);
        if (!rc && (line1 ? first : blank || end > i))
            rc = tpl_put(r, ind.p, ind.n);
        if (!rc)
            rc = tpl_put(r, s.p + i, end - i);
        if (!nl)
            break;
        i = end + 1;
    }
    return tpl_sb_done(r, mark, rc, safe, out);
}

FILTER(items)
{
    (void)args;
    if (tpl_is_undef(in))
        return list_out(r, NULL, 0, false, out);
    if (in.type != KILN_VALUE_MAP && in.type != KILN_VALUE_OBJECT)
        return tpl_fail(r, KILN_EINVAL, e->pos,
                        "can only get item pairs from a mapping");
    return tpl_call_method(r, e, in, KILN_STR("items"), NULL, 0, out);
}

FILTER(join)
{
    kiln_value *items = NULL;
    size_t n;
    int rc = seq_items(r, e, in, &items, &n);
    kiln_value *vals = items;
    if (!rc && !absent(args[1]) && args[1].type != KILN_VALUE_NULL)
        rc = item_keys(r, e, items, n, args[1], &vals);
    if (rc)
        return rc;
    kiln_value d = absent(args[0]) ? tpl_strv("", 0, false) : args[0];
    bool safe = r->autoescape && tpl_is_safe(d);
    for (size_t i = 0; i < n && r->autoescape; i++)
        safe |= tpl_is_safe(vals[i]);
    size_t mark = r->out->n;
    for (size_t i = 0; i < n && !rc; i++) {
        if (i)
            rc = tpl_write_str(r, d, safe && !tpl_is_safe(d));
        if (!rc)
            rc = tpl_write_str(r, vals[i], safe && !tpl_is_safe(vals[i]));
    }
    return tpl_sb_done(r, mark, rc, safe, out);
}

FILTER(json)
{
    int64_t indent = 0;
    int rc = arg_int(r, e, args[0], 0, "indent", &indent);
    if (rc)
        return rc;
    size_t mark = r->out->n;
    rc = tpl_write_json(r, e, in,
                        indent < 0    ? 0
                        : indent > 64 ? 64
                                      : (int)indent);
    return tpl_sb_done(r, mark, rc, true, out);
}

FILTER(length)
{
    (void)args;
    size_t n;
    if (!tpl_len(r, in, &n))
        return tpl_fail(r, KILN_EINVAL, e->pos,
                        "object of type '%s' has no "
                        "len()",
                        tpl_type_name(in));
    *out = kiln_value_int((int64_t)n);
    return 0;
}

FILTER(list)
{
    (void)args;
    kiln_value *items = NULL;
    size_t n;
    int rc = seq_items(r, e, in, &items, &n);
    return rc ? rc : list_out(r, items, n, false, out);
}

/* Applies filter or test `name` (looked up now) to v. */
static int apply_named(tpl_render *r, const tpl_expr *e, bool test,
                       kiln_value name, kiln_value arg, kiln_value v,
                       kiln_value *out)
{
    if (name.type != KILN_VALUE_STRING)
        return tpl_fail(r, KILN_EINVAL, e->pos, "%s name must be a string",
                        test ? "test" : "filter");
    kiln_value args[TPL_MAX_ARGS];
    for (size_t i = 0; i < TPL_MAX_ARGS; i++) {
        args[i] = tpl_undef();
        args[i].aux = 1;
    }
    if (!absent(arg))
        args[0] = arg;
    if (test) {
        const tpl_test_def *t = tpl_test_find(name.u.s);
        bool res = false;
        if (!t)
            return tpl_fail(r, KILN_EINVAL, e->pos, "unknown test '%.*s'",
                            (int)name.u.s.n, name.u.s.p);
        if (t->nreq > (absent(arg) ? 0 : 1))
            return tpl_fail(r, KILN_EINVAL, e->pos,
                            "test '%.*s' needs an "
                            "argument",
                            (int)name.u.s.n, name.u.s.p);
        int rc = t->fn(r, e, v, args, &res);
        if (!rc)
            *out = kiln_value_bool(res);
        return rc;
    }
    const tpl_filter_def *f = tpl_filter_find(name.u.s);
    if (!f)
        return tpl_fail(r, KILN_EINVAL, e->pos, "unknown filter '%.*s'",
                        (int)name.u.s.n, name.u.s.p);
    if (f->nreq)
        return tpl_fail(r, KILN_EINVAL, e->pos,
                        "filter '%.*s' needs "
                        "arguments",
                        (int)name.u.s.n, name.u.s.p);
    return f->fn(r, e, v, args, out);
}

FILTER(map)
{
    kiln_value *items = NULL;
    size_t n;
    int rc = seq_items(r, e, in, &items, &n);
    if (rc)
        return rc;
    kiln_value *res = kiln_arena_alloc(r->a, (n ? n : 1) * sizeof(*res));
    if (!res)
        return tpl_nomem(r);
    bool by_attr = !absent(args[1]);
    if (!by_attr && absent(args[0]))
        return tpl_fail(r, KILN_EINVAL, e->pos,
                        "map needs a filter name or attribute=");
    kiln_str path = {0};
    if (by_attr && (rc = tpl_to_str(r, args[1], &path)))
        return rc;
    for (size_t i = 0; i < n && !rc; i++) {
        if (!by_attr) {
            rc = apply_named(r, e, false, args[0], tpl_undef(), items[i],
                             &res[i]);
            continue;
        }
        rc = attr_path(r, e, items[i], path, &res[i]);
        if (!rc && tpl_is_undef(res[i]) && !absent(args[2]))
            res[i] = args[2];
    }
    return rc ? rc : list_out(r, res, n, false, out);
}

/* select, reject, selectattr, rejectattr. */
static int select_common(tpl_render *r, const tpl_expr *e, kiln_value in,
                         const kiln_value *args, bool attr, bool keep,
                         kiln_value *out)
{
    kiln_value *items = NULL;
    size_t n;
    int rc = seq_items(r, e, in, &items, &n);
    kiln_value *res =
        rc ? NULL : kiln_arena_alloc(r->a, (n ? n : 1) * sizeof(*res));
    if (rc || !res)
        return rc ? rc : tpl_nomem(r);
    kiln_str path = {0};
    if (attr && (rc = tpl_to_str(r, args[0], &path)))
        return rc;
    const kiln_value *targs = attr ? args + 1 : args;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        kiln_value v = items[i], t;
        if (attr && (rc = attr_path(r, e, v, path, &v)))
            return rc;
        if (absent(targs[0]))
            t = kiln_value_bool(tpl_truthy(r, v));
        else if ((rc = apply_named(r, e, true, targs[0], targs[1], v, &t)))
            return rc;
        if (t.u.b == keep)
            res[k++] = items[i];
    }
    return list_out(r, res, k, false, out);
}

FILTER(select)
{
    return select_common(r, e, in, args, false, true, out);
}

FILTER(reject)
{
    return select_common(r, e, in, args, false, false, out);
}

FILTER(selectattr)
{
    return select_common(r, e, in, args, true, true, out);
}

FILTER(rejectattr)
{
    return select_common(r, e, in, args, true, false, out);
}

/* min and max: the first item whose key is smallest/largest. */
static int min_max(tpl_render *r, const tpl_expr *e, kiln_value in,
                   const kiln_value *args, bool max, kiln_value *out)
{
    kiln_value *items = NULL, *keys = NULL;
    size_t n;
    int rc = seq_items(r, e, in, &items, &n);
    if (rc || (rc = item_keys(r, e, items, n, args[1], &keys)))
        return rc;
    if (!n) {
        *out = tpl_undef();
        return 0;
    }
    sort_ctx c = {r, e, keys, !arg_bool(r, args[0], false), false, 0};
    size_t best = 0;
    for (size_t i = 1; i < n && !c.rc; i++) {
        int cmp = key_cmp(&c, keys[i], keys[best]);
        if (max ? cmp > 0 : cmp < 0)
            best = i;
    }
    *out = items[best];
    return c.rc;
}

FILTER(max)
{
    return min_max(r, e, in, args, true, out);
}

FILTER(min)
{
    return min_max(r, e, in, args, false, out);
}

FILTER(replace)
{
    kiln_str s, old, new_;
    int64_t count = -1;
    int rc = arg_int(r, e, args[2], -1, "count", &count);
    if (rc || (rc = tpl_to_str(r, in, &s)) ||
        (rc = tpl_to_str(r, args[0], &old)) ||
        (rc = tpl_to_str(r, args[1], &new_)))
        return rc;
    if (!r->autoescape)
        return tpl_str_replace(r, s, old, new_, false, count, false, out);
    /* Jinja's do_replace with MarkupSafe 3: a safe old or new makes the
     * input markup (escaped); Markup.replace escapes new, not old */
    bool s_safe = tpl_is_safe(in), old_safe = tpl_is_safe(args[0]),
         new_safe = tpl_is_safe(args[1]);
    if (!(old_safe || (new_safe && !s_safe)) && !s_safe)
        return tpl_str_replace(r, s, old, new_, false, count, false, out);
    if (!s_safe) {
        kiln_value esc;
        size_t mark = r->out->n;
        if ((rc = tpl_sb_done(r, mark, tpl_put_escaped(r, s.p, s.n), true,
                              &esc)))
            return rc;
        s = esc.u.s;
    }
    return tpl_str_replace(r, s, old, new_, !new_safe, count, true, out);
}

FILTER(reverse)
{
    (void)args;
    if (in.type == KILN_VALUE_STRING) {
        size_t mark = r->out->n, end = in.u.s.n;
        int rc = 0;
        while (end > 0 && !rc) {
            size_t k = end - 1;
            while (k > 0 && ((unsigned char)in.u.s.p[k] & 0xC0) == 0x80)
                k--;
            rc = tpl_put(r, in.u.s.p + k, end - k);
            end = k;
        }
        return tpl_sb_done(r, mark, rc, tpl_is_safe(in), out);
    }
    kiln_value *items = NULL;
    size_t n;
    int rc = seq_items(r, e, in, &items, &n);
    kiln_value *res =
        rc ? NULL : kiln_arena_alloc(r->a, (n ? n : 1) * sizeof(*res));
    if (rc || !res)
        return rc ? rc : tpl_nomem(r);
    for (size_t i = 0; i < n; i++)
        res[i] = items[n - 1 - i];
    return list_out(r, res, n, false, out);
}

FILTER(round)
{
    int64_t prec = 0;
    kiln_str method;
    int rc = arg_int(r, e, args[0], 0, "precision", &prec);
    if (rc || (rc = arg_str(r, args[1], "common", &method)))
        return rc;
    bool common = kiln_str_eq(method, KILN_STR("common"));
    bool ceil_ = kiln_str_eq(method, KILN_STR("ceil"));
    if (!common && !ceil_ && !kiln_str_eq(method, KILN_STR("floor")))
        return tpl_fail(r, KILN_EINVAL, e->pos,
                        "method must be common, ceil or floor");
    if (!tpl_is_number(in))
        return tpl_fail(r, KILN_EINVAL, e->pos, "cannot round '%s'",
                        tpl_type_name(in));
    if (prec > 300)
        prec = 300;
    if (prec < -300)
        prec = -300;
    double x = tpl_num(in);
    if (common) {
        /* round(x, p): ints stay ints (when p >= 0); floats round half
         * to even on their exact value, as printf does */
        if (in.type != KILN_VALUE_FLOAT) {
            /* round(int, p) is an int; p < 0 rounds half to even */
            int64_t v = in.type == KILN_VALUE_BOOL ? in.u.b : in.u.i, p = 1;
            for (int64_t k = 0; k < -prec && p; k++)
                p = p <= INT64_MAX / 10 ? p * 10 : 0;
            if (prec < 0 && !p)
                v = 0;
            else if (prec < 0) {
                int64_t q = v / p, rem = v % p;
                if (rem < 0) {
                    q--;
                    rem += p;
                }
                if (rem * 2 > p || (rem * 2 == p && (q & 1)))
                    q++;
                if (__builtin_mul_overflow(q, p, &v))
                    return tpl_fail(r, KILN_EINVAL, e->pos, "integer overflow");
            }
            *out = kiln_value_int(v);
            return 0;
        }
        if (!isfinite(x)) {
            *out = kiln_value_float(x);
            return 0;
        }
        if (prec >= 0) {
            char buf[400];
            snprintf(buf, sizeof(buf), "%.*f", (int)prec, x);
            *out = kiln_value_float(strtod(buf, NULL));
        } else {
            double p = pow(10.0, (double)-prec);
            *out = kiln_value_float(nearbyint(x / p) * p);
        }
        return 0;
    }
    double p = pow(10.0, (double)prec);
    double v = ceil_ ? ceil(x * p) : floor(x * p);
    *out = kiln_value_float(v / p);
    return 0;
}

FILTER(safe)
{
    (void)e, (void)args;
    kiln_str s;
    int rc = tpl_to_str(r, in, &s);
    if (!rc)
        *out = tpl_strv(s.p, s.n, true);
    return rc;
}

FILTER(sort)
{
    kiln_value *items = NULL, *keys = NULL, *sorted = NULL;
    size_t n;
    int rc = seq_items(r, e, in, &items, &n);
    if (rc || (rc = item_keys(r, e, items, n, args[2], &keys)) ||
        (rc = sort_items(r, e, items, keys, n, !arg_bool(r, args[1], false),
                         arg_bool(r, args[0], false), &sorted)))
        return rc;
    return list_out(r, sorted, n, false, out);
}

FILTER(string)
{
    (void)e, (void)args;
    kiln_str s;
    bool safe;
    int rc = soft_str(r, in, &s, &safe);
    if (!rc)
        *out = tpl_strv(s.p, s.n, safe);
    return rc;
}

/* Decodes the HTML character reference at s[*i] ('&'); false if none. */
static bool html_entity(kiln_str s, size_t *i, uint32_t *cp)
{
    static const struct {
        const char *name;
        uint32_t cp;
    } ents[] = {{"amp", '&'},      {"lt", '<'},       {"gt", '>'},
                {"quot", '"'},     {"apos", '\''},    {"nbsp", 0xA0},
                {"copy", 0xA9},    {"reg", 0xAE},     {"mdash", 0x2014},
                {"ndash", 0x2013}, {"hellip", 0x2026}};
    size_t k = *i + 1;
    if (k < s.n && s.p[k] == '#') {
        bool hex = k + 1 < s.n && (s.p[k + 1] | 32) == 'x';
        size_t d = k + 1 + hex;
        uint32_t v = 0;
        size_t nd = 0;
        for (; d < s.n && nd < 8; d++, nd++) {
            char c = s.p[d];
            int x = c >= '0' && c <= '9' ? c - '0'
                    : hex && (c | 32) >= 'a' && (c | 32) <= 'f'
                        ? (c | 32) - 'a' + 10
                        : -1;
            if (x < 0)
                break;
            v = v * (hex ? 16 : 10) + (uint32_t)x;
        }
        if (!nd || d >= s.n || s.p[d] != ';' || v > 0x10FFFF ||
            (v >= 0xD800 && v <= 0xDFFF) || v == 0)
            return false;
        *cp = v;
        *i = d + 1;
        return true;
    }
    for (size_t j = 0; j < sizeof(ents) / sizeof(ents[0]); j++) {
        size_t n = strlen(ents[j].name);
        if (k + n < s.n && memcmp(s.p + k, ents[j].name, n) == 0 &&
            s.p[k + n] == ';') {
            *cp = ents[j].cp;
            *i = k + n + 1;
            return true;
        }
    }
    return false;
}

FILTER(striptags)
{
    (void)e, (void)args;
    kiln_str s;
    int rc = tpl_to_str(r, in, &s);
    if (rc)
        return rc;
    /* drop comments and tags, collapse whitespace, then decode entities */
    size_t mark = r->out->n, i = 0;
    bool space = false, any = false;
    while (i < s.n && !rc) {
        if (s.p[i] == '<') {
            const char *end;
            if (s.n - i >= 4 && memcmp(s.p + i, "<!--", 4) == 0 &&
                (end = memmem(s.p + i + 4, s.n - i - 4, "-->", 3))) {
                i = (size_t)(end - s.p) + 3;
                continue;
            }
            if ((end = memchr(s.p + i + 1, '>', s.n - i - 1))) {
                i = (size_t)(end - s.p) + 1;
                continue;
            }
        }
        size_t at = i;
        uint32_t cp = tpl_cp_next(s.p, s.n, &i);
        if (tpl_cp_space(cp)) {
            space = any;
            continue;
        }
        if (space && (rc = tpl_put(r, " ", 1)))
            break;
        space = false;
        any = true;
        size_t j = at;
        uint32_t ent;
        if (cp == '&' && html_entity(s, &j, &ent)) {
            rc = tpl_put_cp(r, ent);
            i = j;
        } else {
            rc = tpl_put(r, s.p + at, i - at);
        }
    }
    return tpl_sb_done(r, mark, rc, false, out);
}

FILTER(sum)
{
    kiln_value *items = NULL, *vals = NULL;
    size_t n;
    int rc = seq_items(r, e, in, &items, &n);
    if (rc || (rc = item_keys(r, e, items, n, args[0], &vals)))
        return rc;
    kiln_value acc = absent(args[1]) ? kiln_value_int(0) : args[1];
    tpl_expr add = *e;
    add.kind = TPL_E_BIN;
    add.op = TPL_OP_ADD;
    for (size_t i = 0; i < n; i++) {
        tpl_expr ca = {0}, cb = {0};
        ca.kind = cb.kind = TPL_E_CONST;
        ca.u.k = acc;
        cb.u.k = vals[i];
        add.u.x.a = &ca;
        add.u.x.b = &cb;
        if ((rc = tpl_eval(r, &add, &acc)))
            return rc;
    }
    *out = acc;
    return 0;
}

FILTER(trim)
{
    kiln_str s, chars;
    bool safe;
    int rc = soft_str(r, in, &s, &safe);
    if (rc)
        return rc;
    bool have = !absent(args[0]) && args[0].type != KILN_VALUE_NULL;
    if (have && (rc = tpl_to_str(r, args[0], &chars)))
        return rc;
    (void)e;
    s = tpl_str_strip(s, have ? &chars : NULL, true, true);
    *out = tpl_strv(s.p, s.n, safe);
    return 0;
}

FILTER(truncate)
{
    int64_t length = 0, leeway = 0;
    kiln_str s, end;
    bool safe;
    int rc = arg_int(r, e, args[0], 255, "length", &length);
    if (rc || (rc = arg_int(r, e, args[3], 5, "leeway", &leeway)) ||
        (rc = arg_str(r, args[2], "...", &end)) ||
        (rc = soft_str(r, in, &s, &safe)))
        return rc;
    bool killwords = arg_bool(r, args[1], false);
    int64_t n = (int64_t)tpl_utf8_count(s.p, s.n);
    int64_t endn = (int64_t)tpl_utf8_count(end.p, end.n);
    if (length < endn)
        return tpl_fail(r, KILN_EINVAL, e->pos, "expected length >= len(end)");
    if (leeway < 0)
        return tpl_fail(r, KILN_EINVAL, e->pos, "expected leeway >= 0");
    if (n <= length + leeway) {
        *out = tpl_strv(s.p, s.n, safe);
        return 0;
    }
    size_t cut = tpl_utf8_offset(s.p, s.n, (size_t)(length - endn));
    if (!killwords) {
        /* s[:cut].rsplit(" ", 1)[0] */
        size_t k = cut;
        while (k > 0 && s.p[k - 1] != ' ')
            k--;
        if (k > 0)
            cut = k - 1;
    }
    size_t mark = r->out->n;
    rc = tpl_put(r, s.p, cut);
    if (!rc)
        rc = safe && !tpl_is_safe(args[2]) ? tpl_put_escaped(r, end.p, end.n)
                                           : tpl_put(r, end.p, end.n);
    return tpl_sb_done(r, mark, rc, safe, out);
}

FILTER(unique)
{
    kiln_value *items = NULL, *keys = NULL;
    size_t n;
    int rc = seq_items(r, e, in, &items, &n);
    if (rc || (rc = item_keys(r, e, items, n, args[1], &keys)))
        return rc;
    bool fold = !arg_bool(r, args[0], false);
    kiln_value *res = kiln_arena_alloc(r->a, (n ? n : 1) * sizeof(*res));
    size_t *seen = kiln_arena_alloc(r->a, (n ? n : 1) * sizeof(*seen));
    if (!res || !seen)
        return tpl_nomem(r);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        bool dup = false;
        for (size_t j = 0; j < k && !dup; j++) {
            kiln_value a = keys[seen[j]], b = keys[i];
            dup = fold && a.type == KILN_VALUE_STRING &&
                          b.type == KILN_VALUE_STRING
                      ? tpl_str_fold_cmp(a.u.s, b.u.s) == 0
                      : tpl_equal(r, a, b);
        }
        if (!dup) {
            seen[k] = i;
            res[k++] = items[i];
        }
    }
    return list_out(r, res, k, false, out);
}

/* Appends s percent-encoded: unreserved bytes and `safe` stay. */
static int url_quote(tpl_render *r, kiln_str s, bool for_qs)
{
    static const char hex[] = "0123456789ABCDEF";
    int rc = 0;
    for (size_t i = 0; i < s.n && !rc; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-' ||
            c == '~' || (c == '/' && !for_qs)) {
            rc = tpl_put(r, (const char *)&s.p[i], 1);
        } else if (c == ' ' && for_qs) {
            rc = tpl_put(r, "+", 1);
        } else {
            char enc[3] = {'%', hex[c >> 4], hex[c & 15]};
            rc = tpl_put(r, enc, 3);
        }
    }
    return rc;
}

FILTER(urlencode)
{
    (void)args;
    size_t mark = r->out->n;
    int rc = 0;
    kiln_str s;
    if (in.type == KILN_VALUE_MAP || in.type == KILN_VALUE_OBJECT ||
        in.type == KILN_VALUE_LIST) {
        kiln_value *items = NULL;
        size_t n;
        if ((rc = seq_items(r, e, in, &items, &n)))
            return rc;
        for (size_t i = 0; i < n && !rc; i++) {
            kiln_value k = items[i], v = {0};
            if (in.type == KILN_VALUE_LIST) {
                if (k.type != KILN_VALUE_LIST || k.u.list->n != 2) {
                    rc = tpl_fail(r, KILN_EINVAL, e->pos,
                                  "urlencode needs pairs in a list");
                    break;
                }
                v = k.u.list->items[1];
                k = k.u.list->items[0];
            } else {
                kiln_value_get(in, k.u.s, r->a, &v);
            }
            kiln_str ks, vs;
            if ((i && (rc = tpl_put(r, "&", 1))) ||
                (rc = tpl_to_str(r, k, &ks)) || (rc = url_quote(r, ks, true)) ||
                (rc = tpl_put(r, "=", 1)) || (rc = tpl_to_str(r, v, &vs)))
                break;
            rc = url_quote(r, vs, true);
        }
        return tpl_sb_done(r, mark, rc, false, out);
    }
    if ((rc = tpl_to_str(r, in, &s)))
        return rc;
    mark = r->out->n;
    return tpl_sb_done(r, mark, url_quote(r, s, false), false, out);
}

FILTER(wordcount)
{
    (void)e, (void)args;
    kiln_str s;
    int rc = tpl_to_str(r, in, &s);
    if (rc)
        return rc;
    int64_t words = 0;
    bool in_word = false;
    for (size_t i = 0; i < s.n;) {
        uint32_t cp = tpl_cp_next(s.p, s.n, &i);
        /* \w: letters, digits, '_' (non-ASCII counted as letters) */
        bool w = cp >= 0x80 ? !tpl_cp_space(cp)
                            : (cp >= '0' && cp <= '9') || cp == '_' ||
                                  ((cp | 32) >= 'a' && (cp | 32) <= 'z');
        if (w && !in_word)
            words++;
        in_word = w;
    }
    *out = kiln_value_int(words);
    return 0;
}

/* ---- the table --------------------------------------------------------- */

static const tpl_filter_def tpl_filters[] = {
    {"abs", f_abs, 0, 0, 0, {0}},
    {"batch", f_batch, 1, 2, 0, {"linecount", "fill_with"}},
    {"capitalize", f_capitalize, 0, 0, 0, {0}},
    {"center", f_center, 0, 1, 0, {"width"}},
    {"count", f_length, 0, 0, 0, {0}},
    {"d", f_default, 0, 2, 1, {"default_value", "boolean"}},
    {"date", tpl_filter_date, 0, 1, 0, {"format"}},
    {"default", f_default, 0, 2, 1, {"default_value", "boolean"}},
    {"dictsort", f_dictsort, 0, 3, 0, {"case_sensitive", "by", "reverse"}},
    {"e", f_escape, 0, 0, 0, {0}},
    {"escape", f_escape, 0, 0, 0, {0}},
    {"filesizeformat", f_filesizeformat, 0, 1, 0, {"binary"}},
    {"first", f_first, 0, 0, 0, {0}},
    {"float", f_float, 0, 1, 0, {"default"}},
    {"forceescape", f_forceescape, 0, 0, 0, {0}},
    {"indent", f_indent, 0, 3, 0, {"width", "first", "blank"}},
    {"int", f_int, 0, 2, 0, {"default", "base"}},
    {"items", f_items, 0, 0, 0, {0}},
    {"join", f_join, 0, 2, 0, {"d", "attribute"}},
    {"json", f_json, 0, 1, 0, {"indent"}},
    {"last", f_last, 0, 0, 0, {0}},
    {"length", f_length, 0, 0, 0, {0}},
    {"list", f_list, 0, 0, 0, {0}},
    {"lower", f_lower, 0, 0, 0, {0}},
    {"map", f_map, 0, 3, 0, {"filter", "attribute", "default"}},
    {"max", f_max, 0, 2, 0, {"case_sensitive", "attribute"}},
    {"min", f_min, 0, 2, 0, {"case_sensitive", "attribute"}},
    {"reject", f_reject, 0, 2, 0, {"test", "arg"}},
    {"rejectattr", f_rejectattr, 1, 3, 0, {"attribute", "test", "arg"}},
    {"replace", f_replace, 2, 3, 0, {"old", "new", "count"}},
    {"reverse", f_reverse, 0, 0, 0, {0}},
    {"round", f_round, 0, 2, 0, {"precision", "method"}},
    {"safe", f_safe, 0, 0, 0, {0}},
    {"select", f_select, 0, 2, 0, {"test", "arg"}},
    {"selectattr", f_selectattr, 1, 3, 0, {"attribute", "test", "arg"}},
    {"sort", f_sort, 0, 3, 0, {"reverse", "case_sensitive", "attribute"}},
    {"string", f_string, 0, 0, 0, {0}},
    {"striptags", f_striptags, 0, 0, 0, {0}},
    {"sum", f_sum, 0, 2, 0, {"attribute", "start"}},
    {"title", f_title, 0, 0, 0, {0}},
    {"tojson", f_json, 0, 1, 0, {"indent"}},
    {"trim", f_trim, 0, 1, 0, {"chars"}},
    {"truncate", f_truncate, 0, 4, 0, {"length", "killwords", "end", "leeway"}},
    {"unique", f_unique, 0, 2, 0, {"case_sensitive", "attribute"}},
    {"upper", f_upper, 0, 0, 0, {0}},
    {"urlencode", f_urlencode, 0, 0, 0, {0}},
    {"wordcount", f_wordcount, 0, 0, 0, {0}},
};

const tpl_filter_def *tpl_filter_find(kiln_str name)
{
    for (size_t i = 0; i < sizeof(tpl_filters) / sizeof(tpl_filters[0]); i++) {
        const char *n = tpl_filters[i].name;
        if (strlen(n) == name.n && memcmp(n, name.p, name.n) == 0)
            return &tpl_filters[i];
    }
    return NULL;
}
