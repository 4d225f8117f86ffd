/*
 * openapi/schemas.c - the JSON writer of the OpenAPI walker and the
 * components: a model's output, input, patch and page schemas, its named
 * enums, and the JSON Schema 2020-12 of each field type (walk.h).
 */
#include "openapi/walk.h"

#include "model/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a compact JSON writer ----------------------------------------------- */

void oapi_w_pre(oapi_w *w)
{
    if (w->key) {
        w->key = false;
        return;
    }
    if (w->more[w->depth])
        w->err |= kiln_buf_putc(w->b, ',');
    w->more[w->depth] = true;
}

void oapi_w_open(oapi_w *w, char ch)
{
    oapi_w_pre(w);
    w->err |= kiln_buf_putc(w->b, ch);
    if (w->depth + 1 < OAPI_DEPTH)
        w->more[++w->depth] = false;
    else
        w->err |= KILN_ELIMIT;
}

void oapi_w_close(oapi_w *w, char ch)
{
    w->err |= kiln_buf_putc(w->b, ch);
    if (w->depth > 0)
        w->depth--;
    else
        w->err |= KILN_ESTATE; /* closed more than was opened */
}

void oapi_w_key(oapi_w *w, const char *k)
{
    oapi_w_pre(w);
    w->err |= kiln_json_put_str(w->b, k, strlen(k));
    w->err |= kiln_buf_putc(w->b, ':');
    w->key = true;
}

void oapi_w_str(oapi_w *w, const char *s)
{
    oapi_w_pre(w);
    w->err |= kiln_json_put_str(w->b, s, strlen(s));
}

void oapi_w_raw(oapi_w *w, const char *json)
{
    oapi_w_pre(w);
    w->err |= kiln_buf_puts(w->b, json);
}

void oapi_w_int(oapi_w *w, int64_t v)
{
    oapi_w_pre(w);
    w->err |= kiln_json_put_i64(w->b, v);
}

void oapi_w_num(oapi_w *w, double v)
{
    oapi_w_pre(w);
    w->err |= kiln_json_put_double(w->b, v);
}

void oapi_kv_str(oapi_w *w, const char *k, const char *v)
{
    oapi_w_key(w, k);
    oapi_w_str(w, v);
}

void oapi_kv_raw(oapi_w *w, const char *k, const char *json)
{
    oapi_w_key(w, k);
    oapi_w_raw(w, json);
}

void oapi_kv_int(oapi_w *w, const char *k, int64_t v)
{
    oapi_w_key(w, k);
    oapi_w_int(w, v);
}

void oapi_kv_ref(oapi_w *w, const char *k, const char *kind, const char *name)
{
    oapi_w_key(w, k);
    oapi_w_open(w, '{');
    oapi_w_key(w, "$ref");
    oapi_w_pre(w);
    w->err |= kiln_buf_printf(w->b, "\"#/components/%s/%s\"", kind, name);
    oapi_w_close(w, '}');
}

/* {"$ref": "#/components/schemas/NAME"} as a value. */
void oapi_w_sref(oapi_w *w, const char *name)
{
    oapi_w_open(w, '{');
    oapi_w_key(w, "$ref");
    oapi_w_pre(w);
    w->err |= kiln_buf_printf(w->b, "\"#/components/schemas/%s\"", name);
    oapi_w_close(w, '}');
}

/* Appends a newline and lvl levels of two spaces. */
static int newline(kiln_buf *out, int lvl)
{
    static const char spaces[] = "\n                                "
                                 "                                ";
    int err = 0;
    for (size_t n = (size_t)lvl * 2 + 1; n > 0 && !err;) {
        size_t k = n < sizeof spaces - 1 ? n : sizeof spaces - 1;
        err = kiln_buf_append(
            out, n == (size_t)lvl * 2 + 1 ? spaces : spaces + 1, k);
        n -= k;
    }
    return err;
}

