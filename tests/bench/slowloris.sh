#!/usr/bin/env bash
# Slow clients must not take workers away from normal requests: nginx
# reads a request's header and its whole body (fastcgi_request_buffering,
# on by default) before it opens a connection to the pool, so a client
# that trickles costs nginx a descriptor and the pool nothing.
#
# Measures wrk on a normal endpoint (GET /api/shop/1, cache hit) alone
# and while SLOW_CLIENTS slow clients are connected, alternately: a third idle
# (connected, nothing sent), a third sending a request header one byte a
# second, a third sending a POST /api/user/sign body of 100,000 bytes one
# byte a second. Before each wrk beside them it counts the connections
# nginx holds open to the pool while only the slow clients are there
# (expected: 0), and at the end the trickled POSTs that reached a worker
# (expected: 0).
# Closed slow connections are reopened (nginx drops a request whose header
# takes longer than client_header_timeout, 10 s).
#
# Usage: tests/bench/slowloris.sh
# Env: SLOW_CLIENTS (300), BENCH_ROUNDS (2 pairs of phases),
# BENCH_SECONDS (6), BENCH_CONNS (64),
# BENCH_WORKERS (4), TEST_KEEP=1.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${BENCH_SECONDS:-6}
conns=${BENCH_CONNS:-64}
workers=${BENCH_WORKERS:-4}
slow=${SLOW_CLIENTS:-300}
rounds=${BENCH_ROUNDS:-2}

. tests/bench/lib.sh
bench_stack "$workers"
T=$BENCH_DIR
port=$HMDP_NGINX_PORT
url=$HMDP_URL/api/shop/1
curl -sf "$url" >/dev/null || { echo "GET $url failed"; exit 1; }
# a control: one POST /user/sign sent at once reaches a worker (401, no
# token) and shows up in the count at the end
curl -s -o /dev/null -XPOST -H 'Content-Type: application/json' -d '{}' "$HMDP_URL/api/user/sign"

# slow_clients N: holds N slow connections until killed (SIGTERM).
slow_clients() {
    local n=$1 i fd kind
    local -a fds kinds
    trap '' PIPE
    trap 'exit 0' TERM
    open_one() { # index
        local k=${kinds[$1]} f
        exec {f}<>"/dev/tcp/127.0.0.1/$port" || return 1
        fds[$1]=$f
        case $k in
        head) printf 'GET /api/shop/1 HTTP/1.1\r\nHost: localhost\r\n' >&"$f" ;;
        body) printf 'POST /api/user/sign HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n' >&"$f" ;;
        esac
    }
    for ((i = 0; i < n; i++)); do
        case $((i % 3)) in
        0) kinds[i]=idle ;;
        1) kinds[i]=head ;;
        2) kinds[i]=body ;;
        esac
        open_one "$i" || true
    done
    echo "$n slow clients connected" >&2
    while :; do
        sleep 1
        for ((i = 0; i < n; i++)); do
            fd=${fds[i]:-}
            kind=${kinds[i]}
            if [[ -z $fd ]]; then
                open_one "$i" || true
                continue
            fi
            case $kind in
            idle) continue ;;
            head) printf 'X' >&"$fd" 2>/dev/null && continue ;;
            body) printf '{' >&"$fd" 2>/dev/null && continue ;;
            esac
            # written to a connection nginx closed: open it again
            exec {fd}>&- 2>/dev/null || true
            fds[i]=""
            open_one "$i" || true
        done
    done
}

run_wrk() { # -> "rps p99ms non2xx"
    wrk -t2 -c"$conns" -d"${secs}s" --latency "$url" >"$T/wrk.out" 2>&1
    local rps p99 non2xx
    rps=$(awk '/Requests\/sec/ {print $2}' "$T/wrk.out")
    p99=$(awk '$1=="99%" {print $2}' "$T/wrk.out" | awk '{v=$1; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; printf "%.2f", v}')
    non2xx=$(awk '/Non-2xx/ {print $4}' "$T/wrk.out")
    echo "$rps $p99 ${non2xx:-0}"
}

# connections to the pool's socket (nginx's side and the workers' side
# are each listed once per end: count the workers' ends, ESTAB on the
# socket's path)
pool_conns() {
    ss -xH state connected 2>/dev/null | awk -v s="$HMDP_FCGI_SOCKET" '$5 == s' | wc -l
}

slow_pid=""
stop_slow() {
    if [[ -n $slow_pid ]]; then
        kill -TERM "$slow_pid" 2>/dev/null || true
        wait "$slow_pid" 2>/dev/null || true
        slow_pid=""
    fi
}
trap 'stop_slow; bench_cleanup' EXIT

# Alternating phases (BENCH_ROUNDS pairs, then "alone" once more), so a
# slow spell of this shared machine hits both kinds.
rows=()
for ((k = 0; k < rounds; k++)); do
    read -r rps p99 bad < <(run_wrk)
    rows+=("$(printf '| alone | %.0f | %s ms | %s |' "$rps" "$p99" "$bad")")
    slow_clients "$slow" &
    slow_pid=$!
    sleep 3
    held=$(ss -tnH state established "( sport = :$port )" | wc -l)
    to_pool=$(pool_conns)
    read -r rps p99 bad < <(run_wrk)
    rows+=("$(printf '| beside %d slow clients (nginx held %d client connections, %d to the pool before wrk) | %.0f | %s ms | %s |' \
        "$slow" "$held" "$to_pool" "$rps" "$p99" "$bad")")
    stop_slow
done
read -r rps p99 bad < <(run_wrk)
rows+=("$(printf '| alone | %.0f | %s ms | %s |' "$rps" "$p99" "$bad")")
sleep 1 # the workers write their request log before they wait
signs=$(grep -c 'POST /user/sign' "$HMDP_LOG_FILE" 2>/dev/null || true)

printf '| phase | req/s | p99 | non-2xx |\n|---|---|---|---|\n'
printf '%s\n' "${rows[@]}"
echo
echo "POST /user/sign requests that reached a worker: ${signs:-0} (1 is the control sent at once; the trickled bodies would add to it)"
echo "wrk -t2 -c$conns -d${secs}s $url; $workers FastCGI workers; fcgi_keepalive $HMDP_FCGI_KEEPALIVE; $(nproc) cores"
