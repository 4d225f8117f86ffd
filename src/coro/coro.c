/*
 * coro/coro.c - coroutines, their pooled guarded stacks, and the stack
 * overflow handler (see coro.h for the model).
 *
 * Layout of one mapping (low addresses first):
 *   [ guard: CORO_GUARD bytes, PROT_NONE ][ stack: stack_size bytes ]
 * The struct coro lives in malloc'd memory, not on the stack, so a crashed
 * stack can be unmapped without losing the bookkeeping.
 *
 * A pooled coroutine is reused without rebuilding its stack: its entry
 * function loops, running one body per resume cycle, and switches back to
 * the scheduler when the body returns.
 */
#include "coro/coro.h"

#include <kiln/core.h>

#include <assert.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define CORO_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CORO_ASAN 1
#endif
#endif
#ifdef CORO_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

#if (defined(__x86_64__) || defined(__aarch64__)) &&                           \
    !defined(KILN_CORO_UCONTEXT)
#define CORO_ASM 1
void kiln_coro_switch(void **save_sp, void *load_sp);
void kiln_coro_trampoline(void);
#else
#include <ucontext.h>
#endif

#define CORO_GUARD (16 * 1024)
#define CORO_DEFAULT_STACK (256 * 1024)

struct coro {
#ifdef CORO_ASM
    void *sp;        /* saved stack pointer of the coroutine */
    void *caller_sp; /* saved stack pointer of the scheduler */
#else
    ucontext_t ctx, caller;
#endif
    char *map;       /* mapping start (guard first) */
    size_t map_size; /* guard + stack */
    coro_fn fn;
    void *arg;
    void *data;
    int state;
    coro *next;  /* pool free list */
    void *saved; /* coro_hibernate: the live stack bytes, or NULL */
    size_t saved_n;
#ifdef CORO_ASAN
    void *fake_stack;          /* ASan fake stack of the coroutine */
    const void *caller_bottom; /* scheduler stack, for switching back */
    size_t caller_size;
#endif
};

static _Thread_local coro *current;
static _Thread_local void *altstack;

coro *coro_current(void)
{
    return current;
}

void coro_set_data(coro *co, void *data)
{
    co->data = data;
}

void *coro_data(const coro *co)
{
    return co->data;
}

/* ---- switching --------------------------------------------------------- */

/* Switches from the coroutine back to the scheduler. */
static void switch_out(coro *co)
{
#ifdef CORO_ASAN
    __sanitizer_start_switch_fiber(&co->fake_stack, co->caller_bottom,
                                   co->caller_size);
#endif
#ifdef CORO_ASM
    kiln_coro_switch(&co->sp, co->caller_sp);
#else
    swapcontext(&co->ctx, &co->caller);
#endif
#ifdef CORO_ASAN
    __sanitizer_finish_switch_fiber(co->fake_stack, &co->caller_bottom,
                                    &co->caller_size);
#endif
}

/* The first code run on a new stack: runs one body per resume cycle. */
static void coro_main(void *arg)
{
    coro *co = arg;
#ifdef CORO_ASAN
    __sanitizer_finish_switch_fiber(NULL, &co->caller_bottom, &co->caller_size);
#endif
    for (;;) {
        co->fn(co->arg);
        co->state = CORO_DONE;
        switch_out(co);
    }
}

#ifndef CORO_ASM
static void coro_main_uctx(unsigned hi, unsigned lo)
{
    coro_main((void *)(((uintptr_t)hi << 32) | (uintptr_t)lo));
}
#endif

