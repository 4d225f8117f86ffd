/*
 * tests/tasks/test_store.c - the task store (src/tasks/store.c) and Kiln's
 * own migrations (src/db/builtin.c) on a SQLite file through a
 * kiln_dbc_open connection: enqueue rules, idempotency keys, the claim's
 * order and filters, outcomes, leases, ticks. (The black-box tests run the
 * same statements on PostgreSQL through real workers.)
 */
#include "test.h"

#include "db/migrate.h"
#include "tasks/tasks_impl.h"

#include <kiln.h>

#include <stdio.h>
#include <unistd.h>

static char dbpath[64];

static kiln_dbc *open_db(bool migrate)
{
    strcpy(dbpath, "/tmp/kiln-store-XXXXXX");
    int fd = mkstemp(dbpath);
    if (fd < 0)
        test_fail(__FILE__, __LINE__, "mkstemp");
    close(fd);
    char url[128], err[256];
    snprintf(url, sizeof url, "sqlite://%s", dbpath);
    kiln_dbc *db = kiln_dbc_open(url, err, sizeof err);
    if (!db)
        test_fail(__FILE__, __LINE__, "open: %s", err);
    if (migrate &&
        kiln_db_migrate_kiln(db, KILN_MIGRATE_APPLY, NULL, err, sizeof err) < 1)
        test_fail(__FILE__, __LINE__, "migrate: %s", err);
    return db;
}

static void done(kiln_dbc *db)
{
    kiln_dbc_close(db);
    unlink(dbpath);
    char side[80];
    snprintf(side, sizeof side, "%s-wal", dbpath);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", dbpath);
    unlink(side);
}

static int64_t scalar(kiln_dbc *db, const char *sql)
{
    int64_t v = -1;
    if (kiln_db_scalar_int(db, &v, sql) != 0)
        test_fail(__FILE__, __LINE__, "%s: %s", sql, kiln_db_errmsg(db));
    return v;
}

/* A tasks_app for the claim: the names and queues lists, SQLite form. */
static tasks_app *app_with(const char *names, const char *queues)
{
    static tasks_app ta;
    memset(&ta, 0, sizeof ta);
    snprintf(ta.names_list, sizeof ta.names_list, "%s", names);
    snprintf(ta.queues_list, sizeof ta.queues_list, "%s", queues);
    return &ta;
}

TEST(kiln_migrations_apply_once_and_report)
{
    kiln_dbc *db = open_db(false);
    char err[256];
    char *out = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&out, &n);
    /* the task queue's step, the users' (auth/schema.c), the sessions'
       (auth/session_schema.c) and the audit log's (audit/schema.c) */
    CHECK_INT(kiln_db_migrate_kiln(db, KILN_MIGRATE_STATUS, f, err, sizeof err),
              4);
    fflush(f);
    CHECK(strstr(out, "  pending  kiln: tasks 1 (the task queue") != NULL);
    int v = -1;
    CHECK_INT(db_builtin_version(db, "tasks", &v), 0);
    CHECK_INT(v, 0);
    CHECK_INT(kiln_db_migrate_kiln(db, KILN_MIGRATE_APPLY, f, err, sizeof err),
              4);
    CHECK_INT(kiln_db_migrate_kiln(db, KILN_MIGRATE_APPLY, f, err, sizeof err),
              0);
    CHECK_INT(kiln_db_migrate_kiln(db, KILN_MIGRATE_CHECK, f, err, sizeof err),
              0);
    fclose(f);
    CHECK(strstr(out, "  applied  kiln: tasks 1 (the task queue") != NULL);
    free(out);
    CHECK_INT(db_builtin_version(db, "tasks", &v), 0);
    CHECK_INT(v, 1);
    CHECK_INT(scalar(db, "SELECT count(*) FROM kiln_tasks"), 0);
    CHECK_INT(scalar(db, "SELECT version FROM kiln_schema WHERE part = "
                         "'tasks'"),
              1);
    /* a newer Kiln's tables: this one says so rather than guess */
    kiln_db_exec(db, "UPDATE kiln_schema SET version = 99");
    CHECK_INT(
        kiln_db_migrate_kiln(db, KILN_MIGRATE_APPLY, NULL, err, sizeof err),
        KILN_ESTATE);
    CHECK(strstr(err, "version 99, newer than this Kiln knows") != NULL);
    done(db);
}

