#!/bin/bash
# `cardforge keycard` on the Keycard as shipped (card type keycard-card, provisioned with a test CA)
# through the real PC/SC stack: init without credentials (random PIN, PUK and pairing password,
# printed once), ten persistent pairings and the eleventh refused (PAIR P2 02: 6A84), an ephemeral
# pairing (slot FF, not saved), NDEF written through the wallet (3.2 chunks) and read by the Type 4
# Tag procedure, the cash data and a Cash signature checked by pyca/cryptography, IDENTIFY CARD
# verified against the CA key and refused for another. Runs under cf-pcsc-env with
# `--card keycard-card:ident_ca=<the CA key below>`.
. "$CF_PCSC_LIB/cf-pcsc-lib.sh"
set -u

export CARDFORGE_HOME=$CF_PCSC_ENV_DIR/home
R0="Virtual PCD 00 00"
kc() { "$CARDFORGE" --reader "$R0" keycard "$@"; }
# the public key of the test CA private key 00..C5 the card was made with, and of 00..C6
CA_PUB=02ee163026e9fd6fe017c38f06a5be6fc125424b371ce2708e7bf4491691e5764a
OTHER_CA_PUB=$(python3 -c '
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives import serialization
k = ec.derive_private_key(0xC6, ec.SECP256K1())
print(k.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint).hex())')

field() { sed -n "s/^$1: //p"; }

# ---- init without credentials ----
creds=$(kc init 2>"$CF_PCSC_ENV_DIR/init.log") || cf_fail "init without credentials"
pin=$(field pin <<<"$creds")
puk=$(field puk <<<"$creds")
pw=$(field pairing-password <<<"$creds")
[[ $pin =~ ^[0-9]{6}$ && $puk =~ ^[0-9]{12}$ && $pw =~ ^[A-Za-z0-9_-]{16}$ ]] ||
  cf_fail "random credentials: pin '${pin}' puk '${puk}' password '${pw}'"
grep -q "only this once" "$CF_PCSC_ENV_DIR/init.log" || cf_fail "init does not say the credentials are shown once"
! grep -q -e "$pin" -e "$pw" "$CF_PCSC_ENV_DIR/init.log" || cf_fail "a credential reached the log stream"

# ---- ten persistent pairings, the eleventh refused, an ephemeral one ----
for i in $(seq 1 10); do
  out=$(kc pair --password "$pw") || cf_fail "pairing $i"
  [ "$(field pairing-slot <<<"$out")" = $((i - 1)) ] || cf_fail "pairing $i: $out"
done
kc pair --password "$pw" >/dev/null 2>"$CF_PCSC_ENV_DIR/pair11.log"
rc=$?
[ $rc = 3 ] && grep -q 6A84 "$CF_PCSC_ENV_DIR/pair11.log" || cf_fail "eleventh pairing: exit $rc, $(cat "$CF_PCSC_ENV_DIR/pair11.log")"
out=$(kc pair --password "$pw" --ephemeral) || cf_fail "ephemeral pairing"
[ "$(field pairing-slot <<<"$out")" = 255 ] || cf_fail "ephemeral pairing: $out"
lines=$(grep -c . "$CARDFORGE_HOME/keycard-pairings.txt")
[ "$lines" = 10 ] || cf_fail "the pairing file holds $lines lines, not the 10 persistent pairings"
export CARDFORGE_PIN=$pin
kc status >/dev/null || cf_fail "status with the newest persistent pairing"

# ---- NDEF: a URI record, then a long one (3.2 chunks), read as a phone reads it ----
kc ndef write --uri https://keycard.tech >/dev/null || cf_fail "ndef write --uri"
out=$(kc ndef read) || cf_fail "ndef read"
[ "$(field ndef <<<"$out")" = d1010d55046b6579636172642e74656368 ] || cf_fail "ndef read: $out"
long=https://keycard.tech/$(printf 'a%.0s' $(seq 1 400))
written=$(kc ndef write --uri "$long" | field ndef) || cf_fail "ndef write of a 400-byte URI"
out=$(kc ndef read) || cf_fail "ndef read of the long record"
[ "$(field length <<<"$out")" -gt 400 ] && [ "$(field ndef <<<"$out")" = "$written" ] || cf_fail "long record read back: $out"
kc ndef write --aar im.status.ethereum >/dev/null || cf_fail "ndef write --aar"
out=$(kc ndef read) || cf_fail "ndef read of the AAR"
# KeycardTest storeDataTest's record
[ "$(field ndef <<<"$out")" = d40f12616e64726f69642e636f6d3a706b67696d2e7374617475732e657468657265756d ] ||
  cf_fail "AAR read back: $out"

# ---- Cash ----
kc store-data --type cash --data C0FFEE >/dev/null || cf_fail "store-data --type cash"
info=$(kc cash info) || cf_fail "cash info"
[ "$(field cash-data <<<"$info")" = C0FFEE ] && [ "$(field version <<<"$info")" = 3.2 ] || cf_fail "cash info: $info"
hash=$(printf 'some data to be hashed' | sha256sum | cut -c1-64)
sig=$(kc cash sign "$hash") || cf_fail "cash sign"
[ "$(field public-key <<<"$sig")" = "$(field public-key <<<"$info")" ] || cf_fail "cash sign used another key"
python3 - "$(field public-key <<<"$sig")" "$(field signature-der <<<"$sig")" "$hash" <<'PY' || cf_fail "pyca/cryptography does not verify the Cash signature"
import sys
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils
pub = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256K1(), bytes.fromhex(sys.argv[1]))
pub.verify(bytes.fromhex(sys.argv[2]), bytes.fromhex(sys.argv[3]), ec.ECDSA(utils.Prehashed(hashes.SHA256())))
PY

# ---- IDENTIFY CARD against the CA key ----
echo "$CA_PUB" >"$CF_PCSC_ENV_DIR/ca.hex"
out=$(kc ident verify --ca "@$CF_PCSC_ENV_DIR/ca.hex") || cf_fail "ident verify with the card's CA"
[ "$(field ca-key <<<"$out" | tr A-F a-f)" = "$CA_PUB" ] || cf_fail "ident verify: $out"
kc ident verify --ca "$OTHER_CA_PUB" >/dev/null 2>&1
rc=$?
[ $rc = 5 ] || cf_fail "ident verify with another CA key: exit $rc, not 5"
echo "keycard-card through pcscd: random init, 10 pairings + 6A84 + ephemeral, NDEF, Cash, IDENT: ok"
