/* The posts the test app shows (no database needed). */
#ifndef REACTAPP_POSTS_H
#define REACTAPP_POSTS_H

#define NPOSTS 3
static const char *const post_titles[NPOSTS] = {
    "Hello, world", "Second thoughts", "Third time"};

#endif
