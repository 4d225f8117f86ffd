/*
 * tests/ws/test_ws.c - the WebSocket protocol units (src/ws/): frame heads,
 * masking, close payloads, UTF-8 in pieces, the message reader (every
 * input also fed one byte at a time, which must give the same events),
 * permessage-deflate negotiation and round trips, and the handshake's
 * checks (key, accept value, tokens, subprotocols, Origin). SHA-1, which
 * the accept value needs, is checked against FIPS 180 vectors here.
 */
#include "test.h"

#include "core/sha1.h"
#include "ws/ws.h"

#include <stdint.h>
#include <zlib.h>

/* ---- helpers ------------------------------------------------------------- */

static const uint8_t KEY[4] = {0x37, 0xfa, 0x21, 0x3d};

/* Appends a client frame (masked with KEY unless unmasked). */
static void frame(kiln_buf *b, bool fin, uint8_t rsv, uint8_t op, const void *p,
                  size_t n, bool unmasked)
{
    uint8_t head[WS_HEAD_MAX];
    size_t hl = ws_frame_head(head, fin, rsv, op, n, unmasked ? NULL : KEY);
    CHECK(kiln_buf_append(b, head, hl) == 0);
    size_t at = b->n;
    CHECK(kiln_buf_append(b, p, n) == 0);
    if (!unmasked)
        ws_mask((uint8_t *)b->p + at, n, KEY, 0);
}

/* The events of a stream, as text: "M1:hello|P:|C1000:bye|E1002". */
typedef struct events {
    char s[8192];
    size_t n;
} events;

static void ev_add(events *e, const ws_event *ev)
{
    int k = 0;
    size_t room = sizeof e->s - e->n;
    switch (ev->type) {
    case WS_EV_MESSAGE:
        if (ev->data.n > 64) { /* long ones by length and a checksum */
            k = snprintf(e->s + e->n, room, "M%d:(%zu bytes, crc %08lx)|",
                         ev->opcode, ev->data.n,
                         crc32(0, (const Bytef *)ev->data.p, (uInt)ev->data.n));
        } else if (ev->opcode == WS_OP_BINARY) {
            k = snprintf(e->s + e->n, room, "M2:");
            for (size_t i = 0; i < ev->data.n; i++)
                k += snprintf(e->s + e->n + k, room - (size_t)k, "%02x",
                              (uint8_t)ev->data.p[i]);
            k += snprintf(e->s + e->n + k, room - (size_t)k, "|");
        } else {
            k = snprintf(e->s + e->n, room, "M1:%.*s|", (int)ev->data.n,
                         ev->data.p);
        }
        break;
    case WS_EV_PING:
        k = snprintf(e->s + e->n, room, "P:%.*s|", (int)ev->data.n, ev->data.p);
        break;
    case WS_EV_PONG:
        k = snprintf(e->s + e->n, room, "O:%.*s|", (int)ev->data.n, ev->data.p);
        break;
    case WS_EV_CLOSE:
        k = snprintf(e->s + e->n, room, "C%u:%.*s|", ev->code, (int)ev->data.n,
                     ev->data.p);
        break;
    case WS_EV_ERROR:
        k = snprintf(e->s + e->n, room, "E%u|", ev->code);
        break;
    }
    e->n += (size_t)k;
}

/* Feeds in[0..n) to a fresh reader in slices of step bytes (0: whole),
   keeping unconsumed bytes as a server does, until the stream ends or an
   error/close. Returns the events as text. */
static void run_reader(const uint8_t *in, size_t n, size_t step, uint64_t max,
                       unsigned flags, events *out)
{
    ws_reader r;
    ws_reader_init(&r);
    r.max_message = max;
    r.flags = flags;
    ws_zpool pool;
    ws_zpool_init(&pool);
    r.zpool = &pool;
    out->n = 0;
    out->s[0] = '\0';
    kiln_buf buf;
    kiln_buf_init(&buf);
    size_t fed = 0, off = 0;
    for (;;) {
        /* what is buffered: [off, buf.n) */
        size_t used = 0;
        ws_event ev;
        int t = WS_EV_MORE;
        if (buf.n > off)
            t = ws_reader_next(&r, (uint8_t *)buf.p + off, buf.n - off, &used,
                               &ev);
        off += used;
        if (t != WS_EV_MORE) {
            ev_add(out, &ev);
            if (t == WS_EV_ERROR || t == WS_EV_CLOSE)
                break;
            continue;
        }
        if (fed == n)
            break;
        size_t k = step ? step : n;
        if (k > n - fed)
            k = n - fed;
        /* drop what was consumed, as a server's buffer would */
        kiln_buf_consume(&buf, off);
        off = 0;
        CHECK(kiln_buf_append(&buf, in + fed, k) == 0);
        fed += k;
    }
    kiln_buf_deinit(&buf);
    ws_reader_deinit(&r);
    ws_zpool_deinit(&pool);
}

/* Checks that the stream gives want, whole and one byte at a time. */
static void expect_events(const kiln_buf *b, uint64_t max, unsigned flags,
                          const char *want)
{
    events e;
    run_reader((const uint8_t *)b->p, b->n, 0, max, flags, &e);
    CHECK_STR(e.s, want);
    run_reader((const uint8_t *)b->p, b->n, 1, max, flags, &e);
    CHECK_STR(e.s, want);
    run_reader((const uint8_t *)b->p, b->n, 7, max, flags, &e);
    CHECK_STR(e.s, want);
}

