/*
 * cli/cmds.c - the short commands: build, run, routes, config, and the
 * hidden __errpage that `kiln dev` runs while the app does not build.
 */
#include "cli.h"

#include "auth/auth_impl.h"

#include "api/api_impl.h"
#include "model/model.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- kiln build ------------------------------------------------------------
 */

static const char build_help[] =
    "usage: kiln build [--embed-static]\n\n"
    "Builds an optimised release binary into dist/<name>: the route table,\n"
    "the api/ handlers, and the pages compiled in. With --embed-static, the\n"
    "files of static/ and the single-page app of frontend.spa are compiled\n"
    "in too, so the binary needs nothing but its settings. Run it with 'kiln "
    "run' or directly; in production it\n"
    "needs app.secret_key (KILN_APP_SECRET_KEY).\n\n"
    "A front end comes first: the TypeScript client is written into "
    "types.out\n"
    "(when set), and when frontend/package.json has a build script, `npm "
    "ci`\n"
    "(if frontend/node_modules is missing) and `npm run build` run in\n"
    "frontend/; the single-page app of frontend.spa is then compiled in.\n";

int cmd_build(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(build_help, stdout);
        return 0;
    }
    cli_build_opts o = {.release = true, .color = isatty(2)};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--embed-static") == 0)
            o.embed_static = true;
        else
            return cli_unknown_option(argv[i]);
    }
    char root[PATH_MAX];
    if (cli_find_root(root))
        return 1;
    /* the front end first: its TypeScript client, then its own build */
    kiln_buf tlog;
    kiln_buf_init(&tlog);
    int trc = cli_types_write(root, &tlog);
    if (trc != 0)
        cli_fail("%.*s", tlog.n ? (int)tlog.n - 1 : 0, tlog.p ? tlog.p : "");
    kiln_buf_deinit(&tlog);
    bool front = false;
    if (trc != 0 || cli_frontend_build(root, &front) != 0)
        return cli_fail("the build failed (errors above)");
    char spa[PATH_MAX] = "";
    if (o.embed_static || front) { /* the single-page app goes in */
        kiln_settings_in in = {.root = root};
        kiln_settings *st = NULL;
        char err[512];
        if (kiln_settings_load(&in, &st, err, sizeof err) == 0) {
            const char *d = kiln_settings_str(st, "frontend.spa");
            snprintf(spa, sizeof spa, "%s", d ? d : "");
            kiln_settings_free(st);
        }
        o.spa_dir = spa;
    }
    cli_progress("building %s (release)...", root);
    cli_build_result r;
    int rc = cli_build(root, &o, &r);
    if (rc == 0) {
        char size[32] = "size unknown";
        if (r.size >= 0)
            snprintf(size, sizeof size, "%lld KiB", (r.size + 1023) / 1024);
        printf("built %s (%d file%s compiled; %s; debug information in "
               "%s.debug)\n",
               r.binary, r.ncompiled, r.ncompiled == 1 ? "" : "s", size,
               r.binary);
    } else
        cli_fail("the build failed (errors above)");
    cli_build_result_free(&r);
    return rc ? 1 : 0;
}

/* ---- kiln run --------------------------------------------------------------
 */

static const char run_help[] =
    "usage: kiln run [--port N] [app flags...]\n\n"
    "Runs the release binary built by 'kiln build' (dist/<name>) in the\n"
    "project folder, in production mode. Flags go to the app: --port,\n"
    "--host, --workers, --set section.key=VALUE, ... ('kiln run --help').\n";

int cmd_run(int argc, char **argv)
{
    if (cli_wants_help(argc, argv) && access("kiln.toml", F_OK) != 0) {
        fputs(run_help, stdout);
        return 0;
    }
    if (!cli_wants_help(argc, argv)) {
        int rc = cli_check_app_flags(argc, argv);
        if (rc)
            return rc < 0 ? 0 : rc;
    }
    char root[PATH_MAX];
    if (cli_find_root(root) || cli_check_project(root))
        return 1;
    char name[128], bin[PATH_MAX * 2];
    cli_project_name(root, name, sizeof name);
    snprintf(bin, sizeof bin, "%s/dist/%s", root, name);
    if (access(bin, X_OK) != 0) {
        if (cli_wants_help(argc, argv)) {
            fputs(run_help, stdout);
            return 0;
        }
        return cli_fail("no release build at dist/%s: run 'kiln build' first",
                        name);
    }
    if (cli_wants_help(argc, argv))
        fputs(run_help, stdout);
    char **av = calloc((size_t)argc + 4, sizeof(char *));
    if (!av)
        return cli_fail("out of memory");
    av[0] = bin;
    av[1] = "--root";
    av[2] = root;
    for (int i = 1; i < argc; i++)
        av[2 + i] = argv[i];
    execv(bin, av);
    free(av);
    return cli_fail("cannot run %s: %s", bin, strerror(errno));
}

