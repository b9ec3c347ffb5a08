/*
 * test_sse.c: the SSE gateway (hmdp-sse) end to end: raw sockets through
 * nginx (/api/message/sse) or straight at a gateway, real Redis. Events
 * are produced the way the design note fixes it (one MULTI: XADD
 * message.stream:{uid} + XADD message.wake), since the notification
 * producers are another module's.
 *
 * Besides the stack's gateway (under multiwatch) the test starts its own
 * gateways (the sanitizer build, logs in the run dir's logs/ so the
 * runner checks them): one sharing the stack's address (SO_REUSEPORT),
 * one with a small buffer limit and a fast ping, one on a private Redis
 * that is restarted under it. Each must exit 0 on SIGTERM.
 */
#include "h.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ------------------------------------------------------------ helpers */

struct sc {
    int fd;
    char *buf;
    size_t n, cap;
    size_t pos; /* next event block to parse */
    int eof;
};

struct ev {
    char id[64];
    char event[32];
    char data[16384];
};

static int nginx_port, sse_port;

static int
port_of(const char *addr)
{
    const char *c = strrchr(addr, ':');
    return c ? atoi(c + 1) : -1;
}

static int
tcp_connect(int port, int rcvbuf)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = {0};
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (rcvbuf > 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* A free TCP port on loopback (bound, then released). */
static int
free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = {0};
    socklen_t sl = sizeof(sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, (struct sockaddr *)&sin, sizeof(sin));
    getsockname(fd, (struct sockaddr *)&sin, &sl);
    close(fd);
    return ntohs(sin.sin_port);
}

/* Opens GET target on port with extra header lines ("" or "A: b\r\n").
 * HTTP/1.0, so nginx does not chunk the stream. NULL if no connect. */
static struct sc *
sc_open_rcv(int port, const char *target, const char *headers, int rcvbuf)
{
    int fd = tcp_connect(port, rcvbuf);
    if (fd < 0)
        return NULL;
    char req[2048];
    int n = snprintf(req, sizeof(req),
                     "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n%s\r\n", target,
                     headers ? headers : "");
    if (write(fd, req, (size_t)n) != n) {
        close(fd);
        return NULL;
    }
    struct sc *s = calloc(1, sizeof(*s));
    s->fd = fd;
    return s;
}

static struct sc *
sc_open(int port, const char *target, const char *headers)
{
    return sc_open_rcv(port, target, headers, 0);
}

static void
sc_close(struct sc *s)
{
    if (s == NULL)
        return;
    if (s->fd >= 0)
        close(s->fd);
    free(s->buf);
    free(s);
}

/* Reads what arrives within timeout_ms; returns bytes read (0 on EOF
 * or timeout). */
static size_t
sc_fill(struct sc *s, int timeout_ms)
{
    struct pollfd p = {s->fd, POLLIN, 0};
    if (s->eof || poll(&p, 1, timeout_ms) <= 0)
        return 0;
    if (s->cap - s->n < 65536) {
        s->cap = s->cap ? s->cap * 2 : 131072;
        s->buf = realloc(s->buf, s->cap + 1);
    }
    ssize_t r = read(s->fd, s->buf + s->n, s->cap - s->n);
    if (r <= 0) {
        s->eof = 1;
        return 0;
    }
    s->n += (size_t)r;
    s->buf[s->n] = '\0';
    return (size_t)r;
}

/* Waits until the received text contains needle (from offset 0). */
static int
sc_wait(struct sc *s, const char *needle, int timeout_ms)
{
    int64_t end = h_now_ms() + timeout_ms;
    for (;;) {
        if (s->buf && strstr(s->buf, needle))
            return 1;
        int64_t left = end - h_now_ms();
        if (left <= 0 || s->eof)
            return 0;
        sc_fill(s, (int)left);
    }
}

/* Reads until EOF (bounded); returns 1 when the peer closed. */
static int
sc_wait_eof(struct sc *s, int timeout_ms)
{
    int64_t end = h_now_ms() + timeout_ms;
    while (!s->eof && h_now_ms() < end)
        sc_fill(s, 200);
    return s->eof;
}

static int
sc_status(struct sc *s)
{
    if (!sc_wait(s, "\r\n\r\n", 5000))
        return -1;
    int st = -1;
    sscanf(s->buf, "HTTP/1.%*d %d", &st);
    if (s->pos == 0)
        s->pos = (size_t)(strstr(s->buf, "\r\n\r\n") - s->buf) + 4;
    return st;
}

static const char *
sc_body(struct sc *s)
{
    char *b = s->buf ? strstr(s->buf, "\r\n\r\n") : NULL;
    return b ? b + 4 : "";
}

/* The next event block (id/event/data) after the head, skipping the
 * retry block and comments; 1 when one arrived within timeout_ms. */
