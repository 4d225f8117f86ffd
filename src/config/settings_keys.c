/*
 * config/settings_keys.c - the one table of known settings, key lookup with
 * "did you mean" suggestions, and the parsers of values written as text
 * (environment, .env, flags, and size strings in kiln.toml).
 *
 * Adding a setting is one row here (plus a getter call where it is used);
 * the loader, --help, kiln_settings_print and the KILN_<SECTION>_<KEY>
 * variable all follow from the row.
 */
#include "config/settings.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define MS_MAX 86400000 /* timeouts: at most a day */
#define I32_MAX 2147483647

static const char *const level_choices[] = {"debug", "info", "warn", "error",
                                            NULL};
static const char *const overflow_choices[] = {"close", "retry", NULL};
static const char *const cache_choices[] = {"memory", "redis", NULL};
static const char *const pubsub_choices[] = {"local", "redis", "postgres",
                                             NULL};
static const char *const docs_choices[] = {"dev", "on", "off", NULL};
static const char *const same_site_choices[] = {"lax", "strict", NULL};
static const char *const secure_choices[] = {"auto", "always", "never", NULL};
static const char *const frame_choices[] = {"deny", "sameorigin", "off", NULL};

/* clang-format off */
const settings_key settings_keys[] = {
    {"server", "host", "server.host", SETTINGS_STRING, "127.0.0.1", 0, 0,
     "--host", "listen address", false, NULL},
    {"server", "port", "server.port", SETTINGS_INT, "8000", 1, 65535,
     "--port", "listen port", false, NULL},
    {"server", "workers", "server.workers", SETTINGS_INT, "0", 0, 1024,
     "--workers", "worker threads, 0 for one per core", false, NULL},
    {"server", "header_timeout_ms", "server.header_timeout_ms", SETTINGS_INT,
     "10000", 1, MS_MAX, "--header-timeout-ms",
     "ms for the request head to arrive", false, NULL},
    {"server", "idle_timeout_ms", "server.idle_timeout_ms", SETTINGS_INT,
     "60000", 1, MS_MAX, "--idle-timeout-ms",
     "ms before an idle connection is closed", false, NULL},
    {"server", "body_timeout_ms", "server.body_timeout_ms", SETTINGS_INT,
     "30000", 1, MS_MAX, "--body-timeout-ms",
     "ms for the request body to keep arriving", false, NULL},
    {"server", "drain_timeout_ms", "server.drain_timeout_ms", SETTINGS_INT,
     "10000", 1, MS_MAX, "--drain-ms",
     "ms for requests in flight on SIGTERM", false, NULL},
    {"server", "max_body", "server.max_body", SETTINGS_SIZE, "10485760", 1,
     INT64_C(1) << 40, "--max-body", "largest request body in bytes, e.g. 10MiB",
     false, NULL},
    {"server", "max_target", "server.max_target", SETTINGS_SIZE, "8192", 1,
     I32_MAX, NULL, "longest request-target (bytes)", false, NULL},
    {"server", "max_header_bytes", "server.max_header_bytes", SETTINGS_SIZE,
     "16384", 1, I32_MAX, NULL, "largest header section (bytes)", false, NULL},
    {"server", "max_headers", "server.max_headers", SETTINGS_INT, "100", 1,
     10000, NULL, "most header fields in a request", false, NULL},
    {"server", "max_connections", "server.max_connections", SETTINGS_INT,
     "100000", 1, 10000000, NULL, "open connections per worker", false, NULL},
    {"uploads", "dir", "uploads.dir", SETTINGS_STRING, "", 0, 0,
     "--uploads-dir", "folder of temporary upload files (empty: $TMPDIR or "
     "/tmp)", false, NULL},
    {"uploads", "memory", "uploads.memory", SETTINGS_SIZE, "65536", 1,
     INT64_C(1) << 40, "--uploads-memory",
     "an uploaded file up to this size stays in memory", false, NULL},
    {"uploads", "max_file", "uploads.max_file", SETTINGS_SIZE, "104857600", 1,
     INT64_C(1) << 40, "--uploads-max-file", "largest uploaded file (bytes)",
     false, NULL},
    {"uploads", "max_parts", "uploads.max_parts", SETTINGS_INT, "1000", 1,
     1000000, "--uploads-max-parts", "most fields in a form", false, NULL},
    {"database", "url", "database.url", SETTINGS_STRING, "sqlite://./app.db",
     0, 0, "--db", "database URL", false, NULL},
    {"templates", "strict", "templates.strict", SETTINGS_BOOL, NULL, 0, 1,
     NULL, "an undefined template variable is an error (default: on in "
           "development)", false, NULL},
    {"templates", "trim_blocks", "templates.trim_blocks", SETTINGS_BOOL,
     "true", 0, 1, NULL, "drop the newline after a {% tag %} (Jinja2's "
     "trim_blocks)", false, NULL},
    {"templates", "lstrip_blocks", "templates.lstrip_blocks", SETTINGS_BOOL,
     "true", 0, 1, NULL, "drop the blanks before a {% tag %} that starts a "
     "line (Jinja2's lstrip_blocks)", false, NULL},
    {"database", "pool", "database.pool", SETTINGS_INT, "4", 1, 1000, NULL,
     "PostgreSQL connections per worker (SQLite uses one)", false, NULL},
    {"redis", "url", "redis.url", SETTINGS_STRING, "", 0, 0, NULL,
     "Redis: redis://[user:pass@]host:port/db or unix:///path?db=N (empty: "
     "none)", true, NULL},
    {"redis", "pool", "redis.pool", SETTINGS_INT, "1", 1, 64, NULL,
     "Redis connections per worker (commands are pipelined on them)", false,
     NULL},
    {"redis", "connect_timeout_ms", "redis.connect_timeout_ms", SETTINGS_INT,
     "1000", 1, MS_MAX, NULL, "ms for a connection to Redis to be made",
     false, NULL},
    {"redis", "timeout_ms", "redis.timeout_ms", SETTINGS_INT, "2000", 1,
     MS_MAX, NULL, "ms for Redis to answer a command", false, NULL},
    {"cache", "backend", "cache.backend", SETTINGS_STRING, "memory", 0, 0,
     NULL, "where the cache lives: memory (this process) or redis", false,
     cache_choices},
    {"cache", "max_bytes", "cache.max_bytes", SETTINGS_SIZE, "67108864", 4096,
     INT64_C(1) << 40, NULL, "bound of the memory cache, e.g. 64MiB", false,
     NULL},
    {"cache", "prefix", "cache.prefix", SETTINGS_STRING, "kiln:", 0, 0, NULL,
     "prefix of the app's Redis keys", false, NULL},
    {"rate", "backend", "rate.backend", SETTINGS_STRING, "", 0, 0, NULL,
     "where rate-limit buckets live: memory or redis (empty: as "
     "cache.backend)", false, NULL},
    {"rate", "max_bytes", "rate.max_bytes", SETTINGS_SIZE, "8388608", 4096,
     INT64_C(1) << 40, NULL, "bound of the memory rate limiter's buckets",
     false, NULL},
    {"rate", "key", "rate.key", SETTINGS_STRING, "ip", 0, 0, NULL,
     "what a client is for a route's limit: ip, token, user, header:NAME, "
     "cookie:NAME", false, NULL},
    {"rate", "fail_open", "rate.fail_open", SETTINGS_BOOL, "false", 0, 1, NULL,
     "allow requests when the rate limiter's store is down (else 503)", false,
     NULL},
    {"pubsub", "backend", "pubsub.backend", SETTINGS_STRING, "local", 0, 0,
     NULL, "how publications reach other instances: local (they do not), "
     "redis or postgres (LISTEN/NOTIFY)", false, pubsub_choices},
    {"pubsub", "url", "pubsub.url", SETTINGS_STRING, "", 0, 0, NULL,
     "the backend's server (empty: redis.url for redis, database.url for "
     "postgres)", true, NULL},
    {"pubsub", "channel", "pubsub.channel", SETTINGS_STRING, "kiln", 0, 0,
     NULL, "the app's name on the backend: Redis channels CHANNEL:TOPIC, the "
     "NOTIFY channel CHANNEL", false, NULL},
    {"pubsub", "queue", "pubsub.queue", SETTINGS_INT, "128", 1, 1000000, NULL,
     "publications queued per subscriber; more are dropped (counted, logged, "
     "a gap)", false, NULL},
    {"pubsub", "max_message", "pubsub.max_message", SETTINGS_SIZE, "1048576",
     1, INT64_C(1) << 30, NULL, "largest publication (bytes; postgres: under "
     "8000 with its topic)", false, NULL},
    {"pubsub", "backlog", "pubsub.backlog", SETTINGS_INT, "1000", 1, 10000000,
     NULL, "publications held while the backend connects; more are lost",
     false, NULL},
    {"pubsub", "timeout_ms", "pubsub.timeout_ms", SETTINGS_INT, "2000", 1,
     MS_MAX, NULL, "ms for the backend to connect or answer before it is "
     "reconnected", false, NULL},
    {"app", "name", "app.name", SETTINGS_STRING, "", 0, 0, NULL,
     "the app's name (empty: the project folder's name)", false, NULL},
    {"app", "debug", "app.debug", SETTINGS_BOOL, NULL, 0, 1, "--debug",
     "debug mode (default: on in development)", false, NULL},
    {"app", "secret_key", "app.secret_key", SETTINGS_STRING, NULL, 0, 0, NULL,
     "key for signing sessions and tokens (32+ characters)", true, NULL},
    {"static", "dir", "static.dir", SETTINGS_STRING, "static", 0, 0, NULL,
     "folder of static files", false, NULL},
    {"static", "url", "static.url", SETTINGS_STRING, "/static/", 0, 0, NULL,
     "URL prefix of static files", false, NULL},
    {"static", "embed", "static.embed", SETTINGS_BOOL, "false", 0, 1, NULL,
     "serve static files embedded in the binary", false, NULL},
    {"static", "max_age", "static.max_age", SETTINGS_INT, "0", 0, I32_MAX,
     NULL, "Cache-Control max-age of static files (seconds)", false, NULL},
    {"frontend", "spa", "frontend.spa", SETTINGS_STRING, "", 0, 0, NULL,
     "folder of a built single-page app with its index.html, served for GET "
     "and HEAD requests no route matches (empty: none)", false, NULL},
    {"frontend", "spa_url", "frontend.spa_url", SETTINGS_STRING, "/", 0, 0,
     NULL, "URL prefix of the single-page app (\"/app/\": it answers under "
     "/app/ only)", false, NULL},
    {"frontend", "manifest", "frontend.manifest", SETTINGS_STRING, "", 0, 0,
     NULL, "Vite's manifest.json, read at start-up for vite_assets() "
     "(\"static/dist/.vite/manifest.json\"; empty: none)", false, NULL},
    {"frontend", "assets_url", "frontend.assets_url", SETTINGS_STRING, "", 0,
     0, NULL, "URL prefix of the built files the manifest names (empty: "
     "their folder's place under static.dir, at static.url)", false, NULL},
    {"frontend", "dev_server", "frontend.dev_server", SETTINGS_STRING,
     "http://127.0.0.1:5173", 0, 0, NULL, "the Vite dev server vite_assets() "
     "points at in development (empty: the manifest, as in production)",
     false, NULL},
    {"frontend", "react_refresh", "frontend.react_refresh", SETTINGS_BOOL,
     "true", 0, 1, NULL, "in development, vite_assets() also writes "
     "@vitejs/plugin-react's fast-refresh preamble", false, NULL},
    {"frontend", "pages_entry", "frontend.pages_entry", SETTINGS_STRING,
     "src/pages.client.tsx", 0, 0, NULL, "the Vite entry (a key of the "
     "manifest) that hydrates React pages (pages/*.tsx); empty: none",
     false, NULL},
    {"frontend", "vite", "frontend.vite", SETTINGS_BOOL, "true", 0, 1, NULL,
     "kiln dev runs the Vite dev server (npm run dev in frontend/) when "
     "frontend/package.json exists", false, NULL},
    {"ssr", "enabled", "ssr.enabled", SETTINGS_BOOL, "false", 0, 1, NULL,
     "start the SSR sidecar (Node) and render components on the server",
     false, NULL},
    {"ssr", "entry", "ssr.entry", SETTINGS_STRING, "", 0, 0, NULL,
     "the sidecar's script, relative to the project (empty: "
     "frontend/ssr.mjs if it exists, else Kiln's share/ssr/server.mjs)",
     false, NULL},
    {"ssr", "components", "ssr.components", SETTINGS_STRING,
     "frontend/components", 0, 0, NULL, "the folder of component modules "
     "(or one module exporting them) the sidecar renders", false, NULL},
    {"ssr", "pages", "ssr.pages", SETTINGS_STRING,
     "frontend/dist-ssr/pages.server.js", 0, 0, NULL, "the server bundle of "
     "the React pages (npm run build:ssr), relative to the project; the "
     "sidecar loads it when it exists", false, NULL},
    {"ssr", "node", "ssr.node", SETTINGS_STRING, "node", 0, 0, NULL,
     "the Node.js program (20 or later)", false, NULL},
    {"ssr", "socket", "ssr.socket", SETTINGS_STRING, ".kiln/ssr.sock", 0, 0,
     NULL, "the sidecar's Unix socket, relative to the project", false, NULL},
    {"ssr", "pool", "ssr.pool", SETTINGS_INT, "2", 1, 64, NULL,
     "connections to the sidecar per worker", false, NULL},
    {"ssr", "timeout_ms", "ssr.timeout_ms", SETTINGS_INT, "1000", 1, MS_MAX,
     NULL, "ms a render may take before the page renders on the client",
     false, NULL},
    {"ssr", "restart_after", "ssr.restart_after", SETTINGS_INT, "2", 1, 1000,
     NULL, "timeouts in a row (no answer between) after which the sidecar "
     "is killed and started again", false, NULL},
    {"cors", "origins", "cors.origins", SETTINGS_STRING, "", 0, 0, NULL,
     "origins allowed to call the app from a browser, comma-separated "
     "(\"https://app.example.com\"; \"*\": any, without credentials; empty: "
     "none)", false, NULL},
    {"cors", "credentials", "cors.credentials", SETTINGS_BOOL, "false", 0, 1,
     NULL, "allow cookies and Authorization from those origins", false, NULL},
    {"cors", "methods", "cors.methods", SETTINGS_STRING,
     "GET, HEAD, POST, PUT, PATCH, DELETE", 0, 0, NULL,
     "methods a preflight may allow, comma-separated", false, NULL},
    {"cors", "headers", "cors.headers", SETTINGS_STRING,
     "Accept, Authorization, Content-Type", 0, 0, NULL,
     "request headers a preflight may allow, comma-separated (\"*\": any, "
     "without credentials)", false, NULL},
    {"cors", "expose_headers", "cors.expose_headers", SETTINGS_STRING, "", 0,
     0, NULL, "response headers the page's script may read, comma-separated",
     false, NULL},
    {"cors", "max_age", "cors.max_age", SETTINGS_INT, "600", 0, 86400, NULL,
     "seconds a browser may cache a preflight's answer", false, NULL},
    {"api", "docs", "api.docs", SETTINGS_STRING, "dev", 0, 0, NULL,
     "the /api/docs page: dev (development only), on or off", false,
     docs_choices},
    {"logging", "level", "logging.level", SETTINGS_STRING, "info", 0, 0, NULL,
     "debug, info, warn or error", false, level_choices},
    {"logging", "access_log", "logging.access_log", SETTINGS_BOOL, "false", 0,
     1, "--access-log", "one line per request to stderr", false, NULL},
    {"ws", "max_message", "ws.max_message", SETTINGS_SIZE, "1048576", 1,
     INT64_C(1) << 40, "--ws-max-message",
     "largest WebSocket message (bytes); more closes with 1009", false, NULL},
    {"ws", "idle_timeout_ms", "ws.idle_timeout_ms", SETTINGS_INT, "60000", 0,
     MS_MAX, "--ws-idle-timeout-ms",
     "close a WebSocket that receives nothing for this long (0: never)",
     false, NULL},
    {"ws", "ping_interval_ms", "ws.ping_interval_ms", SETTINGS_INT, "20000", 0,
     MS_MAX, "--ws-ping-interval-ms",
     "ping a WebSocket that received nothing for this long (0: never)", false,
     NULL},
    {"ws", "max_send_queue", "ws.max_send_queue", SETTINGS_SIZE, "1048576", 1,
     INT64_C(1) << 40, "--ws-max-send-queue",
     "bytes waiting for a slow WebSocket reader before it is closed", false,
     NULL},
    {"ws", "overflow", "ws.overflow", SETTINGS_STRING, "close", 0, 0,
     "--ws-overflow",
     "close code for a reader past max_send_queue: close (1008) or retry "
     "(1013)", false, overflow_choices},
    {"ws", "deflate", "ws.deflate", SETTINGS_BOOL, "true", 0, 1, NULL,
     "permessage-deflate when the client offers it", false, NULL},
    {"ws", "allowed_origins", "ws.allowed_origins", SETTINGS_STRING, "", 0, 0,
     "--ws-allowed-origins",
     "origins that may open a WebSocket: empty for the Host's own, * for any, "
     "or a list", false, NULL},
    {"sse", "keepalive_ms", "sse.keepalive_ms", SETTINGS_INT, "15000", 0,
     MS_MAX, "--sse-keepalive-ms",
     "a comment on a silent event stream this often (0: never)", false, NULL},
    {"sse", "max_send_queue", "sse.max_send_queue", SETTINGS_SIZE, "1048576", 1,
     INT64_C(1) << 40, "--sse-max-send-queue",
     "bytes waiting for a slow event-stream reader before it is cut off",
     false, NULL},
    {"tasks", "workers", "tasks.workers", SETTINGS_INT, "0", 0, 100000, NULL,
     "tasks run at once by this process (0: none; with --tasks, 8 per "
     "worker thread)", false, NULL},
    {"tasks", "only", "tasks.only", SETTINGS_BOOL, "false", 0, 1, "--tasks",
     "run tasks and services only: no HTTP listener", false, NULL},
    {"tasks", "queues", "tasks.queues", SETTINGS_STRING, "", 0, 0, NULL,
     "comma-separated queues this process takes (empty: all)", false, NULL},
    {"tasks", "lease_ms", "tasks.lease_ms", SETTINGS_INT, "30000", 1000,
     MS_MAX, NULL, "a running task's lease, renewed while it runs", false,
     NULL},
    {"tasks", "poll_ms", "tasks.poll_ms", SETTINGS_INT, "1000", 10, MS_MAX,
     NULL, "an idle worker looks for tasks at least this often", false, NULL},
    {"auth.oidc", "issuer", "auth.oidc.issuer", SETTINGS_STRING, "", 0, 0,
     NULL,
     "the OpenID provider's issuer URL, exactly as in its tokens (empty: no "
     "OIDC; https, or http on loopback)",
     false, NULL},
    {"auth.oidc", "audience", "auth.oidc.audience", SETTINGS_STRING, "", 0, 0,
     NULL, "the aud an access token must carry (this API's identifier)",
     false, NULL},
    {"auth.oidc", "allow_azp", "auth.oidc.allow_azp", SETTINGS_STRING, "", 0,
     0, NULL,
     "client ids accepted in azp when aud does not fit (Keycloak), "
     "separated by spaces or commas",
     false, NULL},
    {"auth.oidc", "client_id", "auth.oidc.client_id", SETTINGS_STRING, "", 0,
     0, NULL, "this app's client id at the provider (the login flow)", false,
     NULL},
    {"auth.oidc", "client_secret", "auth.oidc.client_secret", SETTINGS_STRING,
     "", 0, 0, NULL, "this app's client secret (the login flow)", true, NULL},
    {"auth.oidc", "scopes", "auth.oidc.scopes", SETTINGS_STRING,
     "openid profile email", 0, 0, NULL, "scopes the login flow asks for",
     false, NULL},
    {"auth.oidc", "redirect_uri", "auth.oidc.redirect_uri", SETTINGS_STRING,
     "", 0, 0, NULL,
     "the login flow's callback URL as registered at the provider (empty: "
     "this site's /auth/oidc/callback)",
     false, NULL},
    {"auth.oidc", "post_logout_redirect_uri",
     "auth.oidc.post_logout_redirect_uri", SETTINGS_STRING, "", 0, 0, NULL,
     "where the provider sends the browser after logout (empty: this "
     "site's /)",
     false, NULL},
    {"auth.oidc", "leeway", "auth.oidc.leeway", SETTINGS_INT, "60", 0, 600,
     NULL, "seconds of clock skew allowed on exp, nbf and iat", false, NULL},
    {"auth.oidc", "jwks_cooldown", "auth.oidc.jwks_cooldown", SETTINGS_INT,
     "30", 1, 3600, NULL,
     "seconds between two fetches of the provider's keys on unknown key ids",
     false, NULL},
    {"auth.oidc", "roles_claim", "auth.oidc.roles_claim", SETTINGS_STRING,
     "realm_access.roles", 0, 0, NULL,
     "dotted claim paths holding the user's roles, separated by spaces "
     "(e.g. resource_access.CLIENT.roles)",
     false, NULL},
    {"auth.oidc", "role_map", "auth.oidc.role_map", SETTINGS_STRING, "", 0, 0,
     NULL,
     "provider role = Kiln role pairs (\"kc-admin=admin kc-edit=editor\"); "
     "set, only mapped roles are kept; empty, role names are kept as they are",
     false, NULL},
    {"tasks", "timeout_ms", "tasks.timeout_ms", SETTINGS_INT, "0", 0, MS_MAX,
     NULL, "a task's default timeout (0: none)", false, NULL},
    {"tasks", "max_attempts", "tasks.max_attempts", SETTINGS_INT, "5", 1,
     1000, NULL, "a task's default number of attempts", false, NULL},
    {"tasks", "retry_min_ms", "tasks.retry_min_ms", SETTINGS_INT, "1000", 0,
     MS_MAX, NULL, "the first retry's delay (then doubling, jittered)", false,
     NULL},
    {"tasks", "retry_max_ms", "tasks.retry_max_ms", SETTINGS_INT, "3600000",
     0, MS_MAX, NULL, "the longest delay between retries", false, NULL},
    {"tasks", "keep_done_hours", "tasks.keep_done_hours", SETTINGS_INT, "168",
     0, 87600, NULL, "done tasks are deleted after (0: at once)", false,
     NULL},
    {"services", "enabled", "services.enabled", SETTINGS_BOOL, "true", 0, 1,
     NULL, "start the app's services in this process", false, NULL},
    {"auth", "password_min_length", "auth.password_min_length", SETTINGS_INT,
     "8", 1, 1024, NULL, "shortest password accepted", false, NULL},
    {"auth", "password_common", "auth.password_common", SETTINGS_BOOL, "true",
     0, 1, NULL, "refuse passwords from the list of common ones", false, NULL},
    {"auth", "hash_opslimit", "auth.hash_opslimit", SETTINGS_INT, "2", 1,
     1000, NULL, "argon2id passes (2: libsodium's INTERACTIVE)", false, NULL},
    {"auth", "hash_memlimit", "auth.hash_memlimit", SETTINGS_SIZE, "67108864",
     8192, INT64_C(1) << 32, NULL,
     "argon2id memory in bytes (64MiB: libsodium's INTERACTIVE)", false,
     NULL},
    {"auth", "throttle_account", "auth.throttle_account", SETTINGS_STRING,
     "5/min burst 10", 0, 0, NULL,
     "failed logins allowed per account (a rate; empty: no limit)", false,
     NULL},
    {"auth", "throttle_ip", "auth.throttle_ip", SETTINGS_STRING,
     "30/min burst 50", 0, 0, NULL,
     "failed logins allowed per client address (a rate; empty: no limit)",
     false, NULL},
    {"auth", "login_redirect", "auth.login_redirect", SETTINGS_STRING, "/", 0,
     0, NULL, "where /login sends a user without ?next=", false, NULL},
    {"session", "cookie_name", "session.cookie_name", SETTINGS_STRING,
     "kiln_session", 0, 0, NULL, "the session cookie's name (__Host- is put "
     "before it when the cookie is Secure)", false, NULL},
    {"session", "idle_timeout", "session.idle_timeout", SETTINGS_INT,
     "1209600", 1, I32_MAX, NULL, "seconds without a request after which a "
     "session ends", false, NULL},
    {"session", "max_age", "session.max_age", SETTINGS_INT, "2592000", 1,
     I32_MAX, NULL, "seconds after which a session ends, however active",
     false, NULL},
    {"session", "same_site", "session.same_site", SETTINGS_STRING, "lax", 0, 0,
     NULL, "the cookie's SameSite: lax or strict", false, same_site_choices},
    {"session", "secure", "session.secure", SETTINGS_STRING, "auto", 0, 0,
     NULL, "Secure cookies with the __Host- prefix: auto (when "
     "security.behind_tls), always or never", false, secure_choices},
    {"csrf", "trusted_origins", "csrf.trusted_origins", SETTINGS_STRING, "", 0,
     0, NULL, "other origins whose pages may post here (comma-separated; "
     "https://*.example.com for subdomains)", false, NULL},
    {"security", "behind_tls", "security.behind_tls", SETTINGS_BOOL, "false",
     0, 1, NULL, "the app is reached over https through a proxy: Secure "
     "cookies, HSTS, https origin", false, NULL},
    {"security", "nosniff", "security.nosniff", SETTINGS_BOOL, "true", 0, 1,
     NULL, "send X-Content-Type-Options: nosniff", false, NULL},
    {"security", "referrer_policy", "security.referrer_policy",
     SETTINGS_STRING, "strict-origin-when-cross-origin", 0, 0, NULL,
     "the Referrer-Policy header (empty: none)", false, NULL},
    {"security", "frame_options", "security.frame_options", SETTINGS_STRING,
     "deny", 0, 0, NULL, "who may frame the pages: deny, sameorigin or off "
     "(X-Frame-Options and CSP frame-ancestors)", false, frame_choices},
    {"security", "csp", "security.csp", SETTINGS_STRING, "", 0, 0, NULL,
     "a Content-Security-Policy sent as written (empty: frame-ancestors "
     "only, from frame_options)", false, NULL},
    {"security", "hsts_max_age", "security.hsts_max_age", SETTINGS_INT,
     "31536000", 0, I32_MAX, NULL, "Strict-Transport-Security max-age when "
     "behind_tls (0: none)", false, NULL},
    {"security", "hsts_subdomains", "security.hsts_subdomains", SETTINGS_BOOL,
     "false", 0, 1, NULL, "add includeSubDomains to HSTS", false, NULL},
    {"types", "out", "types.out", SETTINGS_STRING, "", 0, 0, NULL,
     "folder kiln types writes the TypeScript client to, relative to the "
     "project (empty: none; kiln dev then leaves it alone)", false, NULL},
};
/* clang-format on */

