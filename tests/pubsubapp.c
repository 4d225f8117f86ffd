/*
 * tests/pubsubapp.c - the server the pub/sub black-box tests talk to
 * (tests/blackbox/test_pubsub.py): publishing from handlers and threads,
 * event streams, WebSockets and long polls subscribed to topics, and the
 * counters.
 *
 *   build/tests/pubsubapp [--pubsub local|redis|postgres] [--url URL]
 *                         [--queue N] [--backlog N] [kiln_main flags...]
 *
 * Routes:
 *   POST /pub/{topic}?n=K        publishes the body K times (default 1);
 *                                with n, each as "BODY SEQ" (SEQ from 1)
 *   POST /pub-thread/{topic}?n=K the same from a thread of its own
 *   GET  /sse?topic=T[&topic=U]&slow=MS&limit=N
 *                                an event stream of the request's
 *                                publications: first a comment
 *                                ": subscribed REQUEST-ID", then each as
 *                                "event: pub" (data "TOPIC DATA") or
 *                                "event: gap" (data: the number lost);
 *                                slow: sleeps MS after each one (a slow
 *                                subscriber); limit: ends after N events
 *   GET  /ws?topic=T             a WebSocket subscribed to T: says
 *                                "subscribed REQUEST-ID", then sends
 *                                "pub TOPIC DATA" / "gap N"; a client
 *                                text "pub TOPIC DATA" publishes,
 *                                "sub TOPIC" / "unsub TOPIC" subscribe or
 *                                not (answered "ok ..." / "err ..."),
 *                                "echo X" answers "echo X"
 *   GET  /poll/{topic}?ms=MS     a long poll: 200 "TOPIC DATA", or 204
 *   GET  /stats                  kiln_pubsub_stats_send
 */
#include <kiln.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The {topic} of the route, NUL-terminated in the arena. */
static const char *topic_param(kiln_ctx *c)
{
    kiln_str t = kiln_param(c, "topic");
    return kiln_arena_strndup(kiln_ctx_arena(c), t.p ? t.p : "", t.n);
}

static int publish_n(const char *topic, kiln_str body, int64_t n, bool seq)
{
    kiln_buf b;
    kiln_buf_init(&b);
    int rc = 0;
    for (int64_t i = 1; i <= n && rc == 0; i++) {
        kiln_buf_clear(&b);
        kiln_buf_append(&b, body.p ? body.p : "", body.n);
        if (seq)
            kiln_buf_printf(&b, " %lld", (long long)i);
        rc = kiln_publish(topic, b.p ? b.p : "", b.n);
    }
    kiln_buf_deinit(&b);
    return rc;
}

static int answer_publish(kiln_ctx *c, int rc)
{
    if (rc == KILN_EINVAL)
        return kiln_problem(c, 422, "cannot publish that: %s",
                            kiln_strerror(rc));
    if (rc == KILN_ELIMIT)
        return kiln_problem(c, 413, "too large to publish");
    if (rc)
        return kiln_problem(c, 503, "publish failed: %s", kiln_strerror(rc));
    return kiln_respond(c, 204, NULL, NULL, 0);
}

/* POST /pub/{topic}?n=K */
static KILN_HANDLER(pub)
{
    kiln_str n = kiln_query(c, "n");
    return answer_publish(c, publish_n(topic_param(c), kiln_body(c),
                                       kiln_query_int(c, "n", 1), n.p != NULL));
}

typedef struct thread_job {
    const char *topic;
    kiln_str body;
    int64_t n;
    int rc;
} thread_job;

static void *thread_publish(void *arg)
{
    thread_job *j = arg;
    j->rc = publish_n(j->topic, j->body, j->n, true);
    return NULL;
}

/* POST /pub-thread/{topic}?n=K: from a thread that is not a worker */
static KILN_HANDLER(pub_thread)
{
    thread_job j = {topic_param(c), kiln_body(c), kiln_query_int(c, "n", 1), 0};
    pthread_t t;
    if (pthread_create(&t, NULL, thread_publish, &j) != 0)
        return kiln_problem(c, 500, "no thread");
    pthread_join(t, NULL); /* blocks the worker: a test route */
    return answer_publish(c, j.rc);
}

