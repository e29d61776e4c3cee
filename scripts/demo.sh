#!/bin/bash
# cardforge demonstration (`make demo`): emulated cards plugged into a private pcscd through vpcd,
# used by ordinary PC/SC tools and by the cardforge CLI: a loopback test card, Status Keycards,
# a GlobalPlatform security domain and the China Mobile mother cards. Needs root (network, mount
# and PID namespaces, see tests/integration/lib/cf-pcsc-env); starts and stops everything it uses.
#
#   scripts/demo.sh [--cardforge PATH] [SECTION...]
#
# Sections (DEMO_SECTIONS): readers, opensc, scriptor, cardforge (a loopback card through pcscd,
# used by opensc-tool, scriptor and cardforge); keycard (three Keycards: init, pair, PIN, BIP39
# key, signature, DUPLICATE KEY, a redacted trace); gp (the key rotation walk-through of
# docs/gp.md section 7); cmcc (China Mobile chapter-4 flows on the six cards of
# tests/integration/cmcc: PINs, external authentication, key generation, a user-card update, a
# batch of CF_DEMO_BATCH emulated user cards, default 5000). With no SECTION all run, in order.
# Exit code: 0 when every section passed, 1 when one failed (the others still run), 2 usage,
# 130/143 interrupted (SIGINT/SIGTERM; everything started is stopped either way).
#
# Adding a section: write a function demo_<name>, append <name> to DEMO_SECTIONS and give its
# cards in DEMO_CARDS[<name>] (cf-pcsc-env options, usually --card SPEC...). Consecutive sections
# with the same DEMO_CARDS share one environment (one pcscd and one `cardforge sim`); the Nth
# --card sits in reader N (`cardforge -r N`, names in `cardforge readers`). A section runs in a
# subshell, in a scratch folder ($CF_PCSC_ENV_DIR) with CARDFORGE_HOME inside it. Inside it:
#   say LINE...           a heading (one argument a line)
#   run CMD...            shows CMD as typed, runs it; any exit code but 0 fails the section
#   refused CODE CMD...   the same for a command that must be refused with exit code CODE
#   run_sh 'PIPELINE'     shows and evaluates a shell pipeline (pipefail); must succeed
#   setenv NAME VALUE     shows and does `export NAME=VALUE`
#   note TEXT             a remark in parentheses
#   fail TEXT             fails the section with a one-line reason
#   restart_emulator      stops `cardforge sim` and starts it again on the same card state
# `cardforge` is a function calling the executable under test; the standard output of the last
# command is in $OUT (`field NAME` reads a `NAME: value` line from it).
# shellcheck source-path=SCRIPTDIR/..
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# ---- what the demo runs ----
DEMO_SECTIONS=(readers opensc scriptor cardforge keycard gp cmcc)

# The China Mobile cards get the keys of the integration test (tests/integration/cmcc); the user
# card's enterprise management key is derived here with the openssl command line.
# shellcheck source=tests/integration/cmcc/cmcc_values.sh
. "$ROOT/tests/integration/cmcc/cmcc_values.sh"
hex2bin() { printf '%b' "$(printf '%s' "$1" | sed 's/../\\x&/g')"; }
# tdes KEY DATA: two-key 3DES-ECB of DATA (hex) under KEY (hex), by openssl
tdes() {
  hex2bin "$2" | openssl enc -des-ede-ecb -K "$1" -nopad -nosalt | od -An -tx1 -v | tr -d ' \n' | tr a-f A-F
}
notf() {
  local i out=
  for i in 0 2 4 6 8 10 12 14; do out+=$(printf %02X $((0x${1:i:2} ^ 0xFF))); done
  echo "$out"
}
# div8 KEY FACTOR: the spec's one-level diversification, 3DES(F) || 3DES(NOT F)
div8() { echo "$(tdes "$1" "$2")$(tdes "$1" "$(notf "$2")")"; }
CMCC_EMK=$(div8 "$SEED" 0801010000000000)

