#!/bin/bash
# Ten pairings plus an ephemeral one on one emulated Keycard 3.2 through pcscd, by keycard-manager
# (the published npm client; independent/keycard_manager_pairings.js).
#   keycard_pairings.sh NODE_DIR   (where install_independent_client.sh installed the client)
. "$CF_PCSC_LIB/cf-pcsc-lib.sh"
set -u
node_dir=${1:?usage: keycard_pairings.sh NODE_DIR}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[ -d "$node_dir/node_modules/keycard-manager" ] || cf_fail "keycard-manager is not installed in $node_dir"

out=$(node "$here/independent/keycard_manager_pairings.js" "$node_dir/node_modules" "$here/independent/pcsc_bridge.py" \
  "Virtual PCD 00 00" 2>&1) || cf_fail "the independent client failed: $out"
echo "$out"
cf_expect_contains "$out" "ten pairings and an ephemeral one: ok" "keycard-manager pairings"
