/*
 * model/row.c - between a model's struct and the data layer: a field's
 * value as a typed SQL parameter, and a column of a row back into the
 * field. The same on SQLite and PostgreSQL: dates, times, UUIDs,
 * decimals, enums and JSON travel as text, datetimes as KILN_TIME.
 */
#include "model/runtime.h"

#include <stdio.h>
#include <string.h>

/* The value of field f inside obj. */
static inline void *at(const void *obj, const kiln_field *f)
{
    return (char *)obj + f->offset;
}

bool model_is_null(const kiln_field *f, const void *obj)
{
    return f->has_offset != KILN_NO_OFFSET &&
           !*(const bool *)((const char *)obj + f->has_offset);
}

void model_set_null(const kiln_field *f, void *obj, bool null)
{
    if (f->has_offset != KILN_NO_OFFSET)
        *(bool *)((char *)obj + f->has_offset) = !null;
}

/* Text made in a, as a TEXT parameter (NULL when a is exhausted). */
static kiln_db_param text_param(kiln_arena *a, const kiln_buf *b)
{
    char *s = kiln_arena_strndup(a, b->p ? b->p : "", b->n);
    return s ? KILN_STRV(((kiln_str){s, b->n})) : KILN_NULL;
}

int model_param(const kiln_field *f, const void *obj, kiln_arena *a,
                kiln_db_param *out)
{
    if (model_is_null(f, obj)) {
        *out = KILN_NULL;
        return 0;
    }
    const void *v = at(obj, f);
    kiln_buf b;
    kiln_buf_init(&b);
    int rc = 0;
    switch (f->type) {
    case KILN_FT_INT:
    case KILN_FT_REF:
        *out = KILN_INT(*(const int64_t *)v);
        return 0;
    case KILN_FT_FLOAT:
        *out = KILN_FLOAT(*(const double *)v);
        return 0;
    case KILN_FT_BOOL:
        *out = KILN_BOOL(*(const bool *)v);
        return 0;
    case KILN_FT_DATETIME:
        *out = KILN_TIME(*(const kiln_datetime *)v);
        return 0;
    case KILN_FT_DECIMAL:
    case KILN_FT_STRING:
    case KILN_FT_TEXT:
    case KILN_FT_EMAIL:
    case KILN_FT_URL:
    case KILN_FT_JSON: {
        kiln_str s = *(const kiln_str *)v;
        if (!s.p) /* an empty view: "" (a NULL p would be SQL NULL) */
            s = (kiln_str){"", 0};
        if (f->type == KILN_FT_JSON && s.n == 0)
            s = KILN_STR("null");
        *out = KILN_STRV(s);
        return 0;
    }
    case KILN_FT_ENUM: {
        int i = *(const int *)v;
        if (i < 0 || (uint32_t)i >= f->nvalues)
            return KILN_EINVAL;
        *out = KILN_TEXT(f->values[i]);
        return 0;
    }
    case KILN_FT_DATE:
        rc = kiln_date_format(*(const kiln_date *)v, &b);
        break;
    case KILN_FT_TIME: {
        /* full precision: the format helper keeps milliseconds only */
        int64_t t = *(const kiln_timeofday *)v;
        if (t < 0 || t >= 86400000000LL)
            return KILN_EINVAL;
        rc = kiln_buf_printf(&b, "%02d:%02d:%02d.%06d", (int)(t / 3600000000LL),
                             (int)(t / 60000000 % 60), (int)(t / 1000000 % 60),
                             (int)(t % 1000000));
        break;
    }
    case KILN_FT_UUID:
        rc = kiln_uuid_format((const kiln_uuid *)v, &b);
        break;
    default:
        return KILN_EINVAL;
    }
    if (rc == 0) {
        *out = text_param(a, &b);
        if (out->type == KILN_DB_NULL)
            rc = KILN_ENOMEM;
    }
    kiln_buf_deinit(&b);
    return rc;
}

