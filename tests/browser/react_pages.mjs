// tests/browser/react_pages.mjs - React pages (tests/blackbox/apps/react)
// in Chromium: with JavaScript off the server's HTML shows the page in its
// layout; with it on the page hydrates without a console error or a
// hydration warning and is interactive; a click on a link to another
// React page fetches that page's data as JSON (no document request, the
// page's JavaScript state survives), Back does the same, and a link to a
// template page loads it as a document.
import path from 'node:path';
import { check, run } from './browser.mjs';

await run(async (base, artefacts, { page, context }) => {
  // JavaScript off: what a crawler or a slow phone sees first
  const plain = await context.newPage();
  const cdp = await context.newCDPSession(plain);
  await cdp.send('Emulation.setScriptExecutionDisabled', { value: true });
  await plain.goto(base + '/posts/2');
  check(await plain.textContent('h1.post-title') === 'Second thoughts',
        'the server-rendered title without JavaScript');
  check(await plain.textContent('.layout nav a[href="/about"]') === 'About',
        'inside the layout');
  check(await plain.title() === 'Second thoughts', 'the document title');
  await plain.screenshot({ path: path.join(artefacts, 'no-js.png') });
  await plain.close();

  // JavaScript on: hydration, quietly
  const noise = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning')
      noise.push(m.type() + ': ' + m.text());
  });
  const requests = [];
  page.on('request', (r) => requests.push({
    path: new URL(r.url()).pathname, type: r.resourceType(),
    accept: r.headers()['accept'] || '',
  }));
  await page.goto(base + '/');
  check(await page.textContent('p.motto') ===
        '</script><!-- "quoted" & \'single\' \u2028 end',
        'the props arrive intact');
  // interactive only once hydrated
  await page.click('button');
  await page.waitForFunction(
    () => document.querySelector('button')?.textContent === 'clicked 1');
  await page.evaluate(() => { window.kilnMarker = 'kept'; });

  // to another React page: JSON, not a document
  requests.length = 0;
  await page.click('main a[href="/posts/2"]');
  await page.waitForFunction(() =>
    document.querySelector('h1.post-title')?.textContent === 'Second thoughts');
  check(new URL(page.url()).pathname === '/posts/2', 'the URL: ' + page.url());
  check(await page.title() === 'Second thoughts', 'the title follows');
  const asked = requests.filter((r) => r.path === '/posts/2');
  check(asked.length === 1 && asked[0].type === 'fetch' &&
        asked[0].accept === 'application/json',
        'one JSON request for the page: ' + JSON.stringify(requests));
  check(!requests.some((r) => r.type === 'document'), 'no document loaded');
  check(await page.evaluate(() => window.kilnMarker) === 'kept',
        'no full page load');
  await page.screenshot({ path: path.join(artefacts, 'navigated.png') });

  // Back: the list again, through JSON
  requests.length = 0;
  await page.goBack();
  await page.waitForSelector('p.motto');
  check(requests.some((r) => r.path === '/' && r.type === 'fetch'),
        'Back fetched the data: ' + JSON.stringify(requests));
  check(!requests.some((r) => r.type === 'document'), 'Back: no document');
  check(await page.evaluate(() => window.kilnMarker) === 'kept',
        'Back: no full page load');

  // to a template page: a full load
  requests.length = 0;
  await page.click('nav a[href="/about"]');
  await page.waitForSelector('text=About this app');
  check(requests.some((r) => r.path === '/about' && r.type === 'document'),
        'a template page is loaded as a document');
  check(await page.evaluate(() => window.kilnMarker) === undefined,
        'a new page');
  check(noise.length === 0, 'no console errors or warnings: ' +
        noise.join(' | '));
});
