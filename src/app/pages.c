/*
 * app/pages.c - pages/ as templates: the set compiled at start-up (release:
 * from the compiled-in sources) or per request from the project folder
 * (development: an edited template shows on the next request), the page's
 * KILN_LOAD, HTMX partials, and template errors as answers.
 */
#include "app/pages.h"

#include "app/errpage.h"
#include "coro/coro.h"
#include "auth/perm.h"
#include "frontend/frontend.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static const char html_type[] = "text/html; charset=utf-8";

/* Set once before serving, read-only while serving. */
static kiln_tpl_set *g_set; /* release: every template, compiled */
static kiln_tpl_options g_opt;
static bool g_dev;
static char g_root[PATH_MAX];
static const kiln_project *g_project;

/* The error pages an app may write in pages/ (errpage.c renders them). */
static bool is_error_page_name(const char *name)
{
    return strcmp(name, "_404.html") == 0 || strcmp(name, "_500.html") == 0 ||
           strcmp(name, "_error.html") == 0;
}

/* A page (a route) or an error page: what the layout wraps. */
static bool is_page_name(const char *name)
{
    if (!name)
        return false;
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    return base[0] != '_' || is_error_page_name(name);
}

char *kiln_page_source(const char *name, const char *src, size_t n,
                       bool has_layout, size_t *outn, size_t *shift)
{
    static const char pre[] =
        "{% extends \"_layout.html\" %}{% block content %}";
    static const char post[] = "{% endblock %}";
    bool wrap = has_layout && is_page_name(name);
    if (wrap) {
        /* a page that says what it extends, or is a whole document, is
           left alone */
        size_t i = 0;
        while (i < n && (src[i] == ' ' || src[i] == '\n' || src[i] == '\r' ||
                         src[i] == '\t'))
            i++;
        if ((n - i >= 9 && strncasecmp(src + i, "<!doctype", 9) == 0) ||
            (n - i >= 5 && strncasecmp(src + i, "<html", 5) == 0))
            wrap = false;
        for (size_t k = 0; wrap && k + 1 < n; k++)
            if (src[k] == '{' && src[k + 1] == '%') {
                size_t j = k + 2;
                while (j < n &&
                       (src[j] == '-' || src[j] == '+' || src[j] == ' ' ||
                        src[j] == '\t' || src[j] == '\n'))
                    j++;
                if (n - j >= 7 && memcmp(src + j, "extends", 7) == 0)
                    wrap = false;
            }
    }
    /* the file's last newline goes after the wrapping, where the set drops
       it as the last newline of the source (as Jinja2 drops a file's) */
    size_t nl = 0;
    if (wrap && n >= 1 && (src[n - 1] == '\n' || src[n - 1] == '\r'))
        nl = n >= 2 && src[n - 2] == '\r' && src[n - 1] == '\n' ? 2 : 1;
    size_t total = n + (wrap ? sizeof pre - 1 + sizeof post - 1 : 0);
    char *out = malloc(total + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    if (wrap) {
        memcpy(out, pre, sizeof pre - 1);
        o = sizeof pre - 1;
    }
    memcpy(out + o, src, n - nl);
    o += n - nl;
    if (wrap) {
        memcpy(out + o, post, sizeof post - 1);
        o += sizeof post - 1;
    }
    memcpy(out + o, src + n - nl, nl);
    o += nl;
    out[o] = '\0';
    *outn = o;
    *shift = wrap ? sizeof pre - 1 : 0;
    return out;
}

void kiln_page_error(kiln_tpl_error *te, const char *name, const char *src,
                     size_t n, size_t shift)
{
    if (strcmp(te->name, name) != 0 || te->line < 1)
        return;
    if (te->line == 1 && shift) {
        /* the wrapper is one line of ASCII: its characters are its bytes */
        if ((size_t)te->col > shift)
            te->col -= (int)shift;
        else
            te->col = 1;
    }
    const char *p = src, *end = src + n;
    for (int l = 1; l < te->line && p < end; l++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        p = nl ? nl + 1 : end;
    }
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    size_t len = (size_t)((eol ? eol : end) - p);
    if (len > 200)
        len = 200;
    int caret = te->col > 1 ? te->col - 1 : 0;
    if (caret > 200)
        caret = 200;
    snprintf(te->text, sizeof te->text, "%s:%d:%d: %s\n  %.*s\n  %*s^",
             te->name, te->line, te->col, te->msg, (int)len, p, caret, "");
}

static bool has_layout_src(const kiln_project *p)
{
    for (size_t i = 0; i < p->ntemplates; i++)
        if (strncmp(p->templates[i].file, "pages/", 6) == 0 &&
            strcmp(p->templates[i].name, "_layout.html") == 0)
            return true;
    return false;
}

static bool has_layout_file(void)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/pages/_layout.html", g_root);
    return access(path, R_OK) == 0;
}

