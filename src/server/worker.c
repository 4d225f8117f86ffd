/*
 * server/worker.c - one worker thread: its loop, listener, timers, pools,
 * and the waiting calls of kiln/http.h (kiln_wait_fd, kiln_sleep_ms) that
 * suspend a handler's coroutine until its fd or deadline is ready.
 */
#include "server/worker.h"

#include "http/status.h"
#include "pubsub/pubsub.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

static _Thread_local worker *current_worker;

worker *worker_current(void)
{
    return current_worker;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t kiln_now_ms(void)
{
    worker *w = current_worker;
    return w ? w->now_ms : mono_ms();
}

void worker_update_clock(worker *w)
{
    w->now_ms = mono_ms();
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    if (ts.tv_sec != w->date_sec) {
        char d[HTTP_DATE_LEN + 1];
        w->date_sec = ts.tv_sec;
        http_date_format(ts.tv_sec, d);
        memcpy(w->date_hdr, "Date: ", 6);
        memcpy(w->date_hdr + 6, d, HTTP_DATE_LEN);
        memcpy(w->date_hdr + 6 + HTTP_DATE_LEN, "\r\n", 2);
        w->date_len = 6 + HTTP_DATE_LEN + 2;
    }
}

/* ---- buffer pool ------------------------------------------------------- */

int worker_buf_take(worker *w, kiln_buf *b)
{
    if (b->p)
        return 0;
    char *p = w->nbufs ? w->bufs[--w->nbufs] : malloc(WORKER_BUF);
    if (!p)
        return KILN_ENOMEM;
    b->p = p;
    b->n = 0;
    b->cap = WORKER_BUF;
    p[0] = '\0';
    return 0;
}

void worker_buf_give(worker *w, kiln_buf *b)
{
    if (!b->p)
        return;
    if (b->cap == WORKER_BUF && w->nbufs < sizeof w->bufs / sizeof w->bufs[0]) {
        w->bufs[w->nbufs++] = b->p;
        kiln_buf_init(b);
        return;
    }
    kiln_buf_deinit(b);
}

/* ---- coroutines -------------------------------------------------------- */

void worker_resume(worker *w, coro *co)
{
    (void)w;
    kiln_ctx *x = coro_data(co);
    ctx_capture_log(x, true);
    int st = coro_resume(co);
    ctx_capture_log(x, false);
    if (st == CORO_SUSPENDED)
        return;
    if (x->conn)
        conn_handler_done(x->conn, st);
    else
        bg_resumed(x, st); /* a task or service */
}

/* True when co may not wait any more: the drain ran out of time, or its
   context was cancelled (bg_cancel). */
static bool wait_refused(worker *w, coro *co)
{
    if (w->draining && w->now_ms >= w->drain_deadline)
        return true;
    kiln_ctx *x = coro_data(co);
    return x && x->cancelled;
}

static void waiter_link(worker *w, waiter *wt)
{
    wt->prev = NULL;
    wt->next = w->waiters;
    if (w->waiters)
        w->waiters->prev = wt;
    w->waiters = wt;
}

static void waiter_unlink(worker *w, waiter *wt)
{
    if (wt->prev)
        wt->prev->next = wt->next;
    else
        w->waiters = wt->next;
    if (wt->next)
        wt->next->prev = wt->prev;
    wt->prev = wt->next = NULL;
}

/* Ends a wait with result and resumes its coroutine. */
static void waiter_wake(worker *w, waiter *wt, int result)
{
    timer_heap_del(&w->sleeps, &wt->t);
    timer_list_disarm(&wt->nap);
    if (wt->io_armed) {
        loop_del(&w->loop, &wt->io);
        wt->io_armed = false;
    }
    waiter_unlink(w, wt);
    wt->result = result;
    worker_resume(w, wt->co);
}

static void waiter_io_cb(loop *l, loop_io *io, unsigned ev)
{
    (void)l;
    waiter *wt = (waiter *)((char *)io - offsetof(waiter, io));
    int r = 0;
    if (ev & LOOP_READ)
        r |= KILN_READABLE;
    if (ev & LOOP_WRITE)
        r |= KILN_WRITABLE;
    waiter_wake(current_worker, wt, r ? r : KILN_EIO);
}

int kiln_wait_fd(int fd, int events, int64_t timeout_ms)
{
    worker *w = current_worker;
    coro *co = coro_current();
    if (!w || !co) {
        struct pollfd pfd = {.fd = fd, .events = 0};
        if (events & KILN_READABLE)
            pfd.events |= POLLIN;
        if (events & KILN_WRITABLE)
            pfd.events |= POLLOUT;
        int n = poll(&pfd, 1, timeout_ms < 0 ? -1 : (int)timeout_ms);
        if (n < 0)
            return KILN_EIO;
        if (n == 0)
            return KILN_ETIMEDOUT;
        int r = 0;
        if (pfd.revents & (POLLIN | POLLHUP | POLLERR))
            r |= KILN_READABLE;
        if (pfd.revents & (POLLOUT | POLLERR))
            r |= KILN_WRITABLE;
        return r ? r : KILN_EIO;
    }
    if (wait_refused(w, co))
        return KILN_ECANCELED;
    waiter wt;
    memset(&wt, 0, sizeof wt);
    wt.co = co;
    wt.io.fd = fd;
    wt.io.cb = waiter_io_cb;
    unsigned ev = 0;
    if (events & KILN_READABLE)
        ev |= LOOP_READ;
    if (events & KILN_WRITABLE)
        ev |= LOOP_WRITE;
    if (loop_add(&w->loop, &wt.io, ev, 1) != 0)
        return KILN_EIO;
    wt.io_armed = true;
    if (timeout_ms >= 0 &&
        timer_heap_add(&w->sleeps, &wt.t, w->now_ms + timeout_ms) != 0) {
        loop_del(&w->loop, &wt.io);
        return KILN_ENOMEM;
    }
    waiter_link(w, &wt);
    coro_yield();
    return wt.result;
}

void worker_post(worker *w, worker_msg *m)
{
    worker_msg *head = __atomic_load_n(&w->inbox, __ATOMIC_RELAXED);
    do
        m->next = head;
    while (!__atomic_compare_exchange_n(&w->inbox, &head, m, true,
                                        __ATOMIC_RELEASE, __ATOMIC_RELAXED));
    if (!head) { /* it was empty: the worker may be asleep in epoll_wait */
        uint64_t one = 1;
        ssize_t r = write(w->wake_fd, &one, sizeof one);
        (void)r; /* a full eventfd counter wakes it all the same */
    }
}

void worker_inbox_drain(worker *w)
{
    worker_msg *m = __atomic_exchange_n(&w->inbox, NULL, __ATOMIC_ACQUIRE);
    worker_msg *fifo = NULL;
    while (m) { /* newest first: reverse */
        worker_msg *next = m->next;
        m->next = fifo;
        fifo = m;
        m = next;
    }
    while (fifo) {
        worker_msg *next = fifo->next;
        fifo->fn(w, fifo);
        fifo = next;
    }
}

void worker_hook_add(worker *w, worker_hook *h)
{
    h->next = w->hooks;
    w->hooks = h;
}

int worker_park(waiter *wt, int64_t timeout_ms)
{
    worker *w = current_worker;
    memset(wt, 0, sizeof *wt);
    wt->co = coro_current();
    if (!w || !wt->co)
        return KILN_ESTATE;
    if (wait_refused(w, wt->co))
        return KILN_ECANCELED;
    if (timeout_ms >= 0 &&
        timer_heap_add(&w->sleeps, &wt->t, w->now_ms + timeout_ms) != 0)
        return KILN_ENOMEM;
    waiter_link(w, wt);
    coro_yield();
    return wt->result;
}

int worker_park_idle(waiter *wt, int64_t timeout_ms)
{
    worker *w = current_worker;
    memset(wt, 0, sizeof *wt);
    wt->co = coro_current();
    if (!w || !wt->co)
        return KILN_ESTATE;
    if (w->draining && w->now_ms >= w->drain_deadline)
        return KILN_ECANCELED;
    if (timeout_ms >= 0 &&
        timer_heap_add(&w->sleeps, &wt->t, w->now_ms + timeout_ms) != 0)
        return KILN_ENOMEM;
    waiter_link(w, wt);
    timer_list_arm(&w->nap_q, &wt->nap, w->now_ms);
    coro_yield();
    timer_list_disarm(&wt->nap);
    return wt->result;
}

void worker_unpark(waiter *wt, int result)
{
    waiter_wake(current_worker, wt, result);
}

void worker_park_cancel(waiter *wt)
{
    worker *w = current_worker;
    timer_heap_del(&w->sleeps, &wt->t);
    timer_list_disarm(&wt->nap);
    if (wt->prev || w->waiters == wt) /* still parked */
        waiter_unlink(w, wt);
}

/* Makes wt's deadline now: run_timers wakes it in this loop turn (or the
   next, without blocking in between). */
static void waiter_due_now(worker *w, waiter *wt)
{
    timer_heap_del(&w->sleeps, &wt->t);
    if (timer_heap_add(&w->sleeps, &wt->t, w->now_ms) != 0)
        kiln_log(KILN_LOG_WARN, "worker %d: out of memory: a wake-up is late",
                 w->id);
}

void worker_unpark_soon(waiter *wt)
{
    waiter_due_now(current_worker, wt);
}

void worker_cancel_wait(worker *w, coro *co)
{
    for (waiter *wt = w->waiters; wt; wt = wt->next)
        if (wt->co == co) {
            waiter_due_now(w, wt); /* run_timers: KILN_ECANCELED */
            return;
        }
}

int kiln_sleep_ms(int64_t ms)
{
    worker *w = current_worker;
    coro *co = coro_current();
    if (ms < 0)
        ms = 0;
    if (!w || !co) {
        struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
        return 0;
    }
    if (wait_refused(w, co))
        return KILN_ECANCELED;
    waiter wt;
    memset(&wt, 0, sizeof wt);
    wt.co = co;
    if (timer_heap_add(&w->sleeps, &wt.t, w->now_ms + ms) != 0)
        return KILN_ENOMEM;
    waiter_link(w, &wt);
    coro_yield();
    return wt.result == KILN_ETIMEDOUT ? 0 : wt.result;
}

/* ---- timers ------------------------------------------------------------ */

static void run_timers(worker *w)
{
    timer_list *lists[] = {&w->header_q, &w->idle_q, &w->body_q, &w->linger_q};
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
        timer_list *l = lists[i];
        while (l->head && l->head->deadline <= w->now_ms) {
            conn *c = (conn *)((char *)l->head - offsetof(conn, t));
            conn_timeout(c);
        }
    }
    timer_list *ws_lists[] = {&w->ws_ping_q, &w->ws_idle_q, &w->ws_close_q};
    for (size_t i = 0; i < sizeof ws_lists / sizeof ws_lists[0]; i++)
        while (ws_lists[i]->head && ws_lists[i]->head->deadline <= w->now_ms)
            ws_timeout(w, ws_lists[i]->head);
    while (w->sse_q.head && w->sse_q.head->deadline <= w->now_ms)
        sse_timeout(w, w->sse_q.head);
    while (w->nap_q.head && w->nap_q.head->deadline <= w->now_ms) {
        /* a long wait: its stack goes back to the kernel until it ends */
        waiter *wt = (waiter *)((char *)w->nap_q.head - offsetof(waiter, nap));
        timer_list_disarm(&wt->nap);
        coro_hibernate(wt->co);
    }
    timer *t;
    while ((t = timer_heap_top(&w->sleeps)) && t->deadline <= w->now_ms) {
        waiter *wt = (waiter *)((char *)t - offsetof(waiter, t));
        kiln_ctx *x = coro_data(wt->co);
        /* a cancelled context's wait ends cancelled (bg_cancel) */
        waiter_wake(w, wt, x && x->cancelled ? KILN_ECANCELED : KILN_ETIMEDOUT);
    }
}

