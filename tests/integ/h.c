/*
 * h.c: integration test helpers (see h.h).
 */
#include "h.h"

#include <curl/curl.h>
#include <dirent.h>
#include <mysql.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static CURL *h_curl;
static redisContext *h_rc;
static MYSQL *h_my;
static char h_admin[128];

const char *
h_env(const char *name)
{
    const char *v = getenv(name);
    if (v == NULL) {
        fprintf(stderr, "h: environment variable %s not set\n", name);
        exit(2);
    }
    return v;
}

void
h_init(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    h_curl = curl_easy_init();
}

int64_t
h_now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

void
h_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

size_t
h_curl_write(char *data, size_t sz, size_t nm, void *ud)
{
    struct h_sink *b = ud;
    size_t n = sz * nm;
    char *np = realloc(*b->body, *b->len + n + 1);
    if (np == NULL)
        abort();
    *b->body = np;
    memcpy(np + *b->len, data, n);
    *b->len += n;
    np[*b->len] = '\0';
    return n;
}

void
h_secret(const char *s)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/test-secrets", h_env("HMDP_RUN_DIR"));
    FILE *f = fopen(path, "a");
    if (f == NULL)
        return;
    fprintf(f, "%s\n", s);
    fclose(f);
}

static int
h_is_token(const char *s)
{
    size_t n = strlen(s);
    if (n != 32)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

/* The secrets of a request body: "code" (6 digits) and "password" (8 or
 * more characters) of a JSON object. */
static void
h_body_secrets(const char *body, size_t blen)
{
    if (body == NULL || blen == 0 || body[0] != '{')
        return;
    struct json_object *o = json_tokener_parse(body), *v;
    if (o == NULL)
        return;
    if (json_object_object_get_ex(o, "code", &v) &&
        json_object_is_type(v, json_type_string) &&
        json_object_get_string_len(v) == 6)
        h_secret(json_object_get_string(v));
    if (json_object_object_get_ex(o, "password", &v) &&
        json_object_is_type(v, json_type_string) &&
        json_object_get_string_len(v) >= 8)
        h_secret(json_object_get_string(v));
    json_object_put(o);
}

/* CURLOPT_HEADERFUNCTION: keeps X-Request-Id in the struct resp. */
static size_t
h_header(char *data, size_t sz, size_t nm, void *ud)
{
    struct resp *out = ud;
    size_t n = sz * nm;
    static const char name[] = "x-request-id:";
    if (n > sizeof(name) && strncasecmp(data, name, sizeof(name) - 1) == 0) {
        const char *v = data + sizeof(name) - 1;
        size_t k = n - (sizeof(name) - 1);
        while (k && (*v == ' ' || *v == '\t')) {
            v++;
            k--;
        }
        while (k && (v[k - 1] == '\r' || v[k - 1] == '\n' || v[k - 1] == ' '))
            k--;
        if (k >= sizeof(out->rid))
            k = sizeof(out->rid) - 1;
        memcpy(out->rid, v, k);
        out->rid[k] = '\0';
    }
    return n;
}

int
h_http(const char *method, const char *path, const char *token,
       const char *header, const char *ctype, const char *body, size_t blen,
       struct resp *out)
{
    memset(out, 0, sizeof(*out));
    char url[4096];
    snprintf(url, sizeof(url), "%s/api%s", h_env("HMDP_URL"), path);
    CURL *c = h_curl;
    curl_easy_reset(c);
    char *got = NULL;
    size_t got_len = 0;
    struct h_sink b = {&got, &got_len};
    struct curl_slist *hd = NULL;
    char line[512];
    if (token) {
        snprintf(line, sizeof(line), "authorization: %s", token);
        hd = curl_slist_append(hd, line);
        if (h_is_token(token))
            h_secret(token);
    }
    h_body_secrets(body, blen);
    if (header)
        hd = curl_slist_append(hd, header);
    if (ctype) {
        snprintf(line, sizeof(line), "Content-Type: %s", ctype);
        hd = curl_slist_append(hd, line);
    }
    hd = curl_slist_append(hd, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hd);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, h_curl_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, h_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, out);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)blen);
    } else if (strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
    }
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    CURLcode e = curl_easy_perform(c);
    curl_slist_free_all(hd);
    if (e != CURLE_OK) {
        printf("  http %s %s: %s\n", method, path, curl_easy_strerror(e));
        free(got);
        return -1;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    char *ct = NULL;
    curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
    out->ctype = ct ? strdup(ct) : NULL;
    out->body = got ? got : strdup("");
    out->len = got_len;
    out->json = json_tokener_parse(out->body);
    return 0;
}

