/*
 * db/builtin.c - Kiln's own tables in the app's database, versioned apart
 * from the app's migrations (kiln/db.h: kiln_db_migrate_kiln).
 *
 * Each part of Kiln that keeps rows (db_builtin: the task queue, sessions) has
 * numbered steps compiled in; the table kiln_schema has one row per part
 * with the version it is at. kiln migrate runs the missing steps first,
 * each in its own transaction together with its kiln_schema row, so the
 * app's migrations may refer to Kiln's tables (a foreign key to
 * kiln_tasks) and a new Kiln that adds a step upgrades the database the
 * next time the app's migrations are applied. The app's migrations never
 * touch kiln_schema, and Kiln's steps never touch kiln_migrations.
 */
#include "db/migrate.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const db_builtin *const parts[] = {&tasks_schema, &auth_schema,
                                          &session_schema, &audit_schema};
#define NPARTS (sizeof parts / sizeof parts[0])

static bool pg(kiln_dbc *db)
{
    return db->ops == &db_pg_ops;
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

int db_builtin_version(kiln_dbc *db, const char *part, int *version)
{
    *version = 0;
    int64_t n = 0;
    int rc = kiln_db_scalar_int(
        db, &n,
        pg(db) ? "SELECT count(*) FROM pg_catalog.pg_tables WHERE tablename "
                 "= 'kiln_schema' AND schemaname = ANY (current_schemas(false))"
               : "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                 "name = 'kiln_schema'");
    if (rc != 0 || n == 0)
        return rc;
    int64_t v = 0;
    rc = kiln_db_scalar_int(db, &v,
                            "SELECT version FROM kiln_schema WHERE part = $1",
                            KILN_TEXT(part));
    if (rc == KILN_ENOTFOUND)
        return 0;
    if (rc == 0)
        *version = (int)v;
    return rc;
}

/* Runs step s of part p in its transaction, with its kiln_schema row. */
static int run_step(kiln_dbc *db, const db_builtin *p, const db_builtin_step *s,
                    bool *done, char *err, size_t errlen)
{
    *done = false;
    if (kiln_db_begin(db) != 0)
        return fail(err, errlen, db->last_rc, "kiln: %s %d: BEGIN: %s", p->part,
                    s->version, db->err);
    /* another run may have got there first (we hold the lock now) */
    int v;
    int rc = db_builtin_version(db, p->part, &v);
    if (rc != 0)
        rc = fail(err, errlen, rc, "kiln: reading kiln_schema: %s", db->err);
    if (rc == 0 && v >= s->version) {
        kiln_db_rollback(db);
        return 0;
    }
    size_t off;
    if (rc == 0 &&
        db->ops->script(db, pg(db) ? s->postgres : s->sqlite, &off) != 0)
        rc =
            fail(err, errlen, db->last_rc ? db->last_rc : KILN_EDB,
                 "kiln: %s %d (%s): %s", p->part, s->version, s->what, db->err);
    if (rc == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t now = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
        if (kiln_db_exec(db,
                         "INSERT INTO kiln_schema (part, version, applied_at) "
                         "VALUES ($1, $2, $3) ON CONFLICT (part) DO UPDATE SET "
                         "version = excluded.version, applied_at = "
                         "excluded.applied_at",
                         KILN_TEXT(p->part), KILN_INT(s->version),
                         KILN_TIME(now)) != 1)
            rc = fail(err, errlen, KILN_EDB,
                      "kiln: recording %s %d in kiln_schema: %s", p->part,
                      s->version, db->err);
    }
    if (rc != 0) {
        char keep[sizeof db->err];
        memcpy(keep, db->err, sizeof keep);
        kiln_db_rollback(db);
        memcpy(db->err, keep, sizeof keep);
        return rc;
    }
    if (kiln_db_commit(db) != 0)
        return fail(err, errlen, db->last_rc, "kiln: %s %d: COMMIT: %s",
                    p->part, s->version, db->err);
    *done = true;
    return 0;
}

int db_builtin_run(kiln_dbc *db, kiln_migrate_mode mode, FILE *out, char *err,
                   size_t errlen)
{
    size_t off;
    const char *ddl =
        pg(db) ? "CREATE TABLE IF NOT EXISTS kiln_schema (part text PRIMARY "
                 "KEY, version integer NOT NULL, applied_at timestamptz NOT "
                 "NULL)"
               : "CREATE TABLE IF NOT EXISTS kiln_schema (part TEXT PRIMARY "
                 "KEY, version INTEGER NOT NULL, applied_at TEXT NOT NULL)";
    if (db->ops->script(db, ddl, &off) != 0)
        return fail(err, errlen, db->last_rc, "creating kiln_schema: %s",
                    db->err);
    int count = 0;
    for (size_t i = 0; i < NPARTS; i++) {
        const db_builtin *p = parts[i];
        int v;
        int rc = db_builtin_version(db, p->part, &v);
        if (rc != 0)
            return fail(err, errlen, rc, "reading kiln_schema: %s", db->err);
        if (v > (int)p->n)
            return fail(err, errlen, KILN_ESTATE,
                        "kiln_schema says Kiln's %s tables are at version %d, "
                        "newer than this Kiln knows (%d): run the newer Kiln",
                        p->part, v, (int)p->n);
        for (size_t k = 0; k < p->n; k++) {
            const db_builtin_step *s = &p->steps[k];
            if (s->version <= v) {
                if (mode == KILN_MIGRATE_STATUS && out)
                    fprintf(out, "  applied  kiln: %s %d (%s)\n", p->part,
                            s->version, s->what);
                continue;
            }
            if (mode != KILN_MIGRATE_APPLY) {
                if (out)
                    fprintf(out, "  pending  kiln: %s %d (%s)\n", p->part,
                            s->version, s->what);
                count++;
                continue;
            }
            bool done;
            rc = run_step(db, p, s, &done, err, errlen);
            kiln_dbc_reset(db);
            if (rc != 0)
                return rc;
            if (done) {
                if (out)
                    fprintf(out, "  applied  kiln: %s %d (%s)\n", p->part,
                            s->version, s->what);
                count++;
            }
        }
    }
    return count;
}

int kiln_db_migrate_kiln(kiln_dbc *db, kiln_migrate_mode mode, FILE *out,
                         char *err, size_t errlen)
{
    if (!db)
        return fail(err, errlen, KILN_EINVAL, "no database");
    if (db->ctx || db->arena != &db->own)
        return fail(err, errlen, KILN_ESTATE,
                    "migrations run on a kiln_dbc_open connection");
    size_t off;
    bool lock = pg(db) && mode == KILN_MIGRATE_APPLY;
    if (lock &&
        db->ops->script(db, "SELECT pg_advisory_lock(" DB_MIGRATE_LOCK ")",
                        &off) != 0)
        return fail(err, errlen, db->last_rc, "taking the migration lock: %s",
                    db->err);
    int rc = db_builtin_run(db, mode, out, err, errlen);
    if (lock)
        db->ops->script(db, "SELECT pg_advisory_unlock(" DB_MIGRATE_LOCK ")",
                        &off);
    return rc;
}
