"""The /api/docs page (docs/openapi.md) in Chromium: Swagger UI served by
the app renders its OpenAPI document, offline."""

import browsertest
from kilncli import Dev, Project
from test_openapi import DOCS_DIR, make, npm_ci


def test_apidocs_page_renders_offline():
    folder = browsertest.artefacts(test_apidocs_page_renders_offline)
    npm_ci(DOCS_DIR)
    with Project("board") as p:
        make(p)
        with Dev(p) as d:
            d.wait_for("/api/docs", lambda r: r.status == 200,
                       "the docs page", timeout=120)
            browsertest.scenario("apidocs.mjs",
                                 "http://127.0.0.1:%d" % d.port, folder)


test_apidocs_page_renders_offline.timeout = 240
