/*
 * message_data.c: the message module's Redis and SQL.
 *
 * The producer is one script (message_lua_add), so a message is appended
 * whole or not at all: the dedup record message:mid:{mid}, the entry in
 * message.stream:{to}, the doorbell in message.wake and the entry in the
 * internal stream (stream.notify or stream.chat) are written together. A
 * replay of a message id answers the entry it was appended as and adds
 * nothing: that is what makes a spool drained twice harmless.
 *
 * Chat checks run in the same script and in this order: recipient known,
 * rate, backpressure. "Known" is a Redis flag filled from MySQL on a miss
 * (once a day per recipient), so the request path touches MySQL only the
 * first time someone writes to a user, or while Redis is down (the spool
 * path cannot ask Redis).
 *
 * Backpressure counts what chat-sync has not synced: its pending entries
 * plus its lag (XINFO GROUPS); without the group yet, the whole stream.
 *
 * The doorbell (message.wake, field u: the recipient) also carries short
 * entries whole, with the id of the entry before them in the user stream
 * (MESSAGE_WAKE_CARRY): the gateway's round trip to read the user stream
 * is then saved for every client that is up to date.
 *
 * Retention: no XADD MAXLEN (Redis 7.0 would drop entries a group has not
 * acknowledged), except on the doorbell, which has no group. The retention
 * rules of conf/hmdp.conf apply through the stream library's safe trim
 * (stream_trim): every MESSAGE_TRIM_EVERY-th append here trims the user
 * stream it went to, and the consumers' periodic pass trims the rest.
 */
#include "message_private.h"

#include "../core/cfg.h"
#include "../core/log.h"
#include "../core/str.h"
#include "../core/util.h"
#include "../store/keys.h"
#include "../store/rds.h"
#include "../store/sql.h"
#include "../stream/stream.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MESSAGE_WAKE_MAXLEN "100000" /* fixed by messages-design.md */
/* A doorbell carries its entry (fields i: the entry id, p: the id of the
 * user stream's entry before it, '0-0' for none, m, and f: the entry's u)
 * when m and u together have at most this many bytes: the SSE gateway
 * then delivers it to the clients whose cursor is p without reading the
 * user stream (app/sse/relay.c). Longer ones (long chat messages) ring
 * with u alone, and the gateway reads the stream. */
#define MESSAGE_WAKE_CARRY "1024"
/* A producer trims the user stream it appended to every this many
 * appends (the consumers' periodic pass trims the idle ones). */
#define MESSAGE_TRIM_EVERY 64

/* KEYS: message.stream:{to}, message.wake, message:mid:{mid}, the internal
 * stream, the chat rate key, the user-known key, the once key, the
 * sender's userdto key, the guard ZSET (a key a message does not use is
 * passed as the mid key, never touched).
 * ARGV: mid, m, u ('' = none, or from the userdto key when need-u), to,
 * kind ('c' chat / 'n' notice), checks ('1'/'0'), rate limit, high water,
 * chat group, conv, mid ttl, once ttl, need-u ('1'/'0'), wake maxlen,
 * once ('1'/'0'), guard member ('' = no guard), guard score.
 * Returns {status, entry id}: see enum message_add. Every refusal comes
 * before the first write, so a refused message leaves nothing behind. */