/* A set searching the project's pages/ and templates/. */
static kiln_tpl_set *disk_set(void)
{
    kiln_tpl_set *set = kiln_tpl_set_new(&g_opt);
    char dir[PATH_MAX + 16];
    if (!set)
        return NULL;
    snprintf(dir, sizeof dir, "%s/pages", g_root);
    kiln_tpl_set_add_dir(set, dir);
    snprintf(dir, sizeof dir, "%s/templates", g_root);
    kiln_tpl_set_add_dir(set, dir);
    return set;
}

/*
 * Reads the page file at path and adds it to set as name, wrapped in the
 * layout when layout; te names the author's file on a compile error.
 * Returns 0, KILN_EIO (unreadable; te untouched) or the set's error.
 */
static int add_page_file(kiln_tpl_set *set, const char *name, const char *path,
                         bool layout, kiln_tpl_error *te)
{
    size_t n0, n, shift;
    char *raw = kiln_read_file(path, &n0);
    if (!raw)
        return KILN_EIO;
    char *src = kiln_page_source(name, raw, n0, layout, &n, &shift);
    int rc = src ? kiln_tpl_set_add(set, name, src, n, te) : KILN_ENOMEM;
    if (rc != 0 && src)
        kiln_page_error(te, name, raw, n0, shift);
    free(src);
    free(raw);
    return rc;
}

/* csrf_token() and csrf_input() of a page: the token of the request whose
   coroutine renders it (NULL outside a request). */
static kiln_str page_csrf_token(kiln_arena *a)
{
    (void)a; /* the token lives in the request's arena, as the render */
    coro *co = coro_current();
    kiln_ctx *c = co ? coro_data(co) : NULL;
    return c ? kiln_csrf_token(c) : KILN_STR_NULL;
}

/* The flash messages the page shows (taken from the session: shown once),
   as `messages`, a list of {level, text}. */
static int set_messages(kiln_ctx *c, kiln_value ctx)
{
    kiln_arena *a = kiln_ctx_arena(c);
    const kiln_flash_msg *m;
    int n = kiln_flash_take(c, &m);
    kiln_value list = kiln_value_list(a);
    if (n < 0 || list.type != KILN_VALUE_LIST)
        return n < 0 ? n : KILN_ENOMEM;
    for (int i = 0; i < n; i++) {
        kiln_value e = kiln_value_map(a);
        int rc = e.type == KILN_VALUE_MAP ? 0 : KILN_ENOMEM;
        if (rc == 0)
            rc = kiln_value_set(e, "level", kiln_value_str(m[i].level));
        if (rc == 0)
            rc = kiln_value_set(e, "text", kiln_value_str(m[i].text));
        if (rc == 0)
            rc = kiln_value_push(list, e);
        if (rc)
            return rc;
    }
    return kiln_value_set(ctx, "messages", list);
}

void kiln_project_tpl_options(const kiln_settings *s, kiln_tpl_options *o)
{
    memset(o, 0, sizeof *o);
    o->undefined = kiln_settings_bool(s, "templates.strict") ? KILN_TPL_STRICT
                                                             : KILN_TPL_LENIENT;
    o->trim_blocks = kiln_settings_bool(s, "templates.trim_blocks");
    o->lstrip_blocks = kiln_settings_bool(s, "templates.lstrip_blocks");
    o->url = kiln_url_tpl; /* url('name', ...): the route names */
    o->csrf_token = page_csrf_token;
    frontend_tpl_options(o); /* vite_assets() and island() */
}

