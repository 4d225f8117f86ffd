/*
 * cli/migrate.c - kiln migrate: the project's migrations/ against the
 * database its settings name (database.url), and against its models/.
 *
 *   kiln migrate                  apply what is pending
 *   kiln migrate --status         list applied and pending
 *   kiln migrate --check          exit 1 when the models have changes no
 *                                 migration has, or any is pending (CI)
 *   kiln migrate --make [NAME]    write the next migration from models/
 *   kiln migrate --to N           undo the applied migrations after N
 *   kiln migrate --sql N          print the SQL of migration N
 */
#include "cli.h"

#include "db/migrate.h"

#include <kiln.h>

#include <limits.h>
#include <stdlib.h>
#include <string.h>

static const char migrate_help[] =
    "usage: kiln migrate [--status | --check] [--prod] [settings flags...]\n"
    "       kiln migrate --make [NAME] [--accept-loss] [--rename OLD=NEW]...\n"
    "                    [--default MODEL.FIELD=VALUE]... [--check]\n"
    "       kiln migrate --to N [--accept-loss]\n"
    "       kiln migrate --sql N [--backend sqlite|postgres] [--reverse]\n\n"
    "Applies the pending migrations/NNNN_name.sql (hand-written) and\n"
    "NNNN_name.toml (made from models/) files, in number order, each in a\n"
    "transaction, recording them in the kiln_migrations table with their\n"
    "SHA-256. An applied migration that was edited or deleted is an error.\n"
    "Kiln's own tables (the task queue) are brought up to date first; they\n"
    "are versioned in the kiln_schema table, apart from the app's.\n\n"
    "  --status         list applied and pending migrations, change nothing\n"
    "  --check          exit 1 when models/ has changes no migration has, or\n"
    "                   when any migration is pending (for CI)\n"
    "  --make [NAME]    compare models/ with what the migrations make and\n"
    "                   write the next NNNN_NAME.toml (no database needed);\n"
    "                   with --check, write nothing and exit 1 when it would\n"
    "  --accept-loss    allow dropping models and fields and narrowing\n"
    "                   types (--make), or undoing such changes (--to)\n"
    "  --rename A=B     model A is now B; --rename M.A=B: field A of model M\n"
    "                   is now B (or write renamed_from = \"A\" in the model)\n"
    "  --default M.F=V  the value existing rows get for a new required field\n"
    "                   or one made required (TOML, or text for strings)\n"
    "  --to N           undo the applied migrations numbered above N (0: "
    "all),\n"
    "                   newest first; nothing changes when one cannot be\n"
    "  --sql N          print the SQL of migration N for the database of\n"
    "                   database.url, or --backend; --reverse: its undo\n"
    "  --prod           production settings (no .env), as 'kiln run' uses\n"
    "  --db URL         another database (also KILN_DATABASE_URL, --set ...)\n";

/* What the command line asked for. */
typedef struct mig_args {
    bool make, check, status, accept_loss, reverse;
    const char *name;    /* --make NAME */
    const char *to;      /* --to N */
    const char *sql;     /* --sql N */
    const char *backend; /* --backend */
    const char **renames, **defaults;
    size_t nrenames, ndefaults;
} mig_args;