/* ---- accepting and stopping ------------------------------------------ */

static void on_accept(loop *l, loop_io *io, unsigned ev)
{
    (void)l;
    (void)ev;
    worker *w = (worker *)((char *)io - offsetof(worker, listen_io));
    for (int i = 0; i < 128 && w->listen_fd >= 0; i++) {
        int fd =
            accept4(w->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE)
                kiln_log(KILN_LOG_WARN, "accept: out of file descriptors");
            return;
        }
        if ((int)w->nconns >= w->opts->max_connections) {
            close(fd);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        conn_open(w, fd);
    }
}

static void begin_drain(worker *w)
{
    w->draining = true;
    w->drain_deadline = w->now_ms + w->opts->drain_timeout_ms;
    if (w->listen_fd >= 0) {
        loop_del(&w->loop, &w->listen_io);
        close(w->listen_fd);
        w->listen_fd = -1;
    }
    conn *c = w->conns;
    while (c) {
        conn *next = c->next;
        conn_shutdown(c);
        c = next;
    }
}

static void on_wake(loop *l, loop_io *io, unsigned ev)
{
    (void)l;
    (void)ev;
    worker *w = (worker *)((char *)io - offsetof(worker, wake_io));
    uint64_t v;
    ssize_t r = read(w->wake_fd, &v, sizeof v);
    (void)r;
}

