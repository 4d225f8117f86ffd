// tests/browser/apidocs.mjs - the /api/docs page renders the app's OpenAPI
// document in Chromium with nothing fetched from anywhere but the app:
// every operation is listed, and one opens to show its parameters.
import path from 'node:path';
import { check, run } from './browser.mjs';

await run(async (base, artefacts, { page }) => {
  const elsewhere = [];
  page.on('request', (r) => {
    if (!r.url().startsWith(base + '/') && !r.url().startsWith('data:'))
      elsewhere.push(r.url());
  });
  await page.goto(base + '/api/docs');
  await page.waitForSelector('.opblock-summary-path');
  const paths = await page.$$eval('.opblock-summary-path',
                                  (els) => els.map((e) => e.textContent.trim()));
  for (const want of ['/api/tasks', '/api/tasks/{id}', '/api/ping',
                      '/api/posts/{id}/like'])
    check(paths.some((p) => p.replace(/\u200b/g, '') === want),
          'operation ' + want + ' listed: ' + paths.join(', '));
  const title = await page.textContent('.info .title');
  check(title.includes('board'), 'the title: ' + title);
  // open listTasks: its query parameters are shown
  await page.click('#operations-tasks-listTasks .opblock-summary');
  await page.waitForSelector('#operations-tasks-listTasks .parameters');
  const params = await page.$$eval(
      '#operations-tasks-listTasks .parameter__name',
      (els) => els.map((e) => e.textContent.trim()));
  for (const want of ['limit', 'cursor', 'status', 'due__gte'])
    check(params.some((p) => p.startsWith(want)),
          'parameter ' + want + ': ' + params.join(', '));
  await page.screenshot({ path: path.join(artefacts, 'apidocs.png'),
                          fullPage: false });
  check(elsewhere.length === 0, 'requests elsewhere: ' + elsewhere.join(', '));
});
