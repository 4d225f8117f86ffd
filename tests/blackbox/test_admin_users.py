"""Kiln's user in the admin (docs/admin.md, "Users") on examples/board, as
test_admin.py builds it (SQLite, or PostgreSQL under KILN_TEST_DB_URL):
the Users list with its defaults (search, filters), the user picker of a
task's assignee, the rules on staff and superuser (a superuser's only,
checked on POST) and on oneself, passwords (the add form, the Set
password page: its errors, the old password and the user's sessions
refused at once), the hash on no page and in no audit entry, a delete
that ends the user's sessions, and an extended user's own [admin] table.

The seeded users: ana (1, staff, role admin: every permission, not a
superuser), ben (2), chen (3), root (4, superuser).
"""

import http.client
import json
import os
import re

from harness import check, eq, t
from test_admin import AdminBoard, page, post_form
from test_board import HTML, JSON, cookies_of

OLD = "kiln-board-demo"
NEW = "Quartz-lantern-harbour-77"
# the seed's argon2id hash (every user's): never on an admin page
SEED_HASH = "6Rs4G+3g9VJnhH5OOojW9aFGgXao0sdXUGqeEjYxMYI"


def login(b, who, password):
    """POST /api/auth/login: (status, the Cookie header of its session)."""
    c = http.client.HTTPConnection("127.0.0.1", b.port, timeout=t(10))
    c.request("POST", "/api/auth/login",
              body=json.dumps({"login": who, "password": password}),
              headers=JSON)
    r = c.getresponse()
    r.read()
    jar = {}
    for v in r.msg.get_all("Set-Cookie") or []:
        name, _, rest = v.partition("=")
        jar[name.strip()] = rest.split(";")[0]
    c.close()
    return r.status, "; ".join("%s=%s" % kv for kv in jar.items())


def me(b, cookie):
    """GET /api/auth/me with a session cookie: its status."""
    c = http.client.HTTPConnection("127.0.0.1", b.port, timeout=t(10))
    c.request("GET", "/api/auth/me", headers={"Cookie": cookie})
    r = c.getresponse()
    r.read()
    c.close()
    return r.status


def user_form(username, email, name, active=True, staff=None, superuser=None,
              extra=()):
    """The fields a user's change form posts (a box unchecked: absent)."""
    f = [("username", username), ("email", email), ("name", name)]
    for k, v in (("active", active), ("staff", staff),
                 ("superuser", superuser)):
        if v:
            f.append((k, "true"))
    return f + list(extra)


def no_hash(html, where):
    check("$argon2id" not in html and SEED_HASH not in html,
          "no password hash on " + where)


