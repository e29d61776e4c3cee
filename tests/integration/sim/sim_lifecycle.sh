#!/bin/bash
# Run under cf-pcsc-env --no-sim: the emulator as our own child. SIGTERM and SIGINT stop it
# cleanly (exit 0, pid file removed, card gone from the reader), state persists in its file,
# --fresh starts a new card, --memory keeps nothing.
. "$CF_PCSC_LIB/cf-pcsc-lib.sh"
state=$CF_PCSC_ENV_DIR/lifecycle
pidfile=$CF_PCSC_ENV_DIR/lifecycle.pid

start_sim() {
  "$CARDFORGE" sim --state-dir "$state" --pidfile "$pidfile" "$@" >"$CF_PCSC_ENV_DIR/lifecycle.log" 2>&1 &
  sim=$!
  cf_wait_cards 1 10 || { cat "$CF_PCSC_ENV_DIR/lifecycle.log"; cf_fail "card did not appear"; }
}

stop_sim() {
  kill "-$1" "$sim"
  wait "$sim"
  rc=$?
  [ $rc = 0 ] || cf_fail "sim exited $rc on SIG$1"
  [ ! -e "$pidfile" ] || cf_fail "pid file left behind after SIG$1"
  grep -q "sim: stopped" "$CF_PCSC_ENV_DIR/lifecycle.log" || cf_fail "no stop message after SIG$1"
  cf_wait_no_cards 5 || cf_fail "card still present after SIG$1"
}

start_sim --card loopback --fresh
[ "$(cat "$pidfile")" = "$sim" ] || cf_fail "pid file does not hold the sim's pid"
"$CARDFORGE" apdu 80040000 80040000 >/dev/null || cf_fail "counter"
stop_sim TERM

start_sim --card loopback
out=$("$CARDFORGE" apdu 80040000) || cf_fail "counter after restart"
[ "$out" = "00000003 9000 (success)" ] || cf_fail "state not kept across restart: $out"
stop_sim INT

start_sim --card loopback --fresh
out=$("$CARDFORGE" apdu 80040000) || cf_fail "counter after --fresh"
[ "$out" = "00000001 9000 (success)" ] || cf_fail "--fresh did not start a new card: $out"
stop_sim TERM

rm -rf "$state"
start_sim --card loopback --memory
"$CARDFORGE" apdu 80040000 >/dev/null || cf_fail "counter in memory"
stop_sim TERM
[ ! -e "$state" ] || cf_fail "--memory wrote a state directory"
echo "sim lifecycle: ok"
