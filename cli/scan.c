/*
 * cli/scan.c - file-system routing: api/, ws/ and pages/ to a route table.
 *
 *   api/hello.c             /api/hello          one handler per method
 *   api/index.c             /api
 *   api/posts/[id].c        /api/posts/{id}     a parameter (one segment)
 *   api/files/[...path].c   /api/files/{...path} the rest of the path (last)
 *   api/_db.c, api/_lib/    compiled, not routed (helpers)
 *   ws/echo.c               /ws/echo            KILN_WS only (WebSockets)
 *   ws/room/[name].c        /ws/room/{name}
 *   pages/index.html        GET /
 *   pages/posts/[id].html   GET /posts/{id}
 *   pages/about.c           KILN_LOAD: the page's context; other methods
 *                           (form posts) at /about
 *   pages/_layout.html      the default parent; pages/_* is not routed
 *   pages/feed.tsx          GET /feed: a React page (rendered by the SSR
 *                           sidecar, hydrated in the browser); its .c's
 *                           KILN_LOAD gives its props; pages/_layout.tsx
 *                           wraps it; .ts/.tsx/.css under '_' are helpers
 *   pages/posts/[id].toml   the parameters `kiln export` renders the page
 *                           beside it for (paths = [{id = "1"}, ...])
 *   templates/...           more templates (layouts, partials), not routed
 *   tasks/send_mail.c       the task "send_mail" (KILN_TASK, one per file)
 *   tasks/email/welcome.c   the task "email/welcome"
 *   services/consumer.c     the service "consumer" (KILN_SERVICE)
 *   tasks/_lib.c, ...       helpers: compiled, not tasks
 *
 * Names that break these rules, two files giving the same method and path,
 * and two parameters named differently at the same place are build errors
 * naming the files. A .c file's methods are found by reading it for
 * KILN_GET( ... KILN_OPTIONS( outside comments and strings; KILN_WS( is a
 * WebSocket, listed as method "WS" and routed as GET, so it conflicts with
 * a GET of the same path. ws/ holds WebSockets only; api/ may have them
 * too (beside HTTP handlers in other files); pages/ never.
 */
#include "cli.h"

#include "api/api_impl.h"
#include "model/model.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const methods[] = {"GET",    "POST", "PUT",     "PATCH",
                                      "DELETE", "HEAD", "OPTIONS", "WS"};
#define NMETHODS (sizeof methods / sizeof methods[0])
/* The bit find_methods sets for KILN_GET( and for KILN_WS( */
#define GET_BIT (1u << 0)
#define WS_BIT (1u << 7)

char *cli_unit_symbol(const char *rel)
{
    size_t n = strlen(rel);
    char *out = malloc(5 + n * 4 + 1), *o = out;
    if (!out)
        return NULL;
    o += sprintf(o, "kiln_");
    if (n > 2 && strcmp(rel + n - 2, ".c") == 0)
        n -= 2;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)rel[i];
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
            (ch >= '0' && ch <= '9'))
            *o++ = (char)ch;
        else if (ch == '/')
            o += sprintf(o, "_s");
        else if (ch == '_')
            o += sprintf(o, "_u");
        else if (ch == '[')
            o += sprintf(o, "_o");
        else if (ch == ']')
            o += sprintf(o, "_c");
        else if (ch == '.')
            o += sprintf(o, "_d");
        else if (ch == '-')
            o += sprintf(o, "_h");
        else
            o += sprintf(o, "_x%02x", ch);
    }
    *o = 0;
    return out;
}

/* ---- reading a handler file for its methods ----------------------------- */

/* The bits find_methods sets for KILN_LOAD(, KILN_TASK( and
   KILN_SERVICE( */
#define LOAD_BIT (1u << NMETHODS)
#define TASK_BIT (1u << (NMETHODS + 1))
#define SERVICE_BIT (1u << (NMETHODS + 2))
#define METHOD_BITS ((1u << NMETHODS) - 1)

/* Sets bit i of *found for every KILN_<methods[i]>( in src, LOAD_BIT for
   KILN_LOAD(, TASK_BIT and SERVICE_BIT likewise; *jobs (may be NULL)
   counts the KILN_TASK( and KILN_SERVICE( found. */
