/*
 * openapi/ts.c - the TypeScript client (ts.h): types.ts from the schemas
 * the operations name (registered as they are met, written in that
 * order), then a file per model with [api] (a line per call and hook),
 * the endpoint functions, and the fixed client and query.ts, which hold
 * the generic makers the models' files use.
 *
 * Memory: names live in one arena freed before ts_write returns; each
 * file's text is its own buffer, owned by the caller's ts_files.
 */
#include "openapi/ts.h"
#include "openapi/ts_fixed.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- output -------------------------------------------------------------- */

/* Set by any append that ran out of memory during ts_write (which clears
   and reads it): the writers below then need no error plumbing. */
static _Thread_local int ts_err;

static void bputs(kiln_buf *b, const char *s)
{
    ts_err |= kiln_buf_puts(b, s);
}

static void bputc(kiln_buf *b, char ch)
{
    ts_err |= kiln_buf_putc(b, ch);
}

static void bappend(kiln_buf *b, const void *p, size_t n)
{
    ts_err |= kiln_buf_append(b, p, n);
}

static void bjstr(kiln_buf *b, const char *s, size_t n)
{
    ts_err |= kiln_json_put_str(b, s, n);
}

KILN_PRINTF(2, 3) static void bprintf(kiln_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ts_err |= kiln_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

/* ---- files --------------------------------------------------------------- */

static kiln_buf *new_file(ts_files *fs, const char *name, int *err)
{
    ts_file *v = realloc(fs->v, (fs->n + 1) * sizeof *v);
    if (!v) {
        *err = KILN_ENOMEM;
        return NULL;
    }
    fs->v = v;
    ts_file *f = &fs->v[fs->n++];
    snprintf(f->name, sizeof f->name, "%s", name);
    kiln_buf_init(&f->text);
    return &f->text;
}

void ts_files_free(ts_files *f)
{
    for (size_t i = 0; i < f->n; i++)
        kiln_buf_deinit(&f->v[i].text);
    free(f->v);
    f->v = NULL;
    f->n = 0;
}

/* ---- names --------------------------------------------------------------- */

enum variant { T_OUT, T_IN, T_PATCH, T_PAGE, T_PARAMS, T_ENUM };

typedef struct tname {
    const kiln_model *m;
    int v;
    const char *name;
    const kiln_field *f; /* T_ENUM */
    bool written;        /* already in types.ts */
} tname;

typedef struct tw {
    const oapi_doc *d;
    kiln_arena a;
    tname *names;
    size_t nnames, cap;
    int err;
} tw;

static bool same_values(const kiln_field *a, const kiln_field *b)
{
    if (a->nvalues != b->nvalues)
        return false;
    for (uint32_t i = 0; i < a->nvalues; i++)
        if (strcmp(a->values[i], b->values[i]) != 0)
            return false;
    return true;
}

/* The TypeScript name of m's type of variant v (f: an enum field),
   registered to be written into types.ts. "" when out of memory. */
static const char *type_name(tw *k, const kiln_model *m, int v,
                             const kiln_field *f)
{
    if (!oapi_is_table(m) && v != T_ENUM)
        v = T_IN; /* an endpoint's object is one type both ways */
    for (size_t i = 0; i < k->nnames; i++)
        if (k->names[i].m == m && k->names[i].v == v && v != T_ENUM)
            return k->names[i].name;
    char base[128], fld[96], want[256], name[272];
    oapi_pascal(m->name, base, sizeof base);
    static const char *const suffix[] = {"",     "Input",      "Patch",
                                         "Page", "ListParams", ""};
    if (v == T_ENUM) {
        oapi_pascal(f->name, fld, sizeof fld);
        snprintf(want, sizeof want, "%s%s", base, fld);
        /* the same enum seen through a part of its model */
        for (size_t i = 0; i < k->nnames; i++)
            if (k->names[i].v == T_ENUM &&
                strcmp(k->names[i].name, want) == 0 &&
                same_values(k->names[i].f, f))
                return k->names[i].name;
    } else
        snprintf(want, sizeof want, "%s%s", base,
                 oapi_is_table(m) ? suffix[v] : "");
    snprintf(name, sizeof name, "%s", want);
    for (int n = 2;; n++) { /* a name taken by another type gets a number */
        bool taken = false;
        for (size_t i = 0; i < k->nnames && !taken; i++)
            taken = strcmp(k->names[i].name, name) == 0;
        if (!taken)
            break;
        snprintf(name, sizeof name, "%s%d", want, n);
    }
    if (k->nnames == k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 32;
        tname *t = realloc(k->names, cap * sizeof *t);
        if (!t) {
            k->err = KILN_ENOMEM;
            return "";
        }
        k->names = t;
        k->cap = cap;
    }
    const char *s = kiln_arena_strndup(&k->a, name, strlen(name));
    if (!s) {
        k->err = KILN_ENOMEM;
        return "";
    }
    k->names[k->nnames++] = (tname){m, v, s, f, false};
    return s;
}

/* "Task" -> "task": the first letter lower case. */
static void camel(const char *pascal, char *out, size_t n)
{
    snprintf(out, n, "%s", pascal);
    if (out[0] >= 'A' && out[0] <= 'Z')
        out[0] = (char)(out[0] - 'A' + 'a');
}

static bool in_list(const char *const *l, uint32_t n, const char *name)
{
    for (uint32_t i = 0; i < n; i++)
        if (strcmp(l[i], name) == 0)
            return true;
    return false;
}

/* ---- types.ts ------------------------------------------------------------ */

/* Appends s for inside a doc comment: one line, no end of comment. */
static void put_doc_text(kiln_buf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '*' && s[1] == '/')
            bputs(b, "* ");
        else if (*s == '\n' || *s == '\r')
            bputc(b, ' ');
        else
            bputc(b, *s);
    }
}

