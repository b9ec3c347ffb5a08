/*
 * t.h: a ten-line unit test harness. CHECK records a failure and goes on;
 * T_MAIN runs the listed tests and prints "N passed, N failed".
 */
#ifndef HMDP_T_H
#define HMDP_T_H

#include <stdio.h>
#include <string.h>

static int t_pass __attribute__((unused)), t_fail __attribute__((unused)),
    t_cur_failed __attribute__((unused));

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            printf("  FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);           \
            t_cur_failed = 1;                                                  \
        }                                                                      \
    } while (0)
#define CHECK_STR(a, b)                                                        \
    do {                                                                       \
        const char *t_a = (a), *t_b = (b);                                     \
        if (t_a == NULL || t_b == NULL || strcmp(t_a, t_b) != 0) {             \
            printf("  FAIL %s:%d: %s == \"%s\" (got \"%s\")\n", __FILE__,      \
                   __LINE__, #a, t_b ? t_b : "(null)", t_a ? t_a : "(null)");  \
            t_cur_failed = 1;                                                  \
        }                                                                      \
    } while (0)

#define RUN(fn)                                                                \
    do {                                                                       \
        t_cur_failed = 0;                                                      \
        fn();                                                                  \
        if (t_cur_failed) {                                                    \
            t_fail++;                                                          \
            printf("not ok - %s\n", #fn);                                      \
        } else {                                                               \
            t_pass++;                                                          \
            printf("ok - %s\n", #fn);                                          \
        }                                                                      \
    } while (0)

#define T_DONE()                                                               \
    do {                                                                       \
        printf("%d passed, %d failed\n", t_pass, t_fail);                      \
        return t_fail ? 1 : 0;                                                 \
    } while (0)

#endif
