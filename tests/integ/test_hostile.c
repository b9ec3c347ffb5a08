/*
 * test_hostile.c: hostile input against every route, as an anonymous
 * caller and logged in (h_login; admin routes also get the admin token).
 * The routes are rows of tests/integ/hostile_routes.h (one row per route;
 * tests/unit/test_hostile_cover.c keeps that table in step with the
 * worker's route tables). For every row the sweep sends bad path ids,
 * poisoned query parameters, malformed and wrongly typed JSON bodies,
 * poisoned fields, wrong content types, methods the path does not take,
 * oversized headers and URLs; the upload route also gets broken
 * multipart bodies; and a few requests go over a raw socket (what curl
 * will not send).
 *
 * Every answer must: arrive within 2 s (the frontend's deadline), have a
 * status in 200/400/401/403/404/405/413/414, carry (except HEAD) the JSON
 * envelope with a boolean success and an errorMsg when it is false, and
 * never be success:true where the input was not acceptable. Some variants
 * also pin the status (a malformed id is 400, a wrong method 405, a gated
 * route 401/403). Afterwards the service must answer normally, no worker
 * may have died, and the data of another user, which the sweep attacked
 * through every id it could, must be intact.
 */
#include "h.h"

#include "hostile_routes.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HX_DEADLINE_MS 2000.0

/* status bits */
enum {
    S200 = 1,
    S400 = 2,
    S401 = 4,
    S403 = 8,
    S404 = 16,
    S405 = 32,
    S413 = 64,
    S414 = 128,
    S4XX = S400 | S401 | S403 | S404 | S405 | S413 | S414,
};

static unsigned
hx_bit(long status)
{
    switch (status) {
    case 200:
        return S200;
    case 400:
        return S400;
    case 401:
        return S401;
    case 403:
        return S403;
    case 404:
        return S404;
    case 405:
        return S405;
    case 413:
        return S413;
    case 414:
        return S414;
    default:
        return 0;
    }
}

/* ================= sending ================= */

struct hx {
    long status;
    char *body;
    size_t len;
    double ms;
    int timed_out;
    struct h_sink sink; /* into body/len */
};

static CURL *hx_curl;
static long hx_sent, hx_failed_lines;

static void
hx_free(struct hx *r)
{
    free(r->body);
    memset(r, 0, sizeof(*r));
}

/* Sends method /api+target with extra header lines (NULL-terminated
 * array, may be NULL), an optional content type and body. */
static void
hx_send(const char *method, const char *target, const char *const *headers,
        const char *ctype, const char *body, size_t blen, struct hx *out)
{
    memset(out, 0, sizeof(*out));
    const char *base = h_env("HMDP_URL");
    size_t ul = strlen(base) + strlen(target) + 8;
    char *url = malloc(ul);
    snprintf(url, ul, "%s/api%s", base, target);
    CURL *c = hx_curl;
    curl_easy_reset(c);
    struct curl_slist *hd = NULL;
    for (size_t i = 0; headers && headers[i]; i++)
        hd = curl_slist_append(hd, headers[i]);
    char *ct = NULL;
    if (ctype) {
        ct = malloc(strlen(ctype) + 16);
        sprintf(ct, "Content-Type: %s", ctype);
        hd = curl_slist_append(hd, ct);
    } else {
        hd = curl_slist_append(hd, "Content-Type:");
    }
    hd = curl_slist_append(hd, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hd);
    out->sink = (struct h_sink){&out->body, &out->len};
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, h_curl_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &out->sink);
    /* well past the deadline, so that a hang shows as a slow answer or a
     * timeout instead of stalling the run */
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 6000L);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)blen);
    }
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    CURLcode e = curl_easy_perform(c);
    double t = 0;
    curl_easy_getinfo(c, CURLINFO_TOTAL_TIME, &t);
    out->ms = t * 1000.0;
    if (e == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    else
        out->timed_out = 1;
    if (out->body == NULL)
        out->body = strdup("");
    curl_slist_free_all(hd);
    free(ct);
    free(url);
    hx_sent++;
}

/* Sends raw bytes to nginx and reads until EOF (send Connection: close).
 */
static void
hx_raw(const char *req, size_t n, struct hx *out)
{
    memset(out, 0, sizeof(*out));
    out->body = strdup("");
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)atoi(h_env("HMDP_NGINX_PORT")));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int64_t t0 = h_now_ms();
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        out->timed_out = 1;
        if (fd >= 0)
            close(fd);
        return;
    }
    size_t off = 0;
    while (off < n) {
        ssize_t w = write(fd, req + off, n - off);
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    char *buf = NULL;
    size_t len = 0;
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        int left = 6000 - (int)(h_now_ms() - t0);
        if (left <= 0 || poll(&p, 1, left) <= 0) {
            out->timed_out = 1;
            break;
        }
        char tmp[4096];
        ssize_t k = read(fd, tmp, sizeof(tmp));
        if (k <= 0)
            break;
        buf = realloc(buf, len + (size_t)k + 1);
        memcpy(buf + len, tmp, (size_t)k);
        len += (size_t)k;
        buf[len] = '\0';
    }
    close(fd);
    out->ms = (double)(h_now_ms() - t0);
    hx_sent++;
    if (buf == NULL)
        return;
    if (strncmp(buf, "HTTP/1.", 7) == 0)
        out->status = strtol(buf + 9, NULL, 10);
    char *sep = strstr(buf, "\r\n\r\n");
    if (sep) {
        free(out->body);
        out->body = strdup(sep + 4);
        out->len = len - (size_t)(sep + 4 - buf);
    }
    free(buf);
}

/* ================= checking ================= */

struct hx_expect {
    unsigned want; /* status bits that are acceptable; 0 = any allowed */
    int must_fail; /* success:true would accept bad input */
    int head;      /* HEAD: no body to check */
};

static void
hx_report(const char *who, const char *method, const char *target,
          const char *what, const struct hx *r, const char *problem)
{
    t_cur_failed = 1;
    if (hx_failed_lines++ >= 80)
        return;
    char shown[121];
    snprintf(shown, sizeof(shown), "%s", target);
    char bodyhead[81];
    size_t bl = r->len < 80 ? r->len : 80;
    for (size_t i = 0; i < bl; i++)
        bodyhead[i] = (r->body[i] >= 32 && r->body[i] < 127) ? r->body[i] : '.';
    bodyhead[bl] = '\0';
    printf("  HOSTILE %s %s %s [%s]: %s (status %ld, %.0f ms, body %s)\n", who,
           method, shown, what, problem, r->status, r->ms, bodyhead);
}

/* 1 when [s, s+n) is valid UTF-8 (JSON text must be, RFC 8259 §8.1). */
static int
hx_utf8_ok(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *e = p + n;
    while (p < e) {
        unsigned c = *p;
        int extra = c < 0x80                 ? 0
                    : c >= 0xC2 && c <= 0xDF ? 1
                    : c >= 0xE0 && c <= 0xEF ? 2
                    : c >= 0xF0 && c <= 0xF4 ? 3
                                             : -1;
        if (extra < 0 || e - p <= extra)
            return 0;
        for (int i = 1; i <= extra; i++)
            if ((p[i] & 0xC0) != 0x80)
                return 0;
        if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] > 0x9F) ||
            (c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] > 0x8F))
            return 0;
        p += extra + 1;
    }
    return 1;
}

