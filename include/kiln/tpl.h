/*
 * kiln/tpl.h - templates: Jinja-style syntax compiled once into a tree the
 * renderer walks without allocating, HTML autoescaping on by default, and
 * rendering of one named block alone (HTMX partials).
 *
 *   kiln_tpl_set *set = kiln_tpl_set_new(NULL);          // at start-up
 *   kiln_tpl_set_add_dir(set, "pages");
 *   if (kiln_tpl_set_load_all(set, &err) != 0)           // compile all
 *       fprintf(stderr, "%s\n", err.text);  // pages/a.html:3:14: ...
 *
 *   kiln_value ctx = kiln_value_map(arena);               // per request
 *   kiln_value_set(ctx, "title", kiln_value_cstr("Hi <b>"));
 *   kiln_tpl_render(set, "index.html", ctx, arena, &body, &err);
 *   kiln_tpl_render_block(set, "index.html", "rows", ctx, arena, &body,
 *                         &err);                         // HTMX partial
 *
 * The language is Jinja2's, with its precedence and scoping (the exact
 * subset is listed at the top of src/tpl/parse.c): {{ expr }}, {# #},
 * {% if/elif/else %}, {% for x in xs [if c] %}...{% else %} with loop.index,
 * index0, revindex, first, last, length, previtem, nextitem, cycle(),
 * changed(); for k, v in m.items(); {% set %} (also a, b = ... and
 * ns.attr = ... on a namespace()), {% set x %}...{% endset %},
 * {% extends %} / {% block %} / {{ super() }}, {% include %}, {% import %},
 * {% from ... import %}, {% macro %} with defaults and keyword arguments,
 * {% call %} / caller(), {% with %}, {% filter %}, {% autoescape %},
 * {% raw %}, whitespace control ({%- -%} {{- -}} {#- -#}, trim_blocks,
 * lstrip_blocks); a.b, a["b"], a[0], a[1:3], comparisons (chained), and,
 * or, not, in, not in, ~, + - * / // % **, a if c else b, string, number,
 * list, tuple and dict literals; global functions range(), dict(),
 * namespace() and url() (a route's path: kiln_tpl_options.url); methods
 * on strings (upper, lower, strip, split, replace,
 * startswith, endswith, title, capitalize, count, find, join) and maps
 * (items, keys, values, get).
 *
 * Output is byte-identical to Jinja2 3.x with autoescape=True and its other
 * defaults over the supported subset; tests/tpl/diff_jinja.py checks a
 * corpus and lists the intended differences. As in Jinja2, one trailing
 * newline is dropped from every template source (included, imported and
 * extended ones too), so {% for %}{% include "row.html" %}{% endfor %}
 * prints no newline per row; keep_trailing_newline keeps it. Values
 * print as Python's str(): ints as they are, floats shortest-round-trip
 * with ".0" when integral (1e+16, 1e-05, inf, nan), None, True, False,
 * lists and dicts as their repr. Autoescaping escapes & < > " ' as &amp;
 * &lt; &gt; &#34; &#39; (MarkupSafe's bytes); |safe, macro output,
 * super(), captured {% set %} blocks and |tojson are not escaped again.
 *
 * Filters: abs, batch, capitalize, center, count, d/default, date,
 * dictsort, e/escape, filesizeformat, first, float, forceescape, indent,
 * int, items, join, json/tojson (sorted keys, ASCII, and < > & ' written
 * as \u003c \u003e \u0026 \u0027 so the output is safe inside <script>
 * and in attributes, as Jinja2's tojson), last, length, list, lower, map,
 * max, min, reject, rejectattr, replace, reverse, round, safe, select,
 * selectattr, sort, string, striptags, sum, title, trim, truncate, unique,
 * upper, urlencode, wordcount.
 * Tests: defined, undefined, none, boolean, true, false, integer, float,
 * number, string, mapping, iterable, sequence, callable, sameas, escaped,
 * even, odd, divisibleby, eq/equalto, ne, lt/lessthan, le, gt/greaterthan,
 * ge, in, lower, upper.
 *
 * The date filter is Kiln's own (Jinja2 has none):
 *   {{ value|date }}                2024-03-05
 *   {{ value|date("%d %b %Y") }}    05 Mar 2024
 * value is an ISO-8601 string ("2024-03-05", "2024-03-05T14:07:00",
 * "2024-03-05 14:07:00.123Z", "...+02:00") or a number of seconds since the
 * Unix epoch (UTC). The format is strftime's in the C locale, default
 * "%Y-%m-%d". An ISO string keeps its wall-clock time; its offset, when
 * given, is what %z prints (otherwise +0000); %Z prints "UTC" for "Z" and
 * numbers. Anything else is a render error.
 *
 * Errors name the template, line and column, with the source line and a
 * caret under the column:
 *   pages/a.html:3:8: unknown filter 'uper'
 *       {{ x|uper }}
 *            ^
 * Compile errors come from kiln_tpl_set_add/_load/_load_all; render errors
 * (strict undefined, bad operand types, division by zero, a missing
 * template) from kiln_tpl_render, in the same format.
 *
 * Memory: a set owns everything it compiles (freed by kiln_tpl_set_free). A
 * render allocates only from the arena it is given (temporaries, captured
 * macro output, loop state) and appends to the kiln_buf, which grows
 * geometrically; nothing it returns needs freeing, and no malloc happens
 * per render once the arena and the buffer have warmed up. A compiled set
 * is read-only while rendering, so one set serves every worker thread;
 * adding or loading templates must not overlap renders.
 */
