/*
 * test_zzz_demo.c: the demo-data generator (tests/bench/demo_data.c) at a
 * tiny scale against the test stack, checked through the API: what it
 * wrote must be what the app would have written. Counters agree with the
 * rows and sets (fans, followee, liked), a follower's feed holds the
 * newest blog of a pushed author and the blogs of the pulled big
 * authors, common follows and shops near a point answer, and a second
 * run refuses to load over the first.
 *
 * It runs last (the name): its big authors and much-liked blogs would
 * otherwise crowd the hot page and the GEO searches of other tests.
 */
#include "h.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define DEMO_SCALE "0.01"

static char demo_env_path[256];
static int demo_rc = -1;

/* KEY=VALUE lines of the generator's output file */
static char demo_keys[64][256], demo_vals[64][256];
static int demo_n;

static const char *
dv(const char *key)
{
    for (int i = 0; i < demo_n; i++)
        if (strcmp(demo_keys[i], key) == 0)
            return demo_vals[i];
    return "";
}

static long long
di(const char *key)
{
    return atoll(dv(key));
}

/* Runs the test build of the generator; returns its exit status. */
static int
demo_run(const char *out)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "%s/build/test/demo-data %s %s 2>%s.log",
             h_env("HMDP_REPO"), DEMO_SCALE, out, out);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void
demo_load(void)
{
    snprintf(demo_env_path, sizeof(demo_env_path), "/tmp/hmdp-demo-%d.env",
             (int)getpid());
    demo_rc = demo_run(demo_env_path);
    FILE *f = fopen(demo_env_path, "r");
    char line[256];
    while (f && fgets(line, sizeof(line), f) && demo_n < 64) {
        char *eq = strchr(line, '=');
        if (line[0] == '#' || !eq)
            continue;
        *eq = '\0';
        eq[strcspn(eq + 1, "\n") + 1] = '\0';
        snprintf(demo_keys[demo_n], sizeof(demo_keys[0]), "%s", line);
        snprintf(demo_vals[demo_n], sizeof(demo_vals[0]), "%s", eq + 1);
        demo_n++;
    }
    if (f)
        fclose(f);
}

static long long
jint(struct json_object *o, const char *k)
{
    struct json_object *v;
    return o && json_object_object_get_ex(o, k, &v) ? json_object_get_int64(v)
                                                    : -1;
}

static void
test_generator_ran(void)
{
    CHECK(demo_rc == 0);
    CHECK(di("DEMO_USERS") > 5000);
    CHECK(di("DEMO_FOLLOWS") == h_sql_int("SELECT COUNT(*) FROM tb_follow "
                                          "WHERE user_id > 10000000 AND "
                                          "user_id <= 10000000 + %lld",
                                          di("DEMO_USERS")));
    CHECK(di("DEMO_BLOGS") == h_sql_int("SELECT COUNT(*) FROM tb_blog WHERE "
                                        "id > 10000000 AND id <= 10000000 + "
                                        "%lld",
                                        di("DEMO_BLOGS")));
}

