/*
 * config/toml.h - a TOML 1.0.0 parser (https://toml.io/en/v1.0.0) into a
 * value tree held in an arena. Internal to Kiln (prefix toml_); the settings
 * layer (kiln.toml) and the code generator read their files through it.
 *
 * toml_parse() is a pure function over bytes: it reads src[0..n), allocates
 * the tree from the caller's arena and touches nothing else (no globals, no
 * I/O, no locale except strtod's, which Kiln leaves as "C"). The tree does
 * not point into src, so src may be freed as soon as toml_parse returns.
 *
 * What is accepted is exactly TOML 1.0.0, checked against toml-test
 * (../shared/conformance/toml-test):
 *   - UTF-8 only (an initial BOM is skipped); ill-formed UTF-8 anywhere and
 *     control characters in strings and comments are errors;
 *   - LF or CRLF line ends; a lone CR is an error;
 *   - every redefinition rule: a key is set once; a table is defined once
 *     by a [header] or by dotted keys, never both; inline tables and arrays
 *     written as values are immutable; [[array]] appends only to arrays of
 *     tables created by [[...]];
 *   - integers are int64 (overflow is an error), floats are double (inf and
 *     nan allowed; a finite literal too large for a double is an error);
 *   - date-times keep their components; ranges are validated (days per
 *     month, leap years, seconds 00-60 as RFC 3339 allows leap seconds,
 *     offsets -23:59..+23:59); fractions beyond nanoseconds are truncated.
 * In multi-line strings a CRLF line end is read as LF.
 *
 * Limits: arrays, inline tables and tables nest at most TOML_MAX_DEPTH levels
 * (counting every table and array from the root, dotted-key parts included);
 * deeper input fails with KILN_ELIMIT. The parser recurses once per nested
 * array or inline table (a few hundred bytes of stack each): call it from an
 * ordinary thread, not from a handler's coroutine.
 *
 * Positions: lines and columns are 1-based; a column counts characters
 * (Unicode code points: a tab, an 'a' and an 'e with acute' are one column
 * each), so it matches what an editor shows for the line. A BOM is not
 * counted.
 *
 * Reading a file:
 *
 *   toml_value *root;
 *   toml_error err;
 *   if (toml_parse(&arena, text, len, "kiln.toml", &root, &err) != 0) {
 *       toml_error_format(&err, &msg);  // "kiln.toml:3:8: expected ..."
 *       ...
 *   }
 *   const toml_value *port = toml_get_path(root, "server.port");
 *   if (port && port->type == TOML_INTEGER)
 *       use(port->u.integer);
 *   const toml_value *srv = toml_get(root, "server");
 *   for (size_t i = 0; srv && srv->type == TOML_TABLE &&
 *                      i < srv->u.table.n; i++) {
 *       const toml_entry *e = &srv->u.table.items[i];
 *       // e->key, e->value, and e->line:e->column where the key is written
 *   }
 */
#ifndef KILN_CONFIG_TOML_H
#define KILN_CONFIG_TOML_H

#include <kiln/core.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Maximum nesting of tables and arrays (see the file comment). */
#define TOML_MAX_DEPTH 128

/** The type of a value. */
typedef enum toml_type {
    TOML_STRING,
    TOML_INTEGER,
    TOML_FLOAT,
    TOML_BOOLEAN,
    TOML_DATETIME,       /**< offset date-time: 1979-05-27T07:32:00Z */
    TOML_DATETIME_LOCAL, /**< local date-time: 1979-05-27T07:32:00 */
    TOML_DATE_LOCAL,     /**< local date: 1979-05-27 */
    TOML_TIME_LOCAL,     /**< local time: 07:32:00 */
    TOML_ARRAY,
    TOML_TABLE
} toml_type;

/**
 * How a table came to exist. TOML's redefinition rules depend on it, and so
 * can a reader that wants to tell "[server]" from "server.port = 80".
 */
typedef enum toml_table_kind {
    TOML_TABLE_ROOT,     /**< the document itself */
    TOML_TABLE_EXPLICIT, /**< defined by a [header] */
    TOML_TABLE_IMPLICIT, /**< only created as the parent of a [a.b] or [[a.b]]
                              header; a later [a] may still define it */
    TOML_TABLE_DOTTED,   /**< created by a dotted key: a.b = 1 creates a (and
                              a dotted key inside an inline table creates a
                              DOTTED table that is part of that inline table) */
    TOML_TABLE_INLINE,   /**< written { ... }; immutable afterwards */
    TOML_TABLE_ARRAY_ELEMENT /**< one element of an [[array of tables]] */
} toml_table_kind;

/**
 * The four date-time forms share this struct. Which fields mean something is
 * said by the has_ flags, and always follows from the value's type:
 *   TOML_DATETIME        date, time and offset
 *   TOML_DATETIME_LOCAL  date and time
 *   TOML_DATE_LOCAL      date only
 *   TOML_TIME_LOCAL      time only
 * Fields that are not present are 0. All fields are read-only.
 */
typedef struct toml_datetime {
    int year;           /**< 0 to 9999 */
    int month;          /**< 1 to 12 */
    int day;            /**< 1 to the days of that month */
    int hour;           /**< 0 to 23 */
    int minute;         /**< 0 to 59 */
    int second;         /**< 0 to 60 (60: a leap second) */
    int nanosecond;     /**< 0 to 999999999 (fraction truncated to ns) */
    int frac_digits;    /**< fraction digits written, 0 (none) to 9 */
    int offset_minutes; /**< UTC offset, -1439 to 1439; Z and -00:00 are 0 */
    bool has_date, has_time, has_offset;
} toml_datetime;

