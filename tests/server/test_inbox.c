/*
 * tests/server/test_inbox.c - a worker's inbox (worker_post,
 * worker_inbox_drain in src/server/worker.c): posts from several threads
 * at once all arrive, each sender's in its order, and the worker's
 * eventfd is written when the inbox goes from empty to not.
 */
#include "test.h"

#include "server/worker.h"

#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define SENDERS 4
#define PER 20000

typedef struct item {
    worker_msg m; /* first */
    int sender, seq;
} item;

static int last_seq[SENDERS];
static long got;

static void on_item(worker *w, worker_msg *m)
{
    (void)w;
    item *it = (item *)m;
    CHECK_INT(it->seq, last_seq[it->sender] + 1); /* in order per sender */
    last_seq[it->sender] = it->seq;
    got++;
}

typedef struct sender {
    worker *w;
    item *items;
    int id;
} sender;

static void *send_all(void *arg)
{
    sender *s = arg;
    for (int i = 0; i < PER; i++) {
        s->items[i].m.fn = on_item;
        s->items[i].sender = s->id;
        s->items[i].seq = i + 1;
        worker_post(s->w, &s->items[i].m);
    }
    return NULL;
}

TEST(inbox_many_senders)
{
    worker w;
    memset(&w, 0, sizeof w);
    w.wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    CHECK(w.wake_fd >= 0);
    sender s[SENDERS];
    pthread_t t[SENDERS];
    for (int i = 0; i < SENDERS; i++) {
        s[i] = (sender){&w, calloc(PER, sizeof(item)), i};
        CHECK(pthread_create(&t[i], NULL, send_all, &s[i]) == 0);
    }
    /* the worker drains while they post */
    int64_t spins = 0;
    while (got < (long)SENDERS * PER && spins++ < 100000000)
        worker_inbox_drain(&w);
    for (int i = 0; i < SENDERS; i++)
        pthread_join(t[i], NULL);
    worker_inbox_drain(&w);
    CHECK_INT(got, (long)SENDERS * PER);
    for (int i = 0; i < SENDERS; i++) {
        CHECK_INT(last_seq[i], PER);
        free(s[i].items);
    }
    uint64_t v = 0;
    CHECK(read(w.wake_fd, &v, sizeof v) == sizeof v && v >= 1);
    close(w.wake_fd);
}

TEST(inbox_wakes_once_per_burst)
{
    worker w;
    memset(&w, 0, sizeof w);
    w.wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    item it[3];
    got = 0;
    memset(last_seq, 0, sizeof last_seq);
    for (int i = 0; i < 3; i++) {
        it[i] = (item){{NULL, on_item}, 0, i + 1};
        worker_post(&w, &it[i].m);
    }
    uint64_t v = 0;
    CHECK(read(w.wake_fd, &v, sizeof v) == sizeof v);
    CHECK_INT(v, 1); /* only the first post, into an empty inbox, wrote */
    worker_inbox_drain(&w);
    CHECK_INT(got, 3);
    CHECK(w.inbox == NULL);
    worker_post(&w, &it[0].m); /* empty again: wakes again */
    CHECK(read(w.wake_fd, &v, sizeof v) == sizeof v && v == 1);
    close(w.wake_fd);
}
