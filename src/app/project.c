/*
 * app/project.c - kiln_project_main: the run-time side of a generated
 * project. Settings in, routes and static mount registered, server run.
 */
#include "admin/admin.h"
#include "app/errpage.h"
#include "app/pages.h"
#include "app/project.h"
#include "audit/audit_impl.h"
#include "frontend/ssr.h"
#include "auth/auth_impl.h"
#include "auth/oidc.h"
#include "auth/session_impl.h"
#include "auth/perm.h"
#include "frontend/frontend.h"
#include "schema/body.h"
#include "schema/conform.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Set once before serving, read-only while serving. */
static const kiln_settings *g_settings;
static char g_root[PATH_MAX];
static const char *g_rate_by; /* rate.key: an endpoint's default rate_by */

const kiln_settings *kiln_project_settings(void)
{
    return g_settings;
}

/* Chooses the project folder: --root, $KILN_ROOT, build folder, cwd. */
static void choose_root(const kiln_project *p, const char *flag)
{
    const char *r = flag ? flag : getenv("KILN_ROOT");
    if (!r && !p->release && p->root)
        r = p->root;
    if (!r)
        r = ".";
    if (!realpath(r, g_root))
        snprintf(g_root, sizeof g_root, "%s", r);
}

/*
 * A route with an endpoint schema: its rate limit (named after its input)
 * and its cached responses first, then its input, then its handler.
 */
static int endpoint_serve(kiln_ctx *c)
{
    const kiln_route_def *d = kiln_route_data(c);
    const kiln_endpoint *ep = d->input;
    int rc;
    if (ep->auth && (rc = perm_need_require(c, ep->auth)) != 0)
        return rc > 0 ? 0 : rc; /* 401 or 403 answered */
    if (ep->rate) {
        rc = kiln_rate_limit(
            c, ep->name,
            kiln_rate_key(c, ep->rate_by ? ep->rate_by : g_rate_by));
        if (rc != 0)
            return rc > 0 ? 0 : rc; /* 429 or 503 answered */
    }
    if (ep->cache) {
        rc = kiln_cache_response(c, ep->cache);
        if (rc != 0)
            return rc > 0 ? 0 : rc; /* answered from the cache */
    }
    rc = schema_endpoint_input(c, d->input);
    if (rc == 1)
        return 0; /* answered: 404, 400, 413, 415 or 422 */
    if (rc < 0)
        return rc;
    if (schema_conform_on) /* development: the answer is checked */
        schema_conform_endpoint(c, ep);
    return d->handler(c);
}

/* Warns when the extended user's [api] is open to anybody because nothing
   closes it: no permissions = "..." in models/user.toml and no [roles] in
   kiln.toml (an explicit permissions = "public" is the app's choice). */
static void warn_public_users(const kiln_project *p)
{
    for (size_t i = 0; p->api_models && p->api_models[i]; i++) {
        const kiln_model *m = p->api_models[i];
        if (!(m->flags & KILN_MF_BUILTIN) || !m->api ||
            m->api->access != KILN_API_DEFAULT || perm_roles_declared())
            continue;
        kiln_log(KILN_LOG_WARN,
                 "%s: the user's [api] (/api/%s) is public: anybody may %s "
                 "users. Set permissions = \"authenticated\" or \"roles\" "
                 "in its [api], or declare [roles] in kiln.toml "
                 "(permissions = \"public\" keeps it open and silences this)",
                 m->file ? m->file : "models/user.toml", m->api->path,
                 (m->api->ops & (KILN_API_CREATE | KILN_API_UPDATE |
                                 KILN_API_PATCH | KILN_API_DELETE))
                     ? "list and change"
                     : "list");
    }
}

/* The auth = "..." of every endpoint schema, against the models and the
   roles of kiln.toml (the form was checked when it was built). */
