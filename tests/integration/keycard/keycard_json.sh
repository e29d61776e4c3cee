#!/bin/bash
# `cardforge keycard ... --json` through the real PC/SC stack: info, status, sign, export-key, cash
# info / sign and ndef read each print one JSON document that python3's json module parses, with
# the fields docs/cli.md lists and the values the text output shows; a failing command prints no
# document and its error as one JSON object on stderr; --json is refused on a shell line. Runs
# under cf-pcsc-env with `--card keycard`.
# shellcheck source=/dev/null
. "$CF_PCSC_LIB/cf-pcsc-lib.sh"
set -u

export CARDFORGE_HOME=$CF_PCSC_ENV_DIR/home
kc() { "$CARDFORGE" --reader "Virtual PCD 00 00" keycard "$@"; }
W=$CF_PCSC_ENV_DIR

# check FILE PYTHON-EXPRESSION...: every expression is true of the document d in FILE
check() {
  local file=$1
  shift
  python3 - "$file" "$@" <<'PY' || cf_fail "JSON check failed on $file: $(cat "$file")"
import json, sys
with open(sys.argv[1]) as f:
    d = json.load(f)
for expr in sys.argv[2:]:
    if not eval(expr, {"d": d, "re": __import__("re")}):
        sys.exit("not true: %s in %s" % (expr, d))
PY
}
HEX65='re.fullmatch("04[0-9A-F]{128}", %s)'

kc info --json >"$W/info0.json" || cf_fail "info --json on a new card"
check "$W/info0.json" 'd["initialized"] is False' 're.fullmatch("04[0-9A-F]{128}", d["secure_channel_key"])'

export CARDFORGE_PIN=123456 CARDFORGE_PUK=012345678901
kc init >/dev/null 2>&1 || cf_fail "init"
kc pair >/dev/null 2>&1 || cf_fail "pair"
CARDFORGE_SEED=$(printf '%02X' $(seq 0 63)) kc load-key >/dev/null 2>&1 || cf_fail "load-key"

kc info --json >"$W/info.json" || cf_fail "info --json"
check "$W/info.json" 'd["initialized"] is True' 'd["version"] == "3.2"' 'isinstance(d["free_pairing_slots"], int)' \
  're.fullmatch("[0-9A-F]{32}", d["instance_uid"])' 're.fullmatch("[0-9A-F]{64}", d["key_uid"])' \
  '"secure-channel" in d["capabilities"] and "ndef" in d["capabilities"]' 'd["paired"]["slot"] == 0'
text_uid=$(kc info | sed -n 's/^key-uid: //p')
check "$W/info.json" "d['key_uid'] == '$text_uid'"

kc status --json >"$W/status.json" || cf_fail "status --json"
check "$W/status.json" 'd["pin_retries"] == 3' 'd["puk_retries"] == 5' 'd["key_loaded"] is True' 'd["key_path"] == "m"'

hash=$(printf 'cardforge json' | sha256sum | cut -c1-64)
kc sign --hash "$hash" --path "m/44'/60'/0'/0/0" --json >"$W/sign.json" || cf_fail "sign --json"
check "$W/sign.json" 're.fullmatch("[0-9A-F]{128}", d["signature"])' 'd["recovery_id"] in (0, 1)' \
  "$(printf "$HEX65" 'd["public_key"]')"
kc export-key --path "m/44'/60'/0'/0/0" --json >"$W/export.json" || cf_fail "export-key --json"
pub=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["public_key"])' "$W/sign.json")
check "$W/export.json" "d['public_key'] == '$pub'" '"private_key" not in d'

kc cash info --json >"$W/cash.json" || cf_fail "cash info --json"
check "$W/cash.json" "$(printf "$HEX65" 'd["public_key"]')" 're.fullmatch("[0-9]+\.[0-9]+", d["version"])' \
  'isinstance(d["cash_data"], str)'
kc cash sign "$hash" --json >"$W/cash-sign.json" 2>"$W/cash-sign.err" || cf_fail "cash sign --json"
[ ! -s "$W/cash-sign.err" ] || cf_fail "progress lines with --json: $(cat "$W/cash-sign.err")"
check "$W/cash-sign.json" 'd["signature_der"].startswith("30")' 'len(d["signature"]) == 128'
kc ndef read --json >"$W/ndef.json" || cf_fail "ndef read --json"
check "$W/ndef.json" 'd["length"] * 2 == len(d["ndef"])'

# a failure: no document on stdout, one JSON error object on stderr
kc sign --hash nothex --json >"$W/bad.out" 2>"$W/bad.err"
rc=$?
[ $rc = 2 ] || cf_fail "sign --hash nothex --json exited $rc, expected 2"
[ ! -s "$W/bad.out" ] || cf_fail "a failed command printed a document: $(cat "$W/bad.out")"
check "$W/bad.err" '"--hash" in d["error"]["message"]'
CARDFORGE_PIN=000000 kc sign --hash "$hash" --json >"$W/pin.out" 2>"$W/pin.err"
rc=$?
[ $rc = 3 ] || cf_fail "a wrong PIN with --json: exit $rc, expected 3: $(cat "$W/pin.err")"
[ ! -s "$W/pin.out" ] || cf_fail "a refused PIN printed a document"
check "$W/pin.err" 'd["error"]["message"].startswith("wrong PIN")' 'd["error"]["reader"] == "Virtual PCD 00 00"'
kc verify-pin >/dev/null 2>&1 || cf_fail "the right PIN after one wrong try"

echo "status --json" | kc shell >"$W/shell.out" 2>/dev/null
[[ $(cat "$W/shell.out") == "error 2 "*"--json is for one command"* ]] || cf_fail "shell line with --json: $(cat "$W/shell.out")"
echo "keycard json: ok"
