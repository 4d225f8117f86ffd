/*
 * kiln/schema.h - the compiled description of a model (models/NAME.toml)
 * or an endpoint schema (api/NAME.toml), and what runs from it: the
 * schema-directed decoders that validate while they parse and collect
 * every error (JSON, urlencoded and multipart forms), the JSON encoder,
 * and the value types of the field language (dates, times, UUIDs...).
 *
 * One description, many walkers. `kiln` loads models/ into kiln_model
 * values (src/model/load.c) and writes them into the app as static const
 * data beside the C struct of each model (.kiln/<mode>/gen/models.h);
 * everything else - SQL and migrations, validation, the decoders and the
 * encoder here, the query helpers of kiln/model.h - walks the same
 * kiln_model. An author normally calls the generated, typed wrappers
 * (task_from_body, task_to_json...) rather than these functions.
 *
 * C representation of each field type (in the generated struct):
 *
 *   integer   int64_t            float     double
 *   decimal   kiln_str (canonical text: "-12.50", scale digits after '.')
 *   bool      bool               string, text, email, url   kiln_str
 *   date      kiln_date          datetime  kiln_datetime (us, UTC)
 *   time      kiln_timeofday     uuid      kiln_uuid
 *   enum      int (the index of the value; the generated C enum)
 *   json      kiln_str (the value as minified JSON text)
 *   ref       int64_t (the id of the row referred to)
 *   many      kiln_ids (ids of the rows linked)
 *   object    the nested struct itself (endpoint schemas)
 *   list      kiln_list (items of item_size bytes; endpoint schemas)
 *   file      const kiln_upload * (multipart bodies; endpoint schemas)
 *
 * An optional field has a `bool has_NAME` member: false is NULL (JSON
 * null, SQL NULL). Strings decoded from a request view the body where they
 * need no unescaping, else live in the request's arena.
 */
#ifndef KILN_SCHEMA_H
#define KILN_SCHEMA_H

#include "errors.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- value types ----------------------------------------------------- */

/** A calendar date (proleptic Gregorian), year 1..9999. */
typedef struct kiln_date {
    int16_t year;  /**< public */
    uint8_t month; /**< public: 1..12 */
    uint8_t day;   /**< public: 1..31 */
} kiln_date;

/** An instant: microseconds since 1970-01-01T00:00:00Z (as KILN_TIME). */
typedef int64_t kiln_datetime;

/** A time of day: microseconds since midnight, 0..86399999999. */
typedef int64_t kiln_timeofday;

/** A UUID (RFC 9562), 16 bytes in network order. */
typedef struct kiln_uuid {
    uint8_t b[16]; /**< public */
} kiln_uuid;

/** The ids of a many-to-many field. v is in an arena (or the author's). */
typedef struct kiln_ids {
    int64_t *v; /**< public */
    size_t n;   /**< public */
} kiln_ids;

/** A list field of an endpoint schema: n items of the field's item_size
    bytes each at v. */
typedef struct kiln_list {
    void *v;  /**< public */
    size_t n; /**< public */
} kiln_list;

/* Parsing and formatting. Parsers take the whole of s and return 0 or
   KILN_EINVAL; formatters append to b and return 0 or KILN_ENOMEM. */

/** "2026-03-05" (exactly YYYY-MM-DD, a real date). */
int kiln_date_parse(kiln_str s, kiln_date *out);
/** Appends YYYY-MM-DD. */
int kiln_date_format(kiln_date d, kiln_buf *b);
/** Days since 1970-01-01 (negative before). */
int64_t kiln_date_days(kiln_date d);
/** The date days after 1970-01-01. */
kiln_date kiln_date_from_days(int64_t days);

/**
 * RFC 3339 date-time with a required offset ("Z", "+02:00"), 'T' or 't'
 * or ' ' between date and time, up to 9 fraction digits (kept to the
 * microsecond, truncated); converted to UTC.
 */
