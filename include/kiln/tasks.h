/*
 * kiln/tasks.h - durable background tasks and long-lived services, with
 * the app's database as the queue (no broker).
 *
 *   // tasks/send_welcome.c (a project file; plain apps: kiln_task_define)
 *   KILN_TASK(send_welcome, .queue = "mail", .max_attempts = 8) {
 *       int64_t user = kiln_json_int(kiln_json_get(payload, "user"), 0);
 *       kiln_dbc *db = kiln_db(c);
 *       if (!db)
 *           return KILN_EUNAVAIL;        // a failed attempt: retried
 *       ...
 *       return 0;                        // done
 *   }
 *
 *   // in a handler: the task exists only if the request's transaction
 *   // commits (same connection, same transaction)
 *   kiln_db_begin(db);
 *   ... INSERT the user ...
 *   kiln_task_enqueuef(db, "send_welcome", NULL, NULL, "{user: %lld}", id);
 *   kiln_db_commit(db);
 *
 * A task is a row of kiln_tasks (Kiln's own table, made by kiln migrate).
 * Task workers (tasks.workers coroutines in the app process, or processes
 * of their own: `kiln run --tasks`, the app binary with --tasks; any number,
 * on any machine that reaches the database) claim ready rows, run them and
 * record the outcome. Delivery is at least once: a claimed task has a
 * lease its worker renews while it runs; a task whose worker died is
 * claimed again once the lease expired. A failed attempt is retried with
 * exponential backoff and jitter until max_attempts, then kept as failed
 * with its error (`kiln tasks --failed`, `kiln tasks retry ID`). A task
 * running past its timeout is cancelled: every wait it is in or starts
 * fails with KILN_ECANCELED, so it unwinds through its error paths and its
 * open transaction is rolled back; the attempt counts as failed. On
 * SIGTERM a worker claims nothing more, lets running tasks finish within
 * the drain time, and gives back (queued again, the attempt not counted)
 * the ones that did not. docs/tasks.md has the whole story.
 *
 * Services are coroutines started with the app on a chosen worker thread,
 * restarted with backoff when they fail, cancelled (as above) on shutdown.
 */
#ifndef KILN_TASKS_H
#define KILN_TASKS_H

#include "app.h"
#include "db.h"
#include "http.h"
#include "json.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- defining tasks ----------------------------------------------------- */

/**
 * A task's body. c is a context like a handler's (kiln_db(c), kiln_alloc,
 * kiln_defer, kiln_sleep_ms, kiln_wait_fd; no request, and the response
 * calls return KILN_ESTATE); payload is the task's JSON, parsed into c's
 * arena. Returns 0 when done, or a negative KILN_E* code: the attempt
 * failed (see kiln_task_fail, kiln_task_abort, kiln_task_retry_in).
 */
typedef int (*kiln_task_fn)(kiln_ctx *c, const kiln_json *payload);

/** A task's defaults; KILN_TASK(name, .field = value...) fills one. A
    zero field takes the tasks.* setting. */
typedef struct kiln_task_def {
    const char *queue;  /**< its queue (NULL: "default") */
    int priority;       /**< higher runs first (0) */
    int max_attempts;   /**< runs at most (tasks.max_attempts) */
    int64_t timeout_ms; /**< cancelled after (tasks.timeout_ms; -1: never) */
} kiln_task_def;

/**
 * Defines task name on app (a plain libkiln app; a project's tasks/ files
 * are defined by `kiln`). name: 1 to 100 bytes of letters, digits, '_',
 * '-', '.', '/'. def may be NULL; it is copied, its queue string must
 * outlive the app. Returns 0, KILN_EINVAL (a bad name or def), KILN_ESTATE
 * (name defined already) or KILN_ENOMEM.
 */
int kiln_task_define(kiln_app *app, const char *name, kiln_task_fn fn,
                     const kiln_task_def *def);

/* ---- enqueueing ----------------------------------------------------------
 */

/** How to enqueue a task. A zero field keeps the task's default. */
typedef struct kiln_task_opts {
    int64_t delay_ms;  /**< run no sooner than this long from now */
    int64_t run_at;    /**< run no sooner than this time (microseconds since
                            the epoch, UTC); wins over delay_ms */
    int priority;      /**< higher runs first; 0 keeps the task's */
    const char *queue; /**< NULL: the task's queue */
    /** an idempotency key: while a task of this name with this key exists
        (queued, running, done and not yet pruned, or failed), enqueueing
        another is a no-op that returns 1 and its id. NULL: none */
    const char *key;
    int max_attempts;   /**< 0: the task's */
    int64_t timeout_ms; /**< 0: the task's; -1: never */
} kiln_task_opts;

/**
 * Enqueues task name with payload (JSON text; NULL is "{}") on db, in
 * db's transaction when one is open: the task exists only if it commits.
 * Outside a transaction it is committed at once, as any statement. db is
 * a request's (kiln_db), a task's or service's, or a kiln_dbc_open one
 * (tools, tests). On PostgreSQL a ready task wakes idle workers (NOTIFY,
 * sent when the transaction commits). o may be NULL.
 *
 * Returns 0 with *id (may be NULL) the new task's id; 1 when o->key
 * matched an existing task of that name (nothing was added; *id is that
 * task); KILN_EINVAL for a bad name, a payload that is not JSON, or a
 * negative delay; KILN_ENOTFOUND when this process defines tasks and none
 * is called name; or the database's error (kiln_db_errmsg: a missing
 * kiln_tasks table says to run kiln migrate).
 */
int kiln_task_enqueue(kiln_dbc *db, const char *name, const char *payload,
                      const kiln_task_opts *o, int64_t *id);

