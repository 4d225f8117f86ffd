"""Black-box test harness for Kiln: start server binaries, speak raw HTTP/1.1.

Python 3 standard library only.  Everything here has a bounded timeout: a
read that does not complete raises TestTimeout instead of hanging.
"""

import fcntl
import hashlib
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import freeport  # noqa: E402 - tests/freeport.py

# --- configuration -----------------------------------------------------------

ASAN = os.environ.get("KILN_BB_ASAN", "") not in ("", "0")
# Sanitizer builds are several times slower; every timeout is multiplied.
SLOW = 4.0 if ASAN else 1.0

BIN_DIR = os.environ.get("KILN_BB_BIN", "build")


def t(seconds):
    """Scale a timeout for sanitizer builds."""
    return seconds * SLOW


def scaled(count, asan_count):
    """A workload size: `count` normally, `asan_count` under sanitizers."""
    return asan_count if ASAN else count


def raise_fd_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        want = 65536
    else:
        want = hard
    if soft == resource.RLIM_INFINITY or soft >= want:
        return soft
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
        return want
    except (ValueError, OSError):
        return soft


raise_fd_limit()


class TestFailure(AssertionError):
    pass


class TestTimeout(TestFailure):
    pass


def check(cond, msg):
    if not cond:
        raise TestFailure(msg)


def eq(got, want, what="value"):
    if got != want:
        raise TestFailure("%s: got %r, want %r" % (what, got, want))


def shorten(data, n=200):
    if isinstance(data, (bytes, bytearray)):
        data = bytes(data)
    r = repr(data)
    return r if len(r) <= n else r[:n] + "...(%d bytes)" % len(data)


# --- server processes ----------------------------------------------------------

def free_port():
    """A free port of 127.0.0.1 that no other test process was given in
    the last minutes (tests/freeport.py): tests run in parallel."""
    return freeport.take()


def serial(fn):
    """Decorator: the test runs alone, after the parallel part of the run
    (it measures time or load, or loads the machine itself). A module
    whose tests all run alone says SERIAL = True instead."""
    fn.serial = True
    return fn


def npm_ci(folder, timeout=300):
    """Installs folder/node_modules with `npm ci` from folder's lock file,
    unless node_modules/.kiln-lock holds the lock file's SHA-256 (an
    install of that very lock file). One install at a time per folder, in
    every test process (a lock beside /tmp): a test that needs a folder
    another process is installing waits for it. Raises TestFailure if npm
    fails (with its output)."""
    folder = os.path.abspath(folder)
    with open(os.path.join(folder, "package-lock.json"), "rb") as f:
        want = hashlib.sha256(f.read()).hexdigest()
    stamp = os.path.join(folder, "node_modules", ".kiln-lock")
    key = hashlib.sha256(folder.encode()).hexdigest()[:16]
    lockpath = os.path.join("/tmp" if os.path.isdir("/tmp") else
                            tempfile.gettempdir(), "kiln-npm-%s.lock" % key)
    with open(lockpath, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            try:
                with open(stamp) as f:
                    if f.read().strip() == want:
                        return
            except OSError:
                pass
            r = subprocess.run(["npm", "ci", "--ignore-scripts", "--no-audit",
                                "--no-fund", "--prefer-offline"], cwd=folder,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               timeout=t(timeout))
            if r.returncode != 0:
                raise TestFailure("npm ci in %s: %s" % (
                    folder, r.stdout.decode("utf-8", "replace")))
            with open(stamp, "w") as f:
                f.write(want + "\n")
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


_live_servers = []

# Sanitizer findings in the stderr of servers that have exited; the runner
# turns them into failures of the test that ran the server.
sanitizer_reports = []
_SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                      "runtime error:", "WARNING: ThreadSanitizer",
                      "ERROR: MemorySanitizer")


def sanitizer_report(text):
    """The first sanitizer report line in text, or None."""
    for line in text.splitlines():
        if any(m in line for m in _SANITIZER_MARKERS):
            return line.strip()[:300]
    return None


def take_sanitizer_reports():
    out = list(sanitizer_reports)
    del sanitizer_reports[:]
    return out


