/*
 * router/router.h - the route table: a tree of path segments.
 *
 * Each node has literal children (sorted, binary-searched), at most one
 * {param} child and at most one {...rest} child, and a small list of
 * (method, handler) pairs. Matching tries literal, then param, then rest,
 * backtracking, and takes the first resource that has the method; if the
 * path matches only resources without it, the answer is 405 with the union
 * of their methods in Allow. A trailing slash is ignored ("/a/" is "/a").
 * Built once at start-up, then read-only: workers share it without locks.
 */
#ifndef KILN_ROUTER_H
#define KILN_ROUTER_H

#include <kiln/http.h>

/** Most parameters captured by one route. */
#define ROUTER_MAX_PARAMS 16

typedef struct router router;

/** One match: the handler and the captured parameters (views into path). */
typedef struct route_match {
    kiln_handler handler; /**< NULL unless status == 200 */
    void *data;           /**< the route's data (kiln_route_with) */
    int status;           /**< 200, 404 or 405 */
    bool head_from_get;   /**< HEAD served by the GET handler */
    char allow[96];       /**< for 405 and OPTIONS: "GET, HEAD, OPTIONS" */
    const char *pattern;  /**< the matched route's pattern (for logs) */
    unsigned nparams;
    kiln_str names[ROUTER_MAX_PARAMS];
    kiln_str values[ROUTER_MAX_PARAMS];
} route_match;

/** Creates an empty table; NULL on allocation failure. */
router *router_new(void);
/** Frees the table. */
void router_free(router *r);
/**
 * Adds a route (see kiln_route for the rules and return codes). data is
 * handed back in route_match.data; the router does not own it.
 */
int router_add(router *r, const char *method, const char *pattern,
               kiln_handler h, void *data);
/**
 * Matches method and a normalised path. Fills m (status 200 with handler and
 * params, 404, or 405 with allow). OPTIONS without its own route matches with
 * status 200, handler NULL and allow filled: the caller answers it.
 */
void router_match(const router *r, kiln_str method, kiln_str path,
                  route_match *m);

#endif
