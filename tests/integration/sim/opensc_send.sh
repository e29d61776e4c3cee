#!/bin/bash
# opensc-tool -s: select the loopback application, echo, status word pass-through.
. "$CF_PCSC_LIB/cf-pcsc-lib.sh"
out=$(opensc-tool -r 0 -s 00A4040007F063666C6F6F70 -s 8001000003AABBCC -s 800300000469850102) ||
  cf_fail "opensc-tool -s failed"
echo "$out"
cf_expect_contains "$out" "Received (SW1=0x90, SW2=0x00)" "select"
cf_expect_contains "$out" "AA BB CC" "echo data"
cf_expect_contains "$out" "Received (SW1=0x69, SW2=0x85)" "chosen status word"
# the failed command (6985) must not return its payload: the runtime discards data on errors
case "$out" in *"01 02 ..."*) cf_fail "data returned with an error status word" ;; esac
exit 0
