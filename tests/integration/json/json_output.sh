#!/bin/bash
# --json through pcscd: a GP card (reader 0), a key master card (1) and an authentication card (2),
# started here with the China Mobile test values. Each command's stdout is one JSON document with the
# fields docs/cli.md lists; with --json each error line on stderr is one JSON object; the text
# output without --json is unchanged.
set -u
# shellcheck source=../lib/cf-pcsc-lib.sh
. "$CF_PCSC_LIB/cf-pcsc-lib.sh"
# shellcheck source=../lib/cf-tdes-lib.sh
. "$CF_PCSC_LIB/cf-tdes-lib.sh"
# shellcheck source=../cmcc/cmcc_values.sh
. "$(dirname "$0")/../cmcc/cmcc_values.sh"

D=$CF_PCSC_ENV_DIR/json
mkdir -p "$D"
export CARDFORGE_KMC_PIN=$PIN CARDFORGE_AUTH_PIN=$PIN CARDFORGE_AUDIT_LOG=$D/audit.log

"$CARDFORGE" sim --memory --pidfile "$CF_PCSC_ENV_DIR/sim.pid" --card gp \
  --card "kmc:pin2=$PIN_HEX,k01=$K01,k02=$K02" --card "authcard:pin2=$PIN_HEX,k02=$K02,k03=$K03" \
  >"$CF_PCSC_ENV_DIR/sim.log" 2>&1 &
echo $! >"$CF_PCSC_ENV_DIR/sim.pid"
cf_wait_cards 3 10 || cf_fail "the three cards did not appear"

# check_json WHAT TEXT PYTHON: TEXT parses as one JSON document d, and PYTHON (asserts on d) holds
check_json() {
  python3 -c '
import json, sys
what, text, check = sys.argv[1:4]
try:
    d = json.loads(text)
except ValueError as e:
    sys.exit("FAIL: %s: not one JSON document (%s): %r" % (what, e, text))
try:
    exec(check, {"d": d, "re": __import__("re")})
except AssertionError as e:
    sys.exit("FAIL: %s: %s in %s" % (what, e, json.dumps(d)))
' "$1" "$2" "$3" || exit 1
}
# check_errors WHAT STDERR: every line of STDERR is an {"error": {"message": ...}} or a
# {"warning": {"message": ...}} object, and one at least is an error
check_errors() {
  grep -q '^{"error":' <<<"$2" || cf_fail "$1: no error object on stderr: $2"
  while IFS= read -r line; do
    check_json "$1 (stderr)" "$line" '
(kind,) = d
assert kind in ("error", "warning"), kind
assert d[kind]["message"] and set(d[kind]) <= {"message", "reader"}'
  done <<<"$2"
}

# ---- readers
cf_run 0 "readers --json" "$CARDFORGE" readers --json
check_json "readers" "$out" '
r = d["readers"]
assert len(r) == 4, "four readers (vpcd offers them in pairs)"
for i, x in enumerate(r):
    assert x["index"] == i and x["name"].startswith("Virtual PCD")
    assert x["card"] is (i < 3), "cards in readers 0..2 only"
    if x["card"]:
        assert re.fullmatch("3B[0-9A-F]+", x["atr"]), "ATR hex"
    else:
        assert "atr" not in x, "no ATR without a card"
assert r[1]["atr"].endswith("434D43432D4B4D43"), "the KMC in reader 1"
'
text=$("$CARDFORGE" readers) || cf_fail "readers (text)"
[ "$(printf '%s\n' "$text" | grep -c '^[0-2]: Virtual PCD .* (card, ATR 3B')" = 3 ] || cf_fail "readers text changed: $text"
cf_run 2 "readers --json, usage error" "$CARDFORGE" readers --json --bogus
check_errors "readers usage error" "$err"

# ---- apdu: SELECT the ISD, GET DATA CPLC; then a refused command stops the run (exit 3)
cf_run 0 "apdu --json" "$CARDFORGE" apdu --json -r 0 00A4040008A000000151000000 80CA9F7F00
check_json "apdu" "$out" '
assert d["reader"].startswith("Virtual PCD")
a = d["answers"]
assert [x["command"] for x in a] == ["00A4040008A000000151000000", "80CA9F7F00"]
assert [x["sw"] for x in a] == ["9000", "9000"] and a[0]["meaning"] == "success"
assert a[1]["data"].startswith("9F7F"), "CPLC"
'
cf_run 3 "apdu --json refused" "$CARDFORGE" apdu --json -r 0 00A4040008A000000151000000 80E2000000 00B0000000
check_json "apdu refused" "$out" '
a = d["answers"]
assert len(a) == 2, "the run stops at the refused APDU"
assert a[0]["sw"] == "9000" and a[1]["sw"] != "9000" and a[1]["data"] == ""
'
check_errors "apdu refused" "$err"
cf_run 4 "apdu --json, no such reader" "$CARDFORGE" apdu --json -r "no such reader" 00A4040000
check_errors "apdu no reader" "$err"

