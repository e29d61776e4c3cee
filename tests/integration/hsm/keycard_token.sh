#!/bin/bash
# `cardforge keycard` with its pairing key in a SoftHSM2 token, through pcscd, on two emulated
# Keycards: card 0 paired with --pairing-store pkcs11 (the key imported into the token at PAIR, the
# pairing file holding only its label; every channel's session keys digested inside the token),
# card 1 paired with the plain file. Both load the same seed and sign the same hash: same public
# key, same signature (RFC 6979). The key cannot be read out of the token; a wrong token PIN opens
# nothing; unpair removes the token object and the line; the ceremony log names the storage kind.
set -u
# shellcheck source=/dev/null
. "$CF_PCSC_LIB/cf-pcsc-lib.sh"
out="" err=""
D=$CF_PCSC_ENV_DIR/kcp11
mkdir -p "$D"
export CARDFORGE_HOME=$D/home CARDFORGE_AUDIT_LOG=$D/audit.log
export CARDFORGE_HSM_PIN=135790 CARDFORGE_HSM_SO_PIN=97531864
module=""
for m in /usr/lib/softhsm/libsofthsm2.so /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so; do
  [ -r "$m" ] && module=$m && break
done
if [ -z "$module" ]; then
  echo "SoftHSM2 is not installed (scripts/install-deps.sh installs it): skipped"
  exit 77
fi
umask 077
R0="Virtual PCD 00 00"
R1="Virtual PCD 00 01"
kc() { "$CARDFORGE" --reader "$1" keycard "${@:2}"; }
store=$CARDFORGE_HOME/keycard-pairings.txt
export SOFTHSM2_CONF=$CARDFORGE_HOME/pkcs11/softhsm2.conf
objects() { pkcs11-tool --module "$module" --login --pin "$CARDFORGE_HSM_PIN" --list-objects --type secrkey 2>/dev/null; }

cf_run 0 "hsm init" "$CARDFORGE" hsm init
cf_run 0 "init card 0" kc "$R0" init --pin 123456 --puk 012345678901
cf_run 0 "init card 1" kc "$R1" init --pin 123456 --puk 012345678901
cf_run 2 "an unknown store" kc "$R0" pair --pairing-store vault
cf_expect_contains "$err" "file, pkcs11 or pkcs11:URI" "unknown store named"
# a token that refuses the PIN: the card is not paired (no slot spent)
cf_run 6 "pair with a wrong token PIN" env CARDFORGE_HSM_PIN=000000 "$CARDFORGE" --reader "$R0" keycard pair \
  --pairing-store pkcs11
cf_expect_contains "$err" "the card was not paired" "wrong token PIN before PAIR"
[ ! -s "$store" ] || cf_fail "a refused pairing wrote the store: $(cat "$store")"

cf_run 0 "pair card 0 into the token" kc "$R0" pair --pairing-store pkcs11
cf_expect_contains "$out" "pairing-slot: 0" "token pairing slot"
cf_expect_contains "$err" "pairing key in the token" "token pairing progress"
cf_run 0 "pair card 1 into the file" kc "$R1" pair
cf_expect_contains "$out" "pairing-slot: 0" "file pairing slot"
[ "$(wc -l <"$store")" = 2 ] || cf_fail "two pairings recorded: $(cat "$store")"
line0=$(grep pkcs11: "$store") || cf_fail "no token line in the pairing file: $(cat "$store")"
uid0=${line0%% *}
[ "$line0" = "$uid0 0 pkcs11:keycard-pair/$uid0/0" ] || cf_fail "token line: $line0"
[ "$(grep -cE ' [0-9A-Fa-f]{64}$' "$store")" = 1 ] || cf_fail "only the file pairing holds key bytes: $(cat "$store")"
cf_expect_contains "$(objects)" "keycard-pair/$uid0/0" "the token holds the pairing key"

# nobody reads the pairing key out of the token, with the PIN and a generic PKCS#11 tool
if pkcs11-tool --module "$module" --login --pin "$CARDFORGE_HSM_PIN" --read-object --type secrkey \
  --label "keycard-pair/$uid0/0" -o "$D/leak" >/dev/null 2>&1 && [ -s "$D/leak" ]; then
  cf_fail "pkcs11-tool read the pairing key"
