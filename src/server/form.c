/*
 * server/form.c - form bodies for handlers, with or without a schema
 * (kiln/http.h: kiln_form_fields and the accessors built on it), for any
 * method:
 *
 * - application/x-www-form-urlencoded: the body is in memory (server.max_body
 *   bounds it) and split by http_query_parse, names and values decoded
 *   into the arena;
 * - multipart/form-data: parsed by http/multipart.c while it arrives (the
 *   request is streamed, see body.c), so a large upload never sits in
 *   memory.
 *
 * Where multipart bytes go:
 * - text fields into the arena; together with file parts kept in memory
 *   they may hold at most server.max_body bytes (more text: 413);
 * - a file part stays in memory while it is at most uploads.memory bytes
 *   and that budget allows; past either it is written, as it arrives, to a
 *   temporary file made by mkostemp(3) (mode 0600) in uploads.dir. A file
 *   part over uploads.max_file is 413, and its partial file is removed at
 *   once;
 * - headers, boundaries, preamble and epilogue count against
 *   server.max_body too, and the number of parts against
 *   uploads.max_parts (which also bounds urlencoded fields).
 *
 * Temporary files: a kiln_defer callback, registered before the first file
 * is created, removes them when the handler returns, whatever way it ends
 * (an error, a crash of its coroutine, a client that went away, a shutdown
 * that ran out of time: ctx_release runs it then). It removes only the file
 * it created (same device and inode), so a file the handler renamed away
 * and someone else's file that took the name later are left alone. On a
 * failed parse they are removed at once, since no field refers to them.
 */
#include "server/worker.h"

#include "http/media.h"
#include "http/multipart.h"
#include "http/url.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A temporary file of the request. */
typedef struct form_tmp {
    char *path; /* in the arena; NULL once removed */
    int fd;     /* open while its part is written, else -1 */
    dev_t dev;  /* what mkostemp made, to remove only that */
    ino_t ino;
    struct form_tmp *next;
} form_tmp;

/* The request's form, parsed once (x->form, in the arena). */
typedef struct form_state {
    int rc;             /* kiln_form_fields' result, returned again */
    const char *detail; /* why it failed, for kiln_form_fail */
    kiln_form_field *fields;
    size_t n, cap;
    form_tmp *tmps;   /* every temporary file made */
    bool cleanup_set; /* form_cleanup is registered with kiln_defer */
    uint64_t mem;     /* bytes of values and files kept in memory */
    uint64_t in;      /* body bytes fed to the parser */
    uint64_t data;    /* of which part data */
} form_state;

/* Records a failure: rc and a formatted detail (in the arena). */
static int form_error(kiln_ctx *c, form_state *f, int rc, const char *fmt, ...)
    KILN_PRINTF(4, 5);

static int form_error(kiln_ctx *c, form_state *f, int rc, const char *fmt, ...)
{
    char d[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d, sizeof d, fmt, ap);
    va_end(ap);
    f->detail = kiln_arena_strndup(&c->arena, d, strlen(d));
    return rc;
}

/* ---- temporary files ---------------------------------------------------- */

/* Closes t and removes its file if it is still the one we made. */
static void tmp_remove(form_tmp *t)
{
    if (t->fd >= 0)
        close(t->fd);
    t->fd = -1;
    struct stat st;
    if (t->path && lstat(t->path, &st) == 0 && st.st_dev == t->dev &&
        st.st_ino == t->ino)
        unlink(t->path);
    t->path = NULL;
}

/* kiln_defer callback: the request is over, its temporary files go. Runs
 * in the handler's coroutine, or outside it after a crash: never waits. */
static void form_cleanup(void *arg, int rc)
{
    (void)rc;
    form_state *f = arg;
    for (form_tmp *t = f->tmps; t; t = t->next)
        tmp_remove(t);
}

/* Makes a temporary file in uploads.dir. Returns it, or NULL (with the
 * reason recorded in f, and the return code in *rc). */