/* Indents the compact JSON p[0..n) by two spaces into out. */
int oapi_indent(const char *p, size_t n, kiln_buf *out)
{
    int err = kiln_buf_reserve(out, n + n);
    int lvl = 0;
    size_t i = 0;
    while (i < n && !err) {
        /* a run of ordinary bytes, strings included, in one append */
        size_t j = i;
        while (j < n && !strchr("{}[],:\"", p[j]))
            j++;
        if (j > i)
            err |= kiln_buf_append(out, p + i, j - i);
        if (j == n)
            break;
        char ch = p[j];
        i = j + 1;
        switch (ch) {
        case '"': {
            size_t e = i;
            while (e < n && p[e] != '"')
                e += p[e] == '\\' ? 2 : 1;
            e = e < n ? e + 1 : n;
            err |= kiln_buf_append(out, p + j, e - j);
            i = e;
            break;
        }
        case '{':
        case '[':
            if (i < n && (p[i] == '}' || p[i] == ']')) {
                err |= kiln_buf_append(out, p + j, 2);
                i++;
                break;
            }
            err |= kiln_buf_putc(out, ch);
            err |= newline(out, ++lvl);
            break;
        case '}':
        case ']':
            err |= newline(out, --lvl);
            err |= kiln_buf_putc(out, ch);
            break;
        case ',':
            err |= kiln_buf_putc(out, ch);
            err |= newline(out, lvl);
            break;
        default: /* ':' */
            err |= kiln_buf_append(out, ": ", 2);
        }
    }
    err |= kiln_buf_putc(out, '\n');
    return err ? KILN_ENOMEM : 0;
}

/* ---- names ----------------------------------------------------------------
 */

void oapi_pascal(const char *name, char *out, size_t n)
{
    size_t k = 0;
    bool up = true;
    for (const char *p = name; *p && k + 1 < n; p++) {
        char ch = *p;
        if (ch == '_' || ch == '-' || ch == '/' || ch == '.' || ch == ' ') {
            up = true;
            continue;
        }
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9')))
            continue; /* '{', '}' of a path */
        if (up && ch >= 'a' && ch <= 'z')
            ch = (char)(ch - 'a' + 'A');
        up = false;
        out[k++] = ch;
    }
    out[k] = 0;
}

/* ---- components -----------------------------------------------------------
 */

bool oapi_is_table(const kiln_model *m)
{
    return m->table && !(m->flags & KILN_MF_ENDPOINT);
}

/* True when m's input schema is not its output schema. */
static bool input_differs(const kiln_model *m)
{
    for (uint32_t i = 0; i < m->nfields; i++) {
        const kiln_field *f = &m->fields[i];
        if (f->flags & (KILN_FF_PK | KILN_FF_READ_ONLY | KILN_FF_WRITE_ONLY |
                        KILN_FF_AUTO_CREATED | KILN_FF_AUTO_UPDATED |
                        KILN_FF_OPTIONAL | KILN_FF_DEFAULT_NOW |
                        KILN_FF_DEFAULT_RANDOM) ||
            f->def)
            return true;
    }
    return false;
}

static bool same_values(const oapi_comp *a, const kiln_field *b)
{
    if (a->nvalues != b->nvalues)
        return false;
    for (uint32_t i = 0; i < a->nvalues; i++)
        if (strcmp(a->values[i], b->values[i]) != 0)
            return false;
    return true;
}

const kiln_model *oapi_user_create(kiln_arena *a, const kiln_model *m)
{
    kiln_model *v = model_user_create(a, m);
    if (!v)
        return NULL;
    v->name = OAPI_USER_CREATE;
    v->table = NULL; /* one object both ways: "UserCreate" */
    v->api = NULL;
    v->help = "A new user: its login (a username, an email or both), its "
              "password (stored as its argon2id hash, never returned) and "
              "the app's fields of the user.";
    return v;
}

const kiln_model *oapi_create_body(oapi_walk *k, const kiln_model *m)
{
    if (!(m->flags & KILN_MF_BUILTIN))
        return m;
    for (size_t i = 0; i < k->ncomps; i++) /* made already */
        if (k->comps[i].m && strcmp(k->comps[i].m->name, OAPI_USER_CREATE) == 0)
            return k->comps[i].m;
    const kiln_model *v = oapi_user_create(&k->a, m);
    if (!v)
        k->err = KILN_ENOMEM;
    return v;
}

/* The name of m's component of variant v (field f for an enum),
   registering it to be written. NULL when out of memory. */