static void find_methods(const char *src, unsigned *found, int *jobs)
{
    const char *p = src;
    *found = 0;
    if (jobs)
        *jobs = 0;
    while (*p) {
        if (p[0] == '/' && p[1] == '*') {
            const char *e = strstr(p + 2, "*/");
            p = e ? e + 2 : p + strlen(p);
        } else if (p[0] == '/' && p[1] == '/') {
            while (*p && *p != '\n')
                p++;
        } else if (*p == '"' || *p == '\'') {
            char q = *p++;
            while (*p && *p != q && *p != '\n')
                p += p[0] == '\\' && p[1] ? 2 : 1;
            if (*p)
                p++;
        } else if (*p == '#') { /* a preprocessor line (with continuations) */
            while (*p && *p != '\n')
                p += p[0] == '\\' && p[1] ? 2 : 1;
        } else if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                   *p == '_') {
            const char *s = p;
            while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                   (*p >= '0' && *p <= '9') || *p == '_')
                p++;
            size_t n = (size_t)(p - s);
            if (n > 5 && memcmp(s, "KILN_", 5) == 0) {
                const char *q = p;
                while (*q == ' ' || *q == '\t')
                    q++;
                for (unsigned i = 0; *q == '(' && i < NMETHODS; i++)
                    if (strlen(methods[i]) == n - 5 &&
                        memcmp(s + 5, methods[i], n - 5) == 0)
                        *found |= 1u << i;
                if (*q == '(' && n == 9 && memcmp(s + 5, "LOAD", 4) == 0)
                    *found |= LOAD_BIT;
                bool task =
                    *q == '(' && n == 9 && memcmp(s + 5, "TASK", 4) == 0;
                bool svc =
                    *q == '(' && n == 12 && memcmp(s + 5, "SERVICE", 7) == 0;
                if (task)
                    *found |= TASK_BIT;
                if (svc)
                    *found |= SERVICE_BIT;
                if ((task || svc) && jobs)
                    (*jobs)++;
            }
        } else {
            p++;
        }
    }
}

/* ---- path segments ----------------------------------------------------- */

static bool ident(const char *s, size_t n)
{
    if (n == 0 || n > 64 || (s[0] >= '0' && s[0] <= '9'))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return false;
    return true;
}

/* Literal URL segments: RFC 3986 unreserved characters only. */
static bool literal_ok(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '.' ||
              s[i] == '_' || s[i] == '~'))
            return false;
    return n > 0;
}

typedef struct walk {
    const char *root;
    cli_scan *s;
    int failed;
} walk;

/* The routed top-level folders: what each may hold. */
typedef enum area {
    AREA_API,   /* api/: HTTP handlers (and WebSockets), endpoint schemas */
    AREA_WS,    /* ws/: WebSocket handlers only */
    AREA_PAGES, /* pages/: templates and their loaders */
} area;

/* The folder's name, as messages say it. */
static const char *area_dir(area a)
{
    return a == AREA_API ? "api" : a == AREA_WS ? "ws" : "pages";
}

/*
 * Turns one path segment (a folder name or a file stem) into its URL form:
 * appends to pat. Returns 0, or 1 after adding an error for file.
 */
static int add_segment(walk *w, const char *file, const char *seg, char *pat,
                       size_t cap, bool *rest_seen)
{
    size_t n = strlen(seg), len = strlen(pat);
    char piece[300];
    if (*rest_seen) {
        cli_strs_addf(&w->s->errors,
                      "%s: a catch-all [...name] must be the last part of "
                      "the path",
                      file);
        return 1;
    }
    if (seg[0] == '[') {
        bool rest = n > 5 && memcmp(seg, "[...", 4) == 0;
        const char *name = seg + (rest ? 4 : 1);
        size_t nn = n - (rest ? 5 : 2);
        if (seg[n - 1] != ']' || !ident(name, nn)) {
            cli_strs_addf(&w->s->errors,
                          "%s: '%s' is not a parameter: write [name] or "
                          "[...name] with a C identifier inside",
                          file, seg);
            return 1;
        }
        snprintf(piece, sizeof piece, "/{%s%.*s}", rest ? "..." : "", (int)nn,
                 name);
        *rest_seen = rest;
        /* the same name twice in one path */
        char probe[80];
        snprintf(probe, sizeof probe, "{%.*s}", (int)nn, name);
        char probe2[84];
        snprintf(probe2, sizeof probe2, "{...%.*s}", (int)nn, name);
        if (strstr(pat, probe) || strstr(pat, probe2)) {
            cli_strs_addf(&w->s->errors,
                          "%s: the parameter '%.*s' appears twice in the path",
                          file, (int)nn, name);
            return 1;
        }
    } else {
        if (!literal_ok(seg, n) || strchr(seg, '[') || strchr(seg, ']')) {
            cli_strs_addf(&w->s->errors,
                          "%s: '%s' cannot be part of a URL: use letters, "
                          "digits, '-', '.', '_' or '~', or a whole-segment "
                          "[param]",
                          file, seg);
            return 1;
        }
        snprintf(piece, sizeof piece, "/%s", seg);
    }
    if (len + strlen(piece) >= cap) {
        cli_strs_addf(&w->s->errors, "%s: the path is too long", file);
        return 1;
    }
    strcat(pat, piece);
    return 0;
}

