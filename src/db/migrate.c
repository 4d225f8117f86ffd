/*
 * db/migrate.c - kiln_db_migrate: migrations/NNNN_name.sql applied in
 * order, each with its kiln_migrations row in one transaction, checked
 * against the SHA-256 recorded when it was applied.
 */
#include "db/db_impl.h"

#include "core/sha256.h"

#include <ctype.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* One migration file. */
typedef struct mig {
    long long num;
    char *file; /* "0001_init.sql" */
    char *sql;  /* contents, NUL-terminated */
    char sum[65];
    bool applied;
    char applied_at[40];
} mig;

typedef struct migs {
    mig *v;
    size_t n, cap;
} migs;

static void migs_free(migs *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->v[i].file);
        free(m->v[i].sql);
    }
    free(m->v);
}

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

/* "NNNN_name.sql": the number, or -1 when the name does not fit. */
static long long parse_name(const char *f)
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
    size_t n = strlen(f);
    if (n < 5 || strcmp(f + n - 4, ".sql") != 0 || n - 4 <= i + 1)
        return -1;
    for (size_t k = i + 1; k < n - 4; k++)
        if (!isalnum((unsigned char)f[k]) && f[k] != '_' && f[k] != '-')
            return -1;
    return num;
}

static int cmp_mig(const void *a, const void *b)
{
    const mig *x = a, *y = b;
    return (x->num > y->num) - (x->num < y->num);
}