# ---- cmcc: generate the KMC's keys, then keyinfo and a user-card batch
printf 'cardforge-cmcc-keysheet 1\nseed %s\nkey %s\nkey %s\nkey %s\n' "$SEED" "$A_TAK" "$A_EMK" "$A_EAK" >"$D/sheet"
chmod 600 "$D/sheet"
cf_run 0 "cmcc generate --json" "$CARDFORGE" cmcc --kmc 1 --auth 2 generate --sheet "$D/sheet" --json
[ -z "$err" ] || cf_fail "generate --json wrote on stderr: $err"
check_json "generate" "$out" '
assert d["command"] == "generate" and d["result"] == "completed" and d["reader"] == "Virtual PCD 00 01"
assert d["keys"] == 3 and d["keys_done"] == 3 and d["last_key_unknown"] is False
assert d["checked"] is True and d["proved_by_use"] == 3 and d["not_computable"] == 0
'
# a wrong PIN stops it before any key: no document, the error as JSON (exit 3)
cf_run 3 "cmcc generate --json, wrong PIN" "$CARDFORGE" cmcc --kmc 1 --auth 2 --kmc-pin 00000000 generate \
  --sheet "$D/sheet" --json
[ -z "$out" ] || cf_fail "generate --json printed a document though it never started: $out"
check_errors "generate wrong PIN" "$err"
grep -q '^{"warning":{"message":"--kmc-pin on the command line is visible' <<<"$err" ||
  cf_fail "generate --json: the PIN-on-the-command-line warning is not a JSON warning: $err"
cf_run 0 "verify-pin after the wrong one" "$CARDFORGE" cmcc --kmc 1 verify-pin --card kmc
cf_run 0 "cmcc keyinfo --json" "$CARDFORGE" cmcc --kmc 1 keyinfo --card kmc --json
check_json "keyinfo" "$out" '
assert d["card"] == "kmc"
k = d["keys"]
types = [x["type"] for x in k]
for t in ("01", "02", "07", "08", "09"):
    assert t in types, "key type " + t
for i, x in enumerate(k):
    assert x["record"] == i + 1
    a = x["attributes"]
    assert len(a) == 22
    assert a[:14] == x["type"] + x["version"] + x["index"] + x["algorithm"] + x["import_export"] + x["diversification"] + x["status"]
    assert int(a[14:], 16) == x["counter"]
'
text=$("$CARDFORGE" cmcc --kmc 1 keyinfo --card kmc) || cf_fail "keyinfo (text)"
cf_expect_contains "$text" "rec type ver idx alg i/e div status counter" "keyinfo table header"

seq 1 20 | awk '{ printf "8601%012X\n", $1 }' >"$D/serials"
EMK=$(div8 "$SEED" 0801010000000000)
cf_run 0 "user-update --json" "$CARDFORGE" cmcc --kmc 1 --auth 2 user-update --json --serials "$D/serials" \
  --user-sim mem --user-sim-params "emk=$EMK" --create 0A0B0C0D0E0F --key 01:01=09
[ -z "$err" ] || cf_fail "user-update --json wrote on stderr (no progress with --json): $err"
check_json "user-update" "$out" '
assert d["result"] == "completed" and d["cards"] == 20 and d["updated"] == 20
assert d["proved_by_use"] is True and d["workers"] == 1 and d["seconds"] >= 0
assert d["resume"] is None, "no resume line for a completed batch"
assert all(x["reader"] is None for x in d["lines"]), "one worker: no reader per card"
assert [x["line"] for x in d["lines"]] == list(range(1, 21))
assert all(x["outcome"] == "updated" and re.fullmatch("8601[0-9A-F]{12}", x["serial"]) for x in d["lines"])
'
# the wrong export key on the emulated cards: the first card refuses, the batch stops (exit 3)
cf_run 3 "user-update --json stopped" "$CARDFORGE" cmcc --kmc 1 --auth 2 user-update --json --serials "$D/serials" \
  --user-sim mem --user-sim-params "emk=00112233445566778899AABBCCDDEEFF" --create 0A0B0C0D0E0F --key 01:01=09
check_json "user-update stopped" "$out" '
assert d["result"] == "stopped" and d["updated"] == 0 and d["resume"] == "--from 1"
assert d["lines"][0]["outcome"] == "failed"
assert all(x["outcome"] == "not run" for x in d["lines"][1:])
'
check_errors "user-update stopped" "$err"

# ---- audit verify: the generates and the two batches were recorded
cf_run 0 "audit verify --json" "$CARDFORGE" audit verify --json
check_json "audit verify" "$out" '
assert d["log"].endswith("/audit.log") and d["lines"] >= 3
assert d["chain_intact"] is True and d["macs_verified"] is False
'
printf 'garbage\n' >>"$D/audit.log"
cf_run 5 "audit verify --json, a bad line" "$CARDFORGE" audit verify --json
[ -z "$out" ] || cf_fail "audit verify --json printed a document for a bad log: $out"
check_errors "audit verify bad line" "$err"

echo "json: readers, apdu, cmcc keyinfo, cmcc user-update, audit verify documents and errors parsed"
