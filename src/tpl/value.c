/*
 * tpl/value.c - kiln_value (see kiln/tpl.h): constructors, lists, ordered
 * maps, conversion from a JSON tree, and the Python semantics the renderer
 * needs: truthiness, ==, ordering, len() and iteration.
 *
 * Maps keep insertion order in one array. Up to TPL_MAP_INDEX keys a lookup
 * is a linear scan (compare lengths, then bytes), which beats hashing for
 * the small maps templates mostly see; past that the map keeps an
 * open-addressing index of positions, rebuilt when it grows. All of it
 * lives in the arena the map was made with; growth copies into a new arena
 * block (the old one is reclaimed with the arena).
 */
#include "tpl/tpl.h"

#include <assert.h>
#include <math.h>
#include <string.h>

/* ---- constructors ------------------------------------------------------ */

kiln_value kiln_value_str_copy(kiln_arena *a, kiln_str s)
{
    char *p = kiln_arena_strndup(a, s.n ? s.p : "", s.n);
    return p ? tpl_strv(p, s.n, false) : kiln_value_null();
}

kiln_value kiln_value_list(kiln_arena *a)
{
    kiln_value v = {0};
    tpl_list *l = kiln_arena_calloc(a, sizeof(*l));
    if (!l)
        return v;
    l->a = a;
    v.type = KILN_VALUE_LIST;
    v.u.list = l;
    return v;
}

kiln_value kiln_value_map(kiln_arena *a)
{
    /* the body and its first TPL_MAP_FIRST entries in one allocation */
    kiln_value v = {0};
    tpl_map *m =
        kiln_arena_alloc(a, sizeof(*m) + TPL_MAP_FIRST * sizeof(tpl_entry));
    if (!m)
        return v;
    memset(m, 0, sizeof(*m));
    m->a = a;
    m->items = (tpl_entry *)(m + 1);
    m->cap = TPL_MAP_FIRST;
    v.type = KILN_VALUE_MAP;
    v.u.map = m;
    return v;
}

kiln_value kiln_value_object(const kiln_value_class *cls, const void *self)
{
    kiln_value v = {0};
    if (!cls || !cls->get)
        return v;
    v.type = KILN_VALUE_OBJECT;
    v.u.pair.a = cls;
    v.u.pair.b = self;
    return v;
}

/* ---- lists ------------------------------------------------------------- */

int kiln_value_push(kiln_value list, kiln_value item)
{
    if (list.type != KILN_VALUE_LIST)
        return KILN_EINVAL;
    tpl_list *l = list.u.list;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        if (cap > SIZE_MAX / sizeof(kiln_value))
            return KILN_ENOMEM;
        kiln_value *items = kiln_arena_alloc(l->a, cap * sizeof(*items));
        if (!items)
            return KILN_ENOMEM;
        if (l->n)
            memcpy(items, l->items, l->n * sizeof(*items));
        l->items = items;
        l->cap = cap;
    }
    l->items[l->n++] = item;
    return 0;
}

size_t kiln_value_len(kiln_value v)
{
    switch (v.type) {
    case KILN_VALUE_LIST:
        return v.u.list->n;
    case KILN_VALUE_MAP:
        return v.u.map->n;
    case KILN_VALUE_OBJECT: {
        const kiln_value_class *c = v.u.pair.a;
        return c->len && c->entry ? c->len(v.u.pair.b) : 0;
    }
    default:
        return 0;
    }
}

kiln_value kiln_value_at(kiln_value list, size_t i)
{
    if (list.type != KILN_VALUE_LIST || i >= list.u.list->n)
        return kiln_value_null();
    return list.u.list->items[i];
}

int kiln_value_entry(kiln_value v, size_t i, kiln_arena *a, kiln_str *key,
                     kiln_value *val)
{
    if (v.type == KILN_VALUE_MAP) {
        if (i >= v.u.map->n)
            return KILN_ENOTFOUND;
        *key = v.u.map->items[i].key;
        *val = v.u.map->items[i].v;
        return 0;
    }
    if (v.type == KILN_VALUE_OBJECT) {
        const kiln_value_class *c = v.u.pair.a;
        if (!c->len || !c->entry)
            return KILN_EINVAL;
        if (i >= c->len(v.u.pair.b))
            return KILN_ENOTFOUND;
        return c->entry(v.u.pair.b, i, a, key, val);
    }
    return KILN_EINVAL;
}

