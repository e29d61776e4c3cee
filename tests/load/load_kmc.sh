#!/bin/bash
# Load client for the China Mobile KMC (密钥母卡), through `cardforge cmcc` (a new PC/SC
# connection per operation, so it also loads pcscd's connect and disconnect paths):
#   load_kmc.sh READER SECONDS ID PIN
# Mix: Verify PIN (right), key information, and a wrong PIN followed by the right one. The wrong
# PIN must always report exactly 2 tries left: the PIN retry counter is decremented and restored
# through the card's store, so a lost or doubled update shows as another count. APDUs are counted
# from --trace. Prints the same result line as cf_load_client.
set -u
reader=$1 seconds=$2 id=$3 pin=$4
apdus=0 operations=0 failures=0 updates=0 first=
out=$(mktemp)
fail() {
  failures=$((failures + 1))
  [ -n "$first" ] || first=$1
}
# run EXPECTED-EXIT ARGS...: one `cardforge cmcc` command; counts its APDUs
run() {
  local want=$1 rc
  shift
  CARDFORGE_KMC_PIN=$pin "$CARDFORGE" --trace cmcc "$@" --card kmc --kmc "$reader" >"$out" 2>&1 && rc=0 || rc=$?
  apdus=$((apdus + $(grep -c '^> ' "$out")))
  [ "$rc" = "$want" ] || { fail "cmcc $*: exit $rc, expected $want: $(grep -v '^[<>] ' "$out" | head -n 1)"; return 1; }
}
end=$(($(date +%s) + ${seconds%.*}))
RANDOM=$id
while [ "$(date +%s)" -lt "$end" ]; do
  operations=$((operations + 1))
  case $((RANDOM % 4)) in
    0 | 1) run 0 verify-pin ;;
    2)
      run 0 keyinfo || continue
      if ! grep -q '^  1  01 ' "$out" || ! grep -q '^  2  02 ' "$out"; then fail "keyinfo: unexpected key list"; fi
      ;;
    3)
      run 3 verify-pin --kmc-pin 00000000 || continue
      grep -q '2 tries left (SW 63C2)' "$out" || fail "wrong PIN: $(grep '^cardforge' "$out")"
      run 0 verify-pin && updates=$((updates + 2))
      ;;
  esac
done
rm -f "$out"
printf 'result kmc %s %s apdus=%s operations=%s failures=%s updates=%s last=-1%s\n' "$reader" "$id" "$apdus" \
  "$operations" "$failures" "$updates" "${first:+ first failure: $first}"
[ "$failures" = 0 ]