TEST(enqueue_rules)
{
    kiln_dbc *db = open_db(false);
    int64_t id = 0;
    /* no tables yet: the message says what to do */
    CHECK(kiln_task_enqueue(db, "a", NULL, NULL, &id) < 0);
    CHECK(strstr(kiln_db_errmsg(db), "Kiln's task tables are missing: run "
                                     "kiln migrate") != NULL);
    done(db);
    db = open_db(true);
    CHECK_INT(kiln_task_enqueue(db, "send/mail", NULL, NULL, &id), 0);
    CHECK(id > 0);
    kiln_rows *r = kiln_db_query(db,
                                 "SELECT name, queue, payload, state, "
                                 "priority, attempts, max_attempts FROM "
                                 "kiln_tasks WHERE id = $1",
                                 KILN_INT(id));
    CHECK(r && kiln_rows_next(r));
    CHECK_VIEW(kiln_row_text(r, 0), "send/mail");
    CHECK_VIEW(kiln_row_text(r, 1), "default");
    CHECK_VIEW(kiln_row_text(r, 2), "{}");
    CHECK_VIEW(kiln_row_text(r, 3), "queued");
    CHECK_INT(kiln_row_int(r, 4), 0);
    CHECK_INT(kiln_row_int(r, 5), 0);
    CHECK(kiln_row_is_null(r, 6)); /* the task's default, decided later */
    kiln_rows_close(r);
    CHECK_INT(kiln_task_enqueue(db, "bad name", NULL, NULL, &id), KILN_EINVAL);
    CHECK(strstr(kiln_db_errmsg(db), "'bad name' is not a task name"));
    CHECK_INT(kiln_task_enqueue(db, "a", "{\"x\":", NULL, &id), KILN_EINVAL);
    CHECK(strstr(kiln_db_errmsg(db), "the payload is not JSON"));
    kiln_task_opts o = {.queue = "a,b"};
    CHECK_INT(kiln_task_enqueue(db, "a", NULL, &o, &id), KILN_EINVAL);
    o = (kiln_task_opts){.delay_ms = -1};
    CHECK_INT(kiln_task_enqueue(db, "a", NULL, &o, &id), KILN_EINVAL);
    o = (kiln_task_opts){.key = ""};
    CHECK_INT(kiln_task_enqueue(db, "a", NULL, &o, &id), KILN_EINVAL);
    CHECK_INT(
        kiln_task_enqueuef(db, "a", NULL, &id, "{n: %d, s: %s}", 7, "q\"x"), 0);
    int64_t v = 0;
    CHECK_INT(kiln_db_scalar_int(db, &v,
                                 "SELECT json_extract(payload, '$.n') FROM "
                                 "kiln_tasks WHERE id = $1",
                                 KILN_INT(id)),
              0);
    CHECK_INT(v, 7);
    CHECK_INT(kiln_task_enqueuef(db, "a", NULL, &id, "{n: %q}"), KILN_EINVAL);
    CHECK_INT(scalar(db, "SELECT count(*) FROM kiln_tasks"), 2);
    done(db);
}

TEST(idempotency_keys_dedupe_per_task_name)
{
    kiln_dbc *db = open_db(true);
    kiln_task_opts o = {.key = "order-1"};
    int64_t a = 0, b = 0, c = 0;
    CHECK_INT(kiln_task_enqueue(db, "ship", "{\"n\":1}", &o, &a), 0);
    CHECK_INT(kiln_task_enqueue(db, "ship", "{\"n\":2}", &o, &b), 1);
    CHECK_INT(b, a);
    CHECK_INT(kiln_task_enqueue(db, "bill", NULL, &o, &c), 0);
    CHECK(c != a);
    /* in a rolled-back transaction the key is never taken */
    o.key = "order-2";
    CHECK_INT(kiln_db_begin(db), 0);
    CHECK_INT(kiln_task_enqueue(db, "ship", NULL, &o, &b), 0);
    CHECK_INT(kiln_db_rollback(db), 0);
    CHECK_INT(kiln_task_enqueue(db, "ship", NULL, &o, &c), 0);
    CHECK_INT(scalar(db, "SELECT count(*) FROM kiln_tasks"), 3);
    CHECK_INT(scalar(db, "SELECT count(*) FROM kiln_tasks WHERE payload = "
                         "'{\"n\":1}'"),
              1);
    done(db);
}

