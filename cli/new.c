/*
 * cli/new.c - `kiln new NAME [--template T]`: a project that runs, with
 * every folder the conventions use (`kiln gen` adds files to it:
 * cli/scaffold.c).
 *
 * The blank project is written from the strings below. The other
 * templates are folders of real files, share/scaffold/<template>/ (in the
 * Kiln checkout when this kiln runs from its build folder, else installed
 * under <datadir>/kiln/scaffold/ by meson install): each file is copied with
 * its mode, the word
 * __NAME__ in it replaced by the project's name, and `_gitignore` renamed
 * `.gitignore`. A template whose kiln.toml sets types.out then gets its
 * TypeScript client written, so its front end compiles at once.
 */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef KILN_SOURCE_DIR
#define KILN_SOURCE_DIR ""
#endif
#ifndef KILN_BUILD_DIR
#define KILN_BUILD_DIR ""
#endif
#ifndef KILN_DATADIR
#define KILN_DATADIR "/usr/local/share"
#endif

static const char new_help[] =
    "usage: kiln new NAME [--template blank|htmx|react]\n\n"
    "Creates the folder NAME with a project that runs. NAME is a folder "
    "name\n(letters, digits, '-', '_', '.'); the folder must not exist or "
    "must be\nempty.\n\n"
    "  --template blank  (the default) kiln.toml, api/hello.c, "
    "pages/index.html,\n"
    "                    static/, tests/, .gitignore and a README\n"
    "  --template htmx   server pages with htmx (from npm, copied into "
    "static/),\n"
    "                    a model, a list page and a form whose errors swap "
    "in\n"
    "                    place\n"
    "  --template react  a model and its API, and frontend/: Vite, React,\n"
    "                    TypeScript and TanStack Query over the hooks "
    "`kiln types`\n"
    "                    writes; `kiln build` builds it and compiles it "
    "in\n";

static const char *const templates[] = {"blank", "htmx", "react"};

static const char toml_tpl[] =
    "# Settings of %s. Every key is optional: `kiln config` lists them all\n"
    "# with their values and where each came from. The environment overrides\n"
    "# any key as KILN_<SECTION>_<KEY> (for example KILN_SERVER_PORT=9000).\n"
    "\n"
    "[app]\n"
    "name = \"%s\"\n"
    "# secret_key: generated for `kiln dev`; a production run needs one,\n"
    "# preferably from the environment (KILN_APP_SECRET_KEY).\n"
    "\n"
    "[server]\n"
    "host = \"127.0.0.1\"\n"
    "port = 8000\n";

static const char hello_c[] =
    "/*\n"
    " * GET /api/hello?name=you  ->  {\"message\":\"Hello, you!\"}\n"
    " *\n"
    " * A file under api/ is a route: its path is the URL, and each\n"
    " * KILN_<METHOD>(name) { ... } in it handles one HTTP method. The\n"
    " * request is `c`; return what a kiln_* response call returns.\n"
    " */\n"
    "#include <kiln.h>\n"
    "\n"
    "KILN_GET(hello)\n"
    "{\n"
    "    kiln_str name = kiln_query(c, \"name\");\n"
    "    if (!name.p || !name.n)\n"
    "        name = KILN_STR(\"world\");\n"
    "    char msg[256];\n"
    "    snprintf(msg, sizeof msg, \"Hello, %%.*s!\", (int)name.n, name.p);\n"
    "    return kiln_jsonf(c, 200, \"{message:%%s}\", msg);\n"
    "}\n";

