#!/usr/bin/python3
"""Another local program on the same pcscd, with no PIN: does it ever get the KMC's or the
authentication card's services? (pyscard, no PC/SC transaction, like any plain client.)

    shared_probe.py control PIN
        A careless client (no transaction, leaves the card as it is) verifies both PINs and
        authenticates the KMC on one connection; the probe, on a second connection, must then get
        Inst_MAC and Encrypt Data answered: proves the probe sees a leak when there is one.
    shared_probe.py exclusive SECONDS
        Holds the KMC's reader with SCARD_SHARE_EXCLUSIVE for SECONDS (prints "held" once it does).
    shared_probe.py watch STOPFILE AFTER
        Until STOPFILE exists and AFTER seconds more: SELECT + Inst_MAC on the KMC and SELECT +
        Encrypt Data on the authentication card, again and again, without any PIN. Every answer
        must be 6982 (or PC/SC refusing the exchange while another program holds the card).
        Prints the counts; exit 1 on any other answer, or when no probe reached a card after STOPFILE.

Cards are found by their AIDs (the KMC D156000101800004, the auth card D156000101800003).
"""
import os
import sys
import time

from smartcard.System import readers
from smartcard.Exceptions import CardConnectionException, NoCardException
from smartcard.scard import SCARD_RESET_CARD, SCARD_SHARE_EXCLUSIVE

KMC_AID = bytes.fromhex("D156000101800004")
AUTH_AID = bytes.fromhex("D156000101800003")
# Inst_MAC Generate: CIPP 84 D8 00 00, random, no diversification, key 09/01/01, 8 data bytes
INST_MAC = list(bytes.fromhex("803200001584D80000112233440001010908A1A2A3A4A5A6A7A8"))
# Encrypt Data on the auth card: KMC random(4) || 00 (the External Authentication data)
ENCRYPT = list(bytes.fromhex("80300000051122334400"))


def select(aid):
    return [0x00, 0xA4, 0x04, 0x00, len(aid)] + list(aid) + [0x00]


def sw_of(conn, apdu):
    data, sw1, sw2 = conn.transmit(apdu)
    while sw1 == 0x61:
        more, sw1, sw2 = conn.transmit([0x00, 0xC0, 0x00, 0x00, sw2])
        data += more
    return data, (sw1 << 8) | sw2


def find(aid):
    for r in readers():
        conn = r.createConnection()
        try:
            conn.connect()
            _, sw = sw_of(conn, select(aid))
        except (CardConnectionException, NoCardException):
            continue
        if sw == 0x9000:
            return r
        conn.disconnect()
    return None


def connect(reader, disposition=None):
    conn = reader.createConnection()
    conn.connect(disposition=disposition)
    return conn


def control(pin):
    kmc_r, auth_r = find(KMC_AID), find(AUTH_AID)
    if kmc_r is None or auth_r is None:
        print("FAIL: KMC or auth card not found", file=sys.stderr)
        return 1
    # the careless client's own connections reset the cards when they end, so the state it
    # created does not leak into the rest of the test
    kmc, auth = connect(kmc_r, SCARD_RESET_CARD), connect(auth_r, SCARD_RESET_CARD)
    for conn, aid in ((kmc, KMC_AID), (auth, AUTH_AID)):
        sw_of(conn, select(aid))
        _, sw = sw_of(conn, [0xF0, 0x20, 0x00, 0x02, 8] + list(pin.encode()))
        if sw != 0x9000:
            print("FAIL: control Verify PIN answered %04X" % sw, file=sys.stderr)
            return 1
    r, _ = sw_of(kmc, [0xF0, 0x84, 0x00, 0x00, 0x04])
    enc, _ = sw_of(auth, [0x80, 0x30, 0x00, 0x00, 5] + r + [0x00])
    _, sw = sw_of(kmc, [0xF0, 0x82, 0x00, 0x02, 8] + enc[1:9])
    if sw != 0x9000:
        print("FAIL: control External Authentication answered %04X" % sw, file=sys.stderr)
        return 1
    # a second program, no PIN
    other_kmc, other_auth = connect(kmc_r), connect(auth_r)
    sw_of(other_kmc, select(KMC_AID))
    _, sw_mac = sw_of(other_kmc, INST_MAC)
    sw_of(other_auth, select(AUTH_AID))
    _, sw_enc = sw_of(other_auth, ENCRYPT)
    print("control: a careless client's state reached another program: Inst_MAC %04X, Encrypt Data %04X"
          % (sw_mac, sw_enc))
    for conn in (other_kmc, other_auth):
        conn.disconnect()
    for conn in (kmc, auth):
        conn.disconnect()
    return 0 if sw_mac != 0x6982 and sw_enc != 0x6982 else 1


def watch(stopfile, after):
    kmc_r, auth_r = find(KMC_AID), find(AUTH_AID)
    if kmc_r is None or auth_r is None:
        print("FAIL: KMC or auth card not found", file=sys.stderr)
        return 1
    targets = [[kmc_r, KMC_AID, INST_MAC, None], [auth_r, AUTH_AID, ENCRYPT, None]]
    counts = {"refused": 0, "blocked": 0, "leaked": 0, "after": 0}
    leaks = []
    deadline = None
    while deadline is None or time.monotonic() < deadline:
        if deadline is None and os.path.exists(stopfile):
            deadline = time.monotonic() + after
        for t in targets:
            reader, aid, apdu, conn = t
            try:
                if conn is None:
                    conn = t[3] = connect(reader)
                sw_of(conn, select(aid))
                _, sw = sw_of(conn, apdu)
            except (CardConnectionException, NoCardException):
                counts["blocked"] += 1  # sharing violation, or the card was reset: connect again
                try:
                    conn.disconnect()
                except Exception:
                    pass
                t[3] = None
                continue
            if sw == 0x6982:
                counts["refused"] += 1
                if deadline is not None:
                    counts["after"] += 1
            else:
                counts["leaked"] += 1
                leaks.append("%s answered %04X" % (aid.hex().upper(), sw))
    print("probe: %(refused)d refused (6982), %(blocked)d blocked by PC/SC, %(leaked)d answered, "
          "%(after)d refused after the flow ended" % counts)
    if leaks:
        print("FAIL: a program without the PIN was served: " + "; ".join(leaks[:5]), file=sys.stderr)
        return 1
    if counts["after"] == 0:
        print("FAIL: no probe reached the cards after the flow ended", file=sys.stderr)
        return 1
    return 0


def exclusive(seconds):
    kmc_r = find(KMC_AID)
    if kmc_r is None:
        print("FAIL: KMC not found", file=sys.stderr)
        return 1
    conn = kmc_r.createConnection()
    conn.connect(mode=SCARD_SHARE_EXCLUSIVE)
    print("held", flush=True)
    time.sleep(seconds)
    conn.disconnect()
    return 0


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "exclusive":
        return exclusive(float(sys.argv[2]))
    if len(sys.argv) == 3 and sys.argv[1] == "control":
        return control(sys.argv[2])
    if len(sys.argv) == 4 and sys.argv[1] == "watch":
        return watch(sys.argv[2], float(sys.argv[3]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
