"""A WebSocket client over raw sockets for the black-box tests (RFC 6455).

It writes whatever frame a test asks for - unmasked, reserved bits, bad
lengths, split anywhere - and reads the server's frames checking what the
RFC demands of a server (unmasked, shortest length encoding, control
frames short and whole). Python 3 standard library only.
"""

import base64
import hashlib
import os
import socket
import struct
import time
import zlib

from harness import Conn, TestFailure, TestTimeout, build_request, check, eq, t

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

OP_CONT, OP_TEXT, OP_BINARY = 0x0, 0x1, 0x2
OP_CLOSE, OP_PING, OP_PONG = 0x8, 0x9, 0xA


def accept_for(key):
    return base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()


def new_key():
    return base64.b64encode(os.urandom(16)).decode()


def handshake_request(path, port, key=None, headers=None, origin=None):
    """The bytes of an opening handshake; headers (a list of pairs) replace
    the defaults of the same name."""
    key = key if key is not None else new_key()
    base = [("Host", "127.0.0.1:%d" % port), ("Upgrade", "websocket"),
            ("Connection", "Upgrade"), ("Sec-WebSocket-Key", key),
            ("Sec-WebSocket-Version", "13")]
    if origin:
        base.append(("Origin", origin))
    over = {n.lower() for n, _ in (headers or [])}
    hs = [(n, v) for n, v in base if n.lower() not in over] + list(headers or [])
    hs = [(n, v) for n, v in hs if v is not None]
    return build_request("GET", path, headers=hs, host=None), key


def frame_bytes(op, payload=b"", fin=True, rsv=0, mask=True, key=None,
                length=None, long_form=None):
    """One client frame. rsv: the RSV bits (0x40 RSV1...). length: the
    length to announce (default: the payload's). long_form: force the
    16-bit (126) or 64-bit (127) encoding."""
    if isinstance(payload, str):
        payload = payload.encode()
    n = len(payload) if length is None else length
    b0 = (0x80 if fin else 0) | rsv | op
    m = 0x80 if mask else 0
    if long_form == 126 or (long_form is None and 126 <= n <= 0xFFFF):
        head = struct.pack("!BBH", b0, m | 126, n)
    elif long_form == 127 or (long_form is None and n > 0xFFFF):
        head = struct.pack("!BBQ", b0, m | 127, n)
    else:
        head = struct.pack("!BB", b0, m | n)
    if not mask:
        return head + payload
    key = key if key is not None else os.urandom(4)
    return head + key + bytes(c ^ key[i % 4] for i, c in enumerate(payload))


def close_payload(code=None, reason=b""):
    if code is None:
        return b""
    if isinstance(reason, str):
        reason = reason.encode()
    return struct.pack("!H", code) + reason


def deflate(data):
    """A permessage-deflate payload: raw DEFLATE, sync flush, tail off."""
    c = zlib.compressobj(wbits=-15)
    out = c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH)
    assert out.endswith(b"\x00\x00\xff\xff")
    return out[:-4]


def inflate(data):
    d = zlib.decompressobj(wbits=-15)
    return d.decompress(data + b"\x00\x00\xff\xff")


class Frame:
    def __init__(self, fin, rsv, op, payload, head):
        self.fin, self.rsv, self.op, self.payload, self.head = fin, rsv, op, payload, head

    def close_code(self):
        if len(self.payload) < 2:
            return None
        return struct.unpack("!H", self.payload[:2])[0]

    def __repr__(self):
        return "<Frame op=%d fin=%d rsv=%x %d bytes>" % (self.op, self.fin, self.rsv,
                                                        len(self.payload))