const char *oapi_comp_name(oapi_walk *k, const kiln_model *m, int v,
                           const kiln_field *f)
{
    if (v == OAPI_IN && oapi_is_table(m) && !input_differs(m))
        v = OAPI_OUT;
    for (size_t i = 0; i < k->ncomps; i++)
        if (k->comps[i].m == m && k->comps[i].v == v && v != OAPI_ENUM)
            return k->comps[i].name;
    char base[128], fld[96];
    oapi_pascal(m->name, base, sizeof base);
    static const char *const suffix[] = {"", "Input", "Patch", "Page", ""};
    char want[256];
    if (v == OAPI_ENUM) {
        oapi_pascal(f->name, fld, sizeof fld);
        snprintf(want, sizeof want, "%s%s", base, fld);
    } else
        snprintf(want, sizeof want, "%s%s", base,
                 oapi_is_table(m) ? suffix[v] : "");
    /* a name taken by another component gets a number */
    /* the same enum seen through a part of its model (a body of some of
       its fields) is the same component */
    for (size_t i = 0; v == OAPI_ENUM && i < k->ncomps; i++)
        if (k->comps[i].v == OAPI_ENUM && strcmp(k->comps[i].name, want) == 0 &&
            same_values(&k->comps[i], f))
            return k->comps[i].name;
    char name[272];
    snprintf(name, sizeof name, "%s", want);
    for (int n = 2;; n++) {
        bool taken = false;
        for (size_t i = 0; i < k->ncomps && !taken; i++)
            taken = strcmp(k->comps[i].name, name) == 0;
        if (!taken)
            break;
        snprintf(name, sizeof name, "%s%d", want, n);
    }
    if (k->ncomps == k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 32;
        oapi_comp *c = realloc(k->comps, cap * sizeof *c);
        if (!c) {
            k->err = KILN_ENOMEM;
            return NULL;
        }
        k->comps = c;
        k->cap = cap;
    }
    const char *s = kiln_arena_strndup(&k->a, name, strlen(name));
    if (!s) {
        k->err = KILN_ENOMEM;
        return NULL;
    }
    k->comps[k->ncomps++] = (oapi_comp){
        m, v, s, f ? f->values : NULL, f ? f->nvalues : 0, f ? f->help : NULL};
    return s;
}

static bool in_list(const char *const *l, uint32_t n, const char *name)
{
    for (uint32_t i = 0; i < n; i++)
        if (strcmp(l[i], name) == 0)
            return true;
    return false;
}

/* The JSON Schema type name of a scalar field type, or NULL. */
static const char *json_type(int t)
{
    switch (t) {
    case KILN_FT_INT:
    case KILN_FT_REF:
        return "integer";
    case KILN_FT_FLOAT:
        return "number";
    case KILN_FT_BOOL:
        return "boolean";
    case KILN_FT_MANY:
    case KILN_FT_LIST:
        return "array";
    case KILN_FT_OBJECT:
    case KILN_FT_JSON:
    case KILN_FT_ENUM:
        return NULL;
    default:
        return "string";
    }
}

void oapi_put_type(oapi_w *w, const char *t, bool nullable)
{
    oapi_w_key(w, "type");
    if (!nullable) {
        oapi_w_str(w, t);
        return;
    }
    oapi_w_open(w, '[');
    oapi_w_str(w, t);
    oapi_w_str(w, "null");
    oapi_w_close(w, ']');
}

