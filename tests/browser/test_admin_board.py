"""The admin in a real browser: examples/board built, migrated and seeded
as the demo is (test_board.Board), 25 more tasks so that the task list
has two pages, and chen (a viewer) made staff to be a view-only admin
user; admin_board.mjs then drives the real pages in Chromium."""

import os
import sqlite3

import browsertest
from test_board import Board


def more_tasks(b, n=25):
    """n more todo tasks in project 1 ("Batch task 00"...): with the seed's
    six, a task list of two pages."""
    con = sqlite3.connect(os.path.join(b.root, "app.db"))
    con.executemany(
        "INSERT INTO task (project_id, title, status, priority, created,"
        " updated) VALUES (1, ?, 'todo', 'low',"
        " '2026-12-01 00:00:00.000000+00', '2026-12-01 00:00:00.000000+00')",
        [("Batch task %02d" % i,) for i in range(n)])
    con.commit()
    con.close()


def test_admin_on_the_board():
    folder = browsertest.artefacts(test_admin_on_the_board)
    with Board() as b:
        con = sqlite3.connect(os.path.join(b.root, "app.db"))
        con.execute("UPDATE kiln_user SET staff = TRUE WHERE username = 'chen'")
        con.commit()
        con.close()
        more_tasks(b)
        browsertest.scenario("admin_board.mjs", "http://127.0.0.1:%d" % b.port,
                             folder, timeout=300)
test_admin_on_the_board.timeout = 480
