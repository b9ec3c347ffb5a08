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
 * Retention: message.stream:{uid} is capped here (MAXLEN ~); the internal
 * streams are not, since a cap would drop what a stalled group has not
 * synced: they are trimmed by the stream library's safe-point trimmer.
 */
#include "message_private.h"

#include "../core/cfg.h"
#include "../core/log.h"
#include "../core/util.h"
#include "../store/keys.h"
#include "../store/rds.h"
#include "../store/sql.h"
#include "../stream/stream.h"
#include "../user/user.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MESSAGE_USER_STREAM_MAXLEN "1000"
#define MESSAGE_WAKE_MAXLEN        "100000"

/* KEYS: message.stream:{to}, message.wake, message:mid:{mid}, internal
 * stream, then for chat: rate key, user-known key; for a notice with a
 * once key: that key.
 * ARGV: mid, m, u ('' = none), to, kind ('c' chat / 'n' notice), checks
 * ('1'/'0'), rate limit, high water, chat group, conv, mid ttl, once ttl,
 * user stream maxlen, wake maxlen.
 * Returns {status, entry id}: see enum message_add. */
static const struct rds_script message_lua_add = {
    "message_add",
    "local e = redis.call('GET', KEYS[3])\n"
    "if e then return {1, e} end\n"
    "local chat = ARGV[5] == 'c'\n"
    "if chat and ARGV[6] == '1' then\n"
    "  if redis.call('EXISTS', KEYS[6]) == 0 then return {4, ''} end\n"
    "  local n = redis.call('INCR', KEYS[5])\n"
    "  if n == 1 then redis.call('EXPIRE', KEYS[5], 2) end\n"
    "  if n > tonumber(ARGV[7]) then return {2, ''} end\n"
    "  local unsynced = nil\n"
    "  local gs = redis.pcall('XINFO', 'GROUPS', KEYS[4])\n"
    "  if type(gs) == 'table' and not gs.err then\n"
    "    for _, g in ipairs(gs) do\n"
    "      local h = {}\n"
    "      for i = 1, #g, 2 do h[g[i]] = g[i + 1] end\n"
    "      if h['name'] == ARGV[9] and h['lag'] then\n"
    "        unsynced = h['pending'] + h['lag']\n"
    "      end\n"
    "    end\n"
    "  end\n"
    "  if not unsynced then unsynced = redis.call('XLEN', KEYS[4]) end\n"
    "  if unsynced >= tonumber(ARGV[8]) then return {3, ''} end\n"
    "elseif not chat and KEYS[5] then\n"
    "  if not redis.call('SET', KEYS[5], '1', 'NX', 'EX', ARGV[12]) then\n"
    "    return {5, ''}\n"
    "  end\n"
    "end\n"
    "local f = {'mid', ARGV[1], 'm', ARGV[2]}\n"
    "if ARGV[3] ~= '' then f[5] = 'u'; f[6] = ARGV[3] end\n"
    "local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[13], '*',"
    " unpack(f))\n"
    "redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[14], '*', 'u', ARGV[4])\n"
    "if chat then\n"
    "  redis.call('XADD', KEYS[4], '*', 'mid', ARGV[1], 'c', ARGV[10], 'm',"
    " ARGV[2])\n"
    "else\n"
    "  redis.call('XADD', KEYS[4], '*', 'mid', ARGV[1], 'e', id, 'to',"
    " ARGV[4], 'm', ARGV[2], 'u', ARGV[3])\n"
    "end\n"
    "redis.call('SET', KEYS[3], id, 'EX', ARGV[11])\n"
    "return {0, id}\n"};

