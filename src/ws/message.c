/*
 * ws/message.c - ws_reader: the frames of one connection turned into
 * messages (RFC 6455 sections 5.4 to 5.6, RFC 7692 section 6).
 *
 * A message is a first frame (text or binary) and continuation frames up
 * to one with FIN; control frames (Ping, Pong, Close) may come between
 * them and are handed out at once. The common case - a whole message in
 * one frame, all of it read - is unmasked in place and handed out as a
 * view of the caller's bytes: no copy. Otherwise the payload is unmasked
 * piece by piece into r->msg as it arrives, so a frame never has to fit
 * the caller's buffer, and a compressed message is inflated piece by
 * piece into r->msg with the size limit applied to what inflates (a small
 * frame cannot become a huge message). Text is checked as UTF-8 as it
 * comes, so a bad byte closes the connection (1007) without waiting for
 * the rest.
 */
#include "ws/ws.h"

#include <string.h>

void ws_reader_init(ws_reader *r)
{
    memset(r, 0, sizeof *r);
    r->max_message = 1 << 20;
    r->flags = WS_PARSE_MASKED;
    kiln_buf_init(&r->msg);
}

void ws_reader_deinit(ws_reader *r)
{
    kiln_buf_deinit(&r->msg);
    if (r->inf)
        ws_inflater_give(r->zpool, r->inf);
    r->inf = NULL;
}

void ws_reader_trim(ws_reader *r)
{
    if (r->msg_op)
        return;
    kiln_buf_deinit(&r->msg);
    if (r->inf)
        ws_inflater_give(r->zpool, r->inf);
    r->inf = NULL;
}

/* Ends the reader with an error event (returned again by later calls). */
static int fail(ws_reader *r, ws_event *ev, unsigned code)
{
    r->end = (ws_event){.type = WS_EV_ERROR, .code = code};
    *ev = r->end;
    if (r->inf)
        ws_inflater_give(r->zpool, r->inf);
    r->inf = NULL;
    return WS_EV_ERROR;
}

/* The most wire bytes a compressed message of max bytes may take: stored
   DEFLATE blocks add 5 bytes per 64 KiB, plus the block headers. */
static uint64_t wire_max(const ws_reader *r)
{
    return r->msg_z ? r->max_message + r->max_message / 1024 + 64
                    : r->max_message;
}

/*
 * Takes n unmasked payload bytes of the message in progress. Returns 0 or
 * a close code: the error of the earliest byte of the message, so that
 * the code does not depend on how the message was sliced into frames and
 * reads. A compressed piece may inflate past the size limit in one call:
 * the text it inflated within the limit is checked first, and a byte that
 * is not UTF-8 there wins (1007) over the limit (1009), as it would had
 * the piece come a byte at a time.
 */
static unsigned take(ws_reader *r, const uint8_t *p, size_t n, bool last)
{
    int rc = 0;
    if (r->msg_z) {
        size_t before = r->msg.n;
        rc = ws_inflate(r->inf, p, n, last, r->max_message, &r->msg);
        if (rc == KILN_ENOMEM)
            return WS_CLOSE_INTERNAL;
        p = (const uint8_t *)r->msg.p + before;
        n = r->msg.n - before;
    } else if (n && kiln_buf_append(&r->msg, p, n) != 0) {
        return WS_CLOSE_INTERNAL;
    }
    if (r->msg_op == WS_OP_TEXT && !ws_utf8_feed(&r->utf8, p, n))
        return WS_CLOSE_BAD_DATA;
    return rc < 0 ? (unsigned)-rc : 0;
}

/* A control frame, whole at in (head included). */
static int control(ws_reader *r, const ws_frame *f, uint8_t *in, ws_event *ev)
{
    uint8_t *pl = in + f->head_len;
    size_t n = (size_t)f->len;
    if (f->masked)
        ws_mask(pl, n, f->mask, 0);
    ev->data = (kiln_str){(const char *)pl, n};
    if (f->opcode == WS_OP_PING) {
        ev->type = WS_EV_PING;
    } else if (f->opcode == WS_OP_PONG) {
        ev->type = WS_EV_PONG;
    } else {
        unsigned code = 0;
        kiln_str reason;
        int rc = ws_close_parse(pl, n, &code, &reason);
        if (rc)
            return fail(r, ev, (unsigned)rc);
        r->end = (ws_event){.type = WS_EV_CLOSE, .code = code, .data = reason};
        *ev = r->end;
    }
    return ev->type;
}

