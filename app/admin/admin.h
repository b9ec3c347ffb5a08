/*
 * admin.h: the operator routes of the streams (MESSAGES.md §7). Every
 * route needs X-Admin-Token (ROUTE_ADMIN: 403 otherwise).
 */
#ifndef HMDP_ADMIN_H
#define HMDP_ADMIN_H

#include "../core/route.h"

extern const struct route admin_routes[];

#endif
