"""kiln_redirect over a real socket: the Location header as written (or
percent-encoded), an empty body, and the targets and statuses it refuses
(nothing answered, the reason logged; the test app then answers 400)."""

from urllib.parse import quote

from harness import server, shared_server, check, eq


def redirect(s, to, status=303, method="GET"):
    return s.request(method, "/redirect?status=%d&to=%s" % (
        status, quote(to, safe="")))


def test_redirect_sets_location_and_an_empty_body():
    s = shared_server()
    for status in (301, 302, 303, 307, 308):
        r = redirect(s, "/notes", status)
        eq((r.status, r.header("Location")), (status, "/notes"),
           "kiln_redirect %d" % status)
        eq((r.header("Content-Length"), r.body), ("0", b""), "empty body")
        check(r.header("Content-Type") is None, "no Content-Type: %r" % r)
    r = redirect(s, "https://example.com/a?b=c#d", 308)
    eq(r.header("Location"), "https://example.com/a?b=c#d", "absolute URL")
    r = redirect(s, "../up?x=1", 302)
    eq(r.header("Location"), "../up?x=1", "relative reference")
    r = redirect(s, "/notes", 303, method="HEAD")
    eq((r.status, r.header("Location"), r.body), (303, "/notes", b""), "HEAD")


def test_redirect_encodes_what_a_url_cannot_hold():
    s = shared_server()
    r = redirect(s, "/search?q=caf\u00e9 au lait&p=100%")
    eq(r.header("Location"), "/search?q=caf%C3%A9%20au%20lait&p=100%25",
       "space, UTF-8 and a lone %% encoded")
    r = redirect(s, "/search?q=a%20b")
    eq(r.header("Location"), "/search?q=a%20b", "an escape kept")
    r = redirect(s, "/\\evil.example")
    eq(r.header("Location"), "/%5Cevil.example", "a backslash encoded")


def test_redirect_refuses_injection_other_schemes_and_statuses():
    with server(workers=1) as s:
        cases = [
            ("/notes\r\nSet-Cookie: session=stolen", 303, "control byte"),
            ("/notes\nX-Injected: 1", 303, "control byte"),
            ("javascript:alert(1)", 303, "no redirect target"),
            ("data:text/html,hi", 302, "no redirect target"),
            ("", 303, "no redirect target"),
            ("/notes", 200, "not a redirect status"),
            ("/notes", 304, "not a redirect status"),
            ("/notes", 300, "not a redirect status"),
        ]
        for to, status, logged in cases:
            r = redirect(s, to, status)
            eq(r.status, 400, "kiln_redirect(%d, %r) refused" % (status, to))
            check(r.header("Location") is None and
                  r.header("Set-Cookie") is None and
                  r.header("X-Injected") is None,
                  "no header from %r: %r" % (to, r))
            check("EINVAL" in r.json()["detail"] or
                  "invalid" in r.json()["detail"], r.json())
            check(logged in s.stderr(), "logged (%s): %s" % (
                logged, s.stderr_tail()))
        check("Set-Cookie: session" not in s.stderr(),
              "the refused bytes are not logged: " + s.stderr_tail())
        # the connection and the server go on
        eq(redirect(s, "/ok").status, 303, "after the refusals")