/** kiln_task_enqueue with the payload built from fmt by kiln_json_format's
    rules: kiln_task_enqueuef(db, "resize", NULL, NULL, "{image: %lld}",
    id). KILN_EINVAL for a bad format. */
int kiln_task_enqueuef(kiln_dbc *db, const char *name, const kiln_task_opts *o,
                       int64_t *id, const char *fmt, ...);

/* ---- inside a task ------------------------------------------------------- */

/** The running task's id (0 when c is not a task's). */
int64_t kiln_task_id(kiln_ctx *c);
/** Which attempt this is: 1 the first time (0 when c is not a task's). */
int kiln_task_attempt(kiln_ctx *c);
/** The running task's name (NULL when c is not a task's). */
const char *kiln_task_name(kiln_ctx *c);

/**
 * Records why this attempt failed (printf-style; kept in last_error, shown
 * by kiln tasks) and returns KILN_EIO for the task to return: it is
 * retried with backoff while attempts remain.
 */
int kiln_task_fail(kiln_ctx *c, const char *fmt, ...) KILN_PRINTF(2, 3);
/**
 * As kiln_task_fail, but the task is not retried: it is kept as failed
 * (a payload that can never work). Returns KILN_EINVAL.
 */
int kiln_task_abort(kiln_ctx *c, const char *fmt, ...) KILN_PRINTF(2, 3);
/**
 * As kiln_task_fail, but the next attempt comes no sooner than ms from now
 * (a rate limit's Retry-After) instead of after the backoff; it still
 * counts as an attempt. Returns KILN_EIO.
 */
int kiln_task_retry_in(kiln_ctx *c, int64_t ms, const char *fmt, ...)
    KILN_PRINTF(3, 4);

/**
 * True once c was cancelled: a task past its timeout or given back at
 * shutdown, a service being stopped. Its waits then fail with
 * KILN_ECANCELED; a body that computes for long without waiting should
 * check this and return.
 */
bool kiln_cancelled(kiln_ctx *c);

/* ---- services ------------------------------------------------------------ */

/**
 * A service's body: runs for as long as the app does (a queue consumer, a
 * socket it listens on...), waiting as a handler does. It is cancelled on
 * shutdown (kiln_cancelled; its waits fail with KILN_ECANCELED) and should
 * then return. Returning a negative code (or crashing) before that is a
 * failure: it is started again after a backoff. Returning 0 ends it for
 * good.
 */
typedef int (*kiln_service_fn)(kiln_ctx *c);

/** A service's options; KILN_SERVICE(name, .field = value...) fills one. */
typedef struct kiln_service_def {
    int worker; /**< the worker thread it runs on, modulo their number (0) */
    int64_t restart_min_ms; /**< first restart after a failure (100) */
    int64_t restart_max_ms; /**< the backoff doubles up to this (30000);
                                 a run longer than it starts over */
} kiln_service_def;

/** Defines service name on app (names as for tasks). def may be NULL
    (copied). Returns 0, KILN_EINVAL, KILN_ESTATE (defined already) or
    KILN_ENOMEM. */
int kiln_service_define(kiln_app *app, const char *name, kiln_service_fn fn,
                        const kiln_service_def *def);

/**
 * Ends one unit of a service's work (one message handled): its kiln_defer
 * callbacks run (the database lease is given back; an open transaction is
 * rolled back and logged) and its arena is freed, so a service that runs
 * for days does not grow. Returns 0, or KILN_ESTATE when c is not a
 * service's.
 */
int kiln_service_recycle(kiln_ctx *c);

/* ---- running them -------------------------------------------------------- */

/** A periodic task: [tasks.periodic] in kiln.toml. Strings are not owned. */
typedef struct kiln_periodic {
    const char *name;    /**< the entry's name (its tick rows) */
    const char *task;    /**< the task it enqueues */
    const char *cron;    /**< when: a cron expression (UTC) */
    const char *payload; /**< JSON text, NULL: "{}" */
    const char *queue;   /**< NULL: the task's */
    int priority;        /**< 0: the task's */
    const char *origin;  /**< where it was written ("kiln.toml:12"), for
                              messages; may be NULL */
} kiln_periodic;

/** How this process runs tasks (the tasks.* settings). */
typedef struct kiln_tasks_opts {
    /** tasks run at once in this process, spread over the worker threads
        (0: none; a --tasks process then runs 8 per worker thread) */
    int workers;
    const char *queues;   /**< comma-separated queues taken ("": all) */
    int64_t lease_ms;     /**< a claimed task's lease (30000) */
    int64_t poll_ms;      /**< an idle worker looks again after at most
                               this long (1000) */
    int64_t timeout_ms;   /**< a task's default timeout (0: none) */
    int max_attempts;     /**< a task's default attempts (5) */
    int64_t retry_min_ms; /**< the first retry's delay (1000) */
    int64_t retry_max_ms; /**< the backoff's ceiling (3600000) */
    int keep_done_hours;  /**< done tasks are deleted after (168; 0: at
                               once) */
    bool services;        /**< start the app's services here (true) */
    const kiln_periodic *periodic; /**< copied by kiln_app_tasks */
    size_t nperiodic;
} kiln_tasks_opts;

/** Fills o with the defaults. */
void kiln_tasks_opts_default(kiln_tasks_opts *o);

/**
 * Sets how app runs its tasks and services (copied; call before
 * kiln_serve). Without this call the defaults apply. Periodic entries
 * are checked here: a bad cron expression or a task that is not defined
 * is KILN_EINVAL with a one-line message in err naming the entry (and its
 * origin). The database is the default pool (kiln_db_set_default).
 */
int kiln_app_tasks(kiln_app *app, const kiln_tasks_opts *o, char *err,
                   size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
