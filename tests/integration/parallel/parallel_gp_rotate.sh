#!/bin/bash
# `cardforge gp rotate` over eight readers at once, every card with a timing model (cards 1-4:
# 20 ms per APDU; cards 5-8: 200 ms, so a run is still under way on them when the first four are
# done): results in --readers order, an exact journal (one line per card), a run killed with SIGKILL
# in the middle and its rerun with the same journal, which completes exactly the cards left (a card
# whose PUT KEY went through before the kill but has no journal line is found holding the new keys
# and left as it is: no card gets PUT KEY twice, each shows the new set once); SIGINT in the middle
# exits 130 naming exactly the readers left, and a rerun with them completes the rotation; a reader
# that is gone stops only its card. No timing is asserted.
set -u
# shellcheck source=/dev/null
. "$CF_PCSC_LIB/cf-pcsc-lib.sh"

D=$CF_PCSC_ENV_DIR/rotate
mkdir -p "$D"
export CARDFORGE_HOME=$D/home CARDFORGE_AUDIT_LOG=$D/audit.log
mkdir -p "$CARDFORGE_HOME"
cf=("$CARDFORGE" gp)
K30=A0A1A2A3A4A5A6A7A8A9AAABACADAEAF
K31=B0B1B2B3B4B5B6B7B8B9BABBBCBDBEBF
printf '%s\n' "$K30" >"$D/k30" && chmod 600 "$D/k30"
printf '%s\n' "$K31" >"$D/k31" && chmod 600 "$D/k31"

run() { # expected-exit what command...
  local want=$1 what=$2 rc
  shift 2
  out=$("$@" 2>"$D/stderr") && rc=0 || rc=$?
  err=$(cat "$D/stderr")
  [ "$rc" = "$want" ] || cf_fail "$what: exit $rc, expected $want; stdout: $out; stderr: $err"
}

cards=()
for i in 1 2 3 4 5 6 7 8; do
  cards+=(--card "gp:scp=03,serial=0000000$i")
  if [ "$i" -le 4 ]; then cards+=(--timing "$((i - 1)):apdu20"); else cards+=(--timing "$((i - 1)):apdu=200ms"); fi
done
"$CARDFORGE" sim --memory --pidfile "$CF_PCSC_ENV_DIR/sim.pid" "${cards[@]}" >"$CF_PCSC_ENV_DIR/sim.log" 2>&1 &
echo $! >"$CF_PCSC_ENV_DIR/sim.pid"
cf_wait_cards 8 20 || cf_fail "the eight cards did not appear ($(cat "$CF_PCSC_ENV_DIR/sim.log"))"
# the reader of each card, in card order (serial 0000000N is card N): one CPLC read per reader
R=()
readers=$("$CARDFORGE" readers) || cf_fail "cardforge readers"
for n in $(printf '%s\n' "$readers" | grep "(card" | sed 's/^\([0-9]*\): .*/\1/'); do
  serial=$("${cf[@]}" --reader "$n" info 2>/dev/null | grep -i "serial" | head -1 | grep -o '0000000[1-8]')
  [ -n "$serial" ] || cf_fail "reader $n: no card serial"
  R[${serial#0000000} - 1]=$(printf '%s\n' "$readers" | grep "^$n: " | sed 's/^[0-9]*: \(.*\) (card.*/\1/')
done
[ "${#R[@]}" = 8 ] || cf_fail "not every card found: $readers"
ALL=$(IFS=,; echo "${R[*]}")

# ---- eight readers at once: every card gets KVN 30, results in --readers order ----
run 0 "rotation to KVN 30" "${cf[@]}" rotate --readers "$ALL" --journal "$D/j30" --new-kvn 30 --type aes \
  --new-key @"$D/k30"
for i in 1 2 3 4 5 6 7 8; do
  line=$(printf '%s\n' "$out" | sed -n "${i}p")
  case "$line" in
  "card $i (${R[$((i - 1))]}): KVN 30 added (AES): check values "*" verified") ;;
  *) cf_fail "result line $i: $line (all: $out)" ;;
  esac
