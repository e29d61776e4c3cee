#!/bin/bash
# Key rotation with `cardforge gp` through pcscd (run under cf-pcsc-env --no-sim): the factory
# DES set (KVN FF, 40..4F) -> a new AES set (KVN 30); the old keys are refused and the new ones
# accepted, before and after the emulator restarts; then the roll-back to the default keys.
. "$CF_PCSC_LIB/cf-pcsc-lib.sh"
cf=$CARDFORGE
state=$CF_PCSC_ENV_DIR/gp-cards
pidfile=$CF_PCSC_ENV_DIR/gp-sim.pid
AES=A0A1A2A3A4A5A6A7A8A9AAABACADAEAF
DEFAULT=404142434445464748494A4B4C4D4E4F

start_sim() {
  "$cf" sim --state-dir "$state" --pidfile "$pidfile" "$@" >>"$CF_PCSC_ENV_DIR/gp-sim.log" 2>&1 &
  sim=$!
  cf_wait_cards 1 10 || { cat "$CF_PCSC_ENV_DIR/gp-sim.log"; cf_fail "the GP card did not appear"; }
}
stop_sim() {
  kill -TERM "$sim"
  wait "$sim" || cf_fail "sim exited $? on SIGTERM"
  cf_wait_no_cards 5 || cf_fail "card still present after the emulator stopped"
}
# expect_rc CODE ARGS...: runs cardforge gp ARGS, checks the exit code, leaves stdout in $out
expect_rc() {
  local want=$1
  shift
  out=$("$cf" gp "$@" 2>"$CF_PCSC_ENV_DIR/gp-err.txt")
  local rc=$?
  err=$(cat "$CF_PCSC_ENV_DIR/gp-err.txt")
  [ "$rc" = "$want" ] || cf_fail "cardforge gp $* exited $rc, expected $want: $out $err"
}

start_sim --card gp:serial=0A0B0C0D --fresh

expect_rc 0 info
cf_expect_contains "$out" "Security Domain: A000000151000000" "info: AID"
cf_expect_contains "$out" "GlobalPlatform version: 2.3.1" "info: version"
cf_expect_contains "$out" "Secure channel protocols: SCP02 i=55 SCP03 i=70" "info: protocols"
cf_expect_contains "$out" "IC serial number             0A0B0C0D" "info: CPLC"
cf_expect_contains "$out" "FF   01  DES   16" "info: factory keys"
expect_rc 0 auth
cf_expect_contains "$out" "SCP02 i=55, KVN FF, level mac+enc" "factory keys open SCP02"
out=$("$cf" --trace gp --level mac+enc+rmac list 2>"$CF_PCSC_ENV_DIR/trace.txt") || cf_fail "gp list"
[ "$out" = "ISD  A000000151000000  SECURED (0F)  privileges 9EFE80
     Security Domain, Card Lock, Card Terminate, Card Reset, CVM Management, Trusted Path, Authorized Management, Token Verification, Global Delete, Global Lock, Global Registry, Final Application, Receipt Generation" ] ||
  cf_fail "gp list: $out"
grep -q "^> 84 F2 80 02" "$CF_PCSC_ENV_DIR/trace.txt" || cf_fail "no GET STATUS in the trace"

# 1. a new AES-128 set, KVN 30, next to the factory set; check values verified by the CLI
expect_rc 0 put-key --new-kvn 30 --type aes --new-key $AES
cf_expect_contains "$out" "KVN 30 added (AES-128): check values ENC EE72CB MAC EE72CB DEK EE72CB verified" "put-key"
expect_rc 0 --key-ver 30 --key $AES --level mac+enc+rmac+renc auth
cf_expect_contains "$out" "SCP03 i=70, KVN 30, level mac+enc+rmac+renc" "new keys open SCP03"
# 2. the factory set goes; the trace shows no key material
"$cf" --trace gp --key-ver 30 --key $AES delete-key --delete-kvn FF >/dev/null 2>"$CF_PCSC_ENV_DIR/trace.txt" ||
  cf_fail "delete-key FF"
grep -q "^> 84 E4 00 00" "$CF_PCSC_ENV_DIR/trace.txt" || cf_fail "no DELETE in the trace"
expect_rc 0 keys
[ "$out" = "KVN  ID  TYPE  LENGTH
30   01  AES   16
30   02  AES   16
30   03  AES   16" ] || cf_fail "keys after rotation: $out"

check_rotated() {
  expect_rc 3 --key-ver FF auth
  cf_expect_contains "$err" "INITIALIZE UPDATE: card answered SW 6A88" "factory KVN gone"
  expect_rc 5 --key-ver 30 --key $DEFAULT auth
  cf_expect_contains "$err" "card cryptogram does not verify" "old keys refused"
  expect_rc 5 --key-ver 00 --scp 03 --key $DEFAULT auth
  expect_rc 0 --key-ver 30 --key $AES auth
}
check_rotated
# 3. the emulator restarts from its state file: the rotation holds
stop_sim
start_sim --card gp:serial=0A0B0C0D
check_rotated
# and pcscd restarts too
cf_restart_pcscd 1 || cf_fail "pcscd restart"
check_rotated

# 4. roll back: the default keys return (as KVN 01, FF cannot be named again), chained PUT KEY;
#    then KVN 30 goes
expect_rc 0 --key-ver 30 --key $AES put-key --new-kvn 01 --type des --chain --new-key $DEFAULT
cf_expect_contains "$out" "KVN 01 added (DES-112): check values ENC 8BAF47 MAC 8BAF47 DEK 8BAF47 verified" "rollback"
expect_rc 0 --key-ver 01 delete-key --delete-kvn 30
stop_sim
start_sim --card gp:serial=0A0B0C0D
expect_rc 0 auth
cf_expect_contains "$out" "SCP02 i=55, KVN 01" "default keys open again"
expect_rc 3 --key-ver 30 --key $AES auth
expect_rc 0 --level mac+enc+rmac keys
[ "$out" = "KVN  ID  TYPE  LENGTH
01   01  DES   16
01   02  DES   16
01   03  DES   16" ] || cf_fail "keys after roll-back: $out"
stop_sim
echo "gp key rotation through pcscd: ok"