def resolve_binary(binary):
    """BIN_DIR/binary; Meson puts examples/hello/hello.c's executable at
    examples/hello/hello, so a folder of that name means the file inside."""
    path = os.path.join(BIN_DIR, binary)
    if os.path.isdir(path):
        path = os.path.join(path, os.path.basename(binary))
    return path


class Server:
    """A server binary running on 127.0.0.1:port.

    Use as a context manager: the server is stopped (SIGKILL if SIGTERM is
    not enough) when the block exits."""

    def __init__(self, binary="tests/testapp", workers=2, args=(), port=None,
                 ready_timeout=None):
        self.binary = binary
        self.path = resolve_binary(binary)
        self.workers = workers
        self.args = list(args)
        self.port = port
        self.proc = None
        self.returncode = None
        self._stderr_file = None
        self._stdout_file = None
        self._scanned = False
        self.ready_timeout = ready_timeout if ready_timeout else t(10)

    # lifecycle
    def start(self):
        if not os.path.exists(self.path):
            raise TestFailure("server binary %s does not exist" % self.path)
        last = None
        for _attempt in range(3):
            port = self.port or free_port()
            cmd = [self.path, "--port", str(port),
                   "--workers", str(self.workers)] + self.args
            self._stderr_file = tempfile.TemporaryFile()
            self._stdout_file = tempfile.TemporaryFile()
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                         stdout=self._stdout_file,
                                         stderr=self._stderr_file)
            self.port = port
            _live_servers.append(self)
            try:
                self.wait_ready()
                return self
            except TestFailure as e:
                last = e
                self.kill()
                if self.port and _attempt == 0 and "exited" in str(e):
                    # maybe the port was taken in the meantime: retry
                    self.port = None
                    continue
                raise
        raise last

    def wait_ready(self):
        deadline = time.monotonic() + self.ready_timeout
        while True:
            if self.proc.poll() is not None:
                raise TestFailure("server exited with %r before accepting; stderr: %s"
                                  % (self.proc.returncode, self.stderr_tail()))
            try:
                s = socket.create_connection(("127.0.0.1", self.port), timeout=1)
                s.close()
                return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TestFailure("server did not accept on port %d within %.1fs"
                                  % (self.port, self.ready_timeout))
            time.sleep(0.02)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig):
        if self.alive():
            self.proc.send_signal(sig)

    def wait_exit(self, timeout):
        """Wait for the process to exit; returns its exit code or None on timeout."""
        try:
            self.returncode = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        return self.returncode

    def stop(self, timeout=None):
        """SIGTERM, wait; returns (exit code, stderr).  Exit code is None
        if the process had to be killed."""
        if self.proc is None:
            return None, ""
        timeout = timeout if timeout is not None else t(10)
        rc = self.proc.poll()
        if rc is None:
            self.proc.send_signal(signal.SIGTERM)
            rc = self.wait_exit(timeout)
            if rc is None:
                self.kill()
        self.returncode = rc
        self._forget()
        return rc, self.stderr()

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.proc.kill()
            except OSError:
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self._forget()

    def _forget(self):
        if self in _live_servers:
            _live_servers.remove(self)
        if not self._scanned and self.proc is not None and self.proc.poll() is not None:
            self._scanned = True
            found = sanitizer_report(self.stderr())
            if found:
                sanitizer_reports.append("%s: %s" % (self.binary, found))

    def stderr(self):
        if self._stderr_file is None:
            return ""
        self._stderr_file.seek(0)
        return self._stderr_file.read().decode("utf-8", "replace")

    def stderr_tail(self, n=1500):
        s = self.stderr()
        return s if len(s) <= n else "..." + s[-n:]

    # helpers
    def connect(self, timeout=None):
        return Conn(self.port, timeout=timeout)

    def request(self, method, target, headers=None, body=b"", timeout=None):
        """One request on a fresh connection; returns the Response."""
        with self.connect(timeout=timeout) as c:
            c.send(build_request(method, target, headers=headers, body=body))
            return c.read_response(method=method)

    def get(self, target, headers=None, timeout=None):
        return self.request("GET", target, headers=headers, timeout=timeout)

    def __enter__(self):
        if self.proc is None:
            self.start()
        return self

    def __exit__(self, *exc):
        if self.alive():
            self.stop()
        else:
            self._forget()
        return False


