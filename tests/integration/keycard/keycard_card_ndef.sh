#!/bin/bash
# The Keycard as shipped (card type keycard-card) through the real PC/SC stack: the wallet applet
# stores an NDEF message (`cardforge keycard store-data --type ndef`, STORE DATA P1 01), and
# opensc-tool, not cardforge, reads it back as an NFC phone reads a Type 4 Tag (NFC Forum Type 4
# Tag specification): SELECT the NDEF application D2760000850101, SELECT and READ BINARY the
# capability container E103, SELECT E104, READ BINARY NLEN, READ BINARY the message. Then the Cash
# application signs without PIN or secure channel and the Security Domain answers by default.
# Runs under cf-pcsc-env with `--card keycard-card`.
. "$CF_PCSC_LIB/cf-pcsc-lib.sh"
set -u

export CARDFORGE_HOME=$CF_PCSC_ENV_DIR/home
R0="Virtual PCD 00 00"
kc() { "$CARDFORGE" --reader "$R0" keycard "$@"; }

# Sends the APDUs (hex) in one card session; prints one line per APDU: SW, a space, response hex.
apdus() {
  local args=() a
  for a in "$@"; do args+=(-s "$a"); done
  opensc-tool -r "$R0" "${args[@]}" 2>&1 | python3 -c '
import re, sys
out = []
for line in sys.stdin:
    m = re.match(r"Received \(SW1=0x([0-9a-fA-F]+), SW2=0x([0-9a-fA-F]+)\)", line)
    if m:
        out.append(["%02X%02X" % (int(m.group(1), 16), int(m.group(2), 16)), ""])
    elif out and re.match(r"^[0-9A-Fa-f]{2}( [0-9A-Fa-f]{2})*", line):
        out[-1][1] += re.match(r"^([0-9A-Fa-f]{2}( [0-9A-Fa-f]{2})*)", line).group(1).replace(" ", "").upper()
for sw, data in out:
    print(sw, data)
'
}

# KeycardTest storeDataTest's Android application record (NLEN 0024, "android.com:pkg" im.status.ethereum)
file=0024D40F12616E64726F69642E636F6D3A706B67696D2E7374617475732E657468657265756D

out=$(kc info) || cf_fail "keycard info"
kc init --pin 123456 --puk 012345678901 >/dev/null || cf_fail "init"
kc pair >/dev/null || cf_fail "pair"
export CARDFORGE_PIN=123456
kc store-data --type ndef --data "$file" >/dev/null || cf_fail "store-data --type ndef"

mapfile -t r < <(apdus 00A4040007D276000085010100 00A4000C02E103 00B000000F 00A4000C02E104 00B0000002 00B0000224)
[ ${#r[@]} = 6 ] || cf_fail "opensc-tool answered ${#r[@]} of 6 APDUs: ${r[*]}"
[ "${r[0]}" = "9000 " ] || cf_fail "SELECT D2760000850101: ${r[0]}"
[ "${r[1]}" = "9000 " ] || cf_fail "SELECT E103: ${r[1]}"
[ "${r[2]}" = "9000 000F2000FF00010406E104040000FF" ] || cf_fail "capability container: ${r[2]}"
[ "${r[3]}" = "9000 " ] || cf_fail "SELECT E104: ${r[3]}"
[ "${r[4]}" = "9000 0024" ] || cf_fail "NLEN: ${r[4]}"
[ "${r[5]}" = "9000 ${file:4}" ] || cf_fail "NDEF message: ${r[5]}"

# Cash: SIGN of a hash with no PIN and no channel; IDENTIFY CARD of an unprovisioned card is 6985
hash=$(printf 'some data to be hashed' | sha256sum | cut -c1-64 | tr a-f A-F)
# (through `cardforge apdu`: opensc-tool's dump puts each line's ASCII right after its bytes, which
# random key and signature bytes can make look like more hex)
capdus() { "$CARDFORGE" apdu -r "$R0" "$@" 2>/dev/null | awk '$2 ~ /^[0-9A-F][0-9A-F][0-9A-F][0-9A-F]$/ { print $2, $1; next } { print $1, "" }'; }
mapfile -t c < <(capdus 00A4040009A00000080400010301 80C0000020$hash 8014000020$hash)
# A4 49 { 80 41 04.., 02 02 0302, 82 00 }: the key, version 3.2, no cash data
[ "${c[0]:0:15}" = "9000 A449804104" ] && [ "${c[0]: -12}" = "020203028200" ] || cf_fail "SELECT Cash: ${c[0]}"
pub=${c[0]:13:130}
# A0 81 L { 80 41 the same key, 30 .. DER signature }
[ "${c[1]:0:9}" = "9000 A081" ] && [ "${c[1]:11:134}" = "8041$pub" ] && [ "${c[1]:145:2}" = 30 ] ||
  cf_fail "Cash SIGN: ${c[1]}"
[ "${c[2]}" = "6985 " ] || cf_fail "IDENTIFY CARD without a certificate: ${c[2]}"

# the Security Domain is the default application: SELECT with no data answers its FCI
mapfile -t g < <(apdus 00A4040000)
[[ "${g[0]}" == "9000 6F"??"8408A000000151000000"* ]] || cf_fail "default application: ${g[0]}"
echo "keycard-card through pcscd: NDEF read by the Type 4 Tag procedure, Cash SIGN: ok"
