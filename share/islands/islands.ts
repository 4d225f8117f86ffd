/*
 * share/islands/islands.ts - the client side of Kiln's islands
 * (docs/frontend.md#islands): finds the <div data-island="Name"
 * data-props="{...}"> elements island() placed in a server page and
 * renders the named React component into each with its props, or
 * hydrates it when the server rendered it already (data-ssr).
 *
 * The front end's entry imports it with its components and react-dom's
 * two root functions, so this file depends on React's types only:
 *
 *   import { createRoot, hydrateRoot } from "react-dom/client";
 *   import { mountIslands } from "./islands";
 *   import Counter from "./Counter";
 *   mountIslands({ Counter }, { createRoot, hydrateRoot });
 */
import { createElement, type ComponentType, type ReactNode } from "react";

/** A React root, as react-dom/client's createRoot returns it. */
export interface IslandRoot {
  render(children: ReactNode): void;
}

/** react-dom/client's createRoot and hydrateRoot. */
export interface IslandRenderers {
  createRoot(container: Element): IslandRoot;
  hydrateRoot(container: Element, initialChildren: ReactNode): unknown;
}

/** The components islands may name, by the name island() was given (any
 *  props: each component checks its own, as they come from the server). */
export type IslandComponents = Readonly<Record<string, ComponentType<any>>>;

/** What mountIslands did with one island element. */
export interface IslandResult {
  name: string;
  element: Element;
  /** "rendered" (client only), "hydrated" (server HTML), or an error. */
  outcome: "rendered" | "hydrated" | "unknown component" | "bad props";
}

const MOUNTED = "data-island-mounted";

/**
 * Mounts every island under root (default: the document) that is not
 * mounted yet; safe to call again after new markup arrives (an HTMX swap).
 * An island naming no component of components, or whose props are not a
 * JSON object, is left as it is and reported on the console. Returns what
 * happened to each island it found.
 */
export function mountIslands(
  components: IslandComponents,
  renderers: IslandRenderers,
  root: ParentNode = document,
): IslandResult[] {
  const results: IslandResult[] = [];
  for (const element of Array.from(
    root.querySelectorAll(`[data-island]:not([${MOUNTED}])`),
  )) {
    const name = element.getAttribute("data-island") ?? "";
    const result: IslandResult = { name, element, outcome: "rendered" };
    results.push(result);
    const component = Object.prototype.hasOwnProperty.call(components, name)
      ? components[name]
      : undefined;
    if (component === undefined) {
      result.outcome = "unknown component";
      console.error(`kiln islands: no component named "${name}"`, element);
      continue;
    }
    let props: unknown;
    try {
      props = JSON.parse(element.getAttribute("data-props") ?? "{}");
    } catch {
      props = undefined;
    }
    if (typeof props !== "object" || props === null || Array.isArray(props)) {
      result.outcome = "bad props";
      console.error(`kiln islands: "${name}" has no JSON object of props`,
        element);
      continue;
    }
    element.setAttribute(MOUNTED, "");
    const node = createElement(component, props as Record<string, unknown>);
    if (element.hasAttribute("data-ssr")) {
      renderers.hydrateRoot(element, node);
      result.outcome = "hydrated";
    } else {
      renderers.createRoot(element).render(node);
    }
  }
  return results;
}
