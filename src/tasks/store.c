/*
 * tasks/store.c - every statement on Kiln's task tables (tasks/schema.c),
 * for both backends, and kiln_task_enqueue.
 *
 * PostgreSQL decides time with its own clock (now()), so instances on
 * machines whose clocks drift still agree on leases and run_at; ready
 * tasks are claimed with FOR UPDATE SKIP LOCKED, so concurrent workers
 * never wait for each other nor take the same row. SQLite instances share
 * one file on one machine and use its clock; a claim is one UPDATE ...
 * RETURNING inside BEGIN IMMEDIATE, which takes the write lock before
 * reading, so two processes cannot both read a row as queued.
 *
 * Lists of ids and names travel as one text parameter: "1,2,3" split by
 * string_to_array on PostgreSQL, a JSON array read by json_each on SQLite.
 * Names and queues are checked (tasks_name_ok: no ',' or '"'), so they
 * need no escaping in either form.
 */
#include "tasks/tasks_impl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool is_pg(const kiln_dbc *db)
{
    return db->ops == &db_pg_ops;
}

/* A statement failed: a missing table means Kiln's migration was not run,
   and the message says so. Returns rc. */
static int failed(kiln_dbc *db, int rc)
{
    if (rc >= 0)
        rc = db->last_rc < 0 ? db->last_rc : KILN_EDB;
    if (strstr(db->err, "kiln_task") && (strstr(db->err, "no such table") ||
                                         strstr(db->err, "does not exist"))) {
        char was[sizeof db->err];
        memcpy(was, db->err, sizeof was);
        db_set_err(db, rc,
                   "Kiln's task tables are missing: run kiln migrate (%.300s)",
                   was);
    }
    return rc;
}

/* ---- enqueueing ---------------------------------------------------------- */

static const char enqueue_sqlite[] =
    "INSERT INTO kiln_tasks (name, queue, payload, priority, run_at, "
    "max_attempts, timeout_ms, idempotency_key, created_at) VALUES ($1, $2, "
    "$3, $4, $5, $6, $7, $8, $9) ON CONFLICT (name, idempotency_key) DO "
    "NOTHING RETURNING id";

/* the NOTIFY goes with a task that is ready now; it is delivered when the
   transaction commits, and never if it rolls back */
static const char enqueue_pg[] =
    "WITH t AS (INSERT INTO kiln_tasks (name, queue, payload, priority, "
    "run_at, max_attempts, timeout_ms, idempotency_key) VALUES ($1, $2, $3, "
    "$4, COALESCE($5::timestamptz, now() + $6::float8 * interval '1 "
    "millisecond'), $7::integer, $8::bigint, $9) ON CONFLICT (name, "
    "idempotency_key) DO NOTHING RETURNING id, run_at <= now() AS ready) "
    "SELECT t.id FROM t LEFT JOIN LATERAL (SELECT pg_notify('" TASKS_CHANNEL
    "', $2) WHERE t.ready) n ON true";