static int add_route(walk *w, const char *method, const char *pattern,
                     const char *file, const char *unit, bool page)
{
    cli_scan *s = w->s;
    cli_route *r = realloc(s->routes, (s->nroutes + 1) * sizeof(*r));
    if (!r)
        return -1;
    s->routes = r;
    r = &s->routes[s->nroutes];
    memset(r, 0, sizeof *r);
    snprintf(r->method, sizeof r->method, "%s", method);
    r->pattern = strdup(pattern);
    r->file = strdup(file);
    r->unit = unit ? strdup(unit) : NULL;
    r->page = page;
    s->nroutes++;
    return r->pattern && r->file && (!unit || r->unit) ? 0 : -1;
}

static bool ends_with(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && strcmp(s + n - m, suf) == 0;
}

/* Editor droppings and hidden files are not part of the app. */
static bool ignored(const char *name)
{
    return name[0] == '.' || name[0] == '#' || ends_with(name, "~") ||
           ends_with(name, ".swp") || ends_with(name, ".swx") ||
           ends_with(name, ".tmp");
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The error for a ws/ file that defines HTTP methods (the bits of found
 * other than KILN_WS and KILN_LOAD): names each of them.
 */
static void ws_only_error(walk *w, const char *rel, unsigned found)
{
    char names[128] = "";
    size_t o = 0;
    for (unsigned i = 0; i < NMETHODS; i++)
        if ((found & (1u << i)) && (1u << i) != WS_BIT)
            o += (size_t)snprintf(names + o, sizeof names - o, "%sKILN_%s",
                                  o ? ", " : "", methods[i]);
    cli_strs_addf(&w->s->errors,
                  "%s: ws/ holds WebSocket handlers (KILN_WS) only; move %s "
                  "to a file under api/",
                  rel, names);
}

/* Adds a .c source (to compile) and, when routed, its methods. */
static int add_source(walk *w, const char *rel, const char *pattern,
                      bool routed, area where)
{
    char *unit = cli_unit_symbol(rel);
    if (!unit || cli_strs_addf(&w->s->sources, "%s", rel) ||
        cli_strs_addf(&w->s->units, "%s", unit)) {
        free(unit);
        return -1;
    }
    if (routed) {
        char path[PATH_MAX * 2];
        snprintf(path, sizeof path, "%s/%s", w->root, rel);
        char *src = kiln_read_file(path, NULL);
        unsigned found = 0;
        if (!src) {
            cli_strs_addf(&w->s->errors, "%s: cannot read: %s", rel,
                          strerror(errno));
        } else {
            find_methods(src, &found, NULL);
            free(src);
            if (found & (TASK_BIT | SERVICE_BIT))
                cli_strs_addf(&w->s->errors, "%s: %s is for %s files", rel,
                              found & TASK_BIT ? "KILN_TASK" : "KILN_SERVICE",
                              found & TASK_BIT ? "tasks/" : "services/");
            found &= ~(TASK_BIT | SERVICE_BIT);
            unsigned http = found & ~(WS_BIT | LOAD_BIT);
            if ((found & LOAD_BIT) && where != AREA_PAGES)
                cli_strs_addf(&w->s->errors,
                              "%s: KILN_LOAD is for pages/ files (beside "
                              "their .html)",
                              rel);
            else if (found & LOAD_BIT)
                cli_strs_addf(&w->s->loaders, "%s", rel);
            if ((found & WS_BIT) && where == AREA_PAGES)
                cli_strs_addf(&w->s->errors,
                              "%s: KILN_WS is for ws/ and api/ files (a page "
                              "answers GET itself)",
                              rel);
            else if (where == AREA_WS && http)
                ws_only_error(w, rel, http);
            else if ((found & WS_BIT) && (found & GET_BIT))
                cli_strs_addf(&w->s->errors,
                              "%s: KILN_WS and KILN_GET both answer GET of "
                              "this path; keep one (a WebSocket handler may "
                              "refuse with an HTTP answer before it accepts)",
                              rel);
            if (where == AREA_WS && !(found & WS_BIT) && !http)
                cli_strs_addf(&w->s->errors,
                              "%s: no WebSocket handler here: define "
                              "KILN_WS(name) { ... } (files starting with "
                              "'_' are helpers and are not routed)",
                              rel);
            else if (!found)
                cli_strs_addf(&w->s->errors,
                              "%s: no handler here: define one per method, "
                              "e.g. KILN_GET(name) { ... } (files starting "
                              "with '_' are helpers and are not routed)",
                              rel);
            if (where == AREA_WS)
                found &= WS_BIT; /* the rest is refused above */
        }
        /* an endpoint schema beside it: api/NAME.toml */
        char toml[PATH_MAX + 8], tpath[PATH_MAX * 2 + 8];
        snprintf(toml, sizeof toml, "%.*s.toml", (int)(strlen(rel) - 2), rel);
        snprintf(tpath, sizeof tpath, "%s/%s", w->root, toml);
        bool schema = where == AREA_API && cli_exists(tpath);
        for (unsigned i = 0; i < NMETHODS; i++) {
            if (!(found & (1u << i)))
                continue;
            if (add_route(w, methods[i], pattern, rel, unit, false)) {
                free(unit);
                return -1;
            }
            cli_route *r = &w->s->routes[w->s->nroutes - 1];
            if (schema && !(r->schema = strdup(toml))) {
                free(unit);
                return -1;
            }
        }
    }
    free(unit);
    return 0;
}

/* Lists the files under templates/ (recursively), relative to root. */
static void walk_templates(walk *w, const char *rel)
{
    char path[PATH_MAX * 2];
    snprintf(path, sizeof path, "%s/%s", w->root, rel);
    DIR *d = opendir(path);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (ignored(e->d_name))
            continue;
        char crel[PATH_MAX], cpath[PATH_MAX * 3];
        snprintf(crel, sizeof crel, "%s/%s", rel, e->d_name);
        snprintf(cpath, sizeof cpath, "%s/%s", w->root, crel);
        if (cli_is_dir(cpath))
            walk_templates(w, crel);
        else
            cli_strs_addf(&w->s->templates, "%s", crel);
    }
    closedir(d);
}