declare -A DEMO_CARDS=(
  [readers]="--card loopback" [opensc]="--card loopback" [scriptor]="--card loopback"
  [cardforge]="--card loopback"
  [keycard]="--card keycard:version=2.2.1 --card keycard:version=2.2.1 --card keycard:version=2.2.1"
  [gp]="--card gp"
  [cmcc]="--card kmc:pin2=$PIN_HEX,k01=$K01,k02=$K02 --card authcard:pin2=$PIN_HEX,k02=$K02,k03=$K03
          --card workcard:pin2=$PIN_HEX,k04=$K04,k05=$K05,eid=$EID
          --card usercard:serial=$SERIAL,emk=$CMCC_EMK
          --card sam:factor=$SAMFACTOR,imk=$SAMINIT --card terminal:tik=$TIK"
)

LOOPBACK_AID=F063666C6F6F70

demo_readers() {
  say "pcscd sees the emulated card in the first vpcd reader"
  run opensc-tool --list-readers
  run pcsc_scan -r
}

demo_opensc() {
  say "opensc-tool talks to it like to any card: ATR, SELECT, echo, a chosen status word"
  run opensc-tool --reader 0 --atr
  run opensc-tool --reader 0 --send-apdu 00A4040007$LOOPBACK_AID --send-apdu 800100000548656C6C6F \
    --send-apdu 800300000263C2
}

demo_scriptor() {
  say "scriptor (pcsc-tools) runs an APDU script: 300 bytes come back as 256 + 61 2C + GET RESPONSE"
  cat >demo.scr <<EOF
reset
00 A4 04 00 07 F0 63 66 6C 6F 6F 70
80 01 00 00 03 CA FE 00
80 02 01 2C 00
00 C0 00 00 2C
80 04 00 00 04
EOF
  run cat demo.scr
  run scriptor -r "Virtual PCD 00 00" demo.scr
}

demo_cardforge() {
  say "the cardforge CLI: readers, APDUs (61XX followed automatically), trace, exit codes"
  run cardforge readers
  run cardforge apdu 00A4040007$LOOPBACK_AID "80 02 01 2C 00" 80040000
  run cardforge --trace apdu 8001000003010203
  refused 3 cardforge apdu 80030000026A82
}

KEYCARD_MNEMONIC="legal winner thank year wave sausage worth useful legal winner thank yellow"

demo_keycard() {
  say "Status Keycard: three emulated Keycards, one per reader, as applet 2.2.1 (the release with" \
    "DUPLICATE KEY; version=3.0, 3.1 and 3.2, the default, are the later releases)"
  run cardforge readers
  run cardforge -r 0 keycard info

  say "initialize the first card (PIN, PUK), pair with the default pairing password;" \
    "a wrong PIN costs a try, the right one restores the counter"
  run cardforge -r 0 keycard init --pin 123456 --puk 012345678901
  run cardforge -r 0 keycard pair
  setenv CARDFORGE_PIN 123456
  refused 3 cardforge -r 0 keycard verify-pin --pin 000000
  run cardforge -r 0 keycard verify-pin

  say "load a master key from a BIP39 mnemonic, sign a hash (secure channel + PIN each time)"
  run cardforge -r 0 keycard load-key --mnemonic "$KEYCARD_MNEMONIC"
  run_sh "HASH=\$(printf 'pay 1 ETH to Bob' | sha256sum | cut -c1-64)"
  run cardforge -r 0 keycard sign --hash "$HASH"
  local pub0 sig0 pub sig r
  pub0=$(field public-key)
  sig0=$(field signature)

  say "two more cards: init, pair; DUPLICATE KEY copies the first card's master key onto them"
  for r in 1 2; do
    run cardforge -r $r keycard init --pin 123456 --puk 012345678901
    run cardforge -r $r keycard pair
  done
  run cardforge keycard duplicate --source 0 --target 1 --target 2

  say "the same hash signed again on all three cards"
  for r in 0 1 2; do
    run cardforge -r $r keycard sign --hash "$HASH"
    pub=$(field public-key)
    sig=$(field signature)
    [ "$pub" = "$pub0" ] || fail "reader $r signs with another public key: $pub, not $pub0"
    [ "$sig" = "$sig0" ] || fail "reader $r gives another signature (RFC 6979 is deterministic)"
  done
  note "the three cards show the same public key ${pub0:0:16}... and the same signature"

  say "--trace (first 100 columns): each APDU, and the plain command inside the secure channel;" \
    "the PIN appears as its length only"
  run_sh "cardforge --trace -r 0 keycard verify-pin 2>&1 | cut -c1-100"
  grep -q "<6 bytes redacted>" "$OUT" || fail "the trace does not show the PIN as redacted"
  ! grep -Eq "313233343536|31 32 33 34 35 36" "$OUT" || fail "the trace shows the PIN"
}

