/*
 * app/errpage.c - error pages for browsers: the project's kiln_error_page
 * (errpage.h). The server calls it before any problem+json; a request
 * outside /api/ that prefers HTML (Accept, http/accept.c) gets a page:
 *
 *   development (kiln dev, app.debug)  the debug page: the error, the
 *       request with credentials masked, the lines the handler logged
 *       (kiln_request_log), the route and the handler's file:line:col, or
 *       the template error with its caret; for a 404, the routes
 *   otherwise  pages/_404.html, pages/_500.html or pages/_error.html when
 *       the app has them (templates in the layout, like pages), else a
 *       built-in page; a page that fails to render is logged and replaced
 *       by the built-in one, and a kiln_problem() while it renders sends
 *       problem+json (the server does not call us twice), so nothing loops
 *
 * Pages are built in a private kiln_buf (malloc'd, freed here), as errors
 * are rare and must not depend on the request's arena having room.
 */
#include "app/errpage.h"

#include "app/pages.h"
#include "http/accept.h"
#include "http/status.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char html_type[] = "text/html; charset=utf-8";

/* Set once before serving, read-only while serving. */
static const kiln_project *g_project;
static const char *g_root;
static bool g_debug;

void errpage_init(const kiln_project *p, const kiln_settings *s, bool dev,
                  const char *root)
{
    g_project = p;
    g_root = root;
    g_debug = dev && kiln_settings_bool(s, "app.debug");
}

bool errpage_debugging(void)
{
    return g_debug;
}

/* ---- a page being written ---------------------------------------------- */

/* An HTML writer whose first failure sticks (then it writes nothing). */
typedef struct page {
    kiln_buf b;
    int rc;
} page;

static void put(page *pg, const char *s)
{
    if (!pg->rc)
        pg->rc = kiln_buf_puts(&pg->b, s);
}

static void put_esc_n(page *pg, const char *p, size_t n)
{
    if (!pg->rc)
        pg->rc = kiln_html_escape(&pg->b, p ? p : "", p ? n : 0);
}

static void put_esc(page *pg, const char *s)
{
    put_esc_n(pg, s, strlen(s));
}

static void putf(page *pg, const char *fmt, ...) KILN_PRINTF(2, 3);
static void putf(page *pg, const char *fmt, ...)
{
    if (pg->rc)
        return;
    va_list ap;
    va_start(ap, fmt);
    pg->rc = kiln_buf_vprintf(&pg->b, fmt, ap);
    va_end(ap);
}

/* Sends the page with status (or a plain 500 when it could not be built),
 * freeing it. */
static int page_send(kiln_ctx *c, page *pg, int status)
{
    int rc = pg->rc ? pg->rc
                    : kiln_respond(c, status, html_type, pg->b.p ? pg->b.p : "",
                                   pg->b.n);
    kiln_buf_deinit(&pg->b);
    return rc;
}

static const char page_style[] =
    "<style>body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1d1d1f;"
    "background:#f6f6f4}main{max-width:44rem;margin:12vh auto;padding:0 "
    "1.5rem}h1{font-size:1.6rem;margin:0 0 .5rem}small{color:#6e6e73}"
    "</style>";

/* The built-in page of status. */
static int builtin_page(kiln_ctx *c, int status, const char *title,
                        const char *detail)
{
    page pg = {0};
    kiln_buf_init(&pg.b);
    put(&pg, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
             "<meta name=\"viewport\" content=\"width=device-width, "
             "initial-scale=1\"><title>");
    putf(&pg, "%d ", status);
    put_esc(&pg, title);
    put(&pg, "</title>");
    put(&pg, page_style);
    putf(&pg, "</head><body><main><h1>%d ", status);
    put_esc(&pg, title);
    put(&pg, "</h1><p>");
    put_esc(&pg, detail);
    put(&pg, "</p><p><small>Request ");
    put_esc(&pg, kiln_request_id(c));
    put(&pg, "</small></p></main></body></html>\n");
    return page_send(c, &pg, status);
}

/* ---- the app's own pages ----------------------------------------------- */

