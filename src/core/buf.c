/*
 * core/buf.c - kiln_buf, the growable byte buffer (see kiln/core.h for the
 * invariant: p[n] == '\0' whenever p != NULL).
 */
#include <kiln/core.h>

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void kiln_buf_init(kiln_buf *b)
{
    b->p = NULL;
    b->n = b->cap = 0;
}

int kiln_buf_reserve(kiln_buf *b, size_t extra)
{
    if (b->n + extra < b->cap && b->p)
        return 0;
    if (extra > SIZE_MAX / 2 - b->n)
        return KILN_ENOMEM;
    size_t need = b->n + extra + 1;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p)
        return KILN_ENOMEM;
    b->p = p;
    b->cap = cap;
    b->p[b->n] = '\0';
    return 0;
}

int kiln_buf_append(kiln_buf *b, const void *p, size_t n)
{
    if (b->cap - b->n <= n || !b->p) {
        int rc = kiln_buf_reserve(b, n);
        if (rc)
            return rc;
    }
    if (n)
        memcpy(b->p + b->n, p, n);
    b->n += n;
    b->p[b->n] = '\0';
    return 0;
}

int kiln_buf_puts(kiln_buf *b, const char *s)
{
    return kiln_buf_append(b, s, strlen(s));
}

int kiln_buf_putc(kiln_buf *b, char ch)
{
    return kiln_buf_append(b, &ch, 1);
}

int kiln_buf_vprintf(kiln_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    size_t room = b->p ? b->cap - b->n : 0;
    int n = vsnprintf(room ? b->p + b->n : NULL, room, fmt, ap);
    if (n < 0) {
        va_end(ap2);
        if (b->p)
            b->p[b->n] = '\0';
        return KILN_EINVAL;
    }
    if ((size_t)n >= room) {
        int rc = kiln_buf_reserve(b, (size_t)n);
        if (rc) {
            va_end(ap2);
            if (b->p)
                b->p[b->n] = '\0';
            return rc;
        }
        vsnprintf(b->p + b->n, (size_t)n + 1, fmt, ap2);
    }
    va_end(ap2);
    b->n += (size_t)n;
    return 0;
}

int kiln_buf_printf(kiln_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = kiln_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

int kiln_buf_put_i64(kiln_buf *b, int64_t v)
{
    char tmp[24];
    char *e = tmp + sizeof(tmp), *s = e;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        *--s = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--s = '-';
    return kiln_buf_append(b, s, (size_t)(e - s));
}

void kiln_buf_clear(kiln_buf *b)
{
    b->n = 0;
    if (b->p)
        b->p[0] = '\0';
}

void kiln_buf_truncate(kiln_buf *b, size_t n)
{
    assert(n <= b->n);
    b->n = n;
    if (b->p)
        b->p[n] = '\0';
}

void kiln_buf_consume(kiln_buf *b, size_t n)
{
    if (n >= b->n) {
        kiln_buf_clear(b);
        return;
    }
    memmove(b->p, b->p + n, b->n - n);
    b->n -= n;
    b->p[b->n] = '\0';
}

char *kiln_buf_detach(kiln_buf *b)
{
    char *p = b->p;
    kiln_buf_init(b);
    return p;
}

void kiln_buf_deinit(kiln_buf *b)
{
    free(b->p);
    kiln_buf_init(b);
}
