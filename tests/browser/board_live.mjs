// tests/browser/board_live.mjs - examples/board's live updates in
// Chromium: two tabs show project 1's board; a task moved in one shows in
// the other at once, without a reload (htmx 2's SSE extension listens to
// /api/projects/1/events and fetches the board block on "task"), after
// logging in as ben through /login (the pages need a user). The
// other tab's page is the same document throughout; only #board changed.
import path from 'node:path';
import { check, run } from './browser.mjs';

/* The cards of one column of a tab's board: their titles. */
async function column(page, status) {
  return page.$$eval('#board section.column.' + status + ' article a',
                     (as) => as.map((a) => a.textContent.trim()));
}

await run(async (base, artefacts, { page, context }) => {
  const open = (p) => p.addInitScript(() => {
    document.addEventListener('htmx:sseOpen', () => { window.sseOpen = true; });
  });
  await open(page);
  const other = await context.newPage();
  other.setDefaultTimeout(10000);
  const errors = [];
  other.on('pageerror', (e) => errors.push(String(e)));
  await open(other);
  // the board needs a login: the first tab is sent to /login and back;
  // the other tab shares its cookies (ben, an editor of project 1)
  await page.goto(base + '/projects/1');
  check(new URL(page.url()).pathname === '/login', 'sent to log in: ' + page.url());
  await page.fill('#login', 'ben');
  await page.fill('#password', 'kiln-board-demo');
  await Promise.all([page.waitForURL(base + '/projects/1'),
                     page.click('button[type=submit]')]);
  for (const p of [page, other]) {
    await p.goto(base + '/projects/1');
    await p.waitForFunction(() => window.sseOpen === true);
  }
  const title = 'Set up the contact form';
  check((await column(other, 'todo')).includes(title),
        'the task starts in To do: ' + await column(other, 'todo'));
  await other.evaluate(() => { document.querySelector('h1').dataset.mark = 'kept'; });
  // move it to Done in the first tab
  const card = page.locator('#board article', { hasText: title });
  await card.locator('button', { hasText: 'Done' }).click();
  // the second tab follows by itself
  await other.waitForFunction((t) => [...document.querySelectorAll(
    '#board section.column.done article a')].some((a) => a.textContent.trim() === t),
  title);
  check(!(await column(other, 'todo')).includes(title), 'gone from To do');
  check(await other.evaluate(() => document.querySelector('h1').dataset.mark) === 'kept',
        'the other tab was not reloaded, only its board swapped');
  await other.screenshot({ path: path.join(artefacts, 'other-tab.png'), fullPage: true });
  // and again: the swapped-in board listens too
  const back = page.locator('#board article', { hasText: title });
  await back.locator('button', { hasText: 'To do' }).click();
  await other.waitForFunction((t) => [...document.querySelectorAll(
    '#board section.column.todo article a')].some((a) => a.textContent.trim() === t),
  title);
  check(errors.length === 0, 'JavaScript errors in the other tab: ' + errors.join('; '));
});
