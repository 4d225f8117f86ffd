// tests/browser/htmx_pages.mjs - a link with hx-get swaps in the block
// Kiln renders alone for an HTMX request, leaving the rest of the page
// alone; a missing page opened by the browser (its real Accept header)
// shows the HTML error page, not problem+json.
import path from 'node:path';
import { check, run } from './browser.mjs';

await run(async (base, artefacts, { page }) => {
  await page.goto(base + '/');
  await page.waitForFunction(() => window.htmx !== undefined);
  check(await page.textContent('main h1') === 'Home', 'the index page');
  check(await page.locator('nav').count() === 1, 'one nav');
  const before = await page.textContent('footer');
  // the partial: only the content block comes back and is swapped in
  const partial = page.waitForResponse((r) => r.url().endsWith('/about'));
  await page.click('#to-about');
  const resp = await partial;
  check(resp.status() === 200, 'the partial answered 200');
  const html = await resp.text();
  check(!html.includes('<nav') && html.includes('<h1>About</h1>'),
        'the partial is the block alone: ' + html);
  await page.waitForSelector('main h1:text("About")');
  check(await page.locator('nav').count() === 1, 'still one nav');
  check(await page.textContent('footer') === before, 'footer untouched');
  check(new URL(page.url()).pathname === '/', 'no navigation');
  await page.screenshot({ path: path.join(artefacts, 'htmx-partial.png') });
  // a missing page in a browser: HTML
  const r = await page.goto(base + '/no/such/page');
  check(r.status() === 404, 'status 404');
  check(r.headers()['content-type'] === 'text/html; charset=utf-8',
        'an HTML error page: ' + r.headers()['content-type']);
  check((await page.textContent('h1')).includes('404 Not Found'),
        'the page says 404');
  await page.screenshot({ path: path.join(artefacts, 'error-404.png') });
});
