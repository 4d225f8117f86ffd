/*
 * schema/check.c - the checks of one value against its field's constraints,
 * shared by both decoders and kiln_validate, and the error sink that turns
 * a failed check into an entry of the 422 list with its JSON Pointer.
 *
 * A value fails at most one check: the first in the order the functions
 * below list them (a string that is too long is not also checked against
 * its pattern), so every failing field gets one error with one code.
 *
 * Patterns are POSIX extended regular expressions, compiled once per field
 * into its pattern_cache (under a lock, then read without one: the state
 * is published with release/acquire) and matched with REG_NOSUB; glibc's
 * regexec is safe to call on one regex_t from several threads.
 */
#include "schema/schema_impl.h"

#include <assert.h>
#include <math.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the error sink --------------------------------------------------- */

void schema_sink_init(schema_sink *s, kiln_errors *errs, const char *prefix)
{
    s->errs = errs;
    s->prefix = prefix ? prefix : "";
    s->budget = SCHEMA_POINTER_BUDGET;
    s->rc = 0;
    kiln_buf_init(&s->ptr);
}

void schema_sink_deinit(schema_sink *s)
{
    kiln_buf_deinit(&s->ptr);
}

/* Appends the segments of path to b, outermost first (recursion bounded by
   the decoders' depth limit). */
static int check_render(kiln_buf *b, const schema_path *path)
{
    if (!path)
        return 0;
    int rc = check_render(b, path->up);
    if (rc == 0)
        rc = kiln_buf_putc(b, '/');
    if (rc || !path->key)
        return rc ? rc : kiln_buf_printf(b, "%zu", path->n);
    size_t run = 0;
    for (size_t i = 0; rc == 0 && i < path->n; i++) {
        char c = path->key[i];
        if (c != '~' && c != '/')
            continue;
        rc = kiln_buf_append(b, path->key + run, i - run);
        if (rc == 0)
            rc = kiln_buf_puts(b, c == '~' ? "~0" : "~1");
        run = i + 1;
    }
    return rc ? rc : kiln_buf_append(b, path->key + run, path->n - run);
}

int schema_error(schema_sink *s, const schema_path *path, const char *code,
                 const char *fmt, ...)
{
    kiln_errors *e = s->errs;
    if (e->n == KILN_ERRORS_MAX) {
        e->dropped++;
        return 1;
    }
    kiln_buf_clear(&s->ptr);
    int rc = kiln_buf_puts(&s->ptr, s->prefix);
    if (rc == 0)
        rc = check_render(&s->ptr, path);
    if (rc == 0 && s->ptr.n > s->budget) {
        e->dropped++;
        return 1;
    }
    char detail[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    if (rc == 0)
        rc = kiln_errors_add(e, s->ptr.p, code, "%s", detail);
    if (rc)
        s->rc = KILN_ENOMEM;
    else
        s->budget -= s->ptr.n;
    return 1;
}

/* ---- helpers ---------------------------------------------------------- */

void schema_item_field(const kiln_field *f, kiln_field *item)
{
    *item = *f;
    item->type = f->item_type;
    item->offset = 0;
    item->has_offset = KILN_NO_OFFSET;
    item->flags &=
        (uint16_t) ~(KILN_FF_OPTIONAL | KILN_FF_HAS_MIN | KILN_FF_HAS_MAX |
                     KILN_FF_DEFAULT_NOW | KILN_FF_DEFAULT_RANDOM);
    item->def = NULL;
}

/* Formats d in its shortest round-trip form into out. */
static const char *check_fmt_double(double d, char out[32])
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(out, 32, "%.*g", prec, d);
        if (strtod(out, NULL) == d)
            break;
    }
    return out;
}

/* The number of code points of the UTF-8 text s (bytes that are not
   continuation bytes). */
static size_t check_chars(kiln_str s)
{
    size_t n = 0;
    const unsigned char *p = (const unsigned char *)s.p;
    for (size_t i = 0; i < s.n; i++)
        n += (p[i] & 0xC0) != 0x80;
    return n;
}

/* ---- patterns --------------------------------------------------------- */

static pthread_mutex_t check_pattern_lock = PTHREAD_MUTEX_INITIALIZER;

/* Compiles pattern into a new regex_t, or NULL. */
static regex_t *check_compile(const char *pattern)
{
    regex_t *re = malloc(sizeof *re);
    if (re && regcomp(re, pattern, REG_EXTENDED | REG_NOSUB) != 0) {
        free(re);
        re = NULL;
    }
    return re;
}