static form_tmp *tmp_open(kiln_ctx *c, form_state *f, int *rc)
{
    const char *dir = c->w->opts->uploads_dir;
    form_tmp *t = kiln_arena_calloc(&c->arena, sizeof *t);
    char *path = kiln_arena_printf(&c->arena, "%s/kiln-upload-XXXXXX", dir);
    if (!t || !path) {
        *rc = form_error(c, f, KILN_ENOMEM, "Out of memory.");
        return NULL;
    }
    /* the cleanup exists before the file does */
    if (!f->cleanup_set) {
        if (kiln_defer(c, form_cleanup, f) != 0) {
            *rc = form_error(c, f, KILN_ENOMEM, "Out of memory.");
            return NULL;
        }
        f->cleanup_set = true;
    }
    int fd = mkostemp(path, O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        int e = errno;
        if (fd >= 0) {
            close(fd);
            unlink(path);
        }
        kiln_log(KILN_LOG_ERROR,
                 "%s: uploads.dir %s: cannot create a "
                 "temporary file: %s",
                 kiln_request_id(c), dir, strerror(e));
        *rc = form_error(c, f, KILN_EIO, "The upload could not be stored.");
        return NULL;
    }
    t->path = path;
    t->fd = fd;
    t->dev = st.st_dev;
    t->ino = st.st_ino;
    t->next = f->tmps;
    f->tmps = t;
    return t;
}

/* Appends n bytes to t's file. Returns 0 or KILN_EIO (logged). */
static int tmp_write(kiln_ctx *c, form_tmp *t, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(t->fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            kiln_log(KILN_LOG_ERROR, "%s: writing the upload to %s: %s",
                     kiln_request_id(c), t->path,
                     k < 0 ? strerror(errno) : "no progress");
            return KILN_EIO;
        }
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* ---- multipart ---------------------------------------------------------- */

/* The part being parsed. */
typedef struct part_state {
    kiln_form_field *field; /* in f->fields */
    kiln_upload *up;        /* a file part, else NULL */
    form_tmp *tmp;          /* its temporary file, once spilled */
} part_state;

/* Adds a field for the part m->part. Returns 0 or a negative code. */
static int part_begin(kiln_ctx *c, form_state *f, const http_multipart *m,
                      part_state *ps)
{
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 16;
        kiln_form_field *v = kiln_arena_alloc(&c->arena, cap * sizeof *v);
        if (!v)
            return form_error(c, f, KILN_ENOMEM, "Out of memory.");
        if (f->n)
            memcpy(v, f->fields, f->n * sizeof *v);
        f->fields = v;
        f->cap = cap;
    }
    const http_mp_part *p = &m->part;
    kiln_form_field *fd = &f->fields[f->n++];
    char *name = kiln_arena_strndup(&c->arena, p->name.p, p->name.n);
    if (!name)
        return form_error(c, f, KILN_ENOMEM, "Out of memory.");
    fd->name = (kiln_str){name, p->name.n};
    fd->value = KILN_STR("");
    fd->file = NULL;
    ps->field = fd;
    ps->up = NULL;
    ps->tmp = NULL;
    kiln_buf_clear(&c->part_buf);
    if (!p->filename.p)
        return 0;
    kiln_upload *up = kiln_arena_calloc(&c->arena, sizeof *up);
    char *fn = kiln_arena_strndup(&c->arena, p->filename.p, p->filename.n);
    kiln_str ct = p->content_type.p ? p->content_type
                                    : KILN_STR("application/octet-stream");
    char *ctc = kiln_arena_strndup(&c->arena, ct.p, ct.n);
    if (!up || !fn || !ctc)
        return form_error(c, f, KILN_ENOMEM, "Out of memory.");
    up->filename = (kiln_str){fn, p->filename.n};
    up->content_type = (kiln_str){ctc, ct.n};
    ps->up = up;
    return 0;
}