const size_t settings_nkeys = sizeof settings_keys / sizeof settings_keys[0];

const char *const settings_sections[] = {
    "server",    "uploads", "database", "redis",     "cache",    "rate",
    "pubsub",    "app",     "static",   "templates", "logging",  "ws",
    "sse",       "tasks",   "services", "api",       "types",    "auth",
    "auth.oidc", "roles",   "session",  "csrf",      "security", "frontend",
    "ssr",       "cors",    "extra",    NULL};

int settings_key_find(const char *section, size_t sn, const char *key,
                      size_t kn)
{
    for (size_t i = 0; i < settings_nkeys; i++) {
        const settings_key *k = &settings_keys[i];
        if (strlen(k->section) == sn && memcmp(k->section, section, sn) == 0 &&
            strlen(k->key) == kn && memcmp(k->key, key, kn) == 0)
            return (int)i;
    }
    return -1;
}

int settings_key_find_name(const char *name)
{
    for (size_t i = 0; i < settings_nkeys; i++)
        if (strcmp(settings_keys[i].name, name) == 0)
            return (int)i;
    return -1;
}

size_t settings_distance(const char *a, size_t an, const char *b, size_t bn)
{
    return kiln_str_distance((kiln_str){a, an}, (kiln_str){b, bn});
}

