#!/bin/bash
# The documentation test must fail when a documented command fails: run_doc_commands.py against
# fixtures (fixtures/*.md), each with the exit status and the message it must give.
set -u
here=$(cd "$(dirname "$0")" && pwd)
cardforge=$1 env=$2
run() { "$here/run_doc_commands.py" --cardforge "$cardforge" --env "$env" --root "$here" "$here/fixtures/$1" 2>&1; }
fail() { echo "FAIL: $*" >&2; exit 1; }
expect() { # fixture exit-status text
  local out rc
  out=$(run "$1") && rc=0 || rc=$?
  [ "$rc" = "$2" ] || fail "$1: exit $rc, expected $2; output:
$out"
  case "$out" in *"$3"*) ;; *) fail "$1: no [$3] in:
$out" ;; esac
  echo "ok $1 (exit $rc)"
}
expect runs.md 0 "ok   fixtures/runs.md:31 (exit 0): test \"\$DOC_TEST_VALUE\" = 42 && echo fine"
out=$(run runs.md)
case "$out" in *"fixtures/runs.md:4: not run: shows that a marked block is skipped"*) ;; *) fail "skipped block not reported: $out" ;; esac
case "$out" in *"never run"*) fail "a text block ran: $out" ;; esac
expect fails.md 1 "FAIL fixtures/fails.md:5: exit 3, the document expects 0: cardforge apdu 80030000026A82"
case "$(run fails.md)" in *"fails.md:6"*) fail "fails.md: the test went on after a failed command" ;; esac
expect wrong_exit.md 1 "FAIL fixtures/wrong_exit.md:5: exit 0, the document expects 3"
expect untagged_output.md 1 "fixtures/untagged_output.md:4: '6F 4E 84 08 A000000151000000' is not a command"
expect empty_reason.md 1 "fixtures/empty_reason.md:3: not-run marker without a reason"
