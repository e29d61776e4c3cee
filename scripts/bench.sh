#!/usr/bin/env bash
# scripts/bench.sh BUILD_DIR: every benchmark scenario of docs/performance.md, on a Release,
# unsanitised build (what `make bench` builds), then one table.
#
#   1. in process: crypto primitives, a plain APDU per card type, the Keycard (and a `keycard shell`
#      session against ten separate commands), GP and China Mobile scenarios on memory stores,
#      then the card-writing ones again with cards in SQLite files;
#   2. through pcscd + vpcd (needs root for tests/integration/lib/cf-pcsc-env): the same commands,
#      each plain APDU against a card that does no work (bench_null_card) and, for the peer
#      comparison, against vsmartcard's Python card (vicc), when installed; then the card inside
#      pcscd (the IFD handler, ifd/) against its do-nothing twin and against the vpcd path, the
#      three in one pcscd;
#   3. instruction counts of the in-process scenarios under valgrind --tool=callgrind, when
#      valgrind is installed.
# Results: BUILD_DIR/bench/results/{results.csv,callgrind.csv,summary.csv,pcsc_rtt.csv}, the
# callgrind dumps in BUILD_DIR/bench/results/callgrind/, and the table on stdout.
#
# Environment: CF_BENCH_SECONDS time budget per measurement (default 0.4), CF_BENCH_SKIP_PCSC=1,
# CF_BENCH_SKIP_CALLGRIND=1, CF_BENCH_SKIP_PEER=1 to leave a part out.
set -u

