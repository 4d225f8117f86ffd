/*
 * config/toml_value.c - the TOML value tree: building it (for the parser)
 * and reading it (toml_find, toml_get_path...), plus the formatting helpers
 * of config/toml.h.
 *
 * Tables keep their entries in an array in insertion order, so iteration
 * follows the document. Lookup is a linear scan while a table is small; from
 * TOML_INDEX_MIN entries on, the table also keeps an open-addressing hash
 * index of entry positions + 1 (0: empty slot), at most half full, rebuilt
 * at twice the size when it fills. Arrays of entries, items and indexes grow
 * by doubling inside the arena: the old block is abandoned (the arena frees
 * it with everything else), which at most doubles the memory and keeps
 * building a table of n keys O(n).
 */
#include "config/toml_parser.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

/* Tables with at least this many entries keep a hash index. */
#define TOML_INDEX_MIN 8

toml_value *toml_value_new(toml_parser *P, toml_type t, int line, int col)
{
    toml_value *v = kiln_arena_calloc(P->a, sizeof(*v));
    if (!v) {
        toml_nomem(P);
        return NULL;
    }
    v->type = t;
    v->line = line;
    v->column = col;
    return v;
}

toml_value *toml_table_new(toml_parser *P, toml_table_kind kind, int line,
                           int col)
{
    toml_value *v = toml_value_new(P, TOML_TABLE, line, col);
    if (v)
        v->u.table.kind = kind;
    return v;
}

/* FNV-1a over the key's bytes. */
static size_t toml_hash(const char *s, size_t n)
{
    uint64_t h = 14695981039346656037u;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211u;
    }
    return (size_t)(h ^ (h >> 32));
}

static bool toml_key_eq(kiln_str a, const char *b, size_t n)
{
    return a.n == n && (n == 0 || memcmp(a.p, b, n) == 0);
}

/* The entry named key[0..n) in table t (a TOML_TABLE), or NULL. */
static toml_entry *toml_table_find(const toml_value *t, const char *key,
                                   size_t n)
{
    assert(t->type == TOML_TABLE);
    if (!t->u.table.index) {
        for (size_t i = 0; i < t->u.table.n; i++)
            if (toml_key_eq(t->u.table.items[i].key, key, n))
                return &t->u.table.items[i];
        return NULL;
    }
    size_t mask = t->u.table.index_cap - 1;
    for (size_t h = toml_hash(key, n) & mask;; h = (h + 1) & mask) {
        uint32_t slot = t->u.table.index[h];
        if (slot == 0)
            return NULL;
        if (toml_key_eq(t->u.table.items[slot - 1].key, key, n))
            return &t->u.table.items[slot - 1];
    }
}

toml_entry *toml_table_lookup(const toml_value *t, kiln_str key)
{
    return toml_table_find(t, key.p, key.n);
}

/* Puts entry i of t into t's index (which has a free slot). */
static void toml_index_put(toml_value *t, size_t i)
{
    const toml_entry *e = &t->u.table.items[i];
    size_t mask = t->u.table.index_cap - 1;
    size_t h = toml_hash(e->key.p, e->key.n) & mask;
    while (t->u.table.index[h] != 0)
        h = (h + 1) & mask;
    t->u.table.index[h] = (uint32_t)(i + 1);
}

/* Rebuilds t's index with room for twice its entries. */
static int toml_index_rebuild(toml_parser *P, toml_value *t)
{
    size_t cap = 4 * TOML_INDEX_MIN;
    while (cap < 4 * t->u.table.n)
        cap *= 2;
    uint32_t *idx = kiln_arena_calloc(P->a, cap * sizeof(*idx));
    if (!idx)
        return toml_nomem(P);
    t->u.table.index = idx;
    t->u.table.index_cap = cap;
    for (size_t i = 0; i < t->u.table.n; i++)
        toml_index_put(t, i);
    return 0;
}

/*
 * Makes room for one more element in the arena array *items of *cap
 * elements of size bytes, n used: doubles it when full.
 */
