#!/usr/bin/env bash
# soak.sh: a long mixed workload at a steady rate against a private stack
# (release build, demo data loaded), to show that nothing leaks or drifts:
# every SOAK_SAMPLE seconds one CSV row (elapsed wall seconds) with the
# requests of the interval,
# their 5xx and failed connections, p50/p99/max latency, and the worker
# processes' total and largest RSS and open descriptors (plus the order
# consumer's RSS). Exits 1 if any response was >= 500 or a connection
# failed.
#
# The mix per 100 requests: 70 reads (a blog, the hot page, the feed, a
# shop, shops near a point, a blog's likers, the session user), 10 like
# toggles, 8 follow toggles, 4 publishes, 3 image uploads, 5 seckill
# orders, each by one of SOAK_USERS logged-in users. Requests go out in
# parallel batches, one batch per second (curl --parallel), so the rate
# stays steady whatever the latency.
#
# Env: SOAK_SECONDS (1800), SOAK_RATE (requests/s, 100), SOAK_SAMPLE (60),
# SOAK_USERS (20), SOAK_SCALE (demo-data scale, 0.1; 0 = seed data only),
# SOAK_CSV (build/soak.csv), BENCH_WORKERS (4), TEST_KEEP=1.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${SOAK_SECONDS:-1800}
rate=${SOAK_RATE:-100}
sample=${SOAK_SAMPLE:-60}
nusers=${SOAK_USERS:-20}
scale=${SOAK_SCALE:-0.1}
csv=${SOAK_CSV:-build/soak.csv}
workers=${BENCH_WORKERS:-4}

. tests/bench/lib.sh
bench_stack "$workers"
T=$BENCH_DIR
api=$HMDP_URL/api
mkdir -p "$T/soak"

# blogs and authors to act on: the seed's, and the demo data's
blogs=(4 5 6 7)
authors=(1 2)
if [ "$scale" != 0 ]; then
    make --no-print-directory build/rel/demo-data >/dev/null
    build/rel/demo-data "$scale" "$T/demo.env" 2>"$T/demo.log" || { cat "$T/demo.log"; exit 1; }
    # shellcheck disable=SC1091
    . "$T/demo.env"
    for i in $(seq 0 199); do
        blogs+=($((DEMO_FIRST_BLOG + (i * 7919) % DEMO_BLOGS)))
        authors+=($((DEMO_FIRST_USER + (i * 104729) % DEMO_USERS)))
    done
    blogs+=("$DEMO_LIKED_BLOG" "$DEMO_BIG_BLOG")
    authors+=("$DEMO_BIG_AUTHOR_0" "$DEMO_BIG_AUTHOR_1")
fi
shop_x=${DEMO_SHOP_X:-120.149993}
shop_y=${DEMO_SHOP_Y:-30.334229}
liked=${DEMO_LIKED_BLOG:-4}