int kiln_task_enqueue(kiln_dbc *db, const char *name, const char *payload,
                      const kiln_task_opts *o, int64_t *id)
{
    kiln_task_opts none = {0};
    if (!o)
        o = &none;
    if (id)
        *id = 0;
    if (!db)
        return KILN_EINVAL;
    if (!tasks_name_ok(name))
        return db_set_err(db, KILN_EINVAL,
                          "'%.100s' is not a task name (1 to 100 letters, "
                          "digits, '_', '-', '.', '/')",
                          name ? name : "(null)");
    if (o->queue && !tasks_name_ok(o->queue))
        return db_set_err(db, KILN_EINVAL, "'%.100s' is not a queue name",
                          o->queue);
    if (o->delay_ms < 0 || o->run_at < 0 || o->max_attempts < 0 ||
        o->timeout_ms < -1)
        return db_set_err(db, KILN_EINVAL,
                          "task %s: a negative delay, time, attempts or "
                          "timeout",
                          name);
    if (o->key && (!*o->key || strlen(o->key) > 500))
        return db_set_err(db, KILN_EINVAL,
                          "task %s: an idempotency key is 1 to 500 bytes",
                          name);
    if (!payload)
        payload = "{}";
    kiln_arena a;
    kiln_arena_init(&a, 0);
    kiln_json *j;
    kiln_json_error je;
    int rc = kiln_json_parse(&a, payload, strlen(payload), 0, &j, &je);
    kiln_arena_deinit(&a);
    if (rc != 0)
        return db_set_err(db, KILN_EINVAL,
                          "task %s: the payload is not JSON (line %d, column "
                          "%d: %s)",
                          name, je.line, je.col, je.msg);
    /* the task's defaults, when this process defines it */
    const tasks_app *ta = db->ctx ? db->ctx->w->app->tasks : NULL;
    const task_type *t = ta ? tasks_find(ta, name) : NULL;
    if (ta && ta->ntypes && !t)
        return db_set_err(db, KILN_ENOTFOUND, "no task is called '%s'", name);
    const char *queue = o->queue            ? o->queue
                        : t && t->def.queue ? t->def.queue
                                            : "default";
    int priority = o->priority ? o->priority : t ? t->def.priority : 0;
    int attempts = o->max_attempts ? o->max_attempts
                   : t             ? t->def.max_attempts
                                   : 0;
    int64_t timeout = o->timeout_ms ? o->timeout_ms : t ? t->def.timeout_ms : 0;
    kiln_db_param att = attempts ? KILN_INT(attempts) : KILN_NULL;
    kiln_db_param tmo = timeout ? KILN_INT(timeout) : KILN_NULL;
    for (int tries = 0; tries < 3; tries++) {
        kiln_rows *r;
        if (is_pg(db)) {
            r = kiln_db_query(db, enqueue_pg, KILN_TEXT(name), KILN_TEXT(queue),
                              KILN_TEXT(payload), KILN_INT(priority),
                              o->run_at ? KILN_TIME(o->run_at) : KILN_NULL,
                              KILN_INT(o->delay_ms), att, tmo,
                              KILN_TEXT(o->key));
        } else {
            int64_t now = tasks_now_us();
            int64_t at = o->run_at ? o->run_at : now + o->delay_ms * 1000;
            r = kiln_db_query(db, enqueue_sqlite, KILN_TEXT(name),
                              KILN_TEXT(queue), KILN_TEXT(payload),
                              KILN_INT(priority), KILN_TIME(at), att, tmo,
                              KILN_TEXT(o->key), KILN_TIME(now));
        }
        if (!r)
            return failed(db, KILN_EDB);
        if (kiln_rows_next(r)) {
            if (id)
                *id = kiln_row_int(r, 0);
            kiln_rows_close(r);
            return 0;
        }
        if ((rc = kiln_rows_error(r)) < 0)
            return failed(db, rc);
        kiln_rows_close(r);
        if (!o->key) /* no conflict is possible without a key */
            return db_set_err(db, KILN_EDB, "task %s: nothing was inserted",
                              name);
        /* the key is taken: that task is the answer */
        int64_t got = 0;
        rc = kiln_db_scalar_int(db, &got,
                                "SELECT id FROM kiln_tasks WHERE name = $1 "
                                "AND idempotency_key = $2",
                                KILN_TEXT(name), KILN_TEXT(o->key));
        if (rc == 0) {
            if (id)
                *id = got;
            return 1;
        }
        if (rc != KILN_ENOTFOUND)
            return failed(db, rc);
        /* deleted in between: insert again */
    }
    return db_set_err(db, KILN_EDB,
                      "task %s: its idempotency key kept changing hands", name);
}

int kiln_task_enqueuef(kiln_dbc *db, const char *name, const kiln_task_opts *o,
                       int64_t *id, const char *fmt, ...)
{
    kiln_buf b;
    kiln_buf_init(&b);
    va_list ap;
    va_start(ap, fmt);
    int rc = fmt ? kiln_json_vformat(&b, fmt, ap) : KILN_EINVAL;
    va_end(ap);
    if (rc != 0) {
        kiln_buf_deinit(&b);
        if (db)
            db_set_err(db, rc, "task %s: the payload's format is bad",
                       name ? name : "?");
        return rc;
    }
    rc = kiln_task_enqueue(db, name, b.p ? b.p : "{}", o, id);
    kiln_buf_deinit(&b);
    return rc;
}

/* ---- claiming ------------------------------------------------------------ */

/* SQLite: "+name" keeps the planner off the (name, idempotency_key) index,
   which would sort every queued row of the name; the partial index
   kiln_tasks_ready gives them in claim order. PostgreSQL: the ids are
   gathered into an array first (an InitPlan), so that the generic plan of
   the prepared statement updates them through the primary key rather
   than joining them with a scan of the whole table. */

