/*
 * frontend/frontend.h - the hybrid and islands joins of a front end
 * (docs/frontend.md): what a project's templates call for vite_assets()
 * and island(), set up once at start-up from the [frontend] settings.
 */
#ifndef KILN_FRONTEND_FRONTEND_H
#define KILN_FRONTEND_FRONTEND_H

#include "kiln/config.h"
#include "kiln/http.h"
#include "kiln/project.h"
#include "kiln/tpl.h"

/*
 * Reads the [frontend] settings of s for a project at root (dev: kiln dev
 * or kiln test). In development with frontend.dev_server set, the tags
 * point at the Vite dev server; otherwise frontend.manifest, when set, is
 * read and checked now (a missing or malformed manifest is a start-up
 * error in err) and kept for the process's life. Not thread-safe: call
 * before serving. Returns 0, KILN_EINVAL / KILN_EIO / KILN_EPARSE with a
 * message in err, or KILN_ENOMEM.
 */
int frontend_init(const kiln_settings *s, bool dev, const char *root, char *err,
                  size_t errlen);

/*
 * The start-up check of a literal vite_assets('entry') call
 * (kiln_tpl_check_assets): 0 when the manifest has entry, or when no
 * manifest is in use (development with the dev server, or none set: the
 * call then fails when rendered); else non-zero with a message in msg.
 * ud is unused.
 */
int frontend_check_entry(void *ud, kiln_str entry, char *msg, size_t msglen);

/* Frees what frontend_init read. */
void frontend_close(void);

/* Points o's assets and island functions at this module (after
   frontend_init). */
void frontend_tpl_options(kiln_tpl_options *o);

/*
 * The markup of an island: <div data-island="NAME" data-props="JSON">
 * with ssr_html inside (empty: rendered on the client only), every
 * attribute escaped for HTML, appended to out. name must be a component
 * name (letters, digits, '_', '$', '.', starting with a letter, '_' or '$';
 * at most 128 bytes). Returns 0, KILN_EINVAL (a bad name) or KILN_ENOMEM.
 */
int frontend_island_markup(kiln_buf *out, kiln_str name, kiln_str props_json,
                           kiln_str ssr_html);

/* kiln_tpl_options.island of a project's pages: frontend_ssr_render's
   HTML, if it gives one, in frontend_island_markup, made in a. */
int frontend_island_tpl(void *ud, kiln_str name, kiln_str props_json,
                        kiln_arena *a, kiln_str *out, char *err, size_t errlen);

/*
 * The tags that load Vite entry `entry` (vite_assets()'s: the dev server's
 * in development, else the manifest's), made in a. 0, or KILN_EINVAL /
 * KILN_ENOTFOUND with a message in err (no manifest, no such entry),
 * KILN_ENOMEM.
 */
int frontend_entry_tags(kiln_str entry, kiln_arena *a, kiln_str *out, char *err,
                        size_t errlen);

/* ---- React pages (page.c) ------------------------------------------------ */

/* True when pg is a React page: its file ends in ".tsx". */
bool frontend_page_is_react(const kiln_page *pg);

/*
 * The name of the React page of file ("pages/posts/[id].tsx"): the path
 * below pages/ without ".tsx" ("posts/[id]"), a view into file. 0, or
 * KILN_EINVAL when file is not such a path.
 */
int frontend_page_name(const char *file, kiln_str *out);

/*
 * True when the Accept field value accept asks for JSON rather than HTML:
 * application/json weighs above zero and above text/html (a client-side
 * navigation's "application/json"); false for a browser's navigation,
 * "*" "/" "*" (a tie goes to HTML), or no field.
 */
bool frontend_accept_wants_json(kiln_str accept);

/*
 * Appends the page's data {"page":NAME,"props":PROPS} to out, with
 * ,"ssr":true or false before the '}' when ssr is 1 or 0 (-1: none).
 * props_json is one JSON value written as |tojson does (empty: {}),
 * copied as is. 0, KILN_EINVAL (a name with < > or &), KILN_ENOMEM.
 */
int frontend_page_data(kiln_buf *out, kiln_str page, kiln_str props_json,
                       int ssr);

/* What a React page's document is made of (views; none owned). */
typedef struct frontend_page_doc {
    kiln_str title; /* text, escaped here */
    kiln_str head;  /* markup for <head>: the client entry's tags */
    kiln_str page;  /* "posts/[id]" */
    kiln_str props; /* the props' JSON, as |tojson writes it */
    kiln_str html;  /* the server's rendering; p NULL: none (the client
                       renders; "ssr":false) */
} frontend_page_doc;

/*
 * Appends the HTML document of a React page to out: <title>, head, the
 * server HTML inside <div id="kiln-page">, and the data in
 * <script type="application/json" id="kiln-page-data">. 0, KILN_EINVAL
 * (frontend_page_data's), KILN_ENOMEM.
 */
int frontend_page_document(kiln_buf *out, const frontend_page_doc *d);

/*
 * Reads frontend.pages_entry and app.name, and prepares the props'
 * encoder. At start-up, before serving. 0, or KILN_ENOMEM (err filled).
 */
int frontend_pages_init(const kiln_settings *s, char *err, size_t errlen);

/* Frees what frontend_pages_init made. */
void frontend_pages_close(void);

/*
 * The start-up check of a React page pg (a no-op for other pages): the
 * manifest in use, if any, has frontend.pages_entry. 0, or KILN_ENOTFOUND
 * with a message naming the page and the setting in err.
 */
int frontend_pages_check(const kiln_page *pg, char *err, size_t errlen);

/*
 * Answers the current request with React page pg: its KILN_LOAD fills the
 * props (a loader that answered, redirecting or refusing, has the last
 * word); a request whose Accept asks for JSON gets the page's data, any
 * other the document, rendered by the SSR sidecar when it can (else by
 * the client). Vary: Accept, an ETag and 304 on both. Returns 0 once
 * answered, the loader's error, KILN_ESTATE (not set up), KILN_ENOMEM.
 */
int frontend_page_answer(kiln_ctx *c, const kiln_page *pg);

#endif
