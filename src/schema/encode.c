/*
 * schema/encode.c - the JSON encoder of a model (kiln_encode_json): a struct
 * to its JSON object, fields in declaration order.
 *
 * Output is stable: for any struct a decode produced, decoding the output
 * again gives a struct that encodes to the same bytes (read-only fields
 * aside: a decode ignores them and leaves them to the server, and a "now"
 * default moves). So datetimes are
 * always written with milliseconds, times with them only when they are not
 * zero, decimals as their canonical text in a string, floats in the
 * shortest form that reads back, and json fields as the minified text the
 * decoder kept. Strings go through kiln_json_put_str (escaping, "</",
 * U+2028/9, ill-formed UTF-8 as U+FFFD); json text is copied with only
 * "</" and U+2028/9 escaped, which can only occur inside its strings.
 *
 * Left out: write-only fields and file fields (uploads are input only).
 */
#include "schema/schema_impl.h"

#include <string.h>

static int enc_object(const kiln_model *m, const void *obj, kiln_buf *b);

/* Copies minified JSON text t, escaping "</" and U+2028/U+2029 so the
   output stays safe inside an HTML <script> and valid JavaScript. */
static int enc_json_text(kiln_str t, kiln_buf *b)
{
    if (t.n == 0)
        return kiln_buf_append(b, "null", 4);
    size_t run = 0;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < t.n; i++) {
        const char *esc = NULL;
        size_t skip = 0;
        if (t.p[i] == '<' && i + 1 < t.n && t.p[i + 1] == '/') {
            esc = "<\\/";
            skip = 2;
        } else if ((unsigned char)t.p[i] == 0xE2 && i + 2 < t.n &&
                   (unsigned char)t.p[i + 1] == 0x80 &&
                   ((unsigned char)t.p[i + 2] == 0xA8 ||
                    (unsigned char)t.p[i + 2] == 0xA9)) {
            esc = (unsigned char)t.p[i + 2] == 0xA8 ? "\\u2028" : "\\u2029";
            skip = 3;
        }
        if (!esc)
            continue;
        rc = kiln_buf_append(b, t.p + run, i - run);
        if (rc == 0)
            rc = kiln_buf_puts(b, esc);
        run = i + skip;
        i += skip - 1;
    }
    return rc ? rc : kiln_buf_append(b, t.p + run, t.n - run);
}

/* Writes a text-formatted value (date, time...) in quotes. */
static int enc_quoted(kiln_buf *b, int (*fmt)(int64_t, kiln_buf *), int64_t v)
{
    int rc = kiln_buf_putc(b, '"');
    if (rc == 0)
        rc = fmt(v, b);
    return rc ? rc : kiln_buf_putc(b, '"');
}

static int enc_datetime(int64_t v, kiln_buf *b)
{
    return kiln_datetime_format(v, b);
}

static int enc_time(int64_t v, kiln_buf *b)
{
    return kiln_timeofday_format(v, b);
}