/* Takes n bytes of the current part. Returns 0 or a negative code. */
static int part_data(kiln_ctx *c, form_state *f, part_state *ps, const char *p,
                     size_t n)
{
    const kiln_server_opts *o = c->w->opts;
    uint64_t max_mem = (uint64_t)o->max_body;
    kiln_buf *b = &c->part_buf;
    f->data += n;
    if (!ps->up) {
        if (f->mem + b->n + n > max_mem)
            return form_error(c, f, KILN_ELIMIT,
                              "The form's fields are larger than %lld bytes "
                              "(server.max_body).",
                              (long long)o->max_body);
        return kiln_buf_append(b, p, n) == 0
                   ? 0
                   : form_error(c, f, KILN_ENOMEM, "Out of memory.");
    }
    kiln_upload *up = ps->up;
    up->size += (int64_t)n;
    if (up->size > o->upload_max_file) {
        if (ps->tmp)
            tmp_remove(ps->tmp); /* the partial file goes at once */
        return form_error(c, f, KILN_ELIMIT,
                          "The file in field '%s' is larger than %lld bytes "
                          "(uploads.max_file).",
                          ps->field->name.p, (long long)o->upload_max_file);
    }
    if (ps->tmp)
        return tmp_write(c, ps->tmp, p, n) == 0
                   ? 0
                   : form_error(c, f, KILN_EIO,
                                "The upload could not be stored.");
    uint64_t held = b->n + n;
    if (held <= (uint64_t)o->upload_memory && f->mem + held <= max_mem)
        return kiln_buf_append(b, p, n) == 0
                   ? 0
                   : form_error(c, f, KILN_ENOMEM, "Out of memory.");
    /* too big for memory: to a temporary file, with what was held */
    int rc;
    ps->tmp = tmp_open(c, f, &rc);
    if (!ps->tmp)
        return rc;
    if (tmp_write(c, ps->tmp, b->p, b->n) != 0 ||
        tmp_write(c, ps->tmp, p, n) != 0)
        return form_error(c, f, KILN_EIO, "The upload could not be stored.");
    kiln_buf_clear(b);
    return 0;
}

/* Completes the current part. Returns 0 or a negative code. */
static int part_end(kiln_ctx *c, form_state *f, part_state *ps)
{
    kiln_buf *b = &c->part_buf;
    kiln_upload *up = ps->up;
    if (up && ps->tmp) {
        close(ps->tmp->fd);
        ps->tmp->fd = -1;
        up->path = ps->tmp->path;
        up->data = KILN_STR_NULL;
    } else if (up && up->filename.n == 0 && b->n == 0) {
        /* a file input with no file chosen: browsers send filename=""
           and no bytes; that is an empty field, not a file */
        ps->field->value = KILN_STR("");
    } else {
        char *v = kiln_arena_strndup(&c->arena, b->p ? b->p : "", b->n);
        if (!v)
            return form_error(c, f, KILN_ENOMEM, "Out of memory.");
        f->mem += b->n;
        if (up)
            up->data = (kiln_str){v, b->n};
        else
            ps->field->value = (kiln_str){v, b->n};
    }
    if (up && (up->path || up->data.p))
        ps->field->file = up;
    kiln_buf_clear(b);
    return 0;
}

/* Answers the parser's error codes. */
static int parser_error(kiln_ctx *c, form_state *f, int ev)
{
    if (ev == HTTP_MP_EPARTS)
        return form_error(c, f, KILN_ELIMIT,
                          "The form has more than %d parts "
                          "(uploads.max_parts).",
                          c->w->opts->upload_max_parts);
    return form_error(c, f, KILN_EPARSE, "Malformed multipart body: %s.",
                      http_multipart_strerror(ev));
}