/* The members of the schema of a value of f's type (after the type). */
static void type_members(oapi_walk *k, const kiln_model *m, const kiln_field *f,
                         int t, int v, bool nullable)
{
    oapi_w *w = &k->w;
    char buf[160];
    switch (t) {
    case KILN_FT_INT:
    case KILN_FT_FLOAT:
        oapi_put_type(w, json_type(t), nullable);
        oapi_kv_str(w, "format", t == KILN_FT_INT ? "int64" : "double");
        if (f->flags & KILN_FF_HAS_MIN) {
            oapi_w_key(w, "minimum");
            oapi_w_num(w, f->min);
        }
        if (f->flags & KILN_FF_HAS_MAX) {
            oapi_w_key(w, "maximum");
            oapi_w_num(w, f->max);
        }
        return;
    case KILN_FT_DECIMAL: {
        /* the text of a decimal: at most precision digits, scale of them
           after the point */
        int ip = f->precision > f->scale ? f->precision - f->scale : 1;
        /* a lower bound of zero or more: no minus sign (other bounds are
           in the description: JSON Schema bounds only numbers) */
        const char *sign =
            (f->flags & KILN_FF_HAS_MIN) && f->min_text && f->min_text[0] != '-'
                ? ""
                : "-?";
        if (f->scale)
            snprintf(buf, sizeof buf, "^%s[0-9]{1,%d}(\\.[0-9]{1,%d})?$", sign,
                     ip, f->scale);
        else
            snprintf(buf, sizeof buf, "^%s[0-9]{1,%d}$", sign, ip);
        if (v != OAPI_OUT) {
            /* an input may give a decimal as a JSON number too */
            oapi_w_key(w, "type");
            oapi_w_raw(w, nullable ? "[\"string\",\"number\",\"null\"]"
                                   : "[\"string\",\"number\"]");
        } else
            oapi_put_type(w, "string", nullable);
        oapi_kv_str(w, "format", "decimal");
        oapi_kv_str(w, "pattern", buf);
        return;
    }
    case KILN_FT_BOOL:
        oapi_put_type(w, "boolean", nullable);
        return;
    case KILN_FT_STRING:
    case KILN_FT_TEXT:
    case KILN_FT_EMAIL:
    case KILN_FT_URL: {
        oapi_put_type(w, "string", nullable);
        if (t == KILN_FT_EMAIL)
            oapi_kv_str(w, "format", "email");
        else if (t == KILN_FT_URL)
            oapi_kv_str(w, "format", "uri");
        int64_t min = f->min_length;
        if (min < 1 && !(f->flags & KILN_FF_BLANK))
            min = 1; /* "" is blank, refused unless blank = true (an
                        optional field is cleared by null) */
        if (min > 0)
            oapi_kv_int(w, "minLength", min);
        if (f->max_length >= 0)
            oapi_kv_int(w, "maxLength", f->max_length);
        if (f->pattern)
            oapi_kv_str(w, "pattern", f->pattern);
        else if (t == KILN_FT_URL) /* what the decoder takes of URIs */
            oapi_kv_str(w, "pattern", "^[Hh][Tt][Tt][Pp][Ss]?://[^/?#]");
        return;
    }
    case KILN_FT_DATE:
    case KILN_FT_DATETIME:
    case KILN_FT_UUID:
        oapi_put_type(w, "string", nullable);
        oapi_kv_str(w, "format",
                    t == KILN_FT_DATE       ? "date"
                    : t == KILN_FT_DATETIME ? "date-time"
                                            : "uuid");
        return;
    case KILN_FT_TIME:
        /* JSON Schema's "time" requires an offset; a time of day has none */
        oapi_put_type(w, "string", nullable);
        oapi_kv_str(
            w, "pattern",
            "^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\\.[0-9]{1,9})?)?$");
        return;
    case KILN_FT_ENUM: {
        const char *n = oapi_comp_name(k, m, OAPI_ENUM, f);
        if (!n)
            return;
        if (!nullable) {
            oapi_w_key(w, "$ref");
            oapi_w_pre(w);
            w->err |= kiln_buf_printf(w->b, "\"#/components/schemas/%s\"", n);
            return;
        }
        oapi_w_key(w, "anyOf");
        oapi_w_open(w, '[');
        oapi_w_sref(w, n);
        oapi_w_open(w, '{');
        oapi_kv_str(w, "type", "null");
        oapi_w_close(w, '}');
        oapi_w_close(w, ']');
        return;
    }
    case KILN_FT_JSON:
        return; /* any JSON value */
    case KILN_FT_REF: {
        bool exp = v == OAPI_OUT && m->api && f->ref &&
                   in_list(m->api->expand, m->api->nexpand, f->name);
        if (!exp) {
            oapi_put_type(w, "integer", nullable);
            oapi_kv_str(w, "format", "int64");
            oapi_kv_int(w, "minimum", 1); /* ids start at 1 */
            return;
        }
        /* ?expand= puts the referred row in place of its id */
        const char *n = oapi_comp_name(k, f->ref, OAPI_OUT, NULL);
        oapi_w_key(w, "anyOf");
        oapi_w_open(w, '[');
        oapi_w_open(w, '{');
        oapi_kv_str(w, "type", "integer");
        oapi_kv_str(w, "format", "int64");
        oapi_kv_int(w, "minimum", 1);
        oapi_w_close(w, '}');
        if (n)
            oapi_w_sref(w, n);
        if (nullable) {
            oapi_w_open(w, '{');
            oapi_kv_str(w, "type", "null");
            oapi_w_close(w, '}');
        }
        oapi_w_close(w, ']');
        return;
    }
    case KILN_FT_MANY:
        oapi_put_type(w, "array", nullable);
        oapi_w_key(w, "items");
        oapi_w_open(w, '{');
        oapi_kv_str(w, "type", "integer");
        oapi_kv_str(w, "format", "int64");
        oapi_w_close(w, '}');
        oapi_kv_raw(w, "uniqueItems", "true");
        return;
    case KILN_FT_OBJECT: {
        const char *n = f->ref ? oapi_comp_name(k, f->ref, v, NULL) : NULL;
        if (!n) {
            oapi_put_type(w, "object", nullable);
            return;
        }
        if (!nullable) {
            oapi_w_key(w, "$ref");
            oapi_w_pre(w);
            w->err |= kiln_buf_printf(w->b, "\"#/components/schemas/%s\"", n);
            return;
        }
        oapi_w_key(w, "anyOf");
        oapi_w_open(w, '[');
        oapi_w_sref(w, n);
        oapi_w_open(w, '{');
        oapi_kv_str(w, "type", "null");
        oapi_w_close(w, '}');
        oapi_w_close(w, ']');
        return;
    }
    case KILN_FT_LIST: {
        oapi_put_type(w, "array", nullable);
        oapi_w_key(w, "items");
        kiln_field it = *f; /* the items: the field's own constraints */
        it.type = f->item_type;
        it.flags &=
            (uint16_t) ~(KILN_FF_OPTIONAL | KILN_FF_HAS_MIN | KILN_FF_HAS_MAX);
        it.label = NULL;
        it.help = NULL;
        it.def = NULL;
        oapi_field_schema(k, m, &it, v, false);
        if (f->flags & KILN_FF_HAS_MIN)
            oapi_kv_int(w, "minItems", (int64_t)f->min);
        if (f->flags & KILN_FF_HAS_MAX)
            oapi_kv_int(w, "maxItems", (int64_t)f->max);
        return;
    }
    case KILN_FT_FILE:
        oapi_put_type(w, "string", nullable);
        oapi_kv_str(w, "contentMediaType", "application/octet-stream");
        return;
    }
}

