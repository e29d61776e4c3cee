#!/bin/bash
# The China Mobile chapter-4 flows that go "through the HSM" with the operator's keys in a SoftHSM2
# token (--hsm pkcs11) through pcscd, each run again with the same keys in a vault file: both
# succeed with the same output and the same card state, proved by use (INTERNAL AUTHENTICATE and
# the terminal's VERIFY MAC). The token's keys cannot be read; a key not imported exportable cannot
# be carried onto a card; the ceremony log records the token's changes without a secret.
set -u
# shellcheck source=/dev/null
. "$CF_PCSC_LIB/cf-pcsc-lib.sh"
# shellcheck source=/dev/null
. "$CF_PCSC_LIB/cf-tdes-lib.sh"
# shellcheck source=/dev/null # tests/integration/cmcc/cmcc_values.sh
. "$(dirname "$0")/../cmcc/cmcc_values.sh"

D=$CF_PCSC_ENV_DIR/hsm
mkdir -p "$D"
export CARDFORGE_HOME=$D/home CARDFORGE_AUDIT_LOG=$D/audit.log
export CARDFORGE_HSM_PIN=135790 CARDFORGE_HSM_SO_PIN=97531864
export CARDFORGE_KMC_PIN=$PIN CARDFORGE_AUTH_PIN=$PIN CARDFORGE_WORK_PIN=$PIN
cf=("$CARDFORGE" cmcc)
out="" err="" # cf_run's results
TOKEN=(--hsm pkcs11)
VAULT=(--hsm "$D/hsm.keys")
module=""
for m in /usr/lib/softhsm/libsofthsm2.so /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so; do
  [ -r "$m" ] && module=$m && break
done
if [ -z "$module" ]; then
  echo "SoftHSM2 is not installed (scripts/install-deps.sh installs it): skipped"
  exit 77
fi

"$CARDFORGE" sim --memory --pidfile "$CF_PCSC_ENV_DIR/sim.pid" \
  --card "kmc:pin2=$PIN_HEX,k01=$K01,k02=$K02" \
  --card "authcard:pin2=$PIN_HEX,k02=$K02,k03=$K03" \
  --card "workcard:pin2=$PIN_HEX,k04=$K04,k05=$K05,eid=$EID" \
  --card "terminal:tik=$TIK" >"$CF_PCSC_ENV_DIR/sim.log" 2>&1 &
echo $! >"$CF_PCSC_ENV_DIR/sim.pid"
cf_wait_cards 4 10 || cf_fail "the four cards did not appear"
readers=$("$CARDFORGE" readers) || cf_fail "cardforge readers"
R_TERM=$(printf '%s\n' "$readers" | grep "ATR 3B680000434D43432D54524D" | sed 's/^[0-9]*: \(.*\) (card.*/\1/')
[ -n "$R_TERM" ] || cf_fail "no terminal: $readers"

# ---- the token, its keys, and the same keys in a vault ----
cf_run 0 "hsm init" "$CARDFORGE" hsm init
[ "$(stat -c %a "$CARDFORGE_HOME/pkcs11/tokens")" = 700 ] || cf_fail "the token directory is not 0700"
for k in 01:$K01 03:$K03 04:$K04 05:$K05; do
  printf '%s\n' "${k#*:}" >"$D/k${k%%:*}"
  chmod 600 "$D/k${k%%:*}"
done
cf_run 0 "cmcc hsm-init into the token" "${cf[@]}" "${TOKEN[@]}" hsm-init --key "01/01/01=@$D/k01" \
  --key "03/01/01=@$D/k03" --key "04/01/01=@$D/k04"
cf_expect_contains "$out" "3 keys stored" "hsm-init summary"
# the working-card master key goes onto the KMC (CopyExport's export key): imported exportable
cf_run 0 "hsm import 05 exportable" "$CARDFORGE" hsm import --label cmcc/05/01/01 --type des2 --exportable \
  --value - <"$D/k05"
cf_expect_contains "$out" "$(tdes "$K05" 0000000000000000 | cut -c1-6)" "import shows the check value"
cf_run 0 "vault with the same keys" "${cf[@]}" "${VAULT[@]}" hsm-init --key "01/01/01=@$D/k01" \
  --key "03/01/01=@$D/k03" --key "04/01/01=@$D/k04" --key "05/01/01=@$D/k05"
cf_run 0 "hsm-list (token)" "${cf[@]}" "${TOKEN[@]}" hsm-list
token_list=$(printf '%s\n' "$out" | awk '{ print $1, $2, $3, $9 }')
cf_run 0 "hsm-list (vault)" "${cf[@]}" "${VAULT[@]}" hsm-list
vault_list=$(printf '%s\n' "$out" | awk '{ print $1, $2, $3, $9 }')
[ "$token_list" = "$vault_list" ] || cf_fail "token and vault list other keys or check values: $token_list / $vault_list"
for k in "$K01" "$K03" "$K04" "$K05"; do
  cf_expect_contains "$token_list" "$(tdes "$k" 0000000000000000 | cut -c1-6)" "hsm-list check value"
done
cf_run 0 "hsm list" "$CARDFORGE" hsm list
for k in "$K01" "$K03" "$K04" "$K05"; do
  case "$out$token_list" in *"$k"*) cf_fail "a listing printed a key value" ;; esac
done
# nobody reads a value out of the token, with the PIN and a generic PKCS#11 tool
export SOFTHSM2_CONF=$CARDFORGE_HOME/pkcs11/softhsm2.conf
for label in cmcc/01/01/01 cmcc/05/01/01; do
  if pkcs11-tool --module "$module" --login --pin "$CARDFORGE_HSM_PIN" --read-object --type secrkey \
    --label "$label" -o "$D/leak" >/dev/null 2>&1 && [ -s "$D/leak" ]; then
    cf_fail "pkcs11-tool read the value of $label"
  fi
