#!/usr/bin/python3
"""Extended APDUs at and past vpcd's 16-bit frame, sent with raw PC/SC (pyscard), bypassing
cardforge's host library. The largest command a frame carries (Lc 65528: 7 + 65528 = 65535 bytes)
reaches the card, is answered with a status word and does not reset it. One byte more never
reaches the card: vpcd (Debian 12) refuses to frame it, closes the card's connection and pcscd
answers SCARD_E_NOT_TRANSACTED ("Transaction failed"). The emulator survives that: it reconnects,
the card is back in its reader, its persistent state intact; only its power-on state is new, as
for any card taken out and put back. The host must refuse such commands before sending them."""
import sys
import time

from smartcard.System import readers
from smartcard.Exceptions import CardConnectionException


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def connect():
    for _ in range(50):
        try:
            conn = readers()[0].createConnection()
            conn.connect()
            return conn
        except CardConnectionException:
            time.sleep(0.1)
    fail("the card did not come back")


def transient(conn):
    data, sw1, sw2 = conn.transmit([0x80, 0x05, 0x00, 0x00, 0x04])
    if (sw1, sw2) != (0x90, 0x00):
        fail("transient counter: %02X%02X" % (sw1, sw2))
    return int.from_bytes(bytes(data), "big")


def counter(conn):
    data, sw1, sw2 = conn.transmit([0x80, 0x04, 0x00, 0x00, 0x04])
    if (sw1, sw2) != (0x90, 0x00):
        fail("counter: %02X%02X" % (sw1, sw2))
    return int.from_bytes(bytes(data), "big")


def extended(lc):
    return [0x80, 0x01, 0x00, 0x00, 0x00, lc >> 8, lc & 0xFF] + [0x5A] * lc


conn = connect()
before = counter(conn)
t = transient(conn)
data, sw1, sw2 = conn.transmit(extended(65528))
if sw1 < 0x60:
    fail("the largest frame got no status word: %02X%02X" % (sw1, sw2))
if transient(conn) != t + 2:
    fail("the largest frame reset the card")

try:
    conn.transmit(extended(65529))
    fail("vpcd carried a 65536-byte command: the measured limit changed, update docs/storage.md")
except CardConnectionException as e:
    print("65536-byte command: %s" % e)

# The card leaves the reader and comes back (the emulator reconnects): retry until it answers.
after = None
for _ in range(50):
    try:
        after = counter(connect())
        break
    except CardConnectionException:
        time.sleep(0.1)
if after != before + 1:
    fail("the card's persistent state changed: counter %r after %d" % (after, before))
print("sim oversize: ok")
