#!/bin/bash
# `cardforge` offers exactly the card families of its build: `--help` lists a family's subcommand
# and `sim --list-types` its card types iff the family is on; the subcommand of a family that is
# off is an unknown command (exit 2).
#   cli_families.sh CARDFORGE KEYCARD GP CMCC     (each ON or OFF, the build's options)
set -u
cf=$1
declare -A on=([keycard]=$2 [gp]=$3 [cmcc]=$4)
declare -A types=([keycard]="keycard-applet" [gp]="gp" [cmcc]="kmc authcard workcard usercard sam terminal")
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

help=$("$cf" --help) || fail "cardforge --help exits $?"
list=$("$cf" sim --list-types) || fail "cardforge sim --list-types exits $?"
grep -q '^loopback ' <<<"$list" || fail "sim --list-types: no loopback card"
for family in keycard gp cmcc; do
  listed=0
  grep -qE "^  $family +" <<<"$help" && listed=1
  if [ "${on[$family]}" = ON ]; then
    [ $listed = 1 ] || fail "--help does not list $family (its family is on)"
  else
    [ $listed = 0 ] || fail "--help lists $family (its family is off)"
    out=$("$cf" "$family" --help 2>&1) && rc=0 || rc=$?
    [ $rc = 2 ] || fail "cardforge $family: exit $rc, expected 2 (unknown command)"
    grep -q "unknown command \"$family\"" <<<"$out" || fail "cardforge $family: no 'unknown command' in: $out"
  fi
  for t in ${types[$family]}; do
    shown=0
    grep -qE "^$t +" <<<"$list" && shown=1
    [ "${on[$family]}" = ON ] && [ $shown = 0 ] && fail "sim --list-types does not show $t"
    [ "${on[$family]}" = OFF ] && [ $shown = 1 ] && fail "sim --list-types shows $t (family $family is off)"
  done
done
[ $failures = 0 ] && echo "ok: keycard=${on[keycard]} gp=${on[gp]} cmcc=${on[cmcc]}"
[ $failures = 0 ]
