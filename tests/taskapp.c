/*
 * tests/taskapp.c - the app the task black-box tests drive
 * (tests/blackbox/test_tasks.py): tasks and services defined with
 * kiln_task_define / kiln_service_define the way a plain libkiln app does,
 * handlers that enqueue them (in a transaction or not), and views of
 * kiln_tasks and of what the tasks did (the runs table).
 *
 *   build/tests/taskapp --db URL [--task-workers N] [--lease-ms N]
 *       [--poll-ms N] [--retry-min-ms N] [--retry-max-ms N]
 *       [--max-attempts N] [--keep-done-hours N] [--periodic CRON]
 *       [--service flaky|steady] [--queues Q] [kiln_main flags: --port,
 *       --workers, --drain-ms, --tasks...]
 *
 * It applies Kiln's own migrations at start. Tasks (payload keys):
 *   record  {tag, sleep_ms, sleep_first_ms, fail_times, tx}: a runs row;
 *           sleeps; fails while attempt <= fail_times; with tx the row is
 *           written in a transaction held across the sleep
 *   noop    returns at once
 *   abort   kiln_task_abort
 *   tick    (periodic) a runs row
 *   later   kiln_task_retry_in(ms) on the first attempt
 */
#include <kiln.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static bool pg(kiln_dbc *db)
{
    return strcmp(kiln_dbc_backend(db), "postgres") == 0;
}

static int64_t num(const kiln_json *o, const char *key, int64_t def)
{
    const kiln_json *v = kiln_json_get(o, key);
    return v && v->type == KILN_JSON_NUMBER ? (int64_t)v->u.number.d : def;
}

static const char *str(const kiln_json *o, const char *key, const char *def)
{
    const kiln_json *v = kiln_json_get(o, key);
    return v && v->type == KILN_JSON_STRING ? v->u.string.p : def;
}

/* A row of runs: what a task or service did, with the time in ms. */
static int run_row(kiln_dbc *db, const char *tag, int64_t task, int attempt,
                   const char *what)
{
    char pid[32];
    snprintf(pid, sizeof pid, "%ld", (long)getpid());
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    int64_t k = kiln_db_exec(db,
                             "INSERT INTO runs (tag, task_id, attempt, pid, "
                             "what, at_ms) VALUES ($1, $2, $3, $4, $5, $6)",
                             KILN_TEXT(tag), KILN_INT(task), KILN_INT(attempt),
                             KILN_TEXT(pid), KILN_TEXT(what), KILN_INT(ms));
    return k < 0 ? (int)k : 0;
}

/* ---- tasks -----------------------------------------------------------------
 */

static int task_record(kiln_ctx *c, const kiln_json *p)
{
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return kiln_task_fail(c, "no database");
    const char *tag = str(p, "tag", "record");
    int attempt = kiln_task_attempt(c);
    bool tx = kiln_json_get(p, "tx") != NULL;
    if (tx && kiln_db_begin(db) != 0)
        return kiln_task_fail(c, "begin: %s", kiln_db_errmsg(db));
    if (run_row(db, tag, kiln_task_id(c), attempt, "start") != 0)
        return kiln_task_fail(c, "runs: %s", kiln_db_errmsg(db));
    int64_t ms = num(p, "sleep_ms", 0);
    if (attempt == 1 && num(p, "sleep_first_ms", 0))
        ms = num(p, "sleep_first_ms", 0);
    if (ms > 0) {
        int rc = kiln_sleep_ms(ms);
        if (rc != 0)
            return rc; /* cancelled: the transaction is rolled back */
    }
    if (attempt <= num(p, "fail_times", 0))
        return kiln_task_fail(c, "failing on purpose (attempt %d)", attempt);
    if (run_row(db, tag, kiln_task_id(c), attempt, "end") != 0)
        return kiln_task_fail(c, "runs: %s", kiln_db_errmsg(db));
    if (tx && kiln_db_commit(db) != 0)
        return kiln_task_fail(c, "commit: %s", kiln_db_errmsg(db));
    return 0;
}

