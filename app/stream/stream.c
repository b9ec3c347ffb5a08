/*
 * stream.c: Redis Streams commands over store/rds.c. Commands are built
 * as argv (never by formatting user data into the command text), and
 * replies are decoded by stream_parse.c.
 */
#include "stream.h"

#include "../store/keys.h"
#include "../store/rds.h"

#include <stdio.h>
#include <string.h>

/* KEYS: stream; ARGV: group, start id. Returns 1 created, 0 existed.
 * As a script so that BUSYGROUP is an answer, not a logged error. */
static const struct rds_script stream_lua_group = {
    "stream_group_ensure",
    "local r = redis.pcall('XGROUP', 'CREATE', KEYS[1], ARGV[1], ARGV[2],"
    " 'MKSTREAM')\n"
    "if type(r) == 'table' and r.err then\n"
    "  if string.sub(r.err, 1, 9) == 'BUSYGROUP' then return 0 end\n"
    "  return r\n"
    "end\n"
    "return 1\n"};

/* Appends since the last trim, per hash bucket of the key: a producer
 * trims a stream every STREAM_TRIM_EVERY appends it makes (the periodic
 * pass of the consumers covers streams nobody writes to). */
#define STREAM_TRIM_EVERY   1000
#define STREAM_TRIM_BUCKETS 64
static unsigned stream_adds[STREAM_TRIM_BUCKETS];

static unsigned
stream_key_bucket(const char *key)
{
    unsigned h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h % STREAM_TRIM_BUCKETS;
}

res_t
stream_add(struct ctx *cx, const char *key, size_t nfields,
           const char *const *fields, const char *const *values,
           const char **id_out)
{
    size_t argc = 3 + 2 * nfields;
    const char **argv = arena_alloc(cx->arena, argc * sizeof(*argv));
    argv[0] = "XADD";
    argv[1] = key;
    argv[2] = "*";
    for (size_t i = 0; i < nfields; i++) {
        argv[3 + 2 * i] = fields[i];
        argv[4 + 2 * i] = values[i];
    }
    redisReply *r;
    res_t rc = rds_cmdv(cx, &r, (int)argc, argv, NULL);
    if (rc != RES_OK)
        return rc;
    if (r->type != REDIS_REPLY_STRING)
        return ctx_fail(cx, RES_INTERNAL, "XADD %s: unexpected reply", key);
    if (id_out)
        *id_out = rds_str(cx, r);
    unsigned b = stream_key_bucket(key);
    if (++stream_adds[b] >= STREAM_TRIM_EVERY) {
        stream_adds[b] = 0;
        /* the entry is in: a failed trim must not fail the append */
        struct ctx_mark m = ctx_mark(cx);
        stream_trim(cx, key, NULL);
        ctx_drop(cx, m, "stream trim after XADD");
    }
    return RES_OK;
}

res_t
stream_group_ensure(struct ctx *cx, const char *key, const char *group,
                    const char *start)
{
    const char *keys[1] = {key};
    const char *args[2] = {group, start};
    redisReply *r;
    res_t rc = rds_eval(cx, &stream_lua_group, &r, 1, keys, 2, args);
    if (rc != RES_OK)
        return rc;
    if (r->type != REDIS_REPLY_INTEGER)
        return ctx_fail(cx, RES_INTERNAL, "XGROUP CREATE %s %s: bad reply", key,
                        group);
    return RES_OK;
}

/* Parses an XREADGROUP reply r of key into *out, *n. */
static res_t
stream_take_read(struct ctx *cx, const char *key, const redisReply *r,
                 struct stream_entry **out, size_t *n)
{
    if (stream_parse_read(cx->arena, r, out, n) < 0)
        return ctx_fail(cx, RES_INTERNAL, "XREADGROUP %s: malformed reply",
                        key);
    return RES_OK;
}

/* argv of XACK key group ids... (3 + n words, in cx's arena). */
static const char **
stream_xack_argv(struct ctx *cx, const char *key, const char *group,
                 const char *const *ids, size_t n)
{
    const char **argv = arena_alloc(cx->arena, (3 + n) * sizeof(*argv));
    argv[0] = "XACK";
    argv[1] = key;
    argv[2] = group;
    memcpy(argv + 3, ids, n * sizeof(*argv));
    return argv;
}

