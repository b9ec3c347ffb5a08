/*
 * stream.c: Redis Streams commands over store/rds.c. Commands are built
 * as argv (never by formatting user data into the command text), and
 * replies are decoded by stream_parse.c.
 */
#include "stream.h"

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

res_t
stream_add(struct ctx *cx, const char *key, long maxlen, size_t nfields,
           const char *const *fields, const char *const *values,
           const char **id_out)
{
    size_t argc = 6 + 2 * nfields;
    const char **argv = arena_alloc(cx->arena, argc * sizeof(*argv));
    argv[0] = "XADD";
    argv[1] = key;
    argv[2] = "MAXLEN";
    argv[3] = "~";
    argv[4] = arena_printf(cx->arena, "%ld", maxlen);
    argv[5] = "*";
    for (size_t i = 0; i < nfields; i++) {
        argv[6 + 2 * i] = fields[i];
        argv[7 + 2 * i] = values[i];
    }
    redisReply *r;
    res_t rc = rds_cmdv(cx, &r, (int)argc, argv, NULL);
    if (rc != RES_OK)
        return rc;
    if (r->type != REDIS_REPLY_STRING)
        return ctx_fail(cx, RES_INTERNAL, "XADD %s: unexpected reply", key);
    if (id_out)
        *id_out = rds_str(cx, r);
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

static res_t
stream_readgroup(struct ctx *cx, const char *key, const char *group,
                 const char *consumer, long count, long block_ms,
                 const char *from, struct stream_entry **out, size_t *n)
{
    const char *argv[11];
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
    redisReply *r;
    res_t rc = rds_cmdv(cx, &r, argc, argv, NULL);
    if (rc != RES_OK)
        return rc;
    if (stream_parse_read(cx->arena, r, out, n) < 0)
        return ctx_fail(cx, RES_INTERNAL, "XREADGROUP %s: malformed reply",
                        key);
    return RES_OK;
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
    size_t argc = 3 + n;
    const char **argv = arena_alloc(cx->arena, argc * sizeof(*argv));
    argv[0] = "XACK";
    argv[1] = key;
    argv[2] = group;
    for (size_t i = 0; i < n; i++)
        argv[3 + i] = ids[i];
    redisReply *r;
    res_t rc = rds_cmdv(cx, &r, (int)argc, argv, NULL);
    if (rc != RES_OK)
        return rc;
    if (acked)
        *acked = rds_int(r);
    return RES_OK;
}
