/*
 * test_stream.c: stream_parse.c on canned XREADGROUP replies, fed as RESP
 * bytes through hiredis' reader (no server).
 */
#include "../../app/core/arena.h"
#include "../../app/stream/stream.h"
#include "t.h"

#include <hiredis/hiredis.h>

/* Parses RESP text into a reply (caller frees), or NULL. */
static redisReply *
resp(const char *bytes)
{
    redisReader *rd = redisReaderCreate();
    void *r = NULL;
    redisReaderFeed(rd, bytes, strlen(bytes));
    if (redisReaderGetReply(rd, &r) != REDIS_OK)
        r = NULL;
    redisReaderFree(rd);
    return r;
}

static int
parse(struct arena *a, const char *bytes, struct stream_entry **e, size_t *n)
{
    redisReply *r = resp(bytes);
    if (r == NULL)
        return -99;
    int rc = stream_parse_read(a, r, e, n);
    freeReplyObject(r);
    return rc;
}

static void
test_timeout_nil(void)
{
    struct arena *a = arena_new();
    struct stream_entry *e = (void *)1;
    size_t n = 7;
    CHECK(parse(a, "*-1\r\n", &e, &n) == 0);
    CHECK(n == 0);
    CHECK(parse(a, "$-1\r\n", &e, &n) == 0);
    CHECK(n == 0);
    CHECK(parse(a, "*0\r\n", &e, &n) == 0);
    CHECK(n == 0);
    arena_free(a);
}

static void
test_two_entries(void)
{
    struct arena *a = arena_new();
    const char *b = "*1\r\n"
                    "*2\r\n$13\r\nstream.orders\r\n"
                    "*2\r\n"
                    "*2\r\n$15\r\n1700000000000-0\r\n"
                    "*6\r\n$6\r\nuserId\r\n$4\r\n1010\r\n"
                    "$9\r\nvoucherId\r\n$2\r\n42\r\n"
                    "$2\r\nid\r\n$18\r\n123456789012345678\r\n"
                    "*2\r\n$15\r\n1700000000000-1\r\n"
                    "*2\r\n$1\r\nk\r\n$0\r\n\r\n";
    struct stream_entry *e;
    size_t n;
    CHECK(parse(a, b, &e, &n) == 0);
    CHECK(n == 2);
    if (n == 2) {
        CHECK_STR(e[0].id, "1700000000000-0");
        CHECK(e[0].nfields == 3);
        CHECK_STR(stream_entry_get(&e[0], "userId"), "1010");
        CHECK_STR(stream_entry_get(&e[0], "voucherId"), "42");
        CHECK_STR(stream_entry_get(&e[0], "id"), "123456789012345678");
        CHECK(stream_entry_get(&e[0], "nope") == NULL);
        CHECK_STR(e[1].id, "1700000000000-1");
        CHECK_STR(stream_entry_get(&e[1], "k"), "");
    }
    arena_free(a);
}

static void
test_pending_deleted(void)
{
    /* XREADGROUP ... 0 on an entry trimmed while pending: [id, nil] */
    struct arena *a = arena_new();
    const char *b = "*1\r\n*2\r\n$1\r\ns\r\n*2\r\n"
                    "*2\r\n$3\r\n5-0\r\n*-1\r\n"
                    "*2\r\n$3\r\n6-0\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n";
    struct stream_entry *e;
    size_t n;
    CHECK(parse(a, b, &e, &n) == 0);
    CHECK(n == 2);
    if (n == 2) {
        CHECK_STR(e[0].id, "5-0");
        CHECK(e[0].nfields == 0);
        CHECK(stream_entry_get(&e[0], "a") == NULL);
        CHECK_STR(stream_entry_get(&e[1], "a"), "b");
    }
    /* a pending read with nothing pending: [[key, []]] */
    CHECK(parse(a, "*1\r\n*2\r\n$1\r\ns\r\n*0\r\n", &e, &n) == 0);
    CHECK(n == 0);
    arena_free(a);
}

static void
test_malformed(void)
{
    struct arena *a = arena_new();
    struct stream_entry *e;
    size_t n;
    CHECK(parse(a, ":1\r\n", &e, &n) == -1);
    CHECK(parse(a, "-NOGROUP no such group\r\n", &e, &n) == -1);
    /* two streams where we read one */
    CHECK(parse(a, "*2\r\n*2\r\n$1\r\ns\r\n*0\r\n*2\r\n$1\r\nt\r\n*0\r\n", &e,
                &n) == -1);
    /* odd number of field/value items */
    CHECK(parse(a,
                "*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n1-0\r\n"
                "*1\r\n$1\r\na\r\n",
                &e, &n) == -1);
    /* entry id not a string */
    CHECK(parse(a, "*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n:1\r\n*0\r\n", &e, &n) ==
          -1);
    CHECK(stream_parse_read(a, NULL, &e, &n) == -1);
    arena_free(a);
}