/* Gives each page the KILN_LOAD of the .c beside it; a loader without a
   page is an error. */
static void attach_loaders(walk *w)
{
    cli_scan *s = w->s;
    for (size_t i = 0; i < s->loaders.n; i++) {
        const char *c = s->loaders.v[i];
        char html[PATH_MAX], tsx[PATH_MAX];
        snprintf(html, sizeof html, "%.*s.html", (int)(strlen(c) - 2), c);
        snprintf(tsx, sizeof tsx, "%.*s.tsx", (int)(strlen(c) - 2), c);
        bool found = false;
        for (size_t k = 0; k < s->nroutes; k++) {
            cli_route *r = &s->routes[k];
            if (r->page &&
                (strcmp(r->file, html) == 0 || strcmp(r->file, tsx) == 0)) {
                r->loader = cli_unit_symbol(c);
                found = true;
            }
        }
        if (!found)
            cli_strs_addf(&s->errors,
                          "%s: KILN_LOAD fills the context of %s, which does "
                          "not exist",
                          c, html);
    }
}

/*
 * Walks dir (relative to root; under "api", "ws" or "pages", which where
 * says), building URL patterns. helper: inside a '_' folder (compiled,
 * never routed).
 */
static int walk_dir(walk *w, const char *rel, const char *pat, bool rest_seen,
                    bool helper, area where)
{
    bool pages = where == AREA_PAGES;
    char path[PATH_MAX * 2];
    snprintf(path, sizeof path, "%s/%s", w->root, rel);
    DIR *d = opendir(path);
    if (!d) {
        if (errno == ENOENT)
            return 0;
        cli_strs_addf(&w->s->errors, "%s: cannot read: %s", rel,
                      strerror(errno));
        return -1;
    }
    cli_strs names = {0};
    struct dirent *e;
    while ((e = readdir(d)))
        if (!ignored(e->d_name) && cli_strs_addf(&names, "%s", e->d_name)) {
            closedir(d);
            cli_strs_free(&names);
            return -1;
        }
    closedir(d);
    if (names.n)
        qsort(names.v, names.n, sizeof(char *), cmp_str);
    int rc = 0;
    for (size_t i = 0; i < names.n && rc == 0; i++) {
        const char *name = names.v[i];
        char crel[PATH_MAX], cpath[PATH_MAX * 3];
        snprintf(crel, sizeof crel, "%s/%s", rel, name);
        snprintf(cpath, sizeof cpath, "%s/%s", w->root, crel);
        bool priv = helper || name[0] == '_';
        if (cli_is_dir(cpath)) {
            char cpat[1024];
            snprintf(cpat, sizeof cpat, "%s", pat);
            bool rs = rest_seen;
            if (!priv && add_segment(w, crel, name, cpat, sizeof cpat, &rs))
                continue;
            rc = walk_dir(w, crel, cpat, rs, priv, where);
            continue;
        }
        const char *dot = strrchr(name, '.');
        char stem[256];
        snprintf(stem, sizeof stem, "%.*s",
                 (int)(dot ? (size_t)(dot - name) : strlen(name)), name);
        char fpat[1024];
        snprintf(fpat, sizeof fpat, "%s", pat);
        bool rs = rest_seen;
        bool is_c = dot && strcmp(dot, ".c") == 0;
        bool is_html = pages && dot && strcmp(dot, ".html") == 0;
        bool is_tsx = pages && dot && strcmp(dot, ".tsx") == 0;
        if (dot && strcmp(dot, ".h") == 0)
            continue; /* headers */
        if (pages && priv && dot &&
            (strcmp(dot, ".ts") == 0 || strcmp(dot, ".tsx") == 0 ||
             strcmp(dot, ".css") == 0))
            continue; /* the React pages' layout, components and styles */
        if (pages && dot && strcmp(dot, ".toml") == 0) {
            /* the parameters kiln export renders the page beside it for */
            char base[PATH_MAX * 3 + 8], tsx[PATH_MAX * 3 + 8];
            snprintf(base, sizeof base, "%.*s.html", (int)(strlen(cpath) - 5),
                     cpath);
            snprintf(tsx, sizeof tsx, "%.*s.tsx", (int)(strlen(cpath) - 5),
                     cpath);
            if (!cli_exists(base) && !cli_exists(tsx))
                cli_strs_addf(&w->s->errors,
                              "%s: a page's export paths describe the page "
                              "beside them, and there is no %.*s.html or "
                              ".tsx",
                              crel, (int)(strlen(crel) - 5), crel);
            continue;
        }
        if (where == AREA_API && dot && strcmp(dot, ".toml") == 0) {
            /* an endpoint schema: describes the .c file beside it */
            char cfile[PATH_MAX * 3];
            snprintf(cfile, sizeof cfile, "%.*s.c", (int)(strlen(cpath) - 5),
                     cpath);
            if (!cli_exists(cfile))
                cli_strs_addf(&w->s->errors,
                              "%s: an endpoint schema describes the handler "
                              "file beside it, and there is no %.*s.c",
                              crel, (int)(strlen(crel) - 5), crel);
            continue;
        }
        if (!is_c && !is_html && !is_tsx) {
            static const char *const why[] = {
                [AREA_API] = "handlers are .c files (helpers start with '_')",
                [AREA_WS] = ("WebSocket handlers are .c files with KILN_WS "
                             "(helpers start with '_'; endpoint schemas "
                             "describe api/ handlers)"),
                [AREA_PAGES] = ("pages are .html or .tsx (with an optional "
                                ".c and .toml beside them); assets go in "
                                "static/"),
            };
            cli_strs_addf(&w->s->errors, "%s: unknown file in %s/: %s", crel,
                          area_dir(where), why[where]);
            continue;
        }
        if (is_html)
            cli_strs_addf(&w->s->pages, "%s", crel);
        if (priv) {
            if (is_c)
                rc = add_source(w, crel, NULL, false, where);
            continue; /* _layout.tsx: found by the pages' build */
        }
        if (strcmp(stem, "index") != 0 &&
            add_segment(w, crel, stem, fpat, sizeof fpat, &rs))
            continue;
        if (!fpat[0])
            snprintf(fpat, sizeof fpat, "/");
        if (is_c)
            rc = add_source(w, crel, fpat, true, where);
        else
            rc = add_route(w, "GET", fpat, crel, NULL, true);
    }
    cli_strs_free(&names);
    return rc;
}

