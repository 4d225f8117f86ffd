"""27. Error pages for browsers: a request outside /api/ whose Accept
prefers HTML gets an HTML page for a 4xx/5xx (the development debug page
under kiln dev, else pages/_404.html, _500.html, _error.html or a built-in
page), while /api/ paths and JSON clients keep problem+json byte for byte.
"""

import json
import os
import re
import shutil
import subprocess
import tempfile

import harness
from harness import check, eq, t
from kilncli import Dev, Project, env_for, get_when_up

# what Chromium sends when it opens a page
BROWSER = ("text/html,application/xhtml+xml,application/xml;q=0.9,"
           "image/avif,image/webp,image/apng,*/*;q=0.8,"
           "application/signed-exchange;v=b3;q=0.7")
HTML = [("Accept", BROWSER)]

FAIL_C = r"""#include <kiln.h>

KILN_LOAD(load_fail)
{
    kiln_log(KILN_LOG_WARN, "loading <fail> for user %d", 42);
    (void)ctx;
    return KILN_EIO;
}
"""
DEEP_C = r"""#include <kiln.h>

static volatile int limit = 0; /* never set: the recursion is endless */

static int deep(volatile char *prev, int n)
{
    volatile char frame[1024];
    frame[0] = (char)n;
    frame[1023] = prev ? prev[0] : 0;
    if (limit && n > limit)
        return 0;
    return deep(frame, n + 1) + frame[1];
}

KILN_LOAD(load_deep)
{
    (void)ctx;
    kiln_log(KILN_LOG_INFO, "going deep for %s", kiln_path(c).p);
    return deep(NULL, 0);
}
"""
GONE_C = r"""#include <kiln.h>

KILN_LOAD(load_gone)
{
    (void)ctx;
    return kiln_problem(c, 404, "no such <thing>");
}
"""
BOOM_C = r"""#include <kiln.h>

KILN_GET(boom)
{
    kiln_log(KILN_LOG_INFO, "boom for %s", kiln_request_id(c));
    return KILN_EIO;
}
"""
OVERRIDE_404 = """<h1>Lost: {{ status }} {{ title }}</h1>
<p class="detail">{{ detail }}</p>
<p>{{ path }} ({{ request_id }})</p>
"""
# fails at render time only: a division by zero
BROKEN_500 = "<h1>{{ status // (status - status) }}</h1>\n"
OVERRIDE_ERROR = "<h1>Error page {{ status }}</h1><p>{{ title }}</p>\n"


def project(extra=()):
    p = Project()
    p.write("pages/index.html", "<p>home</p>\n")
    p.write("pages/fail.html", "<p>never shown</p>\n")
    p.write("pages/fail.c", FAIL_C)
    p.write("pages/deep.html", "<p>never shown</p>\n")
    p.write("pages/deep.c", DEEP_C)
    p.write("pages/gone.html", "<p>never shown</p>\n")
    p.write("pages/gone.c", GONE_C)
    p.write("api/boom.c", BOOM_C)
    for rel, text in extra:
        p.write(rel, text)
    return p


def is_html(r, status):
    eq(r.status, status, "status: " + r.text()[:300])
    eq(r.header("Content-Type"), "text/html; charset=utf-8", "HTML for a "
       "browser: " + r.text()[:300])
    check(r.text().lstrip().lower().startswith("<!doctype html>"),
          "a whole document: " + r.text()[:200])
    return r.text()


def is_problem(r, status, instance):
    """problem+json exactly as Kiln always wrote it (members and order)."""
    eq(r.status, status, "status: " + r.text()[:300])
    eq(r.header("Content-Type"), "application/problem+json", "type")
    j = r.json()
    eq(list(j), ["type", "title", "status", "detail", "instance",
                 "request_id"], "members in order: %r" % j)
    eq((j["type"], j["status"], j["instance"]),
       ("about:blank", status, instance), "problem")
    check(re.fullmatch(r"w\d+-\d+", j["request_id"]), j)
    expect = ('{"type":"about:blank","title":"%s","status":%d,"detail":%s,'
              '"instance":"%s","request_id":"%s"}' % (
                  j["title"], status, json.dumps(j["detail"]), instance,
                  j["request_id"]))
    eq(r.body.decode(), expect, "compact, byte for byte")
    return j