static const char layout_html[] =
    "<!doctype html>\n"
    "<html lang=\"en\">\n"
    "<head>\n"
    "  <meta charset=\"utf-8\">\n"
    "  <meta name=\"viewport\" content=\"width=device-width, "
    "initial-scale=1\">\n"
    "  <title>{%% block title %%}%s{%% endblock %%}</title>\n"
    "  <link rel=\"stylesheet\" href=\"/static/style.css\">\n"
    "  {# HTMX (docs/forms.md): put htmx.min.js in static/ and load it here;\n"
    "     the config lets a 422 (a form re-rendered with its errors) swap in. "
    "#}\n"
    "  {# <script src=\"/static/htmx.min.js\" defer></script> #}\n"
    "  <meta name=\"htmx-config\" content='{\"responseHandling\":["
    "{\"code\":\"204\",\"swap\":false},{\"code\":\"[23]..\",\"swap\":true},"
    "{\"code\":\"422\",\"swap\":true},"
    "{\"code\":\"[45]..\",\"swap\":false,\"error\":true}]}'>\n"
    "</head>\n"
    "<body>\n"
    "  <main id=\"content\">\n"
    "{%% block content %%}{%% endblock %%}\n"
    "  </main>\n"
    "</body>\n"
    "</html>\n";

static const char index_html[] =
    "{# The content block of pages/_layout.html (see docs/templates.md). -#}\n"
    "  <h1>%s</h1>\n"
    "  <p>This page is <code>pages/index.html</code>, a template. The API "
    "says:\n"
    "     <output id=\"msg\">&hellip;</output></p>\n"
    "  <script>\n"
    "    fetch('/api/hello?name=Kiln').then(r => r.json())\n"
    "      .then(j => { document.getElementById('msg').textContent = "
    "j.message; });\n"
    "  </script>\n";

static const char style_css[] =
    "body { font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; "
    "margin: 3rem auto; padding: 0 1rem; }\n"
    "code { background: #f2f2f2; padding: 0 .25em; }\n";

static const char gitignore[] = "# built by kiln\n.kiln/\ndist/\n"
                                "# local settings and data\n.env\n*.db\n"
                                "*.db-shm\n*.db-wal\n";

static const char readme_tpl[] =
    "# %s\n"
    "\n"
    "A [Kiln](https://example.invalid/kiln) app.\n"
    "\n"
    "    kiln dev        # build, run on http://127.0.0.1:8000/, rebuild on "
    "change\n"
    "    kiln routes     # what is routed where\n"
    "    kiln config     # the effective settings\n"
    "    kiln build      # a release binary in dist/\n"
    "    KILN_APP_SECRET_KEY=... kiln run   # run it\n"
    "\n"
    "## Layout\n"
    "\n"
    "- `kiln.toml`: settings (all optional; `KILN_<SECTION>_<KEY>` in the\n"
    "  environment or in `.env` overrides them during development).\n"
    "- `api/`: one C file per route. `api/hello.c` is `/api/hello`,\n"
    "  `api/posts/[id].c` is `/api/posts/{id}`, `api/files/[...path].c`\n"
    "  takes the rest of the path, `index.c` is its folder. Each\n"
    "  `KILN_GET(name) { ... }` (POST, PUT, PATCH, DELETE...) handles one\n"
    "  method. Files and folders starting with `_` are helpers: compiled,\n"
    "  not routed.\n"
    "- `pages/`: pages by the same rules (`pages/index.html` is `/`). They\n"
    "  are templates (Jinja's language, autoescaped); a page without\n"
    "  `{%% extends %%}` is the content block of `pages/_layout.html`. A\n"
    "  `pages/NAME.c` beside `pages/NAME.html` can fill its variables with\n"
    "  `KILN_LOAD(name) { kiln_value_set(ctx, \"x\", ...); return 0; }`,\n"
    "  and answer its forms with `KILN_POST(name) { ... }`.\n"
    "  `kiln render pages/index.html` prints a page.\n"
    "- `models/`: one model per file, declared once in TOML\n"
    "  (`kiln gen model note title:string:200 done:bool` writes\n"
    "  `models/note.toml`). The build turns each into a C struct with typed\n"
    "  calls in `models.h` (`note_get`, `note_insert`, `note_list`...) and a\n"
    "  decoder that checks JSON and forms, reporting every bad field.\n"
    "- `migrations/`: `kiln migrate --make` writes the next migration from\n"
    "  `models/` (`0001_init.toml`...); hand-written `NNNN_name.sql` files\n"
    "  join the same sequence. `kiln migrate` applies what is pending,\n"
    "  `kiln migrate --check` says whether `models/` has changes no\n"
    "  migration has.\n"
    "- `static/`: served at `/static/`.\n"
    "- `tests/`: `kiln test` runs the `KILN_TEST(name) { ... }` of\n"
    "  `tests/*.c` in process, each on a database of its own\n"
    "  (`tests/hello.c`); `tests/smoke.sh` checks a running app (`kiln dev`\n"
    "  in one terminal, `sh tests/smoke.sh` in another).\n";