TEST(claim_order_filters_and_delays)
{
    kiln_dbc *db = open_db(true);
    int64_t low, high, later, other, mail;
    kiln_task_opts o = {0};
    CHECK_INT(kiln_task_enqueue(db, "a", NULL, &o, &low), 0);
    o.priority = 10;
    CHECK_INT(kiln_task_enqueue(db, "a", NULL, &o, &high), 0);
    o = (kiln_task_opts){.delay_ms = 60000, .priority = 50};
    CHECK_INT(kiln_task_enqueue(db, "a", NULL, &o, &later), 0);
    CHECK_INT(kiln_task_enqueue(db, "b", NULL, NULL, &other), 0);
    o = (kiln_task_opts){.queue = "mail"};
    CHECK_INT(kiln_task_enqueue(db, "a", NULL, &o, &mail), 0);
    store_claim_args a = {.owner = "me/w0", .lease_ms = 30000, .limit = 10};
    store_row *rows;
    size_t n;
    /* names ["a"], queue "default" only */
    tasks_app *ta = app_with("[\"a\"]", "[\"default\"]");
    a.limit = 1; /* highest priority first */
    CHECK_INT(store_claim(db, ta, &a, &rows, &n), 0);
    CHECK_INT(n, 1);
    CHECK_INT(rows[0].id, high);
    CHECK_INT(rows[0].attempts, 1);
    CHECK_STR(rows[0].name, "a");
    CHECK_STR(rows[0].payload, "{}");
    a.limit = 10; /* the delayed one, task b and queue mail are not taken */
    CHECK_INT(store_claim(db, ta, &a, &rows, &n), 0);
    CHECK_INT(n, 1);
    CHECK_INT(rows[0].id, low);
    kiln_dbc_reset(db);
    /* every queue now; the claimed ones are not claimed again */
    ta = app_with("[\"a\",\"b\"]", "");
    a.limit = 1;
    CHECK_INT(store_claim(db, ta, &a, &rows, &n), 0);
    CHECK_INT(n, 1);
    CHECK_INT(rows[0].id, other); /* same priority: the older first */
    a.limit = 5;
    CHECK_INT(store_claim(db, ta, &a, &rows, &n), 0);
    CHECK_INT(n, 1);
    CHECK_INT(rows[0].id, mail);
    CHECK_INT(store_claim(db, ta, &a, &rows, &n), 0);
    CHECK_INT(n, 0);
    CHECK_INT(scalar(db, "SELECT count(*) FROM kiln_tasks WHERE state = "
                         "'running' AND owner = 'me/w0' AND lease_until > "
                         "started_at"),
              4);
    /* done rows go with the next claim */
    int64_t ids[2] = {high, low};
    a = (store_claim_args){
        .owner = "me/w0", .lease_ms = 30000, .done = ids, .ndone = 2};
    CHECK_INT(store_claim(db, ta, &a, &rows, &n), 0);
    CHECK_INT(scalar(db, "SELECT count(*) FROM kiln_tasks WHERE state = "
                         "'done' AND finished_at IS NOT NULL AND owner IS "
                         "NULL"),
              2);
    /* another owner cannot record them */
    int64_t o2[1] = {other};
    a.owner = "thief/w0";
    a.done = o2;
    a.ndone = 1;
    CHECK_INT(store_claim(db, ta, &a, &rows, &n), 0);
    CHECK_INT(scalar(db, "SELECT count(*) FROM kiln_tasks WHERE state = "
                         "'running'"),
              2);
    /* delete_done (tasks.keep_done_hours = 0) */
    a.owner = "me/w0";
    a.delete_done = true;
    CHECK_INT(store_claim(db, ta, &a, &rows, &n), 0);
    CHECK_INT(scalar(db, "SELECT count(*) FROM kiln_tasks WHERE id = 4"), 0);
    done(db);
}