res_t
message_append(struct req *rq, const struct message_out *mo, int64_t from,
               int checks, enum message_add *res, const char **eid)
{
    struct arena *a = rq->arena;
    const char *keys[6];
    int nkeys = 4;
    keys[0] = key_message_stream(a, mo->to);
    keys[1] = KEY_MESSAGE_WAKE;
    keys[2] = key_message_mid(a, mo->mid);
    keys[3] = mo->chat ? KEY_STREAM_CHAT : KEY_STREAM_NOTIFY;
    if (mo->chat) {
        keys[4] = key_message_chat_rate(a, from, (long)time(NULL));
        keys[5] = key_message_user(a, mo->to);
        nkeys = 6;
    } else if (mo->once) {
        keys[4] = mo->once;
        nkeys = 5;
    }
    const char *args[14] = {
        mo->mid,
        mo->m,
        mo->u ? mo->u : "",
        arena_printf(a, "%lld", (long long)mo->to),
        mo->chat ? "c" : "n",
        checks ? "1" : "0",
        arena_printf(a, "%d", g_cfg.chat_rate),
        arena_printf(a, "%ld", g_cfg.chat_high_water),
        KEY_CHAT_GROUP,
        mo->conv ? mo->conv : "",
        arena_printf(a, "%d", TTL_MESSAGE_MID),
        arena_printf(a, "%d", TTL_MESSAGE_LIKE),
        MESSAGE_USER_STREAM_MAXLEN,
        MESSAGE_WAKE_MAXLEN,
    };
    redisReply *r;
    res_t rc = rds_eval(rq, &message_lua_add, &r, nkeys, keys, 14, args);
    if (rc != RES_OK)
        return rc;
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
        r->element[0]->type != REDIS_REPLY_INTEGER)
        return req_fail(rq, RES_INTERNAL, "message_add: unexpected reply");
    long long st = r->element[0]->integer;
    if (st < MESSAGE_ADDED || st > MESSAGE_ONCE)
        return req_fail(rq, RES_INTERNAL, "message_add: status %lld", st);
    *res = (enum message_add)st;
    if (eid)
        *eid = rds_str(rq, r->element[1]);
    return RES_OK;
}

res_t
message_user_mark(struct req *rq, int64_t id)
{
    return rds_cmd(rq, NULL, "SET %s 1 EX %d", key_message_user(rq->arena, id),
                   TTL_MESSAGE_USER);
}

void
message_new_id(char out[MESSAGE_ID_LEN + 1])
{
    static struct message_idgen gen;
    message_id_next(&gen, (long long)now_ms(), (long)getpid(), out);
}

/* Runs fn's failure-prone steps without leaving an error on rq: the
 * caller's request goes on as if nothing happened. */
static void
message_forget_error(struct req *rq, res_t saved_rc, char *saved_msg)
{
    rq->rc = saved_rc;
    rq->errmsg = saved_msg;
}

res_t
message_send_notice(struct req *rq, const struct message_out *mo, int *spooled)
{
    res_t saved = rq->rc;
    char *saved_msg = rq->errmsg;
    enum message_add res;
    *spooled = 0;
    (void)message_spool_drain(rq); /* older messages first, if any */
    message_forget_error(rq, saved, saved_msg);
    res_t rc = message_append(rq, mo, 0, 0, &res, NULL);
    if (rc == RES_OK)
        return RES_OK;
    /* Redis did not take it (down, timeout, error reply): the spool
     * keeps it until Redis does */
    log_warn("message %s to %lld: Redis failed (%s); spooled", mo->mid,
             (long long)mo->to, rq->errmsg ? rq->errmsg : "?");
    message_forget_error(rq, saved, saved_msg);
    rc = message_spool_put(rq, mo);
    if (rc == RES_OK)
        *spooled = 1;
    return rc;
}

/* ---------------- notifications ---------------- */

static void
message_notice(struct req *rq, const struct user_dto *from, int64_t to,
               const char *type, const char *content, int64_t ref,
               const char *once)
{
    if (!g_cfg.message_notify || from->id == to || to <= 0)
        return;
    char mid[MESSAGE_ID_LEN + 2], tbuf[20];
    mid[0] = 'n'; /* notices and chat never share an id */
    message_new_id(mid + 1);
    message_time((long long)time(NULL), tbuf);
    struct message m = {from->id, to, type, content, ref, NULL, tbuf};
    struct message_out mo = {0,    to,   mid, message_m_json(rq->arena, &m),
                             message_u_json(rq->arena, from), once, NULL};
    res_t saved = rq->rc;
    char *saved_msg = rq->errmsg;
    int spooled;
    if (message_send_notice(rq, &mo, &spooled) != RES_OK)
        log_error("%s notice %s to %lld lost: neither Redis nor the spool "
                  "took it",
                  type, mid, (long long)to);
    message_forget_error(rq, saved, saved_msg);
}

