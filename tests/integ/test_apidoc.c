/*
 * test_apidoc.c: conf/openapi.json against the running stack.
 *   - The document passes tests/apidoc/validate.js's checks (ajv, strict:
 *     every $ref resolves, every schema compiles, every example fits).
 *   - Live answers of a tour through the API (public reads, a user's own
 *     data, a blog with a like and a comment, a follow feed, a seckill
 *     voucher and an order, admin reads, and refusals and errors) are
 *     recorded and validated with ajv against the schema the document
 *     gives for that operation and status; the schemas forbid unknown
 *     fields and list the required ones, so a renamed field fails.
 *   - nginx serves the page at /api-docs/ with Swagger UI's bundle and
 *     the same JSON, and the page loads nothing from elsewhere.
 * Node.js and ajv come from tests/npm_deps.sh (build/npm, or
 * HMDP_NPM_DIR); without them this test fails and says so.
 */
#include "h.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static struct json_object *samples; /* the recorded answers */
static char tmpdir[] = "/tmp/hmdp-apidoc.XXXXXX";

static const char *
repo(void)
{
    const char *r = getenv("HMDP_REPO");
    return r && *r ? r : ".";
}

static const char *
npm_modules(void)
{
    static char buf[2048];
    const char *d = getenv("HMDP_NPM_DIR");
    if (d && *d)
        snprintf(buf, sizeof(buf), "%.1000s/node_modules", d);
    else
        snprintf(buf, sizeof(buf), "%.1000s/build/npm/node_modules", repo());
    return buf;
}

/* Runs validate.js on the document (and a samples file when given);
 * returns its exit status, its output in out (malloc'd). */
static int
run_validator(const char *samples_file, char **out)
{
    char cmd[8192], outf[256];
    snprintf(outf, sizeof(outf), "%s/validate.out", tmpdir);
    snprintf(cmd, sizeof(cmd),
             "NODE_PATH='%s' node '%s/tests/apidoc/validate.js' "
             "'%s/conf/openapi.json' %s%s%s >'%s' 2>&1",
             npm_modules(), repo(), repo(), samples_file ? "'" : "",
             samples_file ? samples_file : "", samples_file ? "'" : "", outf);
    int st = system(cmd);
    *out = NULL;
    FILE *f = fopen(outf, "r");
    if (f) {
        *out = calloc(1, 1 << 20);
        if (*out)
            (void)!fread(*out, 1, (1 << 20) - 1, f);
        fclose(f);
    }
    return st == -1 ? -1 : WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* Prints the validator's failures (its "not ok" lines and their
 * details) and its closing line. */
static void
show_failures(const char *out)
{
    if (out == NULL) {
        printf("  (no output from the validator)\n");
        return;
    }
    int show = 0;
    for (const char *p = out; *p;) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        char line[2048];
        snprintf(line, sizeof(line), "%.*s", (int)n, p);
        if (strncmp(line, "not ok", 6) == 0 || strstr(line, " passed, "))
            show = 1;
        else if (strncmp(line, "ok ", 3) == 0)
            show = 0;
        if (show)
            printf("  | %s\n", line);
        p += n + (e ? 1 : 0);
    }
}

/* Records the answer r to method url as an instance of the document's
 * operation method docpath. */
static void
record(const char *method, const char *docpath, const char *url,
       const struct resp *r)
{
    CHECK(r->json != NULL);
    if (r->json == NULL) {
        printf("  %s %s answered %ld without JSON: %.200s\n", method, url,
               r->status, r->body ? r->body : "");
        return;
    }
    struct json_object *s = json_object_new_object();
    json_object_object_add(s, "method", json_object_new_string(method));
    json_object_object_add(s, "path", json_object_new_string(docpath));
    json_object_object_add(s, "url", json_object_new_string(url));
    json_object_object_add(s, "status", json_object_new_int((int)r->status));
    json_object_object_add(s, "body", json_object_get(r->json));
    json_object_array_add(samples, s);
}

/* GET url (with token), recorded as docpath; returns the response. */
static struct resp
get_rec(const char *docpath, const char *url, const char *token)
{
    struct resp r;
    memset(&r, 0, sizeof(r));
    CHECK(h_get(url, token, &r) == 0);
    record("get", docpath, url, &r);
    return r;
}

static char admin_hdr[256];

static const char *
admin(void)
{
    snprintf(admin_hdr, sizeof(admin_hdr), "X-Admin-Token: %s",
             h_admin_token());
    return admin_hdr;
}

static int64_t
data_i64(const struct resp *r)
{
    struct json_object *d = h_data(r);
    return d ? json_object_get_int64(d) : -1;
}

static void
local_time(time_t t, char *buf, size_t n)
{
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm);
}

