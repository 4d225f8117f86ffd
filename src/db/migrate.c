/*
 * db/migrate.c - the migrations runner: migrations/NNNN_name.sql (written
 * by hand) and NNNN_name.toml (written by `kiln migrate --make` from the
 * models) in one numbered sequence. kiln_db_migrate applies the pending
 * ones in order, each in one transaction together with its kiln_migrations
 * row, checked against the SHA-256 recorded when it was applied;
 * kiln_db_migrate_to undoes applied ones, newest first.
 *
 * A generated migration's SQL is made here, when it runs, for the database
 * at hand (model/migration.h: the operations replayed from the files
 * before it, then its own). On SQLite it runs with foreign keys off around
 * its transaction, as SQLite's table rebuild needs, and PRAGMA
 * foreign_key_check must find nothing before it commits; a table it
 * rebuilds is first checked for columns the migrations do not know (which
 * the rebuild would lose), and the indexes and triggers that hand-written
 * SQL put on it are made again after.
 */
#include "db/migrate.h"

#include "core/sha256.h"

#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
    KILN_PRINTF(4, 5);

static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return code;
}

/* The lines of errs as err (the last line end dropped). */
static int fail_lines(char *err, size_t errlen, int code, const kiln_buf *errs)
{
    size_t n = errs->n;
    while (n && errs->p[n - 1] == '\n')
        n--;
    return fail(err, errlen, code, "%.*s", (int)n, errs->p ? errs->p : "");
}

/* ---- the folder ---------------------------------------------------------- */

long long db_mig_number(const char *f)
{
    size_t i = 0;
    long long num = 0;
    while (isdigit((unsigned char)f[i])) {
        if (num > 99999999)
            return -1;
        num = num * 10 + (f[i++] - '0');
    }
    if (i < 4 || f[i] != '_' || !f[i + 1])
        return -1;
    size_t n = strlen(f), ext;
    if (n > 4 && strcmp(f + n - 4, ".sql") == 0)
        ext = 4;
    else if (n > 5 && strcmp(f + n - 5, ".toml") == 0)
        ext = 5;
    else
        return -1;
    if (n - ext <= i + 1)
        return -1;
    for (size_t k = i + 1; k < n - ext; k++)
        if (!isalnum((unsigned char)f[k]) && f[k] != '_' && f[k] != '-')
            return -1;
    return num;
}

/* Finds the line "-- kiln:down" in a .sql migration. */
static void find_down(db_mig *g)
{
    static const char mark[] = "-- kiln:down";
    g->down = g->len;
    g->has_down = false;
    for (size_t at = 0; at < g->len;) {
        const char *line = g->text + at;
        size_t n = strcspn(line, "\n");
        size_t k = n;
        while (k && (line[k - 1] == ' ' || line[k - 1] == '\t' ||
                     line[k - 1] == '\r'))
            k--;
        if (k == sizeof mark - 1 && memcmp(line, mark, k) == 0) {
            g->down = at;
            g->has_down = true;
            return;
        }
        at += n + (line[n] == '\n');
    }
}

/* The undo section of a .sql migration (after its marker line). */
static const char *down_sql(const db_mig *g)
{
    const char *p = g->text + g->down;
    const char *nl = strchr(p, '\n');
    return nl ? nl + 1 : g->text + g->len;
}

static int cmp_mig(const void *a, const void *b)
{
    const db_mig *x = a, *y = b;
    return (x->num > y->num) - (x->num < y->num);
}

void db_migs_free(db_migs *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->v[i].file);
        free(m->v[i].path);
        free(m->v[i].text);
    }
    free(m->v);
    memset(m, 0, sizeof *m);
}

