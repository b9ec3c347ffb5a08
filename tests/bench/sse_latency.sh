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
#        TEST_KEEP=1 keeps the dir.
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
build/rel/sse-bench likes "$HMDP_NGINX_PORT" "$HMDP_REDIS_PORT" "$n" "$secs" \
    "$rate" "$f"
