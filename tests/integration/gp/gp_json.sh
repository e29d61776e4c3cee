#!/bin/bash
# `cardforge gp info --json` and `gp keys --json` through the real PC/SC stack, parsed by python3's
# json: the Security Domain, card recognition data, the 42 bytes of CPLC and the key information
# template as the text output shows them; keys after a PUT KEY; a failure prints no document and
# one JSON error object. Runs under cf-pcsc-env with `--card gp`.
# shellcheck source=/dev/null
. "$CF_PCSC_LIB/cf-pcsc-lib.sh"
set -u

export CARDFORGE_HOME=$CF_PCSC_ENV_DIR/home
W=$CF_PCSC_ENV_DIR
gp() { "$CARDFORGE" --reader "Virtual PCD 00 00" gp "$@"; }

check() { # FILE PYTHON-EXPRESSION...: every expression is true of the document d in FILE
  local file=$1
  shift
  python3 - "$file" "$@" <<'PY' || cf_fail "JSON check failed on $file: $(cat "$file")"
import json, re, sys
with open(sys.argv[1]) as f:
    d = json.load(f)
for expr in sys.argv[2:]:
    if not eval(expr, {"d": d, "re": re}):
        sys.exit("not true: %s in %s" % (expr, d))
PY
}

gp info --json >"$W/info.json" || cf_fail "gp info --json"
gp info >"$W/info.txt" || cf_fail "gp info"
serial=$(sed -n 's/^  IC serial number *//p' "$W/info.txt")
check "$W/info.json" 'd["security_domain"] == "A000000151000000"' 'd["gp_version"] == "2.3.1"' \
  'd["secure_channel_protocols"] == [{"scp": "02", "i": "55"}, {"scp": "03", "i": "70"}]' \
  're.fullmatch("[0-9A-F]{84}", d["cplc"])' "d['cplc'][24:32] == '$serial'" \
  '[(k["kvn"], k["id"], k["type"], k["length"]) for k in d["keys"]] == [("FF", "0%d" % i, "DES", 16) for i in (1, 2, 3)]'

NEW=404142434445464748494A4B4C4D4E4F
gp put-key --new-kvn 30 --type aes --new-key "$NEW" >/dev/null 2>&1 || cf_fail "put-key"
gp keys --json >"$W/keys.json" || cf_fail "gp keys --json"
check "$W/keys.json" 'list(d) == ["keys"]' \
  '[(k["kvn"], k["type"]) for k in d["keys"]] == [("30", "AES")] * 3 + [("FF", "DES")] * 3'

# a failure: a channel with a wrong key (keys are shown without one, auth needs it)
gp --key 00112233445566778899AABBCCDDEEFF auth >/dev/null 2>&1 && cf_fail "auth with a wrong key"
gp --aid A0000000000000 info --json >"$W/bad.out" 2>"$W/bad.err"
rc=$?
[ $rc != 0 ] || cf_fail "info of an absent Security Domain succeeded"
[ ! -s "$W/bad.out" ] || cf_fail "a failed command printed a document: $(cat "$W/bad.out")"
check "$W/bad.err" 'isinstance(d["error"]["message"], str) and d["error"]["message"]'
echo "gp json: ok"
