/*
 * test_upload.c: image upload and deletion through nginx: real images
 * stored under their sniffed extension and served at /imgs/, non-images
 * and malformed multipart refused, the size limit, owner-only deletion,
 * every traversal form and symlinks refused, and a deleted blog taking
 * its own uploads (and only those) along.
 */
#include "h.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const unsigned char PNG[] = {0x89, 'P',  'N', 'G', '\r', '\n',
                                    0x1a, '\n', 0,   0,   0,    '\r',
                                    '\n', '-',  '-', 'x', 0,    0xff};

/* POSTs data as the multipart field `field` named fname. */
static int
upload_raw(const char *tok, const char *field, const char *fname,
           const void *data, size_t n, struct resp *r)
{
    const char *b = "----hmdpTestBoundary7MA4YWxk";
    size_t cap = n + 1024;
    char *body = malloc(cap);
    size_t k = (size_t)snprintf(body, cap,
                                "--%s\r\nContent-Disposition: form-data; "
                                "name=\"%s\"; filename=\"%s\"\r\n"
                                "Content-Type: image/png\r\n\r\n",
                                b, field, fname);
    memcpy(body + k, data, n);
    k += n;
    k += (size_t)snprintf(body + k, cap - k, "\r\n--%s--\r\n", b);
    char ct[128];
    snprintf(ct, sizeof(ct), "multipart/form-data; boundary=%s", b);
    int rc = h_http("POST", "/upload/blog", tok, NULL, ct, body, k, r);
    free(body);
    return rc;
}

/* Uploads data; returns the malloc'd "/blogs/..." name or NULL. */
static char *
upload(const char *tok, const void *data, size_t n)
{
    struct resp r;
    if (upload_raw(tok, "file", "a.png", data, n, &r) != 0)
        return NULL;
    char *name = NULL;
    if (r.status == 200 && h_success(&r) && h_data(&r) &&
        json_object_is_type(h_data(&r), json_type_string))
        name = strdup(json_object_get_string(h_data(&r)));
    else
        printf("  upload: %ld %s\n", r.status, r.body);
    h_free(&r);
    return name;
}

static char *
disk_path(const char *name)
{
    char *p = malloc(strlen(h_env("HMDP_UPLOAD_DIR")) + strlen(name) + 2);
    sprintf(p, "%s%s", h_env("HMDP_UPLOAD_DIR"), name);
    return p;
}

static int
exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* Number of entries under the upload dir's blogs/ tree. */
static long
count_files(void)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "find '%s/blogs' -type f 2>/dev/null | wc -l",
             h_env("HMDP_UPLOAD_DIR"));
    FILE *f = popen(cmd, "r");
    long n = -1;
    if (f) {
        if (fscanf(f, "%ld", &n) != 1)
            n = -1;
        pclose(f);
    }
    return n;
}

static size_t
sink(char *p, size_t s, size_t n, void *ud)
{
    struct resp *r = ud;
    (void)p;
    r->len += s * n;
    return s * n;
}

/* GET of a static URL path through nginx; returns the status. */
static long
static_get(const char *path, size_t *len)
{
    char url[1024];
    snprintf(url, sizeof(url), "%s%s", h_env("HMDP_URL"), path);
    CURL *c = curl_easy_init();
    struct resp r;
    memset(&r, 0, sizeof(r));
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    long st = 0;
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
    curl_easy_cleanup(c);
    if (len)
        *len = r.len;
    return st;
}

static void
test_upload_png(void)
{
    char *tok = h_login(NULL);
    char *name = upload(tok, PNG, sizeof(PNG));
    CHECK(name != NULL);
    if (name == NULL)
        return;
    unsigned d1 = 99, d2 = 99;
    char hex[64] = "", ext[8] = "";
    CHECK(sscanf(name, "/blogs/%u/%u/%32[0-9a-f].%7s", &d1, &d2, hex, ext) ==
          4);
    CHECK(d1 < 16 && d2 < 16 && strlen(hex) == 32);
    CHECK_STR(ext, "png");
    char *p = disk_path(name);
    struct stat st;
    CHECK(stat(p, &st) == 0);
    CHECK(st.st_size == (off_t)sizeof(PNG));
    CHECK((st.st_mode & 0777) == 0644);
    FILE *f = fopen(p, "rb");
    unsigned char buf[64];
    size_t got = f ? fread(buf, 1, sizeof(buf), f) : 0;
    if (f)
        fclose(f);
    CHECK(got == sizeof(PNG) && memcmp(buf, PNG, got) == 0);
    long long ttl = h_redis_int("TTL upload:owner:%s", name);
    CHECK(ttl > 0 && ttl <= 86400);
    /* served by nginx at /imgs + name */
    char url[256];
    snprintf(url, sizeof(url), "/imgs%s", name);
    size_t len = 0;
    CHECK(static_get(url, &len) == 200);
    CHECK(len == sizeof(PNG));
    free(p);
    free(name);
    free(tok);
}

