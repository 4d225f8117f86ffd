"""20. The `kiln` command end to end: new, dev (rebuild, restart, errors),
routes, gen, config, build, run. Each test works in a temporary folder.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time

import harness
from harness import check, eq, t
from kilncli import Dev, Project, get_when_up, kiln_bin, run


def timeout(seconds):
    def deco(fn):
        fn.timeout = seconds
        return fn
    return deco


# ---- commands that need no project -------------------------------------------

def test_version_and_help():
    rc, out, err = run(["--version"], "/")
    eq(rc, 0, "--version status")
    check(re.match(r"kiln \d+\.\d+\.\d+\n$", out), "version line: %r" % out)
    rc, out, err = run(["help"], "/")
    eq(rc, 0, "help status")
    for cmd in ("new", "dev", "build", "run", "routes", "config", "gen"):
        check(("  %s " % cmd) in out, "help lists %s: %s" % (cmd, out))
        rc2, out2, err2 = run([cmd, "--help"], "/")
        eq(rc2, 0, "kiln %s --help status (%s)" % (cmd, err2))
        check(out2.startswith("usage: kiln %s" % cmd),
              "kiln %s --help text: %r" % (cmd, out2[:80]))
    check(re.search(r"^  gen .*api\|page\|model", out, re.M),
          "help names the kinds gen makes, model too: " + out)
    rc, out, err = run(["frobnicate"], "/")
    eq(rc, 2, "unknown command status")
    check("unknown command 'frobnicate'" in err, "unknown command message")
    check(err.count("\n") == 1, "one line: %r" % err)


def test_unknown_commands_suggest_the_nearest():
    for typo, near in (("nwe", "new"), ("buidl", "build"), ("rotues", "routes"),
                       ("conifg", "config"), ("dve", "dev")):
        rc, out, err = run([typo], "/")
        eq(rc, 2, "kiln %s status" % typo)
        eq(err, "kiln: unknown command '%s' (did you mean '%s'?)\n" %
           (typo, near), "kiln %s message" % typo)
    rc, out, err = run(["help", "nwe"], "/")
    eq(rc, 2, "kiln help nwe")
    check("did you mean 'new'" in err, err)


@timeout(120)
def test_unknown_flags_exit_2_at_once():
    with Project() as p:
        # every command, in a project where each would otherwise do its
        # work (dev would serve, run would need a build)
        cases = {
            "new": ["new", "x", "--prot", "1"],
            "dev": ["dev", "--prot", "1"],
            "build": ["build", "--prot", "1"],
            "run": ["run", "--prot", "1"],
            "routes": ["routes", "--prot", "1"],
            "config": ["config", "--prot", "1"],
            "gen": ["gen", "api", "x", "--prot", "1"],
            "migrate": ["migrate", "--prot", "1"],
            "render": ["render", "pages/index.html", "--prot", "1"],
        }
        for cmd, args in cases.items():
            t0 = time.monotonic()
            rc, out, err = p.kiln(*args, timeout=20)
            eq(rc, 2, "kiln %s with an unknown flag: status (%s)" % (cmd, err))
            check(time.monotonic() - t0 < t(5), "kiln %s exits at once" % cmd)
            eq(err.count("\n"), 1, "one line for kiln %s: %r" % (cmd, err))
            check(err.startswith("kiln %s: unknown option '--prot'" % cmd),
                  "kiln %s names the flag: %r" % (cmd, err))
            eq(out, "", "kiln %s printed nothing else" % cmd)
        # the commands whose flags go to the app suggest the app's flag
        for cmd in ("dev", "run", "config", "migrate"):
            rc, out, err = p.kiln(cmd, "--prot", "1", timeout=20)
            check("did you mean '--port'?" in err, "%s: %r" % (cmd, err))
        # a flag of the app with a bad value is a usage error too
        rc, out, err = p.kiln("dev", "--workers", "many", timeout=20)
        eq(rc, 2, "dev --workers many")
        check("--workers" in err and err.count("\n") == 1, err)
        check(not os.path.exists(p.path(".kiln/dev")), "dev built nothing")
        check(not os.path.exists(p.path("api/x.c")), "gen wrote nothing")
        check(not os.path.exists(p.path("x")), "new wrote nothing")


def test_broken_kiln_toml_fails_every_command():
    with Project() as p:
        p.write("kiln.toml", '[app]\nname = "app"\ntitle = "unterminated\n')
        for args in (["build"], ["routes"], ["dev"], ["run"], ["config"],
                     ["migrate"], ["gen", "api", "x"],
                     ["render", "pages/index.html"]):
            rc, out, err = p.kiln(*args, timeout=30)
            eq(rc, 1, "kiln %s with a broken kiln.toml (%s)" % (args[0], err))
            check(re.search(r"kiln %s: kiln\.toml:3:\d+: " % args[0], err),
                  "kiln %s names kiln.toml:3:COL: %r" % (args[0], err))
        check(not os.path.exists(p.path("dist")), "no binary was built")
        check(not os.path.exists(p.path("api/x.c")), "gen wrote nothing")
        # a key that is not a setting: the build would make a binary that
        # refuses to start, so it stops here
        p.write("kiln.toml", '[server]\nprot = 8000\n')
        rc, out, err = p.kiln("build")
        eq(rc, 1, "build with an unknown key")
        check("kiln.toml:2:1: unknown key 'prot'" in err and "port" in err, err)
        check(not os.path.exists(p.path("dist/app")), "no binary was built")


def test_outside_a_project():
    d = tempfile.mkdtemp(prefix="kiln-none-")
    try:
        for cmd in (["routes"], ["build"], ["dev"], ["config"], ["run"]):
            rc, out, err = run(cmd, d)
            eq(rc, 1, "kiln %s outside a project" % cmd[0])
            check("not a Kiln project" in err and err.count("\n") == 1,
                  "one-line reason: %r" % err)
    finally:
        os.rmdir(d)


def test_new_refuses_bad_names_and_existing_projects():
    with Project() as p:
        rc, out, err = run(["new", "app"], p.parent)
        eq(rc, 1, "new over an existing project")
        check("already a Kiln project" in err, err)
        for bad in ("", "-x", "a b", "../x/.."):
            rc, out, err = run(["new", bad], p.parent)
            check(rc == 2, "kiln new %r: status %d" % (bad, rc))
        rc, out, err = run(["new"], p.parent)
        eq(rc, 2, "new without a name")


def test_new_scaffold_contents():
    with Project("shop") as p:
        for f in ("kiln.toml", "api/hello.c", "pages/index.html",
                  "static/style.css", "tests/smoke.sh", ".gitignore",
                  "README.md"):
            check(os.path.isfile(p.path(f)), "kiln new made %s" % f)
        check('name = "shop"' in p.read("kiln.toml"), "app name in kiln.toml")
        check(".kiln/" in p.read(".gitignore"), ".gitignore lists .kiln/")
        readme = p.read("README.md")
        check("- `models/`:" in readme and "kiln gen model" in readme and
              "kiln migrate --make" in readme,
              "the README describes models/ and their migrations: " + readme)


# ---- routes --------------------------------------------------------------------

def test_routes_table():
    with Project() as p:
        p.write("api/posts/[id].c", "#include <kiln.h>\n"
                "KILN_GET(show) { return kiln_text(c, 200, \"%s\", \"x\"); }\n"
                "/* KILN_PUT(not_this) is a comment */\n"
                "KILN_DELETE(del) { return kiln_text(c, 200, \"%s\", \"x\"); }\n")
        p.write("api/files/[...path].c", "#include <kiln.h>\n"
                "KILN_GET(get) { return kiln_text(c, 200, \"%s\", \"x\"); }\n")
        p.write("api/index.c", "#include <kiln.h>\n"
                "KILN_POST(post) { return kiln_text(c, 200, \"%s\", \"x\"); }\n")
        p.write("api/_util.c", "int util(void) { return 1; }\n")
        p.write("pages/about/index.html", "<p>about</p>\n")
        p.write("pages/_layout.html", "<html></html>\n")
        p.write("pages/blog/[slug].html", "<p>post</p>\n")
        rc, out, err = p.kiln("routes")
        eq(rc, 0, "kiln routes status (%s)" % err)
        rows = [l.split() for l in out.splitlines()[1:]]
        eq(out.split()[:4], ["METHOD", "PATH", "NAME", "FILE"], out)
        want = [
            ["GET", "/", "index", "pages/index.html"],
            ["GET", "/about", "about", "pages/about/index.html"],
            ["POST", "/api", "api", "api/index.c"],
            ["GET", "/api/files/{...path}", "api.files.path",
             "api/files/[...path].c"],
            ["GET", "/api/hello", "api.hello", "api/hello.c"],
            ["DELETE", "/api/posts/{id}", "api.posts.id", "api/posts/[id].c"],
            ["GET", "/api/posts/{id}", "api.posts.id", "api/posts/[id].c"],
            ["GET", "/blog/{slug}", "blog.slug", "pages/blog/[slug].html"],
        ]
        for w in want:
            check(w in rows, "route %s in:\n%s" % (w, out))
        check(not any("_util" in " ".join(r) or "_layout" in " ".join(r)
                      for r in rows), "helpers are not routed:\n" + out)
        check(not any(r[0] == "PUT" for r in rows), "commented-out handler")


def test_route_conflicts_and_bad_conventions():
    cases = [
        ({"api/users.c": "KILN_GET(a){return 0;}",
          "api/users/index.c": "KILN_GET(b){return 0;}"},
         ["route conflict", "api/users.c", "api/users/index.c"]),
        ({"api/[id].c": "KILN_GET(a){return 0;}",
          "api/[slug]/x.c": "KILN_GET(b){return 0;}"},
         ["route conflict", "api/[id].c", "api/[slug]/x.c"]),
        ({"pages/about.html": "x", "pages/about/index.html": "y"},
         ["route conflict", "pages/about.html", "pages/about/index.html"]),
        ({"pages/api/hello.html": "x"},
         ["route conflict", "api/hello.c", "pages/api/hello.html"]),
        ({"api/[id.c": "KILN_GET(a){return 0;}"}, ["api/[id.c", "parameter"]),
        ({"api/[...rest]/more.c": "KILN_GET(a){return 0;}"},
         ["api/[...rest]/more.c", "last"]),
        ({"api/tool.py": "print(1)"}, ["api/tool.py", "unknown file"]),
        ({"api/empty.c": "int x;"}, ["api/empty.c", "no handler"]),
        ({"api/a b.c": "KILN_GET(a){return 0;}"}, ["api/a b.c"]),
        ({"pages/logo.png": "x"}, ["pages/logo.png", "static/"]),
        ({"api/[id]/[id].c": "KILN_GET(a){return 0;}"}, ["twice"]),
    ]
    for files, needles in cases:
        with Project() as p:
            for f, text in files.items():
                p.write(f, "#include <kiln.h>\n" + text + "\n")
            rc, out, err = p.kiln("routes")
            eq(rc, 1, "kiln routes with %s" % list(files))
            for n in needles:
                check(n in err, "%r in the error for %s: %r" % (n, list(files),
                                                              err))
            rc, out, err2 = p.kiln("build")
            eq(rc, 1, "kiln build with %s" % list(files))
            check(needles[0] in err2, "build names it too: %r" % err2)


def test_gen_adds_files_in_place():
    with Project() as p:
        rc, out, err = p.kiln("gen", "api", "users/[id]")
        eq(rc, 0, "gen api status (%s)" % err)
        check(os.path.isfile(p.path("api/users/[id].c")), "api file made")
        rc, out, err = p.kiln("gen", "page", "about")
        eq(rc, 0, "gen page status (%s)" % err)
        check(os.path.isfile(p.path("pages/about.html")), "page made")
        check("kiln_redirect(c, 303," in p.read("pages/about.c"),
              "the loader says how an action goes on: " +
              p.read("pages/about.c"))
        rc, out, err = p.kiln("gen", "page", "about")
        eq(rc, 1, "gen over an existing file")
        rc, out, err = p.kiln("gen", "frob", "x")
        eq(rc, 2, "gen of an unknown kind")
        rc, out, err = p.kiln("gen", "api", "bad[name")
        eq(rc, 1, "gen with a name that breaks the rules")
        check(not os.path.exists(p.path("api/bad[name.c")), "not left behind")
        rc, out, err = p.kiln("routes")
        check("/api/users/{id}" in out and "/about" in out, out)


@timeout(240)
def test_gen_every_kind_with_awkward_names_compiles_and_serves():
    names = ["notes/index", "time", "random", "[id]", "a/b/[id]", "my-page",
             "files/[...rest]", "x/[int]"]
    with Project() as p:
        for name in names:
            for kind in ("api", "page"):
                rc, out, err = p.kiln("gen", kind, name)
                eq(rc, 0, "kiln gen %s %s (%s)" % (kind, name, err))
        # the comment names the route the file serves
        api = p.read("api/notes/index.c")
        check("GET /api/notes\n" in api and "/api/notes/index" not in api,
              "the route in the comment: %s" % api)
        check("KILN_LOAD(" in p.read("pages/a/b/[id].c"), "a page's loader")
        check("kiln_param(c, \"id\")" in p.read("pages/a/b/[id].c"),
              "the loader reads the parameter")
        check("[id]" not in p.read("pages/a/b/[id].html"), "no '[id]' title")
        # handlers that ignore `c` (and a loader that ignores both), with
        # labels libc uses: no collision, no "unused parameter" warning
        p.write("api/quiet.c", "#include <kiln.h>\n#include <strings.h>\n"
                "#include <time.h>\n#include <stdlib.h>\n"
                "KILN_GET(index) { return KILN_EINVAL; }\n"
                "KILN_POST(time) { return KILN_EINVAL; }\n"
                "KILN_PUT(random) { return KILN_EINVAL; }\n")
        p.write("pages/quiet.html", "<p>quiet</p>\n")
        p.write("pages/quiet.c", "#include <kiln.h>\n"
                "KILN_LOAD(index) { return 0; }\n")
        rc, out, err = p.kiln("build")
        eq(rc, 0, "what gen wrote compiles (%s)" % err)
        check("warning:" not in err, "and without a warning: %s" % err)
        port = harness.free_port()
        env = kilncli_env({"KILN_APP_SECRET_KEY": "g" * 20 + "Q7x!" + "z" * 20})
        srv = subprocess.Popen([p.path("dist/app"), "--port", str(port),
                                "--workers", "1"], cwd=p.root, env=env,
                               stderr=subprocess.PIPE)
        try:
            check(get_when_up(port, "/api/time") is not None, "it serves")
            want_json = {
                "/api/notes": {"ok": True}, "/api/time": {"ok": True},
                "/api/random": {"ok": True}, "/api/42": {"id": "42"},
                "/api/a/b/7": {"id": "7"}, "/api/my-page": {"ok": True},
                "/api/files/x/y.txt": {"rest": "x/y.txt"},
                "/api/x/9": {"int": "9"},
            }
            for target, body in want_json.items():
                r = get_when_up(port, target)
                eq(r.status, 200, "GET %s" % target)
                eq(r.json(), body, "GET %s body" % target)
            want_page = {
                "/notes": "<h1>Notes</h1>", "/time": "<h1>Time</h1>",
                "/random": "<h1>Random</h1>", "/42": "<h1>Id 42</h1>",
                "/a/b/7": "<h1>B 7</h1>", "/my-page": "<h1>My page</h1>",
                "/files/x/y.txt": "<h1>Files x/y.txt</h1>",
                "/x/9": "<h1>X 9</h1>",
            }
            for target, h1 in want_page.items():
                r = get_when_up(port, target)
                eq(r.status, 200, "GET %s" % target)
                check(h1.encode() in r.body and b"<title>" + h1[4:-5].encode()
                      + b"</title>" in r.body,
                      "GET %s shows %s: %s" % (target, h1, r.body[:400]))
        finally:
            srv.terminate()
            srv.wait(timeout=t(20))
        # nothing is overwritten, and a broken name leaves nothing behind
        rc, out, err = p.kiln("gen", "page", "time")
        eq(rc, 1, "gen over existing files")
        rc, out, err = p.kiln("gen", "pgae", "y")
        eq(rc, 2, "an unknown kind")
        check("did you mean 'page'?" in err, err)
        rc, out, err = p.kiln("gen", "page", "bad[name")
        eq(rc, 1, "a name that breaks the routing rules")
        check(not os.path.exists(p.path("pages/bad[name.html")) and
              not os.path.exists(p.path("pages/bad[name.c")),
              "no file left behind")


# ---- config --------------------------------------------------------------------

def test_config_precedence_and_origins():
    with Project() as p:
        p.write("kiln.toml", '[app]\nname = "app"\n[server]\nport = 8100\n'
                'workers = 3\nhost = "127.0.0.1"\n')
        p.write(".env", "KILN_SERVER_WORKERS=4\nKILN_SERVER_IDLE_TIMEOUT_MS=5000\n")
        rc, out, err = p.kiln("config", "--port", "8300",
                              env={"KILN_SERVER_IDLE_TIMEOUT_MS": "7000"})
        eq(rc, 0, "kiln config status (%s)" % err)
        lines = {l.split(" = ")[0].strip(): l for l in out.splitlines()
                 if " = " in l}
        check("8300" in lines["server.port"] and "--port" in lines["server.port"],
              lines.get("server.port"))
        check("4" in lines["server.workers"] and ".env:1" in lines["server.workers"],
              lines.get("server.workers"))
        check("7000" in lines["server.idle_timeout_ms"] and
              "KILN_SERVER_IDLE_TIMEOUT_MS" in lines["server.idle_timeout_ms"],
              lines.get("server.idle_timeout_ms"))
        check("kiln.toml:6" in lines["server.host"], lines.get("server.host"))
        check("default" in lines["server.max_body"], lines.get("server.max_body"))
        sk = lines["app.secret_key"]
        check("generated" in sk and "****" in sk, sk)
        # production: no .env, no generated key, and it says how to set one
        rc, out, err = p.kiln("config", "--prod")
        eq(rc, 1, "config --prod without a secret key")
        check("KILN_APP_SECRET_KEY" in err, err)


def test_config_errors_name_the_place():
    with Project() as p:
        p.write("kiln.toml", '[server]\nprot = 8000\n')
        rc, out, err = p.kiln("config")
        eq(rc, 1, "unknown key status")
        check("kiln.toml:2" in err and "prot" in err and "port" in err,
              "unknown key message: %r" % err)
        p.write("kiln.toml", '[server]\nport = "eighty"\n')
        rc, out, err = p.kiln("config")
        eq(rc, 1, "wrong type status")
        check("kiln.toml:2" in err and "server.port" in err or "port" in err,
              "wrong type message: %r" % err)
        p.write("kiln.toml", '[server\nport = 1\n')
        rc, out, err = p.kiln("config")
        eq(rc, 1, "bad TOML status")
        check(re.search(r"kiln\.toml:1:\d+", err), "file:line:col: %r" % err)


# ---- dev -----------------------------------------------------------------------

HELLO_V2 = """#include <kiln.h>
KILN_GET(hello) { return kiln_jsonf(c, 200, "{message:%s}", "version two"); }
"""


@timeout(180)
def test_dev_serves_and_rebuilds():
    # compiler messages in colour, as in a terminal: the page and the JSON
    # must show them without the escapes
    with Project() as p, Dev(p, env={"CFLAGS":
                                     "-fdiagnostics-color=always"}) as d:
        r = d.wait_for("/api/hello?name=you", lambda r: r.status == 200,
                       "the first build")
        eq(r.json(), {"message": "Hello, you!"}, "api/hello.c answer")
        eq(r.header("Content-Type"), "application/json", "JSON type")
        r = d.get("/")
        eq(r.status, 200, "GET / (pages/index.html)")
        check(b"<h1>app</h1>" in r.body, "index page body")
        check(r.header("Content-Type").startswith("text/html"), "page type")
        r = d.get("/static/style.css")
        eq(r.status, 200, "static file")
        check(r.header("Content-Type").startswith("text/css"), "css type")
        eq(d.get("/nope").status, 404, "unknown path")
        # edit a handler: the change is served after a rebuild
        p.write("api/hello.c", HELLO_V2)
        r = d.wait_for("/api/hello", lambda r: b"version two" in r.body,
                       "the edited handler")
        # edit a page: the next request sees it, no rebuild needed
        p.write("pages/index.html", "<h1>edited</h1>\n")
        r = d.get("/")
        # (the file's last newline is dropped, as Jinja2 drops it)
        check(b'<main id="content">\n<h1>edited</h1>  </main>' in r.body,
              "the edited page, at once, in the layout: %r" % r.body[:400])
        # a new file is a new route
        p.write("api/posts/[id].c", "#include <kiln.h>\nKILN_GET(show) {\n"
                "    return kiln_jsonf(c, 200, \"{id:%lld}\",\n"
                "        (long long)kiln_param_int(c, \"id\", -1));\n}\n")
        r = d.wait_for("/api/posts/42", lambda r: r.status == 200,
                       "the new route")
        eq(r.json(), {"id": 42}, "param from the path")
        # a WebSocket under ws/ is routed once saved; a file that does not
        # belong in ws/ rebuilds into an error page until it goes
        p.write("ws/echo.c", "#include <kiln.h>\nKILN_WS(echo) { return 0; }\n")
        d.wait_for("/ws/echo", lambda r: r.status == 426, "the new WebSocket")
        p.write("ws/notes.txt", "x\n")
        r = d.wait_for("/", lambda r: r.status == 500, "a stray file in ws/")
        check(b"ws/notes.txt: unknown file in ws/" in r.body,
              "the page names it: %r" % r.body[:600])
        p.remove("ws/notes.txt")
        d.wait_for("/ws/echo", lambda r: r.status == 426, "ws/ clean again")
        # a conflict is an error page naming both files, then recovers
        p.write("api/posts/[id]/index.c", "#include <kiln.h>\n"
                "KILN_GET(x) { return kiln_text(c, 200, \"%s\", \"x\"); }\n")
        r = d.wait_for("/", lambda r: r.status == 500, "the conflict page")
        check(b"api/posts/[id].c" in r.body and
              b"api/posts/[id]/index.c" in r.body, "both files named")
        check("route conflict" in d.output(), "terminal shows the conflict")
        r = d.get("/api/hello", headers={"Accept": "application/json"})
        eq(r.status, 500, "API clients get the error too")
        eq(r.header("Content-Type"), "application/problem+json", "as JSON")
        p.remove("api/posts/[id]")
        d.wait_for("/api/posts/7", lambda r: r.status == 200, "recovery")
        # a compile error: the author's path, line in terminal and page
        p.write("api/hello.c", "#include <kiln.h>\nKILN_GET(hello) {\n"
                "    return nonsense(c);\n}\n")
        r = d.wait_for("/", lambda r: r.status == 500, "the compile error")
        check(re.search(rb"api/hello\.c:3:\d+", r.body),
              "page shows api/hello.c:3:col: %s" % r.body[:600])
        check(re.search(r"api/hello\.c:3:\d+", d.output()), "terminal too")
        check("\033[" in d.output(), "the terminal got colours")
        check(b"<script" not in r.body.split(b"<pre>")[1].split(b"</pre>")[0],
              "compiler output is escaped")
        # an error in an included header: a JSON client gets all of it
        p.write("api/_broken.h", "static int broken(void) { return nope; }\n")
        p.write("api/hello.c", "#include <kiln.h>\n#include \"_broken.h\"\n"
                "KILN_GET(hello) { return broken(); }\n")
        r = d.wait_for("/api/hello", lambda r: r.status == 500 and
                       b"_broken.h" in r.body, "the header's compile error",
                       headers={"Accept": "application/json"})
        eq(r.header("Content-Type"), "application/problem+json", "problem")
        j = r.json()
        check(j["detail"].startswith("the app does not build: ") and
              "api/_broken.h:1:" in j["detail"] and "error:" in j["detail"],
              "detail is the error line, not the preamble: %r" % j["detail"])
        check("In file included from api/hello.c:2" in j["log"] and
              "nope" in j["log"] and "\033" not in j["log"],
              "log holds the whole diagnostic, without escapes: %r" % j["log"])
        eq(j["status"], 500, "status member")
        r = d.get("/")
        check(b"In file included from api/hello.c:2" in r.body and
              b"nope" in r.body, "the HTML page shows all of it")
        p.remove("api/_broken.h")
        p.write("api/hello.c", HELLO_V2)
        d.wait_for("/api/hello", lambda r: r.status == 200, "fixed again")
        # bad TOML: file:line:col, then fixed
        p.write("kiln.toml", '[app]\nname = "app"\n[server\n')
        r = d.wait_for("/", lambda r: r.status == 500, "the settings error")
        check(re.search(rb"kiln\.toml:3:\d+", r.body), "page: %s" % r.body[:500])
        p.write("kiln.toml", '[app]\nname = "app"\n')
        d.wait_for("/api/hello", lambda r: r.status == 200, "settings fixed")
    eq(d.proc.returncode, 0, "kiln dev exits 0 on Ctrl-C")


@timeout(180)
def test_dev_restart_refuses_no_connection():
    with Project() as p, Dev(p) as d:
        d.wait_for("/api/hello", lambda r: r.status == 200, "the first build")
        stop = threading.Event()
        errors, answers = [], []

        def hammer():
            while not stop.is_set():
                try:
                    r = d.get("/api/hello", timeout=20)
                    answers.append(r.status)
                except Exception as e:  # refused, reset, timeout
                    errors.append(repr(e))

        threads = [threading.Thread(target=hammer) for _ in range(4)]
        for th in threads:
            th.start()
        try:
            for i in range(3):
                p.write("api/hello.c", "#include <kiln.h>\nKILN_GET(hello) {"
                        " return kiln_jsonf(c, 200, \"{v:%d}\", " + str(i) +
                        "); }\n")
                d.wait_for("/api/hello", lambda r, i=i: r.body ==
                           ('{"v":%d}' % i).encode(), "restart %d" % i)
        finally:
            stop.set()
            for th in threads:
                th.join()
        eq(errors, [], "connection errors during restarts")
        check(len(answers) > 20 and all(a == 200 for a in answers),
              "answers during restarts: %d, %s" % (len(answers),
                                                  set(answers)))


CRASH_C = """#include <kiln.h>
#include <stdlib.h>
/* a NULL dereference the sanitizers let through, so the app gets SIGSEGV */
__attribute__((no_sanitize("undefined"))) static int deref(int *p)
{
    return *p;
}
KILN_GET(crash)
{
    int *volatile p = NULL;
    if (kiln_query(c, "die").n)
        return kiln_text(c, 200, "%d", deref(p));
    return kiln_text(c, 200, "%s", "alive");
}
"""


@timeout(120)
def test_dev_restarts_a_crashed_app():
    with Project() as p:
        p.write("api/crash.c", CRASH_C)
        # ASan would catch the SIGSEGV and exit 1: let the signal through
        with Dev(p, env={"ASAN_OPTIONS": "detect_leaks=0:handle_segv=0"}) as d:
            d.wait_for("/api/crash", lambda r: r.status == 200, "first build")
            start = len(d.output())
            pages = []  # what answered while the app was down
            for round in range(3):  # down for 100, 200, then 400 ms
                try:
                    d.get("/api/crash?die=1", timeout=5)
                except Exception:
                    pass  # the connection dies with the app
                # served again without saving a file; meanwhile the page
                # says it crashed
                deadline = time.monotonic() + t(20)
                while time.monotonic() < deadline:
                    try:
                        accept = "application/json" if round == 2 else \
                            "text/html"
                        r = d.get("/api/crash", headers={"Accept": accept})
                    except (OSError, harness.TestFailure):
                        continue
                    if r.status == 200:
                        break
                    pages.append(r)
                    time.sleep(0.01)
                eq(r.status, 200, "served again after crash %d: %s\n"
                   "kiln dev's output: %s" % (round, r.body[:600],
                                              d.output()[start:][-3000:]))
                eq(r.body, b"alive", "the restarted app answers")
            # the app answers before kiln dev's line about it is written
            deadline = time.monotonic() + t(5)
            while (d.output()[start:].count("restarted the app") < 3 and
                   time.monotonic() < deadline):
                time.sleep(0.02)
            out = d.output()[start:]
            check("crashed" in out and "SIGSEGV" in out and
                  "Segmentation fault" in out,
                  "the terminal says it crashed, with the signal: %s" % out)
            check("restarting it in 100 ms" in out, "first delay: %s" % out)
            check("restarting it in 200 ms" in out, "doubled: %s" % out)
            eq(out.count("restarted the app"), 3, "restarts said: %s" % out)
            check("does not build" not in out, "never a build error: " + out)
            check(pages, "the crash page answered while the app was down")
            for r in pages:
                eq(r.status, 503, "while restarting: 503")
                eq(r.header("Retry-After"), "1", "Retry-After")
                check(b"does not build" not in r.body, "not a build error")
                if r.header("Content-Type") == "application/problem+json":
                    j = r.json()
                    check("crashed and is restarting" in j["detail"] and
                          "SIGSEGV" in j["log"], "problem+json: %s" % j)
                else:
                    check(b"The app crashed" in r.body and b"restarting" in
                          r.body and b"SIGSEGV" in r.body,
                          "the page says it crashed: %s" % r.body[:500])


# alone (tests/blackbox/run.py): under the sanitizers, beside other test
# processes on a loaded machine, it once saw two restarts of three
test_dev_restarts_a_crashed_app.serial = True


@timeout(120)
def test_dev_same_handler_names_in_two_files():
    with Project() as p:
        for f in ("api/a.c", "api/b.c"):
            p.write(f, "#include <kiln.h>\nstatic const char *who = \"%s\";\n"
                    "KILN_GET(get) { return kiln_text(c, 200, \"%%s\", who); }\n"
                    % f)
        with Dev(p, args=("--workers", "1")) as d:
            eq(d.wait_for("/api/a", lambda r: r.status == 200, "a").body,
               b"api/a.c", "api/a.c")
            eq(d.get("/api/b").body, b"api/b.c", "api/b.c")
            check("kiln serving the inherited socket (1 worker)\n" in
                  d.output(), "one worker, singular: " + d.output())


# ---- build and run -------------------------------------------------------------

@timeout(180)
def test_build_and_run_release():
    with Project() as p:
        p.write("static/app.0123abcd.js", "console.log(1)\n")
        rc, out, err = p.kiln("build", "--embed-static")
        eq(rc, 0, "kiln build status (%s)" % err)
        binary = p.path("dist/app")
        check(os.access(binary, os.X_OK), "dist/app built: " + out)
        # small: only the libraries a SQLite app uses, stripped, its size
        # said, the debug information beside it
        m = re.search(r"; (\d+) KiB; debug information in (\S+)\)", out)
        check(m, "the size is reported: %r" % out)
        eq(int(m.group(1)), (os.path.getsize(binary) + 1023) // 1024,
           "the size reported is the binary's")
        eq(m.group(2), binary + ".debug", "the debug file named")
        check(os.path.getsize(binary + ".debug") > 0, "debug file written")
        needed = elf_needed(binary)
        check(needed and not any("libpq" in n for n in needed),
              "no libpq among %s" % needed)
        # the C library, SQLite, zlib (WebSocket compression), and auth's:
        # libsodium (argon2id, randomness), libcrypto (JWT signatures),
        # libcurl (OIDC keys, kiln_fetch); nothing else
        # (and, in a sanitizer build, the sanitizers' runtimes)
        allowed = ("libc.so", "ld-linux", "libm.so", "libsqlite3.so",
                   "libz.so", "libsodium.so", "libcrypto.so", "libcurl.so",
                   "libasan.so", "libubsan.so")
        extra = [n for n in needed
                 if not any(n.startswith(a) for a in allowed)]
        eq(extra, [], "only the expected libraries among %s" % needed)
        sections = subprocess.run(["readelf", "-S", "-W", binary],
                                  capture_output=True, text=True).stdout
        check(".gnu_debuglink" in sections and ".debug_info" not in sections
              and ".symtab" not in sections, "stripped, with a debug link")
        # production without a secret key: refuses, says how
        port = harness.free_port()
        pr = subprocess.run([binary, "--port", str(port)], cwd=p.root,
                                    env=kilncli_env(), capture_output=True,
                                    timeout=t(20))
        eq(pr.returncode, 2, "no secret key: exit status")
        check(b"KILN_APP_SECRET_KEY" in pr.stderr, pr.stderr[-300:])
        # move it away from the project: pages and static/ are compiled in
        elsewhere = tempfile.mkdtemp(prefix="kiln-run-")
        moved = os.path.join(elsewhere, "app")
        os.rename(binary, moved)
        p.remove("static")
        p.remove("pages")
        env = kilncli_env({"KILN_APP_SECRET_KEY": "k" * 20 + "Q7x!" + "z" * 20})
        srv = subprocess.Popen([moved, "--port", str(port),
                                        "--workers", "1"], cwd=elsewhere,
                                       env=env, stderr=subprocess.PIPE)
        try:
            r = get_when_up(port, "/")
            check(r is not None, "the release binary answers")
            eq(r.status, 200, "GET / from the compiled-in page")
            check(b"<h1>app</h1>" in r.body, "page body")
            check(r.header("ETag"), "pages carry an ETag")

            def get(target, headers=None):
                c = harness.Conn(port, timeout=t(5))
                try:
                    c.send(harness.build_request("GET", target, headers=headers))
                    return c.read_response()
                finally:
                    c.close()
            r2 = get("/", {"If-None-Match": r.header("ETag")})
            eq(r2.status, 304, "conditional GET of a page")
            r = get("/static/app.0123abcd.js")
            eq(r.status, 200, "embedded static file")
            eq(r.body, b"console.log(1)\n", "embedded static body")
            check("immutable" in (r.header("Cache-Control") or ""),
                  "hashed name is immutable in release: %s" %
                  r.header("Cache-Control"))
            eq(get("/api/hello?name=x").json(), {"message": "Hello, x!"},
               "handler in release")
        finally:
            srv.terminate()
            srv.wait(timeout=t(20))
            shutil.rmtree(elsewhere, ignore_errors=True)
        eq(srv.returncode, 0, "release binary exits 0 on SIGTERM")


def elf_needed(path):
    """The DT_NEEDED libraries of an ELF file (readelf -d)."""
    out = subprocess.run(["readelf", "-d", "-W", path], capture_output=True,
                         text=True, check=True).stdout
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out)


@timeout(60)
def test_postgres_without_libpq_is_a_clear_error():
    # libpq is loaded only for a postgres:// URL: without it, the command
    # says what to install (KILN_LIBPQ names a library that is not there)
    with Project() as p:
        rc, out, err = p.kiln("migrate", "--db", "postgres://127.0.0.1:1/x",
                              env={"KILN_LIBPQ": "libpq-not-here.so.5"})
        eq(rc, 1, "migrate without libpq (%s)" % err)
        check("PostgreSQL needs libpq: install the libpq5 package" in err and
              "libpq-not-here.so.5" in err, err)
        eq(err.count("\n"), 1, "one line: %r" % err)
        # SQLite needs no libpq at all
        p.write("migrations/0001_init.sql", "CREATE TABLE t (x INTEGER);\n")
        rc, out, err = p.kiln("migrate", env={"KILN_LIBPQ": "libpq-not-here"})
        eq(rc, 0, "migrate on SQLite without libpq (%s)" % err)


def kilncli_env(extra=None):
    import kilncli
    return kilncli.env_for(extra)


@timeout(120)
def test_run_needs_a_build_then_runs():
    with Project() as p:
        rc, out, err = p.kiln("run")
        eq(rc, 1, "run before build")
        check("kiln build" in err, err)
        rc, out, err = p.kiln("build")
        eq(rc, 0, "build (%s)" % err)
        rc, out, err = p.kiln("run", "--port", "1", "--workers", "x",
                              env={"KILN_APP_SECRET_KEY": "s" * 10 + "9Kd" + "w" * 30})
        eq(rc, 2, "run with a bad flag")
        check("--workers" in err, err)


@timeout(120)
def test_incremental_build_compiles_only_changes():
    with Project() as p:
        for i in range(6):
            p.write("api/n%d.c" % i, "#include <kiln.h>\nKILN_GET(g) "
                    "{ return kiln_text(c, 200, \"%%d\", %d); }\n" % i)
        rc, out, err = p.kiln("build")
        eq(rc, 0, "first build (%s)" % err)
        # 7 handlers, the route table, the models' descriptions and the
        # OpenAPI document (gen/openapi.c)
        check("10 files compiled" in out, out)
        rc, out, err = p.kiln("build")
        check("(1 file compiled;" in out, "only the route table: " + out)
        time.sleep(0.01)
        p.write("api/n3.c", "#include <kiln.h>\nKILN_GET(g) "
                "{ return kiln_text(c, 200, \"%d\", 33); }\n")
        rc, out, err = p.kiln("build")
        check("(2 files compiled;" in out, "n3 and the table: " + out)
