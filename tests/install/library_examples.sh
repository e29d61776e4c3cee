#!/usr/bin/env bash
# The installed library as a program outside this tree sees it: installs the "library" component
# (libcardforge.so.0, libcardforge.a, the API headers, cardforge.pc) into a temporary prefix,
# checks what the shared library exports (cf_ names only, each under the version node CARDFORGE_0,
# SONAME libcardforge.so.0) and that the static archive defines the same global names, compiles
# every installed header as C and as C++ (extern "C": a C++ program links against the C names),
# builds examples/ there with pkg-config and nothing else (shared, and static against
# libcardforge.a), and runs them.
#   library_examples.sh BUILD_DIR SOURCE_DIR plain|sanitize in-process|pcsc [CF_PCSC_ENV CARDFORGE]
# in-process: the examples run against emulated cards in their own process.
# pcsc: the Keycard and GP examples run against `cardforge sim` cards behind a private pcscd
#       (CF_PCSC_ENV, needs root: exit 77, skipped, otherwise).
set -euo pipefail
[ "$#" -ge 4 ] || {
  echo "usage: library_examples.sh BUILD_DIR SOURCE_DIR plain|sanitize in-process|pcsc [CF_PCSC_ENV CARDFORGE]" >&2
  exit 2
}
build=$1 source=$2 flavour=$3 mode=$4
if [ "$mode" = pcsc ]; then
  [ "$#" -eq 6 ] || {
    echo "pcsc mode needs CF_PCSC_ENV and CARDFORGE" >&2
    exit 2
  }
  pcsc_env=$5 cardforge=$6
  [ "$(id -u)" -eq 0 ] || {
    echo "not root: the private pcscd cannot start (skipped)"
    exit 77
  }
fi

