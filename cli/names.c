/*
 * cli/names.c - route names: every route of a project has one, shown by
 * `kiln routes`, turned into gen/routes.h (one typed function per name)
 * and checked in templates' url('...') calls at build time.
 *
 * The rule (docs/routing.md, "Route names"): the file's path below api/,
 * ws/ or pages/ without its extension, '/' becoming '.', [id] and
 * [...path] becoming id and path, a last "index" dropped; api/ and ws/
 * names start with "api." and "ws." ("api" and "ws" for their index),
 * the root page is "index":
 *
 *   api/projects/[id].c    api.projects.id
 *   api/index.c            api
 *   ws/room/[name].c       ws.room.name
 *   pages/index.html       index
 *   pages/posts/index.html posts
 *   pages/posts/[id].html  posts.id
 *
 * A .c file may name its route itself with KILN_NAME("task-detail") at file
 * scope (a page takes the name of the .c beside it). Generated routes
 * (CRUD) are named by their operationIds through cli_scan_name. One name
 * for two paths is a build error naming both files.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

int cli_route_name(const char *rel, char *out, size_t cap)
{
    static const char *const areas[] = {"api/", "ws/", "pages/"};
    size_t k = 0;
    while (k < 3 && strncmp(rel, areas[k], strlen(areas[k])) != 0)
        k++;
    if (k == 3 || cap < 8)
        return -1;
    const char *p = rel + strlen(areas[k]);
    const char *dot = strrchr(p, '.');
    size_t n = dot && !strchr(dot, '/') ? (size_t)(dot - p) : strlen(p);
    size_t o = 0;
    if (k < 2)
        o = (size_t)snprintf(out, cap, "%s", k == 0 ? "api" : "ws");
    out[o] = 0;
    size_t i = 0;
    while (i < n) {
        size_t e = i;
        while (e < n && p[e] != '/')
            e++;
        const char *seg = p + i;
        size_t sn = e - i;
        if (sn >= 2 && seg[0] == '[' && seg[sn - 1] == ']') {
            seg++, sn -= 2;
            if (sn > 3 && memcmp(seg, "...", 3) == 0)
                seg += 3, sn -= 3;
        }
        bool last = e >= n;
        if (!(last && sn == 5 && memcmp(seg, "index", 5) == 0)) {
            if (o + sn + 2 > cap)
                return -1;
            if (o)
                out[o++] = '.';
            memcpy(out + o, seg, sn);
            o += sn;
            out[o] = 0;
        }
        i = e + 1;
    }
    if (o == 0)
        snprintf(out, cap, "index");
    return kiln_route_name_ok(out) ? 0 : -1;
}

int cli_find_kiln_name(const char *src, char **name, int *line, int *col,
                       char *err, size_t errlen)
{
    *name = NULL;
    *line = *col = 0;
    int ln = 1;
    const char *bol = src, *p = src;
    while (*p) {
        if (p[0] == '/' && p[1] == '*') {
            const char *e = strstr(p + 2, "*/");
            const char *stop = e ? e + 2 : p + strlen(p);
            for (; p < stop; p++)
                if (*p == '\n')
                    ln++, bol = p + 1;
        } else if (p[0] == '/' && p[1] == '/') {
            while (*p && *p != '\n')
                p++;
        } else if (*p == '\n') {
            ln++, bol = ++p;
        } else if (*p == '"' || *p == '\'') {
            char q = *p++;
            while (*p && *p != q && *p != '\n')
                p += p[0] == '\\' && p[1] ? 2 : 1;
            if (*p == q)
                p++;
        } else if (strncmp(p, "KILN_NAME", 9) == 0 &&
                   (p == src ||
                    !(p[-1] == '_' || (p[-1] >= 'a' && p[-1] <= 'z') ||
                      (p[-1] >= 'A' && p[-1] <= 'Z') ||
                      (p[-1] >= '0' && p[-1] <= '9')))) {
            const char *at = p;
            p += 9;
            while (*p == ' ' || *p == '\t')
                p++;
            if (*p != '(') /* KILN_NAMES, a mention: not ours */
                continue;
            p++;
            while (*p == ' ' || *p == '\t')
                p++;
            const char *s = p + 1, *e = s;
            while (*p == '"' && *e && *e != '"' && *e != '\\' && *e != '\n')
                e++;
            if (*name) {
                snprintf(err, errlen,
                         "%d:%d: a second KILN_NAME (one name per file)", ln,
                         (int)(at - bol) + 1);
                free(*name);
                *name = NULL;
                return -1;
            }
            *line = ln;
            *col = (int)(at - bol) + 1;
            if (*p != '"' || *e != '"') {
                snprintf(err, errlen,
                         "%d:%d: KILN_NAME takes one plain string literal, "
                         "e.g. KILN_NAME(\"task-detail\")",
                         *line, *col);
                return -1;
            }
            if (!(*name = strndup(s, (size_t)(e - s)))) {
                snprintf(err, errlen, "out of memory");
                return -1;
            }
            if (!kiln_route_name_ok(*name)) {
                snprintf(err, errlen,
                         "%d:%d: '%s' cannot be a route name: use letters, "
                         "digits, '_', '-' and '.' (between words), a letter "
                         "or digit first",
                         *line, *col, *name);
                free(*name);
                *name = NULL;
                return -1;
            }
            p = e + 1;
        } else {
            p++;
        }
    }
    return *name ? 1 : 0;
}

