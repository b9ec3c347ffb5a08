/*
 * feed.h: the follow feed's entry points used by other features.
 * The blog module calls these when a blog is published or deleted.
 */
#ifndef HMDP_FEED_H
#define HMDP_FEED_H

#include "../core/req.h"

#include <stdint.h>

/* Pushes blog_id (score = published_ms) into the inbox of every follower
 * of author. Errors are described on rq. */
res_t feed_on_publish(struct req *rq, int64_t author, int64_t blog_id,
                      int64_t published_ms);

/* Removes blog_id from the inboxes of author's followers. */
res_t feed_on_delete(struct req *rq, int64_t author, int64_t blog_id);

#endif
