#!/usr/bin/env python3
"""Open N keep-alive connections to 127.0.0.1:PORT, send one GET on each,
read each complete response, then keep them all open.

    hold_conns.py PORT N [PATH]

Prints "ready OK/N" on stdout once every response has been read, then
holds the connections until SIGTERM or 300 s pass."""

import errno
import selectors
import signal
import socket
import sys
import time


def main():
    port, n = int(sys.argv[1]), int(sys.argv[2])
    path = sys.argv[3] if len(sys.argv) > 3 else "/plaintext"
    req = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % path).encode()
    sel = selectors.DefaultSelector()
    socks, bufs, done = [], {}, 0
    failed = 0
    deadline = time.monotonic() + 120
    i = 0
    pending = 0
    while (i < n or pending) and time.monotonic() < deadline:
        while i < n and pending < 512:
            s = socket.socket()
            s.setblocking(False)
            rc = s.connect_ex(("127.0.0.1", port))
            if rc not in (0, errno.EINPROGRESS):
                failed += 1
                s.close()
            else:
                socks.append(s)
                bufs[s] = b""
                sel.register(s, selectors.EVENT_WRITE)
                pending += 1
            i += 1
        for key, ev in sel.select(0.1):
            s = key.fileobj
            if ev & selectors.EVENT_WRITE:
                if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                    failed += 1
                    pending -= 1
                    sel.unregister(s)
                    continue
                s.send(req)
                sel.modify(s, selectors.EVENT_READ)
                continue
            try:
                d = s.recv(4096)
            except OSError:
                d = b""
            bufs[s] += d
            b = bufs[s]
            he = b.find(b"\r\n\r\n")
            cl = None
            if he >= 0:
                for line in b[:he].split(b"\r\n")[1:]:
                    k, _, v = line.partition(b":")
                    if k.strip().lower() == b"content-length":
                        cl = int(v)
            if he >= 0 and cl is not None and len(b) >= he + 4 + cl:
                ok = b.startswith(b"HTTP/1.1 200")
                done += ok
                failed += not ok
                pending -= 1
                sel.unregister(s)
            elif not d:
                failed += 1
                pending -= 1
                sel.unregister(s)
    print("ready %d/%d failed %d" % (done, n, failed), flush=True)
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    end = time.monotonic() + 300
    while not stop and time.monotonic() < end:
        time.sleep(0.2)
    for s in socks:
        s.close()


if __name__ == "__main__":
    main()
