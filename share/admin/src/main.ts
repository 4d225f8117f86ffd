// share/admin/src/main.ts - starts the admin's enhancements on the page,
// and again on what htmx swaps in (htmx:load), each element only once.
namespace KilnAdmin {
  /** Enhances everything under root that the contract's markup hooks mark. */
  export function init(root: ParentNode): void {
    initAutocomplete(root);
    initForms(root);
    initChangeList(root);
  }

  function start(): void {
    document.documentElement.classList.add('js');
    csrfForHtmx();
    init(document);
    initPalette();
    initListSwaps();
    document.body.addEventListener('htmx:load', (ev: Event) => {
      if (ev.target instanceof Element)
        init(ev.target);
    });
  }

  if (document.readyState === 'loading')
    document.addEventListener('DOMContentLoaded', start);
  else
    start();
}
