/*
 * test_follow.c: follows against the real stack: MySQL rows, the Redis
 * mirror follows:{id} and tb_user_info counts stay in agreement;
 * idempotence, refusals, common follows, and the rebuild of a missing set.
 */
#include "h.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
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

/* PUT /follow/{id}/{flag}; returns the HTTP status, *ok = success. */
static long
follow(const struct user *me, int64_t id, const char *flag, int *ok)
{
    char path[128];
    struct resp r;
    snprintf(path, sizeof(path), "/follow/%lld/%s", (long long)id, flag);
    if (h_put(path, me ? me->token : NULL, NULL, &r) != 0)
        return -1;
    long st = r.status;
    if (ok)
        *ok = h_success(&r);
    h_free(&r);
    return st;
}

/* GET /follow/or/not/{id}: 1/0, or -1 when the answer is not a bool. */
static int
is_following(const struct user *me, int64_t id)
{
    char path[128];
    struct resp r;
    snprintf(path, sizeof(path), "/follow/or/not/%lld", (long long)id);
    if (h_get(path, me->token, &r) != 0)
        return -1;
    struct json_object *d = h_data(&r);
    int v = -1;
    if (r.status == 200 && h_success(&r) && d &&
        json_object_is_type(d, json_type_boolean))
        v = json_object_get_boolean(d);
    h_free(&r);
    return v;
}

static long long
rows(int64_t a, int64_t b)
{
    return h_sql_int("SELECT COUNT(*) FROM tb_follow WHERE user_id = %lld AND "
                     "follow_user_id = %lld",
                     (long long)a, (long long)b);
}

static long long
fans(int64_t u)
{
    return h_sql_int("SELECT fans FROM tb_user_info WHERE user_id = %lld",
                     (long long)u);
}

static long long
followee(int64_t u)
{
    return h_sql_int("SELECT followee FROM tb_user_info WHERE user_id = %lld",
                     (long long)u);
}

static long long
in_set(int64_t owner, int64_t member)
{
    return h_redis_int("SISMEMBER follows:%lld %lld", (long long)owner,
                       (long long)member);
}

static void
test_follow_unfollow_consistency(void)
{
    struct user a = login(), b = login();
    int ok = 0;
    CHECK(follow(&a, b.id, "true", &ok) == 200 && ok);
    CHECK(rows(a.id, b.id) == 1);
    CHECK(fans(b.id) == 1);
    CHECK(followee(a.id) == 1);
    CHECK(is_following(&a, b.id) == 1);
    CHECK(is_following(&b, a.id) == 0);
    /* the read built the mirror: sentinel + b */
    CHECK(in_set(a.id, 0) == 1);
    CHECK(in_set(a.id, b.id) == 1);

    /* following twice: still one row, counts unchanged */
    CHECK(follow(&a, b.id, "true", &ok) == 200 && ok);
    CHECK(rows(a.id, b.id) == 1);
    CHECK(fans(b.id) == 1);
    CHECK(followee(a.id) == 1);

    /* unfollow: row, set and counts go together */
    CHECK(follow(&a, b.id, "false", &ok) == 200 && ok);
    CHECK(rows(a.id, b.id) == 0);
    CHECK(in_set(a.id, b.id) == 0);
    CHECK(in_set(a.id, 0) == 1);
    CHECK(fans(b.id) == 0);
    CHECK(followee(a.id) == 0);
    CHECK(is_following(&a, b.id) == 0);

    /* unfollowing someone not followed: a no-op success, never below 0 */
    CHECK(follow(&a, b.id, "false", &ok) == 200 && ok);
    CHECK(fans(b.id) == 0);
    CHECK(followee(a.id) == 0);

    /* with the mirror built, a follow updates it in place */
    CHECK(follow(&a, b.id, "true", &ok) == 200 && ok);
    CHECK(in_set(a.id, b.id) == 1);
    free(a.token);
    free(b.token);
}

static void
test_self_follow_refused(void)
{
    struct user a = login();
    struct resp r;
    char path[128];
    snprintf(path, sizeof(path), "/follow/%lld/true", (long long)a.id);
    CHECK(h_put(path, a.token, NULL, &r) == 0);
    CHECK(r.status == 200);
    CHECK(!h_success(&r));
    CHECK_STR(h_errmsg(&r), "不能关注自己");
    h_free(&r);
    CHECK(rows(a.id, a.id) == 0);
    CHECK(is_following(&a, a.id) == 0);
    free(a.token);
}

