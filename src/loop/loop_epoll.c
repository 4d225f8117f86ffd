/*
 * loop/loop_epoll.c - the Linux epoll backend of loop.h.
 */
#include "loop/loop.h"

#include <kiln/core.h>

#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

#define LOOP_BATCH 256

int loop_init(loop *l)
{
    l->fd = epoll_create1(EPOLL_CLOEXEC);
    l->nready = 0;
    l->on_wake = NULL;
    l->wake_arg = NULL;
    return l->fd < 0 ? KILN_EIO : 0;
}

void loop_deinit(loop *l)
{
    if (l->fd >= 0)
        close(l->fd);
    l->fd = -1;
}

static uint32_t to_epoll(unsigned events, int level)
{
    uint32_t e = level ? 0 : EPOLLET;
    if (events & LOOP_READ)
        e |= EPOLLIN | EPOLLRDHUP;
    if (events & LOOP_WRITE)
        e |= EPOLLOUT;
    return e;
}

int loop_add(loop *l, loop_io *io, unsigned events, int level)
{
    struct epoll_event ev = {.events = to_epoll(events, level), .data.ptr = io};
    return epoll_ctl(l->fd, EPOLL_CTL_ADD, io->fd, &ev) ? KILN_EIO : 0;
}

int loop_mod(loop *l, loop_io *io, unsigned events, int level)
{
    struct epoll_event ev = {.events = to_epoll(events, level), .data.ptr = io};
    return epoll_ctl(l->fd, EPOLL_CTL_MOD, io->fd, &ev) ? KILN_EIO : 0;
}

void loop_del(loop *l, loop_io *io)
{
    epoll_ctl(l->fd, EPOLL_CTL_DEL, io->fd, NULL);
}

int loop_poll(loop *l, int timeout_ms)
{
    struct epoll_event evs[LOOP_BATCH];
    int n = epoll_wait(l->fd, evs, LOOP_BATCH, timeout_ms);
    if (l->on_wake)
        l->on_wake(l->wake_arg);
    if (n < 0)
        return errno == EINTR ? 0 : KILN_EIO;
    l->nready = (unsigned)n;
    for (int i = 0; i < n; i++) {
        loop_io *io = evs[i].data.ptr;
        uint32_t e = evs[i].events;
        unsigned bits = 0;
        if (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP))
            bits |= LOOP_READ;
        if (e & EPOLLOUT)
            bits |= LOOP_WRITE;
        if (e & (EPOLLERR | EPOLLHUP))
            bits |= LOOP_ERROR | LOOP_READ | LOOP_WRITE;
        io->cb(l, io, bits);
    }
    return n;
}