/* Subscribes to every topic= of the query. 0 or an answered error. */
static int subscribe_all(kiln_ctx *c)
{
    kiln_str q = kiln_query_string(c);
    int n = 0;
    for (size_t i = 0; i < q.n;) {
        size_t j = i;
        while (j < q.n && q.p[j] != '&')
            j++;
        if (j - i > 6 && memcmp(q.p + i, "topic=", 6) == 0) {
            char *t =
                kiln_arena_strndup(kiln_ctx_arena(c), q.p + i + 6, j - i - 6);
            int rc = kiln_subscribe(c, t);
            if (rc)
                return kiln_problem(c, rc == KILN_EINVAL ? 422 : 503,
                                    "cannot subscribe to %s: %s", t,
                                    kiln_strerror(rc));
            n++;
        }
        i = j + 1;
    }
    return n ? 0 : kiln_problem(c, 400, "no topic=");
}

/* GET /sse?topic=T&slow=MS&limit=N */
static KILN_HANDLER(sse)
{
    if (subscribe_all(c) != 0)
        return 0;
    int64_t slow = kiln_query_int(c, "slow", 0);
    int64_t limit = kiln_query_int(c, "limit", -1);
    kiln_sse *s = kiln_sse_start(c);
    if (!s)
        return 0;
    char line[80];
    snprintf(line, sizeof line, "subscribed %s", kiln_request_id(c));
    if (kiln_sse_comment(s, line) != 0)
        return kiln_sse_end(s);
    kiln_buf b;
    kiln_buf_init(&b);
    kiln_pub_msg m;
    for (int64_t k = 0; limit < 0 || k < limit; k++) {
        if (kiln_sse_recv(s, &m, -1) != 0)
            break;
        kiln_buf_clear(&b);
        if (m.kind == KILN_PUB_GAP)
            kiln_buf_printf(&b, "%llu", (unsigned long long)m.lost);
        else {
            kiln_buf_append(&b, m.topic.p, m.topic.n);
            kiln_buf_putc(&b, ' ');
            kiln_buf_append(&b, m.data.p, m.data.n);
        }
        if (kiln_sse_send(s, m.kind == KILN_PUB_GAP ? "gap" : "pub", NULL,
                          b.p ? b.p : "", b.n) != 0)
            break;
        if (slow > 0 && kiln_sleep_ms(slow) != 0)
            break;
    }
    kiln_buf_deinit(&b);
    return kiln_sse_end(s);
}

/* "VERB REST" of a client's text: REST NUL-terminated in the arena. */
static const char *arg_of(kiln_ctx *c, kiln_str d, size_t verb)
{
    if (d.n <= verb + 1)
        return "";
    return kiln_arena_strndup(kiln_ctx_arena(c), d.p + verb + 1,
                              d.n - verb - 1);
}

static bool starts(kiln_str d, const char *verb)
{
    size_t n = strlen(verb);
    return d.n >= n && memcmp(d.p, verb, n) == 0 && (d.n == n || d.p[n] == ' ');
}