static void
test_unknown_user_and_bad_input(void)
{
    struct user a = login();
    int ok;
    CHECK(follow(&a, 987654321098LL, "true", &ok) == 404);
    CHECK(follow(&a, 987654321098LL, "false", &ok) == 404);
    CHECK(h_sql_int("SELECT COUNT(*) FROM tb_follow WHERE user_id = %lld",
                    (long long)a.id) == 0);
    CHECK(follow(&a, 1, "yes", &ok) == 400);
    CHECK(follow(&a, 1, "TRUE", &ok) == 400);
    CHECK(follow(&a, 0, "true", &ok) == 400);
    CHECK(follow(&a, -5, "true", &ok) == 400);

    struct resp r;
    CHECK(h_put("/follow/abc/true", a.token, NULL, &r) == 0);
    CHECK(r.status == 400);
    h_free(&r);
    CHECK(h_get("/follow/or/not/abc", a.token, &r) == 0);
    CHECK(r.status == 400);
    h_free(&r);
    CHECK(h_get("/follow/common/0", a.token, &r) == 0);
    CHECK(r.status == 400);
    h_free(&r);
    /* login gate */
    CHECK(follow(NULL, 1, "true", &ok) == 401);
    CHECK(h_get("/follow/or/not/1", NULL, &r) == 0);
    CHECK(r.status == 401);
    h_free(&r);
    CHECK(h_get("/follow/common/1", NULL, &r) == 0);
    CHECK(r.status == 401);
    h_free(&r);
    free(a.token);
}

/* ids of GET /follow/common/{id}; checks every element's shape. */
static size_t
common(const struct user *me, int64_t other, int64_t *ids, size_t max)
{
    char path[128];
    struct resp r;
    snprintf(path, sizeof(path), "/follow/common/%lld", (long long)other);
    if (h_get(path, me->token, &r) != 0)
        return (size_t)-1;
    size_t n = (size_t)-1;
    struct json_object *d = h_data(&r);
    if (r.status == 200 && h_success(&r) && d &&
        json_object_is_type(d, json_type_array)) {
        n = json_object_array_length(d);
        for (size_t i = 0; i < n && i < max; i++) {
            struct json_object *u = json_object_array_get_idx(d, i), *v;
            CHECK(json_object_object_get_ex(u, "id", &v));
            ids[i] = json_object_get_int64(v);
            CHECK(json_object_object_get_ex(u, "nickName", &v));
            CHECK(json_object_object_get_ex(u, "icon", &v));
            CHECK(!json_object_object_get_ex(u, "phone", &v));
            CHECK(!json_object_object_get_ex(u, "password", &v));
            CHECK(json_object_object_length(u) == 3);
        }
    }
    h_free(&r);
    return n;
}

static void
test_common_follows(void)
{
    struct user a = login(), b = login(), c = login();
    struct user x = login(), y = login(), z = login(), w = login();
    int ok;
    /* a: x y z; b: z y w (y and z in common) */
    follow(&a, x.id, "true", &ok);
    follow(&a, z.id, "true", &ok);
    follow(&a, y.id, "true", &ok);
    follow(&b, z.id, "true", &ok);
    follow(&b, w.id, "true", &ok);
    follow(&b, y.id, "true", &ok);
    int64_t ids[8];
    size_t n = common(&a, b.id, ids, 8);
    CHECK(n == 2);
    if (n == 2) {
        int64_t lo = y.id < z.id ? y.id : z.id, hi = y.id < z.id ? z.id : y.id;
        CHECK(ids[0] == lo && ids[1] == hi); /* sorted by id */
    }
    /* symmetric, and empty when nothing is shared */
    CHECK(common(&b, a.id, ids, 8) == 2);
    CHECK(common(&a, c.id, ids, 8) == 0);
    CHECK(common(&c, a.id, ids, 8) == 0);
    /* an unknown user follows nobody */
    CHECK(common(&a, 987654321098LL, ids, 8) == 0);
    CHECK(h_redis_int("EXISTS follows:987654321098") == 0);
    /* after an unfollow the intersection shrinks */
    follow(&b, y.id, "false", &ok);
    n = common(&a, b.id, ids, 8);
    CHECK(n == 1 && ids[0] == z.id);
    struct user *all[] = {&a, &b, &c, &x, &y, &z, &w};
    for (int i = 0; i < 7; i++)
        free(all[i]->token);
}

