#!/bin/bash
# The GlobalPlatform card manager through pcscd (run under cf-pcsc-env --no-sim --readers 4):
#  - the Keycard as shipped (keycard-card) lists its applications, load file and modules;
#  - its wallet instance is deleted and installed again through a secure channel, and then
#    `cardforge keycard` initialises and pairs with it afresh;
#  - a locked application refuses SELECT and unlocks; a locked card keeps only its ISD and unlocks;
#  - `gp apdu --secure` sends any command through the channel (the trace shows it wrapped);
#  - cards holding EMV CPS 1.1 and KDF3 diversified keys (computed here with openssl, not with
#    cardforge) open a channel with --diversify and the master key, put-key --new-diversify writes
#    VISA2 keys that open it afterwards, and a terminated card refuses the channel.
# shellcheck source=/dev/null
. "$CF_PCSC_LIB/cf-pcsc-lib.sh"
# shellcheck source=/dev/null
. "$CF_PCSC_LIB/cf-tdes-lib.sh"
set -u
cf=$CARDFORGE
D=$CF_PCSC_ENV_DIR
export CARDFORGE_HOME=$D/home CARDFORGE_AUDIT_LOG=$D/audit.log
R0="Virtual PCD 00 00"
R1="Virtual PCD 00 01"
R2="Virtual PCD 1 00 00"
MASTER=404142434445464748494A4B4C4D4E4F
WALLET=A00000080400010101

# ---- the card keys, diversified independently: KDD = CPLC fabricator 4346, type 4750, serial, batch 0001 ----
KDD1=43464750 SERIAL1=0A0B0C0D
KDD1=${KDD1}${SERIAL1}0001
KDD2=4346475011223344 SERIAL2=11223344
KDD2=${KDD2}0001
# EMV CPS 1.1: 3DES-ECB(master, KDD[4..9] F0 id KDD[4..9] 0F id), id 01 ENC, 02 MAC, 03 DEK
emv() { local six=${1:8:12}; echo "$(tdes "$MASTER" "${six}F0$2")$(tdes "$MASTER" "${six}0F$2")"; }
# KDF3: AES-CMAC(master, 01 || 00 00 00 || id || 00 || KDD) for a 16-byte key
kdf3() { hex2bin "01000000${2}00$1" | openssl mac -cipher AES-128-CBC -macopt "hexkey:$MASTER" CMAC; }
umask 077
printf 'reader 0 keycard-card\nreader 1 gp serial=%s,enc=%s,mac=%s,dek=%s\nreader 2 gp scp=03,serial=%s,enc=%s,mac=%s,dek=%s\n' \
  "$SERIAL1" "$(emv "$KDD1" 01)" "$(emv "$KDD1" 02)" "$(emv "$KDD1" 03)" \
  "$SERIAL2" "$(kdf3 "$KDD2" 01)" "$(kdf3 "$KDD2" 02)" "$(kdf3 "$KDD2" 03)" >"$D/sim.conf"
"$cf" sim --memory --pidfile "$D/sim.pid" --config "$D/sim.conf" >"$D/sim.log" 2>&1 &
cf_wait_cards 3 10 || cf_fail "the three cards did not appear: $(cat "$D/sim.log")"

gp() { "$cf" gp "$@"; }
# expect RC WHAT COMMAND...: stdout in $out, stderr in $err
expect() {
  local want=$1 what=$2
  shift 2
  out=$("$@" 2>"$D/err.txt")
  local rc=$?
  err=$(cat "$D/err.txt")
  [ "$rc" = "$want" ] || cf_fail "$what: $* exited $rc, expected $want: $out $err"
}

# ---- 1. the Keycard's registry ----
expect 0 "list" gp -r "$R0" list
cf_expect_contains "$out" "ISD  A000000151000000  SECURED (0F)  privileges 9EFE80" "list: ISD"
for app in $WALLET D2760000850101 A00000080400010301 A00000080400010401; do
  cf_expect_contains "$out" "APP  $app  SELECTABLE (07)  privileges 000000  load file A0000008040001" "list: $app"
done
cf_expect_contains "$out" "ELF  A0000008040001  LOADED (01)
     module A000000804000101
     module A000000804000102
     module A000000804000103
     module A000000804000104" "list: the Keycard package and its modules"

"$cf" gp -r "$R0" list --json >"$D/list.json" || cf_fail "list --json"
python3 - "$D/list.json" <<'PY' || cf_fail "list --json: $(cat "$D/list.json")"
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["security_domain"] == "A000000151000000"
kinds = [e["kind"] for e in doc["entries"]]
assert kinds == ["ISD", "APP", "APP", "APP", "APP", "ELF"], kinds
elf = doc["entries"][-1]
assert elf["aid"] == "A0000008040001" and elf["state"] == "LOADED" and len(elf["modules"]) == 4
assert doc["entries"][0]["privilege_names"][0] == "Security Domain"
PY

