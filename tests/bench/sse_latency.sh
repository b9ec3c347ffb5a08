#!/usr/bin/env bash
# sse_latency.sh: event-to-delivery latency of the SSE gateway at a given
# event rate over N open streams through nginx (private stack, release
# build). Target (issue 11): p99 <= 50 ms at 1,000 events/s with 10,000
# streams open.
# Events are written the way the producers write them (one MULTI: XADD
# message.stream:{uid} + XADD message.wake, see the design note), since
# the like -> notification producer is being built separately: the figure
# is Redis append -> browser-side arrival, without the like's own HTTP
# request in front.
# Usage: tests/bench/sse_latency.sh [connections (1000)] [events/s (1000)]
#        [seconds (20)] [users (conns/2)]   TEST_KEEP=1 keeps the dir.
# The coordinator runs the big ones; helpers smoke-test with <= 100.
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-1000}
rate=${2:-1000}
secs=${3:-20}
users=${4:-$(((n + 1) / 2))}

. tests/bench/lib.sh
make --no-print-directory build/rel/sse-bench >/dev/null
ulimit -n "$(ulimit -Hn)"
bench_stack 1
echo "$n streams for $users users, $rate events/s for $secs s"
build/rel/sse-bench latency "$HMDP_NGINX_PORT" "$HMDP_REDIS_PORT" "$n" \
    "$users" "$secs" "$rate"
