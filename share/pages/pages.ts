/*
 * share/pages/pages.ts - the client side of Kiln's React pages
 * (docs/frontend.md, "React pages"): hydrates the page the server
 * rendered, and moves between React pages without a full page load.
 *
 * The server writes each React page as
 *
 *   <div id="kiln-page">...HTML the SSR sidecar rendered...</div>
 *   <script type="application/json" id="kiln-page-data">
 *     {"page":"posts/[id]","props":{...},"ssr":true}</script>
 *
 * and answers the same URL with {"page":...,"props":...} when asked with
 * Accept: application/json. The app's client entry (frontend.pages_entry)
 * hands this file its pages and react-dom's two root functions:
 *
 *   // frontend/src/pages.client.tsx
 *   import { createRoot, hydrateRoot } from "react-dom/client";
 *   import { startPages } from "./kiln-pages";   // a copy of this file
 *   startPages(import.meta.glob("../../pages/**" + "/*.tsx"),
 *              { createRoot, hydrateRoot });
 *
 * (the glob is one string literal in real code.) A click on a link to
 * another React page of this origin fetches that page's data as JSON and
 * renders it in place (history.pushState); Back and Forward do the same.
 * Links anywhere else, and a JSON request that gets anything but a React
 * page's data (a template page, an error, a static export's HTML), load
 * the page as usual.
 */
import { createElement, type ComponentType, type ReactNode } from "react";

/** A React root, as react-dom/client's createRoot and hydrateRoot return. */
export interface PageRoot {
  render(children: ReactNode): void;
}

/** react-dom/client's createRoot and hydrateRoot. */
export interface PageRenderers {
  createRoot(container: Element): PageRoot;
  hydrateRoot(container: Element, initialChildren: ReactNode): PageRoot;
}

/** import.meta.glob's lazy result: a module loader per file. */
export type PageModules = Readonly<Record<string, () => Promise<unknown>>>;

/** A page's data, as the server sends it. */
export interface PageData {
  page: string;
  props: Record<string, unknown>;
  ssr?: boolean;
}

/** The props a layout gets: the page's name, and the page. */
export interface LayoutProps {
  page: string;
  children?: ReactNode;
}

/**
 * The page name of an import.meta.glob key ("../../pages/posts/[id].tsx"
 * is "posts/[id]"), or null when the key is not a file under pages/.
 */
export function pageName(key: string): string | null {
  const rel = key.replace(/^(?:\.\.?\/)+/, "");
  if (!rel.startsWith("pages/") || !rel.endsWith(".tsx")) return null;
  return rel.slice("pages/".length, -".tsx".length);
}

/**
 * The regular expression a page name's URL paths match, as the server
 * routes pages/: "index" is its folder, [name] one segment, [...name] the
 * rest of the path. A trailing slash is allowed (a static export's
 * folders); null for a name starting with "_" (the layout, helpers).
 */
export function pagePattern(name: string): RegExp | null {
  const segs = name.split("/");
  if (segs.some((s) => s.startsWith("_"))) return null;
  if (segs[segs.length - 1] === "index") segs.pop();
  const parts = segs.map((s) => {
    if (/^\[\.\.\.\w+\]$/.test(s)) return "/.+";
    if (/^\[\w+\]$/.test(s)) return "/[^/]+";
    return "/" + s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  });
  return new RegExp(`^${parts.join("")}/?$`);
}

/** True when data is a React page's data. */
function isPageData(data: unknown): data is PageData {
  if (typeof data !== "object" || data === null) return false;
  const d = data as Record<string, unknown>;
  return typeof d.page === "string" && typeof d.props === "object" &&
    d.props !== null && !Array.isArray(d.props);
}

interface Loaded {
  default?: unknown;
}

/**
 * Starts the React pages of this document: hydrates the page the server
 * rendered (or renders it, when the server could not), then takes over
 * navigation between React pages. Resolves once the first page is
 * rendered; rejects when the document has no page data or names a page
 * modules lacks.
 */
export async function startPages(
  modules: PageModules,
  renderers: PageRenderers,
): Promise<void> {
  const loaders = new Map<string, () => Promise<unknown>>();
  const patterns: RegExp[] = [];
  for (const [key, load] of Object.entries(modules)) {
    const name = pageName(key);
    if (name === null) continue;
    loaders.set(name, load);
    const re = pagePattern(name);
    if (re) patterns.push(re);
  }
  const component = async (name: string): Promise<ComponentType<any>> => {
    const load = loaders.get(name);
    if (!load) throw new Error(`kiln pages: no page ${name}`);
    const mod = (await load()) as Loaded;
    if (typeof mod.default !== "function" && typeof mod.default !== "object")
      throw new Error(`kiln pages: pages/${name}.tsx has no default export`);
    return mod.default as ComponentType<any>;
  };
  const layout = loaders.has("_layout")
    ? (await component("_layout")) as ComponentType<LayoutProps>
    : null;
  const tree = (name: string, Page: ComponentType<any>,
    props: Record<string, unknown>): ReactNode => {
    const page = createElement(Page, props);
    return layout ? createElement(layout, { page: name }, page) : page;
  };

  const script = document.getElementById("kiln-page-data");
  const container = document.getElementById("kiln-page");
  const first: unknown = JSON.parse(script?.textContent ?? "null");
  if (!container || !isPageData(first))
    throw new Error("kiln pages: this document has no React page");
  const node = tree(first.page, await component(first.page), first.props);
  let root: PageRoot;
  if (first.ssr) {
    root = renderers.hydrateRoot(container, node);
  } else {
    root = renderers.createRoot(container);
    root.render(node);
  }

  let current = 0; // the latest navigation wins
  const navigate = async (url: URL, push: boolean): Promise<void> => {
    const mine = ++current;
    let data: unknown = null;
    try {
      const r = await fetch(url, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        cache: "no-store", // never a JSON answer in the page's cache entry
      });
      const type = r.headers.get("Content-Type") ?? "";
      const asked = new URL(url.href);
      asked.hash = ""; // a redirect (a login) is followed by a full load
      if (r.ok && r.url === asked.href &&
        type.startsWith("application/json"))
        data = await r.json();
    } catch {
      data = null;
    }
    if (mine !== current) return;
    if (!isPageData(data) || !loaders.has(data.page)) {
      window.location.assign(url.href); // not a React page: load it
      return;
    }
    const Page = await component(data.page);
    if (mine !== current) return;
    if (push) window.history.pushState(null, "", url.href);
    root.render(tree(data.page, Page, data.props));
    if (typeof data.props.title === "string") document.title = data.props.title;
    if (push) window.scrollTo(0, 0);
  };

  document.addEventListener("click", (e: MouseEvent) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey ||
      e.shiftKey || e.altKey) return;
    const a = (e.target as Element | null)?.closest?.("a[href]");
    if (!(a instanceof HTMLAnchorElement)) return;
    if ((a.target && a.target !== "_self") || a.hasAttribute("download"))
      return;
    const url = new URL(a.href);
    if (url.origin !== window.location.origin) return;
    if (url.pathname === window.location.pathname &&
      url.search === window.location.search && url.hash) return; // a jump
    if (!patterns.some((re) => re.test(url.pathname))) return;
    e.preventDefault();
    void navigate(url, true);
  });
  window.addEventListener("popstate", () => {
    void navigate(new URL(window.location.href), false);
  });
}
