/*
 * schema/defaults.c - fields an input did not give: defaults (a constant
 * written as JSON text, the current date or time, a random UUID), NULL for
 * optional fields, "required" errors for the rest, by decode mode; and
 * kiln_defaults, the same for a struct built in C.
 *
 * A default written as JSON text is decoded by the JSON decoder itself
 * (schema_json_field), so it is held to exactly the rules of an input.
 */
#include "schema/schema_impl.h"

#include <string.h>

int schema_default(schema_dec *d, const kiln_field *f, void *obj,
                   const schema_path *path)
{
    if (f->flags & KILN_FF_DEFAULT_NOW) {
        kiln_datetime now = kiln_datetime_now();
        int64_t us_day = INT64_C(86400000000);
        if (f->type == KILN_FT_DATE)
            *SCHEMA_AT(obj, f, kiln_date) = kiln_date_from_days(now / us_day);
        else if (f->type == KILN_FT_TIME)
            *SCHEMA_AT(obj, f, kiln_timeofday) = now % us_day;
        else
            *SCHEMA_AT(obj, f, kiln_datetime) = now;
        schema_set_has(f, obj, true);
        return 1;
    }
    if (f->flags & KILN_FF_DEFAULT_RANDOM) {
        int rc = kiln_uuid_random(SCHEMA_AT(obj, f, kiln_uuid));
        if (rc)
            return rc;
        schema_set_has(f, obj, true);
        return 1;
    }
    if (!f->def)
        return 0;
    int rc = schema_json_field(d, f, kiln_str_c(f->def), obj, path);
    if (rc == KILN_EPARSE)
        return schema_error(&d->sink, path, "invalid_default",
                            "the model's default is not JSON");
    return rc < 0 ? rc : 1;
}

/* The zero value an HTML form means by leaving field f out (an unchecked
   checkbox, a multi-select with nothing chosen); false when there is
   none. */
static bool defaults_form_zero(const kiln_field *f, void *obj)
{
    if (f->type == KILN_FT_BOOL) {
        *SCHEMA_AT(obj, f, bool) = false;
    } else if (f->type == KILN_FT_MANY ||
               (f->type == KILN_FT_LIST && f->item_type != KILN_FT_OBJECT)) {
        memset((char *)obj + f->offset, 0,
               f->type == KILN_FT_MANY ? sizeof(kiln_ids) : sizeof(kiln_list));
    } else {
        return false;
    }
    schema_set_has(f, obj, true);
    return true;
}

int schema_absent(schema_dec *d, const kiln_model *m, void *obj,
                  const kiln_fieldset *seen, const schema_path *path)
{
    if (d->mode == KILN_DECODE_PATCH)
        return 0;
    for (uint32_t i = 0; i < m->nfields; i++) {
        const kiln_field *f = &m->fields[i];
        if (kiln_fieldset_has(seen, i))
            continue;
        schema_path at = {path, f->name, strlen(f->name)};
        if (d->form && !(f->flags & KILN_FF_READ_ONLY) &&
            defaults_form_zero(f, obj))
            continue;
        int rc = schema_default(d, f, obj, &at);
        if (rc < 0)
            return rc;
        if (rc == 1 || (f->flags & KILN_FF_READ_ONLY))
            continue;
        if (f->flags & KILN_FF_OPTIONAL)
            schema_set_has(f, obj, false);
        else if (f->type == KILN_FT_MANY) /* no links: the empty set */
            memset((char *)obj + f->offset, 0, sizeof(kiln_ids));
        else if (f->type == KILN_FT_FILE)
            schema_error(&d->sink, &at, "file_required", "a file is required");
        else
            schema_error(&d->sink, &at, "required", "this field is required");
    }
    return d->sink.rc;
}

int kiln_defaults(const kiln_model *m, kiln_arena *a, void *out)
{
    kiln_errors errs;
    schema_dec d = {.a = a, .mode = KILN_DECODE_CREATE};
    kiln_errors_init(&errs, a);
    schema_sink_init(&d.sink, &errs, "");
    kiln_buf_init(&d.tmp);
    memset(out, 0, m->size);
    int rc = 0;
    for (uint32_t i = 0; rc >= 0 && i < m->nfields; i++) {
        const kiln_field *f = &m->fields[i];
        schema_path at = {NULL, f->name, strlen(f->name)};
        rc = schema_default(&d, f, out, &at);
        if (rc == 0 && f->type == KILN_FT_OBJECT && f->ref &&
            !(f->flags & KILN_FF_OPTIONAL))
            rc = kiln_defaults(f->ref, a, SCHEMA_AT(out, f, char));
    }
    kiln_buf_deinit(&d.tmp);
    schema_sink_deinit(&d.sink);
    if (rc >= 0 && d.sink.rc)
        rc = d.sink.rc;
    return rc < 0 ? rc : 0;
}
