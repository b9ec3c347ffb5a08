/*
 * test_message.c: notifications against the real stack (MESSAGES.md §3-4):
 * the order notice from group push (once the order row exists, also when
 * the order writer is late), the like, comment and follow notices (none
 * to oneself, one like per liker and blog in 24 h, none on unlike or
 * unfollow), each entry in message.stream:{recipient} in the
 * format of messages-design.md, persistence into tb_message by group
 * persist, and the routes /message/list, /message/unread/count and
 * /message/read with paging, marking and bad input.
 */
#include "h.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
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

/* A seckill voucher on shop 1 with some stock, on sale now. */
static int64_t
new_seckill(void)
{
    char b[512], tb[32], te[32];
    h_ltime(-3600, tb);
    h_ltime(3600, te);
    snprintf(b, sizeof(b),
             "{\"shopId\":1,\"title\":\"notice\",\"payValue\":100,"
             "\"actualValue\":200,\"type\":1,\"stock\":5,\"beginTime\":"
             "\"%s\",\"endTime\":\"%s\"}",
             tb, te);
    return h_admin_post_id("/voucher/seckill", b);
}

/* Buys voucher vid as u; the order id or -1. */
static int64_t
buy(const struct user *u, int64_t vid)
{
    char path[128];
    struct resp r;
    snprintf(path, sizeof(path), "/voucher-order/seckill/%lld", (long long)vid);
    if (h_post_json(path, u->token, NULL, &r) != 0)
        return -1;
    int64_t id = -1;
    if (r.status == 200 && h_success(&r) && h_data(&r))
        id = json_object_get_int64(h_data(&r));
    h_free(&r);
    return id;
}

/* The entries of message.stream:{uid} (the reply; caller frees). */
static redisReply *
user_stream(int64_t uid)
{
    return redisCommand(h_redis(), "XRANGE message.stream:%lld - +",
                        (long long)uid);
}

static const char *
field(redisReply *entry, const char *name)
{
    redisReply *f = entry->element[1];
    for (size_t k = 0; f && k + 1 < f->elements; k += 2)
        if (strcmp(f->element[k]->str, name) == 0)
            return f->element[k + 1]->str;
    return NULL;
}

/* GET /message/list?query as me: the data array (caller puts) or NULL
 * with *status. */
static struct json_object *
list(const struct user *me, const char *query, long *status)
{
    char path[256];
    struct resp r;
    snprintf(path, sizeof(path), "/message/list%s%s", query ? "?" : "",
             query ? query : "");
    *status = -1;
    if (h_get(path, me ? me->token : NULL, &r) != 0)
        return NULL;
    *status = r.status;
    struct json_object *d = h_data(&r), *out = NULL;
    if (r.status == 200 && h_success(&r) && d &&
        json_object_is_type(d, json_type_array))
        out = json_object_get(d);
    h_free(&r);
    return out;
}

static long long
unread(const struct user *me)
{
    struct resp r;
    long long n = -1;
    if (h_get("/message/unread/count", me->token, &r) == 0 && r.status == 200 &&
        h_success(&r) && h_data(&r))
        n = json_object_get_int64(h_data(&r));
    h_free(&r);
    return n;
}

/* PUT /message/read?query: how many were marked, -status on an error. */
static long long
mark_read(const struct user *me, const char *query)
{
    char path[256];
    struct resp r;
    snprintf(path, sizeof(path), "/message/read%s%s", query ? "?" : "",
             query ? query : "");
    long long n = -1;
    if (h_put(path, me->token, NULL, &r) != 0)
        return -1;
    if (r.status == 200 && h_success(&r) && h_data(&r))
        n = json_object_get_int64(h_data(&r));
    else
        n = -r.status;
    h_free(&r);
    return n;
}

static struct json_object *
jpath(struct json_object *o, const char *a, const char *b)
{
    struct json_object *v = NULL, *w = NULL;
    if (!o || !json_object_object_get_ex(o, a, &v))
        return NULL;
    if (!b)
        return v;
    return json_object_object_get_ex(v, b, &w) ? w : NULL;
}

