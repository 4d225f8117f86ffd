// share/admin/src/fetch.ts - JSON requests to the admin's own endpoints,
// with the CSRF token the layout puts in <meta name="csrf-token">; htmx
// requests (when a page uses htmx) get the same header.
namespace KilnAdmin {
  /** The page's CSRF token, or '' when the layout has none. */
  export function csrfToken(): string {
    const m = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]');
    return m ? m.content : '';
  }

  /** The admin's mount point (<body data-admin-root>), without a trailing slash. */
  export function root(): string {
    const r = document.body.dataset['adminRoot'] || '/admin';
    return r.endsWith('/') ? r.slice(0, -1) : r;
  }

  /** GETs url (same origin, with the CSRF header) and parses the JSON body;
   * rejects on a network error, an abort or a status other than 2xx. */
  export async function getJSON(url: string, signal?: AbortSignal): Promise<unknown> {
    const init: RequestInit = {
      credentials: 'same-origin',
      headers: { 'Accept': 'application/json', 'X-CSRF-Token': csrfToken() },
    };
    if (signal)
      init.signal = signal;
    const r = await fetch(url, init);
    if (!r.ok)
      throw new Error(`${url}: HTTP ${r.status}`);
    return r.json();
  }

  /** url with the query parameters of params added (keeps url's own). */
  export function withQuery(url: string, params: Record<string, string>): string {
    const u = new URL(url, window.location.href);
    for (const [k, v] of Object.entries(params))
      u.searchParams.set(k, v);
    return u.origin === window.location.origin ? u.pathname + u.search : u.href;
  }

  /** Adds the CSRF header to every htmx request (htmx:configRequest). */
  export function csrfForHtmx(): void {
    document.body.addEventListener('htmx:configRequest', (ev: Event) => {
      const detail = (ev as CustomEvent<{ headers?: Record<string, string> }>).detail;
      const token = csrfToken();
      if (detail && detail.headers && token)
        detail.headers['X-CSRF-Token'] = token;
    });
  }
}