/* Checks one answer against the standards; returns 1 when it passed. */
static int
hx_check(const char *who, const char *method, const char *target,
         const char *what, const struct hx *r, struct hx_expect ex)
{
    if (r->timed_out) {
        hx_report(who, method, target, what, r, "no answer (hang or reset)");
        return 0;
    }
    if (r->ms > HX_DEADLINE_MS) {
        hx_report(who, method, target, what, r, "slower than 2 s");
        return 0;
    }
    unsigned bit = hx_bit(r->status);
    if (bit == 0) {
        hx_report(who, method, target, what, r, "status not allowed");
        return 0;
    }
    if (ex.want && !(bit & ex.want)) {
        hx_report(who, method, target, what, r, "wrong status");
        return 0;
    }
    if (ex.head)
        return 1;
    struct json_object *j = json_tokener_parse(r->body);
    struct json_object *s = NULL, *m = NULL;
    const char *problem = NULL;
    if (j == NULL || !json_object_is_type(j, json_type_object))
        problem = "body is not a JSON object";
    else if (!json_object_object_get_ex(j, "success", &s) ||
             !json_object_is_type(s, json_type_boolean))
        problem = "no boolean success";
    else if (!json_object_get_boolean(s) &&
             (!json_object_object_get_ex(j, "errorMsg", &m) ||
              !json_object_is_type(m, json_type_string) ||
              json_object_get_string_len(m) == 0))
        problem = "success:false without errorMsg";
    else if (json_object_get_boolean(s) && (r->status != 200 || ex.must_fail))
        problem = "success:true for input that is not acceptable";
    else if (r->len != strlen(r->body))
        problem = "NUL byte in the body";
    else if (!hx_utf8_ok(r->body, r->len))
        problem = "body is not valid UTF-8";
    if (j)
        json_object_put(j);
    if (problem) {
        hx_report(who, method, target, what, r, problem);
        return 0;
    }
    return 1;
}

/* ================= who is asking ================= */

struct ident {
    const char *name;
    char *token; /* NULL: anonymous */
    int admin;   /* send X-Admin-Token */
};

static char hx_admin_line[256];

/* Gate of a row for a caller: 401 or 403 when it stops the request. */
static unsigned
hx_gate(const struct h_route *row, const struct ident *id)
{
    if ((row->flags & H_ADMIN) && !id->admin)
        return S403;
    if ((row->flags & H_AUTH) && id->token == NULL)
        return S401;
    return 0;
}

/* An expectation: a variant that is bad for this row must get `bad`
 * (0 = any refusal); gates come first and may also hit the body limits
 * or nginx's own checks. */
static struct hx_expect
hx_expect_for(const struct h_route *row, const struct ident *id, int bad,
              unsigned status)
{
    struct hx_expect ex = {0, 0, 0};
    unsigned g = hx_gate(row, id);
    if (g) {
        ex.want = g | S400 | S404 | S405 | S413 | S414;
        ex.must_fail = 1;
    } else if (bad) {
        ex.want = status;
        ex.must_fail = 1;
    }
    return ex;
}

/* ================= data the sweep must not destroy ================= */

static int64_t a_uid, a_blog, a_comment;
static char *a_token;
static char a_image[128];
static char a_title[64];

static const char *
hx_plausible_param(const char *pattern, const char *param)
{
    static char buf[32];
    int64_t v = a_blog;
    if (strncmp(pattern, "/user/", 6) == 0)
        v = a_uid;
    else if (strncmp(pattern, "/comment/", 9) == 0 && strcmp(param, "id") == 0)
        v = a_comment;
    snprintf(buf, sizeof(buf), "%lld", (long long)v);
    return buf;
}

/* The pattern with every {param} replaced: by value when value is not
 * NULL, else by the plausible id. Caller frees. */
static char *
hx_path(const char *pattern, const char *value)
{
    size_t cap = strlen(pattern) + (value ? strlen(value) * 4 : 0) + 128;
    char *out = malloc(cap), *o = out;
    for (const char *p = pattern; *p;) {
        if (*p == '{') {
            const char *e = strchr(p, '}');
            char name[32];
            snprintf(name, sizeof(name), "%.*s", (int)(e - p - 1), p + 1);
            const char *v = value ? value : hx_plausible_param(pattern, name);
            size_t vl = strlen(v);
            memcpy(o, v, vl);
            o += vl;
            p = e + 1;
        } else {
            *o++ = *p++;
        }
    }
    *o = '\0';
    return out;
}

static int
hx_has_param(const char *pattern)
{
    return strchr(pattern, '{') != NULL;
}

/* path?query, or path when the query is "" (query NULL: row's). */
static char *
hx_target(const struct h_route *row, const char *path_value, const char *query)
{
    char *p = hx_path(row->pattern, path_value);
    const char *q = query ? query : row->query;
    if (*q == '\0')
        return p;
    size_t n = strlen(p) + strlen(q) + 2;
    char *t = malloc(n);
    snprintf(t, n, "%s?%s", p, q);
    free(p);
    return t;
}

static void
hx_ident_headers(const struct ident *id, const char **hd, char *authline,
                 size_t cap)
{
    int n = 0;
    if (id->token) {
        snprintf(authline, cap, "authorization: %s", id->token);
        hd[n++] = authline;
    }
    if (id->admin)
        hd[n++] = hx_admin_line;
    hd[n] = NULL;
}

/* One request of a row with the caller's headers (plus extra) and the
 * expectations. Returns the check's result. Logs the caller in afresh
 * first for H_RELOGIN rows. */
static int
hx_do(const struct h_route *row, struct ident *id, const char *method,
      const char *target, const char *extra, const char *ctype,
      const char *body, size_t blen, const char *what, struct hx_expect ex)
{
    if ((row->flags & H_RELOGIN) && id->token) {
        free(id->token);
        id->token = h_login(NULL);
        if (id->token == NULL) {
            printf("  HOSTILE: login failed\n");
            t_cur_failed = 1;
            return 0;
        }
    }
    const char *hd[4];
    char authline[128];
    hx_ident_headers(id, hd, authline, sizeof(authline));
    if (extra) {
        int n = 0;
        while (hd[n])
            n++;
        hd[n++] = extra;
        hd[n] = NULL;
    }
    struct hx r;
    hx_send(method, target, hd, ctype, body, blen, &r);
    if (strcmp(method, "HEAD") == 0)
        ex.head = 1;
    int ok = hx_check(id->name, method, target, what, &r, ex);
    hx_free(&r);
    return ok;
}