/* GET /ws?topic=T */
static int ws_pubsub(kiln_ctx *c, kiln_ws *ws)
{
    if (subscribe_all(c) != 0)
        return 0;
    if (kiln_ws_send_json(ws, "{subscribed:%s}", kiln_request_id(c)) != 0)
        return 0;
    kiln_ws_msg m;
    kiln_buf b;
    kiln_buf_init(&b);
    while (kiln_ws_recv(ws, &m) == 0) {
        kiln_buf_clear(&b);
        if (m.type == KILN_WS_PUB) {
            kiln_buf_puts(&b, "pub ");
            kiln_buf_append(&b, m.topic.p, m.topic.n);
            kiln_buf_putc(&b, ' ');
            kiln_buf_append(&b, m.data.p, m.data.n);
        } else if (m.type == KILN_WS_GAP) {
            kiln_buf_printf(&b, "gap %llu", (unsigned long long)m.lost);
        } else if (starts(m.data, "pub")) {
            const char *rest = arg_of(c, m.data, 3);
            const char *sp = strchr(rest, ' ');
            char *topic =
                kiln_arena_strndup(kiln_ctx_arena(c), rest,
                                   sp ? (size_t)(sp - rest) : strlen(rest));
            const char *data = sp ? sp + 1 : "";
            int rc = kiln_publish(topic, data, strlen(data));
            kiln_buf_printf(&b, "%s pub", rc ? "err" : "ok");
        } else if (starts(m.data, "sub") || starts(m.data, "unsub")) {
            bool un = starts(m.data, "unsub");
            const char *t = arg_of(c, m.data, un ? 5 : 3);
            int rc = un ? kiln_unsubscribe(c, t) : kiln_subscribe(c, t);
            kiln_buf_printf(&b, "%s %s %s", rc ? "err" : "ok",
                            un ? "unsub" : "sub", t);
        } else if (starts(m.data, "echo")) {
            kiln_buf_append(&b, m.data.p, m.data.n);
        } else {
            kiln_buf_puts(&b, "err what");
        }
        if (kiln_ws_send(ws, KILN_WS_TEXT, b.p, b.n) != 0)
            break;
    }
    kiln_buf_deinit(&b);
    return 0;
}

/* GET /poll/{topic}?ms=MS */
static KILN_HANDLER(poll_topic)
{
    int rc = kiln_subscribe(c, topic_param(c));
    if (rc)
        return kiln_problem(c, 503, "%s", kiln_strerror(rc));
    kiln_pub_msg m;
    rc = kiln_pub_recv(c, &m, kiln_query_int(c, "ms", 1000));
    if (rc == KILN_ETIMEDOUT)
        return kiln_respond(c, 204, NULL, NULL, 0);
    if (rc)
        return kiln_problem(c, 503, "%s", kiln_strerror(rc));
    if (m.kind == KILN_PUB_GAP)
        return kiln_text(c, 200, "gap %llu", (unsigned long long)m.lost);
    return kiln_text(c, 200, "%.*s %.*s", (int)m.topic.n, m.topic.p,
                     (int)m.data.n, m.data.p);
}

static KILN_HANDLER(stats)
{
    return kiln_pubsub_stats_send(c);
}

int main(int argc, char **argv)
{
    kiln_pubsub_opts o = {0};
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    int n = 0;
    rest[n++] = argv[0];
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--pubsub") == 0 && i + 1 < argc)
            o.backend = argv[++i];
        else if (strcmp(argv[i], "--url") == 0 && i + 1 < argc)
            o.url = argv[++i];
        else if (strcmp(argv[i], "--queue") == 0 && i + 1 < argc)
            o.queue = atoi(argv[++i]);
        else if (strcmp(argv[i], "--backlog") == 0 && i + 1 < argc)
            o.backlog = atoi(argv[++i]);
        else
            rest[n++] = argv[i];
    }
    o.timeout_ms = 1000;
    char err[400];
    kiln_pubsub *ps = kiln_pubsub_new(&o, err, sizeof err);
    if (!ps) {
        fprintf(stderr, "pubsubapp: %s\n", err);
        free(rest);
        return 2;
    }
    kiln_pubsub_set_default(ps);
    kiln_app *app = kiln_app_new();
    kiln_route(app, "POST", "/pub/{topic}", pub);
    kiln_route(app, "POST", "/pub-thread/{topic}", pub_thread);
    kiln_route(app, "GET", "/sse", sse);
    kiln_route_ws(app, "/ws", ws_pubsub);
    kiln_route(app, "GET", "/poll/{topic}", poll_topic);
    kiln_route(app, "GET", "/stats", stats);
    int rc = kiln_main(app, n, rest);
    kiln_pubsub_set_default(NULL);
    kiln_pubsub_free(ps);
    free(rest);
    return rc;
}
