/*
 * openapi/openapi.c - the OpenAPI 3.1 document (openapi.h): one walk over
 * the routes and the models' [api] into a list of operations, then one
 * over the components they name. JSON is written compact through a small
 * writer that keeps the commas, then indented in one pass.
 *
 * Memory: everything the walk needs lives in one arena freed before
 * oapi_write returns; the document is appended to the caller's buffer.
 */
#include "openapi/openapi.h"

#include <stdlib.h>
#include <string.h>

/* ---- a compact JSON writer ----------------------------------------------- */

#define OW_DEPTH 64

typedef struct ow {
    kiln_buf *b;
    int depth;
    bool more[OW_DEPTH]; /* an element was written at this depth */
    bool key;            /* a key was just written: no comma */
    int err;
} ow;

static void ow_pre(ow *w)
{
    if (w->key) {
        w->key = false;
        return;
    }
    if (w->more[w->depth])
        w->err |= kiln_buf_putc(w->b, ',');
    w->more[w->depth] = true;
}

static void ow_open(ow *w, char ch)
{
    ow_pre(w);
    w->err |= kiln_buf_putc(w->b, ch);
    if (w->depth + 1 < OW_DEPTH)
        w->more[++w->depth] = false;
    else
        w->err |= KILN_ELIMIT;
}

static void ow_close(ow *w, char ch)
{
    w->err |= kiln_buf_putc(w->b, ch);
    if (w->depth > 0)
        w->depth--;
    else
        w->err |= KILN_ESTATE; /* closed more than was opened */
}

static void ow_key(ow *w, const char *k)
{
    ow_pre(w);
    w->err |= kiln_json_put_str(w->b, k, strlen(k));
    w->err |= kiln_buf_putc(w->b, ':');
    w->key = true;
}

static void ow_str(ow *w, const char *s)
{
    ow_pre(w);
    w->err |= kiln_json_put_str(w->b, s, strlen(s));
}

static void ow_raw(ow *w, const char *json)
{
    ow_pre(w);
    w->err |= kiln_buf_puts(w->b, json);
}

static void ow_int(ow *w, int64_t v)
{
    ow_pre(w);
    w->err |= kiln_json_put_i64(w->b, v);
}

static void ow_num(ow *w, double v)
{
    ow_pre(w);
    w->err |= kiln_json_put_double(w->b, v);
}

static void kv_str(ow *w, const char *k, const char *v)
{
    ow_key(w, k);
    ow_str(w, v);
}

static void kv_raw(ow *w, const char *k, const char *json)
{
    ow_key(w, k);
    ow_raw(w, json);
}

static void kv_int(ow *w, const char *k, int64_t v)
{
    ow_key(w, k);
    ow_int(w, v);
}

static void kv_ref(ow *w, const char *k, const char *kind, const char *name)
{
    ow_key(w, k);
    ow_open(w, '{');
    ow_key(w, "$ref");
    ow_pre(w);
    w->err |= kiln_buf_printf(w->b, "\"#/components/%s/%s\"", kind, name);
    ow_close(w, '}');
}