int tpl_list_from(tpl_render *r, const kiln_value *items, size_t n,
                  kiln_value *out)
{
    kiln_value l = kiln_value_list(r->a);
    if (l.type != KILN_VALUE_LIST)
        return tpl_nomem(r);
    if (n) {
        if (n > SIZE_MAX / sizeof(kiln_value))
            return tpl_nomem(r);
        kiln_value *it = kiln_arena_alloc(r->a, n * sizeof(*it));
        if (!it)
            return tpl_nomem(r);
        memcpy(it, items, n * sizeof(*it));
        l.u.list->items = it;
        l.u.list->n = l.u.list->cap = n;
    }
    *out = l;
    return 0;
}

/* ---- maps -------------------------------------------------------------- */

/* Rebuilds the index of m for cap slots (a power of two). */
static int map_reindex(tpl_map *m, size_t cap)
{
    uint32_t *ix = kiln_arena_calloc(m->a, cap * sizeof(*ix));
    if (!ix)
        return KILN_ENOMEM;
    for (size_t i = 0; i < m->n; i++) {
        size_t j = tpl_hash(m->items[i].key.p, m->items[i].key.n) & (cap - 1);
        while (ix[j])
            j = (j + 1) & (cap - 1);
        ix[j] = (uint32_t)(i + 1);
    }
    m->index = ix;
    m->index_cap = cap;
    return 0;
}

const kiln_value *tpl_map_find_indexed(const tpl_map *m, const char *p,
                                       size_t n, uint32_t hash)
{
    assert(m->index);
    size_t mask = m->index_cap - 1;
    for (size_t j = hash & mask; m->index[j]; j = (j + 1) & mask) {
        const tpl_entry *e = &m->items[m->index[j] - 1];
        if (tpl_key_eq(e->key, p, n))
            return &e->v;
    }
    return NULL;
}

int kiln_value_set_str(kiln_value map, kiln_str key, kiln_value v)
{
    if (map.type != KILN_VALUE_MAP || (key.n && !key.p))
        return KILN_EINVAL;
    if (!key.p)
        key.p = "";
    tpl_map *m = map.u.map;
    /* the hash only matters once the map has an index */
    uint32_t h = m->n >= TPL_MAP_INDEX ? tpl_hash(key.p, key.n) : 0;
    kiln_value *have = (kiln_value *)tpl_map_find(m, key.p, key.n, h);
    if (have) {
        *have = v;
        return 0;
    }
    if (m->n >= UINT32_MAX - 1)
        return KILN_ENOMEM;
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 4;
        tpl_entry *items = kiln_arena_alloc(m->a, cap * sizeof(*items));
        if (!items)
            return KILN_ENOMEM;
        if (m->n)
            memcpy(items, m->items, m->n * sizeof(*items));
        m->items = items;
        m->cap = cap;
    }
    m->items[m->n].key = key;
    m->items[m->n].v = v;
    m->n++;
    if (m->n > TPL_MAP_INDEX) {
        if (m->n * 2 > m->index_cap) {
            if (map_reindex(m, m->index_cap ? m->index_cap * 2 : 32) != 0) {
                m->n--;
                return KILN_ENOMEM;
            }
        } else {
            size_t mask = m->index_cap - 1, j = h & mask;
            while (m->index[j])
                j = (j + 1) & mask;
            m->index[j] = (uint32_t)m->n;
        }
    }
    return 0;
}

bool kiln_value_get(kiln_value map, kiln_str key, kiln_arena *a,
                    kiln_value *out)
{
    if (map.type == KILN_VALUE_MAP) {
        const char *p = key.p ? key.p : "";
        const kiln_value *v = tpl_map_find(
            map.u.map, p, key.n, map.u.map->index ? tpl_hash(p, key.n) : 0);
        if (v && out)
            *out = *v;
        return v != NULL;
    }
    if (map.type == KILN_VALUE_OBJECT) {
        const kiln_value_class *c = map.u.pair.a;
        kiln_value tmp;
        if (c->get(map.u.pair.b, key, a, &tmp) == 1) {
            if (out)
                *out = tmp;
            return true;
        }
    }
    return false;
}

/* ---- from JSON --------------------------------------------------------- */

