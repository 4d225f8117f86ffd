/*
 * pubsub/once.c - one publication, blocking, for a process that has no
 * event loop and no pub/sub of its own: the kiln command telling running
 * instances what it changed (a revoked token, a user's new password).
 *
 *   redis     PUBLISH CHANNEL:TOPIC DATA on a connection of its own (AUTH
 *             first when the URL has a password), its reply awaited;
 *   postgres  SELECT pg_notify(CHANNEL, 'TOPIC DATA') on a connection of
 *             its own: the form a program other than Kiln publishes in
 *             (pubsub_wire_decode), which every instance's LISTEN hears;
 *   local     nothing: no other process could hear it.
 *
 * The listeners take a message without Kiln's envelope as published by
 * another program, so nothing here needs an origin or a sequence number.
 */
#include "pubsub/pubsub.h"

#include "redis/hr.h"
#include "redis/redis.h"

#include <kiln/db.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until fd is ready for ev or the deadline passes: 0 or -1. */
static int wait_fd(int fd, short ev, int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left <= 0)
            return -1;
        struct pollfd p = {.fd = fd, .events = ev};
        int r = poll(&p, 1, (int)left);
        if (r > 0)
            return 0;
        if (r < 0 && errno != EINTR)
            return -1;
    }
}

/* Sends b whole on fd by the deadline: 0 or -1. */
static int send_all(int fd, const kiln_buf *b, int64_t deadline)
{
    size_t off = 0;
    while (off < b->n) {
        ssize_t w = write(fd, b->p + off, b->n - off);
        if (w > 0) {
            off += (size_t)w;
            continue;
        }
        if (w < 0 && errno != EAGAIN && errno != EINTR)
            return -1;
        if (wait_fd(fd, POLLOUT, deadline) != 0)
            return -1;
    }
    return 0;
}

/* Reads n replies from fd by the deadline; the first error reply's text
   into err. 0, or -1 with err. */
static int read_replies(int fd, int n, int64_t deadline, char *err,
                        size_t errlen)
{
    redisReader *rd = hr_fn.redisReaderCreate();
    if (!rd) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = 0;
    while (rc == 0 && n > 0) {
        void *r = NULL;
        if (hr_fn.redisReaderGetReply(rd, &r) != REDIS_OK) {
            snprintf(err, errlen, "a malformed reply");
            rc = -1;
            break;
        }
        if (r) {
            redisReply *rep = r;
            if (rep->type == REDIS_REPLY_ERROR) {
                snprintf(err, errlen, "%.*s", (int)rep->len, rep->str);
                rc = -1;
            }
            hr_fn.freeReplyObject(r);
            n--;
            continue;
        }
        char buf[512];
        ssize_t got = read(fd, buf, sizeof buf);
        if (got > 0) {
            hr_fn.redisReaderFeed(rd, buf, (size_t)got);
        } else if (got == 0) {
            snprintf(err, errlen, "the server closed the connection");
            rc = -1;
        } else if (errno != EAGAIN && errno != EINTR) {
            snprintf(err, errlen, "%s", strerror(errno));
            rc = -1;
        } else if (wait_fd(fd, POLLIN, deadline) != 0) {
            snprintf(err, errlen, "no reply in time");
            rc = -1;
        }
    }
    hr_fn.redisReaderFree(rd);
    return rc;
}

