/*
 * message_http.c: handlers of the message routes (MESSAGES.md §4). All
 * need login. Notices are read from tb_message (what the persist group
 * wrote); a conversation from tb_chat_message merged with the part of
 * stream.chat not synced yet. Sending chat touches Redis only (MySQL
 * just the first time a recipient is written to, and while Redis is
 * down: see message_data.c).
 *
 * While Redis is down, chat send still works for a sender Redis
 * confirmed within the last minute (ROUTE_REDIS_OPTIONAL: the session
 * comes from the workers' session cache, app/user/user_cache.c): the
 * recipient check asks MySQL, the rate is counted per worker, and the
 * message is spooled (fsync'd) and answered with its id. Every other
 * route answers 503 then.
 */
#include "message_private.h"

#include "../core/cfg.h"
#include "../core/log.h"
#include "../core/reply.h"
#include "../store/sql.h"
#include "../user/user.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define MESSAGE_PAGE_DEFAULT 20
#define MESSAGE_PAGE_MAX     50

/* The optional cursor parameter name as a stream entry id; absent or
 * empty gives "no cursor" (*present = 0). */
static res_t
message_http_entry_param(struct req *rq, const char *name,
                         unsigned long long *ms, unsigned long long *seq,
                         int *present)
{
    const char *s = req_query(rq, name);
    *present = s && *s;
    if (!*present)
        return RES_OK;
    if (message_entry_id_parse(s, ms, seq) < 0 || *ms > INT64_MAX ||
        *seq > INT64_MAX)
        return req_fail(rq, RES_BAD_INPUT, "%s 必须是消息id（毫秒-序号）",
                        name);
    return RES_OK;
}

/* GET /message/list?before=&size=: my notices, newest first, as
 * [{"user","message","read"}] (no user for system messages). */
static res_t
message_http_list(struct req *rq)
{
    unsigned long long ms = (unsigned long long)INT64_MAX, seq = 0;
    int64_t size;
    int present;
    res_t rc;

    if ((rc = message_http_entry_param(rq, "before", &ms, &seq, &present)) !=
        RES_OK)
        return rc;
    if (!present)
        ms = (unsigned long long)INT64_MAX;
    if ((rc = req_query_i64(rq, "size", MESSAGE_PAGE_DEFAULT, 1,
                            MESSAGE_PAGE_MAX, &size)) != RES_OK)
        return rc;
    struct sql_rows t;
    if ((rc = message_list(&rq->cx, rq->user.id, ms, seq, size, &t)) != RES_OK)
        return rc;

    /* the stored m and u are the JSON texts the SSE events carry: the
     * page is those texts put together, not parsed and re-serialised */
    size_t len = 2;
    for (unsigned i = 0; i < t.nrows; i++) {
        const char *u = sql_str(&t, i, 3);
        len += 128 + strlen(sql_str(&t, i, 2)) + (u ? strlen(u) : 0);
    }
    char *buf = arena_alloc(rq->cx.arena, len + 1), *p = buf, *end = buf + len;
    *p++ = '[';
    for (unsigned i = 0; i < t.nrows; i++) {
        const char *m = sql_str(&t, i, 2), *u = sql_str(&t, i, 3);
        int read = sql_i64(&t, i, 4) != 0;
        if (i)
            *p++ = ',';
        *p++ = '{';
        if (u)
            p += snprintf(p, (size_t)(end - p), "\"user\":%s,", u);
        p += snprintf(p, (size_t)(end - p),
                      "\"message\":{\"id\":\"%s-%s\",%s,\"read\":%s}",
                      sql_str(&t, i, 0), sql_str(&t, i, 1), m + 1,
                      read ? "true" : "false");
    }
    *p++ = ']';
    *p = '\0';
    return reply_ok(rq, reply_raw(rq, buf, (size_t)(p - buf)));
}