if { [ $# -ne 1 ] && [ "${2:-}" != __pcsc ]; } || [ ! -d "${1:-}" ]; then
  echo "usage: scripts/bench.sh BUILD_DIR (a configured and built tree)" >&2
  exit 2
fi
BUILD=$(cd "$1" && pwd)
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=$BUILD/bench
OUT=$BUILD/bench/results
PY=/usr/bin/python3
SECS=${CF_BENCH_SECONDS:-0.4}
CARDFORGE=$BUILD/tools/cardforge
ENV_TOOL=$SRC/tests/integration/lib/cf-pcsc-env
failures=0

note() { printf '\n### %s\n' "$*"; }
warn() { echo "bench.sh: $*" >&2; }

# A card family configured off (CF_WITH_KEYCARD/GP/CMCC=OFF) has no bench program and no card
# type: only the benchmarks whose program exists run, and the PC/SC part asks for a card type only
# when the build has it.
have() { [ -x "$BIN/$1" ]; }

# Runs a bench program if it was built; counts failures.
run() {
  local prog=$1
  shift
  if ! have "$prog"; then
    warn "$prog not built (its card family is configured off, or a partial tree): skipped"
    return 0
  fi
  "$BIN/$prog" "$@" || {
    warn "$prog $* failed (exit $?)"
    failures=$((failures + 1))
  }
}

# ---- the part that runs inside cf-pcsc-env (a private pcscd): scripts/bench.sh BUILD __pcsc STEP ----
pcsc_inner() {
  local step=$1 csv=$2 label=$3
  # shellcheck source=/dev/null
  . "$CF_PCSC_LIB/cf-pcsc-lib.sh"
  local common=(--csv "$csv" --label "$label" --seconds "$SECS")
  case "$step" in
  null-*)
    # our card in reader 0, a no-work card answering as many bytes in reader 1
    local card=${step#null-} resp=$4
    "$BIN/bench_null_card" --port 35964 --resp "$resp" &
    local np=$!
    if cf_wait_cards 2 10; then
      # short batches in alternation: both cards see the same moments of a noisy machine
      run bench_plain --reader 0 --card "$card" --null-reader 1 --csv "$csv" --label "$label" --seconds 2 \
        --batch-us 300
      if [ "$card" = loopback ] && [ -x "$BIN/bench_pcsc_rtt" ]; then
        # the PC/SC helper's own round-trip harness, for reference (its CSV format)
        "$BIN/bench_pcsc_rtt" -r 0 -n 5000 --csv "$OUT/pcsc_rtt.csv" --label "$label" >/dev/null ||
          warn "bench_pcsc_rtt failed"
      fi
    else
      warn "the no-work card did not appear in reader 1"
      failures=$((failures + 1))
    fi
    cf_stop_pid "$np"
    ;;
  keycard) run bench_keycard --reader 0 "${common[@]}" ;;
  # a fresh card: the program initializes and pairs it through cardforge itself
  keycard-shell) run bench_keycard_shell --reader 0 --cardforge "$CARDFORGE" "${common[@]}" ;;
  gp) run bench_gp --reader 0 "${common[@]}" ;;
  cmcc)
    run bench_cmcc --reader 0 --user-reader 1 --cards 50 "${common[@]}"
    run bench_plain --reader 0 --card kmc "${common[@]}"
    run bench_plain --reader 1 --card usercard "${common[@]}"
    ;;
  ifd)
    # reader "cardforge IFD": the loopback card in the IFD handler; "cardforge IFD null": the
    # do-nothing handler; "Virtual PCD 00 00": the same card through vpcd and cardforge sim
    local ifd=(--reader "cardforge IFD 00" --card loopback --csv "$csv" --label "$label" --seconds 2 --batch-us 300)
    if cf_wait_cards 3 10; then
      run bench_plain "${ifd[@]}" --null-reader "IFD null" --floor-name "do-nothing IFD handler" --floor-target 1.15
      run bench_plain "${ifd[@]}" --peer-reader "Virtual PCD 00 00" --peer-name "vpcd + cardforge sim" \
        --peer-target 0.667
    else
      warn "the IFD readers did not show their cards"
      failures=$((failures + 1))
    fi
    ;;
  peer)
    local card=$4 apdu=$5 shim=$6
    local vicc_env=(env "PYTHONPATH=/usr/lib/python3/site-packages/virtualsmartcard:$shim")
    for variant in vicc vicc+nodelay; do
      local extra=()
      [ "$variant" = vicc+nodelay ] && extra=("PYTHONPATH=/usr/lib/python3/site-packages/virtualsmartcard:$shim:$shim/nodelay")
      "${vicc_env[@]}" "${extra[@]}" $PY /usr/bin/vicc -t iso7816 -P 35964 >>"$OUT/vicc.log" 2>&1 &
      local vp=$!
      if cf_wait_cards 2 15; then
        run bench_plain --reader 0 --card "$card" --peer-reader 1 --peer-name "$variant" --apdu "$apdu" \
          --csv "$csv" --label "$label" --seconds 2
      else
        warn "vicc ($variant) did not appear in reader 1 (see $OUT/vicc.log)"
      fi
      cf_stop_pid "$vp"
      cf_wait_cards 1 5 >/dev/null 2>&1
      sleep 0.5
    done
    ;;
  esac
  return "$failures"
}
if [ "${2:-}" = __pcsc ]; then
  shift 2
  pcsc_inner "$@"
  exit $?
fi

mkdir -p "$OUT"
CSV=$OUT/results.csv
rm -f "$CSV" "$OUT/callgrind-rows.csv" "$OUT/callgrind.csv" "$OUT/summary.csv" "$OUT/vicc.log"
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null | tr ', ' '__')
load=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo unknown)
LABEL="cpus=$(nproc) cpu=${cpu:-unknown} kernel=$(uname -r) load=$load"
case "$load" in
  0.* | unknown) ;;
  *) warn "load average $load: other work shares the CPUs, timings will wander (instruction counts do not)" ;;
esac
COMMON=(--csv "$CSV" --label "$LABEL" --seconds "$SECS")

note "in process, memory stores"
run bench_crypto "${COMMON[@]}"
run bench_plain "${COMMON[@]}"
run bench_keycard "${COMMON[@]}"
run bench_keycard_shell "${COMMON[@]}"
run bench_gp "${COMMON[@]}"
run bench_cmcc "${COMMON[@]}"
# parallel batches: 1 against 8 readers (workers), with the 20 ms per-APDU timing model and without
run bench_cmcc_parallel --csv "$CSV" --label "$LABEL"

note "in process, cards in SQLite files"
STORES=$(mktemp -d "$([ -d /dev/shm ] && echo /dev/shm || echo "$OUT")/cf-bench-stores.XXXXXX")
run bench_keycard --store "$STORES" --skip password "${COMMON[@]}"
run bench_gp --store "$STORES" "${COMMON[@]}"
run bench_cmcc --store "$STORES" --cards 100 "${COMMON[@]}"
rm -rf "$STORES"

