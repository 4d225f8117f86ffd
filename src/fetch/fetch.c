/*
 * fetch/fetch.c - outgoing HTTP requests (kiln/fetch.h) with libcurl.
 *
 * In a worker's coroutine a request is an easy handle added to the
 * worker's multi handle (one per worker thread, made on first use): curl
 * tells us which sockets to watch (CURLMOPT_SOCKETFUNCTION: each becomes a
 * level-triggered loop_io on the worker's loop) and when to call it back
 * (CURLMOPT_TIMERFUNCTION: a timerfd on the same loop), and the calling
 * coroutine is parked (worker_park) until curl reports the transfer done.
 * Nothing blocks the worker; the multi handle keeps connections alive for
 * the next request to the same host. Outside a worker's coroutine the easy
 * handle runs with curl_easy_perform, blocking the calling thread.
 *
 * Ownership: a transfer (fetch_op) is malloc'd by the caller's call and
 * freed by it, after curl let go of it (the handle removed from the multi
 * handle). The body and header bytes arrive in malloc'd buffers of the
 * op, copied into the caller's arena at the end. The per-thread state
 * (fetch_loop) is freed when its thread ends (a pthread key destructor)
 * or when the thread serves a new worker.
 */
#include "fetch/fetch_impl.h"

#include "coro/coro.h"
#include "server/worker.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

/* ---- pure helpers ---------------------------------------------------------
 */

int fetch_url_scheme(const char *url)
{
    if (!url)
        return KILN_EINVAL;
    int https;
    size_t skip;
    if (strncasecmp(url, "https://", 8) == 0)
        https = 1, skip = 8;
    else if (strncasecmp(url, "http://", 7) == 0)
        https = 0, skip = 7;
    else
        return KILN_EINVAL;
    const char *h = url + skip;
    if (*h == '\0' || *h == '/' || *h == '?' || *h == '#' || *h == ':')
        return KILN_EINVAL;
    for (const char *p = url; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f)
            return KILN_EINVAL;
    return https;
}

