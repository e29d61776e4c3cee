#!/bin/bash
# pcscd goes away and comes back: the emulator reconnects, the card keeps its persistent state.
. "$CF_PCSC_LIB/cf-pcsc-lib.sh"
sim_pid=$CF_SIM_PID
out=$("$CARDFORGE" apdu 80040000) || cf_fail "counter before restart"
[ "$out" = "00000001 9000 (success)" ] || cf_fail "counter before: $out"
cf_restart_pcscd 1 || cf_fail "the card did not come back after the pcscd restart"
cf_pid_alive "$sim_pid" || cf_fail "the emulator died with pcscd"
out=$("$CARDFORGE" apdu 80040000) || cf_fail "counter after restart"
[ "$out" = "00000002 9000 (success)" ] || cf_fail "counter after: $out"
grep -q "card lost vpcd" "$CF_PCSC_ENV_DIR/sim.log" || cf_fail "sim did not report the lost connection"
[ "$(grep -c 'card connected to vpcd' "$CF_PCSC_ENV_DIR/sim.log")" = 2 ] || cf_fail "sim should have connected twice"
# and a second time, quickly
cf_restart_pcscd 1 || cf_fail "second restart"
"$CARDFORGE" apdu 80040000 | grep -qx "00000003 9000 (success)" || cf_fail "counter after second restart"
echo "pcscd restart: ok"
