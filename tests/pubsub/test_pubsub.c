/*
 * tests/pubsub/test_pubsub.c - the pure parts of pub/sub (src/pubsub/):
 * topics and the envelope (wire.c), the bounded queue (queue.c), a
 * worker's topic table and its delivery (table.c), and the fan-out
 * through real worker inboxes (hub.c) driven by hand: publishers on
 * several threads, two workers drained here, subscribers with bounded
 * queues.
 */
#include "test.h"

#include "pubsub/pubsub.h"

#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* ---- topics and the envelope --------------------------------------------- */

TEST(topic_rules)
{
    CHECK(pubsub_topic_ok("board:1", 7));
    CHECK(pubsub_topic_ok("a", 1));
    CHECK(pubsub_topic_ok("user.42/inbox~x", 15));
    CHECK(!pubsub_topic_ok("", 0));
    CHECK(!pubsub_topic_ok(NULL, 0));
    CHECK(!pubsub_topic_ok("a b", 3));         /* space */
    CHECK(!pubsub_topic_ok("a\tb", 3));        /* control */
    CHECK(!pubsub_topic_ok("caf\xc3\xa9", 5)); /* not ASCII */
    CHECK(!pubsub_topic_ok("a\x7f", 2));
    char big[KILN_TOPIC_MAX + 2];
    memset(big, 'x', sizeof big);
    CHECK(pubsub_topic_ok(big, KILN_TOPIC_MAX));
    CHECK(!pubsub_topic_ok(big, KILN_TOPIC_MAX + 1));
    CHECK(pubsub_channel_ok("kiln"));
    CHECK(pubsub_channel_ok("My_App2"));
    CHECK(!pubsub_channel_ok(""));
    CHECK(!pubsub_channel_ok("a-b"));
    CHECK(!pubsub_channel_ok("a:b"));
    memset(big, 'a', 64);
    big[64] = '\0';
    CHECK(!pubsub_channel_ok(big)); /* 64 > PostgreSQL's 63 */
    big[63] = '\0';
    CHECK(pubsub_channel_ok(big));
}

TEST(envelope_round_trip)
{
    kiln_buf b;
    kiln_buf_init(&b);
    kiln_str data = {"{\"a\":1}\n\0x", 10};
    CHECK(pubsub_wire_encode(&b, 0x1234abcd5678ef90u, 7, KILN_STR("board:1"),
                             data) == 0);
    CHECK_STR(b.p, "~k1 1234abcd5678ef90 7 board:1 {\"a\":1}\n");
    CHECK_INT(b.n, 4 + 16 + 1 + 1 + 1 + 8 + 10);
    pubsub_wire w;
    CHECK(pubsub_wire_decode(b.p, b.n, true, &w) == 0);
    CHECK(w.origin == 0x1234abcd5678ef90u);
    CHECK_INT(w.seq, 7);
    CHECK(kiln_str_eq(w.topic, KILN_STR("board:1")));
    CHECK_INT(w.data.n, 10);
    CHECK(memcmp(w.data.p, data.p, 10) == 0); /* binary-safe */
    /* without a topic (Redis: the channel names it) */
    kiln_buf_clear(&b);
    CHECK(pubsub_wire_encode(&b, 1, 0xffffffffffffffffu, KILN_STR_NULL,
                             KILN_STR("x y")) == 0);
    CHECK_STR(b.p, "~k1 1 ffffffffffffffff x y");
    CHECK(pubsub_wire_decode(b.p, b.n, false, &w) == 0);
    CHECK(w.origin == 1 && w.seq == 0xffffffffffffffffu);
    CHECK(kiln_str_eq(w.data, KILN_STR("x y")));
    CHECK_INT(w.topic.n, 0);
    /* empty data */
    kiln_buf_clear(&b);
    CHECK(pubsub_wire_encode(&b, 9, 1, KILN_STR("t"), KILN_STR("")) == 0);
    CHECK(pubsub_wire_decode(b.p, b.n, true, &w) == 0);
    CHECK(kiln_str_eq(w.topic, KILN_STR("t")) && w.data.n == 0);
    kiln_buf_deinit(&b);
}

