#!/bin/bash
# `cardforge cmcc` against a China Mobile KMC inside pcscd (the IFD handler, cards.conf reader 4):
# PIN verification, a wrong PIN's try counter, key information; the counter survives a pcscd
# restart (it is persistent state) and the right PIN restores it; a card file holding keys that
# others may read is refused.
. "$CF_PCSC_LIB/cf-pcsc-lib.sh"
. "$(dirname "$0")/ifd-lib.sh"
set -u
ifd_wait_ready
export CARDFORGE_KMC_PIN=87654321
cm() { "$CARDFORGE" --reader "IFD kmc" cmcc "$@"; }

cm verify-pin --card kmc >/dev/null || cf_fail "verify-pin on the IFD KMC"
out=$(cm keyinfo --card kmc) || cf_fail "keyinfo"
[ "$(printf '%s\n' "$out" | wc -l)" -ge 1 ] || cf_fail "keyinfo lists the KMC's keys: $out"
err=$(cm verify-pin --card kmc --kmc-pin 00000000 2>&1)
[ $? = 3 ] || cf_fail "a wrong PIN exits 3: $err"
cf_expect_contains "$err" "63C2" "wrong PIN"

cf_restart_pcscd "$CF_IFD_CARDS" || cf_fail "pcscd did not come back with its cards"

err=$(cm verify-pin --card kmc --kmc-pin 00000000 2>&1)
[ $? = 3 ] || cf_fail "a wrong PIN after the restart exits 3: $err"
cf_expect_contains "$err" "63C1" "the try counter survived the restart"
cm verify-pin --card kmc >/dev/null || cf_fail "the right PIN after the restart"
err=$(cm verify-pin --card kmc --kmc-pin 00000000 2>&1)
cf_expect_contains "$err" "63C2" "the right PIN restored the counter"
cm verify-pin --card kmc >/dev/null || cf_fail "the right PIN"
# keys in a card file others may read: the driver refuses that reader (and says why), serves the rest
chmod 644 "$CF_PCSC_ENV_DIR/cards.conf"
cf_restart_pcscd $((CF_IFD_CARDS - 1)) || cf_fail "pcscd with an open card file did not serve the other cards"
sleep 1
[ "$(cf_cards_present)" = $((CF_IFD_CARDS - 1)) ] || cf_fail "the KMC was served from a file others may read"
grep -q "cardforge-ifd: .*the file holds card keys or PINs" "$CF_PCSC_ENV_DIR/pcscd.log" ||
  cf_fail "no reason logged for the refused reader: $(grep cardforge-ifd "$CF_PCSC_ENV_DIR/pcscd.log")"
chmod 600 "$CF_PCSC_ENV_DIR/cards.conf"
cf_restart_pcscd "$CF_IFD_CARDS" || cf_fail "the KMC did not come back with a private card file"
cm verify-pin --card kmc >/dev/null || cf_fail "verify-pin after the card file was made private"
echo "cmcc KMC through the IFD handler: ok"