pcsc_ok() {
  [ "${CF_BENCH_SKIP_PCSC:-0}" != 1 ] || { warn "PC/SC part skipped (CF_BENCH_SKIP_PCSC=1)"; return 1; }
  [ "$(id -u)" = 0 ] || { warn "PC/SC part skipped: cf-pcsc-env needs root"; return 1; }
  [ -x "$CARDFORGE" ] || { warn "PC/SC part skipped: $CARDFORGE not built"; return 1; }
  command -v pcscd >/dev/null || { warn "PC/SC part skipped: pcscd not installed"; return 1; }
  return 0
}

# Zero bytes then 9000: what the no-work card answers in place of a card's plain command.
zeros_9000() { printf '%0*d9000' $(($1 * 2)) 0; }

in_env() {
  "$ENV_TOOL" --cardforge "$CARDFORGE" "$@"
}

# The card types this build's emulator has (one a line).
sim_types() { "$CARDFORGE" sim --list-types 2>/dev/null | awk '/^[^ ]/ { print $1 }'; }
has_type() { sim_types | grep -qx "$1"; }

if pcsc_ok; then
  note "through pcscd + vpcd"
  self=$SRC/scripts/bench.sh
  in_env --card loopback -- "$self" "$BUILD" __pcsc null-loopback "$CSV" "$LABEL" "$(zeros_9000 8)" ||
    failures=$((failures + 1))
  if have bench_keycard && has_type keycard-applet; then
    in_env --card keycard-applet --expect-cards 1 -- "$self" "$BUILD" __pcsc null-keycard-applet "$CSV" "$LABEL" \
      "$(zeros_9000 67)" || failures=$((failures + 1))
    in_env --card keycard-applet -- "$self" "$BUILD" __pcsc keycard "$CSV" "$LABEL" || failures=$((failures + 1))
  fi
  if have bench_keycard_shell && has_type keycard; then
    # the card as shipped, as a wallet meets it
    in_env --card keycard -- "$self" "$BUILD" __pcsc keycard-shell "$CSV" "$LABEL" || failures=$((failures + 1))
  fi
  if have bench_gp && has_type gp; then
    in_env --card gp:scp=03,kvn=30 -- "$self" "$BUILD" __pcsc null-gp "$CSV" "$LABEL" "$(zeros_9000 45)" ||
      failures=$((failures + 1))
    in_env --card gp:scp=03,kvn=30 -- "$self" "$BUILD" __pcsc gp "$CSV" "$LABEL" || failures=$((failures + 1))
  fi
  if have bench_cmcc && has_type kmc && has_type usercard; then
    kmc_card=$("$BIN/bench_cmcc" --print-kmc-card)
    user_card=$("$BIN/bench_cmcc" --print-user-card)
    in_env --card "$user_card" -- "$self" "$BUILD" __pcsc null-usercard "$CSV" "$LABEL" "$(zeros_9000 4)" ||
      failures=$((failures + 1))
    in_env --card "$kmc_card" --card "$user_card" -- "$self" "$BUILD" __pcsc cmcc "$CSV" "$LABEL" ||
      failures=$((failures + 1))
  fi
  # The card inside pcscd: the IFD handler's loopback card, the do-nothing handler and the vpcd
  # path in one pcscd (reader.conf entries made here for this build's modules).
  if [ -r "$BUILD/ifd/libcardforge_ifd.so" ] && [ -r "$BUILD/ifd/libcardforge_ifd_null.so" ]; then
    ifd_conf=$(mktemp -d "$OUT/ifd-conf.XXXXXX")
    printf 'state-dir @ENV_DIR@/ifd-cards\nreader 0 loopback\n' >"$ifd_conf/ifd-cards.conf"
    printf 'FRIENDLYNAME "cardforge IFD"\nDEVICENAME @ENV_DIR@/ifd-cards.conf:0\nLIBPATH %s\nCHANNELID 0\n' \
      "$BUILD/ifd/libcardforge_ifd.so" >"$ifd_conf/ifd-cardforge"
    printf 'FRIENDLYNAME "cardforge IFD null"\nDEVICENAME none:0\nLIBPATH %s\nCHANNELID 1\n' \
      "$BUILD/ifd/libcardforge_ifd_null.so" >"$ifd_conf/ifd-null"
    in_env --card loopback --expect-cards 3 --env-file "$ifd_conf/ifd-cards.conf" \
      --reader-conf "$ifd_conf/ifd-cardforge" --reader-conf "$ifd_conf/ifd-null" -- \
      "$self" "$BUILD" __pcsc ifd "$CSV" "$LABEL" || failures=$((failures + 1))
    rm -rf "$ifd_conf"
  else
    warn "IFD handler part skipped: $BUILD/ifd/libcardforge_ifd.so not built (no libpcsclite-dev?)"
  fi
  # The peer: vsmartcard's vicc (Debian vsmartcard-vpicc). Debian 12 installs its module outside
  # Python's path and does not pull in PyCryptodome's "Crypto" name: both are set up here, in a
  # scratch directory, without touching the system.
  if [ "${CF_BENCH_SKIP_PEER:-0}" = 1 ]; then
    warn "peer comparison skipped (CF_BENCH_SKIP_PEER=1)"
  elif [ ! -x /usr/bin/vicc ] || [ ! -d /usr/lib/python3/site-packages/virtualsmartcard ]; then
    warn "peer comparison skipped: vsmartcard-vpicc is not installed"
  elif [ ! -d /usr/lib/python3/dist-packages/Cryptodome ]; then
    warn "peer comparison skipped: vicc needs python3-pycryptodome"
  else
    shim=$(mktemp -d "$OUT/vicc-shim.XXXXXX")
    ln -s /usr/lib/python3/dist-packages/Cryptodome "$shim/Crypto"
    mkdir -p "$shim/nodelay"
    cp "$SRC/bench/vicc_nodelay.py" "$shim/nodelay/sitecustomize.py"
    # the same plain command for both: GET CHALLENGE of 4 bytes, on our user card when it exists
    if have bench_cmcc && has_type usercard; then
      peer_card=$("$BIN/bench_cmcc" --print-user-card 2>/dev/null || echo usercard)
      peer_type=usercard
    else
      peer_card=loopback
      peer_type=loopback
    fi
    in_env --card "$peer_card" -- "$self" "$BUILD" __pcsc peer "$CSV" "$LABEL" "$peer_type" 0084000004 "$shim" ||
      failures=$((failures + 1))
    rm -rf "$shim"
  fi