# ---- 2. the wallet: initialised and paired, deleted, installed again, paired afresh ----
kc() { "$cf" --reader "$R0" keycard "$@"; }
field() { sed -n "s/^$1: //p"; }
creds=$(kc init 2>/dev/null) || cf_fail "keycard init"
pw=$(field pairing-password <<<"$creds")
out=$(kc pair --password "$pw") || cf_fail "first pairing"
[ "$(field pairing-slot <<<"$out")" = 0 ] || cf_fail "first pairing: $out"
out=$(kc pair --password "$pw") || cf_fail "second pairing"
[ "$(field pairing-slot <<<"$out")" = 1 ] || cf_fail "second pairing: $out"
"$cf" --trace gp -r "$R0" --level mac+enc+rmac delete $WALLET >/dev/null 2>"$D/trace.txt" || cf_fail "delete the wallet"
grep -q "^> 84 E4 00 00" "$D/trace.txt" || cf_fail "DELETE did not go through the secure channel"
expect 3 "a deleted wallet is not selectable" "$cf" apdu -r "$R0" 00A4040009$WALLET
cf_expect_contains "$out" "6A82" "SELECT of the deleted wallet"
expect 0 "list after delete" gp -r "$R0" list
case $out in *"APP  $WALLET"*) cf_fail "the deleted wallet is still listed: $out" ;; esac
expect 0 "install" gp -r "$R0" install --package A0000008040001 --applet A000000804000101 --create $WALLET
cf_expect_contains "$out" "Installed $WALLET (module A000000804000101 of A0000008040001), SELECTABLE" "install"
out=$(kc info) || cf_fail "keycard info after install"
cf_expect_contains "$out" "initialized: no" "the re-installed wallet starts uninitialised"
creds=$(kc init 2>/dev/null) || cf_fail "keycard init of the re-installed wallet"
pw=$(field pairing-password <<<"$creds")
out=$(kc pair --password "$pw") || cf_fail "pairing with the re-installed wallet"
[ "$(field pairing-slot <<<"$out")" = 0 ] || cf_fail "the re-installed wallet's first pairing: $out"
export CARDFORGE_PIN
CARDFORGE_PIN=$(field pin <<<"$creds")
kc status >/dev/null || cf_fail "keycard status through the new pairing"

# ---- 3. a locked application refuses SELECT, and unlocks ----
expect 0 "lock" gp -r "$R0" lock $WALLET
expect 3 "SELECT of a locked application" "$cf" apdu -r "$R0" 00A4040009$WALLET
cf_expect_contains "$out" "6A82" "SELECT of the locked wallet"
"$cf" apdu -r "$R0" 00A4040007D2760000850101 >/dev/null || cf_fail "another application is still selectable"
expect 0 "list with a locked application" gp -r "$R0" list
cf_expect_contains "$out" "APP  $WALLET  LOCKED (87)" "list: locked"
expect 3 "lock twice" gp -r "$R0" lock $WALLET
cf_expect_contains "$err" "6985" "lock twice"
expect 0 "unlock" gp -r "$R0" unlock $WALLET
kc status >/dev/null || cf_fail "keycard status after unlock"

# ---- 4. a locked card: only the ISD answers; then unlocked ----
expect 0 "lock-card" gp -r "$R0" lock-card
cf_expect_contains "$out" "Card life cycle: CARD_LOCKED (7F)" "lock-card"
expect 3 "SELECT on a locked card" "$cf" apdu -r "$R0" 00A4040007D2760000850101
kc info >/dev/null 2>&1 && cf_fail "the wallet answers on a locked card"
expect 0 "list on a locked card" gp -r "$R0" list
cf_expect_contains "$out" "ISD  A000000151000000  CARD_LOCKED (7F)" "list: card locked"
expect 3 "lock-card twice" gp -r "$R0" lock-card
expect 0 "unlock-card" gp -r "$R0" unlock-card
kc status >/dev/null || cf_fail "keycard status after unlock-card"

# ---- 5. any APDU through the channel ----
"$cf" --trace gp -r "$R0" --level mac+enc+rmac apdu --secure 80F28002024F0000 >"$D/out.txt" 2>"$D/trace.txt" ||
  cf_fail "apdu --secure: $(cat "$D/trace.txt")"
[ "$(cat "$D/out.txt")" = "E3134F08A0000001510000009F70010FC5039EFE80 9000 (success)" ] ||
  cf_fail "apdu --secure: $(cat "$D/out.txt")"
