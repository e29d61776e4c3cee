#!/usr/bin/python3
"""Computes the expected values pasted into test_keycard_client_vectors.c, independently of the C
code: pyca/cryptography (Debian python3-cryptography) for ECDH and AES, hashlib for hashes and
PBKDF2. The construction follows the public applet's SecureChannel.java. Run: /usr/bin/python3 make_vectors.py"""
import hashlib
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives import serialization


def pad(b):
    b = b + b"\x80"
    return b + b"\x00" * ((16 - len(b) % 16) % 16)


def cbc(key, iv, data):
    e = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return e.update(data) + e.finalize()


def cbc_mac(key, data):
    return cbc(key, b"\x00" * 16, data)[-16:]


def pub65(priv):
    return priv.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


def h(b):
    return b.hex().upper()


host = ec.derive_private_key(int("11" * 32, 16), ec.SECP256K1())
card = ec.derive_private_key(int("22" * 32, 16), ec.SECP256K1())
secret = host.exchange(ec.ECDH(), card.public_key())  # X coordinate
print("host_pub", h(pub65(host)))
print("card_pub", h(pub65(card)))
print("ecdh_x", h(secret))

pairing_key = bytes(range(0x40, 0x60))
salt = bytes(range(0x60, 0x80))
card_iv = bytes(range(0x80, 0x90))
keys = hashlib.sha512(secret + pairing_key + salt).digest()
enc, mac = keys[:32], keys[32:]
print("enc", h(enc))
print("mac", h(mac))

# VERIFY PIN "123456" as the first command of the session.
plain = b"123456"
ct = cbc(enc, card_iv, pad(plain))
meta = bytes([0x80, 0x20, 0x00, 0x00, len(ct) + 16]) + b"\x00" * 11
cmd_mac = cbc_mac(mac, meta + ct)
print("cmd_data", h(cmd_mac + ct))

# The card's answer: data 01 02 03 then SW 9000, encrypted with IV = the command MAC.
rplain = bytes([1, 2, 3, 0x90, 0x00])
rct = cbc(enc, cmd_mac, pad(rplain))
rmeta = bytes([len(rct) + 16]) + b"\x00" * 15
rmac = cbc_mac(mac, rmeta + rct)
print("resp_data", h(rmac + rct))

# A second command (GET STATUS P1=00, no data) chained on the response MAC.
ct2 = cbc(enc, rmac, pad(b""))
meta2 = bytes([0x80, 0xF2, 0x00, 0x00, len(ct2) + 16]) + b"\x00" * 11
print("cmd2_data", h(cbc_mac(mac, meta2 + ct2) + ct2))

# INIT one-shot: 41 || host pub || IV || AES-CBC(ECDH X, IV, pad(PIN || PUK || secret)).
init_plain = b"123456" + b"123456789012" + bytes(range(32))
oiv = bytes(range(0xA0, 0xB0))
print("init_data", h(bytes([65]) + pub65(host) + oiv + cbc(secret, oiv, pad(init_plain))))

# Pairing password derivation and PAIR cryptograms.
ps = hashlib.pbkdf2_hmac("sha256", b"KeycardDefaultPairing", b"Keycard Pairing Password Salt", 50000, 32)
print("pairing_secret", h(ps))
chal = bytes(range(0xC0, 0xE0))
print("card_cryptogram", h(hashlib.sha256(ps + chal).digest()))

# BIP39 seed of the applet test mnemonic, empty passphrase.
m = b"legal winner thank year wave sausage worth useful legal winner thank year wave sausage worth useful legal will"
print("seed18", h(hashlib.pbkdf2_hmac("sha512", m, b"mnemonic", 2048, 64)))
