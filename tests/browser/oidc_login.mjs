// tests/browser/oidc_login.mjs - logging in through the OpenID provider in
// Chromium: the app sends the browser to the provider's login page, the
// user signs in and consents, the provider sends it back, and the app's
// pages know the user; the browser holds no token (the session cookie is
// HttpOnly, no cookie carries a JWT), and logging out ends the session.
import path from 'node:path';
import { check, run } from './browser.mjs';

await run(async (base, artefacts, { page, context }) => {
  await page.goto(base + '/auth/oidc/login?next=/api/hello');
  await page.waitForSelector('input[name="login"]');
  await page.fill('input[name="login"]', 'alice');
  await page.fill('input[name="password"]', 'any');
  await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
  // the consent page
  await page.waitForSelector('button[type="submit"]');
  await Promise.all([page.waitForURL(base + '/api/hello'),
    page.click('button[type="submit"]')]);
  const hello = JSON.parse(await page.textContent('body'));
  check(hello.hello === 'alice', 'the app knows the user: ' + JSON.stringify(hello));
  const me = await page.evaluate(async () => (await fetch('/api/auth/me')).json());
  check(me.email === 'alice@example.com', 'me: ' + JSON.stringify(me));
  const cookies = await context.cookies(base);
  check(cookies.length > 0, 'a session cookie');
  const session = cookies.find((c) => c.name.includes('session'));
  check(session && session.httpOnly, 'an HttpOnly session cookie: ' + JSON.stringify(cookies));
  for (const c of cookies)
    check(!c.value.includes('eyJ'), 'no token in cookie ' + c.name);
  const seen = await page.evaluate(() => document.cookie);
  check(!seen.includes('session') && !seen.includes('eyJ'), 'scripts see no session or token: ' + seen);
  await page.screenshot({ path: path.join(artefacts, 'oidc_login.png') });
  // log out with the session's CSRF token, as a page's form would
  const csrf = (await page.evaluate(async () => (await fetch('/api/csrf')).json())).token;
  const st = await page.evaluate(async (t) => (await fetch('/auth/oidc/logout', {
    method: 'POST', headers: { 'X-CSRF-Token': t }, redirect: 'manual' })).type, csrf);
  check(st === 'opaqueredirect', 'logout redirects to the provider: ' + st);
  const after = await page.evaluate(async () => (await fetch('/api/hello')).status);
  check(after === 401, 'logged out: ' + after);
});