/* Waits until the user has n persisted notices (up to ms). */
static int
wait_persisted(int64_t uid, long long n, int ms)
{
    for (int w = 0; w <= ms; w += 100) {
        if (h_sql_int("SELECT COUNT(*) FROM tb_message WHERE to_user = %lld",
                      (long long)uid) == n)
            return 1;
        h_sleep_ms(100);
    }
    return 0;
}

/* ---------------- the order notice ---------------- */

static void
test_order_notice(void)
{
    struct user u = login();
    int64_t vid = new_seckill();
    CHECK(vid > 0);
    int64_t oid = buy(&u, vid);
    CHECK(oid > 0);
    CHECK(wait_persisted(u.id, 1, 10000));
    redisReply *r = user_stream(u.id);
    CHECK(r && r->type == REDIS_REPLY_ARRAY && r->elements == 1);
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 1) {
        redisReply *e = r->element[0];
        char want[256];
        snprintf(want, sizeof(want),
                 "{\"from\":0,\"to\":%lld,\"type\":\"order\",\"content\":"
                 "\"抢购成功，订单已创建\",\"refId\":\"%lld\",\"time\":\"",
                 (long long)u.id, (long long)oid);
        const char *m = field(e, "m");
        CHECK(m && strncmp(m, want, strlen(want)) == 0);
        CHECK(field(e, "u") == NULL); /* system message: no sender */
        CHECK(field(e, "mid") != NULL);
        /* the list answers the same message under the entry id */
        long st;
        struct json_object *l = list(&u, NULL, &st);
        CHECK(l && json_object_array_length(l) == 1);
        struct json_object *it = l ? json_object_array_get_idx(l, 0) : NULL;
        CHECK(it && jpath(it, "user", NULL) == NULL);
        struct json_object *id = jpath(it, "message", "id");
        CHECK(id &&
              strcmp(json_object_get_string(id), e->element[0]->str) == 0);
        struct json_object *ref = jpath(it, "message", "refId");
        char os[32];
        snprintf(os, sizeof(os), "%lld", (long long)oid);
        CHECK(ref && json_object_is_type(ref, json_type_string) &&
              strcmp(json_object_get_string(ref), os) == 0);
        struct json_object *rd = jpath(it, "read", NULL);
        CHECK(rd && json_object_is_type(rd, json_type_boolean) &&
              !json_object_get_boolean(rd));
        json_object_put(l);
    }
    if (r)
        freeReplyObject(r);
    CHECK(unread(&u) == 1);
    free(u.token);
}

/* The order writer is late (stopped for 4 s): push retries, then holds
 * its batch until the row exists, and sends the notice exactly once;
 * nothing goes to the DLQ. */
static void
test_order_notice_waits_for_the_row(void)
{
    struct user u = login();
    int64_t vid = new_seckill();
    long g1 = h_stack_pid("hmdp-voucher-consumer", NULL);
    CHECK(g1 > 0);
    if (g1 <= 0)
        return;
    long long dlq = h_redis_int("XLEN stream.orders:dlq");
    CHECK(kill((pid_t)g1, SIGSTOP) == 0);
    int64_t oid = buy(&u, vid);
    CHECK(oid > 0);
    /* longer than push's retries would last: it holds instead */
    h_sleep_ms(4000);
    CHECK(h_sql_int("SELECT COUNT(*) FROM tb_voucher_order WHERE id = %lld",
                    (long long)oid) == 0);
    CHECK(h_redis_int("XLEN message.stream:%lld", (long long)u.id) <= 0);
    CHECK(kill((pid_t)g1, SIGCONT) == 0);
    CHECK(wait_persisted(u.id, 1, 10000));
    h_sleep_ms(500);
    CHECK(h_redis_int("XLEN message.stream:%lld", (long long)u.id) == 1);
    CHECK(h_sql_int("SELECT COUNT(*) FROM tb_message WHERE to_user = %lld",
                    (long long)u.id) == 1);
    CHECK(h_redis_int("XLEN stream.orders:dlq") == (dlq < 0 ? 0 : dlq));
    free(u.token);
}

/* ---------------- like, comment, follow ---------------- */

