#!/bin/bash
# Two cards in two readers from one emulator; the second answers T=0 style (61XX on case 4).
. "$CF_PCSC_LIB/cf-pcsc-lib.sh"
[ "$(cf_cards_present)" = 2 ] || cf_fail "expected two cards"
grep -c "card connected to vpcd" "$CF_PCSC_ENV_DIR/sim.log" | grep -qx 2 || cf_fail "sim should print one line per card"
# opensc-tool follows 61XX by itself: use scriptor to see the raw answers
out=$(echo "80 01 00 00 02 AB CD" | scriptor -r "Virtual PCD 00 01" 2>&1) || cf_fail "scriptor on reader 1"
cf_expect_contains "$out" "< 61 02 : 0x02 bytes of response still available." "T=0 style card in reader 1"
out=$(echo "80 01 00 00 02 AB CD" | scriptor -r "Virtual PCD 00 00" 2>&1) || cf_fail "scriptor on reader 0"
cf_expect_contains "$out" "< AB CD 90 00 : Normal processing." "T=1 style card in reader 0"
out=$("$CARDFORGE" apdu --raw -r 1 8001000002ABCD) || cf_fail "cardforge --raw on reader 1"
[ "$out" = "6102 (2 more response bytes available)" ] || cf_fail "raw 61XX from reader 1: $out"
out=$("$CARDFORGE" apdu -r 1 8001000002ABCD) || cf_fail "cardforge on reader 1"
[ "$out" = "ABCD 9000 (success)" ] || cf_fail "cardforge follows 61XX: $out"
# each card has its own state
"$CARDFORGE" apdu -r 0 80040000 80040000 >/dev/null || cf_fail "counter 0"
out=$("$CARDFORGE" apdu -r 1 80040000) || cf_fail "counter 1"
[ "$out" = "00000001 9000 (success)" ] || cf_fail "reader 1 counter should be its own: $out"
ls "$CF_PCSC_ENV_DIR/cards/reader0-loopback.db" "$CF_PCSC_ENV_DIR/cards/reader1-loopback.db" >/dev/null ||
  cf_fail "one state file per card"
echo "multi card: ok"
