/*
 * cli/cli.h - what the `kiln` commands share: messages, paths, processes,
 * the project scan (file-system routing) and the build.
 *
 * Every command is `int cmd_<name>(int argc, char **argv)` (argv[0] is the
 * command's name) returning the exit status: 0, 1 for a failure reported
 * with one line "kiln <cmd>: reason", 2 for a usage error.
 */
#ifndef KILN_CLI_H
#define KILN_CLI_H

#include <kiln.h>

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/* ---- messages ------------------------------------------------------------ */

/** The command being run ("dev"), for messages. */
extern const char *cli_cmd;
/** Prints "kiln <cmd>: <message>" to stderr; returns 1. */
int cli_fail(const char *fmt, ...) KILN_PRINTF(1, 2);
/** Prints the one line "kiln <cmd>: <message> (see 'kiln <cmd> --help')";
    returns 2. */
int cli_usage_error(const char *fmt, ...) KILN_PRINTF(1, 2);
/** The usage error for an argument the command does not take: "unknown
    option '--x'" or "unexpected argument 'x'"; returns 2. */
int cli_unknown_option(const char *arg);
/**
 * The candidate nearest to word (by kiln_str_distance) when it is close
 * enough to be a likely typo of it (about a third of word's letters), else
 * NULL. cands holds n strings (NULL entries are skipped); the result is one
 * of them.
 */
const char *cli_suggest(const char *word, const char *const *cands, size_t n);
/**
 * Checks argv[1..argc) as the app's flags (kiln_settings_load's: --port,
 * --set section.key=VALUE, ...), alone: no settings file, environment or
 * .env. Returns 0, -1 when --help was among them (the settings usage was
 * printed), or 2 after printing a one-line reason ("unknown option
 * '--prot' (did you mean '--port'?)").
 */
int cli_check_app_flags(int argc, char **argv);
/** Prints a progress line "  <message>" to stderr (unless quiet). */
void cli_progress(const char *fmt, ...) KILN_PRINTF(1, 2);
/** True when progress lines are suppressed (KILN_QUIET=1). */
extern bool cli_quiet;
/** True when argv has -h or --help (the command then prints its help). */
bool cli_wants_help(int argc, char **argv);

/* ---- files --------------------------------------------------------------- */

/**
 * snprintf for paths: 0, or -1 with errno ENAMETOOLONG when the result did
 * not fit (out then holds "" so that it names nothing).
 */
int cli_pathf(char *out, size_t n, const char *fmt, ...) KILN_PRINTF(3, 4);
/** mkdir -p with mode 0755; 0 or -1 (errno set). */
int cli_mkdirs(const char *path);
/** Writes data to path through a temporary file and rename(2), so readers
    never see half a file. Returns 0 or -1 (errno set). */
int cli_write_file(const char *path, const void *data, size_t n, int mode);
/** Writes path only when its contents differ; 1 written, 0 same, -1 error. */
int cli_write_if_changed(const char *path, const void *data, size_t n);
/** Modification time of path in nanoseconds, or -1 when missing. */
long long cli_mtime(const char *path);
/** True when path is a folder. */
bool cli_is_dir(const char *path);
/** True when path exists (any type, symlinks not followed). */
bool cli_exists(const char *path);
/** Number of online cores (at least 1). */
int cli_ncpu(void);

/* ---- a growable array of strings ---------------------------------------- */

/** Strings owned by the list (each malloc'd). */
typedef struct cli_strs {
    char **v;
    size_t n, cap;
} cli_strs;
/** Appends a copy of s (printf-style); 0 or -1 on allocation failure. */
int cli_strs_addf(cli_strs *l, const char *fmt, ...) KILN_PRINTF(2, 3);
/** Frees every string and the array. */
void cli_strs_free(cli_strs *l);

/* ---- the project --------------------------------------------------------- */

/**
 * Finds the project folder: the nearest folder from the current one upward
 * holding kiln.toml, else the current folder when it has api/ or pages/.
 * Writes its absolute path into root. Returns 0, or 1 with a message.
 */
int cli_find_root(char root[PATH_MAX]);
/** The project's name: app.name from kiln.toml if it parses, else the
    folder's base name. Writes into name (size n). */
