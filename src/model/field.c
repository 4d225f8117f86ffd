/*
 * model/field.c - one field declaration of the model language into a
 * kiln_field: the shorthand ("string:200", "date?", "ref:project",
 * "enum:open,doing,done", "decimal:8,2") or a table of options, each
 * option checked against the field's type, every default checked against
 * the type and constraints it must fit.
 */
#include "model/model.h"

#include "config/settings.h"

#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- types --------------------------------------------------------------- */

static const struct {
    const char *name;
    int type;
} types[] = {
    {"integer", KILN_FT_INT},     {"float", KILN_FT_FLOAT},
    {"decimal", KILN_FT_DECIMAL}, {"bool", KILN_FT_BOOL},
    {"string", KILN_FT_STRING},   {"text", KILN_FT_TEXT},
    {"date", KILN_FT_DATE},       {"datetime", KILN_FT_DATETIME},
    {"time", KILN_FT_TIME},       {"uuid", KILN_FT_UUID},
    {"email", KILN_FT_EMAIL},     {"url", KILN_FT_URL},
    {"enum", KILN_FT_ENUM},       {"json", KILN_FT_JSON},
    {"ref", KILN_FT_REF},         {"many", KILN_FT_MANY},
    {"object", KILN_FT_OBJECT},   {"list", KILN_FT_LIST},
    {"file", KILN_FT_FILE},
};
#define NTYPES (sizeof types / sizeof types[0])

const char *model_type_name(int type)
{
    for (size_t i = 0; i < NTYPES; i++)
        if (types[i].type == type)
            return types[i].name;
    return "?";
}

int model_type_from_name(const char *name, size_t n)
{
    for (size_t i = 0; i < NTYPES; i++)
        if (strlen(types[i].name) == n && memcmp(types[i].name, name, n) == 0)
            return types[i].type;
    return -1;
}

/* Types only endpoint schemas have, and types only models have. */
static bool endpoint_only(int t)
{
    return t == KILN_FT_OBJECT || t == KILN_FT_LIST || t == KILN_FT_FILE;
}

/* ---- options --------------------------------------------------------------
 */

/* Type masks for the option table. */
#define T(x) (1u << (x))
#define T_ALL 0xffffffffu
#define T_STR                                                                  \
    (T(KILN_FT_STRING) | T(KILN_FT_TEXT) | T(KILN_FT_EMAIL) | T(KILN_FT_URL))
#define T_NUM (T(KILN_FT_INT) | T(KILN_FT_FLOAT) | T(KILN_FT_DECIMAL))
#define T_COL                                                                  \
    (T_ALL & ~(T(KILN_FT_MANY) | T(KILN_FT_OBJECT) | T(KILN_FT_LIST) |         \
               T(KILN_FT_FILE)))

static const struct option {
    const char *name;
    unsigned types; /* the types it applies to */
    const char *what;
} options[] = {
    {"type", T_ALL, NULL},
    {"optional", T_ALL & ~T(KILN_FT_MANY), NULL},
    {"required", T_ALL & ~T(KILN_FT_MANY), NULL},
    {"default",
     T_ALL & ~(T(KILN_FT_MANY) | T(KILN_FT_OBJECT) | T(KILN_FT_LIST) |
               T(KILN_FT_FILE)),
     NULL},
    {"unique", T_COL & ~T(KILN_FT_JSON), "a column"},
    {"index", T_COL & ~T(KILN_FT_JSON), "a column"},
    {"min", T_NUM, "a number"},
    {"max", T_NUM, "a number"},
    {"min_length", T_STR, "a string"},
    {"max_length", T_STR, "a string"},
    {"min_items", T(KILN_FT_LIST), "a list"},
    {"max_items", T(KILN_FT_LIST), "a list"},
    {"pattern", T_STR, "a string"},
    {"blank", T_STR, "a string"},
    {"read_only", T_ALL, NULL},
    {"write_only", T_ALL, NULL},
    {"help", T_ALL, NULL},
    {"label", T_ALL, NULL},
    {"auto", T(KILN_FT_DATETIME), "a datetime"},
    {"on_delete", T(KILN_FT_REF), "a ref"},
    {"to", T(KILN_FT_REF) | T(KILN_FT_MANY), "a ref or many"},
    {"values", T(KILN_FT_ENUM), "an enum"},
    {"precision", T(KILN_FT_DECIMAL), "a decimal"},
    {"scale", T(KILN_FT_DECIMAL), "a decimal"},
    {"renamed_from", T_ALL, NULL},
    {"of", T(KILN_FT_LIST), "a list"},
    {"fields", T(KILN_FT_OBJECT) | T(KILN_FT_LIST), "an object or list"},
};
#define NOPTIONS (sizeof options / sizeof options[0])

/* ---- reporting ------------------------------------------------------------
 */

typedef struct fctx {
    model_set *s;
    const char *file;
    const char *name; /* the field */
    kiln_buf *errs;
    int failed;
} fctx;

static void fail_at(fctx *x, int line, int col, const char *fmt, ...)
    KILN_PRINTF(4, 5);

static void fail_at(fctx *x, int line, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    model_errorv(x->errs, x->file, line, col, fmt, ap);
    va_end(ap);
    x->failed = 1;
}

static char *dup(fctx *x, const char *p, size_t n)
{
    return kiln_arena_strndup(&x->s->arena, p, n);
}

/* Appends ", did you mean 'x'?" to a message about name among cands. */
static const char *nearest(const char *name, size_t n, const char *const *cands,
                           size_t ncand)
{
    const char *best = NULL;
    size_t bd = (size_t)-1;
    for (size_t i = 0; i < ncand; i++) {
        size_t d = settings_distance(name, n, cands[i], strlen(cands[i]));
        if (d < bd) {
            bd = d;
            best = cands[i];
        }
    }
    size_t limit = n <= 3 ? 1 : n <= 6 ? 2 : 3;
    return bd <= limit ? best : NULL;
}

