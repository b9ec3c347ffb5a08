/*
 * metrics.c: the shared counter file (see metrics.h) and its Prometheus
 * rendering.
 *
 * File layout: a header page (magic, a hash of the slot layout, a hash of
 * the route patterns, the patterns themselves), then MET_SLOTS slots.
 * Opening takes flock(LOCK_EX) on the whole file, so two processes never
 * lay it out at once; a slot is owned through an fcntl write lock on its
 * first byte (fcntl and flock locks are independent on Linux), which dies
 * with the process, so a crashed worker's slot is free for the next one
 * and no pid is ever trusted. Readers take no lock at all: a counter is
 * one aligned 64-bit word, written by its one owner.
 */
#include "metrics.h"

#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MET_SLOTS   288 /* stack.sh allows 256 workers, plus the daemons */
#define MET_HDR     8192
#define MET_PAT_LEN 64

struct metrics_hdr {
    char magic[8];
    uint64_t layout;   /* slot size and bucket counts */
    uint64_t patterns; /* hash of the pattern list, 0 = none written yet */
    uint32_t npatterns;
    uint32_t pad;
    char pattern[MET_PATTERNS][MET_PAT_LEN];
};

_Static_assert(sizeof(struct metrics_hdr) <= MET_HDR, "metrics header");
_Static_assert(sizeof(struct metrics_slot) % 8 == 0, "metrics slot");

static struct metrics_slot met_private;
struct metrics_slot *g_met = &met_private;
unsigned g_met_rds_rt, g_met_sql_rt;

static struct metrics_hdr *met_hdr;
static struct metrics_slot *met_slots;
static int met_fd = -1;

/* route row -> pattern index, per table */
#define MET_TABLES 32
static struct {
    const struct route *base;
    size_t n;
    uint8_t idx[MET_PATTERNS * 2];
} met_map[MET_TABLES];
static int met_ntables;

static const int64_t met_lat_le_us[MET_LAT_BUCKETS - 1] = {
    500,   1000,   2500,   5000,   10000,  25000,
    50000, 100000, 250000, 500000, 1000000};
static const unsigned met_rt_le[MET_RT_BUCKETS - 1] = {0, 1, 2, 3, 4, 6, 10};
static const size_t met_batch_le[MET_BATCH_BUCKETS - 1] = {1,  2,  5,  10,
                                                           20, 50, 100};

int
metrics_lat_bucket(int64_t us)
{
    int i = 0;
    while (i < MET_LAT_BUCKETS - 1 && us > met_lat_le_us[i])
        i++;
    return i;
}

int
metrics_rt_bucket(unsigned n)
{
    int i = 0;
    while (i < MET_RT_BUCKETS - 1 && n > met_rt_le[i])
        i++;
    return i;
}

int
metrics_batch_bucket(size_t n)
{
    int i = 0;
    while (i < MET_BATCH_BUCKETS - 1 && n > met_batch_le[i])
        i++;
    return i;
}

static uint64_t
met_fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static uint64_t
met_layout(void)
{
    uint64_t v[] = {sizeof(struct metrics_slot),
                    MET_SLOTS,
                    MET_NCTR,
                    MET_PATTERNS,
                    MET_LAT_BUCKETS,
                    MET_RT_BUCKETS,
                    MET_BATCH_BUCKETS};
    return met_fnv(14695981039346656037ULL, v, sizeof(v));
}

/* The worker's patterns, deduplicated, in table order (index 0 is "no
 * route"); fills met_map. Returns how many, or -1 when they do not fit. */
static int
met_patterns(const struct route *const *routes, char (*out)[MET_PAT_LEN],
             uint64_t *hash)
{
    int n = 1;
    strcpy(out[0], "(none)");
    met_ntables = 0;
    for (int t = 0; routes && routes[t]; t++) {
        if (met_ntables == MET_TABLES)
            return -1;
        size_t rows = 0;
        while (routes[t][rows].pattern)
            rows++;
        if (rows > sizeof(met_map[0].idx))
            return -1;
        met_map[met_ntables].base = routes[t];
        met_map[met_ntables].n = rows;
        for (size_t j = 0; j < rows; j++) {
            const char *p = routes[t][j].pattern;
            int k = 1;
            while (k < n && strcmp(out[k], p) != 0)
                k++;
            if (k == n) {
                if (n == MET_PATTERNS || strlen(p) >= MET_PAT_LEN)
                    return -1;
                strcpy(out[n++], p);
            }
            met_map[met_ntables].idx[j] = (uint8_t)k;
        }
        met_ntables++;
    }
    uint64_t h = 14695981039346656037ULL;
    for (int k = 0; k < n; k++)
        h = met_fnv(h, out[k], strlen(out[k]) + 1);
    *hash = h;
    return n;
}

