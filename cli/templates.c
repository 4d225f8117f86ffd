/*
 * cli/templates.c - every template of a project compiled at build time, so
 * a syntax error stops `kiln build` / `kiln dev` with its file, line,
 * column and a caret line, the way a C compile error does.
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
        if (template_file(rel) && kiln_tpl_set_load(set, rel, &te) != 0)
            report(root, s, &te);
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
        }
        free(raw);
        free(src);
    }
    kiln_tpl_set_free(set);
}
