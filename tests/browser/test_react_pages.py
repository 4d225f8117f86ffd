"""React pages (docs/frontend.md, "React pages") in Chromium: the app of
test_frontend_react (tests/blackbox/apps/react, its front end built from
tests/react) served with its SSR sidecar; react_pages.mjs checks the page
without JavaScript, hydration without console errors or hydration
warnings, and navigation between React pages by JSON requests."""

import browsertest
from test_frontend_react import App


def test_react_pages_hydrate_and_navigate():
    folder = browsertest.artefacts(test_react_pages_hydrate_and_navigate)
    with App() as a:
        browsertest.scenario("react_pages.mjs",
                             "http://127.0.0.1:%d" % a.port, folder)


test_react_pages_hydrate_and_navigate.timeout = 900
