"""26. pages/ as templates: _layout.html as the default parent, a page's
KILN_LOAD and actions, autoescaping, HTMX partials, ETags, edits in
kiln dev, build-time errors, strict/lenient undefined, a release binary
with its templates compiled in, and `kiln render`.
"""

import json
import os
import shutil
import subprocess
import tempfile

import harness
from harness import check, eq, t
from kilncli import Dev, Project, env_for, get_when_up, kiln_bin

LAYOUT = """<!DOCTYPE html><html><head><title>{% block title %}Site{% endblock %}\
</title></head><body>{% include "nav.html" %}\
<main id="content">{% block content %}{% endblock %}</main></body></html>
"""
NAV = '<nav>{% for l in ["home", "posts"] %}<a>{{ l }}</a>{% endfor %}</nav>'
INDEX = "<p>Hello {{ name|default('world') }}</p>{% if items is defined %}<ul>\
{% for i in items %}<li>{{ loop.index }}:{{ i }}</li>{% endfor %}</ul>{% endif %}"
POST_HTML = """{% extends "_layout.html" %}
{% block title %}{{ post.title }}{% endblock %}
{% block content %}<h1>{{ post.title }}</h1><p>{{ post.body }}</p>{% endblock %}
"""
POST_C = r"""#include <kiln.h>

KILN_LOAD(load_post)
{
    int64_t id = kiln_param_int(c, "id", 0);
    if (id != 1 && id != 2)
        return kiln_problem(c, 404, "no post %lld", (long long)id);
    kiln_arena *a = kiln_ctx_arena(c);
    kiln_value post = kiln_value_map(a);
    kiln_value_set(post, "title", kiln_value_cstr(
        id == 1 ? "First" : "<script>alert('x')</script>"));
    kiln_value_set(post, "body", kiln_value_cstr("Body & soul"));
    kiln_value_set(ctx, "post", post);
    return 0;
}

KILN_POST(save_post)
{
    kiln_set_header(c, "Location", "/posts/1");
    return kiln_respond(c, 303, "text/plain", "", 0);
}
"""


def project():
    p = Project()
    p.write("pages/_layout.html", LAYOUT)
    p.write("templates/nav.html", NAV)
    p.write("pages/index.html", INDEX)
    p.write("pages/posts/[id].html", POST_HTML)
    p.write("pages/posts/[id].c", POST_C)
    return p


def test_pages_render_in_dev():
    with project() as p, Dev(p) as d:
        r = d.wait_for("/", lambda r: r.status == 200, "the index page")
        body = r.text()
        check(body.startswith("<!DOCTYPE html><html><head><title>Site</title>"),
              "the layout wraps the page: " + body[:200])
        check("<nav><a>home</a><a>posts</a></nav>" in body,
              "include from templates/: " + body)
        check('<main id="content"><p>Hello world</p></main>' in body,
              "the page is the content block: " + body)
        eq(r.header("Content-Type"), "text/html; charset=utf-8", "type")
        check("HX-Request" in (r.header("Vary") or ""), "Vary: HX-Request")
        # the loader fills the context; autoescaping on by default
        r = d.get("/posts/1")
        eq(r.status, 200, "/posts/1: " + r.text()[:300])
        check("<title>First</title>" in r.text() and "<h1>First</h1>" in
              r.text(), r.text())
        check("Body &amp; soul" in r.text(), "escaped &: " + r.text())
        r = d.get("/posts/2")
        check("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in r.text()
              and "<script>" not in r.text(), "escaped title: " + r.text())
        # the loader answers itself: 404, no render
        r = d.get("/posts/9")
        eq(r.status, 404, "loader's 404")
        check(r.header("Content-Type").startswith("application/problem+json"),
              "the loader's problem+json")
        # an action in the page's .c file
        r = d.request("POST", "/posts/1")
        eq(r.status, 303, "form post to the page")
        eq(r.header("Location"), "/posts/1", "redirect")
test_pages_render_in_dev.timeout = 120


