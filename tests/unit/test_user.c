/*
 * test_user.c: the user module's pure rules and the randomness helpers.
 */
#include "../../app/core/arena.h"
#include "../../app/core/util.h"
#include "../../app/store/keys.h"
#include "../../app/user/user.h"
#include "t.h"

static void
test_phone(void)
{
    const char *good[] = {"13686869696", "13838411438", "13456789011",
                          "14512345678", "15012345678", "16612345678",
                          "17012345678", "18812345678", "19912345678"};
    const char *bad[] = {"",
                         "1368686969",
                         "136868696961",
                         "23686869696",
                         "1368686969a",
                         "14012345678",
                         "15412345678",
                         "16012345678",
                         "17212345678",
                         "19012345678",
                         "12012345678",
                         " 3686869696",
                         NULL};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        CHECK(user_phone_valid(good[i]));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK(!user_phone_valid(bad[i]));
}

static void
test_streak(void)
{
    CHECK(user_sign_streak(0) == 0);
    CHECK(user_sign_streak(1) == 1);
    CHECK(user_sign_streak(0x6) == 0); /* not signed today */
    CHECK(user_sign_streak(0x7) == 3);
    CHECK(user_sign_streak(0x1B) == 2); /* 11011: gap two days ago */
    CHECK(user_sign_streak(0x7FFFFFFFULL) == 31);
}

static void
test_token_shape(void)
{
    CHECK(user_token_shape_ok("0123456789abcdef0123456789abcdef"));
    CHECK(!user_token_shape_ok("0123456789ABCDEF0123456789abcdef"));
    CHECK(!user_token_shape_ok("0123456789abcdef0123456789abcde"));
    CHECK(!user_token_shape_ok("0123456789abcdef0123456789abcdeg"));
    CHECK(!user_token_shape_ok(NULL));
}

/* the lazy slide: refresh below the full TTL (or with none), never a
 * missing key, nothing while the slack lasts */
static void
test_session_stale(void)
{
    CHECK(key_login_token_stale(-1));
    CHECK(!key_login_token_stale(-2));
    CHECK(key_login_token_stale(0));
    CHECK(key_login_token_stale(TTL_LOGIN_TOKEN * 1000LL - 1));
    CHECK(!key_login_token_stale(TTL_LOGIN_TOKEN * 1000LL));
    CHECK(!key_login_token_stale(TTL_LOGIN_TOKEN_SET * 1000LL));
    CHECK(TTL_LOGIN_TOKEN_SET == TTL_LOGIN_TOKEN + TTL_LOGIN_TOKEN_SLACK);
    CHECK(TTL_LOGIN_TOKEN_SLACK > 0);
}

static void
test_random(void)
{
    struct arena *a = arena_new();
    char *t1 = util_rand_hex(a, 16), *t2 = util_rand_hex(a, 16);
    CHECK(strlen(t1) == 32 && user_token_shape_ok(t1));
    CHECK(strcmp(t1, t2) != 0);
    char code[8];
    int seen[10] = {0};
    for (int i = 0; i < 200; i++) {
        util_rand_chars(code, 6, "0123456789");
        CHECK(strlen(code) == 6);
        for (int k = 0; k < 6; k++)
            seen[code[k] - '0']++;
    }
    for (int d = 0; d < 10; d++)
        CHECK(seen[d] > 0); /* 1200 draws: every digit appears */
    arena_free(a);
}

int
main(void)
{
    util_rand_init();
    RUN(test_phone);
    RUN(test_streak);
    RUN(test_token_shape);
    RUN(test_session_stale);
    RUN(test_random);
    T_DONE();
}