#ifndef KILN_TPL_H
#define KILN_TPL_H

#include "core.h"
#include "json.h"

#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- values ------------------------------------------------------------ */

/** The type of a kiln_value. */
typedef enum kiln_value_type {
    KILN_VALUE_NULL = 0, /**< None (also a zero-filled kiln_value) */
    KILN_VALUE_BOOL,
    KILN_VALUE_INT,    /**< int64_t */
    KILN_VALUE_FLOAT,  /**< double */
    KILN_VALUE_STRING, /**< UTF-8 bytes; may be marked safe (no escaping) */
    KILN_VALUE_LIST,
    KILN_VALUE_MAP,   /**< string keys, kept in insertion order */
    KILN_VALUE_OBJECT /**< a map whose lookups call a kiln_value_class */
} kiln_value_type;

typedef struct kiln_value kiln_value;
typedef struct kiln_value_class kiln_value_class;
struct tpl_list; /* private: list body (src/tpl) */
struct tpl_map;  /* private: map body (src/tpl) */

/**
 * A dynamic value: a small handle (24 bytes) passed by value. Scalars live
 * in the handle; a string is a view (the bytes are not copied unless a
 * _copy function says so and must outlive every render that sees them);
 * lists and maps point to a body in an arena, so copies of the handle share
 * the body and a push or set through one copy is seen by all.
 * A zero-filled kiln_value is null.
 */
struct kiln_value {
    uint8_t type;  /**< read-only: a kiln_value_type (renderer-private
                        types also exist inside templates) */
    uint8_t flags; /**< private */
    uint16_t pad_; /**< private */
    uint32_t aux;  /**< private */
    union {
        bool b;                /**< read-only: KILN_VALUE_BOOL */
        int64_t i;             /**< read-only: KILN_VALUE_INT */
        double f;              /**< read-only: KILN_VALUE_FLOAT */
        kiln_str s;            /**< read-only: KILN_VALUE_STRING */
        struct tpl_list *list; /**< private: KILN_VALUE_LIST */
        struct tpl_map *map;   /**< private: KILN_VALUE_MAP */
        struct {
            const void *a, *b;
        } pair; /**< private: objects and renderer-private values */
    } u;
};

/**
 * The data-layer hook: a KILN_VALUE_OBJECT behaves like a read-only map whose
 * lookups call get(), so a database row (or any struct) can be exposed to a
 * template without copying each field into a map:
 *
 *   static int row_get(const void *self, kiln_str key, kiln_arena *a,
 *                      kiln_value *out)
 *   {
 *       const struct post *p = self;
 *       if (kiln_str_eq(key, KILN_STR("title"))) {
 *           *out = kiln_value_str(p->title);
 *           return 1;
 *       }
 *       return 0;
 *   }
 *   static const kiln_value_class post_class = {"post", row_get, NULL, NULL};
 *   ... kiln_value_object(&post_class, post) ...
 *
 * get    required. Looks key up in self. Returns 1 and sets *out when found,
 *        0 when there is no such key (the template sees undefined), or a
 *        negative KILN_E* code to stop the render. a is the render's arena
 *        for anything the value needs (strings made on the fly).
 * len    optional. The number of keys, for length, iteration, |items, json
 *        and printing; without it the object iterates as empty.
 * entry  optional (required with len). Sets key i (0 <= i < len) and its
 *        value. Returns 0 or a negative KILN_E* code.
 * The class and self must outlive the renders that see the value; the
 * renderer calls them from the rendering thread only.
 */
