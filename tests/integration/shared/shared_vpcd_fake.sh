#!/bin/bash
# A fake card in reader 0, as a peer that reaches vpcd's port (all interfaces) can plug in, never
# receives the KMC's PIN: CMCC reader discovery sends a PIN only to a card whose SELECT answer is
# the KMC's FCI, and only when exactly one reader holds such a card (docs/security.md, "Peers on
# the network (vpcd)"). The fake logs every APDU it gets (fake_vpcd_card.py).
# Run by cf-pcsc-env --no-sim --readers 4 (the script starts the fake and the real cards).
set -u
. "$CF_PCSC_LIB/cf-pcsc-lib.sh"
. "$(dirname "$0")/../cmcc/cmcc_values.sh"
here=$(dirname "$0")
D=$CF_PCSC_ENV_DIR/fake
mkdir -p "$D"
export CARDFORGE_KMC_PIN=$PIN CARDFORGE_AUTH_PIN=$PIN
FAKE_PID=

start_fake() { # mode
  local i
  if [ -n "$FAKE_PID" ]; then
    cf_stop_pid "$FAKE_PID"
    for i in $(seq 1 50); do # until pcscd sees reader 0 empty
      [ "$(cf_cards_present)" -lt 3 ] && break
      sleep 0.1
    done
  fi
  /usr/bin/python3 "$here/fake_vpcd_card.py" 35963 "$D/fake.log" "$1" &
  FAKE_PID=$!
  echo "$FAKE_PID" >"$CF_PCSC_ENV_DIR/fake.pid"
}
no_pin_at_fake() { # what
  [ -s "$D/fake.log" ] || cf_fail "$1: the fake card was never asked anything (not a real test)"
  grep -q "^00A4040008D156000101800004" "$D/fake.log" || cf_fail "$1: the fake was not probed for the KMC"
  if grep -q "^F020\|$PIN_HEX" "$D/fake.log"; then
    cf_fail "$1: the fake card received a PIN: $(grep "^F020\|$PIN_HEX" "$D/fake.log" | head -3)"
  fi
}

start_fake ok
"$CARDFORGE" sim --memory --port 35964 --pidfile "$CF_PCSC_ENV_DIR/sim.pid" \
  --card "kmc:pin2=$PIN_HEX,k01=$K01,k02=$K02" \
  --card "authcard:pin2=$PIN_HEX,k02=$K02,k03=$K03" >"$CF_PCSC_ENV_DIR/sim.log" 2>&1 &
echo $! >"$CF_PCSC_ENV_DIR/sim.pid"
cf_wait_cards 3 10 || cf_fail "the fake and the two real cards did not appear"

# a card that answers 9000 to everything: not taken for the KMC, the real one is
cf_run 0 "verify-pin, KMC found by its FCI" "$CARDFORGE" cmcc verify-pin --card kmc
cf_expect_contains "$err" "KMC in reader Virtual PCD 00 01" "the reader chosen is named"
no_pin_at_fake "verify-pin (fake answering 9000)"
cf_run 0 "auth, both cards found by their FCI" "$CARDFORGE" cmcc auth
no_pin_at_fake "auth (fake answering 9000)"
# named explicitly, the fake is still refused before any PIN
cf_run 5 "the fake named as the KMC" "$CARDFORGE" cmcc verify-pin --card kmc --kmc 0
cf_expect_contains "$err" "its SELECT answer is not a KMC's FCI" "the refusal says why"
cf_expect_contains "$err" "Virtual PCD 00 00" "the refusal names the reader"
no_pin_at_fake "verify-pin --kmc 0"

# a fake that copies the KMC's (public) FCI: two readers claim the KMC, nobody gets the PIN
start_fake kmc-fci
cf_wait_cards 3 10 || cf_fail "the FCI-copying fake did not appear"
: >"$D/fake.log"
cf_run 2 "two KMCs" "$CARDFORGE" cmcc verify-pin --card kmc
cf_expect_contains "$err" "two readers answer as the KMC (Virtual PCD 00 00 and Virtual PCD 00 01)" "ambiguity named"
no_pin_at_fake "verify-pin (fake copying the FCI)"
cf_run 0 "naming the real KMC still works" "$CARDFORGE" cmcc verify-pin --card kmc --kmc "Virtual PCD 00 01"
no_pin_at_fake "verify-pin --kmc 1"
cf_stop_pid "$FAKE_PID"
echo "the fake card in reader 0 never received a PIN: ok"