static const struct rds_script message_lua_add = {
    "message_add", STREAM_LUA_UNSYNCED
    "if ARGV[16] ~= '' then\n"
    "  local s = redis.call('ZSCORE', KEYS[9], ARGV[16])\n"
    "  if not s or tonumber(s) ~= tonumber(ARGV[17]) then\n"
    "    return {7, ''}\n"
    "  end\n"
    "end\n"
    "local e = redis.call('GET', KEYS[3])\n"
    "if e then return {1, e} end\n"
    "local u = ARGV[3]\n"
    "if u == '' and ARGV[13] == '1' then\n"
    "  u = redis.call('GET', KEYS[8])\n"
    "  if not u then return {6, ''} end\n"
    "end\n"
    "local chat = ARGV[5] == 'c'\n"
    "if chat and ARGV[6] == '1' then\n"
    "  if redis.call('EXISTS', KEYS[6]) == 0 then return {4, ''} end\n"
    "  if unsynced(KEYS[4], ARGV[9], tonumber(ARGV[8])) >= tonumber(ARGV[8])"
    " then\n"
    "    return {3, ''}\n"
    "  end\n"
    "  local n = redis.call('INCR', KEYS[5])\n"
    "  if n == 1 then redis.call('EXPIRE', KEYS[5], 2) end\n"
    "  if n > tonumber(ARGV[7]) then return {2, ''} end\n"
    "end\n"
    "if ARGV[15] == '1' and"
    " not redis.call('SET', KEYS[7], '1', 'NX', 'EX', ARGV[12]) then\n"
    "  return {5, ''}\n"
    "end\n"
    "local f = {'mid', ARGV[1], 'm', ARGV[2]}\n"
    "if u ~= '' then f[5] = 'u'; f[6] = u end\n"
    "local prev = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)\n"
    "local id = redis.call('XADD', KEYS[1], '*', unpack(f))\n"
    "local w = {'u', ARGV[4]}\n"
    "if #ARGV[2] + #u <= " MESSAGE_WAKE_CARRY " then\n"
    "  w = {'u', ARGV[4], 'i', id, 'p', prev[1] and prev[1][1] or '0-0',"
    " 'm', ARGV[2]}\n"
    "  if u ~= '' then w[9] = 'f'; w[10] = u end\n"
    "end\n"
    "redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[14], '*', unpack(w))\n"
    "if chat then\n"
    "  local d = cjson.decode(ARGV[2])\n"
    "  redis.call('XADD', KEYS[4], '*', 'mid', ARGV[1], 'c', ARGV[10], 'f',"
    " string.format('%d', d['from']), 't', string.format('%d', d['to']),"
    " 'x', d['content'], 'tm', d['time'])\n"
    "else\n"
    "  redis.call('XADD', KEYS[4], '*', 'mid', ARGV[1], 'e', id, 'to',"
    " ARGV[4], 'm', ARGV[2], 'u', u)\n"
    "end\n"
    "redis.call('SET', KEYS[3], id, 'EX', ARGV[11])\n"
    "return {0, id}\n"};

/* The sender's u text from MySQL (a user that no longer exists gets
 * empty name and icon), cached in userdto:{id} for TTL_USERDTO. */
static res_t
message_sender_load(struct ctx *cx, int64_t id, const char **u)
{
    struct sql_rows t;
    res_t rc = sql_query(cx, &t,
                         "SELECT id, nick_name, icon FROM tb_user WHERE id = ?",
                         "l", id);
    if (rc != RES_OK)
        return rc;
    *u = message_u_json(cx->arena, id, t.nrows ? sql_str(&t, 0, 1) : "",
                        t.nrows ? sql_str(&t, 0, 2) : "");
    struct ctx_mark mk = ctx_mark(cx);
    if (rds_cmd(cx, NULL, "SET %s %s EX %d", key_userdto(cx->arena, id), *u,
                TTL_USERDTO) != RES_OK)
        ctx_drop(cx, mk, "userdto cache fill");
    return RES_OK;
}

/* The KEYS and ARGV of message_lua_add for mo (arrays of MESSAGE_ADD_KEYS
 * and MESSAGE_ADD_ARGS, arena strings). */
#define MESSAGE_ADD_KEYS 9
#define MESSAGE_ADD_ARGS 17
static void
message_add_argv(struct ctx *cx, const struct message_out *mo, int checks,
                 const char **keys, const char **args)
{
    struct arena *a = cx->arena;
    const char *mid_key = key_message_mid(a, mo->mid);
    int need_u = mo->u == NULL && mo->from > 0;
    keys[0] = key_message_stream(a, mo->to);
    keys[1] = KEY_MESSAGE_WAKE;
    keys[2] = mid_key;
    keys[3] = mo->chat ? KEY_STREAM_CHAT : KEY_STREAM_NOTIFY;
    keys[4] = mo->chat ? key_message_chat_rate(a, mo->from, (long)time(NULL))
                       : mid_key;
    keys[5] = mo->chat ? key_message_user(a, mo->to) : mid_key;
    keys[6] = mo->once ? mo->once : mid_key;
    keys[7] = need_u ? key_userdto(a, mo->from) : mid_key;
    keys[8] = mo->guard_key ? mo->guard_key : mid_key;
    args[0] = mo->mid;
    args[1] = mo->m;
    args[2] = mo->u ? mo->u : "";
    args[3] = arena_printf(a, "%lld", (long long)mo->to);
    args[4] = mo->chat ? "c" : "n";
    args[5] = checks ? "1" : "0";
    args[6] = arena_printf(a, "%d", g_cfg.chat_rate);
    args[7] = arena_printf(a, "%ld", g_cfg.chat_high_water);
    args[8] = KEY_CHAT_GROUP;
    args[9] = mo->conv ? mo->conv : "";
    args[10] = arena_printf(a, "%d", TTL_MESSAGE_MID);
    args[11] = arena_printf(a, "%d", TTL_MESSAGE_LIKE);
    args[12] = need_u ? "1" : "0";
    args[13] = MESSAGE_WAKE_MAXLEN;
    args[14] = mo->once ? "1" : "0";
    args[15] = mo->guard_key && mo->guard_member ? mo->guard_member : "";
    args[16] = mo->guard_score ? mo->guard_score : "";
}