static int check_route_auth(const kiln_project *p, char *err, size_t errlen)
{
    for (size_t i = 0; i < p->nroutes; i++) {
        const kiln_endpoint *ep = p->routes[i].input;
        char why[400];
        if (!ep || !ep->auth ||
            perm_need_check(ep->auth, p->models, why, sizeof why) == 0)
            continue;
        snprintf(err, errlen, "%s (%s %s): %s",
                 ep->file ? ep->file : p->routes[i].file, ep->method, ep->route,
                 why);
        return KILN_EINVAL;
    }
    return 0;
}

static int add_routes(kiln_app *app, const kiln_project *p)
{
    for (size_t i = 0; i < p->nroutes; i++) {
        const kiln_route_def *d = &p->routes[i];
        if (d->handler && d->input && d->input->rate &&
            kiln_rate_define(d->input->name, d->input->rate) != 0) {
            fprintf(stderr, "%s: bad rate \"%s\"\n", d->file, d->input->rate);
            return KILN_EINVAL;
        }
        /* a WebSocket (KILN_WS) answers GET; its handler does the upgrade */
        const char *m = strcmp(d->method, "WS") == 0 ? "GET" : d->method;
        int rc =
            d->handler && d->input
                ? kiln_route_with(app, m, d->pattern, endpoint_serve, (void *)d)
            : d->handler ? kiln_route(app, m, d->pattern, d->handler)
                         : kiln_route_with(app, m, d->pattern, pages_serve,
                                           (void *)d->page);
        if (rc == 0 && d->handler && d->input && d->input->csrf_exempt)
            rc = kiln_csrf_exempt(app, m, d->pattern);
        if (rc) {
            fprintf(stderr, "%s: cannot route %s %s: %s\n", d->file, d->method,
                    d->pattern, kiln_strerror(rc));
            return rc;
        }
    }
    return 0;
}

/* The route names, for kiln_url and the templates' url(). */
static int define_names(const kiln_project *p)
{
    for (size_t i = 0; i < p->nnames; i++) {
        int rc = kiln_url_define(p->names[i].name, p->names[i].pattern);
        if (rc) {
            fprintf(stderr, "route name '%s' (%s): %s\n", p->names[i].name,
                    p->names[i].pattern, kiln_strerror(rc));
            return rc;
        }
    }
    return 0;
}

