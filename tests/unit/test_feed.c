/*
 * test_feed.c: the feed's scroll pagination (app/feed/feed.c) on crafted
 * score sequences: every entry exactly once and in order, whatever the
 * runs of equal scores and the page size; the merge of inbox and pulled
 * entries pages exactly like one sequence.
 */
#include "../../app/feed/feed.h"
#include "t.h"

#include <stdint.h>
#include <stdlib.h>

#define TOP  ((int64_t)9007199254740991LL)
#define MAXN 600

/* Scrolls seq (n entries in feed order) with page size p the way the page
 * does; writes the ids seen into got and returns how many. Gives up after
 * 2n+2 pages (a cursor that repeats forever). */
static size_t
scroll(const struct feed_entry *seq, size_t n, size_t p, int64_t *got)
{
    int64_t last = TOP, off = 0;
    size_t k = 0;
    struct feed_entry page[64];
    for (size_t pages = 0; pages < 2 * n + 2; pages++) {
        size_t m = feed_window(seq, n, last, off, p, page);
        if (m == 0)
            return k;
        for (size_t i = 0; i < m && k < 2 * MAXN; i++)
            got[k++] = page[i].id;
        feed_cursor_next(page, m, last, off, &last, &off);
    }
    return k;
}

static int
same_ids(const struct feed_entry *seq, size_t n, const int64_t *got, size_t k)
{
    if (n != k)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (seq[i].id != got[i])
            return 0;
    return 1;
}

static void
test_all_equal_scores(void)
{
    struct feed_entry s[25];
    for (int i = 0; i < 25; i++)
        s[i] = (struct feed_entry){100 + i, 5000};
    feed_sort(s, 25);
    /* cursors: each page shares the previous cursor's score */
    struct feed_entry page[10];
    int64_t last = TOP, off = 0;
    size_t m = feed_window(s, 25, last, off, 10, page);
    CHECK(m == 10);
    feed_cursor_next(page, m, last, off, &last, &off);
    CHECK(last == 5000 && off == 10);
    m = feed_window(s, 25, last, off, 10, page);
    CHECK(m == 10);
    feed_cursor_next(page, m, last, off, &last, &off);
    CHECK(last == 5000 && off == 20); /* the tie fix: 10 + 10, not 10 */
    m = feed_window(s, 25, last, off, 10, page);
    CHECK(m == 5);
    feed_cursor_next(page, m, last, off, &last, &off);
    CHECK(last == 5000 && off == 25);
    CHECK(feed_window(s, 25, last, off, 10, page) == 0);

    int64_t got[2 * MAXN];
    for (size_t p = 1; p <= 30; p++)
        CHECK(same_ids(s, 25, got, scroll(s, 25, p, got)));
}

static void
test_runs_across_pages(void)
{
    /* runs of 3, 9, 1, 4, 12 equal scores against page sizes 1..13 */
    static const int runs[] = {3, 9, 1, 4, 12};
    struct feed_entry s[29];
    size_t n = 0;
    int64_t id = 1;
    for (int r = 0; r < 5; r++)
        for (int j = 0; j < runs[r]; j++)
            s[n++] = (struct feed_entry){id++, 10000 - r * 1000};
    feed_sort(s, n);
    int64_t got[2 * MAXN];
    for (size_t p = 1; p <= 13; p++) {
        size_t k = scroll(s, n, p, got);
        CHECK(same_ids(s, n, got, k));
    }
    /* a page ending inside a run: offset counts the run's tail only */
    struct feed_entry page[5];
    int64_t last = TOP, off = 0;
    size_t m = feed_window(s, n, last, off, 5, page); /* 3 x 10000, 2 x 9000 */
    feed_cursor_next(page, m, last, off, &last, &off);
    CHECK(last == 9000 && off == 2);
    m = feed_window(s, n, last, off, 5, page); /* 5 more x 9000 */
    feed_cursor_next(page, m, last, off, &last, &off);
    CHECK(last == 9000 && off == 7);
}

static void
test_random_sequences(void)
{
    srand(7);
    int64_t got[2 * MAXN];
    for (int round = 0; round < 300; round++) {
        size_t n = (size_t)(rand() % 200);
        struct feed_entry s[200];
        for (size_t i = 0; i < n; i++) /* few distinct scores: long runs */
            s[i] = (struct feed_entry){(int64_t)i + 1 + rand() % 3 * 1000,
                                       (int64_t)(rand() % 6) * 1000};
        /* ids must be unique */
        for (size_t i = 0; i < n; i++)
            s[i].id = (int64_t)i * 7 + 1;
        feed_sort(s, n);
        size_t p = 1 + (size_t)(rand() % 12);
        size_t k = scroll(s, n, p, got);
        CHECK(same_ids(s, n, got, k));
    }
}

static void
test_empty_inbox(void)
{
    struct feed_entry page[10];
    CHECK(feed_window(NULL, 0, TOP, 0, 10, page) == 0);
    int64_t got[4];
    CHECK(scroll(NULL, 0, 10, got) == 0);
    /* a cursor beyond the end, and one below every score */
    struct feed_entry s[3] = {{1, 3000}, {2, 2000}, {3, 1000}};
    CHECK(feed_window(s, 3, TOP, 3, 10, page) == 0);
    CHECK(feed_window(s, 3, 999, 0, 10, page) == 0);
}

