/*
 * demo_data.c: the deterministic demo-data generator behind
 * `make demo-data SCALE=n` (issue 12, part 4). It writes, into the stack
 * its environment names (HMDP_* of an env file, as conf/stack.sh writes
 * them), what the app itself would have stored had those users signed
 * up, followed, published and liked through the API:
 *
 *   MySQL  tb_user, tb_user_info (fans/followee = the follow rows),
 *          tb_shop, tb_follow, tb_blog (liked = the likers, comments 0);
 *   Redis  follows:{id} (with its sentinel), feed:{id} inboxes for the
 *          authors at or under feed_push_threshold (score = create_time in
 *          ms, newest feed_cap kept), feed:big-authors for the others,
 *          blog:liked:{id} (score = like time in ms), shop:geo:{type};
 *          and it drops what a cache may hold about those ids
 *          (cache:shop:maxid, cache:blog:hot, cache:blog:{id}).
 *
 * SCALE = 1: 200,000 users (ids DEMO_USER_BASE + 1 ...; phones 166...),
 * 1,000 shops around Hangzhou's centre, 1,000,000 follows (three authors
 * with 150k/120k/100k fans, the rest Zipf-distributed), 100,000 blogs,
 * 1,000,000 likes (one blog with 100,000), and the special users the
 * benchmarks need (one following 1,000 authors including the pulled big
 * ones, two with 10,000 follows each, half of them shared). Counts scale
 * linearly; the big authors keep more than feed_push_threshold fans at
 * any scale (users are added for that), so the pull path always exists.
 *
 * Everything comes from one fixed-seed generator and fixed timestamps
 * (follows on 2025-01-01, blogs over the 30 days after, likes after
 * their blog), so the same SCALE and threshold give the same rows.
 * Only the two session tokens written for the benchmarks are random.
 *
 * Rows go in as multi-row prepared INSERTs (thousands of rows per
 * execution), Redis writes as pipelines of a thousand commands. The
 * generator refuses to run when a row in its id ranges exists: demo data
 * loads once, into a database without it.
 *
 * Usage: demo-data SCALE [OUT_ENV_FILE]   (exit 0 when loaded)
 */
#include "../../app/core/arena.h"
#include "../../app/core/cfg.h"
#include "../../app/core/ctx.h"
#include "../../app/store/keys.h"
#include "../../app/store/rds.h"
#include "../../app/store/sql.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEMO_USER_BASE 10000000LL /* user ids DEMO_USER_BASE + 1 ... */
#define DEMO_BLOG_BASE 10000000LL
#define DEMO_SHOP_BASE 100000LL
#define DEMO_SEED      0x686d64702d63ULL /* "hmdp-c" */
#define DEMO_T0        1735689600LL      /* 2025-01-01 00:00:00 UTC */
#define DEMO_DAY       86400LL
#define DEMO_NBIG      3
#define DEMO_CITY_X    120.155 /* Hangzhou, West Lake's east shore */
#define DEMO_CITY_Y    30.274
#define DEMO_PIPE      1000  /* Redis commands per round trip */
#define DEMO_ROWS_TX   50000 /* rows per MySQL transaction */

/* ---------------- deterministic randomness ---------------- */

static uint64_t demo_rng_state = DEMO_SEED;