/*
 * Renders the app's page for status: _404.html or _500.html, else
 * _error.html. Returns 0 once answered, 1 when the app has none, or a
 * negative error (logged) after which the built-in page answers.
 */
static int app_page(kiln_ctx *c, int status, const char *title,
                    const char *detail, kiln_str path)
{
    const char *names[2] = {NULL, "_error.html"};
    if (status == 404)
        names[0] = "_404.html";
    else if (status == 500)
        names[0] = "_500.html";
    kiln_arena *a = kiln_ctx_arena(c);
    kiln_value ctx = kiln_value_map(a);
    if (ctx.type != KILN_VALUE_MAP)
        return KILN_ENOMEM;
    kiln_value_set(ctx, "status", kiln_value_int(status));
    kiln_value_set(ctx, "title", kiln_value_cstr(title));
    kiln_value_set(ctx, "detail", kiln_value_cstr(detail));
    kiln_value_set(ctx, "request_id", kiln_value_cstr(kiln_request_id(c)));
    kiln_value_set(ctx, "path", kiln_value_str(path));
    for (size_t i = 0; i < 2; i++) {
        if (!names[i])
            continue;
        kiln_buf out;
        kiln_buf_init(&out);
        kiln_tpl_error te;
        memset(&te, 0, sizeof te);
        int rc = pages_render_error(c, names[i], ctx, &out, &te);
        if (rc == 0)
            rc = kiln_respond(c, status, html_type, out.p ? out.p : "", out.n);
        kiln_buf_deinit(&out);
        if (rc == 1)
            continue;
        if (rc < 0)
            kiln_log(KILN_LOG_ERROR,
                     "%s: error page pages/%s failed, the built-in page "
                     "answers: %s",
                     kiln_request_id(c), names[i],
                     te.text[0] ? te.text : kiln_strerror(rc));
        return rc;
    }
    return 1;
}

/* ---- choosing ---------------------------------------------------------- */

/* The request's path, or its target when the path was not read. */
static kiln_str request_path(kiln_ctx *c)
{
    kiln_str p = kiln_path(c);
    if (p.p)
        return p;
    kiln_str t = kiln_target(c);
    const char *q = memchr(t.p, '?', t.n);
    return (kiln_str){t.p, q ? (size_t)(q - t.p) : t.n};
}

static bool is_api_path(kiln_str path)
{
    return path.n >= 4 && memcmp(path.p, "/api", 4) == 0 &&
           (path.n == 4 || path.p[4] == '/');
}

/* Whether the request's Accept field lines prefer HTML to JSON. */
static bool wants_html(kiln_ctx *c)
{
    kiln_str fields[16];
    size_t n = 0;
    unsigned count = kiln_header_count(c);
    for (unsigned i = 0; i < count && n < 16; i++) {
        kiln_str name, value;
        kiln_header_at(c, i, &name, &value);
        if (kiln_str_ieq(name, KILN_STR("Accept")))
            fields[n++] = value;
    }
    return http_accept_prefers_html(fields, n);
}

void errpage_answer(kiln_ctx *c, int status, const char *detail, void *data)
{
    (void)data;
    kiln_str path = request_path(c);
    if (is_api_path(path))
        return; /* the API answers problem+json, always */
    /* a page path: the representation depends on Accept */
    kiln_set_header(c, "Vary", "Accept");
    if (status < 400 || !wants_html(c))
        return;
    if (g_debug) {
        errpage_debug(c, status, detail, NULL);
        return;
    }
    const char *title = http_status_reason(status);
    if (app_page(c, status, title, detail, path) != 0 && !kiln_responded(c))
        builtin_page(c, status, title, detail);
}

/* ---- the debug page ---------------------------------------------------- */