static void
test_pending_autoclaim_info(void)
{
    struct arena *a = arena_new();
    /* XPENDING extended form */
    redisReply *r = resp("*2\r\n*4\r\n$3\r\n1-1\r\n$3\r\nh:1\r\n"
                         ":1500\r\n:3\r\n*4\r\n$3\r\n2-0\r\n$3\r\nh:2"
                         "\r\n:0\r\n:1\r\n");
    struct stream_pending *p;
    size_t n;
    CHECK(r && stream_parse_pending(a, r, &p, &n) == 0 && n == 2);
    if (n == 2) {
        CHECK_STR(p[0].id, "1-1");
        CHECK_STR(p[0].consumer, "h:1");
        CHECK(p[0].idle_ms == 1500 && p[0].deliveries == 3);
        CHECK(p[1].deliveries == 1);
    }
    freeReplyObject(r);
    r = resp("*1\r\n*3\r\n$3\r\n1-1\r\n$1\r\nx\r\n:1\r\n:3\r\n");
    CHECK(r && stream_parse_pending(a, r, &p, &n) < 0);
    freeReplyObject(r);
    /* XAUTOCLAIM: cursor, one entry, one deleted id */
    r = resp("*3\r\n$3\r\n0-0\r\n*1\r\n*2\r\n$3\r\n5-0\r\n*2\r\n"
             "$1\r\nk\r\n$1\r\nv\r\n*1\r\n$3\r\n4-0\r\n");
    const char *next, **gone;
    size_t ng;
    struct stream_entry *e;
    CHECK(r && stream_parse_autoclaim(a, r, &next, &e, &n, &gone, &ng) == 0);
    CHECK_STR(next, "0-0");
    CHECK(n == 1 && ng == 1);
    if (n == 1 && ng == 1) {
        CHECK_STR(stream_entry_get(&e[0], "k"), "v");
        CHECK_STR(gone[0], "4-0");
    }
    freeReplyObject(r);
    r = resp("$3\r\n0-0\r\n");
    CHECK(r && stream_parse_autoclaim(a, r, &next, &e, &n, &gone, &ng) < 0);
    freeReplyObject(r);
    /* XINFO GROUPS (7.0: lag may be nil) and XINFO CONSUMERS */
    r = resp("*1\r\n*12\r\n$4\r\nname\r\n$2\r\ng1\r\n"
             "$9\r\nconsumers\r\n:2\r\n$7\r\npending\r\n:4\r\n"
             "$17\r\nlast-delivered-id\r\n$3\r\n9-1\r\n"
             "$12\r\nentries-read\r\n:9\r\n$3\r\nlag\r\n$-1\r\n");
    struct stream_group_info *g;
    CHECK(r && stream_parse_groups(a, r, &g, &n) == 0 && n == 1);
    if (n == 1) {
        CHECK_STR(g[0].name, "g1");
        CHECK_STR(g[0].last_delivered, "9-1");
        CHECK(g[0].consumers == 2 && g[0].pending == 4 && g[0].lag == -1);
    }
    freeReplyObject(r);
    r = resp("*1\r\n*6\r\n$4\r\nname\r\n$3\r\nh:7\r\n$7\r\npending"
             "\r\n:0\r\n$4\r\nidle\r\n:12000\r\n");
    struct stream_consumer_info *c;
    CHECK(r && stream_parse_consumers(a, r, &c, &n) == 0 && n == 1);
    if (n == 1) {
        CHECK_STR(c[0].name, "h:7");
        CHECK(c[0].pending == 0 && c[0].idle_ms == 12000);
    }
    freeReplyObject(r);
    r = resp("*1\r\n*2\r\n$7\r\npending\r\n:0\r\n");
    CHECK(r && stream_parse_consumers(a, r, &c, &n) < 0); /* no name */
    freeReplyObject(r);
    arena_free(a);
}

int
main(void)
{
    RUN(test_timeout_nil);
    RUN(test_two_entries);
    RUN(test_pending_deleted);
    RUN(test_malformed);
    RUN(test_pending_autoclaim_info);
    T_DONE();
}
