/*
 * static/static.c - serving a folder (or files compiled in) under a URL
 * prefix: kiln_static_mount, kiln_static_send.
 *
 * A mount is one GET route "<prefix>{...path}" whose data is the mount;
 * a single-page app (kiln_static_spa) is a mount without a route, the
 * app's fallback for GET and HEAD requests no route matches (under its
 * prefix only, with kiln_static_spa_at).
 * A request path is checked (static_path_ok: no dot segment, dotfile,
 * backslash or control byte) and opened beneath the mount's folder with
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS), so neither ".." nor a
 * symlink can leave the folder; on kernels without openat2 every component
 * is opened with O_NOFOLLOW instead (no symlink is followed at all). Only
 * regular files are served; a folder, a dotfile or a missing file is 404.
 *
 * Speed: each worker thread keeps a cache (cache_*) keyed by mount and path
 * with what a response needs: identity (device, inode, size, mtime), the
 * ETag, a pre-built block of headers, and for files up to STATIC_MEM_MAX
 * their bytes. An entry is revalidated (open + fstat) at most once per
 * second, so a small file costs no system call but the response write.
 * Bigger files are opened per request, checked against the entry, and sent
 * with sendfile(2) by the connection (respond_file). Missing files are
 * cached too (as absent), so a flood of 404s does not hit the disk.
 *
 * Each file has up to three representations: identity, and precompressed
 * siblings "name.br" and "name.gz" chosen by Accept-Encoding. Conditional
 * requests follow RFC 9110 section 13.2.2: If-Match, If-Unmodified-Since,
 * If-None-Match (which overrides If-Modified-Since), then Range/If-Range.
 */
#include <kiln/static.h>

#include "http/accept.h"
#include "http/status.h"
#include "server/worker.h"
#include "static/static.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__linux__) && __has_include(<linux/openat2.h>)
#include <linux/openat2.h>
#define HAVE_OPENAT2 1
#endif

/* Files up to this size are kept in memory by the worker cache. */
#define STATIC_MEM_MAX (32 * 1024)
/* Memory a worker's cache may hold in file contents. */
#define CACHE_MEM_BUDGET ((size_t)64 << 20)
/* Slots of a worker's cache (a power of two); it is emptied when it is
 * three quarters full. */
#define CACHE_SLOTS 4096

enum { REP_IDENTITY, REP_BR, REP_GZIP, REP_COUNT };

/* What identifies a file's version: if any of it changes, the file did. */
typedef struct file_id {
    dev_t dev;
    ino_t ino;
    int64_t size;
    int64_t mtime_ns;
} file_id;

/* One representation of a file: everything a response needs. */
typedef struct rep {
    bool present;
    bool owns_mem;
    file_id id;
    const char *ctype;
    int64_t size;
    int64_t mtime;             /* seconds; 0: no Last-Modified */
    const unsigned char *data; /* the bytes, or NULL: open the file */
    kiln_str etag;             /* quoted, points into hdrs */
    char hdrs[320];            /* header lines; [0, hdrs_304) for 304 */
    uint16_t hdrs_n, hdrs_304;
} rep;

/* A file compiled into the binary, with its representations. */
typedef struct emb_file {
    char *path;
    rep reps[REP_COUNT];
} emb_file;

struct static_mount {
    struct static_mount *next; /* the app's list */
    uint64_t id;               /* distinguishes mounts in worker caches */
    int dirfd;                 /* O_PATH folder, or -1 (embedded) */
    char *dir;
    emb_file *files; /* sorted by path; NULL for a folder */
    size_t nfiles;
    int64_t max_age;
    bool immutable_hashed;
    bool nosniff; /* send X-Content-Type-Options (the app's security
                     headers do not already) */
    bool spa;     /* kiln_static_spa: index.html is never cached */
    char *prefix; /* kiln_static_spa_at: "/app/", or NULL for "/" */
    size_t prefix_n;
};

/* True when app's own header block (the security headers, src/auth/
   headers.c) has X-Content-Type-Options: a file's must not repeat it. */
static bool app_nosniff(const kiln_app *app)
{
    return app->resp_extra && memmem(app->resp_extra, app->resp_extra_n,
                                     "X-Content-Type-Options:", 23) != NULL;
}