/* The status of a message_lua_add reply r (and its entry id in *eid). */
static res_t
message_add_status(struct ctx *cx, const struct message_out *mo,
                   const redisReply *r, long long *st, const char **eid)
{
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
        r->element[0]->type != REDIS_REPLY_INTEGER)
        return ctx_fail(cx, RES_INTERNAL, "message_add: unexpected reply");
    *st = r->element[0]->integer;
    if (*st < MESSAGE_ADDED || *st > MESSAGE_GUARDED)
        return ctx_fail(cx, RES_INTERNAL, "message_add: status %lld", *st);
    if (eid)
        *eid = rds_str(cx, r->element[1]);
    static unsigned appends;
    if (*st == MESSAGE_ADDED && ++appends % MESSAGE_TRIM_EVERY == 0) {
        /* the message is in: a failed trim must not fail it */
        struct ctx_mark mk = ctx_mark(cx);
        if (stream_trim(cx, key_message_stream(cx->arena, mo->to), NULL) !=
            RES_OK)
            ctx_drop(cx, mk, "message stream trim");
    }
    return RES_OK;
}

res_t
message_append(struct ctx *cx, const struct message_out *mo, int checks,
               enum message_add *res, const char **eid)
{
    const char *keys[MESSAGE_ADD_KEYS], *args[MESSAGE_ADD_ARGS];
    message_add_argv(cx, mo, checks, keys, args);
    redisReply *r;
    long long st = -1;
    for (int round = 0; round < 2; round++) {
        res_t rc = rds_eval(cx, &message_lua_add, &r, MESSAGE_ADD_KEYS, keys,
                            MESSAGE_ADD_ARGS, args);
        if (rc != RES_OK)
            return rc;
        if ((rc = message_add_status(cx, mo, r, &st, eid)) != RES_OK)
            return rc;
        if (st != MESSAGE_NEED_SENDER || round > 0)
            break;
        /* the sender's {id,nickName,icon} is not cached: MySQL, once */
        if ((rc = message_sender_load(cx, mo->from, &args[2])) != RES_OK)
            return rc;
        args[12] = "0";
    }
    *res = (enum message_add)st;
    return RES_OK;
}

res_t
message_user_mark(struct ctx *cx, int64_t id)
{
    return rds_cmd(cx, NULL, "SET %s 1 EX %d", key_message_user(cx->arena, id),
                   TTL_MESSAGE_USER);
}

void
message_new_id(char out[MESSAGE_ID_LEN + 1])
{
    static struct message_idgen gen;
    message_id_next(&gen, (long long)util_now_ms(), (long)getpid(), out);
}

res_t
message_send_notice(struct ctx *cx, const struct message_out *mo, int *spooled)
{
    struct ctx_mark mk = ctx_mark(cx);
    enum message_add res;
    *spooled = 0;
    /* older spooled messages first, if any; their failure is this one's */
    if (message_spool_drain(cx) == RES_OK &&
        message_append(cx, mo, 0, &res, NULL) == RES_OK)
        return RES_OK;
    /* Redis did not take it (down, timeout, error reply): the spool
     * keeps it until Redis does */
    ctx_drop(cx, mk, "message append (spooled instead)");
    res_t rc = message_spool_put(cx, mo);
    if (rc == RES_OK)
        *spooled = 1;
    return rc;
}

/* ---------------- notifications ---------------- */

/* The notice from -> to (0 when there is none: message_notify off,
 * oneself, a system sender), as *mo with a new id. */
static int
message_notice_out(struct ctx *cx, int64_t from, int64_t to, const char *type,
                   const char *content, int64_t ref, const char *once,
                   struct message_out *mo)
{
    if (!g_cfg.message_notify || from == to || to <= 0 || from <= 0)
        return 0;
    char *mid = arena_alloc(cx->arena, MESSAGE_ID_LEN + 2), tbuf[20];
    mid[0] = 'n'; /* notices and chat never share an id */
    message_new_id(mid + 1);
    message_time((long long)time(NULL), tbuf);
    struct message m = {from, to, type, content, ref, NULL, tbuf};
    /* u comes from the userdto cache in the script (MySQL on a miss) */
    *mo = (struct message_out){.to = to,
                               .from = from,
                               .mid = mid,
                               .m = message_m_json(cx->arena, &m),
                               .once = once};
    return 1;
}

static res_t
message_notice(struct ctx *cx, int64_t from, int64_t to, const char *type,
               const char *content, int64_t ref, const char *once)
{
    struct message_out mo;
    if (!message_notice_out(cx, from, to, type, content, ref, once, &mo))
        return RES_OK;
    int spooled;
    return message_send_notice(cx, &mo, &spooled);
}

/* A like notice in the toggle's round trip (event_pipe_append): */
struct message_like {
    struct message_out mo;
    struct rds_eval_q q;
};

