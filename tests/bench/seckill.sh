#!/usr/bin/env bash
# seckill.sh: the flash-sale stampede. USERS distinct logged-in users
# (default 1000) each POST /api/voucher-order/seckill/{id} once, as fast as
# wrk can send them (64 connections), against a voucher with STOCK 200.
# Reports attempts/s over the stampede (users keep retrying), the outcome counts, and how long after
# the burst began the last order was committed to MySQL by the consumer.
# Targets: >= 10,000 attempts/s; all orders persisted within 1 s.
# Usage: tests/bench/seckill.sh [users] [stock]
set -euo pipefail
cd "$(dirname "$0")/../.."
users=${1:-1000}
stock=${2:-200}
. tests/bench/lib.sh
bench_stack "${BENCH_WORKERS:-4}"
api=$HMDP_URL/api
sql() { mariadb --no-defaults -S "$HMDP_MYSQL_SOCKET" -uroot hmdp -N -e "$1"; }

# the voucher, open from a minute ago for an hour
begin=$(date -d '-1 min' '+%Y-%m-%dT%H:%M:%S')
end=$(date -d '+1 hour' '+%Y-%m-%dT%H:%M:%S')
vid=$(curl -s -XPOST -H "X-Admin-Token: $(cat "$HMDP_ADMIN_TOKEN_FILE")" \
    -H 'Content-Type: application/json' \
    -d "{\"shopId\":1,\"title\":\"bench\",\"payValue\":100,\"actualValue\":1000,\"type\":1,\"stock\":$stock,\"beginTime\":\"$begin\",\"endTime\":\"$end\"}" \
    "$api/voucher/seckill" | sed -n 's/.*"data":\([0-9]*\).*/\1/p')
[ -n "$vid" ] || { echo "creating the voucher failed"; exit 1; }

# users and sessions, created directly (as login would)
sql "INSERT INTO tb_user (phone, nick_name) SELECT CONCAT('177', LPAD(seq, 8, '0')), CONCAT('bench', seq) FROM seq_1_to_$users"
first=$(sql "SELECT MIN(id) FROM tb_user WHERE phone LIKE '177%'")
: >"$BENCH_DIR/bench/tokens"
for i in $(seq 0 $((users - 1))); do
    t=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
    echo "HSET login:token:$t id $((first + i)) nickName bench icon ''"
    echo "EXPIRE login:token:$t 3600"
    echo "$t" >>"$BENCH_DIR/bench/tokens"
done | redis-cli -p "$HMDP_REDIS_PORT" >/dev/null

# wrk cycles through the users for BENCH_SECONDS (default 3): the first
# pass is each user's one real attempt, later passes are the same users
# retrying (refused: bought already or sold out) - every request is a full
# attempt through the Lua script, so Requests/sec is attempts/s
cat >"$BENCH_DIR/bench/seckill.lua" <<LUA
local tokens = {}
for line in io.lines("$BENCH_DIR/bench/tokens") do tokens[#tokens + 1] = line end
local id = 0
function setup(thread) thread:set("tid", id); id = id + 1 end
local n = 0
request = function()
  local i = (n * 2 + tid) % #tokens + 1
  n = n + 1
  return wrk.format("POST", "/api/voucher-order/seckill/$vid",
                    {["authorization"] = tokens[i]}, "")
end
LUA
t0=$(date +%s%N)
wrk -t2 -c64 -d"${BENCH_SECONDS:-3}s" -s "$BENCH_DIR/bench/seckill.lua" "$HMDP_URL" >"$BENCH_DIR/wrk.out" 2>&1 &
wpid=$!
# the consumer's progress: poll MySQL until every sold unit is an order
persisted=""
while :; do
    n=$(sql "SELECT COUNT(*) FROM tb_voucher_order WHERE voucher_id = $vid")
    if [ "$n" -ge "$stock" ]; then persisted=$((($(date +%s%N) - t0) / 1000000)); break; fi
    kill -0 $wpid 2>/dev/null || [ $((($(date +%s%N) - t0) / 1000000)) -lt 15000 ] || break
    sleep 0.01
done
wait $wpid || true
cat "$BENCH_DIR/wrk.out" | grep -E "Requests/sec|requests in|Latency|Non-2xx" || true
orders=$(sql "SELECT COUNT(*) FROM tb_voucher_order WHERE voucher_id = $vid")
dups=$(sql "SELECT COUNT(*) FROM (SELECT user_id FROM tb_voucher_order WHERE voucher_id = $vid GROUP BY user_id HAVING COUNT(*) > 1) d")
left=$(redis-cli -p "$HMDP_REDIS_PORT" get "seckill:stock:$vid")
echo "users $users, stock $stock: orders in MySQL $orders, users with two orders $dups, Redis stock left $left"
echo "all $stock orders persisted ${persisted:-NOT} ms after the burst began"