TEST(envelope_foreign_payloads)
{
    pubsub_wire w;
    /* another program's: "TOPIC DATA" on PostgreSQL, the whole on Redis */
    const char *p = "board:1 {\"id\":3}";
    CHECK(pubsub_wire_decode(p, strlen(p), true, &w) == 0);
    CHECK(w.origin == 0);
    CHECK(kiln_str_eq(w.topic, KILN_STR("board:1")));
    CHECK(kiln_str_eq(w.data, KILN_STR("{\"id\":3}")));
    CHECK(pubsub_wire_decode(p, strlen(p), false, &w) == 0);
    CHECK(kiln_str_eq(w.data, kiln_str_c(p)) && w.topic.n == 0);
    CHECK(pubsub_wire_decode("ping", 4, true, &w) == 0); /* a topic alone */
    CHECK(kiln_str_eq(w.topic, KILN_STR("ping")) && w.data.n == 0);
    CHECK(pubsub_wire_decode("", 0, false, &w) == 0 && w.data.n == 0);
    CHECK(pubsub_wire_decode(NULL, 0, false, &w) == 0);
    /* ...whose topic must be one */
    CHECK(pubsub_wire_decode("", 0, true, &w) == KILN_EPARSE);
    CHECK(pubsub_wire_decode(" x", 2, true, &w) == KILN_EPARSE);
    CHECK(pubsub_wire_decode("t\x01 x", 4, true, &w) == KILN_EPARSE);
}

TEST(envelope_malformed)
{
    static const char *const bad[] = {
        "~k1 ",                        /* nothing */
        "~k1 12",                      /* no space after the origin */
        "~k1 0 1 t x",                 /* origin 0 is nobody's */
        "~k1 12x 1 t x",               /* not hex */
        "~k1 12A 1 t x",               /* uppercase */
        "~k1 12345678901234567 1 t x", /* 17 digits */
        "~k1  1 t x",                  /* empty origin */
        "~k1 1  t x",                  /* empty seq */
        "~k1 1 2",                     /* no space after the seq */
        "~k1 1 2 t",                   /* with a topic: no space after it */
        "~k1 1 2  x",                  /* empty topic */
        "~k1 1 2 t\x7fz x",            /* a topic that is not one */
    };
    pubsub_wire w;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (pubsub_wire_decode(bad[i], strlen(bad[i]), true, &w) != KILN_EPARSE)
            test_fail(__FILE__, __LINE__, "accepted '%s'", bad[i]);
    /* without a topic the rest is data, whatever it holds */
    CHECK(pubsub_wire_decode("~k1 1 2 ", 8, false, &w) == 0 && w.data.n == 0);
    CHECK(pubsub_wire_decode("~k1 1 2", 7, false, &w) == KILN_EPARSE);
}

/* ---- messages and the queue
 * --------------------------------------------------- */

/* A message with one post that a delivery holds, as a worker's inbox
   handler does (the post's hold stands for the message's reference). */
static pubsub_post *post_new(const char *topic, const char *data)
{
    pubsub_msg *m =
        pubsub_msg_new(PUBSUB_MESSAGE, kiln_str_c(topic), kiln_str_c(data), 1);
    CHECK(m != NULL);
    m->posts[0].holds = 1;
    return &m->posts[0];
}

TEST(msg_copies_and_refs)
{
    pubsub_msg *m =
        pubsub_msg_new(PUBSUB_MESSAGE, KILN_STR("t"), KILN_STR("abc"), 3);
    CHECK(m && m->refs == 1 && m->nposts == 3);
    CHECK_STR(m->topic.p, "t");
    CHECK_STR(m->data.p, "abc"); /* NUL-terminated copies */
    for (int i = 0; i < 3; i++)
        CHECK(m->posts[i].msg == m);
    pubsub_msg_ref(m);
    pubsub_msg_ref(m);
    CHECK_INT(m->refs, 3);
    pubsub_msg_release(m);
    pubsub_msg_release(m);
    CHECK_INT(m->refs, 1);
    pubsub_msg_release(m); /* freed (ASan would see a leak otherwise) */
}

