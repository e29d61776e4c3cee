#!/bin/bash
# All eight flows of spec chapter 4 through pcscd, with `cardforge cmcc` against six emulated cards
# (run by cf-pcsc-env with the cards of CMakeLists.txt). Each result is proved by use: the command's
# own proof (Inst_MAC / VERIFY MAC) and, independently, INTERNAL AUTHENTICATE answers compared with
# keys this script derives with the openssl command line. Wrong PINs and tampered MACs are refused
# with the spec's status word and change nothing.
set -u
. "$CF_PCSC_LIB/cf-pcsc-lib.sh"
. "$CF_PCSC_LIB/cf-tdes-lib.sh"
. "$(dirname "$0")/cmcc_values.sh"

D=$CF_PCSC_ENV_DIR/cmcc
mkdir -p "$D"
cf=("$CARDFORGE" cmcc)
export CARDFORGE_KMC_PIN=$PIN CARDFORGE_AUTH_PIN=$PIN CARDFORGE_WORK_PIN=$PIN CARDFORGE_CMCC_HSM=$D/hsm.keys

run() { # expected-exit what command... (cf_run; a failure says one cardforge: line)
  cf_run "$@"
  if [ "$1" != 0 ]; then
    [ "$(printf '%s\n' "$err" | grep -c '^cardforge: ')" -ge 1 ] || cf_fail "$2: no one-line error ($err)"
  fi
}

# ---- the six cards: started here, so their keys come from cmcc_values.sh ----
"$CARDFORGE" sim --memory --pidfile "$CF_PCSC_ENV_DIR/sim.pid" \
  --card "kmc:pin2=$PIN_HEX,k01=$K01,k02=$K02" \
  --card "authcard:pin2=$PIN_HEX,k02=$K02,k03=$K03" \
  --card "workcard:pin2=$PIN_HEX,k04=$K04,k05=$K05,eid=$EID" \
  --card "usercard:serial=$SERIAL,emk=$(div8 "$SEED" 0801010000000000)" \
  --card "sam:factor=$SAMFACTOR,imk=$SAMINIT" \
  --card "terminal:tik=$TIK" >"$CF_PCSC_ENV_DIR/sim.log" 2>&1 &
echo $! >"$CF_PCSC_ENV_DIR/sim.pid"
cf_wait_cards 6 10 || cf_fail "the six cards did not appear"
readers=$("$CARDFORGE" readers) || cf_fail "cardforge readers"
reader_of() { printf '%s\n' "$readers" | grep "ATR 3B680000434D43432D$1" | sed 's/^[0-9]*: \(.*\) (card.*/\1/'; }
R_USER=$(reader_of 555352)
R_SAM=$(reader_of 53414D)
R_TERM=$(reader_of 54524D)
[ -n "$R_USER" ] && [ -n "$R_SAM" ] && [ -n "$R_TERM" ] || cf_fail "the six cards are not all there: $readers"

# ---- the operator HSM (vault 0600) and the key code sheet ----
run 0 "hsm-init" "${cf[@]}" hsm-init --key "01/01/01=$K01" --key "03/01/01=$K03" --key "04/01/01=$K04" \
  --key "05/01/01=$K05"
[ "$(stat -c %a "$D/hsm.keys")" = 600 ] || cf_fail "the HSM file is not 0600"
run 0 "hsm-list" "${cf[@]}" hsm-list
cf_expect_contains "$out" "$(tdes "$K05" 0000000000000000 | cut -c1-6)" "hsm-list check value of key 05"
case "$out" in *"$K05"*) cf_fail "hsm-list printed a key value" ;; esac
run 0 "hsm-list --json" "${cf[@]}" hsm-list --json
printf '%s' "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)
keys = {(k["type"], k["version"], k["index"]): k for k in d["keys"]}
assert set(keys) >= {("01", "01", "01"), ("03", "01", "01"), ("04", "01", "01"), ("05", "01", "01")}, keys
k5 = keys[("05", "01", "01")]
assert k5["kcv"] == sys.argv[1] and k5["attributes"].startswith("050101") and len(k5["attributes"]) == 22, k5
assert sys.argv[2] not in json.dumps(d), "a key value in the document"
' "$(tdes "$K05" 0000000000000000 | cut -c1-6)" "$K05" || cf_fail "hsm-list --json: $out"
chmod 644 "$D/hsm.keys"
run 6 "an HSM file readable by others" "${cf[@]}" auth --via hsm --card kmc
cf_expect_contains "$err" "too open" "HSM permission error"
chmod 600 "$D/hsm.keys"
printf 'cardforge-cmcc-keysheet 1\nseed %s\nkey %s\nkey %s\nkey %s\nkey %s\nkey %s\n' "$SEED" "$A_TAK" "$A_EMK" \
  "$A_EAK" "$A_SAM1" "$A_SAM2" >"$D/sheet"
chmod 600 "$D/sheet"