int kiln_datetime_parse(kiln_str s, kiln_datetime *out);
/** Appends "2026-03-05T14:07:00.123Z" (UTC, always milliseconds). */
int kiln_datetime_format(kiln_datetime t, kiln_buf *b);
/** The current time. */
kiln_datetime kiln_datetime_now(void);

/** "14:07", "14:07:00", "14:07:00.250" (no offset). */
int kiln_timeofday_parse(kiln_str s, kiln_timeofday *out);
/** Appends "14:07:00", with ".250" when the milliseconds are not zero. */
int kiln_timeofday_format(kiln_timeofday t, kiln_buf *b);

/** "0f8fad5b-d9cb-469f-a165-70867728950e", either case. */
int kiln_uuid_parse(kiln_str s, kiln_uuid *out);
/** Appends the lowercase hyphenated form. */
int kiln_uuid_format(const kiln_uuid *u, kiln_buf *b);
/** A random (version 4) UUID from the OS's CSPRNG. 0 or KILN_EIO. */
int kiln_uuid_random(kiln_uuid *out);

/**
 * Checks s as a decimal of at most precision digits with at most scale of
 * them after the point ("12", "-0.5", "1.50"; no exponent, no '+', no
 * leading zeros but one before the point) and writes its canonical form
 * (exactly scale digits after the point, "-0" as "0") to b. Returns 0,
 * KILN_EINVAL (not a decimal), KILN_ELIMIT (too many digits) or
 * KILN_ENOMEM.
 */
int kiln_decimal_canon(kiln_str s, int precision, int scale, kiln_buf *b);
/** Compares two canonical decimals: <0, 0, >0. */
int kiln_decimal_cmp(kiln_str a, kiln_str b);

/* ---- the description ------------------------------------------------- */

/** Field types. */
typedef enum kiln_ftype {
    KILN_FT_INT,
    KILN_FT_FLOAT,
    KILN_FT_DECIMAL,
    KILN_FT_BOOL,
    KILN_FT_STRING,
    KILN_FT_TEXT,
    KILN_FT_DATE,
    KILN_FT_DATETIME,
    KILN_FT_TIME,
    KILN_FT_UUID,
    KILN_FT_EMAIL,
    KILN_FT_URL,
    KILN_FT_ENUM,
    KILN_FT_JSON,
    KILN_FT_REF,    /**< foreign key: ref = the target model */
    KILN_FT_MANY,   /**< many-to-many: ref = the target model */
    KILN_FT_OBJECT, /**< endpoint schemas: a nested object (ref) */
    KILN_FT_LIST,   /**< endpoint schemas: a list of item_type (objects:
                         ref) */
    KILN_FT_FILE    /**< endpoint schemas: an uploaded file */
} kiln_ftype;

/** Field flags. */
enum kiln_field_flags {
    KILN_FF_OPTIONAL = 1u << 0,       /**< nullable; has a has_NAME member */
    KILN_FF_UNIQUE = 1u << 1,         /**< a unique index of its own */
    KILN_FF_INDEX = 1u << 2,          /**< an index of its own */
    KILN_FF_READ_ONLY = 1u << 3,      /**< set by the server, never decoded */
    KILN_FF_WRITE_ONLY = 1u << 4,     /**< decoded, never encoded */
    KILN_FF_PK = 1u << 5,             /**< the primary key (id) */
    KILN_FF_AUTO_CREATED = 1u << 6,   /**< datetime set on insert */
    KILN_FF_AUTO_UPDATED = 1u << 7,   /**< datetime set on every write */
    KILN_FF_DEFAULT_NOW = 1u << 8,    /**< default: the current time/date */
    KILN_FF_DEFAULT_RANDOM = 1u << 9, /**< default: a random UUID */
    KILN_FF_HAS_MIN = 1u << 10,       /**< min (or min_text) applies */
    KILN_FF_HAS_MAX = 1u << 11,       /**< max (or max_text) applies */
    KILN_FF_BLANK = 1u << 12          /**< a string may be empty (default:
                                           a required string may not) */
};