/* The pattern with parameter names blanked: routes equal in shape clash. */
static void shape(const char *pat, char *out, size_t cap)
{
    size_t o = 0;
    for (const char *p = pat; *p && o + 4 < cap; p++) {
        if (*p == '{') {
            bool rest = strncmp(p, "{...", 4) == 0;
            out[o++] = rest ? '*' : '?';
            while (*p && *p != '}')
                p++;
            if (!*p)
                break;
        } else {
            out[o++] = *p;
        }
    }
    out[o] = 0;
}

static int cmp_route(const void *a, const void *b)
{
    const cli_route *x = a, *y = b;
    int c = strcmp(x->pattern, y->pattern);
    return c ? c : strcmp(x->method, y->method);
}

/* The method a route answers: a WebSocket's is GET. */
static const char *answers(const cli_route *r)
{
    return strcmp(r->method, "WS") == 0 ? "GET" : r->method;
}

/* Reports same-method same-shape routes and differently named params. */
static void find_conflicts(cli_scan *s)
{
    for (size_t i = 0; i < s->nroutes; i++) {
        char si[1024];
        shape(s->routes[i].pattern, si, sizeof si);
        for (size_t j = i + 1; j < s->nroutes; j++) {
            const cli_route *a = &s->routes[i], *b = &s->routes[j];
            char sj[1024];
            shape(b->pattern, sj, sizeof sj);
            if (strcmp(si, sj) == 0 && strcmp(answers(a), answers(b)) == 0 &&
                strcmp(a->file, b->file) != 0) {
                cli_strs_addf(&s->errors,
                              "route conflict: %s %s comes from both %s and "
                              "%s; remove or rename one",
                              a->method, a->pattern, a->file, b->file);
                continue;
            }
            /* a parameter at the same place under two names */
            const char *pa = a->pattern, *pb = b->pattern;
            size_t k = 0;
            while (pa[k] && pa[k] == pb[k])
                k++;
            size_t seg = k;
            while (seg > 0 && pa[seg - 1] != '/')
                seg--;
            const char *p = pa + seg, *q = pb + seg;
            if (pa[k] && pb[k] && *p == '{' && *q == '{' &&
                (strncmp(p, "{...", 4) == 0) == (strncmp(q, "{...", 4) == 0) &&
                strcmp(a->file, b->file) != 0) {
                const char *pe = strchr(p, '}'), *qe = strchr(q, '}');
                if (pe && qe)
                    cli_strs_addf(&s->errors,
                                  "route conflict: %s and %s name the same "
                                  "path segment differently (%.*s and %.*s); "
                                  "use one name",
                                  a->file, b->file, (int)(pe - p + 1), p,
                                  (int)(qe - q + 1), q);
            }
        }
    }
}

