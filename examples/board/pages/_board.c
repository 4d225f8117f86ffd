/* pages/_board.c - helpers of the board's pages (see _board.h). */
#include "pages/_board.h"
#include "models.h"

int board_go(kiln_ctx *c, const char *to)
{
    if (!to)
        return KILN_ENOMEM;
    if (kiln_is_htmx(c)) {
        kiln_set_header(c, "HX-Redirect", to);
        return kiln_respond(c, 204, NULL, "", 0);
    }
    return kiln_redirect(c, 303, to);
}

const char *board_topic(kiln_ctx *c, int64_t project)
{
    return kiln_arena_printf(kiln_ctx_arena(c), "project:%lld",
                             (long long)project);
}

void board_changed(kiln_ctx *c, int64_t project, int64_t task,
                   const char *change)
{
    const char *topic = board_topic(c, project);
    int rc = topic ? kiln_publish_json(topic, "{task:%lld,change:%s}",
                                       (long long)task, change)
                   : KILN_ENOMEM;
    if (rc)
        kiln_log(KILN_LOG_WARN, "%s: no live update of project %lld: %s",
                 kiln_request_id(c), (long long)project, kiln_strerror(rc));
}

int board_may_see(kiln_ctx *c, kiln_dbc *db, int64_t project)
{
    const kiln_user *u = kiln_user_current(c);
    if (!u)
        return KILN_ENOTFOUND;
    if (kiln_can(c, "project.change"))
        return 0;
    kiln_rows *r = kiln_db_query(db,
                                 "SELECT 1 FROM member WHERE project_id = $1 "
                                 "AND user_id = $2",
                                 KILN_INT(project), KILN_INT(u->id));
    if (!r)
        return KILN_EDB;
    bool member = kiln_rows_next(r);
    if (kiln_rows_error(r) < 0)
        return KILN_EDB;
    return member ? 0 : KILN_ENOTFOUND;
}

bool board_may_watch(kiln_ctx *c, int64_t project)
{
    kiln_dbc *db = kiln_db(c);
    return db && board_may_see(c, db, project) == 0;
}

int board_only_mine(kiln_ctx *c, kiln_list_opts *o, kiln_api_where *w,
                    const char *project)
{
    *w = (kiln_api_where){0};
    int rc = board_members_only(c, w, project);
    if (rc)
        return rc;
    o->where = w->sql;
    o->params = w->params;
    o->nparams = w->nparams;
    return 0;
}

int board_members_only(kiln_ctx *c, kiln_api_where *w, const char *project)
{
    if (kiln_can(c, "project.change"))
        return 0;
    const kiln_user *u = kiln_user_current(c);
    w->sql = kiln_arena_printf(
        kiln_ctx_arena(c),
        "%s IN (SELECT project_id FROM member WHERE user_id = $1)", project);
    if (!w->sql)
        return KILN_ENOMEM;
    w->params[0] = KILN_INT(u ? u->id : 0);
    w->nparams = 1;
    return 0;
}

int board_users(kiln_dbc *db, kiln_arena *a, kiln_value *names,
                kiln_value *choices)
{
    UserList users;
    int rc = user_list(db, NULL, &users);
    if (rc)
        return rc;
    kiln_value by_id = kiln_value_map(a), list = kiln_value_list(a);
    for (size_t i = 0; i < users.n; i++) {
        const User *u = &users.v[i];
        kiln_str label = u->name.n ? u->name : u->username;
        char *key = kiln_arena_printf(a, "%lld", (long long)u->id);
        if (!key || kiln_value_set(by_id, key, kiln_value_str(label)))
            return KILN_ENOMEM;
        if (!u->active)
            continue;
        kiln_value e = kiln_value_map(a);
        if (kiln_value_set(e, "id", kiln_value_int(u->id)) ||
            kiln_value_set(e, "label", kiln_value_str(label)) ||
            kiln_value_push(list, e))
            return KILN_ENOMEM;
    }
    *names = by_id;
    *choices = list;
    return 0;
}
