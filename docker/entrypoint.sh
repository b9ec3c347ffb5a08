#!/usr/bin/env bash
# Starts the stack in /data and stays in the foreground; SIGTERM stops it.
# Redis persists in /data/redis (AOF, fsync always) and MariaDB in
# /data/db; the demo data is loaded only into an empty database, so a
# restarted container keeps what its users did.
set -euo pipefail
cd /opt/hmdp
HMDP_BIN=/opt/hmdp/build/rel bash conf/stack.sh start /data
# nginx listens on 127.0.0.1 by default; publish it on all interfaces
sed -i "s/listen 127.0.0.1:${HMDP_PORT_BASE}/listen ${HMDP_PORT_BASE}/" /data/nginx.conf
nginx -p /data -c /data/nginx.conf -s reload
stop() { bash conf/stack.sh stop /data; exit 0; }
trap stop TERM INT
tail -F /data/logs/worker.log &
wait $!
