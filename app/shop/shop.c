/*
 * shop.c: the shop module's pure rules: the Shop JSON shape (API.md §6),
 * the LIKE escaping, the jittered TTL and the sort option.
 */
#include "shop_private.h"

#include "../core/reply.h"
#include "../store/keys.h"

#include <string.h>

struct json_object *
shop_row_json(const struct sql_rows *t, unsigned r)
{
    struct json_object *o = json_object_new_object();
    reply_add_i64(o, "id", sql_i64(t, r, 0));
    reply_add_str(o, "name", sql_str(t, r, 1));
    reply_add_i64(o, "typeId", sql_i64(t, r, 2));
    reply_add_str(o, "images", sql_str(t, r, 3));
    reply_add_str(o, "area", sql_str(t, r, 4));
    reply_add_str(o, "address", sql_str(t, r, 5));
    reply_add_dbl(o, "x", sql_dbl(t, r, 6));
    reply_add_dbl(o, "y", sql_dbl(t, r, 7));
    if (sql_str(t, r, 8))
        reply_add_i64(o, "avgPrice", sql_i64(t, r, 8));
    /* ZEROFILL: strtoll base 10 reads "0000004215" as 4215, not octal */
    reply_add_i64(o, "sold", sql_i64(t, r, 9));
    reply_add_i64(o, "comments", sql_i64(t, r, 10));
    reply_add_i64(o, "score", sql_i64(t, r, 11));
    reply_add_str(o, "openHours", sql_str(t, r, 12));
    reply_add_time(o, "createTime", sql_str(t, r, 13));
    reply_add_time(o, "updateTime", sql_str(t, r, 14));
    return o;
}

char *
shop_like_pattern(struct arena *a, const char *name)
{
    size_t n = strlen(name);
    char *p = arena_alloc(a, 2 * n + 3), *w = p;
    *w++ = '%';
    for (size_t i = 0; i < n; i++) {
        if (name[i] == '!' || name[i] == '%' || name[i] == '_')
            *w++ = '!';
        *w++ = name[i];
    }
    *w++ = '%';
    *w = '\0';
    return p;
}

int
shop_cache_ttl(uint32_t jitter)
{
    return TTL_CACHE_SHOP + (int)(jitter % (TTL_CACHE_JITTER + 1));
}

int
shop_sort_parse(const char *s)
{
    if (s == NULL || *s == '\0')
        return SHOP_SORT_ID;
    if (strcmp(s, "comments") == 0)
        return SHOP_SORT_COMMENTS;
    if (strcmp(s, "score") == 0)
        return SHOP_SORT_SCORE;
    return -1;
}
