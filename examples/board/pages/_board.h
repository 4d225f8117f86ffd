/*
 * pages/_board.h - what the board's pages and API share (files starting
 * with '_' are compiled, never routed).
 */
#ifndef BOARD_H
#define BOARD_H

#include <kiln.h>

/**
 * After a successful form post, shows the page at `to`: a plain form gets
 * 303 See Other (post/redirect/get), an HTMX request a 204 with
 * HX-Redirect (its XMLHttpRequest would follow a 303 and swap the next
 * page into the form). to may be NULL (out of memory): a 500.
 */
int board_go(kiln_ctx *c, const char *to);

/**
 * Tells the browsers watching project's board that its task changed
 * (change: "added", "moved", "changed", "deleted"): publishes {"task": ID,
 * "change": ...} to the topic "project:ID" (board_topic), which
 * api/projects/[id]/events.c streams to them. Call it once the change is
 * written. A failure is logged, never the request's: the change is made,
 * only the live update is missing (and the next page load shows it).
 */
void board_changed(kiln_ctx *c, int64_t project, int64_t task,
                   const char *change);

/** The topic of a project's changes ("project:ID"), in c's arena (NULL
    when out of memory). */
const char *board_topic(kiln_ctx *c, int64_t project);

/**
 * Whether c's user may see project (its board, its tasks): 0 when it may
 * (a user who may change projects, an admin, sees every one; anybody else
 * the projects it is a member of), KILN_ENOTFOUND when it may not or
 * nobody is logged in (a hidden project is a 404, as in the API), KILN_EDB
 * when the query failed (kiln_db_fail answers it). The pages' form of
 * board_members_only, for one project.
 */
int board_may_see(kiln_ctx *c, kiln_dbc *db, int64_t project);

/**
 * Whether c's user may watch project's board live: the rule of the pages
 * (board_may_see), asked by the event stream (api/projects/[id]/events.c)
 * before it subscribes. False for nobody, and when the database fails.
 */
bool board_may_watch(kiln_ctx *c, int64_t project);

/**
 * Fills o's where, params and nparams with board_members_only's condition
 * on column project ("id" for projects, "project_id" for tasks), so that a
 * page's list shows what the API's would. *w holds the condition and its
 * parameters: it must live as long as o is used. Returns 0 or KILN_ENOMEM.
 */
int board_only_mine(kiln_ctx *c, kiln_list_opts *o, kiln_api_where *w,
                    const char *project);

/**
 * The row-level rule of the board's API (a query hook's condition,
 * kiln/api.h): a user who may change projects (an admin) sees every row;
 * anybody else only the rows whose column `project` (the project's own id,
 * or a task's project_id) is a project it is a member of (models/
 * member.toml). The API's permissions run first, so nobody reaches this
 * without being logged in.
 */
int board_members_only(kiln_ctx *c, kiln_api_where *w, const char *project);

/**
 * The users a task may be assigned to (the built-in user model, kiln_user),
 * for the pages: *names maps a user's id, as text, to the name it is shown
 * by (its name, else its username), and *choices lists {id, label} of the
 * active ones, for the task form's select. Both in arena a. Returns 0 or a
 * database error (KILN_E*), *names and *choices then unset.
 */
int board_users(kiln_dbc *db, kiln_arena *a, kiln_value *names,
                kiln_value *choices);

#endif
