/*
 * str.h: counted string slices (after ngx_str_t). A slice does not own its
 * bytes; a terminating NUL exists only where a comment says so.
 */
#ifndef HMDP_STR_H
#define HMDP_STR_H

#include <stddef.h>
#include <string.h>

struct str {
    const char *p;
    size_t n;
};

#define STR_LIT(s) ((struct str){(s), sizeof(s) - 1})

static inline struct str
str_of(const char *s)
{
    return (struct str){s, s ? strlen(s) : 0};
}

static inline int
str_eq(struct str a, const char *b)
{
    size_t n = strlen(b);
    return a.n == n && memcmp(a.p, b, n) == 0;
}

#endif
