"""Browser test of examples/board's live updates (Chromium): htmx 2.0.11
and htmx-ext-sse, both from tests/browser's lock file, served from the
board's static/ as make demo serves them."""

import os
import shutil

import browsertest
from test_board import Board

HERE = os.path.dirname(os.path.abspath(__file__))
SSE = os.path.join(HERE, "node_modules", "htmx-ext-sse", "dist", "sse.min.js")


def test_board_updates_live_in_another_tab():
    folder = browsertest.artefacts(test_board_updates_live_in_another_tab)
    with Board() as b:
        for src in (browsertest.HTMX, SSE):
            shutil.copy(src, os.path.join(b.root, "static"))
        browsertest.scenario("board_live.mjs", "http://127.0.0.1:%d" % b.port,
                             folder)
test_board_updates_live_in_another_tab.timeout = 180