fi

CG_ARGS=()
if [ "${CF_BENCH_SKIP_CALLGRIND:-0}" != 1 ] && command -v valgrind >/dev/null; then
  note "instruction counts (valgrind --tool=callgrind)"
  rm -rf "$OUT/callgrind"
  mkdir -p "$OUT/callgrind"
  cg() {
    local prog=$1
    shift
    [ -x "$BIN/$prog" ] || return 0
    echo "callgrind: $prog $*"
    (cd "$OUT/callgrind" && valgrind --tool=callgrind --dump-instr=no --callgrind-out-file="callgrind.out.%p" \
      "$BIN/$prog" --csv "$OUT/callgrind-rows.csv" "$@" >/dev/null 2>"$OUT/callgrind/$prog.log") ||
      { warn "callgrind run of $prog failed (see $OUT/callgrind/$prog.log)"; failures=$((failures + 1)); }
  }
  cg bench_crypto --iters 20 --skip PBKDF2
  cg bench_plain --iters 2000
  cg bench_keycard --iters 10 --skip password
  cg bench_gp --iters 200
  cg bench_cmcc --iters 2 --cards 50
  CG_ARGS=(--callgrind-rows "$OUT/callgrind-rows.csv" --callgrind-dir "$OUT/callgrind"
    --callgrind-csv "$OUT/callgrind.csv")
else
  warn "instruction counts skipped (no valgrind, or CF_BENCH_SKIP_CALLGRIND=1)"
fi

note "results ($OUT)"
$PY "$SRC/bench/report.py" --results "$CSV" "${CG_ARGS[@]}" --summary "$OUT/summary.csv" || failures=$((failures + 1))
if [ "$failures" -gt 0 ]; then
  warn "$failures benchmark step(s) failed"
  exit 1
fi
exit 0
