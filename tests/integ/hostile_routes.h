/*
 * hostile_routes.h: the routes test_hostile.c attacks, one row per route
 * of the worker's route tables (app/wire.c lists them). The unit test
 * tests/unit/test_hostile_cover.c fails when a route of wire_tables
 * (app/wire.c) has no row here, or when a row's H_AUTH/H_ADMIN disagree with
 * the route's ROUTE_AUTH/ROUTE_ADMIN, so a new route cannot be forgotten.
 *
 * HOW TO ADD A ROUTE: add one row to hostile_routes[] below:
 *   {"METHOD", "/pattern/{param}" exactly as in the route table, flags,
 *    "a plausible query (no '?')", {query parameters the handler reads},
 *    "a plausible JSON body" or NULL, {JSON fields the handler validates}}
 * flags: H_AUTH (ROUTE_AUTH), H_ADMIN (ROUTE_ADMIN), H_JSON (the handler
 * requires a JSON object body), H_MULTIPART (the upload form),
 * H_RELOGIN (the route ends the caller's session: the logged-in pass
 * logs in afresh for every request).
 * Query parameter kinds: Q_PAGE (`current`), Q_ID (a positive id),
 * Q_STR (anything else); Q_REQ marks a required one. Field kinds: HF_STR,
 * HF_ID (positive id), HF_ID0 (id or 0); HF_REQ marks a required one.
 * The sweep then sends every hostile variant (ids, queries, bodies,
 * fields, content types, methods, headers, lengths) to the new route.
 */
#ifndef HMDP_HOSTILE_ROUTES_H
#define HMDP_HOSTILE_ROUTES_H

#include <stddef.h>

enum h_flags {
    H_AUTH = 1,
    H_ADMIN = 2,
    H_JSON = 4,
    H_MULTIPART = 8,
    H_RELOGIN = 16,
};

enum h_kind {
    Q_PAGE = 1,
    Q_ID = 2,
    Q_STR = 3,
    HF_STR = 1,
    HF_ID = 2,
    HF_ID0 = 3,
    Q_REQ = 0x100,
    HF_REQ = 0x100,
};

struct h_param {
    const char *name;
    unsigned kind; /* enum h_kind, | Q_REQ / HF_REQ */
};

#define H_MAX_PARAMS 4

struct h_route {
    const char *method;
    const char *pattern;
    unsigned flags;
    const char *query;                    /* plausible, "" for none */
    struct h_param qparams[H_MAX_PARAMS]; /* what the handler reads */
    const char *body;                     /* plausible JSON or NULL */
    struct h_param fields[H_MAX_PARAMS];  /* validated JSON fields */
};

