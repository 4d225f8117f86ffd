/*
 * cli/scaffold.c - `kiln gen KIND NAME`: adds the files of one more route
 * (or, later, model) in the right place, written as an author would.
 *
 * Each kind is one row of the kinds[] table: its name, its help line and
 * a function that plans its files (paths and how to write them). The
 * command then does the same for every kind:
 *
 *   1. refuses a file that exists (nothing is ever overwritten);
 *   2. writes the files with their route still unknown, then scans the
 *      project with the same code the build uses (cli_scan_project): a
 *      name that breaks the routing rules or conflicts with a route
 *      removes every file written and says why;
 *   3. writes them again with the route the scan gave them (the URL in
 *      their comments and the parameters they read come from the router's
 *      own reading of the path, never from a second copy of its rules).
 *
 * Handlers and loaders are declared with a label made from NAME; the
 * macros of kiln/handler.h keep any label clear of libc and of the
 * author's names, so "index", "time" or "random" compile.
 */
#include "cli.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GEN_MAX_FILES 4

typedef struct gen_job gen_job;

/** One file a kind writes. */
typedef struct gen_file {
    char rel[PATH_MAX]; /* relative to the project root */
    /* appends the contents; j->pattern is NULL before the scan */
    void (*write)(kiln_buf *out, const gen_job *j);
} gen_file;

/** What a `kiln gen` run knows. */
struct gen_job {
    const char *root;
    char name[PATH_MAX]; /* NAME without a trailing '/' or extension */
    const char *base;    /* its last segment: "[id]" */
    char label[64];      /* a C identifier for the handler or loader */
    char title[128];     /* a human title: "My page", "Posts" */
    const char *param;   /* the parameter of the last segment, or NULL */
    bool layout;         /* pages/_layout.html exists */
    const char *pattern; /* the route of files[0] once scanned, or NULL */
    gen_file files[GEN_MAX_FILES];
    size_t nfiles;
};

/** A kind of `kiln gen`. */
typedef struct gen_kind {
    const char *name;  /* "api" */
    const char *usage; /* its line of the help */
    void (*plan)(gen_job *j);
} gen_kind;

static void gen_add(gen_job *j, const char *dir, const char *ext,
                    void (*write)(kiln_buf *, const gen_job *))
{
    assert(j->nfiles < GEN_MAX_FILES);
    gen_file *f = &j->files[j->nfiles++];
    cli_pathf(f->rel, sizeof f->rel, "%s/%s%s", dir, j->name, ext);
    f->write = write;
}

/* ---- what is written ------------------------------------------------------
 */

/* The names of the route's parameters, from its pattern: "{id}" and
   "{...path}" give "id" and "path". Calls fn for each. */
static void each_param(const char *pattern,
                       void (*fn)(kiln_buf *, const char *, size_t, bool),
                       kiln_buf *out)
{
    bool first = true;
    for (const char *p = pattern ? strchr(pattern, '{') : NULL; p;
         p = strchr(p + 1, '{')) {
        const char *s = p + 1, *e = strchr(s, '}');
        if (!e)
            break;
        if (strncmp(s, "...", 3) == 0)
            s += 3;
        fn(out, s, (size_t)(e - s), first);
        first = false;
    }
}

/* True when the parameter's name cannot be a local variable of the
   handler as it is: a C keyword, or the handler's own c and ctx. */
static bool needs_suffix(const char *name, size_t n)
{
    static const char *const taken[] = {
        "c",       "ctx",      "auto",     "break",    "case",     "char",
        "const",   "continue", "default",  "do",       "double",   "else",
        "enum",    "extern",   "float",    "for",      "goto",     "if",
        "inline",  "int",      "long",     "register", "restrict", "return",
        "short",   "signed",   "sizeof",   "static",   "struct",   "switch",
        "typedef", "union",    "unsigned", "void",     "volatile", "while",
        "bool",    "true",     "false",    "kiln_str"};
    for (size_t i = 0; i < sizeof taken / sizeof taken[0]; i++)
        if (strlen(taken[i]) == n && memcmp(taken[i], name, n) == 0)
            return true;
    return false;
}

/* The local variable that holds a parameter: its name, else name_param. */
static void put_var(kiln_buf *b, const char *name, size_t n)
{
    kiln_buf_printf(b, "%.*s%s", (int)n, name,
                    needs_suffix(name, n) ? "_param" : "");
}

static void put_read_param(kiln_buf *b, const char *name, size_t n, bool first)
{
    (void)first;
    kiln_buf_puts(b, "    kiln_str ");
    put_var(b, name, n);
    kiln_buf_printf(b, " = kiln_param(c, \"%.*s\"); /* from the path */\n",
                    (int)n, name);
}