/* argv of XREADGROUP (at most 11 words); returns argc. */
static int
stream_readgroup_argv(struct ctx *cx, const char *argv[11], const char *key,
                      const char *group, const char *consumer, long count,
                      long block_ms, const char *from)
{
    int argc = 0;
    argv[argc++] = "XREADGROUP";
    argv[argc++] = "GROUP";
    argv[argc++] = group;
    argv[argc++] = consumer;
    argv[argc++] = "COUNT";
    argv[argc++] = arena_printf(cx->arena, "%ld", count > 0 ? count : 1);
    if (block_ms >= 0) {
        argv[argc++] = "BLOCK";
        argv[argc++] = arena_printf(cx->arena, "%ld", block_ms);
    }
    argv[argc++] = "STREAMS";
    argv[argc++] = key;
    argv[argc++] = from;
    return argc;
}

static res_t
stream_readgroup(struct ctx *cx, const char *key, const char *group,
                 const char *consumer, long count, long block_ms,
                 const char *from, struct stream_entry **out, size_t *n)
{
    const char *argv[11];
    int argc = stream_readgroup_argv(cx, argv, key, group, consumer, count,
                                     block_ms, from);
    redisReply *r;
    res_t rc = rds_cmdv(cx, &r, argc, argv, NULL);
    if (rc != RES_OK)
        return rc;
    return stream_take_read(cx, key, r, out, n);
}

res_t
stream_read(struct ctx *cx, const char *key, const char *group,
            const char *consumer, long count, long block_ms,
            struct stream_entry **out, size_t *n)
{
    /* BLOCK 0 would wait forever: no blocking is spelled "no BLOCK" */
    return stream_readgroup(cx, key, group, consumer, count,
                            block_ms > 0 ? block_ms : -1, ">", out, n);
}

res_t
stream_read_start(struct ctx *cx, const char *key, const char *group,
                  const char *consumer, long count, long block_ms,
                  const char *const *ack, size_t nack)
{
    res_t rc;
    if (nack > 0) {
        const char **argv = stream_xack_argv(cx, key, group, ack, nack);
        if ((rc = rds_appendv(cx, (int)(3 + nack), argv, NULL)) != RES_OK)
            return rc;
    }
    const char *argv[11];
    int argc = stream_readgroup_argv(cx, argv, key, group, consumer, count,
                                     block_ms > 0 ? block_ms : -1, ">");
    if ((rc = rds_appendv(cx, argc, argv, NULL)) != RES_OK)
        return rc;
    return rds_send(cx);
}

res_t
stream_read_finish(struct ctx *cx, const char *key, size_t nack,
                   long long *acked, struct stream_entry **out, size_t *n)
{
    *acked = 0;
    *out = NULL;
    *n = 0;
    redisReply *r;
    /* both replies are read even when the first is an error reply, so
     * the connection stays in step */
    res_t rc = RES_OK, rc2;
    if (nack > 0) {
        rc = rds_reply(cx, &r);
        if (rc == RES_OK)
            *acked = rds_int(r);
        else if (rc != RES_INTERNAL)
            return rc; /* the connection is gone */
    }
    if ((rc2 = rds_reply(cx, &r)) != RES_OK)
        return rc2;
    if (rc != RES_OK)
        return rc;
    return stream_take_read(cx, key, r, out, n);
}

res_t
stream_read_pending(struct ctx *cx, const char *key, const char *group,
                    const char *consumer, long count, struct stream_entry **out,
                    size_t *n)
{
    return stream_readgroup(cx, key, group, consumer, count, -1, "0", out, n);
}

res_t
stream_ack(struct ctx *cx, const char *key, const char *group,
           const char *const *ids, size_t n, long long *acked)
{
    if (acked)
        *acked = 0;
    if (n == 0)
        return RES_OK;
    const char **argv = stream_xack_argv(cx, key, group, ids, n);
    redisReply *r;
    res_t rc = rds_cmdv(cx, &r, (int)(3 + n), argv, NULL);
    if (rc != RES_OK)
        return rc;
    if (acked)
        *acked = rds_int(r);
    return RES_OK;
}

