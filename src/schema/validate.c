/*
 * schema/validate.c - kiln_validate: a struct built in C (or read from the
 * database, or changed by a handler) checked against its model with the
 * same checks and codes as a decoded input (check.c), plus what a decoder
 * guarantees by construction and C code may break: well-formed UTF-8,
 * canonical decimals, real dates and times, enum indexes in range, json
 * text that is JSON, required files present.
 */
#include "schema/schema_impl.h"

#include "json/utf8.h"

#include <string.h>

static int val_object(schema_dec *d, const kiln_model *m, const void *obj,
                      const schema_path *path);

/* True when s is well-formed UTF-8. */
static bool val_utf8(kiln_str s)
{
    const unsigned char *p = (const unsigned char *)s.p;
    for (size_t i = 0; i < s.n;) {
        size_t bad, len = json_utf8_len(p + i, s.n - i, &bad);
        if (!len)
            return false;
        i += len;
    }
    return true;
}

/* Checks the value of type `type` of field f at p. */
static int val_value(schema_dec *d, const kiln_field *f, uint8_t type,
                     const void *p, const schema_path *path)
{
    schema_sink *k = &d->sink;
    switch (type) {
    case KILN_FT_INT:
    case KILN_FT_REF:
        return schema_check_int(k, f, *(const int64_t *)p, path);
    case KILN_FT_FLOAT:
        return schema_check_float(k, f, *(const double *)p, path);
    case KILN_FT_DECIMAL: {
        kiln_str s = *(const kiln_str *)p;
        kiln_buf_clear(&d->tmp);
        int rc = schema_decimal_canon(s, f->precision, f->scale, &d->tmp, NULL);
        if (rc < 0)
            return rc;
        if (rc == SCHEMA_DEC_PLACES)
            return schema_error(k, path, "decimal_places",
                                "at most %d digits after the decimal point",
                                f->scale);
        if (rc == SCHEMA_DEC_DIGITS)
            return schema_error(k, path, "max_digits",
                                "at most %d digits in all (%d after the "
                                "point)",
                                f->precision, f->scale);
        if (rc || !kiln_str_eq(kiln_buf_str(&d->tmp), s))
            return schema_error(k, path, "invalid_decimal",
                                "not a canonical decimal with %d digits after "
                                "the point",
                                f->scale);
        return schema_check_decimal(k, f, s, path);
    }
    case KILN_FT_STRING:
    case KILN_FT_TEXT:
    case KILN_FT_EMAIL:
    case KILN_FT_URL: {
        kiln_str s = *(const kiln_str *)p;
        if ((s.n && !s.p) || !val_utf8(s))
            return schema_error(k, path, "type", "not valid UTF-8 text");
        return schema_check_str(k, f, s, path);
    }
    case KILN_FT_DATE: {
        kiln_date v = *(const kiln_date *)p;
        if (!schema_date_valid(v))
            return schema_error(k, path, "invalid_date", "not a real date");
        return schema_check_when(k, f, kiln_date_days(v), path);
    }
    case KILN_FT_DATETIME: {
        kiln_datetime v = *(const kiln_datetime *)p;
        if (!schema_datetime_valid(v))
            return schema_error(k, path, "invalid_datetime",
                                "outside years 1 to 9999");
        return schema_check_when(k, f, v, path);
    }
    case KILN_FT_TIME: {
        kiln_timeofday v = *(const kiln_timeofday *)p;
        if (v < 0 || v >= INT64_C(86400000000))
            return schema_error(k, path, "invalid_time", "not a time of day");
        return schema_check_when(k, f, v, path);
    }
    case KILN_FT_ENUM: {
        int v = *(const int *)p;
        if (v < 0 || (uint32_t)v >= f->nvalues)
            return schema_error(k, path, "choice", "not one of the %u values",
                                f->nvalues);
        return 0;
    }
    case KILN_FT_JSON: {
        kiln_str s = *(const kiln_str *)p;
        if (s.n == 0)
            return 0; /* written as null */
        kiln_field any = {.type = KILN_FT_JSON,
                          .flags = KILN_FF_OPTIONAL,
                          .has_offset = KILN_NO_OFFSET};
        kiln_str text;
        int rc = schema_json_field(d, &any, s, &text, path);
        if (rc == KILN_EPARSE)
            return schema_error(k, path, "invalid_json", "not JSON text");
        return rc;
    }
    case KILN_FT_MANY: {
        const kiln_ids *ids = p;
        int rc = schema_check_count(k, f, ids->n, path);
        return rc ? rc : schema_check_ids(d, f, ids->v, ids->n, path);
    }
    case KILN_FT_LIST: {
        const kiln_list *l = p;
        int rc = schema_check_count(k, f, l->n, path), any = 0;
        if (rc)
            return rc;
        kiln_field item;
        schema_item_field(f, &item);
        for (size_t i = 0; i < l->n; i++) {
            schema_path at = {path, NULL, i};
            rc = val_value(d, &item, item.type,
                           (const char *)l->v + i * f->item_size, &at);
            if (rc < 0)
                return rc;
            any |= rc;
        }
        return any;
    }
    case KILN_FT_OBJECT:
        return val_object(d, f->ref, p, path);
    case KILN_FT_FILE:
        if (!*(const kiln_upload *const *)p)
            return schema_error(k, path, "file_required", "a file is required");
        return 0;
    default:
        return 0;
    }
}

/* Checks every field of obj as model m. */
static int val_object(schema_dec *d, const kiln_model *m, const void *obj,
                      const schema_path *path)
{
    int any = 0;
    for (uint32_t i = 0; i < m->nfields; i++) {
        const kiln_field *f = &m->fields[i];
        if (schema_is_null(f, obj))
            continue;
        schema_path at = {path, f->name, strlen(f->name)};
        int rc = val_value(d, f, f->type, (const char *)obj + f->offset, &at);
        if (rc < 0)
            return rc;
        any |= rc;
    }
    return any;
}

int kiln_validate(const kiln_model *m, const void *obj, const char *prefix,
                  kiln_errors *errs)
{
    schema_dec d = {.a = errs->arena, .max_depth = 64};
    schema_sink_init(&d.sink, errs, prefix);
    kiln_buf_init(&d.tmp);
    size_t before = errs->n + errs->dropped;
    int rc = val_object(&d, m, obj, NULL);
    if (rc >= 0 && d.sink.rc)
        rc = d.sink.rc;
    kiln_buf_deinit(&d.tmp);
    schema_sink_deinit(&d.sink);
    if (rc < 0)
        return rc;
    return errs->n + errs->dropped > before ? KILN_EINVAL : 0;
}
