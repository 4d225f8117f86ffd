/*
 * frontend/ssr_proto.c - the sidecar's framing (see ssr_proto.h): request
 * frames out, response frames in. Pure: the fuzz target and the unit tests
 * drive it directly.
 */
#include "frontend/ssr_proto.h"

#include "kiln/json.h"

#include <stdio.h>
#include <string.h>

int ssr_encode_request(kiln_buf *b, uint32_t id, kiln_str component,
                       kiln_str props_json)
{
    size_t before = b->n;
    static const char hdr0[4] = {0};
    if (props_json.n == 0)
        props_json = KILN_STR("{}");
    int rc = kiln_buf_append(b, hdr0, 4);
    rc |= kiln_buf_puts(b, "{\"id\":");
    rc |= kiln_buf_put_i64(b, id);
    rc |= kiln_buf_puts(b, ",\"component\":");
    rc |= kiln_json_put_str(b, component.p ? component.p : "", component.n);
    rc |= kiln_buf_puts(b, ",\"props\":");
    rc |= kiln_buf_append(b, props_json.p, props_json.n);
    rc |= kiln_buf_putc(b, '}');
    if (rc != 0) {
        kiln_buf_truncate(b, before);
        return KILN_ENOMEM;
    }
    size_t len = b->n - before - 4;
    if (len > SSR_FRAME_MAX) {
        kiln_buf_truncate(b, before);
        return KILN_EINVAL;
    }
    unsigned char *h = (unsigned char *)b->p + before;
    h[0] = (unsigned char)(len >> 24);
    h[1] = (unsigned char)(len >> 16);
    h[2] = (unsigned char)(len >> 8);
    h[3] = (unsigned char)len;
    return 0;
}

int ssr_frame_next(const char *p, size_t n, kiln_str *body, size_t *used)
{
    if (n < 4)
        return 0;
    const unsigned char *h = (const unsigned char *)p;
    uint32_t len = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 |
                   (uint32_t)h[2] << 8 | (uint32_t)h[3];
    if (len > SSR_FRAME_MAX)
        return KILN_ELIMIT;
    if (n - 4 < len)
        return 0;
    *body = (kiln_str){p + 4, len};
    *used = 4 + (size_t)len;
    return 1;
}

int ssr_decode_response(kiln_arena *a, kiln_str body, ssr_response *out,
                        char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    kiln_json *j;
    kiln_json_error je;
    int rc = kiln_json_parse(a, body.p, body.n, 16, &j, &je);
    if (rc == KILN_ENOMEM)
        return rc;
    if (rc != 0) {
        snprintf(err, errlen, "malformed response: %s at byte %zu", je.msg,
                 je.offset);
        return KILN_EPARSE;
    }
    if (j->type != KILN_JSON_OBJECT) {
        snprintf(err, errlen, "malformed response: not an object");
        return KILN_EPARSE;
    }
    const kiln_json *id = kiln_json_get(j, "id");
    if (!id || id->type != KILN_JSON_NUMBER || !id->u.number.is_int ||
        id->u.number.i < 0 || id->u.number.i > (int64_t)UINT32_MAX) {
        snprintf(err, errlen, "malformed response: no valid \"id\"");
        return KILN_EPARSE;
    }
    out->id = (uint32_t)id->u.number.i;
    const kiln_json *html = kiln_json_get(j, "html");
    const kiln_json *e = kiln_json_get(j, "error");
    if ((html != NULL) == (e != NULL)) {
        snprintf(err, errlen,
                 "malformed response: needs one of \"html\" or \"error\"");
        return KILN_EPARSE;
    }
    const kiln_json *s = html ? html : e;
    if (s->type != KILN_JSON_STRING) {
        snprintf(err, errlen, "malformed response: \"%s\" is not a string",
                 html ? "html" : "error");
        return KILN_EPARSE;
    }
    out->ok = html != NULL;
    if (html)
        out->html = s->u.string;
    else
        out->error = s->u.string;
    return 0;
}