static char *
hx_repeat(char c, size_t n)
{
    char *s = malloc(n + 1);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

/* ================= variants: path ids ================= */

/* ID_BAD: the route matches and the id is malformed (400). ID_ROUTE:
 * nginx normalises the path into no route or another method's (a 4xx).
 * ID_OK: a valid id once decoded; ID_ELSEWHERE: the path normalises into
 * another valid route (/user/info//1 is /user/info/1, ../../user/me is
 * /user/me), so only the general rules apply. */
enum id_class { ID_BAD, ID_ROUTE, ID_OK, ID_ELSEWHERE };

struct hostile_id {
    const char *v;
    enum id_class cls;
};

static const struct hostile_id hostile_ids[] = {
    {"0", ID_BAD},
    {"-1", ID_BAD},
    {"-0", ID_BAD},
    {"-", ID_BAD},
    {"abc", ID_BAD},
    {"1.5", ID_BAD},
    {"1e3", ID_BAD},
    {"0x10", ID_BAD},
    {"+1", ID_BAD},
    {"%2B1", ID_BAD},
    {"99999999999999999999", ID_BAD},
    {"9223372036854775808", ID_BAD},
    {"-9223372036854775808", ID_BAD},
    {"1%20", ID_BAD},
    {"%201", ID_BAD},
    {"%091", ID_BAD},
    {"1%0A", ID_BAD},
    {"%E4%B8%AD", ID_BAD},
    {"%EF%BC%91", ID_BAD}, /* fullwidth 1 */
    {"%FF%FE", ID_BAD},
    {"%C0%AE", ID_BAD},
    {"1;2", ID_BAD},
    {"1,2", ID_BAD},
    {"null", ID_BAD},
    {"%5B1%5D", ID_BAD},
    {"%7B%7D", ID_BAD},
    {"1'%20OR%20'1'='1", ID_BAD},
    {"..", ID_ROUTE},
    {".", ID_ROUTE},
    {"%2e%2e", ID_ROUTE},
    {"%2F", ID_ROUTE},
    {"..%2F..%2F..%2Fetc%2Fpasswd", ID_ROUTE},
    {"..%2f..%2fuser%2fme", ID_ELSEWHERE},
    {"1/..", ID_ROUTE},
    {"1/extra", ID_ROUTE},
    {"", ID_ROUTE},
    {"/1", ID_ELSEWHERE},
    {"%00", ID_ROUTE},
    {"1%00", ID_ROUTE},
    {"%31", ID_OK},
    {"00000000001", ID_OK},
    {"9223372036854775807", ID_OK},
};

static void
hx_sweep_ids(const struct h_route *row, struct ident *id)
{
    if (!hx_has_param(row->pattern))
        return;
    const char *body = row->body;
    const char *ctype = body ? "application/json" : NULL;
    for (size_t i = 0; i < sizeof(hostile_ids) / sizeof(hostile_ids[0]); i++) {
        const struct hostile_id *h = &hostile_ids[i];
        char *t = hx_target(row, h->v, NULL);
        struct hx_expect ex =
            hx_expect_for(row, id, h->cls == ID_BAD || h->cls == ID_ROUTE,
                          h->cls == ID_BAD ? S400 : S400 | S404 | S405);
        if (h->cls == ID_ELSEWHERE)
            ex = (struct hx_expect){0, 0, 0};
        hx_do(row, id, row->method, t, NULL, ctype, body,
              body ? strlen(body) : 0, "path id", ex);
        free(t);
    }
    /* 7000 digits reach the app (400); 20000 do not pass nginx (414) */
    size_t lens[] = {7000, 20000};
    for (size_t k = 0; k < 2; k++) {
        char *v = hx_repeat('1', lens[k]);
        char *t = hx_target(row, v, NULL);
        hx_do(row, id, row->method, t, NULL, ctype, body,
              body ? strlen(body) : 0, "long path id",
              hx_expect_for(row, id, 1, S400 | S414));
        free(t);
        free(v);
    }
}

/* ================= variants: query ================= */

struct hostile_q {
    const char *v; /* NULL: parameter left out */
    int dup;       /* plausible value first, then v */
    int bad_page;  /* 400 for `current` */
    int bad_id;    /* 400 for a required id */
    int bad_str;   /* refused for a required string */
    int breaks_qs; /* malformed query: every parameter unreadable */
};

static const struct hostile_q hostile_qs[] = {
    {NULL, 0, 0, 1, 1, 0},
    {"", 0, 0, 1, 1, 0},
    {"0", 0, 1, 1, 1, 0},
    {"-1", 0, 1, 1, 1, 0},
    {"1e9", 0, 1, 1, 1, 0},
    {"1000000000", 0, 1, 0, 1, 0},
    {"99999999999999999999", 0, 1, 1, 1, 0},
    {"-99999999999999999999", 0, 1, 1, 1, 0},
    {"abc", 0, 1, 1, 1, 0},
    {"1.0", 0, 1, 1, 1, 0},
    {"%00", 0, 1, 1, 1, 1},
    {"1%00", 0, 1, 1, 1, 1},
    {"%ZZ", 0, 1, 1, 1, 0},
    {"%", 0, 1, 1, 1, 0},
    {"%E4%B8%AD", 0, 1, 1, 1, 0},
    {"%FF%FE", 0, 1, 1, 1, 0},
    {"%C0%AF", 0, 1, 1, 1, 0},
    {"..%2F..%2F..%2Fetc%2Fpasswd", 0, 1, 1, 1, 0},
    {"/imgs/../../etc/passwd", 0, 1, 1, 1, 0},
    {"%2Fimgs%2F..%2F..%2Fetc%2Fpasswd", 0, 1, 1, 1, 0},
    {"/imgs/blogs/1/2/..%252F..%252Fx.png", 0, 1, 1, 1, 0},
    {"..%5C..%5Cwin.ini", 0, 1, 1, 1, 0},
    {"1%27%20OR%20%271%27%3D%271", 0, 1, 1, 1, 0},
    {"%27%3B%20DROP%20TABLE%20tb_user%3B%20--", 0, 1, 1, 1, 0},
    {"-1", 1, 0, 0, 0, 0}, /* duplicate: the first (plausible) wins */
    {"%0D%0Afake", 0, 1, 1, 1, 0},
};

/* The row's query with parameter `name` replaced (or dropped, or doubled,
 * or appended when the row does not have it). Caller frees. */
static char *
hx_query_with(const struct h_route *row, const char *name, const char *v,
              int dup)
{
    size_t cap =
        strlen(row->query) + strlen(name) * 2 + (v ? strlen(v) : 0) + 64;
    char *out = malloc(cap);
    out[0] = '\0';
    char *q = strdup(row->query), *save = NULL;
    const char *plaus = NULL;
    for (char *pair = strtok_r(q, "&", &save); pair;
         pair = strtok_r(NULL, "&", &save)) {
        size_t kl = strcspn(pair, "=");
        if (kl == strlen(name) && strncmp(pair, name, kl) == 0) {
            plaus = pair[kl] ? pair + kl + 1 : "";
            continue;
        }
        if (*out)
            strcat(out, "&");
        strcat(out, pair);
    }
    if (dup) {
        if (*out)
            strcat(out, "&");
        sprintf(out + strlen(out), "%s=%s", name, plaus ? plaus : "1");
    }
    if (v) {
        if (*out)
            strcat(out, "&");
        sprintf(out + strlen(out), "%s=%s", name, v);
    }
    free(q);
    return out;
}

static void
hx_sweep_query(const struct h_route *row, struct ident *id)
{
    /* the row's parameters, plus `current` and a stray one for all */
    struct h_param ps[H_MAX_PARAMS + 2];
    int n = 0, has_current = 0;
    for (int i = 0; i < H_MAX_PARAMS && row->qparams[i].name; i++) {
        ps[n++] = row->qparams[i];
        if (strcmp(row->qparams[i].name, "current") == 0)
            has_current = 1;
    }
    if (!has_current)
        ps[n++] = (struct h_param){"current", 0};
    ps[n++] = (struct h_param){"x", 0};
    int reads_required = 0;
    for (int i = 0; i < n; i++)
        if (ps[i].kind & Q_REQ)
            reads_required = 1;

    const char *body = row->body;
    const char *ctype = body ? "application/json" : NULL;
    for (int i = 0; i < n; i++) {
        unsigned kind = ps[i].kind & 0xff;
        int req = (ps[i].kind & Q_REQ) != 0;
        for (size_t k = 0; k < sizeof(hostile_qs) / sizeof(hostile_qs[0]);
             k++) {
            const struct hostile_q *h = &hostile_qs[k];
            int bad = 0;
            unsigned st = S400;
            if (kind == Q_PAGE && h->bad_page) {
                bad = 1;
            } else if (kind == Q_ID && req && h->bad_id) {
                bad = 1;
            } else if (kind == Q_STR && req && h->bad_str) {
                bad = 1;
                st = 0; /* a bad phone is refused (200), a bad name 400 */
            } else if (h->breaks_qs && reads_required) {
                bad = 1; /* the required parameter cannot be read */
                st = 0;
            }
            char *q = hx_query_with(row, ps[i].name, h->v, h->dup);
            char *t = hx_target(row, NULL, q);
            char what[64];
            snprintf(what, sizeof(what), "query %s", ps[i].name);
            hx_do(row, id, row->method, t, NULL, ctype, body,
                  body ? strlen(body) : 0, what,
                  hx_expect_for(row, id, bad, st));
            free(t);
            free(q);
        }
        /* an oversized value: reaches the app below nginx's 8k line */
        char *big = hx_repeat(kind == Q_STR ? 'a' : '1', 6000);
        char *q = hx_query_with(row, ps[i].name, big, 0);
        char *t = hx_target(row, NULL, q);
        int bad = kind == Q_PAGE || (req && kind != 0);
        hx_do(row, id, row->method, t, NULL, ctype, body,
              body ? strlen(body) : 0, "oversized query value",
              hx_expect_for(row, id, bad, kind == Q_STR ? 0 : S400));
        free(t);
        free(q);
        free(big);
    }
    /* whole-query garbage */
    static const char *const junk[] = {"&&&", "=",           "==&=1",  "%",
                                       "&=&", "a=%00&b=%00", "current"};
    for (size_t k = 0; k < sizeof(junk) / sizeof(junk[0]); k++) {
        char *t = hx_target(row, NULL, junk[k]);
        hx_do(row, id, row->method, t, NULL, ctype, body,
              body ? strlen(body) : 0, "junk query",
              hx_expect_for(row, id, reads_required, 0));
        free(t);
    }
    /* a query over nginx's header buffers */
    char *huge = hx_repeat('1', 20000);
    char *q = malloc(20016);
    sprintf(q, "current=%s", huge);
    char *t = hx_target(row, NULL, q);
    hx_do(row, id, row->method, t, NULL, ctype, body, body ? strlen(body) : 0,
          "query over 8k", hx_expect_for(row, id, 1, S414 | S400));
    free(t);
    free(q);
    free(huge);
}

/* ================= variants: bodies ================= */

struct hostile_body {
    const char *what;
    const char *v;
    size_t n;      /* 0: strlen */
    int malformed; /* 400 from req_json */
};

static char *deep_arr, *deep_obj, *big_json;
static size_t big_json_len;

static void
hx_bodies_init(void)
{
    deep_arr = hx_repeat('[', 10000);
    size_t n = 10000 * 5 + 2;
    deep_obj = malloc(n + 1);
    deep_obj[0] = '\0';
    for (int i = 0; i < 10000; i++)
        memcpy(deep_obj + i * 5, "{\"a\":", 5);
    deep_obj[50000] = '\0';
    /* valid JSON over body_limit (64 KiB), under nginx's 1 MiB */
    big_json_len = 70000;
    big_json = malloc(big_json_len + 1);
    memcpy(big_json, "{\"title\":\"", 10);
    memset(big_json + 10, 'x', big_json_len - 12);
    memcpy(big_json + big_json_len - 2, "\"}", 2);
    big_json[big_json_len] = '\0';
}

static void
hx_sweep_bodies(const struct h_route *row, struct ident *id)
{
    const struct hostile_body bodies[] = {
        {"empty", "", 0, 1},
        {"open brace", "{", 0, 1},
        {"close brace", "}", 0, 1},
        {"cut", "{\"phone\":", 0, 1},
        {"nul", "nul", 0, 1},
        {"single quotes", "{'a':1}", 0, 1},
        {"trailing comma", "{\"a\":1,}", 0, 1},
        {"array", "[]", 0, 1},
        {"array of objects", "[{\"title\":\"x\",\"shopId\":1}]", 0, 1},
        {"string", "\"str\"", 0, 1},
        {"number", "123", 0, 1},
        {"null", "null", 0, 1},
        {"true", "true", 0, 1},
        {"two objects", "{\"a\":1}{\"b\":2}", 0, 1},
        {"trailing garbage", "{\"a\":1} x", 0, 1},
        {"NUL inside", "{\"a\":1}\0{\"b\":2}", 16, 1},
        {"NUL first", "\0{}", 3, 1},
        {"BOM", "\xEF\xBB\xBF{\"a\":1}", 0, 1},
        {"invalid UTF-8", "\xFF\xFE{\"a\":1}", 0, 1},
        {"comment", "/* x */{\"a\":1}", 0, 1},
        {"deep array 10000", deep_arr, 0, 1},
        {"deep object 10000", deep_obj, 0, 1},
        {"lone surrogate key", "{\"\\ud800\":1}", 0, 0},
        {"invalid UTF-8 key", "{\"\xC0\xAF\":1}", 0, 0},
        {"empty object", "{}", 0, 0},
        {"NaN", "{\"a\":NaN}", 0, 0},
        {"over body_limit", big_json, big_json_len, 0},
    };
    int reads_json = (row->flags & H_JSON) != 0;
    int multipart = (row->flags & H_MULTIPART) != 0;
    char *t = hx_target(row, NULL, NULL);
    for (size_t k = 0; k < sizeof(bodies) / sizeof(bodies[0]); k++) {
        const struct hostile_body *b = &bodies[k];
        size_t n = b->n ? b->n : strlen(b->v);
        struct hx_expect ex;
        if (b->v == big_json && !multipart)
            ex = hx_expect_for(row, id, 1, S413);
        else if (multipart)
            ex = hx_expect_for(row, id, 1, S400);
        else if (reads_json)
            /* not even an object: 400; an object without the fields a
             * handler needs: refused, status as the handler sees fit */
            ex = hx_expect_for(row, id, 1, b->malformed ? S400 : 0);
        else
            ex = hx_expect_for(row, id, 0, 0);
        char what[64];
        snprintf(what, sizeof(what), "body %s", b->what);
        hx_do(row, id, row->method, t, NULL, "application/json", b->v, n, what,
              ex);
    }
    /* over nginx's client_max_body_size for /api/ (1 MiB) */
    if (!multipart) {
        size_t n = 1100000;
        char *big = hx_repeat(' ', n);
        hx_do(row, id, row->method, t, NULL, "application/json", big, n,
              "body over 1 MiB", hx_expect_for(row, id, 1, S413));
        free(big);
    }
    /* wrong or missing content types around a plausible body */
    static const char *const ctypes[] = {NULL,
                                         "text/plain",
                                         "application/x-www-form-urlencoded",
                                         "multipart/form-data; boundary=zz",
                                         "application/json; charset=gbk",
                                         "application/xml",
                                         "*/*"};
    const char *pb = row->body ? row->body : "{}";
    for (size_t k = 0; k < sizeof(ctypes) / sizeof(ctypes[0]); k++) {
        hx_do(row, id, row->method, t, NULL, ctypes[k], pb, strlen(pb),
              "content type", hx_expect_for(row, id, multipart, S400));
    }
    char *longct = hx_repeat('a', 2048);
    memcpy(longct, "application/json;", 17);
    hx_do(row, id, row->method, t, NULL, longct, pb, strlen(pb),
          "2 KiB content type", hx_expect_for(row, id, multipart, S400));
    free(longct);
    free(t);
}

/* ================= variants: JSON fields ================= */

struct hostile_field {
    const char *v; /* raw JSON text */
    unsigned bad;  /* bit per field kind (1 << kind) it is invalid for */
};

#define BAD_STR  (1u << HF_STR)
#define BAD_ID   (1u << HF_ID)
#define BAD_ID0  (1u << HF_ID0)
#define BAD_ALL  (BAD_STR | BAD_ID | BAD_ID0)
#define BAD_NUMS (BAD_ID | BAD_ID0)

static char *long_str, *long_digits, *deep_field;

static const struct hostile_field *
hx_fields(size_t *n)
{
    static struct hostile_field f[32];
    static size_t cnt;
    if (cnt == 0) {
        long_str = malloc(10004);
        long_str[0] = '"';
        memset(long_str + 1, 'a', 10000);
        strcpy(long_str + 10001, "\"");
        long_digits = malloc(10004);
        long_digits[0] = '"';
        memset(long_digits + 1, '7', 10000);
        strcpy(long_digits + 10001, "\"");
        deep_field = hx_repeat('[', 10000);
        struct hostile_field all[] = {
            {"{}", BAD_ALL},
            {"[]", BAD_ALL},
            {"[\"x\"]", BAD_ALL},
            {"{\"$gt\":\"\"}", BAD_ALL},
            {"true", BAD_ALL},
            {"1.5", BAD_ALL},
            {"-1", BAD_ALL},
            {"0", BAD_STR | BAD_ID},
            {"1e400", BAD_ALL},
            {"-1e400", BAD_ALL},
            {"99999999999999999999", BAD_ALL},
            {"9223372036854775807", BAD_ALL},
            {"\"99999999999999999999\"", BAD_NUMS},
            {"\"abc\"", BAD_NUMS},
            {"\"1.5\"", BAD_NUMS},
            {"\"\"", BAD_NUMS},
            {"\" 1\"", BAD_NUMS},
            {"\"\\u0000\"", BAD_ALL},
            {"\"a\\u0000b\"", BAD_ALL},
            {"\"\xFF\xFE\"", BAD_ALL},
            {"\"\xC0\xAE\xC0\xAE\"", BAD_ALL},
            {"\"\xED\xA0\x80\"", BAD_ALL}, /* a surrogate, UTF-8 encoded */
            {"\"\\ud800\"", BAD_NUMS},     /* json-c may make it U+FFFD */
            {NULL, BAD_ALL},               /* long_str */
            {NULL, BAD_NUMS},              /* long_digits (for STR: 400 too) */
            {NULL, BAD_ALL},               /* deep_field */
            {"\"<script>alert(1)</script>\"", BAD_NUMS},
        };
        cnt = sizeof(all) / sizeof(all[0]);
        memcpy(f, all, sizeof(all));
        f[cnt - 4].v = long_str;
        f[cnt - 3].v = long_digits;
        f[cnt - 3].bad |= BAD_STR;
        f[cnt - 2].v = deep_field;
    }
    *n = cnt;
    return f;
}

/* The row's plausible body with field replaced by raw (NULL: dropped).
 * Caller frees. */
static char *
hx_body_with(const struct h_route *row, const char *field, const char *raw)
{
    struct json_object *o = json_tokener_parse(row->body);
    json_object_object_del(o, field);
    const char *rest =
        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
    size_t n = strlen(rest) + strlen(field) + (raw ? strlen(raw) : 0) + 16;
    char *out = malloc(n);
    if (raw == NULL) {
        snprintf(out, n, "%s", rest);
    } else if (strcmp(rest, "{}") == 0) {
        snprintf(out, n, "{\"%s\":%s}", field, raw);
    } else {
        size_t rl = strlen(rest);
        snprintf(out, n, "%.*s,\"%s\":%s}", (int)(rl - 1), rest, field, raw);
    }
    json_object_put(o);
    return out;
}

static void
hx_sweep_fields(const struct h_route *row, struct ident *id)
{
    if (!(row->flags & H_JSON) || row->body == NULL)
        return;
    size_t nf;
    const struct hostile_field *fs = hx_fields(&nf);
    char *t = hx_target(row, NULL, NULL);
    for (int i = 0; i < H_MAX_PARAMS && row->fields[i].name; i++) {
        const struct h_param *f = &row->fields[i];
        unsigned kind = f->kind & 0xff;
        int req = (f->kind & HF_REQ) != 0;
        for (size_t k = 0; k < nf; k++) {
            char *b = hx_body_with(row, f->name, fs[k].v);
            int bad = (fs[k].bad & (1u << kind)) != 0;
            char what[64];
            snprintf(what, sizeof(what), "field %s", f->name);
            hx_do(row, id, row->method, t, NULL, "application/json", b,
                  strlen(b), what, hx_expect_for(row, id, bad, S400));
            free(b);
        }
        /* null and absent: an error only for a required field */
        const char *const gone[] = {"null", NULL};
        for (int k = 0; k < 2; k++) {
            char *b = hx_body_with(row, f->name, gone[k]);
            hx_do(row, id, row->method, t, NULL, "application/json", b,
                  strlen(b), k ? "field absent" : "field null",
                  hx_expect_for(row, id, req, 0));
            free(b);
        }
        /* the same key twice, the second poisoned */
        char *dupv = hx_body_with(row, f->name, "{}");
        char *b = malloc(strlen(dupv) + 64);
        sprintf(b, "{\"%s\":{},%s", f->name, dupv + 1);
        hx_do(row, id, row->method, t, NULL, "application/json", b, strlen(b),
              "duplicate key", hx_expect_for(row, id, 1, S400));
        free(b);
        free(dupv);
    }
    free(t);
}

/* ================= variants: methods, headers ================= */

/* 1 when pattern matches path (segments, {x} matching any non-empty). */
static int
hx_matches(const char *pattern, const char *path)
{
    const char *p = pattern, *q = path;
    for (;;) {
        if (*p != '/' || *q != '/')
            return 0;
        p++;
        q++;
        size_t pl = strcspn(p, "/"), ql = strcspn(q, "/");
        if (ql == 0)
            return 0;
        if (!(p[0] == '{') && (pl != ql || strncmp(p, q, pl) != 0))
            return 0;
        p += pl;
        q += ql;
        if (*p == '\0' && *q == '\0')
            return 1;
        if (*p == '\0' || *q == '\0')
            return 0;
    }
}

static void
hx_sweep_methods(const struct h_route *row, struct ident *id)
{
    static const char *const methods[] = {
        "GET",   "POST",     "PUT",  "DELETE",   "PATCH", "OPTIONS",
        "TRACE", "PROPFIND", "HEAD", "CONNECT_", "X-HMDP"};
    char *path = hx_path(row->pattern, NULL);
    char *t = hx_target(row, NULL, NULL);
    for (size_t m = 0; m < sizeof(methods) / sizeof(methods[0]); m++) {
        int allowed = 0;
        for (size_t i = 0; i < HOSTILE_NROUTES; i++) {
            if (!hx_matches(hostile_routes[i].pattern, path))
                continue;
            const char *rm = hostile_routes[i].method;
            if (strcmp(rm, methods[m]) == 0 ||
                (strcmp(methods[m], "HEAD") == 0 && strcmp(rm, "GET") == 0))
                allowed = 1;
        }
        if (allowed)
            continue; /* that route's own row covers it */
        struct hx_expect ex = {S405, 1, 0};
        if (strcmp(methods[m], "X-HMDP") == 0)
            ex.want = S405 | S400; /* nginx refuses '-' in a method */
        hx_do(row, id, methods[m], t, NULL, NULL, NULL, 0, "method", ex);
    }
    free(t);
    free(path);
}

static void
hx_sweep_headers(const struct h_route *row, struct ident *id)
{
    char *t = hx_target(row, NULL, NULL);
    const char *body = row->body;
    const char *ctype = body ? "application/json" : NULL;
    size_t blen = body ? strlen(body) : 0;
    /* replace the caller's token: as anonymous, whatever was sent */
    struct ident anon = {id->name, NULL, id->admin};
    struct hx_expect ex = hx_expect_for(row, &anon, 0, 0);

    char *bogus = malloc(2048 + 32);
    strcpy(bogus, "authorization: ");
    size_t o = strlen(bogus);
    for (int i = 0; i < 2048; i++)
        bogus[o + (size_t)i] =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
                [(i * 37 + 11) % 64];
    bogus[o + 2048] = '\0';
    char shaped[80];
    snprintf(shaped, sizeof(shaped),
             "authorization: 00000000000000000000000000000000");
    char bearer[128];
    snprintf(bearer, sizeof(bearer), "authorization: Bearer %s",
             id->token ? id->token : "x");
    char upper[80];
    snprintf(upper, sizeof(upper), "authorization: %s",
             "FFFFFFFFFFFFFFFF"
             "FFFFFFFFFFFFFFFF");
    char *big = malloc(7000 + 32);
    strcpy(big, "authorization: ");
    memset(big + 15, 'f', 7000);
    big[7015] = '\0';
    const char *const toks[] = {bogus, shaped, bearer, upper, big};
    for (size_t k = 0; k < sizeof(toks) / sizeof(toks[0]); k++) {
        const char *hd[3] = {toks[k], id->admin ? hx_admin_line : NULL, NULL};
        struct hx r;
        hx_send(row->method, t, hd, ctype, body, blen, &r);
        hx_check(id->name, row->method, t, "bogus authorization", &r, ex);
        hx_free(&r);
    }
    /* a 2 KiB admin token: 403 on admin routes */
    char *adm = malloc(2048 + 32);
    strcpy(adm, "X-Admin-Token: ");
    memset(adm + 15, 'a', 2048);
    adm[15 + 2048] = '\0';
    int was_admin = id->admin;
    id->admin = 0;
    hx_do(row, id, row->method, t, adm, ctype, body, blen, "bogus admin token",
          hx_expect_for(row, id, 0, 0));
    id->admin = was_admin;
    /* junk in other headers the app does not read */
    char *cookie = malloc(4096 + 16);
    strcpy(cookie, "Cookie: ");
    memset(cookie + 8, 'c', 4000);
    cookie[8 + 4000] = '\0';
    hx_do(row, id, row->method, t, cookie, ctype, body, blen, "big cookie",
          hx_expect_for(row, id, 0, 0));
    free(cookie);
    free(adm);
    free(big);
    free(bogus);
    free(t);
}

/* ================= variants: multipart ================= */

static void
hx_sweep_multipart(const struct h_route *row, struct ident *id)
{
    if (!(row->flags & H_MULTIPART))
        return;
    char *t = hx_target(row, NULL, NULL);
    const char *ct = "multipart/form-data; boundary=HB";
    const char *disp = "Content-Disposition: form-data; name=\"file\"; "
                       "filename=\"a.png\"\r\nContent-Type: image/png";
    const char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    char buf[65536];
    struct {
        const char *what, *ctype;
        int ok;      /* an acceptable upload */
        int refused; /* 200 success:false rather than 400 */
    } cases[] = {
        {"no boundary", "multipart/form-data", 0, 0},
        {"boundary mismatch", "multipart/form-data; boundary=OTHER", 0, 0},
        {"truncated", ct, 0, 0},
        {"no parts", ct, 0, 0},
        {"header block over 8k", ct, 0, 0},
        {"17 parts", ct, 0, 0},
        {"no disposition", ct, 0, 0},
        {"attachment disposition", ct, 0, 0},
        {"no file field", ct, 0, 0},
        {"NUL in part header", ct, 0, 0},
        {"binary garbage", ct, 0, 0},
        {"boundary over 70", NULL, 0, 0},
        {"empty file", ct, 0, 1},
        {"html file", ct, 0, 1},
        {"svg file", ct, 0, 1},
        {"traversal filename", ct, 1, 0},
        {"unterminated quote", ct, 0, 0},
    };
    char longct[200];
    snprintf(longct, sizeof(longct), "multipart/form-data; boundary=%0*d", 71,
             0);
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        size_t n = 0;
        const char *w = cases[k].what;
        const char *ctype = cases[k].ctype ? cases[k].ctype : longct;
#define ADD(s, l)                                                              \
    do {                                                                       \
        memcpy(buf + n, (s), (l));                                             \
        n += (l);                                                              \
    } while (0)
#define ADDS(s) ADD((s), strlen(s))
        if (strcmp(w, "header block over 8k") == 0) {
            ADDS("--HB\r\n");
            ADDS(disp);
            ADDS("\r\nX-Pad: ");
            memset(buf + n, 'p', 9000);
            n += 9000;
            ADDS("\r\n\r\n");
            ADD(png, sizeof(png) - 1);
            ADDS("\r\n--HB--\r\n");
        } else if (strcmp(w, "17 parts") == 0) {
            for (int i = 0; i < 17; i++) {
                ADDS("--HB\r\nContent-Disposition: form-data; name=\"x\"\r\n"
                     "\r\nv\r\n");
            }
            ADDS("--HB--\r\n");
        } else if (strcmp(w, "no parts") == 0) {
            ADDS("--HB--\r\n");
        } else if (strcmp(w, "binary garbage") == 0) {
            for (int i = 0; i < 4096; i++)
                buf[n++] = (char)((i * 131 + 7) & 0xff);
        } else {
            ADDS("--HB\r\n");
            if (strcmp(w, "no disposition") == 0)
                ADDS("Content-Type: image/png");
            else if (strcmp(w, "attachment disposition") == 0)
                ADDS("Content-Disposition: attachment; name=\"file\"");
            else if (strcmp(w, "no file field") == 0)
                ADDS("Content-Disposition: form-data; name=\"image\"");
            else if (strcmp(w, "NUL in part header") == 0)
                ADD("Content-Disposition: form-data; name=\"file\"\0x", 46);
            else if (strcmp(w, "traversal filename") == 0)
                ADDS("Content-Disposition: form-data; name=\"file\"; "
                     "filename=\"../../../../etc/passwd\"");
            else if (strcmp(w, "unterminated quote") == 0)
                ADDS("Content-Disposition: form-data; name=\"file");
            else
                ADDS(disp);
            ADDS("\r\n\r\n");
            if (strcmp(w, "empty file") == 0)
                ;
            else if (strcmp(w, "html file") == 0)
                ADDS("<html><script>alert(1)</script></html>");
            else if (strcmp(w, "svg file") == 0)
                ADDS("<svg xmlns=\"http://www.w3.org/2000/svg\" "
                     "onload=\"alert(1)\"/>");
            else
                ADD(png, sizeof(png) - 1);
            if (strcmp(w, "truncated") != 0)
                ADDS("\r\n--HB--\r\n");
        }
#undef ADD
#undef ADDS
        struct hx_expect ex = hx_expect_for(row, id, !cases[k].ok,
                                            cases[k].refused ? S200 : S400);
        const char *hd[4];
        char authline[128];
        hx_ident_headers(id, hd, authline, sizeof(authline));
        struct hx r;
        hx_send(row->method, t, hd, ctype, buf, n, &r);
        char what[64];
        snprintf(what, sizeof(what), "multipart %s", w);
        int ok = hx_check(id->name, row->method, t, what, &r, ex);
        if (ok && cases[k].ok && r.status == 200 && id->token) {
            /* stored under our own name, never the client's */
            struct json_object *j = json_tokener_parse(r.body), *d;
            CHECK(j && json_object_object_get_ex(j, "data", &d));
            const char *name = j && d ? json_object_get_string(d) : "";
            CHECK(strncmp(name, "/blogs/", 7) == 0 && !strstr(name, "..") &&
                  !strstr(name, "passwd"));
            if (j)
                json_object_put(j);
        }
        hx_free(&r);
    }
    /* over upload_limit (10 MiB) but under nginx's 11m: the app's 413;
     * over 11m: nginx's 413 */
    size_t sizes[] = {10u * 1024 * 1024 + 4096, 12u * 1024 * 1024};
    for (int k = 0; k < 2; k++) {
        char *big = malloc(sizes[k]);
        memset(big, 'z', sizes[k]);
        memcpy(big, "--HB\r\n", 6);
        hx_do(row, id, row->method, t, NULL, ct, big, sizes[k],
              "multipart over the limit", hx_expect_for(row, id, 1, S413));
        free(big);
    }
    free(t);
}