grep -q "^> 84 F2 80 02 10" "$D/trace.txt" || cf_fail "apdu --secure: GET STATUS not wrapped (C-DEC + C-MAC)"
expect 3 "the same APDU without the channel" gp -r "$R0" apdu 80F28002024F0000
cf_expect_contains "$out" "6982" "apdu without --secure"

# ---- 5b. a CAP file (made here with python's zipfile): the Keycard package goes with every
#      instance, comes back with LOAD (SHA-256 checked), its wallet and NDEF instances are made again ----
python3 - "$D/keycard.cap" <<'PY' || cf_fail "making the CAP file"
import sys, zipfile
aid = bytes.fromhex("A0000008040001")
header = bytes([1, 0, 10 + len(aid)]) + bytes.fromhex("DECAFFED") + bytes([1, 2, 4, 0, 1, len(aid)]) + aid
modules = [aid + bytes([0x01, i]) for i in (1, 2, 3, 4)]
body = bytes([len(modules)]) + b"".join(bytes([len(m)]) + m + b"\x00\x10" for m in modules)
applet = bytes([3, 0, len(body)]) + body
method = bytes([7, 0, 200]) + bytes(range(200))
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    for name, data in (("Header", header), ("Applet", applet), ("Method", method)):
        z.writestr("im/status/keycard/javacard/%s.cap" % name, data)
PY
expect 0 "delete the package with its applications" gp -r "$R0" delete --related A0000008040001
expect 0 "list without the package" gp -r "$R0" list
case $out in *A0000008040001*) cf_fail "the deleted package or one of its instances is still listed: $out" ;; esac
expect 3 "NDEF went with the package" "$cf" apdu -r "$R0" 00A4040007D2760000850101
expect 0 "load the CAP file" gp -r "$R0" load --cap "$D/keycard.cap" --hash --block 100
cf_expect_contains "$out" "Loaded A0000008040001 (" "load"
expect 0 "install the wallet" gp -r "$R0" install --package A0000008040001 --applet A000000804000101 --create $WALLET
expect 0 "install NDEF" gp -r "$R0" install --package A0000008040001 --applet A000000804000102 --create D2760000850101
"$cf" apdu -r "$R0" 00A4040007D2760000850101 >/dev/null || cf_fail "NDEF after its install"
out=$(kc info) || cf_fail "keycard info after the package came back"
cf_expect_contains "$out" "initialized: no" "the wallet of the reloaded package starts uninitialised"
expect 0 "list after the reload" gp -r "$R0" list
cf_expect_contains "$out" "ELF  A0000008040001  LOADED (01)" "list: the reloaded package"
case $out in *"APP  A00000080400010301"*) cf_fail "Cash was not installed again but is listed: $out" ;; esac

# ---- 6. diversified keys ----
expect 0 "EMV diversified keys" gp -r "$R1" --diversify emv auth
cf_expect_contains "$out" "SCP02 i=55, KVN FF" "emv auth"
expect 5 "the master key itself" gp -r "$R1" auth
expect 5 "another method" gp -r "$R1" --diversify visa2 auth
expect 0 "KDF3 diversified AES keys" gp -r "$R2" --diversify kdf3 --level mac+enc+rmac+renc auth
cf_expect_contains "$out" "SCP03 i=70, KVN FF, level mac+enc+rmac+renc" "kdf3 auth"
expect 5 "KDF3 card without diversification" gp -r "$R2" auth
NEW=B0B1B2B3B4B5B6B7B8B9BABBBCBDBEBF
expect 0 "put-key --new-diversify" gp -r "$R1" --diversify emv put-key --new-kvn 21 --new-diversify visa2 --new-key $NEW
expect 0 "the VISA2 keys written open the channel" gp -r "$R1" --key-ver 21 --key $NEW --diversify visa2 auth
cf_expect_contains "$out" "KVN 21" "visa2 auth"
expect 5 "undiversified" gp -r "$R1" --key-ver 21 --key $NEW auth

# ---- 7. a terminated card answers GET DATA and nothing of the channel ----
expect 2 "terminate-card needs --force" gp -r "$R2" --diversify kdf3 terminate-card
expect 0 "terminate-card" gp -r "$R2" --diversify kdf3 terminate-card --force
expect 3 "a terminated card opens no channel" gp -r "$R2" --diversify kdf3 auth
cf_expect_contains "$err" "6985" "terminated: INITIALIZE UPDATE"
expect 0 "GET DATA on a terminated card" gp -r "$R2" info
cf_expect_contains "$out" "IC serial number             11223344" "terminated: CPLC"

cf_stop_pid "$(cat "$D/sim.pid")"
echo "gp card manager: ok"
