/*
 * upload_http.c: the upload endpoints (API.md §4.6 with the fixes of §9:
 * login required, type from the magic bytes, size limit, owner-only and
 * confined deletion).
 */
#include "upload_private.h"

#include "../core/reply.h"

#include <json-c/json.h>
#include <string.h>

/* POST /upload/blog (multipart field "file"): stores an image and returns
 * its name "/blogs/{d1}/{d2}/{name}.{ext}". The body limit (413) is
 * upload_limit, enforced by the core for ROUTE_UPLOAD before the body is
 * read. */
static res_t
upload_http_blog(struct req *rq)
{
    char boundary[UPLOAD_BOUNDARY_MAX + 1];
    int e = upload_boundary(rq->content_type, boundary, sizeof(boundary));
    if (e != UPLOAD_OK)
        return req_fail(rq, RES_BAD_INPUT, "%s", upload_strerror(e));
    const char *data = NULL;
    size_t n = 0;
    e = upload_multipart_find(rq->body, rq->body_len, boundary, "file", &data,
                              &n);
    if (e != UPLOAD_OK)
        return req_fail(rq, RES_BAD_INPUT, "%s", upload_strerror(e));
    if (n == 0)
        return req_fail(rq, RES_REFUSED, "文件为空");
    const char *ext = upload_sniff((const unsigned char *)data, n);
    if (ext == NULL)
        return req_fail(rq, RES_REFUSED,
                        "只能上传 PNG、JPEG、GIF 或 WebP 图片");
    const char *path;
    res_t rc = upload_store(rq, rq->user.id, data, n, ext, &path);
    if (rc != RES_OK)
        return rc;
    return reply_take(rq, json_object_new_string(path));
}

/* GET /upload/blog/delete?name=: deletes an image its caller uploaded.
 * The name may carry the page's /imgs prefix; anything but the exact
 * shape of our names is 400, someone else's file 403. */
static res_t
upload_http_delete(struct req *rq)
{
    const char *name = req_query(rq, "name");
    if (name == NULL || *name == '\0')
        return req_fail(rq, RES_BAD_INPUT, "缺少参数 name");
    /* the query was decoded once; a '%' left is a second encoding layer,
     * and backslashes or dot segments are never part of our names */
    if (strchr(name, '%') || strchr(name, '\\') || strstr(name, ".."))
        return req_fail(rq, RES_BAD_INPUT, "错误的文件名称");
    char canon[96];
    if (upload_name_check(name, canon, sizeof(canon)) != 0)
        return req_fail(rq, RES_BAD_INPUT, "错误的文件名称");
    res_t rc = upload_remove(rq, rq->user.id, canon);
    if (rc != RES_OK)
        return rc;
    return reply_ok(rq, NULL);
}

const struct route upload_routes[] = {
    {HTTP_POST, "/upload/blog", upload_http_blog, ROUTE_AUTH | ROUTE_UPLOAD},
    {HTTP_GET, "/upload/blog/delete", upload_http_delete, ROUTE_AUTH},
    {0, NULL, NULL, 0},
};