/* ================= the sweep ================= */

static void
hx_sweep_row(const struct h_route *row, struct ident *id)
{
    hx_sweep_ids(row, id);
    hx_sweep_query(row, id);
    hx_sweep_bodies(row, id);
    hx_sweep_fields(row, id);
    hx_sweep_methods(row, id);
    hx_sweep_headers(row, id);
    hx_sweep_multipart(row, id);
}

static int
cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

static long workers_before[64];
static int nworkers_before;

/* A user A with a blog, a comment and an uploaded image: the sweep (as
 * other users) aims at these ids, and they must survive it. */
static void
setup_victim(void)
{
    a_token = h_login(&a_uid);
    CHECK(a_token != NULL && a_uid > 0);
    snprintf(a_title, sizeof(a_title), "victim %lld", (long long)h_now_ms());
    char body[256];
    snprintf(body, sizeof(body),
             "{\"title\":\"%s\",\"content\":\"keep me\",\"shopId\":1}",
             a_title);
    struct resp r;
    CHECK(h_post_json("/blog", a_token, body, &r) == 0 && h_success(&r));
    a_blog = h_data(&r) ? json_object_get_int64(h_data(&r)) : 0;
    h_free(&r);
    CHECK(a_blog > 0);
    snprintf(body, sizeof(body), "{\"blogId\":%lld,\"content\":\"mine\"}",
             (long long)a_blog);
    CHECK(h_post_json("/comment/post", a_token, body, &r) == 0 &&
          h_success(&r));
    struct json_object *d = h_data(&r), *cid;
    if (d && json_object_object_get_ex(d, "id", &cid))
        a_comment = json_object_get_int64(cid);
    h_free(&r);
    CHECK(a_comment > 0);
    const char mp[] = "--HB\r\nContent-Disposition: form-data; name=\"file\"; "
                      "filename=\"v.png\"\r\n\r\n\x89PNG\r\n\x1a\nvictim\r\n"
                      "--HB--\r\n";
    CHECK(h_http("POST", "/upload/blog", a_token, NULL,
                 "multipart/form-data; boundary=HB", mp, sizeof(mp) - 1,
                 &r) == 0 &&
          h_success(&r));
    if (h_data(&r))
        snprintf(a_image, sizeof(a_image), "%s",
                 json_object_get_string(h_data(&r)));
    h_free(&r);
    CHECK(a_image[0] == '/');
}