static off_t
met_slot_off(int i)
{
    return (off_t)MET_HDR + (off_t)i * (off_t)sizeof(struct metrics_slot);
}

/* 1 when slot i's owner is alive (its lock is held), 0 otherwise. */
static int
met_slot_locked(int i)
{
    struct flock fl = {.l_type = F_WRLCK,
                       .l_whence = SEEK_SET,
                       .l_start = met_slot_off(i),
                       .l_len = 1};
    if (fcntl(met_fd, F_GETLK, &fl) < 0)
        return 0;
    return fl.l_type != F_UNLCK;
}

static int
met_slot_take(int i)
{
    struct flock fl = {.l_type = F_WRLCK,
                       .l_whence = SEEK_SET,
                       .l_start = met_slot_off(i),
                       .l_len = 1};
    return fcntl(met_fd, F_SETLK, &fl) == 0;
}

int
metrics_open(const char *path, enum metrics_kind kind, const char *name,
             const struct route *const *routes)
{
    static char pats[MET_PATTERNS][MET_PAT_LEN];
    uint64_t phash = 0;
    int npat = 0;
    if (routes && (npat = met_patterns(routes, pats, &phash)) < 0) {
        log_error("metrics: more than %d route patterns; metrics off",
                  MET_PATTERNS - 1);
        return -1;
    }
    size_t size = MET_HDR + MET_SLOTS * sizeof(struct metrics_slot);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        log_error("metrics: cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    met_fd = fd;
    if (flock(fd, LOCK_EX) < 0)
        goto fail;
    struct stat st;
    if (fstat(fd, &st) < 0)
        goto fail;
    struct metrics_hdr h;
    memset(&h, 0, sizeof(h));
    if (st.st_size == (off_t)size && pread(fd, &h, sizeof(h), 0) < 0)
        goto fail;
    int fresh = st.st_size != (off_t)size ||
                memcmp(h.magic, "hmdpmet1", 8) != 0 ||
                h.layout != met_layout() ||
                (routes && h.patterns && h.patterns != phash);
    if (fresh) {
        /* a new layout or another route list: the old counts mean
         * something else now; start from zero */
        if (ftruncate(fd, 0) < 0 || ftruncate(fd, (off_t)size) < 0)
            goto fail;
        memset(&h, 0, sizeof(h));
        memcpy(h.magic, "hmdpmet1", 8);
        h.layout = met_layout();
    }
    if (routes && h.patterns != phash) {
        h.patterns = phash;
        h.npatterns = (uint32_t)npat;
        memcpy(h.pattern, pats, sizeof(pats));
    }
    if (fresh || routes) {
        if (pwrite(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h))
            goto fail;
    }
    void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED)
        goto fail;
    met_hdr = m;
    met_slots = (struct metrics_slot *)((char *)m + MET_HDR);
    /* a free slot that had our name, else one never used */
    int got = -1;
    for (int pass = 0; pass < 2 && got < 0; pass++)
        for (int i = 0; i < MET_SLOTS && got < 0; i++) {
            struct metrics_slot *s = &met_slots[i];
            int fits = pass == 0 ? s->used && s->kind == (int32_t)kind &&
                                       strcmp(s->name, name) == 0
                                 : !s->used;
            if (fits && met_slot_take(i))
                got = i;
        }
    if (got < 0) {
        log_error("metrics: all %d slots of %s are taken", MET_SLOTS, path);
        munmap(m, size);
        met_hdr = NULL;
        met_slots = NULL;
        goto fail;
    }
    struct metrics_slot *s = &met_slots[got];
    s->ctr[MET_SSE_OPEN] = 0; /* a gauge of the process that had it */
    s->kind = (int32_t)kind;
    s->pid = (int32_t)getpid();
    snprintf(s->name, sizeof(s->name), "%s", name);
    s->used = 1;
    g_met = s;
    flock(fd, LOCK_UN);
    return 0;

fail:
    if (errno)
        log_error("metrics: %s: %s", path, strerror(errno));
    close(fd);
    met_fd = -1;
    return -1;
}