/* GET /message/unread/count: the number of my unread notices. */
static res_t
message_http_unread(struct req *rq)
{
    int64_t n;
    res_t rc = message_unread(&rq->cx, rq->user.id, &n);
    if (rc != RES_OK)
        return rc;
    return reply_take(rq, json_object_new_int64(n));
}

/* PUT /message/read?upTo=: marks my notices read (up to and including
 * upTo, or all); data is how many changed. */
static res_t
message_http_read(struct req *rq)
{
    unsigned long long ms, seq;
    int present;
    uint64_t n;
    res_t rc;

    if ((rc = message_http_entry_param(rq, "upTo", &ms, &seq, &present)) !=
        RES_OK)
        return rc;
    if (!present) {
        ms = (unsigned long long)INT64_MAX;
        seq = (unsigned long long)INT64_MAX;
    }
    if ((rc = message_mark_read(&rq->cx, rq->user.id, ms, seq, &n)) != RES_OK)
        return rc;
    return reply_take(rq, json_object_new_int64((int64_t)n));
}

/* POST /message/chat/{userId} {"content"}: sends a chat message; data is
 * its id (known before Redis answers, so also when it had to be
 * spooled). Refusals: to oneself, unknown user, over the rate, the
 * system under backpressure. */
static res_t
message_http_chat_send(struct req *rq)
{
    int64_t to;
    struct json_object *body;
    const char *raw, *why;
    res_t rc;

    if ((rc = req_path_i64(rq, "userId", &to)) != RES_OK)
        return rc;
    if ((rc = req_json(rq, &body)) != RES_OK)
        return rc;
    /* the length rule is checked after trimming, below: 6000 bytes is the
     * most 1000 characters can take plus generous white space */
    if ((rc = req_json_str(rq, body, "content", 6000, 1, &raw)) != RES_OK)
        return rc;
    char *content = message_chat_content(rq->cx.arena, raw, &why);
    if (content == NULL)
        return req_fail(rq, RES_BAD_INPUT, "%s", why);
    if (to == rq->user.id)
        return req_fail(rq, RES_REFUSED, "不能给自己发消息");

    char id[MESSAGE_ID_LEN + 1], tbuf[20];
    message_new_id(id);
    message_time((long long)time(NULL), tbuf);
    int64_t me = rq->user.id;
    struct message m = {me, to, "chat", content, 0, id, tbuf};
    struct message_out mo = {
        .chat = 1,
        .to = to,
        .from = me,
        .mid = id,
        .m = message_m_json(rq->cx.arena, &m),
        .u =
            message_u_json(rq->cx.arena, me, rq->user.nick_name, rq->user.icon),
        .conv = arena_printf(rq->cx.arena, "%lld:%lld",
                             (long long)(me < to ? me : to),
                             (long long)(me < to ? to : me)),
    };

    struct ctx_mark mk = ctx_mark(&rq->cx);
    enum message_add res = MESSAGE_ADDED;
    int found;
    /* older spooled messages first; if they cannot go yet, this one may */
    if (message_spool_drain(&rq->cx) != RES_OK)
        ctx_drop(&rq->cx, mk, "spool drain before chat");
    rc = message_append(&rq->cx, &mo, 1, &res, NULL);
    if (rc == RES_OK && res == MESSAGE_NO_USER) {
        /* first message to this user in a day: MySQL says */
        if ((rc = user_exists(rq, to, &found)) != RES_OK)
            return rc;
        if (!found)
            return req_fail(rq, RES_REFUSED, "用户不存在");
        if ((rc = message_user_mark(&rq->cx, to)) == RES_OK)
            rc = message_append(&rq->cx, &mo, 1, &res, NULL);
        if (rc != RES_OK)
            goto spool; /* Redis answers reads but takes no writes */
    }
    if (rc != RES_OK) {
        /* Redis did not take it: without Redis the recipient check can
         * only ask MySQL (Redis' failure is dealt with: dropped, so that
         * a refusal below is what the sender sees) */
        ctx_drop(&rq->cx, mk, "chat append (spooled instead)");
        if ((rc = user_exists(rq, to, &found)) != RES_OK)
            return rc;
        if (!found)
            return req_fail(rq, RES_REFUSED, "用户不存在");
        goto spool;
    }
    switch (res) {
    case MESSAGE_ADDED:
    case MESSAGE_REPLAY:
        return reply_take(rq, json_object_new_string(id));
    case MESSAGE_RATE:
        return req_fail(rq, RES_REFUSED, "发送过于频繁");
    case MESSAGE_BUSY:
        return req_fail(rq, RES_REFUSED, "系统繁忙，请稍后再试");
    case MESSAGE_NO_USER: /* marked a moment ago, gone again (flushed) */
    case MESSAGE_ONCE:
    case MESSAGE_NEED_SENDER:
    case MESSAGE_GUARDED:
        break;
    }
    return req_fail(rq, RES_REFUSED, "系统繁忙，请稍后再试");

spool:
    /* the spool keeps it until Redis takes it (message_spool.c) */
    ctx_drop(&rq->cx, mk, "chat append (spooled instead)");
    /* the rate counter is in Redis too: this worker counts meanwhile */
    static struct message_rate rate;
    if (!message_rate_take(&rate, me, (long long)time(NULL), g_cfg.chat_rate))
        return req_fail(rq, RES_REFUSED, "发送过于频繁");
    if ((rc = message_spool_put(&rq->cx, &mo)) != RES_OK)
        return rc;
    log_warn("chat %s spooled (Redis unavailable)", id);
    return reply_take(rq, json_object_new_string(id));
}