static int64_t
mk_blog(const struct user *u)
{
    struct resp r;
    int64_t id = -1;
    if (h_post_json("/blog", u->token,
                    "{\"title\":\"notice me\",\"content\":\"c\",\"images\":"
                    "\"\",\"shopId\":1}",
                    &r) == 0 &&
        r.status == 200 && h_success(&r) && h_data(&r))
        id = json_object_get_int64(h_data(&r));
    h_free(&r);
    return id;
}

static int
put_ok(const char *path, const struct user *u)
{
    struct resp r;
    int ok = h_put(path, u->token, NULL, &r) == 0 && r.status == 200 &&
             h_success(&r);
    h_free(&r);
    return ok;
}

/* Entries of message.stream:{uid} whose m has "type":type; m and u of
 * the last one into mo/uo (caller puts; may be NULL). */
static int
notices_of(int64_t uid, const char *type, struct json_object **mo,
           struct json_object **uo)
{
    redisReply *r = user_stream(uid);
    int n = 0;
    if (mo)
        *mo = NULL;
    if (uo)
        *uo = NULL;
    for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements;
         i++) {
        const char *m = field(r->element[i], "m"), *u;
        struct json_object *o = m ? json_tokener_parse(m) : NULL, *t;
        if (o && json_object_object_get_ex(o, "type", &t) &&
            strcmp(json_object_get_string(t), type) == 0) {
            n++;
            if (mo) {
                json_object_put(*mo);
                *mo = json_object_get(o);
            }
            if (uo) {
                json_object_put(*uo);
                u = field(r->element[i], "u");
                *uo = u ? json_tokener_parse(u) : NULL;
            }
        }
        json_object_put(o);
    }
    if (r)
        freeReplyObject(r);
    return n;
}

static int64_t
ji(struct json_object *o, const char *k)
{
    struct json_object *v;
    return o && json_object_object_get_ex(o, k, &v) ? json_object_get_int64(v)
                                                    : -1;
}

static const char *
js(struct json_object *o, const char *k)
{
    struct json_object *v;
    return o && json_object_object_get_ex(o, k, &v) ? json_object_get_string(v)
                                                    : NULL;
}

static void
test_like_notice(void)
{
    struct user author = login(), fan = login();
    int64_t blog = mk_blog(&author);
    CHECK(blog > 0);
    char path[64];
    snprintf(path, sizeof(path), "/blog/like/%lld", (long long)blog);
    CHECK(put_ok(path, &fan)); /* like */
    struct json_object *m, *u;
    CHECK(notices_of(author.id, "like", &m, &u) == 1);
    CHECK(ji(m, "from") == fan.id && ji(m, "to") == author.id);
    CHECK(ji(m, "refId") == blog);
    CHECK_STR(js(m, "content"), "点赞了你的博客");
    CHECK(ji(u, "id") == fan.id && js(u, "nickName") && js(u, "icon"));
    /* the liker as GET /user/me shows them (the session's name and icon,
     * which the notice takes without a look-up) */
    struct resp me;
    CHECK(h_get("/user/me", fan.token, &me) == 0 && h_success(&me));
    CHECK_STR(js(u, "nickName"), js(h_data(&me), "nickName"));
    CHECK_STR(js(u, "icon"), js(h_data(&me), "icon"));
    h_free(&me);
    json_object_put(m);
    json_object_put(u);
    /* unlike: none; like again within 24 h: none */
    CHECK(put_ok(path, &fan));
    CHECK(put_ok(path, &fan));
    CHECK(notices_of(author.id, "like", NULL, NULL) == 1);
    /* my own blog: none */
    CHECK(put_ok(path, &author));
    CHECK(notices_of(author.id, "like", NULL, NULL) == 1);
    /* persisted and listed with the liker as user */
    CHECK(wait_persisted(author.id, 1, 10000));
    long st;
    struct json_object *l = list(&author, NULL, &st);
    CHECK(l && json_object_array_length(l) == 1);
    struct json_object *it = l ? json_object_array_get_idx(l, 0) : NULL;
    CHECK(ji(jpath(it, "user", NULL), "id") == fan.id);
    CHECK_STR(js(jpath(it, "message", NULL), "type"), "like");
    json_object_put(l);
    free(author.token);
    free(fan.token);
}

