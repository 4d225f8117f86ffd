/*
 * app/actions.c - page actions (kiln/page.h): kiln_page_render and
 * kiln_page_invalid re-render an action's page, kiln_page_render_block
 * one block of a page; and the three values every page render has, form,
 * form_values and errors, as template objects.
 *
 * The objects view memory they do not own: form and form_values view the
 * request's parsed fields (its arena), errors the caller's kiln_errors
 * (alive for the render, which happens inside kiln_page_invalid). A
 * lookup of a name that has nothing answers "" (form_values: an empty
 * list), so {{ form.title }} and {% if errors.title %} work on a GET and
 * in strict mode alike; only the map methods' names (items, keys, values,
 * get) stay methods unless a field of that name exists.
 */
#include "app/pages.h"

#include <stdio.h>
#include <string.h>

static bool is_method_name(kiln_str k)
{
    return kiln_str_eq(k, KILN_STR("items")) ||
           kiln_str_eq(k, KILN_STR("keys")) ||
           kiln_str_eq(k, KILN_STR("values")) ||
           kiln_str_eq(k, KILN_STR("get"));
}

/* ---- form -------------------------------------------------------------- */

typedef struct form_view {
    const kiln_form_field *f;
    size_t n;
} form_view;

static const form_view no_form = {NULL, 0};

static int form_get(const void *self, kiln_str key, kiln_arena *a,
                    kiln_value *out)
{
    (void)a;
    const form_view *fv = self;
    for (size_t i = 0; i < fv->n; i++)
        if (kiln_str_eq(fv->f[i].name, key)) {
            *out = kiln_value_str(fv->f[i].value);
            return 1;
        }
    if (is_method_name(key))
        return 0;
    *out = kiln_value_str(KILN_STR(""));
    return 1;
}

static size_t form_len(const void *self)
{
    return ((const form_view *)self)->n;
}

static int form_entry(const void *self, size_t i, kiln_arena *a, kiln_str *key,
                      kiln_value *val)
{
    (void)a;
    const form_view *fv = self;
    *key = fv->f[i].name;
    *val = kiln_value_str(fv->f[i].value);
    return 0;
}

static const kiln_value_class form_class = {"form", form_get, form_len,
                                            form_entry};

/* A view of f[0..n) in a, or the shared empty one. */
static const form_view *form_view_new(kiln_arena *a, const kiln_form_field *f,
                                      size_t n)
{
    form_view *fv = n && a ? kiln_arena_alloc(a, sizeof *fv) : NULL;
    if (!fv)
        return &no_form;
    fv->f = f;
    fv->n = n;
    return fv;
}

kiln_value page_form_value(kiln_arena *a, const kiln_form_field *f, size_t n)
{
    return kiln_value_object(&form_class, form_view_new(a, f, n));
}

/* ---- form_values --------------------------------------------------------- */

/*
 * Every value of a field, as a list: form_values.tags is ["2", "5"] for
 * tags=2&tags=5, [] for a field not sent. Lists are made in the render's
 * arena on each lookup (a form is a few dozen fields); the distinct names,
 * for items(), are found once when the value is made.
 */
typedef struct values_view {
    form_view form;
    const size_t *first; /* index of each distinct name's first field */
    size_t nnames;
} values_view;

static const values_view no_values = {{NULL, 0}, NULL, 0};

/* The values of the name of field `from` (from it on) as a list in a. */
static int values_list(const form_view *fv, size_t from, kiln_str name,
                       kiln_arena *a, kiln_value *out)
{
    if (!a)
        return KILN_EINVAL; /* a lookup outside a render: no arena */
    *out = kiln_value_list(a);
    if (out->type != KILN_VALUE_LIST)
        return KILN_ENOMEM;
    for (size_t i = from; i < fv->n; i++)
        if (kiln_str_eq(fv->f[i].name, name) &&
            kiln_value_push(*out, kiln_value_str(fv->f[i].value)) != 0)
            return KILN_ENOMEM;
    return 0;
}

static int values_get(const void *self, kiln_str key, kiln_arena *a,
                      kiln_value *out)
{
    const values_view *vv = self;
    size_t i = 0;
    while (i < vv->form.n && !kiln_str_eq(vv->form.f[i].name, key))
        i++;
    if (i == vv->form.n && is_method_name(key))
        return 0;
    int rc = values_list(&vv->form, i, key, a, out);
    return rc ? rc : 1;
}

