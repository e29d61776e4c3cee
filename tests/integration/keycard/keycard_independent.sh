#!/bin/bash
# The independent-client test: keycard-manager (published on the npm registry, not ours) pairs with
# `cardforge sim --card keycard` through pcscd, opens the secure channel, verifies the PIN, generates
# a key and signs (independent/keycard_manager_client.js). Then cardforge's own client pairs in
# another slot, sees the same key UID and signs the same hash with the same public key.
#   keycard_independent.sh NODE_DIR   (where install_independent_client.sh installed the client)
. "$CF_PCSC_LIB/cf-pcsc-lib.sh"
set -u
node_dir=${1:?usage: keycard_independent.sh NODE_DIR}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[ -d "$node_dir/node_modules/keycard-manager" ] || cf_fail "keycard-manager is not installed in $node_dir"
reader="Virtual PCD 00 00"

out=$(node "$here/independent/keycard_manager_client.js" "$node_dir/node_modules" "$here/independent/pcsc_bridge.py" \
  "$reader" 2>&1) || cf_fail "the independent client failed: $out"
echo "$out"
cf_expect_contains "$out" "independent client: ok" "keycard-manager run"
uid=$(echo "$out" | sed -n 's/^key-uid: //p')
pub=$(echo "$out" | sed -n 's/^public-key: //p')
hash=$(echo "$out" | sed -n 's/^hash: //p')
[ ${#uid} = 64 ] && [ ${#pub} = 130 ] && [ ${#hash} = 64 ] || cf_fail "unexpected client output"

export CARDFORGE_HOME=$CF_PCSC_ENV_DIR/home CARDFORGE_PIN=123456
out=$("$CARDFORGE" --reader "$reader" keycard pair) || cf_fail "cardforge pair after the independent client"
cf_expect_contains "$out" "pairing-slot: 1" "second pairing slot"
out=$("$CARDFORGE" --reader "$reader" keycard info) || cf_fail "cardforge info"
cf_expect_contains "$out" "key-uid: $uid" "the key the independent client generated"
out=$("$CARDFORGE" --reader "$reader" keycard sign --hash "$hash") || cf_fail "cardforge sign"
cf_expect_contains "$out" "public-key: $pub" "same signing key for both clients"
echo "independent client and cardforge agree: ok"
