#!/usr/bin/env bash
# chat_lag.sh: end-to-end chat lag at a steady rate: POST /message/chat
# accepted -> the row in tb_chat_message. wrk paces RATE (default 1000)
# messages/s for BENCH_SECONDS (10) from SENDERS (300) logged-in users to
# one recipient (each sender stays under the 10/s rate limit). The accept
# time is the chat id's first 13 digits (ms, taken right before the
# append); the sync time is recorded by a bench-only trigger on
# tb_chat_message (SYSDATE(3) at the INSERT, just before COMMIT).
# Reports the achieved rate and the lag's p50/p99/max (target p99 < 100 ms).
# Usage: tests/bench/chat_lag.sh [rate] [senders]
set -euo pipefail
cd "$(dirname "$0")/../.."
rate=${1:-1000}
senders=${2:-300}
secs=${BENCH_SECONDS:-10}
conns=${BENCH_CONNS:-50}
. tests/bench/lib.sh
bench_stack "${BENCH_WORKERS:-4}"
rcli() { redis-cli -p "$HMDP_REDIS_PORT" "$@"; }
sql() { mariadb --no-defaults -S "$HMDP_MYSQL_SOCKET" -uroot hmdp -N -e "$1"; }

sql "CREATE TABLE IF NOT EXISTS bench_chat_lag (id char(25) PRIMARY KEY, synced_ms bigint NOT NULL) ENGINE=InnoDB"
sql "CREATE TRIGGER IF NOT EXISTS bench_chat_lag_t AFTER INSERT ON tb_chat_message FOR EACH ROW INSERT IGNORE INTO bench_chat_lag VALUES (NEW.id, FLOOR(UNIX_TIMESTAMP(SYSDATE(3)) * 1000))"

# senders and one recipient, created directly (as login would)
sql "INSERT INTO tb_user (phone, nick_name) SELECT CONCAT('176', LPAD(seq, 8, '0')), CONCAT('lag', seq) FROM seq_0_to_$senders"
first=$(sql "SELECT MIN(id) FROM tb_user WHERE phone LIKE '176%'")
to=$first
rcli set "message:user:$to" 1 EX 86400 >/dev/null
: >"$BENCH_DIR/bench/tokens"
for i in $(seq 1 "$senders"); do
    t=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
    echo "HSET login:token:$t id $((first + i)) nickName lag$i icon ''"
    echo "EXPIRE login:token:$t 3600"
    echo "$t" >>"$BENCH_DIR/bench/tokens"
done | rcli >/dev/null

# each connection waits conns/rate s between its requests
delay=$(awk -v c="$conns" -v r="$rate" 'BEGIN{printf "%d", c * 1000 / r}')
cat >"$BENCH_DIR/bench/chat.lua" <<LUA
local tokens = {}
for line in io.lines("$BENCH_DIR/bench/tokens") do tokens[#tokens + 1] = line end
local id = 0
function setup(thread) thread:set("tid", id); id = id + 1 end
local n = 0
request = function()
  n = n + 1
  local t = tokens[(n * 7 + tid * 131) % #tokens + 1]
  return wrk.format("POST", "/api/message/chat/$to",
    {["authorization"] = t, ["Content-Type"] = "application/json"},
    '{"content":"lag probe ' .. n .. '"}')
end
function delay() return $delay end
LUA
t0=$(date +%s%3N)
wrk -t2 -c"$conns" -d"${secs}s" -s "$BENCH_DIR/bench/chat.lua" "$HMDP_URL" >"$BENCH_DIR/wrk.out" 2>&1
t1=$(date +%s%3N)
sent=$(sql "SELECT COUNT(*) FROM bench_chat_lag")
# let chat-sync finish what is in flight
for _ in $(seq 1 100); do
    sleep 0.1
    now=$(sql "SELECT COUNT(*) FROM bench_chat_lag")
    [ "$now" = "$sent" ] && break
    sent=$now
done
accepted=$(rcli xlen "message.stream:$to")
refused=$(awk '/Non-2xx/ {print $4}' "$BENCH_DIR/wrk.out")
sql "SELECT synced_ms - CAST(LEFT(id, 13) AS UNSIGNED) FROM bench_chat_lag ORDER BY 1" >"$BENCH_DIR/lag.txt"
awk -v acc="$accepted" -v ms="$((t1 - t0))" '
  {v[NR] = $1}
  END {
    if (NR == 0) { print "no message synced"; exit 1 }
    printf "chat lag: %d messages accepted (%.0f/s), %d synced; lag p50 %d ms, p99 %d ms, max %d ms\n",
      acc, acc * 1000 / ms, NR, v[int(NR * 0.50) + (NR * 0.50 > int(NR * 0.50))],
      v[int(NR * 0.99) + (NR * 0.99 > int(NR * 0.99))], v[NR]
  }' "$BENCH_DIR/lag.txt"
[ -z "$refused" ] || echo "($refused non-2xx answers from wrk)"
grep -E "Requests/sec|Non-2xx" "$BENCH_DIR/wrk.out" || true
