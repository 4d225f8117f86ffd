"""The single-page-app pattern (docs/auth.md, "A single-page app with
oidc-client-ts") in Chromium: a page served by a Kiln app logs in at the
test provider of tests/oidc (oidc-provider on 127.0.0.1) with
oidc-client-ts (npm, pinned in package-lock.json, its browser build copied
into the app's static/), gets an access token with the code flow and
PKCE, and calls the app's API with Authorization: Bearer; the app answers
as that user and keeps a local user for it. A forged token and a token for
another audience are refused with 401 problem+json and the challenge."""

import os
import shutil

import harness
import browsertest
from harness import check, eq
from test_auth_oidc import App, IdP, npm_ci

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENT = os.path.join(HERE, "node_modules", "oidc-client-ts", "dist",
                      "browser", "oidc-client-ts.min.js")

# The page: what docs/auth.md shows, with the issuer of this run.
SPA = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>spa</title>
<script src="/static/oidc-client-ts.min.js"></script></head>
<body>
<button id="login">Log in</button>
<pre id="out"></pre>
<script>
const auth = new oidc.UserManager({
  authority: "ISSUER",
  client_id: "kiln-spa",
  redirect_uri: location.origin + "/static/spa.html",
  scope: "openid email profile api",
});

async function api(path, token) {
  const r = await fetch(path, { headers: { Authorization: "Bearer " + token } });
  return { status: r.status, type: r.headers.get("Content-Type"),
           challenge: r.headers.get("WWW-Authenticate"), body: await r.json() };
}

async function main() {
  if (!new URLSearchParams(location.search).has("code"))
    return;
  const user = await auth.signinRedirectCallback();  // checks state, PKCE
  history.replaceState(null, "", location.pathname);
  window.result = {
    token: user.access_token,
    hello: await api("/api/hello", user.access_token),
    me: await api("/api/auth/me", user.access_token),
  };
  document.getElementById("out").textContent = "done";
}

document.getElementById("login").onclick = () => auth.signinRedirect();
main().catch((e) => {
  window.result = { error: String(e) };
  document.getElementById("out").textContent = "done";
});
</script>
</body>
</html>
"""


def test_spa_with_oidc_client_ts_in_chromium():
    folder = browsertest.artefacts(test_spa_with_oidc_client_ts_in_chromium)
    npm_ci()
    port = harness.free_port()
    base = "http://127.0.0.1:%d" % port
    idp = IdP({"KILN_SPA_REDIRECT_URIS": base + "/static/spa.html"}).start()
    app = None
    try:
        app = App(idp, port=port)
        static = os.path.join(app.root, "static")
        os.makedirs(static, exist_ok=True)
        shutil.copy(CLIENT, static)
        with open(os.path.join(static, "spa.html"), "w") as f:
            f.write(SPA.replace("ISSUER", idp.issuer))
        app.start()
        # a token of another audience, minted by the provider itself
        other = idp.token(aud="https://other.example")
        out = browsertest.scenario("oidc_spa.mjs", base, folder,
                                   timeout=90).replace("\n", " ")
        check("# ok" in out, out)
        eq(app.sql("SELECT subject || ' ' || email FROM kiln_user"),
           "alice alice@example.com", "the user synced")
        r = app.call("/api/hello", other)
        eq(r.status, 401, "another audience")
        eq(r.header("Content-Type"), "application/problem+json", "problem")
        check('error="invalid_token"' in r.header("WWW-Authenticate"),
              r.header("WWW-Authenticate"))
    finally:
        if app:
            app.close()
        idp.close()


test_spa_with_oidc_client_ts_in_chromium.timeout = 240
