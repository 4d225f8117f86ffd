/*
 * ws/frame.c - the frame layer of RFC 6455 (section 5): heads parsed and
 * written, payloads masked, Close payloads and codes, and the UTF-8 check
 * a text message needs when it arrives in pieces.
 *
 *    0               1               2               3
 *   |F|R|R|R| opcode|M| len (7)     | extended len (16 or 64) ...
 *   |I|S|S|S|  (4)  |A|             |
 *   |N|V|V|V|       |S|             | masking key (32, when MASK) ...
 */
#include "ws/ws.h"

#include "json/utf8.h"

#include <string.h>

int ws_frame_parse(const uint8_t *p, size_t n, unsigned flags, ws_frame *f)
{
    if (n < 2)
        return 0;
    uint8_t b0 = p[0], b1 = p[1];
    f->fin = (b0 & 0x80) != 0;
    f->rsv = b0 & 0x70;
    f->opcode = b0 & 0x0F;
    f->masked = (b1 & 0x80) != 0;
    uint8_t rsv_ok = (flags & WS_PARSE_RSV1) ? WS_RSV1 : 0;
    if (f->rsv & ~rsv_ok)
        return -WS_CLOSE_PROTOCOL;
    switch (f->opcode) {
    case WS_OP_CONT:
    case WS_OP_TEXT:
    case WS_OP_BINARY:
        break;
    case WS_OP_CLOSE:
    case WS_OP_PING:
    case WS_OP_PONG:
        /* control frames: whole, short (section 5.5) */
        if (!f->fin || (b1 & 0x7F) > WS_CONTROL_MAX)
            return -WS_CLOSE_PROTOCOL;
        break;
    default:
        return -WS_CLOSE_PROTOCOL; /* 3-7 and 0xB-0xF are reserved */
    }
    if (((flags & WS_PARSE_MASKED) && !f->masked) ||
        ((flags & WS_PARSE_UNMASKED) && f->masked))
        return -WS_CLOSE_PROTOCOL; /* section 5.1 */
    size_t need = 2;
    uint64_t len = b1 & 0x7F;
    if (len == 126) {
        need = 4;
        if (n < need)
            return 0;
        len = (uint64_t)p[2] << 8 | p[3];
        if (len < 126)
            return -WS_CLOSE_PROTOCOL; /* not the shortest encoding */
    } else if (len == 127) {
        need = 10;
        if (n < need)
            return 0;
        len = 0;
        for (int i = 0; i < 8; i++)
            len = len << 8 | p[2 + i];
        if (len >> 63 || len <= 0xFFFF)
            return -WS_CLOSE_PROTOCOL;
    }
    if (f->masked) {
        if (n < need + 4)
            return 0;
        memcpy(f->mask, p + need, 4);
        need += 4;
    }
    f->len = len;
    f->head_len = (uint8_t)need;
    return (int)need;
}

size_t ws_frame_head(uint8_t *out, bool fin, uint8_t rsv, uint8_t opcode,
                     uint64_t len, const uint8_t *mask)
{
    size_t k = 0;
    out[k++] = (uint8_t)((fin ? 0x80 : 0) | (rsv & 0x70) | (opcode & 0x0F));
    uint8_t m = mask ? 0x80 : 0;
    if (len < 126) {
        out[k++] = (uint8_t)(m | len);
    } else if (len <= 0xFFFF) {
        out[k++] = m | 126;
        out[k++] = (uint8_t)(len >> 8);
        out[k++] = (uint8_t)len;
    } else {
        out[k++] = m | 127;
        for (int i = 7; i >= 0; i--)
            out[k++] = (uint8_t)(len >> (8 * i));
    }
    if (mask) {
        memcpy(out + k, mask, 4);
        k += 4;
    }
    return k;
}

void ws_mask(uint8_t *p, size_t n, const uint8_t key[4], uint64_t off)
{
    size_t i = 0;
    /* bytes up to an 8-byte boundary of p, one at a time */
    while (i < n && ((uintptr_t)(p + i) & 7)) {
        p[i] ^= key[(off + i) & 3];
        i++;
    }
    if (n - i >= 8) {
        /* then eight at a time with the key laid out from the right byte */
        uint8_t k8[8];
        for (int j = 0; j < 8; j++)
            k8[j] = key[(off + i + (size_t)j) & 3];
        uint64_t kw;
        memcpy(&kw, k8, 8);
        for (; n - i >= 8; i += 8) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            w ^= kw;
            memcpy(p + i, &w, 8);
        }
    }
    for (; i < n; i++)
        p[i] ^= key[(off + i) & 3];
}

bool ws_close_code_ok(unsigned code)
{
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
           (code >= 3000 && code <= 4999);
}

int ws_close_parse(const uint8_t *p, size_t n, unsigned *code, kiln_str *reason)
{
    *reason = (kiln_str){(const char *)p, 0};
    if (n == 0) {
        *code = WS_CLOSE_NO_STATUS;
        return 0;
    }
    if (n == 1)
        return WS_CLOSE_PROTOCOL;
    *code = (unsigned)p[0] << 8 | p[1];
    if (!ws_close_code_ok(*code))
        return WS_CLOSE_PROTOCOL;
    ws_utf8 u = {{0}, 0};
    if (!ws_utf8_feed(&u, p + 2, n - 2) || !ws_utf8_complete(&u))
        return WS_CLOSE_BAD_DATA;
    *reason = (kiln_str){(const char *)p + 2, n - 2};
    return 0;
}

/* True when c can start a sequence of two to four bytes. */
static bool utf8_lead(uint8_t c)
{
    return c >= 0xC2 && c <= 0xF4;
}

bool ws_utf8_feed(ws_utf8 *u, const uint8_t *p, size_t n)
{
    size_t i = 0, bad = 0;
    if (u->n) {
        /* finish the sequence the last piece ended in */
        uint8_t seq[4];
        size_t k = u->n;
        memcpy(seq, u->tail, k);
        while (k < 4 && i < n)
            seq[k++] = p[i++];
        size_t len = json_utf8_len(seq, k, &bad);
        if (len == 0) {
            if (bad < k)
                return false;        /* a byte that cannot follow */
            memcpy(u->tail, seq, k); /* still short: p ran out */
            u->n = (uint8_t)k;
            return true;
        }
        /* len > u->n: the bytes of p past the sequence are read again */
        i = len - u->n;
        u->n = 0;
    }
    while (i < n) {
        /* ASCII eight bytes at a time */
        while (n - i >= 8) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            if (w & 0x8080808080808080ull)
                break;
            i += 8;
        }
        if (i == n)
            break;
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        size_t len = json_utf8_len(p + i, n - i, &bad);
        if (len) {
            i += len;
            continue;
        }
        if (!utf8_lead(p[i]) || bad < n - i)
            return false;
        memcpy(u->tail, p + i, n - i); /* a sequence cut by the piece's end */
        u->n = (uint8_t)(n - i);
        return true;
    }
    return true;
}
