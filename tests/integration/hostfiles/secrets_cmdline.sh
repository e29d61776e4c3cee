#!/bin/bash
# No secret on the command line: Keycard, GlobalPlatform and China Mobile flows take every PIN, PUK,
# pairing password, seed and key from a file (@FILE), standard input (-) or the environment while a
# scanner reads /proc/*/cmdline of every process in the namespace over and over. No secret may show.
# A control process that does carry one proves the scanner sees such lines. A literal secret still
# works but is warned about; a secret file with mode 0644 is refused with a message naming it.
. "$CF_PCSC_LIB/cf-pcsc-lib.sh"
. "$(dirname "$0")/../cmcc/cmcc_values.sh"
set -u

D=$CF_PCSC_ENV_DIR/secrets
mkdir -p "$D"
chmod 700 "$D"
umask 077
export CARDFORGE_HOME=$D/home

KC_PIN=864213 KC_NEW_PIN=531246 KC_PUK=975318642097 KC_PW=Hostfiles-Pairing-PW
KC_SEED=$(printf '5E%02X' $(seq 0 31) | cut -c1-128)
GP_KEY=C0C1C2C3C4C5C6C7C8C9CACBCCCDCECF
secret() { printf '%s\n' "$2" >"$D/$1"; }
secret pin "$KC_PIN"
secret newpin "$KC_NEW_PIN"
secret puk "$KC_PUK"
secret pw "$KC_PW"
secret seed "$KC_SEED"
secret gpkey "$GP_KEY"
secret k01 "$K01"
secret k03 "$K03"
secret kmcpin "$PIN"
printf 'key=%s\n' "$GP_KEY" >"$D/gpkeys"
printf '%s\n' "$KC_PIN" "$KC_NEW_PIN" "$KC_PUK" "$KC_PW" "$KC_SEED" "$GP_KEY" "$K01" "$K02" "$K03" "$PIN" "$PIN_HEX" \
  >"$D/needles"

# ---- the cards: a Keycard, a GP security domain, the KMC and the authentication card (their keys in
# a 0600 configuration file: on the emulator's command line they would show too) ----
printf 'reader 0 keycard\nreader 1 gp\nreader 2 kmc pin2=%s,k01=%s,k02=%s\nreader 3 authcard pin2=%s,k02=%s,k03=%s\n' \
  "$PIN_HEX" "$K01" "$K02" "$PIN_HEX" "$K02" "$K03" >"$D/sim.conf"
"$CARDFORGE" sim --memory --pidfile "$CF_PCSC_ENV_DIR/sim.pid" --config "$D/sim.conf" >"$CF_PCSC_ENV_DIR/sim.log" 2>&1 &
echo $! >"$CF_PCSC_ENV_DIR/sim.pid"
cf_wait_cards 4 10 || cf_fail "the four cards did not appear: $(cat "$CF_PCSC_ENV_DIR/sim.log")"
R_KC="Virtual PCD 00 00"
R_GP="Virtual PCD 00 01"
R_KMC="Virtual PCD 1 00 00"
R_AUTH="Virtual PCD 1 00 01"

# ---- the scanner ----
/usr/bin/python3 "$(dirname "$0")/cmdline_scan.py" "$D/needles" "$D/hits" "$D/stop" >"$D/scans" &
scanner=$!
for _ in $(seq 1 50); do [ -e "$D/hits" ] && break; sleep 0.1; done
# the control: a process whose command line holds a secret, long enough to be seen (`; true` keeps
# bash from replacing itself with sleep). Its lines stay in the hits file (a scan that read it just
# before it ended may still be writing) and are told apart by their marker at the end.
bash -c 'sleep 1; true' cf-scan-control "$KC_PIN"
# (matched in the shell: a grep for it would carry the secret on its own command line)
case "$(cat "$D/hits" 2>/dev/null)" in
*"cf-scan-control $KC_PIN"*) ;;
*) cf_fail "the scanner did not see the control process" ;;
esac

run() { # expected-exit what command... (cf_run, and no warning about a command-line secret)
  cf_run "$@"
  case "$err" in *"on the command line is visible"*) cf_fail "$2: warned about a command-line secret: $err" ;; esac
}
kc() { "$CARDFORGE" --reader "$R_KC" keycard "$@"; }

