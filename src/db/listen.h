/*
 * db/listen.h - notifications from PostgreSQL (LISTEN/NOTIFY) on a
 * worker's loop: one connection of its own per listener, outside the
 * pools, registered with the worker's epoll; each NOTIFY on its channel
 * calls back at loop level. The task workers wake up with it when a task
 * is enqueued (src/tasks/runner.c); pub/sub can build on it.
 */
#ifndef KILN_DB_LISTEN_H
#define KILN_DB_LISTEN_H

#include "db/db_impl.h"

typedef struct db_listener db_listener;

/** Called at loop level (outside any coroutine) for each notification;
    payload is NUL-terminated and lives for the call only. NULL once when
    the connection was lost (db_listener_alive is false then). */
typedef void (*db_notify_fn)(void *arg, const char *payload);

/**
 * From a coroutine on a worker: connects to p's database (yielding), runs
 * LISTEN channel (an identifier: letters, digits, '_'), and registers the
 * connection with the worker's loop. fn(arg, payload) then runs for every
 * notification until db_listener_close. Returns the listener (owned by the
 * caller), or NULL with a one-line reason in err: p is not PostgreSQL
 * (KILN_EINVAL), the server cannot be reached, not on a worker.
 */
db_listener *db_listen(kiln_db_pool *p, const char *channel, db_notify_fn fn,
                       void *arg, char *err, size_t errlen);

/** False once the connection was lost: close the listener and open
    another (after a pause); notifications sent meanwhile are lost. */
bool db_listener_alive(const db_listener *l);

/** Closes l and frees it, on its worker's thread (from a callback too). */
void db_listener_close(db_listener *l);

#endif