int
h_get(const char *path, const char *token, struct resp *out)
{
    return h_http("GET", path, token, NULL, NULL, NULL, 0, out);
}

int
h_post_json(const char *path, const char *token, const char *json,
            struct resp *out)
{
    return h_http("POST", path, token, NULL,
                  json ? "application/json;charset=utf-8" : NULL, json,
                  json ? strlen(json) : 0, out);
}

int
h_put(const char *path, const char *token, const char *json, struct resp *out)
{
    return h_http("PUT", path, token, NULL,
                  json ? "application/json;charset=utf-8" : NULL, json,
                  json ? strlen(json) : 0, out);
}

int
h_del(const char *path, const char *token, struct resp *out)
{
    return h_http("DELETE", path, token, NULL, NULL, NULL, 0, out);
}

void
h_free(struct resp *r)
{
    free(r->body);
    free(r->ctype);
    if (r->json)
        json_object_put(r->json);
    memset(r, 0, sizeof(*r));
}

int
h_success(const struct resp *r)
{
    struct json_object *v;
    return r->json && json_object_object_get_ex(r->json, "success", &v) &&
           json_object_get_boolean(v);
}

struct json_object *
h_data(const struct resp *r)
{
    struct json_object *v;
    if (r->json && json_object_object_get_ex(r->json, "data", &v))
        return v;
    return NULL;
}

const char *
h_errmsg(const struct resp *r)
{
    struct json_object *v;
    if (r->json && json_object_object_get_ex(r->json, "errorMsg", &v))
        return json_object_get_string(v);
    return NULL;
}

const char *
h_phone(void)
{
    /* 1 + "3" + pid-derived and counter digits: unique per run */
    static char buf[16];
    static unsigned counter;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    unsigned long v = ((unsigned long)getpid() * 7919UL +
                       (unsigned long)tv.tv_usec + counter++ * 104729UL) %
                      1000000000UL;
    snprintf(buf, sizeof(buf), "13%09lu", v);
    return buf;
}

redisContext *
h_redis(void)
{
    if (h_rc == NULL || h_rc->err) {
        if (h_rc)
            redisFree(h_rc);
        h_rc = redisConnect("127.0.0.1", atoi(h_env("HMDP_REDIS_PORT")));
    }
    return h_rc;
}

long long
h_redis_int(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(h_redis(), fmt, ap);
    va_end(ap);
    long long v = -1;
    if (r) {
        if (r->type == REDIS_REPLY_INTEGER)
            v = r->integer;
        else if (r->type == REDIS_REPLY_STRING)
            v = strtoll(r->str, NULL, 10);
        freeReplyObject(r);
    } else {
        redisFree(h_rc);
        h_rc = NULL;
    }
    return v;
}