def test_htmx_partial_and_etag():
    with project() as p, Dev(p) as d:
        d.wait_for("/", lambda r: r.status == 200, "the index page")
        r = d.get("/", headers=[("HX-Request", "true"),
                                ("HX-Target", "content")])
        eq(r.status, 200, "partial")
        eq(r.text(), "<p>Hello world</p>", "only the targeted block")
        check("HX-Request" in (r.header("Vary") or ""), "Vary on the partial")
        # a target that is no block: the whole page
        r = d.get("/posts/1", headers=[("HX-Request", "true"),
                                       ("HX-Target", "sidebar")])
        check(r.text().startswith("<!DOCTYPE html>"), "unknown target: page")
        r = d.get("/posts/1", headers=[("HX-Request", "true"),
                                       ("HX-Target", "title")])
        eq(r.text(), "First", "the title block alone")
        # ETag and 304
        full = d.get("/")
        etag = full.header("ETag")
        check(etag, "a rendered page has an ETag")
        r = d.get("/", headers=[("If-None-Match", etag)])
        eq(r.status, 304, "If-None-Match")
        part = d.get("/", headers=[("HX-Request", "true"),
                                   ("HX-Target", "content")])
        check(part.header("ETag") != etag, "the partial has its own ETag")
test_htmx_partial_and_etag.timeout = 120


def test_dev_edits_and_errors():
    with project() as p, Dev(p) as d:
        d.wait_for("/", lambda r: r.status == 200, "the index page")
        p.write("pages/index.html", "<p>Edited {{ 1 + 2 }}</p>")
        r = d.wait_for("/", lambda r: b"Edited 3" in r.body, "the edit")
        # a syntax error: the next request shows where, with a caret
        p.write("pages/index.html", "<p>ok</p>\n<p>{{ name|nosuchfilter }}</p>\n")
        r = d.wait_for("/", lambda r: r.status == 500, "the error page")
        body = r.text()
        check("pages/index.html:2:" in body and "nosuchfilter" in body,
              "file:line:col: " + body[:500])
        check("^" in body, "a caret line: " + body)
        # an undefined variable is an error in development
        p.write("pages/index.html", "<p>{{ nobody.here }}</p>")
        r = d.wait_for("/", lambda r: r.status == 500 and b"nobody" in r.body,
                       "the strict-undefined error")
        check("pages/index.html:1:" in r.text(), r.text()[:300])
        # fixed: back to normal
        p.write("pages/index.html", "<p>fine</p>")
        d.wait_for("/", lambda r: r.status == 200 and b"fine" in r.body,
                   "recovered")
test_dev_edits_and_errors.timeout = 120


def test_build_reports_template_errors():
    with project() as p:
        p.write("templates/nav.html", "<nav>{% for x in xs %}</nav>\n")
        rc, out, err = p.kiln("build")
        check(rc != 0, "build fails on a template error")
        check("templates/nav.html:1:" in err and "endfor" in err,
              "the template's file:line:col: " + err)
        check("^" in err, "a caret line: " + err)
        p.write("templates/nav.html", NAV)
        p.write("pages/posts/[id].html", "{% extends '_layout.html' %}\n"
                "{% block content %}{{ post.title | }}{% endblock %}\n")
        rc, out, err = p.kiln("routes")
        check(rc != 0 and "pages/posts/[id].html:2:" in err,
              "kiln routes reports it too: " + err)
test_build_reports_template_errors.timeout = 120


