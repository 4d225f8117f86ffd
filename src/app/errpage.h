/*
 * app/errpage.h - error pages for browsers (errpage.c), for project.c and
 * pages.c: the project's kiln_error_page, and the development debug page.
 */
#ifndef KILN_APP_ERRPAGE_H
#define KILN_APP_ERRPAGE_H

#include <kiln.h>

/**
 * Prepares the error pages of project p, running from root: the debug page
 * replaces them when dev and app.debug are both on (settings s). p, s and
 * root must outlive the server. Then kiln_app_set_error_page(app,
 * errpage_answer, NULL) and kiln_app_capture_log(app, errpage_debugging())
 * install them.
 */
void errpage_init(const kiln_project *p, const kiln_settings *s, bool dev,
                  const char *root);

/** True when errors get the development debug page. */
bool errpage_debugging(void);

/**
 * The project's kiln_error_page: for a request outside /api/ whose Accept
 * prefers HTML (http/accept.h), a 4xx or 5xx answered as an HTML page:
 * the debug page in development; else pages/_404.html (404),
 * pages/_500.html (500) or pages/_error.html (the rest, and the other two
 * when absent), rendered with status, title, detail, request_id and path;
 * else, or when that page fails to render (logged), a built-in page.
 * Other requests keep problem+json; outside /api/ they get "Vary: Accept".
 */
void errpage_answer(kiln_ctx *c, int status, const char *detail, void *data);

/**
 * Answers c with the debug page (status, detail), for every client: the
 * request with its headers (credentials masked), the log lines of the
 * request, the route and the handler's source position; report (may be
 * NULL) is a template error's "file:line:col: message" report shown first.
 * Development only (errpage_debugging()). Returns what kiln_respond
 * returns.
 */
int errpage_debug(kiln_ctx *c, int status, const char *detail,
                  const char *report);

#endif
