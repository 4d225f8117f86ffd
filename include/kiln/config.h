/*
 * kiln/config.h - an app's settings: one table of known keys, each with a
 * type, a default and a one-line description, filled from (lowest to
 * highest precedence)
 *
 *   defaults < kiln.toml < .env (development only) < environment < flags
 *
 *   [server]   host, port, workers, header_timeout_ms, idle_timeout_ms,
 *              body_timeout_ms, drain_timeout_ms, max_body, max_target,
 *              max_header_bytes, max_headers, max_connections
 *   [database] url
 *   [app]      name, debug, secret_key
 *   [static]   dir, url, embed, max_age
 *   [logging]  level, access_log
 *   [tasks]    workers, only, queues, lease_ms, poll_ms, timeout_ms,
 *              max_attempts, retry_min_ms, retry_max_ms, keep_done_hours,
 *              and the table [tasks.periodic] (kiln.toml only)
 *   [roles]    ROLE = ["model.action", ...] (kiln.toml only; docs/auth.md)
 *   [services] enabled
 *   [extra]    free-form keys for the app's own use (strings, numbers, bools)
 *
 * Every key "section.key" is overridden by the environment variable
 * KILN_<SECTION>_<KEY> (upper case), and by the flag --set section.key=VALUE;
 * the common ones also have short flags (--host, --port, --workers, ...).
 * An unknown key or a value of the wrong type is an error naming the key,
 * where it was written (kiln.toml:LINE:COL, .env:LINE, the variable or the
 * flag) and the nearest valid key. Variables KILN_* whose first part is
 * not a section (KILN_ROOT, KILN_READY_FD...) are not settings and are
 * ignored. docs/settings.md lists every key with its type and default.
 *
 *   kiln_settings *s;
 *   char err[512];
 *   kiln_settings_in in = {.root = ".", .dev = true, .argc = argc,
 *                          .argv = argv};
 *   if (kiln_settings_load(&in, &s, err, sizeof err) < 0)
 *       fprintf(stderr, "%s\n", err), exit(2);
 *   int64_t port = kiln_settings_int(s, "server.port");
 */
#ifndef KILN_CONFIG_H
#define KILN_CONFIG_H

#include "app.h"
#include "tasks.h"

#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Loaded settings. Opaque and read-only once loaded; free with
    kiln_settings_free. Strings returned by getters are owned by it. */
typedef struct kiln_settings kiln_settings;

/** Where settings come from. */
typedef struct kiln_settings_in {
    /** The project folder: kiln.toml and .env are looked for here, and the
        development secret key is kept in <root>/.kiln/secret_key.
        NULL means ".". */
    const char *root;
    /** An explicit settings file (must exist; a relative path is relative
        to the current folder, and messages name it as given); NULL:
        <root>/kiln.toml when present (it is optional). */
    const char *toml_path;
    /** Development mode: <root>/.env is read, app.debug defaults to true,
        and a missing app.secret_key is generated (and kept). The --dev
        flag does not set this: the caller decides. */
    bool dev;
    /** Command-line flags, applied last. argv[0] is skipped. Flags that
        are not settings (see kiln_settings_load) are an error. */
    int argc;
    char **argv;
    /** The environment ("NAME=value" strings, NULL-terminated); NULL means
        the process environment, and then the non-KILN_ entries of .env are
        also added to it with setenv(name, value, 0): a variable already set
        keeps its value. With envp given, the process environment is never
        changed. */
    char **envp;
} kiln_settings_in;

/**
 * Loads the settings. Flags understood: --set section.key=VALUE (repeat
 * it; extra.NAME=VALUE sets a free key), --host, --port, --workers,
 * --header-timeout-ms, --idle-timeout-ms, --body-timeout-ms, --drain-ms,
 * --max-body, --access-log, --db URL, --debug, --config FILE (wins over
 * toml_path), --help (or -h). A flag's value follows as "--port=80" or
 * "--port 80"; the boolean flags --access-log and --debug mean true alone
 * and take a value only as "--debug=false". --dev and --root DIR belong to
 * the caller and are skipped. Anything else is an error ("unknown option
 * '--x' (see --help)"), and so is a bare argument.
 *
 * Returns 0 with *out set (the caller frees it), 1 when --help was printed
 * to stdout (*out NULL), or KILN_EINVAL (a bad key, value or flag, or a
 * malformed file) / KILN_EIO (a file that exists but cannot be read) /
 * KILN_ENOMEM with a one-line message in err (no trailing newline; truncated
 * to errlen; err may be NULL) and *out NULL. Messages start with the place:
 * "kiln.toml:3:1: unknown key 'prot' in [server] (did you mean 'port'?)",
 * ".env:4: ...", "environment KILN_SERVER_PORT: ...", "flag --port: ...".
 *
 * In development, when no layer set app.secret_key (or set it empty), 48
 * random URL-safe characters are generated and kept in
 * <root>/.kiln/secret_key (folder 0700, file 0600), reused by later runs;
 * if that folder cannot be written the key lives for this run only (a
 * warning is logged). Its origin is "generated".
 *
 * Not thread-safe when envp is NULL and .env adds variables (setenv).
 */
