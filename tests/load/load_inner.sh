#!/bin/bash
# The pcscd load test, inside cf-pcsc-env --no-sim --readers 6 (scripts/loadtest.sh starts it).
# One phase of LOAD_SECONDS with five cards on five readers served by three instances of the vpcd
# driver (cf-pcsc-env loads a copy of the driver file per pair of readers), all busy at once:
#   reader 0  loopback T=1    LOAD_CLIENTS client processes (default 3), plain commands
#   reader 1  loopback T=0    LOAD_CLIENTS client processes, plain commands
#   reader 2  Keycard         one client (the card holds one secure channel)
#   reader 3  GlobalPlatform  one client, SCP03 at the highest level
#   reader 4  China Mobile KMC  one client (tests/load/load_kmc.sh, a PC/SC connection per operation)
# The memory of the emulator and of pcscd is sampled every 2 s. Prints the figures; exits 1 if any
# client failed, a loopback counter differs from the increments the clients saw succeed (a lost
# update), or memory grew after the warm-up.
set -u
# shellcheck source=SCRIPTDIR/../integration/lib/cf-pcsc-lib.sh
. "$CF_PCSC_LIB/cf-pcsc-lib.sh"
seconds=${LOAD_SECONDS:-120}
per_reader=${LOAD_CLIENTS:-3}
client=${CF_LOAD_CLIENT:?}
here=$(cd "$(dirname "$0")" && pwd)
work=$CF_PCSC_ENV_DIR/load
kmc_pin=87654321 # ASCII; the card gets it as pin2 in hex
status=0
mkdir -p "$work/cards"

rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

# cards_ready N: waits until `cardforge readers` shows N cards
cards_ready() {
  for _ in $(seq 1 100); do
    [ "$(timeout 5 "$CARDFORGE" readers 2>/dev/null | grep -c '(card,')" = "$1" ] && return 0
    sleep 0.1
  done
  timeout 5 "$CARDFORGE" readers
  return 1
}

# sum KEY [KIND] [READER] over the result lines
total() {
  awk -v k="$1" -v kind="${2:-}" -v rd="${3:-}" '
    ($2 == kind || kind == "") && ($3 == rd || rd == "") {
      for (i = 5; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) s += kv[2] } }
    END { print s + 0 }' "$results"
}

"$CARDFORGE" sim --state-dir "$work/cards" --fresh --pidfile "$work/sim.pid" \
  --card loopback:mode=t1 --card loopback:mode=t0 --card keycard --card gp:scp=03 \
  --card "kmc:pin2=$(printf %s "$kmc_pin" | od -An -tx1 | tr -d ' \n')" >"$work/sim.log" 2>&1 &
sim=$!
cards_ready 5 || cf_fail "the five cards did not appear"
# each reader must hold its own card (the ATR names the profile)
readers=$("$CARDFORGE" readers)
for want in "0:.*ATR 3B8B8001805963617264666F726765" "1:.*ATR 3B8B8001805963617264666F726765" \
  "2:.*ATR 3B89800180574B6579636172" "3:.*ATR 3B8A8001434647502D495344" "4:.*ATR 3B680000434D43432D4B4D43"; do
  printf '%s\n' "$readers" | grep -q "^$want" || cf_fail "reader ${want%%:*} does not hold the expected card: $readers"
done
printf '%s\n' "$readers" | sed 's/^/load: /'

(
  while :; do
    echo "$(date +%s) $(rss "$sim") $(rss "$CF_PCSCD_PID")"
    sleep 2
  done
) >"$work/mem.log" &
sampler=$!
pids=()
n=0
start() { # KIND READER
  n=$((n + 1))
  if [ "$1" = kmc ]; then
    "$here/load_kmc.sh" "$2" "$seconds" "$n" "$kmc_pin" >"$work/client.$n.log" 2>&1 &
  else
    "$client" "$1" "$2" "$seconds" "$n" >"$work/client.$n.log" 2>&1 &
  fi
  pids+=($!)
}
for _ in $(seq 1 "$per_reader"); do start loopback 0; done
for _ in $(seq 1 "$per_reader"); do start loopback 1; done
start keycard 2
start gp 3
start kmc 4
for p in "${pids[@]}"; do wait "$p"; done
kill "$sampler" 2>/dev/null
wait "$sampler" 2>/dev/null

results=$work/results
grep -h '^result' "$work"/client.*.log >"$results"
grep -h -v '^result' "$work"/client.*.log | head -n 20
reported=$(wc -l <"$results")
[ "$reported" = "$n" ] || { echo "FAIL: $reported of $n clients reported"; status=1; }
apdus=$(total apdus)
failures=$(total failures)
if [ "$failures" != 0 ]; then
  status=1
  grep 'first failure' "$results" | head -n 5
fi
echo "load: $seconds s, 5 readers (3 vpcd driver instances), $n clients: $apdus APDUs ($((apdus / seconds)) per second), $(total operations) checked operations, $failures failed, $(total updates) persistent updates"
for kind in loopback:0 loopback:1 keycard:2 gp:3 kmc:4; do
  k=${kind%:*} r=${kind#*:}
  echo "load:   reader $r $k: $(grep -c "^result $k $r " "$results") client(s), $(total apdus "$k" "$r") APDUs, $(total operations "$k" "$r") operations, $(total failures "$k" "$r") failed, $(total updates "$k" "$r") updates"
done

# lost updates on the loopback cards: every increment a client saw succeed is in the card's counter
# (the read below increments it once more)
for reader in 0 1; do
  made=$(total updates loopback "$reader")
  out=$("$CARDFORGE" apdu -r "$reader" 80040000) || { echo "FAIL: counter read: $out"; status=1; continue; }
  value=$((16#${out%% *}))
  if [ "$value" != $((made + 1)) ]; then
    echo "FAIL: reader $reader counter is $((value - 1)), the clients made $made increments"
    status=1
  else
    echo "load: reader $reader: $made counter increments by $per_reader clients, card counter $((value - 1)): no lost update"
  fi
done

# memory: the last sample against the first one after the warm-up (10% of the run)
t0=$(head -n 1 "$work/mem.log" | cut -d' ' -f1)
read -r sim_warm pcscd_warm < <(awk -v t0="$t0" -v w="$((seconds / 10 + 2))" '$1 >= t0 + w { print $2, $3; exit }' \
  "$work/mem.log")
read -r _ sim_end pcscd_end < <(tail -n 1 "$work/mem.log")
sim_max=$(awk '$2 > m { m = $2 } END { print m + 0 }' "$work/mem.log")
pcscd_max=$(awk '$3 > m { m = $3 } END { print m + 0 }' "$work/mem.log")
verdict=flat
# flat: at most 1 MiB + 2 % above the level after the warm-up
if [ "${sim_end:-0}" -gt $((${sim_warm:-0} + 1024 + ${sim_warm:-0} / 50)) ] ||
  [ "${pcscd_end:-0}" -gt $((${pcscd_warm:-0} + 1024 + ${pcscd_warm:-0} / 50)) ]; then
  verdict=GREW
  status=1
fi
echo "load: memory (KiB RSS, $(wc -l <"$work/mem.log") samples every 2 s) emulator ${sim_warm:-?} after warm-up -> ${sim_end:-?} at the end (max $sim_max), pcscd ${pcscd_warm:-?} -> ${pcscd_end:-?} (max $pcscd_max): $verdict"
cf_stop_pid "$sim"
cards_ready 0 || cf_fail "pcscd still sees cards after the emulator stopped"
[ "$status" = 0 ] && echo "load: PASS" || echo "load: FAIL"
exit "$status"