/* ---- SHA-1 and the accept value ------------------------------------------ */

static void sha1_hex(const void *p, size_t n, char out[41])
{
    sha1_ctx c;
    uint8_t d[20];
    sha1_init(&c);
    sha1_update(&c, p, n);
    sha1_final(&c, d);
    for (int i = 0; i < 20; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

TEST(sha1_vectors)
{
    char h[41];
    sha1_hex("", 0, h);
    CHECK_STR(h, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    sha1_hex("abc", 3, h);
    CHECK_STR(h, "a9993e364706816aba3e25717850c26c9cd0d89d");
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    sha1_hex(m, strlen(m), h);
    CHECK_STR(h, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    /* a million 'a', fed in uneven pieces */
    sha1_ctx c;
    uint8_t d[20];
    char a[997];
    memset(a, 'a', sizeof a);
    sha1_init(&c);
    size_t left = 1000000;
    while (left) {
        size_t k = left < sizeof a ? left : sizeof a;
        sha1_update(&c, a, k);
        left -= k;
    }
    sha1_final(&c, d);
    for (int i = 0; i < 20; i++)
        snprintf(h + 2 * i, 3, "%02x", d[i]);
    CHECK_STR(h, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

TEST(accept_key_rfc_example)
{
    /* RFC 6455 section 1.3 */
    char out[WS_ACCEPT_LEN + 1];
    ws_accept_key(KILN_STR("dGhlIHNhbXBsZSBub25jZQ=="), out);
    CHECK_STR(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(key_checks)
{
    CHECK(ws_key_ok(KILN_STR("dGhlIHNhbXBsZSBub25jZQ==")));
    CHECK(ws_key_ok(KILN_STR("AAAAAAAAAAAAAAAAAAAAAA==")));
    CHECK(ws_key_ok(KILN_STR("/+/+/+/+/+/+/+/+/+/+/w==")));
    CHECK(!ws_key_ok(KILN_STR("dGhlIHNhbXBsZSBub25jZQ=")));   /* 23 */
    CHECK(!ws_key_ok(KILN_STR("dGhlIHNhbXBsZSBub25jZQ")));    /* no pad */
    CHECK(!ws_key_ok(KILN_STR("dGhlIHNhbXBsZSBub25jZQ==="))); /* 25 */
    CHECK(!ws_key_ok(KILN_STR("dGhlIHNhbXBsZSBub25jZR==")));  /* bits left */
    CHECK(!ws_key_ok(KILN_STR("dGhlIHNhbXBsZSBub2-jZQ==")));  /* url-safe */
    CHECK(!ws_key_ok(KILN_STR("dGhlIHNhbXBsZSBub25j Q==")));
    CHECK(!ws_key_ok(KILN_STR("aGVsbG8gd29ybGQhISEhISE="))); /* 17 bytes */
    CHECK(!ws_key_ok(KILN_STR("")));
}

/* ---- frame heads -----------------------------------------------------------
 */

TEST(frame_head_round_trip)
{
    const uint64_t lens[] = {0,     1,     125,   126,        127,
                             65535, 65536, 70000, 1ull << 40, (1ull << 63) - 1};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++)
        for (int masked = 0; masked < 2; masked++) {
            uint8_t h[WS_HEAD_MAX];
            size_t hl = ws_frame_head(h, true, 0, WS_OP_BINARY, lens[i],
                                      masked ? KEY : NULL);
            size_t want = (lens[i] < 126       ? 2
                           : lens[i] <= 0xFFFF ? 4
                                               : 10) +
                          (masked ? 4 : 0);
            CHECK_INT(hl, want);
            ws_frame f;
            /* every prefix needs more */
            for (size_t k = 0; k < hl; k++)
                CHECK_INT(ws_frame_parse(h, k, 0, &f), 0);
            CHECK_INT(ws_frame_parse(h, hl, 0, &f), hl);
            CHECK(f.fin && f.opcode == WS_OP_BINARY && f.rsv == 0);
            CHECK(f.len == lens[i]);
            CHECK_INT(f.masked, masked);
            if (masked)
                CHECK(memcmp(f.mask, KEY, 4) == 0);
        }
}

TEST(frame_head_rules)
{
    ws_frame f;
    /* masking */
    uint8_t unmasked[] = {0x81, 0x00};
    CHECK_INT(ws_frame_parse(unmasked, 2, WS_PARSE_MASKED, &f), -1002);
    CHECK_INT(ws_frame_parse(unmasked, 2, WS_PARSE_UNMASKED, &f), 2);
    uint8_t masked[] = {0x81, 0x80, 1, 2, 3, 4};
    CHECK_INT(ws_frame_parse(masked, 6, WS_PARSE_UNMASKED, &f), -1002);
    CHECK_INT(ws_frame_parse(masked, 6, WS_PARSE_MASKED, &f), 6);
    /* reserved bits: RSV1 only with permessage-deflate; RSV2, RSV3 never */
    uint8_t rsv1[] = {0xC1, 0x80, 1, 2, 3, 4};
    CHECK_INT(ws_frame_parse(rsv1, 6, WS_PARSE_MASKED, &f), -1002);
    CHECK_INT(ws_frame_parse(rsv1, 6, WS_PARSE_MASKED | WS_PARSE_RSV1, &f), 6);
    uint8_t rsv2[] = {0xA1, 0x80, 1, 2, 3, 4},
            rsv3[] = {0x91, 0x80, 1, 2, 3, 4};
    CHECK_INT(ws_frame_parse(rsv2, 6, WS_PARSE_MASKED | WS_PARSE_RSV1, &f),
              -1002);
    CHECK_INT(ws_frame_parse(rsv3, 6, WS_PARSE_MASKED | WS_PARSE_RSV1, &f),
              -1002);
    /* reserved opcodes 3-7 and 0xB-0xF */
    for (int op = 0; op < 16; op++) {
        uint8_t h[] = {(uint8_t)(0x80 | op), 0x80, 1, 2, 3, 4};
        bool known = op <= 2 || (op >= 8 && op <= 10);
        CHECK_INT(ws_frame_parse(h, 6, WS_PARSE_MASKED, &f), known ? 6 : -1002);
    }
    /* control frames: not fragmented, at most 125 bytes */
    uint8_t ping_frag[] = {0x09, 0x80, 1, 2, 3, 4};
    CHECK_INT(ws_frame_parse(ping_frag, 6, WS_PARSE_MASKED, &f), -1002);
    uint8_t ping_long[] = {0x89, 0xFE, 0x00, 0x7E, 1, 2, 3, 4};
    CHECK_INT(ws_frame_parse(ping_long, 8, WS_PARSE_MASKED, &f), -1002);
    uint8_t close_125[] = {0x88, 0xFD, 1, 2, 3, 4};
    CHECK_INT(ws_frame_parse(close_125, 6, WS_PARSE_MASKED, &f), 6);
    /* lengths in their shortest form only; no 64-bit top bit */
    uint8_t len16_short[] = {0x82, 0xFE, 0x00, 0x7D, 1, 2, 3, 4};
    CHECK_INT(ws_frame_parse(len16_short, 8, WS_PARSE_MASKED, &f), -1002);
    uint8_t len16_ok[] = {0x82, 0xFE, 0x00, 0x7E, 1, 2, 3, 4};
    CHECK_INT(ws_frame_parse(len16_ok, 8, WS_PARSE_MASKED, &f), 8);
    CHECK(f.len == 126);
    uint8_t len64_short[] = {0x82, 0xFF, 0,    0, 0, 0, 0,
                             0,    0xFF, 0xFF, 1, 2, 3, 4};
    CHECK_INT(ws_frame_parse(len64_short, 14, WS_PARSE_MASKED, &f), -1002);
    uint8_t len64_top[] = {0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4};
    CHECK_INT(ws_frame_parse(len64_top, 14, WS_PARSE_MASKED, &f), -1002);
    uint8_t len64_ok[] = {0x82, 0xFF, 0, 0, 0, 0, 0, 1, 0, 0, 1, 2, 3, 4};
    CHECK_INT(ws_frame_parse(len64_ok, 14, WS_PARSE_MASKED, &f), 14);
    CHECK(f.len == 65536);
    /* an error is told from the first bytes that show it */
    CHECK_INT(ws_frame_parse(len64_top, 10, WS_PARSE_MASKED, &f), -1002);
    CHECK_INT(ws_frame_parse(rsv2, 1, WS_PARSE_MASKED, &f), 0);
}

TEST(mask_pieces)
{
    uint8_t buf[80], want[80];
    for (size_t n = 0; n <= 64; n++)
        for (size_t start = 0; start < 8; start++)
            for (uint64_t off = 0; off < 5; off++) {
                for (size_t i = 0; i < n; i++)
                    buf[start + i] = want[start + i] = (uint8_t)(i * 7 + n);
                for (size_t i = 0; i < n; i++)
                    want[start + i] ^= KEY[(off + i) % 4];
                ws_mask(buf + start, n, KEY, off);
                CHECK(memcmp(buf + start, want + start, n) == 0);
            }
    /* a payload unmasked in two pieces equals one unmasked whole */
    uint8_t a[100], b[100];
    for (int i = 0; i < 100; i++)
        a[i] = b[i] = (uint8_t)i;
    ws_mask(a, 100, KEY, 0);
    ws_mask(b, 37, KEY, 0);
    ws_mask(b + 37, 63, KEY, 37);
    CHECK(memcmp(a, b, 100) == 0);
}

/* ---- close payloads --------------------------------------------------------
 */

TEST(close_codes)
{
    static const unsigned ok[] = {1000, 1001, 1002, 1003, 1007, 1008,
                                  1009, 1010, 1011, 1012, 1013, 1014,
                                  3000, 3999, 4000, 4999};
    static const unsigned bad[] = {0,    1,    999,  1004, 1005, 1006, 1015,
                                   1016, 1100, 2000, 2999, 5000, 65535};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        CHECK(ws_close_code_ok(ok[i]));
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK(!ws_close_code_ok(bad[i]));
    unsigned code = 0;
    kiln_str reason;
    CHECK_INT(ws_close_parse((const uint8_t *)"", 0, &code, &reason), 0);
    CHECK_INT(code, 1005);
    CHECK_INT(ws_close_parse((const uint8_t *)"\x03", 1, &code, &reason), 1002);
    CHECK_INT(ws_close_parse((const uint8_t *)"\x03\xe8", 2, &code, &reason),
              0);
    CHECK_INT(code, 1000);
    CHECK_INT(reason.n, 0);
    CHECK_INT(ws_close_parse((const uint8_t *)"\x03\xe9"
                                              "bye",
                             5, &code, &reason),
              0);
    CHECK_INT(code, 1001);
    CHECK_VIEW(reason, "bye");
    CHECK_INT(ws_close_parse((const uint8_t *)"\x03\xed", 2, &code, &reason),
              1002); /* 1005 may not be sent */
    CHECK_INT(
        ws_close_parse((const uint8_t *)"\x03\xe8\xff", 3, &code, &reason),
        1007);
    CHECK_INT(
        ws_close_parse((const uint8_t *)"\x03\xe8\xce", 3, &code, &reason),
        1007); /* a reason cut inside a character */
}

/* ---- UTF-8 in pieces
 * --------------------------------------------------------- */

/* Checks s whole and split at every point (and every pair of points). */
static void utf8_case(const char *s, size_t n, bool valid)
{
    ws_utf8 u = {{0}, 0};
    bool whole =
        ws_utf8_feed(&u, (const uint8_t *)s, n) && ws_utf8_complete(&u);
    CHECK_INT(whole, valid);
    for (size_t a = 0; a <= n; a++)
        for (size_t b = a; b <= n; b++) {
            ws_utf8 v = {{0}, 0};
            bool ok = ws_utf8_feed(&v, (const uint8_t *)s, a) &&
                      ws_utf8_feed(&v, (const uint8_t *)s + a, b - a) &&
                      ws_utf8_feed(&v, (const uint8_t *)s + b, n - b) &&
                      ws_utf8_complete(&v);
            if (ok != valid)
                test_fail(__FILE__, __LINE__, "split %zu/%zu of %zu bytes: %d",
                          a, b, n, ok);
        }
}

TEST(utf8_pieces)
{
    utf8_case("", 0, true);
    utf8_case("Hello-\xc2\xb5@\xc3\x9f\xc3\xb6\xc3\xa4\xc3\xbc\xc3\xa0\xc3\xa1"
              "-UTF-8!!",
              26, true);
    utf8_case("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", 11, true);
    utf8_case("\xf0\x9f\x98\x80 plain ascii that is longer than eight", 43,
              true);
    utf8_case("\xf4\x8f\xbf\xbf", 4, true);  /* U+10FFFF */
    utf8_case("\xf4\x90\x80\x80", 4, false); /* past U+10FFFF */
    utf8_case("\xed\xa0\x80", 3, false);     /* a surrogate */
    utf8_case("\xc0\xaf", 2, false);         /* overlong */
    utf8_case("\xe0\x80\xaf", 3, false);     /* overlong */
    utf8_case("\x80", 1, false);             /* a lone continuation */
    utf8_case("\xce\xba\xe1\xbd", 5, false); /* cut at the end */
    utf8_case("ab\xf5", 3, false);
    utf8_case("\xff", 1, false);
}

TEST(utf8_fails_fast)
{
    /* the bad byte is told at once, before the text ends */
    ws_utf8 u = {{0}, 0};
    CHECK(ws_utf8_feed(&u, (const uint8_t *)"\xce\xba\xe1\xbd\xb9", 5));
    CHECK(!ws_utf8_feed(&u, (const uint8_t *)"\xed\xa0", 2));
    ws_utf8 v = {{0}, 0};
    CHECK(ws_utf8_feed(&v, (const uint8_t *)"\xf4", 1));
    CHECK(!ws_utf8_feed(&v, (const uint8_t *)"\x90", 1));
}

/* ---- the reader
 * ---------------------------------------------------------------- */

TEST(reader_single_frames)
{
    kiln_buf b;
    kiln_buf_init(&b);
    frame(&b, true, 0, WS_OP_TEXT, "hello", 5, false);
    frame(&b, true, 0, WS_OP_BINARY, "\x00\x01", 2, false);
    frame(&b, true, 0, WS_OP_TEXT, "", 0, false);
    frame(&b, true, 0, WS_OP_PING, "p", 1, false);
    frame(&b, true, 0, WS_OP_PONG, "", 0, false);
    frame(&b, true, 0, WS_OP_CLOSE,
          "\x03\xe8"
          "bye",
          5, false);
    frame(&b, true, 0, WS_OP_TEXT, "after", 5, false);
    expect_events(&b, 1 << 20, WS_PARSE_MASKED,
                  "M1:hello|M2:0001|M1:|P:p|O:|C1000:bye|");
    kiln_buf_deinit(&b);
}

TEST(reader_view_without_copy)
{
    /* a whole message in one frame is a view into the caller's bytes */
    kiln_buf b;
    kiln_buf_init(&b);
    frame(&b, true, 0, WS_OP_TEXT, "zero copy", 9, false);
    ws_reader r;
    ws_reader_init(&r);
    size_t used;
    ws_event ev;
    CHECK_INT(ws_reader_next(&r, (uint8_t *)b.p, b.n, &used, &ev),
              WS_EV_MESSAGE);
    CHECK_INT(used, b.n);
    CHECK(ev.data.p == b.p + 6); /* after the 2-byte head and the key */
    CHECK_VIEW(ev.data, "zero copy");
    CHECK(r.msg.p == NULL); /* nothing allocated */
    ws_reader_deinit(&r);
    kiln_buf_deinit(&b);
}

TEST(reader_lengths)
{
    /* 7-bit, 16-bit and 64-bit lengths, at their edges */
    static const size_t lens[] = {0, 125, 126, 127, 65535, 65536, 200000};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        size_t n = lens[i];
        char *p = malloc(n + 1);
        for (size_t j = 0; j < n; j++)
            p[j] = (char)('a' + j % 26);
        kiln_buf b;
        kiln_buf_init(&b);
        frame(&b, true, 0, WS_OP_TEXT, p, n, false);
        char want[128];
        if (n > 64)
            snprintf(want, sizeof want, "M1:(%zu bytes, crc %08lx)|", n,
                     crc32(0, (const Bytef *)p, (uInt)n));
        else
            snprintf(want, sizeof want, "M1:%.*s|", (int)n, p);
        events e;
        run_reader((const uint8_t *)b.p, b.n, 0, 1 << 20, WS_PARSE_MASKED, &e);
        CHECK_STR(e.s, want);
        run_reader((const uint8_t *)b.p, b.n, 1000, 1 << 20, WS_PARSE_MASKED,
                   &e);
        CHECK_STR(e.s, want);
        kiln_buf_deinit(&b);
        free(p);
    }
}

TEST(reader_fragments_and_control_between)
{
    kiln_buf b;
    kiln_buf_init(&b);
    frame(&b, false, 0, WS_OP_TEXT, "frag", 4, false);
    frame(&b, true, 0, WS_OP_PING, "mid", 3, false);
    frame(&b, false, 0, WS_OP_CONT, "men", 3, false);
    frame(&b, true, 0, WS_OP_PONG, "x", 1, false);
    frame(&b, false, 0, WS_OP_CONT, "", 0, false);
    frame(&b, true, 0, WS_OP_CONT, "ted", 3, false);
    frame(&b, false, 0, WS_OP_BINARY, "\x01", 1, false);
    frame(&b, true, 0, WS_OP_CONT, "\x02", 1, false);
    expect_events(&b, 1 << 20, WS_PARSE_MASKED,
                  "P:mid|O:x|M1:fragmented|M2:0102|");
    kiln_buf_deinit(&b);
}

TEST(reader_utf8_across_fragments)
{
    kiln_buf b;
    kiln_buf_init(&b);
    /* U+1F600 split 1/3, then kappa split 1/1 */
    frame(&b, false, 0, WS_OP_TEXT, "\xf0", 1, false);
    frame(&b, false, 0, WS_OP_CONT, "\x9f\x98\x80\xce", 4, false);
    frame(&b, true, 0, WS_OP_CONT, "\xba", 1, false);
    expect_events(&b, 1 << 20, WS_PARSE_MASKED, "M1:\xf0\x9f\x98\x80\xce\xba|");
    kiln_buf_clear(&b);
    /* invalid in the middle: told at that frame, before the end */
    frame(&b, false, 0, WS_OP_TEXT, "ok", 2, false);
    frame(&b, false, 0, WS_OP_CONT, "\xed\xa0\x80", 3, false);
    frame(&b, true, 0, WS_OP_PING, "", 0, false);
    expect_events(&b, 1 << 20, WS_PARSE_MASKED, "E1007|");
    kiln_buf_clear(&b);
    /* cut at the very end of the message */
    frame(&b, false, 0, WS_OP_TEXT, "ab", 2, false);
    frame(&b, true, 0, WS_OP_CONT, "\xce", 1, false);
    expect_events(&b, 1 << 20, WS_PARSE_MASKED, "E1007|");
    kiln_buf_clear(&b);
    /* binary is not checked */
    frame(&b, true, 0, WS_OP_BINARY, "\xff", 1, false);
    expect_events(&b, 1 << 20, WS_PARSE_MASKED, "M2:ff|");
    kiln_buf_clear(&b);
    frame(&b, true, 0, WS_OP_TEXT, "\xff", 1, false);
    expect_events(&b, 1 << 20, WS_PARSE_MASKED, "E1007|");
    kiln_buf_deinit(&b);
}

TEST(reader_protocol_errors)
{
    kiln_buf b;
    kiln_buf_init(&b);
    /* a continuation with no message to continue */
    frame(&b, true, 0, WS_OP_CONT, "x", 1, false);
    expect_events(&b, 1 << 20, WS_PARSE_MASKED, "E1002|");
    kiln_buf_clear(&b);
    /* a new message inside a message */
    frame(&b, false, 0, WS_OP_TEXT, "a", 1, false);
    frame(&b, true, 0, WS_OP_TEXT, "b", 1, false);
    expect_events(&b, 1 << 20, WS_PARSE_MASKED, "E1002|");
    kiln_buf_clear(&b);
    /* unmasked from a client */
    frame(&b, true, 0, WS_OP_TEXT, "a", 1, true);
    expect_events(&b, 1 << 20, WS_PARSE_MASKED, "E1002|");
    kiln_buf_clear(&b);
    /* RSV1 on a control frame, even with permessage-deflate */
    frame(&b, true, WS_RSV1, WS_OP_PING, "", 0, false);
    expect_events(&b, 1 << 20, WS_PARSE_MASKED | WS_PARSE_RSV1, "E1002|");
    kiln_buf_clear(&b);
    /* RSV1 on a continuation frame */
    frame(&b, false, WS_RSV1, WS_OP_TEXT, "", 0, false);
    frame(&b, true, WS_RSV1, WS_OP_CONT, "", 0, false);
    expect_events(&b, 1 << 20, WS_PARSE_MASKED | WS_PARSE_RSV1, "E1002|");
    kiln_buf_clear(&b);
    /* a bad Close */
    frame(&b, true, 0, WS_OP_CLOSE, "\x03", 1, false);
    expect_events(&b, 1 << 20, WS_PARSE_MASKED, "E1002|");
    kiln_buf_clear(&b);
    frame(&b, true, 0, WS_OP_CLOSE, "\x03\xee", 2, false);
    expect_events(&b, 1 << 20, WS_PARSE_MASKED, "E1002|");
    kiln_buf_clear(&b);
    frame(&b, true, 0, WS_OP_CLOSE, "\x03\xe8\xc3", 3, false);
    expect_events(&b, 1 << 20, WS_PARSE_MASKED, "E1007|");
    kiln_buf_clear(&b);
    frame(&b, true, 0, WS_OP_CLOSE, "", 0, false);
    expect_events(&b, 1 << 20, WS_PARSE_MASKED, "C1005:|");
    kiln_buf_deinit(&b);
}

TEST(reader_size_limit)
{
    char big[300];
    memset(big, 'a', sizeof big);
    kiln_buf b;
    kiln_buf_init(&b);
    frame(&b, true, 0, WS_OP_TEXT, big, 100, false);
    expect_events(&b, 100, WS_PARSE_MASKED, "M1:(100 bytes, crc af707a64)|");
    kiln_buf_clear(&b);
    frame(&b, true, 0, WS_OP_TEXT, big, 101, false);
    expect_events(&b, 100, WS_PARSE_MASKED, "E1009|");
    kiln_buf_clear(&b);
    /* the head alone says it: nothing of the payload needs to arrive */
    uint8_t h[WS_HEAD_MAX];
    size_t hl = ws_frame_head(h, true, 0, WS_OP_BINARY, 1 << 30, KEY);
    kiln_buf_append(&b, h, hl);
    expect_events(&b, 100, WS_PARSE_MASKED, "E1009|");
    kiln_buf_clear(&b);
    /* across fragments */
    frame(&b, false, 0, WS_OP_TEXT, big, 60, false);
    frame(&b, true, 0, WS_OP_CONT, big, 41, false);
    expect_events(&b, 100, WS_PARSE_MASKED, "E1009|");
    kiln_buf_deinit(&b);
}

/* ---- permessage-deflate
 * ------------------------------------------------------ */

static int negotiate(const char *offer, char *resp, int *bits)
{
    ws_pmd pmd;
    int rc = ws_pmd_negotiate(kiln_str_c(offer), &pmd, resp, 200);
    *bits = pmd.server_bits;
    CHECK_INT(pmd.on, rc == 1);
    return rc;
}

TEST(pmd_negotiation)
{
    char r[200];
    int bits;
    const char *both = "permessage-deflate; server_no_context_takeover; "
                       "client_no_context_takeover";
    CHECK_INT(negotiate("permessage-deflate", r, &bits), 1);
    CHECK_STR(r, both);
    CHECK_INT(bits, 15);
    CHECK_INT(negotiate("permessage-deflate; client_max_window_bits", r, &bits),
              1);
    CHECK_STR(r, both);
    CHECK_INT(negotiate("permessage-deflate; client_max_window_bits=10; "
                        "server_no_context_takeover",
                        r, &bits),
              1);
    CHECK_INT(
        negotiate("permessage-deflate;server_max_window_bits=10", r, &bits), 1);
    CHECK_STR(r, "permessage-deflate; server_no_context_takeover; "
                 "client_no_context_takeover; server_max_window_bits=10");
    CHECK_INT(bits, 10);
    CHECK_INT(negotiate("permessage-deflate; server_max_window_bits=\"12\"", r,
                        &bits),
              1);
    CHECK_INT(bits, 12);
    /* declined offers: the next acceptable one wins */
    CHECK_INT(negotiate("permessage-deflate; server_max_window_bits=8, "
                        "permessage-deflate",
                        r, &bits),
              1);
    CHECK_INT(bits, 15);
    CHECK_INT(
        negotiate("permessage-deflate; server_max_window_bits=8", r, &bits), 0);
    CHECK_INT(negotiate("permessage-deflate; server_max_window_bits", r, &bits),
              0);
    CHECK_INT(
        negotiate("permessage-deflate; server_max_window_bits=16", r, &bits),
        0);
    CHECK_INT(
        negotiate("permessage-deflate; client_max_window_bits=7", r, &bits), 0);
    CHECK_INT(negotiate("permessage-deflate; server_no_context_takeover; "
                        "server_no_context_takeover",
                        r, &bits),
              0);
    CHECK_INT(
        negotiate("permessage-deflate; server_no_context_takeover=1", r, &bits),
        0);
    CHECK_INT(negotiate("permessage-deflate; mystery", r, &bits), 0);
    CHECK_INT(negotiate("x-webkit-deflate-frame", r, &bits), 0);
    CHECK_INT(negotiate("x-webkit-deflate-frame; no_context_takeover, "
                        "permessage-deflate",
                        r, &bits),
              1);
    CHECK_INT(negotiate("", r, &bits), 0);
    /* not an extension list at all */
    CHECK_INT(negotiate("permessage-deflate;;", r, &bits), KILN_EPARSE);
    CHECK_INT(negotiate("permessage-deflate; a=\"1", r, &bits), KILN_EPARSE);
    CHECK_INT(negotiate("; x", r, &bits), KILN_EPARSE);
    CHECK_INT(negotiate("permessage-deflate x", r, &bits), KILN_EPARSE);
}

/* Compresses p as a client would (raw DEFLATE, sync flush, tail removed). */
static void client_deflate(const void *p, size_t n, kiln_buf *out)
{
    kiln_buf_clear(out);
    CHECK_INT(ws_deflate_message(NULL, 15, p, n, out), 0);
}

TEST(deflate_round_trip)
{
    ws_zpool pool;
    ws_zpool_init(&pool);
    kiln_buf z, back;
    kiln_buf_init(&z);
    kiln_buf_init(&back);
    const char *texts[] = {"", "a", "hello hello hello hello hello hello",
                           NULL};
    char big[100000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (char)("abcdefgh"[i % 8] + (i / 1000) % 3);
    for (int t = 0; t < 4; t++) {
        const char *p = texts[t] ? texts[t] : big;
        size_t n = texts[t] ? strlen(p) : sizeof big;
        kiln_buf_clear(&z);
        CHECK_INT(ws_deflate_message(&pool, 15, p, n, &z), 0);
        CHECK(z.n < 4 || memcmp(z.p + z.n - 4, "\x00\x00\xff\xff", 4) != 0);
        ws_inflater *zi = ws_inflater_take(&pool);
        CHECK(zi != NULL);
        kiln_buf_clear(&back);
        CHECK_INT(
            ws_inflate(zi, (const uint8_t *)z.p, z.n, true, 1 << 20, &back), 0);
        ws_inflater_give(&pool, zi);
        CHECK_INT(back.n, n);
        CHECK(n == 0 || memcmp(back.p, p, n) == 0);
    }
    CHECK(pool.ninf == 1 && pool.ndef == 1); /* both went back for reuse */
    kiln_buf_deinit(&z);
    kiln_buf_deinit(&back);
    ws_zpool_deinit(&pool);
}

TEST(reader_compressed_messages)
{
    kiln_buf b, z;
    kiln_buf_init(&b);
    kiln_buf_init(&z);
    const char *msg = "compressed compressed compressed compressed!";
    client_deflate(msg, strlen(msg), &z);
    frame(&b, true, WS_RSV1, WS_OP_TEXT, z.p, z.n, false);
    /* the same, in three fragments with a Ping between */
    size_t a = z.n / 3, c2 = 2 * z.n / 3;
    frame(&b, false, WS_RSV1, WS_OP_TEXT, z.p, a, false);
    frame(&b, true, 0, WS_OP_PING, "", 0, false);
    frame(&b, false, 0, WS_OP_CONT, z.p + a, c2 - a, false);
    frame(&b, true, 0, WS_OP_CONT, z.p + c2, z.n - c2, false);
    /* and an uncompressed one between compressed ones */
    frame(&b, true, 0, WS_OP_TEXT, "plain", 5, false);
    char want[256];
    snprintf(want, sizeof want, "M1:%s|P:|M1:%s|M1:plain|", msg, msg);
    expect_events(&b, 1 << 20, WS_PARSE_MASKED | WS_PARSE_RSV1, want);
    /* without permessage-deflate, RSV1 is a protocol error */
    expect_events(&b, 1 << 20, WS_PARSE_MASKED, "E1002|");
    /* invalid UTF-8 inside a compressed text */
    kiln_buf_clear(&b);
    client_deflate("ab\xff", 3, &z);
    frame(&b, true, WS_RSV1, WS_OP_TEXT, z.p, z.n, false);
    expect_events(&b, 1 << 20, WS_PARSE_MASKED | WS_PARSE_RSV1, "E1007|");
    /* not DEFLATE data at all */
    kiln_buf_clear(&b);
    frame(&b, true, WS_RSV1, WS_OP_BINARY, "\xff\xff\xff\xff", 4, false);
    expect_events(&b, 1 << 20, WS_PARSE_MASKED | WS_PARSE_RSV1, "E1007|");
    kiln_buf_deinit(&z);
    kiln_buf_deinit(&b);
}

/* A compressed text's errors come in the order of its inflated bytes,
   however its frame is sliced: a byte that is not UTF-8 before the size
   limit closes with 1007 even when the same read inflates past the limit;
   one at or after the limit is never seen (1009). Whole, the reader used
   to inflate past the limit first and answer 1009 (the fuzzer's input
   fuzz/seeds/fuzz_ws/utf8-before-limit). */
TEST(reader_compressed_error_order)
{
    static const struct {
        size_t bad; /* where the 0xff goes */
        const char *want;
    } cases[] = {
        {2, "E1007|"}, {299, "E1007|"}, {300, "E1009|"}, {1000, "E1009|"}};
    char text[1200];
    kiln_buf b, z;
    kiln_buf_init(&b);
    kiln_buf_init(&z);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memset(text, 'x', sizeof text);
        text[cases[i].bad] = (char)0xff;
        kiln_buf_clear(&b);
        kiln_buf_clear(&z);
        client_deflate(text, sizeof text, &z);
        frame(&b, true, WS_RSV1, WS_OP_TEXT, z.p, z.n, false);
        expect_events(&b, 300, WS_PARSE_MASKED | WS_PARSE_RSV1, cases[i].want);
    }
    /* a character cut by the limit: the limit comes first */
    memset(text, 'x', sizeof text);
    memcpy(text + 299, "â¬", 3);
    kiln_buf_clear(&b);
    kiln_buf_clear(&z);
    client_deflate(text, sizeof text, &z);
    frame(&b, true, WS_RSV1, WS_OP_TEXT, z.p, z.n, false);
    expect_events(&b, 300, WS_PARSE_MASKED | WS_PARSE_RSV1, "E1009|");
    kiln_buf_deinit(&z);
    kiln_buf_deinit(&b);
}

TEST(reader_compression_bomb)
{
    /* 8 MiB of zeros deflate to a few KiB; the limit applies to what
       inflates, so the reader stops at 64 KiB */
    size_t n = 8 << 20;
    char *zeros = calloc(1, n);
    kiln_buf b, z;
    kiln_buf_init(&b);
    kiln_buf_init(&z);
    client_deflate(zeros, n, &z);
    CHECK(z.n < 20000);
    frame(&b, true, WS_RSV1, WS_OP_BINARY, z.p, z.n, false);
    events e;
    run_reader((const uint8_t *)b.p, b.n, 0, 65536,
               WS_PARSE_MASKED | WS_PARSE_RSV1, &e);
    CHECK_STR(e.s, "E1009|");
    run_reader((const uint8_t *)b.p, b.n, 0, n, WS_PARSE_MASKED | WS_PARSE_RSV1,
               &e);
    CHECK(strncmp(e.s, "M2:(8388608 bytes", 17) == 0);
    free(zeros);
    kiln_buf_deinit(&z);
    kiln_buf_deinit(&b);
}

/* ---- handshake pieces ------------------------------------------------------
 */

TEST(list_tokens)
{
    CHECK(ws_list_has(KILN_STR("websocket"), "websocket"));
    CHECK(ws_list_has(KILN_STR("WebSocket"), "websocket"));
    CHECK(ws_list_has(KILN_STR("keep-alive, Upgrade"), "upgrade"));
    CHECK(ws_list_has(KILN_STR(" ,  upgrade  ,"), "upgrade"));
    CHECK(!ws_list_has(KILN_STR("upgrades"), "upgrade"));
    CHECK(!ws_list_has(KILN_STR("keep-alive"), "upgrade"));
    CHECK(!ws_list_has(KILN_STR_NULL, "upgrade"));
}

TEST(subprotocol_pick)
{
    kiln_str p =
        ws_protocol_pick(KILN_STR("chat.v1, chat.v2"), "chat.v2, chat.v1");
    CHECK_VIEW(p, "chat.v1"); /* the client's preference wins */
    p = ws_protocol_pick(KILN_STR("x, chat.v2"), "chat.v2,chat.v1");
    CHECK_VIEW(p, "chat.v2");
    CHECK(ws_protocol_pick(KILN_STR("Chat.V1"), "chat.v1").p == NULL);
    CHECK(ws_protocol_pick(KILN_STR("a"), "b, c").p == NULL);
    CHECK(ws_protocol_pick(KILN_STR("a"), NULL).p == NULL);
    CHECK(ws_protocol_pick(KILN_STR_NULL, "a").p == NULL);
}

TEST(origin_checks)
{
    kiln_str host = KILN_STR("app.example.com");
    /* no Origin: not a browser */
    CHECK(ws_origin_ok(KILN_STR_NULL, host, NULL));
    /* the default: the Host's own origin, any scheme */
    CHECK(ws_origin_ok(KILN_STR("https://app.example.com"), host, NULL));
    CHECK(ws_origin_ok(KILN_STR("http://APP.example.com"), host, ""));
    CHECK(!ws_origin_ok(KILN_STR("https://evil.example"), host, NULL));
    CHECK(!ws_origin_ok(KILN_STR("https://app.example.com.evil.example"), host,
                        NULL));
    CHECK(!ws_origin_ok(KILN_STR("null"), host, NULL));
    CHECK(!ws_origin_ok(KILN_STR("garbage"), host, NULL));
    /* ports */
    kiln_str h8 = KILN_STR("127.0.0.1:8000");
    CHECK(ws_origin_ok(KILN_STR("http://127.0.0.1:8000"), h8, NULL));
    CHECK(!ws_origin_ok(KILN_STR("http://127.0.0.1:8001"), h8, NULL));
    CHECK(!ws_origin_ok(KILN_STR("http://127.0.0.1"), h8, NULL));
    CHECK(ws_origin_ok(KILN_STR("https://a.example:443"), KILN_STR("a.example"),
                       NULL));
    CHECK(!ws_origin_ok(KILN_STR("https://a.example:8443"),
                        KILN_STR("a.example"), NULL));
    CHECK(ws_origin_ok(KILN_STR("http://a.example"), KILN_STR("a.example:80"),
                       NULL));
    CHECK(ws_origin_ok(KILN_STR("http://[::1]:8000"), KILN_STR("[::1]:8000"),
                       NULL));
    /* a list */
    const char *list = "https://app.example.com, http://localhost:5173";
    CHECK(ws_origin_ok(KILN_STR("http://localhost:5173"), host, list));
    CHECK(ws_origin_ok(KILN_STR("https://app.example.com:443"), host, list));
    CHECK(!ws_origin_ok(KILN_STR("http://app.example.com"), host, list));
    CHECK(!ws_origin_ok(KILN_STR("http://localhost:5174"), host, list));
    CHECK(ws_origin_ok(KILN_STR("http://localhost:5173"), host,
                       "https://x.example http://localhost:5173"));
    CHECK(ws_origin_ok(KILN_STR("null"), host, "null"));
    /* anything */
    CHECK(ws_origin_ok(KILN_STR("https://evil.example"), host, "*"));
    CHECK(ws_origin_ok(KILN_STR("garbage"), host, "*"));
    /* an origin has no path or credentials */
    CHECK(!ws_origin_ok(KILN_STR("https://app.example.com/x"), host, NULL));
    CHECK(!ws_origin_ok(KILN_STR("https://u@app.example.com"), host, NULL));
}