static MYSQL *
h_mysql(void)
{
    if (h_my == NULL) {
        h_my = mysql_init(NULL);
        mysql_options(h_my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
        if (!mysql_real_connect(h_my, NULL, "root", "", "hmdp", 0,
                                h_env("HMDP_MYSQL_SOCKET"), 0)) {
            fprintf(stderr, "h: mysql: %s\n", mysql_error(h_my));
            mysql_close(h_my);
            h_my = NULL;
        }
    }
    return h_my;
}

/* Formats and runs one statement; returns its result set (the caller
 * frees it; NULL when there is none) and sets *ok. */
static MYSQL_RES *
h_sql_run(const char *fmt, va_list ap, int *ok)
{
    char q[4096];
    vsnprintf(q, sizeof(q), fmt, ap);
    MYSQL *m = h_mysql();
    *ok = 0;
    int qrc = m ? mysql_query(m, q) : -1;
    if (m && qrc != 0 && (mysql_errno(m) == 2006 || mysql_errno(m) == 2013)) {
        /* the server was restarted (test_streams, test_zz_faults) */
        mysql_close(h_my);
        h_my = NULL;
        m = h_mysql();
        qrc = m ? mysql_query(m, q) : -1;
    }
    if (qrc != 0) {
        if (m)
            printf("  sql [%s]: %s\n", q, mysql_error(m));
        return NULL;
    }
    *ok = 1;
    return mysql_store_result(m);
}

long long
h_sql_int(const char *fmt, ...)
{
    va_list ap;
    int ok;
    va_start(ap, fmt);
    MYSQL_RES *res = h_sql_run(fmt, ap, &ok);
    va_end(ap);
    long long v = -1;
    if (res) {
        MYSQL_ROW row = mysql_fetch_row(res);
        if (row && row[0])
            v = strtoll(row[0], NULL, 10);
        mysql_free_result(res);
    }
    return v;
}

int
h_sql_exec(const char *fmt, ...)
{
    va_list ap;
    int ok;
    va_start(ap, fmt);
    MYSQL_RES *res = h_sql_run(fmt, ap, &ok);
    va_end(ap);
    if (res)
        mysql_free_result(res);
    return ok ? 0 : -1;
}

const char *
h_admin_token(void)
{
    if (h_admin[0] == '\0') {
        FILE *f = fopen(h_env("HMDP_ADMIN_TOKEN_FILE"), "r");
        if (f) {
            if (fgets(h_admin, sizeof(h_admin), f))
                h_admin[strcspn(h_admin, "\r\n")] = '\0';
            fclose(f);
        }
    }
    return h_admin;
}

char *
h_login_phone(const char *phone, int64_t *uid)
{
    char path[128];
    struct resp r;
    snprintf(path, sizeof(path), "/user/code?phone=%s", phone);
    if (h_http("POST", path, NULL, NULL, NULL, NULL, 0, &r) != 0)
        return NULL;
    int ok = h_success(&r);
    h_free(&r);
    if (!ok) {
        /* a code may already exist (rate limit): reuse it */
    }
    redisReply *rr = redisCommand(h_redis(), "GET login:code:%s", phone);
    if (rr == NULL || rr->type != REDIS_REPLY_STRING) {
        if (rr)
            freeReplyObject(rr);
        printf("  h_login: no code in redis for %s\n", phone);
        return NULL;
    }
    char body[128];
    snprintf(body, sizeof(body), "{\"phone\":\"%s\",\"code\":\"%s\"}", phone,
             rr->str);
    freeReplyObject(rr);
    if (h_post_json("/user/login", NULL, body, &r) != 0)
        return NULL;
    char *token = NULL;
    struct json_object *d = h_data(&r);
    if (h_success(&r) && d && json_object_is_type(d, json_type_string)) {
        token = strdup(json_object_get_string(d));
        h_secret(token);
    }
    h_free(&r);
    if (token && uid) {
        *uid = 0;
        if (h_get("/user/me", token, &r) == 0) {
            struct json_object *me = h_data(&r), *id;
            if (me && json_object_object_get_ex(me, "id", &id))
                *uid = json_object_get_int64(id);
            h_free(&r);
        }
    }
    return token;
}

char *
h_login(int64_t *uid)
{
    char phone[16];
    snprintf(phone, sizeof(phone), "%s", h_phone());
    return h_login_phone(phone, uid);
}

char *
h_login_user(int64_t *uid)
{
    char *token = h_login(uid);
    if (token == NULL || *uid <= 0)
        printf("  login failed\n");
    return token;
}

int
h_children_of(long pid, long *out, int max)
{
    int n = 0;
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL && n < max) {
        long p = strtol(e->d_name, NULL, 10);
        if (p <= 0)
            continue;
        char path[64], buf[512];
        snprintf(path, sizeof(path), "/proc/%ld/stat", p);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        size_t k = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[k] = '\0';
        char *rp = strrchr(buf, ')');
        long ppid = 0;
        char st;
        if (rp && sscanf(rp + 2, "%c %ld", &st, &ppid) == 2 && ppid == pid &&
            st != 'Z')
            out[n++] = p;
    }
    if (d)
        closedir(d);
    return n;
}

long
h_run_pid(const char *name)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", h_env("HMDP_RUN_DIR"), name);
    FILE *f = fopen(path, "r");
    long pid = -1;
    if (f) {
        if (fscanf(f, "%ld", &pid) != 1)
            pid = -1;
        fclose(f);
    }
    return pid;
}

