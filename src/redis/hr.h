/*
 * redis/hr.h - hiredis, loaded when the first Redis client is made rather
 * than linked, as db/pq.h does for libpq: an app that does not use Redis
 * neither links hiredis nor needs it installed.
 *
 * Kiln drives its Redis sockets itself (redis/client.c: the worker's loop,
 * its own buffers, timeouts and reconnection); from hiredis it takes the
 * part worth not writing twice, the RESP reply reader. Commands are
 * encoded by redis_encode (client.c).
 *
 * The library is found by the SONAME of the headers Kiln was compiled
 * against (HIREDIS_SONAME: "libhiredis.so.0.14" on Debian 12): the layout
 * of redisReply changes between hiredis versions, so only that one fits.
 * client.c includes this header instead of <hiredis/hiredis.h> and calls
 * the functions through hr_fn.
 */
#ifndef KILN_REDIS_HR_H
#define KILN_REDIS_HR_H

#include <hiredis/hiredis.h>

#include <stddef.h>

/* Every hiredis function Kiln calls. */
#define HR_FUNCTIONS(X)                                                        \
    X(redisReaderCreate)                                                       \
    X(redisReaderFree)                                                         \
    X(redisReaderFeed)                                                         \
    X(redisReaderGetReply)                                                     \
    X(freeReplyObject)

/** The loaded functions: each member has the type of its hiredis function.
    Written once by hr_load, read-only afterwards. */
typedef struct hr_api {
#define HR_MEMBER(f) __typeof__(f) *f;
    HR_FUNCTIONS(HR_MEMBER)
#undef HR_MEMBER
} hr_api;

/** Filled by hr_load; valid after it returned 0. */
extern hr_api hr_fn;

/**
 * Loads hiredis (libhiredis.so.HIREDIS_SONAME, or $KILN_LIBHIREDIS) and
 * every function above, once per process (thread-safe; later calls return
 * the first outcome at once). Returns 0, or KILN_EUNAVAIL with a one-line
 * reason in err ("Redis needs hiredis: install the libhiredis0.14 package
 * (...)"). The library stays loaded until the process exits.
 */
int hr_load(char *err, size_t errlen);

#endif