static int
sc_event(struct sc *s, struct ev *e, int timeout_ms)
{
    int64_t end = h_now_ms() + timeout_ms;
    if (sc_status(s) < 0)
        return 0;
    for (;;) {
        char *blk = s->buf + s->pos;
        char *sep = strstr(blk, "\n\n");
        if (sep == NULL) {
            int64_t left = end - h_now_ms();
            if (left <= 0 || s->eof)
                return 0;
            sc_fill(s, (int)left);
            continue;
        }
        s->pos = (size_t)(sep + 2 - s->buf);
        memset(e, 0, sizeof(*e));
        int any = 0;
        for (char *l = blk; l < sep;) {
            char *nl = memchr(l, '\n', (size_t)(sep - l));
            if (nl == NULL)
                nl = sep;
            size_t len = (size_t)(nl - l);
            if (len > 4 && memcmp(l, "id: ", 4) == 0 && len - 4 < sizeof(e->id))
                memcpy(e->id, l + 4, len - 4), any = 1;
            else if (len > 7 && memcmp(l, "event: ", 7) == 0 &&
                     len - 7 < sizeof(e->event))
                memcpy(e->event, l + 7, len - 7), any = 1;
            else if (len > 6 && memcmp(l, "data: ", 6) == 0 &&
                     len - 6 < sizeof(e->data))
                memcpy(e->data, l + 6, len - 6), any = 1;
            l = nl + 1;
        }
        if (any && e->event[0])
            return 1;
    }
}

/* No further event within ms. */
static int
sc_quiet(struct sc *s, int ms)
{
    struct ev e;
    return sc_event(s, &e, ms) == 0;
}

static const char *sender_u =
    "{\"id\":5,\"nickName\":\"小鱼\",\"icon\":\"/imgs/icons/x.jpg\"}";

static char *
make_m(int64_t to, const char *content)
{
    char *m = malloc(strlen(content) + 256);
    sprintf(m,
            "{\"from\":5,\"to\":%lld,\"type\":\"like\",\"content\":\"%s\","
            "\"refId\":4,\"time\":\"2026-12-01T10:00:00\"}",
            (long long)to, content);
    return m;
}

/* Appends one message for user to on redis c as the producers do (one
 * MULTI); returns the entry id (static buffer rotation) or "". */
static const char *
produce_on(redisContext *c, int64_t to, const char *content)
{
    static char ids[8][64];
    static int k;
    char *id = ids[k++ % 8];
    char key[64], mid[64];
    id[0] = '\0';
    snprintf(key, sizeof(key), "message.stream:%lld", (long long)to);
    snprintf(mid, sizeof(mid), "t-%lld-%d", (long long)h_now_ms(), k);
    char *m = make_m(to, content);
    redisAppendCommand(c, "MULTI");
    redisAppendCommand(c, "XADD %s * mid %s m %s u %s", key, mid, m, sender_u);
    redisAppendCommand(c, "XADD message.wake MAXLEN ~ 100000 * u %lld",
                       (long long)to);
    redisAppendCommand(c, "EXEC");
    free(m);
    redisReply *r;
    for (int i = 0; i < 4; i++) {
        if (redisGetReply(c, (void **)&r) != REDIS_OK)
            return id;
        if (i == 3 && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
            r->element[0]->type == REDIS_REPLY_STRING)
            snprintf(ids[(k - 1) % 8], 64, "%s", r->element[0]->str);
        freeReplyObject(r);
    }
    return id;
}

static const char *
produce(int64_t to, const char *content)
{
    return produce_on(h_redis(), to, content);
}

/* The exact data line of a produced event. */
static char *
expect_data(const char *id, int64_t to, const char *content)
{
    char *m = make_m(to, content);
    char *d = malloc(strlen(m) + 512);
    sprintf(d, "{\"user\":%s,\"message\":{\"id\":\"%s\",%s", sender_u, id,
            m + 1);
    strcat(d, "}");
    free(m);
    return d;
}

static char *
target(const char *token, const char *cursor)
{
    static char t[512];
    snprintf(t, sizeof(t), "/api/message/sse%s%s%s%s", token ? "?token=" : "",
             token ? token : "", cursor ? (token ? "&" : "?") : "",
             cursor ? cursor : "");
    return t;
}

static char *
auth_header(const char *token, const char *last_id)
{
    static char h[512];
    snprintf(h, sizeof(h), "Authorization: %s\r\n%s%s%s", token,
             last_id ? "Last-Event-ID: " : "", last_id ? last_id : "",
             last_id ? "\r\n" : "");
    return h;
}

/* An open stream through nginx for token, past its first bytes. */
static struct sc *
stream(const char *token, const char *last_id)
{
    struct sc *s =
        sc_open(nginx_port, "/api/message/sse", auth_header(token, last_id));
    if (s == NULL || sc_status(s) != 200 ||
        !sc_wait(s, "retry: 3000\n\n", 5000))
        printf("  stream did not open (status %d)\n", s ? sc_status(s) : -1);
    return s;
}

static long
rss_kb(long pid)
{
    char path[64], line[256];
    long kb = -1;
    snprintf(path, sizeof(path), "/proc/%ld/status", pid);
    FILE *f = fopen(path, "r");
    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb;
}

static int
socket_fds(long pid)
{
    char path[64], link[384], target_[128];
    int n = 0;
    snprintf(path, sizeof(path), "/proc/%ld/fd", pid);
    DIR *d = opendir(path);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        snprintf(link, sizeof(link), "%s/%s", path, e->d_name);
        ssize_t k = readlink(link, target_, sizeof(target_) - 1);
        if (k > 0) {
            target_[k] = '\0';
            n += strncmp(target_, "socket:", 7) == 0;
        }
    }
    if (d)
        closedir(d);
    return n;
}

/* socket_fds once it has held still for half a second (at most 5 s): a
 * gateway just started may still be opening its Redis connections, and
 * closes of earlier clients may still be on their way. */
static int
socket_fds_settled(long pid)
{
    int n = socket_fds(pid), still = 0;
    for (int i = 0; i < 50 && still < 5; i++) {
        h_sleep_ms(100);
        int m = socket_fds(pid);
        still = m == n ? still + 1 : 0;
        n = m;
    }
    return n;
}

