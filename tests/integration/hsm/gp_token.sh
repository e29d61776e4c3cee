#!/bin/bash
# The GlobalPlatform key rotation of README.md through pcscd twice, on two identical emulated
# cards: once with the keys given as hex, once with every key in a SoftHSM2 token (the channel keys
# stay in it: the token computes the session keys; the keys PUT KEY carries are imported
# exportable). Every step's output and the cards' final key lists are identical. A third card with
# EMV-diversified keys opens from a master in the token, its keys derived inside the token. A key to put that
# is not exportable is refused before the card is touched; the token's keys cannot be read.
set -u
# shellcheck source=/dev/null
. "$CF_PCSC_LIB/cf-pcsc-lib.sh"
# shellcheck source=/dev/null
. "$CF_PCSC_LIB/cf-tdes-lib.sh"
out="" err=""
D=$CF_PCSC_ENV_DIR/hsm
mkdir -p "$D"
export CARDFORGE_HOME=$D/home CARDFORGE_AUDIT_LOG=$D/audit.log
export CARDFORGE_HSM_PIN=135790 CARDFORGE_HSM_SO_PIN=97531864
AES=A0A1A2A3A4A5A6A7A8A9AAABACADAEAF
DEFAULT=404142434445464748494A4B4C4D4E4F
module=""
for m in /usr/lib/softhsm/libsofthsm2.so /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so; do
  [ -r "$m" ] && module=$m && break
done
if [ -z "$module" ]; then
  echo "SoftHSM2 is not installed (scripts/install-deps.sh installs it): skipped"
  exit 77
fi

# a third card holds EMV CPS 1.1 keys diversified from MASTER (computed here with openssl): KDD = CPLC
# fabricator 4346, type 4750, serial, batch 0001; 3DES-ECB(master, KDD[4..9] F0 id KDD[4..9] 0F id)
MASTER=C0C1C2C3C4C5C6C7C8C9CACBCCCDCECF
KDD=434647500A0B0C0E0001
emv() { local six=${KDD:8:12}; echo "$(tdes "$MASTER" "${six}F0$1")$(tdes "$MASTER" "${six}0F$1")"; }
umask 077
printf 'reader 0 gp serial=0A0B0C0D\nreader 1 gp serial=0A0B0C0D\nreader 2 gp serial=0A0B0C0E,enc=%s,mac=%s,dek=%s\n' \
  "$(emv 01)" "$(emv 02)" "$(emv 03)" >"$D/sim.conf"
"$CARDFORGE" sim --memory --pidfile "$CF_PCSC_ENV_DIR/sim.pid" --config "$D/sim.conf" >"$CF_PCSC_ENV_DIR/sim.log" 2>&1 &
echo $! >"$CF_PCSC_ENV_DIR/sim.pid"
cf_wait_cards 3 10 || cf_fail "the three GP cards did not appear"

cf_run 0 "hsm init" "$CARDFORGE" hsm init
# the factory keys open the channel from the token (not exportable); the keys to put are exportable
printf '%s\n' "$DEFAULT" >"$D/default.key"
printf '%s\n' "$AES" >"$D/aes.key"
chmod 600 "$D/default.key" "$D/aes.key"
cf_run 0 "import gp-default" "$CARDFORGE" hsm import --label gp-default --type des2 --value "@$D/default.key"
cf_expect_contains "$out" "8BAF47  sensitive" "gp-default imported"
case "$out" in *exportable*) cf_fail "gp-default is exportable" ;; esac
cf_run 0 "import gp-kvn30" "$CARDFORGE" hsm import --label gp-kvn30 --type aes --exportable --value "@$D/aes.key"
cf_expect_contains "$out" "EE72CB  sensitive, exportable" "gp-kvn30 imported exportable"
cf_run 0 "import gp-put-des" "$CARDFORGE" hsm import --label gp-put-des --type des2 --exportable \
  --value "@$D/default.key"