/* Takes this command's flags out of argv into a (the rest into rest). */
static int parse_args(int argc, char **argv, mig_args *a, char **rest,
                      int *nrest)
{
    a->renames = calloc((size_t)argc + 1, sizeof *a->renames);
    a->defaults = calloc((size_t)argc + 1, sizeof *a->defaults);
    if (!a->renames || !a->defaults)
        return cli_fail("out of memory");
    *nrest = 0;
    rest[(*nrest)++] = argv[0];
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        bool valued = strcmp(s, "--rename") == 0 ||
                      strcmp(s, "--default") == 0 || strcmp(s, "--to") == 0 ||
                      strcmp(s, "--sql") == 0 || strcmp(s, "--backend") == 0;
        if (valued && !next)
            return cli_usage_error("%s needs a value", s);
        if (strcmp(s, "--make") == 0) {
            a->make = true;
            if (next && next[0] != '-') {
                a->name = next;
                i++;
            }
        } else if (strcmp(s, "--check") == 0) {
            a->check = true;
        } else if (strcmp(s, "--status") == 0) {
            a->status = true;
        } else if (strcmp(s, "--accept-loss") == 0) {
            a->accept_loss = true;
        } else if (strcmp(s, "--reverse") == 0) {
            a->reverse = true;
        } else if (strcmp(s, "--rename") == 0) {
            a->renames[a->nrenames++] = argv[++i];
        } else if (strcmp(s, "--default") == 0) {
            a->defaults[a->ndefaults++] = argv[++i];
        } else if (strcmp(s, "--to") == 0) {
            a->to = argv[++i];
        } else if (strcmp(s, "--sql") == 0) {
            a->sql = argv[++i];
        } else if (strcmp(s, "--backend") == 0) {
            a->backend = argv[++i];
        } else {
            rest[(*nrest)++] = argv[i];
        }
    }
    int modes = a->make + (a->to != NULL) + (a->sql != NULL) + a->status +
                (a->check && !a->make);
    if (modes > 1)
        return cli_usage_error("use one of --make, --to, --sql, --status, "
                               "--check at a time (--check goes with --make)");
    if ((a->nrenames || a->ndefaults) && !a->make)
        return cli_usage_error("--rename and --default go with --make");
    if (a->accept_loss && !a->make && !a->to)
        return cli_usage_error("--accept-loss goes with --make or --to");
    if ((a->backend || a->reverse) && !a->sql)
        return cli_usage_error("--backend and --reverse go with --sql");
    if (a->backend && strcmp(a->backend, "sqlite") != 0 &&
        strcmp(a->backend, "postgres") != 0)
        return cli_usage_error("--backend is sqlite or postgres");
    if (a->name) {
        for (const char *p = a->name; *p; p++)
            if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                  (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
                return cli_usage_error("--make %s: a migration's name is "
                                       "letters, digits, '_' and '-'",
                                       a->name);
        if (strlen(a->name) > 60)
            return cli_usage_error("--make: the name is longer than 60");
    }
    return 0;
}

/* Prints the lines of b to out, each after prefix. */
static void put_lines(FILE *out, const kiln_buf *b, const char *prefix)
{
    const char *p = b->p ? b->p : "";
    while (*p) {
        size_t n = strcspn(p, "\n");
        fprintf(out, "%s%.*s\n", prefix, (int)n, p);
        p += n + (p[n] == '\n');
    }
}

/* Prints the lines of b to stderr as "kiln migrate: <line>". */
static void print_lines(const kiln_buf *b, const char *prefix)
{
    put_lines(stderr, b, prefix);
}

/* A path relative to the project: root/x -> x. */
static const char *rel(const char *root, const char *s)
{
    size_t k = strlen(root);
    return strncmp(s, root, k) == 0 && s[k] == '/' ? s + k + 1 : s;
}

/* A message with every "root/" taken out (paths relative to the project),
   in place. */
static char *relative(const char *root, char *msg)
{
    size_t k = strlen(root);
    char *p;
    while ((p = strstr(msg, root)) && p[k] == '/')
        memmove(p, p + k + 1, strlen(p + k + 1) + 1);
    return msg;
}

/* The folder's migrations (none when it does not exist yet). */
static int scan(const char *root, const char *dir, db_migs *m)
{
    char err[1024];
    if (!cli_is_dir(dir))
        return 0;
    if (db_migs_scan(dir, m, err, sizeof err) != 0)
        return cli_fail("%s", rel(root, err));
    return 0;
}

/* The relative names of a project's migration files in messages. */
static void set_paths(const char *root, db_migs *m)
{
    for (size_t i = 0; i < m->n; i++) {
        const char *r = rel(root, m->v[i].path);
        if (r != m->v[i].path)
            memmove(m->v[i].path, r, strlen(r) + 1);
    }
}

