#!/usr/bin/python3
"""Independent reference for the China Mobile constructions (docs/cmcc-profile.md section 5).

Recomputes every worked example with python3-cryptography (TripleDES, ECB) and checks it against
the values the C tests pin. Exit 0 = all equal, 1 = a mismatch, 77 = python3-cryptography missing.
"""
import sys
import warnings

warnings.filterwarnings("ignore")
try:
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
except ImportError:
    sys.exit(77)


def b(hexstr):
    return bytes.fromhex(hexstr.replace(" ", ""))


def tdes(key, block, decrypt=False):
    c = Cipher(algorithms.TripleDES(key), modes.ECB())
    op = c.decryptor() if decrypt else c.encryptor()
    return op.update(block) + op.finalize()


def des(key8, block):
    return tdes(key8 * 3, block)


def xor(a, c):
    return bytes(x ^ y for x, y in zip(a, c))


def pad(data):
    data = data + b"\x80"
    return data + b"\x00" * (-len(data) % 8)


def div8(key, f):
    return tdes(key, f) + tdes(key, xor(f, b"\xff" * 8))


def div16(key, f):
    return tdes(key, f[:8]) + tdes(key, f[8:])


def div_levels(key, factors, flen):
    n = len(factors) // flen
    for level in range(1, n + 1):  # level 1 is sent last and applied first
        f = factors[(n - level) * flen:(n - level + 1) * flen]
        key = div8(key, f) if flen == 8 else div16(key, f)
    return key


def session(key, r):
    return div8(key, r + b"\x80\x00\x00\x00")


def mac(alg, key, iv, data):
    blocks = pad(data)
    chain = iv
    for i in range(0, len(blocks) - 8, 8):
        chain = des(key[:8], xor(chain, blocks[i:i + 8]))
    last = xor(chain, blocks[-8:])
    return (tdes(key, last) if alg == "9.19" else des(key[:8], last))[:4]


def iv_of(r):
    return r + b"\x00" * 4 if r else b"\x00" * 8


def cmd_mac(alg, key, r, cipp, body):
    return mac(alg, key, iv_of(r), cipp + bytes([len(body) + 4]) + body)


def enc(key, data):
    return tdes(key, pad(data))


def kt(t):
    return bytes((t << 4) | i for i in range(16))