int db_migs_scan(const char *dir, db_migs *m, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d)
        return fail(err, errlen, KILN_ENOTFOUND,
                    "%s: no migrations folder (create it with files named "
                    "0001_name.sql, or run kiln migrate --make)",
                    dir);
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d))) {
        const char *f = e->d_name;
        if (f[0] == '.')
            continue;
        size_t n = strlen(f);
        bool ours = (n > 4 && strcmp(f + n - 4, ".sql") == 0) ||
                    (n > 5 && strcmp(f + n - 5, ".toml") == 0);
        long long num = db_mig_number(f);
        if (num < 0) {
            if (ours || isdigit((unsigned char)f[0]))
                rc = fail(err, errlen, KILN_EINVAL,
                          "%s/%s: a migration is named NNNN_name.sql or "
                          "NNNN_name.toml (four or more digits, then "
                          "letters, digits, '_' or '-')",
                          dir, f);
            continue; /* README and such */
        }
        if (m->n == m->cap) {
            size_t cap = m->cap ? m->cap * 2 : 16;
            db_mig *v = realloc(m->v, cap * sizeof *v);
            if (!v) {
                rc = fail(err, errlen, KILN_ENOMEM, "out of memory");
                break;
            }
            m->v = v;
            m->cap = cap;
        }
        db_mig *g = &m->v[m->n];
        memset(g, 0, sizeof *g);
        g->num = num;
        g->toml = n > 5 && strcmp(f + n - 5, ".toml") == 0;
        g->file = strdup(f);
        g->path = malloc(strlen(dir) + n + 2);
        if (g->path)
            sprintf(g->path, "%s/%s", dir, f);
        g->text = g->path ? kiln_read_file(g->path, &g->len) : NULL;
        if (!g->file || !g->path || !g->text) {
            rc = fail(err, errlen, KILN_EIO, "%s/%s: cannot read", dir, f);
            free(g->file);
            free(g->path);
            free(g->text);
            break;
        }
        sha256_hex(g->text, g->len, g->sum);
        find_down(g);
        m->n++;
    }
    closedir(d);
    if (rc != 0)
        return rc;
    if (m->n)
        qsort(m->v, m->n, sizeof *m->v, cmp_mig);
    for (size_t i = 1; i < m->n; i++)
        if (m->v[i].num == m->v[i - 1].num)
            return fail(err, errlen, KILN_EINVAL,
                        "%s: %s and %s have the same number", dir,
                        m->v[i - 1].file, m->v[i].file);
    return 0;
}

/* ---- generated migrations ------------------------------------------------ */

/* Reads generated migration g into f (operations in st's arena). */
static int parse_toml(const db_mig *g, model_set *st, mig_file *f,
                      kiln_buf *errs)
{
    mig_file_init(f, g->path);
    return mig_parse(st, f, g->text, g->len, errs);
}

/* Replays the operations of g into st, with no SQL. */
static int replay_toml(const db_mig *g, model_set *st, kiln_buf *errs)
{
    mig_file f;
    int rc = parse_toml(g, st, &f, errs);
    for (size_t i = 0; rc == 0 && i < f.n; i++)
        rc = mig_replay(st, &f.ops[i], f.path, errs);
    mig_file_free(&f);
    return rc;
}

int db_migs_replay(const db_migs *m, long long upto, model_set *st,
                   kiln_buf *errs)
{
    for (size_t i = 0; i < m->n && m->v[i].num < upto; i++) {
        if (!m->v[i].toml)
            continue;
        int rc = replay_toml(&m->v[i], st, errs);
        if (rc)
            return rc;
    }
    return 0;
}

/* The SQL of generated migration m->v[i] from a fresh replay. */
static int toml_sql(const db_migs *m, size_t i, ddl_backend be, bool reverse,
                    bool accept_loss, kiln_buf *out, mig_rebuilds *rb,
                    kiln_buf *errs)
{
    model_set st;
    model_set_init(&st);
    mig_file f;
    mig_file_init(&f, m->v[i].path);
    int rc = db_migs_replay(m, m->v[i].num, &st, errs);
    if (rc == 0)
        rc = parse_toml(&m->v[i], &st, &f, errs);
    if (rc == 0)
        rc = mig_sql(&st, &f, be, reverse, accept_loss, out, rb, errs);
    mig_file_free(&f);
    model_set_free(&st);
    return rc;
}

