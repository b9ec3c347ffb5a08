/*
 * test_chat.c: chat against the real stack (MESSAGES.md §4): the round
 * trip through POST and GET /message/chat, the stream entries the
 * producer writes (messages-design.md), refusals and bad input, the
 * backpressure refusal, the spool when Redis refuses writes, and what
 * chat-sync must do: each message in tb_chat_message exactly once, also
 * after a kill -9 mid-batch and a MySQL outage, and the conversation
 * merged from MySQL and the unsynced stream tail while chat-sync stops.
 */
#include "h.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

struct user {
    char *token;
    int64_t id;
};

static struct user
login(void)
{
    struct user u = {NULL, 0};
    u.token = h_login_user(&u.id);
    return u;
}

/* POST /message/chat/{to} {"content": text}: the id (malloc'd) on
 * success; NULL otherwise, with the status and errorMsg kept. */
static long last_status;
static char last_err[256];

static char *
send_raw(const struct user *me, const char *to, const char *body)
{
    char path[128];
    struct resp r;
    snprintf(path, sizeof(path), "/message/chat/%s", to);
    last_status = -1;
    last_err[0] = '\0';
    if (h_post_json(path, me ? me->token : NULL, body, &r) != 0)
        return NULL;
    last_status = r.status;
    char *id = NULL;
    struct json_object *d = h_data(&r);
    if (r.status == 200 && h_success(&r) && d &&
        json_object_is_type(d, json_type_string))
        id = strdup(json_object_get_string(d));
    if (h_errmsg(&r))
        snprintf(last_err, sizeof(last_err), "%s", h_errmsg(&r));
    h_free(&r);
    return id;
}

static char *
send_chat(const struct user *me, int64_t to, const char *text)
{
    char ts[32];
    snprintf(ts, sizeof(ts), "%lld", (long long)to);
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "content", json_object_new_string(text));
    char *body = strdup(json_object_to_json_string(o));
    json_object_put(o);
    char *id = send_raw(me, ts, body);
    free(body);
    return id;
}

/* GET /message/chat/{other}?query: the data array (caller puts), or NULL
 * with last_status set. */
static struct json_object *
conversation(const struct user *me, int64_t other, const char *query)
{
    char path[256];
    struct resp r;
    snprintf(path, sizeof(path), "/message/chat/%lld%s%s", (long long)other,
             query ? "?" : "", query ? query : "");
    if (h_get(path, me->token, &r) != 0)
        return NULL;
    last_status = r.status;
    struct json_object *d = h_data(&r), *out = NULL;
    if (r.status == 200 && h_success(&r) && d &&
        json_object_is_type(d, json_type_array))
        out = json_object_get(d);
    h_free(&r);
    return out;
}

static const char *
item_str(struct json_object *arr, size_t i, const char *k)
{
    struct json_object *v;
    if (!arr || i >= json_object_array_length(arr) ||
        !json_object_object_get_ex(json_object_array_get_idx(arr, i), k, &v))
        return NULL;
    return json_object_get_string(v);
}

static int64_t
item_i64(struct json_object *arr, size_t i, const char *k)
{
    struct json_object *v;
    if (!arr || i >= json_object_array_length(arr) ||
        !json_object_object_get_ex(json_object_array_get_idx(arr, i), k, &v))
        return -1;
    return json_object_get_int64(v);
}

/* Entries of stream key whose field mid equals mid. */
static int
stream_count_mid(const char *key, const char *mid)
{
    redisReply *r = redisCommand(h_redis(), "XRANGE %s - +", key);
    int n = 0;
    if (r && r->type == REDIS_REPLY_ARRAY)
        for (size_t i = 0; i < r->elements; i++) {
            redisReply *f = r->element[i]->element[1];
            for (size_t k = 0; f && k + 1 < f->elements; k += 2)
                if (strcmp(f->element[k]->str, "mid") == 0 &&
                    strcmp(f->element[k + 1]->str, mid) == 0)
                    n++;
        }
    if (r)
        freeReplyObject(r);
    return n;
}