res_t
message_like_append(struct ctx *cx, const struct event *ev, void **state)
{
    int64_t liker = ev->u.blog_liked.liker, blog = ev->u.blog_liked.blog_id;
    struct message_like *l = arena_calloc(cx->arena, sizeof(*l));
    *state = NULL;
    if (!message_notice_out(
            cx, liker, ev->u.blog_liked.author, "like", "点赞了你的博客", blog,
            key_message_like_once(cx->arena, liker, blog), &l->mo))
        return RES_OK;
    /* the liker's u as their session has it (as chat does): no userdto
     * look-up, and no MySQL when it is not cached */
    if (ev->u.blog_liked.liker_nick)
        l->mo.u = message_u_json(cx->arena, liker, ev->u.blog_liked.liker_nick,
                                 ev->u.blog_liked.liker_icon);
    /* appended only if the toggle just added the like: liker is in the
     * set with the toggle's score (an unlike removed it; a busy toggle
     * wrote nothing) */
    l->mo.guard_key = key_blog_liked(cx->arena, blog);
    l->mo.guard_member = arena_printf(cx->arena, "%lld", (long long)liker);
    l->mo.guard_score =
        arena_printf(cx->arena, "%lld", (long long)ev->u.blog_liked.liked_ms);
    const char *keys[MESSAGE_ADD_KEYS], *args[MESSAGE_ADD_ARGS];
    message_add_argv(cx, &l->mo, 0, keys, args);
    /* older spooled messages are left to the next synchronous notice and
     * the periodic drainer: this one rides in a pipeline */
    *state = l;
    return rds_eval_append(cx, &l->q, &message_lua_add, MESSAGE_ADD_KEYS, keys,
                           MESSAGE_ADD_ARGS, args);
}

res_t
message_like_collect(struct ctx *cx, const struct event *ev, void *state,
                     int happened)
{
    (void)ev;
    struct message_like *l = state;
    if (l == NULL)
        return RES_OK;
    redisReply *r;
    long long st = -1;
    struct ctx_mark mk = ctx_mark(cx);
    res_t rc = rds_eval_reply(cx, &l->q, &r);
    if (rc == RES_OK)
        rc = message_add_status(cx, &l->mo, r, &st, NULL);
    if (rc != RES_OK) {
        if (happened != 1)
            return rc; /* no like to announce, or none known: logged */
        /* the like stands and Redis did not take its notice: the spool
         * keeps it (without the guard: its like is known to stand) */
        ctx_drop(cx, mk, "like notice (spooled instead)");
        l->mo.guard_key = l->mo.guard_member = l->mo.guard_score = NULL;
        return message_spool_put(cx, &l->mo);
    }
    if (st != MESSAGE_NEED_SENDER)
        return RES_OK; /* added, or once already, or no like (guarded) */
    /* the sender's u is not cached (no session values): MySQL, then the
     * synchronous path (guarded still: nothing was written) */
    if ((rc = message_sender_load(cx, l->mo.from, &l->mo.u)) != RES_OK)
        return rc;
    int spooled;
    return message_send_notice(cx, &l->mo, &spooled);
}

res_t
message_on_comment_posted(struct ctx *cx, const struct event *ev)
{
    const char *text = ev->u.comment_posted.content;
    return message_notice(cx, ev->u.comment_posted.commenter,
                          ev->u.comment_posted.author, "comment",
                          message_comment_content(cx->arena, text ? text : ""),
                          ev->u.comment_posted.blog_id, NULL);
}

res_t
message_on_user_followed(struct ctx *cx, const struct event *ev)
{
    int64_t follower = ev->u.user_followed.follower;
    return message_notice(cx, follower, ev->u.user_followed.followee, "follow",
                          "关注了你", follower, NULL);
}

res_t
message_notify_order(struct ctx *cx, int64_t buyer, int64_t order_id)
{
    char tbuf[20];
    message_time((long long)time(NULL), tbuf);
    const char *ref = arena_printf(cx->arena, "%lld", (long long)order_id);
    struct message m = {0, buyer, "order", "抢购成功，订单已创建",
                        0, ref,   tbuf};
    /* one notice per order, whoever delivers the order entry again: the
     * order id is the message id */
    struct message_out mo = {.to = buyer,
                             .mid = arena_printf(cx->arena, "o%s", ref),
                             .m = message_m_json(cx->arena, &m)};
    int spooled;
    return message_send_notice(cx, &mo, &spooled);
}

/* ---------------- persistence (consumer batches) ---------------- */

/* Rows per statement: a few fixed sizes, so a connection prepares at
 * most these few texts whatever the batch sizes. */
static const unsigned message_chunks[] = {500, 100, 20, 5, 1};