static int
met_method_idx(int method)
{
    switch (method) {
    case HTTP_GET:
        return 0;
    case HTTP_POST:
        return 1;
    case HTTP_PUT:
        return 2;
    case HTTP_DELETE:
        return 3;
    default:
        return 4;
    }
}

void
metrics_request(const struct route *r, int method, int status,
                int64_t latency_us)
{
    int p = 0;
    if (r) {
        for (int t = 0; t < met_ntables; t++)
            if (r >= met_map[t].base && r < met_map[t].base + met_map[t].n) {
                p = met_map[t].idx[r - met_map[t].base];
                break;
            }
    }
    struct metrics_http *h = &g_met->http[p][met_method_idx(method)];
    int cls = status / 100 - 1;
    h->status[cls >= 0 && cls < 5 ? cls : 4]++;
    h->lat[metrics_lat_bucket(latency_us)]++;
    h->lat_sum_us += (uint64_t)(latency_us > 0 ? latency_us : 0);
    g_met->rds_rt[metrics_rt_bucket(g_met_rds_rt)]++;
    g_met->sql_rt[metrics_rt_bucket(g_met_sql_rt)]++;
    g_met->ctr[MET_RDS_RT_SUM] += g_met_rds_rt;
    g_met->ctr[MET_SQL_RT_SUM] += g_met_sql_rt;
    g_met_rds_rt = g_met_sql_rt = 0;
}

void
metrics_batch(size_t n, int failed)
{
    g_met->ctr[MET_CONS_BATCHES]++;
    g_met->ctr[MET_CONS_BATCH_SUM] += n;
    g_met->batch[metrics_batch_bucket(n)]++;
    if (failed)
        g_met->ctr[MET_CONS_ERRORS]++;
    else
        g_met->ctr[MET_CONS_ENTRIES] += n;
}

/* ---- rendering ---- */

static const char *const met_methods[MET_METHODS] = {"GET", "POST", "PUT",
                                                     "DELETE", "OTHER"};

/* The slots to add up: the shared ones ever used, or the private one. */
static int
met_each(int i, const struct metrics_slot **out)
{
    if (met_slots == NULL) {
        *out = i == 0 ? &met_private : NULL;
        return i == 0;
    }
    if (i >= MET_SLOTS)
        return 0;
    *out = met_slots[i].used ? &met_slots[i] : NULL;
    return 1;
}

static void
met_sum_ctr(uint64_t *out)
{
    const struct metrics_slot *s;
    memset(out, 0, sizeof(uint64_t) * MET_NCTR);
    for (int i = 0; met_each(i, &s); i++)
        for (int c = 0; s && c < MET_NCTR; c++)
            out[c] += s->ctr[c];
}

static void
met_hist(FILE *f, const char *name, const char *labels, const uint64_t *b,
         int nb, const char *const *le, uint64_t sum_num, double sum_div)
{
    uint64_t cum = 0;
    for (int i = 0; i < nb; i++) {
        cum += b[i];
        fprintf(f, "%s_bucket{%s%sle=\"%s\"} %llu\n", name, labels,
                *labels ? "," : "", i < nb - 1 ? le[i] : "+Inf",
                (unsigned long long)cum);
    }
    fprintf(f, "%s_sum%s%s%s %.6f\n", name, *labels ? "{" : "", labels,
            *labels ? "}" : "", (double)sum_num / sum_div);
    fprintf(f, "%s_count%s%s%s %llu\n", name, *labels ? "{" : "", labels,
            *labels ? "}" : "", (unsigned long long)cum);
}

