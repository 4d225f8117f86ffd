// tests/browser/board_react.mjs - examples/board's React front end under
// /app/, served by the board's release binary: the login form (POST
// /api/auth/login: a session cookie, same origin), the projects through
// useListProjects, a project's tasks with their assignees, and the task
// form (its assignee chosen among /api/users): a blank title and
// a negative estimate come back as one 422 whose messages show under their
// fields; a good task is created (the CSRF header from the kiln_csrf
// cookie) and shows in the todo column; moved from another tab through
// the API, it moves here too (the project's event stream); a reload of the
// deep link works.
import path from 'node:path';
import { check, run } from './browser.mjs';

await run(async (base, artefacts, { page }) => {
  const missing = []; // every request the front end makes resolves (an icon too)
  page.on('response', (r) => {
    if (r.status() === 404)
      missing.push(r.url());
  });
  await page.goto(base + '/app/');
  // a wrong password first: the form says so
  await page.fill('input[name=login]', 'ben');
  await page.fill('input[name=password]', 'not-the-password');
  await page.click('form button[type=submit]');
  await page.locator('p.error', { hasText: 'Wrong login' }).waitFor();
  await page.fill('input[name=password]', 'kiln-board-demo');
  await page.click('form button[type=submit]');
  const project = page.locator('ul.projects a').first();
  await project.waitFor();
  check(await page.locator('ul.projects li').count() >= 2,
        'ben sees both projects');
  const name = await project.textContent();
  await page.evaluate(() => { window.kilnMark = 'same page'; });
  await project.click();
  await page.locator('h1', { hasText: name }).waitFor();
  check(/\/app\/projects\/\d+$/.test(page.url()), 'the URL: ' + page.url());
  await page.locator('.column[data-status=todo]').waitFor();
  // a bad task: every failing field at once, each under its own
  await page.fill('#new_task input[name=estimate]', '-3');
  const refused = page.waitForResponse((r) => r.request().method() === 'POST');
  await page.click('#new_task button[type=submit]');
  check((await refused).status() === 422, 'the API answered a 422');
  await page.locator('p.error[data-field=title]').waitFor();
  await page.locator('p.error[data-field=estimate]').waitFor();
  check(await page.locator('p.error[data-field=due]').count() === 0,
        'no error on a field that is fine');
  await page.screenshot({ path: path.join(artefacts, 'board-422.png'),
                          fullPage: true });
  // a good one, assigned to a user the API lists (/api/users)
  await page.locator('#new_task select[name=assignee] option',
                     { hasText: 'Ben' }).waitFor({ state: 'attached' });
  await page.selectOption('#new_task select[name=assignee]', { label: 'Ben' });
  await page.fill('#new_task input[name=title]', 'Write the release notes');
  await page.fill('#new_task input[name=estimate]', '2.5');
  check(await page.getAttribute('#new_task input[name=due]', 'type') === 'date',
        'the due date has a date picker');
  await page.fill('#new_task input[name=due]', '2027-01-15');
  const created = page.waitForResponse((r) => r.request().method() === 'POST');
  await page.click('#new_task button[type=submit]');
  const resp = await created;
  check(resp.status() === 201, 'created: ' + resp.status());
  check(!!(await resp.request().headerValue('x-csrf-token')),
        'the client sent the CSRF header');
  await page.locator('.column[data-status=todo] li',
                     { hasText: 'Write the release notes' })
    .locator('.assignee', { hasText: 'Ben' }).waitFor();
  check(await page.locator('#new_task p.error').count() === 0, 'errors gone');
  check(await page.inputValue('#new_task select[name=assignee]') === '',
        'the form is empty again');
  check(await page.evaluate(() => window.kilnMark) === 'same page',
        'client-side navigation only');
  await page.screenshot({ path: path.join(artefacts, 'board-created.png'),
                          fullPage: true });
  // live: a change made elsewhere (another tab, through the API) comes
  // over the project's event stream and moves the task here
  const task = await resp.json();
  check(task.assignee === 2, 'assigned to ben (id 2): ' + task.assignee);
  const other = await page.context().newPage();
  await other.goto(base + '/app/');
  const moved = await other.evaluate(async (id) => {
    const csrf = document.cookie.split('; ')
      .find((c) => c.startsWith('kiln_csrf='))?.slice(10) ?? '';
    const r = await fetch('/api/tasks/' + id, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/merge-patch+json',
                 'X-CSRF-Token': decodeURIComponent(csrf) },
      body: JSON.stringify({ status: 'doing' }),
    });
    return r.status;
  }, task.id);
  check(moved === 200, 'the other tab moved the task: ' + moved);
  await other.close();
  await page.locator('.column[data-status=doing] li',
                     { hasText: 'Write the release notes' }).waitFor();
  check(await page.evaluate(() => window.kilnMark) === 'same page',
        'updated live, without a page load');
  // the deep link survives a reload (the SPA's history fallback)
  await page.reload();
  await page.locator('.column[data-status=doing] li',
                     { hasText: 'Write the release notes' }).waitFor();
  check(missing.length === 0, 'nothing answered 404: ' + missing.join(', '));
});