/* ---- kiln routes -----------------------------------------------------------
 */

static const char routes_help[] =
    "usage: kiln routes\n\n"
    "Prints the route table that api/, ws/ and pages/ make: method, path,\n"
    "name (for url() in templates and url_NAME() in C) and file (a\n"
    "WebSocket's method is WS); then the CRUD routes generated for models\n"
    "with an [api] table, named by their operationIds, with the file that\n"
    "overrides one, if one does.\n"
    "Exits with 1 and the reasons when a file breaks the routing rules or\n"
    "two files claim the same route.\n";

int cmd_routes(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(routes_help, stdout);
        return 0;
    }
    if (argc > 1)
        return cli_unknown_option(argv[1]);
    char root[PATH_MAX];
    if (cli_find_root(root) || cli_check_project(root))
        return 1;
    cli_scan s;
    cli_scan_project(root, &s);
    if (s.errors.n) {
        cli_scan_report(&s);
        cli_scan_free(&s);
        return 1;
    }
    /* the CRUD routes of models with [api] (docs/api.md) */
    model_set ms;
    model_set_init(&ms);
    kiln_buf merr;
    kiln_buf_init(&merr);
    if (model_load_dir(&ms, root, &merr) != 0) {
        fputs(merr.p ? merr.p : "models/: cannot load\n", stderr);
        kiln_buf_deinit(&merr);
        model_set_free(&ms);
        cli_scan_free(&s);
        return 1;
    }
    kiln_buf_deinit(&merr);
    size_t w = 4, nw = 4;
    for (size_t i = 0; i < s.nroutes; i++) {
        if (strlen(s.routes[i].pattern) > w)
            w = strlen(s.routes[i].pattern);
        if (s.routes[i].name && strlen(s.routes[i].name) > nw)
            nw = strlen(s.routes[i].name);
    }
    for (size_t i = 0; i < ms.n; i++) {
        api_route rs[API_NOPS];
        size_t n = api_routes(ms.models[i], rs);
        for (size_t k = 0; k < n; k++) {
            if (strlen(rs[k].pattern) > w)
                w = strlen(rs[k].pattern);
            if (strlen(rs[k].name) > nw)
                nw = strlen(rs[k].name);
        }
    }
    for (size_t i = 0; i < auth_nroutes; i++) {
        if (strlen(auth_routes[i].pattern) > w)
            w = strlen(auth_routes[i].pattern);
        if (strlen(auth_routes[i].name) > nw)
            nw = strlen(auth_routes[i].name);
    }
    printf("%-7s %-*s %-*s %s\n", "METHOD", (int)w, "PATH", (int)nw, "NAME",
           "FILE");
    for (size_t i = 0; i < s.nroutes; i++)
        printf("%-7s %-*s %-*s %s\n", s.routes[i].method, (int)w,
               s.routes[i].pattern, (int)nw,
               s.routes[i].name ? s.routes[i].name : "-", s.routes[i].file);
    for (size_t i = 0; i < ms.n; i++) {
        api_route rs[API_NOPS];
        size_t n = api_routes(ms.models[i], rs);
        for (size_t k = 0; k < n; k++) {
            const char *by = NULL;
            for (size_t j = 0; j < s.nroutes && !by; j++) {
                const char *meth = strcmp(s.routes[j].method, "WS") == 0
                                       ? "GET"
                                       : s.routes[j].method;
                if (strcmp(meth, rs[k].method) == 0 &&
                    api_same_shape(s.routes[j].pattern, rs[k].pattern))
                    by = s.routes[j].file;
            }
            printf("%-7s %-*s %-*s %s (generated%s%s)\n", rs[k].method, (int)w,
                   rs[k].pattern, (int)nw, rs[k].name, ms.models[i]->file,
                   by ? ", overridden by " : "", by ? by : "");
        }
    }
    model_set_free(&ms);
    /* Kiln's own: login, logout, the current user, API tokens
       (docs/auth.md); an app's route of the same method and path wins */
    for (size_t i = 0; i < auth_nroutes; i++) {
        const auth_route *r = &auth_routes[i];
        const char *by = NULL;
        for (size_t j = 0; j < s.nroutes && !by; j++)
            if (strcmp(s.routes[j].method, r->method) == 0 &&
                strcmp(s.routes[j].pattern, r->pattern) == 0)
                by = s.routes[j].file;
        printf("%-7s %-*s %-*s (kiln auth%s%s)\n", r->method, (int)w,
               r->pattern, (int)nw, r->name, by ? ", overridden by " : "",
               by ? by : "");
    }
    char name[128];
    cli_project_name(root, name, sizeof name);
    kiln_settings_in in = {.root = root}; /* no .env, no key generated */
    kiln_settings *st = NULL;
    char err[512];
    if (kiln_settings_load(&in, &st, err, sizeof err) == 0) {
        const char *url = kiln_settings_str(st, "static.url");
        const char *dir = kiln_settings_str(st, "static.dir");
        char sdir[PATH_MAX * 2];
        snprintf(sdir, sizeof sdir, "%s/%s", root, dir ? dir : "static");
        if (cli_is_dir(sdir))
            printf("%-7s %-*s %-*s %s/ (static files)\n", "GET", (int)w,
                   url ? url : "/static/", (int)nw, "-", dir ? dir : "static");
        kiln_settings_free(st);
    }
    if (!s.nroutes)
        fprintf(stderr, "(no routes: add api/*.c or pages/*.html)\n");
    cli_scan_free(&s);
    return 0;
}