/* A task or service name: what kiln/tasks.h accepts. */
static bool job_name_ok(const char *s, size_t n)
{
    if (n == 0 || n > 100)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-' ||
              s[i] == '.' || s[i] == '/'))
            return false;
    return true;
}

static int add_job(cli_job **v, size_t *n, const char *name, const char *file,
                   const char *unit)
{
    cli_job *j = realloc(*v, (*n + 1) * sizeof **v);
    if (!j)
        return -1;
    *v = j;
    j = &j[*n];
    j->name = strdup(name);
    j->file = strdup(file);
    j->unit = strdup(unit);
    (*n)++;
    return j->name && j->file && j->unit ? 0 : -1;
}

/*
 * Walks tasks/ or services/ (dir, relative to root): every .c is compiled;
 * each one not starting with '_' (nor inside a '_' folder) must define
 * exactly one KILN_TASK (KILN_SERVICE), named by its path.
 */
static int walk_jobs(walk *w, const char *rel, bool helper, bool tasks)
{
    char path[PATH_MAX * 2];
    snprintf(path, sizeof path, "%s/%s", w->root, rel);
    DIR *d = opendir(path);
    if (!d) {
        if (errno == ENOENT)
            return 0;
        cli_strs_addf(&w->s->errors, "%s: cannot read: %s", rel,
                      strerror(errno));
        return -1;
    }
    cli_strs names = {0};
    struct dirent *e;
    while ((e = readdir(d)))
        if (!ignored(e->d_name) && cli_strs_addf(&names, "%s", e->d_name)) {
            closedir(d);
            cli_strs_free(&names);
            return -1;
        }
    closedir(d);
    if (names.n)
        qsort(names.v, names.n, sizeof(char *), cmp_str);
    const char *top = tasks ? "tasks/" : "services/";
    const char *macro = tasks ? "KILN_TASK" : "KILN_SERVICE";
    int rc = 0;
    for (size_t i = 0; i < names.n && rc == 0; i++) {
        const char *name = names.v[i];
        char crel[PATH_MAX], cpath[PATH_MAX * 3];
        snprintf(crel, sizeof crel, "%s/%s", rel, name);
        snprintf(cpath, sizeof cpath, "%s/%s", w->root, crel);
        bool priv = helper || name[0] == '_';
        if (cli_is_dir(cpath)) {
            rc = walk_jobs(w, crel, priv, tasks);
            continue;
        }
        if (ends_with(name, ".h"))
            continue;
        if (!ends_with(name, ".c")) {
            cli_strs_addf(&w->s->errors,
                          "%s: unknown file in %s %s are .c files (helpers "
                          "start with '_')",
                          crel, top, tasks ? "tasks" : "services");
            continue;
        }
        char *unit = cli_unit_symbol(crel);
        if (!unit || cli_strs_addf(&w->s->sources, "%s", crel) ||
            cli_strs_addf(&w->s->units, "%s", unit)) {
            free(unit);
            rc = -1;
            break;
        }
        if (priv) {
            free(unit);
            continue;
        }
        char *src = kiln_read_file(cpath, NULL);
        unsigned found = 0;
        int count = 0;
        if (!src) {
            cli_strs_addf(&w->s->errors, "%s: cannot read: %s", crel,
                          strerror(errno));
            free(unit);
            continue;
        }
        find_methods(src, &found, &count);
        free(src);
        /* the name: the path below tasks/ (or services/) without .c */
        const char *job = crel + strlen(top);
        size_t jn = strlen(job) - 2;
        unsigned want = tasks ? TASK_BIT : SERVICE_BIT;
        if (found & (METHOD_BITS | LOAD_BIT))
            cli_strs_addf(&w->s->errors,
                          "%s: handlers (KILN_GET, ...) are for api/ and "
                          "pages/ files",
                          crel);
        else if (found & (tasks ? SERVICE_BIT : TASK_BIT))
            cli_strs_addf(&w->s->errors, "%s: %s is for %s files", crel,
                          tasks ? "KILN_SERVICE" : "KILN_TASK",
                          tasks ? "services/" : "tasks/");
        else if (!(found & want))
            cli_strs_addf(&w->s->errors,
                          "%s: no %s here: define one, e.g. %s(name) { ... } "
                          "(files starting with '_' are helpers)",
                          crel, tasks ? "task" : "service", macro);
        else if (count > 1)
            cli_strs_addf(&w->s->errors,
                          "%s: one %s per file (the file's path below %s is "
                          "its name)",
                          crel, macro, top);
        else if (!job_name_ok(job, jn))
            cli_strs_addf(&w->s->errors,
                          "%s: '%.*s' cannot be a %s name: use letters, "
                          "digits, '_', '-', '.' and folders",
                          crel, (int)jn, job, tasks ? "task" : "service");
        else {
            char jname[PATH_MAX];
            snprintf(jname, sizeof jname, "%.*s", (int)jn, job);
            rc = tasks ? add_job(&w->s->tasks, &w->s->ntasks, jname, crel, unit)
                       : add_job(&w->s->services, &w->s->nservices, jname, crel,
                                 unit);
        }
        free(unit);
    }
    cli_strs_free(&names);
    return rc;
}

