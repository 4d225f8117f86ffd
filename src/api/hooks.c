/*
 * api/hooks.c - the author's hooks of generated APIs (kiln/api.h): a list
 * linked at start-up (constructors run before main), read-only while
 * serving, so no lock.
 */
#include "api/api_impl.h"

#include <string.h>

static kiln_api_hooks *g_hooks;

void kiln_api_hooks_add(const char *model, kiln_api_hooks *h)
{
    for (kiln_api_hooks **p = &g_hooks; *p; p = &(*p)->next)
        if (strcmp((*p)->model, model) == 0) {
            h->next = (*p)->next;
            *p = h;
            h->model = model;
            return;
        }
    h->model = model;
    h->next = g_hooks;
    g_hooks = h;
}

const kiln_api_hooks *kiln_api_hooks_of(const char *model)
{
    for (const kiln_api_hooks *h = g_hooks; h; h = h->next)
        if (strcmp(h->model, model) == 0)
            return h;
    return NULL;
}
