// tests/browser/scaffold_htmx.mjs - the project `kiln new --template
// htmx` makes, built by kiln build (htmx copied from npm into static/):
// a blank title is answered 422 with the form's block, swapped in place
// with the message and the text typed; the rest of the page is the same
// DOM; a good note is added with the CSRF header htmx sends.
import path from 'node:path';
import { check, run } from './browser.mjs';

await run(async (base, artefacts, { page }) => {
  await page.goto(base + '/');
  await page.waitForFunction(() => window.htmx !== undefined);
  await page.evaluate(() => {
    document.querySelector('h1').dataset.mark = 'kept';
  });
  await page.fill('textarea[name=body]', 'kept text');
  const refused = page.waitForResponse((r) => r.request().method() === 'POST');
  await page.click('form button');
  const resp = await refused;
  check(resp.status() === 422, 'the action answered ' + resp.status());
  check(!!(await resp.request().headerValue('x-csrf-token')),
        'htmx sent the CSRF header');
  const error = page.locator('#notes #title-error');
  await error.waitFor();
  check((await error.textContent()).length > 0, 'the message');
  check(await page.inputValue('textarea[name=body]') === 'kept text',
        'what was typed is still there');
  check(await page.evaluate(() =>
    document.querySelector('h1').dataset.mark === 'kept'),
        'the rest of the page untouched');
  await page.screenshot({ path: path.join(artefacts, 'htmx-422.png') });
  await page.fill('input[name=title]', 'Call the plumber');
  await page.click('form button');
  await page.locator('#notes li', { hasText: 'Call the plumber' }).waitFor();
  check(await page.locator('#notes .error').count() === 0, 'no error left');
  check(await page.evaluate(() =>
    document.querySelector('h1').dataset.mark === 'kept'),
        'still the same page');
});