/* What a value of type t looks like when TypeScript only says string. */
static const char *format_note(int t)
{
    switch (t) {
    case KILN_FT_DECIMAL:
        return "a decimal as text, \"12.50\"";
    case KILN_FT_DATE:
        return "a date, YYYY-MM-DD";
    case KILN_FT_DATETIME:
        return "an RFC 3339 date-time, \"2026-03-05T14:07:00.000Z\"";
    case KILN_FT_TIME:
        return "a time of day, HH:MM[:SS[.fff]]";
    case KILN_FT_UUID:
        return "a UUID";
    case KILN_FT_EMAIL:
        return "an email address";
    case KILN_FT_URL:
        return "a URL";
    default:
        return NULL;
    }
}

/* The doc comment line of field f, if it has help or a format. */
static void put_field_doc(kiln_buf *b, const kiln_field *f)
{
    const char *note =
        format_note(f->type == KILN_FT_LIST ? f->item_type : f->type);
    bool help = f->help && *f->help;
    if (!help && !note)
        return;
    bputs(b, "  /** ");
    if (help)
        put_doc_text(b, f->help);
    if (help && note)
        bputs(b, " (");
    if (note)
        bputs(b, note);
    if (help && note)
        bputc(b, ')');
    bputs(b, " */\n");
}

/* The TypeScript type of a value of type t of field f (not null). */
static void put_value_type(tw *k, kiln_buf *b, const kiln_model *m,
                           const kiln_field *f, int t, int v)
{
    switch (t) {
    case KILN_FT_INT:
    case KILN_FT_FLOAT:
        bputs(b, "number");
        return;
    case KILN_FT_BOOL:
        bputs(b, "boolean");
        return;
    case KILN_FT_ENUM:
        bputs(b, type_name(k, m, T_ENUM, f));
        return;
    case KILN_FT_JSON:
        bputs(b, "unknown");
        return;
    case KILN_FT_REF:
        bputs(b, "number");
        /* ?expand= puts the referred row in place of its id */
        if (v == T_OUT && m->api && f->ref &&
            in_list(m->api->expand, m->api->nexpand, f->name))
            bprintf(b, " | %s", type_name(k, f->ref, T_OUT, NULL));
        return;
    case KILN_FT_MANY:
        bputs(b, "number[]");
        return;
    case KILN_FT_OBJECT:
        if (f->ref)
            bputs(b, type_name(k, f->ref, v, NULL));
        else
            bputs(b, "Record<string, unknown>");
        return;
    case KILN_FT_LIST:
        if (f->item_type == KILN_FT_LIST || f->item_type == KILN_FT_REF ||
            f->item_type == KILN_FT_MANY) {
            bputs(b, "number[]"); /* ids; no nested lists */
            return;
        }
        put_value_type(k, b, m, f, f->item_type, v);
        bputs(b, "[]");
        return;
    case KILN_FT_FILE:
        bputs(b, "Blob");
        return;
    default: /* decimal, the text types, dates, times, UUIDs */
        bputs(b, "string");
    }
}

static void put_field_type(tw *k, kiln_buf *b, const kiln_model *m,
                           const kiln_field *f, int v)
{
    put_value_type(k, b, m, f, f->type, v);
    if (f->flags & KILN_FF_OPTIONAL)
        bputs(b, " | null");
}

static const char *label_of(const kiln_model *m)
{
    return m->label && *m->label ? m->label : m->name;
}

static const char *plural_of(const kiln_model *m)
{
    return m->label_plural && *m->label_plural ? m->label_plural : m->name;
}

static void put_enum(kiln_buf *b, const tname *t);

bool ts_vowel_sound(const char *w)
{
    char c0 = (char)tolower((unsigned char)w[0]);
    char c1 = c0 ? (char)tolower((unsigned char)w[1]) : 0;
    char c2 = c1 ? (char)tolower((unsigned char)w[2]) : 0;
    if (c0 == 'h')
        return strncasecmp(w, "hour", 4) == 0 ||
               strncasecmp(w, "honest", 6) == 0 ||
               strncasecmp(w, "honor", 5) == 0;
    if (!c0 || !strchr("aeiou", c0))
        return false;
    if (c0 == 'u' && c1 && !strchr("aeiou", c1) && c2 && strchr("aeiou", c2))
        return false;
    if ((c0 == 'e' && c1 == 'u') || (c0 == 'o' && c1 == 'n' && c2 == 'e'))
        return false;
    return true;
}