def main():
    checks = []

    def check(name, got, want):
        checks.append((name, got.hex().upper(), want.replace(" ", "").upper()))

    k = b("0123456789ABCDEFFEDCBA9876543210")
    check("diversify8 pyemv", div8(k, b("1234567890123445")), "67F8292358083F5EA6AB7FDA58D43A6B")
    kab = b("AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBB")
    check("MAC 9.19 pyemv", mac("9.19", kab, iv_of(None), b"hello world"), "2BC2D9ED")
    k40 = kt(4)
    check("external auth", tdes(k40, b("12345678") + bytes(4)), "E228F0F406D5E2EF")
    kimp = b("11223344556677888877665544332211")
    rec = enc(kimp, b("1B 0102030405060708090A0B 00112233445566778899AABBCCDDEEFF"))
    check("key record", rec, "34D1B4D26AF4A344BE42DFDA5C144DD8531D461AFC788C434A474911D0EF7620")
    check("import MAC P2 01", cmd_mac("9.19", kimp, b("01020304"), b("80D80001"), rec), "2E51E3C5")
    check("import MAC P2 02", cmd_mac("9.19", kimp, b("01020304"), b("80D80002"), rec), "44BBE0B8")
    check("session key", session(k40, b("A1B2C3D4")), "55D391229963F324ABB3D0AA6ADBF264")
    check("diversify16 F||~F", div16(k, b("1234567890123445EDCBA9876FEDCBBA")), "67F8292358083F5EA6AB7FDA58D43A6B")
    sam_mk = div16(kt(0xA), b("0102030405060708F1F2F3F4F5F6F7F8"))
    check("SAM master key", sam_mk, "3E16735DC1A92796F14EBD7E718A9EB8")
    check("2 levels", div_levels(kt(8), b("1122334455667788 0102030405060708"), 8), "D3A53815DD47E4868B092F74D37680DA")
    check("3 levels x16", div_levels(kt(8), b("00112233445566778899AABBCCDDEEFF 0F0E0D0C0B0A09080706050403020100"
                                               "0102030405060708F1F2F3F4F5F6F7F8"), 16),
          "7A109798AE68294FA0A4E3108092E226")
    check("MAC 9.9", mac("9.9", kab, iv_of(None), b"hello world"), "773175BE")
    check("MAC 9.19 IV", mac("9.19", kab, iv_of(b("01020304")), b"hello world"), "881ECF0E")
    check("MAC 9.9 IV", mac("9.9", kab, iv_of(b("01020304")), b"hello world"), "C37C51B4")
    check("generated key", div8(bytes(range(16)), b("0801010000000000")), "F86034F5BD20D8A81D29BD7DE5AE9376")
    check("auth data K02", tdes(kt(2), b("0102030400000000")), "C4B919E2E8C98B43")
    serial = b("0102030405060708")
    ck = div8(kt(8), serial)
    check("user card key", ck, "FDF2F55DC4380DC1B55BEFF4E3B4C749")
    sub = div8(kt(9), serial)
    check("sub-application key", sub, "834009CC8C6B5C85C246A20C8F619F59")
    r = b("11223344")
    sk = session(ck, r)
    check("user card session key", sk, "2964FC5E2CA0BB2E76B3EA2D38736FBC")
    plain = b("112233445566 0101") + sub
    ct = enc(sk, plain)
    check("CREATE cipher", ct, "DBE269B41BAE6BF9EAECDC26FE5C45ABB3F4085CC26CF220151215837229B90A")
    check("CREATE MAC", cmd_mac("9.19", sk, r, b("84E00100"), ct), "F81C0D27")
    ct = enc(ck, plain)
    check("CREATE P1 C0 cipher", ct, "6537D75E253D22CF6B65D167F01A81987E324B40645C0FDA4A771236206DDBD7")
    check("CREATE P1 C0 MAC", cmd_mac("9.9", ck, r, b("84E00100"), ct), "297D693A")
    ct = enc(sam_mk, b("0101") + kt(0xB))
    check("WRITE_KEY cipher", ct, "8678D4630BC7979C0F9953F8FF247B5F2CD1BE00D73E4B0A")
    check("WRITE_KEY MAC", cmd_mac("9.19", sam_mk, b("55667788"), b("84D40000"), ct), "76DCC5B9")
    tik, tak = kt(6), kt(7)
    w, t1, t2 = b("A1A2A3A4"), b("B1B2B3B4"), b("C1C2C3C4")
    f = b("0101800000000000")
    check("MAC1", mac("9.19", tik, iv_of(w), t1 + f + b("020101")), "D0FC5E2C")
    sk_sub = div8(tak, f)
    check("terminal sub key", sk_sub, "62F37BED9AB4839424110A2A69FD2BD4")
    ct = enc(tik, b("0101") + sk_sub)
    check("terminal cipher", ct, "EC2E9243926662F9FCA8F6820E7A065C676A161C026DA853")
    check("MAC2", mac("9.19", tik, iv_of(t1), bytes([len(ct)]) + ct), "1EA6B686")
    check("MAC3", mac("9.19", sk_sub, iv_of(w), t2), "62020A62")
    check("MAC4", mac("9.19", sk_sub, iv_of(t2), b("112233445566")), "D14F3EC6")
    ct = enc(kt(5), b("1B 060101000000AA00000000") + kt(6))
    check("CopyExport cipher", ct, "34E85F3444920140BB32AFB6616DAFD785581182B72A54CA52A311C326490870")
    check("CopyExport MAC", cmd_mac("9.19", kt(5), b("0A0B0C0D"), b("80D80002"), ct), "1B1096B3")
    ct = enc(kt(1), b("0106112233445566"))
    check("Update Info cipher", ct, "CBDE3C5ED6498308A21BCA5ADD8F1587")
    check("Update Info MAC", cmd_mac("9.19", kt(1), b("01020304"), b("80D80000"), ct), "A3D0628A")

    bad = [c for c in checks if c[1] != c[2]]
    for name, got, want in bad:
        print(f"MISMATCH {name}: computed {got}, documented {want}")
    print(f"{len(checks) - len(bad)}/{len(checks)} worked examples reproduced")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
