#!/bin/bash
# Four processes at once on each of three cards: 25 keycard sign each (one Keycard), 25 gp
# put-key / delete-key each (one security domain), 25 cmcc user-update each (one KMC and its
# authentication card). Sessions wait for each other (PC/SC transactions), so every operation
# succeeds and the cards end in exactly the state the operations imply.
# Run by cf-pcsc-env --no-sim --readers 4 (the script starts the cards).
set -u
. "$CF_PCSC_LIB/cf-pcsc-lib.sh"
. "$CF_PCSC_LIB/cf-tdes-lib.sh"
. "$(dirname "$0")/../cmcc/cmcc_values.sh"
D=$CF_PCSC_ENV_DIR/parallel
mkdir -p "$D/home" "$D/users"
export CARDFORGE_HOME=$D/home CARDFORGE_PIN=123456 CARDFORGE_KMC_PIN=$PIN CARDFORGE_AUTH_PIN=$PIN
PROCS=4
OPS=25


"$CARDFORGE" sim --memory --pidfile "$CF_PCSC_ENV_DIR/sim.pid" --card keycard --card gp \
  --card "kmc:pin2=$PIN_HEX,k01=$K01,k02=$K02" \
  --card "authcard:pin2=$PIN_HEX,k02=$K02,k03=$K03" >"$CF_PCSC_ENV_DIR/sim.log" 2>&1 &
echo $! >"$CF_PCSC_ENV_DIR/sim.pid"
cf_wait_cards 4 10 || cf_fail "the four cards did not appear"
R_KEYCARD="Virtual PCD 00 00"
R_GP="Virtual PCD 00 01"
cf=("$CARDFORGE" --quiet)

# ---- set-up, one process ----
CARDFORGE_PUK=123456789012 "${cf[@]}" keycard init --reader "$R_KEYCARD" >/dev/null || cf_fail "keycard init"
"${cf[@]}" keycard pair --reader "$R_KEYCARD" >/dev/null || cf_fail "keycard pair"
"${cf[@]}" keycard generate-key --reader "$R_KEYCARD" >/dev/null || cf_fail "keycard generate-key"
printf 'cardforge-cmcc-keysheet 1\nseed %s\nkey %s\nkey %s\nkey %s\n' "$SEED" "$A_TAK" "$A_EMK" "$A_EAK" >"$D/sheet"
chmod 600 "$D/sheet"
"${cf[@]}" cmcc generate --kmc 2 --auth 3 --sheet "$D/sheet" >/dev/null || cf_fail "cmcc generate"
EMK=$(div8 "$SEED" 0801010000000000)

# ---- the three workloads, four processes each, all at once ----
keycard_worker() { # worker index
  local j hash
  for j in $(seq 1 $OPS); do
    hash=$(printf '%02X%02X' "$1" "$j" | sha256sum | cut -c1-64)
    "${cf[@]}" keycard sign --reader "$R_KEYCARD" --hash "$hash" >>"$D/sign.$1" 2>>"$D/err.sign.$1" ||
      { echo "keycard sign $1/$j exited $?" >>"$D/failures"; }
  done
}
gp_key() { # one AES-128 key per worker, in a 0600 file (a key on the command line is visible in ps)
  printf 'A%X%02X%028X\n' "$1" "$1" 0 >"$D/gp-key.$1"
  chmod 600 "$D/gp-key.$1"
  echo "@$D/gp-key.$1"
}
gp_worker() {
  local j kvn key
  kvn=$(printf '%02X' $((0x10 + $1)))
  key=$(gp_key "$1")
  for j in $(seq 1 $OPS); do
    if [ $((j % 2)) = 1 ]; then
      "${cf[@]}" gp --reader "$R_GP" put-key --new-kvn "$kvn" --type aes --new-key "$key" >/dev/null 2>>"$D/err.gp.$1"
    else
      "${cf[@]}" gp --reader "$R_GP" delete-key --delete-kvn "$kvn" >/dev/null 2>>"$D/err.gp.$1"
    fi || echo "gp worker $1 op $j exited $?" >>"$D/failures"
  done
}
cmcc_worker() {
  local j serial
  for j in $(seq 1 $OPS); do
    serial=$(printf '86%02X%012X' "$1" "$j")
    "${cf[@]}" cmcc user-update --kmc 2 --auth 3 --serial "$serial" --user-sim "$D/users" \
      --user-sim-params "emk=$EMK" --create 0A0B0C0D0E0F --key 01:01=09 >>"$D/user.$1" 2>>"$D/err.user.$1" ||
      echo "cmcc worker $1 op $j exited $?" >>"$D/failures"
  done
}
start=$(date +%s.%N)
pids=()
for i in $(seq 1 $PROCS); do
  keycard_worker "$i" &
  pids+=($!)
  gp_worker "$i" &
  pids+=($!)
  cmcc_worker "$i" &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
secs=$(echo "$(date +%s.%N) - $start" | bc)
if [ -s "$D/failures" ]; then
  cat "$D"/err.* >&2
  cf_fail "$(wc -l <"$D/failures") operations failed: $(head -5 "$D/failures")"
fi

# ---- every operation succeeded; the cards hold exactly what they imply ----
sigs=$(cat "$D"/sign.* | grep -c '^signature: ')
[ "$sigs" = $((PROCS * OPS)) ] || cf_fail "$sigs signatures, expected $((PROCS * OPS))"
[ "$(cat "$D"/sign.* | grep '^public-key: ' | sort -u | wc -l)" = 1 ] || cf_fail "signatures under several keys"
status=$("${cf[@]}" keycard status --reader "$R_KEYCARD") || cf_fail "keycard status"
cf_expect_contains "$status" "pin-retries: 3" "PIN counter untouched by $sigs signatures"
keys=$("${cf[@]}" gp --reader "$R_GP" keys) || cf_fail "gp keys"
for i in $(seq 1 $PROCS); do # OPS is odd: each worker's last operation is a put-key
  kvn=$(printf '%02X' $((0x10 + i)))
  [ "$(printf '%s\n' "$keys" | grep -c "^$kvn ")" = 3 ] || cf_fail "KVN $kvn is not there with 3 keys: $keys"
  "${cf[@]}" gp --reader "$R_GP" --key-ver "$kvn" --key "$(gp_key "$i")" auth >/dev/null || cf_fail "KVN $kvn keys do not open a channel"
done
[ "$(printf '%s\n' "$keys" | grep -c '^[0-9A-F][0-9A-F] ')" = $((3 + 3 * PROCS)) ] || cf_fail "unexpected key sets: $keys"
updated=$(cat "$D"/user.* | grep -c '1 cards updated and proved by use')
[ "$updated" = $((PROCS * OPS)) ] || cf_fail "$updated user cards updated, expected $((PROCS * OPS))"
[ "$(ls "$D/users" | grep -c '^usercard-86.*\.db$')" = $((PROCS * OPS)) ] || cf_fail "user card files: $(ls "$D/users" | wc -l)"
echo "parallel: $((3 * PROCS)) processes, $((3 * PROCS * OPS)) operations in ${secs} s, none failed: ok"
