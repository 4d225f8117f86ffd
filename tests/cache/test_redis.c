/*
 * tests/cache/test_redis.c - the Redis client: URLs, command encoding,
 * and, against a redis-server each test starts on 127.0.0.1 (Debian's
 * redis-server; scripts/deps.sh test installs it), calls, scripts, AUTH
 * and SELECT, a refused connection and its backoff, a server that stops
 * answering, a restart, and the cache and the rate limiter on Redis.
 * These calls run outside a worker: the client's blocking connection.
 */
#include "cache/cache_impl.h"
#include "test.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/un.h>
#include <unistd.h>

static kiln_str S(const char *s)
{
    return kiln_str_c(s);
}

/* ---- a private redis-server ---------------------------------------------- */

typedef struct redis_proc {
    pid_t pid;
    int port;
    char url[64];
} redis_proc;

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    bind(fd, (struct sockaddr *)&a, sizeof a);
    getsockname(fd, (struct sockaddr *)&a, &len);
    close(fd);
    return ntohs(a.sin_port);
}

static bool accepts(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

/* Starts redis-server on port (0: a free one) with extra args (NULL-ended);
   it dies with the test. */
static void redis_start(redis_proc *r, int port, const char *const *extra)
{
    r->port = port ? port : free_port();
    snprintf(r->url, sizeof r->url, "redis://127.0.0.1:%d", r->port);
    char ports[16];
    snprintf(ports, sizeof ports, "%d", r->port);
    const char *argv[32] = {
        "redis-server", "--port",     ports,    "--bind",
        "127.0.0.1",    "--save",     "",       "--appendonly",
        "no",           "--loglevel", "warning"};
    int n = 11;
    for (int i = 0; extra && extra[i] && n < 30; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    r->pid = fork();
    CHECK(r->pid >= 0);
    if (r->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        freopen("/dev/null", "w", stdout);
        execvp("redis-server", (char *const *)argv);
        _exit(127);
    }
    for (int i = 0; i < 500 && !accepts(r->port); i++)
        usleep(10 * 1000);
    if (!accepts(r->port))
        test_fail(__FILE__, __LINE__,
                  "redis-server did not start (is it installed? "
                  "scripts/deps.sh test)");
}

static void redis_stop(redis_proc *r)
{
    if (r->pid > 0) {
        kill(r->pid, SIGKILL);
        waitpid(r->pid, NULL, 0);
    }
    r->pid = 0;
}

static redis_client *client(const char *url, int timeout_ms)
{
    char err[200];
    redis_client *c = redis_client_new(&(redis_opts){.url = url,
                                                     .timeout_ms = timeout_ms,
                                                     .connect_timeout_ms = 500,
                                                     .backoff_max_ms = 200},
                                       err, sizeof err);
    if (!c)
        test_fail(__FILE__, __LINE__, "redis_client_new: %s", err);
    return c;
}

/* Runs a command given as words; returns the reply (arena a). */
static redis_value *cmd(redis_client *c, kiln_arena *a, int *rc, int argc, ...)
{
    kiln_str argv[8];
    va_list ap;
    va_start(ap, argc);
    for (int i = 0; i < argc; i++)
        argv[i] = kiln_str_c(va_arg(ap, const char *));
    va_end(ap);
    redis_value *v = NULL;
    *rc = redis_call(c, a, (size_t)argc, argv, &v);
    return v;
}

/* ---- pure parts ---------------------------------------------------------- */

TEST(redis_urls)
{
    redis_url u;
    char err[200];
    CHECK_INT(redis_url_parse("redis://127.0.0.1:6380/2", &u, err, sizeof err),
              0);
    CHECK(!u.unix_socket);
    CHECK_STR(u.host, "127.0.0.1");
    CHECK_INT(u.port, 6380);
    CHECK_INT(u.db, 2);
    CHECK_STR(u.password, "");
    CHECK_INT(redis_url_parse("redis://cache.internal", &u, err, sizeof err),
              0);
    CHECK_INT(u.port, 6379);
    CHECK_INT(u.db, 0);
    CHECK_INT(redis_url_parse("redis://:p%40ss@h:1/", &u, err, sizeof err), 0);
    CHECK_STR(u.user, "");
    CHECK_STR(u.password, "p@ss");
    CHECK_INT(redis_url_parse("REDIS://ann:se:cr@t@[::1]:7000/15", &u, err,
                              sizeof err),
              0);
    CHECK_STR(u.user, "ann");
    CHECK_STR(u.password, "se:cr@t");
    CHECK_STR(u.host, "::1");
    CHECK_INT(u.port, 7000);
    CHECK_INT(u.db, 15);
    CHECK_INT(redis_url_parse("unix:///run/redis/redis.sock?db=3", &u, err,
                              sizeof err),
              0);
    CHECK(u.unix_socket);
    CHECK_STR(u.path, "/run/redis/redis.sock");
    CHECK_INT(u.db, 3);
    CHECK_INT(redis_url_parse("unix://:pw@/tmp/r.sock", &u, err, sizeof err),
              0);
    CHECK_STR(u.password, "pw");
    CHECK_STR(u.path, "/tmp/r.sock");
    const char *bad[] = {"",
                         "redis://",
                         "redis://:6379",
                         "redis://h:0",
                         "redis://h:65536",
                         "redis://h:12x",
                         "redis://h/db",
                         "redis://h/1?x=1",
                         "redis://h h",
                         "redis://ann@h",
                         "redis://[::1",
                         "redis://[::1]x",
                         "unix://relative.sock",
                         "unix:///x?db=a",
                         "unix:///x?timeout=1",
                         "redis://:%zz@h",
                         "redis://:%00@h",
                         "http://h",
                         "rediss://h:6379"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (redis_url_parse(bad[i], &u, err, sizeof err) != KILN_EINVAL)
            test_fail(__FILE__, __LINE__, "accepted \"%s\"", bad[i]);
    redis_url_parse("rediss://h:6379", &u, err, sizeof err);
    CHECK(strstr(err, "TLS"));
    redis_url_parse("redis://:6379", &u, err, sizeof err);
    CHECK(strstr(err, "no host"));
}

TEST(redis_encoding)
{
    kiln_buf b;
    kiln_buf_init(&b);
    kiln_str argv[3] = {S("SET"), {"k\r\n", 3}, {"", 0}};
    CHECK_INT(redis_encode(&b, 3, argv), 0);
    CHECK_INT(b.n, strlen("*3\r\n$3\r\nSET\r\n$3\r\nk\r\n\r\n$0\r\n\r\n"));
    CHECK(memcmp(b.p, "*3\r\n$3\r\nSET\r\n$3\r\nk\r\n\r\n$0\r\n\r\n", b.n) ==
          0);
    kiln_buf_deinit(&b);
}

/* ---- against a server ---------------------------------------------------- */

TEST(redis_calls_and_replies)
{
    redis_proc r;
    redis_start(&r, 0, NULL);
    redis_client *c = client(r.url, 2000);
    kiln_arena a;
    kiln_arena_init(&a, 0);
    int rc;
    redis_value *v = cmd(c, &a, &rc, 3, "SET", "k", "hello");
    CHECK_INT(rc, 0);
    CHECK_INT(v->type, REDIS_T_STATUS);
    CHECK_VIEW(v->s, "OK");
    v = cmd(c, &a, &rc, 2, "GET", "k");
    CHECK_INT(v->type, REDIS_T_STRING);
    CHECK_VIEW(v->s, "hello");
    v = cmd(c, &a, &rc, 2, "GET", "absent");
    CHECK_INT(v->type, REDIS_T_NIL);
    v = cmd(c, &a, &rc, 2, "INCR", "n");
    CHECK_INT(v->type, REDIS_T_INT);
    CHECK_INT(v->i, 1);
    v = cmd(c, &a, &rc, 2, "INCR", "k");
    CHECK_INT(rc, 0); /* Redis refused the command; the call worked */
    CHECK_INT(v->type, REDIS_T_ERROR);
    CHECK(strstr(v->s.p, "not an integer"));
    v = cmd(c, &a, &rc, 4, "RPUSH", "l", "a", "b");
    v = cmd(c, &a, &rc, 4, "LRANGE", "l", "0", "-1");
    CHECK_INT(v->type, REDIS_T_ARRAY);
    CHECK_INT(v->n, 2);
    CHECK_VIEW(v->elems[1].s, "b");
    /* a value of a megabyte, binary */
    size_t big = 1 << 20;
    char *p = malloc(big);
    for (size_t i = 0; i < big; i++)
        p[i] = (char)(i * 7);
    kiln_str set[3] = {S("SET"), S("big"), {p, big}};
    CHECK_INT(redis_call(c, &a, 3, set, &v), 0);
    kiln_str get[2] = {S("GET"), S("big")};
    CHECK_INT(redis_call(c, &a, 2, get, &v), 0);
    CHECK(v->s.n == big && memcmp(v->s.p, p, big) == 0);
    free(p);
    /* scripts: loaded once, sent whole again once the server forgot */
    static redis_script s = REDIS_SCRIPT("return tonumber(ARGV[1]) * 2");
    kiln_str arg = S("21");
    CHECK_INT(redis_eval(c, &a, &s, 0, 1, &arg, &v), 0);
    CHECK_INT(v->i, 42);
    CHECK_INT(strlen(s.sha), 40);
    cmd(c, &a, &rc, 2, "SCRIPT", "FLUSH");
    CHECK_INT(redis_eval(c, &a, &s, 0, 1, &arg, &v), 0);
    CHECK_INT(v->type, REDIS_T_INT);
    CHECK_INT(v->i, 42);
    kiln_arena_deinit(&a);
    redis_client_free(c);
    redis_stop(&r);
}

TEST(redis_auth_and_select)
{
    redis_proc r;
    const char *extra[] = {"--requirepass", "s3cr:t", NULL};
    redis_start(&r, 0, extra);
    char url[128];
    snprintf(url, sizeof url, "redis://:s3cr%%3At@127.0.0.1:%d/3", r.port);
    redis_client *c = client(url, 2000);
    kiln_arena a;
    kiln_arena_init(&a, 0);
    int rc;
    redis_value *v = cmd(c, &a, &rc, 3, "SET", "where", "db3");
    CHECK_INT(rc, 0);
    CHECK_INT(v->type, REDIS_T_STATUS);
    v = cmd(c, &a, &rc, 1, "CLIENT", "INFO");
    v = cmd(c, &a, &rc, 2, "CLIENT", "INFO");
    CHECK(v && strstr(v->s.p, " db=3 "));
    redis_client_free(c);
    /* a wrong password: a clear error, and no command runs */
    snprintf(url, sizeof url, "redis://:wrong@127.0.0.1:%d", r.port);
    c = client(url, 2000);
    v = cmd(c, &a, &rc, 2, "GET", "where");
    CHECK_INT(rc, KILN_EUNAVAIL);
    CHECK(strstr(redis_last_error(), "AUTH"));
    CHECK(strstr(redis_last_error(), "WRONGPASS") ||
          strstr(redis_last_error(), "invalid"));
    redis_client_free(c);
    kiln_arena_deinit(&a);
    redis_stop(&r);
}

/* True when a connection to the Unix socket at path is accepted. */
static bool unix_accepts(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

TEST(redis_unix_socket)
{
    redis_proc r;
    char sock[64], url[96];
    snprintf(sock, sizeof sock, "/tmp/kiln-test-redis-%d.sock", (int)getpid());
    const char *extra[] = {"--unixsocket", sock, NULL};
    redis_start(&r, 0, extra);
    /* redis-server opens its TCP port first, the socket after it */
    for (int i = 0; i < 500 && !unix_accepts(sock); i++)
        usleep(10 * 1000);
    CHECK(unix_accepts(sock));
    snprintf(url, sizeof url, "unix://%s?db=1", sock);
    redis_client *c = client(url, 2000);
    kiln_arena a;
    kiln_arena_init(&a, 0);
    int rc;
    redis_value *v = cmd(c, &a, &rc, 1, "PING");
    CHECK_INT(rc, 0);
    CHECK_VIEW(v->s, "PONG");
    kiln_arena_deinit(&a);
    redis_client_free(c);
    redis_stop(&r);
    unlink(sock);
}

TEST(redis_down_fails_fast_then_recovers)
{
    int port = free_port();
    char url[64];
    snprintf(url, sizeof url, "redis://127.0.0.1:%d", port);
    redis_client *c = client(url, 2000);
    kiln_arena a;
    kiln_arena_init(&a, 0);
    int rc;
    int64_t t0 = kiln_now_ms();
    redis_value *v = cmd(c, &a, &rc, 1, "PING");
    CHECK_INT(rc, KILN_EUNAVAIL);
    CHECK(!v);
    CHECK(strstr(redis_last_error(), "refused"));
    CHECK(strstr(redis_last_error(), url + 8)); /* names the server */
    /* backing off: the next call fails at once, without a new attempt */
    cmd(c, &a, &rc, 1, "PING");
    CHECK_INT(rc, KILN_EUNAVAIL);
    CHECK(kiln_now_ms() - t0 < 200);
    redis_proc r;
    redis_start(&r, port, NULL);
    int ok = 0;
    for (int i = 0; i < 100 && !ok; i++) {
        v = cmd(c, &a, &rc, 1, "PING");
        ok = rc == 0;
        if (!ok)
            usleep(20 * 1000);
    }
    CHECK(ok); /* within the backoff's cap (200 ms here) */
    /* the server restarts: the call in flight fails, the next reconnects */
    redis_stop(&r);
    cmd(c, &a, &rc, 1, "PING");
    CHECK_INT(rc, KILN_EUNAVAIL);
    redis_start(&r, port, NULL);
    ok = 0;
    for (int i = 0; i < 100 && !ok; i++) {
        v = cmd(c, &a, &rc, 1, "PING");
        ok = rc == 0;
        if (!ok)
            usleep(20 * 1000);
    }
    CHECK(ok);
    kiln_arena_deinit(&a);
    redis_client_free(c);
    redis_stop(&r);
}

TEST(redis_silent_server_times_out)
{
    redis_proc r;
    redis_start(&r, 0, NULL);
    redis_client *c = client(r.url, 300);
    kiln_arena a;
    kiln_arena_init(&a, 0);
    int rc;
    cmd(c, &a, &rc, 1, "PING");
    CHECK_INT(rc, 0);
    kill(r.pid, SIGSTOP);
    int64_t t0 = kiln_now_ms();
    cmd(c, &a, &rc, 1, "PING");
    int64_t took = kiln_now_ms() - t0;
    CHECK_INT(rc, KILN_ETIMEDOUT);
    CHECK(took >= 290 && took < 1500);
    CHECK(strstr(redis_last_error(), "no reply within 300 ms"));
    kill(r.pid, SIGCONT);
    int ok = 0;
    for (int i = 0; i < 50 && !ok; i++) {
        cmd(c, &a, &rc, 1, "PING");
        ok = rc == 0;
        if (!ok)
            usleep(20 * 1000);
    }
    CHECK(ok);
    kiln_arena_deinit(&a);
    redis_client_free(c);
    redis_stop(&r);
}

TEST(cache_and_rate_on_redis)
{
    redis_proc r;
    redis_start(&r, 0, NULL);
    char err[200];
    kiln_cache *k = kiln_cache_new(&(kiln_cache_opts){.backend = "redis",
                                                      .redis_url = r.url,
                                                      .prefix = "t:"},
                                   err, sizeof err);
    CHECK(k);
    CHECK_STR(kiln_cache_backend(k), "redis");
    kiln_arena a;
    kiln_arena_init(&a, 0);
    kiln_str v;
    CHECK_INT(kiln_cache_get(k, S("x"), &a, &v), KILN_ENOTFOUND);
    CHECK_INT(kiln_cache_set(k, S("x"), (kiln_str){"a\0b", 3}, 0), 0);
    CHECK_INT(kiln_cache_get(k, S("x"), &a, &v), 0);
    CHECK(v.n == 3 && memcmp(v.p, "a\0b", 3) == 0);
    CHECK_INT(kiln_cache_add(k, S("x"), S("other"), 0), 0);
    CHECK_INT(kiln_cache_add(k, S("y"), S("1"), 100), 1);
    int64_t n;
    CHECK_INT(kiln_cache_incr(k, S("y"), 9, 0, &n), 0);
    CHECK_INT(n, 10);
    CHECK_INT(kiln_cache_incr(k, S("x"), 1, 0, &n), KILN_EINVAL);
    CHECK_INT(kiln_cache_incr(k, S("z"), -3, 100, &n), 0);
    CHECK_INT(n, -3);
    usleep(200 * 1000);
    CHECK_INT(kiln_cache_get(k, S("y"), &a, &v), KILN_ENOTFOUND);
    CHECK_INT(kiln_cache_get(k, S("z"), &a, &v), KILN_ENOTFOUND);
    CHECK_INT(kiln_cache_delete(k, S("x")), 0);
    CHECK_INT(kiln_cache_delete(k, S("x")), KILN_ENOTFOUND);
    /* the keys carry the prefix */
    kiln_cache_set(k, S("seen"), S("1"), 0);
    redis_client *c = client(r.url, 2000);
    int rc;
    redis_value *rv = cmd(c, &a, &rc, 2, "EXISTS", "t:c:seen");
    CHECK_INT(rv->i, 1);
    /* rate buckets in Redis */
    kiln_rate rate = {.per_sec = 0.01, .burst = 2};
    kiln_rate_result res;
    for (int i = 0; i < 2; i++) {
        CHECK_INT(kiln_rate_take(k, "api", &rate, S("ip:1"), 1, &res), 0);
        CHECK(res.allowed);
        CHECK_INT(res.remaining, 1 - i);
    }
    CHECK_INT(kiln_rate_take(k, "api", &rate, S("ip:1"), 1, &res), 0);
    CHECK(!res.allowed);
    CHECK(res.retry_after_s >= 99 && res.retry_after_s <= 100);
    rv = cmd(c, &a, &rc, 2, "PTTL", "t:r:api:ip:1");
    CHECK(rv->i > 100000 && rv->i <= 200000);
    CHECK_INT(kiln_rate_take(k, "api", &rate, S("ip:2"), 0, &res), 0);
    CHECK(res.allowed);
    rv = cmd(c, &a, &rc, 2, "EXISTS", "t:r:api:ip:2");
    CHECK_INT(rv->i, 0); /* a check writes nothing */
    /* a reset forgets the bucket: full again */
    CHECK_INT(kiln_rate_reset(k, "api", S("ip:1")), 0);
    rv = cmd(c, &a, &rc, 2, "EXISTS", "t:r:api:ip:1");
    CHECK_INT(rv->i, 0);
    CHECK_INT(kiln_rate_take(k, "api", &rate, S("ip:1"), 1, &res), 0);
    CHECK(res.allowed);
    CHECK_INT(res.remaining, 1);
    CHECK_INT(kiln_rate_reset(k, "api", S("ip:none")), 0);
    redis_client_free(c);
    /* down: the cache says so */
    redis_stop(&r);
    CHECK_INT(kiln_cache_get(k, S("x"), &a, &v), KILN_EUNAVAIL);
    CHECK_INT(kiln_rate_take(k, "api", &rate, S("ip:1"), 1, &res),
              KILN_EUNAVAIL);
    kiln_arena_deinit(&a);
    kiln_cache_free(k);
}