/* The C function of a name: url_ + name with '.' and '-' as '_'. */
static void c_function(const char *name, char *out, size_t cap)
{
    size_t o = (size_t)snprintf(out, cap, "url_");
    for (const char *p = name; *p && o + 1 < cap; p++)
        out[o++] = (*p == '.' || *p == '-') ? '_' : *p;
    out[o] = 0;
}

int cli_scan_name(cli_scan *s, const char *name, const char *pattern,
                  const char *file)
{
    char fa[KILN_ROUTE_NAME_MAX + 8], fb[KILN_ROUTE_NAME_MAX + 8];
    c_function(name, fa, sizeof fa);
    for (size_t i = 0; i < s->nnames; i++) {
        const cli_name *x = &s->names[i];
        if (strcmp(x->name, name) == 0) {
            if (strcmp(x->pattern, pattern) != 0)
                cli_strs_addf(&s->errors,
                              "route name conflict: '%s' names both %s (%s) "
                              "and %s (%s); rename one (KILN_NAME(\"...\") in "
                              "a .c file)",
                              name, x->pattern, x->file, pattern, file);
            return 0;
        }
        c_function(x->name, fb, sizeof fb);
        if (strcmp(fa, fb) == 0) {
            cli_strs_addf(&s->errors,
                          "route name conflict: '%s' (%s) and '%s' (%s) make "
                          "the same C function %s in routes.h; rename one "
                          "(KILN_NAME(\"...\") in a .c file)",
                          x->name, x->file, name, file, fa);
            return 0;
        }
    }
    cli_name *v = realloc(s->names, (s->nnames + 1) * sizeof *v);
    if (!v)
        return -1;
    s->names = v;
    v = &v[s->nnames];
    v->name = strdup(name);
    v->pattern = strdup(pattern);
    v->file = strdup(file);
    s->nnames++;
    return v->name && v->pattern && v->file ? 0 : -1;
}

/* The KILN_NAME of the .c file rel, read from root: 1 (*out malloc'd), 0
   none or no such file, -1 after adding an error. */
static int file_name(const char *root, cli_scan *s, const char *rel, char **out)
{
    char path[PATH_MAX * 2];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    char *src = kiln_read_file(path, NULL);
    if (!src)
        return 0;
    int line, col;
    char err[300];
    int rc = cli_find_kiln_name(src, out, &line, &col, err, sizeof err);
    free(src);
    if (rc < 0)
        cli_strs_addf(&s->errors, "%s:%s", rel, err);
    return rc;
}

int cli_name_routes(const char *root, cli_scan *s)
{
    for (size_t i = 0; i < s->nroutes; i++) {
        cli_route *r = &s->routes[i];
        /* the .c file whose KILN_NAME counts: its own, or the page's .c */
        char cfile[PATH_MAX];
        snprintf(cfile, sizeof cfile, "%s", r->file);
        if (r->page) { /* pages/x.html or pages/x.tsx: pages/x.c */
            char *dot = strrchr(cfile, '.');
            if (dot && (size_t)(dot - cfile) + 3 <= sizeof cfile)
                strcpy(dot, ".c");
        }
        /* a name already found for this file (routes of one file) */
        for (size_t j = 0; j < i && !r->name; j++)
            if (s->routes[j].name && strcmp(s->routes[j].file, r->file) == 0)
                r->name = strdup(s->routes[j].name);
        if (!r->name) {
            char *own = NULL;
            bool c_file = false;
            for (size_t k = 0; k < s->sources.n && !c_file; k++)
                c_file = strcmp(s->sources.v[k], cfile) == 0;
            if (c_file && file_name(root, s, cfile, &own) < 0)
                continue;
            if (own) {
                r->name = own;
            } else {
                char def[PATH_MAX];
                if (cli_route_name(r->file, def, sizeof def) != 0) {
                    cli_strs_addf(&s->errors,
                                  "%s: its path gives no usable route name "
                                  "('%s'); name it with KILN_NAME(\"...\") "
                                  "in a .c file",
                                  r->file, def);
                    continue;
                }
                r->name = strdup(def);
            }
            if (!r->name)
                return -1;
        }
        if (cli_scan_name(s, r->name, r->pattern, r->file) != 0)
            return -1;
    }
    /* a KILN_NAME where no route is: a helper, a task, a service */
    for (size_t k = 0; k < s->sources.n; k++) {
        const char *src = s->sources.v[k];
        bool routes = false;
        for (size_t i = 0; i < s->nroutes && !routes; i++) {
            const char *f = s->routes[i].file;
            const char *dot = strrchr(f, '.');
            size_t n = dot ? (size_t)(dot - f) : strlen(f);
            routes = strcmp(f, src) == 0 ||
                     (s->routes[i].page && strncmp(f, src, n) == 0 &&
                      strcmp(src + n, ".c") == 0);
        }
        char *own = NULL;
        if (!routes && file_name(root, s, src, &own) > 0)
            cli_strs_addf(&s->errors,
                          "%s: KILN_NAME names the route of its file, and "
                          "this file has none (helpers, tasks and services "
                          "are not routed)",
                          src);
        free(own);
    }
    return 0;
}

