#!/bin/bash
# cardforge demonstration (`make demo`): emulated cards plugged into a private pcscd through vpcd,
# used by ordinary PC/SC tools and by the cardforge CLI. Needs root (network, mount and PID
# namespaces, see tests/integration/lib/cf-pcsc-env); starts and stops everything it uses.
#
#   scripts/demo.sh [--cardforge PATH] [SECTION...]
#
# With no SECTION every section of DEMO_SECTIONS runs in order. Each section is a function
# demo_<name>. To add one: write the function (use `say` for a heading and `run` for each
# command, so the audience sees what is typed), append its name to DEMO_SECTIONS, and append the
# cards it needs to DEMO_CARDS. The Nth --card sits in reader N (`--reader N` / `-r N`); the
# environment offers as many readers as there are cards (names: `cardforge readers`).
# Inside a section: $CARDFORGE is the cardforge executable, $CF_PCSC_ENV_DIR a scratch folder.
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# ---- what the demo runs ----
DEMO_CARDS=(--card loopback)
DEMO_SECTIONS=(readers opensc scriptor cardforge)

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
  local script=$CF_PCSC_ENV_DIR/demo.scr
  cat >"$script" <<EOF
reset
00 A4 04 00 07 F0 63 66 6C 6F 6F 70
80 01 00 00 03 CA FE 00
80 02 01 2C 00
00 C0 00 00 2C
80 04 00 00 04
EOF
  run cat "$script"
  run scriptor -r "Virtual PCD 00 00" "$script"
}

demo_cardforge() {
  say "the cardforge CLI: readers, APDUs (61XX followed automatically), trace, exit codes"
  run "$CARDFORGE" readers
  run "$CARDFORGE" apdu 00A4040007$LOOPBACK_AID "80 02 01 2C 00" 80040000
  run "$CARDFORGE" --trace apdu 8001000003010203
  run "$CARDFORGE" apdu 80030000026A82
  echo "(exit code $? = card refused the command)"
}

# ---- machinery ----
if [ -t 1 ]; then BOLD=$'\033[1m' CYAN=$'\033[36m' PLAIN=$'\033[0m'; else BOLD= CYAN= PLAIN=; fi
say() { printf '\n%s== %s%s\n' "$BOLD" "$*" "$PLAIN"; }

# Shows the command, runs it, and keeps going when it fails (a demo shows failures too).
run() {
  printf '%s$ %s%s\n' "$CYAN" "$(printf '%q ' "$@" | sed "s|$CARDFORGE|cardforge|g")" "$PLAIN"
  "$@"
}

if [ -z "${CF_DEMO_INNER:-}" ]; then
  cardforge=${CARDFORGE:-}
  if [ "${1:-}" = --cardforge ]; then
    cardforge=$2
    shift 2
  fi
  if [ -z "$cardforge" ]; then
    for candidate in "$ROOT/build/tools/cardforge" "$(command -v cardforge)"; do
      [ -x "$candidate" ] && { cardforge=$candidate; break; }
    done
  fi
  [ -x "$cardforge" ] || { echo "demo: build cardforge first (make), or give --cardforge PATH" >&2; exit 2; }
  export CF_DEMO_INNER=1
  exec "$ROOT/tests/integration/lib/cf-pcsc-env" --cardforge "$cardforge" "${DEMO_CARDS[@]}" -- \
    "${BASH_SOURCE[0]}" "$@"
fi

sections=("$@")
[ ${#sections[@]} -gt 0 ] || sections=("${DEMO_SECTIONS[@]}")
for section in "${sections[@]}"; do
  if ! declare -F "demo_$section" >/dev/null; then
    echo "demo: no section \"$section\" (sections: ${DEMO_SECTIONS[*]})" >&2
    exit 2
  fi
  "demo_$section"
done
printf '\n== done: the emulator and pcscd are being stopped\n'
