/*
 * bench/ws_load.c - a WebSocket echo load client for bench/ws_bench.py.
 *
 *   ws_load PORT PATH CONNS SECONDS [SIZE] [DEPTH] [THREADS]
 *
 * Opens CONNS WebSockets to 127.0.0.1:PORT/PATH (the handshake checked,
 * no extension offered), then each connection keeps DEPTH text messages
 * of SIZE bytes in flight: when an echo comes back (checked byte for
 * byte) the next message goes out, for SECONDS after a one-second warm-up.
 * Every round trip's latency goes into a histogram. THREADS threads
 * (default 1) share the connections, each with its own epoll loop.
 *
 * Prints one line of JSON: messages/s, p50/p99 latency in microseconds,
 * errors, and the client's own CPU use (user + system seconds per second
 * of the run) so the report can show the client was not the bottleneck.
 * Standard C and Linux only; masks with a fixed key (the server cannot
 * tell, and the bytes need masking only once).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
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

#define HIST_US 2000000 /* latencies up to 2 s, 1 us buckets */

typedef struct wconn {
    int fd;
    uint64_t sent_at[64]; /* send times of the messages in flight (ring) */
    unsigned head, inflight;
    unsigned char rbuf[1 << 16];
    size_t rn;
    size_t wleft; /* bytes of the current frame still to write */
} wconn;

typedef struct thr {
    pthread_t t;
    wconn *conns;
    int n;
    uint64_t count, errors;
    uint32_t *hist;
} thr;

static int g_port, g_size, g_depth;
static const char *g_path;
static unsigned char *g_frame; /* one masked client frame */
static size_t g_frame_len;
static volatile int g_measuring, g_stop;

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void die(const char *what)
{
    fprintf(stderr, "ws_load: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* Connects and upgrades one blocking socket; returns it non-blocking. */
static int open_ws(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        die("socket");
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(g_port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
        die("connect");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    char req[512];
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                     "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\n\r\n",
                     g_path, g_port);
    if (write(fd, req, (size_t)n) != n)
        die("write handshake");
    char resp[2048];
    size_t got = 0;
    while (!memmem(resp, got, "\r\n\r\n", 4)) {
        ssize_t r = read(fd, resp + got, sizeof resp - got - 1);
        if (r <= 0)
            die("read handshake");
        got += (size_t)r;
    }
    if (strncmp(resp, "HTTP/1.1 101", 12) != 0 ||
        !memmem(resp, got, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", 28)) {
        fprintf(stderr, "ws_load: bad handshake: %.*s\n", (int)got, resp);
        exit(1);
    }
    char *end = memmem(resp, got, "\r\n\r\n", 4) + 4;
    if (end != resp + got) {
        fprintf(stderr, "ws_load: bytes after the 101\n");
        exit(1);
    }
    if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0)
        die("fcntl");
    return fd;
}

/* Writes what is left of the current frame; 0 or -1 on error. */
static int flush_frame(wconn *c)
{
    while (c->wleft) {
        ssize_t w = write(c->fd, g_frame + g_frame_len - c->wleft, c->wleft);
        if (w > 0) {
            c->wleft -= (size_t)w;
            continue;
        }
        if (w < 0 && (errno == EAGAIN || errno == EINTR))
            return 0;
        return -1;
    }
    return 0;
}

/* Queues one message (if the previous frame is out) and writes it. */
static int send_one(wconn *c)
{
    if (c->wleft)
        return 0; /* the loop sends it when the socket takes more */
    c->sent_at[(c->head + c->inflight) % 64] = now_us();
    c->inflight++;
    c->wleft = g_frame_len;
    return flush_frame(c);
}

/* Takes the echoes in c->rbuf; returns -1 on a protocol error. */
static int take_echoes(thr *t, wconn *c)
{
    size_t off = 0;
    size_t want = (size_t)g_size;
    size_t hl = want < 126 ? 2 : want <= 0xFFFF ? 4 : 10;
    while (c->rn - off >= hl + want) {
        unsigned char *f = c->rbuf + off;
        if (f[0] != 0x81 || (f[1] & 0x80)) {
            fprintf(stderr, "ws_load: unexpected frame %02x %02x\n", f[0],
                    f[1]);
            return -1;
        }
        for (size_t i = 0; i < want; i++)
            if (f[hl + i] != (unsigned char)('a' + i % 26)) {
                fprintf(stderr, "ws_load: the echo differs at byte %zu\n", i);
                return -1;
            }
        uint64_t lat = now_us() - c->sent_at[c->head % 64];
        c->head++;
        c->inflight--;
        if (g_measuring) {
            t->count++;
            t->hist[lat < HIST_US ? lat : HIST_US - 1]++;
        }
        off += hl + want;
        if (!g_stop && send_one(c) != 0)
            return -1;
    }
    memmove(c->rbuf, c->rbuf + off, c->rn - off);
    c->rn -= off;
    return 0;
}

static void *run(void *arg)
{
    thr *t = arg;
    int ep = epoll_create1(0);
    if (ep < 0)
        die("epoll");
    for (int i = 0; i < t->n; i++) {
        struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET,
                                 .data.ptr = &t->conns[i]};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, t->conns[i].fd, &ev) != 0)
            die("epoll_ctl");
        for (int d = 0; d < g_depth; d++) {
            if (t->conns[i].wleft)
                break;
            if (send_one(&t->conns[i]) != 0)
                t->errors++;
        }
    }
    struct epoll_event evs[256];
    while (!g_stop) {
        int n = epoll_wait(ep, evs, 256, 100);
        for (int i = 0; i < n; i++) {
            wconn *c = evs[i].data.ptr;
            if ((evs[i].events & EPOLLOUT) && c->wleft) {
                if (flush_frame(c) != 0) {
                    t->errors++;
                    continue;
                }
                /* more messages of the depth waiting to go */
            }
            if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                for (;;) {
                    ssize_t r =
                        read(c->fd, c->rbuf + c->rn, sizeof c->rbuf - c->rn);
                    if (r > 0) {
                        c->rn += (size_t)r;
                        if (take_echoes(t, c) != 0) {
                            t->errors++;
                            break;
                        }
                        continue;
                    }
                    if (r < 0 && (errno == EAGAIN || errno == EINTR))
                        break;
                    t->errors++; /* closed or failed */
                    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                    break;
                }
            }
            while (!g_stop && !c->wleft && c->inflight < (unsigned)g_depth)
                if (send_one(c) != 0)
                    break;
        }
    }
    close(ep);
    return NULL;
}