def test_admin_users_list_pickers_and_password():
    with AdminBoard() as b:
        st, html, _ = page(b, "/admin/")
        eq(st, 200, html[:300])
        check(re.search(r"Authentication.*href=\"/admin/user/\">Users</a>",
                        html, re.S), "Users in the Authentication group")
        # the list's defaults
        st, html, _ = page(b, "/admin/user/")
        eq(st, 200, html[:300])
        check("4 users" in html, "every user counted")
        heads = re.findall(r'<th scope="col"[^>]*>(?:<a [^>]*>)?([^<]+)<',
                           html)
        for h in ("Username", "Email", "Name", "Active", "Staff",
                  "Superuser", "Last login"):
            check(h in heads, "column %s in %r" % (h, heads))
        names = re.findall(r'<th scope="row"><a href="/admin/user/\d+/">'
                           r'([^<]*)</a>', html)
        eq(names, ["ana", "ben", "chen", "root"], "ordered by username")
        no_hash(html, "the list")
        st, html, _ = page(b, "/admin/user/?q=ROOT@example")
        check("1 user" in html and ">root</a>" in html, "search on email")
        st, html, _ = page(b, "/admin/user/?q=Chen")
        check("1 user" in html and ">chen</a>" in html, "search on name")
        st, html, _ = page(b, "/admin/user/?f.staff=true")
        check("2 users" in html and ">ana</a>" in html and ">root</a>" in html,
              "the staff filter")
        st, html, _ = page(b, "/admin/user/?f.superuser=true")
        check("1 user" in html and ">root</a>" in html, "superuser filter")
        b.sql("UPDATE kiln_user SET active = FALSE WHERE username = 'chen'")
        st, html, _ = page(b, "/admin/user/?f.active=false")
        check("1 user" in html and ">chen</a>" in html, "the active filter")
        b.sql("UPDATE kiln_user SET active = TRUE WHERE username = 'chen'")
        st, body, _ = page(b, "/admin/user/export.csv")
        eq(st, 200, body[:200])
        no_hash(body, "the CSV export")
        # the task's assignee picker and the palette
        st, html, _ = page(b, "/admin/task/1/")
        check('data-admin-autocomplete="/admin/user/autocomplete"' in html,
              "the assignee picks a user")
        st, body, _ = page(b, "/admin/user/autocomplete?q=be")
        eq(st, 200, body)
        eq(json.loads(body), {"results": [{"id": 2, "label": "ben"}],
                              "more": False}, body)
        st, body, _ = page(b, "/admin/user/autocomplete")
        eq([x["label"] for x in json.loads(body)["results"]],
           ["ana", "ben", "chen", "root"], body)
        st, body, _ = page(b, "/admin/search?q=ben")
        check({"id": 2, "label": "ben", "model": "user",
               "model_label": "Users", "url": "/admin/user/2/"}
              in json.loads(body)["results"], body)
        # the change form: roles read-only, the password page linked
        st, html, _ = page(b, "/admin/user/2/")
        eq(st, 200, html[:300])
        check('<a href="/admin/user/2/password">Set password</a>' in html,
              "the Set password link")
        check(re.search(r'id="id_roles">editor</div>', html), "ben's roles")
        check('Set (argon2id hash)' in html, "a usable password")
        check('name="password' not in html, "no password input on change")
        no_hash(html, "the change form")
        # the password page: errors
        st, html, _ = page(b, "/admin/user/2/password")
        eq(st, 200, html[:300])
        check('type="password" id="id_password1"' in html and
              'name="csrf_token"' in html, "two inputs and the CSRF field")
        check("At least 8 characters" in html, "the policy said")
        _, ben_cookie = login(b, "ben", OLD)
        _, ben_cookie2 = login(b, "ben", OLD)
        eq(me(b, ben_cookie), 200, "ben's session works")
        st, html, _ = post_form(b, "/admin/user/2/password",
                                [("password1", NEW), ("password2", NEW + "x")])
        eq(st, 422, html[:300])
        check('<p class="error" id="password2-error">The two passwords '
              'differ.</p>' in html, "mismatch: " + html)
        check(NEW not in html, "a password is never sent back")
        st, html, _ = post_form(b, "/admin/user/2/password",
                                [("password1", "short"),
                                 ("password2", "short")])
        eq(st, 422, html[:300])
        check('id="password1-error"' in html and
              'aria-invalid="true"' in html, "the policy's error: " + html)
        st, html, _ = post_form(b, "/admin/user/2/password",
                                [("password1", "ben"), ("password2", "ben")])
        eq(st, 422, "too short and like the username")
        eq(login(b, "ben", OLD)[0], 200, "nothing changed yet")
        # a non-superuser does not set a superuser's password
        st, html, _ = post_form(b, "/admin/user/4/password",
                                [("password1", NEW), ("password2", NEW)])
        eq(st, 403, "ana sets no superuser's password")
        check("Only a superuser" in html, html[:500])
        eq(login(b, "root", OLD)[0], 200, "root's password unchanged")
        # CSRF
        st, _, _ = post_form(b, "/admin/user/2/password",
                             [("password1", NEW), ("password2", NEW)],
                             csrf=False)
        eq(st, 403, "no CSRF token")
        # success: the old password and ben's sessions refused at once
        st, _, r = post_form(b, "/admin/user/2/password",
                             [("password1", NEW), ("password2", NEW)])
        eq(st, 303, "changed")
        eq(r.getheader("Location"), "/admin/user/2/", "back to the form")
        eq(me(b, ben_cookie), 401, "ben's session ended")
        eq(me(b, ben_cookie2), 401, "ben's other session ended")
        eq(login(b, "ben", OLD)[0], 401, "the old password refused")
        eq(login(b, "ben", NEW)[0], 200, "the new one accepted")
        eq(page(b, "/admin/")[0], 200, "ana's own session goes on")
        # root sets its own password: its other session ends, this one
        # goes on in a new session
        _, root_other = login(b, "root", OLD)
        st, _, r = post_form(b, "/admin/user/4/password",
                             [("password1", NEW), ("password2", NEW)],
                             who="root")
        eq(st, 303, "root's own password")
        eq(me(b, root_other), 401, "root's other session ended")
        jar = cookies_of(r)
        check(jar.get("kiln_session"), "a new session for root: %r" % jar)
        st, html, _ = b.call("GET", "/admin/user/4/", headers=dict(
            HTML, Cookie="kiln_session=" + jar["kiln_session"]), who=None)
        eq(st, 200, "root goes on in its new session: " + html[:300])
        check("The password of" in html, "the message, once")
        # the audit log: a change of the password, redacted; no hash
        st, html, _ = page(b, "/admin/user/2/history")
        eq(st, 200, html[:300])
        check("password" in html, "the history names the password change")
        no_hash(html, "the history")
        rc, out, err = b.kiln("audit", "--json")
        eq(rc, 0, "kiln audit: " + err)
        entries = [json.loads(x) for x in out.splitlines() if x.strip()]
        pw = [e for e in entries if e.get("model") == "user" and
              e.get("object_id") == 2 and "password" in
              json.dumps(e.get("changes"))]
        eq(len(pw), 1, "one entry for ben's password: %r" % entries)
        eq(pw[0]["changes"]["password"], {"redacted": True}, repr(pw[0]))
        check("$argon2id" not in out and NEW not in out,
              "no hash or password in kiln audit --json")
        for target in ("/admin/", "/admin/user/?q=b", "/admin/user/1/",
                       "/admin/user/add", "/admin/user/2/delete"):
            st, html, _ = page(b, target)
            eq(st, 200, target + ": " + html[:300])
            no_hash(html, target)


