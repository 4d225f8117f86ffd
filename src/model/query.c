/*
 * model/query.c - reading a model's rows: get by id, list with filters,
 * ordering, limit and offset, count, and many-to-many links (read for a
 * whole list in one query, never one per row).
 */
#include "model/runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

kiln_arena *kiln_dbc_arena(kiln_dbc *db)
{
    return db->arena;
}

const char *model_sql(kiln_dbc *db, const kiln_buf *b)
{
    return kiln_arena_strndup(db->arena, b->p ? b->p : "", b->n);
}

void model_columns(const kiln_model *m, kiln_buf *b)
{
    bool first = true;
    for (uint32_t i = 0; i < m->nfields; i++) {
        if (!m->fields[i].column)
            continue;
        if (!first)
            kiln_buf_append(b, ", ", 2);
        kiln_buf_puts(b, m->fields[i].column);
        first = false;
    }
}

void model_link_columns(const kiln_model *m, const kiln_field *f, char self[64],
                        char other[64])
{
    if (f->ref == m || (f->ref && strcmp(f->ref->name, m->name) == 0)) {
        snprintf(self, 64, "from_%s_id", m->name);
        snprintf(other, 64, "to_%s_id", m->name);
    } else {
        snprintf(self, 64, "%s_id", m->name);
        snprintf(other, 64, "%s_id", f->ref ? f->ref->name : f->ref_name);
    }
}

static bool has_many(const kiln_model *m)
{
    for (uint32_t i = 0; i < m->nfields; i++)
        if (m->fields[i].type == KILN_FT_MANY)
            return true;
    return false;
}

int kiln_model_get(kiln_dbc *db, const kiln_model *m, int64_t id, void *out)
{
    kiln_buf b;
    kiln_buf_init(&b);
    kiln_buf_puts(&b, "SELECT ");
    model_columns(m, &b);
    kiln_buf_printf(&b, " FROM %s WHERE id = $1", m->table);
    const char *sql = model_sql(db, &b);
    kiln_buf_deinit(&b);
    if (!sql)
        return db_set_err(db, KILN_ENOMEM, "out of memory");
    kiln_rows *r = kiln_db_query(db, sql, KILN_INT(id));
    if (!r)
        return db->last_rc ? db->last_rc : KILN_EDB;
    int rc = KILN_ENOTFOUND;
    if (kiln_rows_next(r))
        rc = model_read_row(m, r, out);
    else if (kiln_rows_error(r) < 0)
        rc = kiln_rows_error(r);
    kiln_rows_close(r);
    if (rc == 0 && has_many(m))
        rc = model_load_links(db, m, out, 1);
    return rc;
}

/* ---- filters and ordering ------------------------------------------------ */

/* A filter's field, by name; NULL (and db->err) when m has none with a
   column. */
static const kiln_field *column_field(kiln_dbc *db, const kiln_model *m,
                                      const char *name, const char *what)
{
    kiln_str n = kiln_str_c(name);
    int i = kiln_model_field(m, n);
    if (i < 0 || !m->fields[i].column) {
        db_set_err(db, KILN_EINVAL, "%s: model %s has no field '%s'", what,
                   m->name, name);
        return NULL;
    }
    return &m->fields[i];
}

/* Appends " WHERE ..." for o to b, and its parameters to params (at most
   cap); *np counts them. Returns 0 or an error (db->err says). */
