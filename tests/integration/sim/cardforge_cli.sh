#!/bin/bash
# `cardforge readers` and `cardforge apdu` through pcscd: output, exit codes, trace, reader choice.
. "$CF_PCSC_LIB/cf-pcsc-lib.sh"
cf=$CARDFORGE
sel=00A4040007F063666C6F6F70

out=$("$cf" readers) || cf_fail "readers exited $?"
echo "$out"
[ "$out" = "0: Virtual PCD 00 00 (card, ATR 3B8B8001805963617264666F726765BE)
1: Virtual PCD 00 01 (no card)" ] || cf_fail "readers output"

out=$("$cf" apdu "$sel" "80 01 00 00 03 01 02 03" 80020000) || cf_fail "apdu exited $?"
[ "$out" = "9000 (success)
010203 9000 (success)
9000 (success)" ] || cf_fail "apdu output: $out"

# 300 bytes with Le=00: cardforge follows 61 2C with GET RESPONSE and prints all of them
out=$("$cf" apdu "80 02 01 2C 00") || cf_fail "apdu 300 bytes exited $?"
[ ${#out} = $((600 + 15)) ] || cf_fail "expected 300 data bytes, got: $out"
cf_expect_contains "$out" "FEFF000102" "data past 256 bytes"
cf_expect_contains "$out" "292A2B 9000 (success)" "end of the 300 bytes"
out=$("$cf" apdu --raw 8002012C00) || cf_fail "--raw treats 61XX as success"
cf_expect_contains "$out" " 612C (44 more response bytes available)" "raw 61XX"

# extended lengths pass through pcscd and vpcd: 4000 bytes back, 3000 bytes echoed, one exchange each
out=$("$cf" --trace apdu "80 02 0F A0 00 00 00" 2>"$CF_PCSC_ENV_DIR/ext.trace") || cf_fail "extended Le"
[ ${#out} = $((8000 + 15)) ] || cf_fail "expected 4000 bytes from an extended Le"
[ "$(grep -c '^>' "$CF_PCSC_ENV_DIR/ext.trace")" = 1 ] || cf_fail "extended Le took more than one exchange"
data=$(printf 'C3%.0s' $(seq 3000))
out=$("$cf" apdu "80010000000BB8${data}0000") || cf_fail "extended Lc"
[ "$out" = "$data 9000 (success)" ] || cf_fail "3000-byte echo came back wrong"

# a refused command: exit 3, one error line, later APDUs not sent
err=$("$cf" apdu "80 03 00 00 02 6A 82" 80040000 2>&1 >/dev/null)
rc=$?
[ $rc = 3 ] || cf_fail "6A82 should exit 3, got $rc"
[ "$err" = "cardforge: apdu 1: card answered SW 6A82 (file or application not found) [reader Virtual PCD 00 00]" ] ||
  cf_fail "error line: $err"
out=$("$cf" apdu --no-check 800300000263C1 80050000) || cf_fail "--no-check exited $?"
cf_expect_contains "$out" "63C1 (verification failed, 1 tries left)" "no-check first"
printf '%s\n' "$out" | sed -n 2p | grep -Eq '^[0-9A-F]{8} 9000 \(success\)$' || cf_fail "no-check went on: $out"

# trace on stderr, the reader chosen by number, by name part, and a wrong choice
err=$("$cf" --trace --reader 0 apdu 8001000002CAFE 2>&1 >/dev/null) || cf_fail "trace run failed"
[ "$err" = "> 80 01 00 00 02 CA FE
< CA FE 9000" ] || cf_fail "trace: $err"
# the global options mean the same after the command
err=$("$cf" apdu 8001000002CAFE --trace -r 0 2>&1 >/dev/null) || cf_fail "trace after the command failed"
[ "$err" = "> 80 01 00 00 02 CA FE
< CA FE 9000" ] || cf_fail "trace after the command: $err"
err=$("$cf" --reader 0 apdu --reader 1 80010000 2>&1)
[ $? = 4 ] || cf_fail "the reader after the command should win"
cf_expect_contains "$err" "Virtual PCD 00 01" "reader after the command"
"$cf" apdu -r "pcd 00 00" 80010000 >/dev/null || cf_fail "reader by substring"
err=$("$cf" apdu -r 1 80010000 2>&1)
[ $? = 4 ] || cf_fail "empty reader should exit 4"
cf_expect_contains "$err" "cardforge: Virtual PCD 00 01: no card in the reader" "empty reader message"
err=$("$cf" apdu -r Virtual 80010000 2>&1)
[ $? = 4 ] || cf_fail "ambiguous reader should exit 4"
cf_expect_contains "$err" "ambiguous" "ambiguous reader message"

# bad input: usage errors, nothing sent
err=$("$cf" apdu 80010G 2>&1)
[ $? = 2 ] || cf_fail "bad hex should exit 2"
cf_expect_contains "$err" "not hex" "bad hex"
"$cf" apdu >/dev/null 2>&1
[ $? = 2 ] || cf_fail "no APDU should exit 2"
"$cf" frobnicate >/dev/null 2>&1
[ $? = 2 ] || cf_fail "unknown command should exit 2"

# APDUs from a file and from stdin
printf '# counter\n80040000\n\n80 05 00 00\n' | "$cf" apdu -f - >/dev/null || cf_fail "apdu -f -"

# --reset clears transient state
out=$("$cf" apdu --reset 80050000) || cf_fail "--reset"
[ "$out" = "00000001 9000 (success)" ] || cf_fail "after --reset: $out"
echo "cardforge cli: ok"
