#!/usr/bin/env bash
# Where the CPU goes, per request, as the connections grow: one stack (4
# workers, as conns.sh), the floor beside it, and for each count of
# BENCH_CONNS_LIST in BENCH_ROUNDS rounds one wrk run each on the floor,
# blog_detail (/blog/4, logged in) and shop_cached (/shop/1). Per run it
# prints the rate, p99 and wrk's errors, how many descriptors each nginx
# worker holds mid-run, TCP listen overflows, and per process group
# (nginx, the pool's workers, the floor's, Redis, MariaDB) from each
# thread's /proc schedstat and status: CPU time, time waiting for a CPU
# (run queue), voluntary and involuntary switches, each per request or per
# 1,000 requests; for the pools also the time their processes were
# blocked (neither running nor runnable: waiting for a connection, Redis,
# or a peer); and the whole box's busy time (wrk included) and idle share.
# Usage: tests/bench/conns_split.sh
# Env: BENCH_CONNS_LIST ("64 256 1024"), BENCH_SECONDS (5), BENCH_ROUNDS
# (1), BENCH_WORKERS (4), TEST_KEEP=1.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${BENCH_SECONDS:-5}
rounds=${BENCH_ROUNDS:-1}
workers=${BENCH_WORKERS:-4}
read -r -a levels <<<"${BENCH_CONNS_LIST:-64 256 1024}"

. tests/bench/lib.sh
bench_stack "$workers"
T=$BENCH_DIR
bench_token 13900000001
token=$BENCH_TOKEN
curl -s -H "authorization: $token" "$HMDP_URL/api/blog/4" -o "$T/bench/static.json"
grep -q '^{"success":true' "$T/bench/static.json" || { echo "blog 4 not readable"; exit 1; }
bench_noop_start "$T/bench/static.json" "$workers"

groups() { # one line per group: name pid...
    local m
    m=$(cat "$T/nginx.pid")
    echo "nginx $m $(pgrep -P "$m" | tr '\n' ' ')"
    echo "worker $(pgrep -P "$(cat "$T/fcgi.pid")" | tr '\n' ' ')"
    echo "noop $(pgrep -P "$(cat "$T/noop.pid")" | tr '\n' ' ')"
    echo "redis $(cat "$T/redis.pid")"
    echo "mysql $(cat "$T/mysqld.pid")"
}
snap() { # groups on stdin -> "name cpu_ns runq_ns voluntary involuntary"
    local g pids p t a b x y c w v i
    while read -r g pids; do
        c=0 w=0 v=0 i=0
        for p in $pids; do
            for t in /proc/"$p"/task/*; do
                read -r a b _ <"$t/schedstat" 2>/dev/null || continue
                read -r x y < <(awk '/^voluntary_ctxt/ {v = $2} /^nonvoluntary_ctxt/ {i = $2}
                    END {print v + 0, i + 0}' "$t/status" 2>/dev/null || echo 0 0)
                c=$((c + a)) w=$((w + b)) v=$((v + ${x:-0})) i=$((i + ${y:-0}))
            done
        done
        echo "$g $c $w $v $i"
    done
}
overflows() {
    awk '/^TcpExt:/ { if (!h) { for (i = 1; i <= NF; i++) if ($i == "ListenOverflows") c = i; h = 1 } else print $c }' /proc/net/netstat
}
box() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8, $5 + $6}' /proc/stat; }

run() { # name conns url [lua]
    local extra=() G before after lo0 lo1 b0 i0 b1 i1 t0 t1 wp nfd p tot
    [ -n "${4:-}" ] && extra=(-s "$4")
    G=$(groups)
    before=$(snap <<<"$G")
    lo0=$(overflows)
    read -r b0 i0 < <(box)
    t0=$(date +%s%N)
    wrk -t2 -c"$2" -d"${secs}s" --latency "${extra[@]}" "$3" >"$T/wrk.out" 2>&1 &
    wp=$!
    sleep "$((secs / 2)).5"
    nfd=""
    for p in $(pgrep -P "$(cat "$T/nginx.pid")"); do
        nfd+="$(find /proc/"$p"/fd -mindepth 1 -maxdepth 1 2>/dev/null | wc -l) "
    done
    wait "$wp" || true
    t1=$(date +%s%N)
    after=$(snap <<<"$G")
    lo1=$(overflows)
    read -r b1 i1 < <(box)
    tot=$(awk '/requests in/ {print $1}' "$T/wrk.out")
    [ -n "$tot" ] || tot=1
    printf '%s at %s: %s req/s, p99 %s, %s; nginx workers hold [ %s] fds; listen overflows %s\n' \
        "$1" "$2" "$(awk '/Requests\/sec/ {print $2}' "$T/wrk.out")" \
        "$(awk '$1 == "99%" {print $2}' "$T/wrk.out")" \
        "$( (grep -E 'Non-2xx|Socket errors' "$T/wrk.out" || echo 'no errors') | tr '\n' ' ')" \
        "$nfd" "$((lo1 - lo0))"
    paste <(echo "$before") <(echo "$after") | awk -v n="$tot" -v wall=$((t1 - t0)) -v np="$workers" '
        { printf "  %-7s cpu %6.1f ms/kreq  run queue %6.1f ms/kreq  voluntary %5.2f/req  involuntary %5.2f/req",
              $1, ($7 - $2) / n / 1e3, ($8 - $3) / n / 1e3, ($9 - $4) / n, ($10 - $5) / n
          if ($1 == "worker" || $1 == "noop")
              printf "  blocked %6.1f ms/kreq", (np * wall - ($7 - $2) - ($8 - $3)) / n / 1e3
          printf "\n" }'
    awk -v b=$((b1 - b0)) -v i=$((i1 - i0)) -v hz="$(getconf CLK_TCK)" -v n="$tot" \
        'BEGIN { printf "  box busy %6.1f ms/kreq, idle %.0f%%\n", b * 1e6 / hz / n, 100 * i / (b + i) }'
}

for ((k = 0; k < rounds; k++)); do
    for c in "${levels[@]}"; do
        run floor "$c" "$HMDP_URL/bench-noop/"
        run blog_detail "$c" "$HMDP_URL/api/blog/4" "$T/bench/auth.lua"
        run shop_cached "$c" "$HMDP_URL/api/shop/1"
    done
done
echo "wrk -t2 -d${secs}s; $rounds rounds; $workers FastCGI workers; $(nproc) cores"
