#!/bin/bash
# Runs every libFuzzer harness of a CF_FUZZ build for a bounded time and prints, per harness, the
# executions, the corpus size and the findings.
#
#   scripts/fuzz.sh BUILD_DIR [HARNESS...]
#
# Environment:
#   FUZZ_SECONDS         time per harness (default 60)
#   FUZZ_WORK            where corpora and findings live (default BUILD_DIR/fuzz-work); the corpus
#                        grows from run to run, findings stay until removed
#   FUZZ_ARGS            extra libFuzzer options
#
# The seed corpus comes from cf_fuzz_seedgen (the integration flows' APDU traces). Each harness
# first replays tests/robustness/regressions/HARNESS/ (earlier findings): an input that still fails
# is an open finding. A finding is a crash, a sanitizer report, a timeout or an out-of-memory; its
# input is kept in FUZZ_WORK/findings/HARNESS/ and the script exits 1. Turn it into a regression
# test by copying the input to tests/robustness/regressions/HARNESS/ (ctest replays every file there
# too, built with the ordinary compiler).
set -u

build=${1:-}
if [ -z "$build" ] || [ ! -d "$build/fuzz" ]; then
  echo "usage: scripts/fuzz.sh BUILD_DIR [HARNESS...]   (BUILD_DIR configured with -DCF_FUZZ=ON)" >&2
  exit 2
fi
shift
build=$(cd "$build" && pwd)
seconds=${FUZZ_SECONDS:-60}
work=${FUZZ_WORK:-$build/fuzz-work}
here=$(cd "$(dirname "$0")/.." && pwd)
regressions=$here/tests/robustness/regressions

if [ $# -gt 0 ]; then
  harnesses=("$@")
else
  mapfile -t harnesses <"$build/fuzz/harnesses.txt"
fi

mkdir -p "$work/seeds" "$work/corpus" "$work/findings" "$work/logs" || exit 2
if ! "$build/fuzz/cf_fuzz_seedgen" "$work/seeds" >"$work/logs/seedgen.log" 2>&1; then
  echo "fuzz: the seed generator failed:" >&2
  cat "$work/logs/seedgen.log" >&2
  exit 2
fi
tail -n 1 "$work/logs/seedgen.log"

total_findings=0
summary=()
report=()
for h in "${harnesses[@]}"; do
  [ -n "$h" ] || continue
  bin=$build/fuzz/fuzz_$h
  if [ ! -x "$bin" ]; then
    echo "fuzz: no harness $bin" >&2
    exit 2
  fi
  corpus=$work/corpus/$h
  findings=$work/findings/$h
  mkdir -p "$corpus" "$findings"
  seeds=("$work/seeds/$h")
  [ -d "$regressions/$h" ] && seeds+=("$regressions/$h")
  rm -f "$work/logs/$h".*.log
  # the regression inputs of earlier findings first: one that still fails is an open finding
  reg_open=0
  if [ -d "$regressions/$h" ]; then
    mapfile -t regs < <(find "$regressions/$h" -type f ! -name '.*' | sort)
    for r in "${regs[@]}"; do
      if ! "$bin" "$r" >"$work/logs/$h.regression.log" 2>&1; then
        why=$(grep -m 1 -E "cardforge fuzz finding:|SUMMARY:" "$work/logs/$h.regression.log")
        report+=("$h: regression input still fails: ${why:-see $work/logs/$h.regression.log}"$'\n'"    input: $r")
        reg_open=$((reg_open + 1))
      fi
    done
  fi
  before=$(find "$findings" -type f | wc -l)
  execs=0
  start=$(date +%s)
  runs=0
  # libFuzzer stops at its first finding: start it again (at most 8 times) until the time is used.
  while :; do
    now=$(date +%s)
    left=$((seconds - (now - start)))
    [ "$left" -gt 0 ] && [ "$runs" -lt 8 ] || break
    runs=$((runs + 1))
    log=$work/logs/$h.$runs.log
    # shellcheck disable=SC2086
    "$bin" -max_total_time="$left" -timeout=10 -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1 \
      -artifact_prefix="$findings/" ${FUZZ_ARGS:-} "$corpus" "${seeds[@]}" >"$log" 2>&1
    rc=$?
    # executions: the final statistics, or after a finding the last progress line (#N)
    n=$(awk -F': *' '/^stat::number_of_executed_units/ { print $2 }' "$log" | tail -n 1)
    [ -n "$n" ] || n=$(sed -n 's/^#\([0-9][0-9]*\).*/\1/p' "$log" | tail -n 1)
    execs=$((execs + ${n:-0}))
    [ "$rc" = 0 ] && break
    artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
    if [ -z "$artifact" ]; then
      echo "fuzz: $h stopped (exit $rc) without a finding; see $log" >&2
      break
    fi
    why=$(grep -m 1 -E "cardforge fuzz finding:|SUMMARY:|ERROR: libFuzzer" "$log")
    report+=("$h: ${why:-exit $rc}"$'\n'"    input: $artifact")
  done
  elapsed=$(($(date +%s) - start))
  after=$(find "$findings" -type f | wc -l)
  new=$((after - before))
  total_findings=$((total_findings + after + reg_open))
  rate=$((elapsed > 0 ? execs / elapsed : execs))
  csize=$(find "$corpus" -type f | wc -l)
  summary+=("$(printf '%-10s %8s %12s %9s %8s %6s %6s' "$h" "$elapsed" "$execs" "$rate" "$csize" "$new" \
    "$((after + reg_open))")")
done

echo
printf '%-10s %8s %12s %9s %8s %6s %6s\n' harness seconds executions exec/s corpus new open
for line in "${summary[@]}"; do echo "$line"; done
for line in "${report[@]}"; do echo "finding: $line"; done
if [ "$total_findings" -gt 0 ]; then
  echo "fuzz: $total_findings finding(s) in $work/findings" >&2
  exit 1
fi
exit 0