/* Lists dir's migrations in order. */
static int scan(const char *dir, migs *m, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d)
        return fail(err, errlen, KILN_ENOTFOUND,
                    "%s: no migrations folder (create it with files named "
                    "0001_name.sql)",
                    dir);
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d))) {
        const char *f = e->d_name;
        if (f[0] == '.')
            continue;
        size_t n = strlen(f);
        bool sql = n > 4 && strcmp(f + n - 4, ".sql") == 0;
        long long num = parse_name(f);
        if (num < 0) {
            if (sql || isdigit((unsigned char)f[0]))
                rc = fail(err, errlen, KILN_EINVAL,
                          "%s/%s: a migration is named NNNN_name.sql (four or "
                          "more digits, then letters, digits, '_' or '-')",
                          dir, f);
            continue; /* README and such */
        }
        if (m->n == m->cap) {
            size_t cap = m->cap ? m->cap * 2 : 16;
            mig *v = realloc(m->v, cap * sizeof *v);
            if (!v) {
                rc = fail(err, errlen, KILN_ENOMEM, "out of memory");
                break;
            }
            m->v = v;
            m->cap = cap;
        }
        mig *g = &m->v[m->n];
        memset(g, 0, sizeof *g);
        g->num = num;
        g->file = strdup(f);
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, f);
        size_t len = 0;
        g->sql = g->file ? kiln_read_file(path, &len) : NULL;
        if (!g->file || !g->sql) {
            free(g->file);
            free(g->sql);
            rc = fail(err, errlen, KILN_EIO, "%s: cannot read", path);
            break;
        }
        sha256_hex(g->sql, len, g->sum);
        m->n++;
    }
    closedir(d);
    if (rc != 0)
        return rc;
    qsort(m->v, m->n, sizeof *m->v, cmp_mig);
    for (size_t i = 1; i < m->n; i++)
        if (m->v[i].num == m->v[i - 1].num)
            return fail(err, errlen, KILN_EINVAL,
                        "%s: %s and %s have the same number", dir,
                        m->v[i - 1].file, m->v[i].file);
    return 0;
}

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
static int load_applied(kiln_dbc *db, const char *dir, migs *m, char *err,
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
        mig *g = NULL;
        for (size_t i = 0; i < m->n; i++)
            if (m->v[i].num == id)
                g = &m->v[i];
        if (!g) {
            rc = fail(err, errlen, KILN_ESTATE,
                      "migration %.*s was applied but %s/%.*s is gone "
                      "(restore it: applied migrations stay)",
                      (int)name.n, name.p ? name.p : "", dir, (int)name.n,
                      name.p ? name.p : "");
            break;
        }
        if (!sum.p || strlen(g->sum) != sum.n ||
            memcmp(g->sum, sum.p, sum.n) != 0) {
            rc = fail(err, errlen, KILN_ESTATE,
                      "%s/%s was edited after it was applied (checksum "
                      "%.12s..., recorded %.12s...); put the change in a new "
                      "migration",
                      dir, g->file, g->sum, sum.p ? sum.p : "");
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

/* Applies one migration with its row, in a transaction unless it asks. */
static int apply(kiln_dbc *db, const char *dir, mig *g, char *err,
                 size_t errlen)
{
    static const char no_tx[] = "-- kiln:no-transaction";
    bool tx = strncmp(g->sql, no_tx, sizeof no_tx - 1) != 0;
    if (tx && kiln_db_begin(db) != 0)
        return fail(err, errlen, db->last_rc, "%s/%s: BEGIN: %s", dir, g->file,
                    db->err);
    /* another run may have applied it meanwhile (we hold the lock now) */
    int64_t seen = 0;
    int rc = kiln_db_scalar_int(db, &seen,
                                "SELECT count(*) FROM kiln_migrations WHERE "
                                "id = $1",
                                KILN_INT(g->num));
    if (rc == 0 && seen > 0) {
        if (tx)
            kiln_db_rollback(db);
        g->applied = true;
        return 0;
    }
    size_t off = (size_t)-1;
    rc = db->ops->script(db, g->sql, &off);
    if (rc != 0) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", db->err);
        if (tx)
            kiln_db_rollback(db);
        if (off != (size_t)-1)
            return fail(err, errlen, rc, "%s/%s:%d: %s", dir, g->file,
                        line_of(g->sql, off), msg);
        return fail(err, errlen, rc, "%s/%s: %s", dir, g->file, msg);
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
    size_t nlen = strlen(g->file) - 4;
    if (kiln_db_exec(db,
                     "INSERT INTO kiln_migrations (id, name, checksum, "
                     "applied_at) VALUES ($1, $2, $3, $4)",
                     KILN_INT(g->num), KILN_STRV(((kiln_str){g->file, nlen})),
                     KILN_TEXT(g->sum), KILN_TIME(now)) != 1) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", db->err);
        if (tx)
            kiln_db_rollback(db);
        return fail(err, errlen, KILN_EDB,
                    "%s/%s: recording it in kiln_migrations: %s", dir, g->file,
                    msg);
    }
    if (tx && kiln_db_commit(db) != 0)
        return fail(err, errlen, db->last_rc, "%s/%s: COMMIT: %s", dir, g->file,
                    db->err);
    g->applied = true;
    return 0;
}

int kiln_db_migrate(kiln_dbc *db, const char *dir, kiln_migrate_mode mode,
                    FILE *out, char *err, size_t errlen)
{
    if (!db || !dir)
        return fail(err, errlen, KILN_EINVAL, "no database or folder");
    if (db->ctx || db->arena != &db->own)
        return fail(err, errlen, KILN_ESTATE,
                    "migrations run on a kiln_dbc_open connection");
    migs m = {0};
    int rc = scan(dir, &m, err, errlen);
    if (rc != 0) {
        migs_free(&m);
        return rc;
    }
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
    if (pg(db) && mode == KILN_MIGRATE_APPLY &&
        db->ops->script(db, "SELECT pg_advisory_lock(4812375101)", &off) != 0) {
        rc = fail(err, errlen, db->last_rc, "taking the migration lock: %s",
                  db->err);
        goto out;
    }
    if (db->ops->script(db, ddl, &off) != 0) {
        rc = fail(err, errlen, db->last_rc, "creating kiln_migrations: %s",
                  db->err);
        goto out;
    }
    rc = load_applied(db, dir, &m, err, errlen);
    if (rc != 0)
        goto out;
    int count = 0;
    for (size_t i = 0; i < m.n; i++) {
        mig *g = &m.v[i];
        if (g->applied) {
            if (mode != KILN_MIGRATE_APPLY && out)
                fprintf(out, "  applied  %s  (%s)\n", g->file, g->applied_at);
            continue;
        }
        if (mode != KILN_MIGRATE_APPLY) {
            if (out)
                fprintf(out, "  pending  %s\n", g->file);
            count++;
            continue;
        }
        rc = apply(db, dir, g, err, errlen);
        if (rc != 0)
            goto out;
        if (out && g->applied)
            fprintf(out, "  applied  %s\n", g->file);
        count++;
        kiln_dbc_reset(db);
    }
    rc = count;
out:
    if (pg(db) && mode == KILN_MIGRATE_APPLY)
        db->ops->script(db, "SELECT pg_advisory_unlock(4812375101)", &off);
    migs_free(&m);
    return rc;
}