/* ---- representations -------------------------------------------------- */

static const char *cache_control(const struct static_mount *m, const char *path,
                                 char *buf, size_t n)
{
    if (m->immutable_hashed && static_name_hashed(path))
        return "public, max-age=31536000, immutable";
    if (m->max_age <= 0 || (m->spa && strcmp(path, "index.html") == 0))
        return "no-cache";
    snprintf(buf, n, "public, max-age=%lld", (long long)m->max_age);
    return buf;
}

static void hdr_put(rep *r, const char *s, size_t n)
{
    if (r->hdrs_n + n < sizeof r->hdrs) {
        memcpy(r->hdrs + r->hdrs_n, s, n);
        r->hdrs_n = (uint16_t)(r->hdrs_n + n);
    }
}

static void hdr_puts(rep *r, const char *s)
{
    hdr_put(r, s, strlen(s));
}

/* Builds r's header block from r->etag_raw text etag (quoted), r->mtime,
 * the Cache-Control value cc (or NULL), vary and the coding. */
static void rep_headers(rep *r, const char *etag, const char *cc, bool vary,
                        const char *coding, bool nosniff)
{
    r->hdrs_n = 0;
    hdr_put(r, "ETag: ", 6);
    size_t at = r->hdrs_n;
    hdr_puts(r, etag);
    r->etag = (kiln_str){r->hdrs + at, r->hdrs_n - at};
    hdr_put(r, "\r\n", 2);
    if (r->mtime > 0) {
        char d[HTTP_DATE_LEN + 1];
        http_date_format((time_t)r->mtime, d);
        hdr_put(r, "Last-Modified: ", 15);
        hdr_put(r, d, HTTP_DATE_LEN);
        hdr_put(r, "\r\n", 2);
    }
    if (cc) {
        hdr_put(r, "Cache-Control: ", 15);
        hdr_puts(r, cc);
        hdr_put(r, "\r\n", 2);
    }
    if (vary)
        hdr_puts(r, "Vary: Accept-Encoding\r\n");
    r->hdrs_304 = r->hdrs_n;
    if (coding) {
        hdr_puts(r, "Content-Encoding: ");
        hdr_puts(r, coding);
        hdr_put(r, "\r\n", 2);
    }
    hdr_puts(r, "Accept-Ranges: bytes\r\n");
    if (nosniff)
        hdr_puts(r, "X-Content-Type-Options: nosniff\r\n");
}

static const char *const rep_suffix[REP_COUNT] = {"", ".br", ".gz"};
static const char *const rep_coding[REP_COUNT] = {NULL, "br", "gzip"};

/* Rebuilds the header blocks of a file's representations (after any of
 * them changed: Vary depends on the siblings). */
static void reps_headers(const struct static_mount *m, const char *path,
                         rep *reps)
{
    char ccbuf[64];
    const char *cc = cache_control(m, path, ccbuf, sizeof ccbuf);
    bool vary = reps[REP_BR].present || reps[REP_GZIP].present;
    for (int v = 0; v < REP_COUNT; v++) {
        rep *r = &reps[v];
        if (!r->present)
            continue;
        char etag[80];
        if (m->dirfd >= 0)
            snprintf(etag, sizeof etag, "\"%llx-%llx-%llx\"",
                     (unsigned long long)r->id.size,
                     (unsigned long long)r->id.mtime_ns,
                     (unsigned long long)r->id.ino);
        else
            snprintf(etag, sizeof etag, "\"%016llx-%llx\"",
                     (unsigned long long)static_hash(r->data, (size_t)r->size),
                     (unsigned long long)r->size);
        rep_headers(r, etag, cc, vary, rep_coding[v], m->nosniff);
    }
}

static void rep_clear(rep *r)
{
    if (r->owns_mem)
        free((void *)r->data);
    memset(r, 0, sizeof *r);
}

/* ---- opening beneath the folder ---------------------------------------- */

static atomic_int no_openat2; /* set once: the kernel has no openat2 */

/* Opens the regular file rel (a checked relative path) beneath dirfd
 * without following a symlink out of it. Returns an fd or -1. */
