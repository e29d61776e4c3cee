#!/usr/bin/python3
"""pyscard (Debian's python3-pyscard) against the loopback card: echo, counter, 61XX, reset."""
import sys

from smartcard.System import readers
from smartcard.scard import SCARD_RESET_CARD


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


names = [str(r) for r in readers()]
if names[:2] != ["Virtual PCD 00 00", "Virtual PCD 00 01"]:
    fail("unexpected readers %r" % names)
conn = readers()[0].createConnection()
conn.connect()
atr = conn.getATR()
if bytes(atr[6:15]) != b"cardforge":
    fail("ATR %s has no cardforge historical bytes" % bytes(atr).hex())

data, sw1, sw2 = conn.transmit([0x00, 0xA4, 0x04, 0x00, 0x07, 0xF0, 0x63, 0x66, 0x6C, 0x6F, 0x6F, 0x70])
if (sw1, sw2) != (0x90, 0x00):
    fail("select answered %02X%02X" % (sw1, sw2))
payload = list(range(200))
data, sw1, sw2 = conn.transmit([0x80, 0x01, 0x00, 0x00, len(payload)] + payload + [0x00])
if (sw1, sw2, data) != (0x90, 0x00, payload):
    fail("echo of 200 bytes came back wrong")

data, sw1, sw2 = conn.transmit([0x80, 0x02, 0x01, 0x2C, 0x00])
if (sw1, sw2, len(data)) != (0x61, 0x2C, 256):
    fail("300-byte response: expected 256 bytes + 612C, got %d + %02X%02X" % (len(data), sw1, sw2))
rest, sw1, sw2 = conn.transmit([0x00, 0xC0, 0x00, 0x00, sw2])
if (sw1, sw2) != (0x90, 0x00) or data + rest != [i & 0xFF for i in range(300)]:
    fail("GET RESPONSE did not complete the 300 bytes")

counters = []
for _ in range(3):
    data, sw1, sw2 = conn.transmit([0x80, 0x04, 0x00, 0x00, 0x04])
    counters.append(int.from_bytes(bytes(data), "big"))
if counters != [counters[0], counters[0] + 1, counters[0] + 2]:
    fail("counter does not count: %r" % counters)

data, _, _ = conn.transmit([0x80, 0x05, 0x00, 0x00, 0x04])
before = int.from_bytes(bytes(data), "big")
conn.reconnect(disposition=SCARD_RESET_CARD)
data, sw1, sw2 = conn.transmit([0x80, 0x05, 0x00, 0x00, 0x04])
after = int.from_bytes(bytes(data), "big")
if not (before >= 5 and after == 1):
    fail("reset did not clear transient state (%d then %d)" % (before, after))
data, sw1, sw2 = conn.transmit([0x80, 0x04, 0x00, 0x00, 0x04])
if int.from_bytes(bytes(data), "big") != counters[-1] + 1:
    fail("reset lost the persistent counter")
conn.disconnect()
print("pyscard: ok (counter %d..%d)" % (counters[0], counters[-1] + 1))
