/* The do-nothing card for the pcscd floor (ifd_backend.h): no state, no work. A command of case 2
 * (CLA INS P1 P2 Le) gets Le zero bytes (256 for Le 00) and 9000, so the floor moves as many
 * bytes as a real card's read; any other command gets 9000. Its DEVICENAME is ignored. */
#include <stdlib.h>
#include <string.h>

#include "ifd_backend.h"

/* T=0 and T=1 offered, no historical bytes */
static const uint8_t null_atr[] = {0x3B, 0x80, 0x80, 0x01, 0x01};

struct cf_ifd_card {
  int unused;
};

cf_ifd_card *cf_ifd_backend_open(const char *device_name, unsigned long channel) {
  (void)device_name;
  (void)channel;
  return calloc(1, sizeof(cf_ifd_card));
}

void cf_ifd_backend_close(cf_ifd_card *c) {
  free(c);
}

size_t cf_ifd_backend_power_on(cf_ifd_card *c, uint8_t *atr, size_t cap) {
  (void)c;
  if (cap < sizeof null_atr) return 0;
  memcpy(atr, null_atr, sizeof null_atr);
  return sizeof null_atr;
}

void cf_ifd_backend_power_off(cf_ifd_card *c) {
  (void)c;
}

size_t cf_ifd_backend_transmit(cf_ifd_card *c, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap) {
  (void)c;
  size_t data = len == 5 ? (cmd[4] == 0 ? 256 : cmd[4]) : 0;
  if (cap < data + 2) return 0;
  memset(resp, 0, data);
  resp[data] = 0x90;
  resp[data + 1] = 0x00;
  return data + 2;
}
