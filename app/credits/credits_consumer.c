/*
 * credits_consumer.c: main of hmdp-credits-consumer, group credits of
 * stream.orders on the stream consumer runtime (app/stream/consumer.h).
 * Each batch of orders grants +10 credits per order in one transaction
 * (credits_data.c), idempotent per order id; an entry that is not an
 * order goes to stream.orders:dlq. It reads the same entries as group g1
 * (which writes the orders) independently: a stalled g1 does not hold it
 * up, and the other way round.
 */
#include "credits.h"

#include "../store/keys.h"
#include "../stream/consumer.h"

static res_t
credits_handle(struct ctx *cx, void *arg, const struct stream_entry *e,
               size_t n, struct stream_result *res)
{
    (void)arg;
    struct credits_order *o = arena_alloc(cx->arena, n * sizeof(*o));
    size_t no = 0;
    for (size_t i = 0; i < n; i++) {
        if (credits_parse_id(stream_entry_get(&e[i], "id"), &o[no].order_id) ==
                0 &&
            credits_parse_id(stream_entry_get(&e[i], "userId"),
                             &o[no].user_id) == 0)
            no++;
        else
            res[i] = (struct stream_result){STREAM_POISON,
                                            "not an order (userId, id)"};
    }
    return no ? credits_grant(cx, o, no, NULL) : RES_OK;
}

static const struct stream_consumer credits_consumer = {
    .prog = "credits-consumer",
    .stream = KEY_STREAM_ORDERS,
    .group = KEY_CREDITS_GROUP,
    .handle = credits_handle,
};

int
main(void)
{
    return stream_consumer_main(&credits_consumer);
}