static const char *type_suggest(const char *name, size_t n)
{
    const char *cands[NTYPES];
    for (size_t i = 0; i < NTYPES; i++)
        cands[i] = types[i].name;
    return nearest(name, n, cands, NTYPES);
}

static const char *option_suggest(const char *name, size_t n)
{
    const char *cands[NOPTIONS];
    for (size_t i = 0; i < NOPTIONS; i++)
        cands[i] = options[i].name;
    return nearest(name, n, cands, NOPTIONS);
}

/* ---- names ------------------------------------------------------------- */

bool model_name_ok(const char *s, size_t n)
{
    if (n == 0 || n > MODEL_NAME_MAX || !(s[0] >= 'a' && s[0] <= 'z'))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
              s[i] == '_'))
            return false;
    return s[n - 1] != '_';
}

/* ---- the shorthand ------------------------------------------------------- */

/* A positive integer in s[0..n), or -1. */
static long long small_int(const char *s, size_t n)
{
    long long v = 0;
    if (n == 0 || n > 9)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* Splits "a,b,c" (no empty items) into an arena array; count in *n. */
static const char *const *split_values(fctx *x, const char *p, size_t len,
                                       uint32_t *n)
{
    size_t count = 1;
    for (size_t i = 0; i < len; i++)
        count += p[i] == ',';
    const char **v = kiln_arena_alloc(&x->s->arena, count * sizeof *v);
    if (!v)
        return NULL;
    size_t k = 0, start = 0;
    for (size_t i = 0; i <= len; i++)
        if (i == len || p[i] == ',') {
            v[k++] = dup(x, p + start, i - start);
            start = i + 1;
        }
    *n = (uint32_t)count;
    return v;
}

/* Fills f from a shorthand string at line:col. */
static void parse_shorthand(fctx *x, kiln_field *f, kiln_str s, int line,
                            int col)
{
    const char *p = s.p;
    size_t n = s.n;
    if (n && p[n - 1] == '?') {
        f->flags |= KILN_FF_OPTIONAL;
        n--;
    }
    const char *colon = memchr(p, ':', n);
    size_t tn = colon ? (size_t)(colon - p) : n;
    int t = model_type_from_name(p, tn);
    if (t < 0) {
        const char *sug = type_suggest(p, tn);
        fail_at(x, line, col, "unknown type '%.*s' for field '%s'%s%s%s",
                (int)tn, p, x->name, sug ? " (did you mean '" : "",
                sug ? sug : "", sug ? "'?)" : "");
        return;
    }
    f->type = (uint8_t)t;
    if (!colon)
        return;
    const char *arg = colon + 1;
    size_t an = n - tn - 1;
    if (an == 0) {
        fail_at(x, line, col, "field '%s': nothing after ':' in \"%.*s\"",
                x->name, (int)s.n, s.p);
        return;
    }
    switch (t) {
    case KILN_FT_STRING:
    case KILN_FT_EMAIL:
    case KILN_FT_URL: {
        long long m = small_int(arg, an);
        if (m < 1)
            fail_at(x, line, col,
                    "field '%s': '%.*s' is not a maximum length (write "
                    "\"%s:200\")",
                    x->name, (int)an, arg, model_type_name(t));
        else
            f->max_length = m;
        break;
    }
    case KILN_FT_DECIMAL: {
        const char *comma = memchr(arg, ',', an);
        long long pr = small_int(arg, comma ? (size_t)(comma - arg) : an);
        long long sc =
            comma ? small_int(comma + 1, an - (size_t)(comma - arg) - 1) : 0;
        if (pr < 1 || sc < 0)
            fail_at(x, line, col,
                    "field '%s': write a decimal as \"decimal:PRECISION,"
                    "SCALE\" (for example \"decimal:8,2\")",
                    x->name);
        f->precision = (uint16_t)(pr > 0 ? pr : 0);
        f->scale = (uint8_t)(sc > 0 ? sc : 0);
        break;
    }
    case KILN_FT_ENUM:
        f->values = split_values(x, arg, an, &f->nvalues);
        break;
    case KILN_FT_REF:
    case KILN_FT_MANY:
        f->ref_name = dup(x, arg, an);
        break;
    case KILN_FT_DATETIME:
        /* "datetime:created", "datetime:updated": set by the server */
        if (an == 7 && memcmp(arg, "created", 7) == 0)
            f->flags |= KILN_FF_AUTO_CREATED | KILN_FF_READ_ONLY;
        else if (an == 7 && memcmp(arg, "updated", 7) == 0)
            f->flags |= KILN_FF_AUTO_UPDATED | KILN_FF_READ_ONLY;
        else
            fail_at(x, line, col,
                    "field '%s': a datetime's argument is \"created\" (set "
                    "on insert) or \"updated\" (set on every write)",
                    x->name);
        break;
    case KILN_FT_LIST: {
        int it = model_type_from_name(arg, an);
        if (it < 0 || it == KILN_FT_LIST || it == KILN_FT_OBJECT ||
            it == KILN_FT_REF || it == KILN_FT_MANY || it == KILN_FT_ENUM ||
            it == KILN_FT_DECIMAL)
            fail_at(x, line, col,
                    "field '%s': a list of '%.*s' needs the table form "
                    "(of = ...)",
                    x->name, (int)an, arg);
        else
            f->item_type = (uint8_t)it;
        break;
    }
    default:
        fail_at(x, line, col, "field '%s': type %s takes no ':' argument",
                x->name, model_type_name(t));
    }
}

/* ---- defaults and bounds --------------------------------------------------
 */

/* A TOML value as JSON text, appended to b. */
static int toml_to_json(const toml_value *v, kiln_buf *b)
{
    char tmp[40];
    switch (v->type) {
    case TOML_STRING:
        return kiln_json_put_str(b, v->u.string.p, v->u.string.n);
    case TOML_INTEGER:
        return kiln_json_put_i64(b, v->u.integer);
    case TOML_FLOAT:
        return kiln_json_put_double(b, v->u.floating);
    case TOML_BOOLEAN:
        return kiln_buf_puts(b, v->u.boolean ? "true" : "false");
    case TOML_DATETIME:
    case TOML_DATETIME_LOCAL:
    case TOML_DATE_LOCAL:
    case TOML_TIME_LOCAL:
        toml_datetime_format(&v->u.datetime, tmp, sizeof tmp);
        return kiln_json_put_str(b, tmp, strlen(tmp));
    case TOML_ARRAY:
        kiln_buf_putc(b, '[');
        for (size_t i = 0; i < v->u.array.n; i++) {
            if (i)
                kiln_buf_putc(b, ',');
            toml_to_json(v->u.array.items[i], b);
        }
        return kiln_buf_putc(b, ']');
    case TOML_TABLE:
        kiln_buf_putc(b, '{');
        for (size_t i = 0; i < v->u.table.n; i++) {
            if (i)
                kiln_buf_putc(b, ',');
            const toml_entry *e = &v->u.table.items[i];
            kiln_json_put_str(b, e->key.p, e->key.n);
            kiln_buf_putc(b, ':');
            toml_to_json(e->value, b);
        }
        return kiln_buf_putc(b, '}');
    }
    return KILN_EINVAL;
}

/* Counts UTF-8 code points of a valid string. */
static size_t code_points(kiln_str s)
{
    size_t n = 0;
    for (size_t i = 0; i < s.n; i++)
        n += ((unsigned char)s.p[i] & 0xc0) != 0x80;
    return n;
}

/* Checks and stores the default of f (TOML value v) as JSON text. */
static void set_default(fctx *x, kiln_field *f, const toml_value *v)
{
    int line = v->line, col = v->column;
    const char *tn = model_type_name(f->type);
    kiln_buf b;
    kiln_buf_init(&b);
    bool ok = true;
    bool is_str = v->type == TOML_STRING;
    kiln_str s = is_str ? v->u.string : KILN_STR_NULL;
    switch (f->type) {
    case KILN_FT_INT:
    case KILN_FT_REF:
        ok = v->type == TOML_INTEGER;
        if (ok && f->type == KILN_FT_INT &&
            (((f->flags & KILN_FF_HAS_MIN) && (double)v->u.integer < f->min) ||
             ((f->flags & KILN_FF_HAS_MAX) && (double)v->u.integer > f->max))) {
            fail_at(x, line, col,
                    "field '%s': the default %lld is outside its min/max",
                    x->name, (long long)v->u.integer);
            goto out;
        }
        break;
    case KILN_FT_FLOAT:
        ok = v->type == TOML_INTEGER || v->type == TOML_FLOAT;
        if (ok) {
            double d =
                v->type == TOML_FLOAT ? v->u.floating : (double)v->u.integer;
            if (((f->flags & KILN_FF_HAS_MIN) && d < f->min) ||
                ((f->flags & KILN_FF_HAS_MAX) && d > f->max)) {
                fail_at(x, line, col,
                        "field '%s': the default is outside its min/max",
                        x->name);
                goto out;
            }
            kiln_json_put_double(&b, d);
            f->def = dup(x, b.p, b.n);
            goto out;
        }
        break;
    case KILN_FT_DECIMAL: {
        char num[64];
        if (v->type == TOML_INTEGER) {
            snprintf(num, sizeof num, "%lld", (long long)v->u.integer);
            s = kiln_str_c(num);
        } else if (!is_str) {
            fail_at(x, line, col,
                    "field '%s': a decimal default is written as a string "
                    "(\"12.50\") or an integer, so nothing is lost",
                    x->name);
            goto out;
        }
        kiln_buf canon;
        kiln_buf_init(&canon);
        int rc = kiln_decimal_canon(s, f->precision, f->scale, &canon);
        if (rc != 0)
            fail_at(x, line, col,
                    "field '%s': the default \"%.*s\" is not a decimal with "
                    "at most %d digits, %d after the point",
                    x->name, (int)s.n, s.p, f->precision, f->scale);
        else
            kiln_json_put_str(&b, canon.p, canon.n);
        kiln_buf_deinit(&canon);
        if (rc == 0)
            f->def = dup(x, b.p, b.n);
        goto out;
    }
    case KILN_FT_BOOL:
        ok = v->type == TOML_BOOLEAN;
        break;
    case KILN_FT_STRING:
    case KILN_FT_TEXT:
    case KILN_FT_EMAIL:
    case KILN_FT_URL:
        ok = is_str;
        if (ok && f->max_length >= 0 &&
            code_points(s) > (size_t)f->max_length) {
            fail_at(x, line, col,
                    "field '%s': the default is longer than its max_length "
                    "(%lld)",
                    x->name, (long long)f->max_length);
            goto out;
        }
        if (ok && s.n == 0 && !(f->flags & KILN_FF_BLANK)) {
            fail_at(x, line, col,
                    "field '%s': an empty default needs blank = true", x->name);
            goto out;
        }
        break;
    case KILN_FT_DATE:
    case KILN_FT_DATETIME:
    case KILN_FT_TIME:
        if (is_str &&
            (kiln_str_eq(s, KILN_STR("now")) ||
             (f->type == KILN_FT_DATE && kiln_str_eq(s, KILN_STR("today"))))) {
            f->flags |= KILN_FF_DEFAULT_NOW;
            goto out;
        }
        if (f->type == KILN_FT_DATE && v->type == TOML_DATE_LOCAL)
            break;
        if (f->type == KILN_FT_TIME && v->type == TOML_TIME_LOCAL)
            break;
        if (f->type == KILN_FT_DATETIME && v->type == TOML_DATETIME)
            break;
        if (is_str) {
            kiln_date d;
            kiln_datetime dt;
            kiln_timeofday tod;
            int rc = f->type == KILN_FT_DATE   ? kiln_date_parse(s, &d)
                     : f->type == KILN_FT_TIME ? kiln_timeofday_parse(s, &tod)
                                               : kiln_datetime_parse(s, &dt);
            ok = rc == 0;
        } else {
            ok = false;
        }
        if (!ok) {
            fail_at(x, line, col,
                    "field '%s': the default of a %s is \"now\"%s or %s",
                    x->name, tn, f->type == KILN_FT_DATE ? " (\"today\")" : "",
                    f->type == KILN_FT_DATE   ? "a date (2026-01-31)"
                    : f->type == KILN_FT_TIME ? "a time (09:30:00)"
                                              : "an RFC 3339 date-time with "
                                                "an offset "
                                                "(2026-01-31T09:30:00Z)");
            goto out;
        }
        break;
    case KILN_FT_UUID:
        if (is_str && kiln_str_eq(s, KILN_STR("random"))) {
            f->flags |= KILN_FF_DEFAULT_RANDOM;
            goto out;
        }
        if (is_str) {
            kiln_uuid u;
            ok = kiln_uuid_parse(s, &u) == 0;
        } else {
            ok = false;
        }
        if (!ok) {
            fail_at(x, line, col,
                    "field '%s': the default of a uuid is \"random\" or a "
                    "UUID",
                    x->name);
            goto out;
        }
        break;
    case KILN_FT_ENUM:
        ok = is_str;
        if (ok) {
            bool found = false;
            for (uint32_t i = 0; i < f->nvalues; i++)
                found |= kiln_str_eq(s, kiln_str_c(f->values[i]));
            if (!found) {
                fail_at(x, line, col,
                        "field '%s': the default \"%.*s\" is not one of its "
                        "values",
                        x->name, (int)s.n, s.p);
                goto out;
            }
        }
        break;
    case KILN_FT_JSON:
        break;
    default:
        ok = false;
    }
    if (!ok) {
        fail_at(x, line, col,
                "field '%s': a default of type %s does not fit a %s field",
                x->name, toml_type_name(v->type), tn);
        goto out;
    }
    toml_to_json(v, &b);
    f->def = dup(x, b.p ? b.p : "", b.n);
out:
    kiln_buf_deinit(&b);
}

/* min or max of f from v. */
static void set_bound(fctx *x, kiln_field *f, const toml_value *v, bool is_min)
{
    const char *opt = is_min ? "min" : "max";
    double d = 0;
    char text[64];
    if (f->type == KILN_FT_DECIMAL) {
        kiln_str s;
        if (v->type == TOML_STRING) {
            s = v->u.string;
        } else if (v->type == TOML_INTEGER) {
            snprintf(text, sizeof text, "%lld", (long long)v->u.integer);
            s = kiln_str_c(text);
        } else {
            fail_at(x, v->line, v->column,
                    "field '%s': %s of a decimal is a string (\"0.01\") or an "
                    "integer",
                    x->name, opt);
            return;
        }
        kiln_buf canon;
        kiln_buf_init(&canon);
        if (kiln_decimal_canon(s, f->precision ? f->precision : 1000, f->scale,
                               &canon) != 0)
            fail_at(x, v->line, v->column,
                    "field '%s': %s \"%.*s\" is not a decimal with %d digits "
                    "after the point at most",
                    x->name, opt, (int)s.n, s.p, f->scale);
        else if (is_min)
            f->min_text = dup(x, canon.p, canon.n);
        else
            f->max_text = dup(x, canon.p, canon.n);
        kiln_buf_deinit(&canon);
    } else if (v->type == TOML_INTEGER) {
        d = (double)v->u.integer;
        if (v->u.integer > (1ll << 53) || v->u.integer < -(1ll << 53)) {
            fail_at(x, v->line, v->column,
                    "field '%s': %s must be within +-2^53", x->name, opt);
            return;
        }
        snprintf(text, sizeof text, "%lld", (long long)v->u.integer);
        if (is_min)
            f->min_text = dup(x, text, strlen(text));
        else
            f->max_text = dup(x, text, strlen(text));
    } else if (v->type == TOML_FLOAT && f->type == KILN_FT_FLOAT) {
        d = v->u.floating;
        kiln_buf b;
        kiln_buf_init(&b);
        kiln_json_put_double(&b, d);
        if (is_min)
            f->min_text = dup(x, b.p, b.n);
        else
            f->max_text = dup(x, b.p, b.n);
        kiln_buf_deinit(&b);
    } else {
        fail_at(x, v->line, v->column, "field '%s': %s must be %s", x->name,
                opt, f->type == KILN_FT_INT ? "an integer" : "a number");
        return;
    }
    if (is_min) {
        f->min = d;
        f->flags |= KILN_FF_HAS_MIN;
    } else {
        f->max = d;
        f->flags |= KILN_FF_HAS_MAX;
    }
}

int model_parse_default(model_set *s, const char *file, kiln_field *f,
                        const toml_value *v, kiln_buf *errs)
{
    fctx x = {.s = s, .file = file, .name = f->name, .errs = errs};
    f->def = NULL;
    f->flags &= (uint16_t) ~(KILN_FF_DEFAULT_NOW | KILN_FF_DEFAULT_RANDOM);
    set_default(&x, f, v);
    return x.failed ? KILN_EINVAL : 0;
}

/* ---- the table form ------------------------------------------------------ */

static bool want_bool(fctx *x, const toml_entry *o, bool *out)
{
    if (o->value->type != TOML_BOOLEAN) {
        fail_at(x, o->value->line, o->value->column,
                "field '%s': %.*s is true or false", x->name, (int)o->key.n,
                o->key.p);
        return false;
    }
    *out = o->value->u.boolean;
    return true;
}

static bool want_str(fctx *x, const toml_entry *o, kiln_str *out)
{
    if (o->value->type != TOML_STRING) {
        fail_at(x, o->value->line, o->value->column,
                "field '%s': %.*s is a string", x->name, (int)o->key.n,
                o->key.p);
        return false;
    }
    *out = o->value->u.string;
    return true;
}

static bool want_count(fctx *x, const toml_entry *o, int64_t *out)
{
    if (o->value->type != TOML_INTEGER || o->value->u.integer < 0) {
        fail_at(x, o->value->line, o->value->column,
                "field '%s': %.*s is a whole number (0 or more)", x->name,
                (int)o->key.n, o->key.p);
        return false;
    }
    *out = o->value->u.integer;
    return true;
}

/* The nested object of an object field or list of objects. */
static kiln_model *nested_model(fctx *x, const toml_value *fields, int line,
                                int col)
{
    (void)line;
    (void)col;
    kiln_model *m = kiln_arena_calloc(&x->s->arena, sizeof *m);
    if (!m)
        return NULL;
    m->name = x->name;
    m->label = x->name;
    m->label_plural = x->name;
    m->flags = KILN_MF_ENDPOINT;
    m->file = x->file;
    if (model_parse_fields(x->s, x->file, x->name, fields, true, m, x->errs) !=
        0)
        x->failed = 1;
    return m;
}

static void parse_table(fctx *x, kiln_field *f, const toml_value *t,
                        bool endpoint)
{
    /* type first: the other options are checked against it */
    const toml_entry *te = toml_find(t, "type", 4);
    if (!te) {
        fail_at(x, t->line, t->column,
                "field '%s' has no type (type = \"string\", \"integer\", ...)",
                x->name);
        return;
    }
    kiln_str ts;
    if (!want_str(x, te, &ts))
        return;
    parse_shorthand(x, f, ts, te->value->line, te->value->column);
    if (x->failed)
        return;
    if (!endpoint && endpoint_only(f->type)) {
        fail_at(x, te->value->line, te->value->column,
                "field '%s': a model's fields are columns: %s is for "
                "endpoint schemas (use json for free-form data)",
                x->name, model_type_name(f->type));
        return;
    }
    const toml_value *defv = NULL, *minv = NULL, *maxv = NULL;
    bool required_set = false, optional_set = false;
    for (size_t i = 0; i < t->u.table.n; i++) {
        const toml_entry *o = &t->u.table.items[i];
        const struct option *opt = NULL;
        for (size_t k = 0; k < NOPTIONS; k++)
            if (strlen(options[k].name) == o->key.n &&
                memcmp(options[k].name, o->key.p, o->key.n) == 0)
                opt = &options[k];
        if (!opt) {
            const char *sug = option_suggest(o->key.p, o->key.n);
            fail_at(x, o->line, o->column,
                    "unknown option '%.*s' for field '%s'%s%s%s", (int)o->key.n,
                    o->key.p, x->name, sug ? " (did you mean '" : "",
                    sug ? sug : "", sug ? "'?)" : "");
            continue;
        }
        if (!(opt->types & T(f->type))) {
            fail_at(x, o->line, o->column,
                    "option '%s' does not apply to field '%s' (a %s): it is "
                    "for %s field",
                    opt->name, x->name, model_type_name(f->type),
                    opt->what ? opt->what : "another");
            continue;
        }
        const char *k = opt->name;
        bool bv;
        kiln_str sv;
        int64_t iv;
        if (strcmp(k, "type") == 0) {
            continue;
        } else if (strcmp(k, "optional") == 0 || strcmp(k, "required") == 0) {
            if (!want_bool(x, o, &bv))
                continue;
            bool opt_on = k[0] == 'o' ? bv : !bv;
            if ((k[0] == 'o' && required_set) || (k[0] == 'r' && optional_set))
                fail_at(x, o->line, o->column,
                        "field '%s': give optional or required, not both",
                        x->name);
            if (k[0] == 'o')
                optional_set = true;
            else
                required_set = true;
            if (opt_on)
                f->flags |= KILN_FF_OPTIONAL;
            else
                f->flags &= (uint16_t)~KILN_FF_OPTIONAL;
        } else if (strcmp(k, "default") == 0) {
            defv = o->value;
        } else if (strcmp(k, "unique") == 0 || strcmp(k, "index") == 0 ||
                   strcmp(k, "read_only") == 0 ||
                   strcmp(k, "write_only") == 0 || strcmp(k, "blank") == 0) {
            if (!want_bool(x, o, &bv) || !bv)
                continue;
            f->flags |= k[0] == 'u'   ? KILN_FF_UNIQUE
                        : k[0] == 'i' ? KILN_FF_INDEX
                        : k[0] == 'r' ? KILN_FF_READ_ONLY
                        : k[0] == 'w' ? KILN_FF_WRITE_ONLY
                                      : KILN_FF_BLANK;
        } else if (strcmp(k, "min") == 0) {
            minv = o->value;
        } else if (strcmp(k, "max") == 0) {
            maxv = o->value;
        } else if (strcmp(k, "min_length") == 0) {
            if (want_count(x, o, &iv))
                f->min_length = iv;
        } else if (strcmp(k, "max_length") == 0) {
            if (want_count(x, o, &iv)) {
                if (iv == 0)
                    fail_at(x, o->value->line, o->value->column,
                            "field '%s': max_length must be at least 1",
                            x->name);
                f->max_length = iv;
            }
        } else if (strcmp(k, "min_items") == 0 || strcmp(k, "max_items") == 0) {
            if (!want_count(x, o, &iv))
                continue;
            if (k[1] == 'i') {
                f->min = (double)iv;
                f->flags |= KILN_FF_HAS_MIN;
            } else {
                f->max = (double)iv;
                f->flags |= KILN_FF_HAS_MAX;
            }
        } else if (strcmp(k, "pattern") == 0) {
            if (!want_str(x, o, &sv))
                continue;
            regex_t re;
            char *pat = dup(x, sv.p, sv.n);
            int rc = pat ? regcomp(&re, pat, REG_EXTENDED | REG_NOSUB) : 1;
            if (rc != 0) {
                char why[128] = "out of memory";
                if (pat)
                    regerror(rc, &re, why, sizeof why);
                fail_at(x, o->value->line, o->value->column,
                        "field '%s': the pattern is not a POSIX extended "
                        "regular expression: %s",
                        x->name, why);
                continue;
            }
            regfree(&re);
            f->pattern = pat;
            kiln_pattern_cache *pc =
                kiln_arena_calloc(&x->s->arena, sizeof *pc);
            f->pattern_cache = pc;
        } else if (strcmp(k, "help") == 0 || strcmp(k, "label") == 0 ||
                   strcmp(k, "renamed_from") == 0 || strcmp(k, "to") == 0) {
            if (!want_str(x, o, &sv))
                continue;
            char *v = dup(x, sv.p, sv.n);
            if (k[0] == 'h')
                f->help = v;
            else if (k[0] == 'l')
                f->label = v;
            else if (k[0] == 'r') {
                if (!model_name_ok(sv.p, sv.n))
                    fail_at(x, o->value->line, o->value->column,
                            "field '%s': renamed_from '%.*s' is not a field "
                            "name",
                            x->name, (int)sv.n, sv.p);
                f->renamed_from = v;
            } else {
                if (f->ref_name && strcmp(f->ref_name, v) != 0)
                    fail_at(x, o->value->line, o->value->column,
                            "field '%s': the target is given twice ('%s' and "
                            "'%s')",
                            x->name, f->ref_name, v);
                f->ref_name = v;
            }
        } else if (strcmp(k, "auto") == 0) {
            if (!want_str(x, o, &sv))
                continue;
            if (kiln_str_eq(sv, KILN_STR("created")))
                f->flags |= KILN_FF_AUTO_CREATED | KILN_FF_READ_ONLY;
            else if (kiln_str_eq(sv, KILN_STR("updated")))
                f->flags |= KILN_FF_AUTO_UPDATED | KILN_FF_READ_ONLY;
            else
                fail_at(x, o->value->line, o->value->column,
                        "field '%s': auto is \"created\" (set on insert) or "
                        "\"updated\" (set on every write)",
                        x->name);
        } else if (strcmp(k, "on_delete") == 0) {
            if (!want_str(x, o, &sv))
                continue;
            if (kiln_str_eq(sv, KILN_STR("cascade")))
                f->on_delete = KILN_ON_DELETE_CASCADE;
            else if (kiln_str_eq(sv, KILN_STR("restrict")))
                f->on_delete = KILN_ON_DELETE_RESTRICT;
            else if (kiln_str_eq(sv, KILN_STR("set_null")))
                f->on_delete = KILN_ON_DELETE_SET_NULL;
            else
                fail_at(x, o->value->line, o->value->column,
                        "field '%s': on_delete is \"cascade\", \"restrict\" "
                        "or \"set_null\"",
                        x->name);
        } else if (strcmp(k, "values") == 0) {
            const toml_value *a = o->value;
            if (a->type != TOML_ARRAY || a->u.array.n == 0) {
                fail_at(x, a->line, a->column,
                        "field '%s': values is a list of strings", x->name);
                continue;
            }
            const char **v =
                kiln_arena_alloc(&x->s->arena, a->u.array.n * sizeof *v);
            if (!v)
                continue;
            for (size_t j = 0; j < a->u.array.n; j++) {
                const toml_value *it = a->u.array.items[j];
                if (it->type != TOML_STRING) {
                    fail_at(x, it->line, it->column,
                            "field '%s': values is a list of strings", x->name);
                    v[j] = "";
                    continue;
                }
                v[j] = dup(x, it->u.string.p, it->u.string.n);
            }
            f->values = v;
            f->nvalues = (uint32_t)a->u.array.n;
        } else if (strcmp(k, "precision") == 0 || strcmp(k, "scale") == 0) {
            if (!want_count(x, o, &iv))
                continue;
            if (k[0] == 'p') {
                if (iv < 1 || iv > 1000)
                    fail_at(x, o->value->line, o->value->column,
                            "field '%s': precision is 1 to 1000", x->name);
                f->precision = (uint16_t)iv;
            } else {
                if (iv > 255)
                    fail_at(x, o->value->line, o->value->column,
                            "field '%s': scale is 0 to 255", x->name);
                f->scale = (uint8_t)iv;
            }
        } else if (strcmp(k, "of") == 0) {
            const toml_value *ov = o->value;
            if (ov->type == TOML_STRING) {
                int it = model_type_from_name(ov->u.string.p, ov->u.string.n);
                if (it < 0 || it == KILN_FT_LIST || it == KILN_FT_REF ||
                    it == KILN_FT_MANY || it == KILN_FT_FILE)
                    fail_at(x, ov->line, ov->column,
                            "field '%s': a list holds a scalar type "
                            "(\"integer\", \"string\"...) or objects "
                            "(of = \"object\" with fields)",
                            x->name);
                else
                    f->item_type = (uint8_t)it;
            } else {
                fail_at(x, ov->line, ov->column,
                        "field '%s': of is the items' type (\"integer\", "
                        "\"object\"...)",
                        x->name);
            }
        } else if (strcmp(k, "fields") == 0) {
            if (o->value->type != TOML_TABLE) {
                fail_at(x, o->value->line, o->value->column,
                        "field '%s': fields is a table of fields", x->name);
                continue;
            }
            f->ref = nested_model(x, o->value, o->line, o->column);
        }
    }
    /* cross-option checks */
    if (f->type == KILN_FT_DECIMAL && f->precision == 0)
        fail_at(x, te->value->line, te->value->column,
                "field '%s': a decimal needs precision (and scale): "
                "type = \"decimal\", precision = 8, scale = 2",
                x->name);
    if (f->type == KILN_FT_DECIMAL && f->scale > f->precision)
        fail_at(x, te->value->line, te->value->column,
                "field '%s': scale (%d) is larger than precision (%d)", x->name,
                f->scale, f->precision);
    if (minv)
        set_bound(x, f, minv, true);
    if (maxv)
        set_bound(x, f, maxv, false);
    if ((f->flags & KILN_FF_HAS_MIN) && (f->flags & KILN_FF_HAS_MAX) &&
        f->type != KILN_FT_DECIMAL && f->min > f->max)
        fail_at(x, t->line, t->column, "field '%s': min is larger than max",
                x->name);
    if (f->type == KILN_FT_DECIMAL && f->min_text && f->max_text &&
        kiln_decimal_cmp(kiln_str_c(f->min_text), kiln_str_c(f->max_text)) > 0)
        fail_at(x, t->line, t->column, "field '%s': min is larger than max",
                x->name);
    if (f->min_length >= 0 && f->max_length >= 0 &&
        f->min_length > f->max_length)
        fail_at(x, t->line, t->column,
                "field '%s': min_length is larger than max_length", x->name);
    if ((f->flags & KILN_FF_READ_ONLY) && (f->flags & KILN_FF_WRITE_ONLY))
        fail_at(x, t->line, t->column,
                "field '%s' cannot be both read_only and write_only", x->name);
    if (f->type == KILN_FT_LIST && !f->ref && f->item_type == KILN_FT_OBJECT)
        fail_at(x, t->line, t->column,
                "field '%s': a list of objects needs its fields = { ... }",
                x->name);
    if (f->type == KILN_FT_LIST && f->ref)
        f->item_type = KILN_FT_OBJECT;
    if (f->type == KILN_FT_LIST && f->item_type == KILN_FT_INT && !f->ref &&
        !toml_find(t, "of", 2) && !memchr(ts.p, ':', ts.n))
        fail_at(x, t->line, t->column,
                "field '%s': a list needs of = \"TYPE\" or fields = { ... }",
                x->name);
    if (f->type == KILN_FT_OBJECT && !f->ref)
        fail_at(x, t->line, t->column,
                "field '%s': an object needs its fields = { ... }", x->name);
    if ((f->flags & (KILN_FF_AUTO_CREATED | KILN_FF_AUTO_UPDATED)) && defv)
        fail_at(x, defv->line, defv->column,
                "field '%s': an auto field has no default (the server sets "
                "it)",
                x->name);
    else if (defv)
        set_default(x, f, defv);
}

/* ---- one field ----------------------------------------------------------- */

int model_parse_field(model_set *s, const char *file, const char *name,
                      const toml_entry *e, bool endpoint, kiln_field *f,
                      kiln_buf *errs)
{
    fctx x = {.s = s, .file = file, .name = name, .errs = errs};
    memset(f, 0, sizeof *f);
    f->name = name;
    f->min_length = -1;
    f->max_length = -1;
    f->has_offset = KILN_NO_OFFSET;
    f->item_type = KILN_FT_INT;
    f->file = file;
    f->line = e->line;
    f->col = e->column;
    const toml_value *v = e->value;
    if (v->type == TOML_STRING)
        parse_shorthand(&x, f, v->u.string, v->line, v->column);
    else if (v->type == TOML_TABLE)
        parse_table(&x, f, v, endpoint);
    else
        fail_at(&x, v->line, v->column,
                "field '%s' is a type (\"string:200\", \"date?\") or a table "
                "of options ({ type = \"string\", max_length = 200 })",
                name);
    if (x.failed)
        return KILN_EINVAL;
    int t = f->type;
    if (endpoint && (t == KILN_FT_REF || t == KILN_FT_MANY))
        fail_at(&x, e->line, e->column,
                "field '%s': %s fields belong in models/ (in an endpoint "
                "schema, use an integer id or name a model)",
                name, model_type_name(t));
    if (!endpoint && endpoint_only(t))
        fail_at(&x, e->line, e->column,
                "field '%s': a model's fields are columns: %s is for "
                "endpoint schemas (use json for free-form data)",
                name, model_type_name(t));
    if (t == KILN_FT_DECIMAL && f->precision == 0 &&
        e->value->type == TOML_STRING)
        fail_at(&x, e->line, e->column,
                "field '%s': a decimal needs precision (and scale): "
                "\"decimal:8,2\", or { type = \"decimal\", precision = 8, "
                "scale = 2 }",
                name);
    if (t == KILN_FT_ENUM && f->nvalues == 0)
        fail_at(&x, e->line, e->column,
                "field '%s': an enum needs its values (\"enum:open,done\" or "
                "values = [...])",
                name);
    for (uint32_t i = 0; i < f->nvalues; i++) {
        if (!f->values[i][0])
            fail_at(&x, e->line, e->column,
                    "field '%s': an enum value is empty", name);
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(f->values[i], f->values[j]) == 0)
                fail_at(&x, e->line, e->column,
                        "field '%s': the value '%s' is listed twice", name,
                        f->values[i]);
    }
    if (t == KILN_FT_REF && f->on_delete == KILN_ON_DELETE_SET_NULL &&
        !(f->flags & KILN_FF_OPTIONAL))
        fail_at(&x, e->line, e->column,
                "field '%s': on_delete = \"set_null\" needs an optional field "
                "(ref:%s?)",
                name, f->ref_name ? f->ref_name : name);
    if (t == KILN_FT_MANY && !f->ref_name)
        fail_at(&x, e->line, e->column,
                "field '%s': name the model it links to (\"many:tag\")", name);
    if (t == KILN_FT_REF && !f->ref_name)
        f->ref_name = name; /* "project:ref" refers to the model project */
    if (t == KILN_FT_STRING && f->max_length < 0)
        f->max_length = 255;
    if (t == KILN_FT_EMAIL && f->max_length < 0)
        f->max_length = 254;
    if (t == KILN_FT_URL && f->max_length < 0)
        f->max_length = 2048;
    if (t == KILN_FT_DATETIME && (f->flags & KILN_FF_AUTO_CREATED) &&
        (f->flags & KILN_FF_AUTO_UPDATED))
        fail_at(&x, e->line, e->column, "field '%s': one auto only", name);
    if (!f->label)
        f->label = name;
    return x.failed ? KILN_EINVAL : 0;
}

