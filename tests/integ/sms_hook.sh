#!/bin/sh
# A stand-in SMS gateway for the test stack (sms_hook = this script): the
# worker runs it as `sms_hook.sh PHONE CODE`; it records the pair in the
# run dir, where test_user.c looks for it, with the number of sockets it
# inherited (the worker's connections must not reach it: 0).
n=0
for f in /proc/$$/fd/*; do
    case $(readlink "$f" 2>/dev/null) in socket:*) n=$((n + 1)) ;; esac
done
printf '%s %s sockets=%s\n' "$1" "$2" "$n" >>"${HMDP_RUN_DIR:?}/sms.log"
