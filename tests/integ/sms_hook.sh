#!/bin/sh
# A stand-in SMS gateway for the test stack (sms_hook = this script): the
# worker runs it as `sms_hook.sh PHONE CODE`; it records the pair in the
# run dir, where test_user.c looks for it.
printf '%s %s\n' "$1" "$2" >>"${HMDP_RUN_DIR:?}/sms.log"
