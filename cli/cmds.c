/*
 * cli/cmds.c - the short commands: build, run, routes, config, and the
 * hidden __errpage that `kiln dev` runs while the app does not build.
 */
#include "cli.h"

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
    "files of static/ are compiled in too, so the binary needs nothing but\n"
    "its settings. Run it with 'kiln run' or directly; in production it\n"
    "needs app.secret_key (KILN_APP_SECRET_KEY).\n";

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
            return cli_usage_error("unknown option '%s'", argv[i]);
    }
    char root[PATH_MAX];
    if (cli_find_root(root))
        return 1;
    cli_progress("building %s (release)...", root);
    cli_build_result r;
    int rc = cli_build(root, &o, &r);
    if (rc == 0)
        printf("built %s (%d file%s compiled)\n", r.binary, r.ncompiled,
               r.ncompiled == 1 ? "" : "s");
    else
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
    char root[PATH_MAX];
    if (cli_find_root(root))
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
    "Prints the route table that api/ and pages/ make: method, path, file.\n"
    "Exits with 1 and the reasons when a file breaks the routing rules or\n"
    "two files claim the same route.\n";

int cmd_routes(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(routes_help, stdout);
        return 0;
    }
    if (argc > 1)
        return cli_usage_error("unknown option '%s'", argv[1]);
    char root[PATH_MAX];
    if (cli_find_root(root))
        return 1;
    cli_scan s;
    cli_scan_project(root, &s);
    if (s.errors.n) {
        cli_scan_report(&s);
        cli_scan_free(&s);
        return 1;
    }
    size_t w = 4;
    for (size_t i = 0; i < s.nroutes; i++)
        if (strlen(s.routes[i].pattern) > w)
            w = strlen(s.routes[i].pattern);
    printf("%-7s %-*s %s\n", "METHOD", (int)w, "PATH", "FILE");
    for (size_t i = 0; i < s.nroutes; i++)
        printf("%-7s %-*s %s\n", s.routes[i].method, (int)w,
               s.routes[i].pattern, s.routes[i].file);
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
            printf("%-7s %-*s %s/ (static files)\n", "GET", (int)w,
                   url ? url : "/static/", dir ? dir : "static");
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

static char *g_error_html, *g_error_text;

static int errpage(kiln_ctx *c)
{
    kiln_set_header(c, "Cache-Control", "no-store");
    kiln_str accept = kiln_header(c, "Accept");
    kiln_str path = kiln_path(c);
    bool api = (path.n >= 4 && memcmp(path.p, "/api", 4) == 0) ||
               (accept.p && memmem(accept.p, accept.n, "json", 4));
    if (api)
        return kiln_problem(c, 500, "the app does not build: %s", g_error_text);
    return kiln_respond(c, 500, "text/html; charset=utf-8", g_error_html,
                        strlen(g_error_html));
}

/* Escapes s for HTML text into b, dropping terminal colour escapes
   (ESC [ ... m) from compiler output. */
static void put_html(kiln_buf *b, const char *s)
{
    while (*s) {
        size_t n = strcspn(s, "\033");
        kiln_html_escape(b, s, n);
        s += n;
        if (*s) { /* ESC [ ... m */
            const char *m = strchr(s, 'm');
            s = m ? m + 1 : s + strlen(s);
        }
    }
}

int cmd_errpage(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    size_t n;
    char *text = kiln_read_file(argv[1], &n);
    if (!text)
        return cli_fail("cannot read %s: %s", argv[1], strerror(errno));
    kiln_buf b;
    kiln_buf_init(&b);
    kiln_buf_puts(&b, "<!doctype html>\n<html lang=\"en\"><head><meta "
                      "charset=\"utf-8\">\n<meta http-equiv=\"refresh\" "
                      "content=\"2\">\n<title>Build error</title>\n<style>"
                      "body{font:15px/1.4 system-ui,sans-serif;margin:2rem;"
                      "color:#222}h1{color:#b00020;font-size:1.4rem}pre{"
                      "background:#fff5f5;border:1px solid #f0c0c0;padding:"
                      "1rem;overflow:auto;font:13px/1.4 monospace}</style>\n"
                      "</head><body>\n<h1>The app does not build</h1>\n"
                      "<p>Fix the error below and save: <code>kiln dev</code> "
                      "rebuilds, and this page reloads by itself.</p>\n<pre>");
    put_html(&b, text);
    kiln_buf_puts(&b, "</pre>\n<p><small>This page is shown by <code>kiln "
                      "dev</code> only.</small></p>\n</body></html>\n");
    g_error_html = b.p;
    /* the first line, without colour, for JSON clients */
    kiln_buf t;
    kiln_buf_init(&t);
    for (const char *p = text; *p && *p != '\n'; p++) {
        if (*p == '\033') {
            while (p[1] && p[1] != 'm')
                p++;
            if (p[1])
                p++;
            continue;
        }
        kiln_buf_putc(&t, *p);
    }
    g_error_text = t.p ? t.p : "";
    free(text);
    kiln_app *app = kiln_app_new();
    static const char *const ms[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
    for (size_t i = 0; app && i < sizeof ms / sizeof ms[0]; i++) {
        kiln_route(app, ms[i], "/", errpage);
        kiln_route(app, ms[i], "/{...any}", errpage);
    }
    kiln_server_opts o;
    kiln_server_opts_default(&o);
    o.workers = 1;
    int rc = app ? kiln_serve(app, &o) : 1;
    kiln_app_free(app);
    kiln_buf_deinit(&b);
    kiln_buf_deinit(&t);
    return rc ? 1 : 0;
}
