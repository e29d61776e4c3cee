/* Keycard client session: SELECT, INIT, PAIR/UNPAIR, opening the secure channel, and the exchange
 * of commands through it. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cardforge/crypto.h"
#include "cardforge/sw.h"
#include "keycard_internal.h"

int keycard_client_fail(keycard_client *kc, int rc, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(kc->err, sizeof kc->err, fmt, ap);
  va_end(ap);
  return rc;
}

void keycard_client_init(keycard_client *kc, cf_transport *t) {
  memset(kc, 0, sizeof *kc);
  kc->t = t;
}

void keycard_client_wipe(keycard_client *kc) {
  cf_transport *t = kc->t;
  cf_wipe(kc, sizeof *kc);
  kc->t = t;
}

void keycard_client_set_pairing(keycard_client *kc, uint8_t index, const uint8_t key[32]) {
  kc->pairing_index = index;
  memcpy(kc->pairing_key, key, 32);
  kc->pairing_digest = NULL;
  kc->pairing_digest_ctx = NULL;
  kc->paired = true;
}

void keycard_client_set_pairing_digest(keycard_client *kc, uint8_t index,
                                       keycard_client_pairing_digest_fn digest, void *ctx) {
  kc->pairing_index = index;
  cf_wipe(kc->pairing_key, sizeof kc->pairing_key);
  kc->pairing_digest = digest;
  kc->pairing_digest_ctx = ctx;
  kc->paired = true;
}

int keycard_client_plain_exchange(keycard_client *kc, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2,
                                  const uint8_t *data, size_t len, unsigned flags, uint8_t *resp, size_t cap,
                                  size_t *resp_len) {
  cf_apdu cmd = {.cla = cla, .ins = ins, .p1 = p1, .p2 = p2, .data = len ? data : NULL, .lc = len};
  uint8_t scratch[CF_APDU_MAX_RESP];
  size_t rlen = 0;
  uint16_t sw = 0;
  if (!resp) {
    resp = scratch;
    cap = sizeof scratch;
  }
  if (cf_transceive(kc->t, &cmd, flags, resp, cap, &rlen, &sw) != 0)
    return keycard_client_fail(kc, KEYCARD_CLIENT_ETRANSPORT, "%s",
                               kc->t->err[0] ? kc->t->err : "transport failure");
  kc->sw = sw;
  if (resp_len) *resp_len = rlen;
  if (resp == scratch) cf_wipe(scratch, rlen);
  return KEYCARD_CLIENT_OK;
}

/* With --trace, shows the plain command and answer inside the channel (data hidden if secret). */
static void trace_inner(keycard_client *kc, bool command, uint8_t ins, uint8_t p1, uint8_t p2,
                        const uint8_t *data, size_t len, uint16_t sw, bool secret) {
  if (!kc->t->trace) return;
  uint8_t buf[5 + 256 + 2];
  size_t n = 0;
  if (command) {
    buf[n++] = KEYCARD_CLIENT_CLA;
    buf[n++] = ins;
    buf[n++] = p1;
    buf[n++] = p2;
    buf[n++] = (uint8_t)len;
  }
  if (len > 256) len = 256;
  if (len) memcpy(buf + n, data, len);
  n += len;
  if (!command) {
    cf_put_be16(buf + n, sw);
    n += 2;
  }
  fprintf(kc->t->trace, "  (secure channel: plain %s)\n",
          command ? "command, wrapped below" : "answer, unwrapped above");
  cf_trace_apdu(kc->t->trace, command, buf, n, secret);
  cf_wipe(buf, sizeof buf);
}