/* The names of the CRUD routes generated for models with [api] (their
   operationIds: getTask...). Models that do not load are left to the
   model checks, which say why. Returns 0, or -1 (memory). */
static int name_api_routes(const char *root, cli_scan *s)
{
    model_set ms;
    model_set_init(&ms);
    kiln_buf err;
    kiln_buf_init(&err);
    int rc = 0;
    if (model_load_dir(&ms, root, &err) == 0) {
        for (size_t i = 0; i < ms.n && rc == 0; i++) {
            api_route rs[API_NOPS];
            size_t n = api_routes(ms.models[i], rs);
            for (size_t k = 0; k < n && rc == 0; k++)
                rc = cli_scan_name(s, rs[k].name, rs[k].pattern,
                                   ms.models[i]->file);
        }
    }
    kiln_buf_deinit(&err);
    model_set_free(&ms);
    return rc;
}

int cli_scan_project(const char *root, cli_scan *s)
{
    memset(s, 0, sizeof *s);
    walk w = {.root = root, .s = s};
    int rc = walk_dir(&w, "api", "/api", false, false, AREA_API);
    if (rc == 0)
        rc = walk_dir(&w, "ws", "/ws", false, false, AREA_WS);
    if (rc == 0)
        rc = walk_dir(&w, "pages", "", false, false, AREA_PAGES);
    if (rc == 0)
        rc = walk_jobs(&w, "tasks", false, true);
    if (rc == 0)
        rc = walk_jobs(&w, "services", false, false);
    if (rc == 0) {
        walk_templates(&w, "templates");
        if (w.s->templates.n)
            qsort(w.s->templates.v, w.s->templates.n, sizeof(char *), cmp_str);
        attach_loaders(&w);
    }
    if (rc == 0 && s->nroutes > 1)
        qsort(s->routes, s->nroutes, sizeof(cli_route), cmp_route);
    if (rc == 0)
        rc = cli_name_routes(root, s);
    /* generated routes add their names here, before the templates' url()
       calls are checked against the names */
    if (rc == 0)
        rc = name_api_routes(root, s);
    if (rc == 0)
        cli_check_templates(root, s);
    if (rc == 0) {
        find_conflicts(s);
        /* one message per problem, even when several methods repeat it */
        size_t o = 0;
        for (size_t i = 0; i < s->errors.n; i++) {
            bool dup = false;
            for (size_t j = 0; j < o && !dup; j++)
                dup = strcmp(s->errors.v[j], s->errors.v[i]) == 0;
            if (dup)
                free(s->errors.v[i]);
            else
                s->errors.v[o++] = s->errors.v[i];
        }
        s->errors.n = o;
    }
    if (rc)
        cli_strs_addf(&s->errors, "scanning the project failed: %s",
                      strerror(errno ? errno : ENOMEM));
    return rc ? -1 : 0;
}