void cli_project_name(const char *root, char *name, size_t n);

/** One route found in api/, ws/ or pages/. All strings owned by the scan. */
typedef struct cli_route {
    char method[8];
    char *pattern; /**< "/api/posts/{id}" */
    char *file;    /**< "api/posts/[id].c", relative to the root */
    char *unit;    /**< symbol prefix of a .c file; NULL for a page */
    bool page;     /**< a pages/ .html rendered for GET */
    char *loader;  /**< page: unit of the pages/ .c with KILN_LOAD, or NULL */
    char *schema;  /**< api/NAME.toml beside the .c, or NULL */
    char *input;   /**< its endpoint's name for this method (set by the
                        build once the schema is loaded), or NULL */
    char *name;    /**< its route name ("api.posts.id"; cli/names.c) */
} cli_route;

/** A route name and the path it builds. Strings owned by the scan. */
typedef struct cli_name {
    char *name;    /**< "api.posts.id", "listTasks" */
    char *pattern; /**< "/api/posts/{id}" */
    char *file;    /**< where it comes from, for messages */
} cli_name;

/**
 * Checks what every command that reads the project relies on, before it
 * builds, serves or prints anything: today kiln.toml (TOML syntax, known
 * keys, value types; not .env or the environment, which belong to a run).
 * Each problem is printed as "kiln <cmd>: kiln.toml:3:15: message". Returns
 * 0, or 1 when something is wrong. cli/project.c keeps the list of checks.
 */
int cli_check_project(const char *root);
/**
 * As cli_check_project, but appends each problem as one line (without the
 * "kiln <cmd>: " prefix) to errs instead of printing it. Returns 0 or 1.
 */
int cli_check_project_into(const char *root, cli_strs *errs);

/** A task of tasks/ or a service of services/. Strings owned by the scan. */
typedef struct cli_job {
    char *name; /**< "email/welcome": the path below tasks/ without .c */
    char *file; /**< "tasks/email/welcome.c", relative to the root */
    char *unit; /**< its KILN_UNIT symbol */
} cli_job;

/** The result of scanning a project. */
typedef struct cli_scan {
    cli_route *routes; /**< sorted by pattern, then method */
    size_t nroutes;
    cli_strs sources;   /**< every .c to compile, relative to the root */
    cli_strs units;     /**< KILN_UNIT of each source (parallel to sources) */
    cli_strs pages;     /**< every pages/ .html (routed or not) */
    cli_strs templates; /**< every file under templates/ */
    cli_strs loaders;   /**< pages/ .c files defining KILN_LOAD */
    cli_job *tasks;     /**< tasks/NAME.c with KILN_TASK, sorted by name */
    size_t ntasks;
    cli_job *services; /**< services/NAME.c with KILN_SERVICE */
    size_t nservices;
    cli_name *names; /**< every route name, in the routes' order (generated
                          routes' names appended by cli_scan_name) */
    size_t nnames;
    cli_strs errors; /**< build errors: "api/a.c: ..." (empty when fine) */
    /** set by the build when it wrote gen/openapi.c: the route table then
        serves GET /api/openapi.json */
    bool openapi;
    /** and when that file has the /api/docs page (cli_apidocs_routes) */
    bool apidocs;
} cli_scan;

/**
 * Scans root's api/, ws/, pages/, tasks/ and services/ (a missing folder
 * is fine). Conventions that break the rules, route conflicts (naming both
 * files), .c files without a handler (or task, or service), ws/ files with
 * anything but KILN_WS and a macro in the wrong folder are appended to
 * s->errors. Returns 0 (look at s->errors), or -1 when memory or a folder
 * read failed (also in s->errors).
 */
int cli_scan_project(const char *root, cli_scan *s);
/** Frees what a scan holds. */
void cli_scan_free(cli_scan *s);
/** Prints the scan's errors to stderr, "kiln <cmd>: error: ..." each. */
void cli_scan_report(const cli_scan *s);
/** The KILN_UNIT symbol for a source path (malloc'd, caller frees). */
char *cli_unit_symbol(const char *relpath);

/* ---- route names (names.c) ----------------------------------------------- */