int pages_init(const kiln_project *p, const kiln_settings *s, bool dev,
               const char *root, char *err, size_t errlen)
{
    kiln_project_tpl_options(s, &g_opt);
    if (frontend_pages_init(s, err, errlen) != 0)
        return KILN_ENOMEM;
    for (size_t i = 0; i < p->nroutes; i++) /* React pages: their entry */
        if (!p->routes[i].handler &&
            frontend_pages_check(p->routes[i].page, err, errlen) != 0)
            return KILN_ENOTFOUND;
    g_dev = dev && !p->ntemplates;
    g_project = p;
    snprintf(g_root, sizeof g_root, "%s", root);
    if (g_dev)
        return 0;
    /* release (or compiled-in templates): compile everything once */
    g_set = p->ntemplates ? kiln_tpl_set_new(&g_opt) : disk_set();
    if (!g_set) {
        snprintf(err, errlen, "out of memory");
        return KILN_ENOMEM;
    }
    bool layout = p->ntemplates ? has_layout_src(p) : has_layout_file();
    kiln_tpl_error te;
    for (size_t i = 0; i < p->ntemplates; i++) {
        const kiln_page *t = &p->templates[i];
        bool page = strncmp(t->file, "pages/", 6) == 0;
        size_t n, shift;
        char *src = kiln_page_source(t->name, (const char *)t->data, t->len,
                                     page && layout, &n, &shift);
        int rc =
            src ? kiln_tpl_set_add(g_set, t->name, src, n, &te) : KILN_ENOMEM;
        free(src);
        if (rc == 0) /* an entry Vite's manifest lacks: refused now */
            rc = kiln_tpl_check_assets(g_set, t->name, frontend_check_entry,
                                       NULL, &te);
        if (rc != 0) {
            kiln_page_error(&te, t->name, (const char *)t->data, t->len, shift);
            snprintf(err, errlen, "%s%s", page ? "pages/" : "templates/",
                     src ? te.text : "out of memory");
            return rc;
        }
    }
    if (!p->ntemplates) {
        /* a production run from the folder: the error pages present... */
        static const char *const errpages[] = {"_404.html", "_500.html",
                                               "_error.html"};
        for (size_t i = 0; i < sizeof errpages / sizeof errpages[0]; i++) {
            char path[PATH_MAX + 32];
            snprintf(path, sizeof path, "%s/pages/%s", g_root, errpages[i]);
            if (access(path, F_OK) != 0)
                continue;
            int rc = add_page_file(g_set, errpages[i], path, layout, &te);
            if (rc != 0) {
                snprintf(err, errlen, "pages/%s",
                         rc == KILN_EIO ? "cannot read" : te.text);
                return rc;
            }
        }
        /* ...and the routed pages */
        for (size_t i = 0; i < p->nroutes; i++) {
            const kiln_page *pg = p->routes[i].page;
            if (p->routes[i].handler || !pg || frontend_page_is_react(pg))
                continue;
            char path[PATH_MAX * 2];
            snprintf(path, sizeof path, "%s/%s", g_root, pg->file);
            int rc = add_page_file(g_set, pg->name, path, layout, &te);
            if (rc == 0)
                rc = kiln_tpl_check_assets(g_set, pg->name,
                                           frontend_check_entry, NULL, &te);
            if (rc != 0) {
                if (rc == KILN_EIO)
                    snprintf(err, errlen, "%s: cannot read", pg->file);
                else
                    snprintf(err, errlen, "pages/%s", te.text);
                return rc;
            }
        }
    }
    return 0;
}

void pages_free(void)
{
    frontend_pages_close();
    kiln_tpl_set_free(g_set);
    g_set = NULL;
}

/*
 * A template that failed: logged; in development the debug page with the
 * report (for every client, so a browser or curl sees where), else a 500
 * (the app's error page for a browser).
 */
static int template_failed(kiln_ctx *c, const kiln_page *pg,
                           const kiln_tpl_error *te, int rc)
{
    const char *dir = strncmp(te->name, pg->name, strlen(pg->name)) == 0 ||
                              te->name[0] == '\0'
                          ? "pages/"
                          : "";
    kiln_log(KILN_LOG_ERROR, "%s: template %s%s", kiln_request_id(c), dir,
             te->text[0] ? te->text : kiln_strerror(rc));
    if (!errpage_debugging())
        return kiln_problem(c, 500, "The page could not be rendered.");
    char report[sizeof te->text + 16];
    snprintf(report, sizeof report, "%s%s", dir,
             te->text[0] ? te->text : kiln_strerror(rc));
    return errpage_debug(c, 500, "The page could not be rendered.", report);
}

/* The block an HTMX request targets, if the page has one of that name. */
static const char *htmx_block(kiln_ctx *c)
{
    kiln_str hx = kiln_header(c, "HX-Request");
    if (!hx.p || !kiln_str_ieq_c(hx, "true"))
        return NULL;
    kiln_str target = kiln_header(c, "HX-Target");
    if (!target.p || target.n == 0 || target.n > 128)
        return NULL;
    return kiln_arena_strndup(kiln_ctx_arena(c), target.p, target.n);
}

