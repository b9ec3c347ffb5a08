/*
 * follow_http.c: handlers of the follow module (API.md §4.5, defects §9
 * item 10). Following is idempotent, self-follow is a business refusal
 * (DECISIONS.md), and user lists are {id, nickName, icon} only.
 */
#include "follow_private.h"

#include "../core/event.h"
#include "../core/reply.h"
#include "../user/user.h"

/* PUT /follow/{id}/{isFollow}: follow (true) or unfollow (false). Both
 * are no-op successes when already in the wanted state. */
static res_t
follow_http_set(struct req *rq)
{
    int64_t target;
    int add, found, changed;
    res_t rc;

    if ((rc = req_path_i64(rq, "id", &target)) != RES_OK)
        return rc;
    if (follow_parse_flag(req_path_str(rq, "isFollow"), &add) < 0)
        return req_fail(rq, RES_BAD_INPUT, "isFollow 必须是 true 或 false");
    if (target == rq->user.id) {
        if (add)
            return req_fail(rq, RES_REFUSED, "不能关注自己");
        return reply_ok(rq, NULL); /* nobody follows themselves */
    }
    if ((rc = user_exists(rq, target, &found)) != RES_OK)
        return rc;
    if (!found)
        return req_fail(rq, RES_NOT_FOUND, "用户不存在");
    if ((rc = follow_change(rq, rq->user.id, target, add, &changed)) != RES_OK)
        return rc;
    if (add && changed) {
        struct event ev = {.kind = EVENT_USER_FOLLOWED};
        ev.u.user_followed.follower = rq->user.id;
        ev.u.user_followed.followee = target;
        event_emit(&rq->cx, &ev);
    }
    return reply_ok(rq, NULL);
}

/* GET /follow/or/not/{id}: data is a bare boolean. */
static res_t
follow_http_is(struct req *rq)
{
    int64_t target;
    int yes = 0;
    res_t rc;

    if ((rc = req_path_i64(rq, "id", &target)) != RES_OK)
        return rc;
    if (target != rq->user.id &&
        (rc = follow_is_following(rq, rq->user.id, target, &yes)) != RES_OK)
        return rc;
    return reply_take(rq, json_object_new_boolean(yes));
}

/* GET /follow/common/{id}: users followed by both me and {id}, ascending
 * by id; [] when none. */
static res_t
follow_http_common(struct req *rq)
{
    int64_t other;
    const char *list;
    size_t len;
    res_t rc;

    if ((rc = req_path_i64(rq, "id", &other)) != RES_OK)
        return rc;
    /* a follow of a user that no longer exists is left out */
    if ((rc = follow_common_json(rq, rq->user.id, other, &list, &len)) !=
        RES_OK)
        return rc;
    return reply_ok(rq, reply_raw(rq, list, len));
}

const struct route follow_routes[] = {
    {HTTP_PUT, "/follow/{id}/{isFollow}", follow_http_set, ROUTE_AUTH},
    {HTTP_GET, "/follow/or/not/{id}", follow_http_is, ROUTE_AUTH},
    {HTTP_GET, "/follow/common/{id}", follow_http_common, ROUTE_AUTH},
    {0, NULL, NULL, 0},
};