/* ------------------------------------------------------------ tests */

static void
test_document_checks(void)
{
    char *out;
    int rc = run_validator(NULL, &out);
    if (rc != 0) {
        printf("  validate.js on conf/openapi.json exited %d "
               "(node and ajv from tests/npm_deps.sh are needed)\n",
               rc);
        show_failures(out);
    }
    CHECK(rc == 0);
    CHECK(out && strstr(out, " passed, 0 failed"));
    free(out);
}

static void
test_live_answers_match_the_document(void)
{
    char url[512], body[1024], tb[32], te[32];
    struct resp r;
    samples = json_object_new_array();

    /* public reads, anonymous */
    r = get_rec("/shop/{id}", "/shop/1", NULL);
    CHECK(r.status == 200 && h_success(&r));
    h_free(&r);
    r = get_rec("/shop/{id}", "/shop/987654321", NULL); /* a refusal */
    CHECK(r.status == 200 && !h_success(&r));
    h_free(&r);
    r = get_rec("/shop/{id}", "/shop/abc", NULL);
    CHECK(r.status == 400);
    h_free(&r);
    h_free((r = get_rec("/shop-type/list", "/shop-type/list", NULL), &r));
    h_free((r = get_rec("/shop/of/type",
                        "/shop/of/type?&typeId=1&current=1&x=120.149993"
                        "&y=30.334229",
                        NULL),
            &r));
    h_free((r = get_rec("/shop/of/type", "/shop/of/type?typeId=1&sortBy=score",
                        NULL),
            &r));
    h_free((r = get_rec("/shop/of/name", "/shop/of/name?name=", NULL), &r));
    h_free((r = get_rec("/blog/hot", "/blog/hot?current=1", NULL), &r));
    h_free((r = get_rec("/comment/hot", "/comment/hot", NULL), &r));
    r = get_rec("/user/me", "/user/me", NULL);
    CHECK(r.status == 401);
    h_free(&r);

    /* a user and their own data */
    int64_t a_id = 0, b_id = 0;
    char *a = h_login_user(&a_id), *b = h_login_user(&b_id);
    CHECK(a != NULL && b != NULL);
    if (a == NULL || b == NULL)
        goto out;
    h_free((r = get_rec("/user/me", "/user/me", a), &r));
    snprintf(url, sizeof(url), "/user/%lld", (long long)a_id);
    h_free((r = get_rec("/user/{id}", url, b), &r));
    snprintf(url, sizeof(url), "/user/info/%lld", (long long)a_id);
    h_free((r = get_rec("/user/info/{id}", url, a), &r));
    CHECK(h_sql_exec("INSERT IGNORE INTO tb_user_info (user_id, city, "
                     "introduce, gender, birthday) VALUES (%lld, '杭州', "
                     "'hi', 1, '2000-01-02')",
                     (long long)a_id) == 0);
    h_free((r = get_rec("/user/info/{id}", url, a), &r));
    CHECK(h_post_json("/user/sign", a, NULL, &r) == 0);
    record("post", "/user/sign", "/user/sign", &r);
    h_free(&r);
    h_free((r = get_rec("/user/sign/count", "/user/sign/count", a), &r));

    /* a blog, liked and commented */
    CHECK(h_post_json("/blog", a,
                      "{\"title\":\"apidoc <b>tour</b>\",\"content\":\"x\","
                      "\"images\":\"\",\"shopId\":1}",
                      &r) == 0);
    record("post", "/blog", "/blog", &r);
    int64_t blog = data_i64(&r);
    h_free(&r);
    CHECK(blog > 0);
    snprintf(url, sizeof(url), "/blog/like/%lld", (long long)blog);
    CHECK(h_put(url, b, NULL, &r) == 0);
    record("put", "/blog/like/{id}", url, &r);
    h_free(&r);
    snprintf(url, sizeof(url), "/blog/%lld", (long long)blog);
    h_free((r = get_rec("/blog/{id}", url, b), &r));
    h_free((r = get_rec("/blog/{id}", "/blog/987654321", NULL), &r));
    snprintf(url, sizeof(url), "/blog/likes/%lld", (long long)blog);
    h_free((r = get_rec("/blog/likes/{id}", url, NULL), &r));
    h_free((r = get_rec("/blog/of/me", "/blog/of/me", a), &r));
    snprintf(url, sizeof(url), "/blog/of/user?id=%lld&current=1",
             (long long)a_id);
    h_free((r = get_rec("/blog/of/user", url, NULL), &r));
    h_free((r = get_rec("/blog/hot", "/blog/hot", b), &r));
    snprintf(body, sizeof(body), "{\"blogId\":%lld,\"content\":\"好\"}",
             (long long)blog);
    CHECK(h_post_json("/comment/post", b, body, &r) == 0);
    record("post", "/comment/post", "/comment/post", &r);
    struct json_object *cid = NULL;
    json_object_object_get_ex(h_data(&r), "id", &cid);
    int64_t comment = cid ? json_object_get_int64(cid) : -1;
    h_free(&r);
    snprintf(url, sizeof(url), "/comment/like/%lld", (long long)comment);
    CHECK(h_put(url, a, NULL, &r) == 0);
    record("put", "/comment/like/{id}", url, &r);
    h_free(&r);
    snprintf(url, sizeof(url), "/comment/%lld", (long long)blog);
    h_free((r = get_rec("/comment/{id}", url, NULL), &r));

    /* follows and the feed */
    snprintf(url, sizeof(url), "/follow/%lld/true", (long long)a_id);
    CHECK(h_put(url, b, NULL, &r) == 0);
    record("put", "/follow/{id}/{isFollow}", url, &r);
    h_free(&r);
    snprintf(url, sizeof(url), "/follow/%lld/true", (long long)b_id);
    CHECK(h_put(url, b, NULL, &r) == 0); /* oneself: a refusal */
    record("put", "/follow/{id}/{isFollow}", url, &r);
    CHECK(r.status == 200 && !h_success(&r));
    h_free(&r);
    snprintf(url, sizeof(url), "/follow/or/not/%lld", (long long)a_id);
    h_free((r = get_rec("/follow/or/not/{id}", url, b), &r));
    snprintf(url, sizeof(url), "/follow/common/%lld", (long long)a_id);
    h_free((r = get_rec("/follow/common/{id}", url, b), &r));
    CHECK(h_post_json("/blog", a,
                      "{\"title\":\"for followers\",\"content\":\"y\","
                      "\"images\":\"\",\"shopId\":2}",
                      &r) == 0);
    h_free(&r);
    r = get_rec("/blog/of/follow", "/blog/of/follow", b);
    CHECK(h_data(&r) != NULL);
    h_free(&r);
    h_free((r = get_rec("/blog/of/follow", "/blog/of/follow?lastId=1", b), &r));

    /* messages: a chat both ways, the conversation, a's notices (the
     * like, comment and follow above; persisted by the consumer) */
    snprintf(url, sizeof(url), "/message/chat/%lld", (long long)a_id);
    CHECK(h_post_json(url, b, "{\"content\":\"hi <a>\"}", &r) == 0);
    record("post", "/message/chat/{userId}", url, &r);
    CHECK(h_success(&r));
    h_free(&r);
    CHECK(h_post_json(url, b, "{\"content\":\" \"}", &r) == 0);
    record("post", "/message/chat/{userId}", url, &r); /* 400 */
    h_free(&r);
    h_free((r = get_rec("/message/chat/{userId}", url, b), &r));
    h_sleep_ms(1000); /* persist writes a's notices */
    h_free((r = get_rec("/message/list", "/message/list?size=5", a), &r));
    h_free((r = get_rec("/message/list", "/message/list?before=x", a), &r));
    h_free(
        (r = get_rec("/message/unread/count", "/message/unread/count", a), &r));
    CHECK(h_put("/message/read", a, NULL, &r) == 0);
    record("put", "/message/read", "/message/read", &r);
    h_free(&r);

    /* vouchers: an admin creates a seckill voucher, a user buys it */
    local_time(time(NULL) - 3600, tb, sizeof(tb));
    local_time(time(NULL) + 3600, te, sizeof(te));
    snprintf(body, sizeof(body),
             "{\"shopId\":1,\"title\":\"apidoc\",\"subTitle\":\"s\","
             "\"rules\":\"r\",\"payValue\":100,\"actualValue\":200,"
             "\"type\":1,\"stock\":5,\"beginTime\":\"%s\",\"endTime\":\"%s\"}",
             tb, te);
    CHECK(h_http("POST", "/voucher/seckill", NULL, admin(), "application/json",
                 body, strlen(body), &r) == 0);
    record("post", "/voucher/seckill", "/voucher/seckill", &r);
    int64_t voucher = data_i64(&r);
    h_free(&r);
    CHECK(voucher > 0);
    h_free(
        (r = get_rec("/voucher/list/{shopId}", "/voucher/list/1", NULL), &r));
    snprintf(url, sizeof(url), "/voucher-order/seckill/%lld",
             (long long)voucher);
    CHECK(h_post_json(url, a, NULL, &r) == 0);
    record("post", "/voucher-order/seckill/{id}", url, &r);
    CHECK(h_success(&r));
    h_free(&r);
    CHECK(h_post_json(url, a, NULL, &r) == 0); /* twice: a refusal */
    record("post", "/voucher-order/seckill/{id}", url, &r);
    h_free(&r);

    /* admin reads, and the gate */
    CHECK(h_http("GET", "/admin/uv", NULL, admin(), NULL, NULL, 0, &r) == 0);
    record("get", "/admin/uv", "/admin/uv", &r);
    h_free(&r);
    r = get_rec("/admin/uv", "/admin/uv", a);
    CHECK(r.status == 403);
    h_free(&r);

    CHECK(h_post_json("/user/logout", a, NULL, &r) == 0);
    record("post", "/user/logout", "/user/logout", &r);
    h_free(&r);

out:
    free(a);
    free(b);

    char path[256];
    snprintf(path, sizeof(path), "%s/samples.json", tmpdir);
    CHECK(json_object_to_file_ext(path, samples, JSON_C_TO_STRING_PRETTY) == 0);
    CHECK(json_object_array_length(samples) >= 40);
    char *outp;
    int rc = run_validator(path, &outp);
    if (rc != 0) {
        printf("  %zu recorded answers; validate.js exited %d\n",
               json_object_array_length(samples), rc);
        show_failures(outp);
    }
    CHECK(rc == 0);
    free(outp);
    json_object_put(samples);
}

