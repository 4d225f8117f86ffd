/*
 * db/pq.h - libpq, loaded when the first postgres:// database is opened
 * rather than linked: an app that only uses SQLite neither links libpq nor
 * the twenty libraries libpq brings (Kerberos, LDAP, OpenSSL...), and runs
 * on a machine without libpq5.
 *
 * pg.c includes this header instead of <libpq-fe.h> and calls PQxxx as
 * usual: each name below is a macro reading the function pointer that
 * pq_load() found with dlsym. Only the types and constants of libpq-fe.h
 * are used at compile time (libpq-dev), nothing at link time.
 */
#ifndef KILN_DB_PQ_H
#define KILN_DB_PQ_H

#include <libpq-fe.h>

#include <stddef.h>

/* Every libpq function Kiln calls. */
#define PQ_FUNCTIONS(X)                                                        \
    X(PQclear)                                                                 \
    X(PQcmdStatus)                                                             \
    X(PQcmdTuples)                                                             \
    X(PQconnectPoll)                                                           \
    X(PQconnectStartParams)                                                    \
    X(PQconninfoFree)                                                          \
    X(PQconninfoParse)                                                         \
    X(PQconsumeInput)                                                          \
    X(PQenterPipelineMode)                                                     \
    X(PQerrorMessage)                                                          \
    X(PQexec)                                                                  \
    X(PQexitPipelineMode)                                                      \
    X(PQfinish)                                                                \
    X(PQflush)                                                                 \
    X(PQfname)                                                                 \
    X(PQfreemem)                                                               \
    X(PQftype)                                                                 \
    X(PQgetResult)                                                             \
    X(PQgetisnull)                                                             \
    X(PQgetlength)                                                             \
    X(PQgetvalue)                                                              \
    X(PQisBusy)                                                                \
    X(PQnfields)                                                               \
    X(PQnotifies)                                                              \
    X(PQntuples)                                                               \
    X(PQpipelineSync)                                                          \
    X(PQresultErrorField)                                                      \
    X(PQresultStatus)                                                          \
    X(PQsendPrepare)                                                           \
    X(PQsendQuery)                                                             \
    X(PQsendQueryParams)                                                       \
    X(PQsendQueryPrepared)                                                     \
    X(PQsetNoticeProcessor)                                                    \
    X(PQsetnonblocking)                                                        \
    X(PQsocket)                                                                \
    X(PQstatus)                                                                \
    X(PQunescapeBytea)

/** The loaded functions: each member has the type of its libpq function.
    Written once by pq_load, read-only afterwards. */
typedef struct pq_api {
#define PQ_MEMBER(f) __typeof__(f) *f;
    PQ_FUNCTIONS(PQ_MEMBER)
#undef PQ_MEMBER
} pq_api;

/** Filled by pq_load; valid after it returned 0. */
extern pq_api pq_fn;

/**
 * Loads libpq (libpq.so.5) and every function above, once per process
 * (thread-safe; later calls return the first outcome at once). Returns 0,
 * or KILN_EUNAVAIL with a one-line reason in err ("PostgreSQL needs libpq:
 * install the libpq5 package (libpq.so.5: cannot open shared object
 * file...)"). The library stays loaded until the process exits.
 */
int pq_load(char *err, size_t errlen);

/* From here on, PQxxx(...) calls go through the loaded pointers (except in
   pq.c, which fills them and defines PQ_LOADER). */
#ifndef PQ_LOADER
#define PQclear pq_fn.PQclear
#define PQcmdStatus pq_fn.PQcmdStatus
#define PQcmdTuples pq_fn.PQcmdTuples
#define PQconnectPoll pq_fn.PQconnectPoll
#define PQconnectStartParams pq_fn.PQconnectStartParams
#define PQconninfoFree pq_fn.PQconninfoFree
#define PQconninfoParse pq_fn.PQconninfoParse
#define PQconsumeInput pq_fn.PQconsumeInput
#define PQenterPipelineMode pq_fn.PQenterPipelineMode
#define PQerrorMessage pq_fn.PQerrorMessage
#define PQexec pq_fn.PQexec
#define PQexitPipelineMode pq_fn.PQexitPipelineMode
#define PQfinish pq_fn.PQfinish
#define PQflush pq_fn.PQflush
#define PQfname pq_fn.PQfname
#define PQfreemem pq_fn.PQfreemem
#define PQftype pq_fn.PQftype
#define PQgetResult pq_fn.PQgetResult
#define PQgetisnull pq_fn.PQgetisnull
#define PQgetlength pq_fn.PQgetlength
#define PQgetvalue pq_fn.PQgetvalue
#define PQisBusy pq_fn.PQisBusy
#define PQnfields pq_fn.PQnfields
#define PQnotifies pq_fn.PQnotifies
#define PQntuples pq_fn.PQntuples
#define PQpipelineSync pq_fn.PQpipelineSync
#define PQresultErrorField pq_fn.PQresultErrorField
#define PQresultStatus pq_fn.PQresultStatus
#define PQsendPrepare pq_fn.PQsendPrepare
#define PQsendQuery pq_fn.PQsendQuery
#define PQsendQueryParams pq_fn.PQsendQueryParams
#define PQsendQueryPrepared pq_fn.PQsendQueryPrepared
#define PQsetNoticeProcessor pq_fn.PQsetNoticeProcessor
#define PQsetnonblocking pq_fn.PQsetnonblocking
#define PQsocket pq_fn.PQsocket
#define PQstatus pq_fn.PQstatus
#define PQunescapeBytea pq_fn.PQunescapeBytea
#endif

#endif
