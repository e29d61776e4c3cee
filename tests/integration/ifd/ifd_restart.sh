#!/bin/bash
# The IFD card's state survives pcscd: the loopback card's persistent counter goes on counting
# after pcscd is stopped and started again (the driver closes and reopens the state file).
. "$CF_PCSC_LIB/cf-pcsc-lib.sh"
. "$(dirname "$0")/ifd-lib.sh"
set -u
ifd_wait_ready
counter() { ifd_apdu "IFD loopback" 8004000004; }
first=$(counter) || cf_fail "counter"
counter >/dev/null && counter >/dev/null || cf_fail "counter"
cf_restart_pcscd "$CF_IFD_CARDS" || cf_fail "pcscd did not come back with its cards"
after=$(counter) || cf_fail "counter after the restart"
want=$(printf '%08X9000' $((16#${first:0:8} + 3)))
[ "$after" = "$want" ] || cf_fail "counter after the restart: $after, want $want"
echo "IFD card state across a pcscd restart: ok"