/* Request header fields whose values are credentials: masked. */
static bool is_secret_header(kiln_str name)
{
    static const char *const exact[] = {"cookie", "authorization",
                                        "proxy-authorization"};
    static const char *const parts[] = {"token",     "secret", "key",    "pass",
                                        "signature", "auth",   "session"};
    for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++)
        if (kiln_str_ieq(name, kiln_str_c(exact[i])))
            return true;
    char low[128];
    if (name.n >= sizeof low)
        return true; /* unusual enough to hide */
    for (size_t i = 0; i < name.n; i++)
        low[i] = (char)(name.p[i] >= 'A' && name.p[i] <= 'Z' ? name.p[i] + 32
                                                             : name.p[i]);
    low[name.n] = '\0';
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        if (strstr(low, parts[i]))
            return true;
    return false;
}

/* The route of the table that served c, or NULL (no route, a static file,
 * or a route the project did not generate). */
static const kiln_route_def *route_of(kiln_ctx *c)
{
    const char *pat = kiln_route_pattern(c);
    if (!pat || !g_project)
        return NULL;
    kiln_str m = kiln_method(c);
    if (kiln_str_eq(m, KILN_STR("HEAD")))
        m = KILN_STR("GET");
    for (size_t i = 0; i < g_project->nroutes; i++) {
        const kiln_route_def *d = &g_project->routes[i];
        if (strcmp(d->pattern, pat) == 0 &&
            kiln_str_eq(kiln_str_c(d->method), m))
            return d;
    }
    return NULL;
}

/*
 * Finds the first "macro(" in the project file rel (a handler's
 * declaration); sets *line and *col (1-based). Returns false when the file
 * or the text is not there.
 */
static bool find_decl(const char *rel, const char *macro, int *line, int *col)
{
    char path[PATH_MAX + 512];
    snprintf(path, sizeof path, "%s/%s", g_root ? g_root : ".", rel);
    size_t n = 0;
    char *src = kiln_read_file(path, &n);
    if (!src)
        return false;
    size_t mn = strlen(macro);
    int l = 1;
    const char *ls = src;
    bool found = false;
    for (const char *p = src; p + mn <= src + n; p++) {
        if (*p == '\n') {
            l++;
            ls = p + 1;
        } else if (memcmp(p, macro, mn) == 0 &&
                   (p == src ||
                    !(p[-1] == '_' || (p[-1] >= 'A' && p[-1] <= 'Z')))) {
            *line = l;
            *col = (int)(p - ls) + 1;
            found = true;
            break;
        }
    }
    free(src);
    return found;
}

/* The route and the handler's source position. */
static void put_route(page *pg, kiln_ctx *c)
{
    const char *pat = kiln_route_pattern(c);
    put(pg, "<h2>Route</h2><table>");
    if (!pat) {
        put(pg, "<tr><th>pattern</th><td>none matched</td></tr></table>");
        if (!g_project || !g_project->nroutes)
            return;
        put(pg, "<p>The routes of this app, in kiln routes order:</p>"
                "<table class=\"routes\">");
        for (size_t i = 0; i < g_project->nroutes; i++) {
            const kiln_route_def *d = &g_project->routes[i];
            put(pg, "<tr><td>");
            put_esc(pg, d->method);
            put(pg, "</td><td><code>");
            put_esc(pg, d->pattern);
            put(pg, "</code></td><td>");
            put_esc(pg, d->file);
            put(pg, "</td></tr>");
        }
        put(pg, "</table>");
        return;
    }
    put(pg, "<tr><th>pattern</th><td><code>");
    put_esc(pg, pat);
    put(pg, "</code></td></tr>");
    const kiln_route_def *d = route_of(c);
    if (d) {
        char file[PATH_MAX], macro[32];
        if (d->handler) {
            snprintf(file, sizeof file, "%s", d->file);
            snprintf(macro, sizeof macro, "KILN_%s(", d->method);
        } else {
            /* a page: its loader, if any, is in the .c beside it */
            const char *f = d->page ? d->page->file : d->file;
            size_t fn = strlen(f);
            if (d->page && d->page->load && fn > 5 &&
                strcmp(f + fn - 5, ".html") == 0)
                snprintf(file, sizeof file, "%.*s.c", (int)(fn - 5), f);
            else
                snprintf(file, sizeof file, "%s", f);
            snprintf(macro, sizeof macro, "KILN_LOAD(");
            put(pg, "<tr><th>page</th><td>");
            put_esc(pg, f);
            put(pg, "</td></tr>");
        }
        int line = 0, col = 0;
        bool decl = (d->handler || (d->page && d->page->load)) &&
                    find_decl(file, macro, &line, &col);
        put(pg, "<tr><th>handler</th><td><code>");
        put_esc(pg, file);
        if (decl)
            putf(pg, ":%d:%d", line, col);
        put(pg, "</code>");
        if (decl) {
            put(pg, " (");
            put_esc_n(pg, macro, strlen(macro) - 1);
            put(pg, ")");
        }
        put(pg, "</td></tr>");
    }
    put(pg, "</table>");
}

