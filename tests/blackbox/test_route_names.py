"""Route names: every route of a project has one (its path's, or the
KILN_NAME of its .c file), `kiln routes` lists it, templates build paths
with url('name', param=value), C with gen/routes.h's url_NAME() and
kiln_url(); an unknown name, a missing or extra parameter in a template,
and one name for two paths are build errors naming the place.
"""

import os
import subprocess

import harness
from harness import check, eq, t
from kilncli import Project, env_for, get_when_up


def timeout(seconds):
    def deco(fn):
        fn.timeout = seconds
        return fn
    return deco


PROJECT_C = r'''#include <kiln.h>
#include "routes.h"

KILN_GET(show)
{
    int64_t id = kiln_param_int(c, "id", 0);
    const char *nope = kiln_url(c, "nope", NULL);
    const char *extra = kiln_url(c, "files", "path", "x", "y", "1", NULL);
    return kiln_text(c, 200, "%s|%s|%s|%s|%s|%s", url_api_projects_id(c, id + 1),
                     url_files(c, "a b/c.txt"), url_projects_slug(c, "x/y"),
                     url_index(c), nope ? nope : "null",
                     extra ? extra : "null");
}
'''

FILES_C = r'''#include <kiln.h>

/* KILN_NAME("in-a-comment") does not count */
KILN_NAME("files");

KILN_GET(get) { return kiln_text(c, 200, "%s", kiln_param(c, "path")); }
'''

SLUG_HTML = ("<p>{{ url('api.projects.id', id=7) }}|"
             "{{ url('files', path='x y/\u00e9.txt') }}|"
             "{{ url('projects.slug', slug='<a&b>') }}|{{ url('index') }}</p>\n")


def make(p):
    p.write("pages/about.html", "<p>about</p>\n")
    p.write("pages/about.c", '#include <kiln.h>\nKILN_NAME("about-us");\n'
            "KILN_LOAD(about) { return 0; }\n")
    p.write("api/projects/[id].c", PROJECT_C)
    p.write("api/files/[...path].c", FILES_C)
    p.write("pages/projects/[slug].html", SLUG_HTML)


@timeout(240)
def test_names_listed_and_paths_built():
    with Project() as p:
        make(p)
        rc, out, err = p.kiln("routes")
        eq(rc, 0, "kiln routes: " + err)
        rows = [l.split() for l in out.splitlines()]
        eq(rows[0], ["METHOD", "PATH", "NAME", "FILE"], out)
        for want in (["GET", "/", "index", "pages/index.html"],
                     ["GET", "/api/hello", "api.hello", "api/hello.c"],
                     ["GET", "/api/projects/{id}", "api.projects.id",
                      "api/projects/[id].c"],
                     ["GET", "/api/files/{...path}", "files",
                      "api/files/[...path].c"],
                     ["GET", "/projects/{slug}", "projects.slug",
                      "pages/projects/[slug].html"],
                     ["GET", "/about", "about-us", "pages/about.html"]):
            check(want in rows, "%s in:\n%s" % (want, out))
        check(["GET", "/static/", "-", "static/", "(static", "files)"] in rows,
              "static files have no name, in its column:\n" + out)
        rc, out, err = p.kiln("render", "pages/projects/[slug].html")
        eq(rc, 0, "kiln render: " + err)
        check("<p>/api/projects/7|/api/files/x%20y/%C3%A9.txt|" in out,
              "kiln render knows the project's names: " + out)
        rc, out, err = p.kiln("build")
        eq(rc, 0, "kiln build: " + err)
        h = p.read(".kiln/release/gen/routes.h")
        check("static inline const char *url_api_projects_id(kiln_ctx *c, "
              "int64_t id)" in h, h)
        check("static inline const char *url_projects_slug(kiln_ctx *c, "
              "const char *slug)" in h, h)
        check("url_in_a_comment" not in h, "a commented KILN_NAME: " + h)
        port = harness.free_port()
        env = env_for({"KILN_APP_SECRET_KEY": "k" * 20 + "Q7x!" + "z" * 20})
        srv = subprocess.Popen([p.path("dist/app"), "--port", str(port),
                                "--workers", "1"], cwd=p.root, env=env,
                               stderr=subprocess.PIPE)
        try:
            r = get_when_up(port, "/api/projects/41")
            check(r is not None, "the app answers")
            eq(r.status, 200, r.body)
            eq(r.body.decode(), "/api/projects/42|/api/files/a%20b/c.txt|"
               "/projects/x%2Fy|/|null|null", "paths built in C")
            r = get_when_up(port, "/projects/z")
            eq(r.status, 200, r.body)
            check("<p>/api/projects/7|/api/files/x%20y/%C3%A9.txt|"
                  "/projects/%3Ca%26b%3E|/</p>" in r.body.decode(),
                  "paths built in a template: %r" % r.body)
            # the path built is the route's: it answers
            r = get_when_up(port, "/api/files/x%20y/%C3%A9.txt")
            eq(r.status, 200, r.body)
            eq(r.body.decode(), "x y/\u00e9.txt", "the rest parameter")
        finally:
            srv.terminate()
            _, err = srv.communicate(timeout=t(20))
        report = harness.sanitizer_report(err.decode("utf-8", "replace"))
        check(not report, "sanitizer: %s" % report)
        check(b"no route named 'nope'" in err, "kiln_url logs why: %r" % err)
        check(b"unexpected parameter 'y'" in err, "and the bad parameter")


