#!/bin/bash
# The pcscd load test (not part of `make check`): several clients on the emulated readers for a
# bounded time (one phase of LOAD_SECONDS: two loopback cards, a Keycard, a GlobalPlatform card and
# a China Mobile KMC on five vpcd readers at once, see tests/load/load_inner.sh), then the figures
# (APDUs, failures, lost updates, memory of the emulator and of pcscd).
#
#   scripts/loadtest.sh [BUILD_DIR]
#
# BUILD_DIR defaults to build/load, configured as a Release build if it has no cardforge or
# cf_load_client yet. Environment: LOAD_SECONDS (default 120), LOAD_CLIENTS (clients per loopback
# reader, default 3). Needs root: pcscd runs privately in network, mount and PID namespaces
# (tests/integration/lib/cf-pcsc-env), so a system pcscd is not disturbed.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build/load}
if [ ! -x "$build/tools/cardforge" ] || [ ! -x "$build/tests/load/cf_load_client" ]; then
  cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null || exit 2
  cmake --build "$build" -j"${JOBS:-2}" --target cardforge cf_load_client >/dev/null || exit 2
fi
build=$(cd "$build" && pwd)
export CF_LOAD_CLIENT=$build/tests/load/cf_load_client
exec "$here/tests/integration/lib/cf-pcsc-env" --cardforge "$build/tools/cardforge" --no-sim --readers 6 \
  --timeout 20 -- "$here/tests/load/load_inner.sh"
