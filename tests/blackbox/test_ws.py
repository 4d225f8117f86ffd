"""WebSockets (RFC 6455, RFC 7692): a conformance battery over raw sockets
against tests/testapp's /ws/* routes, python3-websockets as a normal
client, and 10,000 idle WebSockets on one process with their memory
measured.

The protocol cases are data: each names the frames a client sends and
what the server must answer - the echo, or a Close with a given code
followed by the end of the TCP connection.
"""

import os
import resource
import signal
import socket
import struct
import sys
import time

from harness import (ASAN, build_request, check, eq, scaled, server,
                     shared_server, t)
from wsclient import (OP_BINARY, OP_CLOSE, OP_CONT, OP_PING, OP_PONG, OP_TEXT,
                      WsConn, accept_for, close_payload, deflate, frame_bytes,
                      handshake_request, inflate)

# A shared server with limits small enough to reach in a test.
ARGS = ["--ws-max-message", "200000", "--ws-max-send-queue", "262144"]


def srv():
    return shared_server(args=ARGS)


def ws(s, path="/ws/echo", **kw):
    c = WsConn(s.port)
    c.open(path, **kw)
    return c


def echo(c, op, payload):
    c.send_frame(op, payload)
    got = c.read_message()
    eq(got[0], op, "opcode of the echo")
    eq(got[1], payload if isinstance(payload, bytes) else payload.encode(),
       "echoed payload")


# ---- framing ---------------------------------------------------------------

