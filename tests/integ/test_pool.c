/*
 * test_pool.c: the worker pool under load. A worker killed while POSTs
 * stream in costs at most the request it was serving: nginx retries no
 * POST, so every other request a dead worker held would come back as a
 * 502. Also: more concurrent requests than the pool has workers all get
 * their answer (they wait in the listen queue, none is refused).
 */
#include "h.h"
#include "h_multi.h"

#include <curl/curl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

/* POSTs in flight at once: several times the test stack's 4 workers. */
#define POOL_INFLIGHT 48
#define POOL_REQUESTS 2400
#define POOL_KILLS    3

/* One POST /user/sign with a JSON body (nginx never retries it once
 * sent), answered into r. */
static CURL *
pool_easy(const char *token, struct hm_res *r, struct curl_slist **hd, int idx)
{
    char url[512], line[160];
    snprintf(url, sizeof(url), "%s/api/user/sign", h_env("HMDP_URL"));
    CURL *c = curl_easy_init();
    snprintf(line, sizeof(line), "authorization: %s", token);
    *hd = curl_slist_append(NULL, "Expect:");
    *hd = curl_slist_append(*hd, line);
    *hd = curl_slist_append(*hd, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, "{\"note\":\"pool test\"}");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, *hd);
    r->sink = (struct h_sink){&r->body, &r->len};
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, h_curl_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->sink);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 20000L);
    curl_easy_setopt(c, CURLOPT_PRIVATE, (void *)(intptr_t)idx);
    return c;
}

/* SIGKILLs one live worker of the pool other than the ones in gone[];
 * returns its pid, or -1. */
static long
pool_kill_one(const long *gone, int ngone)
{
    long mw = h_run_pid("fcgi.pid"), kids[64];
    int n = mw > 0 ? h_children_of(mw, kids, 64) : 0;
    for (int i = 0; i < n; i++) {
        int seen = 0;
        for (int k = 0; k < ngone; k++)
            seen |= kids[i] == gone[k];
        if (!seen && kill((pid_t)kids[i], SIGKILL) == 0)
            return kids[i];
    }
    return -1;
}

/* Waits (up to 5 s) until the pool has n workers again. */
static int
pool_wait_workers(int n)
{
    long mw = h_run_pid("fcgi.pid"), kids[64];
    for (int i = 0; i < 50; i++) {
        if (h_children_of(mw, kids, 64) == n)
            return 1;
        h_sleep_ms(100);
    }
    return 0;
}

static void
test_kill_under_post_load(void)
{
    int64_t uid;
    char *tok = h_login(&uid);
    CHECK(tok != NULL);
    long mw = h_run_pid("fcgi.pid"), kids[64];
    int workers = mw > 0 ? h_children_of(mw, kids, 64) : 0;
    CHECK(workers >= 2);
    if (tok == NULL || workers < 2) {
        free(tok);
        return;
    }

    struct hm_res *out = calloc(POOL_REQUESTS, sizeof(*out));
    struct curl_slist **hd = calloc(POOL_REQUESTS, sizeof(*hd));
    CURLM *m = curl_multi_init();
    long gone[POOL_KILLS];
    int kills = 0, next = 0, active = 0, done = 0, running;
    /* kill a worker each time another quarter of the requests is done,
     * always with POOL_INFLIGHT POSTs in flight around it */
    while (next < POOL_REQUESTS || active > 0) {
        while (next < POOL_REQUESTS && active < POOL_INFLIGHT) {
            CURL *c = pool_easy(tok, &out[next], &hd[next], next);
            curl_multi_add_handle(m, c);
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
            curl_multi_remove_handle(m, msg->easy_handle);
            curl_easy_cleanup(msg->easy_handle);
            curl_slist_free_all(hd[i]);
            active--;
            done++;
        }
        if (kills < POOL_KILLS &&
            done >= (kills + 1) * POOL_REQUESTS / (POOL_KILLS + 1)) {
            long pid = pool_kill_one(gone, kills);
            CHECK(pid > 0);
            gone[kills++] = pid;
        }
        if (active > 0)
            curl_multi_poll(m, NULL, 0, 100, NULL);
    }
    curl_multi_cleanup(m);

    int ok = 0, bad502 = 0, other = 0;
    for (int i = 0; i < POOL_REQUESTS; i++) {
        if (out[i].status == 200)
            ok++;
        else if (out[i].status == 502)
            bad502++;
        else
            other++;
    }
    printf("  %d POSTs, %d workers killed: %d answered 200, %d 502, %d "
           "other\n",
           POOL_REQUESTS, kills, ok, bad502, other);
    CHECK(kills == POOL_KILLS);
    /* at most the one request each dead worker was serving */
    CHECK(bad502 <= kills);
    CHECK(other == 0);
    CHECK(pool_wait_workers(workers));
    hm_free(out, POOL_REQUESTS);
    free(out);
    free(hd);
    free(tok);
}

/* 256 GETs at once against 4 workers: every one is answered 200 (they
 * queue in the listen backlog; none is refused or times out). */
static void
test_many_concurrent(void)
{
    enum { N = 256 };
    static struct hm_req q[N];
    static struct hm_res out[N];
    for (int i = 0; i < N; i++) {
        q[i].method = "GET";
        snprintf(q[i].path, sizeof(q[i].path), "/shop/%d", 1 + i % 5);
        q[i].token = NULL;
    }
    hm_run(q, out, N, N);
    int ok = 0;
    for (int i = 0; i < N; i++)
        ok += out[i].status == 200 && hm_success(&out[i]);
    CHECK(ok == N);
    CHECK(hm_count_502(out, N) == 0);
    hm_free(out, N);
}

int
main(void)
{
    h_init();
    RUN(test_many_concurrent);
    RUN(test_kill_under_post_load);
    T_DONE();
}
