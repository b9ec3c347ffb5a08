#!/usr/bin/env bash
# sse_latency.sh: event-to-delivery latency of the SSE gateway at a given
# event rate over N open streams through nginx (private stack, release
# build). Target (issue 11): p99 <= 50 ms at 1,000 events/s with 10,000
# streams open.
#
# Two sources of events:
#   default  events written the way the producers write them (one MULTI:
#            XADD message.stream:{uid} + XADD message.wake, see the design
#            note): Redis append -> arrival at the SSE client, the gateway
#            and nginx alone.
#   --likes  real likes: USERS real users (tb_user rows, sessions, one
#            blog each) hold the N streams, and likers (enough that each
#            (liker, blog) pair is liked once: a second PUT would unlike,
#            and the 24 h rule lets one like per pair notify) send RATE
#            PUT /api/blog/like/{blog} per second through nginx over 32
#            keep-alive connections. Latency is from writing the like's
#            request to reading its event (matched by from and refId) on
#            a stream: worker, notification producer, gateway, nginx. The
#            like answer times and how far the likes fell behind the rate
#            are reported too (the stack has BENCH_WORKERS workers,
#            by default conf/hmdp.conf's `workers`).
# Usage: tests/bench/sse_latency.sh [--likes] [connections (1000)]
#        [events/s (1000)] [seconds (20)] [users (conns/2)]
#        TEST_KEEP=1 keeps the dir. SSE_BENCH=path runs another build of
#        the load client (e.g. an older one, to compare the two).
# The coordinator runs the big ones; helpers smoke-test with <= 50.
set -euo pipefail
cd "$(dirname "$0")/../.."
mode=redis
if [ "${1:-}" = --likes ]; then
    mode=likes
    shift
fi
n=${1:-1000}
rate=${2:-1000}
secs=${3:-20}
users=${4:-$(((n + 1) / 2))}

. tests/bench/lib.sh
make --no-print-directory build/rel/sse-bench >/dev/null
ulimit -n "$(ulimit -Hn)"
if [ $mode = redis ]; then
    bench_stack 1
    echo "$n streams for $users users, $rate events/s for $secs s"
    build/rel/sse-bench latency "$HMDP_NGINX_PORT" "$HMDP_REDIS_PORT" "$n" \
        "$users" "$secs" "$rate"
    exit 0
fi

bench_stack "${BENCH_WORKERS:-$(sed -n 's/^workers *= *\([0-9]*\) *$/\1/p' conf/hmdp.conf)}"
# likers: one like per (liker, blog) pair, so rate * secs / users + 1
likers=$(((rate * secs + users - 1) / users + 1))
sql() { mariadb --no-defaults -S "$HMDP_MYSQL_SOCKET" -uroot hmdp -N -e "$1"; }
sql "INSERT INTO tb_user (phone, nick_name) SELECT CONCAT('176', LPAD(seq, 8, '0')), CONCAT('sse', seq) FROM seq_1_to_$users"
sql "INSERT INTO tb_user (phone, nick_name) SELECT CONCAT('177', LPAD(seq, 8, '0')), CONCAT('liker', seq) FROM seq_1_to_$likers"
sql "INSERT INTO tb_blog (shop_id, user_id, title, images, content) SELECT 1, id, 'sse bench', '', 'like me' FROM tb_user WHERE phone LIKE '176%' ORDER BY id"
f=$BENCH_DIR/bench/sse_users
# "R token uid blog" per recipient, "L token uid" per liker; tokens of 32
# hex digits from one read of /dev/urandom
{
    sql "SELECT 'R', u.id, b.id FROM tb_user u JOIN tb_blog b ON b.user_id = u.id WHERE u.phone LIKE '176%' ORDER BY u.id"
    sql "SELECT 'L', id, 0 FROM tb_user WHERE phone LIKE '177%' ORDER BY id"
} | paste - <(od -An -tx1 -N$((16 * (users + likers))) /dev/urandom | tr -d ' \n' |
    fold -w32) | awk -v OFS=' ' '$1 == "R" {print "R", $4, $2, $3} $1 == "L" {print "L", $4, $2}' >"$f"
[ "$(grep -c '^R' "$f")" = "$users" ] && [ "$(grep -c '^L' "$f")" = "$likers" ] ||
    { echo "sse_latency.sh: the bench users were not made ($f)" >&2; exit 1; }
awk '{print "HSET login:token:" $2 " id " $3 " nickName bench icon \"\""; print "EXPIRE login:token:" $2 " 7200"}' "$f" |
    redis-cli -p "$HMDP_REDIS_PORT" >/dev/null
