/*
 * cli/gen.c - writes a project's route table and main() as C
 * (.kiln/<mode>/gen/routes.c): readable, commented, regenerated on every
 * build and rewritten only when it changes (so it recompiles only then).
 * A release build also compiles pages (and, when asked, static/) into the
 * binary with the assembler's .incbin.
 */
#include "cli.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void cli_put_incbin(kiln_buf *b, const char *sym, const char *abs)
{
    kiln_buf_printf(b,
                    "__asm__(\".section .rodata.kiln_embed,\\\"a\\\"\\n\"\n"
                    "        \".balign 16\\n.globl %s\\n.hidden %s\\n%s:\\n\"\n"
                    "        \".incbin \\\"",
                    sym, sym, sym);
    /* the path inside an assembler string inside a C string */
    for (const unsigned char *p = (const unsigned char *)abs; *p; p++) {
        if (*p == '"' || *p == '\\')
            kiln_buf_printf(b, "\\\\\\%c", *p);
        else if (*p < 0x20 || *p >= 0x7f)
            kiln_buf_printf(b, "\\\\%03o", *p);
        else
            kiln_buf_putc(b, (char)*p);
    }
    kiln_buf_printf(b,
                    "\\\"\\n.byte 0\\n.previous\\n\");\n"
                    "extern const unsigned char %s[];\n",
                    sym);
}

