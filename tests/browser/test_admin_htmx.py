"""The admin's change list with htmx (docs/admin.md, "Lists"): the board
built and seeded as the demo is (test_board.Board), 25 more tasks so that
the list has pages; admin_htmx.mjs drives search, a filter, sorting and
pages in Chromium and checks that each swaps the list in place."""

import os
import sqlite3

import browsertest
from test_board import Board


def test_admin_list_swaps():
    folder = browsertest.artefacts(test_admin_list_swaps)
    with Board() as b:
        con = sqlite3.connect(os.path.join(b.root, "app.db"))
        con.executemany(
            "INSERT INTO task (project_id, title, status, priority, created,"
            " updated) VALUES (1, ?, 'todo', 'low',"
            " '2026-12-01 00:00:00.000000+00', '2026-12-01 00:00:00.000000+00')",
            [("Batch task %02d" % i,) for i in range(25)])
        con.commit()
        con.close()
        browsertest.scenario("admin_htmx.mjs", "http://127.0.0.1:%d" % b.port,
                             folder, timeout=180)
test_admin_list_swaps.timeout = 300