static int open_beneath(int dirfd, const char *rel)
{
    int flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
#if defined(HAVE_OPENAT2) && defined(SYS_openat2)
    if (!atomic_load_explicit(&no_openat2, memory_order_relaxed)) {
        struct open_how how = {.flags = (uint64_t)flags,
                               .resolve =
                                   RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS};
        int fd = (int)syscall(SYS_openat2, dirfd, rel, &how, sizeof how);
        if (fd >= 0 || (errno != ENOSYS && errno != EPERM))
            return fd;
        atomic_store(&no_openat2, 1); /* ENOSYS, or a seccomp filter */
    }
#endif
    /* fallback: one component at a time, never following a symlink */
    char part[NAME_MAX + 1];
    int at = dirfd;
    const char *p = rel;
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (n == 0 || n > NAME_MAX) {
            if (at != dirfd)
                close(at);
            return -1;
        }
        memcpy(part, p, n);
        part[n] = '\0';
        int fd = openat(at, part,
                        slash ? O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC
                              : flags | O_NOFOLLOW);
        if (at != dirfd)
            close(at);
        if (fd < 0 || !slash)
            return fd;
        at = fd;
        p = slash + 1;
    }
}

/* Opens a representation and stats it; -1 unless it is a regular file. */
static int open_rep(int dirfd, const char *rel, file_id *id)
{
    int fd = open_beneath(dirfd, rel);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return -1;
    }
    id->dev = st.st_dev;
    id->ino = st.st_ino;
    id->size = (int64_t)st.st_size;
    id->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    return fd;
}

static bool id_eq(const file_id *a, const file_id *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtime_ns == b->mtime_ns;
}

/* ---- the worker cache --------------------------------------------------- */

typedef struct centry {
    uint64_t hash;
    uint64_t mount_id;
    int64_t checked; /* second of the last revalidation */
    rep reps[REP_COUNT];
    size_t path_n;
    char path[]; /* NUL-terminated */
} centry;

typedef struct cache {
    centry *slots[CACHE_SLOTS];
    unsigned n;
    size_t mem; /* bytes of file contents held */
} cache;

static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;
static _Thread_local cache *tl_cache;

static void entry_free(cache *k, centry *e)
{
    for (int v = 0; v < REP_COUNT; v++) {
        if (e->reps[v].owns_mem)
            k->mem -= (size_t)e->reps[v].size;
        rep_clear(&e->reps[v]);
    }
    free(e);
}

static void cache_clear(cache *k)
{
    for (unsigned i = 0; i < CACHE_SLOTS; i++) {
        if (k->slots[i])
            entry_free(k, k->slots[i]);
        k->slots[i] = NULL;
    }
    k->n = 0;
}

/* pthread key destructor: the worker thread exits. */
static void cache_destroy(void *p)
{
    cache *k = p;
    cache_clear(k);
    free(k);
    tl_cache = NULL;
}

static void cache_key_init(void)
{
    if (pthread_key_create(&cache_key, cache_destroy) != 0)
        cache_key = (pthread_key_t)-1;
}

/* This thread's cache, created on first use; NULL on failure. */
static cache *cache_get(void)
{
    if (tl_cache)
        return tl_cache;
    pthread_once(&cache_once, cache_key_init);
    if (cache_key == (pthread_key_t)-1)
        return NULL;
    cache *k = calloc(1, sizeof *k);
    if (!k)
        return NULL;
    if (pthread_setspecific(cache_key, k) != 0) {
        free(k);
        return NULL;
    }
    tl_cache = k;
    return k;
}