struct kiln_value_class {
    const char *name; /**< type name for messages, e.g. "post" */
    int (*get)(const void *self, kiln_str key, kiln_arena *a, kiln_value *out);
    size_t (*len)(const void *self);
    int (*entry)(const void *self, size_t i, kiln_arena *a, kiln_str *key,
                 kiln_value *val);
};

/*
 * Scalar constructors are inline: building a context is part of every
 * request, and these are a few stores each.
 */

/** None. */
static inline kiln_value kiln_value_null(void)
{
    kiln_value v;
    memset(&v, 0, sizeof(v));
    return v;
}

/** True or False. */
static inline kiln_value kiln_value_bool(bool b)
{
    kiln_value v;
    memset(&v, 0, sizeof(v));
    v.type = KILN_VALUE_BOOL;
    v.u.b = b;
    return v;
}

/** An integer. */
static inline kiln_value kiln_value_int(int64_t i)
{
    kiln_value v;
    memset(&v, 0, sizeof(v));
    v.type = KILN_VALUE_INT;
    v.u.i = i;
    return v;
}

/** A float (NaN and infinities print as nan, inf, -inf). */
static inline kiln_value kiln_value_float(double f)
{
    kiln_value v;
    memset(&v, 0, sizeof(v));
    v.type = KILN_VALUE_FLOAT;
    v.u.f = f;
    return v;
}

/** A string viewing s (not copied: s must outlive the renders). */
static inline kiln_value kiln_value_str(kiln_str s)
{
    kiln_value v;
    memset(&v, 0, sizeof(v));
    v.type = KILN_VALUE_STRING;
    v.u.s.p = s.n ? s.p : "";
    v.u.s.n = s.n;
    return v;
}

/** A string viewing the NUL-terminated s (NULL gives ""); not copied. */
static inline kiln_value kiln_value_cstr(const char *s)
{
    kiln_str v = {s ? s : "", s ? strlen(s) : 0};
    return kiln_value_str(v);
}

/** A string holding a copy of s in a; a null value when a is exhausted. */
kiln_value kiln_value_str_copy(kiln_arena *a, kiln_str s);
/**
 * A string of trusted HTML: printed as it is, never escaped (the |safe
 * filter's result). Not copied.
 */
static inline kiln_value kiln_value_safe(kiln_str s)
{
    kiln_value v = kiln_value_str(s);
    v.flags = 1; /* the renderer's "safe" flag */
    return v;
}
/**
 * An empty list whose body lives in a. Returns a null value when a is
 * exhausted (kiln_value_push on it then fails with KILN_EINVAL).
 */
kiln_value kiln_value_list(kiln_arena *a);
/** An empty ordered map whose body lives in a; null when a is exhausted. */
kiln_value kiln_value_map(kiln_arena *a);
/** An object: a map served by cls (see kiln_value_class). */
kiln_value kiln_value_object(const kiln_value_class *cls, const void *self);

/**
 * Appends item to list. Returns 0, KILN_EINVAL when list is not a list, or
 * KILN_ENOMEM (the list is unchanged).
 */
int kiln_value_push(kiln_value list, kiln_value item);
/**
 * Sets key to v in map: replaces the value in place when key is present,
 * appends otherwise. The key's bytes are not copied. Returns 0, KILN_EINVAL
 * when map is not a map, or KILN_ENOMEM (the map is unchanged).
 */
int kiln_value_set_str(kiln_value map, kiln_str key, kiln_value v);
/** kiln_value_set_str with a NUL-terminated key (not copied). */
static inline int kiln_value_set(kiln_value map, const char *key, kiln_value v)
{
    if (!key)
        return KILN_EINVAL;
    kiln_str k = {key, strlen(key)};
    return kiln_value_set_str(map, k, v);
}

/** The number of items of a list, keys of a map or object, else 0. */
size_t kiln_value_len(kiln_value v);
/** Item i of a list (0-based), or a null value when out of range. */
kiln_value kiln_value_at(kiln_value list, size_t i);
/**
 * Entry i (0-based, insertion order) of a map, or of an object through
 * its class's entry() with arena a: sets *key (a view into the map or what
 * the class gives) and *val. Returns 0, KILN_ENOTFOUND when i is past the
 * end, KILN_EINVAL when v is neither (or an object without entry), or the
 * class's error.
 */
