"""Clients of the pub/sub black-box tests: an event stream read as it
arrives (chunk by chunk, event by event), over a raw socket.
"""

import json
import time

from harness import Conn, TestFailure, TestTimeout, build_request, eq, t


class SseStream:
    """GET path as an event stream, kept open; events() reads what came."""

    def __init__(self, port, path, timeout=None, headers=None):
        self.conn = Conn(port, timeout=timeout if timeout else t(10))
        self.conn.send(build_request("GET", path, headers=headers))
        self.head = self.conn.read_head()
        eq(self.head.status, 200, "event stream %s: %r" % (path, self.head))
        eq(self.head.header("Content-Type"), "text/event-stream", "Content-Type")
        self.text = ""      # decoded, not yet split into events
        self.events = []    # (name, data)
        self.comments = []
        self.ended = False

    def close(self):
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def _chunk(self, deadline):
        """Reads one chunk of the body into self.text; False at its end."""
        c = self.conn
        line = c._read_line(deadline)
        size = int(line.split(b";")[0].strip(), 16)
        if size == 0:
            self.ended = True
            return False
        data = c._read_exact(size + 2, deadline)
        self.text += data[:-2].decode("utf-8")
        while "\n\n" in self.text:
            block, self.text = self.text.split("\n\n", 1)
            name, data = "message", []
            for ln in block.split("\n"):
                if ln.startswith(":"):
                    self.comments.append(ln[1:].strip())
                    continue
                k, _, v = ln.partition(":")
                v = v[1:] if v.startswith(" ") else v
                if k == "event":
                    name = v
                elif k == "data":
                    data.append(v)
            if data:
                self.events.append((name, "\n".join(data)))
        # a lone comment line (": subscribed ...") ends with one newline
        while self.text.startswith(":") and "\n" in self.text:
            ln, self.text = self.text.split("\n", 1)
            self.comments.append(ln[1:].strip())
        return True

    def wait(self, pred, timeout=None, what="events"):
        """Reads until pred(self) is true; fails after timeout."""
        deadline = time.monotonic() + (timeout if timeout else t(10))
        while not pred(self):
            if self.ended:
                raise TestFailure("the stream ended before %s: %r"
                                  % (what, self.events[-5:]))
            try:
                self._chunk(deadline)
            except TestTimeout:
                raise TestFailure("timed out waiting for %s; have %d events, "
                                  "last %r, comments %r"
                                  % (what, len(self.events), self.events[-3:],
                                     self.comments[-3:]))
        return self

    def subscribed(self, timeout=None):
        """Waits for the app's ": subscribed REQUEST-ID"; returns the id."""
        self.wait(lambda s: any(c.startswith("subscribed ") for c in s.comments),
                  timeout, "the subscription")
        return [c for c in self.comments if c.startswith("subscribed ")][0][11:]

    def pubs(self):
        return [d for n, d in self.events if n == "pub"]

    def gaps(self):
        return [int(d) for n, d in self.events if n == "gap"]

    def quiet(self, seconds):
        """Reads for a while: whatever else arrives (nothing, it is hoped)."""
        deadline = time.monotonic() + seconds
        try:
            while time.monotonic() < deadline and not self.ended:
                self._chunk(deadline)
        except TestTimeout:
            pass
        return self


def stats(s):
    r = s.get("/stats")
    eq(r.status, 200, "stats")
    return json.loads(r.body)


def wait_stats(s, pred, what, timeout=None):
    deadline = time.monotonic() + (timeout if timeout else t(10))
    while True:
        st = stats(s)
        if pred(st):
            return st
        if time.monotonic() > deadline:
            raise TestFailure("stats never showed %s: %r" % (what, st))
        time.sleep(0.05)