/* (Re)reads the representations of e from the folder. */
static void entry_load(cache *k, const struct static_mount *m, centry *e)
{
    char name[PATH_MAX];
    bool changed = false;
    for (int v = 0; v < REP_COUNT; v++) {
        rep *r = &e->reps[v];
        file_id id;
        int fd = -1;
        if (e->path_n + 4 <= sizeof name &&
            (v == REP_IDENTITY || e->reps[REP_IDENTITY].present)) {
            memcpy(name, e->path, e->path_n);
            strcpy(name + e->path_n, rep_suffix[v]);
            fd = open_rep(m->dirfd, name, &id);
        }
        if (fd < 0) {
            if (r->present) {
                if (r->owns_mem)
                    k->mem -= (size_t)r->size;
                rep_clear(r);
                changed = true;
            }
            continue;
        }
        if (r->present && id_eq(&r->id, &id)) {
            close(fd);
            continue;
        }
        if (r->owns_mem)
            k->mem -= (size_t)r->size;
        rep_clear(r);
        changed = true;
        r->present = true;
        r->id = id;
        r->size = id.size;
        r->mtime = id.mtime_ns / 1000000000;
        r->ctype = kiln_mime_type(e->path);
        if (id.size <= STATIC_MEM_MAX &&
            k->mem + (size_t)id.size <= CACHE_MEM_BUDGET) {
            unsigned char *buf = malloc((size_t)id.size + 1);
            ssize_t got = buf ? pread(fd, buf, (size_t)id.size, 0) : -1;
            if (got == id.size) {
                r->data = buf;
                r->owns_mem = true;
                k->mem += (size_t)id.size;
            } else {
                free(buf); /* changing under us: sent from the file */
            }
        }
        close(fd);
    }
    if (changed)
        reps_headers(m, e->path, e->reps);
}

/* The entry for rel under m, revalidated if it was last checked before
 * this second. NULL only when memory runs out. */
static centry *cache_lookup(cache *k, const struct static_mount *m,
                            kiln_str rel, int64_t now_sec)
{
    uint64_t h = static_hash(rel.p, rel.n) ^ (m->id * 0x9e3779b97f4a7c15ull);
    unsigned i = (unsigned)h & (CACHE_SLOTS - 1);
    for (;; i = (i + 1) & (CACHE_SLOTS - 1)) {
        centry *e = k->slots[i];
        if (!e)
            break;
        if (e->hash == h && e->mount_id == m->id && e->path_n == rel.n &&
            memcmp(e->path, rel.p, rel.n) == 0) {
            if (e->checked != now_sec) {
                e->checked = now_sec;
                entry_load(k, m, e);
            }
            return e;
        }
    }
    if (k->n >= CACHE_SLOTS / 4 * 3) {
        cache_clear(k); /* crude, but bounded: no LRU to keep on every hit */
        i = (unsigned)h & (CACHE_SLOTS - 1);
    }
    centry *e = calloc(1, sizeof *e + rel.n + 1);
    if (!e)
        return NULL;
    e->hash = h;
    e->mount_id = m->id;
    e->checked = now_sec;
    e->path_n = rel.n;
    memcpy(e->path, rel.p, rel.n);
    entry_load(k, m, e);
    k->slots[i] = e;
    k->n++;
    return e;
}

/* ---- answering ----------------------------------------------------------- */

/* The request headers static serving looks at, found in one pass. */
typedef struct req_hdrs {
    kiln_str if_match, if_none_match, if_modified_since, if_unmodified_since;
    kiln_str if_range, range, accept_encoding;
} req_hdrs;

static void req_hdrs_scan(kiln_ctx *c, req_hdrs *h)
{
    memset(h, 0, sizeof *h);
    for (unsigned i = 0; i < c->req.nheaders; i++) {
        kiln_str n = c->req.headers[i].name;
        kiln_str v = c->req.headers[i].value;
        kiln_str *slot = NULL;
        switch (n.n) {
        case 5:
            slot = kiln_str_ieq_c(n, "range") ? &h->range : NULL;
            break;
        case 8:
            slot = kiln_str_ieq_c(n, "if-match")   ? &h->if_match
                   : kiln_str_ieq_c(n, "if-range") ? &h->if_range
                                                   : NULL;
            break;
        case 13:
            slot =
                kiln_str_ieq_c(n, "if-none-match") ? &h->if_none_match : NULL;
            break;
        case 15:
            slot = kiln_str_ieq_c(n, "accept-encoding") ? &h->accept_encoding
                                                        : NULL;
            break;
        case 17:
            slot = kiln_str_ieq_c(n, "if-modified-since")
                       ? &h->if_modified_since
                       : NULL;
            break;
        case 19:
            slot = kiln_str_ieq_c(n, "if-unmodified-since")
                       ? &h->if_unmodified_since
                       : NULL;
            break;
        }
        if (slot && !slot->p)
            *slot = v; /* the first of repeated fields */
    }
}