TEST(queue_bounded_drops_counted_gap_in_place)
{
    pubsub_queue q;
    pubsub_queue_init(&q, 6);
    pubsub_post *p[10];
    char d[8];
    for (int i = 0; i < 10; i++) {
        snprintf(d, sizeof d, "%d", i);
        p[i] = post_new("t", d);
    }
    CHECK(!pubsub_queue_ready(&q));
    for (int i = 0; i < 6; i++)
        CHECK_INT(pubsub_queue_push(&q, p[i]), 1); /* grows past inline */
    CHECK_INT(q.n, 6);
    CHECK_INT(pubsub_queue_push(&q, p[6]), 0); /* full: dropped */
    CHECK_INT(pubsub_queue_push(&q, p[7]), 0);
    CHECK_INT(q.lost, 2);
    CHECK_INT(p[6]->holds, 1); /* not held by the queue */
    pubsub_entry e;
    /* the first two go: room for one more, which comes after the gap */
    for (int i = 0; i < 2; i++) {
        CHECK(pubsub_queue_take(&q, &e));
        CHECK(e.p == p[i] && e.lost == 0);
        pubsub_post_drop(e.p);
    }
    CHECK_INT(pubsub_queue_push(&q, p[8]), 1);
    CHECK_INT(q.lost, 0);
    for (int i = 2; i < 6; i++) {
        CHECK(pubsub_queue_take(&q, &e));
        CHECK(e.p == p[i]);
        pubsub_post_drop(e.p);
    }
    CHECK(pubsub_queue_take(&q, &e)); /* the gap, where it was */
    CHECK(e.p == NULL && e.lost == 2);
    CHECK(pubsub_queue_take(&q, &e));
    CHECK(e.p == p[8] && e.lost == 0);
    pubsub_post_drop(e.p);
    CHECK(!pubsub_queue_take(&q, &e));
    CHECK(q.v == q.inl); /* empty: the heap ring is gone */
    /* a gap at the tail shows once the queue drains to it */
    pubsub_queue_init(&q, 1);
    CHECK_INT(pubsub_queue_push(&q, p[9]), 1);
    CHECK_INT(pubsub_queue_push(&q, p[6]), 0);
    CHECK(pubsub_queue_take(&q, &e) && e.p == p[9]);
    pubsub_post_drop(e.p);
    CHECK(pubsub_queue_ready(&q));
    CHECK(pubsub_queue_take(&q, &e) && !e.p && e.lost == 1);
    CHECK(!pubsub_queue_ready(&q));
    pubsub_queue_clear(&q);
    for (int i = 0; i < 10; i++) /* the deliveries' own holds */
        if (i != 9 && i != 8 && i > 5)
            pubsub_post_drop(p[i]);
    for (int i = 0; i < 6; i++)
        pubsub_post_drop(p[i]);
    pubsub_post_drop(p[8]);
    pubsub_post_drop(p[9]);
}

TEST(queue_clear_releases)
{
    pubsub_queue q;
    pubsub_queue_init(&q, 100);
    pubsub_post *p = post_new("t", "x");
    for (int i = 0; i < 20; i++)
        CHECK_INT(pubsub_queue_push(&q, p), 1);
    CHECK_INT(p->holds, 21);
    pubsub_queue_clear(&q);
    CHECK_INT(p->holds, 1);
    CHECK(q.n == 0 && q.v == q.inl);
    pubsub_post_drop(p); /* frees the message */
}

/* ---- the table
 * ------------------------------------------------------------------ */

static pubsub_sub *sub_new(pubsub_table *t, uint32_t max)
{
    pubsub_sub *s = calloc(1, sizeof *s);
    pubsub_table_sub_add(t, s, max);
    return s;
}