/* ---- gen/routes.h ---------------------------------------------------------
 */

/* True when the parameter is an integer id: "id" or "..._id". */
static bool int_param(const char *p, size_t n)
{
    return (n == 2 && memcmp(p, "id", 2) == 0) ||
           (n > 3 && memcmp(p + n - 3, "_id", 3) == 0);
}

/* The C name of a parameter: itself, unless it is a keyword or `c`. */
static void c_param(kiln_buf *b, const char *p, size_t n)
{
    static const char *const taken[] = {
        "c",        "auto",     "break",    "case",     "char",   "const",
        "continue", "default",  "do",       "double",   "else",   "enum",
        "extern",   "float",    "for",      "goto",     "if",     "inline",
        "int",      "long",     "register", "restrict", "return", "short",
        "signed",   "sizeof",   "static",   "struct",   "switch", "typedef",
        "union",    "unsigned", "void",     "volatile", "while",  "bool"};
    kiln_buf_append(b, p, n);
    for (size_t i = 0; i < sizeof taken / sizeof taken[0]; i++)
        if (strlen(taken[i]) == n && memcmp(taken[i], p, n) == 0)
            kiln_buf_putc(b, '_');
}

void cli_emit_route_names(const char *project, const cli_scan *s, kiln_buf *h)
{
    kiln_buf_puts(h, "/*\n * The route names of ");
    cli_put_comment(h, project);
    kiln_buf_puts(
        h,
        ", one function each: the route's path with its\n"
        " * parameters percent-encoded, in the request's arena (NULL when out "
        "of\n"
        " * memory or a value makes a '.' or '..' segment). Generated by kiln "
        "from\n"
        " * api/, ws/ and pages/ (docs/routing.md, \"Route names\"): do not "
        "edit.\n"
        " * An id parameter (\"id\", \"..._id\") is an int64_t, others "
        "strings.\n */\n"
        "#ifndef KILN_GEN_ROUTES_H\n#define KILN_GEN_ROUTES_H\n\n"
        "#include <kiln.h>\n\n#include <inttypes.h>\n#include <stdio.h>\n");
    for (size_t i = 0; i < s->nnames; i++) {
        const cli_name *x = &s->names[i];
        char fn[KILN_ROUTE_NAME_MAX + 8];
        c_function(x->name, fn, sizeof fn);
        kiln_buf_puts(h, "\n/* ");
        cli_put_comment(h, x->name);
        kiln_buf_puts(h, ": ");
        cli_put_comment(h, x->pattern);
        kiln_buf_puts(h, " (");
        cli_put_comment(h, x->file);
        kiln_buf_printf(h, ") */\nstatic inline const char *%s(kiln_ctx *c",
                        fn);
        /* the parameters, in the pattern's order */
        kiln_buf body;
        kiln_buf_init(&body);
        kiln_buf call;
        kiln_buf_init(&call);
        for (const char *p = strchr(x->pattern, '{'); p;
             p = strchr(p + 1, '{')) {
            const char *e = strchr(p, '}');
            if (!e)
                break;
            const char *nm = p + 1;
            if (strncmp(nm, "...", 3) == 0)
                nm += 3;
            size_t n = (size_t)(e - nm);
            bool num = int_param(nm, n);
            kiln_buf_puts(h, num ? ", int64_t " : ", const char *");
            c_param(h, nm, n);
            if (num) {
                kiln_buf_printf(&body, "    char %.*s_s[24];\n", (int)n, nm);
                kiln_buf_printf(&body,
                                "    snprintf(%.*s_s, sizeof %.*s_s, "
                                "\"%%\" PRId64, ",
                                (int)n, nm, (int)n, nm);
                c_param(&body, nm, n);
                kiln_buf_puts(&body, ");\n");
            }
            kiln_buf_printf(&call, ", \"%.*s\", ", (int)n, nm);
            if (num)
                kiln_buf_printf(&call, "%.*s_s", (int)n, nm);
            else
                c_param(&call, nm, n);
        }
        kiln_buf_puts(h, ")\n{\n");
        if (body.n)
            kiln_buf_append(h, body.p, body.n);
        kiln_buf_puts(h, "    return kiln_url(c, ");
        cli_put_cstr(h, x->name);
        if (call.n)
            kiln_buf_append(h, call.p, call.n);
        kiln_buf_puts(h, ", (const char *)NULL);\n}\n");
        kiln_buf_deinit(&body);
        kiln_buf_deinit(&call);
    }
    kiln_buf_puts(h, "\n#endif\n");
}