fi

export CARDFORGE_PIN=123456
seed=$(printf '%02X' $(seq 100 163))
hash=$(printf 'cardforge pairing key in a token' | sha256sum | cut -c1-64)
for r in "$R0" "$R1"; do
  cf_run 0 "verify-pin on $r" kc "$r" verify-pin
  cf_run 0 "load-key on $r" kc "$r" load-key --seed "$seed"
done
cf_run 0 "sign with the token pairing" kc "$R0" sign --hash "$hash"
pub0=$(sed -n 's/^public-key: //p' <<<"$out")
sig0=$(sed -n 's/^signature: //p' <<<"$out")
[ ${#pub0} = 130 ] && [ ${#sig0} = 128 ] || cf_fail "sign output: $out"
cf_run 0 "sign with the file pairing" kc "$R1" sign --hash "$hash"
[ "$(sed -n 's/^public-key: //p' <<<"$out")" = "$pub0" ] || cf_fail "the cards hold different keys: $out"
[ "$(sed -n 's/^signature: //p' <<<"$out")" = "$sig0" ] || cf_fail "another signature through the file pairing"

# a shell session opens its channel through the token once and keeps it
printf 'status\nsign --hash %s\n' "$hash" >"$D/script"
cf_run 0 "shell through the token" kc "$R0" shell --file "$D/script"
cf_expect_contains "$out" "$sig0" "the session's signature"

# the token is needed for every channel: a wrong token PIN opens none
cf_run 5 "a wrong token PIN" env CARDFORGE_HSM_PIN=000000 "$CARDFORGE" --reader "$R0" keycard status
cf_expect_contains "$err" "CKR_PIN_INCORRECT" "wrong token PIN named"
# the file pairing needs no token
cf_run 0 "file pairing without the token" env CARDFORGE_HSM_PIN=000000 "$CARDFORGE" --reader "$R1" keycard status

cf_run 0 "unpair card 0" kc "$R0" unpair
cf_expect_contains "$err" "pairing slot 0 freed" "unpair"
case "$(objects)" in *"keycard-pair/$uid0/0"*) cf_fail "unpair left the token object" ;; esac
grep -q "^$uid0 " "$store" && cf_fail "unpair left the line: $(cat "$store")"
cf_run 3 "no channel after unpair" kc "$R0" status
cf_expect_contains "$err" "no pairing stored" "after unpair"

# again into the token, named by an RFC 7512 URI this time, then factory-reset removes the object
# with the line
cf_run 0 "pair card 0 again" kc "$R0" pair --pairing-store "pkcs11:token=cardforge?module-path=$module"
cf_run 0 "status through the URI's token" kc "$R0" --pairing-store "pkcs11:token=cardforge?module-path=$module" status
cf_run 6 "a token that does not exist" kc "$R0" --pairing-store "pkcs11:token=none?module-path=$module" status
cf_expect_contains "$err" "the pairing token" "an unknown token named"
cf_expect_contains "$(objects)" "keycard-pair/$uid0/0" "paired again"
cf_run 0 "factory-reset card 0" kc "$R0" factory-reset --yes
case "$(objects)" in *"keycard-pair/"*) cf_fail "factory-reset left the token object" ;; esac
unset SOFTHSM2_CONF

cf_run 0 "audit verify" "$CARDFORGE" audit verify
cf_run 0 "audit show" "$CARDFORGE" audit show --json
# pair, unpair and pair again through the token; card 1's pair through the file
[ "$(grep -o '"pairing_store":"pkcs11"' <<<"$out" | wc -l)" = 3 ] ||
  cf_fail "the ceremony log names the token store for pair, unpair and pair: $out"
[ "$(grep -o '"pairing_store":"file"' <<<"$out" | wc -l)" = 1 ] || cf_fail "the file pairing's line: $out"
echo "keycard pairing key in SoftHSM2: ok"
