/*
 * voucher.h: vouchers, the flash sale (seckill) and its order ids
 * (API.md §4.3). Orders are accepted in Redis by one Lua script and
 * persisted to MySQL by the separate hmdp-voucher-consumer process.
 */
#ifndef HMDP_VOUCHER_H
#define HMDP_VOUCHER_H

#include "../core/route.h"

#include <stdint.h>

extern const struct route voucher_routes[];

/* Order ids: (seconds since 2022-01-01T00:00:00Z) << 32 | daily sequence. */
#define VOUCHER_ID_EPOCH 1640995200LL

/* Builds an order id from UTC epoch seconds and a sequence number.
 * Returns 0, or -1 when now_s is before the epoch, the seconds do not fit
 * in 31 bits or seq is outside 0..2^32-1. Pure. */
int voucher_order_id(int64_t now_s, int64_t seq, int64_t *out);
/* The UTC epoch seconds an order id was made at. Pure. */
int64_t voucher_order_id_time(int64_t id);

#endif
