#!/bin/bash
# `cardforge keycard shell` through the real PC/SC stack: a 10-command script (a usage error and a
# card refusal in the middle) answered on ten lines, with one OPEN SECURE CHANNEL (80 10) and one
# VERIFY PIN (80 20) in the APDU trace; the same commands run one by one open a channel each. Then a
# script from --file with the PIN from a 0600 file, the Cash and NDEF applications in a session, and
# a wrong PIN sent once for the whole session; `ident provision` with a test CA key from a 0600 file,
# `ident verify` and a second provision refused, in a session. Runs under cf-pcsc-env with
# `--card keycard-card` (no identity at creation).
# shellcheck source=/dev/null
. "$CF_PCSC_LIB/cf-pcsc-lib.sh"
set -u

export CARDFORGE_HOME=$CF_PCSC_ENV_DIR/home
R0="Virtual PCD 00 00"
kc() { "$CARDFORGE" --reader "$R0" keycard "$@"; }
W=$CF_PCSC_ENV_DIR

# Counts the commands of one INS sent to the card in a trace, not the plain copies the trace shows
# of commands inside the secure channel.
count_ins() {
  awk -v ins="$2" '/^  \(secure channel: plain command/ { inner = 1; next }
    $1 == ">" && $2 == "80" && $3 == ins { if (!inner) n++ }
    { inner = 0 }
    END { print n + 0 }' "$1"
}

export CARDFORGE_PIN=123456 CARDFORGE_PUK=012345678901
kc init >/dev/null 2>&1 || cf_fail "init"
kc pair >/dev/null 2>&1 || cf_fail "pair"
CARDFORGE_SEED=$(printf '%02X' $(seq 0 63)) kc load-key >/dev/null 2>&1 || cf_fail "load-key"
hash=$(printf 'cardforge shell' | sha256sum | cut -c1-64)

cat >"$W/session.txt" <<SCRIPT
# a wallet's session: ten commands
status
sign --hash $hash
export-key --path "m/44'/60'/0'/0/0"
sign --hash nothex            # a usage error: never reaches the card
export-key --private --path m/44h/60h/0h/0/0
derive --path m/44h/60h/0h/0/1
sign --hash $hash
export-key
generate-mnemonic --words 12
status
SCRIPT
"$CARDFORGE" --reader "$R0" --trace keycard shell <"$W/session.txt" >"$W/answers.txt" 2>"$W/trace.txt"
rc=$?
[ $rc = 2 ] || cf_fail "the session's exit code is the first failure's (2), not $rc: $(cat "$W/answers.txt")"
[ "$(wc -l <"$W/answers.txt")" = 10 ] || cf_fail "ten answer lines expected: $(cat "$W/answers.txt")"
answer() { sed -n "${1}p" "$W/answers.txt"; }
[[ $(answer 1) == "ok pin-retries: 3; puk-retries: 5; key-loaded: yes"* ]] || cf_fail "line 1: $(answer 1)"
[[ $(answer 2) == "ok signature: "*"; recovery-id: "*"; public-key: 04"* ]] || cf_fail "line 2: $(answer 2)"
[[ $(answer 4) == "error 2 sign: "* ]] || cf_fail "line 4: $(answer 4)"
[[ $(answer 5) == "error 3 export-key: "* ]] || cf_fail "line 5: $(answer 5)"
[ "$(answer 6)" = ok ] || cf_fail "line 6: $(answer 6)"
[[ $(answer 10) == "ok pin-retries: 3; "*"key-path: m/44'/60'/0'/0/1"* ]] || cf_fail "line 10: $(answer 10)"
# line 7 signed with the key line 6 made current, the one line 8 exports
pub7=$(answer 7 | sed 's/.*public-key: \([0-9A-Fa-f]*\).*/\1/')
[[ $(answer 8) == *"$pub7"* ]] || cf_fail "line 8 does not hold the key that signed line 7: $(answer 8)"
opens=$(count_ins "$W/trace.txt" 10)
verifies=$(count_ins "$W/trace.txt" 20)
if [ "$opens" != 1 ] || [ "$verifies" != 1 ]; then
  cf_fail "one OPEN SECURE CHANNEL and one VERIFY PIN expected, the trace has $opens and $verifies"
fi
grep -q "session: 10 commands, 2 failed; secure channel opened 1 time, PIN verified 1 time" "$W/trace.txt" ||
  cf_fail "session summary missing"