static void
test_comment_notice(void)
{
    struct user author = login(), c = login();
    int64_t blog = mk_blog(&author);
    char body[512];
    /* 60 characters with markup: stored escaped, the first 50 shown */
    snprintf(body, sizeof(body),
             "{\"blogId\":%lld,\"content\":\"<b>好吃</b>"
             "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十"
             "一二三四五六七八九十一二三四五六七八九十\"}",
             (long long)blog);
    struct resp r;
    CHECK(h_post_json("/comment/post", c.token, body, &r) == 0 &&
          h_success(&r));
    h_free(&r);
    struct json_object *m;
    CHECK(notices_of(author.id, "comment", &m, NULL) == 1);
    const char *content = js(m, "content");
    CHECK(content &&
          strncmp(content, "评论了你的博客：&lt;b&gt;好吃&lt;/b&gt;",
                  strlen("评论了你的博客：&lt;b&gt;好吃&lt;/b&gt;")) == 0);
    /* 8 + 50 characters: the prefix and the first 50 of the stored text */
    long chars = 0;
    for (const char *p = content; p && *p; p++)
        chars += ((unsigned char)*p & 0xC0) != 0x80;
    CHECK(chars == 8 + 50);
    CHECK(ji(m, "refId") == blog && ji(m, "from") == c.id);
    json_object_put(m);
    /* commenting on my own blog: none */
    snprintf(body, sizeof(body), "{\"blogId\":%lld,\"content\":\"self\"}",
             (long long)blog);
    CHECK(h_post_json("/comment/post", author.token, body, &r) == 0 &&
          h_success(&r));
    h_free(&r);
    CHECK(notices_of(author.id, "comment", NULL, NULL) == 1);
    free(author.token);
    free(c.token);
}

static void
test_follow_notice(void)
{
    struct user a = login(), b = login();
    char path[64];
    snprintf(path, sizeof(path), "/follow/%lld/true", (long long)a.id);
    CHECK(put_ok(path, &b));
    struct json_object *m, *u;
    CHECK(notices_of(a.id, "follow", &m, &u) == 1);
    CHECK(ji(m, "refId") == b.id && ji(m, "from") == b.id);
    CHECK_STR(js(m, "content"), "关注了你");
    CHECK(ji(u, "id") == b.id);
    json_object_put(m);
    json_object_put(u);
    /* following again (no change) and unfollowing: none */
    CHECK(put_ok(path, &b));
    snprintf(path, sizeof(path), "/follow/%lld/false", (long long)a.id);
    CHECK(put_ok(path, &b));
    CHECK(notices_of(a.id, "follow", NULL, NULL) == 1);
    CHECK(notices_of(b.id, "follow", NULL, NULL) == 0);
    free(a.token);
    free(b.token);
}

/* Redis refuses writes (maxmemory) when a comment is posted: the comment
 * stands, its notice is spooled, and it is appended exactly once when
 * Redis takes writes again (the consumer's drainer), then persisted. */
static void
test_notice_spooled(void)
{
    struct user author = login(), c = login();
    int64_t blog = mk_blog(&author);
    CHECK(blog > 0);
    redisReply *rr = redisCommand(h_redis(), "CONFIG SET maxmemory 1");
    CHECK(rr && rr->type == REDIS_REPLY_STATUS);
    if (rr)
        freeReplyObject(rr);
    char body[256];
    snprintf(body, sizeof(body), "{\"blogId\":%lld,\"content\":\"spooled\"}",
             (long long)blog);
    struct resp r;
    int posted = h_post_json("/comment/post", c.token, body, &r) == 0 &&
                 r.status == 200 && h_success(&r);
    if (!posted)
        printf("  comment under maxmemory: %ld %s\n", r.status, r.body);
    h_free(&r);
    rr = redisCommand(h_redis(), "CONFIG SET maxmemory 0");
    CHECK(rr && rr->type == REDIS_REPLY_STATUS);
    if (rr)
        freeReplyObject(rr);
    CHECK(posted);
    CHECK(h_sql_int("SELECT COUNT(*) FROM tb_blog_comments WHERE blog_id = "
                    "%lld",
                    (long long)blog) == 1);
    /* appended by the drainer (every second), once */
    int n = 0;
    for (int w = 0; w < 50 && n == 0; w++) {
        h_sleep_ms(100);
        n = notices_of(author.id, "comment", NULL, NULL);
    }
    CHECK(n == 1);
    CHECK(wait_persisted(author.id, 1, 10000));
    h_sleep_ms(1500);
    CHECK(notices_of(author.id, "comment", NULL, NULL) == 1);
    struct json_object *m, *u;
    notices_of(author.id, "comment", &m, &u);
    CHECK(ji(u, "id") == c.id); /* the sender, looked up at the replay */
    CHECK_STR(js(m, "content"), "评论了你的博客：spooled");
    json_object_put(m);
    json_object_put(u);
    free(author.token);
    free(c.token);
}