static int mount_static(kiln_app *app, const kiln_project *p,
                        const kiln_settings *s, bool dev)
{
    kiln_static_opts so = {0};
    so.max_age = kiln_settings_int(s, "static.max_age");
    so.immutable_hashed = !dev;
    char dir[PATH_MAX];
    if (p->nstatics) {
        so.files = p->statics;
        so.nfiles = p->nstatics;
    } else {
        const char *d = kiln_settings_str(s, "static.dir");
        if (!d || !*d)
            return 0;
        int w = d[0] == '/'
                    ? snprintf(dir, sizeof dir, "%s", d)
                    : snprintf(dir, sizeof dir, "%.2048s/%.2000s", g_root, d);
        struct stat st;
        if (w < 0 || stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
            return 0; /* no static folder: nothing to serve */
        so.dir = dir;
    }
    const char *url = kiln_settings_str(s, "static.url");
    int rc = kiln_static_mount(app, url && *url ? url : "/static/", &so);
    if (rc)
        fprintf(stderr, "static.url '%s': cannot mount: %s\n", url,
                kiln_strerror(rc));
    return rc;
}

/* The single-page app: compiled in, else the folder frontend.spa names
 * (in the project), if any. */
static int mount_spa(kiln_app *app, const kiln_project *p,
                     const kiln_settings *s, bool dev)
{
    kiln_static_opts so = {.immutable_hashed = !dev};
    const char *d = kiln_settings_str(s, "frontend.spa");
    char dir[PATH_MAX];
    if (p->nspa) {
        so.files = p->spa;
        so.nfiles = p->nspa;
    } else if (!d || !*d) {
        return 0;
    } else {
        if (d[0] == '/')
            snprintf(dir, sizeof dir, "%s", d);
        else
            snprintf(dir, sizeof dir, "%.2048s/%.2000s", g_root, d);
        so.dir = dir;
    }
    const char *at = kiln_settings_str(s, "frontend.spa_url");
    if (!at || !*at)
        at = "/";
    if (at[0] != '/' || strpbrk(at, "{}\\?#") || strstr(at, "//")) {
        fprintf(stderr,
                "frontend.spa_url '%s': not a URL path prefix "
                "(\"/app/\")\n",
                at);
        return KILN_EINVAL;
    }
    int rc = kiln_static_spa_at(app, at, &so);
    if (rc == KILN_EINVAL && dev) { /* not built yet: serve the rest */
        kiln_log(KILN_LOG_WARN,
                 "frontend.spa '%s': not a folder with an index.html (build "
                 "the front end, then restart); serving without it",
                 so.dir ? so.dir : d);
        return 0;
    }
    if (rc)
        fprintf(stderr, "frontend.spa '%s': %s\n", so.dir ? so.dir : d,
                rc == KILN_EINVAL ? "not a folder with an index.html "
                                    "(build the front end first)"
                                  : kiln_strerror(rc));
    return rc;
}

/* The CORS policy of cors.* (none without cors.origins). */
static int set_cors(kiln_app *app, const kiln_settings *s)
{
    kiln_cors_opts o = {
        .origins = kiln_settings_str(s, "cors.origins"),
        .credentials = kiln_settings_bool(s, "cors.credentials"),
        .methods = kiln_settings_str(s, "cors.methods"),
        .headers = kiln_settings_str(s, "cors.headers"),
        .expose_headers = kiln_settings_str(s, "cors.expose_headers"),
        .max_age = (int)kiln_settings_int(s, "cors.max_age"),
    };
    char err[256];
    int rc = kiln_app_cors(app, &o, err, sizeof err);
    if (rc)
        fprintf(stderr, "error: %s\n",
                rc == KILN_EINVAL ? err : kiln_strerror(rc));
    return rc;
}

/*
 * The project's tasks/ and services/, run as the tasks.* settings and
 * [tasks.periodic] say. Returns 0, or an error with a message in err (a
 * periodic entry naming no task, a bad cron expression, a bad queue).
 */
static int add_tasks(kiln_app *app, const kiln_project *p,
                     const kiln_settings *s, char *err, size_t errlen)
{
    for (size_t i = 0; i < p->ntasks; i++) {
        const kiln_task_entry *t = &p->tasks[i];
        int rc = kiln_task_define(app, t->name, t->fn, t->def);
        if (rc) {
            snprintf(err, errlen, "%s: cannot define task %s: %s", t->file,
                     t->name,
                     rc == KILN_EINVAL ? "bad options (queue name?)"
                                       : kiln_strerror(rc));
            return rc;
        }
    }
    for (size_t i = 0; i < p->nservices; i++) {
        const kiln_service_entry *v = &p->services[i];
        int rc = kiln_service_define(app, v->name, v->fn, v->def);
        if (rc) {
            snprintf(err, errlen, "%s: cannot define service %s: %s", v->file,
                     v->name,
                     rc == KILN_EINVAL ? "bad options" : kiln_strerror(rc));
            return rc;
        }
    }
    kiln_tasks_opts o;
    kiln_tasks_opts_default(&o);
    kiln_settings_tasks_opts(s, &o);
    if (!p->ntasks && !p->nservices && !o.nperiodic)
        return 0;
    return kiln_app_tasks(app, &o, err, errlen);
}

static int log_level(const char *name)
{
    static const struct {
        const char *name;
        int level;
    } levels[] = {{"error", KILN_LOG_ERROR},
                  {"warn", KILN_LOG_WARN},
                  {"info", KILN_LOG_INFO},
                  {"debug", KILN_LOG_DEBUG}};
    for (size_t i = 0; name && i < sizeof levels / sizeof levels[0]; i++)
        if (strcmp(name, levels[i].name) == 0)
            return levels[i].level;
    return KILN_LOG_INFO;
}

/*
 * The pool for database.url; a relative SQLite path is taken from the
 * project folder (sqlite://./app.db is <root>/app.db wherever the binary
 * runs). NULL with err filled.
 */
static kiln_db_pool *open_database(const kiln_settings *s, char *err,
                                   size_t errlen)
{
    const char *url = kiln_settings_str(s, "database.url");
    int pool = (int)kiln_settings_int(s, "database.pool");
    if (!url || !*url) {
        snprintf(err, errlen, "database.url is empty");
        return NULL;
    }
    char buf[PATH_MAX + 64];
    if (kiln_db_url_in(url, g_root, buf, sizeof buf) != 0) {
        snprintf(err, errlen, "database.url is too long");
        return NULL;
    }
    url = buf;
    char e[512];
    kiln_db_pool *db = kiln_db_pool_new(url, pool, e, sizeof e);
    if (!db)
        snprintf(err, errlen, "database.url: %s", e);
    return db;
}

/* The app's cache and rate limiter from cache.*, rate.* and redis.*
   (nothing connects yet). NULL with err filled. */
static kiln_cache *open_cache(const kiln_settings *s, char *err, size_t errlen)
{
    const char *rb = kiln_settings_str(s, "rate.backend");
    g_rate_by = kiln_settings_str(s, "rate.key");
    if (!kiln_rate_by_ok(g_rate_by)) {
        snprintf(err, errlen,
                 "rate.key '%s' is not ip, token, user, header:NAME or "
                 "cookie:NAME",
                 g_rate_by);
        return NULL;
    }
    kiln_cache_opts o = {
        .backend = kiln_settings_str(s, "cache.backend"),
        .max_bytes = kiln_settings_int(s, "cache.max_bytes"),
        .rate_backend = rb && *rb ? rb : NULL,
        .rate_max_bytes = kiln_settings_int(s, "rate.max_bytes"),
        .rate_fail_open = kiln_settings_bool(s, "rate.fail_open"),
        .prefix = kiln_settings_str(s, "cache.prefix"),
        .redis_url = kiln_settings_str(s, "redis.url"),
        .redis_pool = (int)kiln_settings_int(s, "redis.pool"),
        .redis_connect_timeout_ms =
            (int)kiln_settings_int(s, "redis.connect_timeout_ms"),
        .redis_timeout_ms = (int)kiln_settings_int(s, "redis.timeout_ms"),
    };
    return kiln_cache_new(&o, err, errlen);
}

void project_pubsub_opts(const kiln_settings *s, const char *root,
                         kiln_pubsub_opts *o, char *buf, size_t bufn)
{
    const char *backend = kiln_settings_str(s, "pubsub.backend");
    const char *url = kiln_settings_str(s, "pubsub.url");
    if (!url || !*url) {
        if (backend && strcmp(backend, "redis") == 0)
            url = kiln_settings_str(s, "redis.url");
        else if (backend && strcmp(backend, "postgres") == 0) {
            url = kiln_settings_str(s, "database.url");
            if (url && kiln_db_url_in(url, root, buf, bufn) == 0)
                url = buf;
        }
    }
    *o = (kiln_pubsub_opts){
        .backend = backend,
        .url = url,
        .channel = kiln_settings_str(s, "pubsub.channel"),
        .queue = (int)kiln_settings_int(s, "pubsub.queue"),
        .max_message = kiln_settings_int(s, "pubsub.max_message"),
        .backlog = (int)kiln_settings_int(s, "pubsub.backlog"),
        .timeout_ms = (int)kiln_settings_int(s, "pubsub.timeout_ms"),
    };
}

/* The app's pub/sub from pubsub.*. NULL with err filled. */
static kiln_pubsub *open_pubsub(const kiln_settings *s, char *err,
                                size_t errlen)
{
    char buf[PATH_MAX + 64];
    kiln_pubsub_opts o;
    project_pubsub_opts(s, g_root, &o, buf, sizeof buf);
    return kiln_pubsub_new(&o, err, errlen);
}

/* The migrations of the project folder (NNNN_name.sql or .toml). */
static int count_migrations(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        bool sql = len > 4 && strcmp(e->d_name + len - 4, ".sql") == 0;
        bool toml = len > 5 && strcmp(e->d_name + len - 5, ".toml") == 0;
        n += (sql || toml) && isdigit((unsigned char)e->d_name[0]);
    }
    closedir(d);
    return n;
}

