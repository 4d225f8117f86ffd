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
