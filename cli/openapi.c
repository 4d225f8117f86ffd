/*
 * cli/openapi.c - `kiln openapi`: prints the project's OpenAPI 3.1
 * document (src/openapi/openapi.c writes it), and the generated C file
 * that compiles it into the app (.kiln/<mode>/gen/openapi.c), served at
 * GET /api/openapi.json. The document is made once per build, never per
 * request.
 */
#include "cli.h"

#include "auth/auth_impl.h"

#include "model/model.h"
#include "openapi/openapi.h"

#include <errno.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

int cli_openapi_doc(const char *name, const struct model_set *ms,
                    const cli_scan *s, kiln_buf *out, bool *any)
{
    oapi_route *routes = calloc(s->nroutes + auth_nroutes + 1, sizeof *routes);
    if (!routes)
        return KILN_ENOMEM;
    for (size_t i = 0; i < s->nroutes; i++) {
        const cli_route *r = &s->routes[i];
        routes[i] = (oapi_route){r->method, r->pattern, r->file, r->page, NULL};
        for (size_t k = 0; r->input && k < ms->nendpoints; k++)
            if (strcmp(ms->endpoints[k]->name, r->input) == 0)
                routes[i].endpoint = ms->endpoints[k];
    }
    oapi_doc d = {.title = name,
                  .version = "1.0.0",
                  .models = ms->models,
                  .nmodels = ms->n,
                  .routes = routes,
                  .nroutes = s->nroutes};
    /* the document is served when the app has operations of its own;
       Kiln's auth API is in it then (its pages, /login, are not), unless
       the app answers the same method and path itself */
    if (any)
        *any = oapi_has_operations(&d);
    for (size_t i = 0; i < auth_nroutes; i++) {
        const auth_route *a = &auth_routes[i];
        bool mine = false;
        for (size_t k = 0; k < s->nroutes && !mine; k++)
            mine = strcmp(s->routes[k].method, a->method) == 0 &&
                   strcmp(s->routes[k].pattern, a->pattern) == 0;
        if (!mine)
            routes[d.nroutes++] = (oapi_route){
                a->method, a->pattern, "Kiln's auth (docs/auth.md)",
                strncmp(a->pattern, "/api/", 5) != 0, NULL};
    }
    int rc = oapi_write(&d, out);
    free(routes);
    return rc;
}

const char *const cli_apidocs_routes[4] = {
    "/api/docs", "/api/docs/swagger-ui.css", "/api/docs/swagger-ui-bundle.js",
    "/api/docs/init.js"};

bool cli_apidocs_release(const char *root)
{
    kiln_settings_in in = {.root = root, .dev = false};
    kiln_settings *s = NULL;
    char err[512];
    bool on = false;
    if (kiln_settings_load(&in, &s, err, sizeof err) == 0) {
        const char *v = kiln_settings_str(s, "api.docs");
        on = v && strcmp(v, "on") == 0;
    }
    kiln_settings_free(s);
    return on;
}

bool cli_apidocs_dir(char dir[PATH_MAX])
{
    char probe[PATH_MAX + 32];
    if (cli_pathf(dir, PATH_MAX,
                  "%s/share/openapi-docs/node_modules/swagger-ui-dist",
                  KILN_SOURCE_DIR) != 0 ||
        cli_pathf(probe, sizeof probe, "%s/swagger-ui-bundle.js", dir) != 0)
        return false;
    return cli_exists(probe);
}

/* The /api/docs page: swagger-ui-dist's script and style sheet compiled
   in (the files of docs), a page and the script that starts it. */
