/*
 * frontend/ssr_proto.h - the framing between Kiln and its SSR sidecar
 * (share/ssr/server.mjs): a pure unit, no I/O.
 *
 * A frame is a 4-byte big-endian length N followed by N bytes of UTF-8
 * JSON. Kiln sends {"id":N,"component":"Name","props":{...}}; the sidecar
 * answers {"id":N,"html":"..."} or {"id":N,"error":"..."}, in any order
 * (requests are matched by id).
 */
#ifndef KILN_FRONTEND_SSR_PROTO_H
#define KILN_FRONTEND_SSR_PROTO_H

#include "kiln/core.h"

#include <stdint.h>

/** The largest frame either side accepts (16 MiB). */
#define SSR_FRAME_MAX (16u * 1024 * 1024)

/**
 * Appends the frame of a render request to b: its id, the component's name
 * (escaped as a JSON string) and props_json, copied as written (the caller
 * passes one JSON value; empty means {}). 0, KILN_EINVAL when the frame
 * would exceed SSR_FRAME_MAX, or KILN_ENOMEM; b is left as it was on error.
 */
int ssr_encode_request(kiln_buf *b, uint32_t id, kiln_str component,
                       kiln_str props_json);

/**
 * Finds the first frame in p[0..n). Returns 1 with *body set to its JSON
 * and *used to the bytes it takes (header included); 0 when the frame is
 * not complete yet; KILN_ELIMIT when its length exceeds SSR_FRAME_MAX (the
 * stream cannot be resynchronised: the caller drops the connection).
 */
int ssr_frame_next(const char *p, size_t n, kiln_str *body, size_t *used);

/** A decoded response. */
typedef struct ssr_response {
    uint32_t id;
    bool ok;       /**< html holds the markup; else error says why */
    kiln_str html; /**< decoded, NUL-terminated, in the arena */
    kiln_str error;
} ssr_response;

/**
 * Decodes a response body (the JSON of a frame) into *out, with its strings
 * in a (owned by the arena). 0, or KILN_EPARSE with err filled when the body
 * is not an object with a non-negative integer "id" below 2^32 and exactly
 * one of a string "html" or a string "error"; KILN_ENOMEM.
 */
int ssr_decode_response(kiln_arena *a, kiln_str body, ssr_response *out,
                        char *err, size_t errlen);

#endif
