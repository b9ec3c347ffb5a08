/*
 * ops.c: pure helpers of the ops module.
 */
#include "ops_private.h"

#include <string.h>

size_t
ops_split_expect(struct arena *a, const char *s, const char **out, size_t max)
{
    size_t n = 0;
    while (s && *s && n < max) {
        s += strspn(s, " ,\t");
        size_t k = strcspn(s, " ,\t");
        if (k == 0)
            break;
        out[n++] = arena_strndup(a, s, k);
        s += k;
    }
    return n;
}
