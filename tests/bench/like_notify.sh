#!/usr/bin/env bash
# like_notify.sh: PUT /blog/like/{id} with notifications on and off, in the
# same run. Two private stacks run side by side, one with message_notify
# = 0 and one with 1 (the only difference), and wrk alternates between
# them for BENCH_ROUNDS rounds of BENCH_SECONDS, so a slow spell of this
# shared machine hits both alike. USERS (default 1000) logged-in users
# cycle through the likes of one seed blog, so every request is a like
# or an unlike, and the likes of new likers produce notices (later ones
# of the same liker are suppressed by the 24 h rule inside the script).
# Reports req/s per round, the on/off ratio per round and its median
# (target >= 90%).
# Usage: tests/bench/like_notify.sh [users]
set -euo pipefail
cd "$(dirname "$0")/../.."
users=${1:-1000}
secs=${BENCH_SECONDS:-10}
rounds=${BENCH_ROUNDS:-3}
conns=${BENCH_CONNS:-64}
workers=${BENCH_WORKERS:-4}
blog=${BENCH_BLOG:-4}
make --no-print-directory rel >/dev/null

dirs=()
cleanup() {
    for d in "${dirs[@]}"; do
        HMDP_BIN=$PWD/build/rel bash conf/stack.sh stop "$d" >/dev/null 2>&1 || true
        if [ "${TEST_KEEP:-0}" = 1 ]; then echo "kept $d"; else rm -rf "$d"; fi
    done
}
trap cleanup EXIT

# start_one NOTIFY: a stack; prints its dir
start_one() {
    local d base
    d=$(mktemp -d /tmp/hmdp-bench.XXXXXX)
    # six free ports in a row (the two stacks and other users of the box)
    port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
    local ok k
    for _ in $(seq 1 50); do
        base=$((24000 + (RANDOM % 300) * 10))
        ok=1
        for k in 0 1 2 3 4 5; do port_free $((base + k)) || ok=0; done
        [ $ok = 1 ] && break
    done
    HMDP_MESSAGE_NOTIFY=$1 HMDP_BIN="$PWD/build/rel" HMDP_PORT_BASE=$base \
        HMDP_WORKERS="$workers" HMDP_MODE=prod \
        bash conf/stack.sh start "$d" >"$d/start.log" 2>&1 || {
        cat "$d/start.log" >&2
        HMDP_BIN=$PWD/build/rel bash conf/stack.sh stop "$d" >/dev/null 2>&1
        rm -rf "$d"
        exit 1
    }
    echo "$d"
}
# prepare DIR: users, sessions and the wrk script
prepare() {
    local d=$1 first
    (
        set -a
        # shellcheck disable=SC1091
        . "$d/env"
        set +a
        sql() { mariadb --no-defaults -S "$HMDP_MYSQL_SOCKET" -uroot hmdp -N -e "$1"; }
        sql "INSERT INTO tb_user (phone, nick_name) SELECT CONCAT('175', LPAD(seq, 8, '0')), CONCAT('liker', seq) FROM seq_1_to_$users"
        first=$(sql "SELECT MIN(id) FROM tb_user WHERE phone LIKE '175%'")
        : >"$d/bench/tokens"
        for i in $(seq 0 $((users - 1))); do
            t=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
            echo "HSET login:token:$t id $((first + i)) nickName liker$i icon ''"
            echo "EXPIRE login:token:$t 7200"
            echo "$t" >>"$d/bench/tokens"
        done | redis-cli -p "$HMDP_REDIS_PORT" >/dev/null
        cat >"$d/bench/like.lua" <<LUA
local tokens = {}
for line in io.lines("$d/bench/tokens") do tokens[#tokens + 1] = line end
local id = 0
function setup(thread) thread:set("tid", id); id = id + 1 end
local n = 0
request = function()
  n = n + 1
  local t = tokens[(n * 2 + tid) % #tokens + 1]
  return wrk.format("PUT", "/api/blog/like/$blog", {["authorization"] = t})
end
LUA
    )
}
url_of() { sed -n 's/^export HMDP_URL=//p' "$1/env"; }

off=$(start_one 0)
dirs+=("$off")
on=$(start_one 1)
dirs+=("$on")
prepare "$off"
prepare "$on"

run() { # dir -> "rps non2xx"
    wrk -t2 -c"$conns" -d"${secs}s" -s "$1/bench/like.lua" "$(url_of "$1")" >"$1/wrk.out" 2>&1
    echo "$(awk '/Requests\/sec/ {print $2}' "$1/wrk.out") $(awk '/Non-2xx/ {print $4}' "$1/wrk.out")"
}
ratios=()
for ((k = 1; k <= rounds; k++)); do
    read -r r_off bad_off < <(run "$off")
    read -r r_on bad_on < <(run "$on")
    ratio=$(awk -v a="$r_on" -v b="$r_off" 'BEGIN{printf "%.1f", 100 * a / b}')
    ratios+=("$ratio")
    echo "round $k: off $r_off req/s, on $r_on req/s: on/off $ratio%" \
        "(non-2xx off ${bad_off:-0}, on ${bad_on:-0})"
done
notices=$(redis-cli -p "$(sed -n 's/^export HMDP_REDIS_PORT=//p' "$on/env")" eval \
    "return #redis.call('KEYS', 'message:like:*')" 0)
median=$(printf '%s\n' "${ratios[@]}" | sort -g |
    awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}')
echo "like with notifications on / off: median $median% over $rounds rounds" \
    "($notices like notices sent in the 'on' stack)"
