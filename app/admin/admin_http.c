/*
 * admin_http.c: GET /admin/streams and the DLQ routes, thin front ends of
 * app/stream/stream_admin.c (hmdp-admin is the other one).
 */
#include "admin.h"

#include "../core/reply.h"
#include "../core/req.h"
#include "../stream/stream_admin.h"

#include <json-c/json.h>

#define ADMIN_MAX_IDS 1000

/* GET /admin/streams[?stream=name]: the view of every stream (or one). */
static res_t
admin_http_streams(struct req *rq)
{
    const char *one = req_query(rq, "stream");
    res_t rc;
    if (one && (rc = stream_admin_check_name(&rq->cx, one)) != RES_OK)
        return rc;
    struct json_object *o;
    const char *only[1] = {one};
    if ((rc = stream_admin_view(&rq->cx, only, one ? 1 : 0, &o)) != RES_OK)
        return rc;
    return reply_take(rq, o);
}

/* {"stream": "...", "ids": ["<ms>-<seq>", ...]} with ids optional (null or
 * absent: all). */
static res_t
admin_read_dlq_body(struct req *rq, const char **stream, const char ***ids,
                    size_t *nids)
{
    struct json_object *b, *a = NULL;
    res_t rc = req_json(rq, &b);
    if (rc != RES_OK ||
        (rc = req_json_str(rq, b, "stream", 200, 1, stream)) != RES_OK ||
        (rc = stream_admin_check_name(&rq->cx, *stream)) != RES_OK)
        return rc;
    *ids = NULL;
    *nids = 0;
    if (!json_object_object_get_ex(b, "ids", &a) || a == NULL)
        return RES_OK;
    if (!json_object_is_type(a, json_type_array))
        return req_fail(rq, RES_BAD_INPUT, "ids 必须是字符串数组");
    size_t n = json_object_array_length(a);
    if (n == 0)
        return req_fail(rq, RES_BAD_INPUT,
                        "ids 不能为空数组（省略 ids 表示全部）");
    if (n > ADMIN_MAX_IDS)
        return req_fail(rq, RES_BAD_INPUT, "ids 最多 %d 个", ADMIN_MAX_IDS);
    const char **v = arena_alloc(rq->cx.arena, n * sizeof(*v));
    for (size_t i = 0; i < n; i++) {
        struct json_object *e = json_object_array_get_idx(a, i);
        if (!json_object_is_type(e, json_type_string))
            return req_fail(rq, RES_BAD_INPUT, "ids 必须是字符串数组");
        v[i] = json_object_get_string(e);
        if ((rc = stream_admin_check_id(&rq->cx, v[i])) != RES_OK)
            return rc;
    }
    *ids = v;
    *nids = n;
    return RES_OK;
}

/* The body's DLQ entries through op (requeue or drop): data = how many
 * it moved or deleted. */
static res_t
admin_dlq_apply(struct req *rq,
                res_t (*op)(struct ctx *, const char *, const char *const *,
                            size_t, long long *))
{
    const char *stream;
    const char **ids;
    size_t nids;
    long long n;
    res_t rc = admin_read_dlq_body(rq, &stream, &ids, &nids);
    if (rc != RES_OK || (rc = op(&rq->cx, stream, ids, nids, &n)) != RES_OK)
        return rc;
    return reply_take(rq, json_object_new_int64(n));
}

/* POST /admin/streams/dlq/requeue: data = how many went back. */
static res_t
admin_http_requeue(struct req *rq)
{
    return admin_dlq_apply(rq, stream_dlq_requeue);
}

/* POST /admin/streams/dlq/drop: data = how many were deleted. */
static res_t
admin_http_drop(struct req *rq)
{
    return admin_dlq_apply(rq, stream_dlq_drop);
}

const struct route admin_routes[] = {
    {HTTP_GET, "/admin/streams", admin_http_streams, ROUTE_ADMIN},
    {HTTP_POST, "/admin/streams/dlq/requeue", admin_http_requeue, ROUTE_ADMIN},
    {HTTP_POST, "/admin/streams/dlq/drop", admin_http_drop, ROUTE_ADMIN},
    {0, NULL, NULL, 0},
};
