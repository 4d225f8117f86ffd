/*
 * app/pages.h - pages/ as templates (pages.c), for project.c.
 */
#ifndef KILN_APP_PAGES_H
#define KILN_APP_PAGES_H

#include <kiln.h>

/**
 * Prepares page rendering for project p: settings s (templates.strict),
 * development (compile per request from root) or not (compile every
 * template now: errors are reported in err and the run stops). Returns 0
 * or a negative error.
 */
int pages_init(const kiln_project *p, const kiln_settings *s, bool dev,
               const char *root, char *err, size_t errlen);
/** The handler of every page route (route data: its kiln_page). */
int pages_serve(kiln_ctx *c);

/**
 * What a page render puts in its context besides what its loader sets:
 * form, form_values and errors before the loader (which may replace form
 * and form_values: an edit page's current values); for an action, after
 * it, its extra entries, the form when one was sent, and its errors
 * (extra's own form, form_values or errors win). An action's block
 * render runs no loader.
 */
typedef struct page_vars {
    kiln_value form;        /* the form value (page_form_value) */
    kiln_value form_values; /* every value by name (page_form_values_value) */
    kiln_value errors;      /* the errors value (page_errors_value) */
    kiln_value extra;       /* an action's own entries (a map), or null */
    const char *block;      /* an action's block (kiln_page_render_block), or
                               NULL: the page, or the block HX-Target names */
    bool action;            /* an action's re-render */
    bool form_sent;         /* the request carried form fields */
} page_vars;

/**
 * Answers c with page pg rendered with pv and status: compiled from the
 * folder in development, its loader run (which may answer itself), then
 * the block an HTMX request targets or the whole page; or, for pv->block,
 * that block alone without the loader (a page without it is a template
 * error). A GET's 200 goes out with an ETag (304 when it matches). A
 * template error is logged and answered (the debug page in development,
 * else a 500). Returns what the answer returns, or the loader's error.
 */
int pages_answer(kiln_ctx *c, const kiln_page *pg, const page_vars *pv,
                 int status);

/** The page routed for GET at c's route pattern (an action's page), or
    NULL. */
const kiln_page *pages_route_page(kiln_ctx *c);
/** The page whose template name (below pages/) is name[0..n), routed for
    GET, or NULL. */
const kiln_page *pages_find(const char *name, size_t n);

/* actions.c */
/**
 * The template's form value: the first value of fields f[0..n) by name (an
 * object viewing f, made in a; n == 0, a NULL arena or no memory give a
 * shared empty one). See kiln/page.h.
 */
kiln_value page_form_value(kiln_arena *a, const kiln_form_field *f, size_t n);
/**
 * The template's form_values value: every value of fields f[0..n) by name,
 * as lists made in the render's arena on lookup ([] for a name not sent).
 * The object and its index of names are made in a (as page_form_value).
 */
kiln_value page_form_values_value(kiln_arena *a, const kiln_form_field *f,
                                  size_t n);
/**
 * The template's errors value viewing e (NULL: none): errors.NAME is the
 * first message at NAME's pointer, else the first below it. See
 * kiln/page.h.
 */
kiln_value page_errors_value(const kiln_errors *e);
/**
 * The name a form gives the field at JSON Pointer pointer: "/author/email"
 * is "author.email", "/items/3/qty" "items[3].qty". A pointer the form
 * syntax cannot write (an empty segment, one holding '.', '[' or ']') and
 * one not starting with '/' ("", "?limit") come back as they are. Returns
 * a string in a, or NULL when out of memory.
 */
char *page_field_name(const char *pointer, kiln_arena *a);
/** Frees what pages_init compiled. */
void pages_free(void);

/**
 * Renders the app's error page name ("_404.html", "_500.html" or
 * "_error.html", wrapped in the layout like a page) with ctx, appending to
 * out (temporaries in c's arena). Development reads it from the folder,
 * else it was compiled at start-up. Returns 0, 1 when the app has no such
 * page, or a negative compile or render error (te says where; out then
 * holds a partial render after its original bytes).
 */
int pages_render_error(kiln_ctx *c, const char *name, kiln_value ctx,
                       kiln_buf *out, kiln_tpl_error *te);

#endif