/* "a task", "an owner", "a user": m's label with its article. */
static void with_article(const kiln_model *m, char *out, size_t n)
{
    const char *l = label_of(m);
    snprintf(out, n, "%s %s", ts_vowel_sound(l) ? "an" : "a", l);
}

/* Writes the enums of m's fields not yet written, before the type that
   uses them. */
static void put_enums_of(tw *k, kiln_buf *b, const kiln_model *m)
{
    for (uint32_t i = 0; i < m->nfields; i++) {
        const kiln_field *f = &m->fields[i];
        if (f->type != KILN_FT_ENUM &&
            !(f->type == KILN_FT_LIST && f->item_type == KILN_FT_ENUM))
            continue;
        const char *name = type_name(k, m, T_ENUM, f);
        for (size_t j = 0; j < k->nnames; j++) {
            tname *t = &k->names[j];
            if (t->v == T_ENUM && t->name == name && !t->written) {
                t->written = true;
                put_enum(b, t);
                bputc(b, '\n');
            }
        }
    }
}

static void put_object(tw *k, kiln_buf *b, const tname *t)
{
    const kiln_model *m = t->m;
    int v = t->v;
    put_enums_of(k, b, m);
    char an[160];
    with_article(m, an, sizeof an);
    bool multi = oapi_is_table(m) && v != T_OUT;
    bputs(b, multi ? "/**" : "/** ");
    size_t nl = strlen(m->name);
    if (!oapi_is_table(m) && m->help && *m->help)
        put_doc_text(b, m->help);
    else if (!oapi_is_table(m)) {
        static const char *const parts[][2] = {{"_path", "The path parameters"},
                                               {"_query", "The query"},
                                               {"_body", "The body"}};
        const char *what = NULL;
        size_t pl = 0;
        for (size_t i = 0; i < 3 && !what; i++) {
            pl = strlen(parts[i][0]);
            if (nl > pl && strcmp(m->name + nl - pl, parts[i][0]) == 0)
                what = parts[i][1];
        }
        if (what)
            bprintf(b, "%s of the endpoint %.*s.", what, (int)(nl - pl),
                    m->name);
        else
            bprintf(b, "An object of an endpoint (%s).", m->name);
    } else if (v == T_OUT)
        bprintf(b, "%c%s, as the API answers it.", an[0] - 'a' + 'A', an + 1);
    else if (v == T_IN)
        bprintf(b,
                "\n * A new %s, or its full replacement (PUT). The keys "
                "marked ? have\n * defaults or may be null.\n",
                label_of(m));
    else
        bprintf(b,
                "\n * A partial update of %s (JSON Merge Patch): only "
                "the keys given\n * change; null clears an optional "
                "field.\n",
                an);
    if (oapi_is_table(m) && v == T_OUT && m->help && *m->help) {
        bputs(b, " ");
        put_doc_text(b, m->help);
    }
    bprintf(b, " */\nexport interface %s {\n", t->name);
    int fv = v == T_PATCH ? T_IN : v;
    for (uint32_t i = 0; i < m->nfields; i++) {
        const kiln_field *f = &m->fields[i];
        if (!oapi_field_in(f, fv == T_OUT))
            continue;
        put_field_doc(b, f);
        bool opt = v == T_PATCH || (v == T_IN && !oapi_field_required(f));
        bprintf(b, "  %s%s: ", f->name, opt ? "?" : "");
        put_field_type(k, b, m, f, fv);
        bputs(b, ";\n");
    }
    bputs(b, "}\n");
}

static void put_enum(kiln_buf *b, const tname *t)
{
    const kiln_field *f = t->f;
    if (f->help && *f->help) {
        bputs(b, "/** ");
        put_doc_text(b, f->help);
        bputs(b, " */\n");
    }
    bprintf(b, "export type %s =", t->name);
    for (uint32_t i = 0; i < f->nvalues; i++) {
        bputs(b, f->nvalues > 3 ? "\n  | " : i ? " | " : " ");
        bjstr(b, f->values[i], strlen(f->values[i]));
    }
    char c[160];
    camel(t->name, c, sizeof c);
    bprintf(b,
            ";\n\n/** Every %s, in the model's order (for a "
            "<select>). */\nexport const %sValues: readonly %s[] = [",
            t->name, c, t->name);
    size_t len = strlen("export const Values: readonly [] = [];") + strlen(c) +
                 strlen(t->name);
    for (uint32_t i = 0; i < f->nvalues; i++)
        len += strlen(f->values[i]) + 4;
    bool wrap = len > 80; /* one per line, as a formatter would */
    for (uint32_t i = 0; i < f->nvalues; i++) {
        bputs(b, wrap ? "\n  " : i ? ", " : "");
        bjstr(b, f->values[i], strlen(f->values[i]));
        if (wrap)
            bputc(b, ',');
    }
    bputs(b, wrap ? "\n];\n" : "];\n");
}

