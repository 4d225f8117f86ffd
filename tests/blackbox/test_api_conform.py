"""Development mode checks each JSON response of a route with a declared
response schema against it (docs/openapi.md, "Responses checked in
development"): a hand-written handler whose endpoint schema declares its
output and which answers a body that breaks it (a wrong type, null where
the field is not optional, a missing required field, a value past a
constraint, a status it does not declare) gets one warning line per
violation in the log, naming the operationId, the JSON Pointer, what was
expected and what was found; a conforming answer and an extra key (the
output schemas allow them) get none; the same binary in production logs
nothing of it.
"""

import os
import subprocess

import harness
from harness import check, eq, t
from kilncli import Project, env_for, get_when_up

ITEM = """\
# A thing the handlers answer with.
[fields]
name = "string:5"
size = { type = "integer", min = 0, max = 10 }
note = "text?"
"""

SCHEMA = """\
[get]
name = "%s"
responses = { 200 = "item%s" }
"""

HANDLER = """\
#include <kiln.h>

KILN_GET(%s)
{
    return kiln_respond(c, %d, "application/json", %s, sizeof %s - 1);
}
"""

CASES = {
    # name: (status, body, list)
    "bad": (200, r'"{\"id\":\"seven\",\"name\":null,\"note\":\"x\"}"', ""),
    "toolong": (200, r'"[{\"id\":1,\"name\":\"abcdef\",\"size\":11,'
                r'\"note\":null}]"', "[]"),
    "good": (200, r'"{\"id\":1,\"name\":\"abc\",\"size\":3,\"note\":null,'
             r'\"more\":true}"', ""),
    "other": (202, r'"{\"id\":1}"', ""),
}


def make(p):
    p.write("models/item.toml", ITEM)
    for name, (status, body, lst) in CASES.items():
        p.write("api/%s.toml" % name, SCHEMA % (name, lst))
        p.write("api/%s.c" % name, HANDLER % (name, status, body, body))


def serve(p, args):
    port = harness.free_port()
    log = os.path.join(p.parent, "app-%d.log" % port)
    with open(log, "wb") as f:
        proc = subprocess.Popen(
            [os.path.join(p.root, "dist", "app"), "--port", str(port),
             "--root", p.root] + args,
            env=env_for({"KILN_APP_SECRET_KEY": "Zq3x9-conform-test-key-7Hf2kP0wLm"}), stdout=f,
            stderr=subprocess.STDOUT)
    try:
        r = get_when_up(port, "/api/good")
        if r is None or r.status != 200:
            with open(log, "rb") as f:
                check(False, "the app answers: %s" % f.read()[-1500:])
        for name, (status, _, _) in CASES.items():
            r = get_when_up(port, "/api/" + name)
            eq(r.status, status, name + ": answered as written")
    finally:
        proc.terminate()
        proc.wait(timeout=t(10))
    with open(log, "rb") as f:
        return [ln for ln in f.read().decode("utf-8", "replace").splitlines()
                if "does not conform" in ln]


def test_dev_mode_checks_responses():
    with Project("app") as p:
        make(p)
        rc, out, err = p.kiln("build")
        eq(rc, 0, "build: " + out + err)
        lines = serve(p, ["--dev"])
        text = "\n".join(lines)
        want = [
            "response of getBad (GET /api/bad) does not conform to its "
            "schema at '/id': expected an integer, found the string "
            "\"seven\"",
            "at '/name': expected a value (the field is not optional), "
            "found null",
            "at '/size': expected the field (it is required), found nothing",
            "response of getToolong (GET /api/toolong) does not conform to "
            "its schema at '/0/name': expected at most 5 characters, found "
            "the string \"abcdef\"",
            "at '/0/size': expected at most 10, found the number 11",
            "response of getOther (GET /api/other) does not conform to its "
            "schema: status 202 is not one the endpoint declares",
        ]
        for w in want:
            check(w in text, "logged %r:\n%s" % (w, text))
        check(all(" warn " in ln for ln in lines), "warnings:\n" + text)
        eq(len(lines), len(want), "one line per violation:\n" + text)
        check("getGood" not in text, "a conforming answer: nothing logged")
        # production does none of this
        eq(serve(p, []), [], "production checks nothing")
