# cf-tdes-lib.sh: the independent cryptography of the China Mobile integration tests, done with
# openssl's two-key 3DES-ECB (not cardforge's code), so a test's expected key values do not come
# from the implementation under test. Source it after cf-pcsc-lib.sh (expect_key uses cf_fail).

# shellcheck disable=SC2059 # the hex, turned into \x escapes, is the format
hex2bin() { printf "$(printf '%s' "$1" | sed 's/../\\x&/g')"; }
# tdes KEY16 DATA8: 3DES-ECB of one block, upper-case hex
tdes() { hex2bin "$2" | openssl enc -des-ede-ecb -K "$1" -nopad -nosalt | od -An -tx1 -v | tr -d ' \n' | tr a-f A-F; }
# notf DATA8: every byte inverted
notf() { local i out=; for i in 0 2 4 6 8 10 12 14; do out+=$(printf %02X $((0x${1:i:2} ^ 0xFF))); done; echo "$out"; }
# div8 KEY16 DATA8: the 16-byte diversified key (left = 3DES(data), right = 3DES(NOT data))
div8() { echo "$(tdes "$1" "$2")$(tdes "$1" "$(notf "$2")")"; }
# expect_key READER P1 P2 KEY16 WHAT: INTERNAL AUTHENTICATE on the target must equal 3DES under KEY16
expect_key() {
  local d out
  d=$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n' | tr a-f A-F)
  out=$("$CARDFORGE" apdu -r "$1" "0088${2}${3}08$d") || cf_fail "$5: INTERNAL AUTHENTICATE"
  [ "$out" = "$(tdes "$4" "$d") 9000 (success)" ] || cf_fail "$5: the card's key is not the expected one ($out)"
}