static char gone_names[256];
static void on_gone(void *arg, const char *topic)
{
    (void)arg;
    strcat(gone_names, topic);
    strcat(gone_names, ";");
}

TEST(table_join_leave_deliver)
{
    pubsub_table t;
    pubsub_table_init(&t);
    pubsub_sub *a = sub_new(&t, 10), *b = sub_new(&t, 10), *c = sub_new(&t, 10);
    CHECK_INT(pubsub_table_join(&t, a, "x", 1), 1); /* new topic */
    CHECK_INT(pubsub_table_join(&t, b, "x", 1), 0); /* joined */
    CHECK_INT(pubsub_table_join(&t, a, "x", 1), 0); /* already: one */
    CHECK_INT(pubsub_table_join(&t, c, "y", 1), 1);
    CHECK_INT(pubsub_table_join(&t, a, "y", 1), 0);
    CHECK_INT(t.ntopics, 2);
    CHECK_INT(t.nlinks, 4);
    CHECK_INT(a->ntopics, 2);
    CHECK(pubsub_table_has(&t, KILN_STR("x")));
    CHECK(!pubsub_table_has(&t, KILN_STR("z")));
    pubsub_post *px = post_new("x", "to x");
    CHECK_INT(pubsub_table_deliver(&t, px), 2); /* a, b */
    CHECK_INT(px->holds, 3);
    CHECK_INT(a->q.n, 1);
    CHECK_INT(b->q.n, 1);
    CHECK_INT(c->q.n, 0);
    /* a and b were idle: both on the ready list, once */
    pubsub_sub *r;
    int nready = 0;
    while ((r = pubsub_table_next_ready(&t))) {
        CHECK(r == a || r == b);
        nready++;
    }
    CHECK_INT(nready, 2);
    /* a second publication: a's queue is not empty, so not ready again */
    pubsub_post *py = post_new("y", "to y");
    CHECK_INT(pubsub_table_deliver(&t, py), 2); /* a, c */
    r = pubsub_table_next_ready(&t);
    CHECK(r == c && !pubsub_table_next_ready(&t));
    CHECK_INT(t.delivered, 4);
    /* leaving */
    CHECK_INT(pubsub_table_leave(&t, b, "x", 1), 0); /* a stays on x */
    CHECK_INT(pubsub_table_leave(&t, b, "x", 1), KILN_ENOTFOUND);
    CHECK_INT(pubsub_table_leave(&t, b, "nope", 4), KILN_ENOTFOUND);
    CHECK_INT(pubsub_table_leave(&t, c, "y", 1), 0);
    CHECK_INT(pubsub_table_leave(&t, a, "y", 1), 1); /* y is gone */
    CHECK(!pubsub_table_has(&t, KILN_STR("y")));
    /* a subscriber removed: its topics, its queue */
    gone_names[0] = '\0';
    pubsub_table_sub_remove(&t, a, on_gone, NULL);
    CHECK_STR(gone_names, "x;");
    CHECK_INT(t.ntopics, 0);
    CHECK_INT(t.nsubs, 2);
    CHECK_INT(px->holds, 2); /* b still holds x's */
    pubsub_table_sub_remove(&t, b, on_gone, NULL);
    pubsub_table_sub_remove(&t, c, on_gone, NULL);
    CHECK_INT(px->holds, 1);
    CHECK_INT(py->holds, 1);
    CHECK(t.subs == NULL && t.nlinks == 0);
    pubsub_post_drop(px);
    pubsub_post_drop(py);
    pubsub_table_deinit(&t);
    free(a);
    free(b);
    free(c);
}

