/*
 * kiln/page.h - page actions: a KILN_POST (or PUT, PATCH, DELETE) handler
 * in pages/NAME.c answers the forms of pages/NAME.html. Input that fails
 * validation re-renders the page with status 422, the submitted values and
 * a message per field (Django's bound form), instead of a redirect that
 * carries the error in the query string:
 *
 *   // pages/notes.c
 *   KILN_POST(add_note)
 *   {
 *       kiln_str title = kiln_form(c, "title");
 *       kiln_errors errs;
 *       kiln_errors_init(&errs, kiln_ctx_arena(c));
 *       if (!title.n)
 *           kiln_errors_add(&errs, "/title", "required", "Write a title.");
 *       if (kiln_errors_any(&errs))
 *           return kiln_page_invalid(c, &errs);    // 422: the page again
 *       ...                                        // save it
 *       return kiln_redirect(c, 303, "/notes");    // then show it (PRG)
 *   }
 *
 *   <!-- pages/notes.html -->
 *   <form method="post">
 *     <input name="title" value="{{ form.title }}">
 *     {% if errors.title %}<p class="error">{{ errors.title }}</p>{% endif %}
 *   </form>
 *
 * Every page render has three values besides what its KILN_LOAD sets:
 *
 *   form         the submitted fields by name: form.title is the first
 *                value sent for "title", "" when none (and on a GET), so
 *                the same template serves the empty and the re-rendered
 *                form. It is true when anything was sent; form.items()
 *                lists what was.
 *   form_values  every value sent for a field, as a list of strings:
 *                form_values.tags is ["2", "5"] for tags=2&tags=5, []
 *                when none, for a multi-select or a group of checkboxes
 *                ({% if t.id|string in form_values.tags %} selected).
 *   errors       the messages by field: errors.title is the detail of the
 *                first error whose pointer is "/title", else of the first
 *                below it ("/tags/0" for errors.tags: a list's items, an
 *                object's fields), "" when none. A nested field reads as
 *                written in the form, errors["author.email"] for
 *                "/author/email", errors["tags[0]"] for "/tags/0" (or
 *                the pointer itself, errors["/tags/0"]). It is true when
 *                there is any error; errors.items() gives (field, message)
 *                pairs for a summary, each field named as the form names
 *                it ("tags[0]", "author.email").
 * The names items, keys, values and get are the methods, unless a field of
 * that name was sent (or has an error). A loader may set form and
 * form_values itself (an edit page's current values); on a re-render the
 * submitted values win.
 *
 * An HTMX request (HX-Request: true, HX-Target naming a block of the page)
 * gets just that block, as for a GET. HTMX 2 swaps nothing on a 4xx by
 * default: the layout's <meta name="htmx-config"> that `kiln new` writes
 * lets 422 swap in (docs/forms.md).
 *
 * An action that changes one row of a list answers that row alone with
 * kiln_page_render_block: the page's {% block row scoped %} inside its
 * loop, rendered with the one note the action puts in ctx (docs/forms.md,
 * "One row of a list"):
 *
 *   // pages/notes/[id]/pin.c: POST /notes/{id}/pin
 *   kiln_value ctx = kiln_value_map(kiln_ctx_arena(c));
 *   kiln_value_set(ctx, "n", note_value(&n, kiln_ctx_arena(c)));
 *   return kiln_page_render_block(c, "notes.html#row", ctx, 200);
 */
#ifndef KILN_PAGE_H
#define KILN_PAGE_H

#include "errors.h"
#include "tpl.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Answers the request with the page of its route re-rendered with status:
 * the template of the GET page at this path (pages/NAME.html for an
 * action in pages/NAME.c), its KILN_LOAD run first as for a GET, then the
 * entries of ctx (a map, or null) set over what the loader set, then form
 * (the submitted values, when the request carries a form; else the
 * loader's form stays) and errors (none) unless ctx has them. For an
 * HTMX request, only the targeted block. Returns 0 once answered (also
 * after a template error, which is logged and answered: the debug page in
 * development, else a 500), the loader's error, KILN_ENOTFOUND (logged)
 * when no page is routed for GET at this path, or KILN_EINVAL for a status
 * outside 200..599.
 */
int kiln_page_render(kiln_ctx *c, kiln_value ctx, int status);

/**
 * kiln_page_render with status 422 and errors from errs: the bound form.
 * Returns as kiln_page_render; KILN_EINVAL when errs holds no error.
 */
int kiln_page_invalid(kiln_ctx *c, const kiln_errors *errs);

/**
 * Answers the request with one block of a page, rendered with status and
 * the entries of ctx (a map, or null): "row" is block row of the action's
 * page (the page routed for GET at this path), "notes.html#row" block row
 * of page notes.html (its name below pages/), so an action at a path of
 * its own (POST /notes/{id}/pin) can answer a fragment of the list page.
 * The page's KILN_LOAD does not run: a fragment needs what ctx gives (one
 * row), not what the page loads (every row). form and form_values hold
 * the submitted fields and errors is empty, unless ctx has its own. The
 * block is rendered as kiln_tpl_render_block does, on its own: a block
 * inside a {% for %} needs `scoped` to see the loop's variable when the
 * whole page renders, and what it uses must be in the block (inline, an
 * {% include %}, or an {% import %} inside it), since a macro defined
 * elsewhere in the page is not run. The answer is text/html, for every
 * request (HTMX or not: a plain form's action redirects instead, see
 * kiln_redirect).
 *
 * Returns 0 once answered, also after a template error or a page without
 * that block (logged and answered: the debug page in development, else a
 * 500); KILN_ENOTFOUND (logged) when no page of that name, or no page at
 * this path, is routed for GET; KILN_EINVAL for a NULL or empty block name
 * or a status outside 200..599.
 */
int kiln_page_render_block(kiln_ctx *c, const char *block, kiln_value ctx,
                           int status);

#ifdef __cplusplus
}
#endif
#endif
