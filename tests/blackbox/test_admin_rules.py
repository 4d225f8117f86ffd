"""The admin's row-level rules and cascading deletes (docs/admin.md,
"Row-level rules" and "Deletes that cascade") on tests/blackbox/apps/
adminrules, on SQLite, or on a database of its own in the PostgreSQL of
KILN_TEST_DB_URL when it is set.

folder's query hook shows a staff user the folders they own and a
superuser every folder (grumpy is answered 403 by the hook, broken makes
it fail). A folder's items (and their parts, a level further) go with it;
its pins are kept with their ref set to NULL. The delete hooks of item and
part write what they saw to hooklog; an item titled "keep" refuses.

Users: root (superuser), alice and bob (staff, the clerk role: every
permission), grumpy and broken (the same). Seed: folders 1 and 2 are
alice's, 3 is bob's.
"""

import csv
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile

import sys
import uuid

import harness
from harness import check, eq, t
from kilncli import env_for, get_when_up, kiln_bin
from test_admin import page, post_form
from test_board import Board

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))
import pg_server  # noqa: E402

APP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "apps",
                   "adminrules")
PW = "kiln-board-demo"  # the password Board.login sends

SEED = """
INSERT INTO folder (id, name, owner) VALUES
  (1, 'alice docs', 2), (2, 'alice more', 2), (3, 'bob docs', 3);
INSERT INTO item (id, folder_id, title) VALUES
  (1, 1, 'a1'), (2, 1, 'a2'), (3, 3, 'b1'), (4, 3, 'keep'), (5, 2, 'm1');
INSERT INTO part (id, item_id, label) VALUES
  (1, 1, 'p1'), (2, 2, 'p2'), (3, 3, 'p3');
INSERT INTO pin (id, folder_id, note) VALUES (1, 1, 'pinned'), (2, 3, 'b');
"""


class RulesApp(Board):
    """The adminrules app in a temporary copy: migrated, its users made,
    seeded, built and running. Board gives login, call and the end."""

    def __init__(self):
        self.parent = tempfile.mkdtemp(prefix="kiln-adminrules-")
        self.root = os.path.join(self.parent, "adminrules")
        shutil.copytree(APP, self.root)
        self.env = {"KILN_APP_SECRET_KEY": "r" * 20 + "-rules-test-key-0123",
                    "KILN_AUTH_HASH_OPSLIMIT": "1",
                    "KILN_AUTH_HASH_MEMLIMIT": "16MiB"}
        self.pg = os.environ.get("KILN_TEST_DB_URL")
        if self.pg:
            name = "adminrules_" + uuid.uuid4().hex[:12]
            pg_server.psql(self.pg, "CREATE DATABASE " + name)
            self.pg = self.pg.rsplit("/", 1)[0] + "/" + name
            self.env["KILN_DATABASE_URL"] = self.pg
        self.proc = None

    def kiln_in(self, args, stdin=None):
        p = subprocess.run([kiln_bin()] + args, cwd=self.root,
                           env=env_for(self.env), input=stdin,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=t(180), text=True)
        eq(p.returncode, 0, "kiln %s: %s%s" % (" ".join(args), p.stdout,
                                               p.stderr))

    def __enter__(self):
        for cmd in (["migrate", "--make"], ["migrate"], ["build"]):
            self.kiln_in(cmd)
        self.kiln_in(["user", "create", "--superuser", "root"], PW + "\n")
        for who in ("alice", "bob", "grumpy", "broken"):
            self.kiln_in(["user", "create", "--staff", "--role", "clerk",
                          who], PW + "\n")
        if self.pg:
            pg_server.psql(self.pg, SEED)
        else:
            con = sqlite3.connect(os.path.join(self.root, "app.db"))
            con.executescript(SEED)
            con.close()
        self.port = harness.free_port()
        self.log = open(os.path.join(self.parent, "app.log"), "wb")
        self.proc = subprocess.Popen(
            [os.path.join(self.root, "dist", "adminrules"), "--port",
             str(self.port), "--root", self.root],
            env=env_for(self.env), stdout=self.log, stderr=subprocess.STDOUT)
        r = get_when_up(self.port, "/admin/")
        check(r is not None and r.status == 303, "the app answers")
        self.sessions = {}
        return self

    def rows(self, q):
        """Every row of q on the app's database, as tuples (from psql's
        text: integers as int, an empty value as None)."""
        if self.pg:
            def value(v):
                return None if v == "" else int(v) if v.isdigit() else v
            out = pg_server.psql(self.pg, q)
            return [tuple(value(v) for v in line.split("|"))
                    for line in out.split("\n") if line]
        con = sqlite3.connect(os.path.join(self.root, "app.db"))
        out = con.execute(q).fetchall()
        con.close()
        return out


