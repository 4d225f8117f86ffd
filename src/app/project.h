/*
 * app/project.h - the start of a generated project, shared by
 * kiln_project_main (serving) and kiln_project_test_main (app/testing.c).
 */
#ifndef KILN_APP_PROJECT_H
#define KILN_APP_PROJECT_H

#include <kiln.h>

/** What project_open set up; every field owned by it until project_close. */
typedef struct project_run {
    kiln_settings *s;
    kiln_app *app;     /* routes, static mount, error pages, tasks */
    kiln_db_pool *db;  /* the default pool (NULL for tests) */
    kiln_cache *cache; /* the default cache (NULL for tests) */
    kiln_pubsub *ps;   /* the default pub/sub (NULL for tests) */
    bool dev;          /* development settings */
    bool pages;        /* pages_init ran: pages_free is owed */
} project_run;

/**
 * Loads the settings of project p (argv: the app's flags, --dev, --root)
 * and sets up its app into r: routes, static files, error pages, pages,
 * tasks, and (unless test) the default database pool, cache and pub/sub.
 * test: development settings, and no database, cache or pub/sub (the test
 * runner opens them for each test). Returns 0, -1 when --help printed the
 * usage (exit 0), or the exit status of a failure printed on stderr (r is
 * then closed).
 */
int project_open(const kiln_project *p, int argc, char **argv, bool test,
                 project_run *r);
/** Frees what project_open set up and clears the defaults it set. */
void project_close(project_run *r);
/** The project folder project_open chose (absolute when it exists). */
const char *project_root(void);
/** The app's cache and rate limiter from cache.*, rate.* and redis.* of s
    (nothing connects yet). Owned by the caller; NULL with err filled. */
kiln_cache *project_cache_open(const kiln_settings *s, char *err,
                               size_t errlen);

/**
 * The pub/sub options of settings s (pubsub.*; the URL defaulting to
 * redis.url for Redis, database.url for PostgreSQL, a relative path of
 * it resolved in root; buf, bufn bytes, may hold it). The strings point
 * into s or buf.
 */
void project_pubsub_opts(const kiln_settings *s, const char *root,
                         kiln_pubsub_opts *o, char *buf, size_t bufn);

/**
 * Names Kiln's own routes in the route-name table (kiln_url, the
 * templates' url()): "login", "logout", "api.auth.login",
 * "api.auth.logout", "api.auth.me", "api.auth.tokens", "api.auth.tokens.id"
 * and the OIDC flow's "auth.oidc.login", "auth.oidc.callback",
 * "auth.oidc.logout". Call after the app's names: a name the app already
 * gives another path keeps the app's. Defined in url.c. Returns 0 or
 * KILN_ENOMEM.
 */
int app_url_define_kiln(void);

#endif
