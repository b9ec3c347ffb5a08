/*
 * test_shop.c: the shop module's pure rules: the Shop JSON shape from a
 * MySQL row (ZEROFILL columns, omitted nulls), LIKE escaping, the
 * jittered cache TTL and the sortBy option.
 */
#include "../../app/core/arena.h"
#include "../../app/shop/shop_private.h"
#include "../../app/store/keys.h"
#include "t.h"

#include <math.h>

static struct json_object *
field(struct json_object *o, const char *k)
{
    struct json_object *v = NULL;
    json_object_object_get_ex(o, k, &v);
    return v;
}

static void
test_row_json(void)
{
    static const char *const src[15] = {"1",
                                        "103茶餐厅",
                                        "1",
                                        "https://a/1.jpg,https://a/2.jpg",
                                        "大关",
                                        "金华路锦昌文华苑29号",
                                        "120.149192",
                                        "30.316078",
                                        "80",
                                        "0000004215",
                                        "0000003035",
                                        "37",
                                        "10:00-22:00",
                                        "2021-12-22 18:10:39",
                                        "2022-01-13 17:32:19"};
    struct arena *a = arena_new();
    char *cells[15];
    for (int i = 0; i < 15; i++)
        cells[i] = arena_strdup(a, src[i]);
    struct sql_rows t = {1, 15, cells};
    struct json_object *o = shop_row_json(&t, 0);
    CHECK(json_object_get_int64(field(o, "id")) == 1);
    CHECK_STR(json_object_get_string(field(o, "name")), "103茶餐厅");
    CHECK(json_object_get_int64(field(o, "typeId")) == 1);
    CHECK(json_object_get_int64(field(o, "sold")) == 4215);
    CHECK(json_object_get_int64(field(o, "comments")) == 3035);
    CHECK(json_object_get_int64(field(o, "score")) == 37);
    CHECK(json_object_get_int64(field(o, "avgPrice")) == 80);
    CHECK(json_object_is_type(field(o, "x"), json_type_double));
    CHECK(fabs(json_object_get_double(field(o, "x")) - 120.149192) < 1e-9);
    CHECK(fabs(json_object_get_double(field(o, "y")) - 30.316078) < 1e-9);
    CHECK_STR(json_object_get_string(field(o, "createTime")),
              "2021-12-22T18:10:39");
    CHECK_STR(json_object_get_string(field(o, "updateTime")),
              "2022-01-13T17:32:19");
    CHECK_STR(json_object_get_string(field(o, "openHours")), "10:00-22:00");
    CHECK(field(o, "distance") == NULL);
    json_object_put(o);

    /* zerofill "0000000010" is ten, not octal eight; nulls are omitted */
    cells[4] = NULL;
    cells[8] = NULL;
    cells[9] = arena_strdup(a, "0000000010");
    cells[11] = arena_strdup(a, "05");
    cells[12] = NULL;
    o = shop_row_json(&t, 0);
    CHECK(json_object_get_int64(field(o, "sold")) == 10);
    CHECK(json_object_get_int64(field(o, "score")) == 5);
    CHECK(field(o, "area") == NULL);
    CHECK(field(o, "avgPrice") == NULL);
    CHECK(field(o, "openHours") == NULL);
    CHECK(field(o, "address") != NULL);
    json_object_put(o);
    arena_free(a);
}