/* Prepares a fresh stack so that the first resume enters coro_main(co). */
static void coro_prepare(coro *co)
{
#ifdef CORO_ASM
    char *top = co->map + co->map_size;
    uintptr_t t = (uintptr_t)top & ~(uintptr_t)15;
#if defined(__x86_64__)
    /* popped by kiln_coro_switch: r15 r14 r13 r12 rbx rbp, then ret */
    void **sp = (void **)(t - 72);
    memset(sp, 0, 72);
    sp[2] = co;                           /* r13: argument */
    sp[3] = (void *)coro_main;            /* r12: function */
    sp[6] = (void *)kiln_coro_trampoline; /* return address */
#else
    /* restored by kiln_coro_switch: x19..x30, d8..d15 (160 bytes) */
    void **sp = (void **)(t - 160);
    memset(sp, 0, 160);
    sp[0] = (void *)coro_main;             /* x19: function */
    sp[1] = co;                            /* x20: argument */
    sp[11] = (void *)kiln_coro_trampoline; /* x30 */
#endif
    co->sp = sp;
#else
    getcontext(&co->ctx);
    co->ctx.uc_stack.ss_sp = co->map + CORO_GUARD;
    co->ctx.uc_stack.ss_size = co->map_size - CORO_GUARD;
    co->ctx.uc_link = NULL;
    uintptr_t p = (uintptr_t)co;
    makecontext(&co->ctx, (void (*)(void))coro_main_uctx, 2,
                (unsigned)(p >> 32), (unsigned)(p & 0xffffffffu));
#endif
}

size_t coro_hibernate(coro *co)
{
#if defined(CORO_ASM) && !defined(CORO_ASAN)
    if (co->saved || co == current || co->state != CORO_SUSPENDED)
        return 0;
    static size_t page;
    if (!page)
        page = (size_t)sysconf(_SC_PAGESIZE);
    char *sp = co->sp, *top = co->map + co->map_size;
    assert(sp > co->map + CORO_GUARD && sp < top);
    size_t n = (size_t)(top - sp);
    void *keep = malloc(n);
    if (!keep)
        return 0;
    memcpy(keep, sp, n);
    /* below sp nothing is live: the switch saved all it needs above it */
    char *lo = (char *)((uintptr_t)sp & ~(uintptr_t)(page - 1));
    if (madvise(lo, (size_t)(top - lo), MADV_DONTNEED) != 0) {
        free(keep);
        return 0;
    }
    co->saved = keep;
    co->saved_n = n;
    return n;
#else
    (void)co;
    return 0;
#endif
}

int coro_resume(coro *co)
{
    assert(current == NULL);
    assert(co->state == CORO_SUSPENDED);
    if (co->saved) { /* back from coro_hibernate: fresh pages, old bytes */
        memcpy(co->map + co->map_size - co->saved_n, co->saved, co->saved_n);
        free(co->saved);
        co->saved = NULL;
    }
    current = co;
#ifdef CORO_ASAN
    void *fake = NULL;
    __sanitizer_start_switch_fiber(&fake, co->map + CORO_GUARD,
                                   co->map_size - CORO_GUARD);
#endif
#ifdef CORO_ASM
    kiln_coro_switch(&co->caller_sp, co->sp);
#else
    swapcontext(&co->caller, &co->ctx);
#endif
#ifdef CORO_ASAN
    __sanitizer_finish_switch_fiber(fake, NULL, NULL);
#endif
    current = NULL;
    if (co->state == CORO_CRASHED) {
        /* we left the SIGSEGV handler without returning from it */
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGSEGV);
        sigaddset(&set, SIGBUS);
        pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    }
    return co->state;
}

void coro_yield(void)
{
    coro *co = current;
    assert(co != NULL);
    switch_out(co);
}

/* ---- pool -------------------------------------------------------------- */

void coro_pool_init(coro_pool *p, size_t stack_size)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    if (stack_size == 0)
        stack_size = CORO_DEFAULT_STACK;
    p->stack_size = (stack_size + page - 1) & ~(page - 1);
    p->free = NULL;
    p->nfree = 0;
    p->max_free = 64;
    p->live = 0;
}

static void coro_destroy(coro *co)
{
#ifdef CORO_ASAN
    /* frames abandoned by a crash leave their redzones poisoned; clear the
       shadow so a later mapping at this address starts clean */
    ASAN_UNPOISON_MEMORY_REGION(co->map + CORO_GUARD,
                                co->map_size - CORO_GUARD);
#endif
    munmap(co->map, co->map_size);
    free(co->saved);
    free(co);
}

