/*
 * voucher.c: the voucher module's pure rules: order-id bit layout, the
 * seckill outcome messages and the decoding of a stream order entry.
 */
#include "voucher_private.h"

#include "../core/req.h"

#include <stddef.h>

int
voucher_order_id(int64_t now_s, int64_t seq, int64_t *out)
{
    int64_t t = now_s - VOUCHER_ID_EPOCH;
    /* 31 bits of seconds keep the id positive (until 2090) */
    if (t < 0 || t > 0x7fffffffLL || seq < 0 || seq > 0xffffffffLL)
        return -1;
    *out = (int64_t)(((uint64_t)t << 32) | (uint64_t)seq);
    return 0;
}

int64_t
voucher_order_id_time(int64_t id)
{
    return (int64_t)((uint64_t)id >> 32) + VOUCHER_ID_EPOCH;
}

const char *
voucher_seckill_msg(int code)
{
    switch (code) {
    case SECKILL_SOLD_OUT:
        return "库存不足";
    case SECKILL_DUPLICATE:
        return "禁止重复下单";
    case SECKILL_UNKNOWN:
        return "优惠券不存在";
    case SECKILL_NOT_STARTED:
        return "秒杀尚未开始";
    case SECKILL_ENDED:
        return "秒杀已经结束";
    default:
        return NULL;
    }
}

static int
voucher_field_id(const struct stream_entry *e, const char *name, int64_t *out)
{
    const char *v = stream_entry_get(e, name);
    return v && str_parse_i64(v, out) == 0 && *out > 0 ? 0 : -1;
}

int
voucher_order_parse(const struct stream_entry *e, struct voucher_order *o)
{
    if (voucher_field_id(e, "userId", &o->user_id) < 0 ||
        voucher_field_id(e, "voucherId", &o->voucher_id) < 0 ||
        voucher_field_id(e, "id", &o->id) < 0)
        return -1;
    return 0;
}