static bool tchar(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (ch >= '0' && ch <= '9') || (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

bool fetch_header_ok(const char *line)
{
    if (!line)
        return false;
    const char *p = line;
    while (tchar((unsigned char)*p))
        p++;
    if (p == line || *p != ':')
        return false;
    for (; *p; p++)
        if (*p == '\r' || *p == '\n')
            return false;
    return true;
}

int fetch_parse_headers(kiln_arena *a, const char *p, size_t n,
                        kiln_fetch_header **out, size_t *nout)
{
    *out = NULL;
    *nout = 0;
    size_t lines = 0;
    for (size_t i = 0; i < n; i++)
        lines += p[i] == '\n';
    if (n && p[n - 1] != '\n')
        lines++;
    if (!lines)
        return 0;
    kiln_fetch_header *h = kiln_arena_alloc(a, lines * sizeof *h);
    if (!h)
        return KILN_ENOMEM;
    size_t k = 0;
    const char *end = p + n;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *line = p;
        p = nl ? nl + 1 : end;
        const char *e = le;
        if (e > line && e[-1] == '\r')
            e--;
        if (e == line || *line == ' ' || *line == '\t')
            continue; /* blank, or an obsolete folded line */
        const char *colon = memchr(line, ':', (size_t)(e - line));
        if (!colon || colon == line)
            continue; /* the status line */
        const char *v = colon + 1;
        while (v < e && (*v == ' ' || *v == '\t'))
            v++;
        const char *ve = e;
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
            ve--;
        char *name = kiln_arena_strndup(a, line, (size_t)(colon - line));
        char *val = kiln_arena_strndup(a, v, (size_t)(ve - v));
        if (!name || !val)
            return KILN_ENOMEM;
        h[k].name = (kiln_str){name, (size_t)(colon - line)};
        h[k].value = (kiln_str){val, (size_t)(ve - v)};
        k++;
    }
    *out = k ? h : NULL;
    *nout = k;
    return 0;
}

kiln_str kiln_fetch_header_get(const kiln_fetch_resp *resp, const char *name)
{
    kiln_str found = KILN_STR_NULL;
    for (size_t i = 0; resp && i < resp->nheaders; i++)
        if (kiln_str_ieq_c(resp->headers[i].name, name))
            found = resp->headers[i].value;
    return found;
}

/* ---- one transfer ----------------------------------------------------------
 */

/* The most header bytes of one response. */
#define FETCH_MAX_HEAD (64 * 1024)

typedef struct fetch_op {
    CURL *e;
    struct curl_slist *hdrs;
    kiln_buf body; /* the response body as it arrives */
    kiln_buf head; /* the last response's header lines */
    size_t max;    /* body limit */
    bool too_big;  /* the write callback refused more */
    bool head_big; /* the header callback refused more */
    bool done;     /* curl finished it (the loop removed it) */
    CURLcode result;
    waiter *wt; /* the parked caller, or NULL */
    char err[CURL_ERROR_SIZE];
} fetch_op;

static size_t on_body(char *p, size_t size, size_t nmemb, void *arg)
{
    fetch_op *op = arg;
    size_t n = size * nmemb;
    if (op->body.n + n > op->max) {
        op->too_big = true;
        return 0; /* CURLE_WRITE_ERROR */
    }
    return kiln_buf_append(&op->body, p, n) == 0 ? n : 0;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *arg)
{
    fetch_op *op = arg;
    size_t n = size * nmemb;
    if (n >= 5 && memcmp(p, "HTTP/", 5) == 0)
        kiln_buf_clear(&op->head); /* a new response: 1xx, a redirect */
    if (op->head.n + n > FETCH_MAX_HEAD) {
        op->head_big = true; /* headers this big are an attack */
        return 0;
    }
    return kiln_buf_append(&op->head, p, n) == 0 ? n : 0;
}

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc;

static void global_init(void)
{
    global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* Sets op's easy handle up for req. Returns 0, KILN_EINVAL (resp->error
   set to a static string) or KILN_ENOMEM. */
static int op_setup(fetch_op *op, const kiln_fetch_req *req,
                    kiln_fetch_resp *resp)
{
    if (fetch_url_scheme(req->url) < 0) {
        resp->error = "not an absolute http:// or https:// URL";
        return KILN_EINVAL;
    }
    if (req->method && (!*req->method || strpbrk(req->method, " \r\n\t:"))) {
        resp->error = "invalid method";
        return KILN_EINVAL;
    }
    pthread_once(&global_once, global_init);
    if (global_rc != CURLE_OK) {
        resp->error = "libcurl could not be initialised";
        return KILN_ENOMEM;
    }
    op->e = curl_easy_init();
    if (!op->e)
        return KILN_ENOMEM;
    for (const char *const *h = req->headers; h && *h; h++) {
        if (!fetch_header_ok(*h)) {
            resp->error = "invalid request header line";
            return KILN_EINVAL;
        }
        struct curl_slist *l = curl_slist_append(op->hdrs, *h);
        if (!l)
            return KILN_ENOMEM;
        op->hdrs = l;
    }
    /* no "Expect: 100-continue" round trip before a body */
    struct curl_slist *l = curl_slist_append(op->hdrs, "Expect:");
    if (!l)
        return KILN_ENOMEM;
    op->hdrs = l;
    CURL *e = op->e;
    long timeout =
        req->timeout_ms > 0 ? req->timeout_ms : KILN_FETCH_TIMEOUT_MS;
    op->max = req->max_bytes ? req->max_bytes : KILN_FETCH_MAX_BYTES;
    const char *method = req->method   ? req->method
                         : req->body.p ? "POST"
                                       : "GET";
    int bad = 0;
    bad |= curl_easy_setopt(e, CURLOPT_URL, req->url);
    bad |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    bad |= curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    bad |= curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION,
                            req->follow_redirects ? 1L : 0L);
    bad |=
        curl_easy_setopt(e, CURLOPT_MAXREDIRS, (long)KILN_FETCH_MAX_REDIRECTS);
    bad |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    bad |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout);
    bad |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, timeout);
    bad |= curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)op->max);
    bad |= curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    bad |= curl_easy_setopt(e, CURLOPT_USERAGENT, "kiln/0.1");
    bad |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, req->insecure ? 0L : 1L);
    bad |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, req->insecure ? 0L : 2L);
    bad |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, op->hdrs);
    bad |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    bad |= curl_easy_setopt(e, CURLOPT_WRITEDATA, op);
    bad |= curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    bad |= curl_easy_setopt(e, CURLOPT_HEADERDATA, op);
    bad |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, op->err);
    bad |= curl_easy_setopt(e, CURLOPT_PRIVATE, op);
    if (strcmp(method, "HEAD") == 0) {
        bad |= curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else if (req->body.p) {
        bad |= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
                                (curl_off_t)req->body.n);
        bad |= curl_easy_setopt(e, CURLOPT_POSTFIELDS, req->body.p);
        if (strcmp(method, "POST") != 0)
            bad |= curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
    } else if (strcmp(method, "GET") != 0) {
        bad |= curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
    }
    if (bad) {
        resp->error = "libcurl refused an option";
        return KILN_EINVAL;
    }
    return 0;
}