static void put_page(tw *k, kiln_buf *b, const tname *t)
{
    bprintf(b,
            "/**\n * A page of %s. next is the cursor of the "
            "following page (null at the\n * end, and always in "
            "offset mode); count, the number of matching rows, is\n"
            " * there in offset mode only.\n */\n"
            "export interface %s {\n  items: %s[];\n"
            "  next: string | null;\n  count?: number;\n}\n",
            plural_of(t->m), t->name, type_name(k, t->m, T_OUT, NULL));
}

/* The type of a filter's value on field f. */
static void put_filter_type(tw *k, kiln_buf *b, const kiln_model *m,
                            const kiln_field *f)
{
    int t = f->type == KILN_FT_MANY ? KILN_FT_REF : f->type;
    if (t == KILN_FT_REF)
        bputs(b, "number");
    else
        put_value_type(k, b, m, f, t, T_IN);
}

static void put_params(tw *k, kiln_buf *b, const tname *t)
{
    const kiln_model *m = t->m;
    const kiln_model_api *api = m->api;
    char base[128];
    oapi_pascal(m->name, base, sizeof base);
    uint32_t max = api->max_page_size ? api->max_page_size : 100;
    uint32_t def = api->page_size ? api->page_size : 20;
    bprintf(b,
            "/** A key a list of %s may be sorted on, '-' first for "
            "descending. */\nexport type %sOrdering =",
            plural_of(m), base);
    for (uint32_t i = 0; i <= api->nordering; i++) {
        const char *f = i < api->nordering ? api->ordering[i] : "id";
        if (i < api->nordering && strcmp(f, "id") == 0)
            continue;
        bprintf(b, "\n  | \"%s\"\n  | \"-%s\"", f, f);
    }
    bputs(b, ";\n\n");
    if (api->nexpand) {
        bprintf(b,
                "/** A field ?expand= may embed: the referred row "
                "replaces its id. */\nexport type %sExpand =",
                base);
        for (uint32_t i = 0; i < api->nexpand; i++)
            bprintf(b, "%s\"%s\"", i ? " | " : " ", api->expand[i]);
        bputs(b, ";\n\n");
    }
    bprintf(b,
            "/**\n * The query of a list of %s: every key is optional; a "
            "list is sent\n * comma-separated.\n */\n"
            "export interface %s {\n"
            "  /** Rows on a page: 1 to %u (default %u). */\n"
            "  limit?: number;\n"
            "  /** The next of the previous page. */\n"
            "  cursor?: string;\n"
            "  /** Rows to skip: offset mode (the page then has "
            "count). */\n"
            "  offset?: number;\n"
            "  /** Sort keys, the first first (id always breaks "
            "ties). */\n"
            "  ordering?: %sOrdering | readonly %sOrdering[];\n",
            plural_of(m), t->name, max, def, base, base);
    if (api->nsearch) {
        bputs(b, "  /** Text looked for, ignoring case, in ");
        for (uint32_t i = 0; i < api->nsearch; i++)
            bprintf(b, "%s%s",
                    i == 0                  ? ""
                    : i + 1 == api->nsearch ? " or "
                                            : ", ",
                    api->search[i]);
        bputs(b, ". */\n  search?: string;\n");
    }
    if (api->nexpand)
        bprintf(b,
                "  /** Referred rows to embed in place of their id. */\n"
                "  expand?: %sExpand | readonly %sExpand[];\n",
                base, base);
    for (uint32_t i = 0; i < api->nfilters; i++) {
        int fi = kiln_model_field(m, kiln_str_c(api->filters[i]));
        if (fi < 0)
            continue;
        const kiln_field *f = &m->fields[fi];
        static const char *const cmp[] = {"",      "__ne", "__lt",
                                          "__lte", "__gt", "__gte"};
        for (size_t c = 0; c < 6; c++) {
            if (c > 1 && !oapi_type_ordered(f->type))
                break;
            bprintf(b, "  %s%s?: ", f->name, cmp[c]);
            put_filter_type(k, b, m, f);
            bputs(b, ";\n");
        }
        bprintf(b, "  %s__in?: readonly ", f->name);
        put_filter_type(k, b, m, f);
        bputs(b, "[];\n");
        if (oapi_type_text(f->type))
            bprintf(b,
                    "  %s__contains?: string;\n"
                    "  %s__icontains?: string;\n",
                    f->name, f->name);
        if (f->flags & KILN_FF_OPTIONAL)
            bprintf(b, "  %s__isnull?: boolean;\n", f->name);
    }
    bputs(b, "}\n");
}

static const char header[] =
    "/*\n * Written by `kiln types` from the project's models/ and api/: "
    "edit those,\n * not this file (`kiln dev` and `kiln types` rewrite it).\n"
    " */\n";

/* ---- a model's file ------------------------------------------------------ */

typedef struct crud_names {
    char sing[128], plural[128], keys[160], base[160];
    char a[160]; /* "a task" */
    const char *out, *in, *patch, *page, *params;
    const char *create; /* the create's body: in, or the user's own */
    uint32_t ops;
} crud_names;

static bool route_documented(const oapi_route *r)
{
    return !r->page && strcmp(r->method, "WS") != 0 &&
           strcmp(r->method, "HEAD") != 0 && strcmp(r->method, "OPTIONS") != 0;
}