static void
test_upload_types(void)
{
    char *tok = h_login(NULL);
    const unsigned char jpg[] = {0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 'J', 'F'};
    const char gif[] = "GIF89a\x01\x00\x01\x00";
    const char webp[] = "RIFF\x10\0\0\0WEBPVP8 ";
    struct {
        const void *d;
        size_t n;
        const char *ext;
    } ok[] = {{jpg, sizeof(jpg), ".jpg"},
              {gif, sizeof(gif) - 1, ".gif"},
              {webp, sizeof(webp) - 1, ".webp"}};
    for (int i = 0; i < 3; i++) {
        char *name = upload(tok, ok[i].d, ok[i].n);
        CHECK(name && strlen(name) > 5 &&
              strcmp(name + strlen(name) - strlen(ok[i].ext), ok[i].ext) == 0);
        free(name);
    }
    /* a text file named .png, HTML, SVG, an empty file: refused, nothing
     * written */
    long before = count_files();
    const char *bad[] = {"just some text, honestly a png",
                         "<html><script>alert(1)</script></html>",
                         "<svg xmlns=\"http://www.w3.org/2000/svg\"/>"};
    struct resp r;
    for (int i = 0; i < 3; i++) {
        CHECK(upload_raw(tok, "file", "evil.png", bad[i], strlen(bad[i]), &r) ==
              0);
        CHECK(!h_success(&r));
        CHECK(r.status == 200 || r.status == 400);
        h_free(&r);
    }
    CHECK(upload_raw(tok, "file", "e.png", "", 0, &r) == 0);
    CHECK(!h_success(&r));
    h_free(&r);
    CHECK(count_files() == before);
    free(tok);
}

static void
test_upload_rejects(void)
{
    char *tok = h_login(NULL);
    struct resp r;
    long before = count_files();
    CHECK(upload_raw(NULL, "file", "a.png", PNG, sizeof(PNG), &r) == 0);
    CHECK(r.status == 401);
    h_free(&r);
    /* no field named file */
    CHECK(upload_raw(tok, "image", "a.png", PNG, sizeof(PNG), &r) == 0);
    CHECK(r.status == 400 && !h_success(&r));
    h_free(&r);
    /* no boundary, not multipart, truncated, no body */
    const char *body = "--X\r\nContent-Disposition: form-data; "
                       "name=\"file\"\r\n\r\n\x89PNG\r\n\x1a\n\r\n--X--\r\n";
    CHECK(h_http("POST", "/upload/blog", tok, NULL, "multipart/form-data", body,
                 strlen(body), &r) == 0);
    CHECK(r.status == 400 && r.json != NULL);
    h_free(&r);
    CHECK(h_http("POST", "/upload/blog", tok, NULL, "application/json", "{}", 2,
                 &r) == 0);
    CHECK(r.status == 400);
    h_free(&r);
    CHECK(h_http("POST", "/upload/blog", tok, NULL,
                 "multipart/form-data; boundary=X", body, strlen(body) - 9,
                 &r) == 0);
    CHECK(r.status == 400);
    h_free(&r);
    CHECK(h_http("POST", "/upload/blog", tok, NULL,
                 "multipart/form-data; boundary=\"X\"", body, strlen(body),
                 &r) == 0);
    CHECK(r.status == 200 && h_success(&r)); /* quoted boundary works */
    h_free(&r);
    CHECK(h_http("POST", "/upload/blog", tok, NULL,
                 "multipart/form-data; boundary=X", NULL, 0, &r) == 0);
    CHECK(r.status == 400);
    h_free(&r);
    /* a header block over 8 KiB */
    size_t n = 20000;
    char *big = malloc(n + 200);
    size_t k = (size_t)sprintf(big, "--X\r\nContent-Disposition: form-data; "
                                    "name=\"file\"\r\nX-Pad: ");
    memset(big + k, 'p', 10000);
    k += 10000;
    k += (size_t)sprintf(big + k, "\r\n\r\n\x89PNG\r\n\x1a\n\r\n--X--\r\n");
    CHECK(h_http("POST", "/upload/blog", tok, NULL,
                 "multipart/form-data; boundary=X", big, k, &r) == 0);
    CHECK(r.status == 400);
    h_free(&r);
    free(big);
    CHECK(count_files() == before + 1);
    free(tok);
}