static void
met_render_http(FILE *f)
{
    static const char *const lat_le[] = {"0.0005", "0.001", "0.0025", "0.005",
                                         "0.01",   "0.025", "0.05",   "0.1",
                                         "0.25",   "0.5",   "1"};
    const struct metrics_slot *s;
    int npat = met_hdr ? (int)met_hdr->npatterns : 1;
    fprintf(f, "# HELP hmdp_http_requests_total Requests answered by the "
               "worker pool, by route pattern, method and status class.\n"
               "# TYPE hmdp_http_requests_total counter\n");
    for (int p = 0; p < npat; p++)
        for (int m = 0; m < MET_METHODS; m++)
            for (int c = 0; c < 5; c++) {
                uint64_t n = 0;
                for (int i = 0; met_each(i, &s); i++)
                    if (s)
                        n += s->http[p][m].status[c];
                if (n)
                    fprintf(f,
                            "hmdp_http_requests_total{route=\"%s\",method="
                            "\"%s\",code=\"%dxx\"} %llu\n",
                            met_hdr ? met_hdr->pattern[p] : "(none)",
                            met_methods[m], c + 1, (unsigned long long)n);
            }
    fprintf(f, "# HELP hmdp_http_request_duration_seconds Time from the "
               "request's arrival in the worker to its reply, by route "
               "pattern and method.\n"
               "# TYPE hmdp_http_request_duration_seconds histogram\n");
    for (int p = 0; p < npat; p++)
        for (int m = 0; m < MET_METHODS; m++) {
            struct metrics_http sum;
            memset(&sum, 0, sizeof(sum));
            for (int i = 0; met_each(i, &s); i++) {
                if (!s)
                    continue;
                for (int b = 0; b < MET_LAT_BUCKETS; b++)
                    sum.lat[b] += s->http[p][m].lat[b];
                sum.lat_sum_us += s->http[p][m].lat_sum_us;
            }
            uint64_t n = 0;
            for (int b = 0; b < MET_LAT_BUCKETS; b++)
                n += sum.lat[b];
            if (n == 0)
                continue;
            char labels[160];
            snprintf(labels, sizeof(labels), "route=\"%s\",method=\"%s\"",
                     met_hdr ? met_hdr->pattern[p] : "(none)", met_methods[m]);
            met_hist(f, "hmdp_http_request_duration_seconds", labels, sum.lat,
                     MET_LAT_BUCKETS, lat_le, sum.lat_sum_us, 1e6);
        }
}

static void
met_render_stores(FILE *f, const uint64_t *c)
{
    static const char *const rt_le[] = {"0", "1", "2", "3", "4", "6", "10"};
    const struct metrics_slot *s;
    fprintf(f,
            "# HELP hmdp_store_errors_total Store failures seen by any "
            "process (connect, I/O, error replies).\n"
            "# TYPE hmdp_store_errors_total counter\n"
            "hmdp_store_errors_total{store=\"redis\"} %llu\n"
            "hmdp_store_errors_total{store=\"mysql\"} %llu\n"
            "# HELP hmdp_store_reconnects_total Store connections opened "
            "again after a process's first one.\n"
            "# TYPE hmdp_store_reconnects_total counter\n"
            "hmdp_store_reconnects_total{store=\"redis\"} %llu\n"
            "hmdp_store_reconnects_total{store=\"mysql\"} %llu\n",
            (unsigned long long)c[MET_RDS_ERRORS],
            (unsigned long long)c[MET_SQL_ERRORS],
            (unsigned long long)c[MET_RDS_RECONNECTS],
            (unsigned long long)c[MET_SQL_RECONNECTS]);
    fprintf(f, "# HELP hmdp_store_round_trips_per_request Round trips to a "
               "store per HTTP request.\n"
               "# TYPE hmdp_store_round_trips_per_request histogram\n");
    uint64_t rb[MET_RT_BUCKETS] = {0}, sb[MET_RT_BUCKETS] = {0};
    for (int i = 0; met_each(i, &s); i++)
        for (int b = 0; s && b < MET_RT_BUCKETS; b++) {
            rb[b] += s->rds_rt[b];
            sb[b] += s->sql_rt[b];
        }
    met_hist(f, "hmdp_store_round_trips_per_request", "store=\"redis\"", rb,
             MET_RT_BUCKETS, rt_le, c[MET_RDS_RT_SUM], 1);
    met_hist(f, "hmdp_store_round_trips_per_request", "store=\"mysql\"", sb,
             MET_RT_BUCKETS, rt_le, c[MET_SQL_RT_SUM], 1);
}