/* The stack's gateway (multiwatch's child), -1 when none. */
static long
stack_gateway(void)
{
    long kids[4];
    long mw = h_run_pid("hmdp-sse.pid");
    if (mw <= 0)
        return -1;
    return h_children_of(mw, kids, 4) >= 1 ? kids[0] : -1;
}

/* Starts a gateway of the sanitizer build with extra "K=V" settings,
 * logging to logs/<logname>; waits until port accepts. Returns its pid. */
static pid_t
gw_start(const char *logname, int port, ...)
{
    char bin[1024], logf[1024];
    snprintf(bin, sizeof(bin), "%s/build/test/hmdp-sse", h_env("HMDP_REPO"));
    snprintf(logf, sizeof(logf), "%s/logs/%s", h_env("HMDP_RUN_DIR"), logname);
    const char *kv[8];
    int nkv = 0;
    va_list ap;
    va_start(ap, port);
    for (const char *a; nkv < 8 && (a = va_arg(ap, const char *)) != NULL;)
        kv[nkv++] = a;
    va_end(ap);
    pid_t pid = fork();
    if (pid == 0) {
        for (int i = 0; i < nkv; i++) {
            char k[64];
            const char *eq = strchr(kv[i], '=');
            snprintf(k, sizeof(k), "%.*s", (int)(eq - kv[i]), kv[i]);
            setenv(k, eq + 1, 1);
        }
        setenv("HMDP_LOG_FILE", logf, 1);
        /* a small quarantine, so RSS reflects live memory */
        setenv("ASAN_OPTIONS",
               "detect_leaks=1:halt_on_error=1:quarantine_size_mb=4", 1);
        int fd = open(logf, O_WRONLY | O_CREAT | O_APPEND, 0644);
        dup2(fd, 1);
        dup2(fd, 2);
        execl(bin, bin, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 100; i++) {
        int fd = tcp_connect(port, 0);
        if (fd >= 0) {
            close(fd);
            break;
        }
        h_sleep_ms(50);
    }
    h_sleep_ms(200); /* Redis connections */
    return pid;
}

/* SIGTERM; returns the exit status (0 = clean), -1 if it hung. */
static int
gw_stop(pid_t pid)
{
    int st;
    kill(pid, SIGTERM);
    for (int i = 0; i < 100; i++) {
        if (waitpid(pid, &st, WNOHANG) == pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        h_sleep_ms(100);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    return -1;
}

/* ---------------------------------------------------------------- tests */

static char *tok_a;
static int64_t uid_a;
static struct sc *hb; /* opened first, checked for a ping later */
static int64_t hb_opened;

static void
test_event_shape(void)
{
    struct sc *s = stream(tok_a, NULL);
    CHECK(s != NULL);
    if (s == NULL)
        return;
    CHECK(strstr(s->buf, "Content-Type: text/event-stream") != NULL);
    CHECK(strstr(s->buf, "Cache-Control: no-cache") != NULL);
    /* the stream's first bytes */
    CHECK(strncmp(sc_body(s), "retry: 3000\n\n", 13) == 0);
    const char *id = produce(uid_a, "点赞了你的博客");
    char exp[4096];
    char *data = expect_data(id, uid_a, "点赞了你的博客");
    snprintf(exp, sizeof(exp), "id: %s\nevent: message\ndata: %s\n\n", id,
             data);
    CHECK(sc_wait(s, exp, 5000));
    struct json_object *j = json_tokener_parse(data);
    CHECK(j != NULL);
    json_object_put(j);
    free(data);
    sc_close(s);
}

static void
test_resume_last_event_id(void)
{
    struct sc *s = stream(tok_a, NULL);
    struct ev e;
    const char *id1 = produce(uid_a, "one");
    CHECK(sc_event(s, &e, 5000) && strcmp(e.id, id1) == 0);
    sc_close(s);
    char id2[64], id3[64], id1c[64];
    snprintf(id1c, sizeof(id1c), "%s", id1);
    snprintf(id2, sizeof(id2), "%s", produce(uid_a, "two"));
    snprintf(id3, sizeof(id3), "%s", produce(uid_a, "three"));
    s = stream(tok_a, id1c);
    CHECK(sc_event(s, &e, 5000) && strcmp(e.id, id2) == 0 &&
          strcmp(e.event, "message") == 0);
    char *d2 = expect_data(id2, uid_a, "two");
    CHECK_STR(e.data, d2);
    free(d2);
    CHECK(sc_event(s, &e, 5000) && strcmp(e.id, id3) == 0);
    CHECK(sc_quiet(s, 700)); /* exactly those two, once */
    /* then live */
    const char *id4 = produce(uid_a, "four");
    CHECK(sc_event(s, &e, 5000) && strcmp(e.id, id4) == 0);
    CHECK(sc_quiet(s, 300));
    sc_close(s);
}

static void
test_query_params(void)
{
    struct ev e;
    char id1[64], id2[64];
    snprintf(id1, sizeof(id1), "%s", produce(uid_a, "q1"));
    snprintf(id2, sizeof(id2), "%s", produce(uid_a, "q2"));
    char cur[128];
    snprintf(cur, sizeof(cur), "lastEventId=%s", id1);
    /* EventSource cannot set headers: token and cursor in the query */
    struct sc *s = sc_open(nginx_port, target(tok_a, cur), "");
    CHECK(sc_status(s) == 200);
    CHECK(sc_event(s, &e, 5000) && strcmp(e.id, id2) == 0);
    CHECK(sc_quiet(s, 500));
    sc_close(s);
    /* without a cursor: live events only */
    s = sc_open(nginx_port, target(tok_a, NULL), "");
    CHECK(sc_status(s) == 200 && sc_wait(s, "retry: 3000\n\n", 5000));
    CHECK(sc_quiet(s, 500));
    const char *id3 = produce(uid_a, "q3");
    CHECK(sc_event(s, &e, 5000) && strcmp(e.id, id3) == 0);
    sc_close(s);
    /* the token in the query never reaches nginx's access log */
    char path[1024], line[4096];
    int found = 0, lines = 0;
    snprintf(path, sizeof(path), "%s/logs/nginx-access.log",
             h_env("HMDP_RUN_DIR"));
    FILE *f = fopen(path, "r");
    while (f && fgets(line, sizeof(line), f)) {
        /* JSON lines, the path without its query (conf/nginx.conf.in) */
        lines += strstr(line, "\"path\":\"/api/message/sse\"") != NULL;
        found += strstr(line, tok_a) != NULL;
    }
    if (f)
        fclose(f);
    CHECK(lines > 0);
    CHECK(found == 0);
}

static void
test_two_connections_one_user(void)
{
    struct sc *a = stream(tok_a, NULL), *b = stream(tok_a, NULL);
    char ids[3][64];
    for (int i = 0; i < 3; i++)
        snprintf(ids[i], 64, "%s", produce(uid_a, "both"));
    struct sc *both[2] = {a, b};
    for (int k = 0; k < 2; k++) {
        struct ev e;
        for (int i = 0; i < 3; i++)
            CHECK(sc_event(both[k], &e, 5000) && strcmp(e.id, ids[i]) == 0);
        CHECK(sc_quiet(both[k], 400));
    }
    sc_close(a);
    sc_close(b);
}

/* Two streams of one user at different cursors share the user's range
 * reads: the one behind catches up, the one ahead gets nothing twice. */
static void
test_mixed_cursors_one_user(void)
{
    int64_t uid;
    char *t = h_login_user(&uid);
    struct sc *a = stream(t, NULL);
    struct ev e;
    char id[4][64];
    for (int i = 0; i < 3; i++) {
        snprintf(id[i], 64, "%s", produce(uid, "mixed"));
        CHECK(sc_event(a, &e, 5000) && strcmp(e.id, id[i]) == 0);
    }
    struct sc *b = stream(t, id[0]);
    CHECK(sc_event(b, &e, 5000) && strcmp(e.id, id[1]) == 0);
    CHECK(sc_event(b, &e, 5000) && strcmp(e.id, id[2]) == 0);
    CHECK(sc_quiet(a, 400)); /* a had them all already */
    snprintf(id[3], 64, "%s", produce(uid, "mixed"));
    CHECK(sc_event(a, &e, 5000) && strcmp(e.id, id[3]) == 0);
    CHECK(sc_event(b, &e, 5000) && strcmp(e.id, id[3]) == 0);
    CHECK(sc_quiet(a, 300) && sc_quiet(b, 10));
    sc_close(a);
    sc_close(b);
    free(t);
}

/* Rings the doorbell for user to with an entry carried whole (fields i, p,
 * m, f: app/message/message_data.c), without touching the user stream. */
static void
ring_carrying(int64_t to, const char *id, const char *prev, const char *content)
{
    char *m = make_m(to, content);
    redisReply *r = redisCommand(
        h_redis(),
        "XADD message.wake MAXLEN ~ 100000 * u %lld i %s p %s m %s f %s",
        (long long)to, id, prev, m, sender_u);
    CHECK(r && r->type == REDIS_REPLY_STRING);
    if (r)
        freeReplyObject(r);
    free(m);
}

/* A doorbell that carries its entry is delivered from the doorbell to the
 * clients whose cursor is the entry before it (no range read: these
 * entries exist only in the doorbell, so a range read could not have
 * sent them); a client at another cursor is left to the range read, which
 * sends what the stream holds, in order. And the real producer rings that
 * way: a chat message's doorbell names its entry and the one before. */
static void
test_doorbell_carries_entry(void)
{
    int64_t uid, sender;
    char *t = h_login_user(&uid), *st = h_login_user(&sender);
    struct sc *s = stream(t, NULL); /* no stream yet: cursor 0-0 */
    struct ev e;
    char i1[64], i2[64];
    snprintf(i1, sizeof(i1), "%lld-1", (long long)h_now_ms());
    snprintf(i2, sizeof(i2), "%lld-2", (long long)h_now_ms());
    ring_carrying(uid, i1, "0-0", "direct one");
    CHECK(sc_event(s, &e, 5000) && strcmp(e.id, i1) == 0);
    char *d = expect_data(i1, uid, "direct one");
    CHECK_STR(e.data, d);
    free(d);
    ring_carrying(uid, i2, i1, "direct two");
    CHECK(sc_event(s, &e, 5000) && strcmp(e.id, i2) == 0);
    /* again: the client has it, nothing twice */
    ring_carrying(uid, i2, i1, "direct two");
    CHECK(sc_quiet(s, 400));
    /* p is not the client's cursor: not from the doorbell, and the range
     * read finds nothing in the (empty) stream */
    char i3[64];
    snprintf(i3, sizeof(i3), "%lld-3", (long long)h_now_ms() + 1);
    ring_carrying(uid, i3, "1-1", "not mine");
    CHECK(sc_quiet(s, 500));
    sc_close(s);

    /* entries between the cursor and p: the range read sends them all */
    const char *a0 = produce(uid, "before");
    char c0[64], a1[64];
    snprintf(c0, sizeof(c0), "%s", a0);
    s = stream(t, c0);
    CHECK(sc_quiet(s, 300));
    char *m1 = make_m(uid, "silent");
    redisReply *r = redisCommand(h_redis(),
                                 "XADD message.stream:%lld * mid "
                                 "silent m %s u %s",
                                 (long long)uid, m1, sender_u);
    free(m1);
    CHECK(r && r->type == REDIS_REPLY_STRING);
    snprintf(a1, sizeof(a1), "%s", r && r->str ? r->str : "");
    if (r)
        freeReplyObject(r);
    char *m2 = make_m(uid, "after");
    r = redisCommand(h_redis(), "XADD message.stream:%lld * mid loud m %s u %s",
                     (long long)uid, m2, sender_u);
    free(m2);
    char a2[64];
    snprintf(a2, sizeof(a2), "%s", r && r->str ? r->str : "");
    if (r)
        freeReplyObject(r);
    ring_carrying(uid, a2, a1, "after");
    CHECK(sc_event(s, &e, 5000) && strcmp(e.id, a1) == 0);
    CHECK(sc_event(s, &e, 5000) && strcmp(e.id, a2) == 0);
    CHECK(sc_quiet(s, 300));

    /* the producer: a chat message to uid rings with its entry */
    char path[64];
    snprintf(path, sizeof(path), "/message/chat/%lld", (long long)uid);
    struct resp hr;
    CHECK(h_post_json(path, st, "{\"content\":\"ding dong\"}", &hr) == 0 &&
          hr.status == 200 && h_success(&hr));
    h_free(&hr);
    CHECK(sc_event(s, &e, 5000) && strstr(e.data, "ding dong") != NULL);
    r = redisCommand(h_redis(), "XREVRANGE message.stream:%lld + - COUNT 2",
                     (long long)uid);
    char last[64] = "", before[64] = "";
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2) {
        snprintf(last, sizeof(last), "%s", r->element[0]->element[0]->str);
        snprintf(before, sizeof(before), "%s", r->element[1]->element[0]->str);
    }
    if (r)
        freeReplyObject(r);
    CHECK(strcmp(e.id, last) == 0 && strcmp(before, a2) == 0);
    /* the newest doorbell of uid: u, i, p, m, f */
    r = redisCommand(h_redis(), "XREVRANGE message.wake + - COUNT 20");
    int seen = 0;
    for (size_t k = 0; r && r->type == REDIS_REPLY_ARRAY && k < r->elements;
         k++) {
        redisReply *f = r->element[k]->element[1];
        char u[32];
        snprintf(u, sizeof(u), "%lld", (long long)uid);
        if (f->elements != 10 || strcmp(f->element[1]->str, u) != 0)
            continue;
        CHECK_STR(f->element[2]->str, "i");
        CHECK_STR(f->element[3]->str, last);
        CHECK_STR(f->element[4]->str, "p");
        CHECK_STR(f->element[5]->str, before);
        CHECK_STR(f->element[6]->str, "m");
        CHECK(strstr(f->element[7]->str, "ding dong") != NULL);
        CHECK_STR(f->element[8]->str, "f");
        seen = 1;
        break;
    }
    if (r)
        freeReplyObject(r);
    CHECK(seen);
    sc_close(s);
    free(t);
    free(st);
}

static void
test_auth_401(void)
{
    static const char *env = "{\"success\":false,\"errorMsg\":\"请先登录\"}";
    struct sc *s = sc_open(nginx_port, "/api/message/sse", "");
    CHECK(sc_status(s) == 401);
    CHECK(sc_wait_eof(s, 3000));
    CHECK_STR(sc_body(s), env);
    sc_close(s);
    /* well-formed but unknown */
    s = sc_open(nginx_port, "/api/message/sse",
                "Authorization: 0123456789abcdef0123456789abcdef\r\n");
    CHECK(sc_status(s) == 401);
    CHECK(sc_wait_eof(s, 3000));
    CHECK_STR(sc_body(s), env);
    sc_close(s);
    /* malformed, in the query */
    s = sc_open(nginx_port, target("x%27%20or%201", NULL), "");
    CHECK(sc_status(s) == 401);
    sc_close(s);
    /* a logged-out token stops working */
    int64_t uid;
    char *t = h_login_user(&uid);
    s = stream(t, NULL);
    sc_close(s);
    struct resp r;
    h_post_json("/user/logout", t, "{}", &r);
    h_free(&r);
    s = sc_open(nginx_port, target(t, NULL), "");
    CHECK(sc_status(s) == 401);
    sc_close(s);
    free(t);
}

static void
test_sliding_ttl(void)
{
    char key[128];
    snprintf(key, sizeof(key), "login:token:%s", tok_a);
    h_redis_int("EXPIRE %s 100", key);
    struct sc *s = stream(tok_a, NULL);
    long long ttl = h_redis_int("TTL %s", key);
    CHECK(ttl > 2000 && ttl <= 2100); /* TTL_LOGIN_TOKEN + the slack */
    sc_close(s);
    /* still at least TTL_LOGIN_TOKEN left: the connect leaves it alone */
    h_redis_int("EXPIRE %s 1900", key);
    s = stream(tok_a, NULL);
    ttl = h_redis_int("TTL %s", key);
    CHECK(ttl > 1800 && ttl <= 1900);
    sc_close(s);
}

static void
test_bad_cursor_400(void)
{
    static const char *bad[] = {"abc",   "1-",    "-1",
                                "1-2-3", "1.5-0", "99999999999999999999999-0"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct sc *s =
            sc_open(nginx_port, "/api/message/sse", auth_header(tok_a, bad[i]));
        CHECK(sc_status(s) == 400);
        CHECK(sc_wait_eof(s, 3000));
        struct json_object *j = json_tokener_parse(sc_body(s));
        struct json_object *ok;
        CHECK(j && json_object_object_get_ex(j, "success", &ok) &&
              !json_object_get_boolean(ok));
        json_object_put(j);
        sc_close(s);
    }
    char q[64];
    snprintf(q, sizeof(q), "lastEventId=%s", "12x-0");
    struct sc *s = sc_open(nginx_port, target(tok_a, q), "");
    CHECK(sc_status(s) == 400);
    sc_close(s);
}

static void
test_gap_reset(void)
{
    int64_t uid;
    char *t = h_login_user(&uid);
    char id[4][64];
    for (int i = 0; i < 3; i++)
        snprintf(id[i], 64, "%s", produce(uid, "old"));
    char key[64];
    snprintf(key, sizeof(key), "message.stream:%lld", (long long)uid);
    /* retention trims the head: id[0] and id[1] are gone */
    CHECK(h_redis_int("XTRIM %s MAXLEN 1", key) == 2);
    struct ev e;
    struct sc *s = stream(t, id[0]);
    CHECK(sc_event(s, &e, 5000) && strcmp(e.event, "reset") == 0 &&
          strcmp(e.data, "{\"reason\":\"gap\"}") == 0);
    /* then live only: not id[2] */
    CHECK(sc_quiet(s, 500));
    snprintf(id[3], 64, "%s", produce(uid, "new"));
    CHECK(sc_event(s, &e, 5000) && strcmp(e.id, id[3]) == 0);
    sc_close(s);
    /* a cursor at the retained head is no gap */
    s = stream(t, id[2]);
    CHECK(sc_event(s, &e, 5000) && strcmp(e.id, id[3]) == 0 &&
          strcmp(e.event, "message") == 0);
    sc_close(s);
    /* XDEL after the cursor: max-deleted-entry-id > cursor */
    char id5[64];
    snprintf(id5, sizeof(id5), "%s", produce(uid, "x"));
    produce(uid, "y");
    CHECK(h_redis_int("XDEL %s %s", key, id5) == 1);
    s = stream(t, id[3]);
    CHECK(sc_event(s, &e, 5000) && strcmp(e.event, "reset") == 0);
    CHECK(sc_quiet(s, 400));
    sc_close(s);
    /* an emptied stream: a gap for an older cursor */
    h_redis_int("XTRIM %s MAXLEN 0", key);
    s = stream(t, id[3]);
    CHECK(sc_event(s, &e, 5000) && strcmp(e.event, "reset") == 0);
    sc_close(s);
    free(t);
}

static void
test_heartbeat_default(void)
{
    /* the stack's gateway runs the default sse_ping_ms; hb was opened
     * before the other tests and has had no event since */
    int64_t left = hb_opened + 16000 - h_now_ms();
    CHECK(hb != NULL);
    if (hb == NULL)
        return;
    CHECK(sc_wait(hb, ": ping\n\n", left > 0 ? (int)left : 1));
    sc_close(hb);
    hb = NULL;
}

/* message.html is served by nginx from the project (conf/html/). */
static void
test_page_served(void)
{
    struct sc *s = sc_open(nginx_port, "/message.html", "");
    CHECK(sc_status(s) == 200);
    CHECK(sc_wait_eof(s, 3000));
    const char *b = sc_body(s);
    CHECK(strstr(b, "#ff6633") != NULL);
    CHECK(strstr(b, "/api/message/sse?token=") != NULL);
    CHECK(strstr(b, "sessionStorage.getItem(\"token\")") != NULL);
    CHECK(strstr(b, "login.html") != NULL);
    sc_close(s);
}

/* A second gateway on the stack's own address: nginx's one upstream is
 * served by both, and each serves its clients correctly. */
static void
test_two_gateways_one_address(void)
{
    char addr[64];
    snprintf(addr, sizeof(addr), "HMDP_SSE_ADDR=127.0.0.1:%d", sse_port);
    long g1 = stack_gateway();
    CHECK(g1 > 0);
    pid_t g2 = gw_start("hmdp-sse-test-shared.log", sse_port, addr, NULL);
    int base1 = socket_fds_settled(g1);
    int base2 = socket_fds_settled(g2);
    enum { N = 16 };
    struct sc *s[N];
    int64_t uid[N];
    char *tok[N];
    for (int i = 0; i < N; i++) {
        tok[i] = i % 2 ? h_login_user(&uid[i]) : NULL;
        if (i % 2 == 0) {
            tok[i] = strdup(tok_a);
            uid[i] = uid_a;
        }
        s[i] = stream(tok[i], NULL);
    }
    /* closes of earlier tests' streams may still be on their way */
    int d1 = 0, d2 = 0;
    for (int i = 0; i < 50; i++) {
        d1 = socket_fds(g1) - base1;
        d2 = socket_fds(g2) - base2;
        if (d1 + d2 == N)
            break;
        h_sleep_ms(100);
    }
    printf("  clients: stack gateway %d, second gateway %d\n", d1, d2);
    CHECK(d1 > 0 && d2 > 0 && d1 + d2 == N);
    const char *ids_a = produce(uid_a, "shared");
    char ida[64];
    snprintf(ida, sizeof(ida), "%s", ids_a);
    char idx[N][64];
    for (int i = 1; i < N; i += 2)
        snprintf(idx[i], 64, "%s", produce(uid[i], "mine"));
    for (int i = 0; i < N; i++) {
        struct ev e;
        CHECK(sc_event(s[i], &e, 5000) &&
              strcmp(e.id, i % 2 ? idx[i] : ida) == 0);
        CHECK(sc_quiet(s[i], i == 0 ? 300 : 10));
        sc_close(s[i]);
        free(tok[i]);
    }
    CHECK(gw_stop(g2) == 0);
}

/* A client that stops reading is dropped at sse_buffer_limit, and the
 * gateway's memory does not follow what it was sent. Straight at a
 * private gateway, with a small receive buffer. Also: the ping interval
 * is configurable. */
static void
test_slow_client_dropped(void)
{
    int port = free_port();
    char addr[64];
    snprintf(addr, sizeof(addr), "HMDP_SSE_ADDR=127.0.0.1:%d", port);
    pid_t g =
        gw_start("hmdp-sse-test-slow.log", port, addr,
                 "HMDP_SSE_BUFFER_LIMIT=65536", "HMDP_SSE_PING_MS=300", NULL);
    int64_t uid;
    char *t = h_login_user(&uid);
    char tg[128];
    snprintf(tg, sizeof(tg), "/message/sse?token=%s", t);
    struct sc *fast = sc_open(port, tg, "");
    CHECK(sc_status(fast) == 200);
    CHECK(sc_wait(fast, ": ping\n\n", 1000)); /* 300 ms pings */
    sc_close(fast);

    /* Two rounds of a stuck client and 16 MB of events each: the first
     * shows the drop, the second that memory does not follow the volume
     * (the first round brings the allocator to its working size). */
    long rss[3];
    rss[0] = rss_kb(g);
    char *big = malloc(2001);
    memset(big, 'x', 2000);
    big[2000] = '\0';
    for (int round = 1; round <= 2; round++) {
        struct sc *s = sc_open_rcv(port, tg, "", 4096);
        CHECK(sc_status(s) == 200);
        h_sleep_ms(200);
        int socks = socket_fds(g);
        redisContext *c = h_redis();
        for (int i = 0; i < 8000; i++)
            produce_on(c, uid, big);
        /* the gateway drops it: its socket goes */
        int dropped = 0;
        for (int i = 0; i < 100 && !dropped; i++) {
            h_sleep_ms(100);
            dropped = socket_fds(g) < socks;
        }
        CHECK(dropped);
        rss[round] = rss_kb(g);
        /* what the kernel held arrives, then the close */
        CHECK(sc_wait_eof(s, 10000));
        sc_close(s);
    }
    free(big);
    printf("  gateway RSS %ld kB, %ld kB after a stuck client and 16 MB, "
           "%ld kB after another\n",
           rss[0], rss[1], rss[2]);
    CHECK(rss[1] > 0 && rss[2] > 0 && rss[2] - rss[1] < 4 * 1024);
    char key[64];
    snprintf(key, sizeof(key), "message.stream:%lld", (long long)uid);
    h_redis_int("DEL %s", key);
    CHECK(gw_stop(g) == 0);
    free(t);
}

/* The stack's gateway is SIGKILLed; multiwatch restarts it; a client
 * that resumes with its cursor misses nothing. */
static void
test_kill_restart(void)
{
    int64_t uid;
    char *t = h_login_user(&uid);
    struct sc *s = stream(t, NULL);
    struct ev e;
    char id1[64], id2[64], id3[64];
    snprintf(id1, sizeof(id1), "%s", produce(uid, "before"));
    CHECK(sc_event(s, &e, 5000) && strcmp(e.id, id1) == 0);
    long g = stack_gateway();
    CHECK(g > 0);
    kill((pid_t)g, SIGKILL);
    snprintf(id2, sizeof(id2), "%s", produce(uid, "while down"));
    CHECK(sc_wait_eof(s, 5000));
    sc_close(s);
    /* reconnect as EventSource would, until the new gateway answers */
    s = NULL;
    for (int i = 0; i < 100; i++) {
        s = sc_open(nginx_port, "/api/message/sse", auth_header(t, id1));
        if (s && sc_status(s) == 200)
            break;
        sc_close(s);
        s = NULL;
        h_sleep_ms(100);
    }
    CHECK(s != NULL);
    if (s != NULL) {
        CHECK(stack_gateway() != g);
        CHECK(sc_event(s, &e, 5000) && strcmp(e.id, id2) == 0);
        snprintf(id3, sizeof(id3), "%s", produce(uid, "after"));
        CHECK(sc_event(s, &e, 5000) && strcmp(e.id, id3) == 0);
        CHECK(sc_quiet(s, 300));
        sc_close(s);
    }
    free(t);
}

/* Redis restarts under a gateway: streaming clients keep their
 * connections, new ones get 503 meanwhile, and nothing is lost. A
 * private Redis with an fsync'd AOF, so its data survives the restart. */
static void
test_redis_restart(void)
{
    int rport = free_port(), gport = free_port();
    char dir[1024], cmd[4400];
    snprintf(dir, sizeof(dir), "%s/sse-redis", h_env("HMDP_RUN_DIR"));
    mkdir(dir, 0700);
    snprintf(cmd, sizeof(cmd),
             "redis-server --port %d --bind 127.0.0.1 --dir %s --save '' "
             "--appendonly yes --appendfsync always --daemonize yes "
             "--pidfile %s/redis.pid --logfile %s/redis.log",
             rport, dir, dir, dir);
    CHECK(system(cmd) == 0);
    redisContext *c = NULL;
    for (int i = 0; i < 50 && (c == NULL || c->err); i++) {
        if (c)
            redisFree(c);
        h_sleep_ms(100);
        c = redisConnect("127.0.0.1", rport);
    }
    const char *tok = "00112233445566778899aabbccddeeff";
    redisReply *r =
        redisCommand(c, "HSET login:token:%s id 424242 nickName x", tok);
    freeReplyObject(r);
    char a1[64], a2[64];
    snprintf(a1, sizeof(a1), "HMDP_SSE_ADDR=127.0.0.1:%d", gport);
    snprintf(a2, sizeof(a2), "HMDP_REDIS_PORT=%d", rport);
    pid_t g = gw_start("hmdp-sse-test-redis.log", gport, a1, a2,
                       "HMDP_REDIS_SOCKET=", NULL);
    char tg[128];
    snprintf(tg, sizeof(tg), "/message/sse?token=%s", tok);
    struct sc *s = sc_open(gport, tg, "");
    struct ev e;
    CHECK(sc_status(s) == 200);
    char id1[64], id2[64], id3[64];
    snprintf(id1, sizeof(id1), "%s", produce_on(c, 424242, "r1"));
    CHECK(sc_event(s, &e, 5000) && strcmp(e.id, id1) == 0);
    /* written just before the restart: delivered before or after, once */
    snprintf(id2, sizeof(id2), "%s", produce_on(c, 424242, "r2"));
    r = redisCommand(c, "SHUTDOWN");
    if (r)
        freeReplyObject(r);
    redisFree(c);
    h_sleep_ms(500);
    struct sc *n = sc_open(gport, tg, "");
    CHECK(sc_status(n) == 503);
    sc_close(n);
    CHECK(system(cmd) == 0);
    c = NULL;
    for (int i = 0; i < 50 && (c == NULL || c->err); i++) {
        if (c)
            redisFree(c);
        h_sleep_ms(100);
        c = redisConnect("127.0.0.1", rport);
    }
    snprintf(id3, sizeof(id3), "%s", produce_on(c, 424242, "r3"));
    CHECK(!s->eof);
    CHECK(sc_event(s, &e, 8000) && strcmp(e.id, id2) == 0);
    CHECK(sc_event(s, &e, 5000) && strcmp(e.id, id3) == 0);
    CHECK(sc_quiet(s, 300));
    sc_close(s);
    /* new clients are served again */
    s = sc_open(gport, tg, "");
    CHECK(sc_status(s) == 200);
    /* the doorbell key of the wrong type: the gateway retries once a
     * second (no busy loop) and picks up once it is a stream again */
    freeReplyObject(redisCommand(c, "DEL message.wake"));
    freeReplyObject(redisCommand(c, "SET message.wake oops"));
    h_sleep_ms(6000); /* past the 5 s block */
    freeReplyObject(redisCommand(c, "DEL message.wake"));
    h_sleep_ms(1200);
    char id4[64];
    snprintf(id4, sizeof(id4), "%s", produce_on(c, 424242, "r4"));
    CHECK(sc_event(s, &e, 5000) && strcmp(e.id, id4) == 0);
    sc_close(s);
    char logf[1024], line[512];
    int retries = 0;
    snprintf(logf, sizeof(logf), "%s/logs/hmdp-sse-test-redis.log",
             h_env("HMDP_RUN_DIR"));
    FILE *lf = fopen(logf, "r");
    while (lf && fgets(line, sizeof(line), lf))
        retries += strstr(line, "retrying in 1 s") != NULL;
    if (lf)
        fclose(lf);
    printf("  doorbell retries while it was a string: %d\n", retries);
    CHECK(retries >= 1 && retries <= 4);
    CHECK(gw_stop(g) == 0);
    r = redisCommand(c, "SHUTDOWN NOSAVE");
    if (r)
        freeReplyObject(r);
    redisFree(c);
}

int
main(void)
{
    h_init();
    signal(SIGPIPE, SIG_IGN);
    nginx_port = atoi(h_env("HMDP_NGINX_PORT"));
    sse_port = port_of(h_env("HMDP_SSE_ADDR"));
    tok_a = h_login_user(&uid_a);
    if (tok_a == NULL) {
        printf("0 passed, 1 failed\n");
        return 1;
    }
    /* a second user's stream, idle from here on, for the heartbeat */
    int64_t hb_uid;
    char *hb_tok = h_login_user(&hb_uid);
    hb_opened = h_now_ms();
    hb = stream(hb_tok, NULL);
    free(hb_tok);

    RUN(test_event_shape);
    RUN(test_resume_last_event_id);
    RUN(test_query_params);
    RUN(test_two_connections_one_user);
    RUN(test_mixed_cursors_one_user);
    RUN(test_doorbell_carries_entry);
    RUN(test_auth_401);
    RUN(test_sliding_ttl);
    RUN(test_bad_cursor_400);
    RUN(test_gap_reset);
    RUN(test_heartbeat_default);
    RUN(test_page_served);
    RUN(test_two_gateways_one_address);
    RUN(test_slow_client_dropped);
    RUN(test_redis_restart);
    RUN(test_kill_restart);
    free(tok_a);
    T_DONE();
}