GP_AES=A0A1A2A3A4A5A6A7A8A9AAABACADAEAF
GP_DEFAULT=404142434445464748494A4B4C4D4E4F

demo_gp() {
  say "GlobalPlatform: an emulated security domain with the factory DES keys 40..4F as KVN FF"
  run_sh "cardforge gp info | grep -Ev ' 0+\$'"
  run cardforge gp keys
  run cardforge gp auth

  say "1. add a new AES-128 key set, KVN 30; the CLI checks the card's key check values"
  run cardforge gp put-key --new-kvn 30 --type aes --new-key $GP_AES
  say "2. the new keys open a secure channel (SCP03) at the strongest level"
  run cardforge gp --key-ver 30 --key $GP_AES --level mac+enc+rmac+renc auth
  say "3. delete the factory set through the new keys: from now on the old keys are refused"
  run cardforge gp --key-ver 30 --key $GP_AES delete-key --delete-kvn FF
  run cardforge gp keys
  refused 3 cardforge gp --key-ver FF auth
  refused 5 cardforge gp auth
  say "the card keeps it: the emulator restarts from its state file"
  restart_emulator
  refused 5 cardforge gp auth
  run cardforge gp --key-ver 30 --key $GP_AES auth

  say "4. roll back: the default keys return as KVN 01 (FF cannot be named again), KVN 30 goes"
  run cardforge gp --key-ver 30 --key $GP_AES put-key --new-kvn 01 --type des --new-key $GP_DEFAULT
  run cardforge gp --key-ver 01 delete-key --delete-kvn 30
  run cardforge gp auth
  run cardforge gp keys
}

CMCC_BATCH=${CF_DEMO_BATCH:-5000}