#define CLAIM_SET                                                              \
    "UPDATE kiln_tasks SET state = 'running', owner = $1, attempts = "         \
    "attempts + 1, "
#define CLAIM_RETURN                                                           \
    " RETURNING id, name, payload, attempts, max_attempts, timeout_ms, "       \
    "last_error"

static const char claim_pg[] =
    CLAIM_SET "started_at = now(), lease_until = now() + $2::float8 * "
              "interval '1 millisecond' WHERE id = ANY (ARRAY(SELECT id FROM "
              "kiln_tasks WHERE state = 'queued' AND run_at <= now() AND name "
              "= ANY (string_to_array($3, ',')) ORDER BY priority DESC, "
              "run_at, id LIMIT $4 FOR UPDATE SKIP LOCKED))" CLAIM_RETURN;
static const char claim_pg_queues[] =
    CLAIM_SET "started_at = now(), lease_until = now() + $2::float8 * "
              "interval '1 millisecond' WHERE id = ANY (ARRAY(SELECT id FROM "
              "kiln_tasks WHERE state = 'queued' AND run_at <= now() AND name "
              "= ANY (string_to_array($3, ',')) AND queue = ANY "
              "(string_to_array($5, ',')) ORDER BY priority DESC, run_at, id "
              "LIMIT $4 FOR UPDATE SKIP LOCKED))" CLAIM_RETURN;
static const char claim_sqlite[] =
    CLAIM_SET "started_at = $2, lease_until = $3 WHERE id IN (SELECT id FROM "
              "kiln_tasks WHERE state = 'queued' AND run_at <= $2 AND +name "
              "IN (SELECT value FROM json_each($4)) ORDER BY priority DESC, "
              "run_at, id LIMIT $5)" CLAIM_RETURN;
static const char claim_sqlite_queues[] =
    CLAIM_SET "started_at = $2, lease_until = $3 WHERE id IN (SELECT id FROM "
              "kiln_tasks WHERE state = 'queued' AND run_at <= $2 AND +name "
              "IN (SELECT value FROM json_each($4)) AND +queue IN (SELECT "
              "value FROM json_each($6)) ORDER BY priority DESC, run_at, id "
              "LIMIT $5)" CLAIM_RETURN;

static const char done_pg[] =
    "UPDATE kiln_tasks SET state = 'done', finished_at = now(), owner = NULL, "
    "lease_until = NULL WHERE owner = $1 AND state = 'running' AND id = ANY "
    "(string_to_array($2, ',')::bigint[])";
static const char done_delete_pg[] =
    "DELETE FROM kiln_tasks WHERE owner = $1 AND state = 'running' AND id = "
    "ANY (string_to_array($2, ',')::bigint[])";
static const char done_sqlite[] =
    "UPDATE kiln_tasks SET state = 'done', finished_at = $3, owner = NULL, "
    "lease_until = NULL WHERE owner = $1 AND state = 'running' AND id IN "
    "(SELECT value FROM json_each($2))";
static const char done_delete_sqlite[] =
    "DELETE FROM kiln_tasks WHERE owner = $1 AND state = 'running' AND id IN "
    "(SELECT value FROM json_each($2))";

/* ids as "1,2,3" (PostgreSQL) or "[1,2,3]" (SQLite), into b. */
static int id_list(kiln_buf *b, const int64_t *ids, size_t n, bool pg)
{
    int rc = pg ? 0 : kiln_buf_putc(b, '[');
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (i)
            rc = kiln_buf_putc(b, ',');
        if (rc == 0)
            rc = kiln_buf_put_i64(b, ids[i]);
    }
    if (rc == 0 && !pg)
        rc = kiln_buf_putc(b, ']');
    return rc;
}

