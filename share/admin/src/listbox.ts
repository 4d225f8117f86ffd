// share/admin/src/listbox.ts - the ARIA combobox + listbox pattern shared
// by the foreign-key autocomplete and the command palette: an input
// (role=combobox) owns a <ul role=listbox>; the arrow keys move the active
// option (aria-activedescendant: focus stays in the input), Enter picks it,
// Escape closes the list.
namespace KilnAdmin {
  /** One option: its text, a secondary text, and the caller's value. */
  export interface Option<T> {
    label: string;
    detail?: string;
    /** A class for its <li> ("load-more"). */
    className?: string;
    value: T;
  }

  /** What a Listbox tells its owner. */
  export interface ListboxEvents<T> {
    pick(value: T): void;
    /** Escape: when given, called instead of only closing the list (the
     * palette closes its dialog at once). */
    escape?(): void;
  }

  export class Listbox<T> {
    readonly list: HTMLUListElement;
    private options: Option<T>[] = [];
    private active = -1;

    /** Makes input a combobox over a new <ul role=listbox> (the caller
     * inserts list where it belongs); list is reused if given. */
    constructor(readonly input: HTMLInputElement, private readonly on: ListboxEvents<T>,
                list?: HTMLUListElement) {
      this.list = list || el('ul', {});
      this.list.setAttribute('role', 'listbox');
      if (!this.list.id)
        this.list.id = uid('admin-listbox');
      const labelled = input.getAttribute('aria-label');
      if (labelled && !this.list.hasAttribute('aria-label'))
        this.list.setAttribute('aria-label', labelled);
      input.setAttribute('role', 'combobox');
      input.setAttribute('aria-autocomplete', 'list');
      input.setAttribute('aria-controls', this.list.id);
      input.setAttribute('aria-expanded', 'false');
      input.setAttribute('autocomplete', 'off');
      this.list.hidden = true;
      input.addEventListener('keydown', (ev) => this.key(ev));
      // mousedown, not click: picking must happen before the input's blur
      this.list.addEventListener('mousedown', (ev) => {
        const li = (ev.target as Element).closest<HTMLLIElement>('li[role="option"]');
        if (!li)
          return;
        ev.preventDefault();
        this.pickIndex(Number(li.dataset['index']));
      });
    }

    /** True while the list is shown. */
    get open(): boolean {
      return !this.list.hidden;
    }

    /** Shows options (replacing the previous ones); keeps the active
     * position when keep (after "load more"), else none is active. With
     * reveal false the options are only kept, for the next ArrowDown. */
    show(options: Option<T>[], keep = false, reveal = true): void {
      const was = keep ? this.active : -1;
      this.options = options;
      this.list.replaceChildren(...options.map((o, i) => {
        const li = el('li', { 'role': 'option', 'id': `${this.list.id}-${i}`,
                              'aria-selected': 'false', 'data-index': String(i) },
                      el('span', { class: 'option-label' }, o.label));
        if (o.detail)
          li.append(el('span', { class: 'option-detail' }, o.detail));
        if (o.className)
          li.className = o.className;
        return li;
      }));
      this.list.hidden = !reveal || options.length === 0;
      this.input.setAttribute('aria-expanded', String(!this.list.hidden));
      this.setActive(Math.min(was, options.length - 1));
    }

    /** Hides the list (its options stay for the next open). */
    close(): void {
      this.list.hidden = true;
      this.input.setAttribute('aria-expanded', 'false');
      this.setActive(-1);
    }

    /** Makes option i the active one (-1: none). */
    setActive(i: number): void {
      const old = this.list.children[this.active];
      if (old)
        old.setAttribute('aria-selected', 'false');
      this.active = i;
      const li = this.list.children[i];
      if (li && this.open) {
        li.setAttribute('aria-selected', 'true');
        this.input.setAttribute('aria-activedescendant', li.id);
        li.scrollIntoView({ block: 'nearest' });
      } else {
        this.input.removeAttribute('aria-activedescendant');
      }
    }

    private pickIndex(i: number): void {
      const o = this.options[i];
      if (o)
        this.on.pick(o.value);
    }

    private key(ev: KeyboardEvent): void {
      if (ev.isComposing)
        return;
      const n = this.options.length;
      switch (ev.key) {
      case 'ArrowDown':
      case 'ArrowUp':
        ev.preventDefault();
        if (!n)
          return;
        if (!this.open) {
          this.show(this.options);
          this.setActive(ev.key === 'ArrowDown' ? 0 : n - 1);
          return;
        }
        this.setActive(ev.key === 'ArrowDown' ? (this.active + 1) % n
                                              : (this.active <= 0 ? n - 1 : this.active - 1));
        return;
      case 'Home':
      case 'End':
        if (!this.open || !n || !ev.ctrlKey)
          return;
        ev.preventDefault();
        this.setActive(ev.key === 'Home' ? 0 : n - 1);
        return;
      case 'Enter':
        if (this.open && this.active >= 0) {
          ev.preventDefault(); // picks; never submits the form meanwhile
          this.pickIndex(this.active);
        }
        return;
      case 'Escape':
        if (this.on.escape) {
          ev.preventDefault();
          this.close();
          this.on.escape();
        } else if (this.open) {
          ev.preventDefault();
          ev.stopPropagation(); // a dialog around closes on the next Escape only
          this.close();
        }
        return;
      case 'Tab':
        this.close();
        return;
      default:
        return;
      }
    }
  }
}
