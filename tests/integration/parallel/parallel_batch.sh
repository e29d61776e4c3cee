#!/bin/bash
# `cardforge cmcc user-update` over eight readers at once (user cards with the 20 ms per-APDU timing
# model) against the same batch run one reader after another: the same per-card results in the same
# (list) order, the same keys on the cards (checked with INTERNAL AUTHENTICATE against keys derived
# here with openssl); no timing is asserted (speed is bench/'s); a wrong card in one reader stops
# that reader's cards only and the resume line names exactly the cards left (a rerun with it
# completes them, and a card done twice would refuse a second CREATE); a reader that is gone stops its
# worker only; SIGINT during a parallel run over emulated cards exits 130 with an exact resume line.
set -u
# shellcheck source=/dev/null
. "$CF_PCSC_LIB/cf-pcsc-lib.sh"
# shellcheck source=/dev/null
. "$CF_PCSC_LIB/cf-tdes-lib.sh"
# shellcheck source=/dev/null # tests/integration/cmcc/cmcc_values.sh
. "$1/cmcc_values.sh"

D=$CF_PCSC_ENV_DIR/parallel
mkdir -p "$D"
cf=("$CARDFORGE" cmcc)
export CARDFORGE_KMC_PIN=$PIN CARDFORGE_AUTH_PIN=$PIN

run() { # expected-exit what command...
  local want=$1 what=$2 rc
  shift 2
  out=$("$@" 2>"$D/stderr") && rc=0 || rc=$?
  err=$(cat "$D/stderr")
  [ "$rc" = "$want" ] || cf_fail "$what: exit $rc, expected $want; stdout: $out; stderr: $err"
}
now_ms() { date +%s%3N; }

EMK=$(div8 "$SEED" 0801010000000000)
EAK=$(div8 "$SEED" 0901010000000000)
S=(8600000000000A01 8600000000000A02 8600000000000A03 8600000000000A04 8600000000000A05 8600000000000A06
  8600000000000A07 8600000000000A08)
# KMC and auth card in readers 0 and 1 (no model: they are shared), the eight user cards with the
# 20 ms per-APDU model in readers 2..9
users=()
for i in 0 1 2 3 4 5 6 7; do users+=(--card "usercard:serial=${S[$i]},emk=$EMK" --timing "$((i + 2)):apdu20"); done
"$CARDFORGE" sim --memory --pidfile "$CF_PCSC_ENV_DIR/sim.pid" \
  --card "kmc:pin2=$PIN_HEX,k01=$K01,k02=$K02" --card "authcard:pin2=$PIN_HEX,k02=$K02,k03=$K03" \
  "${users[@]}" >"$CF_PCSC_ENV_DIR/sim.log" 2>&1 &
echo $! >"$CF_PCSC_ENV_DIR/sim.pid"
cf_wait_cards 10 20 || cf_fail "the ten cards did not appear ($(cat "$CF_PCSC_ENV_DIR/sim.log"))"
readers=$("$CARDFORGE" readers) || cf_fail "cardforge readers"
R=()
for s in "${S[@]}"; do
  r=""
  for n in $(printf '%s\n' "$readers" | grep "ATR 3B680000434D43432D555352" | sed 's/^\([0-9]*\): .*/\1/'); do
    name=$(printf '%s\n' "$readers" | grep "^$n: " | sed 's/^[0-9]*: \(.*\) (card.*/\1/')
    got=$("$CARDFORGE" apdu -r "$name" 00A4040000 >/dev/null 2>&1; "$CARDFORGE" apdu -r "$name" 00CA00C108 2>/dev/null)
    [ "$got" = "$s 9000 (success)" ] && r=$name
  done
  [ -n "$r" ] || cf_fail "no reader holds user card $s: $readers"
  R+=("$r")
done
ALL=$(IFS=,; echo "${R[*]}")

printf 'cardforge-cmcc-keysheet 1\nseed %s\nkey %s\nkey %s\n' "$SEED" "$A_EMK" "$A_EAK" >"$D/sheet"
chmod 600 "$D/sheet"
run 0 "generate" "${cf[@]}" generate --sheet "$D/sheet"

# ---- the same batch, one reader after another, then eight at once (sub-applications 01, 02) ----
for i in 0 1 2 3 4 5 6 7; do printf '%s %s\n' "${S[$i]}" "${R[$i]}"; done >"$D/named"
printf '%s\n' "${S[@]}" >"$D/plain"
printf '%s\n' "${S[@]:0:4}" >"$D/plain4"
t0=$(now_ms)
run 0 "sequential batch" "${cf[@]}" user-update --serials "$D/named" --subapp 01 --create 0A0B0C0D0E0F --report
seq_ms=$(($(now_ms) - t0))
seq_report=$out
t0=$(now_ms)
run 0 "parallel batch" "${cf[@]}" user-update --serials "$D/plain" --subapp 02 --create 0A0B0C0D0E0F \
  --readers "$ALL" --report
par_ms=$(($(now_ms) - t0))
par_report=$out
cf_expect_contains "$par_report" "8 cards updated and proved by use" "parallel summary"
# per card, in list order: the same results (the parallel report adds the reader that did it)
[ "$(printf '%s\n' "$seq_report" | grep '^card ' | cut -d' ' -f1-4)" = \
  "$(printf '%s\n' "$par_report" | grep '^card ' | cut -d' ' -f1-4)" ] ||
  cf_fail "per-card results differ: sequential: $seq_report; parallel: $par_report"
for i in 0 1 2 3 4 5 6 7; do
  line=$(printf '%s\n' "$par_report" | grep "^card $((i + 1)) ")
  [ "$line" = "card $((i + 1)) ${S[$i]} updated (${R[$i]})" ] || cf_fail "report line $((i + 1)): $line"
  for sub in 01 02; do
    expect_key "${R[$i]}" "$sub" 01 "$(div8 "$EAK" "${S[$i]}")" "card ${S[$i]} sub-application $sub key 01"
  done