def test_admin_users_rules_add_and_delete():
    with AdminBoard() as b:
        # ana (staff, user.change, not a superuser): staff and superuser
        # read-only, and a POST that changes them refused
        st, html, _ = page(b, "/admin/user/2/")
        check('name="active"' in html, "active is a box")
        check('name="staff"' not in html and 'name="superuser"' not in html,
              "staff and superuser read-only for ana")
        for flag in ("superuser", "staff"):
            st, html, _ = post_form(b, "/admin/user/2/", user_form(
                "ben", "ben@example.org", "Ben", **{flag: True}))
            eq(st, 422, flag + ": " + html[:300])
            check('<p class="error" id="%s-error">Only a superuser may change'
                  ' this.</p>' % flag in html, html)
        eq(b.sql("SELECT count(*) FROM kiln_user WHERE id = 2 AND "
                 "(staff OR superuser)"), "0", "ben unchanged")
        st, _, _ = post_form(b, "/admin/user/2/",
                             user_form("ben", "ben@example.org", "Benjamin"))
        eq(st, 303, "ana changes ben's name")
        eq(b.sql("SELECT name FROM kiln_user WHERE id = 2"), "Benjamin", "")
        st, html, _ = post_form(b, "/admin/user/4/", user_form(
            "root", "root@example.org", "Root", staff=True, superuser=True))
        eq(st, 422, "ana changes no superuser's account")
        check("Only a superuser may change a superuser" in html, html[:2000])
        # root may
        st, html, _ = page(b, "/admin/user/2/", who="root")
        check('name="staff"' in html and 'name="superuser"' in html,
              "root sees the boxes")
        st, html, _ = post_form(b, "/admin/user/2/", user_form(
            "ben", "ben@example.org", "Ben", staff=True, superuser=True),
            who="root")
        eq(st, 303, html[:300])
        eq(b.sql("SELECT count(*) FROM kiln_user WHERE id = 2 AND staff AND "
                 "superuser"), "1", "root made ben a superuser")
        # nobody demotes, deactivates or deletes themselves
        st, html, _ = post_form(b, "/admin/user/4/", user_form(
            "root", "root@example.org", "Root", staff=True), who="root")
        eq(st, 422, html[:300])
        check("You cannot remove your own superuser status." in html, html)
        st, html, _ = post_form(b, "/admin/user/4/", user_form(
            "root", "root@example.org", "Root", superuser=True), who="root")
        eq(st, 422, "root's own staff")
        check("You cannot remove your own staff status." in html, html)
        st, html, _ = post_form(b, "/admin/user/1/", user_form(
            "ana", "ana@example.org", "Ana", active=False))
        eq(st, 422, html[:300])
        check("You cannot deactivate your own account." in html, html)
        st, html, _ = post_form(b, "/admin/user/1/delete", [("confirm", "yes")])
        eq(st, 403, "no self-delete")
        check("You cannot delete your own account." in html, html[:3000])
        st, html, _ = post_form(b, "/admin/user/action",
                                [("action", "delete"), ("_selected", "3"),
                                 ("_selected", "1"), ("confirm", "yes")])
        eq(st, 403, "nor in a bulk delete")
        eq(b.sql("SELECT count(*) FROM kiln_user"), "4", "nobody deleted")
        eq(b.sql("SELECT count(*) FROM kiln_user WHERE id IN (1, 4) AND "
                 "active AND staff"), "2", "ana and root as they were")
        # add: a password twice (the policy), or none
        st, html, _ = page(b, "/admin/user/add")
        eq(st, 200, html[:300])
        check('type="password" id="id_password1"' in html and
              'type="password" id="id_password2"' in html, "two inputs")
        st, html, _ = post_form(b, "/admin/user/add", user_form(
            "dana", "dana@example.org", "Dana", superuser=True,
            extra=[("password1", NEW), ("password2", NEW)]))
        eq(st, 422, "ana makes no superuser")
        check('id="superuser-error"' in html, html)
        st, html, _ = post_form(b, "/admin/user/add", user_form(
            "da na", "not an email", "Dana",
            extra=[("password1", NEW), ("password2", NEW)]))
        eq(st, 422, html[:300])
        check('id="username-error"' in html and 'id="email-error"' in html,
              "a bad username and email: " + html)
        st, html, _ = post_form(b, "/admin/user/add", user_form(
            "", "", "Nobody", extra=[("password1", NEW), ("password2", NEW)]))
        eq(st, 422, html[:300])
        check("A user needs a username or an email" in html, html)
        st, html, _ = post_form(b, "/admin/user/add", user_form(
            "dana", "dana@example.org", "Dana",
            extra=[("password1", NEW), ("password2", "other")]))
        eq(st, 422, html[:300])
        check('id="password2-error"' in html, "mismatch")
        eq(b.sql("SELECT count(*) FROM kiln_user WHERE username = 'dana'"),
           "0", "not added")
        st, _, r = post_form(b, "/admin/user/add", user_form(
            "dana", "dana@example.org", "Dana",
            extra=[("password1", NEW), ("password2", NEW)]))
        eq(st, 303, "added")
        dana = int(b.sql("SELECT id FROM kiln_user WHERE username = 'dana'"))
        check(b.sql("SELECT password FROM kiln_user WHERE id = %d" % dana)
              .startswith("$argon2id$"), "stored hashed")
        check(b.sql("SELECT created FROM kiln_user WHERE id = %d" % dana)
              .startswith("20"), "created stamped")
        st, dana_cookie = login(b, "dana", NEW)
        eq(st, 200, "dana logs in")
        st, _, _ = post_form(b, "/admin/user/add", user_form(
            "eve", "", "Eve"))
        eq(st, 303, "added without a password")
        eq(b.sql("SELECT count(*) FROM kiln_user WHERE username = 'eve' AND "
                 "password = ''"), "1", "no usable password")
        eq(login(b, "eve", "")[0], 422, "no password: none to log in with")
        # a deactivated user: its session refused at once
        st, _, _ = post_form(b, "/admin/user/%d/" % dana, user_form(
            "dana", "dana@example.org", "Dana", active=False))
        eq(st, 303, "dana deactivated")
        eq(me(b, dana_cookie), 401, "dana's session refused at once")
        st, _, _ = post_form(b, "/admin/user/%d/" % dana, user_form(
            "dana", "dana@example.org", "Dana"))
        eq(st, 303, "active again")
        st, dana_cookie = login(b, "dana", NEW)
        eq(st, 200, "dana logs in again")
        # delete: the confirmation lists what goes; sessions go with it
        st, html, _ = page(b, "/admin/user/3/delete")
        eq(st, 200, html[:300])
        check(html.count("Member: ") == 1, "chen's membership: " + html)
        b.sql("INSERT INTO member (project_id, user_id) VALUES (1, %d)" % dana)
        st, html, _ = page(b, "/admin/user/%d/delete" % dana)
        check(html.count("Member: ") == 1 and "dana" in html, html)
        check(int(b.sql("SELECT count(*) FROM kiln_session WHERE user_id = %d"
                        % dana)) > 0, "dana's sessions")
        st, _, _ = post_form(b, "/admin/user/%d/delete" % dana,
                             [("confirm", "yes")])
        eq(st, 303, "deleted")
        eq(b.sql("SELECT count(*) FROM kiln_session WHERE user_id = %d" % dana),
           "0", "its sessions removed")
        eq(b.sql("SELECT count(*) FROM member WHERE user_id = %d" % dana),
           "0", "its membership cascaded")
        eq(me(b, dana_cookie), 401, "its session refused")
        eq(b.sql("SELECT count(*) FROM kiln_audit WHERE model = 'user' AND "
                 "action = 'delete' AND object_id = %d" % dana), "1",
           "the delete audited")
        # a superuser is deleted by a superuser only
        st, _, _ = post_form(b, "/admin/user/2/delete", [("confirm", "yes")])
        eq(st, 403, "ben is a superuser now: ana may not delete him")
        st, _, _ = post_form(b, "/admin/user/2/delete", [("confirm", "yes")],
                             who="root")
        eq(st, 303, "root may")
        eq(b.sql("SELECT count(*) FROM kiln_user WHERE id = 2"), "0", "gone")
        eq(b.sql("SELECT count(*) FROM task WHERE assignee_id = 2"), "0",
           "his tasks unassigned (set_null)")