def test_debug_page_in_development():
    with project() as p, Dev(p) as d:
        d.wait_for("/", lambda r: r.status == 200, "the index page")
        # a missing page: the debug page lists the routes
        r = d.get("/nope?x=<1>", headers=HTML)
        body = is_html(r, 404)
        check("Accept" in (r.header("Vary") or ""), "Vary: Accept")
        check("404 Not Found" in body and "No route matches" in body, body)
        check("(debug)" in body and "development" in body, body)
        for route in ("/api/boom", "/deep", "/fail", "/gone"):
            check("<code>%s</code>" % route in body, "routes listed: " + route)
        check("GET /nope?x=&lt;1&gt;" in body, "the target, escaped: " + body)
        # a loader that logs, then fails: its lines, its file and line
        r = d.get("/fail", headers=HTML + [
            ("Cookie", "sid=cookie-secret-1"),
            ("Authorization", "Bearer auth-secret-2"),
            ("X-Api-Key", "key-secret-3"), ("X-Trace", "visible-4")])
        body = is_html(r, 500)
        check("The handler failed." in body, body)
        check("loading &lt;fail&gt; for user 42" in body,
              "the handler's log line, escaped: " + body)
        check("GET /fail: handler" in body, "the failure's own line")
        check("<code>pages/fail.c:3:1</code> (KILN_LOAD)" in body,
              "the loader's position: " + body)
        check("<code>/fail</code>" in body and "pages/fail.html" in body,
              "the route and the page")
        for secret in ("cookie-secret-1", "auth-secret-2", "key-secret-3"):
            check(secret not in body, "masked: " + secret)
        check("[masked, 19 bytes]" in body, "the Cookie value masked")
        check("visible-4" in body, "other headers shown")
        # log lines are per request: another request does not see them
        r = d.get("/gone", headers=HTML)
        body = is_html(r, 404)
        check("no such &lt;thing&gt;" in body, body)
        check("loading" not in body, "no other request's lines: " + body)
        check("Nothing was logged." in body, body)
        # a crashed handler (stack overflow)
        r = d.get("/deep", headers=HTML)
        body = is_html(r, 500)
        check("The handler crashed." in body, body)
        check("going deep for /deep" in body and "stack overflow" in body,
              "its lines and the crash: " + body)
        check("<code>pages/deep.c:15:1</code>" in body, body)
        # 405 keeps Allow; HEAD gets the head only
        r = d.request("DELETE", "/", headers=HTML)
        is_html(r, 405)
        check("GET" in (r.header("Allow") or ""), "Allow on the 405")
        r = d.request("HEAD", "/nope", headers=HTML)
        eq((r.status, r.body), (404, b""), "HEAD: no body")
        eq(r.header("Content-Type"), "text/html; charset=utf-8", "HEAD type")
        # JSON clients, curl and /api/ keep problem+json
        for accept in (None, "*/*", "application/json",
                       "text/html;q=0.5, application/json",
                       "text/html;q=0, */*"):
            h = [("Accept", accept)] if accept else []
            r = d.get("/nope", headers=h)
            is_problem(r, 404, "/nope")
            check("Accept" in (r.header("Vary") or ""), "Vary on pages")
        r = d.get("/api/nope", headers=HTML)
        is_problem(r, 404, "/api/nope")
        check(r.header("Vary") is None, "no Vary under /api/")
        r = d.get("/api/boom", headers=HTML)
        is_problem(r, 500, "/api/boom")
        r = d.get("/deep", headers=[("Accept", "application/json")])
        is_problem(r, 500, "/deep")
        eq(r.json()["detail"], "The handler crashed.", "the crash as JSON")
test_debug_page_in_development.timeout = 120