/* splitmix64: small, fast and good enough for synthetic data */
static uint64_t
demo_rand(void)
{
    uint64_t z = (demo_rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* uniform in [0, n) */
static uint32_t
demo_below(uint64_t n)
{
    return (uint32_t)(demo_rand() % n);
}

static double
demo_unit(void)
{
    return (double)(demo_rand() >> 11) / 9007199254740992.0;
}

/* A Zipf-like law over ranks 0..n-1 (weight 1/(rank+1)^s) sampled by a
 * binary search of its cumulative weights. */
struct demo_zipf {
    double *cdf;
    uint32_t n;
};

static void
demo_zipf_init(struct demo_zipf *z, uint32_t n, double s)
{
    z->n = n;
    z->cdf = malloc(n * sizeof(*z->cdf));
    if (!z->cdf)
        abort();
    double acc = 0;
    for (uint32_t i = 0; i < n; i++)
        z->cdf[i] = acc += 1.0 / pow((double)i + 1.0, s);
}

static uint32_t
demo_zipf_draw(const struct demo_zipf *z)
{
    double u = demo_unit() * z->cdf[z->n - 1];
    uint32_t lo = 0, hi = z->n - 1;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (z->cdf[mid] < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* ---------------- the data set, in memory ---------------- */

struct demo_blog {
    uint32_t author; /* user index */
    uint32_t shop;   /* shop index */
    uint32_t liked;
    int64_t ts; /* create_time, UNIX seconds */
};

struct demo {
    double scale;
    long threshold, cap;
    uint32_t nusers, nshops, nblogs;
    uint64_t want_follows, want_likes;

    uint32_t big[DEMO_NBIG]; /* user indexes of the big authors */
    uint32_t big_fans[DEMO_NBIG];
    uint32_t feed_user, common_a, common_b; /* special users */
    uint32_t feed_follows, common_follows, common_shared;
    uint32_t top_blog, top_likes;

    uint64_t *follows; /* (follower << 32) | author, sorted, unique */
    size_t nfollows;
    uint32_t *fans, *followee; /* per user */
    uint32_t *rank_user;       /* Zipf rank -> user index */

    struct demo_blog *blogs;
    uint32_t *by_author_off, *by_author; /* blog indexes grouped by author */

    uint64_t *likes; /* (blog << 32) | user, sorted, unique */
    size_t nlikes;
};

static int64_t
demo_user_id(uint32_t i)
{
    return DEMO_USER_BASE + 1 + (int64_t)i;
}

static int64_t
demo_blog_id(uint32_t i)
{
    return DEMO_BLOG_BASE + 1 + (int64_t)i;
}

static int64_t
demo_shop_id(uint32_t i)
{
    return DEMO_SHOP_BASE + 1 + (int64_t)i;
}

static int
demo_cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Sorts v[0..n) and drops duplicates; returns the new count. */
static size_t
demo_sort_unique(uint64_t *v, size_t n)
{
    qsort(v, n, sizeof(*v), demo_cmp_u64);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (k == 0 || v[k - 1] != v[i])
            v[k++] = v[i];
    return k;
}

static uint64_t
demo_scaled(double scale, double full, uint64_t floor_)
{
    double v = floor(full * scale + 0.5);
    return v < (double)floor_ ? floor_ : (uint64_t)v;
}

/* ---------------- progress on stderr ---------------- */

static double demo_t_start, demo_t_stage;
static const char *demo_stage;
static int demo_last_pct = -1;

static double
demo_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
demo_progress(uint64_t done, uint64_t total)
{
    int pct = total ? (int)(done * 100 / total) : 100;
    if (pct == demo_last_pct && done != total)
        return;
    demo_last_pct = pct;
    char bar[31];
    int fill = pct * 30 / 100;
    for (int i = 0; i < 30; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[30] = '\0';
    fprintf(stderr, "\r  %-22s [%s] %3d%% %10llu/%-10llu %6.1fs", demo_stage,
            bar, pct, (unsigned long long)done, (unsigned long long)total,
            demo_now() - demo_t_stage);
    if (done == total)
        fputc('\n', stderr);
}

static void
demo_stage_begin(const char *name)
{
    demo_stage = name;
    demo_last_pct = -1;
    demo_t_stage = demo_now();
}

/* ---------------- errors ---------------- */

static struct arena *demo_arena;
static struct ctx demo_cx;

static struct ctx *
demo_cx_new(void)
{
    arena_reset(demo_arena);
    memset(&demo_cx, 0, sizeof(demo_cx));
    demo_cx.arena = demo_arena;
    return &demo_cx;
}

static void
demo_die(struct ctx *cx, const char *what)
{
    fprintf(stderr, "\ndemo-data: %s failed: %s\n", what,
            cx && cx->errmsg ? cx->errmsg : "(no detail)");
    exit(1);
}

static void
demo_check(struct ctx *cx, res_t rc, const char *what)
{
    if (rc != RES_OK)
        demo_die(cx, what);
}

/* ---------------- generation ---------------- */

/* Adds to out (room needed: k) k distinct users other than except,
 * drawn uniformly with a partial Fisher-Yates shuffle of scratch. */
static size_t
demo_pick_users(struct demo *d, uint32_t *scratch, uint32_t k, uint32_t except,
                uint32_t author, uint64_t *out)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < d->nusers; i++)
        if (i != except)
            scratch[n++] = i;
    if (k > n)
        k = n;
    for (uint32_t i = 0; i < k; i++) {
        uint32_t j = i + demo_below(n - i);
        uint32_t t = scratch[i];
        scratch[i] = scratch[j];
        scratch[j] = t;
        out[i] = (author == UINT32_MAX) ? scratch[i]
                                        : ((uint64_t)scratch[i] << 32) | author;
    }
    return k;
}

/* k distinct authors for follower u, Zipf-ranked (popular ones first in
 * probability), none of them u or a big author; appended as edges. */
static size_t
demo_zipf_authors(struct demo *d, const struct demo_zipf *z, uint32_t u,
                  uint32_t k, uint8_t *seen, uint64_t *out)
{
    size_t n = 0;
    while (n < k) {
        uint32_t a = d->rank_user[demo_zipf_draw(z)];
        if (a == u || seen[a])
            continue;
        seen[a] = 1;
        out[n++] = ((uint64_t)u << 32) | a;
    }
    for (size_t i = 0; i < n; i++)
        seen[(uint32_t)out[i]] = 0;
    return n;
}

static int
demo_is_big(const struct demo *d, uint32_t u)
{
    for (int k = 0; k < DEMO_NBIG; k++)
        if (d->big[k] == u)
            return 1;
    return 0;
}

static void
demo_plan(struct demo *d)
{
    double s = d->scale;
    uint64_t t1 = (uint64_t)d->threshold + 1;
    static const double big_full[DEMO_NBIG] = {150000, 120000, 100000};
    for (int k = 0; k < DEMO_NBIG; k++) {
        d->big_fans[k] = (uint32_t)demo_scaled(s, big_full[k], t1 + 2 - k);
        if (d->big_fans[k] < t1)
            d->big_fans[k] = (uint32_t)t1;
    }
    uint64_t nu = demo_scaled(s, 200000, 100);
    if (nu < (uint64_t)d->big_fans[0] + 100)
        nu = (uint64_t)d->big_fans[0] + 100;
    d->nusers = (uint32_t)nu;
    d->nshops = (uint32_t)demo_scaled(s, 1000, 10);
    d->nblogs = (uint32_t)demo_scaled(s, 100000, 50);
    d->feed_follows = (uint32_t)demo_scaled(s, 1000, 20);
    d->common_follows = (uint32_t)demo_scaled(s, 10000, 20);
    d->common_shared = d->common_follows / 2;
    uint64_t fixed = (uint64_t)d->big_fans[0] + d->big_fans[1] +
                     d->big_fans[2] + d->feed_follows + 2 * d->common_follows;
    d->want_follows = demo_scaled(s, 1000000, 0);
    if (d->want_follows < fixed + nu)
        d->want_follows = fixed + nu; /* about one more per user */
    d->top_likes = (uint32_t)demo_scaled(s, 100000, 10);
    if (d->top_likes > d->nusers)
        d->top_likes = d->nusers;
    d->want_likes = demo_scaled(s, 1000000, 0);
    if (d->want_likes < (uint64_t)d->top_likes * 2)
        d->want_likes = (uint64_t)d->top_likes * 2;
    /* the special users: the big authors first, then the three readers */
    for (int k = 0; k < DEMO_NBIG; k++)
        d->big[k] = (uint32_t)k;
    d->feed_user = d->nusers - 1;
    d->common_a = d->nusers - 2;
    d->common_b = d->nusers - 3;
}

static void
demo_gen_follows(struct demo *d)
{
    uint32_t nu = d->nusers;
    /* authors by popularity: a fixed shuffle of the ordinary users */
    d->rank_user = malloc(nu * sizeof(*d->rank_user));
    uint32_t nr = 0;
    for (uint32_t i = 0; i < nu; i++)
        if (!demo_is_big(d, i))
            d->rank_user[nr++] = i;
    for (uint32_t i = nr - 1; i > 0; i--) {
        uint32_t j = demo_below(i + 1), t = d->rank_user[i];
        d->rank_user[i] = d->rank_user[j];
        d->rank_user[j] = t;
    }
    struct demo_zipf z;
    demo_zipf_init(&z, nr, 1.0);

    size_t room = d->want_follows + d->want_follows / 4 + 1024;
    uint64_t *e = malloc(room * sizeof(*e));
    uint32_t *scratch = malloc(nu * sizeof(*scratch));
    uint8_t *seen = calloc(nu, 1);
    if (!e || !scratch || !seen || !d->rank_user)
        abort();
    size_t n = 0;
    for (int k = 0; k < DEMO_NBIG; k++)
        n += demo_pick_users(d, scratch, d->big_fans[k], d->big[k], d->big[k],
                             e + n);
    /* the feed reader: every big author, the rest by popularity */
    for (int k = 0; k < DEMO_NBIG; k++)
        e[n++] = ((uint64_t)d->feed_user << 32) | d->big[k];
    n += demo_zipf_authors(d, &z, d->feed_user, d->feed_follows - DEMO_NBIG,
                           seen, e + n);
    /* the two common-follows users: half their followees shared */
    size_t a0 = n;
    n += demo_zipf_authors(d, &z, d->common_a, d->common_follows, seen, e + n);
    for (uint32_t i = 0; i < d->common_shared; i++) {
        uint32_t a = (uint32_t)e[a0 + i];
        seen[a] = 1;
        e[n++] = ((uint64_t)d->common_b << 32) | a;
    }
    {
        /* the other half for b: fresh authors, not a's */
        for (size_t i = a0; i < a0 + d->common_follows; i++)
            seen[(uint32_t)e[i]] = 1;
        uint32_t want = d->common_follows - d->common_shared, got = 0;
        while (got < want) {
            uint32_t a = d->rank_user[demo_zipf_draw(&z)];
            if (a == d->common_b || seen[a])
                continue;
            seen[a] = 1;
            e[n++] = ((uint64_t)d->common_b << 32) | a;
            got++;
        }
        memset(seen, 0, nu);
    }
    n = demo_sort_unique(e, n);
    /* everybody else follows at random (uniform followers, Zipf
     * authors) until the total is reached; duplicates are dropped and
     * drawn again */
    uint32_t first_special = d->common_b;
    while (n < d->want_follows) {
        size_t need = d->want_follows - n;
        for (size_t i = 0; i < need; i++) {
            uint32_t u, a;
            do {
                u = demo_below(first_special);
                a = d->rank_user[demo_zipf_draw(&z)];
            } while (u == a);
            e[n++] = ((uint64_t)u << 32) | a;
        }
        n = demo_sort_unique(e, n);
    }
    d->follows = e;
    d->nfollows = n;
    d->fans = calloc(nu, sizeof(*d->fans));
    d->followee = calloc(nu, sizeof(*d->followee));
    for (size_t i = 0; i < n; i++) {
        d->followee[e[i] >> 32]++;
        d->fans[(uint32_t)e[i]]++;
    }
    free(scratch);
    free(seen);
    free(z.cdf);
}

static void
demo_gen_blogs(struct demo *d)
{
    uint32_t nb = d->nblogs, nu = d->nusers;
    d->blogs = calloc(nb, sizeof(*d->blogs));
    int64_t span = 30 * DEMO_DAY;
    for (uint32_t i = 0; i < nb; i++) {
        struct demo_blog *b = &d->blogs[i];
        /* ids follow time, as publishing gives them */
        b->ts = DEMO_T0 + DEMO_DAY + (int64_t)i * span / nb;
        do
            b->author = demo_below(nu);
        while (demo_is_big(d, b->author));
        b->shop = demo_below(d->nshops);
    }
    /* each big author writes about one blog in 2000 (at least 5) */
    uint32_t per_big = nb / 2000 < 5 ? 5 : nb / 2000;
    for (int k = 0; k < DEMO_NBIG; k++)
        for (uint32_t j = 0; j < per_big; j++)
            d->blogs[demo_below(nb)].author = d->big[k];
    /* the most liked blog: the big author's newest */
    d->top_blog = UINT32_MAX;
    for (uint32_t i = nb; i-- > 0;)
        if (d->blogs[i].author == d->big[0]) {
            d->top_blog = i;
            break;
        }
    if (d->top_blog == UINT32_MAX) {
        d->top_blog = nb - 1;
        d->blogs[nb - 1].author = d->big[0];
    }
    /* blogs grouped by author (counting sort) */
    d->by_author_off = calloc((size_t)nu + 1, sizeof(uint32_t));
    d->by_author = malloc(nb * sizeof(uint32_t));
    for (uint32_t i = 0; i < nb; i++)
        d->by_author_off[d->blogs[i].author + 1]++;
    for (uint32_t u = 0; u < nu; u++)
        d->by_author_off[u + 1] += d->by_author_off[u];
    uint32_t *fill = malloc(((size_t)nu + 1) * sizeof(uint32_t));
    memcpy(fill, d->by_author_off, ((size_t)nu + 1) * sizeof(uint32_t));
    for (uint32_t i = 0; i < nb; i++)
        d->by_author[fill[d->blogs[i].author]++] = i;
    free(fill);
}

static void
demo_gen_likes(struct demo *d)
{
    uint32_t nb = d->nblogs, nu = d->nusers;
    size_t room = d->want_likes + d->want_likes / 4 + 1024;
    uint64_t *l = malloc(room * sizeof(*l));
    uint32_t *scratch = malloc(nu * sizeof(*scratch));
    uint32_t *rank_blog = malloc(nb * sizeof(*rank_blog));
    if (!l || !scratch || !rank_blog)
        abort();
    size_t n =
        demo_pick_users(d, scratch, d->top_likes, UINT32_MAX, UINT32_MAX, l);
    for (size_t i = 0; i < n; i++)
        l[i] |= (uint64_t)d->top_blog << 32;
    /* popularity of the other blogs: a fixed shuffle, Zipf-weighted */
    uint32_t nr = 0;
    for (uint32_t i = 0; i < nb; i++)
        if (i != d->top_blog)
            rank_blog[nr++] = i;
    for (uint32_t i = nr - 1; i > 0; i--) {
        uint32_t j = demo_below(i + 1), t = rank_blog[i];
        rank_blog[i] = rank_blog[j];
        rank_blog[j] = t;
    }
    struct demo_zipf z;
    demo_zipf_init(&z, nr ? nr : 1, 0.9);
    n = demo_sort_unique(l, n);
    while (n < d->want_likes && nr > 0) {
        size_t need = d->want_likes - n;
        for (size_t i = 0; i < need; i++)
            l[n++] = ((uint64_t)rank_blog[demo_zipf_draw(&z)] << 32) |
                     demo_below(nu);
        n = demo_sort_unique(l, n);
    }
    d->likes = l;
    d->nlikes = n;
    for (size_t i = 0; i < n; i++)
        d->blogs[l[i] >> 32].liked++;
    free(scratch);
    free(rank_blog);
    free(z.cdf);
}

/* The like time of (blog, user): after the blog, within 7 days, ms;
 * a hash of the pair, so it needs no storage and no draw order. */
static int64_t
demo_like_ms(const struct demo *d, uint64_t pair)
{
    uint64_t h = pair * 0x9E3779B97F4A7C15ULL;
    h ^= h >> 29;
    return d->blogs[pair >> 32].ts * 1000 + 1000 +
           (int64_t)(h % (uint64_t)(7 * DEMO_DAY * 1000));
}

/* ---------------- MySQL ---------------- */

/* A multi-row INSERT prepared once per batch size: "head" followed by
 * n copies of "row" (comma-separated). */
struct demo_ins {
    const char *head, *row;
    unsigned per_row; /* placeholders in row */
    unsigned rows;    /* rows per full batch */
    struct sql_param *p;
    unsigned n; /* rows queued */
    uint64_t since_commit;
};

static void
demo_ins_flush(struct demo_ins *in)
{
    if (in->n == 0)
        return;
    struct ctx *cx = &demo_cx;
    size_t hl = strlen(in->head), rl = strlen(in->row);
    char *sql = arena_alloc(demo_arena, hl + (size_t)in->n * (rl + 1) + 1);
    char *w = sql;
    memcpy(w, in->head, hl);
    w += hl;
    for (unsigned i = 0; i < in->n; i++) {
        if (i)
            *w++ = ',';
        memcpy(w, in->row, rl);
        w += rl;
    }
    *w = '\0';
    demo_check(cx, sql_execv(cx, NULL, sql, in->p, in->n * in->per_row),
               in->head);
    in->since_commit += in->n;
    in->n = 0;
    if (in->since_commit >= DEMO_ROWS_TX) {
        demo_check(cx, sql_commit(cx), "commit");
        demo_check(cx, sql_begin(cx), "begin");
        in->since_commit = 0;
    }
    demo_cx_new(); /* frees the batch's strings */
}

static void
demo_ins_begin(struct demo_ins *in, const char *head, const char *row,
               unsigned per_row)
{
    memset(in, 0, sizeof(*in));
    in->head = head;
    in->row = row;
    in->per_row = per_row;
    in->rows = 60000 / per_row; /* under the 65,535 placeholders limit */
    if (in->rows > 4000)
        in->rows = 4000;
    in->p = calloc((size_t)in->rows * per_row, sizeof(*in->p));
    if (!in->p)
        abort();
    demo_cx_new();
    demo_check(&demo_cx, sql_begin(&demo_cx), "begin");
}

static void
demo_ins_end(struct demo_ins *in)
{
    demo_ins_flush(in);
    demo_check(&demo_cx, sql_commit(&demo_cx), "commit");
    free(in->p);
}

/* The parameters of the next row (flushing a full batch first). */
static struct sql_param *
demo_ins_row(struct demo_ins *in)
{
    if (in->n == in->rows)
        demo_ins_flush(in);
    return &in->p[(size_t)in->n++ * in->per_row];
}

static void
demo_pl(struct sql_param *p, int64_t v)
{
    p->type = 'l';
    p->i = v;
}

static void
demo_pd(struct sql_param *p, double v)
{
    p->type = 'd';
    p->d = v;
}

static void
demo_ps(struct sql_param *p, const char *v)
{
    p->type = 's';
    p->s = v;
}

/* Refuses to load over rows already in the demo id ranges. */
static void
demo_check_empty(const struct demo *d)
{
    struct ctx *cx = demo_cx_new();
    struct sql_rows t;
    demo_check(cx,
               sql_query(cx, &t,
                         "SELECT (SELECT COUNT(*) FROM tb_user WHERE id > ? "
                         "AND id <= ?) + (SELECT COUNT(*) FROM tb_blog WHERE "
                         "id > ? AND id <= ?) + (SELECT COUNT(*) FROM tb_shop "
                         "WHERE id > ? AND id <= ?)",
                         "llllll", DEMO_USER_BASE,
                         DEMO_USER_BASE + (int64_t)d->nusers, DEMO_BLOG_BASE,
                         DEMO_BLOG_BASE + (int64_t)d->nblogs, DEMO_SHOP_BASE,
                         DEMO_SHOP_BASE + (int64_t)d->nshops),
               "checking for earlier demo data");
    if (sql_i64(&t, 0, 0) > 0) {
        fprintf(stderr,
                "demo-data: the database already holds rows in the demo id "
                "ranges (users and blogs from %lld, shops from %lld): demo "
                "data loads once, into a database without it (start from an "
                "empty stack: make stop; remove run/; make run)\n",
                DEMO_USER_BASE + 1, DEMO_SHOP_BASE + 1);
        exit(3);
    }
}

static const char *const demo_areas[] = {"西湖区", "拱墅区", "上城区",
                                         "滨江区", "余杭区", "运河上街"};
static const char *const demo_shop_img =
    "https://qcloud.dpfile.com/pc/jiclIsCKmOI2arxKN1Uf0Hx3PucIJH8q0QSz-"
    "Z8llzcN56-_QiKuOvyio1OOxsRtFoXqu0G3iT2T27qat3WhLVEuLYk00OmSS1IdNpm8K8"
    "sG4JN9RIm2mTKcbLtc2o2vfCF2ubeXzk49OsGrXt_KYDCngOyCwZK-s3fqawWswzk.jpg";

static void
demo_sql_users(const struct demo *d)
{
    struct demo_ins in;
    demo_stage_begin("tb_user");
    demo_ins_begin(&in,
                   "INSERT INTO tb_user (id, phone, nick_name, icon, "
                   "create_time, update_time) VALUES ",
                   "(?,?,?,'',FROM_UNIXTIME(?),FROM_UNIXTIME(?))", 5);
    for (uint32_t i = 0; i < d->nusers; i++) {
        struct sql_param *p = demo_ins_row(&in);
        int64_t ts = DEMO_T0 - 60 * DEMO_DAY + (int64_t)i % (50 * DEMO_DAY);
        demo_pl(&p[0], demo_user_id(i));
        demo_ps(&p[1], arena_printf(demo_arena, "166%08u", i));
        demo_ps(&p[2], arena_printf(demo_arena, "demo_%u", i));
        demo_pl(&p[3], ts);
        demo_pl(&p[4], ts);
        demo_progress(i + 1, d->nusers);
    }
    demo_ins_end(&in);

    demo_stage_begin("tb_user_info");
    demo_ins_begin(&in,
                   "INSERT INTO tb_user_info (user_id, city, fans, followee, "
                   "gender, credits, level, create_time, update_time) VALUES ",
                   "(?,'杭州',?,?,?,0,0,FROM_UNIXTIME(?),FROM_UNIXTIME(?))", 6);
    for (uint32_t i = 0; i < d->nusers; i++) {
        struct sql_param *p = demo_ins_row(&in);
        demo_pl(&p[0], demo_user_id(i));
        demo_pl(&p[1], d->fans[i]);
        demo_pl(&p[2], d->followee[i]);
        demo_pl(&p[3], i & 1);
        demo_pl(&p[4], DEMO_T0 - 60 * DEMO_DAY);
        demo_pl(&p[5], DEMO_T0 - 60 * DEMO_DAY);
        demo_progress(i + 1, d->nusers);
    }
    demo_ins_end(&in);
}

static void
demo_sql_shops(const struct demo *d, double *sx, double *sy)
{
    struct demo_ins in;
    demo_stage_begin("tb_shop");
    demo_ins_begin(&in,
                   "INSERT INTO tb_shop (id, name, type_id, images, area, "
                   "address, x, y, avg_price, sold, comments, score, "
                   "open_hours, create_time, update_time) VALUES ",
                   "(?,?,?,?,?,?,?,?,?,?,?,?,'10:00-22:00',FROM_UNIXTIME(?),"
                   "FROM_UNIXTIME(?))",
                   14);
    for (uint32_t i = 0; i < d->nshops; i++) {
        /* a city: normal around the centre, sigma about 5 km */
        double r = sqrt(-2.0 * log(1.0 - demo_unit()));
        double th = 2.0 * 3.14159265358979 * demo_unit();
        sx[i] = DEMO_CITY_X + 0.05 * r * cos(th);
        sy[i] = DEMO_CITY_Y + 0.045 * r * sin(th);
        struct sql_param *p = demo_ins_row(&in);
        int64_t type = 1 + (int64_t)(i % 10);
        const char *area = demo_areas[i % 6];
        demo_pl(&p[0], demo_shop_id(i));
        demo_ps(&p[1], arena_printf(demo_arena, "演示商户%u号店", i));
        demo_pl(&p[2], type);
        demo_ps(&p[3], demo_shop_img);
        demo_ps(&p[4], area);
        demo_ps(&p[5], arena_printf(demo_arena, "%s演示路%u号", area, i + 1));
        demo_pd(&p[6], sx[i]);
        demo_pd(&p[7], sy[i]);
        demo_pl(&p[8], 20 + demo_below(300));
        demo_pl(&p[9], demo_below(10000));
        demo_pl(&p[10], demo_below(5000));
        demo_pl(&p[11], 30 + demo_below(21));
        demo_pl(&p[12], DEMO_T0 - 90 * DEMO_DAY);
        demo_pl(&p[13], DEMO_T0 - 90 * DEMO_DAY);
        demo_progress(i + 1, d->nshops);
    }
    demo_ins_end(&in);
}

static void
demo_sql_follows(const struct demo *d)
{
    struct demo_ins in;
    demo_stage_begin("tb_follow");
    demo_ins_begin(&in,
                   "INSERT INTO tb_follow (user_id, follow_user_id, "
                   "create_time) VALUES ",
                   "(?,?,FROM_UNIXTIME(?))", 3);
    for (size_t i = 0; i < d->nfollows; i++) {
        struct sql_param *p = demo_ins_row(&in);
        uint64_t e = d->follows[i];
        demo_pl(&p[0], demo_user_id((uint32_t)(e >> 32)));
        demo_pl(&p[1], demo_user_id((uint32_t)e));
        /* 2025-01-01, before any blog: every blog counts for the feed */
        demo_pl(&p[2], DEMO_T0 + (int64_t)((e * 2654435761ULL) % DEMO_DAY));
        demo_progress(i + 1, d->nfollows);
    }
    demo_ins_end(&in);
}

static void
demo_sql_blogs(const struct demo *d)
{
    struct demo_ins in;
    demo_stage_begin("tb_blog");
    demo_ins_begin(&in,
                   "INSERT INTO tb_blog (id, shop_id, user_id, title, images, "
                   "content, liked, comments, create_time, update_time) "
                   "VALUES ",
                   "(?,?,?,?,'/imgs/blogs/blog1.jpg',?,?,0,FROM_UNIXTIME(?),"
                   "FROM_UNIXTIME(?))",
                   8);
    for (uint32_t i = 0; i < d->nblogs; i++) {
        const struct demo_blog *b = &d->blogs[i];
        struct sql_param *p = demo_ins_row(&in);
        demo_pl(&p[0], demo_blog_id(i));
        demo_pl(&p[1], demo_shop_id(b->shop));
        demo_pl(&p[2], demo_user_id(b->author));
        demo_ps(&p[3], arena_printf(demo_arena, "演示探店笔记 #%u", i + 1));
        demo_ps(&p[4],
                arena_printf(demo_arena,
                             "第 %u 篇演示笔记：环境不错，值得再来。", i + 1));
        demo_pl(&p[5], b->liked);
        demo_pl(&p[6], b->ts);
        demo_pl(&p[7], b->ts);
        demo_progress(i + 1, d->nblogs);
    }
    demo_ins_end(&in);
}

/* ---------------- Redis ---------------- */

static unsigned demo_queued;

static void
demo_pipe_sync(void)
{
    struct ctx *cx = &demo_cx;
    for (unsigned i = 0; i < demo_queued; i++) {
        redisReply *r;
        demo_check(cx, rds_reply(cx, &r), "redis pipeline");
    }
    demo_queued = 0;
    demo_cx_new();
}

static void
demo_pipev(int argc, const char **argv)
{
    demo_check(&demo_cx, rds_appendv(&demo_cx, argc, argv, NULL), "redis");
    if (++demo_queued >= DEMO_PIPE)
        demo_pipe_sync();
}

static void
demo_pipe2(const char *cmd, const char *key)
{
    const char *argv[2] = {cmd, key};
    demo_pipev(2, argv);
}

/* growable argv for one command, strings in the arena */
struct demo_argv {
    const char **v;
    int n, cap;
};

static void
demo_argv_add(struct demo_argv *a, const char *s)
{
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 64;
        a->v = realloc(a->v, (size_t)a->cap * sizeof(*a->v));
        if (!a->v)
            abort();
    }
    a->v[a->n++] = s;
}

static char *
demo_i64s(int64_t v)
{
    return arena_printf(demo_arena, "%lld", (long long)v);
}

/* Drops every key the app may hold about a demo id. */
static void
demo_rds_clean(const struct demo *d)
{
    demo_stage_begin("redis: clear demo ids");
    uint64_t total = (uint64_t)d->nusers + d->nblogs + d->nshops;
    demo_cx_new();
    for (uint32_t i = 0; i < d->nusers; i++) {
        demo_pipe2("UNLINK", key_follows(demo_arena, demo_user_id(i)));
        demo_pipe2("UNLINK", key_feed(demo_arena, demo_user_id(i)));
        demo_progress(i + 1, total);
    }
    for (uint32_t i = 0; i < d->nblogs; i++) {
        demo_pipe2("UNLINK", key_blog_liked(demo_arena, demo_blog_id(i)));
        demo_pipe2("UNLINK", key_cache_blog(demo_arena, demo_blog_id(i)));
        demo_progress((uint64_t)d->nusers + i + 1, total);
    }
    for (uint32_t i = 0; i < d->nshops; i++) {
        demo_pipe2("UNLINK", key_cache_shop(demo_arena, demo_shop_id(i)));
        demo_progress((uint64_t)d->nusers + d->nblogs + i + 1, total);
    }
    demo_pipe2("DEL", KEY_SHOP_MAX_ID);
    /* the hot pages change: the same bump a publish makes */
    demo_pipe2("DEL", KEY_CACHE_BLOG_HOT);
    demo_pipe2("INCR", KEY_CACHE_BLOG_HOT_VER);
    const char *exp[3] = {"EXPIRE", KEY_CACHE_BLOG_HOT_VER,
                          demo_i64s(TTL_CACHE_BLOG_VER)};
    demo_pipev(3, exp);
    demo_pipe_sync();
}

static void
demo_rds_follows(const struct demo *d)
{
    struct demo_argv a = {0};
    demo_stage_begin("redis: follows sets");
    demo_cx_new();
    size_t i = 0;
    for (uint32_t u = 0; u < d->nusers; u++) {
        a.n = 0;
        demo_argv_add(&a, "SADD");
        demo_argv_add(&a, key_follows(demo_arena, demo_user_id(u)));
        demo_argv_add(&a, KEY_FOLLOWS_SENTINEL);
        for (; i < d->nfollows && (uint32_t)(d->follows[i] >> 32) == u; i++)
            demo_argv_add(&a, demo_i64s(demo_user_id((uint32_t)d->follows[i])));
        demo_pipev(a.n, a.v);
        demo_progress(i, d->nfollows);
    }
    demo_pipe_sync();
    /* big authors: what their publishes would have added */
    a.n = 0;
    demo_argv_add(&a, "SADD");
    demo_argv_add(&a, KEY_FEED_BIG);
    for (uint32_t u = 0; u < d->nusers; u++)
        if (d->fans[u] > (uint32_t)d->threshold &&
            d->by_author_off[u + 1] > d->by_author_off[u])
            demo_argv_add(&a, demo_i64s(demo_user_id(u)));
    if (a.n > 2)
        demo_pipev(a.n, a.v);
    demo_pipe_sync();
    free(a.v);
}

/* one inbox entry */
struct demo_fe {
    int64_t ms;
    uint32_t blog;
};

/* feed ORDER (feed.h): newest first, then the id's decimal string
 * descending, which for our same-width ids is the id descending */
static int
demo_fe_cmp(const void *pa, const void *pb)
{
    const struct demo_fe *a = pa, *b = pb;
    if (a->ms != b->ms)
        return a->ms > b->ms ? -1 : 1;
    return a->blog > b->blog ? -1 : a->blog < b->blog;
}

static uint64_t
demo_rds_feeds(const struct demo *d)
{
    struct demo_argv a = {0};
    struct demo_fe *fe = NULL;
    size_t fcap = 0;
    uint64_t entries = 0;
    demo_stage_begin("redis: feed inboxes");
    demo_cx_new();
    size_t i = 0;
    for (uint32_t u = 0; u < d->nusers; u++) {
        size_t nfe = 0;
        for (; i < d->nfollows && (uint32_t)(d->follows[i] >> 32) == u; i++) {
            uint32_t au = (uint32_t)d->follows[i];
            if (d->fans[au] > (uint32_t)d->threshold)
                continue; /* pulled by the reader, never pushed */
            for (uint32_t k = d->by_author_off[au];
                 k < d->by_author_off[au + 1]; k++) {
                if (nfe == fcap) {
                    fcap = fcap ? fcap * 2 : 1024;
                    fe = realloc(fe, fcap * sizeof(*fe));
                    if (!fe)
                        abort();
                }
                uint32_t b = d->by_author[k];
                fe[nfe].ms = d->blogs[b].ts * 1000;
                fe[nfe++].blog = b;
            }
        }
        if (nfe > 0) {
            qsort(fe, nfe, sizeof(*fe), demo_fe_cmp);
            if (nfe > (size_t)d->cap)
                nfe = (size_t)d->cap; /* the trim a push makes */
            a.n = 0;
            demo_argv_add(&a, "ZADD");
            demo_argv_add(&a, key_feed(demo_arena, demo_user_id(u)));
            for (size_t k = 0; k < nfe; k++) {
                demo_argv_add(&a, demo_i64s(fe[k].ms));
                demo_argv_add(&a, demo_i64s(demo_blog_id(fe[k].blog)));
            }
            demo_pipev(a.n, a.v);
            entries += nfe;
        }
        demo_progress(u + 1, d->nusers);
    }
    demo_pipe_sync();
    free(a.v);
    free(fe);
    return entries;
}

static void
demo_rds_likes(const struct demo *d)
{
    struct demo_argv a = {0};
    demo_stage_begin("redis: likes");
    demo_cx_new();
    size_t i = 0;
    while (i < d->nlikes) {
        uint32_t b = (uint32_t)(d->likes[i] >> 32);
        /* large sets go in several ZADDs of at most 1,000 members */
        a.n = 0;
        demo_argv_add(&a, "ZADD");
        demo_argv_add(&a, key_blog_liked(demo_arena, demo_blog_id(b)));
        for (;
             i < d->nlikes && (uint32_t)(d->likes[i] >> 32) == b && a.n < 2002;
             i++) {
            demo_argv_add(&a, demo_i64s(demo_like_ms(d, d->likes[i])));
            demo_argv_add(&a, demo_i64s(demo_user_id((uint32_t)d->likes[i])));
        }
        demo_pipev(a.n, a.v);
        demo_progress(i, d->nlikes);
    }
    demo_pipe_sync();
    free(a.v);
}

static void
demo_rds_shops(const struct demo *d, const double *sx, const double *sy)
{
    struct demo_argv a = {0};
    demo_stage_begin("redis: shop GEO");
    demo_cx_new();
    /* shop:geo:{type} is loaded from MySQL when its marker is missing;
     * when present, a created shop is GEOADDed, as these are */
    for (int64_t type = 1; type <= 10; type++) {
        a.n = 0;
        demo_argv_add(&a, "GEOADD");
        demo_argv_add(&a, key_shop_geo(demo_arena, type));
        for (uint32_t i = (uint32_t)(type - 1); i < d->nshops; i += 10) {
            demo_argv_add(&a, arena_printf(demo_arena, "%.10f", sx[i]));
            demo_argv_add(&a, arena_printf(demo_arena, "%.10f", sy[i]));
            demo_argv_add(&a, demo_i64s(demo_shop_id(i)));
        }
        if (a.n > 2)
            demo_pipev(a.n, a.v);
        demo_progress((uint64_t)type, 10);
    }
    demo_pipe_sync();
    free(a.v);
}

/* A session for user u, as a login opens it; returns the token. */
static const char *
demo_session(const struct demo *d, uint32_t u, char *tok, size_t toklen)
{
    unsigned char raw[16];
    FILE *f = fopen("/dev/urandom", "rb");
    if (!f || fread(raw, 1, sizeof(raw), f) != sizeof(raw))
        abort();
    fclose(f);
    for (size_t i = 0; i < sizeof(raw) && 2 * i + 2 < toklen; i++)
        snprintf(tok + 2 * i, 3, "%02x", raw[i]);
    struct ctx *cx = demo_cx_new();
    char *k = key_login_token(demo_arena, tok);
    demo_check(cx,
               rds_cmd(cx, NULL, "HSET %s id %lld nickName demo_%u icon %s", k,
                       (long long)demo_user_id(u), u, ""),
               "session");
    demo_check(cx, rds_cmd(cx, NULL, "EXPIRE %s %d", k, TTL_LOGIN_TOKEN),
               "session ttl");
    (void)d;
    return tok;
}

/* ---------------- main ---------------- */

static uint32_t
demo_pulled_of(const struct demo *d, uint32_t u)
{
    uint32_t n = 0;
    for (size_t i = 0; i < d->nfollows; i++)
        if ((uint32_t)(d->follows[i] >> 32) == u &&
            d->fans[(uint32_t)d->follows[i]] > (uint32_t)d->threshold)
            n++;
    return n;
}

static uint32_t
demo_common_count(const struct demo *d)
{
    uint8_t *mark = calloc(d->nusers, 1);
    uint32_t n = 0;
    for (size_t i = 0; i < d->nfollows; i++)
        if ((uint32_t)(d->follows[i] >> 32) == d->common_a)
            mark[(uint32_t)d->follows[i]] = 1;
    for (size_t i = 0; i < d->nfollows; i++)
        if ((uint32_t)(d->follows[i] >> 32) == d->common_b &&
            mark[(uint32_t)d->follows[i]])
            n++;
    free(mark);
    return n;
}

static uint32_t
demo_newest_blog_of(const struct demo *d, uint32_t u)
{
    uint32_t best = UINT32_MAX;
    for (uint32_t k = d->by_author_off[u]; k < d->by_author_off[u + 1]; k++)
        if (best == UINT32_MAX || d->by_author[k] > best)
            best = d->by_author[k];
    return best;
}

static void
demo_write_env(const struct demo *d, const char *path, const char *tok_feed,
               const char *tok_common, uint64_t inbox_entries, double px,
               double py)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(1);
    }
    uint32_t nb = demo_newest_blog_of(d, d->big[0]);
    /* a pushed author with followers and blogs, for the feed check */
    uint32_t pushed = UINT32_MAX;
    for (size_t i = 0; i < d->nfollows; i++) {
        uint32_t au = (uint32_t)d->follows[i];
        if ((uint32_t)(d->follows[i] >> 32) == d->feed_user &&
            d->fans[au] <= (uint32_t)d->threshold &&
            d->by_author_off[au + 1] > d->by_author_off[au]) {
            pushed = au;
            break;
        }
    }
    fprintf(f,
            "# written by demo-data: the ids the benchmarks and tests use\n"
            "DEMO_SCALE=%g\nDEMO_PUSH_THRESHOLD=%ld\nDEMO_FEED_CAP=%ld\n"
            "DEMO_USERS=%u\nDEMO_FIRST_USER=%lld\nDEMO_SHOPS=%u\n"
            "DEMO_FIRST_SHOP=%lld\nDEMO_BLOGS=%u\nDEMO_FIRST_BLOG=%lld\n"
            "DEMO_FOLLOWS=%zu\nDEMO_LIKES=%zu\nDEMO_INBOX_ENTRIES=%llu\n",
            d->scale, d->threshold, d->cap, d->nusers,
            (long long)demo_user_id(0), d->nshops, (long long)demo_shop_id(0),
            d->nblogs, (long long)demo_blog_id(0), d->nfollows, d->nlikes,
            (unsigned long long)inbox_entries);
    for (int k = 0; k < DEMO_NBIG; k++)
        fprintf(f, "DEMO_BIG_AUTHOR_%d=%lld\nDEMO_BIG_AUTHOR_%d_FANS=%u\n", k,
                (long long)demo_user_id(d->big[k]), k, d->fans[d->big[k]]);
    fprintf(
        f,
        "DEMO_BIG_BLOG=%lld\nDEMO_LIKED_BLOG=%lld\nDEMO_LIKED_BLOG_LIKES=%u\n"
        "DEMO_FEED_USER=%lld\nDEMO_FEED_USER_PHONE=166%08u\n"
        "DEMO_FEED_USER_FOLLOWS=%u\nDEMO_FEED_USER_PULLED=%u\n"
        "DEMO_FEED_TOKEN=%s\nDEMO_PUSHED_AUTHOR=%lld\n"
        "DEMO_PUSHED_AUTHOR_NEWEST_BLOG=%lld\n"
        "DEMO_COMMON_A=%lld\nDEMO_COMMON_A_PHONE=166%08u\n"
        "DEMO_COMMON_A_TOKEN=%s\nDEMO_COMMON_B=%lld\n"
        "DEMO_COMMON_FOLLOWS=%u\nDEMO_COMMON_SHARED=%u\n"
        "DEMO_SHOP_TYPE=1\nDEMO_SHOP_X=%.4f\nDEMO_SHOP_Y=%.4f\n"
        "DEMO_FEED_LAST_ID=%lld\n",
        (long long)demo_blog_id(nb), (long long)demo_blog_id(d->top_blog),
        d->blogs[d->top_blog].liked, (long long)demo_user_id(d->feed_user),
        d->feed_user, d->followee[d->feed_user],
        demo_pulled_of(d, d->feed_user), tok_feed,
        pushed == UINT32_MAX ? 0LL : (long long)demo_user_id(pushed),
        pushed == UINT32_MAX
            ? 0LL
            : (long long)demo_blog_id(demo_newest_blog_of(d, pushed)),
        (long long)demo_user_id(d->common_a), d->common_a, tok_common,
        (long long)demo_user_id(d->common_b), d->followee[d->common_a],
        demo_common_count(d), px, py,
        (long long)(DEMO_T0 + 60 * DEMO_DAY) * 1000);
    fclose(f);
}