/** What happens to rows referring to a deleted row (ref fields). */
typedef enum kiln_on_delete {
    KILN_ON_DELETE_CASCADE,
    KILN_ON_DELETE_RESTRICT,
    KILN_ON_DELETE_SET_NULL
} kiln_on_delete;

/** A compiled regular expression cache for a field's pattern (private;
    zero-filled in generated code). */
typedef struct kiln_pattern_cache {
    void *re;  /* private: the compiled regex_t */
    int state; /* private: 0 not tried, 1 compiled, -1 failed */
} kiln_pattern_cache;

typedef struct kiln_model kiln_model;

/** Marks a field without a has_NAME member. */
#define KILN_NO_OFFSET UINT32_MAX

/**
 * One field. Read-only once built: generated code declares these static
 * const; the loader builds them in an arena.
 */
typedef struct kiln_field {
    const char *name;    /**< JSON key, form name, C member: a C
                              identifier (the decoder relies on it) */
    const char *column;  /**< SQL column ("project_id" for a ref); NULL
                              when not a column (many, endpoint fields) */
    const char *label;   /**< human name ("due date"); never NULL */
    const char *help;    /**< help text, or NULL */
    uint8_t type;        /**< kiln_ftype */
    uint8_t on_delete;   /**< ref: kiln_on_delete */
    uint8_t item_type;   /**< list: the kiln_ftype of the items */
    uint8_t scale;       /**< decimal: digits after the point */
    uint16_t precision;  /**< decimal: total digits */
    uint16_t flags;      /**< KILN_FF_* */
    uint32_t offset;     /**< of the value in the struct */
    uint32_t has_offset; /**< of `bool has_NAME`, or KILN_NO_OFFSET */
    uint32_t item_size;  /**< list: bytes per item */
    int64_t min_length;  /**< characters (code points); -1: none */
    int64_t max_length;  /**< characters; -1: none (string: required) */
    double min, max;     /**< integer, float: bounds (FF_HAS_MIN/MAX);
                              list: item counts */
    const char *min_text, *max_text;   /**< decimal bounds (canonical), and
                                            every bound as written */
    const char *pattern;               /**< POSIX extended regex that must
                                            match somewhere in the value
                                            (anchor with ^...$), or NULL */
    kiln_pattern_cache *pattern_cache; /**< where the compiled pattern is
                                            kept (mutable), or NULL */
    const char *const *values;         /**< enum: the allowed strings */
    uint32_t nvalues;                  /**< enum */
    const char *def;          /**< default as JSON text ("false", "\"open\"",
                                   "12.5"), or NULL (also for now/random) */
    const kiln_model *ref;    /**< ref, many: target; object, list: items */
    const char *through;      /**< many: the join table ("task_tags"), whose
                                   columns are <model>_id and <target>_id
                                   (from_/to_<model>_id when they are one) */
    const char *ref_name;     /**< the target's name as written (loader) */
    const char *renamed_from; /**< migration hint: the field's old name */
    const char *file;         /**< where declared ("models/task.toml") */
    int line, col;
} kiln_field;

/** An index or unique constraint over one or more fields. */
typedef struct kiln_index {
    const char *name;          /**< SQL name ("task_project_id_title_uniq") */
    const char *const *fields; /**< field names */
    uint32_t nfields;
    bool unique;
    int line, col; /**< where declared (0 for a field's own) */
} kiln_index;

/** Model flags. */
enum kiln_model_flags {
    KILN_MF_ALLOW_UNKNOWN = 1u << 0, /**< unknown input keys are ignored
                                          (default: a 422 "unknown_field") */
    KILN_MF_ENDPOINT = 1u << 1, /**< part of an endpoint schema: no table */
    KILN_MF_BUILTIN = 1u << 2   /**< Kiln's own (the user, on kiln_user):
                                     its table is made by Kiln's schema, never
                                     by the app's migrations */
};