/* ---- kiln config -----------------------------------------------------------
 */

static const char config_help[] =
    "usage: kiln config [--prod] [settings flags...]\n\n"
    "Prints every setting with its effective value and where it came from:\n"
    "defaults < kiln.toml < .env (development) < environment (KILN_<SECTION>_"
    "<KEY>)\n< flags. Secrets are masked. --prod shows what a production run "
    "gets\n(no .env, no generated secret key) and checks it. Flags are the "
    "app's:\n--port, --host, --set section.key=VALUE, ...\n";

int cmd_config(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(config_help, stdout);
        kiln_settings_usage(stdout);
        return 0;
    }
    bool prod;
    char root[PATH_MAX], err[1024];
    kiln_settings *s;
    int rc = cli_load_settings(argc, argv, NULL, NULL, &prod, root, &s);
    if (rc)
        return rc < 0 ? 0 : rc;
    kiln_settings_print(s, stdout);
    rc = 0;
    if (prod && kiln_settings_check_production(s, err, sizeof err) != 0)
        rc = cli_fail("%s", err);
    kiln_settings_free(s);
    return rc;
}

/* ---- kiln __errpage --------------------------------------------------------
 */

/* What the page serves, made once at start (owned until exit). */
static struct errpage {
    bool crashed;  /* the app crashed and kiln dev restarts it */
    char *html;    /* the whole page */
    char *text;    /* the whole report, without colour escapes */
    char *summary; /* its most telling line */
} g_page;

static int errpage(kiln_ctx *c)
{
    kiln_set_header(c, "Cache-Control", "no-store");
    int status = g_page.crashed ? 503 : 500;
    if (g_page.crashed)
        kiln_set_header(c, "Retry-After", "1");
    kiln_str accept = kiln_header(c, "Accept");
    kiln_str path = kiln_path(c);
    bool api = (path.n >= 4 && memcmp(path.p, "/api", 4) == 0) ||
               (accept.p && memmem(accept.p, accept.n, "json", 4));
    if (!api)
        return kiln_respond(c, status, "text/html; charset=utf-8", g_page.html,
                            strlen(g_page.html));
    /* RFC 9457, as kiln_problem writes it, plus the whole report in log */
    kiln_buf *b = kiln_body_buf(c);
    int rc = kiln_json_format(
        b,
        "{type:%s, title:%s, status:%d, detail:%s, instance:%S, "
        "request_id:%s, log:%s}",
        "about:blank",
        g_page.crashed ? "Service Unavailable" : "Internal Server Error",
        status, g_page.summary, path, kiln_request_id(c), g_page.text);
    if (rc)
        return rc;
    kiln_set_status(c, status);
    kiln_set_type(c, "application/problem+json");
    return kiln_send(c);
}

/*
 * Appends s to out without terminal escapes: a CSI sequence (ESC '['
 * parameters, then a final byte from '@' to '~', as in GCC's "\033[01;31m"
 * and "\033[K") or ESC and one more byte.
 */