int db_mig_sql(const db_migs *m, size_t i, ddl_backend be, bool reverse,
               bool accept_loss, kiln_buf *out, kiln_buf *errs)
{
    const db_mig *g = &m->v[i];
    if (g->toml)
        return toml_sql(m, i, be, reverse, accept_loss, out, NULL, errs);
    if (!reverse)
        return kiln_buf_append(out, g->text, g->down);
    if (!g->has_down) {
        kiln_buf_printf(errs,
                        "%s has no \"-- kiln:down\" section, so it cannot "
                        "be undone\n",
                        g->path);
        return KILN_ESTATE;
    }
    return kiln_buf_puts(out, down_sql(g));
}

/* ---- the database -------------------------------------------------------- */

static bool pg(kiln_dbc *db)
{
    return db->ops == &db_pg_ops;
}

/* The line of byte offset off in s (1-based). */
static int line_of(const char *s, size_t off)
{
    int line = 1;
    for (size_t i = 0; s[i] && i < off; i++)
        line += s[i] == '\n';
    return line;
}

/* Marks which migrations the table records; checks their checksums. */
static int load_applied(kiln_dbc *db, const char *dir, db_migs *m, char *err,
                        size_t errlen)
{
    kiln_rows *r = kiln_db_query(
        db, "SELECT id, name, checksum, applied_at FROM kiln_migrations "
            "ORDER BY id");
    if (!r)
        return fail(err, errlen, db->last_rc ? db->last_rc : KILN_EDB,
                    "reading kiln_migrations: %s", db->err);
    int rc = 0;
    while (rc == 0 && kiln_rows_next(r)) {
        long long id = (long long)kiln_row_int(r, 0);
        kiln_str name = kiln_row_text(r, 1), sum = kiln_row_text(r, 2);
        db_mig *g = NULL;
        for (size_t i = 0; i < m->n; i++)
            if (m->v[i].num == id)
                g = &m->v[i];
        if (!g) {
            rc = fail(err, errlen, KILN_ESTATE,
                      "migration %.*s was applied but %s/%.*s.sql or .toml "
                      "is gone (restore it: applied migrations stay)",
                      (int)name.n, name.p ? name.p : "", dir, (int)name.n,
                      name.p ? name.p : "");
            break;
        }
        if (!sum.p || strlen(g->sum) != sum.n ||
            memcmp(g->sum, sum.p, sum.n) != 0) {
            rc = fail(err, errlen, KILN_ESTATE,
                      "%s was edited after it was applied (checksum "
                      "%.12s..., recorded %.12s...); put the change in a new "
                      "migration",
                      g->path, g->sum, sum.p ? sum.p : "");
            break;
        }
        g->applied = true;
        int64_t us = kiln_row_time(r, 3);
        time_t t = (time_t)(us / 1000000);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(g->applied_at, sizeof g->applied_at, "%Y-%m-%d %H:%M:%S UTC",
                 &tm);
    }
    if (rc == 0 && kiln_rows_error(r) < 0)
        rc = fail(err, errlen, kiln_rows_error(r),
                  "reading kiln_migrations: %s", db->err);
    kiln_rows_close(r);
    return rc;
}

/* True when name is one of v[0..n). */
static bool listed(char *const *v, size_t n, kiln_str name)
{
    for (size_t i = 0; i < n; i++)
        if (kiln_str_eq(name, kiln_str_c(v[i])))
            return true;
    return false;
}

/*
 * Before an SQLite migration rebuilds the tables of rb: each must have no
 * column the migrations do not know (the copy would lose it), and the
 * indexes and triggers on it that they did not make are appended to keep,
 * to be made again after.
 */