/* ---------------- through the SSE gateway ---------------- */

/* Reads from fd into buf (NUL-terminated, at most cap-1 bytes in all)
 * until needle appears after offset from, or ms pass. 1 when found. */
static int
sse_read_until(int fd, char *buf, size_t cap, size_t *n, size_t from,
               const char *needle, int ms)
{
    int64_t end = h_now_ms() + ms;
    while (!strstr(buf + from, needle)) {
        int left = (int)(end - h_now_ms());
        struct pollfd p = {fd, POLLIN, 0};
        if (left <= 0 || poll(&p, 1, left) <= 0 || *n + 1 >= cap)
            return 0;
        ssize_t r = read(fd, buf + *n, cap - 1 - *n);
        if (r <= 0)
            return 0;
        *n += (size_t)r;
        buf[*n] = '\0';
    }
    return 1;
}

/* A like reaches the author's open SSE stream (hmdp-sse through nginx)
 * as the design note's event: id = the entry id, user = the liker. */
static void
test_like_reaches_sse(void)
{
    struct user author = login(), fan = login();
    int64_t blog = mk_blog(&author);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)atoi(h_env("HMDP_NGINX_PORT")));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
    char req[256];
    int rl = snprintf(req, sizeof(req),
                      "GET /api/message/sse?token=%s HTTP/1.0\r\n"
                      "Host: localhost\r\n\r\n",
                      author.token);
    CHECK(write(fd, req, (size_t)rl) == rl);
    static char buf[65536];
    size_t n = 0;
    buf[0] = '\0';
    CHECK(sse_read_until(fd, buf, sizeof(buf), &n, 0, "retry: 3000", 5000));
    size_t from = n;
    char path[64];
    snprintf(path, sizeof(path), "/blog/like/%lld", (long long)blog);
    CHECK(put_ok(path, &fan));
    CHECK(sse_read_until(fd, buf, sizeof(buf), &n, from, "\n\n", 5000) &&
          strstr(buf + from, "event: message"));
    char *idl = strstr(buf + from, "id: "), *dl = strstr(buf + from, "data: ");
    CHECK(idl && dl);
    if (idl && dl) {
        char id[64] = "";
        sscanf(idl + 4, "%63[0-9-]", id);
        char *eol = strchr(dl, '\n');
        if (eol)
            *eol = '\0';
        struct json_object *d = json_tokener_parse(dl + 6);
        CHECK(d != NULL);
        CHECK(ji(jpath(d, "user", NULL), "id") == fan.id);
        CHECK_STR(js(jpath(d, "message", NULL), "id"), id);
        CHECK_STR(js(jpath(d, "message", NULL), "type"), "like");
        CHECK(ji(jpath(d, "message", NULL), "refId") == blog);
        CHECK(ji(jpath(d, "message", NULL), "from") == fan.id);
        json_object_put(d);
        redisReply *r = user_stream(author.id);
        CHECK(r && r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
              strcmp(r->element[0]->element[0]->str, id) == 0);
        if (r)
            freeReplyObject(r);
    }
    if (fd >= 0)
        close(fd);
    free(author.token);
    free(fan.token);
}