/* {"$ref": "#/components/schemas/NAME"} as a value. */
static void ow_sref(ow *w, const char *name)
{
    ow_open(w, '{');
    ow_key(w, "$ref");
    ow_pre(w);
    w->err |= kiln_buf_printf(w->b, "\"#/components/schemas/%s\"", name);
    ow_close(w, '}');
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
static int indent(const char *p, size_t n, kiln_buf *out)
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

enum variant { V_OUT, V_IN, V_PATCH, V_PAGE, V_ENUM };

typedef struct comp {
    const kiln_model *m;
    int v;
    const char *name;
    /* V_ENUM: the field's values (a field may be a temporary copy) */
    const char *const *values;
    uint32_t nvalues;
    const char *help;
} comp;

typedef struct walk {
    const oapi_doc *d;
    kiln_arena a;
    ow w;
    comp *comps;
    size_t ncomps, cap;
    const char **tags;
    const char **tagdesc;
    size_t ntags, tagcap;
    int err;
} walk;

static bool is_table(const kiln_model *m)
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

static bool same_values(const comp *a, const kiln_field *b)
{
    if (a->nvalues != b->nvalues)
        return false;
    for (uint32_t i = 0; i < a->nvalues; i++)
        if (strcmp(a->values[i], b->values[i]) != 0)
            return false;
    return true;
}

/* The name of m's component of variant v (field f for an enum),
   registering it to be written. NULL when out of memory. */
static const char *comp_name(walk *k, const kiln_model *m, int v,
                             const kiln_field *f)
{
    if (v == V_IN && is_table(m) && !input_differs(m))
        v = V_OUT;
    for (size_t i = 0; i < k->ncomps; i++)
        if (k->comps[i].m == m && k->comps[i].v == v && v != V_ENUM)
            return k->comps[i].name;
    char base[128], fld[96];
    oapi_pascal(m->name, base, sizeof base);
    static const char *const suffix[] = {"", "Input", "Patch", "Page", ""};
    char want[256];
    if (v == V_ENUM) {
        oapi_pascal(f->name, fld, sizeof fld);
        snprintf(want, sizeof want, "%s%s", base, fld);
    } else
        snprintf(want, sizeof want, "%s%s", base, is_table(m) ? suffix[v] : "");
    /* a name taken by another component gets a number */
    /* the same enum seen through a part of its model (a body of some of
       its fields) is the same component */
    for (size_t i = 0; v == V_ENUM && i < k->ncomps; i++)
        if (k->comps[i].v == V_ENUM && strcmp(k->comps[i].name, want) == 0 &&
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
        comp *c = realloc(k->comps, cap * sizeof *c);
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
    k->comps[k->ncomps++] = (comp){
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

static void put_type(ow *w, const char *t, bool nullable)
{
    ow_key(w, "type");
    if (!nullable) {
        ow_str(w, t);
        return;
    }
    ow_open(w, '[');
    ow_str(w, t);
    ow_str(w, "null");
    ow_close(w, ']');
}

static void field_schema(walk *k, const kiln_model *m, const kiln_field *f,
                         int v, bool nullable);

/* The members of the schema of a value of f's type (after the type). */
static void type_members(walk *k, const kiln_model *m, const kiln_field *f,
                         int t, int v, bool nullable)
{
    ow *w = &k->w;
    char buf[160];
    switch (t) {
    case KILN_FT_INT:
    case KILN_FT_FLOAT:
        put_type(w, json_type(t), nullable);
        kv_str(w, "format", t == KILN_FT_INT ? "int64" : "double");
        if (f->flags & KILN_FF_HAS_MIN) {
            ow_key(w, "minimum");
            ow_num(w, f->min);
        }
        if (f->flags & KILN_FF_HAS_MAX) {
            ow_key(w, "maximum");
            ow_num(w, f->max);
        }
        return;
    case KILN_FT_DECIMAL: {
        /* the text of a decimal: at most precision digits, scale of them
           after the point */
        int ip = f->precision > f->scale ? f->precision - f->scale : 1;
        if (f->scale)
            snprintf(buf, sizeof buf, "^-?[0-9]{1,%d}(\\.[0-9]{1,%d})?$", ip,
                     f->scale);
        else
            snprintf(buf, sizeof buf, "^-?[0-9]{1,%d}$", ip);
        put_type(w, "string", nullable);
        kv_str(w, "format", "decimal");
        kv_str(w, "pattern", buf);
        return;
    }
    case KILN_FT_BOOL:
        put_type(w, "boolean", nullable);
        return;
    case KILN_FT_STRING:
    case KILN_FT_TEXT:
    case KILN_FT_EMAIL:
    case KILN_FT_URL: {
        put_type(w, "string", nullable);
        if (t == KILN_FT_EMAIL)
            kv_str(w, "format", "email");
        else if (t == KILN_FT_URL)
            kv_str(w, "format", "uri");
        int64_t min = f->min_length;
        if (min < 1 && !(f->flags & (KILN_FF_BLANK | KILN_FF_OPTIONAL)))
            min = 1; /* a required string may not be empty */
        if (min > 0)
            kv_int(w, "minLength", min);
        if (f->max_length >= 0)
            kv_int(w, "maxLength", f->max_length);
        if (f->pattern)
            kv_str(w, "pattern", f->pattern);
        return;
    }
    case KILN_FT_DATE:
    case KILN_FT_DATETIME:
    case KILN_FT_UUID:
        put_type(w, "string", nullable);
        kv_str(w, "format",
               t == KILN_FT_DATE       ? "date"
               : t == KILN_FT_DATETIME ? "date-time"
                                       : "uuid");
        return;
    case KILN_FT_TIME:
        /* JSON Schema's "time" requires an offset; a time of day has none */
        put_type(w, "string", nullable);
        kv_str(w, "pattern",
               "^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\\.[0-9]{1,9})?)?$");
        return;
    case KILN_FT_ENUM: {
        const char *n = comp_name(k, m, V_ENUM, f);
        if (!n)
            return;
        if (!nullable) {
            ow_key(w, "$ref");
            ow_pre(w);
            w->err |= kiln_buf_printf(w->b, "\"#/components/schemas/%s\"", n);
            return;
        }
        ow_key(w, "anyOf");
        ow_open(w, '[');
        ow_sref(w, n);
        ow_open(w, '{');
        kv_str(w, "type", "null");
        ow_close(w, '}');
        ow_close(w, ']');
        return;
    }
    case KILN_FT_JSON:
        return; /* any JSON value */
    case KILN_FT_REF: {
        bool exp = v == V_OUT && m->api && f->ref &&
                   in_list(m->api->expand, m->api->nexpand, f->name);
        if (!exp) {
            put_type(w, "integer", nullable);
            kv_str(w, "format", "int64");
            return;
        }
        /* ?expand= puts the referred row in place of its id */
        const char *n = comp_name(k, f->ref, V_OUT, NULL);
        ow_key(w, "anyOf");
        ow_open(w, '[');
        ow_open(w, '{');
        kv_str(w, "type", "integer");
        kv_str(w, "format", "int64");
        ow_close(w, '}');
        if (n)
            ow_sref(w, n);
        if (nullable) {
            ow_open(w, '{');
            kv_str(w, "type", "null");
            ow_close(w, '}');
        }
        ow_close(w, ']');
        return;
    }
    case KILN_FT_MANY:
        put_type(w, "array", nullable);
        ow_key(w, "items");
        ow_open(w, '{');
        kv_str(w, "type", "integer");
        kv_str(w, "format", "int64");
        ow_close(w, '}');
        kv_raw(w, "uniqueItems", "true");
        return;
    case KILN_FT_OBJECT: {
        const char *n = f->ref ? comp_name(k, f->ref, v, NULL) : NULL;
        if (!n) {
            put_type(w, "object", nullable);
            return;
        }
        if (!nullable) {
            ow_key(w, "$ref");
            ow_pre(w);
            w->err |= kiln_buf_printf(w->b, "\"#/components/schemas/%s\"", n);
            return;
        }
        ow_key(w, "anyOf");
        ow_open(w, '[');
        ow_sref(w, n);
        ow_open(w, '{');
        kv_str(w, "type", "null");
        ow_close(w, '}');
        ow_close(w, ']');
        return;
    }
    case KILN_FT_LIST: {
        put_type(w, "array", nullable);
        ow_key(w, "items");
        kiln_field it = *f; /* the items: the field's own constraints */
        it.type = f->item_type;
        it.flags &=
            (uint16_t) ~(KILN_FF_OPTIONAL | KILN_FF_HAS_MIN | KILN_FF_HAS_MAX);
        it.label = NULL;
        it.help = NULL;
        it.def = NULL;
        field_schema(k, m, &it, v, false);
        if (f->flags & KILN_FF_HAS_MIN)
            kv_int(w, "minItems", (int64_t)f->min);
        if (f->flags & KILN_FF_HAS_MAX)
            kv_int(w, "maxItems", (int64_t)f->max);
        return;
    }
    case KILN_FT_FILE:
        put_type(w, "string", nullable);
        kv_str(w, "contentMediaType", "application/octet-stream");
        return;
    }
}

/* The schema of field f of m in variant v (an object value). */
static void field_schema(walk *k, const kiln_model *m, const kiln_field *f,
                         int v, bool nullable)
{
    ow *w = &k->w;
    ow_open(w, '{');
    type_members(k, m, f, f->type, v, nullable);
    if (f->label && *f->label)
        kv_str(w, "title", f->label);
    if (f->help && *f->help)
        kv_str(w, "description", f->help);
    if (f->def && v != V_OUT) {
        ow_key(w, "default");
        if (f->type == KILN_FT_DECIMAL && f->def[0] != '"')
            ow_str(w, f->def);
        else
            ow_raw(w, f->def);
    }
    if (v == V_OUT && (f->flags & (KILN_FF_PK | KILN_FF_READ_ONLY)))
        kv_raw(w, "readOnly", "true");
    if (v != V_OUT && (f->flags & KILN_FF_WRITE_ONLY))
        kv_raw(w, "writeOnly", "true");
    ow_close(w, '}');
}

/* True when field f is in m's schema of variant v. */
static bool field_in(const kiln_field *f, int v)
{
    if (v == V_OUT)
        return !(f->flags & KILN_FF_WRITE_ONLY);
    return !(f->flags & (KILN_FF_PK | KILN_FF_READ_ONLY | KILN_FF_AUTO_CREATED |
                         KILN_FF_AUTO_UPDATED));
}

/* True when an input must give f (CREATE and REPLACE). */
static bool field_required_in(const kiln_field *f)
{
    if (f->flags &
        (KILN_FF_OPTIONAL | KILN_FF_DEFAULT_NOW | KILN_FF_DEFAULT_RANDOM))
        return false;
    if (f->def)
        return false;
    /* an absent many or list is empty, as forms send nothing for them */
    return f->type != KILN_FT_MANY && f->type != KILN_FT_LIST;
}

static void object_schema(walk *k, const kiln_model *m, int v)
{
    ow *w = &k->w;
    int fv = v == V_PATCH ? V_IN : v;
    ow_open(w, '{');
    kv_str(w, "type", "object");
    if (m->help && *m->help)
        kv_str(w, "description", m->help);
    else if (is_table(m) && m->label) {
        char d[256];
        snprintf(d, sizeof d,
                 v == V_OUT     ? "A %s."
                 : v == V_PATCH ? "A partial update of a %s (JSON Merge "
                                  "Patch, RFC 7396): only the fields given "
                                  "change; null clears an optional field."
                                : "A new %s, or its full replacement (PUT).",
                 m->label);
        kv_str(w, "description", d);
    }
    ow_key(w, "properties");
    ow_open(w, '{');
    for (uint32_t i = 0; i < m->nfields; i++) {
        const kiln_field *f = &m->fields[i];
        if (!field_in(f, v))
            continue;
        ow_key(w, f->name);
        field_schema(k, m, f, fv, (f->flags & KILN_FF_OPTIONAL) != 0);
    }
    ow_close(w, '}');
    bool any = false;
    for (uint32_t i = 0; i < m->nfields && v != V_PATCH; i++) {
        const kiln_field *f = &m->fields[i];
        if (!field_in(f, v) || (v != V_OUT && !field_required_in(f)))
            continue;
        if (!any) {
            ow_key(w, "required");
            ow_open(w, '[');
        }
        any = true;
        ow_str(w, f->name);
    }
    if (any)
        ow_close(w, ']');
    if (v != V_OUT && !(m->flags & KILN_MF_ALLOW_UNKNOWN))
        kv_raw(w, "additionalProperties", "false");
    ow_close(w, '}');
}

static void write_comp(walk *k, const comp *c)
{
    ow *w = &k->w;
    ow_key(w, c->name);
    if (c->v == V_ENUM) {
        ow_open(w, '{');
        kv_str(w, "type", "string");
        ow_key(w, "enum");
        ow_open(w, '[');
        for (uint32_t i = 0; i < c->nvalues; i++)
            ow_str(w, c->values[i]);
        ow_close(w, ']');
        if (c->help && *c->help)
            kv_str(w, "description", c->help);
        ow_close(w, '}');
        return;
    }
    if (c->v == V_PAGE) {
        const char *item = comp_name(k, c->m, V_OUT, NULL);
        ow_open(w, '{');
        kv_str(w, "type", "object");
        char d[256];
        snprintf(d, sizeof d,
                 "A page of %s. next is the cursor of the following page "
                 "(null at the end, and always in offset mode); count, the "
                 "number of matching rows, is there in offset mode only.",
                 c->m->label_plural ? c->m->label_plural : c->m->name);
        kv_str(w, "description", d);
        ow_key(w, "properties");
        ow_open(w, '{');
        ow_key(w, "items");
        ow_open(w, '{');
        kv_str(w, "type", "array");
        if (item) {
            ow_key(w, "items");
            ow_sref(w, item);
        }
        ow_close(w, '}');
        ow_key(w, "next");
        ow_open(w, '{');
        put_type(w, "string", true);
        ow_close(w, '}');
        ow_key(w, "count");
        ow_open(w, '{');
        kv_str(w, "type", "integer");
        kv_str(w, "format", "int64");
        kv_int(w, "minimum", 0);
        ow_close(w, '}');
        ow_close(w, '}');
        kv_raw(w, "required", "[\"items\",\"next\"]");
        ow_close(w, '}');
        return;
    }
    object_schema(k, c->m, c->v);
}

static const char problem_schema[] =
    "{\"type\":\"object\",\"description\":\"An error (RFC 9457 "
    "problem details).\",\"properties\":{"
    "\"type\":{\"type\":\"string\",\"format\":\"uri-reference\"},"
    "\"title\":{\"type\":\"string\"},"
    "\"status\":{\"type\":\"integer\",\"minimum\":100,\"maximum\":599},"
    "\"detail\":{\"type\":\"string\"},"
    "\"instance\":{\"type\":\"string\",\"format\":\"uri-reference\"}},"
    "\"required\":[\"title\",\"status\"]}";

static const char vproblem_schema[] =
    "{\"description\":\"A request that failed validation: every failing "
    "field or query parameter is in errors.\",\"allOf\":[{\"$ref\":"
    "\"#/components/schemas/Problem\"},{\"type\":\"object\",\"properties\":{"
    "\"errors\":{\"type\":\"array\",\"items\":{\"type\":\"object\","
    "\"properties\":{\"pointer\":{\"type\":\"string\",\"description\":\"a "
    "JSON Pointer (RFC 6901) to the field in the body, or ?NAME for a query "
    "parameter\"},\"code\":{\"type\":\"string\",\"description\":\"stable, "
    "snake_case\"},\"detail\":{\"type\":\"string\"},\"parameter\":{"
    "\"type\":\"string\",\"description\":\"the query parameter, for query "
    "errors\"}},\"required\":[\"pointer\",\"code\",\"detail\"]}}},"
    "\"required\":[\"errors\"]}]}";

/* components/responses: name, status text, description, schema */
static const struct {
    int status;
    const char *name, *desc, *schema;
} std_responses[] = {
    {400, "BadRequest",
     "The body is not well-formed (JSON: its offset, line "
     "and column in detail).",
     "Problem"},
    {404, "NotFound", "No such row (or an id that is not one).", "Problem"},
    {409, "Conflict",
     "A unique value taken, or a delete refused by a row referring to it.",
     "Problem"},
    {412, "PreconditionFailed",
     "If-Match does not match the row's current ETag: nothing was written.",
     "Problem"},
    {415, "UnsupportedMediaType", "A body of another Content-Type.", "Problem"},
    {422, "ValidationFailed",
     "The input failed validation: every failing field is listed.",
     "ValidationProblem"},
};

static const char *std_response(int status)
{
    for (size_t i = 0; i < sizeof std_responses / sizeof *std_responses; i++)
        if (std_responses[i].status == status)
            return std_responses[i].name;
    return NULL;
}

/* ---- operations ---------------------------------------------------------- */

enum op_kind {
    OP_LIST,
    OP_CREATE,
    OP_GET,
    OP_UPDATE,
    OP_PATCH,
    OP_DELETE,
    OP_ROUTE
};

typedef struct op {
    const char *path;   /* OpenAPI path */
    const char *method; /* "GET"... */
    int kind;
    const kiln_model *m; /* CRUD */
    const oapi_route *r; /* OP_ROUTE */
} op;

static const char *const methods[] = {"GET",     "PUT",  "POST", "DELETE",
                                      "OPTIONS", "HEAD", "PATCH"};

static int method_rank(const char *m)
{
    for (int i = 0; i < 7; i++)
        if (strcmp(methods[i], m) == 0)
            return i;
    return 7;
}

static int cmp_op(const void *a, const void *b)
{
    const op *x = a, *y = b;
    int c = strcmp(x->path, y->path);
    return c ? c : method_rank(x->method) - method_rank(y->method);
}

/* "/files/{...path}" as an OpenAPI path: "/files/{path}". */
static const char *oa_path(walk *k, const char *pattern)
{
    kiln_buf b;
    kiln_buf_init(&b);
    for (const char *p = pattern; *p; p++) {
        if (p[0] == '{' && strncmp(p + 1, "...", 3) == 0) {
            kiln_buf_putc(&b, '{');
            p += 3;
            continue;
        }
        kiln_buf_putc(&b, *p);
    }
    const char *s = b.p ? kiln_arena_strndup(&k->a, b.p, b.n) : NULL;
    kiln_buf_deinit(&b);
    if (!s)
        k->err = KILN_ENOMEM;
    return s;
}

static bool route_documented(const oapi_route *r)
{
    return !r->page && strcmp(r->method, "WS") != 0 &&
           strcmp(r->method, "HEAD") != 0 && strcmp(r->method, "OPTIONS") != 0;
}

/* Adds a tag once (its first description wins). */
static void add_tag(walk *k, const char *name, const char *desc)
{
    for (size_t i = 0; i < k->ntags; i++)
        if (strcmp(k->tags[i], name) == 0)
            return;
    if (k->ntags == k->tagcap) {
        size_t cap = k->tagcap ? k->tagcap * 2 : 16;
        const char **t = realloc(k->tags, cap * sizeof *t);
        const char **dd = realloc(k->tagdesc, cap * sizeof *dd);
        if (t)
            k->tags = t;
        if (dd)
            k->tagdesc = dd;
        if (!t || !dd) {
            k->err = KILN_ENOMEM;
            return;
        }
        k->tagcap = cap;
    }
    k->tags[k->ntags] = name;
    k->tagdesc[k->ntags++] = desc;
}

/* The tag of a hand-written route: the first segment after /api/ (or the
   first segment). */
static const char *route_tag(walk *k, const char *pattern)
{
    const char *p = pattern;
    if (strncmp(p, "/api/", 5) == 0)
        p += 5;
    else if (*p == '/')
        p++;
    size_t n = strcspn(p, "/");
    if (n == 0 || *p == '{')
        return "api";
    const char *t = kiln_arena_strndup(&k->a, p, n);
    if (!t)
        k->err = KILN_ENOMEM;
    return t ? t : "api";
}

static const char *model_tag(const kiln_model *m)
{
    return m->label_plural && *m->label_plural ? m->label_plural : m->name;
}

/* ---- writing an operation ------------------------------------------------ */

static void put_response_ref(walk *k, int status)
{
    char st[8];
    snprintf(st, sizeof st, "%d", status);
    kv_ref(&k->w, st, "responses", std_response(status));
}

/* "content": {"application/json": {"schema": {"$ref": ...}}} */
static void put_content(walk *k, const char *type, const char *schema,
                        bool array)
{
    ow *w = &k->w;
    ow_key(w, "content");
    ow_open(w, '{');
    ow_key(w, type);
    ow_open(w, '{');
    ow_key(w, "schema");
    if (!schema) {
        ow_raw(w, "{}");
    } else if (array) {
        ow_open(w, '{');
        kv_str(w, "type", "array");
        ow_key(w, "items");
        ow_sref(w, schema);
        ow_close(w, '}');
    } else
        ow_sref(w, schema);
    ow_close(w, '}');
    ow_close(w, '}');
}

static void put_etag_header(ow *w)
{
    ow_key(w, "headers");
    ow_open(w, '{');
    ow_key(w, "ETag");
    ow_open(w, '{');
    kv_str(w, "description",
           "The row's strong ETag, for If-None-Match and If-Match.");
    ow_key(w, "schema");
    ow_raw(w, "{\"type\":\"string\"}");
    ow_close(w, '}'); /* the caller closes "headers" */
}

/* A query or path parameter. */
static void put_param(walk *k, const char *in, const char *name, bool required,
                      const char *desc, const char *schema)
{
    ow *w = &k->w;
    ow_open(w, '{');
    kv_str(w, "name", name);
    kv_str(w, "in", in);
    if (required)
        kv_raw(w, "required", "true");
    if (desc)
        kv_str(w, "description", desc);
    kv_raw(w, "schema", schema);
    ow_close(w, '}');
}

static void put_id_param(walk *k, const kiln_model *m)
{
    char d[160];
    snprintf(d, sizeof d, "The id of the %s.", m->label ? m->label : m->name);
    put_param(k, "path", "id", true, d,
              "{\"type\":\"integer\",\"format\":\"int64\"}");
}

static bool is_ordered(int t)
{
    return t == KILN_FT_INT || t == KILN_FT_FLOAT || t == KILN_FT_DECIMAL ||
           t == KILN_FT_DATE || t == KILN_FT_DATETIME || t == KILN_FT_TIME ||
           t == KILN_FT_STRING;
}

static bool is_text(int t)
{
    return t == KILN_FT_STRING || t == KILN_FT_TEXT || t == KILN_FT_EMAIL ||
           t == KILN_FT_URL;
}

/* The filter parameters of field f: FIELD and FIELD__LOOKUP. */
static void put_filters(walk *k, const kiln_model *m, const kiln_field *f)
{
    ow *w = &k->w;
    char name[160], d[320];
    ow_open(w, '{');
    kv_str(w, "name", f->name);
    kv_str(w, "in", "query");
    snprintf(d, sizeof d, "Only the %s whose %s is this.", model_tag(m),
             f->label ? f->label : f->name);
    kv_str(w, "description", d);
    ow_key(w, "schema");
    kiln_field v = *f; /* the value: as the field, never null */
    v.flags &= (uint16_t) ~(KILN_FF_OPTIONAL | KILN_FF_READ_ONLY | KILN_FF_PK |
                            KILN_FF_WRITE_ONLY);
    v.label = NULL;
    v.help = NULL;
    v.def = NULL;
    v.min_length = -1;
    v.max_length = -1;
    v.pattern = NULL;
    if (v.type == KILN_FT_MANY)
        v.type = KILN_FT_REF;
    field_schema(k, m, &v, V_IN, false);
    ow_close(w, '}');
    static const char *const cmp[] = {"ne", "lt", "lte", "gt", "gte"};
    for (size_t i = 0; i < 5; i++) {
        if (i > 0 && !is_ordered(f->type))
            break;
        snprintf(name, sizeof name, "%s__%s", f->name, cmp[i]);
        ow_open(w, '{');
        kv_str(w, "name", name);
        kv_str(w, "in", "query");
        ow_key(w, "schema");
        field_schema(k, m, &v, V_IN, false);
        ow_close(w, '}');
    }
    snprintf(name, sizeof name, "%s__in", f->name);
    put_param(k, "query", name, false, "Comma-separated values.",
              "{\"type\":\"string\"}");
    if (is_text(f->type)) {
        snprintf(name, sizeof name, "%s__contains", f->name);
        put_param(k, "query", name, false, "Contains this text.",
                  "{\"type\":\"string\"}");
        snprintf(name, sizeof name, "%s__icontains", f->name);
        put_param(k, "query", name, false, "Contains this text, ignoring case.",
                  "{\"type\":\"string\"}");
    }
    if (f->flags & KILN_FF_OPTIONAL) {
        snprintf(name, sizeof name, "%s__isnull", f->name);
        put_param(k, "query", name, false, "true: only null; false: none.",
                  "{\"type\":\"boolean\"}");
    }
}

static void put_list_params(walk *k, const kiln_model *m)
{
    const kiln_model_api *api = m->api;
    char s[256];
    uint32_t max = api->max_page_size ? api->max_page_size : 100;
    uint32_t def = api->page_size ? api->page_size : 20;
    snprintf(s, sizeof s,
             "{\"type\":\"integer\",\"minimum\":1,\"maximum\":%u,"
             "\"default\":%u}",
             max, def);
    put_param(k, "query", "limit", false, "The most rows on a page.", s);
    put_param(k, "query", "cursor", false,
              "The next of the previous page (opaque).",
              "{\"type\":\"string\"}");
    put_param(k, "query", "offset", false,
              "Rows to skip: offset mode (the page has count, next is null).",
              "{\"type\":\"integer\",\"minimum\":0}");
    kiln_buf d;
    kiln_buf_init(&d);
    kiln_buf_puts(&d, "Comma-separated fields, '-' for descending, among: ");
    for (uint32_t i = 0; i < api->nordering; i++)
        kiln_buf_printf(&d, "%s, ", api->ordering[i]);
    kiln_buf_puts(&d, "id.");
    put_param(k, "query", "ordering", false, d.p ? d.p : "",
              "{\"type\":\"string\"}");
    if (api->nsearch) {
        kiln_buf_clear(&d);
        kiln_buf_puts(&d, "Text looked for (any case) in: ");
        for (uint32_t i = 0; i < api->nsearch; i++)
            kiln_buf_printf(&d, "%s%s", i ? ", " : "", api->search[i]);
        kiln_buf_putc(&d, '.');
        put_param(k, "query", "search", false, d.p ? d.p : "",
                  "{\"type\":\"string\"}");
    }
    if (api->nexpand) {
        kiln_buf_clear(&d);
        kiln_buf_puts(&d, "Comma-separated fields whose row replaces its id: ");
        for (uint32_t i = 0; i < api->nexpand; i++)
            kiln_buf_printf(&d, "%s%s", i ? ", " : "", api->expand[i]);
        kiln_buf_putc(&d, '.');
        put_param(k, "query", "expand", false, d.p ? d.p : "",
                  "{\"type\":\"string\"}");
    }
    kiln_buf_deinit(&d);
    for (uint32_t i = 0; i < api->nfilters; i++) {
        int fi = kiln_model_field(m, kiln_str_c(api->filters[i]));
        if (fi >= 0)
            put_filters(k, m, &m->fields[fi]);
    }
}

static void put_if_match(walk *k)
{
    put_param(k, "header", "If-Match", false,
              "The ETag the row must still have (or *): else 412.",
              "{\"type\":\"string\"}");
}

static void crud_op(walk *k, const op *o)
{
    ow *w = &k->w;
    const kiln_model *m = o->m;
    char sing[128], plural[128], id[300], sum[300];
    oapi_pascal(m->name, sing, sizeof sing);
    oapi_pascal(m->api->path, plural, sizeof plural);
    const char *label = m->label ? m->label : m->name;
    static const char *const verbs[] = {"list",   "create", "get",
                                        "update", "patch",  "delete"};
    snprintf(id, sizeof id, "%s%s", verbs[o->kind],
             o->kind == OP_LIST ? plural : sing);
    switch (o->kind) {
    case OP_LIST:
        snprintf(sum, sizeof sum, "List %s", model_tag(m));
        break;
    case OP_CREATE:
        snprintf(sum, sizeof sum, "Create a %s", label);
        break;
    case OP_GET:
        snprintf(sum, sizeof sum, "Get a %s", label);
        break;
    case OP_UPDATE:
        snprintf(sum, sizeof sum, "Replace a %s", label);
        break;
    case OP_PATCH:
        snprintf(sum, sizeof sum, "Update part of a %s", label);
        break;
    default:
        snprintf(sum, sizeof sum, "Delete a %s", label);
    }
    const char *out = comp_name(k, m, V_OUT, NULL);
    kv_str(w, "operationId", id);
    kv_str(w, "summary", sum);
    ow_key(w, "tags");
    ow_open(w, '[');
    ow_str(w, model_tag(m));
    ow_close(w, ']');
    if (o->kind != OP_LIST && o->kind != OP_CREATE) {
        ow_key(w, "parameters");
        ow_open(w, '[');
        put_id_param(k, m);
        if (o->kind >= OP_UPDATE)
            put_if_match(k);
        else
            put_param(k, "header", "If-None-Match", false,
                      "An ETag the client has: 304 when it still matches.",
                      "{\"type\":\"string\"}");
        ow_close(w, ']');
    } else if (o->kind == OP_LIST) {
        ow_key(w, "parameters");
        ow_open(w, '[');
        put_list_params(k, m);
        ow_close(w, ']');
    }
    if (o->kind == OP_CREATE || o->kind == OP_UPDATE || o->kind == OP_PATCH) {
        const char *in =
            comp_name(k, m, o->kind == OP_PATCH ? V_PATCH : V_IN, NULL);
        ow_key(w, "requestBody");
        ow_open(w, '{');
        kv_raw(w, "required", "true");
        ow_key(w, "content");
        ow_open(w, '{');
        const char *types[] = {o->kind == OP_PATCH
                                   ? "application/merge-patch+json"
                                   : "application/json",
                               o->kind == OP_PATCH ? "application/json" : NULL};
        for (int i = 0; i < 2 && types[i]; i++) {
            ow_key(w, types[i]);
            ow_open(w, '{');
            ow_key(w, "schema");
            if (in)
                ow_sref(w, in);
            ow_close(w, '}');
        }
        ow_close(w, '}');
        ow_close(w, '}');
    }
    ow_key(w, "responses");
    ow_open(w, '{');
    switch (o->kind) {
    case OP_LIST: {
        const char *page = comp_name(k, m, V_PAGE, NULL);
        ow_key(w, "200");
        ow_open(w, '{');
        kv_str(w, "description", "A page of rows.");
        put_content(k, "application/json", page, false);
        ow_close(w, '}');
        put_response_ref(k, 422);
        break;
    }
    case OP_DELETE:
        ow_key(w, "204");
        ow_open(w, '{');
        kv_str(w, "description", "Deleted.");
        ow_close(w, '}');
        put_response_ref(k, 404);
        put_response_ref(k, 409);
        put_response_ref(k, 412);
        break;
    default: {
        ow_key(w, o->kind == OP_CREATE ? "201" : "200");
        ow_open(w, '{');
        kv_str(w, "description",
               o->kind == OP_CREATE ? "Created: the new row."
               : o->kind == OP_GET  ? "The row."
                                    : "The row as written.");
        put_etag_header(w);
        if (o->kind == OP_CREATE) {
            ow_key(w, "Location");
            ow_open(w, '{');
            kv_str(w, "description", "The new row's URL.");
            kv_raw(w, "schema", "{\"type\":\"string\"}");
            ow_close(w, '}');
            ow_close(w, '}'); /* headers */
        } else
            ow_close(w, '}'); /* headers */
        put_content(k, "application/json", out, false);
        ow_close(w, '}');
        if (o->kind == OP_GET) {
            ow_key(w, "304");
            ow_open(w, '{');
            kv_str(w, "description", "Not modified (If-None-Match).");
            ow_close(w, '}');
            put_response_ref(k, 404);
            break;
        }
        put_response_ref(k, 400);
        if (o->kind != OP_CREATE)
            put_response_ref(k, 404);
        put_response_ref(k, 409);
        if (o->kind != OP_CREATE)
            put_response_ref(k, 412);
        put_response_ref(k, 415);
        put_response_ref(k, 422);
    }
    }
    ow_close(w, '}');
}

/* "postPostsByIdLike": the method and the path after /api/. */
static void route_op_id(const oapi_route *r, char *out, size_t n)
{
    size_t k = 0;
    for (const char *p = r->method; *p && k + 1 < n; p++)
        out[k++] = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
    const char *p = r->pattern;
    if (strncmp(p, "/api/", 5) == 0)
        p += 4;
    char seg[256];
    while (*p && k + 1 < n) {
        p += *p == '/';
        size_t len = strcspn(p, "/");
        if (!len)
            break;
        char part[200];
        if (p[0] == '{') {
            const char *s = p + 1;
            if (strncmp(s, "...", 3) == 0)
                s += 3;
            size_t pl = (size_t)(p + len - 1 - s);
            snprintf(part, sizeof part, "by_%.*s", (int)pl, s);
        } else
            snprintf(part, sizeof part, "%.*s", (int)len, p);
        oapi_pascal(part, seg, sizeof seg);
        for (const char *q = seg; *q && k + 1 < n; q++)
            out[k++] = *q;
        p += len;
    }
    out[k] = 0;
}

/* The path parameters of a pattern without an endpoint schema. */
static void put_pattern_params(walk *k, const char *pattern)
{
    for (const char *p = strchr(pattern, '{'); p; p = strchr(p + 1, '{')) {
        const char *s = p + 1;
        bool rest = strncmp(s, "...", 3) == 0;
        if (rest)
            s += 3;
        const char *e = strchr(s, '}');
        if (!e)
            break;
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)(e - s), s);
        put_param(k, "path", name, true, rest ? "The rest of the path." : NULL,
                  "{\"type\":\"string\"}");
    }
}

static bool has_file(const kiln_model *m)
{
    for (uint32_t i = 0; i < m->nfields; i++)
        if (m->fields[i].type == KILN_FT_FILE ||
            (m->fields[i].type == KILN_FT_LIST &&
             m->fields[i].item_type == KILN_FT_FILE))
            return true;
    return false;
}

/* The parameters of an endpoint schema's path or query part. */
static void put_part_params(walk *k, const kiln_model *m, const char *in)
{
    ow *w = &k->w;
    for (uint32_t i = 0; m && i < m->nfields; i++) {
        const kiln_field *f = &m->fields[i];
        ow_open(w, '{');
        kv_str(w, "name", f->name);
        kv_str(w, "in", in);
        if (*in == 'p' || field_required_in(f))
            kv_raw(w, "required", "true");
        if (f->help && *f->help)
            kv_str(w, "description", f->help);
        ow_key(w, "schema");
        kiln_field v = *f;
        v.help = NULL;
        field_schema(k, m, &v, V_IN, false);
        if (f->type == KILN_FT_LIST)
            kv_raw(w, "explode", "true");
        ow_close(w, '}');
    }
}

static void route_op(walk *k, const op *o)
{
    ow *w = &k->w;
    const oapi_route *r = o->r;
    const kiln_endpoint *ep = r->endpoint;
    char id[300], sum[400];
    route_op_id(r, id, sizeof id);
    kv_str(w, "operationId", id);
    if (ep && ep->summary)
        snprintf(sum, sizeof sum, "%s", ep->summary);
    else
        snprintf(sum, sizeof sum, "%s %s", r->method, r->pattern);
    kv_str(w, "summary", sum);
    if (ep && ep->description)
        kv_str(w, "description", ep->description);
    else if (!ep) {
        char d[400];
        snprintf(d, sizeof d,
                 "Handled by %s, which declares no endpoint schema: it takes "
                 "and answers any JSON.",
                 r->file);
        kv_str(w, "description", d);
    }
    const char *tag = route_tag(k, r->pattern);
    ow_key(w, "tags");
    ow_open(w, '[');
    ow_str(w, tag);
    ow_close(w, ']');
    bool any_params = strchr(r->pattern, '{') || (ep && ep->query);
    if (any_params) {
        ow_key(w, "parameters");
        ow_open(w, '[');
        if (ep && ep->path)
            put_part_params(k, ep->path, "path");
        else
            put_pattern_params(k, r->pattern);
        if (ep && ep->query)
            put_part_params(k, ep->query, "query");
        ow_close(w, ']');
    }
    bool body = ep ? ep->body != NULL
                   : strcmp(r->method, "POST") == 0 ||
                         strcmp(r->method, "PUT") == 0 ||
                         strcmp(r->method, "PATCH") == 0;
    if (body) {
        ow_key(w, "requestBody");
        ow_open(w, '{');
        if (ep) {
            kv_raw(w, "required", "true");
            /* a body that is a model's own fields or a part of them */
            const kiln_model *bm = ep->body;
            const char *n = NULL;
            if (bm->flags & KILN_MF_ENDPOINT && bm->table) {
                /* a part of a model's fields: named after the endpoint */
                {
                    char nm[200];
                    snprintf(nm, sizeof nm, "%s_body", ep->name);
                    kiln_model *alias = kiln_arena_alloc(&k->a, sizeof *alias);
                    if (!alias) {
                        k->err = KILN_ENOMEM;
                        ow_close(w, '}');
                        return;
                    }
                    *alias = *bm;
                    alias->name = kiln_arena_strndup(&k->a, nm, strlen(nm));
                    alias->table = NULL; /* named as an endpoint part */
                    n = alias->name ? comp_name(k, alias, V_IN, NULL) : NULL;
                }
            } else
                n = comp_name(k, bm, V_IN, NULL);
            put_content(
                k, has_file(bm) ? "multipart/form-data" : "application/json", n,
                false);
        } else {
            kv_str(w, "description", "Any JSON.");
            put_content(k, "application/json", NULL, false);
        }
        ow_close(w, '}');
    }
    ow_key(w, "responses");
    ow_open(w, '{');
    bool ok = false, has[600] = {0};
    for (uint32_t i = 0; ep && i < ep->nresponses; i++) {
        const kiln_response *rs = &ep->responses[i];
        if (rs->status < 100 || rs->status > 599 || has[rs->status])
            continue;
        has[rs->status] = true;
        ok |= rs->status < 400;
        char st[8];
        snprintf(st, sizeof st, "%d", rs->status);
        ow_key(w, st);
        ow_open(w, '{');
        kv_str(w, "description",
               rs->description    ? rs->description
               : rs->status < 300 ? "Success."
                                  : "An error.");
        if (rs->model) {
            const char *n = comp_name(k, rs->model, V_OUT, NULL);
            put_content(k,
                        rs->status >= 400 ? "application/problem+json"
                                          : "application/json",
                        n, rs->list);
        }
        ow_close(w, '}');
    }
    if (!ok) {
        ow_key(w, "200");
        ow_open(w, '{');
        kv_str(w, "description", ep ? "Success." : "Any JSON.");
        if (!ep)
            put_content(k, "application/json", NULL, false);
        ow_close(w, '}');
    }
    if (!ep) { /* whatever the handler answers with kiln_problem */
        ow_key(w, "4XX");
        ow_open(w, '{');
        kv_str(w, "description", "An error.");
        put_content(k, "application/problem+json", "Problem", false);
        ow_close(w, '}');
    }
    if (ep) {
        if (ep->body && !has[400])
            put_response_ref(k, 400);
        if (ep->path && !has[404])
            put_response_ref(k, 404);
        if (ep->body && !has[415])
            put_response_ref(k, 415);
        if ((ep->body || ep->query) && !has[422])
            put_response_ref(k, 422);
    }
    ow_close(w, '}');
}

/* ---- the document -------------------------------------------------------- */

static int add_op(walk *k, op **ops, size_t *n, size_t *cap, op o)
{
    if (!o.path)
        return KILN_ENOMEM;
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 64;
        op *v = realloc(*ops, c * sizeof *v);
        if (!v)
            return k->err = KILN_ENOMEM;
        *ops = v;
        *cap = c;
    }
    (*ops)[(*n)++] = o;
    return 0;
}

static const struct {
    uint32_t bit;
    int kind;
    const char *method;
    bool item;
} crud[] = {
    {KILN_API_LIST, OP_LIST, "GET", false},
    {KILN_API_CREATE, OP_CREATE, "POST", false},
    {KILN_API_RETRIEVE, OP_GET, "GET", true},
    {KILN_API_UPDATE, OP_UPDATE, "PUT", true},
    {KILN_API_PATCH, OP_PATCH, "PATCH", true},
    {KILN_API_DELETE, OP_DELETE, "DELETE", true},
};

bool oapi_has_operations(const oapi_doc *d)
{
    for (size_t i = 0; i < d->nmodels; i++)
        if (d->models[i]->api && d->models[i]->api->ops)
            return true;
    for (size_t i = 0; i < d->nroutes; i++)
        if (route_documented(&d->routes[i]))
            return true;
    return false;
}

/* Collects every operation: the routes, then the CRUD no route replaces. */
static int collect(walk *k, op **ops, size_t *n, size_t *cap)
{
    const oapi_doc *d = k->d;
    for (size_t i = 0; i < d->nroutes; i++) {
        const oapi_route *r = &d->routes[i];
        if (!route_documented(r))
            continue;
        if (add_op(k, ops, n, cap,
                   (op){oa_path(k, r->pattern), r->method, OP_ROUTE, NULL, r}))
            return KILN_ENOMEM;
    }
    size_t nroutes = *n;
    for (size_t i = 0; i < d->nmodels; i++) {
        const kiln_model *m = d->models[i];
        if (!m->api || !m->api->path)
            continue;
        for (size_t c = 0; c < sizeof crud / sizeof *crud; c++) {
            if (!(m->api->ops & crud[c].bit))
                continue;
            const char *path = kiln_arena_printf(
                &k->a, "/api/%s%s", m->api->path, crud[c].item ? "/{id}" : "");
            if (!path)
                return k->err = KILN_ENOMEM;
            bool taken = false;
            for (size_t j = 0; j < nroutes && !taken; j++)
                taken = strcmp((*ops)[j].method, crud[c].method) == 0 &&
                        strcmp((*ops)[j].path, path) == 0;
            if (!taken &&
                add_op(k, ops, n, cap,
                       (op){path, crud[c].method, crud[c].kind, m, NULL}))
                return KILN_ENOMEM;
        }
    }
    return 0;
}

int oapi_write(const oapi_doc *d, kiln_buf *out)
{
    walk k = {.d = d};
    kiln_arena_init(&k.a, 0);
    kiln_buf b;
    kiln_buf_init(&b);
    k.w.b = &b;
    ow *w = &k.w;
    op *ops = NULL;
    size_t nops = 0, cap = 0;
    if (collect(&k, &ops, &nops, &cap) != 0)
        goto out;
    if (nops)
        qsort(ops, nops, sizeof *ops, cmp_op);

    ow_open(w, '{');
    kv_str(w, "openapi", "3.1.0");
    ow_key(w, "info");
    ow_open(w, '{');
    kv_str(w, "title", d->title ? d->title : "app");
    kv_str(w, "version", d->version ? d->version : "1.0.0");
    ow_key(w, "license");
    ow_open(w, '{');
    kv_str(w, "name", "Proprietary");
    kv_str(w, "identifier", "LicenseRef-Proprietary");
    ow_close(w, '}');
    ow_close(w, '}');
    ow_key(w, "servers");
    ow_raw(w, "[{\"url\":\"/\",\"description\":\"this server\"}]");
    ow_key(w, "security");
    ow_raw(w, "[]");

    ow_key(w, "paths");
    ow_open(w, '{');
    for (size_t i = 0; i < nops; i++) {
        if (i == 0 || strcmp(ops[i].path, ops[i - 1].path) != 0) {
            if (i)
                ow_close(w, '}');
            ow_key(w, ops[i].path);
            ow_open(w, '{');
        }
        char lower[8];
        size_t j = 0;
        for (; ops[i].method[j] && j < 7; j++)
            lower[j] = (char)(ops[i].method[j] - 'A' + 'a');
        lower[j] = 0;
        ow_key(w, lower);
        ow_open(w, '{');
        if (ops[i].kind == OP_ROUTE) {
            route_op(&k, &ops[i]);
            add_tag(&k, route_tag(&k, ops[i].r->pattern), NULL);
        } else {
            crud_op(&k, &ops[i]);
            add_tag(&k, model_tag(ops[i].m), ops[i].m->help);
        }
        ow_close(w, '}');
    }
    if (nops)
        ow_close(w, '}');
    ow_close(w, '}');

    ow_key(w, "tags");
    ow_open(w, '[');
    for (size_t i = 0; i < k.ntags; i++) {
        ow_open(w, '{');
        kv_str(w, "name", k.tags[i]);
        char dd[256];
        if (!k.tagdesc[i])
            snprintf(dd, sizeof dd, "The handlers of api/%s.", k.tags[i]);
        kv_str(w, "description", k.tagdesc[i] ? k.tagdesc[i] : dd);
        ow_close(w, '}');
    }
    ow_close(w, ']');

    ow_key(w, "components");
    ow_open(w, '{');
    ow_key(w, "schemas");
    ow_open(w, '{');
    for (size_t i = 0; i < k.ncomps; i++) { /* writing may add more */
        comp c = k.comps[i];
        write_comp(&k, &c);
    }
    kv_raw(w, "Problem", problem_schema);
    kv_raw(w, "ValidationProblem", vproblem_schema);
    ow_close(w, '}');
    ow_key(w, "responses");
    ow_open(w, '{');
    for (size_t i = 0; i < sizeof std_responses / sizeof *std_responses; i++) {
        ow_key(w, std_responses[i].name);
        ow_open(w, '{');
        kv_str(w, "description", std_responses[i].desc);
        put_content(&k, "application/problem+json", std_responses[i].schema,
                    false);
        ow_close(w, '}');
    }
    ow_close(w, '}');
    ow_close(w, '}');
    ow_close(w, '}');
out:;
    int rc = k.err ? k.err : w->err ? KILN_ENOMEM : 0;
    if (rc == 0)
        rc = indent(b.p, b.n, out);
    free(ops);
    free(k.comps);
    free(k.tags);
    free(k.tagdesc);
    kiln_buf_deinit(&b);
    kiln_arena_deinit(&k.a);
    return rc;
}
