/*
 * kiln/project.h - what the main() that `kiln` generates for a project
 * calls. An author does not write this: `kiln dev` and `kiln build` scan
 * api/ and pages/, write a route table (.kiln/<mode>/gen/routes.c) made of
 * kiln_route_def rows, and link it with the author's files and libkiln.
 */
#ifndef KILN_PROJECT_H
#define KILN_PROJECT_H

#include "config.h"
#include "schema.h"
#include "static.h"
#include "tasks.h"
#include "tpl.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * A template file: a page under pages/ (a route) or a file of templates/;
 * or a React page (pages/NAME.tsx, a file ending ".tsx": never compiled
 * as a template, rendered by the SSR sidecar, docs/frontend.md).
 * In a release build the table of kiln_project.templates holds every one,
 * compiled in; a development build reads them from the project folder.
 */
typedef struct kiln_page {
    const char *file;          /**< "pages/about.html", relative to root */
    const unsigned char *data; /**< compiled-in contents, or NULL: read the
                                    file from the project folder */
    size_t len;
    int64_t mtime;    /**< of the compiled-in file (seconds) */
    const char *name; /**< the template name: the path below pages/ or
                           templates/ ("posts/[id].html") */
    /** the page's KILN_LOAD (pages/NAME.c), or NULL */
    int (*load)(kiln_ctx *c, kiln_value ctx);
} kiln_page;

/** One route of the table: a handler, or a page. */
typedef struct kiln_route_def {
    const char *method;    /**< "GET", "POST", ..., or "WS": a WebSocket
                                (KILN_WS), routed as GET */
    const char *pattern;   /**< "/api/posts/{id}" */
    kiln_handler handler;  /**< NULL for a page */
    const kiln_page *page; /**< the page served when handler is NULL */
    const char *file;      /**< the file it came from, for messages */
    /** the route's endpoint schema (api/NAME.toml), or NULL: its input is
        decoded and validated before handler runs */
    const kiln_endpoint *input;
} kiln_route_def;

/** A task of the project: tasks/NAME.c (KILN_TASK). */
typedef struct kiln_task_entry {
    const char *name; /**< "email/welcome": its path below tasks/ */
    kiln_task_fn fn;
    const kiln_task_def *def; /**< the options of its KILN_TASK */
    const char *file;         /**< "tasks/email/welcome.c", for messages */
} kiln_task_entry;

/** A service of the project: services/NAME.c (KILN_SERVICE). */
typedef struct kiln_service_entry {
    const char *name; /**< its path below services/ */
    kiln_service_fn fn;
    const kiln_service_def *def;
    const char *file;
} kiln_service_entry;

/** A route name and the path it builds (kiln/url.h). */
typedef struct kiln_route_name {
    const char *name;    /**< "api.posts.id", "listTasks" */
    const char *pattern; /**< "/api/posts/{id}" */
} kiln_route_name;

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
    /** the single-page app (frontend.spa) compiled in, or NULL: then the
        folder frontend.spa names is served, if any */
    const kiln_static_file *spa;
    size_t nspa;
    const kiln_page *templates; /**< release: pages/ and templates/ files,
                                     compiled in (templates/ first) */
    size_t ntemplates;
    /** the migrations the project had when it was built: a start whose
        database has fewer applied is warned about */
    int nmigrations;
    const kiln_task_entry *tasks; /**< tasks/, or NULL */
    size_t ntasks;
    const kiln_service_entry *services; /**< services/, or NULL */
    size_t nservices;
    /** every route name (files' and generated routes'), defined with
        kiln_url_define before serving; or NULL */
    const kiln_route_name *names;
    size_t nnames;
    /** the models with an [api] table, NULL-terminated (models.c's
        kiln_api_models), or NULL: their CRUD routes (kiln/api.h) */
    const kiln_model *const *api_models;
    /** every model of models/, NULL-terminated (models.c's kiln_models),
        or NULL: what the roles of kiln.toml are checked against */
    const kiln_model *const *models;
} kiln_project;

/**
 * Runs a project: reads its settings (kiln/config.h; flags from argv, plus
 * --dev for development and --root DIR for the project folder, else
 * $KILN_ROOT, else the folder it was built in for a development build,
 * else the current folder), refuses a production start without a proper
 * secret key, routes the table, mounts static files at static.url and the
 * single-page app of frontend.spa (kiln_static_spa), sets the [cors]
 * policy (kiln_app_cors), defines its tasks and services with the
 * tasks.* settings and [tasks.periodic], and serves until SIGTERM/SIGINT
 * (with --tasks, tasks.only: no listener, tasks and services only).
 * Returns the process exit status (0, 1 when the server could not start,
 * 2 for bad settings or flags).
 */
int kiln_project_main(const kiln_project *p, int argc, char **argv);

/**
 * The source a page is compiled from: a page of pages/ (a name whose last
 * segment does not start with '_') that neither {% extends %} anything nor
 * is a whole document (<!DOCTYPE or <html first) becomes the content block
 * of pages/_layout.html, when has_layout; so do the error pages
 * _404.html, _500.html and _error.html. The file's last newline is moved
 * after the wrapping, where a set drops it as a source's last newline, so
 * the block ends where a Jinja2 file would. Returns a malloc'd copy (with
 * the wrapping, on the first line) and its length in *outn, or NULL;
 * *shift is the number of bytes the wrapping put before the first line
 * (0: none).
 */
char *kiln_page_source(const char *name, const char *src, size_t n,
                       bool has_layout, size_t *outn, size_t *shift);

/**
 * Rewrites te (an error in the page compiled from kiln_page_source) to
 * point into the author's file: the column of line 1 less shift, and the
 * report's source line and caret taken from src (the file as written).
 * Errors in other templates are left alone.
 */
void kiln_page_error(kiln_tpl_error *te, const char *name, const char *src,
                     size_t n, size_t shift);

/**
 * Fills o with the template options a project's settings give: undefined
 * from templates.strict, trim_blocks and lstrip_blocks from
 * templates.trim_blocks and templates.lstrip_blocks; url() building
 * paths from the route names (kiln_url_tpl, kiln/url.h); the rest zero
 * (every other default, Jinja2's). The server's pages and `kiln render` use it,
 * so both render alike.
 */
void kiln_project_tpl_options(const kiln_settings *s, kiln_tpl_options *o);

/** The settings of the running project (NULL outside kiln_project_main).
    Read-only; handlers may read app-specific keys such as "extra.x". */
const kiln_settings *kiln_project_settings(void);

#ifdef __cplusplus
}
#endif
#endif
