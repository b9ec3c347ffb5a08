/*
 * shop.h: shops and shop types (API.md §4.2): the cached shop read, the
 * lists by name, by type and by distance (Redis GEO), and the admin
 * writes that keep MySQL, the cache and the GEO sets in step.
 */
#ifndef HMDP_SHOP_H
#define HMDP_SHOP_H

#include "../core/route.h"

#include <stdint.h>

extern const struct route shop_routes[];

/* *found = whether shop id exists (one primary-key lookup). */
res_t shop_exists(struct req *rq, int64_t id, int *found);

#endif
