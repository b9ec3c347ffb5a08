/*
 * follow.c: the follow module's pure rules: the {isFollow} flag and the
 * clean-up of ids read from a follows set.
 */
#include "follow.h"

#include <stdlib.h>
#include <string.h>

int
follow_parse_flag(const char *s, int *out)
{
    if (s == NULL)
        return -1;
    if (strcmp(s, "true") == 0) {
        *out = 1;
        return 0;
    }
    if (strcmp(s, "false") == 0) {
        *out = 0;
        return 0;
    }
    return -1;
}

static int
follow_id_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

size_t
follow_ids_clean(int64_t *ids, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (ids[i] > 0) /* the sentinel "0" and unparsable members */
            ids[k++] = ids[i];
    if (k == 0)
        return 0;
    qsort(ids, k, sizeof(*ids), follow_id_cmp);
    size_t m = 1;
    for (size_t i = 1; i < k; i++)
        if (ids[i] != ids[m - 1])
            ids[m++] = ids[i];
    return m;
}
