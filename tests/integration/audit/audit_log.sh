#!/bin/bash
# The ceremony log through pcscd (run under cf-pcsc-env --no-sim --readers 3): a GP key rotation
# and a cmcc generate leave their lines in the state directory's audit.log, `cardforge audit
# verify` passes on it, then fails naming the line for each tampering (a line removed, two lines
# swapped, a line edited, the last line removed or edited: the head file); with --audit-key a wrong key fails at line 1. No key, PIN or seed is in
# the log.
set -u
# shellcheck source=/dev/null
. "$CF_PCSC_LIB/cf-pcsc-lib.sh"
# shellcheck source=/dev/null # tests/integration/cmcc/cmcc_values.sh
. "$(dirname "$0")/../cmcc/cmcc_values.sh"
out='' err='' # set by cf_run

D=$CF_PCSC_ENV_DIR/audit
mkdir -p "$D"
export CARDFORGE_HOME=$D/home CARDFORGE_KMC_PIN=$PIN CARDFORGE_AUTH_PIN=$PIN
unset CARDFORGE_AUDIT_LOG CARDFORGE_AUDIT_KEY
LOG=$CARDFORGE_HOME/audit.log
AES=A0A1A2A3A4A5A6A7A8A9AAABACADAEAF
cf=$CARDFORGE

# reader 0: a GP card; readers 1 and 2: the KMC and the authentication card generate needs
"$cf" sim --memory --pidfile "$CF_PCSC_ENV_DIR/sim.pid" --card gp:serial=0A0B0C0D \
  --card "kmc:pin2=$PIN_HEX,k01=$K01,k02=$K02" --card "authcard:pin2=$PIN_HEX,k02=$K02,k03=$K03" \
  >"$CF_PCSC_ENV_DIR/sim.log" 2>&1 &
echo $! >"$CF_PCSC_ENV_DIR/sim.pid"
cf_wait_cards 3 10 || cf_fail "the three cards did not appear"

# ---- the events: a GP rotation (FF -> 30), a refused delete, a cmcc generate ----
cf_run 0 "gp put-key" "$cf" -r 0 gp put-key --new-kvn 30 --type aes --new-key "$AES"
cf_run 0 "gp delete-key FF" "$cf" -r 0 gp --key-ver 30 --key "$AES" delete-key --delete-kvn FF
cf_run 3 "gp delete-key of a missing set" "$cf" -r 0 gp --key-ver 30 --key "$AES" delete-key --delete-kvn 55
printf 'cardforge-cmcc-keysheet 1\nseed %s\nkey %s\nkey %s\n' "$SEED" "$A_TAK" "$A_EMK" >"$D/sheet"
chmod 600 "$D/sheet"
cf_run 0 "cmcc generate" "$cf" cmcc generate --sheet "$D/sheet"

[ -f "$LOG" ] || cf_fail "no audit.log in the state directory"
[ "$(stat -c %a "$LOG")" = 600 ] || cf_fail "the log is not 0600"
[ "$(wc -l <"$LOG")" = 4 ] || cf_fail "expected 4 lines: $(cat "$LOG")"
line() { sed -n "$1p" "$LOG"; }
cf_expect_contains "$(line 1)" '"seq":1,' "line 1 seq"
cf_expect_contains "$(line 1)" '"command":"gp put-key","reader":"Virtual PCD 00 00","result":"ok","sw":"9000"' "put-key line"
cf_expect_contains "$(line 1)" '"kvn":"30"' "put-key KVN"
cf_expect_contains "$(line 1)" '"kcv":["EE72CB","EE72CB","EE72CB"]' "put-key check values"
cf_expect_contains "$(line 2)" '"command":"gp delete-key"' "delete-key line"
cf_expect_contains "$(line 3)" '"result":"failed","sw":"6A88","exit":3' "refused delete-key line"
cf_expect_contains "$(line 4)" '"command":"cmcc generate"' "generate line"
cf_expect_contains "$(line 4)" '"reader":"Virtual PCD 00 01"' "generate names the KMC's reader"
cf_expect_contains "$(line 4)" '"keys":2,"keys_done":2' "generate summary"
for secret in "$AES" "$SEED" "$K01" "$K02" "$K03" "$PIN" "$PIN_HEX"; do
  grep -qi "$secret" "$LOG" && cf_fail "the log holds a secret ($secret)"
done

cf_run 0 "audit verify" "$cf" audit verify
[ "$(stat -c %a "$LOG.head")" = 600 ] || cf_fail "the log's head file is not 0600"
cf_expect_contains "$out" "4 lines, chain intact" "verify summary"
cf_run 0 "audit show" "$cf" audit show
[ "$(printf '%s\n' "$out" | wc -l)" = 5 ] || cf_fail "audit show: a header and 4 rows expected: $out"
cf_expect_contains "$out" "cmcc generate" "show lists generate"
cf_run 0 "audit show --json" "$cf" audit show --json
[ "$out" = "$(cat "$LOG")" ] || cf_fail "show --json is not the log"

# ---- tampering: each fails with exit 5 naming the line ----
cp "$LOG" "$D/good.log"
tampered() { # what want-line-text: verify the tampered $LOG, then put the good one back
  cf_run 5 "verify after $1" "$cf" audit verify
  cf_expect_contains "$err" "$2" "verify after $1"
  [ "$(printf '%s\n' "$err" | wc -l)" = 1 ] || cf_fail "verify after $1: one line expected: $err"
  cp "$D/good.log" "$LOG"
}
sed -i 2d "$LOG"
tampered "removing line 2" "line 2: seq 3 where 2 was expected"
{ sed -n 1p "$D/good.log"; sed -n 3p "$D/good.log"; sed -n 2p "$D/good.log"; sed -n 4p "$D/good.log"; } >"$LOG"
tampered "swapping lines 2 and 3" "line 2: seq 3 where 2 was expected"
sed -i '2s/gp delete-key/gp delete-kez/' "$LOG"
tampered "editing line 2" "line 2: changed"
sed -i '1s/"kvn":"30"/"kvn": "30"/' "$LOG"
tampered "a space in line 1" "line 1: edited"
sed -i '$d' "$LOG"
tampered "removing the last line" "line 4: removed (the log ends at line 3; its head records 4 lines)"
sed -i '4s/"result":"ok"/"result":"ko"/' "$LOG"
tampered "editing the last line" "line 4: changed (the last line does not match the head's hash)"
cf_run 0 "verify after the restores" "$cf" audit verify

# ---- MAC mode: another log, a key in a 0600 file ----
od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$D/audit.key"
chmod 600 "$D/audit.key"
od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$D/other.key"
chmod 600 "$D/other.key"
MAC=(--audit-log "$D/mac.log" --audit-key "@$D/audit.key")
cf_run 0 "put-key, MACed log" "$cf" "${MAC[@]}" -r 0 gp --key-ver 30 --key "$AES" put-key --new-kvn 31 --type aes --new-key "$AES"
cf_expect_contains "$(cat "$D/mac.log")" '"mac":"' "a MAC on the line"
cf_run 0 "verify with the key" "$cf" audit "${MAC[@]}" verify
cf_expect_contains "$out" "1 line, chain intact, every MAC verified" "MAC verify"
cf_run 5 "verify with another key" "$cf" audit --audit-log "$D/mac.log" --audit-key "@$D/other.key" verify
cf_expect_contains "$err" "line 1: MAC does not match" "wrong key"
chmod 644 "$D/audit.key"
cf_run 6 "a key file others can read" "$cf" audit "${MAC[@]}" verify
cf_expect_contains "$err" "too open" "key file permissions"
exit 0
