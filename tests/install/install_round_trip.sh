#!/usr/bin/env bash
# Installs the build into a temporary DESTDIR (the build's prefix under it) and checks what is
# there: the program, the IFD driver and its reader.conf example, a man page per family that
# `man -l` renders without a warning, the bash completion, the documentation; that the installed
# program runs and its completion completes; then that uninstall removes every file it installed.
# The library's files are checked to be there (tests/install/library_examples.sh uses them).
#   install_round_trip.sh BUILD_DIR PREFIX BINDIR LIBDIR MANDIR DATAROOTDIR DOCDIR ifd|no-ifd VERSION INCLUDEDIR
set -euo pipefail
[ "$#" -eq 10 ] || {
  echo "usage: install_round_trip.sh BUILD_DIR PREFIX BINDIR LIBDIR MANDIR DATAROOTDIR DOCDIR ifd|no-ifd VERSION INCLUDEDIR" >&2
  exit 2
}
build=$1 prefix=$2 ifd=$8 version=$9
under_prefix() { case $1 in /*) echo "$1" ;; *) echo "$prefix/$1" ;; esac }
bindir=$(under_prefix "$3") libdir=$(under_prefix "$4") mandir=$(under_prefix "$5")
datarootdir=$(under_prefix "$6") docdir=$(under_prefix "$7") includedir=$(under_prefix "${10}")

fails=0
fail() {
  echo "FAIL: $*" >&2
  fails=$((fails + 1))
}

dest=$(mktemp -d)
manifest=$build/install_manifest.txt
saved=""
# the build directory's manifest belongs to whoever installed from it last: kept and put back
if [ -f "$manifest" ]; then
  saved=$(mktemp)
  cp "$manifest" "$saved"
fi
cleanup() {
  rm -rf "$dest"
  if [ -n "$saved" ]; then mv "$saved" "$manifest"; else rm -f "$manifest"; fi
}
trap cleanup EXIT

DESTDIR=$dest cmake --install "$build" >/dev/null
root=$dest

# --- the files
cardforge=$root$bindir/cardforge
expect=(
  "$bindir/cardforge"
  "$datarootdir/bash-completion/completions/cardforge"
  "$docdir/README.md" "$docdir/LICENSE" "$docdir/docs/cli.md" "$docdir/docs/architecture.md"
  "$mandir/man1/cardforge.1"
  "$libdir/libcardforge.so.0" "$libdir/libcardforge.a" "$libdir/pkgconfig/cardforge.pc"
  "$includedir/cardforge/cardforge.h" "$includedir/cardforge/error.h" "$includedir/cardforge/transport.h"
)
[ "$ifd" = ifd ] && expect+=("$libdir/pcsc/libcardforge_ifd.so" "$docdir/reader.conf.example" "$docdir/ifd.conf.example")
for f in "${expect[@]}"; do
  [ -f "$root$f" ] || fail "not installed: $f"
done
[ -x "$cardforge" ] || fail "$bindir/cardforge is not executable"
if [ "$ifd" = ifd ]; then
  # the example points where the driver was installed, not into the build tree
  grep -qx "LIBPATH *$libdir/pcsc/libcardforge_ifd.so" "$root$docdir/reader.conf.example" ||
    fail "reader.conf.example does not name $libdir/pcsc/libcardforge_ifd.so"
  [ -f "$root$libdir/pcsc/libcardforge_ifd_null.so" ] && fail "the measurement driver libcardforge_ifd_null.so was installed"
fi

# --- the installed program
out=$("$cardforge" --version) || fail "cardforge --version exited $?"
[ "$out" = "cardforge $version" ] || fail "cardforge --version printed \"$out\", not \"cardforge $version\""

# --- a man page for the program and each family it lists, rendered without a warning
families=$("$cardforge" --help | awk '!seen && /^commands:$/ { on = 1; next } on && /^$/ { on = 0; seen = 1 } on && /^  [a-z]/ { print $1 }')
[ -n "$families" ] || fail "no families in cardforge --help"
pages=(cardforge)
for family in $families; do pages+=("cardforge-$family"); done
for name in "${pages[@]}"; do
  page=$root$mandir/man1/$name.1
  if [ ! -f "$page" ]; then
    fail "no man page $name.1"
    continue
  fi
  warnings=$(MANWIDTH=80 man -l "$page" 2>&1 >/dev/null) || fail "man -l $name.1 exited $?"
  [ -z "$warnings" ] || fail "man -l $name.1 warns: $warnings"
  text=$(MANWIDTH=200 man -l "$page" 2>/dev/null | col -b)
  for section in NAME DESCRIPTION "EXIT STATUS" ENVIRONMENT "SEE ALSO"; do
    grep -qx "$section" <<<"$text" || fail "$name.1 has no $section section"
  done
  grep -q "^ *7 *another program reset or used the card" <<<"$text" || fail "$name.1: EXIT STATUS lacks docs/cli.md's code 7"
done
# a family page holds every command of the family's help (the help is the page's source)
for family in $families; do
  text=$(MANWIDTH=200 man -l "$root$mandir/man1/cardforge-$family.1" 2>/dev/null | col -b) || continue
  for command in $("$cardforge" "$family" --help | awk '!seen && tolower($0) ~ /^commands:$/ { on = 1; next } on && /^$/ { on = 0; seen = 1 } on && /^  [a-z]/ { print $1 }'); do
    grep -qw -- "$command" <<<"$text" || fail "cardforge-$family.1 does not mention its command $command"
  done
done
grep -q CARDFORGE_PIN <<<"$(man -l "$root$mandir/man1/cardforge-keycard.1" 2>/dev/null)" ||
  fail "cardforge-keycard.1 does not name CARDFORGE_PIN"

# --- bash completion, as bash runs it: COMP_WORDS / COMP_CWORD and the registered function
complete_line() { # prints the completions of a command line (the last word being completed)
  PATH="$root$bindir:$PATH" bash -c '
    source "$1"
    fn=$(complete -p cardforge | sed -n "s/.*-F \([^ ]*\) cardforge$/\1/p")
    read -ra COMP_WORDS <<<"$2"
    [[ $2 == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    "$fn"
    printf "%s\n" "${COMPREPLY[@]}"' _ "$root$datarootdir/bash-completion/completions/cardforge" "$1"
}
check_completion() { # LINE EXPECTED...: the completions are exactly EXPECTED
  local line=$1 got want
  shift
  got=$(complete_line "$line" | sort | tr '\n' ' ')
  want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
  [ "$got" = "$want" ] || fail "completion of \"$line\": got \"$got\", want \"$want\""
}
check_completion "cardforge k" keycard
check_completion "cardforge --v" --version
check_completion "cardforge apdu --r" --raw --reader --reset
if grep -qx gp <<<"$families"; then
  check_completion "cardforge gp put-key --new-k" --new-key --new-key-file --new-kvn
  # an option's value is no command: "30" is skipped, "a" completes gp's commands
  check_completion "cardforge gp --key-ver 30 a" apdu auth
fi
grep -qx cmcc <<<"$families" && check_completion "cardforge -r 1 cmcc hsm-" hsm-init hsm-list
# every family the help lists, and nothing else, after "cardforge "
# shellcheck disable=SC2086 # one argument per family
check_completion "cardforge " $families

# --- uninstall: every file it installed is gone, and the directories only cardforge fills
DESTDIR=$dest cmake --build "$build" --target uninstall >/dev/null
left=$(find "$dest" ! -type d)
[ -z "$left" ] || fail "left after uninstall: $left"
[ -e "$root$docdir" ] && fail "uninstall left $docdir"
[ -e "$root$includedir/cardforge" ] && fail "uninstall left $includedir/cardforge"

[ "$fails" -eq 0 ] || exit 1
echo "install round trip: ${#expect[@]} files checked, ${#pages[@]} man pages rendered, uninstall clean"