static int where_clause(kiln_dbc *db, const kiln_model *m,
                        const kiln_list_opts *o, kiln_buf *b,
                        kiln_db_param *params, size_t cap, size_t *np)
{
    *np = 0;
    if (!o || (!o->where && !o->nfilters))
        return 0;
    if (o->nparams + o->nfilters > cap)
        return db_set_err(db, KILN_ELIMIT, "too many filters");
    kiln_buf_puts(b, " WHERE ");
    bool first = true;
    if (o->where) {
        kiln_buf_printf(b, "(%s)", o->where);
        for (size_t i = 0; i < o->nparams; i++)
            params[(*np)++] = o->params[i];
        first = false;
    }
    bool pg = strcmp(kiln_dbc_backend(db), "postgres") == 0;
    for (size_t i = 0; i < o->nfilters; i++) {
        const kiln_filter *fl = &o->filters[i];
        const kiln_field *f = column_field(db, m, fl->field, "filter");
        if (!f)
            return KILN_EINVAL;
        if (!first)
            kiln_buf_puts(b, " AND ");
        first = false;
        const char *col = f->column;
        bool null = fl->value.type == KILN_DB_NULL;
        switch (fl->op) {
        case KILN_OP_ISNULL: {
            bool want = fl->value.type == KILN_DB_BOOL ? fl->value.v.b
                                                       : fl->value.v.i != 0;
            kiln_buf_printf(b, "%s IS %sNULL", col, want ? "" : "NOT ");
            continue;
        }
        case KILN_OP_EQ:
        case KILN_OP_NE:
            if (null) {
                kiln_buf_printf(b, "%s IS %sNULL", col,
                                fl->op == KILN_OP_NE ? "NOT " : "");
                continue;
            }
            kiln_buf_printf(b, "%s %s $%zu", col,
                            fl->op == KILN_OP_EQ ? "=" : "<>", *np + 1);
            break;
        case KILN_OP_LT:
        case KILN_OP_LTE:
        case KILN_OP_GT:
        case KILN_OP_GTE: {
            static const char *const ops[] = {"<", "<=", ">", ">="};
            kiln_buf_printf(b, "%s %s $%zu", col, ops[fl->op - KILN_OP_LT],
                            *np + 1);
            break;
        }
        case KILN_OP_CONTAINS:
            kiln_buf_printf(b,
                            pg ? "strpos(%s, $%zu) > 0" : "instr(%s, $%zu) > 0",
                            col, *np + 1);
            break;
        case KILN_OP_ICONTAINS: {
            /* lower(col) LIKE %lower(value)% with the wildcards escaped */
            if (fl->value.type != KILN_DB_TEXT || !fl->value.v.s.p)
                return db_set_err(db, KILN_EINVAL,
                                  "filter %s: icontains needs a text value",
                                  fl->field);
            kiln_str s = fl->value.v.s;
            char *pat = kiln_arena_alloc(db->arena, s.n * 2 + 3);
            if (!pat)
                return db_set_err(db, KILN_ENOMEM, "out of memory");
            size_t k = 0;
            pat[k++] = '%';
            for (size_t j = 0; j < s.n; j++) {
                char ch = s.p[j];
                if (ch == '%' || ch == '_' || ch == '\\')
                    pat[k++] = '\\';
                pat[k++] = ch;
            }
            pat[k++] = '%';
            kiln_buf_printf(b, "lower(%s) LIKE lower($%zu) ESCAPE '\\'", col,
                            *np + 1);
            params[(*np)++] = KILN_STRV(((kiln_str){pat, k}));
            continue;
        }
        default:
            return db_set_err(db, KILN_EINVAL, "filter %s: unknown operator",
                              fl->field);
        }
        params[(*np)++] = fl->value;
    }
    return 0;
}

/* Appends " ORDER BY ..." for ordering (or m's) to b, then id. */
static int order_clause(kiln_dbc *db, const kiln_model *m, const char *ordering,
                        kiln_buf *b)
{
    kiln_buf_puts(b, " ORDER BY ");
    bool id_seen = false;
    char name[64];
    size_t k = 0;
    if (ordering) {
        const char *p = ordering;
        while (*p) {
            const char *e = strchr(p, ',');
            size_t n = e ? (size_t)(e - p) : strlen(p);
            while (n && *p == ' ')
                p++, n--;
            while (n && p[n - 1] == ' ')
                n--;
            bool desc = n && *p == '-';
            if (desc)
                p++, n--;
            if (n == 0 || n >= sizeof name)
                return db_set_err(db, KILN_EINVAL,
                                  "ordering '%s': an empty or too long field",
                                  ordering);
            memcpy(name, p, n);
            name[n] = '\0';
            const kiln_field *f = column_field(db, m, name, "ordering");
            if (!f)
                return KILN_EINVAL;
            kiln_buf_printf(b, "%s%s%s", k++ ? ", " : "", f->column,
                            desc ? " DESC" : "");
            id_seen |= strcmp(f->column, "id") == 0;
            p += n;
            if (*p == ',')
                p++;
            if (!e)
                break;
        }
    } else {
        for (uint32_t i = 0; i < m->nordering; i++) {
            const char *o = m->ordering[i];
            bool desc = o[0] == '-';
            int fi = kiln_model_field(m, kiln_str_c(desc ? o + 1 : o));
            if (fi < 0 || !m->fields[fi].column)
                continue;
            kiln_buf_printf(b, "%s%s%s", k++ ? ", " : "", m->fields[fi].column,
                            desc ? " DESC" : "");
            id_seen |= strcmp(m->fields[fi].column, "id") == 0;
        }
    }
    if (!id_seen)
        kiln_buf_printf(b, "%sid", k ? ", " : "");
    return 0;
}