res_t
stream_pending_list(struct ctx *cx, const char *key, const char *group,
                    long min_idle, const char *start, const char *end,
                    long count, const char *consumer,
                    struct stream_pending **out, size_t *n)
{
    const char *argv[10];
    int argc = 0;
    argv[argc++] = "XPENDING";
    argv[argc++] = key;
    argv[argc++] = group;
    if (min_idle >= 0) {
        argv[argc++] = "IDLE";
        argv[argc++] = arena_printf(cx->arena, "%ld", min_idle);
    }
    argv[argc++] = start;
    argv[argc++] = end;
    argv[argc++] = arena_printf(cx->arena, "%ld", count > 0 ? count : 1);
    if (consumer)
        argv[argc++] = consumer;
    redisReply *r;
    res_t rc = rds_cmdv(cx, &r, argc, argv, NULL);
    if (rc != RES_OK)
        return rc;
    if (stream_parse_pending(cx->arena, r, out, n) < 0)
        return ctx_fail(cx, RES_INTERNAL, "XPENDING %s %s: malformed reply",
                        key, group);
    return RES_OK;
}

res_t
stream_autoclaim(struct ctx *cx, const char *key, const char *group,
                 const char *consumer, long min_idle, const char *cursor,
                 long count, const char **next, struct stream_entry **out,
                 size_t *n, const char ***gone, size_t *ngone)
{
    const char *argv[8] = {
        "XAUTOCLAIM",
        key,
        group,
        consumer,
        arena_printf(cx->arena, "%ld", min_idle),
        cursor,
        "COUNT",
        arena_printf(cx->arena, "%ld", count > 0 ? count : 1)};
    redisReply *r;
    res_t rc = rds_cmdv(cx, &r, 8, argv, NULL);
    if (rc != RES_OK)
        return rc;
    if (stream_parse_autoclaim(cx->arena, r, next, out, n, gone, ngone) < 0)
        return ctx_fail(cx, RES_INTERNAL, "XAUTOCLAIM %s %s: malformed reply",
                        key, group);
    return RES_OK;
}

res_t
stream_claim(struct ctx *cx, const char *key, const char *group,
             const char *consumer, long min_idle, const char *const *ids,
             size_t nids, struct stream_entry **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (nids == 0)
        return RES_OK;
    size_t argc = 5 + nids;
    const char **argv = arena_alloc(cx->arena, argc * sizeof(*argv));
    argv[0] = "XCLAIM";
    argv[1] = key;
    argv[2] = group;
    argv[3] = consumer;
    argv[4] = arena_printf(cx->arena, "%ld", min_idle);
    for (size_t i = 0; i < nids; i++)
        argv[5 + i] = ids[i];
    redisReply *r;
    res_t rc = rds_cmdv(cx, &r, (int)argc, argv, NULL);
    if (rc != RES_OK)
        return rc;
    if (stream_parse_entries(cx->arena, r, out, n) < 0)
        return ctx_fail(cx, RES_INTERNAL, "XCLAIM %s %s: malformed reply", key,
                        group);
    return RES_OK;
}

/* KEYS: stream, dlq; ARGV: group, id, error, consumer, deliveries.
 * XACK first: an entry someone else acknowledged meanwhile is not
 * dead-lettered (returns 0). */
static const struct rds_script stream_lua_dlq = {
    "stream_dlq_move",
    "if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end\n"
    "local f = {'dlq-id', ARGV[2], 'dlq-group', ARGV[1], 'dlq-error',"
    " ARGV[3], 'dlq-consumer', ARGV[4], 'dlq-deliveries', ARGV[5]}\n"
    "local e = redis.call('XRANGE', KEYS[1], ARGV[2], ARGV[2])\n"
    "if #e == 1 and e[1][2] then\n"
    "  for _, v in ipairs(e[1][2]) do f[#f + 1] = v end\n"
    "end\n"
    "redis.call('XADD', KEYS[2], '*', unpack(f))\n"
    "return 1\n"};

res_t
stream_dlq_move(struct ctx *cx, const char *key, const char *group,
                const char *id, const char *error, const char *consumer,
                long long deliveries, int *moved)
{
    const char *keys[2] = {key, key_stream_dlq(cx->arena, key)};
    const char *args[5] = {group, id, error ? error : "",
                           consumer ? consumer : "",
                           arena_printf(cx->arena, "%lld", deliveries)};
    redisReply *r;
    res_t rc = rds_eval(cx, &stream_lua_dlq, &r, 2, keys, 5, args);
    if (rc != RES_OK)
        return rc;
    *moved = rds_int(r) == 1;
    return RES_OK;
}