int kiln_value_entry(kiln_value v, size_t i, kiln_arena *a, kiln_str *key,
                     kiln_value *val);
/**
 * Looks key up in a map, or in an object by calling its class's get with
 * arena a (which may be NULL; the class then gets NULL). Returns true and
 * sets *out when found.
 */
bool kiln_value_get(kiln_value map, kiln_str key, kiln_arena *a,
                    kiln_value *out);

/**
 * Converts a parsed JSON tree to a value in a: objects become maps (a
 * duplicate key keeps its first position and its last value, as Python's
 * json does), arrays lists, numbers ints when written without fraction or
 * exponent and within int64_t, else floats. Strings are viewed, not copied:
 * the JSON tree's arena must outlive the value. Returns 0, KILN_EINVAL (a
 * NULL argument), KILN_ELIMIT (nested deeper than KILN_JSON_MAX_DEPTH) or
 * KILN_ENOMEM.
 */
int kiln_value_from_json(kiln_arena *a, const kiln_json *j, kiln_value *out);

/**
 * Appends p[0..n) to b with & < > " ' escaped as the templates escape them
 * (&amp; &lt; &gt; &#34; &#39;), for HTML text and quoted attributes
 * written from C. Returns 0 or KILN_ENOMEM.
 */
int kiln_html_escape(kiln_buf *b, const char *p, size_t n);

/** A database result (kiln/db.h). */
typedef struct kiln_rows kiln_rows;

/**
 * Reads every remaining row of r into a list of maps keyed by column name
 * ({% for p in posts %}{{ p.title }}{% endfor %}), values typed by
 * kiln_row_type: NULL null, integers int, floats float, booleans bool,
 * timestamps ISO-8601 UTC strings ("2024-03-05T14:07:00Z", which |date
 * reads), text and blobs strings. Everything is copied into a. Returns 0,
 * the error that stopped reading r, or KILN_ENOMEM.
 */
int kiln_value_from_rows(kiln_arena *a, kiln_rows *r, kiln_value *out);

/* ---- template sets ----------------------------------------------------- */

/** Undefined-variable handling of a set. */
typedef enum kiln_tpl_undefined {
    /** An undefined name or attribute prints as "", is false, iterates as
     * empty, and its attributes are undefined too. */
    KILN_TPL_LENIENT = 0,
    /** Using an undefined name or attribute is a render error naming it and
     * its position; only `is defined`, `is undefined` and |default accept it.
     */
    KILN_TPL_STRICT = 1
} kiln_tpl_undefined;

/** Options of a set; zero-filled gives every default. */
typedef struct kiln_tpl_options {
    kiln_tpl_undefined undefined; /**< public: default KILN_TPL_LENIENT */
    bool no_autoescape; /**< public: print strings unescaped (text/email) */
    bool trim_blocks;   /**< public: drop the first newline after a tag */
    bool lstrip_blocks; /**< public: strip blanks before a tag on its line */
    bool keep_trailing_newline; /**< public: keep the last "\n" of every
                                     source (Jinja2's default drops it) */
    size_t max_output;          /**< public: render error past this many bytes
                                     (0: unlimited) */
    uint64_t max_steps;         /**< public: render error past this many loop
                                     iterations + calls (0: unlimited); for
                                     untrusted templates */
    size_t max_stack;           /**< public: C stack a render may use, bytes
                                     (0: 128 KiB, about 50 nested macro calls);
                                     deeper nesting is a render error; coroutine
                                     stacks are 256 KiB by default */
    /**
     * public: what the global function url('route.name', param=value...)
     * calls (NULL: url() is a render error). Builds the path of route name
     * with the n parameters keys[i] = vals[i] (integers already written in
     * decimal) into *out, in arena a. Returns 0, or KILN_EINVAL /
     * KILN_ENOTFOUND / KILN_ENOMEM with a message in err (the render
     * error then reads "url('name'): <err>"). url_ud is passed as ud.
     * Kiln's pages set it to the app's route names (kiln/url.h).
     */
    int (*url)(void *ud, kiln_str name, const kiln_str *keys,
               const kiln_str *vals, size_t n, kiln_arena *a, kiln_str *out,
               char *err, size_t errlen);
    void *url_ud; /**< public: see url */
    /**
     * public: what the global functions csrf_token() and csrf_input()
     * (the hidden form field) show: the CSRF token of the request being
     * served (kiln_csrf_token), made in arena a; p == NULL makes them a
     * render error. Kiln's pages set it (app/pages.c).
     */
    kiln_str (*csrf_token)(kiln_arena *a);
    /**
     * public: what the global function vite_assets('src/main.tsx') shows
     * (NULL: vite_assets() is a render error): the HTML tags that load the
     * front-end entry, made in arena a into *out (markup: not escaped
     * again). Returns 0, or KILN_ENOTFOUND / KILN_EINVAL / KILN_ENOMEM with
     * a message in err. frontend_ud is passed as ud. Kiln's pages set it
     * (src/frontend/assets.c: Vite's manifest, or its dev server).
     */
    int (*assets)(void *ud, kiln_str entry, kiln_arena *a, kiln_str *out,
                  char *err, size_t errlen);
    /**
     * public: what the global function island('Counter', props) shows
     * (NULL: island() is a render error): the markup placing component
     * name with props_json (the props as |tojson writes them), made in
     * arena a into *out (not escaped again). Returns 0, or KILN_EINVAL /
     * KILN_ENOMEM with a message in err. frontend_ud is passed as ud.
     * Kiln's pages set it (src/frontend/island.c).
     */
    int (*island)(void *ud, kiln_str name, kiln_str props_json, kiln_arena *a,
                  kiln_str *out, char *err, size_t errlen);
    void *frontend_ud; /**< public: see assets and island */
} kiln_tpl_options;

