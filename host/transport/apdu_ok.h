/* cf_apdu_parse success test. apdu.h documents 0 for success, the runtime returns SW_OK (9000):
 * accept both so the transport is right whichever way that is settled. */
#ifndef CARDFORGE_HOST_APDU_OK_H
#define CARDFORGE_HOST_APDU_OK_H

#include "cardforge/apdu.h"
#include "cardforge/sw.h"

static inline bool cf_host_parse_apdu(const uint8_t *raw, size_t len, cf_apdu *out) {
  uint16_t rc = cf_apdu_parse(raw, len, out);
  return rc == 0 || rc == SW_OK;
}

#endif
