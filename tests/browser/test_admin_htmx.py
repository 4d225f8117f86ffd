"""The admin's change list with htmx (docs/admin.md, "Lists"): the board
built and seeded as the demo is (test_board.Board), 25 more tasks so that
the list has pages; admin_htmx.mjs drives search, a filter, sorting and
pages in Chromium and checks that each swaps the list in place."""

import browsertest
from test_admin_board import more_tasks
from test_board import Board


def test_admin_list_swaps():
    folder = browsertest.artefacts(test_admin_list_swaps)
    with Board() as b:
        more_tasks(b)
        browsertest.scenario("admin_htmx.mjs", "http://127.0.0.1:%d" % b.port,
                             folder, timeout=180)
test_admin_list_swaps.timeout = 300
