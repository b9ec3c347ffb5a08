/*
 * test_browser.c: the messages page (conf/html/message.html) in a real
 * browser, through nginx, against the running stack (issue 11, "The
 * page"). This file makes the data through the API: users A, B and C, a
 * blog of A, liked by C (so A has one unread notification before the
 * page opens); tests/browser/message_page.js then drives headless
 * chromium (Debian's, tests/deps.sh) with playwright-core (npm,
 * tests/npm_deps.sh):
 *   - anonymous -> login.html;
 *   - A's page shows the count and C's like; B likes and chats through
 *     the API and both show live (the list, the chat view);
 *   - the gateway is killed and kept down until the browser gives up on
 *     its stream, B follows A meanwhile, and the page reopens its stream
 *     from its cursor when the gateway is back: the follow shows, once;
 *   - A answers from the send box; after reloads all is in the history;
 *   - 全部已读 marks them read; a chat on the notification view is
 *     announced, one replayed from before the page opened is not.
 * Each step of the script counts as one test here. Without node,
 * playwright-core or chromium the script cannot run to its end, and this
 * test fails and says what it needs.
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
    char nick[128];
};

static const char *
repo(void)
{
    const char *r = getenv("HMDP_REPO");
    return r && *r ? r : ".";
}

/* A fresh user with its nickname (GET /user/me); 0 when all went well. */
static int
login(struct user *u)
{
    struct resp r;
    int rc = -1;
    memset(u, 0, sizeof(*u));
    u->token = h_login_user(&u->id);
    if (u->token == NULL)
        return -1;
    if (h_get("/user/me", u->token, &r) == 0 && h_success(&r) && h_data(&r)) {
        struct json_object *n;
        if (json_object_object_get_ex(h_data(&r), "nickName", &n)) {
            snprintf(u->nick, sizeof(u->nick), "%s", json_object_get_string(n));
            rc = u->nick[0] ? 0 : -1;
        }
    }
    h_free(&r);
    return rc;
}

static long long
unread_of(const struct user *u)
{
    struct resp r;
    long long n = -1;
    if (h_get("/message/unread/count", u->token, &r) == 0 && h_success(&r) &&
        h_data(&r))
        n = json_object_get_int64(h_data(&r));
    h_free(&r);
    return n;
}

static void
setenv_ll(const char *k, long long v)
{
    char b[32];
    snprintf(b, sizeof(b), "%lld", v);
    setenv(k, b, 1);
}

int
main(void)
{
    h_init();
    struct user a, b, c;
    int ok = login(&a) == 0 && login(&b) == 0 && login(&c) == 0;
    if (!ok) {
        printf("not ok - three users log in, with nicknames\n");
        printf("0 passed, 1 failed\n");
        return 1;
    }

    /* A's blog, liked by C: A's one unread notification */
    struct resp r;
    int64_t blog = -1;
    if (h_post_json("/blog", a.token,
                    "{\"title\":\"browser\",\"content\":\"c\",\"images\":\"\","
                    "\"shopId\":1}",
                    &r) == 0 &&
        h_success(&r) && h_data(&r))
        blog = json_object_get_int64(h_data(&r));
    h_free(&r);
    char path[64];
    snprintf(path, sizeof(path), "/blog/like/%lld", (long long)blog);
    int liked =
        blog > 0 && h_put(path, c.token, NULL, &r) == 0 && h_success(&r);
    if (blog > 0)
        h_free(&r);
    long long n = -1;
    for (int i = 0; liked && i < 100 && (n = unread_of(&a)) != 1; i++)
        h_sleep_ms(100);
    if (!liked || n != 1) {
        printf("not ok - A's blog, liked by C, gives A one unread "
               "notification (blog %lld, liked %d, unread %lld)\n",
               (long long)blog, liked, n);
        printf("0 passed, 1 failed\n");
        return 1;
    }
    printf("ok - A's blog, liked by C, gives A one unread notification\n");
    t_pass++;

    setenv("A_TOKEN", a.token, 1);
    setenv_ll("A_ID", a.id);
    setenv("B_TOKEN", b.token, 1);
    setenv_ll("B_ID", b.id);
    setenv("B_NICK", b.nick, 1);
    setenv("C_NICK", c.nick, 1);
    setenv_ll("BLOG_ID", blog);
    const char *npm = getenv("HMDP_NPM_DIR");
    char mods[2048], cmd[8192];
    if (npm && *npm)
        snprintf(mods, sizeof(mods), "%.1000s/node_modules", npm);
    else
        snprintf(mods, sizeof(mods), "%.1000s/build/npm/node_modules", repo());
    setenv("NODE_PATH", mods, 1);
    snprintf(cmd, sizeof(cmd),
             "timeout 180 node '%s/tests/browser/message_page.js' 2>&1",
             repo());

    /* every "ok"/"not ok" line of the script is one test here; its
     * closing line and exit status must agree with them */
    FILE *p = popen(cmd, "r");
    if (p == NULL) {
        printf("not ok - running %s\n", cmd);
        t_fail++;
        T_DONE();
    }
    char line[8192];
    int sp = -1, sf = -1, steps = 0;
    while (fgets(line, sizeof(line), p)) {
        if (strncmp(line, "ok - ", 5) == 0) {
            fputs(line, stdout);
            t_pass++;
            steps++;
        } else if (strncmp(line, "not ok - ", 9) == 0) {
            fputs(line, stdout);
            t_fail++;
            steps++;
        } else if (sscanf(line, "%d passed, %d failed", &sp, &sf) != 2) {
            printf("  | %s", line); /* anything else: shown by run.sh */
        }
    }
    int st = pclose(p);
    int rc = st == -1 ? -1 : WIFEXITED(st) ? WEXITSTATUS(st) : 128;
    /* the script has 19 steps when it runs to its end */
    if (sp < 0 || sp + sf != steps || (rc == 0) != (sf == 0) || steps != 19) {
        printf("not ok - message_page.js ran to its end (exit %d, %d steps, "
               "closing line %d passed, %d failed): node, playwright-core "
               "(tests/npm_deps.sh) and chromium (tests/deps.sh) are needed\n",
               rc, steps, sp, sf);
        t_fail++;
    }
    free(a.token);
    free(b.token);
    free(c.token);
    T_DONE();
}