TEST(table_gap_reaches_everyone_drops_counted)
{
    pubsub_table t;
    pubsub_table_init(&t);
    pubsub_sub *a = sub_new(&t, 2), *b = sub_new(&t, 2);
    pubsub_table_join(&t, a, "x", 1);
    /* b subscribes to nothing: a gap still reaches it */
    pubsub_post *p[4];
    for (int i = 0; i < 4; i++) {
        p[i] = post_new("x", "m");
        pubsub_table_deliver(&t, p[i]);
    }
    CHECK_INT(t.delivered, 2);
    CHECK_INT(t.dropped, 2);
    CHECK_INT(a->dropped, 2);
    CHECK_INT(a->q.lost, 2);
    pubsub_msg *g = pubsub_msg_new(PUBSUB_GAP, KILN_STR(""), KILN_STR(""), 1);
    g->posts[0].holds = 1;
    CHECK_INT(pubsub_table_deliver(&t, &g->posts[0]), 1); /* b; a is full */
    CHECK_INT(b->q.n, 1);
    CHECK_INT(a->q.lost, 3);
    pubsub_table_sub_remove(&t, a, NULL, NULL);
    pubsub_table_sub_remove(&t, b, NULL, NULL);
    for (int i = 0; i < 4; i++)
        pubsub_post_drop(p[i]);
    pubsub_post_drop(&g->posts[0]);
    pubsub_table_deinit(&t);
    free(a);
    free(b);
}

TEST(table_many_topics_grow)
{
    pubsub_table t;
    pubsub_table_init(&t);
    pubsub_sub *s = sub_new(&t, 4);
    char name[32];
    for (int i = 0; i < 5000; i++) {
        int n = snprintf(name, sizeof name, "topic:%d", i);
        CHECK_INT(pubsub_table_join(&t, s, name, (size_t)n), 1);
    }
    CHECK_INT(t.ntopics, 5000);
    CHECK(t.nbuckets >= 4096);
    for (int i = 0; i < 5000; i += 7) {
        int n = snprintf(name, sizeof name, "topic:%d", i);
        CHECK(pubsub_table_has(&t, (kiln_str){name, (size_t)n}));
    }
    pubsub_table_sub_remove(&t, s, NULL, NULL);
    CHECK_INT(t.ntopics, 0);
    pubsub_table_deinit(&t);
    free(s);
}

/* ---- the fan-out through worker inboxes
 * ----------------------------------------- */

#define NPUB 4
#define PER 3000
#define NSUBS 50

typedef struct pub_job {
    int id;
} pub_job;

static void *publisher(void *arg)
{
    pub_job *j = arg;
    char d[32];
    for (int i = 1; i <= PER; i++) {
        int n = snprintf(d, sizeof d, "%d %d", j->id, i);
        CHECK_INT(kiln_publish(j->id % 2 ? "odd" : "even", d, (size_t)n), 0);
    }
    return NULL;
}

/* Takes everything from s, checking each publisher's order; returns how
   many messages (and adds gaps' losses to *lost). */
static int drain_sub(pubsub_sub *s, uint64_t *lost)
{
    int last[NPUB] = {0};
    int got = 0;
    pubsub_entry e;
    while (pubsub_queue_take(&s->q, &e)) {
        if (!e.p) {
            *lost += e.lost;
            continue;
        }
        int id, seq;
        CHECK(sscanf(e.p->msg->data.p, "%d %d", &id, &seq) == 2);
        CHECK(id >= 0 && id < NPUB);
        if (seq <= last[id])
            test_fail(__FILE__, __LINE__,
                      "publisher %d: %d after %d (out of order)", id, seq,
                      last[id]);
        last[id] = seq;
        got++;
        pubsub_post_drop(e.p);
    }
    return got;
}

