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

#endif