static int toml_grow(toml_parser *P, void **items, size_t *cap, size_t n,
                     size_t size)
{
    if (n < *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 4;
    if (ncap > SIZE_MAX / 2 / size)
        return toml_nomem(P);
    void *nv = kiln_arena_alloc(P->a, ncap * size);
    if (!nv)
        return toml_nomem(P);
    if (n)
        memcpy(nv, *items, n * size);
    *items = nv;
    *cap = ncap;
    return 0;
}

int toml_table_add(toml_parser *P, toml_value *t, kiln_str key, toml_value *v,
                   int line, int col)
{
    assert(t->type == TOML_TABLE && !toml_table_lookup(t, key));
    void *items = t->u.table.items;
    int rc =
        toml_grow(P, &items, &t->u.table.cap, t->u.table.n, sizeof(toml_entry));
    if (rc)
        return rc;
    t->u.table.items = items;
    size_t i = t->u.table.n++;
    toml_entry *e = &t->u.table.items[i];
    e->key = key;
    e->value = v;
    e->line = line;
    e->column = col;
    if (t->u.table.n < TOML_INDEX_MIN)
        return 0;
    if (!t->u.table.index || 2 * t->u.table.n > t->u.table.index_cap)
        return toml_index_rebuild(P, t);
    toml_index_put(t, i);
    return 0;
}

int toml_array_push(toml_parser *P, toml_value *arr, toml_value *v)
{
    assert(arr->type == TOML_ARRAY);
    void *items = arr->u.array.items;
    int rc = toml_grow(P, &items, &arr->u.array.cap, arr->u.array.n,
                       sizeof(toml_value *));
    if (rc)
        return rc;
    arr->u.array.items = items;
    arr->u.array.items[arr->u.array.n++] = v;
    return 0;
}

/* ---- public lookups ---------------------------------------------------- */

const toml_entry *toml_find(const toml_value *table, const char *key, size_t n)
{
    if (!table || table->type != TOML_TABLE || (!key && n))
        return NULL;
    return toml_table_find(table, key ? key : "", n);
}

const toml_value *toml_get(const toml_value *table, const char *key)
{
    const toml_entry *e = toml_find(table, key, key ? strlen(key) : 0);
    return e ? e->value : NULL;
}

const toml_entry *toml_find_path(const toml_value *table, const char *path)
{
    if (!path || !*path)
        return NULL;
    const toml_entry *e = NULL;
    for (const char *p = path;;) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (n == 0)
            return NULL;
        e = toml_find(table, p, n);
        if (!e || !dot)
            return e;
        table = e->value;
        p = dot + 1;
    }
}

const toml_value *toml_get_path(const toml_value *table, const char *path)
{
    const toml_entry *e = toml_find_path(table, path);
    return e ? e->value : NULL;
}

/* ---- formatting -------------------------------------------------------- */

const char *toml_type_name(toml_type t)
{
    switch (t) {
    case TOML_STRING:
        return "string";
    case TOML_INTEGER:
        return "integer";
    case TOML_FLOAT:
        return "float";
    case TOML_BOOLEAN:
        return "boolean";
    case TOML_DATETIME:
        return "offset date-time";
    case TOML_DATETIME_LOCAL:
        return "local date-time";
    case TOML_DATE_LOCAL:
        return "local date";
    case TOML_TIME_LOCAL:
        return "local time";
    case TOML_ARRAY:
        return "array";
    case TOML_TABLE:
        return "table";
    }
    return "unknown type";
}

int toml_datetime_format(const toml_datetime *dt, char *buf, size_t size)
{
    char out[160]; /* more than any field values can need */
    int n = 0;
    if (dt->has_date)
        n += snprintf(out + n, sizeof(out) - (size_t)n, "%04d-%02d-%02d",
                      dt->year, dt->month, dt->day);
    if (dt->has_date && dt->has_time)
        out[n++] = 'T';
    if (dt->has_time) {
        n += snprintf(out + n, sizeof(out) - (size_t)n, "%02d:%02d:%02d",
                      dt->hour, dt->minute, dt->second);
        if (dt->frac_digits > 0) {
            /* the first frac_digits of the 9-digit nanoseconds */
            char ns[16];
            snprintf(ns, sizeof(ns), "%09d", dt->nanosecond);
            int k = dt->frac_digits < 9 ? dt->frac_digits : 9;
            n += snprintf(out + n, sizeof(out) - (size_t)n, ".%.*s", k, ns);
        }
    }
    if (dt->has_offset) {
        int off = dt->offset_minutes;
        if (off == 0)
            out[n++] = 'Z';
        else
            n += snprintf(out + n, sizeof(out) - (size_t)n, "%c%02d:%02d",
                          off < 0 ? '-' : '+', (off < 0 ? -off : off) / 60,
                          (off < 0 ? -off : off) % 60);
    }
    out[n] = '\0';
    if (size > 0)
        snprintf(buf, size, "%s", out);
    return n;
}

int toml_error_format(const toml_error *err, kiln_buf *b)
{
    return kiln_buf_printf(b, "%s:%d:%d: %s",
                           err->filename ? err->filename : "<input>", err->line,
                           err->column, err->message);
}
