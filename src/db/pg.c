/*
 * db/pg.c - the PostgreSQL backend: libpq in non-blocking pipeline mode,
 * driven by the worker's event loop.
 *
 * Each worker has its own small pool of connections (pg_worker). A
 * connection is registered with the worker's loop once (level-triggered
 * read; write interest only while libpq has unsent bytes) and carries a
 * FIFO of operations in flight (pg_op): each is one request's query or
 * batch, sent as its commands followed by a Sync, so an error in one
 * request's statements never touches another's. Requests of one worker
 * share connections outside transactions: their operations are pipelined
 * back to back and their results read in bulk, one round trip for many
 * requests. A transaction pins a connection to its request until it ends.
 *
 * A waiting request is a parked coroutine (worker_park); the loop callback
 * reads results, hands them to the operation at the head of the FIFO and
 * unparks its coroutine at the Sync. Statements are prepared once per
 * connection (name k<N>) in a segment of their own, so a request whose
 * statement fails cannot make another's Prepare fail. A request's BEGIN is
 * not sent on its own: it waits for the transaction's first statement and
 * goes out in front of it, in the same segment (a transaction that runs no
 * statement sends nothing).
 *
 * Connections are made on demand, in the requesting coroutine (every wait
 * yields). A failed attempt starts a backoff (50 ms doubling to 1 s) during
 * which leases fail at once: kiln_db() answers 503 promptly while the
 * database is down and the pool reconnects by itself when it is back.
 *
 * kiln_dbc_open connections (tools) use the same code without a loop:
 * waits block in poll(2) through kiln_wait_fd.
 *
 * libpq itself is loaded when the first PostgreSQL database is opened
 * (db/pq.h): an app that uses only SQLite never links it.
 */
#include "db/db_impl.h"
#include "db/pq.h"

#include "coro/coro.h"
#include "server/worker.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PG_CONNECT_MS 5000   /* giving up on a connection attempt */
#define PG_POOL_WAIT_MS 5000 /* waiting for a connection of a full pool */
#define PG_CACHE_MAX 512     /* prepared statements per connection */
#define PG_GROUP_MAX 64      /* grouped SELECTs per Sync */
#define PG_BACKOFF_MIN 50
#define PG_BACKOFF_MAX 1000

typedef struct pg_conn pg_conn;
typedef struct pg_worker pg_worker;

/* A prepared statement of one connection. */
typedef struct pg_stmt {
    struct pg_stmt *next;
    char *sql; /* malloc'd key */
    uint64_t hash;
    char name[16];
} pg_stmt;

/* One Sync-terminated segment in flight. malloc'd: it may outlive the
   request that sent it (a cancelled request abandons it). */
typedef struct pg_op {
    struct pg_op *next;
    waiter *wt;     /* the parked coroutine, or NULL */
    bool is_prep;   /* a Prepare segment (nobody waits for it) */
    pg_stmt *prep;  /* the statement it prepares (NULL once forgotten) */
    size_t nq, got; /* queries sent, results seen */
    int rc;         /* 0 or the first error */
    bool done;      /* the Sync arrived (or the connection failed) */
    bool abandoned; /* nobody will read it: free on completion */
    bool seg_end;   /* the last operation before a Sync */
    /* a grouped SELECT (see send_op): what it takes to send it again */
    bool grouped;
    char name[16];
    const char *const *vals;
    const int *lens, *fmts;
    int nparams;
    char err[256];
    char sqlstate[6];    /* of the first error, when the server gave one */
    char constraint[64]; /* its constraint name, if any */
    PGresult *res[];     /* nq results */
} pg_op;

struct pg_conn {
    loop_io io;    /* first: the loop hands us &io */
    pg_worker *pw; /* NULL for a tool connection */
    pg_conn *next;
    PGconn *pc;
    pg_op *head, *tail;
    int nops;
    kiln_dbc *pinned; /* the request whose transaction holds it */
    bool registered;  /* io is in the loop */
    bool want_write;
    bool dirty;  /* queued bytes not flushed yet (sent at the turn's end) */
    int group_n; /* grouped operations sent since the last Sync */
    pg_op *rcur; /* the operation receiving results in this segment */
    bool broken;
    int reading;       /* pgc_read is on the stack: free later */
    bool free_pending; /* pgc_drop ran while reading */
    pg_stmt **tab;
    size_t nbuckets, count;
    unsigned next_name;
    /* why the last Prepare failed: the queries that used the statement
       report it instead of "prepared statement does not exist" */
    char prep_err[256];
    int prep_rc;
};

/* A worker's connections to one database. */
struct pg_worker {
    kiln_db_pool *pool;
    worker *w;
    worker_hook hook; /* flushes what the turn queued (pw_turn_end) */
    pg_conn *conns;
    int nconns, connecting;
    int64_t retry_at; /* no new attempt before (backoff) */
    int backoff_ms;
    char last_err[256];
};

typedef struct pg_dbc {
    kiln_dbc base;
    pg_worker *pw; /* NULL for a tool connection */
    pg_conn *own;  /* the tool connection */
    pg_conn *pinned;
    pg_op *inflight; /* the operation this handle waits for */
    /* a request's BEGIN not sent yet: it goes out in front of the
       transaction's first statement, in the same segment (one round trip
       fewer per transaction) */
    bool begin_pending;
} pg_dbc;

typedef struct pg_rows {
    kiln_rows base;
    PGresult *res;
    int row, nrows; /* row: the current one (-1 before the first) */
} pg_rows;

/* ---- statements cache --------------------------------------------------- */

