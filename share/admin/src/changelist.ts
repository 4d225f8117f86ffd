// share/admin/src/changelist.ts - the change list's selection: the header
// checkbox (data-admin-select-all) selects every row's _selected box, shows
// the mixed state, and Shift-click selects a range of rows. After htmx
// swapped the list (#changelist: search, filters, sorting, pages), the
// status region says its new count and focus that was on a replaced
// element goes to the list's heading.
namespace KilnAdmin {
  function initSelectAll(all: HTMLInputElement): void {
    const scope = all.closest('form') || all.closest('table') || document;
    const boxes = (): HTMLInputElement[] =>
      [...scope.querySelectorAll<HTMLInputElement>('input[type=checkbox][name="_selected"]')];
    const counter = scope.querySelector<HTMLElement>('[data-admin-selected-count]');
    const sync = (): void => {
      const b = boxes();
      const on = b.filter((x) => x.checked).length;
      all.checked = b.length > 0 && on === b.length;
      all.indeterminate = on > 0 && on < b.length;
      for (const x of b) {
        const tr = x.closest('tr');
        if (tr)
          tr.classList.toggle('selected', x.checked);
      }
      if (counter)
        counter.textContent = `${on} of ${b.length} selected`;
    };
    all.addEventListener('change', () => {
      for (const x of boxes())
        x.checked = all.checked;
      sync();
    });
    let last: HTMLInputElement | null = null;
    scope.addEventListener('click', (ev) => {
      const t = ev.target;
      if (!(t instanceof HTMLInputElement) || t.name !== '_selected')
        return;
      const b = boxes();
      if ((ev as MouseEvent).shiftKey && last && last !== t) {
        const [i, j] = [b.indexOf(last), b.indexOf(t)].sort((x, y) => x - y);
        if (i !== undefined && j !== undefined && i >= 0)
          for (const x of b.slice(i, j + 1))
            x.checked = t.checked;
      }
      last = t;
      sync();
    });
    sync();
  }

  /** Enhances the change list's select-all checkboxes under root. */
  export function initChangeList(root: ParentNode): void {
    for (const a of fresh<HTMLInputElement>(root, 'input[data-admin-select-all]', 'data-admin-ready'))
      initSelectAll(a);
  }

  /** After htmx settled a new #changelist: announce its count, keep focus. */
  export function initListSwaps(): void {
    document.body.addEventListener('htmx:afterSettle', (ev: Event) => {
      const list = ev.target;
      if (!(list instanceof HTMLElement) || list.id !== 'changelist')
        return;
      const status = document.getElementById('changelist-status');
      const count = list.querySelector('nav.pagination .count');
      if (status && count)
        status.textContent = count.textContent;
      const focused = document.activeElement;
      if (!focused || focused === document.body || !focused.isConnected)
        list.querySelector<HTMLElement>('h1')?.focus();
    });
  }
}