static const char smoke_sh[] =
    "#!/bin/sh\n"
    "# Checks a running app: sh tests/smoke.sh [BASE_URL]\n"
    "set -eu\n"
    "base=${1:-http://127.0.0.1:8000}\n"
    "fail() { echo \"FAIL: $*\" >&2; exit 1; }\n"
    "body=$(curl -fsS \"$base/api/hello?name=test\") || fail \"GET "
    "/api/hello\"\n"
    "[ \"$body\" = '{\"message\":\"Hello, test!\"}' ] || fail \"unexpected "
    "body: $body\"\n"
    "curl -fsS \"$base/\" | grep -q '<h1>' || fail \"GET /\"\n"
    "curl -fsS \"$base/static/style.css\" >/dev/null || fail \"GET "
    "/static/style.css\"\n"
    "echo \"ok: $base\"\n";

static const char hello_test_c[] =
    "/*\n"
    " * App tests: `kiln test` runs every KILN_TEST of the .c files of\n"
    " * tests/ (`-k NAME` picks some). The test client calls the app in "
    "process, through the\n"
    " * same routing, validation and error handling as a real request, and\n"
    " * each test gets a database of its own (docs/testing.md).\n"
    " */\n"
    "#include <kiln/testing.h>\n"
    "\n"
    "KILN_TEST(hello_greets_by_name)\n"
    "{\n"
    "    const kiln_tc_response *r = kiln_tc_get(t, "
    "\"/api/hello?name=test\");\n"
    "    KILN_EXPECT_STATUS(r, 200);\n"
    "    KILN_EXPECT_HEADER(r, \"Content-Type\", \"application/json\");\n"
    "    KILN_EXPECT_JSON(r, \"/message\", \"\\\"Hello, test!\\\"\");\n"
    "}\n";

static bool valid_name(const char *s)
{
    if (!*s || strlen(s) > 100 || s[0] == '.' || s[0] == '-')
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
            return false;
    return true;
}

/* Writes dir/rel with printf-style contents; refuses to overwrite. */
static int put(const char *dir, const char *rel, int mode, const char *fmt, ...)
    KILN_PRINTF(4, 5);
static int put(const char *dir, const char *rel, int mode, const char *fmt, ...)
{
    char path[PATH_MAX * 2];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    char *slash = strrchr(path, '/');
    *slash = 0;
    if (cli_mkdirs(path) != 0)
        return cli_fail("cannot create %s: %s", path, strerror(errno));
    *slash = '/';
    if (cli_exists(path))
        return cli_fail("%s already exists; not overwriting it", path);
    va_list ap;
    va_start(ap, fmt);
    char *text = NULL;
    int n = vasprintf(&text, fmt, ap);
    va_end(ap);
    if (n < 0)
        return cli_fail("out of memory");
    int rc = cli_write_file(path, text, (size_t)n, mode);
    free(text);
    if (rc != 0)
        return cli_fail("cannot write %s: %s", path, strerror(errno));
    return 0;
}

/* True when this kiln runs from the build folder of its checkout. */
static bool in_checkout(void)
{
    char exe[PATH_MAX], bdir[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0 || !*KILN_BUILD_DIR || !realpath(KILN_BUILD_DIR, bdir))
        return false;
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = 0;
    return strcmp(exe, bdir) == 0;
}