static int from_json(kiln_arena *a, const kiln_json *j, kiln_value *out,
                     int depth)
{
    if (depth > KILN_JSON_MAX_DEPTH)
        return KILN_ELIMIT;
    switch (j->type) {
    case KILN_JSON_NULL:
        *out = kiln_value_null();
        return 0;
    case KILN_JSON_BOOL:
        *out = kiln_value_bool(j->u.boolean);
        return 0;
    case KILN_JSON_NUMBER:
        *out = j->u.number.is_int ? kiln_value_int(j->u.number.i)
                                  : kiln_value_float(j->u.number.d);
        return 0;
    case KILN_JSON_STRING:
        *out = kiln_value_str(j->u.string);
        return 0;
    case KILN_JSON_ARRAY: {
        kiln_value l = kiln_value_list(a);
        if (l.type != KILN_VALUE_LIST)
            return KILN_ENOMEM;
        size_t n = j->u.array.n;
        if (n) {
            l.u.list->items = kiln_arena_alloc(a, n * sizeof(kiln_value));
            if (!l.u.list->items)
                return KILN_ENOMEM;
            l.u.list->cap = n;
        }
        for (size_t i = 0; i < n; i++) {
            int rc = from_json(a, &j->u.array.items[i], &l.u.list->items[i],
                               depth + 1);
            if (rc)
                return rc;
            l.u.list->n++;
        }
        *out = l;
        return 0;
    }
    case KILN_JSON_OBJECT: {
        kiln_value m = kiln_value_map(a);
        if (m.type != KILN_VALUE_MAP)
            return KILN_ENOMEM;
        for (size_t i = 0; i < j->u.object.n; i++) {
            const kiln_json_member *mb = &j->u.object.items[i];
            kiln_value v;
            int rc = from_json(a, &mb->value, &v, depth + 1);
            if (rc || (rc = kiln_value_set_str(m, mb->key, v)))
                return rc;
        }
        *out = m;
        return 0;
    }
    }
    return KILN_EINVAL;
}

int kiln_value_from_json(kiln_arena *a, const kiln_json *j, kiln_value *out)
{
    if (!a || !j || !out)
        return KILN_EINVAL;
    return from_json(a, j, out, 0);
}

/* ---- UTF-8 ------------------------------------------------------------- */

size_t tpl_utf8_count(const char *p, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)p[i] & 0xC0) != 0x80;
    return c;
}

size_t tpl_utf8_offset(const char *p, size_t n, size_t i)
{
    size_t k = 0;
    for (size_t b = 0; b < n; b++) {
        if (((unsigned char)p[b] & 0xC0) != 0x80) {
            if (k == i)
                return b;
            k++;
        }
    }
    return n;
}

/* ---- Python semantics -------------------------------------------------- */

const char *tpl_type_name(kiln_value v)
{
    switch (v.type) {
    case KILN_VALUE_NULL:
        return "NoneType";
    case KILN_VALUE_BOOL:
        return "bool";
    case KILN_VALUE_INT:
        return "int";
    case KILN_VALUE_FLOAT:
        return "float";
    case KILN_VALUE_STRING:
        return "str";
    case KILN_VALUE_LIST:
        return v.flags & TPL_F_TUPLE ? "tuple" : "list";
    case KILN_VALUE_MAP:
        return v.flags & TPL_F_NS ? "Namespace" : "dict";
    case KILN_VALUE_OBJECT:
        return ((const kiln_value_class *)v.u.pair.a)->name
                   ? ((const kiln_value_class *)v.u.pair.a)->name
                   : "object";
    case TPL_V_UNDEF:
        return "Undefined";
    case TPL_V_MACRO:
        return "Macro";
    case TPL_V_LOOP:
        return "LoopContext";
    case TPL_V_RANGE:
        return "range";
    case TPL_V_FUNC:
        return "function";
    default:
        return "?";
    }
}

bool tpl_is_number(kiln_value v)
{
    return v.type == KILN_VALUE_INT || v.type == KILN_VALUE_FLOAT ||
           v.type == KILN_VALUE_BOOL;
}

double tpl_num(kiln_value v)
{
    switch (v.type) {
    case KILN_VALUE_INT:
        return (double)v.u.i;
    case KILN_VALUE_FLOAT:
        return v.u.f;
    case KILN_VALUE_BOOL:
        return v.u.b;
    default:
        return 0;
    }
}

bool tpl_len(tpl_render *r, kiln_value v, size_t *n)
{
    (void)r;
    switch (v.type) {
    case KILN_VALUE_STRING:
        *n = tpl_utf8_count(v.u.s.p, v.u.s.n);
        return true;
    case KILN_VALUE_LIST:
    case KILN_VALUE_MAP:
    case KILN_VALUE_OBJECT:
        *n = kiln_value_len(v);
        return true;
    case TPL_V_RANGE:
        *n = ((const tpl_range *)v.u.pair.a)->n;
        return true;
    case TPL_V_UNDEF:
        *n = 0;
        return true;
    default:
        return false;
    }
}

