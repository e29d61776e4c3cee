#!/bin/bash
# The card timing model, in the IFD handler and in `cardforge sim`, measured per exchange by
# bench_pcsc_rtt (SCardTransmit timed one by one; $CF_BENCH_PCSC_RTT): the slow IFD card
# (cards.conf: apdu=30ms, write=20ms) never answers a read in under 30 ms nor a write in under
# 50 ms; `cardforge sim --timing apdu=40ms` never under 40 ms, also with two modelled cards driven
# at once (they do not wait for each other); wrong models are refused. Only floors are asserted:
# how far above its model a card answers depends on the machine's load and is a benchmark figure
# (docs/performance.md), printed here, never a pass/fail condition.
. "$CF_PCSC_LIB/cf-pcsc-lib.sh"
. "$(dirname "$0")/ifd-lib.sh"
set -u
ifd_wait_ready
rtt=${CF_BENCH_PCSC_RTT:-}
[ -x "$rtt" ] || cf_fail "bench_pcsc_rtt not given (CF_BENCH_PCSC_RTT)"
# "MIN MEDIAN MAX" in whole microseconds for N exchanges of APDU on the reader named NAME
stats() {
  "$rtt" -r "$1" --apdu "$2" -n "$3" -w 1 | awk 'f { printf "%d %d %d\n", $1, $2, $5; exit } /median us/ { f = 1 }'
}
read -r pmin pmed pmax < <(stats "IFD loopback" 8002000800 50) || cf_fail "reads on the plain card"
read -r rmin rmed rmax < <(stats "IFD slow" 8002000800 20) || cf_fail "reads on the slow card"
read -r wmin wmed wmax < <(stats "IFD slow" 8004000004 20) || cf_fail "writes on the slow card"
echo "IFD, us min/median/max: plain read $pmin/$pmed/$pmax; modelled read $rmin/$rmed/$rmax (model 30000);" \
  "modelled write $wmin/$wmed/$wmax (model 50000)"
[ "$rmin" -ge 30000 ] || cf_fail "a modelled read took $rmin us, under the model's 30 ms"
[ "$wmin" -ge 50000 ] || cf_fail "a modelled write took $wmin us, under the model's 50 ms"

# the emulator: one card in a vpcd reader with a 40 ms model
"$CARDFORGE" sim --memory --timing apdu=40ms --card loopback >"$CF_PCSC_ENV_DIR/sim-timing.log" 2>&1 &
sim=$!
cf_wait_cards $((CF_IFD_CARDS + 1)) 10 || cf_fail "the emulated card did not appear: $(cat "$CF_PCSC_ENV_DIR/sim-timing.log")"
read -r vmin vmed vmax < <(stats "Virtual PCD 00 00" 8002000800 20) || cf_fail "reads through vpcd"
echo "vpcd, apdu=40ms, us min/median/max: $vmin/$vmed/$vmax"
[ "$vmin" -ge 40000 ] || cf_fail "a modelled read through vpcd took $vmin us, under the model's 40 ms"
cf_stop_pid "$sim"
ifd_wait_exactly "$CF_IFD_CARDS"

# two modelled cards in one emulator, driven at once: the event loop holds each answer, it does not
# sleep, so neither waits for the other. Card 0 takes 400 ms an exchange, card 1 40 ms; while card 0
# is busy for 4 s, card 1 answers 30 times: serialised, each of its answers would wait for one of
# card 0's (>= 400 ms), so its median stays ten times under that whatever the load.
"$CARDFORGE" sim --memory --timing 0:apdu=400ms --timing 1:apdu=40ms --card loopback --card loopback \
  >"$CF_PCSC_ENV_DIR/sim-two.log" 2>&1 &
sim=$!
cf_wait_cards $((CF_IFD_CARDS + 2)) 10 || cf_fail "the two emulated cards did not appear: $(cat "$CF_PCSC_ENV_DIR/sim-two.log")"
stats "Virtual PCD 00 00" 8002000800 10 >"$CF_PCSC_ENV_DIR/two-0" 2>"$CF_PCSC_ENV_DIR/two-0.err" &
p0=$!
stats "Virtual PCD 00 01" 8002000800 30 >"$CF_PCSC_ENV_DIR/two-1" 2>"$CF_PCSC_ENV_DIR/two-1.err" &
p1=$!
wait $p0 || cf_fail "reads on the first of two cards"
wait $p1 || cf_fail "reads on the second of two cards"
floor=400000
for f in two-0 two-1; do
  read -r tmin tmed tmax <"$CF_PCSC_ENV_DIR/$f" || cf_fail "no figures for $f: $(cat "$CF_PCSC_ENV_DIR/$f.err")"
  echo "two cards at once ($f), us min/median/max: $tmin/$tmed/$tmax"
  [ "$tmin" -ge "$floor" ] || cf_fail "a modelled read took $tmin us with two cards, under the model's $floor us"
  floor=40000
done
[ "$tmed" -lt 400000 ] || cf_fail "card 1 answers in $tmed us (median) while card 0 is busy: they wait for each other"
cf_stop_pid "$sim"
ifd_wait_exactly "$CF_IFD_CARDS"

# an expensive operation is charged where the card does it: a Keycard's INIT starts with an ECDH
# against the public key in its data (the generator point here; the rest is zeros, which the card
# then refuses, 6A80), so with ecdh=1s and nothing per APDU, SELECT + INIT take a second longer
# than without a model. No host cryptography is involved.
G=0479BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8
INIT="80FE000092 41 $G $(printf '%032d' 0) $(printf '%0128d' 0)"
kc_init_ms() { # TIMING...: milliseconds of SELECT + INIT on a fresh emulated Keycard
  local sim t0 took out
  "$CARDFORGE" sim --memory "$@" --card keycard >"$CF_PCSC_ENV_DIR/sim-kc.log" 2>&1 &
  sim=$!
  cf_wait_cards $((CF_IFD_CARDS + 1)) 10 || cf_fail "the emulated Keycard did not appear: $(cat "$CF_PCSC_ENV_DIR/sim-kc.log")"
  t0=$(date +%s%3N)
  out=$("$CARDFORGE" apdu -r "Virtual PCD 00 00" 00A4040009A00000080400010101 "$INIT" 2>&1)
  took=$(($(date +%s%3N) - t0))
  cf_expect_contains "$out" "6A80" "INIT with a zero payload"
  cf_stop_pid "$sim"
  ifd_wait_exactly "$CF_IFD_CARDS"
  echo "$took"
}
if "$CARDFORGE" sim --list-types | grep -qw keycard; then
  plain=$(kc_init_ms) || exit 1
  modelled=$(kc_init_ms --timing ecdh=1s) || exit 1
  echo "Keycard SELECT + INIT: $plain ms without a model, $modelled ms with ecdh=1s"
  [ "$modelled" -ge 1000 ] && [ $((modelled - plain)) -ge 800 ] ||
    cf_fail "SELECT + INIT took $modelled ms with ecdh=1s, $plain ms without: the ECDH was not charged"
fi

out=$("$CARDFORGE" sim --memory --timing apdu=20 --card loopback 2>&1)
[ $? = 2 ] || cf_fail "a duration without a unit is a usage error"
cf_expect_contains "$out" "wants a duration" "timing error message"
out=$("$CARDFORGE" sim --memory --timing 3:apdu20 --card loopback 2>&1)
[ $? = 2 ] || cf_fail "a model for a reader without a card is a usage error"
cf_expect_contains "$out" "reader 3, which has no card" "timing for a reader without a card"
echo "card timing model: ok"