/* Writes the value of field f (or list item) at p. */
static int enc_value(const kiln_field *f, uint8_t type, const void *p,
                     kiln_buf *b)
{
    int rc;
    switch (type) {
    case KILN_FT_INT:
    case KILN_FT_REF:
        return kiln_json_put_i64(b, *(const int64_t *)p);
    case KILN_FT_FLOAT:
        return kiln_json_put_double(b, *(const double *)p);
    case KILN_FT_BOOL:
        return *(const bool *)p ? kiln_buf_append(b, "true", 4)
                                : kiln_buf_append(b, "false", 5);
    case KILN_FT_DECIMAL:
    case KILN_FT_STRING:
    case KILN_FT_TEXT:
    case KILN_FT_EMAIL:
    case KILN_FT_URL: {
        const kiln_str *s = p;
        return kiln_json_put_str(b, s->p, s->n);
    }
    case KILN_FT_DATE: {
        const kiln_date *d = p;
        rc = kiln_buf_putc(b, '"');
        if (rc == 0)
            rc = kiln_date_format(*d, b);
        return rc ? rc : kiln_buf_putc(b, '"');
    }
    case KILN_FT_DATETIME:
        return enc_quoted(b, enc_datetime, *(const int64_t *)p);
    case KILN_FT_TIME:
        return enc_quoted(b, enc_time, *(const int64_t *)p);
    case KILN_FT_UUID:
        rc = kiln_buf_putc(b, '"');
        if (rc == 0)
            rc = kiln_uuid_format(p, b);
        return rc ? rc : kiln_buf_putc(b, '"');
    case KILN_FT_ENUM: {
        int i = *(const int *)p;
        if (i < 0 || (uint32_t)i >= f->nvalues)
            return kiln_buf_append(b, "null", 4);
        return kiln_json_put_str(b, f->values[i], strlen(f->values[i]));
    }
    case KILN_FT_JSON:
        return enc_json_text(*(const kiln_str *)p, b);
    case KILN_FT_MANY: {
        const kiln_ids *ids = p;
        rc = kiln_buf_putc(b, '[');
        for (size_t i = 0; rc == 0 && i < ids->n; i++) {
            if (i)
                rc = kiln_buf_putc(b, ',');
            if (rc == 0)
                rc = kiln_json_put_i64(b, ids->v[i]);
        }
        return rc ? rc : kiln_buf_putc(b, ']');
    }
    case KILN_FT_LIST: {
        const kiln_list *l = p;
        rc = kiln_buf_putc(b, '[');
        for (size_t i = 0; rc == 0 && i < l->n; i++) {
            if (i)
                rc = kiln_buf_putc(b, ',');
            if (rc == 0)
                rc = enc_value(f, f->item_type,
                               (const char *)l->v + i * f->item_size, b);
        }
        return rc ? rc : kiln_buf_putc(b, ']');
    }
    case KILN_FT_OBJECT:
        return enc_object(f->ref, p, b);
    default:
        return kiln_buf_append(b, "null", 4);
    }
}

/* Writes obj as model m's JSON object. */
static int enc_object(const kiln_model *m, const void *obj, kiln_buf *b)
{
    int rc = kiln_buf_putc(b, '{');
    bool first = true;
    for (uint32_t i = 0; rc == 0 && i < m->nfields; i++) {
        const kiln_field *f = &m->fields[i];
        if ((f->flags & KILN_FF_WRITE_ONLY) || f->type == KILN_FT_FILE)
            continue;
        if (!first)
            rc = kiln_buf_putc(b, ',');
        first = false;
        if (rc == 0)
            rc = kiln_json_put_str(b, f->name, strlen(f->name));
        if (rc == 0)
            rc = kiln_buf_putc(b, ':');
        if (rc)
            break;
        if (schema_is_null(f, obj))
            rc = kiln_buf_append(b, "null", 4);
        else
            rc = enc_value(f, f->type, (const char *)obj + f->offset, b);
    }
    return rc ? rc : kiln_buf_putc(b, '}');
}

int schema_encode_field(const kiln_field *f, const void *obj, kiln_buf *b)
{
    if (schema_is_null(f, obj))
        return kiln_buf_append(b, "null", 4);
    return enc_value(f, f->type, (const char *)obj + f->offset, b);
}

int kiln_encode_json(const kiln_model *m, const void *obj, kiln_buf *b)
{
    return enc_object(m, obj, b);
}

int kiln_encode_json_list(const kiln_model *m, const void *items, size_t n,
                          kiln_buf *b)
{
    int rc = kiln_buf_putc(b, '[');
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (i)
            rc = kiln_buf_putc(b, ',');
        if (rc == 0)
            rc = enc_object(m, (const char *)items + i * m->size, b);
    }
    return rc ? rc : kiln_buf_putc(b, ']');
}
