/*
 * voucher_consumer.c: main of hmdp-voucher-consumer, the process that
 * persists flash-sale orders: group g1 of stream.orders on the stream
 * consumer runtime (app/stream/consumer.h: group creation, pending
 * recovery, take-over of a dead consumer's entries, dead letters, stop
 * signals, ack after commit).
 *
 * The handler writes each batch of orders to MySQL in one transaction.
 * The order id (primary key) and UNIQUE(user_id, voucher_id) turn a
 * replayed order (a crash between COMMIT and XACK) into a no-op: a batch
 * that hits a duplicate is rolled back and redone one order at a time, and
 * a duplicate single order counts as persisted. An entry that is not an
 * order goes to stream.orders:dlq.
 *
 * Logging: $HMDP_CONSUMER_LOG if set, else stderr (conf/stack.sh points
 * stderr at logs/hmdp-voucher-consumer.log).
 */
#include "voucher_private.h"

#include "../core/log.h"
#include "../store/keys.h"
#include "../stream/consumer.h"

static res_t
vc_handle(struct ctx *cx, void *arg, const struct stream_entry *e, size_t n,
          struct stream_result *res)
{
    (void)arg;
    struct voucher_order *o = arena_alloc(cx->arena, n * sizeof(*o));
    size_t *at = arena_alloc(cx->arena, n * sizeof(*at));
    size_t no = 0;
    for (size_t i = 0; i < n; i++) {
        if (voucher_order_parse(&e[i], &o[no]) == 0)
            at[no++] = i;
        else
            res[i] = (struct stream_result){
                STREAM_POISON, "not an order (userId, voucherId, id)"};
    }
    int dup = 0;
    res_t rc;
    if (no == 0)
        return RES_OK;
    if ((rc = voucher_orders_persist(cx, o, no, &dup)) != RES_OK)
        return rc;
    if (!dup)
        return RES_OK;
    /* some order is already in MySQL (a replay after a crash) */
    for (size_t i = 0; i < no; i++) {
        int d1;
        if ((rc = voucher_orders_persist(cx, &o[i], 1, &d1)) != RES_OK)
            return rc;
        if (d1)
            log_info("order %lld already persisted (entry %s)",
                     (long long)o[i].id, e[at[i]].id);
    }
    return RES_OK;
}

static const struct stream_consumer vc_consumer = {
    .prog = "voucher-consumer",
    .stream = KEY_STREAM_ORDERS,
    .group = KEY_ORDERS_GROUP,
    .handle = vc_handle,
};

int
main(void)
{
    return stream_consumer_main(&vc_consumer);
}