demo_cmcc() {
  say "China Mobile E-Card Pass (spec chapter 4): KMC, authentication card, working card, user card," \
    "SAM and terminal, one per reader; the operator HSM is a 0600 key file"
  run cardforge readers
  setenv CARDFORGE_CMCC_HSM "hsm.keys"
  run cardforge cmcc hsm-init --key "01/01/01=$K01" --key "03/01/01=$K03" --key "04/01/01=$K04" \
    --key "05/01/01=$K05"
  run cardforge cmcc hsm-list

  say "4.1.1 PIN verification (application PIN 02 of the three master cards);" \
    "a wrong PIN costs a try, the right one restores the counter"
  setenv CARDFORGE_KMC_PIN "$PIN"
  setenv CARDFORGE_AUTH_PIN "$PIN"
  setenv CARDFORGE_WORK_PIN "$PIN"
  run cardforge cmcc verify-pin --card kmc
  run cardforge cmcc verify-pin --card auth
  run cardforge cmcc verify-pin --card work
  refused 3 cardforge cmcc verify-pin --card kmc --kmc-pin 00000000
  run cardforge cmcc verify-pin --card kmc

  say "4.1.2 external authentication of the KMC: through the authentication card, and by the HSM"
  run cardforge cmcc auth
  run cardforge cmcc auth --via hsm --card kmc

  say "4.1.3 key generation on the KMC from a key code sheet, each key proved by Inst_MAC"
  printf 'cardforge-cmcc-keysheet 1\nseed %s\nkey %s\nkey %s\nkey %s\nkey %s\nkey %s\n' "$SEED" \
    "$A_TAK" "$A_EMK" "$A_EAK" "$A_SAM1" "$A_SAM2" >sheet.txt
  chmod 600 sheet.txt
  run cat sheet.txt
  run cardforge cmcc generate --sheet sheet.txt
  run cardforge cmcc keyinfo --card kmc

  say "4.1.4 user-card key update: the KMC exports key 09 diversified by the card's serial;" \
    "the user card stores it, then proves it by use (VERIFY MAC)"
  run cardforge cmcc user-update --serial "$SERIAL" --subapp 01 --create 0A0B0C0D0E0F --data 0102030405 \
    --key 01:01=09
  note "an independent check: the card's INTERNAL AUTHENTICATE with that key against openssl's"
  note "3DES under diversify(diversify(seed, 09 01 01 00 ...), serial), from the sheet alone"
  local challenge=1122334455667788 expected
  run cardforge -r 3 apdu 0088010108$challenge
  expected=$(tdes "$(div8 "$(div8 "$SEED" 0901010000000000)" "$SERIAL")" $challenge)
  note "openssl: $expected"
  [ "$(cat "$OUT")" = "$expected 9000 (success)" ] || fail "the user card's key is not the one expected"

  say "a batch: $CMCC_BATCH user cards emulated in the host process, each written through the KMC" \
    "in its reader (pcscd), read back and proved by use; progress on stderr, summary on stdout"
  run_sh "seq 1 $CMCC_BATCH | awk '{ printf \"8601%012X\\n\", \$1 }' >serials.txt; head -2 serials.txt"
  run cardforge cmcc user-update --serials serials.txt --user-sim mem --user-sim-params "emk=$CMCC_EMK" \
    --create 0A0B0C0D0E0F --key 01:01=09
  grep -q "^user-update: $CMCC_BATCH cards updated and proved by use" "$OUT" || fail "batch summary missing"
}

# ---- machinery: inside an environment ----
if [ -t 1 ]; then
  BOLD=$'\033[1m' CYAN=$'\033[36m' DIM=$'\033[2m' RED=$'\033[31m' PLAIN=$'\033[0m'
else
  BOLD='' CYAN='' DIM='' RED='' PLAIN=''
fi
# say LINE...: a heading, one argument a line
say() {
  printf '\n%s== %s%s\n' "$BOLD" "$1" "$PLAIN"
  shift
  [ $# = 0 ] || printf '%s   %s%s\n' "$BOLD" "$@" "$PLAIN"
}
note() { printf '%s(%s)%s\n' "$DIM" "$*" "$PLAIN"; }
fail() {
  printf '%sdemo: section %s failed: %s%s\n' "$RED" "$DEMO_SECTION" "$*" "$PLAIN" >&2
  exit 1
}

# Quotes a word only when the shell needs it, in the style a person would type.
shell_word() {
  case "$1" in
    '') printf "''" ;;
    *[!A-Za-z0-9_./:=,+@%^-]*)
      case "$1" in
        *[\"\$\`\\]*) printf '%q' "$1" ;;
        *) printf '"%s"' "$1" ;;
      esac ;;
    *) printf '%s' "$1" ;;
  esac
}
show() {
  local line='' word
  for word in "$@"; do line+="$(shell_word "$word") "; done
  printf '%s$ %s%s\n' "$CYAN" "${line% }" "$PLAIN"
}

