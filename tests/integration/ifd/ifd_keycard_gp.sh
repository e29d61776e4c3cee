#!/bin/bash
# `cardforge keycard` and `cardforge gp` against cards inside pcscd (the IFD handler): a Keycard
# is initialised, paired, given a seed and signs; a GP card opens SCP03 channels and takes a new
# key set; pcscd restarts; the Keycard still holds its key (same signature public key) and the GP
# card answers only to its new keys.
. "$CF_PCSC_LIB/cf-pcsc-lib.sh"
. "$(dirname "$0")/ifd-lib.sh"
set -u
ifd_wait_ready
export CARDFORGE_HOME=$CF_PCSC_ENV_DIR/home
kc() { "$CARDFORGE" --reader "IFD keycard" keycard "$@"; }
gp() { "$CARDFORGE" --reader "IFD gp" gp "$@"; }
# the keys in files (mode 0600), not on the command line
K=$CF_PCSC_ENV_DIR/gp-old.key
N=$CF_PCSC_ENV_DIR/gp-new.key
(umask 077 && echo 404142434445464748494A4B4C4D4E4F >"$K" && echo 000102030405060708090A0B0C0D0E0F >"$N")

out=$(kc info) || cf_fail "keycard info"
cf_expect_contains "$out" "initialized: no" "keycard info before init"
kc init --pin 123456 --puk 012345678901 >/dev/null || cf_fail "keycard init"
kc pair >/dev/null || cf_fail "keycard pair"
export CARDFORGE_PIN=123456
kc verify-pin || cf_fail "verify-pin"
kc load-key --seed "$(printf '%02X' $(seq 0 63))" >/dev/null || cf_fail "load-key"
hash=$(printf 'cardforge ifd' | sha256sum | cut -c1-64)
sig1=$(kc sign --hash "$hash") || cf_fail "sign"
pub1=$(echo "$sig1" | grep -i 'public' | head -1)
[ -n "$pub1" ] || cf_fail "sign prints the public key: $sig1"

for level in mac mac+enc mac+enc+rmac; do
  out=$(gp --key "@$K" --level $level auth) || cf_fail "gp auth at $level"
  cf_expect_contains "$out" "SCP03" "gp auth at $level"
done
gp --key "@$K" put-key --replace 30 --new-kvn 30 --new-key "@$N" >/dev/null || cf_fail "gp put-key"

cf_restart_pcscd "$CF_IFD_CARDS" || cf_fail "pcscd did not come back with its cards"

out=$(kc status) || cf_fail "keycard status after the restart"
cf_expect_contains "$out" "pin-retries: 3" "keycard status after the restart"
sig2=$(kc sign --hash "$hash") || cf_fail "sign after the restart"
pub2=$(echo "$sig2" | grep -i 'public' | head -1)
[ "$pub1" = "$pub2" ] || cf_fail "the Keycard's key changed across the restart: [$pub1] [$pub2]"
gp --key "@$K" auth >/dev/null 2>&1
[ $? = 5 ] || cf_fail "the old GP keys must be refused after the restart (exit 5)"
gp --key "@$N" auth >/dev/null || cf_fail "the new GP keys after the restart"
echo "keycard and gp through the IFD handler: ok"