/**
 * Where and why compiling or rendering failed. Filled by every function
 * below that takes one; never allocates.
 */
typedef struct kiln_tpl_error {
    int code;       /**< the KILN_E* code returned */
    int line, col;  /**< 1-based position (col counts characters); 0 when
                         the error has no position */
    char name[128]; /**< template name ("" when none) */
    char msg[256];  /**< the message alone, e.g. "unknown filter 'uper'" */
    /** The full report: "NAME:LINE:COL: MSG\n  SOURCE LINE\n  ^" (caret
     * under the column; long lines are cut around it). */
    char text[1024];
} kiln_tpl_error;

/** A set of compiled templates. Opaque; free with kiln_tpl_set_free. */
typedef struct kiln_tpl_set kiln_tpl_set;

/**
 * Creates an empty set with options opt (NULL: defaults; copied). Returns
 * NULL when allocation fails.
 */
kiln_tpl_set *kiln_tpl_set_new(const kiln_tpl_options *opt);
/** Frees the set and everything compiled in it. NULL is a no-op. */
void kiln_tpl_set_free(kiln_tpl_set *set);

/**
 * Appends dir to the search path (the path is copied). Template names are
 * '/'-separated paths relative to a directory of the path; the first
 * directory that holds the file wins. Names with "..", "." or empty
 * segments, or a leading '/', are refused. Returns 0, KILN_EINVAL or
 * KILN_ENOMEM.
 */
int kiln_tpl_set_add_dir(kiln_tpl_set *set, const char *dir);

/**
 * Compiles src[0..n) as template name (both copied) and adds it to the set,
 * replacing a template of that name. Templates it extends, includes or
 * imports by a literal name are loaded from the search path when not in the
 * set yet (compiled on the spot); a name found nowhere is looked up again
 * at render time, so in-memory templates may be added in any order.
 * "\r\n" and "\r" in src become "\n" (as in Jinja2), and one final
 * newline is dropped unless the set keeps it (keep_trailing_newline).
 * Returns 0,
 * KILN_EPARSE (err filled: name, line, column), KILN_ELIMIT (a template of
 * 4 GiB or more, dependencies nested deeper than 32) or KILN_ENOMEM; an
 * error in a dependency loaded from disk is reported as that file's.
 */
int kiln_tpl_set_add(kiln_tpl_set *set, const char *name, const char *src,
                     size_t n, kiln_tpl_error *err);

/**
 * Loads template name from the search path and compiles it (with what it
 * extends, includes or imports by a literal name), unless the set has it
 * already. Unlike kiln_tpl_set_add, a literal name found nowhere is an
 * error at its position ("template 'x' not found"), so a typo fails at
 * start-up; "include ... ignore missing" and names computed at render time
 * are not checked. Returns 0, KILN_ENOTFOUND, KILN_EINVAL (a name with
 * "..", "." or empty segments, or a leading '/'), KILN_EIO, KILN_EPARSE
 * (err names the file, line and column) or KILN_ENOMEM.
 */