done
cf_expect_contains "$out" "rotate: 8 of 8 cards hold KVN 30" "summary"
cf_expect_contains "$err" "gp rotate: 8/8 cards" "progress"
[ "$(grep -c '^done ' "$D/j30")" = 8 ] || cf_fail "journal: $(cat "$D/j30")"
[ "$(grep '^done ' "$D/j30" | cut -d' ' -f2 | sort -u | wc -l)" = 8 ] || cf_fail "journal ids: $(cat "$D/j30")"
[ "$(stat -c %a "$D/j30")" = 600 ] || cf_fail "journal mode"
for i in 1 8; do
  run 0 "card $i opens with KVN 30" "${cf[@]}" --reader "${R[$((i - 1))]}" --key-ver 30 --key @"$D/k30" auth
done
# the same command again: the journal leaves every card out
run 0 "rerun with the journal" "${cf[@]}" rotate --readers "$ALL" --journal "$D/j30" --new-kvn 30 --type aes \
  --new-key @"$D/k30"
[ "$(printf '%s\n' "$out" | grep -c 'done in an earlier run (journal)')" = 8 ] || cf_fail "journal rerun: $out"
# without the journal: every card already holds the keys (found by opening a channel with them)
run 0 "rerun without a journal" "${cf[@]}" rotate --readers "$ALL" --new-kvn 30 --type aes --new-key @"$D/k30"
[ "$(printf '%s\n' "$out" | grep -c 'KVN 30 already holds the new keys')" = 8 ] || cf_fail "probe rerun: $out"
# a journal of another batch is refused
run 6 "another batch's journal" "${cf[@]}" rotate --readers "$ALL" --journal "$D/j30" --new-kvn 31 --type aes \
  --new-key @"$D/k31"
cf_expect_contains "$err" "another batch" "journal refusal"

# ---- SIGKILL in the middle of the rotation to KVN 31, then the rerun with the same journal ----
"${cf[@]}" --key-ver 30 --key @"$D/k30" rotate --readers "$ALL" --journal "$D/j31" --new-kvn 31 --type aes \
  --new-key @"$D/k31" >"$D/kill.out" 2>"$D/kill.err" &
pid=$!
for _ in $(seq 1 200); do
  [ "$(cat "$D/j31" 2>/dev/null | grep -c '^done ')" -ge 4 ] && break # 0 before the file exists
  sleep 0.05
done
kill -KILL "$pid"
wait "$pid" 2>/dev/null
first=$(grep -c '^done ' "$D/j31")
[ "$first" -ge 4 ] || cf_fail "the journal never had the first four cards: $(cat "$D/j31" "$D/kill.err")"
[ "$first" -lt 8 ] || cf_fail "SIGKILL came too late to test (every card was done)"
run 0 "rerun after SIGKILL" "${cf[@]}" --key-ver 30 --key @"$D/k30" rotate --readers "$ALL" --journal "$D/j31" \
  --new-kvn 31 --type aes --new-key @"$D/k31"
journaled=$(printf '%s\n' "$out" | grep -c 'done in an earlier run (journal)')
added=$(printf '%s\n' "$out" | grep -c 'KVN 31 added')
held=$(printf '%s\n' "$out" | grep -c 'KVN 31 already holds the new keys')
[ "$journaled" = "$first" ] || cf_fail "the rerun left out $journaled cards, the journal held $first: $out"
[ $((journaled + added + held)) = 8 ] || cf_fail "the rerun did not account for every card: $out"
cf_expect_contains "$out" "rotate: 8 of 8 cards hold KVN 31" "summary after the rerun"
# exact journal: one line per card, none twice
[ "$(grep -c '^done ' "$D/j31")" = 8 ] || cf_fail "journal after the rerun: $(cat "$D/j31")"
[ "$(grep '^done ' "$D/j31" | cut -d' ' -f2 | sort -u | wc -l)" = 8 ] || cf_fail "a card twice: $(cat "$D/j31")"
# every card holds KVN 31 once (three keys) and it opens a channel
for i in 1 2 3 4 5 6 7 8; do
  r=${R[$((i - 1))]}
  keys=$("${cf[@]}" --reader "$r" keys 2>&1) || cf_fail "keys of card $i: $keys"
  [ "$(printf '%s\n' "$keys" | grep -c '^31 ')" = 3 ] || cf_fail "card $i key information: $keys"
  run 0 "card $i opens with KVN 31" "${cf[@]}" --reader "$r" --key-ver 31 --key @"$D/k31" auth