static int redis_once(const kiln_pubsub_opts *o, const char *topic,
                      kiln_str data, int64_t deadline, char *err, size_t errlen)
{
    char e[300];
    redis_url u;
    if (redis_url_parse(o->url, &u, e, sizeof e) != 0 ||
        hr_load(e, sizeof e) != 0) {
        snprintf(err, errlen, "pubsub: %s", e);
        return KILN_EINVAL;
    }
    bool pending;
    int fd = redis_socket_open(&u, &pending, e, sizeof e);
    if (fd < 0) {
        snprintf(err, errlen, "Redis: %s", e);
        return KILN_EUNAVAIL;
    }
    int so = 0;
    socklen_t sl = sizeof so;
    if (pending &&
        (wait_fd(fd, POLLOUT, deadline) != 0 ||
         getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &sl) != 0 || so != 0)) {
        snprintf(err, errlen, "Redis: cannot connect: %s",
                 so ? strerror(so) : "no answer in time");
        close(fd);
        return KILN_EUNAVAIL;
    }
    kiln_buf b, ch;
    kiln_buf_init(&b);
    kiln_buf_init(&ch);
    int replies = 1;
    int rc = kiln_buf_printf(&ch, "%s:%s", o->channel, topic);
    if (rc == 0 && u.password[0]) {
        kiln_str auth[3] = {KILN_STR("AUTH"), kiln_str_c(u.user),
                            kiln_str_c(u.password)};
        rc = u.user[0] ? redis_encode(&b, 3, auth)
                       : redis_encode(&b, 2, (kiln_str[]){auth[0], auth[2]});
        replies++;
    }
    kiln_str pub[3] = {KILN_STR("PUBLISH"), (kiln_str){ch.p, ch.n}, data};
    if (rc == 0)
        rc = redis_encode(&b, 3, pub);
    if (rc != 0)
        snprintf(err, errlen, "out of memory");
    else if (send_all(fd, &b, deadline) != 0)
        snprintf(err, errlen, "Redis: cannot send: %s", strerror(errno)),
            rc = KILN_EUNAVAIL;
    else if (read_replies(fd, replies, deadline, e, sizeof e) != 0)
        snprintf(err, errlen, "Redis: %s", e), rc = KILN_EUNAVAIL;
    kiln_buf_deinit(&b);
    kiln_buf_deinit(&ch);
    close(fd);
    return rc;
}

static int postgres_once(const kiln_pubsub_opts *o, const char *topic,
                         kiln_str data, char *err, size_t errlen)
{
    char e[300];
    kiln_dbc *db = kiln_dbc_open(o->url, e, sizeof e);
    if (!db) {
        snprintf(err, errlen, "pubsub: %s", e);
        return KILN_EUNAVAIL;
    }
    kiln_buf p;
    kiln_buf_init(&p);
    int rc = kiln_buf_printf(&p, "%s %.*s", topic, (int)data.n, data.p);
    if (rc == 0 &&
        kiln_db_exec(db, "SELECT pg_notify($1, $2)", KILN_TEXT(o->channel),
                     KILN_STRV(((kiln_str){p.p, p.n}))) < 0) {
        snprintf(err, errlen, "pubsub: %s", kiln_db_errmsg(db));
        rc = KILN_EUNAVAIL;
    }
    kiln_buf_deinit(&p);
    kiln_dbc_close(db);
    return rc;
}

int pubsub_publish_once(const kiln_pubsub_opts *o, const char *topic,
                        const void *data, size_t n, char *err, size_t errlen)
{
    const char *b = o->backend && *o->backend ? o->backend : "local";
    if (strcmp(b, "local") == 0)
        return 0;
    if (!o->url || !*o->url || !o->channel || !pubsub_channel_ok(o->channel) ||
        !pubsub_topic_ok(topic, strlen(topic))) {
        snprintf(err, errlen, "pubsub: no URL, or a bad channel or topic");
        return KILN_EINVAL;
    }
    int ms = o->timeout_ms > 0 ? o->timeout_ms : 2000;
    kiln_str d = {data, n};
    if (strcmp(b, "redis") == 0)
        return redis_once(o, topic, d, now_ms() + ms, err, errlen);
    if (strcmp(b, "postgres") == 0)
        return postgres_once(o, topic, d, err, errlen);
    snprintf(err, errlen, "pubsub.backend '%s' is not local, redis or postgres",
             b);
    return KILN_EINVAL;
}
