/*
 * api/api_impl.h - the generated CRUD API's parts (docs/api.md):
 *
 *   query.c   a list's query parameters into an api_query (pure: no
 *             database, no request; unit-tested and fuzzed)
 *   cursor.c  the opaque cursor of a page, both ways (pure)
 *   etag.c    ETags and the If-Match / If-None-Match lists (pure)
 *   routes.c  the routes of a model's API and their names (operationIds)
 *   crud.c    the six handlers, walking the model's description
 *   hooks.c   the author's hooks (kiln/api.h)
 *
 * Memory: everything a request builds lives in its arena.
 */
#ifndef KILN_API_IMPL_H
#define KILN_API_IMPL_H

#include <kiln.h>
#include <kiln/api.h>

#include "http/url.h"

/** Most fields an ordering names (id included). */
#define API_MAX_ORDER 8
/** Most parameters of one list request. */
#define API_MAX_PARAMS 64
/** Most values of one __in lookup. */
#define API_MAX_IN 100

/** A filter's lookup. */
typedef enum api_lookup {
    API_EQ,
    API_NE,
    API_LT,
    API_LTE,
    API_GT,
    API_GTE,
    API_IN,
    API_CONTAINS,
    API_ICONTAINS,
    API_ISNULL
} api_lookup;

/** One filter parameter, its value(s) parsed by the field's type. */
typedef struct api_filter {
    const kiln_field *f;
    api_lookup lookup;
    kiln_db_param *vals; /**< 1 value (API_IN: nvals); ISNULL: a BOOL;
                              EQ/NE: NULL for an empty optional value */
    size_t nvals;
} api_filter;

/** One key of an ordering. */
typedef struct api_order {
    const kiln_field *f;
    bool desc;
} api_order;

/** A list request's parameters, parsed. */
typedef struct api_query {
    int64_t limit;  /**< 1..max_page_size */
    int64_t offset; /**< offset mode: >= 0 */
    bool offset_mode;
    kiln_str cursor;                /**< as sent (p NULL: none) */
    api_order order[API_MAX_ORDER]; /**< always ends with id */
    size_t norder;
    const char *ordering; /**< canonical: "-due,title,id" */
    api_filter *filters;
    size_t nfilters;
    kiln_str search; /**< p NULL: none */
    const kiln_field *expand[16];
    size_t nexpand;
    uint32_t sig; /**< hash of the filters and search (cursor binding) */
} api_query;

/**
 * Parses the n query pairs kv of a list of model m (m->api set) into *q,
 * allocating in a. Every bad parameter adds one error to errs with pointer
 * "?NAME" and a code of docs/api.md (unknown_parameter, not_filterable,
 * unknown_lookup, not_orderable, not_expandable, invalid, out_of_range).
 * The cursor is kept as text (api_cursor_decode reads it). Returns 0,
 * KILN_EINVAL (errs lists every failure) or KILN_ENOMEM.
 */
int api_query_parse(const kiln_model *m, const http_kv *kv, size_t n,
                    kiln_arena *a, api_query *q, kiln_errors *errs);

/** A cursor's content: where the previous page ended. */
typedef struct api_cursor {
    kiln_str ordering; /**< the canonical ordering it was made for */
    uint32_t sig;      /**< api_query.sig it was made for */
    kiln_db_param vals[API_MAX_ORDER]; /**< the last row's ordering values */
    size_t nvals;
} api_cursor;

/**
 * Appends cur as an opaque cursor (base64url without padding) to b.
 * Returns 0 or KILN_ENOMEM.
 */
int api_cursor_encode(const api_cursor *cur, kiln_buf *b);

/**
 * Reads the cursor text s into *out (strings in a). Only the structure is
 * checked here (api_cursor_fits checks it against a query). Returns 0,
 * KILN_EINVAL (not a cursor) or KILN_ENOMEM.
 */
int api_cursor_decode(kiln_str s, kiln_arena *a, api_cursor *out);

/**
 * True when cur was made for q (same ordering and filters) and each of its
 * values fits the type of its ordering field (a date is a date...).
 */
bool api_cursor_fits(const api_cursor *cur, const api_query *q);

/** A row's strong ETag from its JSON text: '"' + the first 16 bytes of
    its SHA-256 in hex + '"', NUL-terminated. */
void api_etag(const char *json, size_t n, char out[35]);

/**
 * Whether the If-Match or If-None-Match value h (entity tags separated by
 * commas, or "*") names etag (with its quotes). strong: a weak tag (W/)
 * never matches (If-Match); else W/ is ignored (If-None-Match).
 */
bool api_etag_match(kiln_str h, const char *etag, bool strong);

/** The operations of kiln/schema.h's KILN_API_*, in bit order. */
enum { API_NOPS = 6 };

/** One route of a model's API. */
typedef struct api_route {
    uint32_t op;        /**< KILN_API_* */
    const char *method; /**< "GET" */
    char pattern[256];  /**< "/api/tasks/{id}" */
    char name[160];     /**< "getTask": the route name and operationId */
} api_route;

/**
 * The routes of m's API (m->api set) into out (at most API_NOPS), in the
 * order of KILN_API_*; only the operations m exposes. Returns how many.
 */
size_t api_routes(const kiln_model *m, api_route out[API_NOPS]);

/**
 * True when two route patterns have the same shape (parameter names
 * aside: "/api/tasks/{id}" and "/api/tasks/{task}").
 */
bool api_same_shape(const char *a, const char *b);

/** What a generated route's kiln_route_data points to (made once by
    kiln_api_register, kept for the process's life). */
typedef struct api_target {
    const kiln_model *m;
    char param[64]; /**< the id's parameter name: "id", or the name the
                         app's own routes give that segment */
    struct api_target *next;
} api_target;

/**
 * Development mode: arms c's answer to operation op (KILN_API_*) of m to
 * be checked against the model's output (schema/conform.h), logged under
 * the operation's name.
 */
void api_conform(kiln_ctx *c, const kiln_model *m, uint32_t op);

/** The handler of every generated route; its kiln_route_data is an
    api_target. */
int api_list(kiln_ctx *c);
int api_create(kiln_ctx *c);
int api_retrieve(kiln_ctx *c);
int api_update(kiln_ctx *c);
int api_patch(kiln_ctx *c);
int api_delete(kiln_ctx *c);

#endif
