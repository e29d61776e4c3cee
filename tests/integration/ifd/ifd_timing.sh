#!/bin/bash
# The card timing model, in the IFD handler and in `cardforge sim`: the slow IFD card (cards.conf:
# apdu=30ms, write=20ms) takes 30 ms a read and 50 ms a write; `cardforge sim --timing apdu=40ms`
# 40 ms a read; wrong models are refused.
. "$CF_PCSC_LIB/cf-pcsc-lib.sh"
. "$(dirname "$0")/ifd-lib.sh"
set -u
ifd_wait_ready
ms() { date +%s%3N; }
# Milliseconds for thirty commands APDU on the reader whose name contains NAME: `cardforge apdu`
# with forty of them less `cardforge apdu` with ten (the process, the connection and the final
# reset cancel out, up to a few ms of noise: the bounds below allow 5 %).
run() {
  local t0 args=()
  for _ in $(seq "$3"); do args+=("$2"); done
  t0=$(ms)
  "$CARDFORGE" --reader "$1" apdu "${args[@]}" >/dev/null || return 1
  echo $(($(ms) - t0))
}
thirty() {
  local a b
  a=$(run "$1" "$2" 10) && b=$(run "$1" "$2" 40) || return 1
  echo $((b - a))
}
fast="IFD loopback"
slow="IFD slow"
base=$(thirty "$fast" 8002000800) || cf_fail "reads on the plain card"
reads=$(thirty "$slow" 8002000800) || cf_fail "reads on the slow card"
writes=$(thirty "$slow" 8004000004) || cf_fail "writes on the slow card"
echo "thirty reads: plain $base ms, modelled $reads ms; thirty counter writes modelled: $writes ms"
[ "$reads" -ge 855 ] || cf_fail "thirty modelled reads took $reads ms, the model says 900"
[ "$writes" -ge 1425 ] || cf_fail "thirty modelled writes took $writes ms, the model says 1500"
[ "$reads" -lt 1300 ] || cf_fail "thirty modelled reads took $reads ms: far beyond the model's 900"
[ "$writes" -lt 1900 ] || cf_fail "thirty modelled writes took $writes ms: far beyond the model's 1500"

# the emulator: a card in a vpcd reader with a 40 ms model, then a refused model
"$CARDFORGE" sim --memory --timing apdu=40ms --card loopback >"$CF_PCSC_ENV_DIR/sim-timing.log" 2>&1 &
sim=$!
cf_wait_cards $((CF_IFD_CARDS + 1)) 10 || cf_fail "the emulated card did not appear: $(cat "$CF_PCSC_ENV_DIR/sim-timing.log")"
vpcd="Virtual PCD 00 00"
vreads=$(thirty "$vpcd" 8002000800) || cf_fail "reads through vpcd"
echo "thirty reads through vpcd with apdu=40ms: $vreads ms"
[ "$vreads" -ge 1140 ] || cf_fail "thirty modelled reads through vpcd took $vreads ms, the model says 1200"
cf_stop_pid "$sim"
cf_wait_cards "$CF_IFD_CARDS" 10

# two modelled cards in one emulator answer at the same time: the event loop holds each answer, it
# does not sleep. Thirty commands on each, both at once, take about as long as on one alone.
"$CARDFORGE" sim --memory --timing apdu=40ms --card loopback --card loopback >"$CF_PCSC_ENV_DIR/sim-two.log" 2>&1 &
sim=$!
cf_wait_cards $((CF_IFD_CARDS + 2)) 10 || cf_fail "the two emulated cards did not appear: $(cat "$CF_PCSC_ENV_DIR/sim-two.log")"
thirty "Virtual PCD 00 00" 8002000800 >"$CF_PCSC_ENV_DIR/two-0" &
p0=$!
thirty "Virtual PCD 00 01" 8002000800 >"$CF_PCSC_ENV_DIR/two-1" &
p1=$!
wait $p0 || cf_fail "reads on the first of two cards"
wait $p1 || cf_fail "reads on the second of two cards"
two0=$(cat "$CF_PCSC_ENV_DIR/two-0")
two1=$(cat "$CF_PCSC_ENV_DIR/two-1")
echo "thirty reads on each of two modelled cards at once: $two0 ms and $two1 ms"
for t in "$two0" "$two1"; do
  [ "$t" -ge 1140 ] || cf_fail "thirty modelled reads took $t ms with two cards, the model says 1200"
  [ "$t" -lt 1800 ] || cf_fail "thirty modelled reads took $t ms with two cards: the cards wait for each other"
done
cf_stop_pid "$sim"
out=$("$CARDFORGE" sim --memory --timing apdu=20 --card loopback 2>&1)
[ $? = 2 ] || cf_fail "a duration without a unit is a usage error"
cf_expect_contains "$out" "wants a duration" "timing error message"
out=$("$CARDFORGE" sim --memory --timing 3:apdu20 --card loopback 2>&1)
[ $? = 2 ] || cf_fail "a model for a reader without a card is a usage error"
echo "card timing model: ok"