/* The operations of m no hand-written route replaces. */
static uint32_t crud_ops(const oapi_doc *d, const kiln_model *m)
{
    static const struct {
        uint32_t bit;
        const char *method;
        bool item;
    } ops[] = {
        {KILN_API_LIST, "GET", false},    {KILN_API_CREATE, "POST", false},
        {KILN_API_RETRIEVE, "GET", true}, {KILN_API_UPDATE, "PUT", true},
        {KILN_API_PATCH, "PATCH", true},  {KILN_API_DELETE, "DELETE", true},
    };
    uint32_t bits = 0;
    for (size_t c = 0; c < sizeof ops / sizeof *ops; c++) {
        if (!(m->api->ops & ops[c].bit))
            continue;
        char path[512];
        snprintf(path, sizeof path, "/api/%s%s", m->api->path,
                 ops[c].item ? "/{id}" : "");
        bool taken = false;
        for (size_t i = 0; i < d->nroutes && !taken; i++)
            taken = route_documented(&d->routes[i]) &&
                    strcmp(d->routes[i].method, ops[c].method) == 0 &&
                    strcmp(d->routes[i].pattern, path) == 0;
        if (!taken)
            bits |= ops[c].bit;
    }
    return bits;
}

/* Writes `import [type ]{ ... } from "./FROM";` with names sorted, as an
   editor would, one per line when the one line would pass 80 columns (as a
   formatter would). */
static void put_import(kiln_buf *b, bool type, const char **names, size_t n,
                       const char *from)
{
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            const char *s = names[j];
            names[j] = names[j - 1];
            names[j - 1] = s;
        }
    size_t len = strlen("import type {  } from \"./\";") + strlen(from);
    for (size_t i = 0; i < n; i++)
        len += strlen(names[i]) + (i ? 2 : 0);
    bool wrap = len - (type ? 0 : 5) > 80;
    bprintf(b, "import %s{", type ? "type " : "");
    for (size_t i = 0; i < n; i++)
        bprintf(b, "%s%s%s",
                wrap ? "\n  "
                : i  ? ", "
                     : " ",
                names[i], wrap ? "," : "");
    bprintf(b, "%s} from \"./%s\";\n", wrap ? "\n" : " ", from);
}

/* Writes a one-line doc comment and `export const NAME = VALUE;`, VALUE on
   a line of its own when the one line would pass 80 columns. */