static int sqlite_rebuilds(kiln_dbc *db, const db_mig *g,
                           const mig_rebuilds *rb, kiln_buf *keep, char *err,
                           size_t errlen)
{
    for (size_t i = 0; rb && i < rb->n; i++) {
        const mig_rebuild *t = &rb->v[i];
        kiln_rows *r = kiln_db_query(
            db, "SELECT name FROM pragma_table_info($1)", KILN_TEXT(t->table));
        if (!r)
            return fail(err, errlen, KILN_EDB, "%s: reading table %s: %s",
                        g->path, t->table, db->err);
        int rc = 0;
        while (rc == 0 && kiln_rows_next(r)) {
            kiln_str col = kiln_row_text(r, 0);
            if (!listed(t->columns, t->ncolumns, col))
                rc = fail(err, errlen, KILN_ESTATE,
                          "%s: table %s has a column %.*s that the "
                          "migrations do not know (added by hand?); "
                          "rebuilding the table would lose it. Declare it in "
                          "the model (with a migration), or drop it in a "
                          "hand-written migration first",
                          g->path, t->table, (int)col.n, col.p ? col.p : "");
        }
        kiln_rows_close(r);
        if (rc)
            return rc;
        r = kiln_db_query(db,
                          "SELECT type, name, sql FROM sqlite_master WHERE "
                          "tbl_name = $1 AND type IN ('index', 'trigger') "
                          "AND sql IS NOT NULL ORDER BY type, name",
                          KILN_TEXT(t->table));
        if (!r)
            return fail(err, errlen, KILN_EDB, "%s: reading table %s: %s",
                        g->path, t->table, db->err);
        while (kiln_rows_next(r)) {
            kiln_str type = kiln_row_text(r, 0), name = kiln_row_text(r, 1);
            kiln_str sql = kiln_row_text(r, 2);
            if (kiln_str_eq(type, KILN_STR("index")) &&
                listed(t->indexes, t->nindexes, name))
                continue;
            kiln_buf_append(keep, sql.p, sql.n);
            kiln_buf_puts(keep, ";\n");
        }
        kiln_rows_close(r);
    }
    return 0;
}

/* SQLite: PRAGMA foreign_key_check must find nothing. */
static int sqlite_fk_check(kiln_dbc *db, const db_mig *g, char *err,
                           size_t errlen)
{
    kiln_rows *r = kiln_db_query(db, "PRAGMA foreign_key_check");
    if (!r)
        return fail(err, errlen, KILN_EDB, "%s: PRAGMA foreign_key_check: %s",
                    g->path, db->err);
    int rc = 0;
    if (kiln_rows_next(r)) {
        kiln_str table = kiln_row_text(r, 0), parent = kiln_row_text(r, 2);
        rc = fail(err, errlen, KILN_EDB,
                  "%s: afterwards row %lld of table %.*s refers to a row of "
                  "%.*s that does not exist (foreign key check); nothing was "
                  "changed",
                  g->path, (long long)kiln_row_int(r, 1), (int)table.n,
                  table.p ? table.p : "", (int)parent.n,
                  parent.p ? parent.p : "");
    }
    kiln_rows_close(r);
    return rc;
}

/* A failing statement of sql (off into it, base its offset in g->text). */
static int script_error(kiln_dbc *db, const db_mig *g, const char *sql,
                        size_t off, size_t base, char *err, size_t errlen)
{
    char msg[512];
    snprintf(msg, sizeof msg, "%s", db->err);
    int code = db->last_rc ? db->last_rc : KILN_EDB;
    if (off == (size_t)-1)
        return fail(err, errlen, code, "%s: %s", g->path, msg);
    if (!g->toml)
        return fail(err, errlen, code, "%s:%d: %s", g->path,
                    line_of(g->text, base + off), msg);
    /* generated SQL: name the statement */
    size_t n = strcspn(sql + off, ";\n");
    return fail(err, errlen, code, "%s: %.*s: %s", g->path, (int)n, sql + off,
                msg);
}

/*
 * Runs sql, migration g's SQL (undo: its undo), in its transaction with
 * its kiln_migrations row inserted (or deleted, undoing). base is sql's
 * offset in g->text (a .sql file), for line numbers.
 */
