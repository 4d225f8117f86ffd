/*
 * db/listen.c - LISTEN on a PostgreSQL channel from a worker (db/listen.h).
 *
 * The connection is made and LISTEN is sent in the calling coroutine
 * (every wait yields); then the socket joins the worker's loop for
 * reading, and the loop callback consumes input, drops any command
 * results and hands each notification to the callback. A callback may
 * resume coroutines that close the listener: closing while the callback
 * runs only marks it, and the loop callback frees it when done.
 */
#include "db/listen.h"
#include "db/pq.h"

#include "server/worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct db_listener {
    loop_io io; /* first: the loop hands us &io */
    worker *w;
    PGconn *pc;
    db_notify_fn fn;
    void *arg;
    bool registered;
    bool alive;
    int busy;         /* on_io is on the stack */
    bool close_asked; /* db_listener_close ran while busy */
};

static void listener_free(db_listener *l)
{
    if (l->registered)
        loop_del(&l->w->loop, &l->io);
    if (l->pc)
        PQfinish(l->pc);
    free(l);
}

static void lost(db_listener *l, const char *why)
{
    if (!l->alive)
        return;
    l->alive = false;
    kiln_log(KILN_LOG_WARN,
             "postgres: the notification connection was lost: "
             "%.*s",
             (int)strcspn(why, "\n"), why);
    if (l->registered) {
        loop_del(&l->w->loop, &l->io);
        l->registered = false;
    }
}

static void on_io(loop *lp, loop_io *io, unsigned ev)
{
    (void)lp;
    (void)ev;
    db_listener *l = (db_listener *)io;
    l->busy++;
    if (!PQconsumeInput(l->pc) || PQstatus(l->pc) == CONNECTION_BAD) {
        lost(l, PQerrorMessage(l->pc));
        l->fn(l->arg, NULL);
    } else {
        PGresult *r;
        while (!PQisBusy(l->pc) && (r = PQgetResult(l->pc)))
            PQclear(r); /* nothing is asked: stray results only */
        PGnotify *n;
        while (!l->close_asked && (n = PQnotifies(l->pc))) {
            l->fn(l->arg, n->extra ? n->extra : "");
            PQfreemem(n);
        }
    }
    l->busy--;
    if (l->close_asked && !l->busy)
        listener_free(l);
}

static bool identifier(const char *s)
{
    if (!*s || strlen(s) > 63)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9') || *s == '_'))
            return false;
    return true;
}

/* Sends what libpq holds (yielding while the socket is full). */
static int flush(PGconn *pc)
{
    for (;;) {
        int f = PQflush(pc);
        if (f <= 0)
            return f;
        int r = kiln_wait_fd(PQsocket(pc), KILN_WRITABLE | KILN_READABLE, 5000);
        if (r < 0)
            return r;
        if ((r & KILN_READABLE) && !PQconsumeInput(pc))
            return -1;
    }
}

db_listener *db_listen(kiln_db_pool *p, const char *channel, db_notify_fn fn,
                       void *arg, char *err, size_t errlen)
{
    worker *w = worker_current();
    if (!w) {
        snprintf(err, errlen, "not on a worker thread");
        return NULL;
    }
    if (!p || p->url.kind != DB_POSTGRES) {
        snprintf(err, errlen, "notifications need PostgreSQL");
        return NULL;
    }
    if (!identifier(channel)) {
        snprintf(err, errlen, "bad channel name");
        return NULL;
    }
    if (pq_load(err, errlen) != 0)
        return NULL;
    PGconn *pc = pg_connect(p->url.conninfo, err, errlen);
    if (!pc)
        return NULL;
    char sql[96];
    snprintf(sql, sizeof sql, "LISTEN %s", channel);
    int ok =
        PQsetnonblocking(pc, 1) == 0 && PQsendQuery(pc, sql) && flush(pc) == 0;
    /* its result: wait, yielding, until the command is done */
    bool done = false;
    while (ok && !done) {
        while (ok && PQisBusy(pc)) {
            int r = kiln_wait_fd(PQsocket(pc), KILN_READABLE, 5000);
            ok = r > 0 && PQconsumeInput(pc);
        }
        PGresult *r = ok ? PQgetResult(pc) : NULL;
        if (!r)
            done = true;
        else {
            ok = PQresultStatus(r) == PGRES_COMMAND_OK;
            PQclear(r);
        }
    }
    if (!ok) {
        snprintf(err, errlen, "LISTEN %s: %.*s", channel,
                 (int)strcspn(PQerrorMessage(pc), "\n"), PQerrorMessage(pc));
        PQfinish(pc);
        return NULL;
    }
    db_listener *l = calloc(1, sizeof *l);
    if (!l) {
        PQfinish(pc);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    l->w = w;
    l->pc = pc;
    l->fn = fn;
    l->arg = arg;
    l->alive = true;
    l->io.fd = PQsocket(pc);
    l->io.cb = on_io;
    if (loop_add(&w->loop, &l->io, LOOP_READ, 1) != 0) {
        snprintf(err, errlen, "cannot register the connection");
        listener_free(l);
        return NULL;
    }
    l->registered = true;
    return l;
}

bool db_listener_alive(const db_listener *l)
{
    return l && l->alive;
}

void db_listener_close(db_listener *l)
{
    if (!l)
        return;
    if (l->busy) {
        l->close_asked = true;
        return;
    }
    listener_free(l);
}
