// tests/browser/admin_htmx.mjs - the change list's htmx swaps on the real
// board (src/admin, share/admin/templates/change_list.html): searching as
// you type, a filter, sorting, the page size and pages each replace
// #changelist without loading a document, push the URL, keep what is
// typed and where focus is, announce the new count, shift no layout, and
// leave the list's scripts working; Back loads the earlier list whole.
import { check, run } from './browser.mjs';
import { login } from './admin_checks.mjs';

const titles = (page) => page.$$eval('table.results tbody th[scope=row] a',
                                     (as) => as.map((a) => a.textContent.trim()));
const countText = (page) => page.textContent('nav.pagination .count');

await run(async (base, artefacts, { page }) => {
  await page.setViewportSize({ width: 1200, height: 800 });
  // a slower CPU: a swap then comes more than 500 ms after the input
  // that asked for it, where the browser counts its layout shifts
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  await login(page, base, 'ana', '/admin/task/');
  check(new URL(page.url()).pathname === '/admin/task/', 'the task list: ' + page.url());
  check(await page.evaluate(() => typeof window.htmx === 'object'), 'htmx is loaded');
  check((await countText(page)).includes('31 tasks'), 'the count: ' + await countText(page));

  // documents loaded from here on (a swap loads none), layout shifts from
  // here on (the page's own load is not a swap) not caused by input, and a
  // marker a reload would lose
  const documents = [];
  page.on('request', (r) => {
    if (r.resourceType() === 'document')
      documents.push(r.url());
  });
  await page.evaluate(() => {
    window.kilnMarker = 1;
    window.kilnShift = 0;
    window.kilnShifted = [];
    new PerformanceObserver((l) => {
      for (const e of l.getEntries())
        if (!e.hadRecentInput) {
          window.kilnShift += e.value;
          for (const s of e.sources || [])
            window.kilnShifted.push(s.node ? (s.node.id || s.node.className || s.node.nodeName) +
              ' ' + JSON.stringify(s.previousRect) + ' -> ' + JSON.stringify(s.currentRect) : '?');
        }
    }).observe({ type: 'layout-shift', buffered: false });
  });
  const swapped = async (what) => {
    check(await page.evaluate(() => window.kilnMarker === 1), `${what}: no reload`);
    check(documents.length === 0, `${what}: no document loaded: ${documents}`);
  };

  // search as you type: one key at a time, the list follows, nothing typed
  // is lost and the box keeps focus
  await page.focus('#search-q');
  await page.keyboard.type('safari', { delay: 60 });
  await page.waitForFunction(() => document.querySelectorAll('table.results tbody th[scope=row]').length === 1);
  await page.waitForURL(/q=safari/);
  check((await titles(page)).join() === 'Fix the broken hero image on Safari', 'search: ' + await titles(page));
  check(await page.evaluate(() => document.activeElement && document.activeElement.id) === 'search-q',
        'focus stays in the search box');
  check(await page.inputValue('#search-q') === 'safari', 'what was typed is kept');
  await page.waitForFunction(() => document.getElementById('changelist-status').textContent.includes('1 task'));
  await swapped('search');

  // clearing the search, then a filter, from the sidebar
  await page.fill('#search-q', '');
  await page.waitForFunction(() => document.querySelectorAll('table.results tbody th[scope=row]').length > 1);
  const statusFilter = page.locator('aside.filters section', { hasText: 'Status' });
  await Promise.all([page.waitForURL(/f\.status=doing/),
                     statusFilter.locator('a', { hasText: /^doing$/i }).first().click()]);
  await page.waitForFunction(() => document.querySelector('nav.pagination .count').textContent.includes('2 tasks'));
  check(await page.$('aside.filters li.selected a[aria-current=true]') !== null, 'the filter shows as chosen');
  check(await page.$('aside.filters [role=combobox]') !== null,
        'the project filter is a search box again after the swap');
  await swapped('filter');

  // sorting, the page size and the next page
  await Promise.all([page.waitForURL((u) => !u.search.includes('f.status')),
                     statusFilter.locator('a', { hasText: /^all$/i }).first().click()]);
  await page.waitForFunction(() => document.querySelector('nav.pagination .count').textContent.includes('31 tasks'));
  await Promise.all([page.waitForURL(/o=title/), page.click('th[aria-sort] a >> text=Title')]);
  await page.waitForFunction(() => document.querySelector('th[aria-sort=ascending]'));
  const t = await titles(page);
  check(t.join('|') === [...t].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).join('|'), 'sorted: ' + t.slice(0, 4));
  await Promise.all([page.waitForURL(/n=20/), page.click('.page-size a >> text=/^20$/')]);
  await page.waitForFunction(() => document.querySelectorAll('table.results tbody tr').length === 20);
  await Promise.all([page.waitForURL(/p=2/), page.click('nav.pagination a[rel=next]')]);
  await page.waitForFunction(() => document.querySelectorAll('table.results tbody tr').length === 11);
  check(await page.evaluate(() => document.activeElement && document.activeElement.tagName) !== 'BODY',
        'focus is not dropped on the body');
  await swapped('sort and pages');
  // the select-all box works on swapped rows
  await page.check('input[data-admin-select-all]');
  check(await page.$$eval('input[name=_selected]', (b) => b.every((x) => x.checked)), 'select-all on new rows');
  await page.uncheck('input[data-admin-select-all]');
  check(await page.evaluate(() => window.kilnShift) === 0,
        'no layout shift: ' + await page.evaluate(() => window.kilnShift) + ' ' +
        await page.evaluate(() => window.kilnShifted.join('; ')));

  // Back: the page before, loaded whole (no list kept in localStorage)
  await page.goBack();
  await page.waitForFunction(() => document.querySelectorAll('table.results tbody tr').length === 20);
  check(new URL(page.url()).searchParams.get('p') === null, 'back on page 1: ' + page.url());
  check(await page.evaluate(() => !Object.keys(localStorage).some((k) => k.startsWith('htmx'))),
        'htmx keeps no copy of the pages in localStorage');
});
