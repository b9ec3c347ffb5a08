/*
 * test_zzz_logs.c: runs last (the runner goes in name order) and reads
 * every log the whole test run wrote (every file of DIR/logs): no login token,
 * login code or password any test used appears in any of them, and the app's
 * and nginx's logs are one JSON object per line.
 *
 * The secrets: tests/integ/h.c records the tokens it sends and the codes
 * and passwords of the bodies in DIR/test-secrets; the SMS stand-in
 * records every code it delivered in DIR/sms.log; and this test sets and
 * uses a password of its own first.
 */
#include "h.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct blob {
    char name[1400];
    char *text;
};

static struct blob logs[64];
static int nlogs;

static char *
slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return NULL;
    char *buf = NULL;
    size_t len = 0, cap = 0, k;
    char tmp[65536];
    while ((k = fread(tmp, 1, sizeof(tmp), f)) > 0) {
        if (len + k + 1 > cap) {
            cap = (len + k + 1) * 2;
            buf = realloc(buf, cap);
            if (buf == NULL)
                abort();
        }
        memcpy(buf + len, tmp, k);
        len += k;
    }
    fclose(f);
    if (buf == NULL)
        buf = strdup("");
    else
        buf[len] = '\0';
    return buf;
}

static void
load_logs(void)
{
    char dir[1024];
    snprintf(dir, sizeof(dir), "%s/logs", h_env("HMDP_RUN_DIR"));
    DIR *d = opendir(dir);
    CHECK(d != NULL);
    struct dirent *e;
    while (d && (e = readdir(d)) && nlogs < 64) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(logs[nlogs].name, sizeof(logs[nlogs].name), "%s/%s", dir,
                 e->d_name);
        logs[nlogs].text = slurp(logs[nlogs].name);
        if (logs[nlogs].text)
            nlogs++;
    }
    if (d)
        closedir(d);
}

static int
is_alnum(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
           (c >= 'A' && c <= 'Z');
}

/* The first log holding s as a whole word (not inside a longer run of
 * letters and digits: a 6-digit code can be part of a hex request id),
 * or NULL. */
static const char *
leaked(const char *s)
{
    size_t n = strlen(s);
    for (int i = 0; i < nlogs; i++)
        for (const char *p = strstr(logs[i].text, s); p; p = strstr(p + 1, s))
            if ((p == logs[i].text || !is_alnum(p[-1])) && !is_alnum(p[n]))
                return logs[i].name;
    return NULL;
}

/* A password of this test's own, used for a login. */
static void
use_a_password(const char *pw)
{
    char phone[16];
    int64_t uid;
    snprintf(phone, sizeof(phone), "%s", h_phone());
    char *tok = h_login_phone(phone, &uid);
    CHECK(tok != NULL);
    char body[256];
    snprintf(body, sizeof(body), "{\"password\":\"%s\"}", pw);
    struct resp r;
    CHECK(h_put("/user/password", tok, body, &r) == 0 && h_success(&r));
    h_free(&r);
    snprintf(body, sizeof(body), "{\"phone\":\"%s\",\"password\":\"%s\"}",
             phone, pw);
    CHECK(h_post_json("/user/login", NULL, body, &r) == 0 && h_success(&r));
    h_free(&r);
    free(tok);
}

static void
test_no_secret_in_logs(void)
{
    const char *pw = "Zq8-unlogged-passphrase";
    use_a_password(pw);
    h_sleep_ms(500); /* idle workers have flushed their lines */
    load_logs();
    CHECK(nlogs >= 3);
    int checked = 0, tokens = 0, codes = 0;
    char path[1024], line[512];
    const char *files[] = {"test-secrets", "sms.log"};
    for (int f = 0; f < 2; f++) {
        snprintf(path, sizeof(path), "%s/%s", h_env("HMDP_RUN_DIR"), files[f]);
        FILE *in = fopen(path, "r");
        CHECK(in != NULL);
        while (in && fgets(line, sizeof(line), in)) {
            char *s = line;
            line[strcspn(line, "\n")] = '\0';
            if (f == 1) { /* "PHONE CODE sockets=N" */
                s = strchr(line, ' ');
                if (s == NULL)
                    continue;
                s++;
                s[strcspn(s, " ")] = '\0';
            }
            if (strlen(s) < 6)
                continue;
            tokens += strlen(s) == 32;
            codes += strlen(s) == 6;
            checked++;
            const char *where = leaked(s);
            if (where)
                printf("  secret %.4s... found in %s\n", s, where);
            CHECK(where == NULL);
        }
        if (in)
            fclose(in);
    }
    /* at least this test's own login (the whole suite: thousands) */
    CHECK(tokens >= 1);
    CHECK(codes >= 1);
    const char *where = leaked(pw);
    CHECK(where == NULL);
    printf("  %d secrets checked against %d logs\n", checked + 1, nlogs);
}

/* The worker's and nginx's logs are JSON lines, every line. */
static void
test_json_lines(void)
{
    int files = 0;
    for (int i = 0; i < nlogs; i++) {
        const char *base = strrchr(logs[i].name, '/') + 1;
        if (strncmp(base, "worker", 6) != 0 &&
            strncmp(base, "nginx-access", 12) != 0)
            continue;
        files++;
        char *t = strdup(logs[i].text);
        int bad = 0, n = 0;
        for (char *l = strtok(t, "\n"); l; l = strtok(NULL, "\n")) {
            n++;
            struct json_object *o = json_tokener_parse(l);
            if (o == NULL || !json_object_is_type(o, json_type_object)) {
                if (bad++ < 3)
                    printf("  %s: not JSON: %.120s\n", base, l);
            }
            if (o)
                json_object_put(o);
        }
        CHECK(bad == 0);
        CHECK(n > 0);
        free(t);
    }
    CHECK(files >= 2);
}

int
main(void)
{
    h_init();
    RUN(test_no_secret_in_logs);
    RUN(test_json_lines);
    for (int i = 0; i < nlogs; i++)
        free(logs[i].text);
    T_DONE();
}