bool tpl_truthy(tpl_render *r, kiln_value v)
{
    switch (v.type) {
    case KILN_VALUE_NULL:
    case TPL_V_UNDEF:
        return false;
    case KILN_VALUE_BOOL:
        return v.u.b;
    case KILN_VALUE_INT:
        return v.u.i != 0;
    case KILN_VALUE_FLOAT:
        return v.u.f != 0;
    case KILN_VALUE_STRING:
        return v.u.s.n != 0;
    case KILN_VALUE_LIST:
    case KILN_VALUE_MAP:
    case KILN_VALUE_OBJECT:
    case TPL_V_RANGE: {
        size_t n = 0;
        tpl_len(r, v, &n);
        return n != 0;
    }
    default:
        return true;
    }
}

/* Compares an int and a double exactly (no rounding of the int). */
static int cmp_int_double(int64_t i, double d)
{
    if (isnan(d))
        return 2; /* unordered */
    if (d >= 9223372036854775808.0)
        return -1;
    if (d < -9223372036854775808.0)
        return 1;
    double fl = floor(d);
    int64_t di = (int64_t)fl;
    if (i < di)
        return -1;
    if (i > di)
        return 1;
    return fl < d ? -1 : 0;
}

/* Numeric comparison; 2 when unordered (NaN). */
static int cmp_numbers(kiln_value a, kiln_value b)
{
    bool af = a.type == KILN_VALUE_FLOAT, bf = b.type == KILN_VALUE_FLOAT;
    if (!af && !bf) {
        int64_t x = a.type == KILN_VALUE_BOOL ? a.u.b : a.u.i;
        int64_t y = b.type == KILN_VALUE_BOOL ? b.u.b : b.u.i;
        return x < y ? -1 : x > y;
    }
    if (af && bf) {
        if (isnan(a.u.f) || isnan(b.u.f))
            return 2;
        return a.u.f < b.u.f ? -1 : a.u.f > b.u.f;
    }
    if (af) {
        int c =
            cmp_int_double(b.type == KILN_VALUE_BOOL ? b.u.b : b.u.i, a.u.f);
        return c == 2 ? 2 : -c;
    }
    return cmp_int_double(a.type == KILN_VALUE_BOOL ? a.u.b : a.u.i, b.u.f);
}

static int cmp_bytes(kiln_str a, kiln_str b)
{
    size_t n = a.n < b.n ? a.n : b.n;
    int c = n ? memcmp(a.p, b.p, n) : 0;
    if (c)
        return c < 0 ? -1 : 1;
    return a.n < b.n ? -1 : a.n > b.n;
}

bool tpl_equal(tpl_render *r, kiln_value a, kiln_value b)
{
    if (tpl_is_number(a) && tpl_is_number(b))
        return cmp_numbers(a, b) == 0;
    if (a.type != b.type) {
        /* a map and an object compare by content; nothing else mixes */
        bool map_a = a.type == KILN_VALUE_MAP || a.type == KILN_VALUE_OBJECT;
        bool map_b = b.type == KILN_VALUE_MAP || b.type == KILN_VALUE_OBJECT;
        if (!map_a || !map_b)
            return false;
    }
    switch (a.type) {
    case KILN_VALUE_NULL:
    case TPL_V_UNDEF:
        return true;
    case KILN_VALUE_STRING:
        return a.u.s.n == b.u.s.n &&
               (a.u.s.n == 0 || memcmp(a.u.s.p, b.u.s.p, a.u.s.n) == 0);
    case KILN_VALUE_LIST: {
        if ((a.flags & TPL_F_TUPLE) != (b.flags & TPL_F_TUPLE))
            return false;
        const tpl_list *x = a.u.list, *y = b.u.list;
        if (x->n != y->n)
            return false;
        for (size_t i = 0; i < x->n; i++)
            if (!tpl_equal(r, x->items[i], y->items[i]))
                return false;
        return true;
    }
    case KILN_VALUE_MAP:
    case KILN_VALUE_OBJECT: {
        if (kiln_value_len(a) != kiln_value_len(b))
            return false;
        tpl_seq s;
        if (tpl_seq_init(r, 0, a, &s) != 0)
            return false;
        for (size_t i = 0; i < s.n; i++) {
            kiln_value k, va, vb;
            if (tpl_seq_at(r, &s, i, &k) != 0 ||
                !kiln_value_get(a, k.u.s, r->a, &va) ||
                !kiln_value_get(b, k.u.s, r->a, &vb) || !tpl_equal(r, va, vb))
                return false;
        }
        return true;
    }
    case TPL_V_RANGE: {
        const tpl_range *x = a.u.pair.a, *y = b.u.pair.a;
        if (x->n != y->n)
            return false;
        return x->n == 0 ||
               (x->start == y->start && (x->n == 1 || x->step == y->step));
    }
    default:
        return a.u.pair.a == b.u.pair.a && a.u.pair.b == b.u.pair.b;
    }
}

