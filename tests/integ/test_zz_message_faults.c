/*
 * test_zz_message_faults.c: chat while MySQL is down for about ten
 * seconds. Sending needs no MySQL (the recipients are known to Redis), so
 * every message is accepted; chat-sync holds its batch while MySQL is
 * away and, once it is back, every message is in tb_chat_message exactly
 * once. Runs after test_zz_faults (it restarts MySQL itself).
 *
 * Then chat while redis-server is stopped: a sender whose session a
 * worker validated just before is served from the workers' session
 * cache, each message is spooled and answered with its id, other routes
 * and unknown or logged-out tokens answer 503, and once Redis is back
 * (same config, same AOF) each message is in its streams and in MySQL
 * exactly once.
 */
#include "h.h"

#include <hiredis/hiredis.h>
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

static char *
send_chat(const struct user *me, int64_t to, const char *text)
{
    char path[64], body[256];
    struct resp r;
    snprintf(path, sizeof(path), "/message/chat/%lld", (long long)to);
    snprintf(body, sizeof(body), "{\"content\":\"%s\"}", text);
    if (h_post_json(path, me->token, body, &r) != 0)
        return NULL;
    char *id = NULL;
    if (r.status == 200 && h_success(&r) && h_data(&r))
        id = strdup(json_object_get_string(h_data(&r)));
    else
        printf("  send: %ld %s\n", r.status, r.body);
    h_free(&r);
    return id;
}

/* Counts rows of tb_chat_message among ids through the mariadb client
 * (the test's own connection does not survive the restart); -1 when
 * MySQL does not answer. */
static long
rows_among(char **ids, int n)
{
    size_t cap = 256 + (size_t)n * 32;
    char *cmd = malloc(cap);
    int o = snprintf(cmd, cap,
                     "mariadb --no-defaults -S %s -uroot hmdp -N -e \"SELECT "
                     "COUNT(*) FROM tb_chat_message WHERE id IN (",
                     h_env("HMDP_MYSQL_SOCKET"));
    for (int i = 0; i < n; i++)
        o += snprintf(cmd + o, cap - (size_t)o, "%s'%s'", i ? "," : "",
                      ids[i] ? ids[i] : "x");
    snprintf(cmd + o, cap - (size_t)o, ")\" 2>/dev/null");
    FILE *p = popen(cmd, "r");
    free(cmd);
    long v = -1;
    if (p) {
        if (fscanf(p, "%ld", &v) != 1)
            v = -1;
        pclose(p);
    }
    return v;
}

static void
test_chat_through_mysql_outage(void)
{
    struct user s[3], r;
    r.token = h_login_user(&r.id);
    for (int i = 0; i < 3; i++)
        s[i].token = h_login_user(&s[i].id);
    enum { N = 60 };
    char *ids[N + 3] = {0};
    /* first contact (the recipient check may ask MySQL once) */
    for (int i = 0; i < 3; i++)
        ids[N + i] = send_chat(&s[i], r.id, "before");
    for (int i = 0; i < 3; i++)
        CHECK(ids[N + i] != NULL);

    struct h_daemon db;
    CHECK(h_daemon_stop("mysqld.pid", &db) == 0);
    if (db.pid <= 0)
        return;

    /* about ten seconds of chat, under each sender's rate */
    int64_t t0 = h_now_ms();
    for (int i = 0; i < N; i++) {
        char text[32];
        snprintf(text, sizeof(text), "outage %d", i);
        ids[i] = send_chat(&s[i % 3], r.id, text);
        CHECK(ids[i] != NULL);
        h_sleep_ms(150);
    }
    CHECK(h_now_ms() - t0 >= 9000);
    CHECK(rows_among(ids, N) == -1); /* still down */

    CHECK(h_daemon_start(&db) == 0);
    long got = -1;
    for (int w = 0; w < 300 && got != N + 3; w++) {
        h_sleep_ms(100);
        got = rows_among(ids, N + 3);
    }
    CHECK(got == N + 3);
    for (int i = 0; i < N + 3; i++)
        free(ids[i]);
    for (int i = 0; i < 3; i++)
        free(s[i].token);
    free(r.token);
}

/* Entries of stream key whose field mid equals mid; -1 when Redis does
 * not answer. */
static int
stream_count_mid(const char *key, const char *mid)
{
    redisReply *r = redisCommand(h_redis(), "XRANGE %s - +", key);
    if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
        if (r)
            freeReplyObject(r);
        return -1;
    }
    int n = 0;
    for (size_t i = 0; i < r->elements; i++) {
        redisReply *f = r->element[i]->element[1];
        for (size_t k = 0; f && k + 1 < f->elements; k += 2)
            if (strcmp(f->element[k]->str, "mid") == 0 &&
                strcmp(f->element[k + 1]->str, mid) == 0)
                n++;
    }
    freeReplyObject(r);
    return n;
}