def test_ws_echo_every_length_encoding():
    s = srv()
    with ws(s) as c:
        for n in (0, 1, 125, 126, 127, 65535, 65536, 100000):
            echo(c, OP_TEXT, ("abcdefg" * (n // 7 + 1))[:n])
            echo(c, OP_BINARY, bytes(i % 256 for i in range(n)))
        c.send_close(1000)
        c.expect_close(1000, reply=False)


def test_ws_server_uses_every_length_encoding():
    s = srv()
    for n, head_len in ((100, 2), (1000, 4), (70000, 10)):
        with ws(s, "/ws/big?n=%d" % n) as c:
            f = c.read_frame()
            eq(len(f.head), head_len, "head bytes for %d" % n)
            eq(f.payload, bytes(i % 251 for i in range(n)), "payload")


def test_ws_frames_split_anywhere():
    # a message whose head and payload arrive a few bytes at a time
    s = srv()
    with ws(s) as c:
        data = frame_bytes(OP_TEXT, "split across many writes " * 10)
        data += frame_bytes(OP_PING, b"ping!")
        cuts = list(range(1, len(data), 3))
        c.send(data, split=cuts, delay=0.001)
        pongs = []
        eq(c.read_message(pongs=pongs), (OP_TEXT, ("split across many writes " * 10).encode()),
           "message")
        f = c.read_frame()
        eq((f.op, f.payload), (OP_PONG, b"ping!"), "pong")


def test_ws_frames_sent_with_the_handshake():
    # a client that does not wait for the 101
    s = srv()
    with WsConn(s.port) as c:
        c.open("/ws/echo", extra=frame_bytes(OP_TEXT, "eager") + frame_bytes(OP_BINARY, b"\x01"))
        eq(c.read_message(), (OP_TEXT, b"eager"), "first")
        eq(c.read_message(), (OP_BINARY, b"\x01"), "second")


def test_ws_fragments_with_control_frames_between():
    s = srv()
    with ws(s) as c:
        c.send_frame(OP_TEXT, "frag", fin=False)
        c.send_frame(OP_PING, b"1")
        c.send_frame(OP_CONT, "men", fin=False)
        c.send_frame(OP_PONG, b"unsolicited")
        c.send_frame(OP_CONT, "", fin=False)
        c.send_frame(OP_PING, b"2")
        c.send_frame(OP_CONT, "ted", fin=True)
        f1, f2 = c.read_frame(), c.read_frame()
        eq([(f1.op, f1.payload), (f2.op, f2.payload)], [(OP_PONG, b"1"), (OP_PONG, b"2")],
           "pongs, in order, before the message")
        eq(c.read_message(), (OP_TEXT, b"fragmented"), "assembled message")
        # binary, many fragments
        parts = [bytes([i]) * i for i in range(1, 30)]
        for i, p in enumerate(parts):
            c.send_frame(OP_BINARY if i == 0 else OP_CONT, p, fin=i == len(parts) - 1)
        eq(c.read_message(), (OP_BINARY, b"".join(parts)), "binary message")


def test_ws_utf8_split_across_fragments():
    s = srv()
    with ws(s) as c:
        text = "κόσμε 😀 ü".encode()
        for cut in range(1, len(text)):
            c.send_frame(OP_TEXT, text[:cut], fin=False)
            c.send_frame(OP_CONT, text[cut:], fin=True)
            eq(c.read_message(), (OP_TEXT, text), "split at %d" % cut)


def test_ws_server_fragments():
    s = srv()
    with ws(s, "/ws/parts") as c:
        frames = [c.read_frame() for _ in range(3)]
        eq([(f.op, f.fin, f.payload) for f in frames],
           [(OP_TEXT, False, b"Hello"), (OP_CONT, False, b", wor"), (OP_CONT, True, b"ld")],
           "text fragments")
        frames = [c.read_frame() for _ in range(2)]
        eq([(f.op, f.fin, f.payload) for f in frames],
           [(OP_BINARY, False, b"\x00\x01"), (OP_CONT, True, b"\x02")], "binary fragments")
        echo(c, OP_TEXT, "still open")  # kiln_ws_send refused bad UTF-8 quietly


# ---- protocol errors: each closes with its code -------------------------------

def _invalid_close(code):
    return [frame_bytes(OP_CLOSE, struct.pack("!H", code))]


PROTOCOL_CASES = [
    # name, frames, close code
    ("unmasked", [frame_bytes(OP_TEXT, "x", mask=False)], 1002),
    ("rsv1 without deflate", [frame_bytes(OP_TEXT, "x", rsv=0x40)], 1002),
    ("rsv2", [frame_bytes(OP_TEXT, "x", rsv=0x20)], 1002),
    ("rsv3", [frame_bytes(OP_BINARY, b"x", rsv=0x10)], 1002),
    ("rsv on ping", [frame_bytes(OP_PING, b"", rsv=0x40)], 1002),
    ("continuation first", [frame_bytes(OP_CONT, "x")], 1002),
    ("text inside a message", [frame_bytes(OP_TEXT, "a", fin=False),
                               frame_bytes(OP_TEXT, "b")], 1002),
    ("binary inside a message", [frame_bytes(OP_BINARY, b"a", fin=False),
                                 frame_bytes(OP_BINARY, b"b")], 1002),
    ("fragmented ping", [frame_bytes(OP_PING, b"x", fin=False)], 1002),
    ("fragmented close", [frame_bytes(OP_CLOSE, b"", fin=False)], 1002),
    ("ping of 126 bytes", [frame_bytes(OP_PING, b"x" * 126)], 1002),
    ("16-bit length for 5 bytes", [frame_bytes(OP_TEXT, "hello", long_form=126)], 1002),
    ("64-bit length for 300 bytes", [frame_bytes(OP_BINARY, b"x" * 300, long_form=127)], 1002),
    ("64-bit length with the top bit", [struct.pack("!BBQ", 0x82, 0xFF, 1 << 63) + b"kkkk"], 1002),
    ("close of one byte", [frame_bytes(OP_CLOSE, b"\x03")], 1002),
    ("close with a bad reason", [frame_bytes(OP_CLOSE, close_payload(1000, b"\xff\xfe"))], 1007),
    ("text not utf-8", [frame_bytes(OP_TEXT, b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80")], 1007),
    ("text overlong", [frame_bytes(OP_TEXT, b"\xc0\xaf")], 1007),
    ("text past U+10FFFF", [frame_bytes(OP_TEXT, b"\xf4\x90\x80\x80")], 1007),
    ("fragmented text invalid at the end", [frame_bytes(OP_TEXT, "ok", fin=False),
                                            frame_bytes(OP_CONT, b"\xce", fin=True)], 1007),
    ("fragmented text invalid in the middle", [frame_bytes(OP_TEXT, b"\xce\xba", fin=False),
                                               frame_bytes(OP_CONT, b"\xed\xa0\x80", fin=False)], 1007),
] + [("opcode %d" % op, [frame_bytes(op, b"")], 1002)
     for op in (3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF)] \
  + [("close code %d" % code, _invalid_close(code), 1002)
     for code in (0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535)]


def test_ws_protocol_errors_close_with_their_code():
    s = srv()
    failures = []
    for name, frames, code in PROTOCOL_CASES:
        with ws(s) as c:
            c.send(b"".join(frames))
            try:
                c.expect_close(code, reply=False)
            except AssertionError as e:
                failures.append("%s: %s" % (name, e))
    check(not failures, "; ".join(failures))
    # the worker is fine: a normal echo still works
    with ws(s) as c:
        echo(c, OP_TEXT, "alive")


def test_ws_fail_fast_on_utf8():
    # the bad bytes close the connection before the message ends
    s = srv()
    with ws(s) as c:
        c.send_frame(OP_TEXT, b"\xce\xba\xed\xa0\x80", fin=False)
        c.expect_close(1007, reply=False)


def test_ws_valid_close_codes_are_echoed():
    s = srv()
    for code in (1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012,
                 1013, 1014, 3000, 3999, 4000, 4999):
        with ws(s) as c:
            c.send_close(code, "bye")
            f = c.read_frame()
            eq((f.op, f.close_code()), (OP_CLOSE, code), "echoed close")
            c.expect_eof()
    with ws(s) as c:  # a Close without a code is answered without one
        c.send_frame(OP_CLOSE, b"")
        f = c.read_frame()
        eq((f.op, f.payload), (OP_CLOSE, b""), "empty close")
        c.expect_eof()


def test_ws_server_closes_first():
    s = srv()
    with ws(s, "/ws/close?code=4001&reason=see+you") as c:
        f = c.read_frame()
        eq((f.op, f.close_code(), f.payload[2:]), (OP_CLOSE, 4001, b"see you"), "close")
        c.send_close(4001)
        c.expect_eof()  # the handshake done, the server closes TCP
    with ws(s, "/ws/close?code=1005") as c:
        # 1005 may not be sent: the handler's call fails, it closes with 3400
        c.expect_close(3400)


def test_ws_data_after_close_is_dropped():
    s = srv()
    with ws(s, "/ws/close?code=1000") as c:
        f = c.read_frame()
        eq(f.op, OP_CLOSE, "close")
        c.send_text("late")  # after the server's Close: not echoed
        c.send_close(1000)
        c.expect_eof()


def test_ws_message_size_limit():
    s = srv()
    with ws(s) as c:
        echo(c, OP_BINARY, b"z" * 200000)  # at the limit
        c.send_frame(OP_BINARY, b"z" * 200001)
        c.expect_close(1009, reply=False)
    with ws(s) as c:
        # only the head of a huge frame: refused before any payload
        c.send(struct.pack("!BBQ", 0x82, 0xFF, 1 << 40) + b"kkkk")
        c.expect_close(1009, reply=False)
    with ws(s) as c:
        for _ in range(4):
            c.send_frame(OP_TEXT, "x" * 60000, fin=False) if _ == 0 else \
                c.send_frame(OP_CONT, "x" * 60000, fin=False)
        c.expect_close(1009, reply=False)


# ---- handshake -------------------------------------------------------------------

def test_ws_handshake_accept_value():
    s = srv()
    with WsConn(s.port) as c:  # RFC 6455 section 1.3's example key
        r = c.open(key="dGhlIHNhbXBsZSBub25jZQ==")
        eq(r.header("Sec-WebSocket-Accept"), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "accept")


def test_ws_handshake_tokens_in_lists_any_case():
    s = srv()
    for up, conn_v in (("WebSocket", "keep-alive, Upgrade"), ("websocket, foo", "UPGRADE"),
                       ("h2c, websocket", "close, upgrade ,x")):
        with WsConn(s.port) as c:
            c.open(headers=[("Upgrade", up), ("Connection", conn_v)])
            echo(c, OP_TEXT, "ok")
    with WsConn(s.port) as c:  # Connection split over two fields
        c.open(headers=[("Connection", "keep-alive"), ("Connection", "upgrade")])
        echo(c, OP_TEXT, "ok")


HANDSHAKE_REFUSALS = [
    # name, headers replacing the defaults, status
    ("no Upgrade", [("Upgrade", None)], 426),
    ("Upgrade h2c", [("Upgrade", "h2c")], 426),
    ("Connection without upgrade", [("Connection", "keep-alive")], 426),
    ("version 8", [("Sec-WebSocket-Version", "8")], 426),
    ("no version", [("Sec-WebSocket-Version", None)], 426),
    ("two versions", [("Sec-WebSocket-Version", "13"), ("Sec-WebSocket-Version", "13")], 426),
    ("no key", [("Sec-WebSocket-Key", None)], 400),
    ("short key", [("Sec-WebSocket-Key", "c2hvcnQ=")], 400),
    ("key not base64", [("Sec-WebSocket-Key", "!!!!!!!!!!!!!!!!!!!!!!==")], 400),
    ("key of 17 bytes", [("Sec-WebSocket-Key", "aGVsbG8gd29ybGQhISEhISE=")], 400),
    ("two keys", [("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
                  ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")], 400),
    ("malformed extensions", [("Sec-WebSocket-Extensions", "permessage-deflate;;")], 400),
    ("cross-site origin", [("Origin", "https://evil.example")], 403),
    ("origin of another port", [("Origin", "http://127.0.0.1:1")], 403),
    ("origin null", [("Origin", "null")], 403),
]


def test_ws_handshake_refusals():
    s = srv()
    failures = []
    for name, headers, status in HANDSHAKE_REFUSALS:
        with WsConn(s.port) as c:
            r = c.open(headers=headers, expect_status=status)
            eq(r.header("Content-Type"), "application/problem+json", name)
            if status == 426:
                eq(r.header("Sec-WebSocket-Version"), "13", name + ": Sec-WebSocket-Version")
                eq((r.header("Upgrade") or "").lower(), "websocket", name + ": Upgrade")
                check("upgrade" in r.connection_tokens(), name + ": Connection names upgrade")
            # a refused upgrade leaves a usable HTTP connection
            c.send(build_request("GET", "/plaintext"))
            r2 = c.read_response()
            if r2.status != 200:
                failures.append("%s: the next request got %d" % (name, r2.status))
    check(not failures, "; ".join(failures))


def test_ws_handshake_other_refusals():
    s = srv()
    with WsConn(s.port) as c:  # HTTP/1.0
        req, _ = handshake_request("/ws/echo", s.port)
        c.send(req.replace(b"HTTP/1.1", b"HTTP/1.0", 1))
        eq(c.read_response().status, 400, "HTTP/1.0")
    with WsConn(s.port) as c:  # a body
        c.open(headers=[("Content-Length", "2")], extra=b"hi", expect_status=400)
    with WsConn(s.port) as c:  # POST: the route is GET only
        req, _ = handshake_request("/ws/echo", s.port)
        c.send(req.replace(b"GET", b"POST", 1))
        r = c.read_response()
        eq(r.status, 405, "POST")
        check("GET" in (r.header("Allow") or ""), "Allow: %r" % r.header("Allow"))
    with WsConn(s.port) as c:  # HEAD: not an upgrade, and no body
        req, _ = handshake_request("/ws/echo", s.port)
        c.send(req.replace(b"GET", b"HEAD", 1))
        r = c.read_response(method="HEAD")
        eq(r.status, 426, "HEAD")
    with WsConn(s.port) as c:  # a plain GET is told to upgrade
        c.send(build_request("GET", "/ws/echo"))
        r = c.read_response()
        eq(r.status, 426, "plain GET")
        eq(r.header("Upgrade"), "websocket", "Upgrade")


def test_ws_origins():
    s = srv()
    port = s.port
    for origin in ("http://127.0.0.1:%d" % port, "https://127.0.0.1:%d" % port, None):
        with WsConn(port) as c:
            c.open(origin=origin)  # the same origin as the Host, or none
            echo(c, OP_TEXT, "ok")
    with server(args=["--ws-allowed-origins", "https://app.example, http://localhost:5173"]) as s2:
        with WsConn(s2.port) as c:
            c.open(origin="https://app.example")
            echo(c, OP_TEXT, "listed")
        with WsConn(s2.port) as c:
            c.open(origin="http://localhost:5173")
        with WsConn(s2.port) as c:  # the Host's own is not listed now
            c.open(origin="http://127.0.0.1:%d" % s2.port, expect_status=403)
        with WsConn(s2.port) as c:
            c.open(origin="https://app.example.evil", expect_status=403)


def test_ws_subprotocols():
    s = srv()
    import json
    with WsConn(s.port) as c:
        r = c.open("/ws/proto/room1?x=42",
                   headers=[("Sec-WebSocket-Protocol", "chat.v1, chat.v2"),
                            ("User-Agent", "wsclient")])
        eq(r.header("Sec-WebSocket-Protocol"), "chat.v1", "the client's first choice")
        info = json.loads(c.read_message()[1])
        eq(info, {"protocol": "chat.v1", "x": "42", "ua": "wsclient", "path": "/ws/proto/room1"},
           "what the handler saw")
        # the request's views stay valid while frames pass through the buffer
        echo(c, OP_TEXT, "x" * 20000)
    with WsConn(s.port) as c:
        r = c.open("/ws/proto/r", headers=[("Sec-WebSocket-Protocol", "other")])
        check(not r.has("Sec-WebSocket-Protocol"), "a protocol nobody offered: %r" % r)
        eq(json.loads(c.read_message()[1])["protocol"], "none", "none agreed")


def test_ws_handler_refuses_before_accepting():
    s = srv()
    with WsConn(s.port) as c:
        r = c.open("/ws/refuse", expect_status=401)
        eq(r.header("Content-Type"), "application/problem+json", "type")
        check("close" in r.connection_tokens(), "connection closes after a refused upgrade")
        c.expect_eof()


def test_ws_handler_error_closes_1011():
    s = srv()
    with ws(s, "/ws/fail") as c:
        eq(c.read_message(), (OP_TEXT, b"failing"), "message")
        c.expect_close(1011)


# ---- keep-alive, idle, receive timeouts ---------------------------------------

def test_ws_pings_answered_while_the_handler_sleeps():
    s = srv()
    with ws(s, "/ws/sleepy?ms=%d" % int(t(0.6) * 1000)) as c:
        start = time.monotonic()
        c.send_frame(OP_PING, b"are you there")
        f = c.read_frame()
        eq((f.op, f.payload), (OP_PONG, b"are you there"), "pong")
        check(time.monotonic() - start < t(0.5), "the pong waited for the handler")
        eq(c.read_message(), (OP_TEXT, b"awake"), "then the handler")


def test_ws_recv_timeout():
    s = srv()
    with ws(s, "/ws/quiet") as c:
        eq(c.read_message(timeout=t(2)), (OP_TEXT, b"timeout"), "nothing came")
        echo(c, OP_TEXT, "something")


def test_ws_keepalive_ping_and_idle_close():
    args = ["--ws-ping-interval-ms", "150", "--ws-idle-timeout-ms", str(int(t(0.8) * 1000))]
    with server(args=args) as s:
        with ws(s) as c:
            # a client that answers Pings stays open past the idle timeout
            end = time.monotonic() + t(1.2)
            pings = 0
            while time.monotonic() < end:
                f = c.read_frame(timeout=t(1))
                eq(f.op, OP_PING, "keep-alive frame")
                c.send_frame(OP_PONG, f.payload)
                pings += 1
            check(pings >= 3, "only %d pings" % pings)
            echo(c, OP_TEXT, "still open")
        with ws(s) as c:
            # one that does not is closed with 1001
            start = time.monotonic()
            while True:
                f = c.read_frame(timeout=t(3))
                if f.op == OP_CLOSE:
                    break
                eq(f.op, OP_PING, "frame")
            eq(f.close_code(), 1001, "idle close code")
            check(time.monotonic() - start >= 0.7, "closed too early")
            c.send_close(1001)
            c.expect_eof()


# ---- backpressure -------------------------------------------------------------------

def _sock_rcvbuf_small(c):
    c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)


def test_ws_slow_reader_is_closed():
    for extra, code in (([], 1008), (["--ws-overflow", "retry"], 1013)):
        with server(workers=1, args=ARGS + extra) as s:
            c = WsConn(s.port, timeout=t(10))
            _sock_rcvbuf_small(c)
            c.open("/ws/flood?n=100000&size=65536")
            time.sleep(t(0.3))  # not reading: the queue passes 256 KiB
            # the worker is not blocked meanwhile
            r = s.get("/plaintext", timeout=t(2))
            eq(r.status, 200, "another request during the flood")
            total = 0
            while True:
                f = c.read_frame(timeout=t(5))
                if f.op == OP_CLOSE:
                    break
                total += len(f.payload)
            eq(f.close_code(), code, "close code")
            check(total < 100000 * 65536 // 10, "sent %d bytes before closing" % total)
            c.expect_eof()
            c.close()
            check("behind" in s.stop()[1], "the close is logged")


def test_ws_drain_paces_the_sender():
    with server(workers=1, args=ARGS) as s:
        c = WsConn(s.port, timeout=t(10))
        _sock_rcvbuf_small(c)
        c.open("/ws/paced?n=150&size=65536")
        got = 0
        while True:
            op, data = c.read_message(timeout=t(10))
            if op == OP_TEXT:
                eq(data, b"done", "end")
                break
            eq(len(data), 65536, "size")
            got += 1
            if got % 20 == 0:
                time.sleep(0.05)  # a slow reader
        eq(got, 150, "messages, none lost, no close")
        c.send_close(1000)
        c.expect_close(1000, reply=False)
        c.close()


# ---- permessage-deflate ------------------------------------------------------------

def test_ws_permessage_deflate_raw():
    s = srv()
    with WsConn(s.port) as c:
        r = c.open(headers=[("Sec-WebSocket-Extensions",
                             "permessage-deflate; client_max_window_bits")])
        eq(r.header("Sec-WebSocket-Extensions"),
           "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
           "agreed")
        text = ("compress me please " * 50).encode()
        c.send_frame(OP_TEXT, deflate(text), rsv=0x40)
        raw = c.read_frame()
        check(raw.rsv & 0x40, "a long message comes back compressed")
        eq(inflate(raw.payload), text, "inflated echo")
        # a compressed message in fragments, a Ping between
        z = deflate(b"fragment " * 100)
        c.send_frame(OP_BINARY, z[:5], fin=False, rsv=0x40)
        c.send_frame(OP_PING, b"p")
        c.send_frame(OP_CONT, z[5:], fin=True)
        eq(c.read_frame().op, OP_PONG, "pong")
        eq(c.read_message(compressed=True), (OP_BINARY, b"fragment " * 100), "echo")
        # short ones are not worth compressing
        c.send_frame(OP_TEXT, deflate(b"hi"), rsv=0x40)
        f = c.read_frame()
        eq((f.rsv, f.payload), (0, b"hi"), "short echo")
        # corrupt data
        c.send_frame(OP_BINARY, b"\xff\xff\xff", rsv=0x40)
        c.expect_close(1007, reply=False)


def test_ws_permessage_deflate_window_and_off():
    s = srv()
    with WsConn(s.port) as c:
        r = c.open(headers=[("Sec-WebSocket-Extensions",
                             "permessage-deflate; server_max_window_bits=10")])
        check("server_max_window_bits=10" in r.header("Sec-WebSocket-Extensions", ""),
              "window: %r" % r.header("Sec-WebSocket-Extensions"))
        text = bytes(range(256)) * 40
        c.send_frame(OP_BINARY, text)
        eq(c.read_message(compressed=True), (OP_BINARY, text), "echo")
    with WsConn(s.port) as c:  # an offer we cannot take: no compression
        r = c.open(headers=[("Sec-WebSocket-Extensions",
                             "permessage-deflate; server_max_window_bits=8")])
        check(not r.has("Sec-WebSocket-Extensions"), "declined: %r" % r)
        c.send_frame(OP_TEXT, deflate(b"x" * 10), rsv=0x40)
        c.expect_close(1002, reply=False)
    with server(args=["--ws-deflate", "off"]) as s2:
        with WsConn(s2.port) as c:
            r = c.open(headers=[("Sec-WebSocket-Extensions", "permessage-deflate")])
            check(not r.has("Sec-WebSocket-Extensions"), "deflate off: %r" % r)


def test_ws_zip_bomb_is_too_big():
    s = srv()
    with WsConn(s.port) as c:
        c.open(headers=[("Sec-WebSocket-Extensions", "permessage-deflate")])
        c.send_frame(OP_BINARY, deflate(b"\x00" * (20 << 20)), rsv=0x40)
        c.expect_close(1009, reply=False)


# ---- shutdown ------------------------------------------------------------------------

def test_ws_shutdown_says_going_away():
    s = server(args=["--drain-ms", "3000"])
    with s:
        c = ws(s)
        echo(c, OP_TEXT, "before")
        s.signal(signal.SIGTERM)
        c.expect_close(1001)
        rc = s.wait_exit(t(5))
        eq(rc, 0, "exit status")
        c.close()


# ---- python3-websockets as a normal client ----------------------------------------

def _websockets():
    try:
        import websockets  # noqa: F401
    except ImportError:
        # Debian's python3-websockets lives in the system's dist-packages
        for d in ("/usr/lib/python3/dist-packages",):
            if os.path.isdir(os.path.join(d, "websockets")) and d not in sys.path:
                sys.path.append(d)
        import websockets  # noqa: F401 (deps.sh installs it: a failure is real)
    return websockets


def test_ws_python_websockets_client():
    websockets = _websockets()
    import asyncio
    s = srv()
    url = "ws://127.0.0.1:%d" % s.port

    async def run():
        out = {}
        # permessage-deflate is on by default in websockets
        async with websockets.connect(url + "/ws/echo", max_size=None) as w:
            out["ext"] = w.response_headers.get("Sec-WebSocket-Extensions")
            for msg in ("hello", "é" * 1000, b"\x00\x01\x02", b"\xff" * 150000):
                await w.send(msg)
                eq(await w.recv(), msg, "echo of %d" % len(msg))
            # a fragmented message from the client
            await w.send(iter(["frag", "men", "ted"]))
            eq(await w.recv(), "fragmented", "fragments")
            pong = await w.ping(b"hi")
            await asyncio.wait_for(pong, t(2))
            await w.close(code=4000, reason="done")
            out["close"] = w.close_code
        async with websockets.connect(url + "/ws/echo", compression=None) as w:
            out["ext_off"] = w.response_headers.get("Sec-WebSocket-Extensions")
            await w.send("plain")
            eq(await w.recv(), "plain", "uncompressed echo")
        async with websockets.connect(url + "/ws/proto/x", subprotocols=["chat.v2"]) as w:
            out["proto"] = w.subprotocol
        async with websockets.connect(url + "/ws/close?code=4002&reason=bye") as w:
            try:
                await w.recv()
            except websockets.ConnectionClosed as e:
                out["server_close"] = (e.code, e.reason)
        try:
            async with websockets.connect(url + "/ws/echo", origin="https://evil.example"):
                pass
        except websockets.InvalidStatusCode as e:
            out["refused"] = e.status_code
        return out

    out = asyncio.run(run())
    check((out["ext"] or "").startswith("permessage-deflate"), "deflate agreed: %r" % out)
    eq(out["close"], 4000, "client close code")
    eq(out["ext_off"], None, "no extension when not offered")
    eq(out["proto"], "chat.v2", "subprotocol")
    eq(out["server_close"], (4002, "bye"), "server close")
    eq(out["refused"], 403, "cross-site origin")


# ---- 10,000 idle WebSockets ------------------------------------------------------------

def _rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_ws_ten_thousand_idle():
    n = scaled(10000, 2000)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n + 200:
        want = n + 200 if hard == resource.RLIM_INFINITY else min(hard, n + 200)
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
        soft = want
    check(soft >= n + 100, "fd limit %d is too low for %d sockets" % (soft, n))
    with server(workers=2, args=["--ws-ping-interval-ms", "0", "--ws-idle-timeout-ms", "0"]) as s:
        # warm up: the pools and the first pages of the heap
        warm = [ws(s) for _ in range(50)]
        for c in warm:
            echo(c, OP_TEXT, "warm")
        for c in warm:
            c.close()
        time.sleep(0.3)
        before = _rss_kib(s.proc.pid)
        socks = []
        req_cache = {}
        start = time.monotonic()
        # open in batches: connect and send the handshakes, then read them
        for base in range(0, n, 500):
            batch = []
            for _ in range(min(500, n - base)):
                k = socket.create_connection(("127.0.0.1", s.port), timeout=t(10))
                req, key = handshake_request("/ws/echo", s.port)
                k.sendall(req)
                batch.append((k, key))
            for k, key in batch:
                head = b""
                while b"\r\n\r\n" not in head:
                    chunk = k.recv(4096)
                    check(chunk, "closed during the handshake")
                    head += chunk
                check(head.startswith(b"HTTP/1.1 101 "), "status: %r" % head[:40])
                check(accept_for(key).encode() in head, "accept value")
                socks.append(k)
        opened = time.monotonic() - start
        time.sleep(1.5)  # idle past WORKER_NAP_MS: their stacks hibernate
        after = _rss_kib(s.proc.pid)
        per = (after - before) * 1024.0 / n
        print("# %d idle WebSockets opened in %.2fs: RSS %d -> %d KiB, %.0f bytes each"
              % (n, opened, before, after, per))
        # each is alive: a sample echoes
        for k in socks[:: max(1, n // 50)]:
            k.sendall(frame_bytes(OP_TEXT, "alive?"))
            data = b""
            while len(data) < 8:
                chunk = k.recv(64)
                check(chunk, "closed")
                data += chunk
            eq(data[:8], b"\x81\x06alive?", "echo")
        for k in socks:
            k.close()
        if not ASAN:  # sanitizer builds carry shadow memory: no bound there
            check(per < 8 * 1024, "%.0f bytes per idle WebSocket" % per)


test_ws_ten_thousand_idle.timeout = 120
# alone (tests/blackbox/run.py): 10,000 sockets and a memory bound
test_ws_ten_thousand_idle.serial = True
test_ws_slow_reader_is_closed.timeout = 60
