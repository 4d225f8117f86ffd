// Copies the browser's files of the npm packages into ../static/, where
// the pages load them from (/static/htmx.min.js). `kiln build` runs it
// as `npm run build`; `kiln dev` runs `npm run dev`, which copies, then
// copies again whenever `npm ci` replaces a package, until kiln dev stops.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.join(here, "..", "static");

// package file -> name in static/
const assets = [["htmx.org/dist/htmx.min.js", "htmx.min.js"]];

function copy() {
  fs.mkdirSync(out, { recursive: true });
  for (const [from, to] of assets) {
    const src = path.join(here, "node_modules", from);
    if (!fs.existsSync(src)) {
      console.error(`${src} is missing: run npm ci in frontend/`);
      process.exitCode = 1;
      return false;
    }
    fs.copyFileSync(src, path.join(out, to));
  }
  console.log(`copied ${assets.map(([, to]) => to).join(", ")} into static/`);
  return true;
}

const ok = copy();
if (process.argv.includes("--watch") && ok) {
  // fs.watchFile polls: it survives node_modules being removed and made
  // again by npm ci
  for (const [from] of assets)
    fs.watchFile(path.join(here, "node_modules", from), { interval: 2000 },
      (now) => now.mtimeMs && copy());
}
