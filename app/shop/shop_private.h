/*
 * shop_private.h: what shop_http.c needs from shop_data.c, and the pure
 * rules of shop.c (unit-tested).
 */
#ifndef HMDP_SHOP_PRIVATE_H
#define HMDP_SHOP_PRIVATE_H

#include "shop.h"

#include "../store/sql.h"

#include <json-c/json.h>
#include <stdint.h>

/* Columns every shop query selects, in the order shop_row_json reads. */
#define SHOP_COLS                                                              \
    "id, name, type_id, images, area, address, x, y, avg_price, sold, "        \
    "comments, score, open_hours, create_time, update_time"

/* Longitude/latitude accepted for a shop (the columns are UNSIGNED) and
 * for a search point (Redis GEO's limits). */
#define SHOP_LAT_MAX      85.05112878
#define SHOP_GEO_RADIUS_M 5000
#define SHOP_CURRENT_MAX  10000 /* deepest page we serve */

/* A shop write. Absent string fields are NULL; absent numbers have their
 * has_ flag clear. */
struct shop_in {
    int64_t id;
    const char *name, *images, *area, *address, *open_hours;
    int64_t type_id, avg_price, sold, comments, score;
    double x, y;
    int has_type_id, has_avg_price, has_sold, has_comments, has_score;
    int has_x, has_y;
};

enum shop_sort { SHOP_SORT_ID = 0, SHOP_SORT_COMMENTS, SHOP_SORT_SCORE };

/* ---- shop_data.c ---- */

/* The shop as JSON (new reference owned by the request), through the
 * cache. RES_REFUSED "店铺不存在" for an unknown id. */
res_t shop_get(struct req *rq, int64_t id, struct json_object **out);
/* Shop types sorted by `sort`, through the cache:type list. */
res_t shop_types(struct req *rq, struct json_object **out);
/* One page of shops whose name contains name ("" = all): a JSON array. */
res_t shop_page_by_name(struct req *rq, const char *name, int64_t current,
                        struct json_object **out);
/* One page of shops of a type; *out = NULL past the end. */
res_t shop_page_by_type(struct req *rq, int64_t type_id, int64_t current,
                        enum shop_sort sort, struct json_object **out);
/* Shops of a type within 5 km of (x, y), nearest first, with `distance`
 * in metres, as the text of a JSON array (*out, *len bytes, living as
 * long as rq); *out = NULL past the end. */
res_t shop_page_near(struct req *rq, int64_t type_id, double x, double y,
                     int64_t current, const char **out, size_t *len);
/* 1 in *found when the shop type exists. */
res_t shop_type_exists(struct req *rq, int64_t type_id, int *found);
/* Inserts a shop (every required field set) and returns its id. */
res_t shop_insert(struct req *rq, const struct shop_in *in, int64_t *id);
/* Updates the fields present in `in`; *found = 0 for an unknown id. */
res_t shop_update(struct req *rq, const struct shop_in *in, int *found);

/* ---- shop.c: pure rules ---- */

/* The shop row r of t (SHOP_COLS order) as a new JSON object (caller owns
 * it). ZEROFILL columns (sold, comments, score) arrive as "0000004215" and
 * are read as decimal integers. NULL columns are omitted. */
struct json_object *shop_row_json(const struct sql_rows *t, unsigned r);
/* 1 when v (n bytes) is Shop JSON as the cache writes it: an object in
 * the envelope's form (no json-c escaped slash "\/"). */
int shop_text_plain(const char *v, size_t n);
/* The near list's item for the cached Shop JSON v (n bytes): v with
 * `"distance":` dist (JSON number text) added as its last field, i.e. the
 * bytes of shop_row_json plus reply_add_dbl(distance); *len its length.
 * NULL when v is not in the cache's form (shop_text_plain) or is not a
 * shop of type type_id: the caller reads that shop from MySQL. */
char *shop_near_item(struct arena *a, const char *v, size_t n, int64_t type_id,
                     const char *dist, size_t *len);
/* LIKE pattern "%name%" with '!' escaping '!', '%' and '_' (use with
 * ESCAPE '!'), so a user's % and _ match themselves. */
char *shop_like_pattern(struct arena *a, const char *name);
/* Cache TTL in seconds: TTL_CACHE_SHOP plus jitter folded into
 * 0..TTL_CACHE_JITTER, so keys written together expire apart. */
int shop_cache_ttl(uint32_t jitter);
/* sortBy value -> enum; -1 when unknown. NULL/"" is SHOP_SORT_ID. */
int shop_sort_parse(const char *s);

#endif
