/*
 * tasks/schema.c - the task queue's tables, as steps of Kiln's own schema
 * (db/builtin.c applies them before the app's migrations; kiln_schema
 * records the version). A new version is a new step appended below, never
 * an edit of one that shipped.
 *
 * kiln_tasks: one row per task, from enqueue until it is deleted (done
 * rows after tasks.keep_done_hours, failed ones by hand). Its states:
 *
 *   queued   waiting for run_at and a worker
 *   running  claimed by owner (a worker thread) until lease_until, which
 *            the owner keeps pushing forward while the task runs
 *   done     finished (finished_at)
 *   failed   out of attempts, or given up on; last_error says why
 *
 * attempts counts claims, so a task that kills its worker still uses up
 * its attempts. (name, idempotency_key) is unique: NULL keys never clash.
 * kiln_task_ticks holds one row per periodic task and tick, inserted by
 * whichever instance gets there first: the others see the row and do not
 * enqueue again.
 *
 * Times: timestamptz on PostgreSQL (the server's clock decides), on SQLite
 * the data layer's text form "YYYY-MM-DD HH:MM:SS.ffffff+00:00", which
 * sorts as time does.
 */
#include "db/migrate.h"

static const db_builtin_step steps[] = {
    {1, "the task queue: kiln_tasks, kiln_task_ticks",
     /* SQLite */
     "CREATE TABLE kiln_tasks (\n"
     "    id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
     "    name TEXT NOT NULL,\n"
     "    queue TEXT NOT NULL DEFAULT 'default',\n"
     "    payload TEXT NOT NULL DEFAULT '{}',\n"
     "    state TEXT NOT NULL DEFAULT 'queued'\n"
     "        CHECK (state IN ('queued', 'running', 'done', 'failed')),\n"
     "    priority INTEGER NOT NULL DEFAULT 0,\n"
     "    run_at TEXT NOT NULL,\n"
     "    attempts INTEGER NOT NULL DEFAULT 0,\n"
     "    max_attempts INTEGER,\n"
     "    timeout_ms INTEGER,\n"
     "    idempotency_key TEXT,\n"
     "    owner TEXT,\n"
     "    lease_until TEXT,\n"
     "    last_error TEXT,\n"
     "    created_at TEXT NOT NULL,\n"
     "    started_at TEXT,\n"
     "    finished_at TEXT,\n"
     "    UNIQUE (name, idempotency_key)\n"
     ");\n"
     "CREATE INDEX kiln_tasks_ready ON kiln_tasks (priority DESC, run_at, id)\n"
     "    WHERE state = 'queued';\n"
     "CREATE INDEX kiln_tasks_running ON kiln_tasks (lease_until)\n"
     "    WHERE state = 'running';\n"
     "CREATE INDEX kiln_tasks_done ON kiln_tasks (finished_at)\n"
     "    WHERE state = 'done';\n"
     "CREATE TABLE kiln_task_ticks (\n"
     "    name TEXT NOT NULL,\n"
     "    tick TEXT NOT NULL,\n"
     "    task_id INTEGER,\n"
     "    PRIMARY KEY (name, tick)\n"
     ");\n",
     /* PostgreSQL */
     "CREATE TABLE kiln_tasks (\n"
     "    id bigserial PRIMARY KEY,\n"
     "    name text NOT NULL,\n"
     "    queue text NOT NULL DEFAULT 'default',\n"
     "    payload text NOT NULL DEFAULT '{}',\n"
     "    state text NOT NULL DEFAULT 'queued'\n"
     "        CHECK (state IN ('queued', 'running', 'done', 'failed')),\n"
     "    priority integer NOT NULL DEFAULT 0,\n"
     "    run_at timestamptz NOT NULL DEFAULT now(),\n"
     "    attempts integer NOT NULL DEFAULT 0,\n"
     "    max_attempts integer,\n"
     "    timeout_ms bigint,\n"
     "    idempotency_key text,\n"
     "    owner text,\n"
     "    lease_until timestamptz,\n"
     "    last_error text,\n"
     "    created_at timestamptz NOT NULL DEFAULT now(),\n"
     "    started_at timestamptz,\n"
     "    finished_at timestamptz,\n"
     "    UNIQUE (name, idempotency_key)\n"
     ");\n"
     "CREATE INDEX kiln_tasks_ready ON kiln_tasks (priority DESC, run_at, id)\n"
     "    WHERE state = 'queued';\n"
     "CREATE INDEX kiln_tasks_running ON kiln_tasks (lease_until)\n"
     "    WHERE state = 'running';\n"
     "CREATE INDEX kiln_tasks_done ON kiln_tasks (finished_at)\n"
     "    WHERE state = 'done';\n"
     "CREATE TABLE kiln_task_ticks (\n"
     "    name text NOT NULL,\n"
     "    tick timestamptz NOT NULL,\n"
     "    task_id bigint,\n"
     "    PRIMARY KEY (name, tick)\n"
     ");\n"},
};

const db_builtin tasks_schema = {"tasks", steps,
                                 sizeof steps / sizeof steps[0]};
