/*
 * model/value.c - a model's struct as a template value: an object whose
 * keys are the fields (write-only ones left out), each typed as the JSON
 * encoder writes it, so {{ task.due|date("%d %b") }} and
 * {% if task.done %} work on what task_get read.
 */
#include "model/runtime.h"

#include <string.h>

/* The pair an object value points to. */
typedef struct model_obj {
    const kiln_model *m;
    const void *obj;
} model_obj;

static int field_value(const kiln_field *f, const void *obj, kiln_arena *a,
                       kiln_value *out);

/* The visible fields: every field but the write-only ones. */
static const kiln_field *visible(const kiln_model *m, size_t i)
{
    for (uint32_t k = 0; k < m->nfields; k++) {
        if (m->fields[k].flags & KILN_FF_WRITE_ONLY)
            continue;
        if (i-- == 0)
            return &m->fields[k];
    }
    return NULL;
}

static int obj_get(const void *self, kiln_str key, kiln_arena *a,
                   kiln_value *out)
{
    const model_obj *o = self;
    int i = kiln_model_field(o->m, key);
    if (i < 0 || (o->m->fields[i].flags & KILN_FF_WRITE_ONLY))
        return 0;
    int rc = field_value(&o->m->fields[i], o->obj, a, out);
    return rc < 0 ? rc : 1;
}

static size_t obj_len(const void *self)
{
    const model_obj *o = self;
    size_t n = 0;
    for (uint32_t k = 0; k < o->m->nfields; k++)
        n += !(o->m->fields[k].flags & KILN_FF_WRITE_ONLY);
    return n;
}

static int obj_entry(const void *self, size_t i, kiln_arena *a, kiln_str *key,
                     kiln_value *val)
{
    const model_obj *o = self;
    const kiln_field *f = visible(o->m, i);
    if (!f)
        return KILN_EINVAL;
    *key = kiln_str_c(f->name);
    return field_value(f, o->obj, a, val);
}

static const kiln_value_class model_class = {"model", obj_get, obj_len,
                                             obj_entry};

/* Text formatted by fmt into a, as a string value. */
static int text_value(kiln_arena *a, kiln_buf *b, int rc, kiln_value *out)
{
    if (rc == 0)
        *out = kiln_value_str_copy(a, kiln_buf_str(b));
    kiln_buf_deinit(b);
    if (rc == 0 && out->type != KILN_VALUE_STRING)
        rc = KILN_ENOMEM;
    return rc;
}

static int field_value(const kiln_field *f, const void *obj, kiln_arena *a,
                       kiln_value *out)
{
    *out = kiln_value_null();
    if (model_is_null(f, obj))
        return 0;
    const void *v = (const char *)obj + f->offset;
    kiln_buf b;
    kiln_buf_init(&b);
    switch (f->type) {
    case KILN_FT_INT:
    case KILN_FT_REF:
        *out = kiln_value_int(*(const int64_t *)v);
        return 0;
    case KILN_FT_FLOAT:
        *out = kiln_value_float(*(const double *)v);
        return 0;
    case KILN_FT_BOOL:
        *out = kiln_value_bool(*(const bool *)v);
        return 0;
    case KILN_FT_DECIMAL:
    case KILN_FT_STRING:
    case KILN_FT_TEXT:
    case KILN_FT_EMAIL:
    case KILN_FT_URL:
        *out = kiln_value_str(*(const kiln_str *)v);
        return 0;
    case KILN_FT_ENUM: {
        int i = *(const int *)v;
        if (i >= 0 && (uint32_t)i < f->nvalues)
            *out = kiln_value_cstr(f->values[i]);
        return 0;
    }
    case KILN_FT_JSON: {
        kiln_str s = *(const kiln_str *)v;
        kiln_json *j = NULL;
        if (!s.n || kiln_json_parse(a, s.p, s.n, 0, &j, NULL) != 0)
            return 0;
        return kiln_value_from_json(a, j, out);
    }
    case KILN_FT_DATE:
        return text_value(a, &b, kiln_date_format(*(const kiln_date *)v, &b),
                          out);
    case KILN_FT_DATETIME:
        return text_value(
            a, &b, kiln_datetime_format(*(const kiln_datetime *)v, &b), out);
    case KILN_FT_TIME:
        return text_value(
            a, &b, kiln_timeofday_format(*(const kiln_timeofday *)v, &b), out);
    case KILN_FT_UUID:
        return text_value(a, &b, kiln_uuid_format((const kiln_uuid *)v, &b),
                          out);
    case KILN_FT_MANY: {
        const kiln_ids *ids = v;
        *out = kiln_value_list(a);
        for (size_t i = 0; i < ids->n; i++)
            if (kiln_value_push(*out, kiln_value_int(ids->v[i])) != 0)
                return KILN_ENOMEM;
        return 0;
    }
    case KILN_FT_OBJECT:
        if (f->ref)
            *out = kiln_model_value(f->ref, v, a);
        return 0;
    case KILN_FT_LIST: {
        const kiln_list *l = v;
        if (f->item_type == KILN_FT_OBJECT && f->ref) {
            *out = kiln_model_value_list(f->ref, l->v, l->n, a);
            return 0;
        }
        /* a list of scalars: each item as a field of the item type */
        kiln_field item = *f;
        item.type = f->item_type;
        item.has_offset = KILN_NO_OFFSET;
        item.offset = 0;
        *out = kiln_value_list(a);
        for (size_t i = 0; i < l->n; i++) {
            kiln_value iv;
            int rc = field_value(&item, (const char *)l->v + i * f->item_size,
                                 a, &iv);
            if (rc || kiln_value_push(*out, iv) != 0)
                return rc ? rc : KILN_ENOMEM;
        }
        return 0;
    }
    case KILN_FT_FILE: {
        const kiln_upload *u = *(const kiln_upload *const *)v;
        if (u)
            *out = kiln_value_str(u->filename);
        return 0;
    }
    }
    return 0;
}

kiln_value kiln_model_value(const kiln_model *m, const void *obj, kiln_arena *a)
{
    /* a copy of the struct: the caller's (often on its stack) may be gone
       by the time the template is rendered */
    model_obj *o = kiln_arena_alloc(a, sizeof *o);
    void *copy = o ? kiln_arena_alloc(a, m->size) : NULL;
    if (!copy)
        return kiln_value_null();
    memcpy(copy, obj, m->size);
    o->m = m;
    o->obj = copy;
    return kiln_value_object(&model_class, o);
}

kiln_value kiln_model_value_list(const kiln_model *m, const void *items,
                                 size_t n, kiln_arena *a)
{
    kiln_value l = kiln_value_list(a);
    for (size_t i = 0; i < n; i++) {
        kiln_value v =
            kiln_model_value(m, (const char *)items + i * m->size, a);
        if (v.type == KILN_VALUE_NULL || kiln_value_push(l, v) != 0)
            return kiln_value_null();
    }
    return l;
}
