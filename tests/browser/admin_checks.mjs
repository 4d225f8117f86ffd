// tests/browser/admin_checks.mjs - checks the admin scenarios share:
// axe-core (tests/browser's lock file) injected into the page, reporting
// only serious and critical violations; the page body's horizontal
// overflow at a phone width; the page background's lightness; logging in.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { check } from './browser.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const AXE = path.join(HERE, 'node_modules', 'axe-core', 'axe.min.js');

/** Runs axe-core on the page; throws listing every serious or critical
 * violation (rule, impact, the first offending elements). */
export async function axe(page, what) {
  if (!await page.evaluate(() => typeof window.axe === 'object'))
    await page.addScriptTag({ path: AXE });
  const res = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
    }));
  });
  const bad = res.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  check(bad.length === 0, `axe on ${what}: ` + bad.map((v) =>
    `${v.id} (${v.impact}: ${v.help}) at ${v.nodes.join(', ')}`).join('; '));
  return res.length;
}

/** Throws unless the page body is no wider than the viewport. */
export async function noHorizontalOverflow(page, what) {
  const m = await page.evaluate(() => ({
    doc: document.documentElement.scrollWidth,
    body: document.body.scrollWidth,
    view: window.innerWidth,
  }));
  check(m.doc <= m.view && m.body <= m.view,
        `${what} overflows ${m.view} px: document ${m.doc}, body ${m.body}`);
}

/** The relative luminance (0..1) of the body's computed background. */
export async function backgroundLuminance(page) {
  return page.evaluate(() => {
    const c = getComputedStyle(document.body).backgroundColor;
    const [r, g, b] = c.match(/[\d.]+/g).slice(0, 3).map(Number).map((v) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  });
}

/** Logs in as who (the board's demo password unless given) through Kiln's
 * /login, starting from next: the admin sends an anonymous user there and
 * back. */
export async function login(page, base, who, next, password = 'kiln-board-demo') {
  await page.context().clearCookies();
  await page.goto(base + next);
  check(new URL(page.url()).pathname === '/login', `${who}: sent to log in: ${page.url()}`);
  await page.fill('#login', who);
  await page.fill('#password', password);
  await Promise.all([page.waitForURL((u) => u.pathname !== '/login'),
                     page.click('button[type=submit]')]);
}