/* The folder of template t: the checkout's when this kiln runs from its
   build folder, else the installed one (else the checkout's). 0 or -1. */
static int template_dir(const char *t, char dir[PATH_MAX])
{
    const char *const fmts[2] = {"%s/share/scaffold/%s", "%s/kiln/scaffold/%s"};
    const char *const bases[2] = {KILN_SOURCE_DIR, KILN_DATADIR};
    int first = in_checkout() ? 0 : 1;
    for (int k = 0; k < 2; k++) {
        int i = k ? 1 - first : first;
        if (*bases[i] && cli_pathf(dir, PATH_MAX, fmts[i], bases[i], t) == 0 &&
            cli_is_dir(dir))
            return 0;
    }
    return -1;
}

/* Copies file src to dst with mode, __NAME__ replaced by name. */
static int copy_file(const char *src, const char *dst, int mode,
                     const char *name)
{
    size_t n = 0;
    char *text = kiln_read_file(src, &n);
    if (!text)
        return cli_fail("cannot read %s: %s", src, strerror(errno));
    kiln_buf out;
    kiln_buf_init(&out);
    static const char word[] = "__NAME__";
    const size_t wn = sizeof word - 1;
    bool binary = memchr(text, 0, n) != NULL;
    for (size_t i = 0; i < n;) {
        const char *hit = binary ? NULL : memmem(text + i, n - i, word, wn);
        size_t upto = hit ? (size_t)(hit - text) : n;
        kiln_buf_append(&out, text + i, upto - i);
        if (!hit)
            break;
        kiln_buf_puts(&out, name);
        i = upto + wn;
    }
    free(text);
    int rc = 0;
    if (cli_exists(dst))
        rc = cli_fail("%s already exists; not overwriting it", dst);
    else if (cli_write_file(dst, out.p ? out.p : "", out.n, mode) != 0)
        rc = cli_fail("cannot write %s: %s", dst, strerror(errno));
    kiln_buf_deinit(&out);
    return rc;
}

/* Copies the folder src into dst (made), recursively; node_modules/ and
   dist/ (an install or a build in the checkout) are left out. */
static int copy_tree(const char *src, const char *dst, const char *name)
{
    if (cli_mkdirs(dst) != 0)
        return cli_fail("cannot create %s: %s", dst, strerror(errno));
    DIR *d = opendir(src);
    if (!d)
        return cli_fail("cannot read %s: %s", src, strerror(errno));
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d))) {
        const char *n = e->d_name;
        if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0 ||
            strcmp(n, "node_modules") == 0 || strcmp(n, "dist") == 0)
            continue;
        char from[PATH_MAX], to[PATH_MAX];
        const char *as = strcmp(n, "_gitignore") == 0 ? ".gitignore" : n;
        if (cli_pathf(from, sizeof from, "%s/%s", src, n) != 0 ||
            cli_pathf(to, sizeof to, "%s/%s", dst, as) != 0) {
            rc = cli_fail("%s/%s: the path is too long", dst, as);
            break;
        }
        struct stat st;
        if (stat(from, &st) != 0)
            rc = cli_fail("cannot read %s: %s", from, strerror(errno));
        else if (S_ISDIR(st.st_mode))
            rc = copy_tree(from, to, name);
        else if (S_ISREG(st.st_mode))
            rc = copy_file(from, to, (st.st_mode & 0111) ? 0755 : 0644, name);
    }
    closedir(d);
    return rc;
}

