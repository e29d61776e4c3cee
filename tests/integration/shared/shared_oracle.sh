#!/bin/bash
# Other programs on the same pcscd get nothing from cardforge's sessions (docs/security.md, "Other
# programs on the same pcscd"). A probe with no PIN (shared_probe.py: pyscard, no transaction)
# sends Inst_MAC to the KMC and Encrypt Data to the authentication card again and again while each
# cardforge flow runs and for a while after it exits; every answer must be 6982 or PC/SC refusing
# the exchange. First a control: a careless client (no transaction, card left as it is) does leak
# its PIN state to the probe, so the probe can see a leak when there is one.
# Run by cf-pcsc-env --no-sim (the script starts the cards, keys from ../cmcc/cmcc_values.sh).
set -u
. "$CF_PCSC_LIB/cf-pcsc-lib.sh"
. "$CF_PCSC_LIB/cf-tdes-lib.sh"
. "$(dirname "$0")/../cmcc/cmcc_values.sh"
here=$(dirname "$0")
D=$CF_PCSC_ENV_DIR/shared
mkdir -p "$D"
export CARDFORGE_KMC_PIN=$PIN CARDFORGE_AUTH_PIN=$PIN


"$CARDFORGE" sim --memory --pidfile "$CF_PCSC_ENV_DIR/sim.pid" \
  --card "kmc:pin2=$PIN_HEX,k01=$K01,k02=$K02" \
  --card "authcard:pin2=$PIN_HEX,k02=$K02,k03=$K03" >"$CF_PCSC_ENV_DIR/sim.log" 2>&1 &
echo $! >"$CF_PCSC_ENV_DIR/sim.pid"
cf_wait_cards 2 10 || cf_fail "the two cards did not appear"

/usr/bin/python3 "$here/shared_probe.py" control "$PIN" || cf_fail "control: the probe did not see a careless client's PIN state"

# watched FLOW...: the probe runs during the flow and 1.5 s after it; both must succeed
watched() {
  local what=$1 stop=$D/stop probe_pid rc
  shift
  rm -f "$stop"
  /usr/bin/python3 "$here/shared_probe.py" watch "$stop" 1.5 >"$D/probe.out" 2>&1 &
  probe_pid=$!
  sleep 0.5
  "$@" >"$D/flow.out" 2>"$D/flow.err" || cf_fail "$what exited $?: $(cat "$D/flow.err")"
  touch "$stop"
  wait "$probe_pid" && rc=0 || rc=$?
  echo "$what: $(cat "$D/probe.out")"
  [ "$rc" = 0 ] || cf_fail "$what: the probe was served"
}

printf 'cardforge-cmcc-keysheet 1\nseed %s\nkey %s\nkey %s\nkey %s\n' "$SEED" "$A_TAK" "$A_EMK" "$A_EAK" >"$D/sheet"
chmod 600 "$D/sheet"
seq 1 300 | awk '{ printf "8602%012X\n", $1 }' >"$D/serials"

watched "cmcc verify-pin" "$CARDFORGE" cmcc verify-pin --card kmc
watched "cmcc auth" "$CARDFORGE" cmcc auth
watched "cmcc generate" "$CARDFORGE" cmcc generate --sheet "$D/sheet"
watched "cmcc user-update (300 cards)" "$CARDFORGE" cmcc user-update --serials "$D/serials" --user-sim mem \
  --user-sim-params "emk=$(div8 "$SEED" 0801010000000000)" --create 0A0B0C0D0E0F --key 01:01=09
cf_expect_contains "$(cat "$D/flow.out")" "300 cards updated and proved by use" "batch summary"
# a batch killed (SIGKILL: no clean-up of its own) while it holds the KMC's rights: pcscd ends
# the dead client's transaction and the card's state goes with it
seq 1 100000 | awk '{ printf "8603%012X\n", $1 }' >"$D/many"
"$CARDFORGE" --quiet cmcc user-update --serials "$D/many" --user-sim mem --user-sim-params \
  "emk=$(div8 "$SEED" 0801010000000000)" --create 0A0B0C0D0E0F --key 01:01=09 >/dev/null 2>&1 &
batch=$!
sleep 1.5
rm -f "$D/stop"
/usr/bin/python3 "$here/shared_probe.py" watch "$D/stop" 1.5 >"$D/probe.out" 2>&1 &
probe_pid=$!
sleep 0.3
cf_pid_alive "$batch" || cf_fail "the batch ended before it was killed"
kill -KILL "$batch"
wait "$batch" 2>/dev/null
touch "$D/stop"
wait "$probe_pid" || cf_fail "batch killed: the probe was served: $(cat "$D/probe.out")"
echo "batch killed mid-way: $(cat "$D/probe.out")"
# a multi-APDU `apdu` run that verifies the PIN: the card is reset when it ends
watched "apdu VERIFY + Read KeyInfo (reader 0: the KMC)" "$CARDFORGE" apdu -r 0 "F0200002083837363534333231" \
  00B401000B
# a program that holds the reader exclusively: one message naming the reader, exit 7
/usr/bin/python3 "$here/shared_probe.py" exclusive 3 >"$D/excl.out" 2>&1 &
excl=$!
for _ in $(seq 1 50); do grep -q held "$D/excl.out" && break; sleep 0.1; done
grep -q held "$D/excl.out" || cf_fail "the exclusive client did not take the reader: $(cat "$D/excl.out")"
"$CARDFORGE" apdu -r 0 00A4040008D156000101800004 >/dev/null 2>"$D/excl.err" && rc=0 || rc=$?
[ "$rc" = 7 ] || cf_fail "a reader held exclusively: exit $rc, expected 7: $(cat "$D/excl.err")"
cf_expect_contains "$(cat "$D/excl.err")" "cardforge: another program reset or used the card in reader Virtual PCD 00 00" \
  "the other-program message"
wait "$excl"
echo "no program without the PIN was served during or after any flow: ok"
