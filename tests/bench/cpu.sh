#!/usr/bin/env bash
# CPU per request, per process group, for the app endpoints of run.sh.
# Wall-clock req/s are noisy on a shared 2-core box; CPU time per request
# (utime+stime deltas from /proc over a wrk run, divided by requests) is
# far steadier. Prints, per endpoint and run: req/s, p99, and µs of CPU
# per request for the FastCGI workers, mysqld, redis-server and nginx.
# Usage: tests/bench/cpu.sh [endpoint-name ...]  Env: BENCH_SECONDS (5),
# BENCH_RUNS (3), BENCH_CONNS (64), BENCH_WORKERS (4).
# BENCH_DATA=demo (with BENCH_SCALE, BENCH_REUSE, TEST_KEEP as in run.sh):
# the endpoints at scale of run.sh instead.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${BENCH_SECONDS:-5}
runs=${BENCH_RUNS:-3}
conns=${BENCH_CONNS:-64}
workers=${BENCH_WORKERS:-4}

. tests/bench/lib.sh
bench_stack "$workers"
T=$BENCH_DIR
api=$HMDP_URL/api
bench_token 13900000001
token=$BENCH_TOKEN
declare -A tokens=([1]=$token)

bench_endpoints
for k in "${!tokens[@]}"; do
    printf 'wrk.headers["authorization"] = "%s"\n' "${tokens[$k]}" >"$T/bench/auth-$k.lua"
done
want=("$@")

# pids of a group: the process in a pid file and its children
group() {
    local p
    p=$(cat "$T/$1.pid")
    echo "$p $(pgrep -P "$p" | tr '\n' ' ')"
}
hz=$(getconf CLK_TCK)
declare -A G
G[worker]=$(group fcgi)
G[mysqld]=$(group mysqld)
G[redis]=$(group redis)
G[nginx]=$(group nginx)

printf '| endpoint | run | req/s | p99 | worker µs | mysqld µs | redis µs | nginx µs | total µs |\n|---|---|---|---|---|---|---|---|---|\n'
for e in "${ENDPOINTS[@]}"; do
    IFS='|' read -r name path auth <<<"$e"
    if [ ${#want[@]} -gt 0 ] && [[ ! " ${want[*]} " =~ " $name " ]]; then continue; fi
    if [ "$name" = feed ]; then
        uid=$(curl -s -H "authorization: $token" "$api/user/me" | sed -n 's/.*"id":\([0-9]*\).*/\1/p')
        curl -s -XPUT -H "authorization: $token" "$api/follow/1/true" >/dev/null || true
        curl -s -XPUT -H "authorization: $token" "$api/follow/2/true" >/dev/null || true
        for b in 4 5 6 7; do redis-cli -p "$HMDP_REDIS_PORT" zadd "feed:$uid" "$((1700000000000 + b))" "$b" >/dev/null; done
    fi
    extra=() hdr=()
    [ "$auth" != 0 ] && extra=(-s "$T/bench/auth-$auth.lua") hdr=(-H "authorization: ${tokens[$auth]}")
    curl -s "${hdr[@]}" "$api$path" >/dev/null
    for r in $(seq 1 "$runs"); do
        declare -A before
        for g in worker mysqld redis nginx; do before[$g]=$(bench_ticks ${G[$g]}); done
        wrk -t2 -c"$conns" -d"${secs}s" --latency "${extra[@]}" "$api$path" >"$T/wrk.out" 2>&1
        n=$(awk '/requests in/ {print $1}' "$T/wrk.out")
        rps=$(awk '/Requests\/sec/ {print $2}' "$T/wrk.out")
        p99=$(awk '$1=="99%" {print $2}' "$T/wrk.out")
        line="| $name | $r | $rps | $p99"
        tot=0
        for g in worker mysqld redis nginx; do
            d=$(($(bench_ticks ${G[$g]}) - ${before[$g]}))
            us=$(awk -v d="$d" -v hz="$hz" -v n="$n" 'BEGIN{printf "%.0f", d*1e6/hz/n}')
            tot=$((tot + us))
            line="$line | $us"
        done
        echo "$line | $tot |"
    done
done