/* Picks the representation for the client's Accept-Encoding. */
static const rep *choose_rep(const rep *reps, kiln_str accept_encoding)
{
    const rep *id = &reps[REP_IDENTITY];
    if (!reps[REP_BR].present && !reps[REP_GZIP].present)
        return id;
    static_accept a = static_accept_parse(accept_encoding);
    int br = reps[REP_BR].present ? a.br : 0;
    int gz = reps[REP_GZIP].present ? a.gzip : 0;
    if (br > 0 && br >= gz)
        return &reps[REP_BR];
    if (gz > 0)
        return &reps[REP_GZIP];
    return id;
}

/* Whether an If-Range value lets the Range apply (RFC 9110 13.1.5). */
static bool if_range_holds(kiln_str v, const rep *r)
{
    if (v.n && v.p[0] == '"')
        return static_etag_match(v, r->etag, false);
    if (v.n && v.p[0] == 'W')
        return false; /* a weak tag never validates a range */
    int64_t t;
    return r->mtime > 0 && static_http_date_parse(v, &t) == 0 && t == r->mtime;
}

static int answer_error(kiln_ctx *c, int fd, int status, const char *detail)
{
    if (fd >= 0)
        close(fd);
    return kiln_problem(c, status, "%s", detail);
}

/*
 * Answers c with representation r: conditionals, range, HEAD. fd is an
 * open file holding r (when r->data is NULL), owned by this call.
 */
static int serve_rep(kiln_ctx *c, const req_hdrs *h, const rep *r, int fd)
{
    int64_t t;
    if (h->if_match.p) {
        if (!static_etag_match(h->if_match, r->etag, false))
            return answer_error(c, fd, 412, "If-Match does not match.");
    } else if (h->if_unmodified_since.p && r->mtime > 0 &&
               static_http_date_parse(h->if_unmodified_since, &t) == 0 &&
               r->mtime > t) {
        return answer_error(c, fd, 412, "Modified since If-Unmodified-Since.");
    }
    bool not_modified;
    if (h->if_none_match.p)
        not_modified = static_etag_match(h->if_none_match, r->etag, true);
    else
        not_modified = h->if_modified_since.p && r->mtime > 0 &&
                       static_http_date_parse(h->if_modified_since, &t) == 0 &&
                       r->mtime <= t;
    kiln_buf *hb = &c->resp_headers;
    if (not_modified) {
        if (fd >= 0)
            close(fd);
        if (kiln_buf_append(hb, r->hdrs, r->hdrs_304))
            return KILN_ENOMEM;
        return respond_head_body(c, 304, NULL, NULL, 0);
    }
    int status = 200;
    int64_t first = 0, len = r->size;
    if (h->range.p && !c->head_only &&
        (!h->if_range.p || if_range_holds(h->if_range, r))) {
        int64_t last = 0;
        int k = static_range_parse(h->range, r->size, &first, &last);
        char cr[80];
        if (k == STATIC_RANGE_UNSAT) {
            int n = snprintf(cr, sizeof cr, "Content-Range: bytes */%lld\r\n",
                             (long long)r->size);
            if (kiln_buf_append(hb, cr, (size_t)n))
                return KILN_ENOMEM;
            return answer_error(c, fd, 416, "The range is not satisfiable.");
        }
        if (k == STATIC_RANGE_OK) {
            status = 206;
            len = last - first + 1;
            int n = snprintf(
                cr, sizeof cr, "Content-Range: bytes %lld-%lld/%lld\r\n",
                (long long)first, (long long)last, (long long)r->size);
            if (kiln_buf_append(hb, cr, (size_t)n))
                return KILN_ENOMEM;
        } else {
            first = 0;
        }
    }
    if (kiln_buf_append(hb, r->hdrs, r->hdrs_n)) {
        if (fd >= 0)
            close(fd);
        return KILN_ENOMEM;
    }
    if (r->data) {
        if (fd >= 0)
            close(fd);
        return respond_head_body(c, status, r->ctype, r->data + first, len);
    }
    return respond_file(c, status, r->ctype, fd, first, len);
}

static int not_found(kiln_ctx *c)
{
    return kiln_problem(c, 404, "No such file.");
}

