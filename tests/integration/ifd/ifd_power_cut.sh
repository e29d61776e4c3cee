#!/bin/bash
# Power cut: pcscd, which holds the cards, is killed (SIGKILL) while a client increments the
# loopback card's persistent counter as fast as it can. After a new pcscd the card opens (its
# state file is sound) and the counter is the last value the client saw, or one more (the command
# in flight committed, its answer lost): never less, never more. Three cuts at random moments.
. "$CF_PCSC_LIB/cf-pcsc-lib.sh"
. "$(dirname "$0")/ifd-lib.sh"
set -u
ifd_wait_ready
for cut in 1 2 3; do
  idx=$(ifd_reader_index "IFD loopback")
  log=$CF_PCSC_ENV_DIR/cut-$cut.log
  (while :; do opensc-tool -r "$idx" -s 8004000004 -s 8004000004 -s 8004000004 -s 8004000004 2>&1 || break; done) >"$log" &
  client=$!
  sleep "0.$((RANDOM % 7 + 3))"
  kill -KILL "$(cat "$CF_PCSC_ENV_DIR/pcscd.pid")"
  wait "$client" 2>/dev/null
  # the last counter the client received: the data line after the last "Received (SW1=0x90"
  seen=$(awk '/^Received \(SW1=0x90/ { ok = 1; next } ok && NF >= 4 { v = $1 $2 $3 $4; ok = 0 } END { print v }' "$log")
  [ -n "$seen" ] || cf_fail "cut $cut: the client saw no counter before the cut ($(tail -3 "$log"))"
  sleep 1
  rm -f /run/pcscd/pcscd.comm /run/pcscd/pcscd.pid
  cf_start_pcscd || cf_fail "cut $cut: pcscd did not start again"
  cf_wait_cards "$CF_IFD_CARDS" 15 || cf_fail "cut $cut: the cards did not come back: $(tail -5 "$CF_PCSC_ENV_DIR/pcscd.log")"
  now=$(ifd_apdu "IFD loopback" 8004000004) || cf_fail "cut $cut: counter after the cut"
  before=$((16#${now:0:8} - 1))
  [ "$before" = $((16#$seen)) ] || [ "$before" = $((16#$seen + 1)) ] ||
    cf_fail "cut $cut: counter before this command is $before, the client last saw $((16#$seen))"
  echo "cut $cut: client saw $((16#$seen)), card had $before"
done
echo "IFD card power cuts: ok"
