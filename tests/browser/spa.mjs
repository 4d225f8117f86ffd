// tests/browser/spa.mjs - the test SPA (tests/blackbox/apps/spa) in
// Chromium: a deep link and a reload render the client route from
// index.html with its immutable script; a page on a second origin
// (KILN_SPA_FRONT, allowed by [cors]) reads the API with the session
// cookie and gets a preflighted PUT through; the same page on a third
// origin (KILN_SPA_OTHER, localhost instead of 127.0.0.1) is blocked.
import path from 'node:path';
import { check, run } from './browser.mjs';

const front = process.env.KILN_SPA_FRONT;
const other = process.env.KILN_SPA_OTHER;

await run(async (base, artefacts, { page, context }) => {
  check(front && other, 'KILN_SPA_FRONT and KILN_SPA_OTHER');
  const cache = {};
  page.on('response', (r) => {
    cache[new URL(r.url()).pathname] = r.headers()['cache-control'];
  });
  await page.goto(base + '/boards/7/cards/3?tab=x');
  await page.waitForSelector('#root[data-ready="1"]');
  let text = await page.textContent('#root');
  check(text === 'route:/boards/7/cards/3', 'the client route: ' + text);
  check(cache['/boards/7/cards/3'] === 'no-cache', 'index.html no-cache');
  check(cache['/assets/app.3f9a1c2b.js'] ===
        'public, max-age=31536000, immutable', 'the script is immutable: ' +
        cache['/assets/app.3f9a1c2b.js']);
  await page.reload();
  await page.waitForSelector('#root[data-ready="1"]');
  text = await page.textContent('#root');
  check(text === 'route:/boards/7/cards/3', 'after a reload: ' + text);
  // an API miss in the address bar stays JSON
  const miss = await page.goto(base + '/api/nope');
  check(miss.status() === 404 &&
        miss.headers()['content-type'] === 'application/problem+json',
        'an API 404 is problem+json: ' + miss.headers()['content-type']);

  // the second origin: credentialed GET, preflighted PUT
  await context.addCookies([{ name: 'sid', value: 'ada', url: base }]);
  await page.goto(front + '/front.html?app=' + encodeURIComponent(base));
  await page.waitForSelector('#out[data-done="1"]');
  text = await page.textContent('#out');
  check(text === 'user=ada cost=1 put=true',
        'the allowed origin reads the API with its cookie: ' + text);
  await page.screenshot({ path: path.join(artefacts, 'front.png') });

  // a third origin: the browser blocks the page's script
  const blocked = [];
  page.on('console', (m) => blocked.push(m.text()));
  await page.goto(other + '/front.html?app=' + encodeURIComponent(base));
  await page.waitForSelector('#out[data-done="1"]');
  text = await page.textContent('#out');
  check(text === 'blocked: TypeError', 'another origin is blocked: ' + text);
  check(blocked.some((m) => m.includes('CORS')),
        'Chromium says why: ' + blocked.join(' | '));
});
