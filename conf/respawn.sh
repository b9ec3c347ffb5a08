#!/usr/bin/env bash
# respawn.sh: the back-off in front of every program multiwatch keeps.
#
#   multiwatch -f N -r 1000000000 -- bash conf/respawn.sh STATEFILE N PROGRAM [ARGS...]
#
# multiwatch restarts a dead child at once, with no delay, and gives up on a
# slot after -r quick deaths ("died to often, not forking again"). With -r
# that never runs out it keeps every slot forever, and this shim adds the
# back-off: each (re)spawned child first runs this script, which claims a
# slot in STATEFILE, sleeps if that slot has been dying quickly, then execs
# PROGRAM in place (same pid: multiwatch's child is the program itself).
# The first quick death restarts at once, then 0.1 s, 0.2 s, ... doubling
# up to 5 s while the program keeps dying within 10 s of its start; one
# that ran 10 s or more starts the count again.
#
# STATEFILE, one line per slot, rewritten atomically (tmp + mv) under an
# flock on STATEFILE.lock:
#   SLOT STATE PID RESTARTS QUICK DUE_MS HOLDER START_MS
# STATE is up (PID = HOLDER = the program's pid) or backoff (PID 0, the
# shim HOLDER execs PROGRAM at epoch-ms DUE_MS); QUICK is the quick deaths
# in a row, START_MS when the program last started. A slot is free when its
# HOLDER is no longer a live child of our multiwatch: a respawned child
# takes the first free slot, which is the one its predecessor left.
# `stack.sh status` reads the file; `stack.sh start` ends the HOLDERs a
# killed multiwatch left behind.
#
# Nothing lingers beside the program: the sleep is bash's `read -t` on a
# FIFO nobody writes to (STATEFILE.fifo), so multiwatch's stop signal
# (SIGUSR1, default action: exit) ends a shim in back-off at once; the lock
# descriptor is closed before the exec.
set -u

[[ $# -ge 3 && $2 =~ ^[1-9][0-9]*$ ]] || {
    echo "usage: $0 STATEFILE N PROGRAM [ARGS...]" >&2
    exit 2
}
STATE=$1
N=$2
shift 2

QUICK_MS=10000 # a death this soon after the start is a quick one
MAX_DELAY_MS=5000

log() {
    printf '%(%Y-%m-%d %H:%M:%S)T respawn[%d] %s: %s\n' -1 "$$" "${1##*/}" "$2" >&2
}

# now_ms: sets NOW to the epoch in ms (no subshell).
now_ms() {
    local t=${EPOCHREALTIME/[.,]/}
    NOW=$((10#$t / 1000))
}

# holds PID: true if PID is a live child of our multiwatch other than us.
holds() {
    local st
    [[ $1 =~ ^[1-9][0-9]*$ ]] && (($1 != $$)) || return 1
    { read -r st <"/proc/$1/stat"; } 2>/dev/null || return 1
    st=${st##*) } # "STATE PPID ..."
    [[ ${st%% *} != Z ]] || return 1
    st=${st#* }
    [[ ${st%% *} == "$PPID" ]]
}

lock() {
    exec {LK}>>"$STATE.lock"
    flock -x "$LK"
}
unlock() {
    exec {LK}>&-
}

# load: LINE[s] = the fields of slot s (empty when never started).
declare -a LINE
load() {
    local s rest
    LINE=()
    [[ -r $STATE ]] || return 0
    while read -r s rest; do
        if [[ $s =~ ^[0-9]+$ ]] && ((s < N)); then
            LINE[s]="$s $rest"
        fi
    done <"$STATE"
}

# store SLOT FIELDS: replace slot's line and write the file atomically.
store() {
    local s out=""
    LINE[$1]=$2
    for ((s = 0; s < N; s++)); do
        [[ -n ${LINE[s]:-} ]] && out+="${LINE[s]}"$'\n'
    done
    printf '%s' "$out" >"$STATE.tmp.$$" && mv -f -- "$STATE.tmp.$$" "$STATE"
}

lock
load
slot=-1
for ((s = 0; s < N && slot < 0; s++)); do
    if [[ -z ${LINE[s]:-} ]]; then
        slot=$s
    else
        read -r _ _ _ _ _ _ holder _ <<<"${LINE[s]}"
        holds "$holder" || slot=$s
    fi
done
if ((slot < 0)); then
    # every slot has a live holder: a stale file (stack.sh clears it
    # before it starts multiwatch); run unrecorded rather than not at all
    unlock
    log "$1" "no free slot in $STATE: starting without back-off"
    exec "$@"
fi

now_ms
restarts=0 quick=0 delay=0
if [[ -n ${LINE[slot]:-} ]]; then
    read -r _ _ _ restarts quick _ _ start <<<"${LINE[slot]}"
    ((NOW - start >= QUICK_MS)) && quick=0
    restarts=$((restarts + 1)) quick=$((quick + 1))
    if ((quick > 1)); then
        delay=$MAX_DELAY_MS
        ((quick < 8)) && delay=$((100 << (quick - 2)))
        ((delay > MAX_DELAY_MS)) && delay=$MAX_DELAY_MS
    fi
    log "$1" "slot $slot restarts (restart $restarts; quick deaths in a row: $quick; back-off ${delay} ms)"
fi
if ((delay > 0)); then
    store "$slot" "$slot backoff 0 $restarts $quick $((NOW + delay)) $$ ${start:-0}"
    [[ -p $STATE.fifo ]] || mkfifo -m 600 -- "$STATE.fifo" 2>/dev/null
    unlock
    printf -v secs '%d.%03d' $((delay / 1000)) $((delay % 1000))
    read -r -t "$secs" _ <>"$STATE.fifo"
    lock
    load
    now_ms
fi
store "$slot" "$slot up $$ $restarts $quick 0 $$ $NOW"
unlock
exec "$@"
