/* A GP card in process (memory or file store) with the host client attached: what the card tests
 * and the power-cut sweep share. */
#ifndef GP_CARD_FIXTURE_H
#define GP_CARD_FIXTURE_H

#include <stdlib.h>

#include "gp_test_util.h"
#include "cardforge/card.h"
#include "cardforge/gp.h"
#include "cardforge/gp_client.h"
#include "cardforge/store.h"
#include "cardforge/sw.h"
#include "cardforge/transport.h"

typedef struct fixture {
  cf_store *store;
  cf_card *card;
  cf_transport *t;
  cf_gp_client c;
  char params[256];
  cf_card *(*create)(cf_store *store, const char *params); /* NULL: the "gp" profile's */
} fixture;

static const uint8_t default_key[16] = {0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47,
                                        0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F};

/* Creates the card on fx->store (already open) and selects the Security Domain. */
static inline void fx_attach(fixture *fx) {
  fx->card = (fx->create ? fx->create : gp_profile.create)(fx->store, fx->params);
  assert_non_null(fx->card);
  cf_card_power_on(fx->card);
  fx->t = cf_transport_open_card(fx->card);
  assert_non_null(fx->t);
  cf_gp_client_init(&fx->c, fx->t);
  assert_int_equal(cf_gp_select(&fx->c, NULL, 0, NULL, 0, NULL), CF_GP_OK);
}

static inline void fx_detach(fixture *fx) {
  cf_gp_close(&fx->c);
  if (fx->t) cf_transport_close(fx->t);
  if (fx->card) cf_card_free(fx->card);
  fx->t = NULL;
  fx->card = NULL;
}

static inline fixture *fx_new_card(cf_card *(*create)(cf_store *, const char *), const char *params) {
  fixture *fx = calloc(1, sizeof *fx);
  assert_non_null(fx);
  fx->create = create;
  snprintf(fx->params, sizeof fx->params, "%s", params);
  assert_int_equal(cf_store_open_memory(&fx->store), CF_STORE_OK);
  fx_attach(fx);
  return fx;
}

static inline fixture *fx_new(const char *params) {
  return fx_new_card(NULL, params);
}

static inline void fx_free(fixture *fx) {
  fx_detach(fx);
  cf_store_close(fx->store);
  free(fx);
}

/* A power cycle: the card object goes, the store keeps what was committed. */
static inline void fx_restart(fixture *fx) {
  fx_detach(fx);
  assert_int_equal(cf_store_power_restore(fx->store), CF_STORE_OK);
  fx_attach(fx);
}

static inline cf_scp_keys fx_keys(uint8_t kvn, const uint8_t *enc, const uint8_t *mac, const uint8_t *dek,
                                  size_t len) {
  cf_scp_keys k = {.kvn = kvn, .klen = len};
  memcpy(k.enc, enc, len);
  memcpy(k.mac, mac, len);
  memcpy(k.dek, dek, len);
  return k;
}

static inline int fx_open(fixture *fx, uint8_t kvn, const cf_scp_keys *k, uint8_t level) {
  cf_gp_open_opts o = {.level = level, .kvn = kvn};
  return cf_gp_open(&fx->c, k, &o);
}

static inline int fx_open_default(fixture *fx, uint8_t level) {
  cf_scp_keys k = fx_keys(0xFF, default_key, default_key, default_key, 16);
  return fx_open(fx, 0xFF, &k, level);
}

/* Raw APDU straight to the card (no secure channel); returns SW, data in out. */
static inline uint16_t fx_raw(fixture *fx, const char *hex, uint8_t *out, size_t cap, size_t *len) {
  uint8_t cmd[300], resp[4200];
  size_t n = hx(hex, cmd, sizeof cmd);
  size_t rn = cf_card_transmit(fx->card, cmd, n, resp, sizeof resp);
  assert_true(rn >= 2);
  if (out) {
    assert_true(rn - 2 <= cap);
    memcpy(out, resp, rn - 2);
  }
  if (len) *len = rn - 2;
  return cf_be16(resp + rn - 2);
}

/* A command through the client (protected when a channel is open). */
static inline uint16_t fx_send(fixture *fx, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2,
                               const uint8_t *data, size_t lc, uint8_t *out, size_t cap, size_t *len) {
  cf_apdu a = {.cla = cla,
               .ins = ins,
               .p1 = p1,
               .p2 = p2,
               .data = lc ? data : NULL,
               .lc = lc,
               .le = 256,
               .has_le = true};
  uint8_t buf[4200];
  size_t n = 0;
  uint16_t sw = 0;
  assert_int_equal(cf_gp_transmit(&fx->c, &a, 0, buf, sizeof buf, &n, &sw), CF_GP_OK);
  if (out) {
    assert_true(n <= cap);
    memcpy(out, buf, n);
  }
  if (len) *len = n;
  return sw;
}

/* A command of class 80 through the client, its data given in hex; the answer's data (512 bytes at
 * most) into out. */
static inline uint16_t fx_cmd_hex(fixture *fx, uint8_t ins, uint8_t p1, uint8_t p2, const char *data_hex,
                                  uint8_t *out, size_t *len) {
  uint8_t data[300], buf[512];
  size_t lc = hx(data_hex, data, sizeof data), n = 0;
  uint16_t sw = fx_send(fx, 0x80, ins, p1, p2, data, lc, buf, sizeof buf, &n);
  if (out) memcpy(out, buf, n);
  if (len) *len = n;
  return sw;
}

/* The key information template as id/kvn/type/len quadruples in hex ("FF018010 FF028010 ..."). */
static inline void fx_key_info(fixture *fx, char *out, size_t cap) {
  uint8_t buf[512];
  size_t len = 0;
  cf_gp_key_info ki[64];
  size_t n = 0;
  assert_int_equal(cf_gp_get_data(&fx->c, 0x00E0, buf, sizeof buf, &len), CF_GP_OK);
  assert_int_equal(cf_gp_parse_key_info(buf, len, ki, 64, &n), 0);
  size_t w = 0;
  out[0] = 0;
  for (size_t i = 0; i < n && w + 10 < cap; i++)
    w += (size_t)snprintf(out + w, cap - w, "%s%02X%02X%02X%02X", i ? " " : "", ki[i].id, ki[i].kvn,
                          ki[i].type, ki[i].len);
}

#endif