# ---- 4.1.1 PIN verification ----
for card in kmc auth work; do run 0 "verify-pin $card" "${cf[@]}" verify-pin --card $card; done
run 3 "wrong PIN" "${cf[@]}" verify-pin --card kmc --kmc-pin 00000000
cf_expect_contains "$err" "wrong PIN, 2 tries left (SW 63C2, reader Virtual PCD" "wrong PIN message naming the reader"
run 3 "no rights after a wrong PIN" "${cf[@]}" generate --sheet "$D/sheet" --kmc-pin 00000000
run 0 "keyinfo after wrong PINs" "${cf[@]}" keyinfo --card kmc
[ "$(printf '%s\n' "$out" | wc -l)" = 3 ] || cf_fail "a refused command changed the KMC's keys: $out"
run 0 "the right PIN restores the tries" "${cf[@]}" verify-pin --card kmc
run 3 "wrong PIN again" "${cf[@]}" verify-pin --card kmc --kmc-pin 00000000
cf_expect_contains "$err" "2 tries left" "the right PIN restored the counter"

# ---- 4.1.2 external authentication ----
run 0 "auth through the auth card" "${cf[@]}" auth
run 0 "auth KMC via HSM" "${cf[@]}" auth --via hsm --card kmc
run 0 "auth auth card via HSM" "${cf[@]}" auth --via hsm --card auth
run 0 "auth working card via HSM (P2 02)" "${cf[@]}" auth --via hsm --card work --p2 02

# ---- 4.1.3 key generation, proved by use (Inst_MAC against the seed) ----
run 0 "generate" "${cf[@]}" generate --sheet "$D/sheet"
cf_expect_contains "$out" "generated 5 keys on the KMC; 5 proved by use (Inst_MAC)" "generate summary"

# ---- 4.1.5 initial key import through the authentication card (and the operator's via the HSM) ----
run 0 "import 0A" "${cf[@]}" import-key --attrs "$A_SAMINIT" --value "$SAMINIT"
cf_expect_contains "$out" "(proved by use: Inst_MAC)" "0A import proved"
CARDFORGE_CMCC_KEY=$TIK run 0 "import 06" "${cf[@]}" import-key --attrs "$A_TIK"
run 0 "import 05 via HSM" "${cf[@]}" import-key --via hsm --from-hsm 05/01/01 --card kmc

# ---- tampered MACs through an independent client (pyscard) ----
/usr/bin/python3 "$(dirname "$0")/cmcc_tamper.py" "$PIN" "$SERIAL" "$SAMFACTOR" || cf_fail "tamper checks"

# ---- 4.1.4 user-card key update: one card in a reader ----
run 0 "user-update" "${cf[@]}" user-update --serial "$SERIAL" --subapp 01 --create 0A0B0C0D0E0F --data 0102030405 \
  --key 01:01=09 --key 02:01=09,plain
cf_expect_contains "$out" "1 cards updated and proved by use" "user-update summary"
EAK=$(div8 "$SEED" 0901010000000000)
expect_key "$R_USER" 01 01 "$(div8 "$EAK" "$SERIAL")" "user card key 01 (EAK by serial)"
expect_key "$R_USER" 01 02 "$EAK" "user card key 02 (EAK)"
# a list whose second line names a card that is not in that reader: the card reports its serial
# (GET DATA), so the batch stops there before exporting anything to it, exit 5
out=$("$CARDFORGE" apdu -r "$R_USER" 00CA00C108) || cf_fail "user card GET DATA"
[ "$out" = "$SERIAL 9000 (success)" ] || cf_fail "user card GET DATA answered $out"
printf '%s %s\n%s %s\n%s\n' "$SERIAL" "$R_USER" 8600112233445599 "$R_USER" 8600112233445598 >"$D/list"
run 5 "batch stops at the wrong card" "${cf[@]}" user-update --serials "$D/list" --subapp 05 --create 0A0B0C0D0E0F
cf_expect_contains "$out" "stopped at card 2 of 3: 1 updated in this run; rerun with --from 2" "batch stop summary"
cf_expect_contains "$err" "card 2 (serial 8600112233445599)" "batch names the card"
cf_expect_contains "$err" "the card in the reader is $SERIAL, not 8600112233445599: wrong card" "batch names both"
[ "$(printf '%s\n' "$err" | grep -c '^cardforge: ')" = 1 ] || cf_fail "more than one error line: $err"
# without the check (cards that cannot report their serial) the card refuses the write's MAC, exit 3
user06=$("$CARDFORGE" apdu -r "$R_USER" 00B0060000 2>/dev/null)
case "$user06" in 6A88*) ;; *) cf_fail "user card sub-application 06 is not empty: $user06" ;; esac
printf '%s %s\n' 8600112233445599 "$R_USER" >"$D/list1"
run 3 "a wrong card refuses the MAC" "${cf[@]}" user-update --serials "$D/list1" --subapp 06 --create 0A0B0C0D0E0F \
  --no-serial-check
