/*
 * admin/actions.c - the app's change-list actions (kiln/admin.h): a list
 * linked at start-up (constructors run before main), read-only while
 * serving, so no lock.
 */
#include "admin/admin_impl.h"

#include <string.h>

static kiln_admin_action *g_actions;

void kiln_admin_action_add(kiln_admin_action *a)
{
    if (strcmp(a->name, "delete") == 0)
        return; /* the admin's own */
    for (kiln_admin_action **p = &g_actions; *p; p = &(*p)->next)
        if (strcmp((*p)->model, a->model) == 0 &&
            strcmp((*p)->name, a->name) == 0) {
            a->next = (*p)->next;
            *p = a;
            return;
        }
    a->next = g_actions;
    g_actions = a;
}

const kiln_admin_action *admin_actions_of(const char *model)
{
    for (const kiln_admin_action *a = g_actions; a; a = a->next)
        if (strcmp(a->model, model) == 0)
            return a;
    return NULL;
}