/*
 * Loads models/ into models and replays migrations/ into st. Returns 0,
 * or 1 after printing why (a model or migration that does not load).
 */
static int load_both(const char *root, db_migs *m, model_set *models,
                     model_set *st)
{
    kiln_buf errs;
    kiln_buf_init(&errs);
    int rc = model_load_dir(models, root, &errs);
    if (rc != 0) {
        print_lines(&errs, "kiln migrate: ");
        kiln_buf_deinit(&errs);
        return cli_fail("models/ does not load (%s)", kiln_strerror(rc));
    }
    rc = db_migs_replay(m, LLONG_MAX, st, &errs);
    if (rc != 0) {
        print_lines(&errs, "kiln migrate: ");
        kiln_buf_deinit(&errs);
        return cli_fail("migrations/ does not replay");
    }
    kiln_buf_deinit(&errs);
    return 0;
}

/* A name for the migration from what it does. */
static void auto_name(const mig_file *f, bool first, char *out, size_t n)
{
    const mig_op *op = &f->ops[0];
    bool all_create = true;
    for (size_t i = 0; i < f->n; i++)
        all_create &= f->ops[i].kind == MIG_CREATE_MODEL ||
                      f->ops[i].kind == MIG_ADD_FIELD ||
                      f->ops[i].kind == MIG_ADD_INDEX;
    if (first && all_create) {
        snprintf(out, n, "init");
        return;
    }
    switch (op->kind) {
    case MIG_CREATE_MODEL:
        snprintf(out, n, "create_%s", op->model);
        break;
    case MIG_DROP_MODEL:
        snprintf(out, n, "drop_%s", op->model);
        break;
    case MIG_RENAME_MODEL:
        snprintf(out, n, "rename_%s", op->model);
        break;
    case MIG_ADD_FIELD:
        snprintf(out, n, "%s_%s", op->model, op->name);
        break;
    case MIG_DROP_FIELD:
        snprintf(out, n, "drop_%s_%s", op->model, op->name);
        break;
    case MIG_ALTER_FIELD:
        snprintf(out, n, "alter_%s_%s", op->model, op->name);
        break;
    case MIG_RENAME_FIELD:
        snprintf(out, n, "rename_%s_%s", op->model, op->name);
        break;
    default:
        snprintf(out, n, "%s", op->name);
        break;
    }
    out[n > 40 ? 40 : n - 1] = '\0';
    if (f->n > 1)
        strncat(out, "_and_more", n - strlen(out) - 1);
}

/*
 * The file just written, read back the way `kiln migrate` will read it,
 * must take the migrations to the models exactly: otherwise it is a bug
 * of kiln's, reported before the file is saved.
 */
static int verify(const db_migs *m, const model_set *models, const char *path,
                  const kiln_buf *text)
{
    model_set st;
    model_set_init(&st);
    kiln_buf errs;
    kiln_buf_init(&errs);
    mig_file f, again;
    mig_file_init(&f, path);
    mig_file_init(&again, path);
    int rc = db_migs_replay(m, LLONG_MAX, &st, &errs);
    if (rc == 0)
        rc = mig_parse(&st, &f, text->p, text->n, &errs);
    for (size_t i = 0; rc == 0 && i < f.n; i++)
        rc = mig_replay(&st, &f.ops[i], path, &errs);
    mig_diff_opts o = {.accept_loss = true};
    if (rc == 0)
        rc = mig_diff(&st, models, &o, &again, NULL, &errs);
    if (rc == 0 && again.n) {
        for (size_t i = 0; i < again.n; i++) {
            mig_describe(&again.ops[i], &errs);
            kiln_buf_putc(&errs, '\n');
        }
        rc = KILN_EINVAL;
    }
    if (rc != 0) {
        print_lines(&errs, "kiln migrate: ");
        cli_fail("internal error: the migration made does not read back as "
                 "the models (please report it); nothing was written");
    }
    mig_file_free(&f);
    mig_file_free(&again);
    kiln_buf_deinit(&errs);
    model_set_free(&st);
    return rc ? 1 : 0;
}