/* Value of field name in the entry of key with mid (malloc'd), or NULL. */
static char *
stream_field(const char *key, const char *mid, const char *name)
{
    redisReply *r = redisCommand(h_redis(), "XRANGE %s - +", key);
    char *out = NULL;
    if (r && r->type == REDIS_REPLY_ARRAY)
        for (size_t i = 0; i < r->elements && !out; i++) {
            redisReply *f = r->element[i]->element[1];
            int match = 0;
            for (size_t k = 0; f && k + 1 < f->elements; k += 2)
                if (strcmp(f->element[k]->str, "mid") == 0 &&
                    strcmp(f->element[k + 1]->str, mid) == 0)
                    match = 1;
            for (size_t k = 0; match && k + 1 < f->elements; k += 2)
                if (strcmp(f->element[k]->str, name) == 0)
                    out = strdup(f->element[k + 1]->str);
        }
    if (r)
        freeReplyObject(r);
    return out;
}

static long long
rows_of(const char *id)
{
    return h_sql_int("SELECT COUNT(*) FROM tb_chat_message WHERE id = '%s'",
                     id);
}

/* Waits until every id has its row (up to ms); 1 when they all do. */
static int __attribute__((unused)) wait_rows(char **ids, int n, int ms)
{
    for (int waited = 0;; waited += 100) {
        int all = 1;
        for (int i = 0; i < n && all; i++)
            all = ids[i] && rows_of(ids[i]) == 1;
        if (all)
            return 1;
        if (waited >= ms)
            return 0;
        h_sleep_ms(100);
    }
}