@timeout(240)
def test_template_names_checked_at_build():
    with Project() as p:
        make(p)
        p.write("pages/bad.html",
                "<h1>bad</h1>\n"
                "<a href=\"{{ url('projects.slg', slug='a') }}\">x</a>\n"
                "{{ url('api.projects.id') }} {{ url('index', page=2) }}\n"
                "{{ url('zzzzzzzz') }}\n")
        p.write("templates/nav.html", "<a href=\"{{ url('idnex') }}\">home</a>\n")
        for cmd in ("build", "routes"):
            rc, out, err = p.kiln(cmd)
            eq(rc, 1, "kiln %s with bad url() calls" % cmd)
            for needle in (
                    "pages/bad.html:2:17: no route named 'projects.slg' "
                    "(did you mean 'projects.slug'?)",
                    "pages/bad.html:3:8: url('api.projects.id'): missing "
                    "parameter 'id' (/api/projects/{id})",
                    "pages/bad.html:3:37: url('index'): / has no parameter "
                    "'page'",
                    "pages/bad.html:4:8: no route named 'zzzzzzzz'\n",
                    "templates/nav.html:1:17: no route named 'idnex' (did you "
                    "mean 'index'?)"):
                check(needle in err, "%r in:\n%s" % (needle, err))
        # fixed, it builds
        p.write("pages/bad.html", "{{ url('projects.slug', slug='a') }}\n")
        p.write("templates/nav.html", "{{ url('index') }}\n")
        rc, out, err = p.kiln("build")
        eq(rc, 0, "kiln build once fixed: " + err)


@timeout(240)
def test_name_conflicts_and_misspelt_names():
    cases = [
        ({"api/a.c": 'KILN_NAME("x");\nKILN_GET(a) { return 0; }\n',
          "api/b.c": 'KILN_NAME("x");\nKILN_GET(b) { return 0; }\n'},
         "route name conflict: 'x' names both /api/a (api/a.c) and /api/b "
         "(api/b.c)"),
        ({"api/a_b.c": "KILN_GET(a) { return 0; }\n",
          "api/a/b.c": "KILN_GET(b) { return 0; }\n"},
         "make the same C function url_api_a_b"),
        ({"api/a.c": 'KILN_GET(a) { return 0; }\n  KILN_NAME("no way");\n'},
         "api/a.c:3:3: 'no way' cannot be a route name"),
        ({"api/a.c": 'KILN_NAME(NAME);\nKILN_GET(a) { return 0; }\n'},
         "api/a.c:2:1: KILN_NAME takes one plain string literal"),
        ({"api/a.c": 'KILN_NAME("a");\nKILN_NAME("b");\nKILN_GET(a) '
                     '{ return 0; }\n'},
         "api/a.c:3:1: a second KILN_NAME"),
        ({"api/_lib.c": 'KILN_NAME("lib");\nint lib_x;\n'},
         "api/_lib.c: KILN_NAME names the route of its file, and this file "
         "has none"),
    ]
    for files, needle in cases:
        with Project() as p:
            for f, text in files.items():
                p.write(f, "#include <kiln.h>\n" + text)
            rc, out, err = p.kiln("routes")
            eq(rc, 1, "kiln routes with %s" % list(files))
            check(needle in err, "%r in:\n%s" % (needle, err))
    # a misspelt url_ function does not compile
    with Project() as p:
        p.write("api/x.c", '#include <kiln.h>\n#include "routes.h"\n'
                "KILN_GET(x) { return kiln_text(c, 200, \"%s\", "
                "url_api_helo(c)); }\n")
        rc, out, err = p.kiln("build")
        eq(rc, 1, "a misspelt url_ function")
        check("url_api_helo" in err, err)