# expect_exit CODE CMD...: shows and runs CMD; its stdout is kept in $OUT and printed after it
# (its stderr, progress and errors, goes straight through). Another exit code fails the section.
expect_exit() {
  local want=$1 rc
  shift
  "$@" >"$OUT"
  rc=$?
  cat "$OUT"
  check_exit "$want" "$rc" "$*"
}
check_exit() {
  if [ "$2" != "$1" ]; then
    fail "\`$3\` exited $2, expected $1"
  elif [ "$1" != 0 ]; then
    note "exit code $2: refused, as expected"
  fi
}
run() {
  show "$@"
  expect_exit 0 "$@"
}
refused() {
  local want=$1
  shift
  show "$@"
  expect_exit "$want" "$@"
}
run_sh() {
  local rc
  printf '%s$ %s%s\n' "$CYAN" "$1" "$PLAIN"
  eval "$1" >"$OUT"
  rc=$?
  cat "$OUT"
  check_exit 0 "$rc" "$1"
}
setenv() {
  show export "$1=$2"
  export "$1=$2"
}
field() { sed -n "s/^$1: //p" "$OUT"; }
# shellcheck disable=SC2153 # CARDFORGE comes from cf-pcsc-env
cardforge() { "$CARDFORGE" "$@"; }

# Stops this environment's emulator and starts it again on the same card state files.
restart_emulator() {
  # shellcheck source=tests/integration/lib/cf-pcsc-lib.sh
  . "$CF_PCSC_LIB/cf-pcsc-lib.sh"
  local cards
  read -ra cards -d '' <<<"${DEMO_CARDS[$DEMO_SECTION]}"
  # shellcheck disable=SC2016 # shown, not run
  printf '%s$ kill $(cat sim.pid)%s\n' "$CYAN" "$PLAIN"
  cf_stop_pid "$(cat "$CF_PCSC_ENV_DIR/sim.pid")"
  cf_wait_no_cards 5 || fail "the cards are still there after the emulator stopped"
  show cardforge sim --state-dir cards "${cards[@]}" | sed 's/\(\x1b\[0m\)\{0,1\}$/ \&&/'
  "$CARDFORGE" sim --state-dir cards --pidfile "$CF_PCSC_ENV_DIR/sim.pid" "${cards[@]}" \
    >>"$CF_PCSC_ENV_DIR/sim.log" 2>&1 &
  cf_wait_cards "$CF_EXPECT_CARDS" 10 || fail "the restarted emulator's cards did not appear"
}

if [ -n "${CF_DEMO_INNER:-}" ]; then
  cd "$CF_PCSC_ENV_DIR" || exit 1
  export CARDFORGE_HOME=$CF_PCSC_ENV_DIR/home
  OUT=$CF_PCSC_ENV_DIR/demo-stdout.txt
  set -o pipefail
  for DEMO_SECTION in "$@"; do
    printf '\n%s#### %s%s\n' "$BOLD" "$DEMO_SECTION" "$PLAIN"
    start=$(date +%s%N)
    ("demo_$DEMO_SECTION")
    rc=$?
    echo "$DEMO_SECTION $rc $((($(date +%s%N) - start) / 1000000))" >>"$CF_DEMO_RESULTS"
  done
  exit 0
fi

# ---- machinery: outside, one cf-pcsc-env run per group of sections with the same cards ----
cardforge=${CARDFORGE:-}
case "${1:-}" in
  -h|--help) sed -n '2,/^# shellcheck/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
  --cardforge) cardforge=${2:-}; shift 2 ;;
esac
if [ -z "$cardforge" ]; then
  for candidate in "$ROOT/build/release/tools/cardforge" "$ROOT/build/tools/cardforge" \
    "$(command -v cardforge)"; do
    [ -x "$candidate" ] && { cardforge=$candidate; break; }
  done
fi
[ -x "$cardforge" ] || { echo "demo: build cardforge first (make), or give --cardforge PATH" >&2; exit 2; }
if [ "$(id -u)" != 0 ]; then
  echo "demo: needs root (a private pcscd in network, mount and PID namespaces)" >&2
  exit 2
fi
cardforge=$(cd "$(dirname "$cardforge")" && pwd)/$(basename "$cardforge")