static void
met_render_seckill(FILE *f, const uint64_t *c)
{
    fprintf(f,
            "# HELP hmdp_seckill_attempts_total Flash-sale attempts that "
            "reached the script.\n"
            "# TYPE hmdp_seckill_attempts_total counter\n"
            "hmdp_seckill_attempts_total %llu\n"
            "# HELP hmdp_seckill_orders_total Flash-sale orders accepted.\n"
            "# TYPE hmdp_seckill_orders_total counter\n"
            "hmdp_seckill_orders_total %llu\n"
            "# HELP hmdp_seckill_refusals_total Flash-sale attempts refused, "
            "by reason.\n"
            "# TYPE hmdp_seckill_refusals_total counter\n"
            "hmdp_seckill_refusals_total{reason=\"sold_out\"} %llu\n"
            "hmdp_seckill_refusals_total{reason=\"duplicate\"} %llu\n"
            "hmdp_seckill_refusals_total{reason=\"unknown_voucher\"} %llu\n"
            "hmdp_seckill_refusals_total{reason=\"not_started\"} %llu\n"
            "hmdp_seckill_refusals_total{reason=\"ended\"} %llu\n",
            (unsigned long long)c[MET_SECKILL_ATTEMPTS],
            (unsigned long long)c[MET_SECKILL_ORDERS],
            (unsigned long long)c[MET_SECKILL_SOLD_OUT],
            (unsigned long long)c[MET_SECKILL_DUPLICATE],
            (unsigned long long)c[MET_SECKILL_UNKNOWN],
            (unsigned long long)c[MET_SECKILL_NOT_STARTED],
            (unsigned long long)c[MET_SECKILL_ENDED]);
}

/* Consumer series and the process gauge, by slot name. */
static void
met_render_procs(FILE *f)
{
    static const char *const batch_le[] = {"1",  "2",  "5",  "10",
                                           "20", "50", "100"};
    const struct metrics_slot *s, *t;
    fprintf(f, "# HELP hmdp_processes Live processes by kind and name (a "
               "slot whose owner holds its lock).\n"
               "# TYPE hmdp_processes gauge\n");
    for (int i = 0; met_each(i, &s); i++) {
        if (!s)
            continue;
        int seen = 0, live = 0;
        for (int j = 0; j < i && met_each(j, &t); j++)
            if (t && t->kind == s->kind && strcmp(t->name, s->name) == 0)
                seen = 1;
        if (seen)
            continue;
        for (int j = i; met_each(j, &t); j++)
            if (t && t->kind == s->kind && strcmp(t->name, s->name) == 0)
                live += t == g_met || (met_fd >= 0 && met_slot_locked(j));
        fprintf(f, "hmdp_processes{kind=\"%s\",name=\"%s\"} %d\n",
                s->kind == MET_KIND_WORKER     ? "worker"
                : s->kind == MET_KIND_CONSUMER ? "consumer"
                : s->kind == MET_KIND_SSE      ? "sse"
                                               : "other",
                s->name, live);
    }
    /* the consumer names, each once; then each family as one group, as
     * the text format requires */
    const struct metrics_slot *names[MET_SLOTS];
    int nn = 0;
    for (int i = 0; met_each(i, &s); i++) {
        if (!s || s->kind != MET_KIND_CONSUMER)
            continue;
        int seen = 0;
        for (int k = 0; k < nn; k++)
            seen |= strcmp(names[k]->name, s->name) == 0;
        if (!seen && nn < MET_SLOTS)
            names[nn++] = s;
    }
    struct met_cons_sum {
        uint64_t entries, errors, n, retried, dead, claimed,
            b[MET_BATCH_BUCKETS];
    } sum[MET_SLOTS];
    memset(sum, 0, sizeof(sum));
    for (int i = 0; met_each(i, &t); i++)
        for (int k = 0; t && t->kind == MET_KIND_CONSUMER && k < nn; k++)
            if (strcmp(names[k]->name, t->name) == 0) {
                sum[k].entries += t->ctr[MET_CONS_ENTRIES];
                sum[k].errors += t->ctr[MET_CONS_ERRORS];
                sum[k].n += t->ctr[MET_CONS_BATCH_SUM];
                sum[k].retried += t->ctr[MET_CONS_RETRIED];
                sum[k].dead += t->ctr[MET_CONS_DEAD];
                sum[k].claimed += t->ctr[MET_CONS_CLAIMED];
                for (int b = 0; b < MET_BATCH_BUCKETS; b++)
                    sum[k].b[b] += t->batch[b];
            }
    fprintf(f, "# HELP hmdp_consumer_entries_total Stream entries a consumer "
               "process handled (committed).\n"
               "# TYPE hmdp_consumer_entries_total counter\n");
    for (int k = 0; k < nn; k++)
        fprintf(f, "hmdp_consumer_entries_total{consumer=\"%s\"} %llu\n",
                names[k]->name, (unsigned long long)sum[k].entries);
    fprintf(f, "# HELP hmdp_consumer_errors_total Consumer batches that "
               "failed and were left pending for a retry.\n"
               "# TYPE hmdp_consumer_errors_total counter\n");
    for (int k = 0; k < nn; k++)
        fprintf(f, "hmdp_consumer_errors_total{consumer=\"%s\"} %llu\n",
                names[k]->name, (unsigned long long)sum[k].errors);
    static const struct {
        const char *name, *help;
        size_t off;
    } fam[] = {
        {"hmdp_consumer_redeliveries_total",
         "Entries a consumer handed back for another delivery (retry).",
         offsetof(struct met_cons_sum, retried)},
        {"hmdp_consumer_dead_lettered_total",
         "Entries a consumer moved to the dead-letter stream.",
         offsetof(struct met_cons_sum, dead)},
        {"hmdp_consumer_claims_total",
         "Entries a consumer took over from a dead or stuck one.",
         offsetof(struct met_cons_sum, claimed)},
    };
    for (size_t x = 0; x < sizeof(fam) / sizeof(fam[0]); x++) {
        fprintf(f, "# HELP %s %s\n# TYPE %s counter\n", fam[x].name,
                fam[x].help, fam[x].name);
        for (int k = 0; k < nn; k++)
            fprintf(f, "%s{consumer=\"%s\"} %llu\n", fam[x].name,
                    names[k]->name,
                    (unsigned long long)*(
                        const uint64_t *)((const char *)&sum[k] + fam[x].off));
    }
    fprintf(f, "# HELP hmdp_consumer_batch_size Entries per batch read.\n"
               "# TYPE hmdp_consumer_batch_size histogram\n");
    for (int k = 0; k < nn; k++) {
        char labels[80];
        snprintf(labels, sizeof(labels), "consumer=\"%s\"", names[k]->name);
        met_hist(f, "hmdp_consumer_batch_size", labels, sum[k].b,
                 MET_BATCH_BUCKETS, batch_le, sum[k].n, 1);
    }
}

