// share/admin/src/forms.ts - the change form's enhancements: a syntax check
// for JSON fields, and "Add another" for inline child rows. The server
// validates everything again; these only answer sooner.
namespace KilnAdmin {
  /** The message of a JSON.parse failure, or null when text is JSON (an
   * empty text is left to the server: the field may be optional). */
  export function jsonProblem(text: string): string | null {
    if (text.trim() === '')
      return null;
    try {
      JSON.parse(text);
      return null;
    } catch (e) {
      return e instanceof SyntaxError ? e.message : String(e);
    }
  }

  function initJson(area: HTMLTextAreaElement): void {
    const id = `${area.id || uid('admin-json')}-syntax`;
    const msg = el('p', { 'class': 'error json-error', 'id': id, 'aria-live': 'polite' });
    msg.hidden = true;
    area.after(msg);
    const server = area.getAttribute('aria-invalid');
    const check = (): void => {
      const p = jsonProblem(area.value);
      msg.hidden = p === null;
      msg.textContent = p === null ? '' : `Not valid JSON: ${p}`;
      if (p !== null) {
        area.setAttribute('aria-invalid', 'true');
        addIdRef(area, 'aria-describedby', id);
      } else {
        if (server === null)
          area.removeAttribute('aria-invalid');
        else
          area.setAttribute('aria-invalid', server);
        removeIdRef(area, 'aria-describedby', id);
      }
    };
    area.addEventListener('input', debounce(check, 250));
    area.addEventListener('blur', check);
  }

  /** Clones the inline's <template data-admin-inline-empty> as row number
   * <CHILD>-TOTAL: "__prefix__" in names, ids, for and aria-* references
   * becomes the number; TOTAL goes up by one. Returns the new row. */
  export function addInlineRow(fs: HTMLFieldSetElement): HTMLElement | null {
    const tpl = fs.querySelector<HTMLTemplateElement>('template[data-admin-inline-empty]');
    const child = fs.getAttribute('data-admin-inline') || '';
    const total = fs.querySelector<HTMLInputElement>(`input[name="${CSS.escape(child)}-TOTAL"]`);
    if (!tpl || !total)
      return null;
    const n = Number.parseInt(total.value, 10) || 0;
    const frag = tpl.content.cloneNode(true) as DocumentFragment;
    const attrs = ['name', 'id', 'for', 'aria-describedby', 'aria-labelledby', 'aria-controls', 'list'];
    frag.querySelectorAll('*').forEach((e) => {
      for (const a of attrs) {
        const v = e.getAttribute(a);
        if (v !== null && v.includes('__prefix__'))
          e.setAttribute(a, v.split('__prefix__').join(String(n)));
      }
    });
    const row = frag.firstElementChild as HTMLElement | null;
    if (!row)
      return null;
    const body = tpl.parentElement instanceof HTMLTableSectionElement ? tpl.parentElement
      : fs.querySelector('tbody') || tpl.parentElement || fs;
    body.append(frag);
    total.value = String(n + 1);
    init(row);
    const first = row.querySelector<HTMLElement>('input:not([type=hidden]), select, textarea');
    if (first)
      first.focus();
    return row;
  }

  function initInline(fs: HTMLFieldSetElement): void {
    if (!fs.querySelector('template[data-admin-inline-empty]'))
      return;
    let btn = fs.querySelector<HTMLButtonElement>('button[data-admin-inline-add]');
    if (!btn) {
      const legend = fs.querySelector('legend');
      const name = legend ? (legend.textContent || '').trim().toLowerCase() : 'row';
      btn = el('button', { 'type': 'button', 'class': 'button inline-add',
                           'data-admin-inline-add': true }, `Add another ${name}`.replace(/s$/, ''));
      fs.append(btn);
    }
    btn.hidden = false;
    btn.addEventListener('click', () => addInlineRow(fs));
  }

  /** Enhances JSON fields and inlines under root. */
  export function initForms(root: ParentNode): void {
    for (const t of fresh<HTMLTextAreaElement>(root, 'textarea[data-admin-json]', 'data-admin-ready'))
      initJson(t);
    for (const f of fresh<HTMLFieldSetElement>(root, 'fieldset[data-admin-inline]', 'data-admin-ready'))
      initInline(f);
  }
}
