"""Server-sent events (kiln/sse.h): the event stream as an EventSource
reads it (WHATWG HTML, "event stream interpretation"): events with names,
ids and multi-line data, retry, keep-alive comments, Last-Event-ID
resumption, a client that leaves, and shutdown.
"""

import signal
import time

from harness import build_request, check, eq, server, shared_server, t

ARGS = ["--sse-keepalive-ms", "100"]


def srv():
    return shared_server(args=ARGS)


def parse_stream(text):
    """Events as an EventSource dispatches them: a list of dicts with
    event, data, id, plus 'retry' and 'comments' seen. Lines end in LF,
    CRLF or CR."""
    events, comments = [], []
    retry = None
    ev = {"event": "message", "data": [], "id": None}
    last_id = None
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for line in lines[:-1]:  # the last piece is unterminated
        if line == "":
            if ev["data"]:
                events.append({"event": ev["event"], "data": "\n".join(ev["data"]),
                               "id": last_id})
            ev = {"event": "message", "data": [], "id": None}
            continue
        if line.startswith(":"):
            comments.append(line[1:].lstrip(" "))
            continue
        name, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if name == "event":
            ev["event"] = value
        elif name == "data":
            ev["data"].append(value)
        elif name == "id":
            last_id = value
        elif name == "retry":
            retry = int(value)
    return events, retry, comments


def get_stream(s, target, headers=None, timeout=None):
    with s.connect(timeout=timeout) as c:
        c.send(build_request("GET", target, headers=headers))
        r = c.read_response(timeout=timeout)
    return r


def test_sse_events_ids_retry():
    s = srv()
    r = get_stream(s, "/sse/ticks?n=3")
    eq(r.status, 200, "status")
    eq(r.header("Content-Type"), "text/event-stream", "Content-Type")
    eq(r.header("Cache-Control"), "no-cache", "Cache-Control")
    eq(r.header("X-Accel-Buffering"), "no", "X-Accel-Buffering")
    check(r.chunked, "a chunked stream")
    events, retry, _ = parse_stream(r.body.decode("utf-8"))
    eq(retry, 1500, "retry")
    eq(events, [{"event": "tick", "data": "tick %d\nline two" % i, "id": str(i)}
                for i in (1, 2, 3)], "events")
    # the exact bytes of one event
    check(b"event: tick\nid: 2\ndata: tick 2\ndata: line two\n\n" in r.body,
          "wire form: %r" % r.body)


def test_sse_last_event_id_resumes():
    s = srv()
    r = get_stream(s, "/sse/ticks?n=2", headers=[("Last-Event-ID", "41")])
    events, _, _ = parse_stream(r.body.decode())
    eq([e["id"] for e in events], ["42", "43"], "ids after the last one seen")
    r = get_stream(s, "/sse/ticks?n=2", headers=[("Last-Event-ID", "nope")])
    eq(r.status, 400, "a bad id is the handler's to refuse")


def test_sse_each_event_is_written_at_once():
    # no buffering: the first event arrives long before the stream ends
    s = srv()
    with s.connect(timeout=t(5)) as c:
        c.send(build_request("GET", "/sse/ticks?n=3&ms=%d" % int(t(0.4) * 1000)))
        start = time.monotonic()
        r = c.read_head()
        eq(r.status, 200, "status")
        while b"tick 1" not in c.buf:
            c._fill(time.monotonic() + t(1))
        check(time.monotonic() - start < t(0.35), "the first event waited")


def test_sse_keepalive_comments():
    s = srv()
    r = get_stream(s, "/sse/idle?ms=%d" % int(t(0.5) * 1000), timeout=t(5))
    events, _, comments = parse_stream(r.body.decode())
    check(comments.count("keep-alive") >= 2, "keep-alive comments: %r" % comments)
    eq(events, [{"event": "message", "data": "done", "id": None}], "the event")


def test_sse_client_leaving_wakes_the_handler():
    s = srv()
    before = s.get("/sse/left").json()["left"]
    c = s.connect()
    c.send(build_request("GET", "/sse/forever"))
    r = c.read_head()
    eq(r.status, 200, "status")
    while b"hello" not in c.buf:
        c._fill(time.monotonic() + t(2))
    c.close()
    deadline = time.monotonic() + t(3)
    while time.monotonic() < deadline:
        if s.get("/sse/left").json()["left"] == before + 1:
            return
        time.sleep(0.02)
    check(False, "the handler did not see the client leave")


def test_sse_bad_fields_refused():
    s = srv()
    r = get_stream(s, "/sse/bad")
    events, _, _ = parse_stream(r.body.decode())
    eq(events, [{"event": "result", "data": "-2 -2 -2 -2", "id": ""}], "KILN_EINVAL each")
    check(b"a\nb" not in r.body, "no injected line")


def test_sse_head_and_http10():
    s = srv()
    with s.connect() as c:
        c.send(build_request("HEAD", "/sse/ticks?n=2"))
        r = c.read_response(method="HEAD")
        eq(r.status, 200, "HEAD")
        eq(r.header("Content-Type"), "text/event-stream", "type")
        c.send(build_request("GET", "/plaintext"))
        eq(c.read_response().status, 200, "the connection goes on")
    with s.connect() as c:
        c.send(build_request("GET", "/sse/ticks?n=2", version="HTTP/1.0"))
        r = c.read_response()
        check(r.until_close, "HTTP/1.0: the stream ends with the connection")
        events, _, _ = parse_stream(r.body.decode())
        eq(len(events), 2, "events")


def test_sse_shutdown_ends_waiting_streams():
    with server(args=ARGS + ["--drain-ms", "5000"]) as s:
        c = s.connect(timeout=t(5))
        c.send(build_request("GET", "/sse/forever"))
        eq(c.read_head().status, 200, "status")
        s.signal(signal.SIGTERM)
        rc = s.wait_exit(t(4))
        eq(rc, 0, "exit status (the stream ended at once)")
        c.close()