static int task_noop(kiln_ctx *c, const kiln_json *p)
{
    (void)c;
    (void)p;
    return 0;
}

static int task_abort(kiln_ctx *c, const kiln_json *p)
{
    (void)p;
    return kiln_task_abort(c, "this payload can never work");
}

static int task_tick(kiln_ctx *c, const kiln_json *p)
{
    (void)p;
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return kiln_task_fail(c, "no database");
    return run_row(db, "tick", kiln_task_id(c), kiln_task_attempt(c), "tick");
}

static int task_later(kiln_ctx *c, const kiln_json *p)
{
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return kiln_task_fail(c, "no database");
    int rc = run_row(db, "later", kiln_task_id(c), kiln_task_attempt(c), "run");
    if (rc)
        return rc;
    if (kiln_task_attempt(c) == 1)
        return kiln_task_retry_in(c, num(p, "ms", 500), "rate limited");
    return 0;
}

/* ---- services --------------------------------------------------------------
 */

/* Fails a moment after each start: restarted with backoff. */
static int svc_flaky(kiln_ctx *c)
{
    kiln_dbc *db = kiln_db(c);
    if (db)
        run_row(db, "flaky", 0, 0, "start");
    kiln_sleep_ms(10);
    return KILN_EIO;
}

/* Runs until cancelled, and says so. */
static int svc_steady(kiln_ctx *c)
{
    kiln_dbc *db = kiln_db(c);
    if (db)
        run_row(db, "steady", 0, 0, "start");
    kiln_service_recycle(c);
    while (kiln_sleep_ms(20) == 0)
        ;
    /* cancelled: the database can no longer be waited on, so say it in
       the log, which the test reads */
    kiln_log(KILN_LOG_INFO, "steady service: cancelled, returning");
    return 0;
}

/* ---- handlers --------------------------------------------------------------
 */

/* GET /reset: empty tables (the PostgreSQL suite shares one database) */
static KILN_HANDLER(reset)
{
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    if (kiln_db_exec(db, "DELETE FROM kiln_tasks") < 0 ||
        kiln_db_exec(db, "DELETE FROM kiln_task_ticks") < 0 ||
        kiln_db_exec(db, "DROP TABLE IF EXISTS runs") < 0 ||
        kiln_db_exec(db, pg(db)
                             ? "CREATE TABLE runs (id bigserial PRIMARY KEY, "
                               "tag text, task_id bigint, attempt int, pid "
                               "text, what text, at_ms bigint)"
                             : "CREATE TABLE runs (id INTEGER PRIMARY KEY, "
                               "tag TEXT, task_id INTEGER, attempt INTEGER, "
                               "pid TEXT, what TEXT, at_ms INTEGER)") < 0)
        return kiln_db_fail(c, db);
    return kiln_text(c, 200, "ok");
}

static kiln_task_opts query_opts(kiln_ctx *c)
{
    kiln_task_opts o = {0};
    o.delay_ms = kiln_query_int(c, "delay_ms", 0);
    o.priority = (int)kiln_query_int(c, "priority", 0);
    o.max_attempts = (int)kiln_query_int(c, "max_attempts", 0);
    o.timeout_ms = kiln_query_int(c, "timeout_ms", 0);
    kiln_str q = kiln_query(c, "queue"), k = kiln_query(c, "key");
    o.queue = q.p;
    o.key = k.p;
    return o;
}

