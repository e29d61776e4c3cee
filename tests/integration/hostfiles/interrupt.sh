#!/bin/bash
# Interrupted and partial batches, through pcscd with a KMC and an authentication card:
#  - `cmcc generate` with a sheet of 40 keys for a KMC whose key file holds 32 (2 there already): the
#    card refuses key 31 (6A84) and the command says that 30 keys were generated;
#  - `cmcc user-update` over a long list of (emulated) user cards: SIGINT finishes the card in
#    progress, prints "rerun with --from N" and exits 130; the resumed run does exactly the rest;
#    SIGTERM does the same with exit 143.
. "$CF_PCSC_LIB/cf-pcsc-lib.sh"
. "$CF_PCSC_LIB/cf-tdes-lib.sh"
. "$(dirname "$0")/../cmcc/cmcc_values.sh"
set -u

D=$CF_PCSC_ENV_DIR/interrupt
mkdir -p "$D"
umask 077
export CARDFORGE_HOME=$D/home CARDFORGE_KMC_PIN=$PIN CARDFORGE_AUTH_PIN=$PIN
R_KMC="Virtual PCD 00 00"
R_AUTH="Virtual PCD 00 01"
cmcc() { "$CARDFORGE" cmcc "$1" --kmc "$R_KMC" --auth "$R_AUTH" "${@:2}"; }

printf 'reader 0 kmc pin2=%s,k01=%s,k02=%s\nreader 1 authcard pin2=%s,k02=%s,k03=%s\n' \
  "$PIN_HEX" "$K01" "$K02" "$PIN_HEX" "$K02" "$K03" >"$D/sim.conf"
"$CARDFORGE" sim --memory --pidfile "$CF_PCSC_ENV_DIR/sim.pid" --config "$D/sim.conf" >"$CF_PCSC_ENV_DIR/sim.log" 2>&1 &
echo $! >"$CF_PCSC_ENV_DIR/sim.pid"
cf_wait_cards 2 10 || cf_fail "the two cards did not appear: $(cat "$CF_PCSC_ENV_DIR/sim.log")"

# ---- generate: the key file fills at key 31 ----
{
  echo "cardforge-cmcc-keysheet 1"
  echo "seed $SEED"
  echo "key $A_EMK"
  echo "key $A_EAK"
  for v in $(seq 1 38); do printf 'key 0B %02X 01 00 00 32 AA 00000000\n' "$v"; done
} >"$D/sheet"
out=$(cmcc generate --sheet "$D/sheet" 2>"$D/err") && cf_fail "generate of 40 keys into 30 free records succeeded"
err=$(cat "$D/err")
cf_expect_contains "$err" "6A84" "the card's refusal"
cf_expect_contains "$out" "generate: stopped at key 31 of 40: 30 keys were generated on the KMC" "partial report"
keys=$(cmcc keyinfo --card kmc | tail -n +2 | wc -l)
[ "$keys" = 32 ] || cf_fail "the KMC holds $keys keys, expected 2 + the 30 reported"

# ---- user-update: SIGINT, resume, SIGTERM ----
N=${CF_BATCH_CARDS:-20000}
seq 1 "$N" | awk '{ printf "8602%012X\n", $1 }' >"$D/serials"
EMK=$(div8 "$SEED" 0801010000000000)
# Job control on: a background job of a script without it ignores SIGINT (and cardforge leaves an
# ignored signal ignored).
set -m
batch() { # extra args...; runs cardforge itself in the background, its pid in $bpid
  "$CARDFORGE" cmcc user-update --kmc "$R_KMC" --auth "$R_AUTH" --serials "$D/serials" --user-sim mem \
    --user-sim-params "emk=$EMK" --create 0A0B0C0D0E0F --key 01:01=09,plain --no-verify "$@" >"$D/out" 2>"$D/err" &
  bpid=$!
}
# waits for the first progress line (the batch is under way), then sends the signal
interrupt() { # signal
  local i
  for i in $(seq 1 300); do
    grep -q "cards (" "$D/err" 2>/dev/null && break
    cf_pid_alive "$bpid" || break
    sleep 0.05
  done
  kill "-$1" "$bpid"
  wait "$bpid"
  rc=$?
  out=$(cat "$D/out")
  err=$(cat "$D/err")
}
batch
interrupt INT
[ "$rc" = 130 ] || cf_fail "SIGINT: exit $rc, expected 130; $out $err"
cf_expect_contains "$err" "interrupted by SIGINT" "SIGINT message"
line=$(printf '%s\n' "$out" | grep "^user-update: interrupted before card")
[ -n "$line" ] || cf_fail "no resume line after SIGINT: $out"
done1=$(echo "$line" | sed -n 's/.*: \([0-9]*\) updated in this run.*/\1/p')
from=$(echo "$line" | sed -n 's/.*rerun with --from \([0-9]*\)$/\1/p')
[ -n "$done1" ] && [ "$done1" -gt 0 ] && [ "$done1" -lt "$N" ] || cf_fail "SIGINT came too late or too early: $line"
[ "$from" = $((done1 + 1)) ] || cf_fail "resume line: --from $from after $done1 cards"
cf_expect_contains "$line" "before card $from of $N" "resume line names the card"

cmcc user-update --serials "$D/serials" --user-sim mem --user-sim-params "emk=$EMK" \
  --create 0A0B0C0D0E0F --key 01:01=09,plain --no-verify --from "$from" >"$D/out" 2>"$D/err" || cf_fail "resumed batch: $(cat "$D/err")"
cf_expect_contains "$(cat "$D/out")" "user-update: $((N - done1)) cards updated" "the resumed run does the rest"

batch --from 2
interrupt TERM
[ "$rc" = 143 ] || cf_fail "SIGTERM: exit $rc, expected 143; $out $err"
cf_expect_contains "$err" "interrupted by SIGTERM" "SIGTERM message"
cf_expect_contains "$out" "rerun with --from" "resume line after SIGTERM"
echo "interrupt: generate reported 30 of 40; SIGINT after $done1 of $N cards, resumed with --from $from; SIGTERM exit 143"
