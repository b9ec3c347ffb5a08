/*
 * util.h: randomness (libsodium's CSPRNG), the clocks and local-time
 * helpers.
 */
#ifndef HMDP_UTIL_H
#define HMDP_UTIL_H

#include "arena.h"

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Initialises libsodium; returns 0 or -1. Call once per process. */
int util_rand_init(void);
/* nbytes random bytes as 2*nbytes lowercase hex characters (arena). */
char *util_rand_hex(struct arena *a, size_t nbytes);
/* n random characters drawn uniformly from alphabet into out (NUL added;
 * out has room for n+1). */
void util_rand_chars(char *out, size_t n, const char *alphabet);
/* Uniform in [0, n). */
uint32_t util_rand_below(uint32_t n);

/* The clocks. Wall clock in milliseconds since the epoch (timestamps that
 * are stored or compared across processes). */
int64_t util_now_ms(void);
/* Monotonic clock in microseconds / milliseconds (durations, expiries
 * within one process). */
int64_t util_mono_us(void);
int64_t util_mono_ms(void);
/* Local date of t as "YYYYMMDD" / "YYYYMM" into buf (>= 9 bytes), and the
 * day of the month. */
void util_date_ymd(time_t t, char *buf);
void util_date_ym(time_t t, char *buf);
int util_date_mday(time_t t);
/* Parses "YYYY-MM-DDTHH:MM:SS" (or with a space) as local time.
 * Returns 0 and sets *out, or -1. */
int util_date_parse_local(const char *s, time_t *out);
/* Formats t as local "YYYY-MM-DD HH:MM:SS" (MySQL) into buf (>= 20). */
void util_date_sql(time_t t, char *buf);

#endif