static void op_free(fetch_op *op)
{
    if (op->e)
        curl_easy_cleanup(op->e);
    curl_slist_free_all(op->hdrs);
    kiln_buf_deinit(&op->body);
    kiln_buf_deinit(&op->head);
    free(op);
}

/* Maps a finished transfer to a KILN_E* code and resp (into a). */
static int op_finish(fetch_op *op, kiln_arena *a, kiln_fetch_resp *resp)
{
    CURLcode r = op->result;
    long status = 0;
    curl_easy_getinfo(op->e, CURLINFO_RESPONSE_CODE, &status);
    int rc = 0;
    switch (r) {
    case CURLE_OK:
        break;
    case CURLE_OPERATION_TIMEDOUT:
        rc = KILN_ETIMEDOUT;
        break;
    case CURLE_FILESIZE_EXCEEDED:
        rc = KILN_ELIMIT;
        break;
    case CURLE_WRITE_ERROR:
        rc = op->too_big || op->head_big ? KILN_ELIMIT : KILN_ENOMEM;
        break;
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
        rc = KILN_EINVAL;
        break;
    case CURLE_OUT_OF_MEMORY:
        rc = KILN_ENOMEM;
        break;
    default:
        rc = KILN_EUNAVAIL;
        break;
    }
    if (rc) {
        const char *why = curl_easy_strerror(r);
        if (op->head_big)
            why = "the response's headers are over 64 KiB";
        else if (rc == KILN_ELIMIT)
            why = "the response is larger than the limit";
        else if (op->err[0])
            why = op->err;
        char *s = kiln_arena_printf(a, "%s", why);
        resp->error = s ? s : curl_easy_strerror(r);
        resp->status = (int)status;
        return rc;
    }
    char *body = kiln_arena_alloc(a, op->body.n + 1);
    if (!body || fetch_parse_headers(a, op->head.p, op->head.n, &resp->headers,
                                     &resp->nheaders) != 0) {
        resp->error = "out of memory";
        return KILN_ENOMEM;
    }
    if (op->body.n)
        memcpy(body, op->body.p, op->body.n);
    body[op->body.n] = '\0';
    resp->body = (kiln_str){body, op->body.n};
    resp->status = (int)status;
    return 0;
}

/* ---- the worker's multi handle ------------------------------------------- */

typedef struct fetch_loop {
    worker *w;
    CURLM *multi;
    loop_io tio; /* the timerfd */
    bool dying;  /* being freed: leave the loop alone */
} fetch_loop;

/* One socket curl asked us to watch. */
typedef struct fetch_sock {
    loop_io io; /* first: the loop hands us &io */
    fetch_loop *fl;
    bool added;
} fetch_sock;

static pthread_key_t tl_key;
static pthread_once_t tl_once = PTHREAD_ONCE_INIT;
static __thread fetch_loop *tl;

static void fl_free(fetch_loop *fl)
{
    if (!fl)
        return;
    fl->dying = true;
    if (fl->multi)
        curl_multi_cleanup(fl->multi); /* CURL_POLL_REMOVE frees the socks */
    if (fl->tio.fd >= 0)
        close(fl->tio.fd);
    free(fl);
}

static void tl_destroy(void *p)
{
    if (tl == p)
        tl = NULL;
    fl_free(p);
}

static void tl_key_init(void)
{
    pthread_key_create(&tl_key, tl_destroy);
}