int keycard_client_secure_exchange(keycard_client *kc, uint8_t ins, uint8_t p1, uint8_t p2,
                                   const uint8_t *data, size_t len, bool secret, uint8_t *resp, size_t cap,
                                   size_t *resp_len) {
  if (!kc->sc.open) return keycard_client_fail(kc, KEYCARD_CLIENT_ESTATE, "the secure channel is not open");
  if (len > KEYCARD_CLIENT_MAX_PLAIN)
    return keycard_client_fail(kc, KEYCARD_CLIENT_EARG,
                               "command data too long for the secure channel (%zu bytes)", len);
  uint8_t wrapped[256], answer[512];
  size_t wlen = 0, alen = 0;
  int rc = keycard_client_sc_wrap(&kc->sc, KEYCARD_CLIENT_CLA, ins, p1, p2, data, len, wrapped,
                                  sizeof wrapped, &wlen);
  if (rc != KEYCARD_CLIENT_OK) return keycard_client_fail(kc, rc, "cannot wrap the secure command");
  trace_inner(kc, true, ins, p1, p2, data, len, 0, secret);
  rc = keycard_client_plain_exchange(kc, KEYCARD_CLIENT_CLA, ins, p1, p2, wrapped, wlen, 0, answer,
                                     sizeof answer, &alen);
  if (rc != KEYCARD_CLIENT_OK) {
    keycard_client_sc_close(&kc->sc);
    return rc;
  }
  if (kc->sw != SW_OK) {
    /* The card answers outside the channel only to refuse it; 6982 means it closed its side. Once
     * the channel was up (established), only a reset or another program's SELECT closes it. */
    keycard_client_sc_close(&kc->sc);
    if (ins != KEYCARD_CLIENT_INS_MUTUALLY_AUTHENTICATE && cf_transport_state_lost(kc->t, kc->sw))
      return keycard_client_fail(kc, KEYCARD_CLIENT_ETRANSPORT, "%s", kc->t->err);
    return keycard_client_fail(kc, KEYCARD_CLIENT_ECARD, "card refused the secure command %02X: SW %04X", ins,
                               kc->sw);
  }
  uint8_t plain[256];
  size_t plen = 0;
  uint16_t inner = 0;
  rc = keycard_client_sc_unwrap(&kc->sc, answer, alen, plain, sizeof plain, &plen, &inner);
  if (rc == KEYCARD_CLIENT_EVERIFY)
    return keycard_client_fail(kc, rc, "the card's answer MAC does not verify");
  if (rc != KEYCARD_CLIENT_OK)
    return keycard_client_fail(kc, rc, "malformed secure answer (%zu bytes)", alen);
  kc->sw = inner;
  trace_inner(kc, false, 0, 0, 0, plain, plen, inner, secret);
  if (plen > cap) {
    cf_wipe(plain, sizeof plain);
    return keycard_client_fail(kc, KEYCARD_CLIENT_EPROTO, "answer too long (%zu bytes)", plen);
  }
  if (plen) memcpy(resp, plain, plen);
  if (resp_len) *resp_len = plen;
  cf_wipe(plain, sizeof plain);
  return KEYCARD_CLIENT_OK;
}

int keycard_client_secure_command(keycard_client *kc, const char *what, uint8_t ins, uint8_t p1, uint8_t p2,
                                  const uint8_t *data, size_t len, bool secret, uint8_t *resp, size_t cap,
                                  size_t *resp_len) {
  uint8_t scratch[256];
  size_t n = 0;
  int rc = keycard_client_secure_exchange(kc, ins, p1, p2, data, len, secret, resp ? resp : scratch,
                                          resp ? cap : sizeof scratch, &n);
  if (!resp) cf_wipe(scratch, sizeof scratch);
  if (rc != KEYCARD_CLIENT_OK) return rc;
  if (kc->sw != SW_OK)
    return keycard_client_fail(kc, KEYCARD_CLIENT_ECARD, "%s: card answered SW %04X", what, kc->sw);
  if (resp_len) *resp_len = n;
  return KEYCARD_CLIENT_OK;
}

int keycard_client_select(keycard_client *kc, const uint8_t *aid, size_t aid_len) {
  if (!aid) {
    aid = keycard_client_aid;
    aid_len = sizeof keycard_client_aid;
  }
  keycard_client_sc_close(&kc->sc);
  kc->selected = false;
  kc->t->established = false; /* our own SELECT ends the channel: a later 6982 is not another program's */
  uint8_t resp[512];
  size_t rlen = 0;
  int rc =
      keycard_client_plain_exchange(kc, 0x00, 0xA4, 0x04, 0x00, aid, aid_len, 0, resp, sizeof resp, &rlen);
  if (rc != KEYCARD_CLIENT_OK) return rc;
  if (kc->sw != SW_OK)
    return keycard_client_fail(kc, KEYCARD_CLIENT_ECARD,
                               "SELECT of the Keycard applet: card answered SW %04X", kc->sw);
  rc = keycard_client_parse_info(resp, rlen, &kc->info);
  if (rc != KEYCARD_CLIENT_OK)
    return keycard_client_fail(kc, rc, "the SELECT answer is not a Keycard application info (%zu bytes)",
                               rlen);
  /* A fresh ephemeral key per selection, as the card may change its own between selections. */
  if (cf_ec_keygen(kc->host_priv, kc->host_pub) != 0 ||
      cf_ec_ecdh_x(kc->host_priv, kc->info.sc_pub, 65, kc->ecdh_secret) != 0)
    return keycard_client_fail(kc, KEYCARD_CLIENT_EPROTO, "cannot agree a key with the card's public key");
  kc->selected = true;
  return KEYCARD_CLIENT_OK;
}