TEST(outcomes_leases_and_ticks)
{
    kiln_dbc *db = open_db(true);
    int64_t t1, t2, t3;
    CHECK_INT(kiln_task_enqueue(db, "a", NULL, NULL, &t1), 0);
    CHECK_INT(kiln_task_enqueue(db, "a", NULL, NULL, &t2), 0);
    CHECK_INT(kiln_task_enqueue(db, "a", NULL, NULL, &t3), 0);
    tasks_app *ta = app_with("[\"a\"]", "");
    store_claim_args a = {.owner = "me/w1", .lease_ms = 30000, .limit = 3};
    store_row *rows;
    size_t n;
    CHECK_INT(store_claim(db, ta, &a, &rows, &n), 0);
    CHECK_INT(n, 3);
    /* a retry: queued again, later, with the error */
    CHECK_INT(store_fail(db, "me/w1", t1, "boom", 60000, 4), 0);
    CHECK_INT(scalar(db, "SELECT count(*) FROM kiln_tasks WHERE state = "
                         "'queued' AND last_error = 'boom' AND run_at > "
                         "created_at AND attempts = 1 AND owner IS NULL"),
              1);
    /* failed for good */
    CHECK_INT(store_fail(db, "me/w1", t2, "for good", -1, 4), 0);
    CHECK_INT(scalar(db, "SELECT max_attempts FROM kiln_tasks WHERE id = 2"),
              4);
    CHECK_INT(scalar(db, "SELECT count(*) FROM kiln_tasks WHERE state = "
                         "'failed' AND finished_at IS NOT NULL"),
              1);
    /* given back: the attempt not counted */
    CHECK_INT(store_release(db, "me/w1", &t3, 1), 0);
    CHECK_INT(scalar(db, "SELECT attempts FROM kiln_tasks WHERE id = 3"), 0);
    /* a dead worker: its lease in the past, reaped */
    a.limit = 1;
    CHECK_INT(store_claim(db, ta, &a, &rows, &n), 0);
    CHECK_INT(n, 1);
    CHECK_INT(rows[0].id, t3);
    CHECK_INT(store_renew(db, "me/w1", 30000), 1);
    CHECK_INT(store_reap(db), 0); /* not expired */
    kiln_db_exec(db, "UPDATE kiln_tasks SET lease_until = "
                     "'2000-01-01 00:00:00.000000+00:00' WHERE id = 3");
    CHECK_INT(store_reap(db), 1);
    kiln_rows *r = kiln_db_query(db, "SELECT state, last_error FROM "
                                     "kiln_tasks WHERE id = 3");
    CHECK(r && kiln_rows_next(r));
    CHECK_VIEW(kiln_row_text(r, 0), "queued");
    CHECK_VIEW(kiln_row_text(r, 1), "attempt 1: its worker me/w1 stopped "
                                    "renewing the lease (it died, hung or "
                                    "lost the database)");
    kiln_rows_close(r);
    /* a tick is taken once */
    periodic_entry e = {.p = {.name = "nightly",
                              .task = "a",
                              .payload = "{\"x\":1}",
                              .queue = "batch"}};
    int64_t id = 0, id2 = 0;
    CHECK_INT(store_tick(db, ta, &e, INT64_C(1714564800000000), &id), 1);
    CHECK(id > 0);
    CHECK_INT(store_tick(db, ta, &e, INT64_C(1714564800000000), &id2), 0);
    CHECK_INT(store_tick(db, ta, &e, INT64_C(1714564801000000), &id2), 1);
    CHECK_INT(scalar(db, "SELECT count(*) FROM kiln_tasks WHERE queue = "
                         "'batch' AND payload = '{\"x\":1}'"),
              2);
    CHECK_INT(scalar(db, "SELECT count(*) FROM kiln_task_ticks WHERE "
                         "task_id IS NOT NULL"),
              2);
    /* prune: old done rows and old ticks go */
    kiln_db_exec(db, "UPDATE kiln_tasks SET state = 'done', finished_at = "
                     "'2000-01-01 00:00:00.000000+00:00' WHERE id = 1");
    CHECK_INT(store_prune(db, 1), 1);
    CHECK_INT(scalar(db, "SELECT count(*) FROM kiln_tasks WHERE id = 1"), 0);
    CHECK_INT(scalar(db, "SELECT count(*) FROM kiln_task_ticks"), 0);
    done(db);
}