int kiln_tpl_set_load(kiln_tpl_set *set, const char *name, kiln_tpl_error *err);

/**
 * Loads every file under every directory of the search path whose name
 * ends in .html, .htm, .xml, .svg, .txt, .j2 or .jinja (skipping names that
 * start with '.'). Stops at the first error. Returns as kiln_tpl_set_load.
 */
int kiln_tpl_set_load_all(kiln_tpl_set *set, kiln_tpl_error *err);

/** True when the set holds a compiled template of that name. */
bool kiln_tpl_set_has(const kiln_tpl_set *set, const char *name);

/**
 * Start-up check of the vite_assets('entry') calls of template tname
 * (compiled in set) whose entry is a string literal: check(ud, entry, msg,
 * msglen) returns 0 when the entry exists, else non-zero with a message in
 * msg. Returns 0 when every call passes, KILN_ENOTFOUND when the set has no
 * tname, or KILN_EINVAL with *te naming the first failing call's template,
 * line and column ("NAME:LINE:COL: vite_assets('x'): MSG").
 */
int kiln_tpl_check_assets(const kiln_tpl_set *set, const char *tname,
                          int (*check)(void *ud, kiln_str entry, char *msg,
                                       size_t msglen),
                          void *ud, kiln_tpl_error *te);

/** A url('name', ...) call of a template whose name is a string literal,
    as kiln_tpl_check_urls shows it to its check. */
typedef struct kiln_tpl_url_call {
    kiln_str name;      /**< the route name written */
    const kiln_str *kw; /**< the keyword parameters' names */
    size_t nkw;
    size_t npos; /**< positional arguments after the name (url() refuses
                      them when it runs) */
} kiln_tpl_url_call;

/**
 * Build-time check of the url() calls of template tname (compiled in the
 * set; what it includes or extends is checked under its own name): calls
 * check for every call whose route name is a string literal, in source
 * order. check returns 0 to accept, or writes a message ("no route named
 * 'x'") into msg (size msglen) and returns nonzero; report then gets the
 * error at the name's position (te->text is the usual
 * "NAME:LINE:COL: msg" with source line and caret). Returns the number
 * of calls refused, or KILN_ENOTFOUND when the set has no such template.
 */
int kiln_tpl_check_urls(const kiln_tpl_set *set, const char *tname,
                        int (*check)(void *ud, const kiln_tpl_url_call *call,
                                     char *msg, size_t msglen),
                        void (*report)(void *ud, kiln_tpl_error *te), void *ud);

/* ---- rendering --------------------------------------------------------- */

/**
 * Renders template name with ctx (a map or object, or null for none)
 * as the globals, appending the output to out. Temporaries come from a (the
 * request's arena; NULL: a private arena freed before returning); they
 * stay in a until it is reset. Values in ctx are read, never changed
 * (except a namespace() made by the template itself).
 * Returns 0; KILN_ENOTFOUND when the set has no such template; KILN_EINVAL
 * for a render error (undefined name in strict mode, bad operand types,
 * division by zero, ...); KILN_ELIMIT past max_output, max_steps or
 * max_stack; KILN_ENOMEM. err (may be NULL) names the position. On failure
 * out holds a partial render after its original bytes: the caller discards
 * it (kiln_buf has no truncate, so record out->n before the call).
 */
int kiln_tpl_render(const kiln_tpl_set *set, const char *name, kiln_value ctx,
                    kiln_arena *a, kiln_buf *out, kiln_tpl_error *err);

/**
 * Renders only block `block` of template name, as it appears in a full
 * render of name: the most derived definition along the {% extends %}
 * chain, with super() available. The templates' top-level {% set %},
 * {% import %} and {% from %} statements run first (child first, as in a
 * full render); other top-level output is skipped. For HTMX partials:
 * the page and the fragment come from one template.
 * Returns as kiln_tpl_render; KILN_ENOTFOUND also when no template of the
 * chain defines the block.
 */
int kiln_tpl_render_block(const kiln_tpl_set *set, const char *name,
                          const char *block, kiln_value ctx, kiln_arena *a,
                          kiln_buf *out, kiln_tpl_error *err);

#ifdef __cplusplus
}
#endif
#endif