static void
met_render_sse(FILE *f, const uint64_t *c)
{
    /* a gauge: only the slots of live processes count (a dead gateway's
     * streams are closed, whatever its slot last said) */
    int64_t open = 0;
    const struct metrics_slot *s;
    for (int i = 0; met_each(i, &s); i++)
        if (s && (s == g_met || (met_fd >= 0 && met_slot_locked(i))))
            open += (int64_t)s->ctr[MET_SSE_OPEN];
    fprintf(f,
            "# HELP hmdp_sse_open_streams SSE streams open now.\n"
            "# TYPE hmdp_sse_open_streams gauge\n"
            "hmdp_sse_open_streams %lld\n"
            "# HELP hmdp_sse_streams_total SSE streams opened.\n"
            "# TYPE hmdp_sse_streams_total counter\n"
            "hmdp_sse_streams_total %llu\n"
            "# HELP hmdp_sse_events_total Events written to SSE clients.\n"
            "# TYPE hmdp_sse_events_total counter\n"
            "hmdp_sse_events_total %llu\n"
            "# HELP hmdp_sse_slow_drops_total SSE clients dropped for "
            "falling behind (sse_buffer_limit).\n"
            "# TYPE hmdp_sse_slow_drops_total counter\n"
            "hmdp_sse_slow_drops_total %llu\n"
            "# HELP hmdp_sse_resumes_total SSE streams opened with a cursor "
            "(Last-Event-ID or lastId).\n"
            "# TYPE hmdp_sse_resumes_total counter\n"
            "hmdp_sse_resumes_total %llu\n",
            (long long)open, (unsigned long long)c[MET_SSE_OPENED],
            (unsigned long long)c[MET_SSE_EVENTS],
            (unsigned long long)c[MET_SSE_DROPS],
            (unsigned long long)c[MET_SSE_RESUMES]);
}

char *
metrics_render(struct arena *a, const char *extra, size_t *len)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    if (f == NULL)
        abort();
    uint64_t c[MET_NCTR];
    met_sum_ctr(c);
    met_render_http(f);
    met_render_stores(f, c);
    met_render_seckill(f, c);
    met_render_procs(f);
    met_render_sse(f, c);
    if (extra)
        fputs(extra, f);
    if (fclose(f) != 0 || buf == NULL)
        abort();
    char *out = arena_alloc(a, n + 1);
    memcpy(out, buf, n + 1);
    free(buf);
    *len = n;
    return out;
}