echo "$n streams for $users users, $rate likes/s by $likers likers for $secs s, $HMDP_WORKERS workers"
# The like phase's profile (after the bench's own lines): CPU per process
# group over the phase (from /proc, sampled when the streams are open and
# secs - 1 later, while the load client still runs), the workers' own time
# per like (their request log) and nginx's (request_time: includes the
# wait for a free worker), and Redis' fsyncs slower than 1 ms (LATENCY).
# The load client reports its own CPU (client_cpu_*).
rcli() { redis-cli -p "$HMDP_REDIS_PORT" "$@"; }
rcli config set latency-monitor-threshold 1 >/dev/null
rcli latency reset >/dev/null
out=$BENCH_DIR/bench/sse_bench.out
"${SSE_BENCH:-build/rel/sse-bench}" likes "$HMDP_NGINX_PORT" "$HMDP_REDIS_PORT" \
    "$n" "$secs" "$rate" "$f" >"$out" &
bpid=$!
snap() { # "group ticks" per group, then "all busy idle" from /proc/stat
    local i
    for ((i = 0; i < ${#groups[@]}; i += 2)); do
        # shellcheck disable=SC2086
        echo "${groups[i]} $(bench_ticks ${groups[i + 1]})"
    done
    awk '/^cpu / {print "all", $2 + $3 + $4 + $7 + $8 + $9, $5 + $6}' /proc/stat
    # MySQL's commits and redo fsyncs, Redis' commands
    sql "SHOW GLOBAL STATUS WHERE Variable_name IN ('Com_commit', 'Com_insert',
        'Com_update', 'Com_select', 'Innodb_os_log_fsyncs', 'Handler_commit')" |
        awk '{print "my_" $1, $2}'
    rcli info commandstats | tr -d '\r' |
        sed -n 's/^cmdstat_\([a-z|]*\):calls=\([0-9]*\),.*/rd_\1 \2/p'
}
while kill -0 $bpid 2>/dev/null && ! grep -q '^streams_open' "$out"; do sleep 0.05; done
kids() { echo "$1 $(pgrep -P "$1" | tr '\n' ' ')"; }
pidof_file() { cat "$BENCH_DIR/$1.pid" 2>/dev/null || echo 0; }
groups=(worker "$(kids "$(pidof_file fcgi)")" nginx "$(kids "$(pidof_file nginx)")"
    redis "$(pidof_file redis)" mysqld "$(pidof_file mysqld)"
    sse "$(kids "$(pidof_file hmdp-sse)")" consumers
    "$(for c in "$BENCH_DIR"/hmdp-*-consumer.pid; do kids "$(cat "$c")"; done | tr '\n' ' ')")
snap >"$BENCH_DIR/bench/cpu0"
t0=$(date +%s.%N)
sleep "$((secs - 1))"
snap >"$BENCH_DIR/bench/cpu1"
t1=$(date +%s.%N)
wait $bpid
cat "$out"
nlikes=$(sed -n 's/^likes_ok //p' "$out")
hz=$(getconf CLK_TCK)
join -a 2 <(sort "$BENCH_DIR/bench/cpu0") <(sort "$BENCH_DIR/bench/cpu1") | awk -v hz="$hz" \
    -v dt="$(echo "$t1 - $t0" | bc)" -v n="${nlikes:-0}" -v secs="$secs" '
    NF == 2 { $3 = $2; $2 = 0 }
    $1 == "all" { printf "cpu_box_busy_pct %.0f\n", 100 * ($4 - $2) / ($4 - $2 + $5 - $3); next }
    $1 ~ /^(my|rd)_/ { if ($3 > $2) printf "%s_per_like %.2f\n", $1, ($3 - $2) / (n * dt / secs); next }
    { c = ($3 - $2) / hz; printf "cpu_%s_pct %.0f (%.0f us per like)\n", $1, 100 * c / dt, n ? 1e6 * c / (n * dt / secs) : 0 }'
pct() { sort -n | awk -v w="$1" '{a[NR] = $1} END {if (NR) printf "%s_p50_ms %.2f\n%s_p99_ms %.2f\n", w, a[int(NR * .5) + 1], w, a[int(NR * .99) + 1]}'; }
grep -h '"route":"/blog/like/{id}"' "$BENCH_DIR"/logs/worker.log |
    sed -n 's/.*"latency_ms":\([0-9.]*\).*/\1/p' | pct worker_like
grep -h '"path":"/api/blog/like/' "$BENCH_DIR"/logs/nginx-access.log |
    sed -n 's/.*"request_time":\([0-9.]*\).*/\1/p' | awk '{print $1 * 1000}' | pct nginx_like
echo "redis_fsync_over_1ms $(rcli latency history aof-fsync-always | paste -sd' ' | awk '{m = 0; n = 0; for (i = 2; i <= NF; i += 2) {n++; if ($i > m) m = $i}; print n " s with one, max " m " ms"}')"
