/*
 * str.h: counted string slices (after ngx_str_t). A slice does not own its
 * bytes; a terminating NUL exists only where a comment says so.
 */
#ifndef HMDP_STR_H
#define HMDP_STR_H

#include "arena.h"

#include <stddef.h>
#include <stdint.h>
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

/* ---- str.c (pure, unit-tested) ---- */

/* Strict decimal int64: optional '-', digits only, no overflow. */
int str_parse_i64(const char *s, int64_t *out);
/* Strict unsigned decimal s[0..n): digits only, at least one, no overflow
 * of 64 bits. */
int str_parse_u64n(const char *s, size_t n, uint64_t *out);
/* A Redis stream entry id "ms-seq" in s[0..n): two str_parse_u64n parts
 * around exactly one '-'. */
int str_parse_entry_id(const char *s, size_t n, uint64_t *ms, uint64_t *seq);
/* Percent-decodes s[0..n) ('+' is a space) into out (outn bytes, NUL
 * included); returns the decoded length, or -1 when it would contain a
 * NUL or not fit. A '%' not followed by two hex digits is kept as it is,
 * or is an error when strict. */
long str_url_decode(const char *s, size_t n, char *out, size_t outn,
                    int strict);
/* Counts UTF-8 code points; returns -1 for invalid UTF-8 or a NUL. */
long str_utf8_len(const char *s, size_t n);
/* HTML-escapes & < > " ' into a new arena string. */
char *str_html_escape(struct arena *a, const char *s);

#endif
