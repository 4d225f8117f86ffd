/*
 * kiln/handler.h - handlers in a project's api/ (and pages/) files, one per
 * HTTP method, found by file-system routing (and the tasks of tasks/ and
 * the services of services/, below):
 *
 *   // api/posts/[id].c  ->  GET and DELETE /api/posts/{id}
 *   #include <kiln.h>
 *
 *   KILN_GET(show_post) {
 *       return kiln_jsonf(c, 200, "{id:%lld}",
 *                         (long long)kiln_param_int(c, "id", 0));
 *   }
 *   KILN_DELETE(delete_post) { return kiln_respond(c, 204, NULL, "", 0); }
 *
 * The name is the author's label for the handler: any C identifier, even
 * one that libc or the file itself already uses. KILN_GET(index) defines the
 * static function kiln_GET_index (the label after the method, so backtraces and
 * debuggers show "kiln_GET_index"), never `index` itself, so no label can
 * collide with a libc function (index, time, random...) or with the author's
 * own names. The body receives the request as `c`, which it may ignore without
 * a warning. `kiln` compiles each file with -DKILN_UNIT=<a symbol made from its
 * path>, so two files may use the same labels: each macro also defines the
 * external entry point <KILN_UNIT>_<METHOD> that the generated route table
 * calls.
 */
#ifndef KILN_HANDLER_H
#define KILN_HANDLER_H

#include "http.h"
#include "tasks.h"
#include "tpl.h"
#include "ws.h"

#define KILN__CAT2(a, b) a##_##b
#define KILN__CAT(a, b) KILN__CAT2(a, b)
/** The static function behind KILN_<M>(name): kiln_<M>_<name>. */
#define KILN__FN(M, name) kiln_##M##_##name
/** A parameter the body may leave unused. */
#define KILN__MAYBE_UNUSED __attribute__((unused))

#ifdef KILN_UNIT
/** Defines the handler for one method of this file's route. */
#define KILN__ROUTE(M, name)                                                   \
    static int KILN__FN(M, name)(kiln_ctx * c);                                \
    int KILN__CAT(KILN_UNIT, M)(kiln_ctx * c);                                 \
    int KILN__CAT(KILN_UNIT, M)(kiln_ctx * c)                                  \
    {                                                                          \
        return KILN__FN(M, name)(c);                                           \
    }                                                                          \
    static int KILN__FN(M, name)(kiln_ctx * c KILN__MAYBE_UNUSED)
#else
#define KILN__ROUTE(M, name)                                                   \
    _Static_assert(0, "KILN_" #M " is for files under api/ or pages/ built "   \
                      "by the kiln command (KILN_UNIT is not defined)");       \
    static int KILN__FN(M, name)(kiln_ctx * c KILN__MAYBE_UNUSED)
#endif

#ifdef KILN_UNIT
/**
 * In pages/NAME.c beside pages/NAME.html: fills the template's context
 * (a map) before GET renders the page:
 *
 *   KILN_LOAD(load_post) {
 *       kiln_value_set(ctx, "title", kiln_value_cstr("Hello"));
 *       return 0;                  // then the page renders
 *   }
 *
 * A loader that answers itself (kiln_problem(c, 404, ...), a redirect)
 * ends the request there; a negative return is a 500. Other KILN_<METHOD>
 * handlers in the same file answer the page's form posts (actions). As
 * with the handlers, the name is a label (the function is kiln_LOAD_name)
 * and `c` and `ctx` may go unused.
 */
#define KILN_LOAD(name)                                                        \
    static int KILN__FN(LOAD, name)(kiln_ctx * c, kiln_value ctx);             \
    int KILN__CAT(KILN_UNIT, LOAD)(kiln_ctx * c, kiln_value ctx);              \
    int KILN__CAT(KILN_UNIT, LOAD)(kiln_ctx * c, kiln_value ctx)               \
    {                                                                          \
        return KILN__FN(LOAD, name)(c, ctx);                                   \
    }                                                                          \
    static int KILN__FN(LOAD, name)(kiln_ctx * c KILN__MAYBE_UNUSED,           \
                                    kiln_value ctx KILN__MAYBE_UNUSED)
#else
#define KILN_LOAD(name)                                                        \
    _Static_assert(0, "KILN_LOAD is for pages/ files built by the kiln "       \
                      "command (KILN_UNIT is not defined)");                   \
    static int KILN__FN(LOAD, name)(kiln_ctx * c KILN__MAYBE_UNUSED,           \
                                    kiln_value ctx KILN__MAYBE_UNUSED)
#endif

#ifdef KILN_UNIT
/**
 * A WebSocket at this file's route (kiln/ws.h): GET with the upgrade.
 * Kiln checks the handshake first (400, 403, 426), then the body runs
 * with the request as `c` and the connection as `ws`:
 *
 *   KILN_WS(echo) {
 *       kiln_ws_msg m;
 *       while (kiln_ws_recv(ws, &m) == 0)
 *           kiln_ws_send(ws, m.type, m.data.p, m.data.n);
 *       return 0;
 *   }
 *
 * A file with KILN_WS has no KILN_GET (both would answer GET). The name
 * is a label (the function is kiln_WS_name); `c` and `ws` may go unused.
 */
