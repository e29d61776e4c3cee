/* The operation counters of the card timing model (sim_timing.h): linker wrappers (ld --wrap) of
 * the expensive card operations, counting per thread. This file is linked as an object into the
 * programs that serve cards (cardforge, the IFD handler) together with CF_SIM_TIMING_WRAP; a
 * library cannot carry it, because an archive member holding only __wrap_ symbols is pulled in
 * too late for the references the wrapping creates. */
#include <stddef.h>
#include <stdint.h>

#include "sim_timing.h"

static _Thread_local cf_timing_ops thread_ops;

int __real_cf_ec_ecdh_x(const uint8_t priv[32], const uint8_t *peer, size_t peer_len, uint8_t out[32]);
int __real_cf_ec_keygen(uint8_t priv[32], uint8_t pub[65]);
int __real_cf_ec_sign(const uint8_t priv[32], const uint8_t hash[32], uint8_t sig64[64], int *recid);
int __real_cf_ec_pub_from_priv(const uint8_t priv[32], uint8_t pub[65]);
int __wrap_cf_ec_ecdh_x(const uint8_t priv[32], const uint8_t *peer, size_t peer_len, uint8_t out[32]);
int __wrap_cf_ec_keygen(uint8_t priv[32], uint8_t pub[65]);
int __wrap_cf_ec_sign(const uint8_t priv[32], const uint8_t hash[32], uint8_t sig64[64], int *recid);
int __wrap_cf_ec_pub_from_priv(const uint8_t priv[32], uint8_t pub[65]);

int __wrap_cf_ec_ecdh_x(const uint8_t priv[32], const uint8_t *peer, size_t peer_len, uint8_t out[32]) {
  thread_ops.ecdh++;
  return __real_cf_ec_ecdh_x(priv, peer, peer_len, out);
}

int __wrap_cf_ec_keygen(uint8_t priv[32], uint8_t pub[65]) {
  thread_ops.keygen++;
  return __real_cf_ec_keygen(priv, pub);
}

int __wrap_cf_ec_sign(const uint8_t priv[32], const uint8_t hash[32], uint8_t sig64[64], int *recid) {
  thread_ops.sign++;
  return __real_cf_ec_sign(priv, hash, sig64, recid);
}

int __wrap_cf_ec_pub_from_priv(const uint8_t priv[32], uint8_t pub[65]) {
  thread_ops.derive++;
  return __real_cf_ec_pub_from_priv(priv, pub);
}

void cf_timing_ops_now(cf_timing_ops *out) {
  *out = thread_ops;
}
