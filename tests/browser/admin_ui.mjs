// tests/browser/admin_ui.mjs - share/admin/static (admin.css, admin.js) in
// Chromium against adminfixture.py's pages, which follow the markup
// contract: axe-core on the four page types, light and dark; a phone
// width; select-all; the foreign-key and many-to-many autocompletes with
// the keyboard (with "load more"); the JSON check; inline "Add another" and
// what the form then submits; the Ctrl-K palette; the CSRF header on every
// fetch. Screenshots of each page type go to the artefact folder.
import path from 'node:path';
import { check, run } from './browser.mjs';
import { axe, backgroundLuminance, noHorizontalOverflow } from './admin_checks.mjs';

const shot = (page, dir, name) =>
  page.screenshot({ path: path.join(dir, `admin-${name}.png`), fullPage: true });

async function listNames(page, sel) {
  return page.$$eval(sel + ' [role=option] .option-label', (els) => els.map((e) => e.textContent));
}

await run(async (base, artefacts, { page }) => {
  await page.setViewportSize({ width: 1200, height: 800 });
  const pages = [['dashboard', '/admin/'], ['list', '/admin/task/'],
                 ['form-errors', '/admin/task/add'], ['delete', '/admin/task/1/delete']];

  // axe in both schemes; the dark one really is dark; screenshots
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const [name, url] of pages) {
      await page.goto(base + url);
      await axe(page, `${name} (${scheme})`);
      const lum = await backgroundLuminance(page);
      check(scheme === 'dark' ? lum < 0.05 : lum > 0.8, `${name} ${scheme} background luminance ${lum}`);
      if (scheme === 'light' || name === 'list')
        await shot(page, artefacts, `${name}-${scheme}`);
    }
  }
  await page.emulateMedia({ colorScheme: 'light' });

  // a phone: no page overflow; the filters above the list
  await page.setViewportSize({ width: 375, height: 740 });
  for (const [name, url] of pages) {
    await page.goto(base + url);
    await noHorizontalOverflow(page, name);
    if (name === 'list' || name === 'form-errors')
      await shot(page, artefacts, `${name}-phone`);
  }
  await page.goto(base + '/admin/task/');
  const top = (sel) => page.$eval(sel, (e) => e.getBoundingClientRect().top);
  const [aside, table] = [await top('aside.filters'), await top('table.results')];
  check(aside < table, `the filters are above the table on a phone (${aside} vs ${table})`);
  check(await page.$eval('form.results-form', (e) => e.scrollWidth > e.clientWidth),
        'the wide table scrolls inside its own box on a phone');
  await page.setViewportSize({ width: 1200, height: 800 });

  // select-all, the mixed state, Shift-click ranges
  await page.goto(base + '/admin/task/');
  const boxes = 'input[name=_selected]';
  await page.check('[data-admin-select-all]');
  check(await page.$$eval(boxes, (b) => b.every((x) => x.checked)), 'select-all checks every row');
  check((await page.textContent('[data-admin-selected-count]')).startsWith('20 of 20'), 'the count says 20');
  await page.locator(boxes).nth(4).uncheck();
  check(await page.$eval('[data-admin-select-all]', (a) => a.indeterminate && !a.checked),
        'one row unchecked: select-all shows the mixed state');
  await page.check('[data-admin-select-all]'); // mixed -> all
  await page.uncheck('[data-admin-select-all]');
  check(await page.$$eval(boxes, (b) => b.every((x) => !x.checked)), 'and then none');
  await page.locator(boxes).nth(2).click();
  await page.locator(boxes).nth(6).click({ modifiers: ['Shift'] });
  const on = await page.$$eval(boxes, (b) => b.map((x, i) => x.checked ? i : -1).filter((i) => i >= 0));
  check(on.join() === '2,3,4,5,6', 'Shift-click selects the range 2..6: ' + on);
  check(await page.locator('tr.selected').count() === 5, 'the selected rows are marked');
  // keyboard: Tab reaches a header link with a visible focus ring
  await page.focus('th[aria-sort] a');
  await page.keyboard.press('Tab');
  const ring = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  check(ring === 'solid', 'a focused link has a visible outline: ' + ring);

  // the form: foreign key by keyboard
  await page.goto(base + '/admin/task/add');
  const fk = page.locator('#id_project');
  check(await fk.evaluate((e) => e.tagName === 'INPUT' && e.getAttribute('role') === 'combobox'),
        'the project select became a combobox that keeps the label\'s id');
  check(await fk.inputValue() === 'Project 03', 'the box shows the current value');
  check(await page.$eval('select[name=project]', (s) => s.hidden), 'the select is hidden');
  await fk.focus();
  await fk.fill('Project 1');
  await page.waitForFunction(() => document.querySelector('.autocomplete [role=option]')
    ?.textContent === 'Project 10');
  let names = await listNames(page, '.autocomplete');
  check(names.length === 10 && names[0] === 'Project 10', 'searching "Project 1": ' + names);
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  const active = await fk.getAttribute('aria-activedescendant');
  check(active && await page.textContent('#' + active) === 'Project 11', 'ArrowDown twice: Project 11');
  await page.keyboard.press('Enter');
  check(await page.$eval('select[name=project]', (s) => s.value) === '11', 'Enter picked id 11');
  check(await fk.getAttribute('aria-expanded') === 'false', 'the list closed');
  check(await fk.inputValue() === 'Project 11', 'the box shows the pick');
  // an empty search pages: 20 then "load more" (the last option, ArrowUp wraps to it)
  await fk.fill('');
  await page.waitForFunction(() => document.querySelectorAll('.autocomplete [role=option]').length === 21);
  check(await page.textContent('.autocomplete [role=option]:last-child') === 'Load more…', 'load more is offered');
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelectorAll('.autocomplete [role=option]').length === 41);
  names = await listNames(page, '.autocomplete');
  check(names[20] === 'Project 21', 'the second page follows the first: ' + names[20]);
  await page.keyboard.press('Escape');
  check(await fk.getAttribute('aria-expanded') === 'false', 'Escape closes the list');
  check(await fk.inputValue() === 'Project 11', 'Escape restores the chosen label');

  // many-to-many tags
  const tags = page.locator('#id_tags');
  await tags.focus();
  await tags.fill('doc');
  await page.waitForFunction(() => [...document.querySelectorAll('.multi [role=option]')]
    .map((o) => o.textContent).join() === 'docs');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  const chosen = () => page.$$eval('.tags .tag span', (s) => s.map((e) => e.textContent));
  check((await chosen()).join() === 'feature,docs', 'tags: ' + await chosen());
  await tags.fill('');
  await page.waitForFunction(() => document.querySelectorAll('.multi [role=option]').length === 4);
  names = await listNames(page, '.multi');
  check(!names.includes('feature') && !names.includes('docs'), 'chosen tags are not offered again: ' + names);
  await page.keyboard.press('Escape');
  await page.keyboard.press('Backspace');
  check((await chosen()).join() === 'feature', 'Backspace in the empty box removes the last tag');
  await page.click('button[aria-label="Remove feature"]');
  check((await chosen()).length === 0, 'the remove button removes a tag');
  await tags.fill('bug');
  await page.waitForFunction(() => [...document.querySelectorAll('.multi [role=option]')]
    .map((o) => o.textContent).join() === 'bug');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');

  // JSON: marked invalid while it does not parse, restored after
  const area = page.locator('#id_extra');
  await area.fill('{"points": 3,');
  await area.blur();
  check(await area.getAttribute('aria-invalid') === 'true', 'bad JSON: aria-invalid');
  const msgId = (await area.getAttribute('aria-describedby')).split(' ').pop();
  check(/^Not valid JSON/.test(await page.textContent('#' + msgId)), 'the message is described');
  await axe(page, 'the form with a JSON error');
  await area.fill('{"points": 5}');
  await area.blur();
  check(await area.getAttribute('aria-invalid') === null, 'fixed JSON: valid again');
  check(await page.isHidden('#' + msgId), 'the message is hidden');

  // inline "Add another"
  await page.click('button[data-admin-inline-add]');
  const focused = await page.evaluate(() => document.activeElement.name);
  check(focused === 'comment-1-author', 'the new row is numbered 1 and focused: ' + focused);
  check(await page.inputValue('input[name=comment-TOTAL]') === '2', 'TOTAL went up');
  await page.keyboard.type('cleo');
  await page.fill('textarea[name=comment-1-body]', 'A second comment');
  await shot(page, artefacts, 'form-enhanced');

  // what the browser submits
  await page.fill('#id_title', 'Ship it');
  await Promise.all([page.waitForURL(base + '/echo'), page.click('button[name=_save]')]);
  const sent = JSON.parse(await page.textContent('body'));
  const get = (k) => sent.filter(([n]) => n === k).map(([, v]) => v);
  check(get('project').join() === '11', 'submitted project 11: ' + JSON.stringify(sent));
  check(get('tags').join() === '1', 'submitted the tag bug (1) only: ' + get('tags'));
  check(get('comment-TOTAL').join() === '2' && get('comment-1-author').join() === 'cleo' &&
        get('comment-1-body').join() === 'A second comment', 'the inline row was submitted');
  check(get('extra').join() === '{"points": 5}', 'the JSON');

  // the command palette
  await page.goto(base + '/admin/task/');
  await page.focus('#q');
  await page.keyboard.press('Control+K');
  check(await page.$eval('#admin-palette', (d) => d.open), 'Ctrl-K opens the palette');
  check(await page.evaluate(() => document.activeElement.name === 'q' &&
        document.activeElement.closest('dialog') !== null), 'its search box has the focus');
  await page.keyboard.type('number 2');
  await page.waitForFunction(() => document.querySelectorAll('#admin-palette [role=option]').length > 0);
  const hits = await listNames(page, '#admin-palette');
  check(hits[0] === 'Task number 2', 'palette hits: ' + hits);
  await axe(page, 'the open palette');
  await shot(page, artefacts, 'palette');
  await page.keyboard.press('Escape');
  check(!await page.$eval('#admin-palette', (d) => d.open), 'Escape closes it');
  check(await page.evaluate(() => document.activeElement.id) === 'q', 'the focus went back');
  await page.keyboard.press('Control+K');
  await page.fill('#admin-palette input', 'evil');
  await page.waitForFunction(() => document.querySelector('.palette-status').textContent.startsWith('Nothing'));
  await page.fill('#admin-palette input', 'number 1');
  await page.waitForFunction(() => document.querySelector('#admin-palette [aria-selected=true]'));
  await page.keyboard.press('ArrowDown');
  await Promise.all([page.waitForURL(/\/admin\/task\/\d+\/$/), page.keyboard.press('Enter')]);
  check(new URL(page.url()).pathname === '/admin/task/10/', 'ArrowDown + Enter opened the second hit: ' + page.url());

  // every fetch carried the CSRF token
  const calls = await (await page.request.get(base + '/calls')).json();
  check(calls.refused === 0 && calls.calls.length >= 6,
        `CSRF header on every fetch: ${calls.calls.length} calls, ${calls.refused} refused`);
});