/* POST /enqueue?name=N[&tx=1][&fail=1][...options]; body: the payload */
static KILN_HANDLER(enqueue)
{
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    kiln_str name = kiln_query(c, "name");
    kiln_str body = kiln_body(c);
    char *payload =
        body.n ? kiln_arena_strndup(kiln_ctx_arena(c), body.p, body.n) : NULL;
    bool tx = kiln_query(c, "tx").p != NULL;
    if (tx && kiln_db_begin(db) != 0)
        return kiln_db_fail(c, db);
    kiln_task_opts o = query_opts(c);
    int64_t id = 0;
    int rc = kiln_task_enqueue(db, name.p, payload, &o, &id);
    if (rc < 0)
        return kiln_problem(
            c, rc == KILN_EINVAL || rc == KILN_ENOTFOUND ? 422 : 500, "%s",
            kiln_db_errmsg(db));
    if (kiln_query(c, "fail").p) /* the request fails: all rolled back */
        return KILN_EIO;
    if (tx && kiln_db_commit(db) != 0)
        return kiln_db_fail(c, db);
    return kiln_jsonf(c, 200, "{id:%lld, existing:%b}", (long long)id, rc == 1);
}

/* POST /enqueue_many?name=N&n=COUNT[&sleep_ms=MS]: one transaction */
static KILN_HANDLER(enqueue_many)
{
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    kiln_str name = kiln_query(c, "name");
    int64_t n = kiln_query_int(c, "n", 1);
    int64_t sleep = kiln_query_int(c, "sleep_ms", 0);
    if (kiln_db_begin(db) != 0)
        return kiln_db_fail(c, db);
    for (int64_t i = 0; i < n; i++)
        if (kiln_task_enqueuef(db, name.p, NULL, NULL, "{i:%lld,sleep_ms:%lld}",
                               (long long)i, (long long)sleep) < 0)
            return kiln_db_fail(c, db);
    if (kiln_db_commit(db) != 0)
        return kiln_db_fail(c, db);
    return kiln_text(c, 200, "%lld", (long long)n);
}

/* GET /tasks[?name=N]: kiln_tasks as JSON */
static KILN_HANDLER(tasks)
{
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    kiln_str name = kiln_query(c, "name");
    kiln_rows *r = kiln_db_query(
        db,
        "SELECT id, name, queue, state, priority, attempts, max_attempts, "
        "timeout_ms, idempotency_key, owner, last_error, payload FROM "
        "kiln_tasks WHERE CAST($1 AS text) IS NULL OR name = CAST($1 AS text) "
        "ORDER BY id",
        KILN_STRV(name));
    if (!r)
        return kiln_db_fail(c, db);
    return kiln_json_rows(c, 200, r);
}

/* GET /counts: tasks per state */
static KILN_HANDLER(counts)
{
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    kiln_rows *r = kiln_db_query(db, "SELECT state, count(*) AS n FROM "
                                     "kiln_tasks GROUP BY state ORDER BY 1");
    if (!r)
        return kiln_db_fail(c, db);
    return kiln_json_rows(c, 200, r);
}

/* GET /runs[?tag=T] */
static KILN_HANDLER(runs)
{
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    kiln_str tag = kiln_query(c, "tag");
    kiln_rows *r =
        kiln_db_query(db,
                      "SELECT tag, task_id, attempt, pid, what, "
                      "at_ms FROM runs WHERE CAST($1 AS text) IS NULL OR tag = "
                      "CAST($1 AS text) ORDER BY id",
                      KILN_STRV(tag));
    if (!r)
        return kiln_db_fail(c, db);
    return kiln_json_rows(c, 200, r);
}

/* GET /ticks */
static KILN_HANDLER(ticks)
{
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    kiln_rows *r = kiln_db_query(db, "SELECT name, task_id FROM "
                                     "kiln_task_ticks ORDER BY tick");
    if (!r)
        return kiln_db_fail(c, db);
    return kiln_json_rows(c, 200, r);
}

static long long flag_num(int argc, char **argv, int i, const char *flag)
{
    if (i + 1 >= argc) {
        fprintf(stderr, "taskapp: %s needs a number\n", flag);
        exit(2);
    }
    return atoll(argv[i + 1]);
}

