/*
 * test_stream_policy.c: stream_policy.c without a server: ids, retention
 * rules, the safe trim point (floors, groups, the stalled group), back-off
 * and consumer names.
 */
#include "../../app/stream/stream_policy.h"
#include "t.h"

#include <stdint.h>

static struct stream_id
sid(uint64_t ms, uint64_t seq)
{
    struct stream_id i = {ms, seq};
    return i;
}

static void
test_ids(void)
{
    struct stream_id a;
    CHECK(stream_id_parse("1700000000000-5", &a) == 0);
    CHECK(a.ms == 1700000000000ULL && a.seq == 5);
    CHECK(stream_id_parse("42", &a) == 0 && a.ms == 42 && a.seq == 0);
    CHECK(stream_id_parse("18446744073709551615-18446744073709551615", &a) ==
          0);
    CHECK(stream_id_parse("18446744073709551616-0", &a) < 0);
    const char *bad[] = {"",     "-",    "1-",  "-1",     "1--2", " 1-2",
                         "1-2 ", "+1-2", "1-a", "0x10-1", "1-2-3"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK(stream_id_parse(bad[i], &a) < 0);
    CHECK(stream_id_parse(NULL, &a) < 0);
    CHECK(stream_id_cmp(sid(1, 2), sid(1, 3)) < 0);
    CHECK(stream_id_cmp(sid(2, 0), sid(1, 9)) > 0);
    CHECK(stream_id_cmp(sid(2, 9), sid(2, 9)) == 0);
    struct stream_id n = stream_id_next(sid(5, UINT64_MAX));
    CHECK(n.ms == 6 && n.seq == 0);
    n = stream_id_next(sid(5, 1));
    CHECK(n.ms == 5 && n.seq == 2);
    struct arena *ar = arena_new();
    CHECK_STR(stream_id_str(ar, sid(17, 3)), "17-3");
    arena_free(ar);
}

static void
test_retention_rules(void)
{
    struct stream_retention r;
    CHECK(stream_retention_parse("86400 10000 1", &r) == 0);
    CHECK(r.age_s == 86400 && r.count == 10000 && r.priority == 1 &&
          !r.after_ack);
    CHECK(stream_retention_parse("  86400\t10000 2 after-ack ", &r) == 0);
    CHECK(r.after_ack && r.priority == 2);
    const char *bad[] = {"",       "1 2",       "1 2 x",
                         "-1 2 3", "1 2 3 ack", "1 2 3 after-ack x",
                         "1x 2 3", "1 2 3000"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK(stream_retention_parse(bad[i], &r) < 0);

    struct stream_retention rules[] = {
        {"stream.orders", 86400, 10000, 1, 0},
        {"message.stream:*", 604800, 1000, 3, 0},
        {"message.*", 60, 1, 9, 0},
        {"stream.chat", 86400, 10000, 2, 1},
    };
    CHECK(stream_retention_find(rules, 4, "stream.orders") == &rules[0]);
    CHECK(stream_retention_find(rules, 4, "message.stream:12") == &rules[1]);
    CHECK(stream_retention_find(rules, 4, "message.wake") == &rules[2]);
    CHECK(stream_retention_find(rules, 4, "stream.orders:dlq") == NULL);
    CHECK(stream_retention_find(rules, 4, "stream.chat") == &rules[3]);
}

#define DAY_MS 86400000LL
#define NOW    (1800000000000LL)

/* A stream of one entry per second over two days, count floor 10. */
static void
test_trim_floors(void)
{
    struct stream_retention r = {"s", 86400, 10, 1, 0};
    struct stream_trim_in in = {0};
    in.now_ms = NOW;
    in.len = 172800;
    in.ret = &r;
    in.has_count_bound = 1;
    in.count_bound = sid((uint64_t)NOW - 10000, 0);
    struct stream_id p;
    const char *held = "x";
    /* the age floor limits: everything older than one day */
    CHECK(stream_trim_point(&in, &p, &held) == 1);
    CHECK(p.ms == (uint64_t)(NOW - DAY_MS) && p.seq == 0);
    CHECK(held == NULL);
    /* the count floor limits: the 10th newest is two days old */
    in.count_bound = sid((uint64_t)(NOW - 2 * DAY_MS), 7);
    CHECK(stream_trim_point(&in, &p, &held) == 1);
    CHECK(p.ms == (uint64_t)(NOW - 2 * DAY_MS) && p.seq == 7);
    /* fewer entries than the count floor: nothing */
    in.has_count_bound = 0;
    CHECK(stream_trim_point(&in, &p, NULL) == 0);
    /* no rule: nothing */
    in.has_count_bound = 1;
    in.ret = NULL;
    CHECK(stream_trim_point(&in, &p, NULL) == 0);
    /* empty stream */
    in.ret = &r;
    in.len = 0;
    CHECK(stream_trim_point(&in, &p, NULL) == 0);
    /* a count floor of 0 leaves the age floor alone */
    struct stream_retention r0 = {"s", 60, 0, 1, 0};
    in.ret = &r0;
    in.len = 5;
    in.has_count_bound = 0;
    CHECK(stream_trim_point(&in, &p, NULL) == 1);
    CHECK(p.ms == (uint64_t)(NOW - 60000));
}

/* Groups hold the point back: a stalled group with old pending entries,
 * and one that has not even been handed entries yet. */
static void
test_trim_groups(void)
{
    struct stream_retention r = {"s", 0, 1, 1, 0};
    struct stream_group_state g[2] = {
        {"fast", sid((uint64_t)NOW - 5, 0), 0, {0, 0}},
        {"slow", sid((uint64_t)NOW - 5, 0), 1, sid(1000, 3)},
    };
    struct stream_trim_in in = {0};
    in.now_ms = NOW;
    in.len = 100;
    in.ret = &r;
    in.has_count_bound = 1;
    in.count_bound = sid((uint64_t)NOW - 1, 0);
    in.groups = g;
    in.ngroups = 1;
    struct stream_id p;
    const char *held = NULL;
    /* the fast group has everything up to NOW-5 acknowledged */
    CHECK(stream_trim_point(&in, &p, &held) == 1);
    CHECK(p.ms == (uint64_t)NOW - 5 && p.seq == 1);
    CHECK_STR(held, "fast");
    /* the slow group's oldest pending entry is where trimming stops */
    in.ngroups = 2;
    CHECK(stream_trim_point(&in, &p, &held) == 1);
    CHECK(p.ms == 1000 && p.seq == 3);
    CHECK_STR(held, "slow");
    /* a group that was handed nothing (created from 0, never read): it
     * needs everything, so nothing goes */
    g[1].has_pending = 0;
    g[1].last_delivered = sid(0, 0);
    CHECK(stream_trim_point(&in, &p, &held) == 0);
    /* a group whose last delivered is old and nothing pending: entries
     * after it are its */
    g[1].last_delivered = sid(500, 0);
    CHECK(stream_trim_point(&in, &p, &held) == 1);
    CHECK(p.ms == 500 && p.seq == 1);
    CHECK(stream_id_cmp(stream_group_need(&g[1]), sid(500, 1)) == 0);
}

static void
test_trim_after_ack(void)
{
    struct stream_retention r = {"chat", 86400, 1, 2, 1};
    struct stream_trim_in in = {0};
    in.now_ms = NOW;
    in.len = 10;
    in.ret = &r;
    in.has_count_bound = 1;
    in.count_bound = sid((uint64_t)NOW, 0);
    struct stream_id p;
    /* no record of the safe point a day ago: nothing */
    CHECK(stream_trim_point(&in, &p, NULL) == 0);
    in.has_acked_bound = 1;
    in.acked_bound = sid((uint64_t)NOW - 1000, 4); /* synced late */
    CHECK(stream_trim_point(&in, &p, NULL) == 1);
    CHECK(p.ms == (uint64_t)NOW - 1000 && p.seq == 4);
}

static void
test_backoff_and_names(void)
{
    CHECK(stream_backoff_ms(1, 100, 5000) == 100);
    CHECK(stream_backoff_ms(2, 100, 5000) == 200);
    CHECK(stream_backoff_ms(4, 100, 5000) == 800);
    CHECK(stream_backoff_ms(40, 100, 5000) == 5000);
    CHECK(stream_backoff_ms(0, 100, 5000) == 100);
    char buf[64], host[32];
    long pid = 0;
    CHECK_STR(stream_consumer_name(buf, sizeof(buf), "box", 4242), "box:4242");
    CHECK(stream_consumer_name_parse(buf, host, sizeof(host), &pid) == 0);
    CHECK_STR(host, "box");
    CHECK(pid == 4242);
    CHECK(stream_consumer_name_parse("c1", host, sizeof(host), &pid) < 0);
    CHECK(stream_consumer_name_parse(":12", host, sizeof(host), &pid) < 0);
    CHECK(stream_consumer_name_parse("h:0", host, sizeof(host), &pid) < 0);
    CHECK(stream_consumer_name_parse("h:12x", host, sizeof(host), &pid) < 0);
    CHECK(stream_consumer_name_parse("a:b:77", host, sizeof(host), &pid) == 0);
    CHECK_STR(host, "a:b");
    CHECK(pid == 77);
    CHECK(stream_consumer_name_parse("0123456789012345678901234567890123:1",
                                     host, sizeof(host), &pid) < 0);
}

int
main(void)
{
    RUN(test_ids);
    RUN(test_retention_rules);
    RUN(test_trim_floors);
    RUN(test_trim_groups);
    RUN(test_trim_after_ack);
    RUN(test_backoff_and_names);
    T_DONE();
}
