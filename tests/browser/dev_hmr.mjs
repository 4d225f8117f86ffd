// tests/browser/dev_hmr.mjs - `kiln dev` with the react template: kiln dev
// started Vite, whose page (the API through its proxy to the app) is
// open; an edit to a component file (KILN_HMR_FILE) shows through hot
// module replacement, without a page load: a mark left on window
// survives, and the text typed in the form stays.
import fs from 'node:fs';
import path from 'node:path';
import { check, run } from './browser.mjs';

const file = process.env.KILN_HMR_FILE;

await run(async (base, artefacts, { page }) => {
  await page.goto(base + '/', { timeout: 60000 });
  await page.locator('h1', { hasText: 'Notes' }).waitFor({ timeout: 60000 });
  // the API answered through Vite's proxy to the app
  await page.locator('#empty').waitFor({ timeout: 20000 });
  await page.evaluate(() => { window.kilnMark = 'kept'; });
  await page.fill('input[name=title]', 'typed before the edit');
  let loads = 0;
  page.on('load', () => { loads++; });
  const source = fs.readFileSync(file, 'utf8');
  check(source.includes('<h1>Notes</h1>'), 'the component has the title');
  fs.writeFileSync(file, source.replace('<h1>Notes</h1>',
                                        '<h1>Notes, hot</h1>'));
  await page.locator('h1', { hasText: 'Notes, hot' })
    .waitFor({ timeout: 20000 });
  check(await page.evaluate(() => window.kilnMark) === 'kept',
        'the page was not loaded again');
  check(loads === 0, 'no load event');
  check(await page.inputValue('input[name=title]') === 'typed before the edit',
        'the form kept its state (React Fast Refresh)');
  await page.screenshot({ path: path.join(artefacts, 'hmr.png') });
});