static unsigned
message_chunk(size_t left)
{
    for (size_t i = 0; i < sizeof(message_chunks) / sizeof(*message_chunks);
         i++)
        if (left >= message_chunks[i])
            return message_chunks[i];
    return 1;
}

/* A row of VALUES (?, ...) n times, as an arena string. */
static char *
message_values(struct ctx *cx, unsigned rows, unsigned cols)
{
    size_t one = 2 + 2 * cols;
    char *s = arena_alloc(cx->arena, rows * (one + 1) + 1), *p = s;
    for (unsigned r = 0; r < rows; r++) {
        if (r)
            *p++ = ',';
        *p++ = '(';
        for (unsigned c = 0; c < cols; c++) {
            if (c)
                *p++ = ',';
            *p++ = '?';
        }
        *p++ = ')';
    }
    *p = '\0';
    return s;
}

/* The fields of m this module reads back. */
struct message_m {
    int64_t from, to;
    const char *type, *content, *time;
};

static void
message_json_put(void *p)
{
    json_object_put(p);
}

static int
message_m_parse(struct ctx *cx, const char *text, struct message_m *out)
{
    struct json_object *o = json_tokener_parse(text);
    if (o == NULL)
        return -1;
    arena_defer(cx->arena, message_json_put, o);
    struct json_object *f, *t, *ty, *c, *tm;
    if (!json_object_is_type(o, json_type_object) ||
        !json_object_object_get_ex(o, "from", &f) ||
        !json_object_object_get_ex(o, "to", &t) ||
        !json_object_object_get_ex(o, "type", &ty) ||
        !json_object_object_get_ex(o, "content", &c) ||
        !json_object_object_get_ex(o, "time", &tm) ||
        !json_object_is_type(f, json_type_int) ||
        !json_object_is_type(t, json_type_int) ||
        !json_object_is_type(ty, json_type_string) ||
        !json_object_is_type(c, json_type_string) ||
        !json_object_is_type(tm, json_type_string))
        return -1;
    out->from = json_object_get_int64(f);
    out->to = json_object_get_int64(t);
    out->type = json_object_get_string(ty);
    out->content = json_object_get_string(c);
    out->time = json_object_get_string(tm);
    return 0;
}

/* The chat fields of a stream.chat entry: f, t (ids), x (content as
 * stored), tm (time); written by the producer script from m, so that
 * chat-sync and the conversation read need no JSON parser. 0 or -1. */
static int
message_chat_fields(const struct stream_entry *e, struct message_m *out)
{
    const char *f = stream_entry_get(e, "f"), *t = stream_entry_get(e, "t");
    out->content = stream_entry_get(e, "x");
    out->time = stream_entry_get(e, "tm");
    out->type = "chat";
    if (!f || !t || !out->content || !out->time ||
        str_parse_i64(f, &out->from) < 0 || str_parse_i64(t, &out->to) < 0 ||
        out->from <= 0 || out->to <= 0)
        return -1;
    return 0;
}

/* Writes rows rows of cols parameters each (p, row-major) with head
 * ("INSERT IGNORE INTO t (...) VALUES ") in multi-row statements of at
 * most message_chunk() rows, all in one transaction. rows = 0 writes
 * nothing. An INSERT IGNORE cannot conflict: one that does is a bug
 * (RES_INTERNAL, described). */
static res_t
message_insert_rows(struct ctx *cx, const char *head, const struct sql_param *p,
                    size_t rows, unsigned cols)
{
    if (rows == 0)
        return RES_OK;
    res_t rc;
    if ((rc = sql_begin(cx)) != RES_OK)
        return rc;
    for (size_t done = 0; done < rows;) {
        unsigned k = message_chunk(rows - done);
        const char *sql =
            arena_printf(cx->arena, "%s%s", head, message_values(cx, k, cols));
        rc = sql_execv(cx, NULL, sql, p + done * cols, k * cols);
        if (rc != RES_OK)
            goto rollback;
        done += k;
    }
    return sql_commit(cx);

rollback:
    sql_rollback(cx);
    if (rc == RES_CONFLICT)
        return ctx_fail(cx, RES_INTERNAL, "%s: unexpected conflict", head);
    return rc;
}

#define MESSAGE_PERSIST_COLS 9

