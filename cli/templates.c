/*
 * cli/templates.c - every template of a project compiled at build time, so
 * a syntax error stops `kiln build` / `kiln dev` with its file, line,
 * column and a caret line, the way a C compile error does; so does a
 * url('name', ...) naming no route, or missing or adding a parameter.
 */
#include "cli.h"

#include <kiln.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool template_file(const char *name)
{
    static const char *const ext[] = {".html", ".htm", ".xml",  ".svg",
                                      ".txt",  ".j2",  ".jinja"};
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof ext / sizeof ext[0]; i++)
        if (strcmp(dot, ext[i]) == 0)
            return true;
    return false;
}

/* Adds te's report to the errors, naming the file from the root. */
static void report(const char *root, cli_scan *s, const kiln_tpl_error *te)
{
    char path[PATH_MAX * 2];
    snprintf(path, sizeof path, "%s/pages/%s", root, te->name);
    const char *dir = te->name[0] == '\0'       ? ""
                      : access(path, F_OK) == 0 ? "pages/"
                                                : "templates/";
    cli_strs_addf(&s->errors, "%s%s", dir, te->text);
}

/* What the url() check's callbacks need. */
typedef struct url_check {
    const char *root;
    cli_scan *s;
    const char *page; /* the page checked (NULL: a templates/ file) */
    const char *raw;  /* its source as written */
    size_t nraw, shift;
} url_check;

/* Accepts a url('name', k=v...) call when name is a route and the
   keywords are exactly its parameters. */
static int check_url(void *ud, const kiln_tpl_url_call *call, char *msg,
                     size_t msglen)
{
    const url_check *u = ud;
    const cli_name *x = NULL;
    for (size_t i = 0; i < u->s->nnames && !x; i++)
        if (strlen(u->s->names[i].name) == call->name.n &&
            memcmp(u->s->names[i].name, call->name.p, call->name.n) == 0)
            x = &u->s->names[i];
    if (!x) {
        char want[KILN_ROUTE_NAME_MAX + 1];
        snprintf(want, sizeof want, "%.*s", (int)call->name.n, call->name.p);
        const char **cands = malloc((u->s->nnames + 1) * sizeof *cands);
        for (size_t i = 0; cands && i < u->s->nnames; i++)
            cands[i] = u->s->names[i].name;
        const char *near =
            cands ? cli_suggest(want, cands, u->s->nnames) : NULL;
        if (near)
            snprintf(msg, msglen, "no route named '%s' (did you mean '%s'?)",
                     want, near);
        else
            snprintf(msg, msglen, "no route named '%s'", want);
        free(cands);
        return 1;
    }
    if (call->npos) {
        snprintf(msg, msglen,
                 "url('%s') takes its parameters by keyword: "
                 "url('%s', name=value)",
                 x->name, x->name);
        return 1;
    }
    /* every keyword a parameter of the pattern, every parameter given */
    for (size_t i = 0; i < call->nkw; i++) {
        char a[80], b[84];
        snprintf(a, sizeof a, "{%.*s}", (int)call->kw[i].n, call->kw[i].p);
        snprintf(b, sizeof b, "{...%.*s}", (int)call->kw[i].n, call->kw[i].p);
        if (!strstr(x->pattern, a) && !strstr(x->pattern, b)) {
            snprintf(msg, msglen, "url('%s'): %s has no parameter '%.*s'",
                     x->name, x->pattern, (int)call->kw[i].n, call->kw[i].p);
            return 1;
        }
    }
    for (const char *p = strchr(x->pattern, '{'); p; p = strchr(p + 1, '{')) {
        const char *nm = p + 1, *e = strchr(p, '}');
        if (strncmp(nm, "...", 3) == 0)
            nm += 3;
        if (!e)
            break;
        bool given = false;
        for (size_t i = 0; i < call->nkw && !given; i++)
            given = call->kw[i].n == (size_t)(e - nm) &&
                    memcmp(call->kw[i].p, nm, call->kw[i].n) == 0;
        if (!given) {
            snprintf(msg, msglen, "url('%s'): missing parameter '%.*s' (%s)",
                     x->name, (int)(e - nm), nm, x->pattern);
            return 1;
        }
    }
    return 0;
}

static void report_url(void *ud, kiln_tpl_error *te)
{
    url_check *u = ud;
    if (u->page)
        kiln_page_error(te, u->page, u->raw, u->nraw, u->shift);
    report(u->root, u->s, te);
}

void cli_check_templates(const char *root, cli_scan *s)
{
    if (!s->pages.n && !s->templates.n)
        return;
    kiln_tpl_set *set = kiln_tpl_set_new(NULL);
    if (!set)
        return;
    char dir[PATH_MAX + 16];
    snprintf(dir, sizeof dir, "%s/pages", root);
    kiln_tpl_set_add_dir(set, dir);
    snprintf(dir, sizeof dir, "%s/templates", root);
    kiln_tpl_set_add_dir(set, dir);
    snprintf(dir, sizeof dir, "%s/pages/_layout.html", root);
    bool layout = access(dir, F_OK) == 0;
    kiln_tpl_error te;
    for (size_t i = 0; i < s->templates.n; i++) {
        const char *rel = s->templates.v[i] + strlen("templates/");
        if (!template_file(rel))
            continue;
        if (kiln_tpl_set_load(set, rel, &te) != 0) {
            report(root, s, &te);
            continue;
        }
        url_check u = {.root = root, .s = s};
        kiln_tpl_check_urls(set, rel, check_url, report_url, &u);
    }
    for (size_t i = 0; i < s->pages.n; i++) {
        const char *rel = s->pages.v[i];
        char path[PATH_MAX * 2];
        snprintf(path, sizeof path, "%s/%s", root, rel);
        size_t n0 = 0, n;
        char *raw = kiln_read_file(path, &n0);
        if (!raw)
            continue; /* the scan reported it */
        const char *name = rel + strlen("pages/");
        size_t shift;
        char *src = kiln_page_source(name, raw, n0, layout, &n, &shift);
        if (src && kiln_tpl_set_add(set, name, src, n, &te) != 0) {
            kiln_page_error(&te, name, raw, n0, shift);
            report(root, s, &te);
        } else if (src) {
            url_check u = {root, s, name, raw, n0, shift};
            kiln_tpl_check_urls(set, name, check_url, report_url, &u);
        }
        free(raw);
        free(src);
    }
    kiln_tpl_set_free(set);
}
