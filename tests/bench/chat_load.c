/*
 * chat_load.c: a paced (open-loop) load generator for chat messages, for
 * tests/bench/chat_lag.sh.
 *
 *   chat-load NGINX_PORT RATE SECONDS TOKENS_FILE TO OUT_FILE [MYSQL_SOCKET]
 *
 * Request i (POST /api/message/chat/TO, {"content":"lag probe i"}, from the
 * (i mod n)-th token of TOKENS_FILE, one token a line) is due at
 * t0 + i/RATE, whatever happened to the earlier ones: the schedule is
 * open-loop. Requests go over keep-alive HTTP/1.1 connections through
 * nginx, one request in flight per connection; a due request takes an
 * idle connection, or opens a new one (up to CHAT_MAX_CONNS), so a slow
 * answer does not hold the next request back. A request that still has
 * to wait is sent late, and its lateness is reported: the rate counts as
 * offered only if nothing was late by much.
 *
 * OUT_FILE gets one line per request: index, due, sent and answered
 * times (CLOCK_REALTIME, microseconds since the epoch), the HTTP status,
 * 1 when the answer was success:true, and the chat message id it answered
 * ("-" without one).
 *
 * With MYSQL_SOCKET, a second thread watches when each synced row becomes
 * visible in MySQL: every CHAT_POLL_US (5 ms) it reads the new rows of
 * bench_chat_lag (seq AUTO_INCREMENT, id), which chat_lag.sh fills from a
 * trigger on tb_chat_message, so a row shows there when chat-sync's
 * transaction has committed. OUT_FILE.visible gets "id visible_us" lines
 * (the time of the poll that first saw it: later than the COMMIT by at
 * most one poll interval plus the query). It stops once it has seen every
 * accepted message, or CHAT_POLL_GRACE_S after the last answer.
 *
 * Output on stdout: "key value" lines.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <mysql.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHAT_START_CONNS  32
#define CHAT_MAX_CONNS    1024
#define CHAT_DRAIN_S      5       /* answers awaited after the last send */
#define CHAT_POLL_US      5000    /* the visibility poll's interval */
#define CHAT_POLL_GRACE_S 30      /* ... and how long it waits for rows */
#define CHAT_LATE_US      1000    /* a send this late counts as late */
#define CHAT_GAP_US       2000000 /* a seq missing this long is skipped */

struct chat_req {
    int64_t due, sent, answered; /* us; 0: not (yet) */
    int status;
    int ok;
    char id[32];
};

struct chat_conn {
    int fd;   /* -1: closed */
    long req; /* the request in flight, -1: idle */
    size_t n;
    char buf[8192];
};

static struct chat_req *reqs;
static long nreqs;
static struct chat_conn *conns;
static int nconns;
static int chat_ep;
static struct sockaddr_in chat_addr;
static long long conn_errors, conn_opened;

static int64_t
chat_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int
chat_cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void *
chat_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (p == NULL) {
        fprintf(stderr, "chat-load: out of memory\n");
        exit(1);
    }
    return p;
}

/* ---------------- HTTP ---------------- */

