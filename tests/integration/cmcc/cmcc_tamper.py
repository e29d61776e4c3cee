#!/usr/bin/python3
"""Tampered MACs through pcscd, with a client independent of cardforge's host code (pyscard).

Checks that the user card and the SAM report their serial and factor (GET DATA). Runs the KMC
side of spec 4.1.2 and 4.1.4 / 4.1.8 by relaying APDUs only (the authentication
card and the KMC compute everything), flips one bit of the MAC the KMC returned, and checks that
the user card and the SAM refuse the write with 6988 and that their state is unchanged (READ).
Then the untampered command is accepted, so the refusal was the MAC's doing.

usage: cmcc_tamper.py PIN SERIAL SAM_FACTOR   (the cards are found by their AIDs)
"""
import sys

from smartcard.System import readers

AID = {
    "kmc": "D156000101800004",
    "auth": "D156000101800003",
    "user": "D156000101800001",
    "sam": "D156000101800005",
}


def h(text):
    return list(bytes.fromhex(text.replace(" ", "")))


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def transmit(conn, apdu):
    """One exchange, following 61XX (GET RESPONSE) and 6CXX as T=0 cards ask."""
    data, sw1, sw2 = conn.transmit(apdu)
    if sw1 == 0x6C:
        data, sw1, sw2 = conn.transmit(apdu[:4] + [sw2])
    while sw1 == 0x61:
        more, sw1, sw2 = conn.transmit([0x00, 0xC0, 0x00, 0x00, sw2])
        data += more
    return data, (sw1 << 8) | sw2


def expect(conn, apdu, what, sw=0x9000):
    data, got = transmit(conn, apdu)
    if got != sw:
        fail("%s: SW %04X, expected %04X" % (what, got, sw))
    return data


def find_cards():
    found = {}
    for r in readers():
        try:
            conn = r.createConnection()
            conn.connect()
        except Exception:
            continue
        for role, aid in AID.items():
            if role in found:
                continue
            _, sw = transmit(conn, [0x00, 0xA4, 0x04, 0x00, 8] + h(aid) + [0x00])
            if sw == 0x9000:
                found[role] = conn
                break
    for role in AID:
        if role not in found:
            fail("no %s card found" % role)
    return found


def main():
    pin, serial, factor = sys.argv[1].encode(), h(sys.argv[2]), h(sys.argv[3])
    c = find_cards()
    kmc, auth, user, sam = c["kmc"], c["auth"], c["user"], c["sam"]
    # GET DATA (docs/cmcc-profile.md 2.1): the cards report what they were created with
    if expect(user, h("00CA00C108"), "user GET DATA (serial)") != serial:
        fail("user GET DATA does not answer the serial")
    if expect(sam, h("00CA00C210"), "SAM GET DATA (factor)") != factor:
        fail("SAM GET DATA does not answer the factor")
    expect(user, h("00CA00C210"), "user GET DATA (the SAM's tag)", 0x6A88)
    # 4.1.1 + 4.1.2: PINs, then the KMC authenticates the auth card's master-card master key
    expect(kmc, [0xF0, 0x20, 0x00, 0x02, 8] + list(pin), "KMC Verify PIN")
    expect(auth, [0xF0, 0x20, 0x00, 0x02, 8] + list(pin), "auth Verify PIN")
    r = expect(kmc, [0xF0, 0x84, 0x00, 0x00, 0x04], "KMC Get Challenge")
    enc = expect(auth, [0x80, 0x30, 0x00, 0x00, 5] + r + [0x00], "auth Encrypt Data")
    expect(kmc, [0xF0, 0x82, 0x00, 0x02, 8] + enc[1:9], "KMC External Authentication")

    # 4.1.4: UPDATE SUB_APPLICATION KEYS for sub-application 02 (it does not exist: a valid
    # command would answer 6A88, a tampered one must answer 6988 first)
    def user_export(ins, body_keys):
        ru = expect(user, [0x00, 0x84, 0x00, 0x00, 0x04], "user GET CHALLENGE")
        cipp = [0x84, ins, 0x02, 0x00]
        req = cipp + ru + [0x01] + serial + h("010108") + body_keys
        resp = expect(kmc, [0x80, 0xC2, 0x00, 0x00, len(req)] + req, "KMC Export Keys&Data")
        n = resp[0]
        return cipp + [n + 4] + resp[1:1 + n + 4]

    create_keys = [0x01, 0x01] + serial + h("010109") + [0x02, 0x01, 0x01] + [0x01, 0x06] + h("0A0B0C0D0E0F")
    before, sw = transmit(user, h("00B0020000"))
    if sw != 0x6A88:
        fail("user sub-application 02 should not exist yet (SW %04X)" % sw)
    cmd = user_export(0xE0, create_keys)
    cmd[-1] ^= 0x01
    expect(user, cmd, "user CREATE SUB_APPLICATION with a tampered MAC", 0x6988)
    _, sw = transmit(user, h("00B0020000"))
    if sw != 0x6A88:
        fail("the tampered CREATE changed the user card (READ SW %04X)" % sw)
    cmd = user_export(0xE0, create_keys)
    expect(user, cmd, "user CREATE SUB_APPLICATION, untampered")
    after = expect(user, h("00B0020000"), "user READ")
    if after[:6] != h("0A0B0C0D0E0F"):
        fail("user READ after CREATE: %s" % bytes(after).hex())

    # 4.1.8: WRITE_KEY to the SAM (P1 41, export key = SAM initial master key by the 16-byte factor)
    keys_before = expect(sam, h("00B0000000"), "SAM READ")
    rs = expect(sam, [0x00, 0x84, 0x00, 0x00, 0x04], "SAM GET CHALLENGE")
    req = h("84D40000") + rs + [0x01] + factor + h("01010A") + [0x01, 0x00] + h("01010B") + [0x02, 0x07, 0x01, 0x00]
    resp = expect(kmc, [0x80, 0xC2, 0x41, 0x00, len(req)] + req, "KMC Export Keys&Data (SAM)")
    n = resp[0]
    cmd = h("84D40000") + [n + 4] + resp[1:1 + n + 4]
    cmd[5 + n] ^= 0x80  # first MAC byte
    expect(sam, cmd, "SAM WRITE_KEY with a tampered MAC", 0x6988)
    if expect(sam, h("00B0000000"), "SAM READ") != keys_before:
        fail("the tampered WRITE_KEY changed the SAM")
    print("tampered MACs refused with 6988, state unchanged: ok")


if __name__ == "__main__":
    main()
