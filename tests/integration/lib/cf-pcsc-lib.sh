# Helpers for tests running under cf-pcsc-env (source this file; bash).
# They act only on processes recorded in $CF_PCSC_ENV_DIR/*.pid, never by name.

# Stops one process by id: SIGTERM, then SIGKILL after 5 s. Works for non-children too (a
# zombie counts as gone).
cf_stop_pid() {
  local pid=$1 i
  [ -n "$pid" ] || return 0
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null
  for i in $(seq 1 50); do
    cf_pid_alive "$pid" || { wait "$pid" 2>/dev/null; return 0; }
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  return 0
}

# True while pid runs (and is not a zombie).
cf_pid_alive() {
  local state
  kill -0 "$1" 2>/dev/null || return 1
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ "$state" != Z ]
}

# Writes a reader.conf.d for N vpcd readers (N rounded up to even) into DIR/vpcd.conf.d.
# Debian 12's vpcd has two slots per driver instance and keeps its state in globals indexed by
# slot, so two reader.conf entries with the same driver file share (and break) that state. Each
# further pair of readers therefore loads its own copy of the driver file (dlopen of another path
# gives fresh globals). Reader 2k and 2k+1 listen on ports 35963 + 2k and + 2k + 1 and are
# named "Virtual PCD 00 0x" for k = 0 (the packaged names) and "Virtual PCD k 00 0x" after.
cf_write_reader_conf() {
  local readers=$1 dir=$2 k pairs lib name port
  local system_lib
  system_lib=$(awk '$1 == "LIBPATH" { print $2; exit }' /etc/reader.conf.d/vpcd 2>/dev/null)
  [ -n "$system_lib" ] || system_lib=/usr/lib/pcsc/drivers/serial/libifdvpcd.so
  [ -r "$system_lib" ] || { echo "cf-pcsc-env: vpcd driver not found ($system_lib)" >&2; return 1; }
  mkdir -p "$dir/vpcd.conf.d" "$dir/drivers" || return 1
  pairs=$(((readers + 1) / 2))
  for k in $(seq 0 $((pairs - 1))); do
    port=$((35963 + 2 * k))
    lib=$system_lib
    name="Virtual PCD"
    if [ "$k" -gt 0 ]; then
      lib=$dir/drivers/libifdvpcd-$k.so
      cp "$system_lib" "$lib" || return 1
      name="Virtual PCD $k"
    fi
    printf 'FRIENDLYNAME "%s"\nDEVICENAME   /dev/null:0x%X\nLIBPATH      %s\nCHANNELID    0x%X\n' \
      "$name" "$port" "$lib" "$port" >"$dir/vpcd.conf.d/vpcd-$(printf %02d "$k")"
  done
}

# Adds a reader.conf entry FILE to DIR/vpcd.conf.d (after cf_write_reader_conf), "@ENV_DIR@"
# replaced by DIR. The entry keeps its file name, so two entries need two names.
cf_add_reader_conf() {
  local file=$1 dir=$2
  [ -r "$file" ] || { echo "cf-pcsc-env: reader configuration $file not readable" >&2; return 1; }
  sed "s|@ENV_DIR@|$dir|g" "$file" >"$dir/vpcd.conf.d/$(basename "$file")"
}

