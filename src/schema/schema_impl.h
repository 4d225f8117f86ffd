/*
 * schema/schema_impl.h - what the files of src/schema share: the error sink
 * with its JSON Pointers, the decode context, the value checks that the
 * JSON and form decoders and kiln_validate all run (so one constraint has
 * one implementation), and the type helpers of types.c. Internal to
 * src/schema (and its tests).
 */
#ifndef KILN_SCHEMA_IMPL_H
#define KILN_SCHEMA_IMPL_H

#include <kiln.h>

/* ---- types.c ---------------------------------------------------------- */

/* Results of schema_decimal_canon besides 0 and KILN_ENOMEM. */
enum {
    SCHEMA_DEC_INVALID = 1, /* not a decimal */
    SCHEMA_DEC_PLACES = 2,  /* more than scale digits after the point */
    SCHEMA_DEC_DIGITS = 3   /* more than precision - scale before it */
};

/*
 * kiln_decimal_canon with the reason of a refusal: appends the canonical
 * form of s to b and returns 0, or returns a SCHEMA_DEC_* (b unchanged) or
 * KILN_ENOMEM. Zeros past the scale are accepted ("1.500" is 1.50). When
 * same is not NULL and s is canonical already, *same is set and nothing
 * is appended.
 */
int schema_decimal_canon(kiln_str s, int precision, int scale, kiln_buf *b,
                         bool *same);
/* True when d is a real date of years 1..9999. */
bool schema_date_valid(kiln_date d);
/* True when t is within years 1..9999 (what the text form can hold). */
bool schema_datetime_valid(kiln_datetime t);
/* The email check: local@domain, local of atext and dots (<= 64 bytes),
   a domain of two labels or more, 254 bytes in all; UTF-8 allowed. */
bool schema_is_email(kiln_str s);
/* The url check: http or https, a host (name, IPv4 or [IPv6]), an optional
   port, no spaces, controls or backslashes, 2048 bytes at most. */
bool schema_is_url(kiln_str s);

/* ---- pointers and the error sink (check.c) ---------------------------- */

/*
 * One segment of a JSON Pointer, in a chain from the innermost segment up
 * to the top (up == NULL). Segments live in the frames of the functions
 * that walk the input, so building a path costs nothing until an error
 * renders it.
 */
typedef struct schema_path {
    const struct schema_path *up;
    const char *key; /* a member name (n bytes), or NULL for an index */
    size_t n;        /* the name's length, or the index */
} schema_path;

/* The most bytes of pointer text one decode may add to its error list; past
   it, errors are only counted (e->dropped), so hostile keys cannot make the
   list grow with the input times KILN_ERRORS_MAX. */
#define SCHEMA_POINTER_BUDGET (64 * 1024)

/* Where errors go. Not owning anything but scratch (freed by
   schema_sink_deinit). */
typedef struct schema_sink {
    kiln_errors *errs;
    const char *prefix; /* prepended to every pointer ("" at the top) */
    size_t budget;      /* pointer bytes still allowed */
    int rc;             /* KILN_ENOMEM once an error could not be added */
    kiln_buf ptr;       /* scratch: the pointer being rendered (malloc) */
} schema_sink;

void schema_sink_init(schema_sink *s, kiln_errors *errs, const char *prefix);
void schema_sink_deinit(schema_sink *s);
/*
 * Adds the error code (detail formatted, printf rules) at path to s->errs,
 * the pointer rendered with RFC 6901 escaping ("~" as "~0", "/" as "~1").
 * Returns 1, so that a check can `return schema_error(...)`; an allocation
 * failure is kept in s->rc.
 */
int schema_error(schema_sink *s, const schema_path *path, const char *code,
                 const char *fmt, ...) KILN_PRINTF(4, 5);

/* ---- the decode context (shared by decode_json.c and decode_form.c) --- */

/* The most levels of nesting the model describes that a decode follows
   (the decoders recurse over them); deeper input is refused like input past
   max_depth. */
#define SCHEMA_MAX_NESTING 128

typedef struct schema_dec {
    kiln_arena *a;    /* where decoded strings and lists go */
    schema_sink sink; /* the errors */
    int mode;         /* kiln_decode_mode */
    int max_depth;    /* nesting limit */
    bool form;        /* an HTML form: absent bool = false, absent many and
                         scalar list = empty */
    kiln_buf tmp;     /* scratch (malloc'd; freed by the decoder) */
} schema_dec;

/* A field's value in the struct obj. */
#define SCHEMA_AT(obj, f, T) ((T *)((char *)(obj) + (f)->offset))