done
# progress names every reader
cf_expect_contains "$err" "r1:1 r2:1 r3:1 r4:1 r5:1 r6:1 r7:1 r8:1" "progress per reader"
echo "parallel-batch: 8 cards, sequential ${seq_ms} ms, 8 readers ${par_ms} ms (not asserted)"

# ---- a wrong card in one reader: that reader stops, the others finish (sub-application 03; a
# list names each card once, so each reader has one card here; a reader's later cards staying
# undone is covered by tests/unit/cmcc_host/test_cmcc_host_batch.c) ----
printf '%s\n' "${S[0]}" "${S[1]}" 8600000000000BAD "${S[3]}" >"$D/list"
run 5 "a wrong card in reader 3" "${cf[@]}" user-update --serials "$D/list" --subapp 03 \
  --create 0A0B0C0D0E0F --readers "$ALL" --report
cf_expect_contains "$out" "stopped at card 3 of 4: 3 updated in this run; rerun with --lines 3" "resume line"
cf_expect_contains "$err" "card 3 (serial 8600000000000BAD)" "the failure names the card"
cf_expect_contains "$err" "wrong card" "the failure says why"
for i in 1 2 4; do
  printf '%s\n' "$out" | grep -q "^card $i ${S[$((i - 1))]} updated (${R[$((i - 1))]})$" || cf_fail "card $i: $out"
done
printf '%s\n' "$out" | grep -q "^card 3 8600000000000BAD failed (${R[2]})$" || cf_fail "card 3: $out"
# every card again: the three done refuse a second CREATE (6A89), so a resume must name card 3 only
run 3 "a rerun of the whole list" "${cf[@]}" user-update --serials "$D/plain4" --subapp 03 \
  --create 0A0B0C0D0E0F --readers "$ALL" --report
cf_expect_contains "$err" "6A89" "a second CREATE is refused"
printf '%s\n' "$out" | grep -q "^card 3 ${S[2]} updated" || cf_fail "card 3 not done by the rerun: $out"
cf_expect_contains "$out" "rerun with --lines 1-2,4" "resume line of the rerun"
# the resume line's card only, with the right card listed: done, and proved
run 0 "resume with --lines 3" "${cf[@]}" user-update --serials "$D/plain4" --subapp 04 \
  --create 0A0B0C0D0E0F --readers "$ALL" --lines 3 --report
cf_expect_contains "$out" "1 cards updated" "resume summary"
printf '%s\n' "$out" | grep -q "^card 1 ${S[0]} left out$" || cf_fail "--lines 3 did card 1: $out"
expect_key "${R[2]}" 03 01 "$(div8 "$EAK" "${S[2]}")" "card 3 sub-application 03"
expect_key "${R[2]}" 04 01 "$(div8 "$EAK" "${S[2]}")" "card 3 sub-application 04"

# ---- a reader that is gone: its worker stops at its first card, the others finish ----
run 4 "a reader that is gone" "${cf[@]}" user-update --serials "$D/plain4" --subapp 05 --create 0A0B0C0D0E0F \
  --readers "No Such Reader,${R[1]},${R[2]},${R[3]}" --report
cf_expect_contains "$err" "card 1 (serial ${S[0]})" "the failure names the card"
cf_expect_contains "$out" "stopped at card 1 of 4: 3 updated in this run; rerun with --lines 1" "resume line"
run 0 "resume on the reader back" "${cf[@]}" user-update --serials "$D/plain4" --subapp 05 --create 0A0B0C0D0E0F \
  --readers "$ALL" --lines 1
expect_key "${R[0]}" 05 01 "$(div8 "$EAK" "${S[0]}")" "card 1 sub-application 05"

# ---- SIGINT during a parallel run over emulated cards: exit 130, an exact resume line ----
seq 1 1500 | awk '{ printf "8602%012X\n", $1 }' >"$D/serials"
mkdir -p "$D/cards"
set -m # job control: a background job of a script without it ignores SIGINT
"${cf[@]}" user-update --serials "$D/serials" --user-sim "$D/cards" --user-sim-params "emk=$EMK" \
  --create 0A0B0C0D0E0F --jobs 4 >"$D/int.out" 2>"$D/int.err" &
pid=$!
for _ in $(seq 1 100); do
  [ "$(find "$D/cards" -name 'usercard-*.db' | wc -l)" -ge 20 ] && break
  sleep 0.1
done
kill -INT "$pid"
rc=0
wait "$pid" || rc=$?
set +m
[ "$rc" = 130 ] || cf_fail "SIGINT: exit $rc ($(cat "$D/int.out" "$D/int.err"))"
from=$(sed -n 's/.*rerun with --from \([0-9]*\)$/\1/p' "$D/int.out")
[ -n "$from" ] || cf_fail "no --from resume line: $(cat "$D/int.out")"
[ "$from" -lt 1500 ] || cf_fail "SIGINT came too late to test ($from)"
done_n=$(sed -n 's/.*: \([0-9]*\) updated in this run.*/\1/p' "$D/int.out")
[ "$done_n" = $((from - 1)) ] || cf_fail "resume at $from after $done_n cards"
run 0 "resume after SIGINT" "${cf[@]}" user-update --serials "$D/serials" --user-sim "$D/cards" \
  --user-sim-params "emk=$EMK" --create 0A0B0C0D0E0F --jobs 4 --from "$from"
cf_expect_contains "$out" "$((1500 - from + 1)) cards updated" "resumed the rest, each card once"
echo "parallel-batch: all checks passed"