#define MAX_PARAMS 256

int kiln_model_list(kiln_dbc *db, const kiln_model *m, const kiln_list_opts *o,
                    kiln_model_rows *out)
{
    out->v = NULL;
    out->n = 0;
    kiln_db_param params[MAX_PARAMS + 2];
    size_t np = 0;
    kiln_buf b;
    kiln_buf_init(&b);
    kiln_buf_puts(&b, "SELECT ");
    model_columns(m, &b);
    kiln_buf_printf(&b, " FROM %s", m->table);
    int rc = where_clause(db, m, o, &b, params, MAX_PARAMS, &np);
    if (rc == 0)
        rc = order_clause(db, m, o ? o->ordering : NULL, &b);
    if (rc == 0 && o && (o->limit > 0 || o->offset > 0)) {
        /* SQLite needs a LIMIT before an OFFSET: -1 is none */
        kiln_buf_printf(&b, " LIMIT $%zu OFFSET $%zu", np + 1, np + 2);
        params[np++] = KILN_INT(o->limit > 0 ? o->limit : -1);
        if (o->limit <= 0 && strcmp(kiln_dbc_backend(db), "postgres") == 0)
            params[np - 1] = KILN_NULL; /* LIMIT NULL: all */
        params[np++] = KILN_INT(o->offset > 0 ? o->offset : 0);
    }
    const char *sql = rc == 0 ? model_sql(db, &b) : NULL;
    kiln_buf_deinit(&b);
    if (rc)
        return rc;
    if (!sql)
        return db_set_err(db, KILN_ENOMEM, "out of memory");
    kiln_rows *r = kiln_db_query_a(db, sql, params, np);
    if (!r)
        return db->last_rc ? db->last_rc : KILN_EDB;
    size_t cap = 16, n = 0;
    char *v = kiln_arena_alloc(db->arena, cap * m->size);
    while (v && kiln_rows_next(r)) {
        if (n == cap) {
            char *nv = kiln_arena_alloc(db->arena, cap * 2 * m->size);
            if (!nv) {
                v = NULL;
                break;
            }
            memcpy(nv, v, cap * m->size);
            v = nv;
            cap *= 2;
        }
        rc = model_read_row(m, r, v + n * m->size);
        if (rc) {
            kiln_rows_close(r);
            return rc;
        }
        n++;
    }
    if (!v) {
        kiln_rows_close(r);
        return db_set_err(db, KILN_ENOMEM, "out of memory");
    }
    rc = kiln_rows_error(r);
    kiln_rows_close(r);
    if (rc < 0)
        return rc;
    if (n && has_many(m)) {
        rc = model_load_links(db, m, v, n);
        if (rc)
            return rc;
    }
    out->v = v;
    out->n = n;
    return 0;
}

int kiln_model_count(kiln_dbc *db, const kiln_model *m, const kiln_list_opts *o,
                     int64_t *out)
{
    kiln_db_param params[MAX_PARAMS];
    size_t np = 0;
    kiln_buf b;
    kiln_buf_init(&b);
    kiln_buf_printf(&b, "SELECT count(*) FROM %s", m->table);
    int rc = where_clause(db, m, o, &b, params, MAX_PARAMS, &np);
    const char *sql = rc == 0 ? model_sql(db, &b) : NULL;
    kiln_buf_deinit(&b);
    if (rc)
        return rc;
    if (!sql)
        return db_set_err(db, KILN_ENOMEM, "out of memory");
    *out = 0;
    rc = kiln_db_scalar_int_a(db, out, sql, params, np);
    return rc == KILN_ENOTFOUND ? 0 : rc;
}

