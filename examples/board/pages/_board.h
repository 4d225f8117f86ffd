/*
 * pages/_board.h - what the board's pages share (files starting with '_'
 * are compiled, never routed).
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

#endif
