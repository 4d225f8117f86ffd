// tests/browser/htmx_form.mjs - the bound form over HTMX: a page action
// that finds errors answers 422 with the form's block, which lands in
// place (the layout's htmx-config lets a 422 swap) with the message and
// the value typed; the rest of the page is the same DOM as before; the
// corrected submit adds the note.
import path from 'node:path';
import { check, run } from './browser.mjs';

await run(async (base, artefacts, { page }) => {
  await page.goto(base + '/notes');
  await page.waitForFunction(() => window.htmx !== undefined);
  // marks that only survive if those nodes are not replaced
  await page.evaluate(() => {
    document.querySelector('h1').dataset.mark = 'kept';
    document.querySelector('#intro').dataset.mark = 'kept';
  });
  const typed = 'x'.repeat(85);
  await page.fill('#title', typed);
  const answer = page.waitForResponse((r) => r.request().method() === 'POST');
  await page.click('form button');
  const resp = await answer;
  check(resp.status() === 422, 'the action answered ' + resp.status());
  const error = page.locator('#notes p.error');
  await error.waitFor();
  check(await error.textContent() === 'At most 80 characters, not 85.',
        'the message in the targeted element: ' + await error.textContent());
  check(await page.inputValue('#title') === typed, 'the value is still there');
  check(await page.getAttribute('#title', 'aria-invalid') === 'true',
        'the field is marked invalid');
  check(await page.evaluate(() =>
    document.querySelector('h1').dataset.mark === 'kept' &&
    document.querySelector('#intro').dataset.mark === 'kept'),
        'the rest of the page untouched');
  check(await page.locator('section#notes').count() === 1, 'one section');
  check(new URL(page.url()).pathname === '/notes', 'no navigation');
  await page.screenshot({ path: path.join(artefacts, 'form-422.png'),
                          fullPage: true });
  // corrected: the note is added and the form comes back empty
  await page.fill('#title', 'Buy milk');
  await page.click('form button');
  await page.locator('#notes li', { hasText: 'Buy milk' }).waitFor();
  check(await page.locator('#notes p.error').count() === 0, 'no error left');
  check(await page.inputValue('#title') === '', 'the form is empty again');
  check(await page.evaluate(() =>
    document.querySelector('h1').dataset.mark === 'kept'),
        'still the same page');
  await page.screenshot({ path: path.join(artefacts, 'form-added.png'),
                          fullPage: true });
  // and it is saved: a reload shows it
  await page.reload();
  check(await page.locator('#notes li', { hasText: 'Buy milk' }).count() === 1,
        'the note after a reload');
});
