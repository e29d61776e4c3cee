#!/usr/bin/python3
"""A tiny PC/SC bridge for the independent-client test: the published client library (node) has
no working PC/SC binding on Linux x86-64 (its bundled native module is built for ARM), so it
talks to the card through this process. One command APDU per line on stdin (hex), one response
(data || SW, hex) per line on stdout. Uses pyscard (Debian python3-pyscard) on the real pcscd.

usage: pcsc_bridge.py READER   (READER: index, or a part of the reader's name)"""
import sys

from smartcard.System import readers


def pick(name):
    found = readers()
    if name.isdigit() and int(name) < len(found):
        return found[int(name)]
    for r in found:
        if name in str(r):
            return r
    sys.exit("pcsc_bridge: no reader matches %r (readers: %s)" % (name, [str(r) for r in found]))


def main():
    conn = pick(sys.argv[1] if len(sys.argv) > 1 else "0").createConnection()
    conn.connect()
    for line in sys.stdin:
        cmd = list(bytes.fromhex(line.strip()))
        if not cmd:
            continue
        data, sw1, sw2 = conn.transmit(cmd)
        while sw1 == 0x61:  # T=0 style cards leave the answer for GET RESPONSE
            more, sw1, sw2 = conn.transmit([0x00, 0xC0, 0x00, 0x00, sw2])
            data += more
        sys.stdout.write(bytes(data + [sw1, sw2]).hex() + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