/* Reads the claimed rows of r into an array in db's arena. */
static int read_rows(kiln_dbc *db, kiln_rows *r, int limit, store_row **rows,
                     size_t *n)
{
    *rows = kiln_arena_alloc(db->arena,
                             (size_t)(limit ? limit : 1) * sizeof **rows);
    *n = 0;
    if (!*rows)
        return db_set_err(db, KILN_ENOMEM, "out of memory");
    while (kiln_rows_next(r)) {
        if (*n == (size_t)limit)
            continue; /* cannot happen: LIMIT */
        store_row *w = &(*rows)[(*n)++];
        w->id = kiln_row_int(r, 0);
        w->name = kiln_row_text(r, 1).p;
        w->payload = kiln_row_text(r, 2).p;
        w->attempts = (int)kiln_row_int(r, 3);
        w->max_attempts = (int)kiln_row_int(r, 4);
        w->timeout_ms = kiln_row_int(r, 5);
        w->last_error = kiln_row_text(r, 6).p;
        if (!w->name || !w->payload)
            return db_set_err(db, KILN_ENOMEM, "out of memory");
    }
    return kiln_rows_error(r);
}

static int claim_pg_run(kiln_dbc *db, const tasks_app *ta,
                        const store_claim_args *a, const char *ids,
                        store_row **rows, size_t *n)
{
    kiln_db_batch *b = kiln_db_batch_new(db);
    if (!b)
        return db_set_err(db, KILN_ENOMEM, "out of memory");
    int rc = 0;
    if (a->ndone)
        rc = kiln_db_batch_add(b, a->delete_done ? done_delete_pg : done_pg,
                               KILN_TEXT(a->owner), KILN_TEXT(ids));
    if (rc == 0 && a->limit > 0) {
        if (ta->queues_list[0])
            rc = kiln_db_batch_add(
                b, claim_pg_queues, KILN_TEXT(a->owner), KILN_INT(a->lease_ms),
                KILN_TEXT(ta->names_list), KILN_INT(a->limit),
                KILN_TEXT(ta->queues_list));
        else
            rc = kiln_db_batch_add(
                b, claim_pg, KILN_TEXT(a->owner), KILN_INT(a->lease_ms),
                KILN_TEXT(ta->names_list), KILN_INT(a->limit));
    }
    if (rc == 0)
        rc = kiln_db_batch_run(b);
    if (rc != 0)
        return failed(db, rc);
    if (a->limit > 0)
        return read_rows(db, kiln_db_batch_rows(b, a->ndone ? 1 : 0), a->limit,
                         rows, n);
    return 0;
}

static int claim_sqlite_run(kiln_dbc *db, const tasks_app *ta,
                            const store_claim_args *a, const char *ids,
                            store_row **rows, size_t *n)
{
    int rc = kiln_db_begin(db);
    if (rc != 0)
        return failed(db, rc);
    int64_t now = tasks_now_us();
    if (a->ndone) {
        int64_t k = a->delete_done
                        ? kiln_db_exec(db, done_delete_sqlite,
                                       KILN_TEXT(a->owner), KILN_TEXT(ids))
                        : kiln_db_exec(db, done_sqlite, KILN_TEXT(a->owner),
                                       KILN_TEXT(ids), KILN_TIME(now));
        rc = k < 0 ? (int)k : 0;
    }
    if (rc == 0 && a->limit > 0) {
        int64_t until = now + a->lease_ms * 1000;
        kiln_rows *r =
            ta->queues_list[0]
                ? kiln_db_query(db, claim_sqlite_queues, KILN_TEXT(a->owner),
                                KILN_TIME(now), KILN_TIME(until),
                                KILN_TEXT(ta->names_list), KILN_INT(a->limit),
                                KILN_TEXT(ta->queues_list))
                : kiln_db_query(db, claim_sqlite, KILN_TEXT(a->owner),
                                KILN_TIME(now), KILN_TIME(until),
                                KILN_TEXT(ta->names_list), KILN_INT(a->limit));
        rc = r ? read_rows(db, r, a->limit, rows, n) : KILN_EDB;
        kiln_rows_close(r);
    }
    if (rc != 0) {
        rc = failed(db, rc);
        char keep[sizeof db->err];
        memcpy(keep, db->err, sizeof keep);
        kiln_db_rollback(db);
        memcpy(db->err, keep, sizeof keep);
        *n = 0;
        return rc;
    }
    rc = kiln_db_commit(db);
    if (rc != 0)
        *n = 0;
    return rc;
}