static void
test_upload_too_large(void)
{
    char *tok = h_login(NULL);
    long limit = atol(getenv("HMDP_UPLOAD_LIMIT") ? getenv("HMDP_UPLOAD_LIMIT")
                                                  : "10485760");
    size_t n = (size_t)limit + 1024;
    unsigned char *data = calloc(1, n);
    memcpy(data, PNG, sizeof(PNG));
    struct resp r;
    long before = count_files();
    CHECK(upload_raw(tok, "file", "big.png", data, n, &r) == 0);
    CHECK(r.status == 413);
    CHECK(!h_success(&r));
    h_free(&r);
    CHECK(count_files() == before);
    free(data);
    free(tok);
}

static long
delete_name(const char *tok, const char *qname, struct resp *r)
{
    char path[1024];
    snprintf(path, sizeof(path), "/upload/blog/delete?name=%s", qname);
    if (h_get(path, tok, r) != 0)
        return -1;
    return r->status;
}

static void
test_delete_owner_only(void)
{
    char *tok = h_login(NULL), *other = h_login(NULL);
    char *a = upload(tok, PNG, sizeof(PNG));
    char *b = upload(tok, PNG, sizeof(PNG));
    CHECK(a && b);
    if (!a || !b)
        return;
    char *pa = disk_path(a), *pb = disk_path(b);
    struct resp r;
    char q[256];
    snprintf(q, sizeof(q), "/imgs%s", a);
    CHECK(delete_name(NULL, q, &r) == 401);
    h_free(&r);
    CHECK(delete_name(other, q, &r) == 403);
    h_free(&r);
    CHECK(exists(pa));
    /* with the page's /imgs prefix */
    CHECK(delete_name(tok, q, &r) == 200 && h_success(&r));
    h_free(&r);
    CHECK(!exists(pa));
    CHECK(h_redis_int("EXISTS upload:owner:%s", a) == 0);
    /* again: no longer ours to delete */
    CHECK(delete_name(tok, q, &r) == 403);
    h_free(&r);
    /* without the prefix */
    CHECK(delete_name(tok, b, &r) == 200 && h_success(&r));
    h_free(&r);
    CHECK(!exists(pb));
    free(pa);
    free(pb);
    free(a);
    free(b);
    free(tok);
    free(other);
}

static void
test_delete_traversal(void)
{
    char *tok = h_login(NULL);
    char *a = upload(tok, PNG, sizeof(PNG));
    CHECK(a != NULL);
    if (a == NULL)
        return;
    /* a victim file outside blogs/ that the owner record points at */
    char victim[1024];
    snprintf(victim, sizeof(victim), "%s/victim-%d.png",
             h_env("HMDP_UPLOAD_DIR"), (int)getpid());
    FILE *f = fopen(victim, "w");
    CHECK(f != NULL);
    if (f) {
        fputs("x", f);
        fclose(f);
    }
    char qa[256];
    snprintf(qa, sizeof(qa), "/imgs%s", a);
    const char *names[] = {
        "../../../../etc/passwd",
        "/imgs/blogs/../../victim.png",
        "/imgs/blogs/1/2/../../../victim.png",
        "%2e%2e%2f%2e%2e%2fvictim.png",
        "%252e%252e%252fvictim.png",
        "/imgs/blogs/1/2/..%252fvictim.png",
        "..%5c..%5cvictim.png",
        "/imgs/blogs%5C1%5C2%5Cx.png",
        "/etc/passwd",
        "//etc/passwd",
        "/imgs//blogs/1/2/x.png",
        "/imgs/blogs/1/2/x.png%00.png",
        "",
        "/imgs/blogs/",
        "/imgs/blogs/1/2/0123456789abcdef0123456789abcdef.html",
        "file:///etc/passwd",
    };
    struct resp r;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        long st = delete_name(tok, names[i], &r);
        if (st != 400 && st != 403)
            printf("  name %s -> %ld %s\n", names[i], st, r.body);
        CHECK(st == 400 || st == 403);
        CHECK(!h_success(&r) && r.json != NULL);
        h_free(&r);
    }
    CHECK(h_get("/upload/blog/delete", tok, &r) == 0 && r.status == 400);
    h_free(&r);
    CHECK(exists(victim));
    /* our own real upload, named with a traversal detour: refused too */
    char det[512];
    const char *tail = strchr(a + 7, '/'); /* "/d2/name" */
    snprintf(det, sizeof(det), "/imgs/blogs/0/../%.*s%s", (int)(tail - (a + 7)),
             a + 7, tail);
    CHECK(delete_name(tok, det, &r) == 400);
    h_free(&r);
    char *pa = disk_path(a);
    CHECK(exists(pa));
    CHECK(delete_name(tok, qa, &r) == 200);
    h_free(&r);
    unlink(victim);
    free(pa);
    free(a);
    free(tok);
}