def ids_of(html):
    """The ids of a change list's rows."""
    return sorted(int(x) for x in re.findall(
        r'name="_selected" value="(\d+)"', html))


def json_get(b, target, who):
    st, raw, r = b.call("GET", target, who=who)
    eq(st, 200, target + ": " + raw[:300])
    return json.loads(raw)


def test_admin_row_rules():
    with RulesApp() as b:
        # the list, its count, search, the CSV export
        st, html, _ = page(b, "/admin/folder/", who="alice")
        eq(st, 200, html[:300])
        eq(ids_of(html), [1, 2], "alice sees her folders")
        check("2 folders" in html and "bob docs" not in html, html)
        st, html, _ = page(b, "/admin/folder/?q=docs", who="alice")
        eq(ids_of(html), [1], "search within the rule")
        check("1 folder" in html, "the count of a search")
        st, body, _ = page(b, "/admin/folder/export.csv", who="alice")
        eq(st, 200, body[:200])
        names = [r["name"] for r in csv.DictReader(io.StringIO(body))]
        eq(sorted(names), ["alice docs", "alice more"], "CSV: " + body)
        # the dashboard's count
        st, html, _ = page(b, "/admin/", who="alice")
        check(re.search(r'Folders</a></th>\s*<td class="count">2</td>', html),
              "alice's dashboard counts her folders: " + html)
        st, html, _ = page(b, "/admin/", who="root")
        check(re.search(r'Folders</a></th>\s*<td class="count">3</td>', html),
              "root's counts every folder")
        # a list that joins another table: the rule's columns are its own
        st, html, _ = page(b, "/admin/part/", who="alice")
        eq(st, 200, html[:300])
        eq(ids_of(html), [1, 2], "part 3 hidden, item.title joined")
        check(">a1<" in html or "a1</td>" in html, "the joined column")
        st, html, _ = page(b, "/admin/part/", who="root")
        eq(ids_of(html), [1, 2, 3], "root sees part 3")
        # autocomplete and the palette
        got = json_get(b, "/admin/folder/autocomplete?q=", "alice")
        eq([r["id"] for r in got["results"]], [1, 2], "autocomplete")
        got = json_get(b, "/admin/folder/autocomplete?q=3", "alice")
        eq(got["results"], [], "a hidden row by its id")
        got = json_get(b, "/admin/search?q=docs", "alice")
        eq([(r["model"], r["id"]) for r in got["results"]], [("folder", 1)],
           "the palette")
        got = json_get(b, "/admin/search?q=docs", "root")
        eq(sorted(r["id"] for r in got["results"] if r["model"] == "folder"),
           [1, 3], "the palette, superuser")
        # a hidden row: its form, its save, its history, its delete
        for target in ("/admin/folder/3/", "/admin/folder/3/history",
                       "/admin/folder/3/delete"):
            st, html, r = page(b, target, who="alice")
            eq(st, 404, target + ": " + html[:200])
            check("text/html" in r.getheader("Content-Type"),
                  target + ": a page for a browser")
        st, _, _ = post_form(b, "/admin/folder/3/", [("name", "mine now"),
                                                     ("owner", "2")],
                             who="alice")
        eq(st, 404, "saving a hidden row")
        st, _, _ = post_form(b, "/admin/folder/3/delete", [("confirm", "yes")],
                             who="alice")
        eq(st, 404, "deleting a hidden row")
        eq(b.rows("SELECT name FROM folder WHERE id = 3"), [("bob docs",)],
           "bob's folder unchanged")
        st, html, _ = page(b, "/admin/folder/3/history", who="root")
        eq(st, 200, "root sees its history")
        # bob's delete page: the part hidden from him only counted
        st, html, _ = page(b, "/admin/folder/3/delete", who="bob")
        eq(st, 200, html[:300])
        check(">b1</a>" in html and "Part: 1 row you may not see" in html and
              ">p3<" not in html, "a hidden cascaded row: " + html)
        st, html, _ = page(b, "/admin/folder/3/delete", who="root")
        check(">p3</a>" in html, "root sees it")
        # a bulk delete naming a hidden row: the confirmation leaves it out
        st, html, _ = post_form(b, "/admin/folder/action", [
            ("action", "delete"), ("_selected", "2"), ("_selected", "3")],
            who="alice")
        eq(st, 200, html[:300])
        check("alice more" in html and "bob docs" not in html and
              "1 of the selected rows was left out" in html, html)
        check('name="_selected" value="3"' not in html, "not posted again")
        st, _, r = post_form(b, "/admin/folder/action", [
            ("action", "delete"), ("_selected", "2"), ("_selected", "3"),
            ("confirm", "yes")], who="alice")
        eq(st, 303, "the bulk delete")
        eq(b.rows("SELECT id FROM folder ORDER BY id"), [(1,), (3,)],
           "alice's folder 2 went, bob's 3 stayed")
        st, html, _ = page(b, "/admin/folder/", who="alice")
        check("1 selected row was left out" in html, "said after: " + html)
        # only hidden rows: nothing done
        st, _, _ = post_form(b, "/admin/folder/action", [
            ("action", "delete"), ("_selected", "3"), ("confirm", "yes")],
            who="alice")
        eq(st, 303, "a selection of hidden rows")
        eq(len(b.rows("SELECT id FROM folder WHERE id = 3")), 1, "kept")
        # the superuser sees every row
        st, html, _ = page(b, "/admin/folder/", who="root")
        eq(ids_of(html), [1, 3], "root sees every folder")
        st, html, _ = page(b, "/admin/folder/3/", who="root")
        eq(st, 200, "root opens bob's folder")
        # an inline child's rows under the child's rule: part 3 is not on
        # item 3's page for alice, nor reached by her save of that page
        st, html, _ = page(b, "/admin/item/3/", who="alice")
        eq(st, 200, html[:300])
        check('value="p3"' not in html, "part 3 hidden in the inline")
        st, html, _ = page(b, "/admin/item/3/", who="root")
        check('value="p3"' in html, "root sees it there")
        st, html, _ = post_form(b, "/admin/item/3/", [
            ("folder", "3"), ("title", "b1"), ("part-TOTAL", "1"),
            ("part-0-id", "3"), ("part-0-label", "taken")], who="alice")
        eq(st, 422, "a reference to a folder alice may not see: " + html[:300])
        check("there is no folder with id 3" in html, "said beside it")
        st, _, _ = post_form(b, "/admin/item/3/", [
            ("folder", "1"), ("title", "b1"), ("part-TOTAL", "1"),
            ("part-0-id", "3"), ("part-0-label", "taken")], who="alice")
        eq(st, 303, "the item saved into her folder")
        eq(b.rows("SELECT label FROM part WHERE id = 3"), [("p3",)],
           "the hidden part unchanged")
        # a hook that answers itself, and one that fails: pages
        st, html, r = page(b, "/admin/folder/", who="grumpy")
        eq(st, 403, html[:300])
        check("text/html" in r.getheader("Content-Type") and
              "grumpy may not see folders" in html and "<html" in html.lower(),
              "the hook's answer as a page: " + html[:300])
        for target in ("/admin/folder/1/", "/admin/", "/admin/folder/1/delete"):
            st, html, r = page(b, target, who="grumpy")
            eq(st, 403, target + ": " + html[:200])
            check(html.lower().count("<html") == 1, "one page: " + html)
        st, html, r = page(b, "/admin/folder/", who="broken")
        eq(st, 500, html[:300])
        check("text/html" in r.getheader("Content-Type") and
              "<html" in html.lower(), "a failing hook: a 500 page")
        st, raw, r = b.call("GET", "/admin/folder/autocomplete?q=", who="grumpy")
        eq(st, 403, raw)
        check("json" in r.getheader("Content-Type"), "JSON for a script")


