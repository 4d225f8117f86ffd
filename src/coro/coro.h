/*
 * coro/coro.h - stackful coroutines: every request handler runs in one, so a
 * handler that waits (socket, timer, database) yields and the worker serves
 * other connections; the handler's code stays straight-line C.
 *
 * Stacks come from a per-worker pool (coro_pool): each is an mmap'd region
 * with PROT_NONE guard pages below it. A stack overflow hits the guard, the
 * SIGSEGV handler (on an alternate signal stack) recognises the address,
 * marks the coroutine CORO_CRASHED and switches back to the scheduler; the
 * crashed stack is unmapped, never reused. The context switch is a few lines
 * of assembly for x86-64 and aarch64 (switch_*.S) with a ucontext fallback.
 *
 * All of it is per thread: a coroutine is resumed only by the thread whose
 * pool made it, and only from outside any coroutine (the scheduler stack).
 */
#ifndef KILN_CORO_H
#define KILN_CORO_H

#include <stdbool.h>
#include <stddef.h>

typedef struct coro coro;
/** A coroutine body; it runs until it returns, yielding as it likes. */
typedef void (*coro_fn)(void *arg);

/** States returned by coro_resume. */
enum { CORO_SUSPENDED = 1, CORO_DONE = 2, CORO_CRASHED = 3 };

/** A pool of coroutines with their stacks, owned by one worker thread. */
typedef struct coro_pool {
    coro *free;        /* private: idle coroutines (LIFO) */
    size_t nfree;      /* private */
    size_t max_free;   /* private: more idle than this are unmapped */
    size_t stack_size; /* private: usable stack bytes */
    size_t live;       /* read-only: coroutines handed out */
} coro_pool;

/**
 * Installs the SIGSEGV handler (once per process) and an alternate signal
 * stack for the calling thread (call once per worker thread). Returns 0 or
 * KILN_EIO/KILN_ENOMEM.
 */
int coro_thread_init(void);
/** Frees the calling thread's alternate signal stack. */
void coro_thread_deinit(void);

/** Initialises a pool with stacks of stack_size bytes (0: 256 KiB). */
void coro_pool_init(coro_pool *p, size_t stack_size);
/** Unmaps every idle coroutine; all handed-out ones must be back. */
void coro_pool_deinit(coro_pool *p);

/**
 * Takes a coroutine from the pool (mapping a stack if none is idle) that
 * will run fn(arg) on its first coro_resume. NULL when mmap fails.
 */
coro *coro_new(coro_pool *p, coro_fn fn, void *arg);
/**
 * Gives a finished (CORO_DONE) or crashed coroutine back. A crashed one is
 * unmapped, a done one kept for reuse.
 */
void coro_free(coro_pool *p, coro *co);

/**
 * Destroys a suspended coroutine without running it again (shutdown after
 * the drain time: its stack is unmapped, nothing on it is unwound).
 */
void coro_discard(coro_pool *p, coro *co);

/**
 * Runs co until it yields (CORO_SUSPENDED), returns (CORO_DONE) or overflows
 * its stack (CORO_CRASHED). Must be called from outside any coroutine.
 */
int coro_resume(coro *co);
/** Suspends the running coroutine; returns when it is resumed. */
void coro_yield(void);
/**
 * Gives the stack pages of a suspended coroutine back to the kernel while
 * it waits: its live bytes (from its stack pointer to the top, usually
 * under a kilobyte) are copied to a malloc'd block and the pages are
 * dropped (madvise MADV_DONTNEED); coro_resume copies them back, at the
 * same addresses, so pointers into the stack stay valid. Nothing may read
 * or write the stack meanwhile: whatever the loop touches while the
 * coroutine waits (its waiter, timers) must live elsewhere. Returns the
 * bytes kept aside, or 0 when nothing was done (already hibernating, not
 * suspended, out of memory, or a build where it is off: the ucontext
 * switch, AddressSanitizer).
 */
size_t coro_hibernate(coro *co);
/** The running coroutine of this thread, or NULL on the scheduler stack. */
coro *coro_current(void);
/** Opaque per-coroutine pointer for the owner (the request being served). */
void coro_set_data(coro *co, void *data);
/** See coro_set_data. */
void *coro_data(const coro *co);

#endif