int keycard_client_init_card(keycard_client *kc, const char *pin, const char *puk, const uint8_t secret[32],
                             uint8_t pin_retries, uint8_t puk_retries, const char *alt_pin) {
  if (!kc->selected) return keycard_client_fail(kc, KEYCARD_CLIENT_ESTATE, "select the card first");
  if (kc->info.initialized)
    return keycard_client_fail(kc, KEYCARD_CLIENT_ESTATE, "the card is already initialized");
  if (!keycard_client_digits_ok(pin, KEYCARD_CLIENT_PIN_LEN))
    return keycard_client_fail(kc, KEYCARD_CLIENT_EARG, "the PIN must be %d digits", KEYCARD_CLIENT_PIN_LEN);
  if (!keycard_client_digits_ok(puk, KEYCARD_CLIENT_PUK_LEN))
    return keycard_client_fail(kc, KEYCARD_CLIENT_EARG, "the PUK must be %d digits", KEYCARD_CLIENT_PUK_LEN);
  if (alt_pin && !keycard_client_digits_ok(alt_pin, KEYCARD_CLIENT_PIN_LEN))
    return keycard_client_fail(kc, KEYCARD_CLIENT_EARG, "the alternate PIN must be %d digits",
                               KEYCARD_CLIENT_PIN_LEN);
  if (alt_pin && !pin_retries && !puk_retries) {
    pin_retries = 3; /* the alternate PIN comes after the retry counts: send the defaults */
    puk_retries = 5;
  }
  bool limits = pin_retries || puk_retries;
  if (limits && (pin_retries < 2 || pin_retries > 10 || puk_retries < 3 || puk_retries > 12))
    return keycard_client_fail(kc, KEYCARD_CLIENT_EARG, "PIN tries must be 2..10 and PUK tries 3..12");
  uint8_t plain[KEYCARD_CLIENT_PIN_LEN + KEYCARD_CLIENT_PUK_LEN + KEYCARD_CLIENT_SECRET_LEN + 2 +
                KEYCARD_CLIENT_PIN_LEN];
  size_t n = 0;
  memcpy(plain, pin, KEYCARD_CLIENT_PIN_LEN);
  n += KEYCARD_CLIENT_PIN_LEN;
  memcpy(plain + n, puk, KEYCARD_CLIENT_PUK_LEN);
  n += KEYCARD_CLIENT_PUK_LEN;
  memcpy(plain + n, secret, KEYCARD_CLIENT_SECRET_LEN);
  n += KEYCARD_CLIENT_SECRET_LEN;
  if (limits) {
    plain[n++] = pin_retries;
    plain[n++] = puk_retries;
  }
  if (alt_pin) {
    memcpy(plain + n, alt_pin, KEYCARD_CLIENT_PIN_LEN);
    n += KEYCARD_CLIENT_PIN_LEN;
  }
  uint8_t data[255];
  size_t dlen = 0;
  int rc = keycard_client_one_shot_encrypt(kc->info.sc_pub, kc->host_priv, kc->host_pub, NULL, plain, n, data,
                                           sizeof data, &dlen);
  cf_wipe(plain, sizeof plain);
  if (rc != KEYCARD_CLIENT_OK) return keycard_client_fail(kc, rc, "cannot encrypt the INIT data");
  rc = keycard_client_plain_exchange(kc, KEYCARD_CLIENT_CLA, KEYCARD_CLIENT_INS_INIT, 0, 0, data, dlen,
                                     CF_TX_SECRET_CMD, NULL, 0, NULL);
  if (rc != KEYCARD_CLIENT_OK) return rc;
  if (kc->sw != SW_OK)
    return keycard_client_fail(kc, KEYCARD_CLIENT_ECARD, "INIT: card answered SW %04X", kc->sw);
  kc->selected = false; /* INIT changes the card's channel key: SELECT again */
  return KEYCARD_CLIENT_OK;
}

