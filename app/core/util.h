/*
 * util.h: randomness (libsodium's CSPRNG) and local-time helpers.
 */
#ifndef HMDP_UTIL_H
#define HMDP_UTIL_H

#include "arena.h"

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Initialises libsodium; returns 0 or -1. Call once per process. */
int rand_init(void);
/* nbytes random bytes as 2*nbytes lowercase hex characters (arena). */
char *rand_hex(struct arena *a, size_t nbytes);
/* n random characters drawn uniformly from alphabet into out (NUL added;
 * out has room for n+1). */
void rand_chars(char *out, size_t n, const char *alphabet);
/* Uniform in [0, n). */
uint32_t rand_below(uint32_t n);

/* Wall clock in milliseconds since the epoch. */
int64_t now_ms(void);
/* Local date of t as "YYYYMMDD" / "YYYYMM" into buf (>= 9 bytes), and the
 * day of the month. */
void date_ymd(time_t t, char *buf);
void date_ym(time_t t, char *buf);
int date_mday(time_t t);
/* Parses "YYYY-MM-DDTHH:MM:SS" (or with a space) as local time.
 * Returns 0 and sets *out, or -1. */
int date_parse_local(const char *s, time_t *out);
/* Formats t as local "YYYY-MM-DD HH:MM:SS" (MySQL) into buf (>= 20). */
void date_sql(time_t t, char *buf);

#endif
