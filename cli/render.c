/*
 * cli/render.c - kiln render FILE [--context JSON] [--block NAME]: one
 * template rendered to standard output with the app's engine, search path
 * (pages/, then templates/) and page layout, for authors and tests.
 */
#include "cli.h"

#include <kiln.h>

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char render_help[] =
    "usage: kiln render FILE [--context JSON-FILE] [--block NAME] "
    "[--lenient]\n\n"
    "Renders one template to standard output, as the app would: a file of\n"
    "the project's pages/ or templates/ is found on the app's search path\n"
    "(pages/, then templates/), a page without {% extends %} goes into\n"
    "pages/_layout.html's content block, and the project's settings\n"
    "templates.trim_blocks and templates.lstrip_blocks apply. Another file\n"
    "is rendered with its own folder as the search path and Jinja2's\n"
    "defaults.\n\n"
    "  --context F  the variables, a JSON object (default: none)\n"
    "  --block B    render block B alone (what an HTMX request gets)\n"
    "  --lenient    undefined variables print empty (production's default);\n"
    "               without it they are errors, as in development\n\n"
    "Errors name the file, line and column with a caret line; exit 1.\n";

/* The directory of the project (kiln.toml above path), or NULL. */
static bool project_of(const char *path, char root[PATH_MAX])
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    for (;;) {
        char *slash = strrchr(dir, '/');
        if (!slash || slash == dir)
            return false;
        *slash = '\0';
        char probe[PATH_MAX + 16];
        snprintf(probe, sizeof probe, "%s/kiln.toml", dir);
        if (cli_exists(probe)) {
            snprintf(root, PATH_MAX, "%s", dir);
            return true;
        }
    }
}

/* "pages/" or "templates/" for a template named in an error, or "". */
static const char *prefix(bool in_project, const char *root,
                          const kiln_tpl_error *te)
{
    if (!in_project || !te->name[0])
        return "";
    char path[PATH_MAX * 2];
    snprintf(path, sizeof path, "%s/pages/%s", root, te->name);
    return access(path, F_OK) == 0 ? "pages/" : "templates/";
}

int cmd_render(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(render_help, stdout);
        return 0;
    }
    const char *file = NULL, *ctxfile = NULL, *block = NULL;
    bool lenient = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--context") == 0 && i + 1 < argc)
            ctxfile = argv[++i];
        else if (strcmp(argv[i], "--block") == 0 && i + 1 < argc)
            block = argv[++i];
        else if (strcmp(argv[i], "--lenient") == 0)
            lenient = true;
        else if (argv[i][0] == '-')
            return cli_usage_error("unknown option '%s'", argv[i]);
        else if (!file)
            file = argv[i];
        else
            return cli_usage_error("one template at a time");
    }
    if (!file)
        return cli_usage_error("which template? (kiln render FILE)");
    char abs[PATH_MAX];
    if (!realpath(file, abs))
        return cli_fail("%s: no such file", file);

    char root[PATH_MAX], dir[PATH_MAX * 2];
    const char *name = NULL;
    bool page = false, in_project = false;
    if (project_of(abs, root)) {
        size_t k = strlen(root);
        if (strncmp(abs + k, "/pages/", 7) == 0) {
            name = abs + k + 7;
            page = true;
        } else if (strncmp(abs + k, "/templates/", 11) == 0)
            name = abs + k + 11;
    }
    kiln_tpl_options opt = {0};
    if (name) {
        /* whitespace as the app renders it: the project's settings */
        kiln_settings_in in = {.root = root, .dev = true};
        kiln_settings *s = NULL;
        char err[1024];
        if (kiln_settings_load(&in, &s, err, sizeof err) < 0)
            return cli_fail("%s", err);
        kiln_project_tpl_options(s, &opt);
        kiln_settings_free(s);
        /* url('name', ...) as the app builds it: the project's names */
        cli_scan sc;
        cli_scan_project(root, &sc);
        for (size_t i = 0; i < sc.nnames; i++)
            kiln_url_define(sc.names[i].name, sc.names[i].pattern);
        cli_scan_free(&sc);
    }
    opt.undefined = lenient ? KILN_TPL_LENIENT : KILN_TPL_STRICT;
    kiln_tpl_set *set = kiln_tpl_set_new(&opt);
    kiln_arena a;
    kiln_arena_init(&a, 16384);
    kiln_buf out;
    kiln_buf_init(&out);
    int rc = 1;
    bool layout = false;
    char *raw = NULL;
    size_t n0 = 0, n = 0;
    if (!set) {
        cli_fail("out of memory");
        goto done;
    }
    if (name) {
        in_project = true;
        if (cli_check_project(root))
            goto done;
        snprintf(dir, sizeof dir, "%s/pages", root);
        kiln_tpl_set_add_dir(set, dir);
        snprintf(dir, sizeof dir, "%s/templates", root);
        kiln_tpl_set_add_dir(set, dir);
        snprintf(dir, sizeof dir, "%s/pages/_layout.html", root);
        layout = page && access(dir, F_OK) == 0;
    } else {
        snprintf(dir, sizeof dir, "%s", abs);
        *strrchr(dir, '/') = '\0';
        kiln_tpl_set_add_dir(set, dir);
        name = strrchr(abs, '/') + 1;
    }
    raw = kiln_read_file(abs, &n0);
    if (!raw) {
        cli_fail("%s: cannot read", file);
        goto done;
    }
    size_t shift = 0;
    char *src = kiln_page_source(name, raw, n0, layout, &n, &shift);
    kiln_tpl_error te;
    memset(&te, 0, sizeof te);
    int trc = src ? kiln_tpl_set_add(set, name, src, n, &te) : KILN_ENOMEM;
    free(src);
    if (trc != 0) {
        kiln_page_error(&te, name, raw, n0, shift);
        fprintf(stderr, "%s%s\n", prefix(in_project, root, &te),
                te.text[0] ? te.text : kiln_strerror(trc));
        goto done;
    }
    kiln_value ctx = kiln_value_null();
    if (ctxfile) {
        size_t cn = 0;
        char *cj = kiln_read_file(ctxfile, &cn);
        if (!cj) {
            cli_fail("%s: cannot read", ctxfile);
            goto done;
        }
        kiln_json *j = NULL;
        kiln_json_error je;
        int jrc = kiln_json_parse(&a, cj, cn, KILN_JSON_MAX_DEPTH, &j, &je);
        free(cj);
        if (jrc != 0) {
            cli_fail("%s:%d:%d: %s", ctxfile, je.line, je.col, je.msg);
            goto done;
        }
        if (kiln_value_from_json(&a, j, &ctx) != 0 ||
            ctx.type != KILN_VALUE_MAP) {
            cli_fail("%s: the context must be a JSON object", ctxfile);
            goto done;
        }
    }
    trc = block ? kiln_tpl_render_block(set, name, block, ctx, &a, &out, &te)
                : kiln_tpl_render(set, name, ctx, &a, &out, &te);
    if (trc != 0) {
        kiln_page_error(&te, name, raw, n0, shift);
        if (block && trc == KILN_ENOTFOUND && !te.text[0])
            fprintf(stderr, "kiln render: %s has no block '%s'\n", file, block);
        else
            fprintf(stderr, "%s%s\n", prefix(in_project, root, &te),
                    te.text[0] ? te.text : kiln_strerror(trc));
        goto done;
    }
    fwrite(out.p ? out.p : "", 1, out.n, stdout);
    rc = 0;
done:
    free(raw);
    kiln_buf_deinit(&out);
    kiln_arena_deinit(&a);
    kiln_tpl_set_free(set);
    kiln_url_clear();
    return rc;
}