/** Operations a model exposes through the generated CRUD API. */
enum kiln_api_ops {
    KILN_API_LIST = 1u << 0,     /**< GET /api/PATH */
    KILN_API_RETRIEVE = 1u << 1, /**< GET /api/PATH/{id} */
    KILN_API_CREATE = 1u << 2,   /**< POST /api/PATH */
    KILN_API_UPDATE = 1u << 3,   /**< PUT /api/PATH/{id} (full) */
    KILN_API_PATCH = 1u << 4,    /**< PATCH /api/PATH/{id} (RFC 7396) */
    KILN_API_DELETE = 1u << 5    /**< DELETE /api/PATH/{id} */
};

/** Who may call a model's generated CRUD API ([api] permissions). */
enum kiln_api_access {
    /** not written: KILN_API_ROLES when the app declares [roles] in
        kiln.toml, else KILN_API_PUBLIC */
    KILN_API_DEFAULT = 0,
    KILN_API_PUBLIC,        /**< "public": anybody, logged in or not */
    KILN_API_AUTHENTICATED, /**< "authenticated": any logged-in user */
    KILN_API_ROLES          /**< "roles": MODEL.view for list and retrieve, .add
                                 for create, .change for update and patch,
                                 .delete for delete (kiln/perm.h) */
};

/**
 * The generated CRUD API of a model: its file's [api] table (docs/api.md).
 * Every list names fields of the model, checked by the loader.
 */
typedef struct kiln_model_api {
    uint32_t ops;               /**< KILN_API_* */
    const char *path;           /**< "tasks": /api/tasks, /api/tasks/{id} */
    const char *const *filters; /**< fields a list may filter on */
    uint32_t nfilters;
    const char *const *ordering; /**< fields ?ordering= may name */
    uint32_t nordering;
    const char *const *search; /**< text fields ?search= looks in */
    uint32_t nsearch;
    const char *const *expand; /**< ref fields ?expand= may embed */
    uint32_t nexpand;
    uint32_t page_size;     /**< a list's default limit (20) */
    uint32_t max_page_size; /**< the largest limit accepted (100) */
    uint32_t access;        /**< KILN_API_DEFAULT, _PUBLIC... */
    bool audit;             /**< audit = true: writes are recorded in the
                                 audit log (kiln/audit.h), via "api" */
    int line, col;          /**< where [api] is declared */
} kiln_model_api;

/** A fieldset of a model's admin form: a title and its fields in order. */
typedef struct kiln_admin_fieldset {
    const char *title;         /**< or NULL: no legend */
    const char *const *fields; /**< field names of the model */
    uint32_t nfields;
} kiln_admin_fieldset;

/**
 * A computed boolean column of an admin change list ([admin.booleans]):
 * true for a row whose field meets op and value. Evaluated by the
 * database in the page's one query.
 */
typedef struct kiln_admin_bool {
    const char *name;  /**< what [admin] list names it by */
    const char *label; /**< the column's header */
    const char *field; /**< a field of the model with a column */
    const char *op;    /**< "=", "!=", "<", "<=", ">", ">=", "set", "empty" */
    const char *value; /**< the value as text, parsed by the field's type
                            ("today" and "now" for dates and datetimes);
                            NULL for "set" and "empty" */
} kiln_admin_bool;

/**
 * How the admin shows a model: its file's [admin] table (docs/admin.md).
 * Every name is checked by the loader: fields of the model, "REF.FIELD"
 * for a column of a referred row, a boolean of [admin.booleans], child
 * models with a ref to this one for inlines.
 */