/* ---------------- list, unread, read ---------------- */

static void
test_list_unread_read(void)
{
    struct user u = login();
    int64_t oids[3];
    for (int i = 0; i < 3; i++) {
        int64_t vid = new_seckill();
        oids[i] = buy(&u, vid);
        CHECK(oids[i] > 0);
        /* one at a time, so the entry order is the buying order */
        CHECK(wait_persisted(u.id, i + 1, 10000));
    }
    CHECK(unread(&u) == 3);
    long st;
    struct json_object *l = list(&u, "size=2", &st);
    CHECK(l && json_object_array_length(l) == 2);
    char ids[3][64] = {"", "", ""};
    for (int i = 0; l && i < 2; i++) {
        struct json_object *it = json_object_array_get_idx(l, (size_t)i);
        snprintf(ids[i], sizeof(ids[i]), "%s",
                 json_object_get_string(jpath(it, "message", "id")));
        char os[32];
        snprintf(os, sizeof(os), "%lld", (long long)oids[2 - i]);
        CHECK_STR(json_object_get_string(jpath(it, "message", "refId")), os);
    }
    json_object_put(l);
    char q[128];
    snprintf(q, sizeof(q), "before=%s", ids[1]);
    l = list(&u, q, &st);
    CHECK(l && json_object_array_length(l) == 1);
    if (l && json_object_array_length(l) == 1)
        snprintf(ids[2], sizeof(ids[2]), "%s",
                 json_object_get_string(
                     jpath(json_object_array_get_idx(l, 0), "message", "id")));
    json_object_put(l);
    /* mark up to the middle one: the two oldest */
    snprintf(q, sizeof(q), "upTo=%s", ids[1]);
    CHECK(mark_read(&u, q) == 2);
    CHECK(unread(&u) == 1);
    CHECK(mark_read(&u, q) == 0);
    l = list(&u, NULL, &st);
    CHECK(l && json_object_array_length(l) == 3);
    for (int i = 0; l && i < 3; i++) {
        struct json_object *rd =
            jpath(json_object_array_get_idx(l, (size_t)i), "read", NULL);
        CHECK(rd && json_object_get_boolean(rd) == (i > 0));
    }
    json_object_put(l);
    CHECK(mark_read(&u, NULL) == 1);
    CHECK(unread(&u) == 0);
    /* someone else's notices are not mine */
    struct user v = login();
    CHECK(unread(&v) == 0);
    l = list(&v, NULL, &st);
    CHECK(l && json_object_array_length(l) == 0);
    json_object_put(l);
    free(u.token);
    free(v.token);
}

static void
test_bad_input(void)
{
    struct user u = login();
    static const char *const bad[] = {
        "before=x",     "before=1-",    "before=-1",
        "before=1-2-3", "before=1.5-2", "size=0",
        "size=51",      "size=abc",     "before=99999999999999999999-1"};
    long st;
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        struct json_object *l = list(&u, bad[i], &st);
        CHECK(l == NULL && st == 400);
        json_object_put(l);
    }
    CHECK(mark_read(&u, "upTo=abc") == -400);
    CHECK(mark_read(&u, "upTo=1-x") == -400);
    struct json_object *l = list(NULL, NULL, &st);
    CHECK(l == NULL && st == 401);
    struct resp r;
    CHECK(h_get("/message/unread/count", NULL, &r) == 0 && r.status == 401);
    h_free(&r);
    CHECK(h_put("/message/read", NULL, NULL, &r) == 0 && r.status == 401);
    h_free(&r);
    CHECK(h_http("POST", "/message/read", u.token, NULL, NULL, NULL, 0, &r) ==
              0 &&
          r.status == 405);
    h_free(&r);
    free(u.token);
}

int
main(void)
{
    h_init();
    RUN(test_order_notice);
    RUN(test_order_notice_waits_for_the_row);
    RUN(test_like_notice);
    RUN(test_comment_notice);
    RUN(test_follow_notice);
    RUN(test_like_reaches_sse);
    RUN(test_notice_spooled);
    RUN(test_list_unread_read);
    RUN(test_bad_input);
    T_DONE();
}