static const struct h_route hostile_routes[] = {
    /* ---- user (app/user/user_http.c) ---- */
    {"POST",
     "/user/code",
     0,
     "phone=13800000000",
     {{"phone", Q_STR | Q_REQ}},
     NULL,
     {{0}}},
    {"POST",
     "/user/login",
     H_JSON,
     "",
     {{0}},
     "{\"phone\":\"13800000000\",\"code\":\"000000\"}",
     {{"phone", HF_STR | HF_REQ}, {"code", HF_STR}, {"password", HF_STR}}},
    {"POST", "/user/logout", H_AUTH | H_RELOGIN, "", {{0}}, NULL, {{0}}},
    {"POST", "/user/logout/all", H_AUTH | H_RELOGIN, "", {{0}}, NULL, {{0}}},
    {"PUT",
     "/user/password",
     H_AUTH | H_JSON,
     "",
     {{0}},
     "{\"password\":\"hostile-pass-1\"}",
     {{"password", HF_STR | HF_REQ},
      {"oldPassword", HF_STR},
      {"code", HF_STR}}},
    {"GET", "/user/me", H_AUTH, "", {{0}}, NULL, {{0}}},
    {"GET", "/user/info/{id}", 0, "", {{0}}, NULL, {{0}}},
    {"GET", "/user/{id}", 0, "", {{0}}, NULL, {{0}}},
    {"POST", "/user/sign", H_AUTH, "", {{0}}, NULL, {{0}}},
    {"GET", "/user/sign/count", H_AUTH, "", {{0}}, NULL, {{0}}},
    {"GET", "/user/signCount", H_AUTH, "", {{0}}, NULL, {{0}}},
    {"GET",
     "/admin/uv",
     H_ADMIN,
     "date=20260101",
     {{"date", Q_STR}},
     NULL,
     {{0}}},

    /* ---- blog (app/blog/blog_http.c) ---- */
    {"POST",
     "/blog",
     H_AUTH | H_JSON,
     "",
     {{0}},
     "{\"title\":\"hostile\",\"content\":\"c\",\"shopId\":1}",
     {{"title", HF_STR | HF_REQ},
      {"content", HF_STR},
      {"images", HF_STR},
      {"shopId", HF_ID | HF_REQ}}},
    {"GET", "/blog/hot", 0, "current=1", {{"current", Q_PAGE}}, NULL, {{0}}},
    {"GET",
     "/blog/of/me",
     H_AUTH,
     "current=1",
     {{"current", Q_PAGE}},
     NULL,
     {{0}}},
    {"GET",
     "/blog/of/user",
     0,
     "id=1&current=1",
     {{"id", Q_ID | Q_REQ}, {"current", Q_PAGE}},
     NULL,
     {{0}}},
    {"GET", "/blog/likes/{id}", 0, "", {{0}}, NULL, {{0}}},
    {"PUT", "/blog/like/{id}", H_AUTH, "", {{0}}, NULL, {{0}}},
    {"GET", "/blog/{id}", 0, "", {{0}}, NULL, {{0}}},
    {"DELETE", "/blog/{id}", H_AUTH, "", {{0}}, NULL, {{0}}},
    {"GET", "/comment/hot", 0, "current=1", {{"current", Q_PAGE}}, NULL, {{0}}},
    {"GET",
     "/comment/{blogId}",
     0,
     "current=1",
     {{"current", Q_PAGE}},
     NULL,
     {{0}}},
    {"POST",
     "/comment/post",
     H_AUTH | H_JSON,
     "",
     {{0}},
     "{\"blogId\":1,\"content\":\"hostile\"}",
     {{"blogId", HF_ID | HF_REQ},
      {"parentId", HF_ID0},
      {"answerId", HF_ID0},
      {"content", HF_STR | HF_REQ}}},
    {"PUT", "/comment/like/{id}", H_AUTH, "", {{0}}, NULL, {{0}}},
    {"DELETE", "/comment/{id}", H_AUTH, "", {{0}}, NULL, {{0}}},

    /* ---- upload (app/upload/upload_http.c) ---- */
    {"POST", "/upload/blog", H_AUTH | H_MULTIPART, "", {{0}}, NULL, {{0}}},
    {"GET",
     "/upload/blog/delete",
     H_AUTH,
     "name=/imgs/blogs/1/2/0123456789abcdef0123456789abcdef.png",
     {{"name", Q_STR | Q_REQ}},
     NULL,
     {{0}}},
    /* ---- follow and feed (app/follow, app/feed) ---- */
    {"PUT", "/follow/{id}/{isFollow}", H_AUTH, "", {{0}}, NULL, {{0}}},
    {"GET", "/follow/or/not/{id}", H_AUTH, "", {{0}}, NULL, {{0}}},
    {"GET", "/follow/common/{id}", H_AUTH, "", {{0}}, NULL, {{0}}},
    {"GET",
     "/blog/of/follow",
     H_AUTH,
     "lastId=1800000000000&offset=0",
     {{"lastId", Q_ID}, {"offset", Q_STR}},
     NULL,
     {{0}}},

    /* ---- shop (app/shop): writes aim at type 10 and a missing id so
     * the seed shops other tests read stay as they are ---- */
    {"GET", "/shop/{id}", 0, "", {{0}}, NULL, {{0}}},
    {"POST",
     "/shop",
     H_ADMIN | H_JSON,
     "",
     {{0}},
     "{\"name\":\"hostile\",\"typeId\":10,\"images\":\"i\",\"address\":"
     "\"a\",\"x\":120.1,\"y\":30.1}",
     {{"name", HF_STR | HF_REQ},
      {"typeId", HF_ID | HF_REQ},
      {"images", HF_STR | HF_REQ},
      {"address", HF_STR | HF_REQ}}},
    {"PUT",
     "/shop",
     H_ADMIN | H_JSON,
     "",
     {{0}},
     "{\"id\":999999999,\"name\":\"hostile\"}",
     {{"id", HF_ID | HF_REQ}, {"name", HF_STR}, {"area", HF_STR}}},
    {"GET",
     "/shop/of/name",
     0,
     "name=%E8%8C%B6&current=1",
     {{"name", Q_STR}, {"current", Q_PAGE}},
     NULL,
     {{0}}},
    {"GET",
     "/shop/of/type",
     0,
     "typeId=1&current=1&x=120.149993&y=30.334229",
     {{"typeId", Q_ID | Q_REQ},
      {"current", Q_PAGE},
      {"x", Q_STR},
      {"y", Q_STR}},
     NULL,
     {{0}}},
    {"GET", "/shop-type/list", 0, "", {{0}}, NULL, {{0}}},

    /* ---- operations (app/ops) ---- */
    {"GET", "/health", 0, "", {{0}}, NULL, {{0}}},

    /* ---- vouchers (app/voucher): on shop 14 ---- */
    {"GET", "/voucher/list/{shopId}", 0, "", {{0}}, NULL, {{0}}},
    {"POST",
     "/voucher",
     H_ADMIN | H_JSON,
     "",
     {{0}},
     "{\"shopId\":14,\"title\":\"hostile\",\"payValue\":1,"
     "\"actualValue\":2,\"type\":0}",
     {{"shopId", HF_ID | HF_REQ},
      {"title", HF_STR | HF_REQ},
      {"subTitle", HF_STR},
      {"rules", HF_STR}}},
    {"POST",
     "/voucher/seckill",
     H_ADMIN | H_JSON,
     "",
     {{0}},
     "{\"shopId\":14,\"title\":\"hostile\",\"payValue\":1,"
     "\"actualValue\":2,\"type\":1,\"stock\":5,\"beginTime\":"
     "\"2026-01-01T00:00:00\",\"endTime\":\"2036-01-01T00:00:00\"}",
     {{"shopId", HF_ID | HF_REQ},
      {"title", HF_STR | HF_REQ},
      {"beginTime", HF_STR | HF_REQ},
      {"endTime", HF_STR | HF_REQ}}},
    {"POST", "/voucher-order/seckill/{id}", H_AUTH, "", {{0}}, NULL, {{0}}},

    /* ---- messages (app/message) ---- */
    {"GET",
     "/message/list",
     H_AUTH,
     "size=20",
     {{"before", Q_STR}, {"size", Q_STR}},
     NULL,
     {{0}}},
    {"GET", "/message/unread/count", H_AUTH, "", {{0}}, NULL, {{0}}},
    {"PUT", "/message/read", H_AUTH, "", {{"upTo", Q_STR}}, NULL, {{0}}},
    {"POST",
     "/message/chat/{userId}",
     H_AUTH | H_JSON,
     "",
     {{0}},
     "{\"content\":\"hostile\"}",
     {{"content", HF_STR | HF_REQ}}},
    {"GET",
     "/message/chat/{userId}",
     H_AUTH,
     "size=20",
     {{"before", Q_STR}, {"size", Q_STR}},
     NULL,
     {{0}}},

    /* ---- stream admin (app/admin): a stream nobody uses ---- */
    {"GET",
     "/admin/streams",
     H_ADMIN,
     "stream=fx.hostile",
     {{"stream", Q_STR}},
     NULL,
     {{0}}},
    {"POST",
     "/admin/streams/dlq/requeue",
     H_ADMIN | H_JSON,
     "",
     {{0}},
     "{\"stream\":\"fx.hostile\"}",
     {{"stream", HF_STR | HF_REQ}}},
    {"POST",
     "/admin/streams/dlq/drop",
     H_ADMIN | H_JSON,
     "",
     {{0}},
     "{\"stream\":\"fx.hostile\",\"ids\":[\"1-1\"]}",
     {{"stream", HF_STR | HF_REQ}}},
};

#define HOSTILE_NROUTES (sizeof(hostile_routes) / sizeof(hostile_routes[0]))

#endif
