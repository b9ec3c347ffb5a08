#!/usr/bin/env bash
# sse_hold.sh: holds N idle SSE streams through nginx on a private stack
# (release build) and reports the gateway's RSS per connection, its CPU
# while idle (heartbeats only), the Redis connections the gateways use and
# nginx's share. Targets (issue 11): <= 4 KB RSS per idle connection;
# 1,000 and 10,000 connections.
# Usage: tests/bench/sse_hold.sh [connections (1000)] [users (conns/2)]
#        [idle seconds (30)]   TEST_KEEP=1 keeps the dir.
# The coordinator runs the big ones; helpers smoke-test with <= 100.
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-1000}
users=${2:-$(((n + 1) / 2))}
idle=${3:-30}

. tests/bench/lib.sh
make --no-print-directory build/rel/sse-bench >/dev/null
ulimit -n "$(ulimit -Hn)"
bench_stack 1

gw_pid() { # the gateway: the child of its multiwatch
    pgrep -P "$(cat "$BENCH_DIR/hmdp-sse.pid")" | head -n1
}
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
cpu_ticks() { # utime + stime
    awk '{sub(/.*\) /, ""); print $12 + $13}' "/proc/$1/stat"
}
redis_conns() {
    redis-cli -p "$HMDP_REDIS_PORT" client list | grep -c 'name=hmdp-sse' || true
}

gw=$(gw_pid)
rss0=$(rss_kb "$gw")
echo "gateway pid $gw, RSS before $rss0 kB; opening $n streams for $users users"
out=$BENCH_DIR/bench.out
build/rel/sse-bench hold "$HMDP_NGINX_PORT" "$HMDP_REDIS_PORT" "$n" "$users" \
    "$idle" >"$out" 2>&1 &
bpid=$!
# wait for the streams to be open, then measure over the idle window
for _ in $(seq 1 300); do
    grep -q '^streams_open' "$out" 2>/dev/null && break
    sleep 0.1
done
sleep 2
rss1=$(rss_kb "$gw")
t0=$(cpu_ticks "$gw")
s0=$(date +%s.%N)
sleep $((idle > 6 ? idle - 4 : 2))
t1=$(cpu_ticks "$gw")
s1=$(date +%s.%N)
rss2=$(rss_kb "$gw")
ngx_rss=0
for p in $(pgrep -P "$(cat "$BENCH_DIR/nginx.pid")"); do
    ngx_rss=$((ngx_rss + $(rss_kb "$p")))
done
rconns=$(redis_conns)
wait "$bpid" || true
cat "$out"
hz=$(getconf CLK_TCK)
awk -v n="$n" -v r0="$rss0" -v r1="$rss1" -v r2="$rss2" -v t0="$t0" \
    -v t1="$t1" -v s0="$s0" -v s1="$s1" -v hz="$hz" -v rc="$rconns" \
    -v ngx="$ngx_rss" 'BEGIN {
    printf "gateway_rss_kb before %d, with streams %d, at end %d\n", r0, r1, r2
    printf "gateway_rss_per_conn_bytes %.0f\n", (r2 - r0) * 1024 / n
    printf "gateway_idle_cpu_percent %.2f\n", (t1 - t0) / hz / (s1 - s0) * 100
    printf "redis_connections_of_gateways %d\n", rc
    printf "nginx_workers_rss_kb %d\n", ngx
}'
