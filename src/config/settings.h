/*
 * config/settings.h - internals of the settings layer (include/kiln/config.h)
 * shared by its three files:
 *
 *   settings_keys.c  the table of known keys, key lookup with "did you
 *                    mean" suggestions, and the parsers of text values
 *                    (ints with ranges, booleans, sizes with units);
 *   dotenv.c         the .env parser, a pure function over bytes;
 *   settings.c       loading (the layers and their precedence), the
 *                    development secret key, getters, printing.
 *
 * Prefix settings_ (and dotenv_) for internal names; nothing here is public.
 */
#ifndef KILN_CONFIG_SETTINGS_H
#define KILN_CONFIG_SETTINGS_H

#include <kiln/core.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** The type of a known key's value. */
typedef enum settings_type {
    SETTINGS_STRING,
    SETTINGS_INT,  /**< a TOML integer; ranged by min..max */
    SETTINGS_BOOL, /**< a TOML boolean; as text true/false/1/0/yes/no/on/off */
    SETTINGS_SIZE  /**< bytes: an integer or a string "10MiB"; min..max */
} settings_type;

/** One known key. The table is static and read-only. */
typedef struct settings_key {
    const char *section; /**< "server" */
    const char *key;     /**< "port" */
    const char *name;    /**< "server.port" */
    settings_type type;
    const char *def;  /**< default as text; NULL: unset (or, for app.debug,
                           the development flag) */
    int64_t min, max; /**< inclusive range of SETTINGS_INT / SETTINGS_SIZE */
    const char *flag; /**< short flag ("--port") or NULL */
    const char *help; /**< one line, for --help and the docs */
    bool secret;      /**< value masked by kiln_settings_print */
    const char *const *choices; /**< SETTINGS_STRING: the allowed values
                                     (NULL-terminated, matched ignoring case),
                                     or NULL for any text */
} settings_key;

/** The known keys in table order (sections grouped), and their count. */
extern const settings_key settings_keys[];
extern const size_t settings_nkeys;

/** The known sections in table order, "extra" last; NULL-terminated. */
extern const char *const settings_sections[];

/** Index of section.key (both exact, n bytes each), or -1. */
int settings_key_find(const char *section, size_t sn, const char *key,
                      size_t kn);

/** Index of a dotted name "server.port" (exact), or -1. */
int settings_key_find_name(const char *name);

/**
 * The known key closest to key (compared case-insensitively, by optimal
 * string alignment distance) when it is close enough to be a likely typo,
 * else -1. A key of section wins a tie; section may be NULL. When full is
 * true, key is a dotted "section.key" compared with whole names.
 */
int settings_key_suggest(const char *section, const char *key, size_t kn,
                         bool full);

/** The known section closest to s (n bytes), or NULL. */
const char *settings_section_suggest(const char *s, size_t n);

/**
 * Optimal string alignment distance (Damerau-Levenshtein with adjacent
 * transpositions) between a and b, ignoring ASCII case. Strings longer than
 * 64 bytes give a large distance.
 */
size_t settings_distance(const char *a, size_t an, const char *b, size_t bn);

/**
 * A parsed value. text is the canonical text form: strings as given, ints
 * and sizes in decimal, booleans "true"/"false".
 */
typedef struct settings_parsed {
    int64_t i;        /**< SETTINGS_INT, SETTINGS_SIZE, SETTINGS_BOOL (0/1) */
    bool b;           /**< SETTINGS_BOOL */
    const char *text; /**< SETTINGS_STRING with choices: the canonical
                           spelling (static); else NULL */
} settings_parsed;

/**
 * Parses the text s (n bytes) as a value of key k. Returns 0 with *out
 * filled, or KILN_EINVAL with a message in why naming the key, e.g.
 * "server.port must be between 1 and 65535, not 70000" or
 * "server.max_body: unknown size unit 'XB' (use B, kB, KiB, MB, MiB, GB,
 * GiB, TB or TiB)". SETTINGS_STRING accepts any text without a NUL byte.
 */