/* How far a word of n bytes may be from a suggestion: about a third. */
static size_t close_enough(size_t n)
{
    return n <= 3 ? 1 : n <= 8 ? 2 : 3;
}

int settings_key_suggest(const char *section, const char *key, size_t kn,
                         bool full)
{
    int best = -1;
    size_t best_d = SIZE_MAX;
    bool best_same = false;
    for (size_t i = 0; i < settings_nkeys; i++) {
        const settings_key *k = &settings_keys[i];
        const char *cand = full ? k->name : k->key;
        size_t d = settings_distance(key, kn, cand, strlen(cand));
        bool same = section && strcmp(section, k->section) == 0;
        /* A key of the same section wins a tie. */
        if (d < best_d || (d == best_d && same && !best_same)) {
            best_d = d;
            best = (int)i;
            best_same = same;
        }
    }
    if (best < 0 || best_d > close_enough(kn))
        return -1;
    return best;
}

const char *settings_section_suggest(const char *s, size_t n)
{
    const char *best = NULL;
    size_t best_d = SIZE_MAX;
    for (size_t i = 0; settings_sections[i]; i++) {
        const char *c = settings_sections[i];
        size_t d = settings_distance(s, n, c, strlen(c));
        if (d < best_d) {
            best_d = d;
            best = c;
        }
    }
    return best_d <= close_enough(n) ? best : NULL;
}

