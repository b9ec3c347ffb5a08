/*
 * stream_admin.c: what operators see and do (MESSAGES.md §7), shared by
 * GET/POST /admin/streams* (app/admin/admin_http.c) and the hmdp-admin
 * command (app/admin/hmdp_admin.c): the view of every stream, its groups,
 * consumers, DLQ and trim point; DLQ requeue and drop; removing dead
 * consumers; resetting a group.
 *
 * Input checks (stream names, ids) are here too, so both front ends refuse
 * the same things with the same words (RES_BAD_INPUT described on cx).
 */
#include "stream_admin.h"

#include "../core/cfg.h"
#include "../core/util.h"
#include "../store/keys.h"
#include "../store/rds.h"

#include <dirent.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

long long
stream_spool_backlog(void)
{
    /* the backup producer's spool (app/message/message_spool.c): one
     * file <pid>.spool per producer process in message_spool_dir, one
     * record per line; counted here from the files themselves, so
     * hmdp-admin, which has no message module, sees the same number */
    DIR *d = opendir(g_cfg.message_spool_dir);
    if (d == NULL)
        return 0;
    long long n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l < 7 || strcmp(e->d_name + l - 6, ".spool") != 0)
            continue;
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", g_cfg.message_spool_dir,
                 e->d_name);
        FILE *f = fopen(path, "r");
        if (f == NULL)
            continue;
        int c;
        while ((c = getc(f)) != EOF)
            n += c == '\n';
        fclose(f);
    }
    closedir(d);
    return n;
}

/* Stream names are printable ASCII: whatever is echoed back is valid
 * UTF-8 and a name can never act as a SCAN pattern. */
res_t
stream_admin_check_name(struct ctx *cx, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 200)
        return ctx_fail(cx, RES_BAD_INPUT, "stream 必须是 1-200 个字符");
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f ||
            s[i] == '*' || s[i] == '?' || s[i] == '[')
            return ctx_fail(cx, RES_BAD_INPUT, "stream 含有非法字符");
    if (n >= 4 && strcmp(s + n - 4, KEY_STREAM_DLQ_SUFFIX) == 0)
        return ctx_fail(cx, RES_BAD_INPUT,
                        "stream 应为原始流名（不带 :dlq 后缀）");
    return RES_OK;
}

res_t
stream_admin_check_id(struct ctx *cx, const char *id)
{
    struct stream_id sid;
    if (id == NULL || stream_id_parse(id, &sid) < 0 || strchr(id, '-') == NULL)
        return ctx_fail(cx, RES_BAD_INPUT, "id 格式应为 <ms>-<seq>");
    return RES_OK;
}

/* ------------------------------------------------------------- view */

static void
sa_put(void *o)
{
    json_object_put(o);
}

static struct json_object *
sa_str(const char *s)
{
    return s ? json_object_new_string(s) : NULL;
}

/* Age in ms of the entry id s at now (-1 when not an id). */
static long long
sa_age(const char *s, int64_t now)
{
    struct stream_id id;
    if (s == NULL || stream_id_parse(s, &id) < 0)
        return -1;
    return now - (int64_t)id.ms;
}

