/*
 * frontend/frontend.h - the hybrid and islands joins of a front end
 * (docs/frontend.md): what a project's templates call for vite_assets()
 * and island(), set up once at start-up from the [frontend] settings.
 */
#ifndef KILN_FRONTEND_FRONTEND_H
#define KILN_FRONTEND_FRONTEND_H

#include "kiln/config.h"
#include "kiln/http.h"
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

#endif