int model_read_column(const kiln_field *f, kiln_rows *r, int col, kiln_arena *a,
                      void *obj)
{
    void *v = at(obj, f);
    if (kiln_row_is_null(r, col)) {
        if (f->has_offset == KILN_NO_OFFSET)
            return 0; /* a NULL in a required column: left zero */
        model_set_null(f, obj, true);
        return 0;
    }
    model_set_null(f, obj, false);
    kiln_str s;
    switch (f->type) {
    case KILN_FT_INT:
    case KILN_FT_REF:
        *(int64_t *)v = kiln_row_int(r, col);
        return 0;
    case KILN_FT_FLOAT:
        *(double *)v = kiln_row_float(r, col);
        return 0;
    case KILN_FT_BOOL:
        *(bool *)v = kiln_row_bool(r, col);
        return 0;
    case KILN_FT_DATETIME:
        *(kiln_datetime *)v = kiln_row_time(r, col);
        return 0;
    default:
        break;
    }
    s = kiln_row_text(r, col);
    if (!s.p)
        return KILN_EINVAL;
    switch (f->type) {
    case KILN_FT_DECIMAL: {
        kiln_buf b;
        kiln_buf_init(&b);
        int rc = kiln_decimal_canon(s, f->precision ? f->precision : 1000,
                                    f->scale, &b);
        if (rc == 0) {
            char *p = kiln_arena_strndup(a, b.p ? b.p : "", b.n);
            if (p)
                *(kiln_str *)v = (kiln_str){p, b.n};
            else
                rc = KILN_ENOMEM;
        }
        kiln_buf_deinit(&b);
        return rc;
    }
    case KILN_FT_STRING:
    case KILN_FT_TEXT:
    case KILN_FT_EMAIL:
    case KILN_FT_URL:
    case KILN_FT_JSON:
        *(kiln_str *)v = s; /* already in the connection's arena */
        return 0;
    case KILN_FT_ENUM:
        for (uint32_t i = 0; i < f->nvalues; i++)
            if (kiln_str_eq(s, kiln_str_c(f->values[i]))) {
                *(int *)v = (int)i;
                return 0;
            }
        return KILN_EINVAL;
    case KILN_FT_DATE:
        return kiln_date_parse(s, (kiln_date *)v);
    case KILN_FT_TIME:
        return kiln_timeofday_parse(s, (kiln_timeofday *)v);
    case KILN_FT_UUID:
        return kiln_uuid_parse(s, (kiln_uuid *)v);
    default:
        return KILN_EINVAL;
    }
}

int kiln_model_from_row(const kiln_model *m, kiln_rows *r, void *out)
{
    memset(out, 0, m->size);
    kiln_arena *a = kiln_dbc_arena(r->db);
    int n = kiln_rows_ncols(r);
    for (int c = 0; c < n; c++) {
        const char *name = kiln_rows_colname(r, c);
        for (uint32_t i = 0; name && i < m->nfields; i++) {
            const kiln_field *f = &m->fields[i];
            if (!f->column || strcmp(f->column, name) != 0)
                continue;
            int rc = model_read_column(f, r, c, a, out);
            if (rc)
                return db_set_err(r->db, rc,
                                  "column %s: the value does not fit field "
                                  "%s.%s (%s)",
                                  name, m->name, f->name, kiln_strerror(rc));
            break;
        }
    }
    return 0;
}

int model_read_row(const kiln_model *m, kiln_rows *r, void *out)
{
    memset(out, 0, m->size);
    kiln_arena *a = kiln_dbc_arena(r->db);
    int c = 0;
    for (uint32_t i = 0; i < m->nfields; i++) {
        const kiln_field *f = &m->fields[i];
        if (!f->column)
            continue;
        int rc = model_read_column(f, r, c++, a, out);
        if (rc)
            return db_set_err(r->db, rc,
                              "%s.%s: the stored value does not fit the "
                              "field (%s)",
                              m->table, f->column, kiln_strerror(rc));
    }
    return 0;
}
