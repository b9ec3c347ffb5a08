/*
 * feed.c: the feed's pure pagination: the order of entries, the window a
 * cursor selects, the merge of the inbox with pulled entries, and the next
 * cursor. No I/O; tests/unit/test_feed.c drives it with crafted scores.
 *
 * Invariant: every path (plain inbox through Redis, merged inbox + pull)
 * pages the same totally ordered sequence with the same cursor rule, so
 * equal scores are neither repeated nor skipped, and entries newer than
 * the cursor (published while scrolling) never shift later pages.
 */
#include "feed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Lexicographic comparison of the decimal renderings, as Redis compares
 * equal-score members. */
static int
feed_id_lexcmp(int64_t a, int64_t b)
{
    char x[24], y[24];
    snprintf(x, sizeof(x), "%lld", (long long)a);
    snprintf(y, sizeof(y), "%lld", (long long)b);
    return strcmp(x, y);
}

int
feed_entry_cmp(const struct feed_entry *a, const struct feed_entry *b)
{
    if (a->score != b->score)
        return a->score > b->score ? -1 : 1; /* newest first */
    if (a->id == b->id)
        return 0;
    return -feed_id_lexcmp(a->id, b->id); /* reverse lexicographic */
}

static int
feed_qsort_cmp(const void *a, const void *b)
{
    return feed_entry_cmp(a, b);
}

void
feed_sort(struct feed_entry *e, size_t n)
{
    if (n > 1)
        qsort(e, n, sizeof(*e), feed_qsort_cmp);
}

size_t
feed_window(const struct feed_entry *e, size_t n, int64_t last_id,
            int64_t offset, size_t limit, struct feed_entry *out)
{
    size_t i = 0, k = 0;
    while (i < n && e[i].score > last_id)
        i++;
    for (int64_t skipped = 0; i < n && skipped < offset; skipped++)
        i++;
    while (i < n && k < limit)
        out[k++] = e[i++];
    return k;
}

static int
feed_id_cmp(const void *a, const void *b)
{
    const struct feed_entry *x = a, *y = b;
    if (x->id != y->id)
        return x->id < y->id ? -1 : 1;
    return 0;
}

size_t
feed_merge(const struct feed_entry *inbox, size_t ni,
           const struct feed_entry *pulled, size_t np, struct feed_entry *out)
{
    size_t n = 0;
    if (ni)
        memcpy(out, inbox, ni * sizeof(*out));
    n = ni;
    /* inbox ids, sorted by id, to drop pulled duplicates */
    struct feed_entry *by_id = NULL;
    if (ni && np) {
        by_id = malloc(ni * sizeof(*by_id));
        if (by_id == NULL)
            abort();
        memcpy(by_id, inbox, ni * sizeof(*by_id));
        qsort(by_id, ni, sizeof(*by_id), feed_id_cmp);
    }
    for (size_t i = 0; i < np; i++) {
        if (by_id &&
            bsearch(&pulled[i], by_id, ni, sizeof(*by_id), feed_id_cmp) != NULL)
            continue;
        out[n++] = pulled[i];
    }
    free(by_id);
    feed_sort(out, n);
    /* a pulled list may itself repeat an id (two queries overlapping):
     * after sorting, equal entries are adjacent */
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (m == 0 || out[i].id != out[m - 1].id)
            out[m++] = out[i];
    return m;
}

void
feed_cursor_next(const struct feed_entry *e, size_t n, int64_t last_id,
                 int64_t offset, int64_t *min_time, int64_t *next_offset)
{
    int64_t min = e[n - 1].score, os = 0;
    for (size_t i = n; i > 0 && e[i - 1].score == min; i--)
        os++;
    *min_time = min;
    *next_offset = min == last_id ? offset + os : os;
}