! grep -q 313233343536 "$W/trace.txt" || cf_fail "the PIN reached the trace"

# the same ten commands as separate runs: a channel (and a PIN verification) each
: >"$W/trace_each.txt"
grep -v '^#' "$W/session.txt" | while read -r line; do
  eval "set -- $line"
  "$CARDFORGE" --reader "$R0" --trace keycard "$@" >/dev/null 2>>"$W/trace_each.txt"
done
opens=$(count_ins "$W/trace_each.txt" 10)
[ "$opens" -ge 8 ] || cf_fail "separate commands: $opens OPEN SECURE CHANNEL, expected one per card command"

# --file, the PIN from a 0600 file; comments and blank lines get no answer
unset CARDFORGE_PIN
printf '123456\n' >"$W/pin.txt"
chmod 600 "$W/pin.txt"
printf '\n# only comments and two commands\nverify-pin\nsign --hash %s\n' "$hash" >"$W/short.txt"
out=$(kc shell --file "$W/short.txt" --pin "@$W/pin.txt") || cf_fail "shell --file: $out"
if [ "$(wc -l <<<"$out")" != 2 ] || [ "$(head -1 <<<"$out")" != ok ]; then
  cf_fail "shell --file answers: $out"
fi

# other applications in a session: Cash and NDEF (each deselects the wallet)
printf 'cash info\nndef read\nstatus\n' >"$W/apps.txt"
out=$(kc shell --file "$W/apps.txt" --pin "@$W/pin.txt") || cf_fail "Cash and NDEF in a session: $out"
[[ $(head -1 <<<"$out") == "ok public-key: 04"*"; version: 3.2"* ]] || cf_fail "cash info in a session: $out"

# a wrong PIN is sent once, whatever the number of commands needing it
printf '654321\n' >"$W/wrong.txt"
chmod 600 "$W/wrong.txt"
printf 'sign --hash %s\nsign --hash %s\nsign --hash %s\n' "$hash" "$hash" "$hash" >"$W/three.txt"
"$CARDFORGE" --reader "$R0" --trace keycard shell --file "$W/three.txt" --pin "@$W/wrong.txt" \
  >"$W/wrong_answers.txt" 2>"$W/wrong_trace.txt"
rc=$?
[ $rc = 3 ] || cf_fail "wrong PIN session: exit $rc"
[ "$(count_ins "$W/wrong_trace.txt" 20)" = 1 ] || cf_fail "the wrong PIN was sent more than once"
out=$(CARDFORGE_PIN=123456 kc status) || cf_fail "status after the wrong PIN"
cf_expect_contains "$out" "pin-retries: 2" "one try spent"
CARDFORGE_PIN=123456 kc verify-pin || cf_fail "the right PIN after the session"

# ident provision (a test card's identity from a CA key in a 0600 file) and ident verify, in a session
printf '00000000000000000000000000000000000000000000000000000000000000C5\n' >"$W/ca.key"
chmod 600 "$W/ca.key"
ca_pub=02ee163026e9fd6fe017c38f06a5be6fc125424b371ce2708e7bf4491691e5764a
printf 'ident provision --ca-key @%s\nident verify --ca %s\nident provision --ca-key @%s\n' \
  "$W/ca.key" "$ca_pub" "$W/ca.key" >"$W/ident.txt"
kc shell --file "$W/ident.txt" >"$W/ident_answers.txt" 2>/dev/null
rc=$?
[ $rc = 3 ] || cf_fail "ident session: exit $rc (the second provision must be refused): $(cat "$W/ident_answers.txt")"
[[ $(sed -n 1p "$W/ident_answers.txt") == "ok identity-key: "*"; ca-key: ${ca_pub^^}; certificate: "* ]] ||
  cf_fail "ident provision: $(sed -n 1p "$W/ident_answers.txt")"
[[ $(sed -n 2p "$W/ident_answers.txt") == "ok identity-key: "* ]] || cf_fail "ident verify: $(sed -n 2p "$W/ident_answers.txt")"
[[ $(sed -n 3p "$W/ident_answers.txt") == "error 3 ident: "*"already holds an identity"* ]] ||
  cf_fail "second ident provision: $(sed -n 3p "$W/ident_answers.txt")"
chmod 644 "$W/ca.key"
cf_run 6 "ident provision with a CA key file others may read" kc ident provision --ca-key "@$W/ca.key"
echo "keycard shell: ok"
