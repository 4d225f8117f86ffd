/*
 * kiln/core.h - string views, arenas, growable buffers, error codes, logging.
 *
 * These are the types every other Kiln header builds on:
 *
 *   kiln_str    a view of bytes {p, n}; never owns memory, is not
 * NUL-terminated unless documented. kiln_arena  a bump allocator; everything
 * allocated from it is freed in one call (kiln_arena_reset /
 * kiln_arena_deinit). Each request has one. kiln_buf    a growable,
 * malloc-backed byte buffer with a documented invariant; its owner frees it
 * with kiln_buf_deinit.
 *
 * Errors are values: functions return 0 (or a count) on success and a negative
 * KILN_E* code on failure; kiln_strerror() names it.
 */
#ifndef KILN_CORE_H
#define KILN_CORE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define KILN_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define KILN_NODISCARD __attribute__((warn_unused_result))
#else
#define KILN_PRINTF(f, a)
#define KILN_NODISCARD
#endif

/* ---- error codes ------------------------------------------------------- */

/** Error codes returned (negated) by Kiln functions. 0 means success. */
enum kiln_error {
    KILN_OK = 0,
    KILN_ENOMEM = -1,     /**< an allocation failed */
    KILN_EINVAL = -2,     /**< an argument or an input is invalid */
    KILN_ETIMEDOUT = -3,  /**< a wait ran past its deadline */
    KILN_EIO = -4,        /**< a system call failed (errno has the detail) */
    KILN_ELIMIT = -5,     /**< a configured limit was exceeded */
    KILN_ECLOSED = -6,    /**< the peer closed the connection */
    KILN_ENOTFOUND = -7,  /**< no such item */
    KILN_EPARSE = -8,     /**< malformed input */
    KILN_ESTATE = -9,     /**< the call is not valid in the current state */
    KILN_ECANCELED = -10, /**< the operation was cancelled (shutdown) */
    KILN_EUNAVAIL = -11,  /**< a service (the database) cannot be reached */
    KILN_EDB = -12        /**< the database refused a statement (SQL error,
                               constraint violation); see kiln_db_errmsg */
};

/** Returns a static, human-readable name for a KILN_E* code (never NULL). */
const char *kiln_strerror(int err);

/* ---- string views ------------------------------------------------------ */

/** A view of n bytes at p. Does not own its bytes; p may be NULL when n == 0.
 */
typedef struct kiln_str {
    const char *p; /**< public: first byte (not NUL-terminated in general) */
    size_t n;      /**< public: length in bytes */
} kiln_str;

/** A view of a string literal, computed at compile time. */
#define KILN_STR(lit) ((kiln_str){"" lit, sizeof(lit) - 1})
/** The empty view. */
#define KILN_STR_NULL ((kiln_str){NULL, 0})

/** A view of a NUL-terminated C string (NULL gives the empty view). */
kiln_str kiln_str_c(const char *s);
/** True when a and b hold the same bytes. */
bool kiln_str_eq(kiln_str a, kiln_str b);
/** True when a and b are equal ignoring ASCII case. */
bool kiln_str_ieq(kiln_str a, kiln_str b);
/** True when a equals the C string s ignoring ASCII case. */
bool kiln_str_ieq_c(kiln_str a, const char *s);
/**
 * Parses all of s as a decimal int64 (optional leading '-').
 * Returns 0 and sets *out, or KILN_EINVAL for empty, non-digit or overflow.
 */
int kiln_str_to_i64(kiln_str s, int64_t *out);
/**
 * The optimal string alignment distance between a and b (Damerau-
 * Levenshtein with adjacent transpositions: "prot" is 1 from "port"),
 * ignoring ASCII case: what "did you mean ...?" suggestions are made of.
 * Views longer than 64 bytes give SIZE_MAX.
 */
size_t kiln_str_distance(kiln_str a, kiln_str b);

/* ---- arena ------------------------------------------------------------- */

/**
 * A bump allocator made of malloc'd chunks. All memory handed out stays
 * valid until kiln_arena_reset() or kiln_arena_deinit(). Not thread-safe:
 * an arena belongs to one request or one owner.
 * Fields are private.
 */
typedef struct kiln_arena {
    struct kiln_arena_chunk *head; /* private: newest chunk first */
    char *pos, *end;               /* private: free space in head */
    size_t chunk_size;             /* private: size of regular chunks */
} kiln_arena;