static void
check_victim(void)
{
    struct resp r;
    char path[128];
    snprintf(path, sizeof(path), "/blog/%lld", (long long)a_blog);
    CHECK(h_get(path, a_token, &r) == 0 && r.status == 200 && h_success(&r));
    struct json_object *d = h_data(&r), *v;
    CHECK(d && json_object_object_get_ex(d, "title", &v) &&
          strcmp(json_object_get_string(v), a_title) == 0);
    CHECK(d && json_object_object_get_ex(d, "userId", &v) &&
          json_object_get_int64(v) == a_uid);
    h_free(&r);
    CHECK(h_sql_int("SELECT COUNT(*) FROM tb_blog_comments WHERE id = %lld "
                    "AND user_id = %lld",
                    (long long)a_comment, (long long)a_uid) == 1);
    CHECK(h_get("/user/me", a_token, &r) == 0 && r.status == 200 &&
          h_success(&r));
    h_free(&r);
    char file[512];
    snprintf(file, sizeof(file), "%s%s", h_env("HMDP_UPLOAD_DIR"), a_image);
    CHECK(access(file, F_OK) == 0);
}

static void
test_sweep(void)
{
    long mw = h_run_pid("fcgi.pid");
    CHECK(mw > 0);
    nworkers_before = h_children_of(mw, workers_before, 64);
    CHECK(nworkers_before >= 1);
    qsort(workers_before, (size_t)nworkers_before, sizeof(long), cmp_long);
    snprintf(hx_admin_line, sizeof(hx_admin_line), "X-Admin-Token: %s",
             h_admin_token());
    setup_victim();
    hx_bodies_init();

    for (size_t i = 0; i < HOSTILE_NROUTES; i++) {
        const struct h_route *row = &hostile_routes[i];
        struct ident anon = {"anonymous", NULL, 0};
        hx_sweep_row(row, &anon);
        struct ident user = {"logged-in", h_login(NULL),
                             (row->flags & H_ADMIN) != 0};
        CHECK(user.token != NULL);
        if (user.token)
            hx_sweep_row(row, &user);
        free(user.token);
    }
    printf("  %ld hostile requests sent\n", hx_sent);
}

