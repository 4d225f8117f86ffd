// tests/browser/htmx_row.mjs - one row of a list swapped by HTMX: each
// note's pin button posts to its own action (hx-target="closest li",
// hx-swap="outerHTML"), which answers the page's {% block row %} alone
// (kiln_page_render_block). The clicked row is replaced, pinned; every
// other node of the page is the same DOM node, unchanged; the state is
// saved (a reload shows it).
import path from 'node:path';
import { check, run } from './browser.mjs';

await run(async (base, artefacts, { page }) => {
  await page.goto(base + '/notes');
  await page.waitForFunction(() => window.htmx !== undefined);
  const rows = page.locator('#notes > li');
  check(await rows.count() === 3, 'three rows: ' + await rows.count());
  // marks that only survive on nodes that are not replaced, and the
  // markup of the rows that must not change
  const before = await page.evaluate(() => {
    document.querySelector('h1').dataset.mark = 'kept';
    const html = {};
    for (const li of document.querySelectorAll('#notes > li')) {
      li.dataset.mark = 'kept';
      html[li.id] = li.outerHTML;
    }
    return html;
  });
  const answer = page.waitForResponse((r) => r.request().method() === 'POST');
  await page.click('#note-2 button');
  const resp = await answer;
  check(resp.status() === 200, 'the action answered ' + resp.status());
  check(resp.url() === base + '/notes/2/pin', 'posted to ' + resp.url());
  await page.locator('#note-2.pinned').waitFor();
  check(await page.textContent('#note-2 button') === 'Unpin',
        'the new row says Unpin');
  const after = await page.evaluate(() => {
    const out = { ids: [], marks: {}, html: {} };
    for (const li of document.querySelectorAll('#notes > li')) {
      out.ids.push(li.id);
      out.marks[li.id] = li.dataset.mark || '';
      out.html[li.id] = li.outerHTML;
    }
    out.h1 = document.querySelector('h1').dataset.mark;
    return out;
  });
  check(after.ids.join() === 'note-1,note-2,note-3',
        'the rows in place: ' + after.ids.join());
  check(after.marks['note-2'] === '', 'the clicked row was replaced');
  for (const id of ['note-1', 'note-3']) {
    check(after.marks[id] === 'kept', id + ' is the same node');
    check(after.html[id] === before[id], id + ' is unchanged');
  }
  check(after.h1 === 'kept', 'the rest of the page untouched');
  check(new URL(page.url()).pathname === '/notes', 'no navigation');
  await page.screenshot({ path: path.join(artefacts, 'row-pinned.png'),
                          fullPage: true });
  // the swapped row works again (its hx-post is processed), and the
  // state is stored: after a reload, note 2 unpinned, note 3 pinned
  await page.click('#note-2 button');
  await page.locator('#note-2:not(.pinned)').waitFor();
  await page.click('#note-3 button');
  await page.locator('#note-3.pinned').waitFor();
  await page.reload();
  check(await page.locator('#notes > li.pinned').count() === 1 &&
        await page.locator('#note-3.pinned').count() === 1,
        'after a reload only note 3 is pinned');
  await page.screenshot({ path: path.join(artefacts, 'row-reloaded.png'),
                          fullPage: true });
});