/**
 * The name routed file rel ("api/posts/[id].c", "pages/index.html") gets
 * from its path (the rule at the top of cli/names.c), into out (size cap).
 * Returns 0, or -1 when it is not a valid name (kiln_route_name_ok; out
 * then holds what the path gave) or does not fit.
 */
int cli_route_name(const char *rel, char *out, size_t cap);
/**
 * Finds KILN_NAME("...") in the C source src, outside comments and
 * strings. Returns 0 when there is none, 1 with *name (malloc'd, caller
 * frees) and its 1-based *line and *col, or -1 with "LINE:COL: reason" in
 * err: not one plain string literal, not a valid name, a second one.
 */
int cli_find_kiln_name(const char *src, char **name, int *line, int *col,
                       char *err, size_t errlen);
/**
 * Adds name -> pattern, from file (for messages), to s->names: the one
 * table behind `kiln routes`, gen/routes.h and the templates' url() check.
 * The generated CRUD routes call it with their operationIds ("listTasks",
 * "/api/tasks", "models/task.toml") before cli_check_templates runs (see
 * cli_scan_project). The same name for another pattern, or two names
 * making the same C function, is added to s->errors naming both files.
 * Returns 0, or -1 when memory ran out.
 */
int cli_scan_name(cli_scan *s, const char *name, const char *pattern,
                  const char *file);
/**
 * Names every route of s (r->name): its .c file's KILN_NAME (a page: the
 * .c beside it), else its path's name; each name goes through
 * cli_scan_name. Problems go to s->errors. Returns 0, or -1 (memory).
 */
int cli_name_routes(const char *root, cli_scan *s);
/**
 * Writes gen/routes.h for s: one static inline function per name,
 * url_<name with '.' and '-' as '_'>(kiln_ctx *c, params...), calling
 * kiln_url. project names the project in the header comment.
 */
void cli_emit_route_names(const char *project, const cli_scan *s, kiln_buf *h);

/* ---- the build ----------------------------------------------------------- */

struct model_set;

/** How to build. */
typedef struct cli_build_opts {
    bool release;      /**< -O2, pages compiled in, to dist/<name> */
    bool embed_static; /**< also compile static/ in (release only) */
    /** release only: the frontend.spa folder (relative to the project,
        or absolute) compiled in as the single-page app (with
        embed_static, or after kiln build ran the front end's build); NULL
        or empty: none */
    const char *spa_dir;
    bool color; /**< compiler diagnostics in colour */
    bool test;  /**< `kiln test`: the .c files of tests/ linked in, main() runs
                     them; into .kiln/test/ */
} cli_build_opts;

/** What a build produced. */
typedef struct cli_build_result {
    char binary[PATH_MAX]; /**< the linked app */
    char *log;      /**< compiler/linker output or scan errors (malloc'd) */
    int ncompiled;  /**< files compiled this time */
    bool linked;    /**< the binary was (re)linked */
    long long size; /**< the binary's size in bytes (-1: unknown) */
} cli_build_result;

/**
 * Scans and builds the project at root into root/.kiln/<dev|release>/:
 * regenerates the route table, compiles only what changed (sources newer
 * than their objects or than any header they include, or new flags), in
 * parallel, and links. Compiler output is shown on stderr as it comes and
 * kept in r->log. Returns 0, or 1 after a failure (r->log says why).
 */
int cli_build(const char *root, const cli_build_opts *o, cli_build_result *r);
/**
 * Writes the route table and main() of scan s (gen.c) into path. Returns 1
 * when written, 0 when unchanged, -1 on failure.
 */
int cli_gen_routes(const char *root, const char *name, const cli_scan *s,
                   const cli_build_opts *o, const char *path);
/**
 * Loads the endpoint schemas (api/NAME.toml) of the scan's routes into ms,
 * after its models, and names each route's input (route->input). Returns
 * 0 or an error (one line each in errs).
 */
int cli_load_endpoints(const char *root, struct model_set *ms, cli_scan *s,
                       kiln_buf *errs);
/**
 * Appends the OpenAPI 3.1 document of the loaded project (models and
 * endpoint schemas of ms, routes of s; cli/openapi.c) to out; *any (when
 * not NULL) says whether it documents any operation. Returns 0 or
 * KILN_ENOMEM.
 */