int keycard_client_pair_p2(uint16_t version, keycard_client_pair_mode mode) {
  bool has_modes = version >= KEYCARD_CLIENT_VERSION_3_2;
  switch (mode) {
  case KEYCARD_CLIENT_PAIR_PERSISTENT:
    return has_modes ? 0x02 : 0x00;
  case KEYCARD_CLIENT_PAIR_EPHEMERAL:
    return has_modes ? 0x01 : -1;
  }
  return -1;
}

int keycard_client_pair(keycard_client *kc, const uint8_t secret[32]) {
  return keycard_client_pair_with_mode(kc, secret, KEYCARD_CLIENT_PAIR_PERSISTENT);
}

int keycard_client_pair_with_mode(keycard_client *kc, const uint8_t secret[32],
                                  keycard_client_pair_mode mode) {
  if (!kc->selected || !kc->info.initialized)
    return keycard_client_fail(kc, KEYCARD_CLIENT_ESTATE, "select an initialized card first");
  int p2 = keycard_client_pair_p2(kc->info.version, mode);
  if (p2 < 0)
    return keycard_client_fail(kc, KEYCARD_CLIENT_EARG,
                               "ephemeral pairing needs applet 3.2; this card reports %u.%u",
                               kc->info.version >> 8, kc->info.version & 0xFF);
  uint8_t challenge[32], expect[32], resp[256];
  size_t rlen = 0;
  int rc = KEYCARD_CLIENT_EINTERNAL;
  if (cf_rand(challenge, sizeof challenge) != 0) return keycard_client_fail(kc, rc, "no randomness");
  rc = keycard_client_plain_exchange(kc, KEYCARD_CLIENT_CLA, KEYCARD_CLIENT_INS_PAIR, 0x00, (uint8_t)p2,
                                     challenge, 32, 0, resp, sizeof resp, &rlen);
  if (rc != KEYCARD_CLIENT_OK) return rc;
  if (kc->sw == SW_NOT_ENOUGH_MEMORY)
    return keycard_client_fail(kc, KEYCARD_CLIENT_ECARD,
                               "PAIR: every pairing slot of the card is taken (SW 6A84)");
  if (kc->sw != SW_OK)
    return keycard_client_fail(kc, KEYCARD_CLIENT_ECARD, "PAIR step 1: card answered SW %04X", kc->sw);
  if (rlen != 64)
    return keycard_client_fail(kc, KEYCARD_CLIENT_EPROTO, "PAIR step 1: answer of %zu bytes, not 64", rlen);
  /* The card proves it knows the secret before we answer its challenge. */
  cf_iov card_proof[2] = {{secret, 32}, {challenge, 32}};
  if (cf_sha256_v(card_proof, 2, expect) != 0)
    return keycard_client_fail(kc, KEYCARD_CLIENT_EINTERNAL, "PAIR: SHA-256 failed");
  if (!cf_ct_equal(expect, resp, 32))
    return keycard_client_fail(
        kc, KEYCARD_CLIENT_EVERIFY,
        "PAIR: the card cryptogram does not verify (wrong pairing password or secret)");
  uint8_t cryptogram[32];
  cf_iov our_proof[2] = {{secret, 32}, {resp + 32, 32}};
  if (cf_sha256_v(our_proof, 2, cryptogram) != 0)
    return keycard_client_fail(kc, KEYCARD_CLIENT_EINTERNAL, "PAIR: SHA-256 failed");
  rc = keycard_client_plain_exchange(kc, KEYCARD_CLIENT_CLA, KEYCARD_CLIENT_INS_PAIR, 0x01, 0x00, cryptogram,
                                     32, 0, resp, sizeof resp, &rlen);
  if (rc != KEYCARD_CLIENT_OK) return rc;
  if (kc->sw != SW_OK)
    return keycard_client_fail(kc, KEYCARD_CLIENT_ECARD, "PAIR step 2: card answered SW %04X", kc->sw);
  if (rlen != 33)
    return keycard_client_fail(kc, KEYCARD_CLIENT_EPROTO, "PAIR step 2: answer of %zu bytes, not 33", rlen);
  /* the card chose the slot; an ephemeral request must get the ephemeral slot and only it */
  if ((mode == KEYCARD_CLIENT_PAIR_EPHEMERAL) != (resp[0] == KEYCARD_CLIENT_EPHEMERAL_SLOT))
    return keycard_client_fail(kc, KEYCARD_CLIENT_EPROTO, "PAIR: the card gave slot %u for a%s pairing",
                               resp[0],
                               mode == KEYCARD_CLIENT_PAIR_EPHEMERAL ? "n ephemeral" : " persistent");
  uint8_t key[32];
  cf_iov key_parts[2] = {{secret, 32}, {resp + 1, 32}};
  if (cf_sha256_v(key_parts, 2, key) != 0)
    return keycard_client_fail(kc, KEYCARD_CLIENT_EINTERNAL, "PAIR: SHA-256 failed");
  keycard_client_set_pairing(kc, resp[0], key);
  cf_wipe(key, sizeof key);
  return KEYCARD_CLIENT_OK;
}

