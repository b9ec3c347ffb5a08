/*
 * shop.c: the shop module's pure rules: the Shop JSON shape (API.md §6),
 * the near list's items made from cached Shop JSON, the LIKE escaping,
 * the jittered TTL and the sort option.
 */
#include "shop_private.h"

#include "../core/reply.h"
#include "../store/keys.h"

#include <stdio.h>
#include <stdlib.h>
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

int
shop_text_plain(const char *v, size_t n)
{
    if (n < 2 || v[0] != '{' || v[n - 1] != '}')
        return 0;
    for (const char *p = v; (p = memchr(p, '\\', n - (size_t)(p - v))); p++)
        if ((size_t)(p - v) + 1 < n && p[1] == '/')
            return 0; /* a json-c escaped slash: an older writer's form */
    return 1;
}

char *
shop_near_item(struct arena *a, const char *v, size_t n, int64_t type_id,
               const char *dist, size_t *len)
{
    static const char tk[] = "\"typeId\":";
    if (!shop_text_plain(v, n))
        return NULL;
    /* inside a JSON string a quote is escaped, so an unescaped "typeId":
     * is the field's own name (and shop_row_json writes it once) */
    const char *t = NULL;
    for (const char *p = v; (p = memchr(p, '"', n - (size_t)(p - v))); p++)
        if ((size_t)(v + n - p) > sizeof(tk) - 1 &&
            memcmp(p, tk, sizeof(tk) - 1) == 0 && p[-1] != '\\') {
            t = p + sizeof(tk) - 1;
            break;
        }
    if (t == NULL)
        return NULL;
    char num[24];
    size_t k = 0;
    while (k < sizeof(num) - 1 && t + k < v + n && t[k] >= '0' && t[k] <= '9') {
        num[k] = t[k];
        k++;
    }
    num[k] = '\0';
    if (k == 0 || strtoll(num, NULL, 10) != type_id)
        return NULL;
    size_t dn = strlen(dist);
    char *out = arena_alloc(a, n + 12 + dn + 1);
    memcpy(out, v, n - 1);
    memcpy(out + n - 1, ",\"distance\":", 12);
    memcpy(out + n - 1 + 12, dist, dn);
    out[n - 1 + 12 + dn] = '}';
    out[n + 12 + dn] = '\0';
    *len = n + 12 + dn;
    return out;
}
