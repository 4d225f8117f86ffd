/*
 * bench/pubsub_load.c - the load client of bench/pubsub_bench.py: one
 * publication to many subscribers, the time until the last one has it.
 *
 *   pubsub_load PORT CONNS ROUNDS sse|ws [PUBPORT]
 *
 * Opens CONNS connections to 127.0.0.1:PORT, each an event stream
 * (GET /sse?topic=bench) or a WebSocket (GET /ws?topic=bench) of
 * tests/pubsubapp, and waits until each says it is subscribed. Then, ROUNDS
 * times: notes the time, asks the server on PUBPORT (default PORT: the same
 * instance; another one shares the backend) to publish "round R." to the
 * topic (POST /pub/bench on a connection of its own), and reads every
 * connection until each has received "round R."; a round's result is the
 * time from the request to the last arrival, and the median and 99th
 * percentile over the connections.
 *
 * Once all are subscribed it prints "ready CONNS" and waits for a line on
 * its standard input (the bench reads the server's memory meanwhile).
 * Then it prints one line of JSON: the setup time, per round the last arrival
 * in milliseconds (median and worst over the rounds), and the client's own CPU
 * time per round, to show it was not the bottleneck. One thread, one epoll
 * loop, Linux only.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct sub {
    int fd;
    bool subscribed;
    bool got;      /* this round's message arrived */
    char tail[64]; /* the last bytes read (a marker split across reads) */
    size_t tn;
    int64_t at_us; /* its arrival */
} sub;

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