#define KILN_WS(name)                                                          \
    static int KILN__FN(WS, name)(kiln_ctx * c, kiln_ws * ws);                 \
    int KILN__CAT(KILN_UNIT, WS)(kiln_ctx * c);                                \
    int KILN__CAT(KILN_UNIT, WS)(kiln_ctx * c)                                 \
    {                                                                          \
        return kiln_ws_serve(c, KILN__FN(WS, name));                           \
    }                                                                          \
    static int KILN__FN(WS, name)(kiln_ctx * c KILN__MAYBE_UNUSED,             \
                                  kiln_ws * ws KILN__MAYBE_UNUSED)
/**
 * In tasks/NAME.c: the task NAME (the file's path below tasks/, without
 * .c: tasks/email/welcome.c is "email/welcome"), one per file. The body
 * gets the context as `c` and the parsed payload as `payload`, and returns
 * 0 when done or a negative code for a failed attempt (kiln/tasks.h).
 * Options after the label fill its kiln_task_def:
 *
 *   KILN_TASK(welcome, .queue = "mail", .max_attempts = 8,
 *             .timeout_ms = 30000) { ... }
 *
 * It defines the static function kiln_TASK_<label> and the entry points
 * <KILN_UNIT>_TASK and <KILN_UNIT>_TASK_DEF that the generated task table
 * names.
 */
#define KILN_TASK(name, ...)                                                   \
    static int KILN__FN(TASK, name)(kiln_ctx * c, const kiln_json *payload);   \
    extern const kiln_task_def KILN__CAT(KILN_UNIT, TASK_DEF);                 \
    const kiln_task_def KILN__CAT(KILN_UNIT, TASK_DEF) = {__VA_ARGS__};        \
    int KILN__CAT(KILN_UNIT, TASK)(kiln_ctx * c, const kiln_json *payload);    \
    int KILN__CAT(KILN_UNIT, TASK)(kiln_ctx * c, const kiln_json *payload)     \
    {                                                                          \
        return KILN__FN(TASK, name)(c, payload);                               \
    }                                                                          \
    static int KILN__FN(TASK,                                                  \
                        name)(kiln_ctx * c KILN__MAYBE_UNUSED,                 \
                              const kiln_json *payload KILN__MAYBE_UNUSED)
/**
 * In services/NAME.c: the service NAME, started with the app, restarted
 * with backoff when it fails, cancelled on shutdown (kiln/tasks.h). Options
 * fill its kiln_service_def: KILN_SERVICE(consumer, .worker = 1) { ... }.
 * Defines kiln_SERVICE_<label>, <KILN_UNIT>_SERVICE and
 * <KILN_UNIT>_SERVICE_DEF.
 */
#define KILN_SERVICE(name, ...)                                                \
    static int KILN__FN(SERVICE, name)(kiln_ctx * c);                          \
    extern const kiln_service_def KILN__CAT(KILN_UNIT, SERVICE_DEF);           \
    const kiln_service_def KILN__CAT(KILN_UNIT, SERVICE_DEF) = {__VA_ARGS__};  \
    int KILN__CAT(KILN_UNIT, SERVICE)(kiln_ctx * c);                           \
    int KILN__CAT(KILN_UNIT, SERVICE)(kiln_ctx * c)                            \
    {                                                                          \
        return KILN__FN(SERVICE, name)(c);                                     \
    }                                                                          \
    static int KILN__FN(SERVICE, name)(kiln_ctx * c KILN__MAYBE_UNUSED)
#else
#define KILN_WS(name)                                                          \
    _Static_assert(0, "KILN_WS is for files under ws/ or api/ built by the "   \
                      "kiln command (KILN_UNIT is not defined)");              \
    static int KILN__FN(WS, name)(kiln_ctx * c KILN__MAYBE_UNUSED,             \
                                  kiln_ws * ws KILN__MAYBE_UNUSED)
#define KILN_TASK(name, ...)                                                   \
    _Static_assert(0, "KILN_TASK is for tasks/ files built by the kiln "       \
                      "command (a plain app calls kiln_task_define)");         \
    static int KILN__FN(TASK,                                                  \
                        name)(kiln_ctx * c KILN__MAYBE_UNUSED,                 \
                              const kiln_json *payload KILN__MAYBE_UNUSED)
#define KILN_SERVICE(name, ...)                                                \
    _Static_assert(0, "KILN_SERVICE is for services/ files built by the "      \
                      "kiln command (a plain app calls kiln_service_define)"); \
    static int KILN__FN(SERVICE, name)(kiln_ctx * c KILN__MAYBE_UNUSED)
#endif

/** GET (and HEAD, unless KILN_HEAD is also defined). */
#define KILN_GET(name) KILN__ROUTE(GET, name)
/** POST. */
#define KILN_POST(name) KILN__ROUTE(POST, name)
/** PUT. */
#define KILN_PUT(name) KILN__ROUTE(PUT, name)
/** PATCH. */
#define KILN_PATCH(name) KILN__ROUTE(PATCH, name)
/** DELETE. */
#define KILN_DELETE(name) KILN__ROUTE(DELETE, name)
/** HEAD, when it must differ from GET without a body. */
#define KILN_HEAD(name) KILN__ROUTE(HEAD, name)
/** OPTIONS, replacing the automatic answer. */
#define KILN_OPTIONS(name) KILN__ROUTE(OPTIONS, name)

/**
 * Names this file's route (every method of it) instead of the name its
 * path gives (docs/routing.md, "Route names"), at file scope:
 *   KILN_NAME("task-detail");
 * The kiln command reads the literal; the macro itself only checks that
 * it is a string literal and compiles to nothing.
 */
#define KILN_NAME(literal)                                                     \
    _Static_assert(sizeof("" literal) > 1, "KILN_NAME takes a non-empty "      \
                                           "string literal")

#endif
