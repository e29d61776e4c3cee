#!/bin/bash
# Wall time of the parallel batches through pcscd, every card with the 20 ms per-APDU timing model
# (docs/performance.md, "Parallel batches"): `gp rotate` of eight cards with one worker against
# eight, and `keycard duplicate` onto one target against onto eight. A measurement, not a test: it
# prints one line per run and asserts nothing. Run it inside a private pcscd with nine readers:
#
#   tests/integration/lib/cf-pcsc-env --cardforge build/bench/tools/cardforge --no-sim --readers 9 -- \
#       bench/parallel_pcsc.sh [ROUNDS]
set -u
# shellcheck source=/dev/null
. "$CF_PCSC_LIB/cf-pcsc-lib.sh"
rounds=${1:-3}
D=$CF_PCSC_ENV_DIR/parallel-bench
mkdir -p "$D/home"
export CARDFORGE_HOME=$D/home CARDFORGE_AUDIT_LOG=$D/audit.log CARDFORGE_PIN=123456
now_ms() { date +%s%3N; }
# reader N of cf-pcsc-env: "Virtual PCD 00 0N" for 0 and 1, "Virtual PCD k 00 0b" for 2k + b
rn() { if [ "$1" -lt 2 ]; then echo "Virtual PCD 00 0$1"; else echo "Virtual PCD $(($1 / 2)) 00 0$(($1 % 2))"; fi; }
timed() { # label command...
  local t0
  t0=$(now_ms)
  "$@" >"$D/out" 2>&1 || cf_fail "$label failed: $(cat "$D/out")"
  echo "$label: $(($(now_ms) - t0)) ms"
}

cards=()
for n in 0 1 2 3 4 5 6 7; do cards+=(--card gp:scp=03 --timing "$n:apdu20"); done
"$CARDFORGE" sim --memory "${cards[@]}" >"$D/sim.log" 2>&1 &
sim=$!
cf_wait_cards 8 20 || cf_fail "the GP cards did not appear"
ALL=$(for n in 0 1 2 3 4 5 6 7; do rn "$n"; done | paste -sd,)
kvn=16
for _ in $(seq 1 "$rounds"); do
  for jobs in 1 8; do
    printf 'A0A1A2A3A4A5A6A7A8A9AAABACADAE%02d\n' "$kvn" >"$D/key" && chmod 600 "$D/key"
    label="gp rotate, 8 cards, --jobs $jobs"
    timed "$CARDFORGE" -q gp rotate --readers "$ALL" --jobs "$jobs" --new-kvn "$kvn" --type aes --new-key @"$D/key"
    kvn=$((kvn + 1))
  done
done
kill "$sim"
wait "$sim" 2>/dev/null

cards=()
for n in 0 1 2 3 4 5 6 7 8; do cards+=(--card keycard:version=2.2.1 --timing "$n:apdu20"); done
"$CARDFORGE" sim --memory "${cards[@]}" >"$D/sim.log" 2>&1 &
sim=$!
cf_wait_cards 9 20 || cf_fail "the Keycards did not appear"
for n in 0 1 2 3 4 5 6 7 8; do
  "$CARDFORGE" keycard -r "$(rn "$n")" init --pin 123456 --puk 012345678901 >/dev/null 2>&1 || cf_fail "init $n"
  "$CARDFORGE" keycard -r "$(rn "$n")" pair >/dev/null 2>&1 || cf_fail "pair $n"
done
"$CARDFORGE" keycard -r "$(rn 0)" generate-key >/dev/null 2>&1 || cf_fail "generate-key"
targets=()
for n in 1 2 3 4 5 6 7 8; do targets+=(--target "$(rn "$n")"); done
for _ in $(seq 1 "$rounds"); do
  label="keycard duplicate onto 1 target"
  timed "$CARDFORGE" -q keycard duplicate --source "$(rn 0)" --target "$(rn 1)"
  label="keycard duplicate onto 8 targets"
  timed "$CARDFORGE" -q keycard duplicate --source "$(rn 0)" "${targets[@]}"
  for n in 1 2 3 4 5 6 7 8; do "$CARDFORGE" keycard -r "$(rn "$n")" remove-key >/dev/null 2>&1 || cf_fail "remove-key $n"; done
done
kill "$sim"
wait "$sim" 2>/dev/null