int store_claim(kiln_dbc *db, const tasks_app *ta, const store_claim_args *a,
                store_row **rows, size_t *n)
{
    *rows = NULL;
    *n = 0;
    if (a->ndone == 0 && a->limit <= 0)
        return 0;
    kiln_buf ids;
    kiln_buf_init(&ids);
    if (a->ndone && id_list(&ids, a->done, a->ndone, is_pg(db)) != 0) {
        kiln_buf_deinit(&ids);
        return db_set_err(db, KILN_ENOMEM, "out of memory");
    }
    const char *list = ids.p ? ids.p : "";
    int rc = is_pg(db) ? claim_pg_run(db, ta, a, list, rows, n)
                       : claim_sqlite_run(db, ta, a, list, rows, n);
    kiln_buf_deinit(&ids);
    return rc;
}

/* ---- outcomes ------------------------------------------------------------ */

int store_fail(kiln_dbc *db, const char *owner, int64_t id, const char *error,
               int64_t retry_ms, int max_attempts)
{
    int64_t k;
    /* max_attempts: what the worker went by, for kiln tasks to show */
    if (is_pg(db))
        k = retry_ms >= 0
                ? kiln_db_exec(db,
                               "UPDATE kiln_tasks SET state = 'queued', run_at "
                               "= now() + $3::float8 * interval '1 "
                               "millisecond', owner = NULL, lease_until = "
                               "NULL, last_error = $4, max_attempts = "
                               "COALESCE(max_attempts, $5::integer) WHERE id "
                               "= $1 AND owner = $2 AND state = 'running'",
                               KILN_INT(id), KILN_TEXT(owner),
                               KILN_INT(retry_ms), KILN_TEXT(error),
                               KILN_INT(max_attempts))
                : kiln_db_exec(db,
                               "UPDATE kiln_tasks SET state = 'failed', "
                               "finished_at = now(), owner = NULL, "
                               "lease_until = NULL, last_error = $3, "
                               "max_attempts = COALESCE(max_attempts, "
                               "$4::integer) WHERE id = $1 AND owner = $2 AND "
                               "state = 'running'",
                               KILN_INT(id), KILN_TEXT(owner), KILN_TEXT(error),
                               KILN_INT(max_attempts));
    else {
        int64_t now = tasks_now_us();
        k = retry_ms >= 0
                ? kiln_db_exec(db,
                               "UPDATE kiln_tasks SET state = 'queued', run_at "
                               "= $3, owner = NULL, lease_until = NULL, "
                               "last_error = $4, max_attempts = "
                               "COALESCE(max_attempts, $5) WHERE id = $1 AND "
                               "owner = $2 AND state = 'running'",
                               KILN_INT(id), KILN_TEXT(owner),
                               KILN_TIME(now + retry_ms * 1000),
                               KILN_TEXT(error), KILN_INT(max_attempts))
                : kiln_db_exec(db,
                               "UPDATE kiln_tasks SET state = 'failed', "
                               "finished_at = $3, owner = NULL, lease_until = "
                               "NULL, last_error = $4, max_attempts = "
                               "COALESCE(max_attempts, $5) WHERE id = $1 AND "
                               "owner = $2 AND state = 'running'",
                               KILN_INT(id), KILN_TEXT(owner), KILN_TIME(now),
                               KILN_TEXT(error), KILN_INT(max_attempts));
    }
    return k < 0 ? failed(db, (int)k) : 0;
}

int store_release(kiln_dbc *db, const char *owner, const int64_t *ids, size_t n)
{
    if (n == 0)
        return 0;
    kiln_buf b;
    kiln_buf_init(&b);
    if (id_list(&b, ids, n, is_pg(db)) != 0) {
        kiln_buf_deinit(&b);
        return db_set_err(db, KILN_ENOMEM, "out of memory");
    }
    int64_t k = kiln_db_exec(
        db,
        is_pg(db) ? "UPDATE kiln_tasks SET state = 'queued', owner = NULL, "
                    "lease_until = NULL, attempts = attempts - 1 WHERE owner "
                    "= $1 AND state = 'running' AND id = ANY "
                    "(string_to_array($2, ',')::bigint[])"
                  : "UPDATE kiln_tasks SET state = 'queued', owner = NULL, "
                    "lease_until = NULL, attempts = attempts - 1 WHERE owner "
                    "= $1 AND state = 'running' AND id IN (SELECT value FROM "
                    "json_each($2))",
        KILN_TEXT(owner), KILN_TEXT(b.p));
    kiln_buf_deinit(&b);
    return k < 0 ? failed(db, (int)k) : 0;
}