/* Parses a multipart/form-data body as it arrives. */
static int parse_multipart(kiln_ctx *c, form_state *f, kiln_str ctype)
{
    const kiln_server_opts *o = c->w->opts;
    http_multipart *m = kiln_arena_alloc(&c->arena, sizeof *m);
    if (!m)
        return form_error(c, f, KILN_ENOMEM, "Out of memory.");
    int ev = http_multipart_init(m, ctype, (unsigned)o->upload_max_parts);
    if (ev < 0)
        return parser_error(c, f, ev);
    part_state ps = {0};
    kiln_str v;
    int r;
    while ((r = body_peek(c, &v)) > 0) {
        f->in += v.n;
        size_t off = 0;
        while (off < v.n) {
            size_t used;
            kiln_str d;
            ev = http_multipart_feed(m, v.p + off, v.n - off, &used, &d);
            if (ev < 0)
                return parser_error(c, f, ev);
            int rc = 0;
            if (ev == HTTP_MP_PART) {
                rc = part_begin(c, f, m, &ps);
            } else if (ev == HTTP_MP_DATA) {
                rc = part_data(c, f, &ps, d.p, d.n);
            } else if (ev == HTTP_MP_PART_END) {
                rc = part_end(c, f, &ps);
            }
            if (rc)
                return rc;
            off += used;
        }
        body_take(c, v.n);
        if (f->in - f->data > (uint64_t)o->max_body)
            return form_error(c, f, KILN_ELIMIT,
                              "The form has more than %lld bytes of headers "
                              "and boundaries (server.max_body).",
                              (long long)o->max_body);
    }
    if (r < 0)
        return form_error(c, f, r, "The request body could not be read (%s).",
                          kiln_strerror(r));
    ev = http_multipart_finish(m);
    return ev < 0 ? parser_error(c, f, ev) : 0;
}

/* ---- urlencoded --------------------------------------------------------- */

static int parse_urlencoded(kiln_ctx *c, form_state *f, kiln_str params)
{
    http_param_iter it = {params.p, params.p + params.n};
    kiln_str name, raw;
    int rc;
    while ((rc = http_param_next(&it, &name, &raw)) == 1) {
        if (!kiln_str_ieq_c(name, "charset"))
            continue;
        char cs[64];
        if (raw.n >= sizeof cs)
            return form_error(c, f, KILN_ENOTFOUND,
                              "The form's charset is not supported: send "
                              "UTF-8.");
        size_t n = http_param_unquote(raw, cs);
        if (!kiln_str_ieq_c((kiln_str){cs, n}, "utf-8"))
            return form_error(c, f, KILN_ENOTFOUND,
                              "The form's charset %s is not supported: send "
                              "UTF-8.",
                              cs);
    }
    if (rc < 0)
        return form_error(c, f, KILN_ENOTFOUND,
                          "The Content-Type header is malformed.");
    kiln_str body = kiln_body(c);
    if (!body.p && c->body_err)
        return form_error(c, f, c->body_err,
                          "The request body could not be read.");
    http_kv *kv = NULL;
    long k = http_query_parse(&c->arena, body, &kv);
    if (k == KILN_ENOMEM)
        return form_error(c, f, KILN_ENOMEM, "Out of memory.");
    if (k < 0)
        return form_error(c, f, KILN_EPARSE,
                          "The form body has a malformed percent-escape.");
    if (k > c->w->opts->upload_max_parts)
        return form_error(c, f, KILN_ELIMIT,
                          "The form has more than %d fields "
                          "(uploads.max_parts).",
                          c->w->opts->upload_max_parts);
    f->fields = kiln_arena_alloc(&c->arena, (size_t)k * sizeof *f->fields);
    if (!f->fields)
        return form_error(c, f, KILN_ENOMEM, "Out of memory.");
    for (long i = 0; i < k; i++)
        f->fields[i] = (kiln_form_field){kv[i].name, kv[i].value, NULL};
    f->n = f->cap = (size_t)k;
    return 0;
}

