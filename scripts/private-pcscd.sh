#!/bin/bash
# Runs a command (an interactive shell by default) beside emulated cards on a PRIVATE pcscd, in its
# own network, mount and PID namespaces: vpcd's TCP ports (35963 and up), which Debian's vpcd opens on
# every interface, are then reachable from this namespace only, and nothing is left behind when the
# command ends. Needs root (unshare). The options are cf-pcsc-env's (tests/integration/lib/cf-pcsc-env,
# the helper every integration test uses):
#
#   scripts/private-pcscd.sh --card keycard --card gp                 # a shell; `cardforge readers`
#   scripts/private-pcscd.sh --card gp -- cardforge gp info           # one command
#
# The cardforge used is $CARDFORGE, else build/release/tools/cardforge (make build / make demo),
# else the one in PATH; inside, it is on PATH as `cardforge`.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${CARDFORGE:-}" ]; then
  if [ -x "$top/build/release/tools/cardforge" ]; then
    CARDFORGE=$top/build/release/tools/cardforge
  else
    CARDFORGE=$(command -v cardforge) || { echo "private-pcscd: no cardforge (run make build, or set CARDFORGE)" >&2; exit 2; }
  fi
fi
args=() cmd=()
while [ $# -gt 0 ]; do
  if [ "$1" = "--" ]; then shift; cmd=("$@"); break; fi
  args+=("$1"); shift
done
[ ${#cmd[@]} -gt 0 ] || cmd=("${SHELL:-/bin/bash}")
bindir=$(mktemp -d)
trap 'rm -rf "$bindir"' EXIT
ln -s "$CARDFORGE" "$bindir/cardforge"
PATH="$bindir:$PATH" "$top/tests/integration/lib/cf-pcsc-env" --cardforge "$CARDFORGE" "${args[@]}" -- "${cmd[@]}"