/* fans/followee on /user/info = the tb_follow rows = the follows sets */
static void
test_counts_match(void)
{
    long long big = di("DEMO_BIG_AUTHOR_0");
    struct resp r;
    char path[128];
    CHECK(big > 0);
    snprintf(path, sizeof(path), "/user/info/%lld", big);
    CHECK(h_get(path, NULL, &r) == 0 && h_success(&r));
    long long fans = jint(h_data(&r), "fans");
    h_free(&r);
    CHECK(fans == di("DEMO_BIG_AUTHOR_0_FANS"));
    CHECK(fans == h_sql_int("SELECT COUNT(*) FROM tb_follow WHERE "
                            "follow_user_id = %lld",
                            big));
    /* more fans than the threshold: pulled, and listed as such */
    CHECK(fans > di("DEMO_PUSH_THRESHOLD"));
    CHECK(h_redis_int("SISMEMBER feed:big-authors %lld", big) == 1);

    long long fu = di("DEMO_FEED_USER");
    snprintf(path, sizeof(path), "/user/info/%lld", fu);
    CHECK(h_get(path, NULL, &r) == 0 && h_success(&r));
    long long followee = jint(h_data(&r), "followee");
    h_free(&r);
    CHECK(followee == di("DEMO_FEED_USER_FOLLOWS"));
    CHECK(followee == h_sql_int("SELECT COUNT(*) FROM tb_follow WHERE "
                                "user_id = %lld",
                                fu));
    /* the mirror: the ids plus its sentinel */
    CHECK(h_redis_int("SCARD follows:%lld", fu) == followee + 1);
    CHECK(h_redis_int("SISMEMBER follows:%lld 0", fu) == 1);
    /* every demo user's counters against the rows, in one query */
    CHECK(h_sql_int("SELECT COUNT(*) FROM tb_user_info i WHERE i.user_id > "
                    "10000000 AND i.user_id <= 10000000 + %lld AND (i.fans "
                    "<> (SELECT COUNT(*) FROM tb_follow f WHERE "
                    "f.follow_user_id = i.user_id) OR i.followee <> (SELECT "
                    "COUNT(*) FROM tb_follow f WHERE f.user_id = i.user_id))",
                    di("DEMO_USERS")) == 0);
}

/* a blog's liked = its likers */
static void
test_likes_match(void)
{
    long long b = di("DEMO_LIKED_BLOG");
    struct resp r;
    char path[128];
    snprintf(path, sizeof(path), "/blog/%lld", b);
    CHECK(h_get(path, NULL, &r) == 0 && h_success(&r));
    long long liked = jint(h_data(&r), "liked");
    h_free(&r);
    CHECK(liked == di("DEMO_LIKED_BLOG_LIKES"));
    CHECK(liked == h_redis_int("ZCARD blog:liked:%lld", b));
    snprintf(path, sizeof(path), "/blog/likes/%lld", b);
    CHECK(h_get(path, NULL, &r) == 0 && h_success(&r));
    struct json_object *d = h_data(&r);
    CHECK(d && json_object_is_type(d, json_type_array) &&
          json_object_array_length(d) == 5);
    h_free(&r);
    /* every demo blog's counter against its like set */
    long long bad = 0, nb = di("DEMO_BLOGS");
    for (long long i = 1; i <= nb; i++) {
        long long id = 10000000 + i;
        long long z = h_redis_int("ZCARD blog:liked:%lld", id);
        if (z != h_sql_int("SELECT liked FROM tb_blog WHERE id = %lld", id))
            bad++;
    }
    CHECK(bad == 0);
}

/* Pages through the feed of token (at most 200 pages) and tells whether
 * blog a and blog b were in it. */
static void
feed_find(const char *token, long long a, long long b, int *has_a, int *has_b,
          int *pages_ok)
{
    long long last = 9999999999999LL, off = 0;
    *has_a = *has_b = 0;
    *pages_ok = 1;
    for (int page = 0; page < 200 && !(*has_a && *has_b); page++) {
        char path[128];
        struct resp r;
        snprintf(path, sizeof(path), "/blog/of/follow?lastId=%lld&offset=%lld",
                 last, off);
        if (h_get(path, token, &r) != 0 || !h_success(&r)) {
            *pages_ok = 0;
            h_free(&r);
            return;
        }
        struct json_object *d = h_data(&r), *list;
        if (!d || !json_object_object_get_ex(d, "list", &list) ||
            json_object_array_length(list) == 0) {
            h_free(&r);
            return;
        }
        for (size_t i = 0; i < json_object_array_length(list); i++) {
            long long id = jint(json_object_array_get_idx(list, i), "id");
            *has_a |= id == a;
            *has_b |= id == b;
        }
        last = jint(d, "minTime");
        off = jint(d, "offset");
        h_free(&r);
    }
}