cf_expect_contains "$err" "6988" "the wrong card's refusal names the status word"
user06=$("$CARDFORGE" apdu -r "$R_USER" 00B0060000 2>/dev/null)
case "$user06" in 6A88*) ;; *) cf_fail "the refused write created sub-application 06: $user06" ;; esac
# a batch of emulated user cards (one per serial, in the host process) against the real KMC
seq 1 10000 | awk '{ printf "8601%012X\n", $1 }' >"$D/serials"
start=$(date +%s)
run 0 "batch of 10000 emulated user cards" "${cf[@]}" user-update --serials "$D/serials" --user-sim mem \
  --user-sim-params "emk=$(div8 "$SEED" 0801010000000000)" --create 0A0B0C0D0E0F --key 01:01=09
secs=$(($(date +%s) - start))
cf_expect_contains "$out" "10000 cards updated and proved by use" "batch summary"
lines=$(printf '%s\n' "$err" | grep -c 'cmcc user-update: .*/10000 cards')
[ "$lines" -le $((secs + 1)) ] || cf_fail "progress is not rate-limited ($lines lines in ${secs}s)"
echo "batch: $out"

# ---- 4.1.6 working-card production (CopyExport) ----
run 0 "make-working" "${cf[@]}" make-working
cf_expect_contains "$out" "2 keys copied from the KMC (attributes checked)" "make-working summary"

# ---- 4.1.7 terminal key writing (MAC1..MAC4), proved by the terminal's key ----
run 0 "terminal-write" "${cf[@]}" terminal-write --index 05 --version 01
cf_expect_contains "$out" "(proved by use: VERIFY MAC)" "terminal-write proof"
TAK=$(div8 "$SEED" 0701010000000000)
expect_key "$R_TERM" 05 00 "$(div8 "$TAK" 0501800000000000)" "terminal sub-application key 05"
out=$("$CARDFORGE" apdu -r "$R_TERM" 00B0000000) || cf_fail "terminal READ"
cf_expect_contains "$out" "${EID}010501 9000" "terminal holds the enterprise ID and key 05/01"

# ---- 4.1.8 SAM key update (WRITE_KEY), proved by VERIFY MAC and the SAM's keys ----
out=$("$CARDFORGE" apdu -r "$R_SAM" 00CA00C210) || cf_fail "SAM GET DATA"
[ "$out" = "$SAMFACTOR 9000 (success)" ] || cf_fail "SAM GET DATA answered $out"
sam_before=$("$CARDFORGE" apdu -r "$R_SAM" 00B0000000) || cf_fail "SAM READ"
run 5 "a --factor that is not the SAM's" "${cf[@]}" sam-update --factor 00112233445566778899AABBCCDDEEFF \
  --key 01:01=0B/01/01
cf_expect_contains "$err" "the SAM's factor is $SAMFACTOR, not the given 00112233445566778899AABBCCDDEEFF" \
  "factor mismatch message"
[ "$sam_before" = "$("$CARDFORGE" apdu -r "$R_SAM" 00B0000000)" ] || cf_fail "the refused sam-update changed the SAM"
# without --factor: the SAM reports its own
run 0 "sam-update" "${cf[@]}" sam-update --key 01:01=0B/01/01 \
  --key 02:03=0B/01/01@1122334455667788 --key 00:02=0B/02/01
cf_expect_contains "$out" "3 keys written (proved by use: VERIFY MAC)" "sam-update summary"
SAM1=$(div8 "$SEED" 0B01010000000000)
expect_key "$R_SAM" 00 01 "$SAM1" "SAM key 01"
expect_key "$R_SAM" 00 02 "$(div8 "$SAM1" 1122334455667788)" "SAM key 02"
expect_key "$R_SAM" 00 00 "$(div8 "$SEED" 0B02010000000000)" "SAM master key (replaced)"
sam_before=$("$CARDFORGE" apdu -r "$R_SAM" 00B0000000) || cf_fail "SAM READ"
run 3 "the old SAM master key no longer opens the SAM" "${cf[@]}" sam-update --factor "$SAMFACTOR" --key 03:01=0B/01/01
cf_expect_contains "$err" "6988" "SAM refuses the old master key's MAC"
sam_after=$("$CARDFORGE" apdu -r "$R_SAM" 00B0000000) || cf_fail "SAM READ"
[ "$sam_before" = "$sam_after" ] || cf_fail "a refused WRITE_KEY changed the SAM ($sam_before / $sam_after)"

# ---- the CLI's own errors: one line, the documented exit codes ----
run 2 "unknown option" "${cf[@]}" generate --sheet "$D/sheet" --bogus
run 2 "missing PIN" env -u CARDFORGE_KMC_PIN "${cf[@]}" verify-pin --card kmc
run 6 "missing sheet" "${cf[@]}" generate --sheet "$D/nothing"
run 4 "no such reader" "${cf[@]}" keyinfo --card kmc --kmc "no such reader"
run 0 "help" "${cf[@]}" user-update --help
echo "cmcc flows through pcscd: ok"
