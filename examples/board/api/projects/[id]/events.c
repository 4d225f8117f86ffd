/*
 * GET /api/projects/{id}/events: the board's changes as they happen, an
 * event stream (text/event-stream) for the board page's htmx SSE
 * extension. Each change of one of the project's tasks (board_changed)
 * comes as an event "task" whose data is {"task": ID, "change": ...}; the
 * page fetches its board again on it.
 *
 * Live updates are at most once: a browser that was away (the stream
 * broke and its EventSource reconnected, sending Last-Event-ID) or a
 * stream that lost publications (the pub/sub backend reconnected, or
 * this reader fell behind) gets {"reload": true} instead, so the page
 * fetches the board whole and misses nothing.
 */
#include <kiln.h>

#include "pages/_board.h"
#include "models.h"

KILN_GET(project_events)
{
    if (kiln_require_login(c))
        return 0; /* 401: an EventSource is no page to redirect */
    int64_t id;
    if (!kiln_param_id(c, "id", &id))
        return 0;
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    Project p;
    int rc = project_get(db, id, &p);
    if (rc)
        return project_fail(c, db, rc); /* 404 */
    if (!board_may_watch(c, id)) /* not a member: hidden, as in the API */
        return project_fail(c, db, KILN_ENOTFOUND);
    const char *topic = board_topic(c, id);
    if (!topic || kiln_subscribe(c, topic) != 0)
        return kiln_problem(c, 503, "Live updates are unavailable now.");
    kiln_sse *s = kiln_sse_start(c);
    if (!s)
        return 0;
    kiln_sse_retry(s, 2000);
    uint64_t n = 0;
    char eid[24];
    if (kiln_sse_last_id(c).p) { /* back after a break: changes were missed */
        snprintf(eid, sizeof eid, "%llu", (unsigned long long)++n);
        if (kiln_sse_send(s, "task", eid, "{\"reload\":true}", 15) != 0)
            return kiln_sse_end(s);
    }
    kiln_pub_msg m;
    while (kiln_sse_recv(s, &m, -1) == 0) {
        snprintf(eid, sizeof eid, "%llu", (unsigned long long)++n);
        kiln_str data =
            m.kind == KILN_PUB_GAP ? KILN_STR("{\"reload\":true}") : m.data;
        if (kiln_sse_send(s, "task", eid, data.p, data.n) != 0)
            break;
    }
    return kiln_sse_end(s);
}
