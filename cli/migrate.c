/*
 * cli/migrate.c - kiln migrate [--status | --check]: the project's
 * migrations/ against the database its settings name (database.url).
 */
#include "cli.h"

#include <kiln.h>

#include <stdlib.h>
#include <string.h>

static const char migrate_help[] =
    "usage: kiln migrate [--status | --check] [--prod] [settings flags...]\n\n"
    "Applies the pending migrations/NNNN_name.sql files, in order, each in a\n"
    "transaction, recording them in the kiln_migrations table with their\n"
    "SHA-256. An applied migration that was edited or deleted is an error.\n\n"
    "  --status   list applied and pending migrations, change nothing\n"
    "  --check    as --status, and exit 1 when any is pending (for CI)\n"
    "  --prod     production settings (no .env), as 'kiln run' uses\n"
    "  --db URL   another database (also KILN_DATABASE_URL, --set ...)\n";

int cmd_migrate(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(migrate_help, stdout);
        return 0;
    }
    static const char *const own[] = {"--status", "--check", NULL};
    unsigned seen;
    bool prod;
    char root[PATH_MAX], err[1024];
    kiln_settings *s;
    int rc = cli_load_settings(argc, argv, own, &seen, &prod, root, &s);
    if (rc)
        return rc < 0 ? 0 : rc;
    kiln_migrate_mode mode = seen & 2   ? KILN_MIGRATE_CHECK
                             : seen & 1 ? KILN_MIGRATE_STATUS
                                        : KILN_MIGRATE_APPLY;
    char url[PATH_MAX + 64];
    const char *setting = kiln_settings_str(s, "database.url");
    if (!setting || kiln_db_url_in(setting, root, url, sizeof url) != 0) {
        kiln_settings_free(s);
        return cli_fail("database.url is empty or too long");
    }
    kiln_settings_free(s);
    char dir[PATH_MAX];
    if (cli_pathf(dir, sizeof dir, "%s/migrations", root) != 0)
        return cli_fail("project path too long");
    kiln_dbc *db = kiln_dbc_open(url, err, sizeof err);
    if (!db)
        return cli_fail("%s", err);
    if (mode != KILN_MIGRATE_APPLY)
        printf("migrations (%s):\n", kiln_dbc_backend(db));
    int n = kiln_db_migrate(db, dir, mode,
                            mode == KILN_MIGRATE_APPLY ? stderr : stdout, err,
                            sizeof err);
    kiln_dbc_close(db);
    if (n < 0) {
        /* name files relative to the project */
        size_t k = strlen(root);
        const char *msg =
            strncmp(err, root, k) == 0 && err[k] == '/' ? err + k + 1 : err;
        return cli_fail("%s", msg);
    }
    if (mode == KILN_MIGRATE_APPLY) {
        if (n == 0)
            cli_progress("nothing to apply: the database is up to date");
        else
            cli_progress("%d migration%s applied", n, n == 1 ? "" : "s");
        return 0;
    }
    printf("%d pending\n", n);
    return mode == KILN_MIGRATE_CHECK && n > 0 ? 1 : 0;
}
