/*
 * schema/body.h - the input of a route with an endpoint schema, for the
 * project runtime (src/app): path parameters, query and body decoded and
 * validated in one go before the handler runs.
 */
#ifndef KILN_SCHEMA_BODY_H
#define KILN_SCHEMA_BODY_H

#include <kiln.h>

/**
 * Decodes the request's input as ep declares it into a struct of ep->size
 * bytes in the request's arena and makes it kiln_input(c). Returns 0 (the
 * handler may run), 1 when it has answered (404 for a path parameter that
 * does not fit, 400/413/415 for a body that cannot be read, 422 listing
 * every failing query parameter and body field), or a negative error
 * (KILN_ENOMEM) with nothing answered.
 */
int schema_endpoint_input(kiln_ctx *c, const kiln_endpoint *ep);

#endif