int keycard_client_unpair(keycard_client *kc, uint8_t index) {
  return keycard_client_secure_command(kc, "UNPAIR", KEYCARD_CLIENT_INS_UNPAIR, index, 0x00, NULL, 0, false,
                                       NULL, 0, NULL);
}

int keycard_client_open_channel(keycard_client *kc) {
  if (!kc->selected || !kc->info.initialized)
    return keycard_client_fail(kc, KEYCARD_CLIENT_ESTATE, "select an initialized card first");
  if (!kc->paired) return keycard_client_fail(kc, KEYCARD_CLIENT_ESTATE, "no pairing with this card");
  keycard_client_sc_close(&kc->sc);
  uint8_t resp[256];
  size_t rlen = 0;
  int rc =
      keycard_client_plain_exchange(kc, KEYCARD_CLIENT_CLA, KEYCARD_CLIENT_INS_OPEN_SECURE_CHANNEL,
                                    kc->pairing_index, 0x00, kc->host_pub, 65, 0, resp, sizeof resp, &rlen);
  if (rc != KEYCARD_CLIENT_OK) return rc;
  if (kc->sw == SW_INCORRECT_P1P2)
    return keycard_client_fail(kc, KEYCARD_CLIENT_ECARD,
                               "OPEN SECURE CHANNEL: pairing slot %u is empty on the card (SW 6A86)",
                               kc->pairing_index);
  if (kc->sw != SW_OK)
    return keycard_client_fail(kc, KEYCARD_CLIENT_ECARD, "OPEN SECURE CHANNEL: card answered SW %04X",
                               kc->sw);
  rc = kc->pairing_digest ? keycard_client_sc_derive_with(&kc->sc, kc->ecdh_secret, kc->pairing_digest,
                                                          kc->pairing_digest_ctx, resp, rlen)
                          : keycard_client_sc_derive(&kc->sc, kc->ecdh_secret, kc->pairing_key, resp, rlen);
  if (rc == KEYCARD_CLIENT_EINTERNAL)
    return keycard_client_fail(kc, rc, "OPEN SECURE CHANNEL: the session keys could not be derived");
  if (rc != KEYCARD_CLIENT_OK)
    return keycard_client_fail(kc, rc, "OPEN SECURE CHANNEL: answer of %zu bytes, not 48", rlen);
  uint8_t challenge[32], answer[64];
  size_t alen = 0;
  if (cf_rand(challenge, sizeof challenge) != 0)
    return keycard_client_fail(kc, KEYCARD_CLIENT_EINTERNAL, "no randomness");
  rc = keycard_client_secure_exchange(kc, KEYCARD_CLIENT_INS_MUTUALLY_AUTHENTICATE, 0, 0, challenge, 32,
                                      false, answer, sizeof answer, &alen);
  if (rc == KEYCARD_CLIENT_ECARD && kc->sw == SW_SECURITY_STATUS_NOT_SATISFIED)
    return keycard_client_fail(
        kc, KEYCARD_CLIENT_EVERIFY,
        "MUTUALLY AUTHENTICATE failed (SW 6982): the stored pairing key is not the card's");
  if (rc != KEYCARD_CLIENT_OK) return rc;
  if (kc->sw != SW_OK || alen != 32) {
    keycard_client_sc_close(&kc->sc);
    return keycard_client_fail(kc, KEYCARD_CLIENT_EVERIFY, "MUTUALLY AUTHENTICATE: SW %04X with %zu bytes",
                               kc->sw, alen);
  }
  cf_transport_mark_secured(kc->t); /* the card holds a session now: reset it when we leave */
  return KEYCARD_CLIENT_OK;
}
