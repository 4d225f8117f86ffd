// share/admin/src/autocomplete.ts - foreign keys and many-to-many fields as
// search boxes over GET <model>/autocomplete?q=TEXT&after=CURSOR, which
// answers {"results":[{"id":1,"label":"..."}],"more":true|false}, 20 a page.
//
// The server renders <select name=F data-admin-autocomplete=URL> holding
// only the current value(s) (data-admin-multi for many-to-many). The select
// stays in the form, hidden, and keeps submitting the value: picking a row
// makes it the select's (only, or one more) selected option. The search box
// takes over the select's id, so its <label for> names the box.
namespace KilnAdmin {
  interface Row {
    id: string;
    label: string;
  }

  /** A "load more" entry at the end of the list. */
  const MORE = Symbol('more');
  type Choice = Row | typeof MORE;

  function parse(data: unknown): { rows: Row[]; more: boolean; next: string | null } {
    const d = (data && typeof data === 'object' ? data : {}) as Record<string, unknown>;
    const rows: Row[] = [];
    if (Array.isArray(d['results'])) {
      for (const r of d['results'] as unknown[]) {
        if (!r || typeof r !== 'object')
          continue;
        const o = r as Record<string, unknown>;
        if ((typeof o['id'] === 'number' || typeof o['id'] === 'string') &&
            typeof o['label'] === 'string')
          rows.push({ id: String(o['id']), label: o['label'] });
      }
    }
    const last = rows[rows.length - 1];
    // the cursor: the server's "next" when it sends one, else the last id
    const next = typeof d['next'] === 'string' ? d['next'] : last ? last.id : null;
    return { rows, more: d['more'] === true && next !== null, next };
  }

  class Autocomplete {
    private readonly input: HTMLInputElement;
    private readonly box: Listbox<Choice>;
    private readonly status: HTMLElement;
    private readonly tags: HTMLUListElement | null = null;
    private readonly multi: boolean;
    private rows: Row[] = [];
    private next: string | null = null;
    private more = false;
    private query = '';
    private pending: AbortController | null = null;

    constructor(private readonly select: HTMLSelectElement) {
      this.multi = select.multiple || select.hasAttribute('data-admin-multi');
      const id = select.id || uid('admin-ac');
      select.id = `${id}-select`;
      select.hidden = true;
      select.tabIndex = -1;
      this.input = el('input', {
        'type': 'text', 'id': id, 'class': 'autocomplete-input',
        'placeholder': this.multi ? 'Type to add…' : 'Type to search…',
        'spellcheck': 'false',
      });
      for (const a of ['aria-describedby', 'aria-invalid', 'aria-label', 'aria-labelledby'])
        if (select.hasAttribute(a))
          this.input.setAttribute(a, select.getAttribute(a) || '');
      if (select.disabled)
        this.input.disabled = true;
      // the box carries `required` (the hidden select cannot show the message)
      if (select.required && !this.multi) {
        this.input.required = true;
        select.required = false;
      }
      this.status = el('span', { 'class': 'visually-hidden', 'role': 'status' });
      const wrap = el('div', { class: this.multi ? 'autocomplete multi' : 'autocomplete' });
      select.after(wrap);
      if (this.multi) {
        this.tags = el('ul', { 'class': 'tags', 'aria-label': 'Chosen' });
        wrap.append(this.tags);
      }
      wrap.append(this.input);
      this.box = new Listbox<Choice>(this.input, { pick: (c) => this.pick(c) });
      this.box.list.classList.add('autocomplete-list');
      wrap.append(this.box.list, this.status);
      if (this.multi)
        this.renderTags();
      else
        this.input.value = this.currentLabel();

      const search = debounce(() => this.search(false), 150);
      this.input.addEventListener('input', () => {
        if (!this.multi && this.input.value.trim() === '' && this.nullable())
          this.setSingle(null);
        search();
      });
      this.input.addEventListener('focus', () => {
        if (!this.rows.length)
          void this.search(false, true);
      });
      this.input.addEventListener('keydown', (ev) => {
        if (ev.key === 'ArrowDown' && !this.box.open && !this.rows.length)
          void this.search(false);
        if (ev.key === 'Backspace' && this.multi && this.input.value === '') {
          const last = [...this.select.selectedOptions].pop();
          if (last)
            this.remove(last.value);
        }
        if (ev.key === 'Escape' && !this.multi)
          this.input.value = this.currentLabel();
      });
      this.input.addEventListener('blur', () => {
        this.box.close();
        if (!this.multi)
          this.input.value = this.currentLabel();
      });
    }

