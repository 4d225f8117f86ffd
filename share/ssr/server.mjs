// share/ssr/server.mjs - Kiln's SSR sidecar: renders React components to
// HTML for the app that started it, over a Unix socket.
//
//   node server.mjs --socket PATH --components DIR_OR_MODULE [--pages FILE]
//
// Kiln starts it (the [ssr] settings), restarts it when it dies and kills
// it when renders time out repeatedly (docs/frontend.md, "The SSR
// service"). Frames both ways are a 4-byte big-endian length and that
// many bytes of UTF-8 JSON: {"id","component","props"} in,
// {"id","html"} or {"id","error"} out.
//
// Components: --components names a folder, whose NAME.mjs (or NAME.js)
// module's default export (or export named NAME) is the component NAME,
// or one module whose named exports are the components. React and
// react-dom/server are imported from where the components live when they
// have them (so hooks see one React), else from this folder's.
//
// React pages: --pages names the server bundle of the app's pages/*.tsx
// (`npm run build:ssr`), a module exporting `pages`, the object Vite's
// import.meta.glob("<...>/pages/**/*.tsx", { eager: true }) makes. A
// request whose component is "pages/NAME" renders the default export of
// pages/NAME.tsx with the props, inside the default export of
// pages/_layout.tsx when there is one (as <Layout page="NAME">). The
// bundle is loaded again when its file changes (a rebuild under kiln
// dev), and React comes from where the bundle lives.

import { createRequire } from "node:module";
import { existsSync, statSync, unlinkSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const FRAME_MAX = 16 * 1024 * 1024;
const here = path.dirname(fileURLToPath(import.meta.url));

/** @param {string[]} argv @returns {{socket: string, components: string}} */
function parseArgs(argv) {
  const opts = { socket: "", components: "", pages: "" };
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i];
    if ((key === "--socket" || key === "--components" || key === "--pages") &&
        i + 1 < argv.length)
      opts[key.slice(2)] = argv[++i];
    else throw new Error(`unknown argument ${key}`);
  }
  if (!opts.socket || !opts.components)
    throw new Error("usage: server.mjs --socket PATH --components DIR");
  return opts;
}

/** Imports `name` as resolved from `dir`, or from this folder. */
async function importFrom(dir, name) {
  for (const base of [dir, here]) {
    try {
      const resolved = createRequire(path.join(base, "noop.js")).resolve(name);
      return await import(pathToFileURL(resolved).href);
    } catch (e) {
      if (e?.code !== "MODULE_NOT_FOUND") throw e;
    }
  }
  throw new Error(`cannot find ${name} (npm ci in share/ssr or the app)`);
}

const opts = parseArgs(process.argv.slice(2));
const compPath = path.resolve(opts.components);
const isDir = existsSync(compPath) && statSync(compPath).isDirectory();
const compDir = isDir ? compPath : path.dirname(compPath);
const React = await importFrom(compDir, "react");
const { renderToString } = await importFrom(compDir, "react-dom/server");

/** @type {Map<string, Function>} the components loaded so far */
const components = new Map();
// a components folder that does not exist is an app without components
// (React pages only): each component render then says so
const bundle = isDir || !existsSync(compPath)
  ? null
  : await import(pathToFileURL(compPath).href);

/** The component named `name`, loaded on first use. */
async function component(name) {
  const known = components.get(name);
  if (known) return known;
  if (!/^[A-Za-z_$][\w$]*$/.test(name))
    throw new Error(`bad component name ${JSON.stringify(name)}`);
  let fn = bundle?.[name];
  if (!bundle) {
    const file = [".mjs", ".js"]
      .map((ext) => path.join(compDir, name + ext))
      .find((f) => existsSync(f));
    if (!file) throw new Error(`no component ${name} in ${compDir}`);
    const mod = await import(pathToFileURL(file).href);
    fn = mod.default ?? mod[name];
  }
  if (typeof fn !== "function" && typeof fn !== "object")
    throw new Error(`${name} is not a component`);
  components.set(name, fn);
  return fn;
}

