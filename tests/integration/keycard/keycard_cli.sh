#!/bin/bash
# `cardforge keycard` through the real PC/SC stack: three emulated Keycards in three vpcd readers.
# On the first: init, pair, open the channel, verify the PIN, load a BIP39 seed, sign; then DUPLICATE
# KEY onto the other two and sign the same hash on all three: the public keys must be equal.
# Runs under cf-pcsc-env with three `--card keycard:version=2.2.1` (DUPLICATE KEY is a 2.2.1 command;
# cf-pcsc-env then offers four vpcd readers).
. "$CF_PCSC_LIB/cf-pcsc-lib.sh"
set -u

export CARDFORGE_HOME=$CF_PCSC_ENV_DIR/home
R0="Virtual PCD 00 00"
R1="Virtual PCD 00 01"
R2="Virtual PCD 1 00 00"
opensc-tool -l | grep -q "$R2" || cf_fail "no reader named $R2: $(opensc-tool -l)"
kc() { "$CARDFORGE" --reader "$1" keycard "${@:2}"; }

out=$(kc "$R0" info) || cf_fail "info before init"
cf_expect_contains "$out" "initialized: no" "info before init"
for r in "$R0" "$R1" "$R2"; do
  kc "$r" init --pin 123456 --puk 012345678901 >/dev/null || cf_fail "init on $r"
  out=$(kc "$r" pair) || cf_fail "pair on $r"
  cf_expect_contains "$out" "pairing-slot: 0" "pair on $r"
done
[ "$(stat -c %a "$CARDFORGE_HOME/keycard-pairings.txt")" = 600 ] || cf_fail "pairing store must be mode 0600"
[ "$(wc -l <"$CARDFORGE_HOME/keycard-pairings.txt")" = 3 ] || cf_fail "three pairings stored"

out=$(kc "$R0" verify-pin --pin 000000 2>&1)
[ $? = 3 ] || cf_fail "a wrong PIN exits 3: $out"
cf_expect_contains "$out" "2 tries left" "wrong PIN"
export CARDFORGE_PIN=123456
out=$(kc "$R0" status) || cf_fail "status"
cf_expect_contains "$out" "pin-retries: 2" "status after a wrong PIN"
kc "$R0" verify-pin || cf_fail "verify-pin"

seed=$(printf '%02X' $(seq 0 63))
out=$(kc "$R0" load-key --seed "$seed") || cf_fail "load-key"
uid=$(echo "$out" | sed -n 's/^key-uid: //p')
[ ${#uid} = 64 ] || cf_fail "load-key prints the key UID: $out"
hash=$(printf 'cardforge integration' | sha256sum | cut -c1-64)

# trace: the PIN never appears, in clear or in hex
trace=$("$CARDFORGE" --trace --reader "$R0" keycard verify-pin 2>&1 >/dev/null) || cf_fail "verify-pin with --trace"
cf_expect_contains "$trace" "(secure channel: plain command" "trace of the secure commands"
case "$trace" in *313233343536*|*"31 32 33 34 35 36"*) cf_fail "the trace shows the PIN" ;; esac

out=$(kc "$R0" sign --hash "$hash") || cf_fail "sign on the source"
pub0=$(echo "$out" | sed -n 's/^public-key: //p')
sig0=$(echo "$out" | sed -n 's/^signature: //p')
[ ${#pub0} = 130 ] && [ ${#sig0} = 128 ] || cf_fail "sign output: $out"

out=$(kc "$R0" duplicate --source "$R0" --target "$R1" --target "$R2" 2>"$CF_PCSC_ENV_DIR/dup.log") ||
  cf_fail "duplicate: $(cat "$CF_PCSC_ENV_DIR/dup.log")"
[ "$(echo "$out" | grep -c "key-uid $uid ok")" = 3 ] || cf_fail "every card ends with the source's key UID: $out"
cf_expect_contains "$(cat "$CF_PCSC_ENV_DIR/dup.log")" "card 3 (target): key imported" "duplicate progress"
# again with --json: one document (docs/cli.md), both targets found holding the key, no progress lines
out=$(kc "$R0" duplicate --source "$R0" --target "$R1" --target "$R2" --json 2>"$CF_PCSC_ENV_DIR/dup.err") ||
  cf_fail "duplicate --json: $(cat "$CF_PCSC_ENV_DIR/dup.err")"
[ ! -s "$CF_PCSC_ENV_DIR/dup.err" ] || cf_fail "duplicate --json wrote to stderr: $(cat "$CF_PCSC_ENV_DIR/dup.err")"
printf '%s' "$out" | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
uid = sys.argv[1]
assert d["result"] == "completed" and d["resume"] is None, d
assert d["source"] == {"reader": sys.argv[2], "key_uid": uid}, d["source"]
assert [(t["card"], t["reader"], t["outcome"], t["key_uid"]) for t in d["targets"]] == \
    [(2, sys.argv[3], "held", uid), (3, sys.argv[4], "held", uid)], d["targets"]
' "$uid" "$R0" "$R1" "$R2" || cf_fail "duplicate --json document: $out"

for r in "$R1" "$R2"; do
  out=$(kc "$r" sign --hash "$hash") || cf_fail "sign on $r"
  pub=$(echo "$out" | sed -n 's/^public-key: //p')
  sig=$(echo "$out" | sed -n 's/^signature: //p')
  [ "$pub" = "$pub0" ] || cf_fail "$r signs with another key: $pub vs $pub0"
  [ "$sig" = "$sig0" ] || cf_fail "$r gives another signature for the same hash (RFC 6979): $sig vs $sig0"
done
out=$(kc "$R2" info) || cf_fail "info on a target"
cf_expect_contains "$out" "key-uid: $uid" "target key UID"

# the signature checks out with a verifier that is not ours (pyca/cryptography)
/usr/bin/python3 - "$pub0" "$sig0" "$hash" <<'PY' || cf_fail "the signature does not verify with pyca/cryptography"
import sys
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils
pub, sig, h = (bytes.fromhex(a) for a in sys.argv[1:4])
key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256K1(), pub)
der = utils.encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
key.verify(der, h, ec.ECDSA(utils.Prehashed(hashes.SHA256())))
PY
echo "keycard cli through pcscd: ok"