done
unset SOFTHSM2_CONF

# ---- 4.1.2 External Authentication computed by the HSM: token and vault alike ----
for args in "--card kmc" "--card auth" "--card work --p2 01" "--card work --p2 02"; do
  # shellcheck disable=SC2086 # the arguments are words
  cf_run 0 "auth via the token ($args)" "${cf[@]}" "${TOKEN[@]}" auth --via hsm $args
  t=$out
  # shellcheck disable=SC2086
  cf_run 0 "auth via the vault ($args)" "${cf[@]}" "${VAULT[@]}" auth --via hsm $args
  [ "$t" = "$out" ] || cf_fail "auth $args: token and vault say different things: $t / $out"
done
# a wrong token PIN: no key is used, exit 6 with one line
cf_run 6 "wrong token PIN" env CARDFORGE_HSM_PIN=000000 "${cf[@]}" "${TOKEN[@]}" auth --via hsm --card kmc
cf_expect_contains "$err" "CKR_PIN_INCORRECT" "wrong token PIN message"

# ---- the keys the KMC needs for CopyExport: generate 07, import 06 (no HSM) ----
printf 'cardforge-cmcc-keysheet 1\nseed %s\nkey %s\n' "$SEED" "$A_TAK" >"$D/sheet"
chmod 600 "$D/sheet"
cf_run 0 "generate" "${cf[@]}" generate --sheet "$D/sheet"
CARDFORGE_CMCC_KEY=$TIK cf_run 0 "import 06" "${cf[@]}" import-key --attrs "$A_TIK"

# ---- 4.1.5 import through the HSM: an Import Key record made by the token ----
cf_run 6 "a non-exportable token key cannot go onto a card" "${cf[@]}" "${TOKEN[@]}" import-key --via hsm \
  --from-hsm 01/01/01 --card kmc
cf_expect_contains "$err" "not exportable" "refusal names the reason"
cf_run 0 "keyinfo before" "${cf[@]}" keyinfo --card kmc
before=$out
cf_run 0 "import 05 via the token" "${cf[@]}" "${TOKEN[@]}" import-key --via hsm --from-hsm 05/01/01 --card kmc
t=$out
cf_run 0 "keyinfo after" "${cf[@]}" keyinfo --card kmc
[ "$before" != "$out" ] || cf_fail "import via the token changed nothing"
cf_expect_contains "$out" "05   01  01" "the KMC lists key 05"
# the same record made by the vault replaces it with the same key: same message, same key list
cf_run 0 "import 05 via the vault" "${cf[@]}" "${VAULT[@]}" import-key --via hsm --from-hsm 05/01/01 --card kmc
[ "$t" = "$out" ] || cf_fail "import: token and vault say different things: $t / $out"
cf_run 0 "keyinfo after the vault" "${cf[@]}" keyinfo --card kmc
after=$out
# a key given by value, wrapped by the token's operator key (01) for the KMC (level 1, P2 01)
cf_run 0 "import 09 by value via the token" "${cf[@]}" "${TOKEN[@]}" import-key --via hsm --attrs "$A_EAK" \
  --value "@$D/k04" --card kmc
cf_run 0 "keyinfo with 09" "${cf[@]}" keyinfo --card kmc
cf_expect_contains "$out" "09   01  01" "the KMC lists key 09"
[ "$after" != "$out" ] || cf_fail "import of 09 changed nothing"

# ---- Update Info wrapped by the token (the working card's enterprise ID) ----
NEW_EID=0A1B2C3D4E5F # not the card's first EID (cmcc_values.sh)
cf_run 0 "set-info via the token" "${cf[@]}" "${TOKEN[@]}" set-info --card work --eid "$NEW_EID"

# ---- 4.1.6 working-card production: the working card authenticated by the token (05, P2 02) ----
cf_run 0 "make-working via the token" "${cf[@]}" "${TOKEN[@]}" make-working
cf_expect_contains "$out" "2 keys copied from the KMC (attributes checked)" "make-working summary"

# ---- 4.1.7 the terminal proves both: the copied keys (VERIFY MAC) and the token-written EID ----
cf_run 0 "terminal-write" "${cf[@]}" terminal-write --index 05 --version 01
cf_expect_contains "$out" "(proved by use: VERIFY MAC)" "terminal-write proof"
TAK=$(div8 "$SEED" 0701010000000000)
expect_key "$R_TERM" 05 00 "$(div8 "$TAK" 0501800000000000)" "terminal sub-application key 05"
out=$("$CARDFORGE" apdu -r "$R_TERM" 00B0000000) || cf_fail "terminal READ"
cf_expect_contains "$out" "${NEW_EID}010501 9000" "the terminal holds the EID the token wrapped"

# ---- the ceremony log: the token's changes, verified, no secret ----
cf_run 0 "audit verify" "$CARDFORGE" audit verify
cf_run 0 "audit show" "$CARDFORGE" audit show --json
log=$out
for c in '"hsm init"' '"cmcc hsm-init"' '"hsm import"' '"cmcc import-key"' '"cmcc make-working"'; do
  cf_expect_contains "$log" "\"command\":$c" "log line for $c"
done
cf_expect_contains "$log" "\"token\":\"cardforge\"" "cmcc hsm-init names the token by its label"
for k in "$K01" "$K03" "$K04" "$K05" "$CARDFORGE_HSM_PIN" "$CARDFORGE_HSM_SO_PIN"; do
  case "$log" in *"$k"*) cf_fail "the ceremony log holds a secret" ;; esac
done
echo "cmcc flows with the operator keys in SoftHSM2: ok"