/* Hands every finished transfer back to its caller. Ops are collected
   first, then resumed: a resumed caller may start or end transfers. */
static void fl_reap(fetch_loop *fl)
{
    fetch_op *done[16];
    for (;;) {
        size_t n = 0;
        CURLMsg *m;
        int left;
        while (n < 16 && (m = curl_multi_info_read(fl->multi, &left))) {
            if (m->msg != CURLMSG_DONE)
                continue;
            fetch_op *op = NULL;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&op);
            op->result = m->data.result;
            curl_multi_remove_handle(fl->multi, m->easy_handle);
            op->done = true;
            done[n++] = op;
        }
        for (size_t i = 0; i < n; i++)
            if (done[i]->wt)
                worker_unpark(done[i]->wt, 0);
        if (n < 16)
            return;
    }
}

static void fl_action(fetch_loop *fl, curl_socket_t s, int ev)
{
    int running;
    curl_multi_socket_action(fl->multi, s, ev, &running);
    fl_reap(fl);
}

static void on_sock_io(loop *l, loop_io *io, unsigned ev)
{
    (void)l;
    fetch_sock *fs = (fetch_sock *)io;
    int cev = (ev & LOOP_READ ? CURL_CSELECT_IN : 0) |
              (ev & LOOP_WRITE ? CURL_CSELECT_OUT : 0) |
              (ev & LOOP_ERROR ? CURL_CSELECT_ERR : 0);
    fl_action(fs->fl, io->fd, cev);
}

static void on_timer_io(loop *l, loop_io *io, unsigned ev)
{
    (void)l;
    (void)ev;
    fetch_loop *fl = (fetch_loop *)((char *)io - offsetof(fetch_loop, tio));
    uint64_t ticks;
    while (read(io->fd, &ticks, sizeof ticks) > 0)
        ;
    fl_action(fl, CURL_SOCKET_TIMEOUT, 0);
}

static int on_socket(CURL *e, curl_socket_t s, int what, void *arg, void *sockp)
{
    (void)e;
    fetch_loop *fl = arg;
    fetch_sock *fs = sockp;
    if (what == CURL_POLL_REMOVE) {
        if (fs) {
            if (fs->added && !fl->dying)
                loop_del(&fl->w->loop, &fs->io);
            curl_multi_assign(fl->multi, s, NULL);
            free(fs);
        }
        return 0;
    }
    if (!fs) {
        fs = calloc(1, sizeof *fs);
        if (!fs)
            return -1;
        fs->io.fd = s;
        fs->io.cb = on_sock_io;
        fs->fl = fl;
        curl_multi_assign(fl->multi, s, fs);
    }
    if (fl->dying)
        return 0;
    unsigned ev = (what & CURL_POLL_IN ? LOOP_READ : 0) |
                  (what & CURL_POLL_OUT ? LOOP_WRITE : 0);
    int rc = fs->added ? loop_mod(&fl->w->loop, &fs->io, ev, 1)
                       : loop_add(&fl->w->loop, &fs->io, ev, 1);
    if (rc != 0)
        return -1;
    fs->added = true;
    return 0;
}

static int on_timer(CURLM *m, long ms, void *arg)
{
    (void)m;
    fetch_loop *fl = arg;
    if (fl->dying)
        return 0;
    struct itimerspec its = {0};
    if (ms >= 0) { /* 0: as soon as the loop turns */
        its.it_value.tv_sec = ms / 1000;
        its.it_value.tv_nsec = (ms % 1000) * 1000000L + (ms == 0);
    }
    return timerfd_settime(fl->tio.fd, 0, &its, NULL) == 0 ? 0 : -1;
}

