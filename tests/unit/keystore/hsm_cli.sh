#!/bin/bash
# `cardforge hsm` end to end on a SoftHSM2 token in a temporary state directory (no pcscd, no
# root): init, import from a file and from a pipe with the check value shown, generate, list
# (never a value), delete, the ceremony log's lines, and the exit codes of refusals.
#   hsm_cli.sh CARDFORGE     (exit 77 when SoftHSM2 is not installed)
set -u
cf=$1
dir=$(mktemp -d "${TMPDIR:-/tmp}/cf-hsm-cli.XXXXXX")
trap 'rm -rf "$dir"' EXIT
export CARDFORGE_HOME=$dir/home CARDFORGE_AUDIT_LOG=$dir/audit.log
export CARDFORGE_HSM_SO_PIN=11223344 CARDFORGE_HSM_PIN=556677
unset CARDFORGE_PKCS11_MODULE SOFTHSM2_CONF
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
# run WANT WHAT ARGS...: cardforge ARGS exits WANT; stdout in $out, stderr in $err
run() {
  local want=$1 what=$2 rc
  shift 2
  out=$("$cf" "$@" 2>"$dir/err") && rc=0 || rc=$?
  err=$(cat "$dir/err")
  [ "$rc" = "$want" ] || fail "$what: exit $rc, expected $want ($out $err)"
}
DES=404142434445464748494A4B4C4D4E4F
AES=A0A1A2A3A4A5A6A7A8A9AAABACADAEAF

run 6 "list before init" hsm list
case "$err" in *"cardforge hsm init"*) ;; *) fail "no token: the message does not say what to run: $err" ;; esac
if ! "$cf" hsm init >"$dir/init.out" 2>&1; then
  if grep -q "not installed" "$dir/init.out"; then
    echo "SoftHSM2 is not installed: skipped"
    exit 77
  fi
  fail "hsm init: $(cat "$dir/init.out")"
fi
[ "$(stat -c %a "$CARDFORGE_HOME/pkcs11/tokens")" = 700 ] || fail "token directory not 0700"
run 6 "a second init" hsm init
printf '%s\n' "$DES" >"$dir/des.key"
chmod 600 "$dir/des.key"
run 0 "import from a file" hsm import --label gp-des --type des2 --value "@$dir/des.key"
case "$out" in *"gp-des"*"des2 16  8BAF47  sensitive"*) ;; *) fail "import: no check value: $out" ;; esac
out=$(printf '%s\n' "$AES" | "$cf" hsm import --label gp-aes --type aes --value - 2>&1) || fail "import from a pipe: $out"
case "$out" in *"aes  16  EE72CB  sensitive"*) ;; *) fail "import from a pipe: $out" ;; esac
chmod 644 "$dir/des.key"
run 6 "a key file others can read" hsm import --label other --type des2 --value "@$dir/des.key"
case "$err" in *"too open"*) ;; *) fail "0644 key file: $err" ;; esac
run 0 "generate" hsm generate --label made-inside --type des3
run 6 "a label twice" hsm generate --label gp-des --type des2
run 2 "a bad type" hsm generate --label x --type des
CARDFORGE_HSM_KEY=0011 run 2 "a value of the wrong length" hsm import --label short --type des2
run 0 "list" hsm list
for l in gp-des gp-aes made-inside; do
  case "$out" in *"$l "*) ;; *) fail "list does not show $l: $out" ;; esac
done
case "$out" in *"$DES"* | *"$AES"* | *"#kl"*) fail "list shows a value or a companion: $out" ;; esac
[ "$(printf '%s\n' "$out" | wc -l)" = 4 ] || fail "list: expected a header and 3 keys: $out"
run 0 "list --json" hsm list --json
printf '%s' "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)
keys = {k["label"]: k for k in d["keys"]}
assert sorted(keys) == ["gp-aes", "gp-des", "made-inside"], keys
assert keys["gp-des"] == {"label": "gp-des", "type": "des2", "length": 16, "kcv": "8BAF47",
                          "sensitive": True, "exportable": False}, keys["gp-des"]
assert keys["gp-aes"]["kcv"] == "EE72CB" and keys["made-inside"]["type"] == "des3", keys
assert not any(v in json.dumps(d) for v in sys.argv[1:]), "a value in the document"
' "$DES" "$AES" || fail "list --json: $out"
CARDFORGE_HSM_PIN=000000 run 5 "a wrong PIN, --json" hsm list --json
python3 -c 'import json, sys; assert json.loads(sys.argv[1])["error"]["message"]' "$err" ||
  fail "a wrong PIN with --json: $err"
CARDFORGE_HSM_PIN=000000 run 5 "a wrong PIN" hsm list
run 0 "delete" hsm delete --label gp-des
run 2 "delete again" hsm delete --label gp-des
run 0 "list after delete" hsm list
case "$out" in *"gp-des "*) fail "deleted key still listed: $out" ;; esac
run 0 "audit verify" audit verify
log=$(cat "$CARDFORGE_AUDIT_LOG")
[ "$(printf '%s\n' "$log" | wc -l)" = 5 ] || fail "expected 5 log lines (init, 2 imports, generate, delete): $log"
for c in '"hsm init"' '"hsm import"' '"hsm generate"' '"hsm delete"'; do
  case "$log" in *"\"command\":$c"*) ;; *) fail "no log line for $c" ;; esac
done
case "$log" in *"$DES"* | *"$AES"* | *"$CARDFORGE_HSM_PIN"* | *"$CARDFORGE_HSM_SO_PIN"*) fail "a secret in the log" ;; esac
[ $failures = 0 ] && echo "cardforge hsm: ok"
[ $failures = 0 ]
