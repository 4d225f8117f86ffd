// tests/browser/oidc_spa.mjs - a single-page app that holds its own access
// token (oidc-client-ts): the page at /static/spa.html sends the browser
// to the provider, the user signs in and consents, the provider sends it
// back with a code, oidc-client-ts exchanges it (PKCE) for tokens, and the
// page calls the Kiln app with Authorization: Bearer. Kiln answers as the
// user; a forged token is refused with 401 problem+json and the challenge.
import path from 'node:path';
import { check, run } from './browser.mjs';

await run(async (base, artefacts, { page }) => {
  const seen = [];
  page.on('request', (r) => {
    if (r.url().includes('/auth?') || r.url().endsWith('/token'))
      seen.push({ url: r.url(), body: r.postData() || '' });
  });
  await page.goto(base + '/static/spa.html');
  await page.click('#login');
  await page.waitForSelector('input[name="login"]');
  // the authorization request carries a PKCE challenge (S256)
  const authz = seen.find((r) => r.url.includes('/auth?'));
  check(authz, 'the authorization request');
  const q = new URL(authz.url).searchParams;
  check(q.get('code_challenge_method') === 'S256' && q.get('code_challenge') &&
        q.get('state') && q.get('client_id') === 'kiln-spa', 'PKCE: ' + authz.url);
  await page.fill('input[name="login"]', 'alice');
  await page.fill('input[name="password"]', 'any');
  await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
  await page.waitForSelector('button[type="submit"]'); // the consent page
  await Promise.all([page.waitForURL(base + '/static/spa.html*'),
    page.click('button[type="submit"]')]);
  await page.waitForFunction(() => document.getElementById('out').textContent === 'done');
  const res = await page.evaluate(() => window.result);
  check(!res.error, 'the callback: ' + res.error);
  check(res.token.split('.').length === 3, 'a JWT access token');
  const tok = seen.find((r) => r.url.endsWith('/token'));
  check(tok && tok.body.includes('code_verifier=') && !tok.body.includes('client_secret'),
    'the code exchanged with its verifier, no secret: ' + (tok && tok.body));
  check(res.hello.status === 200 && res.hello.body.hello === 'alice' &&
        res.hello.body.via === 3, 'the API knows the user: ' + JSON.stringify(res.hello));
  check(res.me.status === 200 && res.me.body.email === 'alice@example.com',
    'synced: ' + JSON.stringify(res.me));
  // no cookie: the token is the credential
  check((await page.evaluate(() => document.cookie)) === '', 'no cookie');
  // a forged token: the payload changed, the signature kept
  const [h, p, s] = res.token.split('.');
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
  claims.sub = 'mallory';
  const forged = [h, Buffer.from(JSON.stringify(claims)).toString('base64url'), s].join('.');
  const bad = await page.evaluate(async (t) => {
    const r = await fetch('/api/hello', { headers: { Authorization: 'Bearer ' + t } });
    return { status: r.status, type: r.headers.get('Content-Type'),
      challenge: r.headers.get('WWW-Authenticate'), body: await r.json() };
  }, forged);
  check(bad.status === 401 && bad.type === 'application/problem+json',
    'forged: ' + JSON.stringify(bad));
  check(bad.challenge.startsWith('Bearer') && bad.challenge.includes('error="invalid_token"'),
    'the challenge: ' + bad.challenge);
  await page.screenshot({ path: path.join(artefacts, 'oidc_spa.png') });
  console.log('# ok');
});
