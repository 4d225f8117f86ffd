/*
 * cli/export.c - kiln export [--out DIR]: the app's pages rendered once
 * into a folder any static server can serve (docs/cli.md, "kiln export";
 * docs/frontend.md, "Static export").
 *
 * The export builds the release binary (as kiln build does; the front
 * end's own builds are run before, by kiln build or npm), runs it on a
 * free port of 127.0.0.1 with one worker, and asks it for every page as a
 * browser would: template pages and React pages alike, so the pages are
 * exactly what the server answers (the SSR sidecar renders the React
 * ones). A page with parameters is fetched for each entry of the paths
 * its pages/NAME.toml declares. Each page goes to DIR/<path>/index.html,
 * and static/ is copied to DIR at static.url, so that links between pages
 * and to assets work unchanged: nothing is rewritten.
 *
 * What a static folder cannot answer is listed with the reason, never
 * skipped silently: API routes and WebSockets, pages' form actions, pages
 * with parameters and no declared paths, and pages that answered a
 * redirect or 401/403 (they need a user or the server). Those are not
 * errors. Errors (exit 1): the build, the app not starting, a declared
 * path that is not a page (a 404, a 500), a malformed paths file, a file
 * that cannot be written.
 */
#include "cli.h"

#include "config/toml.h"
#include "frontend/export.h"

#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char export_help[] =
    "usage: kiln export [--out DIR]\n\n"
    "Renders every page of the app once into DIR (default: export/ in the\n"
    "project), for any static server: each page as PATH/index.html, and\n"
    "static/ at static.url. It builds the release binary first and runs it\n"
    "on 127.0.0.1 (the front end's builds are not run: run them, or 'kiln\n"
    "build', before). A page with parameters is exported for the paths\n"
    "its pages/NAME.toml lists:\n\n"
    "    # pages/posts/[id].toml\n"
    "    paths = [{id = \"1\"}, {id = \"2\"}]\n\n"
    "What cannot be exported (API routes, form actions, pages without\n"
    "declared paths, pages that need a user) is listed with the reason.\n"
    "DIR must be empty, missing, or an earlier export (it is replaced).\n"
    "Exit status: 0, also when some routes could not be exported; 1 on an\n"
    "error (the build, the app, a declared path that is no page).\n";

/* The marker of a folder kiln export wrote (it may replace it). */
#define MARKER ".kiln-export"

typedef struct exporter {
    char root[PATH_MAX];
    char out[PATH_MAX];
    int port;
    pid_t app;
    CURL *curl;
    cli_strs skipped; /* "GET /x (file): reason" */
    int errors;
    int pages, files;
} exporter;

/* ---- the running app ----------------------------------------------------- */

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t n = sizeof a;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &n) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

static bool port_open(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

/* A secret key for this run only, unless the environment has one (the
   app refuses a production start without one; no session outlives it). */
static void set_secret(void)
{
    const char *k = getenv("KILN_APP_SECRET_KEY");
    if (k && *k)
        return;
    unsigned char raw[32];
    char hex[65];
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    ssize_t got = fd >= 0 ? read(fd, raw, sizeof raw) : -1;
    if (fd >= 0)
        close(fd);
    for (size_t i = 0; i < sizeof raw; i++) {
        unsigned v = got == (ssize_t)sizeof raw ? raw[i] : (unsigned)rand();
        snprintf(hex + 2 * i, 3, "%02x", v & 0xff);
    }
    setenv("KILN_APP_SECRET_KEY", hex, 1);
}

/* Starts binary on a free port, its output in .kiln/export.log; waits up
   to 30 s for it to listen. 0, or 1 after a message. */
static int app_start(exporter *x, const char *binary)
{
    char log[PATH_MAX + 32], dir[PATH_MAX + 16], port[16];
    snprintf(dir, sizeof dir, "%s/.kiln", x->root);
    cli_mkdirs(dir);
    snprintf(log, sizeof log, "%s/export.log", dir);
    x->port = free_port();
    if (x->port < 0)
        return cli_fail("no free port on 127.0.0.1: %s", strerror(errno));
    snprintf(port, sizeof port, "%d", x->port);
    set_secret();
    pid_t pid = fork();
    if (pid < 0)
        return cli_fail("cannot start the app: %s", strerror(errno));
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        char *argv[] = {(char *)binary, "--port",    port, "--host",
                        "127.0.0.1",    "--workers", "1",  "--root",
                        x->root,        NULL};
        execv(binary, argv);
        _exit(127);
    }
    x->app = pid;
    for (int i = 0; i < 300; i++) {
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            x->app = -1;
            return cli_fail("the app stopped before it served (see "
                            ".kiln/export.log)");
        }
        if (port_open(x->port))
            return 0;
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return cli_fail("the app did not listen within 30 s (see "
                    ".kiln/export.log)");
}

