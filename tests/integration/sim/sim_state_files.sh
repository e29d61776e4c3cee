#!/bin/bash
# Run under cf-pcsc-env --no-sim. Card state at rest and the emulator's refusals: state files 0600
# under umask 000 in a custom --state-dir; --fresh and a second card against a running emulator are
# refused and the card stays intact; each kind of broken state file has its own message and exit
# 6; unknown, malformed and contradicting parameters are refused; keys only from a private
# --config file.
. "$CF_PCSC_LIB/cf-pcsc-lib.sh"
cf=$CARDFORGE
dir=$CF_PCSC_ENV_DIR/custom-state
log=$CF_PCSC_ENV_DIR/state-files.log

mode() { stat -c %a "$1"; }
counter() { timeout -k 5 30 "$cf" apdu 80040000 | cut -c1-8; }
sql() { /usr/bin/python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(sys.argv[2]); c.commit()' "$@"; }

# ---- a running card: private files, --fresh and a second card refused ----
umask 000
"$cf" sim --card loopback --state-dir "$dir" >"$log" 2>&1 &
sim=$!
cf_wait_cards 1 10 || { cat "$log"; cf_fail "card did not appear"; }
[ "$(counter)" = 00000001 ] || cf_fail "counter 1"
db=$dir/reader0-loopback.db
[ -e "$db-wal" ] || cf_fail "no WAL beside the open card"
[ "$(mode "$db")" = 600 ] || cf_fail "card file mode $(mode "$db") under umask 000"
[ "$(mode "$db-wal")" = 600 ] || cf_fail "WAL mode $(mode "$db-wal") under umask 000"
[ ! -e "$db-shm" ] || cf_fail "a -shm file appeared"
grep -q "card connected to vpcd" "$log" || cf_fail "no connected line: $(cat "$log")"
umask 022

cf_expect_refusal 6 "is in use by another process (a running cardforge sim?); nothing was erased" \
  timeout -k 5 30 "$cf" sim --card loopback --state-dir "$dir" --fresh --port 35964
[ -e "$db-wal" ] || cf_fail "--fresh removed the running card's WAL"
[ "$(counter)" = 00000002 ] || cf_fail "the running card lost its state after a refused --fresh"

# bounded (exit 124 instead of 4): a second card that vpcd did serve would run until stopped
cf_expect_refusal 4 "the reader already holds another card" timeout -k 5 30 "$cf" sim --card loopback --memory
[ "$(counter)" = 00000003 ] || cf_fail "the first card suffered from the second"

kill -TERM "$sim"
wait "$sim" || cf_fail "sim exit code"
cf_wait_no_cards 5 || cf_fail "card still present"

# ---- broken state files: one message each, exit 6, file left as it was ----
bad=$CF_PCSC_ENV_DIR/bad
mkdir -p "$bad"
cp "$db" "$CF_PCSC_ENV_DIR/good.db"
f=$bad/reader0-loopback.db
run_bad() { timeout -k 5 30 "$cf" sim --card "${2:-loopback}" --state-dir "$bad" --port 35964; }

: >"$f"
cf_expect_refusal 6 "the file is empty (0 bytes); refusing it (add --fresh" run_bad
[ ! -s "$f" ] || cf_fail "the empty file was changed"
echo "PIN=1234" >"$f"
cf_expect_refusal 6 "not a card state file (not an SQLite database)" run_bad
[ "$(cat "$f")" = PIN=1234 ] || cf_fail "the text file was changed"
rm -f "$f"
sql "$f" "CREATE TABLE notes(x)"
cf_expect_refusal 6 "not a card state file (an SQLite database of another application)" run_bad
cp "$CF_PCSC_ENV_DIR/good.db" "$bad/reader0-gp.db"
cf_expect_refusal 6 "holds a loopback card, not a gp card" run_bad x gp
cp "$CF_PCSC_ENV_DIR/good.db" "$f"
printf '\377\377\377\377\377\377\377\377' | dd of="$f" bs=1 seek=4096 conv=notrunc status=none
cf_expect_refusal 6 "the file is corrupt" run_bad
cp "$CF_PCSC_ENV_DIR/good.db" "$f"
sql "$f" "DELETE FROM kv WHERE key = 65537"
cf_expect_refusal 6 "records are missing from the file" run_bad
sql "$f" "PRAGMA user_version = 1"
cf_expect_refusal 6 "lacks record 0001:0001 that a loopback card needs" run_bad
cmp -s "$f" "$CF_PCSC_ENV_DIR/good.db" && cf_fail "test setup: the file did not change"

# ---- parameters ----
cf_expect_refusal 2 'unknown parameter "verison" (keycard-applet parameters: version)' "$cf" sim --card keycard-applet:verison=2.2 --memory
cf_expect_refusal 2 'bad value "t2" for mode: expected t1|t0' "$cf" sim --card loopback:mode=t2 --memory
p=$CF_PCSC_ENV_DIR/params
timeout -s TERM -k 10 1 "$cf" sim --card loopback:mode=t0 --state-dir "$p" --port 1 >/dev/null 2>&1
[ -s "$p/reader0-loopback.db" ] || cf_fail "no card made with mode=t0"
cf_expect_refusal 2 "mode contradicts the existing card in $p/reader0-loopback.db (it was made with mode=t0)" \
  "$cf" sim --card loopback:mode=t1 --state-dir "$p" --port 1
out=$(timeout -s TERM -k 10 1 "$cf" sim --card loopback:mode=t0 --state-dir "$p" --port 1 2>&1)
cf_expect_contains "$out" "waiting for vpcd" "the same parameter again is fine"

# ---- keys: a private --config file, a warning on the command line ----
conf=$CF_PCSC_ENV_DIR/keys.conf
echo "reader 0 gp key=000102030405060708090A0B0C0D0E0F" >"$conf"
chmod 644 "$conf"
cf_expect_refusal 6 "permissions 0644 are too open" "$cf" sim --config "$conf" --memory
chmod 600 "$conf"
out=$(timeout -s TERM -k 10 1 "$cf" sim --config "$conf" --memory --port 1 2>&1)
cf_expect_contains "$out" "waiting for vpcd" "a private config file with keys"
case "$out" in *warning*) cf_fail "warning for keys in a private config file: $out" ;; esac
out=$(timeout -s TERM -k 10 1 "$cf" sim --card gp:key=000102030405060708090A0B0C0D0E0F --memory --port 1 2>&1)
cf_expect_contains "$out" "warning: reader 0 (gp): key given on the command line" "command-line key warning"
case "$out" in *000102030405*) cf_fail "the key was echoed: $out" ;; esac
echo "sim state files: ok"