res_t
stream_admin_stream(struct ctx *cx, const char *key, struct json_object **out)
{
    *out = NULL;
    int64_t now = util_now_ms();
    struct json_object *o = json_object_new_object();
    /* the caller takes it; until then the arena holds it */
    arena_defer(cx->arena, sa_put, o);
    json_object_object_add(o, "stream", json_object_new_string(key));
    redisReply *r;
    res_t rc;
    if ((rc = rds_cmd(cx, &r, "XLEN %s", key)) != RES_OK)
        return rc;
    json_object_object_add(o, "length", json_object_new_int64(rds_int(r)));
    const char *first = NULL, *last = NULL;
    if ((rc = rds_cmd(cx, &r, "XRANGE %s - + COUNT 1", key)) != RES_OK)
        return rc;
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 1)
        first = rds_str(cx, r->element[0]->element[0]);
    if ((rc = rds_cmd(cx, &r, "XREVRANGE %s + - COUNT 1", key)) != RES_OK)
        return rc;
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 1)
        last = rds_str(cx, r->element[0]->element[0]);
    json_object_object_add(o, "firstId", sa_str(first));
    json_object_object_add(o, "lastId", sa_str(last));

    struct stream_group_info *g;
    size_t ng;
    if ((rc = stream_groups(cx, key, &g, &ng)) != RES_OK)
        return rc;
    struct json_object *ga = json_object_new_array();
    json_object_object_add(o, "groups", ga);
    for (size_t i = 0; i < ng; i++) {
        struct json_object *go = json_object_new_object();
        json_object_array_add(ga, go);
        json_object_object_add(go, "name", json_object_new_string(g[i].name));
        json_object_object_add(go, "pending",
                               json_object_new_int64(g[i].pending));
        json_object_object_add(
            go, "lag", g[i].lag >= 0 ? json_object_new_int64(g[i].lag) : NULL);
        json_object_object_add(go, "lastDeliveredId",
                               sa_str(g[i].last_delivered));
        long long age = sa_age(g[i].pending_min, now);
        json_object_object_add(go, "oldestPendingAgeMs",
                               age >= 0 ? json_object_new_int64(age) : NULL);
        struct stream_consumer_info *c;
        size_t nc;
        if ((rc = stream_consumers(cx, key, g[i].name, &c, &nc)) != RES_OK)
            return rc;
        struct json_object *ca = json_object_new_array();
        json_object_object_add(go, "consumers", ca);
        for (size_t k = 0; k < nc; k++) {
            struct json_object *co = json_object_new_object();
            json_object_array_add(ca, co);
            json_object_object_add(co, "name",
                                   json_object_new_string(c[k].name));
            json_object_object_add(co, "pending",
                                   json_object_new_int64(c[k].pending));
            json_object_object_add(co, "idleMs",
                                   json_object_new_int64(c[k].idle_ms));
        }
    }
    if ((rc = rds_cmd(cx, &r, "XLEN %s", key_stream_dlq(cx->arena, key))) !=
        RES_OK)
        return rc;
    struct json_object *dlq = json_object_new_object();
    json_object_object_add(dlq, "length", json_object_new_int64(rds_int(r)));
    json_object_object_add(o, "dlq", dlq);

    struct stream_trim_view v;
    if ((rc = stream_trim_view(cx, key, &v)) != RES_OK)
        return rc;
    struct json_object *t = json_object_new_object();
    json_object_object_add(o, "retention", t);
    if (v.ret) {
        json_object_object_add(t, "minAgeS",
                               json_object_new_int64(v.ret->age_s));
        json_object_object_add(t, "minEntries",
                               json_object_new_int64(v.ret->count));
        json_object_object_add(t, "priority",
                               json_object_new_int(v.ret->priority));
        json_object_object_add(t, "afterAck",
                               json_object_new_boolean(v.ret->after_ack));
    }
    /* where a trim would cut now, and the group holding it back: a
     * stalled group shows here instead of losing entries */
    json_object_object_add(t, "trimBelowId", sa_str(v.minid));
    json_object_object_add(t, "heldByGroup", sa_str(v.held_by));
    *out = json_object_get(o);
    return RES_OK;
}

/* The per-user message streams in one line: count, total length, the
 * longest. */
static res_t
stream_admin_user_streams(struct ctx *cx, struct json_object *o)
{
    long long count = 0, total = 0, longest = -1;
    const char *longest_key = NULL;
    const char *cursor = "0";
    res_t rc;
    do {
        redisReply *r;
        if ((rc = rds_cmd(cx, &r, "SCAN %s MATCH %s* COUNT 1000 TYPE stream",
                          cursor, KEY_MESSAGE_STREAM_PREFIX)) != RES_OK)
            return rc;
        if (r->type != REDIS_REPLY_ARRAY || r->elements != 2)
            return ctx_fail(cx, RES_INTERNAL, "SCAN: malformed reply");
        cursor = rds_str(cx, r->element[0]);
        redisReply *keys = r->element[1];
        for (size_t i = 0; i < keys->elements; i++) {
            const char *k = rds_str(cx, keys->element[i]);
            redisReply *l;
            if ((rc = rds_cmd(cx, &l, "XLEN %s", k)) != RES_OK)
                return rc;
            count++;
            total += rds_int(l);
            if (rds_int(l) > longest) {
                longest = rds_int(l);
                longest_key = k;
            }
        }
    } while (strcmp(cursor, "0") != 0);
    struct json_object *m = json_object_new_object();
    json_object_object_add(
        m, "pattern", json_object_new_string(KEY_MESSAGE_STREAM_PREFIX "*"));
    json_object_object_add(m, "count", json_object_new_int64(count));
    json_object_object_add(m, "totalLength", json_object_new_int64(total));
    struct json_object *lo = NULL;
    if (longest_key) {
        lo = json_object_new_object();
        json_object_object_add(lo, "stream",
                               json_object_new_string(longest_key));
        json_object_object_add(lo, "length", json_object_new_int64(longest));
    }
    json_object_object_add(m, "longest", lo);
    json_object_object_add(o, "messageStreams", m);
    return RES_OK;
}

/* The streams of the view: stream.orders, stream.chat and every stream
 * with an exact retention rule. */
