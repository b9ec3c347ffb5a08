/*
 * follow_private.h: what follow_http.c needs from follow_data.c.
 */
#ifndef HMDP_FOLLOW_PRIVATE_H
#define HMDP_FOLLOW_PRIVATE_H

#include "follow.h"

/* Follows (add = 1) or unfollows (add = 0) target as me, idempotently:
 * the tb_follow row, both users' counts in tb_user_info and follows:{me}
 * change together, and only when the row was actually inserted or
 * deleted (*changed = 1). Serialised per follower by a row lock on
 * tb_user(me), which is also taken by a rebuild of follows:{me}, so the
 * set never misses a change. */
res_t follow_change(struct req *rq, int64_t me, int64_t target, int add,
                    int *changed);

/* *yes = 1 when me follows target (follows:{me}, rebuilt if missing). */
res_t follow_is_following(struct req *rq, int64_t me, int64_t target, int *yes);

/* The users followed by both a and b (SINTER of their sets, rebuilding a
 * missing set first), ascending by id, as the text of a JSON array of
 * {id, nickName, icon} (user_list_json); *out (*len bytes) lives as long
 * as rq. Cached rendered per pair under both sets' generations. */
res_t follow_common_json(struct req *rq, int64_t a, int64_t b, const char **out,
                         size_t *len);

#endif