int errpage_debug(kiln_ctx *c, int status, const char *detail,
                  const char *report)
{
    const char *title = http_status_reason(status);
    page pg = {0};
    kiln_buf_init(&pg.b);
    put(&pg, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
             "<title>");
    putf(&pg, "%d ", status);
    put_esc(&pg, title);
    put(&pg, " (debug)</title><style>body{font:15px/1.45 system-ui,"
             "sans-serif;margin:0;color:#1d1d1f}header{background:#fde8e8;"
             "padding:1.2rem 2rem;border-bottom:1px solid #f3b9b9}main{padding:"
             "0 2rem 2rem}h1{font-size:1.5rem;margin:0}h2{font-size:1.1rem;"
             "margin:1.6rem 0 .5rem}pre{background:#f6f6f4;padding:.8rem;"
             "overflow:auto;font:13px/1.4 ui-monospace,monospace}table{border-"
             "collapse:collapse}th,td{text-align:left;vertical-align:top;"
             "padding:.2rem 1rem .2rem 0;font:13px/1.4 ui-monospace,monospace}"
             "th{color:#6e6e73;font-weight:normal;white-space:nowrap}footer{"
             "color:#6e6e73;"
             "padding:0 2rem 2rem}</style></head><body><header>");
    putf(&pg, "<h1>%d ", status);
    put_esc(&pg, title);
    put(&pg, "</h1><p class=\"detail\">");
    put_esc(&pg, detail);
    put(&pg, "</p></header><main>");
    if (report && *report) {
        put(&pg, "<h2>Template error</h2><pre class=\"report\">");
        put_esc(&pg, report);
        put(&pg, "</pre>");
    }
    put_route(&pg, c);
    put(&pg, "<h2>Log of this request</h2>");
    kiln_str log = kiln_request_log(c);
    if (log.n) {
        put(&pg, "<pre class=\"log\">");
        put_esc_n(&pg, log.p, log.n);
        put(&pg, "</pre>");
    } else {
        put(&pg, "<p>Nothing was logged.</p>");
    }
    put(&pg, "<h2>Request</h2><table class=\"request\"><tr><th>request</th>"
             "<td>");
    kiln_str m = kiln_method(c), t = kiln_target(c);
    put_esc_n(&pg, m.p, m.n);
    put(&pg, " ");
    put_esc_n(&pg, t.p, t.n);
    put(&pg, "</td></tr><tr><th>request id</th><td>");
    put_esc(&pg, kiln_request_id(c));
    put(&pg, "</td></tr>");
    unsigned count = kiln_header_count(c);
    for (unsigned i = 0; i < count; i++) {
        kiln_str name, value;
        kiln_header_at(c, i, &name, &value);
        put(&pg, "<tr><th>");
        put_esc_n(&pg, name.p, name.n);
        put(&pg, "</th><td>");
        if (is_secret_header(name))
            putf(&pg, "[masked, %zu bytes]", value.n);
        else
            put_esc_n(&pg, value.p, value.n);
        put(&pg, "</td></tr>");
    }
    put(&pg, "</table></main><footer>This page shows because the app runs "
             "in development (kiln dev, app.debug on); it is never shown in "
             "production, where browsers get pages/_404.html, "
             "pages/_500.html, pages/_error.html or a plain page, and API "
             "clients problem+json.</footer></body></html>\n");
    return page_send(c, &pg, status);
}
