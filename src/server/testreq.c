/*
 * server/testreq.c - requests without a socket: see testreq.h.
 */
#include "server/testreq.h"

#include "server/worker.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The worker and the options it points at, in one allocation. */
typedef struct test_worker {
    worker w; /* first: testreq_end gets it back from the worker */
    kiln_server_opts o;
} test_worker;

worker *testreq_begin(const kiln_app *app, const kiln_server_opts *o)
{
    test_worker *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    kiln_server_opts d;
    kiln_server_opts_default(&d);
    t->o = o ? *o : d;
    t->o.tasks_only = true; /* no listener */
    t->o.workers = 1;
    if (t->o.stack_size == 0)
        t->o.stack_size = d.stack_size;
    if (t->o.max_body <= 0)
        t->o.max_body = d.max_body;
    if (t->o.max_target <= 0)
        t->o.max_target = d.max_target;
    if (t->o.max_header_bytes <= 0)
        t->o.max_header_bytes = d.max_header_bytes;
    if (t->o.max_headers <= 0 || t->o.max_headers > HTTP_MAX_HEADERS)
        t->o.max_headers = d.max_headers;
    if (!t->o.uploads_dir || !t->o.uploads_dir[0]) {
        const char *tmp = getenv("TMPDIR");
        t->o.uploads_dir = tmp && *tmp ? tmp : "/tmp";
    }
    if (worker_init(&t->w, 0, app, &t->o, -1) != 0) {
        kiln_log(KILN_LOG_ERROR, "test worker: cannot start (no loop?)");
        worker_deinit(&t->w);
        free(t);
        return NULL;
    }
    worker_attach(&t->w);
    return &t->w;
}

int testreq_run(worker *w, const char *req, size_t n, int64_t timeout_ms,
                kiln_buf *out)
{
    conn *c = conn_open_memory(w);
    if (!c)
        return KILN_ENOMEM;
    if (kiln_buf_append(&c->in, req, n) != 0) {
        conn_close(c);
        return KILN_ENOMEM;
    }
    worker_update_clock(w);
    int64_t deadline = w->now_ms + timeout_ms;
    conn_run_memory(c);
    while (c->state == CONN_HANDLER && w->now_ms < deadline)
        worker_turn(w, (int)(deadline - w->now_ms));
    int rc = 0;
    if (c->state == CONN_HANDLER) {
        /* its wait (on its stack) leaves the worker's lists first */
        for (waiter *wt = w->waiters; wt; wt = wt->next)
            if (c->ctx && wt->co == c->ctx->co) {
                if (wt->io_armed)
                    loop_del(&w->loop, &wt->io);
                wt->io_armed = false;
                worker_park_cancel(wt);
                break;
            }
        conn_abort(c); /* discards the handler, frees c */
        return KILN_ETIMEDOUT;
    }
    if (c->out.n == 0 && !c->dead) {
        rc = KILN_EPARSE; /* an incomplete head or body: nothing ran */
    } else if (kiln_buf_append(out, c->out.p, c->out.n) != 0) {
        rc = KILN_ENOMEM;
    } else if (c->file_fd >= 0 && c->file_left > 0) {
        /* what sendfile(2) would have sent after the head */
        if (kiln_buf_reserve(out, (size_t)c->file_left) != 0) {
            rc = KILN_ENOMEM;
        } else {
            while (c->file_left > 0) {
                ssize_t r = pread(c->file_fd, out->p + out->n,
                                  (size_t)c->file_left, c->file_off);
                if (r <= 0)
                    break;
                out->n += (size_t)r;
                c->file_left -= r;
                c->file_off += r;
            }
            out->p[out->n] = '\0';
        }
    }
    conn_close(c);
    return rc;
}

void testreq_end(worker *w)
{
    if (!w)
        return;
    while (w->conns)
        conn_abort(w->conns);
    bg_abort_all(w);
    worker_detach(w);
    worker_deinit(w);
    free((test_worker *)w);
}