static void on_loop_wake(void *arg)
{
    worker_update_clock(arg);
}

int worker_attach(worker *w)
{
    w->loop.on_wake = on_loop_wake;
    w->loop.wake_arg = w;
    current_worker = w;
    int rc = coro_thread_init();
    if (rc != 0)
        kiln_log(KILN_LOG_WARN, "worker %d: no stack overflow guard", w->id);
    worker_update_clock(w);
    return rc != 0 ? KILN_ENOMEM : 0;
}

void worker_detach(worker *w)
{
    (void)w;
    coro_thread_deinit();
    current_worker = NULL;
}

void worker_turn(worker *w, int timeout_ms)
{
    timer_list *lists[] = {&w->header_q,   &w->idle_q,    &w->body_q,
                           &w->linger_q,   &w->ws_ping_q, &w->ws_idle_q,
                           &w->ws_close_q, &w->sse_q,     &w->nap_q};
    if (__atomic_load_n(&w->inbox, __ATOMIC_RELAXED))
        worker_inbox_drain(w);
    bg_start_ready(w);
    for (worker_hook *h = w->hooks; h; h = h->next)
        h->fn(h->arg);
    int timeout =
        timer_next_ms(&w->sleeps, lists, (int)(sizeof lists / sizeof lists[0]),
                      w->now_ms, w->bg_ready ? 0 : timeout_ms);
    loop_poll(&w->loop, timeout);
    run_timers(w);
}

