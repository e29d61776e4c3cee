#!/bin/bash
# An SCP03 card (AES-256 initial set, KVN 32) through pcscd: every security level, replacing the
# set with the same KVN (PUT KEY P1 = KVN), an AES-192 set, and refusals with the right exit codes.
. "$CF_PCSC_LIB/cf-pcsc-lib.sh"
cf=$CARDFORGE
state=$CF_PCSC_ENV_DIR/gp-cards
K256=404142434445464748494A4B4C4D4E4F505152535455565758595A5B5C5D5E5F
N256=000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F
K192=B0B1B2B3B4B5B6B7B8B9BABBBCBDBEBFC0C1C2C3C4C5C6C7
"$cf" sim --state-dir "$state" --fresh --card "gp:scp=03,kvn=32,key=$K256" >"$CF_PCSC_ENV_DIR/gp-sim.log" 2>&1 &
sim=$!
cf_wait_cards 1 10 || { cat "$CF_PCSC_ENV_DIR/gp-sim.log"; cf_fail "the GP card did not appear"; }

for level in none mac mac+enc mac+rmac mac+enc+rmac mac+enc+rmac+renc; do
  out=$("$cf" gp --key $K256 --level $level auth) || cf_fail "auth at $level"
  cf_expect_contains "$out" "SCP03 i=70, KVN 32, level $level" "level $level"
done
out=$("$cf" gp --scp 02 --key $K256 auth 2>&1)
[ $? = 2 ] || cf_fail "--scp 02 against an SCP03 card should exit 2"
# replace the set in place (P1 = 32, new KVN 32)
"$cf" gp --key $K256 put-key --replace 32 --new-kvn 32 --new-key $N256 >/dev/null || cf_fail "replace in place"
"$cf" gp --key $K256 auth 2>/dev/null
[ $? = 5 ] || cf_fail "old AES-256 keys should be refused (exit 5)"
"$cf" gp --key $N256 auth >/dev/null || cf_fail "new AES-256 keys"
# a different length in the same slot is refused by the card (6A80): exit 3
err=$("$cf" gp --key $N256 put-key --replace 32 --new-kvn 32 --new-key $K192 2>&1 >/dev/null)
[ $? = 3 ] || cf_fail "AES-192 into an AES-256 slot should exit 3"
cf_expect_contains "$err" "PUT KEY: card answered SW 6A80" "slot keeps its length"
# an AES-192 set next to it, at the strongest level
"$cf" gp --key $N256 --level mac+enc+rmac+renc put-key --new-kvn 33 --new-key $K192 >/dev/null || cf_fail "AES-192 set"
out=$("$cf" gp --key-ver 33 --key $K192 --level mac+enc+rmac+renc auth) || cf_fail "AES-192 channel"
cf_expect_contains "$out" "KVN 33" "AES-192 channel"
kill -TERM $sim
wait $sim
echo "gp SCP03 card through pcscd: ok"
