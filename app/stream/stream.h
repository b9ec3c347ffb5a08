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
#include "stream_policy.h"

#include <stddef.h>

struct redisReply;

struct stream_entry {
    const char *id;      /* "1700000000000-0" */
    size_t nfields;      /* 0 for an entry trimmed away while pending */
    const char **fields; /* nfields names */
    const char **values; /* nfields values, same order */
};

/* ---- producer ---- */

/* XADD key * f1 v1 ...: appends one entry; *id_out (may be NULL) gets its
 * id. Retention is not XADD MAXLEN (Redis 7.0 would drop entries a group
 * has not acknowledged): every stream_trim_every-th append of this process
 * to key runs stream_trim(key), which honours the stream's retention rule
 * and every group. RES_DEP_DOWN / RES_INTERNAL described on cx. */
res_t stream_add(struct ctx *cx, const char *key, size_t nfields,
                 const char *const *fields, const char *const *values,
                 const char **id_out);

/* Lua text defining unsynced(k, g, cap): what group g of stream k has
 * not yet handled, counted up to cap:
 * pending plus lag (XINFO GROUPS); when Redis cannot give the lag (an
 * entry was deleted inside the unread range), the entries after the
 * last delivered one counted directly (at most cap); without the group,
 * the whole stream. */
#define STREAM_LUA_UNSYNCED                                                    \
    "local function unsynced(k, g, cap)\n"                                     \
    "  local gs = redis.pcall('XINFO', 'GROUPS', k)\n"                         \
    "  if type(gs) ~= 'table' or gs.err then return 0 end\n"                   \
    "  for _, e in ipairs(gs) do\n"                                            \
    "    local h = {}\n"                                                       \
    "    for i = 1, #e, 2 do h[e[i]] = e[i + 1] end\n"                         \
    "    if h['name'] == g then\n"                                             \
    "      if h['lag'] then return h['pending'] + h['lag'] end\n"              \
    "      return h['pending'] + #redis.call('XRANGE', k,"                     \
    " '(' .. h['last-delivered-id'], '+', 'COUNT', cap)\n"                     \
    "    end\n"                                                                \
    "  end\n"                                                                  \
    "  return redis.call('XLEN', k)\n"                                         \
    "end\n"

/* *n = unsynced(key, group, cap) of STREAM_LUA_UNSYNCED: what a group has
 * not handled yet (a producer's backpressure, the admin view). */
res_t stream_unsynced(struct ctx *cx, const char *key, const char *group,
                      long cap, long long *n);

/* ---- consumer groups ---- */

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

/* The read of a pipelined consumer, in two halves so the server works on
 * it while the caller does something else (its MySQL transaction):
 * stream_read_start queues XACK key group ack[0..nack) (nack = 0: none)
 * and stream_read's XREADGROUP (block_ms <= 0: no BLOCK, the answer comes
 * at once) and sends both; stream_read_finish collects the two replies:
 * *acked the entries acknowledged, *out and *n as stream_read. In
 * between the caller must issue no other Redis command (a command would
 * read and drop these replies), and the job must not end. The ack ids
 * are not used after stream_read_start returns. */
res_t stream_read_start(struct ctx *cx, const char *key, const char *group,
                        const char *consumer, long count, long block_ms,
                        const char *const *ack, size_t nack);
res_t stream_read_finish(struct ctx *cx, const char *key, size_t nack,
                         long long *acked, struct stream_entry **out,
                         size_t *n);

/* XREADGROUP GROUP group consumer COUNT count STREAMS key 0: this
 * consumer's delivered but unacknowledged entries, oldest first (each
 * read counts as a delivery). */
res_t stream_read_pending(struct ctx *cx, const char *key, const char *group,
                          const char *consumer, long count,
                          struct stream_entry **out, size_t *n);

/* XACK key group id...: *acked (may be NULL) gets the number acknowledged.
 * n = 0 is a no-op. */
res_t stream_ack(struct ctx *cx, const char *key, const char *group,
                 const char *const *ids, size_t n, long long *acked);

/* One row of XPENDING's extended form. */
struct stream_pending {
    const char *id;
    const char *consumer;
    long long idle_ms;
    long long deliveries;
};

/* XPENDING key group [IDLE min_idle] start end count [consumer]
 * (consumer NULL: every consumer; min_idle < 0: no IDLE filter). */
res_t stream_pending_list(struct ctx *cx, const char *key, const char *group,
                          long min_idle, const char *start, const char *end,
                          long count, const char *consumer,
                          struct stream_pending **out, size_t *n);

/* XAUTOCLAIM key group consumer min_idle cursor COUNT count: takes over
 * entries idle for min_idle ms in any consumer's pending list (each a new
 * delivery). *next is the cursor for the next call ("0-0": the list was
 * scanned to its end). Entries that no longer exist are dropped from the
 * pending list by Redis and returned in *gone. */
res_t stream_autoclaim(struct ctx *cx, const char *key, const char *group,
                       const char *consumer, long min_idle, const char *cursor,
                       long count, const char **next, struct stream_entry **out,
                       size_t *n, const char ***gone, size_t *ngone);