    private url(): string {
      return this.select.getAttribute('data-admin-autocomplete') || '';
    }

    private nullable(): boolean {
      return [...this.select.options].some((o) => o.value === '');
    }

    private currentLabel(): string {
      const o = this.select.selectedOptions[0];
      return o && o.value !== '' ? (o.textContent || '').trim() : '';
    }

    /** Fetches the first page for the box's text, or the next page; shows
     * it unless quiet (a prefetch on focus: the list opens on ArrowDown). */
    private async search(more: boolean, quiet = false): Promise<void> {
      const q = this.multi || this.input.value !== this.currentLabel()
      ? this.input.value.trim() : '';
      if (this.pending)
        this.pending.abort();
      const ac = new AbortController();
      this.pending = ac;
      const params: Record<string, string> = { q };
      if (more && this.next !== null)
        params['after'] = this.next;
      let page;
      try {
        page = parse(await getJSON(withQuery(this.url(), params), ac.signal));
      } catch {
        if (!ac.signal.aborted)
          this.status.textContent = 'The search failed; try again.';
        return;
      }
      if (this.pending !== ac)
        return;
      this.pending = null;
      this.query = q;
      this.rows = more ? this.rows.concat(page.rows) : page.rows;
      this.next = page.next;
      this.more = page.more;
      if (document.activeElement !== this.input)
        return;
      this.render(more, quiet);
    }

    private render(keep: boolean, quiet = false): void {
      const chosen = new Set([...this.select.selectedOptions].map((o) => o.value));
      const opts: Option<Choice>[] = this.rows
        .filter((r) => !this.multi || !chosen.has(r.id))
        .map((r) => ({ label: r.label, value: r as Choice }));
      if (this.more)
        opts.push({ label: 'Load more…', value: MORE, className: 'load-more' });
      this.box.show(opts, keep, !quiet);
      const n = this.rows.length;
      if (quiet)
        return;
      this.status.textContent = n === 0 ? `No match for “${this.query}”`
        : `${n}${this.more ? '+' : ''} result${n === 1 ? '' : 's'}`;
    }


    private pick(c: Choice): void {
      if (c === MORE) {
        void this.search(true);
        return;
      }
      if (this.multi) {
        this.add(c);
        this.input.value = '';
        void this.search(false); // what is left to choose from

      } else {
        this.setSingle(c);
        this.input.value = c.label;
        this.box.close();
      }
      this.select.dispatchEvent(new Event('change', { bubbles: true }));
    }

    /** Makes row the select's only value (null: the empty option). */
    private setSingle(row: Row | null): void {
      const keep = [...this.select.options].filter((o) => o.value === '');
      const opts = keep.map((o) => { o.selected = row === null; return o; });
      if (row)
        opts.push(new Option(row.label, row.id, true, true));
      this.select.replaceChildren(...opts);
    }

    private add(row: Row): void {
      const have = [...this.select.options].find((o) => o.value === row.id);
      if (have)
        have.selected = true;
      else
        this.select.add(new Option(row.label, row.id, true, true));
      this.renderTags();
    }

    private remove(id: string): void {
      for (const o of [...this.select.options])
        if (o.value === id)
          o.remove();
      this.renderTags();
      this.input.focus();
      this.select.dispatchEvent(new Event('change', { bubbles: true }));
    }

    private renderTags(): void {
      if (!this.tags)
        return;
      this.tags.replaceChildren(...[...this.select.selectedOptions].map((o) => {
        const label = (o.textContent || '').trim();
        const btn = el('button', { 'type': 'button', 'class': 'tag-remove',
                                   'aria-label': `Remove ${label}` }, '×');
        btn.addEventListener('click', () => this.remove(o.value));
        return el('li', { class: 'tag' }, el('span', {}, label), btn);
      }));
      this.tags.hidden = this.select.selectedOptions.length === 0;
    }
  }

  /** Enhances every select[data-admin-autocomplete] under root. */
  export function initAutocomplete(root: ParentNode): void {
    for (const s of fresh<HTMLSelectElement>(root, 'select[data-admin-autocomplete]', 'data-admin-ready'))
      new Autocomplete(s);
  }
}