fails=0
fail() {
  echo "FAIL: $*" >&2
  fails=$((fails + 1))
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
cmake --install "$build" --component library --prefix "$prefix" >/dev/null
pcdir=$(dirname "$(find "$prefix" -name cardforge.pc)")
libdir=$(dirname "$pcdir")
export PKG_CONFIG_PATH=$pcdir
so=$libdir/libcardforge.so

# --- what is installed, and what the shared library exports
for f in "$so" "$libdir/libcardforge.so.0" "$libdir/libcardforge.a" "$prefix/include/cardforge/cardforge.h" \
  "$prefix/include/cardforge/error.h"; do
  [ -e "$f" ] || fail "not installed: ${f#"$prefix"/}"
done
soname=$(readelf -d "$so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = libcardforge.so.0 ] || fail "SONAME is \"$soname\", not libcardforge.so.0"
exports=$(nm -D --defined-only "$so" | awk '{print $3}')
[ -n "$exports" ] || fail "nm -D shows no symbol in $so"
# the version node itself is listed as an absolute symbol; every other name is cf_ and versioned
others=$(grep -v '^cf_.*@@CARDFORGE_0$' <<<"$exports" | grep -vx CARDFORGE_0 || true)
[ -z "$others" ] || fail "exported besides cf_*@@CARDFORGE_0: $(tr '\n' ' ' <<<"$others")"
for name in cf_strerror cf_transport_open_card cf_transport_open_pcsc cf_keycard_open cf_gp_put_key \
  cf_cmcc_verify_pin cf_card_profile_find; do
  grep -qx "$name@@CARDFORGE_0" <<<"$exports" || fail "$name is not exported"
done
# the static archive defines the same names and no other global one (internal names are local)
archive=$(nm -g --defined-only "$libdir/libcardforge.a" | awk 'NF == 3 { print $3 }' | sort)
[ "$archive" = "$(grep -v -x CARDFORGE_0 <<<"$exports" | sed 's/@@CARDFORGE_0$//' | sort)" ] ||
  fail "libcardforge.a's global names differ from the shared library's: $(comm -3 <(echo "$archive") <(grep -v -x CARDFORGE_0 <<<"$exports" | sed 's/@@CARDFORGE_0$//' | sort) | head -5 | tr '\n' ' ')"
# an internal header is not installed, and an internal function is not exported
[ -e "$prefix/include/cardforge/cli.h" ] && fail "the CLI header cli.h was installed"
grep -q '^keycard_client_' <<<"$exports" && fail "keycard_client_* exported"

# --- every installed header alone, as C11 and as C++ (pkg-config's flags only)
cflags=$(pkg-config --cflags cardforge)
for header in "$prefix"/include/cardforge/*.h; do
  name=$(basename "$header")
  # shellcheck disable=SC2086 # cflags: one argument per flag
  printf '#include <cardforge/%s>\n' "$name" | cc -std=c11 -Wall -Wextra -Werror $cflags -fsyntax-only -x c - ||
    fail "$name does not compile alone as C11"
  # shellcheck disable=SC2086
  printf '#include <cardforge/%s>\n' "$name" | c++ -Wall -Werror $cflags -fsyntax-only -x c++ - ||
    fail "$name does not compile as C++"
done
# a C++ program calls the library by its C names
cat >"$work/cxx.cc" <<'CXX'
#include <cardforge/cardforge.h>
#include <cstdio>
int main() { std::puts(cf_strerror(CF_ERR_CARD)); }
CXX
sanitize_flags=()
[ "$flavour" = sanitize ] && sanitize_flags=("-fsanitize=address,undefined")
# shellcheck disable=SC2046 # pkg-config: one argument per flag
c++ "${sanitize_flags[@]}" "$work/cxx.cc" -o "$work/cxx" $(pkg-config --cflags --libs cardforge) ||
  fail "a C++ program does not link against cf_strerror"
out=$(LD_LIBRARY_PATH=$libdir "$work/cxx") || fail "the C++ program exited $?"
[ "$out" = "card refused the command" ] || fail "the C++ program printed \"$out\""

# --- examples/, copied out of the tree, built with their Makefile (pkg-config only)
cp -r "$source/examples" "$work/examples"
make_flags=(-s -C "$work/examples")
[ "$flavour" = sanitize ] && make_flags+=("CFLAGS=-g -fsanitize=address,undefined" "LDFLAGS=-fsanitize=address,undefined")
make "${make_flags[@]}" >/dev/null || fail "examples: make (shared) failed"
mkdir "$work/static"
make "${make_flags[@]}" STATIC=1 clean >/dev/null
make "${make_flags[@]}" STATIC=1 >/dev/null || fail "examples: make STATIC=1 failed"
for p in keycard_session gp_put_key cmcc_flow; do
  [ -x "$work/examples/$p" ] && mv "$work/examples/$p" "$work/static/$p"
  readelf -d "$work/static/$p" 2>/dev/null | grep -q 'libcardforge\.so' && fail "static $p needs libcardforge.so"
done
make "${make_flags[@]}" >/dev/null || fail "examples: make (shared) failed"
for p in keycard_session gp_put_key cmcc_flow; do
  readelf -d "$work/examples/$p" 2>/dev/null | grep -q 'NEEDED.*\[libcardforge\.so\.0\]' ||
    fail "$p does not load libcardforge.so.0"
done
export LD_LIBRARY_PATH=$libdir

expect_lines() { # NAME OUTPUT LINE-REGEX...: every regex matches a line of OUTPUT
  local name=$1 out=$2
  shift 2
  for re in "$@"; do
    grep -qE "$re" <<<"$out" || fail "$name: no line matching /$re/ in: $out"
  done
}
keycard_lines=('^Keycard applet[ 0-9.]*, ' '^paired in slot [0-9]+$'
  '^wrong PIN refused: SW 63C2, 2 tries left$' '^key UID [0-9A-F]{64}$' '^signature r\|\|s [0-9A-F]{128}$'
  '^recovery id [0-3]$' '^unpaired slot [0-9]+$')
gp_lines=('^channel open with the factory keys, KVN FF$' '^PUT KEY: KVN 30 added \(AES-128\), check values verified$'
  '^channel open with the new keys, KVN 30$' '^wrong key refused: verification failed: ')

if [ "$mode" = in-process ]; then
  for dir in examples static; do
    out=$("$work/$dir/keycard_session" 2>&1) || fail "$dir/keycard_session exited $?: $out"
    expect_lines "$dir/keycard_session" "$out" '^Keycard applet, not initialised$' "${keycard_lines[@]}"
    out=$("$work/$dir/gp_put_key" 2>&1) || fail "$dir/gp_put_key exited $?: $out"
    expect_lines "$dir/gp_put_key" "$out" "${gp_lines[@]}"
    out=$("$work/$dir/cmcc_flow" 2>&1) || fail "$dir/cmcc_flow exited $?: $out"
    expect_lines "$dir/cmcc_flow" "$out" '^wrong PIN refused: SW 63C[0-9A-F] ' \
      '^KMC authenticated through the authentication card$' '^KMC holds [0-9]+ keys:( [0-9A-F]{2})+ \(key types\)$'
  done
  # an error is reported, not crashed on: no card of that type / no such reader
  out=$("$work/examples/keycard_session" "no such reader" 2>&1) && fail "keycard_session on a missing reader succeeded"
  grep -q '^reader no such reader: ' <<<"$out" || fail "keycard_session on a missing reader printed: $out"
else
  # reader 0: a Keycard, reader 1: a GP Security Domain, both through pcscd + vpcd
  # shellcheck disable=SC2016 # expanded by the inner shell
  out=$("$pcsc_env" --cardforge "$cardforge" --card keycard --card gp -- bash -c \
    '"$1" "Virtual PCD 00 00" && echo "--- gp" && "$2" "Virtual PCD 00 01"' _ \
    "$work/examples/keycard_session" "$work/examples/gp_put_key" 2>&1) ||
    fail "the examples through pcscd exited $?: $out"
  expect_lines "keycard_session (PC/SC)" "${out%%--- gp*}" "${keycard_lines[@]}"
  expect_lines "gp_put_key (PC/SC)" "${out#*--- gp}" "${gp_lines[@]}"
fi

[ "$fails" -eq 0 ] || exit 1
echo "library ($mode): exports cf_* only under CARDFORGE_0 ($(wc -l <<<"$exports") names), headers C and C++, examples built with pkg-config and run"