def test_admin_cascade_hooks():
    with RulesApp() as b:
        # the confirmation lists both levels
        st, html, _ = page(b, "/admin/folder/1/delete", who="root")
        eq(st, 200, html[:300])
        for label in ("alice docs", "a1", "a2", "p1", "p2"):
            check(">%s</a>" % label in html, label + " listed: " + html)
        check(">b1<" not in html and ">pinned<" not in html, "nothing else")
        st, html, r = post_form(b, "/admin/folder/1/delete",
                                [("confirm", "yes")], who="root")
        eq(st, 303, html[:300])
        log = [m for (m,) in b.rows("SELECT msg FROM hooklog ORDER BY id")]
        eq(log, ["before item 1", "before item 2", "before part 1",
                 "before part 2", "after item 1", "after item 2",
                 "after part 1", "after part 2"],
           "every cascaded row's hooks, before ones first")
        eq(b.rows("SELECT count(*) FROM item WHERE folder_id = 1"), [(0,)],
           "its items went")
        audit = b.rows("SELECT model, object_id, action, via FROM kiln_audit "
                       "ORDER BY id")
        eq(audit, [
            ("folder", 1, "delete", "admin"),
            ("item", 1, "delete", "admin: cascade from folder 1"),
            ("item", 2, "delete", "admin: cascade from folder 1"),
            ("pin", 1, "change", "admin: set null by folder 1"),
            ("part", 1, "delete", "admin: cascade from folder 1"),
            ("part", 2, "delete", "admin: cascade from folder 1")],
           "an entry per row")
        changes = json.loads(b.rows(
            "SELECT changes FROM kiln_audit WHERE model = 'pin'")[0][0])
        eq(changes, {"folder": [1, None]}, "the pin's ref became NULL")
        eq(b.rows("SELECT count(*) FROM pin WHERE id = 1 AND folder_id IS "
                  "NULL"), [(1,)], "the database set it")
        # a child's before_delete refuses: nothing is deleted, the page says
        # why
        st, html, _ = post_form(b, "/admin/folder/3/delete",
                                [("confirm", "yes")], who="root")
        eq(st, 422, html[:300])
        check("this item is kept" in html and "Nothing was deleted" in html,
              "the refusal on the confirmation page: " + html)
        eq(b.rows("SELECT count(*) FROM folder WHERE id = 3"), [(1,)], "kept")
        eq(b.rows("SELECT count(*) FROM item WHERE folder_id = 3"), [(2,)],
           "its items kept")
        eq(b.rows("SELECT count(*) FROM hooklog"), [(8,)],
           "the refused delete's hook writes rolled back")
        eq(b.rows("SELECT count(*) FROM kiln_audit"), [(6,)], "no entry")
        # a bulk delete runs the cascaded rows' hooks too
        st, _, _ = post_form(b, "/admin/folder/action", [
            ("action", "delete"), ("_selected", "2"), ("confirm", "yes")],
            who="root")
        eq(st, 303, "bulk delete")
        log = [m for (m,) in b.rows("SELECT msg FROM hooklog ORDER BY id")]
        eq(log[8:], ["before item 5", "after item 5"], "folder 2's item")
        eq(b.rows("SELECT model, object_id, via FROM kiln_audit WHERE "
                  "id > 6 ORDER BY id"),
           [("folder", 2, "admin"),
            ("item", 5, "admin: cascade from folder 2")], "its entries")
        # the cascaded row's history page shows its entry
        st, html, _ = page(b, "/admin/item/5/history", who="root")
        eq(st, 200, html[:300])
        check("cascade from folder 2" in html, "the via on the history page")
