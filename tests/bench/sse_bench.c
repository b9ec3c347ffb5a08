/*
 * sse_bench.c: a load client for the SSE gateway (tests/bench/sse_hold.sh
 * and sse_latency.sh). One thread and epoll, so it holds thousands of
 * streams cheaply.
 *
 *   sse-bench hold    NGINX_PORT REDIS_PORT CONNS USERS SECONDS
 *   sse-bench latency NGINX_PORT REDIS_PORT CONNS USERS SECONDS RATE
 *
 * It makes USERS synthetic sessions (login:token:{t} hashes for user ids
 * 9000001..), opens CONNS streams through nginx spread over them, and
 * counts streams that opened (200 and "retry: 3000") and pings. In
 * latency mode it also appends RATE events per second to random users'
 * streams the way the producers do (one MULTI: XADD message.stream:{uid}
 * + XADD message.wake), each carrying its send time in ns as content,
 * and reports the send-to-arrival latency of every delivery (p50, p99,
 * max). Until the notification producers exist this stands in for a
 * like; a like adds its own HTTP round trip in front.
 * Output: "key value" lines.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BENCH_UID0 9000001LL

struct bconn {
    int fd;
    int user;
    int open; /* saw the stream's first bytes */
    size_t n;
    char line[4096];
};

static int64_t
bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void
bench_token(int user, char *out)
{
    snprintf(out, 33, "%032x", (unsigned)(0xbe000000u + (unsigned)user));
}

static int
bench_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int64_t *lat;
static size_t nlat, caplat;
static long long opened, pings, events;

static void
bench_line(struct bconn *c, const char *l, size_t n)
{
    if (!c->open && n == 11 && memcmp(l, "retry: 3000", 11) == 0) {
        c->open = 1;
        opened++;
    } else if (n == 6 && memcmp(l, ": ping", 6) == 0) {
        pings++;
    } else if (n > 6 && memcmp(l, "data: ", 6) == 0) {
        const char *p = strstr(l, "\"content\":\"L");
        events++;
        if (p) {
            int64_t sent = strtoll(p + 12, NULL, 10);
            if (nlat == caplat) {
                caplat = caplat ? caplat * 2 : 65536;
                lat = realloc(lat, caplat * sizeof(*lat));
            }
            lat[nlat++] = bench_now_ns() - sent;
        }
    }
}

static int
bench_read(struct bconn *c)
{
    char buf[16384];
    for (;;) {
        ssize_t r = read(c->fd, buf, sizeof(buf));
        if (r == 0)
            return -1;
        if (r < 0)
            return errno == EAGAIN ? 0 : -1;
        for (ssize_t i = 0; i < r; i++) {
            char ch = buf[i];
            if (ch == '\n') {
                size_t n = c->n;
                if (n && c->line[n - 1] == '\r')
                    n--;
                bench_line(c, c->line, n);
                c->n = 0;
            } else if (c->n < sizeof(c->line) - 1) {
                c->line[c->n++] = ch;
            }
        }
    }
}

static redisContext *
bench_redis(int port)
{
    redisContext *r = redisConnect("127.0.0.1", port);
    if (r == NULL || r->err) {
        fprintf(stderr, "redis: cannot connect to port %d\n", port);
        exit(1);
    }
    return r;
}

static void
bench_drain(redisContext *r, int n)
{
    redisReply *rep;
    for (int i = 0; i < n; i++) {
        if (redisGetReply(r, (void **)&rep) != REDIS_OK) {
            fprintf(stderr, "redis: %s\n", r->errstr);
            exit(1);
        }
        freeReplyObject(rep);
    }
}