typedef struct kiln_model_admin {
    const char *const *list; /**< change list columns; 0: the first five
                                  fields with a column */
    uint32_t nlist;
    const char *const *filters; /**< sidebar filters: enum, bool, date,
                                     datetime, ref fields, or any optional
                                     field ("is empty") */
    uint32_t nfilters;
    const char *const *search; /**< text fields the search box looks in */
    uint32_t nsearch;
    const char *const *ordering; /**< the list's default order ("-due");
                                      0: the model's */
    uint32_t nordering;
    const char *const *read_only; /**< shown, never written by a form */
    uint32_t nread_only;
    const char *const *exclude; /**< left out of forms */
    uint32_t nexclude;
    const char *const *inlines; /**< child models edited on the page */
    uint32_t ninlines;
    const kiln_admin_fieldset *fieldsets; /**< the form's parts; 0: one */
    uint32_t nfieldsets;
    const kiln_admin_bool *booleans;
    uint32_t nbooleans;
    const char *date_hierarchy; /**< a date or datetime field, or NULL */
    const char *group;          /**< the dashboard's group, or NULL */
    uint32_t list_per_page;     /**< a page's rows (default 50) */
    int line, col;              /**< where [admin] is declared */
} kiln_model_admin;

/** A model (a table) or an object of an endpoint schema. Read-only. */
struct kiln_model {
    const char *name;         /**< "task": the C prefix, the file's name */
    const char *table;        /**< SQL table; NULL for endpoint objects */
    const char *label;        /**< "task" */
    const char *label_plural; /**< "tasks" */
    const char *help;         /**< or NULL */
    const kiln_field *fields; /**< in declaration order; a model's first
                                   field is its primary key "id" */
    uint32_t nfields;
    uint32_t size;             /**< sizeof the C struct (0 in the loader) */
    const kiln_index *indexes; /**< indexes and unique constraints,
                                    the fields' own included */
    uint32_t nindexes;
    const char *const *ordering; /**< default order: "-due", "title" */
    uint32_t nordering;
    uint32_t flags;                /**< KILN_MF_* */
    const char *renamed_from;      /**< migration hint: the old table */
    const char *file;              /**< "models/task.toml" */
    const kiln_model_api *api;     /**< its generated CRUD API, or NULL */
    const kiln_model_admin *admin; /**< its [admin] table, or NULL */
};

/** One response an endpoint schema declares (for the OpenAPI document). */
typedef struct kiln_response {
    int status;              /**< 200, 201, 204... */
    const kiln_model *model; /**< the body's model, or NULL (no body) */
    bool list;               /**< a JSON array of model */
    const char *description; /**< or NULL */
} kiln_response;

/**
 * An endpoint schema: what one method of an api/ route takes and answers
 * (api/NAME.toml beside api/NAME.c). Kiln decodes and validates the path
 * parameters, the query and the body into one struct in the request's
 * arena before the handler runs (kiln_input); a path parameter that does
 * not fit is a 404, everything else a 422 listing every failing field.
 */
typedef struct kiln_endpoint {
    const char *method;      /**< "POST" */
    const char *route;       /**< its route ("/api/posts/{id}/like") */
    const char *name;        /**< the C prefix of its input ("like") */
    const char *summary;     /**< or NULL */
    const char *description; /**< or NULL */
    const kiln_model *path;  /**< path parameters, or NULL */
    const kiln_model *query; /**< query parameters, or NULL */
    const kiln_model *body;  /**< the body, or NULL (none is read) */
    uint32_t path_offset;    /**< of each part in the input struct */
    uint32_t query_offset;
    uint32_t body_offset;
    uint32_t size;     /**< sizeof the input struct */
    uint8_t body_mode; /**< kiln_decode_mode of the body */
    const kiln_response *responses;
    uint32_t nresponses;
    const char *file; /**< "api/posts/[id]/like.toml" */
    int line;         /**< of the method's table */
    /** requests are rate limited ("10/s burst 20", kiln/rate.h), or NULL */
    const char *rate;
    /** what a client is for that limit ("ip", "token", "header:NAME"...),
        or NULL: the rate.key setting */
    const char *rate_by;
    /** GET: responses are cached (kiln/cache.h), or NULL */
    const struct kiln_cache_rule *cache;
    /** csrf = false: the route skips the CSRF check (kiln/session.h) */
    bool csrf_exempt;
    /** who may call it: "login", "perm:MODEL.ACTION", "role:NAME"
        (kiln/perm.h), or NULL: anybody */
    const char *auth;
} kiln_endpoint;