void
h_make_users(int n, int64_t *uids, char (*tokens)[33], const char *phone2,
             const char *tag)
{
    long long base = h_sql_int("SELECT COALESCE(MAX(id), 0) + 1 FROM tb_user");
    char q[4096];
    for (int i = 0; i < n;) {
        int w = snprintf(q, sizeof(q),
                         "INSERT IGNORE INTO tb_user (id, phone, "
                         "nick_name) VALUES ");
        for (int k = 0; k < 100 && i < n; k++, i++) {
            uids[i] = base + i;
            w += snprintf(q + w, sizeof(q) - (size_t)w,
                          "%s(%lld, '%.2s%09lld', '%s%lld')", k ? "," : "",
                          (long long)uids[i], phone2,
                          (long long)(uids[i] % 1000000000), tag,
                          (long long)uids[i]);
        }
        CHECK(h_sql_exec("%s", q) == 0);
    }
    redisContext *c = h_redis();
    FILE *ur = fopen("/dev/urandom", "r");
    for (int i = 0; i < n; i++) {
        unsigned char raw[16];
        if (ur == NULL || fread(raw, 1, 16, ur) != 16)
            for (int k = 0; k < 16; k++)
                raw[k] = (unsigned char)rand();
        for (int k = 0; k < 16; k++)
            snprintf(tokens[i] + 2 * k, 3, "%02x", raw[k]);
        char id[24];
        snprintf(id, sizeof(id), "%lld", (long long)uids[i]);
        redisAppendCommand(c, "HSET login:token:%s id %s nickName %s icon %s",
                           tokens[i], id, tag, "");
        redisAppendCommand(c, "EXPIRE login:token:%s 1800", tokens[i]);
    }
    if (ur)
        fclose(ur);
    for (int i = 0; i < 2 * n; i++) {
        void *r = NULL;
        if (redisGetReply(c, &r) == REDIS_OK && r)
            freeReplyObject(r);
    }
}

int
h_daemon_stop(const char *pidfile, struct h_daemon *d)
{
    d->pid = h_run_pid(pidfile);
    d->cmd[0] = '\0';
    if (d->pid <= 0)
        return -1;
    char path[64];
    snprintf(path, sizeof(path), "/proc/%ld/cmdline", d->pid);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(d->cmd, 1, sizeof(d->cmd) - 1, f) : 0;
    if (f)
        fclose(f);
    for (size_t i = 0; i + 1 < n; i++)
        if (d->cmd[i] == '\0')
            d->cmd[i] = ' ';
    d->cmd[n] = '\0';
    if (n == 0)
        return -1;
    kill((pid_t)d->pid, SIGTERM);
    for (int i = 0; i < 100 && kill((pid_t)d->pid, 0) == 0; i++)
        h_sleep_ms(100);
    return kill((pid_t)d->pid, 0) == 0 ? -1 : 0;
}

int
h_daemon_start(const struct h_daemon *d)
{
    if (d->cmd[0] == '\0')
        return -1;
    return h_sh("cd %s && (%s >/dev/null 2>&1 &)", h_env("HMDP_RUN_DIR"),
                d->cmd);
}

int
h_sh(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    return system(cmd);
}

long
h_stack_pid(const char *daemon, const char *arg)
{
    char pidf[128];
    snprintf(pidf, sizeof(pidf), "%s.pid", daemon);
    long mw = h_run_pid(pidf), kids[16], sub[16];
    if (mw <= 0)
        return -1;
    int nk = h_children_of(mw, kids, 16);
    for (int i = 0; i < nk; i++) {
        if (arg == NULL)
            return kids[i];
        int ns = h_children_of(kids[i], sub, 16);
        for (int j = 0; j < ns; j++) {
            char path[64], buf[512];
            snprintf(path, sizeof(path), "/proc/%ld/cmdline", sub[j]);
            FILE *f = fopen(path, "r");
            if (!f)
                continue;
            size_t n = fread(buf, 1, sizeof(buf) - 1, f);
            fclose(f);
            buf[n] = '\0';
            size_t l = strlen(buf);
            if (l < n && strcmp(buf + l + 1, arg) == 0)
                return sub[j];
        }
    }
    return -1;
}

struct json_object *
h_jget(struct json_object *o, const char *k)
{
    struct json_object *v = NULL;
    if (o)
        json_object_object_get_ex(o, k, &v);
    return v;
}

int64_t
h_jint(struct json_object *o, const char *k)
{
    struct json_object *v = h_jget(o, k);
    return v ? json_object_get_int64(v) : -1;
}

void
h_ltime(long off, char buf[20])
{
    time_t t = time(NULL) + off;
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(buf, 20, "%Y-%m-%dT%H:%M:%S", &tm);
}

int
h_admin_post(const char *path, const char *json, struct resp *r)
{
    char hdr[256];
    snprintf(hdr, sizeof(hdr), "X-Admin-Token: %s", h_admin_token());
    return h_http("POST", path, NULL, hdr, "application/json;charset=utf-8",
                  json, strlen(json), r);
}

int64_t
h_admin_post_id(const char *path, const char *json)
{
    struct resp r;
    if (h_admin_post(path, json, &r) != 0)
        return -1;
    int64_t id = -1;
    if (r.status == 200 && h_success(&r) && h_data(&r))
        id = json_object_get_int64(h_data(&r));
    else
        printf("  POST %s: %ld %s\n", path, r.status, r.body);
    h_free(&r);
    return id;
}