/*
 * Matches s against f's pattern. Returns 1 on a match, 0 on none, -1 when
 * the pattern does not compile or s holds a NUL byte (regexec cannot see
 * past it), KILN_ENOMEM.
 */
static int check_pattern(const kiln_field *f, kiln_str s)
{
    kiln_pattern_cache *c = f->pattern_cache;
    regex_t *re = NULL, *own = NULL;
    if (memchr(s.p, 0, s.n))
        return -1;
    if (c && __atomic_load_n(&c->state, __ATOMIC_ACQUIRE) != 0) {
        re = c->re;
    } else if (c) {
        pthread_mutex_lock(&check_pattern_lock);
        if (c->state == 0) {
            c->re = check_compile(f->pattern);
            __atomic_store_n(&c->state, c->re ? 1 : -1, __ATOMIC_RELEASE);
        }
        re = c->re;
        pthread_mutex_unlock(&check_pattern_lock);
    } else {
        re = own = check_compile(f->pattern);
    }
    if (!re)
        return -1;
    char small[256], *z = small;
    if (s.n >= sizeof small && !(z = malloc(s.n + 1))) {
        if (own) {
            regfree(own);
            free(own);
        }
        return KILN_ENOMEM;
    }
    memcpy(z, s.p, s.n);
    z[s.n] = '\0';
    int r = regexec(re, z, 0, NULL, 0) == 0;
    if (z != small)
        free(z);
    if (own) {
        regfree(own);
        free(own);
    }
    return r;
}

/* ---- value checks ----------------------------------------------------- */

int schema_check_str(schema_sink *s, const kiln_field *f, kiln_str v,
                     const schema_path *path)
{
    if (v.n == 0 && !(f->flags & KILN_FF_BLANK))
        return schema_error(s, path, "blank", "may not be blank");
    /* U+0000: PostgreSQL's text cannot hold it and C code reading the
       value as a C string would stop there (Django refuses it too) */
    if (memchr(v.p, 0, v.n))
        return schema_error(s, path, "null_character",
                            "may not contain a NUL character (U+0000)");
    /* a character is 1 to 4 bytes: count them only when the byte length
       does not settle it */
    if (f->max_length >= 0 && v.n > (uint64_t)f->max_length &&
        check_chars(v) > (uint64_t)f->max_length)
        return schema_error(s, path, "max_length", "at most %lld characters",
                            (long long)f->max_length);
    if (f->min_length > 0 && v.n > 0 && v.n / 4 < (uint64_t)f->min_length &&
        check_chars(v) < (uint64_t)f->min_length)
        return schema_error(s, path, "min_length", "at least %lld characters",
                            (long long)f->min_length);
    if (f->pattern) {
        int r = check_pattern(f, v);
        if (r < -1)
            return r;
        if (r != 1)
            return schema_error(s, path, "pattern", "does not match %s",
                                f->pattern);
    }
    if (f->type == KILN_FT_EMAIL && v.n && !schema_is_email(v))
        return schema_error(s, path, "invalid_email", "not an email address");
    if (f->type == KILN_FT_URL && v.n && !schema_is_url(v))
        return schema_error(s, path, "invalid_url",
                            "not a URL (http or https, with a host)");
    return 0;
}

int schema_check_int(schema_sink *s, const kiln_field *f, int64_t v,
                     const schema_path *path)
{
    char t[32];
    /* bounds are doubles: compare in double only past 2^53, where the
       bound itself cannot be exact */
    if ((f->flags & KILN_FF_HAS_MIN) &&
        (fabs(f->min) < 9007199254740992.0 ? (double)v < ceil(f->min)
                                           : (double)v < f->min))
        return schema_error(s, path, "min", "at least %s",
                            f->min_text ? f->min_text
                                        : check_fmt_double(ceil(f->min), t));
    if ((f->flags & KILN_FF_HAS_MAX) &&
        (fabs(f->max) < 9007199254740992.0 ? (double)v > floor(f->max)
                                           : (double)v > f->max))
        return schema_error(s, path, "max", "at most %s",
                            f->max_text ? f->max_text
                                        : check_fmt_double(floor(f->max), t));
    return 0;
}