/* ---- many-to-many ---------------------------------------------------------
 */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int model_load_links(kiln_dbc *db, const kiln_model *m, void *rows, size_t n)
{
    char *base = rows;
    for (uint32_t fi = 0; fi < m->nfields; fi++) {
        const kiln_field *f = &m->fields[fi];
        if (f->type != KILN_FT_MANY)
            continue;
        char self[64], other[64];
        model_link_columns(m, f, self, other);
        /* the rows' ids, in chunks that keep the statement small */
        for (size_t start = 0; start < n; start += MAX_PARAMS) {
            size_t cnt = n - start < MAX_PARAMS ? n - start : MAX_PARAMS;
            kiln_db_param params[MAX_PARAMS];
            kiln_buf b;
            kiln_buf_init(&b);
            kiln_buf_printf(&b, "SELECT %s, %s FROM %s WHERE %s IN (", self,
                            other, f->through, self);
            for (size_t i = 0; i < cnt; i++) {
                const kiln_field *id = &m->fields[0];
                params[i] = KILN_INT(
                    *(int64_t *)(base + (start + i) * m->size + id->offset));
                kiln_buf_printf(&b, "%s$%zu", i ? ", " : "", i + 1);
            }
            kiln_buf_printf(&b, ") ORDER BY %s, %s", self, other);
            const char *sql = model_sql(db, &b);
            kiln_buf_deinit(&b);
            if (!sql)
                return db_set_err(db, KILN_ENOMEM, "out of memory");
            kiln_rows *r = kiln_db_query_a(db, sql, params, cnt);
            if (!r)
                return db->last_rc ? db->last_rc : KILN_EDB;
            /* pairs arrive grouped by row id, targets ascending */
            int64_t *pairs = NULL;
            size_t np = 0, cap = 0;
            while (kiln_rows_next(r)) {
                if (np == cap) {
                    size_t nc = cap ? cap * 2 : 64;
                    int64_t *nv =
                        kiln_arena_alloc(db->arena, nc * 2 * sizeof *nv);
                    if (!nv) {
                        kiln_rows_close(r);
                        return db_set_err(db, KILN_ENOMEM, "out of memory");
                    }
                    if (np)
                        memcpy(nv, pairs, np * 2 * sizeof *nv);
                    pairs = nv;
                    cap = nc;
                }
                pairs[np * 2] = kiln_row_int(r, 0);
                pairs[np * 2 + 1] = kiln_row_int(r, 1);
                np++;
            }
            int rc = kiln_rows_error(r);
            kiln_rows_close(r);
            if (rc < 0)
                return rc;
            for (size_t i = 0; i < cnt; i++) {
                char *row = base + (start + i) * m->size;
                int64_t id = *(int64_t *)(row + m->fields[0].offset);
                kiln_ids *ids = (kiln_ids *)(row + f->offset);
                ids->v = NULL;
                ids->n = 0;
                size_t lo = 0;
                while (lo < np && pairs[lo * 2] != id)
                    lo++;
                size_t hi = lo;
                while (hi < np && pairs[hi * 2] == id)
                    hi++;
                if (hi == lo)
                    continue;
                ids->v =
                    kiln_arena_alloc(db->arena, (hi - lo) * sizeof *ids->v);
                if (!ids->v)
                    return db_set_err(db, KILN_ENOMEM, "out of memory");
                for (size_t k = lo; k < hi; k++)
                    ids->v[k - lo] = pairs[k * 2 + 1];
                ids->n = hi - lo;
            }
        }
    }
    return 0;
}