/*
 * A project with migrations whose database has not had them all: said at
 * start, not discovered as a 500 on the first request (a release binary
 * run from another folder opens another SQLite file). Reads only; never
 * creates the database.
 */
static void check_migrated(const kiln_project *p, const kiln_settings *s)
{
    char dir[PATH_MAX + 16], url[PATH_MAX + 64], err[256];
    snprintf(dir, sizeof dir, "%s/migrations", g_root);
    int files = count_migrations(dir);
    if (files < p->nmigrations)
        files = p->nmigrations; /* run away from its project folder */
    const char *setting = kiln_settings_str(s, "database.url");
    if (files <= 0 || !setting ||
        kiln_db_url_in(setting, g_root, url, sizeof url) != 0)
        return;
    if (strncmp(url, "sqlite://", 9) == 0 && url[9] == '/' &&
        access(url + 9, F_OK) != 0) {
        kiln_log(KILN_LOG_WARN,
                 "the database %s does not exist yet: run `kiln migrate` in "
                 "%s (or start the app with --root pointing at its project)",
                 url + 9, g_root);
        return;
    }
    kiln_dbc *db = kiln_dbc_open(url, err, sizeof err);
    if (!db)
        return; /* unreachable now: the pool says so when it is used */
    int64_t applied = 0;
    if (kiln_db_scalar_int(db, &applied,
                           "SELECT count(*) FROM kiln_migrations") != 0)
        applied = -1;
    kiln_dbc_close(db);
    if (applied < files)
        kiln_log(KILN_LOG_WARN,
                 "%lld of the app's %d migrations are applied to the "
                 "database %s: run `kiln migrate` (in %s: is it the app's "
                 "project folder? --root names it)",
                 (long long)(applied < 0 ? 0 : applied), files, url, g_root);
}

