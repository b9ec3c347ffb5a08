/*
 * feed_http.c: GET /blog/of/follow, the follow feed with scroll
 * pagination (API.md §4.5, defects §9 item 11).
 *
 * Cursor: lastId = the previous page's minTime (inclusive upper bound on
 * scores), offset = how many entries with score == lastId were already
 * shown. A missing lastId means "from the newest" (the page sends now+1
 * on its first call, which is the same thing unless a blog's time is in
 * the future); a missing offset is 0 (the page never sends offset=0).
 * Entries whose blog was deleted are skipped; minTime and offset come from
 * the feed entries, not from the filtered list.
 */
#include "feed_private.h"

#include "../core/cfg.h"
#include "../core/reply.h"
#include "../user/user.h"

#define FEED_MAX_OFFSET 100000
#define FEED_MAX_HOPS   8 /* pages of only deleted blogs skipped per call */

/* GET /blog/of/follow?lastId=&offset=: {list, minTime, offset}, or no
 * data when the feed is exhausted. ROUTE_AUTH_LATE: feed_start looks the
 * session up in the same round trip as the first page. */
static res_t
feed_http_follow(struct req *rq)
{
    int64_t last_id, offset;
    res_t rc;

    if ((rc = req_query_i64(rq, "lastId", FEED_TOP, 0, FEED_TOP, &last_id)) !=
            RES_OK ||
        (rc = req_query_i64(rq, "offset", 0, 0, FEED_MAX_OFFSET, &offset)) !=
            RES_OK)
        return user_auth_late_refuse(rq, rc);
    size_t limit = (size_t)g_cfg.page_size;

    struct feed_start st;
    if ((rc = feed_start(rq, last_id, offset, limit, &st)) != RES_OK)
        return rc;
    if (!rq->has_user)
        return req_fail(rq, RES_UNAUTH, REQ_MSG_LOGIN);
    int64_t me = rq->user.id;

    struct json_object *list = reply_arr(rq);
    int64_t min_time = last_id, next = offset;
    for (int hop = 0;; hop++) {
        struct feed_entry *e;
        size_t n, live;
        if (hop == 0 && st.fetched) { /* the start read the first page */
            e = st.inbox;
            n = st.ninbox;
        } else if ((rc = feed_big_load(rq, me, &st)) != RES_OK ||
                   (rc = feed_page(rq, me, st.big, st.nbig, last_id, offset,
                                   limit, &e, &n)) != RES_OK) {
            return rc;
        }
        if (n == 0)
            return reply_ok(rq, NULL); /* exhausted: the page stops */
        feed_cursor_next(e, n, last_id, offset, &min_time, &next);
        rc = hop == 0 && st.fetched
                 ? feed_blogs_append_fetched(rq, &st, list, &live)
                 : feed_blogs_append(rq, e, n, list, &live);
        if (rc != RES_OK)
            return rc;
        if (live > 0)
            break;
        if (n < limit)
            return reply_ok(rq, NULL); /* only deleted blogs were left */
        if (hop + 1 == FEED_MAX_HOPS)
            break; /* an empty list with a cursor: the page asks again */
        last_id = min_time;
        offset = next;
    }
    struct json_object *o = reply_obj(rq);
    json_object_object_add(o, "list", json_object_get(list));
    reply_add_i64(o, "minTime", min_time);
    reply_add_i64(o, "offset", next);
    return reply_ok(rq, o);
}

const struct route feed_routes[] = {
    {HTTP_GET, "/blog/of/follow", feed_http_follow,
     ROUTE_AUTH | ROUTE_AUTH_LATE},
    {0, NULL, NULL, 0},
};
