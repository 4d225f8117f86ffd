/*
 * redis/redis.h - Kiln's Redis client: per-worker connections driven by
 * the worker's event loop, as db/pg.c drives libpq. Internal (prefix
 * redis_); the cache, the rate limiter and, later, pub/sub and login
 * throttling are built on it.
 *
 *   redis_client *rc = redis_client_new(&(redis_opts){.url = url}, err, n);
 *   redis_value *v;
 *   kiln_str argv[] = {KILN_STR("GET"), key};
 *   int e = redis_call(rc, arena, 2, argv, &v);   // yields in a handler
 *
 * Connections. Each worker has its own (redis.pool of them, 1 by default),
 * made on first use on the worker's thread and registered with its loop.
 * Commands from concurrent handlers of one worker are pipelined: each is
 * appended to a connection's output buffer and to its FIFO of operations,
 * the buffer is written once at the end of the loop turn (a worker hook),
 * and replies are handed back in order as they arrive, each resuming the
 * coroutine that waits for it. Connecting is non-blocking too; commands
 * queued meanwhile go out once it is up. AUTH and SELECT, when the URL
 * asks for them, are the first commands of every connection.
 *
 * Failures. A command that gets no reply within redis.timeout_ms (plus
 * redis.connect_timeout_ms while connecting) fails with KILN_ETIMEDOUT
 * and the connection is dropped: the commands queued behind it on a
 * server that stopped answering fail at once with KILN_EUNAVAIL. A
 * connection that breaks fails its commands in flight; the next command
 * connects again. A failed attempt starts a backoff (50 ms doubling to
 * 1 s) during which commands fail at once with KILN_EUNAVAIL, so a
 * handler answers 503 promptly while Redis is down, and the client
 * reconnects by itself when it is back. Nothing is retried: a command
 * may or may not have run when its connection broke.
 *
 * Outside a worker's coroutine (tools, tests, threads of the app's own)
 * the client uses one shared blocking connection, under a lock: waits
 * block in poll(2).
 *
 * hiredis's reply reader is loaded with dlopen (redis/hr.h); commands are
 * encoded here (redis_encode).
 */
#ifndef KILN_REDIS_REDIS_H
#define KILN_REDIS_REDIS_H

#include <kiln/core.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** A parsed Redis URL. */
typedef struct redis_url {
    bool unix_socket;   /**< unix:// (path), else TCP (host, port) */
    char host[256];     /**< TCP: a name or an address (IPv6 without []) */
    int port;           /**< TCP: 6379 when the URL has none */
    char path[108];     /**< unix://: the socket's path */
    char user[128];     /**< AUTH user ("" none: AUTH with the password) */
    char password[256]; /**< AUTH password ("" none: no AUTH) */
    int db;             /**< SELECT db (0: none sent) */
} redis_url;

/**
 * Parses a Redis URL into u (a pure function over the string):
 *
 *   redis://[[user]:password@]host[:port][/db]   (host may be [v6addr])
 *   unix://[[user]:password@]/path/to.sock[?db=N]
 *
 * user and password are percent-decoded. rediss:// (TLS) is refused with a
 * reason. Returns 0, or KILN_EINVAL with a one-line reason in err.
 */
int redis_url_parse(const char *url, redis_url *u, char *err, size_t errlen);

/**
 * Appends the RESP encoding of a command (argc arguments, binary-safe) to
 * b: "*<argc>\r\n" then "$<len>\r\n<bytes>\r\n" per argument. Returns 0 or
 * KILN_ENOMEM (b keeps what it had).
 */
int redis_encode(kiln_buf *b, size_t argc, const kiln_str *argv);

/**
 * Opens a non-blocking socket to u's server (TCP with TCP_NODELAY, or a
 * Unix socket; a host name is resolved here, blocking). Returns the fd,
 * with *pending true while connect(2) is still in progress (wait for it
 * to be writable, then read SO_ERROR), or -1 with a one-line reason in
 * err. (The pub/sub backend's own connections use it too.)
 */