/* kiln migrate --make [NAME] [--check]. */
static int make(const char *root, const mig_args *a)
{
    char dir[PATH_MAX];
    if (cli_pathf(dir, sizeof dir, "%s/migrations", root) != 0)
        return cli_fail("project path too long");
    db_migs m = {0};
    model_set models, st;
    model_set_init(&models);
    model_set_init(&st);
    int rc = scan(root, dir, &m);
    if (rc == 0) {
        set_paths(root, &m);
        rc = load_both(root, &m, &models, &st);
    }
    long long num = m.n ? m.v[m.n - 1].num + 1 : 1;
    char path[PATH_MAX + 128], name[128];
    mig_file f;
    mig_file_init(&f, path);
    kiln_buf notes, errs, text;
    kiln_buf_init(&notes);
    kiln_buf_init(&errs);
    kiln_buf_init(&text);
    mig_diff_opts o = {.accept_loss = a->accept_loss,
                       .renames = a->renames,
                       .nrenames = a->nrenames,
                       .defaults = a->defaults,
                       .ndefaults = a->ndefaults};
    int d = 0;
    if (rc == 0) {
        d = mig_diff(&st, &models, &o, &f, &notes, &errs);
        if (d == KILN_ENOMEM)
            rc = cli_fail("out of memory");
        else if (d != 0 && !a->check) {
            print_lines(&errs, "kiln migrate: ");
            rc = cli_fail("no migration written: see the changes above");
        }
    }
    if (rc == 0 && f.n == 0 && d == 0) {
        printf("no changes: the migrations already make the models\n");
    } else if (rc == 0 && a->check) {
        /* like --make, writing nothing: what differs, and what --make
           would refuse */
        printf("the models have changes no migration has:\n");
        for (size_t i = 0; i < f.n; i++) {
            kiln_buf_clear(&text);
            mig_describe(&f.ops[i], &text);
            printf("  - %s\n", text.p);
        }
        put_lines(stdout, &errs, "  ! ");
        printf("run: kiln migrate --make\n");
        rc = 1;
    } else if (rc == 0) {
        if (a->name)
            snprintf(name, sizeof name, "%s", a->name);
        else
            auto_name(&f, m.n == 0, name, sizeof name);
        snprintf(path, sizeof path, "migrations/%04lld_%s.toml", num, name);
        if (mig_write(&f, "kiln migrate --make", &text, &errs) != 0) {
            print_lines(&errs, "kiln migrate: ");
            rc = cli_fail("no migration written");
        }
        if (rc == 0)
            rc = verify(&m, &models, path, &text);
        char full[PATH_MAX * 2];
        if (rc == 0 &&
            (cli_mkdirs(dir) != 0 ||
             cli_pathf(full, sizeof full, "%s/%s", root, path) != 0 ||
             cli_write_file(full, text.p, text.n, 0644) != 0))
            rc = cli_fail("cannot write %s", path);
        if (rc == 0) {
            printf("wrote %s:\n", path);
            for (size_t i = 0; i < f.n; i++) {
                kiln_buf_clear(&errs);
                mig_describe(&f.ops[i], &errs);
                printf("  - %s\n", errs.p);
            }
            if (notes.n) {
                printf("data it loses (--accept-loss):\n");
                kiln_buf_clear(&errs);
                const char *p = notes.p;
                while (*p) {
                    size_t n = strcspn(p, "\n");
                    printf("  ! %.*s\n", (int)n, p);
                    p += n + (p[n] == '\n');
                }
            }
            printf("apply it with: kiln migrate\n");
        }
    }
    kiln_buf_deinit(&notes);
    kiln_buf_deinit(&errs);
    kiln_buf_deinit(&text);
    mig_file_free(&f);
    model_set_free(&st);
    model_set_free(&models);
    db_migs_free(&m);
    return rc;
}

/*
 * The models against the migrations, for --check and after applying:
 * prints what differs (to out) and returns 1 when something does, 0 when
 * not, -1 when either does not load (reported).
 */