/* Serialised as the envelope serialises data. */
static const char *
plain(struct json_object *o)
{
    return json_object_to_json_string_ext(
        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

static void
test_near_item(void)
{
    const char *src[15] = {"7",
                           "a \"typeId\":2 /x",
                           "3",
                           "/imgs/s.jpg",
                           "大关",
                           "路",
                           "120.1",
                           "30.2",
                           "80",
                           "0000000001",
                           "2",
                           "3",
                           NULL,
                           "2021-12-22 18:10:39",
                           "2022-01-13 17:32:19"};
    struct arena *a = arena_new();
    char *cells[15];
    for (int i = 0; i < 15; i++)
        cells[i] = src[i] ? arena_strdup(a, src[i]) : NULL;
    struct sql_rows t = {1, 15, cells};
    struct json_object *o = shop_row_json(&t, 0);
    const char *cached = arena_strdup(a, plain(o));
    struct json_object *d = json_object_new_double(1234.5678);
    const char *dist = arena_strdup(a, plain(d));
    json_object_put(d);
    json_object_object_add(o, "distance", json_object_new_double(1234.5678));
    size_t len;
    /* byte for byte the object the old path built (the name holds an
     * escaped "typeId":2 that must not be read as the field) */
    char *item = shop_near_item(a, cached, strlen(cached), 3, dist, &len);
    CHECK(item != NULL);
    CHECK_STR(item, plain(o));
    CHECK(len == strlen(plain(o)));
    CHECK(shop_near_item(a, cached, strlen(cached), 2, dist, &len) == NULL);
    CHECK(shop_near_item(a, cached, strlen(cached), 33, dist, &len) == NULL);
    json_object_put(o);
    /* not the cache's form: a miss */
    const char *esc = "{\"id\":1,\"typeId\":3,\"i\":\"\\/x\"}";
    CHECK(shop_near_item(a, esc, strlen(esc), 3, dist, &len) == NULL);
    const char *ok = "{\"id\":1,\"typeId\":3,\"i\":\"/x\"}";
    CHECK(shop_near_item(a, ok, strlen(ok), 3, dist, &len) != NULL);
    CHECK(shop_near_item(a, "", 0, 3, dist, &len) == NULL);
    CHECK(shop_near_item(a, "{\"id\":1}", 8, 3, dist, &len) == NULL);
    CHECK(shop_text_plain("{\"a\":\"\\\\/\"}", 11) == 0);
    CHECK(shop_text_plain("{\"a\":\"/\"}", 9) == 1);
    arena_free(a);
}

static void
test_like_pattern(void)
{
    struct arena *a = arena_new();
    CHECK_STR(shop_like_pattern(a, "茶"), "%茶%");
    CHECK_STR(shop_like_pattern(a, "100%"), "%100!%%");
    CHECK_STR(shop_like_pattern(a, "a_b"), "%a!_b%");
    CHECK_STR(shop_like_pattern(a, "x!y"), "%x!!y%");
    CHECK_STR(shop_like_pattern(a, "%_!"), "%!%!_!!%");
    CHECK_STR(shop_like_pattern(a, ""), "%%");
    CHECK_STR(shop_like_pattern(a, "a\\b'"), "%a\\b'%");
    arena_free(a);
}

static void
test_cache_ttl(void)
{
    CHECK(shop_cache_ttl(0) == TTL_CACHE_SHOP);
    CHECK(shop_cache_ttl(TTL_CACHE_JITTER) ==
          TTL_CACHE_SHOP + TTL_CACHE_JITTER);
    CHECK(shop_cache_ttl(TTL_CACHE_JITTER + 1) == TTL_CACHE_SHOP);
    int lo = 1 << 30, hi = 0;
    for (uint32_t j = 0; j < 100000; j += 7) {
        int t = shop_cache_ttl(j * 2654435761u);
        if (t < lo)
            lo = t;
        if (t > hi)
            hi = t;
    }
    CHECK(lo == TTL_CACHE_SHOP);
    CHECK(hi == TTL_CACHE_SHOP + TTL_CACHE_JITTER);
    CHECK(TTL_CACHE_SHOP == 1800 && TTL_CACHE_JITTER == 300);
    CHECK(TTL_CACHE_NULL == 120);
}

static void
test_sort(void)
{
    CHECK(shop_sort_parse(NULL) == SHOP_SORT_ID);
    CHECK(shop_sort_parse("") == SHOP_SORT_ID);
    CHECK(shop_sort_parse("comments") == SHOP_SORT_COMMENTS);
    CHECK(shop_sort_parse("score") == SHOP_SORT_SCORE);
    CHECK(shop_sort_parse("Score") == -1);
    CHECK(shop_sort_parse("id; DROP") == -1);
}

int
main(void)
{
    RUN(test_row_json);
    RUN(test_near_item);
    RUN(test_like_pattern);
    RUN(test_cache_ttl);
    RUN(test_sort);
    T_DONE();
}