static void strip_escapes(kiln_buf *out, const char *s)
{
    while (*s) {
        size_t n = strcspn(s, "\033");
        kiln_buf_append(out, s, n);
        s += n;
        if (!*s)
            break;
        s++; /* ESC */
        if (*s == '[') {
            s++;
            while (*s && !(*s >= '@' && *s <= '~'))
                s++;
        }
        if (*s)
            s++; /* the final byte */
    }
}

/*
 * The detail a JSON client sees first: what happened, then the first
 * compiler "error:" line, else the first line that is not an "In file
 * included from" preamble, else the first line. Returns a malloc'd string
 * (NULL when out of memory).
 */
static char *summary_line(const char *text)
{
    const char *pick = NULL, *first = NULL;
    for (const char *p = text; *p;) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        kiln_str line = {p, n};
        if (n && !first)
            first = p;
        if (n && memmem(line.p, line.n, "error:", 6)) {
            pick = p;
            break;
        }
        if (n && !pick && strncmp(p, "In file included from", 21) != 0 &&
            strncmp(p, "                 from", 21) != 0)
            pick = p;
        p += n + (e ? 1 : 0);
    }
    if (!pick)
        pick = first ? first : "";
    /* kiln dev's own line starts with what the prefix below says */
    if (g_page.crashed && strncmp(pick, "the app crashed: ", 17) == 0)
        pick += 17;
    char *out = NULL;
    if (asprintf(&out, "%s: %.*s",
                 g_page.crashed ? "the app crashed and is restarting"
                                : "the app does not build",
                 (int)strcspn(pick, "\n"), pick) < 0)
        return NULL;
    return out;
}

int cmd_errpage(int argc, char **argv)
{
    if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "--crashed")))
        return 2;
    g_page.crashed = argc == 3;
    size_t n;
    char *raw = kiln_read_file(argv[1], &n);
    if (!raw)
        return cli_fail("cannot read %s: %s", argv[1], strerror(errno));
    kiln_buf t;
    kiln_buf_init(&t);
    strip_escapes(&t, raw);
    free(raw);
    g_page.text = t.p ? kiln_buf_detach(&t) : strdup("");
    g_page.summary = summary_line(g_page.text);
    const char *title =
        g_page.crashed ? "The app crashed" : "The app does not build";
    const char *hint =
        g_page.crashed
            ? "<code>kiln dev</code> is restarting it: this page reloads by "
              "itself. Its output, with the reason, is in the terminal."
            : "Fix the error below and save: <code>kiln dev</code> "
              "rebuilds, and this page reloads by itself.";
    kiln_buf b;
    kiln_buf_init(&b);
    kiln_buf_printf(&b,
                    "<!doctype html>\n<html lang=\"en\"><head><meta "
                    "charset=\"utf-8\">\n<meta http-equiv=\"refresh\" "
                    "content=\"%d\">\n<title>%s</title>\n<style>"
                    "body{font:15px/1.4 system-ui,sans-serif;margin:2rem;"
                    "color:#222}h1{color:#b00020;font-size:1.4rem}pre{"
                    "background:#fff5f5;border:1px solid #f0c0c0;padding:"
                    "1rem;overflow:auto;font:13px/1.4 monospace}</style>\n"
                    "</head><body>\n<h1>%s</h1>\n<p>%s</p>\n<pre>",
                    g_page.crashed ? 1 : 2, title, title, hint);
    kiln_html_escape(&b, g_page.text, strlen(g_page.text));
    kiln_buf_puts(&b, "</pre>\n<p><small>This page is shown by <code>kiln "
                      "dev</code> only.</small></p>\n</body></html>\n");
    g_page.html = kiln_buf_detach(&b);
    int rc = 1;
    kiln_app *app = kiln_app_new();
    static const char *const ms[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
    for (size_t i = 0; app && i < sizeof ms / sizeof ms[0]; i++) {
        kiln_route(app, ms[i], "/", errpage);
        kiln_route(app, ms[i], "/{...any}", errpage);
    }
    if (app && g_page.html && g_page.text && g_page.summary) {
        kiln_server_opts o;
        kiln_server_opts_default(&o);
        o.workers = 1;
        rc = kiln_serve(app, &o) ? 1 : 0;
    }
    kiln_app_free(app);
    free(g_page.html);
    free(g_page.text);
    free(g_page.summary);
    return rc;
}