int ws_reader_next(ws_reader *r, uint8_t *in, size_t n, size_t *used,
                   ws_event *ev)
{
    size_t pos = 0;
    *used = 0;
    memset(ev, 0, sizeof *ev);
    if (r->end.type) {
        *ev = r->end;
        return ev->type;
    }
    for (;;) {
        if (!r->in_frame) {
            ws_frame f;
            int hl = ws_frame_parse(in + pos, n - pos, r->flags, &f);
            if (hl == 0)
                break;
            if (hl < 0)
                return fail(r, ev, (unsigned)-hl);
            if (f.opcode >= WS_OP_CLOSE) {
                if (f.rsv)
                    return fail(r, ev, WS_CLOSE_PROTOCOL); /* RFC 7692 6.1 */
                if (n - pos < hl + f.len)
                    break; /* wait until it is whole */
                int t = control(r, &f, in + pos, ev);
                *used = pos + hl + (size_t)f.len;
                return t;
            }
            if (f.opcode == WS_OP_CONT) {
                if (!r->msg_op || f.rsv)
                    return fail(r, ev, WS_CLOSE_PROTOCOL);
            } else if (r->msg_op) {
                return fail(r, ev, WS_CLOSE_PROTOCOL); /* a message inside
                                                          a message */
            } else if (!f.rsv && f.fin && n - pos >= hl + f.len) {
                /* a whole message in one frame, all here: a view */
                uint8_t *pl = in + pos + hl;
                size_t len = (size_t)f.len;
                if (f.len > r->max_message)
                    return fail(r, ev, WS_CLOSE_TOO_BIG);
                ws_mask(pl, len, f.mask, 0);
                if (f.opcode == WS_OP_TEXT) {
                    ws_utf8 u = {{0}, 0};
                    if (!ws_utf8_feed(&u, pl, len) || !ws_utf8_complete(&u))
                        return fail(r, ev, WS_CLOSE_BAD_DATA);
                }
                ev->type = WS_EV_MESSAGE;
                ev->opcode = f.opcode;
                ev->data = (kiln_str){(const char *)pl, len};
                *used = pos + hl + len;
                return WS_EV_MESSAGE;
            } else {
                /* the first frame of a message that arrives in pieces */
                r->msg_op = f.opcode;
                r->msg_z = f.rsv != 0;
                r->msg_wire = 0;
                ws_utf8_reset(&r->utf8);
                kiln_buf_clear(&r->msg);
                if (r->msg_z && !r->inf &&
                    !(r->inf = ws_inflater_take(r->zpool)))
                    return fail(r, ev, WS_CLOSE_INTERNAL);
            }
            if (f.len > wire_max(r) - r->msg_wire)
                return fail(r, ev, WS_CLOSE_TOO_BIG); /* before reading it */
            r->msg_wire += f.len;
            r->f = f;
            r->f_done = 0;
            r->in_frame = true;
            pos += (size_t)hl;
        }
        /* the payload of r->f, as much as is here */
        uint64_t left = r->f.len - r->f_done;
        size_t k = n - pos < left ? n - pos : (size_t)left;
        bool last = r->f.fin && k == left;
        if (r->f.masked)
            ws_mask(in + pos, k, r->f.mask, r->f_done);
        unsigned code = take(r, in + pos, k, last);
        if (code)
            return fail(r, ev, code);
        r->f_done += k;
        pos += k;
        if (r->f_done < r->f.len)
            break;
        r->in_frame = false;
        if (!r->f.fin)
            continue;
        /* the message is complete */
        if (r->msg_op == WS_OP_TEXT && !ws_utf8_complete(&r->utf8))
            return fail(r, ev, WS_CLOSE_BAD_DATA);
        if (!r->msg_z && r->msg.n > r->max_message)
            return fail(r, ev, WS_CLOSE_TOO_BIG);
        if (r->inf) {
            ws_inflater_give(r->zpool, r->inf);
            r->inf = NULL;
        }
        ev->type = WS_EV_MESSAGE;
        ev->opcode = r->msg_op;
        ev->data = kiln_buf_str(&r->msg);
        if (!ev->data.p)
            ev->data.p = "";
        r->msg_op = 0;
        *used = pos;
        return WS_EV_MESSAGE;
    }
    *used = pos;
    return WS_EV_MORE;
}