static int
id_shape(const char *s)
{
    if (s == NULL || strlen(s) != 25)
        return 0;
    for (int i = 0; i < 25; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* ---------------- the round trip ---------------- */

static void
test_chat_round_trip(void)
{
    struct user a = login(), b = login();
    char *m1 = send_chat(&a, b.id, "  hi <b>  ");
    CHECK(m1 && id_shape(m1));
    char *m2 = send_chat(&b, a.id, "yo");
    CHECK(m2 && id_shape(m2));
    CHECK(m1 && m2 && strcmp(m1, m2) < 0); /* send order */

    for (int side = 0; side < 2; side++) {
        struct json_object *c =
            side ? conversation(&b, a.id, NULL) : conversation(&a, b.id, NULL);
        CHECK(c && json_object_array_length(c) == 2);
        CHECK_STR(item_str(c, 0, "id"), m2);
        CHECK(item_i64(c, 0, "from") == b.id && item_i64(c, 0, "to") == a.id);
        CHECK_STR(item_str(c, 0, "content"), "yo");
        CHECK_STR(item_str(c, 1, "id"), m1);
        CHECK_STR(item_str(c, 1, "content"), "hi &lt;b&gt;");
        const char *t = item_str(c, 1, "time");
        CHECK(t && strlen(t) == 19 && t[10] == 'T');
        json_object_put(c);
    }
    /* paging: before the newest, one item */
    char q[128];
    snprintf(q, sizeof(q), "before=%s&size=1", m2 ? m2 : "");
    struct json_object *c = conversation(&a, b.id, q);
    CHECK(c && json_object_array_length(c) == 1);
    CHECK_STR(item_str(c, 0, "id"), m1);
    json_object_put(c);
    snprintf(q, sizeof(q), "before=%s", m1 ? m1 : "");
    c = conversation(&a, b.id, q);
    CHECK(c && json_object_array_length(c) == 0);
    json_object_put(c);

    /* the producer's entries (messages-design.md) */
    char key[64];
    snprintf(key, sizeof(key), "message.stream:%lld", (long long)b.id);
    CHECK(m1 && stream_count_mid(key, m1) == 1);
    char *mj = m1 ? stream_field(key, m1, "m") : NULL;
    char *uj = m1 ? stream_field(key, m1, "u") : NULL;
    struct json_object *mo = mj ? json_tokener_parse(mj) : NULL;
    struct json_object *uo = uj ? json_tokener_parse(uj) : NULL;
    CHECK(mo && uo);
    if (mo && uo) {
        char want[512];
        snprintf(want, sizeof(want),
                 "{\"from\":%lld,\"to\":%lld,\"type\":\"chat\",\"content\":"
                 "\"hi &lt;b&gt;\",\"refId\":\"%s\",\"time\":",
                 (long long)a.id, (long long)b.id, m1);
        CHECK(strncmp(mj, want, strlen(want)) == 0);
        struct json_object *v;
        CHECK(json_object_object_get_ex(uo, "id", &v) &&
              json_object_get_int64(v) == a.id);
        CHECK(json_object_object_get_ex(uo, "nickName", &v));
        CHECK(json_object_object_get_ex(uo, "icon", &v));
        CHECK(!json_object_object_get_ex(mo, "id", &v));
    }
    json_object_put(mo);
    json_object_put(uo);
    free(mj);
    free(uj);
    CHECK(m1 && stream_count_mid("stream.chat", m1) == 1);
    /* the doorbell names the recipient (first; a short message's
     * doorbell carries the entry too, see test_sse) */
    redisReply *r =
        redisCommand(h_redis(), "XREVRANGE message.wake + - COUNT 50");
    int rang = 0;
    char bs[32];
    snprintf(bs, sizeof(bs), "%lld", (long long)b.id);
    for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements;
         i++) {
        redisReply *f = r->element[i]->element[1];
        if (f->elements >= 2 && strcmp(f->element[0]->str, "u") == 0 &&
            strcmp(f->element[1]->str, bs) == 0)
            rang = 1;
    }
    if (r)
        freeReplyObject(r);
    CHECK(rang);
    free(m1);
    free(m2);
    free(a.token);
    free(b.token);
}

/* ---------------- refusals and bad input ---------------- */

static void
test_chat_refusals(void)
{
    struct user a = login(), b = login();
    CHECK(send_chat(&a, a.id, "me") == NULL && last_status == 200);
    CHECK_STR(last_err, "不能给自己发消息");
    CHECK(send_chat(&a, 999999999, "nobody") == NULL && last_status == 200);
    CHECK_STR(last_err, "用户不存在");
    /* more than 10 a second: some refused; never more than 10 a second
     * accepted (25 sends span at most 3 seconds here) */
    int ok = 0, refused = 0;
    int64_t t0 = h_now_ms();
    for (int i = 0; i < 25; i++) {
        char *id = send_chat(&a, b.id, "fast");
        if (id)
            ok++;
        else if (strcmp(last_err, "发送过于频繁") == 0)
            refused++;
        free(id);
    }
    int64_t took = h_now_ms() - t0;
    CHECK(refused >= 1);
    CHECK(ok + refused == 25);
    CHECK(ok <= 10 * (int)(took / 1000 + 2));
    free(a.token);
    free(b.token);
}

static void
test_chat_bad_input(void)
{
    struct user a = login(), b = login();
    char bs[32];
    snprintf(bs, sizeof(bs), "%lld", (long long)b.id);
    static const char *const bad_ids[] = {"0", "-1", "abc", "1.5",
                                          "99999999999999999999"};
    for (size_t i = 0; i < sizeof(bad_ids) / sizeof(*bad_ids); i++) {
        CHECK(send_raw(&a, bad_ids[i], "{\"content\":\"x\"}") == NULL);
        CHECK(last_status == 400);
    }
    static const char *const bad_bodies[] = {"",
                                             "{",
                                             "[]",
                                             "{\"content\":5}",
                                             "{\"text\":\"x\"}",
                                             "{\"content\":\"   \"}",
                                             "{\"content\":null}",
                                             "\"x\""};
    for (size_t i = 0; i < sizeof(bad_bodies) / sizeof(*bad_bodies); i++) {
        CHECK(send_raw(&a, bs, bad_bodies[i]) == NULL);
        CHECK(last_status == 400);
    }
    /* 1000 characters after trimming pass, 1001 do not */
    char *big = malloc(4000);
    strcpy(big, "  ");
    for (int i = 0; i < 1000; i++)
        strcat(big, "好");
    strcat(big, "  ");
    char *id = send_chat(&a, b.id, big);
    CHECK(id != NULL);
    free(id);
    strcat(big, "好");
    CHECK(send_chat(&a, b.id, big) == NULL && last_status == 400);
    free(big);
    /* anonymous */
    CHECK(send_raw(NULL, bs, "{\"content\":\"x\"}") == NULL &&
          last_status == 401);
    /* reads */
    static const char *const bad_q[] = {
        "before=abc", "before=123", "before=1764583200000-0",
        "size=0",     "size=51",    "size=x",
        "size=-1"};
    for (size_t i = 0; i < sizeof(bad_q) / sizeof(*bad_q); i++) {
        struct json_object *c = conversation(&a, b.id, bad_q[i]);
        CHECK(c == NULL && last_status == 400);
        json_object_put(c);
    }
    struct resp r;
    CHECK(h_get("/message/chat/0", a.token, &r) == 0 && r.status == 400);
    h_free(&r);
    CHECK(h_get("/message/chat/x", a.token, &r) == 0 && r.status == 400);
    h_free(&r);
    CHECK(h_get("/message/chat/5", NULL, &r) == 0 && r.status == 401);
    h_free(&r);
    free(a.token);
    free(b.token);
}

/* The admin view's spool object: field k as an integer (booleans 0/1),
 * -1 when missing. */
static long long
admin_spool(const char *k)
{
    char hdr[256];
    struct resp r;
    snprintf(hdr, sizeof(hdr), "X-Admin-Token: %s", h_admin_token());
    long long v = -1;
    if (h_http("GET", "/admin/streams", NULL, hdr, NULL, NULL, 0, &r) == 0 &&
        r.status == 200) {
        struct json_object *sp, *f;
        if (h_data(&r) && json_object_object_get_ex(h_data(&r), "spool", &sp) &&
            json_object_object_get_ex(sp, k, &f))
            v = json_object_get_int64(f);
    }
    h_free(&r);
    return v;
}

/* ---------------- chat-sync ---------------- */

static long
group_pid(const char *group)
{
    return h_stack_pid("hmdp-message-consumer", group);
}

/* Waits for a chat-sync other than old (started again by the
 * supervisor); its pid or -1. */
static long
wait_group_pid(const char *group, long old, int ms)
{
    for (int waited = 0; waited <= ms; waited += 100) {
        long p = group_pid(group);
        if (p > 0 && p != old)
            return p;
        h_sleep_ms(100);
    }
    return -1;
}

/* n messages from several senders (the rate limit is per sender) to
 * one recipient; ids[] gets them (NULL where refused). */
static void
send_many(struct user *from, int nfrom, const struct user *to, char **ids,
          int n, const char *tag)
{
    for (int i = 0; i < n; i++) {
        char text[64];
        snprintf(text, sizeof(text), "%s %d", tag, i);
        ids[i] = send_chat(&from[i % nfrom], to->id, text);
    }
}

static void
free_ids(char **ids, int n)
{
    for (int i = 0; i < n; i++)
        free(ids[i]);
}

static void
test_chat_synced_once(void)
{
    struct user a = login(), b = login();
    char *ids[5];
    send_many(&a, 1, &b, ids, 5, "sync");
    for (int i = 0; i < 5; i++)
        CHECK(ids[i] != NULL);
    CHECK(wait_rows(ids, 5, 10000));
    CHECK(ids[0] && h_sql_int("SELECT from_user * 1000000 + to_user FROM "
                              "tb_chat_message WHERE id = '%s'",
                              ids[0]) == a.id * 1000000 + b.id);
    /* the same conversation, now from MySQL */
    struct json_object *c = conversation(&b, a.id, NULL);
    CHECK(c && json_object_array_length(c) == 5);
    for (int i = 0; i < 5; i++)
        CHECK_STR(item_str(c, (size_t)i, "id"), ids[4 - i]);
    CHECK_STR(item_str(c, 0, "content"), "sync 4");
    json_object_put(c);
    free_ids(ids, 5);
    free(a.token);
    free(b.token);
}

/* chat-sync stopped (SIGSTOP): the newest messages are only in the
 * stream, and the conversation still reads whole, in order, once each,
 * across pages; after SIGCONT they reach MySQL. */
static void
test_chat_merged_while_sync_stopped(void)
{
    struct user a = login(), b = login();
    char *old[4], *fresh[4];
    send_many(&a, 1, &b, old, 4, "old");
    CHECK(wait_rows(old, 4, 10000));
    long pid = group_pid("chat-sync");
    CHECK(pid > 0);
    if (pid <= 0)
        return;
    CHECK(kill((pid_t)pid, SIGSTOP) == 0);
    h_sleep_ms(200);
    send_many(&b, 1, &a, fresh, 4, "fresh");
    h_sleep_ms(300);
    for (int i = 0; i < 4; i++)
        CHECK(fresh[i] && rows_of(fresh[i]) == 0);
    /* all eight, newest first */
    char *all[8] = {fresh[3], fresh[2], fresh[1], fresh[0],
                    old[3],   old[2],   old[1],   old[0]};
    struct json_object *c = conversation(&a, b.id, NULL);
    CHECK(c && json_object_array_length(c) == 8);
    for (int i = 0; i < 8; i++)
        CHECK_STR(item_str(c, (size_t)i, "id"), all[i]);
    json_object_put(c);
    /* pages of three cross the MySQL/stream boundary */
    char q[128];
    const char *before = NULL;
    int seen = 0, pages = 0;
    for (; pages < 5; pages++) {
        if (before)
            snprintf(q, sizeof(q), "size=3&before=%s", before);
        else
            snprintf(q, sizeof(q), "size=3");
        c = conversation(&b, a.id, q);
        size_t n = c ? json_object_array_length(c) : 0;
        for (size_t i = 0; i < n && seen < 8; i++, seen++)
            CHECK_STR(item_str(c, i, "id"), all[seen]);
        static char last[32];
        if (n)
            snprintf(last, sizeof(last), "%s", item_str(c, n - 1, "id"));
        before = last;
        json_object_put(c);
        if (n < 3)
            break;
    }
    CHECK(seen == 8);
    CHECK(kill((pid_t)pid, SIGCONT) == 0);
    CHECK(wait_rows(fresh, 4, 15000));
    c = conversation(&a, b.id, NULL);
    CHECK(c && json_object_array_length(c) == 8);
    for (int i = 0; i < 8; i++)
        CHECK_STR(item_str(c, (size_t)i, "id"), all[i]);
    json_object_put(c);
    free_ids(old, 4);
    free_ids(fresh, 4);
    free(a.token);
    free(b.token);
}

/* kill -9 of chat-sync in the middle of a batch (its INSERT waits on a
 * table lock the test holds): the supervisor starts a new chat-sync,
 * which takes over the dead one's pending entries; MySQL ends with each
 * message exactly once. */
static void
test_chat_kill9_mid_batch(void)
{
    struct user s[3] = {login(), login(), login()}, r = login();
    long pid = group_pid("chat-sync");
    CHECK(pid > 0);
    if (pid <= 0)
        return;
    CHECK(h_sql_exec("LOCK TABLES tb_chat_message WRITE") == 0);
    char *ids[24];
    send_many(s, 3, &r, ids, 24, "kill9");
    for (int i = 0; i < 24; i++)
        CHECK(ids[i] != NULL);
    h_sleep_ms(500); /* chat-sync holds them now, its INSERT blocked */
    char key[64];
    (void)key;
    long long pending = h_redis_int("XLEN stream.chat"); /* smoke */
    CHECK(pending > 0);
    CHECK(kill((pid_t)pid, SIGKILL) == 0);
    h_sleep_ms(200);
    CHECK(h_sql_exec("UNLOCK TABLES") == 0);
    long again = wait_group_pid("chat-sync", pid, 5000);
    CHECK(again > 0);
    CHECK(wait_rows(ids, 24, 20000));
    long long n = 0;
    for (int i = 0; i < 24; i++)
        n += ids[i] ? rows_of(ids[i]) : 0;
    CHECK(n == 24);
    free_ids(ids, 24);
    for (int i = 0; i < 3; i++)
        free(s[i].token);
    free(r.token);
}

/* stream.chat above the high-water mark with chat-sync stalled:
 * 系统繁忙; sending works again once the backlog is gone. */
static void
test_chat_backpressure(void)
{
    struct user a = login(), b = login();
    long pid = group_pid("chat-sync");
    CHECK(pid > 0);
    if (pid <= 0)
        return;
    CHECK(kill((pid_t)pid, SIGSTOP) == 0);
    long long hwm = 100000;
    const char *env = getenv("HMDP_CHAT_HIGH_WATER");
    if (env && *env)
        hwm = atoll(env);
    redisReply *rr = redisCommand(
        h_redis(), "EVAL %s 1 stream.chat %lld",
        "local first = nil\n"
        "for i = 1, tonumber(ARGV[1]) do\n"
        "  local id = redis.call('XADD', KEYS[1], '*', 'junk', '1')\n"
        "  if not first then first = id end\n"
        "end\n"
        "return first",
        hwm);
    CHECK(rr && rr->type == REDIS_REPLY_STRING);
    char first[64] = "";
    if (rr && rr->type == REDIS_REPLY_STRING)
        snprintf(first, sizeof(first), "%s", rr->str);
    if (rr)
        freeReplyObject(rr);
    CHECK(send_chat(&a, b.id, "busy?") == NULL && last_status == 200);
    CHECK_STR(last_err, "系统繁忙，请稍后再试");
    CHECK(admin_spool("chatRefusing") == 1);
    CHECK(admin_spool("chatUnsynced") >= hwm);
    /* the backlog goes (the junk removed while chat-sync sleeps) */
    rr = redisCommand(h_redis(), "EVAL %s 1 stream.chat %s",
                      "local n = 0\n"
                      "while true do\n"
                      "  local es = redis.call('XRANGE', KEYS[1], ARGV[1], '+',"
                      " 'COUNT', 5000)\n"
                      "  local ids = {}\n"
                      "  for _, e in ipairs(es) do\n"
                      "    if e[2][1] == 'junk' then ids[#ids + 1] = e[1] end\n"
                      "  end\n"
                      "  if #ids > 0 then redis.call('XDEL', KEYS[1],"
                      " unpack(ids)) end\n"
                      "  n = n + #ids\n"
                      "  if #es < 5000 then break end\n"
                      "  ARGV[1] = '(' .. es[#es][1]\n"
                      "end\n"
                      "return n",
                      first);
    CHECK(rr && rr->type == REDIS_REPLY_INTEGER && rr->integer == hwm);
    if (rr)
        freeReplyObject(rr);
    char *id = send_chat(&a, b.id, "not busy");
    CHECK(id != NULL);
    CHECK(admin_spool("chatRefusing") == 0);
    CHECK(kill((pid_t)pid, SIGCONT) == 0);
    CHECK(id && wait_rows(&id, 1, 15000));
    free(id);
    free(a.token);
    free(b.token);
}

/* Redis refuses writes (maxmemory reached; sessions still read): chat is
 * spooled and answered success; once Redis takes writes again the spool
 * is appended exactly once, even when replayed twice, and MySQL ends
 * with each message once. */
static void
test_chat_spool(void)
{
    struct user s[2] = {login(), login()}, r = login();
    const char *dir = h_env("HMDP_MESSAGE_SPOOL_DIR");
    redisReply *rr = redisCommand(h_redis(), "CONFIG SET maxmemory 1");
    CHECK(rr && rr->type == REDIS_REPLY_STATUS);
    if (rr)
        freeReplyObject(rr);
    char *ids[8];
    send_many(s, 2, &r, ids, 8, "spooled");
    for (int i = 0; i < 8; i++) {
        CHECK(ids[i] && id_shape(ids[i]));
        CHECK(ids[i] && stream_count_mid("stream.chat", ids[i]) == 0);
    }
    /* the admin view reads the files (sessions are read, not written) */
    CHECK(admin_spool("backlog") >= 8);
    /* a copy of the spool as a dead process's file: replayed twice */
    char cmd[1024];
    snprintf(cmd, sizeof(cmd),
             "cat %s/*.spool > %s/4194303.tmp && "
             "mv %s/4194303.tmp %s/4194303.spool",
             dir, dir, dir, dir);
    CHECK(system(cmd) == 0);
    snprintf(cmd, sizeof(cmd), "grep -c spooled %s/4194303.spool", dir);
    FILE *p = popen(cmd, "r");
    int copied = 0;
    if (p) {
        if (fscanf(p, "%d", &copied) != 1)
            copied = 0;
        pclose(p);
    }
    CHECK(copied == 8);
    rr = redisCommand(h_redis(), "CONFIG SET maxmemory 0");
    CHECK(rr && rr->type == REDIS_REPLY_STATUS);
    if (rr)
        freeReplyObject(rr);
    /* the consumer's drainer runs every second */
    int all = 0;
    for (int w = 0; w < 100 && !all; w++) {
        h_sleep_ms(100);
        all = 1;
        for (int i = 0; i < 8; i++)
            if (ids[i] && stream_count_mid("stream.chat", ids[i]) < 1)
                all = 0;
    }
    CHECK(all);
    h_sleep_ms(1500); /* a second drain pass has run */
    char key[64];
    snprintf(key, sizeof(key), "message.stream:%lld", (long long)r.id);
    for (int i = 0; i < 8; i++) {
        CHECK(ids[i] && stream_count_mid("stream.chat", ids[i]) == 1);
        CHECK(ids[i] && stream_count_mid(key, ids[i]) == 1);
    }
    CHECK(wait_rows(ids, 8, 15000));
    /* the dead process's file is gone, the others are empty */
    snprintf(cmd, sizeof(cmd),
             "test ! -e %s/4194303.spool && test -z \"$(cat %s/*.spool "
             "2>/dev/null)\"",
             dir, dir);
    CHECK(system(cmd) == 0);
    CHECK(admin_spool("backlog") == 0);
    free_ids(ids, 8);
    for (int i = 0; i < 2; i++)
        free(s[i].token);
    free(r.token);
}

int
main(void)
{
    h_init();
    RUN(test_chat_round_trip);
    RUN(test_chat_refusals);
    RUN(test_chat_bad_input);
    RUN(test_chat_synced_once);
    RUN(test_chat_merged_while_sync_stopped);
    RUN(test_chat_kill9_mid_batch);
    RUN(test_chat_backpressure);
    RUN(test_chat_spool);
    T_DONE();
}