void
message_on_blog_liked(struct req *rq, const struct user_dto *liker,
                      int64_t author, int64_t blog_id)
{
    message_notice(rq, liker, author, "like", "点赞了你的博客", blog_id,
                   key_message_like_once(rq->arena, liker->id, blog_id));
}

void
message_on_comment_posted(struct req *rq, const struct user_dto *who,
                          int64_t author, int64_t blog_id, const char *text)
{
    message_notice(rq, who, author, "comment",
                   message_comment_content(rq->arena, text), blog_id, NULL);
}

void
message_on_user_followed(struct req *rq, const struct user_dto *follower,
                         int64_t followed)
{
    message_notice(rq, follower, followed, "follow", "关注了你", follower->id,
                   NULL);
}

res_t
message_notify_order(struct req *rq, int64_t buyer, int64_t order_id)
{
    char tbuf[20];
    message_time((long long)time(NULL), tbuf);
    const char *ref = arena_printf(rq->arena, "%lld", (long long)order_id);
    struct message m = {0,    buyer, "order", "抢购成功，订单已创建",
                        0,    ref,   tbuf};
    /* one notice per order, whoever delivers the order entry again: the
     * order id is the message id */
    struct message_out mo = {0,    buyer, arena_printf(rq->arena, "o%s", ref),
                             message_m_json(rq->arena, &m),
                             NULL, NULL,  NULL};
    int spooled;
    return message_send_notice(rq, &mo, &spooled);
}

/* ---------------- status (admin view) ---------------- */

/* KEYS: stream.chat; ARGV: group. Returns what chat-sync has not synced
 * (as the producer counts it). */
static const struct rds_script message_lua_unsynced = {
    "message_unsynced",
    "local gs = redis.pcall('XINFO', 'GROUPS', KEYS[1])\n"
    "if type(gs) == 'table' and not gs.err then\n"
    "  for _, g in ipairs(gs) do\n"
    "    local h = {}\n"
    "    for i = 1, #g, 2 do h[g[i]] = g[i + 1] end\n"
    "    if h['name'] == ARGV[1] and h['lag'] then\n"
    "      return h['pending'] + h['lag']\n"
    "    end\n"
    "  end\n"
    "end\n"
    "return redis.call('XLEN', KEYS[1])\n"};

res_t message_spool_count(struct req *rq, long *files, long *records);

