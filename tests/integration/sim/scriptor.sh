#!/bin/bash
# scriptor (pcsc-tools) runs a script against the loopback card, GET RESPONSE included.
. "$CF_PCSC_LIB/cf-pcsc-lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
out=$(scriptor -r "Virtual PCD 00 00" "$here/loopback.scr" 2>&1) || cf_fail "scriptor failed: $out"
echo "$out"
cf_expect_contains "$out" "< OK: 3B 8B 80 01 80 59 63 61 72 64 66 6F 72 67 65 BE" "reset answers the ATR"
cf_expect_contains "$out" "< DE AD BE EF 90 00 : Normal processing." "echo"
cf_expect_contains "$out" "61 2C : 0x2C bytes of response still available." "61XX after 256 bytes"
cf_expect_contains "$out" "< 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F " "start of the data"
cf_expect_contains "$out" "20 21 22 23 24 25 26 27 28 29 2A 2B 90 00 : Normal processing." "GET RESPONSE rest"
cf_expect_contains "$out" "< 00 00 00 01 90 00 : Normal processing." "counter"