static int drift(const char *root, FILE *out, const char *lead)
{
    char mdir[PATH_MAX], dir[PATH_MAX];
    if (cli_pathf(mdir, sizeof mdir, "%s/models", root) != 0 ||
        cli_pathf(dir, sizeof dir, "%s/migrations", root) != 0 ||
        !cli_is_dir(mdir))
        return 0;
    db_migs m = {0};
    model_set models, st;
    model_set_init(&models);
    model_set_init(&st);
    mig_file f;
    mig_file_init(&f, "migrations/next.toml");
    kiln_buf errs, line;
    kiln_buf_init(&errs);
    kiln_buf_init(&line);
    int rc = scan(root, dir, &m) ? -1 : 0;
    if (rc == 0) {
        set_paths(root, &m);
        rc = load_both(root, &m, &models, &st) ? -1 : 0;
    }
    mig_diff_opts o = {.accept_loss = true};
    if (rc == 0) {
        int d = mig_diff(&st, &models, &o, &f, NULL, &errs);
        if (d == KILN_ENOMEM)
            rc = cli_fail("out of memory");
        else if (d == 0 && f.n == 0 && out == stdout)
            printf("models: the migrations make them\n");
        else if (d != 0 || f.n) {
            fputs(lead, out);
            for (size_t i = 0; i < f.n; i++) {
                kiln_buf_clear(&line);
                mig_describe(&f.ops[i], &line);
                fprintf(out, "  - %s\n", line.p);
            }
            rc = 1;
        }
    }
    kiln_buf_deinit(&errs);
    kiln_buf_deinit(&line);
    mig_file_free(&f);
    model_set_free(&st);
    model_set_free(&models);
    db_migs_free(&m);
    return rc;
}

/* kiln migrate --sql N. */
static int print_sql(const char *root, const char *url, const mig_args *a)
{
    char *end;
    long long n = strtoll(a->sql, &end, 10);
    if (*end || n < 1)
        return cli_usage_error("--sql takes a migration's number");
    ddl_backend be =
        a->backend
            ? (strcmp(a->backend, "postgres") == 0 ? DDL_POSTGRES : DDL_SQLITE)
        : strncmp(url, "postgres", 8) == 0 ? DDL_POSTGRES
                                           : DDL_SQLITE;
    char dir[PATH_MAX];
    if (cli_pathf(dir, sizeof dir, "%s/migrations", root) != 0)
        return cli_fail("project path too long");
    db_migs m = {0};
    char err[1024];
    if (db_migs_scan(dir, &m, err, sizeof err) != 0) {
        db_migs_free(&m);
        return cli_fail("%s", rel(root, err));
    }
    set_paths(root, &m);
    size_t at = m.n;
    for (size_t i = 0; i < m.n; i++)
        if (m.v[i].num == n)
            at = i;
    if (at == m.n) {
        db_migs_free(&m);
        return cli_fail("migrations/ has no migration numbered %lld", n);
    }
    kiln_buf sql, errs;
    kiln_buf_init(&sql);
    kiln_buf_init(&errs);
    int rc = db_mig_sql(&m, at, be, a->reverse, true, &sql, &errs);
    if (rc != 0) {
        print_lines(&errs, "kiln migrate: ");
        rc = cli_fail("no SQL for %s", m.v[at].file);
    } else {
        printf("-- %s%s, for %s\n", m.v[at].file,
               a->reverse ? ", undoing it" : "", ddl_backend_name(be));
        fwrite(sql.p ? sql.p : "", 1, sql.n, stdout);
        if (sql.n && sql.p[sql.n - 1] != '\n')
            putchar('\n');
    }
    kiln_buf_deinit(&sql);
    kiln_buf_deinit(&errs);
    db_migs_free(&m);
    return rc;
}