/* XCLAIM key group consumer min_idle id...: takes the listed entries that
 * are still idle for min_idle ms (a new delivery each). Entries deleted
 * from the stream are dropped from the pending list by Redis and left out
 * of *out. */
res_t stream_claim(struct ctx *cx, const char *key, const char *group,
                   const char *consumer, long min_idle, const char *const *ids,
                   size_t nids, struct stream_entry **out, size_t *n);

/* Moves entry id of key to key:dlq with the fields dlq-id, dlq-group,
 * dlq-error, dlq-consumer, dlq-deliveries followed by the entry's own
 * fields, and acknowledges it for group, in ONE atomic step (a script).
 * *moved = 0 when the entry was no longer pending (someone acknowledged
 * it first): then nothing is written. */
res_t stream_dlq_move(struct ctx *cx, const char *key, const char *group,
                      const char *id, const char *error, const char *consumer,
                      long long deliveries, int *moved);

/* Removes consumer from group if, at that instant, it holds no pending
 * entry and has been idle for at least min_idle ms (one atomic step, so
 * an entry handed to it meanwhile is never orphaned). *removed 1 or 0. */
res_t stream_consumer_remove_idle(struct ctx *cx, const char *key,
                                  const char *group, const char *consumer,
                                  long min_idle, int *removed);

/* ---- inspection (XINFO) ---- */

struct stream_consumer_info {
    const char *name;
    long long pending;
    long long idle_ms;
};

struct stream_group_info {
    const char *name;
    long long consumers;
    long long pending;
    const char *last_delivered;
    long long lag;           /* -1 when Redis cannot tell */
    const char *pending_min; /* oldest pending id, NULL when none */
};

/* XINFO GROUPS key plus XPENDING key group (summary) for each group. A
 * missing stream is *n = 0. */
res_t stream_groups(struct ctx *cx, const char *key,
                    struct stream_group_info **out, size_t *n);
/* XINFO CONSUMERS key group. */
res_t stream_consumers(struct ctx *cx, const char *key, const char *group,
                       struct stream_consumer_info **out, size_t *n);

/* ---- retention (stream_trim.c) ---- */

/* The retention rules of conf/hmdp.conf (retention.<stream> lines and the
 * stream_retention key), parsed once; *n rules. Invalid lines are logged
 * and skipped. */
const struct stream_retention *stream_retention_rules(size_t *n);

/* What a trim of key would do now: *has_point and *minid (entries below
 * go), *held_by the group that holds it back (NULL when a floor does),
 * and the stream length. */
struct stream_trim_view {
    long long len;
    int has_point;
    const char *minid;
    const char *held_by;
    const struct stream_retention *ret; /* NULL: no rule */
};
res_t stream_trim_view(struct ctx *cx, const char *key,
                       struct stream_trim_view *v);

/* Trims key to its safe point (see stream_policy.h): *removed entries
 * (may be NULL). A stream without a rule is left alone. */
res_t stream_trim(struct ctx *cx, const char *key, long long *removed);

/* One pass over every stream with a rule (wildcard rules by SCAN), in
 * priority order. *removed totals the entries removed (may be NULL). */
res_t stream_trim_all(struct ctx *cx, long long *removed);

/* ---- pure decoding (stream_parse.c), unit-tested ---- */

/* Decodes an XREADGROUP/XREAD reply for one stream: nil (timeout) gives
 * *n = 0; otherwise [[key, [[id, [f, v, ...]], ...]]]. An entry whose field
 * list is nil (deleted while pending) gets nfields = 0. Strings are copied
 * into a. Returns 0, or -1 when the reply does not have that shape. */
int stream_parse_read(struct arena *a, const struct redisReply *r,
                      struct stream_entry **out, size_t *n);

/* Decodes a list of entries [[id, [f, v, ...]], ...] (XRANGE, XCLAIM). */
int stream_parse_entries(struct arena *a, const struct redisReply *list,
                         struct stream_entry **out, size_t *n);

/* XPENDING extended form: [[id, consumer, idle, deliveries], ...]. */
int stream_parse_pending(struct arena *a, const struct redisReply *r,
                         struct stream_pending **out, size_t *n);

/* XAUTOCLAIM: [cursor, entries, deleted ids]. */
int stream_parse_autoclaim(struct arena *a, const struct redisReply *r,
                           const char **next, struct stream_entry **out,
                           size_t *n, const char ***gone, size_t *ngone);

/* XINFO GROUPS / XINFO CONSUMERS (RESP2 flat maps per element). The
 * pending_min of each group is left NULL (a separate XPENDING). */
int stream_parse_groups(struct arena *a, const struct redisReply *r,
                        struct stream_group_info **out, size_t *n);
int stream_parse_consumers(struct arena *a, const struct redisReply *r,
                           struct stream_consumer_info **out, size_t *n);

/* Value of field name in e, or NULL. */
const char *stream_entry_get(const struct stream_entry *e, const char *name);

#endif
