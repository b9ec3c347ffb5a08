/*
 * h_multi.h: concurrent HTTP requests for integration tests, with
 * curl_multi in one process (h.c's helpers share one easy handle). Header
 * only: include it after h.h in the tests that need it.
 */
#ifndef HMDP_H_MULTI_H
#define HMDP_H_MULTI_H

#include "h.h"

#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct hm_req {
    const char *method; /* "GET", "POST" (empty body) */
    char path[256];     /* without the /api prefix */
    const char *token;  /* authorization, or NULL */
};

struct hm_res {
    long status; /* 0 when no response arrived */
    char *body;  /* malloc'd, NUL-terminated */
    size_t len;
    double secs; /* total time of this request */
    struct json_object *json;
    struct h_sink sink; /* into body/len */
};

static CURL *
hm_easy(const struct hm_req *q, const char *body, struct hm_res *r,
        struct curl_slist **hd, int idx)
{
    char url[512], line[160];
    snprintf(url, sizeof(url), "%s/api%s", h_env("HMDP_URL"), q->path);
    CURL *c = curl_easy_init();
    *hd = curl_slist_append(NULL, "Expect:");
    if (q->token) {
        snprintf(line, sizeof(line), "authorization: %s", q->token);
        *hd = curl_slist_append(*hd, line);
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, q->method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, *hd);
    r->sink = (struct h_sink){&r->body, &r->len};
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, h_curl_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->sink);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 15000L);
    curl_easy_setopt(c, CURLOPT_PRIVATE, (void *)(intptr_t)idx);
    if (body) {
        *hd = curl_slist_append(*hd, "Content-Type: application/json");
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, *hd);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    } else if (strcmp(q->method, "POST") == 0 ||
               strcmp(q->method, "PUT") == 0) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
    }
    return c;
}

/* Runs the n requests with at most `inflight` at a time; out[i] is the
 * answer to q[i]. bodies (NULL for none) gives request i the JSON body
 * bodies[i]. Free with hm_free. */
static void __attribute__((unused))
hm_run_json(const struct hm_req *q, const char *const *bodies,
            struct hm_res *out, int n, int inflight)
{
    CURLM *m = curl_multi_init();
    CURL **easy = calloc((size_t)n, sizeof(*easy));
    struct curl_slist **hd = calloc((size_t)n, sizeof(*hd));
    memset(out, 0, (size_t)n * sizeof(*out));
    int next = 0, running = 0, active = 0;
    while (next < n || active > 0) {
        while (next < n && active < inflight) {
            easy[next] = hm_easy(&q[next], bodies ? bodies[next] : NULL,
                                 &out[next], &hd[next], next);
            curl_multi_add_handle(m, easy[next]);
            next++;
            active++;
        }
        curl_multi_perform(m, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(m, &left)) != NULL) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            char *priv;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
            int i = (int)(intptr_t)priv;
            if (msg->data.result == CURLE_OK)
                curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE,
                                  &out[i].status);
            curl_easy_getinfo(msg->easy_handle, CURLINFO_TOTAL_TIME,
                              &out[i].secs);
            if (out[i].body)
                out[i].json = json_tokener_parse(out[i].body);
            curl_multi_remove_handle(m, msg->easy_handle);
            curl_easy_cleanup(msg->easy_handle);
            curl_slist_free_all(hd[i]);
            active--;
        }
        if (active > 0)
            curl_multi_poll(m, NULL, 0, 100, NULL);
    }
    curl_multi_cleanup(m);
    free(easy);
    free(hd);
}

/* hm_run_json without bodies. */
static void __attribute__((unused))
hm_run(const struct hm_req *q, struct hm_res *out, int n, int inflight)
{
    hm_run_json(q, NULL, out, n, inflight);
}

static void __attribute__((unused)) hm_free(struct hm_res *r, int n)
{
    for (int i = 0; i < n; i++) {
        free(r[i].body);
        if (r[i].json)
            json_object_put(r[i].json);
    }
}

/* success flag / errorMsg of one answer (NULL when absent) */
static int __attribute__((unused)) hm_success(const struct hm_res *r)
{
    struct json_object *v;
    return r->json && json_object_object_get_ex(r->json, "success", &v) &&
           json_object_get_boolean(v);
}

/* How many of out[0..n-1] were answered 502 (nginx could not get an
 * answer from the pool: a request lost, which must never happen). */
static int __attribute__((unused)) hm_count_502(const struct hm_res *out, int n)
{
    int m = 0;
    for (int i = 0; i < n; i++)
        m += out[i].status == 502;
    return m;
}

__attribute__((unused)) static const char *
hm_errmsg(const struct hm_res *r)
{
    struct json_object *v;
    if (r->json && json_object_object_get_ex(r->json, "errorMsg", &v))
        return json_object_get_string(v);
    return NULL;
}

#endif
