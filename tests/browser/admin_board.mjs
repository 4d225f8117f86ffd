// tests/browser/admin_board.mjs - Kiln's admin on examples/board in
// Chromium, the real pages (src/admin, share/admin/templates) with the
// real assets: log in through /login, the dashboard, a change list
// (search, filter, sort, pages), an add form with errors then fixed (the
// project picked with the keyboard), an edit, the bulk delete with its
// cascade, the CSV export, the history, XSS shown as text, the Ctrl-K
// palette, dark mode, a phone width, axe-core on the four page types; then
// chen (a view-only staff user) and ben (not staff). Screenshots of each
// page type go to the artefact folder.
import path from 'node:path';
import { check, run } from './browser.mjs';
import { axe, backgroundLuminance, login, noHorizontalOverflow } from './admin_checks.mjs';

const XSS = '<img src=x onerror="window.pwned=1;alert(1)">"\'&';

// each page type: the whole page, and the viewport alone (docs/img/admin-*.png
// are copies of the latter)
async function shot(page, dir, name) {
  await page.screenshot({ path: path.join(dir, `admin-${name}.png`), fullPage: true });
  await page.screenshot({ path: path.join(dir, `view-${name}.png`) });
}

const titles = (page) => page.$$eval('table.results tbody th[scope=row] a',
                                     (as) => as.map((a) => a.textContent.trim()));
const countText = (page) => page.textContent('nav.pagination .count');

