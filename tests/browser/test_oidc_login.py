"""Logging in through the OpenID provider (docs/auth.md) in Chromium: the
test provider of tests/oidc (oidc-provider on 127.0.0.1) and the app of
tests/blackbox/apps/oidc with its login flow configured."""

import harness
import browsertest
from test_auth_oidc import App, IdP, npm_ci


def test_oidc_login_in_chromium():
    folder = browsertest.artefacts(test_oidc_login_in_chromium)
    npm_ci()
    port = harness.free_port()
    base = "http://127.0.0.1:%d" % port
    idp = IdP({"KILN_REDIRECT_URIS": base + "/auth/oidc/callback",
               "KILN_LOGOUT_URIS": base + "/"}).start()
    app = None
    try:
        app = App(idp, port=port, env={
            "KILN_AUTH_OIDC_CLIENT_ID": "kiln-app",
            "KILN_AUTH_OIDC_CLIENT_SECRET": "kiln-secret",
        }).start()
        browsertest.scenario("oidc_login.mjs", base, folder)
    finally:
        if app:
            app.close()
        idp.close()


test_oidc_login_in_chromium.timeout = 240