/** Initialises an empty arena whose chunks are chunk_size bytes (0: 4 KiB). */
void kiln_arena_init(kiln_arena *a, size_t chunk_size);
/**
 * Returns n bytes aligned to 16, owned by the arena, or NULL when malloc fails.
 * n == 0 returns a valid non-NULL pointer.
 */
void *kiln_arena_alloc(kiln_arena *a, size_t n);
/** Like kiln_arena_alloc, zero-filled. */
void *kiln_arena_calloc(kiln_arena *a, size_t n);
/** Copies s into the arena as a NUL-terminated string; NULL on failure. */
char *kiln_arena_strndup(kiln_arena *a, const char *s, size_t n);
/** Formats into the arena; returns the NUL-terminated result or NULL. */
char *kiln_arena_printf(kiln_arena *a, const char *fmt, ...) KILN_PRINTF(2, 3);
/** Frees everything but the first chunk, which is kept for reuse. */
void kiln_arena_reset(kiln_arena *a);
/** Frees all memory of the arena; it may be initialised again. */
void kiln_arena_deinit(kiln_arena *a);

/* ---- growable buffer --------------------------------------------------- */

/**
 * A growable byte buffer.
 * Invariant: p is NULL with n == cap == 0, or p holds cap bytes of which the
 * first n are used and p[n] == '\0' (so cap > n). The owner frees p with
 * kiln_buf_deinit(); kiln_buf_detach() hands it over instead.
 * Growth is malloc-backed; a buffer reused across requests does not allocate
 * in steady state. On allocation failure functions return KILN_ENOMEM and
 * leave the buffer as it was.
 */
typedef struct kiln_buf {
    char *p;    /**< read-only: the bytes */
    size_t n;   /**< read-only: bytes used */
    size_t cap; /**< private: bytes allocated */
} kiln_buf;

/** Initialises an empty buffer (allocates nothing). */
void kiln_buf_init(kiln_buf *b);
/** Ensures room for extra more bytes (plus the NUL). */
int kiln_buf_reserve(kiln_buf *b, size_t extra);
/** Appends n bytes. */
int kiln_buf_append(kiln_buf *b, const void *p, size_t n);
/** Appends a NUL-terminated string. */
int kiln_buf_puts(kiln_buf *b, const char *s);
/** Appends one byte. */
int kiln_buf_putc(kiln_buf *b, char ch);
/** Appends formatted text (printf rules). */
int kiln_buf_printf(kiln_buf *b, const char *fmt, ...) KILN_PRINTF(2, 3);
/** va_list form of kiln_buf_printf. */
int kiln_buf_vprintf(kiln_buf *b, const char *fmt, va_list ap);
/** Appends the decimal form of v. */
int kiln_buf_put_i64(kiln_buf *b, int64_t v);
/** Empties the buffer, keeping its memory. */
void kiln_buf_clear(kiln_buf *b);
/** Keeps the first n bytes (n <= b->n): undoes appends past a mark. */
void kiln_buf_truncate(kiln_buf *b, size_t n);
/** Removes the first n bytes (n <= b->n). */
void kiln_buf_consume(kiln_buf *b, size_t n);
/** Returns the bytes (caller frees with free()) and leaves b empty. */
char *kiln_buf_detach(kiln_buf *b);
/** Frees the memory; the buffer is empty afterwards and may be reused. */
void kiln_buf_deinit(kiln_buf *b);
/** A view of the buffer's bytes. */
static inline kiln_str kiln_buf_str(const kiln_buf *b)
{
    kiln_str s = {b->p, b->n};
    return s;
}

/* ---- files ------------------------------------------------------------ */

/**
 * Reads the whole regular file at path into a malloc'd, NUL-terminated
 * buffer (the caller frees it); *n gets the length when n is not NULL. A
 * file that grows while it is read is read to its end. NULL on failure
 * with errno set (EISDIR for a folder).
 */
char *kiln_read_file(const char *path, size_t *n);

/* ---- logging ----------------------------------------------------------- */

/** Log levels, most severe first. */
enum kiln_log_level {
    KILN_LOG_ERROR,
    KILN_LOG_WARN,
    KILN_LOG_INFO,
    KILN_LOG_DEBUG
};

/** Sets the most verbose level written (default KILN_LOG_INFO). */
void kiln_log_set_level(int level);
/**
 * Writes one line "<time> <level> <message>" to stderr with a single write(2),
 * so lines from several workers never interleave.
 */
void kiln_log(int level, const char *fmt, ...) KILN_PRINTF(2, 3);

#ifdef __cplusplus
}
#endif
#endif