def test_pages_without_debug_default_then_overridden():
    # kiln dev with app.debug off shows what production shows, and reads
    # pages/_404.html from the folder, so an edit shows at once
    with project() as p, Dev(p, env={"KILN_APP_DEBUG": "false"}) as d:
        d.wait_for("/", lambda r: r.status == 200, "the index page")
        r = d.get("/nope", headers=HTML)
        body = is_html(r, 404)
        check("<h1>404 Not Found</h1>" in body, "the built-in page: " + body)
        check("No route matches this path." in body, body)
        check("(debug)" not in body and "Nothing was logged" not in body,
              "no debug page: " + body)
        check(re.search(r"Request w\d+-\d+", body), "the request id")
        p.write("pages/_404.html", OVERRIDE_404)
        r = d.get("/gone", headers=HTML)
        body = is_html(r, 404)
        check("<h1>Lost: 404 Not Found</h1>" in body, "the app's page: " + body)
        check('<p class="detail">no such &lt;thing&gt;</p>' in body,
              "the loader's detail, escaped: " + body)
        check(re.search(r"<p>/gone \(w\d+-\d+\)</p>", body), body)
        check('<main id="content">' in body, "in the layout: " + body[:400])
        # a broken override: the built-in page, and the reason in the log
        p.write("pages/_404.html", "<h1>{{ 1 // 0 }}</h1>")
        r = d.get("/nope", headers=HTML)
        body = is_html(r, 404)
        check("<h1>404 Not Found</h1>" in body, "built-in again: " + body)
        d.wait_output("error page pages/_404.html failed")
        # JSON clients still get problem+json
        is_problem(d.get("/nope"), 404, "/nope")
test_pages_without_debug_default_then_overridden.timeout = 120


def test_release_binary_error_pages():
    extra = [("pages/_404.html", OVERRIDE_404),
             ("pages/_500.html", BROKEN_500),
             ("pages/_error.html", OVERRIDE_ERROR)]
    with project(extra) as p:
        rc, out, err = p.kiln("build")
        eq(rc, 0, "kiln build: " + err)
        elsewhere = tempfile.mkdtemp(prefix="kiln-run-")
        binary = os.path.join(elsewhere, "app")
        os.rename(p.path("dist/app"), binary)
        port = harness.free_port()
        env = env_for({"KILN_APP_SECRET_KEY": "k" * 20 + "Q7x!" + "z" * 20})
        srv = subprocess.Popen([binary, "--port", str(port), "--workers", "1",
                                "--max-body", "100"],
                               cwd=elsewhere, env=env, stderr=subprocess.PIPE)
        try:
            r = get_when_up(port, "/nope", headers=HTML)
            check(r is not None, "the release binary answers")
            body = is_html(r, 404)
            check("<h1>Lost: 404 Not Found</h1>" in body, body)
            check("(debug)" not in body, "never the debug page")

            def req(method, target, headers=(), body=b""):
                c = harness.Conn(port, timeout=t(5))
                try:
                    c.send(harness.build_request(method, target,
                                                 headers=list(headers),
                                                 body=body))
                    return c.read_response(method=method)
                finally:
                    c.close()
            body = is_html(req("GET", "/gone", HTML), 404)
            check("no such &lt;thing&gt;" in body, body)
            # _500.html fails to render: the built-in page
            body = is_html(req("GET", "/fail", HTML), 500)
            check("<h1>500 Internal Server Error</h1>" in body and
                  "The handler failed." in body, body)
            check("loading" not in body, "no log lines in production")
            body = is_html(req("GET", "/deep", HTML), 500)
            check("The handler crashed." in body, body)
            # _error.html for the rest: 405, and 413 from the server
            r = req("PUT", "/", HTML)
            body = is_html(r, 405)
            check("<h1>Error page 405</h1><p>Method Not Allowed</p>" in body,
                  body)
            r = req("POST", "/", HTML, body=b"x" * 101)
            body = is_html(r, 413)
            check("<h1>Error page 413</h1>" in body, body)
            check("close" in r.connection_tokens(), "413 closes")
            # JSON clients: problem+json as always, the 413 too
            is_problem(req("GET", "/nope"), 404, "/nope")
            is_problem(req("GET", "/fail", [("Accept", "application/json")]),
                       500, "/fail")
            is_problem(req("GET", "/api/nope", HTML), 404, "/api/nope")
            r = req("POST", "/", body=b"x" * 101)
            eq((r.status, r.header("Content-Type"), r.body),
               (413, "application/problem+json",
                b'{"type":"about:blank","title":"Content Too Large",'
                b'"status":413}'), "the fixed 413")
        finally:
            srv.terminate()
            _, err = srv.communicate(timeout=t(10))
            shutil.rmtree(elsewhere, ignore_errors=True)
        err = err.decode("utf-8", "replace")
        check("error page pages/_500.html failed" in err and
              "division by zero" in err.lower(), "logged: " + err[-1500:])
test_release_binary_error_pages.timeout = 180