/* The body of GET /follow/common/{other} as me (NULL on failure). */
static char *
common_body(const struct user *me, int64_t other)
{
    char path[128];
    struct resp r;
    snprintf(path, sizeof(path), "/follow/common/%lld", (long long)other);
    if (h_get(path, me->token, &r) != 0)
        return NULL;
    char *b = r.status == 200 && h_success(&r) ? strdup(r.body) : NULL;
    h_free(&r);
    return b;
}

/* common() asked `times` times (the workers each keep copies of answers
 * they served): every answer is the list want[0..n). */
static int
common_is(const struct user *me, int64_t other, const int64_t *want, size_t n,
          int times)
{
    int ok = 1;
    for (int t = 0; t < times; t++) {
        int64_t ids[16];
        size_t got = common(me, other, ids, 16);
        if (got != n) {
            printf("  common: %zu users, expected %zu\n", got, n);
            ok = 0;
            continue;
        }
        for (size_t i = 0; i < n; i++)
            if (ids[i] != want[i]) {
                printf("  common[%zu] = %lld, expected %lld\n", i,
                       (long long)ids[i], (long long)want[i]);
                ok = 0;
            }
    }
    return ok;
}

static int
cmp_i64(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

/* The rendered answer is cached per pair (and copied by each worker):
 * every follow and unfollow of either user shows in the very next
 * answer, from both sides; so does the loss of a set. */
static void
test_common_cache_fresh(void)
{
    struct user a = login(), b = login(), x = login(), y = login(), z = login();
    int ok;
    int64_t v[3] = {x.id, y.id, z.id};
    qsort(v, 3, sizeof(v[0]), cmp_i64);
    follow(&a, x.id, "true", &ok);
    follow(&a, y.id, "true", &ok);
    follow(&b, x.id, "true", &ok);
    follow(&b, y.id, "true", &ok);
    int64_t xy[2] = {x.id < y.id ? x.id : y.id, x.id < y.id ? y.id : x.id};
    CHECK(common_is(&a, b.id, xy, 2, 6));
    CHECK(common_is(&b, a.id, xy, 2, 6));
    int64_t lo = a.id < b.id ? a.id : b.id, hi = a.id < b.id ? b.id : a.id;
    CHECK(h_redis_int("EXISTS cache:follow:common:%lld:%lld", (long long)lo,
                      (long long)hi) == 1);
    /* the users' own texts are cached, byte for byte what the list shows */
    char *body = common_body(&a, b.id);
    char want[512];
    snprintf(want, sizeof(want), "{\"id\":%lld,", (long long)xy[0]);
    redisReply *r =
        redisCommand(h_redis(), "GET cache:user:%lld", (long long)xy[0]);
    CHECK(r && r->type == REDIS_REPLY_STRING &&
          strncmp(r->str, want, strlen(want)) == 0 && body &&
          strstr(body, r->str) != NULL);
    if (r)
        freeReplyObject(r);
    free(body);

    /* a follow by one side only: no change; by both: at once */
    follow(&a, z.id, "true", &ok);
    CHECK(common_is(&a, b.id, xy, 2, 6));
    follow(&b, z.id, "true", &ok);
    CHECK(common_is(&a, b.id, v, 3, 6));
    CHECK(common_is(&b, a.id, v, 3, 6));
    /* an unfollow by either side: at once */
    follow(&b, x.id, "false", &ok);
    int64_t yz[2] = {y.id < z.id ? y.id : z.id, y.id < z.id ? z.id : y.id};
    CHECK(common_is(&b, a.id, yz, 2, 6));
    CHECK(common_is(&a, b.id, yz, 2, 6));
    follow(&a, y.id, "false", &ok);
    CHECK(common_is(&a, b.id, &z.id, 1, 6));
    /* a set lost and rebuilt from MySQL: the same answer */
    h_redis_int("DEL follows:%lld", (long long)a.id);
    CHECK(common_is(&a, b.id, &z.id, 1, 6));
    /* a follow made while the set is missing (not mirrored, left to the
     * rebuild) still shows */
    h_redis_int("DEL follows:%lld", (long long)a.id);
    follow(&a, x.id, "true", &ok);
    follow(&b, x.id, "true", &ok);
    int64_t xz[2] = {x.id < z.id ? x.id : z.id, x.id < z.id ? z.id : x.id};
    CHECK(common_is(&a, b.id, xz, 2, 6));
    struct user *all[] = {&a, &b, &x, &y, &z};
    for (int i = 0; i < 5; i++)
        free(all[i]->token);
}

static void
test_rebuild_missing_set(void)
{
    struct user a = login(), x = login(), y = login(), b = login();
    int ok;
    follow(&a, x.id, "true", &ok);
    follow(&a, y.id, "true", &ok);
    follow(&b, y.id, "true", &ok);
    CHECK(is_following(&a, x.id) == 1);
    CHECK(h_redis_int("SCARD follows:%lld", (long long)a.id) == 3);

    /* Redis flushed: rebuilt from MySQL on demand */
    h_redis_int("DEL follows:%lld", (long long)a.id);
    CHECK(is_following(&a, y.id) == 1);
    CHECK(h_redis_int("SCARD follows:%lld", (long long)a.id) == 3);
    CHECK(in_set(a.id, x.id) == 1 && in_set(a.id, y.id) == 1);

    /* a row written by a dump, not by us: found after the set is gone */
    CHECK(h_sql_exec("INSERT INTO tb_follow (user_id, follow_user_id) VALUES "
                     "(%lld, %lld)",
                     (long long)a.id, (long long)b.id) == 0);
    CHECK(is_following(&a, b.id) == 0); /* the mirror does not know yet */
    h_redis_int("DEL follows:%lld", (long long)a.id);
    CHECK(is_following(&a, b.id) == 1);

    /* a set someone filled without the sentinel counts as missing */
    h_redis_int("DEL follows:%lld", (long long)b.id);
    h_redis_int("SADD follows:%lld 42", (long long)b.id);
    int64_t ids[4];
    size_t n = common(&a, b.id, ids, 4);
    CHECK(n == 1 && ids[0] == y.id);
    CHECK(in_set(b.id, 42) == 0 && in_set(b.id, 0) == 1);

    /* follows nobody: the sentinel alone, then a follow lands in it */
    struct user c = login();
    CHECK(is_following(&c, x.id) == 0);
    CHECK(h_redis_int("SCARD follows:%lld", (long long)c.id) == 1);
    follow(&c, x.id, "true", &ok);
    CHECK(in_set(c.id, x.id) == 1);
    /* a follow while the set is missing is picked up by the rebuild */
    h_redis_int("DEL follows:%lld", (long long)c.id);
    follow(&c, y.id, "true", &ok);
    CHECK(h_redis_int("EXISTS follows:%lld", (long long)c.id) == 0);
    CHECK(is_following(&c, y.id) == 1);
    CHECK(in_set(c.id, x.id) == 1);
    struct user *all[] = {&a, &x, &y, &b, &c};
    for (int i = 0; i < 5; i++)
        free(all[i]->token);
}

/* Children toggle the same follow concurrently (a double click); at the
 * end the row, the mirror and both counters must agree. */
static void
test_concurrent_toggles(void)
{
    struct user a = login(), b = login();
    is_following(&a, b.id); /* build the mirror so every change hits it */
    enum { KIDS = 8, STEPS = 12 };
    for (int k = 0; k < KIDS; k++) {
        pid_t pid = fork();
        if (pid == 0) {
            h_init();
            for (int s = 0; s < STEPS; s++)
                follow(&a, b.id, (s + k) % 2 ? "true" : "false", NULL);
            _exit(0);
        }
    }
    for (int k = 0; k < KIDS; k++)
        wait(NULL);
    long long r = rows(a.id, b.id);
    CHECK(r == 0 || r == 1);
    CHECK(in_set(a.id, b.id) == r);
    CHECK(fans(b.id) == r);
    CHECK(followee(a.id) == r);
    CHECK(is_following(&a, b.id) == r);
    free(a.token);
    free(b.token);
}

int
main(void)
{
    h_init();
    RUN(test_follow_unfollow_consistency);
    RUN(test_self_follow_refused);
    RUN(test_unknown_user_and_bad_input);
    RUN(test_common_follows);
    RUN(test_common_cache_fresh);
    RUN(test_rebuild_missing_set);
    RUN(test_concurrent_toggles);
    T_DONE();
}