typedef struct toml_value toml_value;

/**
 * One key of a table with its value. line and column locate the key as it
 * was written (for a dotted key a.b.c, each part's own position; for a table
 * created by a header, the key part in the header; for a table created
 * implicitly and later defined by its own [header], that header's key).
 * All fields are read-only; memory belongs to the arena.
 */
typedef struct toml_entry {
    kiln_str key;      /**< decoded key, NUL-terminated (may hold NUL bytes
                            from a \u0000 escape: use key.n) */
    toml_value *value; /**< never NULL */
    int line, column;  /**< 1-based; column in characters */
} toml_entry;

/**
 * A value of the tree. Read the member of u that type names. Values never
 * move once created, so pointers into the tree stay valid as long as the
 * arena does. Fields marked private belong to the parser.
 */
struct toml_value {
    toml_type type;   /**< read-only */
    int line, column; /**< read-only: where the value starts; for a table
                           defined by a header, its '['; for a table created
                           implicitly, the key that created it; the root
                           table is at 1:1 */
    union {
        kiln_str string; /**< decoded UTF-8, NUL-terminated (use n: it may
                              hold NUL bytes from a \u0000 escape) */
        int64_t integer;
        double floating; /**< may be +-inf or nan */
        bool boolean;
        toml_datetime datetime; /**< the four date-time types */
        struct {
            toml_value **items; /**< read-only: n values in order */
            size_t n;           /**< read-only */
            size_t cap;         /**< private */
            bool of_tables; /**< read-only: created by [[header]]; then every
                                 item is a TOML_TABLE_ARRAY_ELEMENT table */
        } array;
        struct {
            toml_entry *items;    /**< read-only: n entries in the order the
                                       keys were first written */
            size_t n;             /**< read-only */
            toml_table_kind kind; /**< read-only */
            size_t cap;           /**< private */
            uint32_t *index;      /**< private: hash index, or NULL */
            size_t index_cap;     /**< private */
        } table;
    } u;
};

/**
 * Where and why a parse failed. message is English and names what was
 * expected, e.g. "expected '=' after key \"port\"" or "duplicate key
 * \"port\" (first defined at 3:1)".
 */
typedef struct toml_error {
    const char *filename; /**< the pointer given to toml_parse (not copied):
                               valid as long as the caller's string is */
    int line;             /**< 1-based */
    int column;           /**< 1-based, in characters (see file comment) */
    char message[320];    /**< NUL-terminated; long keys are shortened */
} toml_error;

/**
 * Parses the TOML document src[0..n) (src may be NULL when n == 0; it need
 * not be NUL-terminated). filename is used only in *err (NULL: "<input>").
 *
 * On success returns 0 and sets *root to the document, a TOML_TABLE of kind
 * TOML_TABLE_ROOT, allocated in a with everything below it; the caller frees
 * it all by resetting or deinitialising a.
 * On failure sets *root to NULL, fills *err (when err is not NULL) and
 * returns KILN_EPARSE (malformed input), KILN_ELIMIT (nesting deeper than
 * TOML_MAX_DEPTH, or n >= INT_MAX) or KILN_ENOMEM. Memory the parse took from
 * a stays there until the arena is reset.
 */
int toml_parse(kiln_arena *a, const char *src, size_t n, const char *filename,
               toml_value **root, toml_error *err);

/**
 * Appends "file:line:col: message" for err to b (file is "<input>" when
 * err->filename is NULL). Returns 0 or KILN_ENOMEM.
 */
int toml_error_format(const toml_error *err, kiln_buf *b);

/** Returns a static English name for a type ("integer", "local date"...). */
const char *toml_type_name(toml_type t);

/**
 * Looks up key (n bytes) in a table. Returns its entry, or NULL when table
 * is NULL, is not a TOML_TABLE or has no such key. Constant time on average
 * (tables of more than a few keys keep a hash index).
 */
const toml_entry *toml_find(const toml_value *table, const char *key, size_t n);

/** toml_find with a NUL-terminated key, returning the value or NULL. */
const toml_value *toml_get(const toml_value *table, const char *key);

/**
 * Follows a dotted path of keys from table: "server.port" is
 * toml_get(toml_get(table, "server"), "port"). The path is split at every
 * '.' with no quoting, so it cannot name a key that contains a dot; use
 * toml_find for those. An empty path or an empty part ("a..b") matches
 * nothing. Returns the entry of the last key, or NULL when any step is
 * missing or is not a table (arrays are not indexed).
 */
const toml_entry *toml_find_path(const toml_value *table, const char *path);

/** toml_find_path returning the value, or NULL. */
const toml_value *toml_get_path(const toml_value *table, const char *path);

/**
 * Writes dt as RFC 3339 text in the form of its type, with the fraction as
 * written (frac_digits digits) and a zero offset as "Z":
 * "1979-05-27T07:32:00.5-07:00", "1979-05-27T07:32:00", "1979-05-27",
 * "07:32:00". Follows snprintf: writes at most size bytes including the NUL
 * and returns the length of the full text (at most 35 characters, so a
 * 36-byte buffer always holds it).
 */
int toml_datetime_format(const toml_datetime *dt, char *buf, size_t size);

#endif
