#!/usr/bin/python3
"""A fake card plugged into vpcd, as any peer that reaches vpcd's port could plug one in: it
logs every command APDU it receives (hex, one a line) and answers them without any key.

    fake_vpcd_card.py PORT LOGFILE MODE
        MODE ok       9000 to everything, no data
        MODE kmc-fci  SELECT answered with a copy of the KMC's FCI (public), 9000 to the rest

vpcd wire format (both directions): 2-byte big-endian length, then the payload; a 1-byte payload
from vpcd is a control byte (0 power off, 1 power on, 2 reset, 4 get ATR: answer the ATR).
"""
import socket
import struct
import sys

ATR = bytes.fromhex("3B680000434D43432D4B4D43")  # the form the emulated KMC's ATR takes
KMC_AID = bytes.fromhex("D156000101800004")
KMC_FCI = (bytes.fromhex("6F30") + bytes.fromhex("8408") + KMC_AID + bytes.fromhex("A524") +
           bytes.fromhex("9F08020100") + bytes.fromhex("9F0C1C") + bytes(25) + bytes.fromhex("000004"))


def read_exact(sock, n):
    buf = b""
    while len(buf) < n:
        part = sock.recv(n - len(buf))
        if not part:
            raise EOFError
        buf += part
    return buf


def main():
    port, logfile, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    with open(logfile, "a", buffering=1) as log:
        while True:
            try:
                (n,) = struct.unpack(">H", read_exact(sock, 2))
                msg = read_exact(sock, n)
            except (EOFError, OSError):
                return 0
            if n == 1:
                if msg[0] == 4:
                    sock.sendall(struct.pack(">H", len(ATR)) + ATR)
                continue
            log.write(msg.hex().upper() + "\n")
            answer = b"\x90\x00"
            if mode == "kmc-fci" and len(msg) >= 4 and msg[1] == 0xA4:
                answer = KMC_FCI + answer
            sock.sendall(struct.pack(">H", len(answer)) + answer)


if __name__ == "__main__":
    sys.exit(main())