int project_open(const kiln_project *p, int argc, char **argv, bool test,
                 project_run *r)
{
    memset(r, 0, sizeof *r);
    bool dev = test; /* tests run with the development settings */
    const char *root = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--dev") == 0)
            dev = true;
        else if (strcmp(argv[i], "--root") == 0 && i + 1 < argc)
            root = argv[++i];
        else if (strncmp(argv[i], "--root=", 7) == 0)
            root = argv[i] + 7;
    }
    r->dev = dev;
    schema_conform_on = dev; /* responses checked against their schemas */
    choose_root(p, root);
    kiln_settings_in in = {
        .root = g_root, .dev = dev, .argc = argc, .argv = argv};
    char err[1024];
    int rc = kiln_settings_load(&in, &r->s, err, sizeof err);
    if (rc == 1) {
        printf("  --dev                   development mode (.env, debug, "
               "generated secret key)\n"
               "  --root DIR              the project folder\n");
        return -1;
    }
    if (rc < 0) {
        fprintf(stderr, "error: %s\n", err);
        return 2;
    }
    kiln_settings *s = r->s;
    if (!dev && kiln_settings_check_production(s, err, sizeof err) != 0) {
        fprintf(stderr, "error: %s\n", err);
        kiln_settings_free(s);
        r->s = NULL;
        return 2;
    }
    kiln_log_set_level(log_level(kiln_settings_str(s, "logging.level")));
    g_settings = s;
    const kiln_role *roles;
    size_t nroles = kiln_settings_roles(s, &roles);
    if (perm_init(roles, nroles, p->models ? p->models : p->api_models, err,
                  sizeof err) != 0 ||
        check_route_auth(p, err, sizeof err) != 0) {
        fprintf(stderr, "error: %s\n", err);
        perm_clear();
        g_settings = NULL;
        kiln_settings_free(s);
        r->s = NULL;
        return 2;
    }
    warn_public_users(p);
    r->app = kiln_app_new();
    /* the security headers first: static files leave out those it sends */
    if (r->app && auth_configure(r->app, s, err, sizeof err) != 0)
        goto fail_early;
    if (!r->app || add_routes(r->app, p) ||
        kiln_api_register(r->app, p->api_models, p->routes, p->nroutes) ||
        auth_register(r->app, p->routes, p->nroutes) || define_names(p) ||
        app_url_define_kiln() || mount_static(r->app, p, s, dev) ||
        mount_spa(r->app, p, s, dev) || set_cors(r->app, s)) {
        rc = r->app ? 2 : 1;
        project_close(r);
        return rc;
    }
    errpage_init(p, s, dev, g_root);
    kiln_app_set_error_page(r->app, errpage_answer, NULL);
    kiln_app_capture_log(r->app, errpage_debugging());
    r->pages = true;
    if (frontend_init(s, dev, g_root, err, sizeof err) != 0 ||
        pages_init(p, s, dev, g_root, err, sizeof err) != 0)
        goto fail;
    if (!test) {
        if (!(r->db = open_database(s, err, sizeof err)))
            goto fail;
        kiln_db_set_default(r->db);
        check_migrated(p, s);
        if (audit_retention_start(s, g_root, err, sizeof err) != 0)
            goto fail;
    }
    if (add_tasks(r->app, p, s, err, sizeof err) != 0)
        goto fail;
    if (admin_mount(r->app, p, s, g_root, err, sizeof err) != 0)
        goto fail;
    if (oidc_setup(r->app, s, err, sizeof err) != 0)
        goto fail;
    if (test)
        return 0; /* the test runner opens the rest for each test */
    if (!(r->cache = open_cache(s, err, sizeof err)))
        goto fail;
    kiln_cache_set_default(r->cache);
    if (!(r->ps = open_pubsub(s, err, sizeof err)))
        goto fail;
    kiln_pubsub_set_default(r->ps);
    if (ssr_start(s, g_root, err, sizeof err) != 0)
        goto fail;
    return 0;
