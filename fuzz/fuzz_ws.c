/*
 * fuzz/fuzz_ws.c - the WebSocket protocol units (src/ws/). The input's
 * first byte picks the reader's settings (permessage-deflate or not, a
 * small or large size limit) and a slice size; the rest is a stream of
 * client frames. The reader consumes it whole and in slices, keeping the
 * unconsumed bytes as the server does, and both runs must give the same
 * events (digested), with views inside the bytes given and errors carrying
 * a close code the RFC allows. The same bytes also go through the
 * handshake's pure checks (extension offers, Origin, subprotocols, the
 * key) and UTF-8 in two pieces against UTF-8 whole.
 */
#include "ws/ws.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* FNV-1a over the events. */
static uint64_t mix(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

static uint64_t run(const uint8_t *in, size_t n, size_t step, unsigned flags,
                    uint64_t max, ws_zpool *pool)
{
    ws_reader r;
    ws_reader_init(&r);
    r.flags = flags;
    r.max_message = max;
    r.zpool = pool;
    uint64_t h = 0xcbf29ce484222325ull;
    uint8_t *buf = malloc(n + 1);
    size_t have = 0, off = 0, fed = 0;
    for (int guard = 0; guard < 1 << 20; guard++) {
        size_t used = 0;
        ws_event ev;
        int t = WS_EV_MORE;
        if (have > off) {
            t = ws_reader_next(&r, buf + off, have - off, &used, &ev);
            assert(used <= have - off);
        }
        off += used;
        if (t != WS_EV_MORE) {
            h = mix(h, &t, sizeof t);
            if (t == WS_EV_MESSAGE) {
                assert(ev.opcode == WS_OP_TEXT || ev.opcode == WS_OP_BINARY);
                assert(ev.data.n <= max);
                if (ev.opcode == WS_OP_TEXT) {
                    ws_utf8 u = {{0}, 0};
                    assert(ws_utf8_feed(&u, (const uint8_t *)ev.data.p,
                                        ev.data.n) &&
                           ws_utf8_complete(&u));
                }
            }
            if (t == WS_EV_PING || t == WS_EV_PONG)
                assert(ev.data.n <= WS_CONTROL_MAX);
            if (t == WS_EV_ERROR)
                assert(ev.code == 1002 || ev.code == 1007 || ev.code == 1009 ||
                       ev.code == 1011);
            if (t == WS_EV_CLOSE)
                assert(ev.code == 1005 || ws_close_code_ok(ev.code));
            h = mix(h, &ev.code, sizeof ev.code);
            h = mix(h, &ev.opcode, sizeof ev.opcode);
            h = mix(h, ev.data.p, ev.data.n);
            if (t == WS_EV_ERROR || t == WS_EV_CLOSE)
                break;
            continue;
        }
        if (fed == n)
            break;
        size_t k = step < n - fed ? step : n - fed;
        memmove(buf, buf + off, have - off);
        have -= off;
        off = 0;
        memcpy(buf + have, in + fed, k);
        have += k;
        fed += k;
    }
    free(buf);
    ws_reader_deinit(&r);
    return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 1 << 16)
        return 0;
    uint8_t sel = data[0];
    const uint8_t *in = data + 1;
    size_t n = size - 1;
    unsigned flags = WS_PARSE_MASKED | ((sel & 1) ? WS_PARSE_RSV1 : 0);
    uint64_t max = (sel & 2) ? 300 : 1 << 20;
    size_t step = (size_t)(sel >> 2) + 1;
    ws_zpool pool;
    ws_zpool_init(&pool);
    uint64_t whole = run(in, n, n ? n : 1, flags, max, &pool);
    uint64_t sliced = run(in, n, step, flags, max, &pool);
    assert(whole == sliced);
    ws_zpool_deinit(&pool);

    /* the handshake's checks never read past what they are given */
    char *s = malloc(n + 1);
    memcpy(s, in, n);
    s[n] = '\0';
    kiln_str v = {s, n};
    ws_pmd pmd;
    char resp[160];
    int rc = ws_pmd_negotiate(v, &pmd, resp, sizeof resp);
    assert(rc == 0 || rc == 1 || rc == KILN_EPARSE);
    if (rc == 1)
        assert(pmd.on && pmd.server_bits >= 9 && pmd.server_bits <= 15 &&
               strncmp(resp, "permessage-deflate", 18) == 0);
    size_t cut = sel % (n + 1);
    kiln_str left = {s, cut}, right = {s + cut, n - cut};
    ws_origin_ok(left, right, NULL);
    ws_origin_ok(left, right, "*");
    ws_origin_ok(left, right, "https://a.example, null");
    kiln_str pick = ws_protocol_pick(left, "chat, superchat");
    assert(!pick.p || (pick.p >= s && pick.p + pick.n <= s + cut));
    if (ws_key_ok(v)) {
        char acc[WS_ACCEPT_LEN + 1];
        ws_accept_key(v, acc);
        assert(strlen(acc) == WS_ACCEPT_LEN);
    }
    ws_utf8 u1 = {{0}, 0}, u2 = {{0}, 0};
    bool one = ws_utf8_feed(&u1, in, n) && ws_utf8_complete(&u1);
    bool two = ws_utf8_feed(&u2, in, cut) &&
               ws_utf8_feed(&u2, in + cut, n - cut) && ws_utf8_complete(&u2);
    assert(one == two);
    free(s);
    return 0;
}