await run(async (base, artefacts, { page }) => {
  await page.setViewportSize({ width: 1200, height: 800 });
  page.on('dialog', async (d) => {
    await d.dismiss();
    throw new Error('a dialog fired: ' + d.message());
  });

  // ana (staff) logs in and comes back to the admin
  await login(page, base, 'ana', '/admin/');
  check(new URL(page.url()).pathname === '/admin/', 'back at the admin: ' + page.url());
  check(await page.isVisible('main#content h1'), 'the dashboard');
  await axe(page, 'the dashboard');
  await shot(page, artefacts, 'board-dashboard');

  // the change list: search, filter, sort, pages
  await page.click('nav.admin-nav a[href="/admin/task/"]');
  await page.waitForURL(base + '/admin/task/');
  check((await countText(page)).includes('31 tasks'), 'the count: ' + await countText(page));
  await axe(page, 'the task list');
  await shot(page, artefacts, 'board-list');
  await page.fill('#search-q', 'safari');
  await Promise.all([page.waitForURL(/q=safari/), page.press('#search-q', 'Enter')]);
  check((await titles(page)).join() === 'Fix the broken hero image on Safari', 'search: ' + await titles(page));
  await page.goto(base + '/admin/task/');
  const statusFilter = page.locator('aside.filters section', { hasText: 'Status' });
  await Promise.all([page.waitForURL(/f\.status=doing/),
                     statusFilter.locator('a', { hasText: /^doing$/i }).first().click()]);
  check((await countText(page)).includes('2 tasks'), 'filtered on doing: ' + await countText(page));
  await page.goto(base + '/admin/task/?f.project=2');
  check((await titles(page)).length === 2, 'the project filter');
  await page.goto(base + '/admin/task/');
  await Promise.all([page.waitForURL(/o=/), page.click('th[aria-sort] a >> text=Title')]);
  let t = await titles(page);
  const sortedT = [...t].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  check(t.join('|') === sortedT.join('|'), 'sorted by title: ' + t.slice(0, 5));
  check(await page.getAttribute('th:has(a:text("Title"))', 'aria-sort') === 'ascending', 'aria-sort');
  await Promise.all([page.waitForURL(/n=20/), page.click('.page-size a >> text=/^20$/')]);
  const next = new URL(await page.getAttribute('nav.pagination a[rel=next]', 'href'), page.url());
  await Promise.all([page.waitForURL(next.href), page.click('nav.pagination a[rel=next]')]);
  t = await titles(page);
  check(t.length === 11, 'the second page holds the last 11: ' + t.length);

  // add: errors first, then fixed; the project picked with the keyboard
  await page.goto(base + '/admin/task/add');
  await page.click('button[name=_save]');
  await page.waitForSelector('p.errornote');
  check(await page.getAttribute('#id_title', 'aria-invalid') === 'true', 'the title is marked invalid');
  await axe(page, 'the add form with errors');
  await shot(page, artefacts, 'board-form-errors');
  await page.fill('#id_title', 'Browser-made task');
  const fk = page.locator('#id_project');
  check(await fk.getAttribute('role') === 'combobox', 'the project is a combobox');
  await fk.focus();
  await fk.fill('mobile');
  await page.waitForFunction(() => [...document.querySelectorAll('.autocomplete [role=option]')]
    .map((o) => o.textContent).join() === 'Mobile app');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  check(await page.$eval('select[name=project]', (s) => s.value) === '2', 'project 2 chosen by keyboard');
  await Promise.all([page.waitForURL((u) => !u.pathname.endsWith('/add')),
                     page.click('button[name=_continue]')]);
  const id = (new URL(page.url()).pathname.match(/\/admin\/task\/(\d+)\//) || [])[1];
  check(id, 'save and continue stays on the new task: ' + page.url());
  check(await page.inputValue('#id_title') === 'Browser-made task', 'the saved title');

  // edit, with an XSS payload in every text field
  await page.fill('#id_title', XSS);
  await page.fill('#id_description', XSS);
  await Promise.all([page.waitForURL(/\/admin\/task\/\d+\/$/), page.click('button[name=_continue]')]);
  check(await page.inputValue('#id_title') === XSS, 'the payload is kept as text in the form');
  await page.goto(base + '/admin/task/?q=onerror');
  check((await titles(page)).includes(XSS), 'the payload is shown as text in the list');
  await page.goto(`${base}/admin/task/${id}/history`);
  const hist = await page.textContent('main#content');
  check((await page.textContent('h1')).includes(XSS), 'the payload is shown as text in the history\'s title');
  if (/not part of this build/.test(hist)) {
    console.log('# history: this build has no audit log (wt-audit not merged): entries not checked');
  } else {
    const rows = await page.$$eval('table.history tbody tr', (r) => r.length);
    check(rows >= 2, 'history: the add and the change: ' + rows);
    check(await page.$$eval('table.history code', (c) => c.some((e) => e.textContent.includes('onerror'))),
          'the payload is shown as text in the history\'s changes');
  }
  await shot(page, artefacts, 'board-history');
  check(await page.evaluate(() => window.pwned === undefined && !document.querySelector('main img')),
        'no payload ran, no <img> was made');

  // inline children: a comment added on task 4's page ("Add another")
  await page.goto(base + '/admin/task/4/');
  const inline = page.locator('fieldset.inline[data-admin-inline=comment]');
  const before = await inline.locator('tbody tr.inline-row').count();
  await inline.locator('button[data-admin-inline-add]').click();
  check(await inline.locator('tbody tr.inline-row').count() === before + 1, 'a row was added');
  const n = before;
  await page.fill(`[name="comment-${n}-author"]`, 'Dora');
  await page.fill(`[name="comment-${n}-body"]`, 'Added inline from the browser');
  await Promise.all([page.waitForNavigation(), page.click('button[name=_continue]')]);
  const bodies = await inline.locator('tbody tr.inline-row textarea').evaluateAll(
    (ts) => ts.map((t) => t.value));
  check(bodies.includes('Added inline from the browser') && bodies.length === before + 1,
        'the inline comment was saved: ' + bodies);

  // CSV export of the filtered list
  const csv = await (await page.request.get(base + '/admin/task/export.csv?f.project=2')).text();
  check(csv.split('\n')[0].startsWith('id,project,title'), 'the CSV header: ' + csv.slice(0, 80));
  const lines = csv.trim().split(/\r?\n/);
  check(lines.length === 4 && csv.includes('Push notifications') && csv.includes('Offline mode') &&
        csv.includes('onerror') && !csv.includes('Safari'), 'the CSV holds project 2\'s three tasks: ' + csv);

  // bulk delete with the cascade (task 2 has two comments)
  await page.goto(base + '/admin/task/?f.project=1&o=title');
  await page.check('input[name=_selected][value="2"]');
  await page.selectOption('#action-select', 'delete');
  await Promise.all([page.waitForURL(/\/action$/), page.click('.actions button[type=submit]')]);
  const cascade = await page.$$eval('ul.cascade li', (li) => li.map((e) => e.textContent.trim()));
  check(cascade.length === 3 && cascade[0].includes('Write the landing page copy') &&
        cascade.filter((c) => c.startsWith('Comment')).length === 2,
        'the cascade lists the task and its two comments: ' + cascade);
  await axe(page, 'the delete confirmation');
  await shot(page, artefacts, 'board-delete');
  await Promise.all([page.waitForNavigation(), page.click('button.danger')]);
  await page.goto(base + '/admin/task/');
  check(!(await titles(page)).includes('Write the landing page copy'), 'deleted');

  // dark mode and a phone
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.goto(base + '/admin/task/');
  check(await backgroundLuminance(page) < 0.05, 'a dark background');
  await axe(page, 'the task list, dark');
  await shot(page, artefacts, 'board-list-dark');
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize({ width: 375, height: 740 });
  for (const url of ['/admin/', '/admin/task/', '/admin/task/3/']) {
    await page.goto(base + url);
    await noHorizontalOverflow(page, url);
  }
  await shot(page, artefacts, 'board-form-phone');
  await page.setViewportSize({ width: 1200, height: 800 });

  // chen: staff, view only
  await login(page, base, 'chen', '/admin/task/5/');
  check(await page.$('button[name=_save]') === null, 'chen has no save button');
  check(await page.$('#id_title.readonly, div#id_title') !== null, 'read-only values');
  await page.goto(base + '/admin/task/');
  check(await page.$('#action-select option[value=delete]') === null, 'no delete action for chen');
  const r = await page.request.post(base + '/admin/task/5/', { form: { title: 'x' } });
  check(r.status() === 403, 'chen\'s direct POST is refused: ' + r.status());

  // ben: not staff
  await login(page, base, 'ben', '/admin/');
  check((await page.textContent('main')).includes('Only staff'), 'ben is refused');

  // the palette (last: GET /admin/search)
  await login(page, base, 'ana', '/admin/task/');
  await page.keyboard.press('Control+K');
  check(await page.$eval('#admin-palette', (d) => d.open), 'Ctrl-K opens the palette');
  await page.keyboard.type('contact');
  await page.waitForFunction(() => document.querySelector('#admin-palette [aria-selected=true]'));
  await shot(page, artefacts, 'board-palette');
  await Promise.all([page.waitForURL(/\/admin\/task\/3\/$/), page.keyboard.press('Enter')]);

  // last (a failure here leaves every check above done): axe on a change
  // form just saved, its message list included
  await Promise.all([page.waitForNavigation(), page.click('button[name=_continue]')]);
  check(await page.$('ul.messages li') !== null, 'a message after the save');
  await axe(page, 'a change form after a save');
});
