// tests/browser/admin_inline_tags.mjs - an inline row's many-to-many field
// (test_admin_inline_m2m.py's app: a shelf, its books inline, each with
// genres) in Chromium: the row's select is a tag widget holding its
// current value; a genre is added to it by the keyboard; "Add another"
// clones a row whose genres widget works too; after saving, the page
// holds what was picked; a tag removed is a link removed.
import path from 'node:path';
import { check, run } from './browser.mjs';

const PASSWORD = 'tr0ub4dor&3-stapler';

const picked = (page, n) => page.$$eval(`select[name="book-${n}-genres"] option:checked`,
                                        (os) => os.map((o) => o.value).join());

// types text into row n's genres box and picks the one match by keyboard
async function pick(page, n, text, label) {
  const row = page.locator('fieldset.inline[data-admin-inline=book] tbody tr.inline-row').nth(n);
  const box = page.locator(`#id_book-${n}-genres`);
  check(await box.getAttribute('role') === 'combobox', `row ${n}: the genres are a search box`);
  await box.focus();
  await box.fill(text);
  await row.locator('[role=option]', { hasText: label }).waitFor();
  check(await row.locator('[role=option]').count() === 1, `row ${n}: one match for ${text}`);
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await row.locator('ul.tags li', { hasText: label }).waitFor();
}

await run(async (base, artefacts, { page }) => {
  await page.setViewportSize({ width: 1200, height: 800 });
  await page.goto(base + '/admin/shelf/1/');
  check(new URL(page.url()).pathname === '/login', 'sent to log in: ' + page.url());
  await page.fill('#login', 'alice');
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForURL((u) => u.pathname === '/admin/shelf/1/'),
                     page.click('button[type=submit]')]);

  const inline = page.locator('fieldset.inline[data-admin-inline=book]');
  const row0 = inline.locator('tbody tr.inline-row').nth(0);
  await row0.locator('ul.tags li', { hasText: 'Fantasy' }).waitFor();
  check(await picked(page, 0) === '1', 'the row holds its genre');

  await pick(page, 0, 'scien', 'Science fiction');
  check(await picked(page, 0) === '1,2', 'a second genre: ' + await picked(page, 0));

  await inline.locator('button[data-admin-inline-add]').click();
  check(await inline.locator('tbody tr.inline-row').count() === 2, 'a row was added');
  await page.fill('[name="book-1-title"]', 'Odes');
  // the picker's list, open on every genre, shows whole: not clipped by
  // the rows' scrolling table
  await page.locator('#id_book-1-genres').focus();
  await page.keyboard.press('ArrowDown');
  const opts = inline.locator('tbody tr.inline-row').nth(1).locator('[role=option]');
  await opts.nth(2).waitFor();
  for (let i = 0; i < 3; i++) {
    const b = await opts.nth(i).boundingBox();
    const hit = await page.evaluate(([x, y]) => {
      const e = document.elementFromPoint(x, y);
      return e ? e.closest('[role=option]')?.textContent ?? e.tagName : 'nothing';
    }, [b.x + b.width / 2, b.y + b.height / 2]);
    check(hit === await opts.nth(i).textContent(), `option ${i} is visible, not clipped: ${hit}`);
  }
  await page.keyboard.press('Escape');
  await pick(page, 1, 'poe', 'Poetry');
  await page.screenshot({ path: path.join(artefacts, 'inline-m2m.png'), fullPage: true });

  await Promise.all([page.waitForURL((u) => u.pathname === '/admin/shelf/1/'),
                     page.click('button[name=_continue]')]);
  await page.locator('ul.messages li.success').waitFor();
  check(await picked(page, 0) === '1,2', 'saved: row 0: ' + await picked(page, 0));
  check(await picked(page, 1) === '3', 'saved: the new row: ' + await picked(page, 1));
  check(await page.inputValue('[name="book-1-title"]') === 'Odes', 'the new book');

  await inline.locator('tbody tr.inline-row').nth(0)
    .locator('button.tag-remove[aria-label="Remove Fantasy"]').click();
  check(await picked(page, 0) === '2', 'Fantasy taken off: ' + await picked(page, 0));
  await Promise.all([page.waitForURL((u) => u.pathname === '/admin/shelf/1/'),
                     page.click('button[name=_continue]')]);
  await page.locator('ul.messages li.success').waitFor();
  check(await picked(page, 0) === '2', 'saved without Fantasy: ' + await picked(page, 0));
});
