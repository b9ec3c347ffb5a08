/*
 * voucher_private.h: what the voucher module's files share: the pure rules
 * of voucher.c (unit-tested) and the SQL/Redis of voucher_data.c used by
 * voucher_http.c and voucher_consumer.c.
 */
#ifndef HMDP_VOUCHER_PRIVATE_H
#define HMDP_VOUCHER_PRIVATE_H

#include "voucher.h"

#include "../stream/stream.h"

#include <json-c/json.h>
#include <stddef.h>
#include <time.h>

#define VOUCHER_STOCK_MAX  1000000
#define VOUCHER_ICR_PREFIX "order"

/* Outcomes of the seckill script (its integer reply). */
enum seckill_code {
    SECKILL_OK = 0,
    SECKILL_SOLD_OUT = 1,
    SECKILL_DUPLICATE = 2,
    SECKILL_UNKNOWN = 3,
    SECKILL_NOT_STARTED = 4,
    SECKILL_ENDED = 5,
};

/* A voucher write (POST /voucher, POST /voucher/seckill). */
struct voucher_in {
    int64_t shop_id;
    const char *title, *sub_title, *rules;
    int64_t pay_value, actual_value;
    int64_t stock;     /* seckill only */
    time_t begin, end; /* seckill only */
};

/* One order as the stream carries it. */
struct voucher_order {
    int64_t id, user_id, voucher_id;
};

/* ---- voucher.c: pure rules ---- */

/* The user-facing message for a seckill outcome; NULL for SECKILL_OK and
 * unknown codes. */
const char *voucher_seckill_msg(int code);
/* Decodes a stream.orders entry (fields userId, voucherId, id). Returns 0,
 * or -1 when a field is missing or not a positive integer. */
int voucher_order_parse(const struct stream_entry *e, struct voucher_order *o);

/* ---- voucher_data.c ---- */

/* Inserts an ordinary voucher (type 0); *id = its id. */
res_t voucher_create(struct req *rq, const struct voucher_in *in, int64_t *id);
/* Inserts a seckill voucher and its tb_seckill_voucher row in one
 * transaction and preloads seckill:stock:{id} and seckill:voucher:{id};
 * if Redis cannot be written nothing is committed. */
res_t voucher_create_seckill(struct req *rq, const struct voucher_in *in,
                             int64_t *id);
/* The shop's vouchers on sale as a JSON array; a seckill voucher's stock
 * is Redis' (MySQL's lags behind the consumer). */
res_t voucher_list(struct req *rq, int64_t shop_id, struct json_object **out);
/* Runs the seckill script for (uid, voucher). *code is a seckill_code;
 * on SECKILL_OK *order_id is the accepted order's id. */
res_t voucher_seckill(struct req *rq, int64_t uid, int64_t voucher_id,
                      int *code, int64_t *order_id);
/* Consumer: writes orders[0..n) in ONE transaction (stock - 1 where still
 * positive, then the order row). An order whose stock update matches no
 * row is skipped (logged). A duplicate key rolls the whole transaction
 * back and sets *dup (the caller retries one by one; for n = 1 a
 * duplicate means "already persisted"). */
res_t voucher_orders_persist(struct ctx *cx, const struct voucher_order *o,
                             size_t n, int *dup);

#endif
