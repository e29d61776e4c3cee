#!/bin/bash
# `cardforge keycard duplicate` onto eight targets at once, every card with a timing model (the
# source and targets 1-4: 20 ms per APDU; targets 5-8: 200 ms, so they are still under way when the
# first four are done): SIGINT in the middle exits 130 with an exact resume line and a journal of
# exactly the targets done; the rerun with the same journal completes exactly the targets left
# (each imports once: "key imported" names each target once over both runs); every card then shows
# the source's key UID, in command-line order. No timing is asserted.
set -u
# shellcheck source=/dev/null
. "$CF_PCSC_LIB/cf-pcsc-lib.sh"

D=$CF_PCSC_ENV_DIR/dup
mkdir -p "$D"
export CARDFORGE_HOME=$D/home CARDFORGE_AUDIT_LOG=$D/audit.log CARDFORGE_PIN=123456
mkdir -p "$CARDFORGE_HOME"
kc() { "$CARDFORGE" keycard "$@"; }

run() { # expected-exit what command...
  local want=$1 what=$2 rc
  shift 2
  out=$("$@" 2>"$D/stderr") && rc=0 || rc=$?
  err=$(cat "$D/stderr")
  [ "$rc" = "$want" ] || cf_fail "$what: exit $rc, expected $want; stdout: $out; stderr: $err"
}

# reader N holds card N: "Virtual PCD 00 0N" for 0 and 1, "Virtual PCD k 00 0b" for 2k + b
reader_name() {
  if [ "$1" -lt 2 ]; then echo "Virtual PCD 00 0$1"; else echo "Virtual PCD $(($1 / 2)) 00 0$(($1 % 2))"; fi
}
cards=()
for n in 0 1 2 3 4 5 6 7 8; do
  cards+=(--card keycard:version=2.2.1)
  if [ "$n" -le 4 ]; then cards+=(--timing "$n:apdu20"); else cards+=(--timing "$n:apdu=200ms"); fi
done
"$CARDFORGE" sim --memory --pidfile "$CF_PCSC_ENV_DIR/sim.pid" "${cards[@]}" >"$CF_PCSC_ENV_DIR/sim.log" 2>&1 &
echo $! >"$CF_PCSC_ENV_DIR/sim.pid"
cf_wait_cards 9 20 || cf_fail "the nine cards did not appear ($(cat "$CF_PCSC_ENV_DIR/sim.log"))"
readers=$("$CARDFORGE" readers) || cf_fail "cardforge readers"
R=()
for n in 0 1 2 3 4 5 6 7 8; do
  R+=("$(reader_name "$n")")
  printf '%s\n' "$readers" | grep -qF ": ${R[$n]} (card" || cf_fail "no card in ${R[$n]}: $readers"
done
for n in 0 1 2 3 4 5 6 7 8; do
  kc --reader "${R[$n]}" init --pin 123456 --puk 012345678901 >/dev/null 2>&1 || cf_fail "init of card $n"
  kc --reader "${R[$n]}" pair >/dev/null 2>&1 || cf_fail "pair with card $n"
done
run 0 "generate-key on the source" kc --reader "${R[0]}" generate-key
uid=$(printf '%s\n' "$out" | sed -n 's/^key-uid: //p')
[ -n "$uid" ] || cf_fail "no key UID: $out"
targets=()
for n in 1 2 3 4 5 6 7 8; do targets+=(--target "${R[$n]}"); done

# ---- SIGINT once the first four targets are journaled ----
set -m # job control: a background job of a script without it ignores SIGINT
"$CARDFORGE" keycard duplicate --source "${R[0]}" "${targets[@]}" --journal "$D/journal" >"$D/int.out" 2>"$D/int.err" &
pid=$!
for _ in $(seq 1 400); do
  [ "$(cat "$D/journal" 2>/dev/null | grep -c '^done ')" -ge 4 ] && break # 0 before the file exists
  sleep 0.05
done
kill -INT "$pid"
rc=0
wait "$pid" || rc=$?
set +m
[ "$rc" = 130 ] || cf_fail "SIGINT: exit $rc ($(cat "$D/int.out" "$D/int.err"))"
first=$(grep -c '^done ' "$D/journal")
[ "$first" = 4 ] || cf_fail "journal after SIGINT: $(cat "$D/journal" "$D/int.err")"
cf_expect_contains "$(cat "$D/int.out")" \
  "duplicate: interrupted before target 5 of 8 (targets 1..4 hold the key); rerun with --from 5" "resume line"
for t in 1 2 3 4; do
  grep -q "^card $((t + 1)) (target, ${R[$t]}): key-uid $uid ok$" "$D/int.out" || cf_fail "target $t: $(cat "$D/int.out")"
done
[ "$(grep -c 'key imported' "$D/int.err")" = 4 ] || cf_fail "imports before SIGINT: $(cat "$D/int.err")"

# ---- the rerun with the same journal: exactly the four left ----
run 0 "rerun with the journal" kc duplicate --source "${R[0]}" "${targets[@]}" --journal "$D/journal"
[ "$(printf '%s\n' "$err" | grep -c 'done in an earlier run (journal)')" = 4 ] || cf_fail "journaled: $err"
for t in 5 6 7 8; do
  [ "$(printf '%s\n%s\n' "$(cat "$D/int.err")" "$err" | grep -c "card $((t + 1)) (target): key imported")" = 1 ] ||
    cf_fail "target $t imported other than once: $err"
done
[ "$(printf '%s\n' "$err" | grep -c 'key imported')" = 4 ] || cf_fail "imports of the rerun: $err"
[ "$(grep -c '^done ' "$D/journal")" = 8 ] || cf_fail "journal: $(cat "$D/journal")"
[ "$(grep '^done ' "$D/journal" | cut -d' ' -f2 | sort -u | wc -l)" = 8 ] || cf_fail "a card twice: $(cat "$D/journal")"
# results in command-line order, each card with the source's key UID
[ "$(printf '%s\n' "$out" | grep -c "key-uid $uid ok")" = 9 ] || cf_fail "key UIDs: $out"
[ "$(printf '%s\n' "$out" | grep -o '^card [0-9]*' | tr -d 'card ' | tr '\n' ' ')" = "1 2 3 4 5 6 7 8 9 " ] ||
  cf_fail "order: $out"
cf_expect_contains "$err" "keycard duplicate: 4/4 targets" "progress"
cf_expect_contains "$err" "${R[5]}:1 ${R[6]}:1 ${R[7]}:1 ${R[8]}:1" "progress per reader"
for n in 1 5 8; do
  run 0 "info of target $n" kc --reader "${R[$n]}" info
  cf_expect_contains "$out" "key-uid: $uid" "target $n holds the key"
done
# without the journal every target is found holding the key and left as it is
run 0 "rerun without a journal" kc duplicate --source "${R[0]}" "${targets[@]}"
[ "$(printf '%s\n' "$err" | grep -c 'already holds the key, left as it is')" = 8 ] || cf_fail "held: $err"
[ "$(printf '%s\n' "$err" | grep -c 'key imported')" = 0 ] || cf_fail "a held card imported again: $err"
echo "parallel-keycard-duplicate: all checks passed"