static void put_json_key(kiln_buf *b, const char *name, size_t n, bool first)
{
    kiln_buf_printf(b, "%s%.*s:%%S", first ? "" : ", ", (int)n, name);
}

static void put_json_arg(kiln_buf *b, const char *name, size_t n, bool first)
{
    (void)first;
    kiln_buf_puts(b, ", ");
    put_var(b, name, n);
}

static void put_set_param(kiln_buf *b, const char *name, size_t n, bool first)
{
    (void)first;
    kiln_buf_printf(b, "    kiln_value_set(ctx, \"%.*s\", kiln_value_str(",
                    (int)n, name);
    put_var(b, name, n);
    kiln_buf_puts(b, "));\n");
}

/* api/NAME.c: a GET handler answering JSON. */
static void write_api(kiln_buf *b, const gen_job *j)
{
    const char *route = j->pattern ? j->pattern : "(not routed yet)";
    kiln_buf_printf(b,
                    "/*\n"
                    " * GET %s\n"
                    " *\n"
                    " * Each KILN_<METHOD>(label) { ... } in this file "
                    "answers one HTTP method\n"
                    " * of the route (KILN_POST, KILN_PUT, KILN_PATCH, "
                    "KILN_DELETE...); the\n"
                    " * request is `c`. Return what a kiln_* response call "
                    "returns.\n"
                    " */\n"
                    "#include <kiln.h>\n\n"
                    "KILN_GET(%s)\n{\n",
                    route, j->label);
    bool params = j->pattern && strchr(j->pattern, '{');
    if (!params) {
        kiln_buf_puts(b, "    return kiln_jsonf(c, 200, \"{ok:%b}\", true);\n"
                         "}\n");
        return;
    }
    each_param(j->pattern, put_read_param, b);
    kiln_buf_puts(b, "    return kiln_jsonf(c, 200, \"{");
    each_param(j->pattern, put_json_key, b);
    kiln_buf_puts(b, "}\"");
    each_param(j->pattern, put_json_arg, b);
    kiln_buf_puts(b, ");\n}\n");
}

/* pages/NAME.html: the page, in the layout when there is one. */
static void write_page(kiln_buf *b, const gen_job *j)
{
    const char *title = j->param ? "{{ title }} {{ %s }}" : "{{ title }}";
    char shown[160];
    snprintf(shown, sizeof shown, title, j->param ? j->param : "");
    if (j->layout) {
        kiln_buf_printf(b,
                        "{%% extends \"_layout.html\" %%}\n"
                        "{%% block title %%}%s{%% endblock %%}\n"
                        "{%% block content %%}\n"
                        "  <h1>%s</h1>\n"
                        "{%% endblock %%}\n",
                        shown, shown);
        return;
    }
    kiln_buf_printf(b,
                    "<!doctype html>\n"
                    "<html lang=\"en\">\n"
                    "<head>\n"
                    "  <meta charset=\"utf-8\">\n"
                    "  <title>%s</title>\n"
                    "</head>\n"
                    "<body>\n"
                    "  <h1>%s</h1>\n"
                    "</body>\n"
                    "</html>\n",
                    shown, shown);
}

/* pages/NAME.c: the page's loader, filling what the template shows. */
static void write_loader(kiln_buf *b, const gen_job *j)
{
    const char *route = j->pattern ? j->pattern : "(not routed yet)";
    kiln_buf_printf(b,
                    "/*\n"
                    " * GET %s: the loader of pages/%s.html\n"
                    " *\n"
                    " * It fills the variables the template shows, then the "
                    "page renders.\n"
                    " * It may answer by itself instead (kiln_problem(c, 404, "
                    "...)), and a\n"
                    " * KILN_POST(label) { ... } in this file would answer the "
                    "page's forms:\n"
                    " * kiln_page_invalid(c, &errs) shows the form again with "
                    "its errors, and\n"
                    " * kiln_redirect(c, 303, \"/...\") goes on once the "
                    "input is saved\n"
                    " * (docs/forms.md).\n"
                    " */\n"
                    "#include <kiln.h>\n\n"
                    "KILN_LOAD(%s)\n{\n",
                    route, j->name, j->label);
    each_param(j->pattern, put_read_param, b);
    each_param(j->pattern, put_set_param, b);
    kiln_buf_printf(b,
                    "    kiln_value_set(ctx, \"title\", "
                    "kiln_value_cstr(\"%s\"));\n"
                    "    return 0;\n}\n",
                    j->title);
}

static void plan_api(gen_job *j)
{
    gen_add(j, "api", ".c", write_api);
}

static void plan_page(gen_job *j)
{
    gen_add(j, "pages", ".html", write_page);
    gen_add(j, "pages", ".c", write_loader);
}

