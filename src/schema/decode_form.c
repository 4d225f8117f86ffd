/*
 * schema/decode_form.c - the form decoder (kiln_decode_form): the fields
 * of an urlencoded or multipart body, as kiln_form_fields gives them, into
 * a model's struct with the validation of the JSON decoder.
 *
 * Names reach nested values the way HTML forms and most frameworks write
 * them: "author.email" is /author/email, "items[3].qty" is /items/3/qty, a
 * repeated "tags" (or "tags[]") fills a many or list field in order. Each
 * name is parsed once into segments; then each object level sorts its
 * fields' references by field (a stable counting sort, so the order sent
 * is kept within a field) and hands each field its run, so the work is
 * linear in the number of fields sent at each level.
 *
 * Values are text, coerced by the field's type: integers and ids in
 * decimal, floats in JSON's number syntax, bools from on/true/1/yes and
 * off/false/0/no (any case), json fields parsed as JSON; surrounding ASCII
 * whitespace is ignored for every type but the string types, which are
 * kept exactly as sent. An empty value is NULL for an optional field, false
 * for a bool, "blank" for a string and "required" for the rest. A name
 * sent twice for a field holding one value keeps the last (the hidden
 * input + checkbox idiom). In CREATE and REPLACE, an absent bool is false
 * and an absent many or scalar list is empty: that is what an unchecked
 * checkbox and an empty multi-select send (nothing).
 */
#include "schema/schema_impl.h"

#include "json/utf8.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* One segment of a name: a key, or an index ("[3]"). */
typedef struct form_seg {
    const char *key; /* NULL for an index */
    size_t n;        /* key length, or the index */
} form_seg;

/* A form field and where its name has been read up to. */
typedef struct form_ref {
    const kiln_form_field *f;
    const form_seg *segs;
    uint32_t nsegs, pos; /* pos: the next segment to resolve */
    size_t key;          /* sort key of the current level */
} form_ref;

/* One form decode. */
typedef struct fdec {
    schema_dec *d;
    size_t nrefs;  /* all the fields sent */
    form_ref *tmp; /* nrefs refs of sort scratch (malloc) */
    size_t *counts;
    size_t ncounts; /* counts: sort scratch (malloc) */
} fdec;

#define FORM_UNKNOWN SIZE_MAX

/* ---- names ------------------------------------------------------------ */

/*
 * Parses name into segments in the arena. A trailing "[]" is dropped (a
 * repeated name). Returns the number of segments, 0 for a name that is not
 * key(.key|[digits])*, or -1 when out of memory.
 */
static long form_parse_name(kiln_arena *a, kiln_str name, const form_seg **out)
{
    const char *p = name.p, *end = name.p + name.n;
    if (name.n >= 2 && end[-2] == '[' && end[-1] == ']')
        end -= 2;
    size_t max = 1;
    for (const char *q = p; q < end; q++)
        max += *q == '.' || *q == '[';
    form_seg *segs = kiln_arena_alloc(a, max * sizeof *segs);
    if (!segs)
        return -1;
    size_t n = 0;
    bool need_key = true;
    while (p < end || need_key) {
        if (need_key) {
            const char *k = p;
            while (p < end && *p != '.' && *p != '[' && *p != ']')
                p++;
            if (p == k)
                return 0;
            segs[n++] = (form_seg){k, (size_t)(p - k)};
            need_key = false;
        } else if (*p == '.') {
            p++;
            need_key = true;
        } else if (*p == '[') {
            const char *dg = ++p;
            size_t v = 0;
            while (p < end && *p >= '0' && *p <= '9' && p - dg < 9)
                v = v * 10 + (size_t)(*p++ - '0');
            if (p == dg || p == end || *p != ']' || (*dg == '0' && p - dg > 1))
                return 0;
            p++;
            segs[n++] = (form_seg){NULL, v};
        } else {
            return 0;
        }
    }
    assert(n <= max);
    *out = segs;
    return (long)n;
}

/* The pointer of a ref's name up to (not including) segment upto, below
   the object at path: adds segments to a chain in chain[]. */
static const schema_path *form_path(const form_ref *r, uint32_t from,
                                    uint32_t upto, const schema_path *path,
                                    schema_path *chain)
{
    for (uint32_t i = from; i < upto; i++) {
        chain[i - from] = (schema_path){path, r->segs[i].key, r->segs[i].n};
        path = &chain[i - from];
    }
    return path;
}

