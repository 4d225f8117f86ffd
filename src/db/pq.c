/*
 * db/pq.c - loads libpq on first use (db/pq.h says why).
 *
 * The library's name can be overridden with KILN_LIBPQ (a file name or a
 * path) for a libpq installed elsewhere; the tests also use it to check
 * the message a machine without libpq gets.
 */
#define PQ_LOADER
#include "db/pq.h"

#include <kiln/core.h>

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

pq_api pq_fn;

static pthread_once_t pq_once = PTHREAD_ONCE_INIT;
static char pq_error[512]; /* empty when loaded; written once */

static void pq_load_once(void)
{
    const char *name = getenv("KILN_LIBPQ");
    if (!name || !*name)
        name = "libpq.so.5";
    void *h = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        snprintf(pq_error, sizeof pq_error,
                 "PostgreSQL needs libpq: install the libpq5 package (%s)",
                 why ? why : name);
        return;
    }
    pq_api api;
    /* dlsym returns void *: the function pointer is taken through memcpy,
       which ISO C allows where a cast would not be */
#define PQ_FIND(f)                                                             \
    {                                                                          \
        void *sym = dlsym(h, #f);                                              \
        if (!sym) {                                                            \
            snprintf(pq_error, sizeof pq_error,                                \
                     "PostgreSQL needs libpq 14 or newer: %s has no %s", name, \
                     #f);                                                      \
            dlclose(h);                                                        \
            return;                                                            \
        }                                                                      \
        memcpy(&api.f, &sym, sizeof sym);                                      \
    }
    PQ_FUNCTIONS(PQ_FIND)
#undef PQ_FIND
    pq_fn = api;
}

int pq_load(char *err, size_t errlen)
{
    pthread_once(&pq_once, pq_load_once);
    if (!pq_error[0])
        return 0;
    if (err && errlen)
        snprintf(err, errlen, "%s", pq_error);
    return KILN_EUNAVAIL;
}