/* A kiln_defer callback: frees a development set after its request. */
static void set_free_deferred(void *set, int rc)
{
    (void)rc;
    kiln_tpl_set_free(set);
}

/* Sets the entries of extra (a map or object; null: none) in ctx, over its
 * own. */
static int set_all(kiln_ctx *c, kiln_value ctx, kiln_value extra)
{
    if (extra.type == KILN_VALUE_NULL)
        return 0;
    kiln_str key;
    kiln_value v;
    int rc = 0;
    for (size_t i = 0;
         (rc = kiln_value_entry(extra, i, kiln_ctx_arena(c), &key, &v)) == 0;
         i++)
        if ((rc = kiln_value_set_str(ctx, key, v)) != 0)
            return rc;
    return rc == KILN_ENOTFOUND ? 0 : rc;
}

/*
 * An action's values, over the loader's: its extra entries, then the form
 * it was sent (form and form_values, when fields came) and its errors,
 * each unless extra has its own.
 */
static int set_action_vars(kiln_ctx *c, kiln_value ctx, const page_vars *pv)
{
    kiln_arena *a = kiln_ctx_arena(c);
    int rc = set_all(c, ctx, pv->extra);
    if (rc == 0 && pv->form_sent &&
        !kiln_value_get(pv->extra, KILN_STR("form"), a, NULL))
        rc = kiln_value_set(ctx, "form", pv->form);
    if (rc == 0 && pv->form_sent &&
        !kiln_value_get(pv->extra, KILN_STR("form_values"), a, NULL))
        rc = kiln_value_set(ctx, "form_values", pv->form_values);
    if (rc == 0 && !kiln_value_get(pv->extra, KILN_STR("errors"), a, NULL))
        rc = kiln_value_set(ctx, "errors", pv->errors);
    return rc;
}

int pages_answer(kiln_ctx *c, const kiln_page *pg, const page_vars *pv,
                 int status)
{
    kiln_arena *a = kiln_ctx_arena(c);
    if (frontend_page_is_react(pg)) { /* pages/NAME.tsx: frontend/page.c */
        if (!pv->action && !pv->block && status == 200)
            return frontend_page_answer(c, pg);
        kiln_log(KILN_LOG_ERROR,
                 "%s: %s is a React page: an action cannot re-render it "
                 "(answer the form from api/ with JSON)",
                 kiln_request_id(c), pg->file);
        return kiln_problem(c, 500, "The page could not be rendered.");
    }
    kiln_value ctx = kiln_value_map(a);
    if (ctx.type != KILN_VALUE_MAP)
        return KILN_ENOMEM;
    kiln_tpl_error te;
    memset(&te, 0, sizeof te);
    kiln_tpl_set *set = g_set;
    const char *dev_src = NULL; /* development: the page as written */
    size_t dev_n = 0, dev_shift = 0;
    if (g_dev) {
        /* development: compile from the folder now, so edits show; the
           set goes when the handler ends, even if its loader crashes */
        set = disk_set();
        if (!set)
            return KILN_ENOMEM;
        if (kiln_defer(c, set_free_deferred, set) != 0) {
            kiln_tpl_set_free(set);
            return KILN_ENOMEM;
        }
        char path[PATH_MAX * 2];
        snprintf(path, sizeof path, "%s/%s", g_root, pg->file);
        char *raw = kiln_read_file(path, &dev_n);
        if (!raw)
            return kiln_problem(c, 404, "%s is gone", pg->file);
        size_t n;
        char *src = kiln_page_source(pg->name, raw, dev_n, has_layout_file(),
                                     &n, &dev_shift);
        int rc =
            src ? kiln_tpl_set_add(set, pg->name, src, n, &te) : KILN_ENOMEM;
        free(src);
        if (rc != 0) {
            kiln_page_error(&te, pg->name, raw, dev_n, dev_shift);
            free(raw);
            return template_failed(c, pg, &te, rc);
        }
        /* kept for an error at render time: it lives in the arena */
        dev_src = kiln_arena_strndup(a, raw, dev_n);
        free(raw);
    }
    /* the loader may replace form and form_values (an edit page's current
       values); an action's own values, the form it was sent and its
       errors go over what the loader set. An action's block runs no
       loader: it renders with what the action gives */
    int rc = 0;
    kiln_value user;
    if ((rc = perm_user_value(c, &user)) != 0 ||
        (rc = kiln_value_set(ctx, "user", user)) != 0 ||
        (rc = kiln_value_set(ctx, "form", pv->form)) != 0 ||
        (rc = kiln_value_set(ctx, "form_values", pv->form_values)) != 0 ||
        (rc = kiln_value_set(ctx, "errors", pv->errors)) != 0)
        return rc;
    if (pg->load && !pv->block) {
        rc = pg->load(c, ctx);
        if (rc < 0 || kiln_responded(c))
            return rc;
    }
    if (pv->action && (rc = set_action_vars(c, ctx, pv)) != 0)
        return rc;
    /* after the loader: one that redirects leaves them for the next page */
    if ((rc = set_messages(c, ctx)) != 0)
        return rc;
    kiln_buf out;
    kiln_buf_init(&out);
    if (pv->block) {
        /* the action's own block: that one, or an error to fix */
        rc = kiln_tpl_render_block(set, pg->name, pv->block, ctx, a, &out, &te);
        if (rc == KILN_ENOTFOUND) {
            snprintf(te.text, sizeof te.text,
                     "%s has no block '%s' (kiln_page_render_block)", pg->name,
                     pv->block);
            dev_src = NULL; /* the text names no line of it */
        }
    } else {
        kiln_set_header(c, "Vary", "HX-Request");
        const char *block = htmx_block(c);
        rc = KILN_ENOTFOUND;
        if (block) {
            rc = kiln_tpl_render_block(set, pg->name, block, ctx, a, &out, &te);
            if (rc == KILN_ENOTFOUND) /* no such block: the whole page */
                kiln_buf_clear(&out);
        }
        if (rc == KILN_ENOTFOUND)
            rc = kiln_tpl_render(set, pg->name, ctx, a, &out, &te);
    }
    if (rc != 0) {
        kiln_buf_deinit(&out);
        if (dev_src)
            kiln_page_error(&te, pg->name, dev_src, dev_n, dev_shift);
        return template_failed(c, pg, &te, rc);
    }
    /* a GET: a strong ETag from the bytes, 304 for a page that did not
       change; an action's answer is not for caches */
    rc = status == 200 && !pv->action
             ? kiln_static_send(c, out.p ? out.p : "", out.n, html_type, 0)
             : kiln_respond(c, status, html_type, out.p ? out.p : "", out.n);
    kiln_buf_deinit(&out);
    return rc;
}

