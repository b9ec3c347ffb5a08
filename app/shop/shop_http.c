/*
 * shop_http.c: handlers of the shop module (API.md §4.2). Reads are
 * public; POST/PUT /shop need the admin token (ROUTE_ADMIN, checked by the
 * core before the handler runs).
 */
#include "shop_private.h"

#include "../core/cfg.h"
#include "../core/reply.h"

#include <string.h>

#define SHOP_U32_MAX 4294967295LL
#define SHOP_ID_MAX  9007199254740991LL /* 2^53-1: exact in JSON */

/* GET /shop/{id}: one shop, through the cache. */
static res_t
shop_http_get(struct req *rq)
{
    int64_t id;
    res_t rc = req_path_i64(rq, "id", &id);
    if (rc != RES_OK)
        return rc;
    struct json_object *o;
    if ((rc = shop_get(rq, id, &o)) != RES_OK)
        return rc;
    return reply_ok(rq, o);
}

/* GET /shop-type/list: every shop type, sorted by `sort`. */
static res_t
shop_http_types(struct req *rq)
{
    struct json_object *arr;
    res_t rc = shop_types(rq, &arr);
    if (rc != RES_OK)
        return rc;
    return reply_ok(rq, arr);
}

/* GET /shop/of/name?name=&current=: shops whose name contains name. */
static res_t
shop_http_by_name(struct req *rq)
{
    const char *name = req_query(rq, "name");
    int64_t current;
    res_t rc = req_query_i64(rq, "current", 1, 1, SHOP_CURRENT_MAX, &current);
    if (rc != RES_OK)
        return rc;
    if (name && str_utf8_len(name, strlen(name)) < 0)
        return req_fail(rq, RES_BAD_INPUT, "参数 name 无效");
    if (name && str_utf8_len(name, strlen(name)) > 128)
        return req_fail(rq, RES_BAD_INPUT, "参数 name 过长");
    struct json_object *arr;
    if ((rc = shop_page_by_name(rq, name, current, &arr)) != RES_OK)
        return rc;
    return reply_ok(rq, arr);
}

/* GET /shop/of/type?typeId=&current=&x=&y=&sortBy=: shops of a type, by
 * distance when x and y are given (the frontend always sends them),
 * else by id, comments or score. No data past the end. */
static res_t
shop_http_by_type(struct req *rq)
{
    int64_t type_id, current;
    double x = 0, y = 0;
    int hx = 0, hy = 0;
    res_t rc;
    if ((rc = req_query_i64_req(rq, "typeId", 1, SHOP_ID_MAX, &type_id)) !=
            RES_OK ||
        (rc = req_query_i64(rq, "current", 1, 1, SHOP_CURRENT_MAX, &current)) !=
            RES_OK ||
        (rc = req_query_dbl(rq, "x", -180, 180, &x, &hx)) != RES_OK ||
        (rc = req_query_dbl(rq, "y", -SHOP_LAT_MAX, SHOP_LAT_MAX, &y, &hy)) !=
            RES_OK)
        return rc;
    int sort = shop_sort_parse(req_query(rq, "sortBy"));
    if (sort < 0)
        return req_fail(rq, RES_BAD_INPUT, "参数 sortBy 无效");
    if (hx != hy)
        return req_fail(rq, RES_BAD_INPUT, "x 和 y 必须同时提供");
    if (hx) {
        const char *list;
        size_t len;
        if ((rc = shop_page_near(rq, type_id, x, y, current, &list, &len)) !=
            RES_OK)
            return rc;
        return reply_ok(rq, list ? reply_raw(rq, list, len) : NULL);
    }
    struct json_object *arr;
    if ((rc = shop_page_by_type(rq, type_id, current, (enum shop_sort)sort,
                                &arr)) != RES_OK)
        return rc;
    return reply_ok(rq, arr);
}

/* Reads the writable Shop fields of a JSON body. create: the fields a new
 * shop needs are required. */
