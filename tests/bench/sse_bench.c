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
 * max). This measures the gateway alone, without the like in front.
 *
 *   sse-bench likes   NGINX_PORT REDIS_PORT CONNS SECONDS RATE USERS_FILE
 *
 * The real path: USERS_FILE (tests/bench/sse_latency.sh --likes writes
 * it) lists real users with sessions, "R token uid blog" for the
 * recipients (each with a blog) and "L token uid" for the likers. CONNS
 * streams are opened with the recipients' tokens, and RATE likes per
 * second are sent as PUT /api/blog/like/{blog} by the likers over a pool
 * of keep-alive HTTP/1.1 connections through nginx, each (liker, blog)
 * pair once (a second PUT would be an unlike, and the 24 h rule lets one
 * like per pair notify). The latency of a delivery is from the moment the
 * like's request is written to the moment its event (matched by from and
 * refId) is read from a stream: the worker, the notification producer,
 * the gateway and nginx, all of it.
 * The likes are sent by a second process (forked at the start), so a
 * burst of stream reads never delays a send and a burst of answers never
 * delays a read on this 2-core box. The two share, in a shared mapping,
 * each pair's send time and the sender's counts. A read is stamped when
 * epoll_wait returns with it (CLOCK_MONOTONIC, the same clock in both
 * processes), not after the bytes before it in the batch were parsed.
 * The sender is open-loop (like i is due at start + i/RATE) over
 * SSE_BENCH_LIKE_CONNS keep-alive connections (default 32); a like is
 * sent when due and a connection is free, and "behind" says how many due
 * likes were waiting for a free connection at worst.
 * Output: "key value" lines.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BENCH_UID0       9000001LL
#define BENCH_LIKE_CONNS 32 /* default keep-alive connections for likes */

enum { BENCH_STREAM, BENCH_LIKER };

struct bconn {
    int kind; /* BENCH_STREAM: first, like struct lconn's */
    int fd;
    int user;
    int open; /* saw the stream's first bytes */
    size_t n;
    char line[4096];
};

/* Monotonic: the likes mode compares stamps of its two processes (the
 * latency mode's events carry theirs through Redis: the same clock). */
static int64_t
bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
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
bench_lat_add(int64_t v)
{
    if (nlat == caplat) {
        caplat = caplat ? caplat * 2 : 65536;
        lat = realloc(lat, caplat * sizeof(*lat));
        if (lat == NULL) {
            fprintf(stderr, "out of memory\n");
            exit(1);
        }
    }
    lat[nlat++] = v;
}

/* ---- likes mode: real users from USERS_FILE ---- */

struct bid { /* an id and its index, sorted by id for bsearch */
    long long id;
    int idx;
};

static int likes;          /* the mode is "likes" */
static char (*utok)[33];   /* the recipients' tokens */
static struct bid *blogs;  /* blog id -> recipient index */
static struct bid *likers; /* liker uid -> liker index */
static char (*ltok)[33];   /* the likers' tokens */
static long long *blog_of; /* recipient index -> blog id */
static int nusers, nlikers;
/* per pair k = liker * nusers + user: its send time, 0 unsent (shared:
 * the sender writes, the reader reads) */
static _Atomic int64_t *sent_ns;
static long long unmatched; /* like events matching no like sent */
/* When epoll_wait last returned: the arrival stamp of what it reported. */
static int64_t bench_woke_ns;

/* What the sender process shares with the reader (a shared mapping). go:
 * the start (ns), set by the reader once the streams are open; done: set
 * by the sender when its answers are in; the counts and answer times are
 * read after done. */
struct bench_shared {
    _Atomic int64_t go;
    atomic_int done;
    long long likes_sent, likes_ok, likes_failed, like_conn_errors;
    long long behind_max;
    size_t nrt, caprt;
    int64_t rt[]; /* like answer times (ns) */
};
static struct bench_shared *sh;

