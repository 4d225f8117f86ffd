"""WebSockets and server-sent events in a kiln project: KILN_WS found by
file-system routing under ws/ and api/ (listed by `kiln routes` as WS),
the [ws] settings of kiln.toml applied, an event stream from a KILN_GET,
and the scanner's rules and refusals for WebSockets (ws/ holds KILN_WS
only). The app is tests/blackbox/apps/realtime.
"""

import json
import os
import shutil
import subprocess
import tempfile

import harness
from harness import build_request, check, eq, t
from kilncli import env_for, get_when_up, kiln_bin
from test_sse import parse_stream
from wsclient import OP_TEXT, WsConn

APP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "apps", "realtime")
ENV = {"KILN_APP_SECRET_KEY": "k" * 20 + "s3cr3t-for-the-tests-only"}


def kiln(root, *args, timeout=180):
    p = subprocess.run([kiln_bin()] + list(args), cwd=root, env=env_for(ENV),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=t(timeout))
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def copy_app():
    parent = tempfile.mkdtemp(prefix="kiln-realtime-")
    root = os.path.join(parent, "realtime")
    shutil.copytree(APP, root)
    return parent, root


def test_realtime_project():
    parent, root = copy_app()
    proc = None
    try:
        rc, out, err = kiln(root, "routes")
        eq(rc, 0, "kiln routes: " + out + err)
        lines = [l.split() for l in out.splitlines()]
        check(["WS", "/api/ws/echo", "api.ws.echo", "api/ws/echo.c"] in lines, "routes: %s" % out)
        check(["WS", "/ws/room/{name}", "ws.room.name", "ws/room/[name].c"] in lines,
              "routes: %s" % out)
        check(["GET", "/api/events", "api.events", "api/events.c"] in lines, "routes: %s" % out)
        rc, out, err = kiln(root, "build")
        eq(rc, 0, "kiln build: " + out + err)
        port = harness.free_port()
        log = open(os.path.join(parent, "app.log"), "wb")
        proc = subprocess.Popen([os.path.join(root, "dist", "realtime"), "--port", str(port),
                                 "--workers", "2", "--root", root],
                                env=env_for(ENV), stdout=log, stderr=subprocess.STDOUT)
        r = get_when_up(port, "/api/ws/echo")
        check(r is not None, "the app answers")
        eq(r.status, 426, "a plain GET of a WebSocket route")
        with WsConn(port) as c:
            c.open("/api/ws/echo")
            c.send_text("from a project")
            eq(c.read_message(), (OP_TEXT, b"from a project"), "echo")
            c.send_text("x" * 65536)  # ws.max_message = 64KiB
            eq(c.read_message(), (OP_TEXT, b"x" * 65536), "at the limit")
            c.send_text("x" * 65537)
            c.expect_close(1009, reply=False)
        with WsConn(port) as c:
            r = c.open("/ws/room/lobby", headers=[("Sec-WebSocket-Protocol", "room.v1")])
            eq(r.header("Sec-WebSocket-Protocol"), "room.v1", "subprotocol")
            eq(json.loads(c.read_message()[1]), {"room": "lobby", "protocol": "room.v1"},
               "greeting")
            c.send_text("hi")
            eq(json.loads(c.read_message()[1]), {"n": 1, "text": "hi"}, "reply")
        # a bad bearer token is refused before the upgrade (the auth
        # layer's check of the handshake), whatever the handler would do
        for bad in ("Bearer not-a-token", "Bearer kiln_abcdefgh_" + "x" * 40):
            hc = harness.Conn(port)
            hc.send(build_request("GET", "/api/ws/echo", headers=[
                ("Upgrade", "websocket"), ("Connection", "Upgrade"),
                ("Sec-WebSocket-Version", "13"),
                ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
                ("Authorization", bad)]))
            r = hc.read_response()
            hc.close()
            eq(r.status, 401, "a bad bearer on a handshake: " + bad)
            eq(r.header("WWW-Authenticate"), 'Bearer error="invalid_token"',
               "its challenge")
            eq(r.header("Content-Type"), "application/problem+json", "type")
        hc = harness.Conn(port)
        hc.send(build_request("GET", "/api/events?n=2", headers=[("Last-Event-ID", "9")]))
        r = hc.read_response()
        hc.close()
        eq(r.header("Content-Type"), "text/event-stream", "type")
        events, _, _ = parse_stream(r.body.decode())
        eq([(e["event"], e["data"], e["id"]) for e in events],
           [("count", "10", "10"), ("count", "11", "11")], "events")
    finally:
        if proc:
            proc.terminate()
            try:
                proc.wait(timeout=t(10))
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(parent, ignore_errors=True)