/* Sets the has_NAME member of an optional field (no-op without one). */
static inline void schema_set_has(const kiln_field *f, void *obj, bool v)
{
    if (f->has_offset != KILN_NO_OFFSET)
        *(bool *)((char *)obj + f->has_offset) = v;
}

/* True when the field is NULL in obj (optional with has_NAME false). */
static inline bool schema_is_null(const kiln_field *f, const void *obj)
{
    return f->has_offset != KILN_NO_OFFSET &&
           !*(const bool *)((const char *)obj + f->has_offset);
}

/* Marks field i in a field set. */
static inline void schema_fieldset_add(kiln_fieldset *s, unsigned i)
{
    if (i < 256)
        s->bits[i / 64] |= UINT64_C(1) << (i % 64);
}

/*
 * The field a list's items are decoded as: f with type item_type, at offset
 * 0 of each item, never NULL, without the list's count bounds.
 */
void schema_item_field(const kiln_field *f, kiln_field *item);

/* ---- value checks (check.c) -------------------------------------------
 * Each returns 0 when the value passes, 1 after adding an error at path
 * to the sink, or a negative KILN_E* code. */

/* A string value of a string, text, email or url field (or list item):
   blank, min_length, max_length, pattern, invalid_email, invalid_url. */
int schema_check_str(schema_sink *s, const kiln_field *f, kiln_str v,
                     const schema_path *path);
/* An integer: min, max. */
int schema_check_int(schema_sink *s, const kiln_field *f, int64_t v,
                     const schema_path *path);
/* A float: finite, min, max. */
int schema_check_float(schema_sink *s, const kiln_field *f, double v,
                       const schema_path *path);
/* A canonical decimal: min, max (min_text, max_text). */
int schema_check_decimal(schema_sink *s, const kiln_field *f, kiln_str v,
                         const schema_path *path);
/* A date, datetime or time (as microseconds or days) against bounds
   written as text in min_text/max_text. */
int schema_check_when(schema_sink *s, const kiln_field *f, int64_t v,
                      const schema_path *path);
/* The number of items of a list or many field: min_items, max_items. */
int schema_check_count(schema_sink *s, const kiln_field *f, size_t n,
                       const schema_path *path);
/* The ids of a many field: no id twice (duplicate_id at the later one).
   Uses d->tmp. */
int schema_check_ids(schema_dec *d, const kiln_field *f, const int64_t *ids,
                     size_t n, const schema_path *path);

/*
 * Sets a value carried as text (string, text, email, url, decimal, date,
 * datetime, time, uuid, enum; type is f's type or its item type) at dst
 * from s, with its checks. s must outlive the result when it is kept as a
 * view (strings, and decimals already canonical); copies go to d->a.
 * Returns 0, 1 (error added) or KILN_ENOMEM.
 */
int schema_text(schema_dec *d, const kiln_field *f, kiln_str s, void *dst,
                const schema_path *path);

/* ---- absent fields (defaults.c) --------------------------------------- */

/*
 * Fills field f of obj with its default (def, now, a random UUID) when it
 * has one. Returns 1 when it did, 0 when f has no default, or a negative
 * KILN_E* code (KILN_EIO: no randomness).
 */
int schema_default(schema_dec *d, const kiln_field *f, void *obj,
                   const schema_path *path);
/*
 * After an object of model m was read into obj, handles every field not in
 * seen, by mode: CREATE/REPLACE set the default, NULL for an optional field,
 * or add "required" (file fields: "file_required"); read-only fields only
 * get their default; PATCH leaves them alone. Returns 0 or a negative
 * KILN_E* code.
 */
int schema_absent(schema_dec *d, const kiln_model *m, void *obj,
                  const kiln_fieldset *seen, const schema_path *path);

/* ---- decode_json.c ---------------------------------------------------- */

/*
 * Decodes the JSON text t as the value of field f into obj (used for
 * defaults and the form values of json fields). Returns 0, 1 (errors added
 * at path), KILN_EPARSE (t is not JSON; nothing added) or KILN_ENOMEM.
 */
int schema_json_field(schema_dec *d, const kiln_field *f, kiln_str t, void *obj,
                      const schema_path *path);

/** Appends the JSON value of field f of obj (null when NULL), as
    kiln_encode_json writes it (the CRUD API's expand uses it). Returns 0 or
    KILN_ENOMEM. */
int schema_encode_field(const kiln_field *f, const void *obj, kiln_buf *b);

#endif
