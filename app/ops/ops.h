/*
 * ops.h: what an operator asks the worker pool: GET /health (public, for
 * load balancers and the compose health checks) and GET /metrics
 * (Prometheus text, routed only from nginx's internal location).
 */
#ifndef HMDP_OPS_H
#define HMDP_OPS_H

#include "../core/route.h"

extern const struct route ops_routes[];          /* /health */
extern const struct route ops_internal_routes[]; /* /metrics */

#endif
