/* APDU counting shim for host clients (see load_count.h). */
#include "load_count.h"

static const cf_transport_ops *inner_ops;
static cf_transport_ops counting_ops;
static load_result *counted;

static int counting_exchange(cf_transport *t, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap,
                             size_t *rlen) {
  counted->apdus++;
  return inner_ops->exchange(t, cmd, len, resp, cap, rlen);
}

void load_count_apdus(cf_transport *t, load_result *r) {
  inner_ops = t->ops;
  counting_ops = *t->ops;
  counting_ops.exchange = counting_exchange;
  counted = r;
  t->ops = &counting_ops;
}
