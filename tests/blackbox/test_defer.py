"""21. kiln_defer: callbacks run after the handler with how it ended."""

from harness import server, eq


def test_defer_sees_how_the_handler_ended():
    with server(workers=1) as s:
        eq(s.get("/defer").status, 200, "ok handler")
        eq(s.get("/defer?mode=fail").status, 500, "failing handler")
        eq(s.get("/defer?mode=silent").status, 500, "silent handler")
        eq(s.get("/defer").status, 200, "ok again")
        eq(s.get("/defer-stats").json(),
           {"ok": 2, "failed": 1, "unanswered": 1}, "defer callbacks")
