// tests/browser/browser.mjs - what every browser scenario shares: Debian's
// Chromium launched by playwright-core (never a downloaded browser) with a
// fresh profile, and small checks that fail with a readable message.
//
//   import { open, check } from './browser.mjs';
//   const b = await open();                  // b.page, b.close()
//   await b.page.goto(base + '/');
//   check(await b.page.title() === 'x', 'the title');
//
// A scenario is a script run as `node NAME.mjs BASE_URL ARTEFACT_DIR`: it
// prints "# ..." notes, exits 0 when every check held, else prints the
// failure on stderr and exits 1. run.py calls them from test_*.py.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const CHROMIUM = process.env.KILN_CHROMIUM || '/usr/bin/chromium';

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
  '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

/** Launches Chromium on a fresh profile (removed by close()). */
export async function open() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-chromium-'));
  // launchPersistentContext: playwright's way to pass --user-data-dir
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: ARGS, timeout: 30000,
  });
  const page = context.pages()[0] || await context.newPage();
  page.setDefaultTimeout(10000);
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  return {
    page, context, errors,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Throws Error(what) unless cond. */
export function check(cond, what) {
  if (!cond)
    throw new Error(what);
}

/** Runs scenario(base, artefacts, browser): exit 0, or 1 with the error. */
export async function run(scenario) {
  const [base, artefacts] = process.argv.slice(2);
  if (!base || !artefacts) {
    console.error('usage: node SCENARIO.mjs BASE_URL ARTEFACT_DIR');
    process.exit(2);
  }
  let b;
  try {
    b = await open();
    await scenario(base, artefacts, b);
    check(b.errors.length === 0, 'JavaScript errors: ' + b.errors.join('; '));
    await b.close();
    process.exit(0);
  } catch (e) {
    if (b) {
      await b.page.screenshot({ path: path.join(artefacts, 'failure.png') })
        .catch(() => {});
      await b.close().catch(() => {});
    }
    console.error(e && e.stack ? e.stack : String(e));
    process.exit(1);
  }
}
