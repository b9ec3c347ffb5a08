#!/usr/bin/env bash
# streams.sh: consumer throughput of the stream runtime. ORDERS orders
# (default 20000, distinct buyers, one seckill voucher with that stock) are
# appended to stream.orders while its consumers are stopped; then the
# release consumers (hmdp-voucher-consumer: g1, hmdp-credits-consumer:
# credits, INSTANCES processes each, default 1) start and the script
# reports how long until MySQL holds every order and every credit grant
# (entries/s per group), and that nothing is left pending or in a DLQ.
# Usage: tests/bench/streams.sh [orders] [instances]
# Not part of `make test`; the coordinator runs benchmarks.
set -euo pipefail
cd "$(dirname "$0")/../.."
orders=${1:-20000}
inst=${2:-1}
. tests/bench/lib.sh
export HMDP_VOUCHER_CONSUMERS=$inst HMDP_CREDITS_CONSUMERS=$inst
bench_stack "${BENCH_WORKERS:-4}"
sql() { mariadb --no-defaults -S "$HMDP_MYSQL_SOCKET" -uroot hmdp -N -e "$1"; }
rcli() { redis-cli -p "$HMDP_REDIS_PORT" "$@"; }

# stop the consumers: the orders pile up in the stream
for n in hmdp-voucher-consumer hmdp-credits-consumer; do
    p=$(cat "$BENCH_DIR/$n.pid")
    kill -TERM "$p"
    while kill -0 "$p" 2>/dev/null; do sleep 0.1; done
done

sql "INSERT INTO tb_voucher (shop_id, title, pay_value, actual_value, type, status) VALUES (1, 'bench', 1, 2, 1, 1)"
vid=$(sql "SELECT MAX(id) FROM tb_voucher")
sql "INSERT INTO tb_seckill_voucher (voucher_id, stock, begin_time, end_time) VALUES ($vid, $orders, NOW(), NOW() + INTERVAL 1 DAY)"
base=$((7000000000000000000 + RANDOM * 100000))
ubase=$((700000000 + RANDOM * 1000))
for i in $(seq 0 $((orders - 1))); do
    echo "XADD stream.orders * userId $((ubase + i)) voucherId $vid id $((base + i))"
done | rcli >/dev/null

t0=$(date +%s.%N)
for n in hmdp-voucher-consumer hmdp-credits-consumer; do
    (
        . "$BENCH_DIR/env"
        export HMDP_LOG_FILE=$BENCH_DIR/logs/$n.log
        setsid multiwatch -f "$inst" -- "$PWD/build/rel/$n" \
            </dev/null >>"$BENCH_DIR/logs/$n.log" 2>&1 &
        echo $! >"$BENCH_DIR/$n.pid"
    )
done
g1="" cr=""
while :; do
    o=$(sql "SELECT COUNT(*) FROM tb_voucher_order WHERE voucher_id = $vid")
    c=$(sql "SELECT COUNT(*) FROM tb_credit_log WHERE order_id BETWEEN $base AND $((base + orders - 1))")
    now=$(date +%s.%N)
    [ -z "$g1" ] && [ "$o" -ge "$orders" ] && g1=$(echo "$now - $t0" | bc)
    [ -z "$cr" ] && [ "$c" -ge "$orders" ] && cr=$(echo "$now - $t0" | bc)
    [ -n "$g1" ] && [ -n "$cr" ] && break
    if [ "$(echo "$now - $t0 > 300" | bc)" = 1 ]; then
        echo "timeout: $o orders, $c credit grants"
        exit 1
    fi
    sleep 0.05
done
printf 'g1 (orders):  %d entries in %.2f s = %.0f/s (%d consumers)\n' "$orders" "$g1" "$(echo "$orders / $g1" | bc -l)" "$inst"
printf 'credits:      %d entries in %.2f s = %.0f/s (%d consumers)\n' "$orders" "$cr" "$(echo "$orders / $cr" | bc -l)" "$inst"
echo "pending g1: $(rcli XPENDING stream.orders g1 | head -n1), credits: $(rcli XPENDING stream.orders credits | head -n1), dlq: $(rcli XLEN stream.orders:dlq)"