int cli_openapi_doc(const char *name, const char *root,
                    const struct model_set *ms, const cli_scan *s,
                    kiln_buf *out, bool *any);
/**
 * The folder of swagger-ui-dist's files for the /api/docs page
 * (share/openapi-docs/node_modules/swagger-ui-dist of Kiln's source, which
 * `npm ci` fills), written into dir; false when they are not installed.
 */
bool cli_apidocs_dir(char dir[PATH_MAX]);
/**
 * True when a release build of the project at root embeds the /api/docs
 * page: its settings (kiln.toml, the environment at build time) say
 * api.docs = "on". Otherwise a release carries no Swagger UI (1.9 MB).
 */
bool cli_apidocs_release(const char *root);
/** The routes of the /api/docs page; kiln_gen_apidocs_<i>_GET serves
    route i. */
extern const char *const cli_apidocs_routes[4];
/**
 * Appends the C file that compiles doc into the app and defines
 * kiln_gen_openapi_GET, its handler (gen/openapi.c); when docs (the folder
 * of cli_apidocs_dir) is not NULL, also the /api/docs page with its assets
 * compiled in and its handlers.
 */
void cli_openapi_c(const char *name, const kiln_buf *doc, bool release,
                   const char *docs, kiln_buf *c);
/** Appends the assembly that embeds the file at abs (absolute path) as the
    symbol sym, an `extern const unsigned char sym[]` (gen.c). */
void cli_put_incbin(kiln_buf *b, const char *sym, const char *abs);
/** Frees r->log. */
void cli_build_result_free(cli_build_result *r);
/**
 * Brings the TypeScript client of the loaded project (cli/types.c) into
 * folder dir: writes each file that differs (making dir), removes the
 * files an earlier run wrote that are no longer needed, and adds each of
 * those names to changed. With check, writes nothing and adds the names of
 * the files that would change. Returns 0, or -1 with a line in errs.
 */
int cli_types_sync(const char *name, const struct model_set *ms,
                   const cli_scan *s, const char *dir, bool check,
                   cli_strs *changed, kiln_buf *errs);
/**
 * Writes the TypeScript client of the project at root into its types.out
 * folder when that setting is set (kiln new and kiln build; build.c).
 * Returns 0 (also when types.out is unset), or -1 with the reason (the
 * models' or the scan's errors) in log.
 */
int cli_types_write(const char *root, kiln_buf *log);
/**
 * kiln build's front end (build.c): when root/frontend/package.json has a
 * "build" script, runs `npm ci` in frontend/ if it has no node_modules,
 * then `npm run build`, their output on stderr. Sets *built when it ran
 * the build. Returns 0 (also when there is nothing to build), or 1 after
 * saying on stderr what failed: node or npm not on PATH, package.json
 * unreadable, or npm's exit status.
 */
int cli_frontend_build(const char *root, bool *built);
/** kiln dev's part: cli_types_sync into the types.out folder when that
    setting is set (else nothing). Returns 0, or -1 with a line in log. */
int cli_types_dev(const char *root, const char *name,
                  const struct model_set *ms, const cli_scan *s, kiln_buf *log);

/* ---- generated C (emit_c.c) ---------------------------------------------- */

/** Appends s as a C string literal (escaped). */
void cli_put_cstr(kiln_buf *b, const char *s);
/** Appends s for inside a C comment (no end of comment, one line). */
void cli_put_comment(kiln_buf *b, const char *s);
/**
 * Writes the C of the models of ms: models.h (structs, enums, typed calls)
 * into h and models.c (the descriptions) into c. Returns 0.
 */
int cli_emit_models(const struct model_set *ms, kiln_buf *h, kiln_buf *c);

/* ---- commands ------------------------------------------------------------ */