/**
 * The page name of an import.meta.glob key ("../../pages/posts/[id].tsx"
 * is "posts/[id]"), or null: the key's leading "./" and "../" segments
 * dropped, then "pages/", then the name, then ".tsx".
 */
function pageName(key) {
  const rel = key.replace(/^(?:\.\.?\/)+/, "");
  if (!rel.startsWith("pages/") || !rel.endsWith(".tsx")) return null;
  return rel.slice("pages/".length, -".tsx".length);
}

/** @type {{mtime: number, table: Map<string, any>, React: any,
 *          renderToString: Function} | null} the loaded pages bundle */
let pagesBundle = null;

/** The pages bundle, loaded (again, when its file changed). */
async function loadPages() {
  if (!opts.pages) throw new Error("no React pages (ssr.pages is empty)");
  const file = path.resolve(opts.pages);
  const st = statSync(file, { throwIfNoEntry: false });
  if (!st)
    throw new Error(`no React pages bundle at ${file} (npm run build:ssr)`);
  if (pagesBundle && pagesBundle.mtime === st.mtimeMs) return pagesBundle;
  const dir = path.dirname(file);
  const R = await importFrom(dir, "react");
  const server = await importFrom(dir, "react-dom/server");
  const mod = await import(`${pathToFileURL(file).href}?v=${st.mtimeMs}`);
  if (typeof mod.pages !== "object" || mod.pages === null)
    throw new Error(`${file} exports no \`pages\` (import.meta.glob)`);
  const table = new Map();
  for (const [key, m] of Object.entries(mod.pages)) {
    const name = pageName(key);
    if (name !== null) table.set(name, m?.default);
  }
  pagesBundle = { mtime: st.mtimeMs, table, React: R,
                  renderToString: server.renderToString };
  return pagesBundle;
}

/** Renders React page `name` with props inside the layout, to HTML. */
async function renderPage(name, props) {
  const b = await loadPages();
  const Page = b.table.get(name);
  if (typeof Page !== "function" && typeof Page !== "object")
    throw new Error(`no React page ${name} (pages/${name}.tsx, default export)`);
  const Layout = b.table.get("_layout");
  const R = b.React;
  const page = R.createElement(Page, props);
  const tree = Layout ? R.createElement(Layout, { page: name }, page) : page;
  return b.renderToString(tree);
}

/** Renders one request to its answer (never throws). */
async function render(req) {
  const id = req?.id;
  try {
    if (typeof req?.component !== "string")
      throw new Error("the request has no component");
    if (req.component.startsWith("pages/"))
      return { id, html: await renderPage(req.component.slice(6),
                                          req.props ?? {}) };
    const C = await component(req.component);
    const html = renderToString(React.createElement(C, req.props ?? {}));
    return { id, html };
  } catch (e) {
    return { id, error: String(e?.stack ?? e).slice(0, 2000) };
  }
}

/** Sends one frame on sock. */
function send(sock, msg) {
  const body = Buffer.from(JSON.stringify(msg), "utf8");
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length);
  sock.write(Buffer.concat([head, body]));
}

function serve(sock) {
  let buf = Buffer.alloc(0);
  sock.on("data", (chunk) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    while (buf.length >= 4) {
      const len = buf.readUInt32BE(0);
      if (len > FRAME_MAX) {
        sock.destroy();
        return;
      }
      if (buf.length < 4 + len) break;
      const body = buf.subarray(4, 4 + len);
      buf = buf.subarray(4 + len);
      let req;
      try {
        req = JSON.parse(body.toString("utf8"));
      } catch {
        sock.destroy(); // not Kiln: no id to answer
        return;
      }
      render(req).then((ans) => {
        if (Number.isInteger(ans.id)) send(sock, ans);
        else sock.destroy();
      });
    }
  });
  sock.on("error", () => sock.destroy());
}

try {
  unlinkSync(opts.socket);
} catch {
  // none left over
}
const server = net.createServer(serve);
server.listen(opts.socket);
// renders are synchronous: nothing is half done between two events
const stop = () => {
  server.close();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
