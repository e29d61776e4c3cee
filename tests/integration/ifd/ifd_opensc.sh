#!/bin/bash
# opensc-tool and pyscard talk to cards that live inside pcscd (the IFD handler): the loopback
# card echoes, generates, refuses an unknown instruction; the do-nothing driver answers 9000 with
# as many zero bytes as asked; a reset clears the card's transient state, not its persistent one.
. "$CF_PCSC_LIB/cf-pcsc-lib.sh"
. "$(dirname "$0")/ifd-lib.sh"
set -u
ifd_wait_ready

[ "$(ifd_apdu "IFD loopback" 8001000004DEADBEEF)" = DEADBEEF9000 ] || cf_fail "echo through the IFD handler"
[ "$(ifd_apdu "IFD loopback" 80FF0000)" = 6D00 ] || cf_fail "an unknown INS is 6D00"
[ "$(ifd_apdu "IFD loopback" 8002000300)" = 0001029000 ] || cf_fail "GENERATE 3 bytes"
[ "$(ifd_apdu "IFD null" 0084000004)" = 000000009000 ] || cf_fail "the do-nothing driver"
[ "$(ifd_apdu "IFD null" 00A40400)" = 9000 ] || cf_fail "the do-nothing driver answers 9000"

# pyscard: a long response (GET RESPONSE is the transport's business: 61XX never reaches here
# from the loopback card in T=1 mode) and the card's transient counter across a reset
if python3 -c 'import smartcard' 2>/dev/null; then
  python3 - <<'PY' || cf_fail "pyscard against the IFD card"
from smartcard.System import readers
from smartcard.scard import SCARD_RESET_CARD
r = [x for x in readers() if "IFD loopback" in str(x)][0]
c = r.createConnection()
c.connect()
data, sw1, sw2 = c.transmit([0x80, 0x02, 0x00, 0xC8, 0xC8])
assert (sw1, sw2) == (0x90, 0x00) and data == [i % 256 for i in range(200)], (sw1, sw2, len(data))
for _ in range(3):
    c.transmit([0x80, 0x01, 0x00, 0x00, 0x01, 0x55])
data, sw1, sw2 = c.transmit([0x80, 0x05, 0x00, 0x00, 0x04])
assert (sw1, sw2) == (0x90, 0x00) and int.from_bytes(bytes(data), "big") >= 4, data
c.reconnect(disposition=SCARD_RESET_CARD)
data, sw1, sw2 = c.transmit([0x80, 0x05, 0x00, 0x00, 0x04])
assert (sw1, sw2) == (0x90, 0x00) and int.from_bytes(bytes(data), "big") == 1, data
print("pyscard: ok")
PY
fi
# two readers of the driver at once (it tells pcscd it is thread-safe): counter increments on both
# cards, in parallel, each card ends exactly as many steps further
count() { local r; r=$(ifd_apdu "$1" 8004000004) || return 1; echo $((16#${r:0:8})); }
a0=$(count "IFD loopback") && b0=$(count "IFD slow") || cf_fail "counters before"
incs() { for _ in $(seq "$2"); do echo 8004000004; done | "$CARDFORGE" --reader "$1" apdu --file - >/dev/null; }
incs "IFD loopback" 300 &
pa=$!
incs "IFD slow" 10 &
pb=$!
wait $pa || cf_fail "increments on the loopback card"
wait $pb || cf_fail "increments on the slow card"
[ "$(count "IFD loopback")" = $((a0 + 301)) ] || cf_fail "the loopback card's counter after 300 parallel steps"
[ "$(count "IFD slow")" = $((b0 + 11)) ] || cf_fail "the slow card's counter after 10 parallel steps"

# the card's state file is where the card file says, in the sim's naming
[ -s "$CF_PCSC_ENV_DIR/ifd-cards/reader0-loopback.db" ] || cf_fail "state file reader0-loopback.db"
echo "IFD handler with opensc-tool and pyscard: ok"
