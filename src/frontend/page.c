/*
 * frontend/page.c - React pages (the SSR join of docs/frontend.md):
 * pages/NAME.tsx is a route like pages/NAME.html, but its answer is made
 * by React instead of a template.
 *
 *   GET /posts/7                        (a browser: Accept prefers HTML)
 *     the page's KILN_LOAD fills a map: the page's props
 *     the SSR sidecar renders "pages/posts/[id]" (inside pages/_layout.tsx)
 *     the answer is a whole document:
 *       <div id="kiln-page">...server HTML...</div>
 *       <script type="application/json" id="kiln-page-data">
 *         {"page":"posts/[id]","props":{...},"ssr":true}</script>
 *       and the tags of frontend.pages_entry (the client entry), which
 *       hydrates it (share/pages/pages.ts)
 *
 *   GET /posts/7, Accept: application/json    (client-side navigation)
 *     {"page":"posts/[id]","props":{...}}: the same loader, no render
 *
 * Both answers carry Vary: Accept. When the sidecar cannot render (off,
 * down, a timeout, the page threw) the document has an empty
 * <div id="kiln-page"> and "ssr":false, and the client renders the page
 * instead: never a 500 because of the sidecar.
 *
 * The props are written as |tojson writes them: sorted keys, ASCII only,
 * and < > & ' as \u escapes, so nothing a user typed can end the <script>
 * element ("</script>", "<!--") or be read as markup.
 */
#include "frontend/frontend.h"

#include "frontend/ssr.h"
#include "http/accept.h"
#include "kiln/project.h"

#include <stdio.h>
#include <string.h>

static const char html_type[] = "text/html; charset=utf-8";

/* Set at start-up (frontend_pages_init), read-only while serving. */
static kiln_tpl_set *g_json; /* the one template "{{ props|tojson }}" */
static char g_entry[512];    /* frontend.pages_entry */
static char g_app[128];      /* app.name: the title of a page without one */

bool frontend_page_is_react(const kiln_page *pg)
{
    size_t n = pg && pg->file ? strlen(pg->file) : 0;
    return n > 4 && strcmp(pg->file + n - 4, ".tsx") == 0;
}

int frontend_page_name(const char *file, kiln_str *out)
{
    size_t n = strlen(file);
    if (strncmp(file, "pages/", 6) != 0 || n <= 10 ||
        strcmp(file + n - 4, ".tsx") != 0)
        return KILN_EINVAL;
    *out = (kiln_str){file + 6, n - 10};
    return 0;
}

bool frontend_accept_wants_json(kiln_str accept)
{
    if (!accept.p || accept.n == 0)
        return false;
    http_accept_rank json = {.q = -1}, html = {.q = -1};
    http_accept_rate(accept, "application/json", &json);
    http_accept_rate(accept, "text/html", &html);
    return json.q > 0 && json.q > html.q;
}

int frontend_page_data(kiln_buf *out, kiln_str page, kiln_str props_json,
                       int ssr)
{
    /* a page name is a path of the project (scan.c allows letters,
       digits, - . _ ~ / [ ]); kiln_json_put_str escapes the rest, and
       nothing of it can be '<' */
    for (size_t i = 0; i < page.n; i++)
        if (page.p[i] == '<' || page.p[i] == '>' || page.p[i] == '&')
            return KILN_EINVAL;
    if (kiln_buf_puts(out, "{\"page\":") ||
        kiln_json_put_str(out, page.p, page.n) ||
        kiln_buf_puts(out, ",\"props\":") ||
        kiln_buf_append(out, props_json.n ? props_json.p : "{}",
                        props_json.n ? props_json.n : 2) ||
        (ssr >= 0 &&
         kiln_buf_puts(out, ssr ? ",\"ssr\":true" : ",\"ssr\":false")) ||
        kiln_buf_putc(out, '}'))
        return KILN_ENOMEM;
    return 0;
}

/* Appends s escaped for HTML text. */
static int put_text(kiln_buf *out, kiln_str s)
{
    for (size_t i = 0; i < s.n; i++) {
        int rc;
        switch (s.p[i]) {
        case '&':
            rc = kiln_buf_puts(out, "&amp;");
            break;
        case '<':
            rc = kiln_buf_puts(out, "&lt;");
            break;
        case '>':
            rc = kiln_buf_puts(out, "&gt;");
            break;
        default:
            rc = kiln_buf_putc(out, s.p[i]);
        }
        if (rc)
            return KILN_ENOMEM;
    }
    return 0;
}

int frontend_page_document(kiln_buf *out, const frontend_page_doc *d)
{
    int ssr = d->html.p != NULL;
    if (kiln_buf_puts(out, "<!DOCTYPE html>\n<html>\n<head>\n"
                           "<meta charset=\"utf-8\">\n"
                           "<meta name=\"viewport\" content=\"width="
                           "device-width, initial-scale=1\">\n<title>") ||
        put_text(out, d->title) || kiln_buf_puts(out, "</title>\n") ||
        kiln_buf_append(out, d->head.p, d->head.n) ||
        kiln_buf_puts(out, d->head.n ? "\n</head>\n<body>\n<div "
                                       "id=\"kiln-page\">"
                                     : "</head>\n<body>\n<div "
                                       "id=\"kiln-page\">") ||
        kiln_buf_append(out, d->html.p, d->html.n) ||
        kiln_buf_puts(out, "</div>\n<script type=\"application/json\" "
                           "id=\"kiln-page-data\">"))
        return KILN_ENOMEM;
    int rc = frontend_page_data(out, d->page, d->props, ssr);
    if (rc)
        return rc;
    if (kiln_buf_puts(out, "</script>\n</body>\n</html>\n"))
        return KILN_ENOMEM;
    return 0;
}

