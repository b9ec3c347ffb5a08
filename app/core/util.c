/*
 * util.c: every secret, token and code comes from libsodium's
 * randombytes (the OS CSPRNG); never from rand() or time.
 */
#include "util.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

int
util_rand_init(void)
{
    return sodium_init() < 0 ? -1 : 0;
}

char *
util_rand_hex(struct arena *a, size_t nbytes)
{
    unsigned char buf[64];
    if (nbytes > sizeof(buf))
        nbytes = sizeof(buf);
    randombytes_buf(buf, nbytes);
    char *out = arena_alloc(a, nbytes * 2 + 1);
    sodium_bin2hex(out, nbytes * 2 + 1, buf, nbytes);
    sodium_memzero(buf, sizeof(buf));
    return out;
}

void
util_rand_chars(char *out, size_t n, const char *alphabet)
{
    uint32_t k = (uint32_t)strlen(alphabet);
    for (size_t i = 0; i < n; i++)
        out[i] = alphabet[randombytes_uniform(k)];
    out[n] = '\0';
}

uint32_t
util_rand_below(uint32_t n)
{
    return n ? randombytes_uniform(n) : 0;
}

int64_t
util_now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

int64_t
util_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
util_mono_ms(void)
{
    return util_mono_us() / 1000;
}

void
util_date_ymd(time_t t, char *buf)
{
    /* called on every request (UV): remember the last second's answer */
    static time_t last = -1;
    static char cached[9];
    if (t != last) {
        struct tm tm;
        localtime_r(&t, &tm);
        strftime(cached, sizeof(cached), "%Y%m%d", &tm);
        last = t;
    }
    memcpy(buf, cached, sizeof(cached));
}

void
util_date_ym(time_t t, char *buf)
{
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(buf, 7, "%Y%m", &tm);
}

int
util_date_mday(time_t t)
{
    struct tm tm;
    localtime_r(&t, &tm);
    return tm.tm_mday;
}

int
util_date_parse_local(const char *s, time_t *out)
{
    int Y, M, D, h, m, sec;
    char sep, tail;
    if (s == NULL || strlen(s) != 19 ||
        sscanf(s, "%4d-%2d-%2d%c%2d:%2d:%2d%c", &Y, &M, &D, &sep, &h, &m, &sec,
               &tail) != 7)
        return -1;
    if ((sep != 'T' && sep != ' ') || s[4] != '-' || s[7] != '-' ||
        s[13] != ':' || s[16] != ':')
        return -1;
    if (Y < 1970 || Y > 2100 || M < 1 || M > 12 || D < 1 || D > 31 || h > 23 ||
        m > 59 || sec > 59 || h < 0 || m < 0 || sec < 0)
        return -1;
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = Y - 1900;
    tm.tm_mon = M - 1;
    tm.tm_mday = D;
    tm.tm_hour = h;
    tm.tm_min = m;
    tm.tm_sec = sec;
    tm.tm_isdst = -1;
    time_t t = mktime(&tm);
    if (t == (time_t)-1 || tm.tm_mday != D || tm.tm_mon != M - 1)
        return -1; /* 2024-02-31 and the like */
    *out = t;
    return 0;
}

void
util_date_sql(time_t t, char *buf)
{
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(buf, 20, "%Y-%m-%d %H:%M:%S", &tm);
}