static void
test_unknown_paths(void)
{
    static const char *const paths[] = {"/nope",
                                        "/",
                                        "/user",
                                        "/blog/1/2/3/4/5",
                                        "/BLOG/hot",
                                        "/blog/hot/",
                                        "//blog//hot",
                                        "/api/blog/hot",
                                        "/%2e%2e/%2e%2e/etc/passwd",
                                        "/imgs/../../etc/passwd",
                                        "/.env",
                                        "/blog/hot%00",
                                        "/blog/hot;x=1",
                                        "/blog/hot%0A",
                                        "/user/%0Ainfo",
                                        "/comment/like",
                                        "/upload",
                                        "",
                                        "/upload/",
                                        "/message/sse%0A",
                                        "/blog/hot%0D%0AX-Injected:%201"};
    struct ident anon = {"anonymous", NULL, 0};
    for (size_t k = 0; k < sizeof(paths) / sizeof(paths[0]); k++) {
        struct hx r;
        hx_send("GET", paths[k], NULL, NULL, NULL, 0, &r);
        hx_check(anon.name, "GET", paths[k], "unknown path", &r,
                 (struct hx_expect){S200 | S400 | S404 | S405, 0, 0});
        hx_free(&r);
    }
}

/* What curl will not send: raw bytes straight to nginx. */
static void
test_raw_requests(void)
{
#define RAW(w, r, st)                                                          \
    {                                                                          \
        w, r, sizeof(r) - 1, st                                                \
    }
    static const struct {
        const char *what, *req;
        size_t n;
        unsigned want;
    } raws[] = {
        RAW("lowercase method",
            "get /api/blog/hot HTTP/1.1\r\nHost: x\r\nConnection: close"
            "\r\n\r\n",
            S400),
        RAW("two Content-Lengths",
            "POST /api/user/login HTTP/1.1\r\nHost: x\r\nContent-Length: 2"
            "\r\nContent-Length: 7\r\nConnection: close\r\n\r\n{}",
            S400),
        RAW("Content-Length abc",
            "POST /api/user/login HTTP/1.1\r\nHost: x\r\n"
            "Content-Length: abc\r\nConnection: close\r\n\r\n{}",
            S400),
        RAW("Content-Length -1",
            "POST /api/user/login HTTP/1.1\r\nHost: x\r\n"
            "Content-Length: -1\r\nConnection: close\r\n\r\n{}",
            S400),
        RAW("Content-Length 2^64",
            "POST /api/user/login HTTP/1.1\r\nHost: x\r\n"
            "Content-Length: 18446744073709551617\r\nConnection: close"
            "\r\n\r\n{}",
            S400 | S413),
        RAW("bad chunk size",
            "POST /api/user/login HTTP/1.1\r\nHost: x\r\n"
            "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            "zz\r\n{}\r\n0\r\n\r\n",
            S400),
        RAW("chunked JSON",
            "POST /api/user/login HTTP/1.1\r\nHost: x\r\n"
            "Content-Type: application/json\r\nTransfer-Encoding: chunked"
            "\r\nConnection: close\r\n\r\n"
            "f\r\n{\"phone\":\"13800\r\n"
            "13\r\n000000\",\"code\":\"1\"}\r\n0\r\n\r\n",
            S200),
        RAW("chunked garbage",
            "POST /api/blog HTTP/1.1\r\nHost: x\r\n"
            "Content-Type: application/json\r\nTransfer-Encoding: chunked"
            "\r\nConnection: close\r\n\r\n3\r\n{\"a\r\n0\r\n\r\n",
            S401),
        RAW("unknown transfer coding",
            "POST /api/user/login HTTP/1.1\r\nHost: x\r\n"
            "Transfer-Encoding: gzip\r\nConnection: close\r\n\r\n{}",
            S400),
        RAW("NUL in request line",
            "GET /api/blog/\0hot HTTP/1.1\r\nHost: x\r\n"
            "Connection: close\r\n\r\n",
            S400),
        RAW("encoded NUL in path",
            "GET /api/user/%00 HTTP/1.1\r\nHost: x\r\n"
            "Connection: close\r\n\r\n",
            S400),
        /* nginx drops invalid header lines (ignore_invalid_headers) */
        RAW("header without colon",
            "GET /api/blog/hot HTTP/1.1\r\nHost: x\r\ngarbage\r\n"
            "Connection: close\r\n\r\n",
            S200 | S400),
        RAW("absolute URI",
            "GET http://localhost/api/blog/hot HTTP/1.1\r\nHost: x\r\n"
            "Connection: close\r\n\r\n",
            S200),
        RAW("HTTP/1.0 no host", "GET /api/blog/hot HTTP/1.0\r\n\r\n", S200),
        RAW("HTTP/2.0 line",
            "GET /api/blog/hot HTTP/2.0\r\nHost: x\r\n"
            "Connection: close\r\n\r\n",
            S400 | S200),
        RAW("HTTP/9.9 line",
            "GET /api/blog/hot HTTP/9.9\r\nHost: x\r\n"
            "Connection: close\r\n\r\n",
            S400 | S200),
        RAW("tab in URI",
            "GET /api/blog/\thot HTTP/1.1\r\nHost: x\r\n"
            "Connection: close\r\n\r\n",
            S400 | S404),
        RAW("raw UTF-8 id",
            "GET /api/blog/\xE4\xB8\xAD HTTP/1.1\r\nHost: x\r\n"
            "Connection: close\r\n\r\n",
            S400),
        RAW("raw invalid UTF-8 id",
            "GET /api/blog/\xFF\xFE HTTP/1.1\r\nHost: x\r\n"
            "Connection: close\r\n\r\n",
            S400),
        RAW("invalid UTF-8 path",
            "GET /api/\xFF\xFE/\xC0\xAF HTTP/1.1\r\nHost: x\r\n"
            "Connection: close\r\n\r\n",
            S404),
        RAW("body on GET",
            "GET /api/blog/hot HTTP/1.1\r\nHost: x\r\nContent-Length: 5"
            "\r\nConnection: close\r\n\r\nhello",
            S200),
    };
#undef RAW
    for (size_t k = 0; k < sizeof(raws) / sizeof(raws[0]); k++) {
        struct hx r;
        size_t n = raws[k].n ? raws[k].n : strlen(raws[k].req);
        hx_raw(raws[k].req, n, &r);
        hx_check("raw", "-", raws[k].what, "raw request", &r,
                 (struct hx_expect){raws[k].want, 0, 0});
        hx_free(&r);
    }
}

