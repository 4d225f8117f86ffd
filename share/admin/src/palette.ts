// share/admin/src/palette.ts - the command palette: Ctrl-K (Cmd-K on a
// Mac) opens <dialog id="admin-palette"> from anywhere in the admin; typing
// searches every model the user may view (GET <root>/search?q=TEXT, which
// answers {"results":[{"model","model_label","id","label","url"}]}); the
// arrow keys choose, Enter goes there, Escape closes and gives the focus
// back to where it was.
namespace KilnAdmin {
  interface Hit {
    label: string;
    model: string;
    url: string;
  }

  function hits(data: unknown): Hit[] {
    const d = (data && typeof data === 'object' ? data : {}) as Record<string, unknown>;
    const out: Hit[] = [];
    if (!Array.isArray(d['results']))
      return out;
    for (const r of d['results'] as unknown[]) {
      if (!r || typeof r !== 'object')
        continue;
      const o = r as Record<string, unknown>;
      const url = o['url'];
      // only the admin's own pages: a result never leads off the site
      if (typeof url !== 'string' || !url.startsWith('/') || url.startsWith('//'))
        continue;
      out.push({ label: String(o['label'] ?? ''), url,
                 model: String(o['model_label'] ?? o['model'] ?? '') });
    }
    return out;
  }

  /** The layout's dialog, or one made like it when a template lacks it. */
  function dialog(): HTMLDialogElement {
    const found = document.getElementById('admin-palette');
    if (found instanceof HTMLDialogElement)
      return found;
    const d = el('dialog', { 'id': 'admin-palette', 'aria-label': 'Search everything' },
                 el('input', { 'type': 'search', 'name': 'q', 'aria-label': 'Search everything' }),
                 el('ul', { role: 'listbox' }));
    document.body.append(d);
    return d;
  }

  export function initPalette(): void {
    const dlg = dialog();
    const input = dlg.querySelector<HTMLInputElement>('input[name="q"]');
    if (!input || dlg.hasAttribute('data-admin-ready'))
      return;
    dlg.setAttribute('data-admin-ready', '');
    if (!dlg.hasAttribute('aria-label') && !dlg.hasAttribute('aria-labelledby'))
      dlg.setAttribute('aria-label', 'Search everything');
    input.placeholder = input.placeholder || 'Search everything…';
    const list = dlg.querySelector<HTMLUListElement>('ul[role="listbox"]') || undefined;
    const status = el('p', { 'class': 'palette-status', 'role': 'status' });
    const box = new Listbox<string>(input, {
      pick: (url) => { window.location.assign(url); },
      escape: () => dlg.close(),
    }, list);
    if (!list)
      dlg.append(box.list);
    box.list.after(status);
    const hint = 'Type to search every model; ↑ ↓ to choose, Enter to open, Esc to close.';
    status.textContent = hint;

    let opener: Element | null = null;
    let pending: AbortController | null = null;
    const search = debounce(async () => {
      const q = input.value.trim();
      if (pending)
        pending.abort();
      if (q === '') {
        box.show([]);
        status.textContent = hint;
        return;
      }
      const ac = new AbortController();
      pending = ac;
      let found: Hit[];
      try {
        found = hits(await getJSON(withQuery(`${root()}/search`, { q }), ac.signal));
      } catch {
        if (!ac.signal.aborted)
          status.textContent = 'The search failed; try again.';
        return;
      }
      if (pending !== ac)
        return;
      pending = null;
      box.show(found.map((h) => ({ label: h.label, detail: h.model, value: h.url })));
      status.textContent = found.length ? `${found.length} result${found.length === 1 ? '' : 's'}`
        : `Nothing matches “${q}”`;
      // the first result is active: Enter opens it at once
      if (found.length)
        box.setActive(0);
    }, 120);
    input.addEventListener('input', search);

    const openPalette = (): void => {
      if (dlg.open)
        return;
      opener = document.activeElement;
      dlg.showModal();
      input.select();
      input.focus();
    };
    document.addEventListener('keydown', (ev) => {
      if ((ev.ctrlKey || ev.metaKey) && !ev.altKey && !ev.shiftKey && ev.key.toLowerCase() === 'k') {
        ev.preventDefault();
        if (dlg.open)
          dlg.close();
        else
          openPalette();
      }
    });
    for (const b of document.querySelectorAll<HTMLElement>('[data-admin-palette-open]')) {
      b.hidden = false;
      b.addEventListener('click', openPalette);
    }
    // a click on the backdrop (the dialog itself, outside its content) closes
    dlg.addEventListener('click', (ev) => {
      if (ev.target === dlg)
        dlg.close();
    });
    dlg.addEventListener('close', () => {
      box.close();
      if (opener instanceof HTMLElement && opener.isConnected)
        opener.focus();
      opener = null;
    });
  }
}
