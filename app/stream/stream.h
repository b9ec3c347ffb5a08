/*
 * stream.h: a small Redis Streams producer/consumer API over the process's
 * one Redis connection (store/rds.c).
 *
 * Delivery model (consumer groups): stream_read() hands out entries nobody
 * has seen (XREADGROUP ... >); they stay pending for this consumer until
 * stream_ack(). stream_read_pending() replays this consumer's own pending
 * entries (XREADGROUP ... 0), which a consumer does at startup and after
 * an error, so an entry is processed at least once. Consumers must
 * therefore be idempotent, keyed by something in the entry.
 *
 * Entries, ids and field strings are arena copies owned by cx.
 */
#ifndef HMDP_STREAM_H
#define HMDP_STREAM_H

#include "../core/arena.h"
#include "../core/ctx.h"

#include <stddef.h>

struct redisReply;

struct stream_entry {
    const char *id;      /* "1700000000000-0" */
    size_t nfields;      /* 0 for an entry trimmed away while pending */
    const char **fields; /* nfields names */
    const char **values; /* nfields values, same order */
};

/* XADD key MAXLEN ~ maxlen * f1 v1 ...: appends one entry. *id_out (may be
 * NULL) receives the new entry id. RES_DEP_DOWN / RES_INTERNAL described. */
res_t stream_add(struct ctx *cx, const char *key, long maxlen, size_t nfields,
                 const char *const *fields, const char *const *values,
                 const char **id_out);

/* XGROUP CREATE key group start MKSTREAM. A group that already exists
 * (BUSYGROUP) is success. start is "0" (deliver what the stream already
 * holds) or "$" (only new entries). */
res_t stream_group_ensure(struct ctx *cx, const char *key, const char *group,
                          const char *start);

/* XREADGROUP GROUP group consumer COUNT count BLOCK block_ms STREAMS key >.
 * *n = 0 when the block timed out. The connection's I/O timeout must be
 * longer than block_ms (see rds_set_io_timeout). A missing group is an
 * error (RES_INTERNAL); call stream_group_ensure again after errors. */
res_t stream_read(struct ctx *cx, const char *key, const char *group,
                  const char *consumer, long count, long block_ms,
                  struct stream_entry **out, size_t *n);

/* XREADGROUP GROUP group consumer COUNT count STREAMS key 0: this
 * consumer's delivered but unacknowledged entries, oldest first. */
res_t stream_read_pending(struct ctx *cx, const char *key, const char *group,
                          const char *consumer, long count,
                          struct stream_entry **out, size_t *n);

/* XACK key group id...: *acked (may be NULL) gets the number acknowledged.
 * n = 0 is a no-op. */
res_t stream_ack(struct ctx *cx, const char *key, const char *group,
                 const char *const *ids, size_t n, long long *acked);

/* ---- pure decoding (stream_parse.c), unit-tested ---- */

/* Decodes an XREADGROUP/XREAD reply for one stream: nil (timeout) gives
 * *n = 0; otherwise [[key, [[id, [f, v, ...]], ...]]]. An entry whose field
 * list is nil (deleted while pending) gets nfields = 0. Strings are copied
 * into a. Returns 0, or -1 when the reply does not have that shape. */
int stream_parse_read(struct arena *a, const struct redisReply *r,
                      struct stream_entry **out, size_t *n);

/* Value of field name in e, or NULL. */
const char *stream_entry_get(const struct stream_entry *e, const char *name);

#endif
