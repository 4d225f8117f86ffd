"use strict";
// share/admin/src/dom.ts - the small DOM helpers every admin enhancement
// uses. The admin's scripts are plain scripts compiled into one file
// (static/admin.js); everything lives in the one global namespace KilnAdmin.
var KilnAdmin;
(function (KilnAdmin) {
    /** Creates <tag> with attrs and children (strings become text nodes). */
    function el(tag, attrs = {}, ...children) {
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
    KilnAdmin.el = el;
    let serial = 0;
    /** A document-unique id starting with prefix. */
    function uid(prefix) {
        serial += 1;
        let id = `${prefix}-${serial}`;
        while (document.getElementById(id))
            id = `${prefix}-${++serial}`;
        return id;
    }
    KilnAdmin.uid = uid;
    /** Elements under root (root included) matching sel, each only once: the
     * mark (a data-* name) is set on those returned so that a second scan,
     * e.g. after an htmx swap, skips what is already enhanced. */
    function fresh(root, sel, mark) {
        const out = [];
        if (root instanceof Element && root.matches(sel))
            out.push(root);
        root.querySelectorAll(sel).forEach((e) => out.push(e));
        return out.filter((e) => {
            if (e.hasAttribute(mark))
                return false;
            e.setAttribute(mark, '');
            return true;
        });
    }
    KilnAdmin.fresh = fresh;
    /** fn(...) once no call came for ms milliseconds. */
    function debounce(fn, ms) {
        let timer;
        return (...a) => {
            if (timer !== undefined)
                window.clearTimeout(timer);
            timer = window.setTimeout(() => {
                timer = undefined;
                fn(...a);
            }, ms);
        };
    }
    KilnAdmin.debounce = debounce;
    /** Adds id to the space-separated id list of el's attribute name. */
    function addIdRef(e, name, id) {
        const ids = (e.getAttribute(name) || '').split(/\s+/).filter((s) => s !== '');
        if (!ids.includes(id))
            ids.push(id);
        e.setAttribute(name, ids.join(' '));
    }
    KilnAdmin.addIdRef = addIdRef;
    /** Removes id from el's id list attribute name (the attribute goes when empty). */
    function removeIdRef(e, name, id) {
        const ids = (e.getAttribute(name) || '').split(/\s+/).filter((s) => s !== '' && s !== id);
        if (ids.length)
            e.setAttribute(name, ids.join(' '));
        else
            e.removeAttribute(name);
    }
    KilnAdmin.removeIdRef = removeIdRef;
})(KilnAdmin || (KilnAdmin = {}));
// share/admin/src/fetch.ts - JSON requests to the admin's own endpoints,
// with the CSRF token the layout puts in <meta name="csrf-token">; htmx
// requests (when a page uses htmx) get the same header.
var KilnAdmin;
(function (KilnAdmin) {
    /** The page's CSRF token, or '' when the layout has none. */
    function csrfToken() {
        const m = document.querySelector('meta[name="csrf-token"]');
        return m ? m.content : '';
    }
    KilnAdmin.csrfToken = csrfToken;
    /** The admin's mount point (<body data-admin-root>), without a trailing slash. */
    function root() {
        const r = document.body.dataset['adminRoot'] || '/admin';
        return r.endsWith('/') ? r.slice(0, -1) : r;
    }
    KilnAdmin.root = root;
    /** GETs url (same origin, with the CSRF header) and parses the JSON body;
     * rejects on a network error, an abort or a status other than 2xx. */
    async function getJSON(url, signal) {
        const init = {
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
    KilnAdmin.getJSON = getJSON;
    /** url with the query parameters of params added (keeps url's own). */
    function withQuery(url, params) {
        const u = new URL(url, window.location.href);
        for (const [k, v] of Object.entries(params))
            u.searchParams.set(k, v);
        return u.origin === window.location.origin ? u.pathname + u.search : u.href;
    }
    KilnAdmin.withQuery = withQuery;
    /** Adds the CSRF header to every htmx request (htmx:configRequest). */
    function csrfForHtmx() {
        document.body.addEventListener('htmx:configRequest', (ev) => {
            const detail = ev.detail;
            const token = csrfToken();
            if (detail && detail.headers && token)
                detail.headers['X-CSRF-Token'] = token;
        });
    }
    KilnAdmin.csrfForHtmx = csrfForHtmx;
})(KilnAdmin || (KilnAdmin = {}));
// share/admin/src/listbox.ts - the ARIA combobox + listbox pattern shared
// by the foreign-key autocomplete and the command palette: an input
// (role=combobox) owns a <ul role=listbox>; the arrow keys move the active
// option (aria-activedescendant: focus stays in the input), Enter picks it,
// Escape closes the list.
var KilnAdmin;
(function (KilnAdmin) {
    class Listbox {
        /** Makes input a combobox over a new <ul role=listbox> (the caller
         * inserts list where it belongs); list is reused if given. */
        constructor(input, on, list) {
            this.input = input;
            this.on = on;
            this.options = [];
            this.active = -1;
            this.list = list || KilnAdmin.el('ul', {});
            this.list.setAttribute('role', 'listbox');
            if (!this.list.id)
                this.list.id = KilnAdmin.uid('admin-listbox');
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
                const li = ev.target.closest('li[role="option"]');
                if (!li)
                    return;
                ev.preventDefault();
                this.pickIndex(Number(li.dataset['index']));
            });
        }
        /** True while the list is shown. */
        get open() {
            return !this.list.hidden;
        }
        /** Shows options (replacing the previous ones); keeps the active
         * position when keep (after "load more"), else none is active. With
         * reveal false the options are only kept, for the next ArrowDown. */
        show(options, keep = false, reveal = true) {
            const was = keep ? this.active : -1;
            this.options = options;
            this.list.replaceChildren(...options.map((o, i) => {
                const li = KilnAdmin.el('li', { 'role': 'option', 'id': `${this.list.id}-${i}`,
                    'aria-selected': 'false', 'data-index': String(i) }, KilnAdmin.el('span', { class: 'option-label' }, o.label));
                if (o.detail)
                    li.append(KilnAdmin.el('span', { class: 'option-detail' }, o.detail));
                if (o.className)
                    li.className = o.className;
                return li;
            }));
            this.list.hidden = !reveal || options.length === 0;
            this.input.setAttribute('aria-expanded', String(!this.list.hidden));
            this.setActive(Math.min(was, options.length - 1));
        }
        /** Hides the list (its options stay for the next open). */
        close() {
            this.list.hidden = true;
            this.input.setAttribute('aria-expanded', 'false');
            this.setActive(-1);
        }
        /** Makes option i the active one (-1: none). */
        setActive(i) {
            const old = this.list.children[this.active];
            if (old)
                old.setAttribute('aria-selected', 'false');
            this.active = i;
            const li = this.list.children[i];
            if (li && this.open) {
                li.setAttribute('aria-selected', 'true');
                this.input.setAttribute('aria-activedescendant', li.id);
                li.scrollIntoView({ block: 'nearest' });
            }
            else {
                this.input.removeAttribute('aria-activedescendant');
            }
        }
        pickIndex(i) {
            const o = this.options[i];
            if (o)
                this.on.pick(o.value);
        }
        key(ev) {
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
                    }
                    else if (this.open) {
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
    KilnAdmin.Listbox = Listbox;
})(KilnAdmin || (KilnAdmin = {}));
// share/admin/src/autocomplete.ts - foreign keys and many-to-many fields as
// search boxes over GET <model>/autocomplete?q=TEXT&after=CURSOR, which
// answers {"results":[{"id":1,"label":"..."}],"more":true|false}, 20 a page.
//
// The server renders <select name=F data-admin-autocomplete=URL> holding
// only the current value(s) (data-admin-multi for many-to-many). The select
// stays in the form, hidden, and keeps submitting the value: picking a row
// makes it the select's (only, or one more) selected option. The search box
// takes over the select's id, so its <label for> names the box.
var KilnAdmin;
(function (KilnAdmin) {
    /** A "load more" entry at the end of the list. */
    const MORE = Symbol('more');
    function parse(data) {
        const d = (data && typeof data === 'object' ? data : {});
        const rows = [];
        if (Array.isArray(d['results'])) {
            for (const r of d['results']) {
                if (!r || typeof r !== 'object')
                    continue;
                const o = r;
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
        constructor(select) {
            this.select = select;
            this.tags = null;
            this.rows = [];
            this.next = null;
            this.more = false;
            this.query = '';
            this.pending = null;
            this.multi = select.multiple || select.hasAttribute('data-admin-multi');
            const id = select.id || KilnAdmin.uid('admin-ac');
            select.id = `${id}-select`;
            select.hidden = true;
            select.tabIndex = -1;
            this.input = KilnAdmin.el('input', {
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
            this.status = KilnAdmin.el('span', { 'class': 'visually-hidden', 'role': 'status' });
            const wrap = KilnAdmin.el('div', { class: this.multi ? 'autocomplete multi' : 'autocomplete' });
            select.after(wrap);
            if (this.multi) {
                this.tags = KilnAdmin.el('ul', { 'class': 'tags', 'aria-label': 'Chosen' });
                wrap.append(this.tags);
            }
            wrap.append(this.input);
            this.box = new KilnAdmin.Listbox(this.input, { pick: (c) => this.pick(c) });
            this.box.list.classList.add('autocomplete-list');
            wrap.append(this.box.list, this.status);
            if (this.multi)
                this.renderTags();
            else
                this.input.value = this.currentLabel();
            const search = KilnAdmin.debounce(() => this.search(false), 150);
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
        url() {
            return this.select.getAttribute('data-admin-autocomplete') || '';
        }
        nullable() {
            return [...this.select.options].some((o) => o.value === '');
        }
        currentLabel() {
            const o = this.select.selectedOptions[0];
            return o && o.value !== '' ? (o.textContent || '').trim() : '';
        }
        /** Fetches the first page for the box's text, or the next page; shows
         * it unless quiet (a prefetch on focus: the list opens on ArrowDown). */
        async search(more, quiet = false) {
            const q = this.multi || this.input.value !== this.currentLabel()
                ? this.input.value.trim() : '';
            if (this.pending)
                this.pending.abort();
            const ac = new AbortController();
            this.pending = ac;
            const params = { q };
            if (more && this.next !== null)
                params['after'] = this.next;
            let page;
            try {
                page = parse(await KilnAdmin.getJSON(KilnAdmin.withQuery(this.url(), params), ac.signal));
            }
            catch {
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
        render(keep, quiet = false) {
            const chosen = new Set([...this.select.selectedOptions].map((o) => o.value));
            const opts = this.rows
                .filter((r) => !this.multi || !chosen.has(r.id))
                .map((r) => ({ label: r.label, value: r }));
            if (this.more)
                opts.push({ label: 'Load more…', value: MORE, className: 'load-more' });
            this.box.show(opts, keep, !quiet);
            const n = this.rows.length;
            if (quiet)
                return;
            this.status.textContent = n === 0 ? `No match for “${this.query}”`
                : `${n}${this.more ? '+' : ''} result${n === 1 ? '' : 's'}`;
        }
        pick(c) {
            if (c === MORE) {
                void this.search(true);
                return;
            }
            if (this.multi) {
                this.add(c);
                this.input.value = '';
                void this.search(false); // what is left to choose from
            }
            else {
                this.setSingle(c);
                this.input.value = c.label;
                this.box.close();
            }
            this.select.dispatchEvent(new Event('change', { bubbles: true }));
        }
        /** Makes row the select's only value (null: the empty option). */
        setSingle(row) {
            const keep = [...this.select.options].filter((o) => o.value === '');
            const opts = keep.map((o) => { o.selected = row === null; return o; });
            if (row)
                opts.push(new Option(row.label, row.id, true, true));
            this.select.replaceChildren(...opts);
        }
        add(row) {
            const have = [...this.select.options].find((o) => o.value === row.id);
            if (have)
                have.selected = true;
            else
                this.select.add(new Option(row.label, row.id, true, true));
            this.renderTags();
        }
        remove(id) {
            for (const o of [...this.select.options])
                if (o.value === id)
                    o.remove();
            this.renderTags();
            this.input.focus();
            this.select.dispatchEvent(new Event('change', { bubbles: true }));
        }
        renderTags() {
            if (!this.tags)
                return;
            this.tags.replaceChildren(...[...this.select.selectedOptions].map((o) => {
                const label = (o.textContent || '').trim();
                const btn = KilnAdmin.el('button', { 'type': 'button', 'class': 'tag-remove',
                    'aria-label': `Remove ${label}` }, '×');
                btn.addEventListener('click', () => this.remove(o.value));
                return KilnAdmin.el('li', { class: 'tag' }, KilnAdmin.el('span', {}, label), btn);
            }));
            this.tags.hidden = this.select.selectedOptions.length === 0;
        }
    }
    /** Enhances every select[data-admin-autocomplete] under root. */
    function initAutocomplete(root) {
        for (const s of KilnAdmin.fresh(root, 'select[data-admin-autocomplete]', 'data-admin-ready'))
            new Autocomplete(s);
    }
    KilnAdmin.initAutocomplete = initAutocomplete;
})(KilnAdmin || (KilnAdmin = {}));
// share/admin/src/forms.ts - the change form's enhancements: a syntax check
// for JSON fields, and "Add another" for inline child rows. The server
// validates everything again; these only answer sooner.
var KilnAdmin;
(function (KilnAdmin) {
    /** The message of a JSON.parse failure, or null when text is JSON (an
     * empty text is left to the server: the field may be optional). */
    function jsonProblem(text) {
        if (text.trim() === '')
            return null;
        try {
            JSON.parse(text);
            return null;
        }
        catch (e) {
            return e instanceof SyntaxError ? e.message : String(e);
        }
    }
    KilnAdmin.jsonProblem = jsonProblem;
    function initJson(area) {
        const id = `${area.id || KilnAdmin.uid('admin-json')}-syntax`;
        const msg = KilnAdmin.el('p', { 'class': 'error json-error', 'id': id, 'aria-live': 'polite' });
        msg.hidden = true;
        area.after(msg);
        const server = area.getAttribute('aria-invalid');
        const check = () => {
            const p = jsonProblem(area.value);
            msg.hidden = p === null;
            msg.textContent = p === null ? '' : `Not valid JSON: ${p}`;
            if (p !== null) {
                area.setAttribute('aria-invalid', 'true');
                KilnAdmin.addIdRef(area, 'aria-describedby', id);
            }
            else {
                if (server === null)
                    area.removeAttribute('aria-invalid');
                else
                    area.setAttribute('aria-invalid', server);
                KilnAdmin.removeIdRef(area, 'aria-describedby', id);
            }
        };
        area.addEventListener('input', KilnAdmin.debounce(check, 250));
        area.addEventListener('blur', check);
    }
    /** Clones the inline's <template data-admin-inline-empty> as row number
     * <CHILD>-TOTAL: "__prefix__" in names, ids, for and aria-* references
     * becomes the number; TOTAL goes up by one. Returns the new row. */
    function addInlineRow(fs) {
        const tpl = fs.querySelector('template[data-admin-inline-empty]');
        const child = fs.getAttribute('data-admin-inline') || '';
        const total = fs.querySelector(`input[name="${CSS.escape(child)}-TOTAL"]`);
        if (!tpl || !total)
            return null;
        const n = Number.parseInt(total.value, 10) || 0;
        const frag = tpl.content.cloneNode(true);
        const attrs = ['name', 'id', 'for', 'aria-describedby', 'aria-labelledby', 'aria-controls', 'list'];
        frag.querySelectorAll('*').forEach((e) => {
            for (const a of attrs) {
                const v = e.getAttribute(a);
                if (v !== null && v.includes('__prefix__'))
                    e.setAttribute(a, v.split('__prefix__').join(String(n)));
            }
        });
        const row = frag.firstElementChild;
        if (!row)
            return null;
        const body = tpl.parentElement instanceof HTMLTableSectionElement ? tpl.parentElement
            : fs.querySelector('tbody') || tpl.parentElement || fs;
        body.append(frag);
        total.value = String(n + 1);
        KilnAdmin.init(row);
        const first = row.querySelector('input:not([type=hidden]), select, textarea');
        if (first)
            first.focus();
        return row;
    }
    KilnAdmin.addInlineRow = addInlineRow;
    function initInline(fs) {
        if (!fs.querySelector('template[data-admin-inline-empty]'))
            return;
        let btn = fs.querySelector('button[data-admin-inline-add]');
        if (!btn) {
            const legend = fs.querySelector('legend');
            const name = legend ? (legend.textContent || '').trim().toLowerCase() : 'row';
            btn = KilnAdmin.el('button', { 'type': 'button', 'class': 'button inline-add',
                'data-admin-inline-add': true }, `Add another ${name}`.replace(/s$/, ''));
            fs.append(btn);
        }
        btn.hidden = false;
        btn.addEventListener('click', () => addInlineRow(fs));
    }
    /** Enhances JSON fields and inlines under root. */
    function initForms(root) {
        for (const t of KilnAdmin.fresh(root, 'textarea[data-admin-json]', 'data-admin-ready'))
            initJson(t);
        for (const f of KilnAdmin.fresh(root, 'fieldset[data-admin-inline]', 'data-admin-ready'))
            initInline(f);
    }
    KilnAdmin.initForms = initForms;
})(KilnAdmin || (KilnAdmin = {}));
// share/admin/src/changelist.ts - the change list's selection: the header
// checkbox (data-admin-select-all) selects every row's _selected box, shows
// the mixed state, and Shift-click selects a range of rows. After htmx
// swapped the list (#changelist: search, filters, sorting, pages), the
// status region says its new count and focus that was on a replaced
// element goes to the list's heading.
var KilnAdmin;
(function (KilnAdmin) {
    function initSelectAll(all) {
        const scope = all.closest('form') || all.closest('table') || document;
        const boxes = () => [...scope.querySelectorAll('input[type=checkbox][name="_selected"]')];
        const counter = scope.querySelector('[data-admin-selected-count]');
        const sync = () => {
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
        let last = null;
        scope.addEventListener('click', (ev) => {
            const t = ev.target;
            if (!(t instanceof HTMLInputElement) || t.name !== '_selected')
                return;
            const b = boxes();
            if (ev.shiftKey && last && last !== t) {
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
    function initChangeList(root) {
        for (const a of KilnAdmin.fresh(root, 'input[data-admin-select-all]', 'data-admin-ready'))
            initSelectAll(a);
    }
    KilnAdmin.initChangeList = initChangeList;
    /** After htmx settled a new #changelist: announce its count, keep focus. */
    function initListSwaps() {
        document.body.addEventListener('htmx:afterSettle', (ev) => {
            const list = ev.target;
            if (!(list instanceof HTMLElement) || list.id !== 'changelist')
                return;
            const status = document.getElementById('changelist-status');
            const count = list.querySelector('nav.pagination .count');
            if (status && count)
                status.textContent = count.textContent;
            const focused = document.activeElement;
            if (!focused || focused === document.body || !focused.isConnected)
                list.querySelector('h1')?.focus();
        });
    }
    KilnAdmin.initListSwaps = initListSwaps;
})(KilnAdmin || (KilnAdmin = {}));
// share/admin/src/palette.ts - the command palette: Ctrl-K (Cmd-K on a
// Mac) opens <dialog id="admin-palette"> from anywhere in the admin; typing
// searches every model the user may view (GET <root>/search?q=TEXT, which
// answers {"results":[{"model","model_label","id","label","url"}]}); the
// arrow keys choose, Enter goes there, Escape closes and gives the focus
// back to where it was.
var KilnAdmin;
(function (KilnAdmin) {
    function hits(data) {
        const d = (data && typeof data === 'object' ? data : {});
        const out = [];
        if (!Array.isArray(d['results']))
            return out;
        for (const r of d['results']) {
            if (!r || typeof r !== 'object')
                continue;
            const o = r;
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
    function dialog() {
        const found = document.getElementById('admin-palette');
        if (found instanceof HTMLDialogElement)
            return found;
        const d = KilnAdmin.el('dialog', { 'id': 'admin-palette', 'aria-label': 'Search everything' }, KilnAdmin.el('input', { 'type': 'search', 'name': 'q', 'aria-label': 'Search everything' }), KilnAdmin.el('ul', { role: 'listbox' }));
        document.body.append(d);
        return d;
    }
    function initPalette() {
        const dlg = dialog();
        const input = dlg.querySelector('input[name="q"]');
        if (!input || dlg.hasAttribute('data-admin-ready'))
            return;
        dlg.setAttribute('data-admin-ready', '');
        if (!dlg.hasAttribute('aria-label') && !dlg.hasAttribute('aria-labelledby'))
            dlg.setAttribute('aria-label', 'Search everything');
        input.placeholder = input.placeholder || 'Search everything…';
        const list = dlg.querySelector('ul[role="listbox"]') || undefined;
        const status = KilnAdmin.el('p', { 'class': 'palette-status', 'role': 'status' });
        const box = new KilnAdmin.Listbox(input, {
            pick: (url) => { window.location.assign(url); },
            escape: () => dlg.close(),
        }, list);
        if (!list)
            dlg.append(box.list);
        box.list.after(status);
        const hint = 'Type to search every model; ↑ ↓ to choose, Enter to open, Esc to close.';
        status.textContent = hint;
        let opener = null;
        let pending = null;
        const search = KilnAdmin.debounce(async () => {
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
            let found;
            try {
                found = hits(await KilnAdmin.getJSON(KilnAdmin.withQuery(`${KilnAdmin.root()}/search`, { q }), ac.signal));
            }
            catch {
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
        const openPalette = () => {
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
        for (const b of document.querySelectorAll('[data-admin-palette-open]')) {
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
    KilnAdmin.initPalette = initPalette;
})(KilnAdmin || (KilnAdmin = {}));
// share/admin/src/main.ts - starts the admin's enhancements on the page,
// and again on what htmx swaps in (htmx:afterSwap, htmx:load), each
// element only once.
var KilnAdmin;
(function (KilnAdmin) {
    /** Enhances everything under root that the contract's markup hooks mark. */
    function init(root) {
        KilnAdmin.initAutocomplete(root);
        KilnAdmin.initForms(root);
        KilnAdmin.initChangeList(root);
    }
    KilnAdmin.init = init;
    function start() {
        document.documentElement.classList.add('js');
        KilnAdmin.csrfForHtmx();
        init(document);
        KilnAdmin.initPalette();
        KilnAdmin.initListSwaps();
        // afterSwap comes in the swap's own task, before the browser paints
        // the new content (htmx:load only after the settle delay): enhanced
        // there, a swapped list never changes size once shown
        for (const name of ['htmx:afterSwap', 'htmx:load'])
            document.body.addEventListener(name, (ev) => {
                if (ev.target instanceof Element)
                    init(ev.target);
            });
    }
    if (document.readyState === 'loading')
        document.addEventListener('DOMContentLoaded', start);
    else
        start();
})(KilnAdmin || (KilnAdmin = {}));