class WsConn(Conn):
    """An upgraded connection (or one being refused)."""

    def __init__(self, port, timeout=None):
        Conn.__init__(self, port, timeout=timeout)
        self.port = port
        self.response = None

    def open(self, path="/ws/echo", key=None, headers=None, origin=None,
             extra=b"", expect_status=101):
        """Sends the handshake (and extra bytes in the same write) and
        reads the response head; checks it against expect_status."""
        req, key = handshake_request(path, self.port, key=key, headers=headers,
                                     origin=origin)
        self.send(req + extra)
        if expect_status == 101:
            r = self.read_head()
            eq(r.status, 101, "status of %s (%r)" % (path, r))
            eq(r.header("Sec-WebSocket-Accept"), accept_for(key), "Sec-WebSocket-Accept")
            eq((r.header("Upgrade") or "").lower(), "websocket", "Upgrade")
            check("upgrade" in r.connection_tokens(), "Connection: %r" % r.header("Connection"))
            check(not r.has("Content-Length") and not r.has("Transfer-Encoding"),
                  "a 101 with a body framing: %r" % r)
        else:
            r = self.read_response()
            eq(r.status, expect_status, "status of %s (%r)" % (path, r))
        self.response = r
        return r

    # -- writing
    def send_frame(self, op, payload=b"", **kw):
        self.send(frame_bytes(op, payload, **kw))

    def send_text(self, s):
        self.send_frame(OP_TEXT, s.encode() if isinstance(s, str) else s)

    def send_binary(self, b):
        self.send_frame(OP_BINARY, b)

    def send_close(self, code=1000, reason=b""):
        self.send_frame(OP_CLOSE, close_payload(code, reason))

    # -- reading
    def read_frame(self, timeout=None):
        """The next server frame, checked against the server's rules."""
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        head = self._read_exact(2, deadline)
        b0, b1 = head[0], head[1]
        check(not (b1 & 0x80), "the server masked a frame")
        n = b1 & 0x7F
        if n == 126:
            ext = self._read_exact(2, deadline)
            n = struct.unpack("!H", ext)[0]
            check(n >= 126, "16-bit length %d not in its shortest form" % n)
            head += ext
        elif n == 127:
            ext = self._read_exact(8, deadline)
            n = struct.unpack("!Q", ext)[0]
            check(n > 0xFFFF and n < (1 << 63), "64-bit length %d not in its shortest form" % n)
            head += ext
        payload = self._read_exact(n, deadline) if n else b""
        f = Frame(bool(b0 & 0x80), b0 & 0x70, b0 & 0x0F, payload, head)
        if f.op >= 8:
            check(f.fin and n <= 125, "bad control frame from the server: %r" % f)
        check(f.op in (0, 1, 2, 8, 9, 10), "reserved opcode %d from the server" % f.op)
        return f

    def _read_exact(self, n, deadline):
        while len(self.buf) < n:
            if not self._fill(deadline):
                raise TestFailure("connection closed with %d of %d bytes read (have %r)"
                                  % (len(self.buf), n, bytes(self.buf[:60])))
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def read_message(self, timeout=None, pongs=None, compressed=False):
        """The next data message (op, payload), fragments assembled; Pings
        met on the way are answered, Pongs collected into pongs."""
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        op, parts, rsv1 = None, [], False
        while True:
            f = self.read_frame(timeout=max(0.01, deadline - time.monotonic()))
            if f.op == OP_PING:
                self.send_frame(OP_PONG, f.payload)
                continue
            if f.op == OP_PONG:
                if pongs is not None:
                    pongs.append(f.payload)
                continue
            if f.op == OP_CLOSE:
                raise TestFailure("Close (%r) while waiting for a message" % f.close_code())
            if op is None:
                check(f.op in (OP_TEXT, OP_BINARY), "message starts with opcode %d" % f.op)
                op, rsv1 = f.op, bool(f.rsv & 0x40)
            else:
                eq(f.op, OP_CONT, "opcode of a continuation")
                check(not f.rsv, "RSV bits on a continuation")
            parts.append(f.payload)
            if f.fin:
                data = b"".join(parts)
                if rsv1:
                    check(compressed, "a compressed message without permessage-deflate")
                    data = inflate(data)
                if op == OP_TEXT:
                    data.decode("utf-8")  # the server sends valid text
                return op, data

    def expect_close(self, code, timeout=None, reply=True):
        """Reads (skipping data) up to the server's Close, checks its code,
        answers it, and checks that the server then closes the TCP
        connection. Returns the reason."""
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        while True:
            f = self.read_frame(timeout=max(0.01, deadline - time.monotonic()))
            if f.op == OP_CLOSE:
                break
        got = f.close_code()
        eq(got, code, "close code (reason %r)" % f.payload[2:])
        reason = f.payload[2:].decode("utf-8")
        if reply:
            try:
                self.send_close(code if code else 1000)
            except OSError:
                pass  # the server may have shut its side already
        self.expect_eof(timeout=max(0.5, deadline - time.monotonic()))
        return reason

    def expect_eof(self, timeout=None):
        """The server closes the TCP connection (nothing more comes)."""
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        while True:
            if self.buf:
                raise TestFailure("bytes after the close: %r" % bytes(self.buf[:40]))
            try:
                if not self._fill(deadline):
                    return
            except TestTimeout:
                raise TestFailure("the server did not close the connection")