/* The schema of field f of m in variant v (an object value). */
void oapi_field_schema(oapi_walk *k, const kiln_model *m, const kiln_field *f,
                       int v, bool nullable)
{
    oapi_w *w = &k->w;
    oapi_w_open(w, '{');
    type_members(k, m, f, f->type, v, nullable);
    if (f->label && *f->label)
        oapi_kv_str(w, "title", f->label);
    if (f->help && *f->help)
        oapi_kv_str(w, "description", f->help);
    if (f->def && v != OAPI_OUT) {
        oapi_w_key(w, "default");
        if (f->type == KILN_FT_DECIMAL && f->def[0] != '"')
            oapi_w_str(w, f->def);
        else
            oapi_w_raw(w, f->def);
    }
    if (v == OAPI_OUT && (f->flags & (KILN_FF_PK | KILN_FF_READ_ONLY)))
        oapi_kv_raw(w, "readOnly", "true");
    if (v != OAPI_OUT && (f->flags & KILN_FF_WRITE_ONLY))
        oapi_kv_raw(w, "writeOnly", "true");
    oapi_w_close(w, '}');
}

bool oapi_field_in(const kiln_field *f, bool out)
{
    if (out)
        return !(f->flags & KILN_FF_WRITE_ONLY);
    return !(f->flags & (KILN_FF_PK | KILN_FF_READ_ONLY | KILN_FF_AUTO_CREATED |
                         KILN_FF_AUTO_UPDATED));
}

bool oapi_type_ordered(int t)
{
    return t == KILN_FT_INT || t == KILN_FT_FLOAT || t == KILN_FT_DECIMAL ||
           t == KILN_FT_DATE || t == KILN_FT_DATETIME || t == KILN_FT_TIME ||
           t == KILN_FT_STRING;
}

bool oapi_type_text(int t)
{
    return t == KILN_FT_STRING || t == KILN_FT_TEXT || t == KILN_FT_EMAIL ||
           t == KILN_FT_URL;
}

bool oapi_field_required(const kiln_field *f)
{
    if (f->flags &
        (KILN_FF_OPTIONAL | KILN_FF_DEFAULT_NOW | KILN_FF_DEFAULT_RANDOM))
        return false;
    if (f->def)
        return false;
    /* an absent many or list is empty, as forms send nothing for them */
    return f->type != KILN_FT_MANY && f->type != KILN_FT_LIST;
}

