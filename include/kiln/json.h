/*
 * kiln/json.h - JSON (RFC 8259): an escape-correct streaming writer, a small
 * format helper, and a strict parser into a tree held in an arena.
 *
 * Writer: everything appends to a kiln_buf (for a handler, the response body).
 * Strings are validated as UTF-8 (an invalid sequence is written as U+FFFD),
 * control characters are escaped, and "</" is written as "<\/" so output is
 * safe inside an HTML <script>. Doubles are written in the shortest form that
 * reads back to the same value; NaN and infinities become null.
 *
 * Parser: strict RFC 8259; rejects trailing commas, comments, leading zeros,
 * invalid UTF-8, lone surrogate escapes, a BOM, and nesting deeper than the
 * configured limit. The tree and every string in it live in the arena.
 */
#ifndef KILN_JSON_H
#define KILN_JSON_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- writer ------------------------------------------------------------ */

/** Appends s (n bytes) as a quoted, escaped JSON string. */
int kiln_json_put_str(kiln_buf *b, const char *s, size_t n);
/** Appends a double in shortest round-trip form (NaN/inf as null). */
int kiln_json_put_double(kiln_buf *b, double d);
/** Appends an integer. */
int kiln_json_put_i64(kiln_buf *b, int64_t v);

/**
 * Appends JSON built from a format string, e.g.
 *   kiln_json_format(b, "{message:%s, id:%d, ok:%b}", "hi", 3, true)
 * Literal text is copied as it is, except that a bare identifier followed by
 * ':' is written as a quoted key, and whitespace outside quoted literals
 * (spaces, tabs, newlines) is layout that is not written:
 * "{id: %d, tags: [%s, %s]}" gives {"id":3,"tags":["a","b"]}. Conversions:
 *   %s  const char * (NUL-terminated) as a JSON string; NULL writes null
 *   %S  kiln_str as a JSON string
 *   %d  int            %ld long        %lld long long     %u unsigned
 *   %zu size_t         %f  double (shortest round-trip)   %b  bool (int)
 *   %j  const char * already-encoded JSON, copied raw     %%  a '%'
 * Returns 0, KILN_ENOMEM, or KILN_EINVAL for an unknown conversion, a '%'
 * inside a quoted literal (other than %%) or an unclosed quoted literal. On
 * failure, b may hold a partial result: the caller discards it.
 */
int kiln_json_format(kiln_buf *b, const char *fmt, ...);
/** va_list form of kiln_json_format. */
int kiln_json_vformat(kiln_buf *b, const char *fmt, va_list ap);

/**
 * An array written item by item, for a loop that does not want to track
 * its commas:
 *
 *   kiln_json_array a;
 *   kiln_json_array_begin(&a, kiln_body_buf(c));
 *   while (kiln_rows_next(r))
 *       kiln_json_array_addf(&a, "{id: %lld, title: %S}",
 *                            (long long)kiln_row_int(r, 0),
 *                            kiln_row_text(r, 1));
 *   if (kiln_json_array_end(&a) != 0) ...
 *
 * The first error sticks: later calls write nothing and _end returns it,
 * so the loop need not check each call. Fields are private.
 */
typedef struct kiln_json_array {
    kiln_buf *b; /* private: where the array goes (not owned) */
    size_t n;    /* private: items written */
    int rc;      /* private: the first error, or 0 */
} kiln_json_array;

/** Starts an array in b (writes '['). */
void kiln_json_array_begin(kiln_json_array *a, kiln_buf *b);
/**
 * Appends one item built by kiln_json_format rules from fmt, after a comma
 * when it is not the first. Returns 0 or the array's first error
 * (KILN_ENOMEM, or KILN_EINVAL for a bad format); on an error the item's
 * partial output is removed, so b holds only whole items.
 */
int kiln_json_array_addf(kiln_json_array *a, const char *fmt, ...);
/** Appends one item of already-encoded JSON (n bytes), as _addf does. */
int kiln_json_array_add_raw(kiln_json_array *a, const char *json, size_t n);
/** Ends the array (writes ']'). Returns 0, or the first error of any call
    on a; the array is then incomplete and b should be discarded. */
int kiln_json_array_end(kiln_json_array *a);

/**
 * A database result (kiln/db.h) as JSON: the rows that kiln_rows_next
 * still gives, as an array of objects keyed by column name, with typed
 * values: NULL as null, integers and floats as numbers, booleans as
 * true/false, text as strings, timestamps as ISO 8601 UTC strings
 * ("2024-05-01T12:00:00.250Z") and blobs as base64 strings (RFC 4648).
 * These are the rules kiln_value_from_rows follows for templates (but for
 * blobs, which templates show as text). Reads r to its end. Returns 0,
 * KILN_ENOMEM, or the result's error (kiln_rows_error) after the rows read
 * so far: then b holds a partial array to discard.
 */
typedef struct kiln_rows kiln_rows;
int kiln_json_put_rows(kiln_buf *b, kiln_rows *r);

/* ---- parser ------------------------------------------------------------ */

/** The type of a parsed JSON value. */
typedef enum kiln_json_type {
    KILN_JSON_NULL,
    KILN_JSON_BOOL,
    KILN_JSON_NUMBER,
    KILN_JSON_STRING,
    KILN_JSON_ARRAY,
    KILN_JSON_OBJECT
} kiln_json_type;

typedef struct kiln_json kiln_json;
typedef struct kiln_json_member kiln_json_member;

/** A parsed value. All fields are read-only; memory belongs to the arena. */
struct kiln_json {
    kiln_json_type type;
    union {
        bool boolean; /**< KILN_JSON_BOOL */
        struct {
            double d;    /**< the value as a double (may be +-inf if huge) */
            int64_t i;   /**< the value as an integer when is_int */
            bool is_int; /**< written without fraction or exponent, fits int64_t
                          */
            kiln_str raw; /**< the number's text as written */
        } number;
        kiln_str string; /**< decoded UTF-8, NUL-terminated (p[n] == 0) */
        struct {
            kiln_json *items; /**< array of n values (NULL when n == 0) */
            size_t n;
        } array;
        struct {
            kiln_json_member
                *items; /**< n members in document order (NULL when n == 0) */
            size_t n;
        } object;
    } u;
};

/** One member of an object. Duplicate keys are kept, in order. */
struct kiln_json_member {
    kiln_str key; /**< decoded, NUL-terminated */
    kiln_json value;
};

/** Where and why a parse failed. */
typedef struct kiln_json_error {
    size_t offset; /**< byte offset of the error in the input */
    int line, col; /**< 1-based position of the error */
    char msg[96];  /**< a short English description */
} kiln_json_error;

/** Default maximum nesting depth of arrays and objects. */
#define KILN_JSON_MAX_DEPTH 512

/**
 * Parses exactly one JSON text from p[0..n) (surrounding whitespace allowed).
 * max_depth 0 means KILN_JSON_MAX_DEPTH. On success returns 0 and sets *out to
 * a tree allocated in a. On failure returns KILN_EPARSE (and fills *err when
 * err is not NULL), KILN_ELIMIT when nesting exceeds max_depth, or
 * KILN_ENOMEM. Memory already taken from a is not returned until the arena is
 * reset. On any failure *out is set to NULL and err (when not NULL) is
 * filled; its column counts bytes.
 */
int kiln_json_parse(kiln_arena *a, const char *p, size_t n, int max_depth,
                    kiln_json **out, kiln_json_error *err);

/** Returns the last member value named key in an object, or NULL. */
const kiln_json *kiln_json_get(const kiln_json *obj, const char *key);

#ifdef __cplusplus
}
#endif
#endif