void *worker_main(void *arg)
{
    worker *w = arg;
    w->loop.on_wake = on_loop_wake;
    w->loop.wake_arg = w;
    current_worker = w;
    if (coro_thread_init() != 0)
        kiln_log(KILN_LOG_WARN, "worker %d: no stack overflow guard", w->id);
    worker_update_clock(w);
    w->listen_io.fd = w->listen_fd;
    w->listen_io.cb = on_accept;
    w->wake_io.fd = w->wake_fd;
    w->wake_io.cb = on_wake;
    /* no listener in a process that only runs tasks (tasks_only) */
    if ((w->listen_fd >= 0 &&
         loop_add(&w->loop, &w->listen_io, LOOP_READ, 1) != 0) ||
        loop_add(&w->loop, &w->wake_io, LOOP_READ, 1) != 0) {
        kiln_log(KILN_LOG_ERROR, "worker %d: cannot register listener", w->id);
        w->exit_code = 1;
        return NULL;
    }
    for (app_ext *e = w->app->exts; e; e = e->next)
        if (e->start)
            e->start(e->arg, w);
    timer_list *lists[] = {&w->header_q,   &w->idle_q,    &w->body_q,
                           &w->linger_q,   &w->ws_ping_q, &w->ws_idle_q,
                           &w->ws_close_q, &w->sse_q,     &w->nap_q};
    int nlists = (int)(sizeof lists / sizeof lists[0]);
    for (;;) {
        if (!w->draining && __atomic_load_n(&w->stop, __ATOMIC_ACQUIRE))
            begin_drain(w);
        if (w->draining) {
            if (w->nconns == 0 && w->coros.live == 0)
                break;
            if (w->now_ms >= w->drain_deadline) {
                kiln_log(KILN_LOG_WARN,
                         "worker %d: drain time over, closing %u "
                         "connections",
                         w->id, w->nconns);
                /* waiting handlers get KILN_ECANCELED and may finish */
                while (w->waiters)
                    waiter_wake(w, w->waiters, KILN_ECANCELED);
                break;
            }
        }
        if (__atomic_load_n(&w->inbox, __ATOMIC_RELAXED))
            worker_inbox_drain(w);
        /* tasks and services spawned this turn start first, so that the
           hooks send what they queue (the data layer's pipelines) */
        bg_start_ready(w);
        for (worker_hook *h = w->hooks; h; h = h->next)
            h->fn(h->arg);
        int cap = w->draining ? (int)(w->drain_deadline - w->now_ms) : -1;
        if (w->bg_ready ||
            (w->draining && w->nconns == 0 && w->coros.live == 0))
            cap = 0; /* more to start, or the last coroutine ended: go on */
        int timeout = timer_next_ms(&w->sleeps, lists, nlists, w->now_ms, cap);
        loop_poll(&w->loop, timeout); /* refreshes the clock first */
        run_timers(w);
    }
    /* close what is left (drain expired): idle and busy alike */
    while (w->conns)
        conn_abort(w->conns);
    bg_abort_all(w);
    pubsub_worker_exit(w); /* no more posts; its backend, if here, stops */
    coro_thread_deinit();
    current_worker = NULL;
    return NULL;
}