int redis_socket_open(const redis_url *u, bool *pending, char *err,
                      size_t errlen);

/** The kinds of reply (RESP2). */
typedef enum redis_type {
    REDIS_T_NIL,    /**< a nil bulk string or array */
    REDIS_T_INT,    /**< :N (i) */
    REDIS_T_STRING, /**< a bulk string (s) */
    REDIS_T_STATUS, /**< +OK and friends (s) */
    REDIS_T_ERROR,  /**< -ERR ... (s): the command failed, the connection
                         is fine */
    REDIS_T_ARRAY   /**< *N (elems, n) */
} redis_type;

/** A reply, copied into the caller's arena. */
typedef struct redis_value {
    redis_type type;
    int64_t i;  /**< REDIS_T_INT */
    kiln_str s; /**< STRING, STATUS, ERROR: NUL-terminated, in the arena */
    size_t n;   /**< ARRAY: number of elements */
    struct redis_value *elems; /**< ARRAY: n values */
} redis_value;

/** Client settings. Zero means "the default". */
typedef struct redis_opts {
    const char *url;        /**< see redis_url_parse */
    int pool;               /**< connections per worker (1) */
    int connect_timeout_ms; /**< for a connection attempt (1000) */
    int timeout_ms;         /**< for a reply (2000) */
    int backoff_max_ms;     /**< longest pause between attempts (1000) */
} redis_opts;

/** A client: the URL and each worker's connections. Opaque. */
typedef struct redis_client redis_client;

/**
 * Makes a client for o->url (nothing connects yet) and loads hiredis.
 * Returns NULL with a one-line reason in err: a malformed URL, hiredis
 * missing, no memory. Free with redis_client_free once no worker runs.
 */
redis_client *redis_client_new(const redis_opts *o, char *err, size_t errlen);
/** Closes every connection and frees c (after the server stopped; NULL is
    fine). */
void redis_client_free(redis_client *c);

/**
 * Runs one command (argc arguments, binary-safe) and waits for its reply,
 * yielding the coroutine in a worker (blocking elsewhere). Returns 0 with
 * *out, a reply allocated in a (which may be a REDIS_T_ERROR reply: Redis
 * refused the command), or, with *out NULL: KILN_EUNAVAIL (Redis cannot be
 * reached, or the connection broke before the reply), KILN_ETIMEDOUT,
 * KILN_ECANCELED (the server's drain time ran out), KILN_ENOMEM.
 * redis_last_error() says why.
 */
int redis_call(redis_client *c, kiln_arena *a, size_t argc,
               const kiln_str *argv, redis_value **out);

/**
 * A Lua script run with EVALSHA (it is loaded with SCRIPT LOAD on first
 * use, and sent whole with EVAL when the server has forgotten it). Declare
 * one per script with static storage: REDIS_SCRIPT("return 1").
 */
typedef struct redis_script {
    const char *src; /**< the Lua source */
    char sha[41];    /**< its SHA-1 once loaded; written once under a lock */
    int loaded;      /**< atomic: sha is valid */
} redis_script;
#define REDIS_SCRIPT(lua)                                                      \
    {                                                                          \
        (lua), {0}, 0                                                          \
    }

/**
 * Runs script s with nkeys keys followed by nargs arguments (argv holds
 * nkeys + nargs views). Returns what redis_call returns.
 */
int redis_eval(redis_client *c, kiln_arena *a, redis_script *s, size_t nkeys,
               size_t nargs, const kiln_str *argv, redis_value **out);

/**
 * Why the last failed call of this thread failed ("Redis at
 * 127.0.0.1:6379: connection refused"). Valid until the thread's next
 * call; read it before waiting on anything.
 */
const char *redis_last_error(void);

/** The server's address as a short text ("127.0.0.1:6379",
    "unix:/run/redis.sock"), for messages. Owned by c. */
const char *redis_client_addr(const redis_client *c);

#endif
