"""A small notes app written as docs/forms.md teaches: a page with a form
whose action re-renders it with 422 and the errors (kiln_page_invalid),
an edit page with PATCH and DELETE actions, SQLite through a migration.
Used by tests/blackbox/test_page_actions.py and the browser tests."""

from harness import TestFailure

MIGRATION = """CREATE TABLE note (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL
);
"""

NOTES_HTML = """<h1>Notes</h1>
<p id="intro">Write things down.</p>
{% block notes %}
<section id="notes">
  <ul>
  {% for n in notes %}
    <li>{{ n.title }}</li>
  {% else %}
    <li class="empty">No notes yet.</li>
  {% endfor %}
  </ul>
  {% if errors %}
  <ul class="summary">
    {% for field, message in errors.items() %}
    <li>{{ field }}: {{ message }}</li>
    {% endfor %}
  </ul>
  {% endif %}
  <form method="post" action="/notes" hx-post="/notes" hx-target="#notes"
        hx-swap="outerHTML">
    <label for="title">Title</label>
    <input id="title" name="title" value="{{ form.title }}"
      {%- if errors.title %} aria-invalid="true" aria-describedby="title-error"{% endif %}>
    {% if errors.title %}<p class="error" id="title-error">{{ errors.title }}</p>{% endif %}
    <label for="email">Your email (optional)</label>
    <input id="email" name="author.email" value="{{ form['author.email'] }}">
    {% if errors['author.email'] %}<p class="error">{{ errors['author.email'] }}</p>{% endif %}
    <button>Add</button>
  </form>
</section>
{% endblock %}
"""

NOTES_C = r"""/* pages/notes.c - the list of notes and the form that adds one. */
#include <kiln.h>

#include <string.h>

KILN_LOAD(load_notes)
{
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0; /* 503 answered */
    kiln_rows *r = kiln_db_query(db, "SELECT id, title FROM note ORDER BY id");
    if (!r)
        return kiln_db_fail(c, db);
    kiln_value notes;
    int rc = kiln_value_from_rows(kiln_ctx_arena(c), r, &notes);
    return rc ? rc : kiln_value_set(ctx, "notes", notes);
}

KILN_POST(add_note)
{
    kiln_str title = kiln_form(c, "title");
    kiln_str email = kiln_form(c, "author.email");
    kiln_errors errs;
    kiln_errors_init(&errs, kiln_ctx_arena(c));
    if (!title.n)
        kiln_errors_add(&errs, "/title", "required", "Write a title.");
    else if (title.n > 80)
        kiln_errors_add(&errs, "/title", "max_length",
                        "At most 80 characters, not %zu.", title.n);
    if (email.n && !memchr(email.p, '@', email.n))
        kiln_errors_add(&errs, "/author/email", "format",
                        "Not an email address.");
    if (kiln_errors_any(&errs))
        return kiln_page_invalid(c, &errs); /* 422: the page, with errors */
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    if (kiln_db_exec(db, "INSERT INTO note (title) VALUES ($1)",
                     KILN_STRV(title)) < 0)
        return kiln_db_fail(c, db);
    return kiln_redirect(c, 303, "/notes");
}
"""

NOTE_HTML = """<h1>Note {{ id }}</h1>
{% if notice is defined %}<p class="notice">{{ notice }}</p>{% endif %}
<form method="post">
  <input name="title" value="{{ form.title }}">
  {% if errors.title %}<p class="error">{{ errors.title }}</p>{% endif %}
</form>
"""

NOTE_C = r"""/* pages/notes/[id].c - one note: rename (PATCH), delete (DELETE). */
#include <kiln.h>

KILN_LOAD(load_note)
{
    int64_t id;
    if (kiln_param_i64(c, "id", &id) != 0)
        return kiln_problem(c, 404, "No such note.");
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    kiln_rows *r = kiln_db_query(db, "SELECT title FROM note WHERE id = $1",
                                 KILN_INT(id));
    if (!r)
        return kiln_db_fail(c, db);
    if (!kiln_rows_next(r))
        return kiln_problem(c, 404, "No such note.");
    kiln_value form = kiln_value_map(kiln_ctx_arena(c)); /* current values */
    kiln_value_set(form, "title", kiln_value_str(kiln_row_text(r, 0)));
    kiln_value_set(ctx, "form", form);
    return kiln_value_set(ctx, "id", kiln_value_int(id));
}

KILN_PATCH(rename_note)
{
    int64_t id;
    if (kiln_param_i64(c, "id", &id) != 0)
        return kiln_problem(c, 404, "No such note.");
    kiln_str title = kiln_form(c, "title");
    kiln_errors errs;
    kiln_errors_init(&errs, kiln_ctx_arena(c));
    if (!title.n)
        kiln_errors_add(&errs, "/title", "required", "Write a title.");
    if (kiln_errors_any(&errs))
        return kiln_page_invalid(c, &errs);
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    if (kiln_db_exec(db, "UPDATE note SET title = $1 WHERE id = $2",
                     KILN_STRV(title), KILN_INT(id)) < 0)
        return kiln_db_fail(c, db);
    char to[64];
    snprintf(to, sizeof to, "/notes/%lld", (long long)id);
    return kiln_redirect(c, 303, to);
}

KILN_DELETE(delete_note)
{
    kiln_value extra = kiln_value_map(kiln_ctx_arena(c));
    kiln_value_set(extra, "notice",
                   kiln_value_cstr("Delete the last note? Not here."));
    return kiln_page_render(c, extra, 409);
}
"""

ORPHAN_C = r"""/* pages/orphan.c - an action with no page beside it. */
#include <kiln.h>

KILN_POST(orphan)
{
    kiln_errors errs;
    kiln_errors_init(&errs, kiln_ctx_arena(c));
    kiln_errors_add(&errs, "/x", "invalid", "No.");
    return kiln_page_invalid(c, &errs);
}
"""


def project(p):
    """Writes the notes app into Project p and migrates its database;
    returns p."""
    p.write("migrations/0001_notes.sql", MIGRATION)
    p.write("pages/notes.html", NOTES_HTML)
    p.write("pages/notes.c", NOTES_C)
    p.write("pages/notes/[id].html", NOTE_HTML)
    p.write("pages/notes/[id].c", NOTE_C)
    p.write("pages/orphan.c", ORPHAN_C)
    rc, out, err = p.kiln("migrate")
    if rc != 0:
        p.cleanup()
        raise TestFailure("kiln migrate: %s %s" % (out, err))
    return p