/* user + system seconds of ru */
static double
bench_ru_s(const struct rusage *ru)
{
    return (double)(ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) +
           (double)(ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) / 1e6;
}

/* An anonymous mapping shared with the forked sender, zeroed. */
static void *
bench_shared_alloc(size_t n)
{
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                   -1, 0);
    if (p == MAP_FAILED) {
        fprintf(stderr, "mmap: out of memory\n");
        exit(1);
    }
    return p;
}

static int
bench_bid_cmp(const void *a, const void *b)
{
    long long x = ((const struct bid *)a)->id, y = ((const struct bid *)b)->id;
    return x < y ? -1 : x > y;
}

static int
bench_bid_find(const struct bid *v, int n, long long id)
{
    struct bid key = {id, 0};
    const struct bid *f =
        bsearch(&key, v, (size_t)n, sizeof(*v), bench_bid_cmp);
    return f ? f->idx : -1;
}

/* Reads USERS_FILE; exits with a message on anything malformed. */
static void
bench_load_users(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "cannot open %s\n", path);
        exit(2);
    }
    char line[256], tok[64];
    int cap = 0, lcap = 0;
    while (fgets(line, sizeof(line), f)) {
        long long uid, blog;
        if (line[0] == 'R' &&
            sscanf(line, "R %63s %lld %lld", tok, &uid, &blog) == 3 &&
            strlen(tok) < 33) {
            if (nusers == cap) {
                cap = cap ? cap * 2 : 1024;
                utok = realloc(utok, (size_t)cap * sizeof(*utok));
                blogs = realloc(blogs, (size_t)cap * sizeof(*blogs));
                blog_of = realloc(blog_of, (size_t)cap * sizeof(*blog_of));
            }
            snprintf(utok[nusers], 33, "%s", tok);
            blogs[nusers] = (struct bid){blog, nusers};
            blog_of[nusers] = blog;
            nusers++;
        } else if (line[0] == 'L' &&
                   sscanf(line, "L %63s %lld", tok, &uid) == 2 &&
                   strlen(tok) < 33) {
            if (nlikers == lcap) {
                lcap = lcap ? lcap * 2 : 1024;
                ltok = realloc(ltok, (size_t)lcap * sizeof(*ltok));
                likers = realloc(likers, (size_t)lcap * sizeof(*likers));
            }
            snprintf(ltok[nlikers], 33, "%s", tok);
            likers[nlikers] = (struct bid){uid, nlikers};
            nlikers++;
        } else {
            fprintf(stderr, "%s: bad line: %s", path, line);
            exit(2);
        }
    }
    fclose(f);
    if (nusers < 1 || nlikers < 1) {
        fprintf(stderr, "%s: no recipients or no likers\n", path);
        exit(2);
    }
    qsort(blogs, (size_t)nusers, sizeof(*blogs), bench_bid_cmp);
    qsort(likers, (size_t)nlikers, sizeof(*likers), bench_bid_cmp);
    size_t pairs = (size_t)nusers * (size_t)nlikers;
    sent_ns = bench_shared_alloc(pairs * sizeof(*sent_ns));
    sh = bench_shared_alloc(sizeof(*sh) + pairs * sizeof(int64_t));
    sh->caprt = pairs;
}

/* The number after "key": in s (after the "message" member), or -1. */
static long long
bench_num_after(const char *s, const char *key)
{
    const char *p = strstr(s, key);
    return p ? strtoll(p + strlen(key), NULL, 10) : -1;
}

/* A like event on a stream: its latency from the like's send time. */
static void
bench_like_event(const char *data)
{
    const char *m = strstr(data, "\"message\":");
    if (m == NULL || strstr(m, "\"type\":\"like\"") == NULL)
        return;
    int li = bench_bid_find(likers, nlikers, bench_num_after(m, "\"from\":"));
    int ui = bench_bid_find(blogs, nusers, bench_num_after(m, "\"refId\":"));
    int64_t t = li >= 0 && ui >= 0
                    ? atomic_load_explicit(
                          &sent_ns[(size_t)li * (size_t)nusers + (size_t)ui],
                          memory_order_relaxed)
                    : 0;
    if (t == 0) {
        unmatched++;
        return;
    }
    bench_lat_add(bench_woke_ns - t);
}