int pages_serve(kiln_ctx *c)
{
    page_vars pv = {.form = page_form_value(NULL, NULL, 0),
                    .form_values = page_form_values_value(NULL, NULL, 0),
                    .errors = page_errors_value(NULL)};
    return pages_answer(c, kiln_route_data(c), &pv, 200);
}

const kiln_page *pages_route_page(kiln_ctx *c)
{
    const char *pat = kiln_route_pattern(c);
    for (size_t i = 0; pat && g_project && i < g_project->nroutes; i++) {
        const kiln_route_def *d = &g_project->routes[i];
        if (!d->handler && d->page && strcmp(d->method, "GET") == 0 &&
            strcmp(d->pattern, pat) == 0)
            return d->page;
    }
    return NULL;
}

const kiln_page *pages_find(const char *name, size_t n)
{
    for (size_t i = 0; g_project && i < g_project->nroutes; i++) {
        const kiln_route_def *d = &g_project->routes[i];
        if (!d->handler && d->page && strcmp(d->method, "GET") == 0 &&
            strlen(d->page->name) == n && memcmp(d->page->name, name, n) == 0)
            return d->page;
    }
    return NULL;
}

int pages_render_error(kiln_ctx *c, const char *name, kiln_value ctx,
                       kiln_buf *out, kiln_tpl_error *te)
{
    kiln_tpl_set *set = g_set;
    int rc;
    if (g_dev) {
        /* development: from the folder, so an edit shows at once */
        char path[PATH_MAX + 32];
        snprintf(path, sizeof path, "%s/pages/%s", g_root, name);
        if (access(path, F_OK) != 0)
            return 1;
        set = disk_set();
        if (!set)
            return KILN_ENOMEM;
        rc = add_page_file(set, name, path, has_layout_file(), te);
        if (rc == KILN_EIO)
            rc = 1; /* gone meanwhile */
    } else {
        rc = kiln_tpl_set_has(set, name) ? 0 : 1;
    }
    if (rc == 0)
        rc = kiln_tpl_render(set, name, ctx, kiln_ctx_arena(c), out, te);
    if (set != g_set)
        kiln_tpl_set_free(set);
    return rc;
}
