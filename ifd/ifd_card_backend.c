/* The IFD handler's real back end: the registry's emulated cards on their state files
 * (ifd_channel.c), with the card timing model around each command. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cardforge/apdu.h"
#include "cardforge/sw.h"
#include "ifd_backend.h"
#include "ifd_channel.h"

struct cf_ifd_card {
  cf_ifd_channel ch;
};

cf_ifd_card *cf_ifd_backend_open(const char *device_name, unsigned long channel) {
  char name[1100];
  if (device_name == NULL) {
    snprintf(name, sizeof name, "%s:%lu", CF_IFD_DEFAULT_CONFIG, channel);
    device_name = name;
  }
  cf_ifd_card *c = calloc(1, sizeof *c);
  if (c == NULL) {
    cf_ifd_log("%s: out of memory", device_name);
    return NULL;
  }
  char err[600];
  if (cf_ifd_channel_open(device_name, &c->ch, err, sizeof err) != 0) {
    cf_ifd_log("%s", err);
    free(c);
    return NULL;
  }
  return c;
}

void cf_ifd_backend_close(cf_ifd_card *c) {
  cf_ifd_channel_close(&c->ch);
  free(c);
}

size_t cf_ifd_backend_power_on(cf_ifd_card *c, uint8_t *atr, size_t cap) {
  cf_card_power_on(c->ch.card);
  size_t len = 0;
  const uint8_t *a = cf_card_atr(c->ch.card, &len);
  if (len > cap) return 0;
  memcpy(atr, a, len);
  return len;
}

void cf_ifd_backend_power_off(cf_ifd_card *c) {
  cf_card_power_off(c->ch.card);
}

size_t cf_ifd_backend_transmit(cf_ifd_card *c, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap) {
  /* without a model, not even the clock is read: this path is measured against the floor */
  bool timed = cf_timing_enabled(&c->ch.timing);
  cf_timing_mark mark = {0};
  if (timed) cf_timing_begin(&mark, c->ch.store);
  size_t n = cf_card_transmit(c->ch.card, cmd, len, resp, cap);
  if (n < 2 && cap >= 2) {
    cf_put_be16(resp, SW_UNKNOWN);
    n = 2;
  }
  if (timed) cf_timing_end(&c->ch.timing, &mark, c->ch.store);
  return n;
}