def test_release_binary_renders_compiled_in_templates():
    with project() as p:
        p.write("pages/about.html", "<p>{{ missing_var }}about</p>")
        rc, out, err = p.kiln("build")
        eq(rc, 0, "kiln build: " + err)
        elsewhere = tempfile.mkdtemp(prefix="kiln-run-")
        moved = os.path.join(elsewhere, "app")
        os.rename(p.path("dist/app"), moved)
        p.remove("pages")
        p.remove("templates")
        port = harness.free_port()
        env = env_for({"KILN_APP_SECRET_KEY": "k" * 20 + "Q7x!" + "z" * 20})
        srv = subprocess.Popen([moved, "--port", str(port), "--workers", "1"],
                               cwd=elsewhere, env=env,
                               stderr=subprocess.PIPE)
        try:
            r = get_when_up(port, "/posts/1")
            check(r is not None, "the release binary answers")
            eq(r.status, 200, "a page with a loader")
            check("<h1>First</h1>" in r.text() and "<nav>" in r.text(),
                  r.text())
            c = harness.Conn(port, timeout=t(5))
            c.send(harness.build_request("GET", "/about"))
            r = c.read_response()
            c.close()
            # production: an undefined variable renders empty
            eq(r.status, 200, "lenient in production")
            check("<p>about</p>" in r.text(), r.text())
        finally:
            srv.terminate()
            srv.wait(timeout=t(10))
            shutil.rmtree(elsewhere, ignore_errors=True)
test_release_binary_renders_compiled_in_templates.timeout = 180


def test_kiln_render():
    with project() as p:
        ctxf = p.path("ctx.json")
        with open(ctxf, "w") as f:
            json.dump({"name": "<Ann>", "items": ["a", "b"]}, f)
        rc, out, err = p.kiln("render", "pages/index.html", "--context",
                              ctxf)
        eq(rc, 0, "render: " + err)
        check(out.startswith("<!DOCTYPE html>") and
              "<p>Hello &lt;Ann&gt;</p><ul><li>1:a</li><li>2:b</li></ul>" in
              out, "the page in its layout: " + out)
        rc, out, err = p.kiln("render", "pages/index.html", "--context",
                              ctxf, "--block", "content")
        eq((rc, out), (0, "<p>Hello &lt;Ann&gt;</p><ul><li>1:a</li>"
                          "<li>2:b</li></ul>"), "--block: " + err)
        rc, out, err = p.kiln("render", "templates/nav.html")
        eq((rc, out), (0, "<nav><a>home</a><a>posts</a></nav>"), "templates/")
        # strict by default, --lenient as production
        p.write("pages/u.html", "{% extends '_layout.html' %}"
                "{% block content %}[{{ nope }}]{% endblock %}")
        rc, out, err = p.kiln("render", "pages/u.html")
        eq(rc, 1, "undefined is an error")
        check("pages/u.html:1:" in err and "nope" in err, err)
        rc, out, err = p.kiln("render", "pages/u.html", "--lenient")
        eq(rc, 0, "lenient")
        check("<main id=\"content\">[]</main>" in out, out)
        # errors: syntax, bad context, missing block, missing file
        p.write("pages/bad.html", "line one\n{% if %}\n")
        rc, out, err = p.kiln("render", "pages/bad.html")
        eq(rc, 1, "syntax error")
        check("pages/bad.html:2:" in err and "^" in err, err)
        with open(ctxf, "w") as f:
            f.write("[1, 2")
        rc, out, err = p.kiln("render", "pages/index.html", "--context",
                              ctxf)
        eq(rc, 1, "bad JSON")
        check("ctx.json:1:" in err, err)
        rc, out, err = p.kiln("render", "templates/nav.html", "--block",
                              "nope")
        eq(rc, 1, "no such block")
        check("no block 'nope'" in err, err)
        rc, out, err = p.kiln("render", "pages/none.html")
        eq(rc, 1, "missing file")
        # a template outside any project: its folder is the search path
        d = tempfile.mkdtemp(prefix="kiln-render-")
        try:
            with open(os.path.join(d, "base.txt"), "w") as f:
                f.write("[{% block b %}{% endblock %}]")
            with open(os.path.join(d, "child.txt"), "w") as f:
                f.write("{% extends 'base.txt' %}{% block b %}"
                        "{{ 6 * 7 }}{% endblock %}")
            pr = subprocess.run([kiln_bin(), "render",
                                 os.path.join(d, "child.txt")],
                                capture_output=True, timeout=t(30),
                                env=env_for())
            eq((pr.returncode, pr.stdout), (0, b"[42]"), pr.stderr)
        finally:
            shutil.rmtree(d, ignore_errors=True)
test_kiln_render.timeout = 120