static uint64_t hash_sql(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static pg_stmt *stmt_find(pg_conn *c, const char *sql, uint64_t h)
{
    if (!c->tab)
        return NULL;
    for (pg_stmt *s = c->tab[h % c->nbuckets]; s; s = s->next)
        if (s->hash == h && strcmp(s->sql, sql) == 0)
            return s;
    return NULL;
}

static void stmt_forget(pg_conn *c, pg_stmt *st)
{
    pg_stmt **pp = &c->tab[st->hash % c->nbuckets];
    while (*pp && *pp != st)
        pp = &(*pp)->next;
    if (*pp) {
        *pp = st->next;
        c->count--;
        free(st->sql);
        free(st);
    }
}

/* ---- connections -------------------------------------------------------- */

static void on_io(loop *l, loop_io *io, unsigned ev);

/* Frees every operation in flight on c, results too: nobody waits for
   them any more (shutdown, a closed connection). */
static void ops_free(pg_conn *c)
{
    for (pg_op *op = c->head, *n; op; op = n) {
        n = op->next;
        for (size_t k = 0; k < op->nq; k++)
            PQclear(op->res[k]);
        free(op);
    }
    c->head = c->tail = NULL;
    c->nops = 0;
}

static void pgc_free(pg_conn *c)
{
    if (c->reading) {
        c->free_pending = true;
        return;
    }
    if (c->registered && c->pw)
        loop_del(&c->pw->w->loop, &c->io);
    c->registered = false;
    if (c->pc)
        PQfinish(c->pc);
    c->pc = NULL;
    for (size_t i = 0; c->tab && i < c->nbuckets; i++)
        while (c->tab[i]) {
            pg_stmt *s = c->tab[i];
            c->tab[i] = s->next;
            free(s->sql);
            free(s);
        }
    free(c->tab);
    free(c);
}

static int sqlstate_code(const char *state)
{
    if (!state) /* made by libpq itself: the connection failed */
        return KILN_EUNAVAIL;
    /* 08: connection exception; 57P01-03: shutdown, crash, not yet up */
    if (strncmp(state, "08", 2) == 0 || strcmp(state, "57P01") == 0 ||
        strcmp(state, "57P02") == 0 || strcmp(state, "57P03") == 0)
        return KILN_EUNAVAIL;
    if (strcmp(state, "57014") == 0)
        return KILN_ETIMEDOUT; /* statement_timeout, query_canceled */
    return KILN_EDB;
}

/* Records which constraint SQLSTATE state (class 23) names on db. */
static void pg_violation(kiln_dbc *db, const char *state, const char *name)
{
    db->violation = strcmp(state, "23505") == 0 ? KILN_DB_VIOLATION_UNIQUE
                    : strcmp(state, "23503") == 0
                        ? KILN_DB_VIOLATION_FOREIGN_KEY
                    : strcmp(state, "23502") == 0 ? KILN_DB_VIOLATION_NOT_NULL
                    : strcmp(state, "23514") == 0 ? KILN_DB_VIOLATION_CHECK
                                                  : KILN_DB_VIOLATION_NONE;
    snprintf(db->constraint, sizeof db->constraint, "%s", name);
}

/* Ends op (its Sync arrived or the connection failed): wakes its owner, or
   frees it when abandoned. */
static void op_complete(pg_op *op)
{
    op->done = true;
    if (op->abandoned || op->is_prep) {
        for (size_t i = 0; i < op->nq; i++)
            PQclear(op->res[i]);
        free(op);
        return;
    }
    if (op->wt) {
        waiter *wt = op->wt;
        op->wt = NULL;
        worker_unpark(wt, 0);
    }
}

static void op_fail(pg_op *op, int code, const char *msg)
{
    if (!op->rc) {
        op->rc = code;
        snprintf(op->err, sizeof op->err, "%s", msg);
    }
}

/* Removes c from its worker (if any): nothing new goes to it. */
static void pgc_unlink(pg_conn *c)
{
    pg_worker *pw = c->pw;
    if (!pw)
        return;
    for (pg_conn **pp = &pw->conns; *pp; pp = &(*pp)->next)
        if (*pp == c) {
            *pp = c->next;
            pw->nconns--;
            break;
        }
}

/*
 * The connection is gone: fails every operation in flight, closes the
 * socket. The structure stays while a transaction has it pinned (its
 * handle frees it); otherwise it is freed now. Only from the loop or a
 * tool: it may unpark coroutines.
 */
static void pgc_broken(pg_conn *c, const char *why)
{
    if (c->broken)
        return;
    c->broken = true;
    char msg[256];
    snprintf(msg, sizeof msg, "lost the database connection: %s", why);
    msg[strcspn(msg, "\n")] = '\0'; /* libpq's messages run on */
    kiln_log(KILN_LOG_WARN, "postgres: %s", msg);
    pgc_unlink(c);
    if (c->registered && c->pw)
        loop_del(&c->pw->w->loop, &c->io);
    c->registered = false;
    pg_op *op = c->head;
    c->head = c->tail = NULL;
    c->nops = 0;
    if (c->pc)
        PQfinish(c->pc);
    c->pc = NULL;
    /* completing an operation resumes its coroutine, which may end its
       request and unpin c: keep c alive until the loop is done */
    c->reading++;
    while (op) {
        pg_op *next = op->next;
        op->rc = 0; /* what its unfinished segment said is moot now */
        op_fail(op, KILN_EUNAVAIL, msg);
        op_complete(op);
        op = next;
    }
    c->reading--;
    if (!c->pinned || c->free_pending) {
        c->free_pending = false;
        pgc_free(c);
    }
}

static const char *pq_msg(PGconn *pc)
{
    const char *m = pc ? PQerrorMessage(pc) : "out of memory";
    return m && *m ? m : "connection failed";
}

static void enqueue(pg_conn *c, pg_op *op);

/* Ends the open group of SELECTs with a Sync (see send_op). */
static void close_group(pg_conn *c)
{
    if (c->group_n == 0)
        return;
    c->group_n = 0;
    c->tail->seg_end = true;
    if (!PQpipelineSync(c->pc))
        c->dirty = true; /* the flush at the turn's end sees the error */
}

/* Sends a grouped operation again, alone in its segment. */
static bool resend_alone(pg_conn *c, pg_op *op)
{
    close_group(c);
    op->got = 0;
    op->rc = 0;
    op->err[0] = '\0';
    op->grouped = false;
    op->seg_end = true;
    if (!PQsendQueryPrepared(c->pc, op->name, op->nparams, op->vals, op->lens,
                             op->fmts, 0) ||
        !PQpipelineSync(c->pc))
        return false;
    enqueue(c, op);
    c->dirty = true;
    return true;
}

/*
 * A Sync arrived: the operations of its segment are done. When several
 * requests' SELECTs shared the segment (one implicit transaction) and one
 * failed, none of them is trusted: each is sent again alone, so a request
 * sees only its own statement's outcome.
 */
static void segment_done(pg_conn *c)
{
    pg_op *first = c->head, *last = first;
    size_t n = 1;
    bool failed = first->rc != 0;
    while (!last->seg_end && last->next) {
        last = last->next;
        n++;
        failed |= last->rc != 0;
    }
    c->head = last->next;
    if (!c->head)
        c->tail = NULL;
    c->nops -= (int)n;
    last->next = NULL;
    bool retry = failed && n > 1;
    if (retry)
        kiln_log(KILN_LOG_DEBUG,
                 "postgres: a statement of a group of %zu failed; sending "
                 "them again one by one",
                 n);
    for (pg_op *op = first, *next; op; op = next) {
        next = op->next;
        if (retry && !op->abandoned && op->grouped) {
            for (size_t k = 0; k < op->nq; k++) {
                PQclear(op->res[k]);
                op->res[k] = NULL;
            }
            if (resend_alone(c, op))
                continue;
            op_fail(op, KILN_EUNAVAIL, pq_msg(c->pc));
        }
        op_complete(op);
    }
}

/* Reads what arrived and hands results to the operations in flight.
   Completing an operation resumes its coroutine, which may send more on
   c (never free it: pgc_drop waits for reading to end). */
static void pgc_read(pg_conn *c)
{
    if (!PQconsumeInput(c->pc) || PQstatus(c->pc) == CONNECTION_BAD) {
        pgc_broken(c, pq_msg(c->pc));
        return;
    }
    c->reading++;
    int nulls = 0;
    while (!c->broken && !PQisBusy(c->pc)) {
        PGresult *res = PQgetResult(c->pc);
        if (!res) {
            /* one NULL ends a command's results; two: nothing is left */
            if (++nulls >= 2)
                break;
            continue;
        }
        nulls = 0;
        ExecStatusType st = PQresultStatus(res);
        if (!c->head) { /* nothing asked for it: ignore */
            PQclear(res);
            continue;
        }
        if (st == PGRES_PIPELINE_SYNC) {
            PQclear(res);
            c->rcur = NULL;
            segment_done(c);
            continue;
        }
        /* the operation this result belongs to: results arrive in the
           order of the segment's operations */
        pg_op *op = c->rcur ? c->rcur : c->head;
        while (!op->is_prep && op->got >= op->nq && !op->seg_end && op->next)
            op = op->next;
        c->rcur = op;
        if (st == PGRES_FATAL_ERROR || st == PGRES_NONFATAL_ERROR ||
            st == PGRES_BAD_RESPONSE) {
            const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
            const char *m = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
            const char *det = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
            char msg[256];
            snprintf(msg, sizeof msg, "%s%s%s (SQLSTATE %s)", m ? m : "error",
                     det ? ": " : "", det ? det : "", state ? state : "?");
            if (op->is_prep) {
                snprintf(c->prep_err, sizeof c->prep_err, "%s", msg);
                c->prep_rc = sqlstate_code(state);
            }
            if (!op->is_prep && state && strcmp(state, "26000") == 0 &&
                c->prep_err[0]) {
                op_fail(op, c->prep_rc, c->prep_err);
            } else {
                if (!op->rc && state) {
                    const char *cn =
                        PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
                    snprintf(op->sqlstate, sizeof op->sqlstate, "%s", state);
                    snprintf(op->constraint, sizeof op->constraint, "%s",
                             cn ? cn : "");
                }
                op_fail(op, sqlstate_code(state), msg);
            }
        } else if (st == PGRES_PIPELINE_ABORTED) {
            op_fail(op,
                    PQstatus(c->pc) == CONNECTION_BAD ? KILN_EUNAVAIL
                                                      : KILN_EDB,
                    "an earlier statement failed");
        } else if (!op->is_prep && op->got < op->nq) {
            op->res[op->got++] = res;
            continue;
        }
        if (op->is_prep && st != PGRES_COMMAND_OK && op->prep) {
            stmt_forget(c, op->prep);
            op->prep = NULL;
        }
        if (!op->is_prep && st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
            op->got++;
        PQclear(res);
    }
    c->reading--;
    if (c->free_pending && !c->reading)
        pgc_free(c);
}

static int pgc_flush(pg_conn *c)
{
    int f = PQflush(c->pc);
    if (f < 0)
        return -1;
    bool want = f == 1;
    if (want != c->want_write && c->registered) {
        loop_mod(&c->pw->w->loop, &c->io, LOOP_READ | (want ? LOOP_WRITE : 0),
                 1);
    }
    c->want_write = want;
    return 0;
}

static void on_io(loop *l, loop_io *io, unsigned ev)
{
    (void)l;
    pg_conn *c = (pg_conn *)io;
    if ((ev & LOOP_WRITE) && pgc_flush(c) != 0) {
        pgc_broken(c, pq_msg(c->pc));
        return;
    }
    if (ev & (LOOP_READ | LOOP_ERROR))
        pgc_read(c);
}

/* Server notices (NOTICE, WARNING) go to the log. */
static void on_notice(void *arg, const char *msg)
{
    (void)arg;
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        n--;
    kiln_log(KILN_LOG_DEBUG, "postgres: %.*s", (int)n, msg);
}

/* The end of a loop turn: sends what requests queued during it. */
static void pw_turn_end(void *arg)
{
    pg_worker *pw = arg;
    /* a broken connection resumes its requests, which may queue more */
    for (bool again = true; again;) {
        again = false;
        for (pg_conn *c = pw->conns; c; c = c->next) {
            if (!c->dirty)
                continue;
            c->dirty = false;
            close_group(c);
            if (pgc_flush(c) != 0) {
                pgc_broken(c, pq_msg(c->pc));
                again = true;
                break; /* the list changed */
            }
        }
    }
}

PGconn *pg_connect(const char *conninfo, char *err, size_t errlen)
{
    const char *keys[] = {"options", "fallback_application_name", "dbname",
                          NULL};
    const char *vals[] = {"-c TimeZone=UTC -c DateStyle=ISO,YMD", "kiln",
                          conninfo, NULL};
    PGconn *pc = PQconnectStartParams(keys, vals, 1);
    if (pc)
        PQsetNoticeProcessor(pc, on_notice, NULL);
    if (!pc || PQstatus(pc) == CONNECTION_BAD) {
        snprintf(err, errlen, "%s", pq_msg(pc));
        PQfinish(pc);
        return NULL;
    }
    int64_t deadline = kiln_now_ms() + PG_CONNECT_MS;
    PostgresPollingStatusType ps = PGRES_POLLING_WRITING;
    while (ps != PGRES_POLLING_OK) {
        if (ps == PGRES_POLLING_FAILED) {
            snprintf(err, errlen, "%s", pq_msg(pc));
            PQfinish(pc);
            return NULL;
        }
        int64_t left = deadline - kiln_now_ms();
        int r = left <= 0
                    ? KILN_ETIMEDOUT
                    : kiln_wait_fd(PQsocket(pc),
                                   ps == PGRES_POLLING_READING ? KILN_READABLE
                                                               : KILN_WRITABLE,
                                   left);
        if (r < 0) {
            snprintf(err, errlen, "connecting: %s",
                     r == KILN_ETIMEDOUT ? "timed out" : kiln_strerror(r));
            PQfinish(pc);
            return NULL;
        }
        ps = PQconnectPoll(pc);
    }
    return pc;
}

/* Connects (every wait yields in a coroutine; blocks in a tool). */
static pg_conn *pgc_new(const char *conninfo, char *err, size_t errlen)
{
    PGconn *pc = pg_connect(conninfo, err, errlen);
    if (!pc)
        return NULL;
    if (PQsetnonblocking(pc, 1) != 0 || PQenterPipelineMode(pc) != 1) {
        snprintf(err, errlen, "%s", pq_msg(pc));
        PQfinish(pc);
        return NULL;
    }
    pg_conn *c = calloc(1, sizeof *c);
    if (c) {
        c->nbuckets = 64;
        c->tab = calloc(c->nbuckets, sizeof *c->tab);
    }
    if (!c || !c->tab) {
        free(c);
        PQfinish(pc);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->pc = pc;
    c->io.fd = PQsocket(pc);
    c->io.cb = on_io;
    return c;
}

/* A new connection for pw, registered with its loop. */
static pg_conn *worker_connect(pg_worker *pw, char *err, size_t errlen)
{
    pw->connecting++;
    pg_conn *c = pgc_new(pw->pool->url.conninfo, err, errlen);
    pw->connecting--;
    if (!c) {
        int64_t now = kiln_now_ms();
        pw->backoff_ms = pw->backoff_ms ? pw->backoff_ms * 2 : PG_BACKOFF_MIN;
        if (pw->backoff_ms > PG_BACKOFF_MAX)
            pw->backoff_ms = PG_BACKOFF_MAX;
        pw->retry_at = now + pw->backoff_ms;
        snprintf(pw->last_err, sizeof pw->last_err, "%s", err);
        return NULL;
    }
    c->pw = pw;
    if (loop_add(&pw->w->loop, &c->io, LOOP_READ, 1) != 0) {
        snprintf(err, errlen, "cannot register the connection");
        pgc_free(c);
        return NULL;
    }
    c->registered = true;
    if (pw->backoff_ms)
        kiln_log(KILN_LOG_INFO, "postgres: connected again");
    pw->backoff_ms = 0;
    pw->retry_at = 0;
    c->next = pw->conns;
    pw->conns = c;
    pw->nconns++;
    return c;
}

/* The unpinned connection with the fewest operations in flight. */
static pg_conn *least_busy(pg_worker *pw)
{
    pg_conn *best = NULL;
    for (pg_conn *c = pw->conns; c; c = c->next)
        if (!c->pinned && !c->broken && (!best || c->nops < best->nops))
            best = c;
    return best;
}

/*
 * A connection for the next operation of d: its pinned one, or a shared
 * one (opening another while the pool has room and all are busy). With
 * pin, the connection becomes d's until unpinned. NULL with db->err set.
 */
static pg_conn *pick(pg_dbc *d, bool pin)
{
    pg_conn *mine = d->own ? d->own : d->pinned;
    if (mine) {
        if (mine->broken)
            db_set_err(&d->base, KILN_EUNAVAIL, "lost the database connection");
        return mine->broken ? NULL : mine;
    }
    pg_worker *pw = d->pw;
    int64_t start = kiln_now_ms();
    for (;;) {
        pg_conn *c = least_busy(pw);
        /* a SELECT group open this turn takes more (see send_op) */
        for (pg_conn *g = pw->conns; g && !pin; g = g->next)
            if (!g->pinned && !g->broken && g->group_n > 0) {
                c = g;
                break;
            }
        bool room = pw->nconns + pw->connecting < pw->pool->max_per_worker;
        if (c && (c->nops == 0 || c->group_n > 0 || !room)) {
            /* a transaction must not strand the last shared connection
               when others could be opened */
            if (pin)
                c->pinned = &d->base;
            if (pin)
                d->pinned = c;
            return c;
        }
        if (room) {
            if (!c && kiln_now_ms() < pw->retry_at) {
                db_set_err(&d->base, KILN_EUNAVAIL, "%s", pw->last_err);
                return NULL;
            }
            char err[256];
            pg_conn *n = worker_connect(pw, err, sizeof err);
            if (n) {
                if (pin) {
                    n->pinned = &d->base;
                    d->pinned = n;
                }
                return n;
            }
            /* connecting yielded: what c pointed to may be gone */
            c = least_busy(pw);
            if (c) {
                if (pin) {
                    c->pinned = &d->base;
                    d->pinned = c;
                }
                return c;
            }
            db_set_err(&d->base, KILN_EUNAVAIL, "%s", err);
            return NULL;
        }
        /* every connection is pinned and the pool is full: wait */
        if (kiln_now_ms() - start >= PG_POOL_WAIT_MS) {
            db_set_err(&d->base, KILN_EUNAVAIL,
                       "no database connection free in this worker "
                       "(pool of %d, all in transactions)",
                       pw->pool->max_per_worker);
            return NULL;
        }
        int r = kiln_sleep_ms(2);
        if (r != 0) {
            db_set_err(&d->base, r, "cancelled");
            return NULL;
        }
    }
}

/* ---- sending and waiting ----------------------------------------------- */

static void enqueue(pg_conn *c, pg_op *op)
{
    op->next = NULL;
    if (c->tail)
        c->tail->next = op;
    else
        c->head = op;
    c->tail = op;
    c->nops++;
}

/* Converts params to libpq's text (or binary, for blobs) form. */
static int to_values(kiln_dbc *db, const kiln_db_param *p, size_t n,
                     const char ***vals, int **lens, int **fmts)
{
    *vals = NULL;
    *lens = *fmts = NULL;
    if (n == 0)
        return 0;
    kiln_arena *a = db->arena;
    const char **v = kiln_arena_alloc(a, n * sizeof *v);
    int *l = kiln_arena_alloc(a, n * sizeof *l);
    int *f = kiln_arena_alloc(a, n * sizeof *f);
    if (!v || !l || !f)
        return db_set_err(db, KILN_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        l[i] = 0;
        f[i] = 0;
        switch (p[i].type) {
        case KILN_DB_NULL:
            v[i] = NULL;
            break;
        case KILN_DB_INT:
            v[i] = kiln_arena_printf(a, "%lld", (long long)p[i].v.i);
            break;
        case KILN_DB_FLOAT:
            v[i] = kiln_arena_printf(a, "%.17g", p[i].v.f);
            break;
        case KILN_DB_BOOL:
            v[i] = p[i].v.b ? "t" : "f";
            break;
        case KILN_DB_TIME: {
            char *t = kiln_arena_alloc(a, 40);
            if (t)
                db_time_format(p[i].v.i, t);
            v[i] = t;
            break;
        }
        case KILN_DB_TEXT:
            if (!p[i].v.s.p) {
                v[i] = NULL;
                break;
            }
            if (memchr(p[i].v.s.p, '\0', p[i].v.s.n))
                return db_set_err(db, KILN_EINVAL,
                                  "parameter $%zu: text with a NUL byte "
                                  "(PostgreSQL text cannot hold one; use a "
                                  "blob)",
                                  i + 1);
            if (p[i].v.s.n > 0x7fffffff)
                return db_set_err(db, KILN_ELIMIT, "parameter $%zu too long",
                                  i + 1);
            v[i] = kiln_arena_strndup(a, p[i].v.s.p, p[i].v.s.n);
            break;
        case KILN_DB_BLOB:
            if (!p[i].v.s.p) {
                v[i] = NULL;
                break;
            }
            if (p[i].v.s.n > 0x7fffffff)
                return db_set_err(db, KILN_ELIMIT, "parameter $%zu too long",
                                  i + 1);
            v[i] = p[i].v.s.n ? p[i].v.s.p : "";
            l[i] = (int)p[i].v.s.n;
            f[i] = 1;
            break;
        }
        if (!v[i] && p[i].type != KILN_DB_NULL &&
            !((p[i].type == KILN_DB_TEXT || p[i].type == KILN_DB_BLOB) &&
              !p[i].v.s.p))
            return db_set_err(db, KILN_ENOMEM, "out of memory");
    }
    *vals = v;
    *lens = l;
    *fmts = f;
    return 0;
}

/* Makes sure sql is prepared on c (sending a Prepare segment first if
   not). Returns the statement, or NULL to send it unnamed (cache full). */
static int prepare(pg_conn *c, const char *sql, size_t nparams, pg_stmt **out)
{
    uint64_t h = hash_sql(sql);
    pg_stmt *s = stmt_find(c, sql, h);
    if (s) {
        *out = s;
        return 0;
    }
    *out = NULL;
    if (c->count >= PG_CACHE_MAX)
        return 0;
    pg_op *op = calloc(1, sizeof *op);
    s = calloc(1, sizeof *s);
    if (s)
        s->sql = strdup(sql);
    if (!op || !s || !s->sql) {
        free(op);
        if (s)
            free(s->sql);
        free(s);
        return 0;
    }
    s->hash = h;
    snprintf(s->name, sizeof s->name, "k%u", c->next_name++);
    if (!PQsendPrepare(c->pc, s->name, sql, (int)nparams, NULL) ||
        !PQpipelineSync(c->pc)) {
        free(op);
        free(s->sql);
        free(s);
        return KILN_EUNAVAIL;
    }
    s->next = c->tab[h % c->nbuckets];
    c->tab[h % c->nbuckets] = s;
    c->count++;
    op->is_prep = true;
    op->prep = s;
    op->seg_end = true;
    enqueue(c, op);
    *out = s;
    return 0;
}

/* True for a statement that starts with SELECT. */
static bool is_select(const char *sql)
{
    while (*sql == ' ' || *sql == '\t' || *sql == '\n' || *sql == '\r' ||
           *sql == '(')
        sql++;
    return strncasecmp(sql, "select", 6) == 0 &&
           !(isalnum((unsigned char)sql[6]) || sql[6] == '_');
}

/* Sends the queries of one operation on c (Prepares first where needed).
   On failure op is freed or left to the connection (abandoned). */
static int send_op(pg_dbc *d, pg_conn *c, pg_op *op, const char *const *sqls,
                   const kiln_db_param *const *params, const size_t *nparams,
                   size_t nq)
{
    kiln_dbc *db = &d->base;
    const char ***v = kiln_arena_alloc(db->arena, nq * sizeof *v);
    int **l = kiln_arena_alloc(db->arena, nq * sizeof *l);
    int **f = kiln_arena_alloc(db->arena, nq * sizeof *f);
    if (!v || !l || !f) {
        free(op);
        return db_set_err(db, KILN_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < nq; i++) {
        int rc = to_values(db, params[i], nparams[i], &v[i], &l[i], &f[i]);
        if (rc != 0) {
            free(op);
            return rc;
        }
    }
    pg_stmt *gs = c->pw && !c->pinned && nq == 1 && is_select(sqls[0])
                      ? stmt_find(c, sqls[0], hash_sql(sqls[0]))
                      : NULL;
    if (gs) {
        /*
         * A SELECT outside a transaction, already prepared here: it joins
         * the group of this turn's SELECTs on c, ended by one Sync at the
         * turn's end (pw_turn_end): fewer round trips for the server. A
         * group is one implicit transaction; segment_done re-sends every
         * member alone when any of them failed.
         */
        if (!PQsendQueryPrepared(c->pc, gs->name, (int)nparams[0], v[0], l[0],
                                 f[0], 0)) {
            free(op);
            return db_set_err(db, KILN_EUNAVAIL, "%s", pq_msg(c->pc));
        }
        op->grouped = true;
        memcpy(op->name, gs->name, sizeof op->name);
        op->vals = v[0];
        op->lens = l[0];
        op->fmts = f[0];
        op->nparams = (int)nparams[0];
        enqueue(c, op);
        c->dirty = true;
        if (++c->group_n >= PG_GROUP_MAX)
            close_group(c);
        return 0;
    }
    close_group(c);
    for (size_t i = 0; i < nq; i++) {
        pg_stmt *s = NULL;
        if (prepare(c, sqls[i], nparams[i], &s) != 0) {
            free(op);
            return db_set_err(db, KILN_EUNAVAIL, "%s", pq_msg(c->pc));
        }
    }
    for (size_t i = 0; i < nq; i++) {
        pg_stmt *s = stmt_find(c, sqls[i], hash_sql(sqls[i]));
        int ok = s ? PQsendQueryPrepared(c->pc, s->name, (int)nparams[i], v[i],
                                         l[i], f[i], 0)
                   : PQsendQueryParams(c->pc, sqls[i], (int)nparams[i], NULL,
                                       v[i], l[i], f[i], 0);
        if (!ok) {
            free(op);
            return db_set_err(db, KILN_EUNAVAIL, "%s", pq_msg(c->pc));
        }
    }
    if (!PQpipelineSync(c->pc)) {
        free(op);
        return db_set_err(db, KILN_EUNAVAIL, "%s", pq_msg(c->pc));
    }
    op->seg_end = true;
    enqueue(c, op);
    if (c->pw) {
        /* requests of this loop turn go out together (pw_turn_end) */
        c->dirty = true;
        return 0;
    }
    if (pgc_flush(c) != 0) {
        op->abandoned = true;
        return db_set_err(db, KILN_EUNAVAIL, "%s", pq_msg(c->pc));
    }
    return 0;
}

/* Waits for op; on return it is done (or abandoned: rc < 0, not ours). */
static int wait_op(pg_dbc *d, pg_conn *c, pg_op *op)
{
    if (!c->pw || !coro_current()) {
        /* a tool connection, or no coroutine: drive the socket here */
        while (!op->done && !c->broken) {
            int ev = KILN_READABLE | (c->want_write ? KILN_WRITABLE : 0);
            int r = kiln_wait_fd(PQsocket(c->pc), ev, -1);
            if (r < 0) {
                pgc_broken(c, "waiting for the server failed");
                break;
            }
            if ((r & KILN_WRITABLE) && pgc_flush(c) != 0) {
                pgc_broken(c, pq_msg(c->pc));
                break;
            }
            if (r & KILN_READABLE)
                pgc_read(c);
        }
        return 0;
    }
    waiter wt;
    d->inflight = op;
    while (!op->done) {
        op->wt = &wt;
        int r = worker_park(&wt, -1);
        if (r < 0 && !op->done) {
            op->wt = NULL;
            op->abandoned = true;
            d->inflight = NULL;
            return db_set_err(&d->base, r,
                              "cancelled while waiting for the database");
        }
    }
    d->inflight = NULL;
    return 0;
}

/* Runs nq queries as one operation; results into out[] (rows). */
static int run(pg_dbc *d, const char *const *sqls,
               const kiln_db_param *const *params, const size_t *nparams,
               size_t nq, kiln_rows **out)
{
    kiln_dbc *db = &d->base;
    pg_conn *c = pick(d, false);
    if (!c)
        return db->last_rc ? db->last_rc : KILN_EUNAVAIL;
    /* a pending BEGIN goes first; its result is dropped below */
    size_t skip = d->begin_pending ? 1 : 0;
    if (skip) {
        const char **s2 = kiln_arena_alloc(db->arena, (nq + 1) * sizeof *s2);
        const kiln_db_param **p2 =
            kiln_arena_alloc(db->arena, (nq + 1) * sizeof *p2);
        size_t *n2 = kiln_arena_alloc(db->arena, (nq + 1) * sizeof *n2);
        if (!s2 || !p2 || !n2)
            return db_set_err(db, KILN_ENOMEM, "out of memory");
        s2[0] = "BEGIN";
        p2[0] = NULL;
        n2[0] = 0;
        memcpy(s2 + 1, sqls, nq * sizeof *s2);
        memcpy(p2 + 1, params, nq * sizeof *p2);
        memcpy(n2 + 1, nparams, nq * sizeof *n2);
        sqls = s2;
        params = p2;
        nparams = n2;
        nq++;
    }
    pg_op *op = calloc(1, sizeof *op + nq * sizeof(PGresult *));
    if (!op)
        return db_set_err(db, KILN_ENOMEM, "out of memory");
    op->nq = nq;
    int rc = send_op(d, c, op, sqls, params, nparams, nq);
    if (rc != 0)
        return rc;
    d->begin_pending = false;
    rc = wait_op(d, c, op);
    if (rc != 0)
        return rc;
    if (!op->done) { /* broken while driving a tool connection */
        op->abandoned = true;
        return db_set_err(db, KILN_EUNAVAIL, "lost the database connection");
    }
    rc = op->rc;
    if (rc) {
        db_set_err(db, rc, "%s", op->err);
        pg_violation(db, op->sqlstate, op->constraint);
    }
    if (skip && op->res[0]) {
        PQclear(op->res[0]);
        op->res[0] = NULL;
    }
    for (size_t k = skip; k < nq; k++) {
        size_t i = k - skip;
        PGresult *res = op->res[k];
        op->res[k] = NULL;
        if (!res) {
            out[i] = NULL;
            continue;
        }
        pg_rows *r = kiln_arena_calloc(db->arena, sizeof *r);
        if (!r) {
            PQclear(res);
            out[i] = NULL;
            if (!rc)
                rc = db_set_err(db, KILN_ENOMEM, "out of memory");
            continue;
        }
        r->base.db = db;
        r->res = res;
        r->row = -1;
        r->nrows = PQntuples(res);
        const char *ct = PQcmdTuples(res);
        r->base.changes = ct && *ct ? strtoll(ct, NULL, 10) : 0;
        out[i] = &r->base;
    }
    free(op);
    return rc;
}

/* ---- the backend ops ------------------------------------------------------
 */

static int pg_pool_new(kiln_db_pool *p, char *err, size_t errlen)
{
    int rc = pq_load(err, errlen);
    if (rc)
        return rc;
    /* a malformed URL is an error now; an unreachable server is not */
    char *e = NULL;
    PQconninfoOption *o = PQconninfoParse(p->url.conninfo, &e);
    if (!o) {
        snprintf(err, errlen, "bad PostgreSQL URL: %s",
                 e ? e : "out of memory");
        if (e) {
            size_t n = strlen(err);
            while (n && (err[n - 1] == '\n' || err[n - 1] == ' '))
                err[--n] = '\0';
        }
        PQfreemem(e);
        return KILN_EINVAL;
    }
    PQconninfoFree(o);
    return 0;
}

/* Frees a worker's state after its loop is gone (nothing is waiting). */
static void pw_free(pg_worker *pw)
{
    while (pw->conns) {
        pg_conn *c = pw->conns;
        pw->conns = c->next;
        c->registered = false;
        ops_free(c);
        c->pinned = NULL;
        pgc_free(c);
    }
    free(pw);
}

static void pg_pool_free(kiln_db_pool *p)
{
    for (int i = 0; i < DB_MAX_WORKERS; i++) {
        if (p->per_worker[i])
            pw_free(p->per_worker[i]);
        p->per_worker[i] = NULL;
    }
}

static kiln_dbc *pg_open(const db_url *u, char *err, size_t errlen)
{
    if (pq_load(err, errlen) != 0)
        return NULL;
    pg_conn *c = pgc_new(u->conninfo, err, errlen);
    if (!c)
        return NULL;
    pg_dbc *d = calloc(1, sizeof *d);
    if (!d) {
        pgc_free(c);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    d->base.ops = &db_pg_ops;
    kiln_arena_init(&d->base.own, 8192);
    d->base.arena = &d->base.own;
    d->own = c;
    c->pinned = &d->base;
    return &d->base;
}

static void pg_close(kiln_dbc *db)
{
    pg_dbc *d = (pg_dbc *)db;
    pg_conn *c = d->own;
    /* operations still in flight belong to nobody now */
    ops_free(c);
    pgc_free(c);
    kiln_arena_deinit(&db->own);
    free(d);
}

static kiln_dbc *pg_lease(kiln_db_pool *p, kiln_ctx *ctx, char *err,
                          size_t errlen)
{
    worker *w = worker_current();
    if (!w || w->id < 0 || w->id >= DB_MAX_WORKERS) {
        snprintf(err, errlen, "not on a worker thread");
        return NULL;
    }
    pg_worker *pw = p->per_worker[w->id];
    if (pw && pw->w != w) {
        /* a new server run reuses the slot: the old loop is gone */
        pw_free(pw);
        p->per_worker[w->id] = NULL;
        pw = NULL;
    }
    if (!pw) {
        pw = calloc(1, sizeof *pw);
        if (!pw) {
            snprintf(err, errlen, "out of memory");
            return NULL;
        }
        pw->pool = p;
        pw->w = w;
        pw->hook.fn = pw_turn_end;
        pw->hook.arg = pw;
        worker_hook_add(w, &pw->hook);
        p->per_worker[w->id] = pw;
    }
    /* no connection and still backing off: fail at once */
    bool any = false;
    for (pg_conn *c = pw->conns; c && !any; c = c->next)
        any = !c->broken;
    if (!any && kiln_now_ms() < pw->retry_at) {
        snprintf(err, errlen, "%s", pw->last_err);
        return NULL;
    }
    pg_dbc *d = kiln_alloc(ctx, sizeof *d);
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    memset(d, 0, sizeof *d);
    d->base.ops = &db_pg_ops;
    d->base.arena = kiln_ctx_arena(ctx);
    d->pw = pw;
    if (!any) {
        /* connect now, so a down database is a 503 from kiln_db() */
        pg_conn *c = pick(d, false);
        if (!c) {
            snprintf(err, errlen, "%s", d->base.err);
            return NULL;
        }
    }
    return &d->base;
}

static void unpin(pg_dbc *d)
{
    d->begin_pending = false;
    pg_conn *c = d->pinned;
    if (!c)
        return;
    d->pinned = NULL;
    c->pinned = NULL;
    if (c->broken)
        pgc_free(c);
}

/* Closes a connection that must not be reused (a transaction that could
   not be rolled back): the server rolls back when it goes. */
static void pgc_drop(pg_conn *c)
{
    pgc_unlink(c);
    if (c->registered && c->pw)
        loop_del(&c->pw->w->loop, &c->io);
    c->registered = false;
    ops_free(c);
    c->broken = true;
    c->pinned = NULL;
    if (c->pc)
        PQfinish(c->pc);
    c->pc = NULL;
    pgc_free(c);
}

static void pg_release(kiln_dbc *db, int rc)
{
    pg_dbc *d = (pg_dbc *)db;
    if (d->inflight) {
        d->inflight->wt = NULL;
        d->inflight->abandoned = true;
        d->inflight = NULL;
    }
    pg_conn *c = d->pinned;
    if (c && !c->broken && (rc == KILN_ECANCELED || db->depth > 0)) {
        d->pinned = NULL;
        pgc_drop(c);
        return;
    }
    unpin(d);
}

static kiln_rows *pg_query(kiln_dbc *db, const char *sql,
                           const kiln_db_param *params, size_t n)
{
    kiln_rows *r = NULL;
    int rc = run((pg_dbc *)db, &sql, &params, &n, 1, &r);
    if (rc != 0) {
        if (r)
            db->ops->rows_close(r);
        return NULL;
    }
    return r;
}

static int64_t pg_exec(kiln_dbc *db, const char *sql,
                       const kiln_db_param *params, size_t n)
{
    kiln_rows *r = NULL;
    int rc = run((pg_dbc *)db, &sql, &params, &n, 1, &r);
    int64_t k = r ? r->changes : 0;
    if (r)
        db->ops->rows_close(r);
    return rc != 0 ? rc : k;
}

static int pg_batch_run(kiln_db_batch *b)
{
    kiln_dbc *db = b->db;
    const char **sqls = kiln_arena_alloc(db->arena, b->n * sizeof *sqls);
    const kiln_db_param **ps = kiln_arena_alloc(db->arena, b->n * sizeof *ps);
    size_t *ns = kiln_arena_alloc(db->arena, b->n * sizeof *ns);
    kiln_rows **out = kiln_arena_alloc(db->arena, b->n * sizeof *out);
    if (!sqls || !ps || !ns || !out)
        return db_set_err(db, KILN_ENOMEM, "out of memory");
    for (size_t i = 0; i < b->n; i++) {
        sqls[i] = b->items[i].sql;
        ps[i] = b->items[i].params;
        ns[i] = b->items[i].nparams;
        out[i] = NULL;
    }
    int rc = run((pg_dbc *)db, sqls, ps, ns, b->n, out);
    for (size_t i = 0; i < b->n; i++)
        b->items[i].rows = out[i];
    return rc;
}

static int pg_tx(kiln_dbc *db, enum db_tx step)
{
    pg_dbc *d = (pg_dbc *)db;
    int depth = db->depth;
    char sql[2][64];
    size_t nq = 1;
    if (step == DB_BEGIN) {
        if (depth == 0 && !d->own) {
            if (!pick(d, true))
                return db->last_rc ? db->last_rc : KILN_EUNAVAIL;
            d->begin_pending = true; /* sent with the first statement */
            return 0;
        }
        if (depth == 0)
            snprintf(sql[0], sizeof sql[0], "BEGIN");
        else
            snprintf(sql[0], sizeof sql[0], "SAVEPOINT kiln_s%d", depth);
    } else if (depth == 1 && d->begin_pending) {
        /* nothing was sent: there is nothing to end */
        d->begin_pending = false;
        unpin(d);
        return 0;
    } else if (step == DB_COMMIT) {
        if (depth == 1)
            snprintf(sql[0], sizeof sql[0], "COMMIT");
        else
            snprintf(sql[0], sizeof sql[0], "RELEASE SAVEPOINT kiln_s%d",
                     depth - 1);
    } else {
        if (depth == 1)
            snprintf(sql[0], sizeof sql[0], "ROLLBACK");
        else {
            snprintf(sql[0], sizeof sql[0], "ROLLBACK TO SAVEPOINT kiln_s%d",
                     depth - 1);
            snprintf(sql[1], sizeof sql[1], "RELEASE SAVEPOINT kiln_s%d",
                     depth - 1);
            nq = 2;
        }
    }
    const char *sqls[2] = {sql[0], sql[1]};
    const kiln_db_param *ps[2] = {NULL, NULL};
    size_t ns[2] = {0, 0};
    kiln_rows *out[2] = {NULL, NULL};
    int rc = run(d, sqls, ps, ns, nq, out);
    if (rc == 0 && step == DB_COMMIT && depth == 1 && out[0] &&
        strcmp(PQcmdStatus(((pg_rows *)out[0])->res), "ROLLBACK") == 0)
        rc = db_set_err(db, KILN_EDB,
                        "COMMIT rolled back: a statement of the transaction "
                        "had failed");
    for (size_t i = 0; i < nq; i++)
        if (out[i])
            db->ops->rows_close(out[i]);
    if (step == DB_BEGIN && depth == 0 && rc != 0 && !d->own)
        unpin(d);
    if (step != DB_BEGIN && depth == 1 && !d->own)
        unpin(d);
    return rc;
}

static int pg_script(kiln_dbc *db, const char *sql, size_t *err_off)
{
    pg_dbc *d = (pg_dbc *)db;
    *err_off = (size_t)-1;
    pg_conn *c = d->own;
    if (!c || c->broken || c->head)
        return db_set_err(db, KILN_ESTATE,
                          "scripts run on an idle kiln_dbc_open connection");
    /* the simple-query protocol (several statements) is not allowed in
       pipeline mode: leave it for the script */
    if (!PQexitPipelineMode(c->pc))
        return db_set_err(db, KILN_EDB, "%s", pq_msg(c->pc));
    PGresult *res = PQexec(c->pc, sql);
    int rc = 0;
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK &&
        st != PGRES_EMPTY_QUERY) {
        const char *state =
            res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
        const char *m =
            res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
        const char *pos =
            res ? PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION) : NULL;
        if (pos) {
            /* a 1-based character position: count UTF-8 characters */
            long want = strtol(pos, NULL, 10) - 1, chars = 0;
            size_t i = 0;
            for (; sql[i]; i++) {
                if (((unsigned char)sql[i] & 0xc0) == 0x80)
                    continue; /* inside a character */
                if (chars == want)
                    break;
                chars++;
            }
            *err_off = i;
        }
        rc = db_set_err(db, sqlstate_code(state), "%s (SQLSTATE %s)",
                        m ? m : pq_msg(c->pc), state ? state : "?");
    }
    PQclear(res);
    while ((res = PQgetResult(c->pc)))
        PQclear(res);
    if (PQenterPipelineMode(c->pc) != 1)
        pgc_broken(c, pq_msg(c->pc));
    return rc;
}

/* ---- rows --------------------------------------------------------------- */

static bool pg_next(kiln_rows *rr)
{
    pg_rows *r = (pg_rows *)rr;
    if (!r->res || r->row + 1 >= r->nrows) {
        rr->has_row = false;
        return false;
    }
    r->row++;
    rr->has_row = true;
    return true;
}

static void pg_rows_close(kiln_rows *rr)
{
    pg_rows *r = (pg_rows *)rr;
    PQclear(r->res);
    r->res = NULL;
    rr->has_row = false;
}

static int pg_ncols(const kiln_rows *rr)
{
    const pg_rows *r = (const pg_rows *)rr;
    return r->res ? PQnfields(r->res) : 0;
}

static const char *pg_colname(const kiln_rows *rr, int i)
{
    const pg_rows *r = (const pg_rows *)rr;
    return PQfname(r->res, i);
}

static bool pg_is_null(kiln_rows *rr, int i)
{
    pg_rows *r = (pg_rows *)rr;
    return PQgetisnull(r->res, r->row, i);
}

static kiln_db_type pg_col_type(kiln_rows *rr, int i)
{
    /* the built-in type OIDs (pg_type.dat; stable across versions) */
    switch (PQftype(((pg_rows *)rr)->res, i)) {
    case 20: /* int8 */
    case 21: /* int2 */
    case 23: /* int4 */
    case 26: /* oid */
        return KILN_DB_INT;
    case 700:  /* float4 */
    case 701:  /* float8 */
    case 1700: /* numeric */
        return KILN_DB_FLOAT;
    case 16: /* bool */
        return KILN_DB_BOOL;
    case 17: /* bytea */
        return KILN_DB_BLOB;
    case 1082: /* date */
    case 1114: /* timestamp */
    case 1184: /* timestamptz */
        return KILN_DB_TIME;
    default:
        return KILN_DB_TEXT;
    }
}

static const char *val(kiln_rows *rr, int i)
{
    pg_rows *r = (pg_rows *)rr;
    return PQgetisnull(r->res, r->row, i) ? NULL
                                          : PQgetvalue(r->res, r->row, i);
}

static int64_t pg_get_int(kiln_rows *rr, int i)
{
    const char *v = val(rr, i);
    if (!v)
        return 0;
    if (v[0] == 't' && v[1] == '\0')
        return 1;
    return strtoll(v, NULL, 10);
}

static double pg_get_float(kiln_rows *rr, int i)
{
    const char *v = val(rr, i);
    return v ? strtod(v, NULL) : 0;
}

static bool pg_get_bool(kiln_rows *rr, int i)
{
    const char *v = val(rr, i);
    return v && (v[0] == 't' || (v[0] >= '1' && v[0] <= '9'));
}

static kiln_str pg_get_text(kiln_rows *rr, int i)
{
    pg_rows *r = (pg_rows *)rr;
    const char *v = val(rr, i);
    if (!v)
        return KILN_STR_NULL;
    size_t n = (size_t)PQgetlength(r->res, r->row, i);
    char *s = kiln_arena_strndup(rr->db->arena, v, n);
    return s ? (kiln_str){s, n} : KILN_STR_NULL;
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

static kiln_str pg_get_blob(kiln_rows *rr, int i)
{
    pg_rows *r = (pg_rows *)rr;
    const char *v = val(rr, i);
    if (!v)
        return KILN_STR_NULL;
    size_t n = (size_t)PQgetlength(r->res, r->row, i);
    if (PQftype(r->res, i) != 17 /* bytea */)
        return pg_get_text(rr, i);
    if (n >= 2 && v[0] == '\\' && v[1] == 'x') {
        size_t m = (n - 2) / 2;
        char *out = kiln_arena_alloc(rr->db->arena, m + 1);
        if (!out)
            return KILN_STR_NULL;
        for (size_t k = 0; k < m; k++) {
            int hi = hexval(v[2 + 2 * k]), lo = hexval(v[3 + 2 * k]);
            if (hi < 0 || lo < 0)
                return KILN_STR_NULL;
            out[k] = (char)(hi << 4 | lo);
        }
        out[m] = '\0';
        return (kiln_str){out, m};
    }
    size_t m = 0;
    unsigned char *u = PQunescapeBytea((const unsigned char *)v, &m);
    if (!u)
        return KILN_STR_NULL;
    char *out = kiln_arena_strndup(rr->db->arena, (const char *)u, m);
    PQfreemem(u);
    return out ? (kiln_str){out, m} : KILN_STR_NULL;
}

static int64_t pg_get_time(kiln_rows *rr, int i)
{
    pg_rows *r = (pg_rows *)rr;
    const char *v = val(rr, i);
    if (!v)
        return 0;
    int64_t us = 0;
    kiln_str s = {v, (size_t)PQgetlength(r->res, r->row, i)};
    if (db_time_parse(s, &us) != 0) {
        db_set_err(rr->db, KILN_EPARSE, "column %d is not a timestamp", i);
        return 0;
    }
    return us;
}

const db_ops db_pg_ops = {
    .name = "postgres",
    .pool_new = pg_pool_new,
    .pool_free = pg_pool_free,
    .open = pg_open,
    .close = pg_close,
    .lease = pg_lease,
    .release = pg_release,
    .query = pg_query,
    .exec = pg_exec,
    .batch_run = pg_batch_run,
    .tx = pg_tx,
    .script = pg_script,
    .next = pg_next,
    .rows_close = pg_rows_close,
    .ncols = pg_ncols,
    .colname = pg_colname,
    .is_null = pg_is_null,
    .col_type = pg_col_type,
    .get_int = pg_get_int,
    .get_float = pg_get_float,
    .get_bool = pg_get_bool,
    .get_text = pg_get_text,
    .get_blob = pg_get_blob,
    .get_time = pg_get_time,
};