static size_t
stream_admin_names(const char **names, size_t max)
{
    size_t n = 0, nrules;
    names[n++] = KEY_STREAM_ORDERS;
    names[n++] = "stream.chat";
    const struct stream_retention *rules = stream_retention_rules(&nrules);
    for (size_t i = 0; i < nrules && n < max; i++) {
        const char *p = rules[i].pattern;
        size_t pl = strlen(p), k;
        if (pl == 0 || p[pl - 1] == '*')
            continue;
        for (k = 0; k < n && strcmp(names[k], p) != 0; k++)
            ;
        if (k == n)
            names[n++] = p;
    }
    return n;
}

res_t
stream_admin_view(struct ctx *cx, const char *const *only, size_t nonly,
                  struct json_object **out)
{
    *out = NULL;
    const char *names[64];
    size_t n;
    if (nonly > 0) {
        n = nonly < 64 ? nonly : 64;
        for (size_t i = 0; i < n; i++)
            names[i] = only[i];
    } else {
        n = stream_admin_names(names, 64);
    }
    struct json_object *o = json_object_new_object();
    arena_defer(cx->arena, sa_put, o);
    struct json_object *a = json_object_new_array();
    json_object_object_add(o, "streams", a);
    res_t rc;
    for (size_t i = 0; i < n; i++) {
        struct json_object *s;
        if ((rc = stream_admin_stream(cx, names[i], &s)) != RES_OK)
            return rc;
        json_object_array_add(a, s);
    }
    if (nonly == 0 && (rc = stream_admin_user_streams(cx, o)) != RES_OK)
        return rc;
    /* the chat producer's state: refused (系统繁忙) while chat-sync has
     * chat_high_water entries or more to sync */
    long long unsynced;
    if ((rc = stream_unsynced(cx, KEY_STREAM_CHAT, KEY_CHAT_GROUP,
                              g_cfg.chat_high_water, &unsynced)) != RES_OK)
        return rc;
    struct json_object *sp = json_object_new_object();
    json_object_object_add(sp, "backlog",
                           json_object_new_int64(stream_spool_backlog()));
    json_object_object_add(sp, "chatUnsynced", json_object_new_int64(unsynced));
    json_object_object_add(sp, "chatHighWater",
                           json_object_new_int64(g_cfg.chat_high_water));
    json_object_object_add(
        sp, "chatRefusing",
        json_object_new_boolean(unsynced >= g_cfg.chat_high_water));
    json_object_object_add(o, "spool", sp);
    *out = json_object_get(o);
    return RES_OK;
}

/* -------------------------------------------------------------- DLQ */

/* KEYS: stream, dlq; ARGV: "all" and the last id to take, or ids.
 * Appends each dead letter's own fields (not the dlq-* ones) to the
 * stream as a new entry and deletes it from the DLQ, atomically. "all"
 * moves at most 1000 per call. Returns {requeued, dead letters taken}. */
static const struct rds_script stream_lua_requeue = {
    "stream_dlq_requeue",
    "local list\n"
    "if ARGV[1] == 'all' then\n"
    "  list = redis.call('XRANGE', KEYS[2], '-', ARGV[2], 'COUNT', 1000)\n"
    "else\n"
    "  list = {}\n"
    "  for i = 1, #ARGV do\n"
    "    local e = redis.call('XRANGE', KEYS[2], ARGV[i], ARGV[i])\n"
    "    if #e == 1 then list[#list + 1] = e[1] end\n"
    "  end\n"
    "end\n"
    "local n = 0\n"
    "for _, e in ipairs(list) do\n"
    "  local f = {}\n"
    "  for i = 1, #e[2], 2 do\n"
    "    if string.sub(e[2][i], 1, 4) ~= 'dlq-' then\n"
    "      f[#f + 1] = e[2][i]\n"
    "      f[#f + 1] = e[2][i + 1]\n"
    "    end\n"
    "  end\n"
    "  if #f > 0 then\n"
    "    redis.call('XADD', KEYS[1], '*', unpack(f))\n"
    "    n = n + 1\n"
    "  end\n"
    "  redis.call('XDEL', KEYS[2], e[1])\n"
    "end\n"
    "return {n, #list}\n"};

/* Adds the requeue script's counts to *count (and *taken). */
static res_t
stream_requeued(struct ctx *cx, const redisReply *r, long long *count,
                long long *taken)
{
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2)
        return ctx_fail(cx, RES_INTERNAL, "DLQ requeue: unexpected reply");
    *count += rds_int(r->element[0]);
    if (taken)
        *taken = rds_int(r->element[1]);
    return RES_OK;
}

