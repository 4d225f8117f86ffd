"""Browser tests of the admin's own assets, share/admin/static/admin.css
and admin.js, against adminfixture.py's pages (the markup contract of
docs/admin.md, served with the JSON endpoints admin.js calls)."""

import browsertest
from adminfixture import Fixture


def test_admin_assets_on_contract_pages():
    folder = browsertest.artefacts(test_admin_assets_on_contract_pages)
    with Fixture() as f:
        browsertest.scenario("admin_ui.mjs", f.base, folder, timeout=240)
test_admin_assets_on_contract_pages.timeout = 300