static void
test_delete_symlink(void)
{
    int64_t me;
    char *tok = h_login(&me);
    char *a = upload(tok, PNG, sizeof(PNG));
    CHECK(a != NULL);
    if (a == NULL)
        return;
    /* replace our upload by a symlink to a victim and try to delete it */
    char victim[1024];
    snprintf(victim, sizeof(victim), "%s/victim-link-%d.txt",
             h_env("HMDP_UPLOAD_DIR"), (int)getpid());
    FILE *f = fopen(victim, "w");
    if (f) {
        fputs("keep me", f);
        fclose(f);
    }
    char *pa = disk_path(a);
    CHECK(unlink(pa) == 0);
    CHECK(symlink(victim, pa) == 0);
    struct resp r;
    CHECK(delete_name(tok, a, &r) == 403);
    h_free(&r);
    CHECK(exists(victim));
    CHECK(exists(pa)); /* the link itself is left for an operator */
    unlink(pa);

    /* a symlinked bucket directory: blogs/d1/d2 -> elsewhere */
    unsigned d1, d2;
    char hex[40];
    CHECK(sscanf(a, "/blogs/%u/%u/%32[0-9a-f]", &d1, &d2, hex) == 3);
    char dir[900], moved[1024], target[900];
    snprintf(dir, sizeof(dir), "%s/blogs/%u/%u", h_env("HMDP_UPLOAD_DIR"), d1,
             d2);
    snprintf(moved, sizeof(moved), "%s.moved-%d", dir, (int)getpid());
    snprintf(target, sizeof(target), "%s/outside-%d", h_env("HMDP_UPLOAD_DIR"),
             (int)getpid());
    CHECK(rename(dir, moved) == 0);
    CHECK(mkdir(target, 0755) == 0);
    char tfile[1200];
    snprintf(tfile, sizeof(tfile), "%s/%s.png", target, hex);
    f = fopen(tfile, "w");
    if (f) {
        fputs("outside", f);
        fclose(f);
    }
    CHECK(symlink(target, dir) == 0);
    redisReply *x =
        redisCommand(h_redis(), "SET upload:owner:%s %lld", a, (long long)me);
    freeReplyObject(x);
    CHECK(delete_name(tok, a, &r) == 403);
    h_free(&r);
    CHECK(exists(tfile));
    /* restore the tree */
    unlink(dir);
    CHECK(rename(moved, dir) == 0);
    unlink(tfile);
    rmdir(target);
    unlink(victim);
    free(pa);
    free(a);
    free(tok);
}

static void
test_blog_delete_takes_own_images(void)
{
    char *tok = h_login(NULL), *other = h_login(NULL);
    char *mine = upload(tok, PNG, sizeof(PNG));
    char *shared = upload(tok, PNG, sizeof(PNG));
    char *theirs = upload(other, PNG, sizeof(PNG));
    CHECK(mine && shared && theirs);
    if (!mine || !shared || !theirs)
        return;
    char body[1024];
    snprintf(body, sizeof(body),
             "{\"title\":\"pics\",\"content\":\"c\",\"shopId\":1,"
             "\"images\":\"/imgs%s,/imgs%s,/imgs%s,/imgs/blogs/blog1.jpg\"}",
             mine, shared, theirs);
    struct resp r;
    CHECK(h_post_json("/blog", tok, body, &r) == 0 && h_success(&r));
    int64_t id = h_data(&r) ? json_object_get_int64(h_data(&r)) : 0;
    h_free(&r);
    /* publishing made our records permanent, not theirs */
    CHECK(h_redis_int("TTL upload:owner:%s", mine) == -1);
    CHECK(h_redis_int("TTL upload:owner:%s", theirs) > 0);
    /* a second blog of ours keeps using `shared` */
    snprintf(body, sizeof(body),
             "{\"title\":\"again\",\"shopId\":1,\"images\":\"/imgs%s\"}",
             shared);
    CHECK(h_post_json("/blog", tok, body, &r) == 0 && h_success(&r));
    h_free(&r);

    char p[64];
    snprintf(p, sizeof(p), "/blog/%lld", (long long)id);
    CHECK(h_del(p, tok, &r) == 0 && h_success(&r));
    h_free(&r);
    char *pm = disk_path(mine), *ps = disk_path(shared),
         *pt = disk_path(theirs);
    CHECK(!exists(pm));
    CHECK(h_redis_int("EXISTS upload:owner:%s", mine) == 0);
    CHECK(exists(ps));
    CHECK(exists(pt));
    free(pm);
    free(ps);
    free(pt);
    free(mine);
    free(shared);
    free(theirs);
    free(tok);
    free(other);
}

int
main(void)
{
    h_init();
    RUN(test_upload_png);
    RUN(test_upload_types);
    RUN(test_upload_rejects);
    RUN(test_upload_too_large);
    RUN(test_delete_owner_only);
    RUN(test_delete_traversal);
    RUN(test_delete_symlink);
    RUN(test_blog_delete_takes_own_images);
    T_DONE();
}