/* A decoded path is logged: control characters in it must not start a
 * line of their own in the worker log (forged entries, or a fake
 * "Sanitizer" report that fails the test run). */
static void
test_log_injection(void)
{
    char marker[64], target[160];
    snprintf(marker, sizeof(marker), "hmdp-forged-%lld", (long long)h_now_ms());
    snprintf(target, sizeof(target), "/nope%%0A%s%%0D%%0A%s-2", marker, marker);
    struct hx r;
    hx_send("GET", target, NULL, NULL, NULL, 0, &r);
    hx_check("anonymous", "GET", target, "newline in path", &r,
             (struct hx_expect){S404 | S400, 1, 0});
    hx_free(&r);
    char path[1024];
    snprintf(path, sizeof(path), "%s/logs/worker.log", h_env("HMDP_RUN_DIR"));
    int seen = 0, forged = 0;
    for (int tries = 0; tries < 30 && !seen; tries++) {
        /* request lines are flushed when a worker goes idle */
        h_sleep_ms(100);
        FILE *f = fopen(path, "r");
        char line[4096];
        while (f && fgets(line, sizeof(line), f)) {
            if (strstr(line, marker))
                seen = 1;
            if (strncmp(line, marker, strlen(marker)) == 0)
                forged = 1;
        }
        if (f)
            fclose(f);
    }
    CHECK(seen);
    CHECK(!forged);
}

