/*
 * fuzz/fuzz_pubsub.c - libFuzzer target for what pub/sub reads from its
 * backend: a payload from Redis or a NOTIFY's (pubsub_wire_decode in
 * src/pubsub/wire.c). The first byte says whether the topic travels in
 * the payload (PostgreSQL) or not (Redis); the rest is the payload.
 *
 * A payload either fails with KILN_EPARSE or gives views inside it with a
 * valid topic; Kiln's envelope, encoded again from what was decoded,
 * decodes to the same. A failed check aborts.
 */
#include "pubsub/pubsub.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CHECK(cond)                                                       \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: FUZZ_CHECK(%s) failed\n", __FILE__,        \
                    __LINE__, #cond);                                          \
            abort();                                                           \
        }                                                                      \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* True when v lies inside [p, p + n]. */
static int inside(kiln_str v, const char *p, size_t n)
{
    return v.p >= p && v.p + v.n <= p + n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 65536)
        return 0;
    bool with_topic = data[0] & 1;
    size_t n = size - 1;
    char *p = malloc(n ? n : 1); /* exact size: reads past it are caught */
    memcpy(p, data + 1, n);
    pubsub_wire w;
    int rc = pubsub_wire_decode(p, n, with_topic, &w);
    FUZZ_CHECK(rc == 0 || rc == KILN_EPARSE);
    if (rc == 0) {
        FUZZ_CHECK(inside(w.data, p, n));
        if (with_topic) {
            FUZZ_CHECK(inside(w.topic, p, n));
            FUZZ_CHECK(pubsub_topic_ok(w.topic.p, w.topic.n));
        } else {
            FUZZ_CHECK(w.topic.n == 0);
        }
        if (w.origin) { /* Kiln's envelope: it round-trips */
            kiln_buf b;
            kiln_buf_init(&b);
            FUZZ_CHECK(pubsub_wire_encode(&b, w.origin, w.seq,
                                          with_topic ? w.topic : KILN_STR_NULL,
                                          w.data) == 0);
            pubsub_wire v;
            FUZZ_CHECK(pubsub_wire_decode(b.p, b.n, with_topic, &v) == 0);
            FUZZ_CHECK(v.origin == w.origin && v.seq == w.seq);
            FUZZ_CHECK(v.topic.n == w.topic.n && v.data.n == w.data.n);
            FUZZ_CHECK(!v.topic.n || !memcmp(v.topic.p, w.topic.p, v.topic.n));
            FUZZ_CHECK(!v.data.n || !memcmp(v.data.p, w.data.p, v.data.n));
            kiln_buf_deinit(&b);
        }
    }
    free(p);
    return 0;
}