res_t
stream_dlq_requeue(struct ctx *cx, const char *stream, const char *const *ids,
                   size_t nids, long long *count)
{
    *count = 0;
    const char *keys[2] = {stream, key_stream_dlq(cx->arena, stream)};
    redisReply *r;
    res_t rc;
    if (nids > 0) {
        if ((rc = rds_eval(cx, &stream_lua_requeue, &r, 2, keys, (int)nids,
                           ids)) != RES_OK)
            return rc;
        return stream_requeued(cx, r, count, NULL);
    }
    /* all: the dead letters there are now, up to the newest. Not "until
     * the DLQ is empty": a live consumer may dead-letter a requeued entry
     * again at once, and the loop would never end. */
    if ((rc = rds_cmd(cx, &r, "XREVRANGE %s + - COUNT 1", keys[1])) != RES_OK)
        return rc;
    if (r->type != REDIS_REPLY_ARRAY || r->elements == 0)
        return RES_OK;
    if (r->element[0]->type != REDIS_REPLY_ARRAY ||
        r->element[0]->elements < 1 ||
        r->element[0]->element[0]->type != REDIS_REPLY_STRING)
        return ctx_fail(cx, RES_INTERNAL, "XREVRANGE %s: malformed reply",
                        keys[1]);
    const char *all[2] = {"all", rds_str(cx, r->element[0]->element[0])};
    long long taken;
    do {
        if ((rc = rds_eval(cx, &stream_lua_requeue, &r, 2, keys, 2, all)) !=
                RES_OK ||
            (rc = stream_requeued(cx, r, count, &taken)) != RES_OK)
            return rc;
    } while (taken == 1000);
    return RES_OK;
}

res_t
stream_dlq_drop(struct ctx *cx, const char *stream, const char *const *ids,
                size_t nids, long long *count)
{
    *count = 0;
    const char *dlq = key_stream_dlq(cx->arena, stream);
    redisReply *r;
    res_t rc;
    if (nids == 0) {
        if ((rc = rds_cmd(cx, &r, "XLEN %s", dlq)) != RES_OK)
            return rc;
        *count = rds_int(r);
        return rds_cmd(cx, NULL, "DEL %s", dlq);
    }
    const char **argv = arena_alloc(cx->arena, (nids + 2) * sizeof(*argv));
    argv[0] = "XDEL";
    argv[1] = dlq;
    for (size_t i = 0; i < nids; i++)
        argv[2 + i] = ids[i];
    if ((rc = rds_cmdv(cx, &r, (int)nids + 2, argv, NULL)) != RES_OK)
        return rc;
    *count = rds_int(r);
    return RES_OK;
}

res_t
stream_dlq_list(struct ctx *cx, const char *stream, long count,
                struct stream_entry **out, size_t *n)
{
    redisReply *r;
    res_t rc = rds_cmd(cx, &r, "XRANGE %s - + COUNT %ld",
                       key_stream_dlq(cx->arena, stream), count);
    if (rc != RES_OK)
        return rc;
    if (stream_parse_entries(cx->arena, r, out, n) < 0)
        return ctx_fail(cx, RES_INTERNAL, "XRANGE dlq: malformed reply");
    return RES_OK;
}

/* -------------------------------------------------- consumers, groups */

res_t
stream_admin_remove_dead(struct ctx *cx, const char *stream, long min_idle,
                         long long *removed)
{
    *removed = 0;
    struct stream_group_info *g;
    size_t ng;
    res_t rc = stream_groups(cx, stream, &g, &ng);
    for (size_t i = 0; rc == RES_OK && i < ng; i++) {
        struct stream_consumer_info *c;
        size_t nc;
        if ((rc = stream_consumers(cx, stream, g[i].name, &c, &nc)) != RES_OK)
            break;
        for (size_t k = 0; k < nc && rc == RES_OK; k++) {
            int gone = 0;
            if (c[k].pending == 0 && c[k].idle_ms >= min_idle &&
                (rc = stream_consumer_remove_idle(cx, stream, g[i].name,
                                                  c[k].name, min_idle,
                                                  &gone)) == RES_OK)
                *removed += gone;
        }
    }
    return rc;
}

res_t
stream_admin_group_reset(struct ctx *cx, const char *stream, const char *group,
                         const char *id)
{
    if (strcmp(id, "$") != 0 && strcmp(id, "0") != 0 &&
        stream_admin_check_id(cx, id) != RES_OK)
        return cx->rc;
    struct stream_group_info *g;
    size_t ng;
    res_t rc = stream_groups(cx, stream, &g, &ng);
    if (rc != RES_OK)
        return rc;
    size_t i = 0;
    while (i < ng && strcmp(g[i].name, group) != 0)
        i++;
    if (i == ng)
        return ctx_fail(cx, RES_NOT_FOUND, "stream %s 没有消费组 %s", stream,
                        group);
    return rds_cmd(cx, NULL, "XGROUP SETID %s %s %s", stream, group, id);
}
