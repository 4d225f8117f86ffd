/*
 * cli/types.c - `kiln types`: writes the TypeScript client of the
 * project's typed API (src/openapi/ts.c writes it) into a folder, or
 * checks that the folder holds what it would write (--check, for CI).
 * `kiln dev` calls cli_types_dev on every build when the types.out setting
 * names a folder.
 */
#include "cli.h"

#include "model/model.h"
#include "openapi/ts.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The first line of every file ts.c writes: how a file is known as ours. */
static const char marker[] = "/*\n * Written by `kiln types`";

static int files_of(const char *name, const struct model_set *ms,
                    const cli_scan *s, ts_files *fs)
{
    oapi_route *routes = calloc(s->nroutes ? s->nroutes : 1, sizeof *routes);
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
                  .models = ms->models,
                  .nmodels = ms->n,
                  .routes = routes,
                  .nroutes = s->nroutes};
    int rc = ts_write(&d, fs);
    free(routes);
    return rc;
}

/* True when path holds exactly n bytes p. */
static bool same_file(const char *path, const char *p, size_t n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    bool same = true;
    char buf[8192];
    size_t off = 0, got;
    while (same && (got = fread(buf, 1, sizeof buf, f)) > 0) {
        same = off + got <= n && memcmp(buf, p + off, got) == 0;
        off += got;
    }
    same = same && !ferror(f) && off == n;
    fclose(f);
    return same;
}

/* True when path is a .ts file an earlier run wrote. */
static bool ours(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    char head[sizeof marker];
    size_t n = fread(head, 1, sizeof marker - 1, f);
    fclose(f);
    return n == sizeof marker - 1 && memcmp(head, marker, n) == 0;
}

/* The .ts files of dir that an earlier run wrote and this one does not. */
static void leftovers(const char *dir, const ts_files *fs, cli_strs *out)
{
    DIR *dp = opendir(dir);
    if (!dp)
        return;
    struct dirent *e;
    while ((e = readdir(dp))) {
        size_t len = strlen(e->d_name);
        if (len < 4 || strcmp(e->d_name + len - 3, ".ts") != 0)
            continue;
        bool current = false;
        for (size_t i = 0; i < fs->n && !current; i++)
            current = strcmp(fs->v[i].name, e->d_name) == 0;
        char path[PATH_MAX];
        if (current ||
            cli_pathf(path, sizeof path, "%s/%s", dir, e->d_name) != 0)
            continue;
        if (ours(path))
            cli_strs_addf(out, "%s", e->d_name);
    }
    closedir(dp);
}

int cli_types_sync(const char *name, const struct model_set *ms,
                   const cli_scan *s, const char *dir, bool check,
                   cli_strs *changed, kiln_buf *errs)
{
    ts_files fs;
    int rc = files_of(name, ms, s, &fs);
    if (rc != 0) {
        ts_files_free(&fs);
        kiln_buf_printf(errs, "%s\n", kiln_strerror(rc));
        return -1;
    }
    if (!check && cli_mkdirs(dir) != 0) {
        kiln_buf_printf(errs, "cannot make %s: %s\n", dir, strerror(errno));
        ts_files_free(&fs);
        return -1;
    }
    char path[PATH_MAX];
    for (size_t i = 0; i < fs.n && rc == 0; i++) {
        const ts_file *f = &fs.v[i];
        if (cli_pathf(path, sizeof path, "%s/%s", dir, f->name) != 0) {
            kiln_buf_printf(errs, "%s/%s: path too long\n", dir, f->name);
            rc = -1;
        } else if (check) {
            if (!same_file(path, f->text.p, f->text.n))
                cli_strs_addf(changed, "%s", f->name);
        } else {
            int w = cli_write_if_changed(path, f->text.p, f->text.n);
            if (w < 0) {
                kiln_buf_printf(errs, "cannot write %s: %s\n", path,
                                strerror(errno));
                rc = -1;
            } else if (w > 0)
                cli_strs_addf(changed, "%s", f->name);
        }
    }
    cli_strs old = {0};
    if (rc == 0)
        leftovers(dir, &fs, &old);
    for (size_t i = 0; i < old.n; i++) {
        cli_strs_addf(changed, "%s", old.v[i]);
        if (!check && cli_pathf(path, sizeof path, "%s/%s", dir, old.v[i]) == 0)
            unlink(path);
    }
    cli_strs_free(&old);
    ts_files_free(&fs);
    return rc;
}

