# shellcheck shell=bash
# Helpers of the IFD handler tests (source after cf-pcsc-lib.sh). pcscd names a reader.conf
# reader "FRIENDLYNAME NN 00", NN counting the readers of one driver in the order it loads them,
# so the tests find their readers by the FRIENDLYNAME part.

# The PC/SC reader index (opensc-tool -r) of the reader whose name contains $1.
ifd_reader_index() {
  opensc-tool -l 2>/dev/null | awk -v n="$1" '$1 ~ /^[0-9]+$/ && index($0, n) { print $1; exit }'
}

# The response bytes of APDU (hex, no spaces) on the reader named $1, as one upper-case hex string
# with the status word last; fails when opensc-tool does.
ifd_apdu() {
  local idx out
  idx=$(ifd_reader_index "$1")
  [ -n "$idx" ] || { echo "no reader named $1" >&2; return 1; }
  out=$(opensc-tool -r "$idx" -s "$2" 2>&1) || { echo "$out" >&2; return 1; }
  local data sw
  data=$(echo "$out" | sed -n '/^Received/,$p' | sed 1d | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^[0-9A-Fa-f][0-9A-Fa-f]$/) printf "%s", toupper($i) }')
  sw=$(echo "$out" | sed -n 's/.*SW1=0x\([0-9A-Fa-f]*\), SW2=0x\([0-9A-Fa-f]*\).*/\1 \2/p')
  [ -n "$sw" ] || { echo "$out" >&2; return 1; }
  local sw1=${sw% *} sw2=${sw#* }
  printf '%s%02X%02X\n' "$data" $((16#$sw1)) $((16#$sw2))
}

# Every IFD card must be there before a test starts: CF_IFD_CARDS of them (set by CMakeLists.txt).
CF_IFD_CARDS=${CF_IFD_CARDS:-6}
ifd_wait_ready() {
  cf_wait_cards "$CF_IFD_CARDS" 15 || cf_fail "the IFD readers did not all show a card: $(opensc-tool -l 2>&1; tail -20 "$CF_PCSC_ENV_DIR/pcscd.log")"
}

# Waits until exactly N readers show a card (an emulator stopped: its cards gone from pcscd's view).
ifd_wait_exactly() {
  local i
  for i in $(seq 1 100); do
    [ "$(cf_cards_present)" = "$1" ] && return 0
    sleep 0.1
  done
  cf_fail "pcscd still shows $(cf_cards_present) cards, not $1"
}