sections=("$@")
[ ${#sections[@]} -gt 0 ] || sections=("${DEMO_SECTIONS[@]}")
for section in "${sections[@]}"; do
  if ! declare -F "demo_$section" >/dev/null || [ -z "${DEMO_CARDS[$section]:-}" ]; then
    echo "demo: no section \"$section\" (sections: ${DEMO_SECTIONS[*]})" >&2
    exit 2
  fi
done

# Everything an environment leaves (its scratch folder) goes under this folder, removed at exit;
# the processes live in the environment's PID namespace and end with it.
work=$(mktemp -d "${TMPDIR:-/tmp}/cf-demo.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
interrupted=0
env_pid=
# Ctrl-C reaches every process of the demo: cf-pcsc-env stops its emulator and pcscd and returns.
# A SIGTERM or SIGHUP reaches this shell only: it kills the running environment's unshare, and
# with it (--kill-child) the environment's PID namespace and everything in it.
trap 'interrupted=130' INT
trap 'interrupted=143; [ -z "$env_pid" ] || kill -KILL "$env_pid" 2>/dev/null' TERM HUP
export CF_DEMO_INNER=1 CF_DEMO_RESULTS=$work/results TMPDIR=$work
: >"$CF_DEMO_RESULTS"

demo_start=$(date +%s%N)
i=0
env_args=()
while [ $i -lt ${#sections[@]} ] && [ "$interrupted" = 0 ]; do
  group=("${sections[$i]}")
  cards=${DEMO_CARDS[${sections[$i]}]}
  i=$((i + 1))
  while [ $i -lt ${#sections[@]} ] && [ "${DEMO_CARDS[${sections[$i]}]}" = "$cards" ]; do
    group+=("${sections[$i]}")
    i=$((i + 1))
  done
  read -ra env_args -d '' <<<"$cards"
  printf '\n%s######## private pcscd + cardforge sim:%s%s\n' "$BOLD" \
    "$(printf ' %s' "${env_args[@]}" | sed 's/:[^ ]*/:.../g; s/--card //g')" "$PLAIN"
  # In the background so that the traps run at once (a background job ignores SIGINT: env gives
  # it back); `wait` returns early when a trapped signal arrives, so wait until the job is gone.
  env --default-signal=INT "$ROOT/tests/integration/lib/cf-pcsc-env" --cardforge "$cardforge" \
    "${env_args[@]}" -- "$ROOT/scripts/demo.sh" "${group[@]}" &
  env_pid=$!
  while :; do
    wait "$env_pid" 2>/dev/null # (no "Killed" job message)
    rc=$?
    kill -0 "$env_pid" 2>/dev/null || break
  done
  env_pid=
  case $rc in 130|137|143) [ "$interrupted" != 0 ] || interrupted=$rc ;; esac
  for section in "${group[@]}"; do
    grep -q "^$section " "$CF_DEMO_RESULTS" || echo "$section not-run-$rc 0" >>"$CF_DEMO_RESULTS"
  done
done

total=$((($(date +%s%N) - demo_start) / 1000000))
printf '\n%s######## summary%s\n' "$BOLD" "$PLAIN"
failed=()
while read -r section rc ms; do
  if [ "$rc" = 0 ]; then
    printf '  %-10s ok      %5.1f s\n' "$section" "$(echo "$ms" | awk '{ print $1 / 1000 }')"
  else
    case $rc in
      not-run-125) why="(the environment did not start)" ;;
      not-run-130|not-run-137|not-run-143) why="(interrupted)" ;;
      not-run-*) why="(did not run: exit ${rc#not-run-})" ;;
      *) why="(see the \"demo:\" line above)" ;;
    esac
    printf '  %-10s FAILED  %s\n' "$section" "$why"
    failed+=("$section")
  fi
done <"$CF_DEMO_RESULTS"
secs=$(echo "$total" | awk '{ printf "%.1f", $1 / 1000 }')
if [ "$interrupted" != 0 ]; then
  echo "demo: interrupted after $secs s; the emulators and pcscd are stopped" >&2
  exit "$interrupted"
fi
if [ ${#failed[@]} -gt 0 ]; then
  echo "demo: ${#failed[@]} section(s) failed: ${failed[*]} ($secs s)" >&2
  exit 1
fi
printf '\n== done: %d sections passed in %s s; the emulators and pcscd are stopped\n' \
  "${#sections[@]}" "$secs"
