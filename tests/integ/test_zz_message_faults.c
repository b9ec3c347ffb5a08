/*
 * test_zz_message_faults.c: chat while MySQL is down for about ten
 * seconds. Sending needs no MySQL (the recipients are known to Redis), so
 * every message is accepted; chat-sync holds its batch while MySQL is
 * away and, once it is back, every message is in tb_chat_message exactly
 * once. Runs after test_zz_faults (it restarts MySQL itself).
 */
#include "h.h"

#include <signal.h>
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

    const char *dir = h_env("HMDP_RUN_DIR");
    long pid = h_run_pid("mysqld.pid");
    CHECK(pid > 0);
    if (pid <= 0)
        return;
    char path[1024], cmd[4096] = "";
    snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(cmd, 1, sizeof(cmd) - 1, f) : 0;
    if (f)
        fclose(f);
    for (size_t i = 0; i + 1 < n; i++)
        if (cmd[i] == '\0')
            cmd[i] = ' ';
    cmd[n] = '\0';
    CHECK(n > 0);
    kill((pid_t)pid, SIGTERM);
    for (int i = 0; i < 100 && kill((pid_t)pid, 0) == 0; i++)
        h_sleep_ms(100);
    CHECK(kill((pid_t)pid, 0) != 0);

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

    char start[4600];
    snprintf(start, sizeof(start), "cd %s && (%s >/dev/null 2>&1 &)", dir, cmd);
    CHECK(system(start) == 0);
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

int
main(void)
{
    h_init();
    RUN(test_chat_through_mysql_outage);
    T_DONE();
}
