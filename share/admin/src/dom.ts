// share/admin/src/dom.ts - the small DOM helpers every admin enhancement
// uses. The admin's scripts are plain scripts compiled into one file
// (static/admin.js); everything lives in the one global namespace KilnAdmin.
namespace KilnAdmin {
  /** Attributes for el(): a string sets the attribute, false/undefined omits it. */
  export type Attrs = Record<string, string | boolean | undefined>;

  /** Creates <tag> with attrs and children (strings become text nodes). */
  export function el<K extends keyof HTMLElementTagNameMap>(
    tag: K, attrs: Attrs = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === true)
        e.setAttribute(k, '');
      else if (typeof v === 'string')
        e.setAttribute(k, v);
    }
    e.append(...children);
    return e;
  }

  let serial = 0;

  /** A document-unique id starting with prefix. */
  export function uid(prefix: string): string {
    serial += 1;
    let id = `${prefix}-${serial}`;
    while (document.getElementById(id))
      id = `${prefix}-${++serial}`;
    return id;
  }

  /** Elements under root (root included) matching sel, each only once: the
   * mark (a data-* name) is set on those returned so that a second scan,
   * e.g. after an htmx swap, skips what is already enhanced. */
  export function fresh<E extends Element>(root: ParentNode, sel: string, mark: string): E[] {
    const out: E[] = [];
    if (root instanceof Element && root.matches(sel))
      out.push(root as unknown as E);
    root.querySelectorAll<Element>(sel).forEach((e) => out.push(e as E));
    return out.filter((e) => {
      if (e.hasAttribute(mark))
        return false;
      e.setAttribute(mark, '');
      return true;
    });
  }

  /** fn(...) once no call came for ms milliseconds. */
  export function debounce<A extends unknown[]>(fn: (...a: A) => void, ms: number): (...a: A) => void {
    let timer: number | undefined;
    return (...a: A) => {
      if (timer !== undefined)
        window.clearTimeout(timer);
      timer = window.setTimeout(() => {
        timer = undefined;
        fn(...a);
      }, ms);
    };
  }

  /** Adds id to the space-separated id list of el's attribute name. */
  export function addIdRef(e: Element, name: string, id: string): void {
    const ids = (e.getAttribute(name) || '').split(/\s+/).filter((s) => s !== '');
    if (!ids.includes(id))
      ids.push(id);
    e.setAttribute(name, ids.join(' '));
  }

  /** Removes id from el's id list attribute name (the attribute goes when empty). */
  export function removeIdRef(e: Element, name: string, id: string): void {
    const ids = (e.getAttribute(name) || '').split(/\s+/).filter((s) => s !== '' && s !== id);
    if (ids.length)
      e.setAttribute(name, ids.join(' '));
    else
      e.removeAttribute(name);
  }
}