int schema_check_float(schema_sink *s, const kiln_field *f, double v,
                       const schema_path *path)
{
    char t[32];
    if (isnan(v))
        return schema_error(s, path, "type", "expected a number, got NaN");
    if (isinf(v))
        return schema_error(s, path, v > 0 ? "max" : "min",
                            "out of the range of a float");
    if ((f->flags & KILN_FF_HAS_MIN) && v < f->min)
        return schema_error(s, path, "min", "at least %s",
                            f->min_text ? f->min_text
                                        : check_fmt_double(f->min, t));
    if ((f->flags & KILN_FF_HAS_MAX) && v > f->max)
        return schema_error(s, path, "max", "at most %s",
                            f->max_text ? f->max_text
                                        : check_fmt_double(f->max, t));
    return 0;
}

int schema_check_decimal(schema_sink *s, const kiln_field *f, kiln_str v,
                         const schema_path *path)
{
    if ((f->flags & KILN_FF_HAS_MIN) && f->min_text &&
        kiln_decimal_cmp(v, kiln_str_c(f->min_text)) < 0)
        return schema_error(s, path, "min", "at least %s", f->min_text);
    if ((f->flags & KILN_FF_HAS_MAX) && f->max_text &&
        kiln_decimal_cmp(v, kiln_str_c(f->max_text)) > 0)
        return schema_error(s, path, "max", "at most %s", f->max_text);
    return 0;
}

/* Parses a date, datetime or time bound written as text into the
   comparable int64 (days, microseconds); false when it does not parse. */
static bool check_when_bound(const kiln_field *f, const char *text,
                             int64_t *out)
{
    kiln_str t = kiln_str_c(text);
    kiln_date d;
    switch (f->type) {
    case KILN_FT_DATE:
        if (kiln_date_parse(t, &d))
            return false;
        *out = kiln_date_days(d);
        return true;
    case KILN_FT_DATETIME:
        return kiln_datetime_parse(t, out) == 0;
    case KILN_FT_TIME:
        return kiln_timeofday_parse(t, out) == 0;
    default:
        return false;
    }
}

int schema_check_when(schema_sink *s, const kiln_field *f, int64_t v,
                      const schema_path *path)
{
    int64_t b;
    if ((f->flags & KILN_FF_HAS_MIN) && f->min_text &&
        check_when_bound(f, f->min_text, &b) && v < b)
        return schema_error(s, path, "min", "at least %s", f->min_text);
    if ((f->flags & KILN_FF_HAS_MAX) && f->max_text &&
        check_when_bound(f, f->max_text, &b) && v > b)
        return schema_error(s, path, "max", "at most %s", f->max_text);
    return 0;
}

int schema_check_count(schema_sink *s, const kiln_field *f, size_t n,
                       const schema_path *path)
{
    if ((f->flags & KILN_FF_HAS_MIN) && (double)n < f->min)
        return schema_error(s, path, "min_items", "at least %.0f items",
                            ceil(f->min));
    if ((f->flags & KILN_FF_HAS_MAX) && (double)n > f->max)
        return schema_error(s, path, "max_items", "at most %.0f items",
                            floor(f->max));
    return 0;
}

/* An id and where it was, sorted to find duplicates. */
typedef struct check_id {
    int64_t id;
    size_t at;
} check_id;

static int check_id_cmp(const void *x, const void *y)
{
    const check_id *a = x, *b = y;
    if (a->id != b->id)
        return a->id < b->id ? -1 : 1;
    return a->at < b->at ? -1 : a->at > b->at;
}

int schema_check_ids(schema_dec *d, const kiln_field *f, const int64_t *ids,
                     size_t n, const schema_path *path)
{
    (void)f;
    if (n < 2)
        return 0;
    if (n <= 16) { /* the common case: no sort, no memory */
        for (size_t i = 1; i < n; i++)
            for (size_t j = 0; j < i; j++)
                if (ids[i] == ids[j]) {
                    schema_path at = {path, NULL, i};
                    return schema_error(&d->sink, &at, "duplicate_id",
                                        "id %lld is given twice",
                                        (long long)ids[i]);
                }
        return 0;
    }
    kiln_buf_clear(&d->tmp);
    if (n > SIZE_MAX / sizeof(check_id) ||
        kiln_buf_reserve(&d->tmp, n * sizeof(check_id)))
        return KILN_ENOMEM;
    check_id *v = (check_id *)(void *)d->tmp.p;
    for (size_t i = 0; i < n; i++)
        v[i] = (check_id){ids[i], i};
    qsort(v, n, sizeof *v, check_id_cmp);
    size_t first = SIZE_MAX;
    for (size_t i = 1; i < n; i++)
        if (v[i].id == v[i - 1].id && v[i].at < first)
            first = v[i].at;
    if (first == SIZE_MAX)
        return 0;
    schema_path at = {path, NULL, first};
    return schema_error(&d->sink, &at, "duplicate_id", "id %lld is given twice",
                        (long long)ids[first]);
}