/* ---- a table of fields (a model's, or a nested object's) ----------------- */

int model_parse_fields(model_set *s, const char *file, const char *owner,
                       const toml_value *table, bool endpoint, kiln_model *m,
                       kiln_buf *errs)
{
    fctx x = {.s = s, .file = file, .name = owner, .errs = errs};
    bool implicit_id = !endpoint;
    size_t n = table->u.table.n + (implicit_id ? 1 : 0);
    if (n > 256) {
        fail_at(&x, table->line, table->column,
                "%s has %zu fields: 256 at most", owner, n);
        return KILN_EINVAL;
    }
    kiln_field *fields =
        kiln_arena_calloc(&s->arena, (n ? n : 1) * sizeof *fields);
    if (!fields)
        return KILN_ENOMEM;
    size_t k = 0;
    if (implicit_id) {
        kiln_field *id = &fields[k++];
        id->name = "id";
        id->column = "id";
        id->label = "ID";
        id->type = KILN_FT_INT;
        id->flags = KILN_FF_PK | KILN_FF_READ_ONLY;
        id->has_offset = KILN_NO_OFFSET;
        id->min_length = id->max_length = -1;
        id->file = file;
        id->line = table->line;
        id->col = table->column;
    }
    int rc = 0;
    for (size_t i = 0; i < table->u.table.n; i++) {
        const toml_entry *e = &table->u.table.items[i];
        char *name = kiln_arena_strndup(&s->arena, e->key.p, e->key.n);
        if (!name)
            return KILN_ENOMEM;
        if (!model_name_ok(e->key.p, e->key.n)) {
            fail_at(&x, e->line, e->column,
                    "'%s' cannot be a field name: use lower-case letters, "
                    "digits and '_' (a letter first, %d at most)",
                    name, MODEL_NAME_MAX);
            rc = KILN_EINVAL;
            continue;
        }
        if (implicit_id && strcmp(name, "id") == 0) {
            fail_at(&x, e->line, e->column,
                    "'id' is the primary key every model has (an integer the "
                    "database assigns): remove it");
            rc = KILN_EINVAL;
            continue;
        }
        if (model_c_reserved(name)) {
            fail_at(&x, e->line, e->column,
                    "'%s' cannot be a field name: it is a C keyword", name);
            rc = KILN_EINVAL;
            continue;
        }
        kiln_field *f = &fields[k];
        if (model_parse_field(s, file, name, e, endpoint, f, errs) != 0) {
            rc = KILN_EINVAL;
            continue;
        }
        if (!endpoint && f->type != KILN_FT_MANY) {
            const char *col = f->type == KILN_FT_REF
                                  ? kiln_arena_printf(&s->arena, "%s_id", name)
                                  : name;
            f->column = col;
            if (model_sql_reserved(col)) {
                fail_at(&x, e->line, e->column,
                        "'%s' cannot be a column name: SQL reserves it "
                        "(choose another name)",
                        col);
                rc = KILN_EINVAL;
                continue;
            }
        }
        k++;
    }
    /* two members of the C struct with one name */
    for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j < k; j++) {
            const kiln_field *a = &fields[i], *b = &fields[j];
            if (i != j && (a->flags & KILN_FF_OPTIONAL) &&
                strncmp(b->name, "has_", 4) == 0 &&
                strcmp(b->name + 4, a->name) == 0) {
                fail_at(&x, b->line, b->col,
                        "field '%s' clashes with the has_%s flag of the "
                        "optional field '%s': rename one",
                        b->name, a->name, a->name);
                rc = KILN_EINVAL;
            }
            if (i < j && a->column && b->column &&
                strcmp(a->column, b->column) == 0) {
                fail_at(&x, b->line, b->col,
                        "field '%s' has the column '%s' of field '%s'", b->name,
                        b->column, a->name);
                rc = KILN_EINVAL;
            }
        }
    m->fields = fields;
    m->nfields = (uint32_t)k;
    return rc;
}
