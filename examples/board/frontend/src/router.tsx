// A router of a few lines: the path of the page's URL, links that change
// it without a reload, and the back button. The board serves index.html
// for every path under /app/ (frontend.spa_url), so a reload or a link
// from outside lands on the same page.
import { useSyncExternalStore, type MouseEvent, type ReactNode } from "react";

export const BASE = "/app";

function subscribe(onChange: () => void) {
  window.addEventListener("popstate", onChange);
  return () => window.removeEventListener("popstate", onChange);
}

/** The path below /app: "/", "/projects/2". */
export function usePath(): string {
  const path = useSyncExternalStore(subscribe, () => location.pathname);
  const rest = path.startsWith(BASE) ? path.slice(BASE.length) : path;
  return rest === "" ? "/" : rest;
}

export function navigate(to: string) {
  history.pushState(null, "", BASE + to);
  window.dispatchEvent(new PopStateEvent("popstate"));
}

export function Link({ to, children }: { to: string; children: ReactNode }) {
  function go(e: MouseEvent<HTMLAnchorElement>) {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
    e.preventDefault();
    navigate(to);
  }
  return (
    <a href={BASE + to} onClick={go}>
      {children}
    </a>
  );
}