int64_t store_renew(kiln_dbc *db, const char *owner, int64_t lease_ms)
{
    int64_t k =
        is_pg(db)
            ? kiln_db_exec(db,
                           "UPDATE kiln_tasks SET lease_until = now() + "
                           "$2::float8 * interval '1 millisecond' WHERE owner "
                           "= $1 AND state = 'running'",
                           KILN_TEXT(owner), KILN_INT(lease_ms))
            : kiln_db_exec(db,
                           "UPDATE kiln_tasks SET lease_until = $2 WHERE owner "
                           "= $1 AND state = 'running'",
                           KILN_TEXT(owner),
                           KILN_TIME(tasks_now_us() + lease_ms * 1000));
    return k < 0 ? failed(db, (int)k) : k;
}

#define REAP_SET                                                               \
    "UPDATE kiln_tasks SET state = 'queued', owner = NULL, lease_until = "     \
    "NULL, last_error = 'attempt ' || attempts || ': its worker ' || owner "   \
    "|| ' stopped renewing the lease (it died, hung or lost the database)' "

int64_t store_reap(kiln_dbc *db)
{
    int64_t k =
        is_pg(db)
            ? kiln_db_exec(db, REAP_SET "WHERE state = 'running' AND "
                                        "lease_until < now()")
            : kiln_db_exec(db,
                           REAP_SET "WHERE state = 'running' AND lease_until "
                                    "< $1",
                           KILN_TIME(tasks_now_us()));
    return k < 0 ? failed(db, (int)k) : k;
}

int64_t store_prune(kiln_dbc *db, int hours)
{
    int64_t k, t;
    if (is_pg(db)) {
        k = kiln_db_exec(db,
                         "DELETE FROM kiln_tasks WHERE id IN (SELECT id FROM "
                         "kiln_tasks WHERE state = 'done' AND finished_at < "
                         "now() - $1::float8 * interval '1 hour' LIMIT 10000)",
                         KILN_INT(hours));
        t = k < 0 ? k
                  : kiln_db_exec(db, "DELETE FROM kiln_task_ticks WHERE tick "
                                     "< now() - interval '1 day'");
    } else {
        int64_t now = tasks_now_us();
        k = kiln_db_exec(db,
                         "DELETE FROM kiln_tasks WHERE id IN (SELECT id FROM "
                         "kiln_tasks WHERE state = 'done' AND finished_at < "
                         "$1 LIMIT 10000)",
                         KILN_TIME(now - (int64_t)hours * 3600 * 1000000));
        t = k < 0 ? k
                  : kiln_db_exec(db,
                                 "DELETE FROM kiln_task_ticks WHERE tick < $1",
                                 KILN_TIME(now - INT64_C(86400) * 1000000));
    }
    if (k < 0 || t < 0)
        return failed(db, (int)(k < 0 ? k : t));
    return k;
}

int store_tick(kiln_dbc *db, const tasks_app *ta, const periodic_entry *e,
               int64_t tick_us, int64_t *id)
{
    (void)ta;
    *id = 0;
    int rc = kiln_db_begin(db);
    if (rc != 0)
        return failed(db, rc);
    int64_t k = kiln_db_exec(db,
                             "INSERT INTO kiln_task_ticks (name, tick) VALUES "
                             "($1, $2) ON CONFLICT DO NOTHING",
                             KILN_TEXT(e->p.name), KILN_TIME(tick_us));
    if (k == 1) {
        kiln_task_opts o = {.queue = e->p.queue, .priority = e->p.priority};
        rc = kiln_task_enqueue(db, e->p.task, e->p.payload, &o, id);
        if (rc == 0 &&
            kiln_db_exec(db,
                         "UPDATE kiln_task_ticks SET task_id = $3 WHERE name "
                         "= $1 AND tick = $2",
                         KILN_TEXT(e->p.name), KILN_TIME(tick_us),
                         KILN_INT(*id)) != 1)
            rc = KILN_EDB;
    } else if (k < 0)
        rc = (int)k;
    if (rc != 0) {
        rc = failed(db, rc);
        char keep[sizeof db->err];
        memcpy(keep, db->err, sizeof keep);
        kiln_db_rollback(db);
        memcpy(db->err, keep, sizeof keep);
        return rc;
    }
    rc = kiln_db_commit(db);
    if (rc != 0)
        return failed(db, rc);
    return k == 1 ? 1 : 0;
}
