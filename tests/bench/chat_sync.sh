#!/usr/bin/env bash
# chat_sync.sh: chat-sync's throughput into MySQL. With chat-sync stopped
# (SIGSTOP), MESSAGES (default 200000) chat entries of the producer's
# format are put into stream.chat in one script; chat-sync is then let go
# and timed until its group has nothing pending or unread, and the rows
# are counted. Reports messages/s of the drain (target >= 50,000/s).
# Batches are chat_sync_batch rows (conf/hmdp.conf, env
# HMDP_CHAT_SYNC_BATCH). Usage: tests/bench/chat_sync.sh [messages]
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-200000}
. tests/bench/lib.sh
bench_stack "${BENCH_WORKERS:-2}"
rcli() { redis-cli -p "$HMDP_REDIS_PORT" "$@"; }
sql() { mariadb --no-defaults -S "$HMDP_MYSQL_SOCKET" -uroot hmdp -N -e "$1"; }

# the chat-sync children of this stack's hmdp-message-consumer instances
# (multiwatch -> supervisor -> "hmdp-message-consumer chat-sync"; one per
# instance, HMDP_MESSAGE_CONSUMERS); other stacks may run on the machine
want=${HMDP_MESSAGE_CONSUMERS:-1}
pids=""
for _ in $(seq 1 50); do
    pids=""
    mw=$(head -n1 "$BENCH_DIR/hmdp-message-consumer.pid" 2>/dev/null || true)
    for sup in $(pgrep -P "${mw:-0}" || true); do
        pids="$pids $(pgrep -P "$sup" -f "hmdp-message-consumer chat-sync" || true)"
    done
    [ "$(echo $pids | wc -w)" -ge "$want" ] && break
    sleep 0.1
done
[ -n "${pids// /}" ] || { echo "no chat-sync process"; exit 1; }
# its group exists once it has read once
for _ in $(seq 1 50); do
    rcli xinfo groups stream.chat 2>/dev/null | grep -q chat-sync && break
    sleep 0.1
done
# shellcheck disable=SC2086
kill -STOP $pids
before=$(sql "SELECT COUNT(*) FROM tb_chat_message")

# n entries as the producer writes them (mid, c, f, t, x, tm), between
# users 1 and 2
rcli eval "
local base = tonumber(ARGV[2])
for i = 0, tonumber(ARGV[1]) - 1 do
  local ms = base + math.floor(i / 100000)
  local mid = string.format('%013d%07d%05d', ms, 9999999, i % 100000)
  redis.call('XADD', KEYS[1], '*', 'mid', mid, 'c', '1:2', 'f', '1', 't', '2',
    'x', 'bench message ' .. i, 'tm', '2026-12-01T10:00:00')
end
return 1" 1 stream.chat "$n" "$(($(date +%s%3N) - 86400000))" >/dev/null
# the load left Redis with tens of MB of freed buffers (its reply and AOF
# buffer) that jemalloc would give back bit by bit during the drain (madvise
# calls, costly in a VM): hand them back now, so the drain pays only for
# its own work (CHAT_SYNC_PURGE=0: leave them, as before session 4)
[ "${CHAT_SYNC_PURGE:-1}" = 0 ] || rcli memory purge >/dev/null

unsynced() {
    rcli eval "
local gs = redis.call('XINFO', 'GROUPS', KEYS[1])
for _, g in ipairs(gs) do
  local h = {}
  for i = 1, #g, 2 do h[g[i]] = g[i + 1] end
  if h['name'] == 'chat-sync' then return h['pending'] + (h['lag'] or 0) end
end
return -1" 1 stream.chat
}
# CPU time (utime + stime, clock ticks) of the processes that do the work:
# on a shared machine the wall time is noisy, the CPU each one spent is not
cpu() { awk '{s += $14 + $15} END {print s + 0}' $(for p in "$@"; do echo "/proc/$p/stat"; done) 2>/dev/null; }
mysqld=$(cat "$BENCH_DIR/mysqld.pid")
redisd=$(cat "$BENCH_DIR/redis.pid")
# shellcheck disable=SC2086
c0=($(cpu $pids) $(cpu "$mysqld") $(cpu "$redisd"))
t0=$(date +%s%N)
kill -CONT $pids
while [ "$(unsynced)" != 0 ]; do sleep 0.02; done
t1=$(date +%s%N)
# shellcheck disable=SC2086
c1=($(cpu $pids) $(cpu "$mysqld") $(cpu "$redisd"))
after=$(sql "SELECT COUNT(*) FROM tb_chat_message")
rows=$((after - before))
ms=$(((t1 - t0) / 1000000))
echo "chat-sync: $rows of $n messages into tb_chat_message in $ms ms:" \
    "$(awk -v r="$rows" -v m="$ms" 'BEGIN{printf "%.0f", m ? r * 1000 / m : 0}') messages/s" \
    "(batch ${HMDP_CHAT_SYNC_BATCH:-$(sed -n 's/^chat_sync_batch *= *//p' conf/hmdp.conf)})"
tck=$(getconf CLK_TCK)
echo "cpu during the drain (ms): chat-sync $(((c1[0] - c0[0]) * 1000 / tck))," \
    "mariadbd $(((c1[1] - c0[1]) * 1000 / tck)), redis $(((c1[2] - c0[2]) * 1000 / tck));" \
    "load average $(cut -d' ' -f1 /proc/loadavg)"
[ "$rows" = "$n" ] || { echo "!! $rows rows for $n messages"; exit 1; }