int main(int argc, char **argv)
{
    const char *url = "sqlite::memory:";
    const char *service = NULL;
    kiln_tasks_opts to;
    kiln_tasks_opts_default(&to);
    kiln_periodic per = {.name = "tick", .task = "tick", .origin = "flag"};
    int n = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--db") == 0 && i + 1 < argc)
            url = argv[++i];
        else if (strcmp(a, "--task-workers") == 0)
            to.workers = (int)flag_num(argc, argv, i++, a);
        else if (strcmp(a, "--lease-ms") == 0)
            to.lease_ms = flag_num(argc, argv, i++, a);
        else if (strcmp(a, "--poll-ms") == 0)
            to.poll_ms = flag_num(argc, argv, i++, a);
        else if (strcmp(a, "--retry-min-ms") == 0)
            to.retry_min_ms = flag_num(argc, argv, i++, a);
        else if (strcmp(a, "--retry-max-ms") == 0)
            to.retry_max_ms = flag_num(argc, argv, i++, a);
        else if (strcmp(a, "--max-attempts") == 0)
            to.max_attempts = (int)flag_num(argc, argv, i++, a);
        else if (strcmp(a, "--keep-done-hours") == 0)
            to.keep_done_hours = (int)flag_num(argc, argv, i++, a);
        else if (strcmp(a, "--periodic") == 0 && i + 1 < argc) {
            per.cron = argv[++i];
            to.periodic = &per;
            to.nperiodic = 1;
        } else if (strcmp(a, "--service") == 0 && i + 1 < argc)
            service = argv[++i];
        else if (strcmp(a, "--queues") == 0 && i + 1 < argc)
            to.queues = argv[++i];
        else
            argv[n++] = argv[i];
    }
    argc = n;
    char err[512];
    /* Kiln's own tables first, as kiln migrate would */
    kiln_dbc *tool = kiln_dbc_open(url, err, sizeof err);
    if (!tool || kiln_db_migrate_kiln(tool, KILN_MIGRATE_APPLY, NULL, err,
                                      sizeof err) < 0) {
        fprintf(stderr, "taskapp: %s\n", err);
        kiln_dbc_close(tool);
        return 2;
    }
    kiln_dbc_close(tool);
    kiln_db_pool *db = kiln_db_pool_new(url, 4, err, sizeof err);
    if (!db) {
        fprintf(stderr, "taskapp: %s\n", err);
        return 2;
    }
    kiln_db_set_default(db);
    kiln_app *app = kiln_app_new();
    if (!app)
        return 1;
    kiln_task_def quick = {.max_attempts = 0};
    if (kiln_task_define(app, "record", task_record, NULL) ||
        kiln_task_define(app, "noop", task_noop, &quick) ||
        kiln_task_define(app, "abort", task_abort, NULL) ||
        kiln_task_define(app, "tick", task_tick, NULL) ||
        kiln_task_define(app, "later", task_later, NULL)) {
        fprintf(stderr, "taskapp: cannot define the tasks\n");
        return 1;
    }
    kiln_service_def sd = {
        .worker = 0, .restart_min_ms = 50, .restart_max_ms = 800};
    if (service && strcmp(service, "flaky") == 0)
        kiln_service_define(app, "flaky", svc_flaky, &sd);
    else if (service && strcmp(service, "steady") == 0)
        kiln_service_define(app, "steady", svc_steady, &sd);
    if (kiln_app_tasks(app, &to, err, sizeof err) != 0) {
        fprintf(stderr, "taskapp: %s\n", err);
        return 2;
    }
    kiln_route(app, "GET", "/reset", reset);
    kiln_route(app, "POST", "/enqueue", enqueue);
    kiln_route(app, "POST", "/enqueue_many", enqueue_many);
    kiln_route(app, "GET", "/tasks", tasks);
    kiln_route(app, "GET", "/counts", counts);
    kiln_route(app, "GET", "/runs", runs);
    kiln_route(app, "GET", "/ticks", ticks);
    int rc = kiln_main(app, argc, argv);
    kiln_db_set_default(NULL);
    kiln_db_pool_free(db);
    return rc;
}