int tpl_compare(tpl_render *r, kiln_value a, kiln_value b, int *cmp)
{
    if (tpl_is_number(a) && tpl_is_number(b)) {
        int c = cmp_numbers(a, b);
        *cmp = c == 2 ? 2 : c;
        return 0;
    }
    if (a.type == KILN_VALUE_STRING && b.type == KILN_VALUE_STRING) {
        *cmp = cmp_bytes(a.u.s, b.u.s);
        return 0;
    }
    if (a.type == KILN_VALUE_LIST && b.type == KILN_VALUE_LIST &&
        (a.flags & TPL_F_TUPLE) == (b.flags & TPL_F_TUPLE)) {
        const tpl_list *x = a.u.list, *y = b.u.list;
        for (size_t i = 0; i < x->n && i < y->n; i++) {
            if (tpl_equal(r, x->items[i], y->items[i]))
                continue;
            return tpl_compare(r, x->items[i], y->items[i], cmp);
        }
        *cmp = x->n < y->n ? -1 : x->n > y->n;
        return 0;
    }
    return KILN_EINVAL;
}

/* ---- iteration --------------------------------------------------------- */

int tpl_seq_init(tpl_render *r, uint32_t pos, kiln_value v, tpl_seq *s)
{
    memset(s, 0, sizeof(*s));
    s->src = v;
    switch (v.type) {
    case KILN_VALUE_LIST:
        s->items = v.u.list->items;
        s->n = v.u.list->n;
        return 0;
    case KILN_VALUE_MAP:
    case KILN_VALUE_OBJECT:
    case TPL_V_RANGE:
        tpl_len(r, v, &s->n);
        return 0;
    case TPL_V_UNDEF:
        return 0;
    case KILN_VALUE_STRING: {
        /* a string iterates its characters: materialise them as views */
        size_t n = tpl_utf8_count(v.u.s.p, v.u.s.n);
        kiln_value *items =
            n ? kiln_arena_alloc(r->a, n * sizeof(*items)) : NULL;
        if (n && !items)
            return tpl_nomem(r);
        size_t b = 0;
        for (size_t i = 0; i < n; i++) {
            size_t e = b + 1;
            while (e < v.u.s.n && ((unsigned char)v.u.s.p[e] & 0xC0) == 0x80)
                e++;
            items[i] = tpl_strv(v.u.s.p + b, e - b, v.flags & TPL_F_SAFE);
            b = e;
        }
        s->items = items;
        s->n = n;
        return 0;
    }
    default:
        return tpl_fail(r, KILN_EINVAL, pos, "'%s' object is not iterable",
                        tpl_type_name(v));
    }
}

int tpl_seq_at(tpl_render *r, const tpl_seq *s, size_t i, kiln_value *out)
{
    assert(i < s->n);
    if (s->items) {
        *out = s->items[i];
        return 0;
    }
    kiln_value v = s->src;
    switch (v.type) {
    case KILN_VALUE_MAP: {
        const tpl_entry *e = &v.u.map->items[i];
        *out = tpl_strv(e->key.p, e->key.n, false);
        return 0;
    }
    case KILN_VALUE_OBJECT: {
        const kiln_value_class *c = v.u.pair.a;
        kiln_str key = {"", 0};
        kiln_value val;
        int rc = c->entry(v.u.pair.b, i, r->a, &key, &val);
        if (rc)
            return tpl_fail(r, rc, 0, "%s: entry %zu failed", tpl_type_name(v),
                            i);
        *out = tpl_strv(key.p ? key.p : "", key.n, false);
        return 0;
    }
    case TPL_V_RANGE: {
        const tpl_range *g = v.u.pair.a;
        *out = kiln_value_int(g->start + (int64_t)i * g->step);
        return 0;
    }
    default:
        assert(!"not a sequence");
        return KILN_EINVAL;
    }
}