res_t
message_persist_batch(struct ctx *cx, const struct stream_entry *e, size_t n,
                      unsigned char *bad)
{
    struct sql_param *p = arena_calloc(
        cx->arena, (n ? n : 1) * MESSAGE_PERSIST_COLS * sizeof(*p));
    size_t rows = 0;
    for (size_t i = 0; i < n; i++) {
        const char *mid = stream_entry_get(&e[i], "mid");
        const char *eid = stream_entry_get(&e[i], "e");
        const char *m = stream_entry_get(&e[i], "m");
        const char *u = stream_entry_get(&e[i], "u");
        unsigned long long ms, seq;
        struct message_m mm;
        if (!mid || !eid || !m || !u || strlen(mid) > 40 ||
            message_entry_id_parse(eid, &ms, &seq) < 0 ||
            message_m_parse(cx, m, &mm) < 0) {
            bad[i] = 1;
            continue;
        }
        struct sql_param *q = p + rows * MESSAGE_PERSIST_COLS;
        q[0] = (struct sql_param){'s', 0, 0, mid};
        q[1] = (struct sql_param){'l', mm.to, 0, NULL};
        q[2] = (struct sql_param){'l', mm.from, 0, NULL};
        q[3] = (struct sql_param){'s', 0, 0, mm.type};
        q[4] = (struct sql_param){'l', (int64_t)ms, 0, NULL};
        q[5] = (struct sql_param){'l', (int64_t)seq, 0, NULL};
        q[6] = (struct sql_param){'s', 0, 0, m};
        q[7] = (struct sql_param){'s', 0, 0, u[0] ? u : NULL};
        q[8] = (struct sql_param){'s', 0, 0, mm.time};
        rows++;
    }
    return message_insert_rows(cx,
                               "INSERT IGNORE INTO tb_message (mid, to_user, "
                               "from_user, type, sid_ms, sid_seq, m, u, "
                               "create_time) VALUES ",
                               p, rows, MESSAGE_PERSIST_COLS);
}

#define MESSAGE_CHAT_COLS 7

res_t
message_chat_sync_batch(struct ctx *cx, const struct stream_entry *e, size_t n,
                        unsigned char *bad)
{
    struct sql_param *p =
        arena_calloc(cx->arena, (n ? n : 1) * MESSAGE_CHAT_COLS * sizeof(*p));
    size_t rows = 0;
    for (size_t i = 0; i < n; i++) {
        struct message_m mm;
        const char *mid = stream_entry_get(&e[i], "mid");
        if (!message_id_valid(mid) || message_chat_fields(&e[i], &mm) < 0) {
            bad[i] = 1;
            continue;
        }
        struct sql_param *q = p + rows * MESSAGE_CHAT_COLS;
        q[0] = (struct sql_param){'s', 0, 0, mid};
        q[1] = (struct sql_param){'l', mm.from, 0, NULL};
        q[2] = (struct sql_param){'l', mm.to, 0, NULL};
        q[3] =
            (struct sql_param){'l', mm.from < mm.to ? mm.from : mm.to, 0, NULL};
        q[4] =
            (struct sql_param){'l', mm.from < mm.to ? mm.to : mm.from, 0, NULL};
        q[5] = (struct sql_param){'s', 0, 0, mm.content};
        q[6] = (struct sql_param){'s', 0, 0, mm.time};
        rows++;
    }
    return message_insert_rows(cx,
                               "INSERT IGNORE INTO tb_chat_message (id, "
                               "from_user, to_user, conv_lo, conv_hi, "
                               "content, create_time) VALUES ",
                               p, rows, MESSAGE_CHAT_COLS);
}

/* ---------------- reading notifications ---------------- */

res_t
message_list(struct ctx *cx, int64_t me, unsigned long long before_ms,
             unsigned long long before_seq, int64_t size, struct sql_rows *t)
{
    return sql_query(cx, t,
                     "SELECT sid_ms, sid_seq, m, u, is_read FROM tb_message "
                     "WHERE to_user = ? AND (sid_ms < ? OR (sid_ms = ? AND "
                     "sid_seq < ?)) ORDER BY sid_ms DESC, sid_seq DESC LIMIT ?",
                     "lllll", me, (int64_t)before_ms, (int64_t)before_ms,
                     (int64_t)before_seq, size);
}

res_t
message_unread(struct ctx *cx, int64_t me, int64_t *n)
{
    struct sql_rows t;
    res_t rc = sql_query(cx, &t,
                         "SELECT COUNT(*) FROM tb_message WHERE to_user = ? "
                         "AND is_read = 0",
                         "l", me);
    if (rc != RES_OK)
        return rc;
    *n = t.nrows ? sql_i64(&t, 0, 0) : 0;
    return RES_OK;
}

res_t
message_mark_read(struct ctx *cx, int64_t me, unsigned long long up_ms,
                  unsigned long long up_seq, uint64_t *n)
{
    return sql_exec(cx, n,
                    "UPDATE tb_message SET is_read = 1 WHERE to_user = ? AND "
                    "is_read = 0 AND (sid_ms < ? OR (sid_ms = ? AND sid_seq "
                    "<= ?))",
                    "llll", me, (int64_t)up_ms, (int64_t)up_ms,
                    (int64_t)up_seq);
}

/* ---------------- reading a conversation ---------------- */