int
main(int argc, char **argv)
{
    if (argc < 7 || (strcmp(argv[1], "latency") == 0 && argc < 8)) {
        fprintf(stderr,
                "usage: %s hold|latency NGINX_PORT REDIS_PORT CONNS USERS "
                "SECONDS [RATE]\n",
                argv[0]);
        return 2;
    }
    int latency = strcmp(argv[1], "latency") == 0;
    int nport = atoi(argv[2]), rport = atoi(argv[3]);
    int conns = atoi(argv[4]), users = atoi(argv[5]);
    int seconds = atoi(argv[6]);
    double rate = latency ? atof(argv[7]) : 0;
    if (conns < 1 || users < 1 || users > conns || seconds < 1) {
        fprintf(stderr, "bad numbers\n");
        return 2;
    }
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);

    /* sessions */
    redisContext *r = bench_redis(rport);
    char tok[33];
    for (int u = 0; u < users; u++) {
        bench_token(u, tok);
        redisAppendCommand(r, "HSET login:token:%s id %lld nickName bench", tok,
                           BENCH_UID0 + u);
        redisAppendCommand(r, "EXPIRE login:token:%s 7200", tok);
    }
    bench_drain(r, users * 2);

    /* streams */
    int ep = epoll_create1(0);
    struct bconn *cs = calloc((size_t)conns, sizeof(*cs));
    struct sockaddr_in sin = {0};
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)nport);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int failed = 0;
    for (int i = 0; i < conns; i++) {
        struct bconn *c = &cs[i];
        c->user = i % users;
        c->fd = socket(AF_INET, SOCK_STREAM, 0);
        if (c->fd < 0 ||
            connect(c->fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
            failed++;
            if (c->fd >= 0)
                close(c->fd);
            c->fd = -1;
            continue;
        }
        char req[256];
        bench_token(c->user, tok);
        int n = snprintf(req, sizeof(req),
                         "GET /api/message/sse HTTP/1.0\r\nHost: b\r\n"
                         "Authorization: %s\r\n\r\n",
                         tok);
        if (write(c->fd, req, (size_t)n) != n)
            failed++;
        fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
        if (i % 500 == 499) {
            /* let the first bytes of earlier streams in */
            struct epoll_event evs[256];
            int k = epoll_wait(ep, evs, 256, 0);
            for (int j = 0; j < k; j++)
                bench_read(evs[j].data.ptr);
        }
    }
    int64_t t0 = bench_now_ns(), end = t0 + (int64_t)seconds * 1000000000LL;
    int64_t open_wait_end = t0 + 10000000000LL;
    long long sent = 0, closed = 0;
    int started = 0;
    int64_t t_start = 0;
    srand(42);
    for (;;) {
        int64_t now = bench_now_ns();
        if (!started && (opened >= conns - failed || now > open_wait_end)) {
            started = 1;
            t_start = now;
            end = now + (int64_t)seconds * 1000000000LL;
            printf("streams_open %lld\nconnect_failed %d\n", opened, failed);
            fflush(stdout);
        }
        if (started && now >= end)
            break;
        if (started && latency) {
            long long due = (long long)((double)(now - t_start) / 1e9 * rate);
            int batch = 0;
            while (sent < due && batch < 200) {
                int u = rand() % users;
                long long uid = BENCH_UID0 + u;
                char m[256];
                snprintf(
                    m, sizeof(m),
                    "{\"from\":5,\"to\":%lld,\"type\":\"like\",\"content\":"
                    "\"L%lld\",\"refId\":4,\"time\":\"2026-12-01T10:00:00\"}",
                    uid, (long long)bench_now_ns());
                redisAppendCommand(r, "MULTI");
                redisAppendCommand(
                    r,
                    "XADD message.stream:%lld MAXLEN ~ 1000 * mid b%lld m %s "
                    "u {\"id\":5,\"nickName\":\"b\",\"icon\":\"\"}",
                    uid, sent, m);
                redisAppendCommand(
                    r, "XADD message.wake MAXLEN ~ 100000 * u %lld", uid);
                redisAppendCommand(r, "EXEC");
                sent++;
                batch++;
            }
            if (batch)
                bench_drain(r, batch * 4);
        }
        struct epoll_event evs[512];
        int k = epoll_wait(ep, evs, 512, 1);
        for (int j = 0; j < k; j++) {
            struct bconn *c = evs[j].data.ptr;
            if (bench_read(c) < 0) {
                epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                close(c->fd);
                c->fd = -1;
                closed++;
            }
        }
    }
    printf("seconds %d\nclosed_by_server %lld\npings %lld\nevents_received "
           "%lld\n",
           seconds, closed, pings, events);
    if (latency) {
        /* expected deliveries: each event reaches every stream of its
         * user; with CONNS a multiple of USERS that is CONNS/USERS */
        printf("events_sent %lld\nrate %.0f\n", sent, rate);
        if (nlat) {
            qsort(lat, nlat, sizeof(*lat), bench_cmp);
            printf("deliveries %zu\nlatency_p50_ms %.2f\nlatency_p99_ms "
                   "%.2f\nlatency_max_ms %.2f\n",
                   nlat, lat[nlat / 2] / 1e6, lat[nlat * 99 / 100] / 1e6,
                   lat[nlat - 1] / 1e6);
        }
    }
    for (int i = 0; i < conns; i++)
        if (cs[i].fd >= 0)
            close(cs[i].fd);
    for (int u = 0; u < users; u++) {
        bench_token(u, tok);
        redisAppendCommand(r, "DEL login:token:%s message.stream:%lld", tok,
                           BENCH_UID0 + u);
    }
    bench_drain(r, users);
    redisFree(r);
    free(cs);
    free(lat);
    return 0;
}