done
echo "parallel-gp-rotate: killed after $first cards journaled; rerun: $journaled journaled, $held already held, $added added"

# ---- SIGINT once the four fast cards are journaled: exit 130, the resume line names exactly the
# four slow readers (stopped before their PUT KEY), and a rerun with that list completes them ----
set -m # job control: a background job of a script without it ignores SIGINT
"$CARDFORGE" gp --key-ver 30 --key @"$D/k30" rotate --readers "$ALL" --journal "$D/j32" --new-kvn 32 --type aes \
  --new-key @"$D/k31" >"$D/int.out" 2>"$D/int.err" &
pid=$!
for _ in $(seq 1 200); do
  [ "$(cat "$D/j32" 2>/dev/null | grep -c '^done ')" -ge 4 ] && break # 0 before the file exists
  sleep 0.05
done
kill -INT "$pid"
rc=0
wait "$pid" || rc=$?
set +m
[ "$rc" = 130 ] || cf_fail "SIGINT: exit $rc ($(cat "$D/int.out" "$D/int.err"))"
left=$(IFS=,; echo "${R[*]:4:4}")
cf_expect_contains "$(cat "$D/int.out")" "rotate: 4 of 8 cards hold KVN 32; rerun with --readers $left" "resume line"
cf_expect_contains "$(cat "$D/int.err")" "interrupted by SIGINT" "interrupt message"
run 0 "resume with the readers left" "${cf[@]}" --key-ver 30 --key @"$D/k30" rotate --readers "$left" \
  --journal "$D/j32" --new-kvn 32 --type aes --new-key @"$D/k31"
[ "$(printf '%s\n' "$out" | grep -c 'KVN 32 added')" = 4 ] || cf_fail "resume: $out"
[ "$(grep -c '^done ' "$D/j32")" = 8 ] || cf_fail "journal after the resume: $(cat "$D/j32")"

# ---- a reader that is gone stops only its card; the resume line names it ----
run 4 "a reader that is gone" "${cf[@]}" --key-ver 30 --key @"$D/k30" rotate \
  --readers "${R[0]},No Such Reader,${R[2]}" --new-kvn 33 --type aes --new-key @"$D/k31"
cf_expect_contains "$out" "rotate: 2 of 3 cards hold KVN 33; rerun with --readers No Such Reader" "resume line"
# the same with --json: one document (docs/cli.md) on stdout, no progress lines, exit code unchanged
run 4 "--json" "${cf[@]}" --key-ver 30 --key @"$D/k30" rotate --json \
  --readers "${R[0]},No Such Reader,${R[2]},${R[3]}" --new-kvn 33 --type aes --new-key @"$D/k31"
printf '%s\n' "$err" | python3 -c '
import json, sys
for line in sys.stdin:
    assert list(json.loads(line)) == ["error"], line
' || cf_fail "with --json stderr holds only JSON error lines: $err"
printf '%s' "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)
r = sys.argv[1:]
assert d["kvn"] == "33" and d["holding"] == 3 and d["total"] == 4, d
assert d["resume"] == "--readers No Such Reader", d["resume"]
cards = [(c["card"], c["reader"], c["outcome"]) for c in d["cards"]]
assert cards == [(1, r[0], "held"), (2, "No Such Reader", "failed"), (3, r[1], "held"), (4, r[2], "rotated")], cards
assert d["cards"][1]["exit"] == 4 and d["cards"][0]["kcv"] is None, d["cards"]
assert all(len(d["cards"][3]["kcv"][k]) == 6 for k in ("enc", "mac", "dek")), d["cards"][3]
' "${R[0]}" "${R[2]}" "${R[3]}" || cf_fail "rotate --json document: $out"
echo "parallel-gp-rotate: all checks passed"