static int connect_to(int port, bool block)
{
    int fd = socket(AF_INET, SOCK_STREAM | (block ? 0 : SOCK_NONBLOCK), 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0 &&
        errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Feeds n bytes read on s; true when marker appears (across reads). */
static bool feed(sub *s, const char *p, size_t n, const char *marker)
{
    size_t ml = strlen(marker);
    char buf[64 + 4096];
    size_t k = s->tn;
    memcpy(buf, s->tail, k);
    size_t take = n < 4096 ? n : 4096;
    memcpy(buf + k, p + n - take, take); /* the marker is at the end */
    k += take;
    bool found = memmem(buf, k, marker, ml) != NULL;
    size_t keep = k < sizeof s->tail ? k : sizeof s->tail;
    memcpy(s->tail, buf + k - keep, keep);
    s->tn = keep;
    return found;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: pubsub_load PORT CONNS ROUNDS sse|ws "
                        "[PUBPORT]\n");
        return 2;
    }
    int port = atoi(argv[1]), n = atoi(argv[2]), rounds = atoi(argv[3]);
    bool ws = strcmp(argv[4], "ws") == 0;
    int pubport = argc > 5 ? atoi(argv[5]) : port;
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    sub *subs = calloc((size_t)n, sizeof *subs);
    int ep = epoll_create1(0);
    const char *req =
        ws ? "GET /ws?topic=bench HTTP/1.1\r\nHost: 127.0.0.1\r\n"
             "Upgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
             "Sec-WebSocket-Version: 13\r\n\r\n"
           : "GET /sse?topic=bench HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    size_t reqn = strlen(req);
    int64_t t0 = now_us();
    int opened = 0, ready = 0;
    struct epoll_event evs[512];
    static char rbuf[65536];
    /* connect in batches (the listen backlog), each sending its request
       once writable; then wait for every "subscribed" */
    while (ready < n) {
        while (opened < n && opened - ready < 1000) {
            int fd = connect_to(port, false);
            if (fd < 0) {
                fprintf(stderr, "connect %d: %s\n", opened, strerror(errno));
                return 1;
            }
            subs[opened].fd = fd;
            struct epoll_event e = {.events = EPOLLOUT | EPOLLIN,
                                    .data.u32 = (uint32_t)opened};
            epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
            opened++;
        }
        int k = epoll_wait(ep, evs, 512, 10000);
        if (k <= 0) {
            fprintf(stderr, "setup stalled: %d of %d subscribed\n", ready, n);
            return 1;
        }
        for (int i = 0; i < k; i++) {
            sub *s = &subs[evs[i].data.u32];
            if (evs[i].events & EPOLLOUT) {
                if (write(s->fd, req, reqn) != (ssize_t)reqn) {
                    fprintf(stderr, "request: %s\n", strerror(errno));
                    return 1;
                }
                struct epoll_event e = {.events = EPOLLIN,
                                        .data.u32 = evs[i].data.u32};
                epoll_ctl(ep, EPOLL_CTL_MOD, s->fd, &e);
            }
            if (evs[i].events & EPOLLIN) {
                ssize_t r = read(s->fd, rbuf, sizeof rbuf);
                if (r <= 0) {
                    fprintf(stderr, "connection %u closed during setup\n",
                            evs[i].data.u32);
                    return 1;
                }
                if (!s->subscribed && feed(s, rbuf, (size_t)r, "subscribed")) {
                    s->subscribed = true;
                    s->tn = 0;
                    ready++;
                }
            }
        }
    }
    double setup_s = (now_us() - t0) / 1e6;
    /* the bench measures the server's memory now: it says when to go on */
    printf("ready %d\n", n);
    fflush(stdout);
    char go[8];
    if (!fgets(go, sizeof go, stdin))
        return 1;
    int ctl = connect_to(pubport, true);
    if (ctl < 0) {
        fprintf(stderr, "control connection: %s\n", strerror(errno));
        return 1;
    }
    int64_t *lat = malloc((size_t)n * sizeof *lat);
    int64_t *last = malloc((size_t)rounds * sizeof *last);
    int64_t *med = malloc((size_t)rounds * sizeof *med);
    int64_t *p99 = malloc((size_t)rounds * sizeof *p99);
    double cpu = 0, wall = 0;
    for (int r = 1; r <= rounds; r++) {
        usleep(200000); /* a quiet moment between rounds */
        char body[32], marker[32], post[256];
        /* "round 1." is no prefix of "round 10." */
        int bn = snprintf(body, sizeof body, "round %d.", r);
        snprintf(marker, sizeof marker, "round %d.", r);
        int pn = snprintf(post, sizeof post,
                          "POST /pub/bench HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          "Content-Length: %d\r\n\r\n%s",
                          bn, body);
        for (int i = 0; i < n; i++) {
            subs[i].got = false;
            subs[i].tn = 0;
        }
        double c0 = cpu_s();
        int64_t start = now_us();
        if (write(ctl, post, (size_t)pn) != pn) {
            fprintf(stderr, "publish: %s\n", strerror(errno));
            return 1;
        }
        int got = 0;
        while (got < n) {
            int k = epoll_wait(ep, evs, 512, 10000);
            if (k <= 0) {
                fprintf(stderr, "round %d: %d of %d received\n", r, got, n);
                return 1;
            }
            int64_t t = now_us();
            for (int i = 0; i < k; i++) {
                sub *s = &subs[evs[i].data.u32];
                for (;;) {
                    ssize_t rr = recv(s->fd, rbuf, sizeof rbuf, MSG_DONTWAIT);
                    if (rr == 0) {
                        fprintf(stderr, "a subscriber was closed\n");
                        return 1;
                    }
                    if (rr < 0)
                        break;
                    if (!s->got && feed(s, rbuf, (size_t)rr, marker)) {
                        s->got = true;
                        s->at_us = t;
                        got++;
                    }
                    if ((size_t)rr < sizeof rbuf)
                        break;
                }
            }
        }
        int64_t end = now_us();
        cpu += cpu_s() - c0;
        wall += (end - start) / 1e6;
        char resp[512];
        ssize_t rn = read(ctl, resp, sizeof resp); /* 204, small */
        if (rn <= 0 || memcmp(resp, "HTTP/1.1 204", 12) != 0) {
            fprintf(stderr, "publish answered: %.*s\n", (int)(rn > 0 ? rn : 0),
                    resp);
            return 1;
        }
        for (int i = 0; i < n; i++)
            lat[i] = subs[i].at_us - start;
        qsort(lat, (size_t)n, sizeof *lat, cmp_i64);
        last[r - 1] = lat[n - 1];
        med[r - 1] = lat[n / 2];
        p99[r - 1] = lat[(size_t)((n - 1) * 0.99)];
    }
    qsort(last, (size_t)rounds, sizeof *last, cmp_i64);
    qsort(med, (size_t)rounds, sizeof *med, cmp_i64);
    qsort(p99, (size_t)rounds, sizeof *p99, cmp_i64);
    printf("{\"conns\":%d,\"rounds\":%d,\"setup_s\":%.2f,"
           "\"last_ms_median\":%.2f,\"last_ms_max\":%.2f,"
           "\"median_ms\":%.2f,\"p99_ms\":%.2f,"
           "\"client_cpu_ms_per_round\":%.2f,\"round_wall_ms\":%.2f}\n",
           n, rounds, setup_s, last[rounds / 2] / 1000.0,
           last[rounds - 1] / 1000.0, med[rounds / 2] / 1000.0,
           p99[rounds / 2] / 1000.0, cpu * 1000 / rounds, wall * 1000 / rounds);
    return 0;
}