/* ---- handler API -------------------------------------------------------- */

#define NOT_A_FORM                                                             \
    "The request body is not a form (application/x-www-form-urlencoded or "    \
    "multipart/form-data)."

static int form_parse(kiln_ctx *c, form_state *f)
{
    kiln_str ct = kiln_header(c, "Content-Type");
    kiln_str type, params;
    if (!ct.p)
        return form_error(c, f, KILN_ENOTFOUND, NOT_A_FORM);
    if (http_media_split(ct, true, &type, &params) != 0)
        return form_error(c, f, KILN_ENOTFOUND,
                          "The Content-Type header is malformed.");
    if (kiln_str_ieq_c(type, "application/x-www-form-urlencoded"))
        return parse_urlencoded(c, f, params);
    if (kiln_str_ieq_c(type, "multipart/form-data")) {
        int rc = parse_multipart(c, f, ct);
        if (rc) {
            /* no field refers to them: the files go now */
            form_cleanup(f, rc);
            f->n = 0;
        }
        return rc;
    }
    return form_error(c, f, KILN_ENOTFOUND, NOT_A_FORM);
}

/* Contract in kiln/http.h. */
int kiln_form_fields(kiln_ctx *c, const kiln_form_field **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!c->form) {
        form_state *f = kiln_arena_calloc(&c->arena, sizeof *f);
        if (!f)
            return KILN_ENOMEM;
        c->form = f;
        f->rc = form_parse(c, f);
    }
    if (c->form->rc == 0) {
        *out = c->form->fields;
        *n = c->form->n;
    }
    return c->form->rc;
}

/* Contract in kiln/http.h. */
int kiln_form_fail(kiln_ctx *c, int rc)
{
    if (c->responded || rc == 0)
        return 0;
    const char *detail = c->form && c->form->rc == rc ? c->form->detail : NULL;
    int status;
    switch (rc) {
    case KILN_ENOTFOUND:
        status = 415;
        if (!detail)
            detail = NOT_A_FORM;
        break;
    case KILN_EPARSE:
        status = 400;
        break;
    case KILN_ELIMIT:
        status = 413;
        break;
    case KILN_ETIMEDOUT:
        status = 408;
        detail = "The request body stopped arriving.";
        break;
    case KILN_ECLOSED:
        return 0; /* the client is gone: nobody to answer */
    case KILN_ENOMEM:
    case KILN_ECANCELED:
        status = 503;
        break;
    default:
        status = 500;
    }
    return respond_problem(c, status, detail ? detail : "The form failed.");
}

/* Contract in kiln/http.h. */
kiln_str kiln_form(kiln_ctx *c, const char *name)
{
    const kiln_form_field *f;
    size_t n, len = strlen(name);
    if (kiln_form_fields(c, &f, &n) != 0)
        return KILN_STR_NULL;
    for (size_t i = 0; i < n; i++)
        if (f[i].name.n == len && memcmp(f[i].name.p, name, len) == 0)
            return f[i].value;
    return KILN_STR_NULL;
}

/* Contract in kiln/http.h. */
size_t kiln_form_values(kiln_ctx *c, const char *name, kiln_str *out,
                        size_t max)
{
    const kiln_form_field *f;
    size_t n, len = strlen(name), k = 0;
    if (kiln_form_fields(c, &f, &n) != 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (f[i].name.n != len || memcmp(f[i].name.p, name, len) != 0)
            continue;
        if (k < max)
            out[k] = f[i].value;
        k++;
    }
    return k;
}

/* Contract in kiln/http.h. */
const kiln_upload *kiln_form_file(kiln_ctx *c, const char *name)
{
    const kiln_form_field *f;
    size_t n, len = strlen(name);
    if (kiln_form_fields(c, &f, &n) != 0)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (f[i].file && f[i].name.n == len &&
            memcmp(f[i].name.p, name, len) == 0)
            return f[i].file;
    return NULL;
}