static void
chat_conn_close(struct chat_conn *c)
{
    if (c->fd >= 0) {
        epoll_ctl(chat_ep, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
    }
    if (c->req >= 0 && reqs[c->req].answered == 0) {
        reqs[c->req].answered = chat_now_us();
        reqs[c->req].status = 0; /* no answer: the connection failed */
    }
    c->fd = -1;
    c->req = -1;
    c->n = 0;
}

static int
chat_conn_open(struct chat_conn *c)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&chat_addr, sizeof(chat_addr)) < 0) {
        close(fd);
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    if (epoll_ctl(chat_ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
        close(fd);
        return -1;
    }
    c->fd = fd;
    c->req = -1;
    c->n = 0;
    conn_opened++;
    return 0;
}

/* An idle connection (opening one when none is): NULL when none can be
 * had. */
static struct chat_conn *
chat_conn_idle(void)
{
    for (int i = 0; i < nconns; i++)
        if (conns[i].fd >= 0 && conns[i].req < 0)
            return &conns[i];
    for (int i = 0; i < nconns; i++)
        if (conns[i].fd < 0) {
            if (chat_conn_open(&conns[i]) == 0)
                return &conns[i];
            conn_errors++;
            return NULL;
        }
    if (nconns == CHAT_MAX_CONNS)
        return NULL;
    struct chat_conn *c = &conns[nconns];
    c->fd = -1;
    c->req = -1;
    if (chat_conn_open(c) < 0) {
        conn_errors++;
        return NULL;
    }
    nconns++;
    return c;
}

static void
chat_send(struct chat_conn *c, long i, const char *token, long long to)
{
    char body[64], req[512];
    int nb = snprintf(body, sizeof(body), "{\"content\":\"lag probe %ld\"}", i);
    int n = snprintf(req, sizeof(req),
                     "POST /api/message/chat/%lld HTTP/1.1\r\nHost: bench\r\n"
                     "authorization: %s\r\nContent-Type: application/json\r\n"
                     "Content-Length: %d\r\n\r\n%s",
                     to, token, nb, body);
    reqs[i].sent = chat_now_us();
    c->req = i;
    c->n = 0;
    if (write(c->fd, req, (size_t)n) != n) {
        conn_errors++;
        chat_conn_close(c); /* the request counts as failed */
    }
}

/* The value of the JSON string field "data" in body, into out. */
static void
chat_data_id(const char *body, char *out, size_t size)
{
    const char *p = strstr(body, "\"data\":\"");
    out[0] = '\0';
    if (p == NULL)
        return;
    p += 8;
    size_t k = 0;
    while (*p && *p != '"' && k + 1 < size)
        out[k++] = *p++;
    out[k] = '\0';
}

/* Reads c's answer; a complete one settles its request. */
static void
chat_read(struct chat_conn *c)
{
    int eof = 0; /* nginx closed: what it sent before still counts */
    for (;;) {
        ssize_t r = read(c->fd, c->buf + c->n, sizeof(c->buf) - 1 - c->n);
        if ((r < 0 && errno != EAGAIN) ||
            (r > 0 && c->n + (size_t)r >= sizeof(c->buf) - 1)) {
            chat_conn_close(c);
            return;
        }
        if (r == 0)
            eof = 1;
        if (r <= 0)
            break;
        c->n += (size_t)r;
    }
    c->buf[c->n] = '\0';
    char *end = strstr(c->buf, "\r\n\r\n");
    if (end == NULL || c->req < 0) {
        if (eof)
            chat_conn_close(c);
        return;
    }
    *end = '\0'; /* the headers, lower-cased for the searches */
    for (char *p = c->buf; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    const char *body = end + 4;
    size_t have = c->n - (size_t)(body - c->buf);
    const char *cl = strstr(c->buf, "\ncontent-length:");
    int complete;
    if (cl)
        complete = have >= (size_t)strtoll(cl + 16, NULL, 10);
    else /* chunked: the last chunk */
        complete = have >= 5 && memcmp(c->buf + c->n - 5, "0\r\n\r\n", 5) == 0;
    if (!complete) {
        *end = '\r'; /* look again with more bytes */
        if (eof)
            chat_conn_close(c);
        return;
    }
    struct chat_req *q = &reqs[c->req];
    q->answered = chat_now_us();
    q->status = strncmp(c->buf, "http/1.1 ", 9) == 0 ? atoi(c->buf + 9) : -1;
    q->ok = q->status == 200 && strstr(body, "\"success\":true") != NULL;
    if (q->ok)
        chat_data_id(body, q->id, sizeof(q->id));
    int keep = strstr(c->buf, "\nconnection: close") == NULL;
    c->req = -1;
    c->n = 0;
    if (!keep || eof)
        chat_conn_close(c);
}

/* ---------------- visibility in MySQL ---------------- */

struct chat_seen {
    char id[32];
    int64_t at;
};

static const char *poll_socket;
static _Atomic long poll_want = -1; /* accepted messages, once known */
static _Atomic int64_t poll_deadline;
static struct chat_seen *seen;
static long nseen, capseen;
static char poll_err[256];

static void
chat_seen_add(const char *id, int64_t at)
{
    if (nseen == capseen) {
        capseen = capseen ? capseen * 2 : 16384;
        seen = realloc(seen, (size_t)capseen * sizeof(*seen));
        if (seen == NULL) {
            fprintf(stderr, "chat-load: out of memory\n");
            exit(1);
        }
    }
    snprintf(seen[nseen].id, sizeof(seen[nseen].id), "%s", id);
    seen[nseen++].at = at;
}

/* Reads bench_chat_lag after seq `from` (its rows in seq order) until the
 * main thread's deadline or every accepted message was seen. Rows of
 * transactions that commit out of seq order (several chat-sync
 * instances) leave holes behind the cursor: rows past a hole are
 * remembered, and the cursor waits at the hole (CHAT_GAP_US at most). */
static void *
chat_poll(void *arg)
{
    (void)arg;
    MYSQL *m = mysql_init(NULL);
    if (m == NULL ||
        !mysql_real_connect(m, NULL, "root", NULL, "hmdp", 0, poll_socket, 0)) {
        snprintf(poll_err, sizeof(poll_err), "connect: %s",
                 m ? mysql_error(m) : "no memory");
        if (m)
            mysql_close(m);
        return NULL;
    }
    const char *q = "SELECT seq, id FROM bench_chat_lag WHERE seq > ? "
                    "ORDER BY seq LIMIT 20000";
    MYSQL_STMT *st = mysql_stmt_init(m);
    if (st == NULL || mysql_stmt_prepare(st, q, strlen(q)) != 0) {
        snprintf(poll_err, sizeof(poll_err), "prepare: %s", mysql_error(m));
        if (st)
            mysql_stmt_close(st);
        mysql_close(m);
        return NULL;
    }
    long long cursor = 0, arg_seq = 0, seq = 0;
    char id[32];
    unsigned long idlen = 0;
    MYSQL_BIND pb, rb[2];
    memset(&pb, 0, sizeof(pb));
    pb.buffer_type = MYSQL_TYPE_LONGLONG;
    pb.buffer = &arg_seq;
    memset(rb, 0, sizeof(rb));
    rb[0].buffer_type = MYSQL_TYPE_LONGLONG;
    rb[0].buffer = &seq;
    rb[1].buffer_type = MYSQL_TYPE_STRING;
    rb[1].buffer = id;
    rb[1].buffer_length = sizeof(id) - 1;
    rb[1].length = &idlen;
    /* every seq <= cursor was seen (or skipped); ahead: seqs seen past a
     * hole after the cursor */
    long long *ahead = NULL;
    long nahead = 0, capahead = 0;
    int64_t hole_since = 0;
    for (;;) {
        int64_t now = chat_now_us();
        if ((poll_want >= 0 && nseen >= poll_want) ||
            (poll_deadline && now > poll_deadline))
            break;
        arg_seq = cursor;
        if (mysql_stmt_bind_param(st, &pb) != 0 ||
            mysql_stmt_execute(st) != 0 ||
            mysql_stmt_bind_result(st, rb) != 0 ||
            mysql_stmt_store_result(st) != 0) {
            snprintf(poll_err, sizeof(poll_err), "query: %s",
                     mysql_stmt_error(st));
            break;
        }
        int64_t at = chat_now_us();
        while (mysql_stmt_fetch(st) == 0) {
            id[idlen < sizeof(id) ? idlen : sizeof(id) - 1] = '\0';
            int known = 0;
            for (long k = 0; k < nahead && !known; k++)
                known = ahead[k] == seq;
            if (known)
                continue;
            chat_seen_add(id, at);
            if (nahead == capahead) {
                capahead = capahead ? capahead * 2 : 1024;
                ahead = realloc(ahead, (size_t)capahead * sizeof(*ahead));
                if (ahead == NULL)
                    exit(1);
            }
            ahead[nahead++] = seq;
        }
        mysql_stmt_free_result(st);
        /* the cursor moves over what is seen without a hole */
        for (int moved = 1; moved;) {
            moved = 0;
            for (long k = 0; k < nahead; k++)
                if (ahead[k] == cursor + 1) {
                    cursor++;
                    ahead[k] = ahead[--nahead];
                    moved = 1;
                    break;
                }
        }
        if (nahead == 0) {
            hole_since = 0;
        } else if (hole_since == 0) {
            hole_since = at; /* a transaction not yet committed */
        } else if (at - hole_since > CHAT_GAP_US) {
            cursor++; /* a hole that stays (a rolled back row): skip it */
            hole_since = at;
        }
        struct timespec ts = {0, CHAT_POLL_US * 1000L};
        nanosleep(&ts, NULL);
    }
    free(ahead);
    mysql_stmt_close(st);
    mysql_close(m);
    return NULL;
}

/* ---------------- main ---------------- */

int
main(int argc, char **argv)
{
    if (argc < 7) {
        fprintf(stderr,
                "usage: %s NGINX_PORT RATE SECONDS TOKENS_FILE TO "
                "OUT_FILE [MYSQL_SOCKET]\n",
                argv[0]);
        return 2;
    }
    int port = atoi(argv[1]);
    double rate = atof(argv[2]);
    int seconds = atoi(argv[3]);
    long long to = atoll(argv[5]);
    const char *out = argv[6];
    poll_socket = argc > 7 ? argv[7] : NULL;
    if (port <= 0 || rate <= 0 || seconds <= 0 || to <= 0) {
        fprintf(stderr, "chat-load: bad arguments\n");
        return 2;
    }
    FILE *tf = fopen(argv[4], "r");
    if (tf == NULL) {
        perror(argv[4]);
        return 2;
    }
    char(*tok)[80] = NULL;
    long ntok = 0, captok = 0;
    char line[256];
    while (fgets(line, sizeof(line), tf)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '\0')
            continue;
        if (ntok == captok) {
            captok = captok ? captok * 2 : 256;
            tok = realloc(tok, (size_t)captok * sizeof(*tok));
            if (tok == NULL)
                return 1;
        }
        if (strlen(line) >= sizeof(*tok)) {
            fprintf(stderr, "chat-load: token too long: %s\n", line);
            return 2;
        }
        memcpy(tok[ntok++], line, strlen(line) + 1);
    }
    fclose(tf);
    if (ntok == 0) {
        fprintf(stderr, "chat-load: no tokens in %s\n", argv[4]);
        return 2;
    }
    nreqs = (long)(rate * seconds);
    reqs = chat_xcalloc((size_t)nreqs, sizeof(*reqs));
    conns = chat_xcalloc(CHAT_MAX_CONNS, sizeof(*conns));
    chat_addr.sin_family = AF_INET;
    chat_addr.sin_port = htons((uint16_t)port);
    chat_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    chat_ep = epoll_create1(0);
    for (int i = 0; i < CHAT_START_CONNS; i++) {
        conns[i].fd = -1;
        conns[i].req = -1;
        if (chat_conn_open(&conns[i]) < 0)
            conn_errors++;
    }
    nconns = CHAT_START_CONNS;
    pthread_t poller;
    int polling =
        poll_socket && pthread_create(&poller, NULL, chat_poll, NULL) == 0;

    int64_t t0 = chat_now_us() + 100000; /* connections settle first */
    for (long i = 0; i < nreqs; i++)
        reqs[i].due = t0 + (int64_t)((double)i * 1e6 / rate);
    long next = 0, late = 0;
    int64_t late_max = 0, last_answer = 0;
    for (;;) {
        int64_t now = chat_now_us();
        while (next < nreqs && reqs[next].due <= now) {
            struct chat_conn *c = chat_conn_idle();
            if (c == NULL)
                break; /* every connection busy: it goes late */
            chat_send(c, next, tok[next % ntok], to);
            int64_t behind = reqs[next].sent - reqs[next].due;
            if (behind > CHAT_LATE_US)
                late++;
            if (behind > late_max)
                late_max = behind;
            next++;
        }
        int busy = 0;
        for (int i = 0; i < nconns; i++)
            busy |= conns[i].req >= 0;
        if (next == nreqs) {
            if (!busy)
                break;
            if (now > reqs[nreqs - 1].due + CHAT_DRAIN_S * 1000000LL)
                break;
        }
        int wait_ms = 1;
        if (next < nreqs && reqs[next].due > now)
            wait_ms = (int)((reqs[next].due - now + 999) / 1000);
        if (next < nreqs && reqs[next].due <= now)
            wait_ms = 1; /* late: a connection must free up first */
        if (wait_ms > 100)
            wait_ms = 100;
        struct epoll_event evs[256];
        int k = epoll_wait(chat_ep, evs, 256, wait_ms);
        for (int j = 0; j < k; j++)
            chat_read(evs[j].data.ptr);
    }
    for (int i = 0; i < nconns; i++)
        chat_conn_close(&conns[i]); /* what is still out counts as failed */

    long sent = 0, answered = 0, ok = 0, http_err = 0, no_answer = 0;
    int64_t first_sent = 0, last_sent = 0;
    int64_t *rt = chat_xcalloc((size_t)nreqs, sizeof(*rt));
    long nrt = 0;
    FILE *of = fopen(out, "w");
    if (of == NULL) {
        perror(out);
        return 1;
    }
    for (long i = 0; i < nreqs; i++) {
        struct chat_req *q = &reqs[i];
        if (q->sent) {
            sent++;
            if (first_sent == 0)
                first_sent = q->sent;
            last_sent = q->sent;
        }
        if (q->status > 0) {
            answered++;
            rt[nrt++] = q->answered - q->sent;
            if (q->answered > last_answer)
                last_answer = q->answered;
        } else if (q->sent) {
            no_answer++;
        }
        if (q->ok)
            ok++;
        else if (q->status > 0)
            http_err++;
        fprintf(of, "%ld %lld %lld %lld %d %d %s\n", i, (long long)q->due,
                (long long)q->sent, (long long)q->answered, q->status, q->ok,
                q->id[0] ? q->id : "-");
    }
    fclose(of);
    if (polling) {
        poll_deadline = chat_now_us() + CHAT_POLL_GRACE_S * 1000000LL;
        poll_want = ok;
        pthread_join(poller, NULL);
        char vis[4096];
        snprintf(vis, sizeof(vis), "%s.visible", out);
        FILE *vf = fopen(vis, "w");
        if (vf == NULL) {
            perror(vis);
            return 1;
        }
        for (long i = 0; i < nseen; i++)
            fprintf(vf, "%s %lld\n", seen[i].id, (long long)seen[i].at);
        fclose(vf);
    }
    qsort(rt, (size_t)nrt, sizeof(*rt), chat_cmp_i64);
    double span = last_sent > first_sent ? (last_sent - first_sent) / 1e6 : 0;
    double aspan =
        last_answer > first_sent ? (last_answer - first_sent) / 1e6 : 0;
    printf("offered_rate %.0f\nseconds %d\nscheduled %ld\nsent %ld\n"
           "achieved_rate %.1f\nanswered_rate %.1f\nlate_sends %ld\n"
           "late_max_ms %.2f\n"
           "answered %ld\naccepted %ld\nrefused_or_error %ld\n"
           "no_answer %ld\nconnections %d\nconnections_opened %lld\n"
           "connect_errors %lld\n",
           rate, seconds, nreqs, sent, span > 0 ? (sent - 1) / span : 0.0,
           aspan > 0 ? answered / aspan : 0.0, late, late_max / 1e3, answered,
           ok, http_err, no_answer, nconns, conn_opened, conn_errors);
    if (nrt)
        printf("answer_p50_ms %.2f\nanswer_p99_ms %.2f\nanswer_max_ms %.2f\n",
               rt[nrt / 2] / 1e3, rt[nrt * 99 / 100] / 1e3, rt[nrt - 1] / 1e3);
    if (polling)
        printf("visible_seen %ld\n%s%s%s", nseen,
               poll_err[0] ? "poll_error " : "", poll_err,
               poll_err[0] ? "\n" : "");
    free(rt);
    free(reqs);
    free(conns);
    free(tok);
    free(seen);
    close(chat_ep);
    return 0;
}