/* The database part: apply, --status, --check (pending), --to. */
static int with_db(const char *root, const char *url, const mig_args *a)
{
    char dir[PATH_MAX], err[2048];
    if (cli_pathf(dir, sizeof dir, "%s/migrations", root) != 0)
        return cli_fail("project path too long");
    kiln_dbc *db = kiln_dbc_open(url, err, sizeof err);
    if (!db)
        return cli_fail("%s", err);
    if (a->to) {
        char *end;
        long long target = strtoll(a->to, &end, 10);
        if (*end || target < 0) {
            kiln_dbc_close(db);
            return cli_usage_error("--to takes a migration's number (0: "
                                   "before the first)");
        }
        int n = kiln_db_migrate_to(db, dir, target, a->accept_loss, stderr, err,
                                   sizeof err);
        kiln_dbc_close(db);
        if (n < 0)
            return cli_fail("%s", relative(root, err));
        if (n == 0)
            cli_progress("nothing to undo: the database is at %lld or "
                         "before",
                         target);
        else
            cli_progress("%d migration%s undone", n, n == 1 ? "" : "s");
        return 0;
    }
    kiln_migrate_mode mode = a->check    ? KILN_MIGRATE_CHECK
                             : a->status ? KILN_MIGRATE_STATUS
                                         : KILN_MIGRATE_APPLY;
    if (mode != KILN_MIGRATE_APPLY)
        printf("migrations (%s):\n", kiln_dbc_backend(db));
    /* Kiln's own tables (its task queue): applied first, counted apart;
       kiln_db_migrate lists them */
    int k = kiln_db_migrate_kiln(
        db, mode, mode == KILN_MIGRATE_APPLY ? stderr : NULL, err, sizeof err);
    int n = k < 0
                ? k
                : kiln_db_migrate(db, dir, mode,
                                  mode == KILN_MIGRATE_APPLY ? stderr : stdout,
                                  err, sizeof err);
    kiln_dbc_close(db);
    if (n < 0)
        return cli_fail("%s", relative(root, err));
    if (mode == KILN_MIGRATE_APPLY) {
        if (k > 0)
            cli_progress("Kiln's own tables: %d step%s applied", k,
                         k == 1 ? "" : "s");
        if (n == 0 && k == 0)
            cli_progress("nothing to apply: the database is up to date");
        else if (n > 0)
            cli_progress("%d migration%s applied", n, n == 1 ? "" : "s");
        /* a warning only: what was asked is done */
        drift(root, stderr,
              "warning: models/ has changes no migration has yet (run kiln "
              "migrate --make):\n");
        return 0;
    }
    if (k > 0)
        printf("%d pending (and %d step%s of Kiln's own tables)\n", n, k,
               k == 1 ? "" : "s");
    else
        printf("%d pending\n", n);
    return mode == KILN_MIGRATE_CHECK && n + k > 0 ? 1 : 0;
}

int cmd_migrate(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(migrate_help, stdout);
        return 0;
    }
    mig_args a = {0};
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    int nrest = 0;
    int rc = rest ? parse_args(argc, argv, &a, rest, &nrest)
                  : cli_fail("out of memory");
    unsigned seen;
    bool prod;
    char root[PATH_MAX];
    kiln_settings *s = NULL;
    if (rc == 0) {
        rc = cli_load_settings(nrest, rest, NULL, &seen, &prod, root, &s);
        if (rc < 0)
            rc = 0, a.make = false, s = NULL; /* help was printed */
    }
    char url[PATH_MAX + 64] = "";
    if (rc == 0 && s) {
        const char *setting = kiln_settings_str(s, "database.url");
        if (!setting || kiln_db_url_in(setting, root, url, sizeof url) != 0)
            rc = cli_fail("database.url is empty or too long");
    }
    if (s)
        kiln_settings_free(s);
    if (rc == 0 && url[0]) {
        if (a.make)
            rc = make(root, &a);
        else if (a.sql)
            rc = print_sql(root, url, &a);
        else {
            int d = 0;
            if (a.check)
                d = drift(root, stdout,
                          "models/ has changes no migration has (run kiln "
                          "migrate --make):\n");
            rc = d < 0 ? 1 : with_db(root, url, &a);
            if (rc == 0 && d > 0)
                rc = 1;
        }
    }
    free(a.renames);
    free(a.defaults);
    free(rest);
    return rc;
}