int frontend_pages_init(const kiln_settings *s, char *err, size_t errlen)
{
    frontend_pages_close();
    const char *entry = kiln_settings_str(s, "frontend.pages_entry");
    const char *app = kiln_settings_str(s, "app.name");
    snprintf(g_entry, sizeof g_entry, "%s", entry ? entry : "");
    snprintf(g_app, sizeof g_app, "%s", app ? app : "");
    g_json = kiln_tpl_set_new(NULL);
    kiln_tpl_error te;
    static const char src[] = "{{ props|tojson }}";
    if (!g_json ||
        kiln_tpl_set_add(g_json, "props.json", src, sizeof src - 1, &te) != 0) {
        snprintf(err, errlen, "out of memory");
        return KILN_ENOMEM;
    }
    return 0;
}

void frontend_pages_close(void)
{
    kiln_tpl_set_free(g_json);
    g_json = NULL;
}

int frontend_pages_check(const kiln_page *pg, char *err, size_t errlen)
{
    if (!frontend_page_is_react(pg) || !g_entry[0])
        return 0;
    char msg[512];
    if (frontend_check_entry(NULL, kiln_str_c(g_entry), msg, sizeof msg) == 0)
        return 0;
    snprintf(err, errlen,
             "%s: frontend.pages_entry '%s' (the React pages' client "
             "entry): %s",
             pg->file, g_entry, msg);
    return KILN_ENOTFOUND;
}

/* The loader's map as JSON (|tojson) into *out, in the request's arena. */
static int props_json(kiln_ctx *c, kiln_value props, kiln_str *out)
{
    kiln_arena *a = kiln_ctx_arena(c);
    kiln_value ctx = kiln_value_map(a);
    if (ctx.type != KILN_VALUE_MAP || kiln_value_set(ctx, "props", props))
        return KILN_ENOMEM;
    kiln_buf b;
    kiln_buf_init(&b);
    kiln_tpl_error te;
    memset(&te, 0, sizeof te);
    int rc = kiln_tpl_render(g_json, "props.json", ctx, a, &b, &te);
    if (rc) {
        kiln_log(KILN_LOG_ERROR,
                 "%s: the props of a React page are not JSON: %s",
                 kiln_request_id(c), te.text[0] ? te.text : kiln_strerror(rc));
        kiln_buf_deinit(&b);
        return rc;
    }
    char *p = kiln_arena_strndup(a, b.p ? b.p : "", b.n);
    *out = (kiln_str){p, b.n};
    kiln_buf_deinit(&b);
    return p ? 0 : KILN_ENOMEM;
}

int frontend_page_answer(kiln_ctx *c, const kiln_page *pg)
{
    kiln_arena *a = kiln_ctx_arena(c);
    kiln_str name;
    if (!g_json || frontend_page_name(pg->file, &name) != 0)
        return KILN_ESTATE;
    kiln_value props = kiln_value_map(a);
    if (props.type != KILN_VALUE_MAP)
        return KILN_ENOMEM;
    if (pg->load) {
        int rc = pg->load(c, props);
        if (rc < 0 || kiln_responded(c))
            return rc; /* an error, a redirect, a 404... */
    }
    kiln_str pj;
    int rc = props_json(c, props, &pj);
    if (rc)
        return kiln_problem(c, 500, "The page could not be rendered.");
    /* one URL, two representations: caches keep them apart */
    kiln_set_header(c, "Vary", "Accept");
    kiln_buf out;
    kiln_buf_init(&out);
    if (frontend_accept_wants_json(kiln_header(c, "Accept"))) {
        rc = frontend_page_data(&out, name, pj, -1);
        if (rc == 0)
            rc = kiln_static_send(c, out.p, out.n,
                                  "application/json; charset=utf-8", 0);
        kiln_buf_deinit(&out);
        return rc;
    }
    /* the page, as the sidecar names it: "pages/posts/[id]" */
    char *component = kiln_arena_alloc(a, name.n + 7);
    if (!component)
        return KILN_ENOMEM;
    memcpy(component, "pages/", 6);
    memcpy(component + 6, name.p, name.n);
    component[name.n + 6] = '\0';
    kiln_str html;
    if (frontend_ssr_render(c, component, pj, &html) != 0)
        html = KILN_STR_NULL; /* rendered in the browser */
    frontend_page_doc d = {.page = name, .props = pj, .html = html};
    kiln_value title;
    if (kiln_value_get(props, KILN_STR("title"), a, &title) &&
        title.type == KILN_VALUE_STRING)
        d.title = title.u.s;
    else
        d.title = kiln_str_c(g_app);
    char err[256];
    if (g_entry[0] && frontend_entry_tags(kiln_str_c(g_entry), a, &d.head, err,
                                          sizeof err) != 0) {
        /* the content still shows; without its script it stays static */
        kiln_log(KILN_LOG_ERROR,
                 "%s: %s: frontend.pages_entry '%s': %s (the page is sent "
                 "without its script)",
                 kiln_request_id(c), pg->file, g_entry, err);
        d.head = KILN_STR_NULL;
    }
    rc = frontend_page_document(&out, &d);
    if (rc == 0)
        rc = kiln_static_send(c, out.p, out.n, html_type, 0);
    kiln_buf_deinit(&out);
    return rc;
}