void cli_scan_free(cli_scan *s)
{
    for (size_t i = 0; i < s->nroutes; i++) {
        free(s->routes[i].pattern);
        free(s->routes[i].file);
        free(s->routes[i].unit);
        free(s->routes[i].loader);
        free(s->routes[i].schema);
        free(s->routes[i].input);
        free(s->routes[i].name);
    }
    for (size_t i = 0; i < s->nnames; i++) {
        free(s->names[i].name);
        free(s->names[i].pattern);
        free(s->names[i].file);
    }
    free(s->names);
    free(s->routes);
    cli_strs_free(&s->sources);
    cli_strs_free(&s->units);
    cli_strs_free(&s->pages);
    cli_strs_free(&s->templates);
    cli_strs_free(&s->loaders);
    cli_strs_free(&s->errors);
    for (size_t i = 0; i < s->ntasks; i++) {
        free(s->tasks[i].name);
        free(s->tasks[i].file);
        free(s->tasks[i].unit);
    }
    free(s->tasks);
    for (size_t i = 0; i < s->nservices; i++) {
        free(s->services[i].name);
        free(s->services[i].file);
        free(s->services[i].unit);
    }
    free(s->services);
    memset(s, 0, sizeof *s);
}

void cli_scan_report(const cli_scan *s)
{
    for (size_t i = 0; i < s->errors.n; i++)
        cli_fail("error: %s", s->errors.v[i]);
}