/* KEYS: stream.chat; ARGV: group, conv, before ('' = none), scan cap.
 * The entries of conv (chat id < before) that chat-sync may not have
 * written yet: everything from its oldest pending entry, or after its
 * last delivered one, to the end; the whole stream without the group.
 * Scans newest first, at most cap entries. Returns {mid, m, ...}. */
static const struct rds_script message_lua_tail = {
    "message_chat_tail",
    "local start = '-'\n"
    "local gs = redis.pcall('XINFO', 'GROUPS', KEYS[1])\n"
    "if type(gs) == 'table' and not gs.err then\n"
    "  for _, g in ipairs(gs) do\n"
    "    local h = {}\n"
    "    for i = 1, #g, 2 do h[g[i]] = g[i + 1] end\n"
    "    if h['name'] == ARGV[1] then\n"
    "      if h['pending'] > 0 then\n"
    "        start = redis.call('XPENDING', KEYS[1], ARGV[1])[2]\n"
    "      else\n"
    "        start = '(' .. h['last-delivered-id']\n"
    "      end\n"
    "    end\n"
    "  end\n"
    "end\n"
    "local out, last, seen, cap = {}, '+', 0, tonumber(ARGV[4])\n"
    "while seen < cap do\n"
    "  local es = redis.call('XREVRANGE', KEYS[1], last, start, 'COUNT', 256)\n"
    "  if #es == 0 then break end\n"
    "  for _, e in ipairs(es) do\n"
    "    local f = e[2]\n"
    "    local mid, c\n"
    "    for i = 1, #f, 2 do\n"
    "      if f[i] == 'mid' then mid = f[i + 1]\n"
    "      elseif f[i] == 'c' then c = f[i + 1] end\n"
    "    end\n"
    "    if c == ARGV[2] and mid and (ARGV[3] == '' or mid < ARGV[3]) then\n"
    "      out[#out + 1] = f\n"
    "    end\n"
    "  end\n"
    "  seen = seen + #es\n"
    "  if #es < 256 then break end\n"
    "  last = '(' .. es[#es][1]\n"
    "end\n"
    "return out\n"};

static int
message_chat_cmp(const void *a, const void *b)
{
    const struct message_chat *x = a, *y = b;
    return -strcmp(x->id, y->id); /* newest (largest id) first */
}

res_t
message_chat_read(struct ctx *cx, int64_t me, int64_t other, const char *before,
                  int64_t size, struct message_chat **out, size_t *n)
{
    int64_t lo = me < other ? me : other, hi = me < other ? other : me;
    const char *conv =
        arena_printf(cx->arena, "%lld:%lld", (long long)lo, (long long)hi);
    /* the tail's start point first, then MySQL: whatever chat-sync acked
     * before the start point was read is committed, so in the query */
    const char *keys[1] = {KEY_STREAM_CHAT};
    const char *args[4] = {
        KEY_CHAT_GROUP, conv, before ? before : "",
        arena_printf(cx->arena, "%ld", g_cfg.chat_high_water + 1000)};
    redisReply *r;
    res_t rc = rds_eval(cx, &message_lua_tail, &r, 1, keys, 4, args);
    if (rc != RES_OK)
        return rc;
    if (r->type != REDIS_REPLY_ARRAY)
        return ctx_fail(cx, RES_INTERNAL, "chat tail: unexpected reply");
    struct sql_rows t;
    rc = sql_query(cx, &t,
                   "SELECT id, from_user, to_user, content, "
                   "DATE_FORMAT(create_time, '%Y-%m-%dT%H:%i:%s') FROM "
                   "tb_chat_message WHERE conv_lo = ? AND conv_hi = ? AND id "
                   "< ? ORDER BY id DESC LIMIT ?",
                   "llsl", lo, hi,
                   before ? before : "9999999999999999999999999", size);
    if (rc != RES_OK)
        return rc;
    size_t cap = t.nrows + r->elements;
    struct message_chat *c =
        arena_calloc(cx->arena, (cap ? cap : 1) * sizeof(*c));
    size_t k = 0;
    for (unsigned i = 0; i < t.nrows; i++, k++) {
        c[k].id = sql_str(&t, i, 0);
        c[k].from = sql_i64(&t, i, 1);
        c[k].to = sql_i64(&t, i, 2);
        c[k].content = sql_str(&t, i, 3);
        c[k].time = sql_str(&t, i, 4);
    }
    for (size_t i = 0; i < r->elements; i++) {
        /* each match is the entry's field list, as chat-sync reads it */
        const redisReply *f = r->element[i];
        if (f->type != REDIS_REPLY_ARRAY || f->elements % 2)
            continue;
        struct stream_entry e = {"", f->elements / 2, NULL, NULL};
        e.fields = arena_alloc(cx->arena, (e.nfields + 1) * sizeof(char *));
        e.values = arena_alloc(cx->arena, (e.nfields + 1) * sizeof(char *));
        for (size_t j = 0; j < e.nfields; j++) {
            e.fields[j] = rds_str(cx, f->element[2 * j]);
            e.values[j] = rds_str(cx, f->element[2 * j + 1]);
        }
        struct message_m mm;
        const char *mid = stream_entry_get(&e, "mid");
        if (!message_id_valid(mid) || message_chat_fields(&e, &mm) < 0)
            continue;
        c[k].id = mid;
        c[k].from = mm.from;
        c[k].to = mm.to;
        c[k].content = mm.content;
        c[k].time = mm.time;
        k++;
    }
    qsort(c, k, sizeof(*c), message_chat_cmp);
    size_t w = 0;
    for (size_t i = 0; i < k && (int64_t)w < size; i++)
        if (w == 0 || strcmp(c[w - 1].id, c[i].id) != 0)
            c[w++] = c[i];
    *out = c;
    *n = w;
    return RES_OK;
}