test_realtime_project.timeout = 240


def test_ws_scanner_refusals():
    parent, root = copy_app()
    try:
        with open(os.path.join(root, "api", "ws", "echo.c"), "a") as f:
            f.write("\nKILN_GET(also) { return kiln_text(c, 200, \"x\"); }\n")
        rc, out, err = kiln(root, "routes")
        check(rc != 0, "KILN_WS and KILN_GET in one file accepted: " + out)
        check("api/ws/echo.c: KILN_WS and KILN_GET both answer GET" in err,
              "message: " + err)
        shutil.copy(os.path.join(APP, "api", "ws", "echo.c"),
                    os.path.join(root, "api", "ws", "echo.c"))
        os.makedirs(os.path.join(root, "pages"), exist_ok=True)
        with open(os.path.join(root, "pages", "live.c"), "w") as f:
            f.write("#include <kiln.h>\nKILN_WS(live) { return 0; }\n")
        with open(os.path.join(root, "pages", "live.html"), "w") as f:
            f.write("<p>live</p>\n")
        rc, out, err = kiln(root, "routes")
        check(rc != 0 and "pages/live.c: KILN_WS is for ws/ and api/ files" in err,
              "KILN_WS in pages/: %s %s" % (out, err))
        os.unlink(os.path.join(root, "pages", "live.c"))
        # a GET of another file at the same path conflicts with the WebSocket
        os.makedirs(os.path.join(root, "api", "ws", "echo"))
        with open(os.path.join(root, "api", "ws", "echo", "index.c"), "w") as f:
            f.write("#include <kiln.h>\nKILN_GET(g) { return kiln_text(c, 200, \"x\"); }\n")
        rc, out, err = kiln(root, "routes")
        check(rc != 0 and "route conflict" in err and "api/ws/echo.c" in err,
              "conflict: %s %s" % (out, err))
    finally:
        shutil.rmtree(parent, ignore_errors=True)


def write(root, rel, text):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


WS_ECHO = "#include <kiln.h>\nKILN_WS(e) { return 0; }\n"


def routes_of(root):
    rc, out, err = kiln(root, "routes")
    eq(rc, 0, "kiln routes: " + out + err)
    return [l.split() for l in out.splitlines()]


def refused(root, what, *needles):
    """kiln routes (and so kiln build) fails, saying each needle."""
    rc, out, err = kiln(root, "routes")
    check(rc != 0, what + " accepted: " + out)
    for n in needles:
        check(n in err, "%s: %r not in %s" % (what, n, err))


def test_ws_folder_routes():
    """ws/ is routed as api/ is: /ws + the path, index, [param], [...rest],
    '_' helpers compiled and not routed."""
    parent, root = copy_app()
    try:
        write(root, "ws/index.c", WS_ECHO)
        write(root, "ws/feed/[...topic].c", WS_ECHO)
        write(root, "ws/_hub.c", "int hub_count;\n")
        write(root, "ws/_lib/util.c", "int lib_util;\n")
        write(root, "ws/_hub.h", "extern int hub_count;\n")
        lines = routes_of(root)
        for want in (["WS", "/ws", "ws", "ws/index.c"],
                     ["WS", "/ws/feed/{...topic}", "ws.feed.topic",
                      "ws/feed/[...topic].c"],
                     ["WS", "/ws/room/{name}", "ws.room.name", "ws/room/[name].c"],
                     ["WS", "/api/ws/echo", "api.ws.echo", "api/ws/echo.c"]):
            check(want in lines, "%s not in %s" % (want, lines))
        check(not any("_hub" in " ".join(l) or "_lib" in " ".join(l) for l in lines),
              "helpers are not routed: %s" % lines)
    finally:
        shutil.rmtree(parent, ignore_errors=True)


