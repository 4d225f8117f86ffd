/*
 * GET /api/pubsub: the live updates' counters (kiln_pubsub_stats_send):
 * subscribers, publications made and received, deliveries, and what was
 * lost, for whoever watches the app. (An operators' endpoint: once users
 * exist, only staff should see it.)
 */
#include <kiln.h>

KILN_GET(pubsub_stats)
{
    return kiln_pubsub_stats_send(c);
}