/* Adds "unknown_field" for r (unless the model allows unknown fields). */
static void form_unknown(fdec *fd, const form_ref *r, const schema_path *path,
                         bool allow)
{
    if (allow)
        return;
    schema_path chain[64];
    uint32_t upto = r->nsegs - r->pos > 64 ? r->pos + 64 : r->nsegs;
    schema_error(&fd->d->sink, form_path(r, r->pos, upto, path, chain),
                 "unknown_field", "unknown field");
}

/* ---- sorting ---------------------------------------------------------- */

/* Sorts refs[0..n) by key (keys < nkeys, or FORM_UNKNOWN last), keeping
   the order sent among equal keys. */
static int form_sort(fdec *fd, form_ref *refs, size_t n, size_t nkeys)
{
    if (nkeys + 2 > fd->ncounts) {
        size_t *c = realloc(fd->counts, (nkeys + 2) * sizeof *c);
        if (!c)
            return KILN_ENOMEM;
        fd->counts = c;
        fd->ncounts = nkeys + 2;
    }
    size_t *c = fd->counts;
    memset(c, 0, (nkeys + 2) * sizeof *c);
    for (size_t i = 0; i < n; i++)
        c[(refs[i].key == FORM_UNKNOWN ? nkeys : refs[i].key) + 1]++;
    for (size_t k = 1; k < nkeys + 2; k++)
        c[k] += c[k - 1];
    for (size_t i = 0; i < n; i++)
        fd->tmp[c[refs[i].key == FORM_UNKNOWN ? nkeys : refs[i].key]++] =
            refs[i];
    memcpy(refs, fd->tmp, n * sizeof *refs);
    return 0;
}

/* ---- values ----------------------------------------------------------- */

/* s without surrounding ASCII whitespace. */
static kiln_str form_trim(kiln_str s)
{
    while (s.n && (s.p[0] == ' ' || s.p[0] == '\t' || s.p[0] == '\n' ||
                   s.p[0] == '\r'))
        s.p++, s.n--;
    while (s.n && (s.p[s.n - 1] == ' ' || s.p[s.n - 1] == '\t' ||
                   s.p[s.n - 1] == '\n' || s.p[s.n - 1] == '\r'))
        s.n--;
    return s;
}

/* True when s is a number in JSON's syntax. */
static bool form_json_number(kiln_str s)
{
    size_t i = 0;
    if (i < s.n && s.p[i] == '-')
        i++;
    size_t d = i;
    while (i < s.n && s.p[i] >= '0' && s.p[i] <= '9')
        i++;
    if (i == d || (s.p[d] == '0' && i - d > 1))
        return false;
    if (i < s.n && s.p[i] == '.') {
        size_t f = ++i;
        while (i < s.n && s.p[i] >= '0' && s.p[i] <= '9')
            i++;
        if (i == f)
            return false;
    }
    if (i < s.n && (s.p[i] == 'e' || s.p[i] == 'E')) {
        i++;
        if (i < s.n && (s.p[i] == '+' || s.p[i] == '-'))
            i++;
        size_t e = i;
        while (i < s.n && s.p[i] >= '0' && s.p[i] <= '9')
            i++;
        if (i == e)
            return false;
    }
    return i == s.n;
}

/* True when s is well-formed UTF-8. */
static bool form_utf8(kiln_str s)
{
    for (size_t i = 0; i < s.n;) {
        size_t bad,
            len = json_utf8_len((const unsigned char *)s.p + i, s.n - i, &bad);
        if (!len)
            return false;
        i += len;
    }
    return true;
}

/* True when ci equals the lowercase word w ignoring ASCII case. */
static bool form_word(kiln_str s, const char *w)
{
    return kiln_str_ieq_c(s, w);
}

/*
 * Sets field f (one value: not many, list or object) of obj from the form
 * field r. Returns 0, 1 (error added) or a negative KILN_E* code.
 */