# Starts pcscd in the foreground mode, in the background; records its pid in pcscd.pid and waits
# for its socket and for vpcd's last port. Uses $CF_PCSC_ENV_DIR/vpcd.conf.d when it exists
# (more than two readers), else the system's /etc/reader.conf.d.
cf_start_pcscd() {
  local i last_port conf=()
  last_port=$((35963 + ${CF_PCSC_READERS:-2} - 1))
  [ -d "$CF_PCSC_ENV_DIR/vpcd.conf.d" ] && conf=(-c "$CF_PCSC_ENV_DIR/vpcd.conf.d")
  local preload=()
  [ -n "${CF_PCSCD_PRELOAD:-}" ] && preload=(env "LD_PRELOAD=$CF_PCSCD_PRELOAD" ASAN_OPTIONS=detect_leaks=0)
  # shellcheck disable=SC2086
  "${preload[@]}" pcscd $CF_PCSCD_ARGS "${conf[@]}" >>"$CF_PCSC_ENV_DIR/pcscd.log" 2>&1 &
  echo $! >"$CF_PCSC_ENV_DIR/pcscd.pid"
  for i in $(seq 1 $((${CF_PCSC_TIMEOUT:-10} * 20))); do
    if [ -S /run/pcscd/pcscd.comm ] && cf_port_listening 35963 && cf_port_listening "$last_port"; then
      return 0
    fi
    cf_pid_alive "$(cat "$CF_PCSC_ENV_DIR/pcscd.pid")" || break
    sleep 0.05
  done
  echo "cf-pcsc-env: pcscd did not come up; its log:" >&2
  cat "$CF_PCSC_ENV_DIR/pcscd.log" >&2
  return 1
}

# True when something listens on 127.0.0.1:port (reads /proc, no extra tools).
cf_port_listening() {
  local hex
  hex=$(printf '%04X' "$1")
  awk -v p=":$hex" 'NR > 1 && $4 == "0A" && substr($2, length($2) - 4) == p { found = 1 } END { exit !found }' \
    /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# Stops pcscd, waits the second pcsc-lite needs, starts a new one, waits for N cards.
cf_restart_pcscd() {
  cf_stop_pid "$(cat "$CF_PCSC_ENV_DIR/pcscd.pid")"
  sleep 1
  cf_start_pcscd || return 1
  CF_PCSCD_PID=$(cat "$CF_PCSC_ENV_DIR/pcscd.pid")
  export CF_PCSCD_PID
  cf_wait_cards "${1:-$CF_EXPECT_CARDS}" "${CF_PCSC_TIMEOUT:-10}"
}

# Number of readers in which pcscd sees a card (opensc-tool -l, independent of cardforge).
cf_cards_present() {
  opensc-tool -l 2>/dev/null | awk '$1 ~ /^[0-9]+$/ && $2 == "Yes" { n++ } END { print n + 0 }'
}

# Waits until at least N readers show a card (N = 0: returns at once).
cf_wait_cards() {
  local want=$1 limit=${2:-10} i
  [ "$want" -gt 0 ] || return 0
  for i in $(seq 1 $((limit * 10))); do
    [ "$(cf_cards_present)" -ge "$want" ] && return 0
    sleep 0.1
  done
  return 1
}

# Waits until no reader shows a card.
cf_wait_no_cards() {
  local limit=${1:-10} i
  for i in $(seq 1 $((limit * 10))); do
    [ "$(cf_cards_present)" = 0 ] && return 0
    sleep 0.1
  done
  return 1
}

# Test helpers: fail with one line.
cf_fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# cf_expect_contains TEXT NEEDLE WHAT
cf_expect_contains() {
  case "$1" in
    *"$2"*) ;;
    *) printf 'FAIL: %s: expected to find [%s] in:\n%s\n' "$3" "$2" "$1" >&2; exit 1 ;;
  esac
}

# cf_expect_refusal RC NEEDLE COMMAND...: COMMAND exits RC and says one line containing NEEDLE
# (stdout and stderr together).
cf_expect_refusal() {
  local want=$1 needle=$2 out rc
  shift 2
  out=$("$@" 2>&1)
  rc=$?
  [ $rc = "$want" ] || cf_fail "$* exited $rc, expected $want: $out"
  [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] || cf_fail "$*: expected one line, got: $out"
  cf_expect_contains "$out" "$needle" "$*"
}

# cf_run RC WHAT COMMAND...: COMMAND exits RC; its stdout is left in $out, its stderr in $err.
cf_run() {
  local want=$1 what=$2 rc
  shift 2
  out=$("$@" 2>"$CF_PCSC_ENV_DIR/cf_run.stderr") && rc=0 || rc=$?
  err=$(cat "$CF_PCSC_ENV_DIR/cf_run.stderr")
  [ "$rc" = "$want" ] || cf_fail "$what: exit $rc, expected $want; stdout: $out; stderr: $err"
}