static size_t values_len(const void *self)
{
    return ((const values_view *)self)->nnames;
}

static int values_entry(const void *self, size_t i, kiln_arena *a,
                        kiln_str *key, kiln_value *val)
{
    const values_view *vv = self;
    size_t at = vv->first[i];
    *key = vv->form.f[at].name;
    return values_list(&vv->form, at, *key, a, val);
}

static const kiln_value_class values_class = {"form_values", values_get,
                                              values_len, values_entry};

kiln_value page_form_values_value(kiln_arena *a, const kiln_form_field *f,
                                  size_t n)
{
    values_view *vv = n && a ? kiln_arena_alloc(a, sizeof *vv) : NULL;
    size_t *first = vv ? kiln_arena_alloc(a, n * sizeof *first) : NULL;
    if (!first)
        return kiln_value_object(&values_class, &no_values);
    size_t d = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        while (k < d && !kiln_str_eq(f[first[k]].name, f[i].name))
            k++;
        if (k == d)
            first[d++] = i;
    }
    *vv = (values_view){{f, n}, first, d};
    return kiln_value_object(&values_class, vv);
}

/* ---- errors ------------------------------------------------------------ */

/*
 * The JSON Pointer of a field named as in a form ("author.email",
 * "items[3].qty" -> "/author/email", "/items/3/qty"); a name starting with
 * '/' is a pointer already. Returns false when out is too small.
 */
static bool pointer_of(kiln_str name, char *out, size_t cap)
{
    size_t o = 0;
    if (name.n && name.p[0] == '/') {
        if (name.n >= cap)
            return false;
        memcpy(out, name.p, name.n);
        out[name.n] = '\0';
        return true;
    }
    bool open = true; /* a segment starts */
    for (size_t i = 0; i < name.n; i++) {
        char ch = name.p[i];
        if (ch == '.' || ch == '[' || ch == ']') {
            open = true;
            continue;
        }
        if (o + 4 >= cap)
            return false;
        if (open) {
            out[o++] = '/';
            open = false;
        }
        if (ch == '~' || ch == '/') { /* RFC 6901 escapes */
            out[o++] = '~';
            out[o++] = ch == '~' ? '0' : '1';
        } else {
            out[o++] = ch;
        }
    }
    out[o] = '\0';
    return o > 0;
}

/*
 * The first error at ptr, else the first one below it ("/tags" finds
 * "/tags/0": a list's or an object's field names its items' errors), or
 * NULL.
 */
static const kiln_error_item *error_at_or_below(const kiln_errors *e,
                                                const char *ptr)
{
    const kiln_error_item *it = kiln_errors_find(e, ptr);
    if (it)
        return it;
    size_t n = strlen(ptr);
    for (size_t i = 0; i < e->n; i++) {
        const char *p = e->items[i].pointer;
        if (strncmp(p, ptr, n) == 0 && p[n] == '/')
            return &e->items[i];
    }
    return NULL;
}

static int errors_get(const void *self, kiln_str key, kiln_arena *a,
                      kiln_value *out)
{
    (void)a;
    const kiln_errors *e = self;
    char ptr[512];
    if (pointer_of(key, ptr, sizeof ptr)) {
        const kiln_error_item *it = error_at_or_below(e, ptr);
        if (it) {
            *out = kiln_value_cstr(it->detail);
            return 1;
        }
    }
    if (is_method_name(key))
        return 0;
    *out = kiln_value_str(KILN_STR(""));
    return 1;
}

static size_t errors_len(const void *self)
{
    return ((const kiln_errors *)self)->n;
}

