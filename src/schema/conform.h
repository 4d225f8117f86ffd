/*
 * schema/conform.h - development mode's check of responses against their
 * declared schemas (docs/openapi.md, "Responses checked in development").
 *
 * The walker (schema_conform) follows the same description the encoder
 * and the OpenAPI document are written from, by the document's rules for
 * an output (src/openapi/schemas.c): every field but write-only ones is
 * required, null only where the field is optional, a ref field listed in
 * [api] expand may hold the referred row. Values are checked by the
 * decoder's own checks (check.c). Keys the description does not have are
 * allowed, as the document's output schemas allow them.
 *
 * The hooks (schema_conform_arm, schema_conform_endpoint) are armed per
 * request only when schema_conform_on is set (kiln dev, --dev): production
 * pays one flag test per request of a route with a declared schema.
 */
#ifndef KILN_SCHEMA_CONFORM_H
#define KILN_SCHEMA_CONFORM_H

#include <kiln.h>

/** What a response body is: a row of a model, a JSON array of rows, or a
    page of a generated list ({"items": [...], "next": ..., "count": ...}). */
enum schema_shape { SCHEMA_ROW, SCHEMA_LIST, SCHEMA_PAGE };

/** Set once at start-up (development mode), read-only while serving. */
extern bool schema_conform_on;

/**
 * Checks the JSON text p[0..n) against the output of m in shape, adding
 * every violation to errs: its pointer, a code ("type", "required", "null"
 * or a decoder's code: "max_length", "choice"...) and a detail saying what
 * was expected and what was found. Parse memory comes from a. Returns 0
 * (it conforms), KILN_EINVAL (errs lists the violations) or KILN_ENOMEM.
 * Text that is not JSON is one violation at "" (code "json").
 */
int schema_conform(const kiln_model *m, int shape, const char *p, size_t n,
                   kiln_arena *a, kiln_errors *errs);

/**
 * Arms c's response to be checked, when its status is 200 or 201 and its
 * type JSON, against m in shape; a violation is logged as one warning line
 * per failing value, naming op (the operationId, copied), the pointer,
 * what was expected and what was found. Hook memory is c's arena.
 */
void schema_conform_arm(kiln_ctx *c, const char *op, const kiln_model *m,
                        int shape);

/**
 * Arms c's response to be checked against the response ep declares for
 * its status (a model, or a list of one). A 2xx status ep does not declare,
 * when it declares any, is logged too.
 */
void schema_conform_endpoint(kiln_ctx *c, const kiln_endpoint *ep);

#endif
