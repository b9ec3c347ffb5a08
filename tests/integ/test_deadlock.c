/*
 * test_deadlock.c: transactions that collide in MySQL. 20 parallel
 * comment deletes beside the delete of their blog, 5 rounds: InnoDB picks
 * deadlock victims (error 1213) and lock-wait timeouts (1205); the app
 * retries the whole transaction a bounded number of times and otherwise
 * answers a conflict, never 503 "store down". Whatever the interleaving,
 * the blog ends deleted with no comment rows left and no counter below 0.
 */
#include "h.h"
#include "h_multi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int64_t
publish(const char *tok)
{
    struct resp r;
    int64_t id = -1;
    if (h_post_json("/blog", tok,
                    "{\"title\":\"deadlock\",\"content\":\"c\",\"images\":"
                    "\"\",\"shopId\":1}",
                    &r) == 0 &&
        r.status == 200 && h_success(&r) && h_data(&r))
        id = json_object_get_int64(h_data(&r));
    else
        printf("  POST /blog: %ld %s\n", r.status, r.body ? r.body : "");
    h_free(&r);
    return id;
}

static int64_t
comment(const char *tok, int64_t blog, int64_t parent)
{
    char body[160];
    snprintf(body, sizeof(body),
             "{\"blogId\":%lld,\"parentId\":%lld,\"answerId\":%lld,"
             "\"content\":\"c\"}",
             (long long)blog, (long long)parent, (long long)parent);
    struct resp r;
    int64_t id = -1;
    struct json_object *v;
    if (h_post_json("/comment/post", tok, body, &r) == 0 && h_success(&r) &&
        json_object_object_get_ex(h_data(&r), "id", &v))
        id = json_object_get_int64(v);
    else
        printf("  POST /comment/post: %ld %s\n", r.status,
               r.body ? r.body : "");
    h_free(&r);
    return id;
}

enum { COMMENTS = 20, ROUNDS = 5 };

static void
test_deletes_collide(void)
{
    int64_t uid;
    char *author = h_login_user(&uid);
    CHECK(author != NULL);
    if (author == NULL)
        return;
    int fails = 0, conflicts = 0;
    for (int round = 0; round < ROUNDS; round++) {
        int64_t blog = publish(author);
        CHECK(blog > 0);
        if (blog <= 0)
            break;
        int64_t ids[COMMENTS];
        for (int i = 0; i < COMMENTS; i++)
            /* half top-level, half replies to the first (a top-level
             * delete takes its replies along: more overlapping rows) */
            ids[i] = comment(author, blog, i % 2 == 0 ? 0 : ids[0]);
        struct hm_req q[COMMENTS + 1];
        struct hm_res res[COMMENTS + 1];
        memset(q, 0, sizeof(q));
        for (int i = 0; i < COMMENTS; i++) {
            q[i].method = "DELETE";
            snprintf(q[i].path, sizeof(q[i].path), "/comment/%lld",
                     (long long)ids[i]);
            q[i].token = author;
        }
        /* the blog's delete in the middle of the comment deletes */
        struct hm_req tmp = q[COMMENTS / 2];
        q[COMMENTS / 2].method = "DELETE";
        snprintf(q[COMMENTS / 2].path, sizeof(q[0].path), "/blog/%lld",
                 (long long)blog);
        q[COMMENTS] = tmp;
        hm_run(q, res, COMMENTS + 1, COMMENTS + 1);
        for (int i = 0; i <= COMMENTS; i++) {
            if (res[i].status >= 500 || res[i].status == 0) {
                if (fails++ < 5)
                    printf("  round %d %s: %ld %s\n", round, q[i].path,
                           res[i].status, res[i].body ? res[i].body : "");
            } else if (res[i].status == 409 ||
                       (res[i].status == 200 && !hm_success(&res[i]) &&
                        hm_errmsg(&res[i]) &&
                        strstr(hm_errmsg(&res[i]), "稍后") != NULL)) {
                conflicts++;
            }
        }
        /* the blog's delete itself may have been the conflict: the owner
         * tries again, as the page would */
        struct resp r;
        char path[64];
        snprintf(path, sizeof(path), "/blog/%lld", (long long)blog);
        for (int k = 0; k < 5 && h_sql_int("SELECT COUNT(*) FROM tb_blog "
                                           "WHERE id = %lld",
                                           (long long)blog) == 1;
             k++) {
            CHECK(h_del(path, author, &r) == 0 && r.status < 500);
            h_free(&r);
        }
        CHECK(h_sql_int("SELECT COUNT(*) FROM tb_blog WHERE id = %lld",
                        (long long)blog) == 0);
        CHECK(h_sql_int("SELECT COUNT(*) FROM tb_blog_comments WHERE "
                        "blog_id = %lld",
                        (long long)blog) == 0);
        hm_free(res, COMMENTS + 1);
    }
    printf("  %d rounds of %d comment deletes + the blog's: %d answered "
           "5xx, %d conflicts after retries\n",
           ROUNDS, COMMENTS, fails, conflicts);
    CHECK(fails == 0);
    CHECK(h_sql_int("SELECT COUNT(*) FROM tb_blog WHERE comments < 0") == 0);
    free(author);
}

int
main(void)
{
    h_init();
    RUN(test_deletes_collide);
    T_DONE();
}
