/*
 * test_follow.c: the follow module's pure rules (app/follow/follow.c).
 */
#include "../../app/follow/follow.h"
#include "t.h"

static void
test_parse_flag(void)
{
    int v = -1;
    CHECK(follow_parse_flag("true", &v) == 0 && v == 1);
    CHECK(follow_parse_flag("false", &v) == 0 && v == 0);
    CHECK(follow_parse_flag("TRUE", &v) < 0);
    CHECK(follow_parse_flag("1", &v) < 0);
    CHECK(follow_parse_flag("", &v) < 0);
    CHECK(follow_parse_flag("truex", &v) < 0);
    CHECK(follow_parse_flag(NULL, &v) < 0);
}

static void
test_ids_clean(void)
{
    int64_t a[] = {30, 0, 7, 30, -1, 1010, 7};
    size_t n = follow_ids_clean(a, 7);
    CHECK(n == 3);
    CHECK(a[0] == 7 && a[1] == 30 && a[2] == 1010);
    int64_t b[] = {0};
    CHECK(follow_ids_clean(b, 1) == 0); /* the sentinel alone: nobody */
    CHECK(follow_ids_clean(b, 0) == 0);
}

int
main(void)
{
    RUN(test_parse_flag);
    RUN(test_ids_clean);
    T_DONE();
}