/* The calling thread's state for worker w, made on first use. */
static fetch_loop *fl_get(worker *w)
{
    if (tl && tl->w == w)
        return tl;
    pthread_once(&tl_once, tl_key_init);
    if (tl) { /* the thread serves a new worker: the old loop is gone */
        fetch_loop *old = tl;
        tl = NULL;
        pthread_setspecific(tl_key, NULL);
        fl_free(old);
    }
    fetch_loop *fl = calloc(1, sizeof *fl);
    if (!fl)
        return NULL;
    fl->w = w;
    fl->tio.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    fl->tio.cb = on_timer_io;
    fl->multi = curl_multi_init();
    if (fl->tio.fd < 0 || !fl->multi ||
        loop_add(&w->loop, &fl->tio, LOOP_READ, 1) != 0) {
        fl_free(fl);
        return NULL;
    }
    curl_multi_setopt(fl->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(fl->multi, CURLMOPT_SOCKETDATA, fl);
    curl_multi_setopt(fl->multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(fl->multi, CURLMOPT_TIMERDATA, fl);
    tl = fl;
    pthread_setspecific(tl_key, fl);
    return fl;
}

/* ---- the calls -------------------------------------------------------------
 */

int fetch_do(kiln_arena *a, const kiln_fetch_req *req, kiln_fetch_resp *resp)
{
    memset(resp, 0, sizeof *resp);
    resp->error = "";
    fetch_op *op = calloc(1, sizeof *op);
    if (!op) {
        resp->error = "out of memory";
        return KILN_ENOMEM;
    }
    int rc = op_setup(op, req, resp);
    if (rc) {
        if (rc == KILN_ENOMEM)
            resp->error = "out of memory";
        op_free(op);
        return rc;
    }
    worker *w = worker_current();
    if (!w || !coro_current()) {
        op->result = curl_easy_perform(op->e);
        rc = op_finish(op, a, resp);
        op_free(op);
        return rc;
    }
    fetch_loop *fl = fl_get(w);
    if (!fl || curl_multi_add_handle(fl->multi, op->e) != CURLM_OK) {
        op_free(op);
        resp->error = "out of memory";
        return KILN_ENOMEM;
    }
    long timeout =
        req->timeout_ms > 0 ? req->timeout_ms : KILN_FETCH_TIMEOUT_MS;
    waiter wt;
    op->wt = &wt;
    /* curl enforces the timeout; the park's own is a safety net */
    int r = worker_park(&wt, timeout + 1000);
    op->wt = NULL;
    if (!op->done) {
        curl_multi_remove_handle(fl->multi, op->e);
        op_free(op);
        resp->error = r == KILN_ECANCELED ? "cancelled" : "timed out";
        return r == KILN_ECANCELED ? KILN_ECANCELED : KILN_ETIMEDOUT;
    }
    rc = op_finish(op, a, resp);
    op_free(op);
    return rc;
}

int fetch_do_json(kiln_arena *a, const kiln_fetch_req *req,
                  kiln_fetch_resp *resp, const kiln_json **out)
{
    *out = NULL;
    bool accept = false;
    size_t n = 0;
    for (const char *const *h = req->headers; h && *h; h++, n++)
        accept |= strncasecmp(*h, "accept:", 7) == 0;
    kiln_fetch_req r = *req;
    const char **hs = NULL;
    if (!accept) {
        hs = kiln_arena_alloc(a, (n + 2) * sizeof *hs);
        if (!hs) {
            memset(resp, 0, sizeof *resp);
            resp->error = "out of memory";
            return KILN_ENOMEM;
        }
        for (size_t i = 0; i < n; i++)
            hs[i] = req->headers[i];
        hs[n] = "Accept: application/json";
        hs[n + 1] = NULL;
        r.headers = hs;
    }
    int rc = fetch_do(a, &r, resp);
    if (rc)
        return rc;
    kiln_json *v;
    kiln_json_error err;
    rc = kiln_json_parse(a, resp->body.p, resp->body.n, 64, &v, &err);
    if (rc) {
        char *s = kiln_arena_printf(a, "the response is not JSON: %s at %d:%d",
                                    err.msg, err.line, err.col);
        resp->error = s ? s : "the response is not JSON";
        return rc == KILN_ENOMEM ? KILN_ENOMEM : KILN_EPARSE;
    }
    *out = v;
    return 0;
}

int kiln_fetch(kiln_ctx *c, const kiln_fetch_req *req, kiln_fetch_resp *resp)
{
    return fetch_do(kiln_ctx_arena(c), req, resp);
}

int kiln_fetch_json(kiln_ctx *c, const kiln_fetch_req *req,
                    kiln_fetch_resp *resp, const kiln_json **out)
{
    return fetch_do_json(kiln_ctx_arena(c), req, resp, out);
}