tokens=()
for i in $(seq 1 "$nusers"); do
    t=$(bench_login "$(printf '1395%07d' "$i")")
    [ ${#t} = 32 ] || { echo "login $i failed"; exit 1; }
    redis-cli -p "$HMDP_REDIS_PORT" expire "login:token:$t" $((secs + 3600)) >/dev/null
    tokens+=("$t")
done

# a seckill voucher on sale for the whole run, stock for everyone
admin=$(cat "$HMDP_ADMIN_TOKEN_FILE")
lt() { date -d "@$(($(date +%s) + $1))" +%Y-%m-%dT%H:%M:%S; }
vbody="{\"shopId\":1,\"title\":\"soak\",\"payValue\":100,\"actualValue\":200,\"type\":1,\"stock\":1000000,\"beginTime\":\"$(lt -60)\",\"endTime\":\"$(lt $((secs + 3600)))\"}"
voucher=$(curl -s -XPOST -H "X-Admin-Token: $admin" -H 'Content-Type: application/json' \
    -d "$vbody" "$api/voucher/seckill" | sed -n 's/.*"data":\([0-9]*\).*/\1/p')
[ -n "$voucher" ] || { echo "creating the seckill voucher failed"; exit 1; }

# a small valid PNG to upload
printf '\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\1\0\0\0\1\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\xf8\x0f\0\0\1\1\0\x05\x18\xd8N\0\0\0\0IEND\xaeB`\x82' >"$T/soak/a.png"

pick() { # array-name -> a random element
    local -n arr=$1
    echo "${arr[RANDOM % ${#arr[@]}]}"
}

# One request of the mix as a curl config block.
request_block() {
    local r=$((RANDOM % 100)) tok url method="" data="" form=""
    tok=${tokens[RANDOM % ${#tokens[@]}]}
    echo next # separates blocks (dropped before the first: a trailing one fails curl)
    if ((r < 12)); then url="$api/blog/$(pick blogs)"
    elif ((r < 24)); then url="$api/blog/hot?current=$((1 + RANDOM % 3))"
    elif ((r < 36)); then url="$api/blog/of/follow?lastId=9999999999999"
    elif ((r < 46)); then url="$api/shop/$((1 + RANDOM % 14))"
    elif ((r < 53)); then url="$api/shop/of/type?typeId=1&current=1&x=$shop_x&y=$shop_y"
    elif ((r < 60)); then url="$api/blog/likes/$liked"
    elif ((r < 70)); then url="$api/user/me"
    elif ((r < 80)); then method=PUT url="$api/blog/like/$(pick blogs)"
    elif ((r < 88)); then
        method=PUT url="$api/follow/$(pick authors)/$([ $((RANDOM % 2)) = 0 ] && echo true || echo false)"
    elif ((r < 92)); then
        method=POST url="$api/blog"
        data="{\"title\":\"soak $RANDOM\",\"content\":\"soak\",\"images\":\"\",\"shopId\":1}"
    elif ((r < 95)); then method=POST url="$api/upload/blog" form="file=@$T/soak/a.png;type=image/png"
    else method=POST url="$api/voucher-order/seckill/$voucher"
    fi
    echo "url = \"$url\""
    echo "header = \"authorization: $tok\""
    [ -n "$method" ] && [ -z "$data$form" ] && echo "request = \"$method\""
    [ -n "$data" ] && { echo 'header = "Content-Type: application/json"'; echo "data = \"${data//\"/\\\"}\""; }
    [ -n "$form" ] && echo "form = \"$form\""
    echo 'output = "/dev/null"'
    echo 'write-out = "%{http_code} %{time_total}\n"'
}

pids_of() { # pid-file -> the children of that multiwatch
    [ -r "$1" ] && pgrep -P "$(cat "$1")" || true
}
sample_procs() { # -> "n rss_sum rss_max fds_sum consumer_rss"
    local n=0 sum=0 max=0 fds=0 rss p crss=0
    for p in $(pids_of "$T/fcgi.pid"); do
        rss=$(awk '/^VmRSS/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
        n=$((n + 1)) sum=$((sum + rss))
        ((rss > max)) && max=$rss
        fds=$((fds + $(ls "/proc/$p/fd" 2>/dev/null | wc -l)))
    done
    for f in "$T"/*consumer*.pid; do
        for p in $(pids_of "$f"); do
            rss=$(awk '/^VmRSS/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
            crss=$((crss + rss))
        done
    done
    echo "$n $sum $max $fds $crss"
}

mkdir -p "$(dirname "$csv")"
echo "elapsed_s,requests,status_5xx,failed,p50_ms,p99_ms,max_ms,workers,worker_rss_kb_sum,worker_rss_kb_max,worker_fds_sum,consumer_rss_kb" >"$csv"
summarize() { # elapsed results-file
    local stats
    stats=$(awk '{n++; if ($1 >= 500) e++; if ($1 == "000") f++; print $2 * 1000 > "/dev/stderr"}
                 END {printf "%d %d %d", n, e, f}' "$2" 2>"$T/soak/times")
    read -r n e f <<<"$stats"
    local p50 p99 mx
    read -r p50 p99 mx < <(sort -g "$T/soak/times" | awk '{v[NR]=$1} END {
        if (NR == 0) {print "0 0 0"; exit}
        i50 = int(NR * 0.50); if (i50 < 1) i50 = 1
        i99 = int(NR * 0.99 + 0.999); if (i99 > NR) i99 = NR
        printf "%.1f %.1f %.1f\n", v[i50], v[i99], v[NR]}')
    read -r pn psum pmax pfds crss < <(sample_procs)
    echo "$1,$n,$e,$f,$p50,$p99,$mx,$pn,$psum,$pmax,$pfds,$crss" | tee -a "$csv"
    bad5xx=$((bad5xx + e + f))
}

echo "soak: ${secs}s at $rate req/s, $nusers users, sample every ${sample}s, demo scale $scale; CSV $csv"
head -n1 "$csv"
read -r _ s0 _ f0 _ < <(sample_procs)
echo "0,0,0,0,0,0,0,$workers,$s0,0,$f0,0" >>"$csv"
bad5xx=0
# one batch of requests per second, drawn in advance (SOAK_SAMPLE batches,
# used in turn): making them in the loop cost bash more than a second on
# a busy machine, and the offered rate fell below SOAK_RATE
for ((b = 0; b < sample; b++)); do
    for ((i = 0; i < rate; i++)); do request_block; done | tail -n +2 >"$T/soak/cfg.$b"
done
start=$(date +%s)
tick=0
: >"$T/soak/cur"
while :; do
    now=$(date +%s)
    ((now - start >= secs)) && break
    curl -s --no-progress-meter -Z --parallel-max 32 -K "$T/soak/cfg.$((tick % sample))" \
        >>"$T/soak/cur" 2>/dev/null &
    tick=$((tick + 1))
    if ((tick % sample == 0)); then
        wait
        summarize "$(($(date +%s) - start))" "$T/soak/cur"
        : >"$T/soak/cur"
    fi
    # sleep to the next whole tick
    now_ns=$(date +%s%N)
    next_ns=$(((start + tick) * 1000000000))
    ((next_ns > now_ns)) && sleep "$(awk -v d=$((next_ns - now_ns)) 'BEGIN{printf "%.3f", d / 1e9}')"
done
wait
[ -s "$T/soak/cur" ] && summarize "$(($(date +%s) - start))" "$T/soak/cur"
echo "offered: $tick batches of $rate in $(($(date +%s) - start)) s"
if grep -lE 'Sanitizer|runtime error:' "$T"/logs/*.log >/dev/null 2>&1; then
    echo "sanitizer reports in the logs"; bad5xx=$((bad5xx + 1))
fi
if ((bad5xx > 0)); then
    echo "soak FAILED: $bad5xx responses >= 500 or failed connections (logs in $T/logs; TEST_KEEP=1 keeps them)"
    exit 1
fi
echo "soak ok: no response >= 500; CSV in $csv"
