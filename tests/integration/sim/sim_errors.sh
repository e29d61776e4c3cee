#!/bin/bash
# Run under cf-pcsc-env --no-sim. Bad emulator options give one line and the documented exit
# code; clients without pcscd say so and exit 4.
. "$CF_PCSC_LIB/cf-pcsc-lib.sh"
cf=$CARDFORGE

cf_expect_refusal 2 'unknown card type "nosuch"' "$cf" sim --card nosuch --memory
cf_expect_refusal 2 "no card given" "$cf" sim --memory
cf_expect_refusal 2 "--port wants a number" "$cf" sim --card loopback --port 70000
cf_expect_refusal 2 "unknown option" "$cf" sim --bogus
cf_expect_refusal 2 "needs a value" "$cf" sim --card
cf_expect_refusal 2 "bad value \"t9\" for mode: expected t1|t0" "$cf" sim --card loopback:mode=t9 --memory
cf_expect_refusal 6 "No such file" "$cf" sim --config /nonexistent/cards.conf
printf 'reader 0 loopback\nreader 0 loopback\n' >"$CF_PCSC_ENV_DIR/dup.conf"
cf_expect_refusal 2 "dup.conf:2: reader 0 is given two cards" "$cf" sim --config "$CF_PCSC_ENV_DIR/dup.conf"
touch "$CF_PCSC_ENV_DIR/afile"
cf_expect_refusal 6 "cannot create state directory" "$cf" sim --card loopback --state-dir "$CF_PCSC_ENV_DIR/afile/x"

types=$("$cf" sim --list-types) || cf_fail "--list-types"
printf '%s\n' "$types" | grep -q '^loopback ' || cf_fail "--list-types lacks loopback"
"$cf" sim --help | grep -q "reader N TYPE" || cf_fail "sim --help documents the config format"
"$cf" --help | grep -q "exit codes" || cf_fail "--help documents exit codes"
"$cf" --version | grep -Eq '^cardforge [0-9]' || cf_fail "--version"

# no reader holds a card yet
cf_expect_refusal 4 "no card in any reader" "$cf" apdu 80010000
# pcscd gone
cf_stop_pid "$CF_PCSCD_PID"
cf_expect_refusal 4 "PC/SC service not running" "$cf" readers
cf_expect_refusal 4 "PC/SC service not running" "$cf" apdu 80010000
echo "sim errors: ok"
