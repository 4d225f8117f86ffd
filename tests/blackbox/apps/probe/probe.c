/* POST /api/probe: the tag whose id is the body's count (probe.toml). */
#include <kiln.h>

#include "models.h"

KILN_POST(probe)
{
    const Probe *in = probe_input(c); /* already valid */
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    Tag t;
    int rc = tag_get(db, in->body.count, &t);
    return rc ? tag_fail(c, db, rc) : tag_send(c, 200, &t);
}