void coro_pool_deinit(coro_pool *p)
{
    while (p->free) {
        coro *co = p->free;
        p->free = co->next;
        coro_destroy(co);
    }
    p->nfree = 0;
}

coro *coro_new(coro_pool *p, coro_fn fn, void *arg)
{
    coro *co = p->free;
    if (co) {
        p->free = co->next;
        p->nfree--;
    } else {
        co = calloc(1, sizeof(*co));
        if (!co)
            return NULL;
        co->map_size = CORO_GUARD + p->stack_size;
        co->map = mmap(NULL, co->map_size, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK,
                       -1, 0);
        if (co->map == MAP_FAILED) {
            free(co);
            return NULL;
        }
        if (mprotect(co->map, CORO_GUARD, PROT_NONE) != 0) {
            coro_destroy(co);
            return NULL;
        }
        coro_prepare(co);
    }
    co->fn = fn;
    co->arg = arg;
    co->data = NULL;
    co->next = NULL;
    co->state = CORO_SUSPENDED;
    p->live++;
    return co;
}

void coro_free(coro_pool *p, coro *co)
{
    assert(co->state == CORO_DONE || co->state == CORO_CRASHED);
    p->live--;
    if (co->state == CORO_CRASHED || p->nfree >= p->max_free) {
        coro_destroy(co);
        return;
    }
    /* a DONE coroutine sits in coro_main's loop, ready for the next body */
    co->state = CORO_SUSPENDED;
    co->next = p->free;
    p->free = co;
    p->nfree++;
}

void coro_discard(coro_pool *p, coro *co)
{
    assert(co != current);
    p->live--;
    coro_destroy(co);
}

/* ---- stack overflow ---------------------------------------------------- */

static void on_fault(int sig, siginfo_t *si, void *uctx)
{
    (void)uctx;
    coro *co = current;
    char *addr = si->si_addr;
    if (co && addr >= co->map && addr < co->map + CORO_GUARD) {
        static const char msg[] =
            "kiln: stack overflow in a handler caught by the guard page\n";
        ssize_t w = write(2, msg, sizeof msg - 1);
        (void)w;
        co->state = CORO_CRASHED;
#ifdef CORO_ASAN
        /* this fiber dies here: NULL tells ASan to drop its fake stack */
        __sanitizer_start_switch_fiber(NULL, co->caller_bottom,
                                       co->caller_size);
#endif
#ifdef CORO_ASM
        void *dead;
        kiln_coro_switch(&dead, co->caller_sp);
#else
        setcontext(&co->caller);
#endif
    }
    /* not a coroutine guard page: crash as the signal would have */
    signal(sig, SIG_DFL);
}

int coro_thread_init(void)
{
    static int installed;
    if (!__atomic_exchange_n(&installed, 1, __ATOMIC_ACQ_REL)) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = on_fault;
        sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
        sigemptyset(&sa.sa_mask);
        if (sigaction(SIGSEGV, &sa, NULL) || sigaction(SIGBUS, &sa, NULL))
            return KILN_EIO;
    }
    if (!altstack) {
        size_t size = 64 * 1024;
        altstack = malloc(size);
        if (!altstack)
            return KILN_ENOMEM;
        stack_t ss = {.ss_sp = altstack, .ss_size = size, .ss_flags = 0};
        if (sigaltstack(&ss, NULL) != 0) {
            free(altstack);
            altstack = NULL;
            return KILN_EIO;
        }
    }
    return 0;
}

void coro_thread_deinit(void)
{
    if (!altstack)
        return;
    stack_t ss = {.ss_sp = NULL, .ss_size = 0, .ss_flags = SS_DISABLE};
    sigaltstack(&ss, NULL);
    free(altstack);
    altstack = NULL;
}
