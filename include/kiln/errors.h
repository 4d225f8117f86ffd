/*
 * kiln/errors.h - the error list behind every 422: what the schema
 * decoders (kiln/schema.h), form handling and the author's own checks
 * collect, and the one call that answers it as RFC 9457 problem+json.
 *
 *   kiln_errors errs;
 *   kiln_errors_init(&errs, kiln_ctx_arena(c));
 *   if (!title.n)
 *       kiln_errors_add(&errs, "/title", "required", "a title is required");
 *   if (kiln_errors_any(&errs))
 *       return kiln_problem_errors(c, 422, &errs, NULL);
 *
 * answers
 *
 *   HTTP/1.1 422 Unprocessable Content
 *   Content-Type: application/problem+json
 *
 *   {"type":"about:blank","title":"Unprocessable Content","status":422,
 *    "detail":"1 field is invalid","instance":"/api/notes",
 *    "request_id":"w0-17","errors":[{"pointer":"/title","code":"required",
 *    "detail":"a title is required"}]}
 *
 * A pointer is a JSON Pointer (RFC 6901) into the request's input: "/title",
 * "/author/email", "/items/3/qty"; "" is the input as a whole. A form field
 * "author.email" or "items[3].qty" has the pointer of the JSON it stands
 * for. A query parameter is named by a "pointer" starting with '?'
 * ("?limit"), answered as {"parameter":"limit",...} since it is no place
 * in the body. Codes are stable, lower_snake_case, and listed in
 * docs/models.md.
 */
#ifndef KILN_ERRORS_H
#define KILN_ERRORS_H

#include "http.h"

#ifdef __cplusplus
extern "C" {
#endif

/** One failing field. All strings live in the list's arena. */
typedef struct kiln_error_item {
    const char *pointer; /**< read-only: JSON Pointer ("" = whole input) */
    const char *code;    /**< read-only: machine code ("max_length") */
    const char *detail;  /**< read-only: a human message */
} kiln_error_item;

/** The most errors a list keeps; later ones are only counted. */
#define KILN_ERRORS_MAX 100

/**
 * A list of errors. Invariant: items holds n entries (n <= cap <=
 * KILN_ERRORS_MAX); everything is allocated from arena, which the list does
 * not own (a request's arena, usually), so there is nothing to free.
 */
typedef struct kiln_errors {
    kiln_arena *arena;      /**< private: where items and strings live */
    kiln_error_item *items; /**< read-only: the errors, in the order added */
    size_t n;               /**< read-only */
    size_t cap;             /**< private */
    size_t dropped;         /**< read-only: errors past KILN_ERRORS_MAX */
} kiln_errors;

/** Initialises an empty list allocating from a. */
void kiln_errors_init(kiln_errors *e, kiln_arena *a);

/**
 * Adds an error: pointer and code are copied, detail is formatted (printf
 * rules). Past KILN_ERRORS_MAX errors only e->dropped grows. Returns 0 or
 * KILN_ENOMEM (the list is unchanged).
 */
int kiln_errors_add(kiln_errors *e, const char *pointer, const char *code,
                    const char *fmt, ...) KILN_PRINTF(4, 5);

/** True when the list holds at least one error. */
static inline bool kiln_errors_any(const kiln_errors *e)
{
    return e->n > 0 || e->dropped > 0;
}

/** The first error whose pointer is exactly pointer, or NULL. */
const kiln_error_item *kiln_errors_find(const kiln_errors *e,
                                        const char *pointer);

/**
 * Appends the list as the JSON array of the 422 contract:
 * [{"pointer":"/title","code":"required","detail":"..."}, ...].
 * Returns 0 or KILN_ENOMEM.
 */
int kiln_errors_json(const kiln_errors *e, kiln_buf *b);

/**
 * Answers problem+json with status (422 for validation, 409 for a
 * conflict...), the standard title, detail from fmt (NULL: "N field(s) are
 * invalid"), the instance path, the request id and the "errors" array.
 * Returns what kiln_send returns (0 once answered).
 */
int kiln_problem_errors(kiln_ctx *c, int status, const kiln_errors *e,
                        const char *fmt, ...) KILN_PRINTF(4, 5);

#ifdef __cplusplus
}
#endif
#endif
