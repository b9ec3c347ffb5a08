/*
 * str.c: string helpers with no request in sight: strict integers, UTF-8
 * length, HTML escaping. Pure, unit-tested.
 */
#include "str.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int
str_parse_i64(const char *s, int64_t *out)
{
    if (s == NULL || *s == '\0')
        return -1;
    const char *p = s;
    if (*p == '-')
        p++;
    if (*p == '\0')
        return -1;
    for (const char *q = p; *q; q++)
        if (*q < '0' || *q > '9')
            return -1;
    if (strlen(p) > 19)
        return -1;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = (int64_t)v;
    return 0;
}

int
str_parse_u64n(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    if (n == 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

int
str_parse_entry_id(const char *s, size_t n, uint64_t *ms, uint64_t *seq)
{
    const char *dash = memchr(s, '-', n);
    uint64_t a, b;
    if (dash == NULL || str_parse_u64n(s, (size_t)(dash - s), &a) < 0 ||
        str_parse_u64n(dash + 1, n - (size_t)(dash - s) - 1, &b) < 0)
        return -1;
    *ms = a;
    *seq = b;
    return 0;
}

static int
str_hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

long
str_url_decode(const char *s, size_t n, char *out, size_t outn, int strict)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int hi, lo;
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            if (i + 2 < n && (hi = str_hex_digit(s[i + 1])) >= 0 &&
                (lo = str_hex_digit(s[i + 2])) >= 0) {
                c = (char)(hi << 4 | lo);
                i += 2;
            } else if (strict) {
                return -1;
            }
        }
        if (c == '\0' || o + 1 >= outn)
            return -1;
        out[o++] = c;
    }
    if (outn == 0)
        return -1;
    out[o] = '\0';
    return (long)o;
}

long
str_utf8_len(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *e = p + n;
    long count = 0;
    while (p < e) {
        unsigned c = *p;
        int extra;
        if (c == 0)
            return -1;
        if (c < 0x80)
            extra = 0;
        else if (c >= 0xC2 && c <= 0xDF)
            extra = 1;
        else if (c >= 0xE0 && c <= 0xEF)
            extra = 2;
        else if (c >= 0xF0 && c <= 0xF4)
            extra = 3;
        else
            return -1;
        if (e - p <= extra)
            return -1;
        for (int i = 1; i <= extra; i++)
            if ((p[i] & 0xC0) != 0x80)
                return -1;
        /* overlongs and surrogates */
        if (c == 0xE0 && p[1] < 0xA0)
            return -1;
        if (c == 0xED && p[1] > 0x9F)
            return -1;
        if (c == 0xF0 && p[1] < 0x90)
            return -1;
        if (c == 0xF4 && p[1] > 0x8F)
            return -1;
        p += extra + 1;
        count++;
    }
    return count;
}

char *
str_html_escape(struct arena *a, const char *s)
{
    size_t n = 0;
    for (const char *p = s; *p; p++) {
        switch (*p) {
        case '&':
            n += 5;
            break;
        case '<':
        case '>':
            n += 4;
            break;
        case '"':
        case '\'':
            n += 5;
            break;
        default:
            n++;
        }
    }
    char *out = arena_alloc(a, n + 1), *o = out;
    for (const char *p = s; *p; p++) {
        const char *rep = NULL;
        switch (*p) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&#34;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        }
        if (rep) {
            size_t l = strlen(rep);
            memcpy(o, rep, l);
            o += l;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    return out;
}