static res_t
shop_read_in(struct req *rq, struct json_object *b, int create,
             struct shop_in *in)
{
    res_t rc;
    memset(in, 0, sizeof(*in));
    if ((rc = req_json_str(rq, b, "name", 128, create, &in->name)) != RES_OK ||
        (rc = req_json_str(rq, b, "images", 1024, create, &in->images)) !=
            RES_OK ||
        (rc = req_json_str(rq, b, "area", 128, 0, &in->area)) != RES_OK ||
        (rc = req_json_str(rq, b, "address", 255, create, &in->address)) !=
            RES_OK ||
        (rc = req_json_str(rq, b, "openHours", 32, 0, &in->open_hours)) !=
            RES_OK)
        return rc;
    if ((in->name && *in->name == '\0') ||
        (in->address && *in->address == '\0') ||
        (in->images && *in->images == '\0'))
        return req_fail(rq, RES_BAD_INPUT, "name、images、address 不能为空");

    struct {
        const char *key;
        int64_t lo, hi;
        int req;
        int64_t *v;
        int *has;
    } ints[] = {
        {"typeId", 1, SHOP_ID_MAX, create, &in->type_id, &in->has_type_id},
        {"avgPrice", 0, 9999999999LL, 0, &in->avg_price, &in->has_avg_price},
        {"sold", 0, SHOP_U32_MAX, 0, &in->sold, &in->has_sold},
        {"comments", 0, SHOP_U32_MAX, 0, &in->comments, &in->has_comments},
        {"score", 0, 50, 0, &in->score, &in->has_score},
    };
    for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
        *ints[i].v = -1;
        if ((rc = req_json_i64(rq, b, ints[i].key, ints[i].lo, ints[i].hi,
                               ints[i].req, ints[i].v)) != RES_OK)
            return rc;
        *ints[i].has = *ints[i].v >= 0;
    }
    in->x = in->y = -1;
    if ((rc = req_json_dbl(rq, b, "x", 0, 180, create, &in->x)) != RES_OK ||
        (rc = req_json_dbl(rq, b, "y", 0, SHOP_LAT_MAX, create, &in->y)) !=
            RES_OK)
        return rc;
    in->has_x = in->x >= 0;
    in->has_y = in->y >= 0;

    if (in->has_type_id) {
        int found;
        if ((rc = shop_type_exists(rq, in->type_id, &found)) != RES_OK)
            return rc;
        if (!found)
            return req_fail(rq, RES_BAD_INPUT, "店铺类型 %lld 不存在",
                            (long long)in->type_id);
    }
    return RES_OK;
}

/* POST /shop (admin): creates a shop; data = the new id. */
static res_t
shop_http_create(struct req *rq)
{
    struct json_object *b;
    struct shop_in in;
    res_t rc = req_json(rq, &b);
    if (rc != RES_OK || (rc = shop_read_in(rq, b, 1, &in)) != RES_OK)
        return rc;
    int64_t id;
    if ((rc = shop_insert(rq, &in, &id)) != RES_OK)
        return rc;
    return reply_take(rq, json_object_new_int64(id));
}

/* PUT /shop (admin): updates the non-null fields of shop `id`, then drops
 * its cache entry (the next read rebuilds it) and moves its GEO entry. */
static res_t
shop_http_update(struct req *rq)
{
    struct json_object *b;
    struct shop_in in;
    int64_t id = 0;
    res_t rc = req_json(rq, &b);
    if (rc != RES_OK ||
        (rc = req_json_i64(rq, b, "id", 1, SHOP_ID_MAX, 0, &id)) != RES_OK)
        return rc;
    if (id == 0)
        return req_fail(rq, RES_BAD_INPUT, "id不能为空");
    if ((rc = shop_read_in(rq, b, 0, &in)) != RES_OK)
        return rc;
    in.id = id;
    int found;
    if ((rc = shop_update(rq, &in, &found)) != RES_OK)
        return rc;
    if (!found)
        return req_fail(rq, RES_REFUSED, "店铺不存在");
    return reply_ok(rq, NULL);
}

const struct route shop_routes[] = {
    {HTTP_GET, "/shop/{id}", shop_http_get, 0},
    {HTTP_POST, "/shop", shop_http_create, ROUTE_ADMIN},
    {HTTP_PUT, "/shop", shop_http_update, ROUTE_ADMIN},
    {HTTP_GET, "/shop/of/name", shop_http_by_name, 0},
    {HTTP_GET, "/shop/of/type", shop_http_by_type, 0},
    {HTTP_GET, "/shop-type/list", shop_http_types, 0},
    {0, NULL, NULL, 0},
};