static void
test_tie_order_is_redis_order(void)
{
    /* ZREVRANGEBYSCORE returns equal scores in reverse lexicographic
     * order of the members: "9" > "10" > "1" */
    struct feed_entry s[5] = {{10, 7}, {9, 7}, {1, 7}, {100, 7}, {99, 8}};
    feed_sort(s, 5);
    CHECK(s[0].id == 99);
    CHECK(s[1].id == 9);
    CHECK(s[2].id == 100);
    CHECK(s[3].id == 10);
    CHECK(s[4].id == 1);
    struct feed_entry a = {5, 1}, b = {5, 1};
    CHECK(feed_entry_cmp(&a, &b) == 0);
}

static void
test_publish_while_scrolling(void)
{
    struct feed_entry s[40];
    for (int i = 0; i < 30; i++)
        s[i] = (struct feed_entry){i + 1, (int64_t)(i / 4) * 1000};
    size_t n = 30;
    feed_sort(s, n);
    struct feed_entry page[7];
    int64_t last = TOP, off = 0, got[64];
    size_t k = 0;
    for (int step = 0;; step++) {
        size_t m = feed_window(s, n, last, off, 7, page);
        if (m == 0 || step > 40)
            break;
        for (size_t i = 0; i < m && k < 64; i++)
            got[k++] = page[i].id;
        feed_cursor_next(page, m, last, off, &last, &off);
        if (step == 1) { /* newer blogs arrive between pages */
            for (int j = 0; j < 10; j++)
                s[n++] = (struct feed_entry){1000 + j, 99000};
            feed_sort(s, n);
        }
    }
    /* exactly the 30 old entries, in order, none of the new ones */
    CHECK(k == 30);
    for (size_t i = 0; i < k && i < 30; i++)
        CHECK(got[i] == s[10 + i].id);
}

/* The pull model used by feed_data.c's SQL: an author's entries under the
 * cursor, the first k in feed order plus every tie of the k-th. */
static size_t
pull_top(const struct feed_entry *a, size_t n, int64_t last, int64_t k,
         struct feed_entry *out)
{
    size_t m = 0;
    int64_t cut = INT64_MIN;
    for (size_t i = 0; i < n; i++) {
        if (a[i].score > last)
            continue;
        if ((int64_t)m >= k && a[i].score < cut)
            break;
        out[m++] = a[i];
        if ((int64_t)m == k)
            cut = a[i].score;
    }
    return m;
}

/* feed_page's hybrid path in pure form. */
static size_t
hybrid_page(const struct feed_entry *inbox, size_t ni,
            const struct feed_entry *pulled, size_t np, int64_t last,
            int64_t off, size_t p, struct feed_entry *page)
{
    static struct feed_entry ib[MAXN], pl[MAXN], all[2 * MAXN];
    int64_t k = off + (int64_t)p;
    size_t a = feed_window(inbox, ni, last, 0, (size_t)k, ib);
    size_t b = pull_top(pulled, np, last, k, pl);
    size_t m = feed_merge(ib, a, pl, b, all);
    return feed_window(all, m, last, off, p, page);
}

static void
test_merge_pages_like_one_sequence(void)
{
    srand(11);
    for (int round = 0; round < 200; round++) {
        /* 60 blogs, 4 authors; author 0 is "big" (pulled); some of its
         * blogs also sit in the inbox (pushed before it became big) */
        static struct feed_entry all[60], inbox[60], pulled[60];
        size_t ni = 0, np = 0;
        for (int i = 0; i < 60; i++) {
            all[i] = (struct feed_entry){3 + i * 3, (rand() % 8) * 1000};
            int big = rand() % 4 == 0;
            if (big)
                pulled[np++] = all[i];
            if (!big || rand() % 3 == 0)
                inbox[ni++] = all[i];
        }
        feed_sort(all, 60);
        feed_sort(inbox, ni);
        feed_sort(pulled, np);
        size_t p = 1 + (size_t)(rand() % 10);
        int64_t last = TOP, off = 0, got[200];
        size_t k = 0;
        struct feed_entry page[16];
        for (int pages = 0; pages < 200; pages++) {
            size_t m = hybrid_page(inbox, ni, pulled, np, last, off, p, page);
            if (m == 0)
                break;
            for (size_t i = 0; i < m && k < 200; i++)
                got[k++] = page[i].id;
            feed_cursor_next(page, m, last, off, &last, &off);
        }
        CHECK(same_ids(all, 60, got, k));
    }
}

static void
test_merge_dedupes(void)
{
    struct feed_entry inbox[3] = {{5, 3000}, {4, 2000}, {2, 1000}};
    struct feed_entry pulled[4] = {{4, 2000}, {7, 2000}, {2, 1000}, {7, 2000}};
    struct feed_entry out[7];
    size_t n = feed_merge(inbox, 3, pulled, 4, out);
    CHECK(n == 4);
    CHECK(out[0].id == 5 && out[1].id == 7 && out[2].id == 4 && out[3].id == 2);
    /* the inbox's score wins for an id in both */
    struct feed_entry in2[1] = {{9, 5000}}, pl2[1] = {{9, 4000}};
    n = feed_merge(in2, 1, pl2, 1, out);
    CHECK(n == 1 && out[0].score == 5000);
    CHECK(feed_merge(NULL, 0, NULL, 0, out) == 0);
    n = feed_merge(NULL, 0, pulled, 2, out);
    CHECK(n == 2 && out[0].id == 7);
}

int
main(void)
{
    RUN(test_all_equal_scores);
    RUN(test_runs_across_pages);
    RUN(test_random_sequences);
    RUN(test_empty_inbox);
    RUN(test_tie_order_is_redis_order);
    RUN(test_publish_while_scrolling);
    RUN(test_merge_pages_like_one_sequence);
    RUN(test_merge_dedupes);
    T_DONE();
}
