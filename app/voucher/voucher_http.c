/*
 * voucher_http.c: handlers of the voucher module (API.md §4.3,
 * DECISIONS.md). Every seckill outcome a buyer should read (unknown
 * voucher, not started, ended, sold out, already bought) is RES_REFUSED
 * with its own message; the order id goes back as a JSON string because
 * it exceeds 2^53.
 */
#include "voucher_private.h"

#include "../core/metrics.h"

#include "../shop/shop.h"

#include "../core/reply.h"
#include "../core/util.h"

#include <stdio.h>
#include <string.h>

#define VOUCHER_MONEY_MAX 9999999999LL /* bigint(10), cents */

/* GET /voucher/list/{shopId}: the shop's vouchers on sale. */
static res_t
voucher_http_list(struct req *rq)
{
    int64_t shop_id;
    res_t rc = req_path_i64(rq, "shopId", &shop_id);
    if (rc != RES_OK)
        return rc;
    struct json_object *arr;
    if ((rc = voucher_list(rq, shop_id, &arr)) != RES_OK)
        return rc;
    return reply_ok(rq, arr);
}

/* Reads the fields both voucher kinds share; type must be `type` when
 * given. */
static res_t
voucher_read_in(struct req *rq, struct json_object *b, int type,
                struct voucher_in *in)
{
    res_t rc;
    int64_t t = type;
    memset(in, 0, sizeof(*in));
    if ((rc = req_json_i64(rq, b, "shopId", 1, INT64_MAX, 1, &in->shop_id)) !=
            RES_OK ||
        (rc = req_json_str(rq, b, "title", 255, 1, &in->title)) != RES_OK ||
        (rc = req_json_str(rq, b, "subTitle", 255, 0, &in->sub_title)) !=
            RES_OK ||
        (rc = req_json_str(rq, b, "rules", 1024, 0, &in->rules)) != RES_OK ||
        (rc = req_json_i64(rq, b, "payValue", 0, VOUCHER_MONEY_MAX, 1,
                           &in->pay_value)) != RES_OK ||
        (rc = req_json_i64(rq, b, "actualValue", 0, VOUCHER_MONEY_MAX, 1,
                           &in->actual_value)) != RES_OK ||
        (rc = req_json_i64(rq, b, "type", 0, 1, 0, &t)) != RES_OK)
        return rc;
    if (*in->title == '\0')
        return req_fail(rq, RES_BAD_INPUT, "title 不能为空");
    if (t != type)
        return req_fail(rq, RES_BAD_INPUT,
                        type ? "秒杀券的 type 必须为 1"
                             : "秒杀券请使用 /voucher/seckill 创建");
    return RES_OK;
}

static res_t
voucher_check_shop(struct req *rq, int64_t shop_id)
{
    int found;
    res_t rc = shop_exists(rq, shop_id, &found);
    if (rc != RES_OK)
        return rc;
    if (!found)
        return req_fail(rq, RES_BAD_INPUT, "店铺 %lld 不存在",
                        (long long)shop_id);
    return RES_OK;
}

/* POST /voucher (admin): an ordinary voucher; data = its id. */
static res_t
voucher_http_create(struct req *rq)
{
    struct json_object *b;
    struct voucher_in in;
    res_t rc = req_json(rq, &b);
    if (rc != RES_OK || (rc = voucher_read_in(rq, b, 0, &in)) != RES_OK ||
        (rc = voucher_check_shop(rq, in.shop_id)) != RES_OK)
        return rc;
    int64_t id;
    if ((rc = voucher_create(rq, &in, &id)) != RES_OK)
        return rc;
    return reply_take(rq, json_object_new_int64(id));
}

static res_t
voucher_read_time(struct req *rq, struct json_object *b, const char *key,
                  time_t *out)
{
    const char *s = NULL;
    res_t rc = req_json_str(rq, b, key, 32, 1, &s);
    if (rc != RES_OK)
        return rc;
    if (util_date_parse_local(s, out) < 0)
        return req_fail(rq, RES_BAD_INPUT, "%s 格式应为 YYYY-MM-DDTHH:MM:SS",
                        key);
    return RES_OK;
}

/* POST /voucher/seckill (admin): a seckill voucher with stock and time
 * window, preloaded into Redis; data = its id. */
static res_t
voucher_http_create_seckill(struct req *rq)
{
    struct json_object *b;
    struct voucher_in in;
    res_t rc = req_json(rq, &b);
    if (rc != RES_OK || (rc = voucher_read_in(rq, b, 1, &in)) != RES_OK ||
        (rc = req_json_i64(rq, b, "stock", 1, VOUCHER_STOCK_MAX, 1,
                           &in.stock)) != RES_OK ||
        (rc = voucher_read_time(rq, b, "beginTime", &in.begin)) != RES_OK ||
        (rc = voucher_read_time(rq, b, "endTime", &in.end)) != RES_OK)
        return rc;
    if (in.end <= in.begin)
        return req_fail(rq, RES_BAD_INPUT, "endTime 必须晚于 beginTime");
    if ((rc = voucher_check_shop(rq, in.shop_id)) != RES_OK)
        return rc;
    int64_t id;
    if ((rc = voucher_create_seckill(rq, &in, &id)) != RES_OK)
        return rc;
    return reply_take(rq, json_object_new_int64(id));
}

/* The counter of a seckill outcome (core/metrics.h). */
static enum metrics_ctr
voucher_seckill_metric(int code)
{
    switch (code) {
    case SECKILL_OK:
        return MET_SECKILL_ORDERS;
    case SECKILL_SOLD_OUT:
        return MET_SECKILL_SOLD_OUT;
    case SECKILL_DUPLICATE:
        return MET_SECKILL_DUPLICATE;
    case SECKILL_NOT_STARTED:
        return MET_SECKILL_NOT_STARTED;
    case SECKILL_ENDED:
        return MET_SECKILL_ENDED;
    default:
        return MET_SECKILL_UNKNOWN;
    }
}

/* POST /voucher-order/seckill/{id} (login): one flash-sale attempt; data
 * = the order id as a string. The order reaches MySQL asynchronously. */
static res_t
voucher_http_seckill(struct req *rq)
{
    int64_t vid, order_id = 0;
    int code;
    res_t rc = req_path_i64(rq, "id", &vid);
    if (rc != RES_OK || (rc = voucher_seckill(rq, rq->user.id, vid, &code,
                                              &order_id)) != RES_OK)
        return rc;
    metrics_inc(MET_SECKILL_ATTEMPTS);
    metrics_inc(voucher_seckill_metric(code));
    if (code != SECKILL_OK) {
        const char *msg = voucher_seckill_msg(code);
        if (msg == NULL)
            return req_fail(rq, RES_INTERNAL, "seckill script returned %d",
                            code);
        return req_fail(rq, RES_REFUSED, "%s", msg);
    }
    char buf[24];
    snprintf(buf, sizeof(buf), "%lld", (long long)order_id);
    return reply_take(rq, json_object_new_string(buf));
}

const struct route voucher_routes[] = {
    {HTTP_GET, "/voucher/list/{shopId}", voucher_http_list, 0},
    {HTTP_POST, "/voucher", voucher_http_create, ROUTE_ADMIN},
    {HTTP_POST, "/voucher/seckill", voucher_http_create_seckill, ROUTE_ADMIN},
    {HTTP_POST, "/voucher-order/seckill/{id}", voucher_http_seckill,
     ROUTE_AUTH},
    {0, NULL, NULL, 0},
};