TEST(fanout_across_workers_in_order_bounded)
{
    worker ws[2];
    memset(ws, 0, sizeof ws);
    for (int i = 0; i < 2; i++) {
        ws[i].id = i;
        ws[i].wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    }
    char err[200];
    kiln_pubsub *ps =
        kiln_pubsub_new(&(kiln_pubsub_opts){.queue = 1000}, err, sizeof err);
    CHECK(ps != NULL);
    kiln_pubsub_set_default(ps);
    CHECK_INT(pubsub_serve_begin(ws, 2), 0);
    /* no subscriber anywhere: a publication costs nothing */
    CHECK_INT(kiln_publish("even", "x", 1), 0);
    CHECK(ws[0].inbox == NULL && ws[1].inbox == NULL);
    /* subscribers on both workers, by hand (as kiln_subscribe would) */
    pubsub_sub *subs[2][NSUBS];
    pubsub_worker *pw[2];
    for (int w = 0; w < 2; w++) {
        pw[w] = pubsub_worker_of(&ws[w]);
        CHECK(pw[w] != NULL && pw[w]->w == &ws[w]);
        for (int i = 0; i < NSUBS; i++) {
            subs[w][i] = calloc(1, sizeof(pubsub_sub));
            pubsub_table_sub_add(&pw[w]->table, subs[w][i],
                                 i == 0 ? 100 : NPUB * PER);
            /* odd ones hear both topics, even ones only "even" */
            pubsub_table_join(&pw[w]->table, subs[w][i], "even", 4);
            if (i % 2)
                pubsub_table_join(&pw[w]->table, subs[w][i], "odd", 3);
        }
        pubsub_worker_sync(pw[w]);
    }
    pthread_t t[NPUB];
    pub_job jobs[NPUB];
    for (int i = 0; i < NPUB; i++) {
        jobs[i].id = i;
        CHECK(pthread_create(&t[i], NULL, publisher, &jobs[i]) == 0);
    }
    /* the workers drain while they publish, taking what they queued */
    uint64_t lost = 0;
    int got[2][NSUBS];
    memset(got, 0, sizeof got);
    for (int spins = 0; spins < 200; spins++) {
        for (int w = 0; w < 2; w++) {
            worker_inbox_drain(&ws[w]);
            for (int i = 1; i < NSUBS; i++) /* subs[w][0]: never reads */
                got[w][i] += drain_sub(subs[w][i], &lost);
        }
        usleep(1000);
    }
    for (int i = 0; i < NPUB; i++)
        pthread_join(t[i], NULL);
    for (int w = 0; w < 2; w++) {
        worker_inbox_drain(&ws[w]);
        for (int i = 1; i < NSUBS; i++)
            got[w][i] += drain_sub(subs[w][i], &lost);
    }
    /* readers with room for all: everything arrived, in order */
    for (int w = 0; w < 2; w++)
        for (int i = 1; i < NSUBS; i++)
            CHECK_INT(got[w][i], i % 2 ? NPUB * PER : NPUB * PER / 2);
    CHECK_INT(lost, 0);
    /* the one that never read holds 100 and lost the rest, counted */
    for (int w = 0; w < 2; w++) {
        pubsub_sub *s = subs[w][0];
        CHECK_INT(s->q.n, 100);
        CHECK_INT(s->dropped, NPUB * PER / 2 - 100);
        CHECK_INT(s->q.lost, NPUB * PER / 2 - 100);
        /* every subscriber's copy is the same bytes: shared, not copied */
        pubsub_entry e;
        CHECK(pubsub_queue_take(&s->q, &e) && e.p);
        CHECK(e.p->msg->data.p != NULL);
        pubsub_post_drop(e.p);
    }
    kiln_pubsub_stats st;
    kiln_pubsub_stats_get(&st);
    CHECK_STR(st.backend, "local");
    CHECK_INT(st.published, NPUB * PER + 1);
    CHECK_INT(st.dropped, 2 * (NPUB * PER / 2 - 100));
    CHECK_INT(st.subscribers, 2 * NSUBS);
    CHECK_INT(st.subscriptions, 2 * (NSUBS + NSUBS / 2));
    for (int w = 0; w < 2; w++) {
        for (int i = 0; i < NSUBS; i++) {
            pubsub_table_sub_remove(&pw[w]->table, subs[w][i], NULL, NULL);
            free(subs[w][i]);
        }
        pubsub_worker_sync(pw[w]);
        pubsub_worker_exit(&ws[w]);
        close(ws[w].wake_fd);
    }
    pubsub_serve_end();
    kiln_pubsub_set_default(NULL);
    kiln_pubsub_free(ps);
    /* after the run: publishing is a no-op that succeeds */
    CHECK_INT(kiln_publish("even", "x", 1), 0);
}

