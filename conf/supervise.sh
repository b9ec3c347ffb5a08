#!/usr/bin/env bash
# supervise.sh: keep N copies of a program running for as long as this
# script runs. It replaces multiwatch, which gives up on a child slot for
# good after a few quick deaths ("died too often, not forking again") and
# leaves the FastCGI pool short or the order consumer gone with nothing to
# say so. Here a slot is never given up: a child that died is restarted at
# once the first time and then with a doubling back-off (0.1 s .. 5 s)
# while it keeps dying within 10 s of its start; a child that ran 10 s or
# more starts the count again.
#
#   conf/supervise.sh STATEFILE N PROGRAM [ARGS...]
#
# conf/stack.sh runs it for the worker pool (under spawn-fcgi -n, so fd 0 is
# the listening socket every worker inherits) and for each daemon (N = 1).
#
# Contract with the rest of the stack:
#   * The children of this process are exactly the live copies of PROGRAM:
#     they are started with a plain `PROGRAM &` (fork + exec, no subshell)
#     and the back-off sleeps are `read -t` on a private FIFO, a builtin, so
#     no helper process ever shows up beside them (the tests count them).
#   * STATEFILE gets one line per slot after every change:
#       SLOT STATE PID RESTARTS LAST_EXIT DUE_MS
#     STATE is up or backoff (PID 0, restarts at epoch-ms DUE_MS);
#     LAST_EXIT is "-", "exit N" or "signal N". `stack.sh status` reads it.
#   * SIGTERM or SIGINT: no more restarts; the children get SIGUSR1 (libfcgi
#     and the daemons finish what they are doing and exit), SIGTERM after
#     5 s, SIGKILL after 9 s; then this script exits 0.
set -uo pipefail

[[ $# -ge 3 && $2 =~ ^[0-9]+$ && $2 -ge 1 ]] || {
    echo "usage: $0 STATEFILE N PROGRAM [ARGS...]" >&2
    exit 2
}
STATE=$1
N=$2
shift 2
NAME=${1##*/}

log() {
    printf '%(%Y-%m-%d %H:%M:%S)T supervise[%d] %s: %s\n' -1 "$$" "$NAME" "$*" >&2
}

now_ms() {
    local t=${EPOCHREALTIME/[.,]/}
    echo $((10#$t / 1000))
}

# fd 8: what every child gets as stdin (the FastCGI listening socket under
# spawn-fcgi, /dev/null for a daemon). Bash would give a background command
# /dev/null instead, so the child's redirection names it explicitly.
exec 8<&0
# fd 9: a FIFO nobody writes to, so `read -t` on it is a sleep that a
# signal interrupts and that forks nothing.
fifo=$STATE.fifo.$$
rm -f -- "$fifo"
mkfifo -m 600 -- "$fifo" || exit 1
exec 9<>"$fifo"
rm -f -- "$fifo"

declare -a PID START FAILS DUE RESTARTS LAST
for ((s = 0; s < N; s++)); do
    PID[s]=0 START[s]=0 FAILS[s]=0 DUE[s]=0 RESTARTS[s]=0 LAST[s]=-
done

write_state() {
    local s out=""
    for ((s = 0; s < N; s++)); do
        if ((PID[s] > 0)); then
            out+="$s up ${PID[s]} ${RESTARTS[s]} ${LAST[s]// /_} 0"$'\n'
        else
            out+="$s backoff 0 ${RESTARTS[s]} ${LAST[s]// /_} ${DUE[s]}"$'\n'
        fi
    done
    printf '%s' "$out" >"$STATE"
}

spawn_slot() {
    local s=$1
    set -- "${PROGRAM[@]}"
    "$@" 0<&8 8<&- 9<&- &
    PID[s]=$!
    START[s]=$(now_ms)
}
PROGRAM=("$@")

# reaped SLOT STATUS: slot's child is gone with wait status STATUS.
reaped() {
    local s=$1 st=$2 now lived delay
    now=$(now_ms)
    lived=$((now - START[s]))
    if ((st > 128)); then LAST[s]="signal $((st - 128))"; else LAST[s]="exit $st"; fi
    PID[s]=0
    ((stopping)) && return
    if ((lived >= 10000)); then FAILS[s]=0; fi
    FAILS[s]=$((FAILS[s] + 1))
    delay=0
    if ((FAILS[s] > 1)); then
        delay=$((100 << (FAILS[s] - 2)))
        ((FAILS[s] > 8 || delay > 5000)) && delay=5000
    fi
    DUE[s]=$((now + delay))
    RESTARTS[s]=$((RESTARTS[s] + 1))
    log "slot $s (pid ${PIDWAS:-?}) ended (${LAST[s]}) after ${lived} ms;" \
        "restart in ${delay} ms (quick deaths in a row: ${FAILS[s]})"
}

# sweep: notice every child that has exited (bash has reaped it already,
# so kill -0 fails; `wait PID` then returns its status).
sweep() {
    local s st
    for ((s = 0; s < N; s++)); do
        ((PID[s] > 0)) || continue
        kill -0 "${PID[s]}" 2>/dev/null && continue
        wait "${PID[s]}" 2>/dev/null
        st=$?
        PIDWAS=${PID[s]}
        reaped "$s" "$st"
    done
}

stopping=0
trap 'stopping=1' TERM INT
# a handler, not '': ignored signals would stay ignored in the children
trap ':' USR1 HUP

log "supervising $N x ${PROGRAM[*]}"
while ((!stopping)); do
    now=$(now_ms)
    next=-1
    changed=0
    for ((s = 0; s < N; s++)); do
        ((PID[s] > 0)) && continue
        if ((DUE[s] <= now)); then
            spawn_slot "$s"
            changed=1
        elif ((next < 0 || DUE[s] < next)); then
            next=${DUE[s]}
        fi
    done
    ((changed)) && write_state
    if ((next >= 0)); then
        # a slot waits for its back-off: sleep until then (deaths of the
        # others meanwhile are found by the sweep)
        d=$((next - now))
        read -r -t "$((d / 1000)).$(printf '%03d' $((d % 1000)))" -u 9 _
    else
        died=""
        wait -n -p died
        st=$?
        if [[ -n ${died:-} ]]; then
            for ((s = 0; s < N; s++)); do
                if ((PID[s] == died)); then
                    PIDWAS=$died
                    reaped "$s" "$st"
                fi
            done
        fi
    fi
    sweep
    write_state
done

log "stopping: SIGUSR1 to the children"
for ((s = 0; s < N; s++)); do
    ((PID[s] > 0)) && kill -USR1 "${PID[s]}" 2>/dev/null
done
for ((i = 0; i < 90; i++)); do
    sweep
    left=0
    for ((s = 0; s < N; s++)); do ((PID[s] > 0)) && left=1; done
    ((left)) || break
    if ((i == 50)); then
        log "children still running after 5 s: SIGTERM"
        for ((s = 0; s < N; s++)); do
            ((PID[s] > 0)) && kill -TERM "${PID[s]}" 2>/dev/null
        done
    fi
    read -r -t 0.1 -u 9 _
done
for ((s = 0; s < N; s++)); do
    if ((PID[s] > 0)); then
        log "pid ${PID[s]} still running after 9 s: SIGKILL"
        kill -KILL "${PID[s]}" 2>/dev/null
    fi
done
: >"$STATE"
log "stopped"
exit 0