/* KEYS: stream; ARGV: group, consumer, min idle ms. 1 removed, 0 kept
 * (it holds entries or was active lately), -1 no such consumer. */
static const struct rds_script stream_lua_delconsumer = {
    "stream_consumer_remove_idle",
    "local cs = redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])\n"
    "for _, c in ipairs(cs) do\n"
    "  local t = {}\n"
    "  for i = 1, #c, 2 do t[c[i]] = c[i + 1] end\n"
    "  if t['name'] == ARGV[2] then\n"
    "    if t['pending'] == 0 and t['idle'] >= tonumber(ARGV[3]) then\n"
    "      redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])\n"
    "      return 1\n"
    "    end\n"
    "    return 0\n"
    "  end\n"
    "end\n"
    "return -1\n"};

res_t
stream_consumer_remove_idle(struct ctx *cx, const char *key, const char *group,
                            const char *consumer, long min_idle, int *removed)
{
    const char *keys[1] = {key};
    const char *args[3] = {group, consumer,
                           arena_printf(cx->arena, "%ld", min_idle)};
    redisReply *r;
    res_t rc = rds_eval(cx, &stream_lua_delconsumer, &r, 1, keys, 3, args);
    if (rc != RES_OK)
        return rc;
    *removed = rds_int(r) == 1;
    return RES_OK;
}

res_t
stream_groups(struct ctx *cx, const char *key, struct stream_group_info **out,
              size_t *n)
{
    *out = NULL;
    *n = 0;
    redisReply *r;
    res_t rc = rds_cmd(cx, &r, "EXISTS %s", key);
    if (rc != RES_OK || rds_int(r) == 0)
        return rc;
    if ((rc = rds_cmd(cx, &r, "XINFO GROUPS %s", key)) != RES_OK)
        return rc;
    if (stream_parse_groups(cx->arena, r, out, n) < 0)
        return ctx_fail(cx, RES_INTERNAL, "XINFO GROUPS %s: malformed reply",
                        key);
    for (size_t i = 0; i < *n; i++) {
        /* summary form: [count, min id, max id, [[consumer, n], ...]] */
        if ((rc = rds_cmd(cx, &r, "XPENDING %s %s", key, (*out)[i].name)) !=
            RES_OK)
            return rc;
        if (r->type == REDIS_REPLY_ARRAY && r->elements >= 2 &&
            r->element[1]->type == REDIS_REPLY_STRING)
            (*out)[i].pending_min = rds_str(cx, r->element[1]);
    }
    return RES_OK;
}

res_t
stream_consumers(struct ctx *cx, const char *key, const char *group,
                 struct stream_consumer_info **out, size_t *n)
{
    redisReply *r;
    res_t rc = rds_cmd(cx, &r, "XINFO CONSUMERS %s %s", key, group);
    if (rc != RES_OK)
        return rc;
    if (stream_parse_consumers(cx->arena, r, out, n) < 0)
        return ctx_fail(cx, RES_INTERNAL,
                        "XINFO CONSUMERS %s %s: malformed reply", key, group);
    return RES_OK;
}

static const struct rds_script stream_lua_unsynced = {
    "stream_unsynced", STREAM_LUA_UNSYNCED
    "return unsynced(KEYS[1], ARGV[1], tonumber(ARGV[2]))\n"};

res_t
stream_unsynced(struct ctx *cx, const char *key, const char *group, long cap,
                long long *n)
{
    const char *keys[1] = {key};
    const char *args[2] = {group, arena_printf(cx->arena, "%ld", cap)};
    redisReply *r;
    res_t rc = rds_eval(cx, &stream_lua_unsynced, &r, 1, keys, 2, args);
    if (rc != RES_OK)
        return rc;
    if (r->type != REDIS_REPLY_INTEGER)
        return ctx_fail(cx, RES_INTERNAL, "unsynced %s %s: bad reply", key,
                        group);
    *n = r->integer;
    return RES_OK;
}
