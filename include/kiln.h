/*
 * kiln.h - everything an application author may use.
 *
 *   kiln/core.h  string views, arenas, buffers, errors, logging
 *   kiln/json.h  JSON writer, format helper and parser
 *   kiln/http.h  the request/response API of a handler; forms; waiting calls
 *   kiln/errors.h    the error list behind every 422
 *   kiln/schema.h    models and endpoint schemas: decoders, encoder, types
 *   kiln/app.h       routes and the server
 *   kiln/ws.h        WebSockets: upgrade, receive, send, close
 *   kiln/sse.h       server-sent events (text/event-stream)
 *   kiln/ssr.h       React components rendered by the SSR sidecar
 *   kiln/pubsub.h    publish and subscribe, across workers and instances
 *   kiln/config.h    settings (kiln.toml, .env, environment, flags)
 *   kiln/static.h    static files
 *   kiln/db.h        the data layer (SQLite, PostgreSQL)
 *   kiln/model.h     rows of a model: get, insert, update, list, links
 *   kiln/cache.h     the cache (memory, Redis) and responses cached per route
 *   kiln/rate.h      the rate limiter (token buckets, RateLimit fields)
 *   kiln/tpl.h       templates
 *   kiln/tasks.h     background tasks (the database as the queue), services
 *   kiln/project.h   what a generated project's main() calls
 *   kiln/handler.h   KILN_GET(name) { ... } and friends for api/ files
 *   kiln/page.h      page actions: a form re-rendered with its errors (422)
 *   kiln/url.h       route names: a path built from a name and parameters
 *   kiln/session.h   sessions, CSRF tokens, flash messages
 *   kiln/auth.h      the current user
 *   kiln/perm.h      roles and permissions: kiln_can, kiln_require
 *   kiln/fetch.h     outgoing HTTP requests that never block a worker
 *   kiln/oidc.h      the logged-in user's tokens of the OpenID provider
 */
#ifndef KILN_H
#define KILN_H

#include "kiln/core.h"
#include "kiln/json.h"
#include "kiln/http.h"
#include "kiln/errors.h"
#include "kiln/schema.h"
#include "kiln/app.h"
#include "kiln/ws.h"
#include "kiln/sse.h"
#include "kiln/ssr.h"
#include "kiln/pubsub.h"
#include "kiln/config.h"
#include "kiln/db.h"
#include "kiln/model.h"
#include "kiln/cache.h"
#include "kiln/rate.h"
#include "kiln/tpl.h"
#include "kiln/tasks.h"
#include "kiln/static.h"
#include "kiln/project.h"
#include "kiln/api.h"
#include "kiln/handler.h"
#include "kiln/page.h"
#include "kiln/url.h"
#include "kiln/session.h"
#include "kiln/auth.h"
#include "kiln/perm.h"
#include "kiln/fetch.h"
#include "kiln/oidc.h"
#include "kiln/admin.h"

/** The Kiln version, "MAJOR.MINOR.PATCH". */
#define KILN_VERSION "0.1.0"

#endif