static double cpu_seconds(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 +
           (double)u.ru_stime.tv_sec + u.ru_stime.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: ws_load PORT PATH CONNS SECONDS [SIZE] "
                        "[DEPTH] [THREADS]\n");
        return 2;
    }
    g_port = atoi(argv[1]);
    g_path = argv[2];
    int conns = atoi(argv[3]);
    double secs = atof(argv[4]);
    g_size = argc > 5 ? atoi(argv[5]) : 32;
    g_depth = argc > 6 ? atoi(argv[6]) : 1;
    int nthr = argc > 7 ? atoi(argv[7]) : 1;
    if (conns < 1 || g_size < 1 || g_size > 60000 || g_depth < 1 ||
        g_depth > 64 || nthr < 1 || nthr > conns) {
        fprintf(stderr, "ws_load: bad arguments\n");
        return 2;
    }
    /* the one frame every connection sends: text, masked */
    static const unsigned char key[4] = {0x12, 0x34, 0x56, 0x78};
    size_t hl = g_size < 126 ? 2 : 4;
    g_frame_len = hl + 4 + (size_t)g_size;
    g_frame = malloc(g_frame_len);
    g_frame[0] = 0x81;
    if (g_size < 126) {
        g_frame[1] = (unsigned char)(0x80 | g_size);
    } else {
        g_frame[1] = 0x80 | 126;
        g_frame[2] = (unsigned char)(g_size >> 8);
        g_frame[3] = (unsigned char)g_size;
    }
    memcpy(g_frame + hl, key, 4);
    for (int i = 0; i < g_size; i++)
        g_frame[hl + 4 + i] = (unsigned char)('a' + i % 26) ^ key[i % 4];

    thr *ts = calloc((size_t)nthr, sizeof *ts);
    for (int i = 0; i < nthr; i++) {
        ts[i].n = conns / nthr + (i < conns % nthr);
        ts[i].conns = calloc((size_t)ts[i].n, sizeof(wconn));
        ts[i].hist = calloc(HIST_US, sizeof(uint32_t));
        for (int j = 0; j < ts[i].n; j++)
            ts[i].conns[j].fd = open_ws();
    }
    for (int i = 0; i < nthr; i++)
        pthread_create(&ts[i].t, NULL, run, &ts[i]);
    usleep(1000000); /* warm-up */
    double cpu0 = cpu_seconds();
    uint64_t t0 = now_us();
    g_measuring = 1;
    usleep((useconds_t)(secs * 1e6));
    g_measuring = 0;
    uint64_t t1 = now_us();
    double cpu1 = cpu_seconds();
    g_stop = 1;
    uint64_t count = 0, errors = 0;
    for (int i = 0; i < nthr; i++) {
        pthread_join(ts[i].t, NULL);
        count += ts[i].count;
        errors += ts[i].errors;
    }
    /* percentiles over the merged histogram */
    uint64_t p50 = 0, p99 = 0, seen = 0;
    bool have50 = false;
    for (uint64_t us = 0; us < HIST_US && count; us++) {
        for (int i = 0; i < nthr; i++)
            seen += ts[i].hist[us];
        if (!have50 && seen * 2 >= count) {
            p50 = us;
            have50 = true;
        }
        if (seen * 100 >= count * 99) {
            p99 = us;
            break;
        }
    }
    double wall = (double)(t1 - t0) / 1e6;
    printf("{\"messages\": %llu, \"seconds\": %.3f, \"rate\": %.1f, "
           "\"p50_us\": %llu, \"p99_us\": %llu, \"errors\": %llu, "
           "\"client_cpu\": %.3f}\n",
           (unsigned long long)count, wall, (double)count / wall,
           (unsigned long long)p50, (unsigned long long)p99,
           (unsigned long long)errors, (cpu1 - cpu0) / wall);
    return errors && !count ? 1 : 0;
}
