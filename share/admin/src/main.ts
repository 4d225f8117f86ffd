// share/admin/src/main.ts - starts the admin's enhancements on the page,
// and again on what htmx swaps in (htmx:afterSwap, htmx:load), each
// element only once.
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
    // afterSwap comes in the swap's own task, before the browser paints
    // the new content (htmx:load only after the settle delay): enhanced
    // there, a swapped list never changes size once shown
    for (const name of ['htmx:afterSwap', 'htmx:load'])
      document.body.addEventListener(name, (ev: Event) => {
        if (ev.target instanceof Element)
          init(ev.target);
      });
  }

  if (document.readyState === 'loading')
    document.addEventListener('DOMContentLoaded', start);
  else
    start();
}