/* True when s[0..n) is an index as a form writes one: "0", "12". */
static bool is_index(const char *s, size_t n)
{
    if (n == 0 || n > 9 || (s[0] == '0' && n > 1))
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

char *page_field_name(const char *pointer, kiln_arena *a)
{
    if (pointer[0] != '/') /* "" (the whole input) or "?param" */
        return kiln_arena_strndup(a, pointer, strlen(pointer));
    /* each segment unescaped grows by at most "[]" or "." */
    size_t cap = 2 * strlen(pointer) + 1;
    char *name = kiln_arena_alloc(a, cap), *seg = NULL;
    if (!name || !(seg = kiln_arena_alloc(a, cap)))
        return NULL;
    size_t o = 0;
    for (const char *p = pointer; *p == '/';) {
        size_t sn = 0;
        for (p++; *p && *p != '/'; p++) {
            if (p[0] == '~' && (p[1] == '0' || p[1] == '1'))
                seg[sn++] = *++p == '0' ? '~' : '/';
            else
                seg[sn++] = *p;
        }
        /* a segment the form syntax cannot write: the pointer itself */
        if (sn == 0 || memchr(seg, '.', sn) || memchr(seg, '[', sn) ||
            memchr(seg, ']', sn) || (o == 0 && seg[0] == '/'))
            return kiln_arena_strndup(a, pointer, strlen(pointer));
        if (o > 0 && is_index(seg, sn)) {
            name[o++] = '[';
            memcpy(name + o, seg, sn);
            o += sn;
            name[o++] = ']';
        } else {
            if (o > 0)
                name[o++] = '.';
            memcpy(name + o, seg, sn);
            o += sn;
        }
    }
    name[o] = '\0';
    return name;
}

/* Entry i: the field as a form names it ("author.email", "tags[0]"), the
   detail. */
static int errors_entry(const void *self, size_t i, kiln_arena *a,
                        kiln_str *key, kiln_value *val)
{
    const kiln_error_item *it = &((const kiln_errors *)self)->items[i];
    char *name = page_field_name(it->pointer, a);
    if (!name)
        return KILN_ENOMEM;
    *key = kiln_str_c(name);
    *val = kiln_value_cstr(it->detail);
    return 0;
}

static const kiln_value_class errors_class = {"errors", errors_get, errors_len,
                                              errors_entry};

kiln_value page_errors_value(const kiln_errors *e)
{
    static const kiln_errors none = {0};
    return kiln_value_object(&errors_class, e ? e : &none);
}

/* ---- the calls --------------------------------------------------------- */

/*
 * Re-renders page pg (NULL: the action's own, the page routed for GET at
 * its path) with status, errors e (NULL: none), and, when block is set,
 * only that block and without the loader.
 */
static int rerender(kiln_ctx *c, const kiln_page *pg, const char *block,
                    kiln_value ctx, int status, const kiln_errors *e)
{
    if (!pg && !(pg = pages_route_page(c))) {
        const char *pat = kiln_route_pattern(c);
        kiln_log(KILN_LOG_ERROR,
                 "%s: the action has no page to render: no page is routed at "
                 "GET %s",
                 kiln_request_id(c), pat ? pat : "(no route)");
        return KILN_ENOTFOUND;
    }
    const kiln_form_field *f = NULL;
    size_t n = 0;
    if (kiln_form_fields(c, &f, &n) != 0)
        n = 0; /* not a form (or broken): nothing to show again */
    kiln_arena *a = kiln_ctx_arena(c);
    page_vars pv = {.form = page_form_value(a, f, n),
                    .form_values = page_form_values_value(a, f, n),
                    .errors = page_errors_value(e),
                    .extra = ctx,
                    .block = block,
                    .action = true,
                    .form_sent = n > 0};
    return pages_answer(c, pg, &pv, status);
}

int kiln_page_render(kiln_ctx *c, kiln_value ctx, int status)
{
    if (status < 200 || status > 599)
        return KILN_EINVAL;
    return rerender(c, NULL, NULL, ctx, status, NULL);
}

int kiln_page_invalid(kiln_ctx *c, const kiln_errors *errs)
{
    if (!errs || !kiln_errors_any(errs))
        return KILN_EINVAL;
    return rerender(c, NULL, NULL, kiln_value_null(), 422, errs);
}

int kiln_page_render_block(kiln_ctx *c, const char *block, kiln_value ctx,
                           int status)
{
    if (status < 200 || status > 599 || !block)
        return KILN_EINVAL;
    const kiln_page *pg = NULL;
    const char *hash = strchr(block, '#');
    if (hash) {
        if (!(pg = pages_find(block, (size_t)(hash - block)))) {
            kiln_log(KILN_LOG_ERROR,
                     "%s: kiln_page_render_block: no page '%.*s' in pages/ "
                     "(name it as below pages/, e.g. \"notes.html#row\")",
                     kiln_request_id(c), (int)(hash - block), block);
            return KILN_ENOTFOUND;
        }
        block = hash + 1;
    }
    if (!*block)
        return KILN_EINVAL;
    return rerender(c, pg, block, ctx, status, NULL);
}
