/*
 * admin/text.c - values as the admin shows them: a field of a row as
 * text (lists, CSV, labels), a database cell of any type as text, and a
 * row's label.
 */
#include "admin/admin_impl.h"
#include "model/runtime.h"

#include <stdio.h>
#include <string.h>

const char *admin_field_text(const kiln_field *f, const void *obj,
                             kiln_arena *a)
{
    if (f->type == KILN_FT_MANY) {
        const kiln_ids *ids = (const kiln_ids *)((const char *)obj + f->offset);
        kiln_buf b;
        kiln_buf_init(&b);
        for (size_t i = 0; i < ids->n; i++)
            kiln_buf_printf(&b, "%s%lld", i ? ", " : "", (long long)ids->v[i]);
        char *s = kiln_arena_strndup(a, b.p ? b.p : "", b.n);
        kiln_buf_deinit(&b);
        return s ? s : "";
    }
    kiln_db_param p;
    if (model_param(f, obj, a, &p) != 0)
        return "";
    char *s = NULL;
    switch (p.type) {
    case KILN_DB_NULL:
        return "";
    case KILN_DB_INT:
        s = kiln_arena_printf(a, "%lld", (long long)p.v.i);
        break;
    case KILN_DB_FLOAT:
        s = kiln_arena_printf(a, "%.17g", p.v.f);
        break;
    case KILN_DB_BOOL:
        return p.v.b ? "true" : "false";
    case KILN_DB_TIME: {
        kiln_buf b;
        kiln_buf_init(&b);
        kiln_datetime_format(p.v.i, &b);
        s = kiln_arena_strndup(a, b.p ? b.p : "", b.n);
        kiln_buf_deinit(&b);
        break;
    }
    default:
        s = kiln_arena_strndup(a, p.v.s.p ? p.v.s.p : "", p.v.s.n);
        break;
    }
    return s ? s : "";
}

const char *admin_cell_text(kiln_rows *r, int i, kiln_arena *a)
{
    if (kiln_row_is_null(r, i))
        return "";
    char *s = NULL;
    switch (kiln_row_type(r, i)) {
    case KILN_DB_INT:
        s = kiln_arena_printf(a, "%lld", (long long)kiln_row_int(r, i));
        break;
    case KILN_DB_FLOAT:
        s = kiln_arena_printf(a, "%.17g", kiln_row_float(r, i));
        break;
    case KILN_DB_BOOL:
        return kiln_row_bool(r, i) ? "true" : "false";
    case KILN_DB_TIME: {
        kiln_buf b;
        kiln_buf_init(&b);
        kiln_datetime_format(kiln_row_time(r, i), &b);
        s = kiln_arena_strndup(a, b.p ? b.p : "", b.n);
        kiln_buf_deinit(&b);
        break;
    }
    default: {
        kiln_str t = kiln_row_text(r, i);
        s = kiln_arena_strndup(a, t.p ? t.p : "", t.n);
        break;
    }
    }
    return s ? s : "";
}

const kiln_field *admin_label_field(const kiln_model *m)
{
    for (uint32_t i = 0; i < m->nfields; i++) {
        const kiln_field *f = &m->fields[i];
        if ((f->type == KILN_FT_STRING || f->type == KILN_FT_EMAIL) &&
            f->column && !(f->flags & KILN_FF_WRITE_ONLY))
            return f;
    }
    return NULL;
}

const char *admin_row_label(const kiln_model *m, const void *obj, kiln_arena *a)
{
    const kiln_field *f = admin_label_field(m);
    const char *s = f ? admin_field_text(f, obj, a) : "";
    if (*s)
        return s;
    s = kiln_arena_printf(
        a, "%s #%lld", admin_title(m->label, a),
        (long long)*(const int64_t *)((const char *)obj + m->fields[0].offset));
    return s ? s : "";
}

const char *admin_title(const char *s, kiln_arena *a)
{
    char *t = kiln_arena_strndup(a, s, strlen(s));
    if (!t)
        return s;
    for (char *p = t; *p; p++)
        if (*p == '_')
            *p = ' ';
    if (t[0] >= 'a' && t[0] <= 'z')
        t[0] = (char)(t[0] - 'a' + 'A');
    return t;
}