static const gen_kind kinds[] = {
    {"api", "kiln gen api NAME    api/NAME.c: GET /api/NAME, answering JSON",
     plan_api},
    {"page",
     "kiln gen page NAME   pages/NAME.html and its loader pages/NAME.c: "
     "GET /NAME",
     plan_page},
};

/* ---- names ------------------------------------------------------------- */

/* The segment that names the route: the last one, or the one before a
   trailing "index". */
static const char *naming_segment(const char *name, size_t *n)
{
    const char *end = name + strlen(name);
    for (;;) {
        const char *s = end;
        while (s > name && s[-1] != '/')
            s--;
        if ((size_t)(end - s) == 5 && memcmp(s, "index", 5) == 0 && s > name) {
            end = s - 1;
            continue;
        }
        *n = (size_t)(end - s);
        return s;
    }
}

/* Fills j->label (a C identifier) and j->title (words) from the name. */
static void make_names(gen_job *j)
{
    size_t n;
    const char *s = naming_segment(j->name, &n);
    char raw[48]; /* the segment's letters, digits and '_' */
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < sizeof raw; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (isalnum(ch) || ch == '_')
            raw[k++] = (char)tolower(ch);
        else if (k && raw[k - 1] != '_' && i + 1 < n &&
                 (isalnum((unsigned char)s[i + 1]) || s[i + 1] == '_'))
            raw[k++] = '_';
    }
    raw[k] = 0;
    /* "route", or "route_2fa" for a label that would start with a digit */
    bool prefix = !k || isdigit((unsigned char)raw[0]);
    snprintf(j->label, sizeof j->label, "%s%s%s", prefix ? "route" : "",
             prefix && k ? "_" : "", raw);
    /* the title: the segment's words, without a parameter's brackets; a
       parameter segment is titled by its folder ("posts/[id]": Posts),
       or by its name at the top ("[slug]": Slug) */
    const char *t = s;
    size_t tn = n;
    if (n && s[0] == '[' && s > j->name) {
        const char *end = s - 1;
        const char *f = end;
        while (f > j->name && f[-1] != '/')
            f--;
        t = f;
        tn = (size_t)(end - f);
    }
    k = 0;
    for (size_t i = 0; i < tn && k + 1 < sizeof j->title; i++) {
        char ch = t[i];
        if (ch == '[' || ch == ']' || ch == '.')
            continue;
        if (ch == '-' || ch == '_')
            ch = ' ';
        else if (ch == '"' || ch == '\\' || (unsigned char)ch < 0x20)
            continue; /* it goes into a C string */
        j->title[k] = k == 0 ? (char)toupper((unsigned char)ch) : ch;
        k++;
    }
    j->title[k] = 0;
    if (!k)
        snprintf(j->title, sizeof j->title, "%s", "Home");
}

/* ---- the command --------------------------------------------------------
 */

/* A relative path without empty, "." or ".." segments (the routing rules
   judge the rest). */
static bool usable_name(const char *name)
{
    if (!*name || *name == '/')
        return false;
    for (const char *s = name; *s;) {
        size_t n = strcspn(s, "/");
        if (n == 0 || (n == 1 && s[0] == '.') ||
            (n == 2 && s[0] == '.' && s[1] == '.'))
            return false;
        s += n + (s[n] ? 1 : 0);
    }
    return true;
}

static void gen_help(FILE *f)
{
    fputs("usage: kiln gen KIND NAME\n\n", f);
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        fprintf(f, "  %s\n", kinds[i].usage);
    fputs("  kiln gen model NAME FIELD:TYPE...  models/NAME.toml (kiln gen "
          "model --help)\n",
          f);
    fputs("\nNAME may have folders and parameters: kiln gen api "
          "posts/[id] is\nGET /api/posts/{id}; a last segment 'index' is "
          "its folder's route.\nExisting files are never overwritten.\n",
          f);
}

/* Writes every planned file; with fresh, refuses any that exists. */
static int write_files(const gen_job *j, bool fresh)
{
    for (size_t i = 0; i < j->nfiles; i++) {
        const gen_file *f = &j->files[i];
        char path[PATH_MAX * 2];
        if (cli_pathf(path, sizeof path, "%s/%s", j->root, f->rel) != 0)
            return cli_fail("%s: the path is too long", f->rel);
        if (fresh) {
            char *slash = strrchr(path, '/');
            *slash = 0;
            if (cli_mkdirs(path) != 0)
                return cli_fail("cannot create %s: %s", path, strerror(errno));
            *slash = '/';
        }
        kiln_buf b;
        kiln_buf_init(&b);
        f->write(&b, j);
        int rc = b.p ? cli_write_file(path, b.p, b.n, 0644) : -1;
        kiln_buf_deinit(&b);
        if (rc != 0)
            return cli_fail("cannot write %s: %s", f->rel, strerror(errno));
    }
    return 0;
}

