/*
 * test_sign.c: the sign-in streak rule (user_sign_streak) on the value of
 * BITFIELD sign:{uid}:{yyyyMM} GET u{dayOfMonth} 0, whose least
 * significant bit is today: gaps end the streak, and the streak never
 * reaches into the previous month, because that month is another key.
 */
#include "../../app/core/arena.h"
#include "../../app/core/util.h"
#include "../../app/store/keys.h"
#include "../../app/user/user.h"
#include "t.h"

#include <stdint.h>
#include <string.h>
#include <time.h>

/* The BITFIELD u{mday} value of a month where days[] (1-based) were
 * signed: day 1 is the most significant of mday bits, today the least. */
static uint64_t
month_bits(int mday, const int *days, int ndays)
{
    uint64_t v = 0;
    for (int i = 0; i < ndays; i++)
        if (days[i] >= 1 && days[i] <= mday)
            v |= 1ULL << (mday - days[i]);
    return v;
}

static void
test_gaps(void)
{
    /* today the 10th; signed 10, 9, 8, then a gap on the 7th */
    int a[] = {1, 2, 3, 4, 5, 6, 8, 9, 10};
    CHECK(user_sign_streak(month_bits(10, a, 9)) == 3);
    /* not signed today: 0 however long the run before it */
    int b[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    CHECK(user_sign_streak(month_bits(10, b, 9)) == 0);
    /* only today */
    int c[] = {3, 10};
    CHECK(user_sign_streak(month_bits(10, c, 2)) == 1);
    /* every day so far */
    int d[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    CHECK(user_sign_streak(month_bits(10, d, 10)) == 10);
    /* gap yesterday only */
    int e[] = {1, 2, 3, 4, 5, 6, 7, 8, 10};
    CHECK(user_sign_streak(month_bits(10, e, 9)) == 1);
    CHECK(user_sign_streak(0) == 0);
    /* all 64 bits set ends (no endless shift) */
    CHECK(user_sign_streak(UINT64_MAX) == 64);
}

static void
test_month_boundary(void)
{
    /* 2024-01-31 and 2024-02-01 at noon, local time */
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = 124;
    tm.tm_mon = 0;
    tm.tm_mday = 31;
    tm.tm_hour = 12;
    tm.tm_isdst = -1;
    time_t jan31 = mktime(&tm);
    time_t feb1 = jan31 + 86400;
    char ym1[8], ym2[8];
    util_date_ym(jan31, ym1);
    util_date_ym(feb1, ym2);
    CHECK_STR(ym1, "202401");
    CHECK_STR(ym2, "202402");
    CHECK(util_date_mday(jan31) == 31);
    CHECK(util_date_mday(feb1) == 1);

    /* the two days live in different keys */
    struct arena *a = arena_new();
    CHECK_STR(key_sign(a, 1010, ym1), "sign:1010:202401");
    CHECK_STR(key_sign(a, 1010, ym2), "sign:1010:202402");
    arena_free(a);

    /* January fully signed: on Jan 31 the streak is 31 */
    int jan[31];
    for (int i = 0; i < 31; i++)
        jan[i] = i + 1;
    CHECK(user_sign_streak(month_bits(31, jan, 31)) == 31);
    /* Feb 1 signed: February's key holds only day 1 (u1 = 1); January's
     * run does not carry over */
    int feb[] = {1};
    CHECK(user_sign_streak(month_bits(1, feb, 1)) == 1);
    /* Feb 1 not signed yet: 0, even after a full January */
    CHECK(user_sign_streak(month_bits(1, feb, 0)) == 0);
}

int
main(void)
{
    RUN(test_gaps);
    RUN(test_month_boundary);
    T_DONE();
}
