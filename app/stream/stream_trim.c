/*
 * stream_trim.c: retention. Each stream with a rule in conf/hmdp.conf
 * (retention.<stream> = <age s> <count> <priority> [after-ack]) keeps
 * every entry that is younger than the age floor, among the newest count,
 * or still needed by some consumer group; the rest is removed with XTRIM
 * MINID.
 *
 * Redis 7.0 trims without looking at pending lists, so the safe point is
 * computed here: stream_policy.c turns XLEN, the count-th newest id and
 * each group's last-delivered id and oldest pending id into the MINID.
 * Between that computation and the XTRIM a group could have been created
 * or reset, so the XTRIM runs in a script that looks at the groups again
 * in the same atomic step and lowers the MINID if one needs more.
 *
 * after-ack rules (chat: "24 h after sync") count the age from the time
 * the groups were done with an entry. Each trim records the current safe
 * point in stream.trim:hist:<stream> (id -> ms when first seen) and the
 * age floor is the newest record at least age s old.
 *
 * Who trims: a producer every STREAM_TRIM_EVERY appends (stream.c), and
 * the consumers' runtime every stream_trim_interval_ms in one pass over
 * all rules (one process per interval, by a lock key), wildcard rules by
 * SCAN so that idle users' message streams age out with no writes.
 */
#include "stream.h"

#include "../core/cfg.h"
#include "../core/log.h"
#include "../core/util.h"
#include "../store/keys.h"
#include "../store/rds.h"

#include <stdlib.h>
#include <string.h>

static struct stream_retention *stream_rules;
static size_t stream_nrules;
static int stream_rules_loaded;

static int
stream_rule_cmp(const void *a, const void *b)
{
    const struct stream_retention *x = a, *y = b;
    return x->priority - y->priority;
}

const struct stream_retention *
stream_retention_rules(size_t *n)
{
    if (!stream_rules_loaded) {
        stream_rules_loaded = 1;
        stream_rules = calloc(g_cfg.nretention + 1, sizeof(*stream_rules));
        if (stream_rules == NULL)
            abort();
        for (size_t i = 0; i < g_cfg.nretention; i++) {
            struct stream_retention r;
            if (stream_retention_parse(g_cfg.retention_vals[i], &r) < 0) {
                log_error("config: retention.%s = '%s': expected <age s> "
                          "<count> <priority> [after-ack]; rule ignored",
                          g_cfg.retention_keys[i], g_cfg.retention_vals[i]);
                continue;
            }
            r.pattern = g_cfg.retention_keys[i]; /* owned by g_cfg */
            /* a later line for the same pattern replaces the earlier */
            size_t k = 0;
            while (k < stream_nrules &&
                   strcmp(stream_rules[k].pattern, r.pattern) != 0)
                k++;
            if (k < stream_nrules)
                stream_rules[k] = r;
            else
                stream_rules[stream_nrules++] = r;
        }
        qsort(stream_rules, stream_nrules, sizeof(*stream_rules),
              stream_rule_cmp);
    }
    *n = stream_nrules;
    return stream_rules;
}

/* KEYS: stream; ARGV: count. The count-th newest id, or nil. */
static const struct rds_script stream_lua_nth_newest = {
    "stream_nth_newest",
    "local r = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', ARGV[1])\n"
    "if #r < tonumber(ARGV[1]) then return false end\n"
    "return r[#r][1]\n"};

/* KEYS: stream; ARGV: minid. Lowers minid to what every group needs (its
 * oldest pending entry, else the one after its last delivered) and trims
 * below it. Returns the number of entries removed. */
static const struct rds_script stream_lua_trim = {
    "stream_trim_safe",
    "local function parse(s)\n"
    "  local d = string.find(s, '-', 1, true)\n"
    "  if not d then return tonumber(s), 0 end\n"
    "  return tonumber(string.sub(s, 1, d - 1)), tonumber(string.sub(s, d + "
    "1))\n"
    "end\n"
    "local function lt(a, b)\n"
    "  local am, as = parse(a)\n"
    "  local bm, bs = parse(b)\n"
    "  return am < bm or (am == bm and as < bs)\n"
    "end\n"
    "local p = ARGV[1]\n"
    "for _, g in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do\n"
    "  local t = {}\n"
    "  for i = 1, #g, 2 do t[g[i]] = g[i + 1] end\n"
    "  local m, s = parse(t['last-delivered-id'])\n"
    "  local need = string.format('%.0f-%.0f', m, s + 1)\n"
    "  local pe = redis.call('XPENDING', KEYS[1], t['name'])\n"
    "  if pe[2] and lt(pe[2], need) then need = pe[2] end\n"
    "  if lt(need, p) then p = need end\n"
    "end\n"
    "if not lt('0-1', p) then return 0 end\n"
    "return redis.call('XTRIM', KEYS[1], 'MINID', p)\n"};

/* The safe point of groups g[0..n) alone (no floors): 0 when there is no
 * group (nothing to record). */
static int
stream_groups_point(const struct stream_group_state *g, size_t n,
                    struct stream_id *out)
{
    if (n == 0)
        return 0;
    struct stream_id p = stream_group_need(&g[0]);
    for (size_t i = 1; i < n; i++) {
        struct stream_id need = stream_group_need(&g[i]);
        if (stream_id_cmp(need, p) < 0)
            p = need;
    }
    *out = p;
    return 1;
}

/* Gathers the inputs of stream_trim_point. record: for after-ack rules,
 * add the current safe point to the history (a trim does, a view not). */