/* The project of template t (not "blank") into dir. 0 or 1. */
static int new_from_template(const char *t, const char *dir, const char *name)
{
    char src[PATH_MAX];
    if (template_dir(t, src) != 0)
        return cli_fail("the '%s' template is not installed (looked in "
                        "%s/share/scaffold/ and %s/kiln/scaffold/)",
                        t, KILN_SOURCE_DIR, KILN_DATADIR);
    if (copy_tree(src, dir, name) != 0)
        return 1;
    char root[PATH_MAX];
    if (!realpath(dir, root))
        return cli_fail("%s: %s", dir, strerror(errno));
    kiln_buf log;
    kiln_buf_init(&log);
    int rc = cli_types_write(root, &log);
    if (rc != 0)
        cli_fail("%.*s", log.n ? (int)log.n - 1 : 0, log.p ? log.p : "");
    kiln_buf_deinit(&log);
    return rc ? 1 : 0;
}

int cmd_new(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(new_help, stdout);
        return 0;
    }
    const char *tpl = "blank", *dir = NULL;
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        if (strcmp(argv[i], "--template") == 0) {
            if (i + 1 == argc)
                return cli_usage_error("--template needs blank, htmx or "
                                       "react");
            v = argv[++i];
        } else if (strncmp(argv[i], "--template=", 11) == 0) {
            v = argv[i] + 11;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_unknown_option(argv[i]);
        } else if (dir) {
            return cli_usage_error("takes exactly one NAME");
        } else {
            dir = argv[i];
        }
        if (v) {
            size_t nt = sizeof templates / sizeof templates[0], k = 0;
            while (k < nt && strcmp(templates[k], v) != 0)
                k++;
            if (k == nt) {
                const char *near = cli_suggest(v, templates, nt);
                if (near)
                    return cli_usage_error("unknown template '%s' (did you "
                                           "mean '%s'?)",
                                           v, near);
                return cli_usage_error("unknown template '%s': blank, htmx "
                                       "or react",
                                       v);
            }
            tpl = templates[k];
        }
    }
    if (!dir)
        return cli_usage_error("needs a NAME");
    const char *name = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
    if (!valid_name(name))
        return cli_usage_error("'%s' is not a usable name: use letters, "
                               "digits, '-', '_' or '.' (not first)",
                               name);
    if (cli_exists(dir)) {
        if (!cli_is_dir(dir))
            return cli_fail("%s exists and is not a folder", dir);
        char probe[PATH_MAX + 16];
        snprintf(probe, sizeof probe, "%s/kiln.toml", dir);
        if (cli_exists(probe))
            return cli_fail("%s is already a Kiln project", dir);
    }
    if (strcmp(tpl, "blank") != 0) {
        if (new_from_template(tpl, dir, name) != 0)
            return 1;
        if (strcmp(tpl, "react") == 0)
            printf("created %s/ (React)\n\n  cd %s\n  (cd frontend && npm "
                   "ci)\n  kiln migrate\n  kiln dev\n\nthen open "
                   "http://127.0.0.1:5173/ (Vite, with hot reload; the app "
                   "is on :8000)\n",
                   dir, dir);
        else
            printf("created %s/ (htmx)\n\n  cd %s\n"
                   "  (cd frontend && npm ci)\n  kiln migrate\n  kiln dev\n"
                   "\nthen open http://127.0.0.1:8000/\n",
                   dir, dir);
        return 0;
    }
    int rc = put(dir, "kiln.toml", 0644, toml_tpl, name, name) ||
             put(dir, "api/hello.c", 0644, hello_c) ||
             put(dir, "pages/_layout.html", 0644, layout_html, name) ||
             put(dir, "pages/index.html", 0644, index_html, name) ||
             put(dir, "static/style.css", 0644, "%s", style_css) ||
             put(dir, "tests/smoke.sh", 0755, "%s", smoke_sh) ||
             put(dir, "tests/hello.c", 0644, "%s", hello_test_c) ||
             put(dir, ".gitignore", 0644, "%s", gitignore) ||
             put(dir, "README.md", 0644, readme_tpl, name);
    if (rc)
        return 1;
    printf("created %s/\n\n  cd %s\n  kiln dev\n\nthen open "
           "http://127.0.0.1:8000/\n",
           dir, dir);
    return 0;
}