/* Serves a file of a folder mount; 1 (nothing answered) when it has none. */
static int serve_dir(kiln_ctx *c, const struct static_mount *m, kiln_str rel)
{
    cache *k = cache_get();
    if (!k)
        return KILN_ENOMEM;
    int64_t now_sec = c->w->now_ms / 1000;
    centry *e = cache_lookup(k, m, rel, now_sec);
    if (!e)
        return KILN_ENOMEM;
    if (!e->reps[REP_IDENTITY].present)
        return 1;
    req_hdrs h;
    req_hdrs_scan(c, &h);
    const rep *r = choose_rep(e->reps, h.accept_encoding);
    if (r->data)
        return serve_rep(c, &h, r, -1);
    /* not in memory: open it now, and check it is still the file the entry
       describes (else refresh the entry and try once more) */
    char name[PATH_MAX];
    int v = (int)(r - e->reps);
    for (int attempt = 0; attempt < 2; attempt++) {
        if (e->path_n + 4 > sizeof name)
            return not_found(c);
        memcpy(name, e->path, e->path_n);
        strcpy(name + e->path_n, rep_suffix[v]);
        file_id id;
        int fd = open_rep(m->dirfd, name, &id);
        if (fd >= 0 && id_eq(&id, &r->id))
            return serve_rep(c, &h, r, fd);
        if (fd >= 0)
            close(fd);
        e->checked = now_sec;
        entry_load(k, m, e);
        if (!e->reps[REP_IDENTITY].present)
            return not_found(c);
        r = choose_rep(e->reps, h.accept_encoding);
        v = (int)(r - e->reps);
        if (r->data)
            return serve_rep(c, &h, r, -1);
    }
    return kiln_problem(c, 503, "The file is changing; try again.");
}

static int emb_cmp(const void *a, const void *b)
{
    return strcmp(((const emb_file *)a)->path, ((const emb_file *)b)->path);
}

static emb_file *emb_find(const struct static_mount *m, const char *path)
{
    emb_file key = {.path = (char *)path};
    return bsearch(&key, m->files, m->nfiles, sizeof *m->files, emb_cmp);
}

/* Serves rel (checked, NUL-terminated) from m; 1 (nothing answered) when
 * m has no such file. */
static int serve_file(kiln_ctx *c, const struct static_mount *m, kiln_str rel)
{
    if (m->dirfd >= 0)
        return serve_dir(c, m, rel);
    emb_file *f = emb_find(m, rel.p);
    if (!f)
        return 1;
    req_hdrs h;
    req_hdrs_scan(c, &h);
    return serve_rep(c, &h, choose_rep(f->reps, h.accept_encoding), -1);
}

static KILN_HANDLER(static_handler)
{
    const struct static_mount *m = kiln_route_data(c);
    kiln_str path = kiln_path(c);
    if (c->match.nparams == 0 || (path.n && path.p[path.n - 1] == '/'))
        return not_found(c); /* the prefix itself, or a folder */
    kiln_str rel = c->match.values[c->match.nparams - 1];
    if (!static_path_ok(rel))
        return not_found(c);
    if (rel.p[rel.n] != '\0') { /* the rest of the path ends the path */
        char *s = kiln_arena_strndup(&c->arena, rel.p, rel.n);
        if (!s)
            return KILN_ENOMEM;
        rel.p = s;
    }
    int rc = serve_file(c, m, rel);
    return rc == 1 ? not_found(c) : rc;
}

/* ---- a single-page app -------------------------------------------------- */

static bool is_api_path(kiln_str path)
{
    return path.n >= 4 && memcmp(path.p, "/api", 4) == 0 &&
           (path.n == 4 || path.p[4] == '/');
}

/* Whether the request's Accept field lines prefer HTML to JSON (the error
 * pages' decision, app/errpage.c). */
static bool wants_html(kiln_ctx *c)
{
    kiln_str fields[16];
    size_t n = 0;
    for (unsigned i = 0; i < c->req.nheaders && n < 16; i++)
        if (kiln_str_ieq_c(c->req.headers[i].name, "accept"))
            fields[n++] = c->req.headers[i].value;
    return http_accept_prefers_html(fields, n);
}

/* Whether the last segment of path has an extension ("x.js"). */
static bool has_extension(kiln_str path)
{
    for (size_t i = path.n; i > 0 && path.p[i - 1] != '/'; i--)
        if (path.p[i - 1] == '.')
            return true;
    return false;
}