fail:
    fprintf(stderr, "error: %s\n", err);
    project_close(r);
    return 2;
fail_early: /* before the pages were set up */
    fprintf(stderr, "error: %s\n", err);
    kiln_app_free(r->app);
    r->app = NULL;
    kiln_settings_free(s);
    g_settings = NULL;
    r->s = NULL;
    return 2;
}

void project_close(project_run *r)
{
    audit_retention_stop();
    ssr_stop();
    kiln_pubsub_set_default(NULL);
    kiln_pubsub_free(r->ps);
    kiln_cache_set_default(NULL);
    kiln_cache_free(r->cache);
    kiln_db_set_default(NULL);
    kiln_db_pool_free(r->db);
    if (r->pages)
        pages_free();
    admin_unmount();
    frontend_close();
    kiln_app_free(r->app);
    kiln_url_clear();
    perm_clear();
    g_settings = NULL;
    kiln_settings_free(r->s);
    memset(r, 0, sizeof *r);
}

const char *project_root(void)
{
    return g_root;
}

kiln_cache *project_cache_open(const kiln_settings *s, char *err, size_t errlen)
{
    return open_cache(s, err, errlen);
}

int kiln_project_main(const kiln_project *p, int argc, char **argv)
{
    project_run r;
    int rc = project_open(p, argc, argv, false, &r);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    kiln_server_opts o;
    kiln_server_opts_default(&o);
    kiln_settings_server_opts(r.s, &o);
    const char *name = kiln_settings_str(r.s, "app.name");
    kiln_log(
        KILN_LOG_INFO, "%s (%s, %zu routes, %zu tasks, %zu services) in %s",
        name && *name ? name : p->name, r.dev ? "development" : "production",
        p->nroutes, p->ntasks, p->nservices, g_root);
    rc = kiln_serve(r.app, &o) == 0 ? 0 : 1;
    project_close(&r);
    return rc;
}