/* Clients that never finish (a body shorter than its Content-Length, a
 * half request line), more of them than there are workers: nginx holds
 * them, and everyone else is still served within the deadline. */
static void
test_slow_clients(void)
{
    int fds[12], n = 0;
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)atoi(h_env("HMDP_NGINX_PORT")));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    static const char partial_body[] =
        "POST /api/user/login HTTP/1.1\r\nHost: x\r\n"
        "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
        "{\"phone\":";
    static const char partial_line[] = "GET /api/blog/h";
    for (int i = 0; i < 12; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
            if (fd >= 0)
                close(fd);
            continue;
        }
        const char *m = i % 3 ? partial_body : partial_line;
        ssize_t w = write(fd, m, strlen(m));
        (void)w;
        fds[n++] = fd;
    }
    CHECK(n == 12);
    h_sleep_ms(200);
    for (int i = 0; i < 12; i++) {
        struct hx r;
        hx_send("GET", "/blog/hot", NULL, NULL, NULL, 0, &r);
        hx_check("anonymous", "GET", "/blog/hot", "beside slow clients", &r,
                 (struct hx_expect){S200, 0, 0});
        hx_free(&r);
    }
    for (int i = 0; i < n; i++)
        close(fds[i]);
}

static void
test_still_healthy(void)
{
    /* every worker answers normally: more requests than workers */
    for (int i = 0; i < 4 * (nworkers_before > 0 ? nworkers_before : 4); i++) {
        struct resp r;
        CHECK(h_get("/blog/hot", NULL, &r) == 0 && r.status == 200 &&
              h_success(&r) && h_data(&r) &&
              json_object_is_type(h_data(&r), json_type_array));
        h_free(&r);
    }
    int64_t uid;
    char *tok = h_login(&uid);
    CHECK(tok != NULL && uid > 0);
    struct resp r;
    CHECK(h_get("/user/me", tok, &r) == 0 && r.status == 200 && h_success(&r));
    h_free(&r);
    free(tok);
    check_victim();
    /* no worker died and none was replaced */
    long now[64];
    int n = h_children_of(h_run_pid("fcgi.pid"), now, 64);
    qsort(now, (size_t)n, sizeof(long), cmp_long);
    CHECK(n == nworkers_before);
    for (int i = 0; i < n && i < nworkers_before; i++)
        CHECK(now[i] == workers_before[i]);
}

int
main(void)
{
    h_init();
    hx_curl = curl_easy_init();
    RUN(test_sweep);
    RUN(test_unknown_paths);
    RUN(test_raw_requests);
    RUN(test_log_injection);
    RUN(test_slow_clients);
    RUN(test_still_healthy);
    curl_easy_cleanup(hx_curl);
    T_DONE();
}