/** The index of field name in m, or -1. */
int kiln_model_field(const kiln_model *m, kiln_str name);

/* ---- decoding -------------------------------------------------------- */

/** How a decode treats absent fields. */
typedef enum kiln_decode_mode {
    /** A new row (POST): every required field must be given; defaults
        fill the rest; read-only fields are ignored. */
    KILN_DECODE_CREATE,
    /** A full replacement (PUT): as CREATE. */
    KILN_DECODE_REPLACE,
    /** A partial update (PATCH, JSON Merge Patch, RFC 7396): only the
        fields given are set; null sets an optional field to NULL. */
    KILN_DECODE_PATCH
} kiln_decode_mode;

/** Which fields an input gave (bit i: field i of the model). */
typedef struct kiln_fieldset {
    uint64_t bits[4]; /**< public: 256 fields at most per model */
} kiln_fieldset;

/** True when field i is in the set. */
static inline bool kiln_fieldset_has(const kiln_fieldset *s, unsigned i)
{
    return i < 256 && (s->bits[i / 64] >> (i % 64)) & 1;
}

/** Adds field i to the set (a write of fields set in C: task_patch). */
static inline void kiln_fieldset_add(kiln_fieldset *s, unsigned i)
{
    if (i < 256)
        s->bits[i / 64] |= (uint64_t)1 << (i % 64);
}

/** A decode's options. Zero-filled: CREATE, defaults. */
typedef struct kiln_decode_opts {
    kiln_decode_mode mode;
    /** kiln_decode_form of a query string, not an HTML form: an absent bool
        or list is absent (NULL when optional, else required or its
        default), not false or empty as an unchecked box is */
    bool query;
    int max_depth; /**< arrays and objects open at once, described by the
                        model or not (0: 64); deeper JSON is KILN_EPARSE,
                        a deeper form name an "unknown_field". The levels
                        the model describes stop at 128 whatever this is
                        (the decoders recurse over them). */
} kiln_decode_opts;

/**
 * Decodes the JSON text p[0..n) into *out (a struct of m->size bytes,
 * zero-filled first) as model m, validating as it parses, in one pass and
 * without building a tree. Every failing field is added to errs (with its
 * JSON Pointer); parsing continues after a wrong value, so one request
 * reports all of them. Strings and lists are allocated from a (or view p,
 * which must outlive *out).
 *
 * Read-only fields in the input are skipped (never set, never in *given;
 * their defaults apply); a key twice is an error ("duplicate_field"); an
 * unknown key is one unless m allows them. *given is filled in every mode,
 * top-level fields only; a nested object is always decoded whole (also in
 * PATCH). Scratch memory is freed before returning.
 *
 * Returns 0 (valid: *out is filled, *given says which fields the input
 * had; given may be NULL); KILN_EINVAL when errs got errors (422);
 * KILN_EPARSE when p is not JSON at all (perr, when not NULL, gives the
 * byte offset and why: 400); KILN_ENOMEM. The top level must be an object
 * (else one error with pointer "" and code "type").
 */
int kiln_decode_json(const kiln_model *m, const char *p, size_t n,
                     const kiln_decode_opts *o, kiln_arena *a, void *out,
                     kiln_fieldset *given, kiln_errors *errs,
                     kiln_json_error *perr);