static int form_scalar(fdec *fd, const kiln_field *f, void *obj,
                       const kiln_form_field *r, const schema_path *path)
{
    schema_sink *k = &fd->d->sink;
    void *dst = (char *)obj + f->offset;
    bool opt = f->flags & KILN_FF_OPTIONAL;
    int rc;
    if (f->type == KILN_FT_FILE) {
        const kiln_upload *u = r->file;
        if (!u && r->value.n)
            return schema_error(k, path, "not_a_file",
                                "expected a file, got a text value");
        if (!u || (u->filename.n == 0 && u->size == 0)) { /* none chosen */
            if (opt) {
                schema_set_has(f, obj, false);
                return 0;
            }
            return schema_error(k, path, "file_required", "a file is required");
        }
        *(const kiln_upload **)dst = u;
        schema_set_has(f, obj, true);
        return 0;
    }
    if (r->file)
        return schema_error(k, path, "type", "expected %s, got a file",
                            "a text value");
    kiln_str v = r->value, t = form_trim(v);
    bool text = f->type == KILN_FT_STRING || f->type == KILN_FT_TEXT ||
                f->type == KILN_FT_EMAIL || f->type == KILN_FT_URL;
    if (!form_utf8(v))
        return schema_error(k, path, "type", "not valid UTF-8 text");
    if ((text ? v.n : t.n) == 0) {
        if (opt) {
            schema_set_has(f, obj, false);
            return 0;
        }
        if (f->type == KILN_FT_BOOL) {
            *(bool *)dst = false;
            return 0;
        }
        if (!text)
            return schema_error(k, path, "required", "this field is required");
    }
    switch (f->type) {
    case KILN_FT_INT:
    case KILN_FT_REF: {
        int64_t i;
        if (kiln_str_to_i64(t, &i)) {
            bool digits = t.n > 0;
            for (size_t j = t.p[0] == '-'; j < t.n; j++)
                digits &= t.p[j] >= '0' && t.p[j] <= '9';
            if (digits && t.n > (size_t)(t.p[0] == '-'))
                return schema_error(k, path, t.p[0] == '-' ? "min" : "max",
                                    "out of the range of a 64-bit integer");
            return schema_error(k, path, "type", "expected %s",
                                f->type == KILN_FT_REF ? "an integer id"
                                                       : "an integer");
        }
        rc = schema_check_int(k, f, i, path);
        if (rc == 0)
            *(int64_t *)dst = i;
        break;
    }
    case KILN_FT_FLOAT: {
        if (!form_json_number(t))
            return schema_error(k, path, "type", "expected a number");
        char *z = kiln_arena_strndup(fd->d->a, t.p, t.n);
        if (!z)
            return KILN_ENOMEM;
        double x = strtod(z, NULL);
        rc = schema_check_float(k, f, x, path);
        if (rc == 0)
            *(double *)dst = x;
        break;
    }
    case KILN_FT_BOOL:
        if (form_word(t, "on") || form_word(t, "true") || form_word(t, "1") ||
            form_word(t, "yes"))
            *(bool *)dst = true;
        else if (form_word(t, "off") || form_word(t, "false") ||
                 form_word(t, "0") || form_word(t, "no"))
            *(bool *)dst = false;
        else
            return schema_error(k, path, "type",
                                "expected a boolean (on/off, true/false, "
                                "1/0, yes/no)");
        rc = 0;
        break;
    case KILN_FT_JSON:
        rc = schema_json_field(fd->d, f, t, obj, path);
        if (rc == KILN_EPARSE)
            return schema_error(k, path, "invalid_json", "not JSON text");
        return rc;
    case KILN_FT_STRING:
    case KILN_FT_TEXT:
    case KILN_FT_EMAIL:
    case KILN_FT_URL:
        rc = schema_text(fd->d, f, v, dst, path);
        break;
    default:
        rc = schema_text(fd->d, f, t, dst, path);
        break;
    }
    if (rc == 0)
        schema_set_has(f, obj, true);
    return rc;
}

static int form_object(fdec *fd, const kiln_model *m, void *obj, form_ref *refs,
                       size_t n, const schema_path *path, kiln_fieldset *given);

/*
 * A list or many field from its refs (each at the segment after the
 * field's name): indexed items ("f[2]...") at their index, then plain
 * repeated values in order.
 */