/* the follower's feed: the newest blog of a pushed author (from the
 * inbox) and the big author's newest (pulled from MySQL) */
static void
test_feed(void)
{
    const char *tok = dv("DEMO_FEED_TOKEN");
    long long pushed = di("DEMO_PUSHED_AUTHOR_NEWEST_BLOG");
    long long pulled = di("DEMO_BIG_BLOG");
    CHECK(strlen(tok) == 32 && pushed > 0 && pulled > 0);
    CHECK(di("DEMO_FEED_USER_PULLED") >= 3);
    /* the pushed blog sits in the inbox with its create_time as score */
    CHECK(h_redis_int("ZSCORE feed:%lld %lld", di("DEMO_FEED_USER"), pushed) ==
          1000 * h_sql_int("SELECT UNIX_TIMESTAMP(create_time) FROM tb_blog "
                           "WHERE id = %lld",
                           pushed));
    /* the pulled one does not (nil): it comes from tb_blog */
    CHECK(h_redis_int("ZSCORE feed:%lld %lld", di("DEMO_FEED_USER"), pulled) ==
          -1);
    int has_pushed, has_pulled, ok;
    feed_find(tok, pushed, pulled, &has_pushed, &has_pulled, &ok);
    CHECK(ok);
    CHECK(has_pushed);
    CHECK(has_pulled);
}

static void
test_common_and_shops(void)
{
    struct resp r;
    char path[256];
    snprintf(path, sizeof(path), "/follow/common/%lld", di("DEMO_COMMON_B"));
    CHECK(h_get(path, dv("DEMO_COMMON_A_TOKEN"), &r) == 0 && h_success(&r));
    struct json_object *d = h_data(&r);
    CHECK(d && json_object_is_type(d, json_type_array) &&
          (long long)json_object_array_length(d) == di("DEMO_COMMON_SHARED"));
    h_free(&r);

    snprintf(path, sizeof(path), "/shop/of/type?typeId=%s&current=1&x=%s&y=%s",
             dv("DEMO_SHOP_TYPE"), dv("DEMO_SHOP_X"), dv("DEMO_SHOP_Y"));
    CHECK(h_get(path, NULL, &r) == 0 && h_success(&r));
    d = h_data(&r);
    int demo_shop = 0;
    for (size_t i = 0; d && json_object_is_type(d, json_type_array) &&
                       i < json_object_array_length(d);
         i++)
        demo_shop |= jint(json_object_array_get_idx(d, i), "id") >
                     di("DEMO_FIRST_SHOP") - 1;
    CHECK(demo_shop);
    h_free(&r);
    /* a new shop id answers at once (the cached max id was dropped) */
    snprintf(path, sizeof(path), "/shop/%lld",
             di("DEMO_FIRST_SHOP") + di("DEMO_SHOPS") - 1);
    CHECK(h_get(path, NULL, &r) == 0 && h_success(&r));
    h_free(&r);
}

/* loaded once: a second run refuses and changes nothing */
static void
test_second_run_refused(void)
{
    char out[300];
    long long before = h_sql_int("SELECT COUNT(*) FROM tb_follow");
    snprintf(out, sizeof(out), "%s.again", demo_env_path);
    CHECK(demo_run(out) == 3);
    CHECK(h_sql_int("SELECT COUNT(*) FROM tb_follow") == before);
    remove(out);
    snprintf(out, sizeof(out), "%s.again.log", demo_env_path);
    remove(out);
}

int
main(void)
{
    h_init();
    demo_load();
    RUN(test_generator_ran);
    RUN(test_counts_match);
    RUN(test_likes_match);
    RUN(test_feed);
    RUN(test_common_and_shops);
    RUN(test_second_run_refused);
    char log[300];
    snprintf(log, sizeof(log), "%s.log", demo_env_path);
    remove(log);
    remove(demo_env_path);
    T_DONE();
}