int cmd_new(int argc, char **argv);
int cmd_gen(int argc, char **argv);
/** kiln gen model NAME FIELD:TYPE...: cli/gen_model.c (argv[0] "model"). */
int cli_gen_model(int argc, char **argv);
int cmd_dev(int argc, char **argv);
int cmd_build(int argc, char **argv);
int cmd_run(int argc, char **argv);
/** kiln export [--out DIR]: cli/export.c. */
int cmd_export(int argc, char **argv);
/** kiln test [-k NAME]: cli/test.c. */
int cmd_test(int argc, char **argv);
int cmd_routes(int argc, char **argv);
/** kiln openapi [--out FILE]: cli/openapi.c. */
int cmd_openapi(int argc, char **argv);
/** kiln types [--out DIR] [--check]: cli/types.c. */
int cmd_types(int argc, char **argv);
/** Compiles every template of the scanned project (cli/templates.c),
    adding each error (file:line:col, source line, caret) to s->errors;
    a literal url('name', ...) call naming no route of s->names, or
    missing or adding a parameter, is one too. */
void cli_check_templates(const char *root, cli_scan *s);
/** kiln render FILE [--context JSON] [--block NAME]: cli/render.c. */
int cmd_render(int argc, char **argv);
/**
 * The project's settings for a command that takes settings flags: finds
 * the project folder (into root), takes --prod (development settings
 * without it) and the command's own flags own[] (NULL-terminated; each one
 * present sets bit k of *seen) out of argv, and loads the rest. Returns 0
 * with *s to free with kiln_settings_free, -1 when a flag printed help
 * (exit 0), or the exit status of a failure it reported.
 */
int cli_load_settings(int argc, char **argv, const char *const *own,
                      unsigned *seen, bool *prod, char root[PATH_MAX],
                      kiln_settings **s);
/**
 * The project's database for a command on Kiln's own tables: the settings
 * as cli_load_settings loads them (no flags of the command's own), a
 * connection to their database.url, and a check that Kiln's schema part
 * `part` has at least `steps` steps applied (else "the database has no
 * WHAT yet: run kiln migrate"). Returns the connection (the caller closes
 * it with kiln_dbc_close) with *s the settings (the caller frees them with
 * kiln_settings_free, also after a failure: NULL when none were loaded);
 * or NULL with *rc the exit status after printing why (0 when a flag
 * printed help).
 */
kiln_dbc *cli_open_db(int argc, char **argv, const char *part, int steps,
                      const char *what, kiln_settings **s, int *rc);
/** kiln migrate [--status|--check]: cli/migrate.c. */
int cmd_migrate(int argc, char **argv);
/** kiln tasks [show|retry|delete|add]: cli/tasks.c. */
int cmd_tasks(int argc, char **argv);
/** kiln audit [--model M] [--id N] [--limit N] [--json]: cli/audit.c. */
int cmd_audit(int argc, char **argv);
/** kiln user create|set-password|list: cli/user.c. */
int cmd_user(int argc, char **argv);
/** kiln token create|list|revoke: cli/user.c. */
int cmd_token(int argc, char **argv);
int cmd_config(int argc, char **argv);
/** Hidden: serves an error page on an inherited socket (kiln dev). */
int cmd_errpage(int argc, char **argv);
/** Hidden: kiln __emit-models ROOT OUTDIR writes OUTDIR/models.h and
    models.c from ROOT/models (the build of the fuzz target uses it). */
int cmd_emit_models(int argc, char **argv);

/* ---- kiln dev's Vite dev server (cli/vite.c) ----------------------------- */

/* The Vite dev server kiln dev runs: its process group and output. */
typedef struct dev_vite {
    pid_t pid;       /* the npm process (its group's id), or -1 */
    int out;         /* read end of its stdout and stderr, or -1 */
    char line[4096]; /* output not yet printed (a partial line) */
    size_t n;
} dev_vite;

/* Starts `npm run dev` in ROOT/frontend when it has a package.json and
   frontend.vite is on (else does nothing and returns 0), with APP_ORIGIN
   in its environment (unless already there) naming the app at
   APP_HOST:APP_PORT (a wildcard address as 127.0.0.1). Returns 0, or -1
   after saying why it could not start. */
int vite_start(dev_vite *v, const char *root, const kiln_settings *s,
               const char *app_host, const char *app_port);
/* Prints the output Vite has written, each line after "[vite] ". */
void vite_pump(dev_vite *v);
/* True when pid (exited with status) is Vite: it is said and forgotten. */
bool vite_reaped(dev_vite *v, pid_t pid, int status);
/* Stops Vite and its children (SIGTERM, SIGKILL after 5 s) and waits. */
void vite_stop(dev_vite *v);

#endif
