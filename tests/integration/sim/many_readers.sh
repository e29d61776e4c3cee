#!/bin/bash
# Six cards on six readers (three vpcd driver instances): each reader reaches its own card.
. "$CF_PCSC_LIB/cf-pcsc-lib.sh"
[ "$(cf_cards_present)" = 6 ] || cf_fail "expected six cards"
out=$("$CARDFORGE" readers) || cf_fail "readers"
echo "$out"
for want in "0: Virtual PCD 00 00 (card" "1: Virtual PCD 00 01 (card" "2: Virtual PCD 1 00 00 (card" \
  "5: Virtual PCD 2 00 01 (card"; do
  cf_expect_contains "$out" "$want" "reader list"
done
# bump reader i's counter i+1 times: every card must count on its own
for i in 0 1 2 3 4 5; do
  for _ in $(seq 0 "$i"); do "$CARDFORGE" apdu -r "$i" 80040000 >/dev/null || cf_fail "counter $i"; done
done
for i in 0 1 2 3 4 5; do
  out=$("$CARDFORGE" apdu -r "$i" 80040000) || cf_fail "counter $i"
  [ "$out" = "0000000$((i + 2)) 9000 (success)" ] || cf_fail "reader $i counter: $out"
done
# the last card is the T=0 style one
out=$(echo "80 01 00 00 01 EE" | scriptor -r "Virtual PCD 2 00 01" 2>&1) || cf_fail "scriptor reader 5"
cf_expect_contains "$out" "< 61 01" "mode=t0 card in reader 5"
echo "many readers: ok"