/* ---------------- order notices (group push) ---------------- */

res_t
message_orders_exist(struct ctx *cx, const int64_t *ids, size_t n,
                     unsigned char *found)
{
    memset(found, 0, n);
    if (n == 0)
        return RES_OK;
    struct sql_param *p = arena_calloc(cx->arena, n * sizeof(*p));
    for (size_t i = 0; i < n; i++)
        p[i] = (struct sql_param){'l', ids[i], 0, NULL};
    const char *sql = arena_printf(
        cx->arena, "SELECT id FROM tb_voucher_order WHERE id IN (%s)",
        sql_placeholders(cx, (unsigned)n));
    struct sql_rows t;
    res_t rc = sql_queryv(cx, &t, sql, p, (unsigned)n);
    if (rc != RES_OK)
        return rc;
    for (unsigned r = 0; r < t.nrows; r++) {
        int64_t id = sql_i64(&t, r, 0);
        for (size_t i = 0; i < n; i++)
            if (ids[i] == id)
                found[i] = 1;
    }
    return RES_OK;
}

/* KEYS: stream.orders; ARGV: the order writer's group, entry ids. For
 * each id 1 when that group is done with it (delivered and acknowledged,
 * which it does after its COMMIT, or moved to the DLQ), else 0. */
static const struct rds_script message_lua_orders_done = {
    "message_orders_done",
    "local last = nil\n"
    "local gs = redis.pcall('XINFO', 'GROUPS', KEYS[1])\n"
    "if type(gs) == 'table' and not gs.err then\n"
    "  for _, g in ipairs(gs) do\n"
    "    local h = {}\n"
    "    for i = 1, #g, 2 do h[g[i]] = g[i + 1] end\n"
    "    if h['name'] == ARGV[1] then last = h['last-delivered-id'] end\n"
    "  end\n"
    "end\n"
    "local function le(a, b)\n"
    "  local am, as = string.match(a, '^(%d+)-(%d+)$')\n"
    "  local bm, bs = string.match(b, '^(%d+)-(%d+)$')\n"
    "  if not am or not bm then return false end\n"
    "  am, as, bm, bs = tonumber(am), tonumber(as), tonumber(bm), "
    "tonumber(bs)\n"
    "  return am < bm or (am == bm and as <= bs)\n"
    "end\n"
    "local out = {}\n"
    "for i = 2, #ARGV do\n"
    "  local done = 0\n"
    "  if last and le(ARGV[i], last) and #redis.call('XPENDING', KEYS[1],"
    " ARGV[1], ARGV[i], ARGV[i], 1) == 0 then\n"
    "    done = 1\n"
    "  end\n"
    "  out[#out + 1] = done\n"
    "end\n"
    "return out\n"};

res_t
message_orders_done(struct ctx *cx, const char *const *eids, size_t n,
                    unsigned char *done)
{
    memset(done, 0, n);
    if (n == 0)
        return RES_OK;
    const char *keys[1] = {KEY_STREAM_ORDERS};
    const char **args = arena_alloc(cx->arena, (n + 1) * sizeof(*args));
    args[0] = KEY_ORDERS_GROUP;
    for (size_t i = 0; i < n; i++)
        args[i + 1] = eids[i];
    redisReply *r;
    res_t rc =
        rds_eval(cx, &message_lua_orders_done, &r, 1, keys, (int)n + 1, args);
    if (rc != RES_OK)
        return rc;
    if (r->type != REDIS_REPLY_ARRAY || r->elements != n)
        return ctx_fail(cx, RES_INTERNAL, "orders done: unexpected reply");
    for (size_t i = 0; i < n; i++)
        done[i] = rds_int(r->element[i]) == 1;
    return RES_OK;
}