static void remove_files(const gen_job *j)
{
    for (size_t i = 0; i < j->nfiles; i++) {
        char path[PATH_MAX * 2];
        if (cli_pathf(path, sizeof path, "%s/%s", j->root, j->files[i].rel) ==
            0)
            unlink(path);
    }
}

int cmd_gen(int argc, char **argv)
{
    /* models have fields, not routes: cli/gen_model.c */
    if (argc >= 2 && strcmp(argv[1], "model") == 0)
        return cli_gen_model(argc - 1, argv + 1);
    if (cli_wants_help(argc, argv)) {
        gen_help(stdout);
        return 0;
    }
    for (int i = 1; i < argc; i++)
        if (argv[i][0] == '-' && argv[i][1])
            return cli_unknown_option(argv[i]);
    if (argc != 3)
        return cli_usage_error("needs a KIND and a NAME");
    const gen_kind *kind = NULL;
    const char *names[sizeof kinds / sizeof kinds[0] + 1];
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        names[i] = kinds[i].name;
        if (strcmp(kinds[i].name, argv[1]) == 0)
            kind = &kinds[i];
    }
    names[sizeof kinds / sizeof kinds[0]] = "model";
    if (!kind) {
        const char *near =
            cli_suggest(argv[1], names, sizeof kinds / sizeof kinds[0] + 1);
        if (near)
            return cli_usage_error("unknown kind '%s' (did you mean '%s'?)",
                                   argv[1], near);
        return cli_usage_error("unknown kind '%s'", argv[1]);
    }
    gen_job j = {0};
    if (cli_pathf(j.name, sizeof j.name, "%s", argv[2]) != 0)
        return cli_usage_error("the NAME is too long");
    size_t n = strlen(j.name);
    while (n && j.name[n - 1] == '/')
        j.name[--n] = 0;
    static const char *const exts[] = {".c", ".html"};
    for (size_t i = 0; i < 2; i++) {
        size_t e = strlen(exts[i]);
        if (n > e && strcmp(j.name + n - e, exts[i]) == 0)
            j.name[n -= e] = 0;
    }
    if (!usable_name(j.name))
        return cli_usage_error("'%s' is not a usable name", argv[2]);
    char root[PATH_MAX];
    if (cli_find_root(root) || cli_check_project(root))
        return 1;
    j.root = root;
    j.base = strrchr(j.name, '/') ? strrchr(j.name, '/') + 1 : j.name;
    make_names(&j);
    char layout[PATH_MAX + 32];
    cli_pathf(layout, sizeof layout, "%s/pages/_layout.html", root);
    j.layout = cli_exists(layout);
    kind->plan(&j);
    for (size_t i = 0; i < j.nfiles; i++) {
        char path[PATH_MAX * 2];
        cli_pathf(path, sizeof path, "%s/%s", root, j.files[i].rel);
        if (cli_exists(path))
            return cli_fail("%s already exists; not overwriting it",
                            j.files[i].rel);
    }
    if (write_files(&j, true) != 0) {
        remove_files(&j);
        return 1;
    }
    /* the router's reading of the new files: errors, and their route */
    cli_scan s;
    cli_scan_project(root, &s);
    bool bad = false;
    for (size_t i = 0; i < s.errors.n; i++)
        for (size_t k = 0; k < j.nfiles; k++)
            if (strstr(s.errors.v[i], j.files[k].rel)) {
                bad = true;
                cli_fail("error: %s", s.errors.v[i]);
                break;
            }
    char pattern[PATH_MAX] = "";
    char param[128] = "";
    for (size_t i = 0; i < s.nroutes; i++)
        if (strcmp(s.routes[i].file, j.files[0].rel) == 0)
            snprintf(pattern, sizeof pattern, "%s", s.routes[i].pattern);
    cli_scan_free(&s);
    if (bad || !*pattern) {
        remove_files(&j);
        if (!bad)
            cli_fail("%s would not be routed", j.files[0].rel);
        return cli_fail("%s was not added", j.files[0].rel);
    }
    /* the last segment's parameter, for the title */
    const char *lb = strrchr(pattern, '{');
    if (lb && !strchr(lb, '/')) {
        lb += strncmp(lb, "{...", 4) == 0 ? 4 : 1;
        snprintf(param, sizeof param, "%.*s", (int)strcspn(lb, "}"), lb);
        j.param = param;
    }
    j.pattern = pattern;
    if (write_files(&j, false) != 0) {
        remove_files(&j);
        return 1;
    }
    for (size_t i = 0; i < j.nfiles; i++)
        printf("created %s\n", j.files[i].rel);
    printf("route: GET %s\n", pattern);
    return 0;
}
