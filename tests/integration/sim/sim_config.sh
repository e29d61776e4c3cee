#!/bin/bash
# Cards from a --config file (two readers, parameters, state-dir from the file).
. "$CF_PCSC_LIB/cf-pcsc-lib.sh"
[ "$(cf_cards_present)" = 2 ] || cf_fail "expected two cards from the config file"
out=$(echo "80 01 00 00 01 EE" | scriptor -r "Virtual PCD 00 01" 2>&1) || cf_fail "reader 1"
cf_expect_contains "$out" "< 61 01 : 0x01 bytes of response still available." "mode=t0 from the config file"
# --state-dir given by cf-pcsc-env wins over the file's state-dir
ls "$CF_PCSC_ENV_DIR/cards/reader0-loopback.db" >/dev/null || cf_fail "state file in --state-dir"
[ ! -e /nonexistent-cardforge-state ] || cf_fail "config state-dir should have been overridden"
echo "sim config: ok"