def server(binary="tests/testapp", workers=2, args=(), **kw):
    """Start a server; use with `with`."""
    return Server(binary=binary, workers=workers, args=args, **kw).start()


def kill_all_servers():
    for s in list(_live_servers):
        s.kill()


# Shared servers: many small tests reuse one process. The runner checks
# after each test that the shared servers are still alive.
_shared = {}


def shared_server(workers=2, args=(), binary="tests/testapp"):
    key = (binary, workers, tuple(args))
    s = _shared.get(key)
    if s is not None and s.alive():
        return s
    s = Server(binary=binary, workers=workers, args=args).start()
    _live_servers.remove(s)  # owned by _shared, not by a test
    _shared[key] = s
    return s


def check_shared_servers():
    """Returns a list of descriptions of shared servers that died."""
    dead = []
    for key, s in list(_shared.items()):
        if not s.alive():
            dead.append("shared server %s %s died (exit %r); stderr: %s"
                        % (key[0], " ".join(key[2]), s.proc.returncode, s.stderr_tail()))
            del _shared[key]
    return dead


def stop_shared_servers():
    """Stop the shared servers; returns a list of problems (exit code not
    0 on SIGTERM)."""
    problems = []
    for key, s in list(_shared.items()):
        rc, err = s.stop(timeout=t(5))
        if rc != 0:
            problems.append("shared server %s %s: exit code %r on SIGTERM; stderr: %s"
                            % (key[0], " ".join(key[2]), rc, s.stderr_tail(800)))
        del _shared[key]
    return problems


# --- requests ------------------------------------------------------------------

def build_request(method, target, headers=None, body=b"", version="HTTP/1.1",
                  host="127.0.0.1"):
    """Build raw request bytes.  headers: list of (name, value) or dict.
    A Host header is added unless headers has one or host is None; a
    Content-Length is added for a non-empty body unless headers sets
    Content-Length or Transfer-Encoding."""
    if isinstance(body, str):
        body = body.encode()
    if headers is None:
        headers = []
    elif isinstance(headers, dict):
        headers = list(headers.items())
    names = {n.lower() for n, _ in headers}
    lines = ["%s %s %s" % (method, target, version)]
    if host is not None and "host" not in names:
        lines.append("Host: %s" % host)
    for n, v in headers:
        lines.append("%s: %s" % (n, v))
    if body and "content-length" not in names and "transfer-encoding" not in names:
        lines.append("Content-Length: %d" % len(body))
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def chunked(*chunks, trailers=None, ext=None):
    """Encode chunks (bytes/str) as a chunked body."""
    out = b""
    for i, ch in enumerate(chunks):
        if isinstance(ch, str):
            ch = ch.encode()
        e = ext[i] if ext else ""
        out += b"%x%s\r\n" % (len(ch), e.encode()) + ch + b"\r\n"
    out += b"0\r\n"
    for n, v in (trailers or []):
        out += ("%s: %s\r\n" % (n, v)).encode()
    return out + b"\r\n"


class Response:
    def __init__(self):
        self.version = None
        self.status = None
        self.reason = None
        self.headers = []       # list of (name, value), names as sent
        self.body = b""
        self.trailers = []
        self.chunked = False
        self.chunks = []        # the chunk payloads, if chunked
        self.until_close = False
        self.raw_head = b""
        self.interim = []       # 1xx responses that preceded this one

    def header(self, name, default=None):
        name = name.lower()
        for n, v in self.headers:
            if n.lower() == name:
                return v
        return default

    def header_all(self, name):
        name = name.lower()
        return [v for n, v in self.headers if n.lower() == name]

    def has(self, name):
        return self.header(name) is not None

    def json(self):
        try:
            return json.loads(self.body.decode("utf-8"))
        except ValueError as e:
            raise TestFailure("body is not JSON (%s): %s" % (e, shorten(self.body)))

    def text(self):
        return self.body.decode("utf-8", "replace")

    def connection_tokens(self):
        toks = set()
        for v in self.header_all("Connection"):
            toks |= {x.strip().lower() for x in v.split(",") if x.strip()}
        return toks

    def __repr__(self):
        return "<Response %s %s %s body=%s>" % (self.version, self.status,
                                                 self.headers, shorten(self.body, 80))