# ---- Keycard: files, standard input, environment ----
run 0 "keycard init" kc init --pin "@$D/pin" --puk "@$D/puk" --pairing-password "@$D/pw"
run 0 "keycard pair (password on stdin)" kc pair --password - <"$D/pw"
export CARDFORGE_PIN=$KC_PIN # (`env VAR=...` would put it on env's own command line)
run 0 "keycard verify-pin (CARDFORGE_PIN)" kc verify-pin
unset CARDFORGE_PIN
run 0 "keycard load-key --seed @FILE" kc load-key --pin "@$D/pin" --seed "@$D/seed"
run 0 "keycard change-pin (new PIN on a pipe)" \
  bash -c 'printf "%s\n" "$(cat "$1")" | "$2" --reader "$3" keycard change-pin --pin "@$4" --new-pin -' \
  sh "$D/newpin" "$CARDFORGE" "$R_KC" "$D/pin"
run 0 "keycard sign with the new PIN" kc sign --pin "@$D/newpin" --hash "$(printf '%064d' 7)"

# ---- GlobalPlatform: key values from files ----
run 0 "gp put-key --new-key @FILE" "$CARDFORGE" --reader "$R_GP" gp put-key --new-kvn 30 --type aes --new-key "@$D/gpkey"
cf_expect_contains "$out" "KVN 30 added" "gp put-key"
run 0 "gp auth with the new keys (@FILE)" "$CARDFORGE" --reader "$R_GP" gp --key-ver 30 --key "@$D/gpkey" auth
run 0 "gp auth (--key-file)" "$CARDFORGE" --reader "$R_GP" gp --key-ver 30 --key-file "$D/gpkeys" auth

# ---- China Mobile: the vault's keys from files, PINs from files and the environment ----
run 0 "cmcc hsm-init" "$CARDFORGE" cmcc hsm-init --hsm "$D/hsm.keys" --key "01/01/01=@$D/k01" --key "03/01/01=@$D/k03"
run 0 "cmcc verify-pin --kmc-pin @FILE" "$CARDFORGE" cmcc verify-pin --kmc "$R_KMC" --card kmc --kmc-pin "@$D/kmcpin"
export CARDFORGE_KMC_PIN=$PIN CARDFORGE_AUTH_PIN=$PIN
run 0 "cmcc auth (PINs in the environment)" "$CARDFORGE" cmcc auth --kmc "$R_KMC" --auth "$R_AUTH"
run 0 "cmcc auth via the HSM" "$CARDFORGE" cmcc auth --via hsm --card kmc --kmc "$R_KMC" --hsm "$D/hsm.keys"

touch "$D/stop"
wait "$scanner"
scans=$(cat "$D/scans")
[ "$scans" -gt 20 ] || cf_fail "the scanner ran only $scans times"
leaks=$(grep -v ": bash -c sleep 1; true cf-scan-control " "$D/hits")
[ -z "$leaks" ] || cf_fail "a secret showed in a command line: $leaks"

# ---- a literal secret works, with a warning; files others may read are refused, named ----
out=$(kc verify-pin --pin "$KC_NEW_PIN" 2>&1) || cf_fail "verify-pin with a literal PIN: $out"
cf_expect_contains "$out" "warning: --pin on the command line is visible to other users" "literal PIN warning"
chmod 644 "$D/newpin"
out=$(kc verify-pin --pin "@$D/newpin" 2>&1) && cf_fail "a 0644 PIN file was used"
[ "$(kc verify-pin --pin "@$D/newpin" >/dev/null 2>&1; echo $?)" = 6 ] || cf_fail "a 0644 PIN file: exit code"
cf_expect_contains "$out" "$D/newpin: permissions 0644 are too open" "0644 PIN file message"
chmod 644 "$D/gpkeys"
out=$("$CARDFORGE" --reader "$R_GP" gp --key-ver 30 --key-file "$D/gpkeys" auth 2>&1) && cf_fail "a 0644 key file was used"
cf_expect_contains "$out" "$D/gpkeys: permissions 0644 are too open" "0644 GP key file message"
chmod 640 "$D/k01"
out=$("$CARDFORGE" cmcc hsm-init --hsm "$D/hsm2.keys" --key "01/01/01=@$D/k01" 2>&1) && cf_fail "a 0640 key file was used"
cf_expect_contains "$out" "$D/k01: permissions 0640 are too open" "0640 CMCC key file message"
[ ! -e "$D/hsm2.keys" ] || cf_fail "a vault was written from a refused key file"
# ---- typed at a terminal: no echo, echo restored, a new PIN twice ----
chmod 600 "$D/newpin"
/usr/bin/python3 "$(dirname "$0")/prompt_pty.py" "$CARDFORGE" "$R_KC" "$KC_NEW_PIN" || cf_fail "PIN prompt on a terminal"
run 0 "the PIN is unchanged after the refused change" kc verify-pin --pin "@$D/newpin"
echo "secrets: $scans scans of /proc/*/cmdline during the flows, no secret seen; 0644/0640 secret files refused"