TEST(publish_refuses_bad_input)
{
    char err[200];
    kiln_pubsub *ps = kiln_pubsub_new(&(kiln_pubsub_opts){.max_message = 10},
                                      err, sizeof err);
    kiln_pubsub_set_default(ps);
    CHECK_INT(kiln_publish("bad topic", "x", 1), KILN_EINVAL);
    CHECK_INT(kiln_publish("", "x", 1), KILN_EINVAL);
    CHECK_INT(kiln_publish(NULL, "x", 1), KILN_EINVAL);
    CHECK_INT(kiln_publish("t", NULL, 1), KILN_EINVAL);
    CHECK_INT(kiln_publish("t", "0123456789", 10), 0);
    CHECK_INT(kiln_publish("t", "0123456789a", 11), KILN_ELIMIT);
    CHECK_INT(kiln_publish_json("t", "{a:%d}", 1), 0);
    CHECK_INT(kiln_publish_json("t", "{a:%q}", 1), KILN_EINVAL);
    kiln_pubsub_set_default(NULL);
    kiln_pubsub_free(ps);
}

TEST(settings_refused)
{
    char err[300];
    CHECK(!kiln_pubsub_new(&(kiln_pubsub_opts){.backend = "kafka"}, err,
                           sizeof err));
    CHECK(strstr(err, "not local, redis or postgres") != NULL);
    CHECK(!kiln_pubsub_new(&(kiln_pubsub_opts){.backend = "redis"}, err,
                           sizeof err));
    CHECK(strstr(err, "needs a URL") != NULL);
    CHECK(!kiln_pubsub_new(
        &(kiln_pubsub_opts){.backend = "redis", .url = "http://x"}, err,
        sizeof err));
    CHECK(!kiln_pubsub_new(
        &(kiln_pubsub_opts){.backend = "postgres", .url = "sqlite://a.db"}, err,
        sizeof err));
    CHECK(strstr(err, "postgres://") != NULL);
    CHECK(!kiln_pubsub_new(&(kiln_pubsub_opts){.channel = "no-dash"}, err,
                           sizeof err));
    CHECK(strstr(err, "pubsub.channel") != NULL);
}

/* The postgres backend's limits are checked before anything is sent (no
   server needed: nothing connects until the first use). */
TEST(postgres_limits_checked_first)
{
    char err[300];
    kiln_pubsub *ps = kiln_pubsub_new(
        &(kiln_pubsub_opts){.backend = "postgres",
                            .url = "postgres://127.0.0.1:1/none"},
        err, sizeof err);
    if (!ps) { /* libpq missing: the message says so */
        CHECK(strstr(err, "libpq") != NULL);
        return;
    }
    kiln_pubsub_set_default(ps);
    CHECK_INT(kiln_publish("t", "a\0b", 3), KILN_EINVAL); /* a NUL */
    CHECK_INT(kiln_publish("t", "\xff", 1), KILN_EINVAL); /* not UTF-8 */
    CHECK_INT(kiln_publish("t", "\xc3", 1), KILN_EINVAL); /* cut short */
    char *big = malloc(8000);
    memset(big, 'a', 8000);
    CHECK_INT(kiln_publish("t", big, 7999 - PUBSUB_WIRE_HEAD - 2),
              KILN_EUNAVAIL); /* fits; nobody to send it to */
    CHECK_INT(kiln_publish("t", big, 8000 - PUBSUB_WIRE_HEAD - 2), KILN_ELIMIT);
    free(big);
    kiln_pubsub_set_default(NULL);
    kiln_pubsub_free(ps);
}
