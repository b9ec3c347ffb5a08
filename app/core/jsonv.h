/*
 * jsonv.h: a strict JSON syntax check (pure, unit-tested through req_json
 * and fuzzed), and the one adapter that lets an arena own a json-c object.
 * (Not json_*: that prefix is json-c's.)
 */
#ifndef HMDP_JSONV_H
#define HMDP_JSONV_H

#include "arena.h"

#include <stddef.h>

struct json_object;

/* Deepest nesting jsonv_syntax accepts (and req_json's tokener). */
#define JSONV_DEPTH 32

/* 0 when s[0..n) is exactly one RFC 8259 value with optional white space
 * around it, nested at most JSONV_DEPTH deep; -1 otherwise. json-c alone
 * is lenient even with JSON_TOKENER_STRICT (single quotes, NaN, Infinity,
 * "1.", raw control characters in strings). Iterative: no recursion on
 * hostile nesting. */
int jsonv_syntax(const char *s, size_t n);

/* json_object_put(p) as an arena_cleanup_fn. */
void jsonv_put(void *p);
/* The arena takes o's reference: json_object_put(o) at the next reset.
 * o may be NULL. */
void jsonv_adopt(struct arena *a, struct json_object *o);

#endif