/* ---- values carried as text ------------------------------------------- */

/* Writes the canonical decimal of s to *dst: a view of s when s is already
   canonical, else a copy in the arena. */
static int check_decimal(schema_dec *d, const kiln_field *f, kiln_str s,
                         kiln_str *dst, const schema_path *path)
{
    bool same = false;
    kiln_buf_clear(&d->tmp);
    int rc = schema_decimal_canon(s, f->precision, f->scale, &d->tmp, &same);
    if (rc == SCHEMA_DEC_INVALID)
        return schema_error(&d->sink, path, "invalid_decimal",
                            "not a decimal number");
    if (rc == SCHEMA_DEC_PLACES)
        return schema_error(&d->sink, path, "decimal_places",
                            "at most %d digits after the decimal point",
                            f->scale);
    if (rc == SCHEMA_DEC_DIGITS)
        return schema_error(&d->sink, path, "max_digits",
                            "at most %d digits in all (%d after the point)",
                            f->precision, f->scale);
    if (rc)
        return rc;
    kiln_str v = same ? s : kiln_buf_str(&d->tmp);
    if (!same) {
        char *copy = kiln_arena_strndup(d->a, v.p, v.n);
        if (!copy)
            return KILN_ENOMEM;
        v.p = copy;
    } else {
        v = s;
    }
    rc = schema_check_decimal(&d->sink, f, v, path);
    if (rc == 0)
        *dst = v;
    return rc;
}

int schema_text(schema_dec *d, const kiln_field *f, kiln_str s, void *dst,
                const schema_path *path)
{
    schema_sink *k = &d->sink;
    kiln_date date;
    int64_t t;
    int rc;
    switch (f->type) {
    case KILN_FT_STRING:
    case KILN_FT_TEXT:
    case KILN_FT_EMAIL:
    case KILN_FT_URL:
        rc = schema_check_str(k, f, s, path);
        if (rc == 0)
            *(kiln_str *)dst = s;
        return rc;
    case KILN_FT_DECIMAL:
        return check_decimal(d, f, s, dst, path);
    case KILN_FT_DATE:
        if (kiln_date_parse(s, &date))
            return schema_error(k, path, "invalid_date",
                                "not a date (YYYY-MM-DD)");
        rc = schema_check_when(k, f, kiln_date_days(date), path);
        if (rc == 0)
            *(kiln_date *)dst = date;
        return rc;
    case KILN_FT_DATETIME:
        if (kiln_datetime_parse(s, &t))
            return schema_error(k, path, "invalid_datetime",
                                "not an RFC 3339 date-time with an offset "
                                "(2026-03-05T14:07:00Z)");
        rc = schema_check_when(k, f, t, path);
        if (rc == 0)
            *(kiln_datetime *)dst = t;
        return rc;
    case KILN_FT_TIME:
        if (kiln_timeofday_parse(s, &t))
            return schema_error(k, path, "invalid_time",
                                "not a time of day (HH:MM[:SS[.fff]])");
        rc = schema_check_when(k, f, t, path);
        if (rc == 0)
            *(kiln_timeofday *)dst = t;
        return rc;
    case KILN_FT_UUID:
        if (kiln_uuid_parse(s, dst))
            return schema_error(k, path, "invalid_uuid", "not a UUID");
        return 0;
    case KILN_FT_ENUM:
        for (uint32_t i = 0; i < f->nvalues; i++) {
            const char *v = f->values[i];
            size_t k = 0;
            while (k < s.n && v[k] && v[k] == s.p[k])
                k++;
            if (k == s.n && v[k] == '\0') {
                *(int *)dst = (int)i;
                return 0;
            }
        }
        {
            char list[160];
            size_t n = 0;
            list[0] = '\0';
            for (uint32_t i = 0; i < f->nvalues && n < sizeof list; i++)
                n += (size_t)snprintf(list + n, sizeof list - n, "%s%s",
                                      i ? ", " : "", f->values[i]);
            return schema_error(k, path, "choice", "must be one of: %s", list);
        }
    default:
        assert(!"schema_text: not a text type");
        return schema_error(k, path, "type", "unexpected text");
    }
}