static void
bench_line(struct bconn *c, const char *l, size_t n)
{
    if (!c->open && n == 11 && memcmp(l, "retry: 3000", 11) == 0) {
        c->open = 1;
        opened++;
    } else if (n == 6 && memcmp(l, ": ping", 6) == 0) {
        pings++;
    } else if (n > 6 && memcmp(l, "data: ", 6) == 0) {
        events++;
        if (likes) {
            bench_like_event(l);
            return;
        }
        const char *p = strstr(l, "\"content\":\"L");
        if (p)
            bench_lat_add(bench_woke_ns - strtoll(p + 12, NULL, 10));
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
                c->line[n] = '\0';
                bench_line(c, c->line, n);
                c->n = 0;
            } else if (c->n < sizeof(c->line) - 1) {
                c->line[c->n++] = ch;
            }
        }
    }
}

/* ---- likes mode: the HTTP side ---- */

struct lconn {
    int kind; /* BENCH_LIKER */
    int fd;   /* -1: connect on next use */
    int busy; /* a request is out */
    int64_t t0;
    size_t n;
    char buf[8192];
};

static struct sockaddr_in bench_nginx;
static int bench_ep;

static int
bench_connect(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&bench_nginx, sizeof(bench_nginx)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void
bench_lconn_close(struct lconn *lc)
{
    if (lc->fd >= 0) {
        epoll_ctl(bench_ep, EPOLL_CTL_DEL, lc->fd, NULL);
        close(lc->fd);
    }
    lc->fd = -1;
    lc->busy = 0;
    lc->n = 0;
}

/* Sends the like of pair k on lc; 0 when it went out. */
static int
bench_like_send(struct lconn *lc, long long k)
{
    int ui = (int)(k % nusers), li = (int)(k / nusers);
    if (lc->fd < 0) {
        lc->fd = bench_connect();
        if (lc->fd < 0) {
            sh->like_conn_errors++;
            return -1;
        }
        fcntl(lc->fd, F_SETFL, fcntl(lc->fd, F_GETFL) | O_NONBLOCK);
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = lc};
        epoll_ctl(bench_ep, EPOLL_CTL_ADD, lc->fd, &ev);
    }
    char req[256];
    int n = snprintf(req, sizeof(req),
                     "PUT /api/blog/like/%lld HTTP/1.1\r\nHost: b\r\n"
                     "authorization: %s\r\nContent-Length: 0\r\n\r\n",
                     blog_of[ui], ltok[li]);
    lc->t0 = bench_now_ns();
    /* set before the write: the event may be fast */
    atomic_store_explicit(&sent_ns[k], lc->t0, memory_order_relaxed);
    if (write(lc->fd, req, (size_t)n) != n) {
        atomic_store_explicit(&sent_ns[k], 0, memory_order_relaxed);
        sh->like_conn_errors++;
        bench_lconn_close(lc);
        return -1;
    }
    lc->busy = 1;
    lc->n = 0;
    sh->likes_sent++;
    return 0;
}