struct buf {
    char *p;
    size_t n;
};

/* GET HMDP_URL + path (no /api prefix): status, body (malloc'd) and the
 * content type (copied into ctype). */
static long
fetch(const char *path, struct buf *b, char *ctype, size_t cap)
{
    char url[512];
    snprintf(url, sizeof(url), "%s%s", h_env("HMDP_URL"), path);
    memset(b, 0, sizeof(*b));
    CURL *c = curl_easy_init();
    if (c == NULL)
        return -1;
    curl_easy_setopt(c, CURLOPT_URL, url);
    struct h_sink sink = {&b->p, &b->n};
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, h_curl_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    long status = -1;
    if (curl_easy_perform(c) == CURLE_OK) {
        char *ct = NULL;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
        snprintf(ctype, cap, "%s", ct ? ct : "");
    }
    curl_easy_cleanup(c);
    return status;
}

static void
test_page_served_by_nginx(void)
{
    struct buf b;
    char ct[128];

    long st = fetch("/api-docs/", &b, ct, sizeof(ct));
    CHECK(st == 200);
    CHECK(strncmp(ct, "text/html", 9) == 0);
    CHECK(b.p && strstr(b.p, "src=\"swagger-ui-bundle.js\""));
    CHECK(b.p && strstr(b.p, "href=\"swagger-ui.css\""));
    /* nothing from elsewhere: no absolute URL in a src or href */
    CHECK(b.p && !strstr(b.p, "src=\"http") && !strstr(b.p, "href=\"http") &&
          !strstr(b.p, "src=\"//") && !strstr(b.p, "href=\"//"));
    free(b.p);

    st = fetch("/api-docs/init.js", &b, ct, sizeof(ct));
    CHECK(st == 200);
    CHECK(b.p && strstr(b.p, "url: \"openapi.json\""));
    CHECK(b.p && strstr(b.p, "validatorUrl: null"));
    free(b.p);

    st = fetch("/api-docs/swagger-ui-bundle.js", &b, ct, sizeof(ct));
    CHECK(st == 200);
    CHECK(b.n > 100000); /* the real bundle, not a placeholder */
    CHECK(b.p && strstr(b.p, "SwaggerUIBundle"));
    free(b.p);
    st = fetch("/api-docs/swagger-ui.css", &b, ct, sizeof(ct));
    CHECK(st == 200 && strncmp(ct, "text/css", 8) == 0);
    free(b.p);

    /* the served JSON is the document in the checkout */
    st = fetch("/api-docs/openapi.json", &b, ct, sizeof(ct));
    CHECK(st == 200);
    CHECK(strncmp(ct, "application/json", 16) == 0);
    struct json_object *served = b.p ? json_tokener_parse(b.p) : NULL;
    char path[1024];
    snprintf(path, sizeof(path), "%s/conf/openapi.json", repo());
    struct json_object *mine = json_object_from_file(path);
    CHECK(served != NULL && mine != NULL);
    CHECK(served && mine && json_object_equal(served, mine));
    json_object_put(served);
    json_object_put(mine);
    free(b.p);

    st = fetch("/api-docs/nope.js", &b, ct, sizeof(ct));
    CHECK(st == 404);
    free(b.p);
}

int
main(void)
{
    h_init();
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        printf("0 passed, 1 failed\n");
        return 1;
    }
    RUN(test_document_checks);
    RUN(test_live_answers_match_the_document);
    RUN(test_page_served_by_nginx);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    (void)!system(cmd);
    T_DONE();
}