int kiln_model_links(kiln_dbc *db, const kiln_model *m, const kiln_field *f,
                     int64_t id, kiln_ids *out)
{
    out->v = NULL;
    out->n = 0;
    if (f->type != KILN_FT_MANY)
        return db_set_err(db, KILN_EINVAL, "%s.%s is not a many field", m->name,
                          f->name);
    char self[64], other[64];
    model_link_columns(m, f, self, other);
    kiln_buf b;
    kiln_buf_init(&b);
    kiln_buf_printf(&b, "SELECT %s FROM %s WHERE %s = $1 ORDER BY %s", other,
                    f->through, self, other);
    const char *sql = model_sql(db, &b);
    kiln_buf_deinit(&b);
    if (!sql)
        return db_set_err(db, KILN_ENOMEM, "out of memory");
    kiln_rows *r = kiln_db_query(db, sql, KILN_INT(id));
    if (!r)
        return db->last_rc ? db->last_rc : KILN_EDB;
    size_t cap = 0;
    while (kiln_rows_next(r)) {
        if (out->n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            int64_t *nv = kiln_arena_alloc(db->arena, nc * sizeof *nv);
            if (!nv) {
                kiln_rows_close(r);
                return db_set_err(db, KILN_ENOMEM, "out of memory");
            }
            if (out->n)
                memcpy(nv, out->v, out->n * sizeof *nv);
            out->v = nv;
            cap = nc;
        }
        out->v[out->n++] = kiln_row_int(r, 0);
    }
    int rc = kiln_rows_error(r);
    kiln_rows_close(r);
    return rc < 0 ? rc : 0;
}

/* One statement on the join table of f with (id, target). */
static int link_exec(kiln_dbc *db, const kiln_model *m, const kiln_field *f,
                     int64_t id, int64_t target, bool add)
{
    if (f->type != KILN_FT_MANY)
        return db_set_err(db, KILN_EINVAL, "%s.%s is not a many field", m->name,
                          f->name);
    char self[64], other[64];
    model_link_columns(m, f, self, other);
    kiln_buf b;
    kiln_buf_init(&b);
    if (add)
        kiln_buf_printf(&b,
                        "INSERT INTO %s (%s, %s) VALUES ($1, $2) "
                        "ON CONFLICT DO NOTHING",
                        f->through, self, other);
    else
        kiln_buf_printf(&b, "DELETE FROM %s WHERE %s = $1 AND %s = $2",
                        f->through, self, other);
    const char *sql = model_sql(db, &b);
    kiln_buf_deinit(&b);
    if (!sql)
        return db_set_err(db, KILN_ENOMEM, "out of memory");
    int64_t rc = kiln_db_exec(db, sql, KILN_INT(id), KILN_INT(target));
    return rc < 0 ? (int)rc : 0;
}

int kiln_model_link(kiln_dbc *db, const kiln_model *m, const kiln_field *f,
                    int64_t id, int64_t target)
{
    return link_exec(db, m, f, id, target, true);
}

int kiln_model_unlink(kiln_dbc *db, const kiln_model *m, const kiln_field *f,
                      int64_t id, int64_t target)
{
    return link_exec(db, m, f, id, target, false);
}

int kiln_model_set_links(kiln_dbc *db, const kiln_model *m, const kiln_field *f,
                         int64_t id, const kiln_ids *ids)
{
    if (f->type != KILN_FT_MANY)
        return db_set_err(db, KILN_EINVAL, "%s.%s is not a many field", m->name,
                          f->name);
    char self[64], other[64];
    model_link_columns(m, f, self, other);
    int rc = kiln_db_begin(db);
    if (rc)
        return rc;
    kiln_buf b;
    kiln_buf_init(&b);
    kiln_buf_printf(&b, "DELETE FROM %s WHERE %s = $1", f->through, self);
    const char *sql = model_sql(db, &b);
    kiln_buf_deinit(&b);
    int64_t n = sql ? kiln_db_exec(db, sql, KILN_INT(id))
                    : db_set_err(db, KILN_ENOMEM, "out of memory");
    rc = n < 0 ? (int)n : 0;
    /* sorted, so the same set always inserts in the same order */
    int64_t *sorted = NULL;
    if (rc == 0 && ids && ids->n) {
        sorted = kiln_arena_alloc(db->arena, ids->n * sizeof *sorted);
        if (!sorted)
            rc = db_set_err(db, KILN_ENOMEM, "out of memory");
        else {
            memcpy(sorted, ids->v, ids->n * sizeof *sorted);
            qsort(sorted, ids->n, sizeof *sorted, cmp_i64);
        }
    }
    for (size_t i = 0; rc == 0 && ids && i < ids->n; i++)
        if (i == 0 || sorted[i] != sorted[i - 1])
            rc = link_exec(db, m, f, id, sorted[i], true);
    if (rc) {
        kiln_db_rollback(db);
        return rc;
    }
    return kiln_db_commit(db);
}