int
main(int argc, char **argv)
{
    struct demo d;
    memset(&d, 0, sizeof(d));
    if (argc < 2 || (d.scale = atof(argv[1])) <= 0 || d.scale > 20) {
        fprintf(stderr, "usage: demo-data SCALE [OUT_ENV_FILE]  "
                        "(SCALE in (0, 20]; 1 = the issue's size)\n");
        return 2;
    }
    const char *out = argc > 2 ? argv[2] : "run/demo.env";
    if (cfg_load() < 0)
        return 2;
    d.threshold = g_cfg.feed_push_threshold;
    d.cap = g_cfg.feed_cap > 0 ? g_cfg.feed_cap : 1;
    demo_arena = arena_new();
    demo_t_start = demo_now();

    demo_plan(&d);
    fprintf(stderr,
            "demo-data SCALE=%g: %u users, %u shops, %llu follows, %u blogs, "
            "%llu likes (feed_push_threshold %ld, feed_cap %ld)\n",
            d.scale, d.nusers, d.nshops, (unsigned long long)d.want_follows,
            d.nblogs, (unsigned long long)d.want_likes, d.threshold, d.cap);
    demo_check_empty(&d);

    demo_stage_begin("generating");
    demo_gen_follows(&d);
    demo_progress(1, 3);
    demo_gen_blogs(&d);
    demo_progress(2, 3);
    demo_gen_likes(&d);
    demo_progress(3, 3);

    double *sx = malloc(d.nshops * sizeof(double));
    double *sy = malloc(d.nshops * sizeof(double));
    demo_sql_users(&d);
    demo_sql_shops(&d, sx, sy);
    demo_sql_follows(&d);
    demo_sql_blogs(&d);

    demo_rds_clean(&d);
    demo_rds_follows(&d);
    uint64_t inbox = demo_rds_feeds(&d);
    demo_rds_likes(&d);
    demo_rds_shops(&d, sx, sy);

    char tf[40] = {0}, tc[40] = {0};
    demo_session(&d, d.feed_user, tf, sizeof(tf));
    demo_session(&d, d.common_a, tc, sizeof(tc));
    /* the point for "shops near": the first shop of type 1, so shops are
     * within the search radius at any scale */
    demo_write_env(&d, out, tf, tc, inbox, sx[0], sy[0]);
    fprintf(stderr,
            "demo-data: done in %.1f s: %zu follows, %zu likes, %llu inbox "
            "entries; ids in %s\n",
            demo_now() - demo_t_start, d.nfollows, d.nlikes,
            (unsigned long long)inbox, out);

    free(sx);
    free(sy);
    free(d.follows);
    free(d.fans);
    free(d.followee);
    free(d.rank_user);
    free(d.blogs);
    free(d.by_author_off);
    free(d.by_author);
    free(d.likes);
    arena_reset(demo_arena);
    arena_free(demo_arena);
    rds_close();
    sql_close();
    cfg_free();
    return 0;
}