int settings_parse_bool(const char *s, size_t n, bool *out)
{
    static const char *const yes[] = {"true", "1", "yes", "on"};
    static const char *const no[] = {"false", "0", "no", "off"};
    kiln_str v = {s, n};
    for (size_t i = 0; i < 4; i++) {
        if (kiln_str_ieq_c(v, yes[i])) {
            *out = true;
            return 0;
        }
        if (kiln_str_ieq_c(v, no[i])) {
            *out = false;
            return 0;
        }
    }
    return -1;
}

/* The text shown for a bad value: at most 40 bytes, NUL-free. */
static int shown(size_t n)
{
    return n > 40 ? 40 : (int)n;
}

int settings_parse_size(const char *s, size_t n, int64_t *out, char *why,
                        size_t whylen)
{
    static const struct {
        const char *unit;
        int64_t mult;
    } units[] = {
        {"b", 1},
        {"kb", 1000},
        {"kib", INT64_C(1) << 10},
        {"mb", 1000 * 1000},
        {"mib", INT64_C(1) << 20},
        {"gb", INT64_C(1000) * 1000 * 1000},
        {"gib", INT64_C(1) << 30},
        {"tb", INT64_C(1000) * 1000 * 1000 * 1000},
        {"tib", INT64_C(1) << 40},
    };
    size_t i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    if (i < n && s[i] == '-') {
        snprintf(why, whylen, "a size must not be negative, not '%.*s'",
                 shown(n), s);
        return KILN_EINVAL;
    }
    if (i < n && s[i] == '+')
        i++;
    if (i == n || !isdigit((unsigned char)s[i])) {
        snprintf(why, whylen,
                 "'%.*s' is not a size (write bytes, or a number with a unit "
                 "such as 512KiB or 10MiB)",
                 shown(n), s);
        return KILN_EINVAL;
    }
    int64_t v = 0;
    for (; i < n && isdigit((unsigned char)s[i]); i++) {
        int dgt = s[i] - '0';
        if (v > (INT64_MAX - dgt) / 10) {
            snprintf(why, whylen, "size '%.*s' is too large", shown(n), s);
            return KILN_EINVAL;
        }
        v = v * 10 + dgt;
    }
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    size_t ue = n;
    while (ue > i && (s[ue - 1] == ' ' || s[ue - 1] == '\t'))
        ue--;
    int64_t mult = 1;
    if (ue > i) {
        kiln_str u = {s + i, ue - i};
        size_t k = 0;
        for (; k < sizeof units / sizeof units[0]; k++)
            if (kiln_str_ieq_c(u, units[k].unit))
                break;
        if (k == sizeof units / sizeof units[0]) {
            snprintf(why, whylen,
                     "unknown size unit '%.*s' in '%.*s' (use B, kB, KiB, MB, "
                     "MiB, GB, GiB, TB or TiB)",
                     shown(u.n), u.p, shown(n), s);
            return KILN_EINVAL;
        }
        mult = units[k].mult;
    }
    if (v > INT64_MAX / mult) {
        snprintf(why, whylen, "size '%.*s' is too large", shown(n), s);
        return KILN_EINVAL;
    }
    *out = v * mult;
    return 0;
}

