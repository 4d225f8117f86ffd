/*
 * core/arena.c - the bump allocator behind kiln_arena (see kiln/core.h).
 *
 * Chunks are malloc'd and linked newest first. A request that needs more than
 * a chunk gets a dedicated chunk of its own size, so a big allocation never
 * wastes the rest of the current chunk. Reset keeps the oldest chunk so a
 * reused arena (one per connection) allocates nothing in steady state.
 */
#include <kiln/core.h>

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct kiln_arena_chunk {
    struct kiln_arena_chunk *next;
    size_t size; /* usable bytes after the header */
    max_align_t align[];
};

#define ARENA_ALIGN 16

static size_t align_up(size_t n)
{
    return (n + (ARENA_ALIGN - 1)) & ~(size_t)(ARENA_ALIGN - 1);
}

void kiln_arena_init(kiln_arena *a, size_t chunk_size)
{
    a->head = NULL;
    a->pos = a->end = NULL;
    a->chunk_size = chunk_size ? chunk_size : 4096;
}

/* Adds a chunk of at least n usable bytes; makes it current unless it is a
 * dedicated chunk for one large allocation. Returns its usable memory. */
static void *arena_grow(kiln_arena *a, size_t n)
{
    size_t hdr = align_up(sizeof(struct kiln_arena_chunk));
    bool dedicated = n > a->chunk_size / 4;
    size_t size = dedicated ? n : a->chunk_size;
    if (size > SIZE_MAX - hdr)
        return NULL;
    struct kiln_arena_chunk *c = malloc(hdr + size);
    if (!c)
        return NULL;
    c->size = size;
    char *mem = (char *)c + hdr;
    if (dedicated && a->head) {
        /* keep the current chunk current: insert behind the head */
        c->next = a->head->next;
        a->head->next = c;
        return mem;
    }
    c->next = a->head;
    a->head = c;
    a->pos = mem + n;
    a->end = mem + size;
    return mem;
}

void *kiln_arena_alloc(kiln_arena *a, size_t n)
{
    n = align_up(n ? n : 1);
    if ((size_t)(a->end - a->pos) >= n) {
        void *p = a->pos;
        a->pos += n;
        return p;
    }
    return arena_grow(a, n);
}

void *kiln_arena_calloc(kiln_arena *a, size_t n)
{
    void *p = kiln_arena_alloc(a, n);
    if (p)
        memset(p, 0, n);
    return p;
}

char *kiln_arena_strndup(kiln_arena *a, const char *s, size_t n)
{
    char *p = kiln_arena_alloc(a, n + 1);
    if (!p)
        return NULL;
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *kiln_arena_printf(kiln_arena *a, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *p = n >= 0 ? kiln_arena_alloc(a, (size_t)n + 1) : NULL;
    if (p)
        vsnprintf(p, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return p;
}

void kiln_arena_reset(kiln_arena *a)
{
    struct kiln_arena_chunk *c = a->head, *keep = NULL;
    while (c) {
        struct kiln_arena_chunk *next = c->next;
        /* keep the oldest regular chunk (the last in the list) */
        if (!next && c->size == a->chunk_size)
            keep = c;
        else
            free(c);
        c = next;
    }
    a->head = keep;
    if (keep) {
        keep->next = NULL;
        a->pos = (char *)keep + align_up(sizeof(*keep));
        a->end = a->pos + keep->size;
    } else {
        a->pos = a->end = NULL;
    }
}

void kiln_arena_deinit(kiln_arena *a)
{
    struct kiln_arena_chunk *c = a->head;
    while (c) {
        struct kiln_arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    kiln_arena_init(a, a->chunk_size);
}