static void object_schema(oapi_walk *k, const kiln_model *m, int v)
{
    oapi_w *w = &k->w;
    int fv = v == OAPI_PATCH ? OAPI_IN : v;
    oapi_w_open(w, '{');
    oapi_kv_str(w, "type", "object");
    if (m->help && *m->help)
        oapi_kv_str(w, "description", m->help);
    else if (oapi_is_table(m) && m->label) {
        char d[256];
        snprintf(d, sizeof d,
                 v == OAPI_OUT     ? "A %s."
                 : v == OAPI_PATCH ? "A partial update of a %s (JSON Merge "
                                     "Patch, RFC 7396): only the fields given "
                                     "change; null clears an optional field."
                                   : "A new %s, or its full replacement (PUT).",
                 m->label);
        oapi_kv_str(w, "description", d);
    }
    oapi_w_key(w, "properties");
    oapi_w_open(w, '{');
    for (uint32_t i = 0; i < m->nfields; i++) {
        const kiln_field *f = &m->fields[i];
        if (!oapi_field_in(f, v == OAPI_OUT))
            continue;
        oapi_w_key(w, f->name);
        oapi_field_schema(k, m, f, fv, (f->flags & KILN_FF_OPTIONAL) != 0);
    }
    oapi_w_close(w, '}');
    bool any = false;
    for (uint32_t i = 0; i < m->nfields && v != OAPI_PATCH; i++) {
        const kiln_field *f = &m->fields[i];
        if (!oapi_field_in(f, v == OAPI_OUT) ||
            (v != OAPI_OUT && !oapi_field_required(f)))
            continue;
        if (!any) {
            oapi_w_key(w, "required");
            oapi_w_open(w, '[');
        }
        any = true;
        oapi_w_str(w, f->name);
    }
    if (any)
        oapi_w_close(w, ']');
    if (v != OAPI_OUT && !(m->flags & KILN_MF_ALLOW_UNKNOWN))
        oapi_kv_raw(w, "additionalProperties", "false");
    oapi_w_close(w, '}');
}

void oapi_write_comp(oapi_walk *k, const oapi_comp *c)
{
    oapi_w *w = &k->w;
    oapi_w_key(w, c->name);
    if (c->v == OAPI_ENUM) {
        oapi_w_open(w, '{');
        oapi_kv_str(w, "type", "string");
        oapi_w_key(w, "enum");
        oapi_w_open(w, '[');
        for (uint32_t i = 0; i < c->nvalues; i++)
            oapi_w_str(w, c->values[i]);
        oapi_w_close(w, ']');
        if (c->help && *c->help)
            oapi_kv_str(w, "description", c->help);
        oapi_w_close(w, '}');
        return;
    }
    if (c->v == OAPI_PAGE) {
        const char *item = oapi_comp_name(k, c->m, OAPI_OUT, NULL);
        oapi_w_open(w, '{');
        oapi_kv_str(w, "type", "object");
        char d[256];
        snprintf(d, sizeof d,
                 "A page of %s. next is the cursor of the following page "
                 "(null at the end, and always in offset mode); count, the "
                 "number of matching rows, is there in offset mode only.",
                 c->m->label_plural ? c->m->label_plural : c->m->name);
        oapi_kv_str(w, "description", d);
        oapi_w_key(w, "properties");
        oapi_w_open(w, '{');
        oapi_w_key(w, "items");
        oapi_w_open(w, '{');
        oapi_kv_str(w, "type", "array");
        if (item) {
            oapi_w_key(w, "items");
            oapi_w_sref(w, item);
        }
        oapi_w_close(w, '}');
        oapi_w_key(w, "next");
        oapi_w_open(w, '{');
        oapi_put_type(w, "string", true);
        oapi_w_close(w, '}');
        oapi_w_key(w, "count");
        oapi_w_open(w, '{');
        oapi_kv_str(w, "type", "integer");
        oapi_kv_str(w, "format", "int64");
        oapi_kv_int(w, "minimum", 0);
        oapi_w_close(w, '}');
        oapi_w_close(w, '}');
        oapi_kv_raw(w, "required", "[\"items\",\"next\"]");
        oapi_w_close(w, '}');
        return;
    }
    object_schema(k, c->m, c->v);
}