static int run_step(kiln_dbc *db, db_mig *g, const char *sql, size_t base,
                    bool undo, const mig_rebuilds *rb, char *err, size_t errlen)
{
    static const char no_tx[] = "-- kiln:no-transaction";
    bool tx = g->toml || strncmp(g->text, no_tx, sizeof no_tx - 1) != 0;
    bool fk_off = g->toml && !pg(db);
    size_t off = (size_t)-1;
    if (fk_off && db->ops->script(db, "PRAGMA foreign_keys = OFF", &off) != 0)
        return fail(err, errlen, db->last_rc, "%s: %s", g->path, db->err);
    int rc = 0;
    kiln_buf keep;
    kiln_buf_init(&keep);
    if (tx && kiln_db_begin(db) != 0) {
        rc = fail(err, errlen, db->last_rc, "%s: BEGIN: %s", g->path, db->err);
        goto out;
    }
    /* another run may have done it meanwhile (we hold the lock now) */
    int64_t seen = 0;
    rc = kiln_db_scalar_int(db, &seen,
                            "SELECT count(*) FROM kiln_migrations WHERE "
                            "id = $1",
                            KILN_INT(g->num));
    if (rc != 0)
        rc = fail(err, errlen, rc, "%s: reading kiln_migrations: %s", g->path,
                  db->err);
    else if ((seen > 0) != undo) { /* done by the other run */
        g->applied = !undo;
        goto rollback;
    }
    if (rc == 0 && fk_off)
        rc = sqlite_rebuilds(db, g, rb, &keep, err, errlen);
    if (rc == 0 && db->ops->script(db, sql, &off) != 0)
        rc = script_error(db, g, sql, off, base, err, errlen);
    if (rc == 0 && keep.n && db->ops->script(db, keep.p, &off) != 0)
        rc = fail(err, errlen, db->last_rc,
                  "%s: an index or trigger made by hand on a rebuilt table "
                  "cannot be made again (%s); drop it in a hand-written "
                  "migration first",
                  g->path, db->err);
    if (rc == 0 && fk_off)
        rc = sqlite_fk_check(db, g, err, errlen);
    if (rc == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t now = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
        size_t nlen = strlen(g->file) - (g->toml ? 5 : 4);
        int64_t n =
            undo ? kiln_db_exec(db, "DELETE FROM kiln_migrations WHERE id = $1",
                                KILN_INT(g->num))
                 : kiln_db_exec(db,
                                "INSERT INTO kiln_migrations (id, name, "
                                "checksum, applied_at) VALUES ($1, $2, $3, "
                                "$4)",
                                KILN_INT(g->num),
                                KILN_STRV(((kiln_str){g->file, nlen})),
                                KILN_TEXT(g->sum), KILN_TIME(now));
        if (n != 1)
            rc = fail(err, errlen, KILN_EDB,
                      "%s: recording it in "
                      "kiln_migrations: %s",
                      g->path, db->err);
    }
    if (rc != 0)
        goto rollback;
    if (tx && kiln_db_commit(db) != 0) {
        rc = fail(err, errlen, db->last_rc, "%s: COMMIT: %s", g->path, db->err);
        goto out;
    }
    g->applied = !undo;
    goto out;
rollback:
    if (tx) {
        char keep_err[sizeof db->err];
        memcpy(keep_err, db->err, sizeof keep_err);
        kiln_db_rollback(db);
        memcpy(db->err, keep_err, sizeof keep_err);
    }
out:
    if (fk_off)
        db->ops->script(db, "PRAGMA foreign_keys = ON", &off);
    kiln_buf_deinit(&keep);
    return rc;
}

/* Takes the lock and makes sure kiln_migrations exists. */
static int prepare(kiln_dbc *db, bool lock, char *err, size_t errlen)
{
    const char *ddl =
        pg(db) ? "CREATE TABLE IF NOT EXISTS kiln_migrations (id bigint "
                 "PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, "
                 "applied_at timestamptz NOT NULL)"
               : "CREATE TABLE IF NOT EXISTS kiln_migrations (id INTEGER "
                 "PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, "
                 "applied_at TEXT NOT NULL)";
    size_t off;
    /* one migrator at a time: PostgreSQL's advisory lock, held by this
       session until it closes; SQLite serialises the transactions */
    if (pg(db) && lock &&
        db->ops->script(db, "SELECT pg_advisory_lock(" DB_MIGRATE_LOCK ")",
                        &off) != 0)
        return fail(err, errlen, db->last_rc, "taking the migration lock: %s",
                    db->err);
    if (db->ops->script(db, ddl, &off) != 0)
        return fail(err, errlen, db->last_rc, "creating kiln_migrations: %s",
                    db->err);
    return 0;
}

