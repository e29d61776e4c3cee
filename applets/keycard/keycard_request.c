/* Helpers on the command being processed: response data and input checks. */
#include <string.h>

#include "keycard_internal.h"

bool kc_out(kc_req *rq, const void *data, size_t len) {
  if (len > sizeof rq->out - rq->out_len) return false;
  memcpy(rq->out + rq->out_len, data, len);
  rq->out_len += len;
  return true;
}

bool kc_digits(const uint8_t *p, size_t len) {
  for (size_t i = 0; i < len; i++)
    if (p[i] < '0' || p[i] > '9') return false;
  return true;
}
