#!/usr/bin/env bash
# Installs the Debian packages cardforge needs to build, test and demonstrate, if any is missing.
# Safe to run repeatedly; needs root (or sudo) only when something is missing.
set -euo pipefail

PKGS=(
  build-essential cmake pkg-config clang clang-format
  libssl-dev libsecp256k1-dev libsqlite3-dev libcmocka-dev
  libicu-dev libjansson-dev zlib1g-dev
  libpcsclite-dev pcscd vsmartcard-vpcd pcsc-tools opensc python3-pyscard
  python3-cryptography openssl python3-mnemonic
  iproute2 util-linux procps
  # the man pages are made at build time from --help (help2man); the install test renders them (man)
  help2man man-db
  # the PKCS#11 key store (docs/hsm.md): p11-kit's PKCS#11 header, SoftHSM2 as the default token
  libp11-kit-dev softhsm2
)
# The independent Keycard client test runs a published npm package: any Node.js with npm will do,
# Debian's only when the machine has none (a nodesource build would conflict with Debian's npm).
command -v node >/dev/null 2>&1 || PKGS+=(nodejs)
command -v npm >/dev/null 2>&1 || PKGS+=(npm)
[ "$#" -gt 0 ] && PKGS+=("$@")

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
