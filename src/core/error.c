/*
 * core/error.c - names of the KILN_E* error codes.
 */
#include <kiln/core.h>

const char *kiln_strerror(int err)
{
    switch (err) {
    case KILN_OK:
        return "success";
    case KILN_ENOMEM:
        return "out of memory";
    case KILN_EINVAL:
        return "invalid argument or input";
    case KILN_ETIMEDOUT:
        return "timed out";
    case KILN_EIO:
        return "system call failed";
    case KILN_ELIMIT:
        return "limit exceeded";
    case KILN_ECLOSED:
        return "connection closed";
    case KILN_ENOTFOUND:
        return "not found";
    case KILN_EPARSE:
        return "malformed input";
    case KILN_ESTATE:
        return "invalid in the current state";
    case KILN_ECANCELED:
        return "cancelled";
    case KILN_EUNAVAIL:
        return "service unavailable";
    case KILN_EDB:
        return "database error";
    }
    return "unknown error";
}