static long
status_of(const char *method, const char *path, const char *token,
          const char *body)
{
    struct resp r;
    if (h_http(method, path, token, NULL, body ? "application/json" : NULL,
               body, body ? strlen(body) : 0, &r) != 0)
        return -1;
    long st = r.status;
    if (st == 503)
        CHECK(r.json && !h_success(&r) && h_errmsg(&r));
    h_free(&r);
    return st;
}

static void
test_chat_through_redis_outage(void)
{
    struct user s[2], r, gone;
    r.token = h_login_user(&r.id);
    gone.token = h_login_user(&gone.id);
    for (int i = 0; i < 2; i++)
        s[i].token = h_login_user(&s[i].id);
    /* a request each, just before the outage (any worker: the cache is
     * shared); gone logs out, which must reach every worker's cache */
    for (int i = 0; i < 2; i++)
        CHECK(status_of("GET", "/user/me", s[i].token, NULL) == 200);
    CHECK(status_of("GET", "/user/me", gone.token, NULL) == 200);
    CHECK(status_of("POST", "/user/logout", gone.token, NULL) == 200);
    char to[64];
    snprintf(to, sizeof(to), "/message/chat/%lld", (long long)r.id);

    long pid = h_run_pid("redis.pid");
    CHECK(pid > 0);
    if (pid <= 0)
        return;
    h_sh("redis-cli -p %s shutdown >/dev/null 2>&1", h_env("HMDP_REDIS_PORT"));
    for (int i = 0; i < 100 && kill((pid_t)pid, 0) == 0; i++)
        h_sleep_ms(50);
    CHECK(kill((pid_t)pid, 0) != 0);

    enum { N = 16 };
    char *ids[N] = {0};
    for (int i = 0; i < N; i++) {
        char text[32];
        snprintf(text, sizeof(text), "redis down %d", i);
        ids[i] = send_chat(&s[i % 2], r.id, text);
        CHECK(ids[i] != NULL && strlen(ids[i]) == 25);
        h_sleep_ms(60); /* under the per-sender rate */
    }
    CHECK(stream_count_mid("stream.chat", ids[0] ? ids[0] : "x") == -1);
    /* routes without the flag, unknown and logged-out sessions: 503 */
    for (int i = 0; i < 4; i++) {
        CHECK(status_of("GET", "/user/me", s[0].token, NULL) == 503);
        CHECK(status_of("GET", to, s[0].token, NULL) == 503);
        CHECK(status_of("POST", to, gone.token, "{\"content\":\"x\"}") == 503);
        CHECK(status_of("POST", to, "0123456789abcdef0123456789abcdef",
                        "{\"content\":\"x\"}") == 503);
    }
    /* the recipient check still holds (MySQL says): unknown user */
    struct resp rr;
    CHECK(h_post_json("/message/chat/999999999", s[0].token,
                      "{\"content\":\"x\"}", &rr) == 0 &&
          rr.status == 200 && !h_success(&rr) && h_errmsg(&rr) &&
          strcmp(h_errmsg(&rr), "用户不存在") == 0);
    if (rr.status != 200 || h_success(&rr))
        printf("  unknown recipient: %ld %s\n", rr.status, rr.body);
    h_free(&rr);

    /* the stack's own config: same port, socket and AOF */
    CHECK(h_sh("redis-server %s/redis.conf", h_env("HMDP_RUN_DIR")) == 0);
    char key[64];
    snprintf(key, sizeof(key), "message.stream:%lld", (long long)r.id);
    int all = 0;
    for (int w = 0; w < 200 && !all; w++) {
        h_sleep_ms(100);
        all = 1;
        for (int i = 0; i < N && all; i++)
            all = ids[i] && stream_count_mid("stream.chat", ids[i]) >= 1 &&
                  stream_count_mid(key, ids[i]) >= 1;
    }
    CHECK(all);
    h_sleep_ms(1500); /* another drain pass has run: still once */
    for (int i = 0; i < N; i++) {
        CHECK(ids[i] && stream_count_mid("stream.chat", ids[i]) == 1);
        CHECK(ids[i] && stream_count_mid(key, ids[i]) == 1);
    }
    long got = -1;
    for (int w = 0; w < 300 && got != N; w++) {
        h_sleep_ms(100);
        got = rows_among(ids, N);
    }
    CHECK(got == N);
    /* and everything is served from Redis again */
    CHECK(status_of("GET", "/user/me", s[0].token, NULL) == 200);
    for (int i = 0; i < N; i++)
        free(ids[i]);
    for (int i = 0; i < 2; i++)
        free(s[i].token);
    free(r.token);
    free(gone.token);
}

int
main(void)
{
    h_init();
    RUN(test_chat_through_mysql_outage);
    RUN(test_chat_through_redis_outage);
    T_DONE();
}