int cli_types_dev(const char *root, const char *name,
                  const struct model_set *ms, const cli_scan *s, kiln_buf *log)
{
    kiln_settings_in in = {.root = root}; /* no .env, no key generated */
    kiln_settings *st = NULL;
    char err[512];
    if (kiln_settings_load(&in, &st, err, sizeof err) != 0)
        return 0; /* the settings' own check reports it */
    const char *out = kiln_settings_str(st, "types.out");
    int rc = 0;
    if (out && *out) {
        char dir[PATH_MAX];
        cli_strs changed = {0};
        if (cli_pathf(dir, sizeof dir, "%s%s%s", *out == '/' ? "" : root,
                      *out == '/' ? "" : "/", out) != 0) {
            kiln_buf_printf(log, "types.out: path too long\n");
            rc = -1;
        } else if (cli_types_sync(name, ms, s, dir, false, &changed, log) != 0)
            rc = -1;
        else if (changed.n)
            cli_progress("types: %zu file%s of %s rewritten", changed.n,
                         changed.n == 1 ? "" : "s", out);
        cli_strs_free(&changed);
    }
    kiln_settings_free(st);
    return rc;
}

static const char types_help[] =
    "usage: kiln types [--out DIR] [--check]\n\n"
    "Writes the TypeScript client of the project's API into DIR: types.ts\n"
    "(a type per schema), client.ts (fetch, errors as ApiError), query.ts,\n"
    "a file per model with [api] (functions, query keys and TanStack Query\n"
    "v5 hooks), endpoints.ts (the api/ handlers with an endpoint schema)\n"
    "and index.ts. Files are rewritten only when they change; a file an\n"
    "earlier run wrote that is no longer needed is removed.\n\n"
    "  --out DIR   the folder (default: the types.out setting, [types] out\n"
    "              in kiln.toml, relative to the project)\n"
    "  --check     write nothing; exit 1 naming every file that is stale\n"
    "              (for CI: the checked-in files match the models)\n";

int cmd_types(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(types_help, stdout);
        return 0;
    }
    const char *outdir = NULL;
    bool check = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
            outdir = argv[++i];
        else if (strncmp(argv[i], "--out=", 6) == 0)
            outdir = argv[i] + 6;
        else if (strcmp(argv[i], "--out") == 0)
            return cli_usage_error("--out needs a folder");
        else if (strcmp(argv[i], "--check") == 0)
            check = true;
        else
            return cli_unknown_option(argv[i]);
    }
    char root[PATH_MAX];
    if (cli_find_root(root) || cli_check_project(root))
        return 1;
    char dir[PATH_MAX], shown[PATH_MAX]; /* shown: as the user wrote it */
    if (outdir) {
        snprintf(dir, sizeof dir, "%s", outdir);
        snprintf(shown, sizeof shown, "%s", outdir);
    } else {
        kiln_settings_in in = {.root = root};
        kiln_settings *st = NULL;
        char err[512];
        if (kiln_settings_load(&in, &st, err, sizeof err) != 0)
            return cli_fail("%s", err);
        const char *out = kiln_settings_str(st, "types.out");
        int bad = !out || !*out ||
                  cli_pathf(dir, sizeof dir, "%s%s%s", *out == '/' ? "" : root,
                            *out == '/' ? "" : "/", out) != 0;
        snprintf(shown, sizeof shown, "%s", bad ? "" : out);
        kiln_settings_free(st);
        if (bad)
            return cli_usage_error("no folder: give --out DIR or set "
                                   "[types] out in kiln.toml");
    }
    cli_scan s;
    cli_scan_project(root, &s);
    if (s.errors.n) {
        cli_scan_report(&s);
        cli_scan_free(&s);
        return 1;
    }
    model_set ms;
    model_set_init(&ms);
    kiln_buf errs;
    kiln_buf_init(&errs);
    int status = 0;
    int rc = model_load_dir(&ms, root, &errs);
    if (rc == 0)
        rc = cli_load_endpoints(root, &ms, &s, &errs);
    if (rc != 0) {
        if (errs.n)
            fprintf(stderr, "%.*s", (int)errs.n, errs.p);
        else
            cli_fail("models/: %s", kiln_strerror(rc));
        status = 1;
    } else {
        char name[128];
        cli_project_name(root, name, sizeof name);
        cli_strs changed = {0};
        if (cli_types_sync(name, &ms, &s, dir, check, &changed, &errs) != 0)
            status = cli_fail("%.*s", errs.n ? (int)errs.n - 1 : 0,
                              errs.p ? errs.p : "");
        else if (check) {
            for (size_t i = 0; i < changed.n; i++)
                cli_fail("%s/%s is stale (run kiln types)", shown,
                         changed.v[i]);
            status = changed.n ? 1 : 0;
        } else if (changed.n)
            cli_progress("%zu file%s written to %s", changed.n,
                         changed.n == 1 ? "" : "s", shown);
        cli_strs_free(&changed);
    }
    kiln_buf_deinit(&errs);
    model_set_free(&ms);
    cli_scan_free(&s);
    return status;
}
