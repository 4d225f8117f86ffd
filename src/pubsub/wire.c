/*
 * pubsub/wire.c - topics, channel names, and the envelope a publication
 * travels in between instances (pubsub/pubsub.h). Pure functions over
 * bytes; the decoder reads what a Redis or PostgreSQL server hands us, so
 * it has a fuzz target (fuzz/fuzz_pubsub.c).
 *
 * Why an envelope: an instance hears its own publications back from the
 * backend (it subscribes to what it publishes); its subscribers already
 * got them from the process itself, so it skips those whose ORIGIN is
 * its own. SEQ makes every payload distinct (PostgreSQL folds identical
 * notifications of one transaction into one). It is text, so NOTIFY
 * carries it, and short (at most 38 bytes before the topic).
 */
#include "pubsub/pubsub.h"

#include <string.h>

bool pubsub_topic_ok(const char *t, size_t n)
{
    if (!t || n == 0 || n > KILN_TOPIC_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)t[i] < 0x21 || (unsigned char)t[i] > 0x7e)
            return false;
    return true;
}

bool pubsub_channel_ok(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = name[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') || ch == '_'))
            return false;
    }
    return true;
}

static int put_hex(kiln_buf *b, uint64_t v)
{
    char d[16];
    int k = 0;
    do {
        d[k++] = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v);
    char out[16];
    for (int i = 0; i < k; i++)
        out[i] = d[k - 1 - i];
    return kiln_buf_append(b, out, (size_t)k);
}

int pubsub_wire_encode(kiln_buf *b, uint64_t origin, uint64_t seq,
                       kiln_str topic, kiln_str data)
{
    size_t before = b->n;
    if (kiln_buf_reserve(b, PUBSUB_WIRE_HEAD + topic.n + 1 + data.n) != 0)
        return KILN_ENOMEM;
    int rc = kiln_buf_append(b, "~k1 ", 4);
    rc |= put_hex(b, origin);
    rc |= kiln_buf_putc(b, ' ');
    rc |= put_hex(b, seq);
    rc |= kiln_buf_putc(b, ' ');
    if (topic.p) {
        rc |= kiln_buf_append(b, topic.p, topic.n);
        rc |= kiln_buf_putc(b, ' ');
    }
    if (data.n)
        rc |= kiln_buf_append(b, data.p, data.n);
    if (rc) {
        kiln_buf_truncate(b, before);
        return KILN_ENOMEM;
    }
    return 0;
}

/* Reads 1 to 16 lowercase hex digits ending at a space from p[*i..n);
 *i ends past the space. Returns false when malformed. */
static bool get_hex(const char *p, size_t n, size_t *i, uint64_t *out)
{
    uint64_t v = 0;
    size_t k = 0;
    while (*i < n && p[*i] != ' ') {
        char ch = p[*i];
        int d;
        if (ch >= '0' && ch <= '9')
            d = ch - '0';
        else if (ch >= 'a' && ch <= 'f')
            d = ch - 'a' + 10;
        else
            return false;
        if (++k > 16)
            return false;
        v = v << 4 | (uint64_t)d;
        (*i)++;
    }
    if (k == 0 || *i >= n)
        return false; /* no digits, or no space after them */
    (*i)++;
    *out = v;
    return true;
}

/* Splits p[i..n) into a topic (up to the first space) and the data after
   it. required: a topic with no space after it is malformed. */
static int split_topic(const char *p, size_t n, size_t i, bool required,
                       pubsub_wire *out)
{
    const char *sp = memchr(p + i, ' ', n - i);
    size_t end = sp ? (size_t)(sp - p) : n;
    if ((required && !sp) || !pubsub_topic_ok(p + i, end - i))
        return KILN_EPARSE;
    out->topic = (kiln_str){p + i, end - i};
    out->data = sp ? (kiln_str){sp + 1, n - end - 1} : (kiln_str){p + n, 0};
    return 0;
}

int pubsub_wire_decode(const char *p, size_t n, bool with_topic,
                       pubsub_wire *out)
{
    memset(out, 0, sizeof *out);
    if (!p)
        p = "";
    out->topic = (kiln_str){p, 0};
    if (n >= 4 && memcmp(p, "~k1 ", 4) == 0) {
        size_t i = 4;
        if (!get_hex(p, n, &i, &out->origin) || !get_hex(p, n, &i, &out->seq) ||
            out->origin == 0)
            return KILN_EPARSE;
        if (with_topic)
            return split_topic(p, n, i, true, out);
        out->data = (kiln_str){p + i, n - i};
        return 0;
    }
    /* another program's publication */
    if (with_topic)
        return split_topic(p, n, 0, false, out);
    out->data = (kiln_str){p, n};
    return 0;
}