int kiln_settings_load(const kiln_settings_in *in, kiln_settings **out,
                       char *err, size_t errlen);

/** Frees settings loaded by kiln_settings_load (NULL is fine). */
void kiln_settings_free(kiln_settings *s);

/**
 * Checks what a production run needs: app.secret_key set (not generated),
 * at least 32 characters, not a placeholder (containing "changeme",
 * "secret", "insecure" or "example" in any case, or one character
 * repeated). Returns 0, or KILN_EINVAL with a message in err saying where
 * the key came from and how to set one; the key itself is never shown.
 * Development runs skip this.
 */
int kiln_settings_check_production(const kiln_settings *s, char *err,
                                   size_t errlen);

/*
 * Getters. key is "section.key" as in the table (exact case) or
 * "extra.NAME" (NAME matched ignoring case). s may be NULL.
 */

/** The integer value of key ("server.port"), sizes in bytes; an extra key
    whose text is a decimal integer; else 0. */
int64_t kiln_settings_int(const kiln_settings *s, const char *key);
/** The boolean value of key (an extra key written true/false/1/0/yes/no/
    on/off); false for an unknown key. */
bool kiln_settings_bool(const kiln_settings *s, const char *key);
/** The value of key as text: strings as given, ints and sizes in decimal
    (max_body = "10MiB" reads "10485760"), booleans "true"/"false"; NULL
    when the key is unknown or unset (only app.secret_key has no default).
    Owned by s. */
const char *kiln_settings_str(const kiln_settings *s, const char *key);
/**
 * Where the value of key came from: "default", "kiln.toml:12",
 * ".env:3", "env KILN_SERVER_PORT", "flag --port", "generated".
 * NULL for an unknown key. Owned by s.
 */
const char *kiln_settings_origin(const kiln_settings *s, const char *key);
/** True when loaded in development mode. */
bool kiln_settings_dev(const kiln_settings *s);

/**
 * Fills o (already defaulted) from the server.* keys, logging.access_log
 * and tasks.only; server.workers 0 keeps o->workers (one per core).
 * o->host then points into s: keep s until o is no longer used.
 * stack_size is left alone.
 */
void kiln_settings_server_opts(const kiln_settings *s, kiln_server_opts *o);

/**
 * The periodic tasks of [tasks.periodic] (kiln.toml only: the environment
 * and flags do not set them), each checked when the file was loaded (a
 * cron expression, names, a payload written as JSON). Sets *out to the
 * array (owned by s) and returns its length.
 */
size_t kiln_settings_periodic(const kiln_settings *s,
                              const kiln_periodic **out);

/** A role of [roles] in kiln.toml (docs/auth.md, "Roles"). Owned by the
    settings that loaded it. */
typedef struct kiln_role {
    const char *name;         /**< "editor" */
    const char *const *perms; /**< "task.view", "task.*", "*.view", "*" */
    size_t nperms;
    const int *lines, *cols; /**< where each permission is written */
    const char *file;        /**< "kiln.toml" */
    int line, col;           /**< where the role is written */
} kiln_role;

/**
 * The roles of [roles] (kiln.toml only), each permission's form checked
 * when the file was loaded (whether its model exists is checked when the
 * app starts: kiln/perm.h). Sets *out to the array (owned by s) and
 * returns its length (0: no [roles]).
 */
size_t kiln_settings_roles(const kiln_settings *s, const kiln_role **out);

/**
 * Fills o (defaulted with kiln_tasks_opts_default) from the tasks.* and
 * services.* keys and [tasks.periodic]. Strings point into s: keep s while
 * o is used (kiln_app_tasks copies what it keeps).
 */
void kiln_settings_tasks_opts(const kiln_settings *s, kiln_tasks_opts *o);

/**
 * Prints every setting, one per line, "section.key = value  # origin",
 * in table order (server, database, app, static, logging, then the extra
 * keys), values as TOML; a secret that is set is shown as "********" (still
 * with its origin), an unset string as "".
 */
void kiln_settings_print(const kiln_settings *s, FILE *f);

/** Prints the settings flags (for --help), one per line. */
void kiln_settings_usage(FILE *f);

#ifdef __cplusplus
}
#endif
#endif