static void put_apidocs(kiln_buf *c, const char *name, const char *docs)
{
    static const char *const files[2] = {"swagger-ui.css",
                                         "swagger-ui-bundle.js"};
    kiln_buf_puts(c, "\n/* the /api/docs page: swagger-ui-dist (npm, "
                     "share/openapi-docs of Kiln), compiled in */\n");
    long long size[2] = {0, 0};
    for (int i = 0; i < 2; i++) {
        char abs[PATH_MAX + 64], sym[32];
        cli_pathf(abs, sizeof abs, "%s/%s", docs, files[i]);
        struct stat st;
        size[i] = stat(abs, &st) == 0 ? (long long)st.st_size : 0;
        snprintf(sym, sizeof sym, "kiln_apidocs_%d", i + 1);
        cli_put_incbin(c, sym, abs);
    }
    kiln_buf_puts(c, "\nstatic const char docs_html[] =\n"
                     "    \"<!DOCTYPE html>\\n\"\n"
                     "    \"<html lang=\\\"en\\\">\\n\"\n"
                     "    \"<head>\\n\"\n"
                     "    \"<meta charset=\\\"utf-8\\\">\\n\"\n"
                     "    \"<meta name=\\\"viewport\\\" "
                     "content=\\\"width=device-width, "
                     "initial-scale=1\\\">\\n\"\n"
                     "    \"<title>");
    kiln_buf t;
    kiln_buf_init(&t);
    for (const char *p = name; *p; p++) /* HTML text */
        if (*p == '<')
            kiln_buf_puts(&t, "&lt;");
        else if (*p == '>')
            kiln_buf_puts(&t, "&gt;");
        else if (*p == '&')
            kiln_buf_puts(&t, "&amp;");
        else
            kiln_buf_putc(&t, *p);
    kiln_buf_puts(&t, " API</title>");
    char *title = t.p ? strndup(t.p, t.n) : NULL;
    kiln_buf_deinit(&t);
    /* the title as a C string, without the quotes cli_put_cstr adds */
    kiln_buf q;
    kiln_buf_init(&q);
    cli_put_cstr(&q, title ? title : "API</title>");
    free(title);
    if (q.n >= 2)
        kiln_buf_append(c, q.p + 1, q.n - 2);
    kiln_buf_deinit(&q);
    kiln_buf_puts(
        c, "\\n\"\n"
           "    \"<link rel=\\\"stylesheet\\\" "
           "href=\\\"/api/docs/swagger-ui.css\\\">\\n\"\n"
           "    \"</head>\\n\"\n"
           "    \"<body>\\n\"\n"
           "    \"<div id=\\\"docs\\\"></div>\\n\"\n"
           "    \"<script src=\\\"/api/docs/swagger-ui-bundle.js\\\">"
           "</script>\\n\"\n"
           "    \"<script src=\\\"/api/docs/init.js\\\"></script>\\n\"\n"
           "    \"</body>\\n\"\n"
           "    \"</html>\\n\";\n\n"
           "/* no validator (it would call a server on the Internet) */\n"
           "static const char docs_init[] =\n"
           "    \"window.ui = SwaggerUIBundle({url: "
           "\\\"/api/openapi.json\\\", dom_id: \\\"#docs\\\",\\n\"\n"
           "    \"    deepLinking: true, validatorUrl: null});\\n\";\n\n"
           "/* served in development, and in production when api.docs is "
           "\"on\" */\n"
           "static bool docs_on(void)\n{\n"
           "    const kiln_settings *s = kiln_project_settings();\n"
           "    const char *v = s ? kiln_settings_str(s, \"api.docs\") : "
           "NULL;\n"
           "    if (v && strcasecmp(v, \"on\") == 0)\n"
           "        return true;\n"
           "    if (v && strcasecmp(v, \"off\") == 0)\n"
           "        return false;\n"
           "    return s && kiln_settings_dev(s);\n}\n\n"
           "static int docs_send(kiln_ctx *c, const void *data, size_t n,\n"
           "                     const char *type)\n{\n"
           "    if (!docs_on())\n"
           "        return kiln_problem(c, 404, \"the API's documentation is "
           "served in development (api.docs)\");\n"
           "    return kiln_static_send(c, data, n, type, 0);\n}\n\n");
    kiln_buf_printf(
        c,
        "int kiln_gen_apidocs_0_GET(kiln_ctx *c)\n{\n"
        "    return docs_send(c, docs_html, sizeof docs_html - 1,\n"
        "                     \"text/html; charset=utf-8\");\n}\n\n"
        "int kiln_gen_apidocs_1_GET(kiln_ctx *c)\n{\n"
        "    return docs_send(c, kiln_apidocs_1, %lld, \"text/css; "
        "charset=utf-8\");\n}\n\n"
        "int kiln_gen_apidocs_2_GET(kiln_ctx *c)\n{\n"
        "    return docs_send(c, kiln_apidocs_2, %lld,\n"
        "                     \"text/javascript; charset=utf-8\");\n}\n\n"
        "int kiln_gen_apidocs_3_GET(kiln_ctx *c)\n{\n"
        "    return docs_send(c, docs_init, sizeof docs_init - 1,\n"
        "                     \"text/javascript; charset=utf-8\");\n}\n",
        size[0], size[1]);
}

