/*
 * redis/hr.c - loads hiredis on first use (redis/hr.h says why).
 *
 * KILN_LIBHIREDIS overrides the library's name (a file name or a path);
 * the tests use it to check the message a machine without hiredis gets.
 */
#include "redis/hr.h"

#include <kiln/core.h>

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HR_STR2(x) #x
#define HR_STR(x) HR_STR2(x)
#define HR_SONAME "libhiredis.so." HR_STR(HIREDIS_SONAME)

hr_api hr_fn;

static pthread_once_t hr_once = PTHREAD_ONCE_INIT;
static char hr_error[512]; /* empty when loaded; written once */

static void hr_load_once(void)
{
    const char *name = getenv("KILN_LIBHIREDIS");
    if (!name || !*name)
        name = HR_SONAME;
    void *h = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        snprintf(hr_error, sizeof hr_error,
                 "Redis needs hiredis: install the libhiredis%d.%d package "
                 "(%s)",
                 HIREDIS_MAJOR, HIREDIS_MINOR, why ? why : name);
        return;
    }
    hr_api api;
    /* dlsym returns void *: the function pointer is taken through memcpy,
       which ISO C allows where a cast would not be */
#define HR_FIND(f)                                                             \
    {                                                                          \
        void *sym = dlsym(h, #f);                                              \
        if (!sym) {                                                            \
            snprintf(hr_error, sizeof hr_error,                                \
                     "Redis needs hiredis " HR_STR(                            \
                         HIREDIS_SONAME) ": %s has no %s",                     \
                     name, #f);                                                \
            dlclose(h);                                                        \
            return;                                                            \
        }                                                                      \
        memcpy(&api.f, &sym, sizeof sym);                                      \
    }
    HR_FUNCTIONS(HR_FIND)
#undef HR_FIND
    hr_fn = api;
}

int hr_load(char *err, size_t errlen)
{
    pthread_once(&hr_once, hr_load_once);
    if (!hr_error[0])
        return 0;
    if (err && errlen)
        snprintf(err, errlen, "%s", hr_error);
    return KILN_EUNAVAIL;
}