def test_ws_folder_refusals():
    """Only KILN_WS belongs in ws/; every mistake is a build error naming
    the file."""
    parent, root = copy_app()
    room = os.path.join(root, "ws", "room", "[name].c")
    original = open(room).read()
    try:
        # an HTTP handler beside the WebSocket, or alone
        write(root, "ws/room/[name].c",
              original + "\nKILN_POST(say) { return kiln_text(c, 200, \"x\"); }\n")
        refused(root, "KILN_POST in ws/",
                "ws/room/[name].c: ws/ holds WebSocket handlers (KILN_WS) only; "
                "move KILN_POST to a file under api/")
        write(root, "ws/room/[name].c", original)
        write(root, "ws/status.c", "#include <kiln.h>\n"
              "KILN_GET(s) { return kiln_text(c, 200, \"x\"); }\n"
              "KILN_DELETE(d) { return kiln_text(c, 200, \"x\"); }\n")
        refused(root, "KILN_GET in ws/",
                "ws/status.c: ws/ holds WebSocket handlers (KILN_WS) only; "
                "move KILN_GET, KILN_DELETE to a file under api/")
        os.unlink(os.path.join(root, "ws", "status.c"))
        # no handler at all
        write(root, "ws/empty.c", "/* KILN_WS(not_this) in a comment */\nint x;\n")
        refused(root, "a ws/ file without KILN_WS",
                "ws/empty.c: no WebSocket handler here: define KILN_WS(name)")
        os.unlink(os.path.join(root, "ws", "empty.c"))
        # a page loader, an endpoint schema, an unknown file
        write(root, "ws/load.c", "#include <kiln.h>\nKILN_LOAD(l) { return 0; }\n")
        refused(root, "KILN_LOAD in ws/", "ws/load.c: KILN_LOAD is for pages/ files")
        os.unlink(os.path.join(root, "ws", "load.c"))
        write(root, "ws/room/[name].toml", "[input]\n")
        refused(root, "an endpoint schema in ws/",
                "ws/room/[name].toml: unknown file in ws/: WebSocket handlers "
                "are .c files with KILN_WS")
        os.unlink(os.path.join(root, "ws", "room", "[name].toml"))
        write(root, "ws/notes.txt", "x\n")
        refused(root, "a text file in ws/", "ws/notes.txt: unknown file in ws/")
        os.unlink(os.path.join(root, "ws", "notes.txt"))
        # names that are not URL segments or parameters
        write(root, "ws/a b.c", WS_ECHO)
        refused(root, "a space in a ws/ name", "ws/a b.c: 'a b' cannot be part of a URL")
        os.unlink(os.path.join(root, "ws", "a b.c"))
        # a page at the same path as a ws/ WebSocket (both answer GET), and
        # two parameter names at one place
        write(root, "pages/ws/room/[name].html", "<p>room</p>\n")
        refused(root, "a page over a WebSocket", "route conflict: ",
                "pages/ws/room/[name].html", "ws/room/[name].c")
        os.unlink(os.path.join(root, "pages", "ws", "room", "[name].html"))
        write(root, "ws/room/[id]/members.c", WS_ECHO)
        refused(root, "two names for one segment",
                "name the same path segment differently ({id} and {name})")
        shutil.rmtree(os.path.join(root, "ws", "room", "[id]"))
        # and with everything put back, the project scans clean
        check(["WS", "/ws/room/{name}", "ws.room.name", "ws/room/[name].c"] in routes_of(root),
              "clean again")
    finally:
        shutil.rmtree(parent, ignore_errors=True)