def test_admin_users_extended_admin_table():
    b = AdminBoard()
    with open(os.path.join(b.root, "models", "user.toml"), "a") as f:
        f.write('\n[admin]\ngroup = "People"\nlist = ["username", "name"]\n'
                'search = ["username"]\nfilters = ["staff"]\n'
                'read_only = ["name"]\n')
    with b:
        st, html, _ = page(b, "/admin/")
        check(re.search(r"People.*href=\"/admin/user/\">Users</a>", html,
                        re.S) and "Authentication" not in html,
              "the app's group")
        st, html, _ = page(b, "/admin/user/")
        heads = re.findall(r'<th scope="col"[^>]*>(?:<a [^>]*>)?([^<]+)<',
                           html)
        check("Name" in heads and "Email" not in heads and
              "Superuser" not in heads, "the app's columns: %r" % heads)
        st, html, _ = page(b, "/admin/user/?q=example.org")
        check("0 users" in html, "search on username only, not email")
        st, html, _ = page(b, "/admin/user/?q=che")
        check("1 user" in html, "username search")
        st, html, _ = page(b, "/admin/user/2/")
        check('name="name"' not in html and 'id="id_name">Ben<' in html,
              "the app's read_only")
        st, _, _ = post_form(b, "/admin/user/2/",
                             user_form("ben2", "ben@example.org", "X"))
        eq(st, 303, "saved")
        eq(b.sql("SELECT username || ':' || name FROM kiln_user WHERE id = 2"),
           "ben2:Ben", "username written, name left alone")