int settings_check_range(const settings_key *k, int64_t v, char *why,
                         size_t whylen)
{
    if (v >= k->min && v <= k->max)
        return 0;
    snprintf(why, whylen,
             "%s must be between %" PRId64 " and %" PRId64 ", not %" PRId64,
             k->name, k->min, k->max, v);
    return KILN_EINVAL;
}

int settings_parse_text(const settings_key *k, const char *s, size_t n,
                        settings_parsed *out, char *why, size_t whylen)
{
    memset(out, 0, sizeof *out);
    if (memchr(s, '\0', n)) {
        snprintf(why, whylen, "%s must not contain a NUL byte", k->name);
        return KILN_EINVAL;
    }
    switch (k->type) {
    case SETTINGS_STRING:
        for (size_t i = 0; k->choices && k->choices[i]; i++)
            if (kiln_str_ieq_c((kiln_str){s, n}, k->choices[i])) {
                out->text = k->choices[i];
                return 0;
            }
        if (k->choices) {
            char list[100] = "";
            for (size_t i = 0; k->choices[i]; i++)
                snprintf(list + strlen(list), sizeof list - strlen(list),
                         "%s%s", i ? ", " : "", k->choices[i]);
            snprintf(why, whylen, "%s must be one of %s, not '%.*s'", k->name,
                     list, shown(n), s);
            return KILN_EINVAL;
        }
        return 0;
    case SETTINGS_BOOL:
        if (settings_parse_bool(s, n, &out->b) != 0) {
            snprintf(why, whylen,
                     "%s must be a boolean (true/false, 1/0, yes/no, on/off), "
                     "not '%.*s'",
                     k->name, shown(n), s);
            return KILN_EINVAL;
        }
        out->i = out->b;
        return 0;
    case SETTINGS_INT: {
        kiln_str t = {s, n};
        while (t.n && (*t.p == ' ' || *t.p == '\t'))
            t.p++, t.n--;
        while (t.n && (t.p[t.n - 1] == ' ' || t.p[t.n - 1] == '\t'))
            t.n--;
        if (kiln_str_to_i64(t, &out->i) != 0) {
            snprintf(why, whylen, "%s must be an integer, not '%.*s'", k->name,
                     shown(n), s);
            return KILN_EINVAL;
        }
        return settings_check_range(k, out->i, why, whylen);
    }
    case SETTINGS_SIZE: {
        char sub[200];
        if (settings_parse_size(s, n, &out->i, sub, sizeof sub) != 0) {
            snprintf(why, whylen, "%s: %s", k->name, sub);
            return KILN_EINVAL;
        }
        return settings_check_range(k, out->i, why, whylen);
    }
    }
    return KILN_EINVAL;
}