static void app_stop(exporter *x)
{
    if (x->app <= 0)
        return;
    kill(x->app, SIGTERM);
    for (int i = 0; i < 100; i++) {
        if (waitpid(x->app, NULL, WNOHANG) == x->app) {
            x->app = -1;
            return;
        }
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    kill(x->app, SIGKILL);
    waitpid(x->app, NULL, 0);
    x->app = -1;
}

/* ---- fetching a page ----------------------------------------------------- */

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    return kiln_buf_append(ud, p, size * n) ? 0 : size * n;
}

/* GET path as a browser navigating: *status, the body in body and the
   Location of a redirect in loc. 0, or -1 (curl's error in err). */
static int fetch(exporter *x, const char *path, long *status, kiln_buf *body,
                 char *loc, size_t loclen, char *err, size_t errlen)
{
    char url[PATH_MAX * 2];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", x->port, path);
    struct curl_slist *h = curl_slist_append(
        NULL, "Accept: text/html,application/xhtml+xml,*/*;q=0.8");
    curl_easy_reset(x->curl);
    curl_easy_setopt(x->curl, CURLOPT_URL, url);
    curl_easy_setopt(x->curl, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(x->curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(x->curl, CURLOPT_WRITEDATA, body);
    curl_easy_setopt(x->curl, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(x->curl, CURLOPT_NOPROXY, "*");
    CURLcode rc = curl_easy_perform(x->curl);
    curl_slist_free_all(h);
    if (rc != CURLE_OK) {
        snprintf(err, errlen, "%s", curl_easy_strerror(rc));
        return -1;
    }
    curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, status);
    char *l = NULL, origin[64];
    curl_easy_getinfo(x->curl, CURLINFO_REDIRECT_URL, &l);
    int on = snprintf(origin, sizeof origin, "http://127.0.0.1:%d", x->port);
    if (l && strncmp(l, origin, (size_t)on) == 0 && l[on] == '/')
        l += on; /* the app's own path, as it wrote it */
    snprintf(loc, loclen, "%s", l ? l : "");
    return 0;
}

/* ---- files ----------------------------------------------------------------
 */

/* Writes data to out/rel, making its folders. 0 or -1 (errno). */
static int write_out(exporter *x, const char *rel, const void *data, size_t n)
{
    char path[PATH_MAX * 2];
    if (cli_pathf(path, sizeof path, "%s/%s", x->out, rel) != 0)
        return -1;
    char *slash = strrchr(path, '/');
    *slash = '\0';
    int rc = cli_mkdirs(path);
    *slash = '/';
    return rc == 0 ? cli_write_file(path, data, n, 0644) : -1;
}

/* Copies the regular files under src (dotfiles left out, as the static
   server never serves them) to out/rel. Returns 0 or -1 (errno). */
static int copy_tree(exporter *x, const char *src, const char *rel)
{
    DIR *d = opendir(src);
    if (!d)
        return errno == ENOENT ? 0 : -1;
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char s[PATH_MAX * 2], r[PATH_MAX * 2];
        if (cli_pathf(s, sizeof s, "%s/%s", src, e->d_name) ||
            cli_pathf(r, sizeof r, "%s%s%s", rel, *rel ? "/" : "", e->d_name)) {
            rc = -1;
            break;
        }
        struct stat st;
        if (stat(s, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            rc = copy_tree(x, s, r);
        } else if (S_ISREG(st.st_mode)) {
            size_t n;
            char *data = kiln_read_file(s, &n);
            rc = data ? write_out(x, r, data, n) : -1;
            free(data);
            x->files += rc == 0;
        }
    }
    closedir(d);
    return rc;
}

/* Removes everything under path (not path itself). 0 or -1 (errno). */
static int empty_dir(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return -1;
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char p[PATH_MAX * 2];
        if (cli_pathf(p, sizeof p, "%s/%s", path, e->d_name)) {
            rc = -1;
            break;
        }
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
            rc = empty_dir(p) == 0 && rmdir(p) == 0 ? 0 : -1;
        else
            rc = unlink(p);
    }
    closedir(d);
    return rc;
}

/* Makes x->out an empty folder: missing, empty, or an earlier export. */
static int prepare_out(exporter *x)
{
    DIR *d = opendir(x->out);
    if (!d) {
        if (errno != ENOENT || cli_mkdirs(x->out) != 0)
            return cli_fail("%s: %s", x->out, strerror(errno));
    } else {
        bool empty = true;
        struct dirent *e;
        while ((e = readdir(d)))
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
                empty = false;
        closedir(d);
        char marker[PATH_MAX + 32];
        snprintf(marker, sizeof marker, "%s/" MARKER, x->out);
        if (!empty && !cli_exists(marker))
            return cli_fail("%s is not empty and is not an earlier export: "
                            "remove it or choose another --out",
                            x->out);
        if (!empty && empty_dir(x->out) != 0)
            return cli_fail("cannot empty %s: %s", x->out, strerror(errno));
    }
    static const char note[] = "written by kiln export; replaced by the "
                               "next one\n";
    return write_out(x, MARKER, note, sizeof note - 1) == 0
               ? 0
               : cli_fail("%s: %s", x->out, strerror(errno));
}

/* ---- the routes ------------------------------------------------------------
 */

static void skip(exporter *x, const char *method, const char *pattern,
                 const char *file, const char *why)
{
    cli_strs_addf(&x->skipped, "%s %s (%s): %s", method, pattern, file, why);
}

/* Exports one path of page route r. */
static void export_one(exporter *x, const cli_route *r, const char *url,
                       const char *rel)
{
    long status = 0;
    kiln_buf body;
    kiln_buf_init(&body);
    char loc[1024], err[CURL_ERROR_SIZE + 64];
    if (fetch(x, url, &status, &body, loc, sizeof loc, err, sizeof err) != 0) {
        cli_fail("error: GET %s (%s): %s", url, r->file, err);
        x->errors++;
    } else if (status == 200) {
        if (write_out(x, rel, body.p ? body.p : "", body.n) != 0) {
            cli_fail("error: %s/%s: %s", x->out, rel, strerror(errno));
            x->errors++;
        } else {
            x->pages++;
            cli_progress("GET %s -> %s", url, rel);
        }
    } else if ((status >= 300 && status < 400) || status == 401 ||
               status == 403) {
        char why[1200];
        if (status < 400)
            snprintf(why, sizeof why,
                     "answered %ld (a redirect to %s): it needs a user or "
                     "the server",
                     status, loc[0] ? loc : "?");
        else
            snprintf(why, sizeof why, "answered %ld: it needs a user", status);
        skip(x, "GET", url, r->file, why);
    } else {
        cli_fail("error: GET %s (%s) answered %ld: a page to export must "
                 "answer 200 (see .kiln/export.log)",
                 url, r->file, status);
        x->errors++;
    }
    kiln_buf_deinit(&body);
}

/* The paths file of a page: pages/x.tsx -> pages/x.toml. */
static void paths_file(const cli_route *r, char *out, size_t n)
{
    const char *dot = strrchr(r->file, '.');
    snprintf(out, n, "%.*s.toml",
             (int)(dot ? (size_t)(dot - r->file) : strlen(r->file)), r->file);
}

/* A parameter value of the paths file as text: a string or an integer. */
static bool toml_text(const toml_value *v, kiln_arena *a, kiln_str *out)
{
    if (v->type == TOML_STRING) {
        *out = v->u.string;
        return true;
    }
    if (v->type == TOML_INTEGER) {
        char tmp[32];
        int n = snprintf(tmp, sizeof tmp, "%lld", (long long)v->u.integer);
        char *p = kiln_arena_strndup(a, tmp, (size_t)n);
        *out = (kiln_str){p, (size_t)n};
        return p != NULL;
    }
    return false;
}

/* Exports page route r with parameters: each entry of its paths file. */
static void export_params(exporter *x, const cli_route *r)
{
    char rel[PATH_MAX], abs[PATH_MAX * 2];
    paths_file(r, rel, sizeof rel);
    snprintf(abs, sizeof abs, "%s/%s", x->root, rel);
    size_t n;
    char *text = kiln_read_file(abs, &n);
    if (!text) {
        char why[PATH_MAX + 160];
        snprintf(why, sizeof why,
                 "a page with parameters and no declared paths (list them "
                 "in %s: paths = [{...}, ...])",
                 rel);
        skip(x, "GET", r->pattern, r->file, why);
        return;
    }
    kiln_arena a;
    kiln_arena_init(&a, 0);
    toml_value *doc;
    toml_error te;
    const toml_value *paths = NULL;
    if (toml_parse(&a, text, n, rel, &doc, &te) != 0) {
        kiln_buf msg;
        kiln_buf_init(&msg);
        toml_error_format(&te, &msg);
        cli_fail("error: %.*s", (int)msg.n, msg.p ? msg.p : "");
        kiln_buf_deinit(&msg);
        x->errors++;
    } else if (!(paths = toml_get(doc, "paths")) || paths->type != TOML_ARRAY) {
        cli_fail("error: %s: no 'paths' array (paths = [{name = \"value\"}, "
                 "...])",
                 rel);
        x->errors++;
        paths = NULL;
    }
    for (size_t i = 0; paths && i < paths->u.array.n; i++) {
        const toml_value *e = paths->u.array.items[i];
        if (e->type != TOML_TABLE) {
            cli_fail("error: %s:%d:%d: each path is a table of parameter "
                     "values ({id = \"1\"})",
                     rel, e->line, e->column);
            x->errors++;
            continue;
        }
        size_t k = e->u.table.n;
        kiln_str *names = kiln_arena_alloc(&a, (k + 1) * sizeof *names);
        kiln_str *vals = kiln_arena_alloc(&a, (k + 1) * sizeof *vals);
        bool ok = names && vals;
        for (size_t j = 0; ok && j < k; j++) {
            const toml_entry *en = &e->u.table.items[j];
            names[j] = en->key;
            if (!toml_text(en->value, &a, &vals[j])) {
                cli_fail("error: %s:%d:%d: the value of '%.*s' is a string "
                         "or an integer",
                         rel, en->line, en->column, (int)en->key.n, en->key.p);
                ok = false;
            }
        }
        kiln_buf url, file;
        kiln_buf_init(&url);
        kiln_buf_init(&file);
        char why[256];
        if (ok && frontend_export_path(r->pattern, names, vals, k, &url, &file,
                                       why, sizeof why) != 0) {
            cli_fail("error: %s:%d:%d: %s", rel, e->line, e->column, why);
            ok = false;
        }
        if (ok) {
            kiln_buf_putc(&url, '\0');
            kiln_buf_putc(&file, '\0');
            export_one(x, r, url.p, file.p);
        } else {
            x->errors++;
        }
        kiln_buf_deinit(&url);
        kiln_buf_deinit(&file);
    }
    kiln_arena_deinit(&a);
    free(text);
}

static void export_routes(exporter *x, const cli_scan *s)
{
    for (size_t i = 0; i < s->nroutes; i++) {
        const cli_route *r = &s->routes[i];
        if (!r->page) {
            bool ws = strcmp(r->method, "WS") == 0;
            bool action = strncmp(r->file, "pages/", 6) == 0;
            skip(x, ws ? "GET" : r->method, r->pattern, r->file,
                 ws       ? "a WebSocket needs the server"
                 : action ? "a form action needs the server"
                          : "an API route needs the server");
            continue;
        }
        if (strchr(r->pattern, '{')) {
            export_params(x, r);
            continue;
        }
        kiln_buf url, file;
        kiln_buf_init(&url);
        kiln_buf_init(&file);
        char why[256];
        if (frontend_export_path(r->pattern, NULL, NULL, 0, &url, &file, why,
                                 sizeof why) == 0 &&
            kiln_buf_putc(&url, '\0') == 0 && kiln_buf_putc(&file, '\0') == 0)
            export_one(x, r, url.p, file.p);
        kiln_buf_deinit(&url);
        kiln_buf_deinit(&file);
    }
    /* the CRUD API of models/ (named, not in the scan's routes) */
    for (size_t i = 0; i < s->nnames; i++)
        if (strncmp(s->names[i].file, "models/", 7) == 0)
            skip(x, "*", s->names[i].pattern, s->names[i].file,
                 "the generated API needs the server");
}

/* Copies static/ to out at static.url; says what it leaves out. */
static int export_static(exporter *x)
{
    kiln_settings_in in = {.root = x->root};
    kiln_settings *st = NULL;
    char err[512];
    if (kiln_settings_load(&in, &st, err, sizeof err) != 0)
        return cli_fail("%s", err);
    const char *dir = kiln_settings_str(st, "static.dir");
    const char *url = kiln_settings_str(st, "static.url");
    const char *spa = kiln_settings_str(st, "frontend.spa");
    char src[PATH_MAX * 2], rel[PATH_MAX];
    snprintf(src, sizeof src, "%s%s%s", dir[0] == '/' ? "" : x->root,
             dir[0] == '/' ? "" : "/", dir);
    /* "/static/" -> "static" */
    const char *u = url;
    while (*u == '/')
        u++;
    snprintf(rel, sizeof rel, "%s", u);
    size_t n = strlen(rel);
    while (n && rel[n - 1] == '/')
        rel[--n] = '\0';
    int rc = copy_tree(x, src, rel);
    if (rc != 0)
        cli_fail("error: copying %s: %s", dir, strerror(errno));
    if (spa && *spa)
        cli_strs_addf(&x->skipped,
                      "frontend.spa (%s): a single-page app is a static "
                      "folder already; serve it as it is",
                      spa);
    kiln_settings_free(st);
    return rc ? 1 : 0;
}

int cmd_export(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(export_help, stdout);
        return 0;
    }
    exporter x = {.app = -1};
    const char *out = "export";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
            out = argv[++i];
        else if (strncmp(argv[i], "--out=", 6) == 0)
            out = argv[i] + 6;
        else if (strcmp(argv[i], "--out") == 0)
            return cli_usage_error("--out needs a folder");
        else
            return cli_unknown_option(argv[i]);
    }
    if (!*out)
        return cli_usage_error("--out needs a folder");
    if (cli_find_root(x.root) || cli_check_project(x.root))
        return 1;
    if (out[0] == '/')
        snprintf(x.out, sizeof x.out, "%s", out);
    else {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd) ||
            cli_pathf(x.out, sizeof x.out, "%s/%s", cwd, out) != 0)
            return cli_fail("%s: %s", out, strerror(errno));
    }
    cli_scan s;
    if (cli_scan_project(x.root, &s) != 0 || s.errors.n) {
        cli_scan_report(&s);
        cli_scan_free(&s);
        return 1;
    }
    cli_progress("building %s (release)...", x.root);
    cli_build_opts o = {.release = true, .color = isatty(2)};
    cli_build_result br;
    int rc = cli_build(x.root, &o, &br);
    if (rc != 0) {
        cli_build_result_free(&br);
        cli_scan_free(&s);
        return cli_fail("the build failed (errors above)");
    }
    rc = prepare_out(&x);
    if (rc == 0 && curl_global_init(CURL_GLOBAL_DEFAULT) == 0 &&
        (x.curl = curl_easy_init()) != NULL) {
        rc = app_start(&x, br.binary);
        if (rc == 0) {
            export_routes(&x, &s);
            rc = export_static(&x);
        }
        app_stop(&x);
        curl_easy_cleanup(x.curl);
        curl_global_cleanup();
    } else if (rc == 0) {
        rc = cli_fail("cannot start libcurl");
    }
    if (rc == 0 || x.pages) {
        printf("exported %d page%s and %d file%s to %s\n", x.pages,
               x.pages == 1 ? "" : "s", x.files, x.files == 1 ? "" : "s",
               x.out);
        if (x.skipped.n)
            printf("not exported (%zu):\n", x.skipped.n);
        for (size_t i = 0; i < x.skipped.n; i++)
            printf("  %s\n", x.skipped.v[i]);
    }
    if (x.errors)
        cli_fail("%d error%s (above)", x.errors, x.errors == 1 ? "" : "s");
    cli_strs_free(&x.skipped);
    cli_build_result_free(&br);
    cli_scan_free(&s);
    return rc || x.errors ? 1 : 0;
}