/**
 * Decodes form fields (urlencoded or multipart, see kiln_form_fields) into
 * *out as model m with the same validation: each value is coerced by its
 * field's type ("on"/"true"/"1"/"yes" and "off"/"false"/"0"/"no", any
 * case, for bool; ASCII whitespace around values trimmed, but for the
 * string types); an empty value of an optional field is NULL; "a.b" and
 * "a[0].b" names reach nested fields; a repeated name (or "name[]") fills
 * a many or list field, and a field of one value keeps the last; file
 * parts go to file fields (a part with no file chosen counts as none). In
 * CREATE and REPLACE an absent bool is false and an absent many or list
 * of values empty, as HTML forms send nothing for them. Strings view the
 * fields' values, which must outlive *out. Returns as kiln_decode_json
 * (never KILN_EPARSE).
 */
int kiln_decode_form(const kiln_model *m, const kiln_form_field *fields,
                     size_t nfields, const kiln_decode_opts *o, kiln_arena *a,
                     void *out, kiln_fieldset *given, kiln_errors *errs);

/**
 * A handler's whole input path in one call: reads the request body by its
 * Content-Type (application/json, application/x-www-form-urlencoded or
 * multipart/form-data, for any method) into *out as model m.
 * Returns true when *out is valid. Otherwise it has answered: 400
 * problem+json for a body that does not parse (with the byte offset for
 * JSON), 415 for another Content-Type, 413 past a limit, 422 with every
 * failing field; the handler just returns 0.
 */
bool kiln_decode_body(kiln_ctx *c, const kiln_model *m,
                      const kiln_decode_opts *o, void *out,
                      kiln_fieldset *given);

/**
 * kiln_decode_body for a caller that answers field errors itself (a page
 * action re-rendering its form with kiln_page_invalid): returns 0 when
 * *out is valid; KILN_EINVAL when the body was read but fields failed:
 * errs lists every one and nothing has been answered; any other negative
 * code when the body could not be read at all (not JSON, another
 * Content-Type, past a limit): that has been answered (400, 413, 415,
 * 500) and the handler returns 0.
 */
int kiln_decode_input(kiln_ctx *c, const kiln_model *m,
                      const kiln_decode_opts *o, void *out,
                      kiln_fieldset *given, kiln_errors *errs);

/**
 * Checks a struct filled in C against m's constraints (lengths, bounds,
 * patterns, enum range, emails, URLs), adding every failure to errs with
 * pointers under prefix ("" for the top). Returns 0, KILN_EINVAL or
 * KILN_ENOMEM.
 */
int kiln_validate(const kiln_model *m, const void *obj, const char *prefix,
                  kiln_errors *errs);

/**
 * Sets every field of *out (m->size bytes) to its default (def, the current
 * date or time, a random UUID) and the rest, NULL included, to zero; nested
 * objects get theirs. Strings, lists and json text a default needs are
 * allocated from a (or view the model's def text). Returns 0, KILN_ENOMEM,
 * or KILN_EIO when no random UUID can be drawn.
 */
int kiln_defaults(const kiln_model *m, kiln_arena *a, void *out);

/* ---- encoding -------------------------------------------------------- */

/**
 * Appends obj as a JSON object: fields in declaration order, write-only
 * fields left out, NULL as null, decimals as strings, dates and times as
 * RFC 3339 text, enums by name, json fields as their text, many fields as
 * arrays of ids. Returns 0 or KILN_ENOMEM.
 */
int kiln_encode_json(const kiln_model *m, const void *obj, kiln_buf *b);
/** Appends a JSON array of the n structs at items. */
int kiln_encode_json_list(const kiln_model *m, const void *items, size_t n,
                          kiln_buf *b);

/**
 * Answers obj as application/json with status (kiln_encode_json into the
 * response body). Returns what kiln_send returns.
 */
int kiln_send_model(kiln_ctx *c, int status, const kiln_model *m,
                    const void *obj);
/** Answers a JSON array of the n structs at items, as kiln_send_model. */
int kiln_send_model_list(kiln_ctx *c, int status, const kiln_model *m,
                         const void *items, size_t n);

#ifdef __cplusplus
}
#endif
#endif