/* GET /message/chat/{userId}?before=&size=: the conversation of both
 * directions, newest first, [{"id","from","to","content","time"}]. */
static res_t
message_http_chat_read(struct req *rq)
{
    int64_t other, size;
    res_t rc;

    if ((rc = req_path_i64(rq, "userId", &other)) != RES_OK)
        return rc;
    const char *before = req_query(rq, "before");
    if (before && *before == '\0')
        before = NULL;
    if (before && !message_id_valid(before))
        return req_fail(rq, RES_BAD_INPUT, "before 必须是聊天消息id");
    if ((rc = req_query_i64(rq, "size", MESSAGE_PAGE_DEFAULT, 1,
                            MESSAGE_PAGE_MAX, &size)) != RES_OK)
        return rc;
    struct message_chat *c;
    size_t n;
    if ((rc = message_chat_read(&rq->cx, rq->user.id, other, before, size, &c,
                                &n)) != RES_OK)
        return rc;
    struct json_object *arr = reply_arr(rq);
    for (size_t i = 0; i < n; i++) {
        struct json_object *o = json_object_new_object();
        reply_add_str(o, "id", c[i].id);
        reply_add_i64(o, "from", c[i].from);
        reply_add_i64(o, "to", c[i].to);
        reply_add_str(o, "content", c[i].content);
        reply_add_str(o, "time", c[i].time);
        json_object_array_add(arr, o);
    }
    return reply_ok(rq, arr);
}

const struct route message_routes[] = {
    {HTTP_GET, "/message/list", message_http_list, ROUTE_AUTH},
    {HTTP_GET, "/message/unread/count", message_http_unread, ROUTE_AUTH},
    {HTTP_PUT, "/message/read", message_http_read, ROUTE_AUTH},
    /* chat send works while Redis is down (it spools): a session Redis
     * confirmed a moment ago is taken from the session cache then */
    {HTTP_POST, "/message/chat/{userId}", message_http_chat_send,
     ROUTE_AUTH | ROUTE_REDIS_OPTIONAL},
    {HTTP_GET, "/message/chat/{userId}", message_http_chat_read, ROUTE_AUTH},
    {0, NULL, NULL, 0},
};