void cli_openapi_c(const char *name, const kiln_buf *doc, bool release,
                   const char *docs, kiln_buf *c)
{
    kiln_buf_puts(c, "/*\n * The OpenAPI document of ");
    cli_put_comment(c, name);
    kiln_buf_printf(
        c,
        ", written by `kiln %s` from models/ and api/\n"
        " * (`kiln openapi` prints it). It is regenerated on "
        "every build: edit those\n * files, not this one.\n */\n"
        "#include <kiln.h>\n\n%sstatic const char openapi_json[] =\n",
        release ? "build" : "dev",
        docs ? "#include <string.h>\n#include <strings.h>\n\n" : "");
    const char *p = doc->p ? doc->p : "", *end = p + doc->n;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
        char *line = strndup(p, n);
        kiln_buf_puts(c, "    ");
        cli_put_cstr(c, line ? line : "");
        kiln_buf_putc(c, '\n');
        free(line);
        p += n;
    }
    kiln_buf_puts(
        c, "    ;\n\n"
           "/* GET /api/openapi.json: the document, with a strong ETag (304 "
           "on If-None-Match) */\n"
           "int kiln_gen_openapi_GET(kiln_ctx *c)\n{\n"
           "    return kiln_static_send(c, openapi_json, sizeof openapi_json "
           "- 1,\n"
           "                            \"application/json\", 0);\n}\n");
    if (docs)
        put_apidocs(c, name, docs);
}

static const char openapi_help[] =
    "usage: kiln openapi [--out FILE]\n\n"
    "Prints the OpenAPI 3.1 document of the project: the generated CRUD API\n"
    "of every model with [api], the api/ handlers with an endpoint schema\n"
    "(api/NAME.toml) and those without one (documented as taking and\n"
    "answering any JSON). Pages and WebSockets are left out. `kiln dev` and\n"
    "`kiln build` compile the same document into the app, which serves it\n"
    "at GET /api/openapi.json.\n\n"
    "  --out FILE   write it to FILE instead of standard output\n";

int cmd_openapi(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(openapi_help, stdout);
        return 0;
    }
    const char *outfile = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
            outfile = argv[++i];
        else if (strncmp(argv[i], "--out=", 6) == 0)
            outfile = argv[i] + 6;
        else if (strcmp(argv[i], "--out") == 0)
            return cli_usage_error("--out needs a file name");
        else
            return cli_unknown_option(argv[i]);
    }
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
    model_set ms;
    model_set_init(&ms);
    kiln_buf errs, doc;
    kiln_buf_init(&errs);
    kiln_buf_init(&doc);
    int rc = model_load_dir(&ms, root, &errs);
    if (rc == 0)
        rc = cli_load_endpoints(root, &ms, &s, &errs);
    int status = 0;
    if (rc != 0) {
        if (errs.n)
            fprintf(stderr, "%.*s", (int)errs.n, errs.p);
        else
            cli_fail("models/: %s", kiln_strerror(rc));
        status = 1;
    } else {
        char name[128];
        cli_project_name(root, name, sizeof name);
        rc = cli_openapi_doc(name, &ms, &s, &doc, NULL);
        if (rc != 0)
            status = cli_fail("%s", kiln_strerror(rc));
        else if (outfile) {
            if (cli_write_file(outfile, doc.p, doc.n, 0644) != 0)
                status =
                    cli_fail("cannot write %s: %s", outfile, strerror(errno));
        } else if (fwrite(doc.p, 1, doc.n, stdout) != doc.n ||
                   fflush(stdout) != 0)
            status = cli_fail("cannot write: %s", strerror(errno));
    }
    kiln_buf_deinit(&errs);
    kiln_buf_deinit(&doc);
    model_set_free(&ms);
    cli_scan_free(&s);
    return status;
}
