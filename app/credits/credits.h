/*
 * credits.h: member credits granted for flash-sale orders (group credits
 * of stream.orders, MESSAGES.md §5): +CREDITS_PER_ORDER to the buyer's
 * tb_user_info.credits, once per order id.
 */
#ifndef HMDP_CREDITS_H
#define HMDP_CREDITS_H

#include "../core/ctx.h"

#include <stddef.h>
#include <stdint.h>

#define CREDITS_PER_ORDER 10

struct credits_order {
    int64_t order_id, user_id;
};

/* Grants the credits of orders o[0..n) in ONE transaction: a
 * tb_credit_log row per order (its primary key is the order id: an order
 * seen before grants nothing), then +CREDITS_PER_ORDER on the buyer's
 * tb_user_info row, created when missing. *granted (may be NULL) counts
 * the orders that were new. RES_DEP_DOWN / RES_INTERNAL described on cx;
 * nothing is committed then. */
res_t credits_grant(struct ctx *cx, const struct credits_order *o, size_t n,
                    size_t *granted);

/* Pure: an entry's decimal field as a positive id. 0 or -1. */
int credits_parse_id(const char *s, int64_t *out);

#endif
