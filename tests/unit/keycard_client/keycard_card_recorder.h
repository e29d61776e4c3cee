/* A Keycard card in process with the host client attached through a transport that keeps the
 * header of every command and can corrupt one answer: what the tests of the host library against
 * the Keycard as shipped share (test_keycard_client_card.c, test_keycard_client_card_apps.c). */
#ifndef KEYCARD_CARD_RECORDER_H
#define KEYCARD_CARD_RECORDER_H

#include <stdlib.h>
#include <string.h>

#include "cardforge/card.h"
#include "cardforge/keycard_client.h"
#include "cardforge/store.h"
#include "cardforge/transport.h"

#define LOG_MAX 64
typedef struct recorder {
  cf_card *card;
  int count;
  uint8_t ins[LOG_MAX], p1[LOG_MAX], p2[LOG_MAX];
  size_t lc[LOG_MAX];
  int corrupt_at;      /* command number (1-based) whose answer gets a byte flipped (0: none) */
  size_t corrupt_byte; /* which byte of that answer (0: the first) */
} recorder;

static int rec_exchange(cf_transport *t, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap,
                        size_t *rlen) {
  recorder *r = t->impl;
  if (r->count < LOG_MAX && len >= 4) {
    r->ins[r->count] = cmd[1];
    r->p1[r->count] = cmd[2];
    r->p2[r->count] = cmd[3];
    r->lc[r->count] = len > 5 ? cmd[4] : 0;
  }
  r->count++;
  *rlen = cf_card_transmit(r->card, cmd, len, resp, cap);
  if (r->count == r->corrupt_at && *rlen > 2 + r->corrupt_byte) resp[r->corrupt_byte] ^= 0x01;
  return 0;
}
static void rec_close(cf_transport *t) {
  t->impl = NULL;
}
static const cf_transport_ops rec_ops = {.exchange = rec_exchange, .close = rec_close};

typedef struct fixture {
  cf_store *store;
  cf_card *card;
  recorder rec;
  cf_transport *t;
  keycard_client kc;
} fixture;

static inline void fixture_open(fixture *f, const cf_card_profile *profile, const char *params) {
  memset(f, 0, sizeof *f);
  assert_int_equal(cf_store_open_memory(&f->store), 0);
  f->card = profile->create(f->store, params);
  assert_non_null(f->card);
  cf_card_power_on(f->card);
  f->rec.card = f->card;
  f->t = calloc(1, sizeof *f->t);
  assert_non_null(f->t);
  f->t->ops = &rec_ops;
  f->t->impl = &f->rec;
  keycard_client_init(&f->kc, f->t);
}

static inline void fixture_close(fixture *f) {
  keycard_client_wipe(&f->kc);
  cf_transport_close(f->t);
  cf_card_free(f->card);
  cf_store_close(f->store);
}

#endif
