/*
 * consumer.h: the runtime of a Redis Streams consumer process. A consumer
 * is a batch handler plus a few lines of main:
 *
 *     static const struct stream_consumer c = {
 *         .prog = "credits-consumer", .stream = KEY_STREAM_ORDERS,
 *         .group = KEY_CREDITS_GROUP, .handle = credits_handle};
 *     int main(void) { return stream_consumer_main(&c); }
 *
 * Guarantees the runtime keeps (MESSAGES.md §5-6):
 *  - the group is created if missing (from 0; re-ensured after any error,
 *    since a Redis restarted without persistence loses it);
 *  - the consumer name is "<host>:<pid>", unique per process;
 *  - an entry is acknowledged only after the handler returned it as done
 *    (so after the handler's COMMIT);
 *  - an entry the handler asks to retry stays pending and is handed to the
 *    same live consumer again after a back-off (retry_base_ms doubling,
 *    capped below the claim time), found by a periodic XPENDING of its own
 *    pending list;
 *  - entries idle for claim_idle_ms in any consumer's pending list (a
 *    consumer that died or hangs) are taken over with XAUTOCLAIM; those
 *    of a consumer on this host whose process is gone, at once;
 *  - an entry delivered more than max_deliveries times, or that the
 *    handler calls poison, moves to <stream>:dlq with its last error in
 *    one atomic step with its XACK;
 *  - consumers that hold nothing and were idle longer than the claim time
 *    are removed from the group (XGROUP DELCONSUMER, atomically checked);
 *  - entries whose body was trimmed while pending are acknowledged and
 *    counted, never handed to the handler;
 *  - SIGTERM, SIGINT and SIGUSR1 (multiwatch's stop) let the batch in hand
 *    finish, then stream_consumer_main returns 0;
 *  - every stream_trim_interval_ms one consumer process in the system runs
 *    the retention pass (stream_trim_all).
 */
#ifndef HMDP_STREAM_CONSUMER_H
#define HMDP_STREAM_CONSUMER_H

#include "stream.h"

enum stream_verdict {
    STREAM_OK = 0, /* done (committed): acknowledge */
    STREAM_RETRY,  /* failed this time: hand it again later */
    STREAM_POISON  /* can never succeed: to the dead-letter stream now */
};

struct stream_result {
    enum stream_verdict verdict;
    const char *error; /* why, for RETRY/POISON (cx's arena or static) */
};

/* Handles entries e[0..n) (each has its fields) and writes one result per
 * entry into res (preset to STREAM_OK). Returns RES_OK when res says what
 * happened; any other code means the batch could not be handled at all (a
 * store is down, nothing committed): the runtime keeps the same batch in
 * hand and hands it again after a back-off, without counting a delivery.
 * Everything it allocates comes from cx's arena. */
typedef res_t (*stream_handler_fn)(struct ctx *cx, void *arg,
                                   const struct stream_entry *e, size_t n,
                                   struct stream_result *res);

struct stream_consumer {
    const char *prog; /* for log lines: "voucher-consumer" */
    const char *stream;
    const char *group;
    stream_handler_fn handle;
    void *arg;
    /* 1: the handler issues no Redis command (MySQL only), so the runtime
     * reads the next batch, and acknowledges the previous one, while the
     * handler runs (pipelining; acknowledgements still follow COMMIT) */
    int pipelined;
};

/* Counters of one run, for the log line at exit and the tests. */
struct stream_consumer_stats {
    unsigned long handled, acked, retried, dead, nil, claimed, removed;
};

/* The whole main of a consumer process: configuration (conf/hmdp.conf and
 * $HMDP_*), log file ($HMDP_CONSUMER_LOG, else stderr), signals, the loop,
 * and an orderly shutdown that frees everything (LeakSanitizer). Returns
 * the process exit code: 0 after a stop signal, 2 for a bad configuration. */
int stream_consumer_main(const struct stream_consumer *c);

/* The loop alone, until a stop signal (the caller loaded cfg and opened
 * the log). Returns 0. */
int stream_consumer_run(const struct stream_consumer *c,
                        struct stream_consumer_stats *st);

/* This process's consumer name ("<host>:<pid>"). */
const char *stream_consumer_self(void);

#endif
