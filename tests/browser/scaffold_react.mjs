// tests/browser/scaffold_react.mjs - the project `kiln new --template
// react` makes, built by kiln build and served by its binary: the React
// page lists the notes through the generated useListNotes hook, a blank
// title comes back from the server as a 422 whose message shows under the
// title field, and a good one is created and listed (useCreateNote
// refetches the list), all without a page load.
import path from 'node:path';
import { check, run } from './browser.mjs';

await run(async (base, artefacts, { page }) => {
  await page.goto(base + '/');
  await page.locator('#notes li', { hasText: 'Seeded by the test' }).waitFor();
  check(await page.locator('#notes li').count() === 1, 'the one seeded row');
  await page.evaluate(() => { window.kilnMark = 'same page'; });
  // a blank title: the server's 422, shown under its field
  const refused = page.waitForResponse((r) => r.request().method() === 'POST');
  await page.click('form button[type=submit]');
  check((await refused).status() === 422, 'the API answered a 422');
  const error = page.locator('p.error[data-field="/title"]');
  await error.waitFor();
  const message = await error.textContent();
  check(message && message.length > 0, 'a message under the title');
  check(await page.getAttribute('input[name=title]', 'aria-invalid') === 'true',
        'the title is marked invalid');
  await page.screenshot({ path: path.join(artefacts, 'react-422.png') });
  // a good one: created, listed, the error gone
  await page.fill('input[name=title]', 'Water the plants');
  const created = page.waitForResponse((r) => r.request().method() === 'POST');
  await page.click('form button[type=submit]');
  check((await created).status() === 201, 'created');
  await page.locator('#notes li', { hasText: 'Water the plants' }).waitFor();
  check(await page.locator('p.error').count() === 0, 'no error left');
  check(await page.inputValue('input[name=title]') === '', 'the form emptied');
  check(await page.evaluate(() => window.kilnMark) === 'same page',
        'no page load');
  await page.screenshot({ path: path.join(artefacts, 'react-created.png') });
  // a deep link reloads into the app
  await page.goto(base + '/notes/1');
  await page.locator('#notes li', { hasText: 'Water the plants' }).waitFor();
});
