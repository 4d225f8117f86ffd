"""tests/freeport.py - free TCP ports of 127.0.0.1 for the test servers,
never handed out twice while in use.

The kernel gives a free port to bind(port 0), but the test closes that
socket and passes the number to a server that binds it a moment later. In
that window another test process (the black-box runner runs several at a
time, and other checkouts may run theirs) can be given the same number,
and Kiln's listeners use SO_REUSEPORT: two servers of one user would then
share the port and answer each other's requests. So each number handed
out is written, with a time, to one file shared by every test process of
the machine (under a lock); a number written there in the last
RESERVE_SECONDS is not handed out again.

  port = freeport.take()
"""
import fcntl
import os
import socket
import tempfile
import time

# How long a number stays taken: longer than any test keeps a port
# between start and restart (tests stop a server and start it again on
# the same port).
RESERVE_SECONDS = 900


def _path():
    base = "/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir()
    return os.environ.get("KILN_TEST_PORTS_FILE") or os.path.join(
        base, "kiln-test-ports-%d" % os.getuid())


def _kernel_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


def take():
    """A port of 127.0.0.1 that is free now and was not handed out by
    take() in any test process in the last RESERVE_SECONDS. Raises
    OSError if the shared file cannot be used (then the kernel's number
    alone would be no better)."""
    with open(_path(), "a+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            f.seek(0)
            now = time.time()
            taken = {}
            for line in f.read().split("\n"):
                parts = line.split()
                if len(parts) == 2 and parts[0].isdigit():
                    try:
                        until = float(parts[1])
                    except ValueError:
                        continue
                    if until > now:
                        taken[int(parts[0])] = until
            for _ in range(200):
                port = _kernel_port()
                if port not in taken:
                    break
            taken[port] = now + RESERVE_SECONDS
            f.seek(0)
            f.truncate()
            f.write("".join("%d %.0f\n" % kv for kv in taken.items()))
            f.flush()
            return port
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
