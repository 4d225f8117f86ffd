"""8, 9. Slow clients, idle keep-alive timeout, body timeout."""

import selectors
import socket
import threading
import time

from harness import (server, build_request, expect, check, eq, t, scaled, ASAN,
                     shorten)

SLOW_HEAD = (b"GET /plaintext HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
             + b"s" * 200)


class SlowClients:
    """n connections, each sending one byte of an unfinished request head
    every `interval` seconds, driven by one thread with a selector."""

    def __init__(self, port, n, interval=1.0):
        self.port = port
        self.n = n
        self.interval = interval
        self.conns = []   # dicts: sock, t_open, pos, data, t_closed
        self.stop_flag = False
        self.error = None
        self.thread = None
        self.sel = selectors.DefaultSelector()

    def open(self):
        for _ in range(self.n):
            s = socket.create_connection(("127.0.0.1", self.port), timeout=t(5))
            s.setblocking(False)
            c = {"sock": s, "t_open": time.monotonic(), "pos": 0, "data": b"",
                 "t_closed": None, "reset": False}
            self._send_byte(c)
            self.conns.append(c)

    def _send_byte(self, c):
        if c["t_closed"] is not None or c["pos"] >= len(SLOW_HEAD):
            return
        try:
            c["sock"].send(SLOW_HEAD[c["pos"]:c["pos"] + 1])
            c["pos"] += 1
        except BlockingIOError:
            pass
        except OSError:
            self._drain(c)      # closed by the server: collect what it sent
            if c["t_closed"] is None:
                self._mark_closed(c, reset=True)

    def _mark_closed(self, c, reset=False):
        c["t_closed"] = time.monotonic()
        c["reset"] = reset
        try:
            self.sel.unregister(c["sock"])
        except (KeyError, ValueError):
            pass
        c["sock"].close()

    def _drain(self, c):
        while c["t_closed"] is None:
            try:
                d = c["sock"].recv(65536)
            except BlockingIOError:
                return
            except OSError:
                self._mark_closed(c, reset=True)
                return
            if not d:
                self._mark_closed(c)
                return
            c["data"] += d

    def start(self):
        for c in self.conns:
            if c["t_closed"] is None:
                self.sel.register(c["sock"], selectors.EVENT_READ, c)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            next_send = time.monotonic() + self.interval
            while not self.stop_flag:
                if all(c["t_closed"] is not None for c in self.conns):
                    return
                timeout = max(0.0, next_send - time.monotonic())
                for key, _ in self.sel.select(min(timeout, 0.05)):
                    self._drain(key.data)
                if time.monotonic() >= next_send:
                    for c in self.conns:
                        self._send_byte(c)
                    next_send += self.interval
        except Exception as e:  # reported by the test
            self.error = e

    def finish(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.thread.is_alive():
            self.thread.join(0.05)
        self.stop_flag = True
        self.thread.join(2)
        for c in self.conns:
            if c["t_closed"] is None:
                c["sock"].close()


def test_slow_clients_do_not_block_and_get_408():
    n = scaled(500, 200)
    header_timeout = 2.0
    with server(workers=2, args=["--header-timeout-ms", "2000"]) as s:
        slow = SlowClients(s.port, n)
        slow.open()
        slow.start()
        t_start = time.monotonic()
        # a normal client meanwhile: fresh connections and a keep-alive one
        lat = []
        keep = s.connect()
        while time.monotonic() - t_start < header_timeout + 0.5:
            a = time.monotonic()
            if len(lat) % 2:
                r = s.get("/plaintext")
            else:
                keep.send(build_request("GET", "/plaintext"))
                r = keep.read_response()
            lat.append(time.monotonic() - a)
            expect(r, 200, "Hello, World!")
            time.sleep(0.05)
        keep.close()
        slow.finish(header_timeout + t(4))
        if slow.error:
            raise AssertionError("slow-client driver failed: %r" % slow.error)
        limit = t(0.2)
        worst = max(lat)
        check(worst < limit, "normal client: worst latency %.0f ms over %d requests "
              "(limit %.0f ms) while %d slow clients were connected"
              % (worst * 1000, len(lat), limit * 1000, n))
        open_ = [c for c in slow.conns if c["t_closed"] is None]
        check(not open_, "%d of %d slow connections still open %.1fs after the header "
              "timeout" % (len(open_), n, t(4)))
        lives = [c["t_closed"] - c["t_open"] for c in slow.conns]
        early = [x for x in lives if x < header_timeout * 0.9]
        check(not early, "%d slow connections closed before the header timeout "
              "(earliest after %.2fs)" % (len(early), min(lives)))
        late_limit = header_timeout + (t(1.5) if not ASAN else t(1))
        late = [x for x in lives if x > late_limit]
        check(not late, "%d slow connections closed late (latest after %.2fs, limit %.2fs)"
              % (len(late), max(lives), late_limit))
        no408 = [c for c in slow.conns if not c["data"].startswith(b"HTTP/1.1 408")]
        check(not no408, "%d of %d slow connections were closed without a 408 "
              "(e.g. got %s)" % (len(no408), n, shorten(no408[0]["data"]) if no408 else ""))
test_slow_clients_do_not_block_and_get_408.timeout = 40
# alone (tests/blackbox/run.py): a latency bound beside 500 slow clients
test_slow_clients_do_not_block_and_get_408.serial = True


def test_header_timeout_single_partial_request():
    with server(workers=1, args=["--header-timeout-ms", "1000"]) as s:
        with s.connect(timeout=t(5)) as c:
            a = time.monotonic()
            c.send(b"GET /plaintext HTTP/1.1\r\nHost: x\r\n")
            r = c.read_response()
            took = time.monotonic() - a
            eq(r.status, 408, "status after an unfinished head")
            check(0.8 <= took <= 1.0 + t(1.5), "408 after %.2fs, want about 1s" % took)
            c.assert_closed(what="after 408")


def test_idle_keepalive_timeout():
    with server(workers=1, args=["--idle-timeout-ms", "1000"]) as s:
        with s.connect(timeout=t(6)) as c:
            c.send(build_request("GET", "/plaintext"))
            expect(c.read_response(), 200, "Hello, World!")
            a = time.monotonic()
            closed, extra = c.wait_closed(t(5))
            took = time.monotonic() - a
            check(closed, "idle connection not closed within %.0fs" % t(5))
            eq(extra, b"", "bytes sent on idle close (want silent close, no 408)")
            check(0.8 <= took <= 1.0 + t(1.0),
                  "idle connection closed after %.2fs, want about 1s" % took)


def test_idle_timeout_resets_on_activity():
    with server(workers=1, args=["--idle-timeout-ms", "1000"]) as s:
        with s.connect() as c:
            for i in range(5):
                c.send(build_request("GET", "/users/%d" % i))
                expect(c.read_response(), 200, "user %d" % i)
                time.sleep(0.5)
            # total time 2.5 s > timeout, but never idle for 1 s


def test_idle_timeout_not_applied_to_running_handler():
    # A handler sleeping longer than the idle timeout is not idle.
    with server(workers=1, args=["--idle-timeout-ms", "500"]) as s:
        with s.connect(timeout=t(5)) as c:
            c.send(build_request("GET", "/sleep?ms=1200"))
            expect(c.read_response(), 200, "slept 1200")


def _body_timeout(prefix_body, headers):
    with server(workers=1, args=["--body-timeout-ms", "1000"]) as s:
        with s.connect(timeout=t(6)) as c:
            c.send(build_request("POST", "/echo", headers=headers) + prefix_body)
            a = time.monotonic()
            r = c.read_response(timeout=t(5))
            took = time.monotonic() - a
            eq(r.status, 408, "status when the body stops arriving")
            check(0.8 <= took <= 1.0 + t(1.5), "408 after %.2fs, want about 1s" % took)
            c.assert_closed(what="after body timeout 408")


def test_body_timeout_content_length():
    _body_timeout(b"0123456789", [("Content-Length", "100")])


def test_body_timeout_chunked():
    _body_timeout(b"5\r\nhello\r\n3\r\nab", [("Transfer-Encoding", "chunked")])