static int form_items(fdec *fd, const kiln_field *f, void *obj, form_ref *refs,
                      size_t n, const schema_path *path)
{
    schema_sink *k = &fd->d->sink;
    kiln_field item;
    schema_item_field(f, &item);
    if (f->type == KILN_FT_MANY)
        item.type = KILN_FT_REF;
    size_t size = f->type == KILN_FT_MANY ? sizeof(int64_t) : f->item_size;
    size_t nitems = 0, nplain = 0;
    int bad = 0, rc;
    for (size_t i = 0; i < n; i++) {
        form_ref *r = &refs[i];
        if (r->pos == r->nsegs) {
            r->key = FORM_UNKNOWN; /* plain: after the indexed ones */
            nplain++;
        } else if (r->segs[r->pos].key) {
            form_unknown(fd, r, path, false);
            r->key = FORM_UNKNOWN - 1;
            bad = 1;
        } else if (r->segs[r->pos].n >= fd->nrefs) {
            schema_path at = {path, NULL, r->segs[r->pos].n};
            schema_error(k, &at, "max_items", "index past the items sent");
            r->key = FORM_UNKNOWN - 1;
            bad = 1;
        } else {
            r->key = r->segs[r->pos].n;
            if (r->key + 1 > nitems)
                nitems = r->key + 1;
        }
    }
    if (bad)
        return 1;
    size_t first_plain = nitems;
    nitems += nplain;
    void *v = nitems ? kiln_arena_calloc(fd->d->a, nitems * size) : NULL;
    if (nitems && !v)
        return KILN_ENOMEM;
    if ((rc = form_sort(fd, refs, n, first_plain)) != 0)
        return rc;
    size_t i = 0;
    for (size_t idx = 0; idx < first_plain; idx++) {
        size_t s = i;
        while (i < n && refs[i].key == idx)
            refs[i++].pos++;
        schema_path at = {path, NULL, idx};
        void *it = (char *)v + idx * size;
        if (item.type == KILN_FT_OBJECT) {
            for (size_t j = s; j < i; j++)
                if (refs[j].pos == refs[j].nsegs) {
                    schema_error(k, &at, "type", "expected an object");
                    rc = 1;
                }
            if (rc == 0)
                rc = form_object(fd, f->ref, it, refs + s, i - s, &at, NULL);
        } else if (i == s) {
            rc = schema_error(k, &at, "required", "this item is missing");
        } else {
            rc = 0;
            for (size_t j = s; j < i; j++)
                if (refs[j].pos < refs[j].nsegs) {
                    form_unknown(fd, &refs[j], &at, false);
                    rc = 1;
                }
            if (rc == 0)
                rc = form_scalar(fd, &item, it, refs[i - 1].f, &at);
        }
        if (rc < 0)
            return rc;
        bad |= rc;
        rc = 0;
    }
    for (size_t p = first_plain; i < n; i++, p++) {
        schema_path at = {path, NULL, p};
        if (item.type == KILN_FT_OBJECT)
            rc = schema_error(k, &at, "type", "expected an object");
        else
            rc = form_scalar(fd, &item, (char *)v + p * size, refs[i].f, &at);
        if (rc < 0)
            return rc;
        bad |= rc;
    }
    if (bad)
        return 1;
    rc = schema_check_count(k, f, nitems, path);
    if (rc == 0 && f->type == KILN_FT_MANY)
        rc = schema_check_ids(fd->d, f, v, nitems, path);
    if (rc)
        return rc;
    if (f->type == KILN_FT_MANY)
        *(kiln_ids *)((char *)obj + f->offset) = (kiln_ids){v, nitems};
    else
        *(kiln_list *)((char *)obj + f->offset) = (kiln_list){v, nitems};
    schema_set_has(f, obj, true);
    return 0;
}

/* Field f of obj from its refs (each at the segment after the field's
   name). */
static int form_field(fdec *fd, const kiln_field *f, void *obj, form_ref *refs,
                      size_t n, const schema_path *path)
{
    schema_sink *k = &fd->d->sink;
    int rc = 0;
    if (f->type == KILN_FT_LIST || f->type == KILN_FT_MANY)
        return form_items(fd, f, obj, refs, n, path);
    if (f->type == KILN_FT_OBJECT) {
        size_t plain = 0;
        for (size_t i = 0; i < n; i++) {
            if (refs[i].pos == refs[i].nsegs) {
                plain++;
                if (refs[i].f->value.n == 0 && !refs[i].f->file &&
                    (f->flags & KILN_FF_OPTIONAL))
                    continue; /* "author=": NULL */
                schema_error(k, path, "type", "expected an object");
                rc = 1;
            } else if (!refs[i].segs[refs[i].pos].key) {
                form_unknown(fd, &refs[i], path, false);
                rc = 1;
            }
        }
        if (rc)
            return rc;
        if (plain == n) {
            schema_set_has(f, obj, false);
            return 0;
        }
        int mode = fd->d->mode;
        if (mode == KILN_DECODE_PATCH)
            fd->d->mode = KILN_DECODE_REPLACE;
        /* plain refs (empty values) sort last and are not passed on */
        size_t j = 0;
        for (size_t i = 0; i < n; i++)
            if (refs[i].pos < refs[i].nsegs)
                refs[j++] = refs[i];
        rc = form_object(fd, f->ref, (char *)obj + f->offset, refs, j, path,
                         NULL);
        fd->d->mode = mode;
        if (rc == 0)
            schema_set_has(f, obj, true);
        return rc;
    }
    for (size_t i = 0; i < n; i++)
        if (refs[i].pos < refs[i].nsegs) {
            form_unknown(fd, &refs[i], path, false);
            rc = 1;
        }
    if (rc)
        return rc;
    return form_scalar(fd, f, obj, refs[n - 1].f, path); /* the last wins */
}

/*
 * The fields of an object of model m at obj from refs (each at a
 * segment naming one of its fields). Returns 0, 1 or a negative code.
 */