/*
 * The app's fallback for a GET or HEAD that matched no route: a file of
 * the SPA, else its index.html for a page a browser asks for (the client
 * router takes it from there), else the router's 404.
 */
static KILN_HANDLER(spa_handler)
{
    const struct static_mount *m = kiln_route_data(c);
    kiln_str path = kiln_path(c); /* normalised, NUL-terminated */
    if (is_api_path(path))
        return kiln_problem(c, 404, "No route matches this path.");
    kiln_str rel = {path.p + 1, path.n - 1};
    if (m->prefix) { /* "/app/x" is x; "/app" is the app's root too */
        bool bare =
            path.n + 1 == m->prefix_n && memcmp(path.p, m->prefix, path.n) == 0;
        if (!bare && (path.n < m->prefix_n ||
                      memcmp(path.p, m->prefix, m->prefix_n) != 0))
            return kiln_problem(c, 404, "No route matches this path.");
        rel = bare ? (kiln_str){"", 0}
                   : (kiln_str){path.p + m->prefix_n, path.n - m->prefix_n};
    }
    if (rel.n && rel.p[rel.n - 1] != '/' && static_path_ok(rel)) {
        int rc = serve_file(c, m, rel);
        if (rc != 1)
            return rc;
    }
    if (has_extension(path))
        return not_found(c); /* an asset, not a page: never index.html */
    if (!wants_html(c))
        return kiln_problem(c, 404, "No route matches this path.");
    int rc = kiln_set_header(c, "Vary", "Accept");
    if (rc == 0)
        rc = serve_file(c, m, KILN_STR("index.html"));
    return rc == 1 ? kiln_problem(c, 404, "The app has no index.html.") : rc;
}

/* ---- mounts ----------------------------------------------------------------
 */

static void mount_free(struct static_mount *m)
{
    if (m->dirfd >= 0)
        close(m->dirfd);
    free(m->dir);
    free(m->prefix);
    for (size_t i = 0; i < m->nfiles; i++)
        free(m->files[i].path);
    free(m->files);
    free(m);
}

void static_mounts_free(kiln_app *app)
{
    while (app->statics) {
        struct static_mount *m = app->statics;
        app->statics = m->next;
        mount_free(m);
    }
}

/* Copies the embedded files of o into m, with their representations. */
static int mount_files(struct static_mount *m, const kiln_static_opts *o)
{
    m->files = calloc(o->nfiles, sizeof *m->files);
    if (!m->files)
        return KILN_ENOMEM;
    for (size_t i = 0; i < o->nfiles; i++) {
        const kiln_static_file *src = &o->files[i];
        if (!src->path || (!src->data && src->len))
            return KILN_EINVAL;
        m->files[i].path = strdup(src->path);
        if (!m->files[i].path)
            return KILN_ENOMEM;
        m->nfiles = i + 1;
        rep *r = &m->files[i].reps[REP_IDENTITY];
        r->present = true;
        r->data = src->data ? src->data : (const unsigned char *)"";
        r->size = (int64_t)src->len;
        r->mtime = src->mtime;
    }
    qsort(m->files, m->nfiles, sizeof *m->files, emb_cmp);
    /* the siblings "x.br" and "x.gz" of each file become its variants */
    for (size_t i = 0; i < m->nfiles; i++) {
        emb_file *f = &m->files[i];
        size_t n = strlen(f->path);
        char *name = malloc(n + 4);
        if (!name)
            return KILN_ENOMEM;
        for (int v = REP_BR; v < REP_COUNT; v++) {
            memcpy(name, f->path, n);
            strcpy(name + n, rep_suffix[v]);
            emb_file *s = emb_find(m, name);
            if (s)
                f->reps[v] = s->reps[REP_IDENTITY];
        }
        free(name);
        const char *type = kiln_mime_type(f->path);
        for (int v = 0; v < REP_COUNT; v++)
            f->reps[v].ctype = type;
    }
    for (size_t i = 0; i < m->nfiles; i++)
        reps_headers(m, m->files[i].path, m->files[i].reps);
    return 0;
}

