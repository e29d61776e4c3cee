/* In-process transport: APDUs go straight to a card object (tests, the emulator's own checks). */
#include <stdlib.h>

#include "cardforge/transport.h"

static int card_exchange(cf_transport *t, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap,
                         size_t *rlen) {
  if (cap < 2) {
    snprintf(t->err, sizeof t->err, "response buffer too small");
    return -1;
  }
  *rlen = cf_card_transmit(t->impl, cmd, len, resp, cap);
  return 0;
}

static int card_reset(cf_transport *t) {
  cf_card_power_on(t->impl);
  return 0;
}

static void card_close(cf_transport *t) {
  t->impl = NULL;
}

static const cf_transport_ops card_transport_ops = {
    .exchange = card_exchange,
    .reset = card_reset,
    .close = card_close,
};

cf_transport *cf_transport_open_card(cf_card *card) {
  if (card == NULL) return NULL;
  cf_transport *t = calloc(1, sizeof *t);
  if (t == NULL) return NULL;
  t->ops = &card_transport_ops;
  t->impl = card;
  snprintf(t->name, sizeof t->name, "in-process");
  return t;
}
