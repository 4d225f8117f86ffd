"""The notes app of docs/forms.md, "One row of a list": models (a note
with tags), a list page whose rows each have a pin toggle answered by
kiln_page_render_block (HTMX swaps that row alone; a plain form is
redirected with kiln_redirect), and a create form with a multi-select that
re-renders its choices and the errors of its items after a 422. Used by
tests/blackbox/test_page_actions.py and the browser tests."""

import sqlite3

from harness import TestFailure

NOTE_TOML = """# models/note.toml
[fields]
title  = "string:80"
pinned = { type = "bool", default = false }
tags   = "many:tag"
"""

TAG_TOML = """# models/tag.toml
[fields]
name = "string:30"
"""

NOTES_HTML = """<h1>Notes</h1>
<ul id="notes">
{% for n in notes %}
  {% block row scoped %}
  <li id="note-{{ n.id }}"{% if n.pinned %} class="pinned"{% endif %}>
    <span>{{ n.title }}</span>
    <form method="post" action="/notes/{{ n.id }}/pin"
          hx-post="/notes/{{ n.id }}/pin" hx-target="closest li"
          hx-swap="outerHTML">
      <button>{{ "Unpin" if n.pinned else "Pin" }}</button>
    </form>
  </li>
  {% endblock %}
{% else %}
  <li>No notes yet.</li>
{% endfor %}
</ul>

<form method="post" action="/notes">
  <input name="title" value="{{ form.title }}">
  {% if errors.title %}<p class="error">{{ errors.title }}</p>{% endif %}
  <select name="tags" multiple>
    {% for t in tags %}
    <option value="{{ t.id }}"
      {%- if t.id|string in form_values.tags %} selected{% endif %}>{{ t.name }}</option>
    {% endfor %}
  </select>
  {% if errors.tags %}<p class="error">{{ errors.tags }}</p>{% endif %}
  <button>Add</button>
</form>
{% if errors %}
<ul class="summary">
  {% for field, message in errors.items() %}<li>{{ field }}: {{ message }}</li>{% endfor %}
</ul>
{% endif %}
"""

NOTES_C = r"""/* pages/notes.c: GET /notes (the loader), POST /notes (a new note) */
#include <kiln.h>
#include "models.h"

KILN_LOAD(load_notes)
{
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    NoteList notes;
    TagList tags;
    int rc = note_list(db, NULL, &notes);
    if (rc)
        return note_fail(c, db, rc);
    if ((rc = tag_list(db, NULL, &tags)) != 0)
        return tag_fail(c, db, rc);
    kiln_arena *a = kiln_ctx_arena(c);
    kiln_value_set(ctx, "notes", note_list_value(&notes, a));
    return kiln_value_set(ctx, "tags", tag_list_value(&tags, a));
}

KILN_POST(add_note)
{
    Note n;
    kiln_errors errs;
    kiln_errors_init(&errs, kiln_ctx_arena(c));
    int rc = note_decode(c, KILN_DECODE_CREATE, &n, NULL, &errs);
    if (rc && rc != KILN_EINVAL)
        return 0;                              /* not a form: answered */
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    if (rc == 0)
        rc = note_check_refs(db, &n, NULL, &errs); /* tags that exist */
    if (rc == KILN_EINVAL)
        return kiln_page_invalid(c, &errs);    /* 422: the form again */
    if (rc || (rc = note_insert(db, &n)) != 0)
        return note_fail(c, db, rc);
    return kiln_redirect(c, 303, "/notes");
}
"""

PIN_C = r"""/* pages/notes/[id]/pin.c: POST /notes/{id}/pin, a row's button */
#include <kiln.h>
#include "models.h"

KILN_POST(toggle_pin)
{
    int64_t id;
    if (kiln_param_i64(c, "id", &id) != 0)
        return kiln_problem(c, 404, "No such note.");
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    Note n;
    int rc = note_get(db, id, &n);
    if (rc == 0) {
        n.pinned = !n.pinned;
        rc = note_update(db, &n);
    }
    if (rc)
        return note_fail(c, db, rc);           /* 404 when there is none */
    if (!kiln_header(c, "HX-Request").p)       /* no JavaScript: the list */
        return kiln_redirect(c, 303, "/notes");
    kiln_value row = kiln_value_map(kiln_ctx_arena(c));
    kiln_value_set(row, "n", note_value(&n, kiln_ctx_arena(c)));
    return kiln_page_render_block(c, "notes.html#row", row, 200);
}
"""

# Not in the docs: the two mistakes kiln_page_render_block reports.
MISTAKES_C = r"""/* pages/notes/[id]/oops.c: POST renders a block that is not there,
   PUT a page that is not there. */
#include <kiln.h>

KILN_POST(no_block)
{
    return kiln_page_render_block(c, "notes.html#nope", kiln_value_null(),
                                  200);
}

KILN_PUT(no_page)
{
    return kiln_page_render_block(c, "nowhere.html#row", kiln_value_null(),
                                  200);
}
"""

TAGS = ["home", "work", "ideas"]


def project(p):
    """Writes the app into Project p, makes and applies its migration and
    adds the tags (ids 1, 2, 3: home, work, ideas); returns p."""
    p.write("models/note.toml", NOTE_TOML)
    p.write("models/tag.toml", TAG_TOML)
    p.write("pages/notes.html", NOTES_HTML)
    p.write("pages/notes.c", NOTES_C)
    p.write("pages/notes/[id]/pin.c", PIN_C)
    p.write("pages/notes/[id]/oops.c", MISTAKES_C)
    for args in (("migrate", "--make"), ("migrate",)):
        rc, out, err = p.kiln(*args)
        if rc != 0:
            p.cleanup()
            raise TestFailure("kiln %s: %s %s" % (" ".join(args), out, err))
    db = sqlite3.connect(p.path("app.db"))
    with db:
        db.executemany("INSERT INTO tag (name) VALUES (?)",
                       [(t,) for t in TAGS])
    db.close()
    return p


def add_notes(p, titles):
    """Inserts notes straight into the database (ids from 1)."""
    db = sqlite3.connect(p.path("app.db"))
    with db:
        db.executemany("INSERT INTO note (title, pinned) VALUES (?, 0)",
                       [(t,) for t in titles])
    db.close()