/* A new mount of o (not yet routed); NULL with *rc set. */
static struct static_mount *mount_new(const kiln_app *app,
                                      const kiln_static_opts *o, int *rc)
{
    static atomic_uint_fast64_t next_id;
    struct static_mount *m = calloc(1, sizeof *m);
    if (!m) {
        *rc = KILN_ENOMEM;
        return NULL;
    }
    m->id = atomic_fetch_add(&next_id, 1) + 1;
    m->dirfd = -1;
    m->max_age = o->max_age;
    m->immutable_hashed = o->immutable_hashed;
    m->nosniff = !app_nosniff(app);
    if (o->files) {
        *rc = mount_files(m, o);
    } else {
        m->dir = strdup(o->dir);
        m->dirfd = open(o->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        *rc = !m->dir ? KILN_ENOMEM : m->dirfd < 0 ? KILN_EINVAL : 0;
    }
    if (*rc) {
        mount_free(m);
        return NULL;
    }
    return m;
}

int kiln_static_mount(kiln_app *app, const char *prefix,
                      const kiln_static_opts *o)
{
    if (!app || !prefix || !o || prefix[0] != '/' || strpbrk(prefix, "{}\\") ||
        (!o->dir && !o->files) || (o->files && o->nfiles == 0))
        return KILN_EINVAL;
    size_t pn = strlen(prefix);
    char *pattern = malloc(pn + 12);
    if (!pattern)
        return KILN_ENOMEM;
    memcpy(pattern, prefix, pn);
    if (pattern[pn - 1] != '/')
        pattern[pn++] = '/';
    strcpy(pattern + pn, "{...path}");
    int rc;
    struct static_mount *m = mount_new(app, o, &rc);
    if (m)
        rc = kiln_route_with(app, "GET", pattern, static_handler, m);
    free(pattern);
    if (rc != 0) {
        if (m)
            mount_free(m);
        return rc;
    }
    m->next = app->statics;
    app->statics = m;
    return 0;
}

int kiln_static_spa(kiln_app *app, const kiln_static_opts *o)
{
    return kiln_static_spa_at(app, "/", o);
}

int kiln_static_spa_at(kiln_app *app, const char *prefix,
                       const kiln_static_opts *o)
{
    if (!app || !o || !prefix || prefix[0] != '/' ||
        strpbrk(prefix, "{}\\?#") || strstr(prefix, "//") ||
        (!o->dir && !o->files) || (o->files && o->nfiles == 0))
        return KILN_EINVAL;
    if (app->fallback)
        return KILN_ESTATE;
    int rc;
    struct static_mount *m = mount_new(app, o, &rc);
    if (!m)
        return rc;
    m->spa = true;
    if (strcmp(prefix, "/") != 0) { /* kept as "/app/" */
        size_t n = strlen(prefix);
        bool slash = prefix[n - 1] == '/';
        m->prefix = malloc(n + 2);
        if (!m->prefix) {
            mount_free(m);
            return KILN_ENOMEM;
        }
        memcpy(m->prefix, prefix, n);
        if (!slash)
            m->prefix[n++] = '/';
        m->prefix[n] = 0;
        m->prefix_n = n;
    }
    bool has_index = m->dirfd >= 0
                         ? faccessat(m->dirfd, "index.html", R_OK, 0) == 0
                         : emb_find(m, "index.html") != NULL;
    if (!has_index) {
        mount_free(m);
        return KILN_EINVAL;
    }
    app->fallback = spa_handler;
    app->fallback_data = m;
    m->next = app->statics;
    app->statics = m;
    return 0;
}

/* ---- kiln_static_send ---------------------------------------------------- */

int kiln_static_send(kiln_ctx *c, const void *data, size_t n,
                     const char *content_type, int64_t mtime)
{
    if (c->responded)
        return KILN_ESTATE;
    if (!data && n)
        return KILN_EINVAL;
    rep r;
    memset(&r, 0, sizeof r);
    r.present = true;
    r.ctype = content_type;
    r.size = (int64_t)n;
    r.mtime = mtime > 0 ? mtime : 0;
    r.data = data ? data : (const unsigned char *)"";
    char etag[48];
    snprintf(etag, sizeof etag, "\"%016llx-%zx\"",
             (unsigned long long)static_hash(r.data, n), n);
    rep_headers(&r, etag, NULL, false, NULL, !app_nosniff(c->w->app));
    req_hdrs h;
    req_hdrs_scan(c, &h);
    return serve_rep(c, &h, &r, -1);
}
