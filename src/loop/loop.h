/*
 * loop/loop.h - the event-loop seam: readiness notification for file
 * descriptors behind a small interface. loop_epoll.c fills it on Linux; a
 * kqueue or poll backend implements the same five functions.
 *
 * A loop belongs to one worker thread; nothing here is thread-safe.
 * Registration is edge-triggered: a callback fires when fd becomes readable
 * or writable, and the owner reads/writes until EAGAIN (or a short read).
 */
#ifndef KILN_LOOP_H
#define KILN_LOOP_H

#include <stdint.h>

enum { LOOP_READ = 1, LOOP_WRITE = 2, LOOP_ERROR = 4 };

typedef struct loop loop;
typedef struct loop_io loop_io;

/** Called with the ready events (LOOP_* bits) of io. */
typedef void (*loop_cb)(loop *l, loop_io *io, unsigned events);

/** A registered descriptor; embedded in its owner (conn, waiter, ...). */
struct loop_io {
    int fd;     /**< the descriptor */
    loop_cb cb; /**< called when ready */
};

/** An event loop; fields private to the backend unless noted. */
struct loop {
    int fd;          /* epoll descriptor */
    unsigned nready; /* events returned by the last poll */
    /** public: called after every wait, before any callback (the owner
        refreshes its clock there); may be NULL */
    void (*on_wake)(void *arg);
    void *wake_arg; /**< public: argument of on_wake */
};

/** Creates the backend. Returns 0 or KILN_EIO. */
int loop_init(loop *l);
/** Releases the backend (registered descriptors are not closed). */
void loop_deinit(loop *l);
/**
 * Registers io->fd for events (LOOP_READ and/or LOOP_WRITE), edge-triggered
 * unless level is true. io must stay valid until loop_del or close(fd).
 * Returns 0 or KILN_EIO.
 */
int loop_add(loop *l, loop_io *io, unsigned events, int level);
/** Changes the events of a registered io. Returns 0 or KILN_EIO. */
int loop_mod(loop *l, loop_io *io, unsigned events, int level);
/** Unregisters io (closing the fd also does). */
void loop_del(loop *l, loop_io *io);
/**
 * Waits up to timeout_ms (-1 forever, 0 poll), calls on_wake, then the
 * callback of every ready io. Returns the number dispatched, or KILN_EIO (EINTR
 * gives 0).
 */
int loop_poll(loop *l, int timeout_ms);

#endif