static void unlock(kiln_dbc *db, bool lock)
{
    size_t off;
    if (pg(db) && lock)
        db->ops->script(db, "SELECT pg_advisory_unlock(" DB_MIGRATE_LOCK ")",
                        &off);
}

static int check_conn(kiln_dbc *db, const char *dir, char *err, size_t errlen)
{
    if (!db || !dir)
        return fail(err, errlen, KILN_EINVAL, "no database or folder");
    if (db->ctx || db->arena != &db->own)
        return fail(err, errlen, KILN_ESTATE,
                    "migrations run on a kiln_dbc_open connection");
    return 0;
}

int kiln_db_migrate(kiln_dbc *db, const char *dir, kiln_migrate_mode mode,
                    FILE *out, char *err, size_t errlen)
{
    int rc = check_conn(db, dir, err, errlen);
    if (rc)
        return rc;
    db_migs m = {0};
    rc = db_migs_scan(dir, &m, err, errlen);
    if (rc != 0) {
        db_migs_free(&m);
        return rc;
    }
    bool lock = mode == KILN_MIGRATE_APPLY;
    model_set st;
    model_set_init(&st);
    kiln_buf errs, sql;
    kiln_buf_init(&errs);
    kiln_buf_init(&sql);
    ddl_backend be = pg(db) ? DDL_POSTGRES : DDL_SQLITE;
    rc = prepare(db, lock, err, errlen);
    /* Kiln's own tables first: the app's migrations may refer to them */
    if (rc == 0) {
        int k = db_builtin_run(db, mode, out, err, errlen);
        rc = k < 0 ? k : 0;
    }
    if (rc == 0)
        rc = load_applied(db, dir, &m, err, errlen);
    int count = 0;
    for (size_t i = 0; rc == 0 && i < m.n; i++) {
        db_mig *g = &m.v[i];
        if (g->applied || mode != KILN_MIGRATE_APPLY) {
            /* the schema so far, for the generated ones after it */
            if (g->toml && replay_toml(g, &st, &errs) != 0) {
                rc = fail_lines(err, errlen, KILN_EINVAL, &errs);
                break;
            }
            if (g->applied) {
                if (mode != KILN_MIGRATE_APPLY && out)
                    fprintf(out, "  applied  %s  (%s)\n", g->file,
                            g->applied_at);
            } else {
                if (out)
                    fprintf(out, "  pending  %s\n", g->file);
                count++;
            }
            continue;
        }
        mig_rebuilds rb = {0};
        kiln_buf_clear(&sql);
        if (g->toml) {
            mig_file f;
            rc = parse_toml(g, &st, &f, &errs);
            if (rc == 0)
                rc = mig_sql(&st, &f, be, false, false, &sql, &rb, &errs);
            mig_file_free(&f);
            if (rc != 0) {
                mig_rebuilds_free(&rb);
                rc = fail_lines(err, errlen, rc, &errs);
                break;
            }
        } else {
            kiln_buf_append(&sql, g->text, g->down);
        }
        rc = run_step(db, g, sql.p ? sql.p : "", 0, false, &rb, err, errlen);
        mig_rebuilds_free(&rb);
        if (rc != 0)
            break;
        if (out)
            fprintf(out, "  applied  %s\n", g->file);
        count++;
        kiln_dbc_reset(db);
    }
    unlock(db, lock);
    kiln_buf_deinit(&errs);
    kiln_buf_deinit(&sql);
    model_set_free(&st);
    db_migs_free(&m);
    return rc ? rc : count;
}

/* One migration to undo, planned before anything is changed. */
typedef struct undo_step {
    db_mig *g;
    char *sql; /* malloc'd */
    size_t base;
    mig_rebuilds rb;
} undo_step;