res_t
message_status_get(struct req *rq, struct message_status *st)
{
    memset(st, 0, sizeof(*st));
    st->chat_high_water = g_cfg.chat_high_water;
    res_t rc = message_spool_count(rq, &st->spool_files, &st->spool_records);
    if (rc != RES_OK)
        return rc;
    const char *keys[1] = {KEY_STREAM_CHAT};
    const char *args[1] = {KEY_CHAT_GROUP};
    redisReply *r;
    if ((rc = rds_eval(rq, &message_lua_unsynced, &r, 1, keys, 1, args)) !=
        RES_OK)
        return rc;
    st->chat_unsynced = (long)rds_int(r);
    st->chat_refusing = st->chat_unsynced >= st->chat_high_water;
    return RES_OK;
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
message_values(struct req *rq, unsigned rows, unsigned cols)
{
    size_t one = 2 + 2 * cols;
    char *s = arena_alloc(rq->arena, rows * (one + 1) + 1), *p = s;
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

static int
message_m_parse(struct req *rq, const char *text, struct message_m *out)
{
    struct json_object *o = json_tokener_parse(text);
    if (o == NULL)
        return -1;
    arena_defer(rq->arena, (void (*)(void *))json_object_put, o);
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

#define MESSAGE_PERSIST_COLS 9

res_t
message_persist_batch(struct req *rq, const struct stream_entry *e, size_t n,
                      size_t *bad)
{
    struct sql_param *p =
        arena_calloc(rq->arena, (n ? n : 1) * MESSAGE_PERSIST_COLS * sizeof(*p));
    size_t rows = 0;
    *bad = 0;
    for (size_t i = 0; i < n; i++) {
        const char *mid = stream_entry_get(&e[i], "mid");
        const char *eid = stream_entry_get(&e[i], "e");
        const char *m = stream_entry_get(&e[i], "m");
        const char *u = stream_entry_get(&e[i], "u");
        unsigned long long ms, seq;
        struct message_m mm;
        if (!mid || !eid || !m || !u || strlen(mid) > 40 ||
            message_entry_id_parse(eid, &ms, &seq) < 0 ||
            message_m_parse(rq, m, &mm) < 0) {
            log_warn("stream.notify entry %s is not a notice: skipped",
                     e[i].id);
            (*bad)++;
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
    if (rows == 0)
        return RES_OK;
    res_t rc;
    if ((rc = sql_begin(rq)) != RES_OK)
        return rc;
    for (size_t done = 0; done < rows;) {
        unsigned k = message_chunk(rows - done);
        const char *sql = arena_printf(
            rq->arena,
            "INSERT IGNORE INTO tb_message (mid, to_user, from_user, type, "
            "sid_ms, sid_seq, m, u, create_time) VALUES %s",
            message_values(rq, k, MESSAGE_PERSIST_COLS));
        rc = sql_execv(rq, NULL, sql, p + done * MESSAGE_PERSIST_COLS,
                       k * MESSAGE_PERSIST_COLS);
        if (rc != RES_OK)
            goto rollback;
        done += k;
    }
    return sql_commit(rq);

rollback:
    sql_rollback(rq);
    if (rc == RES_CONFLICT) /* INSERT IGNORE cannot conflict: a bug */
        return req_fail(rq, RES_INTERNAL, "tb_message: unexpected conflict");
    return rc;
}

#define MESSAGE_CHAT_COLS 7

res_t
message_chat_sync_batch(struct req *rq, const struct stream_entry *e, size_t n,
                        size_t *bad)
{
    struct sql_param *p =
        arena_calloc(rq->arena, (n ? n : 1) * MESSAGE_CHAT_COLS * sizeof(*p));
    size_t rows = 0;
    *bad = 0;
    for (size_t i = 0; i < n; i++) {
        const char *mid = stream_entry_get(&e[i], "mid");
        const char *m = stream_entry_get(&e[i], "m");
        struct message_m mm;
        if (!mid || !m || !message_id_valid(mid) ||
            message_m_parse(rq, m, &mm) < 0 || mm.from <= 0 || mm.to <= 0) {
            log_warn("stream.chat entry %s is not a chat message: skipped",
                     e[i].id);
            (*bad)++;
            continue;
        }
        struct sql_param *q = p + rows * MESSAGE_CHAT_COLS;
        q[0] = (struct sql_param){'s', 0, 0, mid};
        q[1] = (struct sql_param){'l', mm.from, 0, NULL};
        q[2] = (struct sql_param){'l', mm.to, 0, NULL};
        q[3] = (struct sql_param){'l', mm.from < mm.to ? mm.from : mm.to, 0,
                                  NULL};
        q[4] = (struct sql_param){'l', mm.from < mm.to ? mm.to : mm.from, 0,
                                  NULL};
        q[5] = (struct sql_param){'s', 0, 0, mm.content};
        q[6] = (struct sql_param){'s', 0, 0, mm.time};
        rows++;
    }
    if (rows == 0)
        return RES_OK;
    res_t rc;
    if ((rc = sql_begin(rq)) != RES_OK)
        return rc;
    for (size_t done = 0; done < rows;) {
        unsigned k = message_chunk(rows - done);
        const char *sql = arena_printf(
            rq->arena,
            "INSERT IGNORE INTO tb_chat_message (id, from_user, to_user, "
            "conv_lo, conv_hi, content, create_time) VALUES %s",
            message_values(rq, k, MESSAGE_CHAT_COLS));
        rc = sql_execv(rq, NULL, sql, p + done * MESSAGE_CHAT_COLS,
                       k * MESSAGE_CHAT_COLS);
        if (rc != RES_OK)
            goto rollback;
        done += k;
    }
    return sql_commit(rq);

rollback:
    sql_rollback(rq);
    if (rc == RES_CONFLICT)
        return req_fail(rq, RES_INTERNAL, "tb_chat_message: unexpected "
                                          "conflict");
    return rc;
}