/* Reads lc's answer; when it is complete, counts it and frees lc. */
static void
bench_like_read(struct lconn *lc)
{
    for (;;) {
        ssize_t r = read(lc->fd, lc->buf + lc->n, sizeof(lc->buf) - 1 - lc->n);
        if (r == 0 || (r < 0 && errno != EAGAIN) ||
            (r > 0 && lc->n + (size_t)r >= sizeof(lc->buf) - 1)) {
            if (lc->busy)
                sh->likes_failed++;
            bench_lconn_close(lc);
            return;
        }
        if (r < 0)
            break;
        lc->n += (size_t)r;
    }
    lc->buf[lc->n] = '\0';
    char *end = strstr(lc->buf, "\r\n\r\n");
    if (end == NULL || !lc->busy)
        return;
    *end = '\0'; /* the headers, lower-cased for the searches */
    for (char *p = lc->buf; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    const char *body = end + 4;
    size_t have = lc->n - (size_t)(body - lc->buf);
    const char *cl = strstr(lc->buf, "\ncontent-length:");
    int complete;
    if (cl)
        complete = have >= (size_t)strtoll(cl + 16, NULL, 10);
    else /* chunked: the last chunk */
        complete =
            have >= 5 && memcmp(lc->buf + lc->n - 5, "0\r\n\r\n", 5) == 0;
    if (!complete) {
        *end = '\r'; /* look again with more bytes */
        return;
    }
    int ok = strncmp(lc->buf, "http/1.1 200", 12) == 0 &&
             strstr(body, "\"success\":true");
    if (ok)
        sh->likes_ok++;
    else
        sh->likes_failed++;
    if (sh->nrt < sh->caprt) /* one answer per pair at most */
        sh->rt[sh->nrt++] = bench_woke_ns - lc->t0;
    int keep = strstr(lc->buf, "\nconnection: close") == NULL;
    lc->busy = 0;
    lc->n = 0;
    if (!keep)
        bench_lconn_close(lc);
}

/* The sender process: waits for go, sends RATE likes per second for
 * SECONDS over nconns keep-alive connections and reads their answers (up
 * to 5 s more for those in flight), then sets done and exits. Leaves if
 * go is negative or the reader is gone. */
static void
bench_sender(double rate, int seconds, int nconns)
{
    pid_t parent = getppid();
    bench_ep = epoll_create1(0);
    struct lconn *lcs = calloc((size_t)nconns, sizeof(*lcs));
    if (bench_ep < 0 || lcs == NULL)
        _exit(1);
    for (int i = 0; i < nconns; i++) {
        lcs[i].kind = BENCH_LIKER;
        lcs[i].fd = -1;
    }
    int64_t t_start;
    while ((t_start = atomic_load(&sh->go)) == 0) {
        if (getppid() != parent)
            _exit(1);
        struct timespec ts = {0, 1000000L};
        nanosleep(&ts, NULL);
    }
    if (t_start < 0)
        _exit(0);
    int64_t end = t_start + (int64_t)seconds * 1000000000LL;
    long long pairs = (long long)nusers * nlikers;
    for (;;) {
        int64_t now = bench_now_ns();
        if (now >= end) {
            int busy = 0;
            for (int i = 0; i < nconns; i++)
                busy |= lcs[i].busy;
            if (!busy || now >= end + 5000000000LL)
                break;
        } else {
            long long due = (long long)((double)(now - t_start) / 1e9 * rate);
            if (due > pairs)
                due = pairs;
            for (int i = 0; i < nconns && sh->likes_sent < due; i++)
                if (!lcs[i].busy)
                    bench_like_send(&lcs[i], sh->likes_sent);
            if (due - sh->likes_sent > sh->behind_max)
                sh->behind_max = due - sh->likes_sent;
        }
        struct epoll_event evs[256];
        int k = epoll_wait(bench_ep, evs, 256, 1);
        bench_woke_ns = bench_now_ns();
        for (int j = 0; j < k; j++)
            bench_like_read(evs[j].data.ptr);
    }
    for (int i = 0; i < nconns; i++)
        if (lcs[i].fd >= 0)
            close(lcs[i].fd);
    atomic_store(&sh->done, 1);
    _exit(0);
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
    if (argc < 7 || (strcmp(argv[1], "latency") == 0 && argc < 8) ||
        (strcmp(argv[1], "likes") == 0 && argc < 8)) {
        fprintf(stderr,
                "usage: %s hold|latency NGINX_PORT REDIS_PORT CONNS USERS "
                "SECONDS [RATE]\n"
                "       %s likes NGINX_PORT REDIS_PORT CONNS SECONDS RATE "
                "USERS_FILE\n",
                argv[0], argv[0]);
        return 2;
    }
    likes = strcmp(argv[1], "likes") == 0;
    int latency = likes || strcmp(argv[1], "latency") == 0;
    int nport = atoi(argv[2]), rport = atoi(argv[3]);
    int conns = atoi(argv[4]), users, seconds;
    double rate;
    if (likes) {
        seconds = atoi(argv[5]);
        rate = atof(argv[6]);
        bench_load_users(argv[7]);
        users = nusers;
    } else {
        users = atoi(argv[5]);
        seconds = atoi(argv[6]);
        rate = latency ? atof(argv[7]) : 0;
    }
    if (conns < 1 || users < 1 || users > conns || seconds < 1) {
        fprintf(stderr, "bad numbers (conns %d, users %d, seconds %d)\n", conns,
                users, seconds);
        return 2;
    }
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);

    /* likes mode: the sender, before any stream exists */
    pid_t sender = -1;
    if (likes) {
        const char *e = getenv("SSE_BENCH_LIKE_CONNS");
        int nconns = e && atoi(e) > 0 ? atoi(e) : BENCH_LIKE_CONNS;
        struct sockaddr_in sa = {0};
        sa.sin_family = AF_INET;
        sa.sin_port = htons((uint16_t)nport);
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        bench_nginx = sa;
        fflush(stdout);
        sender = fork();
        if (sender < 0) {
            perror("fork");
            return 1;
        }
        if (sender == 0)
            bench_sender(rate, seconds, nconns);
    }

    /* sessions: synthetic ones, or the real users' (made by the script) */
    redisContext *r = bench_redis(rport);
    char tok[33];
    if (!likes) {
        utok = calloc((size_t)users, sizeof(*utok));
        for (int u = 0; u < users; u++) {
            bench_token(u, utok[u]);
            redisAppendCommand(r, "HSET login:token:%s id %lld nickName bench",
                               utok[u], BENCH_UID0 + u);
            redisAppendCommand(r, "EXPIRE login:token:%s 7200", utok[u]);
        }
        bench_drain(r, users * 2);
    }

    /* streams */
    int ep = epoll_create1(0);
    bench_ep = ep;
    struct bconn *cs = calloc((size_t)conns, sizeof(*cs));
    struct sockaddr_in sin = {0};
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)nport);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bench_nginx = sin;
    int failed = 0;
    for (int i = 0; i < conns; i++) {
        struct bconn *c = &cs[i];
        c->kind = BENCH_STREAM;
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
        int n = snprintf(req, sizeof(req),
                         "GET /api/message/sse HTTP/1.0\r\nHost: b\r\n"
                         "Authorization: %s\r\n\r\n",
                         utok[c->user]);
        if (write(c->fd, req, (size_t)n) != n)
            failed++;
        fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
        if (i % 500 == 499) {
            /* let the first bytes of earlier streams in */
            struct epoll_event evs[256];
            int k = epoll_wait(ep, evs, 256, 0);
            bench_woke_ns = bench_now_ns();
            for (int j = 0; j < k; j++)
                bench_read(evs[j].data.ptr);
        }
    }
    long long pairs = (long long)nusers * nlikers;
    int64_t t0 = bench_now_ns(), end = t0 + (int64_t)seconds * 1000000000LL;
    int64_t open_wait_end = t0 + 10000000000LL;
    long long sent = 0, closed = 0;
    int started = 0;
    int64_t t_start = 0;
    struct rusage ru0 = {0}, ru1, ruc;
    srand(42);
    for (;;) {
        int64_t now = bench_now_ns();
        if (!started && (opened >= conns - failed || now > open_wait_end)) {
            started = 1;
            t_start = now;
            end = now + (int64_t)seconds * 1000000000LL;
            printf("streams_open %lld\nconnect_failed %d\n", opened, failed);
            fflush(stdout);
            getrusage(RUSAGE_SELF, &ru0);
            if (likes)
                atomic_store(&sh->go, t_start);
        }
        if (started && now >= end) {
            /* likes: the sender's answers, and up to 6 s more for the
             * events in flight */
            int done = likes && atomic_load(&sh->done);
            long long want = done ? sh->likes_ok * (conns / users) : 0;
            if (!likes || now >= end + 6000000000LL ||
                (done && (long long)nlat >= want))
                break;
        }
        if (started && latency && !likes) {
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
        bench_woke_ns = bench_now_ns();
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
    getrusage(RUSAGE_SELF, &ru1);
    printf("seconds %d\nclosed_by_server %lld\npings %lld\nevents_received "
           "%lld\n",
           seconds, closed, pings, events);
    if (likes) {
        if (!started)
            atomic_store(&sh->go, -1);
        int st;
        waitpid(sender, &st, 0);
        /* CPU of the load client itself from the start of the load: the
         * reader since then, the sender (whose life is the load) */
        getrusage(RUSAGE_CHILDREN, &ruc);
        printf("client_cpu_reader_s %.2f\nclient_cpu_sender_s %.2f\n",
               bench_ru_s(&ru1) - bench_ru_s(&ru0), bench_ru_s(&ruc));
        if (!atomic_load(&sh->done))
            printf("note the sender did not finish\n");
        /* each like reaches every stream of its blog's author: with
         * CONNS a multiple of the recipients that is CONNS/recipients */
        printf("rate %.0f\nlikes_sent %lld\nlikes_ok %lld\nlikes_failed "
               "%lld\nlike_conn_errors %lld\nlikes_behind_max %lld\n"
               "deliveries_expected %lld\nunmatched_events %lld\n",
               rate, sh->likes_sent, sh->likes_ok, sh->likes_failed,
               sh->like_conn_errors, sh->behind_max,
               sh->likes_ok * (conns / users), unmatched);
        if (sh->likes_sent >= pairs)
            printf("note every (liker, blog) pair was used: more likers "
                   "would have sent more\n");
        size_t nrt = sh->nrt;
        if (nrt) {
            qsort(sh->rt, nrt, sizeof(*sh->rt), bench_cmp);
            printf("like_answer_p50_ms %.2f\nlike_answer_p99_ms %.2f\n",
                   sh->rt[nrt / 2] / 1e6, sh->rt[nrt * 99 / 100] / 1e6);
        }
    } else if (latency) {
        /* expected deliveries: each event reaches every stream of its
         * user; with CONNS a multiple of USERS that is CONNS/USERS */
        printf("events_sent %lld\nrate %.0f\n", sent, rate);
    }
    if (latency && nlat) {
        qsort(lat, nlat, sizeof(*lat), bench_cmp);
        printf("deliveries %zu\nlatency_p50_ms %.2f\nlatency_p99_ms "
               "%.2f\nlatency_max_ms %.2f\n",
               nlat, lat[nlat / 2] / 1e6, lat[nlat * 99 / 100] / 1e6,
               lat[nlat - 1] / 1e6);
    }
    for (int i = 0; i < conns; i++)
        if (cs[i].fd >= 0)
            close(cs[i].fd);
    if (!likes) { /* the real users' data goes with the stack */
        for (int u = 0; u < users; u++) {
            bench_token(u, tok);
            redisAppendCommand(r, "DEL login:token:%s message.stream:%lld", tok,
                               BENCH_UID0 + u);
        }
        bench_drain(r, users);
    }
    redisFree(r);
    free(cs);
    free(lat);
    free(utok);
    free(ltok);
    free(blogs);
    free(likers);
    free(blog_of);
    return 0;
}
