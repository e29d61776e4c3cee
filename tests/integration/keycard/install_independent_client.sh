#!/bin/bash
# Installs the independent Keycard client (keycard-manager from the npm registry, at the versions
# pinned in independent/package-lock.json) into DEST, for keycard_independent.sh.
#   install_independent_client.sh DEST
# Needs node and npm (Debian: nodejs, npm) and the npm registry. Reinstalls only when the lock file
# changed. No install scripts run (--ignore-scripts): the client is plain JavaScript.
set -eu
dest=${1:?usage: install_independent_client.sh DEST}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
command -v npm >/dev/null || { echo "install_independent_client: npm is not installed" >&2; exit 1; }
mkdir -p "$dest"
if [ -d "$dest/node_modules/keycard-manager" ] && cmp -s "$here/independent/package-lock.json" "$dest/package-lock.json"; then
  exit 0
fi
cp "$here/independent/package.json" "$here/independent/package-lock.json" "$dest/"
cd "$dest"
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
test -f node_modules/keycard-manager/dist/cjs/applet/keycard-command-set.js
