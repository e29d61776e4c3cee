#!/bin/bash
# The pcscd load test, inside cf-pcsc-env --no-sim (scripts/loadtest.sh starts it): four emulated
# readers (two vpcd driver instances), one `cardforge sim` holding a T=1 loopback card, a T=0
# loopback card, a Keycard and a GlobalPlatform card; several clients per loopback reader and one
# per Keycard / GP reader for LOAD_SECONDS; the memory of the emulator and of pcscd sampled
# throughout. Prints the figures; exits 1 if any APDU failed, an update was lost or memory grew.
set -u
. "$CF_PCSC_LIB/cf-pcsc-lib.sh"
seconds=${LOAD_SECONDS:-120}
per_reader=${LOAD_CLIENTS:-3}
client=${CF_LOAD_CLIENT:?}
work=$CF_PCSC_ENV_DIR

# two vpcd instances: readers on ports 35963..35966, with distinct names
mkdir -p "$work/reader.conf.d"
for i in 0 1; do
  port=$((35963 + 2 * i))
  printf 'FRIENDLYNAME "Virtual PCD %s"\nDEVICENAME   /dev/null:0x%X\nLIBPATH      %s\nCHANNELID    0x%X\n' \
    "$((i + 1))" "$port" /usr/lib/pcsc/drivers/serial/libifdvpcd.so "$port" >"$work/reader.conf.d/vpcd$i"
done
export CF_PCSCD_ARGS="-f -c $work/reader.conf.d"
cf_restart_pcscd 0 || cf_fail "pcscd with four readers did not start"

cat >"$work/load.conf" <<CONF
reader 0 loopback mode=t1
reader 1 loopback mode=t0
reader 2 keycard
reader 3 gp scp=03
CONF
mkdir -p "$work/cards"
"$CARDFORGE" sim --config "$work/load.conf" --state-dir "$work/cards" --fresh \
  --pidfile "$work/sim.pid" >"$work/sim.log" 2>&1 &
sim=$!
echo "$sim" >"$work/sim.pid"
cf_wait_cards 4 10 || cf_fail "the four cards did not appear: $(opensc-tool -l 2>&1)"
"$CARDFORGE" readers

rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
(
  while :; do
    echo "$(date +%s) $(rss "$sim") $(rss "$CF_PCSCD_PID")"
    sleep 2
  done
) >"$work/mem.log" &
sampler=$!

pids=()
n=0
for reader in 0 1; do
  for _ in $(seq 1 "$per_reader"); do
    n=$((n + 1))
    "$client" loopback "$reader" "$seconds" "$n" >"$work/client.$n.log" 2>&1 &
    pids+=($!)
  done
done
n=$((n + 1)); "$client" keycard 2 "$seconds" "$n" >"$work/client.$n.log" 2>&1 & pids+=($!)
n=$((n + 1)); "$client" gp 3 "$seconds" "$n" >"$work/client.$n.log" 2>&1 & pids+=($!)
for p in "${pids[@]}"; do wait "$p"; done
kill "$sampler" 2>/dev/null
wait "$sampler" 2>/dev/null

cat "$work"/client.*.log
status=0
grep -h '^result' "$work"/client.*.log >"$work/results" || cf_fail "no client result"
[ "$(wc -l <"$work/results")" = "$n" ] || { echo "FAIL: $(wc -l <"$work/results") of $n clients reported"; status=1; }
total() { awk -v k="$1" -v kind="${2:-}" -v rd="${3:-}" '
  ($2 == kind || kind == "") && ($3 == rd || rd == "") {
    for (i = 5; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) s += kv[2] } }
  END { print s + 0 }' "$work/results"; }
apdus=$(total apdus)
failures=$(total failures)
[ "$failures" = 0 ] || status=1

# lost updates: every increment a client saw succeed is in the card's counter (the read below
# increments it once more)
for reader in 0 1; do
  made=$(total updates loopback "$reader")
  out=$("$CARDFORGE" apdu -r "$reader" 80040000) || cf_fail "counter read on reader $reader: $out"
  value=$((16#${out%% *}))
  if [ "$value" != $((made + 1)) ]; then
    echo "FAIL: reader $reader counter is $value, the clients made $made increments"
    status=1
  fi
  echo "reader $reader: $made counter increments by $per_reader clients, card counter $((value - 1)): no lost update"
done

# memory: the last sample against the first one after the warm-up (10% of the run)
read -r sim_warm pcscd_warm < <(awk -v t0="$(head -n 1 "$work/mem.log" | cut -d' ' -f1)" -v w="$((seconds / 10 + 2))" \
  '$1 >= t0 + w { print $2, $3; exit }' "$work/mem.log")
read -r _ sim_end pcscd_end < <(tail -n 1 "$work/mem.log")
sim_max=$(awk '$2 > m { m = $2 } END { print m + 0 }' "$work/mem.log")
flat() { [ "$2" -le $(($1 + 1024 + $1 / 50)) ]; } # at most 1 MiB + 2 % growth
verdict=flat
if ! flat "${sim_warm:-0}" "${sim_end:-0}" || ! flat "${pcscd_warm:-0}" "${pcscd_end:-0}"; then
  verdict="GREW"
  status=1
fi
echo
echo "load: $seconds s, 4 readers, $n clients ($per_reader per loopback reader, 1 Keycard, 1 GP)"
echo "load: $apdus APDUs ($((apdus / seconds)) per second), $(total operations) checked operations, $failures failed"
echo "load: persistent updates: $(total updates) (loopback counters $(total updates loopback), Keycard data $(total updates keycard), GP key sets $(total updates gp))"
echo "load: memory (KiB RSS) emulator after warm-up ${sim_warm:-?} -> end ${sim_end:-?} (max $sim_max), pcscd ${pcscd_warm:-?} -> ${pcscd_end:-?}: $verdict"
[ "$status" = 0 ] && echo "load: PASS" || echo "load: FAIL"
exit "$status"