static int form_object(fdec *fd, const kiln_model *m, void *obj, form_ref *refs,
                       size_t n, const schema_path *path, kiln_fieldset *given)
{
    kiln_fieldset set = {{0}};
    bool allow = m->flags & KILN_MF_ALLOW_UNKNOWN;
    int any = 0, rc;
    for (size_t i = 0; i < n; i++) {
        form_ref *r = &refs[i];
        const form_seg *s = &r->segs[r->pos];
        int k = s->key ? kiln_model_field(m, (kiln_str){s->key, s->n}) : -1;
        r->key = k < 0 ? FORM_UNKNOWN : (size_t)k;
        if (k < 0) {
            form_unknown(fd, r, path, allow);
            any |= !allow;
        }
    }
    if ((rc = form_sort(fd, refs, n, m->nfields)) != 0)
        return rc;
    for (size_t i = 0; i < n && refs[i].key != FORM_UNKNOWN;) {
        size_t key = refs[i].key, s = i;
        while (i < n && refs[i].key == key)
            refs[i++].pos++;
        const kiln_field *f = &m->fields[key];
        if (f->flags & KILN_FF_READ_ONLY)
            continue; /* set by the server: ignored */
        schema_fieldset_add(&set, (unsigned)key);
        schema_path at = {path, f->name, strlen(f->name)};
        rc = form_field(fd, f, obj, refs + s, i - s, &at);
        if (rc < 0)
            return rc;
        any |= rc;
    }
    if (given)
        *given = set;
    size_t before = fd->d->sink.errs->n + fd->d->sink.errs->dropped;
    if ((rc = schema_absent(fd->d, m, obj, &set, path)) != 0)
        return rc;
    return any || fd->d->sink.errs->n + fd->d->sink.errs->dropped > before;
}

/* ---- entry point ------------------------------------------------------ */

int kiln_decode_form(const kiln_model *m, const kiln_form_field *fields,
                     size_t nfields, const kiln_decode_opts *o, kiln_arena *a,
                     void *out, kiln_fieldset *given, kiln_errors *errs)
{
    static const kiln_decode_opts defaults;
    kiln_fieldset set = {{0}};
    schema_dec d = {.a = a, .form = true};
    if (!o)
        o = &defaults;
    d.mode = o->mode;
    d.form = !o->query;
    d.max_depth = o->max_depth > 0 ? o->max_depth : 64;
    schema_sink_init(&d.sink, errs, "");
    kiln_buf_init(&d.tmp);
    fdec fd = {.d = &d, .nrefs = nfields};
    size_t before = errs->n + errs->dropped, n = 0;
    int rc = 0;
    form_ref *refs = NULL;
    memset(out, 0, m->size);
    if (nfields > SIZE_MAX / sizeof *refs ||
        !(refs = kiln_arena_alloc(a, (nfields ? nfields : 1) * sizeof *refs)) ||
        !(fd.tmp = malloc((nfields ? nfields : 1) * sizeof *refs)))
        rc = KILN_ENOMEM;
    for (size_t i = 0; rc == 0 && i < nfields; i++) {
        /* the CSRF field of a page's form (csrf_input(), kiln/session.h)
           is Kiln's, checked before the handler: never the model's
           unknown field, unless the model has a field of that name */
        if (kiln_str_eq(fields[i].name, KILN_STR("csrf_token")) &&
            kiln_model_field(m, fields[i].name) < 0)
            continue;
        const form_seg *segs;
        long ns = form_parse_name(a, fields[i].name, &segs);
        if (ns < 0) {
            rc = KILN_ENOMEM;
        } else if (ns == 0 || ns > d.max_depth || ns > SCHEMA_MAX_NESTING) {
            if (!(m->flags & KILN_MF_ALLOW_UNKNOWN)) {
                schema_path at = {NULL, fields[i].name.p, fields[i].name.n};
                schema_error(&d.sink, &at, "unknown_field",
                             ns ? "nested too deep" : "not a field name");
            }
        } else {
            refs[n++] = (form_ref){&fields[i], segs, (uint32_t)ns, 0, 0};
        }
    }
    if (rc == 0)
        rc = form_object(&fd, m, out, refs, n, NULL, &set);
    if (rc >= 0 && d.sink.rc)
        rc = d.sink.rc;
    free(fd.tmp);
    free(fd.counts);
    kiln_buf_deinit(&d.tmp);
    schema_sink_deinit(&d.sink);
    if (given)
        *given = set;
    if (rc < 0)
        return rc;
    return errs->n + errs->dropped > before ? KILN_EINVAL : 0;
}
