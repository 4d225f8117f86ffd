/*
 * app/actions.c - page actions (kiln/page.h): kiln_page_render and
 * kiln_page_invalid re-render an action's page, and the two values every
 * page render has, form and errors, as template objects.
 *
 * Both objects view memory they do not own: form views the request's
 * parsed fields (its arena), errors the caller's kiln_errors (alive for
 * the render, which happens inside kiln_page_invalid). A lookup of a name
 * that has nothing answers "", so {{ form.title }} and
 * {% if errors.title %} work on a GET and in strict mode alike; only the
 * map methods' names (items, keys, values, get) stay methods unless a
 * field of that name exists.
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

kiln_value page_form_value(kiln_ctx *c, const kiln_form_field *f, size_t n)
{
    static const form_view none = {NULL, 0};
    form_view *fv = n ? kiln_alloc(c, sizeof *fv) : NULL;
    if (!fv)
        return kiln_value_object(&form_class, &none);
    fv->f = f;
    fv->n = n;
    return kiln_value_object(&form_class, fv);
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

static int errors_get(const void *self, kiln_str key, kiln_arena *a,
                      kiln_value *out)
{
    (void)a;
    const kiln_errors *e = self;
    char ptr[512];
    if (pointer_of(key, ptr, sizeof ptr)) {
        const kiln_error_item *it = kiln_errors_find(e, ptr);
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

/* Entry i: the field as a form names it ("author.email"), the detail. */
static int errors_entry(const void *self, size_t i, kiln_arena *a,
                        kiln_str *key, kiln_value *val)
{
    const kiln_error_item *it = &((const kiln_errors *)self)->items[i];
    const char *p = it->pointer[0] == '/' ? it->pointer + 1 : it->pointer;
    char *name = kiln_arena_alloc(a, strlen(p) + 1);
    if (!name)
        return KILN_ENOMEM;
    size_t o = 0;
    for (; *p; p++) {
        if (*p == '/')
            name[o++] = '.';
        else if (p[0] == '~' && (p[1] == '0' || p[1] == '1'))
            name[o++] = *++p == '0' ? '~' : '/';
        else
            name[o++] = *p;
    }
    name[o] = '\0';
    *key = (kiln_str){name, o};
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

/* Re-renders the action's page with status, errors e (NULL: none). */
static int rerender(kiln_ctx *c, kiln_value ctx, int status,
                    const kiln_errors *e)
{
    const kiln_page *pg = pages_route_page(c);
    if (!pg) {
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
    page_vars pv = {.form = page_form_value(c, f, n),
                    .errors = page_errors_value(e),
                    .extra = ctx,
                    .action = true,
                    .form_sent = n > 0};
    return pages_answer(c, pg, &pv, status);
}

int kiln_page_render(kiln_ctx *c, kiln_value ctx, int status)
{
    if (status < 200 || status > 599)
        return KILN_EINVAL;
    return rerender(c, ctx, status, NULL);
}

int kiln_page_invalid(kiln_ctx *c, const kiln_errors *errs)
{
    if (!errs || !kiln_errors_any(errs))
        return KILN_EINVAL;
    return rerender(c, kiln_value_null(), 422, errs);
}
