#!/bin/bash
# The pcscd load test, inside cf-pcsc-env --no-sim (scripts/loadtest.sh starts it). Debian's vpcd
# driver offers two readers (a second driver instance shares the first one's slots), so the test
# runs two phases of LOAD_SECONDS each, one `cardforge sim` per phase, both readers busy:
#   1. a T=1 loopback card and a T=0 loopback card, LOAD_CLIENTS clients on each reader;
#   2. a Keycard and a GlobalPlatform card, one client each (each card holds one secure channel).
# The memory of the emulator and of pcscd is sampled throughout. Prints the figures; exits 1 if
# any APDU failed, an update was lost or memory grew.
set -u
. "$CF_PCSC_LIB/cf-pcsc-lib.sh"
seconds=${LOAD_SECONDS:-120}
per_reader=${LOAD_CLIENTS:-3}
client=${CF_LOAD_CLIENT:?}
work=$CF_PCSC_ENV_DIR
status=0

rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

# cards_ready N: waits until `cardforge readers` shows N cards (opensc-tool is not used: it can
# hang on vpcd's readers while a card connects)
cards_ready() {
  for _ in $(seq 1 100); do
    [ "$(timeout 5 "$CARDFORGE" readers 2>/dev/null | grep -c '(card,')" = "$1" ] && return 0
    sleep 0.1
  done
  timeout 5 "$CARDFORGE" readers
  return 1
}

# sum KEY [KIND] [READER] over the phase's result lines
total() {
  awk -v k="$1" -v kind="${2:-}" -v rd="${3:-}" '
    ($2 == kind || kind == "") && ($3 == rd || rd == "") {
      for (i = 5; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) s += kv[2] } }
    END { print s + 0 }' "$results"
}

# phase NAME CARD0 CARD1 KIND0 CLIENTS0 KIND1 CLIENTS1
phase() {
  local name=$1 card0=$2 card1=$3 kind0=$4 n0=$5 kind1=$6 n1=$7
  local dir=$work/$name
  mkdir -p "$dir/cards"
  "$CARDFORGE" sim --card "$card0" --card "$card1" --state-dir "$dir/cards" --fresh \
    --pidfile "$dir/sim.pid" >"$dir/sim.log" 2>&1 &
  local sim=$!
  cards_ready 2 || cf_fail "$name: the two cards did not appear"
  (
    while :; do
      echo "$(date +%s) $(rss "$sim") $(rss "$CF_PCSCD_PID")"
      sleep 2
    done
  ) >"$dir/mem.log" &
  local sampler=$! pids=() n=0
  for _ in $(seq 1 "$n0"); do
    n=$((n + 1)); "$client" "$kind0" 0 "$seconds" "$n" >"$dir/client.$n.log" 2>&1 & pids+=($!)
  done
  for _ in $(seq 1 "$n1"); do
    n=$((n + 1)); "$client" "$kind1" 1 "$seconds" "$n" >"$dir/client.$n.log" 2>&1 & pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  kill "$sampler" 2>/dev/null
  wait "$sampler" 2>/dev/null

  results=$dir/results
  grep -h '^result' "$dir"/client.*.log >"$results"
  grep -h -v '^result' "$dir"/client.*.log | head -n 20
  local reported
  reported=$(wc -l <"$results")
  [ "$reported" = "$n" ] || { echo "FAIL: $name: $reported of $n clients reported"; status=1; }
  local apdus failures
  apdus=$(total apdus)
  failures=$(total failures)
  if [ "$failures" != 0 ]; then
    status=1
    grep 'first failure' "$results" | head -n 5
  fi
  echo "load: $name: $seconds s, 2 readers, $n clients: $apdus APDUs ($((apdus / seconds)) per second), $(total operations) checked operations, $failures failed, $(total updates) persistent updates"

  # lost updates on the loopback cards: every increment a client saw succeed is in the card's
  # counter (the read below increments it once more)
  for reader in 0 1; do
    local kind made out value
    kind=$([ "$reader" = 0 ] && echo "$kind0" || echo "$kind1")
    [ "$kind" = loopback ] || continue
    made=$(total updates loopback "$reader")
    out=$("$CARDFORGE" apdu -r "$reader" 80040000) || { echo "FAIL: counter read: $out"; status=1; continue; }
    value=$((16#${out%% *}))
    if [ "$value" != $((made + 1)) ]; then
      echo "FAIL: $name: reader $reader counter is $((value - 1)), the clients made $made increments"
      status=1
    else
      echo "load: $name: reader $reader: $made counter increments by $n0 clients, card counter $((value - 1)): no lost update"
    fi
  done

  # memory: the last sample against the first one after the warm-up (10% of the run)
  local t0 sim_warm pcscd_warm sim_end pcscd_end sim_max verdict=flat
  t0=$(head -n 1 "$dir/mem.log" | cut -d' ' -f1)
  read -r sim_warm pcscd_warm < <(awk -v t0="$t0" -v w="$((seconds / 10 + 2))" '$1 >= t0 + w { print $2, $3; exit }' \
    "$dir/mem.log")
  read -r _ sim_end pcscd_end < <(tail -n 1 "$dir/mem.log")
  sim_max=$(awk '$2 > m { m = $2 } END { print m + 0 }' "$dir/mem.log")
  # flat: at most 1 MiB + 2 % above the level after the warm-up
  if [ "${sim_end:-0}" -gt $((${sim_warm:-0} + 1024 + ${sim_warm:-0} / 50)) ] ||
    [ "${pcscd_end:-0}" -gt $((${pcscd_warm:-0} + 1024 + ${pcscd_warm:-0} / 50)) ]; then
    verdict=GREW
    status=1
  fi
  echo "load: $name: memory (KiB RSS, $(wc -l <"$dir/mem.log") samples) emulator ${sim_warm:-?} after warm-up -> ${sim_end:-?} at the end (max $sim_max), pcscd ${pcscd_warm:-?} -> ${pcscd_end:-?}: $verdict"
  cf_stop_pid "$sim"
  cards_ready 0 || cf_fail "$name: pcscd still sees cards after the emulator stopped"
}

phase loopback loopback:mode=t1 loopback:mode=t0 loopback "$per_reader" loopback "$per_reader"
phase keycard-gp keycard gp:scp=03 keycard 1 gp 1
[ "$status" = 0 ] && echo "load: PASS" || echo "load: FAIL"
exit "$status"