# rotate READER KEY_FF KEY_30 NEW_30 NEW_01 KEY_01: README's rotation, each step's stdout appended
# to $D/run-READER
rotate() {
  local r=$1 kff=$2 k30=$3 new30=$4 new01=$5 k01=$6 log=$D/run-$1
  : >"$log"
  step() {
    local want=$1
    shift
    cf_run "$want" "reader $r: gp $*" "$CARDFORGE" gp -r "$r" "$@"
    printf '%s\n' "$out" >>"$log"
  }
  step 0 --key "$kff" auth
  step 0 --key "$kff" put-key --new-kvn 30 --type aes --new-key "$new30"
  cf_expect_contains "$out" "KVN 30 added (AES-128): check values ENC EE72CB MAC EE72CB DEK EE72CB verified" \
    "reader $r: put-key"
  step 0 --key-ver 30 --key "$k30" --level mac+enc+rmac+renc auth
  cf_expect_contains "$out" "SCP03 i=70, KVN 30, level mac+enc+rmac+renc" "reader $r: new keys open SCP03"
  step 0 --key-ver 30 --key "$k30" delete-key --delete-kvn FF
  step 0 keys
  step 3 --key-ver FF --key "$kff" auth
  step 0 --key-ver 30 --key "$k30" put-key --new-kvn 01 --type des --chain --new-key "$new01"
  cf_expect_contains "$out" "KVN 01 added (DES-112): check values ENC 8BAF47 MAC 8BAF47 DEK 8BAF47 verified" \
    "reader $r: rollback"
  step 0 --key-ver 01 --key "$k01" delete-key --delete-kvn 30
  step 0 --key "$k01" --level mac+enc+rmac auth
  cf_expect_contains "$out" "SCP02 i=55, KVN 01, level mac+enc+rmac" "reader $r: default keys open again"
  step 0 --level mac+enc+rmac keys
}
rotate 0 "$DEFAULT" "$AES" "$AES" "$DEFAULT" "$DEFAULT"
rotate 1 pkcs11:gp-default pkcs11:gp-kvn30 pkcs11:gp-kvn30 pkcs11:gp-put-des pkcs11:gp-default
cmp -s "$D/run-0" "$D/run-1" || cf_fail "hex keys and token keys gave different results: $(diff "$D/run-0" "$D/run-1")"
grep -q "^01   03  DES   16" "$D/run-1" || cf_fail "the token-driven card does not end with KVN 01: $(cat "$D/run-1")"

# diversified card keys: the master in the token, the card's keys derived inside it (C_DeriveKey)
printf '%s\n' "$MASTER" >"$D/master.key"
cf_run 0 "import the master" "$CARDFORGE" hsm import --label gp-master --type des2 --value "@$D/master.key"
cf_run 0 "EMV keys from the token's master" "$CARDFORGE" gp -r 2 --diversify emv --key pkcs11:gp-master auth
t=$out
cf_run 0 "EMV keys from the hex master" "$CARDFORGE" gp -r 2 --diversify emv --key "$MASTER" auth
[ "$t" = "$out" ] || cf_fail "diversified: token and hex say different things: $t / $out"
cf_expect_contains "$out" "SCP02 i=55, KVN FF" "diversified auth"
cf_run 5 "another method from the token" "$CARDFORGE" gp -r 2 --diversify visa2 --key pkcs11:gp-master auth
cf_run 5 "the master itself" "$CARDFORGE" gp -r 2 --key pkcs11:gp-master auth
cf_run 2 "kdf3 is not derived in the token" "$CARDFORGE" gp -r 2 --diversify kdf3 --key pkcs11:gp-master auth

# a URI names the same key; a key to put that the token keeps is refused before any APDU
cf_run 0 "channel key by URI" "$CARDFORGE" gp -r 1 --key 'pkcs11:token=cardforge;object=gp-default' auth
cf_run 6 "a non-exportable key to put" "$CARDFORGE" gp -r 1 --key pkcs11:gp-default put-key --new-kvn 32 \
  --type des --new-key pkcs11:gp-default
cf_expect_contains "$err" "not exportable" "refusal names the reason"
cf_run 6 "an unknown token key" "$CARDFORGE" gp -r 1 --key pkcs11:no-such-key auth
cf_expect_contains "$err" "no key labelled \"no-such-key\"" "unknown key named"
cf_run 0 "keys unchanged" "$CARDFORGE" gp -r 1 --level mac+enc+rmac keys
[ "$(printf '%s\n' "$out" | grep -c '^01 ')" = 3 ] || cf_fail "a refused command changed the card: $out"
cf_run 5 "a wrong token PIN" env CARDFORGE_HSM_PIN=000000 "$CARDFORGE" gp -r 1 --key pkcs11:gp-default auth
cf_expect_contains "$err" "CKR_PIN_INCORRECT" "wrong PIN named"

# nobody reads a value out of the token, with the PIN and a generic PKCS#11 tool
export SOFTHSM2_CONF=$CARDFORGE_HOME/pkcs11/softhsm2.conf
for label in gp-default gp-kvn30; do
  if pkcs11-tool --module "$module" --login --pin "$CARDFORGE_HSM_PIN" --read-object --type secrkey \
    --label "$label" -o "$D/leak" >/dev/null 2>&1 && [ -s "$D/leak" ]; then
    cf_fail "pkcs11-tool read the value of $label"
  fi
done
unset SOFTHSM2_CONF
cf_run 0 "audit verify" "$CARDFORGE" audit verify
cf_run 0 "audit show" "$CARDFORGE" audit show --json
case "$out" in *"$AES"* | *"$DEFAULT"*) cf_fail "the ceremony log holds a key" ;; esac
echo "gp key rotation with the keys in SoftHSM2: ok"
