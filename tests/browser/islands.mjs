// tests/browser/islands.mjs - an island (island('Counter', props) in a
// server page, docs/frontend.md "Islands"), its markup rendered on the
// server by the SSR sidecar: with every script blocked the component's
// HTML is there, its props (a label holding </script>, quotes, an
// ampersand) shown exactly; with scripts, the island hydrates (no
// hydration warning) and its button counts.
import path from 'node:path';
import { check, run } from './browser.mjs';

const LABEL = '</script><b>"double" & \'single\'</b>';

await run(async (base, artefacts, { page }) => {
  const problems = [];
  page.on('console', (m) => {
    // the browser's own request for a favicon is no concern of the page
    if ((m.type() === 'error' || m.type() === 'warning') &&
        !(m.location().url || '').endsWith('/favicon.ico'))
      problems.push(m.text());
  });
  // no JavaScript: what the server sent, alone
  await page.route('**/*', (route) =>
    route.request().resourceType() === 'script' ? route.abort()
      : route.continue());
  await page.goto(base + '/islands');
  const island = page.locator('[data-island="Counter"]');
  check(await island.getAttribute('data-ssr') !== null,
        'the server rendered the island');
  check(await page.locator('.counter .label').textContent() === LABEL,
        'the label, exactly: ' + await page.locator('.counter .label')
          .textContent());
  check(await page.locator('.counter button').textContent() === 'count 3',
        'the start prop');
  check(await page.locator('#after').count() === 1,
        'nothing after the island was swallowed by its props');
  await page.screenshot({ path: path.join(artefacts, 'no-js.png') });
  // with JavaScript: hydrated, and interactive
  await page.unroute('**/*');
  problems.length = 0; // the scripts blocked above
  await page.reload();
  await page.waitForFunction(() => window.kilnIslands !== undefined);
  const outcomes = await page.evaluate(() =>
    window.kilnIslands.map((r) => r.outcome));
  check(outcomes.join() === 'hydrated', 'mountIslands: ' + outcomes.join());
  await page.click('.counter button');
  await page.locator('.counter button', { hasText: 'count 4' }).waitFor();
  await page.click('.counter button');
  await page.locator('.counter button', { hasText: 'count 5' }).waitFor();
  check(await page.locator('.counter .label').textContent() === LABEL,
        'the label after hydration');
  check(await page.locator('[data-island="Counter"] .counter').count() === 1,
        'hydrated in place, not rendered twice');
  check(problems.length === 0, 'console: ' + problems.join(' | '));
  await page.screenshot({ path: path.join(artefacts, 'hydrated.png') });
});