/* Collects static/ files (relative to static/), skipping dotfiles. */
static int list_static(const char *dir, const char *rel, cli_strs *out)
{
    char path[PATH_MAX * 2];
    snprintf(path, sizeof path, "%s%s%s", dir, *rel ? "/" : "", rel);
    DIR *d = opendir(path);
    if (!d)
        return 0;
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char crel[PATH_MAX];
        snprintf(crel, sizeof crel, "%s%s%s", rel, *rel ? "/" : "", e->d_name);
        char cpath[PATH_MAX * 3];
        snprintf(cpath, sizeof cpath, "%s/%s", dir, crel);
        struct stat st;
        if (stat(cpath, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            rc = list_static(dir, crel, out);
        else if (S_ISREG(st.st_mode))
            rc = cli_strs_addf(out, "%s", crel);
    }
    closedir(d);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Compiles the files of dir in (dotfiles skipped): an incbin symbol
 * SYM_<i> each, and "static const kiln_static_file TABLE[]" listing them
 * under the comment what. Returns the number of files (0: none, nothing
 * written).
 */
static size_t embed_folder(kiln_buf *b, const char *dir, const char *table,
                           const char *sym, const char *what)
{
    cli_strs files = {0};
    list_static(dir, "", &files);
    if (files.n)
        qsort(files.v, files.n, sizeof(char *), cmp_str);
    for (size_t i = 0; i < files.n; i++) {
        char abs[PATH_MAX * 3], name[48];
        snprintf(abs, sizeof abs, "%s/%s", dir, files.v[i]);
        snprintf(name, sizeof name, "%s_%zu", sym, i);
        cli_put_incbin(b, name, abs);
    }
    size_t n = 0;
    if (files.n) {
        kiln_buf_printf(b,
                        "\n/* %s, compiled in */\n"
                        "static const kiln_static_file %s[] = {\n",
                        what, table);
        for (size_t i = 0; i < files.n; i++) {
            char abs[PATH_MAX * 3];
            snprintf(abs, sizeof abs, "%s/%s", dir, files.v[i]);
            struct stat st;
            if (stat(abs, &st) != 0)
                continue;
            kiln_buf_puts(b, "    {");
            cli_put_cstr(b, files.v[i]);
            kiln_buf_printf(b, ", %s_%zu, %lld, %lld},\n", sym, i,
                            (long long)st.st_size, (long long)st.st_mtime);
            n++;
        }
        kiln_buf_puts(b, "};\n\n");
    }
    cli_strs_free(&files);
    return n;
}

int cli_gen_routes(const char *root, const char *name, const cli_scan *s,
                   const cli_build_opts *o, const char *path)
{
    kiln_buf b;
    kiln_buf_init(&b);
    kiln_buf_puts(&b, "/*\n * The route table of ");
    cli_put_comment(&b, name);
    kiln_buf_printf(&b,
                    ", written by `kiln %s` from api/, ws/, pages/, tasks/ "
                    "and services/.\n"
                    " * It is regenerated on every build: edit those files, "
                    "not this one.\n *\n",
                    o->test      ? "test"
                    : o->release ? "build"
                                 : "dev");
    for (size_t i = 0; i < s->nroutes; i++) {
        kiln_buf_printf(&b, " *   %-7s %-30s ", s->routes[i].method,
                        s->routes[i].pattern);
        cli_put_comment(&b, s->routes[i].file);
        kiln_buf_putc(&b, '\n');
    }
    if (!s->nroutes)
        kiln_buf_puts(
            &b, " *   (no routes yet: add a file under api/ or pages/)\n");
    kiln_buf_puts(&b, " */\n#include <kiln.h>\n");
    if (o->test)
        kiln_buf_puts(&b, "#include <kiln/testing.h>\n");
    kiln_buf_putc(&b, '\n');

    /* handlers */
    bool any = false;
    for (size_t i = 0; i < s->nroutes; i++) {
        const cli_route *r = &s->routes[i];
        if (r->page)
            continue;
        if (!any)
            kiln_buf_puts(&b, "/* handlers: KILN_<METHOD>(name) in each file "
                              "defines <unit>_<METHOD> */\n");
        any = true;
        kiln_buf_printf(&b, "int %s_%s(kiln_ctx *c); /* ", r->unit, r->method);
        cli_put_comment(&b, r->file);
        kiln_buf_puts(&b, " */\n");
    }
    if (any)
        kiln_buf_putc(&b, '\n');

    /* endpoint schemas: their input is decoded before the handler runs */
    any = false;
    for (size_t i = 0; i < s->nroutes; i++) {
        const cli_route *r = &s->routes[i];
        if (!r->input)
            continue;
        if (!any)
            kiln_buf_puts(&b, "/* endpoint schemas (models.c) */\n");
        any = true;
        kiln_buf_printf(&b, "extern const kiln_endpoint %s_endpoint; /* ",
                        r->input);
        cli_put_comment(&b, r->schema);
        kiln_buf_puts(&b, " */\n");
    }
    if (any)
        kiln_buf_putc(&b, '\n');

    /* pages: rendered as templates; KILN_LOAD fills their context */
    size_t npage = 0;
    for (size_t i = 0; i < s->nroutes; i++) {
        const cli_route *r = &s->routes[i];
        if (r->page && r->loader)
            kiln_buf_printf(&b, "int %s_LOAD(kiln_ctx *c, kiln_value ctx);\n",
                            r->loader);
    }
    for (size_t i = 0; i < s->nroutes; i++) {
        const cli_route *r = &s->routes[i];
        if (!r->page)
            continue;
        if (npage == 0)
            kiln_buf_puts(&b, "/* pages */\n");
        kiln_buf_printf(&b, "static const kiln_page kiln_page_%zu = {", npage);
        cli_put_cstr(&b, r->file);
        kiln_buf_puts(&b, ", NULL, 0, 0, ");
        cli_put_cstr(&b, r->file + strlen("pages/"));
        if (r->loader)
            kiln_buf_printf(&b, ", %s_LOAD};\n", r->loader);
        else
            kiln_buf_puts(&b, ", NULL};\n");
        npage++;
    }
    if (npage)
        kiln_buf_putc(&b, '\n');

    /* release: every template compiled in, templates/ first (pages/ files
       of the same name win, as in the search path) */
    size_t ntpl = 0;
    if (o->release) {
        const cli_strs *lists[] = {&s->templates, &s->pages};
        kiln_buf_puts(&b, "/* pages/ and templates/, compiled in */\n");
        kiln_buf tab;
        kiln_buf_init(&tab);
        for (size_t l = 0; l < 2; l++)
            for (size_t i = 0; i < lists[l]->n; i++) {
                const char *rel = lists[l]->v[i];
                char abs[PATH_MAX * 2], sym[48];
                snprintf(abs, sizeof abs, "%s/%s", root, rel);
                struct stat st;
                if (stat(abs, &st) != 0) {
                    kiln_buf_deinit(&tab);
                    kiln_buf_deinit(&b);
                    return -1;
                }
                snprintf(sym, sizeof sym, "kiln_tpl_%zu", ntpl);
                cli_put_incbin(&b, sym, abs);
                kiln_buf_puts(&tab, "    {");
                cli_put_cstr(&tab, rel);
                kiln_buf_printf(&tab, ", %s, %lld, %lld, ", sym,
                                (long long)st.st_size, (long long)st.st_mtime);
                cli_put_cstr(&tab, strchr(rel, '/') + 1);
                kiln_buf_puts(&tab, ", NULL},\n");
                ntpl++;
            }
        if (ntpl) {
            kiln_buf_puts(&b, "static const kiln_page templates[] = {\n");
            kiln_buf_append(&b, tab.p, tab.n);
            kiln_buf_puts(&b, "};\n\n");
        }
        kiln_buf_deinit(&tab);
    }

    /* static files and the single-page app compiled in */
    size_t nstatic = 0, nspa = 0;
    if (o->release) {
        char dir[PATH_MAX * 2];
        snprintf(dir, sizeof dir, "%s/static", root);
        if (o->embed_static)
            nstatic =
                embed_folder(&b, dir, "statics", "kiln_static", "static/");
        if (o->spa_dir && *o->spa_dir) {
            if (o->spa_dir[0] == '/')
                snprintf(dir, sizeof dir, "%s", o->spa_dir);
            else
                snprintf(dir, sizeof dir, "%s/%s", root, o->spa_dir);
            nspa = embed_folder(&b, dir, "spa", "kiln_spa",
                                "the single-page app (frontend.spa)");
        }
    }

    /* tasks and services: KILN_TASK / KILN_SERVICE in each file define
       <unit>_TASK and <unit>_TASK_DEF (SERVICE likewise) */
    const cli_job *const jobs[2] = {s->tasks, s->services};
    const size_t njobs[2] = {s->ntasks, s->nservices};
    for (int k = 0; k < 2; k++) {
        const char *kind = k ? "SERVICE" : "TASK";
        if (!njobs[k])
            continue;
        kiln_buf_printf(&b, "/* %s: %s(label) in each file */\n",
                        k ? "services/" : "tasks/",
                        k ? "KILN_SERVICE" : "KILN_TASK");
        for (size_t i = 0; i < njobs[k]; i++) {
            const cli_job *j = &jobs[k][i];
            if (k)
                kiln_buf_printf(&b, "int %s_SERVICE(kiln_ctx *c); /* ",
                                j->unit);
            else
                kiln_buf_printf(&b,
                                "int %s_TASK(kiln_ctx *c, const kiln_json "
                                "*payload); /* ",
                                j->unit);
            cli_put_comment(&b, j->file);
            kiln_buf_printf(&b, " */\nextern const kiln_%s_def %s_%s_DEF;\n",
                            k ? "service" : "task", j->unit, kind);
        }
        kiln_buf_printf(&b, "\nstatic const kiln_%s_entry %s[] = {\n",
                        k ? "service" : "task", k ? "services" : "tasks");
        for (size_t i = 0; i < njobs[k]; i++) {
            const cli_job *j = &jobs[k][i];
            kiln_buf_puts(&b, "    {");
            cli_put_cstr(&b, j->name);
            kiln_buf_printf(&b, ", %s_%s, &%s_%s_DEF, ", j->unit, kind, j->unit,
                            kind);
            cli_put_cstr(&b, j->file);
            kiln_buf_puts(&b, "},\n");
        }
        kiln_buf_puts(&b, "};\n\n");
    }

    /* the OpenAPI document (gen/openapi.c), unless a file routes its URL */
    bool openapi = s->openapi;
    for (size_t i = 0; i < s->nroutes && openapi; i++)
        openapi = !(strcmp(s->routes[i].pattern, "/api/openapi.json") == 0 &&
                    strcmp(s->routes[i].method, "GET") == 0);
    if (openapi)
        kiln_buf_puts(&b, "/* the OpenAPI document (openapi.c) */\n"
                          "int kiln_gen_openapi_GET(kiln_ctx *c);\n");
    /* and its page, /api/docs, unless a file routes one of its URLs */
    size_t ndocs = openapi && s->apidocs ? 4 : 0;
    for (size_t j = 0; j < s->nroutes && ndocs; j++)
        if (strncmp(s->routes[j].pattern, "/api/docs", 9) == 0)
            ndocs = 0;
    for (size_t i = 0; i < ndocs; i++)
        kiln_buf_printf(&b, "int kiln_gen_apidocs_%zu_GET(kiln_ctx *c);\n", i);
    if (openapi)
        kiln_buf_putc(&b, '\n');

    /* the table */
    kiln_buf_puts(&b, "static const kiln_route_def routes[] = {\n");
    npage = 0;
    for (size_t i = 0; i < s->nroutes; i++) {
        const cli_route *r = &s->routes[i];
        kiln_buf_printf(&b, "    {\"%s\", ", r->method);
        cli_put_cstr(&b, r->pattern);
        if (r->page)
            kiln_buf_printf(&b, ", NULL, &kiln_page_%zu, ", npage++);
        else
            kiln_buf_printf(&b, ", %s_%s, NULL, ", r->unit, r->method);
        cli_put_cstr(&b, r->file);
        if (r->input)
            kiln_buf_printf(&b, ", &%s_endpoint", r->input);
        else
            kiln_buf_puts(&b, ", NULL");
        kiln_buf_puts(&b, "},\n");
    }
    if (openapi)
        kiln_buf_puts(&b, "    {\"GET\", \"/api/openapi.json\", "
                          "kiln_gen_openapi_GET, NULL, \"(kiln openapi)\", "
                          "NULL},\n");
    for (size_t i = 0; i < ndocs; i++)
        kiln_buf_printf(&b,
                        "    {\"GET\", \"%s\", kiln_gen_apidocs_%zu_GET, NULL, "
                        "\"(kiln openapi)\", NULL},\n",
                        cli_apidocs_routes[i], i);
    if (!s->nroutes && !openapi)
        kiln_buf_puts(&b, "    {NULL, NULL, NULL, NULL, NULL, NULL},\n");
    kiln_buf_puts(&b, "};\n");
    if (s->nnames) { /* route names (kiln/url.h) */
        kiln_buf_puts(
            &b, "\n/* the route names: what url('name', ...) in templates "
                "and\n   url_NAME() of routes.h build (kiln/url.h) "
                "*/\n"
                "static const kiln_route_name names[] = {\n");
        for (size_t i = 0; i < s->nnames; i++) {
            kiln_buf_puts(&b, "    {");
            cli_put_cstr(&b, s->names[i].name);
            kiln_buf_puts(&b, ", ");
            cli_put_cstr(&b, s->names[i].pattern);
            kiln_buf_puts(&b, "},\n");
        }
        kiln_buf_puts(&b, "};\n");
    }
    kiln_buf_puts(&b, "\n/* the models with a generated CRUD API "
                      "([api] in models/NAME.toml; models.c) */\n"
                      "extern const kiln_model *const kiln_api_models[];\n"
                      "extern const kiln_model *const kiln_models[];\n");
    kiln_buf_puts(&b, "\nstatic const kiln_project project = {\n"
                      "    .name = ");
    cli_put_cstr(&b, name);
    kiln_buf_puts(&b, ",\n    .root = ");
    cli_put_cstr(&b, root);
    kiln_buf_printf(&b,
                    ",\n    .release = %s,\n    .routes = routes,\n"
                    "    .nroutes = %zu,\n",
                    o->release ? "true" : "false",
                    s->nroutes + openapi + ndocs);
    if (nstatic)
        kiln_buf_printf(&b, "    .statics = statics,\n    .nstatics = %zu,\n",
                        nstatic);
    if (nspa)
        kiln_buf_printf(&b, "    .spa = spa,\n    .nspa = %zu,\n", nspa);
    int nmig = 0;
    {
        char mdir[PATH_MAX + 16];
        snprintf(mdir, sizeof mdir, "%s/migrations", root);
        DIR *d = opendir(mdir);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            size_t len = strlen(e->d_name);
            if (e->d_name[0] >= '0' && e->d_name[0] <= '9' &&
                ((len > 4 && strcmp(e->d_name + len - 4, ".sql") == 0) ||
                 (len > 5 && strcmp(e->d_name + len - 5, ".toml") == 0)))
                nmig++;
        }
        if (d)
            closedir(d);
    }
    if (nmig)
        kiln_buf_printf(&b, "    .nmigrations = %d,\n", nmig);
    if (ntpl)
        kiln_buf_printf(
            &b, "    .templates = templates,\n    .ntemplates = %zu,\n", ntpl);
    if (s->ntasks)
        kiln_buf_printf(&b, "    .tasks = tasks,\n    .ntasks = %zu,\n",
                        s->ntasks);
    if (s->nservices)
        kiln_buf_printf(&b,
                        "    .services = services,\n    .nservices = %zu,\n",
                        s->nservices);
    if (s->nnames)
        kiln_buf_printf(&b, "    .names = names,\n    .nnames = %zu,\n",
                        s->nnames);
    kiln_buf_puts(&b, "    .api_models = kiln_api_models,\n"
                      "    .models = kiln_models,\n");
    kiln_buf_printf(&b,
                    "};\n\nint main(int argc, char **argv)\n{\n"
                    "    return kiln_project_%smain(&project, argc, argv);\n"
                    "}\n",
                    o->test ? "test_" : "");
    int rc = b.n ? cli_write_if_changed(path, b.p, b.n) : -1;
    kiln_buf_deinit(&b);
    return rc;
}
