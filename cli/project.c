/*
 * cli/project.c - the checks every command that reads a project runs
 * first (kiln dev, build, run, routes, config, migrate, gen, render), so
 * that a mistake in the project's declarations is reported once, the same
 * way, with its file, line and column, before anything is built or served.
 *
 * Each check is one row of the table below: a name and a function that
 * appends its problems as "file:line:col: message" lines. A new kind of
 * declaration (models/ next) is a new row.
 */
#include "cli.h"

#include "model/model.h"

#include <stdlib.h>
#include <string.h>

/*
 * kiln.toml alone: its syntax, its keys and their types, as a production
 * run reads it (no .env, no environment: those belong to one run, not to
 * the project, and a build must not depend on them).
 */
static int check_settings_file(const char *root, cli_strs *errs)
{
    kiln_settings_in in = {
        .root = root, .dev = false, .envp = (char *[]){NULL}};
    kiln_settings *s = NULL;
    char err[1024];
    int rc = kiln_settings_load(&in, &s, err, sizeof err);
    kiln_settings_free(s);
    if (rc == 0)
        return 0;
    if (cli_strs_addf(errs, "%s", err) != 0)
        return -1;
    return 1;
}

/* models/: every model file, and the references between them. */
static int check_models(const char *root, cli_strs *errs)
{
    model_set ms;
    model_set_init(&ms);
    kiln_buf b;
    kiln_buf_init(&b);
    int rc = model_load_dir(&ms, root, &b);
    for (const char *l = b.p ? b.p : ""; *l;) {
        const char *nl = strchr(l, '\n');
        size_t n = nl ? (size_t)(nl - l) : strlen(l);
        if (cli_strs_addf(errs, "%.*s", (int)n, l) != 0)
            rc = KILN_ENOMEM;
        l += n + (nl != NULL);
    }
    kiln_buf_deinit(&b);
    model_set_free(&ms);
    return rc == KILN_ENOMEM ? -1 : rc != 0;
}

static const struct project_check {
    const char *what; /* for messages about the check itself */
    int (*run)(const char *root, cli_strs *errs);
} checks[] = {
    {"kiln.toml", check_settings_file},
    {"models/", check_models},
};

int cli_check_project_into(const char *root, cli_strs *errs)
{
    int bad = 0;
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
        int rc = checks[i].run(root, errs);
        if (rc < 0)
            cli_strs_addf(errs, "%s: cannot be checked (out of memory)",
                          checks[i].what);
        if (rc != 0)
            bad = 1;
    }
    return bad;
}

int cli_check_project(const char *root)
{
    cli_strs errs = {0};
    int rc = cli_check_project_into(root, &errs);
    for (size_t i = 0; i < errs.n; i++)
        cli_fail("%s", errs.v[i]);
    cli_strs_free(&errs);
    return rc;
}