KILN_PRINTF(4, 5)
static void put_const(kiln_buf *b, const char *doc, const char *name,
                      const char *fmt, ...)
{
    char value[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(value, sizeof value, fmt, ap);
    va_end(ap);
    bool wrap = strlen("export const  = ;") + strlen(name) + strlen(value) > 80;
    bprintf(b, "/** %s */\nexport const %s =%s%s;\n", doc, name,
            wrap ? "\n  " : " ", value);
}

/* A model's file: its query keys, its calls and its hooks, each one line
   made by the generic makers of client.ts and query.ts. */
static void put_model_file(kiln_buf *b, const kiln_model *m,
                           const crud_names *n)
{
    const char *path = m->api->path;
    const char *rows = plural_of(m);
    uint32_t ops = n->ops;
    bputs(b, header);
    bprintf(b, "\n/* %s: the API of %s (/api/%s). */\n", rows,
            m->file ? m->file : m->name, path);

    /* the imports name what is used, nothing else */
    static const struct {
        uint32_t bit;
        const char *call, *hook, *hook2;
    } makers[] = {
        {KILN_API_LIST, "listCall", "listQuery", "infiniteListQuery"},
        {KILN_API_RETRIEVE, "getCall", "rowQuery", NULL},
        {KILN_API_CREATE, "createCall", "createMutation", NULL},
        {KILN_API_UPDATE, "updateCall", "updateMutation", NULL},
        {KILN_API_PATCH, "patchCall", "updateMutation", NULL},
        {KILN_API_DELETE, "deleteCall", "deleteMutation", NULL},
    };
    const char *calls[6], *hooks[8] = {"queryKeys"};
    size_t nc = 0, nh = 1;
    for (size_t i = 0; i < sizeof makers / sizeof *makers; i++) {
        if (!(ops & makers[i].bit))
            continue;
        calls[nc++] = makers[i].call;
        if (!in_list(hooks, (uint32_t)nh, makers[i].hook))
            hooks[nh++] = makers[i].hook;
        if (makers[i].hook2)
            hooks[nh++] = makers[i].hook2;
    }
    const char *types[6];
    size_t nt = 0;
    if (ops & ~(uint32_t)(KILN_API_LIST | KILN_API_DELETE))
        types[nt++] = n->out; /* the list's is in its page */
    if (ops & KILN_API_UPDATE)
        types[nt++] = n->in;
    if ((ops & KILN_API_CREATE) &&
        (!(ops & KILN_API_UPDATE) || strcmp(n->create, n->in) != 0))
        types[nt++] = n->create;
    types[nt++] = n->params; /* the keys' */
    if (ops & KILN_API_LIST)
        types[nt++] = n->page;
    if (ops & KILN_API_PATCH)
        types[nt++] = n->patch;
    put_import(b, false, calls, nc, "client");
    put_import(b, false, hooks, nh, "query");
    put_import(b, true, types, nt, "types");

    bprintf(b,
            "\n/** The query keys of %s (QueryKeys, query.ts). */\n"
            "export const %s = queryKeys<%s>(\"%s\");\n",
            rows, n->keys, n->params, path);

    /* the calls */
    char doc[512], name[200];
    bputc(b, '\n');
    if (ops & KILN_API_LIST) {
        snprintf(doc, sizeof doc, "GET /api/%s: a page of %s.", path, rows);
        snprintf(name, sizeof name, "list%s", n->plural);
        put_const(b, doc, name, "listCall<%s, %s>(\"/api/%s\")", n->params,
                  n->page, path);
    }
    if (ops & KILN_API_RETRIEVE) {
        snprintf(doc, sizeof doc, "GET /api/%s/{id}: %s.", path, n->a);
        snprintf(name, sizeof name, "get%s", n->sing);
        put_const(b, doc, name, "getCall<%s>(\"/api/%s\")", n->out, path);
    }
    if (ops & KILN_API_CREATE) {
        snprintf(doc, sizeof doc, "POST /api/%s: creates %s and answers it.",
                 path, n->a);
        snprintf(name, sizeof name, "create%s", n->sing);
        put_const(b, doc, name, "createCall<%s, %s>(\"/api/%s\")", n->create,
                  n->out, path);
    }
    /* PUT and PATCH: the same but for the body and what they say */
    static const struct {
        uint32_t bit;
        const char *method, *verb, *Verb, *call, *hook;
    } change[] = {
        {KILN_API_UPDATE, "PUT", "update", "Update", "replaces", "Replaces"},
        {KILN_API_PATCH, "PATCH", "patch", "Patch",
         "changes the fields given of", "Changes part of"},
    };
    for (size_t i = 0; i < 2; i++) {
        if (!(ops & change[i].bit))
            continue;
        snprintf(doc, sizeof doc, "%s /api/%s/{id}: %s %s.", change[i].method,
                 path, change[i].call, n->a);
        snprintf(name, sizeof name, "%s%s", change[i].verb, n->sing);
        put_const(b, doc, name, "%sCall<%s, %s>(\"/api/%s\")", change[i].verb,
                  change[i].bit == KILN_API_UPDATE ? n->in : n->patch, n->out,
                  path);
    }
    if (ops & KILN_API_DELETE) {
        snprintf(doc, sizeof doc, "DELETE /api/%s/{id}: deletes %s.", path,
                 n->a);
        snprintf(name, sizeof name, "delete%s", n->sing);
        put_const(b, doc, name, "deleteCall(\"/api/%s\")", path);
    }

    /* the hooks */
    bputc(b, '\n');
    if (ops & KILN_API_LIST) {
        snprintf(doc, sizeof doc, "A page of %s, cached under %s.list(params).",
                 rows, n->keys);
        snprintf(name, sizeof name, "useList%s", n->plural);
        put_const(b, doc, name, "listQuery(%s, list%s)", n->keys, n->plural);
        snprintf(doc, sizeof doc,
                 "Every page of %s, one cursor after the other.", rows);
        snprintf(name, sizeof name, "useList%sInfinite", n->plural);
        put_const(b, doc, name, "infiniteListQuery(%s, list%s)", n->keys,
                  n->plural);
    }
    if (ops & KILN_API_RETRIEVE) {
        snprintf(doc, sizeof doc, "Reads %s, cached under %s.detail(id).", n->a,
                 n->keys);
        snprintf(name, sizeof name, "useGet%s", n->sing);
        put_const(b, doc, name, "rowQuery(%s, get%s)", n->keys, n->sing);
    }
    if (ops & KILN_API_CREATE) {
        snprintf(doc, sizeof doc, "Creates %s; every list of %s is refetched.",
                 n->a, rows);
        snprintf(name, sizeof name, "useCreate%s", n->sing);
        put_const(b, doc, name, "createMutation(%s, create%s)", n->keys,
                  n->sing);
    }
    for (size_t i = 0; i < 2; i++) {
        if (!(ops & change[i].bit))
            continue;
        snprintf(doc, sizeof doc,
                 "%s %s; its detail and every list are refetched.",
                 change[i].hook, n->a);
        snprintf(name, sizeof name, "use%s%s", change[i].Verb, n->sing);
        put_const(b, doc, name, "updateMutation(%s, %s%s)", n->keys,
                  change[i].verb, n->sing);
    }
    if (ops & KILN_API_DELETE) {
        snprintf(doc, sizeof doc,
                 "Deletes %s; its detail is dropped and every list refetched.",
                 n->a);
        snprintf(name, sizeof name, "useDelete%s", n->sing);
        put_const(b, doc, name, "deleteMutation(%s, delete%s)", n->keys,
                  n->sing);
    }
}

/* ---- endpoints.ts -------------------------------------------------------- */

static bool has_file(const kiln_model *m)
{
    for (uint32_t i = 0; m && i < m->nfields; i++)
        if (m->fields[i].type == KILN_FT_FILE ||
            (m->fields[i].type == KILN_FT_LIST &&
             m->fields[i].item_type == KILN_FT_FILE))
            return true;
    return false;
}

/* The type name of an endpoint's body. */
static const char *body_name(tw *k, const kiln_endpoint *ep)
{
    const kiln_model *bm = ep->body;
    if (!(bm->flags & KILN_MF_ENDPOINT && bm->table))
        return type_name(k, bm, T_IN, NULL);
    /* a part of a model's fields: named after the endpoint */
    kiln_model *alias = kiln_arena_alloc(&k->a, sizeof *alias);
    char nm[200];
    snprintf(nm, sizeof nm, "%s_body", ep->name);
    if (alias)
        *alias = *bm;
    if (!alias || !(alias->name = kiln_arena_strndup(&k->a, nm, strlen(nm)))) {
        k->err = KILN_ENOMEM;
        return "";
    }
    alias->table = NULL;
    return type_name(k, alias, T_IN, NULL);
}

/* The function of route r: its input typed by the endpoint schema (path
   parameters without one are strings), its answer by the first 2xx
   response declared. */
static void put_route(tw *k, kiln_buf *b, const oapi_route *r)
{
    const kiln_endpoint *ep = r->endpoint;
    char id[300];
    oapi_route_op_id(r, id, sizeof id);
    bputs(b, "/** ");
    if (ep->summary) {
        put_doc_text(b, ep->summary);
        bputs(b, ": ");
    }
    bprintf(b, "%s %s (%s). */\n", r->method, r->pattern,
            ep->file ? ep->file : r->file);
    bool params = strchr(r->pattern, '{') != NULL;
    bprintf(b, "export function %s(\n", id);
    if (params || ep->query || ep->body) {
        bputs(b, "  input: {\n");
        if (params) {
            bputs(b, "    path: ");
            if (ep->path)
                bprintf(b, "T.%s", type_name(k, ep->path, T_IN, NULL));
            else {
                bputs(b, "{");
                for (const char *p = strchr(r->pattern, '{'); p;
                     p = strchr(p + 1, '{')) {
                    const char *s = p + 1 + 3 * (strncmp(p + 1, "...", 3) == 0);
                    bprintf(b, " %.*s: string;", (int)strcspn(s, "}"), s);
                }
                bputs(b, " }");
            }
            bputs(b, ";\n");
        }
        if (ep->query) {
            bool req = false;
            for (uint32_t i = 0; i < ep->query->nfields; i++)
                req |= oapi_field_required(&ep->query->fields[i]);
            bprintf(b, "    query%s: T.%s;\n", req ? "" : "?",
                    type_name(k, ep->query, T_IN, NULL));
        }
        if (ep->body)
            bprintf(b, "    body: T.%s;\n", body_name(k, ep));
        bputs(b, "  },\n");
    }
    const char *result = "unknown", *ns = "";
    bool list = false;
    for (uint32_t i = 0; i < ep->nresponses; i++) {
        const kiln_response *rs = &ep->responses[i];
        if (rs->status < 200 || rs->status > 299)
            continue;
        result = rs->model ? type_name(k, rs->model, T_OUT, NULL) : "void";
        ns = rs->model ? "T." : "";
        list = rs->model && rs->list;
        break;
    }
    bprintf(b, "  options?: CallOptions,\n): Promise<%s%s%s> {\n", ns, result,
            list ? "[]" : "");
    /* the path, its parameters encoded */
    if (params) {
        bputs(b, "  const path = ");
        bputc(b, '`');
        for (const char *p = r->pattern; *p; p++) {
            if (*p != '{') {
                if (*p == '`' || *p == '$' || *p == '\\')
                    bputc(b, '\\');
                bputc(b, *p);
                continue;
            }
            bool rest = strncmp(p + 1, "...", 3) == 0;
            const char *s = p + 1 + (rest ? 3 : 0);
            int len = (int)strcspn(s, "}");
            if (rest)
                bprintf(b,
                        "${String(input.path.%.*s).split(\"/\")."
                        "map(encodeURIComponent).join(\"/\")}",
                        len, s);
            else
                bprintf(b,
                        "${encodeURIComponent(String(input.path.%.*s)"
                        ")}",
                        len, s);
            p = s + len;
        }
        bputs(b, "`;\n");
    }
    bprintf(b, "  return request<%s%s%s>(\"%s\", ", ns, result,
            list ? "[]" : "", r->method);
    if (params)
        bputs(b, "path");
    else
        bjstr(b, r->pattern, strlen(r->pattern));
    if (!ep->query && !ep->body) {
        bputs(b, ", options);\n}\n");
        return;
    }
    bputs(b, ", {\n    ...options,\n");
    if (ep->query)
        bputs(b, "    query: input.query,\n");
    if (ep->body)
        bprintf(b, "    %s: input.body,\n",
                has_file(ep->body) ? "form" : "body");
    bputs(b, "  });\n}\n");
}

/* ---- the whole --------------------------------------------------------- */

int ts_write(const oapi_doc *d, ts_files *out)
{
    *out = (ts_files){0};
    ts_err = 0;
    tw k = {.d = d};
    kiln_arena_init(&k.a, 0);
    int err = 0;
    kiln_buf *b = new_file(out, "client.ts", &err);
    if (b) {
        bputs(b, header);
        bputs(b, ts_client_ts);
    }
    new_file(out, "types.ts", &err);
    /* types.ts is written last (the other files register its types); the
       pointer would move as files are added: keep its index */
    size_t types_i = out->n - 1;
    b = new_file(out, "query.ts", &err);
    if (b) {
        bputs(b, header);
        bputs(b, ts_query_ts);
    }

    /* a file per model with [api] */
    kiln_buf index;
    kiln_buf_init(&index);
    bputs(&index, header);
    bputs(&index, "\nexport * from \"./client\";\n"
                  "export * from \"./query\";\n"
                  "export * from \"./types\";\n");
    for (size_t i = 0; i < d->nmodels && !err; i++) {
        const kiln_model *m = d->models[i];
        if (!m->api || !m->api->path || !oapi_is_table(m))
            continue;
        crud_names n = {.ops = crud_ops(d, m)};
        if (!n.ops)
            continue;
        oapi_pascal(m->name, n.sing, sizeof n.sing);
        oapi_pascal(m->api->path, n.plural, sizeof n.plural);
        camel(n.sing, n.keys, sizeof n.keys);
        with_article(m, n.a, sizeof n.a);
        snprintf(n.keys + strlen(n.keys), sizeof n.keys - strlen(n.keys),
                 "Keys");
        n.out = type_name(&k, m, T_OUT, NULL);
        bool own_create = (n.ops & KILN_API_CREATE) &&
                          (m->flags & KILN_MF_BUILTIN); /* the user's */
        n.in = (n.ops & KILN_API_UPDATE) ||
                       ((n.ops & KILN_API_CREATE) && !own_create)
                   ? type_name(&k, m, T_IN, NULL)
                   : NULL;
        n.create = n.in;
        if (own_create) {
            const kiln_model *cm = oapi_user_create(&k.a, m);
            n.create = cm ? type_name(&k, cm, T_IN, NULL) : "";
        }
        n.patch =
            n.ops & KILN_API_PATCH ? type_name(&k, m, T_PATCH, NULL) : NULL;
        n.page = type_name(&k, m, T_PAGE, NULL);
        n.params = type_name(&k, m, T_PARAMS, NULL);
        for (const char *p = m->api->path;
             *p && strlen(n.base) + 1 < sizeof n.base - 4; p++)
            n.base[strlen(n.base)] = *p == '/' ? '-' : *p;
        /* a path named like a file of its own ("types") keeps off it */
        static const char *const fixed[] = {"client", "types", "query",
                                            "endpoints", "index"};
        for (size_t f = 0; f < sizeof fixed / sizeof *fixed; f++)
            if (strcmp(n.base, fixed[f]) == 0)
                snprintf(n.base + strlen(n.base),
                         sizeof n.base - strlen(n.base), "-api");
        char fname[200];
        snprintf(fname, sizeof fname, "%s.ts", n.base);
        b = new_file(out, fname, &err);
        if (b)
            put_model_file(b, m, &n);
        bprintf(&index, "export * from \"./%s\";\n", n.base);
    }
    /* the handlers with an endpoint schema */
    bool any = false;
    for (size_t i = 0; i < d->nroutes && !err; i++) {
        const oapi_route *r = &d->routes[i];
        if (!route_documented(r) || !r->endpoint)
            continue;
        if (!any) {
            b = new_file(out, "endpoints.ts", &err);
            if (!b)
                break;
            bputs(b, header);
            bputs(b, "\n/* The api/ handlers with an endpoint schema "
                     "(api/NAME.toml). */\n"
                     "import { request, type CallOptions } from "
                     "\"./client\";\n"
                     "import type * as T from \"./types\";\n");
            bputs(&index, "export * from \"./endpoints\";\n");
            any = true;
        }
        b = &out->v[out->n - 1].text;
        bputc(b, '\n');
        put_route(&k, b, r);
    }

    /* types.ts: the types registered, in that order (writing one may
       register more) */
    if (!err) {
        kiln_buf *t = &out->v[types_i].text;
        bputs(t, header);
        bputs(t, "\n/* The types of the API's bodies and queries. */\n");
        for (size_t i = 0; i < k.nnames; i++) {
            if (k.names[i].written)
                continue;
            k.names[i].written = true;
            tname n = k.names[i];
            bputc(t, '\n');
            switch (n.v) {
            case T_ENUM:
                put_enum(t, &n);
                break;
            case T_PAGE:
                put_page(&k, t, &n);
                break;
            case T_PARAMS:
                put_params(&k, t, &n);
                break;
            default:
                put_object(&k, t, &n);
            }
        }
    }
    b = err ? NULL : new_file(out, "index.ts", &err);
    if (b)
        bappend(b, index.p, index.n);
    kiln_buf_deinit(&index);
    free(k.names);
    kiln_arena_deinit(&k.a);
    if (!err && (k.err || ts_err))
        err = KILN_ENOMEM;
    return err;
}