int settings_parse_text(const settings_key *k, const char *s, size_t n,
                        settings_parsed *out, char *why, size_t whylen);

/**
 * Checks an integer v (from a TOML integer) against the range of k.
 * Returns 0 or KILN_EINVAL with a message in why.
 */
int settings_check_range(const settings_key *k, int64_t v, char *why,
                         size_t whylen);

/**
 * Parses a size: a decimal integer with an optional unit (B, kB, KiB, MB,
 * MiB, GB, GiB, TB, TiB; case-insensitive; spaces allowed between). Returns
 * 0 with *out set, or KILN_EINVAL with a message (not naming a key) in why
 * for an empty, negative, malformed or overflowing size, or an unknown unit.
 */
int settings_parse_size(const char *s, size_t n, int64_t *out, char *why,
                        size_t whylen);

/** Parses true/false/1/0/yes/no/on/off (case-insensitive); 0 or -1. */
int settings_parse_bool(const char *s, size_t n, bool *out);

/* ---- [tasks.periodic] (settings_periodic.c) ---------------------------- */

struct toml_value;
struct kiln_periodic;

/**
 * Reads the periodic tasks of [tasks.periodic] (v, in file) into an array
 * of *n entries in a (their strings too), checking each: a cron string, or
 * a table of cron, task, payload (written as JSON), queue, priority.
 * Returns 0, KILN_EINVAL with "FILE:LINE:COL: message" in err, or
 * KILN_ENOMEM.
 */
int settings_periodic_read(kiln_arena *a, const char *file,
                           const struct toml_value *v,
                           struct kiln_periodic **out, size_t *n, char *err,
                           size_t errlen);

/* ---- [roles] (settings_roles.c) --------------------------------------- */

struct kiln_role;

/**
 * Reads the roles of [roles] (v, in file) into an array of *n entries in
 * a (their strings too), checking the form of each permission
 * (settings_perm_form_ok). Returns 0, KILN_EINVAL with "FILE:LINE:COL:
 * message" in err, or KILN_ENOMEM.
 */
int settings_roles_read(kiln_arena *a, const char *file,
                        const struct toml_value *v, struct kiln_role **out,
                        size_t *n, char *err, size_t errlen);

/**
 * True when p (n bytes) has the form of a permission: "*", "*.ACTION" or
 * "MODEL.ACTION" with ACTION view, add, change, delete or '*', MODEL
 * lower-case letters, digits and '_'. Else false with *why (static text,
 * to follow the permission in a message).
 */
bool settings_perm_form_ok(const char *p, size_t n, const char **why);

/* ---- .env ------------------------------------------------------------- */

/** One NAME=VALUE line of a .env file. Strings are in the caller's arena. */
typedef struct dotenv_entry {
    const char *name;  /**< NUL-terminated */
    const char *value; /**< NUL-terminated, decoded */
    int line;          /**< 1-based */
} dotenv_entry;

/**
 * Parses a .env file src[0..n). Grammar per line: blank, or a '#' comment,
 * or [export ]NAME=VALUE with NAME matching [A-Za-z_][A-Za-z0-9_]* and
 * optional blanks around '='. VALUE is 'literal' (no escapes), "double
 * quoted" (escapes \n \r \t \" \\ decoded; other backslashes kept), or
 * unquoted: trimmed, ending at a '#' that follows a blank. A quoted value
 * may be followed only by blanks and a comment. Quoted values do not span
 * lines. CRLF line ends are accepted.
 *
 * On success returns 0 with *out an array of *count entries allocated in a
 * (as their strings). On a malformed line returns KILN_EPARSE with
 * "FILE:LINE: message" in err (file names the file in messages) and
 * KILN_ENOMEM when a fails.
 */
int dotenv_parse(kiln_arena *a, const char *src, size_t n, const char *file,
                 dotenv_entry **out, size_t *count, char *err, size_t errlen);

#endif
