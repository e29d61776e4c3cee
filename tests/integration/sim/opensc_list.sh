#!/bin/bash
# opensc-tool lists the vpcd reader holding the emulated card, and its ATR is the loopback ATR.
. "$CF_PCSC_LIB/cf-pcsc-lib.sh"
out=$(opensc-tool -l) || cf_fail "opensc-tool -l failed"
echo "$out"
echo "$out" | grep -Eq '^0 +Yes +Virtual PCD 00 00' || cf_fail "reader 0 does not show a card"
echo "$out" | grep -Eq '^1 +No +Virtual PCD 00 01' || cf_fail "reader 1 should be empty"
atr=$(opensc-tool -r 0 -a) || cf_fail "opensc-tool -a failed"
[ "$atr" = "3b:8b:80:01:80:59:63:61:72:64:66:6f:72:67:65:be" ] || cf_fail "unexpected ATR $atr"