static res_t
stream_trim_compute(struct ctx *cx, const char *key, int record,
                    struct stream_trim_view *v, struct stream_id *minid)
{
    memset(v, 0, sizeof(*v));
    size_t nrules;
    const struct stream_retention *rules = stream_retention_rules(&nrules);
    v->ret = stream_retention_find(rules, nrules, key);
    redisReply *r;
    res_t rc = rds_cmd(cx, &r, "XLEN %s", key);
    if (rc != RES_OK)
        return rc;
    v->len = rds_int(r);
    if (v->ret == NULL || v->len == 0)
        return RES_OK;

    struct stream_group_info *gi;
    size_t ng;
    if ((rc = stream_groups(cx, key, &gi, &ng)) != RES_OK)
        return rc;
    struct stream_group_state *gs =
        arena_calloc(cx->arena, (ng ? ng : 1) * sizeof(*gs));
    for (size_t i = 0; i < ng; i++) {
        gs[i].name = gi[i].name;
        if (stream_id_parse(gi[i].last_delivered, &gs[i].last_delivered) < 0)
            return ctx_fail(cx, RES_INTERNAL, "stream %s group %s: bad id %s",
                            key, gi[i].name, gi[i].last_delivered);
        if (gi[i].pending_min &&
            stream_id_parse(gi[i].pending_min, &gs[i].pending_min) == 0)
            gs[i].has_pending = 1;
    }

    struct stream_trim_in in = {0};
    in.now_ms = util_now_ms();
    in.len = (long)v->len;
    in.ret = v->ret;
    in.groups = gs;
    in.ngroups = ng;
    if (v->ret->count > 0 && v->len > v->ret->count) {
        const char *keys[1] = {key};
        const char *args[1] = {arena_printf(cx->arena, "%ld", v->ret->count)};
        if ((rc = rds_eval(cx, &stream_lua_nth_newest, &r, 1, keys, 1, args)) !=
            RES_OK)
            return rc;
        if (r->type == REDIS_REPLY_STRING &&
            stream_id_parse(r->str, &in.count_bound) == 0)
            in.has_count_bound = 1;
    }
    if (v->ret->after_ack) {
        const char *hist = key_stream_trim_hist(cx->arena, key);
        struct stream_id now_point;
        if (record && stream_groups_point(gs, ng, &now_point)) {
            if ((rc = rds_cmd(cx, NULL, "ZADD %s NX %lld %s", hist,
                              (long long)in.now_ms,
                              stream_id_str(cx->arena, now_point))) != RES_OK)
                return rc;
        }
        long long upto = in.now_ms - (long long)v->ret->age_s * 1000;
        if ((rc = rds_cmd(cx, &r,
                          "ZREVRANGEBYSCORE %s %lld -inf WITHSCORES LIMIT 0 1",
                          hist, upto)) != RES_OK)
            return rc;
        if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
            stream_id_parse(r->element[0]->str, &in.acked_bound) == 0) {
            in.has_acked_bound = 1;
            /* older records are no longer needed */
            if (record &&
                (rc = rds_cmd(cx, NULL, "ZREMRANGEBYSCORE %s -inf (%s", hist,
                              r->element[1]->str)) != RES_OK)
                return rc;
        }
    }
    v->has_point = stream_trim_point(&in, minid, &v->held_by);
    if (v->has_point)
        v->minid = stream_id_str(cx->arena, *minid);
    return RES_OK;
}

res_t
stream_trim_view(struct ctx *cx, const char *key, struct stream_trim_view *v)
{
    struct stream_id minid;
    return stream_trim_compute(cx, key, 0, v, &minid);
}

res_t
stream_trim(struct ctx *cx, const char *key, long long *removed)
{
    if (removed)
        *removed = 0;
    struct stream_trim_view v;
    struct stream_id minid;
    res_t rc = stream_trim_compute(cx, key, 1, &v, &minid);
    if (rc != RES_OK || !v.has_point)
        return rc;
    const char *keys[1] = {key};
    const char *args[1] = {v.minid};
    redisReply *r;
    if ((rc = rds_eval(cx, &stream_lua_trim, &r, 1, keys, 1, args)) != RES_OK)
        return rc;
    if (removed)
        *removed = rds_int(r);
    return RES_OK;
}

res_t
stream_trim_all(struct ctx *cx, long long *removed)
{
    size_t nrules;
    const struct stream_retention *rules = stream_retention_rules(&nrules);
    long long total = 0, one;
    res_t rc = RES_OK;
    for (size_t i = 0; i < nrules && rc == RES_OK; i++) {
        const char *p = rules[i].pattern;
        size_t pl = strlen(p);
        if (pl == 0 || p[pl - 1] != '*') {
            if ((rc = stream_trim(cx, p, &one)) == RES_OK)
                total += one;
            continue;
        }
        const char *cursor = "0";
        do {
            redisReply *r;
            rc = rds_cmd(cx, &r, "SCAN %s MATCH %s COUNT 1000 TYPE stream",
                         cursor, p);
            if (rc != RES_OK)
                break;
            if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
                r->element[1]->type != REDIS_REPLY_ARRAY) {
                rc = ctx_fail(cx, RES_INTERNAL, "SCAN %s: malformed reply", p);
                break;
            }
            cursor = rds_str(cx, r->element[0]);
            for (size_t k = 0; k < r->element[1]->elements && rc == RES_OK;
                 k++) {
                const char *key = rds_str(cx, r->element[1]->element[k]);
                /* a more specific rule trims it in its own turn */
                if (stream_retention_find(rules, nrules, key) != &rules[i])
                    continue;
                if ((rc = stream_trim(cx, key, &one)) == RES_OK)
                    total += one;
            }
        } while (rc == RES_OK && strcmp(cursor, "0") != 0);
    }
    if (removed)
        *removed = total;
    return rc;
}
