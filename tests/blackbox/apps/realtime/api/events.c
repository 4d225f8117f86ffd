/* /api/events?n=N: N events, resuming after Last-Event-ID. */
#include <kiln.h>

#include <stdio.h>
#include <string.h>

KILN_GET(events)
{
    int64_t from = 0, n = kiln_query_int(c, "n", 2);
    kiln_str last = kiln_sse_last_id(c);
    if (last.p && kiln_str_to_i64(last, &from) != 0)
        return kiln_problem(c, 400, "Last-Event-ID is not a number.");
    kiln_sse *s = kiln_sse_start(c);
    if (!s)
        return 0;
    for (int64_t i = from + 1; i <= from + n; i++) {
        char id[24];
        snprintf(id, sizeof id, "%lld", (long long)i);
        if (kiln_sse_send(s, "count", id, id, strlen(id)) != 0)
            return 0;
    }
    return kiln_sse_end(s);
}
