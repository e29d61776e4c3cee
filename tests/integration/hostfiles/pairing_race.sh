#!/bin/bash
# Four `keycard pair` / `unpair` loops at once, two on each of two emulated Keycards, all sharing one
# pairing file. Before the file was changed under a lock, concurrent writers lost each other's lines
# (3 in 80 operations) and the cards kept slots nobody remembered. Here every operation must succeed,
# and at the end each card's free slots plus its lines in the file must equal its slot count.
. "$CF_PCSC_LIB/cf-pcsc-lib.sh"
set -u

export CARDFORGE_HOME=$CF_PCSC_ENV_DIR/home CARDFORGE_PIN=123456
R=("Virtual PCD 00 00" "Virtual PCD 00 01")
ROUNDS=${CF_RACE_ROUNDS:-10}
kc() { "$CARDFORGE" --quiet --reader "$1" keycard "${@:2}"; }
free_slots() { kc "$1" info | sed -n 's/^free-pairing-slots: //p'; }
uid_of() { kc "$1" info | sed -n 's/^instance-uid: //p'; }

for r in "${R[@]}"; do
  kc "$r" init --puk 012345678901 >/dev/null || cf_fail "init on $r"
done
slots0=$(free_slots "${R[0]}")
[ -n "$slots0" ] && [ "$slots0" -ge 4 ] || cf_fail "free slots after init: '$slots0'"

# loop N: ROUNDS x (pair, unpair the newest pairing), then one last pair that stays
loop() {
  local r=$1 n=$2 i fails=0
  for i in $(seq 1 "$ROUNDS"); do
    kc "$r" pair >/dev/null 2>>"$CF_PCSC_ENV_DIR/race-$n.log" || fails=$((fails + 1))
    kc "$r" unpair 2>>"$CF_PCSC_ENV_DIR/race-$n.log" || fails=$((fails + 1))
  done
  kc "$r" pair >/dev/null 2>>"$CF_PCSC_ENV_DIR/race-$n.log" || fails=$((fails + 1))
  echo "$fails" >"$CF_PCSC_ENV_DIR/race-$n.fails"
}
pids=()
for n in 0 1 2 3; do
  loop "${R[$((n % 2))]}" "$n" &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done

total_fails=0
for n in 0 1 2 3; do
  f=$(cat "$CF_PCSC_ENV_DIR/race-$n.fails")
  [ "$f" = 0 ] || echo "loop $n: $f failed operations: $(cat "$CF_PCSC_ENV_DIR/race-$n.log")" >&2
  total_fails=$((total_fails + f))
done
ops=$((4 * (2 * ROUNDS + 1)))
[ "$total_fails" = 0 ] || cf_fail "$total_fails of $ops operations failed"

store=$CARDFORGE_HOME/keycard-pairings.txt
[ "$(stat -c %a "$store")" = 600 ] || cf_fail "the pairing file is not 0600"
for r in "${R[@]}"; do
  uid=$(uid_of "$r")
  lines=$(grep -c "^$uid " "$store")
  free=$(free_slots "$r")
  [ "$lines" = 2 ] || cf_fail "$r: $lines pairings in the file, expected the 2 that stayed"
  [ $((free + lines)) = "$slots0" ] ||
    cf_fail "$r: $free free slots + $lines stored pairings != $slots0 slots (a pairing was lost or a slot leaked)"
done
# both remaining pairings of each card work, and unpairing them gives every slot back
for r in "${R[@]}"; do
  kc "$r" unpair 2>/dev/null || cf_fail "unpair the newest pairing on $r"
  kc "$r" unpair 2>/dev/null || cf_fail "unpair the other pairing on $r"
  [ "$(free_slots "$r")" = "$slots0" ] || cf_fail "$r: slots not all free at the end"
done
[ ! -s "$store" ] || cf_fail "pairings left in the file: $(cat "$store")"
echo "pairing race: $ops operations on 2 cards by 4 processes, none failed, no pairing lost, no slot leaked"