int kiln_db_migrate_to(kiln_dbc *db, const char *dir, long long target,
                       bool accept_loss, FILE *out, char *err, size_t errlen)
{
    int rc = check_conn(db, dir, err, errlen);
    if (rc)
        return rc;
    db_migs m = {0};
    rc = db_migs_scan(dir, &m, err, errlen);
    if (rc != 0) {
        db_migs_free(&m);
        return rc;
    }
    bool known = target == 0;
    for (size_t i = 0; i < m.n; i++)
        known |= m.v[i].num == target;
    if (target < 0 || !known) {
        db_migs_free(&m);
        return fail(err, errlen, KILN_EINVAL,
                    "%s has no migration numbered %lld (0 undoes them all)",
                    dir, target);
    }
    undo_step *steps = calloc(m.n + 1, sizeof *steps);
    size_t n = 0;
    kiln_buf errs;
    kiln_buf_init(&errs);
    ddl_backend be = pg(db) ? DDL_POSTGRES : DDL_SQLITE;
    rc = steps ? prepare(db, true, err, errlen)
               : fail(err, errlen, KILN_ENOMEM, "out of memory");
    if (rc == 0)
        rc = load_applied(db, dir, &m, err, errlen);
    /* plan every step first: nothing changes unless all can be undone;
       every step that cannot is named */
    long long hard = -1; /* the newest that not even --accept-loss undoes */
    bool failed = false;
    for (size_t i = m.n; rc == 0 && i-- > 0;) {
        db_mig *g = &m.v[i];
        if (!g->applied || g->num <= target)
            continue;
        undo_step *s = &steps[n++];
        s->g = g;
        kiln_buf sql;
        kiln_buf_init(&sql);
        int r = g->toml ? toml_sql(&m, i, be, true, accept_loss, &sql, &s->rb,
                                   &errs)
                        : db_mig_sql(&m, i, be, true, accept_loss, &sql, &errs);
        s->base = g->toml ? 0 : (size_t)(down_sql(g) - g->text);
        s->sql = kiln_buf_detach(&sql);
        if (r == 0 && !s->sql && !(s->sql = strdup("")))
            r = KILN_ENOMEM;
        kiln_buf_deinit(&sql);
        if (r == KILN_ENOMEM || r == KILN_EIO)
            rc = fail(err, errlen, r, "out of memory");
        else if (r != 0) {
            failed = true;
            if (hard < 0) { /* would --accept-loss do? */
                kiln_buf tmp, e2;
                kiln_buf_init(&tmp);
                kiln_buf_init(&e2);
                int r2 = g->toml
                             ? toml_sql(&m, i, be, true, true, &tmp, NULL, &e2)
                             : r;
                if (r2 != 0)
                    hard = g->num;
                kiln_buf_deinit(&tmp);
                kiln_buf_deinit(&e2);
            }
        }
    }
    if (rc == 0 && failed) {
        size_t k = errs.n;
        while (k && errs.p[k - 1] == '\n')
            k--;
        char hint[160];
        if (hard >= 0)
            snprintf(hint, sizeof hint,
                     "; kiln migrate --to %lld undoes what comes after it",
                     hard);
        else
            snprintf(hint, sizeof hint, "; --accept-loss undoes it anyway");
        rc = fail(err, errlen, KILN_ESTATE,
                  "cannot go back to %lld, nothing was changed%s:\n%.*s",
                  target, hint, (int)k, errs.p ? errs.p : "");
    }
    int count = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = run_step(db, steps[i].g, steps[i].sql, steps[i].base, true,
                      &steps[i].rb, err, errlen);
        if (rc == 0) {
            if (out)
                fprintf(out, "  undone   %s\n", steps[i].g->file);
            count++;
        }
        kiln_dbc_reset(db);
    }
    unlock(db, true);
    for (size_t i = 0; i < n; i++) {
        free(steps[i].sql);
        mig_rebuilds_free(&steps[i].rb);
    }
    free(steps);
    kiln_buf_deinit(&errs);
    db_migs_free(&m);
    return rc ? rc : count;
}