class Conn:
    """A client connection with a receive buffer and bounded reads."""

    def __init__(self, port, timeout=None, host="127.0.0.1", sock=None):
        self.timeout = timeout if timeout is not None else t(5)
        if sock is None:
            sock = socket.create_connection((host, port), timeout=self.timeout)
        self.sock = sock
        self.sock.settimeout(self.timeout)
        self.buf = bytearray()
        self.eof = False
        self.reset = False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def send(self, data, split=None, delay=0.0):
        """Send bytes. split: list of cut offsets to send in pieces with
        `delay` seconds between them."""
        if isinstance(data, str):
            data = data.encode("latin-1")
        if not split:
            self.sock.sendall(data)
            return
        prev = 0
        for cut in list(split) + [len(data)]:
            piece = data[prev:cut]
            if piece:
                self.sock.sendall(piece)
                if delay:
                    time.sleep(delay)
            prev = cut

    def _fill(self, deadline):
        """Read more bytes into buf; returns False at EOF."""
        if self.eof:
            return False
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TestTimeout("timed out waiting for data (have %s)" % shorten(self.buf))
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            raise TestTimeout("timed out waiting for data (have %s)" % shorten(self.buf))
        except ConnectionResetError:
            self.eof = True
            self.reset = True
            return False
        finally:
            self.sock.settimeout(self.timeout)
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    def _read_line(self, deadline, limit=1 << 20):
        while True:
            i = self.buf.find(b"\n")
            if i >= 0:
                line = bytes(self.buf[:i + 1])
                del self.buf[:i + 1]
                return line
            if len(self.buf) > limit:
                raise TestFailure("line too long in response")
            if not self._fill(deadline):
                raise TestFailure("connection closed in the middle of a line (have %s)"
                                  % shorten(self.buf))

    def _read_exact(self, n, deadline):
        while len(self.buf) < n:
            if not self._fill(deadline):
                raise TestFailure("connection closed after %d of %d body bytes"
                                  % (len(self.buf), n))
        data = bytes(self.buf[:n])
        del self.buf[:n]
        return data

    def read_head(self, deadline=None):
        """Read one status line + headers.  Returns a Response without body."""
        if deadline is None:
            deadline = time.monotonic() + self.timeout
        while not self.buf:
            if not self._fill(deadline):
                raise TestFailure("connection closed before a response"
                                  + (" (reset)" if self.reset else ""))
        r = Response()
        raw = bytearray()
        line = self._read_line(deadline)
        raw += line
        if not line.endswith(b"\r\n"):
            raise TestFailure("status line not CRLF-terminated: %s" % shorten(line))
        parts = line[:-2].decode("latin-1").split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/"):
            raise TestFailure("bad status line: %s" % shorten(line))
        r.version = parts[0]
        try:
            r.status = int(parts[1])
        except ValueError:
            raise TestFailure("bad status code: %s" % shorten(line))
        r.reason = parts[2] if len(parts) > 2 else ""
        while True:
            line = self._read_line(deadline)
            raw += line
            if line == b"\r\n":
                break
            if not line.endswith(b"\r\n"):
                raise TestFailure("header line not CRLF-terminated: %s" % shorten(line))
            s = line[:-2].decode("latin-1")
            if ":" not in s:
                raise TestFailure("bad header line: %s" % shorten(line))
            n, v = s.split(":", 1)
            if n != n.strip() or not n:
                raise TestFailure("bad header name: %s" % shorten(line))
            r.headers.append((n, v.strip(" \t")))
        r.raw_head = bytes(raw)
        return r

    def read_response(self, method="GET", timeout=None, allow_interim=True):
        """Read one complete response with HTTP/1.1 framing.  1xx responses
        are collected into .interim (or returned when allow_interim=False)."""
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        interim = []
        while True:
            r = self.read_head(deadline)
            if 100 <= r.status < 200 and r.status != 101:
                if not allow_interim:
                    return r
                interim.append(r)
                continue
            break
        r.interim = interim
        self._read_body(r, method, deadline)
        return r

    def _read_body(self, r, method, deadline):
        if method == "HEAD" or r.status in (204, 304) or 100 <= r.status < 200:
            return
        te = ",".join(r.header_all("Transfer-Encoding")).lower()
        if te:
            codings = [x.strip() for x in te.split(",") if x.strip()]
            if codings[-1:] != ["chunked"]:
                r.until_close = True
                r.body = self._read_until_close(deadline)
                return
            r.chunked = True
            body = bytearray()
            while True:
                line = self._read_line(deadline)
                if not line.endswith(b"\r\n"):
                    raise TestFailure("chunk size line not CRLF: %s" % shorten(line))
                size_s = line[:-2].split(b";", 1)[0].strip()
                try:
                    size = int(size_s, 16)
                except ValueError:
                    raise TestFailure("bad chunk size line: %s" % shorten(line))
                if size == 0:
                    break
                data = self._read_exact(size, deadline)
                crlf = self._read_exact(2, deadline)
                if crlf != b"\r\n":
                    raise TestFailure("chunk data not followed by CRLF: %s" % shorten(crlf))
                r.chunks.append(data)
                body += data
            while True:
                line = self._read_line(deadline)
                if line == b"\r\n":
                    break
                s = line.rstrip(b"\r\n").decode("latin-1")
                n, _, v = s.partition(":")
                r.trailers.append((n, v.strip()))
            r.body = bytes(body)
            return
        cls = r.header_all("Content-Length")
        if cls:
            if len(set(cls)) != 1:
                raise TestFailure("response has differing Content-Length: %r" % cls)
            try:
                n = int(cls[0])
            except ValueError:
                raise TestFailure("response has bad Content-Length %r" % cls[0])
            r.body = self._read_exact(n, deadline)
            return
        r.until_close = True
        r.body = self._read_until_close(deadline)

    def _read_until_close(self, deadline):
        while self._fill(deadline):
            pass
        data = bytes(self.buf)
        del self.buf[:]
        return data

    def wait_closed(self, timeout=None):
        """Wait until the peer closes (EOF or reset).  Returns
        (closed, extra_bytes): closed=False if still open at the timeout.
        Any bytes received meanwhile are returned, not kept."""
        timeout = timeout if timeout is not None else t(2)
        deadline = time.monotonic() + timeout
        extra = bytes(self.buf)
        del self.buf[:]
        if self.eof:
            return True, extra
        while True:
            try:
                more = self._fill(deadline)
            except TestTimeout:
                extra += bytes(self.buf)
                del self.buf[:]
                return False, extra
            extra += bytes(self.buf)
            del self.buf[:]
            if not more:
                return True, extra

    def assert_closed(self, timeout=None, what="connection"):
        closed, extra = self.wait_closed(timeout)
        if extra:
            raise TestFailure("%s: unexpected bytes after response: %s"
                              % (what, shorten(extra)))
        if not closed:
            raise TestFailure("%s: server did not close the connection" % what)

    def assert_open(self, wait=0.2, what="connection"):
        closed, extra = self.wait_closed(wait)
        if extra:
            raise TestFailure("%s: unexpected bytes: %s" % (what, shorten(extra)))
        if closed:
            raise TestFailure("%s: server closed the connection" % what)


def expect(r, status=None, body=None, ctype=None):
    """Assert fields of a Response."""
    if status is not None and r.status != status:
        raise TestFailure("status: got %r, want %r (body %s)"
                          % (r.status, status, shorten(r.body)))
    if ctype is not None:
        got = r.header("Content-Type")
        got_main = got.split(";")[0].strip().lower() if got else None
        if got_main != ctype.lower():
            raise TestFailure("Content-Type: got %r, want %r" % (got, ctype))
    if body is not None:
        if isinstance(body, str):
            body = body.encode()
        if r.body != body:
            raise TestFailure("body: got %s, want %s" % (shorten(r.body), shorten(body)))
    return r


def common_headers(r):
    """Every response has Date and Server."""
    check(r.has("Date"), "response has no Date header")
    check(r.has("Server"), "response has no Server header")


def problem(r, status):
    """An application/problem+json error response with the given status."""
    expect(r, status=status, ctype="application/problem+json")
    j = r.json()
    check(isinstance(j, dict), "problem body is not an object: %s" % shorten(r.body))
    eq(j.get("status"), status, "problem 'status' member")
    return j
