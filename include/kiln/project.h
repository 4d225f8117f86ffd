/*
 * kiln/project.h - what the main() that `kiln` generates for a project
 * calls. An author does not write this: `kiln dev` and `kiln build` scan
 * api/ and pages/, write a route table (.kiln/<mode>/gen/routes.c) made of
 * kiln_route_def rows, and link it with the author's files and libkiln.
 */
#ifndef KILN_PROJECT_H
#define KILN_PROJECT_H

#include "config.h"
#include "static.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A page under pages/, served as it is (templates arrive later). */
typedef struct kiln_page {
    const char *file;          /**< "pages/about.html", relative to root */
    const unsigned char *data; /**< compiled-in contents, or NULL: read the
                                    file from the project folder */
    size_t len;
    int64_t mtime; /**< of the compiled-in file (seconds) */
} kiln_page;

/** One route of the table: a handler, or a page. */
typedef struct kiln_route_def {
    const char *method;    /**< "GET", "POST", ... */
    const char *pattern;   /**< "/api/posts/{id}" */
    kiln_handler handler;  /**< NULL for a page */
    const kiln_page *page; /**< the page served when handler is NULL */
    const char *file;      /**< the file it came from, for messages */
} kiln_route_def;

/** A generated project: its name, routes and compiled-in files. */
typedef struct kiln_project {
    const char *name; /**< app.name default: the project folder's name */
    const char *root; /**< the project folder when it was built; used by a
                           development build only */
    bool release;     /**< built by `kiln build` */
    const kiln_route_def *routes;
    size_t nroutes;
    const kiln_static_file *statics; /**< static/ compiled in, or NULL */
    size_t nstatics;
} kiln_project;

/**
 * Runs a project: reads its settings (kiln/config.h; flags from argv, plus
 * --dev for development and --root DIR for the project folder, else
 * $KILN_ROOT, else the folder it was built in for a development build,
 * else the current folder), refuses a production start without a proper
 * secret key, routes the table, mounts static files at static.url and
 * serves until SIGTERM/SIGINT. Returns the process exit status (0, 1 when
 * the server could not start, 2 for bad settings or flags).
 */
int kiln_project_main(const kiln_project *p, int argc, char **argv);

/** The settings of the running project (NULL outside kiln_project_main).
    Read-only; handlers may read app-specific keys such as "extra.x". */
const kiln_settings *kiln_project_settings(void);

#ifdef __cplusplus
}
#endif
#endif
